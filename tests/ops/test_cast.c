/* Cast and CastLike between the storable types: exact expectations written
 * out by hand (truncation toward zero, saturation of out-of-range floats,
 * wrap-around of integer narrowing, bool as != 0, float16/bfloat16 rounding
 * to nearest even), Cast-1's string form, and the refused string to float8 cast (casts
 * to and from strings: tests/ops/test_strings.c). */
#include "op_testing.h"

static obn_tensor *cast(int version, obn_dtype from, obn_dtype to, int64_t n, const void *x, const char *to_name)
{
    const int64_t d[1] = {n};
    tb_model *m = tb_new(version);
    tb_input(m, "x", from, 1, d);
    Onnx__NodeProto *node = tb_node(m, "Cast", "c", "x", "y");
    if (to_name) tb_attr_string(m, node, "to", to_name);
    else tb_attr_int(m, node, "to", to);
    tb_output(m, "y", to, -1, NULL);
    obn_tensor *in = ot_tensor(from, 1, d, x), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    obn_tensor_destroy(in);
    tb_free(m);
    return y;
}

START_TEST(float_to_integers)
{
    const float x[6] = {2.9f, -2.9f, NAN, 1e20f, -1e20f, 300.0f};
    obn_tensor *y = cast(13, OBN_FLOAT, OBN_INT64, 6, x, NULL);
    const int64_t w64[6] = {2, -2, 0, INT64_MAX, INT64_MIN, 300};
    ot_expect_i64(y, w64, 6);
    obn_tensor_destroy(y);
    y = cast(13, OBN_FLOAT, OBN_UINT8, 6, x, NULL);
    const uint8_t w8[6] = {2, 254, 0, 255, 0, 44}; /* wrap of the truncated value */
    ot_expect_bytes(y, OBN_UINT8, w8, 6);
    obn_tensor_destroy(y);
    y = cast(13, OBN_FLOAT, OBN_BOOL, 6, x, NULL);
    const uint8_t wb[6] = {1, 1, 1, 1, 1, 1};
    ot_expect_bytes(y, OBN_BOOL, wb, 6);
    obn_tensor_destroy(y);
}
END_TEST

START_TEST(integers_between_themselves)
{
    const int64_t x[4] = {-1, 256, 70000, 0};
    obn_tensor *y = cast(13, OBN_INT64, OBN_INT16, 4, x, NULL);
    const int16_t w16[4] = {-1, 256, 4464, 0};
    ot_expect_bytes(y, OBN_INT16, w16, 4);
    obn_tensor_destroy(y);
    y = cast(13, OBN_INT64, OBN_UINT32, 4, x, NULL);
    const uint32_t wu[4] = {UINT32_MAX, 256, 70000, 0};
    ot_expect_bytes(y, OBN_UINT32, wu, 4);
    obn_tensor_destroy(y);
    const int32_t x32[3] = {-5, 7, INT32_MIN};
    y = cast(13, OBN_INT32, OBN_INT64, 3, x32, NULL);
    const int64_t w64[3] = {-5, 7, INT32_MIN};
    ot_expect_i64(y, w64, 3);
    obn_tensor_destroy(y);
    const uint64_t big[1] = {UINT64_MAX};
    y = cast(13, OBN_UINT64, OBN_DOUBLE, 1, big, NULL);
    const double wd[1] = {18446744073709551616.0};
    ot_expect_bytes(y, OBN_DOUBLE, wd, 1);
    obn_tensor_destroy(y);
    const int64_t i64[3] = {-3, 0, 9};
    y = cast(13, OBN_INT64, OBN_FLOAT, 3, i64, NULL);
    const double wf[3] = {-3, 0, 9};
    ot_expect_f32(y, wf, 3, 0);
    obn_tensor_destroy(y);
}
END_TEST

START_TEST(half_types)
{
    /* 1 + 2^-11 is halfway between two float16 values: ties to even (1.0);
     * 1 + 3*2^-11 rounds up to 1 + 2^-9 */
    const float x[4] = {1.0f + 1.0f / 2048, 1.0f + 3.0f / 2048, 65520.0f, -0.0f};
    obn_tensor *y = cast(13, OBN_FLOAT, OBN_FLOAT16, 4, x, NULL);
    const uint16_t wh[4] = {0x3C00, 0x3C02, 0x7C00, 0x8000};
    ot_expect_bytes(y, OBN_FLOAT16, wh, 4);
    obn_tensor_destroy(y);
    y = cast(13, OBN_FLOAT, OBN_BFLOAT16, 4, x, NULL);
    const uint16_t wb[4] = {0x3F80, 0x3F80, 0x4780, 0x8000};
    ot_expect_bytes(y, OBN_BFLOAT16, wb, 4);
    obn_tensor_destroy(y);
    const uint16_t h[2] = {0x3555, 0xC000}; /* 0.33325195..., -2 */
    y = cast(13, OBN_FLOAT16, OBN_DOUBLE, 2, h, NULL);
    const double wd[2] = {0.333251953125, -2};
    ot_expect_bytes(y, OBN_DOUBLE, wd, 2);
    obn_tensor_destroy(y);
}
END_TEST

START_TEST(cast1_string_form_and_castlike)
{
    const float x[2] = {1.5f, -7.25f};
    obn_tensor *y = cast(1, OBN_FLOAT, OBN_DOUBLE, 2, x, "DOUBLE");
    const double wd[2] = {1.5, -7.25};
    ot_expect_bytes(y, OBN_DOUBLE, wd, 2);
    obn_tensor_destroy(y);
    /* CastLike takes the target type from its second input */
    const int64_t d[1] = {2};
    tb_model *m = tb_new(15);
    tb_input(m, "x", OBN_FLOAT, 1, d);
    tb_input(m, "like", OBN_INT32, 1, d);
    tb_node(m, "CastLike", "cl", "x,like", "y");
    tb_output(m, "y", OBN_INT32, -1, NULL);
    const int32_t like[2] = {0, 0}, wi[2] = {1, -7};
    obn_tensor *in[2] = {ot_tensor(OBN_FLOAT, 1, d, x), ot_tensor(OBN_INT32, 1, d, like)};
    OT_RUN_OK(m, 2, in, 1, &y);
    ot_expect_bytes(y, OBN_INT32, wi, 2);
    ot_destroy(2, in);
    obn_tensor_destroy(y);
    tb_free(m);
}
END_TEST

START_TEST(cast_errors)
{
    const int64_t d[1] = {2};
    tb_model *m = tb_new(19); /* strings cast to numbers of IR <= 8 only */
    tb_input(m, "x", OBN_STRING, 1, d);
    tb_attr_int(m, tb_node(m, "Cast", "c", "x", "y"), "to", OBN_FLOAT8E4M3FN);
    tb_output(m, "y", OBN_FLOAT8E4M3FN, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "\"c\"", "string", "float8e4m3fn");
    tb_free(m);
    m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 1, d);
    tb_attr_int(m, tb_node(m, "Cast", "c", "x", "y"), "to", 99);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'to' is 99");
    tb_free(m);
    m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 1, d);
    tb_node(m, "Cast", "c", "x", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'to' is required");
    tb_free(m);
    m = tb_new(9);
    tb_input(m, "x", OBN_FLOAT, 1, d);
    tb_attr_int(m, tb_node(m, "Cast", "c", "x", "y"), "to", OBN_BFLOAT16);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "bfloat16", "Cast-9");
    tb_free(m);
}
END_TEST

/* Cast/CastLike 19+ (saturate) and 24+ (round_mode): both only concern the
 * float8 targets, so casts between the other types give the same results
 * whatever their values (1e30 to float16 is +inf either way); each is
 * refused before its version and checked for a valid value. */
START_TEST(saturate_and_round_mode)
{
    const int64_t d[1] = {2};
    const float x[2] = {1e30f, -2.5f};
    const uint16_t want_h[2] = {0x7C00, 0xC100}; /* +inf, -2.5 */
    const int32_t like[2] = {0, 0}, want_i[2] = {0, -2};
    for (int op = 0; op < 2; op++) {
        for (int saturate = 0; saturate < 2; saturate++) {
            tb_model *m = tb_new(op ? 25 : 24);
            tb_input(m, "x", OBN_FLOAT, 1, d);
            if (op) tb_input(m, "like", OBN_FLOAT16, 1, d);
            Onnx__NodeProto *n = tb_node(m, op ? "CastLike" : "Cast", "c", op ? "x,like" : "x", "y");
            if (!op) tb_attr_int(m, n, "to", OBN_FLOAT16);
            tb_attr_int(m, n, "saturate", saturate);
            tb_attr_string(m, n, "round_mode", saturate ? "nearest" : "down");
            tb_output(m, "y", OBN_FLOAT16, -1, NULL);
            obn_tensor *in[2] = {ot_tensor(OBN_FLOAT, 1, d, x), ot_tensor(OBN_FLOAT16, 1, d, like)}, *y;
            OT_RUN_OK(m, op ? 2 : 1, in, 1, &y);
            ot_expect_bytes(y, OBN_FLOAT16, want_h, 2);
            ot_destroy(2, in);
            obn_tensor_destroy(y);
            tb_free(m);
        }
    }
    /* float -> int32 under Cast-19 with saturate=0 as under Cast-13: 2^32 wraps to 0, -2.5 truncates to -2 */
    const float xi[2] = {4294967296.0f, -2.5f};
    tb_model *m = tb_new(19);
    tb_input(m, "x", OBN_FLOAT, 1, d);
    Onnx__NodeProto *n = tb_node(m, "Cast", "c", "x", "y");
    tb_attr_int(m, n, "to", OBN_INT32);
    tb_attr_int(m, n, "saturate", 0);
    tb_output(m, "y", OBN_INT32, -1, NULL);
    obn_tensor *in = ot_tensor(OBN_FLOAT, 1, d, xi), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    ot_expect_bytes(y, OBN_INT32, want_i, 2);
    obn_tensor_destroy(in);
    obn_tensor_destroy(y);
    tb_free(m);
    /* the attributes before their versions, and bad values */
    static const struct {
        int version;
        const char *attr, *value; /* value NULL: int 1 */
        obn_status code;
        const char *message;
    } bad[] = {
        {13, "saturate", NULL, OBN_E_INVALID_MODEL, "'saturate' is not part of Cast-13"},
        {23, "round_mode", "up", OBN_E_INVALID_MODEL, "'round_mode' is not part of Cast-23"},
        {24, "round_mode", "sideways", OBN_E_INVALID_MODEL, "'round_mode' is 'sideways'"},
        {19, "saturate", "", OBN_E_INVALID_MODEL, "'saturate'"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        m = tb_new(bad[k].version);
        tb_input(m, "x", OBN_FLOAT, 1, d);
        n = tb_node(m, "Cast", "c", "x", "y");
        tb_attr_int(m, n, "to", OBN_DOUBLE);
        if (!bad[k].value) tb_attr_int(m, n, bad[k].attr, 1);
        else if (bad[k].value[0]) tb_attr_string(m, n, bad[k].attr, bad[k].value);
        else tb_attr_int(m, n, bad[k].attr, 2); /* saturate is 0 or 1 */
        tb_output(m, "y", OBN_DOUBLE, -1, NULL);
        OT_EXPECT_CREATE_ERROR(m, bad[k].code, "\"c\"", bad[k].message);
        tb_free(m);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cast");
    TCase *t = tcase_create("cast");
    tcase_add_test(t, float_to_integers);
    tcase_add_test(t, integers_between_themselves);
    tcase_add_test(t, half_types);
    tcase_add_test(t, cast1_string_form_and_castlike);
    tcase_add_test(t, cast_errors);
    tcase_add_test(t, saturate_and_round_mode);
    suite_add_tcase(s, t);
    return ot_main(s);
}
