/* Discrete Fourier transforms in double, complex values interleaved
 * (re, im). A power-of-two length runs the iterative radix-2 FFT; any
 * other length the direct O(n^2) sum over the same twiddle table. */
#ifndef OBN_KERNELS_FFT_H
#define OBN_KERNELS_FFT_H

#include <stdint.h>

/* tw[2k], tw[2k+1] = cos, sin of 2*pi*k/n for k in [0, n). */
void obn_fft_twiddles(double *tw, int64_t n);

/* out[k] = sum_j in[j] * exp(sign * 2*pi*i * j*k / n) (sign -1: forward,
 * +1: inverse without the 1/n), for n >= 1 complex points; in and out must
 * not overlap. tw from obn_fft_twiddles(tw, n). */
void obn_dft(const double *in, double *out, int64_t n, int sign, const double *tw);

#endif
