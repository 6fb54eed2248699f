/* Resource limits (obn_limits): every limit refuses an over-limit model or
 * input with OBN_E_UNSUPPORTED and a message naming the tensor and the
 * limit, before allocating; at the limit itself the model is accepted; a
 * refused run leaves the session usable. The sizes are worked out by hand
 * in the comments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb_check.h"

static obn_status load_limited(tb_model *m, const obn_limits *lim, obn_model **out)
{
    size_t len;
    const uint8_t *bytes = tb_pack(m, &len);
    return obn_model_load_buffer_limited(bytes, len, NULL, lim, out);
}

static obn_limits limits_with(uint64_t init_bytes, uint64_t arena_bytes, int rank, int depth)
{
    obn_limits l;
    obn_limits_init(&l);
    if (init_bytes) l.max_initializer_bytes = init_bytes;
    if (arena_bytes) l.max_arena_bytes = arena_bytes;
    if (rank) l.max_rank = rank;
    if (depth) l.max_graph_depth = depth;
    return l;
}

static obn_status session_with(const obn_model *m, const obn_limits *lim, obn_session **out)
{
    obn_session_options o;
    obn_session_options_init(&o);
    o.threads = 1;
    o.limits = lim;
    return obn_session_create(m, &o, out);
}

START_TEST(defaults_and_bad_values)
{
    obn_limits l;
    obn_limits_init(&l);
    ck_assert_uint_eq(l.max_initializer_bytes, (uint64_t)64 << 30);
    ck_assert_uint_eq(l.max_arena_bytes, (uint64_t)16 << 30);
    ck_assert_int_eq(l.max_rank, OBN_MAX_RANK);
    ck_assert_int_eq(l.max_graph_depth, 16);
    tb_model *m = tb_new(13);
    static const int64_t d[1] = {4};
    tb_input(m, "x", OBN_FLOAT, 1, d);
    tb_node(m, "Relu", "r", "x", "y");
    tb_output(m, "y", OBN_FLOAT, 1, d);
    obn_model *model = NULL;
    obn_limits bad = limits_with(0, 0, OBN_MAX_RANK + 1, 0);
    TB_EXPECT_ERR(load_limited(m, &bad, &model), OBN_E_INVALID_ARGUMENT, "max_rank", "9");
    bad = limits_with(0, 0, 0, 33);
    TB_EXPECT_ERR(load_limited(m, &bad, &model), OBN_E_INVALID_ARGUMENT, "max_graph_depth", "33");
    bad = limits_with(0, 0, -1, 0);
    TB_EXPECT_ERR(load_limited(m, &bad, &model), OBN_E_INVALID_ARGUMENT, "max_rank");
    /* zeros mean the defaults */
    obn_limits zero = {0};
    TB_EXPECT_OK(load_limited(m, &zero, &model));
    obn_session *s = NULL;
    TB_EXPECT_ERR(session_with(model, &bad, &s), OBN_E_INVALID_ARGUMENT, "obn_session_create", "max_rank");
    ck_assert_ptr_null(s);
    TB_EXPECT_OK(session_with(model, &zero, &s));
    obn_session_destroy(s);
    obn_model_destroy(model);
    tb_free(m);
}
END_TEST

/* w1 (1000 floats, 4000 bytes) + w2 (500 floats, 2000 bytes) + a Constant
 * of 250 floats (1000 bytes): 7000 bytes in all. */
static tb_model *three_tensors(void)
{
    tb_model *m = tb_new(13);
    static const int64_t d1[1] = {1000}, d2[1] = {500}, d3[1] = {250};
    float *v = calloc(1000, sizeof *v);
    tb_init_f32(m, "w1", 1, d1, v);
    tb_init_f32(m, "w2", 1, d2, v);
    Onnx__NodeProto *c = tb_node(m, "Constant", "c", "", "k");
    tb_attr_tensor(m, c, "value", tb_tensor_f32(m, "kv", 1, d3, v));
    free(v);
    tb_node(m, "ReduceSum", "s1", "w1", "y1");
    tb_node(m, "ReduceSum", "s2", "w2", "y2");
    tb_node(m, "ReduceSum", "s3", "k", "y3");
    tb_output(m, "y1", OBN_FLOAT, -1, NULL);
    tb_output(m, "y2", OBN_FLOAT, -1, NULL);
    tb_output(m, "y3", OBN_FLOAT, -1, NULL);
    return m;
}

START_TEST(initializer_bytes)
{
    tb_model *m = three_tensors();
    obn_model *model = NULL;
    obn_limits l = limits_with(7000, 0, 0, 0);
    TB_EXPECT_OK(load_limited(m, &l, &model));
    obn_model_meta meta;
    obn_model_get_meta(model, &meta);
    ck_assert_uint_eq(meta.initializer_bytes, 6000); /* initializers only */
    obn_model_destroy(model);
    /* the Constant's tensor is the one that passes 6999 */
    l = limits_with(6999, 0, 0, 0);
    TB_EXPECT_ERR(load_limited(m, &l, &model), OBN_E_UNSUPPORTED, "'c.value'", "1000 bytes", "7000 bytes",
                  "6999 bytes", "max_initializer_bytes");
    ck_assert_ptr_null(model);
    l = limits_with(5999, 0, 0, 0);
    TB_EXPECT_ERR(load_limited(m, &l, &model), OBN_E_UNSUPPORTED, "'w2'", "max_initializer_bytes");
    /* a session refuses a model loaded under a larger limit */
    TB_EXPECT_OK(tb_load(m, &model));
    obn_session *s = NULL;
    l = limits_with(5000, 0, 0, 0);
    TB_EXPECT_ERR(session_with(model, &l, &s), OBN_E_UNSUPPORTED, "6000 bytes", "5000 bytes", "max_initializer_bytes");
    ck_assert_ptr_null(s);
    obn_model_destroy(model);
    tb_free(m);
}
END_TEST

START_TEST(initializer_bytes_from_a_file)
{
    char *dir = tb_tmpdir();
    char *path = tb_path(dir, "model.onnx");
    tb_model *m = three_tensors();
    tb_save(m, path);
    obn_model *model = NULL;
    obn_limits l = limits_with(4096, 0, 0, 0);
    TB_EXPECT_ERR(obn_model_load_limited(path, &l, &model), OBN_E_UNSUPPORTED, "model.onnx", "'w2'",
                  "max_initializer_bytes");
    l = limits_with(0, 0, 0, 0);
    TB_EXPECT_OK(obn_model_load_limited(path, &l, &model));
    obn_model_destroy(model);
    TB_EXPECT_OK(obn_model_load_limited(path, NULL, &model));
    obn_model_destroy(model);
    tb_free(m);
    remove(path);
    remove(dir);
    free(path);
    free(dir);
}
END_TEST

START_TEST(rank)
{
    /* x [1,1,1,1,2] (rank 5) -> Reshape to [2] -> Unsqueeze to rank 5 again */
    static const int64_t d5[5] = {1, 1, 1, 1, 2}, shape[1] = {2}, one[1] = {1}, axes[4] = {0, 1, 2, 3};
    tb_model *m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 5, d5);
    tb_init_i64(m, "shape", 1, one, shape);
    tb_node(m, "Reshape", "flat", "x,shape", "f");
    static const int64_t d4[1] = {4};
    tb_init_i64(m, "axes", 1, d4, axes);
    tb_node(m, "Unsqueeze", "up", "f,axes", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    obn_model *model = NULL;
    obn_limits l = limits_with(0, 0, 4, 0);
    TB_EXPECT_ERR(load_limited(m, &l, &model), OBN_E_UNSUPPORTED, "'x'", "rank 5", "limit of 4", "max_rank");
    TB_EXPECT_OK(tb_load(m, &model));
    obn_session *s = NULL;
    TB_EXPECT_ERR(session_with(model, &l, &s), OBN_E_UNSUPPORTED, "'x'", "rank 5", "max_rank");
    l = limits_with(0, 0, 5, 0);
    TB_EXPECT_OK(session_with(model, &l, &s));
    obn_session_destroy(s);
    obn_model_destroy(model);
    tb_free(m);

    /* a rank computed while planning: the Unsqueeze of a rank-1 input */
    m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 1, shape);
    tb_init_i64(m, "axes", 1, d4, axes);
    tb_node(m, "Unsqueeze", "up", "x,axes", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    TB_EXPECT_OK(tb_load(m, &model));
    l = limits_with(0, 0, 4, 0);
    TB_EXPECT_ERR(session_with(model, &l, &s), OBN_E_UNSUPPORTED, "\"up\"", "Unsqueeze", "'y'", "rank 5",
                  "max_rank");
    obn_model_destroy(model);
    tb_free(m);
}
END_TEST

/* x [N] -> Relu -> Neg -> y: one intermediate of 4N bytes (aligned to 64)
 * and the output of 4N bytes. */
static obn_model *relu_neg(void)
{
    tb_model *m = tb_new(13);
    static const int64_t dn[1] = {-1};
    tb_input(m, "x", OBN_FLOAT, 1, dn);
    tb_node(m, "Relu", "r", "x", "h");
    tb_node(m, "Neg", "n", "h", "y");
    tb_output(m, "y", OBN_FLOAT, 1, dn);
    obn_model *model = NULL;
    TB_EXPECT_OK(tb_load(m, &model));
    tb_free(m);
    return model;
}

START_TEST(arena_bytes_at_run_time)
{
    obn_model *model = relu_neg();
    obn_limits l = limits_with(0, 8192, 0, 0);
    obn_session *s = NULL;
    TB_EXPECT_OK(session_with(model, &l, &s));
    /* N = 1024: h and y 4096 bytes each, both live at the Neg: 8192 */
    obn_tensor *x = NULL;
    int64_t n = 1024;
    TB_EXPECT_OK(obn_tensor_create(OBN_FLOAT, 1, &n, NULL, &x));
    const char *name = "x";
    const obn_tensor *y = NULL;
    TB_EXPECT_OK(obn_session_run(s, 1, &name, (const obn_tensor *const *)&x, 1, NULL, &y));
    obn_tensor_destroy(x);
    /* N = 1025: 2 x 4160 bytes (4100 aligned up) = 8320 > 8192 */
    n = 1025;
    TB_EXPECT_OK(obn_tensor_create(OBN_FLOAT, 1, &n, NULL, &x));
    TB_EXPECT_ERR(obn_session_run(s, 1, &name, (const obn_tensor *const *)&x, 1, NULL, &y), OBN_E_UNSUPPORTED,
                  "8320 bytes", "4160 bytes", "8 KiB", "max_arena_bytes");
    ck_assert_ptr_null(y);
    obn_tensor_destroy(x);
    /* still usable */
    n = 3;
    float v[3] = {-1.0f, 2.0f, -3.0f};
    TB_EXPECT_OK(obn_tensor_create(OBN_FLOAT, 1, &n, v, &x));
    TB_EXPECT_OK(obn_session_run(s, 1, &name, (const obn_tensor *const *)&x, 1, NULL, &y));
    const float *out = obn_tensor_cdata(y);
    ck_assert(out[0] == 0.0f && out[1] == -2.0f && out[2] == 0.0f);
    obn_tensor_destroy(x);
    obn_session_destroy(s);
    obn_model_destroy(model);
}
END_TEST

START_TEST(constant_folding_counts)
{
    /* ConstantOfShape([2^18]) is computed while planning: 1 MiB of floats */
    tb_model *m = tb_new(13);
    static const int64_t one[1] = {1}, len[1] = {1 << 18};
    tb_init_i64(m, "shape", 1, one, len);
    tb_node(m, "ConstantOfShape", "fill", "shape", "big");
    tb_node(m, "ReduceSum", "sum", "big", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    obn_model *model = NULL;
    TB_EXPECT_OK(tb_load(m, &model));
    obn_session *s = NULL;
    obn_limits l = limits_with(0, (1 << 20) - 1, 0, 0);
    TB_EXPECT_ERR(session_with(model, &l, &s), OBN_E_UNSUPPORTED, "'big'", "1 MiB", "max_arena_bytes");
    l = limits_with(0, 2 << 20, 0, 0);
    TB_EXPECT_OK(session_with(model, &l, &s));
    obn_session_destroy(s);
    obn_model_destroy(model);
    tb_free(m);

    /* 2^38 floats (1 TiB) under the default limit: refused, not allocated */
    m = tb_new(13);
    static const int64_t huge[1] = {(int64_t)1 << 38};
    tb_init_i64(m, "shape", 1, one, huge);
    tb_node(m, "ConstantOfShape", "fill", "shape", "big");
    tb_node(m, "ReduceSum", "sum", "big", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    TB_EXPECT_OK(tb_load(m, &model));
    TB_EXPECT_ERR(obn_session_create(model, NULL, &s), OBN_E_UNSUPPORTED, "'big'", "1 TiB", "16 GiB",
                  "max_arena_bytes");
    obn_model_destroy(model);
    tb_free(m);
}
END_TEST

START_TEST(eager_runs_count)
{
    /* Range(0, limit, 1) with limit from the input: planned with the data,
     * every tensor counted; freed intermediates are given back */
    tb_model *m = tb_new(13);
    static const int64_t one[1] = {1};
    tb_input(m, "limit", OBN_FLOAT, 0, NULL);
    float zero = 0.0f, step = 1.0f;
    tb_add_init(m, tb_tensor_f32(m, "start", 0, NULL, &zero));
    tb_add_init(m, tb_tensor_f32(m, "delta", 0, NULL, &step));
    tb_node(m, "Range", "range", "start,limit,delta", "r");
    tb_node(m, "ReduceSum", "sum", "r", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    (void)one;
    obn_model *model = NULL;
    TB_EXPECT_OK(tb_load(m, &model));
    obn_limits l = limits_with(0, 4096, 0, 0);
    obn_session *s = NULL;
    TB_EXPECT_OK(session_with(model, &l, &s));
    const char *name = "limit";
    obn_tensor *x = NULL;
    float lim = 4096.0f; /* 16 KiB of floats */
    TB_EXPECT_OK(obn_tensor_create(OBN_FLOAT, 0, NULL, &lim, &x));
    const obn_tensor *y = NULL;
    TB_EXPECT_ERR(obn_session_run(s, 1, &name, (const obn_tensor *const *)&x, 1, NULL, &y), OBN_E_UNSUPPORTED,
                  "'r'", "16 KiB", "max_arena_bytes");
    obn_tensor_destroy(x);
    lim = 100.0f;
    TB_EXPECT_OK(obn_tensor_create(OBN_FLOAT, 0, NULL, &lim, &x));
    for (int i = 0; i < 3; i++) { /* nothing leaks into the count from run to run */
        TB_EXPECT_OK(obn_session_run(s, 1, &name, (const obn_tensor *const *)&x, 1, NULL, &y));
        ck_assert(*(const float *)obn_tensor_cdata(y) == 4950.0f);
    }
    obn_tensor_destroy(x);
    obn_session_destroy(s);
    obn_model_destroy(model);
    tb_free(m);
}
END_TEST

/* A Loop of `trips` iterations whose body appends x (a [256] float input:
 * 1 KiB) to a carried sequence, then the sequence's length. The tensors of
 * a sequence live outside the arena: a loop could grow one without end. */
static obn_model *growing_sequence(void)
{
    tb_model *m = tb_new(17);
    static const int64_t d[1] = {256};
    tb_input(m, "trips", OBN_INT64, 0, NULL);
    tb_input(m, "x", OBN_FLOAT, 1, d);
    Onnx__NodeProto *empty = tb_node(m, "SequenceEmpty", "empty", "", "s0");
    tb_attr_int(m, empty, "dtype", OBN_FLOAT);
    uint8_t yes = 1;
    tb_add_init(m, tb_tensor(m, "cond", OBN_BOOL, 0, NULL, &yes, 1));
    tb_model *body = tb_new(0);
    tb_input(body, "i", OBN_INT64, 0, NULL);
    tb_input(body, "c", OBN_BOOL, 0, NULL);
    tb_wrap_type(body, tb_input(body, "s_in", OBN_FLOAT, -1, NULL), OBN_KIND_SEQUENCE);
    tb_node(body, "Identity", "keep", "c", "c_out");
    tb_node(body, "SequenceInsert", "append", "s_in,x", "s_out");
    tb_output(body, "c_out", OBN_BOOL, 0, NULL);
    tb_wrap_type(body, tb_output(body, "s_out", OBN_FLOAT, -1, NULL), OBN_KIND_SEQUENCE);
    Onnx__NodeProto *loop = tb_node(m, "Loop", "loop", "trips,cond,s0", "s");
    tb_attr_graph(m, loop, "body", body);
    tb_node(m, "SequenceLength", "len", "s", "n");
    tb_output(m, "n", OBN_INT64, 0, NULL);
    obn_model *model = NULL;
    TB_EXPECT_OK(tb_load(m, &model));
    tb_free(body);
    tb_free(m);
    return model;
}

START_TEST(sequence_bytes)
{
    obn_model *model = growing_sequence();
    obn_limits l = limits_with(0, 64 << 10, 0, 0); /* 64 KiB: 64 items of 1 KiB */
    obn_session *s = NULL;
    TB_EXPECT_OK(session_with(model, &l, &s));
    float xs[256] = {0};
    static const int64_t d[1] = {256};
    obn_tensor *in[2] = {NULL, NULL};
    TB_EXPECT_OK(obn_tensor_create(OBN_FLOAT, 1, d, xs, &in[1]));
    const char *names[2] = {"trips", "x"};
    const obn_tensor *y = NULL;
    int64_t trips = 64; /* exactly at the limit */
    TB_EXPECT_OK(obn_tensor_create(OBN_INT64, 0, NULL, &trips, &in[0]));
    TB_EXPECT_OK(obn_session_run(s, 2, names, (const obn_tensor *const *)in, 1, NULL, &y));
    ck_assert_int_eq(*(const int64_t *)obn_tensor_cdata(y), 64);
    obn_tensor_destroy(in[0]);
    trips = 1000000; /* a million KiB: refused at item 65, long before */
    TB_EXPECT_OK(obn_tensor_create(OBN_INT64, 0, NULL, &trips, &in[0]));
    TB_EXPECT_ERR(obn_session_run(s, 2, names, (const obn_tensor *const *)in, 1, NULL, &y), OBN_E_UNSUPPORTED,
                  "\"append\"", "'s_out'", "65 items", "65 KiB", "64 KiB", "max_arena_bytes");
    obn_tensor_destroy(in[0]);
    trips = 3; /* the session still runs */
    TB_EXPECT_OK(obn_tensor_create(OBN_INT64, 0, NULL, &trips, &in[0]));
    TB_EXPECT_OK(obn_session_run(s, 2, names, (const obn_tensor *const *)in, 1, NULL, &y));
    ck_assert_int_eq(*(const int64_t *)obn_tensor_cdata(y), 3);
    obn_tensor_destroy(in[0]);
    obn_tensor_destroy(in[1]);
    obn_session_destroy(s);
    obn_model_destroy(model);
}
END_TEST

/* An If node whose then_branch holds an If whose then_branch holds ...:
 * `depth` graphs below the main one. */
static Onnx__GraphProto *nest(tb_model *m, int depth)
{
    Onnx__GraphProto *g = tb_alloc(m, sizeof *g);
    onnx__graph_proto__init(g);
    g->name = tb_str(m, "body");
    if (depth == 0) return g;
    Onnx__NodeProto *n = tb_alloc(m, sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = tb_str(m, "If");
    n->name = tb_str(m, "inner");
    Onnx__AttributeProto *a = tb_alloc(m, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = tb_str(m, "then_branch");
    a->has_type = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
    a->g = nest(m, depth - 1);
    n->n_attribute = 1;
    n->attribute = tb_alloc(m, sizeof *n->attribute);
    n->attribute[0] = a;
    g->n_node = 1;
    g->node = tb_alloc(m, sizeof *g->node);
    g->node[0] = n;
    return g;
}

START_TEST(graph_depth)
{
    tb_model *m = tb_new(13);
    tb_input(m, "c", OBN_BOOL, 0, NULL);
    Onnx__NodeProto *n = tb_node(m, "If", "outer", "c", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    Onnx__GraphProto *body = nest(m, 2); /* then_branch: depth 1; two below it: depth 3 */
    Onnx__AttributeProto *a = tb_alloc(m, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = tb_str(m, "then_branch");
    a->has_type = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
    a->g = body;
    n->n_attribute = 1;
    n->attribute = tb_alloc(m, sizeof *n->attribute);
    n->attribute[0] = a;
    obn_model *model = NULL;
    obn_limits l = limits_with(0, 0, 0, 2);
    TB_EXPECT_ERR(load_limited(m, &l, &model), OBN_E_UNSUPPORTED, "\"inner\"", "then_branch", "depth 3",
                  "limit of 2", "max_graph_depth");
    /* within the limit, the depth is no obstacle; If itself is unsupported */
    l = limits_with(0, 0, 0, 3);
    obn_status st = load_limited(m, &l, &model);
    ck_assert_int_ne(st, OBN_OK);
    ck_assert_ptr_null(strstr(obn_last_error(), "max_graph_depth"));
    tb_free(m);
}
END_TEST

START_TEST(empty_tensors_with_huge_dims)
{
    /* [0, 2^40, 2^40] has no elements, but 2^40 x 2^40 overflows int64: a
     * shape whose non-zero dims are over the size limit is refused, so that
     * no op multiplying dims of an empty tensor can overflow */
    static const int64_t huge[3] = {0, (int64_t)1 << 40, (int64_t)1 << 40};
    obn_tensor *t = NULL;
    TB_EXPECT_ERR(obn_tensor_create(OBN_FLOAT, 3, huge, NULL, &t), OBN_E_INVALID_ARGUMENT, "too large");
    ck_assert_ptr_null(t);
    tb_model *m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 3, huge);
    tb_node(m, "Relu", "r", "x", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    obn_model *model = NULL;
    TB_EXPECT_ERR(tb_load(m, &model), OBN_E_INVALID_MODEL, "'x'", "too large", "non-zero");
    tb_free(m);
    m = tb_new(13);
    tb_add_init(m, tb_tensor(m, "w", OBN_FLOAT, 3, huge, NULL, 0));
    tb_node(m, "Relu", "r", "w", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    TB_EXPECT_ERR(tb_load(m, &model), OBN_E_INVALID_MODEL, "'w'", "too large");
    tb_free(m);
    /* an empty batch of real images is fine */
    static const int64_t batch0[4] = {0, 3, 224, 224};
    TB_EXPECT_OK(obn_tensor_create(OBN_FLOAT, 4, batch0, NULL, &t));
    ck_assert_int_eq(obn_tensor_numel(t), 0);
    obn_tensor_destroy(t);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("limits");
    TCase *t = tcase_create("limits");
    tcase_add_test(t, defaults_and_bad_values);
    tcase_add_test(t, initializer_bytes);
    tcase_add_test(t, initializer_bytes_from_a_file);
    tcase_add_test(t, rank);
    tcase_add_test(t, arena_bytes_at_run_time);
    tcase_add_test(t, constant_folding_counts);
    tcase_add_test(t, eager_runs_count);
    tcase_add_test(t, sequence_bytes);
    tcase_add_test(t, graph_depth);
    tcase_add_test(t, empty_tensors_with_huge_dims);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
