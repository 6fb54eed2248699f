/* RegexFullMatch (20): Y[i] is true when the whole of string X[i] matches
 * `pattern` (RE2 syntax). The pattern is compiled once at load by
 * kernels/regex.h, which implements most of RE2's syntax in linear time
 * and refuses the rest (flag groups, Unicode classes, ...) with a message
 * naming the feature: such a node is UNSUPPORTED; a malformed pattern is
 * INVALID_MODEL. */
#include <stdlib.h>
#include <string.h>

#include "kernels/regex.h"
#include "op_helpers.h"
#include "string_tensor.h"

typedef struct {
    obn_regex *re;
} regex_attrs;

static void regex_free_attrs(void *p)
{
    regex_attrs *a = p;
    obn_regex_free(a->re);
    a->re = NULL;
}

static obn_status regex_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    regex_attrs *a = out;
    const obn_attr *p = obn_node_attr(n, "pattern");
    if (!p) return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'pattern' is required");
    if (p->type != OBN_ATTR_STRING)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'pattern' has type %s, expected STRING",
                            obn_attr_type_name(p->type));
    char err[256];
    a->re = obn_regex_compile(p->s, p->s_len, err, sizeof err);
    if (a->re) return OBN_OK;
    if (strcmp(err, "out of memory") == 0) return OBN_OOM();
    bool unsupported = strstr(err, "not supported") != NULL || strstr(err, "instructions") != NULL;
    return obn_node_err(n, unsupported ? OBN_E_UNSUPPORTED : OBN_E_INVALID_MODEL, "pattern \"%.200s\": %s", p->s, err);
}

static obn_status regex_infer(obn_op_ctx *ctx)
{
    static const obn_dtype strings[] = {OBN_STRING, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, 0, "X", strings));
    const obn_tensor *x = ctx->inputs[0];
    return obn_set_output(ctx, 0, OBN_BOOL, x->rank, x->dims);
}

static obn_status regex_run(obn_op_ctx *ctx)
{
    const regex_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    uint8_t *y = ctx->outputs[0]->data;
    const char *const *e = (const char *const *)x->data;
    for (int64_t i = 0; i < x->numel; i++) {
        if (i % 256 == 255) OBN_TRY(obn_op_check_cancel(ctx));
        int m = obn_regex_full_match(a->re, obn_str_cstr(e[i]), obn_str_len(e[i]));
        if (m < 0) return OBN_OOM();
        y[i] = (uint8_t)m;
    }
    return OBN_OK;
}

static const int versions[] = {20, 0};
static const char *const attr_names[] = {"pattern", NULL};
static const obn_op_sig regex_sigs[] = {{20, "X", "Y"}, {0}};

const obn_op obn_op_regex_full_match = {
    .domain = "",
    .op_type = "RegexFullMatch",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = regex_sigs,
    .attrs_size = sizeof(regex_attrs),
    .flags = OBN_OP_STRINGS,
    .parse = regex_parse,
    .infer = regex_infer,
    .run = regex_run,
    .free_attrs = regex_free_attrs,
};
OBN_REGISTER_OP(obn_op_regex_full_match);
