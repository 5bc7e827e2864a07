/* The compiled database's layout, shared by db.c (compile, files) and scan.c. */
#ifndef YS_DB_H
#define YS_DB_H

#include "internal.h"
#include "matcher.h"

struct ys_db {
    ys_table t;          /* the lexicon's patterns, as written */
    const ys_engine *eng; /* what lit, ctx and re are */
    ys_matcher *lit;     /* compiled spellings of the literals; NULL if none */
    ys_matcher *ctx;     /* spellings of negative-weight literals: context,
                            scanned only in posts that have a hit */
    ys_matcher *re;      /* regexes (UTF-8, leftmost start), ids = pattern
                            indexes; NULL if none */
    /* Compiled literal spelling i (the matcher's id) belongs to pattern
     * lit_base[i] and is lit_len[i] bytes long (start = end - length). */
    uint32_t *lit_base, *lit_len;
    size_t nspell;
    /* Japanese characters adjacent in some compiled spelling, as sorted
     * keys (foldscan.h, ys_fold_pair_key), for the scanner's gap rule;
     * gap_pairs_ok is 0 where they cannot be used (a spelling could match
     * inside a gap, or the file was written without them). */
    uint64_t *gap_pairs;
    size_t ngap_pairs;
    int gap_pairs_ok;
    size_t nlit, nre;    /* patterns of each kind */
    size_t generated[YS_GENERATORS]; /* spellings per generator (compile only) */
    double compile_seconds;
    uint64_t hash;
};

#endif
