/* StringSplit (20): each string of X split into substrings, like Python's
 * str.split(delimiter, maxsplit). Y has X's shape plus a last axis as long as
 * the most substrings of any element (0 for an empty X), padded with empty
 * strings; Z (int64, X's shape) counts each element's substrings.
 * - delimiter set and not "": every occurrence splits ("a--b" gives "a",
 *   "", "b"; "" gives one empty substring);
 * - delimiter unset or "": runs of white space split, leading and trailing
 *   white space is dropped ("" and "  " give none). White space is ASCII
 *   (space, \t, \n, \v, \f, \r); Python also counts Unicode spaces.
 * - maxsplit (unset or negative: no limit) bounds the splits; the rest of
 *   the string after the last one is the final substring.
 * Y's last axis depends on X's data, so without it infer returns OBN_DEFER
 * and the session plans with data. */
#include <stdlib.h>
#include <string.h>

#include "op_helpers.h"
#include "string_tensor.h"

typedef struct {
    const char *delim; /* NULL or "": white space */
    size_t delim_len;
    int64_t maxsplit;  /* < 0: no limit */
} split_attrs;

static obn_status split_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    split_attrs *a = out;
    const obn_attr *d = obn_node_attr(n, "delimiter");
    if (d && d->type != OBN_ATTR_STRING)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'delimiter' has type %s, expected STRING",
                            obn_attr_type_name(d->type));
    a->delim = d && d->s_len ? d->s : NULL;
    a->delim_len = d ? d->s_len : 0;
    return obn_attr_get_int(n, "maxsplit", -1, &a->maxsplit);
}

static bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* The substrings of s (len bytes): at most `cap` recorded as (start, length)
 * pairs in parts (NULL: count only). Returns their number. */
static int64_t split_one(const split_attrs *a, const char *s, size_t len, size_t (*parts)[2], int64_t cap)
{
    int64_t n = 0, splits = 0;
    size_t i = 0;
    if (a->delim) {
        size_t start = 0;
        while (a->maxsplit < 0 || splits < a->maxsplit) {
            const char *hit = NULL;
            for (size_t j = i; j + a->delim_len <= len; j++)
                if (memcmp(s + j, a->delim, a->delim_len) == 0) {
                    hit = s + j;
                    break;
                }
            if (!hit) break;
            size_t at = (size_t)(hit - s);
            if (parts && n < cap) parts[n][0] = start, parts[n][1] = at - start;
            n++, splits++;
            start = i = at + a->delim_len;
        }
        if (parts && n < cap) parts[n][0] = start, parts[n][1] = len - start;
        return n + 1;
    }
    while (i < len) {
        while (i < len && is_space(s[i])) i++;
        if (i == len) break;
        size_t start = i;
        if (a->maxsplit >= 0 && splits == a->maxsplit) { /* the rest, trailing space kept */
            if (parts && n < cap) parts[n][0] = start, parts[n][1] = len - start;
            return n + 1;
        }
        while (i < len && !is_space(s[i])) i++;
        if (parts && n < cap) parts[n][0] = start, parts[n][1] = i - start;
        n++;
        if (i < len) splits++;
    }
    return n;
}

static obn_status split_infer(obn_op_ctx *ctx)
{
    static const obn_dtype strings[] = {OBN_STRING, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, 0, "X", strings));
    const obn_tensor *x = ctx->inputs[0];
    if (x->rank >= OBN_MAX_RANK)
        return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "input 'X' has rank %d: Y would have rank %d (onnxbn supports up to %d)",
                           x->rank, x->rank + 1, OBN_MAX_RANK);
    OBN_TRY(obn_set_output(ctx, 1, OBN_INT64, x->rank, x->dims));
    if (!x->data) return OBN_DEFER;
    const split_attrs *a = ctx->attrs;
    int64_t most = 0;
    const char *const *e = (const char *const *)x->data;
    for (int64_t i = 0; i < x->numel; i++) {
        int64_t k = split_one(a, obn_str_cstr(e[i]), obn_str_len(e[i]), NULL, 0);
        if (k > most) most = k;
    }
    int64_t dims[OBN_MAX_RANK];
    for (int d = 0; d < x->rank; d++) dims[d] = x->dims[d];
    dims[x->rank] = most;
    return obn_set_output(ctx, 0, OBN_STRING, x->rank + 1, dims);
}

static obn_status split_run(obn_op_ctx *ctx)
{
    const split_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0], *z = obn_has_output(ctx, 1) ? ctx->outputs[1] : NULL;
    int64_t width = y->dims[y->rank - 1];
    size_t(*parts)[2] = malloc((size_t)(width ? width : 1) * sizeof *parts);
    if (!parts) return OBN_OOM();
    const char *const *e = (const char *const *)x->data;
    obn_status s = OBN_OK;
    for (int64_t i = 0; s == OBN_OK && i < x->numel; i++) {
        const char *str = obn_str_cstr(e[i]);
        int64_t k = split_one(a, str, obn_str_len(e[i]), parts, width);
        if (z) ((int64_t *)z->data)[i] = k;
        for (int64_t j = 0; s == OBN_OK && j < k && j < width; j++)
            s = obn_string_set(y, i * width + j, str + parts[j][0], parts[j][1]);
    }
    free(parts);
    return s;
}

static const int versions[] = {20, 0};
static const char *const attr_names[] = {"delimiter", "maxsplit", NULL};
static const obn_op_sig split_sigs[] = {{20, "X", "Y Z"}, {0}};

const obn_op obn_op_string_split = {
    .domain = "",
    .op_type = "StringSplit",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = split_sigs,
    .attrs_size = sizeof(split_attrs),
    .flags = OBN_OP_STRINGS,
    .parse = split_parse,
    .infer = split_infer,
    .run = split_run,
};
OBN_REGISTER_OP(obn_op_string_split);
