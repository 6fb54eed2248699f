/* The broadcasting geometry of src/kernels/broadcast.c: how shapes collapse
 * into rows and an inner run, checked against hand-derived layouts, and an
 * exhaustive offset check against per-element index arithmetic. */
#include <check.h>
#include <stdlib.h>

#include "kernels/broadcast.h"

static void init2(obn_bcast *g, int ro, const int64_t *out, int ra, const int64_t *a, int rb, const int64_t *b)
{
    int ranks[2] = {ra, rb};
    const int64_t *dims[2] = {a, b};
    obn_bcast_init(g, ro, out, 2, ranks, dims);
}

START_TEST(same_shapes_collapse_to_one_run)
{
    const int64_t s[4] = {2, 3, 4, 5};
    obn_bcast g;
    init2(&g, 4, s, 4, s, 4, s);
    ck_assert_int_eq(g.rank, 1);
    ck_assert_int_eq(g.inner, 120);
    ck_assert_int_eq(g.rows, 1);
    ck_assert_int_eq(obn_bcast_inner_stride(&g, 0), 1);
    ck_assert_int_eq(obn_bcast_inner_stride(&g, 1), 1);
}
END_TEST

START_TEST(per_channel_operand)
{
    /* [N,C,H,W] + [C,1,1]: rows over (N, C), the operand repeats along H*W */
    const int64_t x[4] = {2, 3, 4, 5}, c[3] = {3, 1, 1};
    obn_bcast g;
    init2(&g, 4, x, 4, x, 3, c);
    ck_assert_int_eq(g.rank, 3);
    ck_assert_int_eq(g.dims[0], 2);
    ck_assert_int_eq(g.dims[1], 3);
    ck_assert_int_eq(g.dims[2], 20);
    ck_assert_int_eq(g.rows, 6);
    ck_assert_int_eq(g.strides[1][0], 0);
    ck_assert_int_eq(g.strides[1][1], 1);
    ck_assert_int_eq(obn_bcast_inner_stride(&g, 1), 0);
    ck_assert_int_eq(g.strides[0][0], 60);
}
END_TEST

START_TEST(scalars_and_unit_dims)
{
    const int64_t one[3] = {1, 1, 1}, v[1] = {7};
    obn_bcast g;
    init2(&g, 3, one, 3, one, 0, v);
    ck_assert_int_eq(g.rank, 1);
    ck_assert_int_eq(g.inner, 1);
    ck_assert_int_eq(g.numel, 1);
    const int64_t out[2] = {1, 7};
    init2(&g, 2, out, 0, v, 1, v);
    ck_assert_int_eq(g.rank, 1);
    ck_assert_int_eq(g.inner, 7);
    ck_assert_int_eq(obn_bcast_inner_stride(&g, 0), 0);
    ck_assert_int_eq(obn_bcast_inner_stride(&g, 1), 1);
}
END_TEST

/* Offsets of every element through rows/inner equal the per-element
 * right-aligned index computation, for all pairs of small shapes. */
START_TEST(offsets_match_index_arithmetic)
{
    static const int64_t shapes[][3] = {{1, 1, 1}, {2, 1, 3}, {1, 4, 1}, {2, 4, 3}, {2, 4, 1}, {1, 4, 3}};
    int n = (int)(sizeof shapes / sizeof shapes[0]);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            for (int ra = 0; ra <= 3; ra++) {
                const int64_t *a = shapes[i] + 3 - ra, *b = shapes[j];
                int64_t out[3];
                for (int d = 0; d < 3; d++) {
                    int64_t ad = d >= 3 - ra ? a[d - (3 - ra)] : 1;
                    out[d] = ad > b[d] ? ad : b[d];
                }
                obn_bcast g;
                init2(&g, 3, out, ra, a, 3, b);
                int64_t total = out[0] * out[1] * out[2];
                ck_assert_int_eq(g.rows * g.inner, total);
                for (int64_t r = 0; r < g.rows; r++) {
                    int64_t off[2];
                    obn_bcast_row(&g, r, off);
                    for (int64_t k = 0; k < g.inner; k++) {
                        int64_t e = r * g.inner + k, c[3] = {e / (out[1] * out[2]), (e / out[2]) % out[1], e % out[2]};
                        int64_t wa = 0, wb = 0;
                        for (int d = 0; d < 3; d++) {
                            int64_t ad = d >= 3 - ra ? a[d - (3 - ra)] : 1;
                            wa = wa * ad + (ad == 1 ? 0 : c[d]);
                            wb = wb * b[d] + (b[d] == 1 ? 0 : c[d]);
                        }
                        ck_assert_int_eq(off[0] + k * obn_bcast_inner_stride(&g, 0), wa);
                        ck_assert_int_eq(off[1] + k * obn_bcast_inner_stride(&g, 1), wb);
                    }
                }
            }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("broadcast");
    TCase *t = tcase_create("broadcast");
    tcase_add_test(t, same_shapes_collapse_to_one_run);
    tcase_add_test(t, per_channel_operand);
    tcase_add_test(t, scalars_and_unit_dims);
    tcase_add_test(t, offsets_match_index_arithmetic);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
