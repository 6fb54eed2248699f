/* Public session API: per-run state over a shared, immutable model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "import.h"
#include "resource_limits.h"
#include "model.h"
#include "passes.h"
#include "op.h"
#include "plan.h"
#include "run_ctl.h"
#include "status.h"
#include "string_tensor.h"
#include "value.h"

struct obn_session {
    obn_model *model;    /* retained */
    obn_graph *graph;    /* the session's own copy (passes may rewrite it) */
    void **attrs;        /* parsed attributes per node */
    int threads;
    obn_limits limits;   /* resolved from the options */
    bool dynamic;        /* output shapes depend on input data: plan eagerly */
    bool have_plan;
    obn_plan plan;
    const obn_tensor **bound; /* inputs in graph order for the current run */
    obn_tensor **copies; /* per graph output that is also a graph input: the
                            session's own copy of the data (see collect_outputs) */
    obn_observer observer; /* node callback; fn NULL = none */
};

size_t obn_session_arena_bytes(const obn_session *s)
{
    if (!s || !s->have_plan) return 0;
    return s->plan.arena_bytes + s->plan.workspace_bytes;
}

/* The node callback for plan_build/plan_run, NULL when none is set. */
static const obn_observer *observer_of(const obn_session *s) { return s->observer.fn ? &s->observer : NULL; }

void obn_session_options_init(obn_session_options *o)
{
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->threads = 0;
    o->enable_passes = 1;
    o->fuse_activation = 1;
}

static void free_attrs(obn_session *s)
{
    if (!s->attrs) return;
    for (int i = 0; i < s->graph->n_nodes; i++) obn_op_free_attrs(s->graph->nodes[i].op, s->attrs[i]);
    free(s->attrs);
    s->attrs = NULL;
}

void obn_session_destroy(obn_session *s)
{
    if (!s) return;
    if (s->have_plan) obn_plan_free(&s->plan);
    if (s->copies && s->graph)
        for (int k = 0; k < s->graph->n_outputs; k++) obn_tensor_release(s->copies[k]);
    free(s->copies);
    if (s->graph) free_attrs(s);
    obn_graph_free(s->graph);
    free(s->bound);
    obn_model_destroy(s->model);
    free(s);
}

static obn_status parse_all(obn_session *s)
{
    obn_graph *g = s->graph;
    s->attrs = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof *s->attrs);
    if (!s->attrs) return OBN_OOM();
    for (int i = 0; i < g->n_nodes; i++) {
        const obn_op *op = g->nodes[i].op;
        s->attrs[i] = calloc(1, op->attrs_size ? op->attrs_size : 1);
        if (!s->attrs[i]) return OBN_OOM();
        OBN_TRY(op->parse(&g->nodes[i], g->nodes[i].since_version, s->attrs[i]));
    }
    return OBN_OK;
}

/* Plans for the shapes of `inputs`; switches to eager planning for graphs
 * whose shapes depend on data (which computes everything now, under `run`). */
static obn_status replan(obn_session *s, const obn_tensor *const *inputs, bool have_data, const obn_run_state *run)
{
    obn_plan_env env = {s->threads, &s->limits, run, observer_of(s)};
    if (s->have_plan) {
        obn_plan_free(&s->plan);
        s->have_plan = false;
    }
    if (!s->dynamic) {
        obn_status st = obn_plan_build(&s->plan, s->graph, s->attrs, inputs, false, &env);
        if (st == OBN_OK) {
            s->have_plan = true;
            return OBN_OK;
        }
        if (st != OBN_DEFER) return st;
        s->dynamic = true;
    }
    if (!have_data) return OBN_OK; /* planned at run time */
    OBN_TRY(obn_plan_build(&s->plan, s->graph, s->attrs, inputs, true, &env));
    s->have_plan = true;
    return OBN_OK;
}

/* At creation, when every input shape is fixed, plan once to report shape
 * errors early. */
static obn_status plan_declared(obn_session *s, const obn_run_state *run)
{
    obn_graph *g = s->graph;
    for (int k = 0; k < g->n_inputs; k++) {
        const obn_value *v = &g->values[g->inputs[k]];
        if (v->rank < 0) return OBN_OK;
        for (int d = 0; d < v->rank; d++)
            if (v->dims[d] < 0) return OBN_OK;
    }
    obn_tensor *metas = calloc((size_t)(g->n_inputs ? g->n_inputs : 1), sizeof *metas);
    const obn_tensor **ptrs = calloc((size_t)(g->n_inputs ? g->n_inputs : 1), sizeof *ptrs);
    obn_status st = OBN_OK;
    if (!metas || !ptrs) st = OBN_OOM();
    for (int k = 0; st == OBN_OK && k < g->n_inputs; k++) {
        const obn_value *v = &g->values[g->inputs[k]];
        if (v->n_wrap) { /* a sequence or optional: planned when it comes */
            metas[k].kind = v->wrap[0];
            metas[k].dtype = v->dtype;
        } else {
            st = obn_tensor_set_shape(&metas[k], v->dtype, v->rank, v->dims);
        }
        ptrs[k] = &metas[k];
    }
    if (st == OBN_OK) st = replan(s, ptrs, false, run);
    free(metas);
    free(ptrs);
    return st;
}

/* A model loaded under other limits than the session's: what the load
 * checked is checked again (the data is the model's, already allocated; the
 * point is that the session refuses to plan for it). */
static obn_status check_model_limits(const obn_model *m, const obn_limits *l)
{
    const obn_graph *g = m->graph;
    const char *src = g->source ? g->source : "<model>";
    char a[48], b[48];
    if (m->initializer_bytes > l->max_initializer_bytes)
        return obn_err(OBN_E_UNSUPPORTED, "%s: the model's tensors take %s: over the limit of %s (obn_limits.max_initializer_bytes)",
                       src, obn_bytes_str(m->initializer_bytes, a, sizeof a),
                       obn_bytes_str(l->max_initializer_bytes, b, sizeof b));
    for (int v = 0; v < g->n_values; v++) {
        const obn_value *val = &g->values[v];
        if ((val->init || val->is_input) && obn_limits_check_rank(l, val->rank, val->name) != OBN_OK)
            return obn_err_prefix(OBN_E_UNSUPPORTED, "%s: ", src);
    }
    return OBN_OK;
}

obn_status obn_session_create(const obn_model *model, const obn_session_options *options, obn_session **out)
{
    if (out) *out = NULL;
    if (!model || !out) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_session_create: NULL argument");
    obn_session_options defaults;
    obn_session_options_init(&defaults);
    if (!options) options = &defaults;
    if (options->threads < 0)
        return obn_err(OBN_E_INVALID_ARGUMENT, "obn_session_create: threads must be >= 0 (got %d)", options->threads);
    obn_limits limits;
    OBN_TRY(obn_limits_resolve(options->limits, "obn_session_create", &limits));
    OBN_TRY(check_model_limits(model, &limits));
    obn_session *s = calloc(1, sizeof *s);
    if (!s) return OBN_OOM();
    s->limits = limits;
    s->model = obn_model_retain(model);
    s->threads = options->threads;
#ifdef _OPENMP
    if (s->threads == 0) s->threads = omp_get_max_threads();
#else
    s->threads = 1;
#endif
    obn_run_state create_run;
    obn_run_start(&create_run, options->create_run_options);
    obn_plan_env create_env = {s->threads, &s->limits, &create_run, NULL};
    obn_status st = obn_graph_clone(model->graph, &s->graph);
    if (st == OBN_OK) s->graph->plan_env = &create_env;
    if (st == OBN_OK && !obn_graph_is_resolved(s->graph)) st = obn_graph_resolve(s->graph); /* names the unsupported op */
    if (st == OBN_OK && options->enable_passes) {
        obn_pass_options po = {true, options->fuse_activation != 0, true};
        obn_pass_log log = {0};
        st = obn_optimize_graph(s->graph, &po, &log);
        obn_pass_log_free(&log);
    }
    if (st == OBN_OK) {
        s->bound = calloc((size_t)(s->graph->n_inputs ? s->graph->n_inputs : 1), sizeof *s->bound);
        s->copies = calloc((size_t)(s->graph->n_outputs ? s->graph->n_outputs : 1), sizeof *s->copies);
        if (!s->bound || !s->copies) st = OBN_OOM();
    }
    if (st == OBN_OK) st = parse_all(s);
    if (st == OBN_OK) st = plan_declared(s, &create_run);
    if (s->graph) s->graph->plan_env = NULL;
    if (st != OBN_OK) {
        if (model->graph->source) obn_err_prefix(st, "%s: ", model->graph->source);
        obn_session_destroy(s);
        return st;
    }
    *out = s;
    return OBN_OK;
}

/* "float [N,3,?]": declared dtype and shape, symbolic dims by name. */
static const char *declared_str(const obn_value *v, char *buf, size_t cap)
{
    size_t n = 0;
    for (int w = 0; w < v->n_wrap && n < cap; w++) n += (size_t)snprintf(buf + n, cap - n, "%s of ", obn_kind_name(v->wrap[w]));
    if (n >= cap) return buf;
    n += (size_t)snprintf(buf + n, cap - n, "%s ", obn_dtype_name(v->dtype));
    if (v->rank < 0) {
        snprintf(buf + n, cap - n, "of any shape");
        return buf;
    }
    n += (size_t)snprintf(buf + n, cap - n, "[");
    for (int d = 0; d < v->rank && n < cap; d++) {
        const char *sep = d ? "," : "";
        if (v->dims[d] >= 0)
            n += (size_t)snprintf(buf + n, cap - n, "%s%lld", sep, (long long)v->dims[d]);
        else
            n += (size_t)snprintf(buf + n, cap - n, "%s%.32s", sep, v->dim_names[d] ? v->dim_names[d] : "?");
    }
    if (n < cap) snprintf(buf + n, cap - n, "]");
    return buf;
}

static obn_status check_tensor_input(const obn_value *v, const obn_tensor *t, const char *want);

/* A sequence's items or an optional's value, at wrapper `level` of the
 * declaration, checked down to the tensors inside. */
static obn_status check_value_input(const obn_value *v, int level, const obn_tensor *t, const char *want)
{
    obn_kind kind = level < v->n_wrap ? v->wrap[level] : OBN_KIND_TENSOR;
    if (!t) return obn_err(OBN_E_INVALID_ARGUMENT, "input '%s': a value is NULL (expected %s)", v->name, want);
    if (t->kind != kind)
        return obn_err(OBN_E_INVALID_INPUT, "input '%s': %s %s %s where the model expects %s %s (%s)", v->name,
                       level ? "holds" : "is", t->kind == OBN_KIND_OPTIONAL ? "an" : "a", obn_kind_name(t->kind),
                       kind == OBN_KIND_OPTIONAL ? "an" : "a", obn_kind_name(kind), want);
    if (kind == OBN_KIND_TENSOR) return check_tensor_input(v, t, want);
    if (!t->data) return obn_err(OBN_E_INVALID_ARGUMENT, "input '%s': the %s has no data", v->name, obn_kind_name(kind));
    for (int64_t i = 0; i < t->numel; i++) OBN_TRY(check_value_input(v, level + 1, obn_value_items(t)[i], want));
    return OBN_OK;
}

/* Checks one run-time input against the model's declaration; every message
 * names the input and what the model expects. */
static obn_status check_input(const obn_value *v, const obn_tensor *t)
{
    char want[OBN_SHAPE_STR_CAP + 64];
    declared_str(v, want, sizeof want);
    if (!t) return obn_err(OBN_E_INVALID_ARGUMENT, "input '%s': tensor is NULL (expected %s)", v->name, want);
    return check_value_input(v, 0, t, want);
}

static obn_status check_tensor_input(const obn_value *v, const obn_tensor *t, const char *want)
{
    char got[OBN_SHAPE_STR_CAP];
    if (!t->data) return obn_err(OBN_E_INVALID_ARGUMENT, "input '%s': tensor has no data", v->name);
    if (t->dtype != v->dtype)
        return obn_err(OBN_E_INVALID_INPUT, "input '%s': has dtype %s, the model expects %s", v->name,
                       obn_dtype_name(t->dtype), want);
    if (obn_check_subbyte_values(t, "") != OBN_OK)
        return obn_err_prefix(OBN_E_INVALID_INPUT, "input '%s'", v->name);
    if (v->rank < 0) return OBN_OK;
    bool ok = t->rank == v->rank;
    for (int d = 0; ok && d < v->rank; d++)
        if (v->dims[d] >= 0 && v->dims[d] != t->dims[d]) ok = false;
    if (!ok)
        return obn_err(OBN_E_INVALID_INPUT, "input '%s': has shape %s (rank %d), the model expects %s", v->name,
                       obn_shape_str(t->rank, t->dims, got, sizeof got), t->rank, want);
    return OBN_OK;
}

/* "x (float [N,3,224,224]), mask (bool [N,?])" for messages; "none" if the
 * model takes no input. */
static const char *list_inputs(const obn_graph *g, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    if (g->n_inputs == 0) snprintf(buf, cap, "none");
    for (int k = 0; k < g->n_inputs && n < cap; k++) {
        char want[OBN_SHAPE_STR_CAP + 64];
        const obn_value *v = &g->values[g->inputs[k]];
        if (k == 4) {
            snprintf(buf + n, cap - n, ", ... (%d in all)", g->n_inputs);
            break;
        }
        n += (size_t)snprintf(buf + n, cap - n, "%s'%.64s' (%s)", k ? ", " : "", v->name,
                              declared_str(v, want, sizeof want));
    }
    return buf;
}

static obn_status bind_run_inputs(obn_session *s, size_t n, const char *const *names, const obn_tensor *const *inputs)
{
    const obn_graph *g = s->graph;
    if (n && (!names || !inputs))
        return obn_err(OBN_E_INVALID_ARGUMENT, "obn_session_run: input_names or inputs is NULL");
    for (int k = 0; k < g->n_inputs; k++) s->bound[k] = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!names[i]) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_session_run: input name #%zu is NULL", i);
        int k;
        for (k = 0; k < g->n_inputs; k++)
            if (strcmp(g->values[g->inputs[k]].name, names[i]) == 0) break;
        if (k == g->n_inputs) {
            int v = obn_graph_find(g, names[i]);
            if (v >= 0 && g->values[v].init)
                return obn_err(OBN_E_INVALID_INPUT, "'%s' is an initializer of the model, not an input", names[i]);
            char expected[512];
            return obn_err(OBN_E_INVALID_INPUT, "the model has no input named '%s' (its inputs: %s)", names[i],
                           list_inputs(g, expected, sizeof expected));
        }
        if (s->bound[k]) {
            char want[OBN_SHAPE_STR_CAP + 64];
            return obn_err(OBN_E_INVALID_INPUT, "input '%s' (%s) is given twice", names[i],
                           declared_str(&g->values[g->inputs[k]], want, sizeof want));
        }
        OBN_TRY(check_input(&g->values[g->inputs[k]], inputs[i]));
        s->bound[k] = inputs[i];
    }
    for (int k = 0; k < g->n_inputs; k++)
        if (!s->bound[k]) {
            char want[OBN_SHAPE_STR_CAP + 64];
            const obn_value *v = &g->values[g->inputs[k]];
            return obn_err(OBN_E_INVALID_INPUT, "input '%s' (%s) is missing", v->name,
                           declared_str(v, want, sizeof want));
        }
    return OBN_OK;
}

static bool plan_matches(const obn_session *s)
{
    if (!s->have_plan || s->plan.eager) return false;
    const obn_graph *g = s->graph;
    for (int k = 0; k < g->n_inputs; k++) {
        const obn_tensor *p = s->plan.vals[g->inputs[k]];
        const obn_tensor *t = s->bound[k];
        if (p->rank != t->rank) return false;
        for (int d = 0; d < t->rank; d++)
            if (p->dims[d] != t->dims[d]) return false;
    }
    return true;
}

/* A graph output that is also a graph input would otherwise be returned as
 * the plan's view of the caller's input buffer, which the caller may free
 * right after the run; the header promises session-owned outputs, so copy it
 * (into a buffer kept while the shape stays the same). */
static obn_status own_copy(obn_session *s, int out_index, const obn_tensor *src, const obn_tensor **out)
{
    obn_tensor *c = s->copies[out_index];
    if (src->kind != OBN_KIND_TENSOR) { /* immutable items: a new container sharing them */
        obn_tensor_release(c);
        s->copies[out_index] = NULL;
        OBN_TRY(obn_value_snapshot(src, &s->copies[out_index]));
        *out = s->copies[out_index];
        return OBN_OK;
    }
    if (c && c->kind != OBN_KIND_TENSOR) {
        obn_tensor_release(c);
        s->copies[out_index] = c = NULL;
    }
    bool same = c && c->dtype == src->dtype && c->rank == src->rank;
    for (int d = 0; same && d < src->rank; d++) same = c->dims[d] == src->dims[d];
    if (!same) {
        obn_tensor_release(c);
        s->copies[out_index] = NULL;
        OBN_TRY(obn_tensor_new(src->dtype, src->rank, src->dims, &c));
        s->copies[out_index] = c;
        if (src->name && obn_strdup(src->name, &c->name)) return OBN_OOM();
    }
    OBN_TRY(obn_tensor_copy_data(c, src));
    *out = c;
    return OBN_OK;
}

static obn_status collect_outputs(obn_session *s, size_t n, const char *const *names, const obn_tensor **outputs)
{
    const obn_graph *g = s->graph;
    if (!names && n != (size_t)g->n_outputs)
        return obn_err(OBN_E_INVALID_ARGUMENT, "obn_session_run: %zu outputs requested, the model has %d",
                       n, g->n_outputs);
    for (size_t i = 0; i < n; i++) {
        int k = -1;
        if (!names) {
            k = (int)i;
        } else {
            for (int j = 0; j < g->n_outputs && k < 0; j++)
                if (names[i] && strcmp(g->values[g->outputs[j]].name, names[i]) == 0) k = j;
            if (k < 0)
                return obn_err(OBN_E_INVALID_ARGUMENT, "the model has no output named '%s'",
                               names[i] ? names[i] : "(null)");
        }
        int v = g->outputs[k];
        outputs[i] = s->plan.vals[v];
        if (g->values[v].is_input) OBN_TRY(own_copy(s, k, s->plan.vals[v], &outputs[i]));
    }
    return OBN_OK;
}

obn_status obn_session_run(obn_session *s, size_t n_inputs, const char *const *input_names,
                           const obn_tensor *const *inputs, size_t n_outputs,
                           const char *const *output_names, const obn_tensor **outputs)
{
    return obn_session_run_with(s, NULL, n_inputs, input_names, inputs, n_outputs, output_names, outputs);
}

obn_status obn_session_run_with(obn_session *s, const obn_run_options *options, size_t n_inputs,
                                const char *const *input_names, const obn_tensor *const *inputs, size_t n_outputs,
                                const char *const *output_names, const obn_tensor **outputs)
{
    obn_run_state run;
    obn_run_start(&run, options);
    if (!s) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_session_run: session is NULL");
    if (n_outputs && !outputs) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_session_run: outputs is NULL");
    for (size_t i = 0; i < n_outputs; i++) outputs[i] = NULL;
    OBN_TRY(bind_run_inputs(s, n_inputs, input_names, inputs));
    obn_status st = OBN_OK;
    const char *src = s->graph->source ? s->graph->source : "<model>";
    if (s->dynamic || !plan_matches(s)) {
        st = replan(s, s->bound, true, &run);
        if (st != OBN_OK) return obn_err_prefix(st, "%s: ", src);
    }
    if (!s->plan.eager) {
        st = obn_plan_run(&s->plan, s->graph, s->bound, &(obn_plan_env){s->threads, &s->limits, &run, observer_of(s)});
        if (st != OBN_OK) return obn_err_prefix(st, "%s: ", src);
    }
    st = collect_outputs(s, n_outputs, output_names, outputs);
    if (st != OBN_OK)
        for (size_t i = 0; i < n_outputs; i++) outputs[i] = NULL;
    return st;
}

obn_status obn_session_set_node_callback(obn_session *s, obn_node_callback callback, void *user_data)
{
    if (!s) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_session_set_node_callback: session is NULL");
    s->observer = (obn_observer){callback, user_data};
    /* the next run plans again: nodes folded while planning are reported too */
    if (s->have_plan) {
        obn_plan_free(&s->plan);
        s->have_plan = false;
    }
    return OBN_OK;
}
