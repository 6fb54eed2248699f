/* Element-wise unary ops with a single output of the input's shape:
 * Sigmoid, Tanh, Exp, Log, Sqrt, Reciprocal, Floor, Ceil, Abs, Neg (1, 6, 13),
 * HardSigmoid, Elu, Selu (1, 6, 22), HardSwish (14, 22), LeakyRelu (1, 6, 16),
 * Erf, Sign (9, 13), Round (11, 22), Celu (12, 28), Softplus, Softsign (1, 22),
 * ThresholdedRelu (10, 22), Sin, Cos, Tan, Asin, Acos, Atan (7, 22), Sinh,
 * Cosh, Asinh, Acosh, Atanh (9, 22), Mish (18, 22), Gelu (20; approximate
 * "none" or "tanh"), Swish (24; x * sigmoid(alpha*x)). Version 22 adds
 * bfloat16 to the float-only ones, Celu-28 the float types besides float32.
 *
 * float32 runs the streaming kernel; float16/bfloat16/double go through the
 * double form of the same function; the integer types of Abs, Neg, Sign and
 * Erf are computed exactly (Erf rounds its result toward zero). */
#include <math.h>
#include <string.h>

#include "kernels/unary.h"
#include "op_helpers.h"

typedef struct {
    obn_unop op;
    float alpha, beta;
} un_attrs;

typedef enum { TY_FLOAT, TY_SIGNED, TY_NUMERIC } type_class;

typedef struct {
    const char *name;
    obn_unop op;
    const char *alpha_name, *beta_name; /* parameters, NULL if none */
    float alpha_def, beta_def;
    type_class types;      /* from the version given in `wider_since` on */
    int wider_since;       /* first version accepting `types` (floats only before) */
} un_spec;

static const un_spec specs[] = {
    {"Sigmoid", OBN_UN_SIGMOID, NULL, NULL, 0, 0, TY_FLOAT, 0},
    {"HardSigmoid", OBN_UN_HARDSIGMOID, "alpha", "beta", 0.2f, 0.5f, TY_FLOAT, 0},
    {"HardSwish", OBN_UN_HARDSWISH, NULL, NULL, 0, 0, TY_FLOAT, 0},
    {"Tanh", OBN_UN_TANH, NULL, NULL, 0, 0, TY_FLOAT, 0},
    {"Exp", OBN_UN_EXP, NULL, NULL, 0, 0, TY_FLOAT, 0},
    {"Log", OBN_UN_LOG, NULL, NULL, 0, 0, TY_FLOAT, 0},
    {"Sqrt", OBN_UN_SQRT, NULL, NULL, 0, 0, TY_FLOAT, 0},
    {"Abs", OBN_UN_ABS, NULL, NULL, 0, 0, TY_NUMERIC, 6},
    {"Neg", OBN_UN_NEG, NULL, NULL, 0, 0, TY_SIGNED, 6},
    {"Floor", OBN_UN_FLOOR, NULL, NULL, 0, 0, TY_FLOAT, 0},
    {"Ceil", OBN_UN_CEIL, NULL, NULL, 0, 0, TY_FLOAT, 0},
    {"Round", OBN_UN_ROUND, NULL, NULL, 0, 0, TY_FLOAT, 0},
    {"Reciprocal", OBN_UN_RECIPROCAL, NULL, NULL, 0, 0, TY_FLOAT, 0},
    {"Erf", OBN_UN_ERF, NULL, NULL, 0, 0, TY_NUMERIC, 9},
    {"Sign", OBN_UN_SIGN, NULL, NULL, 0, 0, TY_NUMERIC, 9},
    {"Elu", OBN_UN_ELU, "alpha", NULL, 1.0f, 0, TY_FLOAT, 0},
    {"Selu", OBN_UN_SELU, "alpha", "gamma", 1.67326319217681884765625f, 1.05070102214813232421875f, TY_FLOAT, 0},
    {"Celu", OBN_UN_CELU, "alpha", NULL, 1.0f, 0, TY_FLOAT, 0},
    {"Softplus", OBN_UN_SOFTPLUS, NULL, NULL, 0, 0, TY_FLOAT, 0},
    {"Softsign", OBN_UN_SOFTSIGN, NULL, NULL, 0, 0, TY_FLOAT, 0},
    {"ThresholdedRelu", OBN_UN_THRESHOLDED_RELU, "alpha", NULL, 1.0f, 0, TY_FLOAT, 0},
    {"Sin", OBN_UN_SIN, NULL, NULL, 0, 0, TY_FLOAT, 0},
    {"Cos", OBN_UN_COS, NULL, NULL, 0, 0, TY_FLOAT, 0},
    {"Tan", OBN_UN_TAN, NULL, NULL, 0, 0, TY_FLOAT, 0},
    {"Asin", OBN_UN_ASIN, NULL, NULL, 0, 0, TY_FLOAT, 0},
    {"Acos", OBN_UN_ACOS, NULL, NULL, 0, 0, TY_FLOAT, 0},
    {"Atan", OBN_UN_ATAN, NULL, NULL, 0, 0, TY_FLOAT, 0},
    {"Sinh", OBN_UN_SINH, NULL, NULL, 0, 0, TY_FLOAT, 0},
    {"Cosh", OBN_UN_COSH, NULL, NULL, 0, 0, TY_FLOAT, 0},
    {"Asinh", OBN_UN_ASINH, NULL, NULL, 0, 0, TY_FLOAT, 0},
    {"Acosh", OBN_UN_ACOSH, NULL, NULL, 0, 0, TY_FLOAT, 0},
    {"Atanh", OBN_UN_ATANH, NULL, NULL, 0, 0, TY_FLOAT, 0},
    {"LeakyRelu", OBN_UN_LEAKY_RELU, "alpha", NULL, 0.01f, 0, TY_FLOAT, 0},
    {"Mish", OBN_UN_MISH, NULL, NULL, 0, 0, TY_FLOAT, 0},
    {"Gelu", OBN_UN_GELU, NULL, NULL, 0, 0, TY_FLOAT, 0},
    {"Swish", OBN_UN_SWISH_ALPHA, "alpha", NULL, 1.0f, 0, TY_FLOAT, 0},
};

static const un_spec *spec_of(const char *op_type)
{
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        if (strcmp(specs[i].name, op_type) == 0) return &specs[i];
    return &specs[0];
}

static obn_status un_parse(const obn_node *n, int v, void *out)
{
    un_attrs *a = out;
    const un_spec *s = spec_of(n->op_type);
    a->op = s->op;
    if (v > 1 && obn_node_attr(n, "consumed_inputs"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'consumed_inputs' is not part of %s-%d", n->op_type, v);
    if (s->alpha_name) OBN_TRY(obn_attr_get_float(n, s->alpha_name, s->alpha_def, &a->alpha));
    if (s->beta_name) OBN_TRY(obn_attr_get_float(n, s->beta_name, s->beta_def, &a->beta));
    if (s->op == OBN_UN_CELU && a->alpha == 0.0f)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'alpha' must not be 0");
    if (s->op == OBN_UN_GELU) {
        const char *approx;
        OBN_TRY(obn_attr_get_string(n, "approximate", "none", &approx));
        if (strcmp(approx, "tanh") == 0) a->op = OBN_UN_GELU_TANH;
        else if (strcmp(approx, "none") != 0)
            return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'approximate' is '%s'; expected none or tanh", approx);
    }
    return OBN_OK;
}

static obn_status un_infer(obn_op_ctx *ctx)
{
    static const obn_dtype legacy_float[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    static const obn_dtype float32_only[] = {OBN_FLOAT, OBN_UNDEFINED};
    static const obn_dtype signed_types[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_BFLOAT16, OBN_INT8,
                                             OBN_INT16, OBN_INT32, OBN_INT64, OBN_UNDEFINED};
    const un_spec *s = spec_of(ctx->node->op_type);
    const obn_dtype *allowed = ctx->since_version >= 13 || (s->op == OBN_UN_LEAKY_RELU && ctx->since_version >= 16)
                                   ? OBN_FLOAT_TYPES
                                   : legacy_float;
    if (s->op == OBN_UN_CELU && ctx->since_version < 28) allowed = float32_only;
    if (s->op == OBN_UN_HARDSWISH && ctx->since_version < 22) allowed = legacy_float; /* HardSwish-14 has no bfloat16 */
    if (s->op == OBN_UN_MISH && ctx->since_version < 22) allowed = legacy_float;      /* nor has Mish-18 */
    if (s->wider_since && ctx->since_version >= s->wider_since)
        allowed = s->types == TY_SIGNED ? signed_types : OBN_NUMERIC_TYPES;
    OBN_TRY(obn_check_input_dtype(ctx, 0, "X", allowed));
    const obn_tensor *x = ctx->inputs[0];
    return obn_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

/* Exact integer forms (Abs, Neg, Sign; Erf rounds toward zero). */
static void run_integer(const un_attrs *a, const obn_tensor *x, obn_tensor *y)
{
    for (int64_t i = 0; i < x->numel; i++) {
        if (obn_dtype_is_unsigned(x->dtype)) {
            uint64_t v = obn_load_u64(x, i);
            uint64_t r = a->op == OBN_UN_SIGN ? (v != 0) : a->op == OBN_UN_ERF ? (uint64_t)obn_f64_to_i64(erf((double)v)) : v;
            obn_store_i64(y, i, (int64_t)r);
            continue;
        }
        int64_t v = obn_load_i64(x, i), r;
        switch (a->op) {
        case OBN_UN_ABS: r = v < 0 ? (int64_t)(0 - (uint64_t)v) : v; break;
        case OBN_UN_NEG: r = (int64_t)(0 - (uint64_t)v); break;
        case OBN_UN_SIGN: r = (v > 0) - (v < 0); break;
        default: r = obn_f64_to_i64(erf((double)v)); break;
        }
        obn_store_i64(y, i, r);
    }
}

static obn_status un_run(obn_op_ctx *ctx)
{
    const un_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    if (x->dtype == OBN_FLOAT) {
        obn_unary_f32(a->op, x->data, y->data, x->numel, a->alpha, a->beta, ctx->threads);
    } else if (!obn_dtype_is_float(x->dtype)) {
        run_integer(a, x, y);
    } else {
        for (int64_t i = 0; i < x->numel; i++)
            obn_store_f64(y, i, obn_unary_f64(a->op, obn_load_f64(x, i), a->alpha, a->beta));
    }
    return OBN_OK;
}

static const int v1_6_13[] = {1, 6, 13, 0};
static const int v1_6_22[] = {1, 6, 22, 0};
static const int v14_22[] = {14, 22, 0};
static const int v1_6_16[] = {1, 6, 16, 0};
static const int v9_13[] = {9, 13, 0};
static const int v11_22[] = {11, 22, 0};
static const int v12_28[] = {12, 28, 0};
static const int v1_22[] = {1, 22, 0};
static const int v10_22[] = {10, 22, 0};
static const int v7_22[] = {7, 22, 0};
static const int v9_22[] = {9, 22, 0};
static const int v18_22[] = {18, 22, 0};
static const int v20[] = {20, 0};
static const int v24[] = {24, 0};
static const char *const no_attrs[] = {NULL};
static const char *const legacy_attrs[] = {"consumed_inputs", NULL};
static const char *const alpha_legacy[] = {"alpha", "consumed_inputs", NULL};
static const char *const alpha_beta_legacy[] = {"alpha", "beta", "consumed_inputs", NULL};
static const char *const alpha_gamma_legacy[] = {"alpha", "gamma", "consumed_inputs", NULL};
static const char *const alpha_only[] = {"alpha", NULL};
static const char *const gelu_attrs[] = {"approximate", NULL};

/* The spec names the tensors X/Y or input/output, depending on the op. */
static const obn_op_sig xy_sigs[] = {{1, "X", "Y"}, {0}};
static const obn_op_sig io_sigs[] = {{1, "input", "output"}, {0}};

#define UNARY_OP(sym, name, vers, attrs, sig)                                                       \
    const obn_op sym = {.domain = "", .op_type = name, .since_versions = vers, .attr_names = attrs, \
                        .sigs = sig,                                                                \
                        .attrs_size = sizeof(un_attrs), .parse = un_parse, .infer = un_infer,     \
                        .run = un_run}

UNARY_OP(obn_op_sigmoid, "Sigmoid", v1_6_13, legacy_attrs, xy_sigs);
OBN_REGISTER_OP(obn_op_sigmoid);
UNARY_OP(obn_op_hard_sigmoid, "HardSigmoid", v1_6_22, alpha_beta_legacy, xy_sigs);
OBN_REGISTER_OP(obn_op_hard_sigmoid);
UNARY_OP(obn_op_hard_swish, "HardSwish", v14_22, no_attrs, xy_sigs);
OBN_REGISTER_OP(obn_op_hard_swish);
UNARY_OP(obn_op_tanh, "Tanh", v1_6_13, legacy_attrs, io_sigs);
OBN_REGISTER_OP(obn_op_tanh);
UNARY_OP(obn_op_exp, "Exp", v1_6_13, legacy_attrs, io_sigs);
OBN_REGISTER_OP(obn_op_exp);
UNARY_OP(obn_op_log, "Log", v1_6_13, legacy_attrs, io_sigs);
OBN_REGISTER_OP(obn_op_log);
UNARY_OP(obn_op_sqrt, "Sqrt", v1_6_13, legacy_attrs, xy_sigs);
OBN_REGISTER_OP(obn_op_sqrt);
UNARY_OP(obn_op_abs, "Abs", v1_6_13, legacy_attrs, xy_sigs);
OBN_REGISTER_OP(obn_op_abs);
UNARY_OP(obn_op_neg, "Neg", v1_6_13, legacy_attrs, xy_sigs);
OBN_REGISTER_OP(obn_op_neg);
UNARY_OP(obn_op_floor, "Floor", v1_6_13, legacy_attrs, xy_sigs);
OBN_REGISTER_OP(obn_op_floor);
UNARY_OP(obn_op_ceil, "Ceil", v1_6_13, legacy_attrs, xy_sigs);
OBN_REGISTER_OP(obn_op_ceil);
UNARY_OP(obn_op_round, "Round", v11_22, no_attrs, xy_sigs);
OBN_REGISTER_OP(obn_op_round);
UNARY_OP(obn_op_reciprocal, "Reciprocal", v1_6_13, legacy_attrs, xy_sigs);
OBN_REGISTER_OP(obn_op_reciprocal);
UNARY_OP(obn_op_erf, "Erf", v9_13, no_attrs, io_sigs);
OBN_REGISTER_OP(obn_op_erf);
UNARY_OP(obn_op_sign, "Sign", v9_13, no_attrs, io_sigs);
OBN_REGISTER_OP(obn_op_sign);
UNARY_OP(obn_op_elu, "Elu", v1_6_22, alpha_legacy, xy_sigs);
OBN_REGISTER_OP(obn_op_elu);
UNARY_OP(obn_op_selu, "Selu", v1_6_22, alpha_gamma_legacy, xy_sigs);
OBN_REGISTER_OP(obn_op_selu);
UNARY_OP(obn_op_celu, "Celu", v12_28, alpha_only, xy_sigs);
OBN_REGISTER_OP(obn_op_celu);
UNARY_OP(obn_op_softplus, "Softplus", v1_22, no_attrs, xy_sigs);
OBN_REGISTER_OP(obn_op_softplus);
UNARY_OP(obn_op_softsign, "Softsign", v1_22, no_attrs, io_sigs);
OBN_REGISTER_OP(obn_op_softsign);
UNARY_OP(obn_op_thresholded_relu, "ThresholdedRelu", v10_22, alpha_only, xy_sigs);
OBN_REGISTER_OP(obn_op_thresholded_relu);
UNARY_OP(obn_op_sin, "Sin", v7_22, no_attrs, io_sigs);
OBN_REGISTER_OP(obn_op_sin);
UNARY_OP(obn_op_cos, "Cos", v7_22, no_attrs, io_sigs);
OBN_REGISTER_OP(obn_op_cos);
UNARY_OP(obn_op_tan, "Tan", v7_22, no_attrs, io_sigs);
OBN_REGISTER_OP(obn_op_tan);
UNARY_OP(obn_op_asin, "Asin", v7_22, no_attrs, io_sigs);
OBN_REGISTER_OP(obn_op_asin);
UNARY_OP(obn_op_acos, "Acos", v7_22, no_attrs, io_sigs);
OBN_REGISTER_OP(obn_op_acos);
UNARY_OP(obn_op_atan, "Atan", v7_22, no_attrs, io_sigs);
OBN_REGISTER_OP(obn_op_atan);
UNARY_OP(obn_op_sinh, "Sinh", v9_22, no_attrs, io_sigs);
OBN_REGISTER_OP(obn_op_sinh);
UNARY_OP(obn_op_cosh, "Cosh", v9_22, no_attrs, io_sigs);
OBN_REGISTER_OP(obn_op_cosh);
UNARY_OP(obn_op_asinh, "Asinh", v9_22, no_attrs, io_sigs);
OBN_REGISTER_OP(obn_op_asinh);
UNARY_OP(obn_op_acosh, "Acosh", v9_22, no_attrs, io_sigs);
OBN_REGISTER_OP(obn_op_acosh);
UNARY_OP(obn_op_atanh, "Atanh", v9_22, no_attrs, io_sigs);
OBN_REGISTER_OP(obn_op_atanh);
UNARY_OP(obn_op_leaky_relu, "LeakyRelu", v1_6_16, alpha_legacy, xy_sigs);
OBN_REGISTER_OP(obn_op_leaky_relu);
UNARY_OP(obn_op_mish, "Mish", v18_22, no_attrs, xy_sigs);
OBN_REGISTER_OP(obn_op_mish);
UNARY_OP(obn_op_gelu, "Gelu", v20, gelu_attrs, xy_sigs);
OBN_REGISTER_OP(obn_op_gelu);
/* com.microsoft:Gelu-1 (ONNX Runtime's contrib op, no attributes): the
 * Erf-form GELU, what the fuse_gelu pass puts in place of the Div/Erf/Add/
 * Mul/Mul chain of models below opset 20 (an exported model then still runs
 * in ONNX Runtime). */
static const int v1[] = {1, 0};
const obn_op obn_op_gelu_ms = {.domain = "com.microsoft", .op_type = "Gelu", .since_versions = v1,
                               .attr_names = no_attrs, .sigs = xy_sigs, .attrs_size = sizeof(un_attrs),
                               .parse = un_parse, .infer = un_infer, .run = un_run};
OBN_REGISTER_OP(obn_op_gelu_ms);
UNARY_OP(obn_op_swish, "Swish", v24, alpha_only, xy_sigs);
OBN_REGISTER_OP(obn_op_swish);
