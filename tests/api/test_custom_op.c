/* Custom operators registered through the public API: descriptor checks,
 * the version lookup (highest since_version <= the model's opset), the
 * loader's required-input and attribute rules applied to custom nodes,
 * typed attribute getters, error messages that name the node, per-plan
 * state and user data, constant folding, overriding a built-in operator
 * (and the passes leaving the override alone), frozen registries, and two
 * registries in one process. Plugins are tested in tests/plugins. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb_check.h"

typedef struct {
    int infers, prepares, frees, computes, destroys;
} counters;

static counters cnt;

/* ---- test.ops.Scale: v1 y = x * factor, v3 y = x * factor + 1 (float).
 * Attribute `fail` makes a stage fail in a chosen way. */
typedef struct {
    float factor;
    int64_t fail;
} scale_attrs;

enum {
    FAIL_INFER_NAMED = 1,  /* infer fails through obn_node_error */
    FAIL_INFER_SILENT = 2, /* infer returns a status without a message */
    FAIL_COMPUTE = 3,      /* compute fails through obn_node_error */
    FAIL_INFER_BOGUS = 4,  /* infer returns a value that is no obn_status */
    FAIL_INFER_API = 5,    /* infer passes a bad shape to obn_op_set_output */
    FAIL_PARSE = 9         /* parse refuses the node */
};

static obn_status scale_parse(const obn_node *node, void *attrs)
{
    scale_attrs *a = attrs;
    obn_status s = obn_node_attr_float(node, "factor", 2.0f, &a->factor);
    if (s == OBN_OK) s = obn_node_attr_int(node, "fail", 0, &a->fail);
    if (s == OBN_OK && a->fail == FAIL_PARSE)
        return obn_node_error(node, OBN_E_INVALID_MODEL, "fail=%lld refused at parse", (long long)a->fail);
    return s;
}

static obn_status scale_infer(obn_op_ctx *ctx)
{
    const scale_attrs *a = obn_op_attrs(ctx);
    counters *c = obn_op_user_data(ctx);
    c->infers++;
    const obn_tensor *x = obn_op_input(ctx, 0);
    switch (a->fail) {
    case FAIL_INFER_NAMED:
        return obn_node_error(obn_op_node(ctx), OBN_E_UNSUPPORTED, "input 'X' refused on purpose");
    case FAIL_INFER_SILENT: return OBN_E_UNSUPPORTED;
    case FAIL_INFER_BOGUS: return (obn_status)1000;
    case FAIL_INFER_API: return obn_op_set_output(ctx, 0, OBN_FLOAT, OBN_MAX_RANK + 1, obn_tensor_dims(x));
    default: break;
    }
    if (obn_tensor_dtype(x) != OBN_FLOAT)
        return obn_node_error(obn_op_node(ctx), OBN_E_UNSUPPORTED, "input 'X' must be float");
    return obn_op_set_output(ctx, 0, OBN_FLOAT, obn_tensor_rank(x), obn_tensor_dims(x));
}

/* The state is a copy of the factor: compute uses it, so a missing or wrong
 * state shows in the outputs. */
static obn_status scale_prepare(obn_op_ctx *ctx, void **state)
{
    float *f = malloc(sizeof *f);
    if (!f) return OBN_E_OUT_OF_MEMORY;
    *f = ((const scale_attrs *)obn_op_attrs(ctx))->factor;
    ((counters *)obn_op_user_data(ctx))->prepares++;
    *state = f;
    return OBN_OK;
}

static void scale_free_state(void *state, void *user_data)
{
    ((counters *)user_data)->frees++;
    free(state);
}

static obn_status scale_compute(obn_op_ctx *ctx)
{
    const scale_attrs *a = obn_op_attrs(ctx);
    ((counters *)obn_op_user_data(ctx))->computes++;
    if (a->fail == FAIL_COMPUTE) return obn_node_error(obn_op_node(ctx), OBN_E_RUNTIME, "compute failed on purpose");
    const float *factor = obn_op_state(ctx);
    ck_assert_ptr_nonnull(factor);
    float add = obn_op_since_version(ctx) >= 3 ? 1.0f : 0.0f;
    const obn_tensor *x = obn_op_input(ctx, 0);
    const float *xs = obn_tensor_cdata(x);
    float *ys = obn_tensor_data(obn_op_output(ctx, 0));
    for (int64_t i = 0; i < obn_tensor_numel(x); i++) ys[i] = xs[i] * *factor + add;
    return OBN_OK;
}

static void count_destroy(void *user_data) { ((counters *)user_data)->destroys++; }

static const char *const scale_attr_names[] = {"factor", "fail", NULL};

static obn_custom_op scale_op(int since_version)
{
    return (obn_custom_op){
        .abi_version = OBN_OP_ABI_VERSION,
        .domain = "test.ops",
        .op_type = "Scale",
        .since_version = since_version,
        .inputs = "X",
        .outputs = "Y",
        .attributes = scale_attr_names,
        .attrs_size = sizeof(scale_attrs),
        .user_data = &cnt,
        .parse = scale_parse,
        .infer = scale_infer,
        .compute = scale_compute,
        .prepare = scale_prepare,
        .free_state = scale_free_state,
        .destroy = count_destroy,
    };
}

/* A registry with Scale-1 and Scale-3. */
static obn_op_registry *scale_registry(void)
{
    obn_op_registry *r = NULL;
    TB_EXPECT_OK(obn_op_registry_create(&r));
    obn_custom_op v1 = scale_op(1), v3 = scale_op(3);
    TB_EXPECT_OK(obn_op_registry_add(r, &v1));
    TB_EXPECT_OK(obn_op_registry_add(r, &v3));
    return r;
}

static obn_status load_with(tb_model *m, const obn_op_registry *r, obn_model **out)
{
    size_t len;
    const uint8_t *bytes = tb_pack(m, &len);
    obn_load_options o;
    obn_load_options_init(&o);
    o.registry = r;
    return obn_model_load_buffer_with(bytes, len, NULL, &o, out);
}

static const int64_t XD[2] = {2, 3};
static const float XV[6] = {-1.5f, -0.25f, 0, 0.5f, 1, 3};

/* x[2,3] -> test.ops.Scale "s" -> y, importing test.ops at `version`. */
static tb_model *scale_model(int version, const char *inputs)
{
    tb_model *m = tb_new(17);
    tb_opset(m, "test.ops", version);
    tb_input(m, "x", OBN_FLOAT, 2, XD);
    Onnx__NodeProto *n = tb_node(m, "Scale", "s", inputs, "y");
    n->domain = tb_str(m, "test.ops");
    tb_output(m, "y", OBN_FLOAT, 2, XD);
    return m;
}

/* Runs the model on XV and returns y[i] for every i in out[6]. */
static void run_model(obn_model *model, float *out)
{
    obn_session *s = NULL;
    obn_tensor *x = NULL;
    TB_EXPECT_OK(obn_session_create(model, NULL, &s));
    TB_EXPECT_OK(obn_tensor_create(OBN_FLOAT, 2, XD, XV, &x));
    const char *names[] = {"x"};
    const obn_tensor *ins[] = {x}, *outs[1];
    TB_EXPECT_OK(obn_session_run(s, 1, names, ins, 1, NULL, outs));
    memcpy(out, obn_tensor_cdata(outs[0]), sizeof(float) * 6);
    obn_tensor_destroy(x);
    obn_session_destroy(s);
}

static void reset_counters(void) { memset(&cnt, 0, sizeof cnt); }

START_TEST(descriptors_are_checked)
{
    obn_op_registry *r = NULL;
    TB_EXPECT_OK(obn_op_registry_create(&r));
    obn_custom_op op = scale_op(1);
    op.abi_version = 2u << 16;
    TB_EXPECT_ERR(obn_op_registry_add(r, &op), OBN_E_INVALID_ARGUMENT, "test.ops.Scale-1", "ABI 2.0", "implements 1.");
    op = scale_op(1);
    op.op_type = "";
    TB_EXPECT_ERR(obn_op_registry_add(r, &op), OBN_E_INVALID_ARGUMENT, "op_type is empty");
    op = scale_op(0);
    TB_EXPECT_ERR(obn_op_registry_add(r, &op), OBN_E_INVALID_ARGUMENT, "since_version must be >= 1");
    op = scale_op(1);
    op.compute = NULL;
    TB_EXPECT_ERR(obn_op_registry_add(r, &op), OBN_E_INVALID_ARGUMENT, "infer and compute are required");
    static const char *const bad_sigs[] = {"X ??B", "X... Y", "1X", "X Y-", "?"};
    for (size_t i = 0; i < sizeof bad_sigs / sizeof *bad_sigs; i++) {
        op = scale_op(1);
        op.inputs = bad_sigs[i];
        TB_EXPECT_ERR(obn_op_registry_add(r, &op), OBN_E_INVALID_ARGUMENT, "inputs", bad_sigs[i]);
    }
    op = scale_op(1);
    op.outputs = "Y ?Z...";
    TB_EXPECT_OK(obn_op_registry_add(r, &op));
    TB_EXPECT_ERR(obn_op_registry_add(r, &op), OBN_E_INVALID_ARGUMENT, "test.ops.Scale-1 is registered twice");
    ck_assert_uint_eq(obn_op_registry_count(r), 1);
    TB_EXPECT_ERR(obn_op_registry_add(NULL, &op), OBN_E_INVALID_ARGUMENT, "NULL");
    reset_counters();
    obn_op_registry_destroy(r);
    ck_assert_int_eq(cnt.destroys, 1); /* only the descriptor that was added */
}
END_TEST

START_TEST(registry_copies_the_descriptor)
{
    obn_op_registry *r = NULL;
    TB_EXPECT_OK(obn_op_registry_create(&r));
    char domain[16] = "test.ops", type[16] = "Scale", ins[8] = "X", attr0[16] = "factor";
    const char *attrs[] = {attr0, "fail", NULL};
    obn_custom_op op = scale_op(1);
    op.domain = domain;
    op.op_type = type;
    op.inputs = ins;
    op.attributes = attrs;
    TB_EXPECT_OK(obn_op_registry_add(r, &op));
    strcpy(domain, "x");
    strcpy(type, "y");
    strcpy(ins, "Q R");
    strcpy(attr0, "nothing");
    const obn_custom_op *got = NULL;
    TB_EXPECT_OK(obn_op_registry_op(r, 0, &got));
    ck_assert_str_eq(got->domain, "test.ops");
    ck_assert_str_eq(got->op_type, "Scale");
    ck_assert_str_eq(got->inputs, "X");
    ck_assert_str_eq(got->attributes[0], "factor");
    ck_assert_int_eq(got->since_version, 1);
    TB_EXPECT_ERR(obn_op_registry_op(r, 1, &got), OBN_E_INVALID_ARGUMENT, "out of range");
    /* the registered operator works with the copied strings */
    tb_model *m = scale_model(1, "x");
    obn_model *model = NULL;
    TB_EXPECT_OK(load_with(m, r, &model));
    float y[6];
    run_model(model, y);
    ck_assert_float_eq(y[5], 6.0f);
    obn_model_destroy(model);
    tb_free(m);
    obn_op_registry_destroy(r);
}
END_TEST

/* Versions 1 and 3 registered: the model's test.ops opset picks the highest
 * one not above it, exactly as for built-in operators. */
START_TEST(highest_version_not_above_the_opset)
{
    obn_op_registry *r = scale_registry();
    const int opsets[] = {1, 2, 3, 7};
    const int expected[] = {1, 1, 3, 3};
    for (int k = 0; k < 4; k++) {
        tb_model *m = scale_model(opsets[k], "x");
        obn_model *model = NULL;
        TB_EXPECT_OK(load_with(m, r, &model));
        obn_node_info info;
        TB_EXPECT_OK(obn_model_node(model, 0, &info));
        ck_assert_int_eq(info.since_version, expected[k]);
        ck_assert_str_eq(info.domain, "test.ops");
        float y[6];
        run_model(model, y);
        for (int i = 0; i < 6; i++)
            ck_assert_float_eq_tol(y[i], XV[i] * 2.0f + (expected[k] >= 3 ? 1.0f : 0.0f), 1e-6f);
        obn_model_destroy(model);
        tb_free(m);
    }
    obn_op_registry_destroy(r);
}
END_TEST

START_TEST(unknown_without_the_registry)
{
    tb_model *m = scale_model(1, "x");
    obn_model *model = NULL;
    TB_EXPECT_ERR(tb_load(m, &model), OBN_E_UNSUPPORTED, "node \"s\"", "Scale", "test.ops", "not supported");
    ck_assert_ptr_null(model);
    tb_free(m);
    /* a node whose domain the model does not import */
    obn_op_registry *r = scale_registry();
    m = tb_new(17);
    tb_input(m, "x", OBN_FLOAT, 2, XD);
    Onnx__NodeProto *n = tb_node(m, "Scale", "s", "x", "y");
    n->domain = tb_str(m, "test.ops");
    tb_output(m, "y", OBN_FLOAT, 2, XD);
    TB_EXPECT_ERR(load_with(m, r, &model), OBN_E_INVALID_MODEL, "no opset import for domain 'test.ops'");
    tb_free(m);
    obn_op_registry_destroy(r);
}
END_TEST

/* The loader's rule for missing inputs applies to custom nodes. */
START_TEST(required_inputs_are_enforced_by_the_loader)
{
    obn_op_registry *r = scale_registry();
    obn_model *model = NULL;
    tb_model *m = scale_model(1, "");
    TB_EXPECT_ERR(load_with(m, r, &model), OBN_E_INVALID_MODEL, "node \"s\" (test.ops.Scale-1)",
                  "required input 'X' (#0) is missing");
    tb_free(m);
    m = scale_model(1, "x");
    tb_proto(m)->graph->node[0]->input[0] = tb_str(m, ""); /* present but empty */
    TB_EXPECT_ERR(load_with(m, r, &model), OBN_E_INVALID_MODEL, "node \"s\" (test.ops.Scale-1)",
                  "required input 'X' (#0) is empty");
    tb_free(m);
    m = scale_model(1, "x,x");
    TB_EXPECT_ERR(load_with(m, r, &model), OBN_E_INVALID_MODEL, "has 2 inputs", "Scale-1 takes at most 1");
    tb_free(m);
    obn_op_registry_destroy(r);

    /* an optional input may be left out or empty */
    TB_EXPECT_OK(obn_op_registry_create(&r));
    obn_custom_op op = scale_op(1);
    op.inputs = "X ?B";
    TB_EXPECT_OK(obn_op_registry_add(r, &op));
    m = scale_model(1, "x,");
    TB_EXPECT_OK(load_with(m, r, &model));
    float y[6];
    run_model(model, y);
    ck_assert_float_eq(y[4], 2.0f);
    obn_model_destroy(model);
    tb_free(m);
    obn_op_registry_destroy(r);
}
END_TEST

START_TEST(attributes_are_typed_and_checked)
{
    obn_op_registry *r = scale_registry();
    obn_model *model = NULL;
    tb_model *m = scale_model(1, "x");
    tb_attr_string(m, tb_proto(m)->graph->node[0], "factor", "two");
    TB_EXPECT_ERR(load_with(m, r, &model), OBN_E_INVALID_MODEL, "node \"s\" (test.ops.Scale-1)",
                  "attribute 'factor' has type STRING, expected FLOAT");
    tb_free(m);
    m = scale_model(1, "x");
    tb_attr_float(m, tb_proto(m)->graph->node[0], "gamma", 1);
    TB_EXPECT_ERR(load_with(m, r, &model), OBN_E_UNSUPPORTED, "node \"s\"", "attribute 'gamma'");
    tb_free(m);
    m = scale_model(1, "x");
    tb_attr_int(m, tb_proto(m)->graph->node[0], "fail", FAIL_PARSE);
    TB_EXPECT_ERR(load_with(m, r, &model), OBN_E_INVALID_MODEL, "node \"s\" (test.ops.Scale-1): fail=9 refused");
    tb_free(m);
    m = scale_model(1, "x");
    tb_attr_float(m, tb_proto(m)->graph->node[0], "factor", -3);
    TB_EXPECT_OK(load_with(m, r, &model));
    float y[6];
    run_model(model, y);
    for (int i = 0; i < 6; i++) ck_assert_float_eq_tol(y[i], XV[i] * -3.0f, 1e-6f);
    obn_model_destroy(model);
    tb_free(m);
    obn_op_registry_destroy(r);
}
END_TEST

/* ---- every getter, through an op whose parse records what it read */
static struct {
    int64_t i, i_default;
    float f;
    const char *s, *s_default;
    size_t n_is, n_fs, n_missing;
    int64_t is[3];
    float fs[2];
    const int64_t *missing;
    double t0;
    int has_i, has_missing;
    obn_status wrong_list;
    char wrong_msg[512];
} seen;

static obn_status attrs_parse(const obn_node *node, void *attrs)
{
    (void)attrs;
    const int64_t *is;
    const float *fs;
    const obn_tensor *t;
    obn_status s = obn_node_attr_int(node, "i", -1, &seen.i);
    if (s == OBN_OK) s = obn_node_attr_int(node, "absent", 42, &seen.i_default);
    if (s == OBN_OK) s = obn_node_attr_float(node, "f", 0, &seen.f);
    if (s == OBN_OK) s = obn_node_attr_string(node, "s", NULL, &seen.s);
    if (s == OBN_OK) s = obn_node_attr_string(node, "absent", "dflt", &seen.s_default);
    if (s == OBN_OK) s = obn_node_attr_ints(node, "is", &seen.n_is, &is);
    if (s == OBN_OK) s = obn_node_attr_floats(node, "fs", &seen.n_fs, &fs);
    if (s == OBN_OK) s = obn_node_attr_ints(node, "absent", &seen.n_missing, &seen.missing);
    if (s == OBN_OK) s = obn_node_attr_tensor(node, "t", &t);
    if (s != OBN_OK) return s;
    memcpy(seen.is, is, seen.n_is * sizeof *is);
    memcpy(seen.fs, fs, seen.n_fs * sizeof *fs);
    seen.t0 = t ? obn_tensor_value(t, 0) : NAN;
    seen.has_i = obn_node_has_attr(node, "i");
    seen.has_missing = obn_node_has_attr(node, "absent");
    seen.wrong_list = obn_node_attr_floats(node, "is", &seen.n_missing, &fs);
    snprintf(seen.wrong_msg, sizeof seen.wrong_msg, "%s", obn_last_error());
    return OBN_OK;
}

START_TEST(attribute_getters)
{
    static const char *const names[] = {"i", "f", "s", "is", "fs", "t", NULL};
    obn_custom_op op = scale_op(1); /* the model is only loaded: parse is what counts */
    op.attributes = names;
    op.parse = attrs_parse;
    obn_op_registry *r = NULL;
    TB_EXPECT_OK(obn_op_registry_create(&r));
    TB_EXPECT_OK(obn_op_registry_add(r, &op));
    tb_model *m = scale_model(1, "x");
    Onnx__NodeProto *n = tb_proto(m)->graph->node[0];
    static const int64_t is[3] = {4, -5, 6};
    static const float fs[2] = {0.25f, -8};
    static const float tv[1] = {7.5f};
    static const int64_t one[1] = {1};
    tb_attr_int(m, n, "i", 9);
    tb_attr_float(m, n, "f", 1.5f);
    tb_attr_string(m, n, "s", "text");
    tb_attr_ints(m, n, "is", 3, is);
    tb_attr_floats(m, n, "fs", 2, fs);
    tb_attr_tensor(m, n, "t", tb_tensor_f32(m, "t", 1, one, tv));
    obn_model *model = NULL;
    TB_EXPECT_OK(load_with(m, r, &model));
    ck_assert_int_eq(seen.i, 9);
    ck_assert_int_eq(seen.i_default, 42);
    ck_assert_float_eq(seen.f, 1.5f);
    ck_assert_str_eq(seen.s, "text");
    ck_assert_str_eq(seen.s_default, "dflt");
    ck_assert_uint_eq(seen.n_is, 3);
    ck_assert_int_eq(seen.is[1], -5);
    ck_assert_uint_eq(seen.n_fs, 2);
    ck_assert_float_eq(seen.fs[1], -8.0f);
    ck_assert_uint_eq(seen.n_missing, 0);
    ck_assert_ptr_null(seen.missing);
    ck_assert_double_eq(seen.t0, 7.5);
    ck_assert_int_eq(seen.has_i, 1);
    ck_assert_int_eq(seen.has_missing, 0);
    ck_assert_int_eq(seen.wrong_list, OBN_E_INVALID_MODEL);
    ck_assert_msg(TB_HAS(seen.wrong_msg, "node \"s\"", "attribute 'is' has type INTS, expected FLOATS"), "%s",
                  seen.wrong_msg);
    obn_model_destroy(model);
    tb_free(m);
    obn_op_registry_destroy(r);
}
END_TEST

/* A model with Scale-1 whose `fail` attribute is `mode`: session creation
 * (or, for compute, the run) must fail with `code` and a message naming the
 * node and the operator. */
static void expect_stage_failure(int mode, obn_status code, const char *word)
{
    obn_op_registry *r = scale_registry();
    tb_model *m = scale_model(1, "x");
    tb_attr_int(m, tb_proto(m)->graph->node[0], "fail", mode);
    obn_model *model = NULL;
    TB_EXPECT_OK(load_with(m, r, &model));
    obn_session *s = NULL;
    obn_status st = obn_session_create(model, NULL, &s);
    if (mode == FAIL_COMPUTE) {
        TB_EXPECT_OK(st);
        obn_tensor *x = NULL;
        TB_EXPECT_OK(obn_tensor_create(OBN_FLOAT, 2, XD, XV, &x));
        const char *names[] = {"x"};
        const obn_tensor *ins[] = {x}, *outs[1];
        TB_EXPECT_ERR(obn_session_run(s, 1, names, ins, 1, NULL, outs), code, "node \"s\" (test.ops.Scale-1)", word);
        ck_assert_ptr_null(outs[0]);
        obn_tensor_destroy(x);
    } else {
        TB_EXPECT_ERR(st, code, "node \"s\" (test.ops.Scale-1)", word);
        ck_assert_ptr_null(s);
    }
    obn_session_destroy(s);
    obn_model_destroy(model);
    tb_free(m);
    obn_op_registry_destroy(r);
}

START_TEST(errors_name_the_node_and_the_operator)
{
    expect_stage_failure(FAIL_INFER_NAMED, OBN_E_UNSUPPORTED, "input 'X' refused on purpose");
    expect_stage_failure(FAIL_INFER_SILENT, OBN_E_UNSUPPORTED, "infer failed (UNSUPPORTED)");
    expect_stage_failure(FAIL_INFER_BOGUS, OBN_E_RUNTIME, "infer returned an unknown status 1000");
    expect_stage_failure(FAIL_INFER_API, OBN_E_INVALID_ARGUMENT, "obn_op_set_output: output 'y': rank 9");
    expect_stage_failure(FAIL_COMPUTE, OBN_E_RUNTIME, "compute failed on purpose");
}
END_TEST

/* prepare runs once per plan, free_state once per prepared state (at
 * re-planning and at session end), destroy once per descriptor when the
 * last reference to the registry goes. */
START_TEST(state_lifetime_and_user_data)
{
    reset_counters();
    obn_op_registry *r = scale_registry();
    tb_model *m = tb_new(17);
    tb_opset(m, "test.ops", 1);
    static const int64_t nd[2] = {-1, 3};
    tb_input(m, "x", OBN_FLOAT, 2, nd);
    tb_node(m, "Scale", "s", "x", "y")->domain = tb_str(m, "test.ops");
    tb_output(m, "y", OBN_FLOAT, 2, nd);
    obn_model *model = NULL;
    TB_EXPECT_OK(load_with(m, r, &model));
    obn_op_registry_destroy(r); /* the model keeps the registry */
    ck_assert_int_eq(cnt.destroys, 0);
    obn_session *s = NULL;
    TB_EXPECT_OK(obn_session_create(model, NULL, &s));
    ck_assert_int_eq(cnt.prepares, 0); /* symbolic N: planned at the first run */
    obn_tensor *x2 = NULL, *x1 = NULL;
    TB_EXPECT_OK(obn_tensor_create(OBN_FLOAT, 2, XD, XV, &x2));
    static const int64_t d1[2] = {1, 3};
    TB_EXPECT_OK(obn_tensor_create(OBN_FLOAT, 2, d1, XV, &x1));
    const char *names[] = {"x"};
    const obn_tensor *outs[1];
    for (int run = 0; run < 3; run++) TB_EXPECT_OK(obn_session_run(s, 1, names, (const obn_tensor *[]){x2}, 1, NULL, outs));
    ck_assert_int_eq(cnt.prepares, 1);
    ck_assert_int_eq(cnt.computes, 3);
    TB_EXPECT_OK(obn_session_run(s, 1, names, (const obn_tensor *[]){x1}, 1, NULL, outs)); /* re-plans */
    ck_assert_int_eq(cnt.prepares, 2);
    ck_assert_int_eq(cnt.frees, 1);
    ck_assert_float_eq(((const float *)obn_tensor_cdata(outs[0]))[2], 0.0f);
    obn_session_destroy(s);
    ck_assert_int_eq(cnt.frees, 2);
    obn_model_destroy(model);
    ck_assert_int_eq(cnt.destroys, 2); /* Scale-1 and Scale-3 */
    obn_tensor_destroy(x1);
    obn_tensor_destroy(x2);
    tb_free(m);
}
END_TEST

/* A custom node whose inputs are all constant is computed once, while
 * planning, as a built-in one would be. */
START_TEST(constant_inputs_are_folded_at_plan_time)
{
    reset_counters();
    obn_op_registry *r = scale_registry();
    tb_model *m = tb_new(17);
    tb_opset(m, "test.ops", 1);
    tb_init_f32(m, "c", 2, XD, XV);
    tb_node(m, "Scale", "s", "c", "y")->domain = tb_str(m, "test.ops");
    tb_output(m, "y", OBN_FLOAT, 2, XD);
    obn_model *model = NULL;
    TB_EXPECT_OK(load_with(m, r, &model));
    obn_session *s = NULL;
    TB_EXPECT_OK(obn_session_create(model, NULL, &s));
    ck_assert_int_eq(cnt.computes, 1);
    const obn_tensor *outs[1];
    for (int run = 0; run < 2; run++) TB_EXPECT_OK(obn_session_run(s, 0, NULL, NULL, 1, NULL, outs));
    ck_assert_int_eq(cnt.computes, 1);
    ck_assert_int_eq(cnt.prepares, cnt.frees); /* the folding run's state is freed right away */
    for (int i = 0; i < 6; i++) ck_assert_float_eq_tol(((const float *)obn_tensor_cdata(outs[0]))[i], 2 * XV[i], 1e-6f);
    obn_session_destroy(s);
    obn_model_destroy(model);
    tb_free(m);
    obn_op_registry_destroy(r);
}
END_TEST

/* ---- a replacement for the built-in Relu: y = x + 100 */
static obn_status plus100_infer(obn_op_ctx *ctx)
{
    const obn_tensor *x = obn_op_input(ctx, 0);
    return obn_op_set_output(ctx, 0, obn_tensor_dtype(x), obn_tensor_rank(x), obn_tensor_dims(x));
}

static obn_status plus100_compute(obn_op_ctx *ctx)
{
    const obn_tensor *x = obn_op_input(ctx, 0);
    const float *xs = obn_tensor_cdata(x);
    float *ys = obn_tensor_data(obn_op_output(ctx, 0));
    for (int64_t i = 0; i < obn_tensor_numel(x); i++) ys[i] = xs[i] + 100.0f;
    return OBN_OK;
}

static obn_op_registry *relu_override(int since_version)
{
    obn_op_registry *r = NULL;
    TB_EXPECT_OK(obn_op_registry_create(&r));
    obn_custom_op op = {.abi_version = OBN_OP_ABI_VERSION, .domain = "", .op_type = "Relu",
                        .since_version = since_version, .inputs = "X", .outputs = "Y",
                        .infer = plus100_infer, .compute = plus100_compute};
    TB_EXPECT_OK(obn_op_registry_add(r, &op));
    return r;
}

/* x[1,2,1,3] -> Conv (1x1, identity weights) -> Relu -> y: with the built-in
 * Relu the pass fuses it into the Conv; the override must run instead. */
static tb_model *conv_relu(void)
{
    static const int64_t xd[4] = {1, 2, 1, 3}, wd[4] = {2, 2, 1, 1};
    static const float w[4] = {1, 0, 0, 1};
    tb_model *m = tb_new(17);
    tb_input(m, "x", OBN_FLOAT, 4, xd);
    tb_init_f32(m, "w", 4, wd, w);
    tb_node(m, "Conv", "conv", "x,w", "c");
    tb_node(m, "Relu", "relu", "c", "y");
    tb_output(m, "y", OBN_FLOAT, 4, xd);
    return m;
}

static void run_conv_relu(obn_model *model, const obn_session_options *o, float *y)
{
    static const int64_t xd[4] = {1, 2, 1, 3};
    obn_session *s = NULL;
    obn_tensor *x = NULL;
    TB_EXPECT_OK(obn_session_create(model, o, &s));
    TB_EXPECT_OK(obn_tensor_create(OBN_FLOAT, 4, xd, XV, &x));
    const char *names[] = {"x"};
    const obn_tensor *outs[1];
    TB_EXPECT_OK(obn_session_run(s, 1, names, (const obn_tensor *[]){x}, 1, NULL, outs));
    memcpy(y, obn_tensor_cdata(outs[0]), 6 * sizeof *y);
    obn_tensor_destroy(x);
    obn_session_destroy(s);
}

START_TEST(override_a_builtin_operator_for_one_model)
{
    obn_op_registry *r = relu_override(1);
    tb_model *m = conv_relu();
    obn_model *custom = NULL, *builtin = NULL, *optimized = NULL;
    TB_EXPECT_OK(load_with(m, r, &custom));
    TB_EXPECT_OK(tb_load(m, &builtin));
    float y[6];
    for (int passes = 0; passes < 2; passes++) {
        obn_session_options o;
        obn_session_options_init(&o);
        o.enable_passes = passes;
        run_conv_relu(custom, &o, y);
        for (int i = 0; i < 6; i++) ck_assert_float_eq_tol(y[i], XV[i] + 100.0f, 1e-5f);
        run_conv_relu(builtin, &o, y);
        for (int i = 0; i < 6; i++) ck_assert_float_eq_tol(y[i], XV[i] > 0 ? XV[i] : 0.0f, 1e-6f);
    }
    /* the optimiser keeps the override as a node of its own */
    TB_EXPECT_OK(obn_model_optimize(custom, NULL, &optimized));
    obn_node_info info;
    obn_model_meta meta;
    obn_model_get_meta(optimized, &meta);
    ck_assert_uint_eq(meta.node_count, 2);
    TB_EXPECT_OK(obn_model_node(optimized, 1, &info));
    ck_assert_str_eq(info.op_type, "Relu");
    run_conv_relu(optimized, NULL, y);
    ck_assert_float_eq_tol(y[0], XV[0] + 100.0f, 1e-5f);
    obn_model_destroy(optimized);
    obn_model_destroy(custom);
    obn_model_destroy(builtin);
    obn_op_registry_destroy(r);

    /* the override replaces every version: none <= 17 is an error, not a
     * fall-back to the built-in Relu */
    r = relu_override(20);
    TB_EXPECT_ERR(load_with(m, r, &custom), OBN_E_UNSUPPORTED, "node \"relu\"",
                  "custom operator Relu of domain ai.onnx has no version for opset 17 (registered: 20)");
    obn_op_registry_destroy(r);
    tb_free(m);
}
END_TEST

START_TEST(registry_freezes_when_a_model_uses_it)
{
    obn_op_registry *r = scale_registry();
    tb_model *m = scale_model(1, "x");
    obn_model *model = NULL;
    TB_EXPECT_OK(load_with(m, r, &model));
    obn_custom_op op = scale_op(5);
    TB_EXPECT_ERR(obn_op_registry_add(r, &op), OBN_E_INVALID_ARGUMENT, "in use by a loaded model");
    TB_EXPECT_ERR(obn_plugin_load(r, "libnothing.so"), OBN_E_INVALID_ARGUMENT, "load plugins before models");
    ck_assert_uint_eq(obn_op_registry_count(r), 2);
    obn_model_destroy(model);
    tb_free(m);
    obn_op_registry_destroy(r);
}
END_TEST

/* Two registries, two implementations of test.ops.Scale, one process: each
 * model runs the one it was loaded with. */
START_TEST(registries_are_independent)
{
    obn_op_registry *a = scale_registry(), *b = NULL;
    TB_EXPECT_OK(obn_op_registry_create(&b));
    obn_custom_op op = scale_op(1);
    op.inputs = "X";
    op.infer = plus100_infer;
    op.compute = plus100_compute;
    op.prepare = NULL;
    op.free_state = NULL;
    TB_EXPECT_OK(obn_op_registry_add(b, &op));
    tb_model *m = scale_model(1, "x");
    obn_model *ma = NULL, *mb = NULL;
    TB_EXPECT_OK(load_with(m, a, &ma));
    TB_EXPECT_OK(load_with(m, b, &mb));
    float ya[6], yb[6];
    run_model(ma, ya);
    run_model(mb, yb);
    for (int i = 0; i < 6; i++) {
        ck_assert_float_eq_tol(ya[i], 2 * XV[i], 1e-6f);
        ck_assert_float_eq_tol(yb[i], XV[i] + 100, 1e-5f);
    }
    obn_model_destroy(ma);
    obn_model_destroy(mb);
    tb_free(m);
    obn_op_registry_destroy(a);
    obn_op_registry_destroy(b);
}
END_TEST

START_TEST(null_arguments)
{
    TB_EXPECT_ERR(obn_op_registry_create(NULL), OBN_E_INVALID_ARGUMENT, "NULL");
    obn_op_registry_destroy(NULL);
    ck_assert_uint_eq(obn_op_registry_count(NULL), 0);
    const obn_custom_op *op;
    TB_EXPECT_ERR(obn_op_registry_op(NULL, 0, &op), OBN_E_INVALID_ARGUMENT, "NULL");
    TB_EXPECT_ERR(obn_plugin_load(NULL, "x.so"), OBN_E_INVALID_ARGUMENT, "NULL");
    obn_load_options_init(NULL);
    obn_model *model = NULL;
    TB_EXPECT_ERR(obn_model_load_with("/nonexistent/m.onnx", NULL, &model), OBN_E_IO, "m.onnx");
    ck_assert_ptr_null(obn_op_node(NULL));
    ck_assert_ptr_null(obn_op_input(NULL, 0));
    ck_assert_str_eq(obn_node_name(NULL), "");
}
END_TEST

/* obn_load_options carries limits next to the registry: the same model is
 * refused under max_rank 1 (x is rank 2) and loads with the registry alone. */
START_TEST(load_options_apply_limits)
{
    obn_op_registry *r = scale_registry();
    tb_model *m = scale_model(3, "x");
    size_t len;
    const uint8_t *bytes = tb_pack(m, &len);
    obn_limits l;
    obn_limits_init(&l);
    l.max_rank = 1;
    obn_load_options o;
    obn_load_options_init(&o);
    o.registry = r;
    o.limits = &l;
    obn_model *model = NULL;
    TB_EXPECT_ERR(obn_model_load_buffer_with(bytes, len, NULL, &o, &model), OBN_E_UNSUPPORTED, "max_rank");
    ck_assert_ptr_null(model);
    o.limits = NULL;
    TB_EXPECT_OK(obn_model_load_buffer_with(bytes, len, NULL, &o, &model));
    obn_model_destroy(model);
    obn_op_registry_destroy(r);
    tb_free(m);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("custom_op");
    TCase *t = tcase_create("registry");
    tcase_add_test(t, descriptors_are_checked);
    tcase_add_test(t, registry_copies_the_descriptor);
    tcase_add_test(t, registry_freezes_when_a_model_uses_it);
    tcase_add_test(t, registries_are_independent);
    tcase_add_test(t, null_arguments);
    suite_add_tcase(s, t);

    t = tcase_create("loading");
    tcase_add_test(t, highest_version_not_above_the_opset);
    tcase_add_test(t, unknown_without_the_registry);
    tcase_add_test(t, required_inputs_are_enforced_by_the_loader);
    tcase_add_test(t, attributes_are_typed_and_checked);
    tcase_add_test(t, attribute_getters);
    tcase_add_test(t, override_a_builtin_operator_for_one_model);
    tcase_add_test(t, load_options_apply_limits);
    suite_add_tcase(s, t);

    t = tcase_create("running");
    tcase_add_test(t, errors_name_the_node_and_the_operator);
    tcase_add_test(t, state_lifetime_and_user_data);
    tcase_add_test(t, constant_inputs_are_folded_at_plan_time);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
