/* Public API of the BatchNormalization backward pass (include/onnxbn.h,
 * "BatchNormalization training"): argument checks, per-channel parameters
 * in double, then the kernels of kernels/batchnorm_grad.h. */
#include <math.h>
#include <omp.h>
#include <stdbool.h>
#include <stdlib.h>

#include "kernels/batchnorm_grad.h"
#include "status.h"
#include "tensor.h"

static bool is_float_type(obn_dtype dt)
{
    return dt == OBN_FLOAT || dt == OBN_DOUBLE || dt == OBN_FLOAT16 || dt == OBN_BFLOAT16;
}

/* X and dY: float/double, same dtype and shape, rank >= 2; the parameters:
 * float types with C elements. */
static obn_status check_args(const char *fn, const obn_tensor *x, const obn_tensor *dy,
                             const obn_tensor *const *params, const char *const *names)
{
    char sx[OBN_SHAPE_STR_CAP], sd[OBN_SHAPE_STR_CAP];
    if (x->dtype != OBN_FLOAT && x->dtype != OBN_DOUBLE)
        return obn_err(OBN_E_UNSUPPORTED, "%s: x has dtype %s; float and double are implemented", fn,
                       obn_dtype_name(x->dtype));
    if (x->rank < 2)
        return obn_err(OBN_E_INVALID_ARGUMENT, "%s: x has shape %s; expected [N, C, ...] of rank >= 2", fn,
                       obn_shape_str(x->rank, x->dims, sx, sizeof sx));
    bool same = dy->dtype == x->dtype && dy->rank == x->rank;
    for (int d = 0; same && d < x->rank; d++) same = dy->dims[d] == x->dims[d];
    if (!same)
        return obn_err(OBN_E_INVALID_ARGUMENT, "%s: dy is %s %s, expected x's %s %s", fn, obn_dtype_name(dy->dtype),
                       obn_shape_str(dy->rank, dy->dims, sd, sizeof sd), obn_dtype_name(x->dtype),
                       obn_shape_str(x->rank, x->dims, sx, sizeof sx));
    if (!x->data || !dy->data) return obn_err(OBN_E_INVALID_ARGUMENT, "%s: x or dy has no data", fn);
    for (int i = 0; i < 3; i++) {
        const obn_tensor *p = params[i];
        if (!is_float_type(p->dtype) || p->numel != x->dims[1] || !p->data)
            return obn_err(OBN_E_INVALID_ARGUMENT, "%s: %s is %s %s; expected a float tensor of C=%lld elements", fn,
                           names[i], obn_dtype_name(p->dtype), obn_shape_str(p->rank, p->dims, sd, sizeof sd),
                           (long long)x->dims[1]);
    }
    return OBN_OK;
}

/* A [C] tensor in dtype dt holding v (double). */
static obn_status channel_tensor(obn_dtype dt, int64_t c, const double *v, obn_tensor **out)
{
    OBN_TRY(obn_tensor_new(dt, 1, &c, out));
    for (int64_t k = 0; k < c; k++) {
        if (dt == OBN_FLOAT) ((float *)(*out)->data)[k] = (float)v[k];
        else ((double *)(*out)->data)[k] = v[k];
    }
    return OBN_OK;
}

/* Runs the kernel with the per-channel scale/mean/inv_std in w[0..3C) and
 * returns the new tensors; w has room for 5C doubles. */
static obn_status backward(const obn_tensor *x, const obn_tensor *dy, double *w, int training, int threads,
                           obn_tensor **dx, obn_tensor **dscale, obn_tensor **dbias)
{
    int64_t n = x->dims[0], c = x->dims[1], s = n > 0 && c > 0 ? x->numel / (n * c) : 0;
    obn_bn_grad_params p = {w, w + c, w + 2 * c, training};
    double *ds = w + 3 * c, *db = w + 4 * c;
    obn_tensor *gx = NULL, *gs = NULL, *gb = NULL;
    obn_status st = obn_tensor_new(x->dtype, x->rank, x->dims, &gx);
    if (st == OBN_OK) {
        if (x->dtype == OBN_FLOAT) obn_bn_backward_f32(x->data, dy->data, n, c, s, &p, gx->data, ds, db, threads);
        else obn_bn_backward_f64(x->data, dy->data, n, c, s, &p, gx->data, ds, db, threads);
        if (dscale) st = channel_tensor(x->dtype, c, ds, &gs);
        if (st == OBN_OK && dbias) st = channel_tensor(x->dtype, c, db, &gb);
    }
    if (st != OBN_OK) {
        obn_tensor_release(gx);
        obn_tensor_release(gs);
        obn_tensor_release(gb);
        return st;
    }
    *dx = gx;
    if (dscale) *dscale = gs;
    if (dbias) *dbias = gb;
    return OBN_OK;
}

/* Common part of both entry points: frozen_eps non-NULL selects the frozen
 * rule (the third parameter is a variance, inv_std = 1/sqrt(var + eps)). */
static obn_status backward_api(const char *fn, const obn_tensor *x, const obn_tensor *scale, const obn_tensor *dy,
                               const obn_tensor *mean, const obn_tensor *third, const double *frozen_eps,
                               int threads, obn_tensor **dx, obn_tensor **dscale, obn_tensor **dbias)
{
    if (dx) *dx = NULL;
    if (dscale) *dscale = NULL;
    if (dbias) *dbias = NULL;
    if (!x || !scale || !dy || !mean || !third || !dx)
        return obn_err(OBN_E_INVALID_ARGUMENT, "%s: NULL argument", fn);
    if (threads < 0) return obn_err(OBN_E_INVALID_ARGUMENT, "%s: threads is %d, expected >= 0", fn, threads);
    const char *names[3] = {"scale", "mean", frozen_eps ? "var" : "inv_std"};
    const obn_tensor *params[3] = {scale, mean, third};
    OBN_TRY(check_args(fn, x, dy, params, names));
    if (frozen_eps && !(isfinite(*frozen_eps) && *frozen_eps >= 0))
        return obn_err(OBN_E_INVALID_ARGUMENT, "%s: epsilon is %g, expected finite and >= 0", fn, *frozen_eps);
    int64_t c = x->dims[1];
    double *w = malloc(5 * (size_t)(c ? c : 1) * sizeof *w);
    if (!w) return OBN_OOM();
    for (int64_t k = 0; k < c; k++) {
        w[k] = obn_load_f64(scale, k);
        w[c + k] = obn_load_f64(mean, k);
        double t = obn_load_f64(third, k);
        if (frozen_eps) {
            if (!(t + *frozen_eps > 0)) {
                free(w);
                return obn_err(OBN_E_INVALID_ARGUMENT, "%s: var[%lld] + epsilon is %g, expected > 0", fn, (long long)k,
                               t + *frozen_eps);
            }
            t = 1.0 / sqrt(t + *frozen_eps);
        }
        w[2 * c + k] = t;
    }
    obn_status st = backward(x, dy, w, frozen_eps == NULL, threads ? threads : omp_get_max_threads(), dx, dscale, dbias);
    free(w);
    return st;
}

obn_status obn_batchnorm_backward(const obn_tensor *x, const obn_tensor *scale, const obn_tensor *dy,
                                  const obn_tensor *saved_mean, const obn_tensor *saved_inv_std, int threads,
                                  obn_tensor **dx, obn_tensor **dscale, obn_tensor **dbias)
{
    return backward_api("obn_batchnorm_backward", x, scale, dy, saved_mean, saved_inv_std, NULL, threads, dx, dscale,
                        dbias);
}

obn_status obn_batchnorm_backward_frozen(const obn_tensor *x, const obn_tensor *scale, const obn_tensor *dy,
                                         const obn_tensor *running_mean, const obn_tensor *running_var,
                                         double epsilon, int threads, obn_tensor **dx, obn_tensor **dscale,
                                         obn_tensor **dbias)
{
    return backward_api("obn_batchnorm_backward_frozen", x, scale, dy, running_mean, running_var, &epsilon, threads,
                        dx, dscale, dbias);
}
