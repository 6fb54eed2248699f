/* OneHot (9, 11): output = `indices` with a new axis of size `depth`
 * inserted at `axis` (default -1, in [-r-1, r] for indices of rank r);
 * along it, the position given by the index holds values[1] (on) and the
 * others values[0] (off). Version 11 also accepts negative indices
 * (counting back from depth); indices outside the valid range give a row of
 * off values. Non-integer indices and depth are truncated to int64. depth
 * must be known when planning (otherwise OBN_DEFER: the output shape needs
 * it). indices/depth: any numeric type but bfloat16; values: any storable
 * type but bfloat16. */
#include <string.h>

#include "op_helpers.h"

typedef struct {
    int64_t axis;
} onehot_attrs;

static obn_status onehot_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    return obn_attr_get_int(n, "axis", -1, &((onehot_attrs *)out)->axis);
}

static const obn_dtype index_types[] = {OBN_UINT8, OBN_UINT16, OBN_UINT32, OBN_UINT64, OBN_INT8, OBN_INT16,
                                        OBN_INT32, OBN_INT64, OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};

/* The inserted axis and depth; OBN_DEFER while depth's data is unknown. */
static obn_status onehot_shape(const obn_op_ctx *ctx, int *axis, int64_t *depth)
{
    const obn_tensor *idx = ctx->inputs[0], *vals = ctx->inputs[2];
    OBN_TRY(obn_check_input_dtype(ctx, 0, "indices", index_types));
    OBN_TRY(obn_check_input_dtype(ctx, 1, "depth", index_types));
    OBN_TRY(obn_check_input_dtype(ctx, 2, "values", OBN_ALL_TYPES_NO_BF16));
    if (vals->rank != 1 || vals->numel != 2) {
        char s[OBN_SHAPE_STR_CAP];
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'values' ('%s') has shape %s; expected [2] (off, on)",
                           obn_in_name(ctx, 2), obn_shape_str(vals->rank, vals->dims, s, sizeof s));
    }
    if (idx->rank + 1 > OBN_MAX_RANK)
        return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "output rank %d exceeds onnxbn's maximum %d", idx->rank + 1, OBN_MAX_RANK);
    OBN_TRY(obn_norm_axis(ctx, ((const onehot_attrs *)ctx->attrs)->axis, idx->rank, true, axis));
    double d;
    OBN_TRY(obn_read_scalar_input(ctx, 1, "depth", &d));
    *depth = obn_f64_to_i64(d);
    if (*depth < 1)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'depth' ('%s') is %g; must be at least 1", obn_in_name(ctx, 1), d);
    return OBN_OK;
}

static obn_status onehot_infer(obn_op_ctx *ctx)
{
    int axis;
    int64_t depth = 0, dims[OBN_MAX_RANK];
    OBN_TRY(onehot_shape(ctx, &axis, &depth));
    const obn_tensor *idx = ctx->inputs[0];
    for (int d = 0, k = 0; d <= idx->rank; d++) dims[d] = d == axis ? depth : idx->dims[k++];
    return obn_set_output(ctx, 0, ctx->inputs[2]->dtype, idx->rank + 1, dims);
}

static obn_status onehot_run(obn_op_ctx *ctx)
{
    int axis;
    int64_t depth = 0;
    OBN_TRY(onehot_shape(ctx, &axis, &depth));
    const obn_tensor *idx = ctx->inputs[0], *vals = ctx->inputs[2];
    obn_tensor *y = ctx->outputs[0];
    size_t es = obn_dtype_size(y->dtype);
    const char *off = vals->data;
    char *dst = y->data;
    for (int64_t e = 0; e < y->numel; e++) memcpy(dst + (size_t)e * es, off, es);
    int64_t inner = obn_dims_product(idx->dims, axis, idx->rank);
    bool negative_ok = ctx->since_version >= 11;
    for (int64_t e = 0; e < idx->numel; e++) {
        int64_t i = obn_load_i64(idx, e);
        if (negative_ok && i < 0 && i >= -depth) i += depth;
        if (i < 0 || i >= depth) continue;
        int64_t o = e / inner, in = e % inner;
        obn_copy_elem(y, (o * depth + i) * inner + in, vals, 1);
    }
    return OBN_OK;
}

static const int versions[] = {9, 11, 0};
static const char *const attr_names[] = {"axis", NULL};
static const obn_op_sig onehot_sigs[] = {{9, "indices depth values", "output"}, {0}};

const obn_op obn_op_onehot = {
    .domain = "",
    .op_type = "OneHot",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = onehot_sigs,
    .attrs_size = sizeof(onehot_attrs),
    .parse = onehot_parse,
    .infer = onehot_infer,
    .run = onehot_run,
};
OBN_REGISTER_OP(obn_op_onehot);
