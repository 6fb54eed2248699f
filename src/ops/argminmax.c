/* ArgMax and ArgMin (1, 11, 12, 13): the position (int64) of the largest or
 * smallest element along `axis` (default 0; negative counts from the end),
 * the first one on ties, or the last with select_last_index=1 (12 and
 * later). keepdims (default 1) keeps the reduced axis as size 1. A NaN wins
 * in both directions, as in numpy's argmax/argmin (the ONNX reference).
 * Every numeric type of the spec (bfloat16 from 13 on). */
#include <string.h>

#include "kernels/select.h"
#include "op_helpers.h"
#include "op_keys.h"

typedef struct {
    bool want_max, last;
    int keepdims;
    int64_t axis;
} arg_attrs;

static obn_status arg_parse(const obn_node *n, int v, void *out)
{
    arg_attrs *a = out;
    a->want_max = strcmp(n->op_type, "ArgMax") == 0;
    if (v < 12 && obn_node_attr(n, "select_last_index"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'select_last_index' is not part of %s-%d", n->op_type, v);
    int64_t keep, last;
    OBN_TRY(obn_attr_get_int(n, "axis", 0, &a->axis));
    OBN_TRY(obn_attr_int_range(n, "keepdims", 1, 0, 1, &keep));
    OBN_TRY(obn_attr_int_range(n, "select_last_index", 0, 0, 1, &last));
    a->keepdims = (int)keep;
    a->last = last != 0;
    return OBN_OK;
}

static obn_status arg_axis(const obn_op_ctx *ctx, int *axis)
{
    const arg_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    if (x->rank == 0) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'data' ('%s') is a scalar", obn_in_name(ctx, 0));
    OBN_TRY(obn_norm_axis(ctx, a->axis, x->rank, false, axis));
    if (x->dims[*axis] == 0)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "axis %d of input 'data' ('%s') is empty: no %s", *axis,
                           obn_in_name(ctx, 0), a->want_max ? "maximum" : "minimum");
    return OBN_OK;
}

static obn_status arg_infer(obn_op_ctx *ctx)
{
    static const obn_dtype legacy[] = {OBN_UINT8, OBN_UINT16, OBN_UINT32, OBN_UINT64, OBN_INT8, OBN_INT16,
                                       OBN_INT32, OBN_INT64, OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, 0, "data", ctx->since_version >= 13 ? OBN_NUMERIC_TYPES : legacy));
    const arg_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    int axis;
    OBN_TRY(arg_axis(ctx, &axis));
    int64_t dims[OBN_MAX_RANK];
    int r = 0;
    for (int d = 0; d < x->rank; d++) {
        if (d != axis) dims[r++] = x->dims[d];
        else if (a->keepdims) dims[r++] = 1;
    }
    return obn_set_output(ctx, 0, OBN_INT64, r, dims);
}

static obn_status arg_run(obn_op_ctx *ctx)
{
    const arg_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    int axis;
    OBN_TRY(arg_axis(ctx, &axis));
    obn_argreduce(obn_key_type_of(x->dtype), x->data, obn_dims_product(x->dims, 0, axis), x->dims[axis],
                  obn_dims_product(x->dims, axis + 1, x->rank), a->want_max, a->last, ctx->outputs[0]->data,
                  ctx->threads);
    return OBN_OK;
}

static const int versions[] = {1, 11, 12, 13, 0};
static const char *const attr_names[] = {"axis", "keepdims", "select_last_index", NULL};
static const obn_op_sig arg_sigs[] = {{1, "data", "reduced"}, {0}};

#define ARG_OP(sym, name)                                                                                 \
    const obn_op sym = {.domain = "", .op_type = name, .since_versions = versions, .attr_names = attr_names, \
                        .sigs = arg_sigs, .attrs_size = sizeof(arg_attrs), .parse = arg_parse,             \
                        .infer = arg_infer, .run = arg_run}

ARG_OP(obn_op_argmax, "ArgMax");
OBN_REGISTER_OP(obn_op_argmax);
ARG_OP(obn_op_argmin, "ArgMin");
OBN_REGISTER_OP(obn_op_argmin);
