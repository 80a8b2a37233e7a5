// AVX2 + FMA versions of the GRU gate loops; the equations and the exponential are documented
// in Sources/Tensor/Kernels.swift (`simdExp`, `simdSigmoid`, `simdTanh`, `GRUGateKernels`).
// Only the functions marked with the target attribute use AVX2; the caller dispatches on
// cgk_has_avx2_fma().
#include "CGateKernels.h"
#include <immintrin.h>

int cgk_has_avx2_fma(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return 0;
#endif
}

#if defined(__x86_64__) || defined(__i386__)
#define AVX2 __attribute__((target("avx2,fma")))

// e^x per lane, as simdExp: Cody–Waite reduction, Cephes' degree-7 polynomial, 2^n built in
// the exponent bits in two halves; +inf above 88.72283, 0 below -87.33654, NaN kept.
AVX2 static inline __m256 exp8(__m256 x) {
  const __m256 upper = _mm256_set1_ps(88.72283f), lower = _mm256_set1_ps(-87.33654f);
  __m256 too_low = _mm256_cmp_ps(x, lower, _CMP_LT_OQ);
  __m256 too_high = _mm256_cmp_ps(x, upper, _CMP_GT_OQ);
  __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
  __m256 clamped = _mm256_min_ps(_mm256_max_ps(x, lower), upper);
  const __m256 magic = _mm256_set1_ps(12582912.0f);
  __m256 shifted = _mm256_fmadd_ps(clamped, _mm256_set1_ps(1.44269504f), magic);
  __m256 n = _mm256_sub_ps(shifted, magic);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), clamped);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.1219444e-4f), r);
  __m256 p = _mm256_set1_ps(1.98756915e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  __m256 er = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
  __m256i n_int = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_castps_si256(magic));
  __m256i half = _mm256_srai_epi32(n_int, 1), rest = _mm256_sub_epi32(n_int, half);
  const __m256i bias = _mm256_set1_epi32(127);
  __m256 scale1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(half, bias), 23));
  __m256 scale2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(rest, bias), 23));
  __m256 result = _mm256_mul_ps(_mm256_mul_ps(er, scale1), scale2);
  result = _mm256_blendv_ps(result, _mm256_set1_ps(__builtin_inff()), too_high);
  result = _mm256_andnot_ps(too_low, result);
  return _mm256_blendv_ps(result, x, nan);
}

AVX2 static inline __m256 sigmoid8(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  return _mm256_div_ps(one, _mm256_add_ps(exp8(_mm256_sub_ps(_mm256_setzero_ps(), x)), one));
}

// tanh x = 1 − 2/(1 + e^2x), and x − x³/3 + 2x⁵/15 − 17x⁷/315 where |x| < 1/8 (as simdTanh).
AVX2 static inline __m256 tanh8(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  __m256 e2x = exp8(_mm256_add_ps(x, x));
  __m256 result = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e2x, one)));
  __m256 s = _mm256_mul_ps(x, x);
  __m256 series = _mm256_fmadd_ps(s, _mm256_set1_ps(-17.0f / 315.0f), _mm256_set1_ps(2.0f / 15.0f));
  series = _mm256_fmadd_ps(series, s, _mm256_set1_ps(-1.0f / 3.0f));
  series = _mm256_mul_ps(x, _mm256_fmadd_ps(series, s, one));
  __m256 magnitude = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
  __m256 small = _mm256_cmp_ps(magnitude, _mm256_set1_ps(0.125f), _CMP_LT_OQ);
  return _mm256_blendv_ps(result, series, small);
}

AVX2 void cgk_gru_forward(long rows, long base, long h, const float *gi, const int32_t *gi_row, const float *gh,
                          float *state, float *gates, float *hidden_n, float *h_prev) {
  const long g3 = 3 * h;
  const __m256 one = _mm256_set1_ps(1.0f);
  for (long s = 0; s < rows; s++) {
    const long p = base + s;
    const float *gi_r = gi + (gi_row ? (long)gi_row[p] : p) * g3, *gh_r = gh + s * g3;
    float *h_r = state + s * h, *gate_r = gates + p * g3, *hn_r = hidden_n + p * h, *hp_r = h_prev + p * h;
    for (long j = 0; j < h; j += 8) {
      __m256 r = sigmoid8(_mm256_add_ps(_mm256_loadu_ps(gi_r + j), _mm256_loadu_ps(gh_r + j)));
      __m256 z = sigmoid8(_mm256_add_ps(_mm256_loadu_ps(gi_r + h + j), _mm256_loadu_ps(gh_r + h + j)));
      __m256 nh = _mm256_loadu_ps(gh_r + 2 * h + j);
      __m256 n = tanh8(_mm256_fmadd_ps(r, nh, _mm256_loadu_ps(gi_r + 2 * h + j)));
      __m256 previous = _mm256_loadu_ps(h_r + j);
      _mm256_storeu_ps(gate_r + j, r);
      _mm256_storeu_ps(gate_r + h + j, z);
      _mm256_storeu_ps(gate_r + 2 * h + j, n);
      _mm256_storeu_ps(hn_r + j, nh);
      _mm256_storeu_ps(hp_r + j, previous);
      // (1 − z)·n + z·h
      _mm256_storeu_ps(h_r + j, _mm256_fmadd_ps(z, previous, _mm256_mul_ps(_mm256_sub_ps(one, z), n)));
    }
  }
}

AVX2 void cgk_gru_backward(long rows, long base, long h, const float *gates, const float *hidden_n,
                           const float *h_prev, float *delta, float *dgi, float *dgh) {
  const long g3 = 3 * h;
  const __m256 one = _mm256_set1_ps(1.0f);
  for (long s = 0; s < rows; s++) {
    const long p = base + s;
    const float *gate_r = gates + p * g3, *hn_r = hidden_n + p * h, *hp_r = h_prev + p * h;
    float *d_r = delta + s * h, *dgi_r = dgi + p * g3, *dgh_r = dgh + p * g3;
    for (long j = 0; j < h; j += 8) {
      __m256 r = _mm256_loadu_ps(gate_r + j), z = _mm256_loadu_ps(gate_r + h + j);
      __m256 n = _mm256_loadu_ps(gate_r + 2 * h + j), d = _mm256_loadu_ps(d_r + j);
      __m256 dn = _mm256_mul_ps(d, _mm256_sub_ps(one, z));
      __m256 dz = _mm256_mul_ps(d, _mm256_sub_ps(_mm256_loadu_ps(hp_r + j), n));
      __m256 dan = _mm256_mul_ps(dn, _mm256_fnmadd_ps(n, n, one));
      __m256 dr = _mm256_mul_ps(dan, _mm256_loadu_ps(hn_r + j));
      __m256 daz = _mm256_mul_ps(_mm256_mul_ps(dz, z), _mm256_sub_ps(one, z));
      __m256 dar = _mm256_mul_ps(_mm256_mul_ps(dr, r), _mm256_sub_ps(one, r));
      _mm256_storeu_ps(dgi_r + j, dar);
      _mm256_storeu_ps(dgi_r + h + j, daz);
      _mm256_storeu_ps(dgi_r + 2 * h + j, dan);
      _mm256_storeu_ps(dgh_r + j, dar);
      _mm256_storeu_ps(dgh_r + h + j, daz);
      _mm256_storeu_ps(dgh_r + 2 * h + j, _mm256_mul_ps(dan, r));
      _mm256_storeu_ps(d_r + j, _mm256_mul_ps(d, z));
    }
  }
}
#else
void cgk_gru_forward(long rows, long base, long h, const float *gi, const int32_t *gi_row, const float *gh,
                     float *state, float *gates, float *hidden_n, float *h_prev) {}
void cgk_gru_backward(long rows, long base, long h, const float *gates, const float *hidden_n,
                      const float *h_prev, float *delta, float *dgi, float *dgh) {}
#endif
