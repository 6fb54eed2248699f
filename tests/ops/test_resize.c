/* Resize and Upsample: values from PyTorch's F.interpolate (torch 1.13,
 * bilinear/bicubic with and without align_corners and antialias, tolerance
 * 1e-5), hand-computed cases (Upsample, integer types), the kernel's paths
 * against each other (fused 2-D float, separable passes in float and
 * double, 1 and 2 threads), and the errors: scales/sizes/roi of the wrong
 * length or value, outputs that overflow, attributes of other versions. */
#include "op_testing.h"

/* torch.manual_seed(0); x = torch.rand(1, 1, 6, 5); the outputs of
 * F.interpolate(x, size=..., mode=..., align_corners=..., antialias=...). */
static const float torch_x[30] = {0.49625659, 0.7682218, 0.088477433, 0.13203049, 0.30742282, 0.63407868, 0.49009341,
    0.89644474, 0.45562798, 0.63230628, 0.34889346, 0.40171731, 0.022325754, 0.16885895, 0.29388845, 0.51852179,
    0.6976676, 0.8000114, 0.16102946, 0.28226858, 0.68160856, 0.91519397, 0.39709991, 0.87415588, 0.41940832, 0.55290705,
    0.95273811, 0.03616482, 0.18523103, 0.37341738};
static const float torch_bilinear[35] = {0.51003879, 0.64167893, 0.57722753, 0.16927418, 0.16578566, 0.23961352,
    0.33991116, 0.54852307, 0.4999845, 0.51233155, 0.63420898, 0.44520059, 0.43867597, 0.53078091, 0.43370765,
    0.49998471, 0.51011425, 0.41116863, 0.23529403, 0.21771607, 0.28807852, 0.63268256, 0.75682747, 0.75508952,
    0.5179733, 0.61957669, 0.53938162, 0.37826642, 0.56577718, 0.78475237, 0.69849068, 0.072258264, 0.20216192,
    0.30722043, 0.37801647};
static const float torch_bilinear_ac[35] = {0.49625659, 0.67756671, 0.54164034, 0.088477433, 0.11751281, 0.19049461,
    0.30742282, 0.56278241, 0.4995937, 0.53797126, 0.67791498, 0.4819288, 0.43852443, 0.54770178, 0.43370762, 0.51103085,
    0.50351781, 0.41116858, 0.24701898, 0.20598899, 0.28807852, 0.64083683, 0.78748721, 0.7398175, 0.4978278, 0.62985879,
    0.59229064, 0.38512337, 0.55290705, 0.81946111, 0.64721364, 0.036164828, 0.1355423, 0.24795984, 0.37341738};
static const float torch_bicubic[35] = {0.49086431, 0.70815045, 0.61742538, 0.16063112, 0.11571061, 0.23431227,
    0.35018978, 0.57278371, 0.45012468, 0.4931699, 0.70489842, 0.48368368, 0.44914836, 0.58705372, 0.38150156,
    0.48288271, 0.50745106, 0.36699295, 0.12367536, 0.11249118, 0.25705725, 0.64209312, 0.8070578, 0.80624223,
    0.58605093, 0.73506176, 0.61478436, 0.35692725, 0.53413194, 0.8820473, 0.75104612, 0.063041687, 0.14489868,
    0.32103479, 0.38847163};
static const float torch_bilinear_aa[6] = {0.52328938, 0.37818289, 0.51635647, 0.3627418, 0.65003818, 0.42518455};
static const float torch_bicubic_aa[6] = {0.5301609, 0.3754659, 0.5134207, 0.34987643, 0.67151457, 0.41710779};

/* A Resize/Upsample node "r" on input x; n_* < 0 leaves that input out
 * (the empty name), 0 gives an empty tensor. Inputs are initializers. */
typedef struct {
    const char *op;
    int opset;
    obn_dtype dtype;
    int rank;
    const int64_t *dims;
    int n_roi, n_scales, n_sizes;
    const float *roi, *scales;
    const int64_t *sizes;
} resize_spec;

static tb_model *resize_model(const resize_spec *s, Onnx__NodeProto **node)
{
    tb_model *m = tb_new(s->opset);
    tb_input(m, "x", s->dtype, s->rank, s->dims);
    /* x[,roi][,scales][,sizes] with the empty name for an absent one
     * before a present one */
    char inputs[64] = "x";
    bool v11 = strcmp(s->op, "Resize") == 0 && s->opset >= 11;
    const char *names[3] = {v11 && s->n_roi >= 0 ? "roi" : v11 ? "" : NULL, s->n_scales >= 0 ? "scales" : "",
                            s->n_sizes >= 0 ? "sizes" : ""};
    int last = s->n_sizes >= 0 ? 2 : s->n_scales >= 0 ? 1 : s->n_roi >= 0 && v11 ? 0 : -1;
    for (int k = 0; k <= last; k++)
        if (names[k]) {
            strcat(inputs, ",");
            strcat(inputs, names[k]);
        }
    if (s->n_roi >= 0) {
        int64_t d = s->n_roi;
        tb_init_f32(m, "roi", 1, &d, s->roi);
    }
    if (s->n_scales >= 0) {
        int64_t d = s->n_scales;
        tb_init_f32(m, "scales", 1, &d, s->scales);
    }
    if (s->n_sizes >= 0) {
        int64_t d = s->n_sizes;
        tb_init_i64(m, "sizes", 1, &d, s->sizes);
    }
    *node = tb_node(m, s->op, "r", inputs, "y");
    tb_output(m, "y", s->dtype, -1, NULL);
    return m;
}

/* Runs on x and returns y (caller destroys). */
static obn_tensor *run_resize(tb_model *m, const resize_spec *s, const void *x, int threads)
{
    obn_tensor *in = ot_tensor(s->dtype, s->rank, s->dims, x), *y = NULL;
    obn_status st = ot_run_threads(m, threads, 1, &in, 1, &y);
    ck_assert_msg(st == OBN_OK, "run failed: %s", obn_last_error());
    obn_tensor_destroy(in);
    return y;
}

static void expect_torch(const char *mode, const char *coord, int antialias, float cubic_a, int64_t h, int64_t w,
                         const float *want)
{
    const int64_t dims[4] = {1, 1, 6, 5}, sizes[4] = {1, 1, h, w};
    resize_spec s = {"Resize", 18, OBN_FLOAT, 4, dims, -1, -1, 4, NULL, NULL, sizes};
    Onnx__NodeProto *n;
    tb_model *m = resize_model(&s, &n);
    tb_attr_string(m, n, "mode", mode);
    tb_attr_string(m, n, "coordinate_transformation_mode", coord);
    if (antialias) {
        /* PyTorch's antialiased kernels drop the taps outside the image */
        tb_attr_int(m, n, "antialias", 1);
        tb_attr_int(m, n, "exclude_outside", 1);
    }
    if (cubic_a != 0) tb_attr_float(m, n, "cubic_coeff_a", cubic_a);
    obn_tensor *y = run_resize(m, &s, torch_x, 2);
    ot_expect_shape(y, 4, sizes);
    double ref[64];
    for (int64_t i = 0; i < h * w; i++) ref[i] = want[i];
    ot_expect_f32(y, ref, h * w, 1e-5);
    obn_tensor_destroy(y);
    tb_free(m);
}

START_TEST(matches_pytorch)
{
    /* bilinear align_corners=False is exported as pytorch_half_pixel */
    expect_torch("linear", "pytorch_half_pixel", 0, 0, 5, 7, torch_bilinear);
    expect_torch("linear", "half_pixel", 0, 0, 5, 7, torch_bilinear);
    expect_torch("linear", "align_corners", 0, 0, 5, 7, torch_bilinear_ac);
    expect_torch("cubic", "half_pixel", 0, 0, 5, 7, torch_bicubic);
    expect_torch("linear", "half_pixel", 1, 0, 3, 2, torch_bilinear_aa);
    /* PyTorch's antialiased bicubic is PIL's, a = -0.5 */
    expect_torch("cubic", "half_pixel", 1, -0.5f, 3, 2, torch_bicubic_aa);
}
END_TEST

START_TEST(upsample_by_hand)
{
    /* Upsample-1 bilinear: x = j / 2 (asymmetric), the last column and row
     * read the edge */
    const int64_t dims[4] = {1, 1, 2, 2}, out[4] = {1, 1, 4, 4};
    const float x[4] = {1, 2, 3, 4};
    resize_spec s = {"Upsample", 1, OBN_FLOAT, 4, dims, -1, -1, -1, NULL, NULL, NULL};
    Onnx__NodeProto *n;
    tb_model *m = resize_model(&s, &n);
    tb_attr_float(m, n, "height_scale", 2);
    tb_attr_float(m, n, "width_scale", 2);
    tb_attr_string(m, n, "mode", "bilinear");
    obn_tensor *y = run_resize(m, &s, x, 1);
    ot_expect_shape(y, 4, out);
    const double want[16] = {1, 1.5, 2, 2, 2, 2.5, 3, 3, 3, 3.5, 4, 4, 3, 3.5, 4, 4};
    ot_expect_f32(y, want, 16, 1e-7);
    obn_tensor_destroy(y);
    tb_free(m);
    /* Upsample-7 nearest with scales 1, 3 on int64: each element three times */
    const int64_t d2[2] = {2, 2}, o2[2] = {2, 6};
    const int64_t xi[4] = {1, -2, 3, 1LL << 60};
    const float sc[2] = {1, 3};
    s = (resize_spec){"Upsample", 7, OBN_INT64, 2, d2, -1, -1, -1, NULL, NULL, NULL};
    m = resize_model(&s, &n);
    tb_attr_floats(m, n, "scales", 2, sc);
    y = run_resize(m, &s, xi, 2);
    ot_expect_shape(y, 2, o2);
    const int64_t want_i[12] = {1, 1, 1, -2, -2, -2, 3, 3, 3, 1LL << 60, 1LL << 60, 1LL << 60};
    ot_expect_i64(y, want_i, 12);
    obn_tensor_destroy(y);
    tb_free(m);
}
END_TEST

START_TEST(integer_types_truncate_and_saturate)
{
    /* int8 linear, half_pixel 2 -> 4: x = -0.25, 0.25, 0.75, 1.25;
     * -101*0.75 + 100*0.25 = -50.75 -> -50, -101*0.25 + 100*0.75 = 49.75 -> 49 */
    const int64_t dims[2] = {1, 2}, sizes[2] = {1, 4};
    const int8_t x[2] = {-101, 100};
    resize_spec s = {"Resize", 13, OBN_INT8, 2, dims, -1, -1, 2, NULL, NULL, sizes};
    Onnx__NodeProto *n;
    tb_model *m = resize_model(&s, &n);
    tb_attr_string(m, n, "mode", "linear");
    obn_tensor *y = run_resize(m, &s, x, 1);
    const int8_t want[4] = {-101, -50, 49, 100};
    ot_expect_bytes(y, OBN_INT8, want, 4);
    obn_tensor_destroy(y);
    tb_free(m);
    /* uint8 cubic overshoots below 0 and above 255 next to a step: the
     * values saturate instead of wrapping */
    const int64_t d8[2] = {1, 4}, s8[2] = {1, 8};
    const uint8_t x8[4] = {0, 0, 255, 255};
    s = (resize_spec){"Resize", 13, OBN_UINT8, 2, d8, -1, -1, 2, NULL, NULL, s8};
    m = resize_model(&s, &n);
    tb_attr_string(m, n, "mode", "cubic");
    y = run_resize(m, &s, x8, 1);
    /* half_pixel x = (j + 0.5) / 2 - 0.5; j = 3: x = 1.25 -> taps 0..3 with
     * weights k(1.25), k(0.25), k(0.75), k(1.75) (a = -0.75): value
     * 255 * (k(0.75) + k(1.75)) = 255 * (0.26171875 - 0.03515625) = 57.77 -> 57;
     * j = 2: x = 0.75, taps -1..2 reading 0, 0, 0, 255: 255 * k(1.25) < 0 -> 0 */
    const uint8_t *got = obn_tensor_cdata(y);
    ck_assert_int_eq(got[2], 0);
    ck_assert_int_eq(got[3], 57);
    ck_assert_int_eq(got[4], 197); /* mirror: 255 - 57.77 = 197.23 */
    ck_assert_int_eq(got[5], 255);
    obn_tensor_destroy(y);
    tb_free(m);
}
END_TEST

START_TEST(crop_and_resize_fill)
{
    /* int32 tf_crop_and_resize nearest over the crop [0.5, 1.5] of axis 1
     * (length 3): x = 1 + j * 1 * 2 / 2 = 1, 2, 3; 3 > 2 is outside and
     * takes extrapolation_value 7.9 truncated to 7 */
    const int64_t dims[2] = {1, 3}, sizes[2] = {1, 3};
    const int32_t x[3] = {10, 20, 30};
    const float roi[4] = {0, 0.5f, 1, 1.5f};
    resize_spec s = {"Resize", 13, OBN_INT32, 2, dims, 4, -1, 2, roi, NULL, sizes};
    Onnx__NodeProto *n;
    tb_model *m = resize_model(&s, &n);
    tb_attr_string(m, n, "coordinate_transformation_mode", "tf_crop_and_resize");
    tb_attr_float(m, n, "extrapolation_value", 7.9f);
    obn_tensor *y = run_resize(m, &s, x, 1);
    const int32_t want[3] = {20, 30, 7};
    ot_expect_bytes(y, OBN_INT32, want, 3);
    obn_tensor_destroy(y);
    tb_free(m);
}
END_TEST

/* y of a float resize of dims by scales, in float or in double. */
static double *resize_values(obn_dtype dt, int rank, const int64_t *dims, const float *scales, const char *mode,
                             int threads, const float *x, int64_t *n_out)
{
    resize_spec s = {"Resize", 13, dt, rank, dims, -1, rank, -1, NULL, scales, NULL};
    Onnx__NodeProto *n;
    tb_model *m = resize_model(&s, &n);
    tb_attr_string(m, n, "mode", mode);
    int64_t count = ot_numel(rank, dims);
    void *buf = malloc((size_t)count * sizeof(double));
    for (int64_t i = 0; i < count; i++) {
        if (dt == OBN_FLOAT) ((float *)buf)[i] = x[i];
        else ((double *)buf)[i] = x[i];
    }
    obn_tensor *y = run_resize(m, &s, buf, threads);
    *n_out = obn_tensor_numel(y);
    double *out = malloc((size_t)*n_out * sizeof *out);
    for (int64_t i = 0; i < *n_out; i++)
        out[i] = dt == OBN_FLOAT ? ((const float *)obn_tensor_cdata(y))[i] : ((const double *)obn_tensor_cdata(y))[i];
    free(buf);
    obn_tensor_destroy(y);
    tb_free(m);
    return out;
}

START_TEST(kernel_paths_agree)
{
    /* 4-D with only H, W resized takes the fused 2-D float path; in double
     * it runs as separable passes; a 5-D trilinear resize runs the float
     * passes. Results agree within float rounding (1e-5), and the thread
     * count changes no bit. */
    static const struct { int rank; int64_t dims[5]; float scales[5]; const char *mode; } cases[] = {
        {4, {2, 3, 7, 9}, {1, 1, 1.6f, 0.55f}, "cubic"},
        {4, {2, 3, 7, 9}, {1, 1, 2.0f, 2.5f}, "linear"},
        {4, {1, 2, 5, 6}, {1, 1, 3.0f, 1.0f}, "linear"},
        {5, {1, 2, 3, 4, 5}, {1, 1.5f, 2.0f, 0.5f, 1.7f}, "linear"},
        {3, {3, 4, 5}, {1.5f, 2.0f, 0.8f}, "nearest"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int64_t count = ot_numel(cases[c].rank, cases[c].dims), n1, n2, n3;
        float *x = malloc((size_t)count * sizeof *x);
        ot_fill(x, count, 7 + c, -2, 2);
        double *f2 = resize_values(OBN_FLOAT, cases[c].rank, cases[c].dims, cases[c].scales, cases[c].mode, 2, x, &n1);
        double *f1 = resize_values(OBN_FLOAT, cases[c].rank, cases[c].dims, cases[c].scales, cases[c].mode, 1, x, &n2);
        double *d = resize_values(OBN_DOUBLE, cases[c].rank, cases[c].dims, cases[c].scales, cases[c].mode, 2, x, &n3);
        ck_assert_int_eq(n1, n2);
        ck_assert_int_eq(n1, n3);
        for (int64_t i = 0; i < n1; i++) {
            ck_assert_msg(f1[i] == f2[i], "case %zu [%lld]: 1 thread %.9g, 2 threads %.9g", c, (long long)i, f1[i], f2[i]);
            ck_assert_msg(fabs(f2[i] - d[i]) <= 1e-5 * (1 + fabs(d[i])), "case %zu [%lld]: float %.9g, double %.9g", c,
                          (long long)i, f2[i], d[i]);
        }
        free(x);
        free(f1);
        free(f2);
        free(d);
    }
}
END_TEST

START_TEST(sizes_policies_and_empty)
{
    /* keep_aspect_ratio_policy on a 4 x 6 input asked for 2 x 2:
     * not_larger scale min(1/2, 1/3) -> round(4/3) x round(2) = 1 x 2;
     * not_smaller scale 1/2 -> 2 x 3 */
    const int64_t dims[4] = {1, 1, 4, 6}, sizes[2] = {2, 2}, axes[2] = {2, 3};
    const int64_t small[4] = {1, 1, 1, 2}, large[4] = {1, 1, 2, 3};
    float x[24];
    ot_fill(x, 24, 3, 0, 1);
    for (int p = 0; p < 2; p++) {
        resize_spec s = {"Resize", 18, OBN_FLOAT, 4, dims, -1, -1, 2, NULL, NULL, sizes};
        Onnx__NodeProto *n;
        tb_model *m = resize_model(&s, &n);
        tb_attr_ints(m, n, "axes", 2, axes);
        tb_attr_string(m, n, "keep_aspect_ratio_policy", p ? "not_smaller" : "not_larger");
        obn_tensor *y = run_resize(m, &s, x, 1);
        ot_expect_shape(y, 4, p ? large : small);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    /* a size of 0 gives an empty output; an empty scales tensor with sizes
     * is the Resize-11 convention and is accepted by 13 too */
    const int64_t zero[4] = {1, 1, 0, 3}, out0[4] = {1, 1, 0, 3};
    for (int v = 11; v <= 13; v += 2) {
        resize_spec s = {"Resize", v, OBN_FLOAT, 4, dims, 0, 0, 4, NULL, NULL, zero};
        Onnx__NodeProto *n;
        tb_model *m = resize_model(&s, &n);
        obn_tensor *y = run_resize(m, &s, x, 1);
        ot_expect_shape(y, 4, out0);
        obn_tensor_destroy(y);
        tb_free(m);
    }
}
END_TEST

/* Expects session creation to fail with INVALID_MODEL and the fragments. */
#define EXPECT_ERROR(spec, setup, ...)                                                                             \
    do {                                                                                                           \
        Onnx__NodeProto *n_;                                                                                       \
        tb_model *m_ = resize_model(&(spec), &n_);                                                                 \
        setup;                                                                                                     \
        OT_EXPECT_CREATE_ERROR(m_, OBN_E_INVALID_MODEL, __VA_ARGS__);                                              \
        tb_free(m_);                                                                                               \
    } while (0)

START_TEST(input_errors)
{
    const int64_t dims[4] = {1, 1, 4, 6};
    const float three[3] = {1, 2, 2}, bad_scale[4] = {1, 1, 0, 2}, nan_scale[4] = {1, 1, NAN, 2};
    const float huge[4] = {1, 1, 1e30f, 1}, half[4] = {1, 1, 0.5f, 1}, four[4] = {1, 1, 2, 2};
    const int64_t neg[4] = {1, 1, -1, 6}, big[4] = {1, 1, 1LL << 40, 1LL << 40}, two[2] = {2, 2};
    resize_spec s = {"Resize", 13, OBN_FLOAT, 4, dims, -1, 3, -1, NULL, three, NULL};
    EXPECT_ERROR(s, (void)0, "node \"r\"", "Resize-13", "input 'scales' ('scales') has 3 values, expected 4",
                 "one per axis of X");
    s.n_scales = 4;
    s.scales = bad_scale;
    EXPECT_ERROR(s, (void)0, "'scales'", "value 0 for axis 2 must be finite and > 0");
    s.scales = nan_scale;
    EXPECT_ERROR(s, (void)0, "'scales'", "value nan for axis 2");
    s.scales = huge;
    EXPECT_ERROR(s, (void)0, "'scales'", "axis 2 (length 4) overflow");
    /* both, neither */
    s.n_sizes = 4;
    s.sizes = big;
    s.scales = four;
    EXPECT_ERROR(s, (void)0, "'scales' ('scales') and 'sizes' ('sizes') are both given");
    s.opset = 11;
    s.n_roi = 0;
    EXPECT_ERROR(s, (void)0, "must be an empty tensor when 'sizes' is used");
    s.opset = 13;
    s.n_roi = -1;
    s.n_scales = -1;
    s.n_sizes = -1;
    EXPECT_ERROR(s, (void)0, "neither 'scales' nor 'sizes'");
    /* sizes: negative, overflowing element count, wrong length */
    s.n_sizes = 4;
    s.sizes = neg;
    EXPECT_ERROR(s, (void)0, "input 'sizes' ('sizes') value -1 for axis 2 is negative");
    s.sizes = big;
    EXPECT_ERROR(s, (void)0, "'y'", "too large");
    s.n_sizes = 2;
    s.sizes = two;
    EXPECT_ERROR(s, (void)0, "input 'sizes' ('sizes') has 2 values, expected 4");
    /* with axes, one value per axis entry */
    s.opset = 18;
    s.n_sizes = 4;
    s.sizes = neg;
    EXPECT_ERROR(s, tb_attr_ints(m_, n_, "axes", 2, (const int64_t[]){2, 3}), "has 4 values, expected 2",
                 "one per entry of 'axes'");
    s.n_sizes = 2;
    s.sizes = two;
    EXPECT_ERROR(s, tb_attr_ints(m_, n_, "axes", 2, (const int64_t[]){2, -2}), "axes");
    /* tf_crop_and_resize needs roi with two values per resized axis */
    EXPECT_ERROR(s,
                 (tb_attr_ints(m_, n_, "axes", 2, (const int64_t[]){2, 3}),
                  tb_attr_string(m_, n_, "coordinate_transformation_mode", "tf_crop_and_resize")),
                 "input 'roi' is required");
    s.n_roi = 3;
    s.roi = three;
    s.n_sizes = 4;
    s.sizes = (const int64_t[]){1, 1, 2, 2};
    EXPECT_ERROR(s, tb_attr_string(m_, n_, "coordinate_transformation_mode", "tf_crop_and_resize"),
                 "input 'roi' ('roi') has 3 values, expected 8");
    /* Upsample scales are >= 1 */
    resize_spec u = {"Upsample", 9, OBN_FLOAT, 4, dims, -1, 4, -1, NULL, half, NULL};
    EXPECT_ERROR(u, (void)0, "Upsample-9", "value 0.5 for axis 2 must be finite and >= 1");
}
END_TEST

START_TEST(attribute_errors)
{
    const int64_t dims[4] = {1, 1, 4, 6};
    const float four[4] = {1, 1, 2, 2};
    resize_spec s = {"Resize", 13, OBN_FLOAT, 4, dims, -1, 4, -1, NULL, four, NULL};
    EXPECT_ERROR(s, tb_attr_int(m_, n_, "antialias", 1), "attribute 'antialias' is not part of Resize-13");
    EXPECT_ERROR(s, tb_attr_string(m_, n_, "mode", "area"), "attribute 'mode' is 'area'; expected nearest, linear or cubic");
    EXPECT_ERROR(s, tb_attr_string(m_, n_, "nearest_mode", "round"), "'nearest_mode' is 'round'");
    s.opset = 18;
    EXPECT_ERROR(s, tb_attr_string(m_, n_, "coordinate_transformation_mode", "half_pixel_symmetric"),
                 "half_pixel_symmetric is Resize-19");
    EXPECT_ERROR(s, tb_attr_string(m_, n_, "coordinate_transformation_mode", "tf_half_pixel_for_nn"),
                 "'tf_half_pixel_for_nn'");
    EXPECT_ERROR(s, tb_attr_string(m_, n_, "keep_aspect_ratio_policy", "fit"), "'keep_aspect_ratio_policy' is 'fit'");
    s.opset = 10;
    EXPECT_ERROR(s, tb_attr_string(m_, n_, "mode", "cubic"), "expected nearest or linear");
    EXPECT_ERROR(s, tb_attr_string(m_, n_, "coordinate_transformation_mode", "asymmetric"),
                 "'coordinate_transformation_mode' is not part of Resize-10");
    resize_spec u = {"Upsample", 1, OBN_FLOAT, 4, dims, -1, -1, -1, NULL, NULL, NULL};
    EXPECT_ERROR(u, tb_attr_float(m_, n_, "height_scale", 2), "'height_scale' and 'width_scale' are required");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("resize");
    TCase *t = tcase_create("resize");
    tcase_add_test(t, matches_pytorch);
    tcase_add_test(t, upsample_by_hand);
    tcase_add_test(t, integer_types_truncate_and_saturate);
    tcase_add_test(t, crop_and_resize_fill);
    tcase_add_test(t, kernel_paths_agree);
    tcase_add_test(t, sizes_policies_and_empty);
    tcase_add_test(t, input_errors);
    tcase_add_test(t, attribute_errors);
    suite_add_tcase(s, t);
    return ot_main(s);
}
