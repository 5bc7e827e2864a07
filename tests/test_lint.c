/* Lint (engine/src/lint.c, `yamiscan compile --lint`): each warning fires on
 * a small lexicon made to trigger it and stays quiet on one that should not;
 * the dictionary-word check on tiny word lists written into $TMPDIR. */
#include <criterion/criterion.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "yamiscan.h"

#define HEAD "@category\tslang\n"

/* ---- a temporary directory under $TMPDIR, removed after every test ---- */

static char dir[512];
static const char *made[16];
static size_t nmade;

static const char *tmp(const char *name)
{
    static char paths[16][600];
    if (!dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/yamiscan-lint-XXXXXX", t && *t ? t : "/tmp");
        cr_assert_not_null(mkdtemp(dir), "mkdtemp %s", dir);
    }
    cr_assert_lt(nmade, 16);
    char *p = paths[nmade];
    snprintf(p, 600, "%s/%s", dir, name);
    made[nmade++] = p;
    return p;
}

static void cleanup(void)
{
    /* Last made first: a file inside a made subdirectory goes before it. */
    while (nmade)
        if (remove(made[--nmade]) != 0 && errno != ENOENT)
            fprintf(stderr, "test_lint: cannot remove %s\n", made[nmade]);
    if (dir[0])
        rmdir(dir);
    dir[0] = 0;
}

TestSuite(lint, .fini = cleanup);

static void put(const char *path, const char *text) { write_file(path, text, strlen(text)); }

/* ---- collecting warnings ---- */

typedef struct {
    ys_lint_kind kind;
    char id[64], other[64], spelling[128], message[1024], examples[3][64];
    unsigned line, other_line;
    int generated, other_generated;
    size_t words, words_total, nexamples;
} seen;

typedef struct {
    seen w[32];
    size_t n;
} seen_list;

static int collect(void *ctx, const ys_lint_warning *w)
{
    seen_list *l = ctx;
    cr_assert_lt(l->n, 32, "too many warnings");
    seen *s = &l->w[l->n++];
    s->kind = w->kind;
    snprintf(s->id, sizeof s->id, "%s", w->pattern->id);
    s->line = w->pattern->line;
    if (w->other) {
        snprintf(s->other, sizeof s->other, "%s", w->other->id);
        s->other_line = w->other->line;
    }
    cr_assert_eq(strlen(w->spelling), w->spelling_len);
    snprintf(s->spelling, sizeof s->spelling, "%s", w->spelling);
    snprintf(s->message, sizeof s->message, "%s", w->message);
    s->generated = w->generated;
    s->other_generated = w->other_generated;
    s->words = w->words;
    s->words_total = w->words_total;
    s->nexamples = w->nexamples;
    for (size_t i = 0; i < w->nexamples; i++)
        snprintf(s->examples[i], sizeof s->examples[i], "%s", w->examples[i]);
    return 0;
}

/* Lints a TSV lexicon (and a plain list, if given) with `opt`. */
static seen_list lint_text(const char *tsv, const char *list, const ys_lint_options *opt)
{
    ys_error err = {0};
    ys_lexicon *lex = ys_lexicon_new();
    if (tsv)
        cr_assert_eq(ys_lexicon_parse_tsv(lex, "t.tsv", tsv, strlen(tsv), &err), YS_OK, "%s",
                     err.message);
    if (list)
        cr_assert_eq(ys_lexicon_parse_list(lex, "terms.txt", list, strlen(list), &err), YS_OK,
                     "%s", err.message);
    seen_list l = {.n = 0};
    cr_assert_eq(ys_lint_lexicon(lex, opt, collect, &l, &err), YS_OK, "%s", err.message);
    ys_lexicon_free(lex);
    return l;
}

static size_t count_kind(const seen_list *l, ys_lint_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += l->w[i].kind == k;
    return n;
}

static void show(const seen_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        fprintf(stderr, "  warning %d at %s: %s\n", l->w[i].kind, l->w[i].id, l->w[i].message);
}

/* A lexicon without problems: spelling tricks inside terms that compiling
 * folds away, readings, Latin letters, a regex (not linted). */
static const char clean[] = HEAD "a\tslang\t5\tlit\t闇バイト\n"
                                 "b\tslang\t4\tlit\t受け子\tうけこ\n"
                                 "c\tslang\t3\tlit\t闇 ・ 仕事\n"
                                 "d\tslang\t2\tlit\tTelegram\n"
                                 "e\tslang\t2\tlit\tホワイト案件\n"
                                 "f\tslang\t2\tre\t日給[0-9]+万\n";

Test(lint, clean_lexicon_is_quiet)
{
    seen_list l = lint_text(clean, "出し子\n高収入\n", NULL);
    show(&l);
    cr_assert_eq(l.n, 0);
}

/* ---- can never match ---- */

Test(lint, trailing_space_cannot_match_inside_japanese)
{
    seen_list l = lint_text(NULL, "受け子\n闇バイト \n", NULL);
    show(&l);
    cr_assert_eq(l.n, 1);
    cr_assert_eq(l.w[0].kind, YS_LINT_NOT_IN_JAPANESE);
    cr_assert_str_eq(l.w[0].id, "terms.txt:2");
    cr_assert_eq(l.w[0].line, 2);
    cr_assert_str_eq(l.w[0].spelling, "闇バイト ");
    cr_assert_eq(l.w[0].generated, 0);
    cr_assert(strstr(l.w[0].message, "pattern 'terms.txt:2': term '闇バイト ' cannot match "
                                     "inside Japanese text"),
              "%s", l.w[0].message);
}

Test(lint, separator_at_an_edge_of_a_tsv_term)
{
    seen_list l = lint_text(HEAD "a\tslang\t5\tlit\t・副業\nb\tslang\t5\tlit\t副業\n", NULL, NULL);
    show(&l);
    cr_assert_eq(count_kind(&l, YS_LINT_NOT_IN_JAPANESE), 1);
    cr_assert_str_eq(l.w[0].id, "a");
    cr_assert_eq(l.w[0].line, 2);
}

Test(lint, a_term_that_folds_to_nothing_never_matches)
{
    /* U+200B ZERO WIDTH SPACE and U+FE0F VARIATION SELECTOR-16: both dropped. */
    seen_list l = lint_text(HEAD "z\tslang\t5\texact\t\u200b\ufe0f\n", NULL, NULL);
    show(&l);
    cr_assert_eq(l.n, 1);
    cr_assert_eq(l.w[0].kind, YS_LINT_NEVER_MATCHES);
    cr_assert_str_eq(l.w[0].id, "z");
    cr_assert_str_eq(l.w[0].spelling, "");
    cr_assert(strstr(l.w[0].message, "can never match"), "%s", l.w[0].message);
}

/* ---- duplicates after folding ---- */

Test(lint, duplicates_after_folding_name_both_patterns)
{
    seen_list l = lint_text(HEAD "w1\tslang\t5\tlit\tホワイト案件\n"
                                 "k\tslang\t4\tlit\t受け子\tうけこ\n"
                                 "w2\tslang\t5\tlit\tﾎﾜｲﾄ案件\n" /* half-width */
                                 "k2\tslang\t4\tlit\tウケコ\n"  /* k's reading */
                                 "t1\tslang\t2\tlit\ttelegram\n"
                                 "t2\tslang\t2\tlit\tTELEGRAM\n", /* caseless both */
                            NULL, NULL);
    show(&l);
    cr_assert_eq(l.n, 3);
    for (size_t i = 0; i < 3; i++)
        cr_assert_eq(l.w[i].kind, YS_LINT_DUPLICATE);
    cr_assert_str_eq(l.w[0].id, "w2");
    cr_assert_eq(l.w[0].line, 4);
    cr_assert_str_eq(l.w[0].other, "w1");
    cr_assert_eq(l.w[0].other_line, 2);
    cr_assert_eq(l.w[0].generated, 0);
    cr_assert_eq(l.w[0].other_generated, 0);
    cr_assert_str_eq(l.w[0].spelling, "ホワイト案件");
    cr_assert(strstr(l.w[0].message, "is also the term of pattern 'w1' (t.tsv:2)"), "%s",
              l.w[0].message);
    cr_assert_str_eq(l.w[1].id, "k2");
    cr_assert_str_eq(l.w[1].other, "k");
    cr_assert_eq(l.w[1].other_generated, 1, "ウケコ is generated from k's reading");
    cr_assert(strstr(l.w[1].message, "a generated spelling of pattern 'k' (t.tsv:3)"), "%s",
              l.w[1].message);
    cr_assert_str_eq(l.w[2].id, "t2");
    cr_assert_str_eq(l.w[2].other, "t1");
}

Test(lint, different_terms_and_exact_case_are_no_duplicates)
{
    seen_list l = lint_text(HEAD "a\tslang\t5\tlit\t闇バイト\n"
                                 "b\tslang\t5\tlit\t闇バイト募集\n" /* contains a, not equal */
                                 "c\tslang\t2\texact\tTelegram\n"
                                 "d\tslang\t2\texact\ttelegram\n"  /* exact: case counts */
                                 /* the same reading: generated spellings in common only */
                                 "e\tslang\t4\tlit\t受け子\tうけこ\n"
                                 "f\tslang\t4\tlit\t請け子\tうけこ\n",
                            NULL, NULL);
    show(&l);
    cr_assert_eq(l.n, 0);
}

Test(lint, same_term_in_two_lists)
{
    ys_error err = {0};
    ys_lexicon *lex = ys_lexicon_new();
    cr_assert_eq(ys_lexicon_parse_list(lex, "a.txt", "受け子\n", 10, &err), YS_OK);
    cr_assert_eq(ys_lexicon_parse_list(lex, "b.txt", "出し子\n受け子\n", 20, &err), YS_OK);
    seen_list l = {.n = 0};
    cr_assert_eq(ys_lint_lexicon(lex, NULL, collect, &l, &err), YS_OK);
    ys_lexicon_free(lex);
    show(&l);
    cr_assert_eq(l.n, 1);
    cr_assert_str_eq(l.w[0].id, "b.txt:2");
    cr_assert_str_eq(l.w[0].other, "a.txt:1");
}

/* ---- terms inside dictionary words ---- */

static const char words_utf8[] = "ニワタタキ,1285,名詞\n"
                                 "イシタタキ\t5000\n"
                                 "カネタタキ\n"
                                 "タタキ\n" /* the term itself: not "inside" */
                                 "\n"
                                 "受け付け\r\n"
                                 "ｶﾈﾀﾀｷ\n"; /* folds to カネタタキ: kept once */

static const char common_tsv[] = HEAD "t\tslang\t4\tlit\tタタキ\n"
                                      "u\tslang\t4\tlit\t受け取り\n"
                                      "n\tslang\t-4\tlit\tタタ\n"; /* context: checked too */

Test(lint, term_inside_many_words)
{
    ys_words *w = ys_words_new();
    ys_error err = {0};
    const char *path = tmp("words.txt");
    put(path, words_utf8);
    cr_assert_eq(ys_words_load(w, path, &err), YS_OK, "%s", err.message);
    cr_assert_eq(ys_words_count(w), 5);
    ys_lint_options opt = {.words = w, .min_words = 3};
    seen_list l = lint_text(common_tsv, NULL, &opt);
    show(&l);
    cr_assert_eq(l.n, 2);
    cr_assert_eq(l.w[0].kind, YS_LINT_COMMON);
    cr_assert_str_eq(l.w[0].id, "t");
    cr_assert_eq(l.w[0].words, 3);
    cr_assert_eq(l.w[0].words_total, 5);
    cr_assert_eq(l.w[0].nexamples, 3);
    cr_assert_str_eq(l.w[0].examples[0], "ニワタタキ");
    cr_assert_str_eq(l.w[0].message, "pattern 't': term 'タタキ' occurs inside 3 of 5 "
                                     "dictionary words (e.g. ニワタタキ, イシタタキ, カネタタキ)");
    /* A negative term is warned about with what it does: タタ is inside the
     * three and タタキ. */
    cr_assert_str_eq(l.w[1].id, "n");
    cr_assert_eq(l.w[1].words, 4);
    cr_assert(strstr(l.w[1].message, "occurs inside 4 of 5 dictionary words (e.g. "),
              "%s", l.w[1].message);
    cr_assert(strstr(l.w[1].message, ": as negative context it lowers every post with one "
                                     "of them"), "%s", l.w[1].message);
    /* Above the count: quiet. */
    opt.min_words = 4;
    l = lint_text(common_tsv, NULL, &opt);
    show(&l);
    cr_assert_eq(l.n, 1);
    cr_assert_str_eq(l.w[0].id, "n");
    opt.min_words = 5;
    l = lint_text(common_tsv, NULL, &opt);
    cr_assert_eq(l.n, 0);
    ys_words_free(w);
}

Test(lint, default_threshold)
{
    ys_words *w = ys_words_new();
    ys_error err = {0};
    const char *path = tmp("five.txt");
    put(path, "アタタキ\nイタタキ\nウタタキ\nエタタキ\n");
    cr_assert_eq(ys_words_load(w, path, &err), YS_OK, "%s", err.message);
    ys_lint_options opt = {.words = w}; /* min_words 0: YS_LINT_MIN_WORDS */
    cr_assert_eq(YS_LINT_MIN_WORDS, 5, "the documented default (patterns/README.md)");
    seen_list l = lint_text(common_tsv, NULL, &opt);
    cr_assert_eq(l.n, 0, "4 words: under the default");
    put(path, "アタタキ\nイタタキ\nウタタキ\nエタタキ\nオタタキ\n");
    ys_words_free(w);
    w = ys_words_new();
    cr_assert_eq(ys_words_load(w, path, &err), YS_OK, "%s", err.message);
    opt.words = w;
    l = lint_text(common_tsv, NULL, &opt);
    show(&l);
    cr_assert_eq(l.n, 2, "5 words: both warned");
    cr_assert_eq(l.w[0].words, 5);
    cr_assert_eq(l.w[1].words, 5);
    ys_words_free(w);
}

/* The mecab-ipadic layout: EUC-JP CSVs in a directory; proper nouns left out. */
static void put_eucjp(const char *path, const char *utf8)
{
    iconv_t cd = iconv_open("EUC-JP", "UTF-8");
    cr_assert_neq(cd, (iconv_t)-1);
    char out[1024], *in = (char *)utf8, *o = out;
    size_t inleft = strlen(utf8), oleft = sizeof out;
    cr_assert_neq(iconv(cd, &in, &inleft, &o, &oleft), (size_t)-1);
    iconv_close(cd);
    write_file(path, out, sizeof out - oleft);
}

Test(lint, ipadic_directory_in_eucjp)
{
    const char *d = tmp("ipadic");
    cr_assert_eq(mkdir(d, 0700), 0);
    put_eucjp(tmp("ipadic/Noun.csv"), "ニワタタキ,1285,1285,5543,名詞,一般\n"
                                      "イシタタキ,1285,1285,5543,名詞,一般\n");
    put_eucjp(tmp("ipadic/Noun.verbal.csv"), "袋叩き,1283,1283,5000,名詞,サ変接続\n");
    put_eucjp(tmp("ipadic/Noun.place.csv"), "タタキ町,1293,1293,9000,名詞,固有名詞\n");
    put_eucjp(tmp("ipadic/Verb.csv"), "叩きつける,1,1,1,動詞\n");
    ys_words *w = ys_words_new();
    ys_error err = {0};
    cr_assert_eq(ys_words_load(w, d, &err), YS_OK, "%s", err.message);
    cr_assert_eq(ys_words_count(w), 3, "Noun.csv and Noun.verbal.csv only");
    ys_lint_options opt = {.words = w, .min_words = 2};
    seen_list l = lint_text(common_tsv, NULL, &opt);
    show(&l);
    cr_assert_eq(l.n, 2, "タタキ and タタ");
    cr_assert_eq(l.w[0].words, 2, "タタキ町 is a place name: not an ordinary word");
    ys_words_free(w);
}

Test(lint, word_list_errors)
{
    ys_words *w = ys_words_new();
    ys_error err = {0};
    cr_assert_eq(ys_words_load(w, tmp("missing.txt"), &err), YS_EIO);
    cr_assert(strstr(err.message, "missing.txt"), "%s", err.message);
    const char *d = tmp("empty");
    cr_assert_eq(mkdir(d, 0700), 0);
    cr_assert_eq(ys_words_load(w, d, &err), YS_EIO);
    cr_assert(strstr(err.message, "no Noun*.csv"), "%s", err.message);
    const char *bad = tmp("bad.txt");
    put(bad, "ok\nfine\n\xff\xff\n"); /* neither UTF-8 nor EUC-JP on line 3 */
    cr_assert_eq(ys_words_load(w, bad, &err), YS_EIO);
    cr_assert(strstr(err.message, "bad.txt:3: neither UTF-8 nor EUC-JP"), "%s", err.message);
    ys_words_free(w);
}

/* ---- the API around the checks ---- */

static int stop_at_first(void *ctx, const ys_lint_warning *w)
{
    (void)w;
    ++*(int *)ctx;
    return 7;
}

Test(lint, callback_stops_the_lint)
{
    ys_lexicon *lex = ys_lexicon_new();
    ys_error err = {0};
    cr_assert_eq(ys_lexicon_parse_list(lex, "x", "闇バイト \n受け子 \n", 25, &err), YS_OK);
    int calls = 0;
    cr_assert_eq(ys_lint_lexicon(lex, NULL, stop_at_first, &calls, &err), 7);
    cr_assert_eq(calls, 1);
    cr_assert_eq(ys_lint_lexicon(NULL, NULL, stop_at_first, &calls, &err), YS_EINVAL);
    ys_lexicon_free(lex);
}

Test(lint, a_compiled_database_gives_the_same_warnings)
{
    ys_db *db = compile_tsv(HEAD "w1\tslang\t5\tlit\tホワイト案件\n"
                                 "w2\tslang\t5\tlit\tﾎﾜｲﾄ案件\n"
                                 "s\tslang\t5\texact\t闇バイト \n");
    seen_list l = {.n = 0};
    ys_error err = {0};
    cr_assert_eq(ys_lint_db(db, NULL, collect, &l, &err), YS_OK);
    ys_db_free(db);
    show(&l);
    cr_assert_eq(l.n, 2);
    cr_assert_eq(l.w[0].kind, YS_LINT_DUPLICATE);
    cr_assert_str_eq(l.w[0].id, "w2");
    cr_assert_eq(l.w[1].kind, YS_LINT_NOT_IN_JAPANESE);
    cr_assert_str_eq(l.w[1].id, "s");
}

/* ---- yamiscan compile --lint ---- */

Test(lint, cli_prints_warnings_and_keeps_the_exit_status)
{
    const char *list = tmp("terms.txt"), *db = tmp("out.ysdb"), *words = tmp("w.txt");
    put(list, "受け子\n闇バイト \n");
    put(words, "ニワタタキ\nイシタタキ\n");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "\"$YAMISCAN\" compile -f '%s' -o '%s'", list, db);
    run_result r = run_sh(cmd);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.err, "", "no lint without --lint");
    run_free(&r);

    snprintf(cmd, sizeof cmd, "\"$YAMISCAN\" compile -f '%s' -e タタキ --lint-words '%s' "
             "--lint-min-words 2 -o '%s'", list, words, db);
    r = run_sh(cmd);
    cr_assert_eq(r.status, 0, "%s", r.err);
    char want[1024];
    snprintf(want, sizeof want, "%s:2: warning: pattern '%s:2': term '闇バイト ' cannot match "
             "inside Japanese text", list, list);
    cr_assert(strstr(r.err, want), "%s", r.err);
    cr_assert(strstr(r.err, "-e:1: warning: pattern 'e1': term 'タタキ' occurs inside 2 of 2 "
                            "dictionary words (e.g. ニワタタキ, イシタタキ)\n"),
              "%s", r.err);
    cr_assert(strstr(r.err, "yamiscan: lint: 2 warnings (2 dictionary words)\n"), "%s", r.err);
    cr_assert_eq(access(db, F_OK), 0, "warnings do not stop the database being written");
    run_free(&r);
    cr_assert_eq(remove(db), 0);

    snprintf(cmd, sizeof cmd, "\"$YAMISCAN\" compile -f '%s' --werror --lint-words '%s' -o '%s'",
             list, words, db);
    r = run_sh(cmd);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "--werror"), "%s", r.err);
    cr_assert_neq(access(db, F_OK), 0, "--werror: nothing written");
    run_free(&r);

    snprintf(cmd, sizeof cmd, "\"$YAMISCAN\" compile -e 受け子 --werror --lint-words '%s' -o '%s'",
             words, db);
    r = run_sh(cmd);
    cr_assert_eq(r.status, 0, "no warnings, --werror or not: %s", r.err);
    run_free(&r);

    snprintf(cmd, sizeof cmd, "\"$YAMISCAN\" compile -e x --lint-words '%s/none' -o '%s'",
             dir, db);
    r = run_sh(cmd);
    cr_assert_eq(r.status, 2, "a word list that cannot be read is an error: %s", r.err);
    cr_assert(strstr(r.err, "none"), "%s", r.err);
    run_free(&r);
}
