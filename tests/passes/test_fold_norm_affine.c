/* Per-channel Mul/Add folding into InstanceNormalization and
 * GroupNormalization-21: every fold case builds the model, runs it without
 * passes (the reference), optimises it, checks that no Mul/Add is left and
 * that the optimised model (and its save/load round trip) matches the
 * reference within rtol 1e-5, atol 1e-6 (float; double 1e-12). Refusals
 * leave the Mul/Add in place, log why, and still match. The written file of
 * an opset <= 17 model passes onnx.checker (python3-onnx 1.12 knows no
 * later opsets). */
#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model_builder.h"
#include "tb_check.h"

#define RTOL 1e-5
#define ATOL 1e-6

enum { C = 4 };

typedef struct {
    const char *norm;  /* "InstanceNormalization" or "GroupNormalization" */
    int opset;         /* the model's; the norm resolves to its version there */
    int rank;          /* of X: [2, C, 3, 5, 2][:rank] */
    const char *chain; /* the nodes after the norm: 'M' Mul, 'A' Add */
    int op_rank;       /* the constant operand's shape: op_dims[:op_rank] */
    int64_t op_dims[5];
    bool operand_first;  /* Mul(m, y) instead of Mul(y, m) */
    bool constant_node;  /* operand from a Constant node instead of an initializer */
    int dtype;           /* OBN_FLOAT or OBN_DOUBLE */
} nf_case;

static uint64_t seed = 1;

/* Values of dtype dt in [lo, hi) as raw bytes (caller frees). */
static void *random_data(int dt, int64_t n, float lo, float hi)
{
    obn_tensor *t = tb_f32_random(1, &n, seed++, lo, hi);
    const float *f = obn_tensor_cdata(t);
    void *p = malloc((size_t)n * 8 + 1);
    for (int64_t i = 0; i < n; i++) {
        if (dt == OBN_DOUBLE) ((double *)p)[i] = f[i];
        else ((float *)p)[i] = f[i];
    }
    obn_tensor_destroy(t);
    return p;
}

static void add_random_init(tb_model *m, const char *name, int dt, int rank, const int64_t *dims, float lo, float hi)
{
    int64_t n = 1;
    for (int d = 0; d < rank; d++) n *= dims[d];
    void *p = random_data(dt, n, lo, hi);
    tb_add_init(m, tb_tensor(m, name, dt, rank, dims, p, (size_t)n * obn_dtype_size((obn_dtype)dt)));
    free(p);
}

static const int64_t XD[5] = {2, C, 3, 5, 2};

/* x -> norm 'norm1' -> chain ('op1', 'op2', ...) -> y */
static tb_model *build(const nf_case *c)
{
    tb_model *m = tb_new(c->opset);
    int dt = c->dtype ? c->dtype : OBN_FLOAT;
    int64_t cd[1] = {c->norm[0] == 'G' && c->opset < 21 ? 2 : C}; /* GroupNormalization-18: per group */
    tb_input(m, "x", dt, c->rank, XD);
    add_random_init(m, "norm1.scale", dt, 1, cd, 0.5f, 1.5f);
    add_random_init(m, "norm1.bias", dt, 1, cd, -1.0f, 1.0f);
    Onnx__NodeProto *n = tb_node(m, c->norm, "norm1", "x,norm1.scale,norm1.bias", "t0");
    if (c->norm[0] == 'G') tb_attr_int(m, n, "num_groups", 2);
    size_t len = strlen(c->chain);
    for (size_t k = 0; k < len; k++) {
        char op_name[32], operand[32], in[32], out[32], inputs[72];
        snprintf(op_name, sizeof op_name, "op%zu", k + 1);
        snprintf(operand, sizeof operand, "k%zu", k + 1);
        snprintf(in, sizeof in, "t%zu", k);
        snprintf(out, sizeof out, k + 1 == len ? "y" : "t%zu", k + 1);
        if (c->constant_node) {
            int64_t n_el = 1;
            for (int d = 0; d < c->op_rank; d++) n_el *= c->op_dims[d];
            void *p = random_data(dt, n_el, 0.5f, 2.0f);
            Onnx__NodeProto *cn = tb_node(m, "Constant", operand, "", operand);
            tb_attr_tensor(m, cn, "value", tb_tensor(m, operand, dt, c->op_rank, c->op_dims, p,
                                                     (size_t)n_el * obn_dtype_size((obn_dtype)dt)));
            free(p);
        } else {
            add_random_init(m, operand, dt, c->op_rank, c->op_dims, 0.5f, 2.0f);
        }
        if (c->operand_first) snprintf(inputs, sizeof inputs, "%s,%s", operand, in);
        else snprintf(inputs, sizeof inputs, "%s,%s", in, operand);
        Onnx__NodeProto *op = tb_node(m, c->chain[k] == 'M' ? "Mul" : "Add", op_name, inputs, out);
        if (c->opset < 7) { /* legacy broadcasting: the operand along axis 1 */
            tb_attr_int(m, op, "broadcast", 1);
            tb_attr_int(m, op, "axis", 1);
        }
    }
    tb_output(m, "y", dt, c->op_rank > c->rank ? -1 : c->rank, XD);
    return m;
}

static void expect_log(const obn_model *m, const char *needle)
{
    for (size_t i = 0; i < obn_model_pass_log_count(m); i++)
        if (strstr(obn_model_pass_log(m, i), needle)) return;
    for (size_t i = 0; i < obn_model_pass_log_count(m); i++) fprintf(stderr, "  log: %s\n", obn_model_pass_log(m, i));
    ck_abort_msg("pass log lacks '%s'", needle);
}

/* Random input of the case's dtype. */
static obn_tensor *input_for(const nf_case *c)
{
    int dt = c->dtype ? c->dtype : OBN_FLOAT;
    int64_t n = 1;
    for (int d = 0; d < c->rank; d++) n *= XD[d];
    void *p = random_data(dt, n, -3.0f, 3.0f);
    obn_tensor *t = NULL;
    ck_assert_int_eq(obn_tensor_create((obn_dtype)dt, (size_t)c->rank, XD, p, &t), OBN_OK);
    free(p);
    return t;
}

/* |got - want| <= atol + rtol*|want| element-wise, float or double. */
static void expect_close(const obn_tensor *got, const obn_tensor *want, int dt, const char *what)
{
    double rtol = dt == OBN_DOUBLE ? 1e-12 : RTOL, atol = dt == OBN_DOUBLE ? 1e-12 : ATOL;
    ck_assert_int_eq(obn_tensor_dtype(got), obn_tensor_dtype(want));
    ck_assert_int_eq(obn_tensor_numel(got), obn_tensor_numel(want));
    ck_assert_int_eq(obn_tensor_rank(got), obn_tensor_rank(want));
    for (int64_t i = 0; i < obn_tensor_numel(want); i++) {
        double g = dt == OBN_DOUBLE ? ((const double *)obn_tensor_cdata(got))[i] : ((const float *)obn_tensor_cdata(got))[i];
        double w = dt == OBN_DOUBLE ? ((const double *)obn_tensor_cdata(want))[i]
                                    : ((const float *)obn_tensor_cdata(want))[i];
        ck_assert_msg(fabs(g - w) <= atol + rtol * fabs(w), "%s differs from the unfolded graph at %lld: %.17g vs %.17g",
                      what, (long long)i, g, w);
    }
}

/* Optimises the case; folded: every Mul/Add is gone, else all stay. The
 * optimised model and its saved copy must reproduce the reference. Returns
 * the path of the saved file when keep_file (caller unlinks and frees). */
static char *check_case(const nf_case *c, bool folded, const char *log_needle, bool keep_file)
{
    int dt = c->dtype ? c->dtype : OBN_FLOAT;
    tb_model *tm = build(c);
    obn_model *model = NULL, *opt = NULL, *reloaded = NULL;
    ck_assert_msg(tb_load(tm, &model) == OBN_OK, "load: %s", obn_last_error());
    obn_tensor *x = input_for(c), *ref = NULL, *got = NULL, *got2 = NULL;
    ck_assert_msg(tb_run(model, 2, 0, 1, &x, 1, &ref) == OBN_OK, "reference run: %s", obn_last_error());
    ck_assert_msg(obn_model_optimize(model, NULL, &opt) == OBN_OK, "optimize: %s", obn_last_error());
    if (log_needle) expect_log(opt, log_needle);
    size_t before = tb_count_op(model, "Mul") + tb_count_op(model, "Add"), after = tb_count_op(opt, "Mul") + tb_count_op(opt, "Add");
    if (folded) ck_assert_msg(after == 0, "%s opset %d '%s': %zu Mul/Add left", c->norm, c->opset, c->chain, after);
    else ck_assert_msg(after == before, "Mul/Add count changed %zu -> %zu", before, after);
    ck_assert_int_eq(tb_count_op(opt, c->norm), 1);
    ck_assert_msg(tb_run(opt, 2, 0, 1, &x, 1, &got) == OBN_OK, "optimised run: %s", obn_last_error());
    expect_close(got, ref, dt, "optimised output");
    char *path = strdup("/tmp/obn_fold_norm_XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_msg(obn_model_save(opt, path) == OBN_OK, "save: %s", obn_last_error());
    ck_assert_msg(obn_model_load(path, &reloaded) == OBN_OK, "reload: %s", obn_last_error());
    ck_assert_msg(tb_run(reloaded, 1, 0, 1, &x, 1, &got2) == OBN_OK, "reloaded run: %s", obn_last_error());
    expect_close(got2, ref, dt, "reloaded output");
    ck_assert_int_eq(tb_count_op(reloaded, "Mul") + tb_count_op(reloaded, "Add"), after);
    obn_tensor_destroy(x);
    obn_tensor_destroy(ref);
    obn_tensor_destroy(got);
    obn_tensor_destroy(got2);
    obn_model_destroy(model);
    obn_model_destroy(opt);
    obn_model_destroy(reloaded);
    tb_free(tm);
    if (keep_file) return path;
    unlink(path);
    free(path);
    return NULL;
}

/* Every norm version, with numpy (>= 7) and legacy (< 7) broadcasting. */
START_TEST(every_version)
{
    static const struct {
        const char *norm;
        int opset;
    } v[] = {{"InstanceNormalization", 1}, {"InstanceNormalization", 6}, {"InstanceNormalization", 13},
             {"InstanceNormalization", 22}, {"GroupNormalization", 21}};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        nf_case c = {v[i].norm, v[i].opset, 4, "MA", 3, {C, 1, 1}, false, false, 0};
        if (v[i].opset < 7) { /* [C] along axis 1 */
            c.op_rank = 1;
            c.op_dims[0] = C;
        }
        char needle[96];
        snprintf(needle, sizeof needle, "folded Mul 'op1' into %s 'norm1'", v[i].norm);
        check_case(&c, true, needle, false);
        c.chain = "AM";
        check_case(&c, true, "folded Add 'op1'", false);
    }
}
END_TEST

START_TEST(operand_shapes_and_forms)
{
    nf_case c = {"InstanceNormalization", 17, 4, "MAM", 4, {1, C, 1, 1}, false, false, 0};
    check_case(&c, true, NULL, false);
    c.op_rank = 0; /* a scalar */
    check_case(&c, true, NULL, false);
    c.op_rank = 1; /* [1]: one value */
    c.op_dims[0] = 1;
    check_case(&c, true, NULL, false);
    c = (nf_case){"InstanceNormalization", 17, 2, "AM", 1, {C}, false, false, 0}; /* rank 2: [C] is channel-wise */
    check_case(&c, true, NULL, false);
    c = (nf_case){"GroupNormalization", 21, 5, "MA", 4, {C, 1, 1, 1}, true, true, 0}; /* Mul(k, y), Constant */
    check_case(&c, true, NULL, false);
    c = (nf_case){"InstanceNormalization", 17, 3, "MA", 2, {C, 1}, false, false, OBN_DOUBLE};
    check_case(&c, true, NULL, false);
}
END_TEST

/* The pass leaves these alone and says why. */
START_TEST(refusals)
{
    nf_case c = {"InstanceNormalization", 17, 4, "M", 4, {1, 1, 1, 5}, false, false, 0}; /* per W, not per C */
    check_case(&c, false, "kept Mul 'op1' after InstanceNormalization 'norm1': its constant 'k1' has shape [1,1,1,5]",
               false);
    c.op_rank = 3; /* [C, 3, 5]: per element */
    c.op_dims[0] = C, c.op_dims[1] = 3, c.op_dims[2] = 5;
    check_case(&c, false, "not one value per channel", false);
    c = (nf_case){"InstanceNormalization", 17, 3, "A", 4, {1, 1, 1, 1}, false, false, 0}; /* would raise the rank */
    check_case(&c, false, "rank-3 output", false);
    c = (nf_case){"GroupNormalization", 18, 4, "M", 3, {C, 1, 1}, false, false, 0};
    check_case(&c, false, "GroupNormalization-18 has one scale and bias per group", false);
    c = (nf_case){"InstanceNormalization", 6, 4, "M", 1, {C}, false, false, 0};
    check_case(&c, true, NULL, false); /* broadcast=1 axis=1: folds */
}
END_TEST

static obn_model *optimised(tb_model *tm)
{
    obn_model *model = NULL, *opt = NULL;
    ck_assert_msg(tb_load(tm, &model) == OBN_OK, "load: %s", obn_last_error());
    ck_assert_msg(obn_model_optimize(model, NULL, &opt) == OBN_OK, "optimize: %s", obn_last_error());
    obn_model_destroy(model);
    return opt;
}

/* A constant of C (or 1) values all equal to 1, as float or float16. */
static void ones_init(tb_model *m, const char *name, int dt, int rank, const int64_t *dims)
{
    const float f[C] = {1, 1, 1, 1};
    const uint16_t h[C] = {0x3c00, 0x3c00, 0x3c00, 0x3c00}; /* float16 1.0 */
    tb_add_init(m, tb_tensor(m, name, dt, rank, dims, dt == OBN_FLOAT16 ? (const void *)h : (const void *)f,
                             C * obn_dtype_size((obn_dtype)dt)));
}

/* Graph shapes the builder does not make: two consumers, the norm output as
 * a graph output, a non-constant operand, a non-constant scale, float16. */
START_TEST(refusals_graph)
{
    static const char *const why[] = {"'t0' of InstanceNormalization 'norm1' has 2 consumers",
                                      "'t0' of InstanceNormalization 'norm1' is a graph output",
                                      "its other input 'k1' is not constant",
                                      "its scale or bias ('norm1.scale', 'norm1.bias') is not constant",
                                      "folding handles float and double"};
    const int64_t cd[1] = {C}, od[3] = {C, 1, 1};
    for (int k = 0; k < 5; k++) {
        tb_model *m = tb_new(17);
        int dt = k == 4 ? OBN_FLOAT16 : OBN_FLOAT;
        tb_input(m, "x", dt, 4, XD);
        if (k == 2) tb_input(m, "k1", dt, 3, od);
        else ones_init(m, "k1", dt, 3, od);
        if (k == 3) tb_input(m, "norm1.scale", dt, 1, cd);
        else ones_init(m, "norm1.scale", dt, 1, cd);
        ones_init(m, "norm1.bias", dt, 1, cd);
        tb_node(m, "InstanceNormalization", "norm1", "x,norm1.scale,norm1.bias", "t0");
        tb_node(m, "Mul", "op1", "t0,k1", "y");
        tb_output(m, "y", dt, -1, NULL);
        if (k == 0) {
            tb_node(m, "Relu", "relu1", "t0", "z");
            tb_output(m, "z", dt, -1, NULL);
        }
        if (k == 1) tb_output(m, "t0", dt, -1, NULL);
        obn_model *opt = optimised(m);
        expect_log(opt, why[k]);
        ck_assert_int_eq(tb_count_op(opt, "Mul"), 1);
        obn_model_destroy(opt);
        tb_free(m);
    }
}
END_TEST

/* The file `onnxbn optimize` would write for a folded model is valid ONNX
 * (onnx.checker.check_model with full_check) and holds no Mul/Add. */
START_TEST(saved_model_passes_onnx_checker)
{
    if (system("/usr/bin/python3 -c 'import onnx' 2>/dev/null") != 0) {
        fprintf(stderr, "saved_model_passes_onnx_checker: python3-onnx not importable, checker step skipped\n");
        return;
    }
    const int opsets[2] = {6, 17};
    for (int i = 0; i < 2; i++) {
        nf_case c = {"InstanceNormalization", opsets[i], 4, "MA", 3, {C, 1, 1}, false, false, 0};
        if (opsets[i] < 7) {
            c.op_rank = 1;
            c.op_dims[0] = C;
        }
        char *path = check_case(&c, true, NULL, true);
        char cmd[512];
        snprintf(cmd, sizeof cmd,
                 "/usr/bin/python3 -c \"import onnx, sys; m = onnx.load(sys.argv[1]); "
                 "onnx.checker.check_model(m, full_check=True); "
                 "sys.exit(any(n.op_type in ('Mul', 'Add') for n in m.graph.node))\" %s",
                 path);
        int rc = system(cmd);
        unlink(path);
        free(path);
        ck_assert_msg(rc == 0, "onnx.checker rejected the optimised opset-%d model (exit %d)", opsets[i], rc);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fold_norm_affine");
    TCase *t = tcase_create("fold_norm_affine");
    tcase_add_test(t, every_version);
    tcase_add_test(t, operand_shapes_and_forms);
    tcase_add_test(t, refusals);
    tcase_add_test(t, refusals_graph);
    tcase_add_test(t, saved_model_passes_onnx_checker);
    suite_add_tcase(s, t);
    return tb_run_suite(s);
}
