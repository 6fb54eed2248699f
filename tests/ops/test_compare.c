/* Comparisons (Equal, Less, Greater, LessOrEqual, GreaterOrEqual), logic
 * (And, Or, Xor, Not) and Where, with broadcasting, against references
 * computed here; NaN compares false; legacy broadcast in version 1. */
#include "op_testing.h"

static bool ref_cmp(const char *op, double a, double b)
{
    if (!strcmp(op, "Equal")) return a == b;
    if (!strcmp(op, "Less")) return a < b;
    if (!strcmp(op, "Greater")) return a > b;
    if (!strcmp(op, "LessOrEqual")) return a <= b;
    return a >= b;
}

static const char *const cmp_ops[] = {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"};

START_TEST(comparisons_broadcast)
{
    const char *op = cmp_ops[_i];
    const int64_t da[3] = {2, 3, 4}, db[2] = {3, 1};
    float a[24], b[3] = {0, 1, NAN};
    for (int i = 0; i < 24; i++) a[i] = (float)(i % 3) - 0.0f;
    a[5] = NAN;
    tb_model *m = tb_new(16);
    tb_input(m, "a", OBN_FLOAT, 3, da);
    tb_input(m, "b", OBN_FLOAT, 2, db);
    tb_node(m, op, "cmp", "a,b", "y");
    tb_output(m, "y", OBN_BOOL, -1, NULL);
    obn_tensor *in[2] = {ot_tensor(OBN_FLOAT, 3, da, a), ot_tensor(OBN_FLOAT, 2, db, b)}, *y;
    OT_RUN_OK(m, 2, in, 1, &y);
    ot_expect_shape(y, 3, da);
    uint8_t want[24];
    for (int i = 0; i < 24; i++) want[i] = ref_cmp(op, a[i], b[(i / 4) % 3]);
    ot_expect_bytes(y, OBN_BOOL, want, 24);
    ot_destroy(2, in);
    obn_tensor_destroy(y);
    tb_free(m);
    /* int64 extremes compare exactly (no detour through double) */
    const int64_t one[1] = {2}, ia[2] = {INT64_MAX, INT64_MIN}, ib[2] = {INT64_MAX - 1, INT64_MIN};
    m = tb_new(16);
    tb_input(m, "a", OBN_INT64, 1, one);
    tb_input(m, "b", OBN_INT64, 1, one);
    tb_node(m, op, "cmp", "a,b", "y");
    tb_output(m, "y", OBN_BOOL, -1, NULL);
    obn_tensor *ii[2] = {ot_tensor(OBN_INT64, 1, one, ia), ot_tensor(OBN_INT64, 1, one, ib)};
    OT_RUN_OK(m, 2, ii, 1, &y);
    uint8_t iw[2];
    for (int i = 0; i < 2; i++) iw[i] = ia[i] == ib[i] ? ref_cmp(op, 0, 0) : ref_cmp(op, 1, 0);
    ot_expect_bytes(y, OBN_BOOL, iw, 2);
    ot_destroy(2, ii);
    obn_tensor_destroy(y);
    tb_free(m);
}
END_TEST

/* Equal-19 adds string inputs to the spec: compared byte for byte (a NUL
 * inside included), broadcast like numbers; the numeric types compare as
 * before; Equal-13 refuses strings. */
START_TEST(equal_19)
{
    const int64_t d[1] = {3};
    const int32_t a[3] = {1, -2, 3}, b[3] = {1, 2, 3};
    const uint8_t want[3] = {1, 0, 1};
    tb_model *m = tb_new(28);
    tb_input(m, "a", OBN_INT32, 1, d);
    tb_input(m, "b", OBN_INT32, 1, d);
    tb_node(m, "Equal", "eq", "a,b", "y");
    tb_output(m, "y", OBN_BOOL, -1, NULL);
    obn_tensor *in[2] = {ot_tensor(OBN_INT32, 1, d, a), ot_tensor(OBN_INT32, 1, d, b)}, *y;
    OT_RUN_OK(m, 2, in, 1, &y);
    ot_expect_bytes(y, OBN_BOOL, want, 3);
    ot_destroy(2, in);
    obn_tensor_destroy(y);
    tb_free(m);
    m = tb_new(19);
    tb_input(m, "a", OBN_STRING, 1, d);
    const int64_t d1[1] = {1};
    tb_input(m, "b", OBN_STRING, 1, d1);
    tb_node(m, "Equal", "eq", "a,b", "y");
    tb_output(m, "y", OBN_BOOL, -1, NULL);
    const char *const sa[3] = {"x", "xy", "x"}, *const sb[1] = {"x"};
    obn_tensor *si[2] = {NULL, NULL};
    ck_assert_int_eq(obn_tensor_create(OBN_STRING, 1, d, sa, &si[0]), OBN_OK);
    ck_assert_int_eq(obn_tensor_create(OBN_STRING, 1, d1, sb, &si[1]), OBN_OK);
    ck_assert_int_eq(obn_tensor_set_string(si[0], 2, "x\0", 2), OBN_OK);
    OT_RUN_OK(m, 2, si, 1, &y);
    const uint8_t want_s[3] = {1, 0, 0};
    ot_expect_bytes(y, OBN_BOOL, want_s, 3);
    obn_tensor_destroy(y);
    tb_proto(m)->opset_import[0]->version = 13;
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "Equal-13", "'a'", "string");
    ot_destroy(2, si);
    tb_free(m);
}
END_TEST

START_TEST(logic_ops)
{
    const int64_t da[2] = {2, 2}, db[1] = {2};
    const uint8_t a[4] = {0, 1, 0, 1}, b[2] = {0, 1};
    const char *ops[3] = {"And", "Or", "Xor"};
    for (int k = 0; k < 3; k++) {
        tb_model *m = tb_new(7);
        tb_input(m, "a", OBN_BOOL, 2, da);
        tb_input(m, "b", OBN_BOOL, 1, db);
        tb_node(m, ops[k], "l", "a,b", "y");
        tb_output(m, "y", OBN_BOOL, -1, NULL);
        obn_tensor *in[2] = {ot_tensor(OBN_BOOL, 2, da, a), ot_tensor(OBN_BOOL, 1, db, b)}, *y;
        OT_RUN_OK(m, 2, in, 1, &y);
        uint8_t want[4];
        for (int i = 0; i < 4; i++) {
            bool u = a[i], v = b[i % 2];
            want[i] = k == 0 ? (u && v) : k == 1 ? (u || v) : (u != v);
        }
        ot_expect_bytes(y, OBN_BOOL, want, 4);
        ot_destroy(2, in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    tb_model *m = tb_new(1);
    tb_input(m, "a", OBN_BOOL, 2, da);
    tb_node(m, "Not", "n", "a", "y");
    tb_output(m, "y", OBN_BOOL, -1, NULL);
    obn_tensor *in = ot_tensor(OBN_BOOL, 2, da, a), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    const uint8_t nw[4] = {1, 0, 1, 0};
    ot_expect_bytes(y, OBN_BOOL, nw, 4);
    obn_tensor_destroy(in);
    obn_tensor_destroy(y);
    tb_free(m);
    /* logic on floats is a type error */
    m = tb_new(7);
    tb_input(m, "a", OBN_FLOAT, 2, da);
    tb_input(m, "b", OBN_FLOAT, 2, da);
    tb_node(m, "And", "l", "a,b", "y");
    tb_output(m, "y", OBN_BOOL, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "\"l\"", "And-7", "float");
    tb_free(m);
}
END_TEST

START_TEST(legacy_broadcast_equal)
{
    /* Equal-1 with broadcast=1, axis=0: B [2] against A [2,3] */
    const int64_t da[2] = {2, 3}, db[1] = {2};
    const int32_t a[6] = {1, 1, 2, 5, 6, 5}, b[2] = {1, 5};
    tb_model *m = tb_new(1);
    tb_input(m, "a", OBN_INT32, 2, da);
    tb_input(m, "b", OBN_INT32, 1, db);
    Onnx__NodeProto *n = tb_node(m, "Equal", "eq", "a,b", "y");
    tb_attr_int(m, n, "broadcast", 1);
    tb_attr_int(m, n, "axis", 0);
    tb_output(m, "y", OBN_BOOL, -1, NULL);
    obn_tensor *in[2] = {ot_tensor(OBN_INT32, 2, da, a), ot_tensor(OBN_INT32, 1, db, b)}, *y;
    OT_RUN_OK(m, 2, in, 1, &y);
    const uint8_t want[6] = {1, 1, 0, 1, 0, 1};
    ot_expect_bytes(y, OBN_BOOL, want, 6);
    ot_destroy(2, in);
    obn_tensor_destroy(y);
    tb_free(m);
}
END_TEST

START_TEST(where_three_way_broadcast)
{
    const int64_t dc[3] = {2, 1, 3}, dx[2] = {4, 1}, dy[1] = {3}, od[3] = {2, 4, 3};
    const uint8_t c[6] = {1, 0, 1, 0, 0, 1};
    const int64_t x[4] = {10, 20, 30, 40}, yv[3] = {-1, -2, -3};
    tb_model *m = tb_new(16);
    tb_input(m, "c", OBN_BOOL, 3, dc);
    tb_input(m, "x", OBN_INT64, 2, dx);
    tb_input(m, "y", OBN_INT64, 1, dy);
    tb_node(m, "Where", "w", "c,x,y", "out");
    tb_output(m, "out", OBN_INT64, -1, NULL);
    obn_tensor *in[3] = {ot_tensor(OBN_BOOL, 3, dc, c), ot_tensor(OBN_INT64, 2, dx, x), ot_tensor(OBN_INT64, 1, dy, yv)};
    obn_tensor *out;
    OT_RUN_OK(m, 3, in, 1, &out);
    ot_expect_shape(out, 3, od);
    int64_t want[24];
    for (int i = 0; i < 24; i++) {
        int b = i / 12, r = (i / 3) % 4, k = i % 3;
        want[i] = c[b * 3 + k] ? x[r] : yv[k];
    }
    ot_expect_i64(out, want, 24);
    ot_destroy(3, in);
    obn_tensor_destroy(out);
    tb_free(m);
    /* condition must be bool; X and Y must agree */
    m = tb_new(16);
    tb_input(m, "c", OBN_INT64, 3, dc);
    tb_input(m, "x", OBN_INT64, 2, dx);
    tb_input(m, "y", OBN_FLOAT, 1, dy);
    tb_node(m, "Where", "w", "c,x,y", "out");
    tb_output(m, "out", OBN_INT64, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "'condition'", "int64");
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("compare");
    TCase *t = tcase_create("compare");
    tcase_add_loop_test(t, comparisons_broadcast, 0, 5);
    tcase_add_test(t, equal_19);
    tcase_add_test(t, logic_ops);
    tcase_add_test(t, legacy_broadcast_equal);
    tcase_add_test(t, where_three_way_broadcast);
    suite_add_tcase(s, t);
    return ot_main(s);
}
