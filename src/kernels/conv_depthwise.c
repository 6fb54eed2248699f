/* Direct depthwise convolution (1-D and 2-D). Each output row is built in
 * place: start from the bias, then for every kernel tap add w * (the input
 * row, shifted and strided) over the output columns whose input column lies
 * inside the image, so padding costs nothing and the stride-1 inner loop is a
 * plain vectorisable axpy. */
#include "conv_depthwise.h"

/* Output planes below this many multiply-adds in total run on one thread
 * (thread wake-up costs a few microseconds). */
#define OBN_DW_PARALLEL_MIN ((int64_t)1 << 16)

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(OBN_NO_CLONES)
#define OBN_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define OBN_SIMD_CLONES
#endif

OBN_SIMD_CLONES
static void row_axpy(float *y, const float *x, int64_t stride, float w, int64_t n)
{
    if (stride == 1) {
        for (int64_t i = 0; i < n; i++) y[i] += w * x[i];
    } else {
        for (int64_t i = 0; i < n; i++) y[i] += w * x[i * stride];
    }
}

OBN_SIMD_CLONES
static void row_clamp(float *y, int64_t n, float lo, float hi)
{
    for (int64_t i = 0; i < n; i++) {
        float v = y[i] < lo ? lo : y[i];
        y[i] = v > hi ? hi : v;
    }
}

OBN_SIMD_CLONES
static void row_leaky(float *y, int64_t n, float slope)
{
    for (int64_t i = 0; i < n; i++) y[i] = y[i] < 0.0f ? y[i] * slope : y[i];
}

static int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/* 2-D geometry; 1-D convolutions run as H = 1. */
typedef struct {
    int64_t ih, iw, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw;
} dw_geom;

static dw_geom geometry(const obn_conv_shape *s)
{
    dw_geom g;
    int o = s->nd == 2 ? 1 : 0; /* index of the width dimension */
    g.ih = s->nd == 2 ? s->in[0] : 1;
    g.oh = s->nd == 2 ? s->out[0] : 1;
    g.kh = s->nd == 2 ? s->kernel[0] : 1;
    g.sh = s->nd == 2 ? s->stride[0] : 1;
    g.dh = s->nd == 2 ? s->dilation[0] : 1;
    g.ph = s->nd == 2 ? s->pad[0] : 0;
    g.iw = s->in[o];
    g.ow = s->out[o];
    g.kw = s->kernel[o];
    g.sw = s->stride[o];
    g.dw = s->dilation[o];
    g.pw = s->pad[o];
    return g;
}

/* One output plane from one input plane and one kh x kw filter. */
static void plane(const dw_geom *g, const float *x, const float *w, float bias, const obn_conv_epilogue *ep,
                  float *y)
{
    for (int64_t oy = 0; oy < g->oh; oy++) {
        float *yr = y + oy * g->ow;
        for (int64_t ox = 0; ox < g->ow; ox++) yr[ox] = bias;
        for (int64_t ky = 0; ky < g->kh; ky++) {
            int64_t iy = oy * g->sh - g->ph + ky * g->dh;
            if (iy < 0 || iy >= g->ih) continue;
            const float *xr = x + iy * g->iw;
            for (int64_t kx = 0; kx < g->kw; kx++) {
                /* input column ix = ox*sw + off must lie in [0, iw) */
                int64_t off = kx * g->dw - g->pw;
                int64_t lo = off >= 0 ? 0 : (-off + g->sw - 1) / g->sw;
                int64_t hi = floor_div(g->iw - 1 - off, g->sw) + 1;
                if (hi > g->ow) hi = g->ow;
                if (lo < hi) row_axpy(yr + lo, xr + lo * g->sw + off, g->sw, w[ky * g->kw + kx], hi - lo);
            }
        }
        if (ep && ep->clamp) row_clamp(yr, g->ow, ep->lo, ep->hi);
        if (ep && ep->leaky) row_leaky(yr, g->ow, ep->slope);
    }
}

void obn_conv_depthwise(const obn_conv_shape *s, const float *x, const float *w, const obn_conv_epilogue *ep,
                        float *y, int threads)
{
    dw_geom g = geometry(s);
    int64_t mult = s->out_channels / s->in_channels, planes = s->batch * s->out_channels;
    int64_t in_plane = g.ih * g.iw, out_plane = g.oh * g.ow, taps = g.kh * g.kw;
    double work = (double)planes * (double)out_plane * (double)taps;
    int nth = threads > 1 && work >= (double)OBN_DW_PARALLEL_MIN ? threads : 1;
#pragma omp parallel for schedule(static) num_threads(nth) if (nth > 1)
    for (int64_t p = 0; p < planes; p++) {
        int64_t b = p / s->out_channels, m = p % s->out_channels, c = m / mult;
        float bias = ep && ep->bias ? ep->bias[m] : 0.0f;
        plane(&g, x + (b * s->in_channels + c) * in_plane, w + m * taps, bias, ep, y + p * out_plane);
    }
}
