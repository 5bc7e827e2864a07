/* The fold gate's byte classes with SIMD: 64 bytes at a time, the bytes
 * that could start folding (separators, characters outside ASCII and the
 * 3-byte range of kana and kanji, UTF-8 out of place) and those the gate
 * must look at in context (3-byte leads and continuations, digits, Latin
 * letters), one bit per byte. fold.c turns them into "this run of bytes
 * needs no folding" and checks only the rest character by character.
 * AVX-512BW (one 64-byte load) or AVX2 (two 32-byte loads) where the CPU
 * has them, chosen at run time with __builtin_cpu_supports; on other CPUs
 * and compilers, and in the portable build, fold.c's scalar check runs
 * instead. Internal. */
#ifndef YS_FOLDSCAN_H
#define YS_FOLDSCAN_H

#include <stddef.h>
#include <stdint.h>

/* Bit j describes byte p[j]. */
typedef struct {
    uint64_t lead;   /* E3..E9: the lead byte of a character U+3000..U+9FFF */
    uint64_t cont;   /* 80..BF: a continuation byte */
    uint64_t other;  /* an ASCII separator (fold.c's is_ascii_separator), or a
                        byte at or above 0x80 that is neither of the above */
    uint64_t digit;  /* '0'..'9' */
    uint64_t letter; /* 'A'..'Z', 'a'..'z' */
} ys_fold_masks;

/* Classifies the 64 bytes at p (all of them are read). */
typedef void (*ys_fold_classify_fn)(const unsigned char *p, ys_fold_masks *m);

/* The version of level `level` (YS_SIMD_AVX2 or YS_SIMD_AVX512 of
 * jsonscan.h), or NULL if this build or this CPU has none. YS_SIMD_SCALAR
 * gives a byte loop: fold.c does not use it (its scalar check is faster
 * than a byte loop and a driver), tests compare the others with it. */
ys_fold_classify_fn ys_fold_classify_impl(int level);

/* ys_fold_check (internal.h) with the gate of level `level`: YS_SIMD_SCALAR
 * is the character-by-character check alone. Returns what ys_fold_check
 * returns, or -1 (and leaves *valid_utf8 alone) when this build or CPU has
 * no such level. ys_fold_check uses the best level there is. For tests. */
int ys_fold_check_level(const char *text, size_t len, int *valid_utf8, int level);

#endif
