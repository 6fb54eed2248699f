/* String tensors end to end: the public API (create, read, set, clone,
 * accessors), TensorProto files (string_data; NUL bytes kept), models with
 * string initializers and inputs (Equal-19, exported and loaded again), the
 * loader on malformed string data (counts, raw_data, truncated or huge
 * lengths, the initializer limit), the planner's refusal of strings for
 * an operator that does not take them, and repeated strings counted
 * against the arena limit. Expected values are written here by
 * hand. */
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

/* string_data of t set to the n byte strings (lengths given: NULs allowed). */
static void set_strings(tb_model *m, Onnx__TensorProto *t, size_t n, const char *const *s, const size_t *len)
{
    t->n_string_data = n;
    t->string_data = tb_alloc(m, (n ? n : 1) * sizeof *t->string_data);
    for (size_t i = 0; i < n; i++) {
        t->string_data[i].len = len[i];
        t->string_data[i].data = tb_alloc(m, len[i] + 1);
        memcpy(t->string_data[i].data, s[i], len[i]);
    }
}

static void expect_string(const obn_tensor *t, int64_t i, const char *want, size_t want_len)
{
    size_t len = 99;
    const char *s = obn_tensor_string(t, i, &len);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(len, want_len);
    ck_assert_int_eq(memcmp(s, want, want_len), 0);
    ck_assert_int_eq(s[len], '\0');
}

START_TEST(api_create_read_set_clone)
{
    const int64_t dims[2] = {2, 2};
    const char *const words[4] = {"alpha", "", "Montag", "\xc3\xa9t\xc3\xa9"}; /* UTF-8 "été" */
    obn_tensor *t = NULL, *e = NULL, *c = NULL;
    TB_EXPECT_OK(obn_tensor_create(OBN_STRING, 2, dims, words, &t));
    ck_assert_int_eq(obn_tensor_dtype(t), OBN_STRING);
    ck_assert_uint_eq(obn_tensor_rank(t), 2);
    ck_assert_int_eq(obn_tensor_dims(t)[1], 2);
    ck_assert_int_eq(obn_tensor_numel(t), 4);
    /* no bytes to read as numbers */
    ck_assert_ptr_null(obn_tensor_cdata(t));
    ck_assert_ptr_null(obn_tensor_data(t));
    ck_assert_uint_eq(obn_tensor_nbytes(t), 0);
    ck_assert(obn_tensor_value(t, 0) != obn_tensor_value(t, 0)); /* NaN */
    for (int i = 0; i < 4; i++) expect_string(t, i, words[i], strlen(words[i]));
    ck_assert_ptr_null(obn_tensor_string(t, 4, NULL));
    ck_assert_ptr_null(obn_tensor_string(t, -1, NULL));

    /* bytes with a NUL inside; the clone is a deep copy */
    TB_EXPECT_OK(obn_tensor_set_string(t, 1, "a\0b", 3));
    expect_string(t, 1, "a\0b", 3);
    TB_EXPECT_OK(obn_tensor_clone(t, &c));
    TB_EXPECT_OK(obn_tensor_set_string(t, 1, NULL, 0));
    expect_string(t, 1, "", 0);
    expect_string(c, 1, "a\0b", 3);
    expect_string(c, 2, "Montag", 6);

    /* NULL data: empty strings */
    TB_EXPECT_OK(obn_tensor_create(OBN_STRING, 1, dims, NULL, &e));
    expect_string(e, 0, "", 0);
    expect_string(e, 1, "", 0);

    /* errors */
    obn_tensor *f = NULL, *w = NULL;
    const char *const with_null[2] = {"x", NULL};
    TB_EXPECT_ERR(obn_tensor_create(OBN_STRING, 1, dims, with_null, &f), OBN_E_INVALID_ARGUMENT, "string #1", "NULL");
    ck_assert_ptr_null(f);
    char buf[8];
    TB_EXPECT_ERR(obn_tensor_wrap(OBN_STRING, 1, dims, buf, sizeof buf, &w), OBN_E_UNSUPPORTED, "string");
    ck_assert_ptr_null(w);
    TB_EXPECT_ERR(obn_tensor_set_string(t, 4, "x", 1), OBN_E_INVALID_ARGUMENT, "index 4", "4 strings");
    TB_EXPECT_ERR(obn_tensor_set_string(t, 0, NULL, 3), OBN_E_INVALID_ARGUMENT, "NULL");
    TB_EXPECT_OK(obn_tensor_create(OBN_FLOAT, 1, dims, NULL, &f));
    TB_EXPECT_ERR(obn_tensor_set_string(f, 0, "x", 1), OBN_E_INVALID_ARGUMENT, "not a string tensor");
    ck_assert_ptr_null(obn_tensor_string(f, 0, NULL));
    obn_tensor_destroy(f);
    obn_tensor_destroy(t);
    obn_tensor_destroy(c);
    obn_tensor_destroy(e);
}
END_TEST

START_TEST(pb_file_round_trip)
{
    const int64_t dims[1] = {3};
    obn_tensor *t = NULL, *back = NULL;
    TB_EXPECT_OK(obn_tensor_create(OBN_STRING, 1, dims, NULL, &t));
    TB_EXPECT_OK(obn_tensor_set_string(t, 0, "x\0y\n", 4));
    TB_EXPECT_OK(obn_tensor_set_string(t, 2, "last", 4));
    char *path = tb_path(tmp, "s.pb");
    TB_EXPECT_OK(obn_tensor_save(t, "words", path));
    TB_EXPECT_OK(obn_tensor_load(path, &back));
    ck_assert_str_eq(obn_tensor_name(back), "words");
    ck_assert_int_eq(obn_tensor_dtype(back), OBN_STRING);
    ck_assert_int_eq(obn_tensor_numel(back), 3);
    expect_string(back, 0, "x\0y\n", 4);
    expect_string(back, 1, "", 0);
    expect_string(back, 2, "last", 4);
    obn_tensor_destroy(back);
    /* a 0-D string and an empty one */
    obn_tensor *s0 = NULL, *z = NULL;
    const char *const one[1] = {"solo"};
    TB_EXPECT_OK(obn_tensor_create(OBN_STRING, 0, NULL, one, &s0));
    TB_EXPECT_OK(obn_tensor_save(s0, NULL, path));
    TB_EXPECT_OK(obn_tensor_load(path, &back));
    ck_assert_uint_eq(obn_tensor_rank(back), 0);
    expect_string(back, 0, "solo", 4);
    obn_tensor_destroy(back);
    const int64_t zero[2] = {0, 5};
    TB_EXPECT_OK(obn_tensor_create(OBN_STRING, 2, zero, NULL, &z));
    TB_EXPECT_OK(obn_tensor_save(z, NULL, path));
    TB_EXPECT_OK(obn_tensor_load(path, &back));
    ck_assert_int_eq(obn_tensor_numel(back), 0);
    ck_assert_int_eq(obn_tensor_dims(back)[1], 5);
    obn_tensor_destroy(back);
    obn_tensor_destroy(s0);
    obn_tensor_destroy(z);
    obn_tensor_destroy(t);
    free(path);
}
END_TEST

/* Equal-19: x (string [3]) == k (a string initializer) -> y (bool [3]). */
static tb_model *equal_model(void)
{
    const int64_t d3[1] = {3};
    tb_model *m = tb_new(19);
    tb_input(m, "x", OBN_STRING, 1, d3);
    Onnx__TensorProto *k = tb_add_init(m, tb_tensor_nodata(m, "k", OBN_STRING, 1, d3));
    static const char *const ks[3] = {"a", "", "b\0c"};
    static const size_t kl[3] = {1, 0, 3};
    set_strings(m, k, 3, ks, kl);
    tb_node(m, "Equal", "eq", "x,k", "y");
    tb_output(m, "y", OBN_BOOL, 1, d3);
    return m;
}

static void run_equal(const obn_model *model)
{
    const int64_t d3[1] = {3};
    obn_tensor *x = NULL;
    TB_EXPECT_OK(obn_tensor_create(OBN_STRING, 1, d3, NULL, &x));
    TB_EXPECT_OK(obn_tensor_set_string(x, 0, "a", 1));
    TB_EXPECT_OK(obn_tensor_set_string(x, 2, "b\0d", 3)); /* differs after the NUL */
    obn_session *s = NULL;
    TB_EXPECT_OK(obn_session_create(model, NULL, &s));
    const char *names[1] = {"x"};
    const obn_tensor *in[1] = {x}, *out[1] = {NULL};
    for (int run = 0; run < 2; run++) {
        TB_EXPECT_OK(obn_session_run(s, 1, names, in, 1, NULL, out));
        const uint8_t *y = obn_tensor_cdata(out[0]);
        ck_assert_int_eq(y[0], 1);
        ck_assert_int_eq(y[1], 1); /* "" == "" */
        ck_assert_int_eq(y[2], 0);
        TB_EXPECT_OK(obn_tensor_set_string(x, 2, "b\0c", 3));
        TB_EXPECT_OK(obn_session_run(s, 1, names, in, 1, NULL, out));
        ck_assert_int_eq(((const uint8_t *)obn_tensor_cdata(out[0]))[2], 1);
        TB_EXPECT_OK(obn_tensor_set_string(x, 2, "b\0d", 3));
    }
    obn_session_destroy(s);
    obn_tensor_destroy(x);
}

START_TEST(model_with_string_initializer_runs_and_round_trips)
{
    tb_model *m = equal_model();
    obn_model *model = NULL, *again = NULL;
    TB_EXPECT_OK(tb_load(m, &model));
    obn_value_info vi;
    TB_EXPECT_OK(obn_model_input(model, 0, &vi));
    ck_assert_int_eq(vi.dtype, OBN_STRING);
    run_equal(model);
    char *path = tb_path(tmp, "eq.onnx");
    TB_EXPECT_OK(obn_model_save(model, path));
    TB_EXPECT_OK(obn_model_load(path, &again));
    run_equal(again);
    obn_model_destroy(again);
    obn_model_destroy(model);
    free(path);
    tb_free(m);
}
END_TEST

/* A graph output that is a graph input: the session returns its own copy,
 * strings included. */
START_TEST(string_input_returned_as_output_is_copied)
{
    const int64_t d2[1] = {2};
    tb_model *m = tb_new(19);
    tb_input(m, "x", OBN_STRING, 1, d2);
    tb_output(m, "x", OBN_STRING, 1, d2);
    obn_model *model = NULL;
    TB_EXPECT_OK(tb_load(m, &model));
    obn_session *s = NULL;
    TB_EXPECT_OK(obn_session_create(model, NULL, &s));
    const char *const w[2] = {"left", "right"};
    obn_tensor *x = NULL;
    TB_EXPECT_OK(obn_tensor_create(OBN_STRING, 1, d2, w, &x));
    const char *names[1] = {"x"};
    const obn_tensor *in[1] = {x}, *out[1] = {NULL};
    TB_EXPECT_OK(obn_session_run(s, 1, names, in, 1, NULL, out));
    obn_tensor_destroy(x); /* the output is the session's own copy */
    expect_string(out[0], 0, "left", 4);
    expect_string(out[0], 1, "right", 5);
    obn_session_destroy(s);
    obn_model_destroy(model);
    tb_free(m);
}
END_TEST

START_TEST(malformed_string_data)
{
    const int64_t d3[1] = {3};
    static const char *const ks[3] = {"a", "bb", "ccc"};
    static const size_t kl[3] = {1, 2, 3};
    obn_model *model = NULL;

    /* fewer strings than the shape needs */
    tb_model *m = equal_model();
    tb_proto(m)->graph->initializer[0]->n_string_data = 2;
    TB_EXPECT_ERR(tb_load(m, &model), OBN_E_INVALID_MODEL, "'k'", "string_data has 2 strings", "needs 3");
    tb_free(m);

    /* raw_data, a numeric field or external data on a string tensor */
    m = equal_model();
    Onnx__TensorProto *k = tb_proto(m)->graph->initializer[0];
    k->has_raw_data = 1;
    k->raw_data.len = 3;
    k->raw_data.data = (uint8_t *)tb_str(m, "abc");
    TB_EXPECT_ERR(tb_load(m, &model), OBN_E_INVALID_MODEL, "'k'", "raw_data", "string_data");
    tb_free(m);
    m = equal_model();
    const int32_t i3[3] = {1, 2, 3};
    tb_set_int32_data(m, tb_proto(m)->graph->initializer[0], 3, i3);
    TB_EXPECT_ERR(tb_load(m, &model), OBN_E_INVALID_MODEL, "'k'", "int32_data", "string_data");
    tb_free(m);
    m = equal_model();
    tb_set_external(m, tb_proto(m)->graph->initializer[0], "k.bin", 0, 6);
    TB_EXPECT_ERR(tb_load_dir(m, tmp, &model), OBN_E_INVALID_MODEL, "'k'", "external data");
    tb_free(m);

    /* string_data on a tensor of another type */
    m = equal_model();
    Onnx__TensorProto *f = tb_add_init(m, tb_tensor_f32(m, "f", 1, d3, (const float[]){1, 2, 3}));
    set_strings(m, f, 3, ks, kl);
    TB_EXPECT_ERR(tb_load(m, &model), OBN_E_INVALID_MODEL, "'f'", "float", "string_data");
    tb_free(m);

    /* the strings' bytes count against max_initializer_bytes */
    m = equal_model();
    k = tb_proto(m)->graph->initializer[0];
    char *long_s = tb_alloc(m, 5000);
    memset(long_s, 'z', 5000);
    k->string_data[0].data = (uint8_t *)long_s;
    k->string_data[0].len = 5000;
    obn_limits lim;
    obn_limits_init(&lim);
    lim.max_initializer_bytes = 4096;
    size_t len;
    const uint8_t *bytes = tb_pack(m, &len);
    TB_EXPECT_ERR(obn_model_load_buffer_limited(bytes, len, NULL, &lim, &model), OBN_E_UNSUPPORTED, "'k'",
                  "max_initializer_bytes");
    lim.max_initializer_bytes = 8192;
    TB_EXPECT_OK(obn_model_load_buffer_limited(bytes, len, NULL, &lim, &model));
    obn_model_destroy(model);
    tb_free(m);
}
END_TEST

/* TensorProto bytes written by hand: dims (field 1), data_type (field 2)
 * and string_data (field 6, length-delimited). */
static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    do {
        p[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return n;
}

static obn_status load_bytes(const uint8_t *b, size_t n, obn_tensor **t)
{
    char *path = tb_path(tmp, "hand.pb");
    tb_write_file(path, b, n);
    obn_status s = obn_tensor_load(path, t);
    free(path);
    return s;
}

START_TEST(truncated_and_huge_string_lengths)
{
    uint8_t b[64];
    size_t n = 0;
    b[n++] = 0x08, b[n++] = 2;     /* dims: [2] */
    b[n++] = 0x10, b[n++] = 8;     /* data_type: string */
    b[n++] = 0x32, b[n++] = 2;     /* string_data[0]: "ab" */
    b[n++] = 'a', b[n++] = 'b';
    size_t good = n;
    b[n++] = 0x32, b[n++] = 1, b[n++] = 'c';
    obn_tensor *t = NULL;
    TB_EXPECT_OK(load_bytes(b, n, &t)); /* the well-formed start */
    expect_string(t, 0, "ab", 2);
    expect_string(t, 1, "c", 1);
    obn_tensor_destroy(t);
    t = NULL;

    /* the second string claims 5 bytes, 1 follows */
    n = good;
    b[n++] = 0x32, b[n++] = 5, b[n++] = 'c';
    TB_EXPECT_ERR(load_bytes(b, n, &t), OBN_E_PARSE, "hand.pb");
    ck_assert_ptr_null(t);
    /* a length of 2^62 */
    n = good;
    b[n++] = 0x32;
    n += put_varint(b + n, (uint64_t)1 << 62);
    b[n++] = 'c';
    TB_EXPECT_ERR(load_bytes(b, n, &t), OBN_E_PARSE, "hand.pb");
    ck_assert_ptr_null(t);
    /* a length varint cut off */
    n = good;
    b[n++] = 0x32, b[n++] = 0xff;
    TB_EXPECT_ERR(load_bytes(b, n, &t), OBN_E_PARSE, "hand.pb");
    /* one string for two elements */
    TB_EXPECT_ERR(load_bytes(b, good, &t), OBN_E_INVALID_MODEL, "string_data has 1 strings", "needs 2");
    ck_assert_ptr_null(t);
}
END_TEST

START_TEST(ops_without_strings_refuse_them)
{
    const int64_t d2[1] = {2};
    tb_model *m = tb_new(19);
    tb_input(m, "x", OBN_STRING, 1, d2);
    tb_node(m, "Unique", "pick", "x", "y");
    tb_output(m, "y", OBN_STRING, 1, d2);
    obn_model *model = NULL;
    TB_EXPECT_OK(tb_load(m, &model));
    obn_session *s = NULL;
    TB_EXPECT_ERR(obn_session_create(model, NULL, &s), OBN_E_UNSUPPORTED, "node \"pick\"", "Unique-11", "'x'",
                  "string");
    ck_assert_ptr_null(s);
    obn_model_destroy(model);
    tb_free(m);

    /* Equal before version 19 takes no strings */
    m = equal_model();
    tb_proto(m)->opset_import[0]->version = 13;
    TB_EXPECT_OK(tb_load(m, &model));
    TB_EXPECT_ERR(obn_session_create(model, NULL, &s), OBN_E_UNSUPPORTED, "node \"eq\"", "Equal-13", "string");
    obn_model_destroy(model);
    tb_free(m);
}
END_TEST

/* Repetition (Tile) and broadcasting (StringConcat) of a long string: the
 * copies' bytes are counted against max_arena_bytes before they are made. */
START_TEST(repeated_strings_count_against_the_arena_limit)
{
    const int64_t d1[1] = {1}, reps[1] = {100000}, d1k[1] = {1000};
    for (int op = 0; op < 2; op++) {
        tb_model *m = tb_new(20);
        tb_input(m, "x", OBN_STRING, 1, d1);
        if (op == 0) {
            tb_init_i64(m, "reps", 1, d1, reps);
            tb_node(m, "Tile", "rep", "x,reps", "y");
        } else {
            tb_input(m, "w", OBN_STRING, 1, d1k);
            const int64_t shape2[2] = {100, 1};
            tb_init_i64(m, "s2", 1, (const int64_t[]){2}, shape2);
            tb_node(m, "Expand", "col", "x,s2", "xc");   /* [100,1] */
            tb_node(m, "StringConcat", "rep", "xc,w", "y"); /* [100,1000] */
        }
        tb_output(m, "y", OBN_STRING, -1, NULL);
        obn_model *model = NULL;
        TB_EXPECT_OK(tb_load(m, &model));
        obn_limits lim;
        obn_limits_init(&lim);
        lim.max_arena_bytes = (uint64_t)16 << 20;
        obn_session_options so;
        obn_session_options_init(&so);
        so.limits = &lim;
        obn_session *s = NULL;
        TB_EXPECT_OK(obn_session_create(model, &so, &s));
        char *big = malloc(1000);
        memset(big, 'x', 1000);
        obn_tensor *x = NULL, *w = NULL;
        TB_EXPECT_OK(obn_tensor_create(OBN_STRING, 1, d1, NULL, &x));
        TB_EXPECT_OK(obn_tensor_set_string(x, 0, big, 1000));
        TB_EXPECT_OK(obn_tensor_create(OBN_STRING, 1, d1k, NULL, &w));
        const char *names[2] = {"x", "w"};
        const obn_tensor *in[2] = {x, w}, *out[1] = {NULL};
        /* 100,000 copies of 1000 bytes (Tile), 100 x 1000 of 1000 bytes (StringConcat): ~100 MB */
        TB_EXPECT_ERR(obn_session_run(s, op ? 2 : 1, names, in, 1, NULL, out), OBN_E_UNSUPPORTED, "node \"rep\"",
                      "strings of", "max_arena_bytes");
        ck_assert_ptr_null(out[0]);
        lim.max_arena_bytes = (uint64_t)1 << 30; /* a session with room runs it */
        obn_session_destroy(s);
        TB_EXPECT_OK(obn_session_create(model, &so, &s));
        TB_EXPECT_OK(obn_session_run(s, op ? 2 : 1, names, in, 1, NULL, out));
        ck_assert_int_eq(obn_tensor_numel(out[0]), 100000);
        size_t len;
        obn_tensor_string(out[0], 99999, &len);
        ck_assert_uint_eq(len, 1000);
        obn_session_destroy(s);
        obn_tensor_destroy(x);
        obn_tensor_destroy(w);
        free(big);
        obn_model_destroy(model);
        tb_free(m);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("strings");
    TCase *t = tcase_create("strings");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, api_create_read_set_clone);
    tcase_add_test(t, pb_file_round_trip);
    tcase_add_test(t, model_with_string_initializer_runs_and_round_trips);
    tcase_add_test(t, string_input_returned_as_output_is_copied);
    tcase_add_test(t, malformed_string_data);
    tcase_add_test(t, truncated_and_huge_string_lengths);
    tcase_add_test(t, ops_without_strings_refuse_them);
    tcase_add_test(t, repeated_strings_count_against_the_arena_limit);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
