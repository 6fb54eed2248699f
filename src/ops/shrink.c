/* Shrink (9): y = x + bias if x < -lambd, x - bias if x > lambd, else 0
 * (attributes lambd, default 0.5, and bias, default 0). Every numeric type
 * but bfloat16; integers are compared and shifted in double and the result
 * truncated toward zero, then wrapped to the type (the ONNX reference
 * casts the float result back to the input type). */
#include "op_helpers.h"

typedef struct {
    float lambd, bias;
} shrink_attrs;

static obn_status shrink_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    shrink_attrs *a = out;
    OBN_TRY(obn_attr_get_float(n, "lambd", 0.5f, &a->lambd));
    return obn_attr_get_float(n, "bias", 0.0f, &a->bias);
}

static obn_status shrink_infer(obn_op_ctx *ctx)
{
    static const obn_dtype types[] = {OBN_UINT8, OBN_UINT16, OBN_UINT32, OBN_UINT64, OBN_INT8, OBN_INT16,
                                      OBN_INT32, OBN_INT64, OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, 0, "input", types));
    const obn_tensor *x = ctx->inputs[0];
    return obn_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

static double shrink(double x, double lambd, double bias)
{
    return x < -lambd ? x + bias : x > lambd ? x - bias : 0.0;
}

static obn_status shrink_run(obn_op_ctx *ctx)
{
    const shrink_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    if (x->dtype == OBN_FLOAT) {
        const float *p = x->data;
        float *q = y->data, l = a->lambd, b = a->bias;
        for (int64_t i = 0; i < x->numel; i++) q[i] = p[i] < -l ? p[i] + b : p[i] > l ? p[i] - b : 0.0f;
        return OBN_OK;
    }
    bool fl = obn_dtype_is_float(x->dtype);
    for (int64_t i = 0; i < x->numel; i++) {
        double v = shrink(obn_load_f64(x, i), a->lambd, a->bias);
        if (fl) obn_store_f64(y, i, v);
        else obn_store_i64(y, i, obn_f64_to_i64(v));
    }
    return OBN_OK;
}

static const int versions[] = {9, 0};
static const char *const attr_names[] = {"bias", "lambd", NULL};
static const obn_op_sig shrink_sigs[] = {{9, "input", "output"}, {0}};

const obn_op obn_op_shrink = {
    .domain = "",
    .op_type = "Shrink",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = shrink_sigs,
    .attrs_size = sizeof(shrink_attrs),
    .parse = shrink_parse,
    .infer = shrink_infer,
    .run = shrink_run,
};
OBN_REGISTER_OP(obn_op_shrink);
