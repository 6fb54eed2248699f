/* Max and average pooling over N*C planes of 1, 2 or 3 spatial dims. A
 * geometry of fewer dims is expressed as 3-D with leading unit dims (size 1,
 * kernel 1, stride 1, no padding). Parallel over the planes. */
#ifndef OBN_KERNELS_POOL_H
#define OBN_KERNELS_POOL_H

#include <stdint.h>

typedef struct obn_pool_geom {
    int64_t planes;                 /* N*C */
    int64_t in[3], out[3];
    int64_t kernel[3], stride[3], dilation[3];
    int64_t pad_begin[3], pad_end[3];
} obn_pool_geom;

/* Maximum over the window elements inside the input (padding never wins).
 * indices (may be NULL): flat input index of each maximum, the spatial part
 * row-major, or column-major (first spatial dim fastest) if col_major.
 * A window with no element inside the input yields -inf (lowest for ints). */
void obn_maxpool_f32(const obn_pool_geom *g, const float *x, float *y, int64_t *indices, int col_major, int threads);
void obn_maxpool_f64(const obn_pool_geom *g, const double *x, double *y, int64_t *indices, int col_major, int threads);
void obn_maxpool_i8(const obn_pool_geom *g, const int8_t *x, int8_t *y, int64_t *indices, int col_major, int threads);
void obn_maxpool_u8(const obn_pool_geom *g, const uint8_t *x, uint8_t *y, int64_t *indices, int col_major, int threads);

/* Mean over the window. The divisor counts the elements inside the input,
 * or with count_include_pad also those in the explicit padding (but never
 * the overhang a ceil-mode window may have past the padding). */
void obn_avgpool_f32(const obn_pool_geom *g, const float *x, float *y, int count_include_pad, int threads);
void obn_avgpool_f64(const obn_pool_geom *g, const double *x, double *y, int count_include_pad, int threads);

/* Lp norm over the window, (sum |x|^p)^(1/p), accumulated in double; taps
 * in the padding add nothing (they are zeros). A window with no element
 * inside the input yields 0. */
void obn_lppool_f32(const obn_pool_geom *g, const float *x, float *y, double p, int threads);
void obn_lppool_f64(const obn_pool_geom *g, const double *x, double *y, double p, int threads);

/* Global pooling: one value per plane of `size` elements. */
void obn_global_avgpool_f32(const float *x, float *y, int64_t planes, int64_t size, int threads);
void obn_global_maxpool_f32(const float *x, float *y, int64_t planes, int64_t size, int threads);

#endif
