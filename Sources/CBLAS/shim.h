// OpenBLAS's CBLAS interface (Debian: libopenblas-dev). Only Tensor imports this module.
#include <cblas.h>
// glibc's mallopt, used once by Tensor's AllocatorTuning to keep freed activation buffers
// for reuse (large arrays are otherwise unmapped and fault in again every training step).
#include <malloc.h>
