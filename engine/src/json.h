/* JSONL field extraction, precompiled field paths. Internal. */
#ifndef YS_JSON_H
#define YS_JSON_H

#include "internal.h"
#include "jsonscan.h"

#define YS_JSON_MAX_FIELDS 16 /* text fields; the id path comes after them */
#define YS_JSON_MAX_COMPONENTS 8
#define YS_JSON_MAX_DEPTH 128 /* deeper nesting is reported as malformed */

typedef struct {
    const char *comp[YS_JSON_MAX_COMPONENTS];
    size_t clen[YS_JSON_MAX_COMPONENTS];
    int ncomp;
} ys_json_path;

typedef struct {
    ys_json_path path[YS_JSON_MAX_FIELDS + 1];
    int nfields; /* text paths; path[nfields] is the id path */
    ys_json_special_fn special; /* string scanning: the CPU's best (jsonscan.h) */
} ys_json_spec;

/* Splits dotted paths; the strings must outlive the spec. YS_EINVAL on an
 * empty path or component, or too many fields/components. Strings are
 * scanned with ys_json_special_best(); set spec->special after this call to
 * use another version. */
int ys_json_spec_init(ys_json_spec *spec, const char *const *fields, size_t nfields,
                      const char *id_field, ys_error *err);

/* See ys_json_extract in yamiscan.h. Returns YS_OK, YS_EFORMAT (message:
 * "malformed JSON at column N: …"), or YS_EINVAL (no text field). The text
 * never exceeds `len` bytes, so cap >= len always suffices. */
int ys_json_extract_spec(const ys_json_spec *spec, const char *line, size_t len,
                         char *text, size_t cap, size_t *text_len, const char **id,
                         size_t *id_len, ys_error *err);

/* The top-level keys of the JSON object in line[0..len) (its first ones,
 * as written, joined by ", ", ending in "…" when they do not fit in cap
 * bytes), for a message that shows what an object holds when a field asked
 * for is missing. Returns the length written (0: not an object). */
size_t ys_json_keys(const char *line, size_t len, char *out, size_t cap);

#endif
