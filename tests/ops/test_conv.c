/* Conv against a direct convolution computed here in double, straight from
 * the ONNX definition (every output position, every input channel of its
 * group, every kernel tap; taps outside the input read zero), with the
 * output size and padding derived here from the spec formulas.
 * Tolerance: |got - want| <= 1e-5 * sum|x*w| + 1e-6 (float rounding over at
 * most a few hundred terms is far below that; an index error is not).
 * Every case runs on every ISA level the machine has and on 1 and 2 threads. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu.h"
#include "model_builder.h"
#include "op_testing.h"
#include "tb_check.h"

typedef struct {
    int nd;
    int64_t n, c, m, group;
    int64_t in[3], k[3];
    int64_t stride[3], dil[3], pads[6]; /* used when the attribute is set */
    int set_stride, set_dil, set_pads, set_kernel_shape;
    const char *auto_pad;               /* NULL: attribute absent */
    int bias, w_input, version, relu;   /* relu: Conv -> Relu, fused by the passes */
} conv_case;

static int threads_of_run = 1;

static int64_t prod(const int64_t *d, int n)
{
    int64_t p = 1;
    for (int i = 0; i < n; i++) p *= d[i];
    return p;
}

/* Output size and leading pad per axis, from the spec text. */
static void geometry(const conv_case *c, int64_t *out, int64_t *pb)
{
    for (int i = 0; i < c->nd; i++) {
        int64_t s = c->set_stride ? c->stride[i] : 1, d = c->set_dil ? c->dil[i] : 1;
        int64_t dk = (c->k[i] - 1) * d + 1;
        if (c->auto_pad && strncmp(c->auto_pad, "SAME", 4) == 0) {
            out[i] = (c->in[i] + s - 1) / s;
            int64_t total = (out[i] - 1) * s + dk - c->in[i];
            if (total < 0) total = 0;
            pb[i] = strcmp(c->auto_pad, "SAME_UPPER") == 0 ? total / 2 : (total + 1) / 2;
        } else if (c->auto_pad && strcmp(c->auto_pad, "VALID") == 0) {
            out[i] = (c->in[i] - dk) / s + 1;
            pb[i] = 0;
        } else {
            int64_t b = c->set_pads ? c->pads[i] : 0, e = c->set_pads ? c->pads[c->nd + i] : 0;
            out[i] = (c->in[i] + b + e - dk) / s + 1;
            pb[i] = b;
        }
    }
}

static float *pattern(int64_t n, double scale, double phase)
{
    float *p = malloc((size_t)(n ? n : 1) * sizeof *p);
    for (int64_t i = 0; i < n; i++) p[i] = (float)(sin((double)i * 0.37 + phase) * scale);
    return p;
}

/* Reference: y[b][m][o...] and the magnitude sum for the tolerance. */
static void reference(const conv_case *c, const float *x, const float *w, const float *bias, const int64_t *out,
                      const int64_t *pb, double *y, double *mag)
{
    int64_t cg = c->c / c->group, mg = c->m / c->group, osz = prod(out, c->nd);
    int64_t in3[3] = {1, 1, 1}, k3[3] = {1, 1, 1}, o3[3] = {1, 1, 1}, s3[3] = {1, 1, 1}, d3[3] = {1, 1, 1},
            p3[3] = {0, 0, 0};
    int off = 3 - c->nd; /* right-align to 3-D */
    for (int i = 0; i < c->nd; i++) {
        in3[off + i] = c->in[i];
        k3[off + i] = c->k[i];
        o3[off + i] = out[i];
        s3[off + i] = c->set_stride ? c->stride[i] : 1;
        d3[off + i] = c->set_dil ? c->dil[i] : 1;
        p3[off + i] = pb[i];
    }
    int64_t isz = in3[0] * in3[1] * in3[2], ksz = k3[0] * k3[1] * k3[2];
    for (int64_t b = 0; b < c->n; b++)
        for (int64_t m = 0; m < c->m; m++)
            for (int64_t o = 0; o < osz; o++) {
                int64_t oz = o / (o3[1] * o3[2]), oy = o / o3[2] % o3[1], ox = o % o3[2];
                double s = bias ? bias[m] : 0.0, a = bias ? fabs(bias[m]) : 0.0;
                int64_t g = m / mg;
                for (int64_t ci = 0; ci < cg; ci++)
                    for (int64_t kz = 0; kz < k3[0]; kz++)
                        for (int64_t ky = 0; ky < k3[1]; ky++)
                            for (int64_t kx = 0; kx < k3[2]; kx++) {
                                int64_t iz = oz * s3[0] - p3[0] + kz * d3[0], iy = oy * s3[1] - p3[1] + ky * d3[1],
                                        ix = ox * s3[2] - p3[2] + kx * d3[2];
                                if (iz < 0 || iz >= in3[0] || iy < 0 || iy >= in3[1] || ix < 0 || ix >= in3[2])
                                    continue;
                                double xv = x[(b * c->c + g * cg + ci) * isz + (iz * in3[1] + iy) * in3[2] + ix];
                                double wv = w[(m * cg + ci) * ksz + (kz * k3[1] + ky) * k3[2] + kx];
                                s += xv * wv;
                                a += fabs(xv * wv);
                            }
                y[(b * c->m + m) * osz + o] = c->relu && s < 0 ? 0.0 : s;
                mag[(b * c->m + m) * osz + o] = a;
            }
}

static tb_model *build(const conv_case *c, const float *w, const float *bias)
{
    tb_model *tm = tb_new(c->version ? c->version : 13);
    int64_t xd[5] = {c->n, c->c}, wd[5] = {c->m, c->c / c->group}, bd[1] = {c->m};
    for (int i = 0; i < c->nd; i++) {
        xd[2 + i] = c->in[i];
        wd[2 + i] = c->k[i];
    }
    tb_input(tm, "x", OBN_FLOAT, 2 + c->nd, xd);
    if (c->w_input) tb_input(tm, "w", OBN_FLOAT, 2 + c->nd, wd);
    else tb_init_f32(tm, "w", 2 + c->nd, wd, w);
    if (c->bias) tb_init_f32(tm, "b", 1, bd, bias);
    Onnx__NodeProto *n = tb_node(tm, "Conv", "conv1", c->bias ? "x,w,b" : "x,w", c->relu ? "t" : "y");
    if (c->set_stride) tb_attr_ints(tm, n, "strides", (size_t)c->nd, c->stride);
    if (c->set_dil) tb_attr_ints(tm, n, "dilations", (size_t)c->nd, c->dil);
    if (c->set_pads) tb_attr_ints(tm, n, "pads", 2 * (size_t)c->nd, c->pads);
    if (c->set_kernel_shape) tb_attr_ints(tm, n, "kernel_shape", (size_t)c->nd, c->k);
    if (c->group != 1) tb_attr_int(tm, n, "group", c->group);
    if (c->auto_pad) tb_attr_string(tm, n, "auto_pad", c->auto_pad);
    if (c->relu) tb_node(tm, "Relu", "relu1", "t", "y");
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    return tm;
}

static void check_case(const conv_case *c)
{
    int64_t xd[5] = {c->n, c->c}, wd[5] = {c->m, c->c / c->group}, out[3], pb[3];
    for (int i = 0; i < c->nd; i++) {
        xd[2 + i] = c->in[i];
        wd[2 + i] = c->k[i];
    }
    geometry(c, out, pb);
    int64_t xn = prod(xd, 2 + c->nd), wn = prod(wd, 2 + c->nd), yn = c->n * c->m * prod(out, c->nd);
    float *x = pattern(xn, 1.0, 0.1), *w = pattern(wn, 0.5, 1.3), *bias = pattern(c->m, 0.25, 2.0);
    double *want = malloc((size_t)yn * sizeof *want), *mag = malloc((size_t)yn * sizeof *mag);
    reference(c, x, w, c->bias ? bias : NULL, out, pb, want, mag);

    tb_model *tm = build(c, w, bias);
    obn_model *model = NULL, *opt = NULL;
    ck_assert_msg(tb_load(tm, &model) == OBN_OK, "load: %s", obn_last_error());
    if (c->relu) { /* the reference is relu(conv): run the fused graph */
        ck_assert_msg(obn_model_optimize(model, NULL, &opt) == OBN_OK, "optimize: %s", obn_last_error());
        obn_model_destroy(model);
        model = opt;
    }
    obn_tensor *in[2] = {tb_f32((size_t)(2 + c->nd), xd, x), tb_f32((size_t)(2 + c->nd), wd, w)}, *y = NULL;
    obn_status st = tb_run(model, threads_of_run, 0, c->w_input ? 2 : 1, in, 1, &y);
    ck_assert_msg(st == OBN_OK, "run: %s", obn_last_error());
    ck_assert_int_eq((int)obn_tensor_rank(y), 2 + c->nd);
    const int64_t *yd = obn_tensor_dims(y);
    ck_assert_int_eq(yd[0], c->n);
    ck_assert_int_eq(yd[1], c->m);
    for (int i = 0; i < c->nd; i++) ck_assert_msg(yd[2 + i] == out[i], "axis %d: %lld, expected %lld", i,
                                                   (long long)yd[2 + i], (long long)out[i]);
    const float *got = obn_tensor_cdata(y);
    for (int64_t i = 0; i < yn; i++)
        ck_assert_msg(fabs(got[i] - want[i]) <= 1e-5 * mag[i] + 1e-6, "%s nd=%d g=%lld: y[%lld] = %.9g, expected %.9g",
                      obn_isa_name(obn_cpu_isa()), c->nd, (long long)c->group, (long long)i, (double)got[i], want[i]);
    obn_tensor_destroy(in[0]);
    obn_tensor_destroy(in[1]);
    obn_tensor_destroy(y);
    obn_model_destroy(model);
    tb_free(tm);
    free(x);
    free(w);
    free(bias);
    free(want);
    free(mag);
}

/* _i = isa level * 2 + threads - 1; returns 0 when the level is missing. */
static int setup_run(int i)
{
    if (i / 2 > (int)obn_cpu_detect()) return 0;
    obn_cpu_force((obn_isa)(i / 2));
    threads_of_run = 1 + i % 2;
    return 1;
}

static conv_case base(int nd)
{
    conv_case c = {nd, 1, 3, 4, 1, {5, 6, 7}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {0}, 0, 0, 0, 0, NULL, 1, 0, 0, 0};
    return c;
}

START_TEST(one_d)
{
    if (!setup_run(_i)) return;
    conv_case c = base(1);
    c.in[0] = 11;
    check_case(&c);
    c.set_stride = 1, c.stride[0] = 2;
    check_case(&c);
    c.set_dil = 1, c.dil[0] = 3;
    c.set_pads = 1, c.pads[0] = 2, c.pads[1] = 1;
    check_case(&c);
    c.c = 4, c.m = 6, c.group = 2, c.n = 3; /* groups, batch */
    check_case(&c);
    c = base(1);
    c.in[0] = 9, c.c = 4, c.m = 8, c.group = 4, c.set_pads = 1, c.pads[0] = 1, c.pads[1] = 1; /* depthwise x2 */
    check_case(&c);
}
END_TEST

START_TEST(two_d_basic_strides_dilations_pads)
{
    if (!setup_run(_i)) return;
    conv_case c = base(2);
    check_case(&c);
    c.set_pads = 1;
    int64_t p[4] = {1, 1, 1, 1};
    memcpy(c.pads, p, sizeof p);
    c.n = 2;
    check_case(&c);
    c.set_stride = 1, c.stride[0] = 2, c.stride[1] = 3;
    check_case(&c);
    int64_t asym[4] = {1, 0, 2, 1}; /* top, left, bottom, right */
    memcpy(c.pads, asym, sizeof asym);
    check_case(&c);
    c.set_dil = 1, c.dil[0] = 2, c.dil[1] = 1;
    c.set_stride = 0;
    check_case(&c);
    c.bias = 0;
    c.set_kernel_shape = 1;
    c.k[0] = 2, c.k[1] = 4;
    check_case(&c);
}
END_TEST

START_TEST(two_d_groups_and_depthwise)
{
    if (!setup_run(_i)) return;
    conv_case c = base(2);
    c.c = 4, c.m = 6, c.group = 2, c.n = 2, c.set_pads = 1;
    int64_t p[4] = {1, 1, 1, 1};
    memcpy(c.pads, p, sizeof p);
    check_case(&c);
    c.c = 8, c.m = 8, c.group = 8; /* depthwise */
    check_case(&c);
    c.set_stride = 1, c.stride[0] = 2, c.stride[1] = 2;
    check_case(&c);
    c.m = 16; /* depthwise with multiplier 2 */
    check_case(&c);
    int64_t asym[4] = {0, 2, 1, 0};
    memcpy(c.pads, asym, sizeof asym);
    c.set_dil = 1, c.dil[0] = 2, c.dil[1] = 2;
    c.in[0] = 9, c.in[1] = 10;
    check_case(&c);
    c.w_input = 1; /* weights fed at run time */
    check_case(&c);
}
END_TEST

START_TEST(pointwise_and_large)
{
    if (!setup_run(_i)) return;
    conv_case c = base(2);
    c.k[0] = c.k[1] = 1, c.c = 8, c.m = 20, c.n = 3, c.in[0] = 9, c.in[1] = 13;
    check_case(&c); /* 1x1 fast path */
    c.group = 2;
    check_case(&c);
    c.w_input = 1;
    check_case(&c);
    c.set_stride = 1, c.stride[0] = 2, c.stride[1] = 2; /* 1x1 strided: im2col */
    check_case(&c);
    c.set_stride = 0, c.set_pads = 1, c.pads[2] = 1; /* 1x1 with padding: im2col */
    check_case(&c);
    /* K x N = (64*9) x (66*66) floats > 8 MiB: the im2col runs in column chunks */
    c = base(2);
    c.c = 64, c.m = 3, c.in[0] = 66, c.in[1] = 66, c.set_pads = 1;
    int64_t p[4] = {1, 1, 1, 1};
    memcpy(c.pads, p, sizeof p);
    check_case(&c);
}
END_TEST

START_TEST(three_d)
{
    if (!setup_run(_i)) return;
    conv_case c = base(3);
    check_case(&c);
    c.set_pads = 1;
    int64_t p[6] = {1, 0, 1, 0, 2, 1};
    memcpy(c.pads, p, sizeof p);
    c.set_stride = 1, c.stride[0] = 2, c.stride[1] = 1, c.stride[2] = 2;
    check_case(&c);
    c.set_dil = 1, c.dil[2] = 2;
    c.c = 4, c.m = 4, c.group = 2, c.n = 2;
    check_case(&c);
    c.group = 4; /* depthwise 3-D: the GEMM path per group */
    check_case(&c);
}
END_TEST

START_TEST(auto_pad_modes)
{
    if (!setup_run(_i)) return;
    static const char *modes[] = {"SAME_UPPER", "SAME_LOWER", "VALID", "NOTSET"};
    for (int v = 0; v < 2; v++)
        for (int mo = 0; mo < 4; mo++) {
            conv_case c = base(2);
            c.version = v ? 1 : 11;
            c.auto_pad = modes[mo];
            c.in[0] = 7, c.in[1] = 8, c.k[0] = 4, c.k[1] = 3; /* even kernel: odd total padding */
            check_case(&c);
            c.set_stride = 1, c.stride[0] = 2, c.stride[1] = 3;
            check_case(&c);
            c.c = c.m = c.group = 6; /* depthwise */
            check_case(&c);
            c.set_dil = 1, c.dil[0] = 2, c.dil[1] = 3; /* SAME pads the dilated kernel */
            check_case(&c);
            c.c = 3, c.m = 4, c.group = 1;
            check_case(&c);
            c = base(1);
            c.auto_pad = modes[mo];
            c.in[0] = 10, c.k[0] = 2, c.set_stride = 1, c.stride[0] = 3;
            check_case(&c);
        }
}
END_TEST

START_TEST(fused_relu)
{
    if (!setup_run(_i)) return;
    conv_case c = base(2);
    c.relu = 1;
    check_case(&c); /* im2col */
    c.k[0] = c.k[1] = 1;
    check_case(&c); /* pointwise */
    c.c = c.m = c.group = 3;
    c.k[0] = c.k[1] = 3;
    check_case(&c); /* depthwise */
}
END_TEST

START_TEST(empty_inputs)
{
    if (!setup_run(_i)) return;
    conv_case c = base(2); /* empty X axis, output made of padding: bias only */
    c.in[0] = 0, c.k[0] = c.k[1] = 1, c.set_pads = 1, c.pads[0] = 1, c.pads[2] = 1;
    check_case(&c);
    c = base(2); /* empty batch: empty Y */
    c.n = 0;
    check_case(&c);
    c = base(2); /* no input channels: W [M, 0, 1, 1] */
    c.c = 0, c.k[0] = c.k[1] = 1;
    check_case(&c);
}
END_TEST

static tb_model *error_model(int64_t c_in, int64_t m, int64_t cg, int64_t k, int64_t b_len, Onnx__NodeProto **node)
{
    tb_model *tm = tb_new(13);
    int64_t xd[4] = {1, c_in, 5, 5}, wd[4] = {m, cg, k, k}, bd[1] = {b_len};
    float *w = calloc((size_t)(m * cg * k * k + 1), sizeof *w), *b = calloc((size_t)(b_len + 1), sizeof *b);
    tb_input(tm, "x", OBN_FLOAT, 4, xd);
    tb_init_f32(tm, "conv1.weight", 4, wd, w);
    tb_init_f32(tm, "conv1.bias", 1, bd, b);
    *node = tb_node(tm, "Conv", "conv1", "x,conv1.weight,conv1.bias", "y");
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    free(w);
    free(b);
    return tm;
}

/* The session-creation error, whose message names the node, then the
 * model freed. */
#define EXPECT_ERROR(tm, code, ...)                                         \
    do {                                                                    \
        OT_EXPECT_CREATE_ERROR(tm, code, "\"conv1\"", __VA_ARGS__);         \
        tb_free(tm);                                                        \
    } while (0)

START_TEST(attribute_length_errors)
{
    Onnx__NodeProto *n;
    tb_model *tm = error_model(3, 4, 3, 3, 4, &n);
    int64_t three[3] = {1, 1, 1}, six[6] = {0}, two[2] = {2, 2};
    tb_attr_ints(tm, n, "strides", 3, three);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'strides'", "3 values", "expected 2");
    tm = error_model(3, 4, 3, 3, 4, &n);
    tb_attr_ints(tm, n, "pads", 6, six);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'pads'", "6 values", "expected 4");
    tm = error_model(3, 4, 3, 3, 4, &n);
    tb_attr_ints(tm, n, "dilations", 3, three);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'dilations'", "3 values");
    tm = error_model(3, 4, 3, 3, 4, &n);
    tb_attr_ints(tm, n, "kernel_shape", 2, two); /* W is 3x3 */
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'kernel_shape'", "is 2", "has 3", "conv1.weight");
    tm = error_model(3, 4, 3, 3, 4, &n);
    tb_attr_ints(tm, n, "kernel_shape", 3, three);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'kernel_shape'", "3 values");
    tm = error_model(3, 4, 3, 3, 4, &n);
    int64_t negative[2] = {1, 0};
    tb_attr_ints(tm, n, "strides", 2, negative);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'strides'", "value 0");
}
END_TEST

START_TEST(channel_and_group_errors)
{
    Onnx__NodeProto *n;
    tb_model *tm = error_model(3, 4, 2, 3, 4, &n); /* W.shape[1] = 2, C = 3 */
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "C=3", "'W'", "conv1.weight", "group=1");
    tm = error_model(4, 6, 1, 3, 6, &n); /* group 4: C ok, M = 6 not divisible */
    tb_attr_int(tm, n, "group", 4);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "M=6", "group=4");
    tm = error_model(4, 4, 2, 3, 4, &n); /* group 3: 2*3 != 4 */
    tb_attr_int(tm, n, "group", 3);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "C=4", "group=3");
    tm = error_model(3, 4, 3, 3, 4, &n);
    tb_attr_int(tm, n, "group", 0);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'group'", "0");
    tm = error_model(3, 4, 3, 3, 5, &n); /* bias of 5 for M = 4 */
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'B'", "conv1.bias", "[5]", "[4]");
}
END_TEST

START_TEST(shape_and_type_errors)
{
    Onnx__NodeProto *n;
    tb_model *tm = error_model(3, 4, 3, 7, 4, &n); /* 7x7 kernel on 5x5, no padding */
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "empty", "'X'", "size 5", "kernel 7");
    tm = error_model(3, 4, 3, 3, 4, &n);
    tb_attr_string(tm, n, "auto_pad", "SAME");
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'auto_pad'", "SAME");
    tm = error_model(3, 4, 3, 3, 4, &n);
    int64_t pads[4] = {1, 1, 1, 1};
    tb_attr_ints(tm, n, "pads", 4, pads);
    tb_attr_string(tm, n, "auto_pad", "VALID");
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'pads'", "'auto_pad'");
    tm = error_model(3, 4, 3, 3, 4, &n);
    int64_t huge[4] = {INT64_MAX - 2, 0, INT64_MAX - 2, 0};
    tb_attr_ints(tm, n, "pads", 4, huge);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "overflows");
    /* rank-2 X, and int32 X */
    tm = tb_new(13);
    int64_t xd[2] = {1, 3}, wd[2] = {4, 3};
    float w[12] = {0};
    tb_input(tm, "x", OBN_FLOAT, 2, xd);
    tb_init_f32(tm, "w", 2, wd, w);
    tb_node(tm, "Conv", "conv1", "x,w", "y");
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'X'", "rank 2");
    tm = tb_new(13);
    int64_t xd4[4] = {1, 1, 3, 3}, wd4[4] = {1, 1, 1, 1};
    int32_t one = 1;
    tb_input(tm, "x", OBN_INT32, 4, xd4);
    tb_add_init(tm, tb_tensor(tm, "w", OBN_INT32, 4, wd4, &one, sizeof one));
    tb_node(tm, "Conv", "conv1", "x,w", "y");
    tb_output(tm, "y", OBN_INT32, -1, NULL);
    EXPECT_ERROR(tm, OBN_E_UNSUPPORTED, "'X'", "int32");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("conv");
    TCase *t = tcase_create("conv");
    tcase_set_timeout(t, 120);
    tcase_add_loop_test(t, one_d, 0, 6);
    tcase_add_loop_test(t, two_d_basic_strides_dilations_pads, 0, 6);
    tcase_add_loop_test(t, two_d_groups_and_depthwise, 0, 6);
    tcase_add_loop_test(t, pointwise_and_large, 0, 6);
    tcase_add_loop_test(t, three_d, 0, 6);
    tcase_add_loop_test(t, auto_pad_modes, 0, 6);
    tcase_add_loop_test(t, fused_relu, 0, 6);
    tcase_add_loop_test(t, empty_inputs, 0, 6);
    tcase_add_test(t, attribute_length_errors);
    tcase_add_test(t, channel_and_group_errors);
    tcase_add_test(t, shape_and_type_errors);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
