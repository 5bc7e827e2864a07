/* JSONL field extraction, precompiled field paths. Internal. */
#ifndef YS_JSON_H
#define YS_JSON_H

#include "internal.h"
#include "jsonscan.h"

#define YS_JSON_MAX_FIELDS 16 /* text fields; the id paths come after them */
#define YS_JSON_MAX_IDS 4     /* id paths, joined with '/' when several */
#define YS_JSON_MAX_WHERE 8   /* selections (--where PATH=VALUE), after the ids */
#define YS_JSON_MAX_COMPONENTS 8
#define YS_JSON_MAX_DEPTH 128 /* deeper nesting is reported as malformed */

#define YS_JSON_MAX_VALUES 256 /* values found through arrays, per post */

/* A dotted path; a component written key[] goes into each element of the
 * array at key (facets[].features[].uri). */
typedef struct {
    const char *comp[YS_JSON_MAX_COMPONENTS];
    size_t clen[YS_JSON_MAX_COMPONENTS];
    unsigned char each[YS_JSON_MAX_COMPONENTS]; /* component ends in [] */
    int ncomp;
    int arrays; /* some component has [] (the path may find several values) */
} ys_json_path;

typedef struct {
    ys_json_path path[YS_JSON_MAX_FIELDS + YS_JSON_MAX_IDS + YS_JSON_MAX_WHERE];
    int nfields; /* text paths; path[nfields .. nfields + nid) are the id paths */
    int nid;
    int nwhere;  /* selections: path[nfields + nid + k] must hold where_value[k] */
    const char *where_value[YS_JSON_MAX_WHERE];
    size_t where_len[YS_JSON_MAX_WHERE];
    ys_json_special_fn special; /* string scanning: the CPU's best (jsonscan.h) */
} ys_json_spec;

/* What ys_json_extract_spec returns for an object a selection leaves out. */
#define YS_JSON_NOT_SELECTED 1

/* Splits dotted paths (id_fields NULL or nid 0: "id"); the strings must
 * outlive the spec. YS_EINVAL on an empty path or component, or too many
 * fields/ids/components. Strings are scanned with ys_json_special_best();
 * set spec->special after this call to use another version. */
int ys_json_spec_init(ys_json_spec *spec, const char *const *fields, size_t nfields,
                      const char *const *id_fields, size_t nid, ys_error *err);

/* Adds the selections `where` (each "PATH=VALUE": the value at PATH, a
 * string compared after decoding or a number, true, false or null as
 * written, equals VALUE). YS_EINVAL on a missing '=', a bad path or more
 * than YS_JSON_MAX_WHERE; the strings must outlive the spec. */
int ys_json_spec_where(ys_json_spec *spec, const char *const *where, size_t nwhere,
                       ys_error *err);

/* See ys_json_extract in yamiscan.h. Returns YS_OK, YS_EFORMAT (message:
 * "malformed JSON at column N: …"), YS_JSON_NOT_SELECTED (a selection does
 * not hold; checked before the text field), or YS_EINVAL (no text field).
 * The text never exceeds `len` bytes, so cap >= len always suffices. */
int ys_json_extract_spec(const ys_json_spec *spec, const char *line, size_t len,
                         char *text, size_t cap, size_t *text_len, const char **id,
                         size_t *id_len, ys_error *err);

/* As ys_json_extract_spec for the object starting at line[from] (columns
 * in messages still count from the line's start), where another object may
 * follow it on the line ({…}{…}, {…} {…}): *next is then where that one
 * starts, else 0. */
int ys_json_extract_at(const ys_json_spec *spec, const char *line, size_t len, size_t from,
                       char *text, size_t cap, size_t *text_len, const char **id,
                       size_t *id_len, size_t *next, ys_error *err);

/* The top-level keys of the JSON object in line[0..len) (its first ones,
 * as written, joined by ", ", ending in "…" when they do not fit in cap
 * bytes), for a message that shows what an object holds when a field asked
 * for is missing. Returns the length written (0: not an object). */
size_t ys_json_keys(const char *line, size_t len, char *out, size_t cap);

#endif
