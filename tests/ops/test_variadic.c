/* Sum, Mean, Max, Min over 1 to 4 inputs with numpy broadcasting (versions
 * 8+) and equal shapes required before 8; reference in double. */
#include "op_testing.h"

static const char *const ops[] = {"Sum", "Mean", "Max", "Min"};

START_TEST(broadcast_many_inputs)
{
    const char *op = ops[_i];
    const int64_t shapes[4][3] = {{2, 3, 4}, {3, 1}, {4}, {1, 1, 1}};
    const int ranks[4] = {3, 2, 1, 3};
    float data[4][24];
    for (int k = 0; k < 4; k++) ot_fill(data[k], 24, (uint64_t)k + 1, -3, 3);
    for (int n = 1; n <= 4; n++) {
        tb_model *m = tb_new(13);
        static const char *const names[4] = {"x0", "x1", "x2", "x3"};
        static const char *const lists[4] = {"x0", "x0,x1", "x0,x1,x2", "x0,x1,x2,x3"};
        obn_tensor *in[4];
        for (int k = 0; k < n; k++) {
            tb_input(m, names[k], OBN_FLOAT, ranks[k], shapes[k]);
            in[k] = ot_tensor(OBN_FLOAT, ranks[k], shapes[k], data[k]);
        }
        tb_node(m, op, "v", lists[n - 1], "y");
        tb_output(m, "y", OBN_FLOAT, -1, NULL);
        obn_tensor *y;
        OT_RUN_OK(m, n, in, 1, &y);
        ot_expect_shape(y, 3, shapes[0]);
        double want[24];
        for (int i = 0; i < 24; i++) {
            int c1 = (i / 4) % 3, c2 = i % 4;
            double v[4] = {data[0][i], data[1][c1], data[2][c2], data[3][0]};
            double acc = v[0];
            for (int k = 1; k < n; k++)
                acc = _i < 2 ? acc + v[k] : _i == 2 ? fmax(acc, v[k]) : fmin(acc, v[k]);
            want[i] = _i == 1 ? acc / n : acc;
        }
        ot_expect_f32(y, want, 24, 1e-6);
        ot_destroy(n, in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
}
END_TEST

START_TEST(integer_max_min_and_legacy_shapes)
{
    const int64_t d[1] = {3}, a[3] = {INT64_MIN, 5, -2}, b[3] = {INT64_MAX, 4, -3};
    const int64_t mx[3] = {INT64_MAX, 5, -2}, mn[3] = {INT64_MIN, 4, -3};
    for (int k = 0; k < 2; k++) {
        tb_model *m = tb_new(13);
        tb_input(m, "a", OBN_INT64, 1, d);
        tb_input(m, "b", OBN_INT64, 1, d);
        tb_node(m, k ? "Min" : "Max", "v", "a,b", "y");
        tb_output(m, "y", OBN_INT64, -1, NULL);
        obn_tensor *in[2] = {ot_tensor(OBN_INT64, 1, d, a), ot_tensor(OBN_INT64, 1, d, b)}, *y;
        OT_RUN_OK(m, 2, in, 1, &y);
        ot_expect_i64(y, k ? mn : mx, 3);
        ot_destroy(2, in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    /* Sum-6 does not broadcast; int64 Sum is not allowed */
    const int64_t d2[2] = {2, 3};
    tb_model *m = tb_new(6);
    tb_input(m, "a", OBN_FLOAT, 2, d2);
    tb_input(m, "b", OBN_FLOAT, 1, d);
    tb_node(m, "Sum", "v", "a,b", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"v\"", "Sum-6 does not broadcast");
    tb_free(m);
    m = tb_new(13);
    tb_input(m, "a", OBN_INT64, 1, d);
    tb_node(m, "Sum", "v", "a", "y");
    tb_output(m, "y", OBN_INT64, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "int64");
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("variadic");
    TCase *t = tcase_create("variadic");
    tcase_add_loop_test(t, broadcast_many_inputs, 0, 4);
    tcase_add_test(t, integer_max_min_and_legacy_shapes);
    suite_add_tcase(s, t);
    return ot_main(s);
}
