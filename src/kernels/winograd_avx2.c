/* The Winograd F(4x4, 3x3) transforms compiled for AVX2 + FMA (this file
 * is built with -mavx2 -mfma and only called after src/kernels/cpu.c
 * reports AVX2): the same source as the portable and AVX-512 builds,
 * winograd_tx.h. */
#define OBN_WINO_ISA avx2
#include "winograd_tx.h"
