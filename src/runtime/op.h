/* The operator interface between the runtime and src/ops/.
 *
 * Every op file defines one `obn_op` descriptor and registers it with
 * OBN_REGISTER_OP(symbol); the build collects those lines into the registry.
 * An op has three stages, called in this order:
 *   parse : attributes -> private struct, with spec defaults; reject what is
 *           unsupported. Runs at model load.
 *   infer : input dtypes/shapes (and data, when constant) -> output dtypes and
 *           shapes; checks every input. Runs when a plan is built.
 *   run   : the kernel call. Inputs and outputs have data.
 * Optional: prepare (after infer, once per plan: precompute from constant
 * inputs into ctx->state), workspace (scratch bytes needed by run).
 */
#ifndef OBN_OP_H
#define OBN_OP_H

#include <stdbool.h>
#include <stddef.h>

#include "ir.h"
#include "status.h"
#include "tensor.h"

/* Returned by infer when an output shape depends on the data of an input
 * that is not known when planning; the planner then runs the graph eagerly. */
#define OBN_DEFER ((obn_status)1000)

typedef struct obn_op_ctx {
    const obn_node *node;
    int since_version;
    const void *attrs;            /* the struct filled by parse */
    int n_inputs, n_outputs;
    obn_tensor *const *inputs;    /* NULL entries for omitted optional inputs;
                                     data NULL while only shapes are known */
    obn_tensor *const *outputs;   /* NULL entries for omitted optional outputs */
    void *state;                  /* owned by the plan; set by prepare */
    void *workspace;              /* scratch of the size workspace() asked for */
    int threads;                  /* OpenMP thread count to use */
    const struct obn_run_state *run; /* the run's cancellation state (NULL: none);
                                        see obn_op_check_cancel */
    const struct obn_limits *limits; /* the plan's limits (never NULL): for the
                                        plans of subgraphs */
    struct obn_budget *mem;       /* while planning (constant folding, eager
                                     plans): the plan's memory, which
                                     obn_op_alloc_output counts; NULL in
                                     steps of a static plan */
} obn_op_ctx;

/* Cancellation inside an op: a run may be terminated or time out
 * (obn_run_options). An op whose run can take long (a loop over batches,
 * groups or output planes calling a kernel per chunk) calls this between
 * chunks -- outside OpenMP parallel regions -- and returns what it gives:
 * OBN_OK, or OBN_E_CANCELLED with a message naming the node. Cheap enough
 * for every chunk of a few microseconds or more. obn_op_cancelled is the
 * same test without the message. */
obn_status obn_op_check_cancel(const obn_op_ctx *ctx);
bool obn_op_cancelled(const obn_op_ctx *ctx);

enum {
    OBN_OP_SHAPE_ONLY = 1u << 0, /* outputs depend only on input shapes (Shape,
                                    Size): computed at plan time */
    /* Control flow, sequences: when infer returns OBN_DEFER but the data of
     * every input is known (constant folding, eager plans), run is called
     * with outputs that have neither shape nor data, and shapes and
     * allocates them itself (obn_op_alloc_output, obn_op_copy_output). */
    OBN_OP_RUN_SHAPES = 1u << 1,
    /* Takes sequence and optional values (runtime/value.h) as well as
     * tensors; the planner refuses them for every other op. Such an op
     * checks each input's kind itself, and makes non-tensor outputs only in
     * run while planning (OBN_OP_RUN_SHAPES after OBN_DEFER). */
    OBN_OP_VALUES = 1u << 2,
    /* Output 0 holds exactly the bytes of input 0 (Reshape, Flatten,
     * Squeeze, Unsqueeze): the planner may give it input 0's arena buffer
     * (a view, src/runtime/plan.c), and run then finds the two data
     * pointers equal and copies nothing. */
    OBN_OP_VIEW = 1u << 3,
    /* Takes or makes string tensors (runtime/string_tensor.h) in some input or
     * output; the planner refuses a string input or output for every other
     * op, naming the op, the node and the tensor. Such an op checks which of
     * its inputs may be strings itself, copies strings with
     * obn_tensor_copy_data / obn_string_copy (never their pointers) and
     * sets string outputs with obn_string_set. */
    OBN_OP_STRINGS = 1u << 4,
    /* prepare may be given a constant input whose data is deferred
     * (obn_tensor.deferred, data NULL: runtime/tensor.h) and then either
     * reads it in that form into its own state (packing the weights), so
     * that run never reads the input's data, or computes it with
     * obn_tensor_materialize. Every other op, and a node callback, sees
     * such inputs computed. */
    OBN_OP_DEFERRED_INPUTS = 1u << 5,
};

/* For OBN_OP_RUN_SHAPES ops in run, while planning: gives output k the
 * shape and new, zeroed data, counted against the plan's memory limit. */
obn_status obn_op_alloc_output(obn_op_ctx *ctx, int k, obn_dtype dtype, int rank, const int64_t *dims);
/* Counts `bytes` the op allocates on its own (the strings it makes) against
 * the plan's memory limit while planning (ctx->mem); OBN_OK in steps of a
 * static plan, which make no strings. The message names `tensor`. */
obn_status obn_op_count_bytes(obn_op_ctx *ctx, uint64_t bytes, const char *tensor);
/* Output k becomes a copy of `src` (a tensor: its data copied into a
 * buffer of the plan when the output has one of the same shape, else into
 * new data as obn_op_alloc_output; a sequence or optional: the same
 * immutable elements, shared). */
obn_status obn_op_copy_output(obn_op_ctx *ctx, int k, const obn_tensor *src);

/* The formal inputs and outputs of an operator version, in the spec's order
 * and with its names, separated by spaces: "X W ?B". A leading '?' marks an
 * optional one (the node may leave it out or give the empty name); a
 * trailing "..." marks the last one as variadic (one or more entries;
 * "?name..." also allows none). The loader checks every node against the
 * signature of its resolved version (obn_check_node_io): a required input or
 * output that is missing or empty is refused there, for every op, so an op's
 * infer and run never see NULL in a required position. */
typedef struct obn_op_sig {
    int since_version; /* applies from this version up to the next entry's */
    const char *inputs;
    const char *outputs;
} obn_op_sig;

typedef struct obn_op {
    const char *domain;          /* "" for ai.onnx */
    const char *op_type;
    const int *since_versions;   /* every spec version implemented, ascending, 0-terminated */
    const char *const *attr_names; /* attributes understood; others are rejected; NULL-terminated */
    const obn_op_sig *sigs;      /* ascending since_version, terminated by an entry with since_version 0;
                                    the first entry's version is at most since_versions[0] */
    size_t attrs_size;
    unsigned flags;
    obn_status (*parse)(const obn_node *node, int since_version, void *attrs);
    obn_status (*infer)(obn_op_ctx *ctx);
    obn_status (*run)(obn_op_ctx *ctx);
    obn_status (*prepare)(obn_op_ctx *ctx, void **state); /* optional */
    void (*free_state)(void *state);                      /* optional */
    size_t (*workspace)(const obn_op_ctx *ctx);           /* optional */
    /* optional: the kernel variant a planned node runs ("dw 3x3 s2"), for
     * the OBN_PROFILE report (src/runtime/profile.h) */
    void (*describe)(const obn_op_ctx *ctx, char *buf, size_t cap);
    /* optional: floating-point operations of one run of a planned node (a
     * multiply-add counts 2), for the OBN_PROFILE report's GFLOP/s; ops
     * without it are reported in GB/s of their inputs and outputs */
    double (*flops)(const obn_op_ctx *ctx);
    /* optional: releases what parse left in the attribute struct beyond the
     * struct itself (the subgraph runners of If/Loop/Scan) */
    void (*free_attrs)(void *attrs);
} obn_op;

/* Frees an attribute struct filled by op->parse (and, through free_attrs,
 * what it owns). NULL attrs is a no-op. */
void obn_op_free_attrs(const obn_op *op, void *attrs);

/* Registry lookup: the implementation of (domain, op_type) for a model that
 * imports `opset` for that domain. *since_version receives the highest
 * implemented version <= opset. Returns NULL (and sets a message) when the op
 * is unknown or no implemented version applies. */
const obn_op *obn_registry_find(const char *domain, const char *op_type, int64_t opset,
                                int *since_version);

/* ---- custom operators (src/ops/custom_op.c) */

/* obn_registry_find with the custom operators of `custom` (may be NULL)
 * looked up first: an operator the registry defines replaces the built-in
 * one of the same domain and type for the model loaded with it. */
const obn_op *obn_registry_find_in(const obn_op_registry *custom, const char *domain, const char *op_type,
                                   int64_t opset, int *since_version);
obn_op_registry *obn_op_registry_retain(const obn_op_registry *r);
/* Marks the registry as used by a model: no more additions. */
void obn_op_registry_freeze(const obn_op_registry *r);
/* True for the descriptor of a registered custom operator. */
bool obn_op_is_custom(const obn_op *op);

/* Checks a signature list ("X ?B ?C...") of a custom operator: names of
 * letters, digits and '_' (not starting with a digit), at most one '?' in
 * front, "..." only on the last one, at most as many as the loader handles.
 * `label` names the operator and `side` the list in the message. */
obn_status obn_op_sig_validate(const char *list, const char *label, const char *side);

/* The signature that applies to version `since_version` of op (NULL if
 * none does). */
const obn_op_sig *obn_op_sig_find(const obn_op *op, int since_version);

/* Checks node n's inputs and outputs against the signature of its resolved
 * version: counts, and no required one missing or empty. The message names
 * the node, the formal input and the signature. */
obn_status obn_check_node_io(const obn_node *n, const obn_op *op, int since_version);

/* Highest ai.onnx opset whose operator versions the registry tracks. */
#define OBN_MAX_ONNX_OPSET 28

#define OBN_REGISTER_OP(symbol) extern const obn_op symbol

#endif
