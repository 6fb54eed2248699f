/* GELU fusion and Dropout/Identity removal: each case builds a model, runs
 * it without passes (the reference), optimises it, checks which nodes are
 * left, and compares the optimised model, and its save/load round trip,
 * with the reference (rtol 1e-5, atol 1e-6). The Erf-form GELU chain is
 * built in every operand order and in both multiplication orders PyTorch
 * could export; a constant that differs from the GELU constant, or an
 * intermediate read elsewhere, leaves the chain alone. */
#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model_builder.h"
#include "tb_check.h"

static const int64_t XD[3] = {2, 7, 19};

typedef struct {
    bool scale_by_mul;  /* Mul(x, 1/sqrt(2)) instead of Div(x, sqrt(2)) */
    bool half_first;    /* Mul(Mul(x, 0.5), a) instead of Mul(Mul(x, a), 0.5) */
    bool swap;          /* the other operand order in every Add and Mul */
    bool constant_node; /* constants from Constant nodes, not initializers */
    float sqrt2, one, half; /* the constants used (the exact ones fuse) */
    bool extra_reader;  /* Erf's output is also a graph output */
} gelu_case;

static void scalar(tb_model *m, const gelu_case *c, const char *name, float v)
{
    if (c->constant_node) {
        Onnx__NodeProto *cn = tb_node(m, "Constant", name, "", name);
        tb_attr_tensor(m, cn, "value", tb_tensor_f32(m, name, 0, NULL, &v));
    } else {
        tb_init_f32(m, name, 0, NULL, &v);
    }
}

static void binary(tb_model *m, const char *op, const char *name, const char *a, const char *b, bool swap,
                   const char *out)
{
    char in[64];
    snprintf(in, sizeof in, "%s,%s", swap ? b : a, swap ? a : b);
    tb_node(m, op, name, in, out);
}

/* x -> Relu (so x is produced by a node) -> GELU chain -> y */
static tb_model *build(const gelu_case *c)
{
    tb_model *m = tb_new(17);
    tb_input(m, "x0", OBN_FLOAT, 3, XD);
    tb_node(m, "Relu", "pre", "x0", "x");
    scalar(m, c, "c_scale", c->scale_by_mul ? 1.0f / c->sqrt2 : c->sqrt2);
    scalar(m, c, "c_one", c->one);
    scalar(m, c, "c_half", c->half);
    if (c->scale_by_mul) binary(m, "Mul", "scale", "x", "c_scale", c->swap, "d");
    else tb_node(m, "Div", "scale", "x,c_scale", "d");
    tb_node(m, "Erf", "erf", "d", "e");
    binary(m, "Add", "plus1", "e", "c_one", c->swap, "a");
    if (c->half_first) {
        binary(m, "Mul", "halve", "x", "c_half", c->swap, "h");
        binary(m, "Mul", "times", "h", "a", c->swap, "y");
    } else {
        binary(m, "Mul", "times", "x", "a", c->swap, "xa");
        binary(m, "Mul", "halve", "xa", "c_half", c->swap, "y");
    }
    tb_output(m, "y", OBN_FLOAT, 3, XD);
    if (c->extra_reader) tb_output(m, "e", OBN_FLOAT, 3, XD);
    return m;
}

/* Optimises m; the Gelu count after must be `gelu`, the Erf count
 * `erf`, and every output must match the unoptimised run (also after a
 * save/load round trip). */
static void check_model(tb_model *tm, size_t n_out, size_t gelu, size_t erf, const char *removed_op, size_t left)
{
    obn_model *model = NULL, *opt = NULL, *reloaded = NULL;
    ck_assert_msg(tb_load(tm, &model) == OBN_OK, "load: %s", obn_last_error());
    obn_tensor *x = tb_f32_random(3, XD, 7, -4.0f, 4.0f), *ref[2] = {NULL, NULL}, *got[2] = {NULL, NULL};
    ck_assert_msg(tb_run(model, 1, 0, 1, &x, n_out, ref) == OBN_OK, "reference run: %s", obn_last_error());
    ck_assert_msg(obn_model_optimize(model, NULL, &opt) == OBN_OK, "optimize: %s", obn_last_error());
    ck_assert_uint_eq(tb_count_op(opt, "Gelu"), gelu);
    ck_assert_uint_eq(tb_count_op(opt, "Erf"), erf);
    if (removed_op) ck_assert_uint_eq(tb_count_op(opt, removed_op), left);
    char path[] = "/tmp/obn_fuse_gelu_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_msg(obn_model_save(opt, path) == OBN_OK, "save: %s", obn_last_error());
    ck_assert_msg(obn_model_load(path, &reloaded) == OBN_OK, "reload: %s", obn_last_error());
    unlink(path);
    const obn_model *runs[2] = {opt, reloaded};
    for (int r = 0; r < 2; r++) {
        ck_assert_msg(tb_run(runs[r], 2, 1, 1, &x, n_out, got) == OBN_OK, "optimised run: %s", obn_last_error());
        for (size_t k = 0; k < n_out; k++) {
            ck_assert_msg(tb_allclose(got[k], ref[k], 1e-5, 1e-6), "output %zu differs (max %g)", k,
                          tb_max_abs_diff(got[k], ref[k]));
            obn_tensor_destroy(got[k]);
        }
    }
    for (size_t k = 0; k < n_out; k++) obn_tensor_destroy(ref[k]);
    obn_tensor_destroy(x);
    obn_model_destroy(model);
    obn_model_destroy(opt);
    obn_model_destroy(reloaded);
    tb_free(tm);
}

static const float SQRT2 = 1.41421356237309505f;

/* The 16 exact variants fuse into one Gelu. */
START_TEST(every_form_fuses)
{
    gelu_case c = {_i & 1, (_i >> 1) & 1, (_i >> 2) & 1, (_i >> 3) & 1, SQRT2, 1.0f, 0.5f, false};
    check_model(build(&c), 1, 1, 0, "Mul", 0);
}
END_TEST

/* A constant off by one float step, or an intermediate also read
 * elsewhere: the chain stays (and still computes the same). */
START_TEST(differing_constant_or_reader_keeps_chain)
{
    gelu_case c = {_i & 1, (_i >> 1) & 1, false, (_i >> 3) & 1, SQRT2, 1.0f, 0.5f, false};
    switch (_i % 4) {
    case 0: c.sqrt2 = nextafterf(SQRT2, 2.0f); break;
    case 1: c.one = nextafterf(1.0f, 2.0f); break;
    case 2: c.half = 0.25f; break;
    default: c.extra_reader = true; break;
    }
    check_model(build(&c), c.extra_reader ? 2 : 1, 0, 1, NULL, 0);
}
END_TEST

/* x -> Relu -> Dropout(ratio, training_mode) -> Identity -> Relu -> y:
 * Dropout with training off or ratio 0, and Identity, are removed; a
 * training Dropout with a nonzero ratio cannot run (not built), and one
 * whose mask is read stays. */
START_TEST(dropout_and_identity_removed)
{
    bool mask_read = _i == 2, train = _i >= 1;
    tb_model *m = tb_new(17);
    tb_input(m, "x0", OBN_FLOAT, 3, XD);
    tb_node(m, "Relu", "pre", "x0", "x");
    float ratio = _i == 0 ? 0.5f : 0.0f;
    uint8_t mode = train;
    tb_init_f32(m, "ratio", 0, NULL, &ratio);
    tb_add_init(m, tb_tensor(m, "mode", OBN_BOOL, 0, NULL, &mode, 1));
    tb_node(m, "Dropout", "drop", "x,ratio,mode", mask_read ? "d,mask" : "d");
    tb_node(m, "Identity", "id", "d", "i");
    tb_node(m, "Relu", "post", "i", "y");
    tb_output(m, "y", OBN_FLOAT, 3, XD);
    if (mask_read) tb_output(m, "mask", OBN_BOOL, 3, XD);
    obn_model *model = NULL, *opt = NULL;
    ck_assert_msg(tb_load(m, &model) == OBN_OK, "load: %s", obn_last_error());
    ck_assert_msg(obn_model_optimize(model, NULL, &opt) == OBN_OK, "optimize: %s", obn_last_error());
    ck_assert_uint_eq(tb_count_op(opt, "Dropout"), mask_read ? 1 : 0);
    ck_assert_uint_eq(tb_count_op(opt, "Identity"), 0);
    size_t n_out = mask_read ? 2 : 1;
    obn_tensor *x = tb_f32_random(3, XD, 3, -1.0f, 1.0f), *ref[2] = {NULL, NULL}, *got[2] = {NULL, NULL};
    ck_assert_msg(tb_run(model, 1, 0, 1, &x, n_out, ref) == OBN_OK, "reference: %s", obn_last_error());
    ck_assert_msg(tb_run(opt, 1, 1, 1, &x, n_out, got) == OBN_OK, "optimised: %s", obn_last_error());
    ck_assert(tb_allclose(got[0], ref[0], 0, 0));
    obn_tensor_destroy(x);
    for (size_t k = 0; k < n_out; k++) {
        obn_tensor_destroy(ref[k]);
        obn_tensor_destroy(got[k]);
    }
    obn_model_destroy(model);
    obn_model_destroy(opt);
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fuse_gelu");
    TCase *t = tcase_create("fuse_gelu");
    tcase_set_timeout(t, 60);
    tcase_add_loop_test(t, every_form_fuses, 0, 16);
    tcase_add_loop_test(t, differing_constant_or_reader_keeps_chain, 0, 16);
    tcase_add_loop_test(t, dropout_and_identity_removed, 0, 3);
    suite_add_tcase(s, t);
    return tb_run_suite(s);
}
