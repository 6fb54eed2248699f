#include "binary.h"

#include <math.h>

#include "simd_clones.h"

/* One inner run of n elements; sa/sb are the inputs' strides (0 or 1). The
 * four stride cases get their own loops so that each one vectorises. */
#define RUN_CASES(EXPR)                                                         \
    do {                                                                        \
        if (sa && sb) {                                                         \
            for (int64_t i = 0; i < n; i++) { float u = a[i], v = b[i]; y[i] = (EXPR); } \
        } else if (sa) {                                                        \
            const float v = b[0];                                               \
            for (int64_t i = 0; i < n; i++) { float u = a[i]; y[i] = (EXPR); }  \
        } else if (sb) {                                                        \
            const float u = a[0];                                               \
            for (int64_t i = 0; i < n; i++) { float v = b[i]; y[i] = (EXPR); }  \
        } else {                                                                \
            const float u = a[0], v = b[0];                                     \
            const float r = (EXPR);                                             \
            for (int64_t i = 0; i < n; i++) y[i] = r;                           \
        }                                                                       \
    } while (0)

static inline float max_nan(float u, float v) { return u != u || v != v ? u + v : (u > v ? u : v); }
static inline float min_nan(float u, float v) { return u != u || v != v ? u + v : (u < v ? u : v); }

OBN_CLONES
static void run_f32(obn_binop op, const float *a, int sa, const float *b, int sb, float *y, int64_t n)
{
    switch (op) {
    case OBN_BIN_ADD: RUN_CASES(u + v); break;
    case OBN_BIN_SUB: RUN_CASES(u - v); break;
    case OBN_BIN_MUL: RUN_CASES(u * v); break;
    case OBN_BIN_DIV: RUN_CASES(u / v); break;
    case OBN_BIN_POW:
        if (!sb && b[0] == 2.0f) { /* the square of LayerNorm decompositions: x*x is powf(x, 2) exactly */
            for (int64_t i = 0; i < n; i++) y[i] = a[i * sa] * a[i * sa];
            break;
        }
        RUN_CASES(powf(u, v));
        break;
    case OBN_BIN_MAX: RUN_CASES(max_nan(u, v)); break;
    case OBN_BIN_MIN: RUN_CASES(min_nan(u, v)); break;
    case OBN_BIN_PRELU: RUN_CASES(u >= 0.0f ? u : u * v); break;
    case OBN_BIN_FMOD: RUN_CASES(fmodf(u, v)); break;
    }
}

OBN_CLONES
static void relu_f32(float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) y[i] = y[i] < 0.0f ? 0.0f : y[i];
}

void obn_binary_f32(obn_binop op, const obn_bcast *g, const float *a, const float *b, float *y, int threads)
{
    obn_binary_f32_act(op, g, a, b, y, 0, threads);
}

void obn_binary_f32_act(obn_binop op, const obn_bcast *g, const float *a, const float *b, float *y, int relu,
                        int threads)
{
    const int64_t inner = g->inner;
    const int sa = (int)obn_bcast_inner_stride(g, 0), sb = (int)obn_bcast_inner_stride(g, 1);
    /* tasks: every row split into chunks, so that one long row (same-shape
     * inputs) still spreads over the threads */
    const int64_t chunks_per_row = inner > OBN_STREAM_CHUNK ? (inner + OBN_STREAM_CHUNK - 1) / OBN_STREAM_CHUNK : 1;
    const int64_t chunk = inner > OBN_STREAM_CHUNK ? OBN_STREAM_CHUNK : inner;
    const int64_t tasks = g->rows * chunks_per_row;
#pragma omp parallel for schedule(static) num_threads(threads) if (tasks > 1 && g->numel > OBN_STREAM_CHUNK)
    for (int64_t t = 0; t < tasks; t++) {
        int64_t row = t / chunks_per_row, c = t % chunks_per_row;
        int64_t off[2];
        obn_bcast_row(g, row, off);
        int64_t start = c * chunk, len = inner - start < chunk ? inner - start : chunk;
        run_f32(op, a + off[0] + start * sa, sa, b + off[1] + start * sb, sb, y + row * inner + start, len);
        if (relu) relu_f32(y + row * inner + start, len);
    }
}
