/* MatMulInteger (10) and QLinearMatMul (10, 21): numpy.matmul of 8-bit
 * integer matrices (batch dimensions broadcast, a 1-D A is [1, K] and a 1-D
 * B is [K, 1], that dimension dropped from the result):
 *   MatMulInteger  Y = (A - a_zero_point) x (B - b_zero_point), int32;
 *   QLinearMatMul  y = saturate(round(acc * (a_scale * b_scale / y_scale))
 *                  + y_zero_point), acc the same integer product, the
 *                  multiplier computed in the scales' type (float, 21+:
 *                  float16 or bfloat16), round half to even.
 * The product accumulates in 32 bits (wrapping, as the spec allows) on
 * kernels/igemm. Zero points and scales of A apply per tensor (a scalar or
 * [1]) or per row ([M]); those of B per tensor or per column ([N]). The
 * N-D per-row/column forms ([..., M, 1], [..., 1, N]) and QLinearMatMul-21's
 * float8 operands are refused as unsupported. */
#include <string.h>

#include "kernels/igemm.h"
#include "op_helpers.h"
#include "quant_common.h"

/* Input positions of the two operators (-1: none). */
typedef struct {
    int a, b, a_zp, b_zp, a_scale, b_scale, y_scale, y_zp;
} imm_inputs;

static const imm_inputs MATMUL_INTEGER = {0, 1, 2, 3, -1, -1, -1, -1};
static const imm_inputs QLINEAR_MATMUL = {0, 3, 2, 5, 1, 4, 6, 7};

static const imm_inputs *inputs_of(const obn_op_ctx *ctx)
{
    return ctx->node->op_type[0] == 'Q' ? &QLINEAR_MATMUL : &MATMUL_INTEGER;
}

static obn_status imm_parse(const obn_node *n, int v, void *out)
{
    (void)n;
    (void)v;
    (void)out;
    return OBN_OK;
}

typedef struct {
    int64_t m, n, k;
    int batch_rank;
    int64_t batch[OBN_MAX_RANK];
    int64_t a_stride[OBN_MAX_RANK], b_stride[OBN_MAX_RANK]; /* elements per batch step, 0 where broadcast */
    int64_t batch_count;
    int out_rank;
    int64_t out_dims[OBN_MAX_RANK];
    bool per_vector[8]; /* per input: a per-row / per-column parameter */
} imm_geom;

static obn_status shape_error(const obn_op_ctx *ctx, const char *what)
{
    const imm_inputs *in = inputs_of(ctx);
    const obn_tensor *a = ctx->inputs[in->a], *b = ctx->inputs[in->b];
    char as[OBN_SHAPE_STR_CAP], bs[OBN_SHAPE_STR_CAP];
    return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "%s: input '%s' has shape %s, input '%s' has shape %s", what,
                       obn_in_name(ctx, in->a), obn_shape_str(a->rank, a->dims, as, sizeof as),
                       obn_in_name(ctx, in->b), obn_shape_str(b->rank, b->dims, bs, sizeof bs));
}

/* Size of output batch dim d in a tensor of rank r (its batch dims aligned
 * to the right), or 1. */
static int64_t batch_dim(const obn_tensor *t, int batch_rank, int d)
{
    int own = t->rank > 2 ? t->rank - 2 : 0, off = batch_rank - own;
    return d < off ? 1 : t->dims[d - off];
}

static obn_status batch_geometry(const obn_op_ctx *ctx, const obn_tensor *a, const obn_tensor *b, imm_geom *g)
{
    int ra = a->rank > 2 ? a->rank - 2 : 0, rb = b->rank > 2 ? b->rank - 2 : 0;
    g->batch_rank = ra > rb ? ra : rb;
    g->batch_count = 1;
    int64_t sa = g->m * g->k, sb = g->k * g->n;
    for (int d = g->batch_rank - 1; d >= 0; d--) {
        int64_t da = batch_dim(a, g->batch_rank, d), db = batch_dim(b, g->batch_rank, d);
        if (da != db && da != 1 && db != 1) return shape_error(ctx, "batch dimensions do not broadcast");
        g->batch[d] = da == 1 ? db : da;
        g->a_stride[d] = da == 1 ? 0 : sa;
        g->b_stride[d] = db == 1 ? 0 : sb;
        sa *= da;
        sb *= db;
        g->batch_count *= g->batch[d];
    }
    return OBN_OK;
}

/* A zero point or scale: per tensor, or a vector of `len` entries (A's rows
 * or B's columns). */
static obn_status check_param(const obn_op_ctx *ctx, int k, const char *role, int64_t len, const char *per,
                              bool *per_vector)
{
    const obn_tensor *t = ctx->inputs[k];
    *per_vector = false;
    if (t->rank <= 1 && t->numel == 1) return OBN_OK;
    if (t->rank == 1 && t->dims[0] == len) {
        *per_vector = true;
        return OBN_OK;
    }
    char ts[OBN_SHAPE_STR_CAP];
    return obn_ctx_err(ctx, t->rank > 1 ? OBN_E_UNSUPPORTED : OBN_E_INVALID_MODEL,
                       "input '%s' ('%s') has shape %s; supported: a scalar, [1] or [%lld] (%s)", role,
                       obn_in_name(ctx, k), obn_shape_str(t->rank, t->dims, ts, sizeof ts), (long long)len, per);
}

static const char *const ROLES_MMI[8] = {"A", "B", "a_zero_point", "b_zero_point"};
static const char *const ROLES_QLM[8] = {"a", "a_scale", "a_zero_point", "b", "b_scale", "b_zero_point", "y_scale",
                                         "y_zero_point"};

static const char *role(const obn_op_ctx *ctx, int k)
{
    return (inputs_of(ctx) == &QLINEAR_MATMUL ? ROLES_QLM : ROLES_MMI)[k];
}

static obn_status check_types(const obn_op_ctx *ctx)
{
    static const obn_dtype q8[] = {OBN_UINT8, OBN_INT8, OBN_UNDEFINED};
    const imm_inputs *in = inputs_of(ctx);
    OBN_TRY(obn_check_input_dtype(ctx, in->a, role(ctx, in->a), q8));
    OBN_TRY(obn_check_input_dtype(ctx, in->b, role(ctx, in->b), q8));
    const int zps[2] = {in->a_zp, in->b_zp}, ops[2] = {in->a, in->b};
    for (int i = 0; i < 2; i++)
        if (obn_has_input(ctx, zps[i]))
            OBN_TRY(obn_check_same_dtype(ctx, zps[i], role(ctx, zps[i]), ops[i], role(ctx, ops[i])));
    if (in->y_zp < 0) return OBN_OK;
    OBN_TRY(obn_check_input_dtype(ctx, in->y_zp, "y_zero_point", q8));
    static const obn_dtype scales21[] = {OBN_FLOAT, OBN_FLOAT16, OBN_BFLOAT16, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, in->a_scale, "a_scale", ctx->since_version >= 21 ? scales21 : OBN_FLOAT32_ONLY));
    OBN_TRY(obn_check_same_dtype(ctx, in->b_scale, "b_scale", in->a_scale, "a_scale"));
    return obn_check_same_dtype(ctx, in->y_scale, "y_scale", in->a_scale, "a_scale");
}

static obn_status imm_geometry(const obn_op_ctx *ctx, imm_geom *g)
{
    const imm_inputs *in = inputs_of(ctx);
    OBN_TRY(check_types(ctx));
    OBN_TRY(obn_check_rank(ctx, in->a, role(ctx, in->a), 1, OBN_MAX_RANK));
    OBN_TRY(obn_check_rank(ctx, in->b, role(ctx, in->b), 1, OBN_MAX_RANK));
    const obn_tensor *a = ctx->inputs[in->a], *b = ctx->inputs[in->b];
    memset(g, 0, sizeof *g);
    g->m = a->rank == 1 ? 1 : a->dims[a->rank - 2];
    g->k = a->dims[a->rank - 1];
    int64_t kb = b->rank == 1 ? b->dims[0] : b->dims[b->rank - 2];
    g->n = b->rank == 1 ? 1 : b->dims[b->rank - 1];
    if (kb != g->k) return shape_error(ctx, "inner dimensions differ (A's last vs B's second to last)");
    OBN_TRY(batch_geometry(ctx, a, b, g));
    for (int d = 0; d < g->batch_rank; d++) g->out_dims[g->out_rank++] = g->batch[d];
    if (a->rank > 1) g->out_dims[g->out_rank++] = g->m;
    if (b->rank > 1) g->out_dims[g->out_rank++] = g->n;
    const int a_side[2] = {in->a_zp, in->a_scale}, b_side[4] = {in->b_zp, in->b_scale, in->y_scale, in->y_zp};
    for (int i = 0; i < 2; i++)
        if (a_side[i] >= 0 && obn_has_input(ctx, a_side[i]))
            OBN_TRY(check_param(ctx, a_side[i], role(ctx, a_side[i]), g->m, "per row", &g->per_vector[a_side[i]]));
    for (int i = 0; i < 2; i++)
        if (b_side[i] >= 0 && obn_has_input(ctx, b_side[i]))
            OBN_TRY(check_param(ctx, b_side[i], role(ctx, b_side[i]), g->n, "per column", &g->per_vector[b_side[i]]));
    for (int i = 2; i < 4; i++) /* y's scale and zero point: per tensor */
        if (b_side[i] >= 0)
            OBN_TRY(check_param(ctx, b_side[i], role(ctx, b_side[i]), 1, "per tensor", &g->per_vector[b_side[i]]));
    return OBN_OK;
}

static obn_status imm_infer(obn_op_ctx *ctx)
{
    imm_geom g;
    OBN_TRY(imm_geometry(ctx, &g));
    const imm_inputs *in = inputs_of(ctx);
    obn_dtype yt = in->y_zp >= 0 ? ctx->inputs[in->y_zp]->dtype : OBN_INT32;
    return obn_set_output(ctx, 0, yt, g.out_rank, g.out_dims);
}

static int64_t align64(int64_t n) { return (n + 63) & ~(int64_t)63; }

/* Widened A and B (int16), and for QLinearMatMul the int32 accumulator. */
static size_t imm_workspace(const obn_op_ctx *ctx)
{
    const imm_inputs *in = inputs_of(ctx);
    int64_t bytes = align64(2 * ctx->inputs[in->a]->numel) + align64(2 * ctx->inputs[in->b]->numel);
    if (in->y_zp >= 0) bytes += align64(4 * ctx->outputs[0]->numel);
    return (size_t)bytes;
}

static int32_t load_q8(const obn_tensor *t, int64_t i)
{
    return t->dtype == OBN_UINT8 ? ((const uint8_t *)t->data)[i] : ((const int8_t *)t->data)[i];
}

/* dst = t - zero point, the zero point per element of `vec` (A: its row,
 * B: its column) when per_vector. */
static void widen(const obn_tensor *t, const obn_tensor *zp, bool per_vector, int64_t cols, int64_t rows_mod,
                  bool by_row, int16_t *dst)
{
    for (int64_t i = 0; i < t->numel; i++) {
        int64_t v = !zp || !per_vector ? 0 : by_row ? (i / cols) % rows_mod : i % cols;
        dst[i] = (int16_t)(load_q8(t, i) - (zp ? load_q8(zp, v) : 0));
    }
}

static void batch_offsets(const imm_geom *g, int64_t e, int64_t *ao, int64_t *bo)
{
    *ao = *bo = 0;
    for (int d = g->batch_rank - 1; d >= 0; d--) {
        int64_t idx = e % g->batch[d];
        e /= g->batch[d];
        *ao += idx * g->a_stride[d];
        *bo += idx * g->b_stride[d];
    }
}

/* y = saturate(round(acc * a_scale * b_scale / y_scale) + y_zero_point). */
static void requantize(const obn_op_ctx *ctx, const imm_geom *g, const int32_t *acc)
{
    const imm_inputs *in = inputs_of(ctx);
    const obn_tensor *sa = ctx->inputs[in->a_scale], *sb = ctx->inputs[in->b_scale];
    obn_tensor *y = ctx->outputs[0];
    obn_dtype p = sa->dtype;
    float sy = (float)obn_load_f64(ctx->inputs[in->y_scale], 0);
    double zy = (double)load_q8(ctx->inputs[in->y_zp], 0);
    int64_t lo, hi;
    obn_quant_range(y->dtype, &lo, &hi);
    for (int64_t i = 0; i < y->numel; i++) {
        int64_t c = i % g->n, r = (i / g->n) % g->m;
        float ab = obn_quant_to_precision(obn_load_f64(sa, g->per_vector[in->a_scale] ? r : 0) *
                                              obn_load_f64(sb, g->per_vector[in->b_scale] ? c : 0),
                                          p);
        float mult = obn_quant_to_precision((double)ab / sy, p);
        int64_t v = obn_quant_round((double)acc[i] * mult, zy, lo, hi);
        if (y->dtype == OBN_UINT8) ((uint8_t *)y->data)[i] = (uint8_t)v;
        else ((int8_t *)y->data)[i] = (int8_t)v;
    }
}

static obn_status imm_run(obn_op_ctx *ctx)
{
    const imm_inputs *in = inputs_of(ctx);
    imm_geom g;
    OBN_TRY(imm_geometry(ctx, &g));
    const obn_tensor *a = ctx->inputs[in->a], *b = ctx->inputs[in->b];
    int16_t *a16 = ctx->workspace, *b16 = (int16_t *)((char *)ctx->workspace + align64(2 * a->numel));
    widen(a, obn_has_input(ctx, in->a_zp) ? ctx->inputs[in->a_zp] : NULL, g.per_vector[in->a_zp], g.k, g.m, true,
          a16);
    widen(b, obn_has_input(ctx, in->b_zp) ? ctx->inputs[in->b_zp] : NULL, g.per_vector[in->b_zp], g.n, 1, false,
          b16);
    int32_t *acc = in->y_zp >= 0 ? (int32_t *)((char *)b16 + align64(2 * b->numel)) : ctx->outputs[0]->data;
    for (int64_t e = 0; e < g.batch_count; e++) {
        int64_t ao, bo;
        batch_offsets(&g, e, &ao, &bo);
        obn_igemm_s16(g.m, g.n, g.k, a16 + ao, g.k, b16 + bo, g.n, acc + e * g.m * g.n, g.n, ctx->threads);
        OBN_TRY(obn_op_check_cancel(ctx));
    }
    if (in->y_zp >= 0) requantize(ctx, &g, acc);
    return OBN_OK;
}

static double imm_flops(const obn_op_ctx *ctx)
{
    const imm_inputs *in = inputs_of(ctx);
    const obn_tensor *a = ctx->inputs[in->a];
    return 2.0 * (double)ctx->outputs[0]->numel * (double)a->dims[a->rank - 1];
}

static const int mmi_versions[] = {10, 0};
static const int qlm_versions[] = {10, 21, 0};
static const char *const no_attrs[] = {NULL};
static const obn_op_sig mmi_sigs[] = {{10, "A B ?a_zero_point ?b_zero_point", "Y"}, {0}};
static const obn_op_sig qlm_sigs[] = {
    {10, "a a_scale a_zero_point b b_scale b_zero_point y_scale y_zero_point", "y"}, {0}};

const obn_op obn_op_matmul_integer = {
    .domain = "",
    .op_type = "MatMulInteger",
    .since_versions = mmi_versions,
    .attr_names = no_attrs,
    .sigs = mmi_sigs,
    .parse = imm_parse,
    .infer = imm_infer,
    .run = imm_run,
    .workspace = imm_workspace,
    .flops = imm_flops,
};
OBN_REGISTER_OP(obn_op_matmul_integer);

const obn_op obn_op_qlinear_matmul = {
    .domain = "",
    .op_type = "QLinearMatMul",
    .since_versions = qlm_versions,
    .attr_names = no_attrs,
    .sigs = qlm_sigs,
    .parse = imm_parse,
    .infer = imm_infer,
    .run = imm_run,
    .workspace = imm_workspace,
    .flops = imm_flops,
};
OBN_REGISTER_OP(obn_op_qlinear_matmul);
