/* What Conv, ConvInteger, QLinearConv and ConvTranspose share: their common attributes and the checks
 * of those attributes and of W against X, and the part of the kernel's shape
 * description they fill the same way. X is input 0; W is input w_in (1, QLinearConv: 3). */
#ifndef OBN_OPS_CONV_COMMON_H
#define OBN_OPS_CONV_COMMON_H

#include "kernels/conv.h"
#include "op_util.h"

typedef struct {
    int64_t kernel_shape[OBN_CONV_MAX_DIMS], strides[OBN_CONV_MAX_DIMS], dilations[OBN_CONV_MAX_DIMS];
    int64_t pads[2 * OBN_CONV_MAX_DIMS];
    size_t n_kernel_shape, n_strides, n_dilations, n_pads;
    int64_t group;
    obn_auto_pad auto_pad;
} obn_conv_attrs;

/* Reads kernel_shape, strides, dilations, pads, group and auto_pad and
 * checks their ranges (sizes >= 1, pads >= 0, group >= 1, pads not together
 * with an auto_pad other than NOTSET). */
obn_status obn_conv_attrs_parse(const obn_node *n, obn_conv_attrs *a);

/* X of one of the `allowed` dtypes (OBN_UNDEFINED-terminated), W and B
 * (when given) of the same, X of rank 3 to 2 + OBN_CONV_MAX_DIMS: *nd
 * spatial axes. */
obn_status obn_conv_check_types(const obn_op_ctx *ctx, const obn_dtype *allowed, int *nd);

/* Attribute `name` must have `want` values or be absent (X has nd spatial
 * axes). */
obn_status obn_conv_check_len(const obn_op_ctx *ctx, const char *name, size_t have, int want, int nd);

/* The common attributes' lengths against nd; W's rank against X's;
 * kernel_shape against W's kernel sizes, which must be >= 1. */
obn_status obn_conv_check_common(const obn_op_ctx *ctx, const obn_conv_attrs *a, int w_in, int nd);

/* Fills nd, batch, in_channels, groups and per axis in, kernel, stride and
 * dilation of *s (zeroing the rest) from X, W and the attributes; after
 * obn_conv_check_common. */
void obn_conv_shape_common(const obn_op_ctx *ctx, const obn_conv_attrs *a, int w_in, int nd, obn_conv_shape *s);

/* The whole forward (Conv, ConvInteger, QLinearConv) geometry: the checks
 * above, C = W.shape[1] * group, M divisible by group, and every output
 * size and leading pad (auto_pad included). W is input w_in, X input 0. */
obn_status obn_conv_forward_shape(const obn_op_ctx *ctx, const obn_conv_attrs *a, int w_in, int nd,
                                  obn_conv_shape *s);

/* Images per kernel call for a node doing `macs_per_image` multiply-adds
 * per image: the whole batch when that is cheap, else batches of about
 * OBN_CONV_CHUNK_MACS multiply-adds (one image at least), so that the op can
 * check for cancellation between calls (obn_op_check_cancel). */
/* 2^29: about 4 ms of one core at 250 GFLOP/s. Each call streams the
 * packed weights again (ResNet-50's 3x3 Winograd weights at 512 channels:
 * 38 MiB), so calls of one image each (2^26, the earlier figure) made a
 * batch of 8 read them 8 times. */
#define OBN_CONV_CHUNK_MACS ((double)(1 << 29))
int64_t obn_conv_images_per_call(int64_t batch, double macs_per_image);

/* Declares Y [batch, out_channels, out...] of X's dtype. */
obn_status obn_conv_set_output(obn_op_ctx *ctx, const obn_conv_shape *s);

#endif
