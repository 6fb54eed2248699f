/* The functions a custom operator's callbacks call (include/onnxbn.h,
 * "Custom operators and plugins"): the node and its attributes for parse,
 * the planned node for infer, prepare and compute. They are thin views of
 * the internal obn_node and obn_op_ctx, with the same attribute getters and
 * messages the built-in operators use (op_util.h). */
#include <stdarg.h>
#include <stdio.h>

#include "custom_op.h"
#include "op_util.h"

const char *obn_node_name(const obn_node *node) { return node ? node->name : ""; }
const char *obn_node_op_type(const obn_node *node) { return node ? node->op_type : ""; }
const char *obn_node_domain(const obn_node *node) { return node ? node->domain : ""; }
int obn_node_since_version(const obn_node *node) { return node ? node->since_version : 0; }
void *obn_node_user_data(const obn_node *node) { return node ? obn_custom_user_data(node->op) : NULL; }

int obn_node_has_attr(const obn_node *node, const char *name)
{
    return node && name && obn_node_attr(node, name) != NULL;
}

static obn_status null_args(const char *fn) { return obn_err(OBN_E_INVALID_ARGUMENT, "%s: NULL argument", fn); }

obn_status obn_node_attr_int(const obn_node *node, const char *name, int64_t default_value, int64_t *out)
{
    if (!node || !name || !out) return null_args("obn_node_attr_int");
    return obn_attr_get_int(node, name, default_value, out);
}

obn_status obn_node_attr_float(const obn_node *node, const char *name, float default_value, float *out)
{
    if (!node || !name || !out) return null_args("obn_node_attr_float");
    return obn_attr_get_float(node, name, default_value, out);
}

obn_status obn_node_attr_string(const obn_node *node, const char *name, const char *default_value, const char **out)
{
    if (!node || !name || !out) return null_args("obn_node_attr_string");
    return obn_attr_get_string(node, name, default_value, out);
}

obn_status obn_node_attr_tensor(const obn_node *node, const char *name, const obn_tensor **out)
{
    if (!node || !name || !out) return null_args("obn_node_attr_tensor");
    return obn_attr_get_tensor(node, name, out);
}

/* A list attribute of the given type, borrowed; count 0 when absent. */
static obn_status attr_list(const obn_node *node, const char *name, obn_attr_type want, const obn_attr **out)
{
    const obn_attr *a = obn_node_attr(node, name);
    *out = NULL;
    if (!a) return OBN_OK;
    if (a->type != want)
        return obn_node_err(node, OBN_E_INVALID_MODEL, "attribute '%s' has type %s, expected %s", name,
                            obn_attr_type_name(a->type), obn_attr_type_name(want));
    *out = a;
    return OBN_OK;
}

obn_status obn_node_attr_ints(const obn_node *node, const char *name, size_t *count, const int64_t **values)
{
    if (!node || !name || !count || !values) return null_args("obn_node_attr_ints");
    const obn_attr *a;
    *count = 0;
    *values = NULL;
    OBN_TRY(attr_list(node, name, OBN_ATTR_INTS, &a));
    if (a && a->n) {
        *count = a->n;
        *values = a->ints;
    }
    return OBN_OK;
}

obn_status obn_node_attr_floats(const obn_node *node, const char *name, size_t *count, const float **values)
{
    if (!node || !name || !count || !values) return null_args("obn_node_attr_floats");
    const obn_attr *a;
    *count = 0;
    *values = NULL;
    OBN_TRY(attr_list(node, name, OBN_ATTR_FLOATS, &a));
    if (a && a->n) {
        *count = a->n;
        *values = a->floats;
    }
    return OBN_OK;
}

obn_status obn_node_error(const obn_node *node, obn_status status, const char *fmt, ...)
{
    char msg[768] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
    }
    if (!node) return obn_err(status, "%s", msg);
    return obn_node_err(node, status, "%s", msg);
}

/* ---------------------------------------------------------------- planned node */

const obn_node *obn_op_node(const obn_op_ctx *ctx) { return ctx ? ctx->node : NULL; }
int obn_op_since_version(const obn_op_ctx *ctx) { return ctx ? ctx->since_version : 0; }
const void *obn_op_attrs(const obn_op_ctx *ctx) { return ctx && ctx->node->op->attrs_size ? ctx->attrs : NULL; }
void *obn_op_state(const obn_op_ctx *ctx) { return ctx ? obn_custom_state(ctx) : NULL; }
void *obn_op_user_data(const obn_op_ctx *ctx) { return ctx ? obn_custom_user_data(ctx->node->op) : NULL; }
int obn_op_threads(const obn_op_ctx *ctx) { return ctx ? ctx->threads : 1; }
size_t obn_op_input_count(const obn_op_ctx *ctx) { return ctx ? (size_t)ctx->n_inputs : 0; }
size_t obn_op_output_count(const obn_op_ctx *ctx) { return ctx ? (size_t)ctx->n_outputs : 0; }

const obn_tensor *obn_op_input(const obn_op_ctx *ctx, size_t index)
{
    return ctx && index < (size_t)ctx->n_inputs ? ctx->inputs[index] : NULL;
}

obn_tensor *obn_op_output(obn_op_ctx *ctx, size_t index)
{
    return ctx && index < (size_t)ctx->n_outputs ? ctx->outputs[index] : NULL;
}

obn_status obn_op_set_output(obn_op_ctx *ctx, size_t index, obn_dtype dtype, size_t rank, const int64_t *dims)
{
    if (!ctx) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_op_set_output: ctx is NULL");
    if (index >= (size_t)ctx->n_outputs)
        return obn_node_err(ctx->node, OBN_E_INVALID_ARGUMENT, "obn_op_set_output: output #%zu out of range (%d outputs)",
                            index, ctx->n_outputs);
    obn_tensor *t = ctx->outputs[index];
    if (!t) return OBN_OK;
    if (t->data)
        return obn_node_err(ctx->node, OBN_E_INVALID_ARGUMENT,
                            "obn_op_set_output: output '%s' already has its buffer (shapes are set in infer)", t->name);
    if (!obn_dtype_is_storable((int)dtype))
        return obn_node_err(ctx->node, OBN_E_INVALID_ARGUMENT, "obn_op_set_output: output '%s': dtype %d (%s) cannot be stored",
                            t->name, (int)dtype, obn_dtype_name(dtype));
    if (rank > OBN_MAX_RANK || (rank && !dims))
        return obn_node_err(ctx->node, OBN_E_INVALID_ARGUMENT, "obn_op_set_output: output '%s': rank %zu %s", t->name,
                            rank, rank > OBN_MAX_RANK ? "is above OBN_MAX_RANK" : "with NULL dims");
    obn_status s = obn_tensor_set_shape(t, dtype, (int)rank, dims);
    if (s != OBN_OK) return obn_err_prefix(OBN_E_INVALID_ARGUMENT, "obn_op_set_output: ");
    return OBN_OK;
}
