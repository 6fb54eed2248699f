/* Scan (8, 9, 11, 16, 19, 21, 23, 24, 25): runs `body` once per position
 * along the scan axis of its M scan inputs, carrying N state values; the
 * body takes (states, one slice of each scan input) and gives (states, K
 * scan output elements), stacked along each scan output's axis.
 *   8:    a batch axis 0 (each batch element scanned on its own, states
 *         included), scan axis 1, optional sequence_lens (positions past a
 *         sequence's length are zero in the outputs), `directions`.
 *   9+:   no batch; scan_input_axes/_directions, scan_output_axes/_directions
 *         (negative axes counted from the back; 11 allows them). 16-25 only
 *         add element types, which Scan moves without looking at.
 * The iteration count is a shape, so Scan plans statically whenever its
 * body does: states double-buffered and slices copied in the workspace. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_flow.h"
#include "resource_limits.h"

typedef struct {
    obn_subgraph *body;
    int n_state, n_in, n_out; /* N, M, K */
    int first;                /* node input of the first state: 1 in Scan-8 (sequence_lens) */
    bool batched;             /* Scan-8 */
    int64_t *in_axis, *in_rev, *out_axis, *out_rev; /* M, M, K, K (axes as given) */
} scan_attrs;

static void scan_free_attrs(void *p)
{
    scan_attrs *a = p;
    obn_subgraph_destroy(a->body);
    free(a->in_axis);
    free(a->in_rev);
    free(a->out_axis);
    free(a->out_rev);
}

/* An INTS attribute of `count` entries (absent, or name "": all `def`),
 * into a new array. */
static obn_status read_list(const obn_node *n, const char *name, int count, int64_t def, bool flags, int64_t **out)
{
    int64_t *v = calloc((size_t)(count ? count : 1), sizeof *v);
    if (!v) return OBN_OOM();
    *out = v;
    const obn_attr *at = name[0] ? obn_node_attr(n, name) : NULL;
    if (!at) {
        for (int i = 0; i < count; i++) v[i] = def;
        return OBN_OK;
    }
    if (at->type != OBN_ATTR_INTS || at->n != (size_t)count)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' must list %d integers", name, count);
    for (int i = 0; i < count; i++) {
        v[i] = at->ints[i];
        if (flags && v[i] != 0 && v[i] != 1)
            return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s'[%d] is %lld: 0 (forward) or 1 (reverse)", name, i,
                                (long long)v[i]);
    }
    return OBN_OK;
}

static obn_status scan_parse(const obn_node *n, int v, void *out)
{
    scan_attrs *a = out;
    a->batched = v < 9;
    a->first = a->batched ? 1 : 0;
    int64_t m;
    OBN_TRY(obn_attr_get_int(n, "num_scan_inputs", -1, &m));
    int n_in = obn_node_n_formal(n) - a->first;
    if (m < 1 || m > n_in)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "num_scan_inputs is %lld: it must be 1 to the node's %d state and scan inputs",
                            (long long)m, n_in);
    a->n_in = (int)m;
    a->n_state = n_in - a->n_in;
    a->n_out = n->n_outputs - a->n_state;
    if (a->n_out < 0)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "has %d state inputs but only %d outputs", a->n_state, n->n_outputs);
    static const char *const since9[] = {"scan_input_axes", "scan_input_directions", "scan_output_axes",
                                         "scan_output_directions"};
    for (size_t i = 0; i < sizeof since9 / sizeof since9[0]; i++)
        if (a->batched && obn_node_attr(n, since9[i]))
            return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' is an attribute of Scan-9 and later only",
                                since9[i]);
    if (!a->batched && obn_node_attr(n, "directions"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'directions' is Scan-8's (later: scan_input_directions)");
    if (a->batched) {
        /* batch axis 0, scan axis 1 everywhere; outputs appended */
        OBN_TRY(read_list(n, "directions", a->n_in, 0, true, &a->in_rev));
        OBN_TRY(read_list(n, "", a->n_in, 1, false, &a->in_axis));
        OBN_TRY(read_list(n, "", a->n_out, 1, false, &a->out_axis));
        OBN_TRY(read_list(n, "", a->n_out, 0, false, &a->out_rev));
    } else {
        OBN_TRY(read_list(n, "scan_input_axes", a->n_in, 0, false, &a->in_axis));
        OBN_TRY(read_list(n, "scan_input_directions", a->n_in, 0, true, &a->in_rev));
        OBN_TRY(read_list(n, "scan_output_axes", a->n_out, 0, false, &a->out_axis));
        OBN_TRY(read_list(n, "scan_output_directions", a->n_out, 0, true, &a->out_rev));
    }
    if (v < 11)
        for (int i = 0; i < a->n_in; i++)
            if (a->in_axis[i] < 0)
                return obn_node_err(n, OBN_E_INVALID_MODEL, "scan_input_axes[%d] is negative (allowed from Scan-11)", i);
    char what_in[96], what_out[96];
    snprintf(what_in, sizeof what_in, "the node's %d states and %d scan inputs", a->n_state, a->n_in);
    snprintf(what_out, sizeof what_out, "%d states and the node's %d scan outputs", a->n_state, a->n_out);
    const obn_graph *g;
    OBN_TRY(obn_cf_body(n, "body", a->n_state + a->n_in, what_in, a->n_state + a->n_out, what_out, &g));
    return obn_subgraph_create(g, &a->body);
}

static int norm_axis(int64_t axis, int rank) { return (int)(axis < 0 ? axis + rank : axis); }

/* The scan input axis of input i, normalised, and checked against rank. */
static obn_status input_axis(const obn_op_ctx *ctx, const scan_attrs *a, int i, int *axis)
{
    const obn_tensor *x = ctx->inputs[a->first + a->n_state + i];
    int64_t ax = a->in_axis[i];
    int lo = a->batched ? 1 : 0;
    if (ax < -x->rank || ax >= x->rank || norm_axis(ax, x->rank) < lo)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "scan input '%s' of rank %d has no scan axis %lld",
                           obn_in_name(ctx, a->first + a->n_state + i), x->rank, (long long)ax);
    *axis = norm_axis(ax, x->rank);
    return OBN_OK;
}

/* Batch size and iteration count, equal over all inputs. */
static obn_status scan_sizes(const obn_op_ctx *ctx, const scan_attrs *a, int64_t *batch, int64_t *len)
{
    *batch = 1;
    *len = -1;
    for (int i = 0; i < a->n_in; i++) {
        int ax = 0;
        OBN_TRY(input_axis(ctx, a, i, &ax));
        const obn_tensor *x = ctx->inputs[a->first + a->n_state + i];
        if (*len >= 0 && x->dims[ax] != *len)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "scan input '%s' has %lld positions along its scan axis, the first one %lld",
                               obn_in_name(ctx, a->first + a->n_state + i), (long long)x->dims[ax], (long long)*len);
        *len = x->dims[ax];
    }
    if (!a->batched) return OBN_OK;
    *batch = ctx->inputs[a->first + a->n_state]->dims[0];
    for (int k = a->first; k < a->first + a->n_state + a->n_in; k++) {
        const obn_tensor *x = ctx->inputs[k];
        if (x->rank < 1 || x->dims[0] != *batch)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' must have the batch size %lld along axis 0 (Scan-8)",
                               obn_in_name(ctx, k), (long long)*batch);
    }
    if (obn_has_input(ctx, 0)) {
        const obn_tensor *sl = ctx->inputs[0];
        if (sl->dtype != OBN_INT64 || sl->rank != 1 || sl->dims[0] != *batch)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "sequence_lens must be int64 [%lld]", (long long)*batch);
    }
    return OBN_OK;
}

/* dims without axis `skip` (and without axis 0 when `batched`). */
static int drop_axes(const obn_tensor *x, int skip, bool batched, int64_t *dims)
{
    int r = 0;
    for (int d = batched ? 1 : 0; d < x->rank; d++)
        if (d != skip) dims[r++] = x->dims[d];
    return r;
}

/* What the body's formal inputs look like (data bound later). */
static obn_status describe_body_inputs(const obn_op_ctx *ctx, const scan_attrs *a, obn_tensor *args)
{
    int64_t dims[OBN_MAX_RANK];
    for (int s = 0; s < a->n_state; s++) {
        const obn_tensor *x = ctx->inputs[a->first + s];
        int r = drop_axes(x, -1, a->batched, dims);
        OBN_TRY(obn_tensor_set_shape(&args[s], x->dtype, r, dims));
    }
    for (int i = 0; i < a->n_in; i++) {
        const obn_tensor *x = ctx->inputs[a->first + a->n_state + i];
        int ax = 0;
        OBN_TRY(input_axis(ctx, a, i, &ax));
        int r = drop_axes(x, ax, a->batched, dims);
        OBN_TRY(obn_tensor_set_shape(&args[a->n_state + i], x->dtype, r, dims));
    }
    for (int k = 0; k < a->n_state + a->n_in; k++) a->body->in[k] = &args[k];
    return OBN_OK;
}

/* Scan output k's shape from its element's: `len` inserted at its axis
 * (Scan-8: [batch, len, element...]); *axis receives that axis. */
static obn_status scan_output_dims(const obn_op_ctx *ctx, const scan_attrs *a, int k, const obn_tensor *e,
                                   int64_t batch, int64_t len, int *rank, int64_t *dims, int *axis)
{
    int r = e->rank + 1 + (a->batched ? 1 : 0);
    if (r > OBN_MAX_RANK) return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "scan output #%d would have rank %d", k, r);
    if (a->batched) {
        dims[0] = batch;
        dims[1] = len;
        for (int d = 0; d < e->rank; d++) dims[2 + d] = e->dims[d];
        *axis = 1;
    } else {
        int64_t ax = a->out_axis[k];
        if (ax < -(e->rank + 1) || ax > e->rank)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "scan_output_axes[%d] is %lld, out of range for rank %d", k,
                               (long long)ax, e->rank + 1);
        *axis = norm_axis(ax, e->rank + 1);
        for (int d = 0, src = 0; d < r; d++) dims[d] = d == *axis ? len : e->dims[src++];
    }
    *rank = r;
    return OBN_OK;
}

static obn_status scan_infer(obn_op_ctx *ctx)
{
    const scan_attrs *a = ctx->attrs;
    int64_t batch, len;
    OBN_TRY(scan_sizes(ctx, a, &batch, &len));
    obn_tensor *args = calloc((size_t)(a->n_state + a->n_in), sizeof *args);
    if (!args) return OBN_OOM();
    obn_status s = describe_body_inputs(ctx, a, args);
    obn_subgraph_bind_outer(a->body, ctx);
    if (s == OBN_OK) s = obn_subgraph_infer(a->body, ctx);
    for (int k = 0; s == OBN_OK && k < a->n_state; k++)
        if (!obn_cf_same_type(obn_subgraph_output(a->body, k), &args[k]))
            s = obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "the body changes the type or shape of state #%d", k);
    for (int k = 0; s == OBN_OK && k < a->n_state; k++) {
        const obn_tensor *x = ctx->inputs[a->first + k];
        if (ctx->outputs[k]) s = obn_set_output(ctx, k, x->dtype, x->rank, x->dims);
    }
    for (int k = 0; s == OBN_OK && k < a->n_out; k++) {
        const obn_tensor *e = obn_subgraph_output(a->body, a->n_state + k);
        int rank = 0, axis = 0;
        int64_t dims[OBN_MAX_RANK];
        s = scan_output_dims(ctx, a, k, e, batch, len, &rank, dims, &axis);
        if (s == OBN_OK && ctx->outputs[a->n_state + k]) s = obn_set_output(ctx, a->n_state + k, e->dtype, rank, dims);
    }
    free(args);
    return s;
}

/* Workspace: per state two buffers of one (batch element's) value, per scan
 * input one slice. */
static size_t scan_workspace(const obn_op_ctx *ctx)
{
    const scan_attrs *a = ctx->attrs;
    int64_t batch, len;
    if (scan_sizes(ctx, a, &batch, &len) != OBN_OK || batch == 0 || len == 0) return 0;
    size_t n = 0;
    for (int s = 0; s < a->n_state; s++) n += 2 * obn_cf_align(ctx->inputs[a->first + s]->nbytes / (size_t)batch);
    for (int i = 0; i < a->n_in; i++)
        n += obn_cf_align(ctx->inputs[a->first + a->n_state + i]->nbytes / (size_t)(batch * len));
    return n;
}

/* A tensor's bytes around axis `ax`: [outer, len, inner bytes]. */
static void split_at(const obn_tensor *t, int ax, int64_t *outer, int64_t *len, size_t *inner)
{
    *outer = 1;
    *inner = obn_dtype_size(t->dtype);
    for (int d = 0; d < ax; d++) *outer *= t->dims[d];
    for (int d = ax + 1; d < t->rank; d++) *inner *= (size_t)t->dims[d];
    *len = t->dims[ax];
}

/* Position idx along axis ax of t, for outer rows [o0, o1): gathered into
 * dst (get) or scattered from it (put). */
static void move_slice(const obn_tensor *t, int ax, int64_t o0, int64_t o1, int64_t idx, uint8_t *buf, bool put)
{
    int64_t outer, len;
    size_t inner;
    split_at(t, ax, &outer, &len, &inner);
    (void)outer;
    uint8_t *base = t->data;
    for (int64_t o = o0; o < o1; o++) {
        uint8_t *at = base + ((size_t)(o * len + idx)) * inner, *b = buf + (size_t)(o - o0) * inner;
        if (put) memcpy(at, b, inner);
        else memcpy(b, at, inner);
    }
}

/* The run's buffers and the body's formal inputs. */
typedef struct {
    obn_tensor *cur, *next, *slice; /* n_state, n_state, n_in */
    bool shaping;                   /* this run shapes the outputs (OBN_OP_RUN_SHAPES) */
} scan_state;

static void scan_free_state(void *p)
{
    scan_state *st = p;
    if (!st) return;
    free(st->cur);
    free(st->next);
    free(st->slice);
    free(st);
}

static obn_status scan_prepare(obn_op_ctx *ctx, void **out)
{
    const scan_attrs *a = ctx->attrs;
    scan_state *st = calloc(1, sizeof *st);
    if (!st) return OBN_OOM();
    *out = st;
    size_t ns = (size_t)(a->n_state ? a->n_state : 1);
    st->cur = calloc(ns, sizeof *st->cur);
    st->next = calloc(ns, sizeof *st->next);
    st->slice = calloc((size_t)a->n_in, sizeof *st->slice);
    return st->cur && st->next && st->slice ? OBN_OK : OBN_OOM();
}

/* Outputs shaped by the run (a body planned with the data): the states
 * like the initial values, each scan output from its first element. */
static obn_status shape_outputs(obn_op_ctx *ctx, const scan_attrs *a, int64_t batch, int64_t len, bool states)
{
    if (states) {
        for (int s = 0; s < a->n_state; s++) {
            const obn_tensor *x = ctx->inputs[a->first + s];
            if (ctx->outputs[s]) OBN_TRY(obn_op_alloc_output(ctx, s, x->dtype, x->rank, x->dims));
        }
        return OBN_OK;
    }
    for (int k = 0; k < a->n_out; k++) {
        if (!ctx->outputs[a->n_state + k]) continue;
        int rank = 0, axis = 0;
        int64_t dims[OBN_MAX_RANK];
        const obn_tensor *e = obn_subgraph_output(a->body, a->n_state + k);
        OBN_TRY(scan_output_dims(ctx, a, k, e, batch, len, &rank, dims, &axis));
        OBN_TRY(obn_op_alloc_output(ctx, a->n_state + k, e->dtype, rank, dims));
    }
    return OBN_OK;
}

/* One position t of batch element b. */
static obn_status scan_step(obn_op_ctx *ctx, const scan_attrs *a, scan_state *st, int64_t b, int64_t t, int64_t n,
                            int64_t batch, int64_t len)
{
    obn_subgraph *body = a->body;
    for (int i = 0; i < a->n_in; i++) {
        const obn_tensor *x = ctx->inputs[a->first + a->n_state + i];
        int ax = norm_axis(a->in_axis[i], x->rank);
        int64_t outer, l;
        size_t inner;
        split_at(x, ax, &outer, &l, &inner);
        move_slice(x, ax, a->batched ? b : 0, a->batched ? b + 1 : outer, a->in_rev[i] ? n - 1 - t : t,
                   st->slice[i].data, false);
        body->in[a->n_state + i] = &st->slice[i];
    }
    for (int s = 0; s < a->n_state; s++) body->in[s] = &st->cur[s];
    OBN_TRY(obn_subgraph_run(body, ctx));
    if (st->shaping && b == 0 && t == 0) OBN_TRY(shape_outputs(ctx, a, batch, len, false));
    for (int s = 0; s < a->n_state; s++) {
        const obn_tensor *y = obn_subgraph_output(body, s);
        if (!obn_cf_same_type(y, &st->cur[s]))
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "the body changes the type or shape of state #%d", s);
        if (y->nbytes) memcpy(st->next[s].data, y->data, y->nbytes);
    }
    for (int s = 0; s < a->n_state; s++) {
        obn_tensor tmp = st->cur[s];
        st->cur[s] = st->next[s];
        st->next[s] = tmp;
    }
    for (int k = 0; k < a->n_out; k++) {
        obn_tensor *out = ctx->outputs[a->n_state + k];
        if (!out) continue;
        const obn_tensor *e = obn_subgraph_output(body, a->n_state + k);
        int rank = 0, axis = 0;
        int64_t dims[OBN_MAX_RANK], outer, l;
        size_t inner;
        OBN_TRY(scan_output_dims(ctx, a, k, e, batch, len, &rank, dims, &axis));
        bool same = e->dtype == out->dtype && rank == out->rank;
        for (int d = 0; same && d < rank; d++) same = dims[d] == out->dims[d];
        if (!same)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "scan output #%d changes its type or shape between iterations", k);
        split_at(out, axis, &outer, &l, &inner);
        move_slice(out, axis, a->batched ? b : 0, a->batched ? b + 1 : outer, a->out_rev[k] ? n - 1 - t : t,
                   e->data, true);
    }
    return OBN_OK;
}

/* The workspace cut into the states' and slices' buffers, for batch
 * element b; the states start as a copy of their initial values. */
static obn_status start_batch(obn_op_ctx *ctx, const scan_attrs *a, scan_state *st, int64_t b, int64_t batch, int64_t len)
{
    uint8_t *ws = ctx->workspace;
    for (int s = 0; s < a->n_state; s++) {
        const obn_tensor *x = ctx->inputs[a->first + s];
        int64_t dims[OBN_MAX_RANK];
        int r = drop_axes(x, -1, a->batched, dims);
        OBN_TRY(obn_tensor_set_shape(&st->cur[s], x->dtype, r, dims));
        OBN_TRY(obn_tensor_set_shape(&st->next[s], x->dtype, r, dims));
        size_t bytes = st->cur[s].nbytes;
        st->cur[s].data = ws;
        st->next[s].data = ws + obn_cf_align(bytes);
        ws += 2 * obn_cf_align(bytes);
        if (bytes) memcpy(st->cur[s].data, (const uint8_t *)x->data + (size_t)b * bytes, bytes);
    }
    for (int i = 0; i < a->n_in; i++) {
        const obn_tensor *x = ctx->inputs[a->first + a->n_state + i];
        int64_t dims[OBN_MAX_RANK];
        int r = drop_axes(x, norm_axis(a->in_axis[i], x->rank), a->batched, dims);
        OBN_TRY(obn_tensor_set_shape(&st->slice[i], x->dtype, r, dims));
        st->slice[i].data = ws;
        ws += obn_cf_align(x->nbytes / (size_t)(batch * len));
    }
    return OBN_OK;
}

static obn_status scan_run(obn_op_ctx *ctx)
{
    const scan_attrs *a = ctx->attrs;
    scan_state *st = ctx->state;
    int64_t batch, len;
    OBN_TRY(scan_sizes(ctx, a, &batch, &len));
    st->shaping = false;
    for (int k = 0; ctx->mem && k < ctx->n_outputs; k++)
        if (ctx->outputs[k] && !ctx->outputs[k]->data) st->shaping = true;
    if (st->shaping) {
        if (len == 0 && a->n_out)
            return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "a scan of no positions whose body is planned with the data: "
                                                       "the scan outputs' shapes are unknown");
        OBN_TRY(shape_outputs(ctx, a, batch, len, true));
    }
    for (int k = 0; k < a->n_out; k++) /* positions past a sequence's length stay zero */
        if (ctx->outputs[a->n_state + k] && ctx->outputs[a->n_state + k]->data)
            memset(ctx->outputs[a->n_state + k]->data, 0, ctx->outputs[a->n_state + k]->nbytes);
    obn_subgraph_bind_outer(a->body, ctx);
    for (int64_t b = 0; b < batch && len > 0; b++) {
        int64_t n = len;
        if (a->batched && obn_has_input(ctx, 0)) {
            n = ((const int64_t *)ctx->inputs[0]->data)[b];
            if (n < 0 || n > len)
                return obn_ctx_err(ctx, OBN_E_INVALID_ARGUMENT, "sequence_lens[%lld] is %lld, outside 0..%lld",
                                   (long long)b, (long long)n, (long long)len);
        }
        OBN_TRY(start_batch(ctx, a, st, b, batch, len));
        for (int64_t t = 0; t < n; t++) {
            OBN_TRY(obn_op_check_cancel(ctx));
            OBN_TRY(scan_step(ctx, a, st, b, t, n, batch, len));
        }
        for (int s = 0; s < a->n_state; s++) {
            obn_tensor *out = ctx->outputs[s];
            if (out && st->cur[s].nbytes)
                memcpy((uint8_t *)out->data + (size_t)b * st->cur[s].nbytes, st->cur[s].data, st->cur[s].nbytes);
        }
    }
    return OBN_OK;
}

static const int versions[] = {8, 9, 11, 16, 19, 21, 23, 24, 25, 0};
static const char *const attr_names[] = {"body", "num_scan_inputs", "directions", "scan_input_axes",
                                         "scan_input_directions", "scan_output_axes", "scan_output_directions", NULL};
static const obn_op_sig scan_sigs[] = {
    {8, "?sequence_lens initial_state_and_scan_inputs...", "final_state_and_scan_outputs..."},
    {9, "initial_state_and_scan_inputs...", "final_state_and_scan_outputs..."},
    {0},
};

const obn_op obn_op_scan = {
    .domain = "",
    .op_type = "Scan",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = scan_sigs,
    .attrs_size = sizeof(scan_attrs),
    .flags = OBN_OP_RUN_SHAPES,
    .parse = scan_parse,
    .infer = scan_infer,
    .run = scan_run,
    .prepare = scan_prepare,
    .free_state = scan_free_state,
    .workspace = scan_workspace,
    .free_attrs = scan_free_attrs,
};
OBN_REGISTER_OP(obn_op_scan);
