/* The element types of IR 9-13 in the operators: data-movement ops refuse
 * them in the versions whose type constraint does not list them ("Identity-16
 * does not support element type float8e4m3fn"), ops that never take them
 * refuse them always, arithmetic refuses them with its list of types. */
#include "op_testing.h"

static const int64_t d4[1] = {4};

/* A one-node model at `opset` whose input x has type dt. */
static tb_model *one_node(int opset, const char *op, obn_dtype dt, const char *inputs)
{
    tb_model *m = tb_new(opset);
    tb_input(m, "x", dt, 1, d4);
    tb_node(m, op, "n", inputs, "y");
    tb_output(m, "y", dt, -1, NULL);
    return m;
}

START_TEST(data_movement_refuses_types_its_version_lacks)
{
    static const struct {
        const char *op, *inputs, *version;
    } ops[] = {{"Identity", "x", "Identity-16"}, {"Flatten", "x", "Flatten-13"}, {"Shape", "x", "Shape-15"},
               {"Size", "x", "Size-13"},         {"Transpose", "x", "Transpose-13"}};
    static const obn_dtype dts[] = {OBN_FLOAT8E4M3FN, OBN_FLOAT8E5M2FNUZ, OBN_INT4, OBN_FLOAT4E2M1, OBN_FLOAT8E8M0,
                                    OBN_UINT2};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        for (size_t k = 0; k < sizeof dts / sizeof dts[0]; k++) {
            tb_model *m = one_node(17, ops[i].op, dts[k], ops[i].inputs);
            OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, ops[i].version, "does not support element type",
                                   obn_dtype_name(dts[k]), "'x'");
            tb_free(m);
        }
}
END_TEST

/* Concat, Gather, Slice, Split, Expand, Tile, Where and ScatterND keep the
 * IR 4 type list in every version. */
START_TEST(ops_that_never_take_them)
{
    tb_model *m = tb_new(17);
    tb_input(m, "x", OBN_INT4, 1, d4);
    tb_attr_int(m, tb_node(m, "Concat", "n", "x,x", "y"), "axis", 0);
    tb_output(m, "y", OBN_INT4, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "Concat-13 does not support element type int4");
    tb_free(m);

    m = tb_new(17);
    tb_input(m, "x", OBN_FLOAT8E4M3FN, 1, d4);
    tb_add_init(m, tb_tensor(m, "i", OBN_INT64, 0, NULL, (const int64_t[]){1}, 8));
    tb_node(m, "Gather", "n", "x,i", "y");
    tb_output(m, "y", OBN_FLOAT8E4M3FN, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "Gather-13 does not support element type float8e4m3fn");
    tb_free(m);

    const int64_t d1[1] = {1};
    m = tb_new(17);
    tb_input(m, "x", OBN_UINT4, 1, d4);
    tb_add_init(m, tb_tensor(m, "s", OBN_INT64, 1, d1, (const int64_t[]){1}, 8));
    tb_add_init(m, tb_tensor(m, "e", OBN_INT64, 1, d1, (const int64_t[]){3}, 8));
    tb_node(m, "Slice", "n", "x,s,e", "y");
    tb_output(m, "y", OBN_UINT4, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "Slice-13 does not support element type uint4", "'data'");
    tb_free(m);

    m = tb_new(17);
    tb_input(m, "x", OBN_FLOAT8E5M2, 1, d4);
    tb_add_init(m, tb_tensor(m, "r", OBN_INT64, 1, d1, (const int64_t[]){2}, 8));
    tb_node(m, "Tile", "n", "x,r", "y");
    tb_output(m, "y", OBN_FLOAT8E5M2, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "Tile-13 does not support element type float8e5m2");
    tb_free(m);

    m = tb_new(17);
    tb_input(m, "c", OBN_BOOL, 1, d4);
    tb_input(m, "x", OBN_INT2, 1, d4);
    tb_node(m, "Where", "n", "c,x,x", "y");
    tb_output(m, "y", OBN_INT2, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "Where-16 does not support element type int2", "'X'");
    tb_free(m);

    m = one_node(17, "Split", OBN_FLOAT8E8M0, "x");
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "Split-13 does not support element type float8e8m0");
    tb_free(m);
}
END_TEST

START_TEST(arithmetic_refuses_them)
{
    static const char *const ops[] = {"Relu", "Abs", "Neg", "Sqrt", "Softmax"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        tb_model *m = one_node(17, ops[i], OBN_FLOAT8E4M3FN, "x");
        OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "has type float8e4m3fn; supported:");
        tb_free(m);
    }
    static const char *const binary[] = {"Add", "Mul", "Equal", "Less", "Max"};
    for (size_t i = 0; i < sizeof binary / sizeof binary[0]; i++) {
        tb_model *m = one_node(17, binary[i], OBN_INT4, "x,x");
        OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "has type int4; supported:");
        tb_free(m);
    }
}
END_TEST

START_TEST(constants_refuse_types_their_version_lacks)
{
    const int64_t d2[1] = {2};
    tb_model *m = tb_new(17);
    tb_attr_tensor(m, tb_node(m, "Constant", "c", "", "y"), "value", tb_tensor(m, "v", OBN_INT4, 1, d2, "\x7f", 1));
    tb_output(m, "y", OBN_INT4, -1, NULL);
    obn_model *model = NULL;
    ck_assert_int_eq(tb_load(m, &model), OBN_E_INVALID_MODEL);
    ot_expect_message("Constant-13 does not support element type int4 (attribute 'value')", (const char *)NULL);
    tb_free(m);

    m = tb_new(17);
    tb_input(m, "s", OBN_INT64, 1, (const int64_t[]){1});
    tb_attr_tensor(m, tb_node(m, "ConstantOfShape", "c", "s", "y"), "value",
                   tb_tensor(m, "v", OBN_FLOAT8E4M3FN, 1, (const int64_t[]){1}, "\x38", 1));
    tb_output(m, "y", OBN_FLOAT8E4M3FN, -1, NULL);
    ck_assert_int_eq(tb_load(m, &model), OBN_E_INVALID_MODEL);
    ot_expect_message("ConstantOfShape-9 does not support element type float8e4m3fn", (const char *)NULL);
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lowp_types");
    TCase *t = tcase_create("lowp_types");
    tcase_add_test(t, data_movement_refuses_types_its_version_lacks);
    tcase_add_test(t, ops_that_never_take_them);
    tcase_add_test(t, arithmetic_refuses_them);
    tcase_add_test(t, constants_refuse_types_their_version_lacks);
    suite_add_tcase(s, t);
    return ot_main(s);
}
