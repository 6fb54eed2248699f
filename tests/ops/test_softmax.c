/* Softmax and LogSoftmax: version 1/11 semantics (flatten to 2-D at axis,
 * normalise over all trailing dims) versus version 13 (normalise along the
 * one axis), against a reference in double. Tolerance 1e-6 relative. */
#include "op_testing.h"

/* Reference: normalise groups of `len` elements spaced `inner` apart. */
static void reference(const float *x, double *y, int64_t outer, int64_t len, int64_t inner, bool log_softmax)
{
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            double mx = -INFINITY, sum = 0;
            for (int64_t k = 0; k < len; k++) mx = fmax(mx, x[(o * len + k) * inner + i]);
            for (int64_t k = 0; k < len; k++) sum += exp(x[(o * len + k) * inner + i] - mx);
            for (int64_t k = 0; k < len; k++) {
                double v = x[(o * len + k) * inner + i] - mx;
                y[(o * len + k) * inner + i] = log_softmax ? v - log(sum) : exp(v) / sum;
            }
        }
}

static void check(const char *op, int version, int has_axis, int64_t axis)
{
    const int64_t dims[4] = {2, 3, 4, 5};
    float x[120];
    ot_fill(x, 120, 21, -30, 30); /* wide range: needs the max shift */
    tb_model *m = tb_new(version);
    tb_input(m, "x", OBN_FLOAT, 4, dims);
    Onnx__NodeProto *n = tb_node(m, op, "sm", "x", "y");
    if (has_axis) tb_attr_int(m, n, "axis", axis);
    tb_output(m, "y", OBN_FLOAT, 4, dims);
    obn_tensor *in = ot_tensor(OBN_FLOAT, 4, dims, x), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    int64_t a = has_axis ? axis : version >= 13 ? -1 : 1;
    if (a < 0) a += 4;
    int64_t outer = ot_numel((int)a, dims), len, inner;
    if (version >= 13) {
        len = dims[a];
        inner = ot_numel(3 - (int)a, dims + a + 1);
    } else {
        len = ot_numel(4 - (int)a, dims + a);
        inner = 1;
    }
    double want[120];
    reference(x, want, outer, len, inner, op[0] == 'L');
    ot_expect_f32(y, want, 120, 1e-6);
    obn_tensor_destroy(in);
    obn_tensor_destroy(y);
    tb_free(m);
}

START_TEST(every_version_and_axis)
{
    const char *op = _i ? "LogSoftmax" : "Softmax";
    for (int64_t axis = -4; axis < 4; axis++) {
        check(op, 13, 1, axis);
        check(op, 11, 1, axis);
        if (axis >= 0) check(op, 1, 1, axis);
    }
    check(op, 13, 0, 0); /* default axis -1 */
    check(op, 11, 0, 0); /* default axis 1: rows of 3*4*5 */
    check(op, 1, 0, 0);
}
END_TEST

START_TEST(v1_and_v13_differ)
{
    /* [1,2,2] with axis=1: v1 normalises all four values, v13 pairs along axis 1 */
    const int64_t dims[3] = {1, 2, 2};
    const float x[4] = {0, 0, 0, 0};
    for (int v = 0; v < 2; v++) {
        tb_model *m = tb_new(v ? 13 : 11);
        tb_input(m, "x", OBN_FLOAT, 3, dims);
        tb_attr_int(m, tb_node(m, "Softmax", "sm", "x", "y"), "axis", 1);
        tb_output(m, "y", OBN_FLOAT, 3, dims);
        obn_tensor *in = ot_tensor(OBN_FLOAT, 3, dims, x), *y;
        OT_RUN_OK(m, 1, &in, 1, &y);
        const double q[4] = {0.25, 0.25, 0.25, 0.25}, h[4] = {0.5, 0.5, 0.5, 0.5};
        ot_expect_f32(y, v ? h : q, 4, 1e-7);
        obn_tensor_destroy(in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
}
END_TEST

START_TEST(large_rows_parallel_and_double)
{
    const int64_t dims[2] = {64, 1000};
    float *x = malloc(64000 * 4);
    ot_fill(x, 64000, 3, -10, 10);
    tb_model *m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 2, dims);
    tb_node(m, "Softmax", "sm", "x", "y");
    tb_output(m, "y", OBN_FLOAT, 2, dims);
    obn_tensor *in = ot_tensor(OBN_FLOAT, 2, dims, x), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    double *want = malloc(64000 * sizeof *want);
    reference(x, want, 64, 1000, 1, false);
    ot_expect_f32(y, want, 64000, 1e-6);
    free(want);
    obn_tensor_destroy(in);
    obn_tensor_destroy(y);
    tb_free(m);
    free(x);
    const int64_t d1[1] = {3};
    const double xd[3] = {1000, 1000, 1000};
    m = tb_new(13);
    tb_input(m, "x", OBN_DOUBLE, 1, d1);
    tb_node(m, "LogSoftmax", "sm", "x", "y");
    tb_output(m, "y", OBN_DOUBLE, 1, d1);
    in = ot_tensor(OBN_DOUBLE, 1, d1, xd);
    OT_RUN_OK(m, 1, &in, 1, &y);
    const double *yv = obn_tensor_cdata(y);
    for (int i = 0; i < 3; i++) ck_assert_double_eq_tol(yv[i], -log(3.0), 1e-12);
    obn_tensor_destroy(in);
    obn_tensor_destroy(y);
    tb_free(m);
}
END_TEST

START_TEST(softmax_errors)
{
    const int64_t dims[2] = {2, 3};
    tb_model *m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 2, dims);
    tb_attr_int(m, tb_node(m, "Softmax", "sm", "x", "y"), "axis", 2);
    tb_output(m, "y", OBN_FLOAT, 2, dims);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"sm\"", "Softmax-13", "axis 2", "rank 2");
    tb_free(m);
    m = tb_new(13);
    tb_input(m, "x", OBN_INT32, 2, dims);
    tb_node(m, "Softmax", "sm", "x", "y");
    tb_output(m, "y", OBN_INT32, 2, dims);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "int32");
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("softmax");
    TCase *t = tcase_create("softmax");
    tcase_add_loop_test(t, every_version_and_axis, 0, 2);
    tcase_add_test(t, v1_and_v13_differ);
    tcase_add_test(t, large_rows_parallel_and_double);
    tcase_add_test(t, softmax_errors);
    suite_add_tcase(s, t);
    return ot_main(s);
}
