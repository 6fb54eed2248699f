#include "nms.h"
#include "kstop.h"

#include <math.h>

static int suppresses(const double *a, const double *b, double iou_threshold)
{
    double ih = fmin(a[2], b[2]) - fmax(a[0], b[0]), iw = fmin(a[3], b[3]) - fmax(a[1], b[1]);
    double inter = fmax(ih, 0) * fmax(iw, 0);
    if (inter <= 0) return 0;
    double area_a = (a[2] - a[0]) * (a[3] - a[1]), area_b = (b[2] - b[0]) * (b[3] - b[1]);
    double uni = area_a + area_b - inter;
    if (area_a <= 0 || area_b <= 0 || uni <= 0) return 0;
    return inter / uni > iou_threshold;
}

/* Merge sort of indices by decreasing score, stable (ties keep index order). */
static void sort_by_score(int64_t *idx, int64_t *tmp, int64_t n, const float *scores)
{
    for (int64_t width = 1; width < n; width *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * width) {
            int64_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            int64_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) tmp[k++] = scores[idx[j]] > scores[idx[i]] ? idx[j++] : idx[i++];
            while (i < mid) tmp[k++] = idx[i++];
            while (j < hi) tmp[k++] = idx[j++];
        }
        for (int64_t i = 0; i < n; i++) idx[i] = tmp[i];
    }
}

int64_t obn_nms_select(const double *boxes, const float *scores, int64_t n, int64_t max_out, double iou_threshold,
                       int has_threshold, double score_threshold, int64_t *order, int64_t *keep)
{
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (!has_threshold || scores[i] > score_threshold) order[m++] = i;
    sort_by_score(order, order + n, m, scores);
    int64_t kept = 0;
    const obn_kstop *stop = obn_kstop_get();
    for (int64_t c = 0; c < m && kept < max_out; c++) {
        if (c % 256 == 0 && obn_kstop_hit(stop)) break;
        const double *box = boxes + 4 * order[c];
        int ok = 1;
        for (int64_t k = 0; k < kept && ok; k++) ok = !suppresses(box, boxes + 4 * keep[k], iou_threshold);
        if (ok) keep[kept++] = order[c];
    }
    return kept;
}
