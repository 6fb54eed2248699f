/* IsNaN/IsInf, Shrink, BitShift, the Bitwise ops, BitCast and Det against values worked out here:
 * classification and shifts exactly, Shrink exactly (its arithmetic is one
 * float addition), Det against a cofactor expansion in double (1e-5
 * relative for float, 1e-12 for double) and hand-computed matrices. */
#include "kernels/half.h"
#include "op_testing.h"

static tb_model *unary_model(int opset, const char *op, obn_dtype in_dt, int rank, const int64_t *dims, obn_dtype out_dt,
                             Onnx__NodeProto **node)
{
    tb_model *m = tb_new(opset);
    tb_input(m, "x", in_dt, rank, dims);
    *node = tb_node(m, op, "n", "x", "y");
    tb_output(m, "y", out_dt, -1, NULL);
    return m;
}

START_TEST(isnan_isinf)
{
    const int64_t d6[1] = {6};
    const double xd[6] = {1, NAN, INFINITY, -INFINITY, -0.0, -NAN};
    float xf[6];
    uint16_t xh[6];
    for (int i = 0; i < 6; i++) {
        xf[i] = (float)xd[i];
        xh[i] = obn_f32_to_f16(xf[i]);
    }
    const uint8_t nan_want[6] = {0, 1, 0, 0, 0, 1};
    for (int variant = 0; variant < 3; variant++) { /* float, double, float16 */
        obn_dtype dt = variant == 0 ? OBN_FLOAT : variant == 1 ? OBN_DOUBLE : OBN_FLOAT16;
        const void *x = variant == 0 ? (const void *)xf : variant == 1 ? (const void *)xd : (const void *)xh;
        Onnx__NodeProto *n;
        tb_model *m = unary_model(9, "IsNaN", dt, 1, d6, OBN_BOOL, &n);
        obn_tensor *in = ot_tensor(dt, 1, d6, x), *y;
        OT_RUN_OK(m, 1, &in, 1, &y);
        ot_expect_bytes(y, OBN_BOOL, nan_want, 6);
        obn_tensor_destroy(y);
        tb_free(m);
        for (int mode = 0; mode < 4 && variant < 2; mode++) {
            int pos = mode & 1, neg = mode >> 1;
            m = unary_model(10, "IsInf", dt, 1, d6, OBN_BOOL, &n);
            tb_attr_int(m, n, "detect_positive", pos);
            tb_attr_int(m, n, "detect_negative", neg);
            OT_RUN_OK(m, 1, &in, 1, &y);
            const uint8_t want[6] = {0, 0, (uint8_t)pos, (uint8_t)neg, 0, 0};
            ot_expect_bytes(y, OBN_BOOL, want, 6);
            obn_tensor_destroy(y);
            tb_free(m);
        }
        obn_tensor_destroy(in);
    }
    Onnx__NodeProto *n;
    tb_model *m = unary_model(10, "IsInf", OBN_FLOAT16, 1, d6, OBN_BOOL, &n);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "\"n\"", "float16");
    tb_free(m);
    /* IsInf-20 accepts float16 and bfloat16 */
    uint16_t xb[6];
    for (int i = 0; i < 6; i++) xb[i] = obn_f32_to_bf16(xf[i]);
    const uint8_t inf_want[6] = {0, 0, 1, 1, 0, 0};
    for (int b = 0; b < 2; b++) {
        obn_dtype dt = b ? OBN_BFLOAT16 : OBN_FLOAT16;
        m = unary_model(20, "IsInf", dt, 1, d6, OBN_BOOL, &n);
        obn_tensor *in = ot_tensor(dt, 1, d6, b ? xb : xh), *y;
        OT_RUN_OK(m, 1, &in, 1, &y);
        ot_expect_bytes(y, OBN_BOOL, inf_want, 6);
        obn_tensor_destroy(in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    m = unary_model(9, "IsNaN", OBN_BFLOAT16, 1, d6, OBN_BOOL, &n);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "\"n\"", "bfloat16");
    tb_free(m);
}
END_TEST

/* The spec's formula on float, and on int8 where x +- bias leaves the
 * type's range (truncated, then wrapped like the reference's cast). */
START_TEST(shrink_formula)
{
    const int64_t d7[1] = {7};
    const float xf[7] = {-2, -1.5f, -1, 0, 1, 1.5f, 2};
    const double wf[7] = {-2 + 0.25, -1.5 + 0.25, 0, 0, 0, 1.5 - 0.25, 2 - 0.25}; /* lambd 1, bias 0.25 */
    Onnx__NodeProto *n;
    tb_model *m = unary_model(9, "Shrink", OBN_FLOAT, 1, d7, OBN_FLOAT, &n);
    tb_attr_float(m, n, "lambd", 1);
    tb_attr_float(m, n, "bias", 0.25f);
    obn_tensor *in = ot_tensor(OBN_FLOAT, 1, d7, xf), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    ot_expect_f32(y, wf, 7, 0);
    ot_destroy(1, &in);
    obn_tensor_destroy(y);
    tb_free(m);
    const int8_t xi[7] = {-128, -3, -2, 0, 2, 3, 127};
    m = unary_model(9, "Shrink", OBN_INT8, 1, d7, OBN_INT8, &n);
    tb_attr_float(m, n, "lambd", 2);
    tb_attr_float(m, n, "bias", -3.5f);
    in = ot_tensor(OBN_INT8, 1, d7, xi);
    OT_RUN_OK(m, 1, &in, 1, &y);
    /* lambd 2, bias -3.5: -128 + -3.5 = -131.5 -> -131 -> wraps to 125; -3 + -3.5 = -6.5 -> -6; 3 - -3.5 = 6.5 -> 6; 127 + 3.5 = 130.5 -> 130 -> -126 */
    const int8_t want[7] = {125, -6, 0, 0, 0, 6, -126};
    ot_expect_bytes(y, OBN_INT8, want, 7);
    ot_destroy(1, &in);
    obn_tensor_destroy(y);
    tb_free(m);
    m = unary_model(9, "Shrink", OBN_BOOL, 1, d7, OBN_BOOL, &n);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "\"n\"", "bool");
    tb_free(m);
}
END_TEST

START_TEST(bitshift_broadcast_and_width)
{
    const int64_t dx[2] = {2, 3}, ds[1] = {3};
    const uint8_t x8[6] = {1, 2, 255, 16, 128, 7}, s8[3] = {1, 7, 8};
    const uint8_t left8[6] = {2, 0, 0, 32, 0, 0}, right8[6] = {0, 0, 0, 8, 1, 0};
    const uint64_t x64[6] = {1, 3, UINT64_MAX, 5, 1, 2}, s64[3] = {63, 1, 64};
    const uint64_t left64[6] = {1ull << 63, 6, 0, 5ull << 63, 2, 0}, right64[6] = {0, 1, 0, 0, 0, 0};
    for (int wide = 0; wide < 2; wide++)
        for (int dir = 0; dir < 2; dir++) {
            obn_dtype dt = wide ? OBN_UINT64 : OBN_UINT8;
            tb_model *m = tb_new(11);
            tb_input(m, "x", dt, 2, dx);
            tb_input(m, "s", dt, 1, ds);
            tb_attr_string(m, tb_node(m, "BitShift", "b", "x,s", "z"), "direction", dir ? "RIGHT" : "LEFT");
            tb_output(m, "z", dt, -1, NULL);
            obn_tensor *in[2] = {ot_tensor(dt, 2, dx, wide ? (const void *)x64 : (const void *)x8),
                                 ot_tensor(dt, 1, ds, wide ? (const void *)s64 : (const void *)s8)},
                       *z;
            OT_RUN_OK(m, 2, in, 1, &z);
            const void *want = wide ? (dir ? (const void *)right64 : (const void *)left64) : dir ? (const void *)right8 : (const void *)left8;
            ot_expect_bytes(z, dt, want, 6);
            ot_destroy(2, in);
            obn_tensor_destroy(z);
            tb_free(m);
        }
    const char *bad[2] = {NULL, "UP"};
    for (int c = 0; c < 2; c++) {
        tb_model *m = tb_new(11);
        tb_input(m, "x", OBN_UINT8, 2, dx);
        tb_input(m, "s", OBN_UINT8, 1, ds);
        Onnx__NodeProto *n = tb_node(m, "BitShift", "b", "x,s", "z");
        if (bad[c]) tb_attr_string(m, n, "direction", bad[c]);
        tb_output(m, "z", OBN_UINT8, -1, NULL);
        OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"b\"", c ? "'direction' is 'UP'" : "'direction' is required");
        tb_free(m);
    }
    tb_model *m = tb_new(11);
    tb_input(m, "x", OBN_INT32, 2, dx);
    tb_input(m, "s", OBN_INT32, 1, ds);
    tb_attr_string(m, tb_node(m, "BitShift", "b", "x,s", "z"), "direction", "LEFT");
    tb_output(m, "z", OBN_INT32, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "'X'", "int32");
    tb_free(m);
}
END_TEST

/* BitwiseAnd/Or/Xor broadcast on signed and unsigned types, BitwiseNot. */
START_TEST(bitwise_ops)
{
    const int64_t dx[2] = {2, 2}, db[1] = {2};
    const int8_t a8[4] = {-1, 0x0F, -128, 0x55}, b8[2] = {0x3C, -86}; /* -86 = 0xAA */
    const uint16_t a16[4] = {0xFFFF, 0x0F0F, 0x8000, 0x1234}, b16[2] = {0x00FF, 0xF00F};
    const char *ops[3] = {"BitwiseAnd", "BitwiseOr", "BitwiseXor"};
    for (int wide = 0; wide < 2; wide++)
        for (int op = 0; op < 3; op++) {
            obn_dtype dt = wide ? OBN_UINT16 : OBN_INT8;
            tb_model *m = tb_new(18);
            tb_input(m, "a", dt, 2, dx);
            tb_input(m, "b", dt, 1, db);
            tb_node(m, ops[op], "w", "a,b", "c");
            tb_output(m, "c", dt, -1, NULL);
            obn_tensor *in[2] = {ot_tensor(dt, 2, dx, wide ? (const void *)a16 : (const void *)a8),
                                 ot_tensor(dt, 1, db, wide ? (const void *)b16 : (const void *)b8)},
                       *c;
            OT_RUN_OK(m, 2, in, 1, &c);
            uint16_t w16[4];
            int8_t w8[4];
            for (int i = 0; i < 4; i++) {
                unsigned x = wide ? a16[i] : (uint8_t)a8[i], y = wide ? b16[i % 2] : (uint8_t)b8[i % 2];
                unsigned r = op == 0 ? (x & y) : op == 1 ? (x | y) : (x ^ y);
                w16[i] = (uint16_t)r;
                w8[i] = (int8_t)(uint8_t)r;
            }
            ot_expect_bytes(c, dt, wide ? (const void *)w16 : (const void *)w8, 4);
            ot_destroy(2, in);
            obn_tensor_destroy(c);
            tb_free(m);
        }
    Onnx__NodeProto *n;
    tb_model *m = unary_model(18, "BitwiseNot", OBN_INT8, 2, dx, OBN_INT8, &n);
    obn_tensor *in = ot_tensor(OBN_INT8, 2, dx, a8), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    const int8_t wn[4] = {0, (int8_t)0xF0, 127, (int8_t)0xAA};
    ot_expect_bytes(y, OBN_INT8, wn, 4);
    obn_tensor_destroy(in);
    obn_tensor_destroy(y);
    tb_free(m);
    m = unary_model(18, "BitwiseNot", OBN_FLOAT, 2, dx, OBN_FLOAT, &n);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "\"n\"", "float");
    tb_free(m);
}
END_TEST

/* BitCast-26: IEEE bits of float as int32, bytes as bool (0/1), and the
 * type rules. */
START_TEST(bitcast_bits)
{
    const int64_t d3[1] = {3};
    const float xf[3] = {1.0f, -2.0f, 0.0f};
    const int32_t wi[3] = {0x3F800000, (int32_t)0xC0000000u, 0};
    Onnx__NodeProto *n;
    tb_model *m = unary_model(26, "BitCast", OBN_FLOAT, 1, d3, OBN_INT32, &n);
    tb_attr_int(m, n, "to", OBN_INT32);
    obn_tensor *in = ot_tensor(OBN_FLOAT, 1, d3, xf), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    ot_expect_bytes(y, OBN_INT32, wi, 3);
    obn_tensor_destroy(in);
    obn_tensor_destroy(y);
    tb_free(m);
    const uint8_t xb[3] = {0, 1, 7}, wb[3] = {0, 1, 1};
    m = unary_model(26, "BitCast", OBN_UINT8, 1, d3, OBN_BOOL, &n);
    tb_attr_int(m, n, "to", OBN_BOOL);
    in = ot_tensor(OBN_UINT8, 1, d3, xb);
    OT_RUN_OK(m, 1, &in, 1, &y);
    ot_expect_bytes(y, OBN_BOOL, wb, 3);
    obn_tensor_destroy(in);
    obn_tensor_destroy(y);
    tb_free(m);
    /* the 4-bit types (one per byte, int4 sign-extended) and a float8 */
    const int8_t x4[3] = {-1, 7, -8};
    const uint8_t w4[3] = {15, 7, 8}, w4b[3] = {(uint8_t)-1, 7, (uint8_t)-8};
    m = unary_model(26, "BitCast", OBN_INT4, 1, d3, OBN_UINT4, &n);
    tb_attr_int(m, n, "to", OBN_UINT4);
    in = ot_tensor(OBN_INT4, 1, d3, x4);
    OT_RUN_OK(m, 1, &in, 1, &y);
    ot_expect_bytes(y, OBN_UINT4, w4, 3);
    tb_free(m);
    m = unary_model(26, "BitCast", OBN_UINT4, 1, d3, OBN_INT4, &n);
    tb_attr_int(m, n, "to", OBN_INT4);
    obn_tensor *back = y, *y2;
    OT_RUN_OK(m, 1, &back, 1, &y2);
    ot_expect_bytes(y2, OBN_INT4, w4b, 3);
    ot_destroy(1, &back);
    obn_tensor_destroy(y2);
    obn_tensor_destroy(in);
    tb_free(m);
    const uint8_t f8[3] = {0x38, 0x7f, 0x80}; /* 1.0, NaN, -0 in float8e4m3fn */
    m = unary_model(26, "BitCast", OBN_FLOAT8E4M3FN, 1, d3, OBN_UINT8, &n);
    tb_attr_int(m, n, "to", OBN_UINT8);
    in = ot_tensor(OBN_FLOAT8E4M3FN, 1, d3, f8);
    OT_RUN_OK(m, 1, &in, 1, &y);
    ot_expect_bytes(y, OBN_UINT8, f8, 3);
    obn_tensor_destroy(in);
    obn_tensor_destroy(y);
    tb_free(m);
    struct {
        obn_dtype from;
        int to;
        obn_status code;
        const char *msg;
    } bad[] = {{OBN_FLOAT, OBN_INT64, OBN_E_INVALID_MODEL, "float (32 bits) and 'to' is int64 (64 bits)"},
               {OBN_UINT8, OBN_INT4, OBN_E_INVALID_MODEL, "uint8 (8 bits) and 'to' is int4 (4 bits)"},
               {OBN_UINT8, 14, OBN_E_UNSUPPORTED, "BitCast to complex64 is not supported"},
               {OBN_UINT8, OBN_STRING, OBN_E_INVALID_MODEL, "'to' is 8, not a type BitCast allows"}};
    for (int c = 0; c < 4; c++) {
        m = unary_model(26, "BitCast", bad[c].from, 1, d3, OBN_UINT8, &n);
        tb_attr_int(m, n, "to", bad[c].to);
        OT_EXPECT_CREATE_ERROR(m, bad[c].code, "\"n\"", bad[c].msg);
        tb_free(m);
    }
}
END_TEST

/* Determinant by cofactor expansion (independent of the LU kernel). */
static double cofactor_det(const double *a, int n)
{
    if (n == 1) return a[0];
    double sum = 0, minor[16];
    for (int c = 0; c < n; c++) {
        int k = 0;
        for (int i = 1; i < n; i++)
            for (int j = 0; j < n; j++)
                if (j != c) minor[k++] = a[i * n + j];
        sum += (c % 2 ? -1 : 1) * a[c] * cofactor_det(minor, n - 1);
    }
    return sum;
}

START_TEST(det_batches)
{
    for (int n = 1; n <= 4; n++) {
        const int64_t dims[3] = {3, n, n};
        float x[48];
        ot_fill(x, 3 * n * n, (uint64_t)n, -2, 2);
        if (n == 3) { /* a singular matrix (two equal rows) and one needing a row swap */
            for (int j = 0; j < 3; j++) x[3 + j] = x[j];
            x[9] = 0;
        }
        Onnx__NodeProto *nd;
        tb_model *m = unary_model(11, "Det", OBN_FLOAT, 3, dims, OBN_FLOAT, &nd);
        obn_tensor *in = ot_tensor(OBN_FLOAT, 3, dims, x), *y;
        OT_RUN_OK(m, 1, &in, 1, &y);
        double want[3], a[16];
        for (int b = 0; b < 3; b++) {
            for (int i = 0; i < n * n; i++) a[i] = x[b * n * n + i];
            want[b] = cofactor_det(a, n);
        }
        ot_expect_shape(y, 1, dims);
        ot_expect_f32(y, want, 3, 1e-5);
        obn_tensor_destroy(in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    /* a 2x2 double by hand: det [[2, 3], [1, 4]] = 5; a scalar output for rank 2 */
    const int64_t d22[2] = {2, 2};
    const double xd[4] = {2, 3, 1, 4};
    Onnx__NodeProto *nd;
    tb_model *m = unary_model(11, "Det", OBN_DOUBLE, 2, d22, OBN_DOUBLE, &nd);
    obn_tensor *in = ot_tensor(OBN_DOUBLE, 2, d22, xd), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    ck_assert_int_eq((int)obn_tensor_rank(y), 0);
    ck_assert(fabs(*(const double *)obn_tensor_cdata(y) - 5) < 1e-12);
    obn_tensor_destroy(in);
    obn_tensor_destroy(y);
    tb_free(m);
    /* bfloat16 from Det-22 on: det [[2, 3], [1, 4]] = 5 exactly */
    const uint16_t xb[4] = {obn_f32_to_bf16(2), obn_f32_to_bf16(3), obn_f32_to_bf16(1), obn_f32_to_bf16(4)};
    for (int opset = 11; opset <= 22; opset += 11) {
        m = unary_model(opset, "Det", OBN_BFLOAT16, 2, d22, OBN_BFLOAT16, &nd);
        if (opset == 11) {
            OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "\"n\"", "bfloat16");
            tb_free(m);
            continue;
        }
        in = ot_tensor(OBN_BFLOAT16, 2, d22, xb);
        OT_RUN_OK(m, 1, &in, 1, &y);
        const uint16_t five = obn_f32_to_bf16(5);
        ot_expect_bytes(y, OBN_BFLOAT16, &five, 1);
        obn_tensor_destroy(in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    const int64_t d23[2] = {2, 3};
    m = unary_model(11, "Det", OBN_FLOAT, 2, d23, OBN_FLOAT, &nd);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"n\"", "[2,3]: the last two dims are not square");
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("math_misc");
    TCase *t = tcase_create("math_misc");
    tcase_add_test(t, isnan_isinf);
    tcase_add_test(t, shrink_formula);
    tcase_add_test(t, bitshift_broadcast_and_width);
    tcase_add_test(t, bitwise_ops);
    tcase_add_test(t, bitcast_bits);
    tcase_add_test(t, det_batches);
    suite_add_tcase(s, t);
    return ot_main(s);
}
