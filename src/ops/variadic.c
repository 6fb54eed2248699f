/* Variadic element-wise ops: Sum, Mean (1, 6, 8, 13), Max, Min (1, 6, 8, 12,
 * 13). Versions 8+ broadcast numpy-style over all inputs; earlier versions
 * need equal shapes. Computed pairwise into the output:
 * y = op(x0, x1), y = op(y, x2), ...; Mean then scales by 1/n. */
#include <string.h>

#include "kernels/binary.h"
#include "op_helpers.h"

typedef enum { V_SUM, V_MEAN, V_MAX, V_MIN } var_kind;

typedef struct {
    var_kind kind;
} var_attrs;

static obn_status var_parse(const obn_node *n, int v, void *out)
{
    var_attrs *a = out;
    const char *t = n->op_type;
    a->kind = t[0] == 'S' ? V_SUM : t[1] == 'e' ? V_MEAN : t[1] == 'a' ? V_MAX : V_MIN;
    if (v > 1 && obn_node_attr(n, "consumed_inputs"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'consumed_inputs' is not part of %s-%d", t, v);
    return OBN_OK;
}

static obn_status var_infer(obn_op_ctx *ctx)
{
    static const obn_dtype legacy[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    static const obn_dtype minmax12[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_INT8, OBN_INT16, OBN_INT32,
                                         OBN_INT64, OBN_UINT8, OBN_UINT16, OBN_UINT32, OBN_UINT64, OBN_UNDEFINED};
    const var_attrs *a = ctx->attrs;
    int v = ctx->since_version;
    const obn_dtype *allowed = (a->kind == V_MAX || a->kind == V_MIN) && v >= 12
                                   ? (v >= 13 ? OBN_NUMERIC_TYPES : minmax12)
                                   : (v >= 13 ? OBN_FLOAT_TYPES : legacy);
    int which[64];
    if (ctx->n_inputs > 64)
        return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "has %d inputs (at most 64 supported)", ctx->n_inputs);
    for (int k = 0; k < ctx->n_inputs; k++) {
        if (!obn_has_input(ctx, k)) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input #%d is empty", k);
        OBN_TRY(obn_check_input_dtype(ctx, k, "data_0", allowed));
        if (k) OBN_TRY(obn_check_same_dtype(ctx, k, "data_k", 0, "data_0"));
        which[k] = k;
    }
    int rank;
    int64_t dims[OBN_MAX_RANK];
    OBN_TRY(obn_broadcast_shape(ctx, ctx->n_inputs, which, &rank, dims));
    if (v < 8)
        for (int k = 0; k < ctx->n_inputs; k++) {
            const obn_tensor *t = ctx->inputs[k];
            bool same = t->rank == rank;
            for (int d = 0; same && d < rank; d++) same = t->dims[d] == dims[d];
            if (!same)
                return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                                   "input #%d ('%s') differs in shape from the others; %s-%d does not broadcast", k,
                                   obn_in_name(ctx, k), ctx->node->op_type, v);
        }
    return obn_set_output(ctx, 0, ctx->inputs[0]->dtype, rank, dims);
}

static double combine_f64(var_kind k, double u, double v)
{
    switch (k) {
    case V_MAX: return u != u || v != v ? u + v : u > v ? u : v;
    case V_MIN: return u != u || v != v ? u + v : u < v ? u : v;
    default: return u + v;
    }
}

/* y = op(a, b) per element for the types without a kernel. */
static void pair_generic(var_kind kind, const obn_bcast *g, const obn_tensor *a, const obn_tensor *b, obn_tensor *y)
{
    const int64_t sa = obn_bcast_inner_stride(g, 0), sb = obn_bcast_inner_stride(g, 1);
    const bool fl = obn_dtype_is_float(y->dtype), uns = obn_dtype_is_unsigned(y->dtype);
    for (int64_t r = 0; r < g->rows; r++) {
        int64_t off[2];
        obn_bcast_row(g, r, off);
        for (int64_t i = 0; i < g->inner; i++) {
            int64_t ia = off[0] + i * sa, ib = off[1] + i * sb, iy = r * g->inner + i;
            if (fl) {
                obn_store_f64(y, iy, combine_f64(kind, obn_load_f64(a, ia), obn_load_f64(b, ib)));
            } else if (uns) {
                uint64_t u = obn_load_u64(a, ia), v = obn_load_u64(b, ib);
                obn_store_i64(y, iy, (int64_t)(kind == V_MAX ? (u > v ? u : v) : kind == V_MIN ? (u < v ? u : v) : u + v));
            } else {
                int64_t u = obn_load_i64(a, ia), v = obn_load_i64(b, ib);
                obn_store_i64(y, iy, kind == V_MAX ? (u > v ? u : v) : kind == V_MIN ? (u < v ? u : v)
                                                                         : (int64_t)((uint64_t)u + (uint64_t)v));
            }
        }
    }
}

static void pair(const obn_op_ctx *ctx, const obn_tensor *a, const obn_tensor *b)
{
    static const obn_binop kernel_op[] = {OBN_BIN_ADD, OBN_BIN_ADD, OBN_BIN_MAX, OBN_BIN_MIN};
    const var_attrs *at = ctx->attrs;
    obn_tensor *y = ctx->outputs[0];
    obn_bcast g;
    int ranks[2] = {a->rank, b->rank};
    const int64_t *dims[2] = {a->dims, b->dims};
    obn_bcast_init(&g, y->rank, y->dims, 2, ranks, dims);
    if (y->dtype == OBN_FLOAT) obn_binary_f32(kernel_op[at->kind], &g, a->data, b->data, y->data, ctx->threads);
    else pair_generic(at->kind, &g, a, b, y);
}

static obn_status var_run(obn_op_ctx *ctx)
{
    const var_attrs *at = ctx->attrs;
    obn_tensor *y = ctx->outputs[0];
    int n = ctx->n_inputs;
    if (n == 1) {
        /* a single input of the output's shape: a copy */
        if (y->nbytes) memcpy(y->data, ctx->inputs[0]->data, y->nbytes);
    } else {
        pair(ctx, ctx->inputs[0], ctx->inputs[1]);
        for (int k = 2; k < n; k++) pair(ctx, y, ctx->inputs[k]);
    }
    if (at->kind == V_MEAN && n > 1) {
        if (y->dtype == OBN_FLOAT) {
            float *p = y->data, inv = 1.0f / (float)n;
            for (int64_t i = 0; i < y->numel; i++) p[i] *= inv;
        } else {
            for (int64_t i = 0; i < y->numel; i++) obn_store_f64(y, i, obn_load_f64(y, i) / n);
        }
    }
    return OBN_OK;
}

static const char *const attrs[] = {"consumed_inputs", NULL};
static const int sum_versions[] = {1, 6, 8, 13, 0};
static const int minmax_versions[] = {1, 6, 8, 12, 13, 0};

static const obn_op_sig sum_sigs[] = {{1, "data_0...", "sum"}, {0}};
static const obn_op_sig mean_sigs[] = {{1, "data_0...", "mean"}, {0}};
static const obn_op_sig max_sigs[] = {{1, "data_0...", "max"}, {0}};
static const obn_op_sig min_sigs[] = {{1, "data_0...", "min"}, {0}};

#define VAR_OP(sym, name, vers, sig)                                                                 \
    const obn_op sym = {.domain = "", .op_type = name, .since_versions = vers, .attr_names = attrs,  \
                        .sigs = sig,                                                                 \
                        .attrs_size = sizeof(var_attrs), .parse = var_parse, .infer = var_infer,   \
                        .run = var_run}

VAR_OP(obn_op_sum, "Sum", sum_versions, sum_sigs);
OBN_REGISTER_OP(obn_op_sum);
VAR_OP(obn_op_mean, "Mean", sum_versions, mean_sigs);
OBN_REGISTER_OP(obn_op_mean);
VAR_OP(obn_op_max, "Max", minmax_versions, max_sigs);
OBN_REGISTER_OP(obn_op_max);
VAR_OP(obn_op_min, "Min", minmax_versions, min_sigs);
OBN_REGISTER_OP(obn_op_min);
