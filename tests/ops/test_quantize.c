/* QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear against
 * numbers worked out by hand (and checked with numpy's float32 arithmetic):
 * round half to even after the division, saturation at both ends of every
 * integer type with the zero point at the type's ends, per-axis with a
 * negative axis, blocks that do not divide the axis, float8 saturate on/off,
 * the precision attribute, output_dtype, float16 and float8e8m0 scales, and
 * the errors: wrong scale or zero-point shapes, attributes or types of a
 * later version, output_dtype against the zero point. Every expectation is
 * exact (integer or bit pattern); float outputs at tolerance 0. */
#include "op_testing.h"

typedef struct {
    int64_t axis, block_size, saturate, output_dtype, precision; /* -1 / 0: attribute absent */
} q_opts;

static const q_opts NONE = {INT64_MIN, 0, -1, 0, 0};

/* One Q/DQ node: x a graph input, the scale (and the zero point when zp is
 * not NULL) initializers. */
static tb_model *q_model(const char *op, int opset, obn_dtype xt, int xrank, const int64_t *xdims, obn_dtype st,
                         int srank, const int64_t *sdims, const void *scale, obn_dtype zt, const void *zp, q_opts o)
{
    tb_model *m = tb_new(opset);
    tb_input(m, "x", xt, xrank, xdims);
    size_t sn = (size_t)ot_numel(srank, sdims);
    tb_add_init(m, tb_tensor(m, "s", st, srank, sdims, scale, sn * obn_dtype_size(st)));
    if (zp) tb_add_init(m, tb_tensor(m, "z", zt, srank, sdims, zp, sn * obn_dtype_size(zt)));
    Onnx__NodeProto *n = tb_node(m, op, "q", zp ? "x,s,z" : "x,s", "y");
    if (o.axis != INT64_MIN) tb_attr_int(m, n, "axis", o.axis);
    if (o.block_size) tb_attr_int(m, n, "block_size", o.block_size);
    if (o.saturate >= 0) tb_attr_int(m, n, "saturate", o.saturate);
    if (o.output_dtype) tb_attr_int(m, n, "output_dtype", o.output_dtype);
    if (o.precision) tb_attr_int(m, n, "precision", o.precision);
    /* the declared output type is the one the spec gives */
    obn_dtype yt = op[0] == 'Q' ? (zp ? zt : o.output_dtype ? (obn_dtype)o.output_dtype : OBN_UINT8)
                   : o.output_dtype ? (obn_dtype)o.output_dtype
                   : opset < 19     ? OBN_FLOAT
                                    : st;
    tb_output(m, "y", yt, -1, NULL);
    return m;
}

static obn_tensor *run1(tb_model *m, obn_dtype xt, int xrank, const int64_t *xdims, const void *x)
{
    obn_tensor *in = ot_tensor(xt, xrank, xdims, x), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    obn_tensor_destroy(in);
    tb_free(m);
    return y;
}

static void expect_values(const obn_tensor *y, obn_dtype dt, int64_t n, const double *want)
{
    ck_assert_int_eq(obn_tensor_dtype(y), dt);
    ck_assert_int_eq(obn_tensor_numel(y), n);
    for (int64_t i = 0; i < n; i++)
        ck_assert_msg(obn_tensor_value(y, i) == want[i], "[%lld] = %g, expected %g", (long long)i,
                      obn_tensor_value(y, i), want[i]);
}

static const int64_t one[1] = {1};

START_TEST(quantize_rounds_half_to_even_and_saturates)
{
    const int64_t d[1] = {8};
    /* x / 2: 0, 1.5, 2.5, -2.5, 3.5, 600, -600, 4.25 */
    const float x[8] = {0, 3, 5, -5, 7, 1200, -1200, 8.5f}, scale = 2;
    for (int v = 10; v <= 25; v += 15) {
        const uint8_t z0 = 0, z255 = 255;
        obn_tensor *y = run1(q_model("QuantizeLinear", v, OBN_FLOAT, 1, d, OBN_FLOAT, 0, NULL, &scale, OBN_UINT8, &z0,
                                     NONE),
                             OBN_FLOAT, 1, d, x);
        expect_values(y, OBN_UINT8, 8, (const double[]){0, 2, 2, 0, 4, 255, 0, 4});
        obn_tensor_destroy(y);
        y = run1(q_model("QuantizeLinear", v, OBN_FLOAT, 1, d, OBN_FLOAT, 0, NULL, &scale, OBN_UINT8, &z255, NONE),
                 OBN_FLOAT, 1, d, x);
        expect_values(y, OBN_UINT8, 8, (const double[]){255, 255, 255, 253, 255, 255, 0, 255});
        obn_tensor_destroy(y);
        const int8_t zm = -128, zp = 127;
        y = run1(q_model("QuantizeLinear", v, OBN_FLOAT, 1, d, OBN_FLOAT, 0, NULL, &scale, OBN_INT8, &zm, NONE),
                 OBN_FLOAT, 1, d, x);
        expect_values(y, OBN_INT8, 8, (const double[]){-128, -126, -126, -128, -124, 127, -128, -124});
        obn_tensor_destroy(y);
        y = run1(q_model("QuantizeLinear", v, OBN_FLOAT, 1, d, OBN_FLOAT, 0, NULL, &scale, OBN_INT8, &zp, NONE),
                 OBN_FLOAT, 1, d, x);
        expect_values(y, OBN_INT8, 8, (const double[]){127, 127, 127, 125, 127, 127, -128, 127});
        obn_tensor_destroy(y);
    }
    /* no zero point: uint8 with zero point 0; a [1] scale counts as a scalar */
    obn_tensor *y = run1(q_model("QuantizeLinear", 13, OBN_FLOAT, 1, d, OBN_FLOAT, 1, one, &scale, OBN_UNDEFINED,
                                 NULL, NONE),
                         OBN_FLOAT, 1, d, x);
    expect_values(y, OBN_UINT8, 8, (const double[]){0, 2, 2, 0, 4, 255, 0, 4});
    obn_tensor_destroy(y);
}
END_TEST

START_TEST(quantize_negative_scale_and_int32_input)
{
    const int64_t d[1] = {3};
    const float x[3] = {3, -3, 5}, scale = -2;
    const int8_t z = 0;
    obn_tensor *y = run1(q_model("QuantizeLinear", 13, OBN_FLOAT, 1, d, OBN_FLOAT, 0, NULL, &scale, OBN_INT8, &z,
                                 NONE),
                         OBN_FLOAT, 1, d, x);
    expect_values(y, OBN_INT8, 3, (const double[]){-2, 2, -2}); /* -1.5, 1.5, -2.5 */
    obn_tensor_destroy(y);
    const int32_t xi[3] = {250, 254, -7};
    const float s4 = 4;
    y = run1(q_model("QuantizeLinear", 10, OBN_INT32, 1, d, OBN_FLOAT, 0, NULL, &s4, OBN_INT8, &z, NONE), OBN_INT32,
             1, d, xi);
    expect_values(y, OBN_INT8, 3, (const double[]){62, 64, -2}); /* 62.5, 63.5, -1.75 */
    obn_tensor_destroy(y);
}
END_TEST

START_TEST(quantize_per_axis_negative_axis)
{
    const int64_t xd[2] = {2, 3}, sd[1] = {3};
    const float x[6] = {4, 4, 4, -8, 6, 10}, s[3] = {1, 2, 4};
    const uint8_t z[3] = {0, 10, 20};
    q_opts o = NONE;
    o.axis = -1;
    obn_tensor *y = run1(q_model("QuantizeLinear", 13, OBN_FLOAT, 2, xd, OBN_FLOAT, 1, sd, s, OBN_UINT8, z, o),
                         OBN_FLOAT, 2, xd, x);
    expect_values(y, OBN_UINT8, 6, (const double[]){4, 12, 21, 0, 13, 22});
    obn_tensor_destroy(y);
    /* and back: (q - z) * s */
    const uint8_t q[6] = {4, 12, 21, 0, 13, 22};
    y = run1(q_model("DequantizeLinear", 13, OBN_UINT8, 2, xd, OBN_FLOAT, 1, sd, s, OBN_UINT8, z, o), OBN_UINT8, 2,
             xd, q);
    expect_values(y, OBN_FLOAT, 6, (const double[]){4, 4, 4, 0, 6, 8});
    obn_tensor_destroy(y);
}
END_TEST

START_TEST(blocks_not_dividing_the_axis)
{
    /* x [2,5], block 2 along axis 1: scale [2,3], the last block holds one */
    const int64_t xd[2] = {2, 5}, sd[2] = {2, 3};
    const float x[10] = {1, 2, 3, 4, 5, 10, 20, 30, 40, 50}, s[6] = {1, 2, 0.5f, 10, 10, 10};
    const int8_t z[6] = {0, 0, 0, -1, 0, 1};
    q_opts o = NONE;
    o.block_size = 2;
    obn_tensor *y = run1(q_model("QuantizeLinear", 21, OBN_FLOAT, 2, xd, OBN_FLOAT, 2, sd, s, OBN_INT8, z, o),
                         OBN_FLOAT, 2, xd, x);
    expect_values(y, OBN_INT8, 10, (const double[]){1, 2, 2, 2, 10, 0, 1, 3, 4, 6}); /* 3/2 = 1.5 -> 2 */
    obn_tensor_destroy(y);
    const int8_t q[10] = {1, 2, 2, 2, 10, 0, 1, 3, 4, 6};
    y = run1(q_model("DequantizeLinear", 21, OBN_INT8, 2, xd, OBN_FLOAT, 2, sd, s, OBN_INT8, z, o), OBN_INT8, 2, xd,
             q);
    expect_values(y, OBN_FLOAT, 10, (const double[]){1, 2, 4, 4, 5, 10, 20, 30, 40, 50});
    obn_tensor_destroy(y);
    /* blocks along axis 0 of a [3,2] x: block 2 -> scale [2,2] */
    const int64_t xd0[2] = {3, 2}, sd0[2] = {2, 2};
    const float x0[6] = {2, 4, 6, 8, 10, 12}, s0[4] = {2, 4, 5, 6};
    o.axis = 0;
    y = run1(q_model("QuantizeLinear", 25, OBN_FLOAT, 2, xd0, OBN_FLOAT, 2, sd0, s0, OBN_UNDEFINED, NULL, o),
             OBN_FLOAT, 2, xd0, x0);
    expect_values(y, OBN_UINT8, 6, (const double[]){1, 1, 3, 2, 2, 2});
    obn_tensor_destroy(y);
}
END_TEST

START_TEST(sub_byte_targets_saturate)
{
    const int64_t d[1] = {5};
    const float x[5] = {100, -100, 2.5f, -1.5f, 0.5f}, s = 1;
    const uint8_t zu = 0;
    const int8_t zi = 0; /* int4/int2 stored sign-extended, one per byte */
    const struct {
        obn_dtype t;
        const void *z;
        double want[5];
    } cases[] = {{OBN_INT4, &zi, {7, -8, 2, -2, 0}},
                 {OBN_UINT4, &zu, {15, 0, 2, 0, 0}},
                 {OBN_INT2, &zi, {1, -2, 1, -2, 0}},
                 {OBN_UINT2, &zu, {3, 0, 2, 0, 0}}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        obn_tensor *y = run1(q_model("QuantizeLinear", 25, OBN_FLOAT, 1, d, OBN_FLOAT, 0, NULL, &s, cases[k].t,
                                     cases[k].z, NONE),
                             OBN_FLOAT, 1, d, x);
        expect_values(y, cases[k].t, 5, cases[k].want);
        obn_tensor_destroy(y);
    }
    /* output_dtype instead of a zero point */
    q_opts o = NONE;
    o.output_dtype = OBN_INT4;
    obn_tensor *y = run1(q_model("QuantizeLinear", 21, OBN_FLOAT, 1, d, OBN_FLOAT, 0, NULL, &s, OBN_UNDEFINED, NULL,
                                 o),
                         OBN_FLOAT, 1, d, x);
    expect_values(y, OBN_INT4, 5, cases[0].want);
    obn_tensor_destroy(y);
    /* DQ of int4 with zero point -8 (the type's end) */
    const int8_t q[3] = {-8, 7, 0}, z8 = -8;
    const float half = 0.5f;
    const int64_t d3[1] = {3};
    y = run1(q_model("DequantizeLinear", 21, OBN_INT4, 1, d3, OBN_FLOAT, 0, NULL, &half, OBN_INT4, &z8, NONE),
             OBN_INT4, 1, d3, q);
    expect_values(y, OBN_FLOAT, 3, (const double[]){0, 7.5, 4});
    obn_tensor_destroy(y);
}
END_TEST

START_TEST(float8_saturate_attribute)
{
    const int64_t d[1] = {4};
    const float x[4] = {1000, -1000, 464, 1}, s = 1;
    const uint8_t z = 0; /* float8e4m3fn +0 */
    /* e4m3fn: max 448 = 0x7e; 464 is the tie 448/480 -> 448; NaN 0x7f */
    for (int sat = -1; sat <= 0; sat++) {
        q_opts o = NONE;
        o.saturate = sat;
        obn_tensor *y = run1(q_model("QuantizeLinear", 19, OBN_FLOAT, 1, d, OBN_FLOAT, 0, NULL, &s, OBN_FLOAT8E4M3FN,
                                     &z, o),
                             OBN_FLOAT, 1, d, x);
        const uint8_t want_sat[4] = {0x7e, 0xfe, 0x7e, 0x38}, want_nosat[4] = {0x7f, 0xff, 0x7e, 0x38};
        ot_expect_bytes(y, OBN_FLOAT8E4M3FN, sat ? want_sat : want_nosat, 4);
        obn_tensor_destroy(y);
    }
    /* and DQ back: 0x7e * 2 = 896 */
    const uint8_t q[2] = {0x7e, 0x38};
    const float two = 2;
    const int64_t d2[1] = {2};
    obn_tensor *y = run1(q_model("DequantizeLinear", 19, OBN_FLOAT8E4M3FN, 1, d2, OBN_FLOAT, 0, NULL, &two,
                                 OBN_UNDEFINED, NULL, NONE),
                         OBN_FLOAT8E4M3FN, 1, d2, q);
    expect_values(y, OBN_FLOAT, 2, (const double[]){896, 2});
    obn_tensor_destroy(y);
}
END_TEST

START_TEST(precision_attribute)
{
    /* 2.5 + 2^-10 is half an ulp of float16 above 2.5: in float16 it rounds
     * to 2.5 and then to 2; in float the quotient rounds to 3 */
    const int64_t d[1] = {1};
    const float x = 2.5009765625f, s = 1;
    q_opts o = NONE;
    obn_tensor *y = run1(q_model("QuantizeLinear", 23, OBN_FLOAT, 1, d, OBN_FLOAT, 0, NULL, &s, OBN_UNDEFINED, NULL,
                                 o),
                         OBN_FLOAT, 1, d, &x);
    expect_values(y, OBN_UINT8, 1, (const double[]){3});
    obn_tensor_destroy(y);
    o.precision = OBN_FLOAT16;
    y = run1(q_model("QuantizeLinear", 23, OBN_FLOAT, 1, d, OBN_FLOAT, 0, NULL, &s, OBN_UNDEFINED, NULL, o),
             OBN_FLOAT, 1, d, &x);
    expect_values(y, OBN_UINT8, 1, (const double[]){2});
    obn_tensor_destroy(y);
    /* a float16 scale divides in float16 by default (version 19: x float16 too) */
    const uint16_t xh = 0x4100 /* 2.5 */, sh = 0x3c00 /* 1 */;
    y = run1(q_model("QuantizeLinear", 19, OBN_FLOAT16, 1, d, OBN_FLOAT16, 0, NULL, &sh, OBN_UNDEFINED, NULL, NONE),
             OBN_FLOAT16, 1, d, &xh);
    expect_values(y, OBN_UINT8, 1, (const double[]){2});
    obn_tensor_destroy(y);
}
END_TEST

START_TEST(dequantize_output_types)
{
    const int64_t d[1] = {2};
    const int8_t x[2] = {3, -5};
    const uint16_t sh = 0x3800; /* float16 0.5 */
    /* 19: the scale's type */
    obn_tensor *y = run1(q_model("DequantizeLinear", 19, OBN_INT8, 1, d, OBN_FLOAT16, 0, NULL, &sh, OBN_UNDEFINED,
                                 NULL, NONE),
                         OBN_INT8, 1, d, x);
    ot_expect_bytes(y, OBN_FLOAT16, (const uint16_t[]){0x3e00, 0xc100}, 2); /* 1.5, -2.5 */
    obn_tensor_destroy(y);
    /* 23: output_dtype float */
    q_opts o = NONE;
    o.output_dtype = OBN_FLOAT;
    y = run1(q_model("DequantizeLinear", 23, OBN_INT8, 1, d, OBN_FLOAT16, 0, NULL, &sh, OBN_UNDEFINED, NULL, o),
             OBN_INT8, 1, d, x);
    expect_values(y, OBN_FLOAT, 2, (const double[]){1.5, -2.5});
    obn_tensor_destroy(y);
    /* 24: float8e8m0 scale 0x80 = 2, needs output_dtype */
    const uint8_t e = 0x80;
    y = run1(q_model("DequantizeLinear", 24, OBN_INT8, 1, d, OBN_FLOAT8E8M0, 0, NULL, &e, OBN_UNDEFINED, NULL, o),
             OBN_INT8, 1, d, x);
    expect_values(y, OBN_FLOAT, 2, (const double[]){6, -10});
    obn_tensor_destroy(y);
    tb_model *m = q_model("DequantizeLinear", 24, OBN_INT8, 1, d, OBN_FLOAT8E8M0, 0, NULL, &e, OBN_UNDEFINED, NULL,
                          NONE);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "float8e8m0", "'output_dtype' is required");
    tb_free(m);
    /* uint8 with zero point 255 (the type's end), int32 without one */
    const uint8_t xu[2] = {0, 255}, z = 255;
    const float s = 0.5f;
    y = run1(q_model("DequantizeLinear", 10, OBN_UINT8, 1, d, OBN_FLOAT, 0, NULL, &s, OBN_UINT8, &z, NONE), OBN_UINT8,
             1, d, xu);
    expect_values(y, OBN_FLOAT, 2, (const double[]){-127.5, 0});
    obn_tensor_destroy(y);
    const int32_t xi[2] = {-2147483647 - 1, 1000001};
    y = run1(q_model("DequantizeLinear", 13, OBN_INT32, 1, d, OBN_FLOAT, 0, NULL, &s, OBN_UNDEFINED, NULL, NONE),
             OBN_INT32, 1, d, xi);
    expect_values(y, OBN_FLOAT, 2, (const double[]){-1073741824.0, 500000.5});
    obn_tensor_destroy(y);
}
END_TEST

START_TEST(shape_errors)
{
    const int64_t xd[2] = {2, 3}, s4[1] = {4}, s3[1] = {3}, sb[2] = {2, 2};
    const float s[4] = {1, 1, 1, 1};
    const uint8_t z[4] = {0};
    tb_model *m = q_model("QuantizeLinear", 13, OBN_FLOAT, 2, xd, OBN_FLOAT, 1, s4, s, OBN_UINT8, z, NONE);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'y_scale' ('s') has shape [4]", "a scalar or [3] (per axis 1)");
    tb_free(m);
    /* per axis before version 13 */
    m = q_model("DequantizeLinear", 10, OBN_UINT8, 2, xd, OBN_FLOAT, 1, s3, s, OBN_UINT8, z, NONE);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'x_scale'", "per-tensor quantization only before version 13");
    tb_free(m);
    /* block 2 over 3 needs 2 blocks: [2,2] is right, [2,3] is not */
    q_opts o = NONE;
    o.block_size = 2;
    const float s6[6] = {1, 1, 1, 1, 1, 1};
    const uint8_t z6[6] = {0};
    m = q_model("QuantizeLinear", 21, OBN_FLOAT, 2, xd, OBN_FLOAT, 2, (const int64_t[]){2, 3}, s6, OBN_UINT8, z6, o);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "has shape [2,3]", "[2,2] (block_size 2 along axis 1)");
    tb_free(m);
    m = q_model("QuantizeLinear", 21, OBN_FLOAT, 2, xd, OBN_FLOAT, 2, sb, s, OBN_UINT8, z, o);
    ck_assert_int_eq(ot_create_status(m), OBN_OK);
    tb_free(m);
    /* axis out of range */
    o = NONE;
    o.axis = 2;
    m = q_model("QuantizeLinear", 13, OBN_FLOAT, 2, xd, OBN_FLOAT, 1, s3, s, OBN_UINT8, z, o);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "axis 2 is out of range");
    tb_free(m);
    /* zero point of another shape than the scale */
    m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 2, xd);
    tb_add_init(m, tb_tensor(m, "s", OBN_FLOAT, 1, s3, s, 12));
    tb_add_init(m, tb_tensor(m, "z", OBN_UINT8, 0, NULL, z, 1));
    tb_node(m, "QuantizeLinear", "q", "x,s,z", "y");
    tb_output(m, "y", OBN_UINT8, 2, xd);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'y_zero_point' ('z') has shape []", "the scale has [3]");
    tb_free(m);
}
END_TEST

START_TEST(version_errors)
{
    const int64_t d[1] = {2};
    const float s = 1;
    q_opts o = NONE;
    o.axis = 0;
    tb_model *m = q_model("QuantizeLinear", 10, OBN_FLOAT, 1, d, OBN_FLOAT, 0, NULL, &s, OBN_UINT8,
                          (const uint8_t[1]){0}, o);
    ck_assert_int_eq(tb_load(m, &(obn_model *){NULL}), OBN_E_INVALID_MODEL);
    ot_expect_message("attribute 'axis' is not part of QuantizeLinear-10", (const char *)NULL);
    tb_free(m);
    o = NONE;
    o.output_dtype = OBN_FLOAT;
    m = q_model("DequantizeLinear", 21, OBN_INT8, 1, d, OBN_FLOAT, 0, NULL, &s, OBN_UNDEFINED, NULL, o);
    ck_assert_int_eq(tb_load(m, &(obn_model *){NULL}), OBN_E_INVALID_MODEL);
    ot_expect_message("attribute 'output_dtype' is not part of DequantizeLinear-21", (const char *)NULL);
    tb_free(m);
    /* int16 zero point before 21, float8 before 19 */
    m = q_model("QuantizeLinear", 19, OBN_FLOAT, 1, d, OBN_FLOAT, 0, NULL, &s, OBN_INT16, (const int16_t[1]){0}, NONE);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "'y_zero_point' ('z') has type int16");
    tb_free(m);
    m = q_model("DequantizeLinear", 13, OBN_FLOAT8E4M3FN, 1, d, OBN_FLOAT, 0, NULL, &s, OBN_UNDEFINED, NULL, NONE);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "'x' ('x') has type float8e4m3fn");
    tb_free(m);
    /* output_dtype against the zero point's type */
    o.output_dtype = OBN_INT8;
    m = q_model("QuantizeLinear", 21, OBN_FLOAT, 1, d, OBN_FLOAT, 0, NULL, &s, OBN_UINT8, (const uint8_t[1]){0}, o);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'output_dtype' is int8, but 'y_zero_point' ('z') is uint8");
    tb_free(m);
    /* version 19-21: the scale has x's type */
    const uint16_t sh = 0x3c00;
    m = q_model("QuantizeLinear", 21, OBN_FLOAT, 1, d, OBN_FLOAT16, 0, NULL, &sh, OBN_UINT8, (const uint8_t[1]){0},
                NONE);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'y_scale' ('s') has type float16, but 'x' ('x') has type float");
    tb_free(m);
}
END_TEST

START_TEST(dynamic_quantize)
{
    /* lo -1, hi 3.5: scale 4.5/255 = 0.01764706, zero point round(56.67) = 57 */
    const int64_t d[1] = {4};
    const float x[4] = {0, 2, -1, 3.5f};
    tb_model *m = tb_new(11);
    tb_input(m, "x", OBN_FLOAT, 1, d);
    tb_node(m, "DynamicQuantizeLinear", "q", "x", "y,s,z");
    tb_output(m, "y", OBN_UINT8, 1, d);
    tb_output(m, "s", OBN_FLOAT, 0, NULL);
    tb_output(m, "z", OBN_UINT8, 0, NULL);
    obn_tensor *in = ot_tensor(OBN_FLOAT, 1, d, x), *out[3];
    OT_RUN_OK(m, 1, &in, 3, out);
    expect_values(out[0], OBN_UINT8, 4, (const double[]){57, 170, 0, 255});
    ck_assert_float_eq(*(const float *)obn_tensor_cdata(out[1]), 4.5f / 255.0f);
    expect_values(out[2], OBN_UINT8, 1, (const double[]){57});
    ot_destroy(3, out);
    /* all zero: scale 1/255, zero point 0 */
    const float zeros[4] = {0};
    obn_tensor_destroy(in);
    in = ot_tensor(OBN_FLOAT, 1, d, zeros);
    OT_RUN_OK(m, 1, &in, 3, out);
    expect_values(out[0], OBN_UINT8, 4, (const double[]){0, 0, 0, 0});
    ck_assert_float_eq(*(const float *)obn_tensor_cdata(out[1]), 1.0f / 255.0f);
    expect_values(out[2], OBN_UINT8, 1, (const double[]){0});
    ot_destroy(3, out);
    obn_tensor_destroy(in);
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("quantize");
    TCase *tc = tcase_create("quantize");
    tcase_add_test(tc, quantize_rounds_half_to_even_and_saturates);
    tcase_add_test(tc, quantize_negative_scale_and_int32_input);
    tcase_add_test(tc, quantize_per_axis_negative_axis);
    tcase_add_test(tc, blocks_not_dividing_the_axis);
    tcase_add_test(tc, sub_byte_targets_saturate);
    tcase_add_test(tc, float8_saturate_attribute);
    tcase_add_test(tc, precision_attribute);
    tcase_add_test(tc, dequantize_output_types);
    tcase_add_test(tc, shape_errors);
    tcase_add_test(tc, version_errors);
    tcase_add_test(tc, dynamic_quantize);
    suite_add_tcase(s, tc);
    return ot_main(s);
}
