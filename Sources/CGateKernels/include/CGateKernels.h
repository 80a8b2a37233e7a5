// The GRU gate loops of Tensor (Kernels.swift, `GRUGateKernels`) compiled for AVX2 + FMA, for
// CPUs that have them: the Swift module is built for the baseline x86-64 target (SSE2), where
// its SIMD16 loops run four 4-lane instructions per operation. The caller checks
// `cgk_has_avx2_fma()` once and otherwise keeps the Swift loops; the arithmetic is that of the
// Swift versions (same polynomial exponential), FMA rounding aside. Tests: KernelTests.
#ifndef CGATEKERNELS_H
#define CGATEKERNELS_H

#include <stdint.h>

/// 1 when the CPU runs AVX2 and FMA instructions, else 0.
int cgk_has_avx2_fma(void);

/// One forward step of the GRU gates for `rows` running rows (see `GRUGateKernels.forward`);
/// `h` must be a multiple of 8. `gi_row` may be NULL (packed row p reads gi row p).
void cgk_gru_forward(long rows, long base, long h, const float *gi, const int32_t *gi_row, const float *gh,
                     float *state, float *gates, float *hidden_n, float *h_prev);

/// One backward step of the GRU gates (see `GRUGateKernels.backward`); `h` a multiple of 8.
void cgk_gru_backward(long rows, long base, long h, const float *gates, const float *hidden_n,
                      const float *h_prev, float *delta, float *dgi, float *dgh);

#endif
