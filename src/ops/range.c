/* Range (11): start, start+delta, ... up to (excluding) limit; the three
 * scalar inputs share one type (float, double, int16, int32, int64). The
 * length max(ceil((limit - start) / delta), 0) needs their data: unknown at
 * plan time means OBN_DEFER. Integers are computed exactly; floats as
 * start + i*delta. */
#include <math.h>

#include "op_helpers.h"

static obn_status range_parse(const obn_node *n, int v, void *out)
{
    (void)n;
    (void)v;
    (void)out;
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
    OBN_TRY(obn_check_input_dtype(ctx, 0, "start", types));
    int64_t len;
    OBN_TRY(range_length(ctx, &len));
    return obn_set_output(ctx, 0, ctx->inputs[0]->dtype, 1, &len);
}

static obn_status range_run(obn_op_ctx *ctx)
{
    obn_tensor *y = ctx->outputs[0];
    const obn_tensor *start = ctx->inputs[0], *delta = ctx->inputs[2];
    if (obn_dtype_is_float(y->dtype)) {
        double s = obn_load_f64(start, 0), d = obn_load_f64(delta, 0);
        for (int64_t i = 0; i < y->numel; i++) obn_store_f64(y, i, s + (double)i * d);
    } else {
        uint64_t s = (uint64_t)obn_load_i64(start, 0), d = (uint64_t)obn_load_i64(delta, 0);
        for (int64_t i = 0; i < y->numel; i++) obn_store_i64(y, i, (int64_t)(s + (uint64_t)i * d));
    }
    return OBN_OK;
}

static const int versions[] = {11, 0};
static const char *const attr_names[] = {NULL};

static const obn_op_sig range_sigs[] = {{11, "start limit delta", "output"}, {0}};

const obn_op obn_op_range = {
    .domain = "",
    .op_type = "Range",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = range_sigs,
    .parse = range_parse,
    .infer = range_infer,
    .run = range_run,
};
OBN_REGISTER_OP(obn_op_range);
