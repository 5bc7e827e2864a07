/*
 * yamiscan.h — the yamiscan library: find criminal-recruitment posts
 * ("闇バイト" ads) in streams of social-media posts.
 *
 * This header is the manual. The data flow is
 *
 *   source ──bytes──▶ framer ──batches of posts──▶ scanner ──hits──▶ scorer ──▶ emitter
 *
 * and each stage has its own section below. A program normally needs only
 * four calls: load a lexicon (ys_lexicon_load_tsv), compile it (ys_db_compile)
 * or load a compiled file (ys_db_load), then run ys_pipeline_run() once per
 * input. The lower stages are public so that tests, benchmarks and other
 * front ends can drive them one by one.
 *
 * Conventions
 * - Every function that can fail returns an int status: 0 (YS_OK) or a
 *   negative YS_E… code. When the caller passes a non-NULL ys_error, a
 *   human-readable message is written there ("file:line:col: what is wrong").
 * - Objects are opaque and created by ys_X_new/open/compile/load; the caller
 *   owns what it creates and frees it with the matching ys_X_free/close.
 *   Freeing NULL is a no-op.
 * - The library never prints and never exits; diagnostics about individual
 *   posts go to a callback the caller supplies (ys_frame_options.on_warning).
 * - Objects are not thread-safe unless stated otherwise. A compiled ys_db is
 *   read-only after creation and may be shared by many threads, each with its
 *   own ys_scanner.
 */
#ifndef YAMISCAN_H
#define YAMISCAN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define YS_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

enum {
    YS_OK = 0,
    YS_ENOMEM = -1,    /* an allocation failed */
    YS_EIO = -2,       /* reading or writing a file failed (errno in message) */
    YS_ELEXICON = -3,  /* a lexicon file is invalid: message is FILE:LINE:COL: … */
    YS_ECOMPILE = -4,  /* Hyperscan rejected a pattern, or compilation failed */
    YS_EDB = -5,       /* a compiled-database file is truncated, foreign or stale */
    YS_EZSTD = -6,     /* a compressed stream (zstd, gzip, xz, bzip2, lz4) is corrupt
                          or truncated: message has the format and the offset */
    YS_EFORMAT = -7,   /* an input post is malformed and strict mode is on */
    YS_EINVAL = -8,    /* an argument is invalid */
    YS_EPIPE = -9,     /* the output was closed by the reader (e.g. `| head`) */
    YS_ESCAN = -10,    /* Hyperscan failed while scanning */
    YS_EINTR = -11,    /* a signal interrupted a read, or asked the run to stop */
    YS_ETHREAD = -12   /* a thread could not be started (message has the reason) */
};

/* Room for one error message. Callers allocate it (on the stack is fine).
 * Where a setting of the caller's would let the input through, a message
 * (and a warning, ys_frame_options.on_warning) names it in parentheses:
 * (ys_frame_options.max_post), (ys_source_set_zstd_window),
 * (ys_source_set_zstd_dict), or, for a database to compile again,
 * (ys_db_compile, ys_db_save); a program can put its own words there
 * (yamiscan's command line names its options). */
typedef struct ys_error {
    int code;
    char message[1024];
} ys_error;

/* Returns a static, generic description of a YS_E… code. */
const char *ys_strerror(int code);

/* Matching engines. "hs": Hyperscan (literals and regexes; the default
 * when yamiscan is built with it). "ac": yamiscan's own Aho-Corasick
 * automaton (literals only; always built, so yamiscan runs where Hyperscan
 * does not). Both report the same hits for the same literals. */
const char *ys_engine_default(void);
/* The engine's version ("hs": hs_version()'s text, e.g. "5.4.0 2021-01-26"),
 * or NULL if this build lacks an engine of that name. */
const char *ys_engine_version(const char *engine);
/* 1 if the engine matches regex patterns (hs), 0 if it takes literals only
 * (ac) or this build lacks it. */
int ys_engine_has_regexes(const char *engine);
/* An identifier of the rules this library compiles a lexicon with (its
 * parsing, spelling variants, folding and look-alike tables): a checksum of
 * their sources, made when the library is built. Two builds with the same
 * id and engine version compile a lexicon to the same database; a cache of
 * compiled databases keys on it (the CLI's does). */
const char *ys_rules_id(void);

/* Returns err's message, or the generic description if none was set. */
const char *ys_error_message(const ys_error *err);

/* ------------------------------------------------------------------------ */
/* Lexicon: the pattern files (format documented in patterns/README.md)     */
/* ------------------------------------------------------------------------ */

typedef struct ys_lexicon ys_lexicon;

/* One pattern as the lexicon declared it. Strings are NUL-terminated and
 * owned by the lexicon (or database) they came from. */
typedef struct ys_pattern {
    const char *id;        /* stable identifier, unique across all files */
    const char *category;  /* a declared category name */
    int weight;            /* score contribution, -1000..1000 */
    int is_regex;          /* 0 literal, 1 Hyperscan regular expression */
    int exact;             /* literal without spelling variants (type `exact`,
                              and every -f/-e term) */
    const char *expr;      /* the expression as written */
    size_t expr_len;
    const char *reading;   /* a literal's kana reading ("" if none given) */
    const char *file;      /* where it was declared, for error messages */
    unsigned line;
    unsigned col;          /* 1-based character column of the expression */
} ys_pattern;

/* Creates an empty lexicon; the category "default" is always declared. */
ys_lexicon *ys_lexicon_new(void);
void ys_lexicon_free(ys_lexicon *lex);

/* Parses a TSV lexicon file and adds its categories and patterns.
 * Errors: YS_EIO (cannot read), YS_ELEXICON (first problem found, as
 * "FILE:LINE:COL: message": wrong field count, duplicate id, unknown
 * category, bad weight, bad type, empty expression, invalid UTF-8).
 * On error the lexicon keeps what was added before the failing line. A
 * UTF-8 byte-order mark before the first line (some editors write one) is
 * not part of it, here and in term lists. */
int ys_lexicon_load_tsv(ys_lexicon *lex, const char *path, ys_error *err);

/* As ys_lexicon_load_tsv, from memory; `name` is used in messages. */
int ys_lexicon_parse_tsv(ys_lexicon *lex, const char *name, const char *data,
                         size_t len, ys_error *err);

/* Adds every non-blank line of a plain term list (grep -F -f style) as a
 * literal in category "default" with weight 1; ids are "NAME:LINE". */
int ys_lexicon_load_list(ys_lexicon *lex, const char *path, ys_error *err);
int ys_lexicon_parse_list(ys_lexicon *lex, const char *name, const char *data,
                          size_t len, ys_error *err);

/* Adds one literal term (grep -F -e style), id "e1", "e2", … */
int ys_lexicon_add_term(ys_lexicon *lex, const char *term, ys_error *err);

/* Set what a lexicon's `@rule NAME WEIGHT` and `@window N` lines set (for
 * tools that fit weights: yamiscan tune). Errors: YS_EINVAL for a rule past
 * YS_RULES, a weight outside -1000..1000 or a window outside 0..1000. */
int ys_lexicon_set_rule(ys_lexicon *lex, unsigned rule, int weight);
int ys_lexicon_set_window(ys_lexicon *lex, int window);

size_t ys_lexicon_size(const ys_lexicon *lex);
/* Removes the lexicon's regex patterns (type `re`) and returns how many,
 * for an engine that takes literals only (ys_engine_has_regexes): the
 * categories, combos and rules stay, and so does every literal. */
size_t ys_lexicon_drop_regexes(ys_lexicon *lex);
const ys_pattern *ys_lexicon_pattern(const ys_lexicon *lex, size_t i);

/* A 64-bit hash of the lexicon's content (categories, ids, weights, types,
 * expressions, and a @model file's bytes; not file names or line numbers).
 * Equal content, equal hash. */
uint64_t ys_lexicon_hash(const ys_lexicon *lex);

/* Makes the @model lines parsed after it read their file only to hash its
 * bytes, not parse it: for a lexicon that is made only for its hash, to
 * look a compiled database up (parsing the bundled model was half of
 * loading a cached database). Such a lexicon has the hash it would have
 * with its models read, but cannot be compiled (YS_EINVAL). */
void ys_lexicon_skip_models(ys_lexicon *lex);

/* ------------------------------------------------------------------------ */
/* Compiled database                                                        */
/* ------------------------------------------------------------------------ */

typedef struct ys_db ys_db;

typedef struct ys_db_stats {
    size_t patterns;        /* literals + regexes, as the lexicon wrote them */
    size_t literals;
    size_t regexes;
    size_t spellings;       /* literal spellings compiled: each literal folded,
                               with its kana and reading variants (patterns/README.md) */
    size_t categories;
    const char *engine;     /* "hs" or "ac" */
    size_t db_bytes;        /* size of the engine's compiled matchers in memory
                               (Hyperscan databases, or the automaton's arrays) */
    double compile_seconds; /* 0 for a database loaded from a file */
    uint64_t lexicon_hash;
} ys_db_stats;

/* Compiles all patterns of `lex` into one database with the default
 * engine (hs: literals with hs_compile_lit_multi, regexes with
 * hs_compile_multi; separate Hyperscan databases behind this one object).
 * The database copies what it needs; `lex` may be freed afterwards.
 * Errors: YS_EINVAL (empty lexicon), YS_ECOMPILE (message names the
 * pattern's FILE:LINE:COL and the engine's reason), YS_ENOMEM. */
int ys_db_compile(const ys_lexicon *lex, ys_db **out, ys_error *err);

/* The same with engine "hs" or "ac" (NULL: the default). With "ac" a
 * lexicon with a regex fails (YS_ECOMPILE) naming the first regex's
 * FILE:LINE; an engine this build lacks is YS_EINVAL. */
int ys_db_compile_with(const ys_lexicon *lex, const char *engine, ys_db **out,
                       ys_error *err);

/* Writes the database to `path`: a header (magic, format version, engine
 * name and version, lexicon hash), the pattern table and the engine's
 * serialized matchers, followed by a checksum. */
int ys_db_save(const ys_db *db, const char *path, ys_error *err);

/* Loads a file written by ys_db_save. Errors (YS_EDB): not a yamiscan
 * database, unsupported format version, an engine this build lacks, built
 * by another engine version or (hs) for another CPU platform, truncated,
 * checksum mismatch, a matcher image that does not check out. */
int ys_db_load(const char *path, ys_db **out, ys_error *err);
int ys_db_load_mem(const char *name, const void *data, size_t len, ys_db **out,
                   ys_error *err);

/* The checksum that ends a .ysdb file, over everything before it (for
 * tools that check or repair files; ys_db_load verifies it). */
uint64_t ys_checksum(const void *data, size_t len);

void ys_db_free(ys_db *db);
void ys_db_get_stats(const ys_db *db, ys_db_stats *st);
const ys_pattern *ys_db_pattern(const ys_db *db, unsigned index);
/* The spelling generators of `lit` terms (patterns/README.md, "Spelling
 * variants"): the term as written, then each generator of other spellings. */
enum {
    YS_GEN_WRITTEN, YS_GEN_OKURIGANA, YS_GEN_PARTICLE, YS_GEN_KANA, YS_GEN_MIXED,
    YS_GEN_ROMAJI, YS_GEN_MASKED, YS_GEN_LOOKALIKE, YS_GENERATORS
};
/* A generator's name ("as written", "okurigana", … "lookalike"), or NULL. */
const char *ys_generator_name(unsigned gen);
/* How many distinct folded spellings generator `gen` added to the compiled
 * database (0 for a database loaded from a file). */
size_t ys_db_generated(const ys_db *db, unsigned gen);

/* The categories: how many, and each one's name (index 0 is "default",
 * the category of -f/-e terms; NULL past the end). */
size_t ys_db_category_count(const ys_db *db);
const char *ys_db_category_name(const ys_db *db, unsigned index);
/* Whether category `index` is paired (`@category NAME DESCRIPTION paired`):
 * its hits add nothing to a post's score themselves, only through the
 * bonuses of its @combo lines (and it counts as a category for the rule
 * lone). For signs common in ordinary text that mark an ad only beside
 * another sign, such as an invitation (やる？). */
int ys_db_category_paired(const ys_db *db, unsigned index);
/* Index of pattern `index`'s category, for per-category counters. */
unsigned ys_db_pattern_category(const ys_db *db, unsigned index);
/* The lexicon's @combo lines: categories a and b together add `bonus`. */
size_t ys_db_combo_count(const ys_db *db);
void ys_db_combo(const ys_db *db, size_t i, unsigned *a, unsigned *b, int *bonus);
/* The window combo i needs (its own `@combo A+B BONUS WINDOW`, else the
 * lexicon's @window): hits at most that many characters apart; 0: anywhere. */
int ys_db_combo_window(const ys_db *db, size_t i);

/* ------------------------------------------------------------------------ */
/* Source: a byte stream from a file or stdin, zstd decoded transparently   */
/* ------------------------------------------------------------------------ */

typedef struct ys_source ys_source;

/* The compressed formats this build reads, in a line: "zstd gzip xz bzip2
 * lz4" with each of the last four only when built with its library (zlib,
 * liblzma, libbz2, liblz4). A file in a format left out is refused by
 * ys_source_open, naming the command that reads it. */
const char *ys_input_formats(void);

/* Opens `path` ("-" is standard input). A stream that starts with a zstd
 * frame or skippable-frame magic number is decompressed (multi-frame,
 * concatenated and skippable frames; windows up to 2^31 bytes, so files
 * written with `zstd --long=31`, such as Reddit's archive dumps, are read:
 * see ys_source_set_zstd_window); one that starts with gzip's, xz's, bzip2's or
 * an lz4 frame's magic number is decompressed too (concatenated members,
 * streams and frames one after the other); anything else is read as is,
 * unless its first block holds a NUL byte and bytes that are not UTF-8 (a
 * binary file, whose lines would flag nothing).
 * Errors: YS_EIO (cannot open, is a directory, or in a compressed format
 * this build does not read: ys_input_formats), YS_EFORMAT (binary). */
int ys_source_open(const char *path, ys_source **out, ys_error *err);

/* The largest zstd window a source accepts unless told otherwise, as a
 * power of two: 2^31 bytes (2 GiB), what `zstd --long=31` writes and the
 * most any zstd decoder accepts. Decoding a frame holds its window in
 * memory, allocated only when a frame asks for it. */
#define YS_ZSTD_WINDOW_LOG_DEFAULT 31

/* Lowers (or restores) the largest window the source's zstd frames may ask
 * for to 2^window_log bytes, 10 <= window_log <= 31: a frame that asks for
 * more is an error (YS_EZSTD, naming the window it asks for and the limit)
 * instead of an allocation that large. Call before the first read and
 * before ys_source_set_threads or ys_source_prefetch. YS_EINVAL: a log out
 * of range, or called too late. A no-op for input that is not zstd. */
int ys_source_set_zstd_window(ys_source *src, unsigned window_log, ys_error *err);

/* A zstd dictionary, loaded once and shared by every source and decoding
 * thread given it (it is only read). */
typedef struct ys_zstd_dict ys_zstd_dict;

/* Reads a dictionary file (written by `zstd --train`, or any content used
 * as a raw dictionary). Errors: YS_EIO (cannot read it), YS_EINVAL (empty,
 * or over 64 MiB), YS_ENOMEM. */
int ys_zstd_dict_load(const char *path, ys_zstd_dict **out, ys_error *err);

/* The dictionary's ID (from its header; 0 for a raw-content dictionary). */
unsigned ys_zstd_dict_id(const ys_zstd_dict *dict);

/* Frees a dictionary; after every source given it is closed. NULL is a
 * no-op. */
void ys_zstd_dict_free(ys_zstd_dict *dict);

/* Decodes the source's zstd frames with `dict` (NULL: none), which must
 * outlive the source. Frames compressed without a dictionary are still
 * read. A frame whose header names another dictionary, or one when none
 * was given, is an error (YS_EZSTD naming the dictionary ID the frame
 * asks for). Call before the first read and before ys_source_set_threads
 * or ys_source_prefetch (YS_EINVAL otherwise). A no-op for input that is
 * not zstd. */
int ys_source_set_zstd_dict(ys_source *src, const ys_zstd_dict *dict, ys_error *err);

/* The largest window a zstd frame of this source has asked for so far, in
 * bytes (about the memory its decoding holds); 0 for input that is not zstd
 * or before the first frame. */
uint64_t ys_source_zstd_window(const ys_source *src);

/* Reads up to `cap` decoded bytes into `buf`. Sets *got to 0 at end of
 * stream. Errors: YS_EIO, YS_EZSTD (corrupt or truncated stream; the message
 * names the file and the compressed byte offset). Bytes returned before an
 * error are good. YS_EINTR: a signal handler installed without SA_RESTART
 * interrupted a blocking read; nothing was lost, call again to go on. */
int ys_source_read(ys_source *src, void *buf, size_t cap, size_t *got,
                   ys_error *err);

/* Decodes a zstd file of many frames with `threads` threads (each frame
 * on one; libzstd cannot split a frame). Call before the first read; a
 * no-op (YS_OK) for one thread, plain input, stdin and pipes, and for files
 * that do not qualify: fewer than two frames, a frame whose header does not
 * record its decoded size or that decodes to more than 64 MiB (2 × threads
 * frames are held in memory), or a damaged stream. ys_source_parallel tells
 * whether it took effect. Write such files with `pzstd`, or by compressing
 * pieces separately and joining them with `cat`. */
int ys_source_set_threads(ys_source *src, unsigned threads, ys_error *err);
int ys_source_parallel(const ys_source *src);
/* As ys_source_set_threads, and a file of one frame qualifies too (with
 * its decoded size recorded, up to 64 MiB): decoding starts at once, in the
 * background, for a file that will be read after the current one. */
int ys_source_prefetch(ys_source *src, unsigned threads, ys_error *err);
const char *ys_source_name(const ys_source *src); /* "(standard input)" for "-" */
int ys_source_is_zstd(const ys_source *src);
/* What the source was found to be: "plain", "zstd", "gzip", "xz", "bzip2"
 * or "lz4". */
const char *ys_source_format(const ys_source *src);
uint64_t ys_source_bytes_in(const ys_source *src);  /* raw bytes read */
uint64_t ys_source_bytes_out(const ys_source *src); /* decoded bytes returned */
/* For a stream whose reads can block (a pipe, socket or terminal): waits up
 * to `timeout_ms` (0: not at all) for input and returns 1 when the next
 * ys_source_read will not block (input waiting, already buffered, or end
 * of stream; also after a signal), 0 when none came in time. Returns -1 for
 * input that never blocks (a regular file; frame-parallel decoding). */
int ys_source_wait(ys_source *src, int timeout_ms);
void ys_source_close(ys_source *src);

/* ------------------------------------------------------------------------ */
/* Posts and batches                                                        */
/* ------------------------------------------------------------------------ */

/* One post. `text` is the text to scan: the line itself, or for JSONL the
 * decoded string value(s) of the text field(s), joined by "\n". `id` is the
 * raw JSON token of the id field (a string with its quotes, or a number);
 * NULL when the post has none (line mode, or id field missing). */
typedef struct ys_post {
    const char *text;
    size_t len;
    const char *id;
    size_t id_len;
    uint64_t line; /* 1-based line number in its input */
} ys_post;

/* A batch is many whole posts in one buffer, the unit that crosses stage
 * boundaries. Its text capacity bounds memory; posts longer than
 * ys_frame_options.max_post are truncated or skipped by the framer. */
typedef struct ys_batch ys_batch;

ys_batch *ys_batch_new(size_t text_capacity);
void ys_batch_free(ys_batch *b);
void ys_batch_clear(ys_batch *b);
size_t ys_batch_count(const ys_batch *b);
/* Fills *p with post i (pointers valid until the batch is cleared). */
void ys_batch_post(const ys_batch *b, size_t i, ys_post *p);
/* The file name the batch's posts came from (set by the framer, or by a
 * feed's fill function: the string must outlive the batch's output). */
const char *ys_batch_source(const ys_batch *b);
void ys_batch_set_source(ys_batch *b, const char *source);
/* Bytes of text the batch holds at most, and holds now. */
size_t ys_batch_capacity(const ys_batch *b);
size_t ys_batch_bytes(const ys_batch *b);
/* Appends a post by copy. Returns YS_EINVAL if it does not fit (the caller
 * hands the full batch on and clears it first), YS_ENOMEM. */
int ys_batch_add(ys_batch *b, const char *text, size_t len, const char *id,
                 size_t id_len, uint64_t line);

/* ------------------------------------------------------------------------ */
/* Framer: posts out of bytes                                               */
/* ------------------------------------------------------------------------ */

enum ys_input_format { YS_INPUT_AUTO = 0, YS_INPUT_LINES, YS_INPUT_JSONL };

/* Kinds of per-line problems, each with its own counter. */
enum ys_problem {
    YS_PROBLEM_BAD_JSON = 0,  /* not a JSON object / syntax error: skipped */
    YS_PROBLEM_NO_TEXT,       /* none of the text fields present as a string: skipped */
    YS_PROBLEM_TOO_LONG,      /* longer than max_post: lines truncated, JSONL skipped */
    YS_PROBLEM_INVALID_UTF8,  /* invalid UTF-8 in a post: literals still scanned,
                                 regexes skipped for that post (their results
                                 would be undefined) */
    YS_PROBLEM_COUNT
};
const char *ys_problem_name(int kind); /* "bad_json", "no_text", … */

typedef struct ys_frame_options {
    int format;                /* enum ys_input_format */
    /* JSONL text field paths, dotted ("a.b"; "a[].b": b of each element of
     * the array at a, every string found a line of the text, at most 256 a
     * post, more being a malformed line); NULL → {"text"}. Id and --where
     * paths may go through arrays too: the id is the first value found, a
     * selection holds when any value equals it. */
    const char *const *fields;
    size_t nfields;
    const char *id_field;      /* JSONL id path; NULL → "id" */
    /* Several id paths instead (at most 4; id_field is then not used): the
     * id is one string of their values joined with '/' (Bluesky's did and
     * rkey: "did:plc:…/3k…"), null when one of them is missing. */
    const char *const *id_fields;
    size_t nid_fields;
    /* JSONL selections, each "PATH=VALUE" (at most 8): an object is a post
     * only when the value at every PATH equals its VALUE (a string as
     * decoded; a number, true, false or null as written); other lines are
     * skipped and counted (ys_framer_skipped), not problems, as are the
     * events of a feed that are not posts (Jetstream's identity, account
     * and delete events: commit.collection=app.bsky.feed.post). */
    const char *const *where;
    size_t nwhere;
    size_t max_post;           /* longest post in bytes; 0 → 1 MiB. Memory
                                  use is about 3 × max(max_post, batch size) */
    int strict;                /* malformed JSON stops the framer (YS_EFORMAT) */
    /* Called for each problem line; `message` is "FILE:LINE: …".
     * May be NULL. */
    void (*on_warning)(void *ctx, int kind, const char *message);
    void *warning_ctx;
} ys_frame_options;

typedef struct ys_framer ys_framer;

/* Called when `batch` is full or the input ends; return 0 to go on, or a
 * negative YS_E… code to stop (passed back from ys_framer_feed/finish).
 * The framer clears the batch after the call. */
typedef int (*ys_batch_fn)(void *ctx, ys_batch *batch);

/* Creates a framer for one input named `name` (used in messages and copied).
 * `fields`/`id_field` are copied. Batches hold `batch_capacity` bytes of
 * text, raised to max_post if smaller. Errors: YS_EINVAL (bad field path,
 * sizes above 4 GiB), YS_ENOMEM. */
int ys_framer_new(const ys_frame_options *opt, const char *name,
                  size_t batch_capacity, ys_batch_fn fn, void *ctx,
                  ys_framer **out, ys_error *err);
/* Feeds the next bytes of the input (any split). A UTF-8 byte-order mark
 * at the start of the first line is skipped: not text, and no JSON. */
int ys_framer_feed(ys_framer *fr, const char *data, size_t len, ys_error *err);
/* For a batch callback that keeps the full batch (to scan it on another
 * thread): gives the framer `empty` (made with ys_batch_new and at least
 * ys_framer_batch_capacity bytes) to fill next, and returns the full batch,
 * which the caller now owns. Its source name lives as long as the framer. */
ys_batch *ys_framer_swap_batch(ys_framer *fr, ys_batch *empty);
size_t ys_framer_batch_capacity(const ys_framer *fr);
/* Hands on the posts framed so far, leaving any partial line buffered
 * (after a framing error, so that the posts before it are still reported). */
int ys_framer_flush(ys_framer *fr);
/* Ends the input: frames a last line without newline and flushes. */
int ys_framer_finish(ys_framer *fr, ys_error *err);
/* The format in use (after auto-detection; AUTO until the first
 * non-blank line was seen). */
int ys_framer_format(const ys_framer *fr);
uint64_t ys_framer_lines(const ys_framer *fr);       /* lines seen */
uint64_t ys_framer_posts(const ys_framer *fr);       /* posts handed on */
size_t ys_framer_pending(const ys_framer *fr);       /* posts framed, not yet handed on */
uint64_t ys_framer_blank_lines(const ys_framer *fr); /* blank lines skipped */
uint64_t ys_framer_skipped(const ys_framer *fr);     /* lines a selection left out */
uint64_t ys_framer_problems(const ys_framer *fr, int kind);
void ys_framer_free(ys_framer *fr);

/* Extracts one JSONL post from `line` (no newline) without a framer:
 * decodes the string value(s) at `fields` (escapes, \uXXXX, surrogate pairs;
 * a lone surrogate becomes U+FFFD) into `text` (capacity `cap`, joined by
 * "\n") and points *id at the raw token of `id_field` inside `line`.
 * Returns YS_OK, YS_EFORMAT (malformed JSON: `err` has the column),
 * YS_EINVAL (no text field present, or `cap` too small). */
int ys_json_extract(const char *line, size_t len, const char *const *fields,
                    size_t nfields, const char *id_field, char *text,
                    size_t cap, size_t *text_len, const char **id,
                    size_t *id_len, ys_error *err);

/* ------------------------------------------------------------------------ */
/* Folding: spelling tricks undone before matching                          */
/* ------------------------------------------------------------------------ */

/* Folding maps text to the form the matcher sees (rules: patterns/README.md,
 * "Folding"): half-width katakana to full width, full-width letters and
 * digits to ASCII, zero-width characters dropped, separators and emoji
 * between Japanese characters dropped (受 け 子 → 受け子), dash look-alikes
 * after kana to ー. The scanner folds every post that needs it and the
 * compiler folds every literal, so hits survive these tricks; hit offsets
 * always point into the original text. */
#define YS_FOLD_UNCHANGED ((size_t)-1)

/* Writes the folded form of text[0..len) to `out` (room for 3 × len bytes:
 * a dash may become ー) and, for each folded byte b, the range
 * [from[b], to[b]) of original bytes it stands for (room for 3 × len each;
 * both NULL: no map, which is cheaper, and the same folded text).
 * Returns the folded length, or YS_FOLD_UNCHANGED when folding would change
 * nothing (`out` then holds no meaningful bytes). Invalid UTF-8 bytes pass
 * through unchanged. */
size_t ys_fold(const char *text, size_t len, char *out, uint32_t *from, uint32_t *to);

/* The n-gram model's reading of a post (a lexicon's @model;
 * patterns/README.md, "The n-gram model"): the post folded (ys_fold),
 * ASCII letters in lower case, every run of white space one space, an
 * @handle just "@", and a Latin word with "xxx" in it (the development
 * set's made-up names) left out (characters are read before anything is
 * left out, so that leaving a word out never joins two bytes into one
 * character); then each run of 1, 2 and 3 characters,
 * in order, is passed to fn with its key: 64 bits that name the gram
 * exactly (its characters' code points packed and mixed, so that two grams
 * share a key only when they are the same bytes) and spread well enough to
 * index a hash table by their low bits. A byte that does not start a
 * well-formed UTF-8 sequence is a character of its own. A gram is never
 * more than 12 bytes and never holds a TAB or a line break. Stops at, and
 * returns, fn's first non-zero; YS_ENOMEM. */
typedef int (*ys_gram_fn)(void *ctx, uint64_t key, const char *gram, size_t len);
int ys_model_grams(const char *text, size_t len, ys_gram_fn fn, void *ctx);

/* 0 when ys_fold would certainly return YS_FOLD_UNCHANGED: a fast check
 * (most Japanese text needs no folding) that lets the scanner skip it. */
int ys_fold_needed(const char *text, size_t len);

/* ------------------------------------------------------------------------ */
/* Scanner: hits in a batch                                                 */
/* ------------------------------------------------------------------------ */

typedef struct ys_hit {
    uint32_t post;    /* index of the post in the batch */
    uint32_t pattern; /* index into the database's pattern table */
    uint32_t start;   /* byte offsets of the match in the post's text */
    uint32_t end;     /* (end exclusive) */
} ys_hit;

typedef struct ys_scanner ys_scanner;

/* Creates a scanner (Hyperscan scratch space) for `db`. One per thread. */
int ys_scanner_new(const ys_db *db, ys_scanner **out, ys_error *err);
void ys_scanner_free(ys_scanner *sc);

/* Scans every post of `batch` (folded where it needs it). On success *hits
 * points to the batch's hits ordered by post, then start, then pattern —
 * every occurrence of every pattern, never one spanning two posts, at byte
 * offsets of the original text; `pattern` is the lexicon's pattern, whichever
 * of its spellings matched. Negative-weight literals (context) are reported
 * only in posts that have another hit. The array is owned by the scanner and
 * valid until its next scan. Errors: YS_ESCAN, YS_ENOMEM. */
int ys_scan_batch(ys_scanner *sc, const ys_batch *batch, const ys_hit **hits,
                  size_t *nhits, ys_error *err);
/* Posts of the last batch skipped by the regex scan for invalid UTF-8. */
size_t ys_scanner_invalid_utf8(const ys_scanner *sc);
/* Posts of the last batch that were scanned folded (ys_fold). */
size_t ys_scanner_folded(const ys_scanner *sc);
/* 0: scan posts as they are, never folded (grep's view; the patterns stay
 * folded, so a term written with folded characters cannot match). Default 1. */
void ys_scanner_set_fold(ys_scanner *sc, int fold);
/* 1: posts are HTML (Mastodon's and ActivityPub's `content`): a post with
 * '<' or '&' is scanned with its tags removed (block-level ones, such as
 * <p> and <br>, as a line break) and its character references decoded
 * (decimal, hex, and the common named ones: amp lt gt quot apos nbsp …;
 * another name stays as written), then folded. Hits still give offsets
 * into the post's text as it came, so a hit may span tags (受<span>け</span>子)
 * or a reference (&#21463;け子). The n-gram model reads the decoded text,
 * folded (but the text as it came with folding off: ys_scanner_set_fold 0);
 * the structural rules (quotation, questions, windows) read the text as it
 * came, where <br> is no line break and &#12300; no quotation mark.
 * Default 0. */
void ys_scanner_set_html(ys_scanner *sc, int on);
/* Negative-weight context is then looked for only in posts whose other hits
 * could reach `threshold` (their categories' largest weights, combos and
 * positive rules added up, and a negative rule lone's weight where one
 * category is hit: posts are scored by ys_score_text, where it fires) or
 * that hit a "default" term: below it, context
 * cannot change a verdict, and looking costs time. Scores of posts left
 * below the threshold then omit their context. Default: INT_MIN, context in
 * every post with a hit (what explain, eval and tune need). */
void ys_scanner_set_context_floor(ys_scanner *sc, int threshold);

/* ------------------------------------------------------------------------ */
/* Scorer                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct ys_verdict {
    int flagged; /* 1 if the post is reported */
    int score;   /* the post's score (patterns/README.md, "Scoring") */
    int model;   /* the part of score the n-gram model (@model) added */
} ys_verdict;

/* Structural rules: what the words of a post are surrounded by, weighed by
 * `@rule NAME WEIGHT` lines of a lexicon (patterns/README.md, "Scoring").
 * A rule fires only in a post with a positive hit, and only when scored
 * with its text (ys_score_text). */
enum {
    YS_RULE_QUOTED,   /* "quoted": two thirds of the positive hits are inside
                         quotation marks (「」 『』 “” "" ‘’ 〝〟〞) or on a line
                         starting with > */
    YS_RULE_QUESTION, /* "question": every positive hit is in a sentence that
                         ends with ? or ？ (a ? inside a URL ends none) */
    YS_RULE_LONE,     /* "lone": one category alone contributes a positive
                         weight (高収入 and nothing else of an ad) */
    YS_RULES
};

/* The lexicon name of rule `rule` ("quoted", …), or NULL past YS_RULES. */
const char *ys_rule_name(unsigned rule);
/* The weight the database gives rule `rule` (0: off). */
int ys_db_rule_weight(const ys_db *db, unsigned rule);
/* The lexicon's @window: combos count only when their two categories have
 * positive hits at most this many characters apart; 0: anywhere in the post. */
int ys_db_window(const ys_db *db);

typedef struct ys_scorer ys_scorer;

/* Creates a scorer for `db` (a little state per pattern and category, so
 * that scoring is linear in the number of hits). One per thread. Its
 * threshold is the lexicon's @threshold, or 1. */
int ys_scorer_new(const ys_db *db, ys_scorer **out, ys_error *err);
void ys_scorer_free(ys_scorer *s);
void ys_scorer_set_threshold(ys_scorer *s, int threshold); /* --threshold */
/* 1: the structural rules are read only in posts that could reach the
 * threshold (a post below it whatever they say keeps the score without
 * them; flagged posts' scores are whole): what a scan needs. 0 (the
 * default): every score is whole, for explain, eval and tune. */
void ys_scorer_set_verdicts_only(ys_scorer *s, int on);
int ys_scorer_threshold(const ys_scorer *s);

/* 0: the lexicon's n-gram model (@model) is not applied, scores are the
 * lexicon's terms, combos and rules alone (what fitting the model needs);
 * 1 (the default): it is, wherever the database has one. */
void ys_scorer_set_model(ys_scorer *s, int on);
/* After ys_score_text: 1 if the n-gram model read the last post, with its
 * log-odds in *logit and the points it added to the score in *points. The
 * model reads only posts with a positive hit, and only with their text. */
int ys_scorer_model(const ys_scorer *s, double *logit, int *points);
/* The number of grams of the database's n-gram model (0: it has none). */
size_t ys_db_model_grams(const ys_db *db);

/* Scores one post from its hits (one post's run of ys_scan_batch's array,
 * ordered by start as ys_scan_batch gives them): a hit that lies inside a
 * longer hit of the opposite sign is ignored (逮捕 in 逮捕されない is that
 * term's, not the post's context; 闇バイト in 闇バイト対策 likewise; weight 0
 * is neither sign); each category hit adds the weight of its strongest
 * counted term (largest in absolute value); each @combo of two positively
 * contributing categories adds its bonus; flagged when score >= threshold,
 * or when a term of category "default" (-f/-e lists: grep's meaning) is
 * hit. Without the text, combos count wherever their hits are (no
 * windows), and neither the structural rules nor the n-gram model read
 * the post: use ys_score_text.
 * Returns YS_OK, or YS_ENOMEM when the scorer could not grow for this many
 * hits (then *v is not a verdict: flagged 0, score 0). */
int ys_score_post(ys_scorer *s, const ys_hit *hits, size_t nhits, ys_verdict *v);

/* As ys_score_post, with the post's text (the original bytes the hits'
 * offsets point into), which the combos' windows, the structural rules
 * (@rule) and the n-gram model (@model) read. */
int ys_score_text(ys_scorer *s, const char *text, size_t len, const ys_hit *hits,
                  size_t nhits, ys_verdict *v);

/* After ys_score_post, for explaining it: 1 if category `cat` was hit in
 * that post, with its contribution in *score; 0 otherwise. */
int ys_scorer_category(const ys_scorer *s, unsigned cat, int *score);
/* After scoring: the pattern whose weight category `cat` contributed (its
 * strongest counted hit), or -1 if the category was not hit. */
long ys_scorer_category_pattern(const ys_scorer *s, unsigned cat);
/* After scoring: 1 if @combo `k` added its bonus to the last post. */
int ys_scorer_combo(const ys_scorer *s, size_t k);
/* After scoring: 1 if structural rule `rule` fired in the last post (its
 * weight, ys_db_rule_weight, was added). */
int ys_scorer_rule(const ys_scorer *s, unsigned rule);
/* After scoring: why hit `i` of the last post's hits was ignored: 0 it was
 * not, YS_IGNORED_OTHER_SIGN it lies inside a longer hit of the opposite
 * sign (逮捕 inside 逮捕されない), YS_IGNORED_LONGER a positive hit inside a
 * longer positive hit of another category (即日 inside 即日即金: one span of
 * text is one sign). */
enum { YS_IGNORED_OTHER_SIGN = 1, YS_IGNORED_LONGER = 2 };
int ys_scorer_hit_ignored(const ys_scorer *s, size_t i);

/* ------------------------------------------------------------------------ */
/* Emitter: output formats                                                  */
/* ------------------------------------------------------------------------ */

enum ys_output_format {
    YS_OUTPUT_JSONL = 0, /* one object per flagged post */
    YS_OUTPUT_TEXT,      /* grep-like FILE:LINE:text */
    YS_OUTPUT_COUNT      /* nothing per post; the caller prints counts */
};

typedef struct ys_emit_options {
    int format;     /* enum ys_output_format */
    int color;      /* highlight matches in text output (ANSI) */
    int with_file;  /* prefix text lines with the file name */
} ys_emit_options;

/* Writes one flagged post to `out`. Returns YS_OK or YS_EIO/YS_EPIPE. */
int ys_emit_post(FILE *out, const ys_emit_options *opt, const ys_db *db,
                 const char *file, const ys_post *post, const ys_verdict *v,
                 const ys_hit *hits, size_t nhits);

/* ------------------------------------------------------------------------ */
/* Pipeline: one input, source to emitter                                   */
/* ------------------------------------------------------------------------ */

/* Counters of a run, added to by every ys_pipeline_run. Zero it first. */
typedef struct ys_counters {
    uint64_t inputs;
    uint64_t bytes_in;      /* bytes read from files (compressed size) */
    uint64_t bytes_decoded; /* bytes after decompression */
    uint64_t lines;
    uint64_t blank_lines;
    uint64_t skipped;       /* lines left out by ys_frame_options.where */
    uint64_t posts;         /* posts scanned */
    uint64_t posts_flagged;
    uint64_t posts_folded;  /* scanned in folded form (ys_fold) */
    uint64_t hits;
    uint64_t problems[YS_PROBLEM_COUNT];
    uint64_t *category_hits; /* caller-allocated, ys_db_category_count() long; may be NULL */
    /* Flagged posts whose output lines (JSONL, text) were written whole;
     * less than posts_flagged only after a write error. */
    uint64_t posts_written;
    /* Set by a write error on ys_pipeline_options.out: from then on nothing
     * more is written to it by any run given these counters, a partial
     * last line written to a regular file has been cut off, and the run
     * returns YS_EIO ("write error: …; N flagged posts written before it"). */
    int output_failed;
} ys_counters;

typedef struct ys_pipeline_options {
    ys_frame_options frame;
    ys_emit_options emit;
    size_t batch_bytes;   /* text per batch; 0 → 1 MiB; at least frame.max_post */
    FILE *out;            /* where flagged posts go */
    /* Called after every batch with the counters so far (for progress
     * displays); may be NULL. */
    void (*on_progress)(void *ctx, const ys_counters *counters);
    void *progress_ctx;
    /* When *stop becomes non-zero (set it from a SIGINT/SIGTERM handler
     * installed without SA_RESTART, so that a blocking read returns), the
     * run stops at the next read: the posts framed so far are scanned and
     * written, a partial last line is not, and YS_EINTR is returned.
     * May be NULL. */
    volatile sig_atomic_t *stop;
    const int *threshold; /* overrides the lexicon's @threshold; may be NULL */
    int no_fold;          /* scan posts unfolded (ys_scanner_set_fold) */
    int html;             /* posts are HTML (ys_scanner_set_html) */
    /* Called each time batches have been written and flushed to `out`, with
     * how many so far (in input order); may be NULL. A feed's owner uses it
     * to acknowledge its input (ys_pipeline_run_feed). */
    void (*on_written)(void *ctx, uint64_t batches);
    void *written_ctx;
    /* Scanning threads: 0 or 1 scans on the calling thread; N > 1 starts N
     * workers (each with its own scanner and scorer) while the calling
     * thread reads, frames and writes, output in input order. Memory: about
     * 2 × N + 2 batches (each batch_bytes of text) plus N scanners. */
    unsigned threads;
    /* Input that can block (a pipe, socket or terminal; ys_source_wait):
     * posts are not held back waiting for a batch to fill. Once the first
     * post whose verdict is not written yet was read `latency_ms` ago
     * (0 → 100), or no input came for that long, the partial batch is
     * scanned and every verdict read so far is written and flushed. With
     * `line_buffered` (grep's --line-buffered) that happens whenever no
     * more input is waiting, so each flagged post is written as soon as it
     * is scanned. Files are read in full batches either way. */
    unsigned latency_ms;
    int line_buffered;
} ys_pipeline_options;

/* Reads `path` ("-" for stdin) through source, framer, scanner, scorer and
 * emitter, adding to `counters`. Output is flushed after every batch, so
 * everything before a failure is written. Returns YS_OK or the first error
 * (YS_EIO, YS_EZSTD, YS_EFORMAT with --strict, YS_EPIPE, YS_ESCAN), or
 * YS_EINTR when asked to stop through ys_pipeline_options.stop. */
int ys_pipeline_run(const ys_db *db, ys_scanner *sc,
                    const ys_pipeline_options *opt, const char *path,
                    ys_counters *counters, ys_error *err);

/* Input that is not a byte stream (a message queue): `fill` is called
 * repeatedly to add posts to an empty batch (ys_batch_add; each post's
 * `line` is whatever position the caller wants reported) until it sets
 * *done (it may return an empty batch when nothing came for a while: the
 * batches already scanned are then written). Batches are numbered from 1
 * in the order they are filled (empty ones do not count), scanned and
 * written like a file's, as soon as they are done, and
 * opt->on_written reports how many have been written. From inside `fill`,
 * ys_feed_flush waits until every batch handed over so far is written
 * (before giving up a partition, say). `name` is reported as the file. */
typedef struct ys_feed ys_feed;
typedef int (*ys_fill_fn)(void *ctx, ys_feed *feed, ys_batch *batch, int *done);
int ys_feed_flush(ys_feed *feed, ys_error *err);
int ys_pipeline_run_feed(const ys_db *db, ys_scanner *sc,
                         const ys_pipeline_options *opt, const char *name,
                         ys_fill_fn fill, void *ctx, ys_counters *counters,
                         ys_error *err);

/* The same on a source the caller opened (and closes): a caller with
 * several files opens the next one and calls ys_source_prefetch on it
 * before running the current one, so that the two are decoded at once. */
int ys_pipeline_run_source(const ys_db *db, ys_scanner *sc,
                           const ys_pipeline_options *opt, ys_source *src,
                           ys_counters *counters, ys_error *err);

/* ------------------------------------------------------------------------ */
/* Lint: warnings for lexicon authors (patterns/README.md, "Lint")          */
/* ------------------------------------------------------------------------ */

/* A list of ordinary words, for the check that a term does not occur
 * inside too many of them. Words are kept folded (ys_fold), each once. */
typedef struct ys_words ys_words;

/* Where Debian's mecab-ipadic package puts the IPA dictionary's source CSV
 * files (EUC-JP): the default word list of `yamiscan compile --lint`. Read
 * as a directory, its common nouns are the words (72,848 of them). */
#define YS_WORDS_DEFAULT_PATH "/usr/share/mecab/dic/ipadic"

ys_words *ys_words_new(void); /* NULL when out of memory */
void ys_words_free(ys_words *w);

/* Adds words from `path`. A file: the first field of each line (up to a
 * TAB, comma or CR) is a word; blank lines are skipped; the file is read
 * as UTF-8 if it is valid UTF-8, else decoded from EUC-JP (iconv), so that
 * the dictionary's CSVs are read as installed. A directory: its Noun*.csv
 * files (the mecab-ipadic layout) in name order, but for the proper nouns
 * (Noun.name, Noun.place, Noun.org, Noun.proper): not ordinary words.
 * Errors: YS_EIO (cannot read; a directory without Noun*.csv; a file
 * neither UTF-8 nor EUC-JP: "FILE:LINE: …"), YS_ENOMEM. On error the list
 * keeps the words added before. */
int ys_words_load(ys_words *w, const char *path, ys_error *err);
size_t ys_words_count(const ys_words *w); /* distinct folded words */

typedef enum ys_lint_kind {
    /* A spelling that no post can contain after folding: folding changes
     * it whatever characters stand beside it (or the literal folds to
     * nothing: `spelling` is then ""). */
    YS_LINT_NEVER_MATCHES = 1,
    /* A spelling that survives folding only beside Latin letters or at a
     * post's edge, never between Japanese characters (a trailing space in
     * "闇バイト ", a separator at one end): in Japanese text it never matches. */
    YS_LINT_NOT_IN_JAPANESE,
    /* Two patterns with a compiled spelling in common after folding (ASCII
     * case aside where either is caseless), the term as written on at least
     * one side: one of them is redundant, or they disagree on category or
     * weight. Reported at the later pattern, once per pair. */
    YS_LINT_DUPLICATE,
    /* A literal of non-zero weight occurring inside at least `min_words`
     * words of the word list (not counting a word equal to it): a positive
     * one will hit ordinary text; a negative one lowers every post that uses
     * such a word (パート inside パートナー, 草 inside 浅草), ads included. */
    YS_LINT_COMMON
} ys_lint_kind;

/* The threshold of YS_LINT_COMMON when ys_lint_options.min_words is 0.
 * mecab-ipadic's common nouns hold few compounds (仕事 is inside 11 of
 * them, 闇 inside 23), so a term inside 5 is part of many everyday words. */
#define YS_LINT_MIN_WORDS 5

typedef struct ys_lint_warning {
    ys_lint_kind kind;
    const ys_pattern *pattern;  /* the pattern warned about: id, file, line */
    const ys_pattern *other;    /* DUPLICATE: the earlier pattern; else NULL */
    const char *spelling;       /* the folded spelling concerned, NUL-terminated */
    size_t spelling_len;
    int generated;              /* 1: spelling is a generated variant (reading,
                                   kana script, okurigana …), 0: the term as written */
    int other_generated;        /* DUPLICATE: the same for `other`'s spelling */
    size_t words, words_total;  /* COMMON: words containing it / words in the list */
    const char *examples[3];    /* COMMON: the first (up to 3) of those words */
    size_t nexamples;
    const char *message;        /* the whole warning in English, starting with
                                   "pattern 'ID': " (no FILE:LINE: the caller adds
                                   pattern->file and ->line) */
} ys_lint_warning;

/* Receives each warning; every pointer in *w is valid only during the
 * call. Returning non-zero stops the lint, which returns that value. */
typedef int (*ys_lint_fn)(void *ctx, const ys_lint_warning *w);

typedef struct ys_lint_options {
    const ys_words *words; /* for YS_LINT_COMMON; NULL: that check is skipped */
    size_t min_words;      /* YS_LINT_COMMON from this many words; 0: YS_LINT_MIN_WORDS */
} ys_lint_options;

/* Checks every literal of `lex` (regexes are not checked), calling `fn`
 * for each warning in pattern order (for one pattern: NEVER_MATCHES or
 * NOT_IN_JAPANESE per spelling, then DUPLICATE, then COMMON). The checks
 * use the spellings the compiler uses (each literal's variants, folded),
 * so they follow the folding and variant rules as those change. `opt` may
 * be NULL (no word list). Warnings are not errors: the return value is
 * YS_OK however many there were, YS_EINVAL (lex or fn NULL), YS_ENOMEM, or
 * fn's first non-zero value. */
int ys_lint_lexicon(const ys_lexicon *lex, const ys_lint_options *opt, ys_lint_fn fn,
                    void *ctx, ys_error *err);
/* The same over a compiled database's patterns (its pattern table is the
 * lexicon's, as written). */
int ys_lint_db(const ys_db *db, const ys_lint_options *opt, ys_lint_fn fn, void *ctx,
               ys_error *err);

#ifdef __cplusplus
}
#endif
#endif /* YAMISCAN_H */
