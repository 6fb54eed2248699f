/* Internal tensor: dense, row-major, reference counted so that a graph and
 * the sessions cloned from it can share initializer data. The same struct
 * carries sequence and optional values (kind, runtime/value.h). */
#ifndef OBN_TENSOR_H
#define OBN_TENSOR_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "kernels/lowp.h"
#include "onnxbn.h"

/* Float data not stored yet: rows of `src` (its first dimension) scaled by
 * row_scale in double and rounded once to float, computed when first needed
 * (obn_tensor_materialize). A session's BatchNormalization folded into a
 * Conv's weights is kept so: a Conv that packs its weights reads the
 * originals once and the folded copy is never stored (passes/fold_bn.c). */
typedef struct obn_row_scaled {
    struct obn_tensor *src; /* retained: float, same shape */
    double *scale;          /* dims[0] factors, owned */
} obn_row_scaled;

struct obn_tensor {
    obn_kind kind;    /* a sequence or optional (runtime/value.h) keeps its
                         items in `data` as an obn_tensor *[numel] array:
                         rank 0, nbytes 0; dtype is the element type */
    obn_dtype dtype;
    int rank;
    int64_t dims[OBN_MAX_RANK];
    int64_t numel;
    size_t nbytes;
    void *data;       /* NULL while only the shape is known */
    bool owns_data;   /* data is freed with the tensor */
    void *mapping;    /* data lies in this file mapping (external data), unmapped
                         with the tensor; NULL otherwise */
    size_t mapping_len;
    obn_row_scaled *deferred; /* non-NULL: data is NULL until materialised;
                                 only in a session's own graph (one thread) */
    int refs;         /* atomic; starts at 1 */
    char *name;       /* optional, owned */
    uint64_t value_bytes; /* a sequence or optional: the data bytes of every
                             tensor in it, nested ones included (an item
                             shared by several containers counts in each);
                             bounded by the plan's max_arena_bytes */
};

/* Largest tensor onnxbn will allocate or read (bytes): protects against
 * hostile shapes whose product fits in 64 bits but not in memory. */
#define OBN_MAX_TENSOR_BYTES ((size_t)1 << 40)

/* Checks dims (>= 0, product and byte size without overflow) and returns the
 * element count through *numel. `what` names the tensor for the message. */
obn_status obn_shape_numel(int rank, const int64_t *dims, obn_dtype dtype, const char *what,
                           int64_t *numel);

/* Sets dtype and shape of a tensor (no data change). */
obn_status obn_tensor_set_shape(obn_tensor *t, obn_dtype dtype, int rank, const int64_t *dims);

/* New tensor with the given shape and zeroed, owned data. */
obn_status obn_tensor_new(obn_dtype dtype, int rank, const int64_t *dims, obn_tensor **out);

/* New tensor with shape only (data NULL). */
obn_status obn_tensor_new_meta(obn_dtype dtype, int rank, const int64_t *dims, obn_tensor **out);

/* New tensor with the given shape and owned, uninitialised data, for a
 * producer that writes every element. */
obn_status obn_tensor_new_uninit(obn_dtype dtype, int rank, const int64_t *dims, obn_tensor **out);

/* Allocates owned, zeroed data for a tensor whose shape is already set. */
obn_status obn_tensor_alloc(obn_tensor *t);

/* A deferred float tensor shaped like src (rank >= 1): takes `scale`
 * (src->dims[0] doubles, malloc'd; freed on failure too). */
obn_status obn_tensor_new_row_scaled(obn_tensor *src, double *scale, obn_tensor **out);

/* Computes and stores a deferred tensor's data (nothing to do for others). */
obn_status obn_tensor_materialize(obn_tensor *t);

/* (float)((double)w * scale): one element of a row-scaled tensor, as the
 * fold computes it (passes/fold_bn.c) and the packers apply it. */
static inline float obn_row_scaled_value(float w, double scale) { return (float)((double)w * scale); }

obn_tensor *obn_tensor_retain(obn_tensor *t);
void obn_tensor_release(obn_tensor *t);

/* Bytes per element in a tensor's data: obn_dtype_size, and for strings the
 * size of an element pointer (runtime/string_tensor.h). */
size_t obn_dtype_elem_bytes(obn_dtype dtype);

bool obn_dtype_is_valid(int dtype);     /* one of ONNX's defined numbers */
bool obn_dtype_is_storable(int dtype);  /* valid and representable here (strings too) */

/* Bits per element of the sub-byte types in TensorProto data (uint4, int4,
 * float4e2m1: 4; uint2, int2: 2); 0 for the others. In memory they take a
 * byte each (include/onnxbn.h). */
int obn_dtype_packed_bits(obn_dtype dtype);
/* int4 or int2: stored sign-extended. */
bool obn_dtype_is_signed_subbyte(obn_dtype dtype);
/* Every element of a sub-byte tensor is in its type's range as stored
 * unpacked (nothing to check for other types, or without data); the
 * message (INVALID_ARGUMENT) starts with `what`. */
obn_status obn_check_subbyte_values(const obn_tensor *t, const char *what);

/* float8e4m3fn, -e4m3fnuz, -e5m2, -e5m2fnuz and float4e2m1: the
 * sign/exponent/mantissa formats of kernels/lowp.h (which format is
 * obn_dtype_minifloat's answer for one of them). */
bool obn_dtype_is_minifloat(obn_dtype dtype);
obn_minifloat obn_dtype_minifloat(obn_dtype dtype);

/* Element i of a numeric tensor as a double: exact up to 32-bit types and
 * for every low-precision format; (u)int64 rounds. 0 for other types. */
double obn_load_f64(const obn_tensor *t, int64_t i);

/* "[1,3,224,224]" into buf. */
const char *obn_shape_str(int rank, const int64_t *dims, char *buf, size_t cap);
#define OBN_SHAPE_STR_CAP 160

#endif
