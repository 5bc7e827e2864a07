/* Detection: spelling variants generated at compile time (each kind), the
 * scoring arithmetic (strongest term per category, combos, negative
 * context, threshold), and the explain and eval commands. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "yamiscan.h"

static ys_error err;

/* Scans one post and scores it with its text; returns its verdict, in
 * *found whether a hit of pattern `id` is among its hits ("": any hit at
 * all), and in *keep (if not NULL) the scorer, to be asked what counted. */
static ys_verdict scan_full(ys_db *db, const char *text, int threshold, const char *id,
                            int *found, ys_scorer **keep)
{
    ys_error err;
    ys_scorer *scorer;
    cr_assert_eq(ys_scorer_new(db, &scorer, &err), YS_OK);
    if (threshold != -99999)
        ys_scorer_set_threshold(scorer, threshold);
    ys_hit *h;
    size_t n;
    ys_verdict v = score_one(db, scorer, text, &h, &n);
    if (found) {
        *found = 0;
        for (size_t i = 0; i < n; i++)
            *found |= !*id || !strcmp(ys_db_pattern(db, h[i].pattern)->id, id);
    }
    free(h);
    if (keep)
        *keep = scorer;
    else
        ys_scorer_free(scorer);
    return v;
}

static ys_verdict scan_one(ys_db *db, const char *text, int threshold, const char *id, int *found)
{
    return scan_full(db, text, threshold, id, found, NULL);
}

static int matches(ys_db *db, const char *text, const char *id)
{
    int found;
    scan_one(db, text, -99999, id, &found);
    return found;
}

Test(detect, each_kind_of_variant_matches)
{
    ys_db *db = compile_tsv("a\tdefault\t1\tlit\t受け子\tうけこ\n"
                        "b\tdefault\t1\tlit\tホワイト案件\n"
                        "c\tdefault\t1\tlit\t受け取り\n"
                        "d\tdefault\t1\tlit\t荷物の受け取り\n"
                        "e\tdefault\t1\tlit\tTelegram\n"
                        "f\tdefault\t1\texact\t闇バイト\n");
    /* reading in hiragana and katakana, and half width through folding */
    cr_assert(matches(db, "うけこ募集", "a"));
    cr_assert(matches(db, "ウケコ募集", "a"));
    cr_assert(matches(db, "ｳｹｺ募集", "a"));
    /* katakana written in hiragana, and half width */
    cr_assert(matches(db, "ほわいと案件", "b"));
    cr_assert(matches(db, "ﾎﾜｲﾄ案件", "b"));
    /* okurigana between kanji left out: 受け取り → 受取り */
    cr_assert(matches(db, "受取りです", "c"));
    /* the particle left out: 荷物の受け取り → 荷物受け取り (c hits there too) */
    cr_assert(matches(db, "今日は荷物受け取りだけ", "d"));
    /* Latin in any case and width */
    cr_assert(matches(db, "TELEGRAMで", "e"));
    cr_assert(matches(db, "telegramで", "e"));
    cr_assert(matches(db, "Ｔｅｌｅｇｒａｍで", "e"));
    /* `exact`: no variants, but folding still applies to the text */
    cr_assert(matches(db, "闇バイト", "f"));
    cr_assert(matches(db, "闇 バ イ ト", "f"));
    cr_assert_not(matches(db, "やみばいと", "f"));
    ys_db_stats st;
    ys_db_get_stats(db, &st);
    cr_assert_eq(st.literals, 6);
    cr_assert_gt(st.spellings, 6 + 4, "%zu spellings", st.spellings);
    ys_db_free(db);
}

static const char scoring[] = "@threshold\t6\n"
                              "@category\tslang\ts\n@category\tpay\tp\n@category\tnews\tn\n"
                              "@combo\tslang+pay\t2\n"
                              "s1\tslang\t5\tlit\t闇バイト\n"
                              "s2\tslang\t3\tlit\t裏バイト\n"
                              "p1\tpay\t2\tlit\t即金\n"
                              "n1\tnews\t-8\tlit\t逮捕\n"
                              "n2\tnews\t-3\tlit\t警察\n";

Test(detect, scoring_arithmetic)
{
    ys_db *db = compile_tsv(scoring);
    /* one category: its strongest term, once */
    cr_assert_eq(scan_one(db, "闇バイト 裏バイト 闇バイト", -99999, NULL, NULL).score, 5);
    /* two categories and their combo: 5 + 2 + 2 */
    ys_verdict v = scan_one(db, "闇バイト即金", -99999, NULL, NULL);
    cr_assert_eq(v.score, 9);
    cr_assert_eq(v.flagged, 1);
    /* negative context: the strongest (-8, not -3), and no combo needs it */
    v = scan_one(db, "闇バイト即金で警察が逮捕", -99999, NULL, NULL);
    cr_assert_eq(v.score, 1);
    cr_assert_eq(v.flagged, 0);
    /* below the threshold without the combo */
    v = scan_one(db, "裏バイト", -99999, NULL, NULL);
    cr_assert_eq(v.score, 3);
    cr_assert_eq(v.flagged, 0);
    /* --threshold overrides the lexicon's */
    cr_assert_eq(scan_one(db, "裏バイト", 3, NULL, NULL).flagged, 1);
    /* negative context alone is not even looked for, and never flags */
    int any;
    v = scan_one(db, "警察が逮捕", -100, "", &any);
    cr_assert_eq(any, 0);
    cr_assert_eq(v.flagged, 0);
    ys_db_free(db);
}

Test(detect, default_category_flags_on_any_hit)
{
    ys_db *db = compile_tsv("@threshold\t50\nx\tdefault\t1\texact\t高収入\n");
    cr_assert_eq(scan_one(db, "高収入", -99999, NULL, NULL).flagged, 1);
    ys_db_free(db);
}

/* `yamiscan explain -l TSV 'TEXT'` with the lexicon written to a file. */
static run_result explain_with(const char *tsv, const char *text)
{
    const char *lex = tmp_path("explain.tsv");
    write_file(lex, tsv, strlen(tsv));
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "\"$YAMISCAN\" explain -l %s '%s'", lex, text);
    return run_sh(cmd);
}

Test(detect, explain_shows_folding_hits_and_arithmetic)
{
    const char *lex = tmp_path("s.tsv");
    write_file(lex, scoring, strlen(scoring));
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "\"$YAMISCAN\" explain -l %s '闇・バイト 即金'", lex);
    run_result r = run_sh(cmd);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "folded:   闇バイト即金\n"), "%s", r.out);
    cr_assert(strstr(r.out, "\"闇・バイト\" at bytes 0-15"), "%s", r.out);
    cr_assert(strstr(r.out, "  slang+pay                 +2  @combo\n"), "%s", r.out);
    cr_assert(strstr(r.out, "  total                      9  threshold 6: FLAGGED\n"), "%s", r.out);
    run_free(&r);
    snprintf(cmd, sizeof cmd, "echo '裏バイト' | \"$YAMISCAN\" explain -l %s", lex);
    r = run_sh(cmd);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "folded:   (nothing to fold)\n"), "%s", r.out);
    cr_assert(strstr(r.out, "threshold 6: not flagged"), "%s", r.out);
    run_free(&r);
}

Test(detect, eval_counts_and_lists_errors)
{
    const char *lex = tmp_path("s.tsv"), *in = tmp_path("labeled.jsonl");
    write_file(lex, scoring, strlen(scoring));
    const char posts[] = "{\"id\":1,\"text\":\"闇バイト即金\",\"label\":1,\"kind\":\"slang\"}\n"
                         "{\"id\":2,\"text\":\"裏バイト\",\"label\":1,\"kind\":\"slang\"}\n"
                         "{\"id\":3,\"text\":\"闇バイト\",\"label\":0,\"kind\":\"talk\"}\n"
                         "{\"id\":4,\"text\":\"警察が闇バイトの男を逮捕\",\"label\":0}\n"
                         "{\"id\":5,\"text\":\"闇バイト\",\"label\":1}\n";
    write_file(in, posts, strlen(posts));
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "\"$YAMISCAN\" eval -l %s %s", lex, in);
    run_result r = run_sh(cmd);
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* threshold 6: 1 flagged (9); 2 (3) and 5 (5) missed; 3 (5) and 4 (-3) not flagged */
    cr_assert(strstr(r.out, "  false negative id 2 score 3: 裏バイト\n"), "%s", r.out);
    cr_assert(strstr(r.out, "  false negative id 5 score 5: 闇バイト\n"), "%s", r.out);
    cr_assert(strstr(r.out, "posts 5 (3 positive, 2 negative), threshold 6\n"), "%s", r.out);
    cr_assert(strstr(r.out, "true positives 1, false positives 0, false negatives 2, true "
                            "negatives 2\n"), "%s", r.out);
    cr_assert(strstr(r.out, "precision 1.000  recall 0.333  F1 0.500\n"), "%s", r.out);
    run_free(&r);
    /* --threshold 5: 闇バイト alone (5) flags now: tp 2, fp 1, fn 1, tn 1 */
    snprintf(cmd, sizeof cmd, "\"$YAMISCAN\" eval --threshold 5 -l %s %s", lex, in);
    r = run_sh(cmd);
    cr_assert(strstr(r.out, "true positives 2, false positives 1, false negatives 1, true "
                            "negatives 1\n"), "%s", r.out);
    cr_assert(strstr(r.out, "precision 0.667  recall 0.667  F1 0.667\n"), "%s", r.out);
    cr_assert(strstr(r.out, "  slang                           1/2    0.500\n"), "%s", r.out);
    cr_assert(strstr(r.out, "  false positive id 3 score 5: 闇バイト\n"), "%s", r.out);
    run_free(&r);
    /* a line without a label is an error naming it */
    write_file(in, "{\"id\":1,\"text\":\"x\"}\n", 20);
    r = run_sh(cmd);
    cr_assert_eq(r.status, 2);
    char want[600];
    snprintf(want, sizeof want, "%s:1: \"label\" must be 1 or 0\n", in);
    cr_assert_str_eq(r.err, want);
    run_free(&r);
}

Test(detect, romaji_spellings_from_the_reading)
{
    ys_db *db = compile_tsv("a\tdefault\t4\tlit\t受け子\tうけこ\n"
                            "b\tdefault\t4\tlit\t即日即金\tそくじつ そっきん\n"
                            "c\tdefault\t4\tlit\t高収入\tこうしゅうにゅう\n"
                            "d\tdefault\t4\tlit\t出し子\tだしこ\n"
                            "e\tdefault\t4\tlit\tホワイト案件\tほわいと あんけん\n"
                            "f\tdefault\t-4\tlit\t逮捕\tたいほ\n");
    /* joined, spaced by word or syllable, hyphenated, any case */
    const char *a[] = {"ukeko", "UKEKO", "uke ko", "u ke ko", "u-ke-ko", "Uke-Ko"};
    for (size_t i = 0; i < sizeof a / sizeof *a; i++)
        cr_assert(matches(db, a[i], "a"), "%s", a[i]);
    /* Hepburn and Kunrei, っ doubling the consonant */
    const char *b[] = {"sokujitsu sokkin", "sokuzitu sokkin", "SOKUJITSUSOKKIN",
                       "so-ku-ji-tsu-sok-kin"};
    for (size_t i = 0; i < sizeof b / sizeof *b; i++)
        cr_assert(matches(db, b[i], "b"), "%s", b[i]);
    /* long vowels written, not written, or with a macron (folded) */
    const char *c[] = {"koushuunyuu", "koshunyu", "kou shuu nyuu", "kōshūnyū"};
    for (size_t i = 0; i < sizeof c / sizeof *c; i++)
        cr_assert(matches(db, c[i], "c"), "%s", c[i]);
    cr_assert(matches(db, "dashiko", "d") && matches(db, "dasiko", "d"));
    cr_assert(matches(db, "howaito anken", "e") && matches(db, "howaitoanken", "e"));
    /* context terms get no romaji; neither does a wrong reading */
    cr_assert(!matches(db, "taiho", "f"));
    cr_assert(!matches(db, "ukego", "a"));
    ys_db_free(db);
}

Test(detect, mixed_scripts_masks_and_look_alikes)
{
    ys_db *db = compile_tsv("@threshold\t6\n"
                            "a\tdefault\t4\tlit\t受け子\tうけこ\n"
                            "b\tdefault\t4\tlit\t闇バイト\tやみばいと\n"
                            "c\tdefault\t5\tlit\t口座買取\n"
                            "d\tdefault\t2\tlit\t誰でもできる\n");
    const char *a[] = {"受けこ", "うけ子", "ウケ子", "受ケコ"};
    for (size_t i = 0; i < sizeof a / sizeof *a; i++)
        cr_assert(matches(db, a[i], "a"), "%s", a[i]);
    const char *b[] = {"やみバイト", "ヤミばいと", "闇ばいと", "闇バ○ト", "闇バ×ト", "闇バ☆ト",
                       "闇◯イト", "闇バイ●"};
    for (size_t i = 0; i < sizeof b / sizeof *b; i++)
        cr_assert(matches(db, b[i], "b"), "%s", b[i]);
    /* a part in romaji beside parts that are not (Latin letters match in
     * any case) */
    const char *latin[] = {"yamiバイト", "YAMIばいと", "闇baito", "ukeコ", "受けko", "うけko"};
    for (size_t i = 0; i < sizeof latin / sizeof *latin; i++)
        cr_assert(matches(db, latin[i], latin[i][0] == 'u' || strstr(latin[i], "ko") ? "a" : "b"),
                  "%s", latin[i]);
    /* 口 before katakana folds to ロ, which the look-alike spelling matches */
    cr_assert(matches(db, "レンタル口座買取", "c"));
    cr_assert(matches(db, "ロ座買取", "c"));
    /* a kanji written as an ordinary kanji it looks like, one at a time:
     * 高収人 for 高収入, 末経験 for 未経験; a negative term gets none */
    ys_db *kanji = compile_tsv("@threshold\t6\n"
                               "@category\tnews\tnews\n"
                               "k\tdefault\t4\tlit\t高収入\n"
                               "m\tdefault\t4\tlit\t未経験入店\n"
                               "n\tnews\t-4\tlit\t入国\n");
    cr_assert(matches(kanji, "高収人", "k") && matches(kanji, "高収入", "k"));
    cr_assert(matches(kanji, "末経験入店", "m") && matches(kanji, "未経験人店", "m"));
    cr_assert(!matches(kanji, "末経験人店", "m"), "one look-alike at a time");
    cr_assert(!matches(kanji, "人国 高収入", "n"));
    ys_db_free(kanji);
    /* weak terms (against the threshold) are not masked: 誰もできる is
     * another phrase */
    cr_assert(!matches(db, "誰もできる", "d"));
    ys_db *scaled = compile_tsv("@threshold\t30\n"
                                "b\tdefault\t20\tlit\t闇バイト\n"
                                "d\tdefault\t10\tlit\t誰でもできる\n");
    cr_assert(matches(scaled, "闇バ○ト", "b") && !matches(scaled, "誰もできる", "d"),
              "the same terms, weights and threshold scaled by 5");
    ys_db_free(scaled);
    /* masks hide words: a phrase of 7 characters is not masked, one of 6 is */
    ys_db *phrases = compile_tsv("@threshold\t6\n"
                                 "e\tdefault\t6\tlit\t詳細は個別で\n"
                                 "f\tdefault\t6\tlit\t読んだら消して\n");
    cr_assert(matches(phrases, "詳細は○別で", "e") && matches(phrases, "詳細は別で", "e"));
    cr_assert(!matches(phrases, "読んだ○消して", "f") && !matches(phrases, "読んだ消して", "f"));
    ys_db_free(phrases);
    /* a character is left out only where two that are not hiragana stay:
     * 安全です without 全 would be 目安です's 安です; 闇バイト without イ is
     * 闇バト still */
    ys_db *strong = compile_tsv("@threshold\t6\n"
                                "i\tdefault\t6\tlit\t安全です\n"
                                "j\tdefault\t6\tlit\t闇バイト\n");
    cr_assert(!matches(strong, "目安です", "i") && matches(strong, "安○です", "i"));
    cr_assert(matches(strong, "闇バト", "j"));
    ys_db_free(strong);
    /* a spelling generated for one term that is another term as written
     * takes that term's weight only: 高額収入 without 額 is 高収入 */
    ys_db *two = compile_tsv("@threshold\t6\n"
                             "g\tdefault\t6\tlit\t高額収入\n"
                             "h\tdefault\t2\tlit\t高収入\n");
    cr_assert(matches(two, "高収入", "h") && !matches(two, "高収入", "g"));
    cr_assert(matches(two, "高○収入", "g") && matches(two, "高額収入", "g"));
    ys_db_free(two);

    /* the generators are counted */
    cr_assert_gt(ys_db_generated(db, YS_GEN_MIXED), 0);
    cr_assert_gt(ys_db_generated(db, YS_GEN_ROMAJI), 0);
    cr_assert_gt(ys_db_generated(db, YS_GEN_MASKED), 0);
    cr_assert_gt(ys_db_generated(db, YS_GEN_LOOKALIKE), 0);
    cr_assert_eq(ys_db_generated(db, YS_GEN_WRITTEN), 4);
    ys_db_free(db);
}

Test(detect, hits_of_generated_spellings_point_into_the_original)
{
    ys_db *db = compile_tsv("a\tdefault\t4\tlit\t受け子\tうけこ\n");
    const char *posts[] = {"急募 受け\n子 です", "急募 U-KE-KO です", "急募 受ケコ です"};
    const char *want[] = {"受け\n子", "U-KE-KO", "受ケコ"};
    ys_error err;
    ys_scanner *sc;
    cr_assert_eq(ys_scanner_new(db, &sc, &err), YS_OK);
    for (size_t i = 0; i < 3; i++) {
        ys_batch *b = ys_batch_new(4096);
        ys_batch_add(b, posts[i], strlen(posts[i]), NULL, 0, 1);
        const ys_hit *h;
        size_t n;
        cr_assert_eq(ys_scan_batch(sc, b, &h, &n, &err), YS_OK);
        cr_assert_eq(n, 1, "%s", posts[i]);
        cr_assert_eq(h[0].end - h[0].start, strlen(want[i]));
        cr_assert(memcmp(posts[i] + h[0].start, want[i], strlen(want[i])) == 0, "%s", posts[i]);
        ys_batch_free(b);
    }
    ys_scanner_free(sc);
    ys_db_free(db);
}

/* Scores one post with its text (the structural rules read it). */
static ys_verdict score_text(ys_db *db, const char *text, ys_scorer **keep)
{
    return scan_full(db, text, -99999, NULL, NULL, keep);
}

static const char rules_tsv[] = "@category\tslang\n@category\tpay\n@category\tnews\n"
                                "@category\tease\n"
                                "@combo\tslang+pay\t3\n@threshold\t6\n"
                                "@rule\tquoted\t-8\n@rule\tquestion\t-3\n@window\t10\n"
                                "s\tslang\t5\tlit\t闇バイト\n"
                                "p\tpay\t2\tlit\t即金\n"
                                "n\tnews\t-10\tlit\t逮捕\n"
                                "e\tease\t3\tlit\t逮捕されない\n";

Test(detect, a_hit_inside_a_hit_of_the_other_sign_is_ignored)
{
    ys_db *db = compile_tsv(rules_tsv);
    ys_scorer *s;
    ys_verdict v = score_text(db, "闇バイト、逮捕されない", &s);
    cr_assert_eq(v.score, 8, "news' 逮捕 inside ease's 逮捕されない: %d", v.score);
    cr_assert(ys_scorer_hit_ignored(s, 2) || ys_scorer_hit_ignored(s, 1));
    ys_scorer_free(s);
    v = score_text(db, "闇バイトで逮捕", NULL);
    cr_assert_eq(v.score, -5);
    ys_db_free(db);
}

/* One span of text is one sign: a positive hit inside a longer positive hit
 * of another category is ignored (即日 of ease inside 即日即金 of pay, at
 * the same start; 即金 of ease inside 当日即金, which starts earlier), so
 * the one phrase does not make two categories and their combo; inside a
 * hit of its own category it still counts (the strongest term wins). */
Test(detect, a_positive_hit_inside_a_longer_one_of_another_category_is_ignored)
{
    ys_db *db = compile_tsv("@category\tpay\n@category\tease\n@combo\tpay+ease\t4\n"
                            "@rule\tlone\t-1\n@threshold\t6\n"
                            "a\tpay\t5\tlit\t即日即金\n"
                            "b\tpay\t5\tlit\t当日即金\n"
                            "c\tpay\t7\tlit\t日即\n"
                            "d\tease\t3\tlit\t即日\n"
                            "e\tease\t3\tlit\t即金\n"
                            "f\tease\t3\tlit\t簡単\n");
    ys_scorer *s;
    ys_verdict v = score_text(db, "即日即金", &s);
    cr_assert_eq(ys_scorer_hit_ignored(s, 0), 0, "the longer hit counts");
    int ease, pay;
    cr_assert(!ys_scorer_category(s, 2, &ease), "ease has no counted hit");
    cr_assert(ys_scorer_category(s, 1, &pay) && pay == 7, "日即 inside it is pay too: %d", pay);
    cr_assert(ys_scorer_rule(s, YS_RULE_LONE));
    cr_assert_eq(v.score, 6, "pay 7, lone -1, no combo: %d", v.score);
    ys_scorer_free(s);
    v = score_text(db, "当日即金", &s);
    size_t ignored = 0;
    for (size_t i = 0; i < 3; i++)
        ignored += ys_scorer_hit_ignored(s, i) == YS_IGNORED_LONGER;
    cr_assert_eq(ignored, 1, "即金 of ease, which starts later");
    cr_assert_eq(v.score, 6, "%d", v.score);
    ys_scorer_free(s);
    v = score_text(db, "即日即金、簡単", NULL);
    cr_assert_eq(v.score, 14, "pay 7 + ease 3 (簡単, a span of its own) + combo 4: %d", v.score);
    ys_db_free(db);
}

Test(detect, combos_count_only_within_the_window)
{
    ys_db *db = compile_tsv(rules_tsv);
    ys_scorer *s;
    ys_verdict v = score_text(db, "闇バイト即金", &s);
    cr_assert_eq(v.score, 10);
    cr_assert(ys_scorer_combo(s, 0));
    ys_scorer_free(s);
    v = score_text(db, "闇バイトの話をしたいのですが、それはそうと今日は即金", &s);
    cr_assert_eq(v.score, 7, "15 characters apart: no bonus (%d)", v.score);
    cr_assert(!ys_scorer_combo(s, 0));
    ys_scorer_free(s);
    ys_db_free(db);
}

Test(detect, quotation_and_questions)
{
    ys_db *db = compile_tsv(rules_tsv);
    ys_scorer *s;
    ys_verdict v = score_text(db, "闇バイト即金です", NULL);
    cr_assert(v.flagged);
    const char *quoted[] = {"こんなDMが来た「闇バイト即金です」", "『闇バイト即金』だって",
                            "> 闇バイト即金です\nこれ通報した", "“闇バイト即金”"};
    for (size_t i = 0; i < 4; i++) {
        v = score_text(db, quoted[i], &s);
        cr_assert(ys_scorer_rule(s, YS_RULE_QUOTED), "%s", quoted[i]);
        cr_assert_eq(v.score, 2, "%s: %d", quoted[i], v.score);
        ys_scorer_free(s);
    }
    /* one positive hit outside the quotation: not a quoted post */
    v = score_text(db, "「闇バイト」あります、即金", &s);
    cr_assert(!ys_scorer_rule(s, YS_RULE_QUOTED));
    ys_scorer_free(s);
    /* a board's reply anchor (>>12) points at a post; it quotes nothing */
    const char *replies[] = {">>12 闇バイト即金です", "ok\n>>>3 闇バイト即金です"};
    for (size_t i = 0; i < 2; i++) {
        v = score_text(db, replies[i], &s);
        cr_assert(!ys_scorer_rule(s, YS_RULE_QUOTED), "%s", replies[i]);
        ys_scorer_free(s);
    }
    v = score_text(db, ">>なに 闇バイト即金です", &s); /* no number: a quotation mark */
    cr_assert(ys_scorer_rule(s, YS_RULE_QUOTED));
    ys_scorer_free(s);
    v = score_text(db, "闇バイト即金って何？", &s);
    cr_assert(ys_scorer_rule(s, YS_RULE_QUESTION));
    cr_assert_eq(v.score, 7);
    ys_scorer_free(s);
    v = score_text(db, "闇バイト即金。興味ある？", &s);
    cr_assert(!ys_scorer_rule(s, YS_RULE_QUESTION), "the hits' sentence is not the question");
    ys_scorer_free(s);
    ys_db_free(db);
}

/* Rule lone: one category alone contributes positively; context (a
 * negative category) and a second positive category decide. */
Test(detect, one_category_alone)
{
    ys_db *db = compile_tsv("@category\tpay\tpay\n@category\tcontact\tcontact\n"
                            "@category\tnews\tnews\n@threshold\t10\n@rule\tlone\t-4\n"
                            "a\tpay\t12\tlit\t高収入\n"
                            "b\tcontact\t3\tlit\tテレグラム\n"
                            "c\tnews\t-1\tlit\t逮捕\n");
    ys_scorer *s;
    ys_verdict v = scan_full(db, "高収入の仕事", -99999, NULL, NULL, &s);
    cr_assert(ys_scorer_rule(s, YS_RULE_LONE));
    cr_assert(!v.flagged && v.score == 8, "%d", v.score);
    ys_scorer_free(s);
    v = scan_full(db, "高収入、逮捕された", -99999, NULL, NULL, &s);
    cr_assert(ys_scorer_rule(s, YS_RULE_LONE), "context is not a second category");
    cr_assert_eq(v.score, 7);
    ys_scorer_free(s);
    v = scan_full(db, "高収入、テレグラムで", -99999, NULL, NULL, &s);
    cr_assert(!ys_scorer_rule(s, YS_RULE_LONE));
    cr_assert(v.flagged && v.score == 15, "%d", v.score);
    ys_scorer_free(s);
    ys_db_free(db);
}

/* A paired category adds nothing itself: an invitation (やる？) alone is
 * not a sign, beside a role it is, through their combo; it counts as a
 * category for the rule lone; a database file keeps the mark, and the
 * lexicon's hash (the cache's key) tells it apart. */
static const char paired_tsv[] = "@category\trole\n@category\toffer\tinvitations\tpaired\n"
                                 "@combo\toffer+role\t4\n@threshold\t6\n@rule\tlone\t-2\n"
                                 "r\trole\t5\tlit\t受け子\n"
                                 "o\toffer\t9\tlit\tやる？\n";

Test(detect, a_paired_category_counts_only_through_its_combos)
{
    ys_db *db = compile_tsv(paired_tsv);
    unsigned offer = 2; /* default, role, offer */
    cr_assert_str_eq(ys_db_category_name(db, offer), "offer");
    cr_assert(ys_db_category_paired(db, offer));
    cr_assert(!ys_db_category_paired(db, 1));
    ys_scorer *s;
    ys_verdict v = score_text(db, "明日の宿題やる？", &s);
    int w;
    cr_assert(ys_scorer_category(s, offer, &w) && w == 9, "the strongest term is still known");
    cr_assert(ys_scorer_rule(s, YS_RULE_LONE));
    cr_assert(!v.flagged && v.score == -2, "%d", v.score);
    ys_scorer_free(s);
    v = score_text(db, "受け子やる？", &s);
    cr_assert(ys_scorer_combo(s, 0) && !ys_scorer_rule(s, YS_RULE_LONE));
    cr_assert(v.flagged && v.score == 9, "role 5 + combo 4, not the term's 9: %d", v.score);
    ys_scorer_free(s);
    v = score_text(db, "受け子の話", NULL);
    cr_assert_eq(v.score, 3);
    const char *path = tmp_path("paired.ysdb");
    cr_assert_eq(ys_db_save(db, path, &err), YS_OK, "%s", err.message);
    ys_db *back;
    cr_assert_eq(ys_db_load(path, &back, &err), YS_OK, "%s", err.message);
    cr_assert(ys_db_category_paired(back, offer) && !ys_db_category_paired(back, 1));
    v = score_text(back, "受け子やる？", NULL);
    cr_assert_eq(v.score, 9);
    ys_db_free(back);
    ys_db_free(db);
    ys_lexicon *a = ys_lexicon_new(), *b = ys_lexicon_new();
    cr_assert(a && b);
    cr_assert_eq(ys_lexicon_parse_tsv(a, "a.tsv", paired_tsv, strlen(paired_tsv), &err), YS_OK);
    char unpaired[sizeof paired_tsv];
    strcpy(unpaired, paired_tsv);
    memcpy(strstr(unpaired, "\tpaired\n"), "\n\n\n\n\n\n\n\n", 8);
    cr_assert_eq(ys_lexicon_parse_tsv(b, "a.tsv", unpaired, strlen(unpaired), &err), YS_OK,
                 "%s", err.message);
    cr_assert_neq(ys_lexicon_hash(a), ys_lexicon_hash(b));
    ys_lexicon_free(a);
    ys_lexicon_free(b);
    /* explain says why the category adds 0 */
    run_result r = explain_with(paired_tsv, "受け子やる？");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "  offer                     +0  strongest term o (paired: counts only "
                            "through its combos)\n"), "%s", r.out);
    cr_assert(strstr(r.out, "  offer+role                +4  @combo\n"), "%s", r.out);
    run_free(&r);
}

Test(detect, explain_shows_rules_and_ignored_hits)
{
    run_result r = explain_with(rules_tsv, "「闇バイト即金、逮捕されない」");
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.out, "quoted") && strstr(r.out, "@rule"), "%s", r.out);
    cr_assert(strstr(r.out, "(ignored: inside a hit of the other sign)"), "%s", r.out);
    run_free(&r);
}

Test(detect, eval_reports_tricks_and_harmless_kinds)
{
    const char *lex = tmp_path("ev.tsv"), *set = tmp_path("ev.jsonl");
    write_file(lex, rules_tsv, strlen(rules_tsv));
    const char labeled[] =
        "{\"id\":1,\"kind\":\"ad\",\"trick\":\"romaji\",\"label\":1,\"text\":\"yamibaito desu\"}\n"
        "{\"id\":2,\"kind\":\"ad\",\"trick\":\"plain\",\"label\":1,\"text\":\"闇バイト即金\"}\n"
        "{\"id\":3,\"kind\":\"news\",\"trick\":\"plain\",\"label\":0,\"text\":\"闇バイト即金で逮捕\"}\n"
        "{\"id\":4,\"kind\":\"quoted\",\"trick\":\"plain\",\"label\":0,\"text\":\"闇バイト即金です\"}\n";
    write_file(set, labeled, strlen(labeled));
    char cmd[512];
    snprintf(cmd, sizeof cmd, "\"$YAMISCAN\" eval -l %s %s", lex, set);
    run_result r = run_sh(cmd);
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* no reading, so no romaji: the romaji ad is missed */
    cr_assert(strstr(r.out, "recall by spelling trick:"), "%s", r.out);
    const char *name[] = {"romaji", "plain", "news", "quoted"};
    const unsigned found[] = {0, 1, 0, 1};
    for (size_t i = 0; i < 4; i++) {
        char line[128];
        snprintf(line, sizeof line, "  %-28s %4u/%-4u", name[i], found[i], 1u);
        cr_assert(strstr(r.out, line), "no '%s' in\n%s", line, r.out);
    }
    run_free(&r);
}

/* The shortcuts a scan takes (context only where the threshold is within
 * reach, rules only where they could change the verdict) must give every
 * post the verdict, and every flagged post the score, of the full scoring:
 * checked with the bundled lexicon on both parts of the development set. */
Test(detect, scan_shortcuts_keep_every_verdict)
{
    need_hyperscan();
    char path[4096];
    snprintf(path, sizeof path, "%s/patterns/ja-recruitment.tsv", getenv("SOURCE_ROOT"));
    ys_error err;
    ys_lexicon *lex = ys_lexicon_new();
    cr_assert_eq(ys_lexicon_load_tsv(lex, path, &err), YS_OK, "%s", err.message);
    ys_db *db;
    cr_assert_eq(ys_db_compile(lex, &db, &err), YS_OK, "%s", err.message);
    ys_scanner *full_sc, *fast_sc;
    ys_scorer *full, *fast;
    cr_assert_eq(ys_scanner_new(db, &full_sc, &err), YS_OK);
    cr_assert_eq(ys_scanner_new(db, &fast_sc, &err), YS_OK);
    cr_assert_eq(ys_scorer_new(db, &full, &err), YS_OK);
    cr_assert_eq(ys_scorer_new(db, &fast, &err), YS_OK);
    ys_scanner_set_context_floor(fast_sc, ys_scorer_threshold(fast));
    ys_scorer_set_verdicts_only(fast, 1);
    size_t posts = 0, flagged = 0;
    for (int part = 0; part < 2; part++) {
        snprintf(path, sizeof path, "%s/corpora/dev/%s.jsonl", getenv("SOURCE_ROOT"),
                 part ? "test" : "tune");
        size_t len;
        char *data = read_file(path, &len), *text = malloc(1 << 16);
        for (char *line = data, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
            size_t tl = post_text(line, (size_t)(nl - line), text, 1 << 16);
            ys_batch *b = ys_batch_new(1 << 16);
            ys_batch_add(b, text, tl, NULL, 0, 1);
            const ys_hit *h;
            size_t n;
            ys_verdict v[2];
            cr_assert_eq(ys_scan_batch(full_sc, b, &h, &n, &err), YS_OK);
            ys_score_text(full, text, tl, h, n, &v[0]);
            cr_assert_eq(ys_scan_batch(fast_sc, b, &h, &n, &err), YS_OK);
            ys_score_text(fast, text, tl, h, n, &v[1]);
            cr_assert_eq(v[0].flagged, v[1].flagged, "%.*s", (int)tl, text);
            if (v[0].flagged)
                cr_assert_eq(v[0].score, v[1].score, "%.*s", (int)tl, text);
            posts++;
            flagged += (size_t)v[0].flagged;
            ys_batch_free(b);
        }
        free(text);
        free(data);
    }
    cr_assert_gt(posts, 1500);
    cr_assert_gt(flagged, 500);
    ys_scorer_free(full);
    ys_scorer_free(fast);
    ys_scanner_free(full_sc);
    ys_scanner_free(fast_sc);
    ys_db_free(db);
    ys_lexicon_free(lex);
}

/* Found in review: a bullet is not a mask; a look-alike outside the term
 * (テレグラム一回だけ: 一 after katakana is ー); romaji of a kana and a small
 * vowel; a ? in a URL asks nothing; weight 0 is neither sign. */
Test(detect, review_cases)
{
    ys_db *db = compile_tsv("@category\tslang\n@category\tease\n@threshold\t6\n"
                            "@rule\tquestion\t-3\n"
                            "s\tslang\t6\tlit\t闇バイト\n"
                            "e\tease\t6\tlit\t一回だけ\n"
                            "w\tdefault\t1\tlit\tウォレット\n"
                            "z\tslang\t0\tlit\t闇バイト対策\n");
    cr_assert(!matches(db, "●バイト募集中！時給1200円", "s"), "a bullet before バイト");
    cr_assert(matches(db, "闇バ●ト", "s") && matches(db, "闇バイ●", "s") &&
              matches(db, "闇バ〇ト", "s"), "〇 U+3007 is a mask too");
    cr_assert(matches(db, "テレグラム一回だけ", "e") && matches(db, "テレグラム 一回だけ", "e"));
    cr_assert(matches(db, "woretto", "w") && matches(db, "WORETTO", "w"));
    ys_scorer *s;
    ys_verdict v = score_text(db, "闇バイト詳細→https://t.me/x?start=1", &s);
    cr_assert(!ys_scorer_rule(s, YS_RULE_QUESTION) && v.score == 6, "%d", v.score);
    ys_scorer_free(s);
    v = score_text(db, "闇バイト対策", &s);
    cr_assert_eq(v.score, 6, "a weight-0 hit ignores nothing (%d)", v.score);
    ys_scorer_free(s);
    ys_db_free(db);
}
