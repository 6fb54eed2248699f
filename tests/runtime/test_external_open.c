/* External data opened the safe way (src/runtime/external_data.c), tested
 * white-box: a path component swapped for a symlink to another folder
 * between the check and open() -- what an attacker sharing the model
 * folder would race to do -- is caught on the file actually opened; large
 * aligned tensors are memory-mapped, others copied, with the same values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "external_data.h"
#include "ir.h"
#include "model.h"
#include "tb_check.h"

/* The folders of one test: dir (the model and dir/data/w.bin) and outside
 * (outside/w.bin, other values). */
static char *dir, *outside;

static void path_of(char *buf, size_t cap, const char *base, const char *name)
{
    int n = snprintf(buf, cap, "%s/%s", base, name);
    ck_assert(n > 0 && (size_t)n < cap);
}

/* n floats v0, v0+1, ... at `offset` of file base/name. */
static void write_floats(const char *base, const char *name, size_t offset, size_t n, float v0)
{
    size_t bytes = offset + n * sizeof(float);
    unsigned char *buf = calloc(1, bytes);
    for (size_t i = 0; i < n; i++) {
        float v = v0 + (float)i;
        memcpy(buf + offset + i * sizeof v, &v, sizeof v);
    }
    char path[4096];
    path_of(path, sizeof path, base, name);
    tb_write_file(path, buf, bytes);
    ck_assert_int_eq(chmod(path, 0644), 0); /* whatever the umask: only we write it */
    free(buf);
}

/* w [n] float from dir/<location> at `offset` -> Identity -> y. */
static obn_status load_model(const char *location, size_t offset, int64_t n, obn_model **out)
{
    tb_model *m = tb_new(13);
    Onnx__TensorProto *t = tb_add_init(m, tb_tensor_nodata(m, "w", OBN_FLOAT, 1, &n));
    tb_set_external(m, t, location, (int64_t)offset, n * 4);
    tb_node(m, "Identity", "id", "w", "y");
    tb_output(m, "y", OBN_FLOAT, 1, &n);
    char path[4096];
    path_of(path, sizeof path, dir, "model.onnx");
    tb_save(m, path);
    tb_free(m);
    return obn_model_load(path, out);
}

static void setup(void)
{
    dir = tb_tmpdir();
    outside = tb_tmpdir();
    char sub[4096];
    path_of(sub, sizeof sub, dir, "data");
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    write_floats(sub, "w.bin", 0, 4, 1.0f);
    write_floats(outside, "w.bin", 0, 4, 100.0f);
}

static void teardown(void)
{
    tb_rmtree(dir);
    tb_rmtree(outside);
    free(dir);
    free(outside);
    obn_external_race_hook = NULL;
}

/* dir/data becomes a symlink to `outside` (the real folder kept aside as
 * data.real), and back. */
static void swap_in(void)
{
    char data[4096], aside[4096];
    path_of(data, sizeof data, dir, "data");
    path_of(aside, sizeof aside, dir, "data.real");
    ck_assert_int_eq(rename(data, aside), 0);
    ck_assert_int_eq(symlink(outside, data), 0);
}
static void swap_back(void)
{
    char data[4096], aside[4096];
    path_of(data, sizeof data, dir, "data");
    path_of(aside, sizeof aside, dir, "data.real");
    ck_assert_int_eq(unlink(data), 0);
    ck_assert_int_eq(rename(aside, data), 0);
}

static void hook_swap_before_open(int stage)
{
    if (stage == 0) swap_in();
}
static void hook_swap_around_open(int stage)
{
    if (stage == 0) swap_in();
    else swap_back();
}

START_TEST(symlink_swapped_in_before_open)
{
    setup();
    obn_model *m = NULL;
    obn_external_race_hook = hook_swap_before_open;
    TB_EXPECT_ERR(load_model("data/w.bin", 0, 4, &m), OBN_E_INVALID_MODEL, "'w'", "data/w.bin",
                  "outside the model folder");
    ck_assert_ptr_null(m);
    teardown();
}
END_TEST

START_TEST(symlink_swapped_in_and_back_around_open)
{
    /* open() followed the symlink out; by the time the path is resolved
     * again it points inside: the opened file is not the one the path names */
    setup();
    obn_model *m = NULL;
    obn_external_race_hook = hook_swap_around_open;
    TB_EXPECT_ERR(load_model("data/w.bin", 0, 4, &m), OBN_E_INVALID_MODEL, "'w'", "data/w.bin",
                  "changed while it was being opened");
    ck_assert_ptr_null(m);
    /* no race: loads, with the folder's own values */
    obn_external_race_hook = NULL;
    TB_EXPECT_OK(load_model("data/w.bin", 0, 4, &m));
    const obn_tensor *w = m->graph->values[obn_graph_find(m->graph, "w")].init;
    ck_assert(((const float *)w->data)[3] == 4.0f);
    obn_model_destroy(m);
    teardown();
}
END_TEST

/* Loads n floats at `offset` of dir/data/big.bin (values 7, 8, ...),
 * checks them and whether the tensor is mapped. */
static void expect_mapped(size_t offset, int64_t n, int mapped)
{
    char sub[4096];
    path_of(sub, sizeof sub, dir, "data");
    write_floats(sub, "big.bin", offset, (size_t)n, 7.0f);
    obn_model *m = NULL;
    TB_EXPECT_OK(load_model("data/big.bin", offset, n, &m));
    const obn_tensor *w = m->graph->values[obn_graph_find(m->graph, "w")].init;
    ck_assert_msg((w->mapping != NULL) == mapped, "offset %zu, %lld floats: mapped %d", offset, (long long)n,
                  w->mapping != NULL);
    const float *v = w->data;
    for (int64_t i = 0; i < n; i += n / 7 + 1) ck_assert(v[i] == 7.0f + (float)i);
    ck_assert(v[n - 1] == 7.0f + (float)(n - 1));
    /* it runs, and the output is the session's own copy */
    obn_session *s = NULL;
    TB_EXPECT_OK(obn_session_create(m, NULL, &s));
    const obn_tensor *y = NULL;
    TB_EXPECT_OK(obn_session_run(s, 0, NULL, NULL, 1, NULL, &y));
    ck_assert_int_eq(memcmp(obn_tensor_cdata(y), w->data, (size_t)n * 4), 0);
    obn_session_destroy(s);
    obn_model_destroy(m); /* unmaps (ASan/valgrind: no leak) */
}

START_TEST(large_aligned_tensors_are_mapped)
{
    setup();
    expect_mapped(0, 1 << 16, 1);          /* 256 KiB at 0 */
    expect_mapped(4096 + 64, 1 << 16, 1);  /* inside a page, 64-byte aligned */
    expect_mapped(4, 1 << 16, 0);          /* misaligned: copied */
    expect_mapped(0, 1000, 0);             /* small: copied */
    teardown();
}
END_TEST

/* A file others may write (and so truncate under the mapping: SIGBUS) is
 * read, not mapped; a file of another owner likewise. */
START_TEST(files_others_may_write_are_copied)
{
    setup();
    char sub[4096], big[4200];
    path_of(sub, sizeof sub, dir, "data");
    path_of(big, sizeof big, sub, "big.bin");
    write_floats(sub, "big.bin", 0, 1 << 16, 7.0f);
    ck_assert_int_eq(chmod(big, 0664), 0);
    obn_model *m = NULL;
    TB_EXPECT_OK(load_model("data/big.bin", 0, 1 << 16, &m));
    const obn_tensor *w = m->graph->values[obn_graph_find(m->graph, "w")].init;
    ck_assert_ptr_null(w->mapping);
    ck_assert(((const float *)w->data)[65535] == 7.0f + 65535.0f);
    obn_model_destroy(m);
    ck_assert_int_eq(chmod(big, 0646), 0);
    TB_EXPECT_OK(load_model("data/big.bin", 0, 1 << 16, &m));
    ck_assert_ptr_null(m->graph->values[obn_graph_find(m->graph, "w")].init->mapping);
    obn_model_destroy(m);
    if (geteuid() == 0) { /* root can give the file away */
        ck_assert_int_eq(chmod(big, 0644), 0);
        ck_assert_int_eq(chown(big, 12345, (gid_t)-1), 0);
        TB_EXPECT_OK(load_model("data/big.bin", 0, 1 << 16, &m));
        ck_assert_ptr_null(m->graph->values[obn_graph_find(m->graph, "w")].init->mapping);
        obn_model_destroy(m);
    }
    teardown();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("external_open");
    TCase *t = tcase_create("external_open");
    tcase_add_test(t, symlink_swapped_in_before_open);
    tcase_add_test(t, symlink_swapped_in_and_back_around_open);
    tcase_add_test(t, large_aligned_tensors_are_mapped);
    tcase_add_test(t, files_others_may_write_are_copied);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
