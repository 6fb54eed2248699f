/* The Winograd F(4x4, 3x3) and F(2x2, 3x3) transforms compiled for AVX-512
 * (this file is built with -mavx512f ... and only called after
 * src/kernels/cpu.c reports AVX-512): the same source as the portable and
 * AVX2 builds, winograd_tx.h. Its GEMMs run on the AVX-512 SGEMM
 * micro-kernel (14x32 tiles). */
#define OBN_WINO_ISA avx512
#include "winograd_tx.h"
