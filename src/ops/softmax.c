/* Softmax and LogSoftmax (1, 11, 13).
 * Versions 1 and 11 flatten the input to 2-D at `axis` (default 1) and
 * normalise each row over all trailing dims; version 13 normalises along the
 * single axis `axis` (default -1). Both are computed as [outer][len][inner]:
 * 1/11 with len = product of dims[axis..], inner = 1. */
#include <math.h>
#include <string.h>

#include "kernels/softmax.h"
#include "op_helpers.h"

typedef struct {
    bool log;
    int64_t axis;
} softmax_attrs;

static obn_status softmax_parse(const obn_node *n, int v, void *out)
{
    softmax_attrs *a = out;
    a->log = strcmp(n->op_type, "LogSoftmax") == 0;
    return obn_attr_get_int(n, "axis", v >= 13 ? -1 : 1, &a->axis);
}

static obn_status softmax_shape(const obn_op_ctx *ctx, int64_t *outer, int64_t *len, int64_t *inner)
{
    const softmax_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    int axis;
    OBN_TRY(obn_norm_axis(ctx, a->axis, x->rank, false, &axis));
    *outer = obn_dims_product(x->dims, 0, axis);
    if (ctx->since_version >= 13) {
        *len = x->dims[axis];
        *inner = obn_dims_product(x->dims, axis + 1, x->rank);
    } else {
        *len = obn_dims_product(x->dims, axis, x->rank);
        *inner = 1;
    }
    return OBN_OK;
}

static obn_status softmax_infer(obn_op_ctx *ctx)
{
    static const obn_dtype legacy[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, 0, "input", ctx->since_version >= 13 ? OBN_FLOAT_TYPES : legacy));
    const obn_tensor *x = ctx->inputs[0];
    if (x->rank == 0) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input ('%s') is a scalar; rank >= 1 needed", obn_in_name(ctx, 0));
    int64_t outer, len, inner;
    OBN_TRY(softmax_shape(ctx, &outer, &len, &inner));
    return obn_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

static obn_status softmax_run(obn_op_ctx *ctx)
{
    const softmax_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    int64_t outer, len, inner;
    OBN_TRY(softmax_shape(ctx, &outer, &len, &inner));
    if (x->dtype == OBN_FLOAT) {
        obn_softmax_f32(x->data, y->data, outer, len, inner, a->log, ctx->threads);
    } else if (x->dtype == OBN_DOUBLE) {
        obn_softmax_f64(x->data, y->data, outer, len, inner, a->log, ctx->threads);
    } else { /* float16 / bfloat16: per vector in double */
        for (int64_t v = 0; v < outer * inner; v++) {
            int64_t base = (v / inner) * len * inner + v % inner;
            double mx = -INFINITY, sum = 0;
            for (int64_t k = 0; k < len; k++) mx = fmax(mx, obn_load_f64(x, base + k * inner));
            if (isinf(mx) && mx < 0) mx = 0;
            for (int64_t k = 0; k < len; k++) sum += exp(obn_load_f64(x, base + k * inner) - mx);
            for (int64_t k = 0; k < len; k++) {
                double e = obn_load_f64(x, base + k * inner) - mx;
                obn_store_f64(y, base + k * inner, a->log ? e - log(sum) : exp(e) / sum);
            }
        }
    }
    return OBN_OK;
}

static const int versions[] = {1, 11, 13, 0};
static const char *const attr_names[] = {"axis", NULL};

static const obn_op_sig softmax_sigs[] = {{1, "input", "output"}, {0}};

const obn_op obn_op_softmax = {
    .domain = "",
    .op_type = "Softmax",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = softmax_sigs,
    .attrs_size = sizeof(softmax_attrs),
    .parse = softmax_parse,
    .infer = softmax_infer,
    .run = softmax_run,
};
OBN_REGISTER_OP(obn_op_softmax);

static const obn_op_sig log_softmax_sigs[] = {{1, "input", "output"}, {0}};

const obn_op obn_op_log_softmax = {
    .domain = "",
    .op_type = "LogSoftmax",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = log_softmax_sigs,
    .attrs_size = sizeof(softmax_attrs),
    .parse = softmax_parse,
    .infer = softmax_infer,
    .run = softmax_run,
};
OBN_REGISTER_OP(obn_op_log_softmax);
