/* TopK (1, 10, 11, 24): the k largest (or, from 11 on, with largest=0, smallest)
 * elements along `axis` (default -1) and their int64 positions, best first;
 * equal elements keep their input order (lower position first). k is an
 * attribute in version 1 and a one-element int64 input 'K' from 10 on; an
 * input K that is not known when planning makes the output shape
 * data-dependent (OBN_DEFER). sorted=0 allows any order: the sorted one is
 * returned. NaN ranks above +inf (numpy's order). Float types only before
 * 11, every numeric type from 11 on (bfloat16 from 24 on). */
#include "kernels/select.h"
#include "op_helpers.h"
#include "op_keys.h"

typedef struct {
    int64_t axis, k;
    bool largest;
} topk_attrs;

static obn_status topk_parse(const obn_node *n, int v, void *out)
{
    topk_attrs *a = out;
    if (v < 11 && (obn_node_attr(n, "largest") || obn_node_attr(n, "sorted")))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attributes 'largest' and 'sorted' are not part of TopK-%d", v);
    if (v >= 10 && obn_node_attr(n, "k"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'k' is not part of TopK-%d (k is input 'K')", v);
    int64_t largest, sorted;
    OBN_TRY(obn_attr_get_int(n, "axis", -1, &a->axis));
    OBN_TRY(obn_attr_int_range(n, "largest", 1, 0, 1, &largest));
    OBN_TRY(obn_attr_int_range(n, "sorted", 1, 0, 1, &sorted));
    a->largest = largest != 0;
    if (v >= 10) return OBN_OK;
    if (!obn_node_attr(n, "k")) return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'k' is required by TopK-1");
    OBN_TRY(obn_attr_get_int(n, "k", 0, &a->k));
    if (a->k < 0) return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'k' is %lld; must be >= 0", (long long)a->k);
    return OBN_OK;
}

/* k from the attribute or from input K; OBN_DEFER when K's data is unknown. */
static obn_status topk_k(const obn_op_ctx *ctx, int64_t *k)
{
    const topk_attrs *a = ctx->attrs;
    if (ctx->since_version < 10) {
        *k = a->k;
        return OBN_OK;
    }
    static const obn_dtype int64_only[] = {OBN_INT64, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, 1, "K", int64_only));
    const obn_tensor *kt = ctx->inputs[1];
    if (kt->numel != 1 || kt->rank > 1)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'K' ('%s') must hold exactly one value (rank %d, %lld elements)",
                           obn_in_name(ctx, 1), kt->rank, (long long)kt->numel);
    if (!kt->data) return OBN_DEFER;
    *k = obn_load_i64(kt, 0);
    if (*k < 0) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'K' ('%s') is %lld; must be >= 0", obn_in_name(ctx, 1), (long long)*k);
    return OBN_OK;
}

static obn_status topk_axis(const obn_op_ctx *ctx, int *axis, int64_t *k)
{
    const topk_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    if (x->rank == 0) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'X' ('%s') is a scalar", obn_in_name(ctx, 0));
    OBN_TRY(obn_norm_axis(ctx, a->axis, x->rank, false, axis));
    OBN_TRY(topk_k(ctx, k));
    if (*k > x->dims[*axis])
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "k=%lld exceeds the size %lld of axis %d of input 'X' ('%s')",
                           (long long)*k, (long long)x->dims[*axis], *axis, obn_in_name(ctx, 0));
    return OBN_OK;
}

static obn_status topk_infer(obn_op_ctx *ctx)
{
    static const obn_dtype legacy[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    static const obn_dtype v11[] = {OBN_UINT8, OBN_UINT16, OBN_UINT32, OBN_UINT64, OBN_INT8, OBN_INT16,
                                    OBN_INT32, OBN_INT64, OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    int v = ctx->since_version;
    OBN_TRY(obn_check_input_dtype(ctx, 0, "X", v >= 24 ? OBN_NUMERIC_TYPES : v >= 11 ? v11 : legacy));
    int axis;
    int64_t k = 0;
    OBN_TRY(topk_axis(ctx, &axis, &k));
    const obn_tensor *x = ctx->inputs[0];
    int64_t dims[OBN_MAX_RANK];
    for (int d = 0; d < x->rank; d++) dims[d] = d == axis ? k : x->dims[d];
    OBN_TRY(obn_set_output(ctx, 0, x->dtype, x->rank, dims));
    return obn_set_output(ctx, 1, OBN_INT64, x->rank, dims);
}

static size_t topk_workspace(const obn_op_ctx *ctx)
{
    int axis;
    int64_t k = 0;
    if (topk_axis(ctx, &axis, &k) != OBN_OK) return 0;
    const obn_tensor *x = ctx->inputs[0];
    int nt = obn_topk_threads(obn_dims_product(x->dims, 0, axis), x->dims[axis],
                              obn_dims_product(x->dims, axis + 1, x->rank), ctx->threads);
    return (size_t)nt * (size_t)k * sizeof(obn_topk_entry);
}

static obn_status topk_run(obn_op_ctx *ctx)
{
    const topk_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    int axis;
    int64_t k = 0;
    OBN_TRY(topk_axis(ctx, &axis, &k));
    obn_topk(obn_key_type_of(x->dtype), x->data, obn_dtype_size(x->dtype), obn_dims_product(x->dims, 0, axis),
             x->dims[axis], obn_dims_product(x->dims, axis + 1, x->rank), k, a->largest, ctx->outputs[0]->data,
             ctx->outputs[1]->data, ctx->workspace, ctx->threads);
    return OBN_OK;
}

static const int versions[] = {1, 10, 11, 24, 0};
static const char *const attr_names[] = {"axis", "k", "largest", "sorted", NULL};
static const obn_op_sig topk_sigs[] = {{1, "X", "Values Indices"}, {10, "X K", "Values Indices"}, {0}};

const obn_op obn_op_topk = {
    .domain = "",
    .op_type = "TopK",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = topk_sigs,
    .attrs_size = sizeof(topk_attrs),
    .parse = topk_parse,
    .infer = topk_infer,
    .run = topk_run,
    .workspace = topk_workspace,
};
OBN_REGISTER_OP(obn_op_topk);
