/* The element types of IR 9-13 (float8 x4, uint4/int4, float4e2m1,
 * float8e8m0, uint2/int2) at the file boundary: every storage form of a
 * TensorProto (raw_data packed with the odd-count rule, int32_data, external
 * data), inconsistent sizes refused with the tensor named, .pb round trips
 * that pack again, initializers and model export, and the range check of
 * unpacked sub-byte data in obn_tensor_create. Byte layouts are worked out
 * by hand from onnx.proto's packing rule (element 0 in the low bits). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb_check.h"

static char *tmp;

static void setup(void) { tmp = tb_tmpdir(); }
static void teardown(void)
{
    tb_rmtree(tmp);
    free(tmp);
}

static const obn_dtype new_types[] = {OBN_FLOAT8E4M3FN, OBN_FLOAT8E4M3FNUZ, OBN_FLOAT8E5M2, OBN_FLOAT8E5M2FNUZ,
                                      OBN_UINT4,        OBN_INT4,           OBN_FLOAT4E2M1, OBN_FLOAT8E8M0,
                                      OBN_UINT2,        OBN_INT2};
#define N_NEW (sizeof new_types / sizeof new_types[0])

static int bits_of(obn_dtype dt)
{
    switch (dt) {
    case OBN_UINT4: case OBN_INT4: case OBN_FLOAT4E2M1: return 4;
    case OBN_UINT2: case OBN_INT2: return 2;
    default: return 8;
    }
}

/* A valid unpacked element of dt from a counter. */
static uint8_t element(obn_dtype dt, int i)
{
    int bits = bits_of(dt);
    uint8_t v = (uint8_t)(i * 37 + 11);
    if (bits == 8) return v;
    v &= (uint8_t)((1 << bits) - 1);
    if ((dt == OBN_INT4 || dt == OBN_INT2) && (v & (1 << (bits - 1)))) v |= (uint8_t)(0xff << bits);
    return v;
}

static void save_proto(const char *path, Onnx__TensorProto *tp)
{
    size_t n = onnx__tensor_proto__get_packed_size(tp);
    uint8_t *buf = malloc(n ? n : 1);
    onnx__tensor_proto__pack(tp, buf);
    tb_write_file(path, buf, n);
    free(buf);
}

/* The TensorProto a .pb file holds. */
static Onnx__TensorProto *read_proto(const char *path)
{
    uint8_t buf[4096];
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, n, buf);
    ck_assert_ptr_nonnull(tp);
    return tp;
}

START_TEST(names_sizes_and_codes)
{
    static const char *const names[] = {"float8e4m3fn", "float8e4m3fnuz", "float8e5m2", "float8e5m2fnuz", "uint4",
                                        "int4",         "float4e2m1",     "float8e8m0", "uint2",          "int2"};
    for (size_t i = 0; i < N_NEW; i++) {
        ck_assert_int_eq(new_types[i], 17 + (int)i); /* TensorProto.DataType */
        ck_assert_str_eq(obn_dtype_name(new_types[i]), names[i]);
        ck_assert_uint_eq(obn_dtype_size(new_types[i]), 1); /* unpacked in memory */
    }
    ck_assert_str_eq(obn_dtype_name((obn_dtype)27), "undefined");
    obn_tensor *t = NULL;
    int64_t d1[1] = {1};
    TB_EXPECT_ERR(obn_tensor_create((obn_dtype)27, 1, d1, NULL, &t), OBN_E_INVALID_ARGUMENT, "27");
}
END_TEST

/* Round trips through a .pb for every new type and shapes with element
 * counts that do not fill the last byte; the file holds them packed. */
START_TEST(pb_round_trip_packs)
{
    static const struct {
        size_t rank;
        int64_t dims[3];
    } shapes[] = {{0, {0}}, {1, {1}}, {1, {3}}, {1, {7}}, {2, {2, 3}}, {3, {2, 0, 5}}, {2, {5, 5}}};
    char *path = tb_path(tmp, "t.pb");
    for (size_t i = 0; i < N_NEW; i++)
        for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
            obn_dtype dt = new_types[i];
            int64_t n = 1;
            for (size_t d = 0; d < shapes[k].rank; d++) n *= shapes[k].dims[d];
            uint8_t data[32];
            for (int e = 0; e < n; e++) data[e] = element(dt, e + (int)k);
            obn_tensor *t = NULL, *back = NULL;
            TB_EXPECT_OK(obn_tensor_create(dt, shapes[k].rank, shapes[k].dims, data, &t));
            TB_EXPECT_OK(obn_tensor_save(t, "x", path));
            Onnx__TensorProto *tp = read_proto(path);
            int bits = bits_of(dt);
            ck_assert_int_eq(tp->data_type, dt);
            ck_assert_uint_eq(tp->raw_data.len, (size_t)((n * bits + 7) / 8));
            for (int e = 0; e < n; e++) {
                int byte = e * bits / 8, shift = e * bits % 8;
                ck_assert_uint_eq((tp->raw_data.data[byte] >> shift) & ((1u << bits) - 1),
                                  data[e] & ((1u << bits) - 1));
            }
            if (n * bits % 8) /* zero padding above the last element */
                ck_assert_uint_eq(tp->raw_data.data[tp->raw_data.len - 1] >> (n * bits % 8), 0);
            onnx__tensor_proto__free_unpacked(tp, NULL);
            TB_EXPECT_OK(obn_tensor_load(path, &back));
            ck_assert_int_eq(obn_tensor_dtype(back), dt);
            ck_assert_int_eq(obn_tensor_numel(back), n);
            ck_assert_uint_eq(obn_tensor_nbytes(back), (size_t)n);
            if (n) ck_assert_mem_eq(obn_tensor_cdata(back), data, (size_t)n);
            obn_tensor_destroy(t);
            obn_tensor_destroy(back);
        }
    free(path);
}
END_TEST

static obn_tensor *load_tp(Onnx__TensorProto *tp)
{
    char *path = tb_path(tmp, "f.pb");
    save_proto(path, tp);
    obn_tensor *t = NULL;
    TB_EXPECT_OK(obn_tensor_load(path, &t));
    free(path);
    return t;
}

static void expect_load_error(Onnx__TensorProto *tp, obn_status code, const char *w1, const char *w2)
{
    char *path = tb_path(tmp, "f.pb");
    save_proto(path, tp);
    obn_tensor *t = NULL;
    TB_EXPECT_ERR(obn_tensor_load(path, &t), code, path, w1, w2);
    ck_assert_ptr_null(t);
    free(path);
}

START_TEST(raw_data_layouts)
{
    tb_model *m = tb_new(0);
    /* int4 {7, -8, -7}: 0x87, then 0x09 with a zero high nibble */
    int64_t d3[1] = {3}, d5[1] = {5}, d7[1] = {7};
    obn_tensor *t = load_tp(tb_tensor(m, "i4", OBN_INT4, 1, d3, "\x87\x09", 2));
    const int8_t *i4 = obn_tensor_cdata(t);
    ck_assert_int_eq(i4[0], 7);
    ck_assert_int_eq(i4[1], -8);
    ck_assert_int_eq(i4[2], -7);
    obn_tensor_destroy(t);
    /* the same bytes as uint4 and float4e2m1: 7, 8, 9 zero-extended */
    t = load_tp(tb_tensor(m, "u4", OBN_UINT4, 1, d3, "\x87\x09", 2));
    ck_assert_mem_eq(obn_tensor_cdata(t), "\x07\x08\x09", 3);
    obn_tensor_destroy(t);
    t = load_tp(tb_tensor(m, "f4", OBN_FLOAT4E2M1, 1, d3, "\x87\x09", 2));
    ck_assert(obn_tensor_value(t, 0) == 6.0 && obn_tensor_value(t, 1) == 0.0 && obn_tensor_value(t, 2) == -0.5);
    obn_tensor_destroy(t);
    /* int2 {1,-2,-1,0,1}: 0x39, 0x01 */
    t = load_tp(tb_tensor(m, "i2", OBN_INT2, 1, d5, "\x39\x01", 2));
    ck_assert_mem_eq(obn_tensor_cdata(t), "\x01\xfe\xff\x00\x01", 5);
    obn_tensor_destroy(t);
    t = load_tp(tb_tensor(m, "u2", OBN_UINT2, 1, d5, "\x39\x01", 2));
    ck_assert_mem_eq(obn_tensor_cdata(t), "\x01\x02\x03\x00\x01", 5);
    obn_tensor_destroy(t);
    /* float8: one byte each */
    t = load_tp(tb_tensor(m, "f8", OBN_FLOAT8E4M3FN, 1, d3, "\x38\x7e\x80", 3));
    ck_assert(obn_tensor_value(t, 0) == 1.0 && obn_tensor_value(t, 1) == 448.0 && obn_tensor_value(t, 2) == 0.0);
    obn_tensor_destroy(t);
    t = load_tp(tb_tensor(m, "e8", OBN_FLOAT8E8M0, 1, d3, "\x7f\x00\xff", 3));
    ck_assert(obn_tensor_value(t, 0) == 1.0 && obn_tensor_value(t, 1) == 0x1p-127);
    ck_assert(isnan(obn_tensor_value(t, 2)));
    obn_tensor_destroy(t);
    /* sizes that do not match the packed shape */
    expect_load_error(tb_tensor(m, "i4", OBN_INT4, 1, d3, "\x87\x09\x00", 3), OBN_E_INVALID_MODEL,
                      "'i4'", "raw_data has 3 bytes, but 3 elements of int4 need 2");
    expect_load_error(tb_tensor(m, "u2", OBN_UINT2, 1, d7, "\x39", 1), OBN_E_INVALID_MODEL, "'u2'",
                      "7 elements of uint2 need 2");
    expect_load_error(tb_tensor(m, "f8", OBN_FLOAT8E5M2, 1, d3, "\x38", 1), OBN_E_INVALID_MODEL, "'f8'",
                      "3 elements of float8e5m2 need 3");
    tb_free(m);
}
END_TEST

START_TEST(int32_data_layouts)
{
    tb_model *m = tb_new(0);
    int64_t d3[1] = {3}, d5[1] = {5}, d1[1] = {1};
    /* float8: one bit pattern per value */
    Onnx__TensorProto *tp = tb_tensor_nodata(m, "f8", OBN_FLOAT8E5M2FNUZ, 1, d3);
    tb_set_int32_data(m, tp, 3, (const int32_t[]){0x40, 0x7f, 0x80});
    obn_tensor *t = load_tp(tp);
    ck_assert(obn_tensor_value(t, 0) == 1.0 && obn_tensor_value(t, 1) == 57344.0);
    ck_assert(isnan(obn_tensor_value(t, 2)));
    obn_tensor_destroy(t);
    /* int4: one packed byte per value, the odd element alone in the last */
    tp = tb_tensor_nodata(m, "i4", OBN_INT4, 1, d3);
    tb_set_int32_data(m, tp, 2, (const int32_t[]){0x87, 0x09});
    t = load_tp(tp);
    ck_assert_mem_eq(obn_tensor_cdata(t), "\x07\xf8\xf9", 3);
    obn_tensor_destroy(t);
    tp = tb_tensor_nodata(m, "u4", OBN_UINT4, 1, d1);
    tb_set_int32_data(m, tp, 1, (const int32_t[]){0x0f});
    t = load_tp(tp);
    ck_assert_uint_eq(((const uint8_t *)obn_tensor_cdata(t))[0], 15);
    obn_tensor_destroy(t);
    /* uint2: four per value */
    tp = tb_tensor_nodata(m, "u2", OBN_UINT2, 1, d5);
    tb_set_int32_data(m, tp, 2, (const int32_t[]){0x39, 0x02});
    t = load_tp(tp);
    ck_assert_mem_eq(obn_tensor_cdata(t), "\x01\x02\x03\x00\x02", 5);
    obn_tensor_destroy(t);
    /* wrong counts and values that are not a byte */
    tp = tb_tensor_nodata(m, "i4", OBN_INT4, 1, d5);
    tb_set_int32_data(m, tp, 5, (const int32_t[]){1, 2, 3, 4, 5});
    expect_load_error(tp, OBN_E_INVALID_MODEL, "'i4'", "int32_data has 5 values, but 5 elements of int4 need 3");
    tp = tb_tensor_nodata(m, "f8", OBN_FLOAT8E4M3FN, 1, d3);
    tb_set_int32_data(m, tp, 2, (const int32_t[]){1, 2});
    expect_load_error(tp, OBN_E_INVALID_MODEL, "'f8'", "int32_data has 2 values, but the shape needs 3");
    tp = tb_tensor_nodata(m, "f8", OBN_FLOAT8E4M3FN, 1, d1);
    tb_set_int32_data(m, tp, 1, (const int32_t[]){256});
    expect_load_error(tp, OBN_E_INVALID_MODEL, "'f8'", "int32_data[0] is 256");
    tp = tb_tensor_nodata(m, "u2", OBN_UINT2, 1, d1);
    tb_set_int32_data(m, tp, 1, (const int32_t[]){-1});
    expect_load_error(tp, OBN_E_INVALID_MODEL, "'u2'", "int32_data[0] is -1");
    /* a field of another type */
    tp = tb_tensor_nodata(m, "e8", OBN_FLOAT8E8M0, 1, d1);
    tb_set_float_data(m, tp, 1, (const float[]){1.0f});
    expect_load_error(tp, OBN_E_INVALID_MODEL, "'e8'", "float_data (expected int32_data)");
    tb_free(m);
}
END_TEST

START_TEST(external_data_is_packed)
{
    tb_model *m = tb_new(0);
    int64_t d5[1] = {5};
    char *bin = tb_path(tmp, "w.bin");
    tb_write_file(bin, "\x87\xa9\x0b", 3);
    Onnx__TensorProto *tp = tb_tensor_nodata(m, "w", OBN_INT4, 1, d5);
    tb_set_external(m, tp, "w.bin", -1, -1);
    obn_tensor *t = load_tp(tp);
    ck_assert_mem_eq(obn_tensor_cdata(t), "\x07\xf8\xf9\xfa\xfb", 5);
    obn_tensor_destroy(t);
    tp = tb_tensor_nodata(m, "w", OBN_INT4, 1, d5);
    tb_set_external(m, tp, "w.bin", 0, 5);
    expect_load_error(tp, OBN_E_INVALID_MODEL, "'w'", "length 5 does not match 5 elements of int4 (3 bytes)");
    free(bin);
    tb_free(m);
}
END_TEST

/* Initializers of every new type survive load, run (as graph outputs) and
 * export with obn_model_save. */
START_TEST(initializers_and_export)
{
    tb_model *m = tb_new(13);
    tb_proto(m)->ir_version = 10;
    int64_t d3[1] = {3};
    for (size_t i = 0; i < N_NEW; i++) {
        char name[16];
        snprintf(name, sizeof name, "w%zu", i);
        uint8_t raw[3];
        int bits = bits_of(new_types[i]);
        uint8_t un[3] = {element(new_types[i], 1), element(new_types[i], 2), element(new_types[i], 3)};
        if (bits == 8) memcpy(raw, un, 3);
        else {
            memset(raw, 0, 3);
            for (int e = 0; e < 3; e++) raw[e * bits / 8] |= (uint8_t)((un[e] & ((1 << bits) - 1)) << (e * bits % 8));
        }
        tb_add_init(m, tb_tensor(m, name, new_types[i], 1, d3, raw, (size_t)(3 * bits + 7) / 8));
        tb_output(m, name, new_types[i], 1, d3);
    }
    char *path = tb_path(tmp, "m.onnx");
    obn_model *model = NULL, *again = NULL;
    TB_EXPECT_OK(tb_load(m, &model));
    TB_EXPECT_OK(obn_model_save(model, path));
    TB_EXPECT_OK(obn_model_load(path, &again));
    obn_tensor *outs[N_NEW];
    TB_EXPECT_OK(tb_run(again, 1, 0, 0, NULL, N_NEW, outs));
    for (size_t i = 0; i < N_NEW; i++) {
        uint8_t un[3] = {element(new_types[i], 1), element(new_types[i], 2), element(new_types[i], 3)};
        ck_assert_int_eq(obn_tensor_dtype(outs[i]), new_types[i]);
        ck_assert_mem_eq(obn_tensor_cdata(outs[i]), un, 3);
        obn_tensor_destroy(outs[i]);
    }
    obn_model_destroy(model);
    obn_model_destroy(again);
    free(path);
    tb_free(m);
}
END_TEST

START_TEST(unpacked_values_are_range_checked)
{
    int64_t d2[1] = {2};
    obn_tensor *t = NULL;
    TB_EXPECT_OK(obn_tensor_create(OBN_INT4, 1, d2, "\xf8\x07", &t)); /* -8, 7 */
    obn_tensor_destroy(t);
    TB_EXPECT_ERR(obn_tensor_create(OBN_INT4, 1, d2, "\x00\x08", &t), OBN_E_INVALID_ARGUMENT, "obn_tensor_create",
                  "element 1 is byte 0x08, not a int4", "-8..7");
    TB_EXPECT_ERR(obn_tensor_create(OBN_UINT2, 1, d2, "\x03\x04", &t), OBN_E_INVALID_ARGUMENT, "uint2", "0..3");
    TB_EXPECT_ERR(obn_tensor_create(OBN_FLOAT4E2M1, 1, d2, "\x10\x00", &t), OBN_E_INVALID_ARGUMENT, "float4e2m1");
    TB_EXPECT_ERR(obn_tensor_create(OBN_INT2, 1, d2, "\xfe\xfd", &t), OBN_E_INVALID_ARGUMENT, "int2", "-2..1");
    ck_assert_ptr_null(t);
    uint8_t buf[2] = {0x0f, 0x10};
    TB_EXPECT_ERR(obn_tensor_wrap(OBN_UINT4, 1, d2, buf, 2, &t), OBN_E_INVALID_ARGUMENT, "obn_tensor_wrap", "uint4");
    /* float8 accepts every byte */
    TB_EXPECT_OK(obn_tensor_create(OBN_FLOAT8E4M3FN, 1, d2, "\xff\x7f", &t));
    ck_assert(isnan(obn_tensor_value(t, 0)));
    ck_assert(isnan(obn_tensor_value(t, 2))); /* out of range */
    obn_tensor_destroy(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lowp_tensors");
    TCase *t = tcase_create("lowp_tensors");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, names_sizes_and_codes);
    tcase_add_test(t, pb_round_trip_packs);
    tcase_add_test(t, raw_data_layouts);
    tcase_add_test(t, int32_data_layouts);
    tcase_add_test(t, external_data_is_packed);
    tcase_add_test(t, initializers_and_export);
    tcase_add_test(t, unpacked_values_are_range_checked);
    suite_add_tcase(s, t);
    return tb_run_suite(s);
}
