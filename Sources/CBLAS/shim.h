// OpenBLAS's CBLAS interface (Debian: libopenblas-dev). Only Tensor imports this module.
#include <cblas.h>
