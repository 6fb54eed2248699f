/* CumSum (11, 14) and CumProd (26): running sums or products of x along
 * the axis given by the scalar int32/int64 input 'axis' (negative counts
 * from the end). exclusive=1 leaves the current element out (the first
 * result is 0, or 1 for the product); reverse=1 runs from the end. Floats
 * accumulate in double; integers wrap like two's complement arithmetic of
 * their width. Types: float, double, int32, int64, uint32, uint64 (and
 * float16, bfloat16 from CumSum-14 on and in CumProd). The axis may be known
 * only at run time: it does not change the output shape. */
#include <string.h>

#include "kernels/cumulative.h"
#include "op_helpers.h"

typedef struct {
    obn_cum_params p;
} cum_attrs;

static obn_status cum_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    cum_attrs *a = out;
    int64_t exclusive, reverse;
    OBN_TRY(obn_attr_int_range(n, "exclusive", 0, 0, 1, &exclusive));
    OBN_TRY(obn_attr_int_range(n, "reverse", 0, 0, 1, &reverse));
    a->p.product = strcmp(n->op_type, "CumProd") == 0;
    a->p.exclusive = exclusive != 0;
    a->p.reverse = reverse != 0;
    return OBN_OK;
}

/* The axis from input 1; OBN_DEFER while its data is unknown. */
static obn_status cum_axis(const obn_op_ctx *ctx, int *axis)
{
    static const obn_dtype index_types[] = {OBN_INT32, OBN_INT64, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, 1, "axis", index_types));
    const obn_tensor *x = ctx->inputs[0], *at = ctx->inputs[1];
    if (at->numel != 1 || at->rank > 1)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'axis' ('%s') must be a scalar (rank %d, %lld elements)",
                           obn_in_name(ctx, 1), at->rank, (long long)at->numel);
    if (x->rank == 0) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'x' ('%s') is a scalar", obn_in_name(ctx, 0));
    if (!at->data) return OBN_DEFER;
    return obn_norm_axis(ctx, obn_load_i64(at, 0), x->rank, false, axis);
}

static obn_status cum_infer(obn_op_ctx *ctx)
{
    static const obn_dtype v11[] = {OBN_FLOAT, OBN_DOUBLE, OBN_INT32, OBN_INT64, OBN_UINT32, OBN_UINT64, OBN_UNDEFINED};
    static const obn_dtype v14[] = {OBN_FLOAT,  OBN_DOUBLE, OBN_FLOAT16, OBN_BFLOAT16, OBN_INT32,
                                    OBN_INT64, OBN_UINT32, OBN_UINT64,  OBN_UNDEFINED};
    bool product = ((const cum_attrs *)ctx->attrs)->p.product;
    OBN_TRY(obn_check_input_dtype(ctx, 0, "x", product || ctx->since_version >= 14 ? v14 : v11));
    int axis;
    obn_status s = cum_axis(ctx, &axis);
    if (s != OBN_OK && s != OBN_DEFER) return s; /* an unknown axis is checked when running */
    const obn_tensor *x = ctx->inputs[0];
    return obn_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

static obn_cum_type cum_type(obn_dtype dt)
{
    switch (dt) {
    case OBN_FLOAT: return OBN_CUM_F32;
    case OBN_DOUBLE: return OBN_CUM_F64;
    case OBN_FLOAT16: return OBN_CUM_F16;
    case OBN_BFLOAT16: return OBN_CUM_BF16;
    case OBN_INT32: case OBN_UINT32: return OBN_CUM_U32;
    default: return OBN_CUM_U64;
    }
}

static obn_status cum_run(obn_op_ctx *ctx)
{
    const cum_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    int axis;
    OBN_TRY(cum_axis(ctx, &axis));
    obn_cumulate(cum_type(x->dtype), a->p, x->data, ctx->outputs[0]->data, obn_dims_product(x->dims, 0, axis),
                 x->dims[axis], obn_dims_product(x->dims, axis + 1, x->rank), ctx->threads);
    return OBN_OK;
}

static const int cumsum_versions[] = {11, 14, 0};
static const int cumprod_versions[] = {26, 0};
static const char *const attr_names[] = {"exclusive", "reverse", NULL};
static const obn_op_sig cum_sigs[] = {{11, "x axis", "y"}, {0}};
static const obn_op_sig cumprod_sigs[] = {{26, "x axis", "y"}, {0}};

const obn_op obn_op_cumsum = {
    .domain = "",
    .op_type = "CumSum",
    .since_versions = cumsum_versions,
    .attr_names = attr_names,
    .sigs = cum_sigs,
    .attrs_size = sizeof(cum_attrs),
    .parse = cum_parse,
    .infer = cum_infer,
    .run = cum_run,
};
OBN_REGISTER_OP(obn_op_cumsum);

const obn_op obn_op_cumprod = {
    .domain = "",
    .op_type = "CumProd",
    .since_versions = cumprod_versions,
    .attr_names = attr_names,
    .sigs = cumprod_sigs,
    .attrs_size = sizeof(cum_attrs),
    .parse = cum_parse,
    .infer = cum_infer,
    .run = cum_run,
};
OBN_REGISTER_OP(obn_op_cumprod);
