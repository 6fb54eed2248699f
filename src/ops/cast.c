/* Cast (1, 6, 9, 13, 19, 21, 23, 24, 25) and CastLike (15, 19, 21, 23, 24,
 * 25) between every storable type. Cast-1 names the target type as a string
 * ("FLOAT"), 6+ as the TensorProto number. Conversions: float -> integer
 * truncates toward zero and saturates at the 64-bit range before wrapping to
 * the target width (defined behaviour for NaN and out-of-range values, where
 * C leaves it undefined); to bool is v != 0; float16/bfloat16 round to
 * nearest even. Strings are not supported.
 * The attributes of 19+ (saturate) and 24+ (round_mode) only change casts
 * to the float8 types, which the other versions' new types are too; they are
 * parsed and checked here for every target. */
#include <string.h>

#include "op_helpers.h"

typedef enum { CAST_ROUND_UP, CAST_ROUND_DOWN, CAST_ROUND_NEAREST } cast_round_mode;

typedef struct {
    obn_dtype to;               /* Cast */
    int saturate;               /* 19+: out-of-range float8 values clamp (1) or become NaN/Inf (0) */
    cast_round_mode round_mode; /* 24+: rounding to float8e8m0 */
} cast_attrs;

static obn_status dtype_from_name(const obn_node *n, const char *s, obn_dtype *out)
{
    static const char *const names[] = {"UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64",
                                        "STRING", "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64",
                                        "COMPLEX128", "BFLOAT16"};
    for (int i = 1; i < 17; i++)
        if (strcmp(names[i], s) == 0) {
            *out = (obn_dtype)i;
            return OBN_OK;
        }
    return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'to' names unknown type '%s'", s);
}

/* saturate (19+, default 1) and round_mode (24+, default "up"). */
static obn_status parse_float8_attrs(const obn_node *n, int v, cast_attrs *a)
{
    static const char *const modes[] = {"up", "down", "nearest"};
    const char *wrong = NULL;
    if (v < 19 && obn_node_attr(n, "saturate")) wrong = "saturate";
    if (v < 24 && obn_node_attr(n, "round_mode")) wrong = "round_mode";
    if (wrong) return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' is not part of %s-%d", wrong, n->op_type, v);
    int64_t saturate;
    const char *mode;
    OBN_TRY(obn_attr_int_range(n, "saturate", 1, 0, 1, &saturate));
    OBN_TRY(obn_attr_get_string(n, "round_mode", "up", &mode));
    a->saturate = (int)saturate;
    for (int i = 0; i < 3; i++)
        if (strcmp(mode, modes[i]) == 0) {
            a->round_mode = (cast_round_mode)i;
            return OBN_OK;
        }
    return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'round_mode' is '%s'; expected up, down or nearest", mode);
}

static obn_status cast_parse(const obn_node *n, int v, void *out)
{
    cast_attrs *a = out;
    OBN_TRY(parse_float8_attrs(n, v, a));
    if (strcmp(n->op_type, "CastLike") == 0) return OBN_OK;
    const obn_attr *to = obn_node_attr(n, "to");
    if (!to) return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'to' is required");
    if (v == 1 && to->type == OBN_ATTR_STRING) {
        OBN_TRY(dtype_from_name(n, to->s, &a->to));
    } else {
        int64_t t;
        OBN_TRY(obn_attr_get_int(n, "to", 0, &t));
        if (!obn_dtype_is_valid((int)t) || t != (int)t)
            return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'to' is %lld, not a TensorProto data type", (long long)t);
        a->to = (obn_dtype)t;
    }
    if (!obn_dtype_is_storable((int)a->to))
        return obn_node_err(n, OBN_E_UNSUPPORTED, "casting to %s is not supported", obn_dtype_name(a->to));
    if (a->to == OBN_BFLOAT16 && v < 13)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'to' is bfloat16, not allowed by Cast-%d", v);
    return OBN_OK;
}

static obn_dtype target(const obn_op_ctx *ctx)
{
    const cast_attrs *a = ctx->attrs;
    return ctx->node->op_type[4] == 'L' ? ctx->inputs[1]->dtype : a->to;
}

static obn_status cast_infer(obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0];
    obn_dtype to = target(ctx);
    if (!obn_dtype_is_storable((int)to))
        return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "casting to %s is not supported", obn_dtype_name(to));
    if (x->dtype == OBN_BFLOAT16 && ctx->since_version < 13)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input has type bfloat16, not allowed by Cast-%d", ctx->since_version);
    return obn_set_output(ctx, 0, to, x->rank, x->dims);
}

/* float32 -> other common targets without the per-element type switch. */
static bool cast_fast(const obn_tensor *x, obn_tensor *y)
{
    int64_t n = x->numel;
    if (x->dtype == OBN_FLOAT && y->dtype == OBN_DOUBLE) {
        const float *s = x->data;
        double *d = y->data;
        for (int64_t i = 0; i < n; i++) d[i] = s[i];
        return true;
    }
    if (x->dtype == OBN_INT64 && y->dtype == OBN_FLOAT) {
        const int64_t *s = x->data;
        float *d = y->data;
        for (int64_t i = 0; i < n; i++) d[i] = (float)s[i];
        return true;
    }
    if (x->dtype == OBN_INT32 && y->dtype == OBN_INT64) {
        const int32_t *s = x->data;
        int64_t *d = y->data;
        for (int64_t i = 0; i < n; i++) d[i] = s[i];
        return true;
    }
    return false;
}

static obn_status cast_run(obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    if (x->dtype == y->dtype) {
        if (x->nbytes) memcpy(y->data, x->data, x->nbytes);
        return OBN_OK;
    }
    if (cast_fast(x, y)) return OBN_OK;
    bool from_float = obn_dtype_is_float(x->dtype), to_float = obn_dtype_is_float(y->dtype);
    for (int64_t i = 0; i < x->numel; i++) {
        if (y->dtype == OBN_BOOL) {
            ((uint8_t *)y->data)[i] = from_float ? obn_load_f64(x, i) != 0 : obn_load_u64(x, i) != 0;
        } else if (to_float) {
            obn_store_f64(y, i, obn_load_f64(x, i));
        } else if (!from_float) {
            obn_store_i64(y, i, (int64_t)obn_load_u64(x, i)); /* wraps like a C conversion */
        } else {
            double v = obn_load_f64(x, i);
            if (y->dtype == OBN_UINT64 && v >= 9223372036854775808.0)
                ((uint64_t *)y->data)[i] = v >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)v;
            else
                obn_store_i64(y, i, obn_f64_to_i64(v));
        }
    }
    return OBN_OK;
}

static const int cast_versions[] = {1, 6, 9, 13, 19, 21, 23, 24, 25, 0};
static const int castlike_versions[] = {15, 19, 21, 23, 24, 25, 0};
static const char *const cast_attr_names[] = {"to", "saturate", "round_mode", NULL};
static const char *const cast_like_attr_names[] = {"saturate", "round_mode", NULL};

static const obn_op_sig cast_sigs[] = {{1, "input", "output"}, {0}};

const obn_op obn_op_cast = {
    .domain = "",
    .op_type = "Cast",
    .since_versions = cast_versions,
    .attr_names = cast_attr_names,
    .sigs = cast_sigs,
    .attrs_size = sizeof(cast_attrs),
    .parse = cast_parse,
    .infer = cast_infer,
    .run = cast_run,
};
OBN_REGISTER_OP(obn_op_cast);

static const obn_op_sig cast_like_sigs[] = {{15, "input target_type", "output"}, {0}};

const obn_op obn_op_cast_like = {
    .domain = "",
    .op_type = "CastLike",
    .since_versions = castlike_versions,
    .attr_names = cast_like_attr_names,
    .sigs = cast_like_sigs,
    .attrs_size = sizeof(cast_attrs),
    .parse = cast_parse,
    .infer = cast_infer,
    .run = cast_run,
};
OBN_REGISTER_OP(obn_op_cast_like);
