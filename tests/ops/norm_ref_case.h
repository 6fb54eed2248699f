/* A reference case of a normalisation operator (generated into norm_refs.h
 * by gen_norm_refs.py) and the runner that builds its one-node model, runs
 * it and compares every output with the numpy values:
 * |got - want| <= tol * (1 + |want|), tol the case's or the output dtype's,
 * whichever is larger. */
#ifndef OBN_TESTS_NORM_REF_CASE_H
#define OBN_TESTS_NORM_REF_CASE_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kernels/half.h"
#include "op_testing.h"

enum { NR_INT, NR_FLOAT, NR_INTS };

typedef struct {
    const char *name;
    int kind;
    int64_t i;
    float f;
    int n;
    int64_t ints[8];
} nr_attr;

typedef struct {
    const char *name;
    int dtype, rank;
    int64_t dims[6];
    int init; /* an initializer (constant) rather than a graph input */
    const double *v;
} nr_tensor;

typedef struct {
    const char *name, *op;
    int opset;
    int n_in;
    nr_tensor in[3];
    int n_out;
    nr_tensor out[3];
    int n_attr;
    nr_attr attr[4];
    double tol;
} nr_case;

static inline double nr_dtype_tol(int dt)
{
    return dt == OBN_DOUBLE ? 1e-12 : dt == OBN_FLOAT ? 1e-5 : dt == OBN_FLOAT16 ? 2e-3 : 1.6e-2;
}

/* Doubles (exactly representable in dt) encoded as dt; caller frees. */
static inline void *nr_encode(int dt, const double *v, int64_t n)
{
    size_t es = obn_dtype_size((obn_dtype)dt);
    unsigned char *p = malloc((size_t)n * es + 1);
    for (int64_t i = 0; i < n; i++) {
        if (dt == OBN_FLOAT) ((float *)p)[i] = (float)v[i];
        else if (dt == OBN_DOUBLE) ((double *)p)[i] = v[i];
        else if (dt == OBN_FLOAT16) ((uint16_t *)p)[i] = obn_f32_to_f16((float)v[i]);
        else ((uint16_t *)p)[i] = obn_f32_to_bf16((float)v[i]);
    }
    return p;
}

static inline double nr_decode(const obn_tensor *t, int64_t i)
{
    const void *p = obn_tensor_cdata(t);
    switch (obn_tensor_dtype(t)) {
    case OBN_FLOAT: return ((const float *)p)[i];
    case OBN_DOUBLE: return ((const double *)p)[i];
    case OBN_FLOAT16: return obn_f16_to_f32(((const uint16_t *)p)[i]);
    default: return obn_bf16_to_f32(((const uint16_t *)p)[i]);
    }
}

static inline obn_tensor *nr_tensor_of(const nr_tensor *t)
{
    void *buf = nr_encode(t->dtype, t->v, ot_numel(t->rank, t->dims));
    obn_tensor *out = ot_tensor((obn_dtype)t->dtype, t->rank, t->dims, buf);
    free(buf);
    return out;
}

/* The case's model: inputs in order, graph inputs for the non-initializers;
 * outputs "y" and, when listed, the others by name. */
static inline tb_model *nr_model(const nr_case *c)
{
    tb_model *m = tb_new(c->opset);
    char ins[64] = "", outs[64] = "";
    for (int k = 0; k < c->n_in; k++) {
        const nr_tensor *t = &c->in[k];
        if (t->init) {
            int64_t n = ot_numel(t->rank, t->dims);
            void *buf = nr_encode(t->dtype, t->v, n);
            tb_add_init(m, tb_tensor(m, t->name, t->dtype, t->rank, t->dims, buf,
                                     (size_t)n * obn_dtype_size((obn_dtype)t->dtype)));
            free(buf);
        } else {
            tb_input(m, t->name, t->dtype, t->rank, t->dims);
        }
        snprintf(ins + strlen(ins), sizeof ins - strlen(ins), "%s%s", k ? "," : "", t->name);
    }
    for (int k = 0; k < c->n_out; k++) {
        snprintf(outs + strlen(outs), sizeof outs - strlen(outs), "%s%s", k ? "," : "", c->out[k].name);
        tb_output(m, c->out[k].name, c->out[k].dtype, -1, NULL);
    }
    Onnx__NodeProto *n = tb_node(m, c->op, "norm", ins, outs);
    for (int k = 0; k < c->n_attr; k++) {
        const nr_attr *a = &c->attr[k];
        if (a->kind == NR_INT) tb_attr_int(m, n, a->name, a->i);
        else if (a->kind == NR_FLOAT) tb_attr_float(m, n, a->name, a->f);
        else tb_attr_ints(m, n, a->name, (size_t)a->n, a->ints);
    }
    return m;
}

/* Runs the case with `threads` and checks every output; returns the outputs
 * (caller destroys) for comparisons between thread counts. */
static inline void nr_check(const nr_case *c, int threads, obn_tensor **out)
{
    tb_model *m = nr_model(c);
    obn_tensor *inputs[3];
    int n_graph_in = 0;
    for (int k = 0; k < c->n_in; k++)
        if (!c->in[k].init) inputs[n_graph_in++] = nr_tensor_of(&c->in[k]);
    obn_status st = ot_run_threads(m, threads, n_graph_in, inputs, c->n_out, out);
    ck_assert_msg(st == OBN_OK, "%s: run failed (%s): %s", c->name, obn_status_name(st), obn_last_error());
    for (int k = 0; k < c->n_out; k++) {
        const nr_tensor *w = &c->out[k];
        int64_t n = ot_numel(w->rank, w->dims);
        double tol = fmax(c->tol, nr_dtype_tol(w->dtype));
        ck_assert_msg(obn_tensor_dtype(out[k]) == (obn_dtype)w->dtype, "%s: output %s has dtype %s", c->name, w->name,
                      obn_dtype_name(obn_tensor_dtype(out[k])));
        ot_expect_shape(out[k], w->rank, w->dims);
        for (int64_t i = 0; i < n; i++) {
            double got = nr_decode(out[k], i);
            ck_assert_msg(fabs(got - w->v[i]) <= tol * (1 + fabs(w->v[i])), "%s: %s[%lld] = %.9g, expected %.9g (tol %g)",
                          c->name, w->name, (long long)i, got, w->v[i], tol);
        }
    }
    ot_destroy(n_graph_in, inputs);
    tb_free(m);
}

/* Every case of operator `op`: checked with 1 and 3 threads, which must
 * agree bit for bit (each statistic is computed by one thread). Returns the
 * number of cases run. */
static inline int nr_check_all(const nr_case *cases, size_t n_cases, const char *op)
{
    int ran = 0;
    for (size_t i = 0; i < n_cases; i++) {
        const nr_case *c = &cases[i];
        if (strcmp(c->op, op) != 0) continue;
        obn_tensor *one[3], *three[3];
        nr_check(c, 1, one);
        nr_check(c, 3, three);
        for (int k = 0; k < c->n_out; k++)
            ck_assert_msg(memcmp(obn_tensor_cdata(one[k]), obn_tensor_cdata(three[k]),
                                 (size_t)obn_tensor_numel(one[k]) * obn_dtype_size(obn_tensor_dtype(one[k]))) == 0,
                          "%s: output %d differs between 1 and 3 threads", c->name, k);
        ot_destroy(c->n_out, one);
        ot_destroy(c->n_out, three);
        ran++;
    }
    return ran;
}

/* Runs a one-input float model on x with 1 and 4 threads: the result must
 * match want (|got - want| <= tol * (1 + |want|)) and be the same bits with
 * either thread count. */
static inline void nr_check_threads(tb_model *m, int rank, const int64_t *dims, const float *x, const double *want,
                                    double tol)
{
    int64_t n = ot_numel(rank, dims);
    obn_tensor *in = ot_tensor(OBN_FLOAT, rank, dims, x), *y1, *y4;
    ck_assert_msg(ot_run_threads(m, 1, 1, &in, 1, &y1) == OBN_OK, "run: %s", obn_last_error());
    ck_assert_msg(ot_run_threads(m, 4, 1, &in, 1, &y4) == OBN_OK, "run: %s", obn_last_error());
    ot_expect_f32(y1, want, n, tol);
    ck_assert_msg(memcmp(obn_tensor_cdata(y1), obn_tensor_cdata(y4), (size_t)n * sizeof(float)) == 0,
                  "1 and 4 threads differ");
    obn_tensor_destroy(y1);
    obn_tensor_destroy(y4);
    obn_tensor_destroy(in);
}

#endif
