/* im2col in panel order: each nr-column panel is filled row by row
 * (K rows of nr floats, written sequentially), reading the few input rows the
 * panel's output positions see, which stay in cache from one panel to the
 * next. Writing whole rows of the K x N matrix instead would scatter every
 * nr-float piece to a different panel (a cache miss each) or need a second
 * packing pass. */
#include "im2col.h"

#include <string.h>

#include "sgemm.h"
#include "simd_clones.h"

/* Panels of at most this many floats in total run on one thread. */
#define OBN_IM2COL_PARALLEL_MIN ((int64_t)1 << 15)

/* Kernel widths up to this keep their valid-column ranges in a table. */
#define IM2COL_MAX_KW 64

typedef struct {
    const obn_conv_shape *s;
    const float *xg;
    float *dst;
    int64_t k, in_size, n0, n1;
    int nr;
    int64_t col_lo[IM2COL_MAX_KW], col_hi[IM2COL_MAX_KW]; /* per kernel column, when kernel[last] fits */
} im2col_job;

/* A stretch of the panel's positions along the last output axis. */
typedef struct {
    int64_t od[OBN_CONV_MAX_DIMS]; /* output index on the other axes */
    int64_t ox0, len;
} run;

/* Output columns [lo, hi) along the last axis whose input column
 * ox*stride + kx*dilation - pad lies inside the input. */
static void valid_columns(const obn_conv_shape *s, int64_t kx, int64_t *lo, int64_t *hi)
{
    int last = s->nd - 1;
    int64_t sw = s->stride[last], off = kx * s->dilation[last] - s->pad[last], iw = s->in[last];
    *lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
    *hi = iw - 1 - off < 0 ? 0 : (iw - 1 - off) / sw + 1;
    if (*hi > s->out[last]) *hi = s->out[last];
}

/* dst[0..n) = src[0], src[stride], ... (n <= 32): fixed-size copies inline
 * as vector moves where a memcpy call would cost more than the copy. */
static inline void gather(float *dst, const float *src, int64_t stride, int64_t n)
{
    int64_t i = 0;
    if (stride == 1) {
        for (; i + 8 <= n; i += 8) __builtin_memcpy(dst + i, src + i, 8 * sizeof(float));
        for (; i < n; i++) dst[i] = src[i];
    } else if (stride == 2) {
        for (; i < n; i++) dst[i] = src[2 * i];
    } else {
        for (; i < n; i++) dst[i] = src[i * stride];
    }
}

/* Splits the panel's w positions starting at `first` into runs. */
static int panel_runs(const obn_conv_shape *s, int64_t first, int64_t w, run *runs)
{
    int last = s->nd - 1, n = 0;
    int64_t ow = s->out[last], rem = first / ow, ox0 = first % ow, od[OBN_CONV_MAX_DIMS];
    for (int dd = last - 1; dd >= 0; dd--) {
        od[dd] = rem % s->out[dd];
        rem /= s->out[dd];
    }
    while (w > 0) {
        runs[n].ox0 = ox0;
        runs[n].len = ow - ox0 < w ? ow - ox0 : w;
        memcpy(runs[n].od, od, sizeof od);
        w -= runs[n].len;
        ox0 = 0;
        n++;
        for (int dd = last - 1; dd >= 0 && ++od[dd] == s->out[dd]; dd--) od[dd] = 0;
    }
    return n;
}

/* One row (input channel plane xc, kernel offset kidx) of a panel. */
static inline void panel_row(const im2col_job *j, const run *runs, int nruns, const float *xc, const int64_t *kidx,
                             float *dr)
{
    const obn_conv_shape *s = j->s;
    int last = s->nd - 1;
    int64_t sw = s->stride[last], off = kidx[last] * s->dilation[last] - s->pad[last], vlo, vhi, pos = 0;
    if (s->kernel[last] <= IM2COL_MAX_KW) vlo = j->col_lo[kidx[last]], vhi = j->col_hi[kidx[last]];
    else valid_columns(s, kidx[last], &vlo, &vhi);
    for (int ri = 0; ri < nruns; ri++) {
        const run *rn = &runs[ri];
        int64_t base = 0, scale = s->in[last], ox1 = rn->ox0 + rn->len;
        int inside = 1;
        for (int dd = last - 1; dd >= 0; dd--) {
            int64_t id = rn->od[dd] * s->stride[dd] - s->pad[dd] + kidx[dd] * s->dilation[dd];
            if (id < 0 || id >= s->in[dd]) inside = 0;
            base += id * scale;
            scale *= s->in[dd];
        }
        int64_t a = inside && vlo > rn->ox0 ? vlo : rn->ox0, b = inside && vhi < ox1 ? vhi : ox1;
        if (!inside || b < a) a = b = ox1;
        for (int64_t ox = rn->ox0; ox < a; ox++) dr[pos++] = 0.0f;
        gather(dr + pos, xc + base + a * sw + off, sw, b - a);
        pos += b - a;
        for (int64_t ox = b; ox < ox1; ox++) dr[pos++] = 0.0f;
    }
    for (; pos < j->nr; pos++) dr[pos] = 0.0f;
}

/* Panel q: K rows, walking (input channel, kernel offset) as an odometer. */
OBN_CLONES
static void fill_panel(const im2col_job *j, int64_t q)
{
    const obn_conv_shape *s = j->s;
    int64_t first = j->n0 + q * j->nr, w = j->n1 - first < j->nr ? j->n1 - first : j->nr;
    run runs[32]; /* w <= nr <= 32 positions: at most 32 runs */
    int nruns = panel_runs(s, first, w, runs);
    int64_t kidx[OBN_CONV_MAX_DIMS] = {0}, c = 0;
    float *panel = j->dst + q * j->k * j->nr;
    for (int64_t r = 0; r < j->k; r++) {
        panel_row(j, runs, nruns, j->xg + c * j->in_size, kidx, panel + r * j->nr);
        int dd = s->nd - 1;
        while (dd >= 0 && ++kidx[dd] == s->kernel[dd]) kidx[dd--] = 0;
        if (dd < 0) c++;
    }
}

void obn_im2col_panels(const obn_conv_shape *s, const float *xg, int64_t cg, int64_t n0, int64_t n1, int nr,
                       float *dst, int threads)
{
    im2col_job j = {.s = s, .xg = xg, .dst = dst, .n0 = n0, .n1 = n1, .nr = nr};
    int last = s->nd - 1;
    j.k = cg;
    j.in_size = 1;
    for (int i = 0; i < s->nd; i++) {
        j.k *= s->kernel[i];
        j.in_size *= s->in[i];
    }
    for (int64_t kx = 0; kx < s->kernel[last] && kx < IM2COL_MAX_KW; kx++)
        valid_columns(s, kx, &j.col_lo[kx], &j.col_hi[kx]);
    int64_t panels = (n1 - n0 + nr - 1) / nr;
    if (threads > 1 && panels > 1 && (double)j.k * (double)(n1 - n0) >= (double)OBN_IM2COL_PARALLEL_MIN) {
#pragma omp parallel for schedule(static) num_threads(threads)
        for (int64_t q = 0; q < panels; q++) fill_panel(&j, q);
    } else {
        for (int64_t q = 0; q < panels; q++) fill_panel(&j, q);
    }
}

/* ------------------------------------------------------ from a padded copy */

obn_conv2d_geom obn_conv2d_geometry(const obn_conv_shape *s)
{
    obn_conv2d_geom g;
    int two = s->nd == 2, w = two ? 1 : 0;
    g.ih = two ? s->in[0] : 1;
    g.oh = two ? s->out[0] : 1;
    g.kh = two ? s->kernel[0] : 1;
    g.sh = two ? s->stride[0] : 1;
    g.dh = two ? s->dilation[0] : 1;
    g.ph = two ? s->pad[0] : 0;
    g.iw = s->in[w];
    g.ow = s->out[w];
    g.kw = s->kernel[w];
    g.sw = s->stride[w];
    g.dw = s->dilation[w];
    g.pw = s->pad[w];
    g.hp = (g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1;
    int64_t wp = (g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1;
    g.wq = (wp + g.sw - 1) / g.sw;
    return g;
}

int64_t obn_im2col_padded_floats(const obn_conv_shape *s, int64_t cg)
{
    obn_conv2d_geom g = obn_conv2d_geometry(s);
    return cg * g.sw * g.hp * g.wq + OBN_SGEMM_MAX_NR;
}

/* Phase plane p of one channel: padded row i, column j holds input
 * (i - ph, j*sw + p - pw), zero outside the input. */
OBN_CLONES
static void pad_phase(const obn_conv2d_geom *g, const float *xc, int64_t p, float *dst)
{
    for (int64_t i = 0; i < g->hp; i++) {
        float *dr = dst + i * g->wq;
        int64_t row = i - g->ph;
        if (row < 0 || row >= g->ih) {
            memset(dr, 0, (size_t)g->wq * sizeof(float));
            continue;
        }
        const float *xr = xc + row * g->iw;
        /* columns j with 0 <= j*sw + p - pw < iw */
        int64_t off = p - g->pw, lo = off >= 0 ? 0 : (-off + g->sw - 1) / g->sw;
        int64_t hi = g->iw - off <= 0 ? 0 : (g->iw - off + g->sw - 1) / g->sw;
        if (hi > g->wq) hi = g->wq;
        if (lo > hi) lo = hi;
        for (int64_t j = 0; j < lo; j++) dr[j] = 0.0f;
        if (g->sw == 1) memcpy(dr + lo, xr + lo + off, (size_t)(hi - lo) * sizeof(float));
        else if (g->sw == 2) /* a constant stride: vectorised with permutes */
            for (int64_t j = lo; j < hi; j++) dr[j] = xr[2 * j + off];
        else
            for (int64_t j = lo; j < hi; j++) dr[j] = xr[j * g->sw + off];
        for (int64_t j = hi; j < g->wq; j++) dr[j] = 0.0f;
    }
}

void obn_im2col_pad(const obn_conv_shape *s, const float *xg, int64_t cg, float *padded, int threads)
{
    obn_conv2d_geom g = obn_conv2d_geometry(s);
    int64_t in_plane = g.ih * g.iw, phase = g.hp * g.wq, planes = cg * g.sw;
    int par = threads > 1 && planes > 1 && (double)planes * (double)phase >= (double)OBN_IM2COL_PARALLEL_MIN;
    if (par) {
#pragma omp parallel for schedule(static) num_threads(threads)
        for (int64_t q = 0; q < planes; q++) pad_phase(&g, xg + (q / g.sw) * in_plane, q % g.sw, padded + q * phase);
    } else { /* no OpenMP call at all: this also runs inside other parallel regions */
        for (int64_t q = 0; q < planes; q++) pad_phase(&g, xg + (q / g.sw) * in_plane, q % g.sw, padded + q * phase);
    }
    memset(padded + planes * phase, 0, OBN_SGEMM_MAX_NR * sizeof(float)); /* the slack: read, never used */
}

/* nr floats from src to dst; nr is a compile-time constant in each branch,
 * so each copy is a few vector moves. */
static inline void copy_nr(float *dst, const float *src, int nr)
{
    switch (nr) {
    case 8: __builtin_memcpy(dst, src, 8 * sizeof(float)); break;
    case 16: __builtin_memcpy(dst, src, 16 * sizeof(float)); break;
    case 32: __builtin_memcpy(dst, src, 32 * sizeof(float)); break;
    default: memcpy(dst, src, (size_t)nr * sizeof(float));
    }
}

/* Panel q of the chunk: for each of the (at most nr) output rows the panel's
 * columns touch, one run (first lane, offset of its first output in a
 * phase plane). Each row of the panel is then filled by copying nr floats
 * per run, in lane order: a run's copy spills past its own lanes into the
 * next run's (and, for the last, into the next row), which is overwritten
 * afterwards; the panel's last row is copied run by run at exact length, so
 * nothing is written past the panel and panels can be filled in parallel.
 * Lanes past the chunk's last column are zeroed. */
static void fill_panel_padded(const obn_conv2d_geom *g, const float *padded, int64_t k, int64_t first, int64_t w, int nr,
                              float *panel)
{
    int64_t lane[OBN_SGEMM_MAX_NR], src[OBN_SGEMM_MAX_NR];
    int nruns = 0;
    for (int64_t l = 0; l < w;) {
        int64_t pos = first + l, oy = pos / g->ow, ox = pos % g->ow, len = g->ow - ox;
        lane[nruns] = l;
        src[nruns++] = oy * g->sh * g->wq + ox;
        l += len;
    }
    int64_t phase = g->hp * g->wq, kx = 0, ky = 0, c = 0;
    for (int64_t r = 0; r < k; r++) {
        int64_t t = kx * g->dw;
        const float *base = padded + (c * g->sw + t % g->sw) * phase + ky * g->dh * g->wq + t / g->sw;
        float *dr = panel + r * nr;
        if (r + 1 < k) {
            for (int i = 0; i < nruns; i++) copy_nr(dr + lane[i], base + src[i], nr);
        } else { /* the panel's last row: exact runs, nothing past the panel */
            for (int i = 0; i < nruns; i++)
                memcpy(dr + lane[i], base + src[i], (size_t)((i + 1 < nruns ? lane[i + 1] : w) - lane[i]) * sizeof(float));
        }
        for (int64_t l = w; l < nr; l++) dr[l] = 0.0f;
        if (++kx == g->kw) {
            kx = 0;
            if (++ky == g->kh) ky = 0, c++;
        }
    }
}

void obn_im2col_panels_padded(const obn_conv_shape *s, const float *padded, int64_t cg, int64_t n0, int64_t n1,
                              int nr, float *dst, int threads)
{
    obn_conv2d_geom g = obn_conv2d_geometry(s);
    int64_t k = cg * g.kh * g.kw, panels = (n1 - n0 + nr - 1) / nr;
    int par = threads > 1 && panels > 1 && (double)k * (double)(n1 - n0) >= (double)OBN_IM2COL_PARALLEL_MIN;
    /* panels are independent: a panel's copies stay inside it (its last row
     * is copied exactly) */
#pragma omp parallel for schedule(static) num_threads(threads) if (par)
    for (int64_t q = 0; q < panels; q++) {
        int64_t first = n0 + q * nr, w = n1 - first < nr ? n1 - first : nr;
        fill_panel_padded(&g, padded, k, first, w, nr, dst + q * k * nr);
    }
}
