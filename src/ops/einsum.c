/* Einsum (12): "term,term,...[->term]", each term letters (a-z, A-Z) with at
 * most one "...", spaces ignored. A letter repeated within a term takes the
 * diagonal; letters missing from the output are summed. Without "->" the
 * output is the ellipsis dimensions followed by the letters that occur
 * exactly once, sorted (ASCII order, so upper case first). An ellipsis
 * stands for the leading dimensions its operand has beyond its letters; as
 * in numpy (the reference), those dimensions align from the right and
 * broadcast, and a dimension of size 1 broadcasts against the same letter's
 * size elsewhere. An explicit output must then contain "..." when any
 * ellipsis covers a dimension (numpy's rule).
 *
 * Types: the spec's numeric types (no bfloat16, no bool). Float runs as
 * transposes and batched GEMMs on the SGEMM (src/kernels/einsum.h); float16
 * and double the direct loop in double; integers the direct loop modulo
 * 2^64, which wraps like the type. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/einsum.h"
#include "op_helpers.h"

#define MAX_TERM 16 /* letters in one term: more than any supported rank */

typedef struct {
    int n_letters;
    char letter[MAX_TERM];
    int ellipsis_at; /* letters before the "..." (-1: none) */
} einsum_term;

typedef struct {
    int n_terms;
    einsum_term term[OBN_EINSUM_MAX_OPERANDS];
    bool explicit_out;
    einsum_term out;
} einsum_attrs;

static bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* Parses one term from *p up to ',' or '-' or the end (left at *p). */
static obn_status parse_term(const obn_node *n, const char *eq, const char **p, einsum_term *t)
{
    t->n_letters = 0;
    t->ellipsis_at = -1;
    const char *c = *p;
    for (; *c && *c != ',' && *c != '-'; c++) {
        if (*c == ' ') continue;
        if (*c == '.') {
            if (strncmp(c, "...", 3) != 0)
                return obn_node_err(n, OBN_E_INVALID_MODEL, "equation '%s': '.' outside an ellipsis \"...\"", eq);
            if (t->ellipsis_at >= 0)
                return obn_node_err(n, OBN_E_INVALID_MODEL, "equation '%s': a term has more than one ellipsis", eq);
            t->ellipsis_at = t->n_letters;
            c += 2;
            continue;
        }
        if (!is_letter(*c))
            return obn_node_err(n, OBN_E_INVALID_MODEL, "equation '%s': character '%c' is not a letter", eq, *c);
        if (t->n_letters == MAX_TERM)
            return obn_node_err(n, OBN_E_UNSUPPORTED, "equation '%s': a term has more than %d letters", eq, MAX_TERM);
        t->letter[t->n_letters++] = *c;
    }
    *p = c;
    return OBN_OK;
}

static bool term_has(const einsum_term *t, char c) { return memchr(t->letter, c, (size_t)t->n_letters) != NULL; }

/* Output letters: each once, each from some input term. */
static obn_status check_output(const obn_node *n, const char *eq, const einsum_attrs *a)
{
    for (int i = 0; i < a->out.n_letters; i++) {
        char c = a->out.letter[i];
        if (memchr(a->out.letter, c, (size_t)i))
            return obn_node_err(n, OBN_E_INVALID_MODEL, "equation '%s': output letter '%c' appears twice", eq, c);
        bool found = false;
        for (int k = 0; k < a->n_terms && !found; k++) found = term_has(&a->term[k], c);
        if (!found)
            return obn_node_err(n, OBN_E_INVALID_MODEL, "equation '%s': output letter '%c' is in no input term", eq, c);
    }
    return OBN_OK;
}

/* Implicit output: the letters that occur exactly once, sorted. */
static void implicit_output(einsum_attrs *a)
{
    einsum_term *o = &a->out;
    o->n_letters = 0;
    o->ellipsis_at = 0;
    for (int c = 0; c < 128; c++) {
        if (!is_letter((char)c)) continue;
        int count = 0;
        for (int k = 0; k < a->n_terms; k++)
            for (int i = 0; i < a->term[k].n_letters; i++) count += a->term[k].letter[i] == c;
        if (count == 1 && o->n_letters < MAX_TERM) o->letter[o->n_letters++] = (char)c;
    }
}

static obn_status einsum_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    einsum_attrs *a = out;
    const char *eq;
    if (!obn_node_attr(n, "equation"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'equation' is required");
    OBN_TRY(obn_attr_get_string(n, "equation", "", &eq));
    const char *p = eq;
    a->n_terms = 0;
    for (;;) {
        if (a->n_terms == OBN_EINSUM_MAX_OPERANDS)
            return obn_node_err(n, OBN_E_UNSUPPORTED, "equation '%s' has more than %d operands", eq,
                                OBN_EINSUM_MAX_OPERANDS);
        OBN_TRY(parse_term(n, eq, &p, &a->term[a->n_terms++]));
        if (*p != ',') break;
        p++;
    }
    a->explicit_out = *p == '-';
    if (a->explicit_out) {
        if (p[1] != '>') return obn_node_err(n, OBN_E_INVALID_MODEL, "equation '%s': '-' not followed by '>'", eq);
        p += 2;
        OBN_TRY(parse_term(n, eq, &p, &a->out));
        if (*p) return obn_node_err(n, OBN_E_INVALID_MODEL, "equation '%s': the output is a single term", eq);
        return check_output(n, eq, a);
    }
    implicit_output(a);
    return OBN_OK;
}

/* Label ids: letters by first appearance, then one per ellipsis dimension
 * (right-aligned: the last ellipsis dimension of every operand shares one). */
typedef struct {
    char letters[64];
    int n_letters, ellipsis_dims;
} label_map;

static int letter_label(label_map *m, char c)
{
    char *at = memchr(m->letters, c, (size_t)m->n_letters);
    if (at) return (int)(at - m->letters);
    m->letters[m->n_letters] = c;
    return m->n_letters++;
}

/* Axis labels of a term for an operand with `rank` axes (e ellipsis dims). */
static void term_labels(label_map *m, const einsum_term *t, int e, int ellipsis_base, int *labels)
{
    int at = 0;
    for (int i = 0; i <= t->n_letters; i++) {
        if (i == t->ellipsis_at)
            for (int d = 0; d < e; d++) labels[at++] = ellipsis_base + m->ellipsis_dims - e + d;
        if (i < t->n_letters) labels[at++] = letter_label(m, t->letter[i]);
    }
}

/* The contraction the equation and the input shapes describe. */
static obn_status build_spec(const obn_op_ctx *ctx, obn_einsum_spec *s)
{
    const einsum_attrs *a = ctx->attrs;
    if (ctx->n_inputs != a->n_terms)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "the equation has %d operand terms but the node has %d inputs",
                           a->n_terms, ctx->n_inputs);
    label_map m = {.n_letters = 0, .ellipsis_dims = 0};
    int e[OBN_EINSUM_MAX_OPERANDS];
    for (int k = 0; k < a->n_terms; k++) {
        const einsum_term *t = &a->term[k];
        int rank = ctx->inputs[k]->rank;
        e[k] = rank - t->n_letters;
        if (e[k] < 0 || (t->ellipsis_at < 0 && e[k] != 0))
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "term %d of the equation has %d letters%s but input %d ('%s') has rank %d",
                               k, t->n_letters, t->ellipsis_at >= 0 ? " and an ellipsis" : "", k, obn_in_name(ctx, k), rank);
        if (e[k] > m.ellipsis_dims) m.ellipsis_dims = e[k];
        for (int i = 0; i < t->n_letters; i++) letter_label(&m, t->letter[i]);
    }
    for (int i = 0; i < a->out.n_letters; i++) letter_label(&m, a->out.letter[i]);
    if (a->explicit_out && a->out.ellipsis_at < 0 && m.ellipsis_dims > 0)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                           "the output term has no \"...\" but the inputs' ellipses cover %d dimension(s)", m.ellipsis_dims);
    int base = m.n_letters;
    s->n_labels = base + m.ellipsis_dims;
    s->n_operands = a->n_terms;
    for (int l = 0; l < s->n_labels; l++) s->label_size[l] = 1;
    for (int k = 0; k < a->n_terms; k++) {
        obn_einsum_operand *op = &s->in[k];
        const obn_tensor *x = ctx->inputs[k];
        op->rank = x->rank;
        term_labels(&m, &a->term[k], e[k], base, op->label);
        for (int d = 0; d < x->rank; d++) {
            int l = op->label[d];
            op->dims[d] = x->dims[d];
            for (int j = 0; j < d; j++)
                if (op->label[j] == l && op->dims[j] != x->dims[d])
                    return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input %d ('%s'): axes %d and %d share a letter but have sizes %lld and %lld",
                                       k, obn_in_name(ctx, k), j, d, (long long)op->dims[j], (long long)x->dims[d]);
            if (x->dims[d] == 1) continue;
            if (s->label_size[l] != 1 && s->label_size[l] != x->dims[d])
                return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input %d ('%s') axis %d has size %lld, another operand has %lld for the same %s",
                                   k, obn_in_name(ctx, k), d, (long long)x->dims[d], (long long)s->label_size[l],
                                   l < base ? "letter" : "ellipsis dimension");
            s->label_size[l] = x->dims[d];
        }
    }
    s->out_rank = 0;
    int ell_at = a->explicit_out ? a->out.ellipsis_at : 0;
    for (int i = 0; i <= a->out.n_letters; i++) {
        if (i == ell_at)
            for (int d = 0; d < m.ellipsis_dims; d++) s->out_label[s->out_rank++] = base + d;
        if (i < a->out.n_letters) s->out_label[s->out_rank++] = letter_label(&m, a->out.letter[i]);
    }
    return OBN_OK;
}

static const obn_dtype einsum_types[] = {OBN_UINT8, OBN_UINT16, OBN_UINT32, OBN_UINT64, OBN_INT8,   OBN_INT16,
                                         OBN_INT32, OBN_INT64,  OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};

static obn_status einsum_infer(obn_op_ctx *ctx)
{
    for (int k = 0; k < ctx->n_inputs; k++) {
        OBN_TRY(obn_check_input_dtype(ctx, k, "Inputs", einsum_types));
        if (k) OBN_TRY(obn_check_same_dtype(ctx, k, "Inputs", 0, "Inputs"));
    }
    obn_einsum_spec s;
    OBN_TRY(build_spec(ctx, &s));
    int64_t dims[OBN_EINSUM_MAX_RANK];
    if (s.out_rank > OBN_MAX_RANK)
        return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "the output has rank %d (onnxbn supports up to %d)", s.out_rank, OBN_MAX_RANK);
    for (int i = 0; i < s.out_rank; i++) dims[i] = s.label_size[s.out_label[i]];
    return obn_set_output(ctx, 0, ctx->inputs[0]->dtype, s.out_rank, dims);
}

static obn_status einsum_prepare(obn_op_ctx *ctx, void **state)
{
    obn_einsum_plan *p = malloc(sizeof *p);
    if (!p) return OBN_OOM();
    obn_einsum_spec s;
    obn_status st = build_spec(ctx, &s);
    if (st == OBN_OK && ctx->inputs[0]->dtype == OBN_FLOAT && obn_einsum_plan_f32(&s, ctx->threads, p) != 0)
        st = obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "an intermediate of the contraction is too large (element count overflows)");
    else if (st == OBN_OK && ctx->inputs[0]->dtype != OBN_FLOAT)
        p->spec = s;
    if (st != OBN_OK) {
        free(p);
        return st;
    }
    *state = p;
    return OBN_OK;
}

static size_t einsum_workspace(const obn_op_ctx *ctx)
{
    const obn_einsum_plan *p = ctx->state;
    obn_dtype t = ctx->inputs[0]->dtype;
    if (t == OBN_FLOAT) return p->workspace;
    int64_t n = t == OBN_DOUBLE ? 0 : ctx->outputs[0]->numel;
    for (int k = 0; k < ctx->n_inputs && t != OBN_DOUBLE; k++) n += ctx->inputs[k]->numel;
    return (size_t)n * sizeof(double);
}

static obn_status einsum_run(obn_op_ctx *ctx)
{
    const obn_einsum_plan *p = ctx->state;
    obn_tensor *y = ctx->outputs[0];
    obn_dtype t = y->dtype;
    const void *x[OBN_EINSUM_MAX_OPERANDS];
    for (int k = 0; k < ctx->n_inputs; k++) x[k] = ctx->inputs[k]->data;
    if (t == OBN_FLOAT) {
        obn_einsum_run_f32(p, (const float *const *)x, y->data, ctx->workspace, ctx->threads);
        return OBN_OK;
    }
    if (t == OBN_DOUBLE) {
        obn_einsum_loop_f64(&p->spec, (const double *const *)x, y->data, ctx->threads);
        return OBN_OK;
    }
    /* float16 in double, integers modulo 2^64: widen, loop, narrow */
    bool is_float = t == OBN_FLOAT16;
    char *buf = ctx->workspace;
    for (int k = 0; k < ctx->n_inputs; k++) {
        const obn_tensor *in = ctx->inputs[k];
        for (int64_t i = 0; i < in->numel; i++) {
            if (is_float) ((double *)buf)[i] = obn_load_f64(in, i);
            else ((uint64_t *)buf)[i] = obn_dtype_is_unsigned(t) ? obn_load_u64(in, i) : (uint64_t)obn_load_i64(in, i);
        }
        x[k] = buf;
        buf += (size_t)in->numel * sizeof(double);
    }
    if (is_float) {
        obn_einsum_loop_f64(&p->spec, (const double *const *)x, (double *)buf, ctx->threads);
        for (int64_t i = 0; i < y->numel; i++) obn_store_f64(y, i, ((double *)buf)[i]);
    } else {
        obn_einsum_loop_u64(&p->spec, (const uint64_t *const *)x, (uint64_t *)buf, ctx->threads);
        for (int64_t i = 0; i < y->numel; i++) obn_store_i64(y, i, (int64_t)((uint64_t *)buf)[i]);
    }
    return OBN_OK;
}

static void einsum_describe(const obn_op_ctx *ctx, char *buf, size_t cap)
{
    const obn_einsum_plan *p = ctx->state;
    if (!p || cap == 0) return;
    if (ctx->inputs[0]->dtype != OBN_FLOAT) snprintf(buf, cap, "loop");
    else snprintf(buf, cap, "%d gemm", p->n_steps);
}

static const int versions[] = {12, 0};
static const char *const attr_names[] = {"equation", NULL};
static const obn_op_sig einsum_sigs[] = {{12, "Inputs...", "Output"}, {0}};

const obn_op obn_op_einsum = {
    .domain = "",
    .op_type = "Einsum",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = einsum_sigs,
    .attrs_size = sizeof(einsum_attrs),
    .parse = einsum_parse,
    .infer = einsum_infer,
    .run = einsum_run,
    .prepare = einsum_prepare,
    .free_state = free,
    .workspace = einsum_workspace,
    .describe = einsum_describe,
};
OBN_REGISTER_OP(obn_op_einsum);
