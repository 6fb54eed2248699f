/* Loop (1, 11, 13, 16, 19, 21, 23, 24, 25): runs `body` while i < M and
 * cond hold. The body takes (i, cond, v_1..v_N) and gives (cond, v_1..v_N,
 * s_1..s_K); the node gives the final v and each s stacked over the
 * iterations (a new axis 0). Without the input cond the body's cond output
 * is ignored; without M and cond the loop would never end, which is refused.
 * Versions differ only in the types the values may have (16: optional and
 * sequence values too); Loop copies values without looking at them.
 *
 * Planning: a loop without scan outputs whose body keeps every carried
 * value's type and shape is a static step (carried values double-buffered
 * in the workspace); otherwise its output shapes depend on the data and it
 * runs while planning (OBN_OP_RUN_SHAPES). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_flow.h"
#include "resource_limits.h"
#include "status.h"
#include "value.h"

typedef struct {
    obn_subgraph *body;
    int n_carried, n_scan;
} loop_attrs;

static void loop_free_attrs(void *p) { obn_subgraph_destroy(((loop_attrs *)p)->body); }

static obn_status loop_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    loop_attrs *a = out;
    int n_in = obn_node_n_formal(n);
    bool has_m = n_in > 0 && n->inputs[0] >= 0, has_cond = n_in > 1 && n->inputs[1] >= 0;
    if (!has_m && !has_cond)
        return obn_node_err(n, OBN_E_UNSUPPORTED, "has neither a trip count M nor a condition cond: the loop would never end");
    a->n_carried = n_in > 2 ? n_in - 2 : 0;
    a->n_scan = n->n_outputs - a->n_carried;
    char what_in[96], what_out[128];
    snprintf(what_in, sizeof what_in, "iteration number, condition and the node's %d loop-carried values", a->n_carried);
    if (a->n_scan < 0)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "has %d loop-carried inputs but only %d outputs", a->n_carried,
                            n->n_outputs);
    snprintf(what_out, sizeof what_out, "condition, %d loop-carried values and %d scan outputs, as the node's outputs",
             a->n_carried, a->n_scan);
    const obn_graph *g;
    OBN_TRY(obn_cf_body(n, "body", 2 + a->n_carried, what_in, 1 + a->n_carried + a->n_scan, what_out, &g));
    return obn_subgraph_create(g, &a->body);
}


static obn_status check_inputs(const obn_op_ctx *ctx)
{
    if (obn_has_input(ctx, 0)) OBN_TRY(obn_cf_check_scalar(ctx, 0, "M", OBN_INT64));
    if (obn_has_input(ctx, 1)) OBN_TRY(obn_cf_check_scalar(ctx, 1, "cond", OBN_BOOL));
    return OBN_OK;
}

/* The body's iteration number and condition: int64 and bool scalars. */
typedef struct {
    int64_t i;
    uint8_t cond;
    obn_tensor ti, tc;
} loop_counters;

static void counters_init(loop_counters *c)
{
    memset(c, 0, sizeof *c);
    obn_tensor_set_shape(&c->ti, OBN_INT64, 0, NULL);
    obn_tensor_set_shape(&c->tc, OBN_BOOL, 0, NULL);
    c->ti.data = &c->i;
    c->tc.data = &c->cond;
}

static void bind_formals(obn_subgraph *b, loop_counters *c, obn_tensor *carried, int n)
{
    b->in[0] = &c->ti;
    b->in[1] = &c->tc;
    for (int k = 0; k < n; k++) b->in[2 + k] = &carried[k];
}

static obn_status loop_infer(obn_op_ctx *ctx)
{
    const loop_attrs *a = ctx->attrs;
    OBN_TRY(check_inputs(ctx));
    if (a->n_scan > 0 || obn_cf_inputs_known(ctx) || obn_cf_any_value(ctx->inputs, ctx->n_inputs)) return OBN_DEFER;
    for (int k = 0; k < a->n_carried; k++)
        if (a->body->g->values[a->body->g->inputs[2 + k]].n_wrap) return OBN_DEFER; /* a sequence or optional */
    loop_counters c;
    counters_init(&c);
    obn_tensor *carried = calloc((size_t)(a->n_carried ? a->n_carried : 1), sizeof *carried);
    if (!carried) return OBN_OOM();
    obn_status s = OBN_OK;
    for (int k = 0; s == OBN_OK && k < a->n_carried; k++) {
        const obn_tensor *v = ctx->inputs[2 + k];
        s = obn_tensor_set_shape(&carried[k], v->dtype, v->rank, v->dims);
    }
    bind_formals(a->body, &c, carried, a->n_carried);
    obn_subgraph_bind_outer(a->body, ctx);
    if (s == OBN_OK) s = obn_subgraph_infer(a->body, ctx);
    /* static only when every carried value keeps its type and shape */
    const obn_tensor *cond_out = s == OBN_OK ? obn_subgraph_output(a->body, 0) : NULL;
    if (cond_out && (cond_out->dtype != OBN_BOOL || cond_out->numel != 1))
        s = obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "the body's condition output is %s with %lld elements, expected one bool",
                        obn_dtype_name(cond_out->dtype), (long long)cond_out->numel);
    for (int k = 0; s == OBN_OK && k < a->n_carried; k++)
        if (!obn_cf_same_type(obn_subgraph_output(a->body, 1 + k), &carried[k])) s = OBN_DEFER;
    for (int k = 0; s == OBN_OK && k < a->n_carried; k++)
        if (ctx->outputs[k]) s = obn_set_output(ctx, k, carried[k].dtype, carried[k].rank, carried[k].dims);
    free(carried);
    return s;
}

/* Static plans: two buffers per carried value. */
static size_t loop_workspace(const obn_op_ctx *ctx)
{
    const loop_attrs *a = ctx->attrs;
    size_t n = 0;
    for (int k = 0; k < a->n_carried; k++) n += 2 * obn_cf_align(ctx->inputs[2 + k]->nbytes);
    return n;
}

/* Where carried values and scan outputs live while the loop runs: in the
 * workspace (static plans: fixed shapes, nothing allocated) or in buffers
 * grown as needed and counted against the plan's memory (while planning).
 * The arrays are the step's state, made once per plan. */
typedef struct {
    obn_tensor *cur, *next;     /* n_carried each: this iteration's values, the body's results */
    size_t *cap_cur, *cap_next; /* heap mode: capacity of their buffers */
    uint8_t **scan;             /* n_scan stacked scan outputs (heap mode) */
    size_t *scan_cap, *scan_used;
    obn_tensor *scan_elem;      /* type and shape of each scan output's element */
    obn_tensor *wrapped;        /* n_carried: a value the body declares optional,
                                   given as a tensor or sequence, wrapped in one */
} loop_state;

static void loop_free_state(void *p)
{
    loop_state *st = p;
    if (!st) return;
    free(st->cur);
    free(st->next);
    free(st->cap_cur);
    free(st->cap_next);
    free(st->scan);
    free(st->scan_cap);
    free(st->scan_used);
    free(st->scan_elem);
    free(st->wrapped);
    free(st);
}

static obn_status loop_prepare(obn_op_ctx *ctx, void **out)
{
    const loop_attrs *a = ctx->attrs;
    size_t n = (size_t)(a->n_carried ? a->n_carried : 1), m = (size_t)(a->n_scan ? a->n_scan : 1);
    loop_state *st = calloc(1, sizeof *st);
    if (!st) return OBN_OOM();
    *out = st;
    st->cur = calloc(n, sizeof *st->cur);
    st->next = calloc(n, sizeof *st->next);
    st->cap_cur = calloc(n, sizeof *st->cap_cur);
    st->cap_next = calloc(n, sizeof *st->cap_next);
    st->scan = calloc(m, sizeof *st->scan);
    st->scan_cap = calloc(m, sizeof *st->scan_cap);
    st->scan_used = calloc(m, sizeof *st->scan_used);
    st->scan_elem = calloc(m, sizeof *st->scan_elem);
    st->wrapped = calloc(n, sizeof *st->wrapped);
    if (!st->cur || !st->next || !st->cap_cur || !st->cap_next || !st->scan || !st->scan_cap || !st->scan_used ||
        !st->scan_elem || !st->wrapped)
        return OBN_OOM();
    return OBN_OK;
}

/* Grows a heap buffer to `need` bytes, counting the growth in ctx->mem. */
static obn_status reserve(obn_op_ctx *ctx, void **buf, size_t *cap, size_t need)
{
    if (need <= *cap) return OBN_OK;
    size_t want = need > 2 * *cap ? need : 2 * *cap;
    OBN_TRY(obn_budget_take(ctx->mem, want - *cap, ctx->node->name));
    void *nb = realloc(*buf, want);
    if (!nb) {
        obn_budget_give(ctx->mem, want - *cap);
        return OBN_OOM();
    }
    *buf = nb;
    *cap = want;
    return OBN_OK;
}

/* The initial carried values, copied (the body may not write its inputs,
 * but the next iteration reads what this one wrote). */
static obn_status start_carried(obn_op_ctx *ctx, loop_state *st, int n_carried, bool heap)
{
    uint8_t *ws = ctx->workspace;
    for (int k = 0; k < n_carried; k++) {
        const obn_tensor *v = ctx->inputs[2 + k];
        if (v->kind != OBN_KIND_TENSOR) { /* heap mode only (loop_infer defers) */
            OBN_TRY(obn_value_assign(&st->cur[k], v));
            continue;
        }
        OBN_TRY(obn_tensor_set_shape(&st->cur[k], v->dtype, v->rank, v->dims));
        OBN_TRY(obn_tensor_set_shape(&st->next[k], v->dtype, v->rank, v->dims));
        if (heap) {
            OBN_TRY(reserve(ctx, &st->cur[k].data, &st->cap_cur[k], v->nbytes ? v->nbytes : 1));
        } else {
            st->cur[k].data = ws;
            st->next[k].data = ws + obn_cf_align(v->nbytes);
            ws += 2 * obn_cf_align(v->nbytes);
        }
        if (v->nbytes) memcpy(st->cur[k].data, v->data, v->nbytes);
    }
    return OBN_OK;
}

/* Copies body output `src` into carried value k of the next iteration. */
static obn_status store_carried(obn_op_ctx *ctx, loop_state *st, int k, const obn_tensor *src, bool heap)
{
    obn_tensor *dst = &st->next[k];
    if (heap && (src->kind != OBN_KIND_TENSOR || dst->kind != OBN_KIND_TENSOR)) {
        /* a sequence or optional (Loop 16 may change which, e.g. an optional
         * sequence into the sequence it holds): shared items, no buffer */
        if (dst->kind == OBN_KIND_TENSOR) {
            free(dst->data);
            dst->data = NULL;
            obn_budget_give(ctx->mem, st->cap_next[k]);
            st->cap_next[k] = 0;
        }
        if (src->kind != OBN_KIND_TENSOR) return obn_value_assign(dst, src);
        obn_value_clear(dst);
    }
    if (heap) {
        OBN_TRY(obn_tensor_set_shape(dst, src->dtype, src->rank, src->dims));
        OBN_TRY(reserve(ctx, &dst->data, &st->cap_next[k], src->nbytes ? src->nbytes : 1));
    } else if (!obn_cf_same_type(dst, src)) {
        return obn_ctx_err(ctx, OBN_E_RUNTIME, "loop-carried value #%d changed its type or shape in the body", k);
    }
    if (src->nbytes) memcpy(dst->data, src->data, src->nbytes);
    return OBN_OK;
}

/* Appends one iteration's element of scan output k. */
static obn_status store_scan(obn_op_ctx *ctx, loop_state *st, int k, const obn_tensor *src, int64_t iter)
{
    obn_tensor *e = &st->scan_elem[k];
    if (src->kind != OBN_KIND_TENSOR)
        return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "scan output #%d is a %s: only tensors are stacked", k,
                           obn_kind_name(src->kind));
    if (iter == 0) {
        OBN_TRY(obn_tensor_set_shape(e, src->dtype, src->rank, src->dims));
    } else if (!obn_cf_same_type(e, src)) {
        char a[OBN_SHAPE_STR_CAP], b[OBN_SHAPE_STR_CAP];
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "scan output #%d is %s %s in iteration %lld but was %s %s before", k,
                           obn_dtype_name(src->dtype), obn_shape_str(src->rank, src->dims, a, sizeof a),
                           (long long)iter, obn_dtype_name(e->dtype), obn_shape_str(e->rank, e->dims, b, sizeof b));
    }
    void *buf = st->scan[k];
    OBN_TRY(reserve(ctx, &buf, &st->scan_cap[k], st->scan_used[k] + src->nbytes + 1));
    st->scan[k] = buf;
    if (src->nbytes) memcpy(st->scan[k] + st->scan_used[k], src->data, src->nbytes);
    st->scan_used[k] += src->nbytes;
    return OBN_OK;
}

static void swap_carried(loop_state *st, int n_carried)
{
    for (int k = 0; k < n_carried; k++) {
        obn_tensor t = st->cur[k];
        st->cur[k] = st->next[k];
        st->next[k] = t;
        size_t c = st->cap_cur[k];
        st->cap_cur[k] = st->cap_next[k];
        st->cap_next[k] = c;
    }
}

/* Heap mode: the buffers back to the system and their bytes to the budget. */
static void release_buffers(obn_op_ctx *ctx, loop_state *st, const loop_attrs *a)
{
    uint64_t given = 0;
    for (int k = 0; k < a->n_carried; k++) {
        obn_tensor *slot[2] = {&st->cur[k], &st->next[k]};
        for (int j = 0; j < 2; j++) {
            if (slot[j]->kind != OBN_KIND_TENSOR) obn_value_clear(slot[j]); /* releases the items */
            else free(slot[j]->data);
            slot[j]->data = NULL;
        }
        given += st->cap_cur[k] + st->cap_next[k];
        st->cap_cur[k] = st->cap_next[k] = 0;
        obn_value_clear(&st->wrapped[k]);
    }
    for (int k = 0; k < a->n_scan; k++) {
        free(st->scan[k]);
        st->scan[k] = NULL;
        given += st->scan_cap[k];
        st->scan_cap[k] = st->scan_used[k] = 0;
    }
    obn_budget_give(ctx->mem, given);
}

/* The element type of scan output k when no iteration ran: the body's
 * declaration, which must fix it. */
static obn_status empty_scan_elem(obn_op_ctx *ctx, const loop_attrs *a, int k, obn_tensor *e)
{
    const obn_graph *g = a->body->g;
    const obn_value *dv = &g->values[g->outputs[1 + a->n_carried + k]];
    bool fixed = dv->dtype != OBN_UNDEFINED && dv->rank >= 0;
    for (int d = 0; fixed && d < dv->rank; d++) fixed = dv->dims[d] >= 0;
    if (!fixed)
        return obn_ctx_err(ctx, OBN_E_UNSUPPORTED,
                           "the loop ran no iteration and the body's scan output #%d declares no fixed type and shape", k);
    return obn_tensor_set_shape(e, dv->dtype, dv->rank, dv->dims);
}

/* The node's outputs: the final carried values and the scan outputs,
 * stacked over the n_iter iterations along a new axis 0. */
static obn_status loop_outputs(obn_op_ctx *ctx, loop_state *st, const loop_attrs *a, int64_t n_iter)
{
    for (int k = 0; k < a->n_carried; k++) OBN_TRY(obn_op_copy_output(ctx, k, &st->cur[k]));
    for (int k = 0; k < a->n_scan; k++) {
        int o = a->n_carried + k;
        if (!ctx->outputs[o]) continue;
        obn_tensor *e = &st->scan_elem[k];
        if (n_iter == 0) OBN_TRY(empty_scan_elem(ctx, a, k, e));
        if (e->rank + 1 > OBN_MAX_RANK)
            return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "scan output '%s' would have rank %d", obn_out_name(ctx, o),
                               e->rank + 1);
        int64_t dims[OBN_MAX_RANK];
        dims[0] = n_iter;
        for (int d = 0; d < e->rank; d++) dims[d + 1] = e->dims[d];
        OBN_TRY(obn_op_alloc_output(ctx, o, e->dtype, e->rank + 1, dims));
        if (ctx->outputs[o]->nbytes) memcpy(ctx->outputs[o]->data, st->scan[k], ctx->outputs[o]->nbytes);
    }
    return OBN_OK;
}

/* Body input `formal` is declared an optional. */
static bool body_takes_optional(const obn_subgraph *b, int formal)
{
    const obn_value *v = &b->g->values[b->g->inputs[formal]];
    return v->n_wrap > 0 && v->wrap[0] == OBN_KIND_OPTIONAL;
}

/* Loop 16 carries optionals: a body may take an optional sequence and give
 * back the sequence (test_loop16_seq_none). The next iteration gets it
 * wrapped in an optional again, as the body declares. */
static obn_status wrap_for_body(const loop_attrs *a, loop_state *st)
{
    for (int k = 0; k < a->n_carried; k++) {
        obn_tensor *v = &st->cur[k];
        if (v->kind == OBN_KIND_OPTIONAL || !v->data || !body_takes_optional(a->body, 2 + k)) continue;
        obn_tensor *item;
        OBN_TRY(obn_value_snapshot(v, &item));
        obn_status s = obn_value_make(&st->wrapped[k], OBN_KIND_OPTIONAL, v->dtype, 1);
        if (s != OBN_OK) {
            obn_tensor_release(item);
            return s;
        }
        obn_value_push(&st->wrapped[k], item);
        a->body->in[2 + k] = &st->wrapped[k];
    }
    return OBN_OK;
}

static obn_status loop_iterate(obn_op_ctx *ctx, loop_state *st, const loop_attrs *a, bool heap, int64_t *n_iter)
{
    bool has_m = obn_has_input(ctx, 0), has_cond = obn_has_input(ctx, 1);
    int64_t trip = has_m ? *(const int64_t *)ctx->inputs[0]->data : INT64_MAX;
    bool go = has_cond ? *(const uint8_t *)ctx->inputs[1]->data != 0 : true;
    loop_counters c;
    counters_init(&c);
    obn_subgraph *b = a->body;
    obn_subgraph_bind_outer(b, ctx);
    int64_t i = 0;
    for (; i < trip && go; i++) {
        OBN_TRY(obn_op_check_cancel(ctx));
        c.i = i;
        c.cond = go;
        bind_formals(b, &c, st->cur, a->n_carried);
        OBN_TRY(wrap_for_body(a, st));
        OBN_TRY(obn_subgraph_run(b, ctx));
        const obn_tensor *cond_out = obn_subgraph_output(b, 0);
        if (cond_out->kind != OBN_KIND_TENSOR || cond_out->dtype != OBN_BOOL || cond_out->numel != 1)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                               "the body's condition output is %s with %lld elements, expected one bool",
                               obn_dtype_name(cond_out->dtype), (long long)cond_out->numel);
        if (has_cond) go = *(const uint8_t *)cond_out->data != 0; /* else ignored (spec) */
        for (int k = 0; k < a->n_carried; k++) OBN_TRY(store_carried(ctx, st, k, obn_subgraph_output(b, 1 + k), heap));
        for (int k = 0; k < a->n_scan; k++)
            OBN_TRY(store_scan(ctx, st, k, obn_subgraph_output(b, 1 + a->n_carried + k), i));
        swap_carried(st, a->n_carried);
    }
    *n_iter = i;
    return OBN_OK;
}

static obn_status loop_run(obn_op_ctx *ctx)
{
    const loop_attrs *a = ctx->attrs;
    loop_state *st = ctx->state;
    bool heap = ctx->mem != NULL; /* running while planning */
    if (!heap && a->n_scan) return obn_ctx_err(ctx, OBN_E_RUNTIME, "scan outputs need a plan built with the data");
    int64_t n_iter = 0;
    obn_status s = start_carried(ctx, st, a->n_carried, heap);
    if (s == OBN_OK) s = loop_iterate(ctx, st, a, heap, &n_iter);
    if (s == OBN_OK) s = loop_outputs(ctx, st, a, n_iter);
    if (heap) release_buffers(ctx, st, a);
    return s;
}

static const int versions[] = {1, 11, 13, 16, 19, 21, 23, 24, 25, 0};
static const char *const attr_names[] = {"body", NULL};
static const obn_op_sig loop_sigs[] = {{1, "?M ?cond ?v_initial...", "v_final_and_scan_outputs..."}, {0}};

const obn_op obn_op_loop = {
    .domain = "",
    .op_type = "Loop",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = loop_sigs,
    .attrs_size = sizeof(loop_attrs),
    .flags = OBN_OP_RUN_SHAPES | OBN_OP_VALUES,
    .parse = loop_parse,
    .infer = loop_infer,
    .run = loop_run,
    .prepare = loop_prepare,
    .free_state = loop_free_state,
    .workspace = loop_workspace,
    .free_attrs = loop_free_attrs,
};
OBN_REGISTER_OP(obn_op_loop);
