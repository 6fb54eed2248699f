/* The in-place depthwise kernel (conv_dw_simd.h) for AVX-512F: 16 lanes
 * (compiled with -mavx512f ...; called only when src/kernels/cpu.c reports
 * AVX-512). Masked loads do not fault on masked-off lanes, so a vector may
 * start before or end after the row. */
#include <immintrin.h>

#include "conv_depthwise.h"

#define DW_ISA avx512
#define DW_L 16
#define DW_FAST_STOREN 1 /* AVX-512 masked stores are single instructions */
typedef __m512 dw_v;
typedef __mmask16 dw_m;

static inline dw_v dw_load(const float *p) { return _mm512_loadu_ps(p); }
static inline dw_v dw_loadm(const float *p, dw_m m) { return _mm512_maskz_loadu_ps(m, p); }
static inline void dw_store(float *p, dw_v v) { _mm512_storeu_ps(p, v); }
static inline dw_m dw_mask(int64_t lo, int64_t hi)
{
    lo = lo < 0 ? 0 : lo > DW_L ? DW_L : lo;
    hi = hi < 0 ? 0 : hi > DW_L ? DW_L : hi;
    uint32_t below_hi = (1u << hi) - 1u, below_lo = (1u << lo) - 1u; /* hi, lo <= 16: no overflow */
    return (dw_m)(below_hi & ~below_lo);
}
static inline void dw_storen(float *p, dw_v v, int64_t n) { _mm512_mask_storeu_ps(p, dw_mask(0, n), v); }
static inline dw_v dw_set1(float s) { return _mm512_set1_ps(s); }
static inline dw_v dw_fma(dw_v a, dw_v b, dw_v c) { return _mm512_fmadd_ps(a, b, c); }
static inline dw_v dw_min(dw_v a, dw_v b) { return _mm512_min_ps(a, b); }
static inline dw_v dw_max(dw_v a, dw_v b) { return _mm512_max_ps(a, b); }
static inline dw_v dw_evens(dw_v a, dw_v b)
{
    const __m512i idx = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    return _mm512_permutex2var_ps(a, idx, b);
}
static inline dw_v dw_odds(dw_v a, dw_v b)
{
    const __m512i idx = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    return _mm512_permutex2var_ps(a, idx, b);
}
static inline dw_v dw_unorder(dw_v v) { return v; } /* the split keeps lane order */
static inline dw_v dw_leaky(dw_v v, float slope)
{
    __mmask16 neg = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ);
    return _mm512_mask_mul_ps(v, neg, v, _mm512_set1_ps(slope));
}

#include "conv_dw_simd.h"
