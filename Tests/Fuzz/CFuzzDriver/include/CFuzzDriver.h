// libFuzzer's entry for a program that keeps its own main (LLVM 12+, in
// libclang_rt.fuzzer): parses libFuzzer's flags from argv and fuzzes `callback`.
// Only referenced when the driver is built with -DFUZZING (-sanitize=fuzzer links it).
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
