/* The Winograd F(4x4, 3x3) transforms compiled for AVX-512 (this file is
 * built with the AVX-512 flags and only called after src/kernels/cpu.c
 * reports AVX-512): the same source as the portable and AVX2 builds,
 * winograd_tx.h. */
#define OBN_WINO_ISA avx512
#include "winograd_tx.h"
