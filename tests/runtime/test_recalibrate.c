/* Recalibration of BatchNormalization statistics (obn_recalib_*):
 *  - against PyTorch (tests/data/recalib, made by gen_recalib_refs.py): a
 *    3-BN CNN on 24 samples, as one batch (PyTorch momentum=None), as
 *    batches of 8 (PyTorch's batch statistics combined exactly) and with
 *    the momentum rule; rtol 1e-5 (the statistics are stored as float);
 *  - data drawn from a known per-channel normal distribution through a
 *    single BatchNormalization of every version (1, 6, 7, 9, 14, 15, and
 *    spatial=0): the recalibrated mean/var lie within 5 standard errors of
 *    the distribution's and equal the statistics computed here in double
 *    (rtol 1e-6), whatever the batch split;
 *  - the report, and the refusals (no BN left, statistics that are not
 *    initializers, bad options, finish before any batch). */
#include <check.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "model_builder.h"
#include "onnxbn.h"
#include "tensor.h"

static char data_dir[4096];

static const char *fixture(const char *name)
{
    static char path[8192];
    snprintf(path, sizeof path, "%s/%s", data_dir, name);
    return path;
}

/* The samples [from, to) of the fixture data (6 files of 4) as one tensor. */
static obn_tensor *fixture_batch(int from, int to)
{
    const int64_t dims[4] = {to - from, 3, 8, 8};
    obn_tensor *t = NULL;
    ck_assert_int_eq(obn_tensor_create(OBN_FLOAT, 4, dims, NULL, &t), OBN_OK);
    float *dst = obn_tensor_data(t);
    for (int s = from; s < to; s++) {
        char name[64];
        snprintf(name, sizeof name, "data/x_%d.npy", s / 4);
        obn_tensor *f = NULL;
        ck_assert_msg(obn_tensor_load(fixture(name), &f) == OBN_OK, "%s", obn_last_error());
        memcpy(dst + (size_t)(s - from) * 192, (const float *)obn_tensor_cdata(f) + (size_t)(s % 4) * 192,
               192 * sizeof(float));
        obn_tensor_destroy(f);
    }
    return t;
}

/* The mean (k = 0) or var (k = 1) initializer of the i-th BN node. */
static const obn_tensor *bn_stat(const obn_model *m, int i, int k)
{
    const obn_graph *g = m->graph;
    for (int n = 0; n < g->n_nodes; n++) {
        if (strcmp(g->nodes[n].op_type, "BatchNormalization") != 0 || i-- > 0) continue;
        return g->values[g->nodes[n].inputs[3 + k]].init;
    }
    ck_abort_msg("no BatchNormalization %d", i);
    return NULL;
}

static void expect_close(const obn_tensor *got, const double *want, int64_t n, double rtol, const char *what)
{
    ck_assert_int_eq(obn_tensor_numel(got), n);
    for (int64_t c = 0; c < n; c++) {
        double v = obn_tensor_value(got, c);
        ck_assert_msg(fabs(v - want[c]) <= rtol * fabs(want[c]), "%s[%lld] = %.9g, expected %.9g", what, (long long)c,
                      v, want[c]);
    }
}

/* Saves and reloads m, then compares every BN's statistics with the
 * fixtures TAG_bnI_{mean,var}.npy. */
static void expect_fixture_stats(const obn_model *m, const char *tag)
{
    char *dir = tb_tmpdir(), *path = tb_path(dir, "out.onnx");
    ck_assert_int_eq(obn_model_save(m, path), OBN_OK);
    obn_model *back = NULL;
    ck_assert_msg(obn_model_load(path, &back) == OBN_OK, "%s", obn_last_error());
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 2; k++) {
            char name[64];
            snprintf(name, sizeof name, "%s_bn%d_%s.npy", tag, i, k ? "var" : "mean");
            obn_tensor *want = NULL;
            ck_assert_int_eq(obn_tensor_load(fixture(name), &want), OBN_OK);
            ck_assert_int_eq(obn_tensor_dtype(bn_stat(back, i, k)), OBN_FLOAT);
            expect_close(bn_stat(back, i, k), obn_tensor_cdata(want), obn_tensor_numel(want), 1e-5, name);
            obn_tensor_destroy(want);
        }
    obn_model_destroy(back);
    tb_rmtree(dir);
    free(path);
    free(dir);
}

/* Recalibrates the fixture model on its 24 samples in batches of `batch`. */
static obn_model *recalibrate_fixture(int batch, const obn_recalib_options *o, obn_recalib **keep)
{
    obn_model *m = NULL, *out = NULL;
    ck_assert_msg(obn_model_load(fixture("model.onnx"), &m) == OBN_OK, "%s", obn_last_error());
    obn_recalib *r = NULL;
    ck_assert_msg(obn_recalib_create(m, o, &r) == OBN_OK, "%s", obn_last_error());
    obn_model_destroy(m); /* the recalib keeps its own reference */
    ck_assert_int_eq((int)obn_recalib_bn_count(r), 3);
    const char *name = "x";
    for (int s = 0; s < 24; s += batch) {
        obn_tensor *x = fixture_batch(s, s + batch < 24 ? s + batch : 24);
        const obn_tensor *in = x;
        ck_assert_msg(obn_recalib_feed(r, 1, &name, &in) == OBN_OK, "%s", obn_last_error());
        obn_tensor_destroy(x);
    }
    ck_assert_msg(obn_recalib_finish(r, &out) == OBN_OK, "%s", obn_last_error());
    if (keep) *keep = r;
    else obn_recalib_destroy(r);
    return out;
}

START_TEST(pytorch_one_batch)
{
    obn_model *m = recalibrate_fixture(24, NULL, NULL);
    expect_fixture_stats(m, "single");
    obn_model_destroy(m);
}
END_TEST

START_TEST(pytorch_batches_of_8)
{
    obn_recalib *r = NULL;
    obn_model *m = recalibrate_fixture(8, NULL, &r);
    expect_fixture_stats(m, "chan8");
    obn_recalib_report rep;
    ck_assert_int_eq(obn_recalib_bn_report(r, 0, &rep), OBN_OK);
    ck_assert_str_eq(rep.node_name, "/bn1/BatchNormalization");
    ck_assert_int_eq(rep.since_version, 15);
    ck_assert_int_eq(rep.channels, 8);
    ck_assert_int_eq(rep.batches, 3);
    ck_assert(rep.values == 24 * 64);
    ck_assert(rep.var_ratio_min > 0 && rep.var_ratio_min <= rep.var_ratio_max);
    ck_assert_int_eq(obn_recalib_bn_report(r, 3, &rep), OBN_E_INVALID_ARGUMENT);
    obn_recalib_destroy(r);
    obn_model_destroy(m);
}
END_TEST

START_TEST(pytorch_momentum)
{
    obn_recalib_options o;
    obn_recalib_options_init(&o);
    o.rule = OBN_RECALIB_MOMENTUM;
    o.momentum = 0.7;
    obn_model *m = recalibrate_fixture(8, &o, NULL);
    expect_fixture_stats(m, "mom8");
    obn_model_destroy(m);
}
END_TEST

/* Deterministic standard normal values (xorshift + Box-Muller). */
static double normal(uint64_t *s)
{
    double u[2];
    for (int i = 0; i < 2; i++) {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        u[i] = ((double)(*s >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2 * log(u[0])) * cos(6.283185307179586 * u[1]);
}

/* One BatchNormalization of `version` on x [N, 3, 5] (spatial=0: its 15
 * activations have statistics of their own). */
static obn_model *single_bn(int version, int spatial)
{
    tb_model *tm = tb_new(version);
    const int64_t xd[3] = {-1, 3, 5}, pd[1] = {spatial ? 3 : 15}, pd2[2] = {3, 5};
    tb_input(tm, "x", OBN_FLOAT, 3, xd);
    float ones[15], zeros[15];
    for (int i = 0; i < 15; i++) ones[i] = 1, zeros[i] = 0;
    int prank = spatial ? 1 : 2;
    const int64_t *pdims = spatial ? pd : pd2;
    tb_init_f32(tm, "s", prank, pdims, ones);
    tb_init_f32(tm, "b", prank, pdims, zeros);
    tb_init_f32(tm, "m", prank, pdims, zeros);
    tb_init_f32(tm, "v", prank, pdims, ones);
    Onnx__NodeProto *n = tb_node(tm, "BatchNormalization", "bn", "x,s,b,m,v", "y");
    if (!spatial) tb_attr_int(tm, n, "spatial", 0);
    if (version <= 6) tb_attr_int(tm, n, "is_test", 1);
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    obn_model *m = NULL;
    ck_assert_msg(tb_load(tm, &m) == OBN_OK, "%s", obn_last_error());
    tb_free(tm);
    return m;
}

/* 600 samples [3, 5] from N(mu_c, sigma_c^2) per channel c, fed in batches
 * of `batch`; the recalibrated statistics against the distribution and
 * against the sample statistics computed here. */
static void check_known_distribution(int version, int spatial, int batch)
{
    enum { N = 600, C = 3, S = 5 };
    const double mu[C] = {2.0, -1.0, 0.5}, sigma[C] = {0.5, 3.0, 1.2};
    float *x = malloc(N * C * S * sizeof *x);
    uint64_t seed = 88172645463325252ull;
    for (int i = 0; i < N * C * S; i++) x[i] = (float)(mu[i / S % C] + sigma[i / S % C] * normal(&seed));
    obn_model *m = single_bn(version, spatial), *out = NULL;
    obn_recalib *r = NULL;
    ck_assert_msg(obn_recalib_create(m, NULL, &r) == OBN_OK, "%s", obn_last_error());
    const char *name = "x";
    for (int s = 0; s < N; s += batch) {
        int rows = s + batch <= N ? batch : N - s;
        const int64_t d[3] = {rows, C, S};
        obn_tensor *t = NULL;
        ck_assert_int_eq(obn_tensor_wrap(OBN_FLOAT, 3, d, x + (size_t)s * C * S, (size_t)rows * C * S * sizeof(float), &t),
                         OBN_OK);
        const obn_tensor *in = t;
        ck_assert_msg(obn_recalib_feed(r, 1, &name, &in) == OBN_OK, "%s", obn_last_error());
        obn_tensor_destroy(t);
    }
    ck_assert_int_eq(obn_recalib_finish(r, &out), OBN_OK);
    int k = spatial ? C : C * S; /* statistics per node */
    int per = spatial ? S : 1;   /* their positions per sample */
    for (int j = 0; j < k; j++) {
        int c = spatial ? j : j / S;
        double sum = 0, sq = 0, n = (double)N * per;
        for (int b = 0; b < N; b++)
            for (int i = 0; i < per; i++) sum += x[(b * C * S) + (spatial ? c * S + i : j)];
        double mean = sum / n;
        for (int b = 0; b < N; b++)
            for (int i = 0; i < per; i++) {
                double dd = x[(b * C * S) + (spatial ? c * S + i : j)] - mean;
                sq += dd * dd;
            }
        double var = sq / n, got_m = obn_tensor_value(bn_stat(out, 0, 0), j), got_v = obn_tensor_value(bn_stat(out, 0, 1), j);
        /* sampling error: standard error of the mean sigma/sqrt(n), of the variance sigma^2*sqrt(2/(n-1)) */
        ck_assert_msg(fabs(got_m - mu[c]) < 5 * sigma[c] / sqrt(n), "v%d mean[%d] = %g, distribution %g", version, j, got_m, mu[c]);
        ck_assert_msg(fabs(got_v - sigma[c] * sigma[c]) < 5 * sigma[c] * sigma[c] * sqrt(2 / (n - 1)),
                      "v%d var[%d] = %g, distribution %g", version, j, got_v, sigma[c] * sigma[c]);
        ck_assert_msg(fabs(got_m - mean) <= 1e-6 * fabs(mean) + 1e-7 && fabs(got_v - var) <= 1e-6 * var,
                      "v%d batch %d [%d]: %.9g %.9g, sample statistics %.9g %.9g", version, batch, j, got_m, got_v,
                      mean, var);
    }
    obn_recalib_destroy(r);
    obn_model_destroy(out);
    obn_model_destroy(m);
    free(x);
}

START_TEST(known_distribution_every_version)
{
    static const int versions[] = {1, 6, 7, 9, 14, 15};
    for (int i = 0; i < 6; i++) {
        check_known_distribution(versions[i], 1, 50);
        check_known_distribution(versions[i], 1, 37); /* uneven split, a short last batch */
    }
    check_known_distribution(7, 0, 64); /* spatial=0: per-activation statistics */
    check_known_distribution(15, 1, 600);
}
END_TEST

START_TEST(refusals)
{
    /* no BatchNormalization left (as after folding) */
    tb_model *tm = tb_new(15);
    const int64_t xd[2] = {-1, 3};
    tb_input(tm, "x", OBN_FLOAT, 2, xd);
    tb_node(tm, "Relu", "r", "x", "y");
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    obn_model *m = NULL;
    obn_recalib *r = NULL;
    ck_assert_int_eq(tb_load(tm, &m), OBN_OK);
    ck_assert_int_eq(obn_recalib_create(m, NULL, &r), OBN_E_INVALID_MODEL);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(obn_last_error(), "recalibrate the model before folding"), "%s", obn_last_error());
    obn_model_destroy(m);
    tb_free(tm);
    /* the mean is a graph input, not an initializer */
    tm = tb_new(15);
    const int64_t cd[1] = {3};
    const float one[3] = {1, 1, 1};
    tb_input(tm, "x", OBN_FLOAT, 2, xd);
    tb_input(tm, "m", OBN_FLOAT, 1, cd);
    tb_init_f32(tm, "s", 1, cd, one);
    tb_init_f32(tm, "b", 1, cd, one);
    tb_init_f32(tm, "v", 1, cd, one);
    tb_node(tm, "BatchNormalization", "bn", "x,s,b,m,v", "y");
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    ck_assert_int_eq(tb_load(tm, &m), OBN_OK);
    ck_assert_int_eq(obn_recalib_create(m, NULL, &r), OBN_E_UNSUPPORTED);
    ck_assert_msg(strstr(obn_last_error(), "\"bn\"") && strstr(obn_last_error(), "'mean' ('m') is not an initializer"),
                  "%s", obn_last_error());
    obn_model_destroy(m);
    tb_free(tm);
    /* bad options; finish before any batch */
    m = single_bn(15, 1);
    obn_recalib_options o;
    obn_recalib_options_init(&o);
    o.rule = OBN_RECALIB_MOMENTUM;
    o.momentum = 1.5;
    ck_assert_int_eq(obn_recalib_create(m, &o, &r), OBN_E_INVALID_ARGUMENT);
    ck_assert_int_eq(obn_recalib_create(m, NULL, &r), OBN_OK);
    obn_model *out = NULL;
    ck_assert_int_eq(obn_recalib_finish(r, &out), OBN_E_INVALID_ARGUMENT);
    ck_assert_ptr_null(out);
    /* a wrong input leaves the recalib usable */
    const int64_t bad[3] = {2, 4, 5};
    obn_tensor *t = NULL;
    ck_assert_int_eq(obn_tensor_create(OBN_FLOAT, 3, bad, NULL, &t), OBN_OK);
    const char *name = "x";
    const obn_tensor *in = t;
    ck_assert_int_eq(obn_recalib_feed(r, 1, &name, &in), OBN_E_INVALID_INPUT);
    obn_tensor_destroy(t);
    obn_recalib_report rep;
    ck_assert_int_eq(obn_recalib_bn_report(r, 0, &rep), OBN_OK);
    ck_assert_int_eq(rep.batches, 0);
    obn_recalib_destroy(r);
    obn_model_destroy(m);
}
END_TEST

int main(void)
{
    char src[4096];
    snprintf(src, sizeof src, "%s", __FILE__);
    snprintf(data_dir, sizeof data_dir, "%s/../data/recalib", dirname(src));
    Suite *s = suite_create("recalibrate");
    TCase *t = tcase_create("recalibrate");
    tcase_add_test(t, pytorch_one_batch);
    tcase_add_test(t, pytorch_batches_of_8);
    tcase_add_test(t, pytorch_momentum);
    tcase_add_test(t, known_distribution_every_version);
    tcase_add_test(t, refusals);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
