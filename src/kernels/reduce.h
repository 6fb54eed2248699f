/* Reductions over any set of axes. x has `rank` dims; reduced[d] != 0 marks
 * the axes reduced away; y holds the kept axes in order (keepdims does not
 * change the layout). Accumulates in double; parallel over the outputs. */
#ifndef OBN_KERNELS_REDUCE_H
#define OBN_KERNELS_REDUCE_H

#include <stdint.h>

typedef enum obn_redop {
    OBN_RED_SUM,
    OBN_RED_MEAN,
    OBN_RED_MAX,
    OBN_RED_MIN,
    OBN_RED_PROD,
    OBN_RED_SUMSQ,
    OBN_RED_L1,
    OBN_RED_L2,
    OBN_RED_LOGSUM,
    OBN_RED_LOGSUMEXP /* log(sum(exp(x - max))) + max */
} obn_redop;

#define OBN_RED_MAX_RANK 8

/* An empty reduction gives the operation's identity (0 for sums, 1 for
 * products, -inf/+inf for max/min, -inf for the logs, NaN for the mean). */
void obn_reduce_f32(obn_redop op, const float *x, float *y, int rank, const int64_t *dims,
                    const unsigned char *reduced, int threads);
void obn_reduce_f64(obn_redop op, const double *x, double *y, int rank, const int64_t *dims,
                    const unsigned char *reduced, int threads);

#endif
