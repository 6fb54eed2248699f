/* Shared by the sequence and optional ops (SequenceAt, SplitToSequence,
 * Optional, ...): kind checks with messages naming the node and input,
 * positions, and the outputs they make while planning (runtime/value.h). */
#ifndef OBN_SEQ_UTIL_H
#define OBN_SEQ_UTIL_H

#include <stdbool.h>

#include "op_util.h"
#include "value.h"

/* Input k has kind `kind`: "input 'S' (input_sequence) is a tensor, expected a sequence". */
obn_status obn_seq_check_kind(const obn_op_ctx *ctx, int k, const char *role, obn_kind kind);

/* The scalar (one-element) int32/int64 position of input k, normalised
 * for a sequence of n items: negative counts from the back; valid range
 * [-n, n-1], or [-n, n] with allow_end (an insert at the back). Out of
 * range is an error naming the node, the value and the range. */
obn_status obn_seq_position(const obn_op_ctx *ctx, int k, int64_t n, bool allow_end, int64_t *out);

/* Output k becomes an empty sequence or optional of element type elem with
 * room for cap items; run while planning only (ctx->mem set). */
obn_status obn_seq_make_output(obn_op_ctx *ctx, int k, obn_kind kind, obn_dtype elem, size_t cap, obn_tensor **out);

/* Output k becomes a copy of the tensor `src` (shape and data). */
obn_status obn_seq_tensor_output(obn_op_ctx *ctx, int k, const obn_tensor *src);


#endif
