/* Shared helpers of the operator suites in tests/ops: building one-node
 * models, running them, comparing with reference values computed in the
 * test, and checking error statuses and messages. Header-only (static), so
 * that every test_*.c stays a single-file executable. */
#ifndef OBN_TESTS_OP_TESTING_H
#define OBN_TESTS_OP_TESTING_H

#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "model_builder.h"
#include "onnxbn.h"

/* A tensor of any dtype from data (copied); aborts the test on failure. */
static inline obn_tensor *ot_tensor(obn_dtype dt, int rank, const int64_t *dims, const void *data)
{
    obn_tensor *t = NULL;
    ck_assert_int_eq(obn_tensor_create(dt, (size_t)rank, dims, data, &t), OBN_OK);
    return t;
}

/* Loads the model and runs it on `inputs` (model input order) with the given
 * thread count; the outputs are copies the caller destroys. */
static inline obn_status ot_run_threads(tb_model *m, int threads, int n_in, obn_tensor *const *inputs, int n_out,
                                        obn_tensor **outputs)
{
    obn_model *model = NULL;
    obn_status st = tb_load(m, &model);
    for (int i = 0; i < n_out; i++) outputs[i] = NULL;
    if (st != OBN_OK) return st;
    st = tb_run(model, threads, 0, (size_t)n_in, inputs, (size_t)n_out, outputs);
    obn_model_destroy(model);
    return st;
}

static inline obn_status ot_run(tb_model *m, int n_in, obn_tensor *const *inputs, int n_out, obn_tensor **outputs)
{
    return ot_run_threads(m, 2, n_in, inputs, n_out, outputs);
}

/* Runs and asserts success, with the library's message on failure. */
#define OT_RUN_OK(m, n_in, ins, n_out, outs)                                                       \
    do {                                                                                           \
        obn_status ot_s_ = ot_run((m), (n_in), (ins), (n_out), (outs));                            \
        ck_assert_msg(ot_s_ == OBN_OK, "run failed (%s): %s", obn_status_name(ot_s_), obn_last_error()); \
    } while (0)

/* Status of loading the model and creating a session (shape errors of
 * fully-shaped models surface here). */
static inline obn_status ot_create_status(tb_model *m)
{
    obn_model *model = NULL;
    obn_status st = tb_load(m, &model);
    if (st != OBN_OK) return st;
    obn_session *s = NULL;
    st = obn_session_create(model, NULL, &s);
    obn_session_destroy(s);
    obn_model_destroy(model);
    return st;
}

/* Asserts that the last error message contains every NULL-terminated
 * fragment. */
static inline void ot_expect_message(const char *first, ...)
{
    const char *msg = obn_last_error();
    va_list ap;
    va_start(ap, first);
    for (const char *f = first; f; f = va_arg(ap, const char *))
        ck_assert_msg(strstr(msg, f) != NULL, "message lacks '%s': %s", f, msg);
    va_end(ap);
}

/* Asserts the session-creation status and message fragments. */
#define OT_EXPECT_CREATE_ERROR(m, code, ...)                                                        \
    do {                                                                                            \
        obn_status ot_s_ = ot_create_status(m);                                                     \
        ck_assert_msg(ot_s_ == (code), "status %s, expected %s: %s", obn_status_name(ot_s_),         \
                      obn_status_name(code), obn_last_error());                                     \
        ot_expect_message(__VA_ARGS__, (const char *)NULL);                                         \
    } while (0)

static inline void ot_expect_shape(const obn_tensor *t, int rank, const int64_t *dims)
{
    ck_assert_int_eq((int)obn_tensor_rank(t), rank);
    for (int d = 0; d < rank; d++)
        ck_assert_msg(obn_tensor_dims(t)[d] == dims[d], "dim %d is %lld, expected %lld", d,
                      (long long)obn_tensor_dims(t)[d], (long long)dims[d]);
}

/* Element-wise |got - want| <= tol * (1 + |want|) on a float tensor, NaN
 * matching NaN. */
static inline void ot_expect_f32(const obn_tensor *t, const double *want, int64_t n, double tol)
{
    ck_assert_int_eq(obn_tensor_dtype(t), OBN_FLOAT);
    ck_assert_int_eq(obn_tensor_numel(t), n);
    const float *got = obn_tensor_cdata(t);
    for (int64_t i = 0; i < n; i++) {
        if (isnan(want[i])) {
            ck_assert_msg(isnan(got[i]), "[%lld] = %.9g, expected NaN", (long long)i, got[i]);
            continue;
        }
        if (isinf(want[i])) {
            ck_assert_msg(got[i] == want[i], "[%lld] = %.9g, expected %g", (long long)i, got[i], want[i]);
            continue;
        }
        ck_assert_msg(fabs(got[i] - want[i]) <= tol * (1 + fabs(want[i])), "[%lld] = %.9g, expected %.9g",
                      (long long)i, got[i], want[i]);
    }
}

static inline void ot_expect_i64(const obn_tensor *t, const int64_t *want, int64_t n)
{
    ck_assert_int_eq(obn_tensor_dtype(t), OBN_INT64);
    ck_assert_int_eq(obn_tensor_numel(t), n);
    const int64_t *got = obn_tensor_cdata(t);
    for (int64_t i = 0; i < n; i++)
        ck_assert_msg(got[i] == want[i], "[%lld] = %lld, expected %lld", (long long)i, (long long)got[i],
                      (long long)want[i]);
}

/* Bytes equal (exact data movement). */
static inline void ot_expect_bytes(const obn_tensor *t, obn_dtype dt, const void *want, int64_t n)
{
    ck_assert_int_eq(obn_tensor_dtype(t), dt);
    ck_assert_int_eq(obn_tensor_numel(t), n);
    ck_assert_msg(memcmp(obn_tensor_cdata(t), want, (size_t)n * obn_dtype_size(dt)) == 0, "data differs");
}

/* Deterministic values in [lo, hi) (xorshift), for reference checks. */
static inline void ot_fill(float *p, int64_t n, uint64_t seed, float lo, float hi)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int64_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        p[i] = lo + (hi - lo) * (float)((double)(s >> 11) / 9007199254740992.0);
    }
}

static inline int64_t ot_numel(int rank, const int64_t *dims)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    return n;
}

static inline void ot_destroy(int n, obn_tensor **ts)
{
    for (int i = 0; i < n; i++) obn_tensor_destroy(ts[i]);
}

/* Runs one Check suite and returns the process exit code. */
static inline int ot_main(Suite *s)
{
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}

#endif
