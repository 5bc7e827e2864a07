/* Scanning: the hit set equals that of a reference matcher (every folded
 * pattern searched with memmem in the folded post, offsets mapped back) on
 * thousands of generated posts, framed with tiny batches and random input
 * splits so posts straddle every boundary. */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "yamiscan.h"

static const char *const patterns[] = {"闇バイト", "バイト", "イト", "受け子", "子", "ab",
                                       "b", "ﾎﾜｲﾄ", "即日即金"};
#define NPAT (sizeof patterns / sizeof patterns[0])
static const char *const words[] = {"闇", "バ", "イ", "ト", "受け", "子", "a", "b", "ab",
                                    "ﾎﾜ", "ｲﾄ", "即日", "即金", " ", "。", "普通の文", "x",
                                    "\xff", "🌙"};
#define NPOSTS 3000

typedef struct {
    uint64_t line;
    uint32_t pattern, start, end;
} found;

static int cmp_found(const void *a, const void *b)
{
    const found *x = a, *y = b;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->pattern != y->pattern) return x->pattern < y->pattern ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

/* ys_scan_batch's order: by post, then start, pattern and end. */
static int hit_cmp(const ys_hit *x, const ys_hit *y)
{
    if (x->post != y->post) return x->post < y->post ? -1 : 1;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->pattern != y->pattern) return x->pattern < y->pattern ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

typedef struct {
    ys_scanner *sc;
    found *f;
    size_t n, cap;
} sink;

static void add(sink *s, uint64_t line, uint32_t pat, uint32_t start, uint32_t end)
{
    if (s->n == s->cap)
        s->f = realloc(s->f, (s->cap = s->cap ? 2 * s->cap : 1024) * sizeof *s->f);
    s->f[s->n++] = (found){line, pat, start, end};
}

static int on_batch(void *ctx, ys_batch *b)
{
    sink *s = ctx;
    const ys_hit *h;
    size_t n;
    ys_error err;
    cr_assert_eq(ys_scan_batch(s->sc, b, &h, &n, &err), YS_OK);
    for (size_t i = 0; i < n; i++) {
        ys_post p;
        ys_batch_post(b, h[i].post, &p);
        cr_assert_leq(h[i].end, p.len);
        cr_assert(i == 0 || hit_cmp(&h[i - 1], &h[i]) <= 0, "hit %zu out of order", i);
        add(s, p.line, h[i].pattern, h[i].start, h[i].end);
    }
    return 0;
}

static unsigned long long seed = 12345;
static unsigned rnd(unsigned n)
{
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)((seed >> 33) % n);
}

Test(scan, equals_memmem_reference_across_batch_and_chunk_boundaries)
{
    ys_error err;
    ys_lexicon *lex = ys_lexicon_new();
    for (size_t i = 0; i < NPAT; i++)
        cr_assert_eq(ys_lexicon_add_term(lex, patterns[i], &err), YS_OK);
    ys_db *db;
    cr_assert_eq(ys_db_compile(lex, &db, &err), YS_OK, "%s", err.message);
    size_t npat = ys_lexicon_size(lex);

    /* Build the posts: random words, with patterns at the first and last byte
     * and pattern halves at post ends (a match across two posts must not be
     * reported). */
    size_t cap = 1 << 22, len = 0;
    char *input = malloc(cap);
    sink ref = {0};
    for (uint64_t line = 1; line <= NPOSTS; line++) {
        char post[512] = "";
        size_t pl = 0;
        if (rnd(3) == 0) {
            const char *p = ys_db_pattern(db, rnd((unsigned)npat))->expr;
            pl += (size_t)sprintf(post + pl, "%s", p);
        }
        unsigned k = rnd(20);
        for (unsigned i = 0; i < k; i++)
            pl += (size_t)sprintf(post + pl, "%s", words[rnd(sizeof words / sizeof *words)]);
        if (rnd(3) == 0)
            pl += (size_t)sprintf(post + pl, "%s", ys_db_pattern(db, rnd((unsigned)npat))->expr);
        if (rnd(4) == 0)
            pl += (size_t)sprintf(post + pl, "闇バ"); /* next post may start with イト */
        if (strspn(post, " ") == pl)
            pl += (size_t)sprintf(post + pl, "。"); /* blank lines are not posts */
        /* The reference sees what the scanner must: folded text, folded terms. */
        char text[1600], term[64];
        uint32_t from[1600], to[1600], tf[64], tt[64];
        size_t tl = ys_fold(post, pl, text, from, to);
        if (tl == YS_FOLD_UNCHANGED) {
            memcpy(text, post, tl = pl);
            for (size_t b = 0; b < pl; b++)
                from[b] = (uint32_t)b, to[b] = (uint32_t)b + 1;
        }
        for (uint32_t p = 0; p < npat; p++) {
            const ys_pattern *pt = ys_db_pattern(db, p);
            size_t ml = ys_fold(pt->expr, pt->expr_len, term, tf, tt);
            if (ml == YS_FOLD_UNCHANGED)
                memcpy(term, pt->expr, ml = pt->expr_len);
            const char *at = text;
            while ((at = memmem(at, (size_t)(text + tl - at), term, ml))) {
                size_t a = (size_t)(at - text);
                add(&ref, line, p, from[a], to[a + ml - 1]);
                at++;
            }
        }
        memcpy(input + len, post, pl);
        len += pl;
        input[len++] = '\n';
    }

    ys_scanner *sc;
    cr_assert_eq(ys_scanner_new(db, &sc, &err), YS_OK);
    size_t batch_sizes[] = {600, 4096, 1 << 20};
    for (size_t bs = 0; bs < 3; bs++) {
        sink got = {sc, NULL, 0, 0};
        ys_frame_options o = {.format = YS_INPUT_LINES};
        ys_framer *fr;
        cr_assert_eq(ys_framer_new(&o, "gen", batch_sizes[bs], on_batch, &got, &fr, &err), YS_OK);
        for (size_t off = 0; off < len;) {
            size_t n = 1 + rnd(bs == 0 ? 50 : 5000);
            if (off + n > len)
                n = len - off;
            cr_assert_eq(ys_framer_feed(fr, input + off, n, &err), YS_OK);
            off += n;
        }
        cr_assert_eq(ys_framer_finish(fr, &err), YS_OK);
        cr_assert_eq(ys_framer_posts(fr), NPOSTS, "%llu posts",
                     (unsigned long long)ys_framer_posts(fr));
        ys_framer_free(fr);
        qsort(ref.f, ref.n, sizeof *ref.f, cmp_found);
        qsort(got.f, got.n, sizeof *got.f, cmp_found);
        cr_assert_eq(got.n, ref.n, "batch %zu: %zu hits, reference %zu", batch_sizes[bs], got.n,
                     ref.n);
        for (size_t i = 0; i < ref.n; i++)
            cr_assert(cmp_found(&got.f[i], &ref.f[i]) == 0,
                      "hit %zu differs: line %llu pattern %u %u-%u vs ref line %llu pattern %u %u-%u",
                      i, (unsigned long long)got.f[i].line, got.f[i].pattern, got.f[i].start,
                      got.f[i].end, (unsigned long long)ref.f[i].line, ref.f[i].pattern,
                      ref.f[i].start, ref.f[i].end);
        free(got.f);
    }
    cr_assert_gt(ref.n, NPOSTS / 2, "the test must exercise many hits");
    free(ref.f);
    free(input);
    ys_scanner_free(sc);
    ys_db_free(db);
    ys_lexicon_free(lex);
}

Test(scan, regex_hits_have_leftmost_start_and_skip_invalid_utf8)
{
    need_hyperscan();
    ys_error err;
    ys_lexicon *lex = ys_lexicon_new();
    const char *tsv = "pay\tdefault\t2\tre\t日給[0-9０-９]+万\nlit\tdefault\t1\tlit\t万\n";
    cr_assert_eq(ys_lexicon_parse_tsv(lex, "t", tsv, strlen(tsv), &err), YS_OK);
    ys_db *db;
    cr_assert_eq(ys_db_compile(lex, &db, &err), YS_OK, "%s", err.message);
    ys_scanner *sc;
    cr_assert_eq(ys_scanner_new(db, &sc, &err), YS_OK);
    ys_batch *b = ys_batch_new(1024);
    ys_batch_add(b, "日給５万", strlen("日給５万"), NULL, 0, 1);
    const char *bad = "bad\xff 日給3万";
    ys_batch_add(b, bad, strlen(bad), NULL, 0, 2);
    const ys_hit *h;
    size_t n;
    cr_assert_eq(ys_scan_batch(sc, b, &h, &n, &err), YS_OK);
    /* post 0: regex 0..12 and literal 9..12; post 1: only the literal */
    cr_assert_eq(n, 3);
    cr_assert(h[0].post == 0 && h[0].pattern == 0 && h[0].start == 0 && h[0].end == 12);
    cr_assert(h[1].post == 0 && h[1].pattern == 1 && h[1].start == 9 && h[1].end == 12);
    cr_assert(h[2].post == 1 && h[2].pattern == 1 && h[2].start == 12 && h[2].end == 15);
    cr_assert_eq(ys_scanner_invalid_utf8(sc), 1);
    /* The regex pass's hits and the literals' come apart; merged in order
     * whether a post has a few (sorted by insertion) or many (by qsort). */
    ys_batch *many = ys_batch_new(1 << 16);
    char big[40 * 12 + 1] = "";
    for (int i = 0; i < 40; i++)
        strcat(big, "日給5万");
    for (uint64_t line = 1; line <= 5; line++)
        ys_batch_add(many, line == 3 ? big : "日給5万 日給7万", line == 3 ? strlen(big) : strlen("日給5万 日給7万"),
                     NULL, 0, line);
    cr_assert_eq(ys_scan_batch(sc, many, &h, &n, &err), YS_OK);
    cr_assert_eq(n, 4 * 4 + 80);
    for (size_t i = 1; i < n; i++)
        cr_assert(hit_cmp(&h[i - 1], &h[i]) < 0, "hit %zu out of order", i);
    cr_assert(h[8].post == 2 && h[8].pattern == 0 && h[8].start == 0 && h[9].pattern == 1);
    ys_batch_free(many);
    ys_scorer *scorer;
    cr_assert_eq(ys_scorer_new(db, &scorer, &err), YS_OK);
    ys_verdict v;
    ys_score_post(scorer, h, 2, &v); /* one category: its strongest term counts */
    cr_assert_eq(v.score, 2);
    cr_assert_eq(v.flagged, 1);
    ys_hit repeated[3] = {h[1], h[1], h[0]};
    ys_score_post(scorer, repeated, 3, &v);
    cr_assert_eq(v.score, 2);
    ys_score_post(scorer, repeated, 1, &v); /* the next post starts afresh */
    cr_assert_eq(v.score, 1);
    ys_score_post(scorer, NULL, 0, &v);
    cr_assert_eq(v.flagged, 0);
    ys_scorer_free(scorer);
    ys_batch_free(b);
    ys_scanner_free(sc);
    ys_db_free(db);
    ys_lexicon_free(lex);
}
