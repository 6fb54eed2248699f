#include "ir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"
#include "status.h"

obn_status obn_strdup(const char *s, char **out)
{
    *out = strdup(s ? s : "");
    return *out ? OBN_OK : OBN_OOM();
}

const char *obn_attr_type_name(obn_attr_type type)
{
    static const char *names[] = {"UNDEFINED", "FLOAT", "INT", "STRING", "TENSOR",
                                  "GRAPH", "FLOATS", "INTS", "STRINGS", "TENSORS",
                                  "GRAPHS", "SPARSE_TENSOR", "SPARSE_TENSORS",
                                  "TYPE_PROTO", "TYPE_PROTOS"};
    if ((int)type < 0 || (size_t)type >= sizeof names / sizeof names[0]) return "UNKNOWN";
    return names[type];
}

obn_status obn_graph_new(obn_graph **out)
{
    obn_graph *g = calloc(1, sizeof *g);
    if (!g) return OBN_OOM();
    obn_strmap_init(&g->names);
    *out = g;
    return OBN_OK;
}

void obn_attr_clear(obn_attr *a)
{
    free(a->name);
    free(a->s);
    obn_tensor_release(a->t);
    free(a->floats);
    free(a->ints);
    if (a->strings)
        for (size_t i = 0; i < a->n; i++) free(a->strings[i]);
    free(a->strings);
    free(a->string_lens);
    obn_graph_free(a->g);
    memset(a, 0, sizeof *a);
}

static void node_clear(obn_node *n)
{
    free(n->name);
    free(n->op_type);
    free(n->domain);
    free(n->inputs);
    free(n->outputs);
    free(n->act.name);
    free(n->act.op_type);
    free(n->act.mul_name);
    free(n->bias.add_name);
    obn_tensor_release(n->bias.data);
    for (int i = 0; i < n->n_attrs; i++) obn_attr_clear(&n->attrs[i]);
    free(n->attrs);
    memset(n, 0, sizeof *n);
}

static void value_clear(obn_value *v)
{
    free(v->name);
    for (int i = 0; i < OBN_MAX_RANK; i++) free(v->dim_names[i]);
    obn_tensor_release(v->init);
    memset(v, 0, sizeof *v);
}

void obn_graph_free(obn_graph *g)
{
    if (!g) return;
    for (int i = 0; i < g->n_values; i++) value_clear(&g->values[i]);
    for (int i = 0; i < g->n_nodes; i++) node_clear(&g->nodes[i]);
    free(g->values);
    free(g->nodes);
    free(g->inputs);
    free(g->outputs);
    for (int i = 0; i < g->n_opsets; i++) free(g->opsets[i].domain);
    free(g->opsets);
    obn_strmap_free(&g->names);
    free(g->producer_name);
    free(g->producer_version);
    free(g->graph_name);
    free(g->model_domain);
    free(g->doc_string);
    free(g->source);
    obn_op_registry_destroy(g->custom_ops);
    free(g);
}

obn_status obn_graph_add_value(obn_graph *g, const char *name, int *id)
{
    if (obn_strmap_get(&g->names, name) >= 0)
        return obn_err(OBN_E_INVALID_MODEL, "tensor '%s' is defined twice", name);
    if (g->n_values == g->cap_values) {
        int cap = g->cap_values ? g->cap_values * 2 : 64;
        obn_value *nv = realloc(g->values, (size_t)cap * sizeof *nv);
        if (!nv) return OBN_OOM();
        g->values = nv;
        g->cap_values = cap;
    }
    obn_value *v = &g->values[g->n_values];
    memset(v, 0, sizeof *v);
    v->rank = -1;
    v->producer = -1;
    OBN_TRY(obn_strdup(name, &v->name));
    obn_status s = obn_strmap_put(&g->names, v->name, g->n_values);
    if (s != OBN_OK) {
        free(v->name);
        return s;
    }
    *id = g->n_values++;
    return OBN_OK;
}

int obn_graph_find(const obn_graph *g, const char *name) { return obn_strmap_get(&g->names, name); }

void obn_graph_unique_name(const obn_graph *g, const char *base, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", base);
    for (int k = 1; obn_graph_find(g, buf) >= 0; k++) snprintf(buf, cap, "%s_%d", base, k);
}

obn_status obn_graph_add_node(obn_graph *g, const char *name, const char *op_type,
                              const char *domain, int *id)
{
    if (g->n_nodes == g->cap_nodes) {
        int cap = g->cap_nodes ? g->cap_nodes * 2 : 64;
        obn_node *nn = realloc(g->nodes, (size_t)cap * sizeof *nn);
        if (!nn) return OBN_OOM();
        g->nodes = nn;
        g->cap_nodes = cap;
    }
    obn_node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    if (obn_strdup(name, &n->name) || obn_strdup(op_type, &n->op_type) ||
        obn_strdup(domain, &n->domain)) {
        node_clear(n);
        return OBN_OOM();
    }
    *id = g->n_nodes++;
    return OBN_OK;
}

obn_status obn_node_set_io(obn_node *n, int n_inputs, const int *inputs, int n_outputs,
                           const int *outputs)
{
    int *in = malloc((size_t)(n_inputs ? n_inputs : 1) * sizeof *in);
    int *out = malloc((size_t)(n_outputs ? n_outputs : 1) * sizeof *out);
    if (!in || !out) {
        free(in);
        free(out);
        return OBN_OOM();
    }
    if (n_inputs) memcpy(in, inputs, (size_t)n_inputs * sizeof *in);
    if (n_outputs) memcpy(out, outputs, (size_t)n_outputs * sizeof *out);
    free(n->inputs);
    free(n->outputs);
    n->inputs = in;
    n->outputs = out;
    n->n_inputs = n_inputs;
    n->n_outputs = n_outputs;
    return OBN_OK;
}

int obn_node_outer_base(const obn_node *n, const obn_graph *g)
{
    int base = obn_node_n_formal(n);
    for (int i = 0; i < n->n_attrs; i++) {
        const obn_graph *sub = n->attrs[i].g;
        if (!sub) continue;
        if (sub == g) return base;
        base += sub->n_outer;
    }
    return -1;
}

const obn_attr *obn_node_attr(const obn_node *n, const char *name)
{
    for (int i = 0; i < n->n_attrs; i++)
        if (strcmp(n->attrs[i].name, name) == 0) return &n->attrs[i];
    return NULL;
}

obn_status obn_attr_copy(obn_attr *dst, const obn_attr *src)
{
    memset(dst, 0, sizeof *dst);
    dst->type = src->type;
    dst->f = src->f;
    dst->i = src->i;
    dst->n = src->n;
    dst->s_len = src->s_len;
    dst->t = obn_tensor_retain(src->t);
    dst->tp_dtype = src->tp_dtype;
    dst->tp_n_wrap = src->tp_n_wrap;
    memcpy(dst->tp_wrap, src->tp_wrap, sizeof dst->tp_wrap);
    if (obn_strdup(src->name, &dst->name)) goto oom;
    if (src->s) {
        dst->s = malloc(src->s_len + 1);
        if (!dst->s) goto oom;
        memcpy(dst->s, src->s, src->s_len + 1);
    }
    if (src->floats) {
        dst->floats = malloc((src->n ? src->n : 1) * sizeof(float));
        if (!dst->floats) goto oom;
        memcpy(dst->floats, src->floats, src->n * sizeof(float));
    }
    if (src->ints) {
        dst->ints = malloc((src->n ? src->n : 1) * sizeof(int64_t));
        if (!dst->ints) goto oom;
        memcpy(dst->ints, src->ints, src->n * sizeof(int64_t));
    }
    if (src->strings) {
        dst->strings = calloc(src->n ? src->n : 1, sizeof(char *));
        if (!dst->strings) goto oom;
        for (size_t i = 0; i < src->n; i++) {
            size_t len = src->string_lens ? src->string_lens[i] : strlen(src->strings[i]);
            if (!(dst->strings[i] = malloc(len + 1))) goto oom;
            memcpy(dst->strings[i], src->strings[i], len + 1);
        }
        if (src->string_lens) {
            if (!(dst->string_lens = malloc((src->n ? src->n : 1) * sizeof(size_t)))) goto oom;
            memcpy(dst->string_lens, src->string_lens, src->n * sizeof(size_t));
        }
    }
    if (src->g && obn_graph_clone(src->g, &dst->g)) goto oom;
    return OBN_OK;
oom:
    obn_attr_clear(dst);
    return OBN_OOM();
}

obn_status obn_node_set_attr(obn_node *n, const obn_attr *a)
{
    obn_attr copy;
    OBN_TRY(obn_attr_copy(&copy, a));
    for (int i = 0; i < n->n_attrs; i++) {
        if (strcmp(n->attrs[i].name, a->name) == 0) {
            obn_attr_clear(&n->attrs[i]);
            n->attrs[i] = copy;
            return OBN_OK;
        }
    }
    obn_attr *na = realloc(n->attrs, (size_t)(n->n_attrs + 1) * sizeof *na);
    if (!na) {
        obn_attr_clear(&copy);
        return OBN_OOM();
    }
    n->attrs = na;
    n->attrs[n->n_attrs++] = copy;
    return OBN_OK;
}

static obn_status node_copy(obn_node *dst, const obn_node *src)
{
    memset(dst, 0, sizeof *dst);
    dst->since_version = src->since_version;
    dst->n_implicit = src->n_implicit;
    dst->op = src->op;
    dst->dead = src->dead;
    dst->act = src->act;
    dst->act.name = dst->act.op_type = dst->act.mul_name = NULL;
    if ((src->act.name && obn_strdup(src->act.name, &dst->act.name)) ||
        (src->act.op_type && obn_strdup(src->act.op_type, &dst->act.op_type)) ||
        (src->act.mul_name && obn_strdup(src->act.mul_name, &dst->act.mul_name)))
        goto oom;
    dst->bias = src->bias;
    dst->bias.add_name = NULL;
    dst->bias.data = src->bias.data ? obn_tensor_retain(src->bias.data) : NULL;
    if (src->bias.add_name && obn_strdup(src->bias.add_name, &dst->bias.add_name)) goto oom;
    if (obn_strdup(src->name, &dst->name) || obn_strdup(src->op_type, &dst->op_type) ||
        obn_strdup(src->domain, &dst->domain) ||
        obn_node_set_io(dst, src->n_inputs, src->inputs, src->n_outputs, src->outputs))
        goto oom;
    if (src->n_attrs) {
        dst->attrs = calloc((size_t)src->n_attrs, sizeof *dst->attrs);
        if (!dst->attrs) goto oom;
        for (int i = 0; i < src->n_attrs; i++) {
            if (obn_attr_copy(&dst->attrs[i], &src->attrs[i])) goto oom;
            dst->n_attrs++;
        }
    }
    return OBN_OK;
oom:
    node_clear(dst);
    return OBN_OOM();
}

static obn_status value_copy(obn_value *dst, const obn_value *src)
{
    *dst = *src;
    dst->name = NULL;
    for (int i = 0; i < OBN_MAX_RANK; i++) dst->dim_names[i] = NULL;
    dst->init = obn_tensor_retain(src->init);
    if (obn_strdup(src->name, &dst->name)) goto oom;
    for (int i = 0; i < OBN_MAX_RANK; i++)
        if (src->dim_names[i] && obn_strdup(src->dim_names[i], &dst->dim_names[i])) goto oom;
    return OBN_OK;
oom:
    value_clear(dst);
    return OBN_OOM();
}

static obn_status dup_ints(const int *src, int n, int **out)
{
    *out = malloc((size_t)(n ? n : 1) * sizeof **out);
    if (!*out) return OBN_OOM();
    if (n) memcpy(*out, src, (size_t)n * sizeof **out);
    return OBN_OK;
}

obn_status obn_graph_clone(const obn_graph *g, obn_graph **out)
{
    obn_graph *c = NULL;
    *out = NULL;
    OBN_TRY(obn_graph_new(&c));
    c->values = calloc((size_t)(g->n_values ? g->n_values : 1), sizeof *c->values);
    c->nodes = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof *c->nodes);
    c->opsets = calloc((size_t)(g->n_opsets ? g->n_opsets : 1), sizeof *c->opsets);
    if (!c->values || !c->nodes || !c->opsets) goto oom;
    c->cap_values = g->n_values ? g->n_values : 1;
    c->cap_nodes = g->n_nodes ? g->n_nodes : 1;
    for (int i = 0; i < g->n_values; i++) {
        if (value_copy(&c->values[i], &g->values[i])) goto oom;
        c->n_values++;
        if (obn_strmap_put(&c->names, c->values[i].name, i)) goto oom;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        if (node_copy(&c->nodes[i], &g->nodes[i])) goto oom;
        c->n_nodes++;
    }
    for (int i = 0; i < g->n_opsets; i++) {
        c->opsets[i].version = g->opsets[i].version;
        if (obn_strdup(g->opsets[i].domain, &c->opsets[i].domain)) goto oom;
        c->n_opsets++;
    }
    if (dup_ints(g->inputs, g->n_inputs, &c->inputs) ||
        dup_ints(g->outputs, g->n_outputs, &c->outputs))
        goto oom;
    c->n_inputs = g->n_inputs;
    c->n_outer = g->n_outer;
    c->n_outputs = g->n_outputs;
    c->custom_ops = obn_op_registry_retain(g->custom_ops);
    c->ir_version = g->ir_version;
    c->model_version = g->model_version;
    if (obn_strdup(g->producer_name, &c->producer_name) ||
        obn_strdup(g->producer_version, &c->producer_version) ||
        obn_strdup(g->graph_name, &c->graph_name) ||
        obn_strdup(g->model_domain, &c->model_domain) ||
        obn_strdup(g->doc_string, &c->doc_string) || obn_strdup(g->source, &c->source))
        goto oom;
    *out = c;
    return OBN_OK;
oom:
    obn_graph_free(c);
    return OBN_OOM();
}

/* A node left unsorted by Kahn's algorithm has an unsorted producer among its
 * inputs; following those links from any unsorted node enters a cycle within
 * n steps (nodes only downstream of a cycle are left behind). */
/* The values node n reads, for ordering: its inputs, then (-1 when absent)
 * the min/max inputs of a fused Clip >= 11. The kernel has those as numbers,
 * but export writes the Clip back after n reading them, so their producers
 * (Constant nodes, as exporters emit) must come before n. */
static int node_n_reads(const obn_node *n) { return n->n_inputs + 2; }

static int node_read(const obn_node *n, int k)
{
    if (k < n->n_inputs) return n->inputs[k];
    if (n->act.kind != OBN_ACT_CLIP) return -1;
    return k == n->n_inputs ? n->act.min_value : n->act.max_value;
}

static int pending_producer(const obn_graph *g, const int *producer, const int *pending, int node)
{
    const obn_node *nd = &g->nodes[node];
    for (int k = 0; k < node_n_reads(nd); k++) {
        int v = node_read(nd, k);
        if (v >= 0 && producer[v] >= 0 && pending[producer[v]] > 0) return producer[v];
    }
    return -1; /* not reached for an unsorted node */
}

/* Names the nodes of one cycle, in data-flow order. */
static obn_status cycle_error(const obn_graph *g, const int *producer, const int *pending)
{
    int n = g->n_nodes, c = -1;
    for (int i = 0; i < n && c < 0; i++)
        if (pending[i] > 0) c = i;
    for (int step = 0; step < n; step++) {
        int p = pending_producer(g, producer, pending, c);
        if (p < 0) break;
        c = p;
    }
    char d[OBN_NODE_DESC_CAP];
    if (pending_producer(g, producer, pending, c) == c)
        return obn_err(OBN_E_INVALID_MODEL, "the graph has a cycle: %s reads its own output",
                       obn_node_desc(&g->nodes[c], d, sizeof d));
    /* walking producers visits the cycle against the data flow: collect,
     * then print reversed */
    enum { SHOWN = 6 };
    int ring[SHOWN], len = 0;
    int p = c;
    do {
        if (len < SHOWN) ring[len] = p;
        len++;
        p = pending_producer(g, producer, pending, p);
    } while (p >= 0 && p != c && len <= n);
    char msg[900];
    size_t used = (size_t)snprintf(msg, sizeof msg, "the graph has a cycle: ");
    int shown = len < SHOWN ? len : SHOWN;
    for (int i = shown - 1; i >= 0 && used < sizeof msg; i--)
        used += (size_t)snprintf(msg + used, sizeof msg - used, "%s -> ",
                                 obn_node_desc(&g->nodes[ring[i]], d, sizeof d));
    if (used < sizeof msg)
        snprintf(msg + used, sizeof msg - used, "%s%s (each reads an output of the one before)",
                 len > SHOWN ? "... -> " : "", obn_node_desc(&g->nodes[ring[shown - 1]], d, sizeof d));
    return obn_err(OBN_E_INVALID_MODEL, "%s", msg);
}

obn_status obn_graph_toposort(obn_graph *g)
{
    /* drop dead nodes */
    int live = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        if (g->nodes[i].dead)
            node_clear(&g->nodes[i]);
        else
            g->nodes[live++] = g->nodes[i];
    }
    g->n_nodes = live;

    int n = g->n_nodes;
    int *producer = malloc((size_t)(g->n_values ? g->n_values : 1) * sizeof *producer);
    int *pending = calloc((size_t)(n ? n : 1), sizeof *pending);
    int *order = malloc((size_t)(n ? n : 1) * sizeof *order);
    /* consumer lists in CSR form */
    int *start = calloc((size_t)n + 1, sizeof *start);
    obn_status st = OBN_OK;
    int *users = NULL;
    if (!producer || !pending || !order || !start) goto oom;
    for (int v = 0; v < g->n_values; v++) producer[v] = -1;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < g->nodes[i].n_outputs; k++) {
            int v = g->nodes[i].outputs[k];
            if (v >= 0) producer[v] = i;
        }
    int total = 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < node_n_reads(&g->nodes[i]); k++) {
            int v = node_read(&g->nodes[i], k);
            if (v >= 0 && producer[v] >= 0) {
                pending[i]++;
                start[producer[v] + 1]++;
                total++;
            }
        }
    for (int i = 0; i < n; i++) start[i + 1] += start[i];
    users = malloc((size_t)(total ? total : 1) * sizeof *users);
    int *fill = calloc((size_t)(n ? n : 1), sizeof *fill);
    if (!users || !fill) {
        free(fill);
        goto oom;
    }
    for (int i = 0; i < n; i++)
        for (int k = 0; k < node_n_reads(&g->nodes[i]); k++) {
            int v = node_read(&g->nodes[i], k);
            if (v >= 0 && producer[v] >= 0) {
                int p = producer[v];
                users[start[p] + fill[p]++] = i;
            }
        }
    free(fill);
    /* Kahn's algorithm; stable: ready nodes are taken in original order */
    int head = 0, tail = 0;
    for (int i = 0; i < n; i++)
        if (pending[i] == 0) order[tail++] = i;
    while (head < tail) {
        int i = order[head++];
        for (int u = start[i]; u < start[i + 1]; u++)
            if (--pending[users[u]] == 0) order[tail++] = users[u];
    }
    if (tail < n) {
        st = cycle_error(g, producer, pending);
        goto done;
    }
    /* apply the order */
    obn_node *sorted = malloc((size_t)(n ? n : 1) * sizeof *sorted);
    if (!sorted) goto oom;
    for (int i = 0; i < n; i++) sorted[i] = g->nodes[order[i]];
    if (n) memcpy(g->nodes, sorted, (size_t)n * sizeof *sorted); /* g->nodes is NULL for an empty graph */
    free(sorted);
    for (int v = 0; v < g->n_values; v++) g->values[v].producer = -1;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < g->nodes[i].n_outputs; k++)
            if (g->nodes[i].outputs[k] >= 0) g->values[g->nodes[i].outputs[k]].producer = i;
    goto done;
oom:
    st = OBN_OOM();
done:
    free(producer);
    free(pending);
    free(order);
    free(start);
    free(users);
    return st;
}

int64_t obn_graph_opset(const obn_graph *g, const char *domain)
{
    if (strcmp(domain, "ai.onnx") == 0) domain = "";
    for (int i = 0; i < g->n_opsets; i++)
        if (strcmp(g->opsets[i].domain, domain) == 0) return g->opsets[i].version;
    return -1;
}

void obn_graph_count_uses(const obn_graph *g, int *counts)
{
    for (int v = 0; v < g->n_values; v++) counts[v] = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        if (g->nodes[i].dead) continue;
        for (int k = 0; k < g->nodes[i].n_inputs; k++)
            if (g->nodes[i].inputs[k] >= 0) counts[g->nodes[i].inputs[k]]++;
    }
}

bool obn_graph_is_output(const obn_graph *g, int value)
{
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == value) return true;
    return false;
}

const char *obn_node_desc(const obn_node *n, char *buf, size_t cap)
{
    const char *dom = n->domain && n->domain[0] ? n->domain : NULL;
    if (n->since_version > 0)
        snprintf(buf, cap, "node \"%s\" (%s%s%s-%d)", n->name, dom ? dom : "", dom ? "." : "",
                 n->op_type, n->since_version);
    else
        snprintf(buf, cap, "node \"%s\" (%s%s%s)", n->name, dom ? dom : "", dom ? "." : "",
                 n->op_type);
    return buf;
}
