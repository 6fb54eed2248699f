/* ConvTranspose against a plain scatter loop computed here in double,
 * straight from the ONNX definition: every input value times every kernel
 * tap is added to output position i*stride + k*dilation - pad_begin when
 * that lies inside the output; the output starts as the bias. Output size
 * and leading pad come from the spec formulas, written out again here.
 * Tolerance: |got - want| <= 1e-5 * sum|x*w| + 1e-6 (float rounding over a
 * few hundred terms is far below that; an index error is not).
 * Every numeric case runs on every ISA level the machine has and on 1 and 2
 * threads. */
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
    int64_t n, c, m, group; /* m: output channels M (W is [c, m/group, k...]) */
    int64_t in[3], k[3];
    int64_t stride[3], dil[3], pads[6], out_pad[3], out_shape[3]; /* used when the attribute is set */
    int set_stride, set_dil, set_pads, set_out_pad, set_out_shape, set_kernel_shape;
    const char *auto_pad; /* NULL: attribute absent */
    int bias, w_input, opset;
} ct_case;

static int threads_of_run = 1;

static int64_t prod(const int64_t *d, int n)
{
    int64_t p = 1;
    for (int i = 0; i < n; i++) p *= d[i];
    return p;
}

/* Output size and leading pad per axis, from the spec text: the full size
 * stride*(in-1) + output_padding + (k-1)*dilation + 1, less the pads; with
 * output_shape or SAME_* the total padding is full - out, the odd pixel at
 * the end for SAME_UPPER and at the beginning otherwise; a negative total
 * pads nothing (the surplus output is at the end). */
static void geometry(const ct_case *c, int64_t *out, int64_t *pb)
{
    for (int i = 0; i < c->nd; i++) {
        int64_t s = c->set_stride ? c->stride[i] : 1, d = c->set_dil ? c->dil[i] : 1;
        int64_t op = c->set_out_pad ? c->out_pad[i] : 0;
        int64_t full = s * (c->in[i] - 1) + op + (c->k[i] - 1) * d + 1;
        int same = c->auto_pad && strncmp(c->auto_pad, "SAME", 4) == 0;
        if (c->set_out_shape || same) {
            out[i] = c->set_out_shape ? c->out_shape[i] : c->in[i] * s;
            int64_t total = full - out[i];
            if (total < 0) pb[i] = 0;
            else if (c->auto_pad && strcmp(c->auto_pad, "SAME_UPPER") == 0) pb[i] = total / 2;
            else pb[i] = total - total / 2;
        } else if (c->auto_pad && strcmp(c->auto_pad, "VALID") == 0) {
            out[i] = full;
            pb[i] = 0;
        } else {
            int64_t b = c->set_pads ? c->pads[i] : 0, e = c->set_pads ? c->pads[c->nd + i] : 0;
            out[i] = full - b - e;
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

/* Reference scatter: y[b][m][o...] and the magnitude sum for the tolerance,
 * with every case right-aligned to 3 spatial axes. */
static void reference(const ct_case *c, const float *x, const float *w, const float *bias, const int64_t *out,
                      const int64_t *pb, double *y, double *mag)
{
    int64_t cg = c->c / c->group, mg = c->m / c->group, osz = prod(out, c->nd);
    int64_t in3[3] = {1, 1, 1}, k3[3] = {1, 1, 1}, o3[3] = {1, 1, 1}, s3[3] = {1, 1, 1}, d3[3] = {1, 1, 1},
            p3[3] = {0, 0, 0};
    int off = 3 - c->nd;
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
                y[(b * c->m + m) * osz + o] = bias ? bias[m] : 0.0;
                mag[(b * c->m + m) * osz + o] = bias ? fabs(bias[m]) : 0.0;
            }
    for (int64_t b = 0; b < c->n; b++)
        for (int64_t ci = 0; ci < c->c; ci++)
            for (int64_t j = 0; j < mg; j++)
                for (int64_t i = 0; i < isz; i++)
                    for (int64_t kk = 0; kk < ksz; kk++) {
                        int64_t iz = i / (in3[1] * in3[2]), iy = i / in3[2] % in3[1], ix = i % in3[2];
                        int64_t kz = kk / (k3[1] * k3[2]), ky = kk / k3[2] % k3[1], kx = kk % k3[2];
                        int64_t oz = iz * s3[0] + kz * d3[0] - p3[0], oy = iy * s3[1] + ky * d3[1] - p3[1],
                                ox = ix * s3[2] + kx * d3[2] - p3[2];
                        if (oz < 0 || oz >= o3[0] || oy < 0 || oy >= o3[1] || ox < 0 || ox >= o3[2]) continue;
                        int64_t m = ci / cg * mg + j, yi = (b * c->m + m) * osz + (oz * o3[1] + oy) * o3[2] + ox;
                        double xv = x[(b * c->c + ci) * isz + i], wv = w[(ci * mg + j) * ksz + kk];
                        y[yi] += xv * wv;
                        mag[yi] += fabs(xv * wv);
                    }
}

static void weight_dims(const ct_case *c, int64_t *xd, int64_t *wd)
{
    xd[0] = c->n, xd[1] = c->c;
    wd[0] = c->c, wd[1] = c->m / c->group;
    for (int i = 0; i < c->nd; i++) {
        xd[2 + i] = c->in[i];
        wd[2 + i] = c->k[i];
    }
}

static tb_model *build(const ct_case *c, const float *w, const float *bias)
{
    tb_model *tm = tb_new(c->opset ? c->opset : 13);
    int64_t xd[5], wd[5], bd[1] = {c->m};
    weight_dims(c, xd, wd);
    tb_input(tm, "x", OBN_FLOAT, 2 + c->nd, xd);
    if (c->w_input) tb_input(tm, "w", OBN_FLOAT, 2 + c->nd, wd);
    else tb_init_f32(tm, "w", 2 + c->nd, wd, w);
    if (c->bias) tb_init_f32(tm, "b", 1, bd, bias);
    Onnx__NodeProto *n = tb_node(tm, "ConvTranspose", "deconv1", c->bias ? "x,w,b" : "x,w", "y");
    if (c->set_stride) tb_attr_ints(tm, n, "strides", (size_t)c->nd, c->stride);
    if (c->set_dil) tb_attr_ints(tm, n, "dilations", (size_t)c->nd, c->dil);
    if (c->set_pads) tb_attr_ints(tm, n, "pads", 2 * (size_t)c->nd, c->pads);
    if (c->set_out_pad) tb_attr_ints(tm, n, "output_padding", (size_t)c->nd, c->out_pad);
    if (c->set_out_shape) tb_attr_ints(tm, n, "output_shape", (size_t)c->nd, c->out_shape);
    if (c->set_kernel_shape) tb_attr_ints(tm, n, "kernel_shape", (size_t)c->nd, c->k);
    if (c->group != 1) tb_attr_int(tm, n, "group", c->group);
    if (c->auto_pad) tb_attr_string(tm, n, "auto_pad", c->auto_pad);
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    return tm;
}

static void check_case(const ct_case *c)
{
    int64_t xd[5], wd[5], out[3], pb[3];
    weight_dims(c, xd, wd);
    geometry(c, out, pb);
    int64_t xn = prod(xd, 2 + c->nd), wn = prod(wd, 2 + c->nd), yn = c->n * c->m * prod(out, c->nd);
    float *x = pattern(xn, 1.0, 0.1), *w = pattern(wn, 0.5, 1.3), *bias = pattern(c->m, 0.25, 2.0);
    double *want = malloc((size_t)(yn ? yn : 1) * sizeof *want), *mag = malloc((size_t)(yn ? yn : 1) * sizeof *mag);
    reference(c, x, w, c->bias ? bias : NULL, out, pb, want, mag);

    tb_model *tm = build(c, w, bias);
    obn_model *model = NULL;
    ck_assert_msg(tb_load(tm, &model) == OBN_OK, "load: %s", obn_last_error());
    obn_tensor *in[2] = {tb_f32((size_t)(2 + c->nd), xd, x), tb_f32((size_t)(2 + c->nd), wd, w)}, *y = NULL;
    obn_status st = tb_run(model, threads_of_run, 0, c->w_input ? 2 : 1, in, 1, &y);
    ck_assert_msg(st == OBN_OK, "run: %s", obn_last_error());
    ck_assert_int_eq((int)obn_tensor_rank(y), 2 + c->nd);
    const int64_t *yd = obn_tensor_dims(y);
    ck_assert_int_eq(yd[0], c->n);
    ck_assert_int_eq(yd[1], c->m);
    for (int i = 0; i < c->nd; i++)
        ck_assert_msg(yd[2 + i] == out[i], "axis %d: %lld, expected %lld", i, (long long)yd[2 + i],
                      (long long)out[i]);
    const float *got = obn_tensor_cdata(y);
    for (int64_t i = 0; i < yn; i++)
        ck_assert_msg(fabs(got[i] - want[i]) <= 1e-5 * mag[i] + 1e-6,
                      "%s threads=%d nd=%d g=%lld: y[%lld] = %.9g, expected %.9g", obn_isa_name(obn_cpu_isa()),
                      threads_of_run, c->nd, (long long)c->group, (long long)i, (double)got[i], want[i]);
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

static ct_case base(int nd)
{
    ct_case c = {.nd = nd, .n = 1, .c = 3, .m = 4, .group = 1, .in = {5, 6, 7}, .k = {3, 3, 3},
                 .stride = {1, 1, 1}, .dil = {1, 1, 1}, .bias = 1};
    return c;
}

START_TEST(one_d)
{
    if (!setup_run(_i)) return;
    ct_case c = base(1);
    c.in[0] = 11;
    check_case(&c);
    c.set_stride = 1, c.stride[0] = 2;
    check_case(&c);
    c.set_out_pad = 1, c.out_pad[0] = 1;
    check_case(&c);
    c.set_dil = 1, c.dil[0] = 3;
    c.set_pads = 1, c.pads[0] = 2, c.pads[1] = 1;
    c.out_pad[0] = 2; /* < dilation 3, not < stride 2 */
    check_case(&c);
    c.c = 4, c.m = 6, c.group = 2, c.n = 3; /* groups, batch */
    check_case(&c);
    c.bias = 0;
    check_case(&c);
}
END_TEST

START_TEST(two_d_strides_dilations_pads)
{
    if (!setup_run(_i)) return;
    ct_case c = base(2);
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
    c.set_out_pad = 1, c.out_pad[0] = 1, c.out_pad[1] = 2;
    check_case(&c);
    c.set_dil = 1, c.dil[0] = 2, c.dil[1] = 1;
    check_case(&c);
    c.set_out_pad = 0, c.set_stride = 0;
    check_case(&c);
    c.bias = 0;
    c.set_kernel_shape = 1;
    c.k[0] = 2, c.k[1] = 4;
    check_case(&c);
    c = base(2); /* stride larger than the kernel: gaps between the taps' outputs */
    c.k[0] = 2, c.k[1] = 1, c.set_stride = 1, c.stride[0] = 3, c.stride[1] = 4;
    check_case(&c);
}
END_TEST

START_TEST(three_d)
{
    if (!setup_run(_i)) return;
    ct_case c = base(3);
    c.in[0] = 3, c.in[1] = 4, c.in[2] = 5;
    check_case(&c);
    c.set_pads = 1;
    int64_t p[6] = {1, 0, 1, 0, 2, 1};
    memcpy(c.pads, p, sizeof p);
    c.set_stride = 1, c.stride[0] = 2, c.stride[1] = 1, c.stride[2] = 2;
    check_case(&c);
    c.set_out_pad = 1, c.out_pad[0] = 1, c.out_pad[2] = 1;
    c.set_dil = 1, c.dil[2] = 2;
    c.c = 4, c.m = 4, c.group = 2, c.n = 2;
    check_case(&c);
    c.group = 4; /* one input and one output channel per group */
    check_case(&c);
}
END_TEST

START_TEST(groups_and_weights_as_input)
{
    if (!setup_run(_i)) return;
    ct_case c = base(2);
    c.c = 4, c.m = 6, c.group = 2, c.n = 2, c.set_stride = 1, c.stride[0] = 2, c.stride[1] = 2;
    check_case(&c);
    c.c = 6, c.m = 6, c.group = 6; /* one channel per group */
    check_case(&c);
    c.m = 12; /* two output channels per input channel */
    check_case(&c);
    c.w_input = 1; /* weights fed at run time */
    check_case(&c);
    c.group = 3, c.m = 3, c.set_out_pad = 1, c.out_pad[0] = 1;
    check_case(&c);
    c = base(3);
    c.w_input = 1, c.in[0] = 2, c.c = 2, c.group = 2;
    check_case(&c);
}
END_TEST

START_TEST(output_shape_attribute)
{
    if (!setup_run(_i)) return;
    static const char *modes[] = {NULL, "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};
    for (int mo = 0; mo < 5; mo++) {
        ct_case c = base(2);
        c.auto_pad = modes[mo];
        c.in[0] = 4, c.in[1] = 5;
        c.set_stride = 1, c.stride[0] = 2, c.stride[1] = 3;
        c.set_out_shape = 1; /* full size: 2*3+3 = 9, 3*4+3 = 15 */
        c.out_shape[0] = 9, c.out_shape[1] = 15; /* total 0 */
        check_case(&c);
        c.out_shape[0] = 6, c.out_shape[1] = 12; /* total 3: odd pixel placed by auto_pad */
        check_case(&c);
        c.out_shape[0] = 7, c.out_shape[1] = 11; /* totals 2 and 4 */
        check_case(&c);
        c.out_shape[0] = 11, c.out_shape[1] = 16; /* larger than full: bias at the end */
        check_case(&c);
        c.set_out_pad = 1, c.out_pad[0] = 1, c.out_pad[1] = 2; /* output_padding counts in the total */
        c.out_shape[0] = 8, c.out_shape[1] = 13;
        check_case(&c);
        c.set_dil = 1, c.dil[0] = 2, c.dil[1] = 2;
        check_case(&c);
        c = base(1);
        c.auto_pad = modes[mo];
        c.set_out_shape = 1, c.out_shape[0] = 4; /* pads from output_shape; the pads attribute is ignored */
        if (!modes[mo] || strcmp(modes[mo], "NOTSET") == 0) c.set_pads = 1, c.pads[0] = 5, c.pads[1] = 5;
        check_case(&c);
    }
}
END_TEST

START_TEST(auto_pad_modes)
{
    if (!setup_run(_i)) return;
    static const char *modes[] = {"SAME_UPPER", "SAME_LOWER", "VALID", "NOTSET"};
    static const int opsets[] = {10, 11}; /* ConvTranspose-1 and -11 */
    for (int v = 0; v < 2; v++)
        for (int mo = 0; mo < 4; mo++) {
            ct_case c = base(2);
            c.opset = opsets[v];
            c.auto_pad = modes[mo];
            c.in[0] = 4, c.in[1] = 5, c.k[0] = 4, c.k[1] = 3; /* even kernel: odd total padding */
            check_case(&c);
            c.set_stride = 1, c.stride[0] = 2, c.stride[1] = 3;
            check_case(&c);
            c.set_out_pad = 1, c.out_pad[0] = 1, c.out_pad[1] = 2;
            check_case(&c);
            c.set_dil = 1, c.dil[0] = 2, c.dil[1] = 3;
            check_case(&c);
            c.c = c.m = c.group = 3;
            check_case(&c);
            c = base(1); /* 1-tap kernel, stride 2: SAME total is negative, the surplus at the end */
            c.opset = opsets[v];
            c.auto_pad = modes[mo];
            c.in[0] = 6, c.k[0] = 1, c.set_stride = 1, c.stride[0] = 2;
            check_case(&c);
            c.k[0] = 2, c.stride[0] = 3;
            check_case(&c);
        }
}
END_TEST

START_TEST(pointwise_chunked_and_parallel)
{
    if (!setup_run(_i)) return;
    ct_case c = base(2);
    c.k[0] = c.k[1] = 1, c.c = 8, c.m = 20, c.n = 3, c.in[0] = 9, c.in[1] = 13;
    check_case(&c); /* 1x1, stride 1: the GEMM writes Y */
    c.group = 2;
    check_case(&c);
    c.w_input = 1;
    check_case(&c);
    c.set_stride = 1, c.stride[0] = 2, c.stride[1] = 2; /* 1x1 strided: scatter */
    check_case(&c);
    c.set_stride = 0, c.set_pads = 1, c.pads[2] = 1; /* 1x1 with padding: scatter */
    check_case(&c);
    c.set_pads = 0, c.set_out_pad = 1, c.set_dil = 1, c.dil[0] = 2; /* 1x1, output_padding: scatter */
    c.out_pad[0] = 1;
    check_case(&c);
    /* one unit with 8 channels: the scatter splits over channels */
    c = base(2);
    c.m = 8, c.in[0] = 24, c.in[1] = 24;
    check_case(&c);
    /* column matrix (16*9) x (130*130) floats > 8 MiB: the GEMM runs in column chunks */
    c = base(2);
    c.c = 2, c.m = 16, c.in[0] = 130, c.in[1] = 130, c.set_pads = 1;
    int64_t p[4] = {1, 1, 1, 1};
    memcpy(c.pads, p, sizeof p);
    check_case(&c);
}
END_TEST

START_TEST(empty_inputs)
{
    if (!setup_run(_i)) return;
    ct_case c = base(2); /* empty batch: empty Y */
    c.n = 0;
    check_case(&c);
    c = base(2); /* no input channels: W [0, M, 3, 3], Y is the bias */
    c.c = 0;
    check_case(&c);
    c = base(2); /* an empty input axis: full size 1*(0-1) + 3 = 2, all bias */
    c.in[0] = 0;
    check_case(&c);
}
END_TEST

/* X [1, c_in, 5, 5], W [w0, w1, k, k], B [b_len]. */
static tb_model *error_model(int64_t c_in, int64_t w0, int64_t w1, int64_t k, int64_t b_len, Onnx__NodeProto **node)
{
    tb_model *tm = tb_new(13);
    int64_t xd[4] = {1, c_in, 5, 5}, wd[4] = {w0, w1, k, k}, bd[1] = {b_len};
    float *w = calloc((size_t)(w0 * w1 * k * k + 1), sizeof *w), *b = calloc((size_t)(b_len + 1), sizeof *b);
    tb_input(tm, "x", OBN_FLOAT, 4, xd);
    tb_init_f32(tm, "deconv1.weight", 4, wd, w);
    tb_init_f32(tm, "deconv1.bias", 1, bd, b);
    *node = tb_node(tm, "ConvTranspose", "deconv1", "x,deconv1.weight,deconv1.bias", "y");
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    free(w);
    free(b);
    return tm;
}

/* The session-creation error, whose message names the node, then the
 * model freed. */
#define EXPECT_ERROR(tm, code, ...)                                         \
    do {                                                                    \
        OT_EXPECT_CREATE_ERROR(tm, code, "\"deconv1\"", __VA_ARGS__);       \
        tb_free(tm);                                                        \
    } while (0)

START_TEST(attribute_errors)
{
    Onnx__NodeProto *n;
    int64_t three[3] = {1, 1, 1}, six[6] = {0}, two[2] = {2, 2};
    tb_model *tm = error_model(3, 3, 4, 3, 4, &n);
    tb_attr_ints(tm, n, "strides", 3, three);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'strides'", "3 values", "expected 2");
    tm = error_model(3, 3, 4, 3, 4, &n);
    tb_attr_ints(tm, n, "pads", 6, six);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'pads'", "6 values", "expected 4");
    tm = error_model(3, 3, 4, 3, 4, &n);
    tb_attr_ints(tm, n, "output_padding", 3, three);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'output_padding'", "3 values");
    tm = error_model(3, 3, 4, 3, 4, &n);
    tb_attr_ints(tm, n, "output_shape", 3, three);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'output_shape'", "3 values");
    tm = error_model(3, 3, 4, 3, 4, &n);
    tb_attr_ints(tm, n, "dilations", 3, three);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'dilations'", "3 values");
    tm = error_model(3, 3, 4, 3, 4, &n);
    tb_attr_ints(tm, n, "kernel_shape", 2, two); /* W is 3x3 */
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'kernel_shape'", "is 2", "has 3", "deconv1.weight");
    tm = error_model(3, 3, 4, 3, 4, &n);
    int64_t zero_stride[2] = {1, 0};
    tb_attr_ints(tm, n, "strides", 2, zero_stride);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'strides'", "value 0");
    tm = error_model(3, 3, 4, 3, 4, &n);
    int64_t neg[2] = {0, -1};
    tb_attr_ints(tm, n, "output_padding", 2, neg);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'output_padding'", "value -1");
    tm = error_model(3, 3, 4, 3, 4, &n);
    int64_t zero_shape[2] = {0, 4};
    tb_attr_ints(tm, n, "output_shape", 2, zero_shape);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'output_shape'", "value 0");
    tm = error_model(3, 3, 4, 3, 4, &n); /* output_padding 2 with stride 2, dilation 1 */
    int64_t op[2] = {2, 0}, st2[2] = {2, 2};
    tb_attr_ints(tm, n, "output_padding", 2, op);
    tb_attr_ints(tm, n, "strides", 2, st2);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'output_padding'", "is 2", "stride (2)", "dilation (1)");
    tm = error_model(3, 3, 4, 3, 4, &n);
    tb_attr_string(tm, n, "auto_pad", "SAME");
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'auto_pad'", "SAME");
    tm = error_model(3, 3, 4, 3, 4, &n);
    int64_t pads[4] = {1, 1, 1, 1};
    tb_attr_ints(tm, n, "pads", 4, pads);
    tb_attr_string(tm, n, "auto_pad", "SAME_UPPER");
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'pads'", "'auto_pad'");
    tm = error_model(3, 3, 4, 3, 4, &n);
    tb_attr_int(tm, n, "group", 0);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'group'", "0");
}
END_TEST

START_TEST(channel_errors)
{
    Onnx__NodeProto *n;
    tb_model *tm = error_model(3, 2, 4, 3, 4, &n); /* W.shape[0] = 2, C = 3 */
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "W.shape[0]=2", "C=3", "deconv1.weight");
    tm = error_model(3, 3, 2, 3, 2, &n); /* group 2 does not divide C = 3 */
    tb_attr_int(tm, n, "group", 2);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "C=3", "group=2");
    tm = error_model(3, 3, 4, 3, 5, &n); /* bias of 5 for M = 4 */
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'B'", "deconv1.bias", "[5]", "[4]");
    tm = error_model(4, 4, 3, 3, 3, &n); /* group 2: M = 3*2 = 6, bias of 3 */
    tb_attr_int(tm, n, "group", 2);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'B'", "[3]", "[6]", "3*2");
}
END_TEST

START_TEST(shape_and_type_errors)
{
    Onnx__NodeProto *n;
    tb_model *tm = error_model(3, 3, 4, 3, 4, &n); /* full size 5+3-1 = 7, pads take 8 */
    int64_t big[4] = {4, 0, 4, 0};
    tb_attr_ints(tm, n, "pads", 4, big);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "empty", "axis 0", "'X'", "size 5", "pads 4+4");
    tm = error_model(3, 3, 4, 3, 4, &n);
    int64_t huge_pads[4] = {INT64_MAX - 2, 0, INT64_MAX - 2, 0};
    tb_attr_ints(tm, n, "pads", 4, huge_pads);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "overflows", "axis 0");
    tm = error_model(3, 3, 4, 3, 4, &n);
    int64_t huge_strides[2] = {1, INT64_MAX / 2};
    tb_attr_ints(tm, n, "strides", 2, huge_strides);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "overflows", "axis 1");
    tm = error_model(3, 3, 4, 3, 4, &n);
    int64_t huge_shape[2] = {INT64_MAX / 2, 4};
    tb_attr_ints(tm, n, "output_shape", 2, huge_shape); /* too large a Y */
    ck_assert_int_ne(ot_create_status(tm), OBN_OK);
    tb_free(tm);
    /* W rank differs from X rank */
    tm = tb_new(13);
    int64_t xd[4] = {1, 3, 5, 5}, wd3[3] = {3, 4, 3};
    float w[36] = {0};
    tb_input(tm, "x", OBN_FLOAT, 4, xd);
    tb_init_f32(tm, "w", 3, wd3, w);
    tb_node(tm, "ConvTranspose", "deconv1", "x,w", "y");
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'W'", "rank 4");
    /* rank-2 X */
    tm = tb_new(13);
    int64_t xd2[2] = {1, 3}, wd2[2] = {3, 4};
    tb_input(tm, "x", OBN_FLOAT, 2, xd2);
    tb_init_f32(tm, "w", 2, wd2, w);
    tb_node(tm, "ConvTranspose", "deconv1", "x,w", "y");
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'X'", "rank 2");
    /* double X: float32 only */
    tm = tb_new(13);
    int64_t xd4[4] = {1, 1, 3, 3}, wd4[4] = {1, 1, 1, 1};
    double one = 1.0;
    tb_input(tm, "x", OBN_DOUBLE, 4, xd4);
    tb_add_init(tm, tb_tensor(tm, "w", OBN_DOUBLE, 4, wd4, &one, sizeof one));
    tb_node(tm, "ConvTranspose", "deconv1", "x,w", "y");
    tb_output(tm, "y", OBN_DOUBLE, -1, NULL);
    EXPECT_ERROR(tm, OBN_E_UNSUPPORTED, "'X'", "double");
    /* float X, double W */
    tm = tb_new(13);
    tb_input(tm, "x", OBN_FLOAT, 4, xd4);
    tb_add_init(tm, tb_tensor(tm, "w", OBN_DOUBLE, 4, wd4, &one, sizeof one));
    tb_node(tm, "ConvTranspose", "deconv1", "x,w", "y");
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'W'", "double");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("convtranspose");
    TCase *t = tcase_create("convtranspose");
    tcase_set_timeout(t, 120);
    tcase_add_loop_test(t, one_d, 0, 6);
    tcase_add_loop_test(t, two_d_strides_dilations_pads, 0, 6);
    tcase_add_loop_test(t, three_d, 0, 6);
    tcase_add_loop_test(t, groups_and_weights_as_input, 0, 6);
    tcase_add_loop_test(t, output_shape_attribute, 0, 6);
    tcase_add_loop_test(t, auto_pad_modes, 0, 6);
    tcase_add_loop_test(t, pointwise_chunked_and_parallel, 0, 6);
    tcase_add_loop_test(t, empty_inputs, 0, 6);
    tcase_add_test(t, attribute_errors);
    tcase_add_test(t, channel_errors);
    tcase_add_test(t, shape_and_type_errors);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
