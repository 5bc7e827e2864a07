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
    uint64_t sep;    /* an ASCII separator (also in other) */
    uint64_t digit;  /* '0'..'9' */
    uint64_t letter; /* 'A'..'Z', 'a'..'z' */
    /* Of the leads of characters U+3000..U+30FF (kana and CJK punctuation,
     * the most frequent by far): those whose bit is set in kana_bits. */
    uint64_t kana_refused;
    /* The other leads, which the caller looks up itself. */
    uint64_t lookup;
} ys_fold_masks;

/* Classifies the 64 bytes at p (the 66 bytes p[0..65] are read: a lead's
 * two bytes after it). kana_bits: 256 bits, bit c for U+3000 + c, in 32
 * bytes (little-endian words of 64 code points each). */
typedef void (*ys_fold_classify_fn)(const unsigned char *p, const unsigned char *kana_bits,
                                    ys_fold_masks *m);

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

/* The lexicon-aware gap rule. A run of separators between two Japanese
 * characters (fold.c's gap rule) can change a hit only if the two are
 * adjacent in some compiled spelling: the compiler collects every such pair
 * (ys_fold_spelling_pairs, keys ys_fold_pair_key, sorted) and the scanner
 * asks ys_fold_check_gaps, which is ys_fold_check with the gaps that cannot
 * change a hit left out of "needed". Hits are the same as with every gap
 * folded (tests/test_fold.c) provided no spelling could match inside a gap
 * (one made of separators only, or with a separator beside a Japanese
 * character or another separator, or with an invisible character:
 * ys_fold_spelling_pairs refuses those) and no regex is scanned (a regex
 * may match across or into a gap: the scanner passes no pairs then).
 * The same pairs tell when a look-alike of katakana between two Japanese
 * characters (入力ファイル, ファイルへの) can change a hit; a spelling of one
 * character has the key (0, c). ys_fold itself still folds every gap and
 * every look-alike. */
uint64_t ys_fold_pair_key(uint32_t a, uint32_t b);

/* Writes to keys (room for len entries) the key of each two Japanese
 * characters (kana, kanji, 々 〆) adjacent in the folded spelling
 * text[0..len), or (0, c) when it is the one Japanese character c,
 * setting *n; returns -1 when the spelling could match inside a gap
 * (above), else 0. */
int ys_fold_spelling_pairs(const char *text, size_t len, uint64_t *keys, size_t *n);

/* ys_fold_check where a gap counts only if the characters on both sides
 * may be adjacent in a spelling (pairs: npairs sorted keys; NULL: every
 * gap counts, as in ys_fold_check). */
int ys_fold_check_gaps(const char *text, size_t len, int *valid_utf8, const uint64_t *pairs,
                       size_t npairs);

/* For tests (scan.c): 0 makes the scanner ignore the database's pairs, so
 * that every gap is folded; 1 (the default) uses them where they apply. */
typedef struct ys_scanner ys_scanner;
void ys_scanner_set_gap_pairs(ys_scanner *sc, int on);

#endif
