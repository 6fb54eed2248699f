/* Concat (1, 4, 11, 13): joins the inputs along `axis` (default 1 in
 * version 1, required from 4; negative counts from the end, accepted for
 * every version). Any storable type; every
 * input has the same rank and the same dims except along the axis. */
#include "kernels/copy.h"
#include "op_helpers.h"
#include "string_tensor.h"

/* More inputs than this are rejected (keeps the per-run tables on the
 * stack). */
#define CONCAT_MAX_INPUTS 1024

typedef struct {
    int64_t axis;
} concat_attrs;

static obn_status concat_parse(const obn_node *n, int v, void *out)
{
    concat_attrs *a = out;
    if (v >= 4 && !obn_node_attr(n, "axis"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'axis' is required by Concat-%d", v);
    return obn_attr_get_int(n, "axis", 1, &a->axis);
}

static obn_status concat_axis(const obn_op_ctx *ctx, int *axis)
{
    const concat_attrs *a = ctx->attrs;
    int rank = ctx->inputs[0]->rank;
    if (rank == 0) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "cannot concatenate scalars (input '%s')", obn_in_name(ctx, 0));
    return obn_norm_axis(ctx, a->axis, rank, false, axis);
}

static obn_status concat_infer(obn_op_ctx *ctx)
{
    if (ctx->n_inputs > CONCAT_MAX_INPUTS)
        return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "has %d inputs (at most %d supported)", ctx->n_inputs, CONCAT_MAX_INPUTS);
    for (int k = 0; k < ctx->n_inputs; k++)
        if (!obn_has_input(ctx, k)) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input #%d is empty", k);
    OBN_TRY(obn_check_all_types(ctx, 0, "inputs[0]", 0)); /* the others have its type */
    int axis;
    OBN_TRY(concat_axis(ctx, &axis));
    const obn_tensor *x0 = ctx->inputs[0];
    int64_t dims[OBN_MAX_RANK];
    for (int d = 0; d < x0->rank; d++) dims[d] = x0->dims[d];
    for (int k = 1; k < ctx->n_inputs; k++) {
        const obn_tensor *x = ctx->inputs[k];
        OBN_TRY(obn_check_same_dtype(ctx, k, "inputs[k]", 0, "inputs[0]"));
        bool ok = x->rank == x0->rank;
        for (int d = 0; ok && d < x->rank; d++) ok = d == axis || x->dims[d] == x0->dims[d];
        if (!ok) {
            char s0[OBN_SHAPE_STR_CAP], sk[OBN_SHAPE_STR_CAP];
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                               "input #%d ('%s') has shape %s, incompatible with input #0 ('%s') %s for concatenation along axis %d",
                               k, obn_in_name(ctx, k), obn_shape_str(x->rank, x->dims, sk, sizeof sk), obn_in_name(ctx, 0),
                               obn_shape_str(x0->rank, x0->dims, s0, sizeof s0), axis);
        }
        if (x->dims[axis] > INT64_MAX - dims[axis])
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "concatenated axis %d overflows", axis);
        dims[axis] += x->dims[axis];
    }
    return obn_set_output(ctx, 0, x0->dtype, x0->rank, dims);
}

static obn_status concat_run(obn_op_ctx *ctx)
{
    int axis;
    OBN_TRY(concat_axis(ctx, &axis));
    const obn_tensor *x0 = ctx->inputs[0];
    size_t es = obn_dtype_elem_bytes(x0->dtype); /* strings: pointers, copied below */
    int64_t outer = obn_dims_product(x0->dims, 0, axis);
    const void *xs[CONCAT_MAX_INPUTS];
    size_t row_bytes[CONCAT_MAX_INPUTS];
    for (int k = 0; k < ctx->n_inputs; k++) {
        const obn_tensor *x = ctx->inputs[k];
        xs[k] = x->data;
        row_bytes[k] = (size_t)obn_dims_product(x->dims, axis, x->rank) * es;
    }
    obn_concat_rows(ctx->outputs[0]->data, ctx->n_inputs, xs, row_bytes, outer, ctx->threads);
    return x0->dtype == OBN_STRING ? obn_strings_own_copies(ctx, ctx->outputs[0], OBN_OK) : OBN_OK;
}

static const int versions[] = {1, 4, 11, 13, 0};
static const char *const attr_names[] = {"axis", NULL};

static const obn_op_sig concat_sigs[] = {{1, "inputs...", "concat_result"}, {0}};

const obn_op obn_op_concat = {
    .domain = "",
    .op_type = "Concat",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = concat_sigs,
    .attrs_size = sizeof(concat_attrs),
    .flags = OBN_OP_STRINGS,
    .parse = concat_parse,
    .infer = concat_infer,
    .run = concat_run,
};
OBN_REGISTER_OP(obn_op_concat);
