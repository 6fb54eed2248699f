/* Bias fusion: the MatMul of a linear layer on a 3-D or 4-D activation is
 * exported by PyTorch as MatMul(x, W) followed by Add(., b) with b a
 * constant [N] (nn.Linear on [B, T, C] or NHWC tensors: every MLP and
 * attention projection of ViT, Swin and ConvNeXt). The Add reads and writes
 * the whole output again; fused, the MatMul adds b to each GEMM tile in its
 * epilogue (a per-column bias), with the same single float rounding of the
 * sum as the separate Add. ONNX Runtime gets the same by rewriting the pair
 * into Gemm (MatMulAddFusion).
 *
 * Fires when B is a constant 2-D float [K, N], the other input of the Add is
 * an initializer, 1-D float [N] (a rank-1 bias cannot change the output's shape
 * or rank), and the MatMul's output has no other reader and is not a graph
 * output. The node keeps what export needs to write the Add back out. */
#include <stdlib.h>
#include <string.h>

#include "passes.h"
#include "status.h"

/* The constant 1-D float [n] bias among the Add's inputs other than x: its
 * value id, or -1. */
static int bias_input(const obn_graph *g, const obn_node *add, int x, int64_t n, bool *first)
{
    for (int k = 0; k < 2; k++) {
        if (add->inputs[1 - k] != x || add->inputs[k] == x) continue;
        const obn_tensor *t = g->values[add->inputs[k]].init; /* an initializer, which stays in the graph */
        if (t && t->dtype == OBN_FLOAT && t->rank == 1 && t->dims[0] == n && t->data) {
            *first = k == 0;
            return add->inputs[k];
        }
    }
    return -1;
}

obn_status obn_pass_fuse_bias(obn_graph *g, obn_pass_log *log)
{
    int *uses;
    OBN_TRY(obn_pass_use_counts(g, &uses));
    /* the one reader of each value read once */
    int *reader = malloc((size_t)(g->n_values ? g->n_values : 1) * sizeof *reader);
    if (!reader) {
        free(uses);
        return OBN_OOM();
    }
    for (int v = 0; v < g->n_values; v++) reader[v] = -1;
    for (int i = 0; i < g->n_nodes; i++) {
        const obn_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->n_inputs; k++)
            if (n->inputs[k] >= 0) reader[n->inputs[k]] = i;
    }
    obn_status s = OBN_OK;
    for (int i = 0; i < g->n_nodes && s == OBN_OK; i++) {
        obn_node *m = &g->nodes[i];
        if (!obn_pass_is(m, "MatMul") || m->n_inputs != 2 || m->n_outputs != 1 || m->bias.on ||
            m->act.kind != OBN_ACT_NONE || m->inputs[0] < 0 || m->inputs[1] < 0)
            continue;
        const obn_tensor *w = obn_pass_const(g, m->inputs[1]);
        int x = m->outputs[0];
        if (!w || w->dtype != OBN_FLOAT || w->rank != 2 || x < 0 || uses[x] != 1 || obn_graph_is_output(g, x))
            continue;
        int ai = reader[x];
        obn_node *add = ai >= 0 ? &g->nodes[ai] : NULL;
        if (!add || !obn_pass_is(add, "Add") || add->n_inputs != 2 || add->n_outputs != 1 || add->outputs[0] < 0)
            continue;
        bool first = false;
        int b = bias_input(g, add, x, w->dims[1], &first);
        if (b < 0) continue;
        obn_fused_bias fb = {true, b, NULL, x, NULL, first};
        if (obn_strdup(add->name, &fb.add_name)) {
            s = OBN_OOM();
            break;
        }
        fb.data = obn_tensor_retain(g->values[b].init);
        int y = add->outputs[0];
        m->bias = fb;
        m->outputs[0] = y;
        g->values[y].producer = i;
        g->values[x].producer = -1;
        add->dead = true;
        obn_pass_log_add(log, "fused Add '%s' (bias [%lld]) into MatMul '%s'", add->name, (long long)w->dims[1],
                         m->name);
    }
    free(reader);
    free(uses);
    return s;
}
