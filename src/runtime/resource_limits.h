/* Resource limits (the public obn_limits) and the running byte counts
 * checked against them before anything is allocated. */
#ifndef OBN_RESOURCE_LIMITS_H
#define OBN_RESOURCE_LIMITS_H

#include <stdbool.h>
#include <stdint.h>

#include "onnxbn.h"

#define OBN_DEFAULT_MAX_INITIALIZER_BYTES ((uint64_t)64 << 30)
#define OBN_DEFAULT_MAX_ARENA_BYTES ((uint64_t)16 << 30)
#define OBN_DEFAULT_MAX_GRAPH_DEPTH 16
/* No real model nests control flow this deep; the protobuf reader's own
 * nesting bound (proto_guard.h) is what keeps recursion finite. */
#define OBN_MAX_GRAPH_DEPTH_LIMIT 32

/* Copies `in` (NULL = defaults) into *out with every 0 field replaced by
 * its default; OBN_E_INVALID_ARGUMENT naming `who` and the field for a
 * value out of range. */
obn_status obn_limits_resolve(const obn_limits *in, const char *who, obn_limits *out);

/* Bytes counted against one limit. `limit_name` is the obn_limits field
 * and `scope` what is counted ("the model's initializers"), for messages. */
typedef struct obn_budget {
    uint64_t used, limit;
    const char *limit_name;
    const char *scope;
} obn_budget;

/* Counts `bytes` more for tensor `tensor`; OBN_E_UNSUPPORTED naming the
 * tensor, the total it would reach and the limit when that is over the
 * limit (nothing is counted then). A NULL budget counts nothing. */
obn_status obn_budget_take(obn_budget *b, uint64_t bytes, const char *tensor);
/* Gives back bytes taken before (tensors freed while planning). */
void obn_budget_give(obn_budget *b, uint64_t bytes);

/* Rank check against max_rank: OBN_E_UNSUPPORTED naming the tensor. */
obn_status obn_limits_check_rank(const obn_limits *l, long rank, const char *tensor);

/* "312 bytes", "16 GiB", "6999 bytes (6.8 KiB)": exact, for messages. */
const char *obn_bytes_str(uint64_t n, char *buf, size_t cap);

#endif
