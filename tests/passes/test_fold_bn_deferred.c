/* BatchNormalization folded into a Conv for a session, with the folded
 * weights deferred (runtime/tensor.h: packed straight from the originals,
 * or computed when something else reads them). The reference for every
 * output is a session on the model obn_model_optimize folded (which stores
 * the folded weights: W[oc] * s[oc] in double, rounded once): the two must
 * agree bit for bit, since the same floats reach the same kernels. Cases:
 * Winograd F(4x4) and F(2x2), im2col, pointwise, grouped and depthwise
 * (whose kernel reads the weights: computed at prepare), with 1 and 2
 * threads; a node callback (which is shown the weights); a session that
 * re-plans for another batch size. White-box: the pass leaves a deferred
 * tensor (no data) in the session's graph, and refuses a fold whose weights
 * would overflow float, as the stored fold does. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "model_builder.h"
#include "passes/passes.h"
#include "tb_check.h"

typedef struct {
    int64_t batch, c, m, group, in, k, stride, pad;
    int bias;
} case_t;

static const case_t cases[] = {
    {1, 16, 24, 1, 20, 3, 1, 1, 1}, /* Winograd F(4x4) */
    {1, 32, 20, 1, 7, 3, 1, 1, 0},  /* Winograd F(2x2) */
    {1, 3, 8, 1, 23, 7, 2, 3, 0},   /* im2col */
    {2, 24, 40, 1, 9, 1, 1, 0, 1},  /* pointwise */
    {1, 32, 32, 8, 11, 3, 1, 1, 1}, /* grouped */
    {1, 16, 16, 16, 13, 3, 1, 1, 0} /* depthwise: weights read at run */
};

static void init_random(tb_model *m, const char *name, int rank, const int64_t *dims, uint64_t seed, float lo, float hi)
{
    obn_tensor *t = tb_f32_random((size_t)rank, dims, seed, lo, hi);
    tb_init_f32(m, name, rank, dims, obn_tensor_cdata(t));
    obn_tensor_destroy(t);
}

/* x[N,C,H,W] -> Conv -> BN -> y; batch -1: a symbolic batch dimension */
static tb_model *conv_bn(const case_t *c, int symbolic_batch)
{
    tb_model *tm = tb_new(17);
    int64_t xd[4] = {symbolic_batch ? -1 : c->batch, c->c, c->in, c->in}, wd[4] = {c->m, c->c / c->group, c->k, c->k};
    int64_t md[1] = {c->m};
    tb_input(tm, "x", OBN_FLOAT, 4, xd);
    init_random(tm, "W", 4, wd, 11, -1.0f, 1.0f);
    if (c->bias) init_random(tm, "b", 1, md, 12, -1.0f, 1.0f);
    Onnx__NodeProto *n = tb_node(tm, "Conv", "conv1", c->bias ? "x,W,b" : "x,W", "t");
    int64_t k[2] = {c->k, c->k}, s[2] = {c->stride, c->stride}, p[4] = {c->pad, c->pad, c->pad, c->pad};
    tb_attr_ints(tm, n, "kernel_shape", 2, k);
    tb_attr_ints(tm, n, "strides", 2, s);
    tb_attr_ints(tm, n, "pads", 4, p);
    if (c->group > 1) tb_attr_int(tm, n, "group", c->group);
    init_random(tm, "bn.scale", 1, md, 13, 0.2f, 3.0f);
    init_random(tm, "bn.B", 1, md, 14, -1.0f, 1.0f);
    init_random(tm, "bn.mean", 1, md, 15, -1.0f, 1.0f);
    init_random(tm, "bn.var", 1, md, 16, 0.05f, 2.0f);
    tb_node(tm, "BatchNormalization", "bn", "t,bn.scale,bn.B,bn.mean,bn.var", "y");
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    return tm;
}

static void expect_identical(const obn_tensor *got, const obn_tensor *want, const char *what)
{
    ck_assert_int_eq(obn_tensor_nbytes(got), obn_tensor_nbytes(want));
    const float *a = obn_tensor_cdata(got), *b = obn_tensor_cdata(want);
    size_t n = obn_tensor_nbytes(got) / sizeof(float);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(memcmp(&a[i], &b[i], sizeof *a) == 0, "%s: y[%zu] = %.9g, the stored fold gives %.9g", what, i,
                      a[i], b[i]);
}

START_TEST(same_bits_as_the_stored_fold)
{
    const case_t *c = &cases[_i];
    tb_model *tm = conv_bn(c, 0);
    obn_model *model = NULL, *folded = NULL;
    ck_assert_msg(tb_load(tm, &model) == OBN_OK, "load: %s", obn_last_error());
    ck_assert_int_eq(obn_model_optimize(model, NULL, &folded), OBN_OK);
    int64_t xd[4] = {c->batch, c->c, c->in, c->in};
    obn_tensor *x = tb_f32_random(4, xd, 21, -2.0f, 2.0f);
    for (int threads = 1; threads <= 2; threads++) {
        obn_tensor *got = NULL, *want = NULL;
        ck_assert_msg(tb_run(model, threads, 1, 1, &x, 1, &got) == OBN_OK, "run: %s", obn_last_error());
        ck_assert_msg(tb_run(folded, threads, 1, 1, &x, 1, &want) == OBN_OK, "run: %s", obn_last_error());
        char what[64];
        snprintf(what, sizeof what, "case %d, %d threads", _i, threads);
        expect_identical(got, want, what);
        obn_tensor_destroy(got);
        obn_tensor_destroy(want);
    }
    obn_tensor_destroy(x);
    obn_model_destroy(model);
    obn_model_destroy(folded);
    tb_free(tm);
}
END_TEST

/* The callback is shown the Conv's weights: computed, the stored fold's. */
typedef struct {
    const obn_tensor *want_w;
    int convs, with_data;
} cb_seen;

static obn_status on_node(const obn_node_event *ev, void *user)
{
    cb_seen *seen = user;
    if (strcmp(ev->op_type, "Conv") != 0) return OBN_OK;
    seen->convs++;
    const obn_tensor *w = ev->inputs[1];
    if (w && obn_tensor_cdata(w) && obn_tensor_nbytes(w) == obn_tensor_nbytes(seen->want_w) &&
        memcmp(obn_tensor_cdata(w), obn_tensor_cdata(seen->want_w), obn_tensor_nbytes(w)) == 0)
        seen->with_data++;
    return OBN_OK;
}

START_TEST(node_callback_sees_the_folded_weights)
{
    tb_model *tm = conv_bn(&cases[0], 0);
    obn_model *model = NULL, *folded = NULL;
    ck_assert_int_eq(tb_load(tm, &model), OBN_OK);
    ck_assert_int_eq(obn_model_optimize(model, NULL, &folded), OBN_OK);
    /* the stored fold's weights: the initializer its Conv reads */
    const obn_graph *fg = folded->graph;
    const obn_tensor *want_w = NULL;
    for (int i = 0; i < fg->n_nodes; i++)
        if (strcmp(fg->nodes[i].op_type, "Conv") == 0) want_w = fg->values[fg->nodes[i].inputs[1]].init;
    ck_assert_ptr_nonnull(want_w);
    obn_session *s = NULL;
    ck_assert_int_eq(obn_session_create(model, NULL, &s), OBN_OK);
    cb_seen seen = {want_w, 0, 0};
    ck_assert_int_eq(obn_session_set_node_callback(s, on_node, &seen), OBN_OK);
    int64_t xd[4] = {1, 16, 20, 20};
    obn_tensor *x = tb_f32_random(4, xd, 22, -2.0f, 2.0f);
    const char *names[1] = {"x"};
    const obn_tensor *outs[1];
    ck_assert_int_eq(obn_session_run(s, 1, names, (const obn_tensor *const *)&x, 1, NULL, outs), OBN_OK);
    ck_assert_int_eq(seen.convs, 1);
    ck_assert_int_eq(seen.with_data, 1);
    obn_tensor_destroy(x);
    obn_session_destroy(s);
    obn_model_destroy(model);
    obn_model_destroy(folded);
    tb_free(tm);
}
END_TEST

/* A symbolic batch: planned at the first run, re-planned for the second
 * size (the deferred weights packed again), then the first size again. */
START_TEST(replanning_packs_again)
{
    tb_model *tm = conv_bn(&cases[0], 1);
    obn_model *model = NULL, *folded = NULL;
    ck_assert_int_eq(tb_load(tm, &model), OBN_OK);
    ck_assert_int_eq(obn_model_optimize(model, NULL, &folded), OBN_OK);
    obn_session *s = NULL, *r = NULL;
    ck_assert_int_eq(obn_session_create(model, NULL, &s), OBN_OK);
    ck_assert_int_eq(obn_session_create(folded, NULL, &r), OBN_OK);
    const int64_t batches[3] = {1, 3, 1};
    for (int i = 0; i < 3; i++) {
        int64_t xd[4] = {batches[i], 16, 20, 20};
        obn_tensor *x = tb_f32_random(4, xd, 30 + (uint64_t)i, -2.0f, 2.0f);
        const char *names[1] = {"x"};
        const obn_tensor *got[1], *want[1];
        ck_assert_int_eq(obn_session_run(s, 1, names, (const obn_tensor *const *)&x, 1, NULL, got), OBN_OK);
        ck_assert_int_eq(obn_session_run(r, 1, names, (const obn_tensor *const *)&x, 1, NULL, want), OBN_OK);
        expect_identical(got[0], want[0], "re-planned");
        obn_tensor_destroy(x);
    }
    obn_session_destroy(s);
    obn_session_destroy(r);
    obn_model_destroy(model);
    obn_model_destroy(folded);
    tb_free(tm);
}
END_TEST

/* The pass on a graph of its own: the Conv's new weights are deferred (no
 * data, the originals and the per-channel factors), and a BN scale that
 * makes the weights overflow float is refused with the stored fold's
 * reason. */
static obn_status fold_clone(const obn_model *m, obn_graph **g, obn_pass_log *log)
{
    obn_status s = obn_graph_clone(m->graph, g);
    return s == OBN_OK ? obn_pass_fold_bn(*g, true, log) : s;
}

START_TEST(pass_defers_and_refuses_overflow)
{
    tb_model *tm = conv_bn(&cases[0], 0);
    obn_model *model = NULL;
    ck_assert_int_eq(tb_load(tm, &model), OBN_OK);
    obn_graph *g = NULL;
    obn_pass_log log = {0};
    ck_assert_int_eq(fold_clone(model, &g, &log), OBN_OK);
    const obn_tensor *w = NULL, *orig = NULL;
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead && strcmp(g->nodes[i].op_type, "Conv") == 0) w = g->values[g->nodes[i].inputs[1]].init;
    orig = g->values[obn_graph_find(g, "W")].init;
    ck_assert_ptr_nonnull(w);
    ck_assert_ptr_nonnull(w->deferred);
    ck_assert_ptr_null(w->data);
    ck_assert_ptr_eq(w->deferred->src, orig);
    obn_graph_free(g);
    obn_pass_log_free(&log);
    obn_model_destroy(model);
    tb_free(tm);

    /* |W| < 1, scale 1e30 / sqrt(1e-12 + 0): products ~1e36 fit; with W up
     * to 1e3 in the row they do not */
    for (int big = 0; big < 2; big++) {
        tm = tb_new(17);
        int64_t xd[4] = {1, 2, 4, 4}, wd[4] = {2, 2, 1, 1}, cd[1] = {2};
        float wv[4] = {0.5f, big ? 1e3f : -0.25f, 1.0f, 2.0f}, scale[2] = {1e30f, 1.0f}, b[2] = {0, 1}, z[2] = {0, 0};
        tb_input(tm, "x", OBN_FLOAT, 4, xd);
        tb_init_f32(tm, "W", 4, wd, wv);
        tb_init_f32(tm, "bn.scale", 1, cd, scale);
        tb_init_f32(tm, "bn.B", 1, cd, b);
        tb_init_f32(tm, "bn.mean", 1, cd, z);
        tb_init_f32(tm, "bn.var", 1, cd, z);
        tb_node(tm, "Conv", "conv1", "x,W", "t");
        Onnx__NodeProto *n = tb_node(tm, "BatchNormalization", "bn", "t,bn.scale,bn.B,bn.mean,bn.var", "y");
        tb_attr_float(tm, n, "epsilon", 1e-12f);
        tb_output(tm, "y", OBN_FLOAT, -1, NULL);
        ck_assert_int_eq(tb_load(tm, &model), OBN_OK);
        obn_pass_log l2 = {0};
        ck_assert_int_eq(fold_clone(model, &g, &l2), OBN_OK);
        int overflow = 0, folded = 0;
        for (int i = 0; i < l2.n; i++) {
            overflow |= strstr(l2.lines[i], "would overflow float") != NULL;
            folded |= strstr(l2.lines[i], "folded BatchNormalization 'bn'") != NULL;
        }
        ck_assert_int_eq(overflow, big);
        ck_assert_int_eq(folded, !big);
        obn_graph_free(g);
        obn_pass_log_free(&l2);
        obn_model_destroy(model);
        tb_free(tm);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("fold_bn deferred");
    TCase *t = tcase_create("deferred");
    tcase_set_timeout(t, 120);
    tcase_add_loop_test(t, same_bits_as_the_stored_fold, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(t, node_callback_sees_the_folded_weights);
    tcase_add_test(t, replanning_packs_again);
    tcase_add_test(t, pass_defers_and_refuses_overflow);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
