/* ConcatFromSequence (11): the tensors of input_sequence joined along
 * `axis` (required). With new_axis = 1 they are stacked along a new axis
 * instead (all shapes equal; axis in [-r-1, r]); else their shapes agree
 * except along axis (in [-r, r-1]). An empty sequence has no result shape
 * and is refused. */
#include <string.h>

#include "seq_util.h"

typedef struct {
    int64_t axis;
    bool new_axis;
} concat_attrs;

static obn_status concat_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    concat_attrs *a = out;
    if (!obn_node_attr(n, "axis")) return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'axis' is required");
    int64_t new_axis;
    OBN_TRY(obn_attr_get_int(n, "axis", 0, &a->axis));
    OBN_TRY(obn_attr_get_int(n, "new_axis", 0, &new_axis));
    if (new_axis != 0 && new_axis != 1)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'new_axis' is %lld, expected 0 or 1", (long long)new_axis);
    a->new_axis = new_axis == 1;
    return OBN_OK;
}

static obn_status concat_infer(obn_op_ctx *ctx)
{
    OBN_TRY(obn_seq_check_kind(ctx, 0, "input_sequence", OBN_KIND_SEQUENCE));
    return OBN_DEFER; /* the shape follows the items */
}

/* Item i seen with the new axis of size 1 inserted (new_axis) or as is. */
static void item_dims(const obn_tensor *t, int axis, bool new_axis, int64_t *dims)
{
    int r = 0;
    for (int d = 0; d < t->rank; d++) {
        if (new_axis && d == axis) dims[r++] = 1;
        dims[r++] = t->dims[d];
    }
    if (new_axis && axis == t->rank) dims[r] = 1;
}

/* The result shape; every item checked against the first. */
static obn_status result_shape(obn_op_ctx *ctx, int *rank, int *axis, int64_t *dims)
{
    const concat_attrs *a = ctx->attrs;
    const obn_tensor *seq = ctx->inputs[0], *const *items = (const obn_tensor *const *)obn_value_items(seq);
    if (seq->numel == 0)
        return obn_ctx_err(ctx, OBN_E_INVALID_INPUT, "input '%s' is an empty sequence: nothing to concatenate",
                           obn_in_name(ctx, 0));
    if (items[0]->kind != OBN_KIND_TENSOR)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' holds %ss, not tensors", obn_in_name(ctx, 0),
                           obn_kind_name(items[0]->kind));
    int r = items[0]->rank + (a->new_axis ? 1 : 0);
    if (r > OBN_MAX_RANK) return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "the result would have rank %d", r);
    if (r == 0) return obn_ctx_err(ctx, OBN_E_INVALID_INPUT, "cannot concatenate scalars without new_axis");
    OBN_TRY(obn_norm_axis(ctx, a->axis, r, false, axis));
    item_dims(items[0], *axis, a->new_axis, dims);
    dims[*axis] = 0;
    for (int64_t i = 0; i < seq->numel; i++) {
        int64_t d[OBN_MAX_RANK];
        bool ok = items[i]->kind == OBN_KIND_TENSOR && items[i]->dtype == items[0]->dtype &&
                  items[i]->rank == items[0]->rank;
        if (ok) item_dims(items[i], *axis, a->new_axis, d);
        for (int k = 0; ok && k < r; k++) ok = k == *axis || d[k] == dims[k];
        if (!ok) {
            char s0[OBN_SHAPE_STR_CAP], si[OBN_SHAPE_STR_CAP];
            return obn_ctx_err(ctx, OBN_E_INVALID_INPUT,
                               "item %lld of '%s' is %s %s, which does not join item 0 (%s %s) along axis %d",
                               (long long)i, obn_in_name(ctx, 0), obn_dtype_name(items[i]->dtype),
                               obn_shape_str(items[i]->rank, items[i]->dims, si, sizeof si),
                               obn_dtype_name(items[0]->dtype),
                               obn_shape_str(items[0]->rank, items[0]->dims, s0, sizeof s0), *axis);
        }
        dims[*axis] += d[*axis];
    }
    *rank = r;
    return OBN_OK;
}

static obn_status concat_run(obn_op_ctx *ctx)
{
    const obn_tensor *seq = ctx->inputs[0], *const *items = (const obn_tensor *const *)obn_value_items(seq);
    int rank = 0, axis = 0;
    int64_t dims[OBN_MAX_RANK];
    OBN_TRY(result_shape(ctx, &rank, &axis, dims));
    OBN_TRY(obn_op_alloc_output(ctx, 0, items[0]->dtype, rank, dims));
    /* outer blocks before the axis; each item adds its slab per block */
    int64_t outer = obn_dims_product(dims, 0, axis);
    char *dst = ctx->outputs[0]->data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < seq->numel; i++) {
            size_t slab = items[i]->nbytes / (size_t)(outer ? outer : 1);
            if (slab) memcpy(dst, (const char *)items[i]->data + (size_t)o * slab, slab);
            dst += slab;
        }
    return OBN_OK;
}

static const int versions[] = {11, 0};
static const char *const attr_names[] = {"axis", "new_axis", NULL};
static const obn_op_sig concat_sigs[] = {{11, "input_sequence", "concat_result"}, {0}};

const obn_op obn_op_concat_from_sequence = {
    .domain = "",
    .op_type = "ConcatFromSequence",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = concat_sigs,
    .attrs_size = sizeof(concat_attrs),
    .flags = OBN_OP_RUN_SHAPES | OBN_OP_VALUES,
    .parse = concat_parse,
    .infer = concat_infer,
    .run = concat_run,
};
OBN_REGISTER_OP(obn_op_concat_from_sequence);
