/* Normalisation kernels, no ONNX knowledge: statistics of a row or of a
 * strided set of elements followed by a per-element affine map (instance,
 * group, layer, RMS and mean-variance normalisation), the cross-channel
 * local response normalisation and Lp normalisation along an axis.
 *
 * Statistics are accumulated in double with two passes (the mean, then the
 * squared deviations from it), so a large common offset does not cancel the
 * variance away as E[x^2] - E[x]^2 would. Element arithmetic happens in
 * float (double for double data); float16/bfloat16 are converted on load and
 * store. */
#ifndef OBN_KERNELS_NORMALIZE_H
#define OBN_KERNELS_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

#include "kfmt.h"

typedef enum obn_norm_stat {
    OBN_NORM_STANDARD, /* (x - mean) / sqrt(var + eps) */
    OBN_NORM_RMS,      /* x / sqrt(mean(x^2) + eps) */
} obn_norm_stat;

/* x viewed as [rows][len]. Row r is split into `runs` equal runs of
 * len/runs elements; run j of row r uses parameter p = (r % groups) * runs + j:
 *   y = normalised(x) * scale[p] + bias[p]
 * So runs == 1 gives one parameter per row block (instance normalisation:
 * groups = C), runs == len one per element (layer normalisation: groups = 1).
 * scale/bias (NULL: 1 and 0) are float arrays when compute is OBN_KF32 and
 * double arrays when it is OBN_KF64. mean / inv_std (may be NULL) receive
 * each row's mean (0 for RMS) and 1/sqrt(var + eps) in format stat_fmt. */
typedef struct obn_norm_rows {
    int64_t rows, len, groups, runs;
    obn_norm_stat stat;
    double eps;
    obn_kfmt x_fmt, y_fmt, compute, stat_fmt;
    const void *scale, *bias;
    void *mean, *inv_std;
} obn_norm_rows;

/* Scratch bytes the row kernel needs per thread (0 when x and y are already
 * in the compute format). */
size_t obn_norm_rows_scratch(const obn_norm_rows *d);

/* Runs the normalisation, parallel over rows with at most `threads`
 * threads and no more than scratch_bytes / obn_norm_rows_scratch(d).
 * x and y may alias. Returns -1 (and does nothing) when the scratch is too
 * small for one thread. */
int obn_norm_rows_run(const obn_norm_rows *d, const void *x, void *y, void *scratch, size_t scratch_bytes,
                      int threads);

/* Mean-variance normalisation over any set of axes: every element is
 * mapped to (x - mean) / (sqrt(var) + eps) with the mean and population
 * variance of the elements that share its kept coordinates (reduced[d] != 0
 * marks the axes statistics are taken over). Input and output of format
 * fmt, arithmetic in double accumulators and float (double for OBN_KF64)
 * elements. Parallel over the kept coordinates. */
#define OBN_MVN_MAX_RANK 8
void obn_mvn(const void *x, void *y, obn_kfmt fmt, int rank, const int64_t *dims, const unsigned char *reduced,
             double eps, int threads);

/* Local response normalisation across channels: x as [n][c][s],
 *   y = x / (bias + alpha/size * sum of x^2 over channels [ch-before, ch+after])^beta
 * with the window clipped to [0, c). Float arithmetic (double for
 * OBN_KF64); parallel over batch entries and blocks of the plane. */
typedef struct obn_lrn_desc {
    int64_t n, c, s, size, before, after;
    double alpha, beta, bias;
} obn_lrn_desc;
void obn_lrn(const obn_lrn_desc *d, const void *x, void *y, obn_kfmt fmt, int threads);

/* Lp normalisation (p = 1 or 2) along the middle axis of x viewed as
 * [outer][len][inner]: y = x / ||x||_p, zero where the norm is zero. Norms in
 * double; parallel over outer indices and blocks of inner positions. */
void obn_lpnorm(const void *x, void *y, obn_kfmt fmt, int64_t outer, int64_t len, int64_t inner, int p, int threads);

#endif
