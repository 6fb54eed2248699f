/* Layer normalisation of x viewed as [rows][len]: each row is normalised by
 * its own mean and population variance (Ba, Kiros & Hinton 2016), then scaled
 * and shifted element-wise: y = (x - mean) / sqrt(var + eps) * scale + bias.
 * Statistics in double; parallel over rows. */
#ifndef OBN_KERNELS_LAYERNORM_H
#define OBN_KERNELS_LAYERNORM_H

#include <stdint.h>

/* scale has len entries (or 1 if scale_step is 0); bias likewise, or NULL.
 * mean / inv_std (may be NULL) receive one value per row. */
void obn_layernorm_f32(const float *x, float *y, int64_t rows, int64_t len, const float *scale, int scale_step,
                       const float *bias, int bias_step, float eps, float *mean, float *inv_std, int threads);

#endif
