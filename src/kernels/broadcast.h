/* Numpy-style broadcasting geometry shared by the element-wise kernels.
 *
 * Inputs are right-aligned against the output shape; every input dimension
 * equals the output's or is 1 (the caller has checked that). Axes of size 1
 * are dropped and neighbouring axes along which every input moves (or stays)
 * alike are merged, so that the innermost axis is one long run over which each
 * input either advances by one element or repeats a single element. */
#ifndef OBN_KERNELS_BROADCAST_H
#define OBN_KERNELS_BROADCAST_H

#include <stdint.h>

#define OBN_BC_MAX_RANK 8
#define OBN_BC_MAX_IN 3

typedef struct obn_bcast {
    int n_in;
    int rank;                                        /* collapsed rank, >= 1 */
    int64_t dims[OBN_BC_MAX_RANK];                   /* collapsed output dims */
    int64_t strides[OBN_BC_MAX_IN][OBN_BC_MAX_RANK]; /* element strides, 0 = repeated */
    int64_t rows;                                    /* product of dims[0 .. rank-1) */
    int64_t inner;                                   /* dims[rank-1] */
    int64_t numel;
} obn_bcast;

/* Builds the geometry of `n_in` inputs (ranks[k], dims[k]) broadcast to
 * out_dims (out_rank <= OBN_BC_MAX_RANK, every input rank <= out_rank). */
void obn_bcast_init(obn_bcast *g, int out_rank, const int64_t *out_dims, int n_in, const int *ranks,
                    const int64_t *const *dims);

/* Element offset of each input at the start of output row `row`. */
static inline void obn_bcast_row(const obn_bcast *g, int64_t row, int64_t *off)
{
    for (int k = 0; k < g->n_in; k++) off[k] = 0;
    for (int d = g->rank - 2; d >= 0 && row > 0; d--) {
        int64_t i = row % g->dims[d];
        row /= g->dims[d];
        for (int k = 0; k < g->n_in; k++) off[k] += i * g->strides[k][d];
    }
}

/* Stride (0 or 1) of input k along the innermost axis. */
static inline int64_t obn_bcast_inner_stride(const obn_bcast *g, int k) { return g->strides[k][g->rank - 1]; }

#endif
