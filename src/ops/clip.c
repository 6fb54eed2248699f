/* Clip (1, 6, 11, 12, 13): y = min(max(x, min), max).
 * Versions 1 and 6 take the bounds as attributes; 11+ as optional scalar
 * inputs (an omitted bound does not clip), which may be known only at run
 * time. Version 12 adds the integer types, 13 bfloat16. With min > max every
 * element becomes max, as in numpy.clip. */
#include <math.h>

#include "kernels/eltwise.h"
#include "op_helpers.h"

typedef struct {
    float min, max; /* versions 1/6 */
} clip_attrs;

static obn_status clip_parse(const obn_node *n, int v, void *out)
{
    clip_attrs *a = out;
    if (v >= 11 && (obn_node_attr(n, "min") || obn_node_attr(n, "max")))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attributes 'min'/'max' are not part of Clip-%d (they are inputs)", v);
    if (v > 1 && obn_node_attr(n, "consumed_inputs"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'consumed_inputs' is not part of Clip-%d", v);
    OBN_TRY(obn_attr_get_float(n, "min", -INFINITY, &a->min));
    OBN_TRY(obn_attr_get_float(n, "max", INFINITY, &a->max));
    if (isnan(a->min) || isnan(a->max)) return obn_node_err(n, OBN_E_INVALID_MODEL, "attributes 'min'/'max' must not be NaN");
    return OBN_OK;
}

static obn_status clip_infer(obn_op_ctx *ctx)
{
    static const obn_dtype legacy[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    static const obn_dtype v12[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_INT8, OBN_INT16, OBN_INT32,
                                    OBN_INT64, OBN_UINT8, OBN_UINT16, OBN_UINT32, OBN_UINT64, OBN_UNDEFINED};
    int v = ctx->since_version;
    OBN_TRY(obn_check_input_dtype(ctx, 0, "input", v >= 13 ? OBN_NUMERIC_TYPES : v >= 12 ? v12 : legacy));
    static const char *const roles[3] = {"input", "min", "max"};
    for (int k = 1; k < 3; k++) {
        if (!obn_has_input(ctx, k)) continue;
        OBN_TRY(obn_check_same_dtype(ctx, k, roles[k], 0, "input"));
        const obn_tensor *t = ctx->inputs[k];
        if (t->numel != 1 || t->rank > 1) {
            char s[OBN_SHAPE_STR_CAP];
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has shape %s, expected a scalar", roles[k],
                               obn_in_name(ctx, k), obn_shape_str(t->rank, t->dims, s, sizeof s));
        }
    }
    const obn_tensor *x = ctx->inputs[0];
    return obn_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

static obn_status clip_run(obn_op_ctx *ctx)
{
    const clip_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    bool has_lo = ctx->since_version < 11 || obn_has_input(ctx, 1);
    bool has_hi = ctx->since_version < 11 || obn_has_input(ctx, 2);
    if (obn_dtype_is_float(x->dtype)) {
        double lo = ctx->since_version < 11 ? a->min : has_lo ? obn_load_f64(ctx->inputs[1], 0) : -INFINITY;
        double hi = ctx->since_version < 11 ? a->max : has_hi ? obn_load_f64(ctx->inputs[2], 0) : INFINITY;
        if (x->dtype == OBN_FLOAT) {
            obn_clamp_f32(x->data, y->data, x->numel, (float)lo, (float)hi, ctx->threads);
            return OBN_OK;
        }
        for (int64_t i = 0; i < x->numel; i++) {
            double v = obn_load_f64(x, i);
            v = v < lo ? lo : v;
            obn_store_f64(y, i, v > hi ? hi : v);
        }
        return OBN_OK;
    }
    if (obn_dtype_is_unsigned(x->dtype)) {
        uint64_t lo = has_lo ? obn_load_u64(ctx->inputs[1], 0) : 0;
        uint64_t hi = has_hi ? obn_load_u64(ctx->inputs[2], 0) : UINT64_MAX;
        for (int64_t i = 0; i < x->numel; i++) {
            uint64_t v = obn_load_u64(x, i);
            v = v < lo ? lo : v;
            obn_store_i64(y, i, (int64_t)(v > hi ? hi : v));
        }
        return OBN_OK;
    }
    int64_t lo = has_lo ? obn_load_i64(ctx->inputs[1], 0) : INT64_MIN;
    int64_t hi = has_hi ? obn_load_i64(ctx->inputs[2], 0) : INT64_MAX;
    for (int64_t i = 0; i < x->numel; i++) {
        int64_t v = obn_load_i64(x, i);
        v = v < lo ? lo : v;
        obn_store_i64(y, i, v > hi ? hi : v);
    }
    return OBN_OK;
}

static const int versions[] = {1, 6, 11, 12, 13, 0};
static const char *const attr_names[] = {"min", "max", "consumed_inputs", NULL};

static const obn_op_sig clip_sigs[] = {{1, "input", "output"}, {11, "input ?min ?max", "output"}, {0}};

const obn_op obn_op_clip = {
    .domain = "",
    .op_type = "Clip",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = clip_sigs,
    .attrs_size = sizeof(clip_attrs),
    .parse = clip_parse,
    .infer = clip_infer,
    .run = clip_run,
};
OBN_REGISTER_OP(obn_op_clip);
