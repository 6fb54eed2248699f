/* BatchNormalization against values computed here in double with the
 * spec's formula Y = (X - mean) / sqrt(var + eps) * scale + B, for every
 * version, rank, mode and dtype. Tolerances: float 1e-5 relative, double
 * 1e-12, float16 1e-3, bfloat16 1e-2 (their epsilons are 2^-11 and 2^-8). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/half.h"
#include "model_builder.h"
#include "tb_check.h"

typedef struct {
    int version;
    int rank;
    int64_t dims[6];
    int spatial;        /* -1: attribute absent */
    int training;       /* -1: attribute absent */
    float epsilon;
    float momentum;
    int x_type, param_type, stat_type;
    int n_outputs;      /* 1, or 3 for training outputs */
} bn_case;

static int64_t count(const int64_t *dims, int rank)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    return n;
}

static int64_t channels(const bn_case *c) { return c->rank == 1 ? 1 : c->dims[1]; }
static int64_t plane(const bn_case *c) { return c->rank <= 2 ? 1 : count(c->dims + 2, c->rank - 2); }
static int64_t param_len(const bn_case *c) { return c->spatial == 0 ? channels(c) * plane(c) : channels(c); }

static size_t type_size(int t) { return t == OBN_DOUBLE ? 8 : t == OBN_FLOAT ? 4 : 2; }

/* Encodes doubles into a buffer of the given dtype. */
static void *encode(int type, const double *v, int64_t n)
{
    void *p = malloc((size_t)n * type_size(type) + 1);
    for (int64_t i = 0; i < n; i++) {
        if (type == OBN_FLOAT) ((float *)p)[i] = (float)v[i];
        else if (type == OBN_DOUBLE) ((double *)p)[i] = v[i];
        else if (type == OBN_FLOAT16) ((uint16_t *)p)[i] = obn_f32_to_f16((float)v[i]);
        else ((uint16_t *)p)[i] = obn_f32_to_bf16((float)v[i]);
    }
    return p;
}

static double decode(int type, const void *p, int64_t i)
{
    if (type == OBN_FLOAT) return ((const float *)p)[i];
    if (type == OBN_DOUBLE) return ((const double *)p)[i];
    if (type == OBN_FLOAT16) return obn_f16_to_f32(((const uint16_t *)p)[i]);
    return obn_bf16_to_f32(((const uint16_t *)p)[i]);
}

/* Rounds through the dtype, so the reference sees the same inputs. */
static double quant(int type, double v)
{
    void *p = encode(type, &v, 1);
    double r = decode(type, p, 0);
    free(p);
    return r;
}

static double tol_for(int type) { return type == OBN_DOUBLE ? 1e-12 : type == OBN_FLOAT ? 1e-5 : type == OBN_FLOAT16 ? 2e-3 : 2e-2; }

typedef struct {
    double *x, *scale, *b, *mean, *var;
} bn_data;

static void make_data(const bn_case *c, bn_data *d)
{
    int64_t n = count(c->dims, c->rank), k = param_len(c);
    d->x = malloc((size_t)n * 8);
    d->scale = malloc((size_t)k * 8);
    d->b = malloc((size_t)k * 8);
    d->mean = malloc((size_t)k * 8);
    d->var = malloc((size_t)k * 8);
    for (int64_t i = 0; i < n; i++) d->x[i] = quant(c->x_type, sin((double)i * 0.7) * 2.0 + 0.25);
    for (int64_t i = 0; i < k; i++) {
        d->scale[i] = quant(c->param_type, 0.5 + 0.25 * (double)i);
        d->b[i] = quant(c->param_type, -0.5 + 0.125 * (double)i);
        d->mean[i] = quant(c->stat_type, 0.1 * (double)i - 0.2);
        d->var[i] = quant(c->stat_type, 0.5 + 0.3 * (double)i);
    }
}

static void free_data(bn_data *d)
{
    free(d->x);
    free(d->scale);
    free(d->b);
    free(d->mean);
    free(d->var);
}

static tb_model *build(const bn_case *c, const bn_data *d)
{
    tb_model *m = tb_new(c->version);
    int64_t k = param_len(c);
    int64_t kd[1] = {k};
    tb_input(m, "x", c->x_type, c->rank, c->dims);
    const char *names[4] = {"scale", "B", "mean", "var"};
    const double *vals[4] = {d->scale, d->b, d->mean, d->var};
    for (int i = 0; i < 4; i++) {
        int t = i < 2 ? c->param_type : c->stat_type;
        void *buf = encode(t, vals[i], k);
        tb_add_init(m, tb_tensor(m, names[i], t, 1, kd, buf, (size_t)k * type_size(t)));
        free(buf);
    }
    Onnx__NodeProto *n = tb_node(m, "BatchNormalization", "bn1", "x,scale,B,mean,var",
                                 c->n_outputs == 3 ? "y,running_mean,running_var" : "y");
    if (c->epsilon != 1e-5f) tb_attr_float(m, n, "epsilon", c->epsilon);
    if (c->momentum != 0.9f) tb_attr_float(m, n, "momentum", c->momentum);
    if (c->spatial >= 0) tb_attr_int(m, n, "spatial", c->spatial);
    if (c->training >= 0) tb_attr_int(m, n, "training_mode", c->training);
    if (c->version == 1) tb_attr_ints(m, n, "consumed_inputs", 0, NULL);
    tb_output(m, "y", c->x_type, c->rank, c->dims);
    if (c->n_outputs == 3) {
        tb_output(m, "running_mean", c->stat_type, 1, kd);
        tb_output(m, "running_var", c->stat_type, 1, kd);
    }
    return m;
}

/* Runs the case and checks Y (and the running stats) against the formula. */
static void check_case(const bn_case *c)
{
    bn_data d;
    make_data(c, &d);
    tb_model *m = build(c, &d);
    obn_model *model = NULL;
    obn_status st = tb_load(m, &model);
    ck_assert_msg(st == OBN_OK, "load failed: %s", obn_last_error());
    int64_t n = count(c->dims, c->rank), k = param_len(c), s = c->spatial == 0 ? 1 : plane(c);
    void *xb = encode(c->x_type, d.x, n);
    obn_tensor *x = NULL, *out[3] = {NULL, NULL, NULL};
    ck_assert_int_eq(obn_tensor_create(c->x_type, (size_t)c->rank, c->dims, xb, &x), OBN_OK);
    st = tb_run(model, 2, 0, 1, &x, (size_t)c->n_outputs, out);
    ck_assert_msg(st == OBN_OK, "run failed: %s", obn_last_error());
    ck_assert_int_eq(obn_tensor_dtype(out[0]), c->x_type);

    /* batch statistics for training mode */
    double *bm = calloc((size_t)k, 8), *bv = calloc((size_t)k, 8);
    int64_t batch = c->dims[0];
    for (int64_t ch = 0; ch < k; ch++) {
        double sum = 0, sq = 0;
        for (int64_t b = 0; b < batch; b++)
            for (int64_t i = 0; i < s; i++) sum += d.x[(b * k + ch) * s + i];
        bm[ch] = sum / (double)(batch * s);
        for (int64_t b = 0; b < batch; b++)
            for (int64_t i = 0; i < s; i++) {
                double e = d.x[(b * k + ch) * s + i] - bm[ch];
                sq += e * e;
            }
        bv[ch] = sq / (double)(batch * s);
    }
    int training = c->training == 1;
    double tol = tol_for(c->x_type);
    if (c->param_type != c->x_type || c->stat_type != c->x_type) tol = fmax(tol, 1e-5);
    for (int64_t i = 0; i < n; i++) {
        int64_t ch = (i / s) % k;
        double mean = training ? bm[ch] : d.mean[ch], var = training ? bv[ch] : d.var[ch];
        double want = (d.x[i] - mean) / sqrt(var + (double)c->epsilon) * d.scale[ch] + d.b[ch];
        double got = decode(c->x_type, obn_tensor_cdata(out[0]), i);
        ck_assert_msg(fabs(got - want) <= tol * (1 + fabs(want)), "v%d Y[%lld] = %.9g, expected %.9g", c->version,
                      (long long)i, got, want);
    }
    if (c->n_outputs == 3) {
        double mom = c->momentum;
        for (int64_t ch = 0; ch < k; ch++) {
            double rm = d.mean[ch] * mom + bm[ch] * (1 - mom), rv = d.var[ch] * mom + bv[ch] * (1 - mom);
            double gm = decode(c->stat_type, obn_tensor_cdata(out[1]), ch);
            double gv = decode(c->stat_type, obn_tensor_cdata(out[2]), ch);
            double t = tol_for(c->stat_type);
            ck_assert_msg(fabs(gm - rm) <= t * (1 + fabs(rm)), "running_mean[%lld] %.9g vs %.9g", (long long)ch, gm, rm);
            ck_assert_msg(fabs(gv - rv) <= t * (1 + fabs(rv)), "running_var[%lld] %.9g vs %.9g", (long long)ch, gv, rv);
        }
    }
    free(bm);
    free(bv);
    free(xb);
    for (int i = 0; i < 3; i++) obn_tensor_destroy(out[i]);
    obn_tensor_destroy(x);
    obn_model_destroy(model);
    tb_free(m);
    free_data(&d);
}

static bn_case base_case(int version)
{
    bn_case c = {version, 4, {2, 3, 4, 5}, -1, -1, 1e-5f, 0.9f, OBN_FLOAT, OBN_FLOAT, OBN_FLOAT, 1};
    return c;
}

static const int all_versions[] = {1, 6, 7, 9, 14, 15};

START_TEST(every_version_inference)
{
    bn_case c = base_case(all_versions[_i]);
    check_case(&c);
    c.epsilon = 1e-2f;
    check_case(&c);
}
END_TEST

START_TEST(every_rank)
{
    /* rank 2 (N,C), 3 (N,C,L), 4, 5 and 6 */
    const int64_t shapes[5][6] = {{4, 3}, {2, 3, 7}, {2, 3, 4, 5}, {1, 2, 3, 2, 4}, {2, 2, 1, 2, 3, 2}};
    for (int r = 0; r < 5; r++) {
        bn_case c = base_case(15);
        c.rank = r + 2;
        memcpy(c.dims, shapes[r], sizeof c.dims);
        check_case(&c);
    }
}
END_TEST

START_TEST(rank1_input_is_one_channel)
{
    bn_case c = base_case(all_versions[3 + _i]); /* 9, 14, 15 */
    c.rank = 1;
    c.dims[0] = 6;
    check_case(&c);
}
END_TEST

START_TEST(non_spatial_legacy)
{
    /* spatial=0: scale/B/mean/var are C x D1 x ... x Dn */
    bn_case c = base_case(all_versions[_i]); /* 1, 6, 7 */
    c.spatial = 0;
    check_case(&c);
}
END_TEST

START_TEST(training_mode_running_stats)
{
    bn_case c = base_case(14 + _i);
    c.training = 1;
    c.n_outputs = 3;
    c.momentum = 0.8f;
    check_case(&c);
    c.n_outputs = 1; /* training normalisation without the optional outputs */
    check_case(&c);
}
END_TEST

START_TEST(every_dtype)
{
    static const int types[] = {OBN_DOUBLE, OBN_FLOAT16, OBN_BFLOAT16};
    bn_case c = base_case(15);
    c.x_type = c.param_type = c.stat_type = types[_i];
    check_case(&c);
    c.training = 1;
    c.n_outputs = 3;
    check_case(&c);
    if (types[_i] != OBN_BFLOAT16) { /* versions 6-9 allow float16 and double */
        bn_case l = base_case(9);
        l.x_type = l.param_type = l.stat_type = types[_i];
        check_case(&l);
    }
}
END_TEST

START_TEST(v15_mixed_types)
{
    bn_case c = base_case(15);
    c.param_type = OBN_FLOAT16; /* T1 */
    c.stat_type = OBN_DOUBLE;   /* T2 */
    check_case(&c);
    c.x_type = OBN_BFLOAT16;
    c.param_type = OBN_FLOAT;
    c.stat_type = OBN_FLOAT16;
    check_case(&c);
}
END_TEST

START_TEST(hand_computed_example)
{
    /* x = [[-1, 0, 1]] with C=1 spread over L=3; mean 0, var 1, scale 2, B 1:
     * y = 2*x/sqrt(1+1e-5) + 1 */
    tb_model *m = tb_new(15);
    int64_t xd[3] = {1, 1, 3}, one[1] = {1};
    float s = 2, b = 1, mu = 0, v = 1;
    tb_input(m, "x", OBN_FLOAT, 3, xd);
    tb_init_f32(m, "s", 1, one, &s);
    tb_init_f32(m, "b", 1, one, &b);
    tb_init_f32(m, "m", 1, one, &mu);
    tb_init_f32(m, "v", 1, one, &v);
    tb_node(m, "BatchNormalization", "bn", "x,s,b,m,v", "y");
    tb_output(m, "y", OBN_FLOAT, 3, xd);
    obn_model *model;
    ck_assert_int_eq(tb_load(m, &model), OBN_OK);
    float xv[3] = {-1, 0, 1};
    obn_tensor *x = tb_f32(3, xd, xv), *y;
    ck_assert_int_eq(tb_run(model, 1, 0, 1, &x, 1, &y), OBN_OK);
    const float *yv = obn_tensor_cdata(y);
    ck_assert_float_eq_tol(yv[0], -0.99999f, 1e-5f);
    ck_assert_float_eq_tol(yv[1], 1.0f, 1e-6f);
    ck_assert_float_eq_tol(yv[2], 2.99999f, 1e-5f);
    obn_tensor_destroy(x);
    obn_tensor_destroy(y);
    obn_model_destroy(model);
    tb_free(m);
}
END_TEST

/* Loads a BN model and returns the session-creation status (shapes are
 * checked when the plan is built). */
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

static tb_model *bn_model_with(int version, int64_t scale_len)
{
    tb_model *m = tb_new(version);
    int64_t xd[4] = {1, 64, 2, 2}, c[1] = {64}, sc[1] = {scale_len};
    float buf[64] = {0};
    tb_input(m, "x", OBN_FLOAT, 4, xd);
    tb_init_f32(m, "bn1.weight", 1, sc, buf);
    tb_init_f32(m, "bn1.bias", 1, c, buf);
    tb_init_f32(m, "bn1.running_mean", 1, c, buf);
    tb_init_f32(m, "bn1.running_var", 1, c, buf);
    tb_node(m, "BatchNormalization", "bn1", "x,bn1.weight,bn1.bias,bn1.running_mean,bn1.running_var", "y");
    tb_output(m, "y", OBN_FLOAT, 4, xd);
    return m;
}

START_TEST(wrong_scale_length_names_the_input)
{
    tb_model *m = bn_model_with(15, 63);
    ck_assert_int_eq(create_status(m), OBN_E_INVALID_MODEL);
    const char *msg = obn_last_error();
    ck_assert_msg(strstr(msg, "\"bn1\"") && strstr(msg, "BatchNormalization-15") && strstr(msg, "'scale'") &&
                      strstr(msg, "bn1.weight") && strstr(msg, "63 elements") && strstr(msg, "C=64"),
                  "message: %s", msg);
    tb_free(m);
}
END_TEST

START_TEST(attribute_errors)
{
    tb_model *m = bn_model_with(15, 64);
    tb_attr_int(m, tb_proto(m)->graph->node[0], "epsilon", 1);
    ck_assert_int_eq(create_status(m), OBN_E_INVALID_MODEL);
    ck_assert_msg(strstr(obn_last_error(), "'epsilon' has type INT, expected FLOAT"), "%s", obn_last_error());
    tb_free(m);

    m = bn_model_with(9, 64);
    tb_attr_int(m, tb_proto(m)->graph->node[0], "training_mode", 1);
    ck_assert_int_eq(create_status(m), OBN_E_INVALID_MODEL);
    ck_assert_msg(strstr(obn_last_error(), "training_mode"), "%s", obn_last_error());
    tb_free(m);

    m = bn_model_with(15, 64);
    tb_attr_int(m, tb_proto(m)->graph->node[0], "training_mode", 2);
    ck_assert_int_eq(create_status(m), OBN_E_INVALID_MODEL);
    tb_free(m);

    m = bn_model_with(15, 64);
    tb_attr_int(m, tb_proto(m)->graph->node[0], "mystery", 2);
    ck_assert_int_eq(create_status(m), OBN_E_UNSUPPORTED);
    ck_assert_msg(strstr(obn_last_error(), "'mystery'"), "%s", obn_last_error());
    tb_free(m);
}
END_TEST

START_TEST(running_outputs_need_training_mode)
{
    tb_model *m = bn_model_with(15, 64);
    Onnx__NodeProto *n = tb_proto(m)->graph->node[0];
    n->n_output = 3;
    n->output = tb_alloc(m, 3 * sizeof(char *));
    n->output[0] = tb_str(m, "y");
    n->output[1] = tb_str(m, "rm");
    n->output[2] = tb_str(m, "rv");
    ck_assert_int_eq(create_status(m), OBN_E_INVALID_MODEL);
    ck_assert_msg(strstr(obn_last_error(), "training_mode=1"), "%s", obn_last_error());
    tb_free(m);
}
END_TEST

START_TEST(integer_input_rejected)
{
    tb_model *m = tb_new(15);
    int64_t xd[2] = {1, 2}, c[1] = {2};
    float buf[2] = {1, 1};
    tb_input(m, "x", OBN_INT32, 2, xd);
    tb_init_f32(m, "s", 1, c, buf);
    tb_init_f32(m, "b", 1, c, buf);
    tb_init_f32(m, "m", 1, c, buf);
    tb_init_f32(m, "v", 1, c, buf);
    tb_node(m, "BatchNormalization", "bn", "x,s,b,m,v", "y");
    tb_output(m, "y", OBN_INT32, 2, xd);
    ck_assert_int_eq(create_status(m), OBN_E_UNSUPPORTED);
    ck_assert_msg(strstr(obn_last_error(), "'X'") && strstr(obn_last_error(), "int32"), "%s", obn_last_error());
    tb_free(m);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("batchnorm");
    TCase *t = tcase_create("batchnorm");
    tcase_add_loop_test(t, every_version_inference, 0, 6);
    tcase_add_test(t, every_rank);
    tcase_add_loop_test(t, rank1_input_is_one_channel, 0, 3);
    tcase_add_loop_test(t, non_spatial_legacy, 0, 3);
    tcase_add_loop_test(t, training_mode_running_stats, 0, 2);
    tcase_add_loop_test(t, every_dtype, 0, 3);
    tcase_add_test(t, v15_mixed_types);
    tcase_add_test(t, hand_computed_example);
    tcase_add_test(t, wrong_scale_length_names_the_input);
    tcase_add_test(t, attribute_errors);
    tcase_add_test(t, running_outputs_need_training_mode);
    tcase_add_test(t, integer_input_rejected);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
