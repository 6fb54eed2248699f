/* Cast (1, 6, 9, 13, 19, 21, 23, 24, 25) and CastLike (15, 19, 21, 23, 24,
 * 25) between every storable type. Cast-1 names the target type as a string
 * ("FLOAT"), 6+ as the TensorProto number. Conversions: float -> integer
 * truncates toward zero and saturates at the 64-bit range before wrapping to
 * the target width (defined behaviour for NaN and out-of-range values, where
 * C leaves it undefined); to bool is v != 0; float16/bfloat16 round to
 * nearest even. To and from strings: cast_string.h (the IR 9-13 types
 * excepted).
 * The types of IR 9-13 come with the versions that list them (float8 19,
 * int4/uint4 21, float4e2m1 23, float8e8m0 24, int2/uint2 25). To them:
 * - float8 rounds to nearest even from the exact source value (no double
 *   rounding through float); saturate (19+, default 1) clamps what
 *   overflows to +-max, else it becomes inf (E5M2) or NaN; +-inf saturates
 *   too, except for the FNUZ types before version 24, where it is NaN;
 * - float4e2m1 rounds to nearest even and always clamps to +-6, NaN becomes
 *   0x8 (ONNX's reference);
 * - float8e8m0 rounds to a power of two per round_mode (24+: up, down,
 *   nearest; default up) and saturates at 2^-127..2^127 with saturate, else
 *   gives NaN (zero and negative numbers have no code either);
 * - int4/uint4/int2/uint2 take floats rounded to nearest even, then keep the
 *   low bits like every integer narrowing (two's complement).
 * From them every value is exact in double; the usual rules apply. */
#include <math.h>
#include <string.h>

#include "cast_string.h"
#include "op_helpers.h"
#include "string_tensor.h"

typedef struct {
    obn_dtype to;              /* Cast */
    int saturate;              /* 19+: out-of-range float8 values clamp (1) or become NaN/Inf (0) */
    obn_e8m0_round round_mode; /* 24+: rounding to float8e8m0 */
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
    static const obn_e8m0_round mode_values[] = {OBN_E8M0_UP, OBN_E8M0_DOWN, OBN_E8M0_NEAREST};
    for (int i = 0; i < 3; i++)
        if (strcmp(mode, modes[i]) == 0) {
            a->round_mode = mode_values[i];
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
    if (a->to != OBN_STRING) OBN_TRY(obn_check_type_since(n, v, a->to, 19, "attribute 'to'"));
    if (a->to == OBN_BFLOAT16 && v < 13)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'to' is bfloat16, not allowed by Cast-%d", v);
    return OBN_OK;
}

static bool is_lowp(obn_dtype t);

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
    if (x->dtype != OBN_STRING) OBN_TRY(obn_check_all_types(ctx, 0, "input", 19));
    if (ctx->node->op_type[4] == 'L' && to != OBN_STRING) OBN_TRY(obn_check_all_types(ctx, 1, "target_type", 19));
    if ((x->dtype == OBN_STRING && is_lowp(to)) || (to == OBN_STRING && is_lowp(x->dtype)))
        return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "casting %s to %s is not supported", obn_dtype_name(x->dtype),
                           obn_dtype_name(to));
    if (x->dtype == OBN_BFLOAT16 && ctx->since_version < 13)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input has type bfloat16, not allowed by Cast-%d", ctx->since_version);
    return obn_set_output(ctx, 0, to, x->rank, x->dims);
}

static bool is_lowp(obn_dtype t) { return t >= OBN_FLOAT8E4M3FN; }

/* Common pairs without the per-element type switch. */
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
    if (obn_dtype_is_minifloat(x->dtype) && y->dtype == OBN_FLOAT) {
        obn_minifloat_to_f32_array(x->data, y->data, n, obn_dtype_minifloat(x->dtype));
        return true;
    }
    return false;
}

/* Floating-point sources, the 8- and 4-bit floats included: to integers
 * they go through obn_f64_to_i64. */
static bool is_float_source(obn_dtype t)
{
    return obn_dtype_is_float(t) || obn_dtype_is_minifloat(t) || t == OBN_FLOAT8E8M0;
}

/* Casts to the IR 9-13 types (see the top of the file). */
static void cast_to_lowp(const obn_op_ctx *ctx, const obn_tensor *x, obn_tensor *y)
{
    const cast_attrs *a = ctx->attrs;
    uint8_t *d = y->data;
    int64_t n = x->numel;
    if (obn_dtype_is_minifloat(y->dtype)) {
        obn_minifloat fmt = obn_dtype_minifloat(y->dtype);
        unsigned sat = obn_minifloat_saturation(y->dtype, a->saturate != 0, ctx->since_version);
        if (x->dtype == OBN_FLOAT) {
            obn_f32_to_minifloat_array(x->data, d, n, fmt, sat, ctx->threads);
            return;
        }
        for (int64_t i = 0; i < n; i++) d[i] = obn_f64_to_minifloat(obn_load_f64(x, i), fmt, sat);
    } else if (y->dtype == OBN_FLOAT8E8M0) {
        for (int64_t i = 0; i < n; i++) d[i] = obn_f64_to_e8m0(obn_load_f64(x, i), a->round_mode, a->saturate != 0);
    } else {
        int bits = obn_dtype_packed_bits(y->dtype);
        bool sign_extend = obn_dtype_is_signed_subbyte(y->dtype), from_float = is_float_source(x->dtype);
        for (int64_t i = 0; i < n; i++) {
            int64_t v = from_float ? obn_f64_to_i64(nearbyint(obn_load_f64(x, i))) : (int64_t)obn_load_u64(x, i);
            d[i] = obn_subbyte_from_i64(v, bits, sign_extend);
        }
    }
}


static obn_status cast_run(obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    if (x->dtype == y->dtype) return obn_tensor_copy_data(y, x); /* strings too */
    if (y->dtype == OBN_STRING) return obn_cast_to_string(ctx, x, y);
    if (x->dtype == OBN_STRING) return obn_cast_from_string(ctx, x, y);
    if (cast_fast(x, y)) return OBN_OK;
    if (is_lowp(y->dtype)) {
        cast_to_lowp(ctx, x, y);
        return OBN_OK;
    }
    bool from_float = is_float_source(x->dtype), to_float = obn_dtype_is_float(y->dtype);
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
    .flags = OBN_OP_STRINGS,
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
    .flags = OBN_OP_STRINGS,
    .infer = cast_infer,
    .run = cast_run,
};
OBN_REGISTER_OP(obn_op_cast_like);
