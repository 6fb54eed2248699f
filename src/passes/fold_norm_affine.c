/* Per-channel affine folding into InstanceNormalization and
 * GroupNormalization-21. Both end in a per-channel affine map,
 *   y = n * scale[c] + bias[c]     (n: the standardised input),
 * so a following Mul or Add by a constant that is the same for every element
 * of a channel folds into their constant parameters and disappears:
 *   Mul(y, m): scale' = scale * m[c], bias' = bias * m[c]
 *   Add(y, a): bias' = bias + a[c]
 * Chains (Mul then Add, ...) fold one node at a time. GroupNormalization-18
 * has one scale/bias per group and cannot absorb a per-channel factor.
 * Guards: the norm's output feeds only that node and is not a graph output,
 * scale/bias and the operand are constant float or double tensors of the
 * norm's type, and the operand broadcasts along the channel axis only
 * ([C], [1,C,1,1], [C,1,1], a scalar, ... in the norm's rank; Mul/Add before
 * version 7 need broadcast=1 with an axis that puts it there). Computed in
 * double and rounded once; a value the type cannot hold refuses the fold.
 * Every refusal is logged with its reason. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"
#include "status.h"

typedef struct {
    obn_graph *g;
    obn_pass_log *log;
    int *uses;
    const int *ranks; /* inferred ranks of all values, or NULL */
    char why[512];    /* reason of the last refusal */
} fold_ctx;

static double load(const obn_tensor *t, int64_t i)
{
    return t->dtype == OBN_FLOAT ? ((const float *)t->data)[i] : ((const double *)t->data)[i];
}

static bool float_or_double(const obn_tensor *t) { return t->dtype == OBN_FLOAT || t->dtype == OBN_DOUBLE; }

static bool store(fold_ctx *fc, obn_tensor *t, int64_t i, double v)
{
    if (!isfinite(v) || (t->dtype == OBN_FLOAT && fabs(v) > FLT_MAX)) {
        snprintf(fc->why, sizeof fc->why, "the folded parameters would overflow %s (|value| %.3g)",
                 obn_dtype_name(t->dtype), v);
        return false;
    }
    if (t->dtype == OBN_FLOAT) ((float *)t->data)[i] = (float)v;
    else ((double *)t->data)[i] = v;
    return true;
}

/* The only live node reading `value` (NULL if none or several). */
static obn_node *sole_consumer(const obn_graph *g, int value, int *index)
{
    obn_node *found = NULL;
    for (int i = 0; i < g->n_nodes; i++) {
        obn_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->n_inputs; k++)
            if (n->inputs[k] == value) {
                if (found && found != n) return NULL;
                found = n;
                *index = i;
            }
    }
    return found;
}

/* Some live Mul/Add reading `value` (for the log when the output is shared). */
static const obn_node *some_affine_consumer(const obn_graph *g, int value)
{
    for (int i = 0; i < g->n_nodes; i++) {
        const obn_node *n = &g->nodes[i];
        if (!obn_pass_is(n, "Mul") && !obn_pass_is(n, "Add")) continue;
        for (int k = 0; k < n->n_inputs; k++)
            if (n->inputs[k] == value) return n;
    }
    return NULL;
}

/* Rank of the norm's output: inferred, else the declared rank of X. */
static int norm_rank(const fold_ctx *fc, const obn_node *norm)
{
    int x = norm->inputs[0], y = norm->outputs[0];
    if (fc->ranks && fc->ranks[y] >= 0) return fc->ranks[y];
    return fc->g->values[x].rank;
}

/* Position in the norm's rank of the operand's first dim: numpy alignment
 * from version 7, the legacy broadcast/axis attributes before. false (with
 * why) if the legacy attributes do not broadcast the operand onto the norm's
 * output. */
static bool operand_offset(fold_ctx *fc, const obn_node *op, int norm_input, const obn_tensor *t, int rank, int *off)
{
    *off = rank - t->rank;
    if (op->since_version >= 7) return true;
    if (norm_input != 0 || obn_pass_attr_int(op, "broadcast", 0) != 1) {
        snprintf(fc->why, sizeof fc->why, "%s-%d broadcasts only with broadcast=1 and the constant as its second input",
                 op->op_type, op->since_version);
        return false;
    }
    const obn_attr *axis = obn_node_attr(op, "axis");
    if (axis && axis->type == OBN_ATTR_INT && axis->i >= -rank && axis->i < rank)
        *off = (int)(axis->i < 0 ? axis->i + rank : axis->i);
    else if (axis)
        *off = -1; /* out of range: refused as not per channel */
    return true;
}

/* The operand is one value per channel (or one value): its dims are 1
 * except at the channel axis (1), where it may be C, and it does not raise
 * the output's rank. */
static bool per_channel(fold_ctx *fc, const obn_node *op, int norm_input, const obn_tensor *t, int rank, int64_t c)
{
    int off;
    if (!operand_offset(fc, op, norm_input, t, rank, &off)) return false;
    bool ok = off >= 0 && off + t->rank <= rank;
    for (int d = 0; ok && d < t->rank; d++) ok = t->dims[d] == 1 || (off + d == 1 && t->dims[d] == c);
    if (!ok) {
        char sh[OBN_SHAPE_STR_CAP];
        snprintf(fc->why, sizeof fc->why,
                 "its constant '%s' has shape %s, not one value per channel of the rank-%d output (C=%lld)",
                 t->name ? t->name : "", obn_shape_str(t->rank, t->dims, sh, sizeof sh), rank, (long long)c);
    }
    return ok;
}

/* Checks the norm itself: constant float/double scale and bias, per-channel. */
static bool norm_params(fold_ctx *fc, const obn_node *norm, const obn_tensor **s, const obn_tensor **b)
{
    const obn_graph *g = fc->g;
    if (obn_pass_is(norm, "GroupNormalization") && norm->since_version < 21) {
        snprintf(fc->why, sizeof fc->why,
                 "GroupNormalization-%d has one scale and bias per group, which cannot take a per-channel factor",
                 norm->since_version);
        return false;
    }
    *s = obn_pass_const(g, norm->inputs[1]);
    *b = obn_pass_const(g, norm->inputs[2]);
    if (!*s || !*b) {
        snprintf(fc->why, sizeof fc->why, "its scale or bias ('%s', '%s') is not constant", g->values[norm->inputs[1]].name,
                 g->values[norm->inputs[2]].name);
        return false;
    }
    if (!float_or_double(*s) || (*s)->dtype != (*b)->dtype || (*s)->numel != (*b)->numel) {
        snprintf(fc->why, sizeof fc->why, "its scale and bias are %s/%s of %lld/%lld values (folding handles float and double)",
                 obn_dtype_name((*s)->dtype), obn_dtype_name((*b)->dtype), (long long)(*s)->numel,
                 (long long)(*b)->numel);
        return false;
    }
    return true;
}

/* scale' and bias' of folding node `op` (Mul or Add by t) into s, b. */
static obn_status folded_params(fold_ctx *fc, bool mul, const obn_tensor *s, const obn_tensor *b, const obn_tensor *t,
                                obn_tensor **ns, obn_tensor **nb, bool *ok)
{
    *ok = false;
    OBN_TRY(obn_tensor_new(s->dtype, s->rank, s->dims, ns));
    obn_status st = obn_tensor_new(b->dtype, b->rank, b->dims, nb);
    if (st != OBN_OK) return st;
    bool good = true;
    for (int64_t c = 0; good && c < s->numel; c++) {
        double v = load(t, t->numel == 1 ? 0 : c);
        good = store(fc, *ns, c, mul ? load(s, c) * v : load(s, c)) &&
               store(fc, *nb, c, mul ? load(b, c) * v : load(b, c) + v);
    }
    *ok = good;
    return OBN_OK;
}

/* Adds t as an initializer named "<name of the value it replaces>_affine"
 * (once: a chain of folds does not stack the suffix). */
static obn_status add_param(obn_graph *g, int replaced, obn_tensor *t, int *id)
{
    static const char suffix[] = "_affine";
    const char *name = g->values[replaced].name;
    size_t len = strlen(name), sl = sizeof suffix - 1;
    if (len >= sl && strcmp(name + len - sl, suffix) == 0) len -= sl;
    char base[400];
    snprintf(base, sizeof base, "%.*s%s", (int)(len < 300 ? len : 300), name, suffix);
    return obn_pass_add_init(g, base, t, id);
}

/* The norm takes the new parameters and writes op's output; op goes. */
static obn_status rewire(fold_ctx *fc, int ni, int oi, int operand, obn_tensor *ns, obn_tensor *nb)
{
    obn_graph *g = fc->g;
    int sid, bid;
    OBN_TRY(add_param(g, g->nodes[ni].inputs[1], ns, &sid));
    OBN_TRY(add_param(g, g->nodes[ni].inputs[2], nb, &bid));
    obn_node *norm = &g->nodes[ni], *op = &g->nodes[oi];
    int y = norm->outputs[0], out = op->outputs[0];
    norm->inputs[1] = sid;
    norm->inputs[2] = bid;
    norm->outputs[0] = out;
    g->values[out].producer = ni;
    g->values[y].producer = -1;
    fc->uses[y] = 0;
    fc->uses[operand]--;
    op->dead = true;
    return OBN_OK;
}

/* Folds the Mul/Add that reads norm ni's output, if every guard holds.
 * op_desc names the Mul/Add considered (empty: none reads the output);
 * *done: folded (the next one may follow), else why says what failed. */
static obn_status fold_next(fold_ctx *fc, int ni, bool *done, char *op_desc, size_t cap)
{
    obn_graph *g = fc->g;
    const obn_node *norm = &g->nodes[ni];
    int y = norm->outputs[0], oi = -1;
    *done = false;
    op_desc[0] = '\0';
    const obn_node *op = sole_consumer(g, y, &oi);
    if (!op || !(obn_pass_is(op, "Mul") || obn_pass_is(op, "Add"))) {
        const obn_node *any = some_affine_consumer(g, y);
        if (!any) return OBN_OK; /* nothing to fold */
        snprintf(op_desc, cap, "%s '%s'", any->op_type, any->name);
        snprintf(fc->why, sizeof fc->why, "the output '%s' of %s '%s' has %d consumers", g->values[y].name,
                 norm->op_type, norm->name, fc->uses[y]);
        return OBN_OK;
    }
    snprintf(op_desc, cap, "%s '%s'", op->op_type, op->name);
    if (obn_graph_is_output(g, y)) {
        snprintf(fc->why, sizeof fc->why, "the output '%s' of %s '%s' is a graph output", g->values[y].name,
                 norm->op_type, norm->name);
        return OBN_OK;
    }
    if (fc->uses[y] != 1 || op->n_inputs != 2 || op->act.kind != OBN_ACT_NONE) {
        snprintf(fc->why, sizeof fc->why, "it reads '%s' more than once or carries a fused activation", g->values[y].name);
        return OBN_OK;
    }
    int norm_input = op->inputs[0] == y ? 0 : 1, operand = op->inputs[1 - norm_input];
    const obn_tensor *t = obn_pass_const(g, operand), *s, *b;
    if (!t) {
        snprintf(fc->why, sizeof fc->why, "its other input '%s' is not constant", g->values[operand].name);
        return OBN_OK;
    }
    if (!norm_params(fc, norm, &s, &b)) return OBN_OK;
    if (t->dtype != s->dtype) {
        snprintf(fc->why, sizeof fc->why, "its constant '%s' is %s, the norm's parameters %s", g->values[operand].name,
                 obn_dtype_name(t->dtype), obn_dtype_name(s->dtype));
        return OBN_OK;
    }
    int rank = norm_rank(fc, norm);
    if (rank < 2) {
        snprintf(fc->why, sizeof fc->why, "the rank of '%s' is not known", g->values[y].name);
        return OBN_OK;
    }
    if (!per_channel(fc, op, norm_input, t, rank, s->numel)) return OBN_OK;
    obn_tensor *ns = NULL, *nb = NULL;
    bool ok;
    obn_status st = folded_params(fc, obn_pass_is(op, "Mul"), s, b, t, &ns, &nb, &ok);
    if (st == OBN_OK && ok) {
        st = rewire(fc, ni, oi, operand, ns, nb);
        *done = st == OBN_OK;
    }
    obn_tensor_release(ns);
    obn_tensor_release(nb);
    return st;
}

/* Folds every Mul/Add chain after one norm and logs each decision. */
static obn_status fold_norm(fold_ctx *fc, int ni)
{
    char norm_desc[300], op_desc[300];
    snprintf(norm_desc, sizeof norm_desc, "%s '%s'", fc->g->nodes[ni].op_type, fc->g->nodes[ni].name);
    for (;;) {
        bool done;
        OBN_TRY(fold_next(fc, ni, &done, op_desc, sizeof op_desc));
        if (!op_desc[0]) return OBN_OK;
        if (!done) {
            obn_pass_log_add(fc->log, "kept %s after %s: %s", op_desc, norm_desc, fc->why);
            return OBN_OK;
        }
        obn_pass_log_add(fc->log, "folded %s into %s", op_desc, norm_desc);
    }
}

/* Ranks of all values from a shape-inference run on the declared input
 * shapes (optimize.c); NULL when that is not possible. */
int *obn_pass_infer_ranks(const obn_graph *g);

obn_status obn_pass_fold_norm_affine(obn_graph *g, obn_pass_log *log)
{
    bool any = false;
    for (int i = 0; i < g->n_nodes && !any; i++)
        any = obn_pass_is(&g->nodes[i], "InstanceNormalization") || obn_pass_is(&g->nodes[i], "GroupNormalization");
    if (!any) return OBN_OK;
    fold_ctx fc = {g, log, NULL, NULL, ""};
    OBN_TRY(obn_pass_use_counts(g, &fc.uses));
    int *ranks = obn_pass_infer_ranks(g);
    fc.ranks = ranks;
    obn_status s = OBN_OK;
    for (int i = 0; i < g->n_nodes && s == OBN_OK; i++)
        if (obn_pass_is(&g->nodes[i], "InstanceNormalization") || obn_pass_is(&g->nodes[i], "GroupNormalization"))
            s = fold_norm(&fc, i);
    free(ranks);
    free(fc.uses);
    return s;
}
