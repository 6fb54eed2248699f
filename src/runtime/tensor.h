/* Internal tensor: dense, row-major, reference counted so that a graph and
 * the sessions cloned from it can share initializer data. */
#ifndef OBN_TENSOR_H
#define OBN_TENSOR_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "onnxbn.h"

struct obn_tensor {
    obn_dtype dtype;
    int rank;
    int64_t dims[OBN_MAX_RANK];
    int64_t numel;
    size_t nbytes;
    void *data;       /* NULL while only the shape is known */
    bool owns_data;   /* data is freed with the tensor */
    int refs;         /* atomic; starts at 1 */
    char *name;       /* optional, owned */
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

/* Allocates owned, zeroed data for a tensor whose shape is already set. */
obn_status obn_tensor_alloc(obn_tensor *t);

obn_tensor *obn_tensor_retain(obn_tensor *t);
void obn_tensor_release(obn_tensor *t);

bool obn_dtype_is_valid(int dtype);     /* one of ONNX's defined numbers */
bool obn_dtype_is_storable(int dtype);  /* valid and representable here */

/* "[1,3,224,224]" into buf. */
const char *obn_shape_str(int rank, const int64_t *dims, char *buf, size_t cap);
#define OBN_SHAPE_STR_CAP 160

#endif
