/* Helpers for the tensor-manipulating ops: dtype classes, exact integer
 * element access, broadcast shapes with messages, and reading small integer
 * inputs (shapes, axes, pads) whose data decides output shapes. */
#ifndef OBN_OP_HELPERS_H
#define OBN_OP_HELPERS_H

#include <stdbool.h>
#include <stdint.h>

#include "op_util.h"

static inline bool obn_dtype_is_float(obn_dtype t)
{
    return t == OBN_FLOAT || t == OBN_DOUBLE || t == OBN_FLOAT16 || t == OBN_BFLOAT16;
}
static inline bool obn_dtype_is_unsigned(obn_dtype t)
{
    return t == OBN_UINT8 || t == OBN_UINT16 || t == OBN_UINT32 || t == OBN_UINT64 || t == OBN_BOOL;
}

/* double -> int64 without undefined behaviour: truncates toward zero,
 * saturates out-of-range values, NaN gives 0. */
static inline int64_t obn_f64_to_i64(double v)
{
    if (v != v) return 0;
    if (v >= 9223372036854775807.0) return INT64_MAX;
    if (v <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)v;
}

/* Element i as uint64 (unsigned types) and stores of integers that keep all
 * 64 bits (obn_store_f64 goes through double). Stores wrap to the type's
 * width like a C conversion to an unsigned type of that width. */
uint64_t obn_load_u64(const obn_tensor *t, int64_t i);
void obn_store_i64(obn_tensor *t, int64_t i, int64_t v);

/* Copies element si of src to element di of dst (same dtype). For strings
 * that is the element pointer: the op then gives dst copies of its own
 * (obn_strings_own_copies). */
void obn_copy_elem(obn_tensor *dst, int64_t di, const obn_tensor *src, int64_t si);

/* Multidirectional (numpy) broadcast of the present inputs listed in `which`
 * (n of them): output rank and dims. Names the tensors and the axis on
 * mismatch. */
obn_status obn_broadcast_shape(const obn_op_ctx *ctx, int n, const int *which, int *rank, int64_t *dims);

/* Versions 1/6 of the binary ops: B's dims laid out in A's rank (bdims has
 * rank(A) entries). broadcast=0 needs equal shapes; broadcast=1 matches B
 * against A from `axis_attr` (INT64_MIN: B aligned to A's trailing dims),
 * B dims equal to A's or 1; a one-element B is a scalar. */
obn_status obn_legacy_broadcast_dims(const obn_op_ctx *ctx, int broadcast, int64_t axis_attr, int64_t *bdims);

/* Data of input k, a 0-D or 1-D int32/int64 tensor with at most `max`
 * values, into out[0..*count). OBN_DEFER when its data is not known yet. */
obn_status obn_read_int_input(const obn_op_ctx *ctx, int k, const char *role, size_t max, int64_t *out,
                              size_t *count);

/* A 0-D (or 1-element 1-D, accepted for exporters that emit it) numeric
 * input as double / int64. OBN_DEFER when its data is unknown. */
obn_status obn_read_scalar_input(const obn_op_ctx *ctx, int k, const char *role, double *out);

/* Normalises a list of axes for `rank` (negative counts from the end),
 * rejecting out-of-range and repeated axes. attr_name names the attribute or
 * input in messages. */
obn_status obn_norm_axes(const obn_op_ctx *ctx, const char *what, const int64_t *axes, size_t n, int rank,
                         int *out);

/* a*b for output-shape arithmetic; an error naming `what` on overflow or on
 * a negative operand. */
obn_status obn_mul_dims(const obn_op_ctx *ctx, const char *what, int64_t a, int64_t b, int64_t *out);

/* The `reduction` of the scatter ops (ScatterND, ScatterElements). */
typedef enum obn_scatter_red {
    OBN_SCATTER_NONE,
    OBN_SCATTER_ADD,
    OBN_SCATTER_MUL,
    OBN_SCATTER_MAX,
    OBN_SCATTER_MIN
} obn_scatter_red;

/* Reads attribute 'reduction' (default "none"; "add", "mul", and "max",
 * "min" when with_max_min). */
obn_status obn_attr_get_scatter_red(const obn_node *n, bool with_max_min, obn_scatter_red *out);

/* y[yi] = y[yi] (r) u[ui] for a numeric type other than bool: floats
 * through double (max/min propagate NaN, like numpy), integers exactly, add
 * and mul wrapping at the type's width. */
void obn_scatter_combine(obn_scatter_red r, obn_tensor *y, int64_t yi, const obn_tensor *u, int64_t ui);

/* Stores an interpolated value (Resize, GridSample): integer types take it
 * truncated toward zero and saturated to their range (NaN -> 0), bool
 * v != 0, floats convert. */
void obn_store_f64_saturate(obn_tensor *t, int64_t i, double v);

/* The saturation flags of kernels/lowp.h for a conversion to float8 or
 * float4e2m1 `to` with the `saturate` attribute (Cast, CastLike,
 * QuantizeLinear): what overflows clamps to +-max, and so does +-inf, except
 * for the FNUZ types before opset 24 (`version` is the op's), where +-inf
 * becomes NaN (Cast-24 changed that rule). */
unsigned obn_minifloat_saturation(obn_dtype to, bool saturate, int version);

/* Parses an op's integer attribute that must be one of [lo, hi]. */
obn_status obn_attr_int_range(const obn_node *n, const char *name, int64_t def, int64_t lo, int64_t hi,
                              int64_t *out);

#endif
