/* Trilu against the spec's rule (upper keeps j - i >= k, lower j - i <= k)
 * evaluated here per element, for every k from far below to far above the
 * matrix, batched, several element types, k from an initializer, a graph
 * input or absent, plus the errors. */
#include "op_testing.h"

START_TEST(trilu_every_k)
{
    static const obn_dtype types[] = {OBN_FLOAT, OBN_INT64, OBN_BOOL, OBN_FLOAT16};
    const int64_t dims[3] = {2, 3, 5};
    for (int ti = 0; ti < 4; ti++) {
        obn_dtype dt = types[ti];
        size_t es = obn_dtype_size(dt);
        uint8_t x[30 * 8];
        for (size_t b = 0; b < 30 * es; b++) x[b] = (uint8_t)(b * 7 + 1) | 1; /* no element is all-zero bits */
        if (dt == OBN_BOOL) memset(x, 1, 30);
        for (int upper = 0; upper < 2; upper++)
            for (int64_t k = -7; k <= 7; k++) {
                int form = (int)((k + 7) % 3); /* 0: initializer, 1: graph input, 2: absent (k = 0 only) */
                if (form == 2 && k != 0) form = 0;
                tb_model *m = tb_new(14);
                tb_input(m, "x", dt, 3, dims);
                if (form == 0) tb_init_i64(m, "k", 0, NULL, &k);
                if (form == 1) tb_input(m, "k", OBN_INT64, 0, NULL);
                tb_attr_int(m, tb_node(m, "Trilu", "t", form == 2 ? "x" : "x,k", "y"), "upper", upper);
                tb_output(m, "y", dt, -1, NULL);
                obn_tensor *in[2] = {ot_tensor(dt, 3, dims, x), ot_tensor(OBN_INT64, 0, NULL, &k)}, *y;
                OT_RUN_OK(m, form == 1 ? 2 : 1, in, 1, &y);
                uint8_t want[30 * 8];
                for (int64_t e = 0; e < 30; e++) {
                    int64_t i = (e / 5) % 3, j = e % 5;
                    bool keep = upper ? j - i >= k : j - i <= k;
                    if (keep) memcpy(want + e * (int64_t)es, x + e * (int64_t)es, es);
                    else memset(want + e * (int64_t)es, 0, es);
                }
                ot_expect_shape(y, 3, dims);
                ot_expect_bytes(y, dt, want, 30);
                ot_destroy(2, in);
                obn_tensor_destroy(y);
                tb_free(m);
            }
    }
}
END_TEST

START_TEST(trilu_errors)
{
    const int64_t d1[1] = {4}, d2[2] = {2, 2}, two[1] = {2}, ks[2] = {0, 1};
    tb_model *m = tb_new(14);
    tb_input(m, "x", OBN_FLOAT, 1, d1);
    tb_node(m, "Trilu", "t", "x", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"t\"", "rank 1");
    tb_free(m);
    m = tb_new(14);
    tb_input(m, "x", OBN_FLOAT, 2, d2);
    tb_init_i64(m, "k", 1, two, ks);
    tb_node(m, "Trilu", "t", "x,k", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "input 'k' ('k') must be a scalar");
    tb_free(m);
    m = tb_new(14);
    tb_input(m, "x", OBN_FLOAT, 2, d2);
    const int32_t k32 = 1;
    tb_add_init(m, tb_tensor(m, "k", OBN_INT32, 0, NULL, &k32, 4));
    tb_node(m, "Trilu", "t", "x,k", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "'k'", "int32");
    tb_free(m);
    m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 2, d2);
    tb_node(m, "Trilu", "t", "x", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "Trilu");
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("trilu");
    TCase *t = tcase_create("trilu");
    tcase_add_test(t, trilu_every_k);
    tcase_add_test(t, trilu_errors);
    suite_add_tcase(s, t);
    return ot_main(s);
}
