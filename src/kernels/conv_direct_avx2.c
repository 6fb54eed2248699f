/* Direct convolution of one image-group for AVX2 + FMA (compiled with
 * -mavx2 -mfma; called only when src/kernels/cpu.c reports AVX2): the
 * depthwise and small-group convolutions, where a GEMM per group would be a
 * few rows deep (M = channels per group, often < the 6-row tile) and the
 * im2col copy would cost as much as the arithmetic.
 *
 * The input comes as the padded, phase-split copy of obn_im2col_pad, so the
 * taps of 8 neighbouring outputs are always 8 contiguous floats and no edge
 * needs a branch. A register block is MB output channels x NV vectors of 8
 * outputs along a row: each input vector loaded feeds MB FMAs (one weight
 * broadcast each). MB = 4, NV = 2 uses 8 accumulators + 2 inputs + 1
 * broadcast of the 16 ymm registers; depthwise (one output channel per
 * group) takes MB = 1, NV = 4. Bias and the activation are applied in
 * registers; the row tail is written with a masked store. */
#include <immintrin.h>

#include "conv_direct.h"

/* Lanes [0, n) set, n in 1..8. */
static inline __m256i tail_mask(int64_t n)
{
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), idx);
}

static inline __attribute__((always_inline)) __m256 epilogue(__m256 v, const obn_conv_epilogue *ep)
{
    if (ep && ep->clamp) /* max(lo, v) / min(hi, v) keep v when v is NaN (second operand) */
        v = _mm256_min_ps(_mm256_set1_ps(ep->hi), _mm256_max_ps(_mm256_set1_ps(ep->lo), v));
    if (ep && ep->leaky) {
        __m256 s = _mm256_mul_ps(v, _mm256_set1_ps(ep->slope));
        v = _mm256_blendv_ps(s, v, _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GE_OQ));
    }
    return v;
}

/* MB output channels (weights w, rows of cg*taps; outputs y, planes of
 * oh*ow) x the row block [ox, ox + 8*NV) of output row oy. off[t]: where
 * tap t of channel 0 reads, relative to the output's position. */
static inline __attribute__((always_inline)) void block(const obn_conv2d_geom *g, int64_t cg, const float *padded,
                                                       const int64_t *off, const float *w, const float *bias,
                                                       const obn_conv_epilogue *ep, float *y, int64_t oy,
                                                       int64_t ox, const int MB, const int NV)
{
    __m256 acc[4][4];
    for (int mb = 0; mb < MB; mb++)
        for (int v = 0; v < NV; v++) acc[mb][v] = _mm256_set1_ps(bias ? bias[mb] : 0.0f);
    const int64_t taps = g->kh * g->kw, cstride = g->sw * g->hp * g->wq, wrow = cg * taps;
    const float *xc = padded + oy * g->sh * g->wq + ox;
    for (int64_t c = 0; c < cg; c++, xc += cstride) {
        const float *wc = w + c * taps;
        for (int64_t t = 0; t < taps; t++) {
            const float *src = xc + off[t];
            __m256 xv[4];
            for (int v = 0; v < NV; v++) xv[v] = _mm256_loadu_ps(src + 8 * v);
            for (int mb = 0; mb < MB; mb++) {
                __m256 wb = _mm256_broadcast_ss(wc + mb * wrow + t);
                for (int v = 0; v < NV; v++) acc[mb][v] = _mm256_fmadd_ps(wb, xv[v], acc[mb][v]);
            }
        }
    }
    const int64_t plane = g->oh * g->ow;
    for (int mb = 0; mb < MB; mb++) {
        float *yr = y + mb * plane + oy * g->ow + ox;
        for (int v = 0; v < NV; v++) {
            int64_t left = g->ow - ox - 8 * v;
            if (left <= 0) break;
            __m256 r = epilogue(acc[mb][v], ep);
            if (left >= 8) _mm256_storeu_ps(yr + 8 * v, r);
            else _mm256_maskstore_ps(yr + 8 * v, tail_mask(left), r);
        }
    }
}

/* Every output row of MB channels, in row blocks of 8*NV outputs. */
static inline __attribute__((always_inline)) void channels(const obn_conv2d_geom *g, int64_t cg, const float *padded,
                                                          const int64_t *off, const float *w, const float *bias,
                                                          const obn_conv_epilogue *ep, float *y, const int MB,
                                                          const int NV)
{
    for (int64_t oy = 0; oy < g->oh; oy++)
        for (int64_t ox = 0; ox < g->ow; ox += 8 * NV) block(g, cg, padded, off, w, bias, ep, y, oy, ox, MB, NV);
}

void obn_conv_direct_avx2(const obn_conv2d_geom *g, int64_t cg, int64_t mg, const float *padded, const float *w,
                          const float *bias, const obn_conv_epilogue *ep, float *y, const obn_kstop *stop)
{
    const int64_t taps = g->kh * g->kw, wrow = cg * taps, plane = g->oh * g->ow, phase = g->hp * g->wq;
    int64_t off[OBN_CONV_DIRECT_MAX_TAPS];
    for (int64_t ky = 0; ky < g->kh; ky++)
        for (int64_t kx = 0; kx < g->kw; kx++) {
            int64_t t = kx * g->dw; /* phase plane t % sw, column t / sw of it */
            off[ky * g->kw + kx] = (t % g->sw) * phase + ky * g->dh * g->wq + t / g->sw;
        }
    int64_t m = 0;
    if (mg == 1) { /* depthwise: long row blocks */
        channels(g, cg, padded, off, w, bias, ep, y, 1, 4);
        return;
    }
    for (; m + 4 <= mg && !obn_kstop_hit(stop); m += 4)
        channels(g, cg, padded, off, w + m * wrow, bias ? bias + m : NULL, ep, y + m * plane, 4, 2);
    for (; m < mg && !obn_kstop_hit(stop); m++)
        channels(g, cg, padded, off, w + m * wrow, bias ? bias + m : NULL, ep, y + m * plane, 1, 4);
}
