/* MatMul bias fusion (src/passes/fuse_bias.c): each case builds
 * x -> Relu -> MatMul(., W) -> Add(., b) -> y, runs it with passes off (the
 * reference), optimises it, checks which nodes are left, and compares the
 * optimised run, and its save/load round trip (which writes the Add back),
 * with the reference. A fused bias is the same single float addition as the
 * Add, on the same GEMM sums: the outputs must be bitwise equal (tolerance
 * 0). Shapes: 2-D, 3-D and 4-D activations, N = 23 and 70 (a partial last
 * column panel of every kernel), both Add operand orders, 1 and 2 threads.
 * A bias that is not a 1-D initializer of length N, a B that is not
 * constant, or a MatMul output also read elsewhere leaves the Add alone. */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model_builder.h"
#include "tb_check.h"

typedef enum { FUSES, BIAS_RANK2, BIAS_SCALAR, B_INPUT, MID_OUTPUT, BIAS_CONSTANT_NODE } bias_case;

static float *random_floats(int64_t n, uint64_t seed)
{
    float *p = malloc((size_t)n * sizeof *p);
    for (int64_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        p[i] = (float)((seed >> 40) & 0xffff) / 32768.0f - 1.0f;
    }
    return p;
}

static void check(bias_case bc, int rank, int64_t n, bool bias_first, int threads)
{
    static const int64_t lead[3] = {2, 3, 5};
    const int64_t k = 19;
    int64_t xd[4], yd[4];
    for (int d = 0; d < rank - 1; d++) xd[d] = yd[d] = lead[d + 4 - rank]; /* the last rank - 1 of lead */
    xd[rank - 1] = k;
    yd[rank - 1] = n;
    int64_t wd[2] = {k, n}, bd[2] = {1, n};
    float *w = random_floats(k * n, 11), *b = random_floats(n, 12);
    tb_model *m = tb_new(17);
    tb_input(m, "x0", OBN_FLOAT, rank, xd);
    if (bc == B_INPUT) tb_input(m, "w", OBN_FLOAT, 2, wd);
    else tb_init_f32(m, "w", 2, wd, w);
    if (bc == BIAS_CONSTANT_NODE) {
        Onnx__NodeProto *cn = tb_node(m, "Constant", "bias_const", "", "b");
        tb_attr_tensor(m, cn, "value", tb_tensor_f32(m, "b", 1, &n, b));
    } else if (bc == BIAS_RANK2) {
        tb_init_f32(m, "b", 2, bd, b);
    } else {
        tb_init_f32(m, "b", bc == BIAS_SCALAR ? 0 : 1, &n, b);
    }
    tb_node(m, "Relu", "pre", "x0", "x");
    tb_node(m, "MatMul", "mm", "x,w", "xw");
    tb_node(m, "Add", "bias_add", bias_first ? "b,xw" : "xw,b", "y");
    tb_output(m, "y", OBN_FLOAT, rank, yd);
    if (bc == MID_OUTPUT) tb_output(m, "xw", OBN_FLOAT, rank, yd);
    size_t n_out = bc == MID_OUTPUT ? 2 : 1, n_in = bc == B_INPUT ? 2 : 1;
    bool fuses = bc == FUSES;

    obn_model *model = NULL, *opt = NULL, *reloaded = NULL;
    ck_assert_msg(tb_load(m, &model) == OBN_OK, "load: %s", obn_last_error());
    obn_tensor *in[2] = {tb_f32_random((size_t)rank, xd, 7, -2.0f, 2.0f), tb_f32(2, wd, w)};
    obn_tensor *ref[2] = {NULL, NULL}, *got[2] = {NULL, NULL};
    ck_assert_msg(tb_run(model, threads, 0, n_in, in, n_out, ref) == OBN_OK, "reference: %s", obn_last_error());
    ck_assert_msg(obn_model_optimize(model, NULL, &opt) == OBN_OK, "optimize: %s", obn_last_error());
    ck_assert_uint_eq(tb_count_op(opt, "MatMul"), 1);
    ck_assert_uint_eq(tb_count_op(opt, "Add"), fuses ? 0 : 1);
    char path[] = "/tmp/obn_fuse_bias_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_msg(obn_model_save(opt, path) == OBN_OK, "save: %s", obn_last_error());
    ck_assert_msg(obn_model_load(path, &reloaded) == OBN_OK, "reload: %s", obn_last_error());
    unlink(path);
    ck_assert_uint_eq(tb_count_op(reloaded, "Add"), 1); /* written back as the standard node */
    const obn_model *runs[2] = {opt, reloaded};
    for (int r = 0; r < 2; r++) {
        ck_assert_msg(tb_run(runs[r], threads, 1, n_in, in, n_out, got) == OBN_OK, "optimised run: %s",
                      obn_last_error());
        for (size_t o = 0; o < n_out; o++) {
            ck_assert_msg(tb_allclose(got[o], ref[o], 0, 0), "case %d rank %d n %lld: output %zu differs (max %g)",
                          (int)bc, rank, (long long)n, o, tb_max_abs_diff(got[o], ref[o]));
            obn_tensor_destroy(got[o]);
        }
    }
    for (size_t o = 0; o < n_out; o++) obn_tensor_destroy(ref[o]);
    obn_tensor_destroy(in[0]);
    obn_tensor_destroy(in[1]);
    obn_model_destroy(model);
    obn_model_destroy(opt);
    obn_model_destroy(reloaded);
    tb_free(m);
    free(w);
    free(b);
}

START_TEST(bias_fuses)
{
    check(FUSES, 2 + _i % 3, _i & 4 ? 70 : 23, _i & 8, 1 + (_i >> 4));
}
END_TEST

START_TEST(other_adds_stay)
{
    static const bias_case cases[] = {BIAS_RANK2, BIAS_SCALAR, B_INPUT, MID_OUTPUT, BIAS_CONSTANT_NODE};
    check(cases[_i % 5], 3, 23, _i >= 5, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fuse_bias");
    TCase *t = tcase_create("fuse_bias");
    tcase_set_timeout(t, 60);
    tcase_add_loop_test(t, bias_fuses, 0, 32);
    tcase_add_loop_test(t, other_adds_stay, 0, 10);
    suite_add_tcase(s, t);
    return tb_run_suite(s);
}
