/* Discrete Fourier transforms, complex values interleaved (re, im), in
 * double or in float.
 *
 * Any length n >= 1 runs a mixed-radix self-sorting (Stockham) FFT: n is
 * split into factors 4, 2 and odd primes, each a pass of radix-p
 * butterflies over n/p points followed by the twiddle multiplications;
 * O(n log n) when n has small factors, O(n * p) for a prime factor p. The
 * float version computes in float throughout (twiddles computed in double
 * and rounded once), so a float32 transform has float32's round-off, as
 * numpy 2's and ONNX Runtime's float32 transforms do; the file is compiled
 * without floating-point contraction, so that the result is the same on
 * every machine.
 *
 * A plan (factors and twiddles) lives in caller-provided memory of
 * obn_fft_plan_bytes_*(n) bytes (8-byte aligned), made once per length
 * and reused for any number of transforms. */
#ifndef OBN_KERNELS_FFT_H
#define OBN_KERNELS_FFT_H

#include <stddef.h>
#include <stdint.h>

size_t obn_fft_plan_bytes_f64(int64_t n);
size_t obn_fft_plan_bytes_f32(int64_t n);

/* Fills the plan memory `plan` for length n. */
void obn_fft_plan_f64(void *plan, int64_t n);
void obn_fft_plan_f32(void *plan, int64_t n);

/* In place on data[0 .. 2n): data[k] = sum_j data[j] * exp(sign * 2*pi*i *
 * j*k / n) (sign -1: forward, +1: inverse without the 1/n). The plan is
 * only read (one plan may serve many threads, each with its own data) but
 * holds the scratch vector, so one plan serves one transform at a time.
 * Polls the calling thread's kernel stop (kstop.h) in the passes whose cost
 * grows faster than n. */
void obn_fft_f64(void *plan, double *data, int sign);
void obn_fft_f32(void *plan, float *data, int sign);

/* A real signal's spectrum, forward, for even n >= 2: bins 0 .. n/2 of the
 * DFT of x[0 .. n) (exp(-2 pi i jk/n)) into out[0 .. n+2), through one
 * n/2-point complex FFT; the imaginary parts of bins 0 and n/2 are exactly
 * zero, as the real signal's are. x is overwritten; it and out must not
 * overlap. */
size_t obn_rfft_plan_bytes_f64(int64_t n);
size_t obn_rfft_plan_bytes_f32(int64_t n);
void obn_rfft_plan_f64(void *plan, int64_t n);
void obn_rfft_plan_f32(void *plan, int64_t n);
void obn_rfft_f64(void *plan, double *x, double *out);
void obn_rfft_f32(void *plan, float *x, float *out);

#endif
