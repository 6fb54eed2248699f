/* Function multi-versioning for streaming loops: GCC compiles the marked
 * function for the x86-64 levels v4 (AVX-512 F/BW/CD/DQ/VL), v3 (AVX2, FMA,
 * BMI2, F16C) and baseline x86-64, and picks one at load time (ifunc).
 * Levels, not the bare "avx2" target: that one leaves FMA out, so on an
 * AVX2-only CPU every contracted multiply-add of the element-wise math
 * (-ffp-contract=fast in CMakeLists.txt) would stay two instructions.
 * Disabled under sanitizers, whose runtime is not ready when ifunc
 * resolvers run. */
#ifndef OBN_KERNELS_SIMD_CLONES_H
#define OBN_KERNELS_SIMD_CLONES_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(OBN_NO_CLONES)
#define OBN_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define OBN_CLONES
#endif

/* Elements per parallel task of a streaming loop: 16K floats (64 KiB) keeps
 * the scheduling overhead small against the memory traffic. */
#define OBN_STREAM_CHUNK 16384

#endif
