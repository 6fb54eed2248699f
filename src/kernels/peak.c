#include "peak.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Declared in peak_avx2.c / peak_avx512.c: FMA chains for `iters`
 * iterations; returns a value that depends on every result (so the loop is
 * not optimised away). */
float obn_peak_fma_avx2(long iters);
float obn_peak_fma_avx512(long iters);

/* Floats of each copy buffer: 64 MiB each, beyond any L3 this runs on. */
#define PEAK_COPY_FLOATS ((size_t)16 << 20)

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Ten independent scalar chains: what portable code can at best sustain. */
static float fma_portable(long iters)
{
    volatile float seed = 0.5f;
    float a[10];
    for (int i = 0; i < 10; i++) a[i] = seed + (float)i;
    for (long k = 0; k < iters; k++)
        for (int i = 0; i < 10; i++) a[i] = a[i] * 0.9999f + 0.0001f;
    float s = 0.0f;
    for (int i = 0; i < 10; i++) s += a[i];
    return s;
}

double obn_peak_fma_flops(obn_isa isa)
{
    /* flops per iteration: 10 chains x lanes x 2 */
    const long iters = 2000000;
    double lanes = isa == OBN_ISA_AVX512 ? 16 : isa == OBN_ISA_AVX2 ? 8 : 1;
    double best = 1e30;
    volatile float sink = 0.0f;
    for (int r = 0; r < 3; r++) { /* best of three: the machine may be shared */
        double t0 = seconds();
        sink += isa == OBN_ISA_AVX512 ? obn_peak_fma_avx512(iters)
                : isa == OBN_ISA_AVX2 ? obn_peak_fma_avx2(iters)
                                      : fma_portable(iters);
        double dt = seconds() - t0;
        if (dt < best) best = dt;
    }
    (void)sink;
    return best > 0 ? 10.0 * lanes * 2.0 * (double)iters / best : 0.0;
}

double obn_peak_copy_bytes(void)
{
    float *a = malloc(PEAK_COPY_FLOATS * sizeof(float)), *b = malloc(PEAK_COPY_FLOATS * sizeof(float));
    if (!a || !b) {
        free(a);
        free(b);
        return 0.0;
    }
    memset(a, 1, PEAK_COPY_FLOATS * sizeof(float));
    memset(b, 2, PEAK_COPY_FLOATS * sizeof(float)); /* both touched: no page faults in the timing */
    double best = 1e30;
    for (int r = 0; r < 3; r++) {
        double t0 = seconds();
        memcpy(r % 2 ? a : b, r % 2 ? b : a, PEAK_COPY_FLOATS * sizeof(float));
        double dt = seconds() - t0;
        if (dt < best) best = dt;
    }
    free(a);
    free(b);
    return best > 0 ? 2.0 * (double)(PEAK_COPY_FLOATS * sizeof(float)) / best : 0.0;
}

/* A throughput ratio (AVX-512 over AVX2 flops) above this counts as full
 * rate: about 1.0 when 512-bit FMAs are split, 2.0 when they are not. */
#define PEAK_FULL_RATE_RATIO 1.5

/* Iterations of each short timing loop: 2e5 FMAs, 25-100 us. */
#define PEAK_RATE_ITERS 20000

/* -1: not measured yet */
static atomic_int avx512_full_rate = -1;

static int measure_full_rate(void)
{
    const char *v = getenv("OBN_AVX512_FULL_RATE");
    if (v && (strcmp(v, "0") == 0 || strcmp(v, "1") == 0)) return v[0] == '1';
    if (obn_cpu_detect() < OBN_ISA_AVX512) return 0;
    double best256 = 1e30, best512 = 1e30;
    volatile float sink = 0.0f;
    for (int r = 0; r < 5; r++) { /* interleaved, best of five: the machine may be shared */
        double t0 = seconds();
        sink += obn_peak_fma_avx512(PEAK_RATE_ITERS);
        double t1 = seconds();
        sink += obn_peak_fma_avx2(PEAK_RATE_ITERS);
        double t2 = seconds();
        if (t1 - t0 < best512) best512 = t1 - t0;
        if (t2 - t1 < best256) best256 = t2 - t1;
    }
    (void)sink;
    /* same FMA count, twice the lanes */
    return best512 > 0 && 2.0 * best256 / best512 >= PEAK_FULL_RATE_RATIO;
}

int obn_peak_avx512_full_rate(void)
{
    int f = atomic_load(&avx512_full_rate);
    if (f < 0) {
        f = measure_full_rate();
        atomic_store(&avx512_full_rate, f);
    }
    return f;
}

void obn_peak_force_avx512_full_rate(int full) { atomic_store(&avx512_full_rate, full ? 1 : 0); }
