#include "linalg.h"

#include <math.h>

double obn_det_f64(double *a, int64_t n)
{
    double det = 1.0;
    for (int64_t c = 0; c < n; c++) {
        int64_t p = c; /* the largest pivot candidate keeps the elimination stable */
        for (int64_t r = c + 1; r < n; r++)
            if (fabs(a[r * n + c]) > fabs(a[p * n + c])) p = r;
        double pivot = a[p * n + c];
        if (pivot == 0.0) return 0.0 * det; /* singular (keeps the sign of a signed zero and NaN) */
        if (p != c) {
            for (int64_t j = c; j < n; j++) {
                double t = a[c * n + j];
                a[c * n + j] = a[p * n + j];
                a[p * n + j] = t;
            }
            det = -det;
        }
        det *= pivot;
        for (int64_t r = c + 1; r < n; r++) {
            double f = a[r * n + c] / pivot;
            for (int64_t j = c + 1; j < n; j++) a[r * n + j] -= f * a[c * n + j];
        }
    }
    return det;
}
