// One call Swift cannot reach directly: an atomic exchange of two paths. glibc declares
// renameat2 only under _GNU_SOURCE, which Swift's Glibc module is not built with, so the
// call is made here (Tensor's AtomicWrite is the only user).
#ifndef TIMIREC_RENAME_EXCHANGE_H
#define TIMIREC_RENAME_EXCHANGE_H

/// Atomically exchanges `from` (relative to `fromDirectory`) and `to` (relative to
/// `toDirectory`); both must exist. Linux: renameat2(..., RENAME_EXCHANGE), made through
/// syscall(2) so that it works with any glibc; macOS: renameatx_np(..., RENAME_SWAP).
/// Returns 0, or -1 with errno set: EINVAL or ENOTSUP/EOPNOTSUPP when the file system
/// refuses the exchange, ENOSYS when the kernel or platform has none.
int timirec_rename_exchange(int fromDirectory, const char *from, int toDirectory, const char *to);

#endif
