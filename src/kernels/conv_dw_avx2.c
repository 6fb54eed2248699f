/* The in-place depthwise kernel (conv_dw_simd.h) for AVX2 + FMA: 8 lanes
 * (compiled with -mavx2 -mfma; called only when src/kernels/cpu.c reports
 * AVX2). Masked loads (vmaskmovps) do not fault on masked-off lanes, so a
 * vector may start before or end after the row. */
#include <immintrin.h>

#include "conv_depthwise.h"

#define DW_ISA avx2
#define DW_L 8
/* vmaskmovps stores are microcoded on AMD (Zen 2/3): row tails spill instead */
#define DW_FAST_STOREN 0
typedef __m256 dw_v;
typedef __m256i dw_m;

static inline dw_v dw_load(const float *p) { return _mm256_loadu_ps(p); }
static inline dw_v dw_loadm(const float *p, dw_m m) { return _mm256_maskload_ps(p, m); }
static inline void dw_store(float *p, dw_v v) { _mm256_storeu_ps(p, v); }
static inline dw_m dw_mask(int64_t lo, int64_t hi)
{
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    lo = lo < 0 ? 0 : lo > DW_L ? DW_L : lo;
    hi = hi < 0 ? 0 : hi > DW_L ? DW_L : hi;
    __m256i ge_lo = _mm256_cmpgt_epi32(idx, _mm256_set1_epi32((int)lo - 1));
    __m256i lt_hi = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)hi), idx);
    return _mm256_and_si256(ge_lo, lt_hi);
}
static inline void dw_storen(float *p, dw_v v, int64_t n) { _mm256_maskstore_ps(p, dw_mask(0, n), v); }
static inline dw_v dw_set1(float s) { return _mm256_set1_ps(s); }
static inline dw_v dw_fma(dw_v a, dw_v b, dw_v c) { return _mm256_fmadd_ps(a, b, c); }
static inline dw_v dw_min(dw_v a, dw_v b) { return _mm256_min_ps(a, b); }
static inline dw_v dw_max(dw_v a, dw_v b) { return _mm256_max_ps(a, b); }
/* shuffle_ps takes lanes 0, 2 (or 1, 3) of each 128-bit half of a and b:
 * [a0 a2 b0 b2 | a4 a6 b4 b6], i.e. outputs 0 1 4 5 | 2 3 6 7 of the
 * window. The 64-bit permute that would put them in order is left to
 * dw_unorder, once per accumulator instead of twice per pair of loads. */
static inline dw_v dw_evens(dw_v a, dw_v b) { return _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)); }
static inline dw_v dw_odds(dw_v a, dw_v b) { return _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)); }
static inline dw_v dw_unorder(dw_v v)
{
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), _MM_SHUFFLE(3, 1, 2, 0)));
}
static inline dw_v dw_leaky(dw_v v, float slope)
{
    __m256 s = _mm256_mul_ps(v, _mm256_set1_ps(slope));
    return _mm256_blendv_ps(s, v, _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GE_OQ));
}

#include "conv_dw_simd.h"
