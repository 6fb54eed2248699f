/* Custom operators: the public registry (include/onnxbn.h, "Custom operators
 * and plugins") mapped onto the internal operator contract of op.h.
 *
 * Each registered version becomes an internal obn_op whose stages are
 * adapters: they call the user's callbacks and make sure an error names the
 * node and the operator, as a built-in operator's does. Because the adapter
 * is an ordinary obn_op with a signature and an attribute list, the loader
 * applies the same rules to custom nodes as to built-in ones
 * (obn_check_node_io, unknown attributes), and the planner runs them the
 * same way (constant folding, arena outputs, per-plan state). */
#include "custom_op.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op_util.h"

/* One registered operator version. `op` comes first so that the adapters can
 * get back from ctx->node->op to the entry. */
typedef struct custom_entry {
    obn_op op;
    obn_custom_op pub;       /* the user's descriptor, strings pointing at the copies below */
    int since_versions[2];   /* op.since_versions: this version, 0 */
    obn_op_sig sigs[2];      /* op.sigs: this version's signature, terminator */
    char *domain, *op_type, *inputs, *outputs;
    char **attr_names;       /* NULL-terminated copy of pub.attributes */
} custom_entry;

struct obn_op_registry {
    atomic_int refs;
    atomic_bool frozen;      /* set when a model is loaded with the registry */
    custom_entry **entries;
    size_t n, cap;
    void **plugins;          /* dlopen handles, closed when the registry goes */
    size_t n_plugins, cap_plugins;
};

/* State of a planned node with a prepare callback: the user's state and the
 * entry whose free_state releases it (the internal free_state hook gets the
 * state pointer only). */
typedef struct custom_state {
    const custom_entry *entry;
    void *user;
} custom_state;

static const custom_entry *entry_of(const obn_op *op) { return (const custom_entry *)op; }

/* A status a callback returned, made into a proper error of this node: an
 * unknown code becomes OBN_E_RUNTIME, a failure without a message (gen is
 * the error generation before the call) gets one, and a message that does
 * not start with the node's description gets it as prefix. */
static obn_status custom_status(const obn_node *n, const char *stage, obn_status s, unsigned gen)
{
    if (s == OBN_OK) return OBN_OK;
    char d[OBN_NODE_DESC_CAP];
    obn_node_desc(n, d, sizeof d);
    if (!obn_status_valid((int)s))
        return obn_err(OBN_E_RUNTIME, "%s: %s returned an unknown status %d", d, stage, (int)s);
    if (obn_err_generation() == gen)
        return obn_err(s, "%s: %s failed (%s)", d, stage, obn_status_name(s));
    if (strncmp(obn_last_error(), d, strlen(d)) == 0) return s;
    return obn_err_prefix(s, "%s: ", d);
}

static obn_status adapt_parse(const obn_node *n, int since_version, void *attrs)
{
    (void)since_version;
    const custom_entry *e = entry_of(n->op);
    if (!e->pub.parse) return OBN_OK;
    unsigned gen = obn_err_generation();
    return custom_status(n, "parse", e->pub.parse(n, attrs), gen);
}

static obn_status adapt_infer(obn_op_ctx *ctx)
{
    const custom_entry *e = entry_of(ctx->node->op);
    unsigned gen = obn_err_generation();
    return custom_status(ctx->node, "infer", e->pub.infer(ctx), gen);
}

static obn_status adapt_run(obn_op_ctx *ctx)
{
    const custom_entry *e = entry_of(ctx->node->op);
    unsigned gen = obn_err_generation();
    return custom_status(ctx->node, "compute", e->pub.compute(ctx), gen);
}

static obn_status adapt_prepare(obn_op_ctx *ctx, void **state)
{
    const custom_entry *e = entry_of(ctx->node->op);
    custom_state *box = calloc(1, sizeof *box);
    if (!box) return OBN_OOM();
    box->entry = e;
    unsigned gen = obn_err_generation();
    obn_status s = custom_status(ctx->node, "prepare", e->pub.prepare(ctx, &box->user), gen);
    if (s != OBN_OK) {
        if (box->user && e->pub.free_state) e->pub.free_state(box->user, e->pub.user_data);
        free(box);
        return s;
    }
    *state = box;
    return OBN_OK;
}

static void adapt_free_state(void *state)
{
    custom_state *box = state;
    if (!box) return;
    if (box->user && box->entry->pub.free_state) box->entry->pub.free_state(box->user, box->entry->pub.user_data);
    free(box);
}

static void adapt_describe(const obn_op_ctx *ctx, char *buf, size_t cap)
{
    entry_of(ctx->node->op)->pub.describe(ctx, buf, cap);
}

bool obn_op_is_custom(const obn_op *op) { return op && op->run == adapt_run; }

void *obn_custom_state(const obn_op_ctx *ctx)
{
    const custom_state *box = ctx->state;
    return box ? box->user : NULL;
}

void *obn_custom_user_data(const obn_op *op) { return obn_op_is_custom(op) ? entry_of(op)->pub.user_data : NULL; }

/* ---------------------------------------------------------------- registry */

obn_status obn_op_registry_create(obn_op_registry **out)
{
    if (!out) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_op_registry_create: out is NULL");
    *out = calloc(1, sizeof **out);
    if (!*out) return OBN_OOM();
    atomic_init(&(*out)->refs, 1);
    atomic_init(&(*out)->frozen, false);
    return OBN_OK;
}

static void entry_free(custom_entry *e)
{
    if (!e) return;
    if (e->pub.destroy) e->pub.destroy(e->pub.user_data);
    free(e->domain);
    free(e->op_type);
    free(e->inputs);
    free(e->outputs);
    for (char **a = e->attr_names; a && *a; a++) free(*a);
    free(e->attr_names);
    free(e);
}

obn_op_registry *obn_op_registry_retain(const obn_op_registry *r)
{
    obn_op_registry *m = (obn_op_registry *)r;
    if (m) atomic_fetch_add(&m->refs, 1);
    return m;
}

void obn_op_registry_destroy(obn_op_registry *r)
{
    if (!r || atomic_fetch_sub(&r->refs, 1) != 1) return;
    /* the entries' destroy callbacks may live in the plugins: entries first */
    for (size_t i = r->n; i-- > 0;) entry_free(r->entries[i]);
    free(r->entries);
    for (size_t i = r->n_plugins; i-- > 0;) obn_plugin_close(r->plugins[i]);
    free(r->plugins);
    free(r);
}

void obn_op_registry_freeze(const obn_op_registry *r)
{
    if (r) atomic_store(&((obn_op_registry *)r)->frozen, true);
}

size_t obn_op_registry_count(const obn_op_registry *r) { return r ? r->n : 0; }

obn_status obn_op_registry_op(const obn_op_registry *r, size_t index, const obn_custom_op **op)
{
    if (!r || !op) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_op_registry_op: NULL argument");
    if (index >= r->n)
        return obn_err(OBN_E_INVALID_ARGUMENT, "obn_op_registry_op: index %zu out of range (%zu operators)", index,
                       r->n);
    *op = &r->entries[index]->pub;
    return OBN_OK;
}

/* "com.example.Op-3" (or "Op-3" for ai.onnx) for messages. */
static const char *op_label(const obn_custom_op *op, char *buf, size_t cap)
{
    const char *dom = op->domain && op->domain[0] ? op->domain : "";
    snprintf(buf, cap, "%s%s%s-%d", dom, dom[0] ? "." : "", op->op_type ? op->op_type : "(null)",
             op->since_version);
    return buf;
}

static const char *canonical_domain(const char *domain)
{
    return !domain || strcmp(domain, "ai.onnx") == 0 ? "" : domain;
}

static obn_status check_descriptor(const obn_op_registry *r, const obn_custom_op *op)
{
    char label[300];
    if (op->abi_version >> 16 != OBN_OP_ABI_MAJOR)
        return obn_err(OBN_E_INVALID_ARGUMENT,
                       "custom operator %s: built for operator ABI %u.%u; this library implements %d.%d",
                       op_label(op, label, sizeof label), op->abi_version >> 16, op->abi_version & 0xffffu,
                       OBN_OP_ABI_MAJOR, OBN_OP_ABI_MINOR);
    op_label(op, label, sizeof label);
    if (atomic_load(&r->frozen))
        return obn_err(OBN_E_INVALID_ARGUMENT,
                       "custom operator %s: the registry is in use by a loaded model; add operators before loading models with it",
                       label);
    if (!op->op_type || !op->op_type[0])
        return obn_err(OBN_E_INVALID_ARGUMENT, "custom operator %s: op_type is empty", label);
    if (op->since_version < 1)
        return obn_err(OBN_E_INVALID_ARGUMENT, "custom operator %s: since_version must be >= 1", label);
    if (!op->infer || !op->compute)
        return obn_err(OBN_E_INVALID_ARGUMENT, "custom operator %s: infer and compute are required", label);
    OBN_TRY(obn_op_sig_validate(op->inputs, label, "inputs"));
    OBN_TRY(obn_op_sig_validate(op->outputs, label, "outputs"));
    for (const char *const *a = op->attributes; a && *a; a++)
        if (!(*a)[0]) return obn_err(OBN_E_INVALID_ARGUMENT, "custom operator %s: an attribute name is empty", label);
    const char *dom = canonical_domain(op->domain);
    for (size_t i = 0; i < r->n; i++) {
        const custom_entry *e = r->entries[i];
        if (strcmp(e->domain, dom) == 0 && strcmp(e->op_type, op->op_type) == 0 &&
            e->pub.since_version == op->since_version)
            return obn_err(OBN_E_INVALID_ARGUMENT, "custom operator %s is registered twice", label);
    }
    return OBN_OK;
}

static obn_status copy_attr_names(custom_entry *e, const char *const *names)
{
    size_t n = 0;
    while (names && names[n]) n++;
    e->attr_names = calloc(n + 1, sizeof *e->attr_names);
    if (!e->attr_names) return OBN_OOM();
    for (size_t i = 0; i < n; i++)
        if (obn_strdup(names[i], &e->attr_names[i])) return OBN_OOM();
    return OBN_OK;
}

/* Builds the internal descriptor of a checked public one. */
static obn_status make_entry(const obn_custom_op *op, custom_entry **out)
{
    custom_entry *e = calloc(1, sizeof *e);
    if (!e) return OBN_OOM();
    if (obn_strdup(canonical_domain(op->domain), &e->domain) || obn_strdup(op->op_type, &e->op_type) ||
        obn_strdup(op->inputs, &e->inputs) || obn_strdup(op->outputs, &e->outputs) ||
        copy_attr_names(e, op->attributes)) {
        entry_free(e);
        return OBN_OOM();
    }
    e->pub = *op;
    e->pub.domain = e->domain;
    e->pub.op_type = e->op_type;
    e->pub.inputs = e->inputs;
    e->pub.outputs = e->outputs;
    e->pub.attributes = (const char *const *)e->attr_names;
    e->since_versions[0] = op->since_version;
    e->sigs[0] = (obn_op_sig){op->since_version, e->inputs, e->outputs};
    e->op = (obn_op){
        .domain = e->domain,
        .op_type = e->op_type,
        .since_versions = e->since_versions,
        .attr_names = (const char *const *)e->attr_names,
        .sigs = e->sigs,
        .attrs_size = op->attrs_size,
        .parse = adapt_parse,
        .infer = adapt_infer,
        .run = adapt_run,
        .prepare = op->prepare ? adapt_prepare : NULL,
        .free_state = op->prepare ? adapt_free_state : NULL,
        .describe = op->describe ? adapt_describe : NULL,
    };
    *out = e;
    return OBN_OK;
}

obn_status obn_op_registry_add(obn_op_registry *r, const obn_custom_op *op)
{
    if (!r || !op) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_op_registry_add: NULL argument");
    OBN_TRY(check_descriptor(r, op));
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        custom_entry **ne = realloc(r->entries, cap * sizeof *ne);
        if (!ne) return OBN_OOM();
        r->entries = ne;
        r->cap = cap;
    }
    custom_entry *e = NULL;
    OBN_TRY(make_entry(op, &e));
    r->entries[r->n++] = e;
    return OBN_OK;
}

bool obn_custom_frozen(const obn_op_registry *r) { return atomic_load(&r->frozen); }

obn_status obn_custom_keep_plugin(obn_op_registry *r, void *handle)
{
    if (r->n_plugins == r->cap_plugins) {
        size_t cap = r->cap_plugins ? r->cap_plugins * 2 : 4;
        void **np = realloc(r->plugins, cap * sizeof *np);
        if (!np) return OBN_OOM();
        r->plugins = np;
        r->cap_plugins = cap;
    }
    r->plugins[r->n_plugins++] = handle;
    return OBN_OK;
}

void obn_custom_drop_plugin(obn_op_registry *r)
{
    if (r->n_plugins) obn_plugin_close(r->plugins[--r->n_plugins]);
}

size_t obn_custom_mark(const obn_op_registry *r) { return r->n; }

void obn_custom_rollback(obn_op_registry *r, size_t mark)
{
    while (r->n > mark) entry_free(r->entries[--r->n]);
}

const obn_op *obn_custom_find(const obn_op_registry *r, const char *domain, const char *op_type, int64_t opset,
                              int *since_version, bool *defined)
{
    *defined = false;
    if (!r) return NULL;
    domain = canonical_domain(domain);
    const custom_entry *best = NULL;
    for (size_t i = 0; i < r->n; i++) {
        const custom_entry *e = r->entries[i];
        if (strcmp(e->domain, domain) != 0 || strcmp(e->op_type, op_type) != 0) continue;
        *defined = true;
        if (e->pub.since_version <= opset && (!best || e->pub.since_version > best->pub.since_version)) best = e;
    }
    if (best) *since_version = best->pub.since_version;
    return best ? &best->op : NULL;
}

/* Versions registered for (domain, op_type), ascending, as "1, 3" for the
 * message of a failed lookup. */
void obn_custom_versions(const obn_op_registry *r, const char *domain, const char *op_type, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    domain = canonical_domain(domain);
    int last = 0;
    for (;;) {
        int next = 0;
        for (size_t i = 0; i < r->n; i++) {
            const custom_entry *e = r->entries[i];
            int v = e->pub.since_version;
            if (strcmp(e->domain, domain) == 0 && strcmp(e->op_type, op_type) == 0 && v > last && (!next || v < next))
                next = v;
        }
        if (!next || used >= cap) break;
        used += (size_t)snprintf(buf + used, cap - used, "%s%d", last ? ", " : "", next);
        last = next;
    }
}
