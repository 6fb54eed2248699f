/* Data-movement ops: Concat, Split, Slice, Gather, Pad, Expand, Tile, ScatterND,
 * against references built here by index arithmetic, for several element
 * types (the ops move bytes, so int8/int64/bool/float16 must work alike),
 * plus their errors. */
#include "op_testing.h"

/* x[i] = i as the given dtype (values stay small and distinct). */
static void *iota(obn_dtype dt, int64_t n)
{
    size_t es = obn_dtype_size(dt);
    uint8_t *p = malloc((size_t)n * es + 1);
    for (int64_t i = 0; i < n; i++) {
        int64_t v = i % 100;
        switch (dt) {
        case OBN_FLOAT: { float f = (float)v; memcpy(p + i * 4, &f, 4); break; }
        case OBN_INT64: memcpy(p + i * 8, &v, 8); break;
        case OBN_INT8: p[i] = (uint8_t)(int8_t)v; break;
        case OBN_BOOL: p[i] = (uint8_t)(v & 1); break;
        default: { uint16_t h = (uint16_t)(0x3C00 + v); memcpy(p + i * 2, &h, 2); break; } /* float16 */
        }
    }
    return p;
}

static const obn_dtype types[] = {OBN_FLOAT, OBN_INT64, OBN_INT8, OBN_BOOL, OBN_FLOAT16};

/* Checks y[i] == x[src[i]] bytewise (src[i] < 0: expect the bytes of `fill`). */
static void expect_gathered(const obn_tensor *y, obn_dtype dt, const void *x, const int64_t *src, int64_t n,
                            const void *fill)
{
    size_t es = obn_dtype_size(dt);
    ck_assert_int_eq(obn_tensor_dtype(y), dt);
    ck_assert_int_eq(obn_tensor_numel(y), n);
    const uint8_t *got = obn_tensor_cdata(y);
    for (int64_t i = 0; i < n; i++) {
        const void *want = src[i] < 0 ? fill : (const uint8_t *)x + (size_t)src[i] * es;
        ck_assert_msg(memcmp(got + (size_t)i * es, want, es) == 0, "element %lld differs (source %lld)", (long long)i,
                      (long long)src[i]);
    }
}

START_TEST(concat_any_axis_and_type)
{
    obn_dtype dt = types[_i];
    const int64_t da[3] = {2, 3, 4};
    void *a = iota(dt, 24);
    for (int axis = -3; axis < 3; axis++) {
        int ax = axis < 0 ? axis + 3 : axis;
        int64_t db[3] = {2, 3, 4}, dz[3] = {2, 3, 4};
        db[ax] = 2;
        dz[ax] = 0; /* an empty input takes part too */
        void *b = iota(dt, ot_numel(3, db));
        tb_model *m = tb_new(13);
        tb_input(m, "a", dt, 3, da);
        tb_input(m, "b", dt, 3, db);
        tb_input(m, "z", dt, 3, dz);
        tb_attr_int(m, tb_node(m, "Concat", "cat", "a,z,b", "y"), "axis", axis);
        tb_output(m, "y", dt, -1, NULL);
        obn_tensor *in[3] = {ot_tensor(dt, 3, da, a), ot_tensor(dt, 3, db, b), ot_tensor(dt, 3, dz, NULL)}, *y;
        OT_RUN_OK(m, 3, in, 1, &y);
        int64_t od[3] = {2, 3, 4};
        od[ax] += 2;
        ot_expect_shape(y, 3, od);
        /* reference by coordinates: where along the axis does each element come from */
        int64_t n = ot_numel(3, od), *src = malloc((size_t)n * sizeof *src);
        size_t es = obn_dtype_size(dt);
        uint8_t *ref = malloc((size_t)n * es);
        for (int64_t i = 0; i < n; i++) {
            int64_t c[3] = {i / (od[1] * od[2]), (i / od[2]) % od[1], i % od[2]};
            const void *from;
            if (c[ax] < da[ax]) {
                from = (uint8_t *)a + (size_t)((c[0] * da[1] + c[1]) * da[2] + c[2]) * es;
            } else {
                c[ax] -= da[ax];
                from = (uint8_t *)b + (size_t)((c[0] * db[1] + c[1]) * db[2] + c[2]) * es;
            }
            memcpy(ref + (size_t)i * es, from, es);
            src[i] = i;
        }
        expect_gathered(y, dt, ref, src, n, NULL);
        free(src);
        free(ref);
        free(b);
        ot_destroy(3, in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    free(a);
}
END_TEST

START_TEST(concat_errors)
{
    const int64_t a[2] = {2, 3}, b[2] = {3, 3}, c[3] = {2, 3, 1};
    tb_model *m = tb_new(13);
    tb_input(m, "a", OBN_FLOAT, 2, a);
    tb_input(m, "b", OBN_FLOAT, 2, b);
    tb_attr_int(m, tb_node(m, "Concat", "cat", "a,b", "y"), "axis", 1);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"cat\"", "input #1 ('b')", "[3,3]", "axis 1");
    tb_free(m);
    m = tb_new(13);
    tb_input(m, "a", OBN_FLOAT, 2, a);
    tb_input(m, "c", OBN_FLOAT, 3, c);
    tb_attr_int(m, tb_node(m, "Concat", "cat", "a,c", "y"), "axis", 0);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "[2,3,1]");
    tb_free(m);
    m = tb_new(13);
    tb_input(m, "a", OBN_FLOAT, 2, a);
    tb_input(m, "b", OBN_INT64, 2, a);
    tb_attr_int(m, tb_node(m, "Concat", "cat", "a,b", "y"), "axis", 0);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "int64");
    tb_free(m);
    m = tb_new(13);
    tb_input(m, "a", OBN_FLOAT, 2, a);
    tb_node(m, "Concat", "cat", "a", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'axis' is required");
    tb_free(m);
}
END_TEST

/* Split x [2,6,2] along axis 1 into parts; checks every output. */
static void check_split(tb_model *m, const int64_t *sizes, int n)
{
    const int64_t xd[3] = {2, 6, 2};
    float x[24];
    for (int i = 0; i < 24; i++) x[i] = (float)i;
    obn_tensor *in = ot_tensor(OBN_FLOAT, 3, xd, x), *ys[4];
    OT_RUN_OK(m, 1, &in, n, ys);
    int64_t start = 0;
    for (int k = 0; k < n; k++) {
        const int64_t od[3] = {2, sizes[k], 2};
        ot_expect_shape(ys[k], 3, od);
        double want[24];
        int w = 0;
        for (int b = 0; b < 2; b++)
            for (int64_t j = start; j < start + sizes[k]; j++)
                for (int c = 0; c < 2; c++) want[w++] = (b * 6 + j) * 2 + c;
        ot_expect_f32(ys[k], want, w, 0);
        start += sizes[k];
    }
    ot_destroy(n, ys);
    obn_tensor_destroy(in);
}

static tb_model *split_model(int version, int n_out, const int64_t *split, int n_split, bool as_input)
{
    const int64_t xd[3] = {2, 6, 2};
    static const char *const outs[4] = {"y0", "y0,y1", "y0,y1,y2", "y0,y1,y2,y3"};
    tb_model *m = tb_new(version);
    tb_input(m, "x", OBN_FLOAT, 3, xd);
    if (as_input) {
        int64_t sd[1] = {n_split};
        tb_init_i64(m, "split", 1, sd, split);
    }
    Onnx__NodeProto *n = tb_node(m, "Split", "sp", as_input ? "x,split" : "x", outs[n_out - 1]);
    tb_attr_int(m, n, "axis", version >= 11 ? -2 : 1);
    if (split && !as_input) tb_attr_ints(m, n, "split", (size_t)n_split, split);
    char name[4] = "y0";
    for (int k = 0; k < n_out; k++) {
        name[1] = (char)('0' + k);
        tb_output(m, name, OBN_FLOAT, -1, NULL);
    }
    return m;
}

START_TEST(split_forms)
{
    const int64_t parts[3] = {1, 3, 2}, equal[3] = {2, 2, 2};
    const int versions[4] = {1, 2, 11, 13};
    for (int v = 0; v < 4; v++) {
        bool as_input = versions[v] == 13 || versions[v] == 1;
        tb_model *m = split_model(versions[v], 3, parts, 3, as_input);
        check_split(m, parts, 3);
        tb_free(m);
        m = split_model(versions[v], 3, NULL, 0, false);
        check_split(m, equal, 3);
        tb_free(m);
    }
    /* errors: sizes that do not add up, uneven equal split, count mismatch */
    const int64_t bad[3] = {1, 1, 1};
    tb_model *m = split_model(13, 3, bad, 3, true);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"sp\"", "add up to 3", "size 6");
    tb_free(m);
    m = split_model(13, 4, NULL, 0, false);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "4 equal parts");
    tb_free(m);
    m = split_model(11, 2, parts, 3, false);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "3 values for 2 outputs");
    tb_free(m);
    m = split_model(13, 3, parts, 3, false);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'split' is not part of Split-13");
    tb_free(m);
}
END_TEST

/* Split-18: num_outputs parts of ceil(dim / n), the last one the rest (7
 * into 4 -> 2,2,2,1 is the spec's example; 6 into 4 leaves an empty last
 * part); the split input still works; exactly one of the two is needed. */
START_TEST(split_num_outputs_18)
{
    static const int64_t want_sizes[3][4] = {{2, 2, 2, 0}, {3, 3, 0, 0}, {6, 0, 0, 0}};
    const int counts[3] = {4, 2, 1};
    for (int c = 0; c < 3; c++) {
        tb_model *m = split_model(18, counts[c], NULL, 0, false);
        tb_attr_int(m, tb_proto(m)->graph->node[0], "num_outputs", counts[c]);
        check_split(m, want_sizes[c], counts[c]);
        tb_free(m);
    }
    const int64_t parts[3] = {1, 3, 2};
    tb_model *m = split_model(18, 3, parts, 3, true);
    check_split(m, parts, 3);
    tb_free(m);
    /* 7 along axis 0 into 4 */
    const int64_t xd[1] = {7};
    const float x[7] = {0, 1, 2, 3, 4, 5, 6};
    static const char *const names[5] = {"y0", "y1", "y2", "y3", "y4"};
    m = tb_new(18);
    tb_input(m, "x", OBN_FLOAT, 1, xd);
    tb_attr_int(m, tb_node(m, "Split", "sp", "x", "y0,y1,y2,y3"), "num_outputs", 4);
    for (int k = 0; k < 4; k++) tb_output(m, names[k], OBN_FLOAT, -1, NULL);
    obn_tensor *in = ot_tensor(OBN_FLOAT, 1, xd, x), *ys[4];
    OT_RUN_OK(m, 1, &in, 4, ys);
    for (int k = 0; k < 4; k++) {
        const double want[2] = {2.0 * k, 2.0 * k + 1};
        const int64_t od[1] = {k < 3 ? 2 : 1};
        ot_expect_shape(ys[k], 1, od);
        ot_expect_f32(ys[k], want, od[0], 0);
    }
    ot_destroy(4, ys);
    obn_tensor_destroy(in);
    tb_free(m);
    /* 6 into 5: parts of 2 leave nothing for the last; neither or both of split/num_outputs; a count mismatch */
    m = tb_new(18);
    const int64_t xd6[3] = {2, 6, 2};
    tb_input(m, "x", OBN_FLOAT, 3, xd6);
    Onnx__NodeProto *n = tb_node(m, "Split", "sp", "x", "y0,y1,y2,y3,y4");
    tb_attr_int(m, n, "axis", 1);
    tb_attr_int(m, n, "num_outputs", 5);
    for (int k = 0; k < 5; k++) tb_output(m, names[k], OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"sp\"", "size 6 cannot be split into 5 parts of 2");
    tb_free(m);
    m = split_model(18, 3, NULL, 0, false);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "Split-18 needs exactly one of input 'split' and attribute 'num_outputs'");
    tb_free(m);
    m = split_model(18, 3, parts, 3, true);
    tb_attr_int(m, tb_proto(m)->graph->node[0], "num_outputs", 3);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "needs exactly one of");
    tb_free(m);
    m = split_model(18, 3, NULL, 0, false);
    tb_attr_int(m, tb_proto(m)->graph->node[0], "num_outputs", 2);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'num_outputs' is 2, but the node has 3 outputs");
    tb_free(m);
    m = split_model(13, 3, NULL, 0, false);
    tb_attr_int(m, tb_proto(m)->graph->node[0], "num_outputs", 3);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'num_outputs' is not part of Split-13");
    tb_free(m);
}
END_TEST

/* Reference slice along one axis of size n (the spec's clamping, which for
 * negative steps clamps start to [0, n-1], unlike numpy). */
static int slice_ref(int64_t n, int64_t start, int64_t end, int64_t step, int64_t *idx)
{
    if (start < 0) start += n;
    if (end < 0) end += n;
    if (step > 0) {
        start = start < 0 ? 0 : start > n ? n : start;
        end = end < 0 ? 0 : end > n ? n : end;
    } else {
        start = start < 0 ? 0 : start > n - 1 ? n - 1 : start;
        end = end < -1 ? -1 : end > n - 1 ? n - 1 : end;
    }
    int k = 0;
    for (int64_t i = start; step > 0 ? i < end : i > end; i += step) idx[k++] = i;
    return k;
}

START_TEST(slice_cases)
{
    obn_dtype dt = types[_i];
    const int64_t xd[3] = {4, 5, 6};
    void *x = iota(dt, 120);
    static const struct {
        int n;
        int64_t starts[3], ends[3], axes[3], steps[3];
        int has_axes, has_steps;
    } cases[] = {
        {1, {1}, {3}, {0}, {1}, 0, 0},
        {2, {0, 2}, {-1, 100}, {2, 1}, {2, 1}, 1, 1},
        {1, {-1}, {-100}, {1}, {-1}, 1, 1},                        /* full reverse */
        {3, {3, 4, 5}, {0, 0, 0}, {0, 1, 2}, {-2, -3, -1}, 1, 1},  /* negative steps */
        {1, {INT64_MAX}, {INT64_MIN}, {-1}, {-2}, 1, 1},           /* extreme values clamp */
        {1, {10}, {20}, {0}, {1}, 1, 0},                           /* empty result */
        {1, {-100}, {-200}, {2}, {-1}, 1, 1},                      /* start clamps to 0: one element */
        {1, {-1}, {INT64_MIN}, {0}, {INT64_MIN}, 1, 1},            /* most negative step: one element */
        {2, {-3, 1}, {INT64_MAX, 4}, {-1, -2}, {2, 2}, 1, 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int n = cases[c].n;
        int64_t nd[1] = {n};
        tb_model *m = tb_new(13);
        tb_input(m, "x", dt, 3, xd);
        tb_init_i64(m, "starts", 1, nd, cases[c].starts);
        tb_init_i64(m, "ends", 1, nd, cases[c].ends);
        tb_init_i64(m, "axes", 1, nd, cases[c].axes);
        tb_init_i64(m, "steps", 1, nd, cases[c].steps);
        tb_node(m, "Slice", "sl", cases[c].has_steps ? "x,starts,ends,axes,steps" : cases[c].has_axes ? "x,starts,ends,axes" : "x,starts,ends", "y");
        tb_output(m, "y", dt, -1, NULL);
        obn_tensor *in = ot_tensor(dt, 3, xd, x), *y;
        OT_RUN_OK(m, 1, &in, 1, &y);
        int64_t idx[3][200], len[3];
        for (int d = 0; d < 3; d++) len[d] = slice_ref(xd[d], 0, xd[d], 1, idx[d]);
        for (int k = 0; k < n; k++) {
            int64_t ax = cases[c].has_axes ? (cases[c].axes[k] + 3) % 3 : k;
            len[ax] = slice_ref(xd[ax], cases[c].starts[k], cases[c].ends[k], cases[c].has_steps ? cases[c].steps[k] : 1,
                                idx[ax]);
        }
        ot_expect_shape(y, 3, len);
        int64_t total = len[0] * len[1] * len[2], *src = malloc((size_t)(total + 1) * sizeof *src), t = 0;
        for (int64_t i = 0; i < len[0]; i++)
            for (int64_t j = 0; j < len[1]; j++)
                for (int64_t k = 0; k < len[2]; k++) src[t++] = (idx[0][i] * 5 + idx[1][j]) * 6 + idx[2][k];
        expect_gathered(y, dt, x, src, total, NULL);
        free(src);
        obn_tensor_destroy(in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    free(x);
}
END_TEST

START_TEST(slice_v1_and_errors)
{
    const int64_t xd[2] = {4, 5}, st[2] = {1, -3}, en[2] = {3, 100}, od[2] = {2, 3};
    float x[20];
    for (int i = 0; i < 20; i++) x[i] = (float)i;
    tb_model *m = tb_new(1);
    tb_input(m, "x", OBN_FLOAT, 2, xd);
    Onnx__NodeProto *n = tb_node(m, "Slice", "sl", "x", "y");
    tb_attr_ints(m, n, "starts", 2, st);
    tb_attr_ints(m, n, "ends", 2, en);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    obn_tensor *in = ot_tensor(OBN_FLOAT, 2, xd, x), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    ot_expect_shape(y, 2, od);
    const double want[6] = {7, 8, 9, 12, 13, 14};
    ot_expect_f32(y, want, 6, 0);
    obn_tensor_destroy(y);
    tb_free(m);
    /* zero step; starts/ends length mismatch; repeated axis */
    const int64_t one[1] = {1}, two[1] = {2}, z = 0, s2[2] = {0, 0}, ax2[2] = {1, -1};
    m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 2, xd);
    tb_init_i64(m, "s", 1, one, &z);
    tb_init_i64(m, "e", 1, one, &en[0]);
    tb_init_i64(m, "a", 1, one, &z);
    tb_init_i64(m, "p", 1, one, &z);
    tb_node(m, "Slice", "sl", "x,s,e,a,p", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"sl\"", "'steps' value for axis 0 is 0");
    tb_free(m);
    m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 2, xd);
    tb_init_i64(m, "s", 1, two, s2);
    tb_init_i64(m, "e", 1, one, &en[0]);
    tb_node(m, "Slice", "sl", "x,s,e", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'starts' has 2 values but 'ends' has 1");
    tb_free(m);
    m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 2, xd);
    tb_init_i64(m, "s", 1, two, s2);
    tb_init_i64(m, "e", 1, two, en);
    tb_init_i64(m, "a", 1, two, ax2);
    tb_node(m, "Slice", "sl", "x,s,e,a", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "given twice");
    tb_free(m);
    obn_tensor_destroy(in);
}
END_TEST

START_TEST(gather_axes_and_negative_indices)
{
    obn_dtype dt = types[_i];
    const int64_t xd[3] = {3, 4, 5}, idd[2] = {2, 2};
    const int64_t idx[4] = {0, -1, 2, -3};
    void *x = iota(dt, 60);
    for (int axis = -3; axis < 3; axis++) {
        int ax = (axis + 3) % 3;
        tb_model *m = tb_new(13);
        tb_input(m, "x", dt, 3, xd);
        tb_init_i64(m, "i", 2, idd, idx);
        tb_attr_int(m, tb_node(m, "Gather", "g", "x,i", "y"), "axis", axis);
        tb_output(m, "y", dt, -1, NULL);
        obn_tensor *in = ot_tensor(dt, 3, xd, x), *y;
        OT_RUN_OK(m, 1, &in, 1, &y);
        int64_t od[4], r = 0;
        for (int d = 0; d < ax; d++) od[r++] = xd[d];
        od[r++] = 2;
        od[r++] = 2;
        for (int d = ax + 1; d < 3; d++) od[r++] = xd[d];
        ot_expect_shape(y, 4, od);
        int64_t src[240], t = 0;
        int64_t outer = ot_numel(ax, xd), inner = ot_numel(2 - ax, xd + ax + 1);
        for (int64_t o = 0; o < outer; o++)
            for (int j = 0; j < 4; j++) {
                int64_t i = idx[j] < 0 ? idx[j] + xd[ax] : idx[j];
                for (int64_t q = 0; q < inner; q++) src[t++] = (o * xd[ax] + i) * inner + q;
            }
        expect_gathered(y, dt, x, src, t, NULL);
        obn_tensor_destroy(in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    free(x);
}
END_TEST

START_TEST(gather_errors)
{
    /* out-of-range index from an initializer: found at plan time (folded),
     * from a graph input: at run time */
    const int64_t xd[2] = {3, 2}, one[1] = {1}, bad = 3;
    const float x[6] = {0};
    tb_model *m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 2, xd);
    tb_input(m, "i", OBN_INT64, 1, one);
    tb_node(m, "Gather", "g", "x,i", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    obn_tensor *ins[2] = {ot_tensor(OBN_FLOAT, 2, xd, x), ot_tensor(OBN_INT64, 1, one, &bad)}, *y;
    ck_assert_int_eq(ot_run(m, 2, ins, 1, &y), OBN_E_RUNTIME);
    ot_expect_message("\"g\"", "index 3", "axis 0 of size 3", (const char *)NULL);
    ot_destroy(2, ins);
    tb_free(m);
    m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 2, xd);
    const float fi = 0;
    tb_add_init(m, tb_tensor(m, "i", OBN_FLOAT, 1, one, &fi, 4));
    tb_node(m, "Gather", "g", "x,i", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "'indices'", "float");
    tb_free(m);
}
END_TEST

START_TEST(pad_modes)
{
    const int64_t xd[2] = {3, 4};
    const char *modes[4] = {"constant", "reflect", "edge", "wrap"};
    const int versions[3] = {2, 13, 19};
    float x[12];
    for (int i = 0; i < 12; i++) x[i] = (float)(i + 1);
    static const int64_t pad_sets[][4] = {{1, 2, 2, 1}, {0, 0, 0, 0}, {-1, 1, 0, -2}, {2, 5, 4, 3}, {7, 0, 0, 9}};
    for (int md = 0; md < 4; md++)
        for (int ps = 0; ps < 5; ps++) {
            for (int vi = md == 3 ? 2 : 0; vi < 3; vi++) { /* wrap is Pad-19's */
                int version = versions[vi];
                const int64_t *pads = pad_sets[ps];
                tb_model *m = tb_new(version);
                tb_input(m, "x", OBN_FLOAT, 2, xd);
                Onnx__NodeProto *n;
                if (version >= 11) {
                    const int64_t four[1] = {4};
                    float cv = 9.5f;
                    tb_init_i64(m, "pads", 1, four, pads);
                    tb_add_init(m, tb_tensor(m, "cv", OBN_FLOAT, 0, NULL, &cv, 4));
                    n = tb_node(m, "Pad", "pad", "x,pads,cv", "y");
                } else {
                    n = tb_node(m, "Pad", "pad", "x", "y");
                    tb_attr_ints(m, n, "pads", 4, pads);
                    tb_attr_float(m, n, "value", 9.5f);
                }
                tb_attr_string(m, n, "mode", modes[md]);
                tb_output(m, "y", OBN_FLOAT, -1, NULL);
                obn_tensor *in = ot_tensor(OBN_FLOAT, 2, xd, x), *y;
                OT_RUN_OK(m, 1, &in, 1, &y);
                int64_t od[2] = {3 + pads[0] + pads[2], 4 + pads[1] + pads[3]};
                ot_expect_shape(y, 2, od);
                double want[200];
                for (int64_t i = 0; i < od[0]; i++)
                    for (int64_t j = 0; j < od[1]; j++) {
                        int64_t si = i - pads[0], sj = j - pads[1];
                        int64_t ns[2] = {3, 4}, *c[2] = {&si, &sj};
                        bool outside = false;
                        for (int a = 0; a < 2; a++) {
                            int64_t v = *c[a], n1 = ns[a];
                            if (v >= 0 && v < n1) continue;
                            if (md == 0) outside = true;
                            else if (md == 2) *c[a] = v < 0 ? 0 : n1 - 1;
                            else if (md == 3) *c[a] = (v % n1 + n1) % n1; /* wrap: around a circle */
                            else { /* reflect: bounce between the ends */
                                while (v < 0 || v >= n1) v = v < 0 ? -v : 2 * (n1 - 1) - v;
                                *c[a] = v;
                            }
                        }
                        want[i * od[1] + j] = outside ? 9.5 : x[si * 4 + sj];
                    }
                ot_expect_f32(y, want, od[0] * od[1], 0);
                obn_tensor_destroy(in);
                obn_tensor_destroy(y);
                tb_free(m);
            }
        }
}
END_TEST

/* Pad-18's axes input: pads [b0, b1, e0, e1] for axes [a0, a1] in that
 * order, the other axes unpadded; negative axes count from the end. */
START_TEST(pad_axes_input)
{
    const int64_t xd[3] = {2, 3, 4}, two[1] = {2}, four[1] = {4};
    float x[24];
    for (int i = 0; i < 24; i++) x[i] = (float)i;
    static const int64_t axes_sets[2][2] = {{2, 0}, {-1, -3}};
    const int64_t pads[4] = {1, 0, 2, 1}; /* axis 2: 1 before, 2 after; axis 0: 0 before, 1 after */
    for (int s = 0; s < 2; s++) {
        tb_model *m = tb_new(18);
        tb_input(m, "x", OBN_FLOAT, 3, xd);
        tb_init_i64(m, "pads", 1, four, pads);
        tb_init_i64(m, "axes", 1, two, axes_sets[s]);
        tb_attr_string(m, tb_node(m, "Pad", "pad", "x,pads,,axes", "y"), "mode", "edge");
        tb_output(m, "y", OBN_FLOAT, -1, NULL);
        obn_tensor *in = ot_tensor(OBN_FLOAT, 3, xd, x), *y;
        OT_RUN_OK(m, 1, &in, 1, &y);
        const int64_t od[3] = {3, 3, 7};
        ot_expect_shape(y, 3, od);
        double want[63];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 7; k++) {
                    int si = i > 1 ? 1 : i, sk = k - 1 < 0 ? 0 : k - 1 > 3 ? 3 : k - 1;
                    want[(i * 3 + j) * 7 + k] = x[(si * 3 + j) * 4 + sk];
                }
        ot_expect_f32(y, want, 63, 0);
        obn_tensor_destroy(in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    /* pads must have 2 * len(axes) values; a repeated axis is refused */
    const int64_t one[1] = {1}, ax1[1] = {1}, rep[2] = {1, -2};
    tb_model *m = tb_new(18);
    tb_input(m, "x", OBN_FLOAT, 3, xd);
    tb_init_i64(m, "pads", 1, four, pads);
    tb_init_i64(m, "axes", 1, one, ax1);
    tb_node(m, "Pad", "pad", "x,pads,,axes", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"pad\"", "pads has 4 values", "names 1 axes");
    tb_free(m);
    m = tb_new(18);
    tb_input(m, "x", OBN_FLOAT, 3, xd);
    tb_init_i64(m, "pads", 1, four, pads);
    tb_init_i64(m, "axes", 1, two, rep);
    tb_node(m, "Pad", "pad", "x,pads,,axes", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"pad\"", "'axes'");
    tb_free(m);
}
END_TEST

START_TEST(pad_types_and_errors)
{
    /* int64 with an omitted constant: zeros */
    const int64_t xd[1] = {3}, x[3] = {4, 5, 6}, pads[2] = {1, 2}, two[1] = {2}, want[6] = {0, 4, 5, 6, 0, 0};
    tb_model *m = tb_new(11);
    tb_input(m, "x", OBN_INT64, 1, xd);
    tb_init_i64(m, "pads", 1, two, pads);
    tb_node(m, "Pad", "pad", "x,pads", "y");
    tb_output(m, "y", OBN_INT64, -1, NULL);
    obn_tensor *in = ot_tensor(OBN_INT64, 1, xd, x), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    ot_expect_i64(y, want, 6);
    obn_tensor_destroy(in);
    obn_tensor_destroy(y);
    tb_free(m);
    /* wrong pads count; cropping past the size; unknown mode */
    const int64_t three[1] = {3}, p3[3] = {1, 1, 1}, crop[2] = {-2, -2};
    m = tb_new(13);
    tb_input(m, "x", OBN_INT64, 1, xd);
    tb_init_i64(m, "pads", 1, three, p3);
    tb_node(m, "Pad", "pad", "x,pads", "y");
    tb_output(m, "y", OBN_INT64, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"pad\"", "pads has 3 values", "rank 1 needs 2");
    tb_free(m);
    m = tb_new(13);
    tb_input(m, "x", OBN_INT64, 1, xd);
    tb_init_i64(m, "pads", 1, two, crop);
    tb_node(m, "Pad", "pad", "x,pads", "y");
    tb_output(m, "y", OBN_INT64, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "pads -2/-2 are invalid");
    tb_free(m);
    const int64_t hostile[2] = {INT64_MIN, INT64_MIN};
    m = tb_new(13);
    tb_input(m, "x", OBN_INT64, 1, xd);
    tb_init_i64(m, "pads", 1, two, hostile);
    tb_node(m, "Pad", "pad", "x,pads", "y");
    tb_output(m, "y", OBN_INT64, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "are invalid for axis 0");
    tb_free(m);
    m = tb_new(13);
    tb_input(m, "x", OBN_INT64, 1, xd);
    tb_init_i64(m, "pads", 1, two, pads);
    tb_attr_string(m, tb_node(m, "Pad", "pad", "x,pads", "y"), "mode", "wrap");
    tb_output(m, "y", OBN_INT64, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'mode' is 'wrap'");
    tb_free(m);
}
END_TEST

START_TEST(expand_and_tile)
{
    obn_dtype dt = types[_i];
    const int64_t xd[3] = {3, 1, 2}, shape[4] = {2, 1, 4, 1}, sd[1] = {4}, od[4] = {2, 3, 4, 2};
    void *x = iota(dt, 6);
    tb_model *m = tb_new(13);
    tb_input(m, "x", dt, 3, xd);
    tb_init_i64(m, "shape", 1, sd, shape);
    tb_node(m, "Expand", "ex", "x,shape", "y");
    tb_output(m, "y", dt, -1, NULL);
    obn_tensor *in = ot_tensor(dt, 3, xd, x), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    ot_expect_shape(y, 4, od);
    int64_t src[48];
    for (int i = 0; i < 48; i++) {
        int c1 = (i / 8) % 3, c3 = i % 2;
        src[i] = c1 * 2 + c3;
    }
    expect_gathered(y, dt, x, src, 48, NULL);
    obn_tensor_destroy(y);
    tb_free(m);
    /* Tile [3,1,2] by [2,3,1] -> [6,3,2] */
    const int64_t reps[3] = {2, 3, 1}, rd[1] = {3}, td[3] = {6, 3, 2};
    m = tb_new(13);
    tb_input(m, "x", dt, 3, xd);
    tb_init_i64(m, "r", 1, rd, reps);
    tb_node(m, "Tile", "tile", "x,r", "y");
    tb_output(m, "y", dt, -1, NULL);
    OT_RUN_OK(m, 1, &in, 1, &y);
    ot_expect_shape(y, 3, td);
    int64_t tsrc[36];
    for (int i = 0; i < 36; i++) tsrc[i] = ((i / 6) % 3) * 2 + i % 2;
    expect_gathered(y, dt, x, tsrc, 36, NULL);
    obn_tensor_destroy(y);
    tb_free(m);
    obn_tensor_destroy(in);
    free(x);
}
END_TEST

START_TEST(expand_tile_errors)
{
    const int64_t xd[2] = {3, 2}, shape[2] = {4, 2}, sd[1] = {2}, reps[1] = {2}, rd[1] = {1};
    tb_model *m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 2, xd);
    tb_init_i64(m, "shape", 1, sd, shape);
    tb_node(m, "Expand", "ex", "x,shape", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"ex\"", "[3,2]", "cannot be expanded to shape [4,2]");
    tb_free(m);
    m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 2, xd);
    tb_init_i64(m, "r", 1, rd, reps);
    tb_node(m, "Tile", "tile", "x,r", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'repeats' has 1 values", "rank 2");
    tb_free(m);
    /* a repeat count whose product overflows */
    const int64_t huge[2] = {INT64_MAX / 2, 3};
    m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 2, xd);
    tb_init_i64(m, "r", 1, sd, huge);
    tb_node(m, "Tile", "tile", "x,r", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    ck_assert_int_eq(ot_create_status(m), OBN_E_INVALID_MODEL);
    tb_free(m);
}
END_TEST

START_TEST(scatter_nd_forms)
{
    /* data [4,3]; rows -1 and 1 replaced (k=1), then single elements (k=2) added */
    const int64_t xd[2] = {4, 3}, i1d[2] = {2, 1}, u1d[2] = {2, 3}, rows[2] = {-1, 1};
    float x[12], u1[6] = {10, 11, 12, 20, 21, 22};
    for (int i = 0; i < 12; i++) x[i] = (float)i;
    tb_model *m = tb_new(16);
    tb_input(m, "x", OBN_FLOAT, 2, xd);
    tb_init_i64(m, "i", 2, i1d, rows);
    tb_init_f32(m, "u", 2, u1d, u1);
    tb_node(m, "ScatterND", "sc", "x,i,u", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    obn_tensor *in = ot_tensor(OBN_FLOAT, 2, xd, x), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    const double w1[12] = {0, 1, 2, 20, 21, 22, 6, 7, 8, 10, 11, 12};
    ot_expect_f32(y, w1, 12, 0);
    obn_tensor_destroy(y);
    tb_free(m);
    const int64_t i2d[2] = {3, 2}, u2d[1] = {3}, cells[6] = {0, 0, 3, 2, 0, 0};
    const float u2[3] = {100, 200, 1000};
    m = tb_new(16);
    tb_input(m, "x", OBN_FLOAT, 2, xd);
    tb_init_i64(m, "i", 2, i2d, cells);
    tb_init_f32(m, "u", 1, u2d, u2);
    tb_attr_string(m, tb_node(m, "ScatterND", "sc", "x,i,u", "y"), "reduction", "add");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_RUN_OK(m, 1, &in, 1, &y);
    const double w2[12] = {1100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 211};
    ot_expect_f32(y, w2, 12, 0);
    obn_tensor_destroy(y);
    tb_free(m);
    /* errors: updates of the wrong shape; an index out of range (run time) */
    m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 2, xd);
    tb_init_i64(m, "i", 2, i1d, rows);
    tb_init_f32(m, "u", 1, u2d, u2);
    tb_node(m, "ScatterND", "sc", "x,i,u", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"sc\"", "'updates' has shape [3]", "data.shape[1:]");
    tb_free(m);
    const int64_t far[2] = {4, 0};
    m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 2, xd);
    tb_input(m, "i", OBN_INT64, 2, i1d);
    tb_init_f32(m, "u", 2, u1d, u1);
    tb_node(m, "ScatterND", "sc", "x,i,u", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    obn_tensor *ins[2] = {in, ot_tensor(OBN_INT64, 2, i1d, far)};
    ck_assert_int_eq(ot_run(m, 2, ins, 1, &y), OBN_E_RUNTIME);
    ot_expect_message("index 4", "axis 0 of size 4", (const char *)NULL);
    obn_tensor_destroy(ins[1]);
    tb_free(m);
    obn_tensor_destroy(in);
}
END_TEST

/* ScatterND-18's max and min, applied in index order (a repeated index
 * combines with the earlier result): float with NaN propagating, signed
 * int32; refused before 18. */
START_TEST(scatter_nd_max_min_18)
{
    const int64_t xd[1] = {3}, id[2] = {4, 1}, ud[1] = {4}, idx[4] = {0, 2, 0, 1};
    const float x[3] = {1, 5, 11}, u[4] = {100, -5, 50, NAN};
    const int32_t xi[3] = {-3, 5, 0}, ui[4] = {-7, 9, -1, 4};
    static const double want_f[2][3] = {{100, NAN, 11}, {1, NAN, -5}};
    static const int32_t want_i[2][3] = {{-1, 5, 9}, {-7, 4, 0}};
    const char *red[2] = {"max", "min"};
    for (int r = 0; r < 2; r++) {
        for (int integer = 0; integer < 2; integer++) {
            obn_dtype dt = integer ? OBN_INT32 : OBN_FLOAT;
            tb_model *m = tb_new(18);
            tb_input(m, "x", dt, 1, xd);
            tb_init_i64(m, "i", 2, id, idx);
            tb_add_init(m, tb_tensor(m, "u", dt, 1, ud, integer ? (const void *)ui : (const void *)u, 16));
            tb_attr_string(m, tb_node(m, "ScatterND", "sc", "x,i,u", "y"), "reduction", red[r]);
            tb_output(m, "y", dt, -1, NULL);
            obn_tensor *in = ot_tensor(dt, 1, xd, integer ? (const void *)xi : (const void *)x), *y;
            OT_RUN_OK(m, 1, &in, 1, &y);
            if (integer) ot_expect_bytes(y, OBN_INT32, want_i[r], 3);
            else ot_expect_f32(y, want_f[r], 3, 0);
            obn_tensor_destroy(in);
            obn_tensor_destroy(y);
            tb_free(m);
        }
    }
    tb_model *m = tb_new(16);
    tb_input(m, "x", OBN_FLOAT, 1, xd);
    tb_init_i64(m, "i", 2, id, idx);
    tb_init_f32(m, "u", 1, ud, u);
    tb_attr_string(m, tb_node(m, "ScatterND", "sc", "x,i,u", "y"), "reduction", "max");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"sc\"", "'reduction' is 'max'", "ScatterND-18");
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("data_movement");
    TCase *t = tcase_create("data_movement");
    int nt = (int)(sizeof types / sizeof types[0]);
    tcase_add_loop_test(t, concat_any_axis_and_type, 0, nt);
    tcase_add_test(t, concat_errors);
    tcase_add_test(t, split_forms);
    tcase_add_test(t, split_num_outputs_18);
    tcase_add_loop_test(t, slice_cases, 0, nt);
    tcase_add_test(t, slice_v1_and_errors);
    tcase_add_loop_test(t, gather_axes_and_negative_indices, 0, nt);
    tcase_add_test(t, gather_errors);
    tcase_add_test(t, pad_modes);
    tcase_add_test(t, pad_axes_input);
    tcase_add_test(t, pad_types_and_errors);
    tcase_add_loop_test(t, expand_and_tile, 0, nt);
    tcase_add_test(t, expand_tile_errors);
    tcase_add_test(t, scatter_nd_forms);
    tcase_add_test(t, scatter_nd_max_min_18);
    suite_add_tcase(s, t);
    return ot_main(s);
}
