/* obn_tensor_load / obn_tensor_save: .pb round trips for every storable
 * type and odd shapes, .npy files in format 1.0/2.0/3.0 written here byte by
 * byte, and malformed files of both kinds rejected with the file named. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tb_check.h"

static char *tmp;

static void setup(void) { tmp = tb_tmpdir(); }
static void teardown(void)
{
    tb_rmtree(tmp);
    free(tmp);
}

static void fill(void *data, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) ((unsigned char *)data)[i] = (unsigned char)(i * 31 + seed);
}

static void expect_tensor(const obn_tensor *t, obn_dtype dtype, size_t rank, const int64_t *dims, const void *data)
{
    ck_assert_int_eq(obn_tensor_dtype(t), dtype);
    ck_assert_uint_eq(obn_tensor_rank(t), rank);
    for (size_t i = 0; i < rank; i++) ck_assert_int_eq(obn_tensor_dims(t)[i], dims[i]);
    if (obn_tensor_nbytes(t)) ck_assert_int_eq(memcmp(obn_tensor_cdata(t), data, obn_tensor_nbytes(t)), 0);
}

/* ------------------------------------------------------------------ .pb */

START_TEST(pb_round_trip_every_type_and_shape)
{
    static const obn_dtype types[] = {OBN_FLOAT, OBN_UINT8, OBN_INT8, OBN_UINT16, OBN_INT16, OBN_INT32, OBN_INT64,
                                      OBN_BOOL, OBN_FLOAT16, OBN_DOUBLE, OBN_UINT32, OBN_UINT64, OBN_BFLOAT16};
    static const struct {
        size_t rank;
        int64_t dims[8];
    } shapes[] = {{0, {0}}, {1, {7}}, {2, {2, 3}}, {3, {2, 0, 5}}, {8, {1, 2, 1, 2, 1, 2, 1, 3}}};
    char *path = tb_path(tmp, "t.pb");
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
            unsigned char data[512];
            fill(data, sizeof data, (unsigned)(i + k));
            if (types[i] == OBN_BOOL)
                for (size_t b = 0; b < sizeof data; b++) data[b] &= 1;
            obn_tensor *t = NULL, *back = NULL;
            TB_EXPECT_OK(obn_tensor_create(types[i], shapes[k].rank, shapes[k].dims, data, &t));
            TB_EXPECT_OK(obn_tensor_save(t, "my_tensor", path));
            TB_EXPECT_OK(obn_tensor_load(path, &back));
            expect_tensor(back, types[i], shapes[k].rank, shapes[k].dims, data);
            ck_assert_str_eq(obn_tensor_name(back), "my_tensor");
            obn_tensor_destroy(t);
            obn_tensor_destroy(back);
        }
    /* no name */
    obn_tensor *t = NULL, *back = NULL;
    TB_EXPECT_OK(obn_tensor_create(OBN_FLOAT, 0, NULL, NULL, &t));
    TB_EXPECT_OK(obn_tensor_save(t, NULL, path));
    TB_EXPECT_OK(obn_tensor_load(path, &back));
    ck_assert_str_eq(obn_tensor_name(back), "");
    obn_tensor_destroy(t);
    obn_tensor_destroy(back);
    free(path);
}
END_TEST

/* Writes a TensorProto built with the model builder's helpers. */
static void save_proto(const char *path, Onnx__TensorProto *tp)
{
    size_t n = onnx__tensor_proto__get_packed_size(tp);
    uint8_t *buf = malloc(n ? n : 1);
    onnx__tensor_proto__pack(tp, buf);
    tb_write_file(path, buf, n);
    free(buf);
}

START_TEST(pb_typed_fields_and_external_data)
{
    tb_model *m = tb_new(0);
    char *path = tb_path(tmp, "typed.pb");
    int64_t d3[1] = {3};
    static const int64_t v[3] = {-1, 0, 1 << 20};
    Onnx__TensorProto *tp = tb_tensor_nodata(m, "ints", OBN_INT64, 1, d3);
    tb_set_int64_data(m, tp, 3, v);
    save_proto(path, tp);
    obn_tensor *t = NULL;
    TB_EXPECT_OK(obn_tensor_load(path, &t));
    expect_tensor(t, OBN_INT64, 1, d3, v);
    obn_tensor_destroy(t);

    /* external data next to the .pb file */
    char *data = tb_path(tmp, "ints.bin");
    tb_write_file(data, v, sizeof v);
    tp = tb_tensor_nodata(m, "ext", OBN_INT64, 1, d3);
    tb_set_external(m, tp, "ints.bin", -1, -1);
    save_proto(path, tp);
    TB_EXPECT_OK(obn_tensor_load(path, &t));
    expect_tensor(t, OBN_INT64, 1, d3, v);
    obn_tensor_destroy(t);
    /* ... with the same confinement as models */
    tp = tb_tensor_nodata(m, "ext", OBN_INT64, 1, d3);
    tb_set_external(m, tp, "../ints.bin", -1, -1);
    save_proto(path, tp);
    TB_EXPECT_ERR(obn_tensor_load(path, &t), OBN_E_INVALID_MODEL, path, "'ext'", "'..'");
    ck_assert_ptr_null(t);
    free(data);
    free(path);
    tb_free(m);
}
END_TEST

START_TEST(pb_malformed)
{
    char *path = tb_path(tmp, "bad.pb");
    obn_tensor *t = NULL;
    tb_write_file(path, "", 0);
    TB_EXPECT_ERR(obn_tensor_load(path, &t), OBN_E_PARSE, path, "empty");
    tb_write_file(path, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11);
    TB_EXPECT_ERR(obn_tensor_load(path, &t), OBN_E_PARSE, path, "not a valid");
    tb_write_file(path, "\x4a\x40xyz", 5); /* raw_data claiming 64 bytes */
    TB_EXPECT_ERR(obn_tensor_load(path, &t), OBN_E_PARSE, path);
    ck_assert_ptr_null(t);

    tb_model *m = tb_new(0);
    int64_t d3[1] = {3};
    save_proto(path, tb_tensor(m, "w", 99, 1, d3, "abc", 3));
    TB_EXPECT_ERR(obn_tensor_load(path, &t), OBN_E_INVALID_MODEL, path, "'w'", "undefined data type (99)");
    save_proto(path, tb_tensor(m, "w", OBN_FLOAT, 1, d3, "abc", 3));
    TB_EXPECT_ERR(obn_tensor_load(path, &t), OBN_E_INVALID_MODEL, path, "'w'", "raw_data has 3 bytes");
    save_proto(path, tb_tensor(m, "s", OBN_STRING, 1, d3, NULL, 0)); /* strings never use raw_data */
    TB_EXPECT_ERR(obn_tensor_load(path, &t), OBN_E_INVALID_MODEL, path, "'s'", "string", "raw_data");
    int64_t neg[2] = {2, -2};
    save_proto(path, tb_tensor(m, "n", OBN_FLOAT, 2, neg, NULL, 0));
    TB_EXPECT_ERR(obn_tensor_load(path, &t), OBN_E_INVALID_MODEL, path, "'n'", "negative");
    ck_assert_ptr_null(t);
    tb_free(m);
    free(path);
}
END_TEST

START_TEST(files_that_cannot_be_read_or_written)
{
    obn_tensor *t = NULL;
    TB_EXPECT_ERR(obn_tensor_load("/nonexistent/t.pb", &t), OBN_E_IO, "/nonexistent/t.pb", "cannot open");
    TB_EXPECT_ERR(obn_tensor_load(tmp, &t), OBN_E_IO, tmp, "not a regular file");
    TB_EXPECT_OK(obn_tensor_create(OBN_FLOAT, 0, NULL, NULL, &t));
    TB_EXPECT_ERR(obn_tensor_save(t, "x", "/nonexistent/dir/t.pb"), OBN_E_IO, "/nonexistent/dir/t.pb");
    TB_EXPECT_ERR(obn_tensor_save(NULL, "x", "t.pb"), OBN_E_INVALID_ARGUMENT, "obn_tensor_save");
    TB_EXPECT_ERR(obn_tensor_save(t, "x", NULL), OBN_E_INVALID_ARGUMENT, "obn_tensor_save");
    obn_tensor_destroy(t);
    t = NULL;
    TB_EXPECT_ERR(obn_tensor_load(NULL, &t), OBN_E_INVALID_ARGUMENT, "obn_tensor_load");
    TB_EXPECT_ERR(obn_tensor_load("t.pb", NULL), OBN_E_INVALID_ARGUMENT, "obn_tensor_load");
}
END_TEST

/* ------------------------------------------------------------------ .npy */

/* A .npy file image: magic, version, header length (2 bytes for 1.0, 4 for
 * 2.0/3.0), the header dict padded with spaces and a newline so the data
 * starts on a 64-byte boundary (as numpy writes it), then the data.
 * hlen_override >= 0 writes that header length instead and no padding. */
static unsigned char *npy_image(int major, const char *dict, long hlen_override, const void *data, size_t nbytes,
                                size_t *len)
{
    size_t prefix = major == 1 ? 10 : 12, dl = strlen(dict);
    size_t hlen = dl;
    if (hlen_override < 0) hlen = ((prefix + dl + 1 + 63) / 64) * 64 - prefix;
    size_t body = hlen_override < 0 ? hlen : dl;
    unsigned char *buf = malloc(prefix + body + nbytes + 1);
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    size_t hl = hlen_override < 0 ? hlen : (size_t)hlen_override;
    for (size_t i = 0; i < prefix - 8; i++) buf[8 + i] = (unsigned char)(hl >> (8 * i));
    memcpy(buf + prefix, dict, dl);
    if (hlen_override < 0) {
        memset(buf + prefix + dl, ' ', hlen - dl);
        buf[prefix + hlen - 1] = '\n';
    }
    if (nbytes) memcpy(buf + prefix + body, data, nbytes);
    *len = prefix + body + nbytes;
    return buf;
}

static obn_status load_npy(int major, const char *dict, long hlen_override, const void *data, size_t nbytes,
                           obn_tensor **out)
{
    size_t len;
    unsigned char *img = npy_image(major, dict, hlen_override, data, nbytes, &len);
    char *path = tb_path(tmp, "a.npy");
    tb_write_file(path, img, len);
    free(img);
    obn_status st = obn_tensor_load(path, out);
    free(path);
    return st;
}

START_TEST(npy_versions_and_dtypes)
{
    static const struct {
        const char *descr;
        obn_dtype dtype;
    } types[] = {{"<f4", OBN_FLOAT},  {"<f8", OBN_DOUBLE}, {"<f2", OBN_FLOAT16}, {"|i1", OBN_INT8},
                 {"<i2", OBN_INT16},  {"<i4", OBN_INT32},  {"<i8", OBN_INT64},   {"|u1", OBN_UINT8},
                 {"<u2", OBN_UINT16}, {"<u4", OBN_UINT32}, {"<u8", OBN_UINT64},  {"|b1", OBN_BOOL}};
    static const struct {
        const char *text;
        size_t rank;
        int64_t dims[8];
    } shapes[] = {{"()", 0, {0}},          {"(5,)", 1, {5}},      {"(2, 3)", 2, {2, 3}},
                  {"(0, 4)", 2, {0, 4}},   {"(3,1,2)", 3, {3, 1, 2}},
                  {"(1, 2, 1, 2, 1, 2, 1, 2)", 8, {1, 2, 1, 2, 1, 2, 1, 2}}};
    for (int major = 1; major <= 3; major++)
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
                char dict[160];
                snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                         types[i].descr, shapes[k].text);
                size_t n = obn_dtype_size(types[i].dtype);
                for (size_t d = 0; d < shapes[k].rank; d++) n *= (size_t)shapes[k].dims[d];
                unsigned char data[2048];
                fill(data, n, (unsigned)(major + i));
                if (types[i].dtype == OBN_BOOL)
                    for (size_t b = 0; b < n; b++) data[b] &= 1;
                obn_tensor *t = NULL;
                obn_status st = load_npy(major, dict, -1, data, n, &t);
                ck_assert_msg(st == OBN_OK, "v%d %s: %s", major, dict, obn_last_error());
                expect_tensor(t, types[i].dtype, shapes[k].rank, shapes[k].dims, data);
                obn_tensor_destroy(t);
            }
    /* keys in another order, no trailing comma, unpadded header */
    float f[2] = {1.5f, -2};
    obn_tensor *t = NULL;
    const char *dict = "{'shape':(2,),'fortran_order':False,'descr':'<f4'}";
    TB_EXPECT_OK(load_npy(1, dict, (long)strlen(dict), f, sizeof f, &t));
    expect_tensor(t, OBN_FLOAT, 1, (int64_t[]){2}, f);
    obn_tensor_destroy(t);
}
END_TEST

static void expect_npy_error(const char *dict, long hlen_override, size_t nbytes, obn_status code, const char *word)
{
    unsigned char data[64] = {0};
    obn_tensor *t = NULL;
    obn_status st = load_npy(1, dict, hlen_override, data, nbytes, &t);
    ck_assert_msg(st == code, "%s: %s, expected %s: %s", dict, obn_status_name(st), obn_status_name(code),
                  obn_last_error());
    ck_assert_msg(TB_HAS(obn_last_error(), "a.npy: ", word), "%s: %s", dict, obn_last_error());
    ck_assert_ptr_null(t);
}

START_TEST(npy_malformed)
{
    /* dtypes */
    expect_npy_error("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", -1, 4, OBN_E_UNSUPPORTED, ">f4");
    expect_npy_error("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", -1, 8, OBN_E_UNSUPPORTED, "<c8");
    expect_npy_error("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", -1, 8, OBN_E_UNSUPPORTED, "|O");
    expect_npy_error("{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", -1, 12, OBN_E_UNSUPPORTED, "<U3");
    /* layout */
    expect_npy_error("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", -1, 16, OBN_E_UNSUPPORTED,
                     "Fortran");
    /* header dict */
    expect_npy_error("{'fortran_order': False, 'shape': (1,), }", -1, 4, OBN_E_PARSE, "malformed");
    expect_npy_error("{'descr': '<f4', 'shape': (1,), }", -1, 4, OBN_E_PARSE, "malformed");
    expect_npy_error("{'descr': '<f4', 'fortran_order': False, }", -1, 4, OBN_E_PARSE, "malformed");
    expect_npy_error("{'descr': <f4, 'fortran_order': False, 'shape': (1,), }", -1, 4, OBN_E_PARSE, "malformed");
    expect_npy_error("{'descr': '<f4", -1, 0, OBN_E_PARSE, "malformed");
    /* shapes */
    expect_npy_error("{'descr': '<f4', 'fortran_order': False, 'shape': [1], }", -1, 4, OBN_E_PARSE, "shape");
    expect_npy_error("{'descr': '<f4', 'fortran_order': False, 'shape': (1, x), }", -1, 4, OBN_E_PARSE, "shape");
    expect_npy_error("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", -1, 4, OBN_E_PARSE, "shape");
    expect_npy_error("{'descr': '<f4', 'fortran_order': False, 'shape': (1,", -1, 0, OBN_E_PARSE, "shape");
    expect_npy_error("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", -1, 0,
                     OBN_E_PARSE, "overflows");
    expect_npy_error("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4), }", -1, 0,
                     OBN_E_PARSE, "too large");
    expect_npy_error("{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }", -1, 4,
                     OBN_E_UNSUPPORTED, "rank");
    /* data length */
    expect_npy_error("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", -1, 12, OBN_E_PARSE, "12 bytes");
    expect_npy_error("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", -1, 20, OBN_E_PARSE, "20 bytes");
    /* header length */
    expect_npy_error("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 5000, 4, OBN_E_PARSE,
                     "longer than the file");
    /* headers that end right after a key's colon, at the very end of the
     * file: nothing may be read past it (ASan checks) */
    const char *cut[] = {"{'descr':", "{'descr': '<f4', 'fortran_order': False, 'shape':",
                         "{'descr': '<f4', 'fortran_order': False, 'shape': ", "{'descr': '<f4', 'shape': (1,), 'fortran_order':"};
    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++)
        expect_npy_error(cut[i], (long)strlen(cut[i]), 0, OBN_E_PARSE, "malformed");
}
END_TEST

START_TEST(npy_bad_prefix)
{
    char *path = tb_path(tmp, "a.npy");
    obn_tensor *t = NULL;
    /* too short for a header length */
    tb_write_file(path, "\x93NUMPY\x01\x00\x10", 9);
    TB_EXPECT_ERR(obn_tensor_load(path, &t), OBN_E_PARSE, path, "truncated");
    tb_write_file(path, "\x93NUMPY\x02\x00\x10\x00\x00", 11);
    TB_EXPECT_ERR(obn_tensor_load(path, &t), OBN_E_PARSE, path, "truncated");
    tb_write_file(path, "\x93NUMPY\x04\x00\x10\x00\x00\x00", 12);
    TB_EXPECT_ERR(obn_tensor_load(path, &t), OBN_E_UNSUPPORTED, path, "version 4");
    tb_write_file(path, "\x93NUMPY\x02\x00\xff\xff\xff\xff", 12);
    TB_EXPECT_ERR(obn_tensor_load(path, &t), OBN_E_PARSE, path, "longer than the file");
    /* not quite the magic: read as a (broken) TensorProto */
    tb_write_file(path, "\x93NUMP", 5);
    ck_assert_int_ne(obn_tensor_load(path, &t), OBN_OK);
    ck_assert_ptr_null(t);
    free(path);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("tensor_io");
    TCase *t = tcase_create("tensor_io");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, pb_round_trip_every_type_and_shape);
    tcase_add_test(t, pb_typed_fields_and_external_data);
    tcase_add_test(t, pb_malformed);
    tcase_add_test(t, files_that_cannot_be_read_or_written);
    tcase_add_test(t, npy_versions_and_dtypes);
    tcase_add_test(t, npy_malformed);
    tcase_add_test(t, npy_bad_prefix);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
