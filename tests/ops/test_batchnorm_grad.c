/* The BatchNormalization backward pass: obn_batchnorm_backward (training
 * formula), obn_batchnorm_backward_frozen (inference mode) and the
 * com.microsoft:BatchNormalizationGrad operator, against torch.autograd on
 * torch.nn.functional.batch_norm (bn_grad_refs.h, float64 references; ranks
 * 2 to 5, C = 1, spatial size 1, float and double). Tolerance: |got - want|
 * <= rtol * max(|want|, 1e-3 * max|want| of the tensor), rtol 1e-5 for
 * float and 1e-10 for double. Large cases check the identities of the
 * training gradient (dX sums to zero against 1 and X^ per channel) and that
 * the thread count does not change a bit; then the refusals. */
#include "bn_grad_refs.h"
#include "op_testing.h"

static double rtol_of(int dtype) { return dtype == OBN_FLOAT ? 1e-5 : 1e-10; }

static obn_tensor *as_tensor(int dtype, int rank, const int64_t *dims, const double *v)
{
    int64_t n = ot_numel(rank, dims);
    obn_tensor *t = ot_tensor((obn_dtype)dtype, rank, dims, NULL);
    for (int64_t i = 0; i < n; i++) {
        if (dtype == OBN_FLOAT) ((float *)obn_tensor_data(t))[i] = (float)v[i];
        else ((double *)obn_tensor_data(t))[i] = v[i];
    }
    return t;
}

static void expect_close(const char *what, const char *case_name, const obn_tensor *t, const double *want,
                         int64_t n, double rtol)
{
    ck_assert_int_eq(obn_tensor_numel(t), n);
    double peak = 0;
    for (int64_t i = 0; i < n; i++) peak = fmax(peak, fabs(want[i]));
    for (int64_t i = 0; i < n; i++) {
        double got = obn_tensor_value(t, i);
        ck_assert_msg(fabs(got - want[i]) <= rtol * fmax(fabs(want[i]), 1e-3 * peak), "%s %s[%lld] = %.17g, expected %.17g",
                      case_name, what, (long long)i, got, want[i]);
    }
}

typedef struct {
    obn_tensor *x, *dy, *scale, *stat0, *stat1;
} case_tensors;

static case_tensors make_inputs(const bg_case *c)
{
    int64_t cd[1] = {c->dims[1]};
    case_tensors t = {as_tensor(c->dtype, c->rank, c->dims, c->x), as_tensor(c->dtype, c->rank, c->dims, c->dy),
                      as_tensor(c->dtype, 1, cd, c->scale), as_tensor(c->dtype, 1, cd, c->stat0),
                      as_tensor(c->dtype, 1, cd, c->stat1)};
    return t;
}

static void free_inputs(case_tensors *t)
{
    obn_tensor *all[5] = {t->x, t->dy, t->scale, t->stat0, t->stat1};
    ot_destroy(5, all);
}

static void expect_case(const bg_case *c, obn_tensor *const *got)
{
    double rtol = rtol_of(c->dtype);
    expect_close("dX", c->name, got[0], c->dx, ot_numel(c->rank, c->dims), rtol);
    expect_close("dscale", c->name, got[1], c->dscale, c->dims[1], rtol);
    expect_close("dB", c->name, got[2], c->dbias, c->dims[1], rtol);
    ck_assert_int_eq(obn_tensor_dtype(got[0]), c->dtype);
    ot_expect_shape(got[0], c->rank, c->dims);
}

START_TEST(api_against_torch)
{
    int checked[2] = {0, 0};
    for (size_t i = 0; i < sizeof bg_cases / sizeof bg_cases[0]; i++) {
        const bg_case *c = &bg_cases[i];
        case_tensors in = make_inputs(c);
        obn_tensor *got[3];
        obn_status st = c->training ? obn_batchnorm_backward(in.x, in.scale, in.dy, in.stat0, in.stat1, 2, &got[0], &got[1], &got[2])
                                    : obn_batchnorm_backward_frozen(in.x, in.scale, in.dy, in.stat0, in.stat1, c->eps, 2,
                                                                    &got[0], &got[1], &got[2]);
        ck_assert_msg(st == OBN_OK, "%s: %s", c->name, obn_last_error());
        expect_case(c, got);
        checked[c->training]++;
        ot_destroy(3, got);
        free_inputs(&in);
    }
    ck_assert_int_ge(checked[0], 16);
    ck_assert_int_ge(checked[1], 16);
}
END_TEST

/* One BatchNormalizationGrad node: dY and X graph inputs, the rest
 * initializers of the case's dtype. */
static tb_model *grad_model(const bg_case *c)
{
    tb_model *m = tb_new(17);
    tb_opset(m, "com.microsoft", 1);
    tb_input(m, "dy", c->dtype, c->rank, c->dims);
    tb_input(m, "x", c->dtype, c->rank, c->dims);
    int64_t cd[1] = {c->dims[1]};
    const double *params[3] = {c->scale, c->stat0, c->stat1};
    const char *names[3] = {"scale", "saved_mean", "saved_inv_std"};
    for (int k = 0; k < 3; k++) {
        obn_tensor *t = as_tensor(c->dtype, 1, cd, params[k]);
        tb_add_init(m, tb_tensor(m, names[k], c->dtype, 1, cd, obn_tensor_cdata(t), obn_tensor_nbytes(t)));
        obn_tensor_destroy(t);
    }
    Onnx__NodeProto *n = tb_node(m, "BatchNormalizationGrad", "bn1_grad", "dy,x,scale,saved_mean,saved_inv_std",
                                 "dx,dscale,dbias");
    n->domain = tb_str(m, "com.microsoft");
    tb_attr_float(m, n, "epsilon", (float)c->eps);
    tb_output(m, "dx", c->dtype, -1, NULL);
    tb_output(m, "dscale", c->dtype, -1, NULL);
    tb_output(m, "dbias", c->dtype, -1, NULL);
    return m;
}

START_TEST(operator_against_torch)
{
    int checked = 0;
    for (size_t i = 0; i < sizeof bg_cases / sizeof bg_cases[0]; i++) {
        const bg_case *c = &bg_cases[i];
        if (!c->training) continue; /* the operator is the training formula */
        case_tensors in = make_inputs(c);
        tb_model *m = grad_model(c);
        obn_tensor *ins[2] = {in.dy, in.x}, *got[3];
        OT_RUN_OK(m, 2, ins, 3, got);
        expect_case(c, got);
        checked++;
        ot_destroy(3, got);
        tb_free(m);
        free_inputs(&in);
    }
    ck_assert_int_eq(checked, 16);
}
END_TEST

/* [8, 40, 30, 20] float: batch statistics computed here, then the training
 * gradient's identities per channel: sum(dX) = 0 and sum(dX * X^) = 0 (to
 * float rounding of dX), and the same bits with 1 and 4 threads. The frozen
 * gradient is scale*inv_std*dY exactly as computed in double and rounded. */
START_TEST(large_identities_and_threads)
{
    enum { N = 8, C = 40, S = 600 };
    const int64_t xd[4] = {N, C, 30, 20}, cd[1] = {C}, total = (int64_t)N * C * S;
    float *xv = malloc((size_t)total * sizeof *xv), *gv = malloc((size_t)total * sizeof *gv), sc[C], mean[C], inv[C];
    ot_fill(xv, total, 5, -3, 5);
    ot_fill(gv, total, 6, -1, 1);
    ot_fill(sc, C, 7, 0.5f, 2);
    double dmean[C], dinv[C];
    for (int c = 0; c < C; c++) {
        double s1 = 0, s2 = 0;
        for (int b = 0; b < N; b++)
            for (int i = 0; i < S; i++) s1 += xv[((int64_t)b * C + c) * S + i];
        dmean[c] = s1 / (N * S);
        for (int b = 0; b < N; b++)
            for (int i = 0; i < S; i++) {
                double d = xv[((int64_t)b * C + c) * S + i] - dmean[c];
                s2 += d * d;
            }
        mean[c] = (float)dmean[c];
        inv[c] = (float)(1 / sqrt(s2 / (N * S) + 1e-5));
        dinv[c] = inv[c];
    }
    obn_tensor *x = ot_tensor(OBN_FLOAT, 4, xd, xv), *dy = ot_tensor(OBN_FLOAT, 4, xd, gv),
               *s = ot_tensor(OBN_FLOAT, 1, cd, sc), *m = ot_tensor(OBN_FLOAT, 1, cd, mean),
               *iv = ot_tensor(OBN_FLOAT, 1, cd, inv), *g1[3], *g4[3];
    ck_assert_int_eq(obn_batchnorm_backward(x, s, dy, m, iv, 1, &g1[0], &g1[1], &g1[2]), OBN_OK);
    ck_assert_int_eq(obn_batchnorm_backward(x, s, dy, m, iv, 4, &g4[0], &g4[1], &g4[2]), OBN_OK);
    for (int k = 0; k < 3; k++)
        ck_assert_msg(memcmp(obn_tensor_cdata(g1[k]), obn_tensor_cdata(g4[k]), obn_tensor_nbytes(g1[k])) == 0,
                      "output %d differs between 1 and 4 threads", k);
    const float *dx = obn_tensor_cdata(g1[0]);
    for (int c = 0; c < C; c++) {
        double s0 = 0, s1 = 0, mag = 0;
        for (int b = 0; b < N; b++)
            for (int i = 0; i < S; i++) {
                int64_t j = ((int64_t)b * C + c) * S + i;
                double xh = (xv[j] - (double)mean[c]) * dinv[c];
                s0 += dx[j];
                s1 += dx[j] * xh;
                mag += fabs(dx[j]);
            }
        /* float32 rounding of each dX (relative 6e-8) summed over N*S terms */
        ck_assert_msg(fabs(s0) <= 1e-6 * mag && fabs(s1) <= 1e-5 * mag, "channel %d: sums %g %g (|dX| sum %g)", c, s0, s1, mag);
    }
    obn_tensor *var = ot_tensor(OBN_FLOAT, 1, cd, sc), *gf[3];
    ck_assert_int_eq(obn_batchnorm_backward_frozen(x, s, dy, m, var, 1e-3, 4, &gf[0], &gf[1], &gf[2]), OBN_OK);
    const float *fx = obn_tensor_cdata(gf[0]);
    for (int64_t j = 0; j < total; j++) {
        int c = (int)(j / S % C);
        double a = (double)sc[c] * (1 / sqrt((double)sc[c] + 1e-3));
        ck_assert_msg(fx[j] == (float)(a * gv[j]), "frozen dX[%lld] = %.9g, expected %.9g", (long long)j, fx[j], a * gv[j]);
    }
    /* dB = sum(dY) whatever the mode (dscale differs: another x̂) */
    ck_assert_int_eq(memcmp(obn_tensor_cdata(gf[2]), obn_tensor_cdata(g1[2]), obn_tensor_nbytes(g1[2])), 0);
    ot_destroy(3, g1);
    ot_destroy(3, g4);
    ot_destroy(3, gf);
    obn_tensor *rest[6] = {x, dy, s, m, iv, var};
    ot_destroy(6, rest);
    free(xv);
    free(gv);
}
END_TEST

START_TEST(api_errors)
{
    const int64_t xd[3] = {2, 3, 4}, cd[1] = {3}, c2[1] = {2}, d1[1] = {6}, xi[3] = {2, 3, 4};
    obn_tensor *x = ot_tensor(OBN_FLOAT, 3, xd, NULL), *p = ot_tensor(OBN_FLOAT, 1, cd, NULL),
               *p2 = ot_tensor(OBN_FLOAT, 1, c2, NULL), *xr1 = ot_tensor(OBN_FLOAT, 1, d1, NULL),
               *xint = ot_tensor(OBN_INT64, 3, xi, NULL), *xd64 = ot_tensor(OBN_DOUBLE, 3, xd, NULL), *dx, *ds, *db;
    ck_assert_int_eq(obn_batchnorm_backward(x, p, x, p, NULL, 1, &dx, &ds, &db), OBN_E_INVALID_ARGUMENT);
    ck_assert_ptr_null(dx);
    ck_assert_int_eq(obn_batchnorm_backward(x, p2, x, p, p, 1, &dx, &ds, &db), OBN_E_INVALID_ARGUMENT);
    ot_expect_message("obn_batchnorm_backward", "scale", "C=3", (const char *)NULL);
    ck_assert_int_eq(obn_batchnorm_backward(x, p, xd64, p, p, 1, &dx, NULL, NULL), OBN_E_INVALID_ARGUMENT);
    ot_expect_message("dy is double [2,3,4]", "float [2,3,4]", (const char *)NULL);
    ck_assert_int_eq(obn_batchnorm_backward(xint, p, xint, p, p, 1, &dx, NULL, NULL), OBN_E_UNSUPPORTED);
    ot_expect_message("int64", (const char *)NULL);
    ck_assert_int_eq(obn_batchnorm_backward(xr1, p, xr1, p, p, 1, &dx, NULL, NULL), OBN_E_INVALID_ARGUMENT);
    ot_expect_message("rank >= 2", (const char *)NULL);
    ck_assert_int_eq(obn_batchnorm_backward_frozen(x, p, x, p, p, -1, 1, &dx, NULL, NULL), OBN_E_INVALID_ARGUMENT);
    ot_expect_message("epsilon", (const char *)NULL);
    /* var 0 with epsilon 0: no finite inverse standard deviation */
    ck_assert_int_eq(obn_batchnorm_backward_frozen(x, p, x, p, p, 0, 1, &dx, NULL, NULL), OBN_E_INVALID_ARGUMENT);
    ot_expect_message("var[0] + epsilon", (const char *)NULL);
    /* dscale/dbias not wanted */
    ck_assert_int_eq(obn_batchnorm_backward(x, p, x, p, p, 0, &dx, NULL, NULL), OBN_OK);
    obn_tensor_destroy(dx);
    obn_tensor *all[6] = {x, p, p2, xr1, xint, xd64};
    ot_destroy(6, all);
}
END_TEST

START_TEST(operator_errors)
{
    const bg_case *c = &bg_cases[4]; /* [2,3,4,5] float, training */
    ck_assert_int_eq(c->training, 1);
    ck_assert_int_eq(c->rank, 4);
    tb_model *m = grad_model(c);
    tb_proto(m)->graph->input[0]->type->tensor_type->shape->dim[3]->dim_value = 4;
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"bn1_grad\"", "BatchNormalizationGrad", "'dY'", "[2,3,4,4]");
    tb_free(m);
    /* X and dY [2,2,4,5]; scale and the statistics keep 3 elements */
    m = grad_model(&bg_cases[4]);
    for (int i = 0; i < 2; i++) tb_proto(m)->graph->input[i]->type->tensor_type->shape->dim[1]->dim_value = 2;
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'scale'", "expected C=2");
    tb_free(m);
    m = grad_model(&bg_cases[4]);
    tb_attr_float(m, tb_proto(m)->graph->node[0], "epsilon", -1.0f);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "epsilon");
    tb_free(m);
    m = grad_model(&bg_cases[4]);
    tb_attr_int(m, tb_proto(m)->graph->node[0], "momentum", 1);
    ck_assert_int_ne(ot_create_status(m), OBN_OK);
    tb_free(m);
    m = grad_model(&bg_cases[4]);
    tb_proto(m)->graph->input[1]->type->tensor_type->elem_type = OBN_INT64;
    tb_proto(m)->graph->input[0]->type->tensor_type->elem_type = OBN_INT64;
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "'X'", "int64");
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("batchnorm_grad");
    TCase *t = tcase_create("batchnorm_grad");
    tcase_add_test(t, api_against_torch);
    tcase_add_test(t, operator_against_torch);
    tcase_add_test(t, large_identities_and_threads);
    tcase_add_test(t, api_errors);
    tcase_add_test(t, operator_errors);
    suite_add_tcase(s, t);
    return ot_main(s);
}
