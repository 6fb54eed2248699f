/* What ops get from the runtime beyond their ctx: outputs they shape while
 * running (OBN_OP_RUN_SHAPES) and the release of parsed attributes. */
#include <stdlib.h>
#include <string.h>

#include "op.h"
#include "resource_limits.h"
#include "status.h"
#include "string_tensor.h"
#include "value.h"

void obn_op_free_attrs(const obn_op *op, void *attrs)
{
    if (!attrs) return;
    if (op && op->free_attrs) op->free_attrs(attrs);
    free(attrs);
}

obn_status obn_op_alloc_output(obn_op_ctx *ctx, int k, obn_dtype dtype, int rank, const int64_t *dims)
{
    obn_tensor *t = ctx->outputs[k];
    char d[OBN_NODE_DESC_CAP];
    if (!ctx->mem)
        return obn_err(OBN_E_RUNTIME, "%s: output '%s' is shaped by the run, but the plan is static",
                       obn_node_desc(ctx->node, d, sizeof d), t->name);
    if (t->kind != OBN_KIND_TENSOR) obn_value_clear(t);
    if (obn_limits_check_rank(ctx->limits, rank, t->name) != OBN_OK || obn_tensor_set_shape(t, dtype, rank, dims) != OBN_OK)
        return obn_err_prefix(OBN_E_UNSUPPORTED, "%s: ", obn_node_desc(ctx->node, d, sizeof d));
    if (t->owns_data) {
        obn_budget_give(ctx->mem, t->nbytes);
        obn_strings_clear(t);
        free(t->data);
        t->data = NULL;
        t->owns_data = false;
    }
    OBN_TRY(obn_budget_take(ctx->mem, t->nbytes, t->name));
    return obn_tensor_alloc(t);
}

obn_status obn_op_count_bytes(obn_op_ctx *ctx, uint64_t bytes, const char *tensor)
{
    if (!ctx->mem || !bytes) return OBN_OK;
    char d[OBN_NODE_DESC_CAP];
    if (obn_budget_take(ctx->mem, bytes, tensor) != OBN_OK)
        return obn_err_prefix(OBN_E_UNSUPPORTED, "%s: strings of ", obn_node_desc(ctx->node, d, sizeof d));
    return OBN_OK;
}

obn_status obn_op_copy_output(obn_op_ctx *ctx, int k, const obn_tensor *src)
{
    obn_tensor *t = ctx->outputs[k];
    if (!t) return OBN_OK;
    if (src->kind != OBN_KIND_TENSOR) {
        char d[OBN_NODE_DESC_CAP];
        if (!ctx->mem)
            return obn_err(OBN_E_RUNTIME, "%s: output '%s' is a %s, but the plan is static",
                           obn_node_desc(ctx->node, d, sizeof d), t->name, obn_kind_name(src->kind));
        return obn_value_assign(t, src);
    }
    if (t->kind != OBN_KIND_TENSOR) obn_value_clear(t);
    bool same = t->data && t->dtype == src->dtype && t->rank == src->rank;
    for (int d = 0; same && d < src->rank; d++) same = t->dims[d] == src->dims[d];
    if (!same && t->data && !ctx->mem) {
        char d[OBN_NODE_DESC_CAP], a[OBN_SHAPE_STR_CAP], b[OBN_SHAPE_STR_CAP];
        return obn_err(OBN_E_RUNTIME, "%s: output '%s' was planned as %s %s, the run gives %s %s",
                       obn_node_desc(ctx->node, d, sizeof d), t->name, obn_dtype_name(t->dtype),
                       obn_shape_str(t->rank, t->dims, a, sizeof a), obn_dtype_name(src->dtype),
                       obn_shape_str(src->rank, src->dims, b, sizeof b));
    }
    if (!same) OBN_TRY(obn_op_alloc_output(ctx, k, src->dtype, src->rank, src->dims));
    return obn_tensor_copy_data(t, src);
}
