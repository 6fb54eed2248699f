/* obn_plugin_load from a program linked with libonnxbn.so, as plugins
 * require: the example plugin's operators arrive in the registry; a plugin
 * for another ABI major version, a plugin whose registration fails, a
 * library that is not a plugin and a missing file are refused with a
 * message and leave the registry as it was.
 *   plugin_load_check LIBMYOPS LIBABI2 LIBFAILING LIBONNXBN */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "onnxbn.h"

static char **paths;

#define EXPECT_ERR(expr, code, word)                                                                        \
    do {                                                                                                    \
        obn_status s_ = (expr);                                                                             \
        ck_assert_msg(s_ == (code), "%s returned %s: %s", #expr, obn_status_name(s_), obn_last_error());    \
        ck_assert_msg(strstr(obn_last_error(), (word)), "message lacks '%s': %s", (word), obn_last_error()); \
    } while (0)

START_TEST(example_plugin_registers_its_operators)
{
    obn_op_registry *r = NULL;
    ck_assert_int_eq(obn_op_registry_create(&r), OBN_OK);
    ck_assert_msg(obn_plugin_load(r, paths[1]) == OBN_OK, "%s", obn_last_error());
    ck_assert_uint_eq(obn_op_registry_count(r), 3);
    const char *expected[3][2] = {{"ScaledTanh", "Y"}, {"ScaledTanh", "Y ?T"}, {"Dense", "Y"}};
    for (size_t i = 0; i < 3; i++) {
        const obn_custom_op *op;
        ck_assert_int_eq(obn_op_registry_op(r, i, &op), OBN_OK);
        ck_assert_str_eq(op->domain, "com.example");
        ck_assert_str_eq(op->op_type, expected[i][0]);
        ck_assert_str_eq(op->outputs, expected[i][1]);
    }
    /* the same plugin twice: its operators are already there */
    EXPECT_ERR(obn_plugin_load(r, paths[1]), OBN_E_INVALID_ARGUMENT, "com.example.ScaledTanh-1 is registered twice");
    ck_assert_uint_eq(obn_op_registry_count(r), 3);
    obn_op_registry_destroy(r);
}
END_TEST

START_TEST(refusals_leave_the_registry_unchanged)
{
    obn_op_registry *r = NULL;
    ck_assert_int_eq(obn_op_registry_create(&r), OBN_OK);
    EXPECT_ERR(obn_plugin_load(r, paths[2]), OBN_E_UNSUPPORTED,
               "was built for onnxbn operator ABI 2.0; this library implements 1.0");
    EXPECT_ERR(obn_plugin_load(r, paths[3]), OBN_E_INVALID_ARGUMENT, "test.failing.Twice-1 is registered twice");
    ck_assert_msg(strstr(obn_last_error(), paths[3]), "message lacks the plugin path: %s", obn_last_error());
    EXPECT_ERR(obn_plugin_load(r, paths[4]), OBN_E_IO, "does not export obn_plugin_register()");
    EXPECT_ERR(obn_plugin_load(r, "/nonexistent/libnothing.so"), OBN_E_IO, "cannot load plugin");
    ck_assert_uint_eq(obn_op_registry_count(r), 0);
    /* still usable */
    ck_assert_msg(obn_plugin_load(r, paths[1]) == OBN_OK, "%s", obn_last_error());
    ck_assert_uint_eq(obn_op_registry_count(r), 3);
    obn_op_registry_destroy(r);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc != 5) return 2;
    paths = argv;
    Suite *s = suite_create("plugin_load");
    TCase *t = tcase_create("load");
    tcase_add_test(t, example_plugin_registers_its_operators);
    tcase_add_test(t, refusals_leave_the_registry_unchanged);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
