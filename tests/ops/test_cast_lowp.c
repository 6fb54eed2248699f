/* Cast and CastLike to and from the element types of IR 9-13, with the
 * bit patterns worked out by hand from each format (bias, mantissa width):
 * round to nearest even at the largest finite value, at subnormals and at
 * ties, saturate=1/0, NaN and inf per type, the FNUZ inf rule that changed in
 * Cast-24, float8e8m0's round_mode, float4e2m1, the sub-byte integers (round
 * to nearest even, then keep the low bits), and the versions that refuse
 * them. Every expectation is exact (bit patterns). */
#include "op_testing.h"

typedef struct {
    int saturate;           /* -1: attribute absent */
    const char *round_mode; /* NULL: absent */
} cast_opts;

static const cast_opts DEFAULTS = {-1, NULL};

static tb_model *cast_model(int version, const char *op, obn_dtype from, obn_dtype to, int64_t n, cast_opts o)
{
    const int64_t d[1] = {n}, one[1] = {1};
    tb_model *m = tb_new(version);
    tb_input(m, "x", from, 1, d);
    Onnx__NodeProto *node;
    if (strcmp(op, "CastLike") == 0) {
        uint8_t zeros[8] = {0};
        tb_add_init(m, tb_tensor(m, "like", to, 1, one, zeros, obn_dtype_size(to))); /* one element */
        node = tb_node(m, "CastLike", "c", "x,like", "y");
    } else {
        node = tb_node(m, "Cast", "c", "x", "y");
        tb_attr_int(m, node, "to", to);
    }
    if (o.saturate >= 0) tb_attr_int(m, node, "saturate", o.saturate);
    if (o.round_mode) tb_attr_string(m, node, "round_mode", o.round_mode);
    tb_output(m, "y", to, -1, NULL);
    return m;
}

static obn_tensor *run_cast(int version, const char *op, obn_dtype from, obn_dtype to, int64_t n, const void *x,
                            cast_opts o)
{
    const int64_t d[1] = {n};
    tb_model *m = cast_model(version, op, from, to, n, o);
    obn_tensor *in = ot_tensor(from, 1, d, x), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    obn_tensor_destroy(in);
    tb_free(m);
    return y;
}

/* Cast and CastLike give the same bytes. */
static void expect_cast(int version, obn_dtype from, obn_dtype to, int64_t n, const void *x, cast_opts o,
                        const void *want)
{
    static const char *const ops[] = {"Cast", "CastLike"};
    for (int k = 0; k < 2; k++) {
        obn_tensor *y = run_cast(version, ops[k], from, to, n, x, o);
        ck_assert_int_eq(obn_tensor_dtype(y), to);
        ck_assert_int_eq(obn_tensor_numel(y), n);
        const uint8_t *got = obn_tensor_cdata(y), *w = want;
        size_t es = obn_dtype_size(to);
        for (int64_t i = 0; i < n * (int64_t)es; i++)
            ck_assert_msg(got[i] == w[i], "%s-%d %s -> %s: byte %lld is 0x%02x, expected 0x%02x", ops[k], version,
                          obn_dtype_name(from), obn_dtype_name(to), (long long)i, got[i], w[i]);
        obn_tensor_destroy(y);
    }
}

START_TEST(float_to_e4m3fn)
{
    /* bias 7: max 448 = 0x7e, 464 is the tie 448/480 (to even: 448), 465
     * rounds to 480, past the max; 2^-10 is half the smallest subnormal */
    const float x[9] = {448, 464, 465, -1e6f, 0x1p-10f, -0x1p-10f, INFINITY, -INFINITY, NAN};
    const uint8_t sat[9] = {0x7e, 0x7e, 0x7e, 0xfe, 0x00, 0x80, 0x7e, 0xfe, 0x7f};
    const uint8_t nosat[9] = {0x7e, 0x7e, 0x7f, 0xff, 0x00, 0x80, 0x7f, 0xff, 0x7f};
    for (int v = 19; v <= 25; v += 6) {
        expect_cast(v, OBN_FLOAT, OBN_FLOAT8E4M3FN, 9, x, DEFAULTS, sat);
        expect_cast(v, OBN_FLOAT, OBN_FLOAT8E4M3FN, 9, x, (cast_opts){0, NULL}, nosat);
    }
    /* long enough for the parallel vector path: the same pattern repeated */
    enum { N = 40000 };
    static float big[N];
    static uint8_t want[N];
    for (int i = 0; i < N; i++) {
        big[i] = x[i % 9];
        want[i] = sat[i % 9];
    }
    expect_cast(25, OBN_FLOAT, OBN_FLOAT8E4M3FN, N, big, (cast_opts){1, NULL}, want);
}
END_TEST

START_TEST(fnuz_inf_rule_changed_in_24)
{
    const float x[5] = {INFINITY, -INFINITY, 248, -0.0f, NAN};
    /* E4M3FNUZ (bias 8, max 240 = 0x7f, NaN 0x80, no -0); 248 ties to 256 */
    const uint8_t v19[5] = {0x80, 0x80, 0x7f, 0x00, 0x80}, v24[5] = {0x7f, 0xff, 0x7f, 0x00, 0x80};
    const uint8_t nosat[5] = {0x80, 0x80, 0x80, 0x00, 0x80};
    expect_cast(19, OBN_FLOAT, OBN_FLOAT8E4M3FNUZ, 5, x, DEFAULTS, v19);
    expect_cast(23, OBN_FLOAT, OBN_FLOAT8E4M3FNUZ, 5, x, DEFAULTS, v19);
    expect_cast(24, OBN_FLOAT, OBN_FLOAT8E4M3FNUZ, 5, x, DEFAULTS, v24);
    expect_cast(25, OBN_FLOAT, OBN_FLOAT8E4M3FNUZ, 5, x, (cast_opts){0, NULL}, nosat);
    /* E5M2FNUZ (bias 16, max 57344 = 0x7f) */
    const float y[3] = {INFINITY, 61440, 0x1p-17f};
    const uint8_t w21[3] = {0x80, 0x7f, 0x01}, w25[3] = {0x7f, 0x7f, 0x01};
    expect_cast(21, OBN_FLOAT, OBN_FLOAT8E5M2FNUZ, 3, y, DEFAULTS, w21);
    expect_cast(25, OBN_FLOAT, OBN_FLOAT8E5M2FNUZ, 3, y, DEFAULTS, w25);
}
END_TEST

START_TEST(other_sources_to_float8)
{
    /* E5M2 (bias 15): 61440 is the tie 57344/65536, to even: overflow */
    const float f[4] = {61439, 61440, INFINITY, 0x1p-16f};
    const uint8_t e5_sat[4] = {0x7b, 0x7b, 0x7b, 0x01}, e5_nosat[4] = {0x7b, 0x7c, 0x7c, 0x01};
    expect_cast(25, OBN_FLOAT, OBN_FLOAT8E5M2, 4, f, DEFAULTS, e5_sat);
    expect_cast(25, OBN_FLOAT, OBN_FLOAT8E5M2, 4, f, (cast_opts){0, NULL}, e5_nosat);
    /* double: 1 + 2^-4 + 2^-30 is just above the E4M3 tie 1/1.125; through
     * float it would become the tie itself and round to 1.0 */
    const double d[2] = {1.0625 + 0x1p-30, 1.0625};
    const uint8_t wd[2] = {0x39, 0x38};
    expect_cast(19, OBN_DOUBLE, OBN_FLOAT8E4M3FN, 2, d, DEFAULTS, wd);
    /* float16 65504 rounds past the E5M2 max; bfloat16 1.0625 is a tie */
    const uint16_t h[1] = {0x7bff}, bf[1] = {0x3f88};
    expect_cast(19, OBN_FLOAT16, OBN_FLOAT8E5M2, 1, h, DEFAULTS, (const uint8_t[]){0x7b});
    expect_cast(19, OBN_FLOAT16, OBN_FLOAT8E5M2, 1, h, (cast_opts){0, NULL}, (const uint8_t[]){0x7c});
    expect_cast(19, OBN_BFLOAT16, OBN_FLOAT8E4M3FN, 1, bf, DEFAULTS, (const uint8_t[]){0x38});
    /* integers: 300 -> 288 (1.125 * 256), -17 ties 16/18 -> -16, 1000 saturates */
    const int32_t i[3] = {300, -17, 1000};
    expect_cast(19, OBN_INT32, OBN_FLOAT8E4M3FN, 3, i, DEFAULTS, (const uint8_t[]){0x79, 0xd8, 0x7e});
    const uint8_t b[2] = {1, 0};
    expect_cast(19, OBN_BOOL, OBN_FLOAT8E5M2, 2, b, DEFAULTS, (const uint8_t[]){0x3c, 0x00});
}
END_TEST

START_TEST(float8_to_others)
{
    /* E4M3FN 0xb8 = -1, 0x3c = 1.5, 0x7f = NaN, 0x01 = 2^-9, 0x80 = -0 */
    const uint8_t x[5] = {0xb8, 0x3c, 0x7f, 0x01, 0x80};
    const float wf[5] = {-1, 1.5f, NAN, 0x1p-9f, -0.0f};
    obn_tensor *y = run_cast(19, "Cast", OBN_FLOAT8E4M3FN, OBN_FLOAT, 5, x, DEFAULTS);
    const float *got = obn_tensor_cdata(y);
    for (int k = 0; k < 5; k++)
        ck_assert(isnan(wf[k]) ? isnan(got[k]) : memcmp(&got[k], &wf[k], 4) == 0);
    obn_tensor_destroy(y);
    expect_cast(19, OBN_FLOAT8E4M3FN, OBN_FLOAT16, 5, x, DEFAULTS,
                (const uint16_t[]){0xbc00, 0x3e00, 0x7e00, 0x1800, 0x8000});
    expect_cast(19, OBN_FLOAT8E4M3FN, OBN_INT32, 5, x, DEFAULTS, (const int32_t[]){-1, 1, 0, 0, 0});
    expect_cast(19, OBN_FLOAT8E4M3FN, OBN_BOOL, 5, x, DEFAULTS, (const uint8_t[]){1, 1, 1, 1, 0});
    /* between float8 types: E5M2 57344 saturates in E4M3FN; -0 has no FNUZ
     * form; 2^-9 is E4M3FNUZ's second subnormal; NaN maps to NaN */
    expect_cast(19, OBN_FLOAT8E5M2, OBN_FLOAT8E4M3FN, 2, "\x7b\xfe", DEFAULTS, "\x7e\xff");
    expect_cast(19, OBN_FLOAT8E5M2, OBN_FLOAT8E4M3FN, 1, "\x7b", (cast_opts){0, NULL}, "\x7f");
    expect_cast(19, OBN_FLOAT8E4M3FN, OBN_FLOAT8E4M3FNUZ, 3, "\x80\x01\x7f", DEFAULTS, "\x00\x02\x80");
    expect_cast(19, OBN_FLOAT8E4M3FN, OBN_FLOAT8E5M2, 2, "\x7f\x7e", DEFAULTS, "\x7e\x5f");
}
END_TEST

START_TEST(e8m0_round_modes)
{
    /* 3 = 1.5 * 2: up 4, down 2, nearest is a tie, up; 2.9 nearest 2;
     * 3e38 = 1.76 * 2^127: past 2^127 except rounding down */
    const float x[5] = {3, 2.9f, 0, 3e38f, NAN};
    const uint8_t up[5] = {0x81, 0x81, 0x00, 0xfe, 0xff}, down[5] = {0x80, 0x80, 0x00, 0xfe, 0xff};
    const uint8_t nearest[5] = {0x81, 0x80, 0x00, 0xfe, 0xff}, nearest_nosat[5] = {0x81, 0x80, 0xff, 0xff, 0xff};
    expect_cast(24, OBN_FLOAT, OBN_FLOAT8E8M0, 5, x, DEFAULTS, up);
    expect_cast(25, OBN_FLOAT, OBN_FLOAT8E8M0, 5, x, (cast_opts){-1, "down"}, down);
    expect_cast(25, OBN_FLOAT, OBN_FLOAT8E8M0, 5, x, (cast_opts){1, "nearest"}, nearest);
    expect_cast(25, OBN_FLOAT, OBN_FLOAT8E8M0, 5, x, (cast_opts){0, "nearest"}, nearest_nosat);
    /* back: 2^-127 is a float subnormal and 0 in float16; 2^16 is inf there */
    const uint8_t e[3] = {0x00, 0x8f, 0xff};
    expect_cast(24, OBN_FLOAT8E8M0, OBN_FLOAT, 3, e, DEFAULTS, (const float[]){0x1p-127f, 65536.0f, NAN});
    expect_cast(24, OBN_FLOAT8E8M0, OBN_FLOAT16, 3, e, DEFAULTS, (const uint16_t[]){0x0000, 0x7c00, 0x7e00});
}
END_TEST

START_TEST(float4e2m1)
{
    /* 0, .5, 1, 1.5, 2, 3, 4, 6: 5 ties 4/6 to 4 (even code 6); NaN becomes
     * 0x8 as in ONNX's reference; out of range and inf clamp to 6 */
    const float x[8] = {5, 5.01f, 0.25f, 1.75f, NAN, -INFINITY, 100, -0.0f};
    const uint8_t w[8] = {0x6, 0x7, 0x0, 0x4, 0x8, 0xf, 0x7, 0x8};
    expect_cast(23, OBN_FLOAT, OBN_FLOAT4E2M1, 8, x, DEFAULTS, w);
    expect_cast(25, OBN_FLOAT, OBN_FLOAT4E2M1, 8, x, (cast_opts){0, NULL}, w); /* saturate does not apply */
    expect_cast(23, OBN_FLOAT4E2M1, OBN_FLOAT, 3, "\x07\x0f\x08", DEFAULTS, (const float[]){6, -6, -0.0f});
    expect_cast(23, OBN_FLOAT4E2M1, OBN_FLOAT8E4M3FN, 2, "\x07\x01", DEFAULTS, "\x4c\x30");
}
END_TEST

START_TEST(sub_byte_integers)
{
    /* round to nearest even, then keep the low bits (two's complement) */
    const float x[6] = {-9, 7.5f, 8.5f, -0.5f, 2.5f, 15};
    expect_cast(21, OBN_FLOAT, OBN_INT4, 6, x, DEFAULTS, (const int8_t[]){7, -8, -8, 0, 2, -1});
    expect_cast(21, OBN_FLOAT, OBN_UINT4, 6, x, DEFAULTS, (const uint8_t[]){7, 8, 8, 0, 2, 15});
    const float y[3] = {3.5f, -1, -3};
    expect_cast(25, OBN_FLOAT, OBN_UINT2, 3, y, DEFAULTS, (const uint8_t[]){0, 3, 1});
    expect_cast(25, OBN_FLOAT, OBN_INT2, 3, y, DEFAULTS, (const int8_t[]){0, -1, 1});
    const uint8_t u8[2] = {200, 7};
    expect_cast(21, OBN_UINT8, OBN_INT4, 2, u8, DEFAULTS, (const int8_t[]){-8, 7});
    const int64_t i64[2] = {-1, 6};
    expect_cast(25, OBN_INT64, OBN_UINT2, 2, i64, DEFAULTS, (const uint8_t[]){3, 2});
    /* and out: exact values */
    const int8_t i4[3] = {-8, 7, 0};
    expect_cast(21, OBN_INT4, OBN_FLOAT, 3, i4, DEFAULTS, (const float[]){-8, 7, 0});
    expect_cast(21, OBN_INT4, OBN_INT8, 3, i4, DEFAULTS, (const int8_t[]){-8, 7, 0});
    expect_cast(21, OBN_INT4, OBN_UINT8, 3, i4, DEFAULTS, (const uint8_t[]){248, 7, 0});
    expect_cast(21, OBN_INT4, OBN_BOOL, 3, i4, DEFAULTS, (const uint8_t[]){1, 1, 0});
    expect_cast(25, OBN_UINT4, OBN_INT2, 2, "\x07\x0a", DEFAULTS, (const int8_t[]){-1, -2});
    expect_cast(25, OBN_INT2, OBN_FLOAT16, 2, "\xfe\x01", DEFAULTS, (const uint16_t[]){0xc000, 0x3c00});
    expect_cast(21, OBN_BOOL, OBN_INT4, 2, "\x01\x00", DEFAULTS, "\x01\x00");
    expect_cast(21, OBN_INT4, OBN_FLOAT8E4M3FN, 2, "\xf8\x07", DEFAULTS, "\xd0\x4e"); /* -2^3, 1.75 * 2^2 */
}
END_TEST

START_TEST(versions_refuse_types_they_lack)
{
    static const struct {
        int version;
        obn_dtype from, to;
        const char *version_name, *type;
    } cases[] = {
        {13, OBN_FLOAT, OBN_FLOAT8E4M3FN, "Cast-13", "float8e4m3fn"},
        {19, OBN_FLOAT, OBN_INT4, "Cast-19", "int4"},
        {21, OBN_FLOAT4E2M1, OBN_FLOAT, "Cast-21", "float4e2m1"},
        {23, OBN_FLOAT, OBN_FLOAT8E8M0, "Cast-23", "float8e8m0"},
        {24, OBN_UINT2, OBN_FLOAT, "Cast-24", "uint2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tb_model *m = cast_model(cases[i].version, "Cast", cases[i].from, cases[i].to, 2, DEFAULTS);
        OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, cases[i].version_name, "does not support element type",
                               cases[i].type);
        tb_free(m);
    }
    tb_model *m = cast_model(15, "CastLike", OBN_FLOAT8E5M2, OBN_FLOAT, 2, DEFAULTS);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "CastLike-15 does not support element type float8e5m2");
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cast_lowp");
    TCase *t = tcase_create("cast_lowp");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, float_to_e4m3fn);
    tcase_add_test(t, fnuz_inf_rule_changed_in_24);
    tcase_add_test(t, other_sources_to_float8);
    tcase_add_test(t, float8_to_others);
    tcase_add_test(t, e8m0_round_modes);
    tcase_add_test(t, float4e2m1);
    tcase_add_test(t, sub_byte_integers);
    tcase_add_test(t, versions_refuse_types_they_lack);
    suite_add_tcase(s, t);
    return ot_main(s);
}
