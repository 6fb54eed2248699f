/* Cast and CastLike to and from strings (cast.c calls these).
 *
 * To string (ONNX: "plain floating-point representation"): integers in
 * decimal, bool as "1"/"0", floating-point values with the fewest
 * significant digits that read back as the same value of the source type,
 * laid out like numpy's str(): positional for 1e-4 <= |v| < 1e16
 * ("0.9767611", "100.0"), else scientific ("1e-05", "1.5e+16"); "nan",
 * "inf", "-inf".
 * From string: floats as strtod/strtof read them (plain and scientific;
 * "INF", "+INF", "-INF", "NaN" in any case), integers as decimal integers
 * (a string with a fraction or exponent is read as a number and truncated
 * toward zero, saturating), bool as number != 0. A string that is not a
 * number -- undefined in the spec -- is a run-time error naming it. Leading
 * and trailing white space is allowed. */
#ifndef OBN_CAST_STRING_H
#define OBN_CAST_STRING_H

#include "op_util.h"

/* y (string) from x (a number type of IR <= 8). */
obn_status obn_cast_to_string(const obn_op_ctx *ctx, const obn_tensor *x, obn_tensor *y);
/* y (a number type of IR <= 8) from x (string). */
obn_status obn_cast_from_string(const obn_op_ctx *ctx, const obn_tensor *x, obn_tensor *y);

/* The numpy-style text of a double that is exactly a value of `dtype`
 * (float, double, float16, bfloat16), into buf (>= 32 bytes). */
void obn_format_float(double v, obn_dtype dtype, char *buf, size_t cap);

#endif
