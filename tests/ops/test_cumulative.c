/* CumSum and CumProd against running sums and products computed here in
 * double (float: 1e-6 relative) or exactly (integers, with their
 * wrap-around), for every axis, exclusive and reverse, the axis given at run
 * time, and the errors. */
#include "kernels/half.h"
#include "op_testing.h"

/* CumSum of x [2,3,4] along `axis` (an initializer, or a graph input when
 * runtime_axis) with the given attributes. */
static tb_model *cum_model(const char *op, int opset, obn_dtype dt, const int64_t *dims, int64_t axis, int exclusive,
                           int reverse, bool runtime_axis)
{
    tb_model *m = tb_new(opset);
    tb_input(m, "x", dt, 3, dims);
    if (runtime_axis) tb_input(m, "a", OBN_INT64, 0, NULL);
    else tb_init_i64(m, "a", 0, NULL, &axis);
    Onnx__NodeProto *n = tb_node(m, op, "cs", "x,a", "y");
    tb_attr_int(m, n, "exclusive", exclusive);
    tb_attr_int(m, n, "reverse", reverse);
    tb_output(m, "y", dt, -1, NULL);
    return m;
}

static tb_model *cumsum_model(int opset, obn_dtype dt, const int64_t *dims, int64_t axis, int exclusive, int reverse,
                              bool runtime_axis)
{
    return cum_model("CumSum", opset, dt, dims, axis, exclusive, reverse, runtime_axis);
}

/* want[i] along the axis (stride, size n) of x, as the spec's example:
 * [1,2,3] -> [1,3,6], exclusive [0,1,3], reverse [6,5,3], both [5,3,0]. */
static void reference(const double *x, double *want, int64_t total, int64_t n, int64_t stride, int exclusive,
                      int reverse)
{
    for (int64_t o = 0; o < total; o++) {
        if ((o / stride) % n != 0) continue;
        double acc = 0;
        for (int64_t j = 0; j < n; j++) {
            int64_t at = o + (reverse ? n - 1 - j : j) * stride;
            if (exclusive) want[at] = acc;
            acc += x[at];
            if (!exclusive) want[at] = acc;
        }
    }
}

START_TEST(cumsum_float_every_axis_and_mode)
{
    const int64_t dims[3] = {2, 3, 4};
    float x[24];
    double xd[24], want[24];
    ot_fill(x, 24, 3, -2, 2);
    for (int i = 0; i < 24; i++) xd[i] = x[i];
    for (int axis = -3; axis < 3; axis++)
        for (int mode = 0; mode < 4; mode++) {
            int ax = axis < 0 ? axis + 3 : axis, ex = mode & 1, rev = mode >> 1;
            bool runtime = mode == 3;
            tb_model *m = cumsum_model(11, OBN_FLOAT, dims, axis, ex, rev, runtime);
            int64_t a = axis;
            obn_tensor *in[2] = {ot_tensor(OBN_FLOAT, 3, dims, x), ot_tensor(OBN_INT64, 0, NULL, &a)}, *y;
            OT_RUN_OK(m, runtime ? 2 : 1, in, 1, &y);
            reference(xd, want, 24, dims[ax], ax == 2 ? 1 : ax == 1 ? 4 : 12, ex, rev);
            ot_expect_f32(y, want, 24, 1e-6);
            ot_destroy(2, in);
            obn_tensor_destroy(y);
            tb_free(m);
        }
}
END_TEST

/* The spec's example, on int32 with wrap-around, uint64 above INT64_MAX and
 * float16 (CumSum-14; float16 is refused by CumSum-11). */
START_TEST(cumsum_integer_and_half)
{
    const int64_t d3[3] = {1, 1, 3};
    const int32_t xi[3] = {INT32_MAX, 1, 3};
    tb_model *m = cumsum_model(14, OBN_INT32, d3, 2, 1, 1, false);
    obn_tensor *in = ot_tensor(OBN_INT32, 3, d3, xi), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    const int32_t wi[3] = {4, 3, 0};
    ot_expect_bytes(y, OBN_INT32, wi, 3);
    ot_destroy(1, &in);
    obn_tensor_destroy(y);
    tb_free(m);
    m = cumsum_model(14, OBN_INT32, d3, 2, 0, 0, false);
    in = ot_tensor(OBN_INT32, 3, d3, xi);
    OT_RUN_OK(m, 1, &in, 1, &y);
    const int32_t wrap[3] = {INT32_MAX, INT32_MIN, INT32_MIN + 3};
    ot_expect_bytes(y, OBN_INT32, wrap, 3);
    ot_destroy(1, &in);
    obn_tensor_destroy(y);
    tb_free(m);
    const uint64_t xu[3] = {UINT64_MAX - 5, 2, 3}, wu[3] = {UINT64_MAX - 5, UINT64_MAX - 3, UINT64_MAX};
    m = cumsum_model(11, OBN_UINT64, d3, -1, 0, 0, false);
    in = ot_tensor(OBN_UINT64, 3, d3, xu);
    OT_RUN_OK(m, 1, &in, 1, &y);
    ot_expect_bytes(y, OBN_UINT64, wu, 3);
    ot_destroy(1, &in);
    obn_tensor_destroy(y);
    tb_free(m);
    const uint16_t xh[3] = {obn_f32_to_f16(1), obn_f32_to_f16(2), obn_f32_to_f16(3)};
    const uint16_t wh[3] = {obn_f32_to_f16(6), obn_f32_to_f16(5), obn_f32_to_f16(3)};
    m = cumsum_model(14, OBN_FLOAT16, d3, 2, 0, 1, false);
    in = ot_tensor(OBN_FLOAT16, 3, d3, xh);
    OT_RUN_OK(m, 1, &in, 1, &y);
    ot_expect_bytes(y, OBN_FLOAT16, wh, 3);
    obn_tensor_destroy(y);
    tb_free(m);
    m = cumsum_model(11, OBN_FLOAT16, d3, 2, 0, 1, false);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "\"cs\"", "'x'", "float16");
    ot_destroy(1, &in);
    tb_free(m);
}
END_TEST

START_TEST(cumsum_errors)
{
    const int64_t d3[3] = {1, 1, 3};
    tb_model *m = cumsum_model(14, OBN_FLOAT, d3, 3, 0, 0, false);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"cs\"", "axis 3 is out of range for rank 3");
    tb_free(m);
    /* an axis known only when running is checked then */
    m = cumsum_model(14, OBN_FLOAT, d3, 0, 0, 0, true);
    const float x[3] = {1, 2, 3};
    const int64_t bad = -4;
    obn_tensor *in[2] = {ot_tensor(OBN_FLOAT, 3, d3, x), ot_tensor(OBN_INT64, 0, NULL, &bad)}, *y;
    ck_assert_int_eq(ot_run(m, 2, in, 1, &y), OBN_E_INVALID_MODEL);
    ot_expect_message("\"cs\"", "axis -4 is out of range for rank 3", (const char *)NULL);
    ot_destroy(2, in);
    tb_free(m);
    m = cumsum_model(14, OBN_FLOAT, d3, 0, 2, 0, false);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"cs\"", "'exclusive'");
    tb_free(m);
    m = tb_new(14);
    tb_input(m, "x", OBN_INT8, 3, d3);
    const int64_t two[1] = {2}, axes[2] = {0, 1};
    tb_init_i64(m, "a", 1, two, axes);
    tb_node(m, "CumSum", "cs", "x,a", "y");
    tb_output(m, "y", OBN_INT8, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "'x'", "int8");
    tb_free(m);
    m = tb_new(14);
    tb_input(m, "x", OBN_FLOAT, 3, d3);
    tb_init_i64(m, "a", 1, two, axes);
    tb_node(m, "CumSum", "cs", "x,a", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "input 'axis' ('a') must be a scalar");
    tb_free(m);
}
END_TEST

/* CumProd-26: the spec's pattern ([1,2,3] -> [1,2,6], exclusive [1,1,2],
 * reverse [6,6,3], both [6,3,1]) on float along each axis, int32 wrap. */
START_TEST(cumprod_modes)
{
    const int64_t dims[3] = {2, 3, 2};
    float x[12];
    ot_fill(x, 12, 9, 0.5f, 2);
    for (int axis = 0; axis < 3; axis++)
        for (int mode = 0; mode < 4; mode++) {
            int ex = mode & 1, rev = mode >> 1;
            tb_model *m = cum_model("CumProd", 26, OBN_FLOAT, dims, axis, ex, rev, false);
            obn_tensor *in = ot_tensor(OBN_FLOAT, 3, dims, x), *y;
            OT_RUN_OK(m, 1, &in, 1, &y);
            int64_t stride = axis == 2 ? 1 : axis == 1 ? 2 : 6, n = dims[axis];
            double want[12];
            for (int64_t o = 0; o < 12; o++) {
                if ((o / stride) % n != 0) continue;
                double acc = 1;
                for (int64_t j = 0; j < n; j++) {
                    int64_t at = o + (rev ? n - 1 - j : j) * stride;
                    if (ex) want[at] = acc;
                    acc *= x[at];
                    if (!ex) want[at] = acc;
                }
            }
            ot_expect_f32(y, want, 12, 1e-6);
            obn_tensor_destroy(in);
            obn_tensor_destroy(y);
            tb_free(m);
        }
    const int64_t d3[3] = {1, 1, 3};
    const int32_t xi[3] = {65536, 65536, 3}, wi[3] = {65536, 0, 0}; /* 2^32 wraps to 0 */
    tb_model *m = cum_model("CumProd", 26, OBN_INT32, d3, 2, 0, 0, false);
    obn_tensor *in = ot_tensor(OBN_INT32, 3, d3, xi), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    ot_expect_bytes(y, OBN_INT32, wi, 3);
    obn_tensor_destroy(in);
    obn_tensor_destroy(y);
    tb_free(m);
    m = cum_model("CumProd", 26, OBN_INT8, d3, 2, 0, 0, false);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "\"cs\"", "int8");
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cumulative");
    TCase *t = tcase_create("cumulative");
    tcase_add_test(t, cumsum_float_every_axis_and_mode);
    tcase_add_test(t, cumsum_integer_and_half);
    tcase_add_test(t, cumsum_errors);
    tcase_add_test(t, cumprod_modes);
    suite_add_tcase(s, t);
    return ot_main(s);
}
