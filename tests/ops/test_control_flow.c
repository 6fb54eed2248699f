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

/* Loop summing: M = 4 iterations, carried s (start 1.5) and a scan output
 * of i*x. The body computes s' = s + x * float(i): s = 1.5 + x*(0+1+2+3) =
 * 1.5 + 6x; scan = [0*x, 1*x, 2*x, 3*x]. x is read from the main graph. */
static tb_model *loop_sum(tb_model **body, int with_scan)
{
    tb_model *m = tb_new(16);
    tb_input(m, "x", OBN_FLOAT, 1, D3);
    int64_t mv = 4;
    tb_init_i64(m, "M", 0, NULL, &mv);
    static const float s0[3] = {1.5f, 1.5f, 1.5f};
    tb_init_f32(m, "s0", 1, D3, s0);
    *body = tb_new(0);
    tb_input(*body, "i", OBN_INT64, 0, NULL);
    tb_input(*body, "c", OBN_BOOL, 0, NULL);
    tb_input(*body, "s", OBN_FLOAT, 1, D3);
    Onnx__NodeProto *cast = tb_node(*body, "Cast", "cast", "i", "fi");
    tb_attr_int(*body, cast, "to", OBN_FLOAT);
    tb_node(*body, "Mul", "mul", "x,fi", "xi");
    tb_node(*body, "Add", "add", "s,xi", "s_out");
    tb_node(*body, "Identity", "keep", "c", "c_out");
    tb_output(*body, "c_out", OBN_BOOL, 0, NULL);
    tb_output(*body, "s_out", OBN_FLOAT, 1, D3);
    if (with_scan) tb_output(*body, "xi", OBN_FLOAT, 1, D3);
    Onnx__NodeProto *n = tb_node(m, "Loop", "loop", "M,,s0", with_scan ? "s_final,stack" : "s_final");
    tb_attr_graph(m, n, "body", *body);
    tb_output(m, "s_final", OBN_FLOAT, 1, D3);
    if (with_scan) tb_output(m, "stack", OBN_FLOAT, 2, (const int64_t[]){4, 3});
    return m;
}

START_TEST(loop_sums_with_and_without_scan_outputs)
{
    static const float xv[3] = {1, 2, -3};
    for (int with_scan = 0; with_scan < 2; with_scan++) {
        tb_model *body, *m = loop_sum(&body, with_scan);
        cf_session cs;
        cf_open(m, &cs);
        obn_tensor *x = ot_tensor(OBN_FLOAT, 1, D3, xv);
        const obn_tensor *outs[2];
        for (int rep = 0; rep < 2; rep++) { /* the second run reuses the plans */
            TB_EXPECT_OK(cf_run(&cs, 1, &x, 1 + with_scan, outs));
            static const double want_s[3] = {7.5, 13.5, -16.5};
            ot_expect_f32(outs[0], want_s, 3, 0);
            if (with_scan) {
                static const double want_stack[12] = {0, 0, 0, 1, 2, -3, 2, 4, -6, 3, 6, -9};
                ot_expect_shape(outs[1], 2, (const int64_t[]){4, 3});
                ot_expect_f32(outs[1], want_stack, 12, 0);
            }
        }
        obn_tensor_destroy(x);
        cf_close(&cs);
        tb_free(m);
        tb_free(body);
    }
}
END_TEST

/* A while loop (cond, no M) whose If in the body reads an outer value: n
 * doubles while n < limit; the If adds 1 instead of doubling when n is odd
 * (n odd -> n+1, else 2n). From n=3, limit=20: 3 -> 4 -> 8 -> 16 -> 32
 * stops (32 >= 20): n = 32 after 4 iterations, the scan of the cond value
 * is [1, 1, 1, 0]. */
START_TEST(loop_while_with_nested_if)
{
    tb_model *m = tb_new(13);
    tb_input(m, "n0", OBN_INT64, 0, NULL);
    tb_input(m, "limit", OBN_INT64, 0, NULL);
    uint8_t t = 1;
    tb_add_init(m, tb_tensor(m, "go", OBN_BOOL, 0, NULL, &t, 1));
    int64_t one = 1, two = 2;
    tb_init_i64(m, "one", 0, NULL, &one);
    tb_init_i64(m, "two", 0, NULL, &two);
    tb_model *body = tb_new(0), *odd = tb_new(0), *even = tb_new(0);
    tb_input(body, "i", OBN_INT64, 0, NULL);
    tb_input(body, "c", OBN_BOOL, 0, NULL);
    tb_input(body, "n", OBN_INT64, 0, NULL);
    tb_node(body, "Mod", "mod", "n,two", "r");
    tb_node(body, "Equal", "isodd", "r,one", "odd");
    tb_node(odd, "Add", "inc", "n,one", "o");
    tb_output(odd, "o", OBN_INT64, 0, NULL);
    tb_node(even, "Mul", "dbl", "n,two", "e");
    tb_output(even, "e", OBN_INT64, 0, NULL);
    Onnx__NodeProto *iff = tb_node(body, "If", "step", "odd", "n_next");
    tb_attr_graph(body, iff, "then_branch", odd);
    tb_attr_graph(body, iff, "else_branch", even);
    tb_node(body, "Less", "less", "n_next,limit", "c_out");
    tb_node(body, "Cast", "cc", "c_out", "c_i64");
    tb_attr_int(body, tb_proto(body)->graph->node[tb_proto(body)->graph->n_node - 1], "to", OBN_INT64);
    tb_output(body, "c_out", OBN_BOOL, 0, NULL);
    tb_output(body, "n_next", OBN_INT64, 0, NULL);
    tb_output(body, "c_i64", OBN_INT64, 0, NULL);
    Onnx__NodeProto *n = tb_node(m, "Loop", "while", ",go,n0", "n_final,conds");
    tb_attr_graph(m, n, "body", body);
    tb_output(m, "n_final", OBN_INT64, 0, NULL);
    tb_output(m, "conds", OBN_INT64, 1, (const int64_t[]){-1});
    cf_session cs;
    cf_open(m, &cs);
    int64_t n0 = 3, lim = 20;
    obn_tensor *ins[2] = {ot_tensor(OBN_INT64, 0, NULL, &n0), ot_tensor(OBN_INT64, 0, NULL, &lim)};
    const obn_tensor *outs[2];
    TB_EXPECT_OK(cf_run(&cs, 2, ins, 2, outs));
    static const int64_t want_n = 32, want_c[4] = {1, 1, 1, 0};
    ot_expect_i64(outs[0], &want_n, 1);
    ot_expect_i64(outs[1], want_c, 4);
    ot_destroy(2, ins);
    cf_close(&cs);
    tb_free(m);
    tb_free(body);
    tb_free(odd);
    tb_free(even);
}
END_TEST

START_TEST(loop_malformed)
{
    tb_model *body, *m;
    m = loop_sum(&body, 0);
    tb_proto(m)->graph->node[0]->input[0] = tb_str(m, ""); /* neither M nor cond */
    TB_EXPECT_ERR(load_status(m), OBN_E_UNSUPPORTED, "node \"loop\"", "neither", "never end");
    tb_free(m), tb_free(body);
    m = loop_sum(&body, 0);
    tb_input(body, "extra", OBN_FLOAT, 1, D3); /* 4 body inputs for 1 carried value */
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "node \"loop\"", "body", "4 inputs", "expected 3");
    tb_free(m), tb_free(body);
    m = loop_sum(&body, 0);
    tb_output(body, "fi", OBN_FLOAT, 0, NULL);
    tb_output(body, "xi", OBN_FLOAT, 1, D3); /* 4 body outputs, the node has 1 */
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "node \"loop\"", "body", "4 outputs", "expected 2");
    tb_free(m), tb_free(body);
}
END_TEST

/* Scan cumulative sum (Scan-9+ and Scan-8): state s, scan input rows of X;
 * body s' = s + x_t, scan output s'. X = [[1,2],[3,4],[5,6]]: outputs
 * final [9, 12] and [[1,2],[4,6],[9,12]]; scanned in reverse: [[5,6],[8,10],
 * [9,12]] (prepended: rows in reverse order). */
static tb_model *scan_cumsum(int opset, tb_model **body, int reverse)
{
    tb_model *m = tb_new(opset);
    int batched = opset < 9;
    const int64_t xd[3] = {1, 3, 2}, sd[2] = {1, 2};
    tb_input(m, "s0", OBN_FLOAT, batched ? 2 : 1, batched ? sd : sd + 1);
    tb_input(m, "X", OBN_FLOAT, batched ? 3 : 2, batched ? xd : xd + 1);
    *body = tb_new(0);
    tb_input(*body, "s", OBN_FLOAT, 1, sd + 1);
    tb_input(*body, "x", OBN_FLOAT, 1, sd + 1);
    tb_node(*body, "Add", "add", "s,x", "s_out");
    tb_node(*body, "Identity", "copy", "s_out", "y");
    tb_output(*body, "s_out", OBN_FLOAT, 1, sd + 1);
    tb_output(*body, "y", OBN_FLOAT, 1, sd + 1);
    Onnx__NodeProto *n = tb_node(m, "Scan", "scan", batched ? ",s0,X" : "s0,X", "s_final,Y");
    tb_attr_graph(m, n, "body", *body);
    tb_attr_int(m, n, "num_scan_inputs", 1);
    int64_t rev = 1;
    if (reverse) tb_attr_ints(m, n, batched ? "directions" : "scan_input_directions", 1, &rev);
    tb_output(m, "s_final", OBN_FLOAT, batched ? 2 : 1, batched ? sd : sd + 1);
    tb_output(m, "Y", OBN_FLOAT, batched ? 3 : 2, batched ? xd : xd + 1);
    return m;
}

START_TEST(scan_cumulative_sum)
{
    static const float xv[6] = {1, 2, 3, 4, 5, 6}, s0[2] = {0, 0};
    static const double fwd[6] = {1, 2, 4, 6, 9, 12}, rev[6] = {5, 6, 8, 10, 9, 12}, fin[2] = {9, 12};
    const int opsets[3] = {8, 9, 16};
    for (int o = 0; o < 3; o++)
        for (int r = 0; r < 2; r++) {
            tb_model *body, *m = scan_cumsum(opsets[o], &body, r);
            int batched = opsets[o] < 9;
            const int64_t xd[3] = {1, 3, 2}, sd[2] = {1, 2};
            obn_tensor *ins[2] = {ot_tensor(OBN_FLOAT, batched ? 2 : 1, batched ? sd : sd + 1, s0),
                                  ot_tensor(OBN_FLOAT, batched ? 3 : 2, batched ? xd : xd + 1, xv)};
            obn_tensor *outs[2] = {NULL, NULL};
            obn_status st = ot_run(m, 2, ins, 2, outs);
            ck_assert_msg(st == OBN_OK, "Scan-%d reverse=%d: %s", opsets[o], r, obn_last_error());
            ot_expect_f32(outs[0], fin, 2, 0);
            ot_expect_f32(outs[1], r ? rev : fwd, 6, 0);
            ot_destroy(2, ins);
            ot_destroy(2, outs);
            tb_free(m);
            tb_free(body);
        }
}
END_TEST

START_TEST(scan_malformed)
{
    tb_model *body, *m = scan_cumsum(16, &body, 0);
    tb_proto(m)->graph->node[0]->attribute[1]->i = 3; /* num_scan_inputs over the node's 2 inputs */
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "node \"scan\"", "num_scan_inputs");
    tb_free(m), tb_free(body);
    m = scan_cumsum(16, &body, 0);
    tb_output(body, "x", OBN_FLOAT, 1, (const int64_t[]){2}); /* 3 body outputs, the node has 2 */
    TB_EXPECT_ERR(load_status(m), OBN_E_INVALID_MODEL, "node \"scan\"", "body", "3 outputs", "expected 2");
    tb_free(m), tb_free(body);
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
    t = tcase_create("loop_scan");
    tcase_add_test(t, loop_sums_with_and_without_scan_outputs);
    tcase_add_test(t, loop_while_with_nested_if);
    tcase_add_test(t, loop_malformed);
    tcase_add_test(t, scan_cumulative_sum);
    tcase_add_test(t, scan_malformed);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return ot_main(control_flow_suite()); }
