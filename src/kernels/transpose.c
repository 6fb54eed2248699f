#include "transpose.h"

#include <string.h>

#include "cpu.h"
#include "transpose_simd.h"

#define R OBN_TRANSPOSE_MAX_RANK

/* Square tiles of 32 x 32 elements: at 8 bytes per element the tile's 32
 * input rows (each a cache line or more) and its 8 KiB of output stay in a
 * 32 KiB L1 while the tile is copied. */
#define TILE 32

/* Copies below this many bytes run on one thread (a parallel region costs a
 * few microseconds, about what it takes to copy 256 KiB). */
#define OBN_TRANSPOSE_PARALLEL_MIN ((int64_t)256 << 10)

/* The permutation as a walk over y: output dims with the input element
 * stride of each, after dropping size-1 axes and merging output-adjacent axes
 * that are also adjacent in x (so e.g. [0,2,3,1] on NCHW becomes a 2-D
 * transpose of (C) x (H*W) per image). */
typedef struct {
    int rank;
    int64_t dims[R];
    int64_t stride[R];
    int64_t numel;
} walk;

static void simplify(int rank, const int64_t *dims, const int *perm, walk *w)
{
    int64_t in_stride[R], s = 1;
    for (int d = rank - 1; d >= 0; d--) {
        in_stride[d] = s;
        s *= dims[d];
    }
    w->rank = 0;
    w->numel = s;
    for (int i = 0; i < rank; i++) {
        int64_t od = dims[perm[i]], st = in_stride[perm[i]];
        if (od == 1) continue;
        if (w->rank > 0 && w->stride[w->rank - 1] == st * od) {
            w->dims[w->rank - 1] *= od;
            w->stride[w->rank - 1] = st;
            continue;
        }
        w->dims[w->rank] = od;
        w->stride[w->rank] = st;
        w->rank++;
    }
}

/* Input offset of the start of outer block `u` (index over dims[0..n)). */
static int64_t outer_offset(const walk *w, int n, int64_t u)
{
    int64_t off = 0;
    for (int d = n - 1; d >= 0; d--) {
        off += (u % w->dims[d]) * w->stride[d];
        u /= w->dims[d];
    }
    return off;
}

#define COPY_TILE(T)                                                                   \
    do {                                                                               \
        const T *xs = (const T *)x;                                                    \
        T *ys = (T *)y;                                                                \
        for (int64_t r = r0; r < r1; r++)                                              \
            for (int64_t c = c0; c < c1; c++) ys[yo + r * cols + c] = xs[xo + r * rs + c * cs]; \
    } while (0)

/* One tile of the innermost 2-D transpose: output rows [r0, r1), columns
 * [c0, c1) of the block starting at x offset xo / y offset yo. */
static void copy_tile(const void *x, void *y, size_t elem, int64_t xo, int64_t yo, int64_t cols, int64_t rs,
                      int64_t cs, int64_t r0, int64_t r1, int64_t c0, int64_t c1)
{
    switch (elem) {
    case 1: COPY_TILE(uint8_t); break;
    case 2: COPY_TILE(uint16_t); break;
    case 4: COPY_TILE(uint32_t); break;
    case 8: COPY_TILE(uint64_t); break;
    default:
        for (int64_t r = r0; r < r1; r++)
            for (int64_t c = c0; c < c1; c++)
                memcpy((char *)y + (size_t)(yo + r * cols + c) * elem,
                       (const char *)x + (size_t)(xo + r * rs + c * cs) * elem, elem);
    }
}

/* Last output axis is contiguous in x too: copy runs. */
static void copy_runs(const walk *w, const void *x, void *y, size_t elem, int nth)
{
    int64_t run = w->dims[w->rank - 1], units = w->numel / run;
#pragma omp parallel for schedule(static) num_threads(nth) if (nth > 1)
    for (int64_t u = 0; u < units; u++)
        memcpy((char *)y + (size_t)(u * run) * elem, (const char *)x + (size_t)outer_offset(w, w->rank - 1, u) * elem,
               (size_t)run * elem);
}

/* General case: tiles over the last two output axes. 4-byte elements whose
 * output rows are contiguous in x (rs == 1: a plain 2-D transpose, such as
 * NCHW <-> NHWC) take the AVX2 8 x 8 register blocks where the CPU has them. */
static void copy_tiled(const walk *w, const void *x, void *y, size_t elem, int nth)
{
    int64_t rows = w->dims[w->rank - 2], cols = w->dims[w->rank - 1];
    int64_t rs = w->stride[w->rank - 2], cs = w->stride[w->rank - 1];
    const int simd = elem == 4 && rs == 1 && obn_cpu_isa() >= OBN_ISA_AVX2;
    int64_t rtiles = (rows + TILE - 1) / TILE, units = w->numel / (rows * cols) * rtiles;
#pragma omp parallel for schedule(static) num_threads(nth) if (nth > 1)
    for (int64_t u = 0; u < units; u++) {
        int64_t o = u / rtiles, r0 = u % rtiles * TILE, r1 = r0 + TILE < rows ? r0 + TILE : rows;
        int64_t xo = outer_offset(w, w->rank - 2, o), yo = o * rows * cols;
        for (int64_t c0 = 0; c0 < cols; c0 += TILE) {
            int64_t c1 = c0 + TILE < cols ? c0 + TILE : cols;
            if (simd)
                obn_transpose32_2d_avx2((const uint32_t *)x + xo + r0 + c0 * cs, cs, (uint32_t *)y + yo + r0 * cols + c0,
                                        cols, r1 - r0, c1 - c0);
            else
                copy_tile(x, y, elem, xo, yo, cols, rs, cs, r0, r1, c0, c1);
        }
    }
}

void obn_transpose(const void *x, void *y, size_t elem_size, int rank, const int64_t *dims, const int *perm,
                   int threads)
{
    walk w;
    simplify(rank, dims, perm, &w);
    if (w.numel == 0) return;
    int nth = threads > 1 && (double)w.numel * (double)elem_size >= (double)OBN_TRANSPOSE_PARALLEL_MIN ? threads : 1;
    if (w.rank <= 1) {
        memcpy(y, x, (size_t)w.numel * elem_size);
    } else if (w.stride[w.rank - 1] == 1) {
        copy_runs(&w, x, y, elem_size, nth);
    } else {
        copy_tiled(&w, x, y, elem_size, nth);
    }
}
