/* Constant (1, 9, 11, 12, 13, 19, 21, 23, 24, 25) and ConstantOfShape (9, 20,
 * 21, 23, 24, 25; bfloat16 values from 20). Versions 19+ only add element
 * types onnxbn does not store (float8, int4, float4, int2).
 *
 * Constant's value is exactly one of the attributes `value` (a tensor),
 * `value_float(s)`, `value_int(s)`, `value_string(s)` (versions 12+; a
 * string tensor as `value` too); `sparse_value` is rejected as unsupported.
 * It has no inputs, so the planner computes it once at plan time.
 * ConstantOfShape fills a tensor of the shape given by its int64 input with
 * the one element of `value` (default: float 0). */
#include <string.h>

#include "op_helpers.h"
#include "string_tensor.h"

static const char *const value_attrs[] = {"value", "value_float", "value_floats", "value_int",
                                               "value_ints", "value_string", "value_strings", "sparse_value", NULL};

static obn_status constant_parse(const obn_node *n, int v, void *out)
{
    (void)out;
    const char *which = NULL;
    int count = 0;
    for (int i = 0; i < 8; i++)
        if (obn_node_attr(n, value_attrs[i])) {
            which = value_attrs[i];
            count++;
        }
    if (count != 1)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "needs exactly one value attribute (value, value_float, ...), has %d",
                            count);
    if (strcmp(which, "sparse_value") == 0)
        return obn_node_err(n, OBN_E_UNSUPPORTED, "attribute 'sparse_value': sparse constants are not supported");
    if (strcmp(which, "value") != 0 && v < 12)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' is not part of Constant-%d", which, v);
    const obn_attr *value = obn_node_attr(n, "value");
    if (value && value->type == OBN_ATTR_TENSOR)
        OBN_TRY(obn_check_type_since(n, v, value->t->dtype, 19, "attribute 'value'"));
    static const obn_attr_type types[] = {OBN_ATTR_TENSOR, OBN_ATTR_FLOAT, OBN_ATTR_FLOATS, OBN_ATTR_INT,
                                          OBN_ATTR_INTS, OBN_ATTR_STRING, OBN_ATTR_STRINGS};
    for (int i = 0; i < 7; i++) {
        const obn_attr *a = obn_node_attr(n, value_attrs[i]);
        if (a && a->type != types[i])
            return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' has type %s, expected %s", a->name,
                                obn_attr_type_name(a->type), obn_attr_type_name(types[i]));
    }
    return OBN_OK;
}

static obn_status constant_infer(obn_op_ctx *ctx)
{
    const obn_node *n = ctx->node;
    const obn_attr *a;
    if ((a = obn_node_attr(n, "value"))) return obn_set_output(ctx, 0, a->t->dtype, a->t->rank, a->t->dims);
    int64_t len;
    if ((a = obn_node_attr(n, "value_float"))) return obn_set_output(ctx, 0, OBN_FLOAT, 0, NULL);
    if ((a = obn_node_attr(n, "value_int"))) return obn_set_output(ctx, 0, OBN_INT64, 0, NULL);
    if ((a = obn_node_attr(n, "value_string"))) return obn_set_output(ctx, 0, OBN_STRING, 0, NULL);
    if ((a = obn_node_attr(n, "value_strings"))) {
        len = (int64_t)a->n;
        return obn_set_output(ctx, 0, OBN_STRING, 1, &len);
    }
    if ((a = obn_node_attr(n, "value_floats"))) {
        len = (int64_t)a->n;
        return obn_set_output(ctx, 0, OBN_FLOAT, 1, &len);
    }
    a = obn_node_attr(n, "value_ints");
    len = (int64_t)a->n;
    return obn_set_output(ctx, 0, OBN_INT64, 1, &len);
}

static obn_status constant_run(obn_op_ctx *ctx)
{
    const obn_node *n = ctx->node;
    obn_tensor *y = ctx->outputs[0];
    const obn_attr *a;
    if ((a = obn_node_attr(n, "value"))) {
        return obn_tensor_copy_data(y, a->t); /* strings copied */
    } else if ((a = obn_node_attr(n, "value_string"))) {
        return obn_string_set(y, 0, a->s, a->s_len);
    } else if ((a = obn_node_attr(n, "value_strings"))) {
        for (size_t i = 0; i < a->n; i++)
            OBN_TRY(obn_string_set(y, (int64_t)i, a->strings[i], a->string_lens ? a->string_lens[i] : strlen(a->strings[i])));
    } else if ((a = obn_node_attr(n, "value_float"))) {
        *(float *)y->data = a->f;
    } else if ((a = obn_node_attr(n, "value_int"))) {
        *(int64_t *)y->data = a->i;
    } else if ((a = obn_node_attr(n, "value_floats"))) {
        if (a->n) memcpy(y->data, a->floats, a->n * sizeof(float));
    } else if ((a = obn_node_attr(n, "value_ints"))) {
        if (a->n) memcpy(y->data, a->ints, a->n * sizeof(int64_t));
    }
    return OBN_OK;
}

static const int constant_versions[] = {1, 9, 11, 12, 13, 19, 21, 23, 24, 25, 0};

static const obn_op_sig constant_sigs[] = {{1, "", "output"}, {0}};

const obn_op obn_op_constant = {
    .domain = "",
    .op_type = "Constant",
    .since_versions = constant_versions,
    .attr_names = value_attrs,
    .sigs = constant_sigs,
    .flags = OBN_OP_STRINGS,
    .parse = constant_parse,
    .infer = constant_infer,
    .run = constant_run,
};
OBN_REGISTER_OP(obn_op_constant);

/* ---- ConstantOfShape ---- */

static obn_status cos_parse(const obn_node *n, int v, void *out)
{
    (void)out;
    const obn_tensor *t;
    OBN_TRY(obn_attr_get_tensor(n, "value", &t));
    if (t && t->numel != 1)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'value' has %lld elements, expected 1", (long long)t->numel);
    if (t) OBN_TRY(obn_check_type_since(n, v, t->dtype, 20, "attribute 'value'"));
    if (t && t->dtype == OBN_BFLOAT16 && v < 20)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'value' has type bfloat16, not allowed by ConstantOfShape-%d", v);
    return OBN_OK;
}

static obn_status cos_infer(obn_op_ctx *ctx)
{
    int64_t dims[OBN_MAX_RANK];
    size_t rank;
    const obn_tensor *t = ctx->inputs[0];
    if (t->dtype != OBN_INT64)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'input' ('%s') has type %s, expected int64", obn_in_name(ctx, 0),
                           obn_dtype_name(t->dtype));
    if (t->rank != 1)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'input' ('%s') must be 1-D (rank %d)", obn_in_name(ctx, 0), t->rank);
    if (t->numel > OBN_MAX_RANK)
        return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "input 'input' ('%s') asks for rank %lld (onnxbn supports up to %d)",
                           obn_in_name(ctx, 0), (long long)t->numel, OBN_MAX_RANK);
    OBN_TRY(obn_read_int_input(ctx, 0, "input", OBN_MAX_RANK, dims, &rank));
    for (size_t d = 0; d < rank; d++)
        if (dims[d] < 0)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'input' ('%s') has negative dimension %lld",
                               obn_in_name(ctx, 0), (long long)dims[d]);
    const obn_tensor *v;
    OBN_TRY(obn_attr_get_tensor(ctx->node, "value", &v));
    return obn_set_output(ctx, 0, v ? v->dtype : OBN_FLOAT, (int)rank, dims);
}

static obn_status cos_run(obn_op_ctx *ctx)
{
    obn_tensor *y = ctx->outputs[0];
    const obn_tensor *v;
    OBN_TRY(obn_attr_get_tensor(ctx->node, "value", &v));
    if (!v) {
        memset(y->data, 0, y->nbytes); /* float 0 */
        return OBN_OK;
    }
    size_t es = obn_dtype_size(y->dtype);
    for (int64_t i = 0; i < y->numel; i++) memcpy((char *)y->data + (size_t)i * es, v->data, es);
    return OBN_OK;
}

static const int cos_versions[] = {9, 20, 21, 23, 24, 25, 0};
static const char *const cos_attrs[] = {"value", NULL};

static const obn_op_sig constant_of_shape_sigs[] = {{9, "input", "output"}, {0}};

const obn_op obn_op_constant_of_shape = {
    .domain = "",
    .op_type = "ConstantOfShape",
    .since_versions = cos_versions,
    .attr_names = cos_attrs,
    .sigs = constant_of_shape_sigs,
    .parse = cos_parse,
    .infer = cos_infer,
    .run = cos_run,
};
OBN_REGISTER_OP(obn_op_constant_of_shape);
