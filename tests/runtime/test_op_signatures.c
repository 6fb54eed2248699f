/* The loader's one rule for missing inputs and outputs, checked for every
 * operator version in the registry: a node that gives a required input or
 * output the empty name, or leaves it out, is refused at load with
 * OBN_E_INVALID_MODEL and a message naming the node and the formal
 * parameter; a node that gives every formal parameter passes that check.
 * Also the two cases a coverage-guided fuzzer found (issue 10): Slice-13
 * with an empty 'starts' (it used to crash in session creation) and
 * Reshape(x, "") (it used to be read as an empty shape). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb_check.h"

#define MAX_FORMALS 16

typedef struct {
    char name[40];
    int optional, variadic;
} formal;

static int parse(const char *list, formal *out)
{
    int n = 0;
    const char *p = list;
    while (*p && n < MAX_FORMALS) {
        while (*p == ' ') p++;
        if (!*p) break;
        const char *e = p;
        while (*e && *e != ' ') e++;
        formal *f = &out[n++];
        memset(f, 0, sizeof *f);
        if (*p == '?') {
            f->optional = 1;
            p++;
        }
        size_t len = (size_t)(e - p);
        if (len >= 3 && strncmp(e - 3, "...", 3) == 0) {
            f->variadic = 1;
            len -= 3;
        }
        ck_assert_uint_lt(len, sizeof f->name);
        memcpy(f->name, p, len);
        p = e;
    }
    return n;
}

/* "x,x,,x": every formal given as x, but position `blank` (-1: none), and
 * only the first `count` positions. */
static void join(char *buf, size_t cap, const char *name, int count, int blank)
{
    buf[0] = '\0';
    for (int k = 0; k < count; k++) {
        size_t n = strlen(buf);
        snprintf(buf + n, cap - n, "%s%s", k ? "," : "", k == blank ? "" : name);
    }
}

/* One node of the op at this version: inputs/outputs as given. */
static obn_status load_node(const char *domain, const char *op_type, int version, const char *inputs,
                            const char *outputs)
{
    tb_model *m = tb_new(domain[0] ? 17 : version);
    if (domain[0]) tb_opset(m, domain, version);
    static const int64_t one[1] = {1};
    tb_input(m, "x", OBN_FLOAT, 1, one);
    Onnx__NodeProto *n = tb_node(m, op_type, "probe", inputs, outputs);
    if (domain[0]) n->domain = tb_str(m, domain);
    tb_output(m, "x", OBN_FLOAT, 1, one); /* so the graph is valid whatever the node outputs */
    obn_model *model = NULL;
    obn_status st = tb_load(m, &model);
    obn_model_destroy(model);
    tb_free(m);
    return st;
}

/* Output names y0, y1, ... so that every output is a distinct value. */
static void output_list(char *buf, size_t cap, int count, int blank)
{
    buf[0] = '\0';
    for (int k = 0; k < count; k++) {
        size_t n = strlen(buf);
        if (k == blank) snprintf(buf + n, cap - n, "%s", k ? "," : "");
        else snprintf(buf + n, cap - n, "%sy%d", k ? "," : "", k);
    }
}

START_TEST(every_required_input_and_output_of_every_op)
{
    int refused = 0;
    for (size_t i = 0; i < obn_operator_count(); i++) {
        const char *domain, *op_type;
        const int *versions;
        ck_assert_int_eq(obn_operator(i, &domain, &op_type, &versions), OBN_OK);
        for (const int *v = versions; *v; v++) {
            const char *ins, *outs;
            ck_assert_int_eq(obn_operator_signature(i, *v, &ins, &outs), OBN_OK);
            formal fi[MAX_FORMALS], fo[MAX_FORMALS];
            int ni = parse(ins, fi), no = parse(outs, fo);
            char in_list[512], out_list[512], want[1024];
            output_list(out_list, sizeof out_list, no, -1);
            for (int k = 0; k < ni; k++) {
                if (fi[k].optional) continue;
                /* the empty name in a required position (a lone input
                 * left empty is no input at all: "missing") */
                join(in_list, sizeof in_list, "x", ni, k);
                snprintf(want, sizeof want, "required input '%s' (#%d) is %s", fi[k].name, k,
                         ni == 1 ? "missing" : "empty");
                TB_EXPECT_ERR(load_node(domain, op_type, *v, in_list, out_list), OBN_E_INVALID_MODEL,
                              "node \"probe\"", op_type, want);
                /* left out: the node stops before it */
                join(in_list, sizeof in_list, "x", k, -1);
                snprintf(want, sizeof want, "required input '%s' (#%d) is missing", fi[k].name, k);
                TB_EXPECT_ERR(load_node(domain, op_type, *v, in_list, out_list), OBN_E_INVALID_MODEL,
                              "node \"probe\"", want);
                refused += 2;
            }
            join(in_list, sizeof in_list, "x", ni, -1);
            for (int k = 0; k < no; k++) {
                if (fo[k].optional) continue;
                output_list(out_list, sizeof out_list, no, k);
                /* (a lone output left empty is no output at all: "missing") */
                snprintf(want, sizeof want, "required output '%s' (#%d) is %s", fo[k].name, k,
                         no == 1 ? "missing" : "empty");
                TB_EXPECT_ERR(load_node(domain, op_type, *v, in_list, out_list), OBN_E_INVALID_MODEL,
                              "node \"probe\"", want);
                refused++;
            }
            /* one more input than the signature has (unless variadic) */
            if (ni == 0 || !fi[ni - 1].variadic) {
                join(in_list, sizeof in_list, "x", ni + 1, -1);
                output_list(out_list, sizeof out_list, no, -1);
                snprintf(want, sizeof want, "has %d inputs", ni + 1);
                TB_EXPECT_ERR(load_node(domain, op_type, *v, in_list, out_list), OBN_E_INVALID_MODEL,
                              "node \"probe\"", want, "at most");
                refused++;
            }
        }
    }
    /* 100 operators, most with several versions */
    ck_assert_int_gt(refused, 500);
}
END_TEST

/* The fuzzer's crasher: Slice-13 with '' for starts (or ends) died with
 * SIGSEGV in obn_session_create; now the load is refused. */
START_TEST(slice_with_empty_starts_or_ends)
{
    static const int64_t d4[1] = {4}, one[1] = {1}, zero = 0, two = 2;
    for (int which = 1; which <= 2; which++) {
        tb_model *m = tb_new(13);
        tb_input(m, "x", OBN_FLOAT, 1, d4);
        tb_init_i64(m, "s", 1, one, &zero);
        tb_init_i64(m, "e", 1, one, &two);
        tb_node(m, "Slice", "sl", which == 1 ? "x,,e" : "x,s,", "y");
        tb_output(m, "y", OBN_FLOAT, -1, NULL);
        obn_model *model = NULL;
        TB_EXPECT_ERR(tb_load(m, &model), OBN_E_INVALID_MODEL, "node \"sl\" (Slice-13)",
                      which == 1 ? "required input 'starts' (#1) is empty" : "required input 'ends' (#2) is empty");
        ck_assert_ptr_null(model);
        tb_free(m);
    }
}
END_TEST

/* Reshape(x, "") was read as an empty shape and failed later with the wrong
 * message ("cannot reshape ... to []"). */
START_TEST(reshape_with_empty_shape)
{
    static const int64_t d4[1] = {4};
    tb_model *m = tb_new(14);
    tb_input(m, "x", OBN_FLOAT, 1, d4);
    tb_node(m, "Reshape", "rs", "x,", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    obn_model *model = NULL;
    TB_EXPECT_ERR(tb_load(m, &model), OBN_E_INVALID_MODEL, "node \"rs\" (Reshape-14)",
                  "required input 'shape' (#1) is empty", "data shape");
    tb_free(m);
}
END_TEST

START_TEST(optional_inputs_may_be_empty)
{
    /* Conv's B, Clip-13's min, Pad-13's constant_value may be "" */
    static const int64_t xd[4] = {1, 1, 3, 3}, wd[4] = {1, 1, 1, 1}, pd[1] = {8};
    static const float w = 2.0f;
    static const int64_t pads[8] = {0, 0, 1, 1, 0, 0, 1, 1};
    tb_model *m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 4, xd);
    tb_init_f32(m, "w", 4, wd, &w);
    tb_init_i64(m, "p", 1, pd, pads);
    tb_node(m, "Conv", "conv", "x,w,", "c");
    tb_node(m, "Clip", "clip", "c,,", "d");
    tb_node(m, "Pad", "pad", "d,p,", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    obn_model *model = NULL;
    TB_EXPECT_OK(tb_load(m, &model));
    obn_model_destroy(model);
    tb_free(m);
}
END_TEST

START_TEST(signature_api_errors)
{
    const char *ins = NULL, *outs = NULL;
    ck_assert_int_eq(obn_operator_signature(obn_operator_count(), 1, &ins, &outs), OBN_E_INVALID_ARGUMENT);
    ck_assert_int_eq(obn_operator_signature(0, 1, NULL, &outs), OBN_E_INVALID_ARGUMENT);
    /* a version the operator does not implement */
    ck_assert_int_eq(obn_operator_signature(0, 1000, &ins, &outs), OBN_E_INVALID_ARGUMENT);
    ck_assert(TB_HAS(obn_last_error(), "version 1000"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("op_signatures");
    TCase *tc = tcase_create("signatures");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, every_required_input_and_output_of_every_op);
    tcase_add_test(tc, slice_with_empty_starts_or_ends);
    tcase_add_test(tc, reshape_with_empty_shape);
    tcase_add_test(tc, optional_inputs_may_be_empty);
    tcase_add_test(tc, signature_api_errors);
    suite_add_tcase(s, tc);
    return tb_run_suite(s);
}
