/* Selection ops: ArgMax/ArgMin, TopK and Hardmax against references
 * computed here by plain loops over every vector (exact: these ops only
 * compare and copy), for several element types, ties, NaN and every axis,
 * plus their version rules and error messages. */
#include "kernels/half.h"
#include "op_testing.h"

/* x[i] for the reference, as double (exact for every type used here except
 * int64/uint64 beyond 2^53, which have their own test). */
static double ref_at(obn_dtype dt, const void *p, int64_t i)
{
    switch (dt) {
    case OBN_FLOAT: return ((const float *)p)[i];
    case OBN_FLOAT16: return obn_f16_to_f32(((const uint16_t *)p)[i]);
    case OBN_INT8: return ((const int8_t *)p)[i];
    case OBN_UINT16: return ((const uint16_t *)p)[i];
    default: return (double)((const int32_t *)p)[i];
    }
}

/* n values with many ties (small integers in [-4, 4]) stored as dt. */
static void *tied_values(obn_dtype dt, int64_t n, uint64_t seed)
{
    float *f = malloc((size_t)n * sizeof *f);
    ot_fill(f, n, seed, -4.5f, 4.5f);
    uint8_t *p = malloc((size_t)n * 4);
    for (int64_t i = 0; i < n; i++) {
        float v = roundf(f[i]);
        switch (dt) {
        case OBN_FLOAT: ((float *)p)[i] = v; break;
        case OBN_FLOAT16: ((uint16_t *)p)[i] = obn_f32_to_f16(v); break;
        case OBN_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
        case OBN_UINT16: ((uint16_t *)p)[i] = (uint16_t)(v + 4); break;
        default: ((int32_t *)p)[i] = (int32_t)v; break;
        }
    }
    free(f);
    return p;
}

static const obn_dtype sel_types[] = {OBN_FLOAT, OBN_FLOAT16, OBN_INT8, OBN_UINT16, OBN_INT32};

/* One-node model: input "x" (dt, dims), output "y" (ydt), attributes set
 * by the caller. */
static tb_model *one_node(int opset, const char *op, obn_dtype dt, int rank, const int64_t *dims, obn_dtype ydt,
                          Onnx__NodeProto **node)
{
    tb_model *m = tb_new(opset);
    tb_input(m, "x", dt, rank, dims);
    *node = tb_node(m, op, "n", "x", "y");
    tb_output(m, "y", ydt, -1, NULL);
    return m;
}

START_TEST(argmax_argmin_every_axis_and_type)
{
    obn_dtype dt = sel_types[_i];
    const int64_t dims[3] = {3, 4, 5};
    void *x = tied_values(dt, 60, 7 + (uint64_t)_i);
    for (int want_max = 0; want_max < 2; want_max++)
        for (int axis = -3; axis < 3; axis++)
            for (int last = 0; last < 2; last++)
                for (int keep = 0; keep < 2; keep++) {
                    int ax = axis < 0 ? axis + 3 : axis;
                    Onnx__NodeProto *n;
                    tb_model *m = one_node(13, want_max ? "ArgMax" : "ArgMin", dt, 3, dims, OBN_INT64, &n);
                    tb_attr_int(m, n, "axis", axis);
                    tb_attr_int(m, n, "keepdims", keep);
                    tb_attr_int(m, n, "select_last_index", last);
                    obn_tensor *in = ot_tensor(dt, 3, dims, x), *y;
                    OT_RUN_OK(m, 1, &in, 1, &y);
                    int64_t od[3] = {3, 4, 5}, kd[2], r = 0;
                    od[ax] = 1;
                    for (int d = 0; d < 3; d++)
                        if (d != ax) kd[r++] = dims[d];
                    if (keep) ot_expect_shape(y, 3, od);
                    else ot_expect_shape(y, 2, kd);
                    int64_t stride = ax == 2 ? 1 : ax == 1 ? 5 : 20, want[20];
                    for (int64_t o = 0, k = 0; o < 60; o++) {
                        if ((o / stride) % dims[ax] != 0) continue; /* o is the start of one vector */
                        int64_t best = 0;
                        for (int64_t j = 1; j < dims[ax]; j++) {
                            double v = ref_at(dt, x, o + j * stride), b = ref_at(dt, x, o + best * stride);
                            if ((want_max ? v > b : v < b) || (last && v == b)) best = j;
                        }
                        want[k++] = best;
                    }
                    ot_expect_i64(y, want, 60 / dims[ax]);
                    obn_tensor_destroy(in);
                    obn_tensor_destroy(y);
                    tb_free(m);
                }
    free(x);
}
END_TEST

/* int64 values that differ only beyond double's 53 bits, uint64 above
 * INT64_MAX, and NaN (which wins for ArgMax and ArgMin alike). */
START_TEST(argmax_exact_wide_integers_and_nan)
{
    const int64_t d4[1] = {4};
    const int64_t wide[4] = {INT64_MAX - 2, INT64_MAX, INT64_MAX - 1, INT64_MIN};
    const uint64_t uwide[4] = {1, UINT64_MAX - 1, UINT64_MAX, 0};
    const float withnan[4] = {1, NAN, 3, NAN};
    struct {
        obn_dtype dt;
        const void *x;
        int64_t max_first, min_first, max_last;
    } cases[] = {{OBN_INT64, wide, 1, 3, 1}, {OBN_UINT64, uwide, 2, 3, 2}, {OBN_FLOAT, withnan, 1, 1, 3}};
    for (int c = 0; c < 3; c++)
        for (int which = 0; which < 3; which++) {
            Onnx__NodeProto *n;
            tb_model *m = one_node(12, which == 1 ? "ArgMin" : "ArgMax", cases[c].dt, 1, d4, OBN_INT64, &n);
            if (which == 2) tb_attr_int(m, n, "select_last_index", 1);
            obn_tensor *in = ot_tensor(cases[c].dt, 1, d4, cases[c].x), *y;
            OT_RUN_OK(m, 1, &in, 1, &y);
            int64_t want = which == 0 ? cases[c].max_first : which == 1 ? cases[c].min_first : cases[c].max_last;
            ot_expect_i64(y, &want, 1);
            obn_tensor_destroy(in);
            obn_tensor_destroy(y);
            tb_free(m);
        }
}
END_TEST

START_TEST(argmax_errors)
{
    const int64_t d2[2] = {2, 3}, empty[2] = {2, 0};
    Onnx__NodeProto *n;
    tb_model *m = one_node(11, "ArgMax", OBN_FLOAT, 2, d2, OBN_INT64, &n);
    tb_attr_int(m, n, "select_last_index", 1);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"n\"", "'select_last_index' is not part of ArgMax-11");
    tb_free(m);
    m = one_node(13, "ArgMin", OBN_FLOAT, 2, d2, OBN_INT64, &n);
    tb_attr_int(m, n, "axis", 2);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"n\"", "axis 2 is out of range for rank 2");
    tb_free(m);
    m = one_node(13, "ArgMax", OBN_FLOAT, 2, empty, OBN_INT64, &n);
    tb_attr_int(m, n, "axis", 1);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "axis 1 of input 'data' ('x') is empty");
    tb_free(m);
    m = one_node(13, "ArgMax", OBN_BOOL, 2, d2, OBN_INT64, &n);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "'data'", "bool");
    tb_free(m);
    m = one_node(12, "ArgMax", OBN_BFLOAT16, 2, d2, OBN_INT64, &n);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "'data'", "bfloat16");
    tb_free(m);
}
END_TEST

/* TopK-11 with K as a graph input (so the plan is built with K's data),
 * largest and smallest, on tied values: the reference is a stable
 * selection sort over each vector. */
START_TEST(topk_every_axis_and_type)
{
    obn_dtype dt = sel_types[_i];
    const int64_t dims[3] = {3, 4, 6}, one[1] = {1};
    void *x = tied_values(dt, 72, 11 + (uint64_t)_i);
    size_t es = obn_dtype_size(dt);
    for (int largest = 0; largest < 2; largest++)
        for (int axis = -1; axis < 3; axis++) {
            int ax = axis < 0 ? 2 : axis;
            int64_t k = dims[ax] - 1;
            tb_model *m = tb_new(11);
            tb_input(m, "x", dt, 3, dims);
            tb_input(m, "k", OBN_INT64, 1, one);
            Onnx__NodeProto *n = tb_node(m, "TopK", "t", "x,k", "v,i");
            tb_attr_int(m, n, "axis", axis);
            tb_attr_int(m, n, "largest", largest);
            tb_output(m, "v", dt, -1, NULL);
            tb_output(m, "i", OBN_INT64, -1, NULL);
            obn_tensor *in[2] = {ot_tensor(dt, 3, dims, x), ot_tensor(OBN_INT64, 1, one, &k)}, *out[2];
            OT_RUN_OK(m, 2, in, 2, out);
            int64_t od[3] = {3, 4, 6};
            od[ax] = k;
            ot_expect_shape(out[0], 3, od);
            ot_expect_shape(out[1], 3, od);
            int64_t stride = ax == 2 ? 1 : ax == 1 ? 6 : 24, on = ot_numel(3, od);
            int64_t *want = malloc((size_t)on * sizeof *want);
            uint8_t *wantv = malloc((size_t)on * es);
            for (int64_t o = 0; o < 72; o++) {
                if ((o / stride) % dims[ax] != 0) continue;
                int64_t oo = (o / (stride * dims[ax])) * stride * k + o % stride; /* vector start in the output */
                bool used[6] = {false};
                for (int64_t j = 0; j < k; j++) {
                    int64_t best = -1;
                    for (int64_t c = 0; c < dims[ax]; c++) {
                        if (used[c]) continue;
                        double v = ref_at(dt, x, o + c * stride);
                        if (best < 0 || (largest ? v > ref_at(dt, x, o + best * stride) : v < ref_at(dt, x, o + best * stride)))
                            best = c;
                    }
                    used[best] = true;
                    want[oo + j * stride] = best;
                    memcpy(wantv + (size_t)(oo + j * stride) * es, (uint8_t *)x + (size_t)(o + best * stride) * es, es);
                }
            }
            ot_expect_i64(out[1], want, on);
            ot_expect_bytes(out[0], dt, wantv, on);
            free(want);
            free(wantv);
            ot_destroy(2, in);
            ot_destroy(2, out);
            tb_free(m);
        }
    free(x);
}
END_TEST

/* TopK-1 (k attribute) and TopK-10 (K input, largest only), NaN ranking
 * above +inf, k = 0 and k = the whole axis. */
START_TEST(topk_versions_nan_and_extremes)
{
    const int64_t d5[1] = {5}, one[1] = {1};
    const float x[5] = {2, NAN, INFINITY, -1, 2};
    tb_model *m = tb_new(1);
    tb_input(m, "x", OBN_FLOAT, 1, d5);
    tb_attr_int(m, tb_node(m, "TopK", "t", "x", "v,i"), "k", 3);
    tb_output(m, "v", OBN_FLOAT, -1, NULL);
    tb_output(m, "i", OBN_INT64, -1, NULL);
    obn_tensor *in = ot_tensor(OBN_FLOAT, 1, d5, x), *out[2];
    OT_RUN_OK(m, 1, &in, 2, out);
    const int64_t wi[3] = {1, 2, 0};
    const double wv[3] = {NAN, INFINITY, 2};
    ot_expect_i64(out[1], wi, 3);
    ot_expect_f32(out[0], wv, 3, 0);
    ot_destroy(2, out);
    tb_free(m);
    for (int64_t k = 0; k <= 5; k += 5) {
        m = tb_new(10);
        tb_input(m, "x", OBN_FLOAT, 1, d5);
        tb_init_i64(m, "k", 1, one, &k);
        tb_node(m, "TopK", "t", "x,k", "v,i");
        tb_output(m, "v", OBN_FLOAT, -1, NULL);
        tb_output(m, "i", OBN_INT64, -1, NULL);
        OT_RUN_OK(m, 1, &in, 2, out);
        const int64_t all[5] = {1, 2, 0, 4, 3};
        ot_expect_i64(out[1], all, k);
        ot_destroy(2, out);
        tb_free(m);
    }
    obn_tensor_destroy(in);
}
END_TEST

START_TEST(topk_errors)
{
    const int64_t d5[1] = {5}, one[1] = {1}, six = 6, neg = -1;
    struct {
        int opset;
        const int64_t *k;
        obn_status code;
        const char *msg;
    } cases[] = {{11, &six, OBN_E_INVALID_MODEL, "k=6 exceeds the size 5 of axis 0"},
                 {11, &neg, OBN_E_INVALID_MODEL, "input 'K' ('k') is -1"},
                 {10, NULL, OBN_E_INVALID_MODEL, "'largest' and 'sorted' are not part of TopK-10"},
                 {1, NULL, OBN_E_INVALID_MODEL, "attribute 'k' is required by TopK-1"}};
    for (int c = 0; c < 4; c++) {
        tb_model *m = tb_new(cases[c].opset);
        tb_input(m, "x", OBN_FLOAT, 1, d5);
        if (cases[c].opset >= 10) tb_init_i64(m, "k", 1, one, cases[c].k ? cases[c].k : &neg);
        Onnx__NodeProto *n = tb_node(m, "TopK", "t", cases[c].opset >= 10 ? "x,k" : "x", "v,i");
        if (cases[c].opset == 10) tb_attr_int(m, n, "largest", 0);
        tb_output(m, "v", OBN_FLOAT, -1, NULL);
        tb_output(m, "i", OBN_INT64, -1, NULL);
        OT_EXPECT_CREATE_ERROR(m, cases[c].code, "\"t\"", cases[c].msg);
        tb_free(m);
    }
    /* K must be int64, one value */
    const int32_t k32 = 1;
    const int64_t two[1] = {2}, k2[2] = {1, 1};
    for (int c = 0; c < 2; c++) {
        tb_model *m = tb_new(11);
        tb_input(m, "x", OBN_FLOAT, 1, d5);
        if (c == 0) tb_add_init(m, tb_tensor(m, "k", OBN_INT32, 1, one, &k32, 4));
        else tb_init_i64(m, "k", 1, two, k2);
        tb_node(m, "TopK", "t", "x,k", "v,i");
        tb_output(m, "v", OBN_FLOAT, -1, NULL);
        tb_output(m, "i", OBN_INT64, -1, NULL);
        if (c == 0) OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "'K'", "int32");
        else OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "input 'K' ('k') must hold exactly one value");
        tb_free(m);
    }
}
END_TEST

/* Hardmax-11 flattens at axis; Hardmax-13 works along one axis. */
START_TEST(hardmax_versions)
{
    const int64_t dims[3] = {2, 2, 3};
    const float x[12] = {1, 5, 2, 5, 0, 0, /* */ 3, 3, 9, NAN, 1, 9};
    const double w11[12] = {0, 1, 0, 0, 0, 0, /* */ 0, 0, 0, 1, 0, 0};
    const double w13[12] = {0, 1, 0, 1, 0, 0, /* */ 0, 0, 1, 1, 0, 0};
    const double w13_axis1[12] = {0, 1, 1, 1, 0, 0, /* */ 0, 1, 1, 1, 0, 0};
    struct {
        int opset, axis;
        const double *want;
    } cases[] = {{11, 1, w11}, {13, -1, w13}, {13, 1, w13_axis1}};
    for (int c = 0; c < 3; c++) {
        Onnx__NodeProto *n;
        tb_model *m = one_node(cases[c].opset, "Hardmax", OBN_FLOAT, 3, dims, OBN_FLOAT, &n);
        tb_attr_int(m, n, "axis", cases[c].axis);
        obn_tensor *in = ot_tensor(OBN_FLOAT, 3, dims, x), *y;
        OT_RUN_OK(m, 1, &in, 1, &y);
        ot_expect_f32(y, cases[c].want, 12, 0);
        obn_tensor_destroy(in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    Onnx__NodeProto *n;
    tb_model *m = one_node(13, "Hardmax", OBN_INT32, 3, dims, OBN_INT32, &n);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "\"n\"", "int32");
    tb_free(m);
}
END_TEST

/* TopK-24 adds bfloat16; TopK-11 refuses it. */
START_TEST(topk_bfloat16_from_24)
{
    const int64_t d4[1] = {4}, one[1] = {1}, k = 2;
    const uint16_t x[4] = {obn_f32_to_bf16(1.5f), obn_f32_to_bf16(-2), obn_f32_to_bf16(8), obn_f32_to_bf16(1.5f)};
    for (int opset = 11; opset <= 24; opset += 13) {
        tb_model *m = tb_new(opset);
        tb_input(m, "x", OBN_BFLOAT16, 1, d4);
        tb_init_i64(m, "k", 1, one, &k);
        tb_attr_int(m, tb_node(m, "TopK", "t", "x,k", "v,i"), "largest", 0);
        tb_output(m, "v", OBN_BFLOAT16, -1, NULL);
        tb_output(m, "i", OBN_INT64, -1, NULL);
        if (opset == 11) {
            OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "\"t\"", "bfloat16");
            tb_free(m);
            continue;
        }
        obn_tensor *in = ot_tensor(OBN_BFLOAT16, 1, d4, x), *out[2];
        OT_RUN_OK(m, 1, &in, 2, out);
        const int64_t wi[2] = {1, 0};
        const uint16_t wv[2] = {x[1], x[0]};
        ot_expect_i64(out[1], wi, 2);
        ot_expect_bytes(out[0], OBN_BFLOAT16, wv, 2);
        obn_tensor_destroy(in);
        ot_destroy(2, out);
        tb_free(m);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("select");
    TCase *t = tcase_create("select");
    int nt = (int)(sizeof sel_types / sizeof sel_types[0]);
    tcase_add_loop_test(t, argmax_argmin_every_axis_and_type, 0, nt);
    tcase_add_test(t, argmax_exact_wide_integers_and_nan);
    tcase_add_test(t, argmax_errors);
    tcase_add_loop_test(t, topk_every_axis_and_type, 0, nt);
    tcase_add_test(t, topk_versions_nan_and_extremes);
    tcase_add_test(t, topk_errors);
    tcase_add_test(t, hardmax_versions);
    tcase_add_test(t, topk_bfloat16_from_24);
    suite_add_tcase(s, t);
    return ot_main(s);
}
