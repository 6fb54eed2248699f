/* onnxbn's own graph IR. Import fills it from a ModelProto, passes rewrite it,
 * the planner turns it into an execution plan, export writes it back out.
 * Values and nodes are addressed by index; pointers into the arrays are not
 * stable across additions. */
#ifndef OBN_IR_H
#define OBN_IR_H

#include <stdbool.h>
#include <stdint.h>

#include "onnxbn.h"
#include "strmap.h"
#include "tensor.h"

struct obn_op;
struct obn_graph;

/* Same numbers as ONNX's AttributeProto.AttributeType. */
typedef enum obn_attr_type {
    OBN_ATTR_UNDEFINED = 0,
    OBN_ATTR_FLOAT = 1,
    OBN_ATTR_INT = 2,
    OBN_ATTR_STRING = 3,
    OBN_ATTR_TENSOR = 4,
    OBN_ATTR_GRAPH = 5,
    OBN_ATTR_FLOATS = 6,
    OBN_ATTR_INTS = 7,
    OBN_ATTR_STRINGS = 8,
    OBN_ATTR_TENSORS = 9,
    OBN_ATTR_GRAPHS = 10,
    OBN_ATTR_SPARSE_TENSOR = 11,
    OBN_ATTR_SPARSE_TENSORS = 12,
    OBN_ATTR_TYPE_PROTO = 13,
    OBN_ATTR_TYPE_PROTOS = 14
} obn_attr_type;

const char *obn_attr_type_name(obn_attr_type type);

typedef struct obn_attr {
    char *name;
    obn_attr_type type;
    float f;
    int64_t i;
    char *s;            /* NUL-terminated copy of the bytes */
    size_t s_len;
    obn_tensor *t;      /* retained */
    size_t n;           /* element count of floats/ints/strings */
    float *floats;
    int64_t *ints;
    char **strings;     /* NUL-terminated copies of the bytes */
    size_t *string_lens; /* STRINGS: each one's length (the bytes may hold NULs) */
    struct obn_graph *g; /* GRAPH: the subgraph (owned); GRAPHS lists are kept as
                            a type tag only (no operator takes one) */
    /* TYPE_PROTO: the type (element type, sequence/optional wrappers as in
     * obn_value; the shape is not kept) */
    obn_dtype tp_dtype;
    int tp_n_wrap;
    obn_kind tp_wrap[OBN_MAX_VALUE_NESTING];
} obn_attr;

typedef struct obn_value {
    char *name;
    obn_dtype dtype;                  /* declared; OBN_UNDEFINED if unknown */
    int rank;                         /* declared; -1 if unknown */
    int64_t dims[OBN_MAX_RANK];       /* -1 where symbolic or unknown */
    char *dim_names[OBN_MAX_RANK];    /* symbolic names, or NULL */
    /* A sequence or optional type wraps the tensor type described above:
     * wrap[0] is the outermost (optional(seq(tensor)): OPTIONAL, SEQUENCE),
     * n_wrap 0 for a tensor. */
    int n_wrap;
    obn_kind wrap[OBN_MAX_VALUE_NESTING];
    obn_tensor *init;                 /* constant data (initializer), retained */
    int producer;                     /* producing node, -1 if none */
    bool is_input;                    /* graph input fed at run time */
} obn_value;

/* An activation fused into the node that produces its input (graph pass
 * fuse_activation): applied in that node's kernel epilogue. Export writes it
 * back out as the original standard ONNX node. */
typedef enum obn_act_kind {
    OBN_ACT_NONE = 0,
    OBN_ACT_RELU,
    OBN_ACT_CLIP,
    OBN_ACT_LEAKY_RELU,
    OBN_ACT_SWISH,      /* x * Sigmoid(x): a Sigmoid node and a Mul node (SiLU) */
    OBN_ACT_HARD_SWISH  /* x * HardSigmoid(x): a HardSigmoid node and a Mul node */
} obn_act_kind;

typedef struct obn_fused_act {
    obn_act_kind kind;
    float lo, hi;      /* clamp bounds: Relu is [0, +inf), Clip [min, max] */
    float alpha;       /* LeakyRelu slope; HardSigmoid alpha */
    float beta;        /* HardSigmoid beta */
    char *name;        /* the activation node's name */
    char *op_type;     /* "Relu", "Clip", "LeakyRelu", "Sigmoid" or "HardSigmoid" */
    int since_version; /* its resolved version (Clip < 11 keeps min/max as attributes) */
    int mid_value;     /* value between the producer and the activation */
    int min_value, max_value; /* Clip >= 11: its min/max inputs (or -1) */
    /* the swish kinds: the Mul node (name) multiplying mid_value by the
     * activation's output gate_value, in that input order unless gate_first */
    char *mul_name;
    int gate_value;
    bool gate_first;
} obn_fused_act;

/* A constant bias added to a MatMul's output (graph pass fuse_bias): the
 * MatMul adds it in its GEMM epilogue, while each tile is in registers.
 * Export writes the Add node back out. */
typedef struct obn_fused_bias {
    bool on;
    int value;          /* the bias: a constant float [N], N = the MatMul's columns */
    obn_tensor *data;   /* its tensor (retained) */
    int mid_value;      /* the MatMul's own output, which the Add read */
    char *add_name;     /* the Add node's name */
    bool bias_first;    /* Add(bias, x) rather than Add(x, bias) */
} obn_fused_bias;

typedef struct obn_node {
    char *name;
    char *op_type;
    char *domain;                 /* "" for ai.onnx */
    int since_version;            /* resolved operator version */
    int n_inputs, n_outputs, n_attrs;
    int *inputs;                  /* value ids; -1 = omitted optional input. The
                                     last n_implicit are not the node's own: */
    int n_implicit;               /* values of this graph its subgraphs read (outer
                                     scope): for each GRAPH attribute in attribute
                                     order, that graph's outer values in its order
                                     (the last n_outer entries of its inputs) */
    int *outputs;                 /* value ids; -1 = omitted optional output */
    obn_attr *attrs;
    const struct obn_op *op;      /* implementation, set by resolution */
    bool dead;                    /* removed by a pass; dropped by compaction */
    obn_fused_act act;            /* fused activation; kind OBN_ACT_NONE if none */
    obn_fused_bias bias;          /* MatMul: fused bias add; on = false if none */
} obn_node;

typedef struct obn_opset {
    char *domain; /* "" for ai.onnx */
    int64_t version;
} obn_opset;

typedef struct obn_graph {
    obn_value *values;
    int n_values, cap_values;
    obn_node *nodes;
    int n_nodes, cap_nodes;
    int *inputs, n_inputs;   /* run-time inputs in model order; in a subgraph the
                                last n_outer are values of an enclosing graph it
                                reads, bound by the node that owns it */
    int n_outer;
    int *outputs, n_outputs; /* graph outputs in model order */
    obn_opset *opsets;
    int n_opsets;
    obn_strmap names;        /* value name -> id */
    int64_t ir_version, model_version;
    char *producer_name, *producer_version, *graph_name, *model_domain, *doc_string;
    char *source;            /* file name used in messages ("<memory>" for buffers) */
    const struct obn_plan_env *plan_env; /* borrowed, while a session creates its plan:
                                            the limits and cancellation for plans the
                                            passes build on this copy; NULL = defaults */
    obn_op_registry *custom_ops; /* custom operators nodes resolve against first
                                    (retained), NULL for built-in only */
} obn_graph;

obn_status obn_graph_new(obn_graph **out);
void obn_graph_free(obn_graph *g);
/* Deep copy; tensors are shared (retained), not copied. */
obn_status obn_graph_clone(const obn_graph *g, obn_graph **out);

/* Adds a value with a unique name; *id receives its index. Errors if taken. */
obn_status obn_graph_add_value(obn_graph *g, const char *name, int *id);
/* Value id of `name`, or -1. */
int obn_graph_find(const obn_graph *g, const char *name);
/* Writes a name not yet used in the graph, built from `base`, into buf. */
void obn_graph_unique_name(const obn_graph *g, const char *base, char *buf, size_t cap);

/* Appends an empty node with the given op; *id receives its index. */
obn_status obn_graph_add_node(obn_graph *g, const char *name, const char *op_type,
                              const char *domain, int *id);
/* Sets a node's inputs/outputs (copies the arrays). */
obn_status obn_node_set_io(obn_node *n, int n_inputs, const int *inputs, int n_outputs,
                           const int *outputs);

/* Reorders nodes topologically and recomputes value producers; errors on a
 * cycle, naming a node on it. Dead nodes are dropped first. A node with a
 * fused Clip comes after the producers of the Clip's min/max too, so that
 * export, which writes nodes in this order, writes a sorted graph. */
obn_status obn_graph_toposort(obn_graph *g);

/* Opset version imported for a domain ("" and "ai.onnx" are the same), or -1. */
int64_t obn_graph_opset(const obn_graph *g, const char *domain);

/* Counts, for each value, how many node inputs (of live nodes) use it.
 * counts must have n_values entries. Graph outputs are not counted. */
void obn_graph_count_uses(const obn_graph *g, int *counts);
bool obn_graph_is_output(const obn_graph *g, int value);

/* Where in n->inputs the outer values of subgraph `g` (a GRAPH attribute
 * of n: If branch, Loop/Scan body) start: g's k-th outer value is bound to
 * n->inputs[base + k]. -1 if g is not an attribute of n. */
int obn_node_outer_base(const obn_node *n, const struct obn_graph *g);

/* Formal inputs of a node (without the implicit outer-scope ones). */
static inline int obn_node_n_formal(const obn_node *n) { return n->n_inputs - n->n_implicit; }

/* Attribute lookup, NULL if absent. */
const obn_attr *obn_node_attr(const obn_node *n, const char *name);
void obn_attr_clear(obn_attr *a);
obn_status obn_attr_copy(obn_attr *dst, const obn_attr *src);
/* Adds or replaces an attribute on a node (takes a deep copy). */
obn_status obn_node_set_attr(obn_node *n, const obn_attr *a);

/* 'node "bn1" (BatchNormalization-15)' into buf; used as a message prefix. */
const char *obn_node_desc(const obn_node *n, char *buf, size_t cap);
#define OBN_NODE_DESC_CAP 320

/* strdup that treats NULL as "" and reports OOM. */
obn_status obn_strdup(const char *s, char **out);

#endif
