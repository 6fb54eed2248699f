/* Run-time CPU dispatch for the hand-written kernels. The binary is built for
 * baseline x86-64; ISA-specific files (*_avx2.c, *_avx512.c) are only called
 * after the check here says the CPU (and OS) supports them. */
#ifndef OBN_KERNELS_CPU_H
#define OBN_KERNELS_CPU_H

/* Ordered: a level implies every lower one. */
typedef enum obn_isa {
    OBN_ISA_PORTABLE = 0, /* plain C, any x86-64 (or other architecture) */
    OBN_ISA_AVX2 = 1,     /* AVX2 + FMA */
    OBN_ISA_AVX512 = 2    /* AVX-512 F, VL, DQ, BW */
} obn_isa;

/* Highest level this CPU supports (cached after the first call). */
obn_isa obn_cpu_detect(void);

/* Level the kernels use: the detected level by default, or the level the
 * environment variable OBN_ISA=portable|avx2|avx512 (read once) or
 * obn_cpu_force asks for. A request above what the CPU supports is clamped
 * to the detected level. */
obn_isa obn_cpu_isa(void);

/* Forces a level (clamped to the detected one) for the whole process and
 * returns the level now in effect; used by tests to run every code path.
 * Data pre-packed under another level stays valid: it records its kernel. */
obn_isa obn_cpu_force(obn_isa isa);

/* "portable", "avx2", "avx512". */
const char *obn_isa_name(obn_isa isa);

/* The level an OBN_ISA value asks for, clamped to the detected level;
 * NULL or an unknown name gives the default (the detected level). */
obn_isa obn_cpu_level_from_name(const char *name);

#endif
