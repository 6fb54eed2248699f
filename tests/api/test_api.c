/* The public C API as an embedding program uses it: ownership and lifetime
 * rules from onnxbn.h, session reuse and re-planning, run-time input
 * validation, NULL and out-of-range arguments, and one model shared by
 * sessions on several threads. Models use BatchNormalization, Relu and
 * Identity only. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb_check.h"

enum { C = 3 };
static const float SCALE[C] = {1, 2, 3}, BIAS[C] = {0, 0.5f, -0.5f}, MEAN[C] = {0.1f, 0.2f, 0.3f},
                   VAR[C] = {1, 2, 0.5f};
static const int64_t C3[1] = {C};
static const int64_t XD[4] = {-1, C, 2, 2}; /* N symbolic */

/* x[N,3,2,2] -> BatchNormalization "bn" -> Relu "relu" -> Identity "id" -> y */
static tb_model *bn_relu(const int64_t *xdims)
{
    tb_model *m = tb_new(15);
    tb_input(m, "x", OBN_FLOAT, 4, xdims);
    tb_init_f32(m, "scale", 1, C3, SCALE);
    tb_init_f32(m, "bias", 1, C3, BIAS);
    tb_init_f32(m, "mean", 1, C3, MEAN);
    tb_init_f32(m, "var", 1, C3, VAR);
    tb_node(m, "BatchNormalization", "bn", "x,scale,bias,mean,var", "t");
    tb_node(m, "Relu", "relu", "t", "u");
    tb_node(m, "Identity", "id", "u", "y");
    tb_output(m, "y", OBN_FLOAT, 4, xdims);
    return m;
}

static obn_model *load(tb_model *m)
{
    obn_model *model = NULL;
    TB_EXPECT_OK(tb_load(m, &model));
    return model;
}

static obn_model *load_bn_relu(void)
{
    tb_model *m = bn_relu(XD);
    obn_model *model = load(m);
    tb_free(m); /* the model keeps nothing of the bytes */
    return model;
}

/* relu(BN(x)) computed here in double. */
static double reference(const float *x, int64_t i, int64_t plane)
{
    int64_t c = (i / plane) % C;
    double v = (x[i] - MEAN[c]) / sqrt(VAR[c] + 1e-5) * SCALE[c] + BIAS[c];
    return v > 0 ? v : 0;
}

static void check_output(const obn_tensor *x, const obn_tensor *y)
{
    ck_assert_int_eq(obn_tensor_dtype(y), OBN_FLOAT);
    ck_assert_uint_eq(obn_tensor_rank(y), obn_tensor_rank(x));
    for (size_t d = 0; d < obn_tensor_rank(x); d++) ck_assert_int_eq(obn_tensor_dims(y)[d], obn_tensor_dims(x)[d]);
    const float *xv = obn_tensor_cdata(x), *yv = obn_tensor_cdata(y);
    for (int64_t i = 0; i < obn_tensor_numel(x); i++) {
        double want = reference(xv, i, 4);
        if (fabs(yv[i] - want) > 1e-5 * (1 + fabs(want)))
            ck_abort_msg("y[%lld] = %g, expected %g", (long long)i, yv[i], want);
    }
}

static obn_status run1(obn_session *s, const obn_tensor *x, const obn_tensor **y)
{
    const char *names[1] = {"x"};
    return obn_session_run(s, 1, names, &x, 1, NULL, y);
}

static obn_tensor *batch(int64_t n, uint64_t seed)
{
    int64_t d[4] = {n, C, 2, 2};
    return tb_f32_random(4, d, seed, -2, 2);
}

/* ------------------------------------------------------ ownership, reuse */

START_TEST(model_destroyed_before_its_session)
{
    obn_model *model = load_bn_relu();
    obn_session *s = NULL;
    TB_EXPECT_OK(obn_session_create(model, NULL, &s));
    obn_model_destroy(model); /* the session holds its own reference */
    obn_tensor *x = batch(2, 1);
    const obn_tensor *y = NULL;
    TB_EXPECT_OK(run1(s, x, &y));
    check_output(x, y);
    obn_tensor_destroy(x);
    obn_session_destroy(s);
}
END_TEST

START_TEST(one_session_many_runs)
{
    obn_model *model = load_bn_relu();
    obn_session *s = NULL;
    TB_EXPECT_OK(obn_session_create(model, NULL, &s));
    for (int r = 0; r < 200; r++) {
        obn_tensor *x = batch(3, (uint64_t)r);
        const obn_tensor *y = NULL;
        TB_EXPECT_OK(run1(s, x, &y));
        check_output(x, y);
        obn_tensor_destroy(x);
    }
    obn_session_destroy(s);
    obn_model_destroy(model);
}
END_TEST

START_TEST(different_batch_sizes_replan)
{
    obn_model *model = load_bn_relu();
    obn_session *s = NULL;
    TB_EXPECT_OK(obn_session_create(model, NULL, &s));
    static const int64_t sizes[] = {1, 4, 2, 4, 4, 1, 0, 7, 1};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        obn_tensor *x = batch(sizes[i], 100 + i);
        const obn_tensor *y = NULL;
        TB_EXPECT_OK(run1(s, x, &y));
        ck_assert_int_eq(obn_tensor_dims(y)[0], sizes[i]);
        check_output(x, y);
        obn_tensor_destroy(x);
    }
    obn_session_destroy(s);
    obn_model_destroy(model);
}
END_TEST

START_TEST(outputs_are_borrowed_until_the_next_run)
{
    obn_model *model = load_bn_relu();
    obn_session *s = NULL, *other = NULL;
    TB_EXPECT_OK(obn_session_create(model, NULL, &s));
    TB_EXPECT_OK(obn_session_create(model, NULL, &other));
    obn_tensor *x1 = batch(2, 1), *x2 = batch(2, 2);
    const obn_tensor *y1 = NULL, *y2 = NULL;
    TB_EXPECT_OK(run1(s, x1, &y1));
    obn_tensor *keep = NULL;
    TB_EXPECT_OK(obn_tensor_clone(y1, &keep));
    /* the input may go; the output stays; other sessions do not touch it */
    obn_tensor_destroy(x1);
    TB_EXPECT_OK(run1(other, x2, &y2));
    ck_assert_ptr_ne(y1, y2);
    ck_assert_int_eq(memcmp(obn_tensor_cdata(y1), obn_tensor_cdata(keep), obn_tensor_nbytes(keep)), 0);
    /* the next run on this session replaces it; the clone is the caller's */
    TB_EXPECT_OK(run1(s, x2, &y1));
    check_output(x2, y1);
    ck_assert_int_ne(memcmp(obn_tensor_cdata(y1), obn_tensor_cdata(keep), obn_tensor_nbytes(keep)), 0);
    obn_tensor_destroy(keep);
    obn_tensor_destroy(x2);
    obn_session_destroy(s);
    obn_session_destroy(other);
    obn_model_destroy(model);
}
END_TEST

START_TEST(output_that_is_an_input_is_owned_by_the_session)
{
    /* outputs: y = relu(x), and x itself */
    tb_model *m = tb_new(15);
    int64_t d[2] = {-1, 4};
    tb_input(m, "x", OBN_FLOAT, 2, d);
    tb_node(m, "Relu", "relu", "x", "y");
    tb_output(m, "y", OBN_FLOAT, 2, d);
    tb_output(m, "x", OBN_FLOAT, 2, d);
    obn_model *model = load(m);
    obn_session *s = NULL;
    TB_EXPECT_OK(obn_session_create(model, NULL, &s));
    for (int64_t n = 1; n <= 3; n++) {
        int64_t xd[2] = {n, 4};
        obn_tensor *x = tb_f32_random(2, xd, (uint64_t)n, -1, 1), *want = NULL;
        TB_EXPECT_OK(obn_tensor_clone(x, &want));
        const obn_tensor *out[2] = {NULL, NULL};
        TB_EXPECT_OK(obn_session_run(s, 1, (const char *[]){"x"}, (const obn_tensor *[]){x}, 2, NULL, out));
        ck_assert_ptr_ne(obn_tensor_cdata(out[1]), obn_tensor_cdata(x));
        obn_tensor_destroy(x); /* the caller frees its input right after the run */
        ck_assert_int_eq(obn_tensor_dims(out[1])[0], n);
        ck_assert_int_eq(memcmp(obn_tensor_cdata(out[1]), obn_tensor_cdata(want), obn_tensor_nbytes(want)), 0);
        obn_tensor_destroy(want);
    }
    obn_session_destroy(s);
    obn_model_destroy(model);
    tb_free(m);
}
END_TEST

START_TEST(tensor_wrap_borrows)
{
    float buf[1 * C * 2 * 2];
    for (int i = 0; i < 12; i++) buf[i] = (float)i - 5;
    int64_t d[4] = {1, C, 2, 2};
    obn_tensor *x = NULL;
    TB_EXPECT_OK(obn_tensor_wrap(OBN_FLOAT, 4, d, buf, sizeof buf, &x));
    ck_assert_ptr_eq(obn_tensor_data(x), buf);
    buf[3] = 42; /* visible through the tensor: no copy */
    ck_assert_float_eq(((const float *)obn_tensor_cdata(x))[3], 42);

    obn_model *model = load_bn_relu();
    obn_session *s = NULL;
    TB_EXPECT_OK(obn_session_create(model, NULL, &s));
    const obn_tensor *y = NULL;
    TB_EXPECT_OK(run1(s, x, &y));
    check_output(x, y);
    obn_tensor_destroy(x); /* must not free buf (ASan would see a bad free) */
    buf[0] = 1;
    ck_assert_float_eq(buf[0], 1);

    /* size and NULL checks */
    TB_EXPECT_ERR(obn_tensor_wrap(OBN_FLOAT, 4, d, buf, sizeof buf - 4, &x), OBN_E_INVALID_ARGUMENT,
                  "obn_tensor_wrap", "44 bytes", "48");
    ck_assert_ptr_null(x);
    TB_EXPECT_ERR(obn_tensor_wrap(OBN_FLOAT, 4, d, NULL, sizeof buf, &x), OBN_E_INVALID_ARGUMENT, "NULL");
    int64_t empty[2] = {0, 5};
    TB_EXPECT_OK(obn_tensor_wrap(OBN_FLOAT, 2, empty, NULL, 0, &x)); /* nothing to point at */
    ck_assert_int_eq(obn_tensor_numel(x), 0);
    obn_tensor_destroy(x);
    obn_session_destroy(s);
    obn_model_destroy(model);
}
END_TEST

/* ------------------------------------------------------- arguments */

START_TEST(tensor_create_arguments)
{
    obn_tensor *t = (obn_tensor *)(uintptr_t)1;
    int64_t neg[2] = {2, -1};
    TB_EXPECT_ERR(obn_tensor_create(OBN_FLOAT, 2, neg, NULL, &t), OBN_E_INVALID_ARGUMENT, "obn_tensor_create",
                  "dims[1]", "-1");
    ck_assert_ptr_null(t);
    TB_EXPECT_ERR(obn_tensor_create(OBN_FLOAT, 2, NULL, NULL, &t), OBN_E_INVALID_ARGUMENT, "dims is NULL");
    TB_EXPECT_ERR(obn_tensor_create((obn_dtype)99, 0, NULL, NULL, &t), OBN_E_INVALID_ARGUMENT, "99",
                  "not an ONNX data type");
    TB_EXPECT_ERR(obn_tensor_create(OBN_UNDEFINED, 0, NULL, NULL, &t), OBN_E_INVALID_ARGUMENT, "0");
    TB_EXPECT_ERR(obn_tensor_create(OBN_COMPLEX64, 0, NULL, NULL, &t), OBN_E_UNSUPPORTED, "complex64");
    int64_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    TB_EXPECT_ERR(obn_tensor_create(OBN_FLOAT, 9, nine, NULL, &t), OBN_E_UNSUPPORTED, "rank 9");
    int64_t huge[3] = {(int64_t)1 << 32, (int64_t)1 << 32, 2};
    TB_EXPECT_ERR(obn_tensor_create(OBN_FLOAT, 3, huge, NULL, &t), OBN_E_INVALID_ARGUMENT, "too large");
    TB_EXPECT_ERR(obn_tensor_wrap(OBN_FLOAT, 2, neg, NULL, 0, &t), OBN_E_INVALID_ARGUMENT, "obn_tensor_wrap",
                  "dims[1]");
    TB_EXPECT_ERR(obn_tensor_create(OBN_FLOAT, 0, NULL, NULL, NULL), OBN_E_INVALID_ARGUMENT, "out is NULL");
    /* a scalar, zero-filled */
    TB_EXPECT_OK(obn_tensor_create(OBN_DOUBLE, 0, NULL, NULL, &t));
    ck_assert_int_eq(obn_tensor_numel(t), 1);
    ck_assert(*(const double *)obn_tensor_cdata(t) == 0);
    obn_tensor_destroy(t);
}
END_TEST

START_TEST(null_arguments_never_crash)
{
    obn_model *model = load_bn_relu();
    obn_session *s = NULL;
    obn_value_info vi;
    obn_node_info ni;
    const char *dom = NULL;
    int64_t ver = 0;
    obn_model *mout = (obn_model *)(uintptr_t)1;
    obn_session *sout = (obn_session *)(uintptr_t)1;
    obn_tensor *tout = (obn_tensor *)(uintptr_t)1;

    TB_EXPECT_ERR(obn_model_load(NULL, &mout), OBN_E_INVALID_ARGUMENT, "obn_model_load");
    ck_assert_ptr_null(mout);
    TB_EXPECT_ERR(obn_model_load("x.onnx", NULL), OBN_E_INVALID_ARGUMENT, "obn_model_load");
    TB_EXPECT_ERR(obn_model_load_buffer(NULL, 10, NULL, &mout), OBN_E_INVALID_ARGUMENT, "data is NULL");
    TB_EXPECT_ERR(obn_model_load_buffer("abc", 3, NULL, NULL), OBN_E_INVALID_ARGUMENT, "out is NULL");
    TB_EXPECT_ERR(obn_model_input(NULL, 0, &vi), OBN_E_INVALID_ARGUMENT, "obn_model_input");
    TB_EXPECT_ERR(obn_model_input(model, 0, NULL), OBN_E_INVALID_ARGUMENT, "obn_model_input");
    TB_EXPECT_ERR(obn_model_output(NULL, 0, &vi), OBN_E_INVALID_ARGUMENT, "obn_model_output");
    TB_EXPECT_ERR(obn_model_output(model, 0, NULL), OBN_E_INVALID_ARGUMENT, "obn_model_output");
    TB_EXPECT_ERR(obn_model_node(NULL, 0, &ni), OBN_E_INVALID_ARGUMENT, "obn_model_node");
    TB_EXPECT_ERR(obn_model_node(model, 0, NULL), OBN_E_INVALID_ARGUMENT, "obn_model_node");
    TB_EXPECT_ERR(obn_model_opset(NULL, 0, &dom, &ver), OBN_E_INVALID_ARGUMENT, "obn_model_opset");
    TB_EXPECT_ERR(obn_model_opset(model, 0, NULL, &ver), OBN_E_INVALID_ARGUMENT, "obn_model_opset");
    TB_EXPECT_ERR(obn_model_opset(model, 0, &dom, NULL), OBN_E_INVALID_ARGUMENT, "obn_model_opset");
    ck_assert_uint_eq(obn_model_input_count(NULL), 0);
    ck_assert_uint_eq(obn_model_output_count(NULL), 0);
    ck_assert_uint_eq(obn_model_opset_count(NULL), 0);
    obn_model_meta meta;
    meta.node_count = 99;
    obn_model_get_meta(NULL, &meta);
    ck_assert_uint_eq(meta.node_count, 0);
    obn_model_get_meta(model, NULL);
    obn_model_destroy(NULL);

    TB_EXPECT_ERR(obn_session_create(NULL, NULL, &sout), OBN_E_INVALID_ARGUMENT, "obn_session_create");
    ck_assert_ptr_null(sout);
    TB_EXPECT_ERR(obn_session_create(model, NULL, NULL), OBN_E_INVALID_ARGUMENT, "obn_session_create");
    obn_session_options_init(NULL);
    obn_session_destroy(NULL);
    const obn_tensor *y = NULL;
    TB_EXPECT_ERR(obn_session_run(NULL, 0, NULL, NULL, 1, NULL, &y), OBN_E_INVALID_ARGUMENT, "session is NULL");

    TB_EXPECT_OK(obn_session_create(model, NULL, &s));
    obn_tensor *x = batch(1, 3);
    const char *names[1] = {"x"};
    const char *null_name[1] = {NULL};
    const obn_tensor *null_tensor[1] = {NULL};
    TB_EXPECT_ERR(obn_session_run(s, 1, names, (const obn_tensor *const *)&x, 1, NULL, NULL), OBN_E_INVALID_ARGUMENT,
                  "outputs is NULL");
    TB_EXPECT_ERR(obn_session_run(s, 1, NULL, (const obn_tensor *const *)&x, 1, NULL, &y), OBN_E_INVALID_ARGUMENT,
                  "input_names");
    TB_EXPECT_ERR(obn_session_run(s, 1, names, NULL, 1, NULL, &y), OBN_E_INVALID_ARGUMENT, "inputs");
    TB_EXPECT_ERR(obn_session_run(s, 1, null_name, (const obn_tensor *const *)&x, 1, NULL, &y),
                  OBN_E_INVALID_ARGUMENT, "input name #0 is NULL");
    TB_EXPECT_ERR(obn_session_run(s, 1, names, null_tensor, 1, NULL, &y), OBN_E_INVALID_ARGUMENT, "input 'x'",
                  "NULL");
    TB_EXPECT_ERR(obn_session_run(s, 1, names, (const obn_tensor *const *)&x, 1, null_name, &y),
                  OBN_E_INVALID_ARGUMENT, "no output named");
    ck_assert_ptr_null(y);
    /* still usable */
    TB_EXPECT_OK(run1(s, x, &y));
    check_output(x, y);

    TB_EXPECT_ERR(obn_tensor_clone(NULL, &tout), OBN_E_INVALID_ARGUMENT, "obn_tensor_clone");
    ck_assert_ptr_null(tout);
    tout = (obn_tensor *)(uintptr_t)1;
    TB_EXPECT_ERR(obn_tensor_load(NULL, &tout), OBN_E_INVALID_ARGUMENT, "obn_tensor_load");
    ck_assert_ptr_null(tout);
    TB_EXPECT_ERR(obn_tensor_clone(x, NULL), OBN_E_INVALID_ARGUMENT, "obn_tensor_clone");
    obn_tensor_destroy(NULL);
    ck_assert_int_eq(obn_tensor_dtype(NULL), OBN_UNDEFINED);
    ck_assert_uint_eq(obn_tensor_rank(NULL), 0);
    ck_assert_ptr_null(obn_tensor_dims(NULL));
    ck_assert_int_eq(obn_tensor_numel(NULL), 0);
    ck_assert_uint_eq(obn_tensor_nbytes(NULL), 0);
    ck_assert_ptr_null(obn_tensor_data(NULL));
    ck_assert_ptr_null(obn_tensor_cdata(NULL));
    ck_assert_str_eq(obn_tensor_name(NULL), "");

    obn_tensor_destroy(x);
    obn_session_destroy(s);
    obn_model_destroy(model);
}
END_TEST

START_TEST(index_out_of_range)
{
    obn_model *model = load_bn_relu();
    obn_value_info vi;
    obn_node_info ni;
    const char *dom;
    int64_t ver;
    TB_EXPECT_ERR(obn_model_input(model, 1, &vi), OBN_E_INVALID_ARGUMENT, "obn_model_input", "index 1",
                  "out of range");
    TB_EXPECT_ERR(obn_model_input(model, (size_t)-1, &vi), OBN_E_INVALID_ARGUMENT, "out of range");
    TB_EXPECT_ERR(obn_model_output(model, 1, &vi), OBN_E_INVALID_ARGUMENT, "obn_model_output", "index 1",
                  "out of range");
    TB_EXPECT_ERR(obn_model_node(model, 3, &ni), OBN_E_INVALID_ARGUMENT, "obn_model_node", "index 3");
    TB_EXPECT_ERR(obn_model_opset(model, 1, &dom, &ver), OBN_E_INVALID_ARGUMENT, "obn_model_opset", "index 1");
    TB_EXPECT_OK(obn_model_node(model, 2, &ni));
    ck_assert_str_eq(ni.op_type, "Identity");
    obn_model_destroy(model);
}
END_TEST

START_TEST(session_options)
{
    obn_model *model = load_bn_relu();
    obn_session_options o;
    obn_session_options_init(&o);
    ck_assert_int_eq(o.threads, 0);
    ck_assert_int_eq(o.enable_passes, 1);
    obn_session *s = (obn_session *)(uintptr_t)1;
    o.threads = -1;
    TB_EXPECT_ERR(obn_session_create(model, &o, &s), OBN_E_INVALID_ARGUMENT, "threads", "-1");
    ck_assert_ptr_null(s);
    static const int counts[] = {0, 1, 2, 4};
    for (int i = 0; i < 4; i++) {
        o.threads = counts[i];
        o.enable_passes = i & 1;
        TB_EXPECT_OK(obn_session_create(model, &o, &s));
        obn_tensor *x = batch(2, (uint64_t)i);
        const obn_tensor *y = NULL;
        TB_EXPECT_OK(run1(s, x, &y));
        check_output(x, y);
        obn_tensor_destroy(x);
        obn_session_destroy(s);
    }
    obn_model_destroy(model);
}
END_TEST

START_TEST(misc_names)
{
    ck_assert_str_eq(obn_version(), "0.1.0");
    ck_assert_str_eq(obn_status_name(OBN_E_INVALID_MODEL), "INVALID_MODEL");
    ck_assert_str_eq(obn_status_name((obn_status)1234), "UNKNOWN");
    ck_assert_str_eq(obn_dtype_name(OBN_BFLOAT16), "bfloat16");
    ck_assert_str_eq(obn_dtype_name((obn_dtype)77), "undefined");
    ck_assert_uint_eq(obn_dtype_size(OBN_STRING), 0);
    ck_assert_uint_eq(obn_dtype_size((obn_dtype)-3), 0);
    ck_assert_uint_eq(obn_dtype_size(OBN_UINT64), 8);
}
END_TEST

/* ------------------------------------------------------ run-time inputs */

START_TEST(run_time_input_errors_name_the_input_and_the_shape)
{
    obn_model *model = load_bn_relu();
    obn_session *s = NULL;
    TB_EXPECT_OK(obn_session_create(model, NULL, &s));
    const obn_tensor *y = (const obn_tensor *)(uintptr_t)1;
    obn_tensor *good = batch(2, 9), *t = NULL;

    int64_t d4[4] = {2, C, 2, 2};
    TB_EXPECT_OK(obn_tensor_create(OBN_INT32, 4, d4, NULL, &t));
    TB_EXPECT_ERR(run1(s, t, &y), OBN_E_INVALID_INPUT, "input 'x'", "int32", "float [N,3,2,2]");
    ck_assert_ptr_null(y);
    obn_tensor_destroy(t);

    int64_t d3[3] = {2, C, 4};
    TB_EXPECT_OK(obn_tensor_create(OBN_FLOAT, 3, d3, NULL, &t));
    TB_EXPECT_ERR(run1(s, t, &y), OBN_E_INVALID_INPUT, "input 'x'", "[2,3,4]", "rank 3", "float [N,3,2,2]");
    obn_tensor_destroy(t);

    int64_t wrong_c[4] = {2, 4, 2, 2};
    TB_EXPECT_OK(obn_tensor_create(OBN_FLOAT, 4, wrong_c, NULL, &t));
    TB_EXPECT_ERR(run1(s, t, &y), OBN_E_INVALID_INPUT, "input 'x'", "[2,4,2,2]", "float [N,3,2,2]");
    obn_tensor_destroy(t);

    TB_EXPECT_ERR(obn_session_run(s, 0, NULL, NULL, 1, NULL, &y), OBN_E_INVALID_INPUT, "input 'x'", "missing",
                  "float [N,3,2,2]");
    TB_EXPECT_ERR(obn_session_run(s, 1, (const char *[]){"z"}, (const obn_tensor *[]){good}, 1, NULL, &y),
                  OBN_E_INVALID_INPUT, "no input named 'z'", "its inputs: 'x' (float [N,3,2,2])");
    TB_EXPECT_ERR(obn_session_run(s, 2, (const char *[]){"x", "x"}, (const obn_tensor *[]){good, good}, 1, NULL, &y),
                  OBN_E_INVALID_INPUT, "input 'x'", "float [N,3,2,2]", "twice");
    TB_EXPECT_ERR(obn_session_run(s, 1, (const char *[]){"x"}, (const obn_tensor *[]){good}, 2, NULL,
                                  (const obn_tensor *[2]){NULL, NULL}),
                  OBN_E_INVALID_ARGUMENT, "2 outputs requested", "has 1");
    TB_EXPECT_ERR(obn_session_run(s, 1, (const char *[]){"x"}, (const obn_tensor *[]){good}, 1,
                                  (const char *[]){"t"}, &y),
                  OBN_E_INVALID_ARGUMENT, "no output named 't'");

    /* none of that broke the session; outputs can be picked by name */
    TB_EXPECT_OK(obn_session_run(s, 1, (const char *[]){"x"}, (const obn_tensor *[]){good}, 1, (const char *[]){"y"},
                                 &y));
    check_output(good, y);
    obn_tensor_destroy(good);
    obn_session_destroy(s);
    obn_model_destroy(model);
}
END_TEST

START_TEST(shape_errors_at_creation_or_at_run)
{
    /* fixed shapes: a wrong parameter length is reported by session_create */
    int64_t fixed[4] = {1, 4, 2, 2};
    tb_model *m = bn_relu(fixed);
    obn_model *model = load(m);
    obn_session *s = (obn_session *)(uintptr_t)1;
    TB_EXPECT_ERR(obn_session_create(model, NULL, &s), OBN_E_INVALID_MODEL, "<memory>", "node \"bn\"", "'scale'",
                  "C=4");
    ck_assert_ptr_null(s);
    obn_model_destroy(model);
    tb_free(m);

    /* symbolic channels: reported by the run that brings them, and the
     * session keeps working afterwards */
    int64_t sym[4] = {1, -1, 2, 2};
    m = bn_relu(sym);
    model = load(m);
    TB_EXPECT_OK(obn_session_create(model, NULL, &s));
    int64_t bad[4] = {1, 5, 2, 2};
    obn_tensor *x = NULL;
    TB_EXPECT_OK(obn_tensor_create(OBN_FLOAT, 4, bad, NULL, &x));
    const obn_tensor *y = NULL;
    TB_EXPECT_ERR(run1(s, x, &y), OBN_E_INVALID_MODEL, "node \"bn\"", "C=5");
    ck_assert_ptr_null(y);
    obn_tensor_destroy(x);
    x = batch(1, 5);
    TB_EXPECT_OK(run1(s, x, &y));
    check_output(x, y);
    obn_tensor_destroy(x);
    obn_session_destroy(s);
    obn_model_destroy(model);
    tb_free(m);
}
END_TEST

/* ------------------------------------------------------------- threads */

enum { THREADS = 4, RUNS = 50, INPUTS = 5 };

typedef struct {
    const obn_model *model;
    obn_tensor *const *inputs;
    obn_tensor *const *expected;
    int index;
    int failures;
    char message[256];
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    obn_session_options o;
    obn_session_options_init(&o);
    o.threads = 1 + w->index % 2;
    obn_session *s = NULL;
    if (obn_session_create(w->model, &o, &s) != OBN_OK) {
        snprintf(w->message, sizeof w->message, "create: %s", obn_last_error());
        w->failures++;
        return NULL;
    }
    for (int r = 0; r < RUNS; r++) {
        int k = (r + w->index) % INPUTS; /* batch sizes change between runs: re-plans */
        const obn_tensor *y = NULL;
        if (run1(s, w->inputs[k], &y) != OBN_OK) {
            snprintf(w->message, sizeof w->message, "run %d: %s", r, obn_last_error());
            w->failures++;
            continue;
        }
        if (obn_tensor_nbytes(y) != obn_tensor_nbytes(w->expected[k]) ||
            memcmp(obn_tensor_cdata(y), obn_tensor_cdata(w->expected[k]), obn_tensor_nbytes(y)) != 0) {
            snprintf(w->message, sizeof w->message, "run %d: output differs from the reference", r);
            w->failures++;
        }
        /* every tenth run also builds and drops a second session */
        if (r % 10 == 0) {
            obn_session *extra = NULL;
            if (obn_session_create(w->model, &o, &extra) != OBN_OK) w->failures++;
            obn_session_destroy(extra);
        }
    }
    obn_session_destroy(s);
    return NULL;
}

START_TEST(one_model_shared_by_sessions_on_several_threads)
{
    obn_model *model = load_bn_relu();
    obn_tensor *inputs[INPUTS], *expected[INPUTS];
    obn_session_options o;
    obn_session_options_init(&o);
    o.threads = 1;
    obn_session *ref = NULL;
    TB_EXPECT_OK(obn_session_create(model, &o, &ref));
    for (int k = 0; k < INPUTS; k++) {
        inputs[k] = batch(1 + k, 1000 + (uint64_t)k);
        const obn_tensor *y = NULL;
        TB_EXPECT_OK(run1(ref, inputs[k], &y));
        check_output(inputs[k], y);
        TB_EXPECT_OK(obn_tensor_clone(y, &expected[k]));
    }
    obn_session_destroy(ref);

    worker w[THREADS];
    pthread_t tid[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){model, inputs, expected, i, 0, ""};
        ck_assert_int_eq(pthread_create(&tid[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) ck_assert_int_eq(pthread_join(tid[i], NULL), 0);
    for (int i = 0; i < THREADS; i++) ck_assert_msg(w[i].failures == 0, "thread %d: %s", i, w[i].message);
    for (int k = 0; k < INPUTS; k++) {
        obn_tensor_destroy(inputs[k]);
        obn_tensor_destroy(expected[k]);
    }
    obn_model_destroy(model);
}
END_TEST

static void *fail_once(void *arg)
{
    (void)arg;
    obn_model *m = NULL;
    obn_model_load("/nonexistent/other-thread.onnx", &m);
    return NULL;
}

START_TEST(error_messages_are_per_thread)
{
    obn_model *m = NULL;
    TB_EXPECT_ERR(obn_model_load("/nonexistent/this-thread.onnx", &m), OBN_E_IO, "this-thread");
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, fail_once, NULL), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_msg(strstr(obn_last_error(), "this-thread"), "%s", obn_last_error());
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("api");
    TCase *t = tcase_create("ownership");
    tcase_add_test(t, model_destroyed_before_its_session);
    tcase_add_test(t, one_session_many_runs);
    tcase_add_test(t, different_batch_sizes_replan);
    tcase_add_test(t, outputs_are_borrowed_until_the_next_run);
    tcase_add_test(t, output_that_is_an_input_is_owned_by_the_session);
    tcase_add_test(t, tensor_wrap_borrows);
    suite_add_tcase(s, t);

    t = tcase_create("arguments");
    tcase_add_test(t, tensor_create_arguments);
    tcase_add_test(t, null_arguments_never_crash);
    tcase_add_test(t, index_out_of_range);
    tcase_add_test(t, session_options);
    tcase_add_test(t, misc_names);
    tcase_add_test(t, run_time_input_errors_name_the_input_and_the_shape);
    tcase_add_test(t, shape_errors_at_creation_or_at_run);
    suite_add_tcase(s, t);

    t = tcase_create("threads");
    tcase_add_test(t, one_model_shared_by_sessions_on_several_threads);
    tcase_add_test(t, error_messages_are_per_thread);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
