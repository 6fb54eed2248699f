/* The per-node callback (obn_session_set_node_callback): which nodes are
 * reported and in what order, folded nodes once per plan, eager (data-
 * dependent) plans, the data and shapes the callback sees (checked against
 * values worked out by hand), the kernel variant of a fused node, and a
 * callback that stops the run. */
#include <stdio.h>
#include <string.h>

#include "tb_check.h"

#define MAX_EVENTS 16

typedef struct {
    char name[32], op[32], variant[96], out_name[32];
    int folded;
    size_t n_outputs, out_rank;
    int64_t out_dims[4];
    float out_first[6];
    double seconds;
} seen_event;

typedef struct {
    seen_event ev[MAX_EVENTS];
    int n;
    const char *stop_at; /* node name at which to stop */
    int stop_mode;       /* 0 plain status, 1 with a message, 2 not a status */
} recorder;

static obn_status record(const obn_node_event *e, void *user)
{
    recorder *r = user;
    ck_assert_int_lt(r->n, MAX_EVENTS);
    seen_event *s = &r->ev[r->n++];
    snprintf(s->name, sizeof s->name, "%s", e->name);
    snprintf(s->op, sizeof s->op, "%s", e->op_type);
    snprintf(s->variant, sizeof s->variant, "%s", e->variant);
    ck_assert_str_eq(obn_node_name(e->node), e->name);
    s->folded = e->folded;
    s->seconds = e->seconds;
    s->n_outputs = e->n_outputs;
    const obn_tensor *y = e->outputs[0];
    snprintf(s->out_name, sizeof s->out_name, "%s", obn_tensor_name(y));
    s->out_rank = obn_tensor_rank(y);
    memcpy(s->out_dims, obn_tensor_dims(y), s->out_rank * sizeof(int64_t));
    if (obn_tensor_dtype(y) == OBN_FLOAT)
        for (int64_t i = 0; i < obn_tensor_numel(y) && i < 6; i++) s->out_first[i] = obn_tensor_value(y, i);
    if (r->stop_at && strcmp(e->name, r->stop_at) == 0) {
        if (r->stop_mode == 1) return obn_node_error(e->node, OBN_E_IO, "cannot write the dump: disk full");
        if (r->stop_mode == 2) return (obn_status)42;
        return OBN_E_CANCELLED;
    }
    return OBN_OK;
}

static const int64_t D23[2] = {2, 3};
static const float XV[6] = {-4, -1, 0, 0.5f, 1, 2};
static const float WV[6] = {1, 2, -1, 0.5f, -2, 0};

/* x[2,3] + Mul(w, w) -> "a", Relu -> y: Mul's inputs are constant. */
static tb_model *add_relu(void)
{
    tb_model *m = tb_new(17);
    tb_input(m, "x", OBN_FLOAT, 2, D23);
    tb_init_f32(m, "w", 2, D23, WV);
    tb_node(m, "Mul", "square", "w,w", "w2");
    tb_node(m, "Add", "add", "x,w2", "a");
    tb_node(m, "Relu", "relu", "a", "y");
    tb_output(m, "y", OBN_FLOAT, 2, D23);
    return m;
}

static obn_session *session_for(const obn_model *model, int passes)
{
    obn_session_options o;
    obn_session_options_init(&o);
    o.enable_passes = passes;
    obn_session *s = NULL;
    TB_EXPECT_OK(obn_session_create(model, &o, &s));
    return s;
}

static obn_status run_x(obn_session *s)
{
    obn_tensor *x = tb_f32(2, D23, XV);
    const char *names[] = {"x"};
    const obn_tensor *outs[1];
    obn_status st = obn_session_run(s, 1, names, (const obn_tensor *[]){x}, 1, NULL, outs);
    obn_tensor_destroy(x);
    return st;
}

START_TEST(every_node_in_order_folded_ones_once)
{
    tb_model *m = add_relu();
    obn_model *model = NULL;
    TB_EXPECT_OK(tb_load(m, &model));
    obn_session *s = session_for(model, 0);
    recorder r = {0};
    TB_EXPECT_OK(obn_session_set_node_callback(s, record, &r));
    TB_EXPECT_OK(run_x(s));
    ck_assert_int_eq(r.n, 3);
    const char *names[3] = {"square", "add", "relu"}, *outs[3] = {"w2", "a", "y"};
    for (int i = 0; i < 3; i++) {
        ck_assert_str_eq(r.ev[i].name, names[i]);
        ck_assert_str_eq(r.ev[i].out_name, outs[i]);
        ck_assert_int_eq(r.ev[i].folded, i == 0);
        ck_assert_uint_eq(r.ev[i].out_rank, 2);
        ck_assert(r.ev[i].out_dims[0] == 2 && r.ev[i].out_dims[1] == 3);
        ck_assert(r.ev[i].seconds >= 0);
    }
    /* the intermediate "a" = x + w*w, seen while it is still in its buffer */
    for (int i = 0; i < 6; i++) {
        ck_assert_float_eq(r.ev[1].out_first[i], XV[i] + WV[i] * WV[i]);
        ck_assert_float_eq(r.ev[2].out_first[i], XV[i] + WV[i] * WV[i] > 0 ? XV[i] + WV[i] * WV[i] : 0);
    }
    /* the plan is kept: the folded node is not reported again */
    r.n = 0;
    TB_EXPECT_OK(run_x(s));
    ck_assert_int_eq(r.n, 2);
    ck_assert_str_eq(r.ev[0].name, "add");
    /* removed: nothing reported */
    TB_EXPECT_OK(obn_session_set_node_callback(s, NULL, NULL));
    r.n = 0;
    TB_EXPECT_OK(run_x(s));
    ck_assert_int_eq(r.n, 0);
    obn_session_destroy(s);
    obn_model_destroy(model);
    tb_free(m);
}
END_TEST

START_TEST(fused_activation_shows_in_the_variant)
{
    static const int64_t xd[4] = {1, 2, 1, 3}, wd[4] = {2, 2, 1, 1};
    static const float w[4] = {1, 0, 0, 1};
    tb_model *m = tb_new(17);
    tb_input(m, "x", OBN_FLOAT, 4, xd);
    tb_init_f32(m, "w", 4, wd, w);
    tb_node(m, "Conv", "conv", "x,w", "c");
    tb_node(m, "Relu", "relu", "c", "y");
    tb_output(m, "y", OBN_FLOAT, 4, xd);
    obn_model *model = NULL;
    TB_EXPECT_OK(tb_load(m, &model));
    obn_session *s = session_for(model, 1);
    recorder r = {0};
    TB_EXPECT_OK(obn_session_set_node_callback(s, record, &r));
    obn_tensor *x = tb_f32(4, xd, XV);
    const obn_tensor *outs[1];
    TB_EXPECT_OK(obn_session_run(s, 1, (const char *[]){"x"}, (const obn_tensor *[]){x}, 1, NULL, outs));
    ck_assert_int_eq(r.n, 1);
    ck_assert_str_eq(r.ev[0].op, "Conv");
    ck_assert_str_eq(r.ev[0].out_name, "y");
    ck_assert_msg(strstr(r.ev[0].variant, "fused Relu"), "variant '%s'", r.ev[0].variant);
    ck_assert_msg(strstr(r.ev[0].variant, "1x1"), "variant '%s'", r.ev[0].variant);
    /* identity 1x1 conv then Relu */
    for (int i = 0; i < 6; i++) ck_assert_float_eq(r.ev[0].out_first[i], XV[i] > 0 ? XV[i] : 0);
    obn_tensor_destroy(x);
    obn_session_destroy(s);
    obn_model_destroy(model);
    tb_free(m);
}
END_TEST

/* Reshape to a shape given at run time: planned eagerly, with the data, on
 * every run; every node is reported every time, none as folded. */
START_TEST(eager_plans_report_every_node)
{
    static const int64_t one = 2;
    tb_model *m = tb_new(17);
    tb_input(m, "x", OBN_FLOAT, 2, D23);
    tb_input(m, "shape", OBN_INT64, 1, &one);
    tb_node(m, "Reshape", "reshape", "x,shape", "r");
    tb_node(m, "Neg", "neg", "r", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    obn_model *model = NULL;
    TB_EXPECT_OK(tb_load(m, &model));
    obn_session *s = session_for(model, 1);
    recorder r = {0};
    TB_EXPECT_OK(obn_session_set_node_callback(s, record, &r));
    const int64_t shapes[2][2] = {{3, 2}, {6, 1}};
    for (int run = 0; run < 2; run++) {
        obn_tensor *x = tb_f32(2, D23, XV), *sh = NULL;
        TB_EXPECT_OK(obn_tensor_create(OBN_INT64, 1, &one, shapes[run], &sh));
        const obn_tensor *outs[1];
        r.n = 0;
        TB_EXPECT_OK(obn_session_run(s, 2, (const char *[]){"x", "shape"}, (const obn_tensor *[]){x, sh}, 1, NULL,
                                     outs));
        ck_assert_int_eq(r.n, 2);
        for (int i = 0; i < 2; i++) {
            ck_assert_int_eq(r.ev[i].folded, 0);
            ck_assert(r.ev[i].out_dims[0] == shapes[run][0] && r.ev[i].out_dims[1] == shapes[run][1]);
        }
        ck_assert_float_eq(r.ev[1].out_first[0], 4.0f);
        obn_tensor_destroy(x);
        obn_tensor_destroy(sh);
    }
    obn_session_destroy(s);
    obn_model_destroy(model);
    tb_free(m);
}
END_TEST

START_TEST(a_failing_callback_stops_the_run)
{
    tb_model *m = add_relu();
    obn_model *model = NULL;
    TB_EXPECT_OK(tb_load(m, &model));
    obn_session *s = session_for(model, 0);
    recorder r = {.stop_at = "add"};
    TB_EXPECT_OK(obn_session_set_node_callback(s, record, &r));
    TB_EXPECT_ERR(run_x(s), OBN_E_CANCELLED, "node \"add\"", "node callback stopped the run");
    ck_assert_int_eq(r.n, 2); /* square (folded), add; not relu */
    r = (recorder){.stop_at = "add", .stop_mode = 1};
    TB_EXPECT_ERR(run_x(s), OBN_E_IO, "node \"add\"", "disk full");
    r = (recorder){.stop_at = "add", .stop_mode = 2};
    TB_EXPECT_ERR(run_x(s), OBN_E_RUNTIME, "node \"add\"", "unknown status 42");
    /* the session stays usable */
    r = (recorder){0};
    TB_EXPECT_OK(run_x(s));
    ck_assert_int_eq(r.n, 2);
    TB_EXPECT_ERR(obn_session_set_node_callback(NULL, record, &r), OBN_E_INVALID_ARGUMENT, "session is NULL");
    obn_session_destroy(s);
    obn_model_destroy(model);
    tb_free(m);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("node_callback");
    TCase *t = tcase_create("callback");
    tcase_add_test(t, every_node_in_order_folded_ones_once);
    tcase_add_test(t, fused_activation_shows_in_the_variant);
    tcase_add_test(t, eager_plans_report_every_node);
    tcase_add_test(t, a_failing_callback_stops_the_run);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
