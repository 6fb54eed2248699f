#include "fft.h"
#include "kstop.h"

#include <math.h>
#include <string.h>

#define FFT_MAX_FACTORS 64

typedef struct {
    int64_t n;
    int nf;
    int64_t fct[FFT_MAX_FACTORS];
    size_t tw[FFT_MAX_FACTORS], cs[FFT_MAX_FACTORS]; /* element offsets into the plan's data */
} fft_plan;

/* n = product of the factors: one 2 first when n holds an odd power of two,
 * then the 4s, then the odd primes in increasing order. */
static void fft_factorize(fft_plan *p, int64_t n)
{
    p->n = n;
    p->nf = 0;
    int64_t rem = n;
    int twos = 0;
    while (rem % 2 == 0) {
        rem /= 2;
        twos++;
    }
    if (twos % 2) p->fct[p->nf++] = 2;
    for (int i = 0; i < twos / 2; i++) p->fct[p->nf++] = 4;
    for (int64_t d = 3; d * d <= rem; d += 2)
        while (rem % d == 0) {
            p->fct[p->nf++] = d;
            rem /= d;
        }
    if (rem > 1) p->fct[p->nf++] = rem;
}

/* cos, sin of 2 pi k / n, k in [0, n), exactly symmetric: the angle is
 * reduced to the first half turn, so that the roots k and n-k are exact
 * conjugates. */
static void fft_unit_root(int64_t k, int64_t n, double *c, double *s)
{
    const double two_pi = 6.283185307179586476925286766559;
    int flip = 2 * k > n;
    if (flip) k = n - k;
    double a = two_pi * (double)k / (double)n;
    *c = cos(a);
    *s = flip ? -sin(a) : sin(a);
}

#define FT double
#define FS f64
#include "fft_tmpl.h"
#undef FT
#undef FS

#define FT float
#define FS f32
#include "fft_tmpl.h"
#undef FT
#undef FS
