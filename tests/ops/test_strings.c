/* The string operators against hand-worked expectations: StringConcat
 * (broadcast, NUL bytes), StringSplit (Python str.split semantics),
 * StringNormalizer (stopwords, case, Latin-1 letters, shapes),
 * RegexFullMatch (the supported RE2 syntax, UTF-8, errors, a pattern that
 * backtracking engines take exponential time on), LabelEncoder 1/2/4, Cast
 * to and from strings, and the data-movement ops (Identity, Reshape,
 * Transpose, Gather, Concat, Slice, Shape, Size, Constant, Expand, Tile,
 * Where, Split, GatherElements, ScatterElements, Compress, the sequence
 * ops) on strings. */
#include <math.h>

#include "op_testing.h"

static void expect_strings(const obn_tensor *t, int64_t n, const char *const *want)
{
    ck_assert_int_eq(obn_tensor_dtype(t), OBN_STRING);
    ck_assert_int_eq(obn_tensor_numel(t), n);
    for (int64_t i = 0; i < n; i++) {
        size_t len;
        const char *s = obn_tensor_string(t, i, &len);
        ck_assert_msg(len == strlen(want[i]) && memcmp(s, want[i], len) == 0, "string %lld is \"%s\", expected \"%s\"",
                      (long long)i, s, want[i]);
    }
}

/* One-node model: x (string, dims) -> op -> y (output type out_dt). */
static tb_model *unary(int opset, const char *op, int rank, const int64_t *dims, int out_dt, Onnx__NodeProto **node)
{
    tb_model *m = tb_new(opset);
    tb_input(m, "x", OBN_STRING, rank, dims);
    *node = tb_node(m, op, "n", "x", "y");
    tb_output(m, "y", out_dt, -1, NULL);
    return m;
}

static obn_tensor *run1(tb_model *m, obn_tensor *x)
{
    obn_tensor *y = NULL;
    OT_RUN_OK(m, 1, &x, 1, &y);
    return y;
}

START_TEST(string_concat)
{
    const int64_t d23[2] = {2, 3}, d3[1] = {3};
    const char *const xs[6] = {"a", "", "ab", "c", "d", "\xe4\xb8\xad"}, *const ys[3] = {"1", "22", ""};
    tb_model *m = tb_new(20);
    tb_input(m, "x", OBN_STRING, 2, d23);
    tb_input(m, "y", OBN_STRING, 1, d3);
    tb_node(m, "StringConcat", "cat", "x,y", "z");
    tb_output(m, "z", OBN_STRING, -1, NULL);
    obn_tensor *in[2] = {ot_tensor(OBN_STRING, 2, d23, xs), ot_tensor(OBN_STRING, 1, d3, ys)}, *z;
    ck_assert_int_eq(obn_tensor_set_string(in[1], 2, "\0!", 2), OBN_OK); /* a NUL byte survives */
    OT_RUN_OK(m, 2, in, 1, &z);
    ot_expect_shape(z, 2, d23);
    const char *const want[6] = {"a1", "22", "ab", "c1", "d22", "\xe4\xb8\xad"};
    for (int i = 0; i < 6; i++) {
        size_t len;
        const char *s = obn_tensor_string(z, i, &len);
        if (i % 3 == 2) {
            size_t wl = strlen(want[i]);
            ck_assert_uint_eq(len, wl + 2);
            ck_assert_int_eq(memcmp(s, want[i], wl), 0);
            ck_assert_int_eq(memcmp(s + wl, "\0!", 2), 0);
        } else {
            ck_assert_str_eq(s, want[i]);
        }
    }
    obn_tensor_destroy(z);
    ot_destroy(2, in);
    tb_free(m);
}
END_TEST

static void expect_split(const char *delim, int64_t maxsplit, int n, const char *const *xs, int width,
                         const char *const *want, const int64_t *counts)
{
    const int64_t dn[1] = {n};
    tb_model *m = tb_new(20);
    tb_input(m, "x", OBN_STRING, 1, dn);
    Onnx__NodeProto *node = tb_node(m, "StringSplit", "split", "x", "y,z");
    if (delim) tb_attr_string(m, node, "delimiter", delim);
    if (maxsplit >= 0) tb_attr_int(m, node, "maxsplit", maxsplit);
    tb_output(m, "y", OBN_STRING, -1, NULL);
    tb_output(m, "z", OBN_INT64, -1, NULL);
    obn_tensor *x = ot_tensor(OBN_STRING, 1, dn, xs), *out[2];
    OT_RUN_OK(m, 1, &x, 2, out);
    const int64_t dy[2] = {n, width};
    ot_expect_shape(out[0], 2, dy);
    expect_strings(out[0], n * width, want);
    ot_expect_i64(out[1], counts, n);
    ot_destroy(2, out);
    obn_tensor_destroy(x);
    tb_free(m);
}

START_TEST(string_split)
{
    const char *const xs[3] = {"a,b,,c", "", ",x"};
    /* ",": every comma splits; "" is one empty substring */
    const char *const w1[12] = {"a", "b", "", "c", "", "", "", "", "", "x", "", ""};
    const int64_t c1[3] = {4, 1, 2};
    expect_split(",", -1, 3, xs, 4, w1, c1);
    /* maxsplit 1: the rest stays whole */
    const char *const w2[6] = {"a", "b,,c", "", "", "", "x"};
    const int64_t c2[3] = {2, 1, 2};
    expect_split(",", 1, 3, xs, 2, w2, c2);
    /* white space: runs split, ends dropped; maxsplit 1 keeps the rest's trailing space */
    const char *const ws[3] = {"  one two\tthree ", "", "   "};
    const char *const w3[9] = {"one", "two", "three", "", "", "", "", "", ""};
    const int64_t c3[3] = {3, 0, 0};
    expect_split(NULL, -1, 3, ws, 3, w3, c3);
    const char *const w4[6] = {"one", "two\tthree ", "", "", "", ""};
    const int64_t c4[3] = {2, 0, 0};
    expect_split("", 1, 3, ws, 2, w4, c4);
    const char *const w5[3] = {"one two\tthree ", "", ""};
    const int64_t c5[3] = {1, 0, 0};
    expect_split(NULL, 0, 3, ws, 1, w5, c5);
    /* a multi-byte delimiter */
    const char *const ms[1] = {"a<>b<>"};
    const char *const w6[3] = {"a", "b", ""};
    const int64_t c6[1] = {3};
    expect_split("<>", -1, 1, ms, 3, w6, c6);
}
END_TEST

START_TEST(string_normalizer)
{
    const int64_t d5[1] = {5}, d15[2] = {1, 5};
    const char *const xs[5] = {"\xc3\x89t\xc3\xa9", "THE", "stra\xc3\x9f" "e", "the", "Wa\xc3\xbf"};
    const char *const stop[1] = {"the"};
    Onnx__NodeProto *n;
    /* case-insensitive stopwords, then UPPER: é -> É, ÿ -> Ÿ (U+0178), ß kept */
    tb_model *m = unary(10, "StringNormalizer", 1, d5, OBN_STRING, &n);
    tb_attr_string(m, n, "case_change_action", "UPPER");
    tb_attr_strings(m, n, "stopwords", 1, stop);
    obn_tensor *x = ot_tensor(OBN_STRING, 1, d5, xs), *y = run1(m, x);
    const char *const w1[3] = {"\xc3\x89T\xc3\x89", "STRA\xc3\x9f" "E", "WA\xc5\xb8"};
    const int64_t d3[1] = {3};
    ot_expect_shape(y, 1, d3);
    expect_strings(y, 3, w1);
    obn_tensor_destroy(y);
    tb_free(m);
    /* case-sensitive, LOWER, [1, C] */
    m = unary(10, "StringNormalizer", 2, d15, OBN_STRING, &n);
    tb_attr_string(m, n, "case_change_action", "LOWER");
    tb_attr_int(m, n, "is_case_sensitive", 1);
    tb_attr_strings(m, n, "stopwords", 1, stop);
    obn_tensor *x2 = ot_tensor(OBN_STRING, 2, d15, xs);
    y = run1(m, x2);
    const char *const w2[4] = {"\xc3\xa9t\xc3\xa9", "the", "stra\xc3\x9f" "e", "wa\xc3\xbf"};
    const int64_t d14[2] = {1, 4};
    ot_expect_shape(y, 2, d14);
    expect_strings(y, 4, w2);
    obn_tensor_destroy(y);
    tb_free(m);
    /* everything dropped: one empty string, [1, 1] */
    const char *const only[2] = {"the", "The"};
    const int64_t d12[2] = {1, 2}, d11[2] = {1, 1};
    m = unary(10, "StringNormalizer", 2, d12, OBN_STRING, &n);
    tb_attr_strings(m, n, "stopwords", 1, stop);
    obn_tensor *x3 = ot_tensor(OBN_STRING, 2, d12, only);
    y = run1(m, x3);
    ot_expect_shape(y, 2, d11);
    const char *const empty[1] = {""};
    expect_strings(y, 1, empty);
    obn_tensor_destroy(y);
    tb_free(m);
    /* [2, C] and a bad action are refused */
    const int64_t d22[2] = {2, 2};
    m = unary(10, "StringNormalizer", 2, d22, OBN_STRING, &n);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "[2,2]", "[C] or [1,C]");
    tb_free(m);
    m = unary(10, "StringNormalizer", 1, d5, OBN_STRING, &n);
    tb_attr_string(m, n, "case_change_action", "TITLE");
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'case_change_action'", "TITLE");
    tb_free(m);
    obn_tensor_destroy(x);
    obn_tensor_destroy(x2);
    obn_tensor_destroy(x3);
}
END_TEST

/* Full matches of `pattern` on the strings (NULL-terminated), against want. */
static void expect_regex(const char *pattern, const char *const *texts, const uint8_t *want)
{
    int n = 0;
    while (texts[n]) n++;
    const int64_t dn[1] = {n};
    Onnx__NodeProto *node;
    tb_model *m = unary(20, "RegexFullMatch", 1, dn, OBN_BOOL, &node);
    tb_attr_string(m, node, "pattern", pattern);
    obn_tensor *x = ot_tensor(OBN_STRING, 1, dn, texts), *y = run1(m, x);
    const uint8_t *got = obn_tensor_cdata(y);
    for (int i = 0; i < n; i++)
        ck_assert_msg(got[i] == want[i], "pattern /%s/ on \"%s\": %d, expected %d", pattern, texts[i], got[i], want[i]);
    obn_tensor_destroy(y);
    obn_tensor_destroy(x);
    tb_free(m);
}

static obn_status regex_status(const char *pattern)
{
    const int64_t d1[1] = {1};
    Onnx__NodeProto *node;
    tb_model *m = unary(20, "RegexFullMatch", 1, d1, OBN_BOOL, &node);
    tb_attr_string(m, node, "pattern", pattern);
    obn_model *model = NULL;
    obn_status s = tb_load(m, &model);
    obn_model_destroy(model);
    tb_free(m);
    return s;
}

START_TEST(regex_full_match)
{
    const char *const t1[] = {"abc", "abcc", "ab", "xabc", "", NULL};
    expect_regex("abc+", t1, (const uint8_t[]){1, 1, 0, 0, 0});
    expect_regex("(a|x)?b.*", t1, (const uint8_t[]){1, 1, 1, 0, 0});
    expect_regex("[^x]{2,3}c?", t1, (const uint8_t[]){1, 1, 1, 0, 0});
    expect_regex("a*", (const char *const[]){"", "aaa", "ab", NULL}, (const uint8_t[]){1, 1, 0});
    const char *const ta[] = {"a", "aa", "aaaa", "aaaaa", "", NULL};
    expect_regex("a{2,4}", ta, (const uint8_t[]){0, 1, 1, 0, 0});
    expect_regex("a{2,}", ta, (const uint8_t[]){0, 1, 1, 1, 0});
    expect_regex("a{4}|a?", ta, (const uint8_t[]){1, 0, 1, 0, 1});
    expect_regex("(?:aa){0,2}a", ta, (const uint8_t[]){1, 0, 0, 1, 0});
    expect_regex("", ta, (const uint8_t[]){0, 0, 0, 0, 1});
    const char *const t2[] = {"a1_b", "a-1", "x y", "9", NULL};
    expect_regex("\\w+", t2, (const uint8_t[]){1, 0, 0, 1});
    expect_regex("\\w+\\W\\w", t2, (const uint8_t[]){0, 1, 1, 0});
    expect_regex("[[:alpha:]]\\s?[[:alnum:]]", t2, (const uint8_t[]){0, 0, 1, 0});
    expect_regex("\\d|[a-c]\\D\\d?", t2, (const uint8_t[]){0, 1, 0, 1});
    /* anchors and word boundaries inside the match */
    const char *const t3[] = {"go now", "gonow", "go", NULL};
    expect_regex("^go\\b.*$", t3, (const uint8_t[]){1, 0, 1});
    expect_regex("go\\B.*", t3, (const uint8_t[]){0, 1, 0});
    /* UTF-8: '.' and a negated class take a whole character */
    const char *const t4[] = {"\xc3\xa9", "e", "\xe4\xb8\xad\xe6\x96\x87", NULL};
    expect_regex(".", t4, (const uint8_t[]){1, 1, 0});
    expect_regex("[^a]{2}", t4, (const uint8_t[]){0, 0, 1});
    expect_regex("\\x{4e2d}.", t4, (const uint8_t[]){0, 0, 1});
    expect_regex("(?:\xc3\xa9|e)", t4, (const uint8_t[]){1, 1, 0});
    /* escapes, a literal '{', named groups, lazy repetition */
    const char *const t5[] = {"a{b}", "a.b", "a\tb", NULL};
    expect_regex("a\\{b\\}|a{b}", t5, (const uint8_t[]){1, 0, 0});
    expect_regex("(?P<x>a)\\.b", t5, (const uint8_t[]){0, 1, 0});
    expect_regex("a\\tb|a.+?", t5, (const uint8_t[]){1, 1, 1});
    expect_regex("a\\011b|\\141\\.b", t5, (const uint8_t[]){0, 1, 1}); /* octal: \t, 'a' */
    /* (a*)*b on 5000 a's: exponential for a backtracking matcher, linear here */
    static char many[5001];
    memset(many, 'a', 5000);
    const char *const t6[] = {many, "aab", NULL};
    expect_regex("(a*)*b", t6, (const uint8_t[]){0, 1});
    /* refused */
    ck_assert_int_eq(regex_status("(?i)abc"), OBN_E_UNSUPPORTED);
    ot_expect_message("flag groups", (const char *)NULL);
    ck_assert_int_eq(regex_status("\\pL"), OBN_E_UNSUPPORTED);
    ck_assert_int_eq(regex_status("(a"), OBN_E_INVALID_MODEL);
    ot_expect_message("missing )", "byte 2", (const char *)NULL);
    ck_assert_int_eq(regex_status("a**"), OBN_E_INVALID_MODEL);
    ck_assert_int_eq(regex_status("a{1001}"), OBN_E_INVALID_MODEL);
    ck_assert_int_eq(regex_status("[b-a]"), OBN_E_INVALID_MODEL);
    ck_assert_int_eq(regex_status("\\1"), OBN_E_INVALID_MODEL);
    ot_expect_message("back references", (const char *)NULL);
    ck_assert_int_eq(regex_status("(a{1000}){1000}"), OBN_E_UNSUPPORTED);
    ot_expect_message("instructions", (const char *)NULL);
}
END_TEST

START_TEST(label_encoder)
{
    const int64_t d4[1] = {4};
    const char *const classes[3] = {"cat", "dog", "cow"};
    const char *const xs[4] = {"dog", "bird", "cow", "cat"};
    /* 1: strings -> index, and int64 -> string */
    tb_model *m = tb_new(13);
    tb_opset(m, "ai.onnx.ml", 1);
    tb_input(m, "x", OBN_STRING, 1, d4);
    Onnx__NodeProto *n = tb_node(m, "LabelEncoder", "le", "x", "y");
    n->domain = tb_str(m, "ai.onnx.ml");
    tb_attr_strings(m, n, "classes_strings", 3, classes);
    tb_attr_int(m, n, "default_int64", 99);
    tb_output(m, "y", OBN_INT64, -1, NULL);
    obn_tensor *x = ot_tensor(OBN_STRING, 1, d4, xs), *y = run1(m, x);
    ot_expect_i64(y, (const int64_t[]){1, 99, 2, 0}, 4);
    obn_tensor_destroy(y);
    tb_proto(m)->graph->input[0]->type->tensor_type->elem_type = OBN_INT64;
    tb_proto(m)->graph->output[0]->type->tensor_type->elem_type = OBN_STRING;
    obn_tensor *xi = ot_tensor(OBN_INT64, 1, d4, (const int64_t[]){2, -1, 0, 3});
    y = run1(m, xi);
    expect_strings(y, 4, (const char *const[]){"cow", "_Unused", "cat", "_Unused"});
    obn_tensor_destroy(y);
    obn_tensor_destroy(xi);
    tb_free(m);

    /* 2: float keys, NaN matches NaN, -0.0 equals 0.0, a repeated key: the last counts */
    m = tb_new(13);
    tb_opset(m, "ai.onnx.ml", 2);
    tb_input(m, "x", OBN_FLOAT, 1, d4);
    n = tb_node(m, "LabelEncoder", "le", "x", "y");
    n->domain = tb_str(m, "ai.onnx.ml");
    tb_attr_floats(m, n, "keys_floats", 4, (const float[]){NAN, 0.0f, 2.5f, 2.5f});
    tb_attr_strings(m, n, "values_strings", 4, (const char *const[]){"nan", "zero", "first", "last"});
    tb_attr_string(m, n, "default_string", "?");
    tb_output(m, "y", OBN_STRING, -1, NULL);
    obn_tensor *xf = ot_tensor(OBN_FLOAT, 1, d4, (const float[]){2.5f, -0.0f, -NAN, 7});
    y = run1(m, xf);
    expect_strings(y, 4, (const char *const[]){"last", "zero", "nan", "?"});
    obn_tensor_destroy(y);
    obn_tensor_destroy(xf);
    tb_free(m);

    /* 4: int32 keys and values as tensors, default_tensor; X of another type is refused */
    m = tb_new(13);
    tb_opset(m, "ai.onnx.ml", 4);
    tb_input(m, "x", OBN_INT32, 1, d4);
    n = tb_node(m, "LabelEncoder", "le", "x", "y");
    n->domain = tb_str(m, "ai.onnx.ml");
    const int64_t d2[1] = {2}, d1[1] = {1};
    tb_attr_tensor(m, n, "keys_tensor", tb_tensor(m, "k", OBN_INT32, 1, d2, (const int32_t[]){5, -3}, 8));
    tb_attr_tensor(m, n, "values_tensor", tb_tensor(m, "v", OBN_INT16, 1, d2, (const int16_t[]){50, -30}, 4));
    tb_attr_tensor(m, n, "default_tensor", tb_tensor(m, "d", OBN_INT16, 1, d1, (const int16_t[]){7}, 2));
    tb_output(m, "y", OBN_INT16, -1, NULL);
    obn_tensor *x32 = ot_tensor(OBN_INT32, 1, d4, (const int32_t[]){-3, 5, 0, 5});
    y = run1(m, x32);
    ot_expect_bytes(y, OBN_INT16, (const int16_t[]){-30, 50, 7, 50}, 4);
    obn_tensor_destroy(y);
    obn_tensor_destroy(x32);
    tb_proto(m)->graph->input[0]->type->tensor_type->elem_type = OBN_INT64;
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'X'", "int64", "int32");
    tb_free(m);

    /* keys and values must match in count; exactly one keys_* */
    m = tb_new(13);
    tb_opset(m, "ai.onnx.ml", 2);
    tb_input(m, "x", OBN_STRING, 1, d4);
    n = tb_node(m, "LabelEncoder", "le", "x", "y");
    n->domain = tb_str(m, "ai.onnx.ml");
    tb_attr_strings(m, n, "keys_strings", 3, classes);
    tb_attr_ints(m, n, "values_int64s", 2, (const int64_t[]){1, 2});
    tb_output(m, "y", OBN_INT64, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "3 keys but 2 values");
    tb_free(m);
    obn_tensor_destroy(x);
}
END_TEST

START_TEST(cast_to_and_from_string)
{
    const int64_t d5[1] = {5};
    /* numbers -> string */
    tb_model *m = tb_new(13);
    tb_input(m, "x", OBN_DOUBLE, 1, d5);
    tb_attr_int(m, tb_node(m, "Cast", "c", "x", "y"), "to", OBN_STRING);
    tb_output(m, "y", OBN_STRING, -1, NULL);
    obn_tensor *x = ot_tensor(OBN_DOUBLE, 1, d5, (const double[]){0.1, -250, 1e16, 1.5e-7, NAN}), *y = run1(m, x);
    expect_strings(y, 5, (const char *const[]){"0.1", "-250.0", "1e+16", "1.5e-07", "nan"});
    obn_tensor_destroy(y);
    obn_tensor_destroy(x);
    tb_proto(m)->graph->input[0]->type->tensor_type->elem_type = OBN_INT64;
    x = ot_tensor(OBN_INT64, 1, d5, (const int64_t[]){0, -7, INT64_MAX, 42, INT64_MIN});
    y = run1(m, x);
    expect_strings(y, 5, (const char *const[]){"0", "-7", "9223372036854775807", "42", "-9223372036854775808"});
    obn_tensor_destroy(y);
    obn_tensor_destroy(x);
    tb_proto(m)->graph->input[0]->type->tensor_type->elem_type = OBN_FLOAT16;
    x = ot_tensor(OBN_FLOAT16, 1, d5, (const uint16_t[]){0x2E66 /* 0.1 */, 0x3C00, 0xBC00, 0x7C00, 0x0001});
    y = run1(m, x);
    expect_strings(y, 5, (const char *const[]){"0.1", "1.0", "-1.0", "inf", "6e-08"});
    obn_tensor_destroy(y);
    obn_tensor_destroy(x);
    tb_free(m);
    /* string -> numbers */
    const char *const xs[5] = {" 12 ", "-3.75", "1e3", "+INF", "nan"};
    m = tb_new(13);
    tb_input(m, "x", OBN_STRING, 1, d5);
    tb_attr_int(m, tb_node(m, "Cast", "c", "x", "y"), "to", OBN_FLOAT);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    x = ot_tensor(OBN_STRING, 1, d5, xs);
    y = run1(m, x);
    const float *f = obn_tensor_cdata(y);
    ck_assert(f[0] == 12 && f[1] == -3.75f && f[2] == 1000 && isinf(f[3]) && f[3] > 0 && isnan(f[4]));
    obn_tensor_destroy(y);
    tb_proto(m)->graph->node[0]->attribute[0]->i = OBN_INT32;
    tb_proto(m)->graph->output[0]->type->tensor_type->elem_type = OBN_INT32;
    const char *const ints[5] = {" 12 ", "-3.75", "1e3", "2147483648", "-0"};
    obn_tensor *xi = ot_tensor(OBN_STRING, 1, d5, ints);
    y = run1(m, xi);
    ot_expect_bytes(y, OBN_INT32, (const int32_t[]){12, -3, 1000, INT32_MIN, 0}, 5); /* 2^31 wraps */
    obn_tensor_destroy(y);
    obn_tensor_destroy(xi);
    /* not a number: a run-time error naming the string */
    const char *const bad[5] = {"1", "2", "two", "3", "4"};
    obn_tensor *xb = ot_tensor(OBN_STRING, 1, d5, bad);
    ck_assert_int_eq(ot_run(m, 1, &xb, 1, &y), OBN_E_RUNTIME);
    ot_expect_message("string #2", "\"two\"", "not a number", (const char *)NULL);
    obn_tensor_destroy(xb);
    obn_tensor_destroy(x);
    tb_free(m);
}
END_TEST

/* x [2,3] -> Transpose -> [3,2] -> Reshape [6] -> Gather [4,0] -> Concat with
 * a string Constant -> Slice [1:] -> Identity; plus Shape and Size of x. */
START_TEST(shape_ops_move_strings)
{
    const int64_t d23[2] = {2, 3}, d1[1] = {1}, d2[1] = {2};
    const char *const xs[6] = {"a", "b", "c", "d", "e", "f"};
    tb_model *m = tb_new(13);
    tb_input(m, "x", OBN_STRING, 2, d23);
    tb_attr_ints(m, tb_node(m, "Transpose", "t", "x", "xt"), "perm", 2, (const int64_t[]){1, 0});
    tb_init_i64(m, "shape", 1, d1, (const int64_t[]){6});
    tb_node(m, "Reshape", "r", "xt,shape", "flat");
    tb_init_i64(m, "idx", 1, d2, (const int64_t[]){4, 0});
    tb_node(m, "Gather", "g", "flat,idx", "picked");
    Onnx__NodeProto *c = tb_node(m, "Constant", "k", "", "kst");
    tb_attr_strings(m, c, "value_strings", 2, (const char *const[]){"X", "YY"});
    tb_attr_int(m, tb_node(m, "Concat", "cat", "picked,kst", "joined"), "axis", 0);
    tb_init_i64(m, "starts", 1, d1, (const int64_t[]){1});
    tb_init_i64(m, "ends", 1, d1, (const int64_t[]){100});
    tb_node(m, "Slice", "s", "joined,starts,ends", "sliced");
    tb_node(m, "Identity", "id", "sliced", "y");
    tb_node(m, "Shape", "sh", "x", "xshape");
    tb_node(m, "Size", "sz", "x", "xsize");
    tb_output(m, "y", OBN_STRING, -1, NULL);
    tb_output(m, "xshape", OBN_INT64, -1, NULL);
    tb_output(m, "xsize", OBN_INT64, -1, NULL);
    obn_tensor *x = ot_tensor(OBN_STRING, 2, d23, xs), *out[3];
    OT_RUN_OK(m, 1, &x, 3, out);
    /* transposed: a d b e c f; [4] = c, [0] = a; + X YY; from 1: a X YY */
    expect_strings(out[0], 3, (const char *const[]){"a", "X", "YY"});
    ot_expect_i64(out[1], (const int64_t[]){2, 3}, 2);
    ot_expect_i64(out[2], (const int64_t[]){6}, 1);
    ot_destroy(3, out);
    /* an op without strings names itself */
    tb_node(m, "Unique", "uniq", "x", "u");
    tb_output(m, "u", OBN_STRING, -1, NULL);
    ck_assert_int_eq(ot_run(m, 1, &x, 4, (obn_tensor *[4]){0}), OBN_E_UNSUPPORTED);
    ot_expect_message("node \"uniq\"", "Unique-11", "string", (const char *)NULL);
    obn_tensor_destroy(x);
    tb_free(m);
}
END_TEST

/* x [1,2] -> Expand [2,2], Tile [1,3], Where with a constant, Split in two. */
START_TEST(broadcast_ops_move_strings)
{
    const int64_t d12[2] = {1, 2}, d2[1] = {2}, d22[2] = {2, 2};
    const char *const xs[2] = {"p", "qq"};
    tb_model *m = tb_new(13);
    tb_input(m, "x", OBN_STRING, 2, d12);
    tb_init_i64(m, "to", 1, d2, (const int64_t[]){2, 2});
    tb_node(m, "Expand", "e", "x,to", "ex");
    tb_init_i64(m, "reps", 1, d2, (const int64_t[]){1, 3});
    tb_node(m, "Tile", "t", "x,reps", "tiled");
    tb_add_init(m, tb_tensor(m, "cond", OBN_BOOL, 2, d22, (const uint8_t[]){1, 0, 0, 1}, 4));
    Onnx__NodeProto *k = tb_node(m, "Constant", "k", "", "other");
    Onnx__TensorProto *kt = tb_tensor_nodata(m, "kv", OBN_STRING, 0, NULL);
    kt->n_string_data = 1;
    kt->string_data = tb_alloc(m, sizeof *kt->string_data);
    kt->string_data[0].data = (uint8_t *)tb_str(m, "-");
    kt->string_data[0].len = 1;
    tb_attr_tensor(m, k, "value", kt);
    tb_node(m, "Where", "w", "cond,ex,other", "picked");
    tb_attr_int(m, tb_node(m, "Split", "s", "x", "left,right"), "axis", 1);
    tb_output(m, "ex", OBN_STRING, -1, NULL);
    tb_output(m, "tiled", OBN_STRING, -1, NULL);
    tb_output(m, "picked", OBN_STRING, -1, NULL);
    tb_output(m, "left", OBN_STRING, -1, NULL);
    tb_output(m, "right", OBN_STRING, -1, NULL);
    obn_tensor *x = ot_tensor(OBN_STRING, 2, d12, xs), *out[5];
    OT_RUN_OK(m, 1, &x, 5, out);
    expect_strings(out[0], 4, (const char *const[]){"p", "qq", "p", "qq"});
    expect_strings(out[1], 6, (const char *const[]){"p", "qq", "p", "qq", "p", "qq"});
    expect_strings(out[2], 4, (const char *const[]){"p", "-", "-", "qq"});
    expect_strings(out[3], 1, (const char *const[]){"p"});
    expect_strings(out[4], 1, (const char *const[]){"qq"});
    ot_destroy(5, out);
    tb_free(m);
    /* a failing run (Gather index out of range) frees nothing twice */
    m = tb_new(13);
    tb_input(m, "x", OBN_STRING, 2, d12);
    tb_input(m, "i", OBN_INT64, 1, d2);
    tb_attr_int(m, tb_node(m, "Gather", "g", "x,i", "y"), "axis", 1);
    tb_output(m, "y", OBN_STRING, -1, NULL);
    obn_tensor *in[2] = {x, ot_tensor(OBN_INT64, 1, d2, (const int64_t[]){1, 5})}, *y = NULL;
    ck_assert_int_eq(ot_run(m, 2, in, 1, &y), OBN_E_RUNTIME);
    ot_expect_message("index 5", (const char *)NULL);
    ot_destroy(2, in);
    tb_free(m);
}
END_TEST

/* GatherElements, ScatterElements (no reduction; add is refused) and
 * Compress on a [2,2] string tensor. */
START_TEST(element_ops_move_strings)
{
    const int64_t d22[2] = {2, 2}, d2[1] = {2};
    const char *const xs[4] = {"a", "b", "c", "d"};
    tb_model *m = tb_new(18);
    tb_input(m, "x", OBN_STRING, 2, d22);
    tb_init_i64(m, "i", 2, d22, (const int64_t[]){1, 0, 0, 0});
    tb_attr_int(m, tb_node(m, "GatherElements", "ge", "x,i", "g"), "axis", 0);
    Onnx__TensorProto *u = tb_tensor_nodata(m, "u", OBN_STRING, 2, d22);
    static const char *const us[4] = {"P", "Q", "R", "S"};
    u->n_string_data = 4;
    u->string_data = tb_alloc(m, 4 * sizeof *u->string_data);
    for (int k = 0; k < 4; k++) {
        u->string_data[k].data = (uint8_t *)tb_str(m, us[k]);
        u->string_data[k].len = 1;
    }
    tb_add_init(m, u);
    tb_init_i64(m, "j", 2, d22, (const int64_t[]){1, 1, 0, 0});
    tb_attr_int(m, tb_node(m, "ScatterElements", "se", "x,j,u", "sc"), "axis", 1);
    tb_add_init(m, tb_tensor(m, "keep", OBN_BOOL, 1, d2, (const uint8_t[]){0, 1}, 2));
    tb_attr_int(m, tb_node(m, "Compress", "cp", "x,keep", "kept"), "axis", 1);
    tb_output(m, "g", OBN_STRING, -1, NULL);
    tb_output(m, "sc", OBN_STRING, -1, NULL);
    tb_output(m, "kept", OBN_STRING, -1, NULL);
    obn_tensor *x = ot_tensor(OBN_STRING, 2, d22, xs), *out[3];
    OT_RUN_OK(m, 1, &x, 3, out);
    expect_strings(out[0], 4, (const char *const[]){"c", "b", "a", "b"});
    /* row 0: both updates to column 1, the last wins; row 1: both to column 0 */
    expect_strings(out[1], 4, (const char *const[]){"a", "Q", "S", "d"});
    expect_strings(out[2], 2, (const char *const[]){"b", "d"});
    ot_destroy(3, out);
    tb_attr_string(m, tb_proto(m)->graph->node[1], "reduction", "add");
    ck_assert_int_eq(ot_run(m, 1, &x, 3, out), OBN_E_UNSUPPORTED); /* planned by the run: strings */
    ot_expect_message("node \"se\"", "reduction of string data", (const char *)NULL);
    obn_tensor_destroy(x);
    tb_free(m);
}
END_TEST

/* Sequences of strings: SequenceConstruct, SequenceInsert, SequenceAt,
 * SequenceLength; the sequence itself as an output. */
START_TEST(sequences_of_strings)
{
    const int64_t d2[1] = {2}, d1[1] = {1};
    tb_model *m = tb_new(17);
    tb_input(m, "x", OBN_STRING, 1, d2);
    tb_input(m, "y", OBN_STRING, 1, d1);
    tb_node(m, "SequenceConstruct", "sc", "x,y", "seq");
    tb_node(m, "SequenceInsert", "si", "seq,x", "seq2");
    tb_init_i64(m, "pos", 0, NULL, (const int64_t[]){1});
    tb_node(m, "SequenceAt", "sa", "seq2,pos", "item");
    tb_node(m, "SequenceLength", "sl", "seq2", "len");
    tb_output(m, "item", OBN_STRING, -1, NULL);
    tb_output(m, "len", OBN_INT64, -1, NULL);
    Onnx__ValueInfoProto *so = tb_output(m, "seq2", OBN_STRING, -1, NULL);
    tb_wrap_type(m, so, OBN_KIND_SEQUENCE);
    obn_tensor *in[2] = {ot_tensor(OBN_STRING, 1, d2, (const char *const[]){"a", "b"}),
                         ot_tensor(OBN_STRING, 1, d1, (const char *const[]){"solo"})},
               *out[3];
    OT_RUN_OK(m, 2, in, 3, out);
    expect_strings(out[0], 1, (const char *const[]){"solo"});
    ot_expect_i64(out[1], (const int64_t[]){3}, 1);
    ck_assert_int_eq(obn_tensor_kind(out[2]), OBN_KIND_SEQUENCE);
    ck_assert_uint_eq(obn_sequence_length(out[2]), 3);
    expect_strings(obn_sequence_at(out[2], 2), 2, (const char *const[]){"a", "b"});
    ot_destroy(3, out);
    ot_destroy(2, in);
    tb_free(m);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("strings");
    TCase *t = tcase_create("ops");
    tcase_add_test(t, string_concat);
    tcase_add_test(t, string_split);
    tcase_add_test(t, string_normalizer);
    tcase_add_test(t, regex_full_match);
    tcase_add_test(t, label_encoder);
    tcase_add_test(t, cast_to_and_from_string);
    tcase_add_test(t, shape_ops_move_strings);
    tcase_add_test(t, broadcast_ops_move_strings);
    tcase_add_test(t, element_ops_move_strings);
    tcase_add_test(t, sequences_of_strings);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return ot_main(suite()); }
