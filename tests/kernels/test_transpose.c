/* kernels/transpose against the definition y[i] = x[j] (j the input index of
 * output index i, computed here from the permutation), exact: 1-, 2-, 4- and
 * 8-byte elements, ranks 1..5, NCHW <-> NHWC shapes with sizes that are and
 * are not multiples of the 8 x 8 register block and the 32 x 32 tile, size-1
 * axes, on every ISA level the machine has, 1 and 2 threads. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu.h"
#include "kernels/transpose.h"
#include "tb_check.h"

typedef struct {
    int rank;
    int64_t dims[5];
    int perm[5];
} tcase;

static const tcase cases[] = {
    {4, {1, 96, 56, 56}, {0, 2, 3, 1}},   /* ConvNeXt NCHW -> NHWC */
    {4, {1, 56, 56, 96}, {0, 3, 1, 2}},   /* and back */
    {4, {2, 37, 9, 11}, {0, 2, 3, 1}},    /* no multiple of 8 */
    {4, {3, 8, 4, 2}, {0, 3, 1, 2}},      /* exactly one block */
    {3, {5, 70, 33}, {0, 2, 1}},
    {2, {1000, 7}, {1, 0}},
    {2, {7, 1000}, {1, 0}},
    {2, {64, 64}, {1, 0}},
    {5, {2, 3, 4, 5, 6}, {4, 2, 0, 3, 1}}, /* general walk, strided rows */
    {4, {1, 12, 49, 64}, {0, 2, 1, 3}},    /* attention heads: runs */
    {3, {1, 1, 9}, {2, 1, 0}},
    {1, {17}, {0}},
};

static void check(const tcase *t, size_t elem, int threads)
{
    int64_t n = 1;
    for (int d = 0; d < t->rank; d++) n *= t->dims[d];
    unsigned char *x = malloc((size_t)n * elem), *y = malloc((size_t)n * elem), *want = malloc((size_t)n * elem);
    for (size_t i = 0; i < (size_t)n * elem; i++) x[i] = (unsigned char)(i * 131 + i / 7);
    int64_t in_stride[5], out_dims[5];
    for (int d = t->rank - 1, s = 1; d >= 0; d--) {
        in_stride[d] = s;
        s *= (int)t->dims[d];
    }
    for (int d = 0; d < t->rank; d++) out_dims[d] = t->dims[t->perm[d]];
    for (int64_t i = 0; i < n; i++) {
        int64_t rem = i, j = 0;
        for (int d = t->rank - 1; d >= 0; d--) {
            j += rem % out_dims[d] * in_stride[t->perm[d]];
            rem /= out_dims[d];
        }
        memcpy(want + (size_t)i * elem, x + (size_t)j * elem, elem);
    }
    memset(y, 0xee, (size_t)n * elem);
    obn_transpose(x, y, elem, t->rank, t->dims, t->perm, threads);
    ck_assert_msg(memcmp(y, want, (size_t)n * elem) == 0, "rank %d dims[1] %lld, elem %zu, %d threads, isa %s", t->rank,
                  (long long)t->dims[1], elem, threads, obn_isa_name(obn_cpu_isa()));
    free(x);
    free(y);
    free(want);
}

/* _i: ISA level */
START_TEST(matches_definition)
{
    if (_i > (int)obn_cpu_detect()) return;
    ck_assert_int_eq(obn_cpu_force((obn_isa)_i), _i);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (size_t elem = 1; elem <= 8; elem *= 2)
            for (int threads = 1; threads <= 2; threads++) check(&cases[i], elem, threads);
    obn_cpu_force(obn_cpu_detect());
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("transpose");
    TCase *t = tcase_create("transpose");
    tcase_add_loop_test(t, matches_definition, OBN_ISA_PORTABLE, OBN_ISA_AVX512 + 1);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
