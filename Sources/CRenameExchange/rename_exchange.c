#define _GNU_SOURCE
#include "CRenameExchange.h"

#include <errno.h>
#include <stdio.h>

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

int timirec_rename_exchange(int fromDirectory, const char *from, int toDirectory, const char *to) {
#if defined(__linux__) && defined(SYS_renameat2)
  // RENAME_EXCHANGE is (1 << 1) in linux/fs.h and glibc's stdio.h.
  return (int)syscall(SYS_renameat2, fromDirectory, from, toDirectory, to, 2u);
#elif defined(__APPLE__)
  return renameatx_np(fromDirectory, from, toDirectory, to, RENAME_SWAP);
#else
  (void)fromDirectory; (void)from; (void)toDirectory; (void)to;
  errno = ENOSYS;
  return -1;
#endif
}
