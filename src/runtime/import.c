#include "import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resource_limits.h"
#include "op.h"
#include "proto_guard.h"
#include "status.h"
#include "tensor_proto.h"

/* Highest IR version whose files onnxbn reads (ONNX 1.16 writes 10, 1.18 11,
 * 1.19 12, 1.20 to 1.23 13). */
#define OBN_MAX_IR_VERSION 13

static const char *nz(const char *s) { return s ? s : ""; }

/* What the import of one model reads against: the folder of its external
 * data and the limits, with the running count of tensor bytes. */
typedef struct import_ctx {
    const char *base_dir;
    const obn_limits *limits;
    obn_budget tensor_bytes; /* initializers and tensor attributes */
} import_ctx;

/* Names are resolved lexically: a graph's own values first (its inputs,
 * initializers and node outputs shadow the enclosing graphs'), then those of
 * the enclosing graphs, innermost first. A subgraph that reads a value of an
 * enclosing graph gets a value of the same name of its own, bound by the
 * node owning the subgraph (its implicit inputs); `outer` collects, for each
 * such value, the id it reads in the parent graph. */
typedef struct import_scope {
    obn_graph *g;
    struct import_scope *parent;
    int *outer, *outer_local; /* parent value id, own value id, per outer value */
    int n_outer, cap_outer;
} import_scope;

/* A tensor of the file, after its rank is checked against the limit and
 * its size counted (both before its data is allocated). Its raw_data
 * buffer is taken over, not copied: the ModelProto is the import's own and
 * freed right after it, and each tensor of it is imported once. */
static obn_status import_tensor(import_ctx *ctx, Onnx__TensorProto *tp, const char *what, obn_tensor **out)
{
    OBN_TRY(obn_limits_check_rank(ctx->limits, (long)tp->n_dims, what));
    return obn_tensor_from_proto_take(tp, ctx->base_dir, &ctx->tensor_bytes, what, out);
}

static obn_status import_opsets(const Onnx__ModelProto *mp, obn_graph *g)
{
    if (mp->n_opset_import == 0)
        return obn_err(OBN_E_INVALID_MODEL,
                       "the model has no opset import (it must declare the ai.onnx opset version it uses)");
    if (mp->n_opset_import > OBN_MAX_OPSET_IMPORTS)
        return obn_err(OBN_E_UNSUPPORTED, "the model imports %zu opsets (onnxbn accepts at most %d)",
                       mp->n_opset_import, OBN_MAX_OPSET_IMPORTS);
    g->opsets = calloc(mp->n_opset_import, sizeof *g->opsets);
    if (!g->opsets) return OBN_OOM();
    for (size_t i = 0; i < mp->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *op = mp->opset_import[i];
        const char *dom = nz(op->domain);
        if (strcmp(dom, "ai.onnx") == 0) dom = "";
        if (!op->has_version || op->version < 1)
            return obn_err(OBN_E_INVALID_MODEL, "opset import for domain '%s' has no valid version",
                           dom[0] ? dom : "ai.onnx");
        if (obn_graph_opset(g, dom) >= 0)
            return obn_err(OBN_E_INVALID_MODEL, "opset for domain '%s' is imported twice",
                           dom[0] ? dom : "ai.onnx");
        if (dom[0] == '\0' && op->version > OBN_MAX_ONNX_OPSET)
            return obn_err(OBN_E_UNSUPPORTED,
                           "opset ai.onnx version %lld is not supported (onnxbn supports versions 1 to %d)",
                           (long long)op->version, OBN_MAX_ONNX_OPSET);
        OBN_TRY(obn_strdup(dom, &g->opsets[g->n_opsets].domain));
        g->opsets[g->n_opsets++].version = op->version;
    }
    return OBN_OK;
}

/* Sequence and optional types around a tensor type: recorded outermost
 * first in v->wrap; *tp becomes the tensor type inside. Map and sparse
 * types are refused, and so is nesting deeper than OBN_MAX_VALUE_NESTING. */
static obn_status unwrap_value_type(const Onnx__TypeProto **tp, obn_value *v, const char *role)
{
    v->n_wrap = 0;
    for (const Onnx__TypeProto *t = *tp;; ) {
        const Onnx__TypeProto *inner = NULL;
        obn_kind kind = OBN_KIND_TENSOR;
        if (t->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE && t->tensor_type) {
            *tp = t;
            return OBN_OK;
        } else if (t->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE && t->sequence_type) {
            inner = t->sequence_type->elem_type;
            kind = OBN_KIND_SEQUENCE;
        } else if (t->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE && t->optional_type) {
            inner = t->optional_type->elem_type;
            kind = OBN_KIND_OPTIONAL;
        } else {
            const char *what = t->value_case == ONNX__TYPE_PROTO__VALUE_MAP_TYPE             ? "a map"
                               : t->value_case == ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE ? "a sparse tensor"
                                                                                              : "of no type onnxbn knows";
            return obn_err(OBN_E_UNSUPPORTED, "%s '%s' is %s%s (onnxbn supports tensors and sequences and optionals of them)",
                           role, v->name, v->n_wrap ? "a sequence or optional of values that are " : "", what);
        }
        if (!inner)
            return obn_err(OBN_E_INVALID_MODEL, "%s '%s': its %s type has no element type", role, v->name,
                           obn_kind_name(kind));
        if (kind == OBN_KIND_OPTIONAL && v->n_wrap && v->wrap[v->n_wrap - 1] == OBN_KIND_OPTIONAL)
            return obn_err(OBN_E_INVALID_MODEL, "%s '%s' is an optional of an optional", role, v->name);
        if (v->n_wrap == OBN_MAX_VALUE_NESTING)
            return obn_err(OBN_E_UNSUPPORTED, "%s '%s': sequence and optional types nest more than %d deep", role,
                           v->name, OBN_MAX_VALUE_NESTING);
        v->wrap[v->n_wrap++] = kind;
        t = inner;
    }
}

/* Declared type of a graph input/output: sequence/optional wrappers, tensor
 * element type and shape. */
static obn_status import_type(const import_ctx *ctx, const Onnx__TypeProto *tp, obn_value *v, const char *role)
{
    if (!tp) return OBN_OK; /* type unknown: allowed for outputs */
    OBN_TRY(unwrap_value_type(&tp, v, role));
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    if (!tt->has_elem_type || !obn_dtype_is_valid(tt->elem_type))
        return obn_err(OBN_E_INVALID_MODEL, "%s '%s' has an undefined element type (%d)", role, v->name,
                       tt->has_elem_type ? (int)tt->elem_type : 0);
    if (!obn_dtype_is_storable(tt->elem_type))
        return obn_err(OBN_E_UNSUPPORTED, "%s '%s' has element type %s, which onnxbn does not support",
                       role, v->name, obn_dtype_name((obn_dtype)tt->elem_type));
    v->dtype = (obn_dtype)tt->elem_type;
    if (!tt->shape) return OBN_OK;
    if (tt->shape->n_dim > OBN_MAX_RANK)
        return obn_err(OBN_E_UNSUPPORTED, "%s '%s' has rank %zu (onnxbn supports up to %d)", role, v->name,
                       tt->shape->n_dim, OBN_MAX_RANK);
    OBN_TRY(obn_limits_check_rank(ctx->limits, (long)tt->shape->n_dim, v->name));
    v->rank = (int)tt->shape->n_dim;
    /* a graph output listed twice is described twice: the last one wins */
    for (int i = 0; i < OBN_MAX_RANK; i++) {
        free(v->dim_names[i]);
        v->dim_names[i] = NULL;
    }
    for (int i = 0; i < v->rank; i++) {
        const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
        v->dims[i] = -1;
        if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
            if (d->dim_value < 0)
                return obn_err(OBN_E_INVALID_MODEL, "%s '%s' has negative dimension %lld at axis %d", role,
                               v->name, (long long)d->dim_value, i);
            v->dims[i] = d->dim_value;
        } else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM && d->dim_param &&
                   d->dim_param[0]) {
            OBN_TRY(obn_strdup(d->dim_param, &v->dim_names[i]));
        }
    }
    /* the fixed dims must not overflow when multiplied */
    int64_t fixed[OBN_MAX_RANK], numel;
    for (int i = 0; i < v->rank; i++) fixed[i] = v->dims[i] < 0 ? 1 : v->dims[i];
    return obn_shape_numel(v->rank, fixed, v->dtype, v->name, &numel);
}

static obn_status import_value_type(const import_ctx *ctx, const Onnx__ValueInfoProto *vi, obn_value *v,
                                    const char *role)
{
    return import_type(ctx, vi->type, v, role);
}

/* A TYPE_PROTO attribute (Optional's `type`): its element type and
 * wrappers; the shape is checked, then dropped. */
static obn_status import_type_attr(const import_ctx *ctx, const Onnx__AttributeProto *ap, obn_attr *a)
{
    if (!ap->tp) return obn_err(OBN_E_INVALID_MODEL, "attribute '%s' has type TYPE_PROTO but no type", a->name);
    obn_value v;
    memset(&v, 0, sizeof v);
    v.name = a->name;
    v.rank = -1;
    obn_status s = import_type(ctx, ap->tp, &v, "attribute");
    for (int i = 0; i < OBN_MAX_RANK; i++) free(v.dim_names[i]);
    if (s == OBN_OK && v.dtype == OBN_UNDEFINED)
        s = obn_err(OBN_E_INVALID_MODEL, "attribute '%s' names no element type", a->name);
    a->tp_dtype = v.dtype;
    a->tp_n_wrap = v.n_wrap;
    memcpy(a->tp_wrap, v.wrap, sizeof a->tp_wrap);
    return s;
}

static obn_status import_initializers(const Onnx__GraphProto *gp, import_ctx *ctx, obn_graph *g)
{
    if (gp->n_sparse_initializer)
        return obn_err(OBN_E_UNSUPPORTED, "sparse initializers are not supported ('%s')",
                       nz(gp->sparse_initializer[0]->values ? gp->sparse_initializer[0]->values->name : ""));
    for (size_t i = 0; i < gp->n_initializer; i++) {
        Onnx__TensorProto *tp = gp->initializer[i];
        const char *name = nz(tp->name);
        if (!name[0]) return obn_err(OBN_E_INVALID_MODEL, "initializer #%zu has no name", i);
        if (obn_graph_find(g, name) >= 0)
            return obn_err(OBN_E_INVALID_MODEL, "duplicate initializer name '%s'", name);
        obn_tensor *t;
        OBN_TRY(import_tensor(ctx, tp, name, &t));
        int id;
        obn_status s = obn_graph_add_value(g, name, &id);
        if (s != OBN_OK) {
            obn_tensor_release(t);
            return s;
        }
        obn_value *v = &g->values[id];
        v->init = t;
        v->dtype = t->dtype;
        v->rank = t->rank;
        for (int k = 0; k < t->rank; k++) v->dims[k] = t->dims[k];
    }
    return OBN_OK;
}

/* An initializer also listed as a graph input (how IR < 4 declares
 * weights; later IRs allow it too) stays a constant, and the input's
 * declared type must describe it: same element type, same rank, each fixed
 * dimension equal (symbolic ones match anything). */
static obn_status check_initializer_input(const import_ctx *ctx, const Onnx__ValueInfoProto *vi,
                                          const obn_value *init)
{
    obn_value decl;
    memset(&decl, 0, sizeof decl);
    decl.name = init->name;
    decl.rank = -1;
    obn_status s = import_value_type(ctx, vi, &decl, "graph input");
    char want[OBN_SHAPE_STR_CAP], got[OBN_SHAPE_STR_CAP];
    bool same = decl.rank < 0 || decl.rank == init->rank;
    for (int i = 0; same && i < decl.rank; i++) same = decl.dims[i] < 0 || decl.dims[i] == init->dims[i];
    if (s == OBN_OK && decl.dtype != OBN_UNDEFINED && decl.dtype != init->dtype)
        s = obn_err(OBN_E_INVALID_MODEL, "graph input '%s' is declared %s, but its initializer is %s", init->name,
                    obn_dtype_name(decl.dtype), obn_dtype_name(init->dtype));
    else if (s == OBN_OK && !same)
        s = obn_err(OBN_E_INVALID_MODEL, "graph input '%s' is declared with shape %s, but its initializer has shape %s",
                    init->name, obn_shape_str(decl.rank, decl.dims, want, sizeof want),
                    obn_shape_str(init->rank, init->dims, got, sizeof got));
    for (int i = 0; i < OBN_MAX_RANK; i++) free(decl.dim_names[i]);
    return s;
}

static obn_status import_inputs(const Onnx__GraphProto *gp, const import_ctx *ctx, obn_graph *g, bool subgraph)
{
    g->inputs = malloc((gp->n_input ? gp->n_input : 1) * sizeof *g->inputs);
    if (!g->inputs) return OBN_OOM();
    for (size_t i = 0; i < gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = gp->input[i];
        const char *name = nz(vi->name);
        if (!name[0]) return obn_err(OBN_E_INVALID_MODEL, "graph input #%zu has no name", i);
        int id = obn_graph_find(g, name);
        if (id >= 0 && g->values[id].init) {
            /* an initializer also listed as input (IR < 4 style): a constant */
            OBN_TRY(check_initializer_input(ctx, vi, &g->values[id]));
            continue;
        }
        if (id >= 0) return obn_err(OBN_E_INVALID_MODEL, "graph input '%s' is listed twice", name);
        OBN_TRY(obn_graph_add_value(g, name, &id));
        g->values[id].is_input = true;
        OBN_TRY(import_value_type(ctx, vi, &g->values[id], "graph input"));
        /* a subgraph's inputs may leave their type to the node that feeds them */
        if (g->values[id].dtype == OBN_UNDEFINED && !subgraph)
            return obn_err(OBN_E_INVALID_MODEL, "graph input '%s' has no tensor type", name);
        g->inputs[g->n_inputs++] = id;
    }
    return OBN_OK;
}

static obn_status import_attr(const Onnx__AttributeProto *ap, import_ctx *ctx, obn_attr *a,
                              const char *node_name)
{
    memset(a, 0, sizeof *a);
    OBN_TRY(obn_strdup(ap->name, &a->name));
    if (!a->name[0]) return obn_err(OBN_E_INVALID_MODEL, "an attribute has no name");
    if (ap->ref_attr_name && ap->ref_attr_name[0])
        return obn_err(OBN_E_INVALID_MODEL, "attribute '%s' refers to a function attribute ('%s') outside a function",
                       a->name, ap->ref_attr_name);
    if (!ap->has_type || (int)ap->type <= 0 || (int)ap->type > (int)OBN_ATTR_TYPE_PROTOS)
        return obn_err(OBN_E_INVALID_MODEL, "attribute '%s' has no valid type", a->name);
    a->type = (obn_attr_type)ap->type;
    switch (a->type) {
    case OBN_ATTR_FLOAT: a->f = ap->f; break;
    case OBN_ATTR_INT: a->i = ap->i; break;
    case OBN_ATTR_STRING:
        a->s_len = ap->s.len;
        a->s = malloc(ap->s.len + 1);
        if (!a->s) return OBN_OOM();
        if (ap->s.len) memcpy(a->s, ap->s.data, ap->s.len);
        a->s[ap->s.len] = '\0';
        break;
    case OBN_ATTR_TENSOR: {
        if (!ap->t) return obn_err(OBN_E_INVALID_MODEL, "attribute '%s' has type TENSOR but no tensor", a->name);
        char what[512];
        snprintf(what, sizeof what, "%s.%s", node_name, a->name);
        OBN_TRY(import_tensor(ctx, ap->t, what, &a->t));
        break;
    }
    case OBN_ATTR_FLOATS:
        a->n = ap->n_floats;
        a->floats = malloc((a->n ? a->n : 1) * sizeof(float));
        if (!a->floats) return OBN_OOM();
        if (a->n) memcpy(a->floats, ap->floats, a->n * sizeof(float));
        break;
    case OBN_ATTR_INTS:
        a->n = ap->n_ints;
        a->ints = malloc((a->n ? a->n : 1) * sizeof(int64_t));
        if (!a->ints) return OBN_OOM();
        if (a->n) memcpy(a->ints, ap->ints, a->n * sizeof(int64_t));
        break;
    case OBN_ATTR_STRINGS:
        a->strings = calloc(ap->n_strings ? ap->n_strings : 1, sizeof(char *));
        a->string_lens = calloc(ap->n_strings ? ap->n_strings : 1, sizeof(size_t));
        if (!a->strings || !a->string_lens) return OBN_OOM();
        for (size_t i = 0; i < ap->n_strings; i++) {
            a->string_lens[i] = ap->strings[i].len;
            a->strings[i] = malloc(ap->strings[i].len + 1);
            if (!a->strings[i]) return OBN_OOM();
            a->n = i + 1;
            if (ap->strings[i].len) memcpy(a->strings[i], ap->strings[i].data, ap->strings[i].len);
            a->strings[i][ap->strings[i].len] = '\0';
        }
        a->n = ap->n_strings;
        break;
    case OBN_ATTR_TYPE_PROTO: OBN_TRY(import_type_attr(ctx, ap, a)); break;
    default:
        /* graphs, sparse tensors, type proto lists: kept as a type tag only; no
         * implemented operator accepts them, so the node is rejected later */
        break;
    }
    return OBN_OK;
}

static const char *value_origin(const obn_graph *g, int id)
{
    const obn_value *v = &g->values[id];
    if (v->init) return "an initializer";
    if (v->is_input) return "a graph input";
    return "another node";
}

/* Creates the nodes and their output values (pass 1 of 2). */
static obn_status import_node_outputs(const Onnx__GraphProto *gp, import_ctx *ctx, obn_graph *g)
{
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *np = gp->node[i];
        const char *op_type = nz(np->op_type);
        char gen[128];
        const char *name = nz(np->name);
        if (!name[0]) {
            snprintf(gen, sizeof gen, "%.64s_%zu", op_type[0] ? op_type : "node", i);
            name = gen;
        }
        if (!op_type[0]) return obn_err(OBN_E_INVALID_MODEL, "node \"%s\" (#%zu) has no op_type", name, i);
        int nid;
        OBN_TRY(obn_graph_add_node(g, name, op_type, strcmp(nz(np->domain), "ai.onnx") == 0 ? "" : nz(np->domain), &nid));
        obn_node *n = &g->nodes[nid];
        n->outputs = malloc((np->n_output ? np->n_output : 1) * sizeof(int));
        n->inputs = malloc((np->n_input ? np->n_input : 1) * sizeof(int));
        if (!n->outputs || !n->inputs) return OBN_OOM();
        if (np->n_input > OBN_MAX_NODE_IO || np->n_output > OBN_MAX_NODE_IO)
            return obn_err(OBN_E_INVALID_MODEL, "node \"%s\" has too many inputs or outputs", name);
        if (np->n_attribute > OBN_MAX_NODE_ATTRIBUTES)
            return obn_err(OBN_E_UNSUPPORTED, "node \"%s\" (%s) has %zu attributes (onnxbn accepts at most %d)",
                           name, op_type, np->n_attribute, OBN_MAX_NODE_ATTRIBUTES);
        n->n_inputs = (int)np->n_input;
        for (int k = 0; k < n->n_inputs; k++) n->inputs[k] = -1;
        for (size_t k = 0; k < np->n_output; k++) {
            const char *out = nz(np->output[k]);
            n->outputs[k] = -1;
            n->n_outputs = (int)k + 1;
            if (!out[0]) continue;
            int existing = obn_graph_find(g, out);
            if (existing >= 0)
                return obn_err(OBN_E_INVALID_MODEL,
                               "tensor '%s' is assigned twice: node \"%s\" (%s) outputs it, but it is already %s",
                               out, name, op_type, existing >= 0 ? value_origin(g, existing) : "");
            int vid;
            OBN_TRY(obn_graph_add_value(g, out, &vid));
            g->nodes[nid].outputs[k] = vid;
            g->values[vid].producer = nid;
        }
        n = &g->nodes[nid];
        if (np->n_attribute) {
            n->attrs = calloc(np->n_attribute, sizeof *n->attrs);
            if (!n->attrs) return OBN_OOM();
        }
        for (size_t k = 0; k < np->n_attribute; k++) {
            n->n_attrs = (int)k + 1;
            obn_status s = import_attr(np->attribute[k], ctx, &n->attrs[k], name);
            if (s != OBN_OK)
                return obn_err_prefix(s, "node \"%s\" (%s): ", name, op_type);
            for (size_t j = 0; j < k; j++)
                if (strcmp(n->attrs[j].name, n->attrs[k].name) == 0)
                    return obn_err(OBN_E_INVALID_MODEL, "node \"%s\" (%s): attribute '%s' is given twice", name,
                                   op_type, n->attrs[k].name);
        }
    }
    return OBN_OK;
}

static obn_status push_outer(import_scope *sc, int parent_id, int own_id)
{
    if (sc->n_outer == sc->cap_outer) {
        int cap = sc->cap_outer ? sc->cap_outer * 2 : 8;
        int *a = realloc(sc->outer, (size_t)cap * sizeof *a);
        if (!a) return OBN_OOM();
        sc->outer = a;
        int *b = realloc(sc->outer_local, (size_t)cap * sizeof *b);
        if (!b) return OBN_OOM();
        sc->outer_local = b;
        sc->cap_outer = cap;
    }
    sc->outer[sc->n_outer] = parent_id;
    sc->outer_local[sc->n_outer++] = own_id;
    return OBN_OK;
}

/* The id of `name` as seen from scope sc (-1 if no enclosing graph defines
 * it), creating the outer values on the way in. */
static obn_status scope_find(import_scope *sc, const char *name, int *id)
{
    *id = obn_graph_find(sc->g, name);
    if (*id >= 0 || !sc->parent) return OBN_OK;
    int pid;
    OBN_TRY(scope_find(sc->parent, name, &pid));
    if (pid < 0) return OBN_OK;
    OBN_TRY(obn_graph_add_value(sc->g, name, id));
    obn_value *v = &sc->g->values[*id];
    const obn_value *pv = &sc->parent->g->values[pid];
    v->is_input = true;
    v->dtype = pv->dtype;
    v->rank = pv->rank;
    for (int d = 0; d < OBN_MAX_RANK; d++) v->dims[d] = pv->dims[d];
    return push_outer(sc, pid, *id);
}

static obn_status import_graph(const Onnx__GraphProto *gp, import_ctx *ctx, import_scope *sc);

/* The GRAPH attributes of node n (proto np), imported with this graph as
 * their enclosing scope; what each reads from here becomes implicit inputs
 * of n. */
static obn_status import_node_subgraphs(const Onnx__NodeProto *np, import_ctx *ctx, import_scope *sc, int node)
{
    for (size_t k = 0; k < np->n_attribute; k++) {
        const Onnx__AttributeProto *ap = np->attribute[k];
        if (ap->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH) continue;
        obn_node *n = &sc->g->nodes[node];
        if (!ap->g)
            return obn_err(OBN_E_INVALID_MODEL, "node \"%s\" (%s): attribute '%s' has type GRAPH but no graph", n->name,
                           n->op_type, n->attrs[k].name);
        obn_graph *sub;
        OBN_TRY(obn_graph_new(&sub));
        n->attrs[k].g = sub; /* owned by the attribute from here on */
        import_scope inner = {sub, sc, NULL, NULL, 0, 0};
        obn_status s = import_graph(ap->g, ctx, &inner);
        n = &sc->g->nodes[node]; /* the graph's arrays may have grown */
        if (s == OBN_OK) {
            int *in = realloc(n->inputs, (size_t)(n->n_inputs + inner.n_outer + 1) * sizeof *in);
            if (!in) s = OBN_OOM();
            else n->inputs = in;
        }
        for (int j = 0; s == OBN_OK && j < inner.n_outer; j++) {
            n->inputs[n->n_inputs++] = inner.outer[j];
            n->n_implicit++;
        }
        free(inner.outer);
        free(inner.outer_local);
        if (s != OBN_OK)
            return obn_err_prefix(s, "node \"%s\" (%s): attribute '%s': ", n->name, n->op_type, n->attrs[k].name);
    }
    return OBN_OK;
}

/* Resolves input names now that every tensor of this graph is known, then
 * imports the node's subgraphs (pass 2 of 2). */
static obn_status import_node_inputs(const Onnx__GraphProto *gp, import_ctx *ctx, import_scope *sc)
{
    obn_graph *g = sc->g;
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *np = gp->node[i];
        for (size_t k = 0; k < np->n_input; k++) {
            const char *in = nz(np->input[k]);
            if (!in[0]) continue; /* omitted optional input */
            int vid;
            OBN_TRY(scope_find(sc, in, &vid));
            const obn_node *n = &g->nodes[i];
            if (vid < 0)
                return obn_err(OBN_E_INVALID_MODEL,
                               "node \"%s\" (%s): input '%s' names no tensor (not a graph input, an initializer or any node's output%s)",
                               n->name, n->op_type, in, sc->parent ? ", here or in an enclosing graph" : "");
            g->nodes[i].inputs[k] = vid;
        }
        OBN_TRY(import_node_subgraphs(np, ctx, sc, (int)i));
    }
    return OBN_OK;
}

static obn_status import_outputs(const Onnx__GraphProto *gp, const import_ctx *ctx, import_scope *sc)
{
    obn_graph *g = sc->g;
    if (gp->n_output == 0) return obn_err(OBN_E_INVALID_MODEL, "the graph has no outputs");
    g->outputs = malloc(gp->n_output * sizeof *g->outputs);
    if (!g->outputs) return OBN_OOM();
    for (size_t i = 0; i < gp->n_output; i++) {
        const Onnx__ValueInfoProto *vi = gp->output[i];
        const char *name = nz(vi->name);
        int id;
        OBN_TRY(scope_find(sc, name, &id)); /* a subgraph may output an outer value as it is */
        if (id < 0)
            return obn_err(OBN_E_INVALID_MODEL,
                           "graph output '%s' is not produced by any node, graph input or initializer%s", name,
                           sc->parent ? " (here or in an enclosing graph)" : "");
        obn_value *v = &g->values[id];
        if (v->producer >= 0) {
            /* declared output type: used to describe the model */
            OBN_TRY(import_value_type(ctx, vi, v, "graph output"));
        }
        g->outputs[g->n_outputs++] = id;
    }
    return OBN_OK;
}

/* Imports one graph: the main graph (sc->parent NULL) or a subgraph, which
 * shares the main graph's opsets and IR version. */
static obn_status import_graph(const Onnx__GraphProto *gp, import_ctx *ctx, import_scope *sc)
{
    obn_graph *g = sc->g;
    bool subgraph = sc->parent != NULL;
    if (subgraph) {
        const obn_graph *p = sc->parent->g;
        g->ir_version = p->ir_version;
        g->opsets = calloc((size_t)(p->n_opsets ? p->n_opsets : 1), sizeof *g->opsets);
        if (!g->opsets) return OBN_OOM();
        for (int i = 0; i < p->n_opsets; i++) {
            OBN_TRY(obn_strdup(p->opsets[i].domain, &g->opsets[i].domain));
            g->opsets[g->n_opsets++].version = p->opsets[i].version;
        }
        OBN_TRY(obn_strdup(gp->name, &g->graph_name));
    }
    OBN_TRY(import_initializers(gp, ctx, g));
    OBN_TRY(import_inputs(gp, ctx, g, subgraph));
    OBN_TRY(import_node_outputs(gp, ctx, g));
    OBN_TRY(import_node_inputs(gp, ctx, sc));
    OBN_TRY(import_outputs(gp, ctx, sc));
    if (sc->n_outer) {
        /* the outer values become the graph's last inputs */
        int *in = realloc(g->inputs, (size_t)(g->n_inputs + sc->n_outer) * sizeof *in);
        if (!in) return OBN_OOM();
        g->inputs = in;
        for (int j = 0; j < sc->n_outer; j++) g->inputs[g->n_inputs++] = sc->outer_local[j];
        g->n_outer = sc->n_outer;
    }
    return obn_graph_toposort(g);
}

/* Graphs nested in graph attributes (If/Loop/Scan bodies), `depth` levels
 * below the main graph: refused past max_graph_depth before anything else
 * looks at them. The recursion ends there, and the protobuf reader bounds
 * message nesting anyway (proto_guard.h). */
static obn_status check_graph_depth(const Onnx__GraphProto *gp, int depth, int max)
{
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *np = gp->node[i];
        for (size_t k = 0; k < np->n_attribute; k++) {
            const Onnx__AttributeProto *ap = np->attribute[k];
            size_t n = ap->n_graphs + (ap->g ? 1 : 0);
            if (n == 0) continue;
            if (depth + 1 > max)
                return obn_err(OBN_E_UNSUPPORTED,
                               "node \"%s\" (%s): attribute '%s' holds a subgraph at depth %d: over the limit of %d (obn_limits.max_graph_depth)",
                               nz(np->name), nz(np->op_type), nz(ap->name), depth + 1, max);
            if (ap->g) OBN_TRY(check_graph_depth(ap->g, depth + 1, max));
            for (size_t j = 0; j < ap->n_graphs; j++) OBN_TRY(check_graph_depth(ap->graphs[j], depth + 1, max));
        }
    }
    return OBN_OK;
}

obn_status obn_import_model(const Onnx__ModelProto *mp, const char *base_dir, const obn_limits *limits,
                            obn_graph **out)
{
    *out = NULL;
    if (!mp->has_ir_version || mp->ir_version < 1)
        return obn_err(OBN_E_INVALID_MODEL, "the model has no ir_version");
    if (mp->ir_version > OBN_MAX_IR_VERSION)
        return obn_err(OBN_E_UNSUPPORTED, "IR version %lld is not supported (onnxbn reads up to %d)",
                       (long long)mp->ir_version, OBN_MAX_IR_VERSION);
    if (!mp->graph) return obn_err(OBN_E_INVALID_MODEL, "the model has no graph");
    const Onnx__GraphProto *gp = mp->graph;
    obn_limits lim;
    OBN_TRY(obn_limits_resolve(limits, "obn_model_load", &lim));
    import_ctx ctx = {base_dir, &lim, {0, lim.max_initializer_bytes, "max_initializer_bytes", "the model's tensors"}};
    OBN_TRY(check_graph_depth(gp, 0, lim.max_graph_depth));
    obn_graph *g;
    OBN_TRY(obn_graph_new(&g));
    obn_status s;
    g->ir_version = mp->ir_version;
    g->model_version = mp->has_model_version ? mp->model_version : 0;
    if ((s = obn_strdup(mp->producer_name, &g->producer_name)) ||
        (s = obn_strdup(mp->producer_version, &g->producer_version)) ||
        (s = obn_strdup(mp->domain, &g->model_domain)) || (s = obn_strdup(mp->doc_string, &g->doc_string)) ||
        (s = obn_strdup(gp->name, &g->graph_name)))
        goto fail;
    import_scope top = {g, NULL, NULL, NULL, 0, 0};
    if ((s = import_opsets(mp, g)) || (s = import_graph(gp, &ctx, &top))) goto fail;
    *out = g;
    return OBN_OK;
fail:
    obn_graph_free(g);
    return s;
}

/* A subgraph's nodes resolve against the custom operators of the graph
 * that holds it. */
static void share_registry(const obn_graph *g, obn_graph *sub)
{
    if (sub->custom_ops == g->custom_ops) return;
    obn_op_registry_destroy(sub->custom_ops);
    sub->custom_ops = obn_op_registry_retain(g->custom_ops);
}

/* Binds the nodes whose operator is implemented (subgraphs too); leaves
 * the rest unbound. */
static void bind_known(obn_graph *g)
{
    for (int i = 0; i < g->n_nodes; i++) {
        obn_node *n = &g->nodes[i];
        int64_t opset = obn_graph_opset(g, n->domain);
        int sv = 0;
        n->op = opset >= 0 ? obn_registry_find_in(g->custom_ops, n->domain, n->op_type, opset, &sv) : NULL;
        n->since_version = n->op ? sv : 0;
        for (int k = 0; k < n->n_attrs; k++)
            if (n->attrs[k].g) {
                share_registry(g, n->attrs[k].g);
                bind_known(n->attrs[k].g);
            }
    }
    obn_err_clear();
}

bool obn_graph_is_resolved(const obn_graph *g)
{
    for (int i = 0; i < g->n_nodes; i++) {
        if (!g->nodes[i].op) return false;
        for (int k = 0; k < g->nodes[i].n_attrs; k++)
            if (g->nodes[i].attrs[k].g && !obn_graph_is_resolved(g->nodes[i].attrs[k].g)) return false;
    }
    return true;
}

obn_status obn_import_bytes(const void *data, size_t size, void *owned, const char *source, bool resolve,
                            const char *base_dir, const obn_limits *limits, const obn_op_registry *custom_ops,
                            obn_graph **out)
{
    *out = NULL;
    obn_status s = OBN_OK;
    if (size == 0) s = obn_err(OBN_E_PARSE, "%s: the file is empty", source);
    else if (size > OBN_MAX_MODEL_BYTES)
        s = obn_err(OBN_E_UNSUPPORTED, "%s: the model is %zu bytes; onnxbn reads models up to 2 GiB (larger weights belong in external data)",
                    source, size);
    else
        s = obn_proto_check_nesting(data, size, &onnx__model_proto__descriptor, source);
    Onnx__ModelProto *mp = s == OBN_OK ? onnx__model_proto__unpack(NULL, size, data) : NULL;
    free(owned); /* protobuf-c copied what it keeps */
    if (s != OBN_OK) return s;
    if (!mp)
        return obn_err(OBN_E_PARSE, "%s: not a valid ONNX model (the protobuf is truncated or corrupt)", source);
    s = obn_import_model(mp, base_dir, limits, out);
    onnx__model_proto__free_unpacked(mp, NULL);
    if (s == OBN_OK) s = obn_strdup(source, &(*out)->source);
    if (s == OBN_OK && custom_ops) {
        obn_op_registry_freeze(custom_ops);
        (*out)->custom_ops = obn_op_registry_retain(custom_ops);
    }
    if (s == OBN_OK && resolve) s = obn_graph_resolve(*out);
    if (s == OBN_OK && !resolve) bind_known(*out);
    if (s != OBN_OK) {
        obn_graph_free(*out);
        *out = NULL;
        return obn_err_prefix(s, "%s: ", source);
    }
    return OBN_OK;
}

static obn_status check_attr_names(const obn_node *n, const obn_op *op)
{
    for (int i = 0; i < n->n_attrs; i++) {
        bool known = false;
        for (const char *const *a = op->attr_names; a && *a; a++)
            if (strcmp(*a, n->attrs[i].name) == 0) known = true;
        if (!known) {
            char d[OBN_NODE_DESC_CAP];
            return obn_err(OBN_E_UNSUPPORTED, "%s: attribute '%s' is unknown or not supported",
                           obn_node_desc(n, d, sizeof d), n->attrs[i].name);
        }
    }
    return OBN_OK;
}

obn_status obn_graph_resolve(obn_graph *g)
{
    for (int i = 0; i < g->n_nodes; i++) {
        obn_node *n = &g->nodes[i];
        char d[OBN_NODE_DESC_CAP];
        int64_t opset = obn_graph_opset(g, n->domain);
        if (opset < 0)
            return obn_err(OBN_E_INVALID_MODEL, "%s: the model has no opset import for domain '%s'",
                           obn_node_desc(n, d, sizeof d), n->domain[0] ? n->domain : "ai.onnx");
        int sv = 0;
        const obn_op *op = obn_registry_find_in(g->custom_ops, n->domain, n->op_type, opset, &sv);
        if (!op) return obn_err_prefix(OBN_E_UNSUPPORTED, "%s: ", obn_node_desc(n, d, sizeof d));
        n->op = op;
        n->since_version = sv;
        OBN_TRY(obn_check_node_io(n, op, sv));
        OBN_TRY(check_attr_names(n, op));
        /* subgraphs first: parsing a control-flow node parses its bodies */
        for (int k = 0; k < n->n_attrs; k++) {
            if (n->attrs[k].g) share_registry(g, n->attrs[k].g);
            obn_status s = n->attrs[k].g ? obn_graph_resolve(n->attrs[k].g) : OBN_OK;
            if (s != OBN_OK)
                return obn_err_prefix(s, "%s: attribute '%s': ", obn_node_desc(n, d, sizeof d), n->attrs[k].name);
        }
        void *attrs = calloc(1, op->attrs_size ? op->attrs_size : 1);
        if (!attrs) return OBN_OOM();
        obn_status s = op->parse(n, sv, attrs);
        obn_op_free_attrs(op, attrs);
        if (s != OBN_OK) return s;
    }
    return OBN_OK;
}
