#include "conv_transpose.h"

#include <omp.h>
#include <stdlib.h>

#include "col2im.h"
#include "kstop.h"
#include "sgemm.h"

/* Column chunk limit of the GEMM: 8 MiB keeps the column block inside a
 * typical L3 and bounds the workspace for huge inputs. */
#define OBN_CONVT_COL_BYTES ((int64_t)8 << 20)

/* An (image, group) unit below this many multiply-adds is too small to split
 * across threads well (about a millisecond of one core's work; as in
 * conv.c). */
#define OBN_CONVT_UNIT_SMALL ((int64_t)1 << 24)

typedef struct {
    int64_t mg, cg, kvol;   /* per group: output channels, input channels; kernel volume */
    int64_t rows;           /* GEMM m = mg * kvol (rows of the column matrix) */
    int64_t n;              /* GEMM n = input positions (product of in[]) */
    int64_t out_size;       /* output plane size (product of out[]) */
    int64_t chunk;          /* columns per GEMM + scatter step */
    int pointwise;          /* the GEMM writes Y directly (no scatter) */
} convt_dims;

/* 1x..x1 kernel, stride 1, no padding, output as large as the input: the
 * column matrix is the output itself. */
static int is_pointwise(const obn_conv_shape *s)
{
    for (int i = 0; i < s->nd; i++)
        if (s->kernel[i] != 1 || s->stride[i] != 1 || s->pad[i] != 0 || s->out[i] != s->in[i]) return 0;
    return 1;
}

/* Per-group GEMM sizes and the column chunk width: whole columns when
 * rows x n fits OBN_CONVT_COL_BYTES, else chunks of a multiple of 64 columns
 * (a multiple of every SGEMM kernel's panel width). */
static convt_dims dims_of(const obn_conv_shape *s)
{
    convt_dims d;
    d.kvol = 1;
    d.n = 1;
    d.out_size = 1;
    for (int i = 0; i < s->nd; i++) {
        d.kvol *= s->kernel[i];
        d.n *= s->in[i];
        d.out_size *= s->out[i];
    }
    d.mg = s->out_channels / s->groups;
    d.cg = s->in_channels / s->groups;
    d.rows = d.mg * d.kvol;
    d.pointwise = is_pointwise(s);
    int64_t fit = d.rows > 0 ? OBN_CONVT_COL_BYTES / (d.rows * (int64_t)sizeof(float)) : d.n;
    d.chunk = d.pointwise || d.n <= fit ? d.n : (fit / 64 > 0 ? fit / 64 * 64 : 64);
    if (d.chunk > d.n) d.chunk = d.n;
    return d;
}

obn_conv_transpose_weights *obn_conv_transpose_pack_weights(const obn_conv_shape *s, const float *w)
{
    convt_dims d = dims_of(s);
    /* W_g is [cg][mg*kvol] (row stride rows); A = W_g^T */
    return obn_sgemm_pack_a_groups(s->groups, d.rows, d.cg, w, d.cg * d.rows, d.rows, 1);
}

/* The GEMM of group g over input columns [n0, n0 + cols): C (rows x cols,
 * row stride ldc) = W_g^T * X_g[:, n0..], plus the bias per row when given. */
static obn_sgemm_call group_call(const convt_dims *d, const float *w, const obn_conv_transpose_weights *pw, int64_t g,
                                 const float *xg, int64_t n0, int64_t cols, float *c, int64_t ldc, const float *bias)
{
    obn_sgemm_call call = {.m = d->rows, .n = cols, .k = d->cg, .alpha = 1.0f, .beta = 0.0f, .c = c, .ldc = ldc};
    if (pw) call.a.packed = pw->per_group[g];
    else call.a = (obn_sgemm_operand){w + g * d->cg * d->rows, d->rows, 1, NULL};
    call.b = (obn_sgemm_operand){xg + n0, d->n, 0, NULL};
    if (bias) {
        call.ep.bias_kind = OBN_BIAS_ROW;
        call.ep.bias = bias;
    }
    return call;
}

/* Bytes of the column block (rows x chunk floats), 64-byte rounded. */
static size_t col_bytes(const convt_dims *d)
{
    return d->pointwise ? 0 : ((size_t)(d->rows * d->chunk) * sizeof(float) + 63) & ~(size_t)63;
}

/* Scratch of one (image, group) unit run with `threads` threads: the column
 * block plus the SGEMM's packing buffers (upper bound: weights not
 * pre-packed). Only sizes matter to the SGEMM here. */
static size_t unit_workspace(const convt_dims *d, int threads)
{
    float dummy = 0.0f;
    obn_sgemm_call c = group_call(d, &dummy, NULL, 0, &dummy, 0, d->chunk, &dummy, d->chunk, NULL);
    return col_bytes(d) + ((obn_sgemm_workspace_size(&c, threads) + 63) & ~(size_t)63);
}

/* Many small independent units (groups, or a batch of small images) go one
 * per thread in a single parallel region (same rule as conv.c). */
static int outer_parallel(const obn_conv_shape *s, const convt_dims *d, int threads)
{
    int64_t units = s->batch * s->groups;
    double unit_work = (double)d->rows * (double)d->n * (double)d->cg;
    if (threads < 2 || units < threads) return 0;
    return s->groups >= threads || unit_work < (double)OBN_CONVT_UNIT_SMALL;
}

size_t obn_conv_transpose_workspace_size(const obn_conv_shape *s, int threads)
{
    convt_dims d = dims_of(s);
    if (outer_parallel(s, &d, threads)) return (size_t)threads * unit_workspace(&d, 1);
    return unit_workspace(&d, threads);
}

typedef struct {
    const obn_conv_shape *s;
    convt_dims d;
    const float *x, *w, *bias;
    const obn_conv_transpose_weights *pw;
    float *y;
    const obn_kstop *stop; /* the caller's, for the GEMMs run on worker threads */
} convt_job;

/* Image b, group g: Y[b, g] = bias + col2im(W_g^T * X[b, g]), in column
 * chunks. */
static int run_unit(const convt_job *j, int64_t b, int64_t g, char *ws, size_t ws_bytes, int threads)
{
    const convt_dims *d = &j->d;
    const float *xg = j->x + (b * j->s->in_channels + g * d->cg) * d->n;
    const float *bias = j->bias ? j->bias + g * d->mg : NULL;
    float *yg = j->y + (b * j->s->out_channels + g * d->mg) * d->out_size;
    if (d->pointwise) {
        obn_sgemm_call c = group_call(d, j->w, j->pw, g, xg, 0, d->n, yg, d->n, bias);
        c.stop = j->stop;
        return obn_sgemm_run(&c, ws, ws_bytes, threads) ? -1 : 0;
    }
    size_t cb = col_bytes(d);
    if (ws_bytes < cb) return -1;
    float *cols = (float *)ws;
    for (int64_t n0 = 0; n0 < d->n && !obn_kstop_hit(j->stop); n0 += d->chunk) {
        int64_t n1 = n0 + d->chunk < d->n ? n0 + d->chunk : d->n;
        obn_sgemm_call c = group_call(d, j->w, j->pw, g, xg, n0, n1 - n0, cols, n1 - n0, NULL);
        c.stop = j->stop;
        if (obn_sgemm_run(&c, ws + cb, ws_bytes - cb, threads)) return -1;
        obn_col2im_add(j->s, d->mg, cols, n1 - n0, n0, n1, bias, n0 == 0, yg, threads);
    }
    return 0;
}

/* Units in sequence with parallel kernels, or units spread over the
 * threads (outer_parallel). */
static int run_units(const convt_job *j, char *ws, size_t ws_bytes, int threads)
{
    int64_t units = j->s->batch * j->s->groups;
    if (!outer_parallel(j->s, &j->d, threads)) {
        for (int64_t u = 0; u < units && !obn_kstop_hit(j->stop); u++)
            if (run_unit(j, u / j->s->groups, u % j->s->groups, ws, ws_bytes, threads)) return -1;
        return 0;
    }
    size_t per = unit_workspace(&j->d, 1);
    int failed = 0;
#pragma omp parallel for schedule(static) num_threads(threads) reduction(| : failed)
    for (int64_t u = 0; u < units; u++)
        if (!obn_kstop_hit(j->stop))
            failed |= run_unit(j, u / j->s->groups, u % j->s->groups, ws + (size_t)omp_get_thread_num() * per, per, 1);
    return failed ? -1 : 0;
}

int obn_conv_transpose_run(const obn_conv_shape *s, const float *x, const float *w,
                           const obn_conv_transpose_weights *pw, const float *bias, float *y, void *workspace,
                           size_t workspace_bytes, int threads)
{
    size_t need = obn_conv_transpose_workspace_size(s, threads);
    void *own = NULL;
    if (need && (!workspace || workspace_bytes < need)) {
        own = aligned_alloc(64, (need + 63) & ~(size_t)63);
        if (!own) return -1;
        workspace = own;
        workspace_bytes = need;
    }
    convt_job j = {s, dims_of(s), x, w, bias, pw, y, obn_kstop_get()};
    int rc = run_units(&j, workspace, workspace_bytes, threads);
    free(own);
    return rc;
}
