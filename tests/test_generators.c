/* The benchmark's generators: gen-posts with a prose pool (deterministic,
 * sized, text taken from the pool) and gen-terms (nested sets, realistic
 * terms absent from the prose, dense terms ordered by frequency). The pool,
 * dictionary and lexicon here are tiny files written for these tests. */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "yamiscan.h"

static const char pool[] = "今日は図書館で本を読んだ。\n"
                           "公園の桜が満開で、公園のベンチも人でいっぱいだった。\n"
                           "郵便局に寄ってから図書館へ戻った。\n"
                           "雨の日は公園に誰もいない。\n";

static run_result sh(const char *fmt, const char *a, const char *b)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    return run_sh(cmd);
}

Test(gen_posts, prose_posts_are_deterministic_sized_and_from_the_pool)
{
    const char *p = tmp_path("pool.txt");
    write_file(p, pool, strlen(pool));
    const char *cmd = "\"$GEN_POSTS\" --bytes 20000 --seed %s --prose %s --recruit-pct 0 "
                      "--news-pct 0 --food-pct 0 --escape-pct 0";
    run_result a = sh(cmd, "7", p), b = sh(cmd, "7", p), c = sh(cmd, "8", p);
    cr_assert_eq(a.status, 0, "%s", a.err);
    cr_assert_eq(a.out_len, b.out_len);
    cr_assert(memcmp(a.out, b.out, a.out_len) == 0, "same seed, same bytes");
    cr_assert(c.out_len != a.out_len || memcmp(a.out, c.out, a.out_len) != 0, "seed matters");
    cr_assert_geq(a.out_len, 20000);

    /* Every post's text is a run of the pool's sentences (the pool, joined,
     * repeated twice so that a run may wrap around), cut at a character. */
    char ring[2 * sizeof pool], text[32768];
    size_t rl = 0;
    for (int k = 0; k < 2; k++)
        for (const char *s = pool; *s; s++)
            if (*s != '\n')
                ring[rl++] = *s;
    const char *fields[] = {"text"};
    size_t posts = 0, last_len = 0;
    for (char *line = a.out, *nl; (nl = strchr(line, '\n')); line = nl + 1, posts++) {
        size_t tl;
        const char *id;
        size_t idl;
        ys_error err;
        cr_assert_eq(ys_json_extract(line, (size_t)(nl - line), fields, 1, "id", text, sizeof text,
                                     &tl, &id, &idl, &err),
                     YS_OK, "%s", err.message);
        cr_assert(tl > 0 && tl <= rl / 2 * 20);
        /* Long posts repeat the pool; check the part that fits the ring. */
        size_t check = tl < rl / 2 ? tl : rl / 2;
        cr_assert(memmem(ring, rl, text, check), "post %zu is not pool text", posts);
        last_len = (size_t)(nl - line) + 1;
    }
    cr_assert_lt(a.out_len - last_len, 20000, "stops after the post that reaches the size");
    run_free(&a);
    run_free(&b);
    run_free(&c);
}

Test(gen_posts, refuses_bad_options)
{
    run_result r = run_sh("\"$GEN_POSTS\" --recruit-pct 60 --news-pct 50");
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "more than 100"), "%s", r.err);
    run_free(&r);
    r = run_sh("\"$GEN_POSTS\" --bytes lots");
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "usage:"), "%s", r.err);
    run_free(&r);
}

static char **lines_of(const char *path, size_t *n)
{
    char *data = read_file(path, NULL);
    char **v = calloc(64, sizeof *v);
    *n = 0;
    for (char *s = strtok(data, "\n"); s && *n < 64; s = strtok(NULL, "\n"))
        v[(*n)++] = strdup(s);
    free(data);
    return v;
}

Test(gen_terms, families_are_nested_and_realistic_terms_are_absent_from_the_prose)
{
    const char *p = tmp_path("pool.txt"), *w = tmp_path("words.tsv"), *l = tmp_path("lex.tsv");
    write_file(p, pool, strlen(pool));
    /* 公園 in 2 sentences, 図書館 in 2, 郵便局 in 1; the rest in none. */
    const char words[] = "公園\t100\tNoun\n図書館\t200\tNoun\n郵便局\t300\tNoun\n"
                         "天気\t50\tNoun\n自転車\t400\tNoun\n海水浴場\t500\tNoun\n"
                         "水族館\t600\tNoun\nABC\t10\tNoun\n";
    write_file(w, words, strlen(words));
    const char lex[] = "@category\tslang\ttest slang\n"
                       "s1\tslang\t5\tlit\t闇バイト\n"
                       "s2\tslang\t5\tlit\t図書館\n" /* a lexicon term the prose holds */
                       "s3\tslang\t5\tre\t受け?子\n";
    write_file(l, lex, strlen(lex));
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "\"$GEN_TERMS\" --words %s --prose %s --lexicon %s --out %s --sizes 2,4", w, p, l,
             tmp_path(""));
    run_result r = run_sh(cmd);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "lexicon term 図書館 is in 2 pool sentences"), "%s", r.err);

    size_t n2, n4, d4;
    char **r2 = lines_of(tmp_path("realistic-2.txt"), &n2);
    char **r4 = lines_of(tmp_path("realistic-4.txt"), &n4);
    char **dn = lines_of(tmp_path("dense-4.txt"), &d4);
    cr_assert_eq(n2, 2);
    cr_assert_eq(n4, 4);
    cr_assert_str_eq(r4[0], "闇バイト", "the lexicon's literals come first");
    for (size_t i = 0; i < n4; i++) {
        if (i < n2)
            cr_assert_str_eq(r2[i], r4[i], "the smaller set is a prefix");
        cr_assert_null(strstr(pool, r4[i]), "%s occurs in the prose", r4[i]);
        cr_assert(strcmp(r4[i], "天気") && strcmp(r4[i], "ABC"), "2 characters or ASCII: %s", r4[i]);
    }
    /* Dense: nouns by the sentences that hold them, then by cost (図書館 is
     * the lexicon's, and comes after the 10 most frequent nouns). */
    cr_assert_eq(d4, 4);
    cr_assert_str_eq(dn[0], "公園");
    cr_assert_str_eq(dn[1], "郵便局");
    cr_assert_str_eq(dn[2], "天気");
    cr_assert_str_eq(dn[3], "自転車");
    run_free(&r);
    for (size_t i = 0; i < 64; i++)
        free(r2[i]), free(r4[i]), free(dn[i]);
    free(r2);
    free(r4);
    free(dn);
}
