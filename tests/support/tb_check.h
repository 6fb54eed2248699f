/* Check assertions shared by the suites: a failing call must return the
 * expected status and its message must name the culprit. */
#ifndef OBN_TB_CHECK_H
#define OBN_TB_CHECK_H

#include <check.h>

#include "model_builder.h"

/* True if obn_last_error() (or any message) contains every listed word. */
#define TB_HAS(msg, ...) tb_has_all((msg), __VA_ARGS__, (const char *)NULL)

/* `expr` returns `code` and obn_last_error() contains every listed string. */
#define TB_EXPECT_ERR(expr, code, ...)                                                                   \
    do {                                                                                                 \
        obn_status tb_s_ = (expr);                                                                       \
        ck_assert_msg(tb_s_ == (code), "%s returned %s, expected %s; message: %s", #expr,                \
                      obn_status_name(tb_s_), obn_status_name(code), obn_last_error());                  \
        ck_assert_msg(TB_HAS(obn_last_error(), __VA_ARGS__), "%s: message lacks an expected word: %s", \
                      #expr, obn_last_error());                                                          \
    } while (0)

#define TB_EXPECT_OK(expr)                                                                               \
    do {                                                                                                 \
        obn_status tb_s_ = (expr);                                                                       \
        ck_assert_msg(tb_s_ == OBN_OK, "%s returned %s: %s", #expr, obn_status_name(tb_s_),              \
                      obn_last_error());                                                                 \
    } while (0)

/* Runs a suite in the usual way; returns the process exit code. */
static inline int tb_run_suite(Suite *s)
{
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}

#endif
