/* The negative log-likelihood of classification losses: log-probabilities
 * lp viewed as [n][c][d] (class axis in the middle, d = product of the
 * trailing dims, 1 for a 2-D input) and one target class per (n, d). */
#ifndef OBN_KERNELS_LOSS_H
#define OBN_KERNELS_LOSS_H

#include <stdbool.h>
#include <stdint.h>

#include "kfmt.h"

typedef struct obn_nll_args {
    int64_t n, c, d;
    const void *lp;         /* [n][c][d] log-probabilities, format lp_fmt */
    obn_kfmt lp_fmt;
    const void *target;     /* [n][d] classes, int64 if target64 else int32 */
    bool target64;
    const void *weight;     /* [c] class weights (format w_fmt) or NULL: all 1 */
    obn_kfmt w_fmt;
    bool has_ignore;        /* a target equal to ignore_index counts as 0 loss, 0 weight */
    int64_t ignore_index;
    void *loss;             /* [n][d] per-sample losses (format loss_fmt), or NULL */
    obn_kfmt loss_fmt;
} obn_nll_args;

/* loss[n][d] = -lp[n][t][d] * weight[t] for t = target[n][d], 0 where t is
 * ignored. Accumulates in double: *sum = sum of the losses, *wsum = sum of
 * the weights of the counted samples (their count without weights). Returns
 * the flat index of the first target outside [0, c) that is not ignored
 * (nothing is written then), or -1. */
int64_t obn_nll(const obn_nll_args *a, double *sum, double *wsum);

#endif
