/* RoiAlign against torchvision.ops.roi_align (0.14; aligned=True is
 * half_pixel, aligned=False output_half_pixel, sampling_ratio -1 is 0;
 * tolerance 1e-5) and max mode by hand; NonMaxSuppression against
 * torchvision.ops.nms and by hand (score threshold, limits, box formats);
 * the errors, including data errors at run time. */
#include "op_testing.h"

/* torch.manual_seed(3); x = rand(2, 2, 6, 7); rois as below (batch 0, 1, 0,
 * 1); y = roi_align(x, rois, (3, 2), spatial_scale=0.9, ...). NMS: boxes
 * [x1, y1, x1 + w, y1 + h] with corners rand*3 and sizes rand*3+1, scores
 * rand(12); keep = nms(boxes, scores, iou). */
static const float rx[168] = {0.0042635202, 0.10556936, 0.28584248, 0.02695483, 0.47161436, 0.060116291,
    0.77186584, 0.74369937, 0.59442121, 0.88785666, 0.45103133, 0.79949063, 0.14984089, 0.40146881, 0.054176927,
    0.45940524, 0.17560524, 0.94918287, 0.84731865, 0.87485623, 0.64831042, 0.21475774, 0.949305, 0.012108684,
    0.18087721, 0.18771517, 0.2927447, 0.59969866, 0.12125528, 0.1147958, 0.26087964, 0.80517191, 0.1393621,
    0.051551878, 0.066645801, 0.25395739, 0.36862594, 0.0043244362, 0.26590621, 0.50961882, 0.58242208, 0.42832053,
    0.4433074, 0.17471284, 0.75615299, 0.37954754, 0.15814161, 0.37958783, 0.43014723, 0.96230286, 0.76057905,
    0.29810619, 0.4290641, 0.94183469, 0.82121837, 0.62466723, 0.32064182, 0.91603845, 0.71421516, 0.27731252,
    0.85482955, 0.53563637, 0.13022172, 0.27838135, 0.12553024, 0.085875094, 0.51222336, 0.14168477, 0.76647562,
    0.72361213, 0.60755491, 0.91198301, 0.27318996, 0.50745612, 0.80723554, 0.67283142, 0.56057936, 0.91809756,
    0.6139527, 0.83641559, 0.069098771, 0.069144666, 0.048702836, 0.5283038, 0.92430854, 0.063657999, 0.69894999,
    0.058759391, 0.16771793, 0.32949823, 0.2966814, 0.6476841, 0.080742836, 0.99444497, 0.57289231, 0.67430562,
    0.16224235, 0.7759304, 0.38325304, 0.25122911, 0.58504707, 0.70809352, 0.55295086, 0.32506925, 0.59297377,
    0.30653691, 0.3307181, 0.31423926, 0.7978965, 0.15051281, 0.71711135, 0.75915742, 0.16777575, 0.12022257,
    0.16703296, 0.077036858, 0.91978806, 0.94073164, 0.43018663, 0.9688406, 0.64163041, 0.0094963908, 0.042510092,
    0.25856143, 0.001257956, 0.27061796, 0.63522959, 0.48878711, 0.4066332, 0.53071022, 0.95713329, 0.50543267,
    0.75140578, 0.37948507, 0.12490791, 0.59780478, 0.730268, 0.79072899, 0.02955693, 0.43378949, 0.018242478,
    0.50612545, 0.52207661, 0.66272426, 0.32841897, 0.4269588, 0.62268329, 0.015685737, 0.74592704, 0.98333073,
    0.14417219, 0.98759282, 0.57590717, 0.99470055, 0.93786246, 0.0719015, 0.87641412, 0.51710427, 0.62671208,
    0.3185578, 0.099228978, 0.54784769, 0.63909924, 0.75144714, 0.080595195, 0.016183138, 0.73791873, 0.39989954};
static const float rrois[16] = {0.5, 1, 4.1999998, 5.0999999, 2, 0.30000001, 6.5, 3.7, -1, 2, 3, 7.5, 3, 3, 3.2,
    3.0999999};
static const float ry_hp_0[48] = {0.52677763, 0.58846968, 0.40286872, 0.40717867, 0.38968715, 0.28562075,
    0.69964474, 0.41660187, 0.56111497, 0.44677687, 0.44648018, 0.32481089, 0.44461671, 0.28616875, 0.67036581,
    0.4469882, 0.57492191, 0.47190866, 0.5060932, 0.63528931, 0.59297359, 0.4356117, 0.58426851, 0.50681895,
    0.19645187, 0.43826419, 0.16350003, 0.2938627, 0.25395739, 0.22341275, 0.40152311, 0.58687234, 0.53174418,
    0.4880864, 0.91809756, 0.72018719, 0.57596499, 0.59401697, 0.57049119, 0.58951688, 0.56501752, 0.58501685,
    0.60409355, 0.59779257, 0.61072963, 0.60178322, 0.61736566, 0.60577369};
static const float ry_hp_2[48] = {0.52677763, 0.58846968, 0.40286872, 0.40717867, 0.38968715, 0.28562075,
    0.69964474, 0.41660187, 0.56111497, 0.44677687, 0.44648018, 0.32481089, 0.47557616, 0.28920066, 0.69427401,
    0.45577657, 0.5745213, 0.46166858, 0.50481945, 0.65608901, 0.59778672, 0.44461495, 0.59049064, 0.50845402,
    0.19645187, 0.43826419, 0.16350003, 0.2938627, 0.25395739, 0.22341275, 0.40152311, 0.58687234, 0.53174418,
    0.4880864, 0.91809756, 0.72018719, 0.57596493, 0.59401697, 0.57049125, 0.58951688, 0.56501746, 0.58501679,
    0.60409355, 0.59779263, 0.61072963, 0.60178322, 0.61736566, 0.60577375};
static const float ry_ohp_0[48] = {0.51443154, 0.68505704, 0.49469265, 0.32408959, 0.24336597, 0.44424465,
    0.7119993, 0.48808584, 0.32856658, 0.38849351, 0.58373642, 0.44365206, 0.63157511, 0.3980732, 0.65870553,
    0.44718024, 0.53831112, 0.52781713, 0.65880203, 0.43575314, 0.59021825, 0.420259, 0.5747208, 0.69197088,
    0.28274727, 0.34726736, 0.19267753, 0.24199437, 0.1398789, 0.077710085, 0.33502114, 0.38444278, 0.70602673,
    0.53982031, 0.42483249, 0.33410025, 0.76414394, 0.5241347, 0.63527834, 0.49651411, 0.40455258, 0.47974771,
    0.24873853, 0.52218807, 0.25591812, 0.53225458, 0.37223136, 0.54649341};
static const float ry_ohp_2[48] = {0.51443154, 0.68505704, 0.49469265, 0.32408959, 0.24336597, 0.44424465,
    0.7119993, 0.48808584, 0.32856658, 0.38849351, 0.58373642, 0.44365206, 0.62981677, 0.39890772, 0.6590786,
    0.44781667, 0.54102409, 0.52750164, 0.65877122, 0.43683189, 0.59123063, 0.42063439, 0.57107139, 0.69264084,
    0.28274727, 0.34726736, 0.19267753, 0.24199437, 0.1398789, 0.077710085, 0.33502114, 0.38444278, 0.70602673,
    0.53982031, 0.42483249, 0.33410025, 0.72599417, 0.5241347, 0.60834283, 0.49651411, 0.40341437, 0.47974771,
    0.3010475, 0.52218807, 0.3099122, 0.53225458, 0.4110547, 0.54649341};
static const float nboxes_xyxy[48] = {1.4778482, 1.1108029, 3.1330042, 3.7676647, 1.503109, 1.7476742, 4.5454779,
    5.0533619, 0.11470288, 2.0532477, 2.6993356, 4.9070973, 1.6649628, 2.1926022, 3.4852464, 6.1135883, 0.72532582,
    2.5915997, 2.2368498, 6.0670629, 2.5002701, 0.74668407, 5.8145418, 4.5567179, 2.8133745, 1.6930485, 6.6447597,
    3.6952758, 2.8242836, 2.8634963, 6.3958244, 4.2688131, 1.7352483, 1.7425704, 5.2813005, 3.3192217, 1.9697843,
    2.4633088, 3.4502296, 3.9481568, 0.13029313, 1.5094333, 4.0896797, 4.4526396, 2.9330013, 0.44089669, 4.3876567,
    1.8156035};
static const float nscores[12] = {0.5517056, 0.39215457, 0.63025928, 0.81467617, 0.18412119, 0.04592061,
    0.55151558, 0.83335429, 0.80435693, 0.49283069, 0.3666265, 0.65941423};
static const int64_t nkeep_03[6] = {7, 3, 8, 11, 2, 0};
static const int64_t nkeep_00[3] = {7, 11, 2};

static tb_model *roi_model(int opset, const int64_t *xd, int64_t n_rois, const char *mode, const char *coord, int sr,
                           float scale, int64_t oh, int64_t ow)
{
    const int64_t rd[2] = {n_rois, 4}, bd[1] = {n_rois};
    tb_model *m = tb_new(opset);
    tb_input(m, "x", OBN_FLOAT, 4, xd);
    tb_input(m, "rois", OBN_FLOAT, 2, rd);
    tb_input(m, "bi", OBN_INT64, 1, bd);
    Onnx__NodeProto *n = tb_node(m, "RoiAlign", "ra", "x,rois,bi", "y");
    if (mode) tb_attr_string(m, n, "mode", mode);
    if (coord) tb_attr_string(m, n, "coordinate_transformation_mode", coord);
    tb_attr_int(m, n, "sampling_ratio", sr);
    tb_attr_float(m, n, "spatial_scale", scale);
    tb_attr_int(m, n, "output_height", oh);
    tb_attr_int(m, n, "output_width", ow);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    return m;
}

static void expect_roi(int opset, const char *coord, int sr, const float *want)
{
    const int64_t xd[4] = {2, 2, 6, 7}, rd[2] = {4, 4}, bd[1] = {4}, out[4] = {4, 2, 3, 2};
    const int64_t batch[4] = {0, 1, 0, 1};
    tb_model *m = roi_model(opset, xd, 4, NULL, coord, sr, 0.9f, 3, 2);
    obn_tensor *in[3] = {ot_tensor(OBN_FLOAT, 4, xd, rx), ot_tensor(OBN_FLOAT, 2, rd, rrois), ot_tensor(OBN_INT64, 1, bd, batch)},
               *y;
    OT_RUN_OK(m, 3, in, 1, &y);
    ot_expect_shape(y, 4, out);
    double ref[48];
    for (int i = 0; i < 48; i++) ref[i] = want[i];
    ot_expect_f32(y, ref, 48, 1e-5);
    obn_tensor_destroy(y);
    ot_destroy(3, in);
    tb_free(m);
}

START_TEST(roi_align_matches_torchvision)
{
    expect_roi(16, NULL, 0, ry_hp_0); /* default half_pixel */
    expect_roi(22, "half_pixel", 2, ry_hp_2);
    expect_roi(16, "output_half_pixel", 0, ry_ohp_0);
    expect_roi(10, NULL, 2, ry_ohp_2); /* version 10: no shift */
}
END_TEST

START_TEST(roi_align_max_by_hand)
{
    /* one 2x2 bin grid over the whole 2x2 image x = [[1, 2], [3, 4]], region
     * [0, 0, 2, 2] with half_pixel: samples at -0.5+0.5 = 0 and 1 in both
     * axes hit the pixels exactly, so max of the weighted corners is the
     * pixel itself: max(1, 2, 3, 4) = 4 and the average 2.5 */
    const int64_t xd[4] = {1, 1, 2, 2}, rd[2] = {1, 4}, bd[1] = {1};
    const float x[4] = {1, 2, 3, 4}, roi[4] = {0, 0, 2, 2};
    const int64_t batch[1] = {0};
    for (int mx = 0; mx < 2; mx++) {
        tb_model *m = roi_model(16, xd, 1, mx ? "max" : "avg", NULL, 2, 1, 1, 1);
        obn_tensor *in[3] = {ot_tensor(OBN_FLOAT, 4, xd, x), ot_tensor(OBN_FLOAT, 2, rd, roi), ot_tensor(OBN_INT64, 1, bd, batch)},
                   *y;
        OT_RUN_OK(m, 3, in, 1, &y);
        const double want = mx ? 4 : 2.5;
        ot_expect_f32(y, &want, 1, 1e-6);
        obn_tensor_destroy(y);
        ot_destroy(3, in);
        tb_free(m);
    }
}
END_TEST

START_TEST(roi_align_errors)
{
    const int64_t xd[4] = {2, 2, 6, 7}, rd[2] = {4, 4}, bd[1] = {4};
    const int64_t batch[4] = {0, 1, 2, 1};
    tb_model *m = roi_model(16, xd, 4, NULL, NULL, 0, 1, 3, 2);
    obn_tensor *in[3] = {ot_tensor(OBN_FLOAT, 4, xd, rx), ot_tensor(OBN_FLOAT, 2, rd, rrois), ot_tensor(OBN_INT64, 1, bd, batch)},
               *y;
    ck_assert_int_eq(ot_run(m, 3, in, 1, &y), OBN_E_RUNTIME);
    ot_expect_message("node \"ra\" (RoiAlign-16)", "'batch_indices' ('bi') value 2 at 2 is outside [0, 2)", (const char *)NULL);
    ot_destroy(3, in);
    const float huge[16] = {0, 0, 1e30f, 1e30f};
    const int64_t ok[4] = {0, 0, 0, 0};
    in[0] = ot_tensor(OBN_FLOAT, 4, xd, rx);
    in[1] = ot_tensor(OBN_FLOAT, 2, rd, huge);
    in[2] = ot_tensor(OBN_INT64, 1, bd, ok);
    ck_assert_int_eq(ot_run(m, 3, in, 1, &y), OBN_E_RUNTIME);
    ot_expect_message("region 0", "samples per bin", (const char *)NULL);
    ot_destroy(3, in);
    tb_free(m);
    m = roi_model(10, xd, 4, NULL, "half_pixel", 0, 1, 3, 2);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'coordinate_transformation_mode' is not part of RoiAlign-10");
    tb_free(m);
    m = roi_model(16, xd, 4, "sum", NULL, 0, 1, 3, 2);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'mode' is 'sum'");
    tb_free(m);
    m = roi_model(16, xd, 4, NULL, NULL, 0, 1, 0, 2);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'output_height' must be in [1,");
    tb_free(m);
}
END_TEST

/* NMS over one batch and class: boxes [1, n, 4], scores [1, 1, n]. */
static obn_tensor *run_nms(const float *boxes, const float *scores, int64_t n, int center, int64_t max_out, float iou,
                           const float *score_thr)
{
    const int64_t bd[3] = {1, n, 4}, sd[3] = {1, 1, n}, one[1] = {1};
    tb_model *m = tb_new(11);
    tb_input(m, "boxes", OBN_FLOAT, 3, bd);
    tb_input(m, "scores", OBN_FLOAT, 3, sd);
    tb_init_i64(m, "max", 1, one, &max_out);
    tb_init_f32(m, "iou", 1, one, &iou);
    if (score_thr) tb_init_f32(m, "thr", 1, one, score_thr);
    tb_attr_int(m, tb_node(m, "NonMaxSuppression", "nms", score_thr ? "boxes,scores,max,iou,thr" : "boxes,scores,max,iou",
                           "sel"),
                "center_point_box", center);
    tb_output(m, "sel", OBN_INT64, -1, NULL);
    obn_tensor *in[2] = {ot_tensor(OBN_FLOAT, 3, bd, boxes), ot_tensor(OBN_FLOAT, 3, sd, scores)}, *y;
    OT_RUN_OK(m, 2, in, 1, &y);
    ot_destroy(2, in);
    tb_free(m);
    return y;
}

static void expect_selected(const obn_tensor *y, const int64_t *boxes, int64_t n)
{
    const int64_t dims[2] = {n, 3};
    ot_expect_shape(y, 2, dims);
    const int64_t *got = obn_tensor_cdata(y);
    for (int64_t i = 0; i < n; i++) {
        ck_assert_int_eq(got[3 * i], 0);
        ck_assert_int_eq(got[3 * i + 1], 0);
        ck_assert_msg(got[3 * i + 2] == boxes[i], "selection %lld: box %lld, expected %lld", (long long)i,
                      (long long)got[3 * i + 2], (long long)boxes[i]);
    }
}

START_TEST(nms_matches_torchvision)
{
    /* IoU is symmetric in the axes, so torchvision's [x1, y1, x2, y2] boxes
     * can be given as ONNX's [y1, x1, y2, x2] */
    obn_tensor *y = run_nms(nboxes_xyxy, nscores, 12, 0, 100, 0.3f, NULL);
    expect_selected(y, nkeep_03, 6);
    obn_tensor_destroy(y);
    y = run_nms(nboxes_xyxy, nscores, 12, 0, 100, 0.0f, NULL);
    expect_selected(y, nkeep_00, 3);
    obn_tensor_destroy(y);
    /* at most 4 boxes */
    y = run_nms(nboxes_xyxy, nscores, 12, 0, 4, 0.3f, NULL);
    expect_selected(y, nkeep_03, 4);
    obn_tensor_destroy(y);
}
END_TEST

START_TEST(nms_by_hand)
{
    /* three unit squares: A at 0, B shifted by 0.5 (IoU 1/3 with A), C far;
     * scores 0.9, 0.8, 0.7. iou 0.3 drops B; 0.4 keeps it. Corners given
     * flipped for B; center format gives the same boxes. */
    const float corners[12] = {0, 0, 1, 1, 1, 1.5f, 0, 0.5f, 5, 5, 6, 6};
    const float centers[12] = {0.5f, 0.5f, 1, 1, 1, 0.5f, 1, 1, 5.5f, 5.5f, 1, 1};
    const float scores[3] = {0.9f, 0.8f, 0.7f};
    const int64_t ac[2] = {0, 2}, abc[3] = {0, 1, 2}, a[1] = {0};
    for (int center = 0; center < 2; center++) {
        const float *b = center ? centers : corners;
        obn_tensor *y = run_nms(b, scores, 3, center, 10, 0.3f, NULL);
        expect_selected(y, ac, 2);
        obn_tensor_destroy(y);
        y = run_nms(b, scores, 3, center, 10, 0.4f, NULL);
        expect_selected(y, abc, 3);
        obn_tensor_destroy(y);
    }
    /* the score threshold keeps only scores above it: 0.7 drops C */
    const float thr = 0.7f;
    obn_tensor *y = run_nms(corners, scores, 3, 0, 10, 0.3f, &thr);
    expect_selected(y, a, 1);
    obn_tensor_destroy(y);
    /* max 0: nothing */
    y = run_nms(corners, scores, 3, 0, 0, 0.3f, NULL);
    expect_selected(y, a, 0);
    obn_tensor_destroy(y);
}
END_TEST

START_TEST(nms_errors)
{
    const int64_t bd[3] = {1, 3, 4}, sd[3] = {1, 2, 4}, one[1] = {1};
    const float iou = 1.5f;
    tb_model *m = tb_new(11);
    tb_input(m, "boxes", OBN_FLOAT, 3, bd);
    tb_input(m, "scores", OBN_FLOAT, 3, sd);
    tb_node(m, "NonMaxSuppression", "nms", "boxes,scores", "sel");
    tb_output(m, "sel", OBN_INT64, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "node \"nms\" (NonMaxSuppression-11)", "[1,3,4]", "[1,2,4]",
                           "must be [B, N, 4] and [B, C, N]");
    tb_free(m);
    const int64_t sd_ok[3] = {1, 2, 3};
    const float boxes[12] = {0}, scores[6] = {0};
    m = tb_new(10);
    tb_input(m, "boxes", OBN_FLOAT, 3, bd);
    tb_input(m, "scores", OBN_FLOAT, 3, sd_ok);
    tb_init_f32(m, "iou", 1, one, &iou);
    tb_node(m, "NonMaxSuppression", "nms", "boxes,scores,,iou", "sel");
    tb_output(m, "sel", OBN_INT64, -1, NULL);
    obn_tensor *in[2] = {ot_tensor(OBN_FLOAT, 3, bd, boxes), ot_tensor(OBN_FLOAT, 3, sd_ok, scores)}, *y;
    ck_assert_int_eq(ot_run(m, 2, in, 1, &y), OBN_E_INVALID_MODEL);
    ot_expect_message("'iou_threshold' ('iou') is 1.5; expected a value in [0, 1]", (const char *)NULL);
    ot_destroy(2, in);
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("detection");
    TCase *t = tcase_create("detection");
    tcase_add_test(t, roi_align_matches_torchvision);
    tcase_add_test(t, roi_align_max_by_hand);
    tcase_add_test(t, roi_align_errors);
    tcase_add_test(t, nms_matches_torchvision);
    tcase_add_test(t, nms_by_hand);
    tcase_add_test(t, nms_errors);
    suite_add_tcase(s, t);
    return ot_main(s);
}
