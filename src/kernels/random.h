/* Mersenne Twister MT19937 (Matsumoto and Nishimura, 1998), seeded the way
 * numpy's legacy RandomState(seed) seeds it for a 32-bit integer seed
 * (init_genrand), and its 53-bit uniform doubles in [0, 1) (genrand_res53,
 * numpy's random_sample): a seeded random op then draws the numbers numpy's
 * RandomState(seed) draws, which is what the ONNX reference implementation
 * (and so its backend tests) uses. */
#ifndef OBN_KERNELS_RANDOM_H
#define OBN_KERNELS_RANDOM_H

#include <stdint.h>

typedef struct obn_mt19937 {
    uint32_t mt[624];
    int index;
} obn_mt19937;

void obn_mt19937_seed(obn_mt19937 *state, uint32_t seed);
uint32_t obn_mt19937_u32(obn_mt19937 *state);
/* uniform in [0, 1) with 53 random bits */
double obn_mt19937_double(obn_mt19937 *state);

#endif
