/* GELU fusion: PyTorch exports nn.GELU() (Erf form) below opset 20 as five
 * element-wise nodes over the same tensor,
 *   y = Mul(Mul(x, Add(Erf(Div(x, sqrt(2))), 1)), 0.5)
 * (torch.onnx's symbolic; also accepted: Mul(x, 1/sqrt(2)) for the Div, the
 * 0.5 applied to x first, Mul(Mul(x, 0.5), Add(...)), and either operand
 * order of every Add and Mul). Each reads and writes the whole MLP hidden
 * tensor; one com.microsoft:Gelu node (ONNX Runtime's contrib op, which
 * onnxbn implements) does it in one vectorised pass. Fires only when every
 * constant is a float scalar equal to the GELU constant (sqrt(2) or
 * 1/sqrt(2) rounded to float, 1, 0.5) and every intermediate has no other
 * reader and is not a graph output. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"
#include "status.h"

/* The float scalar constant of value v, if it is one. */
static bool const_scalar(const obn_graph *g, int v, float *out)
{
    const obn_tensor *t = obn_pass_const(g, v);
    if (!t || t->dtype != OBN_FLOAT || t->numel != 1 || !t->data) return false;
    *out = ((const float *)t->data)[0];
    return true;
}

/* Producer of v if it is a live `op` node with two inputs and one output;
 * else NULL. */
static const obn_node *binary_producer(const obn_graph *g, int v, const char *op)
{
    int p = v >= 0 ? g->values[v].producer : -1;
    if (p < 0) return NULL;
    const obn_node *n = &g->nodes[p];
    if (!obn_pass_is(n, op) || n->n_inputs != 2 || n->n_outputs != 1 || n->inputs[0] < 0 || n->inputs[1] < 0)
        return NULL;
    return n;
}

/* For a binary node n, the input that is not the constant `c`: -1 unless
 * one input is exactly c. */
static int other_than_const(const obn_graph *g, const obn_node *n, float c)
{
    float v;
    for (int k = 0; k < 2; k++)
        if (const_scalar(g, n->inputs[k], &v) && v == c) return n->inputs[1 - k];
    return -1;
}

/* An intermediate the fused node swallows: read once and not an output. */
static bool private_value(const obn_graph *g, const int *uses, int v)
{
    return uses[v] == 1 && !obn_graph_is_output(g, v);
}

typedef struct {
    int x, y;
    int nodes[5]; /* node indices of the chain */
} gelu_match;

/* a = Add(Erf(Div(x, sqrt2) | Mul(x, 1/sqrt2)), 1): x, or -1. */
static int erf_branch(const obn_graph *g, const int *uses, int a, gelu_match *m)
{
    const obn_node *add = binary_producer(g, a, "Add");
    if (!add || !private_value(g, uses, a)) return -1;
    int e = other_than_const(g, add, 1.0f);
    int ep = e >= 0 ? g->values[e].producer : -1;
    if (ep < 0 || !private_value(g, uses, e)) return -1;
    const obn_node *erf = &g->nodes[ep];
    if (!obn_pass_is(erf, "Erf") || erf->n_inputs != 1 || erf->n_outputs != 1 || erf->inputs[0] < 0) return -1;
    int d = erf->inputs[0];
    if (!private_value(g, uses, d)) return -1;
    const obn_node *scale = binary_producer(g, d, "Div");
    float c;
    int x = -1;
    if (scale && const_scalar(g, scale->inputs[1], &c) && c == (float)M_SQRT2) x = scale->inputs[0];
    if (!scale && (scale = binary_producer(g, d, "Mul"))) x = other_than_const(g, scale, (float)M_SQRT1_2);
    if (x < 0) return -1;
    m->nodes[2] = (int)(add - g->nodes);
    m->nodes[3] = ep;
    m->nodes[4] = (int)(scale - g->nodes);
    return x;
}

/* The final Mul y: Mul(Mul(x, a), 0.5) or Mul(Mul(x, 0.5), a) with a the
 * Erf branch of the same x. */
static bool match_gelu(const obn_graph *g, const int *uses, int y, gelu_match *m)
{
    const obn_node *outer = binary_producer(g, y, "Mul");
    if (!outer) return false;
    m->nodes[0] = (int)(outer - g->nodes);
    m->y = y;
    /* form 1: outer = Mul(inner, 0.5), inner = Mul(x, a) */
    int inner_v = other_than_const(g, outer, 0.5f);
    const obn_node *inner = inner_v >= 0 && private_value(g, uses, inner_v) ? binary_producer(g, inner_v, "Mul")
                                                                             : NULL;
    for (int k = 0; inner && k < 2; k++) {
        int x = erf_branch(g, uses, inner->inputs[1 - k], m);
        if (x >= 0 && x == inner->inputs[k]) {
            m->nodes[1] = (int)(inner - g->nodes);
            m->x = x;
            return true;
        }
    }
    /* form 2: outer = Mul(h, a), h = Mul(x, 0.5) */
    for (int k = 0; k < 2; k++) {
        int h = outer->inputs[k];
        const obn_node *half = private_value(g, uses, h) ? binary_producer(g, h, "Mul") : NULL;
        int x = half ? other_than_const(g, half, 0.5f) : -1;
        if (x >= 0 && erf_branch(g, uses, outer->inputs[1 - k], m) == x) {
            m->nodes[1] = (int)(half - g->nodes);
            m->x = x;
            return true;
        }
    }
    return false;
}

/* The graph imports com.microsoft (version 1 at least), for the Gelu node. */
static obn_status import_ms_domain(obn_graph *g)
{
    if (obn_graph_opset(g, "com.microsoft") >= 1) return OBN_OK;
    for (int i = 0; i < g->n_opsets; i++)
        if (strcmp(g->opsets[i].domain, "com.microsoft") == 0) {
            g->opsets[i].version = 1;
            return OBN_OK;
        }
    obn_opset *o = realloc(g->opsets, (size_t)(g->n_opsets + 1) * sizeof *o);
    if (!o) return OBN_OOM();
    g->opsets = o;
    OBN_TRY(obn_strdup("com.microsoft", &o[g->n_opsets].domain));
    o[g->n_opsets++].version = 1;
    return OBN_OK;
}

static obn_status replace(obn_graph *g, const gelu_match *m, obn_pass_log *log)
{
    OBN_TRY(import_ms_domain(g));
    char name[512];
    obn_graph_unique_name(g, g->nodes[m->nodes[0]].name, name, sizeof name);
    /* unique among values, which is enough for a node name in logs and export */
    int id;
    OBN_TRY(obn_graph_add_node(g, name, "Gelu", "com.microsoft", &id));
    OBN_TRY(obn_node_set_io(&g->nodes[id], 1, &m->x, 1, &m->y));
    for (int k = 0; k < 5; k++) g->nodes[m->nodes[k]].dead = true;
    g->values[m->y].producer = id;
    obn_pass_log_add(log, "fused Div/Erf/Add/Mul/Mul ending in '%s' into one Gelu (com.microsoft)",
                     g->values[m->y].name);
    return OBN_OK;
}

obn_status obn_pass_fuse_gelu(obn_graph *g, obn_pass_log *log)
{
    int *uses;
    OBN_TRY(obn_pass_use_counts(g, &uses));
    obn_status s = OBN_OK;
    int n = g->n_nodes; /* nodes added here are not candidates */
    for (int i = 0; i < n && s == OBN_OK; i++) {
        const obn_node *nd = &g->nodes[i];
        gelu_match m;
        if (!obn_pass_is(nd, "Mul") || nd->n_outputs != 1 || nd->outputs[0] < 0) continue;
        if (match_gelu(g, uses, nd->outputs[0], &m)) s = replace(g, &m, log);
    }
    free(uses);
    return s;
}
