/* MatMulInteger and QLinearMatMul: products against direct int64 sums in
 * the test (batch broadcast, 1-D operands, per-row and per-column zero
 * points and scales at the types' ends), the 32-bit wrap-around the spec
 * allows (worked out by hand), requantisation with round half to even and
 * saturation (hand-worked), float16 scales (21), and the errors. Integer
 * results are exact. */
#include "op_testing.h"

static uint64_t rng = 88172645463325252ull;

static int rnd(int lo, int hi)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return lo + (int)(rng % (uint64_t)(hi - lo + 1));
}

/* 8-bit values of dtype dt in its whole range. */
static void fill_q8(obn_dtype dt, void *p, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        if (dt == OBN_UINT8) ((uint8_t *)p)[i] = (uint8_t)rnd(0, 255);
        else ((int8_t *)p)[i] = (int8_t)rnd(-128, 127);
    }
}

static int64_t q8(obn_dtype dt, const void *p, int64_t i)
{
    return dt == OBN_UINT8 ? ((const uint8_t *)p)[i] : ((const int8_t *)p)[i];
}

typedef struct {
    obn_dtype at, bt;
    int ar;
    int64_t ad[4];
    int br;
    int64_t bd[4];
    int az_len, bz_len; /* 0: no zero point, 1: scalar, else per row / column */
} mmi_case;

/* A [.., M, K] x B [.., K, N] with numpy broadcasting of up to 2 batch dims,
 * in int64 from the definition. */
static void reference(const mmi_case *c, const void *a, const void *b, const void *az, const void *bz, int64_t *y,
                      int64_t *ydims, int *yrank)
{
    int64_t m = c->ar == 1 ? 1 : c->ad[c->ar - 2], k = c->ad[c->ar - 1], n = c->br == 1 ? 1 : c->bd[c->br - 1];
    int64_t ab[2] = {1, 1}, bb[2] = {1, 1};
    for (int d = 0; d < c->ar - 2; d++) ab[2 - (c->ar - 2) + d] = c->ad[d];
    for (int d = 0; d < c->br - 2; d++) bb[2 - (c->br - 2) + d] = c->bd[d];
    int rank = 0, nb = c->ar - 2 > c->br - 2 ? c->ar - 2 : c->br - 2;
    int64_t ob[2];
    for (int d = 0; d < 2; d++) ob[d] = ab[d] > bb[d] ? ab[d] : bb[d];
    for (int d = 2 - (nb > 0 ? nb : 0); d < 2; d++) ydims[rank++] = ob[d];
    if (c->ar > 1) ydims[rank++] = m;
    if (c->br > 1) ydims[rank++] = n;
    *yrank = rank;
    int64_t o = 0;
    for (int64_t b0 = 0; b0 < ob[0]; b0++)
        for (int64_t b1 = 0; b1 < ob[1]; b1++)
            for (int64_t i = 0; i < m; i++)
                for (int64_t j = 0; j < n; j++) {
                    int64_t abase = ((ab[0] > 1 ? b0 : 0) * ab[1] + (ab[1] > 1 ? b1 : 0)) * m * k;
                    int64_t bbase = ((bb[0] > 1 ? b0 : 0) * bb[1] + (bb[1] > 1 ? b1 : 0)) * k * n;
                    int64_t s = 0, za = az ? q8(c->at, az, c->az_len > 1 ? i : 0) : 0;
                    int64_t zb = bz ? q8(c->bt, bz, c->bz_len > 1 ? j : 0) : 0;
                    for (int64_t p = 0; p < k; p++)
                        s += (q8(c->at, a, abase + i * k + p) - za) * (q8(c->bt, b, bbase + p * n + j) - zb);
                    y[o++] = s;
                }
}

static void check_case(const mmi_case *c)
{
    int64_t na = ot_numel(c->ar, c->ad), nb = ot_numel(c->br, c->bd);
    uint8_t a[512], b[512], az[8], bz[8];
    fill_q8(c->at, a, na);
    fill_q8(c->bt, b, nb);
    fill_q8(c->at, az, 8);
    fill_q8(c->bt, bz, 8);
    /* the zero points at the types' ends */
    if (c->az_len) az[0] = c->at == OBN_UINT8 ? 255 : (uint8_t)(int8_t)-128;
    if (c->bz_len) bz[0] = c->bt == OBN_UINT8 ? 0 : 127;
    tb_model *m = tb_new(10);
    tb_input(m, "A", c->at, c->ar, c->ad);
    tb_input(m, "B", c->bt, c->br, c->bd);
    int64_t azd[1] = {c->az_len}, bzd[1] = {c->bz_len};
    if (c->az_len) tb_add_init(m, tb_tensor(m, "az", c->at, c->az_len > 1, azd, az, (size_t)c->az_len));
    if (c->bz_len) tb_add_init(m, tb_tensor(m, "bz", c->bt, c->bz_len > 1, bzd, bz, (size_t)c->bz_len));
    const char *ins = c->az_len && c->bz_len ? "A,B,az,bz" : c->az_len ? "A,B,az" : c->bz_len ? "A,B,,bz" : "A,B";
    tb_node(m, "MatMulInteger", "mm", ins, "Y");
    tb_output(m, "Y", OBN_INT32, -1, NULL);
    obn_tensor *in[2] = {ot_tensor(c->at, c->ar, c->ad, a), ot_tensor(c->bt, c->br, c->bd, b)}, *y;
    OT_RUN_OK(m, 2, in, 1, &y);
    int64_t want[1024], yd[4];
    int yr;
    reference(c, a, b, c->az_len ? az : NULL, c->bz_len ? bz : NULL, want, yd, &yr);
    ot_expect_shape(y, yr, yd);
    ck_assert_int_eq(obn_tensor_dtype(y), OBN_INT32);
    const int32_t *got = obn_tensor_cdata(y);
    for (int64_t i = 0; i < obn_tensor_numel(y); i++)
        ck_assert_msg(got[i] == want[i], "[%lld] = %d, expected %lld", (long long)i, got[i], (long long)want[i]);
    obn_tensor_destroy(y);
    ot_destroy(2, in);
    tb_free(m);
}

START_TEST(matmul_integer_against_sums)
{
    const mmi_case cases[] = {
        {OBN_UINT8, OBN_INT8, 2, {3, 4}, 2, {4, 5}, 1, 1},
        {OBN_INT8, OBN_UINT8, 2, {3, 4}, 2, {4, 5}, 3, 5},          /* per row, per column */
        {OBN_UINT8, OBN_UINT8, 4, {2, 1, 3, 4}, 3, {3, 4, 5}, 3, 5}, /* batch [2,1] x [3] */
        {OBN_INT8, OBN_INT8, 3, {2, 3, 4}, 2, {4, 2}, 0, 1},        /* B without batch */
        {OBN_UINT8, OBN_INT8, 1, {4}, 2, {4, 3}, 1, 3},              /* 1-D A */
        {OBN_UINT8, OBN_INT8, 3, {2, 3, 4}, 1, {4}, 3, 0},           /* 1-D B */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_case(&cases[i]);
}
END_TEST

START_TEST(accumulation_wraps_at_32_bits)
{
    /* 40000 * 255 * 255 = 2601000000 = 2^32 - 1693967296 */
    enum { K = 40000 };
    const int64_t ad[2] = {1, K}, bd[2] = {K, 1};
    static uint8_t ones[K];
    memset(ones, 255, sizeof ones);
    tb_model *m = tb_new(10);
    tb_input(m, "A", OBN_UINT8, 2, ad);
    tb_input(m, "B", OBN_UINT8, 2, bd);
    tb_node(m, "MatMulInteger", "mm", "A,B", "Y");
    tb_output(m, "Y", OBN_INT32, -1, NULL);
    obn_tensor *in[2] = {ot_tensor(OBN_UINT8, 2, ad, ones), ot_tensor(OBN_UINT8, 2, bd, ones)}, *y;
    OT_RUN_OK(m, 2, in, 1, &y);
    ck_assert_int_eq(*(const int32_t *)obn_tensor_cdata(y), -1693967296);
    obn_tensor_destroy(y);
    ot_destroy(2, in);
    tb_free(m);
}
END_TEST

/* QLinearMatMul a [1,2] x b [2,1] with the given scales (float or float16
 * bits) and zero points. */
static obn_tensor *qlm(int opset, obn_dtype st, const void *sa, const void *sb, const void *sy, uint8_t yz)
{
    const int64_t ad[2] = {1, 2}, bd[2] = {2, 1};
    const uint8_t a[2] = {10, 20}, b[2] = {4, 8}, az = 10, bz = 0;
    size_t es = obn_dtype_size(st);
    tb_model *m = tb_new(opset);
    tb_input(m, "a", OBN_UINT8, 2, ad);
    tb_add_init(m, tb_tensor(m, "sa", st, 0, NULL, sa, es));
    tb_add_init(m, tb_tensor(m, "za", OBN_UINT8, 0, NULL, &az, 1));
    tb_add_init(m, tb_tensor(m, "b", OBN_UINT8, 2, bd, b, 2));
    tb_add_init(m, tb_tensor(m, "sb", st, 0, NULL, sb, es));
    tb_add_init(m, tb_tensor(m, "zb", OBN_UINT8, 0, NULL, &bz, 1));
    tb_add_init(m, tb_tensor(m, "sy", st, 0, NULL, sy, es));
    tb_add_init(m, tb_tensor(m, "zy", OBN_UINT8, 0, NULL, &yz, 1));
    tb_node(m, "QLinearMatMul", "q", "a,sa,za,b,sb,zb,sy,zy", "y");
    tb_output(m, "y", OBN_UINT8, -1, NULL);
    obn_tensor *in = ot_tensor(OBN_UINT8, 2, ad, a), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    obn_tensor_destroy(in);
    tb_free(m);
    return y;
}

static void expect_u8(obn_tensor *y, uint8_t want)
{
    ck_assert_int_eq(obn_tensor_dtype(y), OBN_UINT8);
    ck_assert_int_eq(*(const uint8_t *)obn_tensor_cdata(y), want);
    obn_tensor_destroy(y);
}

START_TEST(qlinear_matmul_by_hand)
{
    /* acc = (10-10)*4 + (20-10)*8 = 80; scale product 0.5*0.25 = 0.125 */
    const float sa = 0.5f, sb = 0.25f, s1 = 0.125f, s4 = 4.0f;
    expect_u8(qlm(10, OBN_FLOAT, &sa, &sb, &s1, 100), 180); /* 80 * 1 + 100 */
    expect_u8(qlm(10, OBN_FLOAT, &sa, &sb, &s4, 100), 102); /* 80 / 32 = 2.5 -> 2 */
    expect_u8(qlm(21, OBN_FLOAT, &sa, &sb, &s1, 254), 255); /* 334 saturates */
    const float s3 = 4.0f / 3.0f;                           /* 80 * 0.09375 = 7.5 -> 8 */
    expect_u8(qlm(10, OBN_FLOAT, &sa, &sb, &s3, 0), 8);
    /* float16 scales: 0.5, 0.25, 4 */
    const uint16_t ha = 0x3800, hb = 0x3400, hy = 0x4400;
    expect_u8(qlm(21, OBN_FLOAT16, &ha, &hb, &hy, 100), 102);
}
END_TEST

START_TEST(qlinear_matmul_per_row_and_column)
{
    /* a [2,3] int8 per-row scale/zero point, b [3,2] per column; y int8 */
    const int64_t ad[2] = {2, 3}, bd[2] = {3, 2}, two[1] = {2};
    const int8_t a[6] = {-128, 0, 127, 5, -5, 10}, b[6] = {1, -2, 3, -4, 5, -6};
    const int8_t az[2] = {-128, 1}, bz[2] = {0, 127};
    const float sa[2] = {0.02f, 0.5f}, sb[2] = {0.1f, 0.03f}, sy = 0.07f;
    const int8_t yz = -3;
    tb_model *m = tb_new(10);
    tb_input(m, "a", OBN_INT8, 2, ad);
    tb_add_init(m, tb_tensor(m, "sa", OBN_FLOAT, 1, two, sa, 8));
    tb_add_init(m, tb_tensor(m, "za", OBN_INT8, 1, two, az, 2));
    tb_add_init(m, tb_tensor(m, "b", OBN_INT8, 2, bd, b, 6));
    tb_add_init(m, tb_tensor(m, "sb", OBN_FLOAT, 1, two, sb, 8));
    tb_add_init(m, tb_tensor(m, "zb", OBN_INT8, 1, two, bz, 2));
    tb_add_init(m, tb_tensor(m, "sy", OBN_FLOAT, 0, NULL, &sy, 4));
    tb_add_init(m, tb_tensor(m, "zy", OBN_INT8, 0, NULL, &yz, 1));
    tb_node(m, "QLinearMatMul", "q", "a,sa,za,b,sb,zb,sy,zy", "y");
    tb_output(m, "y", OBN_INT8, -1, NULL);
    obn_tensor *in = ot_tensor(OBN_INT8, 2, ad, a), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    const int8_t *got = obn_tensor_cdata(y);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            int64_t acc = 0;
            for (int p = 0; p < 3; p++) acc += (int64_t)(a[i * 3 + p] - az[i]) * (b[p * 2 + j] - bz[j]);
            float mult = (sa[i] * sb[j]) / sy; /* float32 steps, as the scales' type */
            double v = nearbyint((double)acc * mult) + yz;
            int want = v < -128 ? -128 : v > 127 ? 127 : (int)v;
            ck_assert_msg(got[i * 2 + j] == want, "[%d,%d] = %d, expected %d", i, j, got[i * 2 + j], want);
        }
    obn_tensor_destroy(y);
    obn_tensor_destroy(in);
    tb_free(m);
}
END_TEST

START_TEST(errors)
{
    const int64_t ad[2] = {2, 3}, bd[2] = {3, 4}, bad[2] = {4, 4}, z3[1] = {3}, znd[2] = {2, 1};
    const uint8_t zeros[8] = {0};
    tb_model *m = tb_new(10);
    tb_input(m, "A", OBN_UINT8, 2, ad);
    tb_input(m, "B", OBN_UINT8, 2, bd);
    tb_add_init(m, tb_tensor(m, "az", OBN_UINT8, 1, z3, zeros, 3));
    tb_node(m, "MatMulInteger", "mm", "A,B,az", "Y");
    tb_output(m, "Y", OBN_INT32, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'a_zero_point' ('az') has shape [3]", "[2] (per row)");
    tb_free(m);
    m = tb_new(10);
    tb_input(m, "A", OBN_UINT8, 2, ad);
    tb_input(m, "B", OBN_UINT8, 2, bd);
    tb_add_init(m, tb_tensor(m, "az", OBN_UINT8, 2, znd, zeros, 2));
    tb_node(m, "MatMulInteger", "mm", "A,B,az", "Y");
    tb_output(m, "Y", OBN_INT32, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "'a_zero_point' ('az') has shape [2,1]");
    tb_free(m);
    m = tb_new(10);
    tb_input(m, "A", OBN_UINT8, 2, ad);
    tb_input(m, "B", OBN_INT8, 2, bad);
    tb_node(m, "MatMulInteger", "mm", "A,B", "Y");
    tb_output(m, "Y", OBN_INT32, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "inner dimensions differ", "[2,3]", "[4,4]");
    tb_free(m);
    /* zero point of another type than its operand; float32 inputs */
    m = tb_new(10);
    tb_input(m, "A", OBN_UINT8, 2, ad);
    tb_input(m, "B", OBN_UINT8, 2, bd);
    tb_add_init(m, tb_tensor(m, "bz", OBN_INT8, 0, NULL, zeros, 1));
    tb_node(m, "MatMulInteger", "mm", "A,B,,bz", "Y");
    tb_output(m, "Y", OBN_INT32, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'b_zero_point' ('bz') has type int8", "'B' ('B') has type uint8");
    tb_free(m);
    /* QLinearMatMul-10 takes float scales only; float8 operands are refused */
    const uint16_t h = 0x3c00;
    const int64_t one[1] = {1};
    for (int k = 0; k < 2; k++) {
        obn_dtype st = k == 0 ? OBN_FLOAT16 : OBN_FLOAT, qt = k == 0 ? OBN_UINT8 : OBN_FLOAT8E4M3FN;
        const float f = 1;
        const void *s = k == 0 ? (const void *)&h : (const void *)&f;
        m = tb_new(k == 0 ? 10 : 21);
        tb_input(m, "a", qt, 2, ad);
        tb_add_init(m, tb_tensor(m, "s", st, 1, one, s, obn_dtype_size(st)));
        tb_add_init(m, tb_tensor(m, "z", qt, 1, one, zeros, 1));
        tb_input(m, "b", qt, 2, bd);
        tb_node(m, "QLinearMatMul", "q", "a,s,z,b,s,z,s,z", "y");
        tb_output(m, "y", qt, -1, NULL);
        if (k == 0) OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "'a_scale' ('s') has type float16");
        else OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "'a' ('a') has type float8e4m3fn");
        tb_free(m);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("matmul_integer");
    TCase *tc = tcase_create("matmul_integer");
    tcase_add_test(tc, matmul_integer_against_sums);
    tcase_add_test(tc, accumulation_wraps_at_32_bits);
    tcase_add_test(tc, qlinear_matmul_by_hand);
    tcase_add_test(tc, qlinear_matmul_per_row_and_column);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    return ot_main(s);
}
