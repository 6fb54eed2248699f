#include "conv.h"

#include <omp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "conv_depthwise.h"
#include "conv_direct.h"
#include "cpu.h"
#include "im2col.h"
#include "kstop.h"
#include "peak.h"
#include "sgemm.h"
#include "sgemm_internal.h"
#include "winograd.h"

/* An (image, group) GEMM below this many multiply-adds is too small to
 * split across threads well (about a millisecond of one core's work). */
#define OBN_CONV_UNIT_SMALL ((int64_t)1 << 24)

/* Budget of one im2col chunk: half of a 512 KiB L2 (Zen 2/3; a quarter of
 * the 1-2 MiB of recent Intel cores), leaving the rest to the GEMM's A
 * blocks (src/kernels/sgemm_avx2.c: mc x kc = 120 KiB). Written and read back
 * while it is hot, the im2col matrix never goes out to memory. */
#define OBN_CONV_COL_CACHE_BYTES ((int64_t)256 << 10)

/* Chunks and thread shares of im2col columns are multiples of this: the
 * widest SGEMM panel (OBN_SGEMM_MAX_NR), so every chunk starts on a panel
 * boundary whatever the kernel. */
#define OBN_CONV_COL_GRANULE 32

/* Fewest columns per chunk, even when K x chunk outgrows the cache budget
 * (deep layers: K = 512*9): every chunk streams all of the weights again,
 * so narrow chunks would read a large A many times for little work. */
#define OBN_CONV_COL_MIN_CHUNK 64

/* Groups of at most this many input channels take the direct kernel (AVX2):
 * up to here a per-group GEMM has K = cg * kernel volume too shallow and M
 * too narrow to keep its tiles busy (ResNeXt's 4-16 channels per group). */
#define OBN_CONV_DIRECT_MAX_CG 16

/* Direct convolutions below this many multiply-adds run on one thread
 * (waking a thread costs a few microseconds, ~2^16 FMAs of one core). */
#define OBN_CONV_DIRECT_PARALLEL_MIN ((int64_t)1 << 16)

/* Winograd pays for its transforms from this many channels in and out
 * (below, the GEMMs are too shallow to dominate), and needs at least this
 * many 2x2 output tiles in all (its smaller variant's; one GEMM panel of
 * columns). */
#define OBN_WINO_MIN_CHANNELS 16
#define OBN_WINO_MIN_TILES 16

struct obn_conv_weights {
    obn_sgemm_packed_groups *gemm;
    obn_winograd_weights *wino;
};

/* -1: not read yet from OBN_WINOGRAD */
static atomic_int winograd_enabled = -1;

void obn_conv_set_winograd(int enabled) { atomic_store(&winograd_enabled, enabled ? 1 : 0); }

static int winograd_on(void)
{
    int e = atomic_load(&winograd_enabled);
    if (e < 0) {
        const char *v = getenv("OBN_WINOGRAD");
        e = !(v && strcmp(v, "0") == 0);
        atomic_store(&winograd_enabled, e);
    }
    return e;
}

static int winograd_pays(const obn_conv_shape *s)
{
    if (!obn_winograd_applicable(s) || !winograd_on()) return 0;
    int64_t tiles = s->batch * ((s->out[0] + 1) / 2) * ((s->out[1] + 1) / 2);
    return s->in_channels >= OBN_WINO_MIN_CHANNELS && s->out_channels >= OBN_WINO_MIN_CHANNELS &&
           tiles >= OBN_WINO_MIN_TILES;
}

typedef struct {
    int64_t mg, cg, k, n;   /* per group: output channels, input channels, GEMM depth, output positions */
    int64_t in_size;        /* input plane size (product of in[]) */
    int64_t chunk;          /* im2col columns per chunk */
    size_t pad_bytes;       /* im2col from a padded copy of the input (1-D, 2-D): its size, else 0 */
} conv_dims;

/* Per-group GEMM sizes (Y[mg x n] = W[mg x k] * col[k x n]) and the im2col
 * chunk width. */
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
    /* im2col columns per chunk: as many whole granules as keep the K x chunk
     * block inside OBN_CONV_COL_CACHE_BYTES (but OBN_CONV_COL_MIN_CHUNK at
     * least), so the GEMM reads it back from cache, not from memory */
    int64_t fit = d.k > 0 ? OBN_CONV_COL_CACHE_BYTES / (d.k * (int64_t)sizeof(float)) : d.n;
    d.chunk = fit / OBN_CONV_COL_GRANULE * OBN_CONV_COL_GRANULE;
    if (d.chunk < OBN_CONV_COL_MIN_CHUNK) d.chunk = OBN_CONV_COL_MIN_CHUNK;
    /* few columns and deep weights, where the SGEMM streams the weights past
     * B one K block at a time (its A-streaming loop; that block of B stays
     * in L2 whatever the chunk): one chunk of every column, so that the
     * weights are read once per image instead of once per chunk (ResNet-18
     * layer3.0 conv1, 196 columns x K 1152: 4 chunks -> 1, 2 threads 0.87x) */
    if (d.n <= OBN_SGEMM_STREAM_A_MAX_COLS && d.mg * d.k * (int64_t)sizeof(float) > OBN_SGEMM_STREAM_A_BYTES)
        d.chunk = d.n;
    if (d.chunk > d.n) d.chunk = d.n;
    d.pad_bytes = s->nd <= 2 ? ((size_t)obn_im2col_padded_floats(s, d.cg) * sizeof(float) + 63) & ~(size_t)63 : 0;
    return d;
}

obn_conv_algo obn_conv_algorithm(const obn_conv_shape *s)
{
    if (winograd_pays(s)) return OBN_CONV_WINOGRAD;
    /* the in-place vector depthwise kernel beats the direct one (padded
     * copy) on every depthwise layer of the zoo, 1.2-6.8x (cnn.md) */
    if (obn_dw_simd_applicable(s)) return OBN_CONV_DEPTHWISE;
    if (s->groups > 1 && s->nd <= 2 && s->in_channels / s->groups <= OBN_CONV_DIRECT_MAX_CG &&
        s->kernel[0] * (s->nd == 2 ? s->kernel[1] : 1) <= OBN_CONV_DIRECT_MAX_TAPS && obn_cpu_isa() >= OBN_ISA_AVX2)
        return OBN_CONV_DIRECT;
    if (s->groups == s->in_channels && s->groups > 1 && s->nd <= 2) return OBN_CONV_DEPTHWISE;
    for (int i = 0; i < s->nd; i++)
        if (s->kernel[i] != 1 || s->stride[i] != 1 || s->pad[i] != 0 || s->out[i] != s->in[i])
            return OBN_CONV_IM2COL;
    return OBN_CONV_POINTWISE;
}

void obn_conv_fill_bias(const obn_conv_shape *s, const obn_conv_epilogue *ep, float *y)
{
    int64_t plane = 1;
    for (int i = 0; i < s->nd; i++) plane *= s->out[i];
    for (int64_t p = 0; p < s->batch * s->out_channels; p++) {
        float v = ep->bias ? ep->bias[p % s->out_channels] : 0.0f;
        if (ep->clamp) v = v < ep->lo ? ep->lo : v > ep->hi ? ep->hi : v;
        if (ep->leaky && v < 0.0f) v *= ep->slope;
        for (int64_t i = 0; i < plane; i++) y[p * plane + i] = v;
    }
}

/* The micro-kernel the GEMM path packs the weights for: the current
 * level's, except that on AVX-512 CPUs the AVX2 6x16 tile is taken where
 * the 14x32 one pads the per-group GEMM (rows to 14, columns to 32) more
 * than its gain, which on Zen 4 (512-bit FMAs split in two) is about 3% at
 * equal padding: measured per pointwise layer of MobileNetV2/ResNet-50,
 * 1 thread, AVX2 tile vs AVX-512 tile 1.14-1.20x faster for 24 or 32 output
 * channels, 1.05-1.08x for 64-128 at 14x14-28x28, 0.96-0.98x where both pad
 * alike (cnn.md). */
#define OBN_CONV_AVX512_GAIN_PCT 103

/* Relative cost of an m x n GEMM on kernel kr, in padded tile cells: rows
 * rounded up to whole tiles; columns to whole tiles but for the column
 * edge, which the edge kernel (ukernel_cols, sgemm_edge_simd.h) computes as
 * an L = NR/2 column half (MR FMAs per depth step) plus one FMA per column
 * left, L/MR cells each. */
static double tile_cost(const obn_sgemm_kernel *kr, int64_t m, int64_t n)
{
    int64_t rows = (m + kr->mr - 1) / kr->mr * kr->mr, half = kr->nr / 2;
    int64_t full = n / kr->nr * kr->nr, e = n - full;
    double cols = (double)full;
    if (e > 0 && !kr->ukernel_cols) cols += kr->nr;
    else if (e > 0) {
        int64_t r = e >= half ? e - half : e;
        cols += e >= half ? half : 0;
        cols += r >= kr->mr ? (double)half : (double)r * half / kr->mr;
    }
    return (double)rows * cols;
}
static const obn_sgemm_kernel *gemm_kernel(const conv_dims *d)
{
    const obn_sgemm_kernel *kr = obn_sgemm_current_kernel(), *narrow = &obn_sgemm_kernel_avx2;
    if (kr->isa != OBN_ISA_AVX512) return kr;
    /* where 512-bit FMAs are not split (Zen 5), the wide tile does twice the
     * work per cycle: 244 vs 120 GFLOP/s per micro-kernel on Zen 5 */
    int64_t gain = OBN_CONV_AVX512_GAIN_PCT * (obn_peak_avx512_full_rate() ? 2 : 1);
    return tile_cost(kr, d->mg, d->n) * 100 <= tile_cost(narrow, d->mg, d->n) * (double)gain ? kr : narrow;
}

/* The conv epilogue's clamp and leaky slope, as the GEMM applies them. */
static void take_activation(obn_sgemm_epilogue *to, const obn_conv_epilogue *ep)
{
    if (!ep) return;
    to->clamp = ep->clamp;
    to->lo = ep->lo;
    to->hi = ep->hi;
    to->leaky = ep->leaky;
    to->slope = ep->slope;
}

/* A pointwise convolution over a single position per image (the
 * squeeze-excitation FCs after a global pool: N = 1) as one GEMM over the
 * batch, Y^T[batch x M] = X^T[batch x C] * W^T + bias per column, on the
 * raw weights: at batch 1 that is the SGEMM's matrix-vector path (dot
 * products along the rows of W), where the packed GEMM would compute a
 * 14x32 tile for one useful column. */
static int single_position(const obn_conv_shape *s, const conv_dims *d, obn_conv_algo algo)
{
    return algo == OBN_CONV_POINTWISE && d->n == 1 && s->groups == 1;
}

static obn_sgemm_call single_position_call(const obn_conv_shape *s, const float *x, const float *w,
                                           const obn_conv_epilogue *ep, float *y)
{
    obn_sgemm_call c = {.m = s->batch, .n = s->out_channels, .k = s->in_channels, .alpha = 1.0f, .beta = 0.0f,
                        .c = y, .ldc = s->out_channels};
    c.a = (obn_sgemm_operand){x, s->in_channels, 0, NULL};
    c.b = (obn_sgemm_operand){w, s->in_channels, 1, NULL};
    if (ep && ep->bias) {
        c.ep.bias_kind = OBN_BIAS_COL;
        c.ep.bias = ep->bias;
    }
    take_activation(&c.ep, ep);
    return c;
}

obn_conv_weights *obn_conv_pack_weights(const obn_conv_shape *s, const float *w, int *none_needed)
{
    return obn_conv_pack_weights_scaled(s, w, NULL, 1, none_needed);
}

obn_conv_weights *obn_conv_pack_weights_scaled(const obn_conv_shape *s, const float *w, const double *row_scale,
                                               int threads, int *none_needed)
{
    obn_conv_algo algo = obn_conv_algorithm(s);
    conv_dims dd = dims_of(s);
    *none_needed = algo == OBN_CONV_DEPTHWISE || algo == OBN_CONV_DIRECT || single_position(s, &dd, algo);
    if (*none_needed) return NULL;
    obn_conv_weights *pw = calloc(1, sizeof *pw);
    if (!pw) return NULL;
    if (algo == OBN_CONV_WINOGRAD) {
        pw->wino = obn_winograd_pack_scaled(s, w, row_scale, threads);
    } else {
        conv_dims d = dims_of(s);
        pw->gemm = obn_sgemm_pack_a_groups_scaled_for(gemm_kernel(&d), s->groups, d.mg, d.k, w, d.mg * d.k, d.k,
                                                      row_scale, threads);
    }
    if (!pw->wino && !pw->gemm) {
        free(pw);
        return NULL;
    }
    return pw;
}

void obn_conv_weights_free(obn_conv_weights *pw)
{
    if (!pw) return;
    obn_sgemm_packed_groups_free(pw->gemm);
    obn_winograd_weights_free(pw->wino);
    free(pw);
}

/* The GEMM of one group and column chunk. B (k x cols) is the input itself
 * (row stride ldb) or, when packed_b is set, the im2col block already in
 * panel layout. */
static obn_sgemm_call group_call(const conv_dims *d, const float *w, const obn_conv_weights *pw,
                                 const obn_conv_epilogue *ep, int64_t g, const float *b, int64_t ldb,
                                 const obn_sgemm_packed *packed_b, int64_t cols, float *y)
{
    obn_sgemm_call c = {.m = d->mg, .n = cols, .k = d->k, .alpha = 1.0f, .beta = 0.0f, .c = y, .ldc = d->n};
    if (pw && pw->gemm) c.a.packed = pw->gemm->per_group[g];
    else c.a = (obn_sgemm_operand){w + g * d->mg * d->k, d->k, 0, NULL};
    c.b = (obn_sgemm_operand){b, ldb, 0, packed_b};
    if (ep && ep->bias) {
        c.ep.bias_kind = OBN_BIAS_ROW;
        c.ep.bias = ep->bias + g * d->mg;
    }
    take_activation(&c.ep, ep);
    return c;
}

/* Bytes of an im2col chunk in panel layout: columns rounded up to whole
 * panels of the widest kernel. */
static size_t col_bytes(const conv_dims *d)
{
    int64_t cols = (d->chunk + OBN_SGEMM_MAX_NR - 1) / OBN_SGEMM_MAX_NR * OBN_SGEMM_MAX_NR;
    /* + one panel row of slack that obn_im2col_panels_padded may write */
    return ((size_t)(d->k * cols + OBN_SGEMM_MAX_NR) * sizeof(float) + 63) & ~(size_t)63;
}

/* Whether one image-group's im2col columns are split between the threads
 * (each fills and multiplies its own chunks, in its own cache, with no
 * barrier), rather than each chunk being filled and multiplied by all
 * threads together (the GEMM then splits the rows too: better when there
 * are too few columns to share out evenly). */
static int split_columns(const conv_dims *d, int threads)
{
    int64_t granules = (d->n + OBN_CONV_COL_GRANULE - 1) / OBN_CONV_COL_GRANULE;
    return threads > 1 && (granules >= 4 * (int64_t)threads || (granules >= threads && granules % threads == 0));
}

/* Scratch of one (image, group) unit run with `threads` threads: the
 * im2col chunk plus the SGEMM's packing buffers (upper bound: weights not
 * pre-packed), once per thread when the columns are split. */
static size_t unit_workspace(const conv_dims *d, obn_conv_algo algo, int threads)
{
    float dummy = 0.0f;
    obn_sgemm_packed view, narrow_view;
    int split = algo == OBN_CONV_IM2COL && split_columns(d, threads);
    obn_sgemm_packed_b_view(&view, &dummy, d->k, d->chunk, NULL);
    obn_sgemm_call c = group_call(d, &dummy, NULL, NULL, 0, &dummy, d->n, algo == OBN_CONV_IM2COL ? &view : NULL,
                                  algo == OBN_CONV_IM2COL ? d->chunk : d->n, &dummy);
    size_t gemm = obn_sgemm_workspace_size(&c, split ? 1 : threads);
    const obn_sgemm_kernel *kr = gemm_kernel(d);
    if (kr != obn_sgemm_current_kernel()) { /* weights packed for the AVX2 tile: its B blocks */
        obn_sgemm_packed a = {kr, 'a', d->mg, d->k, &dummy, 0, 0};
        obn_sgemm_packed_b_view(&narrow_view, &dummy, d->k, d->chunk, &a);
        obn_sgemm_call cn = c;
        cn.a = (obn_sgemm_operand){NULL, 0, 0, &a};
        if (algo == OBN_CONV_IM2COL) cn.b.packed = &narrow_view;
        size_t narrow = obn_sgemm_workspace_size(&cn, split ? 1 : threads);
        if (narrow > gemm) gemm = narrow;
    }
    size_t col = algo == OBN_CONV_IM2COL ? col_bytes(d) : 0;
    size_t one = col + ((gemm + 63) & ~(size_t)63);
    size_t pad = algo == OBN_CONV_IM2COL ? d->pad_bytes : 0; /* shared by the threads */
    return pad + (split ? (size_t)threads * one : one);
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

/* The im2col path's scratch for a shape whatever algorithm it would pick. */
static size_t im2col_workspace(const obn_conv_shape *s, obn_conv_algo algo, int threads)
{
    conv_dims d = dims_of(s);
    if (d.n == 0 || d.mg == 0) return 0;
    if (outer_parallel(s, &d, threads)) return (size_t)threads * unit_workspace(&d, algo, 1);
    return unit_workspace(&d, algo, threads);
}

size_t obn_conv_workspace_size(const obn_conv_shape *s, int threads)
{
    obn_conv_algo algo = obn_conv_algorithm(s);
    if (algo == OBN_CONV_WINOGRAD) { /* or im2col, when the weights were not packed */
        size_t wino = obn_winograd_workspace_size(s, NULL), col = im2col_workspace(s, OBN_CONV_IM2COL, threads);
        return wino > col ? wino : col;
    }
    if (algo == OBN_CONV_DEPTHWISE) return 0;
    conv_dims d = dims_of(s);
    if (algo == OBN_CONV_DIRECT) return (size_t)threads * d.pad_bytes;
    if (single_position(s, &d, algo)) {
        float dummy = 0.0f;
        obn_sgemm_call c = single_position_call(s, &dummy, &dummy, NULL, &dummy);
        return obn_sgemm_workspace_size(&c, threads);
    }
    return im2col_workspace(s, algo, threads);
}

typedef struct {
    const obn_conv_shape *s;
    conv_dims d;
    obn_conv_algo algo;
    const float *x, *w;
    const obn_conv_weights *pw;
    const obn_conv_epilogue *ep;
    float *y;
    const obn_kstop *stop; /* the caller's, for the GEMMs run on worker threads */
} conv_job;

/* im2col columns [n0, n1) of image-group (xg, g) in chunks: each chunk is
 * filled into ws in panel layout and multiplied, with `threads` threads. */
static int im2col_columns(const conv_job *j, const float *xg, const float *padded, float *yg, int64_t g, int64_t n0,
                          int64_t n1, char *ws, size_t ws_bytes, int threads)
{
    const conv_dims *d = &j->d;
    size_t cb = col_bytes(d);
    const obn_sgemm_packed *like = j->pw && j->pw->gemm ? j->pw->gemm->per_group[g] : NULL;
    int nr = obn_sgemm_b_panel_width(like);
    if (ws_bytes < cb) return -1;
    for (int64_t c0 = n0; c0 < n1; c0 += d->chunk) {
        if (obn_kstop_hit(j->stop)) return 0;
        int64_t c1 = c0 + d->chunk < n1 ? c0 + d->chunk : n1;
        obn_sgemm_packed view;
        if (padded) obn_im2col_panels_padded(j->s, padded, d->cg, c0, c1, nr, (float *)ws, threads);
        else obn_im2col_panels(j->s, xg, d->cg, c0, c1, nr, (float *)ws, threads);
        obn_sgemm_packed_b_view(&view, (float *)ws, d->k, c1 - c0, like);
        obn_sgemm_call c = group_call(d, j->w, j->pw, j->ep, g, NULL, 0, &view, c1 - c0, yg + c0);
        c.stop = j->stop;
        if (obn_sgemm_run(&c, ws + cb, ws_bytes - cb, threads)) return -1;
    }
    return 0;
}

/* Image b, group g: Y[b, g] = W[g] * col(X[b, g]). */
static int run_unit(const conv_job *j, int64_t b, int64_t g, char *ws, size_t ws_bytes, int threads)
{
    const conv_dims *d = &j->d;
    const float *xg = j->x + (b * j->s->in_channels + g * d->cg) * d->in_size;
    float *yg = j->y + (b * j->s->out_channels + g * d->mg) * d->n;
    if (j->algo == OBN_CONV_POINTWISE) {
        obn_sgemm_call c = group_call(d, j->w, j->pw, j->ep, g, xg, d->n, NULL, d->n, yg);
        c.stop = j->stop;
        return obn_sgemm_run(&c, ws, ws_bytes, threads) ? -1 : 0;
    }
    const float *padded = NULL;
    if (d->pad_bytes) {
        if (ws_bytes < d->pad_bytes) return -1;
        obn_im2col_pad(j->s, xg, d->cg, (float *)ws, threads);
        padded = (const float *)ws;
        ws += d->pad_bytes;
        ws_bytes -= d->pad_bytes;
    }
    if (!split_columns(d, threads)) return im2col_columns(j, xg, padded, yg, g, 0, d->n, ws, ws_bytes, threads);
    /* each thread an equal share of whole granules, in its own workspace */
    size_t per = ws_bytes / (size_t)threads & ~(size_t)63;
    int64_t granules = (d->n + OBN_CONV_COL_GRANULE - 1) / OBN_CONV_COL_GRANULE;
    int failed = 0;
#pragma omp parallel num_threads(threads) reduction(| : failed)
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        int64_t n0 = granules * t / nt * OBN_CONV_COL_GRANULE, n1 = granules * (t + 1) / nt * OBN_CONV_COL_GRANULE;
        if (n1 > d->n) n1 = d->n;
        if (n0 < n1) failed |= im2col_columns(j, xg, padded, yg, g, n0, n1, ws + (size_t)t * per, per, 1);
    }
    return failed ? -1 : 0;
}

/* Pointwise and im2col paths: units in sequence with parallel kernels, or
 * units spread over the threads (outer_parallel). */
static int run_gemm_path(const conv_job *j, char *ws, size_t ws_bytes, int threads)
{
    int64_t units = j->s->batch * j->s->groups;
    if (single_position(j->s, &j->d, j->algo)) {
        obn_sgemm_call c = single_position_call(j->s, j->x, j->w, j->ep, j->y);
        return obn_sgemm_run(&c, ws, ws_bytes, threads) ? -1 : 0;
    }
    if (!outer_parallel(j->s, &j->d, threads)) {
        for (int64_t u = 0; u < units && !obn_kstop_hit(j->stop); u++)
            if (run_unit(j, u / j->s->groups, u % j->s->groups, ws, ws_bytes, threads)) return -1;
        return 0;
    }
    size_t per = unit_workspace(&j->d, j->algo, 1);
    int failed = 0;
#pragma omp parallel for schedule(static) num_threads(threads) reduction(| : failed)
    for (int64_t u = 0; u < units; u++)
        if (!obn_kstop_hit(j->stop))
            failed |= run_unit(j, u / j->s->groups, u % j->s->groups, ws + (size_t)omp_get_thread_num() * per, per, 1);
    return failed ? -1 : 0;
}

/* Image-group u of the direct path, padded into `pad`. */
static void direct_unit(const conv_job *j, const obn_conv2d_geom *g, int64_t u, float *pad)
{
    const obn_conv_shape *s = j->s;
    const conv_dims *d = &j->d;
    int64_t b = u / s->groups, grp = u % s->groups;
    obn_im2col_pad(s, j->x + (b * s->in_channels + grp * d->cg) * d->in_size, d->cg, pad, 1);
    const float *bias = j->ep && j->ep->bias ? j->ep->bias + grp * d->mg : NULL;
    obn_conv_direct_avx2(g, d->cg, d->mg, pad, j->w + grp * d->mg * d->k, bias, j->ep,
                         j->y + (b * s->out_channels + grp * d->mg) * d->n, j->stop);
}

/* Direct path: the image-groups spread over the threads, each padded into
 * its thread's share of the workspace (d.pad_bytes each). */
static int run_direct(const conv_job *j, char *ws, int threads)
{
    const obn_conv_shape *s = j->s;
    const conv_dims *d = &j->d;
    obn_conv2d_geom g = obn_conv2d_geometry(s);
    int64_t units = s->batch * s->groups;
    double work = (double)units * (double)d->mg * (double)d->n * (double)d->k;
    if (threads > 1 && units > 1 && work >= (double)OBN_CONV_DIRECT_PARALLEL_MIN) {
#pragma omp parallel for schedule(static) num_threads(threads)
        for (int64_t u = 0; u < units; u++)
            if (!obn_kstop_hit(j->stop))
                direct_unit(j, &g, u, (float *)(ws + (size_t)omp_get_thread_num() * d->pad_bytes));
    } else {
        for (int64_t u = 0; u < units && !obn_kstop_hit(j->stop); u++) direct_unit(j, &g, u, (float *)ws);
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
    if (algo == OBN_CONV_WINOGRAD && pw && pw->wino) {
        obn_winograd_run(s, x, pw->wino, ep, y, workspace, threads);
        free(own);
        return 0;
    }
    if (algo == OBN_CONV_WINOGRAD) algo = OBN_CONV_IM2COL;
    conv_job j = {s, dims_of(s), algo, x, w, pw, ep, y, obn_kstop_get()};
    int rc = algo == OBN_CONV_DIRECT ? run_direct(&j, workspace, threads)
                                     : run_gemm_path(&j, workspace, workspace_bytes, threads);
    free(own);
    return rc;
}
