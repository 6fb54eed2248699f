/* RoIAlign (Mask R-CNN), no ONNX knowledge: each region [x1, y1, x2, y2]
 * (times spatial_scale, minus 0.5 with half_pixel) of image batch[r] is
 * divided into out_h x out_w bins; each bin averages (or takes the maximum
 * of) a grid of bilinear samples, sampling_ratio per side or, when 0,
 * ceil(region size / bins). As Detectron/ONNX Runtime (and the ONNX
 * reference): without half_pixel a region is at least 1 x 1; a sample more
 * than one pixel outside the image is 0, others are clamped to the edge;
 * max takes the largest of the four weighted corner values of each sample.
 * x [n, c, h, w], y [num_rois, c, out_h, out_w]. */
#ifndef OBN_KERNELS_ROI_ALIGN_H
#define OBN_KERNELS_ROI_ALIGN_H

#include <stdint.h>

typedef struct obn_roi_align_shape {
    int64_t n, c, h, w, out_h, out_w, sampling_ratio;
    double spatial_scale;
    int half_pixel, max_mode;
} obn_roi_align_shape;

/* The first region whose coordinates are not finite or whose sample grid
 * has more than max_samples points per bin; -1 when there is none. The
 * kernels need every region to pass. */
int64_t obn_roi_align_bad_roi(const obn_roi_align_shape *s, const double *rois, int64_t num_rois, double max_samples);

/* rois [num_rois][4] in double; batch[r] in [0, n). Parallel over
 * (roi, channel) planes. */
void obn_roi_align_f32(const obn_roi_align_shape *s, const float *x, const double *rois, const int64_t *batch,
                       int64_t num_rois, float *y, int threads);
void obn_roi_align_f64(const obn_roi_align_shape *s, const double *x, const double *rois, const int64_t *batch,
                       int64_t num_rois, double *y, int threads);

#endif
