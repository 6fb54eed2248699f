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

#endif
