/* The Hyperscan engine: literals through hs_compile_lit_multi (which cannot
 * take regexes, hence a separate database for those), regexes through
 * hs_compile_multi in UTF-8 mode with leftmost start of match. One scratch
 * grows to fit every database of a ys_db. */
#include "matcher.h"

#include <hs/hs.h>
#include <stdlib.h>

/* A ys_matcher is an hs_database_t; the cast keeps the type opaque. */
#define HSDB(m) ((const hs_database_t *)(const void *)(m))

static int compile_failed(hs_compile_error_t *ce, long *bad, ys_error *err)
{
    *bad = ce && ce->expression >= 0 ? ce->expression : -1;
    int rc = ys_fail(err, YS_ECOMPILE, "%s", ce ? ce->message : "Hyperscan compile failed");
    hs_free_compile_error(ce);
    return rc;
}

/* Both kinds through one path: literals with hs_compile_lit_multi (caseless
 * where asked), regexes with hs_compile_multi (UTF-8, leftmost start). */
static int compile(const ys_exprs *e, int regexes, ys_matcher **out, long *bad, ys_error *err)
{
    unsigned *flags = malloc((e->n ? e->n : 1) * sizeof *flags);
    if (!flags)
        return ys_fail(err, YS_ENOMEM, "out of memory");
    for (size_t i = 0; i < e->n; i++)
        flags[i] = regexes ? HS_FLAG_UTF8 | HS_FLAG_SOM_LEFTMOST
                           : e->caseless[i] ? HS_FLAG_CASELESS : 0;
    hs_database_t *db = NULL;
    hs_compile_error_t *ce = NULL;
    hs_error_t rc = regexes ? hs_compile_multi(e->expr, flags, e->ids, (unsigned)e->n,
                                               HS_MODE_BLOCK, NULL, &db, &ce)
                            : hs_compile_lit_multi(e->expr, flags, e->ids, e->len,
                                                   (unsigned)e->n, HS_MODE_BLOCK, NULL, &db, &ce);
    free(flags);
    if (rc != HS_SUCCESS)
        return compile_failed(ce, bad, err);
    *out = (ys_matcher *)(void *)db;
    return YS_OK;
}

static int hs_compile_literals(const ys_exprs *e, ys_matcher **out, long *bad, ys_error *err)
{
    return compile(e, 0, out, bad, err);
}

static int hs_compile_regexes(const ys_exprs *e, ys_matcher **out, long *bad, ys_error *err)
{
    return compile(e, 1, out, bad, err);
}

static int hs_grow_scratch(const ys_matcher *m, void **scratch)
{
    hs_scratch_t *s = *scratch;
    if (hs_alloc_scratch(HSDB(m), &s) != HS_SUCCESS)
        return YS_ENOMEM;
    *scratch = s;
    return YS_OK;
}

static void hs_free_scratch_(void *scratch) { hs_free_scratch(scratch); }

typedef struct {
    ys_on_match on;
    void *ctx;
} relay;

static int on_hs_match(unsigned id, unsigned long long from, unsigned long long to,
                       unsigned flags, void *ctx)
{
    (void)flags;
    const relay *r = ctx;
    return r->on(id, from, to, r->ctx);
}

static int hs_scan_(const ys_matcher *m, void *scratch, const char *text, size_t len,
                    ys_on_match on, void *ctx, ys_error *err)
{
    relay r = {on, ctx};
    hs_error_t e = hs_scan(HSDB(m), text, (unsigned)len, 0, scratch, on_hs_match, &r);
    if (e == HS_SUCCESS || e == HS_SCAN_TERMINATED)
        return e == HS_SUCCESS ? YS_OK : YS_ESCAN;
    return ys_fail(err, YS_ESCAN, "Hyperscan scan failed (error %d)", e);
}

static size_t hs_size(const ys_matcher *m)
{
    size_t n = 0;
    return hs_database_size(HSDB(m), &n) == HS_SUCCESS ? n : 0;
}

static int hs_save(const ys_matcher *m, char **bytes, size_t *len)
{
    return hs_serialize_database(HSDB(m), bytes, len) == HS_SUCCESS ? YS_OK : YS_ENOMEM;
}

static int hs_load(const char *bytes, size_t len, ys_matcher **out, ys_error *err)
{
    hs_database_t *db = NULL;
    hs_error_t e = hs_deserialize_database(bytes, len, &db);
    if (e != HS_SUCCESS)
        return ys_fail(err, YS_EDB, e == HS_DB_PLATFORM_ERROR
                                        ? "compiled for another CPU platform; recompile it"
                                        : "corrupt Hyperscan database");
    *out = (ys_matcher *)(void *)db;
    return YS_OK;
}

static void hs_free(ys_matcher *m) { hs_free_database((hs_database_t *)(void *)m); }

static const char *hs_version_(void) { return hs_version(); }

const ys_engine ys_engine_hs = {
    .name = "hs",
    .version = hs_version_,
    .compile_literals = hs_compile_literals,
    .compile_regexes = hs_compile_regexes,
    .grow_scratch = hs_grow_scratch,
    .free_scratch = hs_free_scratch_,
    .scan = hs_scan_,
    .size = hs_size,
    .save = hs_save,
    .load = hs_load,
    .free = hs_free,
};
