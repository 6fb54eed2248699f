#include "optimizer.h"

#include <math.h>

/* Below this many elements a step is not worth starting threads for. */
#define OPT_PARALLEL_MIN 16384

void obn_momentum(const obn_momentum_step *s, obn_kfmt f, int64_t n, const void *x, const void *g, const void *v,
                  void *x_new, void *v_new, int threads)
{
#pragma omp parallel for schedule(static) num_threads(threads) if (n >= OPT_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) {
        double xi = obn_kload(x, f, i), gr = s->norm * xi + obn_kload(g, f, i);
        double vn = s->alpha * obn_kload(v, f, i) + s->beta * gr;
        double xn = xi - s->r * (s->nesterov ? gr + s->alpha * vn : vn);
        obn_kstore(v_new, f, i, vn);
        obn_kstore(x_new, f, i, xn);
    }
}

void obn_adagrad(const obn_adagrad_step *s, obn_kfmt f, int64_t n, const void *x, const void *g, const void *h,
                 void *x_new, void *h_new, int threads)
{
#pragma omp parallel for schedule(static) num_threads(threads) if (n >= OPT_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) {
        double xi = obn_kload(x, f, i), gr = s->norm * xi + obn_kload(g, f, i);
        double hn = obn_kload(h, f, i) + gr * gr;
        double xn = xi - s->r * gr / (sqrt(hn) + s->eps);
        obn_kstore(h_new, f, i, hn);
        obn_kstore(x_new, f, i, xn);
    }
}

void obn_adam(const obn_adam_step *s, obn_kfmt f, int64_t n, const void *x, const void *g, const void *v,
              const void *h, void *x_new, void *v_new, void *h_new, int threads)
{
#pragma omp parallel for schedule(static) num_threads(threads) if (n >= OPT_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) {
        double xi = obn_kload(x, f, i), gr = s->norm * xi + obn_kload(g, f, i);
        double vn = s->alpha * obn_kload(v, f, i) + (1 - s->alpha) * gr;
        double hn = s->beta * obn_kload(h, f, i) + (1 - s->beta) * gr * gr;
        double xn = (1 - s->norm_post) * (xi - s->r * vn / (sqrt(hn) + s->eps));
        obn_kstore(v_new, f, i, vn);
        obn_kstore(h_new, f, i, hn);
        obn_kstore(x_new, f, i, xn);
    }
}
