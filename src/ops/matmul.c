/* MatMul (1, 9, 13) in float32, float16, bfloat16 (13), double and (9+)
 * int32, int64, uint32, uint64, with numpy.matmul semantics:
 *   A [..., M, K] x B [..., K, N] -> [..., M, N], batch dimensions broadcast;
 *   a 1-D A is [1, K] and a 1-D B is [K, 1], and that dimension is dropped
 *   from the result.
 * When B has no batch (a weight matrix), A's batch folds into M and the
 * whole product is one SGEMM with B packed once per plan. Otherwise each
 * batch entry is one SGEMM; many small ones run in parallel over the batch.
 * float16 and bfloat16 go through float32 copies (f32_stage.h: float32
 * accumulation, one rounding of each result); double runs its own GEMM,
 * and the integers one modulo 2^64 whose results wrap to their width. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "f32_stage.h"
#include "op_helpers.h"
#include "kernels/dgemm.h"
#include "kernels/sgemm.h"
#include "op_util.h"

/* Below this many multiply-adds per product, a batch of products is split
 * across threads (one thread per product) instead of splitting each one. */
#define OBN_MATMUL_SMALL ((int64_t)1 << 20)

enum { IN_A, IN_B };

static obn_status matmul_parse(const obn_node *n, int v, void *out)
{
    (void)n;
    (void)v;
    (void)out;
    return OBN_OK;
}

#define MAXB OBN_MAX_RANK

typedef struct {
    int64_t m, n, k;
    int batch_rank;                  /* broadcast batch dimensions */
    int64_t batch[MAXB];             /* output batch sizes */
    int64_t a_stride[MAXB], b_stride[MAXB]; /* element strides per batch dim, 0 where broadcast */
    int64_t batch_count, a_batch_count, b_batch_count;
    int out_rank;
    int64_t out_dims[MAXB];
} mm_geom;

static obn_status shape_error(const obn_op_ctx *ctx, const char *what)
{
    const obn_tensor *a = ctx->inputs[IN_A], *b = ctx->inputs[IN_B];
    char as[OBN_SHAPE_STR_CAP], bs[OBN_SHAPE_STR_CAP];
    return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "%s: input 'A' ('%s') has shape %s, input 'B' ('%s') has shape %s",
                       what, obn_in_name(ctx, IN_A), obn_shape_str(a->rank, a->dims, as, sizeof as),
                       obn_in_name(ctx, IN_B), obn_shape_str(b->rank, b->dims, bs, sizeof bs));
}

/* Batch dims of a tensor of rank r (matrix rank 2) aligned to the right of
 * the output's batch_rank dims: size of output batch dim d, or 1. */
static int64_t batch_dim(const obn_tensor *t, int batch_rank, int d)
{
    int own = t->rank - 2, off = batch_rank - own;
    return d < off ? 1 : t->dims[d - off];
}

static obn_status batch_geometry(const obn_op_ctx *ctx, mm_geom *g)
{
    const obn_tensor *a = ctx->inputs[IN_A], *b = ctx->inputs[IN_B];
    int ra = a->rank > 2 ? a->rank - 2 : 0, rb = b->rank > 2 ? b->rank - 2 : 0;
    g->batch_rank = ra > rb ? ra : rb;
    g->batch_count = g->a_batch_count = g->b_batch_count = 1;
    int64_t sa = g->m * g->k, sb = g->k * g->n;
    for (int d = g->batch_rank - 1; d >= 0; d--) {
        int64_t da = a->rank > 2 ? batch_dim(a, g->batch_rank, d) : 1;
        int64_t db = b->rank > 2 ? batch_dim(b, g->batch_rank, d) : 1;
        if (da != db && da != 1 && db != 1) return shape_error(ctx, "batch dimensions do not broadcast");
        g->batch[d] = da == 1 ? db : da;
        g->a_stride[d] = da == 1 ? 0 : sa;
        g->b_stride[d] = db == 1 ? 0 : sb;
        sa *= da;
        sb *= db;
        g->a_batch_count *= da;
        g->b_batch_count *= db;
        g->batch_count *= g->batch[d];
    }
    return OBN_OK;
}

static obn_status mm_geometry(const obn_op_ctx *ctx, mm_geom *g)
{
    static const obn_dtype v1[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    static const obn_dtype v9[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_INT32,
                                   OBN_INT64,   OBN_UINT32, OBN_UINT64, OBN_UNDEFINED};
    static const obn_dtype v13[] = {OBN_FLOAT16, OBN_FLOAT,  OBN_DOUBLE, OBN_BFLOAT16, OBN_INT32,
                                    OBN_INT64,   OBN_UINT32, OBN_UINT64, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, IN_A, "A", ctx->since_version >= 13 ? v13 : ctx->since_version >= 9 ? v9 : v1));
    OBN_TRY(obn_check_same_dtype(ctx, IN_B, "B", IN_A, "A"));
    OBN_TRY(obn_check_rank(ctx, IN_A, "A", 1, OBN_MAX_RANK));
    OBN_TRY(obn_check_rank(ctx, IN_B, "B", 1, OBN_MAX_RANK));
    const obn_tensor *a = ctx->inputs[IN_A], *b = ctx->inputs[IN_B];
    memset(g, 0, sizeof *g);
    g->m = a->rank == 1 ? 1 : a->dims[a->rank - 2];
    g->k = a->dims[a->rank - 1];
    int64_t kb = b->rank == 1 ? b->dims[0] : b->dims[b->rank - 2];
    g->n = b->rank == 1 ? 1 : b->dims[b->rank - 1];
    if (kb != g->k) return shape_error(ctx, "inner dimensions differ (A's last vs B's second to last)");
    OBN_TRY(batch_geometry(ctx, g));
    for (int d = 0; d < g->batch_rank; d++) g->out_dims[g->out_rank++] = g->batch[d];
    if (a->rank > 1) g->out_dims[g->out_rank++] = g->m;
    if (b->rank > 1) g->out_dims[g->out_rank++] = g->n;
    return OBN_OK;
}

static obn_status matmul_infer(obn_op_ctx *ctx)
{
    mm_geom g;
    OBN_TRY(mm_geometry(ctx, &g));
    return obn_set_output(ctx, 0, ctx->inputs[IN_A]->dtype, g.out_rank, g.out_dims);
}

typedef struct {
    mm_geom g;
    bool fold;          /* B has no batch: one SGEMM with M' = batch*M */
    bool outer;         /* parallel over the batch, one thread per product */
    obn_dtype dtype;
    obn_sgemm_packed *packed_b;
    size_t stage_bytes; /* float32 copies of half-float A, B, Y at the workspace's front */
    size_t per_thread;  /* workspace of one single-threaded product */
    size_t workspace_bytes; /* the SGEMM's, after the staging area */
    const float *bias;  /* fused bias [N] (the node's, pass fuse_bias), or NULL */
} mm_state;

static void matmul_free_state(void *p)
{
    mm_state *st = p;
    if (!st) return;
    obn_sgemm_packed_free(st->packed_b);
    free(st);
}

/* Element offsets of batch entry e's matrices in A and B. */
static void entry_offsets(const mm_geom *g, bool fold, int64_t e, int64_t *ao, int64_t *bo)
{
    int64_t rem = e;
    *ao = *bo = 0;
    for (int d = g->batch_rank - 1; d >= 0 && !fold; d--) {
        int64_t i = rem % g->batch[d];
        rem /= g->batch[d];
        *ao += i * g->a_stride[d];
        *bo += i * g->b_stride[d];
    }
}

/* The float32 operands of a run (staged copies for half floats). */
typedef struct {
    const float *a, *b;
    float *y;
} mm_operands;

/* The product for batch entry `e` (or all of them when folded). */
static obn_sgemm_call product(const mm_operands *op, const mm_state *st, int64_t e)
{
    const mm_geom *g = &st->g;
    const float *a = op->a, *b = op->b;
    float *y = op->y;
    int64_t ao, bo;
    entry_offsets(g, st->fold, e, &ao, &bo);
    obn_sgemm_call c = {.m = st->fold ? g->m * g->a_batch_count : g->m, .n = g->n, .k = g->k, .alpha = 1.0f,
                        .ldc = g->n};
    c.a = (obn_sgemm_operand){a ? a + ao : NULL, g->k, 0, NULL};
    c.b = (obn_sgemm_operand){b ? b + bo : NULL, g->n, 0, st->packed_b};
    c.c = y ? y + e * g->m * g->n : NULL;
    if (st->bias) { /* a fused bias Add (pass fuse_bias): per column */
        c.ep.bias_kind = OBN_BIAS_COL;
        c.ep.bias = st->bias;
    }
    return c;
}

/* A constant B packed once (widened first when it is a half float). */
static obn_status pack_constant_b(const obn_op_ctx *ctx, mm_state *st)
{
    const mm_geom *g = &st->g;
    const obn_tensor *b = ctx->inputs[IN_B];
    float *wide = NULL;
    const float *src = b->data;
    if (obn_dtype_is_half(b->dtype)) {
        if (!(wide = malloc((size_t)b->numel * sizeof *wide))) return OBN_OOM();
        obn_f32_widen(b, wide, ctx->threads);
        src = wide;
    }
    st->packed_b = obn_sgemm_pack_b(g->k, g->n, src, g->n, 0);
    free(wide);
    return st->packed_b ? OBN_OK : OBN_OOM();
}

static obn_status matmul_prepare(obn_op_ctx *ctx, void **state)
{
    mm_state *st = calloc(1, sizeof *st);
    if (!st) return OBN_OOM();
    obn_status s = mm_geometry(ctx, &st->g);
    const mm_geom *g = &st->g;
    const obn_tensor *b = ctx->inputs[IN_B];
    st->dtype = ctx->inputs[IN_A]->dtype;
    st->fold = g->b_batch_count == 1;
    double work = (double)g->m * (double)g->n * (double)g->k;
    st->outer = !st->fold && g->batch_count > 1 && ctx->threads > 1 && work < (double)OBN_MATMUL_SMALL;
    bool sgemm = st->dtype == OBN_FLOAT || obn_dtype_is_half(st->dtype);
    const obn_fused_bias *fb = &ctx->node->bias;
    if (s == OBN_OK && fb->on) { /* the pass checked it against a float B; the data is checked again */
        if (st->dtype != OBN_FLOAT || !fb->data || fb->data->dtype != OBN_FLOAT || fb->data->numel != g->n)
            s = obn_ctx_err(ctx, OBN_E_RUNTIME, "fused bias does not match the MatMul (N = %lld)", (long long)g->n);
        else st->bias = fb->data->data;
    }
    if (s == OBN_OK && sgemm && st->fold && b->data && g->k > 0 && g->n > 0 && ctx->outputs[0]->numel > 0)
        s = pack_constant_b(ctx, st);
    if (s != OBN_OK) {
        matmul_free_state(st);
        return s;
    }
    *state = st;
    if (ctx->outputs[0]->numel == 0) return OBN_OK;
    if (!sgemm) { /* integers: A, B and Y widened to uint64 */
        if (st->dtype != OBN_DOUBLE)
            st->workspace_bytes = (size_t)(ctx->inputs[IN_A]->numel + b->numel + ctx->outputs[0]->numel) * 8;
        return OBN_OK;
    }
    st->stage_bytes = obn_f32_stage_bytes(ctx, st->packed_b ? 1u << IN_A : (1u << IN_A) | (1u << IN_B), 1u);
    mm_operands none = {NULL, NULL, NULL};
    obn_sgemm_call c = product(&none, st, 0);
    st->per_thread = (obn_sgemm_workspace_size(&c, 1) + 63) & ~(size_t)63;
    st->workspace_bytes =
        st->outer ? st->per_thread * (size_t)ctx->threads : obn_sgemm_workspace_size(&c, ctx->threads);
    return OBN_OK;
}

static size_t matmul_workspace(const obn_op_ctx *ctx)
{
    const mm_state *st = ctx->state;
    return st ? st->stage_bytes + st->workspace_bytes : 0;
}

/* Products per thread between two cancellation checks when the batch of
 * small products is spread over threads. */
#define MATMUL_CANCEL_BLOCK 64

/* Double: one GEMM per batch entry (A's batch folds into M when B has
 * none, as for float). */
static obn_status matmul_run_f64(obn_op_ctx *ctx, const mm_state *st)
{
    const mm_geom *g = &st->g;
    const double *a = ctx->inputs[IN_A]->data, *b = ctx->inputs[IN_B]->data;
    double *y = ctx->outputs[0]->data;
    int64_t count = st->fold ? 1 : g->batch_count, m = st->fold ? g->m * g->a_batch_count : g->m;
    for (int64_t e = 0; e < count; e++) {
        if (e) OBN_TRY(obn_op_check_cancel(ctx));
        int64_t ao, bo;
        entry_offsets(g, st->fold, e, &ao, &bo);
        obn_dgemm(m, g->n, g->k, a + ao, g->k, b + bo, g->n, y + e * g->m * g->n, g->n, ctx->threads);
    }
    return OBN_OK;
}

/* Integers: widened to uint64 (sign-extended for the signed types), one
 * product per batch entry modulo 2^64, stored back wrapped to the width. */
static obn_status matmul_run_int(obn_op_ctx *ctx, const mm_state *st)
{
    const mm_geom *g = &st->g;
    const obn_tensor *at = ctx->inputs[IN_A], *bt = ctx->inputs[IN_B];
    obn_tensor *yt = ctx->outputs[0];
    uint64_t *a = ctx->workspace, *b = a + at->numel, *y = b + bt->numel;
    bool is_unsigned = obn_dtype_is_unsigned(at->dtype);
    for (int64_t i = 0; i < at->numel; i++) a[i] = is_unsigned ? obn_load_u64(at, i) : (uint64_t)obn_load_i64(at, i);
    for (int64_t i = 0; i < bt->numel; i++) b[i] = is_unsigned ? obn_load_u64(bt, i) : (uint64_t)obn_load_i64(bt, i);
    int64_t count = st->fold ? 1 : g->batch_count, m = st->fold ? g->m * g->a_batch_count : g->m;
    for (int64_t e = 0; e < count; e++) {
        if (e) OBN_TRY(obn_op_check_cancel(ctx));
        int64_t ao, bo;
        entry_offsets(g, st->fold, e, &ao, &bo);
        obn_u64gemm(m, g->n, g->k, a + ao, g->k, b + bo, g->n, y + e * g->m * g->n, g->n, ctx->threads);
    }
    for (int64_t i = 0; i < yt->numel; i++) obn_store_i64(yt, i, (int64_t)y[i]);
    return OBN_OK;
}

static obn_status matmul_run(obn_op_ctx *ctx)
{
    const mm_state *st = ctx->state;
    if (ctx->outputs[0]->numel == 0) return OBN_OK;
    if (st->dtype == OBN_DOUBLE) return matmul_run_f64(ctx, st);
    if (st->dtype != OBN_FLOAT && !obn_dtype_is_half(st->dtype)) return matmul_run_int(ctx, st);
    obn_f32_stage stage = obn_f32_stage_begin(ctx);
    mm_operands op = {obn_f32_stage_input(ctx, IN_A, &stage), st->packed_b ? NULL : obn_f32_stage_input(ctx, IN_B, &stage),
                      obn_f32_stage_output(ctx, 0, &stage)};
    char *workspace = ctx->workspace ? (char *)ctx->workspace + st->stage_bytes : NULL;
    int64_t count = st->fold ? 1 : st->g.batch_count;
    int failed = 0;
    if (st->outer && ctx->threads > 1 &&
        st->per_thread * (size_t)ctx->threads <= st->workspace_bytes) {
        /* the products in blocks, with a cancellation check between blocks */
        int64_t block = MATMUL_CANCEL_BLOCK * ctx->threads;
        for (int64_t e0 = 0; e0 < count && !failed; e0 += block) {
            if (e0) OBN_TRY(obn_op_check_cancel(ctx));
            int64_t e1 = count - e0 < block ? count : e0 + block;
#pragma omp parallel for schedule(static) num_threads(ctx->threads) reduction(| : failed)
            for (int64_t e = e0; e < e1; e++) {
                obn_sgemm_call c = product(&op, st, e);
                char *ws = workspace ? workspace + st->per_thread * (size_t)omp_get_thread_num() : NULL;
                failed |= obn_sgemm_run(&c, ws, st->per_thread, 1) != 0;
            }
        }
    } else {
        for (int64_t e = 0; e < count && !failed; e++) {
            if (e) OBN_TRY(obn_op_check_cancel(ctx));
            obn_sgemm_call c = product(&op, st, e);
            failed = obn_sgemm_run(&c, workspace, st->workspace_bytes, ctx->threads) != 0;
        }
    }
    if (failed) return OBN_OOM();
    obn_f32_stage_finish(ctx, 0, op.y);
    return OBN_OK;
}

static const int versions[] = {1, 9, 13, 0};
static const char *const attr_names[] = {NULL};

static const obn_op_sig matmul_sigs[] = {{1, "A B", "Y"}, {0}};

static double matmul_flops(const obn_op_ctx *ctx)
{
    const mm_state *st = ctx->state;
    if (!st) return 0.0;
    return 2.0 * (double)st->g.batch_count * (double)st->g.m * (double)st->g.n * (double)st->g.k;
}

const obn_op obn_op_matmul = {
    .domain = "",
    .op_type = "MatMul",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = matmul_sigs,
    .attrs_size = 0,
    .parse = matmul_parse,
    .infer = matmul_infer,
    .run = matmul_run,
    .prepare = matmul_prepare,
    .free_state = matmul_free_state,
    .workspace = matmul_workspace,
    .flops = matmul_flops,
};
OBN_REGISTER_OP(obn_op_matmul);
