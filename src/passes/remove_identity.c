/* Identity-like nodes removed: a Dropout that keeps every element (no mask
 * read; no training_mode input, a constant false one, or a constant ratio
 * of 0) and Identity copy their input unchanged, so their readers can read
 * the input instead (swin_t has 24 Dropouts, each a full copy of an
 * attention or MLP tensor). Kept when the output is a graph output (its
 * name is part of the interface) or a reader binds it into a subgraph (the
 * subgraph refers to it by name). */
#include <stdlib.h>

#include "passes.h"
#include "status.h"

/* Dropout that copies its input: only output 0 is read, and training mode
 * is off or the ratio is 0. */
static bool is_inference_dropout(const obn_graph *g, const obn_node *n, const int *uses)
{
    if (!obn_pass_is(n, "Dropout") || n->n_inputs < 1 || n->inputs[0] < 0) return false;
    if (n->n_outputs > 1 && n->outputs[1] >= 0 && (uses[n->outputs[1]] || obn_graph_is_output(g, n->outputs[1])))
        return false;
    if (n->since_version < 12 || n->n_inputs < 3 || n->inputs[2] < 0) return true;
    const obn_tensor *t = obn_pass_const(g, n->inputs[2]);
    if (t && t->dtype == OBN_BOOL && t->numel == 1 && t->data && !((const uint8_t *)t->data)[0]) return true;
    /* training mode with a constant ratio of 0 keeps every element too
     * (PyTorch exports nn.Dropout(0.0) this way) */
    const obn_tensor *r = n->inputs[1] >= 0 ? obn_pass_const(g, n->inputs[1]) : NULL;
    return r && r->dtype == OBN_FLOAT && r->numel == 1 && r->data && ((const float *)r->data)[0] == 0.0f;
}

/* No reader of v passes it into a subgraph. */
static bool only_formal_readers(const obn_graph *g, int v)
{
    for (int i = 0; i < g->n_nodes; i++) {
        const obn_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = obn_node_n_formal(n); k < n->n_inputs; k++)
            if (n->inputs[k] == v) return false;
    }
    return true;
}

obn_status obn_pass_remove_identity(obn_graph *g, obn_pass_log *log)
{
    int *uses;
    OBN_TRY(obn_pass_use_counts(g, &uses));
    for (int i = 0; i < g->n_nodes; i++) {
        obn_node *n = &g->nodes[i];
        bool identity = obn_pass_is(n, "Identity") && n->n_inputs == 1 && n->inputs[0] >= 0;
        if (!identity && !is_inference_dropout(g, n, uses)) continue;
        int x = n->inputs[0], y = n->outputs[0];
        if (y < 0 || obn_graph_is_output(g, y) || !only_formal_readers(g, y)) continue;
        for (int j = 0; j < g->n_nodes; j++) {
            obn_node *r = &g->nodes[j];
            if (r->dead) continue;
            for (int k = 0; k < r->n_inputs; k++)
                if (r->inputs[k] == y) r->inputs[k] = x;
            if (r->act.min_value == y) r->act.min_value = x; /* a fused Clip's bounds */
            if (r->act.max_value == y) r->act.max_value = x;
        }
        n->dead = true;
        g->values[y].producer = -1;
        obn_pass_log_add(log, "removed %s '%s' (its readers read '%s')", n->op_type, n->name, g->values[x].name);
    }
    free(uses);
    return OBN_OK;
}
