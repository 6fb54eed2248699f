/* Indexing ops: GatherElements, ScatterElements/Scatter, GatherND, OneHot,
 * EyeLike, DepthToSpace/SpaceToDepth, against references computed here by
 * coordinates from the spec's formulas (exact: these ops move values; the
 * add/mul reductions are on small integers and floats that add exactly),
 * plus the spec's examples and the errors. */
#include "kernels/half.h"
#include "op_testing.h"

static float *iota_f32(int64_t n)
{
    float *p = malloc((size_t)n * sizeof *p);
    for (int64_t i = 0; i < n; i++) p[i] = (float)i;
    return p;
}

/* Offsets of a row-major [d0, d1, d2] array. */
static int64_t at3(const int64_t *d, int64_t i, int64_t j, int64_t k) { return (i * d[1] + j) * d[2] + k; }

START_TEST(gather_scatter_elements_every_axis)
{
    const int64_t dd[3] = {3, 4, 5};
    float *x = iota_f32(60);
    for (int axis = -3; axis < 3; axis++) {
        int ax = axis < 0 ? axis + 3 : axis;
        int64_t id[3] = {2, 3, 4};
        id[ax] = 6; /* the indexed axis may be longer than data's */
        int64_t n = ot_numel(3, id);
        int64_t *idx = malloc((size_t)n * sizeof *idx);
        float *upd = malloc((size_t)n * sizeof *upd);
        for (int64_t e = 0; e < n; e++) {
            idx[e] = (e * 7 + 3) % (2 * dd[ax]) - dd[ax]; /* covers [-s, s) */
            upd[e] = (float)(1000 + e);
        }
        for (int op = 0; op < 3; op++) { /* GatherElements, ScatterElements, Scatter */
            const char *name = op == 0 ? "GatherElements" : op == 1 ? "ScatterElements" : "Scatter";
            tb_model *m = tb_new(op == 2 ? 9 : 13);
            tb_input(m, "x", OBN_FLOAT, 3, dd);
            tb_init_i64(m, "i", 3, id, idx);
            tb_init_f32(m, "u", 3, id, upd);
            tb_attr_int(m, tb_node(m, name, "n", op ? "x,i,u" : "x,i", "y"), "axis", axis);
            tb_output(m, "y", OBN_FLOAT, -1, NULL);
            obn_tensor *in = ot_tensor(OBN_FLOAT, 3, dd, x), *y;
            OT_RUN_OK(m, 1, &in, 1, &y);
            double *want = malloc((size_t)(n > 60 ? n : 60) * sizeof *want);
            for (int e = 0; e < 60; e++) want[e] = x[e];
            for (int64_t a = 0; a < id[0]; a++)
                for (int64_t b = 0; b < id[1]; b++)
                    for (int64_t c = 0; c < id[2]; c++) {
                        int64_t e = at3(id, a, b, c), v = idx[e] < 0 ? idx[e] + dd[ax] : idx[e];
                        int64_t co[3] = {a, b, c};
                        co[ax] = v;
                        int64_t src = at3(dd, co[0], co[1], co[2]);
                        if (op == 0) want[e] = x[src];
                        else want[src] = upd[e]; /* index order: the last duplicate wins */
                    }
            ot_expect_f32(y, want, op ? 60 : n, 0);
            free(want);
            obn_tensor_destroy(in);
            obn_tensor_destroy(y);
            tb_free(m);
        }
        free(idx);
        free(upd);
    }
    free(x);
}
END_TEST

/* ScatterElements-16 reductions, the spec's examples, an int8 gather. */
START_TEST(scatter_elements_reductions_and_examples)
{
    const int64_t d15[2] = {1, 5}, d12[2] = {1, 2};
    const float data[5] = {1, 2, 3, 4, 5}, upd[2] = {1.5f, 2.5f};
    const int64_t idx[2] = {1, 1};
    const char *reds[5] = {"none", "add", "mul", "max", "min"};
    const double want[5][5] = {{1, 2.5, 3, 4, 5}, {1, 6, 3, 4, 5}, {1, 7.5, 3, 4, 5}, {1, 2.5, 3, 4, 5}, {1, 1.5, 3, 4, 5}};
    for (int r = 0; r < 5; r++) {
        tb_model *m = tb_new(r < 3 ? 16 : 18);
        tb_input(m, "x", OBN_FLOAT, 2, d15);
        tb_init_i64(m, "i", 2, d12, idx);
        tb_init_f32(m, "u", 2, d12, upd);
        Onnx__NodeProto *n = tb_node(m, "ScatterElements", "s", "x,i,u", "y");
        tb_attr_int(m, n, "axis", 1);
        tb_attr_string(m, n, "reduction", reds[r]);
        tb_output(m, "y", OBN_FLOAT, -1, NULL);
        obn_tensor *in = ot_tensor(OBN_FLOAT, 2, d15, data), *y;
        OT_RUN_OK(m, 1, &in, 1, &y);
        ot_expect_f32(y, want[r], 5, 0);
        obn_tensor_destroy(in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    /* max/min on int64: signed comparison, NaN-free */
    const int64_t ix[5] = {-5, 2, 3, INT64_MIN, 5}, iu[2] = {-7, 9}, ii[2] = {0, 3};
    for (int r = 3; r < 5; r++) {
        tb_model *m = tb_new(18);
        tb_input(m, "x", OBN_INT64, 2, d15);
        tb_init_i64(m, "i", 2, d12, ii);
        tb_init_i64(m, "u", 2, d12, iu);
        Onnx__NodeProto *n = tb_node(m, "ScatterElements", "s", "x,i,u", "y");
        tb_attr_int(m, n, "axis", 1);
        tb_attr_string(m, n, "reduction", reds[r]);
        tb_output(m, "y", OBN_INT64, -1, NULL);
        obn_tensor *in = ot_tensor(OBN_INT64, 2, d15, ix), *y;
        OT_RUN_OK(m, 1, &in, 1, &y);
        const int64_t wmax[5] = {-5, 2, 3, 9, 5}, wmin[5] = {-7, 2, 3, INT64_MIN, 5};
        ot_expect_i64(y, r == 3 ? wmax : wmin, 5);
        obn_tensor_destroy(in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    /* GatherElements example 2 of the spec, on int8 with int32 indices */
    const int64_t d33[2] = {3, 3}, d23[2] = {2, 3};
    const int8_t gx[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, gw[6] = {4, 8, 3, 7, 2, 3};
    const int32_t gi[6] = {1, 2, 0, 2, 0, 0};
    tb_model *m = tb_new(13);
    tb_input(m, "x", OBN_INT8, 2, d33);
    tb_add_init(m, tb_tensor(m, "i", OBN_INT32, 2, d23, gi, sizeof gi));
    tb_node(m, "GatherElements", "g", "x,i", "y");
    tb_output(m, "y", OBN_INT8, -1, NULL);
    obn_tensor *in = ot_tensor(OBN_INT8, 2, d33, gx), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    ot_expect_bytes(y, OBN_INT8, gw, 6);
    obn_tensor_destroy(in);
    obn_tensor_destroy(y);
    tb_free(m);
}
END_TEST

START_TEST(elements_errors)
{
    const int64_t d22[2] = {2, 2}, d32[2] = {3, 2}, d12[2] = {1, 2}, idx[2] = {0, 2};
    const float u[2] = {1, 2};
    /* indices larger than data on a non-indexed axis */
    tb_model *m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 2, d22);
    tb_input(m, "i", OBN_INT64, 2, d32);
    tb_node(m, "GatherElements", "g", "x,i", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    tb_attr_int(m, tb_proto(m)->graph->node[0], "axis", 1);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"g\"", "'indices' [3,2] does not fit 'data' [2,2]");
    tb_free(m);
    /* an index out of range, known only when running */
    m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 2, d22);
    tb_input(m, "i", OBN_INT64, 2, d12);
    tb_init_f32(m, "u", 2, d12, u);
    tb_node(m, "ScatterElements", "s", "x,i,u", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    const float x[4] = {0};
    obn_tensor *ins[2] = {ot_tensor(OBN_FLOAT, 2, d22, x), ot_tensor(OBN_INT64, 2, d12, idx)}, *y;
    ck_assert_int_eq(ot_run(m, 2, ins, 1, &y), OBN_E_RUNTIME);
    ot_expect_message("\"s\"", "index 2 (element 1 of 'i')", "axis 0 of size 2", (const char *)NULL);
    ot_destroy(2, ins);
    tb_free(m);
    /* updates of another shape; reduction before 16; max before 18; bool add */
    struct {
        int opset;
        const char *red;
        obn_dtype dt;
        const int64_t *udims;
        obn_status code;
        const char *msg;
    } cases[] = {{13, NULL, OBN_FLOAT, d22, OBN_E_INVALID_MODEL, "'updates' has shape [2,2]; it must equal the shape [1,2]"},
                 {13, "add", OBN_FLOAT, d12, OBN_E_INVALID_MODEL, "'reduction' is not part of ScatterElements-13"},
                 {16, "max", OBN_FLOAT, d12, OBN_E_INVALID_MODEL, "(max/min are ScatterElements-18)"},
                 {16, "add", OBN_BOOL, d12, OBN_E_UNSUPPORTED, "reduction of bool data"}};
    for (int c = 0; c < 4; c++) {
        m = tb_new(cases[c].opset);
        tb_input(m, "x", cases[c].dt, 2, d22);
        tb_init_i64(m, "i", 2, d12, idx);
        tb_input(m, "u", cases[c].dt, 2, cases[c].udims);
        Onnx__NodeProto *n = tb_node(m, "ScatterElements", "s", "x,i,u", "y");
        if (cases[c].red) tb_attr_string(m, n, "reduction", cases[c].red);
        tb_output(m, "y", cases[c].dt, -1, NULL);
        OT_EXPECT_CREATE_ERROR(m, cases[c].code, "\"s\"", cases[c].msg);
        tb_free(m);
    }
}
END_TEST

/* The five examples of the GatherND spec. */
START_TEST(gather_nd_spec_examples)
{
    static const struct {
        int batch_dims, xr, ir, yr;
        int64_t xd[3], id[3], yd[3];
        int64_t idx[8];
        float want[8];
    } ex[] = {
        {0, 2, 2, 1, {2, 2}, {2, 2}, {2}, {0, 0, 1, 1}, {0, 3}},
        {0, 2, 2, 2, {2, 2}, {2, 1}, {2, 2}, {1, 0}, {2, 3, 0, 1}},
        {0, 3, 2, 2, {2, 2, 2}, {2, 2}, {2, 2}, {0, 1, 1, 0}, {2, 3, 4, 5}},
        {0, 3, 3, 3, {2, 2, 2}, {2, 1, 2}, {2, 1, 2}, {0, 1, 1, 0}, {2, 3, 4, 5}},
        {1, 3, 2, 2, {2, 2, 2}, {2, 1}, {2, 2}, {1, 0}, {2, 3, 4, 5}},
    };
    for (int e = 0; e < 5; e++) {
        tb_model *m = tb_new(12);
        tb_input(m, "x", OBN_FLOAT, ex[e].xr, ex[e].xd);
        tb_init_i64(m, "i", ex[e].ir, ex[e].id, ex[e].idx);
        tb_attr_int(m, tb_node(m, "GatherND", "g", "x,i", "y"), "batch_dims", ex[e].batch_dims);
        tb_output(m, "y", OBN_FLOAT, -1, NULL);
        int64_t xn = ot_numel(ex[e].xr, ex[e].xd);
        float *x = iota_f32(xn);
        obn_tensor *in = ot_tensor(OBN_FLOAT, ex[e].xr, ex[e].xd, x), *y;
        OT_RUN_OK(m, 1, &in, 1, &y);
        ot_expect_shape(y, ex[e].yr, ex[e].yd);
        double want[8];
        int64_t yn = ot_numel(ex[e].yr, ex[e].yd);
        for (int64_t i = 0; i < yn; i++) want[i] = ex[e].want[i];
        ot_expect_f32(y, want, yn, 0);
        free(x);
        obn_tensor_destroy(in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
}
END_TEST

START_TEST(gather_nd_negative_and_errors)
{
    const int64_t xd[2] = {2, 3}, i1[2] = {1, 2}, neg[2] = {-1, -3}, i3[2] = {1, 3}, three[3] = {0, 0, 0};
    tb_model *m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 2, xd);
    tb_input(m, "i", OBN_INT64, 2, i1);
    tb_node(m, "GatherND", "g", "x,i", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    float *x = iota_f32(6);
    obn_tensor *ins[2] = {ot_tensor(OBN_FLOAT, 2, xd, x), ot_tensor(OBN_INT64, 2, i1, neg)}, *y;
    OT_RUN_OK(m, 2, ins, 1, &y);
    const double w = 3; /* x[1][0] */
    ot_expect_f32(y, &w, 1, 0);
    obn_tensor_destroy(y);
    obn_tensor_destroy(ins[1]);
    const int64_t far[2] = {0, 3};
    ins[1] = ot_tensor(OBN_INT64, 2, i1, far);
    ck_assert_int_eq(ot_run(m, 2, ins, 1, &y), OBN_E_RUNTIME);
    ot_expect_message("\"g\"", "index 3 (element 1 of 'i')", "axis 1 of size 3", (const char *)NULL);
    ot_destroy(2, ins);
    tb_free(m);
    m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 2, xd);
    tb_init_i64(m, "i", 2, i3, three);
    tb_node(m, "GatherND", "g", "x,i", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"g\"", "tuples of length 3 cannot index 'data' [2,3]");
    tb_free(m);
    m = tb_new(11);
    tb_input(m, "x", OBN_FLOAT, 2, xd);
    tb_init_i64(m, "i", 2, i1, neg);
    tb_attr_int(m, tb_node(m, "GatherND", "g", "x,i", "y"), "batch_dims", 1);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'batch_dims' is not part of GatherND-11");
    tb_free(m);
    free(x);
}
END_TEST

/* OneHot: axis placement, negative and out-of-range indices (version 9 vs
 * 11), float indices and depth truncated, depth from a graph input. */
START_TEST(onehot_forms)
{
    const int64_t id[1] = {4}, two[1] = {2};
    const float idx[4] = {1.9f, -1, 3, 0};
    const int32_t vals[2] = {-5, 7};
    for (int opset = 9; opset <= 11; opset += 2)
        for (int axis = -2; axis <= 1; axis++)
            for (int runtime_depth = 0; runtime_depth < 2; runtime_depth++) {
                const float depth = 3.7f; /* depth 3 */
                tb_model *m = tb_new(opset);
                tb_input(m, "i", OBN_FLOAT, 1, id);
                if (runtime_depth) tb_input(m, "d", OBN_FLOAT, 0, NULL);
                else tb_add_init(m, tb_tensor(m, "d", OBN_FLOAT, 0, NULL, &depth, 4));
                tb_add_init(m, tb_tensor(m, "v", OBN_INT32, 1, two, vals, sizeof vals));
                tb_attr_int(m, tb_node(m, "OneHot", "o", "i,d,v", "y"), "axis", axis);
                tb_output(m, "y", OBN_INT32, -1, NULL);
                obn_tensor *in[2] = {ot_tensor(OBN_FLOAT, 1, id, idx), ot_tensor(OBN_FLOAT, 0, NULL, &depth)}, *y;
                OT_RUN_OK(m, runtime_depth ? 2 : 1, in, 1, &y);
                bool first = axis == 0 || axis == -2; /* the depth axis comes first */
                const int64_t yd[2] = {first ? 3 : 4, first ? 4 : 3};
                ot_expect_shape(y, 2, yd);
                int32_t want[12];
                const int hot[4] = {1, opset >= 11 ? 2 : -1, -1, 0}; /* 1.9 -> 1; -1 -> 2 from 11; 3: out of range */
                for (int e = 0; e < 4; e++)
                    for (int d = 0; d < 3; d++) want[first ? d * 4 + e : e * 3 + d] = hot[e] == d ? 7 : -5;
                ot_expect_bytes(y, OBN_INT32, want, 12);
                ot_destroy(2, in);
                obn_tensor_destroy(y);
                tb_free(m);
            }
}
END_TEST

START_TEST(onehot_errors)
{
    const int64_t id[1] = {4}, three[1] = {3}, two[1] = {2};
    const int64_t zero = 0, d = 2;
    const float vals[3] = {0, 1, 2};
    struct {
        const int64_t *depth, *vdims;
        int64_t axis;
        const char *msg;
    } cases[] = {{&zero, two, -1, "input 'depth' ('d') is 0; must be at least 1"},
                 {&d, three, -1, "input 'values' ('v') has shape [3]; expected [2]"},
                 {&d, two, 2, "axis 2 is out of range for rank 1"}};
    for (int c = 0; c < 3; c++) {
        tb_model *m = tb_new(11);
        tb_input(m, "i", OBN_INT64, 1, id);
        tb_init_i64(m, "d", 0, NULL, cases[c].depth);
        tb_init_f32(m, "v", 1, cases[c].vdims, vals);
        tb_attr_int(m, tb_node(m, "OneHot", "o", "i,d,v", "y"), "axis", cases[c].axis);
        tb_output(m, "y", OBN_FLOAT, -1, NULL);
        OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"o\"", cases[c].msg);
        tb_free(m);
    }
}
END_TEST

START_TEST(eyelike_diagonals)
{
    const int64_t dd[2] = {3, 4};
    const float x[12] = {0};
    for (int64_t k = -4; k <= 5; k++)
        for (int dtype_attr = 0; dtype_attr < 2; dtype_attr++) {
            tb_model *m = tb_new(9);
            tb_input(m, "x", OBN_FLOAT, 2, dd);
            Onnx__NodeProto *n = tb_node(m, "EyeLike", "e", "x", "y");
            tb_attr_int(m, n, "k", k);
            if (dtype_attr) tb_attr_int(m, n, "dtype", OBN_INT64);
            tb_output(m, "y", dtype_attr ? OBN_INT64 : OBN_FLOAT, -1, NULL);
            obn_tensor *in = ot_tensor(OBN_FLOAT, 2, dd, x), *y;
            OT_RUN_OK(m, 1, &in, 1, &y);
            int64_t wi[12];
            double wf[12];
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 4; j++) wf[i * 4 + j] = (double)(wi[i * 4 + j] = j - i == k);
            if (dtype_attr) ot_expect_i64(y, wi, 12);
            else ot_expect_f32(y, wf, 12, 0);
            obn_tensor_destroy(in);
            obn_tensor_destroy(y);
            tb_free(m);
        }
    /* bfloat16 output from EyeLike-22 (refused by EyeLike-9) */
    for (int opset = 9; opset <= 22; opset += 13) {
        tb_model *m = tb_new(opset);
        tb_input(m, "x", OBN_FLOAT, 2, dd);
        tb_attr_int(m, tb_node(m, "EyeLike", "e", "x", "y"), "dtype", OBN_BFLOAT16);
        tb_output(m, "y", OBN_BFLOAT16, -1, NULL);
        if (opset == 9) {
            OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "\"e\"", "'dtype' (16)");
            tb_free(m);
            continue;
        }
        obn_tensor *in = ot_tensor(OBN_FLOAT, 2, dd, x), *y;
        OT_RUN_OK(m, 1, &in, 1, &y);
        uint16_t w[12] = {0};
        for (int i = 0; i < 3; i++) w[i * 4 + i] = 0x3F80; /* bfloat16 1.0 */
        ot_expect_bytes(y, OBN_BFLOAT16, w, 12);
        obn_tensor_destroy(in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    const int64_t d3[3] = {1, 2, 2};
    tb_model *m = tb_new(9);
    tb_input(m, "x", OBN_FLOAT, 3, d3);
    tb_node(m, "EyeLike", "e", "x", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"e\"", "rank 3");
    tb_free(m);
    m = tb_new(9);
    tb_input(m, "x", OBN_FLOAT, 2, dd);
    tb_attr_int(m, tb_node(m, "EyeLike", "e", "x", "y"), "dtype", OBN_STRING);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "\"e\"", "'dtype' (8)");
    tb_free(m);
}
END_TEST

/* DepthToSpace in both modes and SpaceToDepth against the index formulas,
 * on float16 (bytes move unchanged), and the round trip. */
START_TEST(depth_space_formulas)
{
    const int64_t b = 2, xd[4] = {2, 8, 3, 2}, yd[4] = {2, 2, 6, 4};
    uint16_t x[96], w[96];
    for (int i = 0; i < 96; i++) x[i] = (uint16_t)(0x3C00 + i);
    for (int crd = 0; crd < 2; crd++) {
        tb_model *m = tb_new(13);
        tb_input(m, "x", OBN_FLOAT16, 4, xd);
        Onnx__NodeProto *n = tb_node(m, "DepthToSpace", "d", "x", "y");
        tb_attr_int(m, n, "blocksize", b);
        tb_attr_string(m, n, "mode", crd ? "CRD" : "DCR");
        tb_node(m, "SpaceToDepth", "s", "y", "z");
        tb_attr_int(m, tb_proto(m)->graph->node[1], "blocksize", b);
        tb_output(m, "y", OBN_FLOAT16, -1, NULL);
        tb_output(m, "z", OBN_FLOAT16, -1, NULL);
        obn_tensor *in = ot_tensor(OBN_FLOAT16, 4, xd, x), *out[2];
        OT_RUN_OK(m, 1, &in, 2, out);
        ot_expect_shape(out[0], 4, yd);
        for (int64_t nn = 0; nn < 2; nn++)
            for (int64_t c = 0; c < 2; c++)
                for (int64_t h = 0; h < 6; h++)
                    for (int64_t ww = 0; ww < 4; ww++) {
                        int64_t i = h % b, j = ww % b;
                        int64_t xc = crd ? c * b * b + i * b + j : (i * b + j) * 2 + c;
                        w[((nn * 2 + c) * 6 + h) * 4 + ww] = x[((nn * 8 + xc) * 3 + h / b) * 2 + ww / b];
                    }
        ot_expect_bytes(out[0], OBN_FLOAT16, w, 96);
        ot_expect_shape(out[1], 4, xd);
        if (!crd) ot_expect_bytes(out[1], OBN_FLOAT16, x, 96); /* SpaceToDepth inverts DCR */
        obn_tensor_destroy(in);
        ot_destroy(2, out);
        tb_free(m);
    }
}
END_TEST

START_TEST(depth_space_errors)
{
    const int64_t xd[4] = {1, 6, 3, 3};
    struct {
        const char *op;
        int opset;
        int64_t blocksize; /* 0: absent */
        const char *mode;
        const char *msg;
    } cases[] = {{"DepthToSpace", 13, 2, NULL, "channels are not a multiple of blocksize^2 = 4"},
                 {"SpaceToDepth", 13, 2, NULL, "height and width are not multiples of blocksize 2"},
                 {"DepthToSpace", 13, 0, NULL, "'blocksize' is required"},
                 {"DepthToSpace", 1, 1, "DCR", "'mode' is not part of DepthToSpace-1"},
                 {"DepthToSpace", 13, 1, "RCD", "'mode' is 'RCD'; expected DCR or CRD"}};
    for (int c = 0; c < 5; c++) {
        tb_model *m = tb_new(cases[c].opset);
        tb_input(m, "x", OBN_FLOAT, 4, xd);
        Onnx__NodeProto *n = tb_node(m, cases[c].op, "d", "x", "y");
        if (cases[c].blocksize) tb_attr_int(m, n, "blocksize", cases[c].blocksize);
        if (cases[c].mode) tb_attr_string(m, n, "mode", cases[c].mode);
        tb_output(m, "y", OBN_FLOAT, -1, NULL);
        OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"d\"", cases[c].msg);
        tb_free(m);
    }
}
END_TEST

/* The two examples of the ReverseSequence spec, then the errors. */
START_TEST(reverse_sequence_examples)
{
    const int64_t d44[2] = {4, 4}, d4[1] = {4};
    float *x = iota_f32(16);
    const int64_t lens1[4] = {4, 3, 2, 1}, lens2[4] = {1, 2, 3, 4};
    const double w1[16] = {12, 9, 6, 3, 8, 5, 2, 7, 4, 1, 10, 11, 0, 13, 14, 15}; /* example 1 transposed into x's layout */
    const double w2[16] = {0, 1, 2, 3, 5, 4, 6, 7, 10, 9, 8, 11, 15, 14, 13, 12};
    for (int e = 0; e < 2; e++) {
        tb_model *m = tb_new(10);
        tb_input(m, "x", OBN_FLOAT, 2, d44);
        tb_input(m, "l", OBN_INT64, 1, d4);
        Onnx__NodeProto *n = tb_node(m, "ReverseSequence", "r", "x,l", "y");
        tb_attr_int(m, n, "time_axis", e == 0 ? 0 : 1);
        tb_attr_int(m, n, "batch_axis", e == 0 ? 1 : 0);
        tb_output(m, "y", OBN_FLOAT, -1, NULL);
        obn_tensor *in[2] = {ot_tensor(OBN_FLOAT, 2, d44, x), ot_tensor(OBN_INT64, 1, d4, e ? lens2 : lens1)}, *y;
        OT_RUN_OK(m, 2, in, 1, &y);
        ot_expect_f32(y, e ? w2 : w1, 16, 0);
        obn_tensor_destroy(y);
        obn_tensor_destroy(in[1]);
        const int64_t too_long[4] = {1, 5, 1, 1};
        in[1] = ot_tensor(OBN_INT64, 1, d4, too_long);
        ck_assert_int_eq(ot_run(m, 2, in, 1, &y), OBN_E_RUNTIME);
        ot_expect_message("\"r\"", "sequence_lens[1] = 5 is outside [0, 4]", (const char *)NULL);
        ot_destroy(2, in);
        tb_free(m);
    }
    tb_model *m = tb_new(10);
    tb_input(m, "x", OBN_FLOAT, 2, d44);
    tb_input(m, "l", OBN_INT64, 1, d4);
    tb_attr_int(m, tb_node(m, "ReverseSequence", "r", "x,l", "y"), "batch_axis", 0);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"r\"", "'batch_axis' and 'time_axis' are both 0");
    tb_free(m);
    const int64_t d3[1] = {3};
    m = tb_new(10);
    tb_input(m, "x", OBN_FLOAT, 2, d44);
    tb_input(m, "l", OBN_INT64, 1, d3);
    tb_node(m, "ReverseSequence", "r", "x,l", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'sequence_lens' ('l') has shape [3]; expected [4]");
    tb_free(m);
    free(x);
}
END_TEST

/* CenterCropPad by coordinates: output[c] = input[c + shift] where
 * shift = floor(d/2) for a crop of d and -floor(d/2) for a pad of d, zero
 * outside the input; odd crops and pads, a subset of axes. */
START_TEST(center_crop_pad_coordinates)
{
    const int64_t xd[3] = {5, 4, 3};
    float *x = iota_f32(60);
    const int64_t targets[3][3] = {{2, 7, 3}, {8, 1, 4}, {5, 4, 3}};
    for (int t = 0; t < 3; t++)
        for (int subset = 0; subset < 2; subset++) {
            const int64_t axes[2] = {-3, 1}, n3[1] = {3}, n2[1] = {2};
            int64_t yd[3] = {targets[t][0], targets[t][1], subset ? 3 : targets[t][2]};
            const int64_t sizes[3] = {targets[t][0], targets[t][1], targets[t][2]};
            tb_model *m = tb_new(18);
            tb_input(m, "x", OBN_FLOAT, 3, xd);
            tb_init_i64(m, "s", 1, subset ? n2 : n3, sizes);
            Onnx__NodeProto *n = tb_node(m, "CenterCropPad", "c", "x,s", "y");
            if (subset) tb_attr_ints(m, n, "axes", 2, axes);
            tb_output(m, "y", OBN_FLOAT, -1, NULL);
            obn_tensor *in = ot_tensor(OBN_FLOAT, 3, xd, x), *y;
            OT_RUN_OK(m, 1, &in, 1, &y);
            ot_expect_shape(y, 3, yd);
            int64_t shift[3], ny = yd[0] * yd[1] * yd[2];
            for (int d = 0; d < 3; d++) {
                int64_t diff = xd[d] - yd[d];
                shift[d] = diff >= 0 ? diff / 2 : -((-diff) / 2);
            }
            double *want = malloc((size_t)ny * sizeof *want);
            for (int64_t e = 0; e < ny; e++) {
                int64_t c[3] = {e / (yd[1] * yd[2]), (e / yd[2]) % yd[1], e % yd[2]}, s[3];
                bool inside = true;
                for (int d = 0; d < 3; d++) {
                    s[d] = c[d] + shift[d];
                    inside &= s[d] >= 0 && s[d] < xd[d];
                }
                want[e] = inside ? x[(s[0] * 4 + s[1]) * 3 + s[2]] : 0;
            }
            ot_expect_f32(y, want, ny, 0);
            free(want);
            obn_tensor_destroy(in);
            obn_tensor_destroy(y);
            tb_free(m);
        }
    const int64_t n2[1] = {2}, two[2] = {1, 1};
    tb_model *m = tb_new(18);
    tb_input(m, "x", OBN_FLOAT, 3, xd);
    tb_init_i64(m, "s", 1, n2, two);
    tb_node(m, "CenterCropPad", "c", "x,s", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"c\"", "input 'shape' ('s') has 2 values for 3 axes");
    tb_free(m);
    free(x);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("indexing");
    TCase *t = tcase_create("indexing");
    tcase_add_test(t, gather_scatter_elements_every_axis);
    tcase_add_test(t, scatter_elements_reductions_and_examples);
    tcase_add_test(t, elements_errors);
    tcase_add_test(t, gather_nd_spec_examples);
    tcase_add_test(t, gather_nd_negative_and_errors);
    tcase_add_test(t, onehot_forms);
    tcase_add_test(t, onehot_errors);
    tcase_add_test(t, eyelike_diagonals);
    tcase_add_test(t, depth_space_formulas);
    tcase_add_test(t, depth_space_errors);
    tcase_add_test(t, reverse_sequence_examples);
    tcase_add_test(t, center_crop_pad_coordinates);
    suite_add_tcase(s, t);
    return ot_main(s);
}
