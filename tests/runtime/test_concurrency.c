/* Concurrency: one model shared by 8 sessions, each created and run on its
 * own thread, 200 runs per thread on different inputs (batch sizes 1-3, so
 * sessions also replan while the others run). Every output must equal, bit
 * for bit, the output of the same input run alone by one session on one
 * thread. The ctest 'tsan' builds this suite and the library under
 * ThreadSanitizer (tests/CMakeLists.txt). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb_check.h"

enum { THREADS = 8, RUNS = 200, N_OUT = 2 };

static const char *const OUT_NAMES[N_OUT] = {"probs", "pooled"};

static float *ramp(size_t n, int mul, int mod, float scale)
{
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = (float)((int)((i * (size_t)mul) % (size_t)mod) - mod / 2) * scale;
    return v;
}

static void init_ramp(tb_model *m, const char *name, int rank, const int64_t *dims, int mul, int mod, float scale,
                      float offset)
{
    size_t n = 1;
    for (int i = 0; i < rank; i++) n *= (size_t)dims[i];
    float *v = ramp(n, mul, mod, scale);
    for (size_t i = 0; i < n; i++) v[i] += offset;
    tb_init_f32(m, name, rank, dims, v);
    free(v);
}

/* x [N,3,12,12] -> Conv 3x3 -> BatchNormalization -> Relu -> MaxPool 2x2
 * ("pooled" [N,8,6,6]) -> depthwise Conv -> Sigmoid -> Flatten -> Gemm
 * (bias = Add of two initializers, folded when the session is created) ->
 * Softmax ("probs" [N,10]). The passes fold the BN into the Conv and fuse
 * activations, so session creation rewrites its copy of the shared graph. */
static obn_model *shared_model(void)
{
    tb_model *m = tb_new(13);
    static const int64_t dx[4] = {-1, 3, 12, 12}, dw1[4] = {8, 3, 3, 3}, d8[1] = {8}, dw2[4] = {8, 1, 3, 3},
                         dg[2] = {288, 10}, d10[1] = {10}, dp[4] = {-1, 8, 6, 6}, dy[2] = {-1, 10};
    static const int64_t k3[2] = {3, 3}, p1[4] = {1, 1, 1, 1}, k2[2] = {2, 2};
    tb_input(m, "x", OBN_FLOAT, 4, dx);
    init_ramp(m, "w1", 4, dw1, 37, 23, 0.02f, 0.0f);
    init_ramp(m, "b1", 1, d8, 5, 7, 0.05f, 0.0f);
    init_ramp(m, "scale", 1, d8, 3, 5, 0.1f, 1.0f);
    init_ramp(m, "shift", 1, d8, 2, 7, 0.05f, 0.0f);
    init_ramp(m, "mean", 1, d8, 3, 11, 0.03f, 0.0f);
    init_ramp(m, "var", 1, d8, 1, 9, 0.05f, 0.5f);
    init_ramp(m, "w2", 4, dw2, 11, 13, 0.05f, 0.0f);
    init_ramp(m, "b2", 1, d8, 1, 3, 0.1f, 0.0f);
    init_ramp(m, "wg", 2, dg, 97, 61, 0.004f, 0.0f);
    init_ramp(m, "c0", 1, d10, 1, 10, 0.1f, 0.0f);
    init_ramp(m, "c1", 1, d10, 3, 10, 0.05f, 0.0f);
    Onnx__NodeProto *n = tb_node(m, "Conv", "conv1", "x,w1,b1", "c");
    tb_attr_ints(m, n, "kernel_shape", 2, k3);
    tb_attr_ints(m, n, "pads", 4, p1);
    tb_node(m, "BatchNormalization", "bn", "c,scale,shift,mean,var", "bnout");
    tb_node(m, "Relu", "relu", "bnout", "r");
    n = tb_node(m, "MaxPool", "pool", "r", "pooled");
    tb_attr_ints(m, n, "kernel_shape", 2, k2);
    tb_attr_ints(m, n, "strides", 2, k2);
    n = tb_node(m, "Conv", "dw", "pooled,w2,b2", "d");
    tb_attr_ints(m, n, "kernel_shape", 2, k3);
    tb_attr_ints(m, n, "pads", 4, p1);
    tb_attr_int(m, n, "group", 8);
    tb_node(m, "Sigmoid", "sig", "d", "s");
    tb_node(m, "Flatten", "flat", "s", "f");
    tb_node(m, "Add", "bias", "c0,c1", "gc");
    tb_node(m, "Gemm", "fc", "f,wg,gc", "logits");
    tb_node(m, "Softmax", "softmax", "logits", "probs");
    tb_output(m, "probs", OBN_FLOAT, 2, dy);
    tb_output(m, "pooled", OBN_FLOAT, 4, dp);
    obn_model *model = NULL;
    TB_EXPECT_OK(tb_load(m, &model));
    tb_free(m);
    return model;
}

/* The input of run r on thread t: its batch size and values differ per run. */
static obn_tensor *input_of(int t, int r)
{
    const int64_t d[4] = {1 + (t + r) % 3, 3, 12, 12};
    return tb_f32_random(4, d, (uint64_t)(t * RUNS + r + 1), -2.0f, 2.0f);
}

static obn_session *new_session(const obn_model *model, char *err, size_t cap)
{
    obn_session_options o;
    obn_session_options_init(&o);
    o.threads = 1; /* the threads are the test's, not OpenMP's */
    obn_session *s = NULL;
    if (obn_session_create(model, &o, &s) != OBN_OK) snprintf(err, cap, "session: %s", obn_last_error());
    return s;
}

/* Runs input (t, r); the outputs are borrowed from the session. */
static obn_status run_one(obn_session *s, const obn_run_options *ro, int t, int r, const obn_tensor **outs)
{
    obn_tensor *x = input_of(t, r);
    const char *name = "x";
    obn_status st = obn_session_run_with(s, ro, 1, &name, (const obn_tensor *const *)&x, N_OUT, OUT_NAMES, outs);
    obn_tensor_destroy(x);
    return st;
}

static int same_bits(const obn_tensor *a, const obn_tensor *b)
{
    size_t ra = obn_tensor_rank(a);
    if (ra != obn_tensor_rank(b) || obn_tensor_dtype(a) != obn_tensor_dtype(b)) return 0;
    for (size_t i = 0; i < ra; i++)
        if (obn_tensor_dims(a)[i] != obn_tensor_dims(b)[i]) return 0;
    return memcmp(obn_tensor_cdata(a), obn_tensor_cdata(b), obn_tensor_nbytes(a)) == 0;
}

typedef struct worker {
    const obn_model *model;
    const obn_run_options *ro;
    pthread_barrier_t *start;
    obn_tensor *const *expected; /* [RUNS * N_OUT] for this thread */
    int t, mismatches;
    char err[512];
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    /* all sessions are created at the same moment, from the one model */
    pthread_barrier_wait(w->start);
    obn_session *s = new_session(w->model, w->err, sizeof w->err);
    for (int r = 0; s && r < RUNS && !w->err[0]; r++) {
        const obn_tensor *outs[N_OUT];
        if (run_one(s, w->ro, w->t, r, outs) != OBN_OK) {
            snprintf(w->err, sizeof w->err, "run %d: %s", r, obn_last_error());
            break;
        }
        for (int k = 0; k < N_OUT; k++)
            if (!same_bits(outs[k], w->expected[r * N_OUT + k])) w->mismatches++;
    }
    obn_session_destroy(s);
    return NULL;
}

START_TEST(shared_model_eight_threads_bit_equal)
{
    obn_model *model = shared_model();
    /* the references: every input run alone, one session, one thread */
    obn_tensor **expected = calloc((size_t)THREADS * RUNS * N_OUT, sizeof *expected);
    char err[512] = "";
    obn_session *ref = new_session(model, err, sizeof err);
    ck_assert_msg(ref, "%s", err);
    for (int t = 0; t < THREADS; t++)
        for (int r = 0; r < RUNS; r++) {
            const obn_tensor *outs[N_OUT];
            TB_EXPECT_OK(run_one(ref, NULL, t, r, outs));
            for (int k = 0; k < N_OUT; k++)
                TB_EXPECT_OK(obn_tensor_clone(outs[k], &expected[(t * RUNS + r) * N_OUT + k]));
        }
    obn_session_destroy(ref);
    /* one obn_run_options shared by every run (a deadline far away) */
    obn_run_options *ro = NULL;
    TB_EXPECT_OK(obn_run_options_create(&ro));
    TB_EXPECT_OK(obn_run_options_set_timeout(ro, 3600.0));
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, THREADS);
    worker w[THREADS];
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++) {
        w[t] = (worker){model, ro, &start, expected + (size_t)t * RUNS * N_OUT, t, 0, ""};
        ck_assert_int_eq(pthread_create(&th[t], NULL, work, &w[t]), 0);
    }
    for (int t = 0; t < THREADS; t++) pthread_join(th[t], NULL);
    pthread_barrier_destroy(&start);
    for (int t = 0; t < THREADS; t++) {
        ck_assert_msg(!w[t].err[0], "thread %d: %s", t, w[t].err);
        ck_assert_msg(w[t].mismatches == 0, "thread %d: %d of %d outputs differ from the single-threaded run", t,
                      w[t].mismatches, RUNS * N_OUT);
    }
    for (int i = 0; i < THREADS * RUNS * N_OUT; i++) obn_tensor_destroy(expected[i]);
    free(expected);
    obn_run_options_destroy(ro);
    obn_model_destroy(model);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("concurrency");
    TCase *t = tcase_create("core");
    tcase_set_timeout(t, 600);
    tcase_add_test(t, shared_model_eight_threads_bit_equal);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
