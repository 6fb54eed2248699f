/* The loader refuses what it would otherwise silently change: a typed-field
 * value out of range for its element type (int32_data 70000 for a uint8
 * tensor would be stored as 112), and an initializer that is also a graph
 * input whose declared type does not describe it. The boundary values of
 * each range load unchanged. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tb_check.h"

static const int64_t D2[1] = {2};

/* w (type, two int32_data values) -> Identity -> y */
static obn_status load_int32(int type, int32_t a, int32_t b, obn_model **out)
{
    tb_model *m = tb_new(15);
    const int32_t v[2] = {a, b};
    tb_set_int32_data(m, tb_add_init(m, tb_tensor_nodata(m, "w", type, 1, D2)), 2, v);
    tb_node(m, "Identity", "id", "w", "y");
    tb_output(m, "y", type, 1, D2);
    obn_status s = tb_load(m, out);
    tb_free(m);
    return s;
}

START_TEST(int32_data_out_of_range)
{
    const struct {
        int type;
        int32_t lo, hi;
    } cases[] = {{OBN_INT8, -128, 127},    {OBN_UINT8, 0, 255},       {OBN_INT16, -32768, 32767},
                 {OBN_UINT16, 0, 65535},   {OBN_FLOAT16, 0, 65535},   {OBN_BFLOAT16, 0, 65535},
                 {OBN_BOOL, 0, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        obn_model *m = NULL;
        const char *name = obn_dtype_name(cases[i].type);
        /* the bounds themselves load */
        TB_EXPECT_OK(load_int32(cases[i].type, cases[i].lo, cases[i].hi, &m));
        obn_session *s = NULL;
        TB_EXPECT_OK(obn_session_create(m, NULL, &s));
        const obn_tensor *y = NULL;
        TB_EXPECT_OK(obn_session_run(s, 0, NULL, NULL, 1, NULL, &y));
        const uint8_t *p = obn_tensor_cdata(y);
        size_t es = obn_dtype_size(cases[i].type);
        int64_t got_lo = 0, got_hi = 0;
        if (es == 1) {
            got_lo = cases[i].lo < 0 ? (int8_t)p[0] : p[0];
            got_hi = cases[i].lo < 0 ? (int8_t)p[1] : p[1];
        } else {
            uint16_t u[2];
            memcpy(u, p, sizeof u);
            got_lo = cases[i].lo < 0 ? (int16_t)u[0] : u[0];
            got_hi = cases[i].lo < 0 ? (int16_t)u[1] : u[1];
        }
        ck_assert_msg(got_lo == cases[i].lo && got_hi == cases[i].hi, "%s: got %lld..%lld", name,
                      (long long)got_lo, (long long)got_hi);
        obn_session_destroy(s);
        obn_model_destroy(m);
        /* one past either end is refused, naming the tensor, the index and the range */
        char range[64];
        snprintf(range, sizeof range, "(%d..%d)", (int)cases[i].lo, (int)cases[i].hi);
        TB_EXPECT_ERR(load_int32(cases[i].type, cases[i].lo, cases[i].hi + 1, &m), OBN_E_INVALID_MODEL, "'w'",
                      name, "int32_data[1]", "out of range", range);
        ck_assert_ptr_null(m);
        TB_EXPECT_ERR(load_int32(cases[i].type, cases[i].lo - 1, cases[i].hi, &m), OBN_E_INVALID_MODEL, "'w'",
                      "int32_data[0]", range);
    }
    obn_model *m = NULL;
    TB_EXPECT_ERR(load_int32(OBN_UINT8, 70000, 1, &m), OBN_E_INVALID_MODEL, "'w'", "uint8", "int32_data[0] is 70000");
    /* int32 takes every int32 */
    TB_EXPECT_OK(load_int32(OBN_INT32, INT32_MIN, INT32_MAX, &m));
    obn_model_destroy(m);
}
END_TEST

START_TEST(uint32_in_uint64_data)
{
    for (int past = 0; past < 2; past++) {
        tb_model *m = tb_new(15);
        const uint64_t v[2] = {0, (uint64_t)UINT32_MAX + (uint64_t)past};
        tb_set_uint64_data(m, tb_add_init(m, tb_tensor_nodata(m, "w", OBN_UINT32, 1, D2)), 2, v);
        tb_node(m, "Identity", "id", "w", "y");
        tb_output(m, "y", OBN_UINT32, 1, D2);
        obn_model *model = NULL;
        if (past) {
            TB_EXPECT_ERR(tb_load(m, &model), OBN_E_INVALID_MODEL, "'w'", "uint64_data[1] is 4294967296",
                          "out of range for uint32");
        } else {
            TB_EXPECT_OK(tb_load(m, &model));
            obn_model_destroy(model);
        }
        tb_free(m);
    }
}
END_TEST

/* IR 3: the weight w [2,3] float is an initializer and a graph input
 * declared (dtype, rank, dims); y = x + w. */
static obn_status load_ir3(int dtype, int rank, const int64_t *dims, obn_model **out)
{
    static const int64_t d23[2] = {2, 3};
    static const float w[6] = {1, 2, 3, 4, 5, 6};
    tb_model *m = tb_new(7);
    tb_proto(m)->ir_version = 3;
    tb_input(m, "x", OBN_FLOAT, 2, d23);
    tb_input(m, "w", dtype, rank, dims);
    tb_init_f32(m, "w", 2, d23, w);
    tb_node(m, "Add", "add", "x,w", "y");
    tb_output(m, "y", OBN_FLOAT, 2, d23);
    obn_status s = tb_load(m, out);
    tb_free(m);
    return s;
}

START_TEST(initializer_that_is_also_an_input)
{
    obn_model *m = NULL;
    static const int64_t d23[2] = {2, 3}, d32[2] = {3, 2}, dn3[2] = {-1, 3}, d6[1] = {6};
    TB_EXPECT_OK(load_ir3(OBN_FLOAT, 2, d23, &m));
    ck_assert_uint_eq(obn_model_input_count(m), 1); /* w stays a constant */
    obn_model_destroy(m);
    TB_EXPECT_OK(load_ir3(OBN_FLOAT, 2, dn3, &m)); /* a symbolic dim matches */
    obn_model_destroy(m);
    TB_EXPECT_OK(load_ir3(OBN_FLOAT, -1, NULL, &m)); /* no shape declared */
    obn_model_destroy(m);
    TB_EXPECT_ERR(load_ir3(OBN_DOUBLE, 2, d23, &m), OBN_E_INVALID_MODEL, "graph input 'w'", "declared double",
                  "initializer is float");
    TB_EXPECT_ERR(load_ir3(OBN_FLOAT, 2, d32, &m), OBN_E_INVALID_MODEL, "graph input 'w'", "[3,2]", "[2,3]");
    TB_EXPECT_ERR(load_ir3(OBN_FLOAT, 1, d6, &m), OBN_E_INVALID_MODEL, "graph input 'w'", "[6]", "[2,3]");
    ck_assert_ptr_null(m);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("loader_strict");
    TCase *t = tcase_create("loader_strict");
    tcase_add_test(t, int32_data_out_of_range);
    tcase_add_test(t, uint32_in_uint64_data);
    tcase_add_test(t, initializer_that_is_also_an_input);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
