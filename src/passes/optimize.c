/* The pass driver and the shape-inference helper passes use. */
#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "op.h"
#include "passes.h"
#include "plan.h"
#include "status.h"

int *obn_pass_infer_ranks(const obn_graph *g);

/* Ranks of all values, from planning the graph once on its declared input
 * shapes (symbolic dims as 1). NULL when the graph cannot be planned that
 * way (unknown input ranks, data-dependent shapes). */
int *obn_pass_infer_ranks(const obn_graph *g)
{
    int n_in = g->n_inputs;
    obn_tensor *metas = calloc((size_t)(n_in ? n_in : 1), sizeof *metas);
    const obn_tensor **ptrs = calloc((size_t)(n_in ? n_in : 1), sizeof *ptrs);
    void **attrs = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof *attrs);
    int *ranks = NULL;
    bool ok = metas && ptrs && attrs;
    for (int k = 0; ok && k < n_in; k++) {
        const obn_value *v = &g->values[g->inputs[k]];
        int64_t dims[OBN_MAX_RANK];
        if (v->rank < 0) ok = false;
        for (int d = 0; ok && d < v->rank; d++) dims[d] = v->dims[d] < 0 ? 1 : v->dims[d];
        ok = ok && obn_tensor_set_shape(&metas[k], v->dtype, v->rank, dims) == OBN_OK;
        ptrs[k] = &metas[k];
    }
    for (int i = 0; ok && i < g->n_nodes; i++) {
        const obn_node *n = &g->nodes[i];
        if (n->dead || !n->op) {
            ok = false;
            break;
        }
        attrs[i] = calloc(1, n->op->attrs_size ? n->op->attrs_size : 1);
        ok = attrs[i] && n->op->parse(n, n->since_version, attrs[i]) == OBN_OK;
    }
    obn_plan plan;
    obn_plan_env env = g->plan_env ? *g->plan_env : (obn_plan_env){0};
    env.threads = 1;
    if (ok && obn_plan_build(&plan, g, attrs, ptrs, false, &env) == OBN_OK) {
        ranks = malloc((size_t)(g->n_values ? g->n_values : 1) * sizeof *ranks);
        for (int v = 0; ranks && v < g->n_values; v++) ranks[v] = plan.vals[v] ? plan.vals[v]->rank : -1;
        obn_plan_free(&plan);
    }
    for (int i = 0; attrs && i < g->n_nodes; i++) obn_op_free_attrs(g->nodes[i].op, attrs[i]);
    free(attrs);
    free(metas);
    free(ptrs);
    obn_err_clear();
    return ranks;
}

obn_status obn_optimize_graph(obn_graph *g, const obn_pass_options *opts, obn_pass_log *log)
{
    if (opts->fold_batchnorm) {
        OBN_TRY(obn_pass_fold_bn(g, opts->defer_conv_weights, log));
        OBN_TRY(obn_pass_fold_norm_affine(g, log));
    }
    if (opts->fuse_activation) {
        OBN_TRY(obn_pass_remove_identity(g, log));
        OBN_TRY(obn_pass_fuse_gelu(g, log));
        OBN_TRY(obn_pass_fuse_bias(g, log));
    }
    OBN_TRY(obn_graph_toposort(g));
    if (opts->fuse_activation) OBN_TRY(obn_pass_fuse_activation(g, log));
    OBN_TRY(obn_graph_toposort(g));
    return obn_graph_resolve(g);
}
