/* obn_f32_row_abs_max_bits against the largest fabsf of each row computed
 * here, element by element: rows of random values with a planted maximum
 * (either sign), -0.0, denormals, an infinity, a NaN (both reported as bits
 * >= 0x7f800000), empty rows; 1 and 2 threads on a matrix large enough to
 * be split. Exact: the answer is one of the inputs' bit patterns. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/weight_scan.h"
#include "tb_check.h"

static uint64_t rng_state = 7;
static float rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((rng_state >> 40) & 0xffff) / 32768.0f - 1.0f;
}

static uint32_t bits_of(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

START_TEST(matches_elementwise_max)
{
    const int64_t rows = 300, run = 1500; /* 450K floats: split on 2 threads */
    float *x = malloc((size_t)(rows * run) * sizeof *x);
    uint32_t *got = malloc((size_t)rows * sizeof *got);
    for (int64_t i = 0; i < rows * run; i++) x[i] = rnd();
    for (int64_t r = 0; r < rows; r++) {
        float *row = x + r * run;
        switch (r % 6) {
        case 0: row[r % run] = -3.5f; break;           /* negative maximum */
        case 1: row[run - 1] = 2.25f; break;           /* at the end */
        case 2: for (int64_t i = 0; i < run; i++) row[i] = i % 2 ? -0.0f : 1e-40f; break; /* denormal vs -0 */
        case 3: row[7] = -INFINITY; break;
        case 4: row[run / 2] = NAN; break;
        default: break;
        }
    }
    for (int threads = 1; threads <= 2; threads++) {
        obn_f32_row_abs_max_bits(x, rows, run, got, threads);
        for (int64_t r = 0; r < rows; r++) {
            const float *row = x + r * run;
            int nonfinite = 0;
            float want = 0.0f;
            for (int64_t i = 0; i < run; i++) {
                nonfinite |= !isfinite(row[i]);
                if (fabsf(row[i]) > want) want = fabsf(row[i]);
            }
            if (nonfinite) ck_assert_msg(got[r] >= 0x7f800000u, "row %lld: %08x", (long long)r, got[r]);
            else ck_assert_msg(got[r] == bits_of(want), "row %lld, %d threads: %08x, expected %08x (%g)", (long long)r,
                               threads, got[r], bits_of(want), want);
        }
    }
    obn_f32_row_abs_max_bits(x, 3, 0, got, 2); /* empty rows: 0 (+0.0) */
    for (int r = 0; r < 3; r++) ck_assert_uint_eq(got[r], 0);
    free(x);
    free(got);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("weight scan");
    TCase *t = tcase_create("scan");
    tcase_add_test(t, matches_elementwise_max);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
