/* Case mapping of UTF-8 text for the string operators, without a locale:
 * ASCII, Latin-1 Supplement, Latin Extended-A, Greek and Cyrillic (the
 * letters whose upper and lower forms are single code points of the same
 * UTF-8 length, so a string keeps its length). Other code points, invalid
 * UTF-8 bytes and the letters whose case forms differ in length (German
 * sharp s, Turkish dotted and dotless i, ligatures) are left as they are. */
#ifndef OBN_KERNELS_UNICASE_H
#define OBN_KERNELS_UNICASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The upper (upper = true) or lower case of one code point. */
uint32_t obn_case_map_cp(uint32_t cp, bool upper);

/* out[0..len) = s[0..len) with every mapped letter in the other case
 * (out may equal s). */
void obn_case_map_utf8(const char *s, size_t len, bool upper, char *out);

#endif
