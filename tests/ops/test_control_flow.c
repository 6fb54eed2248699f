/* Control flow: If (and, below, Loop and Scan) with subgraphs that read
 * values of the enclosing graphs. Expected values are worked out by hand in
 * the comments; they are small integers in float, so compared exactly
 * (tolerance 0). Malformed subgraphs must be refused at load with a message
 * naming the node and the attribute. */
#include <stdio.h>

#include "op_testing.h"
#include "tb_check.h"

static const int64_t D3[1] = {3};

/* One session, several runs: the plan of the first run is reused when the
 * shapes stay the same, and must still pick the branch by the data. */
typedef struct {
    obn_model *model;
    obn_session *sess;
} cf_session;

static void cf_open(tb_model *m, cf_session *cs)
{
    TB_EXPECT_OK(tb_load(m, &cs->model));
    obn_session_options o;
    obn_session_options_init(&o);
    o.threads = 1;
    TB_EXPECT_OK(obn_session_create(cs->model, &o, &cs->sess));
}

static void cf_close(cf_session *cs)
{
    obn_session_destroy(cs->sess);
    obn_model_destroy(cs->model);
}

/* Runs with inputs in model order; outputs borrowed from the session. */
static obn_status cf_run(cf_session *cs, int n_in, obn_tensor *const *ins, int n_out, const obn_tensor **outs)
{
    const char *names[8];
    for (int i = 0; i < n_in; i++) {
        obn_value_info vi;
        obn_model_input(cs->model, (size_t)i, &vi);
        names[i] = vi.name;
    }
    return obn_session_run(cs->sess, (size_t)n_in, names, (const obn_tensor *const *)ins, (size_t)n_out, NULL, outs);
}

static obn_tensor *bool_scalar(int v)
{
    uint8_t b = (uint8_t)v;
    return ot_tensor(OBN_BOOL, 0, NULL, &b);
}

/* then: x + [10, 20, 30] (an initializer of the branch); else: -x. Both
 * read x from the main graph. */
static tb_model *if_add_or_neg(tb_model **then_b, tb_model **else_b)
{
    tb_model *m = tb_new(16);
    tb_input(m, "cond", OBN_BOOL, 0, NULL);
    tb_input(m, "x", OBN_FLOAT, 1, D3);
    *then_b = tb_new(0);
    static const float c[3] = {10, 20, 30};
    tb_init_f32(*then_b, "c", 1, D3, c);
    tb_node(*then_b, "Add", "add", "x,c", "t");
    tb_output(*then_b, "t", OBN_FLOAT, 1, D3);
    *else_b = tb_new(0);
    tb_node(*else_b, "Neg", "neg", "x", "e");
    tb_output(*else_b, "e", OBN_FLOAT, 1, D3);
    Onnx__NodeProto *n = tb_node(m, "If", "if", "cond", "y");
    tb_attr_graph(m, n, "then_branch", *then_b);
    tb_attr_graph(m, n, "else_branch", *else_b);
    tb_output(m, "y", OBN_FLOAT, 1, D3);
    return m;
}

START_TEST(if_picks_the_branch)
{
    tb_model *tb, *eb, *m = if_add_or_neg(&tb, &eb);
    cf_session cs;
    cf_open(m, &cs);
    static const float xv[3] = {1, 2, 3};
    obn_tensor *ins[2] = {bool_scalar(1), ot_tensor(OBN_FLOAT, 1, D3, xv)};
    const obn_tensor *y;
    TB_EXPECT_OK(cf_run(&cs, 2, ins, 1, &y));
    static const double want_then[3] = {11, 22, 33};
    ot_expect_f32(y, want_then, 3, 0);
    obn_tensor_destroy(ins[0]);
    ins[0] = bool_scalar(0);
    TB_EXPECT_OK(cf_run(&cs, 2, ins, 1, &y)); /* same shapes: same plan */
    static const double want_else[3] = {-1, -2, -3};
    ot_expect_f32(y, want_else, 3, 0);
    ot_destroy(2, ins);
    cf_close(&cs);
    tb_free(m);
    tb_free(tb);
    tb_free(eb);
}
END_TEST

/* Branches of different shapes: then gives x itself (an outer value as the
 * branch's output), else Concat(x, x). The output shape follows cond. */
START_TEST(if_branch_shapes_follow_cond)
{
    tb_model *m = tb_new(13);
    tb_input(m, "cond", OBN_BOOL, 1, (const int64_t[]){1});
    tb_input(m, "x", OBN_FLOAT, 1, D3);
    tb_model *tb = tb_new(0);
    tb_output(tb, "x", OBN_FLOAT, 1, D3);
    tb_model *eb = tb_new(0);
    Onnx__NodeProto *c = tb_node(eb, "Concat", "cat", "x,x", "xx");
    tb_attr_int(eb, c, "axis", 0);
    tb_output(eb, "xx", OBN_FLOAT, 1, (const int64_t[]){6});
    Onnx__NodeProto *n = tb_node(m, "If", "if", "cond", "y");
    tb_attr_graph(m, n, "then_branch", tb);
    tb_attr_graph(m, n, "else_branch", eb);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    cf_session cs;
    cf_open(m, &cs);
    static const float xv[3] = {4, 5, 6};
    uint8_t one = 1, zero = 0;
    obn_tensor *ins[2] = {ot_tensor(OBN_BOOL, 1, (const int64_t[]){1}, &zero), ot_tensor(OBN_FLOAT, 1, D3, xv)};
    const obn_tensor *y;
    TB_EXPECT_OK(cf_run(&cs, 2, ins, 1, &y));
    static const double want_else[6] = {4, 5, 6, 4, 5, 6};
    ot_expect_f32(y, want_else, 6, 0);
    obn_tensor_destroy(ins[0]);
    ins[0] = ot_tensor(OBN_BOOL, 1, (const int64_t[]){1}, &one);
    TB_EXPECT_OK(cf_run(&cs, 2, ins, 1, &y));
    static const double want_then[3] = {4, 5, 6};
    ot_expect_f32(y, want_then, 3, 0);
    ck_assert_ptr_ne(obn_tensor_cdata(y), obn_tensor_cdata(ins[1])); /* the output is the session's copy */
    ot_destroy(2, ins);
    cf_close(&cs);
    tb_free(m);
    tb_free(tb);
    tb_free(eb);
}
END_TEST

/* An If in an If: the inner branches read x and z of the main graph two
 * levels up and w of the outer branch, which shadows nothing. Main:
 * y = c1 ? (c2 ? x*z + w : x-z + w) : z, with w = [100, 100, 100] an
 * initializer of the outer then-branch. */
START_TEST(if_nested_reads_outer_scopes)
{
    tb_model *m = tb_new(16);
    tb_input(m, "c1", OBN_BOOL, 0, NULL);
    tb_input(m, "c2", OBN_BOOL, 0, NULL);
    tb_input(m, "x", OBN_FLOAT, 1, D3);
    tb_input(m, "z", OBN_FLOAT, 1, D3);
    tb_model *inner_t = tb_new(0), *inner_e = tb_new(0), *outer_t = tb_new(0), *outer_e = tb_new(0);
    tb_node(inner_t, "Mul", "mul", "x,z", "p");
    tb_node(inner_t, "Add", "addw", "p,w", "it");
    tb_output(inner_t, "it", OBN_FLOAT, 1, D3);
    tb_node(inner_e, "Sub", "sub", "x,z", "q");
    tb_node(inner_e, "Add", "addw", "q,w", "ie");
    tb_output(inner_e, "ie", OBN_FLOAT, 1, D3);
    static const float w[3] = {100, 100, 100};
    tb_init_f32(outer_t, "w", 1, D3, w);
    Onnx__NodeProto *in = tb_node(outer_t, "If", "inner", "c2", "ot");
    tb_attr_graph(outer_t, in, "then_branch", inner_t);
    tb_attr_graph(outer_t, in, "else_branch", inner_e);
    tb_output(outer_t, "ot", OBN_FLOAT, 1, D3);
    tb_node(outer_e, "Identity", "id", "z", "oe");
    tb_output(outer_e, "oe", OBN_FLOAT, 1, D3);
    Onnx__NodeProto *on = tb_node(m, "If", "outer", "c1", "y");
    tb_attr_graph(m, on, "then_branch", outer_t);
    tb_attr_graph(m, on, "else_branch", outer_e);
    tb_output(m, "y", OBN_FLOAT, 1, D3);
    cf_session cs;
    cf_open(m, &cs);
    static const float xv[3] = {1, 2, 3}, zv[3] = {4, 5, 6};
    /* c1 c2 -> x*z+w = {104, 110, 118}; c1 !c2 -> x-z+w = {97, 97, 97}; !c1 -> z */
    static const double want[3][3] = {{104, 110, 118}, {97, 97, 97}, {4, 5, 6}};
    static const int conds[3][2] = {{1, 1}, {1, 0}, {0, 1}};
    for (int r = 0; r < 3; r++) {
        obn_tensor *ins[4] = {bool_scalar(conds[r][0]), bool_scalar(conds[r][1]), ot_tensor(OBN_FLOAT, 1, D3, xv),
                              ot_tensor(OBN_FLOAT, 1, D3, zv)};
        const obn_tensor *y;
        TB_EXPECT_OK(cf_run(&cs, 4, ins, 1, &y));
        ot_expect_f32(y, want[r], 3, 0);
        ot_destroy(4, ins);
    }
    cf_close(&cs);
    tb_free(m);
    tb_free(inner_t);
    tb_free(inner_e);
    tb_free(outer_t);
    tb_free(outer_e);
}
END_TEST

/* The optimiser writes subgraphs back out (outer values by name, not as
 * inputs); the saved model reloads and gives the same outputs. */
START_TEST(if_survives_optimize_and_save)
{
    tb_model *tb, *eb, *m = if_add_or_neg(&tb, &eb);
    obn_model *model = NULL, *opt = NULL, *back = NULL;
    TB_EXPECT_OK(tb_load(m, &model));
    TB_EXPECT_OK(obn_model_optimize(model, NULL, &opt));
    char *dir = tb_tmpdir(), *path = tb_path(dir, "if.onnx");
    TB_EXPECT_OK(obn_model_save(opt, path));
    TB_EXPECT_OK(obn_model_load(path, &back));
    static const float xv[3] = {1, 2, 3};
    obn_tensor *ins[2] = {bool_scalar(1), ot_tensor(OBN_FLOAT, 1, D3, xv)};
    obn_tensor *y = NULL;
    TB_EXPECT_OK(tb_run(back, 1, 1, 2, ins, 1, &y));
    static const double want[3] = {11, 22, 33};
    ot_expect_f32(y, want, 3, 0);
    obn_tensor_destroy(y);
    ot_destroy(2, ins);
    obn_model_destroy(back);
    obn_model_destroy(opt);
    obn_model_destroy(model);
    tb_rmtree(dir);
    free(path);
    free(dir);
    tb_free(m);
    tb_free(tb);
    tb_free(eb);
}
END_TEST

/* A constant cond folds the If away at plan time; the run still works. */
START_TEST(if_constant_cond_folds)
{
    tb_model *tb, *eb, *m = if_add_or_neg(&tb, &eb);
    /* cond becomes an initializer: the model's only input is x */
    Onnx__ModelProto *mp = tb_proto(m);
    mp->graph->input[0] = mp->graph->input[1];
    mp->graph->n_input = 1;
    uint8_t f = 0;
    tb_add_init(m, tb_tensor(m, "cond", OBN_BOOL, 0, NULL, &f, 1));
    static const float xv[3] = {7, 8, 9};
    obn_tensor *x = ot_tensor(OBN_FLOAT, 1, D3, xv), *y = NULL;
    OT_RUN_OK(m, 1, &x, 1, &y);
    static const double want[3] = {-7, -8, -9};
    ot_expect_f32(y, want, 3, 0);
    obn_tensor_destroy(x);
    obn_tensor_destroy(y);
    tb_free(m);
    tb_free(tb);
    tb_free(eb);
}
END_TEST

static obn_status load_status(tb_model *m)
{
    obn_model *model = NULL;
    obn_status s = tb_load(m, &model);
    obn_model_destroy(model);
    return s;
}

START_TEST(if_malformed_branches)
{
    tb_model *tb, *eb, *m;
    /* a name defined nowhere */
    m = if_add_or_neg(&tb, &eb);
    tb_proto(eb)->graph->node[0]->input[0] = tb_str(eb, "nowhere");
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "node \"if\"", "else_branch", "neg", "nowhere");
    tb_free(m), tb_free(tb), tb_free(eb);
    /* different output counts */
    m = if_add_or_neg(&tb, &eb);
    tb_output(eb, "x", OBN_FLOAT, 1, D3);
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "node \"if\"", "else_branch", "2 outputs", "expected 1");
    tb_free(m), tb_free(tb), tb_free(eb);
    /* a branch with an input */
    m = if_add_or_neg(&tb, &eb);
    tb_input(tb, "extra", OBN_FLOAT, 1, D3);
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "node \"if\"", "then_branch", "1 input", "no inputs");
    tb_free(m), tb_free(tb), tb_free(eb);
    /* a missing branch */
    m = if_add_or_neg(&tb, &eb);
    tb_proto(m)->graph->node[0]->n_attribute = 1;
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "node \"if\"", "else_branch", "missing");
    tb_free(m), tb_free(tb), tb_free(eb);
    /* cond of the wrong type: refused when the session plans */
    m = if_add_or_neg(&tb, &eb);
    tb_proto(m)->graph->input[0]->type->tensor_type->elem_type = OBN_FLOAT;
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "node \"if\"", "cond", "float");
    tb_free(m), tb_free(tb), tb_free(eb);
}
END_TEST

/* Nesting deeper than obn_limits.max_graph_depth is refused at load. */
START_TEST(if_depth_limit)
{
    enum { LEVELS = 4 };
    tb_model *g[LEVELS + 1], *other[LEVELS];
    g[0] = tb_new(16);
    tb_input(g[0], "c", OBN_BOOL, 0, NULL);
    tb_input(g[0], "x", OBN_FLOAT, 1, D3);
    tb_output(g[0], "y", OBN_FLOAT, 1, D3);
    /* level k holds an If whose branches are level k+1 (the innermost: Neg) */
    for (int k = 1; k <= LEVELS; k++) g[k] = tb_new(0);
    for (int k = 0; k < LEVELS; k++) {
        other[k] = tb_new(0);
        tb_node(other[k], "Identity", "id", "x", "o");
        tb_output(other[k], "o", OBN_FLOAT, 1, D3);
        Onnx__NodeProto *n = tb_node(g[k], "If", k == 0 ? "top" : "nested", "c", k == 0 ? "y" : "r");
        tb_attr_graph(g[k], n, "then_branch", g[k + 1]);
        tb_attr_graph(g[k], n, "else_branch", other[k]);
        if (k > 0) tb_output(g[k], "r", OBN_FLOAT, 1, D3);
    }
    tb_node(g[LEVELS], "Neg", "neg", "x", "r");
    tb_output(g[LEVELS], "r", OBN_FLOAT, 1, D3);
    size_t len;
    const uint8_t *bytes = tb_pack(g[0], &len);
    obn_limits lim;
    obn_limits_init(&lim);
    lim.max_graph_depth = LEVELS - 1;
    obn_model *model = NULL;
    TB_EXPECT_ERR(obn_model_load_buffer_limited(bytes, len, NULL, &lim, &model), OBN_E_UNSUPPORTED, "depth 4",
                  "max_graph_depth");
    lim.max_graph_depth = LEVELS;
    TB_EXPECT_OK(obn_model_load_buffer_limited(bytes, len, NULL, &lim, &model));
    /* c true all the way down: -x */
    static const float xv[3] = {1, 2, 3};
    obn_tensor *ins[2] = {bool_scalar(1), ot_tensor(OBN_FLOAT, 1, D3, xv)}, *y = NULL;
    TB_EXPECT_OK(tb_run(model, 1, 1, 2, ins, 1, &y));
    static const double want[3] = {-1, -2, -3};
    ot_expect_f32(y, want, 3, 0);
    obn_tensor_destroy(y);
    ot_destroy(2, ins);
    obn_model_destroy(model);
    for (int k = 0; k <= LEVELS; k++) tb_free(g[k]);
    for (int k = 0; k < LEVELS; k++) tb_free(other[k]);
}
END_TEST

static Suite *control_flow_suite(void)
{
    Suite *s = suite_create("control_flow");
    TCase *t = tcase_create("if");
    tcase_add_test(t, if_picks_the_branch);
    tcase_add_test(t, if_branch_shapes_follow_cond);
    tcase_add_test(t, if_nested_reads_outer_scopes);
    tcase_add_test(t, if_survives_optimize_and_save);
    tcase_add_test(t, if_constant_cond_folds);
    tcase_add_test(t, if_malformed_branches);
    tcase_add_test(t, if_depth_limit);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return ot_main(control_flow_suite()); }
