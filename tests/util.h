/* Helpers for the tests: temporary files, zstd frames, running the CLI. */
#ifndef YS_TEST_UTIL_H
#define YS_TEST_UTIL_H

#include <stddef.h>

#include "yamiscan.h"

/* A path in this process's own temporary directory (made on first use);
 * the string stays valid for the next 15 calls. */
const char *tmp_path(const char *name);
void write_file(const char *path, const void *data, size_t len);
char *read_file(const char *path, size_t *len); /* NUL-terminated; free() it */

/* Writes one zstd frame (with checksum) of src to dst; returns its size. */
size_t zstd_frame(const void *src, size_t len, int level, void *dst, size_t cap);

typedef struct {
    int status;   /* exit status, or 128 + signal */
    char *out;    /* stdout, NUL-terminated */
    size_t out_len;
    char *err;    /* stderr */
} run_result;

/* Runs `sh -c cmd` with $YAMISCAN etc. in the environment. */
run_result run_sh(const char *cmd);
void run_free(run_result *r);

/* Parses `tsv` as a lexicon named t.tsv and compiles it (asserting both). */
ys_db *compile_tsv(const char *tsv);

/* Scans `text` as a batch of one post and scores it, text and all, with
 * `s` (asserting both); its hits, copied (free() them), in *hits and their
 * number in *n when hits is not NULL. */
/* The "text" field of the JSONL line line[0..len) in text (cap bytes), NUL-
 * terminated (asserting it parses); its length. */
size_t post_text(const char *line, size_t len, char *text, size_t cap);
ys_verdict score_one(const ys_db *db, ys_scorer *s, const char *text, ys_hit **hits, size_t *n);

/* Skips the calling test in a build without Hyperscan (-Dhyperscan=
 * disabled): it needs regexes, the bundled lexicon (which has some) or
 * Hyperscan's own messages. */
void need_hyperscan(void);

/* Counts non-overlapping occurrences of needle in s. */
size_t count_str(const char *s, const char *needle);

#endif
