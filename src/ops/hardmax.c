/* Hardmax (1, 11, 13): 1 at the first maximum, 0 elsewhere. Versions 1 and
 * 11 flatten the input to 2-D at `axis` (default 1) and take the maximum of
 * each row over all trailing dims; version 13 works along the single axis
 * `axis` (default -1). A NaN counts as the maximum (numpy's argmax, which
 * the ONNX reference uses). Float types (bfloat16 from 13 on). */
#include <string.h>

#include "kernels/select.h"
#include "op_helpers.h"
#include "op_keys.h"

typedef struct {
    int64_t axis;
} hardmax_attrs;

static obn_status hardmax_parse(const obn_node *n, int v, void *out)
{
    return obn_attr_get_int(n, "axis", v >= 13 ? -1 : 1, &((hardmax_attrs *)out)->axis);
}

/* x as [outer][len][inner]. */
static obn_status hardmax_shape(const obn_op_ctx *ctx, int64_t *outer, int64_t *len, int64_t *inner)
{
    const obn_tensor *x = ctx->inputs[0];
    if (x->rank == 0) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input ('%s') is a scalar; rank >= 1 needed", obn_in_name(ctx, 0));
    int axis;
    OBN_TRY(obn_norm_axis(ctx, ((const hardmax_attrs *)ctx->attrs)->axis, x->rank, false, &axis));
    bool coerce_2d = ctx->since_version < 13;
    *outer = obn_dims_product(x->dims, 0, axis);
    *len = coerce_2d ? obn_dims_product(x->dims, axis, x->rank) : x->dims[axis];
    *inner = coerce_2d ? 1 : obn_dims_product(x->dims, axis + 1, x->rank);
    return OBN_OK;
}

static obn_status hardmax_infer(obn_op_ctx *ctx)
{
    static const obn_dtype legacy[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, 0, "input", ctx->since_version >= 13 ? OBN_FLOAT_TYPES : legacy));
    int64_t outer = 0, len = 0, inner = 0;
    OBN_TRY(hardmax_shape(ctx, &outer, &len, &inner));
    const obn_tensor *x = ctx->inputs[0];
    return obn_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

/* The argmax positions, one per vector. */
static size_t hardmax_workspace(const obn_op_ctx *ctx)
{
    int64_t outer = 0, len = 0, inner = 0;
    if (hardmax_shape(ctx, &outer, &len, &inner) != OBN_OK || len == 0) return 0;
    return (size_t)(outer * inner) * sizeof(int64_t);
}

static obn_status hardmax_run(obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    int64_t outer = 0, len = 0, inner = 0;
    OBN_TRY(hardmax_shape(ctx, &outer, &len, &inner));
    if (y->numel == 0) return OBN_OK;
    int64_t *pos = ctx->workspace;
    obn_argreduce(obn_key_type_of(x->dtype), x->data, outer, len, inner, true, false, pos, ctx->threads);
    memset(y->data, 0, y->nbytes); /* all-zero bits are 0.0 in every float type */
    for (int64_t v = 0; v < outer * inner; v++) {
        int64_t o = v / inner, i = v % inner;
        obn_store_f64(y, (o * len + pos[v]) * inner + i, 1.0);
    }
    return OBN_OK;
}

static const int versions[] = {1, 11, 13, 0};
static const char *const attr_names[] = {"axis", NULL};
static const obn_op_sig hardmax_sigs[] = {{1, "input", "output"}, {0}};

const obn_op obn_op_hardmax = {
    .domain = "",
    .op_type = "Hardmax",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = hardmax_sigs,
    .attrs_size = sizeof(hardmax_attrs),
    .parse = hardmax_parse,
    .infer = hardmax_infer,
    .run = hardmax_run,
    .workspace = hardmax_workspace,
};
OBN_REGISTER_OP(obn_op_hardmax);
