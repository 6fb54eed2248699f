#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"
#include "passes.h"
#include "status.h"

void obn_pass_log_add(obn_pass_log *log, const char *fmt, ...)
{
    if (!log) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (log->n == log->cap) {
        int cap = log->cap ? log->cap * 2 : 32;
        char **nl = realloc(log->lines, (size_t)cap * sizeof *nl);
        if (!nl) return; /* the log is advisory: drop the line rather than fail */
        log->lines = nl;
        log->cap = cap;
    }
    char *line = strdup(buf);
    if (line) log->lines[log->n++] = line;
}

void obn_pass_log_free(obn_pass_log *log)
{
    if (!log) return;
    for (int i = 0; i < log->n; i++) free(log->lines[i]);
    free(log->lines);
    memset(log, 0, sizeof *log);
}

/* A node bound to a custom operator that replaces a built-in one is not
 * that operator for the passes: folding or fusing it would drop the custom
 * implementation. */
bool obn_pass_is(const obn_node *n, const char *op)
{
    return !n->dead && n->domain[0] == '\0' && strcmp(n->op_type, op) == 0 && !obn_op_is_custom(n->op);
}

const obn_tensor *obn_pass_const(const obn_graph *g, int value)
{
    if (value < 0) return NULL;
    const obn_value *v = &g->values[value];
    if (v->init) /* a deferred tensor is computed for the pass that reads it */
        return obn_tensor_materialize(v->init) == OBN_OK ? v->init : NULL;
    if (v->producer < 0) return NULL;
    const obn_node *p = &g->nodes[v->producer];
    if (!obn_pass_is(p, "Constant")) return NULL;
    const obn_attr *a = obn_node_attr(p, "value");
    return a && a->type == OBN_ATTR_TENSOR ? a->t : NULL;
}

obn_status obn_pass_add_init(obn_graph *g, const char *base, obn_tensor *t, int *id)
{
    char name[512];
    obn_graph_unique_name(g, base, name, sizeof name);
    OBN_TRY(obn_graph_add_value(g, name, id));
    obn_value *v = &g->values[*id];
    v->init = obn_tensor_retain(t);
    v->dtype = t->dtype;
    v->rank = t->rank;
    for (int i = 0; i < t->rank; i++) v->dims[i] = t->dims[i];
    free(t->name);
    t->name = strdup(name);
    return t->name ? OBN_OK : OBN_OOM();
}

obn_status obn_pass_use_counts(const obn_graph *g, int **counts)
{
    int *c = calloc((size_t)(g->n_values ? g->n_values : 1), sizeof *c);
    if (!c) return OBN_OOM();
    obn_graph_count_uses(g, c);
    for (int i = 0; i < g->n_outputs; i++) c[g->outputs[i]]++;
    *counts = c;
    return OBN_OK;
}

int64_t obn_pass_attr_int(const obn_node *n, const char *name, int64_t def)
{
    const obn_attr *a = obn_node_attr(n, name);
    return a && a->type == OBN_ATTR_INT ? a->i : def;
}

float obn_pass_attr_float(const obn_node *n, const char *name, float def)
{
    const obn_attr *a = obn_node_attr(n, name);
    return a && a->type == OBN_ATTR_FLOAT ? a->f : def;
}
