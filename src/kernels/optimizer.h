/* One step of the stochastic-gradient optimizers of ONNX's training domain
 * (Momentum, Adagrad, Adam) on n elements of float or double (format f),
 * computed in double. Each output element depends only on the same element
 * of the inputs, so outputs may alias inputs. The scalar factors that depend
 * on the step count (the adjusted learning rate, the first step's beta) are
 * the caller's. */
#ifndef OBN_KERNELS_OPTIMIZER_H
#define OBN_KERNELS_OPTIMIZER_H

#include <stdbool.h>
#include <stdint.h>

#include "kfmt.h"

/* g' = norm*x + g; v_new = alpha*v + beta*g';
 * x_new = x - r*v_new, or x - r*(g' + alpha*v_new) when nesterov. */
typedef struct obn_momentum_step {
    double r, norm, alpha, beta;
    bool nesterov;
} obn_momentum_step;
void obn_momentum(const obn_momentum_step *s, obn_kfmt f, int64_t n, const void *x, const void *g, const void *v,
                  void *x_new, void *v_new, int threads);

/* g' = norm*x + g; h_new = h + g'^2; x_new = x - r*g' / (sqrt(h_new) + eps). */
typedef struct obn_adagrad_step {
    double r, norm, eps;
} obn_adagrad_step;
void obn_adagrad(const obn_adagrad_step *s, obn_kfmt f, int64_t n, const void *x, const void *g, const void *h,
                 void *x_new, void *h_new, int threads);

/* g' = norm*x + g; v_new = alpha*v + (1-alpha)*g'; h_new = beta*h + (1-beta)*g'^2;
 * x_new = (1 - norm_post) * (x - r*v_new / (sqrt(h_new) + eps)). */
typedef struct obn_adam_step {
    double r, norm, alpha, beta, eps, norm_post;
} obn_adam_step;
void obn_adam(const obn_adam_step *s, obn_kfmt f, int64_t n, const void *x, const void *g, const void *v,
              const void *h, void *x_new, void *v_new, void *h_new, int threads);

#endif
