/* Unary activations and math functions, LeakyRelu and Clip, against the
 * formulas evaluated here in double. Tolerance 2e-6 relative for float
 * (libm's float functions are within a few ulp), 1e-12 for double. */
#include "op_testing.h"

typedef struct {
    const char *op;
    int version;
    double (*ref)(double x, double alpha, double beta);
    const char *alpha_name, *beta_name;
    float alpha, beta;
    float lo, hi; /* input range */
} unary_case;

static double r_sigmoid(double x, double a, double b) { (void)a, (void)b; return 1 / (1 + exp(-x)); }
static double r_hardsigmoid(double x, double a, double b) { return fmax(0, fmin(1, a * x + b)); }
static double r_hardswish(double x, double a, double b) { (void)a, (void)b; return x * fmax(0, fmin(1, x / 6 + 0.5)); }
static double r_tanh(double x, double a, double b) { (void)a, (void)b; return tanh(x); }
static double r_exp(double x, double a, double b) { (void)a, (void)b; return exp(x); }
static double r_log(double x, double a, double b) { (void)a, (void)b; return log(x); }
static double r_sqrt(double x, double a, double b) { (void)a, (void)b; return sqrt(x); }
static double r_abs(double x, double a, double b) { (void)a, (void)b; return fabs(x); }
static double r_neg(double x, double a, double b) { (void)a, (void)b; return -x; }
static double r_floor(double x, double a, double b) { (void)a, (void)b; return floor(x); }
static double r_ceil(double x, double a, double b) { (void)a, (void)b; return ceil(x); }
static double r_recip(double x, double a, double b) { (void)a, (void)b; return 1 / x; }
static double r_erf(double x, double a, double b) { (void)a, (void)b; return erf(x); }
static double r_sign(double x, double a, double b) { (void)a, (void)b; return x > 0 ? 1 : x < 0 ? -1 : 0; }
static double r_elu(double x, double a, double b) { (void)b; return x >= 0 ? x : a * (exp(x) - 1); }
static double r_selu(double x, double a, double g) { return x > 0 ? g * x : g * a * (exp(x) - 1); }
static double r_softplus(double x, double a, double b) { (void)a, (void)b; return log(1 + exp(x)); }
static double r_softsign(double x, double a, double b) { (void)a, (void)b; return x / (1 + fabs(x)); }
static double r_leaky(double x, double a, double b) { (void)b; return x >= 0 ? x : a * x; }
static double r_thresholded(double x, double a, double b) { (void)b; return x > a ? x : 0; }
static double r_celu(double x, double a, double b) { (void)b; return fmax(0, x) + fmin(0, a * (exp(x / a) - 1)); }
static double r_round(double x, double a, double b) { (void)a, (void)b; return nearbyint(x); }
static double r_tan(double x, double a, double b) { (void)a, (void)b; return tan(x); }
static double r_asin(double x, double a, double b) { (void)a, (void)b; return asin(x); }
static double r_acos(double x, double a, double b) { (void)a, (void)b; return acos(x); }
static double r_atan(double x, double a, double b) { (void)a, (void)b; return atan(x); }
static double r_sinh(double x, double a, double b) { (void)a, (void)b; return sinh(x); }
static double r_cosh(double x, double a, double b) { (void)a, (void)b; return cosh(x); }
static double r_asinh(double x, double a, double b) { (void)a, (void)b; return asinh(x); }
static double r_acosh(double x, double a, double b) { (void)a, (void)b; return acosh(x); }
static double r_atanh(double x, double a, double b) { (void)a, (void)b; return atanh(x); }
static double r_mish(double x, double a, double b) { (void)a, (void)b; return x * tanh(log(1 + exp(x))); }
static double r_gelu(double x, double a, double b) { (void)a, (void)b; return 0.5 * x * (1 + erf(x / sqrt(2))); }
static double r_gelu_tanh(double x, double a, double b)
{
    (void)a, (void)b;
    return 0.5 * x * (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
}
static double r_swish(double x, double a, double b) { (void)b; return x / (1 + exp(-a * x)); }

static const unary_case cases[] = {
    {"Sigmoid", 13, r_sigmoid, NULL, NULL, 0, 0, -20, 20},
    {"Sigmoid", 6, r_sigmoid, NULL, NULL, 0, 0, -5, 5},
    {"HardSigmoid", 6, r_hardsigmoid, NULL, NULL, 0.2f, 0.5f, -5, 5},
    {"HardSigmoid", 6, r_hardsigmoid, "alpha", "beta", 0.5f, 0.6f, -3, 3},
    {"HardSwish", 14, r_hardswish, NULL, NULL, 0, 0, -6, 6},
    {"Tanh", 13, r_tanh, NULL, NULL, 0, 0, -4, 4},
    {"Exp", 13, r_exp, NULL, NULL, 0, 0, -10, 10},
    {"Log", 13, r_log, NULL, NULL, 0, 0, 0.01f, 100},
    {"Sqrt", 13, r_sqrt, NULL, NULL, 0, 0, 0, 100},
    {"Abs", 13, r_abs, NULL, NULL, 0, 0, -3, 3},
    {"Neg", 13, r_neg, NULL, NULL, 0, 0, -3, 3},
    {"Floor", 13, r_floor, NULL, NULL, 0, 0, -3, 3},
    {"Ceil", 13, r_ceil, NULL, NULL, 0, 0, -3, 3},
    {"Reciprocal", 13, r_recip, NULL, NULL, 0, 0, 0.5f, 4},
    {"Erf", 13, r_erf, NULL, NULL, 0, 0, -3, 3},
    {"Sign", 13, r_sign, NULL, NULL, 0, 0, -3, 3},
    {"Elu", 6, r_elu, NULL, NULL, 1.0f, 0, -3, 3},
    {"Elu", 6, r_elu, "alpha", NULL, 0.3f, 0, -3, 3},
    {"Selu", 6, r_selu, NULL, NULL, 1.67326319217681884765625f, 1.05070102214813232421875f, -3, 3},
    {"Softplus", 1, r_softplus, NULL, NULL, 0, 0, -10, 10},
    {"Softsign", 1, r_softsign, NULL, NULL, 0, 0, -10, 10},
    {"LeakyRelu", 16, r_leaky, NULL, NULL, 0.01f, 0, -3, 3},
    {"LeakyRelu", 6, r_leaky, "alpha", NULL, 0.2f, 0, -3, 3},
    {"ThresholdedRelu", 10, r_thresholded, "alpha", NULL, 0.7f, 0, -3, 3},
    {"Celu", 12, r_celu, "alpha", NULL, 2.0f, 0, -3, 3},
    {"Round", 11, r_round, NULL, NULL, 0, 0, -4, 4},
    {"Tan", 7, r_tan, NULL, NULL, 0, 0, -1.5f, 1.5f},
    {"Asin", 7, r_asin, NULL, NULL, 0, 0, -1, 1},
    {"Acos", 7, r_acos, NULL, NULL, 0, 0, -1, 1},
    {"Atan", 7, r_atan, NULL, NULL, 0, 0, -10, 10},
    {"Sinh", 9, r_sinh, NULL, NULL, 0, 0, -5, 5},
    {"Cosh", 9, r_cosh, NULL, NULL, 0, 0, -5, 5},
    {"Asinh", 9, r_asinh, NULL, NULL, 0, 0, -10, 10},
    {"Acosh", 9, r_acosh, NULL, NULL, 0, 0, 1, 10},
    {"Atanh", 9, r_atanh, NULL, NULL, 0, 0, -0.99f, 0.99f},
    {"Mish", 18, r_mish, NULL, NULL, 0, 0, -10, 10},
    {"Gelu", 20, r_gelu, NULL, NULL, 0, 0, -6, 6},
    {"Swish", 24, r_swish, NULL, NULL, 1.0f, 0, -10, 10},
    {"Swish", 24, r_swish, "alpha", NULL, 0.7f, 0, -10, 10},
};

static tb_model *unary_model(const unary_case *c, obn_dtype dt, int rank, const int64_t *dims)
{
    tb_model *m = tb_new(c->version);
    tb_input(m, "x", dt, rank, dims);
    Onnx__NodeProto *n = tb_node(m, c->op, "act", "x", "y");
    if (c->alpha_name) tb_attr_float(m, n, c->alpha_name, c->alpha);
    if (c->beta_name) tb_attr_float(m, n, c->beta_name, c->beta);
    tb_output(m, "y", dt, rank, dims);
    return m;
}

START_TEST(float32_matches_formula)
{
    const unary_case *c = &cases[_i];
    const int64_t dims[3] = {3, 50, 401}; /* > one streaming chunk: parallel path */
    int64_t n = ot_numel(3, dims);
    float *x = malloc((size_t)n * 4);
    ot_fill(x, n, 11 + (uint64_t)_i, c->lo, c->hi);
    x[0] = 0; /* exact zero: Sign, Round, thresholds */
    x[1] = 2.5f;
    x[2] = -2.5f;
    if (c->lo >= 0) x[2] = c->hi / 2;
    tb_model *m = unary_model(c, OBN_FLOAT, 3, dims);
    obn_tensor *in = ot_tensor(OBN_FLOAT, 3, dims, x), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    double *want = malloc((size_t)n * sizeof *want);
    for (int64_t i = 0; i < n; i++) want[i] = c->ref(x[i], c->alpha, c->beta);
    ot_expect_f32(y, want, n, 2e-6);
    free(want);
    free(x);
    obn_tensor_destroy(in);
    obn_tensor_destroy(y);
    tb_free(m);
}
END_TEST

START_TEST(double_matches_formula)
{
    const unary_case *c = &cases[_i];
    if (!strcmp(c->op, "Celu")) return; /* float only */
    const int64_t dims[1] = {64};
    double x[64];
    float xf[64];
    ot_fill(xf, 64, 5, c->lo, c->hi);
    for (int i = 0; i < 64; i++) x[i] = xf[i];
    tb_model *m = unary_model(c, OBN_DOUBLE, 1, dims);
    obn_tensor *in = ot_tensor(OBN_DOUBLE, 1, dims, x), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    const double *yv = obn_tensor_cdata(y);
    for (int i = 0; i < 64; i++) {
        double w = c->ref(x[i], c->alpha, c->beta);
        ck_assert_msg(fabs(yv[i] - w) <= 1e-12 * (1 + fabs(w)), "%s[%d] = %.17g, expected %.17g", c->op, i, yv[i], w);
    }
    obn_tensor_destroy(in);
    obn_tensor_destroy(y);
    tb_free(m);
}
END_TEST

static uint16_t to_bf16(float f) /* round to nearest even (no NaN here) */
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return (uint16_t)((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
}

static double from_bf16(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* The float-only ops of versions below 13 (and HardSwish-14) take bfloat16
 * from 22, Celu from 28 (with float16 and double too); the older version
 * still refuses it. Reference in double on the bfloat16 inputs, tolerance
 * 2^-7 relative (bfloat16 keeps 8 significant bits). */
START_TEST(bfloat16_from_22)
{
    const unary_case *c = &cases[_i];
    if (c->version >= 13 && strcmp(c->op, "HardSwish") != 0 && strcmp(c->op, "Mish") != 0) return; /* bfloat16 since 13 */
    bool celu = !strcmp(c->op, "Celu");
    unary_case now = *c;
    now.version = celu ? 28 : 22;
    const int64_t dims[1] = {64};
    float xf[64];
    uint16_t x[64];
    ot_fill(xf, 64, 3, c->lo, c->hi);
    for (int i = 0; i < 64; i++) x[i] = to_bf16(xf[i]);
    tb_model *m = unary_model(&now, OBN_BFLOAT16, 1, dims);
    obn_tensor *in = ot_tensor(OBN_BFLOAT16, 1, dims, x), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    const uint16_t *yv = obn_tensor_cdata(y);
    for (int i = 0; i < 64; i++) {
        double w = c->ref(from_bf16(x[i]), c->alpha, c->beta), got = from_bf16(yv[i]);
        ck_assert_msg(fabs(got - w) <= 0.0078125 * (1 + fabs(w)), "%s[%d] = %g, expected %g", c->op, i, got, w);
    }
    obn_tensor_destroy(y);
    tb_free(m);
    m = unary_model(c, OBN_BFLOAT16, 1, dims);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "\"act\"", "bfloat16");
    tb_free(m);
    if (celu) { /* Celu-28: double too, refused by Celu-12 */
        const double xd[3] = {-1.5, 0, 2};
        const int64_t d3[1] = {3};
        m = unary_model(&now, OBN_DOUBLE, 1, d3);
        obn_tensor *ind = ot_tensor(OBN_DOUBLE, 1, d3, xd);
        OT_RUN_OK(m, 1, &ind, 1, &y);
        for (int i = 0; i < 3; i++)
            ck_assert(fabs(((const double *)obn_tensor_cdata(y))[i] - c->ref(xd[i], c->alpha, 0)) <= 1e-12);
        obn_tensor_destroy(ind);
        obn_tensor_destroy(y);
        tb_free(m);
        m = unary_model(c, OBN_DOUBLE, 1, dims);
        OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "Celu-12", "double");
        tb_free(m);
    }
    obn_tensor_destroy(in);
}
END_TEST

/* Gelu's tanh approximation on float and double; an unknown approximation
 * is refused. */
START_TEST(gelu_tanh_approximation)
{
    const int64_t dims[1] = {64};
    float xf[64];
    double xd[64];
    ot_fill(xf, 64, 5, -6, 6);
    for (int i = 0; i < 64; i++) xd[i] = xf[i];
    for (int dbl = 0; dbl < 2; dbl++) {
        obn_dtype dt = dbl ? OBN_DOUBLE : OBN_FLOAT;
        tb_model *m = tb_new(20);
        tb_input(m, "x", dt, 1, dims);
        tb_attr_string(m, tb_node(m, "Gelu", "g", "x", "y"), "approximate", "tanh");
        tb_output(m, "y", dt, 1, dims);
        obn_tensor *in = ot_tensor(dt, 1, dims, dbl ? (const void *)xd : (const void *)xf), *y;
        OT_RUN_OK(m, 1, &in, 1, &y);
        for (int i = 0; i < 64; i++) {
            double w = r_gelu_tanh(xd[i], 0, 0);
            double got = dbl ? ((const double *)obn_tensor_cdata(y))[i] : ((const float *)obn_tensor_cdata(y))[i];
            ck_assert_msg(fabs(got - w) <= (dbl ? 1e-12 : 2e-6) * (1 + fabs(w)), "[%d] = %.9g, expected %.9g", i, got, w);
        }
        obn_tensor_destroy(in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    tb_model *m = tb_new(20);
    tb_input(m, "x", OBN_FLOAT, 1, dims);
    tb_attr_string(m, tb_node(m, "Gelu", "g", "x", "y"), "approximate", "erf");
    tb_output(m, "y", OBN_FLOAT, 1, dims);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"g\"", "'approximate' is 'erf'; expected none or tanh");
    tb_free(m);
}
END_TEST

START_TEST(float16_sigmoid)
{
    /* sigmoid(0) = 0.5 (0x3800), sigmoid(+-inf) = 1 / 0 */
    const uint16_t x[3] = {0x0000, 0x7C00, 0xFC00}, want[3] = {0x3800, 0x3C00, 0x0000};
    const int64_t d[1] = {3};
    unary_case c = cases[0];
    tb_model *m = unary_model(&c, OBN_FLOAT16, 1, d);
    obn_tensor *in = ot_tensor(OBN_FLOAT16, 1, d, x), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    ot_expect_bytes(y, OBN_FLOAT16, want, 3);
    obn_tensor_destroy(in);
    obn_tensor_destroy(y);
    tb_free(m);
}
END_TEST

/* The vectorised float32 sigmoid (own exp) at the edges of its range:
 * infinities, NaN, underflow of e^-|x| and the rounding boundary. The
 * clamps of HardSigmoid/HardSwish keep fmaxf/fminf's NaN results. */
START_TEST(float32_sigmoid_edges)
{
    const float x[12] = {INFINITY, -INFINITY, NAN, -100.0f, 100.0f, -87.25f, -87.4f, -88.8f, 88.8f, 1e-8f, -0.0f, 20.5f};
    const int64_t d[1] = {12};
    double want[12];
    for (int i = 0; i < 12; i++) want[i] = isnan(x[i]) ? NAN : 1.0 / (1.0 + exp(-(double)x[i]));
    tb_model *m = unary_model(&cases[0], OBN_FLOAT, 1, d);
    obn_tensor *in = ot_tensor(OBN_FLOAT, 1, d, x), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    ot_expect_f32(y, want, 12, 1e-7); /* within a few ulp near 1, and 1e-7 absolute near 0 */
    obn_tensor_destroy(y);
    tb_free(m);
    unary_case hs = {"HardSigmoid", 6, r_hardsigmoid, NULL, NULL, 0.2f, 0.5f, 0, 0};
    m = unary_model(&hs, OBN_FLOAT, 1, d);
    OT_RUN_OK(m, 1, &in, 1, &y);
    for (int i = 0; i < 12; i++) want[i] = fmax(0, fmin(1, 0.2 * (double)x[i] + 0.5)); /* NaN -> 1 */
    ot_expect_f32(y, want, 12, 1e-7);
    obn_tensor_destroy(y);
    tb_free(m);
    obn_tensor_destroy(in);
}
END_TEST

START_TEST(integer_abs_neg_sign)
{
    const int64_t x[4] = {-5, 0, 7, INT64_MIN}, d[1] = {4};
    const int64_t abs_w[4] = {5, 0, 7, INT64_MIN}, neg_w[4] = {5, 0, -7, INT64_MIN}, sign_w[4] = {-1, 0, 1, -1};
    const char *ops[3] = {"Abs", "Neg", "Sign"};
    const int64_t *want[3] = {abs_w, neg_w, sign_w};
    for (int k = 0; k < 3; k++) {
        unary_case c = {ops[k], 13, NULL, NULL, NULL, 0, 0, 0, 0};
        tb_model *m = unary_model(&c, OBN_INT64, 1, d);
        obn_tensor *in = ot_tensor(OBN_INT64, 1, d, x), *y;
        OT_RUN_OK(m, 1, &in, 1, &y);
        ot_expect_i64(y, want[k], 4);
        obn_tensor_destroy(in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    /* Neg-1 was float only */
    unary_case c = {"Neg", 1, NULL, NULL, NULL, 0, 0, 0, 0};
    tb_model *m = unary_model(&c, OBN_INT64, 1, d);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "'X'", "int64");
    tb_free(m);
}
END_TEST

START_TEST(unary_type_and_attribute_errors)
{
    const int64_t d[1] = {4};
    unary_case c = {"Sigmoid", 13, NULL, NULL, NULL, 0, 0, 0, 0};
    tb_model *m = unary_model(&c, OBN_INT32, 1, d);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "\"act\"", "Sigmoid-13", "int32");
    tb_free(m);
    c.version = 6;
    m = unary_model(&c, OBN_FLOAT, 1, d);
    tb_attr_ints(m, tb_proto(m)->graph->node[0], "consumed_inputs", 0, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "consumed_inputs", "Sigmoid-6");
    tb_free(m);
    unary_case l = {"LeakyRelu", 16, NULL, "alpha", NULL, 0.1f, 0, 0, 0};
    m = unary_model(&l, OBN_FLOAT, 1, d);
    tb_attr_int(m, tb_proto(m)->graph->node[0], "alpha", 1); /* replaces nothing: a second, INT alpha */
    ck_assert_int_ne(ot_create_status(m), OBN_OK);
    tb_free(m);
    unary_case z = {"Celu", 12, NULL, "alpha", NULL, 0.0f, 0, 0, 0};
    m = unary_model(&z, OBN_FLOAT, 1, d);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'alpha'");
    tb_free(m);
}
END_TEST

/* ---- Clip ---- */

static void check_clip(tb_model *m, int n_in, obn_tensor **ins, const float *x, int64_t n, double lo, double hi)
{
    obn_tensor *y;
    OT_RUN_OK(m, n_in, ins, 1, &y);
    double *want = malloc((size_t)n * sizeof *want);
    for (int64_t i = 0; i < n; i++) want[i] = fmin(fmax(x[i], lo), hi);
    ot_expect_f32(y, want, n, 0);
    free(want);
    obn_tensor_destroy(y);
}

START_TEST(clip_attribute_form)
{
    const int64_t d[2] = {4, 5};
    float x[20];
    ot_fill(x, 20, 3, -3, 3);
    tb_model *m = tb_new(6);
    tb_input(m, "x", OBN_FLOAT, 2, d);
    Onnx__NodeProto *n = tb_node(m, "Clip", "clip", "x", "y");
    tb_attr_float(m, n, "min", -1.0f);
    tb_attr_float(m, n, "max", 0.5f);
    tb_output(m, "y", OBN_FLOAT, 2, d);
    obn_tensor *in = ot_tensor(OBN_FLOAT, 2, d, x);
    check_clip(m, 1, &in, x, 20, -1, 0.5);
    tb_free(m);
    /* no bounds: identity */
    m = tb_new(6);
    tb_input(m, "x", OBN_FLOAT, 2, d);
    tb_node(m, "Clip", "clip", "x", "y");
    tb_output(m, "y", OBN_FLOAT, 2, d);
    check_clip(m, 1, &in, x, 20, -INFINITY, INFINITY);
    tb_free(m);
    obn_tensor_destroy(in);
}
END_TEST

START_TEST(clip_input_form)
{
    const int64_t d[1] = {30};
    float x[30];
    ot_fill(x, 30, 4, -3, 3);
    obn_tensor *in = ot_tensor(OBN_FLOAT, 1, d, x);
    /* min and max as initializers; min only; max only (min omitted as "") */
    const char *node_inputs[3] = {"x,lo,hi", "x,lo", "x,,hi"};
    const double los[3] = {-2, -2, -INFINITY}, his[3] = {1, INFINITY, 1};
    for (int k = 0; k < 3; k++) {
        tb_model *m = tb_new(13);
        float lo = -2, hi = 1;
        tb_input(m, "x", OBN_FLOAT, 1, d);
        tb_add_init(m, tb_tensor(m, "lo", OBN_FLOAT, 0, NULL, &lo, 4));
        tb_add_init(m, tb_tensor(m, "hi", OBN_FLOAT, 0, NULL, &hi, 4));
        tb_node(m, "Clip", "clip", node_inputs[k], "y");
        tb_output(m, "y", OBN_FLOAT, 1, d);
        check_clip(m, 1, &in, x, 30, los[k], his[k]);
        tb_free(m);
    }
    /* bounds fed at run time */
    tb_model *m = tb_new(11);
    tb_input(m, "x", OBN_FLOAT, 1, d);
    tb_input(m, "lo", OBN_FLOAT, 0, NULL);
    tb_input(m, "hi", OBN_FLOAT, 0, NULL);
    tb_node(m, "Clip", "clip", "x,lo,hi", "y");
    tb_output(m, "y", OBN_FLOAT, 1, d);
    float lo = 0, hi = 6;
    obn_tensor *ins[3] = {in, ot_tensor(OBN_FLOAT, 0, NULL, &lo), ot_tensor(OBN_FLOAT, 0, NULL, &hi)};
    check_clip(m, 3, ins, x, 30, 0, 6);
    obn_tensor_destroy(ins[1]);
    obn_tensor_destroy(ins[2]);
    tb_free(m);
    obn_tensor_destroy(in);
}
END_TEST

START_TEST(clip_integers)
{
    const int64_t d[1] = {5}, x[5] = {-100, -3, 0, 4, 100}, want[5] = {-3, -3, 0, 4, 4};
    tb_model *m = tb_new(12);
    int64_t lo = -3, hi = 4;
    tb_input(m, "x", OBN_INT64, 1, d);
    tb_add_init(m, tb_tensor(m, "lo", OBN_INT64, 0, NULL, &lo, 8));
    tb_add_init(m, tb_tensor(m, "hi", OBN_INT64, 0, NULL, &hi, 8));
    tb_node(m, "Clip", "clip", "x,lo,hi", "y");
    tb_output(m, "y", OBN_INT64, 1, d);
    obn_tensor *in = ot_tensor(OBN_INT64, 1, d, x), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    ot_expect_i64(y, want, 5);
    obn_tensor_destroy(in);
    obn_tensor_destroy(y);
    tb_free(m);
}
END_TEST

START_TEST(clip_errors)
{
    const int64_t d[1] = {5}, two[1] = {2};
    float b[2] = {0, 1};
    tb_model *m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 1, d);
    tb_add_init(m, tb_tensor(m, "lo", OBN_FLOAT, 1, two, b, 8));
    tb_node(m, "Clip", "clip", "x,lo", "y");
    tb_output(m, "y", OBN_FLOAT, 1, d);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'min'", "'lo'", "[2]", "scalar");
    tb_free(m);
    m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 1, d);
    tb_add_init(m, tb_tensor(m, "lo", OBN_DOUBLE, 0, NULL, b, 8));
    tb_node(m, "Clip", "clip", "x,lo", "y");
    tb_output(m, "y", OBN_FLOAT, 1, d);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'min'", "double");
    tb_free(m);
    m = tb_new(11);
    tb_input(m, "x", OBN_FLOAT, 1, d);
    tb_attr_float(m, tb_node(m, "Clip", "clip", "x", "y"), "min", 0);
    tb_output(m, "y", OBN_FLOAT, 1, d);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'min'", "Clip-11");
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("unary");
    TCase *t = tcase_create("unary");
    int n = (int)(sizeof cases / sizeof cases[0]);
    tcase_add_loop_test(t, float32_matches_formula, 0, n);
    tcase_add_loop_test(t, double_matches_formula, 0, n);
    tcase_add_loop_test(t, bfloat16_from_22, 0, n);
    tcase_add_test(t, gelu_tanh_approximation);
    tcase_add_test(t, float16_sigmoid);
    tcase_add_test(t, float32_sigmoid_edges);
    tcase_add_test(t, integer_abs_neg_sign);
    tcase_add_test(t, unary_type_and_attribute_errors);
    tcase_add_test(t, clip_attribute_form);
    tcase_add_test(t, clip_input_form);
    tcase_add_test(t, clip_integers);
    tcase_add_test(t, clip_errors);
    suite_add_tcase(s, t);
    return ot_main(s);
}
