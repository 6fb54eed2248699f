/* SGEMM against a plain triple loop in double, for every ISA level the
 * machine has (forced through obn_cpu_force), 1 and 2 threads, all transpose
 * combinations, alpha/beta, epilogues, leading dimensions, pre-packed
 * operands and argument errors.
 * Tolerance: the float rounding bound for a K-term dot product,
 * |err| <= (K + 4) * 2^-23 * sum|alpha*a*b| + (|beta*c| + |bias|) * 2^-22,
 * plus 1e-6 absolute. A wrong tile or index gives O(1) errors.
 * Epilogues: row/column bias, clamp (Relu, Clip), leaky slope, clamp+leaky. */
#include <check.h>

#include "tb_check.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu.h"
#include "kernels/sgemm.h"

#define SENTINEL 12345.0f

typedef struct {
    int64_t m, n, k;
    int ta, tb;
    float alpha, beta;
    int bias_kind; /* OBN_BIAS_* */
    int clamp;
    float lo, hi;
    int64_t pad;   /* extra leading-dimension elements */
    int pack_a, pack_b;
    int nan_c;     /* fill C with NaN (only meaningful with beta == 0) */
    int threads;
    int explicit_ws;
    float slope;   /* nonzero: leaky epilogue with this slope */
} gemm_case;

static uint64_t rng_state;
static float rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((rng_state >> 40) & 0xffff) / 32768.0f - 1.0f; /* [-1, 1) */
}

static float *random_buf(int64_t n)
{
    float *p = malloc((size_t)(n ? n : 1) * sizeof *p);
    for (int64_t i = 0; i < n; i++) p[i] = rnd();
    return p;
}

/* op(X)[r][c] of a stored matrix with leading dimension ld. */
static double at(const float *x, int64_t ld, int trans, int64_t r, int64_t c)
{
    return trans ? x[c * ld + r] : x[r * ld + c];
}

static void check_case(const gemm_case *g)
{
    rng_state = (uint64_t)(g->m * 131 + g->n * 17 + g->k * 7 + g->ta * 3 + g->tb);
    int64_t a_rows = g->ta ? g->k : g->m, a_cols = g->ta ? g->m : g->k;
    int64_t b_rows = g->tb ? g->n : g->k, b_cols = g->tb ? g->k : g->n;
    int64_t lda = a_cols + g->pad, ldb = b_cols + g->pad, ldc = g->n + g->pad;
    float *a = random_buf(a_rows * lda), *b = random_buf(b_rows * ldb), *c = random_buf(g->m * ldc);
    float *c0 = malloc((size_t)(g->m * ldc + 1) * sizeof *c0);
    int64_t bias_len = g->bias_kind == OBN_BIAS_ROW ? g->m : g->n;
    float *bias = random_buf(bias_len);
    for (int64_t i = 0; i < g->m; i++)
        for (int64_t j = 0; j < ldc; j++) {
            if (j >= g->n) c[i * ldc + j] = SENTINEL;
            else if (g->nan_c) c[i * ldc + j] = NAN;
        }
    memcpy(c0, c, (size_t)(g->m * ldc) * sizeof *c);

    obn_sgemm_call call = {.m = g->m, .n = g->n, .k = g->k, .alpha = g->alpha, .beta = g->beta, .c = c, .ldc = ldc};
    call.a = (obn_sgemm_operand){a, lda, g->ta, NULL};
    call.b = (obn_sgemm_operand){b, ldb, g->tb, NULL};
    call.ep = (obn_sgemm_epilogue){(obn_bias_kind)g->bias_kind, g->bias_kind ? bias : NULL, g->clamp, g->lo, g->hi,
                                   g->slope != 0.0f, g->slope};
    obn_sgemm_packed *pa = NULL, *pb = NULL;
    if (g->pack_a) ck_assert_ptr_nonnull(call.a.packed = pa = obn_sgemm_pack_a(g->m, g->k, a, lda, g->ta));
    if (g->pack_b) ck_assert_ptr_nonnull(call.b.packed = pb = obn_sgemm_pack_b(g->k, g->n, b, ldb, g->tb));
    int rc;
    if (g->explicit_ws) {
        size_t need = obn_sgemm_workspace_size(&call, g->threads);
        unsigned char *ws = aligned_alloc(64, ((need + 64) + 63) & ~(size_t)63);
        memset(ws + need, 0xA5, 64);
        rc = obn_sgemm_run(&call, need ? ws : NULL, need, g->threads);
        for (int i = 0; i < 64; i++) ck_assert_msg(ws[need + i] == 0xA5, "workspace overrun");
        free(ws);
    } else {
        rc = obn_sgemm_run(&call, NULL, 0, g->threads);
    }
    ck_assert_int_eq(rc, OBN_SGEMM_OK);

    for (int64_t i = 0; i < g->m; i++)
        for (int64_t j = 0; j < ldc; j++) {
            float got = c[i * ldc + j];
            if (j >= g->n) {
                ck_assert_msg(got == SENTINEL, "C[%lld][%lld] outside n was written", (long long)i, (long long)j);
                continue;
            }
            double s = 0, mag = 0;
            for (int64_t p = 0; p < g->k; p++) {
                double t = at(a, lda, g->ta, i, p) * at(b, ldb, g->tb, p, j);
                s += t;
                mag += fabs(t);
            }
            double want = g->alpha * s, extra = 0;
            if (g->beta != 0) {
                want += (double)g->beta * c0[i * ldc + j];
                extra += fabs((double)g->beta * c0[i * ldc + j]);
            }
            if (g->bias_kind == OBN_BIAS_ROW) want += bias[i], extra += fabs(bias[i]);
            if (g->bias_kind == OBN_BIAS_COL) want += bias[j], extra += fabs(bias[j]);
            if (g->clamp) want = want < g->lo ? g->lo : want > g->hi ? g->hi : want;
            if (g->slope != 0.0f && want < 0) want *= g->slope;
            double tol = (double)(g->k + 4) * 0x1p-23 * fabs(g->alpha) * mag + extra * 0x1p-22 + 1e-6;
            ck_assert_msg(fabs(got - want) <= tol,
                          "%s m=%lld n=%lld k=%lld ta=%d tb=%d alpha=%g beta=%g bias=%d clamp=%d pack=%d%d thr=%d: "
                          "C[%lld][%lld] = %.9g, expected %.9g",
                          obn_sgemm_kernel_name(), (long long)g->m, (long long)g->n, (long long)g->k, g->ta, g->tb,
                          (double)g->alpha, (double)g->beta, g->bias_kind, g->clamp, g->pack_a, g->pack_b, g->threads,
                          (long long)i, (long long)j, (double)got, want);
        }
    obn_sgemm_packed_free(pa);
    obn_sgemm_packed_free(pb);
    free(a);
    free(b);
    free(c);
    free(c0);
    free(bias);
}

static const int64_t shapes[][3] = {
    {1, 1, 1},    {1, 17, 5},    {5, 1, 7},     {2, 3, 4},    {6, 16, 8},    {7, 17, 9},   {14, 32, 3},
    {15, 33, 31}, {13, 33, 300}, {64, 64, 64},  {100, 37, 513}, {37, 100, 257}, {129, 70, 65}, {3, 500, 20},
    {300, 5, 40}, {1, 700, 300}, {700, 1, 300}, {2, 1, 9},    {1, 2, 9},     {130, 2, 17}, {29, 290, 5},
    {7, 3500, 20}, {40, 3300, 70}, /* several column blocks (nc), split by rows or by columns */
};
#define N_SHAPES (sizeof shapes / sizeof shapes[0])

/* Every ISA level up to the detected one, as _i of a loop test. */
static int force_level(int level)
{
    if (level > (int)obn_cpu_detect()) return 0;
    ck_assert_int_eq(obn_cpu_force((obn_isa)level), level);
    return 1;
}

START_TEST(shapes_every_isa_and_threads)
{
    if (!force_level(_i / 2)) return;
    int threads = 1 + _i % 2, rot = 0;
    static const float ab[4][2] = {{1, 0}, {0.5f, 2}, {-1.5f, 1}, {1, 1}};
    for (size_t s = 0; s < N_SHAPES; s++)
        for (int t = 0; t < 4; t++, rot++) {
            gemm_case g = {shapes[s][0], shapes[s][1], shapes[s][2], t & 1, t >> 1, ab[rot % 4][0], ab[rot % 4][1],
                           rot % 3, rot % 5 == 0, 0.0f, INFINITY, rot % 3, 0, 0, 0, threads, rot % 2,
                           rot % 7 == 3 ? 0.125f : 0.0f};
            check_case(&g);
        }
}
END_TEST

START_TEST(beta_zero_ignores_nan_in_c)
{
    if (!force_level(_i / 2)) return;
    for (size_t s = 0; s < N_SHAPES; s++) {
        gemm_case g = {shapes[s][0], shapes[s][1], shapes[s][2], 0, 1, 1.0f, 0.0f, 0, 0, 0, 0, 1, 0, 0, 1,
                       1 + _i % 2, 0, 0.0f};
        check_case(&g);
        g.k = 0; /* C = beta*C only: still overwritten */
        check_case(&g);
    }
}
END_TEST

START_TEST(epilogue_bias_and_clamp)
{
    if (!force_level(_i / 2)) return;
    static const int64_t sh[][3] = {{6, 16, 8}, {33, 47, 70}, {1, 40, 20}, {40, 1, 20}, {70, 300, 260}};
    for (size_t s = 0; s < sizeof sh / sizeof sh[0]; s++)
        for (int bias = 0; bias < 3; bias++)
            for (int cl = 0; cl < 5; cl++) { /* none, relu, clip, leaky, clip then leaky */
                gemm_case g = {sh[s][0], sh[s][1], sh[s][2], 0, 0, 1.0f, cl == 2 ? 1.0f : 0.0f, bias,
                               cl == 1 || cl == 2 || cl == 4, cl == 1 ? 0.0f : -0.5f, cl == 1 ? INFINITY : 0.5f,
                               0, 0, 0, 0, 1 + _i % 2, 0, cl >= 3 ? 0.2f : 0.0f};
                check_case(&g);
                g.k = 0;
                check_case(&g);
            }
}
END_TEST

START_TEST(prepacked_operands)
{
    if (!force_level(_i / 2)) return;
    for (size_t s = 0; s < N_SHAPES; s++)
        for (int t = 0; t < 4; t++)
            for (int pk = 1; pk < 4; pk++) {
                gemm_case g = {shapes[s][0], shapes[s][1], shapes[s][2], t & 1, t >> 1, 1.0f, (float)(t & 1), t % 3,
                               t == 2, 0.0f, INFINITY, 2, pk & 1, pk >> 1, 0, 1 + _i % 2, t == 3, 0.0f};
                check_case(&g);
            }
}
END_TEST

START_TEST(large_k)
{
    if (!force_level(_i / 2)) return;
    gemm_case g = {33, 45, 2100, 0, 0, 1.0f, 0.0f, OBN_BIAS_ROW, 0, 0, 0, 0, 0, 0, 0, 1 + _i % 2, 0, 0.0f};
    check_case(&g);
    g.tb = 1;
    g.pack_b = 1;
    check_case(&g);
    g.m = 1;
    check_case(&g);
}
END_TEST

/* Every row count of a last, partial row panel (M = 2*14 + r covers the
 * AVX-512 14-row kernel's r-row edge kernels; M = 6 + r the AVX2 6-row
 * tile), with pre-packed B, bias, beta and clamp, and a depth of several K
 * blocks of the packed-B blocking. */
START_TEST(row_edges_packed_b)
{
    if (!force_level(_i / 2)) return;
    for (int r = 0; r < 14; r++) {
        gemm_case g = {28 + r, 64 + 7 * (r % 3), 1600, r & 1, 0, 1.0f, (float)(r % 2), 1 + r % 2, r % 3 == 0,
                       -0.25f, 0.75f, 0, 0, 1, 0, 1 + _i % 2, r % 4 == 1, 0.0f};
        check_case(&g);
        g.m = 6 + r;
        g.k = 100;
        check_case(&g);
    }
}
END_TEST

/* Every column count of a last, partial column panel (N = 32 + c and
 * N = c: the AVX-512 14x32 tile's half and column edges, and N = 16 + c
 * for the AVX2 6x16 tile's), with a row edge too, odd depths (the phase
 * tails of the column kernel), pre-packed or per-call packed B, both
 * transposes, bias, beta, clamp and leaky slope. */
START_TEST(column_edges)
{
    if (!force_level(_i / 2)) return;
    for (int cc = 1; cc < 32; cc++)
        for (int base = 0; base <= 32; base += 16) {
            int r = cc + base;
            gemm_case g = {14 + cc % 15, base + cc, 1 + (cc * 37 + base) % 300, r & 1, (r >> 1) & 1, 1.0f,
                           (float)(r % 2), r % 3, r % 4 == 0, -0.5f, 0.5f, r % 3, 0, r % 5 == 2, 0, 1 + _i % 2,
                           r % 4 == 1, r % 6 == 5 ? 0.25f : 0.0f};
            check_case(&g);
        }
}
END_TEST

START_TEST(packed_under_one_level_runs_under_another)
{
    obn_isa top = obn_cpu_detect();
    if (top == OBN_ISA_PORTABLE) return;
    float a[6 * 5], b[5 * 7], c[6 * 7], want[6 * 7];
    for (int i = 0; i < 30; i++) a[i] = (float)(i % 7) - 3.0f;
    for (int i = 0; i < 35; i++) b[i] = (float)(i % 5) - 2.0f;
    ck_assert_int_eq(obn_sgemm(0, 0, 6, 7, 5, 1.0f, a, 5, b, 7, 0.0f, want, 7, NULL, 1), 0);
    obn_cpu_force(top);
    obn_sgemm_packed *pb = obn_sgemm_pack_b(5, 7, b, 7, 0);
    obn_cpu_force(OBN_ISA_PORTABLE);
    obn_sgemm_packed *pa = obn_sgemm_pack_a(6, 5, a, 5, 0);
    obn_sgemm_call call = {.m = 6, .n = 7, .k = 5, .alpha = 1.0f, .c = c, .ldc = 7};
    call.a = (obn_sgemm_operand){a, 5, 0, NULL};
    call.b = (obn_sgemm_operand){NULL, 0, 0, pb};
    ck_assert_int_eq(obn_sgemm_run(&call, NULL, 0, 2), OBN_SGEMM_OK);
    for (int i = 0; i < 42; i++) ck_assert_float_eq(c[i], want[i]);
    call.a.packed = pa; /* packed for different kernels: refused */
    ck_assert_int_eq(obn_sgemm_run(&call, NULL, 0, 2), OBN_SGEMM_E_ARGS);
    obn_sgemm_packed_free(pa);
    obn_sgemm_packed_free(pb);
}
END_TEST

START_TEST(bad_arguments)
{
    float a[16] = {0}, b[16] = {0}, c[16] = {0};
    ck_assert_int_eq(obn_sgemm(0, 0, -1, 2, 2, 1, a, 2, b, 2, 0, c, 2, NULL, 1), OBN_SGEMM_E_ARGS);
    ck_assert_int_eq(obn_sgemm(0, 0, 2, 2, 3, 1, a, 2, b, 2, 0, c, 2, NULL, 1), OBN_SGEMM_E_ARGS); /* lda < k */
    ck_assert_int_eq(obn_sgemm(0, 1, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2, NULL, 1), OBN_SGEMM_E_ARGS); /* ldb < k */
    ck_assert_int_eq(obn_sgemm(0, 0, 2, 3, 2, 1, a, 2, b, 3, 0, c, 2, NULL, 1), OBN_SGEMM_E_ARGS); /* ldc < n */
    obn_sgemm_epilogue ep = {OBN_BIAS_COL, NULL, 0, 0, 0, 0, 0};
    ck_assert_int_eq(obn_sgemm(0, 0, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2, &ep, 1), OBN_SGEMM_E_ARGS);
    obn_sgemm_packed *pb = obn_sgemm_pack_b(2, 3, b, 3, 0);
    obn_sgemm_call call = {.m = 2, .n = 2, .k = 2, .alpha = 1.0f, .c = c, .ldc = 2};
    call.a = (obn_sgemm_operand){a, 2, 0, NULL};
    call.b = (obn_sgemm_operand){NULL, 0, 0, pb}; /* packed 2x3, call wants 2x2 */
    ck_assert_int_eq(obn_sgemm_run(&call, NULL, 0, 1), OBN_SGEMM_E_ARGS);
    call.a = (obn_sgemm_operand){NULL, 0, 0, pb}; /* a B panel as A */
    call.n = 3;
    call.ldc = 3;
    ck_assert_int_eq(obn_sgemm_run(&call, NULL, 0, 1), OBN_SGEMM_E_ARGS);
    obn_sgemm_packed_free(pb);
    ck_assert_ptr_null(obn_sgemm_pack_a(2, 3, a, 2, 0));
    /* empty products are fine and touch nothing */
    ck_assert_int_eq(obn_sgemm(0, 0, 0, 2, 2, 1, NULL, 2, b, 2, 0, NULL, 2, NULL, 1), OBN_SGEMM_OK);
}
END_TEST

START_TEST(isa_names_and_env)
{
    ck_assert_str_eq(obn_isa_name(OBN_ISA_PORTABLE), "portable");
    ck_assert_str_eq(obn_isa_name(OBN_ISA_AVX2), "avx2");
    ck_assert_str_eq(obn_isa_name(OBN_ISA_AVX512), "avx512");
    ck_assert_int_le(obn_cpu_isa(), obn_cpu_detect());
    ck_assert_int_eq(obn_cpu_force(OBN_ISA_PORTABLE), OBN_ISA_PORTABLE);
    ck_assert_str_eq(obn_sgemm_kernel_name(), "portable 4x8");
    ck_assert_int_eq(obn_cpu_force(OBN_ISA_AVX512), obn_cpu_detect()); /* clamped to the hardware */
    /* OBN_ISA values */
    obn_isa top = obn_cpu_detect();
    ck_assert_int_eq(obn_cpu_level_from_name("portable"), OBN_ISA_PORTABLE);
    ck_assert_int_eq(obn_cpu_level_from_name("avx2"), top < OBN_ISA_AVX2 ? top : OBN_ISA_AVX2);
    ck_assert_int_eq(obn_cpu_level_from_name("avx512"), top);
    /* the default is the detected level, AVX-512 included (see cpu.c) */
    ck_assert_int_eq(obn_cpu_level_from_name("sse9"), top);
    ck_assert_int_eq(obn_cpu_level_from_name(NULL), top);
}
END_TEST

/* A pre-packed A larger than the streamed-B limit (256 KiB) with a B of at
 * most 384 columns takes the A-streaming loop (gemm_thread_stream_a): one K
 * block or several (B panels beyond 384 KiB per block), B packed per call
 * or pre-packed, partial row and column panels, beta, bias, clamp. */
START_TEST(streamed_large_packed_a)
{
    if (!force_level(_i / 2)) return;
    static const int64_t big[][3] = {{200, 49, 400}, {150, 300, 1100}, {29, 17, 3000}, {97, 384, 700}};
    for (int s = 0; s < 4; s++)
        for (int v = 0; v < 4; v++) {
            gemm_case g = {big[s][0], big[s][1], big[s][2], v == 1, v == 2, 1.0f, (float)(v & 1), 1 + v % 2,
                           v == 3, -0.5f, 0.5f, v, 1, v >= 2, 0, 1 + _i % 2, v == 1, 0.0f};
            check_case(&g);
        }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sgemm");
    TCase *t = tcase_create("sgemm");
    tcase_set_timeout(t, 300);
    /* _i: level * 2 + (threads - 1), levels portable, avx2, avx512 */
    tcase_add_loop_test(t, shapes_every_isa_and_threads, 0, 6);
    tcase_add_loop_test(t, column_edges, 0, 6);
    tcase_add_loop_test(t, beta_zero_ignores_nan_in_c, 0, 6);
    tcase_add_loop_test(t, epilogue_bias_and_clamp, 0, 6);
    tcase_add_loop_test(t, prepacked_operands, 0, 6);
    tcase_add_loop_test(t, large_k, 0, 6);
    tcase_add_loop_test(t, row_edges_packed_b, 0, 6);
    tcase_add_loop_test(t, streamed_large_packed_a, 0, 6);
    tcase_add_test(t, packed_under_one_level_runs_under_another);
    tcase_add_test(t, bad_arguments);
    tcase_add_test(t, isa_names_and_env);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
