/* Running sums and products along one axis of x viewed as [outer][n][inner]
 * (CumSum, CumProd). exclusive: element j gets the result of the elements
 * before it (the identity for the first); reverse: runs from the end.
 * Floats accumulate in double; 32/64-bit integers wrap like unsigned
 * arithmetic of their width (the same bits for signed ones). x and y may
 * alias. Parallel over the outer*inner independent vectors. */
#ifndef OBN_KERNELS_CUMULATIVE_H
#define OBN_KERNELS_CUMULATIVE_H

#include <stdbool.h>
#include <stdint.h>

typedef enum obn_cum_type { OBN_CUM_F32, OBN_CUM_F64, OBN_CUM_F16, OBN_CUM_BF16, OBN_CUM_U32, OBN_CUM_U64 } obn_cum_type;

typedef struct obn_cum_params {
    bool product, exclusive, reverse;
} obn_cum_params;

void obn_cumulate(obn_cum_type t, obn_cum_params p, const void *x, void *y, int64_t outer, int64_t n, int64_t inner,
                  int threads);

#endif
