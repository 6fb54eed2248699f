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

/* Mul node m computes x * act(x) with act a Sigmoid or HardSigmoid of x, and
 * x comes from a Conv with nothing fused yet and no other reader: fills
 * *a (the swish to fuse) and returns the Conv's index, else -1. */
static int swish_producer(const obn_graph *g, const obn_node *m, const int *uses, obn_fused_act *a)
{
    if (m->dead || m->since_version < 7 || m->n_inputs != 2 || m->inputs[0] < 0 || m->inputs[1] < 0) return -1;
    for (int k = 0; k < 2; k++) {
        int gate = m->inputs[k], x = m->inputs[1 - k], si = g->values[gate].producer;
        const obn_node *s = si >= 0 ? &g->nodes[si] : NULL;
        if (!s || s->dead || s->n_inputs < 1 || s->inputs[0] != x || s->since_version < 6) continue;
        bool sig = obn_pass_is(s, "Sigmoid"), hard = obn_pass_is(s, "HardSigmoid");
        int pi = g->values[x].producer;
        if (!(sig || hard) || pi < 0 || g->nodes[pi].dead || !obn_pass_is(&g->nodes[pi], "Conv")) continue;
        const obn_node *p = &g->nodes[pi];
        if (p->act.kind != OBN_ACT_NONE || p->outputs[0] != x || uses[x] != 2 || uses[gate] != 1 ||
            obn_graph_is_output(g, x) || obn_graph_is_output(g, gate))
            continue;
        memset(a, 0, sizeof *a);
        a->kind = sig ? OBN_ACT_SWISH : OBN_ACT_HARD_SWISH;
        a->alpha = hard ? obn_pass_attr_float(s, "alpha", 0.2f) : 0.0f;
        a->beta = hard ? obn_pass_attr_float(s, "beta", 0.5f) : 0.0f;
        a->since_version = s->since_version;
        a->mid_value = x;
        a->min_value = a->max_value = -1;
        a->gate_value = gate;
        a->gate_first = k == 0;
        return pi;
    }
    return -1;
}

/* Conv -> x; Sigmoid(x) or HardSigmoid(x) -> gate; Mul(x, gate): the
 * SiLU / hard swish of EfficientNet and MobileNetV3 becomes one pass over the
 * Conv's output (the Conv op applies it after its kernel) instead of a
 * Sigmoid and a Mul, each reading and writing the whole tensor. */
static obn_status fuse_swish(obn_graph *g, const int *uses, obn_pass_log *log)
{
    for (int i = 0; i < g->n_nodes; i++) {
        obn_node *m = &g->nodes[i];
        obn_fused_act a;
        if (!obn_pass_is(m, "Mul")) continue;
        int pi = swish_producer(g, m, uses, &a);
        if (pi < 0) continue;
        obn_node *s = &g->nodes[g->values[a.gate_value].producer], *p = &g->nodes[pi];
        if (obn_strdup(s->name, &a.name) || obn_strdup(s->op_type, &a.op_type) || obn_strdup(m->name, &a.mul_name)) {
            free(a.name);
            free(a.op_type);
            free(a.mul_name);
            return OBN_OOM();
        }
        int y = m->outputs[0];
        p->act = a;
        p->outputs[0] = y;
        g->values[y].producer = pi;
        g->values[a.mid_value].producer = -1;
        g->values[a.gate_value].producer = -1;
        s->dead = m->dead = true;
        obn_pass_log_add(log, "fused %s '%s' and Mul '%s' into %s '%s'", a.op_type, a.name, a.mul_name, p->op_type,
                         p->name);
    }
    return OBN_OK;
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
    if (s == OBN_OK) s = fuse_swish(g, uses, log);
    free(uses);
    return s;
}
