/* utf16 — the "denser encoding" experiment of issue 6: is Hyperscan faster
 * on Japanese text transcoded to UTF-16LE, once the transcoding is paid for?
 *
 * The feed is framed into batches in memory (as bench/stage-times does);
 * then, each RUNS times (median):
 *
 *   utf8    one hs_scan per batch over the UTF-8 text (what yamiscan does,
 *           without folding), matches mapped to posts;
 *   encode  the batch transcoded to UTF-16LE (scalar, with ASCII and
 *           3-byte fast paths) with each post's start in code units;
 *   utf16   one hs_scan per batch over the UTF-16LE text with the terms
 *           transcoded the same way; a match must start and end on a
 *           code-unit boundary (even byte offset) to count.
 *
 * It prints one JSON object: seconds of each, and the posts with a hit by
 * each scan (they must be equal). Offsets in UTF-16 would still have to be
 * mapped back to UTF-8 for reporting; that map is not built here, so the
 * figure flatters UTF-16.
 *
 *   utf16 -f TERMS [--runs N] FEED
 */
#include <hs/hs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feed.h"

#define MAX_RUNS 99

/* UTF-8 to UTF-16LE; invalid bytes become U+FFFD. Returns code units. */
static size_t to_utf16(const unsigned char *s, size_t len, uint16_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        unsigned c = s[i];
        if (c < 0x80) {
            out[n++] = (uint16_t)c;
            i++;
        } else if (c >= 0xE0 && c < 0xF0 && i + 2 < len && (s[i + 1] & 0xC0) == 0x80 &&
                   (s[i + 2] & 0xC0) == 0x80) {
            out[n++] = (uint16_t)((c & 0x0F) << 12 | (s[i + 1] & 0x3F) << 6 | (s[i + 2] & 0x3F));
            i += 3;
        } else if (c >= 0xC2 && c < 0xE0 && i + 1 < len && (s[i + 1] & 0xC0) == 0x80) {
            out[n++] = (uint16_t)((c & 0x1F) << 6 | (s[i + 1] & 0x3F));
            i += 2;
        } else if (c >= 0xF0 && c < 0xF5 && i + 3 < len && (s[i + 1] & 0xC0) == 0x80 &&
                   (s[i + 2] & 0xC0) == 0x80 && (s[i + 3] & 0xC0) == 0x80) {
            uint32_t cp = (c & 0x07) << 18 | (s[i + 1] & 0x3Fu) << 12 | (s[i + 2] & 0x3Fu) << 6 |
                          (s[i + 3] & 0x3Fu);
            cp -= 0x10000;
            out[n++] = (uint16_t)(0xD800 | cp >> 10);
            out[n++] = (uint16_t)(0xDC00 | (cp & 0x3FF));
            i += 4;
        } else {
            out[n++] = 0xFFFD;
            i++;
        }
    }
    return n;
}

/* One batch as one buffer: its posts lie back to back in the batch's text. */
typedef struct {
    const char *text;
    size_t len, n;
    size_t *start; /* post starts, in bytes of the scanned buffer; n + 1 */
    size_t unit;   /* 1 for UTF-8, 2 for UTF-16 */
    const unsigned *tlen; /* term lengths in bytes of the scanned encoding */
    size_t cursor, last_hit_post, hit_posts;
} scan_state;

static int on_match(unsigned id, unsigned long long from, unsigned long long to,
                    unsigned flags, void *ctx)
{
    (void)from;
    (void)flags;
    scan_state *s = ctx;
    unsigned long long start = to - s->tlen[id];
    if (s->unit == 2 && (to & 1))
        return 0; /* inside a code unit */
    while (s->cursor + 1 < s->n && s->start[s->cursor + 1] < to)
        s->cursor++;
    if (start < s->start[s->cursor])
        return 0; /* spans two posts */
    if (s->last_hit_post != s->cursor + 1) {
        s->last_hit_post = s->cursor + 1;
        s->hit_posts++;
    }
    return 0;
}

static hs_database_t *compile(char **terms, unsigned *lens, unsigned n)
{
    unsigned *ids = malloc(n * sizeof *ids), *flags = calloc(n, sizeof *flags);
    size_t *len = malloc(n * sizeof *len);
    for (unsigned i = 0; i < n; i++)
        ids[i] = i, len[i] = lens[i];
    hs_database_t *db;
    hs_compile_error_t *ce;
    if (hs_compile_lit_multi((const char *const *)terms, flags, ids, len, n, HS_MODE_BLOCK, NULL,
                             &db, &ce) != HS_SUCCESS) {
        fprintf(stderr, "utf16: %s\n", ce->message);
        exit(2);
    }
    free(ids);
    free(flags);
    free(len);
    return db;
}

int main(int argc, char **argv)
{
    const char *terms_path = NULL, *path = NULL;
    int runs = 3;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-f") && i + 1 < argc)
            terms_path = argv[++i];
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else
            path = argv[i];
    }
    if (!terms_path || !path || runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "usage: utf16 -f TERMS [--runs N] FEED\n"
                        "Times Hyperscan on the feed's posts in UTF-8 and in UTF-16LE (JSON).\n");
        return 2;
    }
    /* The terms, in both encodings. */
    size_t tl;
    char *tbuf = feed_read(terms_path, &tl);
    unsigned n = 0, cap = 1024;
    char **t8 = malloc(cap * sizeof *t8), **t16 = malloc(cap * sizeof *t16);
    unsigned *l8 = malloc(cap * sizeof *l8), *l16 = malloc(cap * sizeof *l16);
    for (char *line = tbuf, *nl; line < tbuf + tl; line = nl + 1) {
        nl = memchr(line, '\n', (size_t)(tbuf + tl - line));
        if (!nl)
            nl = tbuf + tl;
        if (nl == line)
            continue;
        if (n == cap) {
            cap *= 2;
            t8 = realloc(t8, cap * sizeof *t8), t16 = realloc(t16, cap * sizeof *t16);
            l8 = realloc(l8, cap * sizeof *l8), l16 = realloc(l16, cap * sizeof *l16);
        }
        t8[n] = line, l8[n] = (unsigned)(nl - line);
        uint16_t *u = malloc(2 * l8[n]);
        l16[n] = 2 * (unsigned)to_utf16((const unsigned char *)line, l8[n], u);
        t16[n++] = (char *)u;
    }
    hs_database_t *db8 = compile(t8, l8, n), *db16 = compile(t16, l16, n);
    hs_scratch_t *scratch = NULL;
    hs_alloc_scratch(db8, &scratch);
    hs_alloc_scratch(db16, &scratch);

    size_t len;
    char *data = feed_read(path, &len);
    frames kept = {.keep = 1};
    feed_frame(path, data, len, &kept);
    free(data);

    size_t maxposts = 0, maxlen = 0;
    for (size_t b = 0; b < kept.nkept; b++) {
        ys_post first, last;
        size_t np = ys_batch_count(kept.kept[b]);
        ys_batch_post(kept.kept[b], 0, &first);
        ys_batch_post(kept.kept[b], np - 1, &last);
        maxposts = np > maxposts ? np : maxposts;
        size_t bl = (size_t)(last.text + last.len - first.text);
        maxlen = bl > maxlen ? bl : maxlen;
    }
    size_t *start8 = malloc((maxposts + 1) * sizeof *start8);
    size_t *start16 = malloc((maxposts + 1) * sizeof *start16);
    uint16_t *u16 = malloc(2 * maxlen + 2);
    double t[3][MAX_RUNS];
    size_t hits8 = 0, hits16 = 0, bytes = 0;
    for (int r = 0; r < runs; r++) {
        hits8 = hits16 = bytes = 0;
        t[0][r] = t[1][r] = t[2][r] = 0;
        for (size_t b = 0; b < kept.nkept; b++) {
            const ys_batch *bt = kept.kept[b];
            size_t np = ys_batch_count(bt);
            ys_post p;
            ys_batch_post(bt, 0, &p);
            const char *base = p.text;
            for (size_t i = 0; i < np; i++) {
                ys_batch_post(bt, i, &p);
                start8[i] = (size_t)(p.text - base);
            }
            size_t blen = (size_t)(p.text + p.len - base);
            bytes += blen;
            start8[np] = blen;
            double t0 = feed_now();
            scan_state s8 = {base, blen, np, start8, 1, l8, 0, 0, 0};
            hs_scan(db8, base, (unsigned)blen, 0, scratch, on_match, &s8);
            double t1 = feed_now();
            size_t units = 0;
            for (size_t i = 0; i < np; i++) { /* post by post, to know where each starts */
                start16[i] = 2 * units;
                units += to_utf16((const unsigned char *)base + start8[i],
                                  start8[i + 1] - start8[i], u16 + units);
            }
            start16[np] = 2 * units;
            double t2 = feed_now();
            scan_state s16 = {(const char *)u16, 2 * units, np, start16, 2, l16, 0, 0, 0};
            hs_scan(db16, (const char *)u16, (unsigned)(2 * units), 0, scratch, on_match, &s16);
            double t3 = feed_now();
            t[0][r] += t1 - t0, t[1][r] += t2 - t1, t[2][r] += t3 - t2;
            hits8 += s8.hit_posts, hits16 += s16.hit_posts;
        }
    }
    printf("{\"terms\":%u,\"bytes\":%zu,\"utf8_s\":%.4f,\"encode_s\":%.4f,\"utf16_s\":%.4f,"
           "\"hit_posts_utf8\":%zu,\"hit_posts_utf16\":%zu}\n",
           n, bytes, feed_median(t[0], runs), feed_median(t[1], runs), feed_median(t[2], runs),
           hits8, hits16);
    feed_free(&kept);
    hs_free_scratch(scratch);
    hs_free_database(db8);
    hs_free_database(db16);
    for (unsigned i = 0; i < n; i++)
        free(t16[i]);
    free(t8), free(t16), free(l8), free(l16), free(tbuf);
    free(start8), free(start16), free(u16);
    return 0;
}
