/* In-place depthwise convolution of one plane, written once for any vector
 * width and compiled per ISA level: conv_dw_avx2.c (8 lanes) and
 * conv_dw_avx512.c (16 lanes) define the vector type and operations below,
 * then include this file. Internal to the depthwise kernel
 * (src/kernels/conv_depthwise.c).
 *
 * Shapes: square K x K kernels with K = 3, 5 or 7, stride S = 1 or 2 in both
 * directions, dilation 1, any padding (the common depthwise layers of
 * MobileNet, EfficientNet, ShuffleNet, and ConvNeXt's 7x7).
 *
 * No padded copy of the input: a register block is R output rows x NV
 * vectors of L outputs along a row. Each input row the block needs is loaded
 * once per tap column kx and feeds every output row of the block it belongs
 * to (up to K FMAs per load with stride 1). Input rows outside the image are
 * skipped; column blocks that touch the left or right edge (or run past the
 * output row) load with a lane mask instead, masked lanes reading zero, so
 * every edge is exact without a branch per lane. With stride 2, two vectors
 * of 2L consecutive inputs are split into their even and odd lanes (one
 * permute each): the even lanes are tap kx, the odd ones tap kx + 1. Bias,
 * clamp and leaky slope are applied while the block is in registers; the row
 * tail is written with a masked store.
 *
 * The including file defines:
 *   DW_ISA            suffix of the function defined here
 *   DW_L              lanes per vector
 *   dw_v, dw_m        vector and lane-mask types
 *   dw_load(p), dw_loadm(p, m)       full / masked (zeroing) load
 *   dw_store(p, v), dw_storen(p, v, n)  full store / first n lanes
 *   DW_FAST_STOREN    0: dw_storen is slow, so row tails that have later
 *                     rows after them are stored full width instead
 *   dw_mask(lo, hi)   lanes i with lo <= i < hi (any int64 bounds)
 *   dw_set1(s), dw_fma(a, b, c) = a * b + c, dw_min, dw_max
 *   dw_evens(a, b), dw_odds(a, b)    even / odd lanes of the 2L floats a|b,
 *                     in an order of the ISA's choosing that is the same
 *                     for both and for every a, b
 *   dw_unorder(v)     that order undone (identity where the split keeps
 *                     lane order): stride-2 accumulators stay in the
 *                     split's order and are put back once, at the store
 *   dw_leaky(v, slope)               v < 0 ? v * slope : v */
#include <stdint.h>

#include "conv.h"
#include "im2col.h"

#define OBN_DW_CAT2(a, b) a##_##b
#define OBN_DW_CAT(a, b) OBN_DW_CAT2(a, b)
#define OBN_DW_FN(name) OBN_DW_CAT(name, DW_ISA)

/* Largest register block: R * NV accumulators (8: the FMA latency times
 * two FMA ports needs 8 independent chains; AVX2 has 16 registers). */
#define DW_MAX_R 8
#define DW_MAX_NV 2

static inline __attribute__((always_inline)) dw_v dw_epilogue(dw_v v, const obn_conv_epilogue *ep)
{
    if (ep && ep->clamp) /* max(lo, v) / min(hi, v) keep v when v is NaN (second operand) */
        v = dw_min(dw_set1(ep->hi), dw_max(dw_set1(ep->lo), v));
    if (ep && ep->leaky) v = dw_leaky(v, ep->slope);
    return v;
}

/* Output rows [oy0, oy0 + R) x columns [ox0, ox0 + NV*L) of the plane
 * (rows and columns past the output are computed and not written). */
static inline __attribute__((always_inline)) void dw_block(const obn_conv2d_geom *g, const float *x, const float *w,
                                                          float bias, const obn_conv_epilogue *ep, float *y,
                                                          int64_t oy0, int64_t ox0, const int K, const int S,
                                                          const int R, const int NV, const int MASKED)
{
    dw_v acc[DW_MAX_R][DW_MAX_NV];
#pragma GCC unroll 8
    for (int r = 0; r < R; r++)
#pragma GCC unroll 2
        for (int v = 0; v < NV; v++) acc[r][v] = dw_set1(bias);
    /* input rows j = 0..J-1 of the block start at row S*oy0 - ph; only
     * [jlo, jhi) lie inside the image */
    const int J = S * (R - 1) + K;
    const int64_t iy0 = S * oy0 - g->ph;
    const int64_t jlo = iy0 < 0 ? -iy0 : 0, jhi = g->ih - iy0 < J ? g->ih - iy0 : J;
    const float *x0 = x + iy0 * g->iw; /* row j at x0 + j*iw (only read for valid j) */
#pragma GCC unroll 2
    for (int v = 0; v < NV; v++) {
        const int64_t c = S * (ox0 + v * DW_L) - g->pw; /* input column of lane 0, tap 0 */
        if (S == 1) {
#pragma GCC unroll 7
            for (int kx = 0; kx < K; kx++) {
                const int64_t cx = c + kx;
                dw_m m = MASKED ? dw_mask(-cx, g->iw - cx) : dw_mask(0, DW_L);
#pragma GCC unroll 14
                for (int j = 0; j < J; j++) {
                    if (j < jlo || j >= jhi) continue;
                    const float *src = x0 + j * g->iw + cx;
                    dw_v xv = MASKED ? dw_loadm(src, m) : dw_load(src);
#pragma GCC unroll 8
                    for (int r = 0; r < R; r++) {
                        const int ky = j - r;
                        if (ky < 0 || ky >= K) continue;
                        acc[r][v] = dw_fma(dw_set1(w[ky * K + kx]), xv, acc[r][v]);
                    }
                }
            }
        } else {
#pragma GCC unroll 4
            for (int q = 0; q < K; q += 2) { /* taps q (even lanes) and q + 1 (odd lanes) */
                const int64_t cq = c + q;
                dw_m m0 = MASKED ? dw_mask(-cq, g->iw - cq) : dw_mask(0, DW_L);
                dw_m m1 = MASKED ? dw_mask(-cq - DW_L, g->iw - cq - DW_L) : dw_mask(0, DW_L);
#pragma GCC unroll 24
                for (int j = 0; j < J; j++) {
                    if (j < jlo || j >= jhi) continue;
                    const float *src = x0 + j * g->iw + cq;
                    dw_v a = MASKED ? dw_loadm(src, m0) : dw_load(src);
                    dw_v b = MASKED ? dw_loadm(src + DW_L, m1) : dw_load(src + DW_L);
                    dw_v ev = dw_evens(a, b);
                    dw_v od = q + 1 < K ? dw_odds(a, b) : ev;
#pragma GCC unroll 8
                    for (int r = 0; r < R; r++) {
                        const int ky = j - 2 * r;
                        if (ky < 0 || ky >= K) continue;
                        acc[r][v] = dw_fma(dw_set1(w[ky * K + q]), ev, acc[r][v]);
                        if (q + 1 < K) acc[r][v] = dw_fma(dw_set1(w[ky * K + q + 1]), od, acc[r][v]);
                    }
                }
            }
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
        if (oy0 + r >= g->oh) break;
        float *yr = y + (oy0 + r) * g->ow + ox0;
#pragma GCC unroll 2
        for (int v = 0; v < NV; v++) {
            int64_t left = g->ow - ox0 - v * DW_L;
            if (left <= 0) break;
            dw_v o = dw_epilogue(S == 2 ? dw_unorder(acc[r][v]) : acc[r][v], ep);
            /* a row tail spills into the next rows when the masked store is
             * slow (AVX2 on AMD): those floats are written again later (see
             * dw_plane_k), and the plane's last row stays masked */
            if (left >= DW_L || (!DW_FAST_STOREN && (oy0 + r + 1) * g->ow + DW_L - left <= g->oh * g->ow))
                dw_store(yr + v * DW_L, o);
            else dw_storen(yr + v * DW_L, o, left);
        }
    }
}

/* The whole plane in blocks; a column block takes unmasked loads when all
 * the input columns it reads are inside the row. */
static inline __attribute__((always_inline)) void dw_plane_k(const obn_conv2d_geom *g, const float *x, const float *w,
                                                            float bias, const obn_conv_epilogue *ep, float *y,
                                                            const int K, const int S, const int R, const int NV)
{
    const int64_t bw = NV * DW_L;
    /* a block reads columns [S*ox0 - pw, S*ox0 - pw + span) */
    const int64_t span = S == 1 ? K - 1 + bw : (K - 1) / 2 * 2 + 2 * bw;
    /* column blocks right to left: a full-width store past a row's end
     * lands at the start of a later row, which a block to the left, a later
     * row of the same block or the next block row writes afterwards */
    const int64_t last = (g->ow - 1) / bw * bw;
    for (int64_t oy0 = 0; oy0 < g->oh; oy0 += R)
        for (int64_t ox0 = last; ox0 >= 0; ox0 -= bw) {
            int64_t first = S * ox0 - g->pw;
            if (first >= 0 && first + span <= g->iw)
                dw_block(g, x, w, bias, ep, y, oy0, ox0, K, S, R, NV, 0);
            else
                dw_block(g, x, w, bias, ep, y, oy0, ox0, K, S, R, NV, 1);
        }
}

/* Rows of at most one vector take 8 rows x 1 vector blocks (small planes,
 * where a second vector would be all padding); longer rows 4 x 2. */
#define DW_PLANE_VARIANT(K, S)                                                                                        \
    static void OBN_DW_CAT(OBN_DW_FN(dw_plane), K##x##S)(const obn_conv2d_geom *g, const float *x, const float *w,  \
                                                         float bias, const obn_conv_epilogue *ep, float *y)          \
    {                                                                                                                 \
        if (g->ow <= DW_L) dw_plane_k(g, x, w, bias, ep, y, K, S, 8, 1);                                              \
        else dw_plane_k(g, x, w, bias, ep, y, K, S, 4, 2);                                                            \
    }

DW_PLANE_VARIANT(3, 1)
DW_PLANE_VARIANT(3, 2)
DW_PLANE_VARIANT(5, 1)
DW_PLANE_VARIANT(5, 2)
DW_PLANE_VARIANT(7, 1)
DW_PLANE_VARIANT(7, 2)

/* One output plane (oh x ow) from one input plane (ih x iw) and one K x K
 * filter; the caller has checked obn_dw_simd_applicable. */
void OBN_DW_FN(obn_dw_plane)(const obn_conv2d_geom *g, const float *x, const float *w, float bias,
                             const obn_conv_epilogue *ep, float *y)
{
    if (g->kh == 3 && g->sh == 1) OBN_DW_CAT(OBN_DW_FN(dw_plane), 3x1)(g, x, w, bias, ep, y);
    else if (g->kh == 3) OBN_DW_CAT(OBN_DW_FN(dw_plane), 3x2)(g, x, w, bias, ep, y);
    else if (g->kh == 5 && g->sh == 1) OBN_DW_CAT(OBN_DW_FN(dw_plane), 5x1)(g, x, w, bias, ep, y);
    else if (g->kh == 5) OBN_DW_CAT(OBN_DW_FN(dw_plane), 5x2)(g, x, w, bias, ep, y);
    else if (g->sh == 1) OBN_DW_CAT(OBN_DW_FN(dw_plane), 7x1)(g, x, w, bias, ep, y);
    else OBN_DW_CAT(OBN_DW_FN(dw_plane), 7x2)(g, x, w, bias, ep, y);
}
