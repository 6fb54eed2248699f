/* Early stop of long kernel calls (kernels/kstop.h), without any clock:
 * a poll that says "stop" after a given number of questions.
 *  - never stopping: the output equals, bit for bit, a call with no poll;
 *  - stopping at the first question: the kernel skips the work and leaves
 *    at least 90 % of the output as it found it (a sentinel); stopping
 *    half-way: it returns all the same.
 * Each kernel whose cost can grow beyond its data (a GEMM's depth, a
 * convolution's kernel volume, a pool's window, a direct DFT) is covered on
 * every ISA level the machine has, with 1 and 2 threads. */
#include <check.h>

#include "tb_check.h"
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/conv.h"
#include "kernels/conv_transpose.h"
#include "kernels/cpu.h"
#include "kernels/dgemm.h"
#include "kernels/kstop.h"
#include "kernels/pool.h"
#include "kernels/sgemm.h"

#define SENTINEL 12345.0f

typedef struct {
    atomic_long asked;
    long allow; /* questions answered "go on" before the first "stop"; < 0: never stop */
} counting_poll;

static int poll_fn(void *arg)
{
    counting_poll *p = arg;
    long n = atomic_fetch_add(&p->asked, 1);
    return p->allow >= 0 && n >= p->allow;
}

static float *filled(int64_t n, unsigned seed)
{
    float *p = malloc((size_t)n * sizeof *p);
    for (int64_t i = 0; i < n; i++) p[i] = (float)((i * 7919u + seed * 104729u) % 2001u) / 1000.0f - 1.0f;
    return p;
}

static float *sentinels(int64_t n)
{
    float *p = malloc((size_t)n * sizeof *p);
    for (int64_t i = 0; i < n; i++) p[i] = SENTINEL;
    return p;
}

static int64_t untouched(const float *y, int64_t n)
{
    int64_t u = 0;
    for (int64_t i = 0; i < n; i++) u += y[i] == SENTINEL;
    return u;
}

/* One kernel call writing `n` floats to y, with the calling thread's poll
 * whatever the test has set. */
typedef void (*kernel_call)(const void *arg, float *y, int threads);

/* The three checks above for one call. */
static void check_call(const char *what, kernel_call call, const void *arg, int64_t n)
{
    for (int threads = 1; threads <= 2; threads++) {
        float *want = sentinels(n), *y = sentinels(n);
        ck_assert_ptr_null(obn_kstop_get());
        call(arg, want, threads);
        ck_assert_msg(untouched(want, n) == 0, "%s: the plain call left outputs unwritten", what);

        counting_poll never = {0, -1};
        obn_kstop stop = {poll_fn, &never};
        ck_assert_ptr_null(obn_kstop_set(&stop));
        call(arg, y, threads);
        ck_assert_ptr_eq(obn_kstop_set(NULL), &stop);
        ck_assert_msg(memcmp(y, want, (size_t)n * sizeof *y) == 0, "%s, %d threads: a poll that never stops changed "
                                                                   "the result", what, threads);
        ck_assert_msg(atomic_load(&never.asked) > 0, "%s: the kernel never asked its poll", what);

        counting_poll at_once = {0, 0};
        stop.arg = &at_once;
        for (int64_t i = 0; i < n; i++) y[i] = SENTINEL;
        obn_kstop_set(&stop);
        call(arg, y, threads);
        obn_kstop_set(NULL);
        int64_t left = untouched(y, n);
        ck_assert_msg(left * 10 >= n * 9, "%s, %d threads: stopped at once, it still wrote %lld of %lld outputs", what,
                      threads, (long long)(n - left), (long long)n);

        counting_poll later = {0, atomic_load(&never.asked) / 2};
        stop.arg = &later;
        obn_kstop_set(&stop);
        call(arg, y, threads); /* returns, having skipped the rest */
        obn_kstop_set(NULL);
        free(want);
        free(y);
    }
}

/* ----------------------------------------------------------------- SGEMM */

typedef struct {
    int64_t m, n, k;
    const float *a, *b;
    const obn_sgemm_packed *pa;
} gemm_arg;

static void gemm_call(const void *p, float *y, int threads)
{
    const gemm_arg *g = p;
    obn_sgemm_call c = {.m = g->m, .n = g->n, .k = g->k, .alpha = 1.0f, .beta = 0.0f, .c = y, .ldc = g->n};
    c.a = (obn_sgemm_operand){g->a, g->k, 0, g->pa};
    c.b = (obn_sgemm_operand){g->b, g->n, 0, NULL};
    ck_assert_int_eq(obn_sgemm_run(&c, NULL, 0, threads), OBN_SGEMM_OK);
}

static void each_isa(void (*body)(void))
{
    obn_isa top = obn_cpu_detect();
    for (int isa = OBN_ISA_PORTABLE; isa <= (int)top; isa++) {
        obn_cpu_force((obn_isa)isa);
        body();
    }
    obn_cpu_force(top);
}

static void sgemm_body(void)
{
    /* blocked (several row blocks), streaming (small packed A), and the
     * row-vector path (m = 1) with a deep K */
    gemm_arg big = {512, 640, 700, filled(512 * 700, 1), filled(700 * 640, 2), NULL};
    check_call("sgemm blocked", gemm_call, &big, big.m * big.n);
    gemm_arg vec = {1, 4096, 3000, filled(3000, 3), filled(3000 * 4096, 4), NULL};
    check_call("sgemm m=1", gemm_call, &vec, vec.n);
    gemm_arg small = {16, 20000, 64, filled(16 * 64, 5), filled(64 * 20000, 6), NULL};
    obn_sgemm_packed *pa = obn_sgemm_pack_a(small.m, small.k, small.a, small.k, 0);
    ck_assert_ptr_nonnull(pa);
    small.pa = pa;
    check_call("sgemm streaming", gemm_call, &small, small.m * small.n);
    obn_sgemm_packed_free(pa);
    free((void *)big.a), free((void *)big.b), free((void *)vec.a), free((void *)vec.b);
    free((void *)small.a), free((void *)small.b);
}

START_TEST(sgemm_stops)
{
    each_isa(sgemm_body);
}
END_TEST

/* ----------------------------------------------------------- convolution */

typedef struct {
    obn_conv_shape s;
    const float *x, *w;
    obn_conv_weights *pw;
    int transpose;
} conv_arg;

static void conv_call(const void *p, float *y, int threads)
{
    const conv_arg *c = p;
    if (c->transpose)
        ck_assert_int_eq(obn_conv_transpose_run(&c->s, c->x, c->w, NULL, NULL, y, NULL, 0, threads), 0);
    else
        ck_assert_int_eq(obn_conv_run(&c->s, c->x, c->w, c->pw, NULL, y, NULL, 0, threads), 0);
}

/* 2-D shape: n x c x h x w, m output channels, k x k kernel, stride 1,
 * padding k / 2 (same size out). */
static obn_conv_shape shape2d(int64_t n, int64_t c, int64_t m, int64_t groups, int64_t h, int64_t w, int64_t k)
{
    obn_conv_shape s = {.nd = 2, .batch = n, .in_channels = c, .out_channels = m, .groups = groups};
    s.in[0] = s.out[0] = h;
    s.in[1] = s.out[1] = w;
    for (int i = 0; i < 2; i++) {
        s.kernel[i] = k;
        s.stride[i] = s.dilation[i] = 1;
        s.pad[i] = k / 2;
    }
    return s;
}

static void conv_case(const char *what, obn_conv_shape s, int pack, int transpose)
{
    int64_t nx = s.batch * s.in_channels * s.in[0] * s.in[1];
    int64_t per = transpose ? s.in_channels * (s.out_channels / s.groups) : s.out_channels * (s.in_channels / s.groups);
    int64_t nw = per * s.kernel[0] * s.kernel[1];
    conv_arg a = {s, filled(nx, 7), filled(nw, 8), NULL, transpose};
    int none = 0;
    if (pack) a.pw = obn_conv_pack_weights(&s, a.w, &none);
    check_call(what, conv_call, &a, s.batch * s.out_channels * s.out[0] * s.out[1]);
    obn_conv_weights_free(a.pw);
    free((void *)a.x);
    free((void *)a.w);
}

static void conv_body(void)
{
    conv_case("conv im2col, 15x15 kernel", shape2d(1, 4, 8, 1, 96, 96, 15), 1, 0);
    conv_case("conv 3x3 (Winograd where it pays)", shape2d(1, 64, 64, 1, 56, 56, 3), 1, 0);
    conv_case("conv pointwise", shape2d(2, 64, 128, 1, 40, 40, 1), 1, 0);
    conv_case("conv depthwise 3x3", shape2d(1, 32, 32, 32, 128, 128, 3), 0, 0);
    conv_case("conv depthwise 9x9", shape2d(1, 32, 32, 32, 96, 96, 9), 0, 0);
    conv_case("conv grouped (direct)", shape2d(1, 64, 64, 8, 64, 64, 3), 1, 0);
    conv_case("conv transpose 5x5", shape2d(1, 16, 16, 1, 64, 64, 5), 0, 1);
}

START_TEST(conv_stops)
{
    each_isa(conv_body);
}
END_TEST

/* ---------------------------------------------------------------- pools */

typedef struct {
    obn_pool_geom g;
    const float *x;
    int avg;
} pool_arg;

static void pool_call(const void *p, float *y, int threads)
{
    const pool_arg *a = p;
    if (a->avg) obn_avgpool_f32(&a->g, a->x, y, 0, threads);
    else obn_maxpool_f32(&a->g, a->x, y, NULL, 0, threads);
}

START_TEST(pools_stop)
{
    /* 2 planes of 300 x 300, a 31 x 31 window: each plane alone is long */
    obn_pool_geom g = {.planes = 2};
    g.in[0] = g.out[0] = g.kernel[0] = g.stride[0] = g.dilation[0] = 1;
    for (int i = 1; i < 3; i++) {
        g.in[i] = 300;
        g.kernel[i] = 31;
        g.stride[i] = g.dilation[i] = 1;
        g.pad_begin[i] = g.pad_end[i] = 15;
        g.out[i] = 300;
    }
    pool_arg a = {g, filled(2 * 300 * 300, 9), 0};
    check_call("maxpool 31x31", pool_call, &a, 2 * 300 * 300);
    a.avg = 1;
    check_call("avgpool 31x31", pool_call, &a, 2 * 300 * 300);
    a.g.dilation[1] = 2; /* the generic loop */
    a.g.out[1] = 300 + 30 - 2 * 30;
    a.avg = 0;
    check_call("maxpool dilated", pool_call, &a, 2 * a.g.out[1] * 300);
    free((void *)a.x);
}
END_TEST

/* ---------------------------------------------------------------- DGEMM */

typedef struct {
    int64_t m, n, k;
    const double *a, *b;
} dgemm_arg;

static void dgemm_call(const void *p, float *y, int threads)
{
    const dgemm_arg *d = p;
    double *c = malloc((size_t)(d->m * d->n) * sizeof *c);
    for (int64_t i = 0; i < d->m * d->n; i++) c[i] = SENTINEL;
    obn_dgemm(d->m, d->n, d->k, d->a, d->k, d->b, d->n, c, d->n, threads);
    for (int64_t i = 0; i < d->m * d->n; i++) y[i] = (float)c[i];
    free(c);
}

START_TEST(dgemm_stops)
{
    int64_t m = 256, n = 256, k = 512;
    double *a = malloc((size_t)(m * k) * sizeof *a), *b = malloc((size_t)(k * n) * sizeof *b);
    for (int64_t i = 0; i < m * k; i++) a[i] = (double)(i % 13) - 6.0;
    for (int64_t i = 0; i < k * n; i++) b[i] = (double)(i % 7) - 3.0;
    dgemm_arg d = {m, n, k, a, b};
    check_call("dgemm", dgemm_call, &d, m * n);
    free(a);
    free(b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("kstop");
    TCase *t = tcase_create("core");
    tcase_set_timeout(t, 300);
    tcase_add_test(t, sgemm_stops);
    tcase_add_test(t, conv_stops);
    tcase_add_test(t, pools_stop);
    tcase_add_test(t, dgemm_stops);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
