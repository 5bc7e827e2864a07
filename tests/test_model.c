/* The n-gram model (@model; engine/src/ngram.c): how it reads a post, its
 * file's errors, the points it adds (worked out by hand), when it reads a
 * post at all, its round trip through a .ysdb file and the CLI's cache, and
 * tune --model writing a file the lexicon loads. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "yamiscan.h"

static run_result sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return run_sh(cmd);
}

/* ---- reading a post ---- */

/* A gram's key as yamiscan.h defines it, written out here so that the
 * test checks the engine against the definition, not against itself: each
 * character's code point + 1 (a byte outside a well-formed sequence:
 * 0x110001 + the byte) packed 21 bits apiece, then MurmurHash3's 64-bit
 * finalizer. Only well-formed input reaches it here except in the test
 * for invalid bytes, which names its bytes. */
static uint64_t gram_key(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    uint64_t k = 0;
    for (size_t i = 0; i < n;) {
        unsigned c = u[i], len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        uint32_t cp = len == 1 ? c : c & (0x3F >> (len - 1));
        for (unsigned b = 1; b < len; b++)
            cp = cp << 6 | (u[i + b] & 0x3F);
        k = k << 21 | (cp + 1);
        i += len;
    }
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    return k ^ k >> 33;
}

static size_t utf8_chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

typedef struct {
    char all[4096]; /* the grams, each followed by '|' */
    char ones[1024]; /* the 1-grams joined: the post as the model reads it */
} grams;

static int collect(void *ctx, uint64_t key, const char *g, size_t len)
{
    grams *o = ctx;
    cr_assert_lt(len, 13);
    cr_assert_eq(key, gram_key(g, len), "the key is the packed, mixed code points");
    strncat(o->all, g, len);
    strcat(o->all, "|");
    if (utf8_chars(g, len) == 1)
        strncat(o->ones, g, len);
    return 0;
}

static grams read_post(const char *text)
{
    grams o = {{0}, {0}};
    cr_assert_eq(ys_model_grams(text, strlen(text), collect, &o), YS_OK);
    return o;
}

Test(model, grams_come_in_order_one_to_three_characters)
{
    grams o = read_post("DM\n\nへ");
    cr_assert_str_eq(o.all, "d|m|dm| |m |dm |へ| へ|m へ|");
    cr_assert_str_eq(read_post("").all, "");
}

Test(model, handles_made_up_names_and_spelling_tricks_are_read_alike)
{
    cr_assert_str_eq(read_post("連絡は@Abc_12まで").ones, "連絡は@まで");
    /* a made-up name goes, with the space after it */
    cr_assert_str_eq(read_post("DM  xxxx_a\u3000まで").ones, "dm まで");
    /* xx alone is a word */
    cr_assert_str_eq(read_post("XX社").ones, "xx社");
    /* folded as the scanner folds: half-width kana, full-width letters */
    cr_assert_str_eq(read_post("ﾎﾜｲﾄ案件").ones, read_post("ホワイト案件").ones);
    cr_assert_str_eq(read_post("ＤＭ").ones, "dm");
}

/* Records every gram's key and its bytes. */
typedef struct {
    size_t n;
    uint64_t key[64];
    char gram[64][13];
} keyed;

static int keep(void *ctx, uint64_t key, const char *g, size_t len)
{
    keyed *o = ctx;
    cr_assert_lt(o->n, 64);
    o->key[o->n] = key;
    memcpy(o->gram[o->n], g, len);
    o->gram[o->n][len] = 0;
    o->n++;
    return 0;
}

Test(model, a_byte_outside_utf8_is_a_character_of_its_own)
{
    /* an overlong "A" (E0 81 81) is three characters, none of them "a" */
    keyed o = {0};
    cr_assert_eq(ys_model_grams("\xE0\x81\x81z", 4, keep, &o), YS_OK);
    cr_assert_eq(o.n, 9, "4 characters: 4 + 3 + 2 grams, got %zu", o.n);
    cr_assert_str_eq(o.gram[0], "\xE0");
    cr_assert_str_eq(o.gram[2], "\xE0\x81");
    for (size_t i = 0; i < o.n; i++)
        cr_assert_neq(o.key[i], gram_key("a", 1), "gram %zu is not \"a\"", i);
    /* a word left out between the bytes of a broken あ does not mend it */
    keyed p = {0};
    cr_assert_eq(ys_model_grams("\xE3\x81xxxx\x82", 7, keep, &p), YS_OK);
    cr_assert_eq(p.n, 6, "3 characters: 3 + 2 + 1 grams, got %zu", p.n);
    for (size_t i = 0; i < p.n; i++)
        cr_assert_neq(p.key[i], gram_key("あ", 3), "gram %zu is not \"あ\"", i);
}

Test(model, keys_differ_for_grams_that_differ)
{
    /* grams of one post that share bytes in other arrangements */
    keyed o = {0};
    const char *t = "ab ba aab 受け子 子受け";
    cr_assert_eq(ys_model_grams(t, strlen(t), keep, &o), YS_OK);
    for (size_t i = 0; i < o.n; i++)
        for (size_t j = 0; j < o.n; j++)
            cr_assert(strcmp(o.gram[i], o.gram[j]) == 0 || o.key[i] != o.key[j],
                      "'%s' and '%s' share a key", o.gram[i], o.gram[j]);
}

static int stop_at_b(void *ctx, uint64_t key, const char *g, size_t len)
{
    (void)ctx, (void)key;
    return len == 1 && *g == 'b' ? 7 : 0;
}

Test(model, a_callback_stops_the_reading)
{
    cr_assert_eq(ys_model_grams("abc", 3, stop_at_b, NULL), 7);
}

/* ---- the model file ---- */

static ys_error err;

/* A lexicon naming model file `name` (in the test's directory) holding
 * `model`: parsed, and on success compiled into *db. */
static int load(const char *model, const char *extra, ys_db **db)
{
    const char *mpath = tmp_path("m.model");
    write_file(mpath, model, strlen(model));
    char tsv[2048];
    snprintf(tsv, sizeof tsv,
             "@category\tslang\n@category\tnews\n@threshold\t8\n@model\t%s\n%s"
             "s.1\tslang\t5\tlit\t闇バイト\n"
             "n.1\tnews\t-5\tlit\t逮捕\n",
             mpath, extra ? extra : "");
    ys_lexicon *lex = ys_lexicon_new();
    int rc = ys_lexicon_parse_tsv(lex, "t.tsv", tsv, strlen(tsv), &err);
    if (rc == YS_OK && db)
        cr_assert_eq(ys_db_compile(lex, db, &err), YS_OK, "%s", err.message);
    ys_lexicon_free(lex);
    return rc;
}

static const char *MODEL = "# a comment\n"
                           "@bias\t0.1\n"
                           "@points\t10\n"
                           "0.5\t1\t闇\n"
                           "0.3\t2\tバ\n";

static void refused(const char *model, const char *want)
{
    cr_assert_eq(load(model, NULL, NULL), YS_ELEXICON, "accepted: %s", model);
    cr_assert(strstr(err.message, "t.tsv:4:8: @model: ") && strstr(err.message, want),
              "%s lacks %s", err.message, want);
}

Test(model, a_bad_model_file_is_refused_with_its_line)
{
    refused("@points\t10\n0.5\tx\t闇\n", "m.model:2: want WEIGHT TAB IDF TAB GRAM");
    refused("@points\t10\n0.5\t0\t闇\n", "m.model:2: want WEIGHT TAB IDF TAB GRAM");
    refused("@points\t10\n0.5\t1\t闇\n0.2\t1\t闇\n", "m.model: gram '闇' given twice");
    refused("0.5\t1\t闇\n", "m.model: no @points line");
    refused("@points\t0\n0.5\t1\t闇\n", "m.model:1: @points takes a number above 0");
    refused("@points\t1\n@points\t2\n0.5\t1\t闇\n", "m.model:2: directive given twice");
    refused("@points\t1\n@scale\t2\n", "m.model:2: unknown directive");
    refused("@points\t10\n0.5\t1\t闇バイト\n", "m.model:2: a gram is 1 to 3 characters");
    refused("@points\t10\n0.5\t1\n", "m.model:2: want WEIGHT TAB IDF TAB GRAM");
    refused("@points\t10\n", "the model has no grams");
    refused("@points\t10\n0.5\t1\t\xff\n", "m.model:2: invalid UTF-8");
    cr_assert_eq(load(MODEL, "@model\tother.model\n", NULL), YS_ELEXICON);
    cr_assert(strstr(err.message, "t.tsv:5:1: a lexicon has one @model"), "%s", err.message);
    /* a missing file, named relative to the lexicon's directory */
    ys_lexicon *lex = ys_lexicon_new();
    const char *tsv = "@model\tnope.model\n";
    cr_assert_eq(ys_lexicon_parse_tsv(lex, "/nonexistent/dir/t.tsv", tsv, strlen(tsv), &err),
                 YS_ELEXICON);
    cr_assert(strstr(err.message, "/nonexistent/dir/nope.model: No such file or directory"),
              "%s", err.message);
    ys_lexicon_free(lex);
}

/* ---- scoring ---- */

static ys_verdict score(const ys_db *db, const char *text, int model_on, int verdicts_only,
                        double *logit, int *points)
{
    ys_scorer *s;
    cr_assert_eq(ys_scorer_new(db, &s, &err), YS_OK);
    ys_scorer_set_model(s, model_on);
    ys_scorer_set_verdicts_only(s, verdicts_only);
    ys_verdict v = score_one(db, s, text, NULL, NULL);
    *points = -99;
    if (!ys_scorer_model(s, logit, points))
        *logit = -99;
    ys_scorer_free(s);
    return v;
}

Test(model, its_points_are_the_scaled_log_odds)
{
    ys_db *db;
    cr_assert_eq(load(MODEL, NULL, &db), YS_OK, "%s", err.message);
    cr_assert_eq(ys_db_model_grams(db), 2);
    double z;
    int pts;
    /* 0.1 + (0.5 + 0.3) / sqrt(1 + 4) = 0.4578; 10 points a unit: +5 */
    ys_verdict v = score(db, "闇バイト", 1, 0, &z, &pts);
    cr_assert_float_eq(z, 0.1 + 0.8 / sqrt(5), 1e-6);
    cr_assert_eq(pts, 5);
    cr_assert_eq(v.model, 5);
    cr_assert_eq(v.score, 10);
    cr_assert(v.flagged);
    /* a gram counts once however often it is there */
    v = score(db, "闇バイト闇バイト バ", 1, 0, &z, &pts);
    cr_assert_eq(v.score, 10);
    /* scan's fast path reads it alike */
    v = score(db, "闇バイト", 1, 1, &z, &pts);
    cr_assert_eq(v.score, 10);
    /* turned off: the lexicon's 5, under the threshold of 8 */
    v = score(db, "闇バイト", 0, 0, &z, &pts);
    cr_assert_eq(v.score, 5);
    cr_assert_eq(v.model, 0);
    cr_assert_not(v.flagged);
    cr_assert_eq(z, -99, "the model did not read it");
    ys_db_free(db);
}

/* Scoring skips the longer grams ending where a gram is absent only when
 * the model says it can (every gram's last characters a gram too, as tune
 * writes them); a hand-written model without them still counts them. */
Test(model, longer_grams_count_with_or_without_their_shorter_ones)
{
    static const char *open = "@bias\t0\n@points\t10\n"
                              "1\t1\tイト\n"
                              "2\t1\tバイト\n";
    static const char *closed = "@bias\t0\n@points\t10\n"
                                "0.5\t1\tト\n"
                                "1\t1\tイト\n"
                                "2\t1\tバイト\n";
    double z;
    int pts;
    ys_db *db;
    cr_assert_eq(load(open, NULL, &db), YS_OK, "%s", err.message);
    score(db, "闇バイト", 1, 0, &z, &pts);
    cr_assert_float_eq(z, 3 / sqrt(2), 1e-6, "without ト: イト and バイト, got %g", z);
    ys_db_free(db);
    cr_assert_eq(load(closed, NULL, &db), YS_OK, "%s", err.message);
    score(db, "闇バイト", 1, 0, &z, &pts);
    cr_assert_float_eq(z, 3.5 / sqrt(3), 1e-6, "ト, イト and バイト, got %g", z);
    ys_db_free(db);
}

/* Plain decimals are read by a fast path, others by strtod: the same
 * number written either way gives the same log-odds, to the bit. */
Test(model, a_number_reads_alike_however_it_is_written)
{
    static const char *const forms[][3] = {
        {"0.1", "1e-1", "0.1000000000000000"}, {"-1.31550202", "-131550202e-8", "-1.315502020e0"},
        {"110.890067", "1.10890067E2", "110.8900670000000"}, {".5", "5e-1", "0.50"}};
    for (size_t f = 0; f < sizeof forms / sizeof *forms; f++) {
        double z[3];
        for (int k = 0; k < 3; k++) {
            char m[256];
            snprintf(m, sizeof m, "@bias\t%s\n@points\t1\n%s\t%s\t闇\n", forms[f][k], forms[f][k],
                     forms[f][k][0] == '-' ? forms[f][k] + 1 : forms[f][k]);
            ys_db *db;
            cr_assert_eq(load(m, NULL, &db), YS_OK, "%s: %s", m, err.message);
            int pts;
            score(db, "闇バイト", 1, 0, &z[k], &pts);
            ys_db_free(db);
        }
        cr_assert(z[0] == z[1] && z[1] == z[2], "%s: %a %a %a", forms[f][0], z[0], z[1], z[2]);
    }
}

/* A gram through a character that no gram has is not counted, and a
 * gram next to one is. */
Test(model, a_character_outside_the_model_breaks_its_grams)
{
    static const char *m = "@bias\t0\n@points\t10\n"
                           "1\t1\tテレグ\n"
                           "4\t1\tグ\n";
    double z;
    int pts;
    ys_db *db; /* 闇バイト: the lexicon's hit, for the model to read the post */
    cr_assert_eq(load(m, NULL, &db), YS_OK, "%s", err.message);
    score(db, "闇バイト テ闇レグ", 1, 0, &z, &pts);
    cr_assert_float_eq(z, 4.0, 1e-6, "only グ, got %g", z);
    score(db, "闇バイト テテレグ闇レグ", 1, 0, &z, &pts);
    cr_assert_float_eq(z, 5 / sqrt(2), 1e-6, "テレグ and グ once each, got %g", z);
    ys_db_free(db);
}

/* The bundled model's lookup against the plain definition: for every
 * post of the development set's test part that the model reads, its
 * log-odds are bias + the sum of the weights of the post's distinct grams
 * (ys_model_grams, keyed as the definition says) / the square root of the
 * sum of their idf², with the grams found by a table built here from the
 * model file. One scorer reads all the posts, as a scan does. */
typedef struct {
    uint64_t *key;
    float *w, *q;
    uint32_t *stamp, now;
    size_t mask;
    double sum, idf2;
} ref_model;

static size_t ref_slot(const ref_model *r, uint64_t key)
{
    size_t j = (size_t)key & r->mask;
    while (r->key[j] && r->key[j] != key)
        j = (j + 1) & r->mask;
    return j;
}

static int ref_gram(void *ctx, uint64_t key, const char *g, size_t len)
{
    (void)g, (void)len;
    ref_model *r = ctx;
    size_t j = ref_slot(r, key);
    if (r->key[j] && r->stamp[j] != r->now) {
        r->stamp[j] = r->now;
        r->sum += r->w[j];
        r->idf2 += r->q[j];
    }
    return 0;
}

Test(model, the_lookup_gives_the_definitions_log_odds_on_the_development_set)
{
    need_hyperscan();
    char path[4096];
    size_t len;
    snprintf(path, sizeof path, "%s/patterns/ja-recruitment.model", getenv("SOURCE_ROOT"));
    char *model = read_file(path, &len);
    ref_model r = {0};
    r.mask = (1u << 18) - 1;
    r.key = calloc(r.mask + 1, sizeof *r.key);
    r.w = calloc(r.mask + 1, sizeof *r.w);
    r.q = calloc(r.mask + 1, sizeof *r.q);
    r.stamp = calloc(r.mask + 1, sizeof *r.stamp);
    cr_assert(r.key && r.w && r.q && r.stamp);
    double bias = 0;
    size_t grams = 0;
    for (char *line = model, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
        *nl = 0;
        if (!strncmp(line, "@bias\t", 6))
            bias = strtod(line + 6, NULL);
        if (line[0] == '#' || line[0] == '@' || !line[0])
            continue;
        char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        cr_assert(t2, "%s", line);
        uint64_t key = gram_key(t2 + 1, strlen(t2 + 1));
        size_t j = ref_slot(&r, key);
        cr_assert_eq(r.key[j], 0, "a gram twice: %s", t2 + 1);
        double idf = strtod(t1 + 1, NULL);
        r.key[j] = key;
        r.w[j] = (float)strtod(line, NULL);
        r.q[j] = (float)(idf * idf);
        grams++;
    }
    free(model);
    cr_assert_gt(grams, 10000);

    snprintf(path, sizeof path, "%s/patterns/ja-recruitment.tsv", getenv("SOURCE_ROOT"));
    ys_lexicon *lex = ys_lexicon_new();
    cr_assert_eq(ys_lexicon_load_tsv(lex, path, &err), YS_OK, "%s", err.message);
    ys_db *db;
    cr_assert_eq(ys_db_compile(lex, &db, &err), YS_OK, "%s", err.message);
    ys_lexicon_free(lex);
    cr_assert_eq(ys_db_model_grams(db), grams);
    ys_scorer *s;
    cr_assert_eq(ys_scorer_new(db, &s, &err), YS_OK);
    snprintf(path, sizeof path, "%s/corpora/dev/test.jsonl", getenv("SOURCE_ROOT"));
    char *data = read_file(path, &len), *text = malloc(1 << 16);
    size_t read = 0;
    for (char *line = data, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
        size_t tl = post_text(line, (size_t)(nl - line), text, 1 << 16);
        score_one(db, s, text, NULL, NULL);
        double z;
        int pts;
        if (!ys_scorer_model(s, &z, &pts))
            continue;
        r.now++;
        r.sum = r.idf2 = 0;
        cr_assert_eq(ys_model_grams(text, tl, ref_gram, &r), 0);
        double want = bias + (r.idf2 > 0 ? r.sum / sqrt(r.idf2) : 0);
        cr_assert_float_eq(z, want, 1e-9, "%s: %.17g, the definition %.17g", text, z, want);
        read++;
    }
    cr_assert_gt(read, 1000);
    free(text);
    free(data);
    ys_scorer_free(s);
    ys_db_free(db);
    free(r.key), free(r.w), free(r.q), free(r.stamp);
}

/* A scan hands the model the scanner's folded text instead of folding
 * each post again: every post's score and model points must be what
 * ys_score_text gives it. With the bundled lexicon (regexes: the scanner
 * knows every post's folded form) and with its literals alone (gaps that
 * no spelling holds are left unfolded: the model folds those posts). */
static void scan_matches_score_text(const char *lexpath)
{
    ys_lexicon *lex = ys_lexicon_new();
    cr_assert_eq(ys_lexicon_load_tsv(lex, lexpath, &err), YS_OK, "%s", err.message);
    ys_db *db;
    cr_assert_eq(ys_db_compile(lex, &db, &err), YS_OK, "%s", err.message);
    ys_lexicon_free(lex);
    ys_scorer *s;
    cr_assert_eq(ys_scorer_new(db, &s, &err), YS_OK);
    char path[4096];
    snprintf(path, sizeof path, "%s/corpora/dev/test.jsonl", getenv("SOURCE_ROOT"));
    run_result r = sh("\"$YAMISCAN\" scan --no-cache -l %s %s", lexpath, path);
    cr_assert_eq(r.status, 0, "%s", r.err);
    size_t len, line = 0, flagged = 0, matched = 0;
    char *data = read_file(path, &len), *text = malloc(1 << 16);
    const char *out = r.out;
    for (char *p = data, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
        line++;
        post_text(p, (size_t)(nl - p), text, 1 << 16);
        ys_verdict v = score_one(db, s, text, NULL, NULL);
        char want[64];
        snprintf(want, sizeof want, "\"line\":%zu,", line);
        const char *at = strstr(out, want);
        cr_assert_eq(v.flagged, at != NULL, "line %zu: flagged %d by scoring", line, v.flagged);
        if (!at)
            continue;
        flagged++;
        int score, model;
        const char *sc = strstr(at, "\"score\":");
        cr_assert(sc && sscanf(sc, "\"score\":%d,\"model\":%d", &score, &model) == 2, "%.200s", at);
        cr_assert_eq(score, v.score, "line %zu: scan %d, ys_score_text %d", line, score, v.score);
        cr_assert_eq(model, v.model, "line %zu: scan %d, ys_score_text %d", line, model, v.model);
        matched += model != 0;
        out = at;
    }
    cr_assert_gt(flagged, 1000);
    cr_assert_gt(matched, 1000);
    run_free(&r);
    free(text);
    free(data);
    ys_scorer_free(s);
    ys_db_free(db);
}

Test(model, a_scan_scores_each_post_as_ys_score_text_does)
{
    need_hyperscan();
    char path[4096];
    snprintf(path, sizeof path, "%s/patterns/ja-recruitment.tsv", getenv("SOURCE_ROOT"));
    scan_matches_score_text(path);
    /* the literals alone, with the model named by its full path */
    size_t len;
    char *tsv = read_file(path, &len), *lit = malloc(len + 4096);
    size_t n = 0;
    for (char *p = tsv, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
        *nl = 0;
        if (strstr(p, "\tre\t"))
            continue;
        if (!strncmp(p, "@model\t", 7))
            n += (size_t)sprintf(lit + n, "@model\t%s/patterns/%s\n", getenv("SOURCE_ROOT"), p + 7);
        else
            n += (size_t)sprintf(lit + n, "%s\n", p);
    }
    const char *litpath = tmp_path("literals.tsv");
    write_file(litpath, lit, n);
    scan_matches_score_text(litpath);
    free(lit);
    free(tsv);
}

/* The lookup numbers a model's characters in 16 bits: 65,535 distinct
 * ones load, one more is refused with a message, not wrapped around. */
Test(model, a_model_past_the_lookups_limit_is_refused)
{
    for (unsigned extra = 0; extra < 2; extra++) {
        size_t cap = 70000 * 24, n = 0;
        char *m = malloc(cap);
        cr_assert_not_null(m);
        n += (size_t)sprintf(m, "@bias\t0\n@points\t1\n");
        unsigned made = 0;
        for (uint32_t cp = 0x4E00; made < 65535 + extra; cp++) {
            if (cp >= 0xD800 && cp <= 0xDFFF)
                continue;
            char u[5] = {0};
            if (cp < 0x10000) {
                u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
                u[2] = (char)(0x80 | (cp & 0x3F));
            } else {
                u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
                u[2] = (char)(0x80 | (cp >> 6 & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F));
            }
            n += (size_t)sprintf(m + n, "0.5\t1\t%s\n", u);
            made++;
        }
        int rc = load(m, NULL, NULL);
        if (!extra)
            cr_assert_eq(rc, YS_OK, "%s", err.message);
        else
            cr_assert(rc == YS_ELEXICON && strstr(err.message, "too large for the model's lookup"),
                      "%d %s", rc, err.message);
        free(m);
    }
}

Test(model, a_post_without_a_positive_hit_is_not_read)
{
    ys_db *db;
    cr_assert_eq(load(MODEL, NULL, &db), YS_OK, "%s", err.message);
    double z;
    int pts;
    /* only a negative hit (the scanner does not even report it) */
    ys_verdict v = score(db, "逮捕。闇、バ", 1, 0, &z, &pts);
    cr_assert_leq(v.score, 0);
    cr_assert_eq(v.model, 0);
    cr_assert_eq(z, -99);
    v = score(db, "闇 バ", 1, 0, &z, &pts);
    cr_assert_eq(v.score, 0);
    cr_assert_eq(z, -99);
    ys_db_free(db);
}

Test(model, a_negative_model_lowers_a_score_below_the_threshold)
{
    ys_db *db;
    cr_assert_eq(load("@bias\t-2\n@points\t3\n-1\t1\tト\n", "@category\tpay\n"
                      "p.1\tpay\t7\tlit\t日給\n", &db), YS_OK, "%s", err.message);
    double z;
    int pts;
    /* 5 + 7 = 12, then -2 - 1 = -3 log-odds, -9 points: 3 */
    ys_verdict v = score(db, "闇バイト 日給", 1, 0, &z, &pts);
    cr_assert_eq(pts, -9);
    cr_assert_eq(v.score, 3);
    cr_assert_not(v.flagged);
    ys_db_free(db);
}

/* ---- round trips ---- */

Test(model, it_survives_a_ysdb_round_trip_and_changes_the_hash)
{
    ys_db *db, *back, *other;
    cr_assert_eq(load(MODEL, NULL, &db), YS_OK, "%s", err.message);
    const char *path = tmp_path("m.ysdb");
    cr_assert_eq(ys_db_save(db, path, &err), YS_OK, "%s", err.message);
    cr_assert_eq(ys_db_load(path, &back, &err), YS_OK, "%s", err.message);
    cr_assert_eq(ys_db_model_grams(back), 2);
    double z;
    int pts;
    cr_assert_eq(score(back, "闇バイト", 1, 0, &z, &pts).score, 10);
    cr_assert_float_eq(z, 0.1 + 0.8 / sqrt(5), 1e-6);
    ys_db_stats a, b, c;
    ys_db_get_stats(db, &a);
    ys_db_get_stats(back, &b);
    cr_assert_eq(a.lexicon_hash, b.lexicon_hash);
    cr_assert_eq(load("@bias\t0.1\n@points\t10\n0.5\t1\t闇\n0.31\t2\tバ\n", NULL, &other), YS_OK);
    ys_db_get_stats(other, &c);
    cr_assert_neq(a.lexicon_hash, c.lexicon_hash, "a weight is part of the lexicon's hash");
    ys_db_free(db);
    ys_db_free(back);
    ys_db_free(other);
}

/* A lexicon made only for its hash (the CLI's cache lookup) leaves its
 * model unread, yet hashes as the read one does, and refuses to compile. */
static ys_lexicon *lexicon_of(const char *model, int skip, uint64_t *hash)
{
    const char *mpath = tmp_path("h.model");
    write_file(mpath, model, strlen(model));
    char tsv[1024];
    snprintf(tsv, sizeof tsv, "@category\tslang\n@model\t%s\ns.1\tslang\t5\tlit\t闇バイト\n", mpath);
    ys_lexicon *lex = ys_lexicon_new();
    if (skip)
        ys_lexicon_skip_models(lex);
    cr_assert_eq(ys_lexicon_parse_tsv(lex, "h.tsv", tsv, strlen(tsv), &err), YS_OK, "%s",
                 err.message);
    *hash = ys_lexicon_hash(lex);
    return lex;
}

Test(model, a_lexicon_for_its_hash_only_hashes_alike_and_cannot_compile)
{
    uint64_t full, probe, changed, changed_probe;
    ys_lexicon *a = lexicon_of(MODEL, 0, &full), *b = lexicon_of(MODEL, 1, &probe);
    cr_assert_eq(full, probe, "the unread model hashes as the read one");
    ys_db *db = NULL;
    cr_assert_eq(ys_db_compile(b, &db, &err), YS_EINVAL);
    cr_assert_null(db);
    cr_assert(strstr(err.message, "@model was not read"), "%s", err.message);
    cr_assert_eq(ys_db_compile(a, &db, &err), YS_OK, "%s", err.message);
    ys_db_stats st;
    ys_db_get_stats(db, &st);
    cr_assert_eq(st.lexicon_hash, probe, "the database records the hash the probe finds");
    ys_db_free(db);
    /* one weight changed in the model file: both hashes move, and agree */
    ys_lexicon *c = lexicon_of("@bias\t0.1\n@points\t10\n0.5\t1\t闇\n0.31\t2\tバ\n", 0, &changed);
    ys_lexicon *d = lexicon_of("@bias\t0.1\n@points\t10\n0.5\t1\t闇\n0.31\t2\tバ\n", 1,
                               &changed_probe);
    cr_assert_neq(changed, full);
    cr_assert_eq(changed, changed_probe);
    ys_lexicon_free(a);
    ys_lexicon_free(b);
    ys_lexicon_free(c);
    ys_lexicon_free(d);
}

Test(model, the_cli_cache_sees_a_changed_model_file)
{
    need_hyperscan();
    const char *lex = tmp_path("c.tsv"), *model = tmp_path("c.model"), *post = tmp_path("p.txt");
    const char *tsv = "@category\tslang\n@threshold\t1\n@model\tc.model\n"
                      "s.1\tslang\t5\tlit\t闇バイト\n";
    write_file(lex, tsv, strlen(tsv));
    write_file(post, "闇バイト\n", strlen("闇バイト\n"));
    write_file(model, MODEL, strlen(MODEL));
    const char *cmd = "YAMISCAN_CACHE_DIR=%s \"$YAMISCAN\" scan -l %s %s";
    run_result a = sh(cmd, tmp_path("cache"), lex, post);
    cr_assert_eq(a.status, 0, "%s", a.err);
    cr_assert(strstr(a.out, "\"score\":10,\"model\":5,"), "%s", a.out);
    const char *changed = "@bias\t0.1\n@points\t20\n0.5\t1\t闇\n0.3\t2\tバ\n";
    write_file(model, changed, strlen(changed));
    run_result b = sh(cmd, tmp_path("cache"), lex, post);
    cr_assert_eq(b.status, 0, "%s", b.err);
    cr_assert(strstr(b.out, "\"score\":14,\"model\":9,"), "the cache gave the old model: %s",
              b.out);
    /* the second run with this model loads the cache: output as uncached */
    run_result hit = sh("YAMISCAN_CACHE_DIR=%s \"$YAMISCAN\" scan --stats -l %s %s",
                        tmp_path("cache"), lex, post);
    run_result fresh = sh("\"$YAMISCAN\" scan --no-cache -l %s %s", lex, post);
    cr_assert_eq(hit.status, 0, "%s", hit.err);
    cr_assert(strstr(hit.err, "(loaded from --db or the cache)"), "compiled, not loaded: %s",
              hit.err);
    cr_assert_str_eq(hit.out, b.out);
    cr_assert_str_eq(fresh.out, b.out);
    run_free(&hit);
    run_free(&fresh);
    /* explain says what the model added */
    run_result e = sh("\"$YAMISCAN\" explain -l %s 闇バイト", lex);
    cr_assert(strstr(e.out, "n-gram model") && strstr(e.out, "+9  @model: log-odds +0.46"),
              "%s", e.out);
    run_free(&a);
    run_free(&b);
    run_free(&e);
}

Test(model, tune_writes_a_model_the_lexicon_loads)
{
    need_hyperscan();
    const char *posts = tmp_path("l.jsonl"), *model = tmp_path("fit.model");
    run_result r = sh("head -n 600 %s/corpora/dev/tune.jsonl > %s && tail -n 600 "
                      "%s/corpora/dev/tune.jsonl >> %s && \"$YAMISCAN\" tune --folds 2 --model %s "
                      "%s",
                      getenv("SOURCE_ROOT"), posts, getenv("SOURCE_ROOT"), posts, model, posts);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    size_t len;
    char *text = read_file(model, &len);
    cr_assert(!strncmp(text, "# fitted by: yamiscan tune --folds 2 --model ", 45), "%.200s", text);
    cr_assert(strstr(text, "\n@points\t") && strstr(text, "\n@bias\t"), "%.300s", text);
    free(text);
    /* the bundled lexicon with the fitted model in place of its own */
    char lexpath[1024];
    snprintf(lexpath, sizeof lexpath, "%s/patterns/ja-recruitment.tsv", getenv("SOURCE_ROOT"));
    char *lex = read_file(lexpath, &len);
    char *at = strstr(lex, "@model\t");
    cr_assert_not_null(at);
    char *eol = strchr(at, '\n');
    char *swapped = malloc(len + 1024);
    cr_assert_not_null(swapped);
    sprintf(swapped, "%.*s@model\t%s%s", (int)(at - lex), lex, model, eol);
    ys_lexicon *l = ys_lexicon_new();
    cr_assert_eq(ys_lexicon_parse_tsv(l, lexpath, swapped, strlen(swapped), &err), YS_OK, "%s",
                 err.message);
    ys_db *db;
    cr_assert_eq(ys_db_compile(l, &db, &err), YS_OK, "%s", err.message);
    cr_assert_gt(ys_db_model_grams(db), 100);
    double z;
    int pts;
    ys_verdict v = score(db, "【急募】闇バイトあります。日給5万、詳細はテレグラムで", 1, 0, &z, &pts);
    cr_assert(v.flagged && z > 0, "logit %f", z);
    ys_db_free(db);
    ys_lexicon_free(l);
    free(swapped);
    free(lex);
}
