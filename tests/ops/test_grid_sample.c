/* GridSample against torch.nn.functional.grid_sample (torch 1.13: 4-D and
 * 5-D, every mode, padding and align_corners, tolerance 1e-5), by hand for
 * what PyTorch does differently or lacks (bicubic with border padding
 * clamps the coordinate in ONNX, 1-D sampling, integer types), and the
 * errors (shapes, version-specific mode names). */
#include "op_testing.h"

/* torch.manual_seed(2); x4 = rand(1,1,3,4); grid4 = rand(1,2,3,2)*2.6-1.3;
 * x5 = rand(1,1,2,3,4); grid5 = rand(1,1,2,3,3)*2.6-1.3; y = grid_sample(...) */
static const float x4[12] = {0.61469507, 0.38101286, 0.63711435, 0.47446108, 0.71359384, 0.61903638, 0.44253266,
    0.095768631, 0.6141572, 0.057327688, 0.565714, 0.53322893};
static const float grid4[12] = {-0.28586781, 1.0630059, 0.086757898, 0.53908193, 0.55015314, -0.76691109,
    -0.4997648, 1.2502334, -1.2733206, -0.088293791, -0.1030246, 0.92210221};
static const float x5[24] = {0.45246524, 0.63165891, 0.47599816, 0.22002661, 0.21660489, 0.25708312, 0.045797765,
    0.17550886, 0.61767447, 0.82907301, 0.52463114, 0.27080512, 0.71974176, 0.30806369, 0.38924056, 0.22589636,
    0.34299874, 0.03670013, 0.71334493, 0.69441789, 0.59931678, 0.74549061, 0.71191591, 0.52212155};
static const float grid5[18] = {0.13767719, 0.099269509, 0.69367695, 0.87327075, 0.93358922, 0.75348711,
    -0.31695229, -0.057872891, -0.26418912, 0.75625157, 0.14437556, 1.203198, 0.65935004, -1.1110568, 0.38029182,
    1.2491364, 1.154717, -0.020429134};
static const float y4_bilinear_zeros_0[6] = {0.039443012, 0.41895285, 0.45835388, 0.041817646, 0, 0.12754428};
static const float y4_bilinear_reflection_1[6] = {0.12584251, 0.43766186, 0.52490294, 0.30801874, 0.66105878,
    0.25828129};
static const float y4_nearest_border_0[6] = {0.057327688, 0.565714, 0.47446108, 0.057327688, 0.71359384,
    0.057327688};
static const float y4_bicubic_zeros_1[6] = {0.035120867, 0.47143942, 0.63033879, 0.06071528, 0.43839854,
    0.19835816};
static const float y4_bicubic_reflection_0[6] = {-0.036730114, 0.40696007, 0.58836341, 0.25541019, 0.70753753,
    0.058155458};
static const float y4_nearest_zeros_1[6] = {0.057327688, 0.565714, 0.63711435, 0.057327688, 0.71359384,
    0.057327688};
static const float y5_bilinear_border_0[6] = {0.58488423, 0.52212155, 0.24010459, 0.65710485, 0.25681829,
    0.39132917};
static const float y5_nearest_reflection_1[6] = {0.71334493, 0.52212155, 0.25708312, 0.69441789, 0.38924056,
    0.27080512};
static const float y5_bilinear_reflection_0[6] = {0.58488423, 0.52212155, 0.24010459, 0.65710485, 0.25681829,
    0.39132917};

static tb_model *gs_model(int opset, obn_dtype dt, int rank, const int64_t *xd, const int64_t *gd, const char *mode,
                          const char *pad, int align)
{
    tb_model *m = tb_new(opset);
    tb_input(m, "x", dt, rank, xd);
    tb_input(m, "grid", OBN_FLOAT, rank, gd);
    Onnx__NodeProto *n = tb_node(m, "GridSample", "gs", "x,grid", "y");
    if (mode) tb_attr_string(m, n, "mode", mode);
    if (pad) tb_attr_string(m, n, "padding_mode", pad);
    tb_attr_int(m, n, "align_corners", align);
    tb_output(m, "y", dt, -1, NULL);
    return m;
}

static void expect_torch(int opset, int rank, const float *x, const float *grid, const char *mode, const char *pad,
                         int align, const float *want, int n_out)
{
    const int64_t xd4[4] = {1, 1, 3, 4}, gd4[4] = {1, 2, 3, 2}, xd5[5] = {1, 1, 2, 3, 4}, gd5[5] = {1, 1, 2, 3, 3};
    const int64_t *xd = rank == 4 ? xd4 : xd5, *gd = rank == 4 ? gd4 : gd5;
    tb_model *m = gs_model(opset, OBN_FLOAT, rank, xd, gd, mode, pad, align);
    obn_tensor *in[2] = {ot_tensor(OBN_FLOAT, rank, xd, x), ot_tensor(OBN_FLOAT, rank, gd, grid)}, *y;
    OT_RUN_OK(m, 2, in, 1, &y);
    double ref[8];
    for (int i = 0; i < n_out; i++) ref[i] = want[i];
    ot_expect_f32(y, ref, n_out, 1e-5);
    obn_tensor_destroy(y);
    ot_destroy(2, in);
    tb_free(m);
}

START_TEST(matches_pytorch)
{
    expect_torch(16, 4, x4, grid4, "bilinear", "zeros", 0, y4_bilinear_zeros_0, 6);
    expect_torch(20, 4, x4, grid4, "linear", "zeros", 0, y4_bilinear_zeros_0, 6);
    expect_torch(22, 4, x4, grid4, "linear", "reflection", 1, y4_bilinear_reflection_1, 6);
    expect_torch(16, 4, x4, grid4, "nearest", "border", 0, y4_nearest_border_0, 6);
    expect_torch(20, 4, x4, grid4, "nearest", "zeros", 1, y4_nearest_zeros_1, 6);
    expect_torch(16, 4, x4, grid4, "bicubic", "zeros", 1, y4_bicubic_zeros_1, 6);
    expect_torch(20, 4, x4, grid4, "cubic", "reflection", 0, y4_bicubic_reflection_0, 6);
    expect_torch(20, 5, x5, grid5, NULL, "border", 0, y5_bilinear_border_0, 6); /* default mode: linear */
    expect_torch(20, 5, x5, grid5, "nearest", "reflection", 1, y5_nearest_reflection_1, 6);
    expect_torch(22, 5, x5, grid5, "linear", "reflection", 0, y5_bilinear_reflection_0, 6);
}
END_TEST

START_TEST(by_hand)
{
    /* 1-D (GridSample-20): X = [1, 2, 4, 8], align_corners=1 maps g to
     * x = (g + 1) * 1.5. g = 1.2 -> x = 3.3, outside [0, 3]: border clamps the
     * coordinate to 3, so cubic gives X[3] = 8 exactly (PyTorch would weigh
     * the clamped taps around 3.3 instead); g = -1/3 -> x = 1: linear 2;
     * g = 0 -> x = 1.5: cubic weights k(1.5), k(0.5), k(0.5), k(1.5) =
     * -0.09375, 0.59375, 0.59375, -0.09375: -0.09375 + 1.1875 + 2.375 - 0.75
     * = 2.71875. */
    const int64_t xd[3] = {1, 1, 4}, gd[3] = {1, 3, 1};
    const float x[4] = {1, 2, 4, 8}, grid[3] = {1.2f, -1.0f / 3, 0};
    obn_tensor *in[2] = {ot_tensor(OBN_FLOAT, 3, xd, x), ot_tensor(OBN_FLOAT, 3, gd, grid)}, *y;
    tb_model *m = gs_model(20, OBN_FLOAT, 3, xd, gd, "cubic", "border", 1);
    OT_RUN_OK(m, 2, in, 1, &y);
    const double cubic[3] = {8, 2, 2.71875};
    ot_expect_f32(y, cubic, 3, 1e-6);
    obn_tensor_destroy(y);
    tb_free(m);
    m = gs_model(20, OBN_FLOAT, 3, xd, gd, "linear", "zeros", 1);
    OT_RUN_OK(m, 2, in, 1, &y);
    /* x = 3.3 with zeros: 8 * 0.7 + 0 * 0.3 = 5.6 */
    const double linear[3] = {5.6, 2, 3};
    ot_expect_f32(y, linear, 3, 1e-6);
    obn_tensor_destroy(y);
    tb_free(m);
    ot_destroy(2, in);
    /* int32 linear: halfway between -9 and 0 is -4.5, truncated to -4;
     * between 0 and 9, 4.5 -> 4 */
    const int64_t xi_d[3] = {1, 1, 3}, gi_d[3] = {1, 2, 1};
    const int32_t xi[3] = {-9, 0, 9}, want[2] = {-4, 4};
    const float gi[2] = {-0.5f, 0.5f};
    in[0] = ot_tensor(OBN_INT32, 3, xi_d, xi);
    in[1] = ot_tensor(OBN_FLOAT, 3, gi_d, gi);
    m = gs_model(20, OBN_INT32, 3, xi_d, gi_d, "linear", "zeros", 1);
    OT_RUN_OK(m, 2, in, 1, &y);
    ot_expect_bytes(y, OBN_INT32, want, 2);
    obn_tensor_destroy(y);
    ot_destroy(2, in);
    tb_free(m);
}
END_TEST

START_TEST(errors)
{
    const int64_t x5[5] = {1, 1, 2, 3, 4}, g5[5] = {1, 1, 2, 3, 3}, x4[4] = {1, 1, 3, 4}, g4[4] = {1, 2, 3, 2};
    const int64_t bad_n[4] = {2, 2, 3, 2}, bad_last[4] = {1, 2, 3, 3};
    tb_model *m = gs_model(16, OBN_FLOAT, 5, x5, g5, NULL, NULL, 0);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "node \"gs\" (GridSample-16)", "GridSample-16 takes 4-D");
    tb_free(m);
    m = gs_model(20, OBN_FLOAT, 4, x4, bad_n, NULL, NULL, 0);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "input 'grid' ('grid') has shape [2,2,3,2]", "needs [1, out..., 2]");
    tb_free(m);
    m = gs_model(20, OBN_FLOAT, 4, x4, bad_last, NULL, NULL, 0);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "[1,2,3,3]");
    tb_free(m);
    m = gs_model(16, OBN_FLOAT, 4, x4, g4, "linear", NULL, 0);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'mode' is 'linear'; expected bilinear, nearest or bicubic");
    tb_free(m);
    m = gs_model(20, OBN_FLOAT, 4, x4, g4, "bicubic", NULL, 0);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'mode' is 'bicubic'; expected linear, nearest or cubic");
    tb_free(m);
    m = gs_model(20, OBN_FLOAT, 4, x4, g4, NULL, "edge", 0);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'padding_mode' is 'edge'");
    tb_free(m);
    m = gs_model(20, OBN_FLOAT, 4, x4, g4, NULL, NULL, 2);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'align_corners' must be in [0, 1]");
    tb_free(m);
    m = gs_model(20, OBN_BFLOAT16, 4, x4, g4, NULL, NULL, 0);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "type bfloat16");
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("grid_sample");
    TCase *t = tcase_create("grid_sample");
    tcase_add_test(t, matches_pytorch);
    tcase_add_test(t, by_hand);
    tcase_add_test(t, errors);
    suite_add_tcase(s, t);
    return ot_main(s);
}
