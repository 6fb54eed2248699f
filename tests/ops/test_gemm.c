/* Gemm against Y = alpha * A' * B' + beta * C computed here in double with a
 * plain triple loop and explicit broadcasting of C. Tolerance:
 * 1e-5 * (|alpha| * sum|a*b| + |beta*c|) + 1e-6. Every C form (none,
 * scalar, [1], [N], [1,N], [M,1], [1,1], [M,N]), transA/transB, alpha and
 * beta, constant or run-time B and C, versions 6 (broadcast attribute), 7,
 * 11 and 13, on every ISA level and 1 and 2 threads; then shape errors. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu.h"
#include "model_builder.h"
#include "tb_check.h"

typedef struct {
    int version;
    int64_t m, n, k;
    int ta, tb;
    float alpha, beta;
    int c_rank;          /* -1: no C */
    int64_t c_dims[2];
    int broadcast;       /* -1: attribute absent */
    int b_input, c_input; /* fed at run time instead of initializers */
    int relu;
} gemm_case;

static int threads_of_run = 1;

static float *pattern(int64_t n, double scale, double phase)
{
    float *p = malloc((size_t)(n ? n : 1) * sizeof *p);
    for (int64_t i = 0; i < n; i++) p[i] = (float)(cos((double)i * 0.61 + phase) * scale);
    return p;
}

/* C element for output (i, j) under unidirectional broadcasting. */
static double c_at(const gemm_case *g, const float *c, int64_t i, int64_t j)
{
    int64_t cm = g->c_rank == 2 ? g->c_dims[0] : 1, cn = g->c_rank >= 1 ? g->c_dims[g->c_rank - 1] : 1;
    return c[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)];
}

static void check_case(const gemm_case *g)
{
    int64_t ad[2] = {g->ta ? g->k : g->m, g->ta ? g->m : g->k}, bd[2] = {g->tb ? g->n : g->k, g->tb ? g->k : g->n};
    int64_t cn = 1;
    for (int i = 0; i < g->c_rank; i++) cn *= g->c_dims[i];
    float *a = pattern(g->m * g->k, 1.0, 0.3), *b = pattern(g->k * g->n, 0.7, 1.1), *c = pattern(cn, 0.5, 2.2);

    tb_model *tm = tb_new(g->version);
    tb_input(tm, "a", OBN_FLOAT, 2, ad);
    if (g->b_input) tb_input(tm, "b", OBN_FLOAT, 2, bd);
    else tb_init_f32(tm, "b", 2, bd, b);
    if (g->c_rank >= 0) {
        if (g->c_input) tb_input(tm, "c", OBN_FLOAT, g->c_rank, g->c_dims);
        else tb_init_f32(tm, "c", g->c_rank, g->c_dims, c);
    }
    Onnx__NodeProto *n = tb_node(tm, "Gemm", "fc", g->c_rank >= 0 ? "a,b,c" : "a,b", g->relu ? "t" : "y");
    if (g->ta) tb_attr_int(tm, n, "transA", 1);
    if (g->tb) tb_attr_int(tm, n, "transB", 1);
    if (g->alpha != 1.0f) tb_attr_float(tm, n, "alpha", g->alpha);
    if (g->beta != 1.0f) tb_attr_float(tm, n, "beta", g->beta);
    if (g->broadcast >= 0) tb_attr_int(tm, n, "broadcast", g->broadcast);
    if (g->relu) tb_node(tm, "Relu", "relu", "t", "y");
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);

    obn_model *model = NULL, *opt = NULL;
    ck_assert_msg(tb_load(tm, &model) == OBN_OK, "load: %s", obn_last_error());
    if (g->relu) {
        ck_assert_msg(obn_model_optimize(model, NULL, &opt) == OBN_OK, "optimize: %s", obn_last_error());
        obn_model_destroy(model);
        model = opt;
    }
    obn_tensor *in[3] = {tb_f32(2, ad, a), NULL, NULL}, *y = NULL;
    size_t n_in = 1;
    if (g->b_input) in[n_in++] = tb_f32(2, bd, b);
    if (g->c_rank >= 0 && g->c_input) in[n_in++] = tb_f32((size_t)g->c_rank, g->c_dims, c);
    obn_status st = tb_run(model, threads_of_run, 0, n_in, in, 1, &y);
    ck_assert_msg(st == OBN_OK, "run: %s", obn_last_error());
    ck_assert_int_eq((int)obn_tensor_rank(y), 2);
    ck_assert_int_eq(obn_tensor_dims(y)[0], g->m);
    ck_assert_int_eq(obn_tensor_dims(y)[1], g->n);
    const float *got = obn_tensor_cdata(y);
    for (int64_t i = 0; i < g->m; i++)
        for (int64_t j = 0; j < g->n; j++) {
            double s = 0, mag = 0;
            for (int64_t p = 0; p < g->k; p++) {
                double av = g->ta ? a[p * g->m + i] : a[i * g->k + p], bv = g->tb ? b[j * g->k + p] : b[p * g->n + j];
                s += av * bv;
                mag += fabs(av * bv);
            }
            double want = g->alpha * s, cv = g->c_rank >= 0 ? g->beta * c_at(g, c, i, j) : 0.0;
            want += cv;
            if (g->relu && want < 0) want = 0;
            double tol = 1e-5 * (fabs(g->alpha) * mag + fabs(cv)) + 1e-6;
            ck_assert_msg(fabs(got[i * g->n + j] - want) <= tol,
                          "%s v%d C rank %d: Y[%lld][%lld] = %.9g, expected %.9g",
                          obn_isa_name(obn_cpu_isa()), g->version, g->c_rank, (long long)i, (long long)j,
                          (double)got[i * g->n + j], want);
        }
    for (size_t i = 0; i < n_in; i++) obn_tensor_destroy(in[i]);
    obn_tensor_destroy(y);
    obn_model_destroy(model);
    tb_free(tm);
    free(a);
    free(b);
    free(c);
}

static int setup_run(int i)
{
    if (i / 2 > (int)obn_cpu_detect()) return 0;
    obn_cpu_force((obn_isa)(i / 2));
    threads_of_run = 1 + i % 2;
    return 1;
}

static gemm_case base(int64_t m, int64_t n, int64_t k)
{
    gemm_case g = {13, m, n, k, 0, 0, 1.0f, 1.0f, -1, {0, 0}, -1, 0, 0, 0};
    return g;
}

/* Sets C's shape: kind 0 none, 1 scalar, 2 [1], 3 [N], 4 [1,N], 5 [M,1], 6 [1,1], 7 [M,N]. */
static void set_c(gemm_case *g, int kind)
{
    static const int ranks[8] = {-1, 0, 1, 1, 2, 2, 2, 2};
    g->c_rank = ranks[kind];
    g->c_dims[0] = kind == 3 ? g->n : kind == 5 || kind == 7 ? g->m : 1;
    g->c_dims[1] = kind == 4 || kind == 7 ? g->n : 1;
}

START_TEST(every_bias_form_and_transpose)
{
    if (!setup_run(_i)) return;
    static const int64_t shapes[][3] = {{3, 4, 5}, {1, 9, 7}, {7, 1, 6}, {1, 1, 3}, {37, 50, 70}, {130, 20, 260}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int kind = 0; kind < 8; kind++)
            for (int t = 0; t < 4; t++) {
                gemm_case g = base(shapes[s][0], shapes[s][1], shapes[s][2]);
                g.ta = t & 1;
                g.tb = t >> 1;
                set_c(&g, kind);
                g.alpha = t == 1 ? 0.5f : 1.0f;
                g.beta = t == 2 ? -2.0f : 1.0f;
                check_case(&g);
            }
}
END_TEST

START_TEST(run_time_operands_and_scalars)
{
    if (!setup_run(_i)) return;
    for (int kind = 1; kind < 8; kind++) {
        gemm_case g = base(6, 17, 9);
        set_c(&g, kind);
        g.c_input = 1; /* beta*C computed at run time */
        g.beta = 0.25f;
        check_case(&g);
        g.b_input = 1; /* B not packed */
        g.tb = 1;
        check_case(&g);
        g.beta = 0.0f; /* C ignored */
        g.alpha = -1.5f;
        check_case(&g);
    }
    gemm_case g = base(1, 300, 200); /* M = 1: matrix-vector path */
    set_c(&g, 3);
    check_case(&g);
    g.b_input = 1;
    check_case(&g);
    g.tb = 1;
    check_case(&g);
}
END_TEST

START_TEST(versions_and_broadcast_attribute)
{
    if (!setup_run(_i)) return;
    static const int versions[] = {6, 7, 9, 11, 13};
    for (int v = 0; v < 5; v++) {
        gemm_case g = base(4, 5, 3);
        g.version = versions[v];
        set_c(&g, 7); /* [M, N]: valid everywhere */
        check_case(&g);
        set_c(&g, 3); /* [N]: needs broadcast=1 before 7 */
        if (versions[v] < 7) g.broadcast = 1;
        check_case(&g);
        if (versions[v] >= 11) {
            set_c(&g, 0);
            check_case(&g);
        }
    }
    gemm_case g = base(4, 5, 3);
    g.version = 6;
    g.broadcast = 0;
    set_c(&g, 7);
    check_case(&g);
}
END_TEST

START_TEST(fused_relu)
{
    if (!setup_run(_i)) return;
    for (int kind = 0; kind < 8; kind += 3) {
        gemm_case g = base(9, 21, 13);
        set_c(&g, kind);
        g.relu = 1;
        g.tb = 1;
        check_case(&g);
    }
}
END_TEST

static obn_status create_status(tb_model *m)
{
    obn_model *model = NULL;
    obn_status st = tb_load(m, &model);
    if (st != OBN_OK) return st;
    obn_session *s = NULL;
    st = obn_session_create(model, NULL, &s);
    obn_session_destroy(s);
    obn_model_destroy(model);
    return st;
}

/* A [2,3] x B (b_rows x b_cols) + C (c_rank, c_dims) model for error cases. */
static tb_model *error_model(int version, int64_t b_rows, int64_t b_cols, int c_rank, const int64_t *c_dims,
                             Onnx__NodeProto **node)
{
    tb_model *tm = tb_new(version);
    int64_t ad[2] = {2, 3}, bd[2] = {b_rows, b_cols};
    float buf[64] = {0};
    tb_input(tm, "a", OBN_FLOAT, 2, ad);
    tb_init_f32(tm, "fc.weight", 2, bd, buf);
    if (c_rank >= 0) tb_init_f32(tm, "fc.bias", c_rank, c_dims, buf);
    *node = tb_node(tm, "Gemm", "fc", c_rank >= 0 ? "a,fc.weight,fc.bias" : "a,fc.weight", "y");
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    return tm;
}

#define EXPECT_ERROR(tm, code, ...)                                                                     \
    do {                                                                                                \
        ck_assert_int_eq(create_status(tm), code);                                                      \
        const char *msg_ = obn_last_error();                                                            \
        const char *needles_[] = {"\"fc\"", __VA_ARGS__};                                               \
        for (size_t i_ = 0; i_ < sizeof needles_ / sizeof *needles_; i_++)                              \
            ck_assert_msg(strstr(msg_, needles_[i_]), "message lacks '%s': %s", needles_[i_], msg_);   \
        tb_free(tm);                                                                                    \
    } while (0)

START_TEST(shape_errors)
{
    Onnx__NodeProto *n;
    int64_t c4[1] = {4}, c32[2] = {3, 2}, c22[2] = {2, 2};
    tb_model *tm = error_model(13, 4, 2, -1, NULL, &n); /* K 3 vs 4 */
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'A'", "'B'", "fc.weight", "K=3", "K=4");
    tm = error_model(13, 2, 3, -1, NULL, &n);
    tb_attr_int(tm, n, "transB", 1); /* B^T is [3, 2]: fine */
    ck_assert_int_eq(create_status(tm), OBN_OK);
    tb_free(tm);
    tm = error_model(13, 3, 2, 1, c4, &n); /* C [4] for N = 2 */
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'C'", "fc.bias", "[4]", "[2, 2]");
    tm = error_model(13, 3, 2, 2, c32, &n); /* C [3,2] for M = 2 */
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'C'", "[3,2]");
    int64_t c2[1] = {2};
    tm = error_model(6, 3, 2, 1, c2, &n); /* [N] without broadcast=1 */
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'C'", "broadcast=0");
    tm = error_model(6, 3, 2, 2, c22, &n); /* exact [M, N] is fine */
    ck_assert_int_eq(create_status(tm), OBN_OK);
    tb_free(tm);
    tm = error_model(9, 3, 2, -1, NULL, &n); /* C required before 11 */
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "required input 'C' (#2) is missing", "Gemm-9: A B C");
    tm = error_model(13, 3, 2, -1, NULL, &n);
    tb_attr_int(tm, n, "broadcast", 1);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'broadcast'", "Gemm-13");
    /* rank-3 A, int32 A */
    tm = tb_new(13);
    int64_t a3[3] = {1, 2, 3}, bd[2] = {3, 2};
    float buf[6] = {0};
    tb_input(tm, "a", OBN_FLOAT, 3, a3);
    tb_init_f32(tm, "b", 2, bd, buf);
    tb_node(tm, "Gemm", "fc", "a,b", "y");
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    EXPECT_ERROR(tm, OBN_E_INVALID_MODEL, "'A'", "rank 3");
    tm = tb_new(13);
    int32_t ib[6] = {0};
    tb_input(tm, "a", OBN_INT32, 2, bd);
    tb_add_init(tm, tb_tensor(tm, "b", OBN_INT32, 2, bd, ib, sizeof ib));
    tb_node(tm, "Gemm", "fc", "a,b", "y");
    tb_output(tm, "y", OBN_INT32, -1, NULL);
    EXPECT_ERROR(tm, OBN_E_UNSUPPORTED, "'A'", "int32");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("gemm");
    TCase *t = tcase_create("gemm");
    tcase_set_timeout(t, 120);
    tcase_add_loop_test(t, every_bias_form_and_transpose, 0, 6);
    tcase_add_loop_test(t, run_time_operands_and_scalars, 0, 6);
    tcase_add_loop_test(t, versions_and_broadcast_attribute, 0, 6);
    tcase_add_loop_test(t, fused_relu, 0, 6);
    tcase_add_test(t, shape_errors);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
