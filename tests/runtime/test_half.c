/* float16 / bfloat16 <-> float conversions (src/kernels/half.h), against
 * IEEE 754 directly: exhaustive over all 65536 half values, round to
 * nearest with ties to even at every midpoint, subnormals, overflow,
 * infinities and NaNs. */
#include <float.h>
#include <math.h>
#include <stdint.h>

#include "kernels/half.h"
#include "tb_check.h"

/* ck_assert_* records every call through a pipe; in loops of 10^5 checks
 * only failures should cost anything */
#define EXPECT(cond, ...)                       \
    do {                                        \
        if (!(cond)) ck_abort_msg(__VA_ARGS__); \
    } while (0)

static int f16_is_nan(uint16_t h) { return (h & 0x7c00u) == 0x7c00u && (h & 0x3ffu); }
static int bf16_is_nan(uint16_t b) { return (b & 0x7f80u) == 0x7f80u && (b & 0x7fu); }

/* The value of a binary16 bit pattern, from its definition. */
static double f16_value(uint16_t h)
{
    int sign = h >> 15, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    double v;
    if (exp == 0x1f) v = man ? NAN : INFINITY;
    else if (exp == 0) v = ldexp(man, -24);
    else v = ldexp(1024 + man, exp - 25);
    return sign ? -v : v;
}

START_TEST(f16_to_f32_is_exact_for_every_value)
{
    for (uint32_t h = 0; h < 65536; h++) {
        float f = obn_f16_to_f32((uint16_t)h);
        double want = f16_value((uint16_t)h);
        if (f16_is_nan((uint16_t)h)) {
            EXPECT(isnan(f), "0x%04x should be NaN", h);
            EXPECT(!!signbit(f) == (int)(h >> 15), "sign of 0x%04x", h);
        } else {
            EXPECT((double)f == want && !!signbit(f) == (int)(h >> 15), "0x%04x -> %a, expected %a", h,
                          (double)f, want);
        }
    }
}
END_TEST

START_TEST(f16_round_trip_exhaustive)
{
    for (uint32_t h = 0; h < 65536; h++) {
        uint16_t back = obn_f32_to_f16(obn_f16_to_f32((uint16_t)h));
        if (f16_is_nan((uint16_t)h)) {
            /* NaN stays NaN with its sign; quiet NaNs keep their payload,
             * signalling ones are quietened */
            EXPECT(f16_is_nan(back) && (back & 0x8000u) == (h & 0x8000u) && (back & 0x200u),
                          "NaN 0x%04x -> 0x%04x", h, back);
            if (h & 0x200u) EXPECT(back == h, "quiet NaN 0x%04x -> 0x%04x", h, back);
        } else {
            EXPECT(back == h, "0x%04x -> 0x%04x", h, back);
        }
    }
}
END_TEST

/* For every pair of neighbouring finite halves a < b of either sign, the
 * exact midpoint (representable in float: 12 significant bits) rounds to
 * the one with an even significand, and one float ulp either side rounds to
 * the nearer one. Covers subnormals and the subnormal/normal boundary. */
START_TEST(f32_to_f16_ties_to_even_at_every_midpoint)
{
    for (int sign = 0; sign < 2; sign++) {
        for (uint32_t a = 0; a < 0x7bff; a++) {
            uint16_t ha = (uint16_t)(a | (uint32_t)sign << 15), hb = (uint16_t)((a + 1) | (uint32_t)sign << 15);
            double va = f16_value(ha), vb = f16_value(hb);
            float mid = (float)((va + vb) / 2);
            EXPECT((double)mid == (va + vb) / 2, "midpoint not exact");
            uint16_t even = (a & 1) ? hb : ha;
            EXPECT(obn_f32_to_f16(mid) == even, "midpoint of 0x%04x/0x%04x -> 0x%04x", ha, hb,
                          obn_f32_to_f16(mid));
            float toward_a = nextafterf(mid, (float)va), toward_b = nextafterf(mid, (float)vb);
            EXPECT(obn_f32_to_f16(toward_a) == ha, "below midpoint of 0x%04x -> 0x%04x", ha,
                          obn_f32_to_f16(toward_a));
            EXPECT(obn_f32_to_f16(toward_b) == hb, "above midpoint of 0x%04x -> 0x%04x", ha,
                          obn_f32_to_f16(toward_b));
            EXPECT(obn_f32_to_f16((float)va) == ha, "0x%04x does not convert to itself", ha);
        }
    }
}
END_TEST

START_TEST(f32_to_f16_overflow_and_underflow)
{
    /* largest half 65504; the midpoint to the next binade, 65520, is a tie
     * that goes to the "even" neighbour 2^16, i.e. infinity */
    ck_assert_uint_eq(obn_f32_to_f16(65504.0f), 0x7bff);
    ck_assert_uint_eq(obn_f32_to_f16(nextafterf(65520.0f, 0)), 0x7bff);
    ck_assert_uint_eq(obn_f32_to_f16(65520.0f), 0x7c00);
    ck_assert_uint_eq(obn_f32_to_f16(-65520.0f), 0xfc00);
    ck_assert_uint_eq(obn_f32_to_f16(1e10f), 0x7c00);
    ck_assert_uint_eq(obn_f32_to_f16(FLT_MAX), 0x7c00);
    ck_assert_uint_eq(obn_f32_to_f16(-FLT_MAX), 0xfc00);
    ck_assert_uint_eq(obn_f32_to_f16(INFINITY), 0x7c00);
    ck_assert_uint_eq(obn_f32_to_f16(-INFINITY), 0xfc00);
    /* smallest subnormal 2^-24; half of it is a tie that goes to +-0 */
    ck_assert_uint_eq(obn_f32_to_f16(ldexpf(1, -24)), 0x0001);
    ck_assert_uint_eq(obn_f32_to_f16(ldexpf(1, -25)), 0x0000);
    ck_assert_uint_eq(obn_f32_to_f16(-ldexpf(1, -25)), 0x8000);
    ck_assert_uint_eq(obn_f32_to_f16(nextafterf(ldexpf(1, -25), 1)), 0x0001);
    ck_assert_uint_eq(obn_f32_to_f16(ldexpf(3, -26)), 0x0001);
    ck_assert_uint_eq(obn_f32_to_f16(ldexpf(1, -26)), 0x0000);
    ck_assert_uint_eq(obn_f32_to_f16(FLT_MIN), 0x0000);
    ck_assert_uint_eq(obn_f32_to_f16(1e-45f), 0x0000); /* a float subnormal */
    ck_assert_uint_eq(obn_f32_to_f16(-0.0f), 0x8000);
    ck_assert_uint_eq(obn_f32_to_f16(0.0f), 0x0000);
    /* largest subnormal and smallest normal */
    ck_assert_uint_eq(obn_f32_to_f16(ldexpf(1023, -24)), 0x03ff);
    ck_assert_uint_eq(obn_f32_to_f16(ldexpf(1, -14)), 0x0400);
    ck_assert_uint_eq(obn_f32_to_f16(ldexpf(2047, -25)), 0x0400); /* tie between 0x03ff and 0x0400: even */
}
END_TEST

START_TEST(f32_to_f16_nan)
{
    static const uint32_t nans[] = {0x7fc00000u, 0xffc00000u, 0x7f800001u /* signalling, payload below bit 13 */,
                                    0x7fffffffu, 0xff800001u, 0x7fa00000u};
    for (size_t i = 0; i < sizeof nans / sizeof nans[0]; i++) {
        uint16_t h = obn_f32_to_f16(obn_bits_to_f32(nans[i]));
        EXPECT(f16_is_nan(h), "0x%08x -> 0x%04x is not NaN", nans[i], h);
        ck_assert_uint_eq(h >> 15, nans[i] >> 31);
    }
}
END_TEST

START_TEST(bf16_round_trip_exhaustive)
{
    for (uint32_t b = 0; b < 65536; b++) {
        float f = obn_bf16_to_f32((uint16_t)b);
        EXPECT(obn_f32_to_bits(f) == b << 16, "0x%04x widens wrongly", b); /* widening is a shift */
        uint16_t back = obn_f32_to_bf16(f);
        if (bf16_is_nan((uint16_t)b)) {
            EXPECT(bf16_is_nan(back) && (back & 0x8000u) == (b & 0x8000u), "NaN 0x%04x -> 0x%04x", b, back);
            if (b & 0x40u) EXPECT(back == b, "quiet NaN 0x%04x -> 0x%04x", b, back);
        } else {
            EXPECT(back == b, "0x%04x -> 0x%04x", b, back);
        }
    }
}
END_TEST

/* Every upper half with the lower half just below, at and just above the
 * midpoint: round to nearest, ties to even (carrying into the exponent and
 * up to infinity where that is the nearest even value). */
START_TEST(bf16_rounding_ties_to_even)
{
    static const uint32_t lows[] = {0x0000u, 0x0001u, 0x7fffu, 0x8000u, 0x8001u, 0xffffu};
    for (uint32_t hi = 0; hi < 65536; hi++) {
        if ((hi & 0x7f80u) == 0x7f80u) continue; /* inf/NaN inputs: below */
        for (size_t k = 0; k < sizeof lows / sizeof lows[0]; k++) {
            uint32_t u = hi << 16 | lows[k];
            uint32_t want = hi;
            if (lows[k] > 0x8000u || (lows[k] == 0x8000u && (hi & 1))) want = hi + 1;
            uint16_t got = obn_f32_to_bf16(obn_bits_to_f32(u));
            EXPECT(got == (uint16_t)want, "0x%08x -> 0x%04x, expected 0x%04x", u, got, (unsigned)want);
        }
    }
    ck_assert_uint_eq(obn_f32_to_bf16(FLT_MAX), 0x7f80); /* rounds up to infinity */
    ck_assert_uint_eq(obn_f32_to_bf16(INFINITY), 0x7f80);
    ck_assert_uint_eq(obn_f32_to_bf16(-INFINITY), 0xff80);
    ck_assert_uint_eq(obn_f32_to_bf16(1.0f), 0x3f80);
    /* NaNs whose payload is only in the dropped low bits must not become inf */
    static const uint32_t nans[] = {0x7f800001u, 0xff800001u, 0x7fc00000u, 0x7f80ffffu};
    for (size_t i = 0; i < sizeof nans / sizeof nans[0]; i++) {
        uint16_t b = obn_f32_to_bf16(obn_bits_to_f32(nans[i]));
        EXPECT(bf16_is_nan(b) && (b >> 15) == (nans[i] >> 31), "0x%08x -> 0x%04x", nans[i], b);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("half");
    TCase *t = tcase_create("half");
    tcase_add_test(t, f16_to_f32_is_exact_for_every_value);
    tcase_add_test(t, f16_round_trip_exhaustive);
    tcase_add_test(t, f32_to_f16_ties_to_even_at_every_midpoint);
    tcase_add_test(t, f32_to_f16_overflow_and_underflow);
    tcase_add_test(t, f32_to_f16_nan);
    tcase_add_test(t, bf16_round_trip_exhaustive);
    tcase_add_test(t, bf16_rounding_ties_to_even);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
