#include "export.h"

#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"
#include "status.h"
#include "tensor_proto.h"

/* Every protobuf-c struct built here comes from this arena and is freed in
 * one go after packing; tensor data is borrowed from the IR, not copied
 * (except sub-byte elements, packed into arena scratch). */
typedef struct {
    void **ptrs;
    size_t n, cap;
    bool oom;
} arena;

static void *arena_alloc(arena *a, size_t size)
{
    if (a->oom) return NULL;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 256;
        void **np = realloc(a->ptrs, cap * sizeof *np);
        if (!np) {
            a->oom = true;
            return NULL;
        }
        a->ptrs = np;
        a->cap = cap;
    }
    void *p = calloc(1, size ? size : 1);
    if (!p) {
        a->oom = true;
        return NULL;
    }
    a->ptrs[a->n++] = p;
    return p;
}

static void arena_free(arena *a)
{
    for (size_t i = 0; i < a->n; i++) free(a->ptrs[i]);
    free(a->ptrs);
}

#define NEW(a, T) ((T *)arena_alloc((a), sizeof(T)))
#define NEW_ARRAY(a, T, n) ((T *)arena_alloc((a), sizeof(T) * (size_t)((n) ? (n) : 1)))

/* The TypeProto of a value: its tensor type in its sequence/optional
 * wrappers. */
static Onnx__TypeProto *type_proto(arena *ar, const obn_value *v)
{
    Onnx__TypeProto *tp = NEW(ar, Onnx__TypeProto);
    Onnx__TypeProto__Tensor *tt = NEW(ar, Onnx__TypeProto__Tensor);
    if (!tp || !tt) return NULL;
    onnx__type_proto__init(tp);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1;
    tt->elem_type = (int32_t)v->dtype;
    if (v->rank >= 0) {
        Onnx__TensorShapeProto *sh = NEW(ar, Onnx__TensorShapeProto);
        Onnx__TensorShapeProto__Dimension **dims = NEW_ARRAY(ar, Onnx__TensorShapeProto__Dimension *, v->rank);
        if (!sh || !dims) return NULL;
        onnx__tensor_shape_proto__init(sh);
        for (int i = 0; i < v->rank; i++) {
            Onnx__TensorShapeProto__Dimension *d = NEW(ar, Onnx__TensorShapeProto__Dimension);
            if (!d) return NULL;
            onnx__tensor_shape_proto__dimension__init(d);
            if (v->dims[i] >= 0) {
                d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
                d->dim_value = v->dims[i];
            } else if (v->dim_names[i]) {
                d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
                d->dim_param = v->dim_names[i];
            }
            dims[i] = d;
        }
        sh->n_dim = (size_t)v->rank;
        sh->dim = dims;
        tt->shape = sh;
    }
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    for (int w = v->n_wrap - 1; w >= 0; w--) { /* sequence/optional types around it, innermost first */
        Onnx__TypeProto *outer = NEW(ar, Onnx__TypeProto);
        if (!outer) return NULL;
        onnx__type_proto__init(outer);
        if (v->wrap[w] == OBN_KIND_SEQUENCE) {
            Onnx__TypeProto__Sequence *sq = NEW(ar, Onnx__TypeProto__Sequence);
            if (!sq) return NULL;
            onnx__type_proto__sequence__init(sq);
            sq->elem_type = tp;
            outer->value_case = ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE;
            outer->sequence_type = sq;
        } else {
            Onnx__TypeProto__Optional *op = NEW(ar, Onnx__TypeProto__Optional);
            if (!op) return NULL;
            onnx__type_proto__optional__init(op);
            op->elem_type = tp;
            outer->value_case = ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE;
            outer->optional_type = op;
        }
        tp = outer;
    }
    return tp;
}

static Onnx__ValueInfoProto *value_info(arena *ar, const obn_value *v)
{
    Onnx__ValueInfoProto *vi = NEW(ar, Onnx__ValueInfoProto);
    if (!vi) return NULL;
    onnx__value_info_proto__init(vi);
    vi->name = v->name;
    if (v->dtype == OBN_UNDEFINED) return vi;
    if (!(vi->type = type_proto(ar, v))) return NULL;
    return vi;
}

static Onnx__TensorProto *tensor_proto(arena *ar, const obn_tensor *t, const char *name)
{
    Onnx__TensorProto *tp = NEW(ar, Onnx__TensorProto);
    size_t scratch_bytes = obn_tensor_proto_scratch(t);
    uint8_t *scratch = scratch_bytes ? NEW_ARRAY(ar, uint8_t, scratch_bytes) : NULL;
    if (!tp || (scratch_bytes && !scratch)) return NULL;
    obn_tensor_to_proto(t, name, scratch, tp);
    return tp;
}

static Onnx__GraphProto *subgraph_proto(arena *ar, const obn_graph *g);

static Onnx__AttributeProto *attr_proto(arena *ar, const obn_attr *a)
{
    Onnx__AttributeProto *ap = NEW(ar, Onnx__AttributeProto);
    if (!ap) return NULL;
    onnx__attribute_proto__init(ap);
    ap->name = a->name;
    ap->has_type = 1;
    ap->type = (Onnx__AttributeProto__AttributeType)a->type;
    switch (a->type) {
    case OBN_ATTR_FLOAT: ap->has_f = 1; ap->f = a->f; break;
    case OBN_ATTR_INT: ap->has_i = 1; ap->i = a->i; break;
    case OBN_ATTR_STRING:
        ap->has_s = 1;
        ap->s.len = a->s_len;
        ap->s.data = (uint8_t *)a->s;
        break;
    case OBN_ATTR_TENSOR: ap->t = tensor_proto(ar, a->t, ""); if (!ap->t) return NULL; break;
    case OBN_ATTR_FLOATS: ap->n_floats = a->n; ap->floats = a->floats; break;
    case OBN_ATTR_INTS: ap->n_ints = a->n; ap->ints = a->ints; break;
    case OBN_ATTR_STRINGS: {
        ProtobufCBinaryData *s = NEW_ARRAY(ar, ProtobufCBinaryData, a->n);
        if (!s) return NULL;
        for (size_t i = 0; i < a->n; i++) {
            s[i].data = (uint8_t *)a->strings[i];
            s[i].len = a->string_lens ? a->string_lens[i] : strlen(a->strings[i]);
        }
        ap->n_strings = a->n;
        ap->strings = s;
        break;
    }
    case OBN_ATTR_GRAPH: ap->g = subgraph_proto(ar, a->g); if (!ap->g) return NULL; break;
    case OBN_ATTR_TYPE_PROTO: {
        obn_value v = {.dtype = a->tp_dtype, .rank = -1, .n_wrap = a->tp_n_wrap};
        memcpy(v.wrap, a->tp_wrap, sizeof v.wrap);
        if (!(ap->tp = type_proto(ar, &v))) return NULL;
        break;
    }
    default: return NULL; /* graph lists etc. never reach a resolved graph */
    }
    return ap;
}

static const char *name_of(const obn_graph *g, int v) { return v >= 0 ? g->values[v].name : ""; }

static Onnx__NodeProto *node_proto(arena *ar, const obn_graph *g, const obn_node *n)
{
    Onnx__NodeProto *np = NEW(ar, Onnx__NodeProto);
    char **ins = NEW_ARRAY(ar, char *, n->n_inputs);
    char **outs = NEW_ARRAY(ar, char *, n->n_outputs);
    Onnx__AttributeProto **attrs = NEW_ARRAY(ar, Onnx__AttributeProto *, n->n_attrs);
    if (!np || !ins || !outs || !attrs) return NULL;
    onnx__node_proto__init(np);
    np->name = n->name;
    np->op_type = n->op_type;
    np->domain = n->domain;
    for (int k = 0; k < obn_node_n_formal(n); k++) ins[k] = (char *)name_of(g, n->inputs[k]);
    for (int k = 0; k < n->n_outputs; k++) outs[k] = (char *)name_of(g, n->outputs[k]);
    /* a fused activation's producer writes the intermediate tensor again */
    if (n->act.kind != OBN_ACT_NONE) outs[0] = (char *)name_of(g, n->act.mid_value);
    if (n->bias.on) outs[0] = (char *)name_of(g, n->bias.mid_value);
    for (int k = 0; k < n->n_attrs; k++)
        if (!(attrs[k] = attr_proto(ar, &n->attrs[k]))) return NULL;
    np->n_input = (size_t)obn_node_n_formal(n); /* a subgraph names the outer values it reads itself */
    np->input = ins;
    np->n_output = (size_t)n->n_outputs;
    np->output = outs;
    np->n_attribute = (size_t)n->n_attrs;
    np->attribute = attrs;
    return np;
}

static bool is_swish(obn_act_kind k) { return k == OBN_ACT_SWISH || k == OBN_ACT_HARD_SWISH; }

/* A two-input node written back for a fusion: op(mid, other), in the other
 * order when other_first, -> out. */
static Onnx__NodeProto *binary_proto(arena *ar, const obn_graph *g, char *name, const char *op, int mid, int other,
                                     bool other_first, int out)
{
    Onnx__NodeProto *np = NEW(ar, Onnx__NodeProto);
    char **ins = NEW_ARRAY(ar, char *, 2);
    char **outs = NEW_ARRAY(ar, char *, 1);
    if (!np || !ins || !outs) return NULL;
    onnx__node_proto__init(np);
    np->name = name;
    np->op_type = (char *)op;
    np->domain = (char *)"";
    ins[other_first ? 1 : 0] = (char *)name_of(g, mid);
    ins[other_first ? 0 : 1] = (char *)name_of(g, other);
    outs[0] = (char *)name_of(g, out);
    np->n_input = 2;
    np->input = ins;
    np->n_output = 1;
    np->output = outs;
    return np;
}

/* The Add of a fused MatMul bias: (mid, bias) -> original output. */
static Onnx__NodeProto *bias_add_proto(arena *ar, const obn_graph *g, const obn_node *n)
{
    const obn_fused_bias *b = &n->bias;
    return binary_proto(ar, g, b->add_name, "Add", b->mid_value, b->value, b->bias_first, n->outputs[0]);
}

/* The Mul of a fused swish: (mid, gate) -> original output. */
static Onnx__NodeProto *swish_mul_proto(arena *ar, const obn_graph *g, const obn_node *n)
{
    const obn_fused_act *a = &n->act;
    return binary_proto(ar, g, a->mul_name, "Mul", a->mid_value, a->gate_value, a->gate_first, n->outputs[0]);
}

/* The standard node for a fused activation: mid -> act -> original output
 * (the swish kinds: mid -> act -> gate, then the Mul). */
static Onnx__NodeProto *activation_proto(arena *ar, const obn_graph *g, const obn_node *n)
{
    const obn_fused_act *a = &n->act;
    Onnx__NodeProto *np = NEW(ar, Onnx__NodeProto);
    char **ins = NEW_ARRAY(ar, char *, 3);
    char **outs = NEW_ARRAY(ar, char *, 1);
    Onnx__AttributeProto **attrs = NEW_ARRAY(ar, Onnx__AttributeProto *, 2);
    if (!np || !ins || !outs || !attrs) return NULL;
    onnx__node_proto__init(np);
    np->name = a->name;
    np->op_type = a->op_type;
    np->domain = (char *)"";
    ins[0] = (char *)name_of(g, a->mid_value);
    np->n_input = 1;
    if (a->kind == OBN_ACT_CLIP && a->since_version >= 11) {
        ins[1] = (char *)name_of(g, a->min_value);
        ins[2] = (char *)name_of(g, a->max_value);
        np->n_input = a->max_value >= 0 ? 3 : a->min_value >= 0 ? 2 : 1;
    }
    outs[0] = (char *)name_of(g, is_swish(a->kind) ? a->gate_value : n->outputs[0]);
    size_t na = 0;
    const char *names[2] = {NULL, NULL};
    float vals[2] = {0, 0};
    if (a->kind == OBN_ACT_LEAKY_RELU) names[0] = "alpha", vals[0] = a->alpha, na = 1;
    if (a->kind == OBN_ACT_HARD_SWISH)
        names[0] = "alpha", vals[0] = a->alpha, names[1] = "beta", vals[1] = a->beta, na = 2;
    if (a->kind == OBN_ACT_CLIP && a->since_version < 11) names[0] = "min", vals[0] = a->lo, names[1] = "max", vals[1] = a->hi, na = 2;
    for (size_t i = 0; i < na; i++) {
        Onnx__AttributeProto *ap = NEW(ar, Onnx__AttributeProto);
        if (!ap) return NULL;
        onnx__attribute_proto__init(ap);
        ap->name = (char *)names[i];
        ap->has_type = 1;
        ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
        ap->has_f = 1;
        ap->f = vals[i];
        attrs[i] = ap;
    }
    np->input = ins;
    np->n_output = 1;
    np->output = outs;
    np->n_attribute = na;
    np->attribute = attrs;
    return np;
}

/* Which values are read by the exported graph (to drop dead initializers). */
static bool *used_values(const obn_graph *g)
{
    bool *used = calloc((size_t)(g->n_values ? g->n_values : 1), sizeof *used);
    if (!used) return NULL;
    for (int i = 0; i < g->n_nodes; i++) {
        const obn_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->n_inputs; k++)
            if (n->inputs[k] >= 0) used[n->inputs[k]] = true;
        if (n->act.min_value >= 0 && n->act.kind == OBN_ACT_CLIP) used[n->act.min_value] = true;
        if (n->act.max_value >= 0 && n->act.kind == OBN_ACT_CLIP) used[n->act.max_value] = true;
        if (n->bias.on) used[n->bias.value] = true;
    }
    for (int k = 0; k < g->n_outputs; k++) used[g->outputs[k]] = true;
    return used;
}

/* The main graph, or (sub) a graph attribute: that one's outer values are
 * not its inputs in ONNX, and its initializers are never listed as inputs. */
static obn_status build_graph(arena *ar, const obn_graph *g, const bool *used, bool sub, Onnx__GraphProto *gp)
{
    onnx__graph_proto__init(gp);
    gp->name = g->graph_name;
    size_t n_init = 0, n_nodes = 0;
    for (int v = 0; v < g->n_values; v++) n_init += g->values[v].init && used[v];
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead)
            n_nodes += 1 + (g->nodes[i].act.kind != OBN_ACT_NONE) + is_swish(g->nodes[i].act.kind) +
                       g->nodes[i].bias.on;
    bool inits_as_inputs = !sub && g->ir_version < 4; /* IR 3 lists initializers among the inputs */
    int n_in = g->n_inputs - g->n_outer;
    gp->initializer = NEW_ARRAY(ar, Onnx__TensorProto *, n_init);
    gp->node = NEW_ARRAY(ar, Onnx__NodeProto *, n_nodes);
    gp->input = NEW_ARRAY(ar, Onnx__ValueInfoProto *, (size_t)n_in + (inits_as_inputs ? n_init : 0));
    gp->output = NEW_ARRAY(ar, Onnx__ValueInfoProto *, g->n_outputs);
    if (!gp->initializer || !gp->node || !gp->input || !gp->output) return OBN_OOM();
    for (int k = 0; k < n_in; k++)
        if (!(gp->input[gp->n_input++] = value_info(ar, &g->values[g->inputs[k]]))) return OBN_OOM();
    for (int v = 0; v < g->n_values; v++) {
        if (!g->values[v].init || !used[v]) continue;
        if (!(gp->initializer[gp->n_initializer++] = tensor_proto(ar, g->values[v].init, g->values[v].name)))
            return OBN_OOM();
        if (inits_as_inputs && !(gp->input[gp->n_input++] = value_info(ar, &g->values[v]))) return OBN_OOM();
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const obn_node *n = &g->nodes[i];
        if (n->dead) continue;
        if (!(gp->node[gp->n_node++] = node_proto(ar, g, n))) return OBN_OOM();
        if (n->act.kind != OBN_ACT_NONE && !(gp->node[gp->n_node++] = activation_proto(ar, g, n))) return OBN_OOM();
        if (is_swish(n->act.kind) && !(gp->node[gp->n_node++] = swish_mul_proto(ar, g, n))) return OBN_OOM();
        if (n->bias.on && !(gp->node[gp->n_node++] = bias_add_proto(ar, g, n))) return OBN_OOM();
    }
    for (int k = 0; k < g->n_outputs; k++)
        if (!(gp->output[gp->n_output++] = value_info(ar, &g->values[g->outputs[k]]))) return OBN_OOM();
    return OBN_OK;
}

static Onnx__GraphProto *subgraph_proto(arena *ar, const obn_graph *g)
{
    Onnx__GraphProto *gp = NEW(ar, Onnx__GraphProto);
    bool *used = used_values(g);
    obn_status s = gp && used ? build_graph(ar, g, used, true, gp) : OBN_OOM();
    free(used);
    return s == OBN_OK ? gp : NULL;
}

obn_status obn_export_bytes(const obn_graph *g, uint8_t **out, size_t *size)
{
    *out = NULL;
    *size = 0;
    arena ar = {0};
    bool *used = used_values(g);
    Onnx__ModelProto mp;
    Onnx__GraphProto gp;
    onnx__model_proto__init(&mp);
    obn_status s = used ? build_graph(&ar, g, used, false, &gp) : OBN_OOM();
    Onnx__OperatorSetIdProto **opsets = NEW_ARRAY(&ar, Onnx__OperatorSetIdProto *, g->n_opsets);
    for (int i = 0; s == OBN_OK && i < g->n_opsets; i++) {
        Onnx__OperatorSetIdProto *o = NEW(&ar, Onnx__OperatorSetIdProto);
        if (!o || !opsets) {
            s = OBN_OOM();
            break;
        }
        onnx__operator_set_id_proto__init(o);
        o->domain = g->opsets[i].domain;
        o->has_version = 1;
        o->version = g->opsets[i].version;
        opsets[i] = o;
    }
    if (s == OBN_OK && ar.oom) s = OBN_OOM();
    if (s == OBN_OK) {
        mp.has_ir_version = 1;
        mp.ir_version = g->ir_version;
        mp.n_opset_import = (size_t)g->n_opsets;
        mp.opset_import = opsets;
        mp.producer_name = (char *)"onnxbn";
        mp.producer_version = (char *)obn_version();
        mp.domain = g->model_domain;
        mp.has_model_version = g->model_version != 0;
        mp.model_version = g->model_version;
        mp.doc_string = g->doc_string;
        mp.graph = &gp;
        size_t n = onnx__model_proto__get_packed_size(&mp);
        uint8_t *buf = malloc(n ? n : 1);
        if (!buf) {
            s = OBN_OOM();
        } else {
            onnx__model_proto__pack(&mp, buf);
            *out = buf;
            *size = n;
        }
    }
    free(used);
    arena_free(&ar);
    return s;
}
