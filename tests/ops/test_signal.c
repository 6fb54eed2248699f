/* Signal ops: DFT and STFT against the DFT sum evaluated here in double
 * (tolerance 1e-5 relative on float outputs), for power-of-two and other
 * lengths, both directions, onesided, dft_length cut and pad, the axis as
 * attribute (17) and input (20), irfft as the inverse of rfft; the windows
 * against their formulas; MelWeightMatrix against a matrix worked out by
 * hand; and the errors. */
#include "op_testing.h"

static const double two_pi = 6.283185307179586476925286766559;

/* X[k] = sum_j x[j] e^{sign 2 pi i jk/n}, x complex (re, im pairs). */
static void naive_dft(const double *x, double *X, int n, int sign)
{
    for (int k = 0; k < n; k++) {
        X[2 * k] = X[2 * k + 1] = 0;
        for (int j = 0; j < n; j++) {
            double a = sign * two_pi * j * k / n;
            X[2 * k] += x[2 * j] * cos(a) - x[2 * j + 1] * sin(a);
            X[2 * k + 1] += x[2 * j] * sin(a) + x[2 * j + 1] * cos(a);
        }
    }
}

/* DFT of x [2, len, 1 or 2] along axis 1 with the given options. */
static void check_dft(int opset, int len, int complex_in, int inverse, int onesided, int dft_length)
{
    int c = complex_in ? 2 : 1, n = dft_length ? dft_length : len;
    const int64_t xd[3] = {2, len, c};
    float x[2 * 32 * 2];
    ot_fill(x, 2 * len * c, (uint64_t)(len * 7 + c), -1, 1);
    tb_model *m = tb_new(opset);
    tb_input(m, "x", OBN_FLOAT, 3, xd);
    int64_t nl = dft_length, one = 1;
    if (dft_length) tb_init_i64(m, "n", 0, NULL, &nl);
    if (opset >= 20) tb_init_i64(m, "axis", 0, NULL, &one);
    Onnx__NodeProto *nd = tb_node(m, "DFT", "d", opset >= 20 ? (dft_length ? "x,n,axis" : "x,,axis") : dft_length ? "x,n" : "x", "y");
    if (opset < 20) tb_attr_int(m, nd, "axis", 1);
    tb_attr_int(m, nd, "inverse", inverse);
    tb_attr_int(m, nd, "onesided", onesided);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    obn_tensor *in = ot_tensor(OBN_FLOAT, 3, xd, x), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    int bins = onesided ? n / 2 + 1 : n;
    const int64_t yd[3] = {2, bins, 2};
    ot_expect_shape(y, 3, yd);
    double want[2 * 32 * 2], buf[64], X[64];
    for (int b = 0; b < 2; b++) {
        for (int j = 0; j < n; j++) {
            buf[2 * j] = j < len ? x[(b * len + j) * c] : 0;
            buf[2 * j + 1] = j < len && c == 2 ? x[(b * len + j) * c + 1] : 0;
        }
        naive_dft(buf, X, n, inverse ? 1 : -1);
        for (int k = 0; k < 2 * bins; k++) want[b * 2 * bins + k] = X[k] / (inverse ? n : 1);
    }
    ot_expect_f32(y, want, 2 * 2 * bins, 1e-5);
    obn_tensor_destroy(in);
    obn_tensor_destroy(y);
    tb_free(m);
}

START_TEST(dft_forward_inverse_onesided)
{
    static const int lens[] = {8, 10, 1, 7};
    for (int li = 0; li < 4; li++)
        for (int opset = 17; opset <= 20; opset += 3)
            for (int mode = 0; mode < 6; mode++) {
                int complex_in = mode & 1, inverse = (mode >> 1) & 1, onesided = mode >> 2;
                if (onesided && inverse) continue; /* irfft: its own test */
                check_dft(opset, lens[li], complex_in, inverse, onesided, 0);
            }
    check_dft(20, 10, 0, 0, 0, 16); /* zero-padded to a power of two */
    check_dft(17, 10, 1, 1, 0, 6);  /* cut */
}
END_TEST

/* irfft(rfft(s)) = s for real s of even and odd length n (dft_length). */
START_TEST(dft_irfft_round_trip)
{
    for (int n = 7; n <= 8; n++) {
        const int64_t sd[3] = {1, n, 1};
        float s[8];
        ot_fill(s, n, (uint64_t)n, -2, 2);
        tb_model *m = tb_new(20);
        tb_input(m, "s", OBN_FLOAT, 3, sd);
        int64_t nl = n;
        tb_init_i64(m, "n", 0, NULL, &nl);
        tb_attr_int(m, tb_node(m, "DFT", "f", "s,n", "spec"), "onesided", 1);
        Onnx__NodeProto *inv = tb_node(m, "DFT", "i", "spec,n", "y");
        tb_attr_int(m, inv, "onesided", 1);
        tb_attr_int(m, inv, "inverse", 1);
        tb_output(m, "y", OBN_FLOAT, -1, NULL);
        obn_tensor *in = ot_tensor(OBN_FLOAT, 3, sd, s), *y;
        OT_RUN_OK(m, 1, &in, 1, &y);
        ot_expect_shape(y, 3, sd);
        double want[8];
        for (int i = 0; i < n; i++) want[i] = s[i];
        ot_expect_f32(y, want, n, 1e-5);
        obn_tensor_destroy(in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
}
END_TEST

START_TEST(stft_frames)
{
    const int len = 20, fl = 8, step = 3, frames = 1 + (len - fl) / step, bins = fl / 2 + 1;
    const int64_t sd[3] = {2, len, 1}, wd[1] = {fl};
    float s[2 * 20], w[8];
    ot_fill(s, 2 * len, 5, -1, 1);
    for (int j = 0; j < fl; j++) w[j] = 0.5f + 0.05f * (float)j;
    for (int with_window = 0; with_window < 2; with_window++) {
        tb_model *m = tb_new(17);
        tb_input(m, "s", OBN_FLOAT, 3, sd);
        int64_t st = step, flen = fl;
        tb_init_i64(m, "step", 0, NULL, &st);
        if (with_window) tb_init_f32(m, "w", 1, wd, w);
        else tb_init_i64(m, "fl", 0, NULL, &flen);
        tb_node(m, "STFT", "t", with_window ? "s,step,w" : "s,step,,fl", "y");
        tb_output(m, "y", OBN_FLOAT, -1, NULL);
        obn_tensor *in = ot_tensor(OBN_FLOAT, 3, sd, s), *y;
        OT_RUN_OK(m, 1, &in, 1, &y);
        const int64_t yd[4] = {2, frames, bins, 2};
        ot_expect_shape(y, 4, yd);
        double want[2 * 5 * 5 * 2], buf[16], X[16];
        for (int b = 0; b < 2; b++)
            for (int f = 0; f < frames; f++) {
                for (int j = 0; j < fl; j++) {
                    buf[2 * j] = s[b * len + f * step + j] * (with_window ? w[j] : 1);
                    buf[2 * j + 1] = 0;
                }
                naive_dft(buf, X, fl, -1);
                for (int k = 0; k < 2 * bins; k++) want[(b * frames + f) * 2 * bins + k] = X[k];
            }
        ot_expect_f32(y, want, 2 * frames * bins * 2, 1e-5);
        obn_tensor_destroy(in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
}
END_TEST

START_TEST(signal_errors)
{
    const int64_t xd[3] = {1, 4, 1}, cd[3] = {1, 8, 2};
    tb_model *m = tb_new(17);
    tb_input(m, "x", OBN_FLOAT, 3, xd);
    tb_attr_int(m, tb_node(m, "DFT", "d", "x", "y"), "axis", 2);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"d\"", "axis 2 is out of range for rank 3 (the last axis holds re/im)");
    tb_free(m);
    m = tb_new(20);
    tb_input(m, "x", OBN_FLOAT, 3, xd);
    tb_attr_int(m, tb_node(m, "DFT", "d", "x", "y"), "axis", 1);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"d\"", "'axis' is not part of DFT-20");
    tb_free(m);
    m = tb_new(17);
    tb_input(m, "x", OBN_FLOAT, 3, cd);
    int64_t step = 2, fl = 4;
    tb_init_i64(m, "step", 0, NULL, &step);
    tb_init_i64(m, "fl", 0, NULL, &fl);
    tb_node(m, "STFT", "t", "x,step,,fl", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"t\"", "onesided=1 needs a real signal");
    tb_free(m);
    const int64_t d3[1] = {3};
    const float w[3] = {1, 1, 1};
    m = tb_new(17);
    tb_input(m, "x", OBN_FLOAT, 3, xd);
    tb_init_i64(m, "step", 0, NULL, &step);
    tb_init_f32(m, "w", 1, d3, w);
    tb_init_i64(m, "fl", 0, NULL, &fl);
    tb_node(m, "STFT", "t", "x,step,w,fl", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"t\"", "'window' has 3 values but 'frame_length' is 4");
    tb_free(m);
}
END_TEST

/* The three windows of 5 points, periodic (N = 5) and symmetric (N = 4),
 * as float and as int32 (truncated: only the peak 1.0 survives). */
START_TEST(windows_formulas)
{
    const char *ops[3] = {"HannWindow", "HammingWindow", "BlackmanWindow"};
    for (int op = 0; op < 3; op++)
        for (int periodic = 0; periodic < 2; periodic++)
            for (int as_int = 0; as_int < 2; as_int++) {
                tb_model *m = tb_new(17);
                int64_t size = 5;
                tb_init_i64(m, "n", 0, NULL, &size);
                Onnx__NodeProto *nd = tb_node(m, ops[op], "w", "n", "y");
                tb_attr_int(m, nd, "periodic", periodic);
                if (as_int) tb_attr_int(m, nd, "output_datatype", OBN_INT32);
                tb_output(m, "y", as_int ? OBN_INT32 : OBN_FLOAT, -1, NULL);
                obn_tensor *y;
                OT_RUN_OK(m, 0, NULL, 1, &y);
                double want[5], N = periodic ? 5 : 4;
                int32_t wi[5];
                for (int i = 0; i < 5; i++) {
                    double c = cos(two_pi * i / N);
                    want[i] = op == 0 ? 0.5 - 0.5 * c : op == 1 ? 25.0 / 46 - 21.0 / 46 * c : 0.42 - 0.5 * c + 0.08 * cos(2 * two_pi * i / N);
                    wi[i] = (int32_t)want[i];
                }
                if (as_int) ot_expect_bytes(y, OBN_INT32, wi, 5);
                else ot_expect_f32(y, want, 5, 1e-6);
                obn_tensor_destroy(y);
                tb_free(m);
            }
}
END_TEST

/* 3 bands, dft_length 32, 16 kHz, 100..6000 Hz: the mel points
 * mel(100) + i*(mel(6000) - mel(100))/5 are 100, ~419, ~895, ~1602 and
 * ~2654 Hz, at bins floor(33 f / 16000) = 0, 1, 2, 4, 7; the triangles on
 * them give the matrix below. */
START_TEST(mel_weight_matrix_by_hand)
{
    tb_model *m = tb_new(17);
    const int32_t bins = 3, dft = 32, rate = 16000;
    const float lo = 100, hi = 6000;
    tb_add_init(m, tb_tensor(m, "b", OBN_INT32, 0, NULL, &bins, 4));
    tb_add_init(m, tb_tensor(m, "d", OBN_INT32, 0, NULL, &dft, 4));
    tb_add_init(m, tb_tensor(m, "r", OBN_INT32, 0, NULL, &rate, 4));
    tb_add_init(m, tb_tensor(m, "lo", OBN_FLOAT, 0, NULL, &lo, 4));
    tb_add_init(m, tb_tensor(m, "hi", OBN_FLOAT, 0, NULL, &hi, 4));
    tb_node(m, "MelWeightMatrix", "mel", "b,d,r,lo,hi", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    obn_tensor *y;
    OT_RUN_OK(m, 0, NULL, 1, &y);
    const int64_t yd[2] = {17, 3};
    ot_expect_shape(y, 2, yd);
    double want[51] = {0};
    want[1 * 3 + 0] = 1;     /* band 0: points 0, 1, 2 */
    want[2 * 3 + 1] = 1;     /* band 1: points 1, 2, 4 */
    want[3 * 3 + 1] = 0.5;
    want[3 * 3 + 2] = 0.5;   /* band 2: points 2, 4, 7 */
    want[4 * 3 + 2] = 1;
    want[5 * 3 + 2] = 2.0 / 3;
    want[6 * 3 + 2] = 1.0 / 3;
    ot_expect_f32(y, want, 51, 1e-6);
    obn_tensor_destroy(y);
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("signal");
    TCase *t = tcase_create("signal");
    tcase_add_test(t, dft_forward_inverse_onesided);
    tcase_add_test(t, dft_irfft_round_trip);
    tcase_add_test(t, stft_frames);
    tcase_add_test(t, signal_errors);
    tcase_add_test(t, windows_formulas);
    tcase_add_test(t, mel_weight_matrix_by_hand);
    suite_add_tcase(s, t);
    return ot_main(s);
}
