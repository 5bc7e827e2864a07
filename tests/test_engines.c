/* The two engines must agree. Every hit (post, pattern, start, end) of the
 * Aho-Corasick engine equals Hyperscan's, with folding on, over generated
 * feeds (ads with evasive spellings, news, \u escapes) and over random text
 * dense with overlapping terms, for the bundled lexicon's literals and for
 * random lexicons mixing case-sensitive and caseless Latin terms. Where this
 * build has no Hyperscan, the Aho-Corasick engine is held to a memmem
 * reference instead. Also: an automaton survives a .ysdb round trip. */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "yamiscan.h"

static uint64_t seed = 0x5eed;
static unsigned rnd(unsigned n)
{
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)((seed >> 33) % n);
}

typedef struct {
    char *data;
    size_t len, cap;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap)
        b->data = realloc(b->data, b->cap = 2 * (b->len + n + 1));
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}
static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

static ys_db *compile(const char *tsv, const char *engine)
{
    ys_error err;
    ys_lexicon *lex = ys_lexicon_new();
    cr_assert_eq(ys_lexicon_parse_tsv(lex, "t.tsv", tsv, strlen(tsv), &err), YS_OK, "%s",
                 err.message);
    ys_db *db;
    cr_assert_eq(ys_db_compile_with(lex, engine, &db, &err), YS_OK, "%s", err.message);
    ys_lexicon_free(lex);
    return db;
}

/* The bundled lexicon without its regex rows and its @model line (the model
 * file is named relative to the lexicon's path, which a text has not). */
static char *bundled_literals(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/patterns/ja-recruitment.tsv", getenv("SOURCE_ROOT"));
    size_t len;
    char *all = read_file(path, &len);
    buf out = {0};
    for (char *line = all; *line;) {
        char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line + 1) : strlen(line);
        int model = !strncmp(line, "@model\t", 7);
        if (!model && (!strstr(line, "\tre\t") || (nl && strstr(line, "\tre\t") > nl)))
            put(&out, line, n);
        line += n;
    }
    free(all);
    return out.data;
}

/* Lexicon rows of random terms over a small alphabet, so that terms
 * overlap, nest and share prefixes and suffixes; Latin letters in mixed
 * case, a third of the terms `exact` (case-sensitive). */
static const char *const alpha[] = {"a", "B", "c", "闇", "金", "案", "件", "子", "受", "日",
                                    /* not for the memmem test: folding may change them */
                                    "é", "🌙"};
#define NALPHA 10 /* the first ones */
#define NALPHA_ALL (sizeof alpha / sizeof alpha[0])

static char *random_lexicon(size_t nterms, char terms[][64], unsigned nalpha)
{
    buf b = {0};
    /* a threshold far above the weights: no term is strong enough for
     * masked spellings, so that a `lit` term without kana is its own only
     * spelling (the memmem reference counts on it) */
    puts_(&b, "@category\tx\ttest terms\n@threshold\t1000\n");
    for (size_t i = 0; i < nterms; i++) {
        terms[i][0] = 0;
        for (unsigned k = 1 + rnd(4); k; k--)
            strcat(terms[i], alpha[rnd(nalpha)]);
        char row[160]; /* a term is at most 4 pieces of 4 bytes: it fits */
        snprintf(row, sizeof row, "t%zu\tx\t1\t%s\t%.64s\n", i, i % 3 ? "lit" : "exact", terms[i]);
        puts_(&b, row);
    }
    return b.data;
}

/* Posts of random pieces: alphabet letters, spaces and emoji between
 * Japanese characters (folded away), half-width forms, 2- and 4-byte
 * characters, and bytes that are not UTF-8: a lone lead byte, a stray
 * continuation byte, an overlong form, a surrogate, a value past U+10FFFF. */
static buf random_posts(size_t nposts)
{
    static const char *const extra[] = {" ", "🌙", "ﾎﾜｲﾄ", "ホワイト", "。", "ｱ", "Ａ", "\xe3",
                                        "受 け 子", "闇バ・イト", "é", "\x81", "\xe0\x80\xaf",
                                        "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe9\x97"};
    buf b = {0};
    for (size_t i = 0; i < nposts; i++) {
        for (unsigned k = rnd(60); k; k--)
            puts_(&b, rnd(4) ? alpha[rnd(NALPHA_ALL)] : extra[rnd(sizeof extra / sizeof *extra)]);
        puts_(&b, "\n");
    }
    return b;
}

/* The feed generator's posts, as JSON lines. */
static buf generated_posts(int posts, int seed_)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "\"$GEN_POSTS\" --posts %d --seed %d --recruit-pct 30 "
             "--news-pct 10 --food-pct 5 --escape-pct 10", posts, seed_);
    run_result r = run_sh(cmd);
    cr_assert_eq(r.status, 0, "%s", r.err);
    buf b = {r.out, r.out_len, r.out_len};
    free(r.err);
    return b;
}

typedef struct {
    ys_hit *h;
    size_t n, cap;
} hits;

typedef struct {
    ys_scanner *sc;
    hits got;
} sink;

static int on_batch(void *ctx, ys_batch *b)
{
    sink *s = ctx;
    const ys_hit *h;
    size_t n;
    ys_error err;
    cr_assert_eq(ys_scan_batch(s->sc, b, &h, &n, &err), YS_OK, "%s", err.message);
    for (size_t i = 0; i < n; i++) {
        if (s->got.n == s->got.cap)
            s->got.h = realloc(s->got.h, (s->got.cap = 2 * s->got.cap + 1024) * sizeof *s->got.h);
        ys_post p;
        ys_batch_post(b, h[i].post, &p);
        s->got.h[s->got.n] = h[i];
        s->got.h[s->got.n++].post = (uint32_t)p.line; /* batches differ: key by line */
    }
    return 0;
}

/* Every hit of `db` over `input` (lines or JSONL), keyed by line. */
static hits scan_all(const ys_db *db, const buf *input, int jsonl, int fold)
{
    ys_error err;
    sink s = {0};
    cr_assert_eq(ys_scanner_new(db, &s.sc, &err), YS_OK, "%s", err.message);
    ys_scanner_set_fold(s.sc, fold);
    ys_frame_options o = {.format = jsonl ? YS_INPUT_JSONL : YS_INPUT_LINES};
    ys_framer *fr;
    cr_assert_eq(ys_framer_new(&o, "gen", 1 << 16, on_batch, &s, &fr, &err), YS_OK);
    cr_assert_eq(ys_framer_feed(fr, input->data, input->len, &err), YS_OK, "%s", err.message);
    cr_assert_eq(ys_framer_finish(fr, &err), YS_OK, "%s", err.message);
    ys_framer_free(fr);
    ys_scanner_free(s.sc);
    return s.got;
}

/* ac's hits must equal the reference's (hs, or memmem), in order. */
static void expect_same(const hits *ac, const hits *hs, const char *what)
{
    cr_assert_gt(hs->n, 100, "%s: too few hits (%zu) to compare anything", what, hs->n);
    size_t n = ac->n < hs->n ? ac->n : hs->n;
    for (size_t i = 0; i < n; i++) {
        const ys_hit *x = &ac->h[i], *y = &hs->h[i];
        cr_assert(x->post == y->post && x->pattern == y->pattern && x->start == y->start &&
                      x->end == y->end,
                  "%s: hit %zu differs: ac line %u pattern %u [%u,%u), hs line %u pattern %u "
                  "[%u,%u)", what, i, x->post, x->pattern, x->start, x->end, y->post,
                  y->pattern, y->start, y->end);
    }
    cr_assert_eq(ac->n, hs->n, "%s: ac %zu hits, hs %zu", what, ac->n, hs->n);
}

/* The scanner's order: post, start, pattern, end. */
static int hit_order(const void *a, const void *b)
{
    const ys_hit *x = a, *y = b;
    if (x->post != y->post) return x->post < y->post ? -1 : 1;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->pattern != y->pattern) return x->pattern < y->pattern ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

static int have_hs(void) { return ys_engine_version("hs") != NULL; }

static void compare(const char *tsv, const buf *input, int jsonl, const char *what)
{
    if (!have_hs())
        cr_skip_test("no Hyperscan in this build: the memmem reference test stands in");
    ys_db *ac = compile(tsv, "ac"), *hs = compile(tsv, "hs");
    for (int fold = 0; fold < 2; fold++) {
        hits a = scan_all(ac, input, jsonl, fold), h = scan_all(hs, input, jsonl, fold);
        char name[128];
        snprintf(name, sizeof name, "%s, %s", what, fold ? "folded" : "unfolded");
        expect_same(&a, &h, name);
        free(a.h);
        free(h.h);
    }
    ys_db_free(ac);
    ys_db_free(hs);
}

Test(engines, bundled_literals_on_generated_feed)
{
    char *tsv = bundled_literals();
    buf in = generated_posts(20000, 7);
    compare(tsv, &in, 1, "bundled literals, generated feed");
    free(in.data);
    free(tsv);
}

Test(engines, bundled_literals_on_random_text)
{
    char *tsv = bundled_literals();
    buf in = random_posts(5000);
    compare(tsv, &in, 0, "bundled literals, random text");
    free(in.data);
    free(tsv);
}

Test(engines, random_overlapping_lexicons)
{
    static char terms[400][64];
    for (int round = 0; round < 8; round++) {
        char *tsv = random_lexicon(round < 4 ? 5 + 10 * round : 400, terms, NALPHA_ALL);
        buf in = random_posts(2000);
        char what[64];
        snprintf(what, sizeof what, "random lexicon %d", round);
        compare(tsv, &in, 0, what);
        free(in.data);
        free(tsv);
    }
}

/* Unfolded, every term found by memmem (caseless unless `exact`), at every
 * position, counted: the AC engine alone, so that it is checked in a build
 * without Hyperscan too. Terms here are kana-free, so that no reading or
 * script variant is compiled beside them. */
Test(engines, ac_equals_memmem_reference)
{
    static char terms[200][64];
    char *tsv = random_lexicon(200, terms, NALPHA);
    buf in = random_posts(3000);
    ys_db *db = compile(tsv, "ac");
    hits got = scan_all(db, &in, 0, 0), want = {0};
    uint32_t line = 1;
    for (char *p = in.data; *p; line++) {
        char *nl = strchr(p, '\n');
        size_t len = (size_t)(nl - p), first = want.n;
        char lowered[4096];
        for (size_t i = 0; i < len; i++)
            lowered[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
        for (uint32_t t = 0; t < 200; t++) {
            int exact = t % 3 == 0;
            char term[64];
            size_t tl = strlen(terms[t]);
            for (size_t i = 0; i <= tl; i++)
                term[i] = (char)(!exact && terms[t][i] >= 'A' && terms[t][i] <= 'Z'
                                     ? terms[t][i] + 32 : terms[t][i]);
            const char *hay = exact ? p : lowered;
            for (size_t at = 0; at + tl <= len; at++)
                if (!memcmp(hay + at, term, tl)) {
                    if (want.n == want.cap)
                        want.h = realloc(want.h, (want.cap = 2 * want.cap + 1024) * sizeof *want.h);
                    want.h[want.n++] = (ys_hit){line, t, (uint32_t)at, (uint32_t)(at + tl)};
                }
        }
        qsort(want.h + first, want.n - first, sizeof *want.h, hit_order);
        p = nl + 1;
    }
    expect_same(&got, &want, "ac against memmem");
    free(want.h);
    free(got.h);
    ys_db_free(db);
    free(in.data);
    free(tsv);
}

Test(engines, ac_database_round_trip_and_regex_error)
{
    char *tsv = bundled_literals();
    ys_db *db = compile(tsv, "ac"), *back;
    ys_error err;
    const char *path = tmp_path("ac.ysdb");
    cr_assert_eq(ys_db_save(db, path, &err), YS_OK, "%s", err.message);
    cr_assert_eq(ys_db_load(path, &back, &err), YS_OK, "%s", err.message);
    ys_db_stats a, b;
    ys_db_get_stats(db, &a);
    ys_db_get_stats(back, &b);
    cr_assert_str_eq(b.engine, "ac");
    cr_assert_eq(a.db_bytes, b.db_bytes);
    buf in = generated_posts(3000, 3);
    hits x = scan_all(db, &in, 1, 1), y = scan_all(back, &in, 1, 1);
    expect_same(&y, &x, "after a round trip");
    free(x.h);
    free(y.h);
    free(in.data);
    ys_db_free(db);
    ys_db_free(back);
    free(tsv);

    /* A regex is refused, naming its place. */
    ys_lexicon *lex = ys_lexicon_new();
    const char *re = "w1\tdefault\t1\tlit\t闇バイト\nw2\tdefault\t1\tre\t即日.{0,3}即金\n";
    cr_assert_eq(ys_lexicon_parse_tsv(lex, "r.tsv", re, strlen(re), &err), YS_OK);
    cr_assert_eq(ys_db_compile_with(lex, "ac", &db, &err), YS_ECOMPILE);
    cr_assert_str_eq(err.message, "r.tsv:2: pattern 'w2' is a regex, and the ac engine takes "
                                  "literals only (1 regex patterns)");
    cr_assert_eq(ys_db_compile_with(lex, "zz", &db, &err), YS_EINVAL);
    cr_assert_eq(ys_engine_has_regexes("ac"), 0);
    cr_assert_eq(ys_engine_has_regexes("zz"), 0);
    cr_assert_eq(ys_engine_has_regexes("hs"), ys_engine_version("hs") != NULL);
    /* Without its regexes the lexicon compiles for ac, and every literal,
     * found by its id, is still there. */
    cr_assert_eq(ys_lexicon_drop_regexes(lex), 1);
    cr_assert_eq(ys_lexicon_drop_regexes(lex), 0);
    cr_assert_eq(ys_lexicon_size(lex), 1);
    cr_assert_str_eq(ys_lexicon_pattern(lex, 0)->id, "w1");
    const char *more = "w3\tdefault\t1\tlit\t受け子\nw1\tdefault\t1\tlit\t出し子\n";
    cr_assert_eq(ys_lexicon_parse_tsv(lex, "m.tsv", more, strlen(more), &err), YS_ELEXICON,
                 "the id w1 is still known after the drop");
    cr_assert_eq(ys_db_compile_with(lex, "ac", &db, &err), YS_OK, "%s", err.message);
    ys_db_free(db);
    ys_lexicon_free(lex);
}
