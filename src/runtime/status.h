/* Internal error reporting: every failure sets a per-thread message and
 * returns its status code, so errors propagate as plain return values. */
#ifndef OBN_STATUS_H
#define OBN_STATUS_H

#include <stdbool.h>

#include "onnxbn.h"

#if defined(__GNUC__)
#define OBN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define OBN_PRINTF(a, b)
#endif

/* Sets the thread's error message and returns `code`. */
obn_status obn_err(obn_status code, const char *fmt, ...) OBN_PRINTF(2, 3);

/* Prepends context to the current message ("file.onnx: " + message) and
 * returns `code` unchanged. */
obn_status obn_err_prefix(obn_status code, const char *fmt, ...) OBN_PRINTF(2, 3);

/* A number that changes whenever obn_err or obn_err_prefix sets the
 * thread's message: lets a caller tell whether a callback it called set a
 * message (custom operators). */
unsigned obn_err_generation(void);

/* True when a status returned by user code (custom operators, node
 * callbacks) is one of obn_status's values. */
bool obn_status_valid(int status);

/* Clears the thread's message. */
void obn_err_clear(void);

/* Evaluates `expr` (an obn_status expression) and returns it if not OK. */
#define OBN_TRY(expr)                              \
    do {                                           \
        obn_status obn_try_s_ = (expr);            \
        if (obn_try_s_ != OBN_OK) return obn_try_s_; \
    } while (0)

#define OBN_OOM() obn_err(OBN_E_OUT_OF_MEMORY, "out of memory")

#endif
