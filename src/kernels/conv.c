#include "conv.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "conv_depthwise.h"
#include "sgemm.h"

/* im2col rows below this many elements in total are copied on one thread. */
#define OBN_IM2COL_PARALLEL_MIN ((int64_t)1 << 15)

/* An (image, group) GEMM below this many multiply-adds is too small to
 * split across threads well (about a millisecond of one core's work). */
#define OBN_CONV_UNIT_SMALL ((int64_t)1 << 24)

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

/* Scratch of one (image, group) unit run with `threads` threads: the
 * im2col chunk plus the SGEMM's packing buffers (upper bound: weights not
 * pre-packed). */
static size_t unit_workspace(const conv_dims *d, obn_conv_algo algo, int threads)
{
    size_t col = algo == OBN_CONV_IM2COL ? (size_t)(d->k * d->chunk) * sizeof(float) : 0;
    col = (col + 63) & ~(size_t)63;
    float dummy = 0.0f;
    obn_sgemm_call c = group_call(d, &dummy, NULL, NULL, 0, &dummy, d->chunk, d->chunk, &dummy);
    c.ldc = d->chunk;
    return col + ((obn_sgemm_workspace_size(&c, threads) + 63) & ~(size_t)63);
}

/* Many small independent GEMMs (groups, or a batch of small images) go one
 * per thread in a single parallel region: one fork/join instead of several
 * per unit, and no GEMM too small to split. */
static int outer_parallel(const obn_conv_shape *s, const conv_dims *d, int threads)
{
    int64_t units = s->batch * s->groups;
    double unit_work = (double)d->mg * (double)d->n * (double)d->k;
    if (threads < 2 || units < threads) return 0;
    return s->groups >= threads || unit_work < (double)OBN_CONV_UNIT_SMALL;
}

size_t obn_conv_workspace_size(const obn_conv_shape *s, int threads)
{
    obn_conv_algo algo = obn_conv_algorithm(s);
    if (algo == OBN_CONV_DEPTHWISE) return 0;
    conv_dims d = dims_of(s);
    if (d.n == 0 || d.mg == 0) return 0;
    if (outer_parallel(s, &d, threads)) return (size_t)threads * unit_workspace(&d, algo, 1);
    return unit_workspace(&d, algo, threads);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(OBN_NO_CLONES)
#define OBN_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define OBN_SIMD_CLONES
#endif

/* dst[0..n) = src[0], src[stride], ... */
static inline void gather(float *dst, const float *src, int64_t stride, int64_t n)
{
    if (stride == 1) memcpy(dst, src, (size_t)n * sizeof(float));
    else
        for (int64_t i = 0; i < n; i++) dst[i] = src[i * stride];
}

/* One im2col row: input channel plane xc seen through kernel offset kidx,
 * for output positions [n0, n1) (positions in row-major order). Each run
 * along the last output axis is zeros, a (strided) copy, zeros. */
OBN_SIMD_CLONES
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
        int64_t outer = n / ow, ox0 = n % ow, ox1 = ow - ox0 < n1 - n ? ow : ox0 + (n1 - n);
        int64_t base = 0, rem = outer, scale = iw;
        int inside = 1;
        for (int dd = last - 1; dd >= 0; dd--) {
            int64_t od = rem % s->out[dd], id = od * s->stride[dd] - s->pad[dd] + kidx[dd] * s->dilation[dd];
            rem /= s->out[dd];
            if (id < 0 || id >= s->in[dd]) inside = 0;
            base += id * scale;
            scale *= s->in[dd];
        }
        int64_t a = inside ? (vlo > ox0 ? vlo : ox0) : ox1, b = inside ? (vhi < ox1 ? vhi : ox1) : ox1;
        if (b < a) b = a;
        for (int64_t ox = ox0; ox < a; ox++) dst[ox - ox0] = 0.0f;
        gather(dst + (a - ox0), xc + base + a * sw + off, sw, b - a);
        for (int64_t ox = b; ox < ox1; ox++) dst[ox - ox0] = 0.0f;
        dst += ox1 - ox0;
        n += ox1 - ox0;
    }
}

/* Row r of a group's im2col block: (input channel, kernel offset). */
static void im2col_one(const obn_conv_shape *s, const conv_dims *d, const float *xg, int64_t r, int64_t n0,
                       int64_t n1, float *col)
{
    int64_t kvol = d->k / d->cg, c = r / kvol, rem = r % kvol, kidx[OBN_CONV_MAX_DIMS];
    for (int dd = s->nd - 1; dd >= 0; dd--) {
        kidx[dd] = rem % s->kernel[dd];
        rem /= s->kernel[dd];
    }
    im2col_row(s, xg + c * d->in_size, kidx, n0, n1, col + r * (n1 - n0));
}

/* col[r][0..n1-n0) for every row r of a group; threads > 1 opens a parallel
 * region, 1 runs inline (safe inside an outer region). */
static void im2col(const obn_conv_shape *s, const conv_dims *d, const float *xg, int64_t n0, int64_t n1, float *col,
                   int threads)
{
    if (threads > 1 && (double)d->k * (double)(n1 - n0) >= (double)OBN_IM2COL_PARALLEL_MIN) {
#pragma omp parallel for schedule(static) num_threads(threads)
        for (int64_t r = 0; r < d->k; r++) im2col_one(s, d, xg, r, n0, n1, col);
    } else {
        for (int64_t r = 0; r < d->k; r++) im2col_one(s, d, xg, r, n0, n1, col);
    }
}

typedef struct {
    const obn_conv_shape *s;
    conv_dims d;
    obn_conv_algo algo;
    const float *x, *w;
    const obn_conv_weights *pw;
    const obn_conv_epilogue *ep;
    float *y;
} conv_job;

/* Image b, group g: Y[b, g] = W[g] * col(X[b, g]), in column chunks. */
static int run_unit(const conv_job *j, int64_t b, int64_t g, char *ws, size_t ws_bytes, int threads)
{
    const conv_dims *d = &j->d;
    const float *xg = j->x + (b * j->s->in_channels + g * d->cg) * d->in_size;
    float *yg = j->y + (b * j->s->out_channels + g * d->mg) * d->n;
    if (j->algo == OBN_CONV_POINTWISE) {
        obn_sgemm_call c = group_call(d, j->w, j->pw, j->ep, g, xg, d->n, d->n, yg);
        return obn_sgemm_run(&c, ws, ws_bytes, threads) ? -1 : 0;
    }
    size_t col_bytes = ((size_t)(d->k * d->chunk) * sizeof(float) + 63) & ~(size_t)63;
    if (ws_bytes < col_bytes) return -1;
    for (int64_t n0 = 0; n0 < d->n; n0 += d->chunk) {
        int64_t n1 = n0 + d->chunk < d->n ? n0 + d->chunk : d->n;
        im2col(j->s, d, xg, n0, n1, (float *)ws, threads);
        obn_sgemm_call c = group_call(d, j->w, j->pw, j->ep, g, (float *)ws, n1 - n0, n1 - n0, yg + n0);
        if (obn_sgemm_run(&c, ws + col_bytes, ws_bytes - col_bytes, threads)) return -1;
    }
    return 0;
}

/* Pointwise and im2col paths: units in sequence with parallel kernels, or
 * units spread over the threads (outer_parallel). */
static int run_gemm_path(const conv_job *j, char *ws, size_t ws_bytes, int threads)
{
    int64_t units = j->s->batch * j->s->groups;
    if (!outer_parallel(j->s, &j->d, threads)) {
        for (int64_t u = 0; u < units; u++)
            if (run_unit(j, u / j->s->groups, u % j->s->groups, ws, ws_bytes, threads)) return -1;
        return 0;
    }
    size_t per = unit_workspace(&j->d, j->algo, 1);
    int failed = 0;
#pragma omp parallel for schedule(static) num_threads(threads) reduction(| : failed)
    for (int64_t u = 0; u < units; u++)
        failed |= run_unit(j, u / j->s->groups, u % j->s->groups, ws + (size_t)omp_get_thread_num() * per, per, 1);
    return failed ? -1 : 0;
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
    conv_job j = {s, dims_of(s), algo, x, w, pw, ep, y};
    int rc = run_gemm_path(&j, workspace, workspace_bytes, threads);
    free(own);
    return rc;
}
