/* src/kernels/lowp.c: the float8/float4/e8m0 conversions at their edges
 * (largest finite value, subnormals, ties, NaN, inf, saturation on and off)
 * with the bit patterns worked out by hand from each format's layout, the
 * vectorised float32 path against the scalar one, and sub-byte packing.
 * Every comparison is exact (bit patterns; decoded values are exact). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/lowp.h"

static const unsigned SAT = OBN_MF_SAT_FINITE | OBN_MF_SAT_INF;

#define ENC(v, fmt, sat, want) ck_assert_uint_eq(obn_f64_to_minifloat((v), (fmt), (sat)), (want))

START_TEST(e4m3fn_edges)
{
    const obn_minifloat f = OBN_MF_E4M3FN; /* bias 7, 3 mantissa bits */
    ENC(1.0, f, SAT, 0x38);                /* exponent 7 */
    ENC(-1.0, f, SAT, 0xb8);
    ENC(448.0, f, 0, 0x7e);                /* 1.75 * 2^8: the largest finite */
    ENC(464.0, f, 0, 0x7e);                /* tie 448/480: to the even mantissa, 448 */
    ENC(465.0, f, 0, 0x7f);                /* rounds to 480, past the max: NaN */
    ENC(465.0, f, SAT, 0x7e);
    ENC(-1e6, f, SAT, 0xfe);
    ENC(-1e6, f, 0, 0xff);                 /* NaN keeps the sign */
    ENC(0x1p-9, f, 0, 0x01);               /* smallest subnormal */
    ENC(0x1p-10, f, 0, 0x00);              /* half of it: tie to even, 0 */
    ENC(-0x1p-10, f, 0, 0x80);             /* ... -0 */
    ENC(0x1.0001p-10, f, 0, 0x01);
    ENC(0x3p-10, f, 0, 0x02);              /* 1.5 steps: tie to 2 */
    ENC(0x7p-9, f, 0, 0x07);               /* largest subnormal */
    ENC(0x1p-6, f, 0, 0x08);               /* smallest normal */
    ENC(0xfp-10, f, 0, 0x08);              /* 7.5 steps: tie to 8, the smallest normal */
    ENC(-0.0, f, 0, 0x80);
    ENC(NAN, f, SAT, 0x7f);
    ENC(-NAN, f, SAT, 0xff);
    ENC(INFINITY, f, SAT, 0x7e);
    ENC(-INFINITY, f, SAT, 0xfe);
    ENC(INFINITY, f, 0, 0x7f);
    ENC(-INFINITY, f, 0, 0xff);
    ENC(0.4789254665374756, f, SAT, 0x2f); /* 1.9157 * 2^-2 -> 1.875 */
    ENC(1e-300, f, 0, 0x00);
    ck_assert(isnan(obn_minifloat_to_f32(0x7f, f)) && isnan(obn_minifloat_to_f32(0xff, f)));
    ck_assert(!signbit(obn_minifloat_to_f32(0x7f, f)) && signbit(obn_minifloat_to_f32(0xff, f)));
    ck_assert(obn_minifloat_to_f32(0x7e, f) == 448.0f);
    ck_assert(obn_minifloat_to_f32(0x01, f) == 0x1p-9f);
    ck_assert(obn_minifloat_to_f32(0x80, f) == 0.0f && signbit(obn_minifloat_to_f32(0x80, f)));
    ck_assert(obn_minifloat_max(f) == 448.0);
}
END_TEST

START_TEST(e4m3fnuz_edges)
{
    const obn_minifloat f = OBN_MF_E4M3FNUZ; /* bias 8, one NaN 0x80, no -0 */
    ENC(1.0, f, SAT, 0x40);
    ENC(240.0, f, 0, 0x7f);
    ENC(247.0, f, 0, 0x7f);
    ENC(248.0, f, 0, 0x80);                  /* tie 240/256 goes to 256: overflow, NaN */
    ENC(248.0, f, OBN_MF_SAT_FINITE, 0x7f);
    ENC(-248.0, f, OBN_MF_SAT_FINITE, 0xff);
    ENC(0x1p-10, f, 0, 0x01);                /* smallest subnormal */
    ENC(-0x1p-12, f, 0, 0x00);               /* rounds to zero: +0 */
    ENC(-0.0, f, SAT, 0x00);
    ENC(NAN, f, SAT, 0x80);
    ENC(-NAN, f, 0, 0x80);
    ENC(INFINITY, f, SAT, 0x7f);             /* Cast-24+: inf saturates */
    ENC(-INFINITY, f, SAT, 0xff);
    ENC(INFINITY, f, OBN_MF_SAT_FINITE, 0x80); /* Cast-19..23: inf is NaN */
    ENC(-INFINITY, f, 0, 0x80);
    ck_assert(isnan(obn_minifloat_to_f32(0x80, f)));
    ck_assert(obn_minifloat_to_f32(0xff, f) == -240.0f);
    ck_assert(obn_minifloat_to_f32(0x00, f) == 0.0f && !signbit(obn_minifloat_to_f32(0x00, f)));
}
END_TEST

START_TEST(e5m2_edges)
{
    const obn_minifloat f = OBN_MF_E5M2; /* bias 15, IEEE-like */
    ENC(1.0, f, SAT, 0x3c);
    ENC(57344.0, f, 0, 0x7b);            /* 1.75 * 2^15 */
    ENC(61439.0, f, 0, 0x7b);
    ENC(61440.0, f, 0, 0x7c);            /* tie 57344/65536: to the even one, past the max: inf */
    ENC(61440.0, f, SAT, 0x7b);
    ENC(-1e6, f, 0, 0xfc);
    ENC(0x1p-16, f, 0, 0x01);
    ENC(0x1p-14, f, 0, 0x04);            /* smallest normal */
    ENC(NAN, f, 0, 0x7e);
    ENC(-NAN, f, 0, 0xfe);
    ENC(INFINITY, f, 0, 0x7c);
    ENC(-INFINITY, f, 0, 0xfc);
    ENC(INFINITY, f, SAT, 0x7b);
    ck_assert(obn_minifloat_to_f32(0x7c, f) == INFINITY && obn_minifloat_to_f32(0xfc, f) == -INFINITY);
    ck_assert(isnan(obn_minifloat_to_f32(0x7d, f)) && isnan(obn_minifloat_to_f32(0xff, f)));
    ck_assert(signbit(obn_minifloat_to_f32(0xfe, f)));
    ck_assert(obn_minifloat_to_f32(0x01, f) == 0x1p-16f);
}
END_TEST

START_TEST(e5m2fnuz_edges)
{
    const obn_minifloat f = OBN_MF_E5M2FNUZ; /* bias 16 */
    ENC(1.0, f, SAT, 0x40);
    ENC(57344.0, f, 0, 0x7f);
    ENC(61439.0, f, 0, 0x7f);
    ENC(61440.0, f, 0, 0x80);            /* tie to 65536: overflow, NaN */
    ENC(61440.0, f, SAT, 0x7f);
    ENC(0x1p-17, f, 0, 0x01);
    ENC(0x1p-18, f, 0, 0x00);
    ENC(-0x1p-18, f, 0, 0x00);
    ENC(INFINITY, f, SAT, 0x7f);
    ENC(INFINITY, f, OBN_MF_SAT_FINITE, 0x80);
    ck_assert(obn_minifloat_to_f32(0x7f, f) == 57344.0f);
    ck_assert(obn_minifloat_to_f32(0x01, f) == 0x1p-17f);
    ck_assert(isnan(obn_minifloat_to_f32(0x80, f)));
}
END_TEST

START_TEST(e2m1_edges)
{
    const obn_minifloat f = OBN_MF_E2M1; /* 0, .5, 1, 1.5, 2, 3, 4, 6 */
    static const float values[8] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6};
    for (int c = 0; c < 8; c++) {
        ck_assert(obn_minifloat_to_f32((uint8_t)c, f) == values[c]);
        ck_assert(obn_minifloat_to_f32((uint8_t)(c | 8), f) == -values[c]);
        ENC(values[c], f, 0, c);
    }
    ENC(0.25, f, 0, 0x0); /* ties go to the even code */
    ENC(0.75, f, 0, 0x2);
    ENC(1.25, f, 0, 0x2);
    ENC(1.75, f, 0, 0x4);
    ENC(2.5, f, 0, 0x4);
    ENC(3.5, f, 0, 0x6);
    ENC(-3.5, f, 0, 0xe);
    ENC(5.0, f, 0, 0x6);
    ENC(5.01, f, 0, 0x7);
    ENC(7.0, f, 0, 0x7);  /* always saturates */
    ENC(-1e9, f, 0, 0xf);
    ENC(INFINITY, f, 0, 0x7);
    ENC(-INFINITY, f, 0, 0xf);
    ENC(-0.0, f, 0, 0x8);
    ENC(NAN, f, 0, 0x8);  /* no NaN: the -0 pattern, as ONNX's reference */
    ENC(-NAN, f, SAT, 0x8);
    ck_assert(signbit(obn_minifloat_to_f32(0x8, f)));
}
END_TEST

START_TEST(e8m0_rounding_and_range)
{
    ck_assert_uint_eq(obn_f64_to_e8m0(1.0, OBN_E8M0_UP, true), 0x7f);
    ck_assert_uint_eq(obn_f64_to_e8m0(0.125, OBN_E8M0_DOWN, false), 0x7c);
    ck_assert_uint_eq(obn_f64_to_e8m0(0.124, OBN_E8M0_UP, true), 0x7c);
    ck_assert_uint_eq(obn_f64_to_e8m0(3.0, OBN_E8M0_UP, true), 0x81);
    ck_assert_uint_eq(obn_f64_to_e8m0(3.0, OBN_E8M0_DOWN, true), 0x80);
    ck_assert_uint_eq(obn_f64_to_e8m0(3.0, OBN_E8M0_NEAREST, true), 0x81); /* tie 2/4 goes up */
    ck_assert_uint_eq(obn_f64_to_e8m0(2.9, OBN_E8M0_NEAREST, true), 0x80);
    ck_assert_uint_eq(obn_f64_to_e8m0(1.1, OBN_E8M0_UP, true), 0x80);
    ck_assert_uint_eq(obn_f64_to_e8m0(0x1p127, OBN_E8M0_UP, false), 0xfe);
    ck_assert_uint_eq(obn_f64_to_e8m0(0x1.8p127, OBN_E8M0_UP, true), 0xfe);
    ck_assert_uint_eq(obn_f64_to_e8m0(0x1.8p127, OBN_E8M0_UP, false), 0xff);
    ck_assert_uint_eq(obn_f64_to_e8m0(0x1.8p127, OBN_E8M0_DOWN, false), 0xfe);
    ck_assert_uint_eq(obn_f64_to_e8m0(0x1p-127, OBN_E8M0_NEAREST, false), 0x00);
    ck_assert_uint_eq(obn_f64_to_e8m0(0x1p-128, OBN_E8M0_DOWN, true), 0x00);
    ck_assert_uint_eq(obn_f64_to_e8m0(0x1p-128, OBN_E8M0_NEAREST, false), 0xff);
    ck_assert_uint_eq(obn_f64_to_e8m0(0x1.8p-128, OBN_E8M0_UP, false), 0x00); /* rounds up into range */
    ck_assert_uint_eq(obn_f64_to_e8m0(0x1p-1074, OBN_E8M0_UP, true), 0x00); /* a double subnormal */
    ck_assert_uint_eq(obn_f64_to_e8m0(0.0, OBN_E8M0_UP, true), 0x00);
    ck_assert_uint_eq(obn_f64_to_e8m0(0.0, OBN_E8M0_NEAREST, false), 0xff);
    ck_assert_uint_eq(obn_f64_to_e8m0(-2.0, OBN_E8M0_UP, true), 0x00);
    ck_assert_uint_eq(obn_f64_to_e8m0(-2.0, OBN_E8M0_UP, false), 0xff);
    ck_assert_uint_eq(obn_f64_to_e8m0(INFINITY, OBN_E8M0_UP, true), 0xfe);
    ck_assert_uint_eq(obn_f64_to_e8m0(INFINITY, OBN_E8M0_UP, false), 0xff);
    ck_assert_uint_eq(obn_f64_to_e8m0(NAN, OBN_E8M0_UP, true), 0xff);
    ck_assert(obn_e8m0_to_f32(0x00) == 0x1p-127f);
    ck_assert(obn_e8m0_to_f32(0xfe) == 0x1p127f);
    ck_assert(obn_e8m0_to_f32(0x7f) == 1.0f);
    ck_assert(isnan(obn_e8m0_to_f32(0xff)));
}
END_TEST

static uint32_t splitmix32(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (uint32_t)(z ^ (z >> 31));
}

/* Every float32 whose low 16 bits are one of a few patterns (0, just above
 * and below a tie position, all ones), so that all exponents, signs and
 * the rounding bits of every format are covered, plus random patterns. */
START_TEST(vector_path_matches_scalar)
{
    static const uint16_t lows[] = {0x0000, 0x0001, 0x7fff, 0x8000, 0x8001, 0xffff};
    const int64_t n_fixed = 65536 * 6, n = n_fixed + (1 << 20);
    float *x = malloc((size_t)n * sizeof *x);
    uint8_t *y = malloc((size_t)n);
    ck_assert(x && y);
    uint64_t seed = 42;
    for (int64_t i = 0; i < n; i++) {
        uint32_t u = i < n_fixed ? (uint32_t)(i / 6) << 16 | lows[i % 6] : splitmix32(&seed);
        memcpy(&x[i], &u, 4);
    }
    static const unsigned sats[] = {0, OBN_MF_SAT_FINITE, OBN_MF_SAT_FINITE | OBN_MF_SAT_INF};
    for (int fmt = OBN_MF_E4M3FN; fmt <= OBN_MF_E2M1; fmt++)
        for (int k = 0; k < 3; k++) {
            obn_f32_to_minifloat_array(x, y, n, (obn_minifloat)fmt, sats[k], 2);
            for (int64_t i = 0; i < n; i++) {
                uint8_t want = obn_f64_to_minifloat(x[i], (obn_minifloat)fmt, sats[k]);
                if (y[i] != want) {
                    uint32_t u;
                    memcpy(&u, &x[i], 4);
                    ck_abort_msg("format %d sat %u: 0x%08x -> 0x%02x, scalar 0x%02x", fmt, sats[k], u, y[i], want);
                }
            }
        }
    free(x);
    free(y);
}
END_TEST

/* Every bit pattern decodes and re-encodes to itself (NaNs to the
 * format's canonical NaN). */
START_TEST(round_trip_every_pattern)
{
    for (int fmt = OBN_MF_E4M3FN; fmt <= OBN_MF_E2M1; fmt++) {
        int patterns = fmt == OBN_MF_E2M1 ? 16 : 256;
        for (int b = 0; b < patterns; b++) {
            float v = obn_minifloat_to_f32((uint8_t)b, (obn_minifloat)fmt);
            uint8_t back = obn_f64_to_minifloat(v, (obn_minifloat)fmt, 0);
            if (isnan(v)) ck_assert(isnan(obn_minifloat_to_f32(back, (obn_minifloat)fmt)));
            else ck_assert_msg(back == b, "format %d: 0x%02x -> %g -> 0x%02x", fmt, b, v, back);
        }
    }
    for (int b = 0; b < 255; b++) ck_assert_uint_eq(obn_f64_to_e8m0(obn_e8m0_to_f32((uint8_t)b), OBN_E8M0_DOWN, false), b);
}
END_TEST

START_TEST(table_decode_and_integer_narrowing)
{
    uint8_t all[256];
    float y[256];
    for (int b = 0; b < 256; b++) all[b] = (uint8_t)b;
    obn_minifloat_to_f32_array(all, y, 256, OBN_MF_E5M2);
    for (int b = 0; b < 256; b++) {
        float want = obn_minifloat_to_f32((uint8_t)b, OBN_MF_E5M2);
        ck_assert(isnan(want) ? isnan(y[b]) : y[b] == want);
    }
    ck_assert_uint_eq(obn_subbyte_from_i64(-9, 4, true), 0x07);  /* -9 = ...10111 -> 0111 */
    ck_assert_uint_eq(obn_subbyte_from_i64(8, 4, true), 0xf8);   /* 1000 -> -8 */
    ck_assert_uint_eq(obn_subbyte_from_i64(200, 4, false), 0x08); /* 1100 1000 */
    ck_assert_uint_eq(obn_subbyte_from_i64(-3, 2, true), 0x01);
    ck_assert_uint_eq(obn_subbyte_from_i64(2, 2, true), 0xfe);
    ck_assert_uint_eq(obn_subbyte_from_i64(-1, 2, false), 0x03);
    ck_assert_uint_eq(obn_subbyte_from_i64(INT64_MIN, 4, true), 0x00);
}
END_TEST

START_TEST(pack_and_unpack)
{
    /* int4 -9..15 wrapped, as ONNX's test_cast_FLOAT_to_INT4 stores it */
    static const uint8_t packed4[13] = {0x87, 0xa9, 0xcb, 0xed, 0x0f, 0x21, 0x43, 0x65, 0x87, 0xa9, 0xcb, 0xed, 0x0f};
    uint8_t un[25], re[13];
    obn_unpack_bits(packed4, 25, 4, true, un);
    for (int i = 0; i < 25; i++) {
        int want = ((i - 9) % 16 + 16) % 16; /* -9..15 mod 16, then as int4 */
        ck_assert_int_eq((int8_t)un[i], want >= 8 ? want - 16 : want);
    }
    obn_pack_bits(un, 25, 4, re);
    ck_assert_mem_eq(re, packed4, 13);
    obn_unpack_bits(packed4, 25, 4, false, un);
    ck_assert_uint_eq(un[0], 7);
    ck_assert_uint_eq(un[1], 8);
    /* odd count: the high nibble of the last byte is zero padding */
    const uint8_t three[3] = {1, 2, 3};
    uint8_t p3[2] = {0xff, 0xff};
    obn_pack_bits(three, 3, 4, p3);
    ck_assert_uint_eq(p3[0], 0x21);
    ck_assert_uint_eq(p3[1], 0x03);
    ck_assert_int_eq(obn_packed_bytes(3, 4), 2);
    /* int2 {1,-2,-1,0,1,-2,-1}: four to a byte from the low bits */
    const int8_t two[7] = {1, -2, -1, 0, 1, -2, -1};
    uint8_t p2[2];
    obn_pack_bits((const uint8_t *)two, 7, 2, p2);
    ck_assert_uint_eq(p2[0], 0x39);
    ck_assert_uint_eq(p2[1], 0x39);
    ck_assert_int_eq(obn_packed_bytes(7, 2), 2);
    int8_t back[7];
    obn_unpack_bits(p2, 7, 2, true, (uint8_t *)back);
    ck_assert_mem_eq(back, two, 7);
    uint8_t u2[7];
    obn_unpack_bits(p2, 7, 2, false, u2);
    ck_assert_uint_eq(u2[1], 2);
    ck_assert_uint_eq(u2[2], 3);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lowp");
    TCase *t = tcase_create("lowp");
    tcase_add_test(t, e4m3fn_edges);
    tcase_add_test(t, e4m3fnuz_edges);
    tcase_add_test(t, e5m2_edges);
    tcase_add_test(t, e5m2fnuz_edges);
    tcase_add_test(t, e2m1_edges);
    tcase_add_test(t, e8m0_rounding_and_range);
    tcase_add_test(t, vector_path_matches_scalar);
    tcase_add_test(t, round_trip_every_pattern);
    tcase_add_test(t, table_decode_and_integer_narrowing);
    tcase_add_test(t, pack_and_unpack);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
