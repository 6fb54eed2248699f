#include "broadcast.h"

void obn_bcast_init(obn_bcast *g, int out_rank, const int64_t *out_dims, int n_in, const int *ranks,
                    const int64_t *const *dims)
{
    /* moves[k]: input k advances along the current merged axis */
    int moves_prev[OBN_BC_MAX_IN] = {0};
    int64_t sizes[OBN_BC_MAX_RANK];
    int moves[OBN_BC_MAX_RANK][OBN_BC_MAX_IN];
    int r = 0;
    int64_t numel = 1;
    g->n_in = n_in;
    for (int d = 0; d < out_rank; d++) {
        int64_t n = out_dims[d];
        numel *= n;
        if (n == 1) continue;
        int cur[OBN_BC_MAX_IN];
        for (int k = 0; k < n_in; k++) {
            int kd = d - (out_rank - ranks[k]);
            cur[k] = kd >= 0 && dims[k][kd] == n;
        }
        int same = r > 0;
        for (int k = 0; same && k < n_in; k++) same = cur[k] == moves_prev[k];
        if (same) {
            sizes[r - 1] *= n;
        } else {
            sizes[r] = n;
            for (int k = 0; k < n_in; k++) moves[r][k] = moves_prev[k] = cur[k];
            r++;
        }
    }
    if (r == 0) { /* every axis has size 1: one element */
        sizes[0] = 1;
        for (int k = 0; k < n_in; k++) moves[0][k] = 0;
        r = 1;
    }
    g->rank = r;
    for (int k = 0; k < n_in; k++) {
        int64_t stride = 1;
        for (int d = r - 1; d >= 0; d--) {
            g->strides[k][d] = moves[d][k] ? stride : 0;
            if (moves[d][k]) stride *= sizes[d];
        }
    }
    g->rows = 1;
    for (int d = 0; d < r; d++) {
        g->dims[d] = sizes[d];
        if (d < r - 1) g->rows *= sizes[d];
    }
    g->inner = sizes[r - 1];
    g->numel = numel;
}
