/* Activation fusion: a Relu, Clip or LeakyRelu whose input is produced by a
 * Conv or Gemm (or a Relu after an unfoldable BatchNormalization or an Add,
 * as in residual blocks) becomes part
 * of that node, applied in its kernel epilogue while the output tile is still
 * in registers or cache: one pass over the activation instead of two. The IR
 * keeps what export needs to write the standard node back out. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"
#include "status.h"

/* Reads a constant scalar min/max input of Clip >= 11. */
static bool clip_bound(const obn_graph *g, const obn_node *n, int k, float def, float *out, int *value)
{
    *out = def;
    *value = -1;
    if (k >= n->n_inputs || n->inputs[k] < 0) return true;
    const obn_tensor *t = obn_pass_const(g, n->inputs[k]);
    if (!t || t->numel != 1 || t->dtype != OBN_FLOAT) return false;
    *out = ((const float *)t->data)[0];
    *value = n->inputs[k];
    return true;
}

/* Describes the activation node; false (with *why) if it cannot be fused. */
static bool describe(const obn_graph *g, const obn_node *n, obn_fused_act *a, const char **why)
{
    memset(a, 0, sizeof *a);
    a->min_value = a->max_value = -1;
    a->since_version = n->since_version;
    if (obn_pass_is(n, "Relu")) {
        a->kind = OBN_ACT_RELU;
        a->lo = 0.0f;
        a->hi = INFINITY;
    } else if (obn_pass_is(n, "LeakyRelu")) {
        a->kind = OBN_ACT_LEAKY_RELU;
        a->alpha = obn_pass_attr_float(n, "alpha", 0.01f);
        a->lo = -INFINITY;
        a->hi = INFINITY;
    } else if (obn_pass_is(n, "Clip")) {
        a->kind = OBN_ACT_CLIP;
        if (n->since_version < 11) {
            a->lo = obn_pass_attr_float(n, "min", -FLT_MAX);
            a->hi = obn_pass_attr_float(n, "max", FLT_MAX);
        } else if (!clip_bound(g, n, 1, -INFINITY, &a->lo, &a->min_value) ||
                   !clip_bound(g, n, 2, INFINITY, &a->hi, &a->max_value)) {
            *why = "its min/max inputs are not constant float scalars";
            return false;
        }
    } else {
        return false;
    }
    return true;
}

/* Which producers can apply which activations in their epilogue. */
static bool producer_accepts(const obn_node *p, obn_act_kind kind)
{
    if (obn_pass_is(p, "Conv") || obn_pass_is(p, "Gemm")) return true;
    if (obn_pass_is(p, "BatchNormalization")) return kind == OBN_ACT_RELU;
    if (obn_pass_is(p, "Add")) return kind == OBN_ACT_RELU; /* residual blocks: Add -> Relu */
    return false;
}

obn_status obn_pass_fuse_activation(obn_graph *g, obn_pass_log *log)
{
    int *uses;
    OBN_TRY(obn_pass_use_counts(g, &uses));
    obn_status s = OBN_OK;
    for (int i = 0; i < g->n_nodes && s == OBN_OK; i++) {
        obn_node *act = &g->nodes[i];
        obn_fused_act a;
        const char *why = NULL;
        if (act->dead || act->n_inputs < 1 || act->inputs[0] < 0) continue;
        if (!describe(g, act, &a, &why)) {
            if (why) obn_pass_log_add(log, "kept %s '%s' separate: %s", act->op_type, act->name, why);
            continue;
        }
        int x = act->inputs[0], pi = g->values[x].producer;
        obn_node *p = pi >= 0 ? &g->nodes[pi] : NULL;
        if (!p || p->dead || !producer_accepts(p, a.kind)) continue; /* nothing to fuse into: not worth a line */
        if (p->act.kind != OBN_ACT_NONE) why = "its producer already has a fused activation";
        else if (uses[x] != 1 || obn_graph_is_output(g, x)) why = "its input is also used elsewhere";
        else if (p->outputs[0] != x) why = "it does not read the producer's main output";
        if (why) {
            obn_pass_log_add(log, "kept %s '%s' separate from %s '%s': %s", act->op_type, act->name, p->op_type,
                             p->name, why);
            continue;
        }
        a.name = strdup(act->name);
        a.op_type = strdup(act->op_type);
        if (!a.name || !a.op_type) {
            free(a.name);
            free(a.op_type);
            s = OBN_OOM();
            break;
        }
        a.mid_value = x;
        int y = act->outputs[0];
        p->act = a;
        p->outputs[0] = y;
        g->values[y].producer = pi;
        g->values[x].producer = -1;
        act->dead = true;
        obn_pass_log_add(log, "fused %s '%s' into %s '%s'", a.op_type, a.name, p->op_type, p->name);
    }
    free(uses);
    return s;
}
