#include "fft.h"
#include "kstop.h"

#include <math.h>

void obn_fft_twiddles(double *tw, int64_t n)
{
    const double two_pi = 6.283185307179586476925286766559;
    for (int64_t k = 0; k < n; k++) {
        double a = two_pi * (double)k / (double)n;
        tw[2 * k] = cos(a);
        tw[2 * k + 1] = sin(a);
    }
}

/* Direct sum; the angle index j*k is reduced mod n exactly in integers. */
static void dft_direct(const double *in, double *out, int64_t n, int sign, const double *tw)
{
    const obn_kstop *stop = obn_kstop_get();
    const int64_t every = obn_kstop_every((double)n);
    int stopped = 0;
    for (int64_t k = 0; k < n; k++) {
        if (obn_kstop_step(stop, &stopped, k, every)) return;
        double re = 0, im = 0;
        int64_t idx = 0;
        for (int64_t j = 0; j < n; j++) {
            double c = tw[2 * idx], s = sign * tw[2 * idx + 1];
            re += in[2 * j] * c - in[2 * j + 1] * s;
            im += in[2 * j] * s + in[2 * j + 1] * c;
            idx += k;
            if (idx >= n) idx -= n;
        }
        out[2 * k] = re;
        out[2 * k + 1] = im;
    }
}

/* Iterative radix-2 decimation in time: bit-reversed copy, then log2(n)
 * passes of butterflies. */
static void fft_pow2(const double *in, double *out, int64_t n, int sign, const double *tw)
{
    int bits = 0;
    while (((int64_t)1 << bits) < n) bits++;
    for (int64_t i = 0; i < n; i++) {
        int64_t r = 0;
        for (int b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
        out[2 * r] = in[2 * i];
        out[2 * r + 1] = in[2 * i + 1];
    }
    for (int64_t len = 2; len <= n; len *= 2) {
        int64_t half = len / 2, step = n / len;
        for (int64_t s = 0; s < n; s += len)
            for (int64_t j = 0; j < half; j++) {
                double c = tw[2 * j * step], w = sign * tw[2 * j * step + 1];
                double *a = out + 2 * (s + j), *b = out + 2 * (s + j + half);
                double br = b[0] * c - b[1] * w, bi = b[0] * w + b[1] * c;
                b[0] = a[0] - br;
                b[1] = a[1] - bi;
                a[0] += br;
                a[1] += bi;
            }
    }
}

void obn_dft(const double *in, double *out, int64_t n, int sign, const double *tw)
{
    if ((n & (n - 1)) == 0) fft_pow2(in, out, n, sign, tw);
    else dft_direct(in, out, n, sign, tw);
}
