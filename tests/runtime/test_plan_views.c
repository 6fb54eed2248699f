/* Reshape-family outputs planned as views of their input's arena buffer
 * (OBN_OP_VIEW): a chain of views must keep the shared buffer live until
 * the last view is read, even while other nodes allocate and free
 * temporaries around it; a view that is a graph output, or of a graph
 * input, still gets its own data. Checked against values computed here,
 * over two runs of one session (the arena reused). */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "model_builder.h"
#include "tb_check.h"

static const int64_t XD[2] = {4, 6};

/* x -> Relu -> a -> Reshape [6,4] -> b -> Unsqueeze -> b1 -> Flatten -> b2
 * (b2 = relu(x) as [1, 24]); temporaries: Neg(x) -> t1 -> Reshape [1,24] ->
 * t2 -> Sigmoid -> t3; y = b2 + t3; y2 = Reshape(a, [24]) (a graph output);
 * y3 = Reshape(x, [24]) (of a graph input). */
static tb_model *build(void)
{
    tb_model *m = tb_new(17);
    tb_input(m, "x", OBN_FLOAT, 2, XD);
    int64_t s64[2] = {6, 4}, s24[2] = {1, 24}, flat[1] = {24}, two[1] = {2}, one[1] = {1}, zero[1] = {0};
    tb_init_i64(m, "s64", 1, two, s64);
    tb_init_i64(m, "s24", 1, two, s24);
    tb_init_i64(m, "flat", 1, one, flat);
    tb_init_i64(m, "ax0", 1, one, zero);
    tb_node(m, "Relu", "relu", "x", "a");
    tb_node(m, "Reshape", "r1", "a,s64", "b");
    tb_node(m, "Reshape", "r3", "a,flat", "y2"); /* a's last reader: b's views must keep it */
    tb_node(m, "Neg", "neg", "x", "t1");
    tb_node(m, "Unsqueeze", "u", "b,ax0", "b1");
    tb_node(m, "Reshape", "r2", "t1,s24", "t2");
    tb_node(m, "Sigmoid", "sig", "t2", "t3");
    Onnx__NodeProto *f = tb_node(m, "Flatten", "fl", "b1", "b2");
    tb_attr_int(m, f, "axis", 1);
    tb_node(m, "Add", "add", "b2,t3", "y");
    tb_node(m, "Reshape", "r4", "x,flat", "y3");
    tb_output(m, "y", OBN_FLOAT, 2, s24);
    tb_output(m, "y2", OBN_FLOAT, 1, flat);
    tb_output(m, "y3", OBN_FLOAT, 1, flat);
    return m;
}

START_TEST(views_keep_their_buffer_live)
{
    tb_model *tm = build();
    obn_model *model = NULL;
    ck_assert_msg(tb_load(tm, &model) == OBN_OK, "load: %s", obn_last_error());
    for (int passes = 0; passes < 2; passes++)
        for (int rep = 0; rep < 2; rep++) {
            obn_tensor *x = tb_f32_random(2, XD, 11 + (uint64_t)rep, -2.0f, 2.0f), *out[3] = {NULL, NULL, NULL};
            ck_assert_msg(tb_run(model, 1 + rep, passes, 1, &x, 3, out) == OBN_OK, "run: %s", obn_last_error());
            const float *xv = obn_tensor_cdata(x), *y = obn_tensor_cdata(out[0]), *y2 = obn_tensor_cdata(out[1]),
                        *y3 = obn_tensor_cdata(out[2]);
            for (int i = 0; i < 24; i++) {
                double relu = xv[i] > 0 ? xv[i] : 0, want = relu + 1.0 / (1.0 + exp(xv[i]));
                ck_assert_msg(fabs(y[i] - want) <= 1e-6, "y[%d] = %g, expected %g", i, (double)y[i], want);
                ck_assert_msg(y2[i] == (float)relu, "y2[%d] = %g, expected %g", i, (double)y2[i], relu);
                ck_assert_msg(y3[i] == xv[i], "y3[%d] = %g, expected %g", i, (double)y3[i], (double)xv[i]);
            }
            obn_tensor_destroy(x);
            for (int k = 0; k < 3; k++) obn_tensor_destroy(out[k]);
        }
    obn_model_destroy(model);
    tb_free(tm);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("plan_views");
    TCase *t = tcase_create("plan_views");
    tcase_add_test(t, views_keep_their_buffer_live);
    suite_add_tcase(s, t);
    return tb_run_suite(s);
}
