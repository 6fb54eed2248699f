/* SwiGLU, TensorScatter, AffineGrid and MaxUnpool against values worked
 * out by hand (sigmoids to 10 digits), and their errors naming the node. */
#include "kernels/half.h"
#include "op_testing.h"

static obn_tensor *run1(tb_model *tm, int n_in, obn_tensor **in)
{
    obn_tensor *y;
    OT_RUN_OK(tm, n_in, in, 1, &y);
    return y;
}

/* ---- SwiGLU: a * sigmoid(alpha a) * b */

static void swiglu_case(float alpha, const double *want)
{
    int64_t d[1] = {4};
    const float a[4] = {0, 1, -2, 3}, b[4] = {1, 2, 3, -1};
    tb_model *tm = tb_new(28);
    tb_input(tm, "a", OBN_FLOAT, 1, d);
    tb_input(tm, "b", OBN_FLOAT, 1, d);
    Onnx__NodeProto *n = tb_node(tm, "SwiGLU", "glu", "a,b", "y");
    if (alpha != 1.0f) tb_attr_float(tm, n, "alpha", alpha);
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    obn_tensor *in[2] = {tb_f32(1, d, a), tb_f32(1, d, b)};
    obn_tensor *y = run1(tm, 2, in);
    ot_expect_f32(y, want, 4, 1e-6);
    obn_tensor_destroy(y);
    ot_destroy(2, in);
    tb_free(tm);
}

START_TEST(swiglu_by_hand)
{
    /* sigmoid(1) = 0.7310585786, sigmoid(-2) = 0.1192029220, sigmoid(3) = 0.9525741268 */
    const double alpha1[4] = {0, 1.4621171573, -0.7152175322, -2.8577223804};
    swiglu_case(1.0f, alpha1);
    /* sigmoid(0.5) = 0.6224593312, sigmoid(-1) = 0.2689414214, sigmoid(1.5) = 0.8175744762 */
    const double alpha05[4] = {0, 1.2449186624, -1.6136485284, -2.4527234286};
    swiglu_case(0.5f, alpha05);
    /* float16: one rounding of the same value */
    int64_t d[1] = {2};
    uint16_t a[2] = {obn_f32_to_f16(1.0f), obn_f32_to_f16(-2.0f)}, b[2] = {obn_f32_to_f16(2.0f), obn_f32_to_f16(3.0f)};
    tb_model *tm = tb_new(28);
    tb_input(tm, "a", OBN_FLOAT16, 1, d);
    tb_input(tm, "b", OBN_FLOAT16, 1, d);
    tb_node(tm, "SwiGLU", "glu", "a,b", "y");
    tb_output(tm, "y", OBN_FLOAT16, -1, NULL);
    obn_tensor *in[2] = {ot_tensor(OBN_FLOAT16, 1, d, a), ot_tensor(OBN_FLOAT16, 1, d, b)};
    obn_tensor *y = run1(tm, 2, in);
    const uint16_t want[2] = {obn_f32_to_f16(1.4621171573f), obn_f32_to_f16(-0.7152175322f)};
    ot_expect_bytes(y, OBN_FLOAT16, want, 2);
    obn_tensor_destroy(y);
    ot_destroy(2, in);
    tb_free(tm);
    /* shapes must be identical */
    int64_t d2[1] = {2}, d3[2] = {1, 2};
    tm = tb_new(28);
    tb_input(tm, "a", OBN_FLOAT, 1, d2);
    tb_input(tm, "b", OBN_FLOAT, 2, d3);
    tb_node(tm, "SwiGLU", "glu", "a,b", "y");
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(tm, OBN_E_INVALID_MODEL, "\"glu\"", "'B'", "identical");
    tb_free(tm);
}
END_TEST

/* ---- TensorScatter: past [2, 3, 2] = 0..11 along the sequence axis 1 */

static obn_status scatter_case(const char *mode, int64_t seq, const int64_t *wi, const double *want, int64_t axis)
{
    int64_t pd[3] = {2, 3, 2}, ud[3] = {2, seq, 2}, wd[1] = {2};
    float past[12], up[8];
    for (int i = 0; i < 12; i++) past[i] = (float)i;
    for (int i = 0; i < 4 * seq; i++) up[i] = 100.0f + (float)i;
    tb_model *tm = tb_new(24);
    tb_input(tm, "past", OBN_FLOAT, 3, pd);
    tb_input(tm, "up", OBN_FLOAT, 3, ud);
    tb_add_init(tm, tb_tensor(tm, "wi", OBN_INT64, 1, wd, wi, 16));
    Onnx__NodeProto *n = tb_node(tm, "TensorScatter", "kv", "past,up,wi", "present");
    if (mode) tb_attr_string(tm, n, "mode", mode);
    if (axis != -2) tb_attr_int(tm, n, "axis", axis);
    tb_output(tm, "present", OBN_FLOAT, -1, NULL);
    obn_tensor *in[2] = {tb_f32(3, pd, past), tb_f32(3, ud, up)}, *y = NULL;
    obn_status st = ot_run(tm, 2, in, 1, &y);
    if (st == OBN_OK) {
        ot_expect_shape(y, 3, pd);
        ot_expect_f32(y, want, 12, 0);
    }
    obn_tensor_destroy(y);
    ot_destroy(2, in);
    tb_free(tm);
    return st;
}

START_TEST(tensor_scatter_by_hand)
{
    /* linear: batch 0 row 2 <- update[0, 0]; batch 1 row 0 <- update[1, 0] */
    const int64_t wi_lin[2] = {2, 0};
    const double lin[12] = {0, 1, 2, 3, 100, 101, 102, 103, 8, 9, 10, 11};
    ck_assert_int_eq(scatter_case(NULL, 1, wi_lin, lin, -2), OBN_OK);
    /* circular, 2 rows: batch 0 at 2 then 0 (wrapped), batch 1 at 1, 2 */
    const int64_t wi_circ[2] = {2, 1};
    const double circ[12] = {102, 103, 2, 3, 100, 101, 6, 7, 104, 105, 106, 107};
    ck_assert_int_eq(scatter_case("circular", 2, wi_circ, circ, 1), OBN_OK);
    /* linear past the end: a run-time error naming the node and the index */
    ck_assert_int_eq(scatter_case("linear", 2, wi_circ, circ, -2), OBN_E_RUNTIME);
    ot_expect_message("\"kv\"", "write_indices[0] = 2", "max_sequence_length 3", (const char *)NULL);
    /* the batch axis is refused */
    ck_assert_int_eq(scatter_case(NULL, 1, wi_lin, lin, 0), OBN_E_INVALID_MODEL);
    ot_expect_message("\"kv\"", "batch axis", (const char *)NULL);
}
END_TEST

/* ---- AffineGrid */

static void affine_case(int nd, const float *theta, const int64_t *size, int align, const double *want, int64_t n)
{
    int64_t td[3] = {1, nd, nd + 1}, sd[1] = {nd + 2};
    tb_model *tm = tb_new(20);
    tb_input(tm, "theta", OBN_FLOAT, 3, td);
    tb_add_init(tm, tb_tensor(tm, "size", OBN_INT64, 1, sd, size, 8 * (size_t)(nd + 2)));
    Onnx__NodeProto *node = tb_node(tm, "AffineGrid", "ag", "theta,size", "grid");
    tb_attr_int(tm, node, "align_corners", align);
    tb_output(tm, "grid", OBN_FLOAT, -1, NULL);
    obn_tensor *in = tb_f32(3, td, theta);
    obn_tensor *y = run1(tm, 1, &in);
    int64_t gd[5] = {1};
    for (int i = 0; i < nd; i++) gd[1 + i] = size[2 + i];
    gd[1 + nd] = nd;
    ot_expect_shape(y, nd + 2, gd);
    ot_expect_f32(y, want, n, 1e-6);
    obn_tensor_destroy(y);
    obn_tensor_destroy(in);
    tb_free(tm);
}

START_TEST(affine_grid_by_hand)
{
    const float identity[6] = {1, 0, 0, 0, 1, 0}, skew[6] = {2, 0, 0.5f, 0, -1, 0};
    const int64_t size[4] = {1, 1, 2, 3};
    /* W = 3: x = -2/3, 0, 2/3 (pixel edges at +-1); H = 2: y = -1/2, 1/2 */
    const double edges[12] = {-2.0 / 3, -0.5, 0, -0.5, 2.0 / 3, -0.5, -2.0 / 3, 0.5, 0, 0.5, 2.0 / 3, 0.5};
    affine_case(2, identity, size, 0, edges, 12);
    /* align_corners: x = -1, 0, 1; y = -1, 1 */
    const double corners[12] = {-1, -1, 0, -1, 1, -1, -1, 1, 0, 1, 1, 1};
    affine_case(2, identity, size, 1, corners, 12);
    /* (2x + 0.5, -y) with align_corners */
    const double skewed[12] = {-1.5, 1, 0.5, 1, 2.5, 1, -1.5, -1, 0.5, -1, 2.5, -1};
    affine_case(2, skew, size, 1, skewed, 12);
    /* 3-D, D = H = 1 (coordinate 0), W = 2: x = -1/2, 1/2; theta adds 1 to z */
    const float id3[12] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1};
    const int64_t size3[5] = {1, 1, 1, 1, 2};
    const double grid3[6] = {-0.5, 0, 1, 0.5, 0, 1};
    affine_case(3, id3, size3, 0, grid3, 6);
}
END_TEST

/* ---- MaxUnpool: MaxPool 2x2/2 of a 4x4 picked flat indices 5, 7, 13, 15 */

static obn_status unpool_case(const int64_t *idx, const int64_t *out_shape, obn_tensor **y)
{
    int64_t xd[4] = {1, 1, 2, 2}, k[2] = {2, 2}, sd[1] = {4};
    const float x[4] = {5, 6, 7, 8};
    tb_model *tm = tb_new(22);
    tb_input(tm, "x", OBN_FLOAT, 4, xd);
    tb_add_init(tm, tb_tensor(tm, "i", OBN_INT64, 4, xd, idx, 32));
    if (out_shape) tb_add_init(tm, tb_tensor(tm, "shape", OBN_INT64, 1, sd, out_shape, 32));
    Onnx__NodeProto *n = tb_node(tm, "MaxUnpool", "unpool", out_shape ? "x,i,shape" : "x,i", "y");
    tb_attr_ints(tm, n, "kernel_shape", 2, k);
    tb_attr_ints(tm, n, "strides", 2, k);
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    obn_tensor *in = tb_f32(4, xd, x);
    obn_status st = ot_run(tm, 1, &in, 1, y);
    obn_tensor_destroy(in);
    tb_free(tm);
    return st;
}

START_TEST(max_unpool_by_hand)
{
    const int64_t idx[4] = {5, 7, 13, 15};
    obn_tensor *y;
    ck_assert_int_eq(unpool_case(idx, NULL, &y), OBN_OK);
    double want[25] = {0};
    want[5] = 5, want[7] = 6, want[13] = 7, want[15] = 8;
    int64_t d4[4] = {1, 1, 4, 4};
    ot_expect_shape(y, 4, d4);
    ot_expect_f32(y, want, 16, 0);
    obn_tensor_destroy(y);
    /* output_shape 5x5: the 4x4 result in the leading corner */
    const int64_t shape[4] = {1, 1, 5, 5};
    ck_assert_int_eq(unpool_case(idx, shape, &y), OBN_OK);
    double want5[25] = {0};
    want5[6] = 5, want5[8] = 6, want5[16] = 7, want5[18] = 8;
    ot_expect_shape(y, 4, shape);
    ot_expect_f32(y, want5, 25, 0);
    obn_tensor_destroy(y);
    /* an index past the unpooled 16 elements; an output_shape smaller than 4x4 */
    const int64_t bad[4] = {5, 7, 13, 16};
    ck_assert_int_eq(unpool_case(bad, NULL, &y), OBN_E_RUNTIME);
    ot_expect_message("\"unpool\"", "index 16", "16 elements", (const char *)NULL);
    const int64_t small[4] = {1, 1, 3, 4};
    ck_assert_int_eq(unpool_case(idx, small, &y), OBN_E_INVALID_MODEL);
    ot_expect_message("\"unpool\"", "output_shape", (const char *)NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cache_grid_unpool");
    TCase *t = tcase_create("cache_grid_unpool");
    tcase_add_test(t, swiglu_by_hand);
    tcase_add_test(t, tensor_scatter_by_hand);
    tcase_add_test(t, affine_grid_by_hand);
    tcase_add_test(t, max_unpool_by_hand);
    suite_add_tcase(s, t);
    return ot_main(s);
}
