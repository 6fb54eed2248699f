/* Range (11, 27): start, start+delta, ... up to (excluding) limit; the three
 * scalar inputs share one type (float, double, int16, int32, int64; from 27
 * also float16 and bfloat16). The length max(ceil((limit - start) / delta), 0)
 * needs their data: unknown at plan time means OBN_DEFER. Integers are
 * computed exactly; floats as start + i*delta.
 * Range-27's stash_type is the type the 16-bit float inputs are computed in:
 * its default 1 (float32) is implemented (inputs widened, length and values
 * computed in float32, values rounded to the input type), other values are
 * refused for those inputs; the spec's function body ignores it for the
 * other types. */
#include <math.h>

#include "op_helpers.h"

typedef struct {
    int64_t stash_type;
} range_attrs;

static obn_status range_parse(const obn_node *n, int v, void *out)
{
    range_attrs *a = out;
    if (v < 27 && obn_node_attr(n, "stash_type"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'stash_type' is not part of Range-%d", v);
    return obn_attr_get_int(n, "stash_type", OBN_FLOAT, &a->stash_type);
}

static bool is_16bit_float(obn_dtype t) { return t == OBN_FLOAT16 || t == OBN_BFLOAT16; }

/* Range-27 on float16/bfloat16 with stash_type float32: the length in float32
 * arithmetic. */
static obn_status range_length_f16(const obn_op_ctx *ctx, const double *vals, int64_t *len)
{
    float s = (float)vals[0], l = (float)vals[1], d = (float)vals[2]; /* exact: widened 16-bit values */
    if (d == 0 || !isfinite(s) || !isfinite(l) || !isfinite(d))
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "inputs start=%g limit=%g delta=%g do not make a finite range", vals[0],
                           vals[1], vals[2]);
    float diff = l - s, n = ceilf(diff / d);
    if (n > 1e15f) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "range of %g elements is too large", (double)n);
    *len = n > 0 ? (int64_t)n : 0;
    return OBN_OK;
}

static obn_status range_length(const obn_op_ctx *ctx, int64_t *len)
{
    static const char *const roles[3] = {"start", "limit", "delta"};
    double vals[3];
    obn_status deferred = OBN_OK;
    for (int k = 0; k < 3; k++) {
        if (k) OBN_TRY(obn_check_same_dtype(ctx, k, roles[k], 0, "start"));
        obn_status s = obn_read_scalar_input(ctx, k, roles[k], &vals[k]);
        if (s == OBN_DEFER) deferred = s;
        else OBN_TRY(s);
    }
    if (deferred) return deferred;
    if (is_16bit_float(ctx->inputs[0]->dtype)) return range_length_f16(ctx, vals, len);
    if (ctx->inputs[0]->dtype == OBN_INT64 || ctx->inputs[0]->dtype == OBN_INT32 || ctx->inputs[0]->dtype == OBN_INT16) {
        int64_t s = obn_load_i64(ctx->inputs[0], 0), l = obn_load_i64(ctx->inputs[1], 0), d = obn_load_i64(ctx->inputs[2], 0);
        if (d == 0) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'delta' is 0");
        /* in 128-bit-free form: the distance fits in uint64 */
        uint64_t dist = d > 0 ? (l > s ? (uint64_t)l - (uint64_t)s : 0) : (s > l ? (uint64_t)s - (uint64_t)l : 0);
        uint64_t step = d > 0 ? (uint64_t)d : 0 - (uint64_t)d;
        uint64_t n = dist / step + (dist % step != 0);
        if (n > (uint64_t)INT64_MAX) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "range of %llu elements is too large", (unsigned long long)n);
        *len = (int64_t)n;
        return OBN_OK;
    }
    if (vals[2] == 0 || !isfinite(vals[0]) || !isfinite(vals[1]) || !isfinite(vals[2]))
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "inputs start=%g limit=%g delta=%g do not make a finite range", vals[0],
                           vals[1], vals[2]);
    double n = ceil((vals[1] - vals[0]) / vals[2]);
    if (n > 1e15) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "range of %g elements is too large", n);
    *len = n > 0 ? (int64_t)n : 0;
    return OBN_OK;
}

static obn_status range_infer(obn_op_ctx *ctx)
{
    static const obn_dtype types[] = {OBN_FLOAT, OBN_DOUBLE, OBN_INT16, OBN_INT32, OBN_INT64, OBN_UNDEFINED};
    static const obn_dtype types27[] = {OBN_FLOAT, OBN_DOUBLE, OBN_INT16, OBN_INT32, OBN_INT64,
                                        OBN_FLOAT16, OBN_BFLOAT16, OBN_UNDEFINED};
    const range_attrs *a = ctx->attrs;
    OBN_TRY(obn_check_input_dtype(ctx, 0, "start", ctx->since_version >= 27 ? types27 : types));
    if (is_16bit_float(ctx->inputs[0]->dtype) && a->stash_type != OBN_FLOAT)
        return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "attribute 'stash_type' is %lld; for %s inputs onnxbn implements 1 (float)",
                           (long long)a->stash_type, obn_dtype_name(ctx->inputs[0]->dtype));
    int64_t len;
    OBN_TRY(range_length(ctx, &len));
    return obn_set_output(ctx, 0, ctx->inputs[0]->dtype, 1, &len);
}

static obn_status range_run(obn_op_ctx *ctx)
{
    obn_tensor *y = ctx->outputs[0];
    const obn_tensor *start = ctx->inputs[0], *delta = ctx->inputs[2];
    if (is_16bit_float(y->dtype)) { /* in the stash type, float32 */
        float s = (float)obn_load_f64(start, 0), d = (float)obn_load_f64(delta, 0);
        for (int64_t i = 0; i < y->numel; i++) obn_store_f64(y, i, s + (float)i * d);
    } else if (obn_dtype_is_float(y->dtype)) {
        double s = obn_load_f64(start, 0), d = obn_load_f64(delta, 0);
        for (int64_t i = 0; i < y->numel; i++) obn_store_f64(y, i, s + (double)i * d);
    } else {
        uint64_t s = (uint64_t)obn_load_i64(start, 0), d = (uint64_t)obn_load_i64(delta, 0);
        for (int64_t i = 0; i < y->numel; i++) obn_store_i64(y, i, (int64_t)(s + (uint64_t)i * d));
    }
    return OBN_OK;
}

static const int versions[] = {11, 27, 0};
static const char *const attr_names[] = {"stash_type", NULL};

static const obn_op_sig range_sigs[] = {{11, "start limit delta", "output"}, {0}};

const obn_op obn_op_range = {
    .domain = "",
    .op_type = "Range",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = range_sigs,
    .attrs_size = sizeof(range_attrs),
    .parse = range_parse,
    .infer = range_infer,
    .run = range_run,
};
OBN_REGISTER_OP(obn_op_range);
