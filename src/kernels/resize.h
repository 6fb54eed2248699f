/* Separable resampling of dense row-major arrays (nearest, linear, cubic,
 * with optional antialiasing), no ONNX knowledge.
 *
 * Every axis is resampled independently: output index j of an axis reads
 * `taps` input indices with fixed weights, and an N-D output value is the
 * tensor product of the per-axis windows. That equals interpolating along
 * the last axis first and then along each earlier one, so the kernels run
 * one pass per resampled axis (or one fused pass for the last two axes).
 *
 * Coordinates (per axis, output index j, input length L, output length l,
 * scale s, the unrounded output length w = s * L):
 *   half_pixel           x = (j + 0.5) / s - 0.5
 *   half_pixel_symmetric x = L/2 * (1 - l/w) + (j + 0.5) / s - 0.5
 *   pytorch_half_pixel   x = l > 1 ? (j + 0.5) / s - 0.5 : 0
 *   align_corners        x = w == 1 ? 0 : j * (L - 1) / (w - 1)
 *   asymmetric           x = j / s
 *   tf_half_pixel_for_nn x = (j + 0.5) / s
 *   tf_crop_and_resize   x = w == 1 ? (b + e) / 2 * (L - 1)
 *                               : b * (L - 1) + j * (e - b) * (L - 1) / (w - 1)
 *                        for the crop [b, e]; x outside [0, L - 1] gives the
 *                        fill value.
 * Windows: n taps (1 nearest, 2 linear, 4 cubic; more with antialiasing when
 * s < 1) at consecutive indices around x: with f = floor(x) and r = x - f
 * (f = x - 1 and r = 1 when x is an integer, so the sample on the left of x
 * is preferred), the window starts at f - n/2 + 1, shifted so that it stays
 * within n/2 positions of the data; indices outside the data read the edge
 * value. Weights as the ONNX Resize reference: linear (1 - r, r); cubic with
 * coefficient a (Keys 1981, eq. 4); antialiased linear/cubic evaluate the
 * kernel at s * (i - r) and normalise. Nearest picks f or f + 1 by the
 * rounding rule. exclude_outside zeroes the weights of indices outside the
 * data and renormalises. */
#ifndef OBN_KERNELS_RESIZE_H
#define OBN_KERNELS_RESIZE_H

#include <stddef.h>
#include <stdint.h>

#define OBN_RESIZE_MAX_RANK 16

typedef enum obn_resize_mode { OBN_RESIZE_NEAREST, OBN_RESIZE_LINEAR, OBN_RESIZE_CUBIC } obn_resize_mode;

typedef enum obn_resize_coord {
    OBN_COORD_HALF_PIXEL,
    OBN_COORD_HALF_PIXEL_SYMMETRIC,
    OBN_COORD_PYTORCH_HALF_PIXEL,
    OBN_COORD_ALIGN_CORNERS,
    OBN_COORD_ASYMMETRIC,
    OBN_COORD_TF_HALF_PIXEL_FOR_NN,
    OBN_COORD_TF_CROP_AND_RESIZE
} obn_resize_coord;

typedef enum obn_resize_rounding {
    OBN_ROUND_PREFER_FLOOR, /* round half down */
    OBN_ROUND_PREFER_CEIL,  /* round half up */
    OBN_ROUND_FLOOR,
    OBN_ROUND_CEIL
} obn_resize_rounding;

typedef struct obn_resize_method {
    obn_resize_mode mode;
    obn_resize_coord coord;
    obn_resize_rounding rounding; /* nearest only */
    double cubic_a;               /* cubic only */
    int exclude_outside;          /* linear/cubic */
    int antialias;                /* linear/cubic, applies when s < 1 */
} obn_resize_method;

/* One axis: input length, output length, scale s, the unrounded output
 * length w, and the crop [roi_start, roi_end] for tf_crop_and_resize. */
typedef struct obn_resize_geometry {
    int64_t in_len, out_len;
    double scale, out_width;
    double roi_start, roi_end;
} obn_resize_geometry;

/* The sampling table of one axis. */
typedef struct obn_resize_axis {
    int64_t in_len, out_len;
    int64_t taps;           /* input samples per output index; 1 is a gather */
    int64_t *index;         /* [out_len][taps], in [0, in_len) */
    double *weight;         /* [out_len][taps] */
    float *weight_f32;      /* the same weights in float */
    unsigned char *outside; /* [out_len] nonzero: the output takes the fill value */
    int any_outside;
    int identity;           /* out_len == in_len and output j reads input j alone */
} obn_resize_axis;

/* Taps of an axis with scale `scale` before the table is simplified (the
 * size of the table's arrays: out_len * taps entries), or -1 when the
 * antialiasing window would exceed `max_taps`. */
int64_t obn_resize_taps(const obn_resize_method *m, double scale, int64_t max_taps);

/* Fills t (its arrays sized for out_len * obn_resize_taps(...) entries and
 * out_len flags) for geometry g. When every output index ends up with a
 * single sample of weight 1 (nearest, or an axis kept as it is) t->taps
 * becomes 1. */
void obn_resize_build_axis(const obn_resize_method *m, const obn_resize_geometry *g, obn_resize_axis *t);

/* The resampling as executed: the per-axis tables of a rank-`rank` array
 * and the order of the passes. */
typedef struct obn_resize_plan {
    int rank;
    const obn_resize_axis *axes;
    int n_passes;                /* resampled axes (identity axes skipped) */
    int order[OBN_RESIZE_MAX_RANK]; /* axis of each pass */
    int fused_2d;                /* float: the last two axes in one pass, the rest identity */
    int gather;                  /* every axis has one tap: an element copy */
} obn_resize_plan;

/* Orders the passes (shrinking axes first, so later passes touch less data)
 * and picks the kernel. rank <= OBN_RESIZE_MAX_RANK. */
void obn_resize_plan_init(obn_resize_plan *p, int rank, const obn_resize_axis *axes);

/* Scratch bytes for run_f32/run_f64 (intermediate arrays of the passes). */
size_t obn_resize_workspace(const obn_resize_plan *p, size_t elem_size);

/* x (input dims = in_len of each axis) -> y (out_len of each); positions
 * outside a tf_crop_and_resize crop are set to `fill`. Parallel over
 * independent output rows with up to `threads` threads. */
void obn_resize_f32(const obn_resize_plan *p, const float *x, float *y, float fill, void *workspace, int threads);
void obn_resize_f64(const obn_resize_plan *p, const double *x, double *y, double fill, void *workspace,
                    int threads);

/* A plan with p->gather set, for elements of any size: y takes the input
 * element each output position samples; outside positions take the
 * elem_size bytes at `fill`. */
void obn_resize_gather(const obn_resize_plan *p, const void *x, void *y, size_t elem_size, const void *fill,
                       int threads);

#endif
