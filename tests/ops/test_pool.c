/* MaxPool, AveragePool, LpPool, GlobalAveragePool and GlobalMaxPool against a naive
 * reference written here: every output position visits its kernel taps in
 * padded coordinates and keeps those inside the input (the divisor of
 * count_include_pad counts taps inside the explicit padding too). Output
 * sizes are the spec's formulas evaluated independently. Tolerance 1e-6
 * relative (max pooling is exact). */
#include "kernels/half.h"
#include "op_testing.h"

typedef struct {
    int nd;
    int64_t in[3], kernel[3], stride[3], dilation[3], pads[6];
    int ceil_mode, count_include_pad;
    const char *auto_pad; /* NULL: NOTSET */
    int storage_order;
} pool_case;

/* Spec output size of one axis and the begin/end padding actually used. */
static int64_t out_size(const pool_case *c, int a, int64_t *pb, int64_t *pe)
{
    int64_t in = c->in[a], k = c->kernel[a], s = c->stride[a], d = c->dilation[a] ? c->dilation[a] : 1;
    int64_t eff = (k - 1) * d + 1;
    if (c->auto_pad && strncmp(c->auto_pad, "SAME", 4) == 0) {
        int64_t out = (int64_t)ceil((double)in / (double)s);
        int64_t total = (out - 1) * s + eff - in;
        if (total < 0) total = 0;
        *pb = strcmp(c->auto_pad, "SAME_UPPER") == 0 ? total / 2 : (total + 1) / 2;
        *pe = total - *pb;
        return out;
    }
    if (c->auto_pad && strcmp(c->auto_pad, "VALID") == 0) {
        *pb = *pe = 0;
        return (int64_t)ceil((double)(in - eff + 1) / (double)s);
    }
    *pb = c->pads[a];
    *pe = c->pads[c->nd + a];
    double q = (double)(in + *pb + *pe - eff) / (double)s;
    int64_t out = (int64_t)(c->ceil_mode ? ceil(q) : floor(q)) + 1;
    if (c->ceil_mode && (out - 1) * s >= in + *pb) out--; /* window would start in the end padding */
    return out;
}

/* Reference over one N=2, C=3 input; returns the output values. */
static double *reference(const pool_case *c, bool is_max, const float *x, int64_t *out_dims, int64_t *out_n,
                         int64_t *argmax)
{
    int64_t pb[3] = {0}, pe[3] = {0}, o[3] = {1, 1, 1}, in[3] = {1, 1, 1};
    for (int a = 0; a < c->nd; a++) {
        o[a] = out_size(c, a, &pb[a], &pe[a]);
        in[a] = c->in[a];
        out_dims[2 + a] = o[a];
    }
    out_dims[0] = 2;
    out_dims[1] = 3;
    int64_t plane = in[0] * in[1] * in[2], nout = 6 * o[0] * o[1] * o[2];
    double *y = malloc((size_t)nout * sizeof *y);
    int64_t t = 0;
    for (int64_t p = 0; p < 6; p++)
        for (int64_t i0 = 0; i0 < o[0]; i0++)
            for (int64_t i1 = 0; i1 < o[1]; i1++)
                for (int64_t i2 = 0; i2 < o[2]; i2++, t++) {
                    int64_t oi[3] = {i0, i1, i2};
                    double acc = is_max ? -INFINITY : 0;
                    int64_t count = 0, padded = 1, best = -1;
                    int64_t k[3] = {c->kernel[0], c->nd > 1 ? c->kernel[1] : 1, c->nd > 2 ? c->kernel[2] : 1};
                    for (int a = 0; a < c->nd; a++) {
                        int64_t d = c->dilation[a] ? c->dilation[a] : 1, taps = 0;
                        for (int64_t j = 0; j < k[a]; j++) {
                            int64_t pos = oi[a] * c->stride[a] - pb[a] + j * d;
                            taps += pos >= -pb[a] && pos < in[a] + pe[a];
                        }
                        padded *= taps;
                    }
                    for (int64_t j0 = 0; j0 < k[0]; j0++)
                        for (int64_t j1 = 0; j1 < k[1]; j1++)
                            for (int64_t j2 = 0; j2 < k[2]; j2++) {
                                int64_t j[3] = {j0, j1, j2}, pos[3] = {0, 0, 0};
                                bool inside = true;
                                for (int a = 0; a < c->nd; a++) {
                                    int64_t d = c->dilation[a] ? c->dilation[a] : 1;
                                    pos[a] = oi[a] * c->stride[a] - pb[a] + j[a] * d;
                                    inside &= pos[a] >= 0 && pos[a] < in[a];
                                }
                                if (!inside) continue;
                                int64_t flat = (pos[0] * in[1] + pos[1]) * in[2] + pos[2];
                                double v = x[p * plane + flat];
                                count++;
                                if (!is_max) acc += v;
                                else if (v > acc) {
                                    acc = v;
                                    /* column-major: first spatial axis fastest */
                                    int64_t cm = c->nd == 1 ? pos[0]
                                                 : c->nd == 2 ? pos[1] * in[0] + pos[0]
                                                              : (pos[2] * in[1] + pos[1]) * in[0] + pos[0];
                                    best = p * plane + (c->storage_order ? cm : flat);
                                }
                            }
                    y[t] = is_max ? acc : acc / (double)(c->count_include_pad ? padded : count);
                    if (argmax) argmax[t] = best;
                }
    *out_n = nout;
    return y;
}

static tb_model *pool_model(const pool_case *c, const char *op, int version, bool indices)
{
    tb_model *m = tb_new(version);
    int64_t dims[5] = {2, 3, c->in[0], c->in[1], c->in[2]};
    tb_input(m, "x", OBN_FLOAT, c->nd + 2, dims);
    Onnx__NodeProto *n = tb_node(m, op, "pool", "x", indices ? "y,idx" : "y");
    tb_attr_ints(m, n, "kernel_shape", (size_t)c->nd, c->kernel);
    tb_attr_ints(m, n, "strides", (size_t)c->nd, c->stride);
    if (c->dilation[0]) tb_attr_ints(m, n, "dilations", (size_t)c->nd, c->dilation);
    if (!c->auto_pad) tb_attr_ints(m, n, "pads", 2 * (size_t)c->nd, c->pads);
    else tb_attr_string(m, n, "auto_pad", c->auto_pad);
    if (c->ceil_mode) tb_attr_int(m, n, "ceil_mode", 1);
    if (c->count_include_pad && op[0] == 'A') tb_attr_int(m, n, "count_include_pad", 1);
    if (c->storage_order) tb_attr_int(m, n, "storage_order", 1);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    if (indices) tb_output(m, "idx", OBN_INT64, -1, NULL);
    return m;
}

static void check_pool(const pool_case *c, bool is_max, int version, bool indices)
{
    int64_t dims[5] = {2, 3, c->in[0], c->in[1], c->in[2]};
    int64_t n = ot_numel(c->nd + 2, dims);
    float *x = malloc((size_t)n * 4);
    ot_fill(x, n, 7, -5, 5);
    tb_model *m = pool_model(c, is_max ? "MaxPool" : "AveragePool", version, indices);
    obn_tensor *in = ot_tensor(OBN_FLOAT, c->nd + 2, dims, x), *y[2] = {NULL, NULL};
    OT_RUN_OK(m, 1, &in, indices ? 2 : 1, y);
    int64_t od[5], on, *argmax = malloc((size_t)(n > 4096 ? n : 4096) * sizeof *argmax); /* >= the outputs */
    pool_case rc = *c;
    if (is_max) rc.count_include_pad = 0;
    double *want = reference(&rc, is_max, x, od, &on, argmax);
    ot_expect_shape(y[0], c->nd + 2, od);
    ot_expect_f32(y[0], want, on, 1e-6);
    if (indices) ot_expect_i64(y[1], argmax, on);
    free(want);
    free(argmax);
    free(x);
    obn_tensor_destroy(in);
    ot_destroy(indices ? 2 : 1, y);
    tb_free(m);
}

static const pool_case cases[] = {
    {2, {7, 8, 1}, {3, 3}, {2, 2}, {0}, {1, 1, 1, 1}, 0, 0, NULL, 0},           /* resnet stem */
    {2, {6, 6, 1}, {2, 2}, {2, 2}, {0}, {0, 0, 0, 0}, 0, 0, NULL, 0},
    {2, {7, 7, 1}, {3, 3}, {2, 2}, {0}, {0, 0, 0, 0}, 1, 0, NULL, 0},           /* ceil_mode */
    {2, {6, 7, 1}, {2, 2}, {2, 2}, {0}, {1, 1, 1, 1}, 1, 0, NULL, 0},           /* ceil + pad: dropped window */
    {2, {5, 6, 1}, {3, 2}, {1, 2}, {0}, {1, 0, 2, 1}, 0, 1, NULL, 0},           /* asymmetric pads, include pad */
    {2, {7, 5, 1}, {3, 3}, {2, 1}, {0}, {0}, 0, 0, "SAME_UPPER", 0},
    {2, {7, 5, 1}, {2, 4}, {3, 1}, {0}, {0}, 0, 0, "SAME_LOWER", 0},
    {2, {7, 5, 1}, {3, 2}, {2, 2}, {0}, {0}, 0, 0, "VALID", 0},
    {1, {11, 1, 1}, {3}, {2}, {0}, {1, 1}, 0, 0, NULL, 0},                       /* 1-D */
    {3, {4, 5, 6}, {2, 3, 2}, {2, 1, 2}, {0}, {0, 1, 1, 1, 0, 1}, 0, 1, NULL, 0}, /* 3-D */
    {2, {5, 5, 1}, {3, 3}, {2, 2}, {0}, {2, 2, 2, 2}, 1, 1, NULL, 0},           /* ceil + include pad */
    /* no padding, every window inside: pools over the whole flattened plane
     * (Inception's 3x3 average after an explicit Pad, SqueezeNet's 3x3
     * stride-2 max), and one plane too large for it */
    {2, {19, 19, 1}, {3, 3}, {1, 1}, {0}, {0, 0, 0, 0}, 0, 1, NULL, 0},
    {2, {6, 9, 1}, {2, 4}, {1, 1}, {0}, {0, 0, 0, 0}, 0, 0, NULL, 0},
    {2, {70, 66, 1}, {3, 3}, {1, 1}, {0}, {0, 0, 0, 0}, 0, 0, NULL, 0},
    {2, {13, 15, 1}, {3, 3}, {2, 2}, {0}, {0, 0, 0, 0}, 0, 0, NULL, 0},        /* whole-plane max, stride 2 */
    {2, {12, 10, 1}, {3, 2}, {3, 2}, {0}, {0, 0, 0, 0}, 1, 0, NULL, 0},        /* stride 3, windows inside */
};

/* LpPool: (sum of |x|^p over the taps inside the input)^(1/p); the output
 * geometry is the one of the other pools (out_size). */
static double *lp_reference(const pool_case *c, const float *x, double p, int64_t *out_dims, int64_t *out_n)
{
    int64_t pb[3] = {0}, pe[3] = {0}, o[3] = {1, 1, 1}, in[3] = {1, 1, 1}, k[3] = {1, 1, 1};
    for (int a = 0; a < c->nd; a++) {
        o[a] = out_size(c, a, &pb[a], &pe[a]);
        in[a] = c->in[a];
        k[a] = c->kernel[a];
        out_dims[2 + a] = o[a];
    }
    out_dims[0] = 2;
    out_dims[1] = 3;
    int64_t plane = in[0] * in[1] * in[2], nout = 6 * o[0] * o[1] * o[2], t = 0;
    double *y = malloc((size_t)nout * sizeof *y);
    for (int64_t pl = 0; pl < 6; pl++)
        for (int64_t i0 = 0; i0 < o[0]; i0++)
            for (int64_t i1 = 0; i1 < o[1]; i1++)
                for (int64_t i2 = 0; i2 < o[2]; i2++, t++) {
                    int64_t oi[3] = {i0, i1, i2};
                    double sum = 0;
                    for (int64_t j0 = 0; j0 < k[0]; j0++)
                        for (int64_t j1 = 0; j1 < k[1]; j1++)
                            for (int64_t j2 = 0; j2 < k[2]; j2++) {
                                int64_t j[3] = {j0, j1, j2}, pos[3] = {0, 0, 0};
                                bool inside = true;
                                for (int a = 0; a < c->nd; a++) {
                                    pos[a] = oi[a] * c->stride[a] - pb[a] + j[a];
                                    inside &= pos[a] >= 0 && pos[a] < in[a];
                                }
                                if (inside) sum += pow(fabs(x[pl * plane + (pos[0] * in[1] + pos[1]) * in[2] + pos[2]]), p);
                            }
                    y[t] = pow(sum, 1 / p);
                }
    *out_n = nout;
    return y;
}

START_TEST(lppool_matches_reference)
{
    const pool_case *c = &cases[_i];
    int64_t dims[5] = {2, 3, c->in[0], c->in[1], c->in[2]};
    int64_t n = ot_numel(c->nd + 2, dims);
    float *x = malloc((size_t)n * 4);
    ot_fill(x, n, 11, -3, 3);
    for (int p = 1; p <= 3; p++) {
        tb_model *m = pool_model(c, "LpPool", 18, false);
        tb_attr_int(m, tb_proto(m)->graph->node[0], "p", p);
        obn_tensor *in = ot_tensor(OBN_FLOAT, c->nd + 2, dims, x), *y;
        OT_RUN_OK(m, 1, &in, 1, &y);
        int64_t od[5], on;
        double *want = lp_reference(c, x, p, od, &on);
        ot_expect_shape(y, c->nd + 2, od);
        ot_expect_f32(y, want, on, 1e-6);
        free(want);
        obn_tensor_destroy(in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    free(x);
}
END_TEST

/* LpPool-1's float p, float16 through float (tolerance 1e-3 relative: the
 * output is rounded to float16), and the version rules. */
START_TEST(lppool_versions_and_half)
{
    const int64_t dims[3] = {1, 1, 4}, k[1] = {2};
    const float x[4] = {3, -4, 0, 1};
    const double want[3] = {5, 4, 1}; /* sqrt(9+16), sqrt(16+0), sqrt(0+1) */
    for (int half = 0; half < 2; half++) {
        obn_dtype dt = half ? OBN_FLOAT16 : OBN_FLOAT;
        tb_model *m = tb_new(half ? 11 : 1);
        tb_input(m, "x", dt, 3, dims);
        Onnx__NodeProto *n = tb_node(m, "LpPool", "lp", "x", "y");
        tb_attr_ints(m, n, "kernel_shape", 1, k);
        if (!half) tb_attr_float(m, n, "p", 2.0f);
        tb_output(m, "y", dt, -1, NULL);
        uint16_t xh[4];
        for (int i = 0; i < 4; i++) xh[i] = obn_f32_to_f16(x[i]);
        obn_tensor *in = ot_tensor(dt, 3, dims, half ? (const void *)xh : (const void *)x), *y;
        OT_RUN_OK(m, 1, &in, 1, &y);
        if (!half) ot_expect_f32(y, want, 3, 1e-6);
        for (int i = 0; half && i < 3; i++) {
            double got = obn_f16_to_f32(((const uint16_t *)obn_tensor_cdata(y))[i]);
            ck_assert_msg(fabs(got - want[i]) <= 1e-3 * want[i], "[%d] = %g, expected %g", i, got, want[i]);
        }
        obn_tensor_destroy(in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    struct {
        int opset;
        const char *attr;
        int64_t value;
        const char *msg;
    } bad[] = {{11, "ceil_mode", 1, "'ceil_mode' is not part of LpPool-11"},
               {11, "dilations", 1, "'dilations' is not part of LpPool-11"},
               {18, "p", 0, "'p' is 0; LpPool needs p >= 1"},
               {18, "count_include_pad", 1, "'count_include_pad' is unknown"}};
    for (int c = 0; c < 4; c++) {
        tb_model *m = tb_new(bad[c].opset);
        tb_input(m, "x", OBN_FLOAT, 3, dims);
        Onnx__NodeProto *n = tb_node(m, "LpPool", "lp", "x", "y");
        tb_attr_ints(m, n, "kernel_shape", 1, k);
        if (strcmp(bad[c].attr, "dilations") == 0) tb_attr_ints(m, n, "dilations", 1, &bad[c].value);
        else tb_attr_int(m, n, bad[c].attr, bad[c].value);
        tb_output(m, "y", OBN_FLOAT, -1, NULL);
        OT_EXPECT_CREATE_ERROR(m, c == 3 ? OBN_E_UNSUPPORTED : OBN_E_INVALID_MODEL, "\"lp\"", bad[c].msg);
        tb_free(m);
    }
}
END_TEST

START_TEST(maxpool_matches_reference)
{
    check_pool(&cases[_i], true, 12, false);
    if (!cases[_i].ceil_mode) check_pool(&cases[_i], true, 8, false); /* ceil_mode is 10+ */
}
END_TEST

START_TEST(averagepool_matches_reference)
{
    check_pool(&cases[_i], false, 11, false);
    check_pool(&cases[_i], false, 22, false);
}
END_TEST

/* AveragePool-19 takes dilations: taps d apart, eff_k = (k-1)*d + 1 in the
 * output size; the divisor counts the taps inside the input (or the padding
 * too with count_include_pad); with ceil_mode a last window starting in the
 * end padding is dropped. */
START_TEST(averagepool_dilations_19)
{
    static const pool_case dilated[] = {
        {2, {9, 8, 1}, {3, 2}, {1, 2}, {2, 3}, {2, 1, 1, 2}, 0, 0, NULL, 0},
        {2, {9, 8, 1}, {3, 2}, {2, 2}, {2, 3}, {2, 1, 1, 2}, 1, 1, NULL, 0},
        {1, {10, 1, 1}, {2}, {3}, {4}, {0, 2}, 1, 0, NULL, 0},
        {2, {7, 7, 1}, {3, 3}, {2, 2}, {2, 2}, {0}, 0, 0, "SAME_UPPER", 0},
        {3, {5, 5, 6}, {2, 2, 3}, {1, 2, 2}, {3, 1, 2}, {0, 0, 1, 0, 1, 1}, 1, 1, NULL, 0},
    };
    for (size_t i = 0; i < sizeof dilated / sizeof dilated[0]; i++) {
        check_pool(&dilated[i], false, 19, false);
        check_pool(&dilated[i], false, 22, false);
    }
}
END_TEST

START_TEST(maxpool_dilations_and_indices)
{
    pool_case c = {2, {9, 8, 1}, {3, 2}, {1, 2}, {2, 3}, {2, 1, 1, 2}, 0, 0, NULL, 0};
    check_pool(&c, true, 12, true);
    c.storage_order = 1;
    check_pool(&c, true, 12, true);
    pool_case d = {3, {4, 5, 6}, {2, 2, 3}, {1, 2, 2}, {2, 1, 1}, {0, 0, 1, 0, 1, 1}, 1, 0, NULL, 1};
    check_pool(&d, true, 11, true);
}
END_TEST

START_TEST(maxpool_int8)
{
    const int64_t dims[4] = {1, 1, 2, 3};
    const int8_t x[6] = {-128, 5, -3, 127, -1, 0}, want[2] = {127, 5};
    const int64_t k[2] = {2, 2};
    tb_model *m = tb_new(12);
    tb_input(m, "x", OBN_INT8, 4, dims);
    tb_attr_ints(m, tb_node(m, "MaxPool", "pool", "x", "y"), "kernel_shape", 2, k);
    tb_output(m, "y", OBN_INT8, -1, NULL);
    obn_tensor *in = ot_tensor(OBN_INT8, 4, dims, x), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    ot_expect_bytes(y, OBN_INT8, want, 2);
    obn_tensor_destroy(in);
    obn_tensor_destroy(y);
    tb_free(m);
}
END_TEST

START_TEST(pool_errors)
{
    pool_case c = {2, {3, 3, 1}, {5, 5}, {1, 1}, {0}, {0, 0, 0, 0}, 0, 0, NULL, 0};
    tb_model *m = pool_model(&c, "MaxPool", 12, false);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"pool\"", "MaxPool-12", "smaller than the kernel");
    tb_free(m);
    c.kernel[0] = c.kernel[1] = 2;
    c.auto_pad = "SAME_MIDDLE";
    m = pool_model(&c, "AveragePool", 11, false);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'auto_pad'", "SAME_MIDDLE");
    tb_free(m);
    c.auto_pad = NULL;
    m = pool_model(&c, "AveragePool", 11, false);
    tb_attr_ints(m, tb_proto(m)->graph->node[0], "dilations", 2, c.stride);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'dilations' is not part of AveragePool-11"); /* it is 19's */
    tb_free(m);
    /* kernel of 2 dims on a 3-D input */
    m = tb_new(12);
    const int64_t d3[3] = {1, 2, 5};
    tb_input(m, "x", OBN_FLOAT, 3, d3);
    tb_attr_ints(m, tb_node(m, "MaxPool", "pool", "x", "y"), "kernel_shape", 2, c.kernel);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'X'", "[1,2,5]", "rank 4");
    tb_free(m);
    /* missing kernel_shape, zero stride, 4 spatial dims */
    m = tb_new(12);
    tb_input(m, "x", OBN_FLOAT, 3, d3);
    tb_node(m, "MaxPool", "pool", "x", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'kernel_shape' is required");
    tb_free(m);
    c.stride[0] = 0;
    m = pool_model(&c, "MaxPool", 12, false);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'strides'");
    tb_free(m);
    m = tb_new(12);
    const int64_t k4[4] = {1, 1, 1, 1};
    tb_input(m, "x", OBN_FLOAT, 3, d3);
    tb_attr_ints(m, tb_node(m, "MaxPool", "pool", "x", "y"), "kernel_shape", 4, k4);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "1 to 3 spatial dims");
    tb_free(m);
    /* Indices output on AveragePool */
    c.stride[0] = 1;
    m = pool_model(&c, "AveragePool", 11, true);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "has 2 outputs");
    tb_free(m);
}
END_TEST

START_TEST(global_pools)
{
    const int64_t dims[4] = {2, 3, 5, 7}, od[4] = {2, 3, 1, 1};
    float x[210];
    ot_fill(x, 210, 9, -4, 4);
    for (int k = 0; k < 2; k++) {
        tb_model *m = tb_new(1);
        tb_input(m, "x", OBN_FLOAT, 4, dims);
        tb_node(m, k ? "GlobalMaxPool" : "GlobalAveragePool", "gp", "x", "y");
        tb_output(m, "y", OBN_FLOAT, 4, od);
        obn_tensor *in = ot_tensor(OBN_FLOAT, 4, dims, x), *y;
        OT_RUN_OK(m, 1, &in, 1, &y);
        ot_expect_shape(y, 4, od);
        double want[6];
        for (int p = 0; p < 6; p++) {
            double acc = k ? -INFINITY : 0;
            for (int i = 0; i < 35; i++) acc = k ? fmax(acc, x[p * 35 + i]) : acc + x[p * 35 + i];
            want[p] = k ? acc : acc / 35;
        }
        ot_expect_f32(y, want, 6, 1e-6);
        obn_tensor_destroy(in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    /* 3-D input, double */
    const int64_t d3[3] = {1, 2, 3}, o3[3] = {1, 2, 1};
    const double xd[6] = {1, 2, 6, -1, -2, -6}, wd[2] = {3, -3};
    tb_model *m = tb_new(1);
    tb_input(m, "x", OBN_DOUBLE, 3, d3);
    tb_node(m, "GlobalAveragePool", "gp", "x", "y");
    tb_output(m, "y", OBN_DOUBLE, 3, o3);
    obn_tensor *in = ot_tensor(OBN_DOUBLE, 3, d3, xd), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    ot_expect_bytes(y, OBN_DOUBLE, wd, 2);
    obn_tensor_destroy(in);
    obn_tensor_destroy(y);
    tb_free(m);
    /* bfloat16 from version 22 (bit patterns of 1, 2, 6, -1, -2, -6; exact results 3, -3 and 6, -1) */
    const uint16_t xb[6] = {0x3F80, 0x4000, 0x40C0, 0xBF80, 0xC000, 0xC0C0};
    const uint16_t want_avg[2] = {0x4040, 0xC040}, want_max[2] = {0x40C0, 0xBF80};
    for (int k = 0; k < 2; k++) {
        m = tb_new(22);
        tb_input(m, "x", OBN_BFLOAT16, 3, d3);
        tb_node(m, k ? "GlobalMaxPool" : "GlobalAveragePool", "gp", "x", "y");
        tb_output(m, "y", OBN_BFLOAT16, 3, o3);
        in = ot_tensor(OBN_BFLOAT16, 3, d3, xb);
        OT_RUN_OK(m, 1, &in, 1, &y);
        ot_expect_bytes(y, OBN_BFLOAT16, k ? want_max : want_avg, 2);
        obn_tensor_destroy(in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    m = tb_new(21);
    tb_input(m, "x", OBN_BFLOAT16, 3, d3);
    tb_node(m, "GlobalAveragePool", "gp", "x", "y");
    tb_output(m, "y", OBN_BFLOAT16, 3, o3);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "GlobalAveragePool-1", "bfloat16");
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pool");
    TCase *t = tcase_create("pool");
    int n = (int)(sizeof cases / sizeof cases[0]);
    tcase_add_loop_test(t, maxpool_matches_reference, 0, n);
    tcase_add_loop_test(t, averagepool_matches_reference, 0, n);
    tcase_add_test(t, averagepool_dilations_19);
    tcase_add_test(t, maxpool_dilations_and_indices);
    tcase_add_test(t, maxpool_int8);
    tcase_add_test(t, pool_errors);
    tcase_add_test(t, global_pools);
    tcase_add_loop_test(t, lppool_matches_reference, 0, n);
    tcase_add_test(t, lppool_versions_and_half);
    suite_add_tcase(s, t);
    return ot_main(s);
}
