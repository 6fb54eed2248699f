/* BatchNormalization folding: for each fold case, the test builds the model,
 * runs it without passes (the reference), optimises it, checks that no
 * BatchNormalization is left and that the optimised model (run without
 * passes, and after a save/load round trip) matches the reference within
 * rtol 1e-4, atol 1e-5; the saved file must be topologically sorted, as
 * onnx.checker demands. Negative cases check the graph is left alone and
 * the pass log says why. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model_builder.h"
#include "onnx.pb-c.h"
#include "tb_check.h"

#define RTOL 1e-4
#define ATOL 1e-5

static uint64_t seed_counter = 1;

/* Random float initializer in [lo, hi). */
static void init_random(tb_model *m, const char *name, int rank, const int64_t *dims, float lo, float hi)
{
    obn_tensor *t = tb_f32_random((size_t)rank, dims, seed_counter++, lo, hi);
    tb_init_f32(m, name, rank, dims, obn_tensor_cdata(t));
    obn_tensor_destroy(t);
}

/* BN parameters for c channels named <p>.scale etc., with random stats. */
static void bn_params(tb_model *m, const char *p, int64_t c)
{
    char n[64];
    int64_t d[1] = {c};
    snprintf(n, sizeof n, "%s.scale", p);
    init_random(m, n, 1, d, 0.5f, 1.5f);
    snprintf(n, sizeof n, "%s.B", p);
    init_random(m, n, 1, d, -0.5f, 0.5f);
    snprintf(n, sizeof n, "%s.mean", p);
    init_random(m, n, 1, d, -0.5f, 0.5f);
    snprintf(n, sizeof n, "%s.var", p);
    init_random(m, n, 1, d, 0.2f, 2.0f);
}

static Onnx__NodeProto *bn_node(tb_model *m, const char *name, const char *in, const char *out)
{
    char inputs[256];
    snprintf(inputs, sizeof inputs, "%s,%s.scale,%s.B,%s.mean,%s.var", in, name, name, name, name);
    return tb_node(m, "BatchNormalization", name, inputs, out);
}

static int log_has(const obn_model *m, const char *needle)
{
    for (size_t i = 0; i < obn_model_pass_log_count(m); i++)
        if (strstr(obn_model_pass_log(m, i), needle)) return 1;
    return 0;
}

static void dump_log(const obn_model *m)
{
    for (size_t i = 0; i < obn_model_pass_log_count(m); i++) fprintf(stderr, "  log: %s\n", obn_model_pass_log(m, i));
}

static bool name_in(char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) return true;
    return false;
}

/* Every node input of the file at path is empty, a graph input, an
 * initializer or an output of an earlier node. */
static void expect_sorted_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    static uint8_t buf[1 << 22];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    ck_assert_msg(len < sizeof buf, "%s is larger than the test's buffer", path);
    Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, len, buf);
    ck_assert_ptr_nonnull(mp);
    const Onnx__GraphProto *g = mp->graph;
    char **known = calloc(g->n_input + g->n_initializer + 1, sizeof *known);
    size_t n_known = 0;
    for (size_t i = 0; i < g->n_input; i++) known[n_known++] = g->input[i]->name;
    for (size_t i = 0; i < g->n_initializer; i++) known[n_known++] = g->initializer[i]->name;
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *n = g->node[i];
        for (size_t k = 0; k < n->n_input; k++) {
            bool earlier = false;
            for (size_t j = 0; j < i && !earlier; j++) earlier = name_in(g->node[j]->output, g->node[j]->n_output, n->input[k]);
            ck_assert_msg(!n->input[k][0] || earlier || name_in(known, n_known, n->input[k]),
                          "%s: node %zu '%s' (%s) reads '%s' before any node writes it", path, i, n->name, n->op_type,
                          n->input[k]);
        }
    }
    free(known);
    onnx__model_proto__free_unpacked(mp, NULL);
}

/* Loads the model, folds, compares; folded=1 expects every BN gone. Returns
 * the optimised model for further checks (caller destroys). */
static obn_model *check_fold(tb_model *tm, int rank, const int64_t *xdims, int expect_folded, const char *log_needle)
{
    obn_model *model = NULL, *opt = NULL, *reloaded = NULL;
    ck_assert_msg(tb_load(tm, &model) == OBN_OK, "load: %s", obn_last_error());
    obn_tensor *x = tb_f32_random((size_t)rank, xdims, seed_counter++, -2.0f, 2.0f);
    obn_tensor *ref = NULL, *got = NULL, *got2 = NULL;
    ck_assert_msg(tb_run(model, 2, 0, 1, &x, 1, &ref) == OBN_OK, "reference run: %s", obn_last_error());
    ck_assert_msg(obn_model_optimize(model, NULL, &opt) == OBN_OK, "optimize: %s", obn_last_error());
    if (log_needle && !log_has(opt, log_needle)) {
        dump_log(opt);
        ck_abort_msg("pass log lacks '%s'", log_needle);
    }
    size_t before = tb_count_op(model, "BatchNormalization"), after = tb_count_op(opt, "BatchNormalization");
    if (expect_folded) ck_assert_msg(after == 0, "%zu BatchNormalization left of %zu", after, before);
    else ck_assert_msg(after == before, "BatchNormalization count changed %zu -> %zu", before, after);
    ck_assert_msg(tb_run(opt, 2, 0, 1, &x, 1, &got) == OBN_OK, "optimised run: %s", obn_last_error());
    ck_assert_msg(tb_allclose(got, ref, RTOL, ATOL), "optimised output differs: max abs diff %g",
                  tb_max_abs_diff(got, ref));
    /* the saved file is a standard model that reproduces the result */
    char path[] = "/tmp/obn_fold_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_msg(obn_model_save(opt, path) == OBN_OK, "save: %s", obn_last_error());
    expect_sorted_file(path);
    ck_assert_msg(obn_model_load(path, &reloaded) == OBN_OK, "reload: %s", obn_last_error());
    unlink(path);
    ck_assert_msg(tb_run(reloaded, 1, 0, 1, &x, 1, &got2) == OBN_OK, "reloaded run: %s", obn_last_error());
    ck_assert_msg(tb_allclose(got2, ref, RTOL, ATOL), "reloaded output differs: %g", tb_max_abs_diff(got2, ref));
    ck_assert_int_eq(tb_count_op(reloaded, "BatchNormalization"), after);
    obn_tensor_destroy(x);
    obn_tensor_destroy(ref);
    obn_tensor_destroy(got);
    obn_tensor_destroy(got2);
    obn_model_destroy(model);
    obn_model_destroy(reloaded);
    return opt;
}

/* x[N,C,spatial] -> Conv(M, k) -> BN -> y */
static tb_model *conv_bn(int version, int dim, int64_t c, int64_t m, int64_t group, int bias, int stride, int dil,
                         int pad)
{
    tb_model *tm = tb_new(version);
    int64_t xd[5] = {2, c, 7, 6, 5}, wd[5] = {m, c / group, 3, 2, 3}, bd[1] = {m};
    tb_input(tm, "x", OBN_FLOAT, 2 + dim, xd);
    init_random(tm, "W", 2 + dim, wd, -1.0f, 1.0f);
    if (bias) init_random(tm, "b", 1, bd, -1.0f, 1.0f);
    Onnx__NodeProto *n = tb_node(tm, "Conv", "conv1", bias ? "x,W,b" : "x,W", "t");
    int64_t s[3] = {stride, stride, stride}, d[3] = {dil, dil, dil}, p[6] = {pad, pad, 0, pad, 0, pad};
    tb_attr_ints(tm, n, "strides", (size_t)dim, s);
    tb_attr_ints(tm, n, "dilations", (size_t)dim, d);
    tb_attr_ints(tm, n, "pads", (size_t)dim * 2, p);
    if (group > 1) tb_attr_int(tm, n, "group", group);
    bn_params(tm, "bn1", m);
    bn_node(tm, "bn1", "t", "y");
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    return tm;
}

static void run_conv_case(int version, int dim, int64_t c, int64_t m, int64_t group, int bias, int stride, int dil, int pad)
{
    int64_t xd[5] = {2, c, 7, 6, 5};
    tb_model *tm = conv_bn(version, dim, c, m, group, bias, stride, dil, pad);
    obn_model *opt = check_fold(tm, 2 + dim, xd, 1, "folded BatchNormalization 'bn1' into Conv 'conv1'");
    obn_model_destroy(opt);
    tb_free(tm);
}

START_TEST(conv_2d_with_and_without_bias)
{
    run_conv_case(13, 2, 4, 6, 1, 1, 1, 1, 1);
    run_conv_case(13, 2, 4, 6, 1, 0, 1, 1, 0);
}
END_TEST

START_TEST(conv_1d_and_3d)
{
    run_conv_case(13, 1, 3, 5, 1, 1, 2, 1, 1);
    run_conv_case(13, 3, 2, 4, 1, 0, 1, 1, 1);
}
END_TEST

START_TEST(conv_grouped_depthwise_strided_dilated)
{
    run_conv_case(13, 2, 4, 8, 2, 1, 1, 1, 1);  /* grouped */
    run_conv_case(13, 2, 6, 6, 6, 0, 1, 1, 1);  /* depthwise */
    run_conv_case(13, 2, 3, 6, 3, 1, 2, 1, 0);  /* depthwise x2 multiplier, strided */
    run_conv_case(13, 2, 4, 4, 1, 1, 1, 2, 2);  /* dilated */
}
END_TEST

START_TEST(every_bn_version)
{
    static const int opsets[] = {1, 6, 7, 9, 14, 15};
    run_conv_case(opsets[_i], 2, 3, 5, 1, _i % 2, 1, 1, 1);
}
END_TEST

START_TEST(conv_transpose)
{
    for (int group = 1; group <= 2; group++) {
        tb_model *tm = tb_new(13);
        int64_t xd[4] = {2, 4, 5, 6}, wd[4] = {4, 3, 3, 3}, bd[1] = {3 * group};
        tb_input(tm, "x", OBN_FLOAT, 4, xd);
        init_random(tm, "W", 4, wd, -1.0f, 1.0f);
        init_random(tm, "b", 1, bd, -1.0f, 1.0f);
        Onnx__NodeProto *n = tb_node(tm, "ConvTranspose", "deconv", "x,W,b", "t");
        int64_t s[2] = {2, 2};
        tb_attr_ints(tm, n, "strides", 2, s);
        if (group > 1) tb_attr_int(tm, n, "group", group);
        bn_params(tm, "bn1", 3 * group);
        bn_node(tm, "bn1", "t", "y");
        tb_output(tm, "y", OBN_FLOAT, -1, NULL);
        obn_model *opt = check_fold(tm, 4, xd, 1, "into ConvTranspose 'deconv'");
        obn_model_destroy(opt);
        tb_free(tm);
    }
}
END_TEST

/* ConvTranspose with a group so large that M = W.shape[1]*group overflows:
 * the fold refuses (the op rejects the node later) without overflowing. */
START_TEST(conv_transpose_huge_group)
{
    tb_model *tm = tb_new(13);
    int64_t xd[4] = {1, 4, 5, 6}, wd[4] = {4, 3, 3, 3};
    tb_input(tm, "x", OBN_FLOAT, 4, xd);
    init_random(tm, "W", 4, wd, -1.0f, 1.0f);
    Onnx__NodeProto *n = tb_node(tm, "ConvTranspose", "deconv", "x,W", "t");
    tb_attr_int(tm, n, "group", INT64_MAX / 2);
    bn_params(tm, "bn1", 3);
    bn_node(tm, "bn1", "t", "y");
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    obn_model *model = NULL, *opt = NULL;
    ck_assert_msg(tb_load(tm, &model) == OBN_OK, "load: %s", obn_last_error());
    ck_assert_msg(obn_model_optimize(model, NULL, &opt) == OBN_OK, "optimize: %s", obn_last_error());
    ck_assert_int_eq(tb_count_op(opt, "BatchNormalization"), 1);
    if (!log_has(opt, "kept BatchNormalization 'bn1'") || !log_has(opt, "group")) {
        dump_log(opt);
        ck_abort_msg("pass log lacks the reason");
    }
    obn_model_destroy(opt);
    obn_model_destroy(model);
    tb_free(tm);
}
END_TEST

/* a[M,K] -> Gemm -> BN over N */
static void gemm_case(int trans_b, float alpha, float beta, int c_kind)
{
    tb_model *tm = tb_new(13);
    int64_t ad[2] = {5, 7}, bd[2] = {trans_b ? 6 : 7, trans_b ? 7 : 6};
    int64_t cshape[4][2] = {{6, 0}, {1, 6}, {1, 0}, {5, 6}};
    int crank[4] = {1, 2, 0, 2};
    tb_input(tm, "a", OBN_FLOAT, 2, ad);
    init_random(tm, "B", 2, bd, -1.0f, 1.0f);
    if (c_kind >= 0) init_random(tm, "C", crank[c_kind], cshape[c_kind], -1.0f, 1.0f);
    Onnx__NodeProto *n = tb_node(tm, "Gemm", "fc", c_kind >= 0 ? "a,B,C" : "a,B", "t");
    if (trans_b) tb_attr_int(tm, n, "transB", 1);
    if (alpha != 1.0f) tb_attr_float(tm, n, "alpha", alpha);
    if (beta != 1.0f) tb_attr_float(tm, n, "beta", beta);
    bn_params(tm, "bn1", 6);
    bn_node(tm, "bn1", "t", "y");
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    obn_model *opt = check_fold(tm, 2, ad, 1, "into Gemm 'fc'");
    obn_model_destroy(opt);
    tb_free(tm);
}

START_TEST(gemm_variants)
{
    gemm_case(0, 1.0f, 1.0f, 0);
    gemm_case(1, 1.0f, 1.0f, 0);
    gemm_case(1, 0.5f, 1.0f, 1);
    gemm_case(0, 1.0f, 2.5f, 2);
    gemm_case(1, 1.5f, 0.25f, 3);
    gemm_case(0, 2.0f, 0.0f, 0); /* beta 0: C ignored */
    gemm_case(1, 1.0f, 1.0f, -1); /* no C */
}
END_TEST

START_TEST(matmul_and_matmul_add)
{
    for (int with_add = 0; with_add <= 1; with_add++) {
        tb_model *tm = tb_new(13);
        int64_t ad[2] = {4, 5}, wd[2] = {5, 3}, cd[1] = {3};
        tb_input(tm, "a", OBN_FLOAT, 2, ad);
        init_random(tm, "W", 2, wd, -1.0f, 1.0f);
        tb_node(tm, "MatMul", "mm", "a,W", with_add ? "t0" : "t");
        if (with_add) {
            init_random(tm, "bias", 1, cd, -1.0f, 1.0f);
            tb_node(tm, "Add", "add", "t0,bias", "t");
        }
        bn_params(tm, "bn1", 3);
        bn_node(tm, "bn1", "t", "y");
        tb_output(tm, "y", OBN_FLOAT, -1, NULL);
        obn_model *opt = check_fold(tm, 2, ad, 1, "into MatMul 'mm'");
        ck_assert_int_eq(tb_count_op(opt, "Gemm"), 1);
        ck_assert_int_eq(tb_count_op(opt, "Add"), 0);
        obn_model_destroy(opt);
        tb_free(tm);
    }
}
END_TEST

START_TEST(bn_then_conv)
{
    /* no padding: folds into the following Conv */
    tb_model *tm = tb_new(15);
    int64_t xd[4] = {2, 4, 6, 6}, wd[4] = {6, 2, 3, 3}, bd[1] = {6};
    tb_input(tm, "x", OBN_FLOAT, 4, xd);
    bn_params(tm, "bn0", 4);
    bn_node(tm, "bn0", "x", "t");
    init_random(tm, "W", 4, wd, -1.0f, 1.0f);
    init_random(tm, "b", 1, bd, -1.0f, 1.0f);
    Onnx__NodeProto *n = tb_node(tm, "Conv", "conv2", "t,W,b", "y");
    tb_attr_int(tm, n, "group", 2);
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    obn_model *opt = check_fold(tm, 4, xd, 1, "folded BatchNormalization 'bn0' into the following Conv 'conv2'");
    obn_model_destroy(opt);
    tb_free(tm);

    /* padded Conv: the BN shift would be padded as zero: kept */
    tm = tb_new(15);
    tb_input(tm, "x", OBN_FLOAT, 4, xd);
    bn_params(tm, "bn0", 4);
    bn_node(tm, "bn0", "x", "t");
    init_random(tm, "W", 4, wd, -1.0f, 1.0f);
    n = tb_node(tm, "Conv", "conv2", "t,W", "y");
    int64_t pads[4] = {1, 1, 1, 1};
    tb_attr_ints(tm, n, "pads", 4, pads);
    tb_attr_int(tm, n, "group", 2);
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    opt = check_fold(tm, 4, xd, 0, "padding does not commute");
    obn_model_destroy(opt);
    tb_free(tm);
}
END_TEST

START_TEST(bn_output_may_be_a_graph_output)
{
    /* the Conv takes over the BN's output name, so this still folds */
    int64_t xd[4] = {2, 3, 7, 6};
    tb_model *tm = conv_bn(13, 2, 3, 4, 1, 1, 1, 1, 1);
    obn_model *opt = check_fold(tm, 4, xd, 1, "folded");
    obn_model_destroy(opt);
    tb_free(tm);
}
END_TEST

START_TEST(negative_two_consumers)
{
    tb_model *tm = conv_bn(13, 2, 3, 4, 1, 1, 1, 1, 1);
    tb_node(tm, "Relu", "other", "t", "z");
    tb_output(tm, "z", OBN_FLOAT, -1, NULL);
    /* two outputs: compare only the first (y) via check_fold's single output */
    Onnx__GraphProto *g = tb_proto(tm)->graph;
    g->n_output = 1;
    int64_t xd[4] = {2, 3, 7, 6};
    obn_model *opt = check_fold(tm, 4, xd, 0, "has 2 consumers");
    obn_model_destroy(opt);
    tb_free(tm);
}
END_TEST

START_TEST(negative_producer_output_is_graph_output)
{
    tb_model *tm = conv_bn(13, 2, 3, 4, 1, 1, 1, 1, 1);
    tb_output(tm, "t", OBN_FLOAT, -1, NULL);
    obn_model *model = NULL, *opt = NULL;
    ck_assert_int_eq(tb_load(tm, &model), OBN_OK);
    ck_assert_int_eq(obn_model_optimize(model, NULL, &opt), OBN_OK);
    ck_assert_int_eq(tb_count_op(opt, "BatchNormalization"), 1);
    ck_assert_msg(log_has(opt, "kept BatchNormalization 'bn1'") && log_has(opt, "is a graph output"), "log");
    obn_model_destroy(opt);
    obn_model_destroy(model);
    tb_free(tm);
}
END_TEST

START_TEST(negative_non_constant_weights)
{
    tb_model *tm = tb_new(13);
    int64_t xd[4] = {1, 3, 5, 5}, wd[4] = {4, 3, 3, 3};
    tb_input(tm, "x", OBN_FLOAT, 4, xd);
    tb_input(tm, "W", OBN_FLOAT, 4, wd);
    tb_node(tm, "Conv", "conv1", "x,W", "t");
    bn_params(tm, "bn1", 4);
    bn_node(tm, "bn1", "t", "y");
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    obn_model *model = NULL, *opt = NULL;
    ck_assert_int_eq(tb_load(tm, &model), OBN_OK);
    ck_assert_int_eq(obn_model_optimize(model, NULL, &opt), OBN_OK);
    ck_assert_int_eq(tb_count_op(opt, "BatchNormalization"), 1);
    ck_assert_msg(log_has(opt, "not a constant tensor"), "log");
    obn_model_destroy(opt);
    obn_model_destroy(model);
    tb_free(tm);
}
END_TEST

START_TEST(negative_training_mode)
{
    tb_model *tm = conv_bn(15, 2, 3, 4, 1, 1, 1, 1, 1);
    tb_attr_int(tm, tb_proto(tm)->graph->node[1], "training_mode", 1);
    int64_t xd[4] = {2, 3, 7, 6};
    obn_model *opt = check_fold(tm, 4, xd, 0, "training_mode=1");
    obn_model_destroy(opt);
    tb_free(tm);
}
END_TEST

START_TEST(extreme_parameters_stay_finite)
{
    /* zero variance with a small epsilon, and a huge scale */
    tb_model *tm = tb_new(15);
    int64_t xd[4] = {1, 2, 4, 4}, wd[4] = {2, 2, 1, 1}, cd[1] = {2};
    float w[4] = {0.5f, -0.25f, 1.0f, 2.0f}, scale[2] = {1e38f, 1.0f}, b[2] = {0, 1}, mean[2] = {0, 0}, var[2] = {0, 0};
    tb_input(tm, "x", OBN_FLOAT, 4, xd);
    tb_init_f32(tm, "W", 4, wd, w);
    tb_init_f32(tm, "bn1.scale", 1, cd, scale);
    tb_init_f32(tm, "bn1.B", 1, cd, b);
    tb_init_f32(tm, "bn1.mean", 1, cd, mean);
    tb_init_f32(tm, "bn1.var", 1, cd, var);
    tb_node(tm, "Conv", "conv1", "x,W", "t");
    Onnx__NodeProto *n = bn_node(tm, "bn1", "t", "y");
    tb_attr_float(tm, n, "epsilon", 1e-12f);
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    obn_model *model = NULL, *opt = NULL;
    ck_assert_int_eq(tb_load(tm, &model), OBN_OK);
    ck_assert_int_eq(obn_model_optimize(model, NULL, &opt), OBN_OK);
    /* 1e38 / sqrt(1e-12) = 1e44 overflows float: the fold must refuse */
    ck_assert_msg(log_has(opt, "overflow"), "log");
    ck_assert_int_eq(tb_count_op(opt, "BatchNormalization"), 1);
    obn_model_destroy(opt);
    obn_model_destroy(model);
    tb_free(tm);

    /* zero variance, moderate scale: folds, and stays finite */
    tm = tb_new(15);
    scale[0] = 3.0f;
    tb_input(tm, "x", OBN_FLOAT, 4, xd);
    tb_init_f32(tm, "W", 4, wd, w);
    tb_init_f32(tm, "bn1.scale", 1, cd, scale);
    tb_init_f32(tm, "bn1.B", 1, cd, b);
    tb_init_f32(tm, "bn1.mean", 1, cd, mean);
    tb_init_f32(tm, "bn1.var", 1, cd, var);
    tb_node(tm, "Conv", "conv1", "x,W", "t");
    bn_node(tm, "bn1", "t", "y");
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    opt = check_fold(tm, 4, xd, 1, "folded");
    obn_model_destroy(opt);
    tb_free(tm);
}
END_TEST

START_TEST(activation_fusion)
{
    /* Conv -> BN -> Relu, Gemm -> Clip, Conv -> LeakyRelu: fused and exact */
    tb_model *tm = conv_bn(13, 2, 3, 4, 1, 1, 1, 1, 1);
    Onnx__GraphProto *g = tb_proto(tm)->graph;
    g->node[1]->output[0] = tb_str(tm, "z");
    tb_node(tm, "Relu", "relu1", "z", "y");
    int64_t xd[4] = {2, 3, 7, 6};
    obn_model *opt = check_fold(tm, 4, xd, 1, "fused Relu 'relu1' into Conv 'conv1'");
    ck_assert_int_eq(tb_count_op(opt, "Relu"), 0);
    obn_model_destroy(opt);
    tb_free(tm);

    tm = tb_new(13);
    int64_t ad[2] = {3, 4}, bd[2] = {4, 5}, one[1] = {1};
    float lo = -0.5f, hi = 0.75f;
    tb_input(tm, "a", OBN_FLOAT, 2, ad);
    init_random(tm, "B", 2, bd, -1.0f, 1.0f);
    tb_init_f32(tm, "lo", 0, one, &lo);
    tb_init_f32(tm, "hi", 0, one, &hi);
    tb_node(tm, "Gemm", "fc", "a,B", "t");
    tb_node(tm, "Clip", "clip", "t,lo,hi", "y");
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    opt = check_fold(tm, 2, ad, 1, "fused Clip 'clip' into Gemm 'fc'");
    obn_model_destroy(opt);
    tb_free(tm);

    /* Conv -> BN -> Clip with min/max from Constant nodes placed after the
     * BN, as PyTorch exports ReLU6: the Clip written back after the Conv
     * must come after the Constants */
    tm = conv_bn(13, 2, 3, 4, 1, 1, 1, 1, 1);
    g = tb_proto(tm)->graph;
    g->node[1]->output[0] = tb_str(tm, "z");
    const int64_t scalar[1] = {1};
    const float six = 6.0f, zero = 0.0f;
    tb_attr_tensor(tm, tb_node(tm, "Constant", "k_min", "", "clip_min"), "value", tb_tensor_f32(tm, "", 0, scalar, &zero));
    tb_attr_tensor(tm, tb_node(tm, "Constant", "k_max", "", "clip_max"), "value", tb_tensor_f32(tm, "", 0, scalar, &six));
    tb_node(tm, "Clip", "relu6", "z,clip_min,clip_max", "y");
    opt = check_fold(tm, 4, xd, 1, "fused Clip 'relu6' into Conv 'conv1'");
    ck_assert_int_eq(tb_count_op(opt, "BatchNormalization"), 0);
    obn_model_destroy(opt);
    tb_free(tm);

    /* Clip's attribute form (opset < 11) */
    tm = tb_new(9);
    tb_input(tm, "a", OBN_FLOAT, 2, ad);
    init_random(tm, "B", 2, bd, -1.0f, 1.0f);
    int64_t cd[1] = {5};
    init_random(tm, "C", 1, cd, -1.0f, 1.0f); /* C is required before Gemm-11 */
    tb_node(tm, "Gemm", "fc", "a,B,C", "t");
    Onnx__NodeProto *clip6 = tb_node(tm, "Clip", "clip6", "t", "y");
    tb_attr_float(tm, clip6, "min", -0.25f);
    tb_attr_float(tm, clip6, "max", 0.5f);
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    opt = check_fold(tm, 2, ad, 1, "fused Clip 'clip6' into Gemm 'fc'");
    obn_model_destroy(opt);
    tb_free(tm);

    tm = tb_new(9);
    int64_t xd2[4] = {1, 2, 5, 5}, wd[4] = {3, 2, 3, 3};
    tb_input(tm, "x", OBN_FLOAT, 4, xd2);
    init_random(tm, "W", 4, wd, -1.0f, 1.0f);
    tb_node(tm, "Conv", "conv", "x,W", "t");
    Onnx__NodeProto *lr = tb_node(tm, "LeakyRelu", "leaky", "t", "y");
    tb_attr_float(tm, lr, "alpha", 0.2f);
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    opt = check_fold(tm, 4, xd2, 1, "fused LeakyRelu 'leaky' into Conv 'conv'");
    obn_model_destroy(opt);
    tb_free(tm);
}
END_TEST

/* x -> Conv -> Add(., x) -> Relu, as in a residual block. */
static tb_model *residual_block(int also_output_sum)
{
    tb_model *tm = tb_new(13);
    int64_t xd[4] = {2, 4, 9, 5}, wd[4] = {4, 4, 3, 3}, p[4] = {1, 1, 1, 1};
    tb_input(tm, "x", OBN_FLOAT, 4, xd);
    init_random(tm, "W", 4, wd, -1.0f, 1.0f);
    tb_attr_ints(tm, tb_node(tm, "Conv", "conv", "x,W", "c"), "pads", 4, p);
    tb_node(tm, "Add", "add", "c,x", "s");
    tb_node(tm, "Relu", "relu", "s", "y");
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    if (also_output_sum) tb_output(tm, "s", OBN_FLOAT, -1, NULL);
    return tm;
}

START_TEST(residual_add_relu_fusion)
{
    /* the Relu rides in the Add; the saved model has it back as a node */
    tb_model *tm = residual_block(0);
    int64_t xd[4] = {2, 4, 9, 5};
    obn_model *opt = check_fold(tm, 4, xd, 1, "fused Relu 'relu' into Add 'add'");
    ck_assert_int_eq(tb_count_op(opt, "Relu"), 0);
    obn_model_destroy(opt);
    tb_free(tm);

    /* the sum is also a graph output: not fused */
    tm = residual_block(1);
    obn_model *model = NULL;
    ck_assert_int_eq(tb_load(tm, &model), OBN_OK);
    ck_assert_int_eq(obn_model_optimize(model, NULL, &opt), OBN_OK);
    ck_assert_int_eq(tb_count_op(opt, "Relu"), 1);
    obn_model_destroy(opt);
    obn_model_destroy(model);
    tb_free(tm);
}
END_TEST

/* x -> Conv -> c; act(c) -> g; Mul(c, g) or Mul(g, c) -> y */
static tb_model *swish_block(const char *act, int gate_first, int extra_use)
{
    tb_model *tm = tb_new(13);
    int64_t xd[4] = {2, 3, 11, 7}, wd[4] = {5, 3, 3, 3}, p[4] = {1, 1, 1, 1};
    tb_input(tm, "x", OBN_FLOAT, 4, xd);
    init_random(tm, "W", 4, wd, -1.0f, 1.0f);
    tb_attr_ints(tm, tb_node(tm, "Conv", "conv", "x,W", "c"), "pads", 4, p);
    Onnx__NodeProto *a = tb_node(tm, act, "gate", "c", "g");
    if (!strcmp(act, "HardSigmoid")) {
        tb_attr_float(tm, a, "alpha", 1.0f / 6.0f);
        tb_attr_float(tm, a, "beta", 0.5f);
    }
    tb_node(tm, "Mul", "mul", gate_first ? "g,c" : "c,g", "y");
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    if (extra_use) tb_output(tm, "c", OBN_FLOAT, -1, NULL);
    return tm;
}

START_TEST(swish_fusion)
{
    const char *acts[2] = {"Sigmoid", "HardSigmoid"};
    int64_t xd[4] = {2, 3, 11, 7};
    for (int k = 0; k < 4; k++) {
        tb_model *tm = swish_block(acts[k / 2], k % 2, 0);
        char needle[96];
        snprintf(needle, sizeof needle, "fused %s 'gate' and Mul 'mul' into Conv 'conv'", acts[k / 2]);
        obn_model *opt = check_fold(tm, 4, xd, 1, needle); /* also: saved, reloaded, same result */
        ck_assert_int_eq(tb_count_op(opt, "Mul"), 0);
        ck_assert_int_eq(tb_count_op(opt, acts[k / 2]), 0);
        /* the same float operations as the separate nodes: bit-identical */
        obn_model *model = NULL;
        ck_assert_int_eq(tb_load(tm, &model), OBN_OK);
        obn_tensor *x = tb_f32_random(4, xd, 99, -4.0f, 4.0f), *y[2] = {NULL, NULL};
        for (int passes = 0; passes < 2; passes++)
            ck_assert_msg(tb_run(model, 2, passes, 1, &x, 1, &y[passes]) == OBN_OK, "run: %s", obn_last_error());
        ck_assert_int_eq(memcmp(obn_tensor_cdata(y[0]), obn_tensor_cdata(y[1]), obn_tensor_nbytes(y[0])), 0);
        obn_tensor_destroy(x);
        obn_tensor_destroy(y[0]);
        obn_tensor_destroy(y[1]);
        obn_model_destroy(model);
        obn_model_destroy(opt);
        tb_free(tm);
    }
    /* the Conv output is also a graph output: nothing fused */
    tb_model *tm = swish_block("Sigmoid", 0, 1);
    obn_model *model = NULL, *opt = NULL;
    ck_assert_int_eq(tb_load(tm, &model), OBN_OK);
    ck_assert_int_eq(obn_model_optimize(model, NULL, &opt), OBN_OK);
    ck_assert_int_eq(tb_count_op(opt, "Mul"), 1);
    ck_assert_int_eq(tb_count_op(opt, "Sigmoid"), 1);
    obn_model_destroy(opt);
    obn_model_destroy(model);
    tb_free(tm);
}
END_TEST

/* int8 Add + Relu fused: the Relu sees the wrapped int8 sum, as unfused. */
START_TEST(fused_add_relu_integer_wraps_first)
{
    tb_model *tm = tb_new(14);
    int64_t d[1] = {4};
    tb_input(tm, "a", OBN_INT8, 1, d);
    tb_input(tm, "b", OBN_INT8, 1, d);
    tb_node(tm, "Add", "add", "a,b", "s");
    tb_node(tm, "Relu", "relu", "s", "y");
    tb_output(tm, "y", OBN_INT8, -1, NULL);
    const int8_t a[4] = {100, -5, 3, -100}, b[4] = {100, 2, 4, -100}; /* 200 wraps to -56; -200 to 56 */
    const int8_t want[4] = {0, 0, 7, 56};
    obn_model *model = NULL;
    ck_assert_int_eq(tb_load(tm, &model), OBN_OK);
    obn_tensor *in[2], *y[2] = {NULL, NULL};
    ck_assert_int_eq(obn_tensor_create(OBN_INT8, 1, d, a, &in[0]), OBN_OK);
    ck_assert_int_eq(obn_tensor_create(OBN_INT8, 1, d, b, &in[1]), OBN_OK);
    for (int passes = 0; passes < 2; passes++) {
        ck_assert_msg(tb_run(model, 1, passes, 2, in, 1, &y[passes]) == OBN_OK, "run: %s", obn_last_error());
        ck_assert_int_eq(memcmp(obn_tensor_cdata(y[passes]), want, 4), 0);
        obn_tensor_destroy(y[passes]);
    }
    obn_tensor_destroy(in[0]);
    obn_tensor_destroy(in[1]);
    obn_model_destroy(model);
    tb_free(tm);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("fold_bn");
    TCase *t = tcase_create("fold_bn");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, conv_2d_with_and_without_bias);
    tcase_add_test(t, conv_1d_and_3d);
    tcase_add_test(t, conv_grouped_depthwise_strided_dilated);
    tcase_add_loop_test(t, every_bn_version, 0, 6);
    tcase_add_test(t, conv_transpose);
    tcase_add_test(t, conv_transpose_huge_group);
    tcase_add_test(t, gemm_variants);
    tcase_add_test(t, matmul_and_matmul_add);
    tcase_add_test(t, bn_then_conv);
    tcase_add_test(t, bn_output_may_be_a_graph_output);
    tcase_add_test(t, negative_two_consumers);
    tcase_add_test(t, negative_producer_output_is_graph_output);
    tcase_add_test(t, negative_non_constant_weights);
    tcase_add_test(t, negative_training_mode);
    tcase_add_test(t, extreme_parameters_stay_finite);
    tcase_add_test(t, activation_fusion);
    tcase_add_test(t, residual_add_relu_fusion);
    tcase_add_test(t, fused_add_relu_integer_wraps_first);
    tcase_add_test(t, swish_fusion);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
