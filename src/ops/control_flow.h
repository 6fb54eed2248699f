/* Shared by the control-flow ops (If, Loop, Scan): their graph attributes
 * and the runners (runtime/subgraph.h) that execute them. */
#ifndef OBN_CONTROL_FLOW_H
#define OBN_CONTROL_FLOW_H

#include <stdbool.h>

#include "op_util.h"
#include "subgraph.h"

/* The GRAPH attribute `name` of node n (required), with its counts of
 * formal inputs and outputs checked: n_in / n_out < 0 accept any count.
 * `what_in` / `what_out` say what the counts must match, for the message
 * ("If branches take none", "2 + the 3 loop-carried values"). */
obn_status obn_cf_body(const obn_node *n, const char *name, int n_in, const char *what_in, int n_out,
                       const char *what_out, const obn_graph **out);

/* Every input of the node (its own and the outer values its bodies read)
 * has data: the node can run while planning. */
bool obn_cf_inputs_known(const obn_op_ctx *ctx);

/* A scalar or one-element tensor of `role` (bool cond or int64 trip count)
 * with its type checked; value read when it has data. */
obn_status obn_cf_check_scalar(const obn_op_ctx *ctx, int k, const char *role, obn_dtype dtype);

/* One of the n values is a sequence or optional: the node then runs while
 * planning, with the data (those values live outside static plans). */
bool obn_cf_any_value(obn_tensor *const *v, int n);

/* Same kind, element type and shape. */
bool obn_cf_same_type(const obn_tensor *x, const obn_tensor *y);

/* Bytes rounded up to whole cache lines (workspace slots). */
static inline size_t obn_cf_align(size_t n) { return (n + 63) & ~(size_t)63; }

#endif
