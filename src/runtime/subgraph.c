#include "subgraph.h"

#include <stdlib.h>
#include <string.h>

#include "status.h"

obn_status obn_subgraph_create(const obn_graph *g, obn_subgraph **out)
{
    *out = NULL;
    obn_subgraph *sg = calloc(1, sizeof *sg);
    if (!sg) return OBN_OOM();
    sg->g = g;
    sg->attrs = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof *sg->attrs);
    sg->in = calloc((size_t)(g->n_inputs ? g->n_inputs : 1), sizeof *sg->in);
    obn_status s = sg->attrs && sg->in ? OBN_OK : OBN_OOM();
    for (int i = 0; s == OBN_OK && i < g->n_nodes; i++) {
        const obn_node *n = &g->nodes[i];
        sg->attrs[i] = calloc(1, n->op->attrs_size ? n->op->attrs_size : 1);
        s = sg->attrs[i] ? n->op->parse(n, n->since_version, sg->attrs[i]) : OBN_OOM();
    }
    if (s != OBN_OK) {
        obn_subgraph_destroy(sg);
        return s;
    }
    *out = sg;
    return OBN_OK;
}

void obn_subgraph_destroy(obn_subgraph *sg)
{
    if (!sg) return;
    if (sg->have_plan) obn_plan_free(&sg->plan);
    for (int i = 0; sg->attrs && i < sg->g->n_nodes; i++) obn_op_free_attrs(sg->g->nodes[i].op, sg->attrs[i]);
    free(sg->attrs);
    free(sg->in);
    free(sg);
}

void obn_subgraph_bind_outer(obn_subgraph *sg, const obn_op_ctx *ctx)
{
    int base = obn_node_outer_base(ctx->node, sg->g), first = obn_subgraph_n_formal(sg);
    for (int k = 0; k < sg->g->n_outer; k++) sg->in[first + k] = ctx->inputs[base + k];
}

/* A body's plan runs under its node's threads, limits and cancellation; no
 * observer (that follows the nodes of the session's own graph). */
static obn_plan_env env_of(const obn_op_ctx *ctx)
{
    return (obn_plan_env){.threads = ctx->threads, .limits = ctx->limits, .run = ctx->run};
}

/* The static plan was made for inputs of these types and shapes. */
static bool plan_matches(const obn_subgraph *sg)
{
    if (!sg->have_plan || sg->plan.eager) return false;
    for (int k = 0; k < sg->g->n_inputs; k++) {
        const obn_tensor *p = sg->plan.vals[sg->g->inputs[k]], *t = sg->in[k];
        if (p->dtype != t->dtype || p->rank != t->rank) return false;
        for (int d = 0; d < t->rank; d++)
            if (p->dims[d] != t->dims[d]) return false;
    }
    return true;
}

static void drop_plan(obn_subgraph *sg)
{
    if (sg->have_plan) obn_plan_free(&sg->plan);
    sg->have_plan = false;
}

obn_status obn_subgraph_infer(obn_subgraph *sg, const obn_op_ctx *ctx)
{
    if (plan_matches(sg)) return OBN_OK;
    drop_plan(sg);
    if (sg->dynamic) return OBN_DEFER;
    obn_plan_env env = env_of(ctx);
    obn_status s = obn_plan_build(&sg->plan, sg->g, sg->attrs, sg->in, false, &env);
    if (s == OBN_DEFER) sg->dynamic = true;
    sg->have_plan = s == OBN_OK;
    return s;
}

obn_status obn_subgraph_run(obn_subgraph *sg, const obn_op_ctx *ctx)
{
    obn_plan_env env = env_of(ctx);
    if (!sg->dynamic) {
        obn_status s = obn_subgraph_infer(sg, ctx);
        if (s == OBN_OK) return obn_plan_run(&sg->plan, sg->g, sg->in, &env);
        if (s != OBN_DEFER) return s;
    }
    drop_plan(sg);
    OBN_TRY(obn_plan_build(&sg->plan, sg->g, sg->attrs, sg->in, true, &env));
    sg->have_plan = true;
    return OBN_OK;
}

const obn_tensor *obn_subgraph_output(const obn_subgraph *sg, int k) { return sg->plan.vals[sg->g->outputs[k]]; }
