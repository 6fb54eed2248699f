/* The streaming loops' multi-versioning (kernels/simd_clones.h) picks, on
 * an x86-64 CPU with AVX2 and FMA, a clone that fuses multiply-adds: the
 * bare "avx2" target of target_clones leaves FMA out, and every
 * polynomial of the element-wise math (exp, erf, GELU) then took two
 * instructions per step on AVX2-only CPUs. This file is compiled with
 * -ffp-contract=fast, like kernels/unary.c, and the function below with
 * the library's clone list; a*a + c is worked out by hand for
 * a = 1 + 2^-12, c = -(1 + 2^-11): the exact value 2^-24 when fused, 0 when
 * the product is rounded first (1 + 2^-11 + 2^-24 ties to 1 + 2^-11). */
#include <check.h>

#include "tb_check.h"

#include "kernels/simd_clones.h"

OBN_CLONES __attribute__((noinline)) static float mul_add(float a, float b, float c) { return a * b + c; }

START_TEST(fma_cpus_get_a_fused_clone)
{
    volatile float a = 1.0f + 1.0f / 4096.0f, c = -(1.0f + 1.0f / 2048.0f);
    float r = mul_add(a, a, c);
    ck_assert(r == 0.0f || r == 1.0f / 16777216.0f); /* one of the two roundings, nothing else */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(OBN_NO_CLONES)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        ck_assert_msg(r == 1.0f / 16777216.0f, "AVX2 + FMA CPU, yet the clone rounded the product: %g", r);
#endif
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("clones");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, fma_cpus_get_a_fused_clone);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
