/* Ops whose output shape depends on input data: NonZero, Compress, Unique.
 * Each is run with its data-carrying input as a graph input (the session
 * then plans with the data, per run) and as an initializer (folded at plan
 * time), against references computed here by plain loops (O(n^2) for
 * Unique), plus numpy.unique's documented examples and the errors. */
#include <stdio.h>

#include "op_testing.h"

/* Runs a one-node model "n" over graph inputs "a" and (when n_in = 2) "b";
 * output "y" has the dtype of "a", the others are int64. */
static obn_status run_node(const char *op, int opset, obn_tensor *const *in, int n_in, const char *outputs, int n_out,
                           obn_tensor **out, void (*attrs)(tb_model *, Onnx__NodeProto *, int), int variant)
{
    tb_model *m = tb_new(opset);
    for (int k = 0; k < n_in; k++)
        tb_input(m, k ? "b" : "a", obn_tensor_dtype(in[k]), (int)obn_tensor_rank(in[k]), obn_tensor_dims(in[k]));
    Onnx__NodeProto *n = tb_node(m, op, "n", n_in == 2 ? "a,b" : "a", outputs);
    if (attrs) attrs(m, n, variant);
    char names[64];
    snprintf(names, sizeof names, "%s", outputs);
    for (char *s = strtok(names, ","); s; s = strtok(NULL, ",")) tb_output(m, s, s[0] == 'y' ? obn_tensor_dtype(in[0]) : OBN_INT64, -1, NULL);
    obn_status st = ot_run(m, n_in, in, n_out, out);
    tb_free(m);
    return st;
}

START_TEST(nonzero_coordinates)
{
    const int64_t dims[3] = {2, 3, 4};
    float x[24];
    for (int i = 0; i < 24; i++) x[i] = i % 5 == 0 ? 0.0f : i % 7 == 0 ? -0.0f : (float)i;
    x[23] = NAN; /* non-zero */
    obn_tensor *in = ot_tensor(OBN_FLOAT, 3, dims, x), *y;
    tb_model *m = tb_new(13);
    tb_input(m, "a", OBN_FLOAT, 3, dims);
    tb_node(m, "NonZero", "n", "a", "y");
    tb_output(m, "y", OBN_INT64, -1, NULL);
    OT_RUN_OK(m, 1, &in, 1, &y);
    int64_t want[3 * 24], k = 0, nz = 0;
    for (int i = 0; i < 24; i++) nz += x[i] != 0 || isnan(x[i]);
    for (int i = 0; i < 24; i++)
        if (x[i] != 0 || isnan(x[i])) {
            want[k] = i / 12;
            want[nz + k] = (i / 4) % 3;
            want[2 * nz + k] = i % 4;
            k++;
        }
    const int64_t yd[2] = {3, nz};
    ot_expect_shape(y, 2, yd);
    ot_expect_i64(y, want, 3 * nz);
    obn_tensor_destroy(y);
    tb_free(m);
    obn_tensor_destroy(in);
    /* a constant input is folded at plan time; a scalar counts as 1-D; bool */
    const uint8_t b[1] = {1};
    m = tb_new(9);
    tb_add_init(m, tb_tensor(m, "a", OBN_BOOL, 0, NULL, b, 1));
    tb_node(m, "NonZero", "n", "a", "y");
    tb_output(m, "y", OBN_INT64, -1, NULL);
    OT_RUN_OK(m, 0, NULL, 1, &y);
    const int64_t sd[2] = {1, 1}, zero = 0;
    ot_expect_shape(y, 2, sd);
    ot_expect_i64(y, &zero, 1);
    obn_tensor_destroy(y);
    tb_free(m);
}
END_TEST

static void compress_axis(tb_model *m, Onnx__NodeProto *n, int axis)
{
    if (axis != 9) tb_attr_int(m, n, "axis", axis);
}

START_TEST(compress_every_axis)
{
    const int64_t dims[2] = {3, 4};
    int8_t x[12];
    for (int i = 0; i < 12; i++) x[i] = (int8_t)(i - 6);
    const uint8_t cond[5] = {1, 0, 1, 1, 0};
    for (int axis = -2; axis <= 2; axis++) { /* 2 stands for "no axis" (flattened) */
        int ax = axis < 0 ? axis + 2 : axis;
        for (int64_t clen = 1; clen <= 5; clen++) {
            int64_t len = axis == 2 ? 12 : dims[ax];
            bool beyond = false; /* a true entry beyond the axis: an error, tested below */
            for (int64_t i = len; i < clen; i++) beyond |= cond[i] != 0;
            if (beyond) continue;
            const int64_t cd[1] = {clen};
            obn_tensor *in[2] = {ot_tensor(OBN_INT8, 2, dims, x), ot_tensor(OBN_BOOL, 1, cd, cond)}, *y;
            obn_status st = run_node("Compress", 11, in, 2, "y", 1, &y, compress_axis, axis == 2 ? 9 : axis);
            ck_assert_msg(st == OBN_OK, "%s", obn_last_error());
            int8_t want[12];
            int k = 0;
            for (int i = 0; i < 12; i++) {
                int64_t along = axis == 2 ? i : ax == 0 ? i / 4 : i % 4;
                if (along < clen && cond[along]) want[k++] = x[i];
            }
            ot_expect_bytes(y, OBN_INT8, want, k);
            ot_destroy(2, in);
            obn_tensor_destroy(y);
        }
    }
    /* true beyond the axis, and a non-bool condition */
    const int64_t cd[1] = {5};
    const uint8_t beyond[5] = {1, 0, 1, 1, 1};
    obn_tensor *in[2] = {ot_tensor(OBN_INT8, 2, dims, x), ot_tensor(OBN_BOOL, 1, cd, beyond)}, *y;
    ck_assert_int_eq(run_node("Compress", 11, in, 2, "y", 1, &y, compress_axis, 1), OBN_E_INVALID_MODEL);
    ot_expect_message("\"n\"", "condition[4] is true but the axis has only 4 entries", (const char *)NULL);
    obn_tensor_destroy(in[1]);
    const int64_t c32[5] = {1, 0, 1, 1, 0};
    in[1] = ot_tensor(OBN_INT64, 1, cd, c32);
    ck_assert_int_eq(run_node("Compress", 11, in, 2, "y", 1, &y, compress_axis, 1), OBN_E_UNSUPPORTED);
    ot_expect_message("'condition'", "int64", (const char *)NULL);
    ot_destroy(2, in);
}
END_TEST

static void unique_attrs(tb_model *m, Onnx__NodeProto *n, int v)
{
    tb_attr_int(m, n, "sorted", v & 1);
    if (v & 2) tb_attr_int(m, n, "axis", v >> 2);
}

/* Flattened: values with repeats, NaNs and signed zeros, both orders,
 * against an O(n^2) reference (NaNs equal each other, -0 == +0). */
START_TEST(unique_flat_reference)
{
    const int64_t dims[2] = {3, 5};
    const float x[15] = {3, 1, NAN, 2, 1, -0.0f, 3, 0.0f, NAN, 7, -1, 2, 2, 7, 1};
    for (int sorted = 0; sorted < 2; sorted++) {
        obn_tensor *in = ot_tensor(OBN_FLOAT, 2, dims, x), *out[4];
        obn_status st = run_node("Unique", 11, &in, 1, "y,i,v,c", 4, out, unique_attrs, sorted);
        ck_assert_msg(st == OBN_OK, "%s", obn_last_error());
        /* distinct values by first occurrence */
        int first[15], u = 0;
        int64_t inv[15];
        for (int i = 0; i < 15; i++) {
            int g = -1;
            for (int k = 0; k < u && g < 0; k++)
                if (x[first[k]] == x[i] || (isnan(x[first[k]]) && isnan(x[i]))) g = k;
            if (g < 0) first[g = u++] = i;
            inv[i] = g;
        }
        int rank_of[15]; /* entry of each first-occurrence group in the output */
        for (int g = 0; g < u; g++) {
            rank_of[g] = g;
            if (!sorted) continue;
            rank_of[g] = 0;
            for (int h = 0; h < u; h++) {
                float a = x[first[h]], b = x[first[g]];
                rank_of[g] += isnan(b) ? !isnan(a) : a < b;
            }
        }
        double wy[15];
        int64_t wi[15], wc[15] = {0};
        for (int g = 0; g < u; g++) {
            wy[rank_of[g]] = x[first[g]];
            wi[rank_of[g]] = first[g];
        }
        for (int i = 0; i < 15; i++) {
            inv[i] = rank_of[inv[i]];
            wc[inv[i]]++;
        }
        ot_expect_f32(out[0], wy, u, 0);
        ot_expect_i64(out[1], wi, u);
        ot_expect_i64(out[2], inv, 15);
        ot_expect_i64(out[3], wc, u);
        obn_tensor_destroy(in);
        ot_destroy(4, out);
    }
}
END_TEST

/* numpy.unique / the ONNX spec's example 4: unique slices along axis 1. */
START_TEST(unique_axis_example)
{
    const int64_t dims[3] = {2, 4, 2};
    const int32_t x[16] = {1, 1, 0, 1, 2, 1, 0, 1, 1, 1, 0, 1, 2, 1, 0, 1};
    obn_tensor *in = ot_tensor(OBN_INT32, 3, dims, x), *out[4];
    obn_status st = run_node("Unique", 11, &in, 1, "y,i,v,c", 4, out, unique_attrs, 1 | 2 | (1 << 2));
    ck_assert_msg(st == OBN_OK, "%s", obn_last_error());
    const int64_t yd[3] = {2, 3, 2}, wi[3] = {1, 0, 2}, wv[4] = {1, 0, 2, 0}, wc[3] = {2, 1, 1};
    const int32_t wy[12] = {0, 1, 1, 1, 2, 1, 0, 1, 1, 1, 2, 1};
    ot_expect_shape(out[0], 3, yd);
    ot_expect_bytes(out[0], OBN_INT32, wy, 12);
    ot_expect_i64(out[1], wi, 3);
    ot_expect_i64(out[2], wv, 4);
    ot_expect_i64(out[3], wc, 3);
    ot_destroy(4, out);
    /* unsorted, with only the first output */
    st = run_node("Unique", 11, &in, 1, "y", 1, out, unique_attrs, 0 | 2 | (1 << 2));
    ck_assert_msg(st == OBN_OK, "%s", obn_last_error());
    const int32_t wu[12] = {1, 1, 0, 1, 2, 1, 1, 1, 0, 1, 2, 1};
    ot_expect_bytes(out[0], OBN_INT32, wu, 12);
    obn_tensor_destroy(out[0]);
    obn_tensor_destroy(in);
    /* errors: axis out of range, bfloat16 (not in Unique-11) */
    in = ot_tensor(OBN_INT32, 3, dims, x);
    ck_assert_int_eq(run_node("Unique", 11, &in, 1, "y", 1, out, unique_attrs, 2 | (3 << 2)), OBN_E_INVALID_MODEL);
    ot_expect_message("\"n\"", "axis 3 is out of range for rank 3", (const char *)NULL);
    obn_tensor_destroy(in);
    const uint16_t h[2] = {0x3f80, 0x3f80};
    const int64_t d2[1] = {2};
    in = ot_tensor(OBN_BFLOAT16, 1, d2, h);
    ck_assert_int_eq(run_node("Unique", 11, &in, 1, "y", 1, out, NULL, 0), OBN_E_UNSUPPORTED);
    ot_expect_message("'X'", "bfloat16", (const char *)NULL);
    obn_tensor_destroy(in);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("data_dependent");
    TCase *t = tcase_create("data_dependent");
    tcase_add_test(t, nonzero_coordinates);
    tcase_add_test(t, compress_every_axis);
    tcase_add_test(t, unique_flat_reference);
    tcase_add_test(t, unique_axis_example);
    suite_add_tcase(s, t);
    return ot_main(s);
}
