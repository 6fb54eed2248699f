/* Helpers shared by the op files: typed attribute access with spec defaults,
 * messages that name the node, and input checks. */
#ifndef OBN_OP_UTIL_H
#define OBN_OP_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "op.h"

/* Error prefixed with the node's description. */
obn_status obn_node_err(const obn_node *n, obn_status code, const char *fmt, ...) OBN_PRINTF(3, 4);
#define obn_ctx_err(ctx, code, ...) obn_node_err((ctx)->node, code, __VA_ARGS__)

/* Attribute readers: absent -> default; wrong type -> INVALID_MODEL. */
obn_status obn_attr_get_int(const obn_node *n, const char *name, int64_t def, int64_t *out);
obn_status obn_attr_get_float(const obn_node *n, const char *name, float def, float *out);
obn_status obn_attr_get_string(const obn_node *n, const char *name, const char *def, const char **out);
/* Lists: *count = 0 when absent; more than `max` entries is an error. */
obn_status obn_attr_get_ints(const obn_node *n, const char *name, size_t max, int64_t *out, size_t *count);
obn_status obn_attr_get_floats(const obn_node *n, const char *name, size_t max, float *out, size_t *count);
/* Tensor attribute (borrowed from the node); NULL when absent. */
obn_status obn_attr_get_tensor(const obn_node *n, const char *name, const obn_tensor **out);

/* The auto_pad attribute of Conv, ConvTranspose (and the pools' spec). */
typedef enum obn_auto_pad { OBN_PAD_NOTSET, OBN_PAD_SAME_UPPER, OBN_PAD_SAME_LOWER, OBN_PAD_VALID } obn_auto_pad;
/* "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID". */
const char *obn_auto_pad_name(obn_auto_pad p);
/* Reads auto_pad (default NOTSET); another value is INVALID_MODEL. */
obn_status obn_attr_get_auto_pad(const obn_node *n, obn_auto_pad *out);
/* Every one of the `count` entries of INTS attribute `name` is >= min. */
obn_status obn_attr_check_min(const obn_node *n, const char *name, const int64_t *v, size_t count, int64_t min);

/* Name of input/output k for messages: the tensor name ("" if omitted). */
const char *obn_in_name(const obn_op_ctx *ctx, int k);
const char *obn_out_name(const obn_op_ctx *ctx, int k);

/* Input k is present (not an omitted optional input). */
static inline bool obn_has_input(const obn_op_ctx *ctx, int k)
{
    return k < ctx->n_inputs && ctx->inputs[k] != NULL;
}
static inline bool obn_has_output(const obn_op_ctx *ctx, int k)
{
    return k < ctx->n_outputs && ctx->outputs[k] != NULL;
}

/* Input k's dtype is one of `allowed` (terminated by OBN_UNDEFINED).
 * `role` is the spec's name of the input ("X", "scale"). */
obn_status obn_check_input_dtype(const obn_op_ctx *ctx, int k, const char *role, const obn_dtype *allowed);
/* ONNX's "all tensor types" constraints grow with the IR versions: an
 * operator takes the float8 types from one of its versions (19, 20 or 21,
 * passed as float8_since; 0 for an operator that never takes them), and then,
 * in every such operator of the spec, uint4/int4 from 21, float4e2m1 from
 * 23, float8e8m0 from 24 and uint2/int2 from 25. obn_all_types_since is the
 * first version taking dt (1 for the types of OBN_ALL_TYPES, INT32_MAX for
 * never); obn_check_all_types refuses input k if ctx's version does not take
 * its type: "Reshape-14 does not support element type float8e4m3fn".
 * Strings count as one of "all types" for an op with OBN_OP_STRINGS (every
 * version), and are UNSUPPORTED for the others. */
int obn_all_types_since(obn_dtype dt, int float8_since);
obn_status obn_check_all_types(const obn_op_ctx *ctx, int k, const char *role, int float8_since);
/* The same for a dtype that is not an input's (an attribute tensor's);
 * `what` ends the message: "(attribute 'value')". */
obn_status obn_check_type_since(const obn_node *n, int since_version, obn_dtype dt, int float8_since,
                                const char *what);
/* Input k has the same dtype as input j. */
obn_status obn_check_same_dtype(const obn_op_ctx *ctx, int k, const char *role_k, int j, const char *role_j);
/* Input k has rank in [lo, hi]. */
obn_status obn_check_rank(const obn_op_ctx *ctx, int k, const char *role, int lo, int hi);

/* Sets output k's dtype and shape. */
obn_status obn_set_output(obn_op_ctx *ctx, int k, obn_dtype dtype, int rank, const int64_t *dims);

/* Reads element i of a numeric tensor as int64 (obn_load_f64, its double
 * twin, is in runtime/tensor.h). */
int64_t obn_load_i64(const obn_tensor *t, int64_t i);
/* Stores a double into element i, converting to the tensor's dtype. */
void obn_store_f64(obn_tensor *t, int64_t i, double v);

extern const obn_dtype OBN_FLOAT_TYPES[];    /* float16, float, double, bfloat16 */
extern const obn_dtype OBN_FLOAT32_ONLY[];   /* float */
extern const obn_dtype OBN_NUMERIC_TYPES[];  /* every numeric type */
extern const obn_dtype OBN_ALL_TYPES[];      /* every storable type of IR <= 8 (see obn_check_all_types) */
extern const obn_dtype OBN_ALL_TYPES_NO_BF16[]; /* the same without bfloat16 ("all types" before opset 13) */

/* Product of dims[lo..hi). */
int64_t obn_dims_product(const int64_t *dims, int lo, int hi);

/* Normalises an axis in [-rank, rank) (or [-rank, rank] if allow_end). */
obn_status obn_norm_axis(const obn_op_ctx *ctx, int64_t axis, int rank, bool allow_end, int *out);

#endif
