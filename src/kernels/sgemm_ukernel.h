/* Internal to the SGEMM: the micro-kernel contract shared by sgemm.c and the
 * per-ISA files.
 *
 * Packed layout (both for per-call packing and obn_sgemm_pack_*):
 *   op(A): panels of MR rows; panel p holds, for each k, the MR values
 *          op(A)[p*MR + r][k] (r = 0..MR-1) contiguously: [k][MR].
 *   op(B): panels of NR columns; panel q holds [k][NR].
 * Rows/columns past the matrix edge are zero, so a micro-kernel always
 * computes a full MR x NR tile. */
#ifndef OBN_KERNELS_SGEMM_UKERNEL_H
#define OBN_KERNELS_SGEMM_UKERNEL_H

#include <stdint.h>

#include "cpu.h"

/* How a finished MR x NR accumulator tile is written to C:
 *   C = clamp(alpha*acc + beta*C + row_bias[i] + col_bias[j], lo, hi)
 * then, with leaky, C < 0 becomes slope*C.
 * beta == 0: C is not read. Bias pointers are already offset to the tile and
 * hold MR (row) / NR (column) readable entries, or are NULL. */
typedef struct obn_tile_args {
    float alpha, beta;
    const float *row_bias;
    const float *col_bias;
    int clamp;
    float lo, hi;
    int leaky;
    float slope;
} obn_tile_args;

/* acc = sum over kc of a[k][0..MR) (outer) b[k][0..NR), then stored per args
 * into the full MR x NR tile at c (row stride ldc). */
typedef void (*obn_ukernel_fn)(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                               const obn_tile_args *args);

/* out[0..NR) = sum over depth of x[k*xs] * panel[k][0..NR): one packed B
 * panel times a vector (the m == 1 case, where a register tile would be
 * MR-1 rows of padding). */
typedef void (*obn_gemv_panel_fn)(int64_t depth, const float *x, int64_t xs, const float *panel, float *out);

typedef struct obn_sgemm_kernel {
    const char *name;
    obn_isa isa;
    int mr, nr;
    /* Cache blocking (Low et al., "Analytical modeling is enough for
     * high-performance BLIS", TOMS 2016):
     *   kc: a kc x NR micro-panel of B stays in L1 while the MR x kc
     *       micro-panels of A stream past it;
     *   mc: the packed mc x kc block of A stays in L2;
     *   nc: the packed kc x nc block of B stays in (a share of) L3. */
    int64_t kc, mc, nc;
    /* kc when op(B) is pre-packed and op(A) is not (MatMul/Gemm on constant
     * weights); 0 = kc. The packed B panel is contiguous over the full depth,
     * so a deeper block streams it sequentially from L2 and writes each C
     * tile fewer times (K / kc passes over C). */
    int64_t kc_packed_b;
    obn_ukernel_fn ukernel;
    /* optional: the first `rows` (1..MR-1) rows of a full-width tile, the
     * row edge of C (M = 197 leaves one row in a last panel of 14): as
     * ukernel, but only those rows are computed and stored. NULL: the edge
     * tile runs full size into a buffer. */
    void (*ukernel_rows)(int rows, int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                         const obn_tile_args *args);
    /* optional: the raw sums (no tile args) of the first `cols` (1..NR-1)
     * columns of a tile, all MR rows, into acc[MR][NR] (row stride NR;
     * columns >= cols unspecified), at the cost of those columns rather than
     * a full tile's (sgemm_edge_simd.h). NULL: the full kernel into a buffer. */
    void (*ukernel_cols)(int cols, int64_t kc, const float *a, const float *b, float *acc);
    obn_gemv_panel_fn gemv_panel;
} obn_sgemm_kernel;

extern const obn_sgemm_kernel obn_sgemm_kernel_portable;
extern const obn_sgemm_kernel obn_sgemm_kernel_avx2;
extern const obn_sgemm_kernel obn_sgemm_kernel_avx512;

/* Largest MR*NR of any kernel (AVX-512 14x32): sizes edge-tile buffers. */
#define OBN_SGEMM_MAX_TILE (14 * 32)

#endif
