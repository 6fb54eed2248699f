#include "cpu.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* -1: not yet decided. Atomic so that concurrent sessions may race on the
 * first call harmlessly (every racer computes the same value). */
static atomic_int detected = -1;
static atomic_int active = -1;

static obn_isa detect_now(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    /* __builtin_cpu_supports also checks that the OS saves the wide
     * registers (XGETBV), so a "yes" is safe to act on. */
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("fma"))
        return OBN_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return OBN_ISA_AVX2;
#endif
    return OBN_ISA_PORTABLE;
}

obn_isa obn_cpu_detect(void)
{
    int d = atomic_load(&detected);
    if (d < 0) {
        d = (int)detect_now();
        atomic_store(&detected, d);
    }
    return (obn_isa)d;
}

static obn_isa clamp_to_cpu(obn_isa want)
{
    obn_isa have = obn_cpu_detect();
    return want < have ? want : have;
}

/* Unknown values are ignored: OBN_ISA is a way to pick a level, never a
 * reason to fail. The AVX-512 micro-kernels are opt-in (OBN_ISA=avx512):
 * the machines this project is developed and tested on have no AVX-512, so
 * that path has never been run against the reference, and an unverified
 * kernel must not be the default. AVX2 runs on AVX-512 CPUs as well. */
obn_isa obn_cpu_level_from_name(const char *name)
{
    if (name && strcmp(name, "portable") == 0) return clamp_to_cpu(OBN_ISA_PORTABLE);
    if (name && strcmp(name, "avx2") == 0) return clamp_to_cpu(OBN_ISA_AVX2);
    if (name && strcmp(name, "avx512") == 0) return clamp_to_cpu(OBN_ISA_AVX512);
    return clamp_to_cpu(OBN_ISA_AVX2);
}

obn_isa obn_cpu_isa(void)
{
    int a = atomic_load(&active);
    if (a < 0) {
        a = (int)obn_cpu_level_from_name(getenv("OBN_ISA"));
        atomic_store(&active, a);
    }
    return (obn_isa)a;
}

obn_isa obn_cpu_force(obn_isa isa)
{
    obn_isa a = clamp_to_cpu(isa);
    atomic_store(&active, (int)a);
    return a;
}

const char *obn_isa_name(obn_isa isa)
{
    switch (isa) {
    case OBN_ISA_AVX512: return "avx512";
    case OBN_ISA_AVX2: return "avx2";
    default: return "portable";
    }
}
