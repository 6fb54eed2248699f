/* Function multi-versioning for streaming loops: GCC compiles the marked
 * function for AVX-512, AVX2 and baseline x86-64 and picks one at load time
 * (ifunc). Disabled under sanitizers, whose runtime is not ready when ifunc
 * resolvers run. */
#ifndef OBN_KERNELS_SIMD_CLONES_H
#define OBN_KERNELS_SIMD_CLONES_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(OBN_NO_CLONES)
#define OBN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define OBN_CLONES
#endif

/* Elements per parallel task of a streaming loop: 16K floats (64 KiB) keeps
 * the scheduling overhead small against the memory traffic. */
#define OBN_STREAM_CHUNK 16384

#endif
