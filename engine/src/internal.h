/* Helpers shared by the library's modules; not part of the public API. */
#ifndef YS_INTERNAL_H
#define YS_INTERNAL_H

#include "yamiscan.h"

#include <stdarg.h>
#include <stdbool.h>

#if defined(__GNUC__)
#define YS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define YS_PRINTF(f, a)
#endif

/* Sets err (if non-NULL) to code and a formatted message; returns code. */
int ys_fail(ys_error *err, int code, const char *fmt, ...) YS_PRINTF(3, 4);

/* Resizes the array *p (of elements of `size` bytes) to n elements; on
 * failure *p is left as it was and 0 is returned. */
int ys_grow(void *p, size_t n, size_t size);

/* 64-bit FNV-1a, used for lexicon content hashes and file checksums. */
#define YS_FNV_INIT 0xcbf29ce484222325ULL
uint64_t ys_fnv1a(uint64_t h, const void *data, size_t len);

/* The streaming form of ys_checksum, for writers. */
typedef struct {
    uint64_t h, len;
    unsigned char part[8];
    size_t npart;
} ys_sum;
void ys_sum_init(ys_sum *s);
void ys_sum_add(ys_sum *s, const void *data, size_t len);
uint64_t ys_sum_end(const ys_sum *s);

/* Length of the valid UTF-8 prefix of s[0..len). */
size_t ys_utf8_valid_prefix(const char *s, size_t len);

/* Decodes one character at s[0..n) (n >= 1), well-formed per the Unicode
 * standard's table 3-7: an invalid or truncated sequence is one byte, its
 * value | 0x80000000. Sets *len. Inline: folding and the n-gram model call
 * it per character. */
static inline uint32_t ys_utf8_decode(const unsigned char *s, size_t n, size_t *len)
{
    unsigned c = s[0];
    if (c < 0x80) {
        *len = 1;
        return c;
    }
    size_t k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (k == 0 || k > n || c > 0xF4)
        goto bad;
    uint32_t cp = c & (0x7F >> k);
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            goto bad;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        goto bad;
    *len = k;
    return cp;
bad:
    *len = 1;
    return 0x80000000u | c;
}

/* The bytes of ys_utf8_decode's value cp in out (1 to 4); an invalid byte
 * (cp | 0x80000000) as it was. */
static inline size_t ys_utf8_encode(uint32_t cp, unsigned char *out)
{
    if (cp & 0x80000000u) { /* an invalid byte, as it was */
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | cp >> 6);
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | cp >> 12);
        out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | cp >> 18);
    out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Number of UTF-8 characters in s[0..len) (continuation bytes not counted);
 * used to turn byte offsets into 1-based columns for messages. */
size_t ys_utf8_chars(const char *s, size_t len);

/* A bonus for two categories hit together (@combo in a lexicon). */
typedef struct ys_combo {
    unsigned a, b;
    int bonus;
    int window; /* hits at most this many characters apart; -1: @window */
} ys_combo;

/* A lexicon's n-gram model (@model, ngram.c; patterns/README.md, "The
 * n-gram model"): character 1- to 3-grams of a post as ys_model_grams reads
 * it, each with its fitted weight (times its idf) and its idf squared; a
 * post's log-odds is bias + sum of the weights of its distinct grams / the
 * square root of the sum of their idf squared, and `points` of it per unit
 * are added to its score. */
typedef struct ys_ngrams {
    size_t n, cap;
    char *text;          /* every gram's bytes, one after another */
    size_t ntext, captext;
    uint32_t *off;       /* gram i: text[off[i] .. off[i] + len[i]) */
    uint8_t *len;
    float *weight, *idf2;
    double bias, points;
    /* ys_checksum of the file the model was read from (ys_ngrams_parse, or
     * a lexicon's unread @model: ys_lexicon_skip_models), which the hash
     * counts instead of the grams; 0 for one built with ys_ngrams_add */
    uint64_t source;
    /* The lookup (ys_ngrams_index). Each character of a gram has an id
     * 1 .. nchars; a 1-gram is found by its id, a 2-gram "bc" in `two` by
     * id(c) * (nchars + 1) + id(b), and a 3-gram "abc" in `three` by the
     * slot of "bc" in `two` * (nchars + 1) + id(a). `two` holds every
     * 3-gram's last two characters too, and a character, a 2-gram or a
     * 3-gram's bit (ys_gram_scratch) is its id, nchars + 1 + its slot in
     * `two`, or nchars + 1 + `two`'s slots + 1 + its slot in `three`; the
     * weights are by bit, 0 where no gram is (which changes no sum). */
    uint16_t *page;       /* (value >> 8) → a page of `ids`; 0: none */
    uint16_t *ids;        /* page * 256 + (value & 255) → id, 0: no gram has it */
    uint32_t *two, *three; /* keys, open addressing, 0 empty; one empty slot past the end */
    struct ys_gram_weight {
        float weight, idf2;
    } *wq;                /* by bit */
    uint32_t nchars, mask2, mask3;
    unsigned shift2, shift3; /* 64 - log2 of each table's size */
    size_t nbits;
} ys_ngrams;

/* Adds a gram (1 to 3 characters); YS_ENOMEM. Grams must be distinct
 * (ys_ngrams_index finds a repeat). */
int ys_ngrams_add(ys_ngrams *m, const char *gram, size_t len, float weight, float idf2);
/* Builds the lookup; YS_ENOMEM, YS_ELEXICON with *dup the index of a gram
 * given twice, or YS_ELEXICON with *dup = (size_t)-1 when the model is too
 * large for the lookup's 32-bit keys (more than 65,535 characters, or
 * 2-gram slots × characters above 2^32). */
int ys_ngrams_index(ys_ngrams *m, size_t *dup);
/* Parses a model file (patterns/README.md, "The n-gram model") into m and
 * indexes it; errors name `name`:LINE. */
int ys_ngrams_parse(ys_ngrams *m, const char *name, const char *data, size_t len,
                    ys_error *err);
/* The `source` of a model file's bytes: their checksum, never 0. */
uint64_t ys_ngrams_source(const char *data, size_t len);
/* h continued with the model: its file's checksum (source) where it has
 * one, else its bias, points and grams. */
uint64_t ys_ngrams_hash(const ys_ngrams *m, uint64_t h);
void ys_ngrams_free(ys_ngrams *m);

/* A scorer's room for the model to read posts in: the folded post, and a
 * bit for each gram the post has counted (m->nbits), which the post clears
 * again from the list of those it set. */
typedef struct ys_gram_scratch {
    char *buf;
    size_t capbuf;
    uint32_t *set;
    size_t capset;
    uint64_t *bits;
} ys_gram_scratch;
/* Allocates the bits for m; YS_ENOMEM. */
int ys_gram_scratch_init(ys_gram_scratch *s, const ys_ngrams *m);
void ys_gram_scratch_free(ys_gram_scratch *s);

/* The model's log-odds for a post in *z: its distinct grams as
 * ys_model_grams reads them; `folded` (flen bytes), when not NULL, is the
 * post as ys_fold gives it (the text itself where folding changes
 * nothing), which spares folding it again; YS_ENOMEM. */
int ys_ngrams_logit(const ys_ngrams *m, const char *text, size_t len, const char *folded,
                    size_t flen, ys_gram_scratch *s, double *z);

/* HTML (html.c): whether text has a tag or reference to decode ('<' or
 * '&'); and its text with tags removed (block-level ones as "\n") and
 * character references decoded into out (at most len bytes), with each
 * output byte's input span [from, to) when from is not NULL. Returns the
 * output's length. */
int ys_html_needed(const char *text, size_t len);
size_t ys_html_decode(const char *text, size_t len, char *out, uint32_t *from, uint32_t *to);

/* The folded form of post `post` of the batch last scanned, when the
 * scanner knows it (it folded the post, or found that folding changes
 * nothing): 1 and *text, *len (valid until the next batch); else 0. */
int ys_scanner_folded_text(const ys_scanner *sc, size_t post, const char **text, size_t *len);
/* ys_score_text with the post's folded form (ys_ngrams_logit), or NULL. */
int ys_score_folded(ys_scorer *s, const char *text, size_t len, const char *folded,
                    size_t flen, const ys_hit *hits, size_t n, ys_verdict *v);

/* Pattern table shared by lexicon and db: one flat copy of every pattern. */
typedef struct ys_table {
    ys_pattern *pat;
    unsigned *cat_of;  /* category index of each pattern */
    size_t n, cap;
    char **cats;       /* category names; cats[0] is "default" */
    unsigned char *paired; /* per category: 1 if it counts only through its
                              combos (`@category NAME DESC paired`) */
    size_t ncats, capcats;
    char **files;      /* the patterns' file names, each once (pat[i].file
                          points here: a million patterns of one file hold
                          its name once) */
    size_t nfiles;
    ys_combo *combos;  /* @combo lines */
    size_t ncombos;
    int threshold;     /* @threshold, or YS_NO_THRESHOLD */
    int rule_weight[YS_RULES]; /* @rule NAME WEIGHT (0: the rule is off) */
    int window;        /* @window N: combos need hits within N characters; 0: anywhere */
    ys_ngrams model;   /* @model FILE: the n-gram model (n 0: none) */
} ys_table;

#define YS_NO_THRESHOLD (-1000000)

/* Bumped whenever folding or spelling generation changes what a lexicon
 * compiles to; part of the lexicon hash, so that cached databases compiled
 * by older rules are not reused. */
#define YS_SPELLING_RULES "spelling-rules 21"

int ys_table_add_combo(ys_table *t, unsigned a, unsigned b, int bonus, int window);

int ys_table_add_category(ys_table *t, const char *name, size_t len, unsigned *idx);
int ys_table_find_category(const ys_table *t, const char *name, size_t len);
/* Marks category idx as counting only through its combos. */
void ys_table_set_paired(ys_table *t, unsigned idx);
/* Copies every string of p. */
int ys_table_add(ys_table *t, const ys_pattern *p, unsigned cat);
/* The index in t->files of pattern i's file name (a search from the last
 * file: a table holds a file or a few). */
size_t ys_table_file_index(const ys_table *t, size_t i);
void ys_table_free(ys_table *t);
uint64_t ys_table_hash(const ys_table *t);

/* ys_fold_needed, and in the same pass whether text is valid UTF-8. */
int ys_fold_check(const char *text, size_t len, int *valid_utf8);

/* What add (below) returns for a spelling it did not take: the spelling is
 * neither counted nor an error. */
#define YS_SPELLING_SKIPPED 1

/* Calls add(ctx, spelling, len) for each distinct folded spelling a literal
 * is compiled as (variants.c); stops at and returns add's first non-zero
 * other than YS_SPELLING_SKIPPED.
 * `threshold` is the lexicon's (YS_NO_THRESHOLD: none): which terms are
 * strong enough for masked spellings is relative to it. */
int ys_variants(const ys_pattern *p, int threshold,
                int (*add)(void *ctx, const char *s, size_t len), void *ctx);
/* As ys_variants, adding to counts[g] (YS_GENERATORS long) one for each
 * spelling generator g gave and add took. */
int ys_variants_counted(const ys_pattern *p, int threshold,
                        int (*add)(void *ctx, const char *s, size_t len), void *ctx,
                        size_t *counts);

/* The other compression formats (codecs.c): gzip, xz, bzip2 and lz4
 * frames, each decoded when yamiscan was built with its library. */
enum { YS_CODEC_NONE, YS_CODEC_GZIP, YS_CODEC_XZ, YS_CODEC_BZIP2, YS_CODEC_LZ4 };
/* The format the first n bytes of a stream show: YS_CODEC_…, or -1 when
 * they are the start of a magic number and more bytes would decide. */
int ys_codec_detect(const unsigned char *b, size_t n);
/* "gzip", "xz", "bzip2", "lz4". */
const char *ys_codec_name(int kind);
typedef struct ys_codec ys_codec;
/* A decoder for `kind`; YS_EIO naming the tool that reads the file (`name`)
 * when this build lacks its library. */
int ys_codec_new(int kind, const char *name, ys_codec **out, ys_error *err);
void ys_codec_free(ys_codec *c);
/* Decodes from in[*pos, len) (at compressed offset base + *pos) into out,
 * up to cap bytes: *got of them, *pos moved past what was used. at_end:
 * no more input will come (xz learns of its end so). Errors: YS_EZSTD for
 * corrupt data (the message names the format and the offset), YS_ENOMEM. */
int ys_codec_decode(ys_codec *c, const char *name, const unsigned char *in, size_t len,
                    size_t *pos, uint64_t base, int at_end, unsigned char *out, size_t cap,
                    size_t *got, ys_error *err);
/* Whether the input ended inside a member, stream or frame (truncated),
 * once decoding at the end gives no more bytes. */
int ys_codec_inside(const ys_codec *c);

/* Frame-parallel decompression of a zstd file of frames (frames.c).
 * ys_frames_open leaves *out NULL, and returns YS_OK, when the file does not
 * qualify (fewer than min_frames frames, …); then the streaming decoder
 * reads it. */
typedef struct ys_frames ys_frames;
/* How a source's zstd frames are decoded: the largest window (a power of
 * two) and the dictionary (NULL: none), set by ys_source_set_zstd_window
 * and ys_source_set_zstd_dict. */
typedef struct ys_zstd_setup {
    unsigned window_log;
    const ys_zstd_dict *dict;
} ys_zstd_setup;
/* The window a zstd frame header declares (RFC 8878, 3.1.1.1), or 0 if
 * its first n bytes at h are too few to tell or are not a zstd frame's
 * (a skippable frame). */
uint64_t ys_zstd_declared_window(const unsigned char *h, size_t n);
/* A new decoding context set up as `z` says, or NULL (out of memory). */
struct ZSTD_DCtx_s *ys_zstd_dctx(const ys_zstd_setup *z);
/* The message of a zstd frame refused for its window or its dictionary
 * (ZSTD_error_frameParameter_windowTooLarge, ZSTD_error_dictionary_wrong;
 * else YS_OK, nothing set): `h` holds the frame's first n header bytes. */
int ys_zstd_refusal(const char *name, uint64_t frame_off, const unsigned char *h, size_t n,
                    size_t zstd_rc, const ys_zstd_setup *z, ys_error *err);
int ys_frames_open(int fd, const char *name, const ys_zstd_setup *z, unsigned threads,
                   size_t min_frames, ys_frames **out, ys_error *err);
int ys_frames_read(ys_frames *fs, char *buf, size_t cap, size_t *got, ys_error *err);
uint64_t ys_frames_bytes_in(const ys_frames *fs);
/* The largest window a frame header of the file asks for. */
uint64_t ys_frames_window(const ys_frames *fs);
void ys_frames_close(ys_frames *fs);

/* The lexicon's table, for ys_db_compile. */
const ys_table *ys_lexicon_table(const ys_lexicon *lex);

#endif
