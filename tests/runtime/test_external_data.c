/* External tensor data (data_location=EXTERNAL; keys location, offset,
 * length; paths relative to the model's folder): a valid model with its
 * weights in a side file loads and computes the right values; every way of
 * pointing outside the folder or past the data is refused with a message
 * naming the tensor and the file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tb_check.h"

static const int64_t XD[4] = {1, 3, 1, 2};
static const int64_t C3[1] = {3};
static const char *const PARAMS[4] = {"scale", "bias", "mean", "var"};
static const float VALUES[4][3] = {{1, 2, 3}, {0, 0.5f, -0.5f}, {0.1f, 0.2f, 0.3f}, {1, 2, 0.5f}};

typedef struct {
    char *dir;   /* temp folder holding model.onnx and the data files */
    char *model; /* dir/model.onnx */
} fixture;

static fixture setup(void)
{
    fixture f;
    f.dir = tb_tmpdir();
    f.model = tb_path(f.dir, "model.onnx");
    return f;
}

static void teardown(fixture *f)
{
    tb_rmtree(f->dir);
    free(f->dir);
    free(f->model);
}

/* Writes the four BN parameters to dir/name, 16 bytes apart (12 used), after
 * `lead` bytes of padding. */
static void write_weights(const char *dir, const char *name, size_t lead)
{
    unsigned char buf[128] = {0};
    for (int p = 0; p < 4; p++) memcpy(buf + lead + 16 * (size_t)p, VALUES[p], 12);
    char *path = tb_path(dir, name);
    tb_write_file(path, buf, lead + 64);
    free(path);
}

/* x -> BatchNormalization(params from external data) -> y. Each parameter p
 * is at offset lead + 16*p of `location`. */
static tb_model *external_model(const char *location, size_t lead)
{
    tb_model *m = tb_new(15);
    tb_input(m, "x", OBN_FLOAT, 4, XD);
    for (int p = 0; p < 4; p++) {
        Onnx__TensorProto *t = tb_add_init(m, tb_tensor_nodata(m, PARAMS[p], OBN_FLOAT, 1, C3));
        tb_set_external(m, t, location, (int64_t)(lead + 16 * (size_t)p), 12);
    }
    tb_node(m, "BatchNormalization", "bn", "x,scale,bias,mean,var", "y");
    tb_output(m, "y", OBN_FLOAT, 4, XD);
    return m;
}

/* Runs the model and checks y against the BN formula. */
static void check_runs(obn_model *model)
{
    float xv[6] = {-1, 2, 0.5f, 0, 3, -2};
    obn_tensor *x = tb_f32(4, XD, xv), *y = NULL;
    TB_EXPECT_OK(tb_run(model, 1, 0, 1, &x, 1, &y));
    const float *yv = obn_tensor_cdata(y);
    for (int i = 0; i < 6; i++) {
        int c = i / 2;
        double want = (xv[i] - VALUES[2][c]) / sqrt(VALUES[3][c] + 1e-5) * VALUES[0][c] + VALUES[1][c];
        ck_assert_msg(fabs(yv[i] - want) < 1e-5, "y[%d] = %g, expected %g", i, yv[i], want);
    }
    obn_tensor_destroy(x);
    obn_tensor_destroy(y);
}

/* Saves the model into the fixture folder and loads it from there. */
static obn_status load_saved(fixture *f, tb_model *m, obn_model **out)
{
    tb_save(m, f->model);
    return obn_model_load(f->model, out);
}

START_TEST(valid_external_data_from_a_file)
{
    fixture f = setup();
    write_weights(f.dir, "weights.bin", 5);
    tb_model *m = external_model("weights.bin", 5);
    obn_model *model = NULL;
    TB_EXPECT_OK(load_saved(&f, m, &model));
    obn_model_meta meta;
    obn_model_get_meta(model, &meta);
    ck_assert_uint_eq(meta.initializer_bytes, 48);
    check_runs(model);
    obn_model_destroy(model);
    /* the same bytes from memory with the folder as base_dir */
    TB_EXPECT_OK(tb_load_dir(m, f.dir, &model));
    check_runs(model);
    obn_model_destroy(model);
    tb_free(m);
    teardown(&f);
}
END_TEST

START_TEST(valid_variants)
{
    fixture f = setup();
    char *sub = tb_path(f.dir, "data");
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    write_weights(sub, "w.bin", 0);
    obn_model *model = NULL;

    /* a subfolder */
    tb_model *m = external_model("data/w.bin", 0);
    TB_EXPECT_OK(load_saved(&f, m, &model));
    check_runs(model);
    obn_model_destroy(model);
    tb_free(m);

    /* "./" prefix, and no offset/length keys for the first tensor (offset 0,
     * length = the tensor's size) */
    m = external_model("./data/w.bin", 0);
    Onnx__TensorProto *t = tb_proto(m)->graph->initializer[0];
    t->n_external_data = 1; /* only "location" */
    TB_EXPECT_OK(load_saved(&f, m, &model));
    check_runs(model);
    obn_model_destroy(model);
    tb_free(m);

    /* a symlink that stays inside the folder */
    char *link = tb_path(f.dir, "alias.bin"), *target = tb_path(sub, "w.bin");
    ck_assert_int_eq(symlink(target, link), 0);
    m = external_model("alias.bin", 0);
    TB_EXPECT_OK(load_saved(&f, m, &model));
    check_runs(model);
    obn_model_destroy(model);
    tb_free(m);

    /* loading through a relative model path (the folder is then ".") */
    char cwd[4096];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(f.dir), 0);
    m = external_model("alias.bin", 0);
    tb_save(m, "model.onnx");
    obn_status st = obn_model_load("model.onnx", &model);
    ck_assert_int_eq(chdir(cwd), 0);
    TB_EXPECT_OK(st);
    check_runs(model);
    obn_model_destroy(model);
    tb_free(m);

    free(link);
    free(target);
    free(sub);
    teardown(&f);
}
END_TEST

START_TEST(buffer_without_base_dir)
{
    tb_model *m = external_model("weights.bin", 0);
    obn_model *model = NULL;
    TB_EXPECT_ERR(tb_load(m, &model), OBN_E_INVALID_MODEL, "'scale'", "weights.bin", "without a base folder");
    ck_assert_ptr_null(model);
    tb_free(m);
}
END_TEST

START_TEST(absolute_location)
{
    fixture f = setup();
    write_weights(f.dir, "weights.bin", 0);
    char *abs = tb_path(f.dir, "weights.bin"); /* exists, and is even inside the folder */
    tb_model *m = external_model(abs, 0);
    obn_model *model = NULL;
    TB_EXPECT_ERR(load_saved(&f, m, &model), OBN_E_INVALID_MODEL, f.model, "'scale'", abs, "absolute");
    tb_free(m);
    m = external_model("\\weights.bin", 0);
    TB_EXPECT_ERR(load_saved(&f, m, &model), OBN_E_INVALID_MODEL, "'scale'", "absolute");
    tb_free(m);
    free(abs);
    teardown(&f);
}
END_TEST

START_TEST(dot_dot_location)
{
    static const char *const locs[] = {"../weights.bin", "data/../weights.bin", "..", "data/..\\weights.bin",
                                       "a/b/../../weights.bin"};
    fixture f = setup();
    write_weights(f.dir, "weights.bin", 0);
    for (size_t i = 0; i < sizeof locs / sizeof locs[0]; i++) {
        tb_model *m = external_model(locs[i], 0);
        obn_model *model = NULL;
        TB_EXPECT_ERR(load_saved(&f, m, &model), OBN_E_INVALID_MODEL, "'scale'", locs[i], "'..'");
        tb_free(m);
    }
    /* ".." inside a name is just a name */
    write_weights(f.dir, "w..bin", 0);
    tb_model *m = external_model("w..bin", 0);
    obn_model *model = NULL;
    TB_EXPECT_OK(load_saved(&f, m, &model));
    obn_model_destroy(model);
    tb_free(m);
    teardown(&f);
}
END_TEST

START_TEST(symlink_escaping_the_folder)
{
    fixture f = setup();
    char *outside = tb_tmpdir();
    write_weights(outside, "secret.bin", 0);
    char *target = tb_path(outside, "secret.bin"), *link = tb_path(f.dir, "weights.bin");
    ck_assert_int_eq(symlink(target, link), 0);
    tb_model *m = external_model("weights.bin", 0);
    obn_model *model = NULL;
    TB_EXPECT_ERR(load_saved(&f, m, &model), OBN_E_INVALID_MODEL, "'scale'", "weights.bin", "outside the model folder");
    tb_free(m);
    /* a symlinked directory */
    char *dirlink = tb_path(f.dir, "data");
    ck_assert_int_eq(symlink(outside, dirlink), 0);
    m = external_model("data/secret.bin", 0);
    TB_EXPECT_ERR(load_saved(&f, m, &model), OBN_E_INVALID_MODEL, "'scale'", "outside the model folder");
    tb_free(m);
    tb_rmtree(outside);
    free(outside);
    free(target);
    free(link);
    free(dirlink);
    teardown(&f);
}
END_TEST

START_TEST(past_the_end_of_the_file)
{
    fixture f = setup();
    write_weights(f.dir, "weights.bin", 0); /* 64 bytes */
    tb_model *m = external_model("weights.bin", 0);
    tb_set_external(m, tb_proto(m)->graph->initializer[3], NULL, -1, -1);
    /* var: offset 60 + 12 > 64 */
    Onnx__TensorProto *var = tb_proto(m)->graph->initializer[3];
    var->external_data[1]->value = tb_str(m, "60");
    obn_model *model = NULL;
    TB_EXPECT_ERR(load_saved(&f, m, &model), OBN_E_INVALID_MODEL, "'var'", "offset 60", "length 12", "past the end",
                  "weights.bin", "64 bytes");
    var->external_data[1]->value = tb_str(m, "1000");
    TB_EXPECT_ERR(load_saved(&f, m, &model), OBN_E_INVALID_MODEL, "'var'", "offset 1000", "past the end");
    var->external_data[1]->value = tb_str(m, "18446744073709551615"); /* offset + length wraps */
    TB_EXPECT_ERR(load_saved(&f, m, &model), OBN_E_INVALID_MODEL, "'var'", "past the end");
    tb_free(m);

    /* a huge declared shape with no length key: refused, not allocated */
    m = external_model("weights.bin", 0);
    Onnx__TensorProto *t = tb_proto(m)->graph->initializer[0];
    t->dims[0] = (int64_t)1 << 38;
    t->n_external_data = 2; /* location, offset */
    TB_EXPECT_ERR(load_saved(&f, m, &model), OBN_E_INVALID_MODEL, "'scale'", "1099511627776", "past the end");
    tb_free(m);
    teardown(&f);
}
END_TEST

START_TEST(length_mismatch_and_bad_numbers)
{
    fixture f = setup();
    write_weights(f.dir, "weights.bin", 0);
    tb_model *m = external_model("weights.bin", 0);
    Onnx__TensorProto *t = tb_proto(m)->graph->initializer[1];
    t->external_data[2]->value = tb_str(m, "8");
    obn_model *model = NULL;
    TB_EXPECT_ERR(load_saved(&f, m, &model), OBN_E_INVALID_MODEL, "'bias'", "length 8", "3 elements", "12 bytes");
    static const char *const bad[] = {"abc", "-4", "1e3", "", "12 ", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t->external_data[2]->value = tb_str(m, "12");
        t->external_data[1]->value = tb_str(m, bad[i]);
        TB_EXPECT_ERR(load_saved(&f, m, &model), OBN_E_INVALID_MODEL, "'bias'", "'offset'");
        t->external_data[1]->value = tb_str(m, "16");
        t->external_data[2]->value = tb_str(m, bad[i]);
        TB_EXPECT_ERR(load_saved(&f, m, &model), OBN_E_INVALID_MODEL, "'bias'", "'length'");
    }
    tb_free(m);
    teardown(&f);
}
END_TEST

START_TEST(missing_file_or_location)
{
    fixture f = setup();
    tb_model *m = external_model("missing.bin", 0);
    obn_model *model = NULL;
    TB_EXPECT_ERR(load_saved(&f, m, &model), OBN_E_IO, f.model, "'scale'", "missing.bin", "cannot open");
    tb_free(m);

    m = external_model(NULL, 0); /* offset and length but no location */
    TB_EXPECT_ERR(load_saved(&f, m, &model), OBN_E_INVALID_MODEL, "'scale'", "no 'location'");
    tb_free(m);

    m = external_model("", 0);
    TB_EXPECT_ERR(load_saved(&f, m, &model), OBN_E_INVALID_MODEL, "'scale'", "no 'location'");
    tb_free(m);
    teardown(&f);
}
END_TEST

START_TEST(not_a_regular_file)
{
    fixture f = setup();
    char *sub = tb_path(f.dir, "data"), *fifo = tb_path(f.dir, "pipe.bin");
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    tb_model *m = external_model("data", 0);
    obn_model *model = NULL;
    TB_EXPECT_ERR(load_saved(&f, m, &model), OBN_E_IO, "'scale'", "not a regular file");
    tb_free(m);
    /* a FIFO with no writer: opening it for reading must not block */
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    m = external_model("pipe.bin", 0);
    TB_EXPECT_ERR(load_saved(&f, m, &model), OBN_E_IO, "'scale'", "pipe.bin", "not a regular file");
    tb_free(m);
    free(sub);
    free(fifo);
    teardown(&f);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("external_data");
    TCase *t = tcase_create("external_data");
    tcase_add_test(t, valid_external_data_from_a_file);
    tcase_add_test(t, valid_variants);
    tcase_add_test(t, buffer_without_base_dir);
    tcase_add_test(t, absolute_location);
    tcase_add_test(t, dot_dot_location);
    tcase_add_test(t, symlink_escaping_the_folder);
    tcase_add_test(t, past_the_end_of_the_file);
    tcase_add_test(t, length_mismatch_and_bad_numbers);
    tcase_add_test(t, missing_file_or_location);
    tcase_add_test(t, not_a_regular_file);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
