/* Sequence and optional values: the Sequence* ops, Optional*, values through
 * the public API (obn_sequence_*, obn_optional_*, obn_value_load) and the
 * errors. Expected values are worked out by hand in the comments; they are
 * small integers in float, compared exactly. */
#include <stdio.h>
#include <unistd.h>

#include "op_testing.h"
#include "tb_check.h"

static const int64_t D2[1] = {2}, D3[1] = {3};

/* A sequence of the given float tensors (copied). */
static obn_tensor *seq_of(int n, obn_tensor *const *items)
{
    obn_tensor *s = NULL;
    TB_EXPECT_OK(obn_sequence_create(OBN_FLOAT, (size_t)n, (const obn_tensor *const *)items, &s));
    return s;
}

static void expect_item(const obn_tensor *seq, size_t i, int rank, const int64_t *dims, const double *want)
{
    const obn_tensor *t = obn_sequence_at(seq, i);
    ck_assert_msg(t != NULL, "no item %zu", i);
    ot_expect_shape(t, rank, dims);
    ot_expect_f32(t, want, obn_tensor_numel(t), 0);
}

/* A sequence-typed graph input or output of float tensors of any shape. */
static void seq_input(tb_model *m, const char *name) { tb_wrap_type(m, tb_input(m, name, OBN_FLOAT, -1, NULL), OBN_KIND_SEQUENCE); }
static void seq_output(tb_model *m, const char *name) { tb_wrap_type(m, tb_output(m, name, OBN_FLOAT, -1, NULL), OBN_KIND_SEQUENCE); }

/* SequenceConstruct(a = [1,2], b = [3,4,5]); SequenceAt(-1) is b, the
 * length is 2. */
START_TEST(construct_at_length)
{
    tb_model *m = tb_new(17);
    tb_input(m, "a", OBN_FLOAT, 1, D2);
    tb_input(m, "b", OBN_FLOAT, 1, D3);
    tb_input(m, "pos", OBN_INT64, 0, NULL);
    tb_node(m, "SequenceConstruct", "make", "a,b", "s");
    tb_node(m, "SequenceAt", "at", "s,pos", "item");
    tb_node(m, "SequenceLength", "len", "s", "n");
    tb_output(m, "item", OBN_FLOAT, -1, NULL);
    tb_output(m, "n", OBN_INT64, 0, NULL);
    seq_output(m, "s");
    int64_t pos = -1;
    obn_tensor *in[3] = {tb_f32(1, D2, (const float[]){1, 2}), tb_f32(1, D3, (const float[]){3, 4, 5}),
                         ot_tensor(OBN_INT64, 0, NULL, &pos)};
    obn_tensor *out[3];
    OT_RUN_OK(m, 3, in, 3, out);
    ot_expect_shape(out[0], 1, D3);
    ot_expect_f32(out[0], (const double[]){3, 4, 5}, 3, 0);
    ot_expect_i64(out[1], (const int64_t[]){2}, 1);
    ck_assert_int_eq(obn_tensor_kind(out[2]), OBN_KIND_SEQUENCE);
    ck_assert_uint_eq(obn_sequence_length(out[2]), 2);
    expect_item(out[2], 0, 1, D2, (const double[]){1, 2});
    for (int i = 0; i < 3; i++) obn_tensor_destroy(in[i]), obn_tensor_destroy(out[i]);
    tb_free(m);
}
END_TEST

/* A sequence input [a, b]: insert c at 1 -> [a, c, b]; erase 0 of that ->
 * [c, b]; the input itself is unchanged. */
START_TEST(insert_erase_from_input)
{
    tb_model *m = tb_new(17);
    seq_input(m, "s");
    tb_input(m, "c", OBN_FLOAT, 1, D2);
    tb_input(m, "p", OBN_INT32, 0, NULL);
    tb_init_i64(m, "zero", 0, NULL, (const int64_t[]){0});
    tb_node(m, "SequenceInsert", "ins", "s,c,p", "s2");
    tb_node(m, "SequenceErase", "era", "s2,zero", "s3");
    seq_output(m, "s2");
    seq_output(m, "s3");
    obn_tensor *a = tb_f32(1, D2, (const float[]){1, 2}), *b = tb_f32(1, D3, (const float[]){3, 4, 5});
    obn_tensor *s = seq_of(2, (obn_tensor *const[]){a, b});
    int32_t p = 1;
    obn_tensor *in[3] = {s, tb_f32(1, D2, (const float[]){7, 8}), ot_tensor(OBN_INT32, 0, NULL, &p)};
    obn_tensor *out[2];
    OT_RUN_OK(m, 3, in, 2, out);
    ck_assert_uint_eq(obn_sequence_length(out[0]), 3);
    expect_item(out[0], 0, 1, D2, (const double[]){1, 2});
    expect_item(out[0], 1, 1, D2, (const double[]){7, 8});
    expect_item(out[0], 2, 1, D3, (const double[]){3, 4, 5});
    ck_assert_uint_eq(obn_sequence_length(out[1]), 2);
    expect_item(out[1], 0, 1, D2, (const double[]){7, 8});
    expect_item(out[1], 1, 1, D3, (const double[]){3, 4, 5});
    ck_assert_uint_eq(obn_sequence_length(s), 2);
    obn_tensor_destroy(a), obn_tensor_destroy(b);
    for (int i = 0; i < 3; i++) obn_tensor_destroy(in[i]);
    for (int i = 0; i < 2; i++) obn_tensor_destroy(out[i]);
    tb_free(m);
}
END_TEST

/* ConcatFromSequence: [1x2 {1,2}, 2x2 {3,4,5,6}] along 0 -> 3x2 {1..6};
 * stacked (new_axis) along 1: [{1,2}, {3,4}] -> 2x2 {1,3,2,4}. */
START_TEST(concat_and_stack)
{
    tb_model *m = tb_new(17);
    tb_input(m, "a", OBN_FLOAT, 2, (const int64_t[]){1, 2});
    tb_input(m, "b", OBN_FLOAT, 2, (const int64_t[]){2, 2});
    tb_input(m, "x", OBN_FLOAT, 1, D2);
    tb_input(m, "y", OBN_FLOAT, 1, D2);
    tb_node(m, "SequenceConstruct", "s1", "a,b", "ab");
    tb_node(m, "SequenceConstruct", "s2", "x,y", "xy");
    tb_attr_int(m, tb_node(m, "ConcatFromSequence", "cat", "ab", "cat_out"), "axis", 0);
    Onnx__NodeProto *st = tb_node(m, "ConcatFromSequence", "stack", "xy", "stack_out");
    tb_attr_int(m, st, "axis", 1);
    tb_attr_int(m, st, "new_axis", 1);
    tb_output(m, "cat_out", OBN_FLOAT, -1, NULL);
    tb_output(m, "stack_out", OBN_FLOAT, -1, NULL);
    obn_tensor *in[4] = {tb_f32(2, (const int64_t[]){1, 2}, (const float[]){1, 2}),
                         tb_f32(2, (const int64_t[]){2, 2}, (const float[]){3, 4, 5, 6}),
                         tb_f32(1, D2, (const float[]){1, 2}), tb_f32(1, D2, (const float[]){3, 4})};
    obn_tensor *out[2];
    OT_RUN_OK(m, 4, in, 2, out);
    ot_expect_shape(out[0], 2, (const int64_t[]){3, 2});
    ot_expect_f32(out[0], (const double[]){1, 2, 3, 4, 5, 6}, 6, 0);
    ot_expect_shape(out[1], 2, (const int64_t[]){2, 2});
    ot_expect_f32(out[1], (const double[]){1, 3, 2, 4}, 4, 0);
    for (int i = 0; i < 4; i++) obn_tensor_destroy(in[i]);
    for (int i = 0; i < 2; i++) obn_tensor_destroy(out[i]);
    tb_free(m);
}
END_TEST

/* SplitToSequence of x = 2x3 {0..5}: lengths [1,2] on axis 1 -> 2x1 {0,3},
 * 2x2 {1,2,4,5}; chunks of 2 on axis 1 -> 2x2 {0,1,3,4}, 2x1 {2,5}; no
 * split, keepdims 0, axis 0 -> [3] {0,1,2}, [3] {3,4,5}. */
START_TEST(split_three_ways)
{
    tb_model *m = tb_new(17);
    tb_input(m, "x", OBN_FLOAT, 2, (const int64_t[]){2, 3});
    tb_init_i64(m, "lens", 1, D2, (const int64_t[]){1, 2});
    tb_init_i64(m, "chunk", 0, NULL, (const int64_t[]){2});
    tb_attr_int(m, tb_node(m, "SplitToSequence", "by_lens", "x,lens", "s1"), "axis", 1);
    tb_attr_int(m, tb_node(m, "SplitToSequence", "by_chunk", "x,chunk", "s2"), "axis", -1);
    tb_attr_int(m, tb_node(m, "SplitToSequence", "rows", "x", "s3"), "keepdims", 0);
    seq_output(m, "s1");
    seq_output(m, "s2");
    seq_output(m, "s3");
    obn_tensor *in[1] = {tb_f32(2, (const int64_t[]){2, 3}, (const float[]){0, 1, 2, 3, 4, 5})};
    obn_tensor *out[3];
    OT_RUN_OK(m, 1, in, 3, out);
    expect_item(out[0], 0, 2, (const int64_t[]){2, 1}, (const double[]){0, 3});
    expect_item(out[0], 1, 2, (const int64_t[]){2, 2}, (const double[]){1, 2, 4, 5});
    expect_item(out[1], 0, 2, (const int64_t[]){2, 2}, (const double[]){0, 1, 3, 4});
    expect_item(out[1], 1, 2, (const int64_t[]){2, 1}, (const double[]){2, 5});
    ck_assert_uint_eq(obn_sequence_length(out[2]), 2);
    expect_item(out[2], 1, 1, D3, (const double[]){3, 4, 5});
    obn_tensor_destroy(in[0]);
    for (int i = 0; i < 3; i++) obn_tensor_destroy(out[i]);
    tb_free(m);
}
END_TEST

/* SequenceAt past the end and SequenceErase of an empty sequence name the
 * node and the range; a tensor fed where a sequence is declared is refused. */
START_TEST(sequence_errors)
{
    tb_model *m = tb_new(17);
    seq_input(m, "s");
    tb_input(m, "pos", OBN_INT64, 0, NULL);
    tb_node(m, "SequenceAt", "at", "s,pos", "item");
    tb_output(m, "item", OBN_FLOAT, -1, NULL);
    obn_tensor *a = tb_f32(1, D2, (const float[]){1, 2});
    int64_t pos = 2;
    obn_tensor *in[2] = {seq_of(2, (obn_tensor *const[]){a, a}), ot_tensor(OBN_INT64, 0, NULL, &pos)};
    obn_tensor *out[1];
    TB_EXPECT_ERR(ot_run(m, 2, in, 1, out), OBN_E_INVALID_INPUT, "node \"at\"", "SequenceAt", "position 2",
                  "out of range [-2, 1]");
    obn_tensor *wrong[2] = {a, in[1]};
    TB_EXPECT_ERR(ot_run(m, 2, wrong, 1, out), OBN_E_INVALID_INPUT, "input 's'", "tensor", "expects a sequence");
    obn_tensor *empty = seq_of(0, NULL);
    obn_tensor *e_in[2] = {empty, in[1]};
    TB_EXPECT_ERR(ot_run(m, 2, e_in, 1, out), OBN_E_INVALID_INPUT, "node \"at\"", "the sequence is empty");
    obn_tensor_destroy(empty);
    obn_tensor_destroy(a);
    for (int i = 0; i < 2; i++) obn_tensor_destroy(in[i]);
    tb_free(m);
    /* a sequence into an op that takes tensors only */
    m = tb_new(17);
    seq_input(m, "s");
    tb_node(m, "Relu", "relu", "s", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    a = tb_f32(1, D2, (const float[]){1, 2});
    in[0] = seq_of(1, (obn_tensor *const[]){a});
    TB_EXPECT_ERR(ot_run(m, 1, in, 1, out), OBN_E_INVALID_MODEL, "node \"relu\"", "is a sequence", "tensors only");
    obn_tensor_destroy(in[0]);
    obn_tensor_destroy(a);
    tb_free(m);
}
END_TEST

/* An optional(float tensor) input: OptionalHasElement / OptionalGetElement
 * on a full one give true and the tensor [4, 5]; GetElement on an empty one
 * is an error naming the node. */
START_TEST(optional_get_and_has)
{
    tb_model *m = tb_new(18);
    tb_wrap_type(m, tb_input(m, "o", OBN_FLOAT, -1, NULL), OBN_KIND_OPTIONAL);
    tb_node(m, "OptionalHasElement", "has", "o", "h");
    tb_node(m, "OptionalGetElement", "get", "o", "v");
    tb_output(m, "h", OBN_BOOL, 0, NULL);
    tb_output(m, "v", OBN_FLOAT, -1, NULL);
    obn_tensor *x = tb_f32(1, D2, (const float[]){4, 5}), *full = NULL, *empty = NULL;
    TB_EXPECT_OK(obn_optional_create(OBN_FLOAT, x, &full));
    TB_EXPECT_OK(obn_optional_create(OBN_FLOAT, NULL, &empty));
    obn_tensor *out[2];
    OT_RUN_OK(m, 1, &full, 2, out);
    ck_assert_int_eq(*(const uint8_t *)obn_tensor_cdata(out[0]), 1);
    ot_expect_f32(out[1], (const double[]){4, 5}, 2, 0);
    for (int i = 0; i < 2; i++) obn_tensor_destroy(out[i]);
    TB_EXPECT_ERR(ot_run(m, 1, &empty, 2, out), OBN_E_INVALID_INPUT, "node \"get\"", "OptionalGetElement",
                  "empty optional");
    TB_EXPECT_ERR(ot_run(m, 1, &x, 2, out), OBN_E_INVALID_INPUT, "input 'o'", "expects an optional");
    obn_tensor_destroy(x), obn_tensor_destroy(full), obn_tensor_destroy(empty);
    tb_free(m);
}
END_TEST

/* SequenceMap with a body y = x + t over the sequence [[1, 2], [3]] and the
 * tensor t = [10]: [[11, 12], [13]]; a second sequence of another length is
 * refused. */
START_TEST(sequence_map_add)
{
    tb_model *m = tb_new(17), *body = tb_new(0);
    seq_input(m, "s");
    tb_input(m, "t", OBN_FLOAT, 1, (const int64_t[]){1});
    tb_input(body, "x", OBN_FLOAT, -1, NULL);
    tb_input(body, "tt", OBN_FLOAT, -1, NULL);
    tb_node(body, "Add", "add", "x,tt", "y");
    tb_output(body, "y", OBN_FLOAT, -1, NULL);
    tb_attr_graph(m, tb_node(m, "SequenceMap", "map", "s,t", "out"), "body", body);
    seq_output(m, "out");
    obn_tensor *a = tb_f32(1, D2, (const float[]){1, 2}), *b = tb_f32(1, (const int64_t[]){1}, (const float[]){3});
    obn_tensor *in[2] = {seq_of(2, (obn_tensor *const[]){a, b}), tb_f32(1, (const int64_t[]){1}, (const float[]){10})};
    obn_tensor *out[1];
    OT_RUN_OK(m, 2, in, 1, out);
    ck_assert_uint_eq(obn_sequence_length(out[0]), 2);
    expect_item(out[0], 0, 1, D2, (const double[]){11, 12});
    expect_item(out[0], 1, 1, (const int64_t[]){1}, (const double[]){13});
    obn_tensor_destroy(out[0]);
    for (int i = 0; i < 2; i++) obn_tensor_destroy(in[i]);
    tb_free(m), tb_free(body);
    /* two sequences of different lengths */
    m = tb_new(17), body = tb_new(0);
    seq_input(m, "s");
    seq_input(m, "u");
    tb_input(body, "x", OBN_FLOAT, -1, NULL);
    tb_input(body, "z", OBN_FLOAT, -1, NULL);
    tb_node(body, "Add", "add", "x,z", "y");
    tb_output(body, "y", OBN_FLOAT, -1, NULL);
    tb_attr_graph(m, tb_node(m, "SequenceMap", "map2", "s,u", "out"), "body", body);
    seq_output(m, "out");
    in[0] = seq_of(2, (obn_tensor *const[]){a, b});
    in[1] = seq_of(1, (obn_tensor *const[]){a});
    TB_EXPECT_ERR(ot_run(m, 2, in, 1, out), OBN_E_INVALID_INPUT, "node \"map2\"", "'u' has 1 items", "has 2");
    for (int i = 0; i < 2; i++) obn_tensor_destroy(in[i]);
    obn_tensor_destroy(a), obn_tensor_destroy(b);
    tb_free(m), tb_free(body);
}
END_TEST

/* The tensor accessors answer "nothing" on sequences and optionals; the
 * constructors check their items; obn_value_info tells the kinds. */
START_TEST(api_values)
{
    obn_tensor *a = tb_f32(1, D2, (const float[]){1, 2}), *s = seq_of(1, (obn_tensor *const[]){a});
    ck_assert_int_eq(obn_tensor_dtype(s), OBN_FLOAT);
    ck_assert_uint_eq(obn_tensor_rank(s), 0);
    ck_assert_int_eq(obn_tensor_numel(s), 0);
    ck_assert_uint_eq(obn_tensor_nbytes(s), 0);
    ck_assert_ptr_null(obn_tensor_cdata(s));
    ck_assert_ptr_null(obn_tensor_dims(s));
    ck_assert(isnan(obn_tensor_value(s, 0)));
    ck_assert_ptr_null(obn_sequence_at(s, 1));
    ck_assert_ptr_null(obn_sequence_at(a, 0));
    ck_assert_uint_eq(obn_sequence_length(a), 0);
    TB_EXPECT_ERR(obn_tensor_save(s, "s", "/nonexistent/x.pb"), OBN_E_INVALID_ARGUMENT, "sequence");
    obn_tensor *bad = NULL, *i64 = ot_tensor(OBN_INT64, 0, NULL, (const int64_t[]){1});
    TB_EXPECT_ERR(obn_sequence_create(OBN_FLOAT, 1, (const obn_tensor *const[]){i64}, &bad), OBN_E_INVALID_ARGUMENT,
                  "item #0", "int64", "float");
    ck_assert_ptr_null(bad);
    TB_EXPECT_ERR(obn_sequence_create(OBN_FLOAT, 1, NULL, &bad), OBN_E_INVALID_ARGUMENT, "items is NULL");
    obn_tensor *opt = NULL, *empty = NULL, *clone = NULL;
    TB_EXPECT_OK(obn_optional_create(OBN_FLOAT, s, &opt));
    TB_EXPECT_OK(obn_optional_create(OBN_FLOAT, NULL, &empty));
    TB_EXPECT_ERR(obn_optional_create(OBN_FLOAT, opt, &bad), OBN_E_INVALID_ARGUMENT, "optional cannot hold");
    ck_assert_int_eq(obn_optional_has_value(opt), 1);
    ck_assert_int_eq(obn_optional_has_value(empty), 0);
    ck_assert_ptr_null(obn_optional_value(empty));
    ck_assert_int_eq(obn_tensor_kind(obn_optional_value(opt)), OBN_KIND_SEQUENCE);
    TB_EXPECT_OK(obn_tensor_clone(opt, &clone));
    ck_assert_uint_eq(obn_sequence_length(obn_optional_value(clone)), 1);
    obn_tensor_destroy(s); /* the optional and its clone keep the items */
    ot_expect_f32(obn_sequence_at(obn_optional_value(clone), 0), (const double[]){1, 2}, 2, 0);
    ck_assert_str_eq(obn_kind_name(OBN_KIND_OPTIONAL), "optional");
    obn_tensor_destroy(clone), obn_tensor_destroy(opt), obn_tensor_destroy(empty);
    obn_tensor_destroy(a), obn_tensor_destroy(i64);
    /* obn_value_info */
    tb_model *m = tb_new(17);
    Onnx__ValueInfoProto *vi = tb_input(m, "o", OBN_FLOAT, 1, D2);
    tb_wrap_type(m, vi, OBN_KIND_SEQUENCE);
    tb_wrap_type(m, vi, OBN_KIND_OPTIONAL);
    tb_node(m, "Identity", "id", "o", "p");
    tb_wrap_type(m, tb_output(m, "p", OBN_FLOAT, -1, NULL), OBN_KIND_OPTIONAL);
    obn_model *model = NULL;
    TB_EXPECT_OK(tb_load(m, &model));
    obn_value_info info;
    TB_EXPECT_OK(obn_model_input(model, 0, &info));
    ck_assert_int_eq(info.kind, OBN_KIND_OPTIONAL);
    ck_assert_int_eq(info.elem_kind, OBN_KIND_SEQUENCE);
    ck_assert_int_eq(info.dtype, OBN_FLOAT);
    ck_assert_uint_eq(info.rank, 1);
    obn_model_destroy(model);
    tb_free(m);
}
END_TEST

/* Map types in a model are refused by name. */
START_TEST(map_type_refused)
{
    tb_model *m = tb_new(17);
    Onnx__ValueInfoProto *vi = tb_input(m, "x", OBN_FLOAT, -1, NULL);
    Onnx__TypeProto *tp = vi->type;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_MAP_TYPE;
    Onnx__TypeProto__Map *map = tb_alloc(m, sizeof *map);
    onnx__type_proto__map__init(map);
    tp->map_type = map;
    tb_node(m, "Identity", "id", "x", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    obn_model *model = NULL;
    TB_EXPECT_ERR(tb_load(m, &model), OBN_E_UNSUPPORTED, "graph input 'x'", "map");
    tb_free(m);
}
END_TEST

/* obn_value_load on hostile bytes: parse errors naming the file, never a
 * crash or a leak. */
static obn_status load_bytes(const char *dir, const void *bytes, size_t n, obn_kind kind, obn_tensor **out)
{
    char *path = tb_path(dir, "v.pb");
    tb_write_file(path, bytes, n);
    obn_status s = obn_value_load(path, kind, out);
    free(path);
    return s;
}

START_TEST(value_load_hostile)
{
    char *dir = tb_tmpdir();
    obn_tensor *v = NULL;
    /* SequenceProto {elem_type 1; tensor_values {dims 2, data_type 1, raw 8 bytes}} */
    static const unsigned char good[] = {0x10, 0x01, 0x1a, 0x0e, 0x08, 0x02, 0x10, 0x01, 0x4a, 0x08,
                                         0, 0, 0x80, 0x3f, 0, 0, 0, 0x40};
    TB_EXPECT_OK(load_bytes(dir, good, sizeof good, OBN_KIND_SEQUENCE, &v));
    ck_assert_uint_eq(obn_sequence_length(v), 1);
    ot_expect_f32(obn_sequence_at(v, 0), (const double[]){1, 2}, 2, 0);
    obn_tensor_destroy(v);
    /* the length of the tensor runs past the end */
    static const unsigned char past[] = {0x10, 0x01, 0x1a, 0x7f, 0x08, 0x02};
    TB_EXPECT_ERR(load_bytes(dir, past, sizeof past, OBN_KIND_SEQUENCE, &v), OBN_E_PARSE, "v.pb", "SequenceProto");
    ck_assert_ptr_null(v);
    /* a varint that never ends */
    static const unsigned char endless[] = {0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    TB_EXPECT_ERR(load_bytes(dir, endless, sizeof endless, OBN_KIND_SEQUENCE, &v), OBN_E_PARSE, "v.pb");
    /* a map value */
    static const unsigned char map[] = {0x10, 0x04, 0x32, 0x00};
    TB_EXPECT_ERR(load_bytes(dir, map, sizeof map, OBN_KIND_SEQUENCE, &v), OBN_E_UNSUPPORTED, "v.pb", "map");
    /* tensors and sequences mixed in one sequence */
    static const unsigned char mixed[] = {0x1a, 0x04, 0x08, 0x00, 0x10, 0x01, 0x2a, 0x00};
    TB_EXPECT_ERR(load_bytes(dir, mixed, sizeof mixed, OBN_KIND_SEQUENCE, &v), OBN_E_PARSE, "mixes");
    /* sequences nested past the limit: 5 { 5 { 5 { 5 { 5 { } } } } }; and an
     * optional in an optional */
    unsigned char deep[64];
    size_t n = 0, levels = OBN_MAX_VALUE_NESTING + 1;
    for (size_t i = 0; i < levels; i++) {
        deep[n++] = 0x2a; /* sequence_values */
        deep[n++] = (unsigned char)(2 * (levels - 1 - i));
    }
    TB_EXPECT_ERR(load_bytes(dir, deep, n, OBN_KIND_SEQUENCE, &v), OBN_E_PARSE, "nest more than");
    static const unsigned char opt_opt[] = {0x3a, 0x00};
    TB_EXPECT_ERR(load_bytes(dir, opt_opt, sizeof opt_opt, OBN_KIND_OPTIONAL, &v), OBN_E_PARSE, "optional cannot hold");
    /* an optional holding two values */
    static const unsigned char two[] = {0x2a, 0x00, 0x2a, 0x00};
    TB_EXPECT_ERR(load_bytes(dir, two, sizeof two, OBN_KIND_OPTIONAL, &v), OBN_E_PARSE, "more than one");
    /* an empty optional */
    static const unsigned char none[] = {0x0a, 0x01, 'o', 0x10, 0x00};
    TB_EXPECT_OK(load_bytes(dir, none, sizeof none, OBN_KIND_OPTIONAL, &v));
    ck_assert_int_eq(obn_optional_has_value(v), 0);
    obn_tensor_destroy(v);
    /* every prefix and every one-byte change of a good file: an error or a
     * value, nothing else (valgrind and ASan runs check the rest) */
    unsigned char buf[sizeof good];
    for (size_t cut = 0; cut <= sizeof good; cut++) {
        obn_status s = load_bytes(dir, good, cut, OBN_KIND_SEQUENCE, &v);
        ck_assert(s == OBN_OK || s == OBN_E_PARSE || s == OBN_E_UNSUPPORTED || s == OBN_E_INVALID_MODEL);
        obn_tensor_destroy(v);
        v = NULL;
    }
    for (size_t i = 0; i < sizeof good; i++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(buf, good, sizeof good);
            buf[i] ^= (unsigned char)(1u << bit);
            obn_status s = load_bytes(dir, buf, sizeof buf, OBN_KIND_SEQUENCE, &v);
            ck_assert_msg(s != OBN_E_OUT_OF_MEMORY && s != OBN_E_RUNTIME, "byte %zu bit %d: %s", i, bit,
                          obn_last_error());
            obn_tensor_destroy(v);
            v = NULL;
        }
    tb_rmtree(dir);
    free(dir);
}
END_TEST

static Suite *sequence_suite(void)
{
    Suite *s = suite_create("sequence");
    TCase *t = tcase_create("sequence_ops");
    tcase_add_test(t, construct_at_length);
    tcase_add_test(t, insert_erase_from_input);
    tcase_add_test(t, concat_and_stack);
    tcase_add_test(t, split_three_ways);
    tcase_add_test(t, sequence_errors);
    tcase_add_test(t, optional_get_and_has);
    tcase_add_test(t, sequence_map_add);
    suite_add_tcase(s, t);
    t = tcase_create("values");
    tcase_add_test(t, api_values);
    tcase_add_test(t, map_type_refused);
    tcase_add_test(t, value_load_hostile);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return ot_main(sequence_suite()); }
