/* What this machine can do, measured: the single-thread FMA peak of an ISA
 * level and the copy bandwidth. For the profile report (OBN_PROFILE), so
 * that each node's GFLOP/s or GB/s can be read against the machine's own
 * limits. Each measurement takes about 20-50 ms. No ONNX knowledge here. */
#ifndef OBN_KERNELS_PEAK_H
#define OBN_KERNELS_PEAK_H

#include "cpu.h"

/* Floating-point operations per second (an FMA counts 2) of one thread
 * running independent FMA chains in registers at the given level. */
double obn_peak_fma_flops(obn_isa isa);

/* Bytes per second one thread copies between two buffers far larger than
 * the caches (read + write counted once each, as a node's inputs and
 * outputs are). */
double obn_peak_copy_bytes(void);

/* Whether a 512-bit FMA runs at the rate of a 256-bit one (two per cycle on
 * Zen 5 and two-FMA-unit Intel server cores: AVX-512 doubles the FMA
 * throughput of AVX2) rather than being split in two halves (Zen 4: equal
 * throughput). Kernel choices that trade padding for width depend on it.
 * Measured once per process on first use (about 0.2 ms: short FMA loops
 * of both widths, best of five); 0 when the CPU has no AVX-512. The
 * environment variable OBN_AVX512_FULL_RATE=0|1 overrides the measurement. */
int obn_peak_avx512_full_rate(void);

/* Sets what obn_peak_avx512_full_rate answers (0 or 1) for the whole
 * process, as if measured: the tests use it to run both kernel choices. */
void obn_peak_force_avx512_full_rate(int full);

#endif
