/* The Reduce* family: every operation over several axis sets (contiguous,
 * split, all, none with noop_with_empty_axes), keepdims, the axes input of
 * ReduceSum-13 and every Reduce*-18, bool ReduceMax/ReduceMin-20, integer
 * types and errors, against a reference in double that walks the whole input
 * per output element. Tolerance 1e-5 relative. */
#include "op_testing.h"

static const char *const ops[] = {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd",
                                  "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"};

static double reduce_ref(const char *op, const double *v, int n)
{
    double acc = !strcmp(op, "ReduceMax") ? -INFINITY : !strcmp(op, "ReduceMin") ? INFINITY
                 : !strcmp(op, "ReduceProd") ? 1 : 0;
    double mx = -INFINITY;
    for (int i = 0; i < n; i++) mx = fmax(mx, v[i]);
    for (int i = 0; i < n; i++) {
        if (!strcmp(op, "ReduceMax")) acc = fmax(acc, v[i]);
        else if (!strcmp(op, "ReduceMin")) acc = fmin(acc, v[i]);
        else if (!strcmp(op, "ReduceProd")) acc *= v[i];
        else if (!strcmp(op, "ReduceL1")) acc += fabs(v[i]);
        else if (!strcmp(op, "ReduceL2") || !strcmp(op, "ReduceSumSquare")) acc += v[i] * v[i];
        else if (!strcmp(op, "ReduceLogSumExp")) acc += exp(v[i] - mx);
        else acc += v[i];
    }
    if (!strcmp(op, "ReduceMean")) return acc / n;
    if (!strcmp(op, "ReduceL2")) return sqrt(acc);
    if (!strcmp(op, "ReduceLogSum")) return log(acc);
    if (!strcmp(op, "ReduceLogSumExp")) return log(acc) + mx;
    return acc;
}

/* x: [2,3,4,5]; axes given as a mask. */
static void check(const char *op, int version, const int *axes, int n_axes, int keepdims, bool axes_input)
{
    const int64_t dims[4] = {2, 3, 4, 5};
    float x[120];
    ot_fill(x, 120, 17, 0.5f, 1.5f); /* positive: LogSum, Prod stay tame */
    bool red[4] = {n_axes == 0, n_axes == 0, n_axes == 0, n_axes == 0};
    if (((!strcmp(op, "ReduceSum") && version >= 13) || version >= 18) && n_axes) axes_input = true; /* an input */
    int64_t ax64[4];
    for (int i = 0; i < n_axes; i++) {
        red[axes[i] < 0 ? axes[i] + 4 : axes[i]] = true;
        ax64[i] = axes[i];
    }
    tb_model *m = tb_new(version);
    tb_input(m, "x", OBN_FLOAT, 4, dims);
    if (axes_input) {
        int64_t na[1] = {n_axes};
        tb_init_i64(m, "axes", 1, na, ax64);
    }
    Onnx__NodeProto *n = tb_node(m, op, "r", axes_input ? "x,axes" : "x", "y");
    if (!axes_input && n_axes) tb_attr_ints(m, n, "axes", (size_t)n_axes, ax64);
    if (keepdims >= 0) tb_attr_int(m, n, "keepdims", keepdims);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    obn_tensor *in = ot_tensor(OBN_FLOAT, 4, dims, x), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    int64_t od[4];
    int r = 0;
    for (int d = 0; d < 4; d++) {
        if (!red[d]) od[r++] = dims[d];
        else if (keepdims != 0) od[r++] = 1;
    }
    ot_expect_shape(y, r, od);
    double want[120], group[120];
    int nw = 0;
    for (int i0 = 0; i0 < (red[0] ? 1 : 2); i0++)
        for (int i1 = 0; i1 < (red[1] ? 1 : 3); i1++)
            for (int i2 = 0; i2 < (red[2] ? 1 : 4); i2++)
                for (int i3 = 0; i3 < (red[3] ? 1 : 5); i3++) {
                    int ng = 0;
                    for (int j0 = 0; j0 < 2; j0++)
                        for (int j1 = 0; j1 < 3; j1++)
                            for (int j2 = 0; j2 < 4; j2++)
                                for (int j3 = 0; j3 < 5; j3++)
                                    if ((red[0] || j0 == i0) && (red[1] || j1 == i1) && (red[2] || j2 == i2) &&
                                        (red[3] || j3 == i3))
                                        group[ng++] = x[((j0 * 3 + j1) * 4 + j2) * 5 + j3];
                    want[nw++] = reduce_ref(op, group, ng);
                }
    ot_expect_f32(y, want, nw, 1e-5);
    obn_tensor_destroy(in);
    obn_tensor_destroy(y);
    tb_free(m);
}

START_TEST(every_op_and_axes)
{
    const char *op = ops[_i];
    static const int sets[][4] = {{2, 3}, {1}, {0, 2}, {-1}, {1, 3}, {0, 1, 2, 3}, {3, 0}, {-3, -2}};
    static const int counts[] = {2, 1, 2, 1, 2, 4, 2, 2};
    for (int s = 0; s < 8; s++) {
        check(op, 13, sets[s], counts[s], -1, false);
        check(op, 11, sets[s], counts[s], 0, false);
        check(op, 18, sets[s], counts[s], s % 2 ? 0 : -1, true);
    }
    check(op, 1, NULL, 0, -1, false); /* no axes: everything */
    check(op, 13, NULL, 0, 0, false);
    check(op, 18, NULL, 0, -1, false);
}
END_TEST

START_TEST(reduce_sum_axes_input)
{
    static const int a[2] = {1, -1};
    check("ReduceSum", 13, a, 2, 1, true);
    check("ReduceSum", 13, a, 1, 0, true);
    /* empty axes input: reduce all, or identity with noop_with_empty_axes */
    const int64_t dims[2] = {2, 3}, zero[1] = {0};
    const float x[6] = {1, 2, 3, 4, 5, 6};
    for (int noop = 0; noop < 2; noop++) {
        tb_model *m = tb_new(13);
        tb_input(m, "x", OBN_FLOAT, 2, dims);
        tb_add_init(m, tb_tensor(m, "axes", OBN_INT64, 1, zero, NULL, 0));
        Onnx__NodeProto *n = tb_node(m, "ReduceSum", "r", "x,axes", "y");
        if (noop) tb_attr_int(m, n, "noop_with_empty_axes", 1);
        tb_output(m, "y", OBN_FLOAT, -1, NULL);
        obn_tensor *in = ot_tensor(OBN_FLOAT, 2, dims, x), *y;
        OT_RUN_OK(m, 1, &in, 1, &y);
        const double all[1] = {21}, same[6] = {1, 2, 3, 4, 5, 6};
        ot_expect_f32(y, noop ? same : all, noop ? 6 : 1, 0);
        obn_tensor_destroy(in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    /* axes fed at run time */
    tb_model *m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 2, dims);
    const int64_t one[1] = {1};
    tb_input(m, "axes", OBN_INT64, 1, one);
    tb_node(m, "ReduceSum", "r", "x,axes", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    int64_t ax = 0;
    obn_tensor *ins[2] = {ot_tensor(OBN_FLOAT, 2, dims, x), ot_tensor(OBN_INT64, 1, one, &ax)}, *y;
    OT_RUN_OK(m, 2, ins, 1, &y);
    const double cols[3] = {5, 7, 9};
    ot_expect_f32(y, cols, 3, 0);
    ot_destroy(2, ins);
    obn_tensor_destroy(y);
    tb_free(m);
}
END_TEST

/* Reduce*-18: no axes input reduces everything; an empty one too, or with
 * noop_with_empty_axes reduces nothing, each element alone (the spec: "other
 * operations will be performed", ReduceL1 acting as Abs); axes given at run
 * time; the attribute form is gone. */
START_TEST(axes_input_from_18)
{
    const int64_t dims[2] = {2, 3}, zero[1] = {0}, one[1] = {1};
    const float x[6] = {1, -2, 3, -4, 5, -6};
    for (int k = 0; k < 10; k++) {
        if (!strcmp(ops[k], "ReduceSum")) continue; /* ReduceSum-13 applies, tested above */
        for (int noop = 0; noop < 2; noop++) {
            tb_model *m = tb_new(18);
            tb_input(m, "x", OBN_FLOAT, 2, dims);
            tb_add_init(m, tb_tensor(m, "axes", OBN_INT64, 1, zero, NULL, 0));
            Onnx__NodeProto *n = tb_node(m, ops[k], "r", "x,axes", "y");
            if (noop) tb_attr_int(m, n, "noop_with_empty_axes", 1);
            tb_output(m, "y", OBN_FLOAT, -1, NULL);
            obn_tensor *in = ot_tensor(OBN_FLOAT, 2, dims, x), *y;
            OT_RUN_OK(m, 1, &in, 1, &y);
            double v[6], want[6];
            for (int i = 0; i < 6; i++) v[i] = x[i];
            for (int i = 0; i < 6; i++) want[i] = reduce_ref(ops[k], noop ? &v[i] : v, noop ? 1 : 6);
            const int64_t kept[2] = {1, 1};
            ot_expect_shape(y, 2, noop ? dims : kept);
            ot_expect_f32(y, want, noop ? 6 : 1, 1e-6);
            obn_tensor_destroy(in);
            obn_tensor_destroy(y);
            tb_free(m);
        }
    }
    /* axes fed at run time: ReduceMax over axis 0 */
    tb_model *m = tb_new(18);
    tb_input(m, "x", OBN_FLOAT, 2, dims);
    tb_input(m, "axes", OBN_INT64, 1, one);
    tb_attr_int(m, tb_node(m, "ReduceMax", "r", "x,axes", "y"), "keepdims", 0);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    int64_t ax = -2;
    obn_tensor *ins[2] = {ot_tensor(OBN_FLOAT, 2, dims, x), ot_tensor(OBN_INT64, 1, one, &ax)}, *y;
    OT_RUN_OK(m, 2, ins, 1, &y);
    const double cols[3] = {1, 5, 3};
    ot_expect_f32(y, cols, 3, 0);
    ot_destroy(2, ins);
    obn_tensor_destroy(y);
    tb_free(m);
    /* the axes attribute belongs to versions before 18 */
    m = tb_new(18);
    tb_input(m, "x", OBN_FLOAT, 2, dims);
    tb_attr_ints(m, tb_node(m, "ReduceMean", "r", "x", "y"), "axes", 1, one);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"r\"", "'axes' is not part of ReduceMean-18");
    tb_free(m);
}
END_TEST

/* ReduceMax/ReduceMin-20 on bool (False < True): any / all; an empty
 * reduction gives False for max and True for min (the type's minimum and
 * maximum). Before 20 bool is refused. */
START_TEST(bool_max_min_from_20)
{
    const int64_t dims[2] = {2, 3}, empty_dims[2] = {2, 0}, one[1] = {1};
    const uint8_t x[6] = {0, 1, 0, 0, 0, 0};
    const uint8_t want_max[2] = {1, 0}, want_min[2] = {0, 0}, empty_max[2] = {0, 0}, empty_min[2] = {1, 1};
    for (int k = 0; k < 2; k++) {
        for (int empty = 0; empty < 2; empty++) {
            tb_model *m = tb_new(20);
            tb_input(m, "x", OBN_BOOL, 2, empty ? empty_dims : dims);
            tb_init_i64(m, "axes", 1, one, one);
            tb_attr_int(m, tb_node(m, k ? "ReduceMin" : "ReduceMax", "r", "x,axes", "y"), "keepdims", 0);
            tb_output(m, "y", OBN_BOOL, -1, NULL);
            obn_tensor *in = ot_tensor(OBN_BOOL, 2, empty ? empty_dims : dims, x), *y;
            OT_RUN_OK(m, 1, &in, 1, &y);
            const uint8_t *want = empty ? (k ? empty_min : empty_max) : (k ? want_min : want_max);
            ot_expect_bytes(y, OBN_BOOL, want, 2);
            obn_tensor_destroy(in);
            obn_tensor_destroy(y);
            tb_free(m);
        }
    }
    tb_model *m = tb_new(18);
    tb_input(m, "x", OBN_BOOL, 2, dims);
    tb_node(m, "ReduceMax", "r", "x", "y");
    tb_output(m, "y", OBN_BOOL, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "ReduceMax-18", "bool");
    tb_free(m);
}
END_TEST

START_TEST(integer_reductions)
{
    const int64_t dims[2] = {2, 3}, x[6] = {5, -7, 3, 1 << 30, 9, -2};
    const char *iops[4] = {"ReduceSum", "ReduceMax", "ReduceMin", "ReduceMean"};
    const int64_t want[4][2] = {{1, (1 << 30) + 7}, {5, 1 << 30}, {-7, -2}, {0, ((1 << 30) + 7) / 3}};
    for (int k = 0; k < 4; k++) {
        tb_model *m = tb_new(11);
        tb_input(m, "x", OBN_INT64, 2, dims);
        Onnx__NodeProto *n = tb_node(m, iops[k], "r", "x", "y");
        const int64_t ax[1] = {1};
        tb_attr_ints(m, n, "axes", 1, ax);
        tb_attr_int(m, n, "keepdims", 0);
        tb_output(m, "y", OBN_INT64, -1, NULL);
        obn_tensor *in = ot_tensor(OBN_INT64, 2, dims, x), *y;
        OT_RUN_OK(m, 1, &in, 1, &y);
        ot_expect_i64(y, want[k], 2);
        obn_tensor_destroy(in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
}
END_TEST

START_TEST(rows_fast_path_threads)
{
    /* mean over the channel axis of [4, 64, 30, 30]: rows of 900 combined */
    const int64_t dims[4] = {4, 64, 30, 30};
    int64_t n = ot_numel(4, dims);
    float *x = malloc((size_t)n * 4);
    ot_fill(x, n, 5, -1, 1);
    const char *fast[4] = {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin"};
    for (int k = 0; k < 4; k++) {
        tb_model *m = tb_new(11);
        tb_input(m, "x", OBN_FLOAT, 4, dims);
        const int64_t ax[1] = {1};
        tb_attr_ints(m, tb_node(m, fast[k], "r", "x", "y"), "axes", 1, ax);
        tb_output(m, "y", OBN_FLOAT, -1, NULL);
        obn_tensor *in = ot_tensor(OBN_FLOAT, 4, dims, x), *y;
        OT_RUN_OK(m, 1, &in, 1, &y);
        double *want = malloc(3600 * sizeof *want), col[64];
        for (int b = 0; b < 4; b++)
            for (int p = 0; p < 900; p++) {
                for (int c = 0; c < 64; c++) col[c] = x[(b * 64 + c) * 900 + p];
                want[b * 900 + p] = reduce_ref(fast[k], col, 64);
            }
        ot_expect_f32(y, want, 3600, 1e-5);
        free(want);
        obn_tensor_destroy(in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    free(x);
}
END_TEST

START_TEST(reduce_errors)
{
    const int64_t dims[2] = {2, 3}, ax[2] = {1, -1}, bad[1] = {2};
    tb_model *m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 2, dims);
    tb_attr_ints(m, tb_node(m, "ReduceMean", "r", "x", "y"), "axes", 2, ax);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"r\"", "ReduceMean-13", "given twice");
    tb_free(m);
    m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 2, dims);
    tb_attr_ints(m, tb_node(m, "ReduceMax", "r", "x", "y"), "axes", 1, bad);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "axis 2 is out of range");
    tb_free(m);
    m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 2, dims);
    tb_attr_ints(m, tb_node(m, "ReduceSum", "r", "x", "y"), "axes", 1, bad);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'axes' is not part of ReduceSum-13");
    tb_free(m);
    m = tb_new(13);
    tb_input(m, "x", OBN_BOOL, 2, dims);
    tb_node(m, "ReduceMean", "r", "x", "y");
    tb_output(m, "y", OBN_BOOL, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "bool");
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("reduce");
    TCase *t = tcase_create("reduce");
    tcase_add_loop_test(t, every_op_and_axes, 0, 10);
    tcase_add_test(t, reduce_sum_axes_input);
    tcase_add_test(t, axes_input_from_18);
    tcase_add_test(t, bool_max_min_from_20);
    tcase_add_test(t, integer_reductions);
    tcase_add_test(t, rows_fast_path_threads);
    tcase_add_test(t, reduce_errors);
    suite_add_tcase(s, t);
    return ot_main(s);
}
