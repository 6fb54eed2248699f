/* Transpose (1, 13, 21, 23, 24, 25; 21+ only add types onnxbn does not
 * store), every storable type: y.shape[i] = x.shape[perm[i]];
 * perm defaults to the reversed axes and must be a permutation of
 * 0..rank-1. */
#include "kernels/transpose.h"
#include "op_util.h"
#include "string_tensor.h"

typedef struct {
    int64_t perm[OBN_MAX_RANK];
    size_t n_perm; /* 0: attribute absent (reverse) */
} transpose_attrs;

static obn_status transpose_parse(const obn_node *n, int v, void *out)
{
    transpose_attrs *a = out;
    (void)v;
    return obn_attr_get_ints(n, "perm", OBN_MAX_RANK, a->perm, &a->n_perm);
}

/* The permutation for this input's rank, checked. */
static obn_status get_perm(const obn_op_ctx *ctx, int *perm)
{
    const transpose_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    int rank = x->rank;
    char sh[OBN_SHAPE_STR_CAP];
    if (a->n_perm == 0) {
        for (int i = 0; i < rank; i++) perm[i] = rank - 1 - i;
        return OBN_OK;
    }
    if (a->n_perm != (size_t)rank)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                           "attribute 'perm' has %zu values, but input 'data' ('%s') %s has rank %d",
                           a->n_perm, obn_in_name(ctx, 0), obn_shape_str(rank, x->dims, sh, sizeof sh), rank);
    bool seen[OBN_MAX_RANK] = {false};
    for (int i = 0; i < rank; i++) {
        int64_t p = a->perm[i];
        if (p < 0 || p >= rank || seen[p])
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                               "attribute 'perm' is not a permutation of 0..%d: value %lld at index %d %s", rank - 1,
                               (long long)p, i, p < 0 || p >= rank ? "is out of range" : "repeats");
        seen[p] = true;
        perm[i] = (int)p;
    }
    return OBN_OK;
}

static obn_status transpose_infer(obn_op_ctx *ctx)
{
    OBN_TRY(obn_check_all_types(ctx, 0, "data", 21));
    const obn_tensor *x = ctx->inputs[0];
    int perm[OBN_MAX_RANK];
    OBN_TRY(get_perm(ctx, perm));
    int64_t dims[OBN_MAX_RANK];
    for (int i = 0; i < x->rank; i++) dims[i] = x->dims[perm[i]];
    return obn_set_output(ctx, 0, x->dtype, x->rank, dims);
}

static obn_status transpose_run(obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0];
    int perm[OBN_MAX_RANK];
    OBN_TRY(get_perm(ctx, perm));
    /* strings: their pointers move, then the output gets copies of its own */
    obn_transpose(x->data, ctx->outputs[0]->data, obn_dtype_elem_bytes(x->dtype), x->rank, x->dims, perm, ctx->threads);
    return x->dtype == OBN_STRING ? obn_strings_own_copies(ctx, ctx->outputs[0], OBN_OK) : OBN_OK;
}

static const int versions[] = {1, 13, 21, 23, 24, 25, 0};
static const char *const attr_names[] = {"perm", NULL};

static const obn_op_sig transpose_sigs[] = {{1, "data", "transposed"}, {0}};

const obn_op obn_op_transpose = {
    .domain = "",
    .op_type = "Transpose",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = transpose_sigs,
    .attrs_size = sizeof(transpose_attrs),
    .flags = OBN_OP_STRINGS,
    .parse = transpose_parse,
    .infer = transpose_infer,
    .run = transpose_run,
};
OBN_REGISTER_OP(obn_op_transpose);
