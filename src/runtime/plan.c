#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "status.h"
#include "string_tensor.h"
#include "value.h"

/* Buffers start on 64-byte boundaries: one cache line, and the widest
 * vector load (AVX-512) is then aligned. */
#define OBN_ALIGN 64

/* What a plan built without limits is checked against (obn_limits_init's
 * values); static, as the steps keep a pointer to it. */
static const obn_limits default_limits = {
    .max_initializer_bytes = OBN_DEFAULT_MAX_INITIALIZER_BYTES,
    .max_arena_bytes = OBN_DEFAULT_MAX_ARENA_BYTES,
    .max_rank = OBN_MAX_RANK,
    .max_graph_depth = OBN_DEFAULT_MAX_GRAPH_DEPTH,
};

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

/* The tensors a sequence or optional holds live on the heap, outside the
 * arena, and a loop can grow one without end: each value an op makes may
 * hold at most max_arena_bytes of tensor data (nested values included). */
static obn_status check_value_bytes(const obn_op_ctx *ctx)
{
    for (int k = 0; k < ctx->n_outputs; k++) {
        const obn_tensor *t = ctx->outputs[k];
        if (!t || t->kind == OBN_KIND_TENSOR || t->value_bytes <= ctx->limits->max_arena_bytes) continue;
        char d[OBN_NODE_DESC_CAP], held[48], lim[48];
        return obn_err(OBN_E_UNSUPPORTED, "%s: output '%s' (a %s of %lld items) would hold %s of tensors: over the "
                       "limit of %s (obn_limits.max_arena_bytes)",
                       obn_node_desc(ctx->node, d, sizeof d), t->name ? t->name : "", obn_kind_name(t->kind),
                       (long long)t->numel, obn_bytes_str(t->value_bytes, held, sizeof held),
                       obn_bytes_str(ctx->limits->max_arena_bytes, lim, sizeof lim));
    }
    return OBN_OK;
}

/* Computes the node's deferred constant inputs (runtime/tensor.h). */
static obn_status materialize_inputs(const obn_op_ctx *ctx)
{
    for (int k = 0; k < ctx->n_inputs; k++)
        if (ctx->inputs[k] && ctx->inputs[k]->deferred) OBN_TRY(obn_tensor_materialize(ctx->inputs[k]));
    return OBN_OK;
}

/* Executes one node now, allocating its outputs (constant folding, or a
 * whole eager run); every byte allocated is counted in `mem` first. With
 * op_shapes (OBN_OP_RUN_SHAPES after OBN_DEFER) the op allocates them.
 * With `variant` (OBN_VARIANT_CAP bytes), the kernel variant is written
 * there while the node's state still exists. */
static obn_status run_now(obn_op_ctx *ctx, obn_budget *mem, bool op_shapes, char *variant)
{
    const obn_op *op = ctx->node->op;
    for (int k = 0; k < ctx->n_outputs && !op_shapes; k++)
        if (ctx->outputs[k]) {
            OBN_TRY(obn_budget_take(mem, ctx->outputs[k]->nbytes, ctx->outputs[k]->name));
            OBN_TRY(obn_tensor_alloc(ctx->outputs[k]));
        }
    void *state = NULL, *ws = NULL;
    size_t ws_bytes = 0;
    obn_status s = OBN_OK;
    if (op->prepare) s = op->prepare(ctx, &state);
    ctx->state = state;
    if (s == OBN_OK && op->workspace) {
        /* never NULL, even for 0 bytes (as tensors' data): a kernel may form
         * base + 0 from it */
        ws_bytes = op->workspace(ctx);
        if ((s = obn_budget_take(mem, ws_bytes, ctx->node->name)) == OBN_OK && !(ws = malloc(ws_bytes ? ws_bytes : 1)))
            s = OBN_OOM();
    }
    ctx->workspace = ws;
    ctx->mem = mem;
    if (s == OBN_OK) s = obn_run_op(ctx);
    if (s == OBN_OK) s = check_value_bytes(ctx);
    if (s == OBN_OK && variant) obn_profile_variant(ctx, variant, OBN_VARIANT_CAP);
    ctx->mem = NULL;
    if (state && op->free_state) op->free_state(state);
    if (ws) obn_budget_give(mem, ws_bytes);
    free(ws);
    ctx->state = NULL;
    ctx->workspace = NULL;
    return s;
}

/* Tells the session's node callback that the node of `ctx` has computed
 * its outputs. A failure it reports stops the run; without a message of its
 * own it gets one naming the node. */
static obn_status notify(const obn_observer *obs, const obn_graph *g, const obn_op_ctx *ctx, const char *variant,
                         double sec, bool folded)
{
    const obn_node *n = ctx->node;
    obn_node_event ev = {
        .node = n,
        .index = (size_t)(n - g->nodes),
        .name = n->name ? n->name : "",
        .op_type = n->op_type,
        .domain = n->domain,
        .since_version = ctx->since_version,
        .variant = variant,
        .seconds = sec,
        .folded = folded,
        .n_inputs = (size_t)ctx->n_inputs,
        .n_outputs = (size_t)ctx->n_outputs,
        .inputs = (const obn_tensor *const *)ctx->inputs,
        .outputs = (const obn_tensor *const *)ctx->outputs,
    };
    unsigned gen = obn_err_generation();
    obn_status s = obs->fn(&ev, obs->user);
    if (s == OBN_OK) return OBN_OK;
    char d[OBN_NODE_DESC_CAP];
    obn_node_desc(n, d, sizeof d);
    if (!obn_status_valid((int)s))
        return obn_err(OBN_E_RUNTIME, "%s: the node callback returned an unknown status %d", d, (int)s);
    if (obn_err_generation() != gen) return s;
    return obn_err(s, "%s: the node callback stopped the run (%s)", d, obn_status_name(s));
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

/* a + b, saturated: a total past SIZE_MAX is over any limit anyway */
static size_t add_sat(size_t a, size_t b) { return a > SIZE_MAX - b ? SIZE_MAX : a + b; }

/* Placed buffers indexed by time: the node range is cut into blocks of
 * PLACE_BLOCK nodes; a buffer living over at most PLACE_SPAN blocks is
 * listed in each of them, a longer-lived one in one list scanned for every
 * query. Finding the placed buffers whose lifetimes overlap a new one then
 * costs about the number of buffers live around it, not all placed ones. */
#define PLACE_BLOCK 32
#define PLACE_SPAN 8

typedef struct {
    int *items, n, cap;
} int_list;

static bool int_list_push(int_list *l, int v)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 8;
        int *items = realloc(l->items, (size_t)cap * sizeof *items);
        if (!items) return false;
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = v;
    return true;
}

/* Greedy best-fit by decreasing size: each buffer goes at the lowest offset
 * that does not overlap a placed buffer whose lifetime overlaps its own.
 * `run` is checked
 * every 64 buffers (OBN_E_CANCELLED naming the node whose output was being
 * placed): a model whose many buffers are all live at once still costs
 * time quadratic in their number here. */
static obn_status place_buffers(buffer_req *reqs, int n, const obn_graph *g, const obn_run_state *run,
                                size_t *out_total)
{
    qsort(reqs, (size_t)n, sizeof *reqs, cmp_size_desc);
    int n_blocks = g->n_nodes / PLACE_BLOCK + 1;
    int_list *blocks = calloc((size_t)n_blocks + 1, sizeof *blocks); /* the last: long-lived buffers */
    int *stamp = malloc((size_t)(n ? n : 1) * sizeof *stamp);
    int_list cand = {0};
    obn_status s = OBN_OK;
    if (!blocks || !stamp) {
        s = OBN_OOM();
        goto done;
    }
    for (int j = 0; j < n; j++) stamp[j] = -1;
    int_list *long_lived = &blocks[n_blocks];
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        if (i % 64 == 63 && obn_run_stopped(run)) {
            s = obn_run_check(run, &g->nodes[reqs[i].first], "while planning the memory of");
            goto done;
        }
        buffer_req *r = &reqs[i];
        int b0 = r->first / PLACE_BLOCK, b1 = r->last / PLACE_BLOCK;
        if (b1 >= n_blocks) b1 = n_blocks - 1;
        cand.n = 0;
        for (int b = b0; b <= b1 + 1; b++) {
            const int_list *l = b <= b1 ? &blocks[b] : long_lived;
            for (int k = 0; k < l->n; k++) {
                int j = l->items[k];
                if (stamp[j] == i) continue;
                stamp[j] = i;
                if (reqs[j].last < r->first || r->last < reqs[j].first) continue;
                if (!int_list_push(&cand, j)) {
                    s = OBN_OOM();
                    goto done;
                }
            }
        }
        /* past every candidate it overlaps until none is left: the lowest
         * offset where it fits (a buffer it jumps over would overlap the
         * gap) */
        size_t offset = 0;
        bool moved = true;
        while (moved) {
            moved = false;
            for (int k = 0; k < cand.n; k++) {
                const buffer_req *c = &reqs[cand.items[k]];
                size_t end_c = add_sat(c->offset, c->size);
                if (offset < end_c && c->offset < add_sat(offset, r->size)) {
                    offset = end_c;
                    moved = true;
                }
            }
        }
        r->offset = offset;
        if (add_sat(offset, r->size) > total) total = add_sat(offset, r->size);
        if (b1 - b0 < PLACE_SPAN) {
            for (int b = b0; b <= b1; b++)
                if (!int_list_push(&blocks[b], i)) {
                    s = OBN_OOM();
                    goto done;
                }
        } else if (!int_list_push(long_lived, i)) {
            s = OBN_OOM();
            goto done;
        }
    }
    *out_total = total;
done:
    if (blocks)
        for (int b = 0; b <= n_blocks; b++) free(blocks[b].items);
    free(blocks);
    free(stamp);
    free(cand.items);
    return s;
}

/* The arena plus the largest workspace, counted against the limit; the
 * message names the largest tensor, the usual culprit. */
static obn_status check_arena(obn_plan *p, const buffer_req *reqs, int n, size_t total)
{
    size_t need = add_sat(total, p->workspace_bytes);
    if (need <= p->memory.limit && p->memory.used <= p->memory.limit - need) {
        p->memory.used += need;
        return OBN_OK;
    }
    int big = -1;
    for (int i = 0; i < n; i++)
        if (big < 0 || reqs[i].size > reqs[big].size) big = i;
    char a[48], b[48], c[48], d[48], e[48], before[112] = "";
    if (p->memory.used)
        snprintf(before, sizeof before, ", on top of %s of tensors computed while planning",
                 obn_bytes_str(p->memory.used, d, sizeof d));
    return obn_err(OBN_E_UNSUPPORTED,
                   "the plan needs %s for intermediate tensors and %s of scratch space (the largest tensor, '%s', %s)%s: "
                   "over the limit of %s (obn_limits.max_arena_bytes)",
                   obn_bytes_str(total, a, sizeof a), obn_bytes_str(p->workspace_bytes, b, sizeof b),
                   big >= 0 ? p->vals[reqs[big].value]->name : "", obn_bytes_str(big >= 0 ? reqs[big].size : 0, c, sizeof c),
                   before, obn_bytes_str(p->memory.limit, e, sizeof e));
}

/* Views (OBN_OP_VIEW steps): output 0 shares input 0's buffer when input 0
 * is itself an arena buffer of this plan (produced by a step), neither is a
 * graph output (those keep buffers of their own), and the byte sizes are
 * equal. root[v] is the value whose buffer v uses (v itself if none). */
static void find_views(const obn_plan *p, const obn_graph *g, const bool *stepped, int *root)
{
    for (int v = 0; v < g->n_values; v++) root[v] = v;
    for (int s = 0; s < p->n_steps; s++) {
        const obn_node *node = &g->nodes[p->steps[s].node];
        if (!(node->op->flags & OBN_OP_VIEW) || node->n_inputs < 1 || node->n_outputs < 1) continue;
        int in = node->inputs[0], out = node->outputs[0];
        if (in < 0 || out < 0 || !stepped[in] || obn_graph_is_output(g, in) || obn_graph_is_output(g, out)) continue;
        if (p->vals[in]->kind != OBN_KIND_TENSOR || p->vals[out]->kind != OBN_KIND_TENSOR) continue;
        if (p->vals[in]->nbytes != p->vals[out]->nbytes || !p->vals[in]->nbytes) continue;
        root[out] = root[in];
    }
}

static obn_status assign_arena(obn_plan *p, const obn_graph *g, const int *last_use, const obn_run_state *run)
{
    int n = 0, nv = g->n_values ? g->n_values : 1;
    buffer_req *reqs = malloc((size_t)nv * sizeof *reqs);
    int *root = malloc((size_t)nv * sizeof *root), *req_of = malloc((size_t)nv * sizeof *req_of);
    bool *stepped = calloc((size_t)nv, sizeof *stepped);
    obn_status s = reqs && root && req_of && stepped ? OBN_OK : OBN_OOM();
    for (int i = 0; s == OBN_OK && i < p->n_steps; i++) {
        const obn_node *node = &g->nodes[p->steps[i].node];
        for (int k = 0; k < node->n_outputs; k++)
            if (node->outputs[k] >= 0) stepped[node->outputs[k]] = true;
    }
    if (s == OBN_OK) find_views(p, g, stepped, root);
    for (int i = 0; s == OBN_OK && i < p->n_steps; i++) {
        const obn_node *node = &g->nodes[p->steps[i].node];
        for (int k = 0; k < node->n_outputs; k++) {
            int v = node->outputs[k];
            if (v < 0 || p->vals[v]->kind != OBN_KIND_TENSOR) continue; /* containers live on the heap */
            int first = p->steps[i].node, last = last_use[v] < first ? first : last_use[v];
            if (root[v] != v) { /* a view: its reads keep the shared buffer live */
                buffer_req *r = &reqs[req_of[root[v]]];
                if (last > r->last) r->last = last;
                continue;
            }
            req_of[v] = n;
            buffer_req *r = &reqs[n++];
            r->value = v;
            r->size = align_up(p->vals[v]->nbytes ? p->vals[v]->nbytes : 1);
            r->first = first;
            r->last = last;
        }
    }
    size_t total = 0;
    if (s == OBN_OK) s = place_buffers(reqs, n, g, run, &total);
    p->arena_bytes = total;
    if (s == OBN_OK) s = check_arena(p, reqs, n, total);
    if (s == OBN_OK && total && !(p->arena = aligned_alloc(OBN_ALIGN, align_up(total)))) s = OBN_OOM();
    if (s == OBN_OK) {
        for (int i = 0; i < n; i++) p->vals[reqs[i].value]->data = (char *)p->arena + reqs[i].offset;
        for (int v = 0; v < g->n_values; v++)
            if (root[v] != v) p->vals[v]->data = p->vals[root[v]]->data;
    }
    free(reqs);
    free(root);
    free(req_of);
    free(stepped);
    return s;
}

static obn_status bind_inputs(obn_plan *p, const obn_graph *g, const obn_tensor *const *inputs, bool with_data,
                              const obn_limits *limits)
{
    for (int k = 0; k < g->n_inputs; k++) {
        int v = g->inputs[k];
        obn_tensor *t = p->vals[v];
        if (inputs[k]->kind != OBN_KIND_TENSOR) {
            /* a view of the caller's sequence or optional: items borrowed */
            t->kind = inputs[k]->kind;
            t->dtype = inputs[k]->dtype != OBN_UNDEFINED ? inputs[k]->dtype : g->values[v].dtype;
            t->rank = 0;
            t->numel = with_data ? inputs[k]->numel : 0;
            t->nbytes = 0;
            t->data = with_data ? inputs[k]->data : NULL;
            t->owns_data = false;
            continue;
        }
        OBN_TRY(obn_limits_check_rank(limits, inputs[k]->rank, g->values[v].name));
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
        if (t && t->kind != OBN_KIND_TENSOR) {
            obn_value_clear(t);
        } else if (t && t->owns_data) {
            obn_budget_give(&p->memory, t->nbytes);
            obn_strings_clear(t);
            free(t->data);
            t->data = NULL;
            t->owns_data = false;
        }
    }
}

/* Sequences and optionals go only to ops that take them. */
static obn_status check_input_kinds(const obn_op_ctx *ctx)
{
    if (ctx->node->op->flags & OBN_OP_VALUES) return OBN_OK;
    for (int k = 0; k < ctx->n_inputs; k++) {
        const obn_tensor *t = ctx->inputs[k];
        if (!t || t->kind == OBN_KIND_TENSOR) continue;
        char d[OBN_NODE_DESC_CAP];
        return obn_err(OBN_E_INVALID_MODEL, "%s: input '%s' is a %s, but the operator takes tensors only",
                       obn_node_desc(ctx->node, d, sizeof d), t->name ? t->name : "", obn_kind_name(t->kind));
    }
    return OBN_OK;
}

/* String tensors go only to and from ops that take them (OBN_OP_STRINGS):
 * any other op would copy their element pointers as bytes. Inputs are
 * checked before infer, outputs (with `outputs`) after it. */
static obn_status check_strings(const obn_op_ctx *ctx, bool outputs)
{
    if (ctx->node->op->flags & OBN_OP_STRINGS) return OBN_OK;
    for (int side = 0; side <= (outputs ? 1 : 0); side++) {
        int n = side ? ctx->n_outputs : ctx->n_inputs;
        obn_tensor *const *ts = side ? ctx->outputs : ctx->inputs;
        for (int k = 0; k < n; k++) {
            if (!ts[k] || ts[k]->dtype != OBN_STRING) continue;
            char d[OBN_NODE_DESC_CAP];
            return obn_err(OBN_E_UNSUPPORTED, "%s: %s '%s' has element type string, which onnxbn's %s-%d does not take",
                           obn_node_desc(ctx->node, d, sizeof d), side ? "output" : "input",
                           ts[k]->name ? ts[k]->name : "", ctx->node->op_type, ctx->since_version);
        }
    }
    return OBN_OK;
}

/* A step of a static plan makes no strings: they live on the heap, made
 * anew by each run (runtime/string_tensor.h), so such a graph is planned with its
 * data. */
static bool makes_strings(const obn_op_ctx *ctx)
{
    for (int k = 0; k < ctx->n_outputs; k++)
        if (ctx->outputs[k] && ctx->outputs[k]->dtype == OBN_STRING) return true;
    return false;
}

/* A static plan takes tensors only: a graph fed a sequence or optional is
 * planned with its data (sequence lengths are known only then). */
static bool has_value_inputs(const obn_graph *g, const obn_tensor *const *inputs)
{
    for (int k = 0; k < g->n_inputs; k++)
        if (inputs[k]->kind != OBN_KIND_TENSOR) return true;
    return false;
}

/* Every output typed by infer, and within the rank limit. */
static obn_status check_outputs(const obn_op_ctx *ctx, const obn_limits *limits)
{
    for (int k = 0; k < ctx->n_outputs; k++) {
        const obn_tensor *t = ctx->outputs[k];
        if (!t) continue;
        char d[OBN_NODE_DESC_CAP];
        if (t->dtype == OBN_UNDEFINED && t->kind == OBN_KIND_TENSOR)
            return obn_err(OBN_E_RUNTIME, "%s: output #%d ('%s') was not typed by shape inference",
                           obn_node_desc(ctx->node, d, sizeof d), k, t->name);
        if (obn_limits_check_rank(limits, t->rank, t->name) != OBN_OK)
            return obn_err_prefix(OBN_E_UNSUPPORTED, "%s: ", obn_node_desc(ctx->node, d, sizeof d));
    }
    return OBN_OK;
}

obn_status obn_plan_build(obn_plan *p, const obn_graph *g, void *const *attrs,
                          const obn_tensor *const *inputs, bool eager, const obn_plan_env *env)
{
    memset(p, 0, sizeof *p);
    if (!eager && has_value_inputs(g, inputs)) return OBN_DEFER;
    p->eager = eager;
    const obn_limits *limits = env->limits ? env->limits : &default_limits;
    p->memory = (obn_budget){0, limits->max_arena_bytes, "max_arena_bytes", "the session's planned memory"};
    int *last_use = NULL;
    bool any_workspace = false;
    obn_status s;
    if ((s = init_values(p, g)) || (s = bind_inputs(p, g, inputs, eager, limits)) ||
        (s = compute_last_use(g, &last_use)))
        goto fail;
    p->steps = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof *p->steps);
    if (!p->steps) {
        s = OBN_OOM();
        goto fail;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const obn_node *node = &g->nodes[i];
        if ((s = obn_run_check(env->run, node, "before"))) goto fail;
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
        ctx->threads = env->threads;
        ctx->run = env->run;
        ctx->limits = limits;
        s = check_input_kinds(ctx);
        if (s == OBN_OK) s = check_strings(ctx, false);
        if (s == OBN_OK && (!(node->op->flags & OBN_OP_DEFERRED_INPUTS) || env->observe))
            s = materialize_inputs(ctx);
        if (s == OBN_OK) s = node->op->infer(ctx);
        bool op_shapes = s == OBN_DEFER && (node->op->flags & OBN_OP_RUN_SHAPES) && all_inputs_known(ctx);
        if (op_shapes) s = OBN_OK;
        if (s == OBN_DEFER && eager) {
            char d[OBN_NODE_DESC_CAP];
            s = obn_err(OBN_E_RUNTIME, "%s: shape inference needs data that is not available",
                        obn_node_desc(node, d, sizeof d));
        }
        if (s == OBN_OK && !op_shapes) s = check_strings(ctx, true);
        if (s != OBN_OK || (!op_shapes && (s = check_outputs(ctx, limits)))) {
            free(st->io);
            st->io = NULL;
            goto fail;
        }
        if (op_shapes || (node->op->flags & OBN_OP_SHAPE_ONLY) || all_inputs_known(ctx)) {
            char variant[OBN_VARIANT_CAP];
            double t0 = env->observe ? obn_profile_now() : 0.0;
            s = materialize_inputs(ctx);
            if (s == OBN_OK) s = run_now(ctx, &p->memory, op_shapes, env->observe ? variant : NULL);
            if (s == OBN_OK && op_shapes) s = check_outputs(ctx, limits);
            if (s == OBN_OK && op_shapes) s = check_strings(ctx, true);
            if (s == OBN_OK && env->observe)
                s = notify(env->observe, g, ctx, variant, obn_profile_now() - t0, !eager);
            free(st->io);
            st->io = NULL;
            if (s != OBN_OK) goto fail;
            p->folded++;
            if (eager) release_dead(p, g, node, i, last_use);
            continue;
        }
        if (makes_strings(ctx)) {
            free(st->io);
            st->io = NULL;
            s = OBN_DEFER;
            goto fail;
        }
        st->node = i;
        p->n_steps++;
        if (node->op->prepare && (s = node->op->prepare(ctx, &ctx->state))) goto fail;
        if (node->op->workspace) {
            size_t w = node->op->workspace(ctx);
            if (w > p->workspace_bytes) p->workspace_bytes = w;
            any_workspace = true;
        }
    }
    if ((s = assign_arena(p, g, last_use, env->run))) goto fail;
    /* an op that asks for scratch space gets a valid pointer even when it
     * needs 0 bytes (empty inputs): a kernel may form base + 0 from it */
    if (any_workspace) {
        p->workspace = aligned_alloc(OBN_ALIGN, align_up(p->workspace_bytes ? p->workspace_bytes : 1));
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

obn_status obn_plan_run(obn_plan *p, const obn_graph *g, const obn_tensor *const *inputs, const obn_plan_env *env)
{
    for (int k = 0; k < g->n_inputs; k++) p->vals[g->inputs[k]]->data = inputs[k]->data;
    for (int i = 0; i < p->n_steps; i++) {
        obn_op_ctx *ctx = &p->steps[i].ctx;
        OBN_TRY(obn_run_check(env->run, ctx->node, "before"));
        ctx->threads = env->threads;
        ctx->run = env->run;
        ctx->limits = env->limits ? env->limits : &default_limits;
        /* OBN_PROFILE and a node callback: every step timed */
        double t0 = p->prof_sec || env->observe ? obn_profile_now() : 0.0;
        obn_status s = obn_run_op(ctx);
        double sec = p->prof_sec || env->observe ? obn_profile_now() - t0 : 0.0;
        if (p->prof_sec) p->prof_sec[i] += sec;
        if (s != OBN_OK) return s;
        if (env->observe) {
            char variant[OBN_VARIANT_CAP];
            obn_profile_variant(ctx, variant, sizeof variant);
            OBN_TRY(notify(env->observe, g, ctx, variant, sec, false));
        }
    }
    if (p->prof_sec) p->prof_runs++;
    return OBN_OK;
}
