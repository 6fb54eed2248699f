/* Dropout (inference and training) and Range against references computed
 * here (LayerNormalization has its own suite, test_layernorm.c); the
 * training masks against numpy's RandomState(seed).uniform(0, 1, 12) >=
 * ratio, and MT19937 against the C++ standard's check value and numpy. */
#include "op_testing.h"

#include "kernels/random.h"

static tb_model *dropout_model(int version, const char *inputs, const char *outputs, float ratio, int training)
{
    const int64_t d[2] = {3, 4};
    tb_model *m = tb_new(version);
    tb_input(m, "x", OBN_FLOAT, 2, d);
    if (version >= 12) {
        tb_add_init(m, tb_tensor(m, "ratio", OBN_FLOAT, 0, NULL, &ratio, 4));
        uint8_t t = (uint8_t)training;
        tb_add_init(m, tb_tensor(m, "training", OBN_BOOL, 0, NULL, &t, 1));
    }
    Onnx__NodeProto *n = tb_node(m, "Dropout", "drop", inputs, outputs);
    if (version < 12) tb_attr_float(m, n, "ratio", ratio);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    if (strchr(outputs, ',')) tb_output(m, "mask", version >= 10 ? OBN_BOOL : OBN_FLOAT, -1, NULL);
    return m;
}

START_TEST(dropout_inference)
{
    const int64_t d[2] = {3, 4};
    float x[12];
    double want[12];
    for (int i = 0; i < 12; i++) want[i] = x[i] = (float)i - 5.5f;
    obn_tensor *in = ot_tensor(OBN_FLOAT, 2, d, x), *y[2];
    const int versions[5] = {7, 10, 12, 13, 13};
    for (int k = 0; k < 5; k++) {
        bool ins = versions[k] >= 12;
        tb_model *m = dropout_model(versions[k], ins ? (k == 4 ? "x,ratio,training" : "x,ratio") : "x", "y,mask",
                                    0.3f, k == 4 ? 0 : 1);
        OT_RUN_OK(m, 1, &in, 2, y);
        ot_expect_f32(y[0], want, 12, 0);
        if (versions[k] >= 10) {
            const uint8_t ones[12] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
            ot_expect_bytes(y[1], OBN_BOOL, ones, 12);
        } else {
            const double ones[12] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
            ot_expect_f32(y[1], ones, 12, 0);
        }
        ot_destroy(2, y);
        tb_free(m);
    }
    /* training with ratio 0 is the identity too; with ratio > 0 it is random: rejected */
    tb_model *m = dropout_model(13, "x,ratio,training", "y", 0.0f, 1);
    OT_RUN_OK(m, 1, &in, 1, y);
    ot_expect_f32(y[0], want, 12, 0);
    obn_tensor_destroy(y[0]);
    tb_free(m);
    m = dropout_model(13, "x,ratio", "y", 1.5f, 0);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'ratio' is 1.5");
    tb_free(m);
    obn_tensor_destroy(in);
}
END_TEST

/* Range-`version` of constant inputs; stash_type < 0: attribute absent. */
static obn_tensor *range_v(int version, int64_t stash_type, obn_dtype dt, const void *start, const void *limit,
                           const void *delta, obn_status *st)
{
    tb_model *m = tb_new(version);
    size_t es = obn_dtype_size(dt);
    tb_add_init(m, tb_tensor(m, "s", dt, 0, NULL, start, es));
    tb_add_init(m, tb_tensor(m, "l", dt, 0, NULL, limit, es));
    tb_add_init(m, tb_tensor(m, "d", dt, 0, NULL, delta, es));
    Onnx__NodeProto *n = tb_node(m, "Range", "range", "s,l,d", "y");
    if (stash_type >= 0) tb_attr_int(m, n, "stash_type", stash_type);
    tb_output(m, "y", dt, -1, NULL);
    obn_tensor *y = NULL;
    *st = ot_run(m, 0, NULL, 1, &y);
    tb_free(m);
    return y;
}

static obn_tensor *range(obn_dtype dt, const void *start, const void *limit, const void *delta, obn_status *st)
{
    return range_v(11, -1, dt, start, limit, delta, st);
}

START_TEST(mt19937_matches_references)
{
    /* C++ [rand.predef]: the 10000th output of mt19937 with its default
     * seed 5489 is 4123659995 */
    obn_mt19937 r;
    obn_mt19937_seed(&r, 5489);
    uint32_t v = 0;
    for (int i = 0; i < 10000; i++) v = obn_mt19937_u32(&r);
    ck_assert_uint_eq(v, 4123659995u);
    /* numpy: RandomState(0).random_sample(3); RandomState(123)'s samples 0,
     * 311, 312 (the first after the state is regenerated) and 349;
     * RandomState(2^32 - 1)'s first (exact, as hexadecimal doubles) */
    obn_mt19937_seed(&r, 0);
    ck_assert(obn_mt19937_double(&r) == 0x1.18fe1565f12a8p-1);
    ck_assert(obn_mt19937_double(&r) == 0x1.6e2d4cf608733p-1);
    ck_assert(obn_mt19937_double(&r) == 0x1.349d66b6e894bp-1);
    obn_mt19937_seed(&r, 123);
    double d[350];
    for (int i = 0; i < 350; i++) d[i] = obn_mt19937_double(&r);
    ck_assert(d[0] == 0x1.64979beda10f5p-1 && d[311] == 0x1.5268460fc4efbp-1);
    ck_assert(d[312] == 0x1.31673d89ec1f0p-2 && d[349] == 0x1.a505016f3a986p-1);
    obn_mt19937_seed(&r, UINT32_MAX);
    ck_assert(obn_mt19937_double(&r) == 0x1.8fe69a3924820p-4);
}
END_TEST

static tb_model *training_model(float ratio, int64_t seed, bool with_seed)
{
    tb_model *m = dropout_model(13, "x,ratio,training", "y,mask", ratio, 1);
    if (with_seed) tb_attr_int(m, tb_proto(m)->graph->node[0], "seed", seed);
    return m;
}

START_TEST(dropout_training)
{
    const int64_t d[2] = {3, 4};
    float x[12];
    for (int i = 0; i < 12; i++) x[i] = (float)i - 5.5f;
    obn_tensor *in = ot_tensor(OBN_FLOAT, 2, d, x), *y[2];
    /* numpy: RandomState(0).uniform(0, 1, 12) >= 0.5 and RandomState(42)'s >= 0.3 */
    static const uint8_t mask0[12] = {1, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 1};
    static const uint8_t mask42[12] = {1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 1};
    const struct {
        float ratio;
        int64_t seed;
        const uint8_t *mask;
    } cases[2] = {{0.5f, 0, mask0}, {0.3f, 42, mask42}};
    for (int c = 0; c < 2; c++) {
        tb_model *m = training_model(cases[c].ratio, cases[c].seed, true);
        double want[12];
        for (int i = 0; i < 12; i++) want[i] = cases[c].mask[i] * (double)x[i] / (1.0 - (double)cases[c].ratio);
        for (int run = 0; run < 2; run++) { /* the same mask every run: seeded */
            OT_RUN_OK(m, 1, &in, 2, y);
            ot_expect_f32(y[0], want, 12, 1e-7);
            ot_expect_bytes(y[1], OBN_BOOL, cases[c].mask, 12);
            ot_destroy(2, y);
        }
        tb_free(m);
    }
    /* unseeded: a different mask per run, about a fraction ratio dropped */
    enum { N = 4000 };
    const int64_t dn[2] = {1, N};
    float *xs = malloc(N * sizeof *xs);
    ck_assert_ptr_nonnull(xs);
    for (int i = 0; i < N; i++) xs[i] = 1.0f + (float)i;
    obn_tensor *big = ot_tensor(OBN_FLOAT, 2, dn, xs);
    tb_model *m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 2, dn);
    float r = 0.25f;
    tb_add_init(m, tb_tensor(m, "ratio", OBN_FLOAT, 0, NULL, &r, 4));
    uint8_t t = 1;
    tb_add_init(m, tb_tensor(m, "training", OBN_BOOL, 0, NULL, &t, 1));
    tb_node(m, "Dropout", "drop", "x,ratio,training", "y,mask");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    tb_output(m, "mask", OBN_BOOL, -1, NULL);
    obn_tensor *a[2], *b[2];
    OT_RUN_OK(m, 1, &big, 2, a);
    OT_RUN_OK(m, 1, &big, 2, b);
    const float *ya = obn_tensor_cdata(a[0]);
    const uint8_t *ma = obn_tensor_cdata(a[1]), *mb = obn_tensor_cdata(b[1]);
    int dropped = 0, differ = 0;
    for (int i = 0; i < N; i++) {
        ck_assert(ya[i] == (ma[i] ? xs[i] / 0.75f : 0.0f));
        dropped += !ma[i];
        differ += ma[i] != mb[i];
    }
    /* binomial(4000, 0.25): mean 1000, sd 27 */
    ck_assert_msg(dropped > 850 && dropped < 1150, "dropped %d of %d", dropped, N);
    ck_assert_msg(differ > 0, "two unseeded runs drew the same mask");
    ot_destroy(2, a);
    ot_destroy(2, b);
    obn_tensor_destroy(big);
    free(xs);
    tb_free(m);
    /* a seed numpy could not take is refused */
    m = training_model(0.5f, -1, true);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"drop\"", "'seed' is -1");
    tb_free(m);
    obn_tensor_destroy(in);
}
END_TEST

START_TEST(range_values)
{
    obn_status st;
    const int64_t s = 10, l = -3, d = -4, w[4] = {10, 6, 2, -2};
    obn_tensor *y = range(OBN_INT64, &s, &l, &d, &st);
    ck_assert_int_eq(st, OBN_OK);
    ot_expect_i64(y, w, 4);
    obn_tensor_destroy(y);
    const float fs = 1, fl = 2, fd = 0.25f;
    y = range(OBN_FLOAT, &fs, &fl, &fd, &st);
    ck_assert_int_eq(st, OBN_OK);
    const double fw[4] = {1, 1.25, 1.5, 1.75};
    ot_expect_f32(y, fw, 4, 0);
    obn_tensor_destroy(y);
    const int32_t is = 5, il = 5, id = 1;
    y = range(OBN_INT32, &is, &il, &id, &st); /* empty */
    ck_assert_int_eq(st, OBN_OK);
    ck_assert_int_eq(obn_tensor_numel(y), 0);
    obn_tensor_destroy(y);
    const int64_t zero = 0;
    y = range(OBN_INT64, &s, &l, &zero, &st);
    ck_assert_int_eq(st, OBN_E_INVALID_MODEL);
    ot_expect_message("\"range\"", "'delta' is 0", (const char *)NULL);
    const int64_t lo = INT64_MIN, hi = INT64_MAX, one = 1;
    y = range(OBN_INT64, &lo, &hi, &one, &st); /* 2^64 elements: rejected, no overflow */
    ck_assert_int_ne(st, OBN_OK);
}
END_TEST

/* Range-27: float16/bfloat16 computed in float32 (stash_type 1) and rounded
 * to the type once per value: bfloat16 256 + i for i < 4 gives 256, 256
 * (257 ties to even), 258, 260 (259 ties to even), where stepping in bfloat16
 * would stay at 256. Bit patterns worked out by hand. */
START_TEST(range_27_half_types)
{
    obn_status st;
    const uint16_t bs = 0x4380, bl = 0x4382, bd = 0x3F80; /* 256, 260, 1 */
    const uint16_t bw[4] = {0x4380, 0x4380, 0x4381, 0x4382};
    for (int stash = -1; stash <= 1; stash += 2) {
        obn_tensor *y = range_v(27, stash, OBN_BFLOAT16, &bs, &bl, &bd, &st);
        ck_assert_msg(st == OBN_OK, "%s", obn_last_error());
        ot_expect_bytes(y, OBN_BFLOAT16, bw, 4);
        obn_tensor_destroy(y);
    }
    const uint16_t hs = 0x3C00, hl = 0x4500, hd = 0x4000, hw[2] = {0x3C00, 0x4200}; /* 1, 5, 2 -> 1, 3 */
    obn_tensor *y = range_v(28, -1, OBN_FLOAT16, &hs, &hl, &hd, &st);
    ck_assert_msg(st == OBN_OK, "%s", obn_last_error());
    ot_expect_bytes(y, OBN_FLOAT16, hw, 2);
    obn_tensor_destroy(y);
    /* a stash type other than float32 is refused for them, ignored for the other types (the spec's function body) */
    range_v(27, OBN_FLOAT16, OBN_FLOAT16, &hs, &hl, &hd, &st);
    ck_assert_int_eq(st, OBN_E_UNSUPPORTED);
    ot_expect_message("\"range\"", "'stash_type' is 10", (const char *)NULL);
    const float fs = 1, fl = 2, fd = 0.5f;
    const double fw[2] = {1, 1.5};
    y = range_v(27, OBN_DOUBLE, OBN_FLOAT, &fs, &fl, &fd, &st);
    ck_assert_int_eq(st, OBN_OK);
    ot_expect_f32(y, fw, 2, 0);
    obn_tensor_destroy(y);
    /* before 27: no half types, no stash_type */
    range_v(26, -1, OBN_FLOAT16, &hs, &hl, &hd, &st);
    ck_assert_int_eq(st, OBN_E_UNSUPPORTED);
    ot_expect_message("float16", (const char *)NULL);
    range_v(26, 1, OBN_FLOAT, &fs, &fl, &fd, &st);
    ck_assert_int_eq(st, OBN_E_INVALID_MODEL);
    ot_expect_message("'stash_type' is not part of Range-11", (const char *)NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("norm_misc");
    TCase *t = tcase_create("norm_misc");
    tcase_add_test(t, dropout_inference);
    tcase_add_test(t, mt19937_matches_references);
    tcase_add_test(t, dropout_training);
    tcase_add_test(t, range_values);
    tcase_add_test(t, range_27_half_types);
    suite_add_tcase(s, t);
    return ot_main(s);
}
