/* Direct depthwise convolution (1-D and 2-D). Each output row is built in
 * place: start from the bias, then for every kernel tap add w * (the input
 * row, shifted and strided) over the output columns whose input column lies
 * inside the image, so padding costs nothing and the stride-1 inner loop is a
 * plain vectorisable axpy. */
#include "conv_depthwise.h"

#include "cpu.h"
#include "im2col.h"
#include "kstop.h"
#include "simd_clones.h"

/* Output planes below this many multiply-adds in total run on one thread
 * (thread wake-up costs a few microseconds). */
#define OBN_DW_PARALLEL_MIN ((int64_t)1 << 16)

static inline void row_axpy(float *y, const float *x, int64_t stride, float w, int64_t n)
{
    if (stride == 1) {
        for (int64_t i = 0; i < n; i++) y[i] += w * x[i];
    } else {
        for (int64_t i = 0; i < n; i++) y[i] += w * x[i * stride];
    }
}

static inline void row_clamp(float *y, int64_t n, float lo, float hi)
{
    for (int64_t i = 0; i < n; i++) {
        float v = y[i] < lo ? lo : y[i];
        y[i] = v > hi ? hi : v;
    }
}

static inline void row_leaky(float *y, int64_t n, float slope)
{
    for (int64_t i = 0; i < n; i++) y[i] = y[i] < 0.0f ? y[i] * slope : y[i];
}

static int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/* Kernel widths up to this get their valid output-column ranges computed
 * once per call instead of once per row and tap (a division each). */
#define DW_MAX_KW 16

/* 2-D geometry (1-D convolutions run as H = 1) and the valid output
 * columns per tap. */
typedef struct {
    obn_conv2d_geom s;
    int64_t col_lo[DW_MAX_KW], col_hi[DW_MAX_KW]; /* valid output columns per tap (kw <= DW_MAX_KW) */
} dw_geom;

/* Output columns [lo, hi) whose input column ox*sw + off lies in [0, iw). */
static void valid_columns(const dw_geom *g, int64_t off, int64_t *lo, int64_t *hi)
{
    *lo = off >= 0 ? 0 : (-off + g->s.sw - 1) / g->s.sw;
    *hi = floor_div(g->s.iw - 1 - off, g->s.sw) + 1;
    if (*hi > g->s.ow) *hi = g->s.ow;
}

static dw_geom geometry(const obn_conv_shape *s)
{
    dw_geom g;
    g.s = obn_conv2d_geometry(s);
    for (int64_t kx = 0; kx < g.s.kw && kx < DW_MAX_KW; kx++)
        valid_columns(&g, kx * g.s.dw - g.s.pw, &g.col_lo[kx], &g.col_hi[kx]);
    return g;
}

/* Adds one kernel row (kw taps) applied to input row xr, for output columns
 * [c0, c1), one tap at a time (handles the padded edges). */
static inline void taps_row(const dw_geom *g, const float *xr, const float *wrow, int64_t c0, int64_t c1, float *yr)
{
    for (int64_t kx = 0; kx < g->s.kw; kx++) {
        int64_t off = kx * g->s.dw - g->s.pw, lo, hi;
        if (kx < DW_MAX_KW) lo = g->col_lo[kx], hi = g->col_hi[kx];
        else valid_columns(g, off, &lo, &hi);
        if (lo < c0) lo = c0;
        if (hi > c1) hi = c1;
        if (lo < hi) row_axpy(yr + lo, xr + lo * g->s.sw + off, g->s.sw, wrow[kx], hi - lo);
    }
}

/* Three taps at once where all are inside the row (the 3-wide kernels of
 * most depthwise layers): one load and store of y per three FMAs. */
static inline void row_3taps(float *y, const float *x, int64_t sw, int64_t dw, const float *w, int64_t n)
{
    float w0 = w[0], w1 = w[1], w2 = w[2];
    if (sw == 1)
        for (int64_t i = 0; i < n; i++) y[i] += w0 * x[i] + w1 * x[i + dw] + w2 * x[i + 2 * dw];
    else
        for (int64_t i = 0; i < n; i++) y[i] += w0 * x[i * sw] + w1 * x[i * sw + dw] + w2 * x[i * sw + 2 * dw];
}

/* One output plane from one input plane and one kh x kw filter (one ISA
 * clone per plane, so the row loops inline into it). */
OBN_CLONES
static void plane(const dw_geom *g, const float *x, const float *w, float bias, const obn_conv_epilogue *ep,
                  float *y, const obn_kstop *stop)
{
    /* columns where every tap of a kernel row is inside the input */
    int64_t ilo = 0, ihi = 0;
    if (g->s.kw == 3) {
        ilo = g->col_lo[0] > g->col_lo[2] ? g->col_lo[0] : g->col_lo[2];
        ihi = g->col_hi[0] < g->col_hi[2] ? g->col_hi[0] : g->col_hi[2];
    }
    int fused = g->s.kw == 3 && ilo < ihi;
    for (int64_t oy = 0; oy < g->s.oh; oy++) {
        if (oy % 8 == 0 && obn_kstop_hit(stop)) return; /* any kernel size comes here */
        float *yr = y + oy * g->s.ow;
        for (int64_t ox = 0; ox < g->s.ow; ox++) yr[ox] = bias;
        for (int64_t ky = 0; ky < g->s.kh; ky++) {
            int64_t iy = oy * g->s.sh - g->s.ph + ky * g->s.dh;
            if (iy < 0 || iy >= g->s.ih) continue;
            const float *xr = x + iy * g->s.iw, *wrow = w + ky * g->s.kw;
            if (fused) {
                taps_row(g, xr, wrow, 0, ilo, yr);
                row_3taps(yr + ilo, xr + ilo * g->s.sw - g->s.pw, g->s.sw, g->s.dw, wrow, ihi - ilo);
                taps_row(g, xr, wrow, ihi, g->s.ow, yr);
            } else {
                taps_row(g, xr, wrow, 0, g->s.ow, yr);
            }
        }
        if (ep && ep->clamp) row_clamp(yr, g->s.ow, ep->lo, ep->hi);
        if (ep && ep->leaky) row_leaky(yr, g->s.ow, ep->slope);
    }
}

int obn_dw_simd_applicable(const obn_conv_shape *s)
{
    return obn_cpu_isa() >= OBN_ISA_AVX2 && s->nd == 2 && s->groups == s->in_channels &&
           s->kernel[0] == s->kernel[1] && (s->kernel[0] == 3 || s->kernel[0] == 5 || s->kernel[0] == 7) && s->stride[0] == s->stride[1] &&
           (s->stride[0] == 1 || s->stride[0] == 2) && s->dilation[0] == 1 && s->dilation[1] == 1;
}

typedef void (*dw_plane_fn)(const obn_conv2d_geom *g, const float *x, const float *w, float bias,
                            const obn_conv_epilogue *ep, float *y);

void obn_conv_depthwise(const obn_conv_shape *s, const float *x, const float *w, const obn_conv_epilogue *ep,
                        float *y, int threads)
{
    dw_geom g = geometry(s);
    dw_plane_fn simd = NULL;
    if (obn_dw_simd_applicable(s)) simd = obn_cpu_isa() >= OBN_ISA_AVX512 ? obn_dw_plane_avx512 : obn_dw_plane_avx2;
    int64_t mult = s->out_channels / s->in_channels, planes = s->batch * s->out_channels;
    int64_t in_plane = g.s.ih * g.s.iw, out_plane = g.s.oh * g.s.ow, taps = g.s.kh * g.s.kw;
    double work = (double)planes * (double)out_plane * (double)taps;
    int nth = threads > 1 && work >= (double)OBN_DW_PARALLEL_MIN ? threads : 1;
    const obn_kstop *stop = obn_kstop_get();
#pragma omp parallel for schedule(static) num_threads(nth) if (nth > 1)
    for (int64_t p = 0; p < planes; p++) {
        if (obn_kstop_hit(stop)) continue;
        int64_t b = p / s->out_channels, m = p % s->out_channels, c = m / mult;
        float bias = ep && ep->bias ? ep->bias[m] : 0.0f;
        if (simd) simd(&g.s, x + (b * s->in_channels + c) * in_plane, w + m * taps, bias, ep, y + p * out_plane);
        else plane(&g, x + (b * s->in_channels + c) * in_plane, w + m * taps, bias, ep, y + p * out_plane, stop);
    }
}
