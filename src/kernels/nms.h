/* Greedy non-maximum suppression, no ONNX knowledge: boxes are taken in
 * order of decreasing score (equal scores: lower index first), those with a
 * score not above score_threshold (when has_threshold) are skipped, and a box
 * is kept when its intersection over union with every kept box is at most
 * iou_threshold, until max_out are kept. A pair with an empty intersection,
 * an empty box or an empty union never suppresses (the ONNX Runtime rule the
 * ONNX reference follows). */
#ifndef OBN_KERNELS_NMS_H
#define OBN_KERNELS_NMS_H

#include <stdint.h>

/* boxes [n][4] as (y_min, x_min, y_max, x_max); order: scratch of 2 * n
 * indices; keep receives up to max_out box indices. Returns how many. */
int64_t obn_nms_select(const double *boxes, const float *scores, int64_t n, int64_t max_out, double iou_threshold,
                       int has_threshold, double score_threshold, int64_t *order, int64_t *keep);

#endif
