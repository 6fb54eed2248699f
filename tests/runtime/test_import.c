/* The model loader against hostile input: every broken model here is built by
 * the test itself, and each rejection must return the right status and a
 * message that names the culprit (file, node, tensor, op). Loading must
 * never crash or leak (the sanitizer build checks the latter). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "op.h" /* OBN_MAX_ONNX_OPSET */
#include "tb_check.h"

static const int64_t XD[4] = {-1, 3, 2, 2}; /* N is symbolic */
static const int64_t C3[1] = {3};

/* x[N,3,2,2] -> BatchNormalization "bn" -> Relu "relu" -> Identity "id" -> y */
static tb_model *bn_relu_model(void)
{
    static const float scale[3] = {1, 2, 3}, bias[3] = {0, 0.5f, -0.5f}, mean[3] = {0.1f, 0.2f, 0.3f},
                       var[3] = {1, 2, 0.5f};
    tb_model *m = tb_new(15);
    tb_input(m, "x", OBN_FLOAT, 4, XD);
    tb_init_f32(m, "scale", 1, C3, scale);
    tb_init_f32(m, "bias", 1, C3, bias);
    tb_init_f32(m, "mean", 1, C3, mean);
    tb_init_f32(m, "var", 1, C3, var);
    tb_node(m, "BatchNormalization", "bn", "x,scale,bias,mean,var", "t");
    tb_node(m, "Relu", "relu", "t", "u");
    tb_node(m, "Identity", "id", "u", "y");
    tb_output(m, "y", OBN_FLOAT, 4, XD);
    return m;
}

/* Loads the model from memory and returns the status; *out stays NULL on
 * failure (checked here for every case). */
static obn_status load_status(tb_model *m)
{
    obn_model *model = (obn_model *)(uintptr_t)1;
    obn_status st = tb_load(m, &model);
    if (st != OBN_OK) ck_assert_ptr_null(model);
    obn_model_destroy(model);
    return st;
}

static Onnx__GraphProto *graph(tb_model *m) { return tb_proto(m)->graph; }

static Onnx__TensorProto *init_named(tb_model *m, const char *name)
{
    for (size_t i = 0; i < graph(m)->n_initializer; i++)
        if (strcmp(graph(m)->initializer[i]->name, name) == 0) return graph(m)->initializer[i];
    ck_abort_msg("no initializer %s", name);
    return NULL;
}

static Onnx__NodeProto *node_named(tb_model *m, const char *name)
{
    for (size_t i = 0; i < graph(m)->n_node; i++)
        if (strcmp(graph(m)->node[i]->name, name) == 0) return graph(m)->node[i];
    ck_abort_msg("no node %s", name);
    return NULL;
}

/* ------------------------------------------------------------ the baseline */

START_TEST(valid_model_loads_and_describes_itself)
{
    tb_model *m = bn_relu_model();
    obn_model *model = NULL;
    TB_EXPECT_OK(tb_load(m, &model));
    ck_assert_uint_eq(obn_model_input_count(model), 1);
    ck_assert_uint_eq(obn_model_output_count(model), 1);
    obn_value_info vi;
    TB_EXPECT_OK(obn_model_input(model, 0, &vi));
    ck_assert_str_eq(vi.name, "x");
    ck_assert_int_eq(vi.dtype, OBN_FLOAT);
    ck_assert_uint_eq(vi.rank, 4);
    ck_assert_int_eq(vi.dims[0], -1);
    ck_assert_str_eq(vi.dim_names[0], "N");
    ck_assert_int_eq(vi.dims[1], 3);
    ck_assert_ptr_null(vi.dim_names[1]);
    obn_model_meta meta;
    obn_model_get_meta(model, &meta);
    ck_assert_int_eq(meta.ir_version, 8);
    ck_assert_uint_eq(meta.node_count, 3);
    ck_assert_uint_eq(meta.initializer_count, 4);
    ck_assert_uint_eq(meta.initializer_bytes, 48);
    ck_assert_str_eq(meta.producer_name, "onnxbn-tests");
    obn_node_info ni;
    TB_EXPECT_OK(obn_model_node(model, 0, &ni));
    ck_assert_str_eq(ni.op_type, "BatchNormalization");
    ck_assert_int_eq(ni.since_version, 15);
    const char *dom;
    int64_t ver;
    TB_EXPECT_OK(obn_model_opset(model, 0, &dom, &ver));
    ck_assert_str_eq(dom, "");
    ck_assert_int_eq(ver, 15);
    obn_model_destroy(model);
    tb_free(m);
}
END_TEST

/* ------------------------------------------------------ bytes and files */

START_TEST(empty_buffer_and_empty_file)
{
    obn_model *model = NULL;
    TB_EXPECT_ERR(obn_model_load_buffer("", 0, NULL, &model), OBN_E_PARSE, "<memory>", "empty");
    ck_assert_ptr_null(model);
    char *dir = tb_tmpdir(), *path = tb_path(dir, "empty.onnx");
    tb_write_file(path, "", 0);
    TB_EXPECT_ERR(obn_model_load(path, &model), OBN_E_PARSE, path, "empty");
    ck_assert_ptr_null(model);
    tb_rmtree(dir);
    free(path);
    free(dir);
}
END_TEST

START_TEST(non_protobuf_bytes)
{
    /* an over-long varint, a group tag (wire type 3), a length running past
     * the end, a JSON text, a PNG signature */
    static const struct {
        const char *bytes;
        size_t len;
    } junk[] = {
        {"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12},
        {"\x0b\x0c", 2},
        {"\x3a\x7f\x08\x01", 4},
        {"{\"ir_version\": 8, \"graph\": {}}", 30},
        {"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16},
    };
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        obn_model *model = NULL;
        obn_status st = obn_model_load_buffer(junk[i].bytes, junk[i].len, NULL, &model);
        ck_assert_msg(st == OBN_E_PARSE || st == OBN_E_INVALID_MODEL, "junk #%zu: %s: %s", i,
                      obn_status_name(st), obn_last_error());
        ck_assert_ptr_null(model);
        ck_assert_msg(TB_HAS(obn_last_error(), "<memory>: "), "junk #%zu: %s", i, obn_last_error());
    }
    /* from a file: the message names the file */
    char *dir = tb_tmpdir(), *path = tb_path(dir, "notamodel.onnx");
    tb_write_file(path, junk[0].bytes, junk[0].len);
    obn_model *model = NULL;
    TB_EXPECT_ERR(obn_model_load(path, &model), OBN_E_PARSE, path, "not a valid", "corrupt");
    tb_rmtree(dir);
    free(path);
    free(dir);
}
END_TEST

START_TEST(truncated_at_every_length)
{
    tb_model *m = bn_relu_model();
    size_t len;
    const uint8_t *full = tb_pack(m, &len);
    int parse_errors = 0;
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *exact = malloc(cut ? cut : 1); /* exactly `cut` bytes: ASan sees over-reads */
        memcpy(exact, full, cut);
        obn_model *model = NULL;
        obn_status st = obn_model_load_buffer(exact, cut, NULL, &model);
        free(exact);
        ck_assert_msg(st != OBN_OK, "a model truncated to %zu of %zu bytes loaded", cut, len);
        ck_assert_ptr_null(model);
        ck_assert_msg(obn_last_error()[0] != '\0', "no message at cut %zu", cut);
        parse_errors += st == OBN_E_PARSE;
    }
    ck_assert_int_gt(parse_errors, (int)len / 2);
    /* cut inside the graph, from a file */
    char *dir = tb_tmpdir(), *path = tb_path(dir, "truncated.onnx");
    tb_write_file(path, full, len / 2);
    obn_model *model = NULL;
    TB_EXPECT_ERR(obn_model_load(path, &model), OBN_E_PARSE, path, "truncated");
    tb_rmtree(dir);
    free(path);
    free(dir);
    tb_free(m);
}
END_TEST

START_TEST(missing_file_and_directory)
{
    obn_model *model = NULL;
    TB_EXPECT_ERR(obn_model_load("/nonexistent/dir/model.onnx", &model), OBN_E_IO, "/nonexistent/dir/model.onnx",
                  "cannot open");
    char *dir = tb_tmpdir();
    TB_EXPECT_ERR(obn_model_load(dir, &model), OBN_E_IO, dir, "not a regular file");
    ck_assert_ptr_null(model);
    tb_rmtree(dir);
    free(dir);
}
END_TEST

static void put_varint(uint8_t **pos, uint64_t v)
{
    uint8_t tmp[10];
    int n = 0;
    do {
        tmp[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    *pos -= n;
    memcpy(*pos, tmp, (size_t)n);
}

/* graph { node { attribute { g { node { attribute { g ... } } } } } }, `levels`
 * graphs deep, built back to front. Returns the ModelProto bytes. */
static uint8_t *nested_graphs(int levels, size_t *len, uint8_t **base)
{
    size_t cap = (size_t)levels * 3 * 11 + 32;
    uint8_t *buf = malloc(cap), *end = buf + cap, *pos = end;
    static const uint8_t tags[3] = {0x32 /* Attribute.g */, 0x2a /* Node.attribute */, 0x0a /* Graph.node */};
    for (int i = 0; i < levels; i++)
        for (int k = 0; k < 3; k++) {
            uint64_t n = (uint64_t)(end - pos);
            put_varint(&pos, n);
            *--pos = tags[k];
        }
    put_varint(&pos, (uint64_t)(end - pos));
    *--pos = 0x3a; /* Model.graph */
    put_varint(&pos, 8);
    *--pos = 0x08; /* Model.ir_version */
    *len = (size_t)(end - pos);
    *base = buf;
    return pos;
}

START_TEST(deep_nesting_is_refused_not_a_stack_overflow)
{
    /* 200000 nested graphs: protobuf-c alone would recurse that deep */
    size_t len;
    uint8_t *base;
    const uint8_t *bytes = nested_graphs(200000, &len, &base);
    obn_model *model = NULL;
    TB_EXPECT_ERR(obn_model_load_buffer(bytes, len, NULL, &model), OBN_E_PARSE, "<memory>", "nested", "100");
    free(base);
    /* reasonable nesting gets past the guard (and fails later for other reasons) */
    bytes = nested_graphs(20, &len, &base);
    ck_assert_int_ne(obn_model_load_buffer(bytes, len, NULL, &model), OBN_OK);
    ck_assert_ptr_null(strstr(obn_last_error(), "nested"));
    free(base);
}
END_TEST

START_TEST(missing_graph_and_ir_version)
{
    tb_model *m = bn_relu_model();
    tb_proto(m)->graph = NULL;
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "<memory>", "no graph");
    tb_free(m);

    m = bn_relu_model();
    tb_proto(m)->has_ir_version = 0;
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "<memory>", "ir_version");
    tb_proto(m)->has_ir_version = 1;
    tb_proto(m)->ir_version = 0;
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "ir_version");
    tb_proto(m)->ir_version = 99;
    TB_EXPECT_ERR(load_status(m), OBN_E_UNSUPPORTED, "IR version 99");
    /* IR 13 (ONNX 1.20 to 1.23) is the newest read; 14 is refused */
    tb_proto(m)->ir_version = 14;
    TB_EXPECT_ERR(load_status(m), OBN_E_UNSUPPORTED, "IR version 14", "reads up to 13");
    tb_proto(m)->ir_version = 13;
    ck_assert_msg(load_status(m) == OBN_OK, "%s", obn_last_error());
    tb_free(m);
}
END_TEST

START_TEST(model_over_2gib_is_refused_before_reading)
{
    char *dir = tb_tmpdir(), *path = tb_path(dir, "huge.onnx");
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    off_t size = ((off_t)2 << 30) + 1;
    ck_assert_int_eq(ftruncate(fd, size), 0); /* sparse: no disk, no memory */
    obn_model *model = NULL;
    /* zeros would be a PARSE error if read: UNSUPPORTED shows the size check came first */
    TB_EXPECT_ERR(obn_model_load(path, &model), OBN_E_UNSUPPORTED, path, "2147483649 bytes", "2 GiB");
    ck_assert_ptr_null(model);
    void *map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
    ck_assert_ptr_ne(map, MAP_FAILED);
    TB_EXPECT_ERR(obn_model_load_buffer(map, (size_t)size, NULL, &model), OBN_E_UNSUPPORTED, "<memory>", "2 GiB");
    munmap(map, (size_t)size);
    close(fd);
    tb_rmtree(dir);
    free(path);
    free(dir);
}
END_TEST

/* ------------------------------------------------------------------ shapes */

START_TEST(negative_dims_in_initializer)
{
    tb_model *m = bn_relu_model();
    init_named(m, "scale")->dims[0] = -3;
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "'scale'", "negative dimension -3");
    tb_free(m);
}
END_TEST

START_TEST(overflowing_dims_in_initializer)
{
    static const int64_t shapes[][3] = {
        {(int64_t)1 << 32, (int64_t)1 << 32, (int64_t)1 << 32}, /* product wraps to 0 in 64 bits */
        {INT64_MAX, 2, 1},
        {(int64_t)1 << 40, (int64_t)1 << 20, 1}, /* fits in int64, not in memory */
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        tb_model *m = bn_relu_model();
        Onnx__TensorProto *t = init_named(m, "var");
        t->n_dims = 3;
        t->dims = tb_alloc(m, 3 * sizeof(int64_t));
        memcpy(t->dims, shapes[i], sizeof shapes[i]);
        TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "'var'", "too large");
        tb_free(m);
    }
}
END_TEST

START_TEST(huge_shape_with_little_data_is_not_allocated)
{
    /* 2^38 floats is exactly the 1 TiB tensor limit: a valid shape, but the
     * data must be checked before anything that size is allocated */
    tb_model *m = bn_relu_model();
    Onnx__TensorProto *t = init_named(m, "mean");
    t->dims[0] = (int64_t)1 << 38;
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "'mean'", "raw_data has 12 bytes", "1099511627776");
    tb_free(m);

    m = bn_relu_model();
    t = init_named(m, "mean");
    t->dims[0] = (int64_t)1 << 38;
    t->has_raw_data = 0;
    static const float three[3] = {1, 2, 3};
    tb_set_float_data(m, t, 3, three);
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "'mean'", "float_data has 3 values", "274877906944");
    tb_free(m);
}
END_TEST

static Onnx__TensorShapeProto__Dimension *input_dim(tb_model *m, size_t input, size_t axis)
{
    return graph(m)->input[input]->type->tensor_type->shape->dim[axis];
}

START_TEST(bad_dims_in_graph_input_shape)
{
    tb_model *m = bn_relu_model();
    Onnx__TensorShapeProto__Dimension *d = input_dim(m, 0, 2);
    d->dim_value = -5;
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "graph input 'x'", "negative dimension -5", "axis 2");
    tb_free(m);

    m = bn_relu_model();
    for (size_t axis = 1; axis < 4; axis++) input_dim(m, 0, axis)->dim_value = (int64_t)1 << 30;
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "'x'", "too large");
    tb_free(m);

    /* a huge symbolic dim is fine; only fixed dims are multiplied */
    m = tb_new(15);
    int64_t big[2] = {-1, (int64_t)1 << 30};
    tb_input(m, "x", OBN_FLOAT, 2, big);
    tb_node(m, "Relu", "relu", "x", "y");
    tb_output(m, "y", OBN_FLOAT, 2, big);
    TB_EXPECT_OK(load_status(m));
    tb_free(m);

    /* rank over the limit */
    m = tb_new(15);
    int64_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    tb_input(m, "x", OBN_FLOAT, 9, nine);
    tb_node(m, "Relu", "relu", "x", "y");
    tb_output(m, "y", OBN_FLOAT, 9, nine);
    TB_EXPECT_ERR(load_status(m), OBN_E_UNSUPPORTED, "graph input 'x'", "rank 9");
    tb_free(m);
}
END_TEST

/* -------------------------------------------------------- initializer data */

START_TEST(raw_data_length_mismatch)
{
    tb_model *m = bn_relu_model();
    init_named(m, "scale")->raw_data.len = 8;
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "'scale'", "raw_data has 8 bytes", "3 elements of float",
                  "12");
    tb_free(m);
}
END_TEST

START_TEST(typed_field_count_mismatch)
{
    tb_model *m = bn_relu_model();
    Onnx__TensorProto *t = init_named(m, "scale");
    t->has_raw_data = 0;
    static const float two[2] = {1, 2};
    tb_set_float_data(m, t, 2, two);
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "'scale'", "float_data has 2 values", "needs 3");
    tb_free(m);

    /* no data at all for a non-empty tensor */
    m = bn_relu_model();
    init_named(m, "scale")->has_raw_data = 0;
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "'scale'", "float_data has 0 values");
    tb_free(m);
}
END_TEST

START_TEST(data_in_the_wrong_typed_field)
{
    tb_model *m = bn_relu_model();
    Onnx__TensorProto *t = init_named(m, "scale");
    t->has_raw_data = 0;
    static const int64_t three[3] = {1, 2, 3};
    tb_set_int64_data(m, t, 3, three);
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "'scale'", "float", "int64_data", "expected float_data");
    tb_free(m);

    /* uint32 belongs in uint64_data, not int32_data */
    m = bn_relu_model();
    Onnx__TensorProto *w = tb_add_init(m, tb_tensor_nodata(m, "w", OBN_UINT32, 1, C3));
    static const int32_t i3[3] = {1, 2, 3};
    tb_set_int32_data(m, w, 3, i3);
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "'w'", "uint32", "int32_data", "uint64_data");
    tb_free(m);

    /* raw_data and a typed field at once: ambiguous */
    m = bn_relu_model();
    static const float f3[3] = {1, 2, 3};
    tb_set_float_data(m, init_named(m, "bias"), 3, f3);
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "'bias'", "twice", "raw_data", "float_data");
    tb_free(m);
}
END_TEST

START_TEST(undefined_data_types)
{
    static const int types[] = {0, 27, 99, -1};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        tb_model *m = bn_relu_model();
        tb_add_init(m, tb_tensor(m, "w", types[i], 1, C3, "abcdefghijkl", 12));
        char num[32];
        snprintf(num, sizeof num, "(%d)", types[i]);
        TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "'w'", "undefined data type", num);
        tb_free(m);
    }
    tb_model *m = bn_relu_model();
    tb_add_init(m, tb_tensor(m, "w", OBN_FLOAT, 1, C3, "abcdefghijkl", 12))->has_data_type = 0;
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "'w'", "undefined data type (0)");
    tb_free(m);

    /* graph inputs too */
    m = bn_relu_model();
    graph(m)->input[0]->type->tensor_type->elem_type = 27;
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "graph input 'x'", "undefined element type (27)");
    tb_free(m);
}
END_TEST

START_TEST(string_and_complex_tensors)
{
    tb_model *m = bn_relu_model();
    Onnx__TensorProto *t = tb_add_init(m, tb_tensor_nodata(m, "words", OBN_STRING, 1, C3));
    t->n_string_data = 0; /* string tensors load (tests/runtime/test_strings.c), but need their strings */
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "'words'", "string_data has 0 strings", "needs 3");
    tb_free(m);

    m = bn_relu_model();
    tb_add_init(m, tb_tensor(m, "z", OBN_COMPLEX64, 1, C3, NULL, 24));
    TB_EXPECT_ERR(load_status(m), OBN_E_UNSUPPORTED, "'z'", "complex64");
    tb_free(m);

    /* a string graph input loads; BatchNormalization refuses it when planned */
    m = bn_relu_model();
    graph(m)->input[0]->type->tensor_type->elem_type = OBN_STRING;
    obn_model *model = NULL;
    TB_EXPECT_OK(tb_load(m, &model));
    obn_session *s = NULL;
    TB_EXPECT_OK(obn_session_create(model, NULL, &s)); /* N is symbolic: planned by the run */
    const int64_t xd[4] = {1, 3, 2, 2};
    obn_tensor *x = NULL;
    TB_EXPECT_OK(obn_tensor_create(OBN_STRING, 4, xd, NULL, &x));
    const char *names[1] = {"x"};
    const obn_tensor *in[1] = {x}, *out[1] = {NULL};
    TB_EXPECT_ERR(obn_session_run(s, 1, names, in, 1, NULL, out), OBN_E_UNSUPPORTED, "BatchNormalization", "'x'",
                  "string");
    obn_tensor_destroy(x);
    obn_session_destroy(s);
    obn_model_destroy(model);
    tb_free(m);
}
END_TEST

START_TEST(other_tensor_rejections)
{
    tb_model *m = bn_relu_model();
    Onnx__TensorProto *t = init_named(m, "var");
    t->has_data_location = 1;
    t->data_location = 7;
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "'var'", "data_location (7)");
    tb_free(m);

    m = bn_relu_model();
    Onnx__TensorProto__Segment seg;
    onnx__tensor_proto__segment__init(&seg);
    init_named(m, "var")->segment = &seg;
    TB_EXPECT_ERR(load_status(m), OBN_E_UNSUPPORTED, "'var'", "segmented");
    tb_free(m);

    m = bn_relu_model();
    int64_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 3};
    tb_add_init(m, tb_tensor(m, "deep", OBN_FLOAT, 9, nine, NULL, 12));
    TB_EXPECT_ERR(load_status(m), OBN_E_UNSUPPORTED, "'deep'", "rank 9");
    tb_free(m);

    m = bn_relu_model();
    tb_add_init(m, tb_tensor(m, "", OBN_FLOAT, 1, C3, NULL, 12));
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "initializer #4 has no name");
    tb_free(m);
}
END_TEST

/* ---------------------------------------------------------- graph structure */

START_TEST(input_that_names_no_tensor)
{
    tb_model *m = bn_relu_model();
    node_named(m, "relu")->input[0] = tb_str(m, "ghost");
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "node \"relu\"", "Relu", "'ghost'", "names no tensor");
    tb_free(m);
}
END_TEST

START_TEST(cycle_of_two_nodes)
{
    tb_model *m = tb_new(15);
    int64_t d[1] = {4};
    tb_input(m, "x", OBN_FLOAT, 1, d);
    tb_node(m, "Identity", "a", "b_out", "a_out");
    tb_node(m, "Relu", "b", "a_out", "b_out");
    tb_output(m, "a_out", OBN_FLOAT, 1, d);
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "cycle", "node \"a\" (Identity)", "node \"b\" (Relu)");
    tb_free(m);
}
END_TEST

START_TEST(cycle_self_loop)
{
    tb_model *m = tb_new(15);
    int64_t d[1] = {4};
    tb_input(m, "x", OBN_FLOAT, 1, d);
    tb_node(m, "Relu", "first", "x", "r");
    tb_node(m, "Identity", "loop", "loop_out", "loop_out");
    tb_output(m, "r", OBN_FLOAT, 1, d);
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "cycle", "node \"loop\" (Identity)", "its own output");
    tb_free(m);
}
END_TEST

START_TEST(cycle_message_names_nodes_on_the_cycle)
{
    /* "down" reads the cycle's output but is not on it; it comes first in
     * the file, so a naive "first unsorted node" would blame it */
    tb_model *m = tb_new(15);
    int64_t d[1] = {4};
    tb_input(m, "x", OBN_FLOAT, 1, d);
    tb_node(m, "Relu", "down", "c_out", "y");
    tb_node(m, "Relu", "a", "c_out", "a_out");
    tb_node(m, "Relu", "b", "a_out", "b_out");
    tb_node(m, "Relu", "c", "b_out", "c_out");
    tb_output(m, "y", OBN_FLOAT, 1, d);
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "cycle", "\"a\"", "\"b\"", "\"c\"");
    ck_assert_msg(!strstr(obn_last_error(), "\"down\""), "%s", obn_last_error());
    tb_free(m);
}
END_TEST

START_TEST(tensor_assigned_twice)
{
    /* by two nodes */
    tb_model *m = bn_relu_model();
    tb_node(m, "Relu", "relu2", "t", "u");
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "'u'", "assigned twice", "\"relu2\"", "another node");
    tb_free(m);
    /* a node output that is a graph input */
    m = bn_relu_model();
    tb_node(m, "Relu", "clobber", "t", "x");
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "'x'", "assigned twice", "\"clobber\"", "a graph input");
    tb_free(m);
    /* a node output that is an initializer */
    m = bn_relu_model();
    tb_node(m, "Relu", "clobber", "t", "mean");
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "'mean'", "assigned twice", "\"clobber\"",
                  "an initializer");
    tb_free(m);
    /* twice by the same node */
    m = bn_relu_model();
    tb_node(m, "BatchNormalization", "twice", "x,scale,bias,mean,var", "z,z");
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "'z'", "assigned twice", "\"twice\"");
    tb_free(m);
}
END_TEST

START_TEST(duplicate_initializers_and_inputs)
{
    tb_model *m = bn_relu_model();
    static const float f3[3] = {0};
    tb_init_f32(m, "bias", 1, C3, f3);
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "duplicate initializer", "'bias'");
    tb_free(m);

    m = bn_relu_model();
    tb_input(m, "x", OBN_FLOAT, 4, XD);
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "graph input 'x'", "twice");
    tb_free(m);

    m = bn_relu_model();
    tb_input(m, "", OBN_FLOAT, 4, XD);
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "graph input #1 has no name");
    tb_free(m);

    /* a graph input without a type */
    m = bn_relu_model();
    graph(m)->input[0]->type = NULL;
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "graph input 'x'", "no tensor type");
    tb_free(m);
}
END_TEST

START_TEST(graph_outputs)
{
    tb_model *m = bn_relu_model();
    tb_output(m, "nowhere", OBN_FLOAT, 1, C3);
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "graph output 'nowhere'", "not produced");
    tb_free(m);

    m = bn_relu_model();
    graph(m)->n_output = 0;
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "no outputs");
    tb_free(m);

    /* the same output listed twice (with a symbolic dim: its name must not leak) */
    m = bn_relu_model();
    tb_output(m, "y", OBN_FLOAT, 4, XD);
    obn_model *model = NULL;
    TB_EXPECT_OK(tb_load(m, &model));
    ck_assert_uint_eq(obn_model_output_count(model), 2);
    obn_model_destroy(model);
    tb_free(m);

    /* a node without op_type */
    m = bn_relu_model();
    node_named(m, "relu")->op_type = tb_str(m, "");
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "node \"relu\"", "no op_type");
    tb_free(m);
}
END_TEST

/* -------------------------------------------------------- opsets and ops */

START_TEST(missing_opset_import)
{
    tb_model *m = bn_relu_model();
    tb_proto(m)->n_opset_import = 0;
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "<memory>", "no opset import");
    tb_free(m);
}
END_TEST

START_TEST(unsupported_opset)
{
    const int versions[] = {OBN_MAX_ONNX_OPSET + 1, 29, 99};
    for (int i = 0; i < 3; i++) {
        if (versions[i] <= OBN_MAX_ONNX_OPSET) continue;
        tb_model *m = bn_relu_model();
        tb_proto(m)->opset_import[0]->version = versions[i];
        char num[64];
        snprintf(num, sizeof num, "ai.onnx version %d", versions[i]);
        TB_EXPECT_ERR(load_status(m), OBN_E_UNSUPPORTED, "opset", num, "not supported");
        tb_free(m);
    }
    /* version 0 and a repeated import */
    tb_model *m = bn_relu_model();
    tb_proto(m)->opset_import[0]->version = 0;
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "ai.onnx", "no valid version");
    tb_free(m);
    m = bn_relu_model();
    tb_opset(m, "ai.onnx", 15); /* "" and "ai.onnx" are the same domain */
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "ai.onnx", "imported twice");
    tb_free(m);
}
END_TEST

START_TEST(node_domain_without_opset_import)
{
    tb_model *m = bn_relu_model();
    node_named(m, "relu")->domain = tb_str(m, "com.example");
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "node \"relu\"", "com.example", "no opset import");
    tb_free(m);
}
END_TEST

START_TEST(unsupported_op_names_op_domain_and_version)
{
    tb_model *m = bn_relu_model();
    node_named(m, "relu")->op_type = tb_str(m, "NoSuchOp");
    TB_EXPECT_ERR(load_status(m), OBN_E_UNSUPPORTED, "node \"relu\"", "NoSuchOp", "ai.onnx", "opset 15");
    tb_free(m);

    /* a known op name in a domain onnxbn does not implement */
    m = bn_relu_model();
    tb_opset(m, "com.example", 3);
    node_named(m, "relu")->domain = tb_str(m, "com.example");
    TB_EXPECT_ERR(load_status(m), OBN_E_UNSUPPORTED, "Relu", "com.example", "3");
    tb_free(m);
}
END_TEST

START_TEST(attribute_errors)
{
    /* unknown */
    tb_model *m = bn_relu_model();
    tb_attr_float(m, node_named(m, "relu"), "alpha", 0.1f);
    TB_EXPECT_ERR(load_status(m), OBN_E_UNSUPPORTED, "node \"relu\"", "Relu", "'alpha'", "unknown");
    tb_free(m);
    /* wrong type */
    m = bn_relu_model();
    tb_attr_string(m, node_named(m, "bn"), "epsilon", "small");
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "node \"bn\"", "BatchNormalization", "'epsilon'", "STRING",
                  "expected FLOAT");
    tb_free(m);
    m = bn_relu_model();
    tb_attr_ints(m, node_named(m, "bn"), "training_mode", 1, (const int64_t[]){1});
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "node \"bn\"", "'training_mode'", "INTS", "expected INT");
    tb_free(m);
    /* no type, or an undefined one */
    static const int bad_types[] = {0, 15, 99};
    for (int i = 0; i < 3; i++) {
        m = bn_relu_model();
        tb_attr_float(m, node_named(m, "bn"), "epsilon", 1e-3f);
        Onnx__AttributeProto *a = node_named(m, "bn")->attribute[0];
        a->type = bad_types[i];
        if (!bad_types[i]) a->has_type = 0;
        TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "node \"bn\"", "'epsilon'", "no valid type");
        tb_free(m);
    }
    /* given twice */
    m = bn_relu_model();
    tb_attr_float(m, node_named(m, "bn"), "epsilon", 1e-3f);
    tb_attr_float(m, node_named(m, "bn"), "epsilon", 1e-4f);
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "node \"bn\"", "'epsilon'", "twice");
    tb_free(m);
    /* a tensor attribute with broken data is checked like an initializer */
    m = bn_relu_model();
    Onnx__TensorProto *t = tb_tensor(m, "v", OBN_FLOAT, 1, C3, NULL, 5);
    tb_attr_tensor(m, node_named(m, "relu"), "value", t);
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "node \"relu\"", "relu.value", "raw_data has 5 bytes");
    tb_free(m);
}
END_TEST

START_TEST(wrong_input_and_output_counts)
{
    tb_model *m = bn_relu_model();
    Onnx__NodeProto *n = node_named(m, "relu");
    n->n_input = 2;
    n->input = tb_alloc(m, 2 * sizeof(char *));
    n->input[0] = tb_str(m, "t");
    n->input[1] = tb_str(m, "t");
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "node \"relu\"", "has 2 inputs", "Relu-14 takes at most 1 (X)");
    tb_free(m);

    m = bn_relu_model();
    n = node_named(m, "bn");
    n->input[2] = tb_str(m, ""); /* required input omitted */
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "node \"bn\"", "required input 'B' (#2) is empty");
    tb_free(m);
}
END_TEST

START_TEST(counts_that_would_make_loading_slow)
{
    /* the duplicate checks are pairwise: their lists are bounded */
    tb_model *m = bn_relu_model();
    Onnx__NodeProto *n = node_named(m, "relu");
    char name[32];
    for (int i = 0; i < 1025; i++) {
        snprintf(name, sizeof name, "a%d", i);
        tb_attr_int(m, n, name, i);
    }
    TB_EXPECT_ERR(load_status(m), OBN_E_UNSUPPORTED, "node \"relu\"", "1025 attributes", "at most 1024");
    tb_free(m);

    m = bn_relu_model();
    for (int i = 0; i < 1024; i++) {
        snprintf(name, sizeof name, "com.example.d%d", i);
        tb_opset(m, name, 1);
    }
    TB_EXPECT_ERR(load_status(m), OBN_E_UNSUPPORTED, "imports 1025 opsets", "at most 1024");
    tb_proto(m)->n_opset_import = 1024; /* at the limit: fine */
    TB_EXPECT_OK(load_status(m));
    tb_free(m);

    m = bn_relu_model();
    n = node_named(m, "relu");
    n->n_output = 10001;
    n->output = tb_alloc(m, 10001 * sizeof(char *));
    for (int i = 0; i < 10001; i++) n->output[i] = tb_str(m, "");
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "node \"relu\"", "too many inputs or outputs");
    tb_free(m);
}
END_TEST

/* ---------------------------------------------- initializers as inputs */

START_TEST(initializer_listed_as_input_is_a_constant)
{
    tb_model *m = bn_relu_model();
    tb_proto(m)->ir_version = 3;
    tb_input(m, "scale", OBN_FLOAT, 1, C3); /* IR < 4: every initializer is also an input */
    tb_input(m, "mean", OBN_FLOAT, 1, C3);
    obn_model *model = NULL;
    TB_EXPECT_OK(tb_load(m, &model));
    ck_assert_uint_eq(obn_model_input_count(model), 1);
    obn_value_info vi;
    TB_EXPECT_OK(obn_model_input(model, 0, &vi));
    ck_assert_str_eq(vi.name, "x");

    obn_session *s = NULL;
    TB_EXPECT_OK(obn_session_create(model, NULL, &s));
    int64_t xd[4] = {1, 3, 2, 2};
    obn_tensor *x = tb_f32_random(4, xd, 7, -1, 1);
    const obn_tensor *y = NULL;
    TB_EXPECT_OK(obn_session_run(s, 1, (const char *[]){"x"}, (const obn_tensor *[]){x}, 1, NULL, &y));
    /* feeding the constant is an error that says what it is */
    TB_EXPECT_ERR(obn_session_run(s, 2, (const char *[]){"x", "scale"}, (const obn_tensor *[]){x, x}, 1, NULL, &y),
                  OBN_E_INVALID_INPUT, "'scale'", "initializer");
    obn_tensor_destroy(x);
    obn_session_destroy(s);
    obn_model_destroy(model);
    tb_free(m);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("import");
    TCase *t = tcase_create("bytes");
    tcase_add_test(t, valid_model_loads_and_describes_itself);
    tcase_add_test(t, empty_buffer_and_empty_file);
    tcase_add_test(t, non_protobuf_bytes);
    tcase_add_test(t, truncated_at_every_length);
    tcase_add_test(t, missing_file_and_directory);
    tcase_add_test(t, deep_nesting_is_refused_not_a_stack_overflow);
    tcase_add_test(t, missing_graph_and_ir_version);
    tcase_add_test(t, model_over_2gib_is_refused_before_reading);
    suite_add_tcase(s, t);

    t = tcase_create("shapes_and_data");
    tcase_add_test(t, negative_dims_in_initializer);
    tcase_add_test(t, overflowing_dims_in_initializer);
    tcase_add_test(t, huge_shape_with_little_data_is_not_allocated);
    tcase_add_test(t, bad_dims_in_graph_input_shape);
    tcase_add_test(t, raw_data_length_mismatch);
    tcase_add_test(t, typed_field_count_mismatch);
    tcase_add_test(t, data_in_the_wrong_typed_field);
    tcase_add_test(t, undefined_data_types);
    tcase_add_test(t, string_and_complex_tensors);
    tcase_add_test(t, other_tensor_rejections);
    suite_add_tcase(s, t);

    t = tcase_create("graph");
    tcase_add_test(t, input_that_names_no_tensor);
    tcase_add_test(t, cycle_of_two_nodes);
    tcase_add_test(t, cycle_self_loop);
    tcase_add_test(t, cycle_message_names_nodes_on_the_cycle);
    tcase_add_test(t, tensor_assigned_twice);
    tcase_add_test(t, duplicate_initializers_and_inputs);
    tcase_add_test(t, graph_outputs);
    tcase_add_test(t, initializer_listed_as_input_is_a_constant);
    suite_add_tcase(s, t);

    t = tcase_create("ops");
    tcase_add_test(t, missing_opset_import);
    tcase_add_test(t, unsupported_opset);
    tcase_add_test(t, node_domain_without_opset_import);
    tcase_add_test(t, unsupported_op_names_op_domain_and_version);
    tcase_add_test(t, attribute_errors);
    tcase_add_test(t, wrong_input_and_output_counts);
    tcase_add_test(t, counts_that_would_make_loading_slow);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
