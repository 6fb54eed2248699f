/* Every way ONNX stores initializer data, read back through a model: the
 * initializer "w" feeds Identity, whose output is compared byte for byte
 * with what the spec says the storage means (onnx.proto, TensorProto). */
#include <stdlib.h>
#include <string.h>

#include "tb_check.h"

static const int64_t D23[2] = {2, 3};

/* Adds `w -> Identity -> y`, loads, runs (no inputs) and compares y with
 * the expected bytes. */
static void expect_bytes(tb_model *m, int dtype, int rank, const int64_t *dims, const void *want, size_t nbytes)
{
    tb_node(m, "Identity", "id", "w", "y");
    tb_output(m, "y", dtype, rank, dims);
    obn_model *model = NULL;
    TB_EXPECT_OK(tb_load(m, &model));
    ck_assert_uint_eq(obn_model_input_count(model), 0);
    obn_model_meta meta;
    obn_model_get_meta(model, &meta);
    ck_assert_uint_eq(meta.initializer_bytes, nbytes);
    obn_session *s = NULL;
    TB_EXPECT_OK(obn_session_create(model, NULL, &s));
    const obn_tensor *y = NULL;
    TB_EXPECT_OK(obn_session_run(s, 0, NULL, NULL, 1, NULL, &y));
    ck_assert_int_eq(obn_tensor_dtype(y), dtype);
    ck_assert_uint_eq(obn_tensor_rank(y), (size_t)rank);
    for (int i = 0; i < rank; i++) ck_assert_int_eq(obn_tensor_dims(y)[i], dims[i]);
    ck_assert_uint_eq(obn_tensor_nbytes(y), nbytes);
    if (nbytes) ck_assert_int_eq(memcmp(obn_tensor_cdata(y), want, nbytes), 0);
    obn_session_destroy(s);
    obn_model_destroy(model);
}

START_TEST(raw_data_for_every_storable_type)
{
    static const int types[] = {OBN_FLOAT, OBN_UINT8, OBN_INT8, OBN_UINT16, OBN_INT16, OBN_INT32, OBN_INT64,
                                OBN_BOOL, OBN_FLOAT16, OBN_DOUBLE, OBN_UINT32, OBN_UINT64, OBN_BFLOAT16};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t esize = obn_dtype_size(types[i]);
        ck_assert_uint_gt(esize, 0);
        unsigned char bytes[6 * 8];
        for (size_t b = 0; b < sizeof bytes; b++) bytes[b] = (unsigned char)(b * 37 + i);
        if (types[i] == OBN_BOOL)
            for (size_t b = 0; b < 6; b++) bytes[b] = b & 1;
        tb_model *m = tb_new(15);
        tb_add_init(m, tb_tensor(m, "w", types[i], 2, D23, bytes, 6 * esize));
        expect_bytes(m, types[i], 2, D23, bytes, 6 * esize);
        tb_free(m);
    }
}
END_TEST

START_TEST(float_data)
{
    static const float v[6] = {1.5f, -2.25f, 0.0f, 3e38f, -1e-40f /* subnormal */, 42.0f};
    tb_model *m = tb_new(15);
    tb_set_float_data(m, tb_add_init(m, tb_tensor_nodata(m, "w", OBN_FLOAT, 2, D23)), 6, v);
    expect_bytes(m, OBN_FLOAT, 2, D23, v, sizeof v);
    tb_free(m);
}
END_TEST

START_TEST(int32_data_for_small_integer_types)
{
    /* int8/int16/uint8/uint16/bool/int32 are all stored one value per int32 */
    static const int32_t i8[6] = {-128, -1, 0, 1, 100, 127};
    static const int8_t i8_want[6] = {-128, -1, 0, 1, 100, 127};
    static const int32_t i16[6] = {-32768, -300, 0, 300, 32767, 7};
    static const int16_t i16_want[6] = {-32768, -300, 0, 300, 32767, 7};
    static const int32_t u8[6] = {0, 1, 127, 128, 200, 255};
    static const uint8_t u8_want[6] = {0, 1, 127, 128, 200, 255};
    static const int32_t u16[6] = {0, 1, 40000, 65535, 256, 3};
    static const uint16_t u16_want[6] = {0, 1, 40000, 65535, 256, 3};
    static const int32_t b[6] = {0, 1, 1, 0, 0, 1};
    static const uint8_t b_want[6] = {0, 1, 1, 0, 0, 1};
    static const int32_t i32[6] = {INT32_MIN, -1, 0, 1, 123456789, INT32_MAX};
    const struct {
        int type;
        const int32_t *v;
        const void *want;
        size_t esize;
    } cases[] = {{OBN_INT8, i8, i8_want, 1},   {OBN_INT16, i16, i16_want, 2}, {OBN_UINT8, u8, u8_want, 1},
                 {OBN_UINT16, u16, u16_want, 2}, {OBN_BOOL, b, b_want, 1},      {OBN_INT32, i32, i32, 4}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tb_model *m = tb_new(15);
        tb_set_int32_data(m, tb_add_init(m, tb_tensor_nodata(m, "w", cases[i].type, 2, D23)), 6, cases[i].v);
        expect_bytes(m, cases[i].type, 2, D23, cases[i].want, 6 * cases[i].esize);
        tb_free(m);
    }
}
END_TEST

START_TEST(int64_double_and_uint64_data)
{
    static const int64_t i64[6] = {INT64_MIN, -1, 0, 1, (int64_t)1 << 40, INT64_MAX};
    tb_model *m = tb_new(15);
    tb_set_int64_data(m, tb_add_init(m, tb_tensor_nodata(m, "w", OBN_INT64, 2, D23)), 6, i64);
    expect_bytes(m, OBN_INT64, 2, D23, i64, sizeof i64);
    tb_free(m);

    static const double d[6] = {1e300, -1e-300, 0.1, -0.0, 3.0, 2.5};
    m = tb_new(15);
    tb_set_double_data(m, tb_add_init(m, tb_tensor_nodata(m, "w", OBN_DOUBLE, 2, D23)), 6, d);
    expect_bytes(m, OBN_DOUBLE, 2, D23, d, sizeof d);
    tb_free(m);

    static const uint64_t u64[6] = {0, 1, UINT64_MAX, (uint64_t)1 << 63, 12345, 99};
    m = tb_new(15);
    tb_set_uint64_data(m, tb_add_init(m, tb_tensor_nodata(m, "w", OBN_UINT64, 2, D23)), 6, u64);
    expect_bytes(m, OBN_UINT64, 2, D23, u64, sizeof u64);
    tb_free(m);

    /* uint32 lives in uint64_data */
    static const uint64_t u32[6] = {0, 1, UINT32_MAX, (uint64_t)1 << 31, 77, 5};
    static const uint32_t u32_want[6] = {0, 1, UINT32_MAX, (uint32_t)1 << 31, 77, 5};
    m = tb_new(15);
    tb_set_uint64_data(m, tb_add_init(m, tb_tensor_nodata(m, "w", OBN_UINT32, 2, D23)), 6, u32);
    expect_bytes(m, OBN_UINT32, 2, D23, u32_want, sizeof u32_want);
    tb_free(m);
}
END_TEST

START_TEST(float16_and_bfloat16_bits_in_int32_data)
{
    /* the 16 bits sit in the low half of each int32 value */
    static const int32_t h[6] = {0x3c00 /* 1 */, 0xc000 /* -2 */, 0x7c00 /* inf */, 0x0001 /* min subnormal */,
                                 0x7bff /* 65504 */, 0x7e00 /* nan */};
    static const uint16_t h_want[6] = {0x3c00, 0xc000, 0x7c00, 0x0001, 0x7bff, 0x7e00};
    tb_model *m = tb_new(15);
    tb_set_int32_data(m, tb_add_init(m, tb_tensor_nodata(m, "w", OBN_FLOAT16, 2, D23)), 6, h);
    expect_bytes(m, OBN_FLOAT16, 2, D23, h_want, sizeof h_want);
    tb_free(m);

    static const int32_t bf[6] = {0x3f80 /* 1 */, 0xc000 /* -2 */, 0x7f80 /* inf */, 0x0001, 0x7f7f, 0x7fc0};
    static const uint16_t bf_want[6] = {0x3f80, 0xc000, 0x7f80, 0x0001, 0x7f7f, 0x7fc0};
    m = tb_new(15);
    tb_set_int32_data(m, tb_add_init(m, tb_tensor_nodata(m, "w", OBN_BFLOAT16, 2, D23)), 6, bf);
    expect_bytes(m, OBN_BFLOAT16, 2, D23, bf_want, sizeof bf_want);
    tb_free(m);
}
END_TEST

START_TEST(rank0_scalars)
{
    float f = 2.5f;
    tb_model *m = tb_new(15);
    tb_add_init(m, tb_tensor(m, "w", OBN_FLOAT, 0, NULL, &f, 4));
    expect_bytes(m, OBN_FLOAT, 0, NULL, &f, 4);
    tb_free(m);

    int64_t i = -9;
    m = tb_new(15);
    tb_set_int64_data(m, tb_add_init(m, tb_tensor_nodata(m, "w", OBN_INT64, 0, NULL)), 1, &i);
    expect_bytes(m, OBN_INT64, 0, NULL, &i, 8);
    tb_free(m);

    /* a scalar needs exactly one value */
    m = tb_new(15);
    tb_add_init(m, tb_tensor_nodata(m, "w", OBN_INT64, 0, NULL));
    tb_node(m, "Identity", "id", "w", "y");
    tb_output(m, "y", OBN_INT64, 0, NULL);
    obn_model *model = NULL;
    TB_EXPECT_ERR(tb_load(m, &model), OBN_E_INVALID_MODEL, "'w'", "int64_data has 0 values", "needs 1");
    tb_free(m);
}
END_TEST

START_TEST(zero_size_tensors)
{
    static const int64_t shapes[3][3] = {{0, 1, 1}, {2, 0, 3}, {4, 5, 0}};
    for (int i = 0; i < 3; i++) {
        int rank = i == 0 ? 1 : 3;
        tb_model *m = tb_new(15);
        tb_add_init(m, tb_tensor(m, "w", OBN_FLOAT, rank, shapes[i], NULL, 0)); /* empty raw_data */
        expect_bytes(m, OBN_FLOAT, rank, shapes[i], NULL, 0);
        tb_free(m);

        m = tb_new(15);
        tb_add_init(m, tb_tensor_nodata(m, "w", OBN_INT64, rank, shapes[i])); /* no data at all */
        expect_bytes(m, OBN_INT64, rank, shapes[i], NULL, 0);
        tb_free(m);
    }
    /* values for a zero-size tensor are a mismatch */
    tb_model *m = tb_new(15);
    float one = 1;
    tb_set_float_data(m, tb_add_init(m, tb_tensor_nodata(m, "w", OBN_FLOAT, 3, shapes[1])), 1, &one);
    tb_node(m, "Identity", "id", "w", "y");
    tb_output(m, "y", OBN_FLOAT, 3, shapes[1]);
    obn_model *model = NULL;
    TB_EXPECT_ERR(tb_load(m, &model), OBN_E_INVALID_MODEL, "'w'", "float_data has 1 values", "needs 0");
    tb_free(m);
}
END_TEST

START_TEST(initializer_as_graph_output)
{
    /* an initializer can be a graph output directly (no node at all) */
    static const float v[6] = {1, 2, 3, 4, 5, 6};
    tb_model *m = tb_new(15);
    tb_init_f32(m, "w", 2, D23, v);
    tb_output(m, "w", OBN_FLOAT, 2, D23);
    obn_model *model = NULL;
    TB_EXPECT_OK(tb_load(m, &model));
    obn_session *s = NULL;
    TB_EXPECT_OK(obn_session_create(model, NULL, &s));
    const obn_tensor *y = NULL;
    TB_EXPECT_OK(obn_session_run(s, 0, NULL, NULL, 1, NULL, &y));
    ck_assert_int_eq(memcmp(obn_tensor_cdata(y), v, sizeof v), 0);
    obn_session_destroy(s);
    obn_model_destroy(model);
    tb_free(m);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("initializers");
    TCase *t = tcase_create("storage_forms");
    tcase_add_test(t, raw_data_for_every_storable_type);
    tcase_add_test(t, float_data);
    tcase_add_test(t, int32_data_for_small_integer_types);
    tcase_add_test(t, int64_double_and_uint64_data);
    tcase_add_test(t, float16_and_bfloat16_bits_in_int32_data);
    tcase_add_test(t, rank0_scalars);
    tcase_add_test(t, zero_size_tensors);
    tcase_add_test(t, initializer_as_graph_output);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
