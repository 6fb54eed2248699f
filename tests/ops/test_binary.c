/* Add, Sub, Mul, Div, Pow, Mod, PRelu: numpy broadcasting against a naive
 * reference computed here in double (index arithmetic per element), integer
 * semantics, the legacy broadcast/axis attributes of versions 1/6, and
 * errors. Float tolerance: 1e-6 relative (Pow 1e-5: powf vs pow). */
#include "op_testing.h"

/* Element index of input (rank r, dims) for output coordinate idx (rank R). */
static int64_t source_index(int R, const int64_t *idx, int r, const int64_t *dims)
{
    int64_t off = 0;
    for (int d = 0; d < r; d++) {
        int64_t i = dims[d] == 1 ? 0 : idx[R - r + d];
        off = off * dims[d] + i;
    }
    return off;
}

static double apply(const char *op, double a, double b)
{
    if (!strcmp(op, "Add")) return a + b;
    if (!strcmp(op, "Sub")) return a - b;
    if (!strcmp(op, "Mul")) return a * b;
    if (!strcmp(op, "Div")) return a / b;
    if (!strcmp(op, "Pow")) return pow(a, b);
    if (!strcmp(op, "PRelu")) return a >= 0 ? a : a * b;
    return NAN;
}

static tb_model *binary_model(const char *op, int version, int ta, int ra, const int64_t *da, int tbt, int rb,
                              const int64_t *db)
{
    tb_model *m = tb_new(version);
    tb_input(m, "a", ta, ra, da);
    tb_input(m, "b", tbt, rb, db);
    tb_node(m, op, "n", "a,b", "y");
    tb_output(m, "y", ta, -1, NULL);
    return m;
}

/* Runs op on random inputs of shapes a, b and compares with the reference. */
static void check_broadcast(const char *op, int threads, int ra, const int64_t *da, int rb, const int64_t *db)
{
    int64_t na = ot_numel(ra, da), nb = ot_numel(rb, db);
    float *av = malloc((size_t)(na + 1) * 4), *bv = malloc((size_t)(nb + 1) * 4);
    bool positive = !strcmp(op, "Div") || !strcmp(op, "Pow");
    ot_fill(av, na, 1, positive ? 0.5f : -2.0f, 2.0f);
    ot_fill(bv, nb, 2, positive ? 0.5f : -2.0f, 2.0f);
    tb_model *m = binary_model(op, 14, OBN_FLOAT, ra, da, OBN_FLOAT, rb, db);
    obn_tensor *in[2] = {ot_tensor(OBN_FLOAT, ra, da, av), ot_tensor(OBN_FLOAT, rb, db, bv)}, *y;
    obn_status st = ot_run_threads(m, threads, 2, in, 1, &y);
    ck_assert_msg(st == OBN_OK, "%s: %s", op, obn_last_error());
    int R = ra > rb ? ra : rb;
    int64_t out[8];
    for (int d = 0; d < R; d++) {
        int64_t x = d - (R - ra) >= 0 ? da[d - (R - ra)] : 1, z = d - (R - rb) >= 0 ? db[d - (R - rb)] : 1;
        out[d] = x == 1 ? z : x;
    }
    ot_expect_shape(y, R, out);
    int64_t n = ot_numel(R, out), idx[8] = {0};
    double *want = malloc((size_t)(n + 1) * sizeof *want);
    for (int64_t i = 0; i < n; i++) {
        want[i] = apply(op, av[source_index(R, idx, ra, da)], bv[source_index(R, idx, rb, db)]);
        for (int d = R - 1; d >= 0; d--) {
            if (++idx[d] < out[d]) break;
            idx[d] = 0;
        }
    }
    ot_expect_f32(y, want, n, !strcmp(op, "Pow") ? 1e-5 : 1e-6);
    free(want);
    free(av);
    free(bv);
    ot_destroy(2, in);
    obn_tensor_destroy(y);
    tb_free(m);
}

static const char *const float_ops[] = {"Add", "Sub", "Mul", "Div", "Pow"};

START_TEST(broadcast_shapes)
{
    const char *op = float_ops[_i];
    static const struct {
        int ra, rb;
        int64_t a[5], b[5];
    } cases[] = {
        {4, 4, {2, 3, 4, 5}, {2, 3, 4, 5}}, {4, 1, {2, 3, 4, 5}, {5}},     {4, 3, {2, 3, 4, 5}, {3, 1, 1}},
        {4, 4, {1, 3, 1, 5}, {2, 1, 4, 1}}, {0, 2, {0}, {2, 3}},           {2, 2, {4, 1}, {1, 3}},
        {3, 2, {2, 0, 3}, {1, 3}},          {1, 1, {6}, {1}},              {2, 0, {3, 7}, {0}},
        {5, 2, {2, 1, 3, 1, 2}, {4, 1}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        check_broadcast(op, 2, cases[c].ra, cases[c].a, cases[c].rb, cases[c].b);
}
END_TEST

START_TEST(parallel_paths)
{
    /* long same-shape rows (split into chunks) and per-channel rows */
    const int64_t big[4] = {2, 64, 28, 28}, chan[3] = {64, 1, 1}, flat[1] = {100003};
    for (int threads = 1; threads <= 4; threads += 3) {
        check_broadcast("Add", threads, 4, big, 4, big);
        check_broadcast("Mul", threads, 4, big, 3, chan);
        check_broadcast("Sub", threads, 1, flat, 1, flat);
        check_broadcast("Div", threads, 3, chan, 4, big);
    }
}
END_TEST

static obn_tensor *run_int(const char *op, int version, obn_dtype dt, int64_t n, const void *a, const void *b,
                           obn_status *status)
{
    int64_t d[1] = {n};
    tb_model *m = binary_model(op, version, dt, 1, d, dt, 1, d);
    obn_tensor *in[2] = {ot_tensor(dt, 1, d, a), ot_tensor(dt, 1, d, b)}, *y = NULL;
    *status = ot_run(m, 2, in, 1, &y);
    ot_destroy(2, in);
    tb_free(m);
    return y;
}

START_TEST(int64_semantics)
{
    const int64_t a[6] = {7, -7, 7, -7, INT64_MIN, 12}, b[6] = {2, 2, -2, -2, -1, 5};
    const int64_t add[6] = {9, -5, 5, -9, INT64_MAX, 17};
    const int64_t div[6] = {3, -3, -3, 3, INT64_MIN, 2}; /* truncation; INT64_MIN/-1 wraps */
    const int64_t mul[6] = {14, -14, -14, 14, INT64_MIN, 60};
    obn_status st;
    obn_tensor *y = run_int("Add", 14, OBN_INT64, 6, a, b, &st);
    ck_assert_int_eq(st, OBN_OK);
    ot_expect_i64(y, add, 6);
    obn_tensor_destroy(y);
    y = run_int("Div", 14, OBN_INT64, 6, a, b, &st);
    ck_assert_int_eq(st, OBN_OK);
    ot_expect_i64(y, div, 6);
    obn_tensor_destroy(y);
    y = run_int("Mul", 13, OBN_INT64, 6, a, b, &st);
    ck_assert_int_eq(st, OBN_OK);
    ot_expect_i64(y, mul, 6);
    obn_tensor_destroy(y);
}
END_TEST

START_TEST(mod_sign_rules)
{
    /* fmod=0: result has the divisor's sign (Python %); fmod=1: the dividend's (C %) */
    const int64_t a[4] = {7, -7, 7, -7}, b[4] = {3, 3, -3, -3};
    const int64_t py[4] = {1, 2, -2, -1}, c[4] = {1, -1, 1, -1};
    int64_t d[1] = {4};
    for (int f = 0; f < 2; f++) {
        tb_model *m = binary_model("Mod", 13, OBN_INT64, 1, d, OBN_INT64, 1, d);
        if (f) tb_attr_int(m, tb_proto(m)->graph->node[0], "fmod", 1);
        obn_tensor *in[2] = {ot_tensor(OBN_INT64, 1, d, a), ot_tensor(OBN_INT64, 1, d, b)}, *y;
        OT_RUN_OK(m, 2, in, 1, &y);
        ot_expect_i64(y, f ? c : py, 4);
        ot_destroy(2, in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    /* floats need fmod=1 */
    tb_model *m = binary_model("Mod", 13, OBN_FLOAT, 1, d, OBN_FLOAT, 1, d);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "fmod=1");
    tb_free(m);
}
END_TEST

START_TEST(small_int_types_wrap)
{
    const uint8_t a[3] = {200, 5, 255}, b[3] = {100, 7, 1}, sum[3] = {44, 12, 0};
    const int32_t c[3] = {INT32_MAX, -5, 9}, e[3] = {1, 2, -4}, csum[3] = {INT32_MIN, -3, 5};
    obn_status st;
    obn_tensor *y = run_int("Add", 14, OBN_UINT8, 3, a, b, &st);
    ck_assert_int_eq(st, OBN_OK);
    ot_expect_bytes(y, OBN_UINT8, sum, 3);
    obn_tensor_destroy(y);
    y = run_int("Add", 14, OBN_INT32, 3, c, e, &st);
    ck_assert_int_eq(st, OBN_OK);
    ot_expect_bytes(y, OBN_INT32, csum, 3);
    obn_tensor_destroy(y);
    /* uint8 is not an Add-13 type */
    int64_t d[1] = {3};
    tb_model *m = binary_model("Add", 13, OBN_UINT8, 1, d, OBN_UINT8, 1, d);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "'A'", "uint8");
    tb_free(m);
}
END_TEST

START_TEST(integer_division_by_zero_is_an_error)
{
    const int64_t a[2] = {1, 2}, b[2] = {1, 0};
    obn_status st;
    obn_tensor *y = run_int("Div", 14, OBN_INT64, 2, a, b, &st);
    ck_assert_int_eq(st, OBN_E_RUNTIME);
    ck_assert_ptr_null(y);
    ot_expect_message("division by zero", "Div", (const char *)NULL);
    y = run_int("Mod", 13, OBN_INT64, 2, a, b, &st);
    ck_assert_int_eq(st, OBN_E_RUNTIME);
}
END_TEST

START_TEST(double_and_half)
{
    const double a[3] = {1.5, -2.25, 1e300}, b[3] = {0.5, 4, 10}, want[3] = {0.75, -9, 1e301};
    int64_t d[1] = {3};
    tb_model *m = binary_model("Mul", 14, OBN_DOUBLE, 1, d, OBN_DOUBLE, 1, d);
    obn_tensor *in[2] = {ot_tensor(OBN_DOUBLE, 1, d, a), ot_tensor(OBN_DOUBLE, 1, d, b)}, *y;
    OT_RUN_OK(m, 2, in, 1, &y);
    const double *yv = obn_tensor_cdata(y);
    for (int i = 0; i < 3; i++) ck_assert_double_eq_tol(yv[i], want[i], 1e-12 * fabs(want[i]));
    ot_destroy(2, in);
    obn_tensor_destroy(y);
    tb_free(m);
    /* float16: 1.5 + 0.25 = 1.75 exactly (0x3E00 + 0x3400 = 0x3F00) */
    const uint16_t ha[1] = {0x3E00}, hb[1] = {0x3400}, hw[1] = {0x3F00};
    d[0] = 1;
    m = binary_model("Add", 14, OBN_FLOAT16, 1, d, OBN_FLOAT16, 1, d);
    obn_tensor *hin[2] = {ot_tensor(OBN_FLOAT16, 1, d, ha), ot_tensor(OBN_FLOAT16, 1, d, hb)};
    OT_RUN_OK(m, 2, hin, 1, &y);
    ot_expect_bytes(y, OBN_FLOAT16, hw, 1);
    ot_destroy(2, hin);
    obn_tensor_destroy(y);
    tb_free(m);
}
END_TEST

START_TEST(legacy_broadcast_attribute)
{
    /* Add-6, broadcast=1, axis=1: B [3,4] is matched against A [2,3,4,5] at axis 1 */
    const int64_t da[4] = {2, 3, 4, 5}, db[2] = {3, 4};
    float av[120], bv[12];
    ot_fill(av, 120, 3, -1, 1);
    ot_fill(bv, 12, 4, -1, 1);
    tb_model *m = binary_model("Add", 6, OBN_FLOAT, 4, da, OBN_FLOAT, 2, db);
    tb_attr_int(m, tb_proto(m)->graph->node[0], "broadcast", 1);
    tb_attr_int(m, tb_proto(m)->graph->node[0], "axis", 1);
    obn_tensor *in[2] = {ot_tensor(OBN_FLOAT, 4, da, av), ot_tensor(OBN_FLOAT, 2, db, bv)}, *y;
    OT_RUN_OK(m, 2, in, 1, &y);
    double want[120];
    for (int i = 0; i < 120; i++) want[i] = (double)av[i] + bv[(i / 5) % 12];
    ot_expect_f32(y, want, 120, 1e-6);
    ot_destroy(2, in);
    obn_tensor_destroy(y);
    tb_free(m);

    /* without axis: B [5] aligns with A's trailing dim; a one-element B is a scalar */
    const int64_t d5[1] = {5}, d11[2] = {1, 1};
    m = binary_model("Mul", 1, OBN_FLOAT, 4, da, OBN_FLOAT, 1, d5);
    tb_attr_int(m, tb_proto(m)->graph->node[0], "broadcast", 1);
    ck_assert_int_eq(ot_create_status(m), OBN_OK);
    tb_free(m);
    m = binary_model("Sub", 6, OBN_FLOAT, 4, da, OBN_FLOAT, 2, d11);
    tb_attr_int(m, tb_proto(m)->graph->node[0], "broadcast", 1);
    ck_assert_int_eq(ot_create_status(m), OBN_OK);
    tb_free(m);

    /* broadcast=0 needs equal shapes */
    m = binary_model("Add", 6, OBN_FLOAT, 4, da, OBN_FLOAT, 1, d5);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "broadcast=0", "[2,3,4,5]", "[5]");
    tb_free(m);
    /* B does not match A at the axis */
    m = binary_model("Add", 6, OBN_FLOAT, 4, da, OBN_FLOAT, 2, db);
    tb_attr_int(m, tb_proto(m)->graph->node[0], "broadcast", 1);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'B'", "[3,4]", "axis 2");
    tb_free(m);
    /* the attributes do not exist from version 7 */
    m = binary_model("Add", 7, OBN_FLOAT, 4, da, OBN_FLOAT, 1, d5);
    tb_attr_int(m, tb_proto(m)->graph->node[0], "broadcast", 1);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'broadcast'", "Add-7");
    tb_free(m);
}
END_TEST

START_TEST(pow_mixed_types)
{
    /* Pow-12+: float base with int64 exponent, int32 base with float exponent */
    const float base[3] = {2, -3, 0.5f};
    const int64_t ex[3] = {3, 2, -1};
    int64_t d[1] = {3};
    tb_model *m = binary_model("Pow", 15, OBN_FLOAT, 1, d, OBN_INT64, 1, d);
    obn_tensor *in[2] = {ot_tensor(OBN_FLOAT, 1, d, base), ot_tensor(OBN_INT64, 1, d, ex)}, *y;
    OT_RUN_OK(m, 2, in, 1, &y);
    const double want[3] = {8, 9, 2};
    ot_expect_f32(y, want, 3, 1e-6);
    ot_destroy(2, in);
    obn_tensor_destroy(y);
    tb_free(m);

    const int32_t ib[3] = {4, 9, 2};
    const float fe[3] = {0.5f, 0.5f, 10};
    const int32_t iw[3] = {2, 3, 1024};
    m = binary_model("Pow", 15, OBN_INT32, 1, d, OBN_FLOAT, 1, d);
    obn_tensor *in2[2] = {ot_tensor(OBN_INT32, 1, d, ib), ot_tensor(OBN_FLOAT, 1, d, fe)};
    OT_RUN_OK(m, 2, in2, 1, &y);
    ot_expect_bytes(y, OBN_INT32, iw, 3);
    ot_destroy(2, in2);
    obn_tensor_destroy(y);
    tb_free(m);

    /* before 12 the exponent must have the base's type */
    m = binary_model("Pow", 7, OBN_FLOAT, 1, d, OBN_INT64, 1, d);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'B'", "int64");
    tb_free(m);
}
END_TEST

START_TEST(pow_square_fast_path)
{
    /* exponent 2 as a broadcast scalar (LayerNorm decompositions): x*x, NaN and inf kept */
    const int64_t dx[2] = {3, 40000}, one[1] = {1};
    int64_t n = 120000;
    float *x = malloc((size_t)n * 4), two = 2.0f;
    ot_fill(x, n, 12, -3, 3);
    x[0] = NAN;
    x[1] = -INFINITY;
    tb_model *m = binary_model("Pow", 15, OBN_FLOAT, 2, dx, OBN_FLOAT, 1, one);
    obn_tensor *in[2] = {ot_tensor(OBN_FLOAT, 2, dx, x), ot_tensor(OBN_FLOAT, 1, one, &two)}, *y;
    OT_RUN_OK(m, 2, in, 1, &y);
    double *want = malloc((size_t)n * sizeof *want);
    for (int64_t i = 0; i < n; i++) want[i] = pow(x[i], 2.0);
    ot_expect_f32(y, want, n, 1e-7);
    free(want);
    free(x);
    ot_destroy(2, in);
    obn_tensor_destroy(y);
    tb_free(m);
}
END_TEST

START_TEST(prelu_per_channel)
{
    const int64_t dx[4] = {2, 3, 2, 2}, ds[3] = {3, 1, 1};
    check_broadcast("PRelu", 2, 4, dx, 3, ds);
    /* PRelu-6: a 1-D slope of C values is per channel (axis 1), not numpy-aligned */
    const int64_t x3[3] = {2, 3, 4}, c3[1] = {3};
    float xv[24], sv[3] = {0.1f, 0.2f, 0.3f};
    ot_fill(xv, 24, 8, -2, 2);
    tb_model *legacy = binary_model("PRelu", 6, OBN_FLOAT, 3, x3, OBN_FLOAT, 1, c3);
    obn_tensor *in[2] = {ot_tensor(OBN_FLOAT, 3, x3, xv), ot_tensor(OBN_FLOAT, 1, c3, sv)}, *y;
    OT_RUN_OK(legacy, 2, in, 1, &y);
    double want[24];
    for (int i = 0; i < 24; i++) want[i] = xv[i] >= 0 ? xv[i] : (double)xv[i] * sv[(i / 4) % 3];
    ot_expect_f32(y, want, 24, 1e-6);
    ot_destroy(2, in);
    obn_tensor_destroy(y);
    tb_free(legacy);
    /* the slope must broadcast to X, not the other way */
    const int64_t big[4] = {2, 3, 2, 2}, small[2] = {2, 2};
    tb_model *m = binary_model("PRelu", 16, OBN_FLOAT, 2, small, OBN_FLOAT, 4, big);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'slope'", "[2,3,2,2]");
    tb_free(m);
}
END_TEST

START_TEST(shape_and_type_errors)
{
    const int64_t a[3] = {2, 3, 4}, b[2] = {3, 5};
    tb_model *m = binary_model("Add", 14, OBN_FLOAT, 3, a, OBN_FLOAT, 2, b);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"n\"", "Add-14", "'a'", "[2,3,4]", "'b'", "[3,5]", "axis 2");
    tb_free(m);
    m = binary_model("Mul", 14, OBN_FLOAT, 3, a, OBN_DOUBLE, 3, a);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'B'", "double", "float");
    tb_free(m);
    m = binary_model("Div", 14, OBN_BOOL, 3, a, OBN_BOOL, 3, a);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "bool");
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("binary");
    TCase *t = tcase_create("binary");
    tcase_add_loop_test(t, broadcast_shapes, 0, 5);
    tcase_add_test(t, parallel_paths);
    tcase_add_test(t, int64_semantics);
    tcase_add_test(t, mod_sign_rules);
    tcase_add_test(t, small_int_types_wrap);
    tcase_add_test(t, integer_division_by_zero_is_an_error);
    tcase_add_test(t, double_and_half);
    tcase_add_test(t, legacy_broadcast_attribute);
    tcase_add_test(t, pow_mixed_types);
    tcase_add_test(t, pow_square_fast_path);
    tcase_add_test(t, prelu_per_channel);
    tcase_add_test(t, shape_and_type_errors);
    suite_add_tcase(s, t);
    return ot_main(s);
}
