/* MatMul against numpy.matmul semantics computed here in double: 1-D
 * operands promoted and their axis dropped, batch axes broadcast, every
 * output element a plain dot product. Tolerance 1e-5 * sum|a*b| + 1e-6.
 * B as a constant (packed once) and as a run-time input; every ISA level;
 * 1 and 2 threads (many small products take the batch-parallel path). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu.h"
#include "model_builder.h"
#include "tb_check.h"

static int threads_of_run = 1;

typedef struct {
    int ra, rb;
    int64_t a[6], b[6];
    int b_input;
} mm_case;

static float *pattern(int64_t n, double scale, double phase)
{
    float *p = malloc((size_t)(n ? n : 1) * sizeof *p);
    for (int64_t i = 0; i < n; i++) p[i] = (float)(sin((double)i * 0.53 + phase) * scale);
    return p;
}

static int64_t prod(const int64_t *d, int n)
{
    int64_t p = 1;
    for (int i = 0; i < n; i++) p *= d[i];
    return p;
}

/* Output shape by numpy's rules; returns the rank. */
static int out_shape(const mm_case *c, int64_t *out, int64_t *m, int64_t *n, int64_t *k, int64_t *batch,
                     int *batch_rank)
{
    int64_t a2[8], b2[8];
    int ra = c->ra == 1 ? 2 : c->ra, rb = c->rb == 1 ? 2 : c->rb;
    if (c->ra == 1) a2[0] = 1, a2[1] = c->a[0];
    else memcpy(a2, c->a, sizeof(int64_t) * (size_t)c->ra);
    if (c->rb == 1) b2[0] = c->b[0], b2[1] = 1;
    else memcpy(b2, c->b, sizeof(int64_t) * (size_t)c->rb);
    *m = a2[ra - 2], *k = a2[ra - 1], *n = b2[rb - 1];
    int br = (ra > rb ? ra : rb) - 2, r = 0;
    for (int d = 0; d < br; d++) {
        int ia = d - (br - (ra - 2)), ib = d - (br - (rb - 2));
        int64_t da = ia >= 0 ? a2[ia] : 1, db = ib >= 0 ? b2[ib] : 1;
        batch[d] = da > db ? da : db;
        out[r++] = batch[d];
    }
    *batch_rank = br;
    if (c->ra > 1) out[r++] = *m;
    if (c->rb > 1) out[r++] = *n;
    return r;
}

/* Flat offset of the matrix for output batch index e in an operand whose
 * (promoted) batch dims are right-aligned and broadcast. */
static int64_t operand_offset(const int64_t *dims, int rank, int promoted, const int64_t *batch, int br, int64_t e,
                              int64_t mat)
{
    int own = promoted ? 0 : rank - 2;
    int64_t off = 0, stride = mat, idx[8];
    for (int d = br - 1; d >= 0; d--) {
        idx[d] = e % batch[d];
        e /= batch[d];
    }
    for (int d = own - 1; d >= 0; d--) {
        int od = br - own + d;
        off += (dims[d] == 1 ? 0 : idx[od]) * stride;
        stride *= dims[d];
    }
    return off;
}

static void check_case(const mm_case *c)
{
    int64_t od[8], batch[8], m, n, k;
    int br, orank = out_shape(c, od, &m, &n, &k, batch, &br);
    int64_t an = prod(c->a, c->ra), bn = prod(c->b, c->rb), count = prod(batch, br);
    float *a = pattern(an, 1.0, 0.2), *b = pattern(bn, 0.8, 1.7);
    tb_model *tm = tb_new(13);
    tb_input(tm, "a", OBN_FLOAT, c->ra, c->a);
    if (c->b_input) tb_input(tm, "b", OBN_FLOAT, c->rb, c->b);
    else tb_init_f32(tm, "b", c->rb, c->b, b);
    tb_node(tm, "MatMul", "mm", "a,b", "y");
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    obn_model *model = NULL;
    ck_assert_msg(tb_load(tm, &model) == OBN_OK, "load: %s", obn_last_error());
    obn_tensor *in[2] = {tb_f32((size_t)c->ra, c->a, a), tb_f32((size_t)c->rb, c->b, b)}, *y = NULL;
    ck_assert_msg(tb_run(model, threads_of_run, 0, c->b_input ? 2 : 1, in, 1, &y) == OBN_OK, "run: %s",
                  obn_last_error());
    ck_assert_int_eq((int)obn_tensor_rank(y), orank);
    for (int i = 0; i < orank; i++) ck_assert_int_eq(obn_tensor_dims(y)[i], od[i]);
    const float *got = obn_tensor_cdata(y);
    for (int64_t e = 0; e < count; e++) {
        int64_t ao = operand_offset(c->a, c->ra, c->ra == 1, batch, br, e, m * k);
        int64_t bo = operand_offset(c->b, c->rb, c->rb == 1, batch, br, e, k * n);
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) {
                double s = 0, mag = 0;
                for (int64_t p = 0; p < k; p++) {
                    double t = (double)a[ao + i * k + p] * b[bo + p * n + j];
                    s += t;
                    mag += fabs(t);
                }
                float g = got[(e * m + i) * n + j];
                ck_assert_msg(fabs(g - s) <= 1e-5 * mag + 1e-6, "%s A rank %d B rank %d: y[%lld] = %.9g, expected %.9g",
                              obn_isa_name(obn_cpu_isa()), c->ra, c->rb, (long long)((e * m + i) * n + j), (double)g,
                              s);
            }
    }
    obn_tensor_destroy(in[0]);
    obn_tensor_destroy(in[1]);
    obn_tensor_destroy(y);
    obn_model_destroy(model);
    tb_free(tm);
    free(a);
    free(b);
}

static int setup_run(int i)
{
    if (i / 2 > (int)obn_cpu_detect()) return 0;
    obn_cpu_force((obn_isa)(i / 2));
    threads_of_run = 1 + i % 2;
    return 1;
}

static const mm_case cases[] = {
    {2, 2, {3, 4}, {4, 5}, 0},
    {1, 2, {4}, {4, 5}, 0},
    {2, 1, {3, 4}, {4}, 0},
    {1, 1, {4}, {4}, 0},
    {3, 2, {2, 3, 4}, {4, 5}, 0},          /* batch folds into M */
    {4, 2, {2, 2, 1, 4}, {4, 40}, 0},      /* ... with M = 1 */
    {3, 3, {2, 3, 4}, {2, 4, 5}, 0},
    {4, 3, {2, 1, 3, 4}, {5, 4, 6}, 0},    /* both broadcast */
    {2, 3, {3, 4}, {2, 4, 5}, 0},          /* A broadcast over B's batch */
    {3, 3, {1, 3, 4}, {2, 4, 5}, 0},
    {3, 1, {6, 2, 3}, {3}, 0},
    {1, 3, {5}, {2, 5, 3}, 0},
    {4, 2, {1, 1, 3, 4}, {4, 2}, 0},
    {2, 4, {3, 4}, {1, 1, 4, 2}, 0},       /* B with only unit batch dims */
    {3, 3, {64, 8, 16}, {64, 16, 8}, 0},   /* many small products */
    {2, 2, {100, 300}, {300, 200}, 0},
    {2, 2, {1, 1000}, {1000, 70}, 0},
    {2, 2, {0, 4}, {4, 5}, 0},             /* empty output */
};

START_TEST(numpy_semantics_constant_b)
{
    if (!setup_run(_i)) return;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_case(&cases[i]);
}
END_TEST

START_TEST(numpy_semantics_run_time_b)
{
    if (!setup_run(_i)) return;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mm_case c = cases[i];
        c.b_input = 1;
        check_case(&c);
    }
}
END_TEST

static obn_status create_status(tb_model *m)
{
    obn_model *model = NULL;
    obn_status st = tb_load(m, &model);
    if (st != OBN_OK) return st;
    obn_session *s = NULL;
    st = obn_session_create(model, NULL, &s);
    obn_session_destroy(s);
    obn_model_destroy(model);
    return st;
}

static void expect_error(int ra, const int64_t *a, int rb, const int64_t *b, int dtype, obn_status code,
                         const char *needle)
{
    tb_model *tm = tb_new(13);
    tb_input(tm, "a", dtype, ra, a);
    tb_input(tm, "b", dtype, rb, b);
    tb_node(tm, "MatMul", "mm", "a,b", "y");
    tb_output(tm, "y", dtype, -1, NULL);
    ck_assert_int_eq(create_status(tm), code);
    const char *msg = obn_last_error();
    ck_assert_msg(strstr(msg, "\"mm\"") && strstr(msg, needle), "message: %s", msg);
    tb_free(tm);
}

START_TEST(shape_errors)
{
    int64_t a[3] = {2, 3, 4}, b[3] = {3, 4, 5}, b2[2] = {5, 6};
    expect_error(3, a, 3, b, OBN_FLOAT, OBN_E_INVALID_MODEL, "batch dimensions do not broadcast");
    expect_error(3, a, 2, b2, OBN_FLOAT, OBN_E_INVALID_MODEL, "inner dimensions differ");
    expect_error(3, a, 2, b2, OBN_FLOAT, OBN_E_INVALID_MODEL, "[2,3,4]");
    int64_t i2[2] = {4, 5};
    expect_error(3, a, 2, i2, OBN_INT8, OBN_E_UNSUPPORTED, "int8"); /* int32/int64/uint32/uint64 are MatMul-9+ types */
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("matmul");
    TCase *t = tcase_create("matmul");
    tcase_set_timeout(t, 120);
    tcase_add_loop_test(t, numpy_semantics_constant_b, 0, 6);
    tcase_add_loop_test(t, numpy_semantics_run_time_b, 0, 6);
    tcase_add_test(t, shape_errors);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
