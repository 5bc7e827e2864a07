/* The byte search at the heart of JSON string parsing, with SIMD: the first
 * byte that ends a string's plain run ('"', '\\', or a control byte below
 * 0x20). AVX-512BW (64 bytes a step) or AVX2 (32) where the CPU has them,
 * chosen at run time with __builtin_cpu_supports; 8 bytes at a time with
 * plain integer arithmetic elsewhere (and on compilers or CPUs without
 * them). Every version reads only bytes in [p, end). Internal. */
#ifndef YS_JSONSCAN_H
#define YS_JSONSCAN_H

#include <stddef.h>

/* The first byte in [p, end) that is '"', '\\' or below 0x20; end if none. */
typedef const char *(*ys_json_special_fn)(const char *p, const char *end);

enum { YS_SIMD_SCALAR, YS_SIMD_AVX2, YS_SIMD_AVX512, YS_SIMD_COUNT };

/* The version `level` (YS_SIMD_…), or NULL if this build or this CPU has
 * none: for tests, which compare every version with the scalar one. */
ys_json_special_fn ys_json_special_impl(int level);

/* The fastest version this CPU runs. */
ys_json_special_fn ys_json_special_best(void);

/* The name of a level ("scalar", "avx2", "avx512"). */
const char *ys_simd_name(int level);

#endif
