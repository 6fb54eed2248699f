#include "eltwise.h"
#include "simd_clones.h"

/* Chunk size of the parallel split: 16K floats (64 KiB) per task keeps the
 * scheduling overhead small against the memory traffic. */
#define OBN_ELT_CHUNK 16384

OBN_CLONES
static void clamp_chunk(const float *x, float *y, int64_t n, float lo, float hi)
{
    for (int64_t i = 0; i < n; i++) {
        float v = x[i] < lo ? lo : x[i];
        y[i] = v > hi ? hi : v;
    }
}

void obn_clamp_f32(const float *x, float *y, int64_t n, float lo, float hi, int threads)
{
    int64_t chunks = (n + OBN_ELT_CHUNK - 1) / OBN_ELT_CHUNK;
#pragma omp parallel for schedule(static) num_threads(threads) if (chunks > 1)
    for (int64_t c = 0; c < chunks; c++) {
        int64_t off = c * OBN_ELT_CHUNK;
        int64_t len = n - off < OBN_ELT_CHUNK ? n - off : OBN_ELT_CHUNK;
        clamp_chunk(x + off, y + off, len, lo, hi);
    }
}

OBN_CLONES
static void leaky_chunk(const float *x, float *y, int64_t n, float alpha)
{
    for (int64_t i = 0; i < n; i++) y[i] = x[i] >= 0.0f ? x[i] : x[i] * alpha;
}

void obn_leaky_relu_f32(const float *x, float *y, int64_t n, float alpha, int threads)
{
    int64_t chunks = (n + OBN_ELT_CHUNK - 1) / OBN_ELT_CHUNK;
#pragma omp parallel for schedule(static) num_threads(threads) if (chunks > 1)
    for (int64_t c = 0; c < chunks; c++) {
        int64_t off = c * OBN_ELT_CHUNK;
        int64_t len = n - off < OBN_ELT_CHUNK ? n - off : OBN_ELT_CHUNK;
        leaky_chunk(x + off, y + off, len, alpha);
    }
}

void obn_mul_inplace_f32(float *y, const float *b, int64_t n, int threads)
{
    int64_t chunks = (n + OBN_ELT_CHUNK - 1) / OBN_ELT_CHUNK;
#pragma omp parallel for schedule(static) num_threads(threads) if (chunks > 1)
    for (int64_t c = 0; c < chunks; c++) {
        int64_t off = c * OBN_ELT_CHUNK, len = n - off < OBN_ELT_CHUNK ? n - off : OBN_ELT_CHUNK;
        for (int64_t i = off; i < off + len; i++) y[i] *= b[i];
    }
}
