/* The element types of IR 9-13 in the operators: data-movement ops move
 * them unchanged from the version whose type constraint lists them and refuse
 * them before ("Identity-16 does not support element type float8e4m3fn"),
 * ops that never take them refuse them always, arithmetic refuses them with
 * its list of types. */
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

/* Data-movement ops pass the new types through once their version takes
 * them: bytes unchanged (one unpacked element per byte). */
START_TEST(data_movement_moves_them)
{
    static const struct {
        int opset;
        obn_dtype dt;
    } cases[] = {{21, OBN_FLOAT8E4M3FN}, {21, OBN_INT4}, {23, OBN_FLOAT4E2M1}, {24, OBN_FLOAT8E8M0}, {25, OBN_UINT2}};
    const int64_t d23[2] = {2, 3}, d32[2] = {3, 2}, d6[1] = {6};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        obn_dtype dt = cases[i].dt;
        int opset = cases[i].opset;
        uint8_t x[6] = {0, 1, 2, 3, 1, 2}; /* valid in every one of the types */
        if (dt == OBN_FLOAT8E4M3FN || dt == OBN_FLOAT8E8M0)
            for (int k = 0; k < 6; k++) x[k] = (uint8_t)(0x38 + 9 * k);
        if (dt == OBN_INT4) x[5] = 0xf8; /* -8 */
        tb_model *m = tb_new(opset);
        tb_input(m, "x", dt, 2, d23);
        tb_add_init(m, tb_tensor(m, "shape", OBN_INT64, 1, (const int64_t[]){1}, (const int64_t[]){6}, 8));
        tb_node(m, "Identity", "id", "x", "a");
        tb_node(m, "Reshape", "rs", "a,shape", "b");               /* [6] */
        tb_add_init(m, tb_tensor(m, "ax", OBN_INT64, 1, (const int64_t[]){1}, (const int64_t[]){0}, 8));
        tb_node(m, "Unsqueeze", "us", "b,ax", "c");                /* [1,6] */
        tb_node(m, "Squeeze", "sq", "c,ax", "d");                  /* [6] */
        tb_node(m, "Flatten", "fl", "x", "e");                     /* [2,3] */
        tb_node(m, "Transpose", "tr", "e", "f");                   /* [3,2] */
        tb_node(m, "Shape", "sh", "f", "g");
        tb_node(m, "Size", "sz", "f", "h");
        tb_output(m, "d", dt, 1, d6);
        tb_output(m, "f", dt, 2, d32);
        tb_output(m, "g", OBN_INT64, 1, (const int64_t[]){2});
        tb_output(m, "h", OBN_INT64, 0, NULL);
        obn_tensor *in = ot_tensor(dt, 2, d23, x), *out[4];
        OT_RUN_OK(m, 1, &in, 4, out);
        ot_expect_bytes(out[0], dt, x, 6);
        const uint8_t xt[6] = {x[0], x[3], x[1], x[4], x[2], x[5]};
        ot_expect_bytes(out[1], dt, xt, 6);
        ot_expect_i64(out[2], d32, 2);
        ot_expect_i64(out[3], (const int64_t[]){6}, 1);
        ot_destroy(4, out);
        obn_tensor_destroy(in);
        tb_free(m);
    }
}
END_TEST

/* Identity, Reshape, Shape and Size take float8 from 19 already. */
START_TEST(float8_from_19)
{
    tb_model *m = tb_new(19);
    tb_input(m, "x", OBN_FLOAT8E5M2, 1, d4);
    tb_add_init(m, tb_tensor(m, "s", OBN_INT64, 1, (const int64_t[]){2}, (const int64_t[]){2, 2}, 16));
    tb_node(m, "Identity", "id", "x", "a");
    tb_node(m, "Reshape", "rs", "a,s", "b");
    tb_node(m, "Shape", "sh", "x", "c");
    tb_node(m, "Size", "sz", "b", "d");
    tb_output(m, "b", OBN_FLOAT8E5M2, 2, (const int64_t[]){2, 2});
    tb_output(m, "c", OBN_INT64, 1, (const int64_t[]){1});
    tb_output(m, "d", OBN_INT64, 0, NULL);
    obn_tensor *in = ot_tensor(OBN_FLOAT8E5M2, 1, d4, "\x3c\x7c\xfe\x01"), *out[3];
    OT_RUN_OK(m, 1, &in, 3, out);
    ot_expect_bytes(out[0], OBN_FLOAT8E5M2, "\x3c\x7c\xfe\x01", 4);
    ot_expect_i64(out[1], d4, 1);
    ot_expect_i64(out[2], d4, 1);
    ot_destroy(3, out);
    obn_tensor_destroy(in);
    tb_free(m);
}
END_TEST

START_TEST(constants_and_pad_of_them)
{
    const int64_t d3[1] = {3}, d1[1] = {1};
    /* Constant-21 int4 {-8, 7, 1}: packed 0x78, 0x01 */
    tb_model *m = tb_new(21);
    tb_attr_tensor(m, tb_node(m, "Constant", "c", "", "y"), "value", tb_tensor(m, "v", OBN_INT4, 1, d3, "\x78\x01", 2));
    tb_output(m, "y", OBN_INT4, 1, d3);
    obn_tensor *y;
    OT_RUN_OK(m, 0, NULL, 1, &y);
    ot_expect_bytes(y, OBN_INT4, "\xf8\x07\x01", 3);
    obn_tensor_destroy(y);
    tb_free(m);
    /* ConstantOfShape-24 filled with float8e8m0 2^3 */
    m = tb_new(24);
    tb_add_init(m, tb_tensor(m, "s", OBN_INT64, 1, d1, (const int64_t[]){3}, 8));
    tb_attr_tensor(m, tb_node(m, "ConstantOfShape", "c", "s", "y"), "value",
                   tb_tensor(m, "v", OBN_FLOAT8E8M0, 1, d1, "\x82", 1));
    tb_output(m, "y", OBN_FLOAT8E8M0, 1, d3);
    OT_RUN_OK(m, 0, NULL, 1, &y);
    ot_expect_bytes(y, OBN_FLOAT8E8M0, "\x82\x82\x82", 3);
    obn_tensor_destroy(y);
    tb_free(m);
    /* Pad-21 of uint4 with constant_value 9 */
    m = tb_new(21);
    tb_input(m, "x", OBN_UINT4, 1, (const int64_t[]){2});
    tb_add_init(m, tb_tensor(m, "p", OBN_INT64, 1, (const int64_t[]){2}, (const int64_t[]){1, 2}, 16));
    tb_add_init(m, tb_tensor(m, "v", OBN_UINT4, 0, NULL, "\x09", 1));
    tb_node(m, "Pad", "pad", "x,p,v", "y");
    tb_output(m, "y", OBN_UINT4, 1, (const int64_t[]){5});
    obn_tensor *in = ot_tensor(OBN_UINT4, 1, (const int64_t[]){2}, "\x0f\x01");
    OT_RUN_OK(m, 1, &in, 1, &y);
    ot_expect_bytes(y, OBN_UINT4, "\x09\x0f\x01\x09\x09", 5);
    obn_tensor_destroy(y);
    obn_tensor_destroy(in);
    tb_free(m);
}
END_TEST

/* One version before a type arrives, the same ops still refuse it. */
START_TEST(boundaries_of_the_versions)
{
    static const struct {
        int opset;
        const char *op, *version;
        obn_dtype dt;
    } cases[] = {{20, "Reshape", "Reshape-19", OBN_INT4},          {20, "Flatten", "Flatten-13", OBN_FLOAT8E5M2},
                 {22, "Transpose", "Transpose-21", OBN_FLOAT4E2M1}, {23, "Identity", "Identity-23", OBN_FLOAT8E8M0},
                 {24, "Shape", "Shape-24", OBN_INT2},               {24, "Size", "Size-24", OBN_UINT2}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tb_model *m = tb_new(cases[i].opset);
        tb_input(m, "x", cases[i].dt, 1, d4);
        tb_add_init(m, tb_tensor(m, "s", OBN_INT64, 1, (const int64_t[]){1}, (const int64_t[]){4}, 8));
        tb_node(m, cases[i].op, "n", strcmp(cases[i].op, "Reshape") == 0 ? "x,s" : "x", "y");
        tb_output(m, "y", cases[i].dt, -1, NULL);
        OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, cases[i].version, "does not support element type",
                               obn_dtype_name(cases[i].dt));
        tb_free(m);
    }
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
    tcase_add_test(t, data_movement_moves_them);
    tcase_add_test(t, float8_from_19);
    tcase_add_test(t, constants_and_pad_of_them);
    tcase_add_test(t, boundaries_of_the_versions);
    suite_add_tcase(s, t);
    return ot_main(s);
}
