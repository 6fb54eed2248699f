/* Cancellation (obn_run_options): a run that is terminated or passes its
 * timeout returns OBN_E_CANCELLED with a message saying why and where,
 * between nodes or inside a long node (Conv, ConvTranspose, MatMul over a
 * batch, and inside one kernel call of one image), and the session then runs again with the same results as a run
 * that was never cancelled. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tb_check.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static obn_tensor *filled(size_t rank, const int64_t *dims, unsigned seed)
{
    obn_tensor *t = NULL;
    TB_EXPECT_OK(obn_tensor_create(OBN_FLOAT, rank, dims, NULL, &t));
    float *p = obn_tensor_data(t);
    for (int64_t i = 0; i < obn_tensor_numel(t); i++)
        p[i] = (float)((i * 7919u + seed * 104729u) % 2001u) / 1000.0f - 1.0f;
    return t;
}

static obn_model *load(tb_model *m)
{
    obn_model *model = NULL;
    TB_EXPECT_OK(tb_load(m, &model));
    tb_free(m);
    return model;
}

static obn_session *session(const obn_model *m)
{
    obn_session_options o;
    obn_session_options_init(&o);
    o.threads = 1;
    obn_session *s = NULL;
    TB_EXPECT_OK(obn_session_create(m, &o, &s));
    return s;
}

/* x [1<<20] through `n` Sigmoid nodes. */
static obn_model *sigmoid_chain(int n)
{
    tb_model *m = tb_new(13);
    static const int64_t d[1] = {1 << 20};
    tb_input(m, "x", OBN_FLOAT, 1, d);
    char in[16] = "x", out[16];
    for (int i = 0; i < n; i++) {
        snprintf(out, sizeof out, i == n - 1 ? "y" : "h%d", i);
        tb_node(m, "Sigmoid", NULL, in, out);
        strcpy(in, out);
    }
    tb_output(m, "y", OBN_FLOAT, 1, d);
    return load(m);
}

static obn_status run1(obn_session *s, const obn_run_options *ro, const char *name, const obn_tensor *x,
                       const obn_tensor **y)
{
    return obn_session_run_with(s, ro, 1, &name, &x, 1, NULL, y);
}

/* Runs with a timeout of a quarter of `full` (the time of an uncancelled
 * run): the run must stop with OBN_E_CANCELLED and a message holding
 * `where`. A machine busier during the reference run than now may finish
 * within the quarter: the timeout is then halved, up to five times. */
static void expect_timeout(obn_session *s, size_t n, const char *const *names, const obn_tensor *const *in,
                           double full, const char *where)
{
    obn_run_options *ro = NULL;
    TB_EXPECT_OK(obn_run_options_create(&ro));
    obn_status st = OBN_OK;
    for (int attempt = 0; attempt < 6 && st == OBN_OK; attempt++) {
        TB_EXPECT_OK(obn_run_options_set_timeout(ro, full / (4 << attempt)));
        const obn_tensor *y = NULL;
        st = obn_session_run_with(s, ro, n, names, in, 1, NULL, &y);
        if (st != OBN_OK) ck_assert_ptr_null(y);
    }
    ck_assert_msg(st == OBN_E_CANCELLED, "got %s: %s", obn_status_name(st), obn_last_error());
    ck_assert_msg(TB_HAS(obn_last_error(), "timeout", where), "message: %s", obn_last_error());
    obn_run_options_destroy(ro);
}

START_TEST(options_api)
{
    obn_run_options *ro = NULL;
    TB_EXPECT_ERR(obn_run_options_create(NULL), OBN_E_INVALID_ARGUMENT, "NULL");
    TB_EXPECT_OK(obn_run_options_create(&ro));
    TB_EXPECT_ERR(obn_run_options_set_timeout(ro, -1.0), OBN_E_INVALID_ARGUMENT, "-1");
    TB_EXPECT_ERR(obn_run_options_set_timeout(ro, 0.0 / 0.0), OBN_E_INVALID_ARGUMENT, "nan");
    TB_EXPECT_ERR(obn_run_options_set_timeout(ro, 1.0 / 0.0), OBN_E_INVALID_ARGUMENT, "inf");
    TB_EXPECT_OK(obn_run_options_set_timeout(ro, 0.0));
    TB_EXPECT_ERR(obn_run_options_set_timeout(NULL, 1.0), OBN_E_INVALID_ARGUMENT, "NULL");
    obn_run_options_terminate(NULL); /* harmless */
    obn_run_options_reset(NULL);
    ck_assert_str_eq(obn_status_name(OBN_E_CANCELLED), "CANCELLED");
    obn_run_options_destroy(ro);
    obn_run_options_destroy(NULL);
}
END_TEST

START_TEST(terminated_before_the_run_then_reset)
{
    obn_model *m = sigmoid_chain(3);
    obn_session *s = session(m);
    static const int64_t d[1] = {1 << 20};
    obn_tensor *x = filled(1, d, 1);
    const obn_tensor *y = NULL;
    TB_EXPECT_OK(run1(s, NULL, "x", x, &y));
    obn_tensor *want = NULL;
    TB_EXPECT_OK(obn_tensor_clone(y, &want));
    obn_run_options *ro = NULL;
    TB_EXPECT_OK(obn_run_options_create(&ro));
    obn_run_options_terminate(ro);
    TB_EXPECT_ERR(run1(s, ro, "x", x, &y), OBN_E_CANCELLED, "terminated", "before", "Sigmoid");
    ck_assert_ptr_null(y);
    TB_EXPECT_ERR(run1(s, ro, "x", x, &y), OBN_E_CANCELLED, "terminated"); /* stays set */
    obn_run_options_reset(ro);
    TB_EXPECT_OK(run1(s, ro, "x", x, &y));
    ck_assert_int_eq(memcmp(obn_tensor_cdata(y), obn_tensor_cdata(want), obn_tensor_nbytes(want)), 0);
    obn_run_options_destroy(ro);
    obn_tensor_destroy(want);
    obn_tensor_destroy(x);
    obn_session_destroy(s);
    obn_model_destroy(m);
}
END_TEST

START_TEST(timeout_between_nodes)
{
    obn_model *m = sigmoid_chain(64);
    obn_session *s = session(m);
    static const int64_t d[1] = {1 << 20};
    obn_tensor *x = filled(1, d, 2);
    const obn_tensor *y = NULL;
    TB_EXPECT_OK(run1(s, NULL, "x", x, &y)); /* warm-up */
    double t0 = now();
    TB_EXPECT_OK(run1(s, NULL, "x", x, &y));
    double full = now() - t0;
    obn_tensor *want = NULL;
    TB_EXPECT_OK(obn_tensor_clone(y, &want));
    /* a quarter of the time: passes at the first node, not at the last */
    const char *name = "x";
    expect_timeout(s, 1, &name, (const obn_tensor *const *)&x, full, "passed before node");
    ck_assert(TB_HAS(obn_last_error(), "Sigmoid"));
    /* generous: the deadline counts from each run's start */
    obn_run_options *ro = NULL;
    TB_EXPECT_OK(obn_run_options_create(&ro));
    TB_EXPECT_OK(obn_run_options_set_timeout(ro, 3600.0));
    TB_EXPECT_OK(run1(s, ro, "x", x, &y));
    ck_assert_int_eq(memcmp(obn_tensor_cdata(y), obn_tensor_cdata(want), obn_tensor_nbytes(want)), 0);
    obn_run_options_destroy(ro);
    obn_tensor_destroy(want);
    obn_tensor_destroy(x);
    obn_session_destroy(s);
    obn_model_destroy(m);
}
END_TEST

/* One node `op` over x [8, 32, 96, 96] with W [32, 32, 3, 3]: about 85M
 * multiply-adds per image, so the op hands the kernel one image at a time. */
static obn_model *one_conv(const char *op)
{
    tb_model *m = tb_new(13);
    static const int64_t dx[4] = {-1, 32, 96, 96}, dw[4] = {32, 32, 3, 3};
    tb_input(m, "x", OBN_FLOAT, 4, dx);
    float *w = malloc(32 * 32 * 9 * sizeof *w);
    for (int i = 0; i < 32 * 32 * 9; i++) w[i] = (float)((i * 31) % 17 - 8) / 64.0f;
    tb_init_f32(m, "w", 4, dw, w);
    free(w);
    tb_node(m, op, "big", "x,w", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    return load(m);
}

/* MatMul(x, w), both [8, 384, 384]: eight products of 57M multiply-adds,
 * one kernel call each. */
static obn_model *batched_matmul(void)
{
    tb_model *m = tb_new(13);
    static const int64_t d[3] = {-1, 384, 384};
    tb_input(m, "x", OBN_FLOAT, 3, d);
    tb_input(m, "w", OBN_FLOAT, 3, d);
    tb_node(m, "MatMul", "big", "x,w", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    return load(m);
}

/* Runs m on x [8, ...] (and a second input w like x for MatMul); a
 * timeout of a quarter of the full run stops it inside the node (the one
 * node: the check before it passes at once); then each
 * image of a full run equals a run of that image alone, bit for bit (so the
 * one-image-at-a-time split computes the same thing). */
static void cancel_inside(obn_model *m, int rank, const int64_t *dims, int two_inputs)
{
    obn_session *s = session(m);
    obn_tensor *in[2] = {filled((size_t)rank, dims, 3), two_inputs ? filled((size_t)rank, dims, 4) : NULL};
    const char *names[2] = {"x", "w"};
    int n_in = two_inputs ? 2 : 1;
    const obn_tensor *y = NULL;
    TB_EXPECT_OK(obn_session_run(s, (size_t)n_in, names, (const obn_tensor *const *)in, 1, NULL, &y)); /* warm-up */
    double t0 = now();
    TB_EXPECT_OK(obn_session_run(s, (size_t)n_in, names, (const obn_tensor *const *)in, 1, NULL, &y));
    double full = now() - t0;
    obn_tensor *want = NULL;
    TB_EXPECT_OK(obn_tensor_clone(y, &want));
    expect_timeout(s, (size_t)n_in, names, (const obn_tensor *const *)in, full, "inside node \"big\"");

    /* image b alone */
    int64_t one[4];
    memcpy(one, dims, (size_t)rank * sizeof *one);
    one[0] = 1;
    size_t in_image = (size_t)(obn_tensor_numel(in[0]) / dims[0]);
    size_t out_image = obn_tensor_nbytes(want) / (size_t)dims[0];
    for (int64_t b = 0; b < dims[0]; b += 3) {
        obn_tensor *part[2] = {NULL, NULL};
        for (int k = 0; k < n_in; k++)
            TB_EXPECT_OK(obn_tensor_create(OBN_FLOAT, (size_t)rank, one,
                                           (const float *)obn_tensor_cdata(in[k]) + (size_t)b * in_image, &part[k]));
        TB_EXPECT_OK(obn_session_run(s, (size_t)n_in, names, (const obn_tensor *const *)part, 1, NULL, &y));
        ck_assert_uint_eq(obn_tensor_nbytes(y), out_image);
        ck_assert_msg(memcmp(obn_tensor_cdata(y), (const char *)obn_tensor_cdata(want) + (size_t)b * out_image,
                             out_image) == 0,
                      "image %lld differs", (long long)b);
        for (int k = 0; k < n_in; k++) obn_tensor_destroy(part[k]);
    }
    obn_tensor_destroy(want);
    for (int k = 0; k < n_in; k++) obn_tensor_destroy(in[k]);
    obn_session_destroy(s);
    obn_model_destroy(m);
}

START_TEST(timeout_inside_conv)
{
    static const int64_t d[4] = {8, 32, 96, 96};
    cancel_inside(one_conv("Conv"), 4, d, 0);
}
END_TEST

START_TEST(timeout_inside_conv_transpose)
{
    static const int64_t d[4] = {8, 32, 96, 96};
    cancel_inside(one_conv("ConvTranspose"), 4, d, 0);
}
END_TEST

START_TEST(timeout_inside_matmul)
{
    static const int64_t d[3] = {8, 384, 384};
    cancel_inside(batched_matmul(), 3, d, 1);
}
END_TEST

/* One image through one long node: Conv with a 15 x 15 kernel (im2col,
 * 940M multiply-adds), a 1024-cube MatMul (1.07G), MaxPool with a 41 x 41
 * window (0.5G comparisons). No batch to split: only the kernel's own
 * chunk boundaries can stop it. A timeout of a tenth of the full run must
 * end the run in well under half of it (the node is left mid-way, not run
 * to its end and refused afterwards); the machine may be busy, so the
 * check gets five attempts. Then the session runs again, bit-equal. */
static obn_model *one_image(int which)
{
    tb_model *m = tb_new(13);
    if (which == 0) {
        static const int64_t dx[4] = {1, 8, 256, 256}, dw[4] = {8, 8, 15, 15}, pads[4] = {7, 7, 7, 7};
        tb_input(m, "x", OBN_FLOAT, 4, dx);
        float *w = malloc(8 * 8 * 225 * sizeof *w);
        for (int i = 0; i < 8 * 8 * 225; i++) w[i] = (float)((i * 31) % 17 - 8) / 256.0f;
        tb_init_f32(m, "w", 4, dw, w);
        free(w);
        Onnx__NodeProto *n = tb_node(m, "Conv", "big", "x,w", "y");
        tb_attr_ints(m, n, "pads", 4, pads);
    } else if (which == 1) {
        static const int64_t d[2] = {1024, 1024};
        tb_input(m, "x", OBN_FLOAT, 2, d);
        float *w = malloc(1024 * 1024 * sizeof *w);
        for (int i = 0; i < 1024 * 1024; i++) w[i] = (float)((i * 31) % 17 - 8) / 256.0f;
        tb_init_f32(m, "w", 2, d, w);
        free(w);
        tb_node(m, "MatMul", "big", "x,w", "y");
    } else {
        static const int64_t dx[4] = {1, 1, 600, 500}, k[2] = {41, 41}, pads[4] = {20, 20, 20, 20};
        tb_input(m, "x", OBN_FLOAT, 4, dx);
        Onnx__NodeProto *n = tb_node(m, "MaxPool", "big", "x", "y");
        tb_attr_ints(m, n, "kernel_shape", 2, k);
        tb_attr_ints(m, n, "pads", 4, pads);
    }
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    return load(m);
}

START_TEST(timeout_inside_one_kernel_call)
{
    static const int64_t dconv[4] = {1, 8, 256, 256}, dmm[2] = {1024, 1024}, dpool[4] = {1, 1, 600, 500};
    const int64_t *dims[3] = {dconv, dmm, dpool};
    const int ranks[3] = {4, 2, 4};
    int which = _i;
    obn_model *m = one_image(which);
    obn_session *s = session(m);
    obn_tensor *x = filled((size_t)ranks[which], dims[which], 6);
    const obn_tensor *y = NULL;
    TB_EXPECT_OK(run1(s, NULL, "x", x, &y)); /* warm-up */
    double full = 1e30;
    for (int r = 0; r < 2; r++) {
        double t0 = now();
        TB_EXPECT_OK(run1(s, NULL, "x", x, &y));
        if (now() - t0 < full) full = now() - t0;
    }
    obn_tensor *want = NULL;
    TB_EXPECT_OK(obn_tensor_clone(y, &want));
    obn_run_options *ro = NULL;
    TB_EXPECT_OK(obn_run_options_create(&ro));
    TB_EXPECT_OK(obn_run_options_set_timeout(ro, full / 10));
    double best = 1e30;
    for (int attempt = 0; attempt < 5 && best >= full / 2; attempt++) {
        double t0 = now();
        obn_status st = run1(s, ro, "x", x, &y);
        double took = now() - t0;
        ck_assert_msg(st == OBN_E_CANCELLED, "got %s: %s", obn_status_name(st), obn_last_error());
        ck_assert_msg(TB_HAS(obn_last_error(), "timeout", "inside node \"big\""), "message: %s", obn_last_error());
        if (took < best) best = took;
    }
    ck_assert_msg(best < full / 2, "a timeout of %.3f s stopped the run after %.3f s (full run %.3f s)", full / 10,
                  best, full);
    TB_EXPECT_OK(run1(s, NULL, "x", x, &y));
    ck_assert_int_eq(memcmp(obn_tensor_cdata(y), obn_tensor_cdata(want), obn_tensor_nbytes(want)), 0);
    obn_run_options_destroy(ro);
    obn_tensor_destroy(want);
    obn_tensor_destroy(x);
    obn_session_destroy(s);
    obn_model_destroy(m);
}
END_TEST

typedef struct {
    obn_run_options *ro;
    double delay;
} killer_args;

static void *killer(void *p)
{
    const killer_args *k = p;
    struct timespec ts = {0, (long)(k->delay * 1e9)};
    nanosleep(&ts, NULL);
    obn_run_options_terminate(k->ro);
    return NULL;
}

START_TEST(terminated_by_another_thread)
{
    obn_model *m = sigmoid_chain(16);
    obn_session *s = session(m);
    static const int64_t d[1] = {1 << 20};
    obn_tensor *x = filled(1, d, 5);
    obn_run_options *ro = NULL;
    TB_EXPECT_OK(obn_run_options_create(&ro));
    killer_args k = {ro, 0.02};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, killer, &k), 0);
    /* runs until the flag shows up (bounded: 60 s) */
    const obn_tensor *y = NULL;
    obn_status st = OBN_OK;
    double t0 = now();
    while (st == OBN_OK && now() - t0 < 60) st = run1(s, ro, "x", x, &y);
    pthread_join(th, NULL);
    ck_assert_int_eq(st, OBN_E_CANCELLED);
    ck_assert(TB_HAS(obn_last_error(), "terminated", "Sigmoid"));
    obn_run_options_reset(ro);
    TB_EXPECT_OK(run1(s, ro, "x", x, &y));
    obn_run_options_destroy(ro);
    obn_tensor_destroy(x);
    obn_session_destroy(s);
    obn_model_destroy(m);
}
END_TEST

START_TEST(eager_plans_are_cancelled_too)
{
    /* Range's length comes from the input: the plan is computed with the
     * data, node by node, and checked between them */
    tb_model *m = tb_new(13);
    tb_input(m, "limit", OBN_FLOAT, 0, NULL);
    float zero = 0.0f, step = 1.0f;
    tb_add_init(m, tb_tensor_f32(m, "start", 0, NULL, &zero));
    tb_add_init(m, tb_tensor_f32(m, "delta", 0, NULL, &step));
    tb_node(m, "Range", "range", "start,limit,delta", "r");
    tb_node(m, "ReduceSum", "sum", "r", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    obn_model *model = load(m);
    obn_session *s = session(model);
    float lim = 10.0f;
    obn_tensor *x = NULL;
    TB_EXPECT_OK(obn_tensor_create(OBN_FLOAT, 0, NULL, &lim, &x));
    obn_run_options *ro = NULL;
    TB_EXPECT_OK(obn_run_options_create(&ro));
    obn_run_options_terminate(ro);
    const obn_tensor *y = NULL;
    TB_EXPECT_ERR(run1(s, ro, "limit", x, &y), OBN_E_CANCELLED, "terminated", "before", "\"range\"");
    TB_EXPECT_OK(run1(s, NULL, "limit", x, &y));
    ck_assert(*(const float *)obn_tensor_cdata(y) == 45.0f);
    obn_run_options_destroy(ro);
    obn_tensor_destroy(x);
    obn_session_destroy(s);
    obn_model_destroy(model);
}
END_TEST

START_TEST(session_creation_is_cancellable)
{
    /* the Conv of one_conv with X an initializer too: computed by
     * obn_session_create (constant folding), under create_run_options */
    tb_model *m = tb_new(13);
    static const int64_t dx[4] = {8, 32, 96, 96}, dw[4] = {32, 32, 3, 3};
    obn_tensor *xt = filled(4, dx, 6);
    tb_init_f32(m, "x", 4, dx, obn_tensor_cdata(xt));
    obn_tensor_destroy(xt);
    float *w = malloc(32 * 32 * 9 * sizeof *w);
    for (int i = 0; i < 32 * 32 * 9; i++) w[i] = (float)((i * 31) % 17 - 8) / 64.0f;
    tb_init_f32(m, "w", 4, dw, w);
    free(w);
    tb_node(m, "Conv", "big", "x,w", "y");
    tb_node(m, "ReduceSum", "sum", "y", "total");
    tb_output(m, "total", OBN_FLOAT, -1, NULL);
    obn_model *model = load(m);
    obn_run_options *ro = NULL;
    TB_EXPECT_OK(obn_run_options_create(&ro));
    obn_session_options o;
    obn_session_options_init(&o);
    o.threads = 1;
    o.create_run_options = ro;
    obn_session *s = NULL;
    obn_run_options_terminate(ro);
    TB_EXPECT_ERR(obn_session_create(model, &o, &s), OBN_E_CANCELLED, "terminated", "before node");
    ck_assert_ptr_null(s);
    obn_run_options_reset(ro);
    double t0 = now();
    TB_EXPECT_OK(obn_session_create(model, &o, &s));
    double full = now() - t0;
    obn_session_destroy(s);
    /* a quarter of the time: stops inside the Conv (between images) */
    obn_status st = OBN_OK;
    for (int attempt = 0; attempt < 6 && st == OBN_OK; attempt++) {
        TB_EXPECT_OK(obn_run_options_set_timeout(ro, full / (4 << attempt)));
        st = obn_session_create(model, &o, &s);
        if (st == OBN_OK) obn_session_destroy(s);
    }
    ck_assert_msg(st == OBN_E_CANCELLED, "got %s: %s", obn_status_name(st), obn_last_error());
    ck_assert_msg(TB_HAS(obn_last_error(), "timeout", "\"big\""), "message: %s", obn_last_error());
    obn_run_options_destroy(ro);
    obn_model_destroy(model);
}
END_TEST

START_TEST(memory_planning_is_cancellable)
{
    /* a chain of 8,000 Relu nodes whose every output is also read by one of
     * eight Concats at the end: all 8,000 buffers are live at once, so
     * placing them (quadratic in the number of buffers live together) is
     * most of obn_session_create's time */
    enum { N = 8000, G = 1000 };
    tb_model *m = tb_new(13);
    static const int64_t d[1] = {4}, dy[1] = {4 * N};
    tb_input(m, "x", OBN_FLOAT, 1, d);
    char in[16] = "x", out[16];
    for (int i = 0; i < N; i++) {
        snprintf(out, sizeof out, "h%d", i);
        tb_node(m, "Relu", NULL, in, out);
        strcpy(in, out);
    }
    char *names = malloc((size_t)G * 8 + 1), groups[128] = "";
    ck_assert_ptr_nonnull(names);
    for (int g = 0; g < N / G; g++) {
        size_t len = 0;
        for (int i = g * G; i < (g + 1) * G; i++)
            len += (size_t)snprintf(names + len, (size_t)G * 8 + 1 - len, i > g * G ? ",h%d" : "h%d", i);
        snprintf(out, sizeof out, "c%d", g);
        tb_attr_int(m, tb_node(m, "Concat", NULL, names, out), "axis", 0);
        snprintf(groups + strlen(groups), sizeof groups - strlen(groups), g ? ",%s" : "%s", out);
    }
    free(names);
    tb_attr_int(m, tb_node(m, "Concat", NULL, groups, "y"), "axis", 0);
    tb_output(m, "y", OBN_FLOAT, 1, dy);
    obn_model *model = load(m);
    obn_run_options *ro = NULL;
    TB_EXPECT_OK(obn_run_options_create(&ro));
    obn_session_options o;
    obn_session_options_init(&o);
    o.threads = 1;
    o.enable_passes = 0;
    o.create_run_options = ro;
    obn_session *s = NULL;
    double t0 = now();
    TB_EXPECT_OK(obn_session_create(model, &o, &s));
    double full = now() - t0;
    obn_session_destroy(s);
    s = NULL;
    obn_status st = OBN_OK;
    for (int attempt = 0; attempt < 6 && st == OBN_OK; attempt++) {
        TB_EXPECT_OK(obn_run_options_set_timeout(ro, full / (2 << attempt)));
        st = obn_session_create(model, &o, &s);
        if (st == OBN_OK) obn_session_destroy(s);
    }
    ck_assert_msg(st == OBN_E_CANCELLED, "got %s: %s", obn_status_name(st), obn_last_error());
    ck_assert_msg(TB_HAS(obn_last_error(), "timeout", "while planning the memory of", "(Relu-"), "message: %s",
                  obn_last_error());
    obn_run_options_destroy(ro);
    obn_model_destroy(model);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cancel");
    TCase *t = tcase_create("cancel");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, options_api);
    tcase_add_test(t, terminated_before_the_run_then_reset);
    tcase_add_test(t, timeout_between_nodes);
    tcase_add_test(t, timeout_inside_conv);
    tcase_add_test(t, timeout_inside_conv_transpose);
    tcase_add_test(t, timeout_inside_matmul);
    tcase_add_loop_test(t, timeout_inside_one_kernel_call, 0, 3);
    tcase_add_test(t, terminated_by_another_thread);
    tcase_add_test(t, eager_plans_are_cancelled_too);
    tcase_add_test(t, session_creation_is_cancellable);
    tcase_add_test(t, memory_planning_is_cancellable);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
