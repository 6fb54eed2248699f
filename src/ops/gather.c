/* Gather (1, 11, 13): takes entries of `data` along `axis` (default 0) at
 * `indices` (int32/int64, negative counts from the end). Output shape:
 * data.dims[:axis] + indices.dims + data.dims[axis+1:]. Any storable type.
 * Indices out of range are a run-time error (checked before any copy). */
#include <string.h>

#include "op_helpers.h"
#include "string_tensor.h"

typedef struct {
    int64_t axis;
} gather_attrs;

static obn_status gather_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    return obn_attr_get_int(n, "axis", 0, &((gather_attrs *)out)->axis);
}

static obn_status gather_axis(const obn_op_ctx *ctx, int *axis)
{
    const gather_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    if (x->rank == 0) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'data' ('%s') is a scalar", obn_in_name(ctx, 0));
    return obn_norm_axis(ctx, a->axis, x->rank, false, axis);
}

static obn_status gather_infer(obn_op_ctx *ctx)
{
    static const obn_dtype index_types[] = {OBN_INT32, OBN_INT64, OBN_UNDEFINED};
    OBN_TRY(obn_check_all_types(ctx, 0, "data", 0));
    OBN_TRY(obn_check_input_dtype(ctx, 1, "indices", index_types));
    int axis;
    OBN_TRY(gather_axis(ctx, &axis));
    const obn_tensor *x = ctx->inputs[0], *idx = ctx->inputs[1];
    int rank = x->rank - 1 + idx->rank;
    if (rank > OBN_MAX_RANK)
        return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "output rank %d exceeds onnxbn's maximum %d", rank, OBN_MAX_RANK);
    int64_t dims[OBN_MAX_RANK];
    int r = 0;
    for (int d = 0; d < axis; d++) dims[r++] = x->dims[d];
    for (int d = 0; d < idx->rank; d++) dims[r++] = idx->dims[d];
    for (int d = axis + 1; d < x->rank; d++) dims[r++] = x->dims[d];
    return obn_set_output(ctx, 0, x->dtype, rank, dims);
}

static obn_status gather_elems(obn_op_ctx *ctx)
{
    int axis;
    OBN_TRY(gather_axis(ctx, &axis));
    const obn_tensor *x = ctx->inputs[0], *idx = ctx->inputs[1];
    int64_t n = x->dims[axis];
    for (int64_t j = 0; j < idx->numel; j++) {
        int64_t i = obn_load_i64(idx, j);
        if (i < -n || i >= n)
            return obn_ctx_err(ctx, OBN_E_RUNTIME, "index %lld (element %lld of '%s') is out of range for axis %d of size %lld",
                               (long long)i, (long long)j, obn_in_name(ctx, 1), axis, (long long)n);
    }
    size_t block = (size_t)obn_dims_product(x->dims, axis + 1, x->rank) * obn_dtype_elem_bytes(x->dtype);
    int64_t outer = obn_dims_product(x->dims, 0, axis);
    const char *src = x->data;
    char *dst = ctx->outputs[0]->data;
    for (int64_t o = 0; o < outer; o++) {
        const char *base = src + (size_t)o * (size_t)n * block;
        for (int64_t j = 0; j < idx->numel; j++) {
            int64_t i = obn_load_i64(idx, j);
            if (i < 0) i += n;
            if (block) memcpy(dst, base + (size_t)i * block, block);
            dst += block;
        }
    }
    return OBN_OK;
}

/* Strings: the element pointers are gathered, then the output gets copies
 * of its own. */
static obn_status gather_run(obn_op_ctx *ctx)
{
    obn_status s = gather_elems(ctx);
    return ctx->outputs[0]->dtype == OBN_STRING ? obn_strings_own_copies(ctx, ctx->outputs[0], s) : s;
}

static const int versions[] = {1, 11, 13, 0};
static const char *const attr_names[] = {"axis", NULL};

static const obn_op_sig gather_sigs[] = {{1, "data indices", "output"}, {0}};

const obn_op obn_op_gather = {
    .domain = "",
    .op_type = "Gather",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = gather_sigs,
    .attrs_size = sizeof(gather_attrs),
    .flags = OBN_OP_STRINGS,
    .parse = gather_parse,
    .infer = gather_infer,
    .run = gather_run,
};
OBN_REGISTER_OP(obn_op_gather);
