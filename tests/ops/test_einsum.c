/* Einsum: the float path (transposes and batched SGEMMs) against the direct
 * loop in double on the same data, for products, transposed operands,
 * batches, diagonals, sums, broadcasting and chains of three or four
 * operands (tolerance 1e-5 relative); integer wrap-around and float16 by
 * hand; and the errors of equations that do not match their inputs. */
#include "kernels/einsum.h"
#include "op_testing.h"

#define MAX_IN 4

typedef struct {
    const char *eq;
    int n;
    int rank[MAX_IN];
    int64_t dims[MAX_IN][4];
} einsum_case;

static tb_model *einsum_model(const char *eq, int n, obn_dtype dt, const int *rank, const int64_t (*dims)[4])
{
    tb_model *m = tb_new(12);
    char inputs[32] = "";
    for (int i = 0; i < n; i++) {
        char name[4] = {'x', (char)('0' + i), 0, 0};
        tb_input(m, name, dt, rank[i], dims[i]);
        if (i) strcat(inputs, ",");
        strcat(inputs, name);
    }
    tb_attr_string(m, tb_node(m, "Einsum", "e", inputs, "y"), "equation", eq);
    tb_output(m, "y", dt, -1, NULL);
    return m;
}

/* Runs the case in float and in double on the same values. */
static void check_float_against_double(const einsum_case *c)
{
    obn_tensor *fin[MAX_IN], *din[MAX_IN], *fy, *dy;
    for (int i = 0; i < c->n; i++) {
        int64_t count = ot_numel(c->rank[i], c->dims[i]);
        float *f = malloc((size_t)(count ? count : 1) * sizeof *f);
        double *d = malloc((size_t)(count ? count : 1) * sizeof *d);
        ot_fill(f, count, 11 + (uint64_t)i, -1, 1);
        for (int64_t k = 0; k < count; k++) d[k] = f[k];
        fin[i] = ot_tensor(OBN_FLOAT, c->rank[i], c->dims[i], f);
        din[i] = ot_tensor(OBN_DOUBLE, c->rank[i], c->dims[i], d);
        free(f);
        free(d);
    }
    tb_model *mf = einsum_model(c->eq, c->n, OBN_FLOAT, c->rank, c->dims);
    tb_model *md = einsum_model(c->eq, c->n, OBN_DOUBLE, c->rank, c->dims);
    obn_status s = ot_run(mf, c->n, fin, 1, &fy);
    ck_assert_msg(s == OBN_OK, "%s float: %s", c->eq, obn_last_error());
    s = ot_run(md, c->n, din, 1, &dy);
    ck_assert_msg(s == OBN_OK, "%s double: %s", c->eq, obn_last_error());
    ck_assert_int_eq(obn_tensor_rank(fy), obn_tensor_rank(dy));
    ck_assert_int_eq(obn_tensor_numel(fy), obn_tensor_numel(dy));
    const float *got = obn_tensor_cdata(fy);
    const double *want = obn_tensor_cdata(dy);
    for (int64_t k = 0; k < obn_tensor_numel(dy); k++)
        ck_assert_msg(fabs(got[k] - want[k]) <= 1e-5 * (1 + fabs(want[k])), "%s [%lld]: float %.9g, double %.9g",
                      c->eq, (long long)k, got[k], want[k]);
    ot_destroy(c->n, fin);
    ot_destroy(c->n, din);
    obn_tensor_destroy(fy);
    obn_tensor_destroy(dy);
    tb_free(mf);
    tb_free(md);
}

static const einsum_case cases[] = {
    {"ij,jk->ik", 2, {2, 2}, {{17, 33}, {33, 9}}},
    {"ij,kj->ik", 2, {2, 2}, {{17, 33}, {9, 33}}},
    {"ji,jk->ik", 2, {2, 2}, {{33, 17}, {33, 9}}},
    {"ji,kj", 2, {2, 2}, {{33, 17}, {9, 33}}},
    {"bij,bjk->bik", 2, {3, 3}, {{4, 5, 6}, {4, 6, 7}}},
    {"bhqd,bhkd->bhqk", 2, {4, 4}, {{2, 3, 7, 8}, {2, 3, 5, 8}}},
    {"bhqk,bhkd->bqhd", 2, {4, 4}, {{2, 3, 7, 5}, {2, 3, 5, 8}}},
    {"i,i", 2, {1, 1}, {{40}, {40}}},
    {"i,j->ij", 2, {1, 1}, {{5}, {6}}},
    {"ab,ab->ab", 2, {2, 2}, {{5, 6}, {5, 6}}},
    {"ab,ab->ba", 2, {2, 2}, {{5, 6}, {5, 6}}},
    {"ii->i", 1, {2}, {{6, 6}}},
    {"ii", 1, {2}, {{6, 6}}},
    {"...ii->...i", 1, {3}, {{3, 5, 5}}},
    {"ij->", 1, {2}, {{7, 9}}},
    {"ijk->kji", 1, {3}, {{3, 4, 5}}},
    {"ijk->j", 1, {3}, {{3, 4, 5}}},
    {"abc,cd,de->abe", 3, {3, 2, 2}, {{2, 3, 4}, {4, 5}, {5, 6}}},
    {"bn,anm,bm->ba", 3, {2, 3, 2}, {{3, 4}, {2, 4, 5}, {3, 5}}},
    {"ab,bc,cd,de->ae", 4, {2, 2, 2, 2}, {{3, 4}, {4, 5}, {5, 6}, {6, 2}}},
    {"iij,jk", 2, {3, 2}, {{4, 4, 5}, {5, 3}}},
    {"ij,jk,k->i", 3, {2, 2, 1}, {{3, 4}, {4, 5}, {5}}},
    /* broadcasting: ellipsis dims aligned from the right, size-1 dims */
    {"...ij,...jk->...ik", 2, {4, 3}, {{2, 1, 3, 4}, {5, 4, 2}}},
    {"ij,ij->i", 2, {2, 2}, {{2, 3}, {1, 3}}},
    {"bij,bjk->bik", 2, {3, 3}, {{1, 5, 6}, {4, 6, 7}}},
    /* an empty contracted dimension sums to 0; an empty output */
    {"ij,jk->ik", 2, {2, 2}, {{3, 0}, {0, 4}}},
    {"ij,jk->ik", 2, {2, 2}, {{0, 3}, {3, 4}}},
};

START_TEST(float_matches_double_loop)
{
    check_float_against_double(&cases[_i]);
}
END_TEST

START_TEST(integers_wrap_float16_by_hand)
{
    /* int8 dot product: 100*2 + 100*1 = 300 = 44 (mod 256); uint16 outer
     * product 300 * 300 = 90000 = 24464 (mod 65536) */
    const int rank[2] = {1, 1};
    const int64_t dims[2][4] = {{2}, {2}};
    const int8_t a[2] = {100, 100}, b[2] = {2, 1};
    obn_tensor *in[2] = {ot_tensor(OBN_INT8, 1, dims[0], a), ot_tensor(OBN_INT8, 1, dims[1], b)}, *y;
    tb_model *m = einsum_model("i,i", 2, OBN_INT8, rank, dims);
    OT_RUN_OK(m, 2, in, 1, &y);
    const int8_t want8 = 44;
    ot_expect_bytes(y, OBN_INT8, &want8, 1);
    obn_tensor_destroy(y);
    ot_destroy(2, in);
    tb_free(m);
    const uint16_t u[2] = {300, 1};
    in[0] = ot_tensor(OBN_UINT16, 1, dims[0], u);
    in[1] = ot_tensor(OBN_UINT16, 1, dims[1], u);
    m = einsum_model("i,j->ij", 2, OBN_UINT16, rank, dims);
    OT_RUN_OK(m, 2, in, 1, &y);
    const uint16_t want16[4] = {24464, 300, 300, 1};
    ot_expect_bytes(y, OBN_UINT16, want16, 4);
    obn_tensor_destroy(y);
    ot_destroy(2, in);
    tb_free(m);
    /* int64 trace of [[1, 2], [3, -4]] = -3 */
    const int r1[1] = {2};
    const int64_t d1[1][4] = {{2, 2}};
    const int64_t x[4] = {1, 2, 3, -4}, tr = -3;
    in[0] = ot_tensor(OBN_INT64, 2, d1[0], x);
    m = einsum_model("ii", 1, OBN_INT64, r1, d1);
    OT_RUN_OK(m, 1, in, 1, &y);
    ot_expect_i64(y, &tr, 1);
    obn_tensor_destroy(y);
    ot_destroy(1, in);
    tb_free(m);
    /* float16 column sums of [[1, 2], [3, 4]]: 4, 6 (0x4400, 0x4600) */
    const uint16_t h[4] = {0x3c00, 0x4000, 0x4200, 0x4400}, hs[2] = {0x4400, 0x4600};
    in[0] = ot_tensor(OBN_FLOAT16, 2, d1[0], h);
    m = einsum_model("ij->j", 1, OBN_FLOAT16, r1, d1);
    OT_RUN_OK(m, 1, in, 1, &y);
    ot_expect_bytes(y, OBN_FLOAT16, hs, 2);
    obn_tensor_destroy(y);
    ot_destroy(1, in);
    tb_free(m);
}
END_TEST

START_TEST(implicit_output_order)
{
    /* "Ba,ab": a is summed, B and b occur once; ASCII order puts B first:
     * y[B][b] = sum_a x0[B][a] * x1[a][b], shape [2, 4] */
    const int rank[2] = {2, 2};
    const int64_t dims[2][4] = {{2, 3}, {3, 4}}, out[2] = {2, 4};
    obn_tensor *in[2] = {tb_f32_random(2, dims[0], 1, -1, 1), tb_f32_random(2, dims[1], 2, -1, 1)}, *y;
    tb_model *m = einsum_model("Ba,ab", 2, OBN_FLOAT, rank, dims);
    OT_RUN_OK(m, 2, in, 1, &y);
    ot_expect_shape(y, 2, out);
    const float *a = obn_tensor_cdata(in[0]), *b = obn_tensor_cdata(in[1]);
    double want[8];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++) {
            want[i * 4 + j] = 0;
            for (int k = 0; k < 3; k++) want[i * 4 + j] += (double)a[i * 3 + k] * b[k * 4 + j];
        }
    ot_expect_f32(y, want, 8, 1e-6);
    obn_tensor_destroy(y);
    ot_destroy(2, in);
    tb_free(m);
}
END_TEST

/* The plan reads operands in place when a GEMM can (white box): a matrix
 * product, one with B transposed (attention's q k^T), and a batched one
 * whose result is the output; a transposed output needs the final copy. */
START_TEST(plans_avoid_copies)
{
    /* labels: b 0, h 1, q 2, d 3, k 4 */
    obn_einsum_spec s = {.n_labels = 5, .label_size = {2, 3, 7, 8, 5}, .n_operands = 2};
    s.in[0] = (obn_einsum_operand){4, {0, 1, 2, 3}, {2, 3, 7, 8}};
    s.in[1] = (obn_einsum_operand){4, {0, 1, 4, 3}, {2, 3, 5, 8}};
    s.out_rank = 4;
    const int qk[4] = {0, 1, 2, 4};
    memcpy(s.out_label, qk, sizeof qk);
    obn_einsum_plan *p = malloc(sizeof *p);
    ck_assert_int_eq(obn_einsum_plan_f32(&s, 2, p), 0);
    ck_assert_int_eq(p->n_steps, 1);
    const obn_einsum_step *st = &p->steps[0];
    ck_assert(st->a_direct && !st->a_trans && st->b_direct && st->b_trans && st->to_output);
    ck_assert(p->prepared_in_place[0] && p->prepared_in_place[1]);
    ck_assert_int_eq(st->batch, 6);
    ck_assert_int_eq(st->m * st->n * st->k, 7 * 5 * 8);
    /* "bhqd,bhkd->bhkq": same product, output transposed: a final copy */
    const int kq[4] = {0, 1, 4, 2};
    memcpy(s.out_label, kq, sizeof kq);
    ck_assert_int_eq(obn_einsum_plan_f32(&s, 2, p), 0);
    ck_assert(!p->steps[0].to_output);
    free(p);
}
END_TEST

static void expect_error(const char *eq, int n, const int *rank, const int64_t (*dims)[4], obn_dtype dt,
                         obn_status code, const char *f1, const char *f2)
{
    tb_model *m = einsum_model(eq, n, dt, rank, dims);
    OT_EXPECT_CREATE_ERROR(m, code, "node \"e\" (Einsum-12)", f1, f2);
    tb_free(m);
}

START_TEST(equation_errors)
{
    const int r2[2] = {2, 2}, r3[2] = {3, 2};
    const int64_t d2[2][4] = {{2, 3}, {3, 4}}, d3[2][4] = {{2, 3, 4}, {3, 4}}, bad[2][4] = {{2, 3}, {5, 4}};
    const int64_t diag[1][4] = {{2, 3}};
    expect_error("ij,jk,kl->il", 2, r2, d2, OBN_FLOAT, OBN_E_INVALID_MODEL, "3 operand terms", "has 2 inputs");
    expect_error("ij,jk->ik", 2, r3, d3, OBN_FLOAT, OBN_E_INVALID_MODEL, "term 0 of the equation has 2 letters",
                 "input 0 ('x0') has rank 3");
    expect_error("ijk,jk->ik", 2, r2, d2, OBN_FLOAT, OBN_E_INVALID_MODEL, "term 0 of the equation has 3 letters",
                 "rank 2");
    expect_error("...ij,jk->ik", 2, r3, d3, OBN_FLOAT, OBN_E_INVALID_MODEL, "no \"...\"", "cover 1 dimension");
    expect_error("ij,jk->ii", 2, r2, d2, OBN_FLOAT, OBN_E_INVALID_MODEL, "output letter 'i' appears twice", NULL);
    expect_error("ij,jk->iz", 2, r2, d2, OBN_FLOAT, OBN_E_INVALID_MODEL, "output letter 'z' is in no input term", NULL);
    expect_error("i1,jk", 2, r2, d2, OBN_FLOAT, OBN_E_INVALID_MODEL, "character '1' is not a letter", NULL);
    expect_error("..i..,jk", 2, r2, d2, OBN_FLOAT, OBN_E_INVALID_MODEL, "'.' outside an ellipsis", NULL);
    expect_error("...i...,jk", 2, r2, d2, OBN_FLOAT, OBN_E_INVALID_MODEL, "more than one ellipsis", NULL);
    expect_error("ij,jk-ik", 2, r2, d2, OBN_FLOAT, OBN_E_INVALID_MODEL, "'-' not followed by '>'", NULL);
    expect_error("ij,jk->ik->i", 2, r2, d2, OBN_FLOAT, OBN_E_INVALID_MODEL, "single term", NULL);
    expect_error("ij,jk->ik", 2, r2, bad, OBN_FLOAT, OBN_E_INVALID_MODEL, "input 1 ('x1') axis 0 has size 5",
                 "another operand has 3 for the same letter");
    expect_error("ii->i", 1, r2, diag, OBN_FLOAT, OBN_E_INVALID_MODEL, "axes 0 and 1 share a letter",
                 "sizes 2 and 3");
    expect_error("ij,jk->ik", 2, r2, d2, OBN_BFLOAT16, OBN_E_UNSUPPORTED, "type bfloat16", NULL);
    expect_error("ij,jk->ik", 2, r2, d2, OBN_BOOL, OBN_E_UNSUPPORTED, "type bool", NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("einsum");
    TCase *t = tcase_create("einsum");
    tcase_add_loop_test(t, float_matches_double_loop, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(t, integers_wrap_float16_by_hand);
    tcase_add_test(t, implicit_output_order);
    tcase_add_test(t, plans_avoid_copies);
    tcase_add_test(t, equation_errors);
    suite_add_tcase(s, t);
    return ot_main(s);
}
