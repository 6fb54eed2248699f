/* Shape-manipulating ops: Reshape (0 / -1 / allowzero), Flatten, Squeeze and
 * Unsqueeze in attribute and input forms, Shape (start/end), Size, Constant
 * (every value_* form), ConstantOfShape; and the planner contract: the
 * Shape -> Gather -> Unsqueeze -> Concat -> Reshape subgraph of exported
 * flatten/view is computed at plan time when the input shape is known, and
 * a shape known only at run time defers to per-run planning. */
#include "model.h"
#include "op_testing.h"
#include "plan.h"

/* Runs a one-input model on x and returns the output (caller destroys). */
static obn_tensor *run1(tb_model *m, obn_tensor *x)
{
    obn_tensor *y;
    OT_RUN_OK(m, 1, &x, 1, &y);
    return y;
}

static tb_model *reshape_model(int version, const int64_t *xd, int xr, const int64_t *shape, int n, int allowzero)
{
    tb_model *m = tb_new(version);
    tb_input(m, "x", OBN_FLOAT, xr, xd);
    Onnx__NodeProto *node;
    if (version < 5) {
        node = tb_node(m, "Reshape", "rs", "x", "y");
        tb_attr_ints(m, node, "shape", (size_t)n, shape);
    } else {
        int64_t sd[1] = {n};
        tb_init_i64(m, "shape", 1, sd, shape);
        node = tb_node(m, "Reshape", "rs", "x,shape", "y");
    }
    if (allowzero >= 0) tb_attr_int(m, node, "allowzero", allowzero);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    return m;
}

START_TEST(reshape_forms)
{
    const int64_t xd[3] = {2, 3, 4};
    float x[24];
    for (int i = 0; i < 24; i++) x[i] = (float)i;
    double want[24];
    for (int i = 0; i < 24; i++) want[i] = i;
    obn_tensor *in = ot_tensor(OBN_FLOAT, 3, xd, x);
    static const struct {
        int n;
        int64_t shape[4], out[4];
        int out_rank;
    } cases[] = {{2, {4, 6}, {4, 6}, 2},       {2, {-1, 8}, {3, 8}, 2},      {3, {0, -1, 2}, {2, 6, 2}, 3},
                 {4, {0, 0, 2, 2}, {2, 3, 2, 2}, 4}, {1, {-1}, {24}, 1}, {3, {2, 0, -1}, {2, 3, 4}, 3}};
    const int versions[4] = {1, 5, 13, 14};
    for (int v = 0; v < 4; v++)
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            tb_model *m = reshape_model(versions[v], xd, 3, cases[c].shape, cases[c].n, -1);
            obn_tensor *y = run1(m, in);
            ot_expect_shape(y, cases[c].out_rank, cases[c].out);
            ot_expect_f32(y, want, 24, 0);
            obn_tensor_destroy(y);
            tb_free(m);
        }
    obn_tensor_destroy(in);
}
END_TEST

START_TEST(reshape_allowzero)
{
    /* allowzero=1: a 0 in the shape is a real 0 */
    const int64_t xd[2] = {0, 3}, shape[2] = {3, 0}, out[2] = {3, 0};
    tb_model *m = reshape_model(14, xd, 2, shape, 2, 1);
    obn_tensor *in = ot_tensor(OBN_FLOAT, 2, xd, NULL), *y = run1(m, in);
    ot_expect_shape(y, 2, out);
    obn_tensor_destroy(y);
    tb_free(m);
    /* allowzero=0 copies the input's dim: [0,3] -> [3, 0->3] = 9 elements of 0: error */
    m = reshape_model(14, xd, 2, shape, 2, 0);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "cannot reshape", "[0,3]", "[3,3]");
    tb_free(m);
    /* 0 and -1 together with allowzero=1 */
    const int64_t bad[2] = {0, -1};
    m = reshape_model(14, xd, 2, bad, 2, 1);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "both a 0 and a -1");
    tb_free(m);
    m = reshape_model(13, xd, 2, shape, 2, 1);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'allowzero'", "Reshape-13");
    tb_free(m);
    obn_tensor_destroy(in);
}
END_TEST

START_TEST(reshape_errors)
{
    const int64_t xd[2] = {4, 6};
    const int64_t two_infer[2] = {-1, -1}, wrong[2] = {5, 5}, frac[2] = {-1, 5}, neg[2] = {-2, 12};
    const int64_t huge[3] = {INT64_MAX / 2, 4, 0};
    struct {
        const int64_t *s;
        int n;
        const char *frag;
    } cases[] = {{two_infer, 2, "more than one -1"}, {wrong, 2, "(25 elements)"}, {frac, 2, "not a whole number"},
                 {neg, 2, "invalid dim -2"}, {huge, 3, "overflows"}};
    for (int c = 0; c < 5; c++) {
        tb_model *m = reshape_model(13, xd, 2, cases[c].s, cases[c].n, -1);
        if (c == 4) { /* 0 with allowzero makes the product small again only after overflow */
            tb_free(m);
            m = reshape_model(14, xd, 2, cases[c].s, cases[c].n, 1);
        }
        OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"rs\"", cases[c].frag);
        tb_free(m);
    }
    /* the shape input must be int64 */
    tb_model *m = tb_new(13);
    const int32_t s32[2] = {6, 4};
    const int64_t two[1] = {2};
    tb_input(m, "x", OBN_FLOAT, 2, xd);
    tb_add_init(m, tb_tensor(m, "shape", OBN_INT32, 1, two, s32, 8));
    tb_node(m, "Reshape", "rs", "x,shape", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'shape'", "int32");
    tb_free(m);
}
END_TEST

START_TEST(flatten_axes)
{
    const int64_t xd[4] = {2, 3, 4, 5};
    obn_tensor *in = ot_tensor(OBN_FLOAT, 4, xd, NULL);
    for (int axis = -4; axis <= 4; axis++) {
        tb_model *m = tb_new(13);
        tb_input(m, "x", OBN_FLOAT, 4, xd);
        tb_attr_int(m, tb_node(m, "Flatten", "fl", "x", "y"), "axis", axis);
        tb_output(m, "y", OBN_FLOAT, -1, NULL);
        obn_tensor *y = run1(m, in);
        int a = axis < 0 ? axis + 4 : axis;
        int64_t out[2] = {ot_numel(a, xd), ot_numel(4 - a, xd + a)};
        ot_expect_shape(y, 2, out);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    /* default axis 1; negative axes need version 11 */
    tb_model *m = tb_new(9);
    tb_input(m, "x", OBN_FLOAT, 4, xd);
    tb_attr_int(m, tb_node(m, "Flatten", "fl", "x", "y"), "axis", -1);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'axis'", "Flatten-9");
    tb_free(m);
    m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 4, xd);
    tb_attr_int(m, tb_node(m, "Flatten", "fl", "x", "y"), "axis", 5);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'axis' is 5");
    tb_free(m);
    obn_tensor_destroy(in);
}
END_TEST

/* Squeeze/Unsqueeze with axes as attribute (v < 13) or initializer input. */
static tb_model *axes_model(const char *op, int version, const int64_t *xd, int xr, const int64_t *axes, int n)
{
    tb_model *m = tb_new(version);
    tb_input(m, "x", OBN_FLOAT, xr, xd);
    if (n >= 0 && version >= 13) {
        int64_t ad[1] = {n};
        tb_init_i64(m, "axes", 1, ad, axes);
        tb_node(m, op, "sq", "x,axes", "y");
    } else {
        Onnx__NodeProto *node = tb_node(m, op, "sq", "x", "y");
        if (n >= 0) tb_attr_ints(m, node, "axes", (size_t)n, axes);
    }
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    return m;
}

START_TEST(squeeze_unsqueeze)
{
    const int64_t xd[4] = {1, 3, 1, 2};
    obn_tensor *in = ot_tensor(OBN_FLOAT, 4, xd, NULL);
    const int versions[3] = {1, 11, 13};
    for (int v = 0; v < 3; v++) {
        const int64_t a0[1] = {0}, a_neg[2] = {-2, 0}, out_all[2] = {3, 2}, out0[3] = {3, 1, 2};
        tb_model *m = axes_model("Squeeze", versions[v], xd, 4, a0, 1);
        obn_tensor *y = run1(m, in);
        ot_expect_shape(y, 3, out0);
        obn_tensor_destroy(y);
        tb_free(m);
        m = axes_model("Squeeze", versions[v], xd, 4, NULL, -1); /* all size-1 dims */
        y = run1(m, in);
        ot_expect_shape(y, 2, out_all);
        obn_tensor_destroy(y);
        tb_free(m);
        if (versions[v] >= 11) {
            m = axes_model("Squeeze", versions[v], xd, 4, a_neg, 2);
            y = run1(m, in);
            ot_expect_shape(y, 2, out_all);
            obn_tensor_destroy(y);
            tb_free(m);
        }
        const int64_t ua[2] = {0, 5}, uout[6] = {1, 1, 3, 1, 2, 1}, un[2] = {-1, 1}, unout[6] = {1, 1, 3, 1, 2, 1};
        m = axes_model("Unsqueeze", versions[v], xd, 4, ua, 2);
        y = run1(m, in);
        ot_expect_shape(y, 6, uout);
        obn_tensor_destroy(y);
        tb_free(m);
        if (versions[v] >= 11) {
            m = axes_model("Unsqueeze", versions[v], xd, 4, un, 2);
            y = run1(m, in);
            ot_expect_shape(y, 6, unout);
            obn_tensor_destroy(y);
            tb_free(m);
        }
    }
    obn_tensor_destroy(in);
    /* errors: squeezing a dim that is not 1; repeated / out-of-range axes;
     * Unsqueeze without axes; the attribute in version 13 */
    const int64_t a1[1] = {1}, rep[2] = {0, 0}, far[1] = {6};
    tb_model *m = axes_model("Squeeze", 13, xd, 4, a1, 1);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"sq\"", "axis 1", "size is 3");
    tb_free(m);
    m = axes_model("Unsqueeze", 13, xd, 4, rep, 2);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "given twice");
    tb_free(m);
    m = axes_model("Unsqueeze", 11, xd, 4, far, 1);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "axis 6 is out of range for rank 5");
    tb_free(m);
    m = axes_model("Unsqueeze", 11, xd, 4, NULL, -1);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'axes' is required");
    tb_free(m);
    m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 4, xd);
    tb_attr_ints(m, tb_node(m, "Squeeze", "sq", "x", "y"), "axes", 1, a1);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'axes' is not part of Squeeze-13");
    tb_free(m);
}
END_TEST

START_TEST(shape_and_size)
{
    const int64_t xd[4] = {2, 3, 4, 5};
    obn_tensor *in = ot_tensor(OBN_FLOAT, 4, xd, NULL);
    static const struct {
        int has_start, has_end;
        int64_t start, end, want[4];
        int n;
    } cases[] = {{0, 0, 0, 0, {2, 3, 4, 5}, 4}, {1, 0, 1, 0, {3, 4, 5}, 3}, {0, 1, 0, -1, {2, 3, 4}, 3},
                 {1, 1, -3, -1, {3, 4}, 2},     {1, 1, 3, 1, {0}, 0},      {1, 1, -10, 10, {2, 3, 4, 5}, 4}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        tb_model *m = tb_new(15);
        tb_input(m, "x", OBN_FLOAT, 4, xd);
        Onnx__NodeProto *n = tb_node(m, "Shape", "sh", "x", "y");
        if (cases[c].has_start) tb_attr_int(m, n, "start", cases[c].start);
        if (cases[c].has_end) tb_attr_int(m, n, "end", cases[c].end);
        tb_output(m, "y", OBN_INT64, -1, NULL);
        obn_tensor *y = run1(m, in);
        int64_t n1[1] = {cases[c].n};
        ot_expect_shape(y, 1, n1);
        ot_expect_i64(y, cases[c].want, cases[c].n);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    tb_model *m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 4, xd);
    tb_node(m, "Size", "sz", "x", "y");
    tb_output(m, "y", OBN_INT64, 0, NULL);
    obn_tensor *y = run1(m, in);
    const int64_t n120[1] = {120};
    ot_expect_shape(y, 0, NULL);
    ot_expect_i64(y, n120, 1);
    obn_tensor_destroy(y);
    tb_free(m);
    m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 4, xd);
    tb_attr_int(m, tb_node(m, "Shape", "sh", "x", "y"), "start", 1);
    tb_output(m, "y", OBN_INT64, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'start'", "Shape-13");
    tb_free(m);
    obn_tensor_destroy(in);
}
END_TEST

START_TEST(constant_forms)
{
    const float fv[3] = {1.5f, -2, 3};
    const int64_t iv[2] = {7, -9}, d3[1] = {3}, d2[1] = {2};
    for (int form = 0; form < 5; form++) {
        tb_model *m = tb_new(13);
        Onnx__NodeProto *n = tb_node(m, "Constant", "c", "", "y");
        switch (form) {
        case 0: tb_attr_tensor(m, n, "value", tb_tensor_f32(m, "v", 1, d3, fv)); break;
        case 1: tb_attr_float(m, n, "value_float", 2.5f); break;
        case 2: tb_attr_floats(m, n, "value_floats", 3, fv); break;
        case 3: tb_attr_int(m, n, "value_int", -4); break;
        default: tb_attr_ints(m, n, "value_ints", 2, iv); break;
        }
        tb_output(m, "y", form >= 3 ? OBN_INT64 : OBN_FLOAT, -1, NULL);
        obn_tensor *y;
        OT_RUN_OK(m, 0, NULL, 1, &y);
        const double f3[3] = {1.5, -2, 3}, f1[1] = {2.5};
        const int64_t i1[1] = {-4};
        if (form == 0 || form == 2) {
            ot_expect_shape(y, 1, d3);
            ot_expect_f32(y, f3, 3, 0);
        } else if (form == 1) {
            ot_expect_shape(y, 0, NULL);
            ot_expect_f32(y, f1, 1, 0);
        } else if (form == 3) {
            ot_expect_shape(y, 0, NULL);
            ot_expect_i64(y, i1, 1);
        } else {
            ot_expect_shape(y, 1, d2);
            ot_expect_i64(y, iv, 2);
        }
        obn_tensor_destroy(y);
        tb_free(m);
    }
    /* two values, none, value_float and value_string before 12 */
    tb_model *m = tb_new(13);
    Onnx__NodeProto *n = tb_node(m, "Constant", "c", "", "y");
    tb_attr_float(m, n, "value_float", 1);
    tb_attr_int(m, n, "value_int", 1);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "exactly one value attribute", "has 2");
    tb_free(m);
    m = tb_new(11);
    tb_attr_float(m, tb_node(m, "Constant", "c", "", "y"), "value_float", 1);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'value_float'", "Constant-11");
    tb_free(m);
    m = tb_new(11); /* string constants: tests/ops/test_strings.c */
    tb_attr_string(m, tb_node(m, "Constant", "c", "", "y"), "value_string", "hi");
    tb_output(m, "y", OBN_STRING, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'value_string'", "Constant-11");
    tb_free(m);
}
END_TEST

START_TEST(constant_of_shape)
{
    const int64_t shape[3] = {2, 1, 3}, sd[1] = {3};
    for (int with_value = 0; with_value < 2; with_value++) {
        tb_model *m = tb_new(9);
        tb_init_i64(m, "shape", 1, sd, shape);
        Onnx__NodeProto *n = tb_node(m, "ConstantOfShape", "cos", "shape", "y");
        int64_t seven = 7;
        const int64_t one[1] = {1};
        if (with_value) tb_attr_tensor(m, n, "value", tb_tensor(m, "v", OBN_INT64, 1, one, &seven, 8));
        tb_output(m, "y", with_value ? OBN_INT64 : OBN_FLOAT, -1, NULL);
        obn_tensor *y;
        OT_RUN_OK(m, 0, NULL, 1, &y);
        ot_expect_shape(y, 3, shape);
        if (with_value) {
            const int64_t w[6] = {7, 7, 7, 7, 7, 7};
            ot_expect_i64(y, w, 6);
        } else {
            const double w[6] = {0, 0, 0, 0, 0, 0};
            ot_expect_f32(y, w, 6, 0);
        }
        obn_tensor_destroy(y);
        tb_free(m);
    }
    /* negative dim; a value of two elements */
    const int64_t neg[2] = {2, -1}, nd[1] = {2};
    tb_model *m = tb_new(9);
    tb_init_i64(m, "shape", 1, nd, neg);
    tb_node(m, "ConstantOfShape", "cos", "shape", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "negative dimension -1");
    tb_free(m);
    m = tb_new(9);
    const float two[2] = {1, 2};
    tb_init_i64(m, "shape", 1, sd, shape);
    tb_attr_tensor(m, tb_node(m, "ConstantOfShape", "cos", "shape", "y"), "value", tb_tensor_f32(m, "v", 1, nd, two));
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'value' has 2 elements");
    tb_free(m);
    /* a bfloat16 value from version 20 (0x3FC0 = 1.5), refused by 9 */
    const uint16_t bf = 0x3FC0, bw[6] = {0x3FC0, 0x3FC0, 0x3FC0, 0x3FC0, 0x3FC0, 0x3FC0};
    const int64_t one[1] = {1};
    for (int version = 9; version <= 20; version += 11) {
        m = tb_new(version);
        tb_init_i64(m, "shape", 1, sd, shape);
        tb_attr_tensor(m, tb_node(m, "ConstantOfShape", "cos", "shape", "y"), "value",
                       tb_tensor(m, "v", OBN_BFLOAT16, 1, one, &bf, 2));
        tb_output(m, "y", OBN_BFLOAT16, -1, NULL);
        if (version == 9) {
            OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "bfloat16", "ConstantOfShape-9");
        } else {
            obn_tensor *y;
            OT_RUN_OK(m, 0, NULL, 1, &y);
            ot_expect_bytes(y, OBN_BFLOAT16, bw, 6);
            obn_tensor_destroy(y);
        }
        tb_free(m);
    }
}
END_TEST

/* The flatten subgraph torch exports for x.view(x.size(0), -1):
 * Shape(x) -> Gather(0) -> Unsqueeze(0) -> Concat(., [-1]) -> Reshape(x, .). */
static tb_model *view_model(int opset, int batch_symbolic)
{
    tb_model *m = tb_new(opset);
    const int64_t xd[4] = {batch_symbolic ? -1 : 2, 3, 4, 5}, one[1] = {1}, zero_d[1] = {0}, minus1 = -1, zero = 0;
    tb_input(m, "x", OBN_FLOAT, 4, xd);
    tb_add_init(m, tb_tensor(m, "idx0", OBN_INT64, 0, zero_d, &zero, 8));
    tb_init_i64(m, "minus1", 1, one, &minus1);
    tb_node(m, "Shape", "shape", "x", "s");
    tb_node(m, "Gather", "gather", "s,idx0", "n");
    if (opset >= 13) {
        tb_init_i64(m, "axes0", 1, one, zero_d);
        tb_node(m, "Unsqueeze", "unsq", "n,axes0", "n1");
    } else {
        tb_attr_ints(m, tb_node(m, "Unsqueeze", "unsq", "n", "n1"), "axes", 1, zero_d);
    }
    tb_attr_int(m, tb_node(m, "Concat", "cat", "n1,minus1", "shape2"), "axis", 0);
    tb_node(m, "Reshape", "view", "x,shape2", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    return m;
}

/* Builds a static plan for the model's declared input shapes; returns the
 * planner's status and, on success, how many nodes became run-time steps. */
static obn_status static_plan(tb_model *tm, int *steps, int *folded)
{
    obn_model *model = NULL;
    ck_assert_int_eq(tb_load(tm, &model), OBN_OK);
    obn_graph *g = model->graph;
    void **attrs = calloc((size_t)g->n_nodes, sizeof *attrs);
    for (int i = 0; i < g->n_nodes; i++) {
        const obn_op *op = g->nodes[i].op;
        attrs[i] = calloc(1, op->attrs_size ? op->attrs_size : 1);
        ck_assert_int_eq(op->parse(&g->nodes[i], g->nodes[i].since_version, attrs[i]), OBN_OK);
    }
    obn_tensor **ins = calloc((size_t)g->n_inputs + 1, sizeof *ins);
    for (int k = 0; k < g->n_inputs; k++) {
        const obn_value *v = &g->values[g->inputs[k]];
        ins[k] = ot_tensor(v->dtype, v->rank, v->dims, NULL);
    }
    obn_plan p;
    obn_status st = obn_plan_build(&p, g, attrs, (const obn_tensor *const *)ins, false, &(obn_plan_env){1, NULL, NULL, NULL});
    if (st == OBN_OK) {
        *steps = p.n_steps;
        *folded = p.folded;
        obn_plan_free(&p);
    }
    for (int k = 0; k < g->n_inputs; k++) obn_tensor_destroy(ins[k]);
    for (int i = 0; i < g->n_nodes; i++) free(attrs[i]);
    free(ins);
    free(attrs);
    obn_model_destroy(model);
    return st;
}

START_TEST(flatten_subgraph_folds_at_plan_time)
{
    int opset = _i ? 13 : 9;
    tb_model *m = view_model(opset, 0);
    int steps = -1, folded = -1;
    obn_status st = static_plan(m, &steps, &folded);
    ck_assert_msg(st == OBN_OK, "plan: %s (%s)", obn_status_name(st), obn_last_error());
    ck_assert_int_eq(steps, 1); /* only the Reshape runs per inference */
    ck_assert_int_eq(folded, 4);
    const int64_t xd[4] = {2, 3, 4, 5}, out[2] = {2, 60};
    float x[120];
    double want[120];
    for (int i = 0; i < 120; i++) want[i] = x[i] = (float)i * 0.5f;
    obn_tensor *in = ot_tensor(OBN_FLOAT, 4, xd, x);
    obn_tensor *y = run1(m, in);
    ot_expect_shape(y, 2, out);
    ot_expect_f32(y, want, 120, 0);
    obn_tensor_destroy(y);
    obn_tensor_destroy(in);
    tb_free(m);
    /* a symbolic batch: planned when run, still correct for every batch */
    m = view_model(opset, 1);
    for (int64_t b = 1; b <= 3; b++) {
        const int64_t bd[4] = {b, 3, 4, 5}, bo[2] = {b, 60};
        in = ot_tensor(OBN_FLOAT, 4, bd, NULL);
        y = run1(m, in);
        ot_expect_shape(y, 2, bo);
        obn_tensor_destroy(y);
        obn_tensor_destroy(in);
    }
    tb_free(m);
}
END_TEST

START_TEST(runtime_shape_defers)
{
    /* the target shape is a graph input: no static plan, eager runs work */
    tb_model *m = tb_new(13);
    const int64_t xd[2] = {4, 6}, two[1] = {2};
    tb_input(m, "x", OBN_FLOAT, 2, xd);
    tb_input(m, "shape", OBN_INT64, 1, two);
    tb_node(m, "Reshape", "rs", "x,shape", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    int steps, folded;
    ck_assert_int_eq(static_plan(m, &steps, &folded), OBN_DEFER);
    const int64_t shapes[2][2] = {{3, 8}, {-1, 2}}, outs[2][2] = {{3, 8}, {12, 2}};
    for (int k = 0; k < 2; k++) {
        obn_tensor *ins[2] = {ot_tensor(OBN_FLOAT, 2, xd, NULL), ot_tensor(OBN_INT64, 1, two, shapes[k])}, *y;
        OT_RUN_OK(m, 2, ins, 1, &y);
        ot_expect_shape(y, 2, outs[k]);
        obn_tensor_destroy(y);
        ot_destroy(2, ins);
    }
    /* a bad run-time shape is reported at run time */
    const int64_t bad[2] = {5, 5};
    obn_tensor *ins[2] = {ot_tensor(OBN_FLOAT, 2, xd, NULL), ot_tensor(OBN_INT64, 1, two, bad)}, *y;
    ck_assert_int_eq(ot_run(m, 2, ins, 1, &y), OBN_E_INVALID_MODEL);
    ot_expect_message("cannot reshape", "[5,5]", (const char *)NULL);
    ot_destroy(2, ins);
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("shape_ops");
    TCase *t = tcase_create("shape_ops");
    tcase_add_test(t, reshape_forms);
    tcase_add_test(t, reshape_allowzero);
    tcase_add_test(t, reshape_errors);
    tcase_add_test(t, flatten_axes);
    tcase_add_test(t, squeeze_unsqueeze);
    tcase_add_test(t, shape_and_size);
    tcase_add_test(t, constant_forms);
    tcase_add_test(t, constant_of_shape);
    tcase_add_loop_test(t, flatten_subgraph_folds_at_plan_time, 0, 2);
    tcase_add_test(t, runtime_shape_defers);
    suite_add_tcase(s, t);
    return ot_main(s);
}
