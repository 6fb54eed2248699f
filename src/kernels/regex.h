/* A regular-expression matcher for RegexFullMatch: the RE2 syntax the ONNX
 * spec names, minus the features listed below, matched in time linear in
 * the input (a Pike VM over the compiled program, as RE2 does: no
 * backtracking, so no pattern can make a match take exponential time).
 *
 * Supported: literals (UTF-8), `.` (any character but \n), [classes] with
 * ranges, negation, the escapes below and [:alpha:]-style ASCII classes;
 * \d \D \w \W \s \S (ASCII, as in RE2); anchors ^ $ \A \z (no multi-line
 * mode); word boundaries \b \B (ASCII); groups ( ), (?: ), (?P<name> ) and
 * (?<name> ); alternation |; repetition * + ? {n} {n,} {n,m} (m <= 1000, as
 * RE2), each optionally lazy (`?`: the same for a full match); escapes \n
 * \t \r \f \v \a, \xhh, \x{h...}, octal (\0, \12, \123), and \ before
 * punctuation.
 * Refused as not supported: flag groups ((?i), (?s), (?m), (?U)), Unicode
 * classes (\p, \P), \Q...\E, \C, and programs over 65536 instructions.
 * Refused as invalid, as RE2 does: back references, unknown escapes, bad
 * repetitions (a**, {n,m} with n > m or over 1000), unbalanced groups.
 * Text is matched by code point (UTF-8 decoded; an invalid byte is a code
 * point of its own that only `.` and negated classes match). */
#ifndef OBN_KERNELS_REGEX_H
#define OBN_KERNELS_REGEX_H

#include <stdbool.h>
#include <stddef.h>

typedef struct obn_regex obn_regex;

/* Compiles `pattern` (len bytes). NULL on failure, with the reason (and
 * the byte offset) in err (cap bytes); on OOM the reason is "out of memory". */
obn_regex *obn_regex_compile(const char *pattern, size_t len, char *err, size_t cap);
void obn_regex_free(obn_regex *re);

/* 1 when the whole of s (len bytes) matches, 0 when not, -1 when out of
 * memory. The regex is only read: threads may share it. */
int obn_regex_full_match(const obn_regex *re, const char *s, size_t len);

#endif
