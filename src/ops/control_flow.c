#include "control_flow.h"

#include <string.h>

obn_status obn_cf_body(const obn_node *n, const char *name, int n_in, const char *what_in, int n_out,
                       const char *what_out, const obn_graph **out)
{
    const obn_attr *a = obn_node_attr(n, name);
    if (!a) return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' (a graph) is missing", name);
    if (a->type != OBN_ATTR_GRAPH || !a->g)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' must be a GRAPH, not %s", name,
                            obn_attr_type_name(a->type));
    const obn_graph *g = a->g;
    int formal = g->n_inputs - g->n_outer;
    if (n_in >= 0 && formal != n_in)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s': the graph has %d input%s, expected %d (%s)", name,
                            formal, formal == 1 ? "" : "s", n_in, what_in);
    if (n_out >= 0 && g->n_outputs != n_out)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s': the graph has %d output%s, expected %d (%s)", name,
                            g->n_outputs, g->n_outputs == 1 ? "" : "s", n_out, what_out);
    *out = g;
    return OBN_OK;
}

bool obn_cf_any_value(obn_tensor *const *v, int n)
{
    for (int k = 0; k < n; k++)
        if (v[k] && v[k]->kind != OBN_KIND_TENSOR) return true;
    return false;
}

bool obn_cf_inputs_known(const obn_op_ctx *ctx)
{
    for (int k = 0; k < ctx->n_inputs; k++)
        if (ctx->inputs[k] && !ctx->inputs[k]->data) return false;
    return true;
}

obn_status obn_cf_check_scalar(const obn_op_ctx *ctx, int k, const char *role, obn_dtype dtype)
{
    const obn_tensor *t = ctx->inputs[k];
    if (t->kind != OBN_KIND_TENSOR)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' (%s) is a %s, expected a tensor", obn_in_name(ctx, k),
                           role, obn_kind_name(t->kind));
    if (t->dtype != dtype)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' (%s) has element type %s, expected %s",
                           obn_in_name(ctx, k), role, obn_dtype_name(t->dtype), obn_dtype_name(dtype));
    if (t->numel != 1)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' (%s) has %lld elements, expected one",
                           obn_in_name(ctx, k), role, (long long)t->numel);
    return OBN_OK;
}

bool obn_cf_same_type(const obn_tensor *x, const obn_tensor *y)
{
    if (x->kind != y->kind || x->dtype != y->dtype || x->rank != y->rank) return false;
    for (int d = 0; d < x->rank; d++)
        if (x->dims[d] != y->dims[d]) return false;
    return true;
}
