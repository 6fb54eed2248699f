/* ConvInteger and QLinearConv: results against direct int64 sums in the
 * test (every int8/uint8 combination, groups, pads, auto_pad, strides,
 * dilations, 1-D to 3-D, per-tensor and per-output-channel zero points and
 * scales, the bias), small cases worked out by hand (the zero points, the
 * padding meaning the zero point, requantisation rounding half to even and
 * saturating), and the errors naming node and input. Integer results are
 * exact; requantised ones too, the reference rounding the multiplier to
 * float as the spec's reference does. */
#include "op_testing.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static int rnd(int lo, int hi)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return lo + (int)(rng % (uint64_t)(hi - lo + 1));
}

static void fill_q8(obn_dtype dt, void *p, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        if (dt == OBN_UINT8) ((uint8_t *)p)[i] = (uint8_t)rnd(0, 255);
        else ((int8_t *)p)[i] = (int8_t)rnd(-128, 127);
    }
}

static int64_t q8(obn_dtype dt, const void *p, int64_t i)
{
    return dt == OBN_UINT8 ? ((const uint8_t *)p)[i] : ((const int8_t *)p)[i];
}

#define MAXN 3

typedef struct {
    obn_dtype xt, wt;
    int nd;
    int64_t n, c, m, group;
    int64_t in[MAXN], k[MAXN], stride[MAXN], dil[MAXN], pads[2 * MAXN];
    const char *auto_pad; /* NULL: explicit pads */
    int w_zp_per_channel, qlinear, bias, w_scale_per_channel;
    obn_dtype yt;
} qc_case;

/* Output size and leading pad of axis i by the spec's formulas. */
static void axis(const qc_case *c, int i, int64_t *out, int64_t *pad)
{
    int64_t dk = (c->k[i] - 1) * c->dil[i] + 1;
    if (c->auto_pad) {
        *out = (c->in[i] + c->stride[i] - 1) / c->stride[i];
        int64_t total = (*out - 1) * c->stride[i] + dk - c->in[i];
        if (total < 0) total = 0;
        *pad = strcmp(c->auto_pad, "SAME_UPPER") == 0 ? total / 2 : total - total / 2;
    } else {
        *out = (c->in[i] + c->pads[i] + c->pads[c->nd + i] - dk) / c->stride[i] + 1;
        *pad = c->pads[i];
    }
}

static void check_case(const qc_case *c)
{
    int64_t xd[2 + MAXN] = {c->n, c->c}, wd[2 + MAXN] = {c->m, c->c / c->group}, yd[2 + MAXN] = {c->n, c->m};
    int64_t out[MAXN], pad[MAXN], xplane = 1, kvol = 1, oplane = 1;
    for (int i = 0; i < c->nd; i++) {
        xd[2 + i] = c->in[i];
        wd[2 + i] = c->k[i];
        axis(c, i, &out[i], &pad[i]);
        yd[2 + i] = out[i];
        xplane *= c->in[i], kvol *= c->k[i], oplane *= out[i];
    }
    int rank = 2 + c->nd;
    int64_t nx = ot_numel(rank, xd), nw = ot_numel(rank, wd), ny = ot_numel(rank, yd);
    uint8_t *x = malloc((size_t)nx), *w = malloc((size_t)nw), xz[1], wz[16];
    fill_q8(c->xt, x, nx);
    fill_q8(c->wt, w, nw);
    fill_q8(c->xt, xz, 1);
    fill_q8(c->wt, wz, c->m);
    float xs = 0.02f + (float)rnd(0, 100) / 1000.0f, ws[16], ys = 0.5f + (float)rnd(0, 100) / 50.0f;
    int32_t bias[16];
    for (int m = 0; m < c->m; m++) ws[m] = 0.001f * (float)rnd(1, 50), bias[m] = rnd(-5000, 5000);
    uint8_t yz[1];
    fill_q8(c->yt, yz, 1);
    int64_t *acc = malloc((size_t)ny * sizeof *acc);
    int64_t cg = c->c / c->group, mg = c->m / c->group;
    /* the definition: y[n][m][o] = sum over the group's channels and taps */
    for (int64_t b = 0; b < c->n; b++)
        for (int64_t m = 0; m < c->m; m++)
            for (int64_t o = 0; o < oplane; o++) {
                int64_t s = 0, oi[MAXN], rem = o;
                for (int i = c->nd - 1; i >= 0; i--) oi[i] = rem % out[i], rem /= out[i];
                for (int64_t ci = 0; ci < cg; ci++)
                    for (int64_t kk = 0; kk < kvol; kk++) {
                        int64_t ki[MAXN], kr = kk, off = 0;
                        int inside = 1;
                        for (int i = c->nd - 1; i >= 0; i--) ki[i] = kr % c->k[i], kr /= c->k[i];
                        for (int i = 0; i < c->nd; i++) {
                            int64_t p = oi[i] * c->stride[i] - pad[i] + ki[i] * c->dil[i];
                            if (p < 0 || p >= c->in[i]) inside = 0;
                            off = off * c->in[i] + p;
                        }
                        int64_t ch = (m / mg) * cg + ci;
                        int64_t xv = inside ? q8(c->xt, x, (b * c->c + ch) * xplane + off) : q8(c->xt, xz, 0);
                        int64_t wv = q8(c->wt, w, (m * cg + ci) * kvol + kk);
                        s += (xv - q8(c->xt, xz, 0)) * (wv - q8(c->wt, wz, c->w_zp_per_channel ? m : 0));
                    }
                acc[(b * c->m + m) * oplane + o] = s;
            }
    tb_model *tm = tb_new(10);
    tb_input(tm, "x", c->xt, rank, xd);
    tb_add_init(tm, tb_tensor(tm, "w", c->wt, rank, wd, w, (size_t)nw));
    int64_t one[1] = {1}, md[1] = {c->m};
    tb_add_init(tm, tb_tensor(tm, "xz", c->xt, 0, one, xz, 1));
    tb_add_init(tm, tb_tensor(tm, "wz", c->wt, c->w_zp_per_channel, md, wz, (size_t)(c->w_zp_per_channel ? c->m : 1)));
    Onnx__NodeProto *node;
    if (c->qlinear) {
        tb_add_init(tm, tb_tensor(tm, "xs", OBN_FLOAT, 0, one, &xs, 4));
        tb_add_init(tm, tb_tensor(tm, "ws", OBN_FLOAT, c->w_scale_per_channel, md, ws,
                                  4 * (size_t)(c->w_scale_per_channel ? c->m : 1)));
        tb_add_init(tm, tb_tensor(tm, "ys", OBN_FLOAT, 0, one, &ys, 4));
        tb_add_init(tm, tb_tensor(tm, "yz", c->yt, 0, one, yz, 1));
        if (c->bias) tb_add_init(tm, tb_tensor(tm, "b", OBN_INT32, 1, md, bias, 4 * (size_t)c->m));
        node = tb_node(tm, "QLinearConv", "qconv", c->bias ? "x,xs,xz,w,ws,wz,ys,yz,b" : "x,xs,xz,w,ws,wz,ys,yz", "y");
    } else {
        node = tb_node(tm, "ConvInteger", "iconv", "x,w,xz,wz", "y");
    }
    tb_attr_ints(tm, node, "strides", (size_t)c->nd, c->stride);
    tb_attr_ints(tm, node, "dilations", (size_t)c->nd, c->dil);
    tb_attr_int(tm, node, "group", c->group);
    if (c->auto_pad) tb_attr_string(tm, node, "auto_pad", c->auto_pad);
    else tb_attr_ints(tm, node, "pads", 2 * (size_t)c->nd, c->pads);
    tb_output(tm, "y", c->qlinear ? c->yt : OBN_INT32, -1, NULL);
    obn_tensor *in = ot_tensor(c->xt, rank, xd, x), *y;
    OT_RUN_OK(tm, 1, &in, 1, &y);
    ot_expect_shape(y, rank, yd);
    for (int64_t i = 0; i < ny; i++) {
        int64_t m = (i / oplane) % c->m, want;
        if (c->qlinear) {
            float mult = (xs * ws[c->w_scale_per_channel ? m : 0]) / ys;
            double r = nearbyint((double)(acc[i] + (c->bias ? bias[m] : 0)) * mult) + (double)q8(c->yt, yz, 0);
            double lo = c->yt == OBN_UINT8 ? 0 : -128, hi = c->yt == OBN_UINT8 ? 255 : 127;
            want = (int64_t)(r < lo ? lo : r > hi ? hi : r);
        } else {
            want = acc[i];
        }
        int64_t got = c->qlinear ? q8(c->yt, obn_tensor_cdata(y), i) : ((const int32_t *)obn_tensor_cdata(y))[i];
        ck_assert_msg(got == want, "case nd=%d group=%lld: y[%lld] = %lld, expected %lld", c->nd, (long long)c->group,
                      (long long)i, (long long)got, (long long)want);
    }
    ck_assert_int_eq(obn_tensor_dtype(y), c->qlinear ? c->yt : OBN_INT32);
    obn_tensor_destroy(y);
    obn_tensor_destroy(in);
    tb_free(tm);
    free(x), free(w), free(acc);
}

#define U8 OBN_UINT8
#define I8 OBN_INT8

static const qc_case cases[] = {
    /* 2-D, explicit uneven pads, strides, dilation */
    {U8, I8, 2, 1, 3, 4, 1, {7, 6}, {3, 2}, {2, 1}, {1, 2}, {1, 0, 2, 1}, NULL, 0, 0, 0, 0, U8},
    /* groups with per-channel w zero points */
    {I8, U8, 2, 2, 4, 6, 2, {5, 5}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL, 1, 0, 0, 0, U8},
    /* depthwise, SAME_UPPER / SAME_LOWER with stride 2 */
    {U8, U8, 2, 1, 3, 3, 3, {6, 7}, {3, 3}, {2, 2}, {1, 1}, {0}, "SAME_UPPER", 0, 0, 0, 0, U8},
    {I8, I8, 2, 1, 2, 2, 1, {5, 4}, {2, 3}, {2, 1}, {1, 1}, {0}, "SAME_LOWER", 1, 0, 0, 0, U8},
    /* 1-D and 3-D */
    {U8, I8, 1, 2, 3, 2, 1, {9}, {3}, {2}, {2}, {2, 1}, NULL, 0, 0, 0, 0, U8},
    {I8, U8, 3, 1, 2, 4, 2, {4, 3, 5}, {2, 2, 3}, {1, 2, 1}, {1, 1, 1}, {1, 0, 1, 0, 1, 1}, NULL, 1, 0, 0, 0, U8},
    /* QLinearConv: per-tensor, per-channel scale/zp, bias, both output types */
    {U8, I8, 2, 1, 3, 4, 1, {6, 6}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL, 0, 1, 0, 0, U8},
    {U8, I8, 2, 2, 4, 4, 2, {5, 6}, {3, 2}, {2, 1}, {1, 2}, {1, 0, 1, 2}, NULL, 1, 1, 1, 1, I8},
    {I8, I8, 2, 1, 3, 3, 3, {5, 5}, {3, 3}, {1, 1}, {1, 1}, {0}, "SAME_UPPER", 1, 1, 1, 1, U8},
    {U8, U8, 1, 1, 2, 3, 1, {8}, {3}, {1}, {1}, {1, 1}, NULL, 0, 1, 1, 0, I8},
};

START_TEST(against_direct_sums)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_case(&cases[i]);
}
END_TEST

/* x - 1 = [[0,1,2],[3,4,5],[6,7,8]] under a 2x2 kernel of ones (w - 0),
 * and with pads 1 a border where the padding is the zero point (adds 0). */
START_TEST(conv_integer_by_hand)
{
    int64_t xd[4] = {1, 1, 3, 3}, wd[4] = {1, 1, 2, 2};
    uint8_t x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, xz = 1;
    int8_t w[4] = {1, 1, 1, 1};
    for (int padded = 0; padded < 2; padded++) {
        tb_model *tm = tb_new(10);
        tb_input(tm, "x", OBN_UINT8, 4, xd);
        tb_add_init(tm, tb_tensor(tm, "w", OBN_INT8, 4, wd, w, 4));
        tb_add_init(tm, tb_tensor(tm, "xz", OBN_UINT8, 0, NULL, &xz, 1));
        Onnx__NodeProto *n = tb_node(tm, "ConvInteger", "ci", "x,w,xz", "y");
        int64_t pads[4] = {1, 1, 1, 1};
        if (padded) tb_attr_ints(tm, n, "pads", 4, pads);
        tb_output(tm, "y", OBN_INT32, -1, NULL);
        obn_tensor *in = ot_tensor(OBN_UINT8, 4, xd, x), *y;
        OT_RUN_OK(tm, 1, &in, 1, &y);
        const int32_t plain[4] = {8, 12, 20, 24};
        const int32_t border[16] = {0, 1, 3, 2, 3, 8, 12, 7, 9, 20, 24, 13, 6, 13, 15, 8};
        int64_t yd[4] = {1, 1, padded ? 4 : 2, padded ? 4 : 2};
        ot_expect_shape(y, 4, yd);
        ck_assert_int_eq(obn_tensor_dtype(y), OBN_INT32);
        ck_assert_mem_eq(obn_tensor_cdata(y), padded ? border : plain, (padded ? 16 : 4) * sizeof(int32_t));
        obn_tensor_destroy(y);
        obn_tensor_destroy(in);
        tb_free(tm);
    }
}
END_TEST

/* acc = x (1x1 kernel of 1), multiplier 0.5 * 1 / 1: 1.5 -> 2, 2.5 -> 2,
 * 3.5 -> 4, 127.5 -> 128 (half to even), then + 200 saturates at 255; an
 * int8 output with zero point -100 saturates at -128 for negative sums. */
START_TEST(qlinear_conv_rounding_by_hand)
{
    int64_t xd[4] = {1, 1, 1, 4}, wd[4] = {1, 1, 1, 1};
    uint8_t x[4] = {3, 5, 7, 255}, xz = 0, yz = 200;
    int8_t w = 1, wz = 0;
    float xs = 0.5f, ws = 1.0f, ys = 1.0f;
    tb_model *tm = tb_new(10);
    tb_input(tm, "x", OBN_UINT8, 4, xd);
    tb_add_init(tm, tb_tensor(tm, "xs", OBN_FLOAT, 0, NULL, &xs, 4));
    tb_add_init(tm, tb_tensor(tm, "xz", OBN_UINT8, 0, NULL, &xz, 1));
    tb_add_init(tm, tb_tensor(tm, "w", OBN_INT8, 4, wd, &w, 1));
    tb_add_init(tm, tb_tensor(tm, "ws", OBN_FLOAT, 0, NULL, &ws, 4));
    tb_add_init(tm, tb_tensor(tm, "wz", OBN_INT8, 0, NULL, &wz, 1));
    tb_add_init(tm, tb_tensor(tm, "ys", OBN_FLOAT, 0, NULL, &ys, 4));
    tb_add_init(tm, tb_tensor(tm, "yz", OBN_UINT8, 0, NULL, &yz, 1));
    tb_node(tm, "QLinearConv", "qc", "x,xs,xz,w,ws,wz,ys,yz", "y");
    tb_output(tm, "y", OBN_UINT8, -1, NULL);
    obn_tensor *in = ot_tensor(OBN_UINT8, 4, xd, x), *y;
    OT_RUN_OK(tm, 1, &in, 1, &y);
    const uint8_t want[4] = {202, 202, 204, 255};
    ot_expect_bytes(y, OBN_UINT8, want, 4);
    obn_tensor_destroy(y);
    obn_tensor_destroy(in);
    tb_free(tm);
    /* int8: w = -1 and bias -10: (-3-10)*0.5 = -6.5 -> -6, (-5-10)*.5 = -7.5
     * -> -8, (-7-10)*.5 = -8.5 -> -8, (-255-10)*.5 = -132.5 -> -132; + -100
     * gives -106, -108, -108, -232 -> -128 */
    int8_t wneg = -1, yz8 = -100;
    int32_t bias = -10;
    int64_t one[1] = {1};
    tm = tb_new(10);
    tb_input(tm, "x", OBN_UINT8, 4, xd);
    tb_add_init(tm, tb_tensor(tm, "xs", OBN_FLOAT, 0, NULL, &xs, 4));
    tb_add_init(tm, tb_tensor(tm, "xz", OBN_UINT8, 0, NULL, &xz, 1));
    tb_add_init(tm, tb_tensor(tm, "w", OBN_INT8, 4, wd, &wneg, 1));
    tb_add_init(tm, tb_tensor(tm, "ws", OBN_FLOAT, 1, one, &ws, 4));
    tb_add_init(tm, tb_tensor(tm, "wz", OBN_INT8, 1, one, &wz, 1));
    tb_add_init(tm, tb_tensor(tm, "ys", OBN_FLOAT, 0, NULL, &ys, 4));
    tb_add_init(tm, tb_tensor(tm, "yz", OBN_INT8, 0, NULL, &yz8, 1));
    tb_add_init(tm, tb_tensor(tm, "b", OBN_INT32, 1, one, &bias, 4));
    tb_node(tm, "QLinearConv", "qc", "x,xs,xz,w,ws,wz,ys,yz,b", "y");
    tb_output(tm, "y", OBN_INT8, -1, NULL);
    in = ot_tensor(OBN_UINT8, 4, xd, x);
    OT_RUN_OK(tm, 1, &in, 1, &y);
    const int8_t want8[4] = {-106, -108, -108, -128};
    ot_expect_bytes(y, OBN_INT8, want8, 4);
    obn_tensor_destroy(y);
    obn_tensor_destroy(in);
    tb_free(tm);
}
END_TEST

/* A ConvInteger over x [1,2,4,4], w [2,2,3,3] whose zero points or
 * attributes are then broken by `k`. */
static tb_model *error_model(int k)
{
    int64_t xd[4] = {1, 2, 4, 4}, wd[4] = {2, 2, 3, 3}, two[1] = {2}, three[1] = {3};
    uint8_t w[36] = {0}, z[3] = {0};
    tb_model *tm = tb_new(10);
    tb_input(tm, "x", k == 0 ? OBN_FLOAT : OBN_UINT8, 4, xd);
    tb_add_init(tm, tb_tensor(tm, "w", OBN_UINT8, 4, wd, w, 36));
    tb_add_init(tm, tb_tensor(tm, "xz", k == 3 ? OBN_INT8 : OBN_UINT8, k == 1, two, z, k == 1 ? 2 : 1));
    tb_add_init(tm, tb_tensor(tm, "wz", OBN_UINT8, 1, k == 2 ? three : two, z, k == 2 ? 3 : 2));
    Onnx__NodeProto *n = tb_node(tm, "ConvInteger", "ci", "x,w,xz,wz", "y");
    if (k == 4) tb_attr_int(tm, n, "group", 3);
    tb_output(tm, "y", OBN_INT32, -1, NULL);
    return tm;
}

START_TEST(errors_name_node_and_input)
{
    tb_model *tm = error_model(0);
    OT_EXPECT_CREATE_ERROR(tm, OBN_E_UNSUPPORTED, "\"ci\"", "'x'", "float");
    tb_free(tm);
    tm = error_model(1);
    OT_EXPECT_CREATE_ERROR(tm, OBN_E_INVALID_MODEL, "\"ci\"", "'x_zero_point'", "[2]", "per tensor");
    tb_free(tm);
    tm = error_model(2);
    OT_EXPECT_CREATE_ERROR(tm, OBN_E_INVALID_MODEL, "\"ci\"", "'w_zero_point'", "[3]", "[2]");
    tb_free(tm);
    tm = error_model(3);
    OT_EXPECT_CREATE_ERROR(tm, OBN_E_INVALID_MODEL, "\"ci\"", "x_zero_point", "int8");
    tb_free(tm);
    tm = error_model(4);
    OT_EXPECT_CREATE_ERROR(tm, OBN_E_INVALID_MODEL, "\"ci\"", "group=3");
    tb_free(tm);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("conv_integer");
    TCase *t = tcase_create("conv_integer");
    tcase_add_test(t, against_direct_sums);
    tcase_add_test(t, conv_integer_by_hand);
    tcase_add_test(t, qlinear_conv_rounding_by_hand);
    tcase_add_test(t, errors_name_node_and_input);
    suite_add_tcase(s, t);
    return ot_main(s);
}
