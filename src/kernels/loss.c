#include "loss.h"

static int64_t target_at(const obn_nll_args *a, int64_t i)
{
    return a->target64 ? ((const int64_t *)a->target)[i] : ((const int32_t *)a->target)[i];
}

static bool ignored(const obn_nll_args *a, int64_t t)
{
    return a->has_ignore && t == a->ignore_index;
}

int64_t obn_nll(const obn_nll_args *a, double *sum, double *wsum)
{
    int64_t samples = a->n * a->d;
    /* targets first, so a bad one leaves the outputs untouched */
    for (int64_t i = 0; i < samples; i++) {
        int64_t t = target_at(a, i);
        if (!ignored(a, t) && (t < 0 || t >= a->c)) return i;
    }
    double s = 0, ws = 0;
    for (int64_t i = 0; i < samples; i++) {
        int64_t t = target_at(a, i), nn = i / a->d, dd = i % a->d;
        double l = 0;
        if (!ignored(a, t)) {
            double w = a->weight ? obn_kload(a->weight, a->w_fmt, t) : 1.0;
            l = -obn_kload(a->lp, a->lp_fmt, (nn * a->c + t) * a->d + dd) * w;
            s += l;
            ws += w;
        }
        if (a->loss) obn_kstore(a->loss, a->loss_fmt, i, l);
    }
    *sum = s;
    *wsum = ws;
    return -1;
}
