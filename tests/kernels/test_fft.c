/* kernels/fft against a direct DFT in long double (angles reduced exactly in
 * integers), for lengths 1..64 and larger ones with every kind of factor
 * (powers of two and four, 3, 5, 7, big primes), forward and inverse, in
 * double and float, and the real-input transform. Tolerance: the largest
 * error of any bin at most 4 * eps * (log2 n + 1) * ||x||_2 (eps of the
 * working type), the usual growth of an FFT's round-off. Plus a transform
 * worked out by hand (exact in float), the real transform's exactly real
 * bins 0 and n/2, and the stop poll in a long prime-length pass. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/fft.h"
#include "kernels/kstop.h"
#include "tb_check.h"

static uint64_t rng_state = 11;
static double rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)((rng_state >> 11) & 0xfffff) / 524288.0 - 1.0;
}

static void reference(const double *x, long double *y, int64_t n, int sign)
{
    const long double two_pi = 6.283185307179586476925286766559L;
    long double *cs = malloc((size_t)n * 2 * sizeof *cs);
    for (int64_t k = 0; k < n; k++) {
        cs[2 * k] = cosl(two_pi * (long double)k / (long double)n);
        cs[2 * k + 1] = sinl(two_pi * (long double)k / (long double)n);
    }
    for (int64_t k = 0; k < n; k++) {
        long double re = 0, im = 0;
        for (int64_t j = 0, idx = 0; j < n; j++, idx = (idx + k) % n) {
            long double c = cs[2 * idx], s = sign * cs[2 * idx + 1];
            re += x[2 * j] * c - x[2 * j + 1] * s;
            im += x[2 * j] * s + x[2 * j + 1] * c;
        }
        y[2 * k] = re;
        y[2 * k + 1] = im;
    }
    free(cs);
}

static double bound(const double *x, int64_t n, double eps)
{
    double norm = 0;
    for (int64_t j = 0; j < 2 * n; j++) norm += x[j] * x[j];
    return 4 * eps * (log2((double)n) + 1) * sqrt(norm) + 1e-300;
}

static const int64_t big_lengths[] = {81, 97, 100, 120, 125, 243, 343, 360, 1000, 1009, 1024, 2018, 4096, 4100, 0};

static void check_length(int64_t n, int real_input)
{
    double *x = malloc((size_t)n * 2 * sizeof *x), *d = malloc((size_t)(n + 1) * 2 * sizeof *d);
    float *f = malloc((size_t)(n + 1) * 2 * sizeof *f);
    long double *want = malloc((size_t)n * 2 * sizeof *want);
    for (int64_t j = 0; j < 2 * n; j++) x[j] = real_input && j % 2 ? 0 : rnd();
    for (int sign = -1; sign <= 1; sign += 2) {
        reference(x, want, n, sign);
        void *pd = malloc(obn_fft_plan_bytes_f64(n)), *pf = malloc(obn_fft_plan_bytes_f32(n));
        obn_fft_plan_f64(pd, n);
        obn_fft_plan_f32(pf, n);
        memcpy(d, x, (size_t)n * 2 * sizeof *d);
        for (int64_t j = 0; j < 2 * n; j++) f[j] = (float)x[j];
        obn_fft_f64(pd, d, sign);
        obn_fft_f32(pf, f, sign);
        double ed = 0, ef = 0;
        for (int64_t j = 0; j < 2 * n; j++) {
            ed = fmax(ed, fabs((double)(d[j] - want[j])));
            ef = fmax(ef, fabs((double)((long double)f[j] - want[j])));
        }
        ck_assert_msg(ed <= bound(x, n, DBL_EPSILON), "n=%lld sign %d: double error %g > %g", (long long)n, sign, ed,
                      bound(x, n, DBL_EPSILON));
        /* the float input is x rounded: add that rounding's own effect */
        ck_assert_msg(ef <= 2 * bound(x, n, FLT_EPSILON), "n=%lld sign %d: float error %g > %g", (long long)n, sign, ef,
                      2 * bound(x, n, FLT_EPSILON));
        free(pd);
        free(pf);
        if (!real_input || sign > 0 || n % 2) continue;
        /* the real transform: bins 0..n/2 of the forward DFT, bins 0 and n/2 exactly real */
        double *rx = malloc((size_t)n * sizeof *rx);
        float *fx = malloc((size_t)n * sizeof *fx);
        void *rd = malloc(obn_rfft_plan_bytes_f64(n)), *rf = malloc(obn_rfft_plan_bytes_f32(n));
        obn_rfft_plan_f64(rd, n);
        obn_rfft_plan_f32(rf, n);
        for (int64_t j = 0; j < n; j++) {
            rx[j] = x[2 * j];
            fx[j] = (float)x[2 * j];
        }
        obn_rfft_f64(rd, rx, d);
        obn_rfft_f32(rf, fx, f);
        ed = ef = 0;
        for (int64_t j = 0; j < n + 2; j++) {
            ed = fmax(ed, fabs((double)(d[j] - want[j])));
            ef = fmax(ef, fabs((double)((long double)f[j] - want[j])));
        }
        ck_assert_msg(ed <= bound(x, n, DBL_EPSILON), "real n=%lld: double error %g", (long long)n, ed);
        ck_assert_msg(ef <= 2 * bound(x, n, FLT_EPSILON), "real n=%lld: float error %g", (long long)n, ef);
        ck_assert(d[1] == 0 && d[n + 1] == 0 && f[1] == 0 && f[n + 1] == 0);
        free(rx);
        free(fx);
        free(rd);
        free(rf);
    }
    free(x);
    free(d);
    free(f);
    free(want);
}

START_TEST(complex_lengths)
{
    for (int64_t n = 1; n <= 64; n++) check_length(n, 0);
    for (int i = 0; big_lengths[i]; i++) check_length(big_lengths[i], 0);
}
END_TEST

START_TEST(real_lengths)
{
    for (int64_t n = 1; n <= 64; n++) check_length(n, 1);
    for (int i = 0; big_lengths[i]; i++) check_length(big_lengths[i], 1);
}
END_TEST

/* By hand: DFT([1, 2, 3, 4]) = [10, -2+2i, -2, -2-2i]; its inverse (without
 * the 1/n) gives 4 * [1, 2, 3, 4]; DFT of [1, 1, 1] is [3, 0, 0]. */
START_TEST(worked_by_hand)
{
    float x[8] = {1, 0, 2, 0, 3, 0, 4, 0};
    const float want[8] = {10, 0, -2, 2, -2, 0, -2, -2};
    void *p = malloc(obn_fft_plan_bytes_f32(4));
    obn_fft_plan_f32(p, 4);
    obn_fft_f32(p, x, -1);
    for (int i = 0; i < 8; i++) ck_assert_msg(x[i] == want[i], "bin %d: %g, expected %g", i / 2, x[i], want[i]);
    obn_fft_f32(p, x, 1);
    for (int i = 0; i < 8; i++) ck_assert_msg(x[i] == (i % 2 ? 0 : 4 * (i / 2 + 1)), "inverse %d: %g", i, x[i]);
    free(p);
    float r[4] = {1, 2, 3, 4}, out[6];
    p = malloc(obn_rfft_plan_bytes_f32(4));
    obn_rfft_plan_f32(p, 4);
    obn_rfft_f32(p, r, out);
    for (int i = 0; i < 6; i++) ck_assert_msg(out[i] == want[i], "real bin %d: %g, expected %g", i / 2, out[i], want[i]);
    free(p);
    double c[6] = {1, 0, 1, 0, 1, 0};
    p = malloc(obn_fft_plan_bytes_f64(3));
    obn_fft_plan_f64(p, 3);
    obn_fft_f64(p, c, -1);
    ck_assert(c[0] == 3 && c[1] == 0);
    for (int i = 2; i < 6; i++) ck_assert_msg(fabs(c[i]) < 1e-15, "%d: %g", i, c[i]);
    free(p);
}
END_TEST

typedef struct {
    atomic_long asked;
    long allow;
} counting_poll;

static int poll_fn(void *arg)
{
    counting_poll *p = arg;
    long k = atomic_fetch_add(&p->asked, 1);
    return p->allow >= 0 && k >= p->allow;
}

/* A prime length runs one O(n^2) pass: it asks the poll as it goes and,
 * told to stop at once, asks no more. */
START_TEST(prime_pass_polls)
{
    const int64_t n = 10007;
    double *x = calloc((size_t)n * 2, sizeof *x);
    void *p = malloc(obn_fft_plan_bytes_f64(n));
    obn_fft_plan_f64(p, n);
    counting_poll never = {0, -1}, at_once = {0, 0};
    obn_kstop stop = {poll_fn, &never};
    obn_kstop_set(&stop);
    obn_fft_f64(p, x, -1);
    ck_assert_int_gt(atomic_load(&never.asked), 100);
    stop.arg = &at_once;
    obn_fft_f64(p, x, -1);
    obn_kstop_set(NULL);
    ck_assert_int_eq(atomic_load(&at_once.asked), 1);
    free(x);
    free(p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("fft");
    TCase *t = tcase_create("fft");
    tcase_add_test(t, complex_lengths);
    tcase_add_test(t, real_lengths);
    tcase_add_test(t, worked_by_hand);
    tcase_add_test(t, prime_pass_polls);
    tcase_set_timeout(t, 120);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
