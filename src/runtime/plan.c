#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "status.h"

/* Buffers start on 64-byte boundaries: one cache line, and the widest
 * vector load (AVX-512) is then aligned. */
#define OBN_ALIGN 64

static size_t align_up(size_t n) { return (n + OBN_ALIGN - 1) & ~(size_t)(OBN_ALIGN - 1); }

void obn_plan_free(obn_plan *p)
{
    if (!p) return;
    obn_profile_report(p);
    free(p->prof_sec);
    for (int i = 0; i < p->n_steps; i++) {
        obn_step *st = &p->steps[i];
        if (st->ctx.state && st->ctx.node && st->ctx.node->op->free_state)
            st->ctx.node->op->free_state(st->ctx.state);
        free(st->io);
    }
    free(p->steps);
    if (p->vals)
        for (int v = 0; v < p->n_values; v++) obn_tensor_release(p->vals[v]);
    free(p->vals);
    free(p->arena);
    free(p->workspace);
    memset(p, 0, sizeof *p);
}

/* A tensor describing value v, named after it, with no data yet. */
static obn_status new_value_tensor(const obn_value *v, obn_tensor **out)
{
    obn_tensor *t = calloc(1, sizeof *t);
    if (!t) return OBN_OOM();
    t->refs = 1;
    t->rank = 0;
    if (obn_strdup(v->name, &t->name)) {
        free(t);
        return OBN_OOM();
    }
    *out = t;
    return OBN_OK;
}

/* Executes one node now, allocating its outputs (constant folding, or a
 * whole eager run). */
static obn_status run_now(obn_op_ctx *ctx)
{
    const obn_op *op = ctx->node->op;
    for (int k = 0; k < ctx->n_outputs; k++)
        if (ctx->outputs[k]) OBN_TRY(obn_tensor_alloc(ctx->outputs[k]));
    void *state = NULL, *ws = NULL;
    obn_status s = OBN_OK;
    if (op->prepare) s = op->prepare(ctx, &state);
    ctx->state = state;
    if (s == OBN_OK && op->workspace) {
        size_t n = op->workspace(ctx);
        if (n && !(ws = malloc(n))) s = OBN_OOM();
    }
    ctx->workspace = ws;
    if (s == OBN_OK) s = op->run(ctx);
    if (state && op->free_state) op->free_state(state);
    free(ws);
    ctx->state = NULL;
    ctx->workspace = NULL;
    return s;
}

/* Lifetimes: last step index (in node order) that reads each value. */
static obn_status compute_last_use(const obn_graph *g, int **out)
{
    int *last = malloc((size_t)(g->n_values ? g->n_values : 1) * sizeof *last);
    if (!last) return OBN_OOM();
    for (int v = 0; v < g->n_values; v++) last[v] = -1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++)
            if (g->nodes[i].inputs[k] >= 0) last[g->nodes[i].inputs[k]] = i;
    for (int k = 0; k < g->n_outputs; k++) last[g->outputs[k]] = g->n_nodes; /* live to the end */
    *out = last;
    return OBN_OK;
}

typedef struct {
    size_t size, offset;
    int first, last; /* node indices */
    int value;
} buffer_req;

static int cmp_size_desc(const void *a, const void *b)
{
    const buffer_req *x = a, *y = b;
    if (x->size != y->size) return x->size < y->size ? 1 : -1;
    return x->first - y->first;
}

/* Greedy best-fit by decreasing size: each buffer goes at the lowest offset
 * that does not overlap a placed buffer whose lifetime overlaps its own. */
static size_t place_buffers(buffer_req *reqs, int n)
{
    qsort(reqs, (size_t)n, sizeof *reqs, cmp_size_desc);
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        size_t offset = 0;
        bool moved = true;
        while (moved) {
            moved = false;
            for (int j = 0; j < i; j++) {
                if (reqs[j].last < reqs[i].first || reqs[i].last < reqs[j].first) continue;
                if (offset < reqs[j].offset + reqs[j].size && reqs[j].offset < offset + reqs[i].size) {
                    offset = reqs[j].offset + reqs[j].size;
                    moved = true;
                }
            }
        }
        reqs[i].offset = offset;
        if (offset + reqs[i].size > total) total = offset + reqs[i].size;
    }
    return total;
}

static obn_status assign_arena(obn_plan *p, const obn_graph *g, const int *last_use)
{
    int n = 0;
    buffer_req *reqs = malloc((size_t)(g->n_values ? g->n_values : 1) * sizeof *reqs);
    if (!reqs) return OBN_OOM();
    for (int s = 0; s < p->n_steps; s++) {
        const obn_node *node = &g->nodes[p->steps[s].node];
        for (int k = 0; k < node->n_outputs; k++) {
            int v = node->outputs[k];
            if (v < 0) continue;
            buffer_req *r = &reqs[n++];
            r->value = v;
            r->size = align_up(p->vals[v]->nbytes ? p->vals[v]->nbytes : 1);
            r->first = p->steps[s].node;
            r->last = last_use[v] < r->first ? r->first : last_use[v];
        }
    }
    size_t total = place_buffers(reqs, n);
    p->arena_bytes = total;
    if (total) {
        p->arena = aligned_alloc(OBN_ALIGN, align_up(total));
        if (!p->arena) {
            free(reqs);
            return OBN_OOM();
        }
    }
    for (int i = 0; i < n; i++) p->vals[reqs[i].value]->data = (char *)p->arena + reqs[i].offset;
    free(reqs);
    return OBN_OK;
}

static obn_status bind_inputs(obn_plan *p, const obn_graph *g, const obn_tensor *const *inputs, bool with_data)
{
    for (int k = 0; k < g->n_inputs; k++) {
        int v = g->inputs[k];
        obn_tensor *t = p->vals[v];
        OBN_TRY(obn_tensor_set_shape(t, inputs[k]->dtype, inputs[k]->rank, inputs[k]->dims));
        t->data = with_data ? inputs[k]->data : NULL;
        t->owns_data = false;
    }
    return OBN_OK;
}

static obn_status init_values(obn_plan *p, const obn_graph *g)
{
    p->n_values = g->n_values;
    p->vals = calloc((size_t)(g->n_values ? g->n_values : 1), sizeof *p->vals);
    if (!p->vals) return OBN_OOM();
    for (int v = 0; v < g->n_values; v++) {
        const obn_value *val = &g->values[v];
        if (val->init) {
            p->vals[v] = obn_tensor_retain(val->init);
        } else if (val->is_input || val->producer >= 0) {
            OBN_TRY(new_value_tensor(val, &p->vals[v]));
        }
    }
    return OBN_OK;
}

static bool all_inputs_known(const obn_op_ctx *ctx)
{
    for (int k = 0; k < ctx->n_inputs; k++)
        if (ctx->inputs[k] && !ctx->inputs[k]->data) return false;
    return true;
}

/* Eager runs release intermediates after their last reader. */
static void release_dead(obn_plan *p, const obn_graph *g, const obn_node *node, int index, const int *last_use)
{
    for (int k = 0; k < node->n_inputs; k++) {
        int v = node->inputs[k];
        if (v < 0 || last_use[v] != index || g->values[v].init || g->values[v].is_input) continue;
        obn_tensor *t = p->vals[v];
        if (t && t->owns_data) {
            free(t->data);
            t->data = NULL;
            t->owns_data = false;
        }
    }
}

static obn_status check_outputs_typed(const obn_op_ctx *ctx)
{
    for (int k = 0; k < ctx->n_outputs; k++)
        if (ctx->outputs[k] && ctx->outputs[k]->dtype == OBN_UNDEFINED) {
            char d[OBN_NODE_DESC_CAP];
            return obn_err(OBN_E_RUNTIME, "%s: output #%d ('%s') was not typed by shape inference",
                           obn_node_desc(ctx->node, d, sizeof d), k, ctx->outputs[k]->name);
        }
    return OBN_OK;
}

obn_status obn_plan_build(obn_plan *p, const obn_graph *g, void *const *attrs,
                          const obn_tensor *const *inputs, bool eager, int threads)
{
    memset(p, 0, sizeof *p);
    p->eager = eager;
    int *last_use = NULL;
    obn_status s;
    if ((s = init_values(p, g)) || (s = bind_inputs(p, g, inputs, eager)) ||
        (s = compute_last_use(g, &last_use)))
        goto fail;
    p->steps = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof *p->steps);
    if (!p->steps) {
        s = OBN_OOM();
        goto fail;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const obn_node *node = &g->nodes[i];
        obn_step *st = &p->steps[p->n_steps];
        st->io = calloc((size_t)(node->n_inputs + node->n_outputs + 1), sizeof *st->io);
        if (!st->io) {
            s = OBN_OOM();
            goto fail;
        }
        for (int k = 0; k < node->n_inputs; k++)
            st->io[k] = node->inputs[k] >= 0 ? p->vals[node->inputs[k]] : NULL;
        for (int k = 0; k < node->n_outputs; k++)
            st->io[node->n_inputs + k] = node->outputs[k] >= 0 ? p->vals[node->outputs[k]] : NULL;
        obn_op_ctx *ctx = &st->ctx;
        ctx->node = node;
        ctx->since_version = node->since_version;
        ctx->attrs = attrs[i];
        ctx->n_inputs = node->n_inputs;
        ctx->n_outputs = node->n_outputs;
        ctx->inputs = st->io;
        ctx->outputs = st->io + node->n_inputs;
        ctx->threads = threads;
        s = node->op->infer(ctx);
        if (s == OBN_DEFER && eager) {
            char d[OBN_NODE_DESC_CAP];
            s = obn_err(OBN_E_RUNTIME, "%s: shape inference needs data that is not available",
                        obn_node_desc(node, d, sizeof d));
        }
        if (s != OBN_OK || (s = check_outputs_typed(ctx))) {
            free(st->io);
            st->io = NULL;
            goto fail;
        }
        if ((node->op->flags & OBN_OP_SHAPE_ONLY) || all_inputs_known(ctx)) {
            s = run_now(ctx);
            free(st->io);
            st->io = NULL;
            if (s != OBN_OK) goto fail;
            p->folded++;
            if (eager) release_dead(p, g, node, i, last_use);
            continue;
        }
        st->node = i;
        p->n_steps++;
        if (node->op->prepare && (s = node->op->prepare(ctx, &ctx->state))) goto fail;
        if (node->op->workspace) {
            size_t w = node->op->workspace(ctx);
            if (w > p->workspace_bytes) p->workspace_bytes = w;
        }
    }
    if ((s = assign_arena(p, g, last_use))) goto fail;
    if (p->workspace_bytes) {
        p->workspace = aligned_alloc(OBN_ALIGN, align_up(p->workspace_bytes));
        if (!p->workspace) {
            s = OBN_OOM();
            goto fail;
        }
    }
    for (int i = 0; i < p->n_steps; i++) p->steps[i].ctx.workspace = p->workspace;
    if (obn_profile_enabled() && p->n_steps && !(p->prof_sec = calloc((size_t)p->n_steps, sizeof *p->prof_sec))) {
        s = OBN_OOM();
        goto fail;
    }
    free(last_use);
    return OBN_OK;
fail:
    free(last_use);
    obn_plan_free(p);
    return s;
}

obn_status obn_plan_run(obn_plan *p, const obn_graph *g, const obn_tensor *const *inputs, int threads)
{
    for (int k = 0; k < g->n_inputs; k++) p->vals[g->inputs[k]]->data = inputs[k]->data;
    for (int i = 0; i < p->n_steps; i++) {
        obn_op_ctx *ctx = &p->steps[i].ctx;
        ctx->threads = threads;
        double t0 = p->prof_sec ? obn_profile_now() : 0.0; /* OBN_PROFILE: every step timed */
        obn_status s = ctx->node->op->run(ctx);
        if (p->prof_sec) p->prof_sec[i] += obn_profile_now() - t0;
        if (s != OBN_OK) return s;
    }
    if (p->prof_sec) p->prof_runs++;
    return OBN_OK;
}
