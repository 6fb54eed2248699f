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
 * reason to fail. The default is the detected level: the AVX-512 SGEMM
 * micro-kernel has been validated on AVX-512 hardware (the conformance
 * manifests and the PyTorch model zoo at their tolerances), and so have the
 * AVX-512 builds of the Winograd and depthwise kernels (Zen 4). */
obn_isa obn_cpu_level_from_name(const char *name)
{
    if (name && strcmp(name, "portable") == 0) return clamp_to_cpu(OBN_ISA_PORTABLE);
    if (name && strcmp(name, "avx2") == 0) return clamp_to_cpu(OBN_ISA_AVX2);
    return clamp_to_cpu(OBN_ISA_AVX512);
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
