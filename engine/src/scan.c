/* Batch scanning, through the database's engine (matcher.h). Literals: one
 * scan over the whole batch (the per-call cost of Hyperscan dominates
 * 200-byte posts), each match's end offset
 * mapped to its post with a running cursor; a match that starts in an
 * earlier post is dropped (literals report every occurrence, so no match
 * inside the post is lost with it). Regexes: one hs_scan per post, since a
 * regex's leftmost start could otherwise hide a later match.
 *
 * Posts that need folding (fold.c; few do) are folded first into a side
 * buffer; the batch scan ignores them, and they are scanned on their own,
 * folded, with hit offsets mapped back to the original text. With HTML on
 * (ys_scanner_set_html), a post with markup is decoded first (html.c) and
 * then folded, the two offset maps composed. Hits name the
 * lexicon's pattern, whichever of its spellings matched. */
#include "batch.h"
#include "db.h"
#include "foldscan.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct ys_scanner {
    const ys_db *db;
    void *scratch; /* the engine's, for every matcher of db */
    ys_hit *hits;
    size_t n, cap;
    ys_hit *sorted; /* sort_hits' room: sorted into, then swapped with hits */
    size_t capsorted;
    size_t *first; /* sort_hits: per post, where its hits go (posts + 1) */
    size_t capfirst;
    int oom;
    size_t invalid_utf8, folded;
    int no_fold;
    int html;         /* ys_scanner_set_html */
    int no_gap_pairs; /* ys_scanner_set_gap_pairs */
    int fold_exact;   /* this batch: a post not folded is its own folded form */
    /* folded posts of the batch: fpost[k] at ftext + foff[k], flen[k] bytes;
     * folded without the map of offsets (cheaper), which is made again for
     * a post a hit lands in (ensure_map) */
    unsigned char *is_folded; /* per post: 0, or IN_FTEXT with FOLDED and DECODED */
    unsigned char *has_hit;   /* per post: a hit before the context scan */
    uint64_t *cats;           /* per post: the categories hit before it (≤ 64) */
    int *catw;                /* per post and category: its strongest positive hit */
    size_t capcatw;
    int ctx_floor;            /* context only where the score could reach it */
    unsigned char *valid;     /* per post: valid UTF-8 */
    size_t *fpost, *foff, *flen, nfold, capfold, capposts;
    char *ftext;
    size_t fcap;
    /* the offset map of one folded post: mfrom/mto (room for mcap bytes of
     * folded text, in mtext), of post map_post of batch map_batch */
    char *mtext;
    uint32_t *mfrom, *mto;
    size_t mcap, map_post;
    /* a post's HTML decoded (fold_posts; ensure_map with its map) */
    char *htext;
    uint32_t *hfrom, *hto;
    size_t hcap;
    const ys_batch *map_batch;
    /* state of the scan in progress */
    const ys_batch *b;
    size_t cursor;
    int cur_folded; /* the text scanned for post `cursor` is its folded form */
};

int ys_scanner_new(const ys_db *db, ys_scanner **out, ys_error *err)
{
    *out = NULL;
    ys_scanner *sc = calloc(1, sizeof *sc);
    if (!sc)
        return ys_fail(err, YS_ENOMEM, "out of memory");
    sc->db = db;
    sc->ctx_floor = INT_MIN;
    const ys_matcher *m[3] = {db->lit, db->ctx, db->re};
    for (int i = 0; i < 3; i++)
        if (m[i] && db->eng->grow_scratch(m[i], &sc->scratch) != YS_OK) {
            ys_scanner_free(sc);
            return ys_fail(err, YS_ENOMEM, "cannot allocate the matcher's scratch space");
        }
    *out = sc;
    return YS_OK;
}

void ys_scanner_free(ys_scanner *sc)
{
    if (!sc)
        return;
    if (sc->scratch)
        sc->db->eng->free_scratch(sc->scratch);
    free(sc->hits);
    free(sc->sorted);
    free(sc->first);
    free(sc->is_folded);
    free(sc->has_hit);
    free(sc->cats);
    free(sc->catw);
    free(sc->valid);
    free(sc->fpost);
    free(sc->foff);
    free(sc->flen);
    free(sc->ftext);
    free(sc->mtext);
    free(sc->mfrom);
    free(sc->mto);
    free(sc->htext);
    free(sc->hfrom);
    free(sc->hto);
    free(sc);
}

size_t ys_scanner_invalid_utf8(const ys_scanner *sc) { return sc->invalid_utf8; }
size_t ys_scanner_folded(const ys_scanner *sc) { return sc->folded; }

int ys_scanner_folded_text(const ys_scanner *sc, size_t post, const char **text, size_t *len)
{
    const ys_batch *b = sc->b;
    if (!b || post >= b->n || sc->no_fold)
        return 0;
    if (sc->is_folded[post]) { /* fpost is in post order */
        size_t lo = 0, hi = sc->nfold;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (sc->fpost[mid] < post)
                lo = mid + 1;
            else
                hi = mid;
        }
        *text = sc->ftext + sc->foff[lo];
        *len = sc->flen[lo];
        return 1;
    }
    if (!sc->fold_exact)
        return 0;
    *text = b->text + b->posts[post].off;
    *len = b->posts[post].len;
    return 1;
}
void ys_scanner_set_fold(ys_scanner *sc, int fold) { sc->no_fold = !fold; }
void ys_scanner_set_html(ys_scanner *sc, int on) { sc->html = on; }

void ys_scanner_set_gap_pairs(ys_scanner *sc, int on) { sc->no_gap_pairs = !on; }
void ys_scanner_set_context_floor(ys_scanner *sc, int threshold) { sc->ctx_floor = threshold; }

/* The most a post can score whose strongest positive hits per category are
 * w[] (in categories `cats`): those weights, every combo of two of them,
 * every positive rule. Below the threshold, negative context cannot change
 * its verdict. */
static long best_score(const ys_scanner *sc, uint64_t cats, const int *w)
{
    const ys_table *t = &sc->db->t;
    long best = 0;
    for (unsigned c = 0; c < t->ncats; c++)
        if (cats >> c & 1)
            best += w[c];
    for (size_t k = 0; k < t->ncombos; k++)
        if ((cats >> t->combos[k].a & 1) && (cats >> t->combos[k].b & 1) && t->combos[k].bonus > 0)
            best += t->combos[k].bonus;
    for (unsigned r = 0; r < YS_RULES; r++)
        best += t->rule_weight[r] > 0 ? t->rule_weight[r] : 0;
    /* one category: rule lone fires (ys_score_text), weighing against */
    if (__builtin_popcountll(cats) == 1 && t->rule_weight[YS_RULE_LONE] < 0)
        best += t->rule_weight[YS_RULE_LONE];
    return best;
}

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

static int on_literal(unsigned id, unsigned long long from, unsigned long long to, void *ctx)
{
    (void)from;
    ys_scanner *sc = ctx;
    const ys_batch *b = sc->b;
    size_t i = sc->cursor;
    if (id >= sc->db->nspell || to > b->len || to < sc->db->lit_len[id])
        return 0; /* not from a sound matcher */
    /* Matches come in end order, so the cursor only moves forward; the
     * search is a safety net. */
    if (to <= b->posts[i].off)
        i = find_post(b, to);
    while (to > b->posts[i].off + b->posts[i].len)
        i++;
    sc->cursor = i;
    unsigned long long start = to - sc->db->lit_len[id];
    if (start < b->posts[i].off || sc->is_folded[i])
        return 0; /* spans two posts, or the post is scanned folded */
    return push(sc, i, sc->db->lit_base[id], (size_t)(start - b->posts[i].off),
                (size_t)(to - b->posts[i].off));
}

/* is_folded's bits: the post's scanned text is in ftext; it was folded; its
 * HTML was decoded (before folding). */
enum { IN_FTEXT = 1, FOLDED = 2, DECODED = 4 };

/* Decodes the HTML of text (len bytes) into htext, with the map when `map`;
 * YS_ENOMEM. */
static int decode_html(ys_scanner *sc, const char *text, size_t len, int map, size_t *out)
{
    if (len + 1 > sc->hcap) {
        if (!ys_grow(&sc->htext, len + 1, 1) || !ys_grow(&sc->hfrom, len + 1, sizeof *sc->hfrom) ||
            !ys_grow(&sc->hto, len + 1, sizeof *sc->hto))
            return YS_ENOMEM;
        sc->hcap = len + 1;
    }
    *out = ys_html_decode(text, len, sc->htext, map ? sc->hfrom : NULL, map ? sc->hto : NULL);
    return YS_OK;
}

/* Makes mfrom/mto the offset map of folded post sc->cursor: folds it
 * again, with the map (ys_fold gives the same text either way). A batch's
 * hits fall in a few posts, so this runs a few times a batch. */
static int ensure_map(ys_scanner *sc)
{
    if (sc->map_batch == sc->b && sc->map_post == sc->cursor)
        return YS_OK;
    size_t off = sc->b->posts[sc->cursor].off, len = sc->b->posts[sc->cursor].len;
    size_t need = 3 * len + 1;
    if (need > sc->mcap) {
        if (!ys_grow(&sc->mtext, need, 1) || !ys_grow(&sc->mfrom, need, sizeof *sc->mfrom) ||
            !ys_grow(&sc->mto, need, sizeof *sc->mto))
            return YS_ENOMEM;
        sc->mcap = need;
    }
    unsigned flags = sc->is_folded[sc->cursor];
    if (!(flags & DECODED)) {
        ys_fold(sc->b->text + off, len, sc->mtext, sc->mfrom, sc->mto);
    } else { /* decoded, then folded or not, as fold_posts did it */
        size_t hlen;
        if (decode_html(sc, sc->b->text + off, len, 1, &hlen) != YS_OK)
            return YS_ENOMEM;
        size_t n = hlen;
        if (flags & FOLDED) {
            n = ys_fold(sc->htext, hlen, sc->mtext, sc->mfrom, sc->mto);
            for (size_t k = 0; k < n; k++) {
                sc->mto[k] = sc->hto[sc->mto[k] - 1];
                sc->mfrom[k] = sc->hfrom[sc->mfrom[k]];
            }
        } else {
            memcpy(sc->mtext, sc->htext, hlen);
            memcpy(sc->mfrom, sc->hfrom, hlen * sizeof *sc->mfrom);
            memcpy(sc->mto, sc->hto, hlen * sizeof *sc->mto);
        }
    }
    sc->map_batch = sc->b;
    sc->map_post = sc->cursor;
    return YS_OK;
}

/* A hit at [start, end) of the text scanned for post sc->cursor: the
 * original text, or its folded form (then mapped back). */
static int push_mapped(ys_scanner *sc, unsigned pattern, unsigned long long start,
                       unsigned long long end)
{
    if (sc->cur_folded) {
        if (ensure_map(sc) != YS_OK) {
            sc->oom = 1;
            return 1; /* stops the scan */
        }
        size_t a = sc->mfrom[start], e = end > start ? sc->mto[end - 1] : a;
        return push(sc, sc->cursor, pattern, a, e);
    }
    return push(sc, sc->cursor, pattern, (size_t)start, (size_t)end);
}

static int on_folded_literal(unsigned id, unsigned long long from, unsigned long long to,
                             void *ctx)
{
    (void)from;
    ys_scanner *sc = ctx;
    if (id >= sc->db->nspell || to < sc->db->lit_len[id])
        return 0;
    return push_mapped(sc, sc->db->lit_base[id], to - sc->db->lit_len[id], to);
}

static int on_regex(unsigned id, unsigned long long from, unsigned long long to, void *ctx)
{
    return push_mapped(ctx, id, from, to);
}

static int hit_order(const void *a, const void *b)
{
    const ys_hit *x = a, *y = b;
    if (x->post != y->post) return x->post < y->post ? -1 : 1;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->pattern != y->pattern) return x->pattern < y->pattern ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* Puts the batch's hits in hit_order: by post with a counting sort (linear
 * and stable), then each post's few hits by insertion. One qsort of the
 * whole batch was 87 of the 3,237 million instructions a scan of the sample
 * takes (callgrind), most of them in calls of the comparison. */
static int sort_hits(ys_scanner *sc, size_t posts)
{
    size_t n = sc->n;
    if (n > sc->capsorted) {
        if (!ys_grow(&sc->sorted, sc->cap, sizeof *sc->sorted))
            return YS_ENOMEM;
        sc->capsorted = sc->cap;
    }
    if (posts + 1 > sc->capfirst) {
        if (!ys_grow(&sc->first, posts + 1, sizeof *sc->first))
            return YS_ENOMEM;
        sc->capfirst = posts + 1;
    }
    const ys_hit *in = sc->hits;
    ys_hit *out = sc->sorted;
    size_t *first = sc->first;
    memset(first, 0, (posts + 1) * sizeof *first);
    for (size_t i = 0; i < n; i++)
        first[in[i].post + 1]++;
    for (size_t p = 0; p < posts; p++)
        first[p + 1] += first[p];
    for (size_t i = 0; i < n; i++)
        out[first[in[i].post]++] = in[i];
    /* first[p] is now the end of post p's hits */
    for (size_t p = 0, from = 0; p < posts; from = first[p++]) {
        size_t k = first[p] - from;
        ys_hit *h = out + from;
        if (k > 32) {
            qsort(h, k, sizeof *h, hit_order);
            continue;
        }
        for (size_t i = 1; i < k; i++) {
            ys_hit x = h[i];
            size_t j = i;
            for (; j > 0 && hit_order(&x, &h[j - 1]) < 0; j--)
                h[j] = h[j - 1];
            h[j] = x;
        }
    }
    sc->sorted = sc->hits;
    sc->hits = out;
    size_t cap = sc->capsorted;
    sc->capsorted = sc->cap;
    sc->cap = cap;
    return YS_OK;
}

/* One engine scan of text[0..len) with the callback; YS_OK or an error. */
static int scan(ys_scanner *sc, const ys_matcher *m, const char *text, size_t len,
                ys_on_match on, ys_error *err)
{
    if (sc->db->eng->scan(m, sc->scratch, text, len, on, sc, err) == YS_OK)
        return YS_OK;
    if (sc->oom)
        return ys_fail(err, YS_ENOMEM, "out of memory while collecting hits");
    return YS_ESCAN; /* err says why */
}

/* Grows the per-batch arrays for `posts` posts and `bytes` of folded text. */
static int reserve(ys_scanner *sc, size_t posts, size_t bytes)
{
    if (posts > sc->capposts) {
        if (!ys_grow(&sc->is_folded, posts, 1) || !ys_grow(&sc->has_hit, posts, 1) ||
            !ys_grow(&sc->cats, posts, sizeof *sc->cats) ||
            !ys_grow(&sc->valid, posts, 1) || !ys_grow(&sc->fpost, posts, sizeof *sc->fpost) ||
            !ys_grow(&sc->foff, posts, sizeof *sc->foff) ||
            !ys_grow(&sc->flen, posts, sizeof *sc->flen))
            return YS_ENOMEM;
        sc->capposts = posts;
    }
    if (bytes > sc->fcap) {
        size_t cap = bytes > 2 * sc->fcap ? bytes : 2 * sc->fcap;
        if (!ys_grow(&sc->ftext, cap, 1))
            return YS_ENOMEM;
        sc->fcap = cap;
    }
    return YS_OK;
}

/* Folds the posts that need it into the side buffer. */
static int fold_posts(ys_scanner *sc, const ys_batch *b, ys_error *err)
{
    if (reserve(sc, b->n, 0) != YS_OK)
        return ys_fail(err, YS_ENOMEM, "out of memory");
    memset(sc->is_folded, 0, b->n);
    size_t used = 0;
    /* A gap between characters that no spelling holds side by side
     * changes no literal's hit (foldscan.h); a regex may match anything. */
    const ys_db *db = sc->db;
    int pairs = db->gap_pairs_ok && !db->re && !sc->no_gap_pairs;
    /* ys_fold_needed's promise; with pairs, a gap may be left unfolded */
    sc->fold_exact = !pairs && !sc->no_fold;
    for (size_t i = 0; i < b->n; i++) {
        const char *t = b->text + b->posts[i].off;
        size_t len = b->posts[i].len;
        /* UTF-8 validity only matters to regexes. */
        int want_valid = sc->db->re != NULL, valid = 1;
        unsigned flags = 0;
        if (sc->html && ys_html_needed(t, len)) {
            size_t hlen;
            if (decode_html(sc, t, len, 0, &hlen) != YS_OK)
                return ys_fail(err, YS_ENOMEM, "out of memory");
            if (hlen != len || memcmp(t, sc->htext, len) != 0) {
                flags = IN_FTEXT | DECODED;
                t = sc->htext;
                len = hlen;
            }
        }
        int needed = 0;
        if (sc->no_fold) { /* the text as it is (decoded) */
            valid = !want_valid || ys_utf8_valid_prefix(t, len) == len;
        } else {
            /* a decoded post's text in ftext is its exact folded form,
             * which the model reads (ys_scanner_folded_text): no pairs */
            int gaps = pairs && !flags;
            needed = ys_fold_check_gaps(t, len, want_valid ? &valid : NULL,
                                        gaps ? db->gap_pairs : NULL, gaps ? db->ngap_pairs : 0);
        }
        sc->valid[i] = (unsigned char)valid;
        if (!needed && !flags)
            continue;
        if (reserve(sc, b->n, used + 3 * len + 1) != YS_OK)
            return ys_fail(err, YS_ENOMEM, "out of memory");
        size_t n = needed ? ys_fold(t, len, sc->ftext + used, NULL, NULL) : YS_FOLD_UNCHANGED;
        if (n != YS_FOLD_UNCHANGED) {
            flags |= IN_FTEXT | FOLDED;
            sc->folded++;
        } else if (flags) {
            memcpy(sc->ftext + used, t, len);
            n = len;
        } else {
            continue;
        }
        sc->is_folded[i] = (unsigned char)flags;
        sc->fpost[sc->nfold] = i;
        sc->foff[sc->nfold] = used;
        sc->flen[sc->nfold++] = n;
        used += n;
    }
    return YS_OK;
}

int ys_scan_batch(ys_scanner *sc, const ys_batch *b, const ys_hit **hits, size_t *nhits,
                  ys_error *err)
{
    sc->n = 0;
    sc->oom = 0;
    sc->invalid_utf8 = 0;
    sc->nfold = sc->folded = 0;
    sc->b = b;
    sc->cur_folded = 0;
    sc->map_batch = NULL;
    *hits = NULL;
    *nhits = 0;
    if (b->n == 0)
        return YS_OK;
    const ys_db *db = sc->db;
    int rc = fold_posts(sc, b, err);
    if (rc != YS_OK)
        return rc;
    if (db->lit) {
        sc->cursor = 0;
        if ((rc = scan(sc, db->lit, b->text, b->len, on_literal, err)) != YS_OK)
            return rc;
        for (size_t k = 0; k < sc->nfold; k++) {
            size_t off = sc->foff[k];
            sc->cursor = sc->fpost[k];
            sc->cur_folded = 1;
            if ((rc = scan(sc, db->lit, sc->ftext + off, sc->flen[k], on_folded_literal,
                           err)) != YS_OK)
                return rc;
        }
    }
    if (db->re) {
        for (size_t i = 0, k = 0; i < b->n; i++) {
            const char *t = b->text + b->posts[i].off;
            size_t len = b->posts[i].len;
            sc->cur_folded = sc->is_folded[i];
            if (sc->is_folded[i]) { /* the folded posts are in post order */
                size_t off = sc->foff[k];
                t = sc->ftext + off;
                len = sc->flen[k++];
            }
            /* HS_FLAG_UTF8 patterns give undefined results on invalid UTF-8
             * (folding keeps invalid bytes as they are). */
            if (!sc->valid[i]) {
                sc->invalid_utf8++;
                continue;
            }
            sc->cursor = i;
            if ((rc = scan(sc, db->re, t, len, on_regex, err)) != YS_OK)
                return rc;
        }
    }
    /* Context (negative weights) only where there is something to weigh.
     * Hits so far are in post order per pass, so mark the posts first. */
    if (db->ctx && sc->n > 0) {
        size_t first = sc->n;
        memset(sc->has_hit, 0, b->n);
        for (size_t h = 0; h < first; h++)
            sc->has_hit[sc->hits[h].post] = 1;
        /* With a floor, only posts whose hits could reach it (or that hit a
         * default term, flagged whatever their score) need their context. */
        size_t nw = b->n * db->t.ncats;
        int floor = sc->ctx_floor != INT_MIN && db->t.ncats <= 64 && db->t.model.n == 0;
        if (floor && nw > sc->capcatw && ys_grow(&sc->catw, nw, sizeof *sc->catw))
            sc->capcatw = nw;
        /* (without the room, context is looked for in every post with a hit) */
        if (floor && nw <= sc->capcatw) {
            memset(sc->cats, 0, b->n * sizeof *sc->cats);
            memset(sc->catw, 0, nw * sizeof *sc->catw);
            for (size_t h = 0; h < first; h++) {
                const ys_hit *x = &sc->hits[h];
                unsigned c = db->t.cat_of[x->pattern];
                int w = db->t.pat[x->pattern].weight, *m = &sc->catw[x->post * db->t.ncats + c];
                sc->cats[x->post] |= 1ull << c;
                if (w > *m)
                    *m = w;
            }
            for (size_t i = 0; i < b->n; i++)
                if (sc->has_hit[i] && !(sc->cats[i] & 1) &&
                    best_score(sc, sc->cats[i], sc->catw + i * db->t.ncats) < sc->ctx_floor)
                    sc->has_hit[i] = 0;
        }
        for (size_t i = 0, k = 0; i < b->n; i++) {
            const char *t = b->text + b->posts[i].off;
            size_t len = b->posts[i].len;
            sc->cur_folded = sc->is_folded[i];
            if (sc->is_folded[i]) {
                size_t off = sc->foff[k];
                t = sc->ftext + off;
                len = sc->flen[k++];
            }
            if (!sc->has_hit[i])
                continue;
            sc->cursor = i;
            if ((rc = scan(sc, db->ctx, t, len, on_folded_literal, err)) != YS_OK)
                return rc;
        }
    }
    if (sc->n > 1 && sort_hits(sc, b->n) != YS_OK)
        return ys_fail(err, YS_ENOMEM, "out of memory while sorting hits");
    *hits = sc->hits;
    *nhits = sc->n;
    return YS_OK;
}
