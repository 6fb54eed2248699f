/* Recalibration of BatchNormalization population statistics
 * (include/onnxbn.h, "Recalibration").
 *
 * A calibration copy of the graph puts every BatchNormalization in training
 * mode and makes its batch mean and population variance graph outputs:
 * versions 14/15 through running_mean/running_var with momentum 0 (their
 * mean/var initializers turned to double there, which their separate
 * statistics type allows, so the batch statistics come out in double),
 * versions 1-9 through saved_mean/saved_var (is_test cleared). A Size node
 * on each BN input gives the values per channel of the batch. Each batch's
 * statistics are then folded into double accumulators: Chan et al.'s
 * pairwise update of (count, mean, M2) or the momentum rule. finish writes
 * them into a copy of the original graph. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "op.h"
#include "status.h"
#include "kernels/half.h"
#include "tensor.h"

typedef struct {
    int node;                 /* index in the original graph */
    int mean_value, var_value; /* its mean/var initializers there */
    int64_t k;                /* statistics per node */
    double eps;
    double count;             /* values per channel accumulated */
    int64_t batches;
    double *mean, *acc;       /* acc: M2 (cumulative) or the variance (momentum) */
    double *old_mean, *old_var;
} recal_bn;

struct obn_recalib {
    obn_model *source;        /* retained */
    obn_model *calib;         /* the calibration copy */
    obn_session *session;
    obn_recalib_options opts;
    recal_bn *bns;
    int n_bns;
    const char **out_names;   /* per BN: mean, var, size (borrowed from calib's graph) */
};

void obn_recalib_options_init(obn_recalib_options *o)
{
    if (!o) return;
    o->rule = OBN_RECALIB_CUMULATIVE;
    o->momentum = 0.9;
    o->threads = 0;
}

static bool is_bn(const obn_node *n) { return n->domain[0] == '\0' && strcmp(n->op_type, "BatchNormalization") == 0; }

static float node_float(const obn_node *n, const char *name, float def)
{
    const obn_attr *a = obn_node_attr(n, name);
    return a && a->type == OBN_ATTR_FLOAT ? a->f : def;
}

/* The mean/var input `slot` of BN node `ni` must be an initializer that
 * nothing else uses: it is the tensor recalibration rewrites. */
static obn_status check_stat_input(const obn_graph *g, int ni, int slot, const int *uses)
{
    const obn_node *n = &g->nodes[ni];
    char d[OBN_NODE_DESC_CAP];
    int v = n->inputs[slot];
    const char *role = slot == 3 ? "mean" : "var";
    if (!g->values[v].init || g->values[v].is_input)
        return obn_err(OBN_E_UNSUPPORTED, "%s: input '%s' ('%s') is not an initializer; recalibration rewrites the "
                       "statistics initializers", obn_node_desc(n, d, sizeof d), role, g->values[v].name);
    if (uses[v] > 1 || obn_graph_is_output(g, v))
        return obn_err(OBN_E_UNSUPPORTED, "%s: initializer '%s' (%s) is also used elsewhere; recalibration needs "
                       "statistics of its own per BatchNormalization", obn_node_desc(n, d, sizeof d), g->values[v].name, role);
    return OBN_OK;
}

/* Collects the BN nodes of the source graph and their current statistics. */
static obn_status find_bns(obn_recalib *r)
{
    const obn_graph *g = r->source->graph;
    int *uses = calloc((size_t)(g->n_values ? g->n_values : 1), sizeof *uses);
    r->bns = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof *r->bns);
    if (!uses || !r->bns) {
        free(uses);
        return OBN_OOM();
    }
    obn_graph_count_uses(g, uses);
    obn_status st = OBN_OK;
    for (int i = 0; st == OBN_OK && i < g->n_nodes; i++) {
        const obn_node *n = &g->nodes[i];
        if (n->dead || !is_bn(n)) continue;
        if ((st = check_stat_input(g, i, 3, uses)) || (st = check_stat_input(g, i, 4, uses))) break;
        recal_bn *b = &r->bns[r->n_bns++];
        b->node = i;
        b->mean_value = n->inputs[3];
        b->var_value = n->inputs[4];
        b->k = g->values[b->mean_value].init->numel;
        b->eps = node_float(n, "epsilon", 1e-5f);
        size_t k = (size_t)(b->k ? b->k : 1);
        b->mean = calloc(k, sizeof(double));
        b->acc = calloc(k, sizeof(double));
        b->old_mean = malloc(k * sizeof(double));
        b->old_var = malloc(k * sizeof(double));
        if (!b->mean || !b->acc || !b->old_mean || !b->old_var) {
            st = OBN_OOM();
            break;
        }
        for (int64_t c = 0; c < b->k; c++) {
            b->old_mean[c] = obn_load_f64(g->values[b->mean_value].init, c);
            b->old_var[c] = obn_load_f64(g->values[b->var_value].init, c);
        }
    }
    free(uses);
    if (st == OBN_OK && r->n_bns == 0)
        st = obn_err(OBN_E_INVALID_MODEL, "%s: the model has no BatchNormalization node to recalibrate; if its "
                     "BatchNormalization layers were folded into Conv/Gemm (onnxbn optimize), recalibrate the model "
                     "before folding", g->source ? g->source : "model");
    return st;
}

/* Output `slot` of node ni in the calibration graph, created if the node
 * leaves it out; its id in *value. */
static obn_status ensure_output(obn_graph *g, int ni, int slot, const char *suffix, int *value)
{
    obn_node *n = &g->nodes[ni];
    if (n->n_outputs <= slot) {
        int *outs = realloc(n->outputs, (size_t)(slot + 1) * sizeof *outs);
        if (!outs) return OBN_OOM();
        for (int k = n->n_outputs; k <= slot; k++) outs[k] = -1;
        n->outputs = outs;
        n->n_outputs = slot + 1;
    }
    if (n->outputs[slot] < 0) {
        char base[300], name[512];
        snprintf(base, sizeof base, "%s_recalib_%s", n->name[0] ? n->name : "bn", suffix);
        obn_graph_unique_name(g, base, name, sizeof name);
        int id;
        OBN_TRY(obn_graph_add_value(g, name, &id));
        g->nodes[ni].outputs[slot] = id;
        g->values[id].producer = ni;
    }
    *value = g->nodes[ni].outputs[slot];
    return OBN_OK;
}

static obn_status set_attr(obn_node *n, const char *name, obn_attr_type type, float f, int64_t i)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%s", name);
    obn_attr a = {.name = buf, .type = type, .f = f, .i = i};
    return obn_node_set_attr(n, &a);
}

/* A double copy of a statistics initializer (versions 14/15). */
static obn_status to_double_init(obn_graph *g, int value)
{
    obn_value *v = &g->values[value];
    obn_tensor *t;
    OBN_TRY(obn_tensor_new(OBN_DOUBLE, v->init->rank, v->init->dims, &t));
    for (int64_t c = 0; c < t->numel; c++) ((double *)t->data)[c] = obn_load_f64(v->init, c);
    obn_tensor_release(v->init);
    v->init = t;
    v->dtype = OBN_DOUBLE;
    return OBN_OK;
}

/* A Size node on the BN's input X; its output value in *value. */
static obn_status add_size_node(obn_graph *g, int ni, int *value)
{
    char base[300], name[512];
    snprintf(base, sizeof base, "%s_recalib_size", g->nodes[ni].name[0] ? g->nodes[ni].name : "bn");
    obn_graph_unique_name(g, base, name, sizeof name);
    int vid, nid, sv;
    OBN_TRY(obn_graph_add_value(g, name, &vid));
    const obn_op *op = obn_registry_find("", "Size", obn_graph_opset(g, ""), &sv);
    if (!op) return obn_err_prefix(OBN_E_UNSUPPORTED, "recalibration: ");
    OBN_TRY(obn_graph_add_node(g, name, "Size", "", &nid));
    int x = g->nodes[ni].inputs[0];
    OBN_TRY(obn_node_set_io(&g->nodes[nid], 1, &x, 1, &vid));
    g->nodes[nid].op = op;
    g->nodes[nid].since_version = sv;
    g->values[vid].producer = nid;
    *value = vid;
    return OBN_OK;
}

/* Turns BN node ni of the calibration graph into its training form and
 * appends mean, var and size values to `outs`. */
static obn_status instrument_bn(obn_graph *g, int ni, int *outs)
{
    int v = g->nodes[ni].since_version;
    int mean_slot = v >= 14 ? 1 : 3;
    if (v >= 14) {
        OBN_TRY(set_attr(&g->nodes[ni], "training_mode", OBN_ATTR_INT, 0, 1));
        OBN_TRY(set_attr(&g->nodes[ni], "momentum", OBN_ATTR_FLOAT, 0.0f, 0));
        OBN_TRY(to_double_init(g, g->nodes[ni].inputs[3]));
        OBN_TRY(to_double_init(g, g->nodes[ni].inputs[4]));
    } else if (v <= 6) {
        OBN_TRY(set_attr(&g->nodes[ni], "is_test", OBN_ATTR_INT, 0, 0));
    }
    OBN_TRY(ensure_output(g, ni, mean_slot, "mean", &outs[0]));
    OBN_TRY(ensure_output(g, ni, mean_slot + 1, "var", &outs[1]));
    return add_size_node(g, ni, &outs[2]);
}

/* The calibration model and its session. */
static obn_status build_calibration(obn_recalib *r)
{
    obn_graph *g;
    OBN_TRY(obn_graph_clone(r->source->graph, &g));
    int n_stat = 3 * r->n_bns;
    int *outs = realloc(g->outputs, (size_t)(g->n_outputs + n_stat) * sizeof *outs);
    if (!outs) {
        obn_graph_free(g);
        return OBN_OOM();
    }
    g->outputs = outs;
    obn_status st = OBN_OK;
    for (int b = 0; st == OBN_OK && b < r->n_bns; b++) {
        st = instrument_bn(g, r->bns[b].node, &g->outputs[g->n_outputs]);
        if (st == OBN_OK) g->n_outputs += 3;
    }
    if (st == OBN_OK) st = obn_graph_toposort(g);
    if (st != OBN_OK) {
        obn_graph_free(g);
        return st;
    }
    OBN_TRY(obn_model_wrap(g, &r->calib));
    r->out_names = calloc((size_t)n_stat, sizeof *r->out_names);
    if (!r->out_names) return OBN_OOM();
    for (int i = 0; i < n_stat; i++) r->out_names[i] = g->values[g->outputs[g->n_outputs - n_stat + i]].name;
    obn_session_options so;
    obn_session_options_init(&so);
    so.threads = r->opts.threads;
    so.enable_passes = 0;
    return obn_session_create(r->calib, &so, &r->session);
}

obn_status obn_recalib_create(const obn_model *model, const obn_recalib_options *options, obn_recalib **out)
{
    if (!model || !out) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_recalib_create: NULL argument");
    *out = NULL;
    obn_recalib *r = calloc(1, sizeof *r);
    if (!r) return OBN_OOM();
    obn_recalib_options_init(&r->opts);
    if (options) r->opts = *options;
    obn_status st = OBN_OK;
    if (r->opts.rule != OBN_RECALIB_CUMULATIVE && r->opts.rule != OBN_RECALIB_MOMENTUM)
        st = obn_err(OBN_E_INVALID_ARGUMENT, "obn_recalib_create: unknown rule %d", (int)r->opts.rule);
    else if (r->opts.rule == OBN_RECALIB_MOMENTUM && !(r->opts.momentum >= 0 && r->opts.momentum <= 1))
        st = obn_err(OBN_E_INVALID_ARGUMENT, "obn_recalib_create: momentum %g is not in [0, 1]", r->opts.momentum);
    else if (r->opts.threads < 0)
        st = obn_err(OBN_E_INVALID_ARGUMENT, "obn_recalib_create: threads is %d, expected >= 0", r->opts.threads);
    r->source = obn_model_retain(model);
    if (st == OBN_OK) st = find_bns(r);
    if (st == OBN_OK) st = build_calibration(r);
    if (st != OBN_OK) {
        obn_recalib_destroy(r);
        return st;
    }
    *out = r;
    return OBN_OK;
}

void obn_recalib_destroy(obn_recalib *r)
{
    if (!r) return;
    obn_session_destroy(r->session);
    obn_model_destroy(r->calib);
    obn_model_destroy(r->source);
    for (int b = 0; r->bns && b < r->n_bns; b++) {
        free(r->bns[b].mean);
        free(r->bns[b].acc);
        free(r->bns[b].old_mean);
        free(r->bns[b].old_var);
    }
    free(r->bns);
    free(r->out_names);
    free(r);
}

/* Folds one batch's statistics (n values per channel) into b. */
static void accumulate(const obn_recalib_options *o, recal_bn *b, const obn_tensor *mean, const obn_tensor *var, double n)
{
    for (int64_t c = 0; c < b->k; c++) {
        double m = obn_load_f64(mean, c), v = obn_load_f64(var, c);
        if (o->rule == OBN_RECALIB_MOMENTUM) {
            double om = b->batches ? b->mean[c] : b->old_mean[c], ov = b->batches ? b->acc[c] : b->old_var[c];
            b->mean[c] = om * o->momentum + m * (1 - o->momentum);
            b->acc[c] = ov * o->momentum + v * (1 - o->momentum);
            continue;
        }
        /* Chan, Golub & LeVeque (1979): combine (count, mean, M2) pairs */
        double total = b->count + n, delta = m - b->mean[c];
        b->mean[c] += delta * n / total;
        b->acc[c] += v * n + delta * delta * b->count * n / total;
    }
    b->count += n;
    b->batches++;
}

obn_status obn_recalib_feed(obn_recalib *r, size_t n_inputs, const char *const *input_names,
                            const obn_tensor *const *inputs)
{
    if (!r) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_recalib_feed: NULL argument");
    size_t n_out = 3 * (size_t)r->n_bns;
    const obn_tensor **outs = calloc(n_out, sizeof *outs);
    if (!outs) return OBN_OOM();
    obn_status st = obn_session_run(r->session, n_inputs, input_names, inputs, n_out, r->out_names, outs);
    for (int b = 0; st == OBN_OK && b < r->n_bns; b++) {
        const obn_tensor *size = outs[3 * b + 2];
        if (obn_load_f64(size, 0) <= 0 || r->bns[b].k == 0) {
            const obn_node *n = &r->source->graph->nodes[r->bns[b].node];
            char d[OBN_NODE_DESC_CAP];
            st = obn_err(OBN_E_INVALID_INPUT, "obn_recalib_feed: %s: the batch gives it no values", obn_node_desc(n, d, sizeof d));
        }
    }
    for (int b = 0; st == OBN_OK && b < r->n_bns; b++) {
        recal_bn *bn = &r->bns[b];
        double per_channel = obn_load_f64(outs[3 * b + 2], 0) / (double)bn->k;
        accumulate(&r->opts, bn, outs[3 * b], outs[3 * b + 1], per_channel);
    }
    free(outs);
    return st;
}

size_t obn_recalib_bn_count(const obn_recalib *r) { return r ? (size_t)r->n_bns : 0; }

static double new_var(const obn_recalib *r, const recal_bn *b, int64_t c)
{
    return r->opts.rule == OBN_RECALIB_MOMENTUM ? b->acc[c] : b->acc[c] / b->count;
}

obn_status obn_recalib_bn_report(const obn_recalib *r, size_t index, obn_recalib_report *out)
{
    if (!r || !out || index >= (size_t)r->n_bns)
        return obn_err(OBN_E_INVALID_ARGUMENT, "obn_recalib_bn_report: NULL argument or index out of range");
    const recal_bn *b = &r->bns[index];
    const obn_node *n = &r->source->graph->nodes[b->node];
    memset(out, 0, sizeof *out);
    out->node_name = n->name;
    out->since_version = n->since_version;
    out->channels = b->k;
    out->values = b->count;
    out->batches = b->batches;
    if (!b->batches) return OBN_OK;
    out->var_ratio_min = INFINITY;
    out->var_ratio_max = -INFINITY;
    for (int64_t c = 0; c < b->k; c++) {
        double sigma = sqrt(b->old_var[c] + b->eps), nv = new_var(r, b, c);
        double shift = fabs(b->mean[c] - b->old_mean[c]) / sigma, ratio = (nv + b->eps) / (b->old_var[c] + b->eps);
        if (shift > out->max_mean_shift || c == 0) {
            out->max_mean_shift = shift;
            out->max_shift_channel = c;
        }
        out->var_ratio_min = fmin(out->var_ratio_min, ratio);
        out->var_ratio_max = fmax(out->var_ratio_max, ratio);
    }
    return OBN_OK;
}

/* A tensor like `like` (dtype, shape) holding v. */
static obn_status stat_tensor(const obn_tensor *like, const double *v, obn_tensor **out)
{
    OBN_TRY(obn_tensor_new(like->dtype, like->rank, like->dims, out));
    for (int64_t c = 0; c < like->numel; c++) {
        switch (like->dtype) {
        case OBN_FLOAT: ((float *)(*out)->data)[c] = (float)v[c]; break;
        case OBN_DOUBLE: ((double *)(*out)->data)[c] = v[c]; break;
        case OBN_FLOAT16: ((uint16_t *)(*out)->data)[c] = obn_f32_to_f16((float)v[c]); break;
        default: ((uint16_t *)(*out)->data)[c] = obn_f32_to_bf16((float)v[c]); break;
        }
    }
    return OBN_OK;
}

static obn_status replace_init(obn_graph *g, int value, const double *v)
{
    obn_tensor *t;
    OBN_TRY(stat_tensor(g->values[value].init, v, &t));
    obn_tensor_release(g->values[value].init);
    g->values[value].init = t;
    return OBN_OK;
}

obn_status obn_recalib_finish(const obn_recalib *r, obn_model **out)
{
    if (!r || !out) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_recalib_finish: NULL argument");
    *out = NULL;
    if (r->bns[0].batches == 0) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_recalib_finish: no batch was fed");
    obn_graph *g;
    OBN_TRY(obn_graph_clone(r->source->graph, &g));
    obn_status st = OBN_OK;
    for (int i = 0; st == OBN_OK && i < r->n_bns; i++) {
        const recal_bn *b = &r->bns[i];
        double *var = malloc((size_t)(b->k ? b->k : 1) * sizeof *var);
        if (!var) {
            st = OBN_OOM();
            break;
        }
        for (int64_t c = 0; c < b->k; c++) var[c] = new_var(r, b, c);
        st = replace_init(g, b->mean_value, b->mean);
        if (st == OBN_OK) st = replace_init(g, b->var_value, var);
        free(var);
    }
    if (st != OBN_OK) {
        obn_graph_free(g);
        return st;
    }
    return obn_model_wrap(g, out);
}
