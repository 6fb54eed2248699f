/* Relu (1, 6, 13, 14): y = max(x, 0). Float types, and from version 14 the
 * signed integer types. */
#include <math.h>

#include "kernels/eltwise.h"
#include "kernels/half.h"
#include "op_util.h"

static obn_status relu_parse(const obn_node *n, int v, void *out)
{
    (void)n;
    (void)v;
    (void)out;
    return OBN_OK;
}

static obn_status relu_infer(obn_op_ctx *ctx)
{
    static const obn_dtype v6[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    static const obn_dtype v13[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_BFLOAT16, OBN_UNDEFINED};
    static const obn_dtype v14[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_BFLOAT16, OBN_INT8,
                                    OBN_INT16, OBN_INT32, OBN_INT64, OBN_UNDEFINED};
    const obn_dtype *allowed = ctx->since_version >= 14 ? v14 : ctx->since_version >= 13 ? v13 : v6;
    OBN_TRY(obn_check_input_dtype(ctx, 0, "X", allowed));
    const obn_tensor *x = ctx->inputs[0];
    return obn_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

#define RELU_INT_LOOP(T)                                            \
    do {                                                            \
        const T *xs = x->data;                                      \
        T *ys = y->data;                                            \
        for (int64_t i = 0; i < n; i++) ys[i] = xs[i] > 0 ? xs[i] : 0; \
    } while (0)

static obn_status relu_run(obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    int64_t n = x->numel;
    switch (x->dtype) {
    case OBN_FLOAT: obn_clamp_f32(x->data, y->data, n, 0.0f, INFINITY, ctx->threads); break;
    case OBN_DOUBLE: {
        const double *xs = x->data;
        double *ys = y->data;
        for (int64_t i = 0; i < n; i++) ys[i] = xs[i] < 0 ? 0.0 : xs[i];
        break;
    }
    case OBN_FLOAT16: case OBN_BFLOAT16: {
        /* the sign bit decides: negative values (not NaN) become +0 */
        const uint16_t *xs = x->data;
        uint16_t *ys = y->data;
        for (int64_t i = 0; i < n; i++) {
            float f = x->dtype == OBN_FLOAT16 ? obn_f16_to_f32(xs[i]) : obn_bf16_to_f32(xs[i]);
            ys[i] = f < 0.0f ? 0 : xs[i];
        }
        break;
    }
    case OBN_INT8: RELU_INT_LOOP(int8_t); break;
    case OBN_INT16: RELU_INT_LOOP(int16_t); break;
    case OBN_INT32: RELU_INT_LOOP(int32_t); break;
    case OBN_INT64: RELU_INT_LOOP(int64_t); break;
    default: return obn_ctx_err(ctx, OBN_E_RUNTIME, "unexpected dtype %s", obn_dtype_name(x->dtype));
    }
    return OBN_OK;
}

static const int versions[] = {1, 6, 13, 14, 0};
static const char *const attr_names[] = {"consumed_inputs", NULL};

static const obn_op_sig relu_sigs[] = {{1, "X", "Y"}, {0}};

const obn_op obn_op_relu = {
    .domain = "",
    .op_type = "Relu",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = relu_sigs,
    .parse = relu_parse,
    .infer = relu_infer,
    .run = relu_run,
};
OBN_REGISTER_OP(obn_op_relu);
