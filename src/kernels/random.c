#include "random.h"

enum { MT_N = 624, MT_M = 397 };

void obn_mt19937_seed(obn_mt19937 *s, uint32_t seed)
{
    s->mt[0] = seed;
    for (int i = 1; i < MT_N; i++) s->mt[i] = 1812433253u * (s->mt[i - 1] ^ (s->mt[i - 1] >> 30)) + (uint32_t)i;
    s->index = MT_N;
}

/* the next 624 words of the state (the "twist") */
static void regenerate(obn_mt19937 *s)
{
    for (int i = 0; i < MT_N; i++) {
        uint32_t y = (s->mt[i] & 0x80000000u) | (s->mt[(i + 1) % MT_N] & 0x7fffffffu);
        s->mt[i] = s->mt[(i + MT_M) % MT_N] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
    }
    s->index = 0;
}

uint32_t obn_mt19937_u32(obn_mt19937 *s)
{
    if (s->index >= MT_N) regenerate(s);
    uint32_t y = s->mt[s->index++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

double obn_mt19937_double(obn_mt19937 *s)
{
    uint32_t a = obn_mt19937_u32(s) >> 5, b = obn_mt19937_u32(s) >> 6;
    return ((double)a * 67108864.0 + (double)b) / 9007199254740992.0;
}
