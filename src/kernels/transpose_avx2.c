/* The 4-byte 2-D transpose of kernels/transpose.c in 8 x 8 register blocks
 * (AVX2): eight rows of eight loaded, transposed with unpack / shuffle /
 * 128-bit permutes, stored as eight rows. Called only after the CPU check. */
#include <immintrin.h>

#include "transpose_simd.h"

void obn_transpose32_2d_avx2(const uint32_t *x, int64_t xs, uint32_t *y, int64_t ys, int64_t rows, int64_t cols)
{
    int64_t r8 = rows & ~(int64_t)7, c8 = cols & ~(int64_t)7;
    for (int64_t c = 0; c < c8; c += 8)
        for (int64_t r = 0; r < r8; r += 8) {
            const float *src = (const float *)(x + c * xs + r);
            __m256 a0 = _mm256_loadu_ps(src), a1 = _mm256_loadu_ps(src + xs), a2 = _mm256_loadu_ps(src + 2 * xs),
                   a3 = _mm256_loadu_ps(src + 3 * xs), a4 = _mm256_loadu_ps(src + 4 * xs),
                   a5 = _mm256_loadu_ps(src + 5 * xs), a6 = _mm256_loadu_ps(src + 6 * xs),
                   a7 = _mm256_loadu_ps(src + 7 * xs);
            __m256 t0 = _mm256_unpacklo_ps(a0, a1), t1 = _mm256_unpackhi_ps(a0, a1);
            __m256 t2 = _mm256_unpacklo_ps(a2, a3), t3 = _mm256_unpackhi_ps(a2, a3);
            __m256 t4 = _mm256_unpacklo_ps(a4, a5), t5 = _mm256_unpackhi_ps(a4, a5);
            __m256 t6 = _mm256_unpacklo_ps(a6, a7), t7 = _mm256_unpackhi_ps(a6, a7);
            __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
            __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
            __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
            __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
            float *dst = (float *)(y + r * ys + c);
            _mm256_storeu_ps(dst, _mm256_permute2f128_ps(u0, u4, 0x20));
            _mm256_storeu_ps(dst + ys, _mm256_permute2f128_ps(u1, u5, 0x20));
            _mm256_storeu_ps(dst + 2 * ys, _mm256_permute2f128_ps(u2, u6, 0x20));
            _mm256_storeu_ps(dst + 3 * ys, _mm256_permute2f128_ps(u3, u7, 0x20));
            _mm256_storeu_ps(dst + 4 * ys, _mm256_permute2f128_ps(u0, u4, 0x31));
            _mm256_storeu_ps(dst + 5 * ys, _mm256_permute2f128_ps(u1, u5, 0x31));
            _mm256_storeu_ps(dst + 6 * ys, _mm256_permute2f128_ps(u2, u6, 0x31));
            _mm256_storeu_ps(dst + 7 * ys, _mm256_permute2f128_ps(u3, u7, 0x31));
        }
    /* the edges: columns past c8 for every row, rows past r8 for c < c8 */
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = r < r8 ? c8 : 0; c < cols; c++) y[r * ys + c] = x[c * xs + r];
}
