#include "conv.h"

#include <stdlib.h>
#include <string.h>

#include "conv_depthwise.h"
#include "sgemm.h"

/* im2col rows below this many elements in total are copied on one thread. */
#define OBN_IM2COL_PARALLEL_MIN ((int64_t)1 << 15)

struct obn_conv_weights {
    int64_t groups;
    obn_sgemm_packed **per_group;
};

typedef struct {
    int64_t mg, cg, k, n;   /* per group: output channels, input channels, GEMM depth, output positions */
    int64_t in_size;        /* input plane size (product of in[]) */
    int64_t chunk;          /* im2col columns per chunk */
} conv_dims;

static conv_dims dims_of(const obn_conv_shape *s)
{
    conv_dims d;
    int64_t kvol = 1;
    d.n = 1;
    d.in_size = 1;
    for (int i = 0; i < s->nd; i++) {
        kvol *= s->kernel[i];
        d.n *= s->out[i];
        d.in_size *= s->in[i];
    }
    d.mg = s->out_channels / s->groups;
    d.cg = s->in_channels / s->groups;
    d.k = d.cg * kvol;
    /* whole columns when K x N fits OBN_CONV_COL_BYTES, else chunks of a
     * multiple of 64 columns (a multiple of every kernel's NR) */
    int64_t fit = d.k > 0 ? OBN_CONV_COL_BYTES / (d.k * (int64_t)sizeof(float)) : d.n;
    d.chunk = d.n <= fit ? d.n : (fit / 64 > 0 ? fit / 64 * 64 : 64);
    if (d.chunk > d.n) d.chunk = d.n;
    return d;
}

obn_conv_algo obn_conv_algorithm(const obn_conv_shape *s)
{
    if (s->groups == s->in_channels && s->groups > 1 && s->nd <= 2) return OBN_CONV_DEPTHWISE;
    for (int i = 0; i < s->nd; i++)
        if (s->kernel[i] != 1 || s->stride[i] != 1 || s->pad[i] != 0 || s->out[i] != s->in[i])
            return OBN_CONV_IM2COL;
    return OBN_CONV_POINTWISE;
}

void obn_conv_weights_free(obn_conv_weights *pw)
{
    if (!pw) return;
    for (int64_t g = 0; g < pw->groups && pw->per_group; g++) obn_sgemm_packed_free(pw->per_group[g]);
    free(pw->per_group);
    free(pw);
}

obn_conv_weights *obn_conv_pack_weights(const obn_conv_shape *s, const float *w, int *none_needed)
{
    *none_needed = obn_conv_algorithm(s) == OBN_CONV_DEPTHWISE;
    if (*none_needed) return NULL;
    conv_dims d = dims_of(s);
    obn_conv_weights *pw = calloc(1, sizeof *pw);
    if (!pw) return NULL;
    pw->groups = s->groups;
    pw->per_group = calloc((size_t)s->groups, sizeof *pw->per_group);
    if (!pw->per_group) {
        free(pw);
        return NULL;
    }
    for (int64_t g = 0; g < s->groups; g++) {
        pw->per_group[g] = obn_sgemm_pack_a(d.mg, d.k, w + g * d.mg * d.k, d.k, 0);
        if (!pw->per_group[g]) {
            obn_conv_weights_free(pw);
            return NULL;
        }
    }
    return pw;
}

/* The GEMM of one group and column chunk; B (k x cols, row stride ldb) is
 * the im2col block or the input itself. */
static obn_sgemm_call group_call(const conv_dims *d, const float *w,
                                 const obn_conv_weights *pw, const obn_conv_epilogue *ep, int64_t g, const float *b,
                                 int64_t ldb, int64_t cols, float *y)
{
    obn_sgemm_call c = {.m = d->mg, .n = cols, .k = d->k, .alpha = 1.0f, .beta = 0.0f, .c = y, .ldc = d->n};
    if (pw) c.a.packed = pw->per_group[g];
    else c.a = (obn_sgemm_operand){w + g * d->mg * d->k, d->k, 0, NULL};
    c.b = (obn_sgemm_operand){b, ldb, 0, NULL};
    if (ep && ep->bias) {
        c.ep.bias_kind = OBN_BIAS_ROW;
        c.ep.bias = ep->bias + g * d->mg;
    }
    if (ep) {
        c.ep.clamp = ep->clamp;
        c.ep.lo = ep->lo;
        c.ep.hi = ep->hi;
        c.ep.leaky = ep->leaky;
        c.ep.slope = ep->slope;
    }
    return c;
}

size_t obn_conv_workspace_size(const obn_conv_shape *s, int threads)
{
    obn_conv_algo algo = obn_conv_algorithm(s);
    if (algo == OBN_CONV_DEPTHWISE) return 0;
    conv_dims d = dims_of(s);
    if (d.n == 0 || d.mg == 0) return 0;
    size_t col = algo == OBN_CONV_IM2COL ? (size_t)(d.k * d.chunk) * sizeof(float) : 0;
    col = (col + 63) & ~(size_t)63;
    /* upper bound: weights not pre-packed, B never pre-packed */
    float dummy = 0.0f;
    obn_sgemm_call c = group_call(&d, &dummy, NULL, NULL, 0, &dummy, d.chunk, d.chunk, &dummy);
    c.a.ld = d.k;
    c.b.ld = d.chunk;
    c.ldc = d.chunk;
    return col + obn_sgemm_workspace_size(&c, threads);
}

/* One im2col row: input channel plane xc seen through kernel offset kidx,
 * for output positions [n0, n1) (positions in row-major order). */
static void im2col_row(const obn_conv_shape *s, const float *xc, const int64_t *kidx, int64_t n0, int64_t n1,
                       float *dst)
{
    int last = s->nd - 1;
    int64_t ow = s->out[last], iw = s->in[last], sw = s->stride[last];
    int64_t off = kidx[last] * s->dilation[last] - s->pad[last];
    /* valid output columns: 0 <= ox*sw + off < iw */
    int64_t vlo = off >= 0 ? 0 : (-off + sw - 1) / sw;
    int64_t vhi = iw - 1 - off < 0 ? 0 : (iw - 1 - off) / sw + 1;
    if (vhi > ow) vhi = ow;
    for (int64_t n = n0; n < n1;) {
        int64_t outer = n / ow, ox0 = n % ow, cnt = ow - ox0 < n1 - n ? ow - ox0 : n1 - n;
        int64_t base = 0, rem = outer, scale = iw;
        int inside = 1;
        for (int dd = last - 1; dd >= 0; dd--) {
            int64_t od = rem % s->out[dd], id = od * s->stride[dd] - s->pad[dd] + kidx[dd] * s->dilation[dd];
            rem /= s->out[dd];
            if (id < 0 || id >= s->in[dd]) inside = 0;
            base += id * scale;
            scale *= s->in[dd];
        }
        for (int64_t i = 0; i < cnt; i++) {
            int64_t ox = ox0 + i;
            if (!inside || ox < vlo || ox >= vhi) {
                dst[i] = 0.0f;
            } else if (sw == 1) { /* the rest of the valid run is contiguous */
                int64_t run = (vhi < ox0 + cnt ? vhi : ox0 + cnt) - ox;
                memcpy(dst + i, xc + base + ox + off, (size_t)run * sizeof(float));
                i += run - 1;
            } else {
                dst[i] = xc[base + ox * sw + off];
            }
        }
        dst += cnt;
        n += cnt;
    }
}

/* col[r][0..n1-n0) for every row r = (channel, kernel offset) of a group. */
static void im2col(const obn_conv_shape *s, const conv_dims *d, const float *xg, int64_t n0, int64_t n1, float *col,
                   int threads)
{
    int64_t kvol = d->k / d->cg, width = n1 - n0;
    int nth = threads > 1 && (double)d->k * (double)width >= (double)OBN_IM2COL_PARALLEL_MIN ? threads : 1;
#pragma omp parallel for schedule(static) num_threads(nth) if (nth > 1)
    for (int64_t r = 0; r < d->k; r++) {
        int64_t c = r / kvol, rem = r % kvol, kidx[OBN_CONV_MAX_DIMS];
        for (int dd = s->nd - 1; dd >= 0; dd--) {
            kidx[dd] = rem % s->kernel[dd];
            rem /= s->kernel[dd];
        }
        im2col_row(s, xg + c * d->in_size, kidx, n0, n1, col + r * width);
    }
}

/* Pointwise and im2col paths: a GEMM per (image, group, column chunk). */
static int run_gemm_path(const obn_conv_shape *s, obn_conv_algo algo, const float *x, const float *w,
                         const obn_conv_weights *pw, const obn_conv_epilogue *ep, float *y, char *ws, size_t ws_bytes,
                         int threads)
{
    conv_dims d = dims_of(s);
    size_t col_bytes = algo == OBN_CONV_IM2COL ? (((size_t)(d.k * d.chunk) * sizeof(float) + 63) & ~(size_t)63) : 0;
    float *col = (float *)ws;
    for (int64_t b = 0; b < s->batch; b++)
        for (int64_t g = 0; g < s->groups; g++) {
            const float *xg = x + (b * s->in_channels + g * d.cg) * d.in_size;
            float *yg = y + (b * s->out_channels + g * d.mg) * d.n;
            if (algo == OBN_CONV_POINTWISE) {
                obn_sgemm_call c = group_call(&d, w, pw, ep, g, xg, d.n, d.n, yg);
                if (obn_sgemm_run(&c, ws, ws_bytes, threads)) return -1;
                continue;
            }
            for (int64_t n0 = 0; n0 < d.n; n0 += d.chunk) {
                int64_t n1 = n0 + d.chunk < d.n ? n0 + d.chunk : d.n;
                im2col(s, &d, xg, n0, n1, col, threads);
                obn_sgemm_call c = group_call(&d, w, pw, ep, g, col, n1 - n0, n1 - n0, yg + n0);
                if (obn_sgemm_run(&c, ws + col_bytes, ws_bytes - col_bytes, threads)) return -1;
            }
        }
    return 0;
}

int obn_conv_run(const obn_conv_shape *s, const float *x, const float *w, const obn_conv_weights *pw,
                 const obn_conv_epilogue *ep, float *y, void *workspace, size_t workspace_bytes, int threads)
{
    obn_conv_algo algo = obn_conv_algorithm(s);
    if (algo == OBN_CONV_DEPTHWISE) {
        obn_conv_depthwise(s, x, w, ep, y, threads);
        return 0;
    }
    size_t need = obn_conv_workspace_size(s, threads);
    void *own = NULL;
    if (need && (!workspace || workspace_bytes < need)) {
        own = aligned_alloc(64, (need + 63) & ~(size_t)63);
        if (!own) return -1;
        workspace = own;
        workspace_bytes = need;
    }
    int rc = run_gemm_path(s, algo, x, w, pw, ep, y, workspace, workspace_bytes, threads);
    free(own);
    return rc;
}
