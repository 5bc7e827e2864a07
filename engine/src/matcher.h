/* The matcher interface: what the scanner needs from a multi-pattern
 * engine. A database holds up to three matchers (score literals, context
 * literals, regexes), all of one engine; the scanner maps matches to posts
 * and patterns, so an engine only finds byte strings.
 *
 * Engines: "hs" (Hyperscan; literals and regexes; matcher_hs.c) and "ac"
 * (an Aho-Corasick double-array automaton; literals only; matcher_ac.c).
 * A matcher is read-only once built and shared by every thread; per-thread
 * state, if an engine needs any, lives in its scratch. */
#ifndef YS_MATCHER_H
#define YS_MATCHER_H

#include "internal.h"

#include <stddef.h>

typedef struct ys_matcher ys_matcher;

/* Called for each match, in order of end offset: `id` is the matched
 * expression's id, `to` one past its last byte, `from` its start (regexes
 * only: a literal's start is `to` minus its length). Non-zero stops the scan. */
typedef int (*ys_on_match)(unsigned id, unsigned long long from, unsigned long long to,
                           void *ctx);

/* The expressions to compile: n of them, expression i is expr[i] (len[i]
 * bytes) with id ids[i]; caseless[i] makes its ASCII letters match either
 * case (literals only). */
typedef struct {
    const char *const *expr;
    const size_t *len;
    const unsigned char *caseless;
    const unsigned *ids;
    size_t n;
} ys_exprs;

/* A compile error: YS_ECOMPILE or YS_ENOMEM, the engine's reason in err,
 * and in *bad the position in ys_exprs of the expression it is about (-1:
 * none), so that the caller can name the pattern's file and line. */

typedef struct ys_engine {
    const char *name;    /* as --engine spells it */
    /* Recorded in .ysdb files: a file loads only into the same version. */
    const char *(*version)(void);
    int (*compile_literals)(const ys_exprs *e, ys_matcher **out, long *bad, ys_error *err);
    /* UTF-8 regexes with leftmost start; NULL if the engine has none. */
    int (*compile_regexes)(const ys_exprs *e, ys_matcher **out, long *bad, ys_error *err);
    /* Makes *scratch (NULL at first) fit matcher m too. */
    int (*grow_scratch)(const ys_matcher *m, void **scratch);
    void (*free_scratch)(void *scratch);
    /* YS_OK, or YS_ESCAN with the reason in err. */
    int (*scan)(const ys_matcher *m, void *scratch, const char *text, size_t len,
                ys_on_match on, void *ctx, ys_error *err);
    size_t (*size)(const ys_matcher *m);
    /* A malloc'd byte image for .ysdb files, and back; load checks the
     * image (YS_EDB with a reason in err) and never trusts it. */
    int (*save)(const ys_matcher *m, char **bytes, size_t *len);
    int (*load)(const char *bytes, size_t len, ys_matcher **out, ys_error *err);
    void (*free)(ys_matcher *m);
} ys_engine;

extern const ys_engine ys_engine_ac;
#ifdef YS_HAVE_HYPERSCAN
extern const ys_engine ys_engine_hs;
#define YS_ENGINES "hs, ac"
#else
#define YS_ENGINES "ac"
#endif

/* The engine called `name`, or NULL if this build has none by that name. */
const ys_engine *ys_engine_find(const char *name);

#endif
