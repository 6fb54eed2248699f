/* Transpose against a per-element index mapping computed here
 * (y[i0..ir] = x[i_perm^-1...]), compared bit for bit, for every storable
 * element size, default and explicit perms, all permutations of ranks 2-4,
 * size-1 axes, rank 6, and arrays large enough for the tiled and parallel
 * paths; then perm validation errors. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "model_builder.h"
#include "tb_check.h"

static obn_tensor *run_transpose(int dtype, int rank, const int64_t *dims, const void *data, const int64_t *perm,
                                 int threads)
{
    tb_model *tm = tb_new(13);
    tb_input(tm, "x", dtype, rank, dims);
    Onnx__NodeProto *n = tb_node(tm, "Transpose", "tr", "x", "y");
    if (perm) tb_attr_ints(tm, n, "perm", (size_t)rank, perm);
    tb_output(tm, "y", dtype, -1, NULL);
    obn_model *model = NULL;
    ck_assert_msg(tb_load(tm, &model) == OBN_OK, "load: %s", obn_last_error());
    obn_tensor *x = NULL, *y = NULL;
    ck_assert_int_eq(obn_tensor_create((obn_dtype)dtype, (size_t)rank, dims, data, &x), OBN_OK);
    ck_assert_msg(tb_run(model, threads, 0, 1, &x, 1, &y) == OBN_OK, "run: %s", obn_last_error());
    obn_tensor_destroy(x);
    obn_model_destroy(model);
    tb_free(tm);
    return y;
}

static void check(int dtype, int rank, const int64_t *dims, const int64_t *perm, int threads)
{
    size_t es = obn_dtype_size((obn_dtype)dtype);
    int64_t n = 1, p[8], od[8], ostride[8], istride[8];
    for (int i = 0; i < rank; i++) n *= dims[i];
    for (int i = 0; i < rank; i++) p[i] = perm ? perm[i] : rank - 1 - i;
    unsigned char *x = malloc((size_t)n * es + 1), *want = malloc((size_t)n * es + 1);
    for (size_t i = 0; i < (size_t)n * es; i++) x[i] = (unsigned char)(i * 131 + i / 7);
    if (dtype == OBN_BOOL)
        for (int64_t i = 0; i < n; i++) x[i] &= 1;
    int64_t s = 1;
    for (int d = rank - 1; d >= 0; d--) istride[d] = s, s *= dims[d];
    for (int i = 0; i < rank; i++) od[i] = dims[p[i]];
    s = 1;
    for (int d = rank - 1; d >= 0; d--) ostride[d] = s, s *= od[d];
    for (int64_t o = 0; o < n; o++) { /* y[o] = x[sum idx_i * istride[perm[i]]] */
        int64_t src = 0;
        for (int i = 0; i < rank; i++) src += (o / ostride[i] % od[i]) * istride[p[i]];
        memcpy(want + (size_t)o * es, x + (size_t)src * es, es);
    }
    obn_tensor *y = run_transpose(dtype, rank, dims, x, perm, threads);
    ck_assert_int_eq(obn_tensor_dtype(y), dtype);
    ck_assert_int_eq((int)obn_tensor_rank(y), rank);
    for (int i = 0; i < rank; i++) ck_assert_int_eq(obn_tensor_dims(y)[i], od[i]);
    ck_assert_msg(n == 0 || memcmp(obn_tensor_cdata(y), want, (size_t)n * es) == 0, "rank %d dtype %s differs", rank,
                  obn_dtype_name((obn_dtype)dtype));
    obn_tensor_destroy(y);
    free(x);
    free(want);
}

/* Advances p to the next permutation in lexicographic order; 0 after the last. */
static int next_perm(int64_t *p, int n)
{
    int i = n - 2;
    while (i >= 0 && p[i] >= p[i + 1]) i--;
    if (i < 0) return 0;
    int j = n - 1;
    while (p[j] <= p[i]) j--;
    int64_t t = p[i];
    p[i] = p[j], p[j] = t;
    for (int a = i + 1, b = n - 1; a < b; a++, b--) t = p[a], p[a] = p[b], p[b] = t;
    return 1;
}

START_TEST(all_permutations_ranks_2_to_4)
{
    static const int64_t shapes[3][4] = {{3, 5}, {2, 3, 4}, {2, 3, 1, 5}};
    for (int r = 2; r <= 4; r++) {
        int64_t p[4] = {0, 1, 2, 3};
        do check(OBN_FLOAT, r, shapes[r - 2], p, 1 + _i);
        while (next_perm(p, r));
        check(OBN_FLOAT, r, shapes[r - 2], NULL, 1 + _i); /* default: reversed */
    }
}
END_TEST

START_TEST(every_element_size)
{
    static const int types[] = {OBN_UINT8, OBN_INT8, OBN_BOOL, OBN_INT16, OBN_UINT16, OBN_FLOAT16, OBN_BFLOAT16,
                                OBN_INT32, OBN_UINT32, OBN_FLOAT, OBN_INT64, OBN_UINT64, OBN_DOUBLE};
    int64_t d3[3] = {4, 5, 6}, p3[3] = {2, 0, 1};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        check(types[t], 3, d3, p3, 1);
        check(types[t], 3, d3, NULL, 2);
    }
}
END_TEST

START_TEST(special_shapes)
{
    int64_t d1[1] = {7}, p1[1] = {0};
    check(OBN_FLOAT, 1, d1, p1, 1);
    check(OBN_FLOAT, 1, d1, NULL, 1);
    int64_t d0[2] = {0, 3};
    check(OBN_FLOAT, 2, d0, NULL, 1);
    int64_t d6[6] = {2, 1, 3, 2, 1, 4}, p6[6] = {5, 3, 0, 4, 2, 1};
    check(OBN_INT64, 6, d6, p6, 2);
    int64_t nchw[4] = {2, 3, 4, 5}, to_nhwc[4] = {0, 2, 3, 1}, back[4] = {0, 3, 1, 2};
    check(OBN_FLOAT, 4, nchw, to_nhwc, 2);
    check(OBN_FLOAT, 4, nchw, back, 2);
    int64_t ones[4] = {1, 1, 6, 1}, pones[4] = {3, 2, 1, 0};
    check(OBN_UINT8, 4, ones, pones, 1);
}
END_TEST

START_TEST(large_tiled_and_parallel)
{
    int64_t d2[2] = {301, 517}, d3[3] = {3, 129, 260}, p3[3] = {0, 2, 1}, p3b[3] = {2, 1, 0}, q3[3] = {1, 0, 2};
    check(OBN_FLOAT, 2, d2, NULL, 1 + _i);
    check(OBN_UINT8, 2, d2, NULL, 1 + _i);
    check(OBN_DOUBLE, 3, d3, p3, 1 + _i);
    check(OBN_FLOAT16, 3, d3, p3b, 1 + _i);
    check(OBN_FLOAT, 3, d3, q3, 1 + _i); /* contiguous runs */
}
END_TEST

static void expect_perm_error(int rank, const int64_t *perm, size_t n_perm, const char *needle)
{
    tb_model *tm = tb_new(13);
    int64_t dims[3] = {2, 3, 4};
    tb_input(tm, "x", OBN_FLOAT, rank, dims);
    Onnx__NodeProto *n = tb_node(tm, "Transpose", "tr", "x", "y");
    tb_attr_ints(tm, n, "perm", n_perm, perm);
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    obn_model *model = NULL;
    obn_session *s = NULL;
    ck_assert_int_eq(tb_load(tm, &model), OBN_OK);
    ck_assert_int_eq(obn_session_create(model, NULL, &s), OBN_E_INVALID_MODEL);
    const char *msg = obn_last_error();
    ck_assert_msg(strstr(msg, "\"tr\"") && strstr(msg, "'perm'") && strstr(msg, needle), "message: %s", msg);
    obn_model_destroy(model);
    tb_free(tm);
}

START_TEST(perm_errors)
{
    int64_t two[2] = {1, 0}, repeat[3] = {0, 1, 1}, range[3] = {0, 3, 1}, neg[3] = {-1, 0, 1};
    expect_perm_error(3, two, 2, "rank 3");
    expect_perm_error(3, repeat, 3, "repeats");
    expect_perm_error(3, range, 3, "out of range");
    expect_perm_error(3, neg, 3, "out of range");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("transpose");
    TCase *t = tcase_create("transpose");
    tcase_add_loop_test(t, all_permutations_ranks_2_to_4, 0, 2);
    tcase_add_test(t, every_element_size);
    tcase_add_test(t, special_shapes);
    tcase_add_loop_test(t, large_tiled_and_parallel, 0, 2);
    tcase_add_test(t, perm_errors);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
