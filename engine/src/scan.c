/* Batch scanning. Literals: one hs_scan over the whole batch (the per-call
 * cost of Hyperscan dominates 200-byte posts), each match's end offset
 * mapped to its post with a running cursor; a match that starts in an
 * earlier post is dropped (literals report every occurrence, so no match
 * inside the post is lost with it). Regexes: one hs_scan per post, since a
 * regex's leftmost start could otherwise hide a later match. */
#include "batch.h"
#include "db.h"

#include <stdlib.h>
#include <string.h>

struct ys_scanner {
    const ys_db *db;
    hs_scratch_t *scratch;
    ys_hit *hits;
    size_t n, cap;
    int oom;
    size_t invalid_utf8;
    /* state of the scan in progress */
    const ys_batch *b;
    size_t cursor;
};

int ys_scanner_new(const ys_db *db, ys_scanner **out, ys_error *err)
{
    *out = NULL;
    ys_scanner *sc = calloc(1, sizeof *sc);
    if (!sc)
        return ys_fail(err, YS_ENOMEM, "out of memory");
    sc->db = db;
    /* One scratch serves both databases: allocating for the second grows it. */
    if ((db->lit && hs_alloc_scratch(db->lit, &sc->scratch) != HS_SUCCESS) ||
        (db->re && hs_alloc_scratch(db->re, &sc->scratch) != HS_SUCCESS)) {
        ys_scanner_free(sc);
        return ys_fail(err, YS_ENOMEM, "cannot allocate Hyperscan scratch space");
    }
    *out = sc;
    return YS_OK;
}

void ys_scanner_free(ys_scanner *sc)
{
    if (!sc)
        return;
    hs_free_scratch(sc->scratch);
    free(sc->hits);
    free(sc);
}

size_t ys_scanner_invalid_utf8(const ys_scanner *sc) { return sc->invalid_utf8; }

static int push(ys_scanner *sc, size_t post, unsigned id, size_t start, size_t end)
{
    if (sc->n == sc->cap) {
        size_t cap = sc->cap ? sc->cap * 2 : 4096;
        ys_hit *h = realloc(sc->hits, cap * sizeof *h);
        if (!h) {
            sc->oom = 1;
            return 1; /* stops the scan */
        }
        sc->hits = h;
        sc->cap = cap;
    }
    sc->hits[sc->n++] = (ys_hit){(uint32_t)post, id, (uint32_t)start, (uint32_t)end};
    return 0;
}

/* First post whose text ends at or after `end`. */
static size_t find_post(const ys_batch *b, unsigned long long end)
{
    size_t lo = 0, hi = b->n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->posts[mid].off + b->posts[mid].len < end)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int on_literal(unsigned id, unsigned long long from, unsigned long long to,
                      unsigned flags, void *ctx)
{
    (void)from;
    (void)flags;
    ys_scanner *sc = ctx;
    const ys_batch *b = sc->b;
    size_t i = sc->cursor;
    /* Hyperscan reports in end order, so the cursor only moves forward;
     * the search is a safety net. */
    if (to <= b->posts[i].off)
        i = find_post(b, to);
    while (to > b->posts[i].off + b->posts[i].len)
        i++;
    sc->cursor = i;
    unsigned long long start = to - sc->db->len_of[id];
    if (start < b->posts[i].off)
        return 0; /* spans two posts */
    return push(sc, i, id, (size_t)(start - b->posts[i].off), (size_t)(to - b->posts[i].off));
}

static int on_regex(unsigned id, unsigned long long from, unsigned long long to,
                    unsigned flags, void *ctx)
{
    (void)flags;
    ys_scanner *sc = ctx;
    return push(sc, sc->cursor, id, (size_t)from, (size_t)to);
}

static int hit_order(const void *a, const void *b)
{
    const ys_hit *x = a, *y = b;
    if (x->post != y->post) return x->post < y->post ? -1 : 1;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->pattern != y->pattern) return x->pattern < y->pattern ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static int scan_failed(ys_scanner *sc, hs_error_t e, ys_error *err)
{
    if (sc->oom)
        return ys_fail(err, YS_ENOMEM, "out of memory while collecting hits");
    return ys_fail(err, YS_ESCAN, "Hyperscan scan failed (error %d)", e);
}

int ys_scan_batch(ys_scanner *sc, const ys_batch *b, const ys_hit **hits, size_t *nhits,
                  ys_error *err)
{
    sc->n = 0;
    sc->oom = 0;
    sc->invalid_utf8 = 0;
    sc->b = b;
    *hits = NULL;
    *nhits = 0;
    if (b->n == 0)
        return YS_OK;
    const ys_db *db = sc->db;
    if (db->lit) {
        sc->cursor = 0;
        hs_error_t e = hs_scan(db->lit, b->text, (unsigned)b->len, 0, sc->scratch,
                               on_literal, sc);
        if (e != HS_SUCCESS)
            return scan_failed(sc, e, err);
    }
    if (db->re) {
        for (size_t i = 0; i < b->n; i++) {
            const char *t = b->text + b->posts[i].off;
            size_t len = b->posts[i].len;
            /* HS_FLAG_UTF8 patterns give undefined results on invalid UTF-8. */
            if (ys_utf8_valid_prefix(t, len) != len) {
                sc->invalid_utf8++;
                continue;
            }
            sc->cursor = i;
            hs_error_t e = hs_scan(db->re, t, (unsigned)len, 0, sc->scratch, on_regex, sc);
            if (e != HS_SUCCESS)
                return scan_failed(sc, e, err);
        }
    }
    if (sc->n > 1)
        qsort(sc->hits, sc->n, sizeof *sc->hits, hit_order);
    *hits = sc->hits;
    *nhits = sc->n;
    return YS_OK;
}
