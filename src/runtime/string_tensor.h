/* String tensors (dtype OBN_STRING, ONNX TensorProto.DataType 8).
 *
 * A string tensor is a dense obn_tensor whose data is an array of numel
 * `char *` elements (nbytes = numel * sizeof(char *)). Each element is NULL
 * (the empty string) or a heap block made by obn_str_new: a size_t length,
 * then the bytes, then a NUL -- so an element is both a C string and a byte
 * string that may hold NULs (ONNX strings are `bytes`). A tensor that owns
 * its data owns every element too: clearing it frees them. A borrowed
 * string tensor (a plan's view of a caller's input) owns neither.
 *
 * String tensors always live on the heap, never in a plan's arena: a plan
 * with a step that makes strings is built with its data (runtime/plan.c),
 * so each run makes new string outputs and frees the last run's with the
 * old plan. Copying a string tensor copies every string (never the
 * pointers: two owners would free them twice). */
#ifndef OBN_STRING_TENSOR_H
#define OBN_STRING_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "tensor.h"

/* Longest single string onnxbn makes or reads (bytes). */
#define OBN_MAX_STRING_BYTES ((size_t)1 << 31)

static inline char **obn_strs(const obn_tensor *t) { return (char **)t->data; }

/* Length of an element (0 for NULL). */
static inline size_t obn_str_len(const char *s) { return s ? ((const size_t *)(const void *)s)[-1] : 0; }
/* The element as a C string ("" for NULL). */
static inline const char *obn_str_cstr(const char *s) { return s ? s : ""; }

/* A new element holding `len` bytes (NULL for len 0: the empty string). */
obn_status obn_str_new(const void *bytes, size_t len, char **out);
void obn_str_free(char *s);
/* A new element of `len` bytes to fill in (its NUL is set); NULL for 0. */
obn_status obn_str_alloc(size_t len, char **out);

/* Element i of t becomes a copy of the bytes; the old element is freed. */
obn_status obn_string_set(obn_tensor *t, int64_t i, const void *bytes, size_t len);
/* Element i of t takes over `s` (made by obn_str_new); the old one is freed. */
void obn_string_take(obn_tensor *t, int64_t i, char *s);
/* dst[di] = copy of src[si]. */
obn_status obn_string_copy(obn_tensor *dst, int64_t di, const obn_tensor *src, int64_t si);
/* Byte-wise equality of two elements. */
bool obn_str_equal(const char *a, const char *b);

/* Frees every element of an owned string tensor and sets them NULL (the
 * array stays); nothing for other tensors. */
void obn_strings_clear(obn_tensor *t);

/* dst (same dtype and element count, data allocated) gets src's elements:
 * strings copied for string tensors, bytes for the others. A no-op when the
 * two share their data. */
obn_status obn_tensor_copy_data(obn_tensor *dst, const obn_tensor *src);

struct obn_op_ctx;

/* Bytes a string element takes on the heap (0 for the empty string). */
static inline uint64_t obn_str_heap_bytes(size_t len) { return len ? (uint64_t)len + sizeof(size_t) + 1 : 0; }

/* For ops that move elements as bytes (Transpose, Gather, Concat, Slice,
 * Expand, Tile, Where, Split): once the op has filled y (data allocated,
 * every element written) with element pointers copied from its string
 * inputs, y gets copies of its own. Their bytes are counted first, before
 * any is allocated, against the plan's memory (obn_op_count_bytes with
 * ctx; NULL: not counted): repetition cannot make a copy of one long string
 * per element unchecked. When `s` is not OBN_OK, or counting or a copy
 * fails, y's elements are set to NULL (none freed twice) and the error is
 * returned. */
obn_status obn_strings_own_copies(struct obn_op_ctx *ctx, obn_tensor *y, obn_status s);

/* Bytes the tensor's strings hold, with the element array; saturates. */
uint64_t obn_strings_bytes(const obn_tensor *t);

/* "\"abc\"" with C escapes, cut to `cap`, for printing and messages. */
const char *obn_str_quote(const char *s, char *buf, size_t cap);

#endif
