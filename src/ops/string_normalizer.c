/* StringNormalizer (10): drops the elements of X ([C] or [1, C] strings)
 * that equal one of `stopwords` (compared after lower-casing both when
 * is_case_sensitive is 0, the default), then lower-cases (LOWER),
 * upper-cases (UPPER) or keeps (NONE, the default) the rest. When every
 * element is dropped, Y is one empty string, [1] or [1, 1].
 * Case mapping is kernels/unicase.h's, without a locale: ASCII, Latin-1,
 * Latin Extended-A, Greek and Cyrillic letters (not ß, Turkish i or other
 * letters whose case forms change length). `locale` is accepted and does
 * not change that. Y's length depends on X's data: without it infer returns
 * OBN_DEFER and the session plans with data. */
#include <stdlib.h>
#include <string.h>

#include "kernels/unicase.h"
#include "op_helpers.h"
#include "string_tensor.h"

typedef enum { CASE_NONE, CASE_LOWER, CASE_UPPER } case_action;

typedef struct {
    case_action action;
    bool case_sensitive;
    size_t n_stop;
    char **stop;        /* the stopwords, lower-cased unless case_sensitive (owned) */
    size_t *stop_len;
} norm_attrs;

static void norm_free_attrs(void *p)
{
    norm_attrs *a = p;
    for (size_t i = 0; a->stop && i < a->n_stop; i++) free(a->stop[i]);
    free(a->stop);
    free(a->stop_len);
    a->stop = NULL;
    a->stop_len = NULL;
}

static obn_status norm_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    norm_attrs *a = out;
    const char *action;
    int64_t sensitive;
    OBN_TRY(obn_attr_get_string(n, "case_change_action", "NONE", &action));
    if (strcmp(action, "NONE") == 0) a->action = CASE_NONE;
    else if (strcmp(action, "LOWER") == 0) a->action = CASE_LOWER;
    else if (strcmp(action, "UPPER") == 0) a->action = CASE_UPPER;
    else
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'case_change_action' is '%s'; expected LOWER, UPPER or NONE",
                            action);
    OBN_TRY(obn_attr_int_range(n, "is_case_sensitive", 0, 0, 1, &sensitive));
    a->case_sensitive = sensitive != 0;
    const char *locale;
    OBN_TRY(obn_attr_get_string(n, "locale", "", &locale)); /* type-checked; the mapping has no locale */
    const obn_attr *sw = obn_node_attr(n, "stopwords");
    if (!sw) return OBN_OK;
    if (sw->type != OBN_ATTR_STRINGS)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'stopwords' has type %s, expected STRINGS",
                            obn_attr_type_name(sw->type));
    a->stop = calloc(sw->n ? sw->n : 1, sizeof *a->stop);
    a->stop_len = calloc(sw->n ? sw->n : 1, sizeof *a->stop_len);
    if (!a->stop || !a->stop_len) return OBN_OOM(); /* free_attrs releases what is there */
    a->n_stop = sw->n;
    for (size_t i = 0; i < sw->n; i++) {
        size_t len = sw->string_lens ? sw->string_lens[i] : strlen(sw->strings[i]);
        if (!(a->stop[i] = malloc(len + 1))) return OBN_OOM();
        memcpy(a->stop[i], sw->strings[i], len);
        a->stop[i][len] = '\0';
        if (!a->case_sensitive) obn_case_map_utf8(a->stop[i], len, false, a->stop[i]);
        a->stop_len[i] = len;
    }
    return OBN_OK;
}

/* Whether string s is a stopword; `scratch` holds at least its length. */
static bool is_stopword(const norm_attrs *a, const char *s, char *scratch)
{
    size_t len = obn_str_len(s);
    const char *cmp = obn_str_cstr(s);
    if (!a->case_sensitive && len) {
        obn_case_map_utf8(cmp, len, false, scratch);
        cmp = scratch;
    }
    for (size_t i = 0; i < a->n_stop; i++)
        if (a->stop_len[i] == len && memcmp(a->stop[i], cmp, len) == 0) return true;
    return false;
}

/* Kept elements of x; scratch for the case-folded comparison. */
static obn_status count_kept(const obn_op_ctx *ctx, const obn_tensor *x, int64_t *kept)
{
    const norm_attrs *a = ctx->attrs;
    const char *const *e = (const char *const *)x->data;
    size_t longest = 1;
    for (int64_t i = 0; i < x->numel; i++)
        if (obn_str_len(e[i]) > longest) longest = obn_str_len(e[i]);
    char *scratch = malloc(longest);
    if (!scratch) return OBN_OOM();
    *kept = 0;
    for (int64_t i = 0; i < x->numel; i++) *kept += !is_stopword(a, e[i], scratch);
    free(scratch);
    return OBN_OK;
}

static obn_status norm_infer(obn_op_ctx *ctx)
{
    static const obn_dtype strings[] = {OBN_STRING, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, 0, "X", strings));
    const obn_tensor *x = ctx->inputs[0];
    if (x->rank != 1 && !(x->rank == 2 && x->dims[0] == 1)) {
        char s[OBN_SHAPE_STR_CAP];
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'X' ('%s') has shape %s; expected [C] or [1,C]",
                           obn_in_name(ctx, 0), obn_shape_str(x->rank, x->dims, s, sizeof s));
    }
    if (!x->data) return OBN_DEFER;
    int64_t kept = 0;
    OBN_TRY(count_kept(ctx, x, &kept));
    int64_t dims[2] = {1, kept ? kept : 1};
    return x->rank == 1 ? obn_set_output(ctx, 0, OBN_STRING, 1, dims + 1) : obn_set_output(ctx, 0, OBN_STRING, 2, dims);
}

static obn_status norm_run(obn_op_ctx *ctx)
{
    const norm_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    const char *const *e = (const char *const *)x->data;
    size_t longest = 1;
    for (int64_t i = 0; i < x->numel; i++)
        if (obn_str_len(e[i]) > longest) longest = obn_str_len(e[i]);
    char *scratch = malloc(longest);
    if (!scratch) return OBN_OOM();
    obn_status s = OBN_OK;
    int64_t k = 0;
    for (int64_t i = 0; s == OBN_OK && i < x->numel; i++) {
        if (is_stopword(a, e[i], scratch)) continue;
        size_t len = obn_str_len(e[i]);
        char *c;
        if ((s = obn_str_new(e[i], len, &c)) != OBN_OK) break;
        if (a->action != CASE_NONE && c) obn_case_map_utf8(c, len, a->action == CASE_UPPER, c);
        obn_string_take(y, k++, c); /* the [1] "" of an all-dropped X stays empty */
    }
    free(scratch);
    return s;
}

static const int versions[] = {10, 0};
static const char *const attr_names[] = {"case_change_action", "is_case_sensitive", "locale", "stopwords", NULL};
static const obn_op_sig norm_sigs[] = {{10, "X", "Y"}, {0}};

const obn_op obn_op_string_normalizer = {
    .domain = "",
    .op_type = "StringNormalizer",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = norm_sigs,
    .attrs_size = sizeof(norm_attrs),
    .flags = OBN_OP_STRINGS,
    .parse = norm_parse,
    .infer = norm_infer,
    .run = norm_run,
    .free_attrs = norm_free_attrs,
};
OBN_REGISTER_OP(obn_op_string_normalizer);
