/* Loading and freeing a model many times does not grow the resident set:
 * 1,000 cycles of load, session, one run, destroy, for a model whose 1 MiB
 * weight is inside the file (read) and one whose 1 MiB weight is external
 * data (mapped). Measured with /proc/self/statm after a warm-up, so that
 * the allocator's own high-water mark is already reached. A leak of the
 * weight would add 1 GiB; the bound allows 4 MiB, 4 KiB per cycle: any leak
 * of a few kilobytes per load (a graph, a tensor header per initializer)
 * exceeds it. Under AddressSanitizer, whose quarantine keeps freed memory
 * resident on purpose, the cycles run but the bound is not checked
 * (LeakSanitizer checks the leaks there). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "tb_check.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

enum { CYCLES = 1000, WARMUP = 50, WEIGHT = 1 << 18 /* floats: 1 MiB */ };
static const long BOUND_BYTES = 4L << 20;

/* Resident bytes of this process (second field of /proc/self/statm). */
static long resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = -1;
    ck_assert_msg(f, "cannot open /proc/self/statm");
    ck_assert_int_eq(fscanf(f, "%ld %ld", &size, &resident), 2);
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

/* y = x * w + z over [WEIGHT], w and z initializers; w external when
 * `external` names its data file (written here). */
static tb_model *weighted(const char *external)
{
    tb_model *m = tb_new(13);
    static const int64_t d[1] = {WEIGHT};
    float *w = malloc(WEIGHT * sizeof *w);
    for (int i = 0; i < WEIGHT; i++) w[i] = (float)(i % 97) * 0.25f;
    tb_input(m, "x", OBN_FLOAT, 1, d);
    Onnx__TensorProto *t = tb_init_f32(m, "w", 1, d, w);
    tb_init_f32(m, "z", 1, d, w);
    if (external) {
        tb_write_file(external, w, WEIGHT * sizeof *w);
        tb_set_external(m, t, "w.bin", 0, (int64_t)(WEIGHT * sizeof *w));
    }
    free(w);
    tb_node(m, "Mul", "mul", "x,w", "p");
    tb_node(m, "Add", "add", "p,z", "y");
    tb_output(m, "y", OBN_FLOAT, 1, d);
    return m;
}

/* One cycle: load (from `path`, else from bytes), session, run, destroy;
 * checks y[7] = 1 * w[7] + z[7] = 3.5. */
static void cycle(const char *path, const uint8_t *bytes, size_t len, const obn_tensor *x)
{
    obn_model *model = NULL;
    if (path)
        TB_EXPECT_OK(obn_model_load(path, &model));
    else
        TB_EXPECT_OK(obn_model_load_buffer(bytes, len, NULL, &model));
    obn_session *s = NULL;
    TB_EXPECT_OK(obn_session_create(model, NULL, &s));
    const char *name = "x";
    const obn_tensor *y = NULL;
    TB_EXPECT_OK(obn_session_run(s, 1, &name, &x, 1, NULL, &y));
    ck_assert_float_eq(((const float *)obn_tensor_cdata(y))[7], 3.5f);
    obn_session_destroy(s);
    obn_model_destroy(model);
}

static void expect_flat(const char *what, const char *path, const uint8_t *bytes, size_t len)
{
    static const int64_t d[1] = {WEIGHT};
    obn_tensor *x = tb_f32(1, d, NULL);
    float *xp = obn_tensor_data(x);
    for (int i = 0; i < WEIGHT; i++) xp[i] = 1.0f;
    for (int i = 0; i < WARMUP; i++) cycle(path, bytes, len, x);
    long before = resident_bytes();
    for (int i = 0; i < CYCLES; i++) cycle(path, bytes, len, x);
    long growth = resident_bytes() - before;
    obn_tensor_destroy(x);
    fprintf(stderr, "%s: resident set %+ld KiB after %d cycles%s\n", what, growth / 1024, CYCLES,
            UNDER_ASAN ? " (AddressSanitizer: not checked)" : "");
    if (UNDER_ASAN) return;
    ck_assert_msg(growth <= BOUND_BYTES, "%s: resident set grew by %ld KiB over %d cycles (bound %ld KiB)", what,
                  growth / 1024, CYCLES, BOUND_BYTES / 1024);
}

START_TEST(load_from_bytes_does_not_grow)
{
    tb_model *m = weighted(NULL);
    size_t len = 0;
    const uint8_t *bytes = tb_pack(m, &len);
    expect_flat("embedded weights", NULL, bytes, len);
    tb_free(m);
}
END_TEST

START_TEST(load_with_mapped_external_data_does_not_grow)
{
    char *dir = tb_tmpdir(), *data = tb_path(dir, "w.bin"), *path = tb_path(dir, "model.onnx");
    tb_model *m = weighted(data);
    tb_save(m, path);
    tb_free(m);
    expect_flat("external weights", path, NULL, 0);
    tb_rmtree(dir);
    free(dir);
    free(data);
    free(path);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("load_rss");
    TCase *t = tcase_create("core");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, load_from_bytes_does_not_grow);
    tcase_add_test(t, load_with_mapped_external_data_does_not_grow);
    suite_add_tcase(s, t);
    return s;
}

/* glibc raises its mmap threshold each time a mapped block is freed, after
 * which the 1 MiB buffers of a cycle come from the heap, where their order
 * decides how far the heap grows before it is reused: +8 MiB over the
 * cycles with no block leaked (valgrind: none lost), depending only on the
 * sizes of unrelated allocations. A fixed threshold (the default, 128 KiB)
 * keeps such buffers mapped and returned at free, so that what grows the
 * resident set here is a leak, not the allocator's heuristic. */
int main(void)
{
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
    return tb_run_suite(suite());
}
