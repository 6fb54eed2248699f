#include "seq_util.h"

#include "string_tensor.h"

#include <string.h>

obn_status obn_seq_check_kind(const obn_op_ctx *ctx, int k, const char *role, obn_kind kind)
{
    const obn_tensor *t = ctx->inputs[k];
    if (t->kind == kind) return OBN_OK;
    return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' (%s) is %s %s, expected %s %s", obn_in_name(ctx, k), role,
                       t->kind == OBN_KIND_OPTIONAL ? "an" : "a", obn_kind_name(t->kind),
                       kind == OBN_KIND_OPTIONAL ? "an" : "a", obn_kind_name(kind));
}

obn_status obn_seq_position(const obn_op_ctx *ctx, int k, int64_t n, bool allow_end, int64_t *out)
{
    const obn_tensor *t = ctx->inputs[k];
    OBN_TRY(obn_seq_check_kind(ctx, k, "position", OBN_KIND_TENSOR));
    if ((t->dtype != OBN_INT32 && t->dtype != OBN_INT64) || t->numel != 1)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' (position) must be one int32 or int64, not %lld of %s",
                           obn_in_name(ctx, k), (long long)t->numel, obn_dtype_name(t->dtype));
    int64_t p = obn_load_i64(t, 0), hi = allow_end ? n : n - 1;
    if (p < -n || p > hi) {
        if (n == 0 && !allow_end)
            return obn_ctx_err(ctx, OBN_E_INVALID_INPUT, "position %lld (input '%s') is out of range: the sequence is empty",
                               (long long)p, obn_in_name(ctx, k));
        return obn_ctx_err(ctx, OBN_E_INVALID_INPUT,
                           "position %lld (input '%s') is out of range [%lld, %lld] for a sequence of %lld", (long long)p,
                           obn_in_name(ctx, k), (long long)-n, (long long)hi, (long long)n);
    }
    *out = p < 0 ? p + n : p;
    return OBN_OK;
}

obn_status obn_seq_make_output(obn_op_ctx *ctx, int k, obn_kind kind, obn_dtype elem, size_t cap, obn_tensor **out)
{
    obn_tensor *t = ctx->outputs[k];
    if (!ctx->mem)
        return obn_ctx_err(ctx, OBN_E_RUNTIME, "output '%s' is a %s, which a static plan cannot hold", obn_out_name(ctx, k),
                           obn_kind_name(kind));
    OBN_TRY(obn_value_make(t, kind, elem, cap));
    *out = t;
    return OBN_OK;
}

obn_status obn_seq_tensor_output(obn_op_ctx *ctx, int k, const obn_tensor *src)
{
    OBN_TRY(obn_op_alloc_output(ctx, k, src->dtype, src->rank, src->dims));
    return obn_tensor_copy_data(ctx->outputs[k], src); /* strings copied */
}
