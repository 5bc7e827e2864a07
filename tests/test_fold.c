/* Folding: each trick, the offsets back into the original text, and the
 * promise of ys_fold_needed (0 means folding would change nothing). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "yamiscan.h"

#include "../engine/src/foldscan.h"
#include "../engine/src/jsonscan.h"

typedef struct {
    char text[1024];
    size_t len;
    uint32_t from[1024], to[1024];
} folded;

static folded fold(const char *s)
{
    folded f;
    size_t n = strlen(s);
    cr_assert_lt(3 * n, sizeof f.text);
    f.len = ys_fold(s, n, f.text, f.from, f.to);
    if (f.len == YS_FOLD_UNCHANGED) {
        memcpy(f.text, s, n);
        f.len = n;
        for (size_t i = 0; i < n; i++)
            f.from[i] = (uint32_t)i, f.to[i] = (uint32_t)i + 1;
    } else {
        cr_assert(ys_fold_needed(s, n), "'%s' changes but the check said no", s);
    }
    f.text[f.len] = 0;
    return f;
}

/* The original text that folded bytes [start, end) stand for. */
static char *original(const char *s, const folded *f, size_t start, size_t end)
{
    static char buf[1024];
    size_t a = f->from[start], b = f->to[end - 1];
    memcpy(buf, s + a, b - a);
    buf[b - a] = 0;
    return buf;
}

/* Folds s, expects `want`, finds `term` in the folded text and checks that
 * it maps back to `orig` in s; and that folding `want` changes nothing. */
static void check(const char *s, const char *want, const char *term, const char *orig)
{
    folded f = fold(s);
    cr_assert_str_eq(f.text, want, "fold(%s)", s);
    folded again = fold(want);
    cr_assert_str_eq(again.text, want, "folding %s again", want);
    if (term) {
        const char *at = strstr(f.text, term);
        cr_assert_not_null(at, "%s not in %s", term, f.text);
        size_t start = (size_t)(at - f.text);
        cr_assert_str_eq(original(s, &f, start, start + strlen(term)), orig);
    }
}

Test(fold, plain_japanese_is_unchanged_and_not_even_checked)
{
    const char *s = "今日は駅前のカフェでラーメンを食べた。また行きたい！（笑）";
    cr_assert_eq(ys_fold_needed(s, strlen(s)), 0);
    char out[300];
    uint32_t a[300], b[300];
    cr_assert_eq(ys_fold(s, strlen(s), out, a, b), YS_FOLD_UNCHANGED);
}

Test(fold, halfwidth_katakana_with_voiced_marks)
{
    check("ﾎﾜｲﾄ案件", "ホワイト案件", "ホワイト案件", "ﾎﾜｲﾄ案件");
    check("ｶﾞｯﾂﾘ稼げるﾊﾞｲﾄ", "ガッツリ稼げるバイト", "バイト", "ﾊﾞｲﾄ");
    check("ﾊﾟﾁﾝｺ ｳﾞｨ", "パチンコヴィ", "ヴィ", "ｳﾞｨ");
    check("か\xe3\x82\x99け子", "がけ子", "が", "か\xe3\x82\x99"); /* combining mark */
}

Test(fold, fullwidth_latin_and_digits)
{
    check("連絡はＴｅｌｅｇｒａｍで", "連絡はTelegramで", "Telegram", "Ｔｅｌｅｇｒａｍ");
    check("日給５万", "日給5万", "5", "５");
}

Test(fold, invisible_characters)
{
    check("闇\xe2\x80\x8b" "バイト", "闇バイト", "闇バイト", "闇\xe2\x80\x8b" "バイト");
    check("受\xef\xbb\xbf" "け\xc2\xad子", "受け子", "受け子", "受\xef\xbb\xbf" "け\xc2\xad子");
}

Test(fold, separators_and_emoji_between_japanese_characters)
{
    check("受 け 子", "受け子", "受け子", "受 け 子");
    check("闇・バイト募集", "闇バイト募集", "闇バイト", "闇・バイト");
    check("闇🌙バイト", "闇バイト", "闇バイト", "闇🌙バイト");
    check("ホ✨ワ✨イ✨ト案件", "ホワイト案件", "ホワイト案件", "ホ✨ワ✨イ✨ト案件");
    check("受　け　子", "受け子", "受け子", "受　け　子");
    check("闇/バ/イ/ト", "闇バイト", "闇バイト", "闇/バ/イ/ト");
}

Test(fold, gaps_that_are_not_tricks_stay)
{
    check("今日は 10時から", "今日は 10時から", NULL, NULL);  /* digit after */
    check("すごい！また", "すごい！また", NULL, NULL);         /* sentence punctuation */
    check("受けて    子ども", "受けて    子ども", NULL, NULL); /* more than 3 */
    check("詳細は DM で", "詳細は DM で", NULL, NULL);         /* Latin after */
}

Test(fold, long_vowel_look_alikes_after_kana)
{
    check("テレグラム、ボ一ナス", "テレグラム、ボーナス", "ボーナス", "ボ一ナス");
    check("カ－ド", "カード", "カード", "カ－ド");
    check("カ―ド", "カード", NULL, NULL);
    check("ﾎﾜｲﾄｰ", "ホワイトー", NULL, NULL);
    check("一日", "一日", NULL, NULL);         /* 一 after nothing: the kanji */
    check("もう一度", "もう一度", NULL, NULL); /* after hiragana: the kanji */
    check("ﾃﾚｸﾞﾗﾑ-ﾎﾞｰﾅｽ", "テレグラムーボーナス", NULL, NULL);
}

Test(fold, a_dash_between_every_two_characters_is_a_separator)
{
    /* the same dash one character apart, twice or more: the word is spaced
     * out, and the dash after kana is no long vowel (受けー子 would match
     * nothing) */
    check("受-け-子募集", "受け子募集", "受け子", "受-け-子");
    check("タ-タ-キ行ける人", "タタキ行ける人", "タタキ", "タ-タ-キ");
    check("ホ－ワ－イ－ト案件", "ホワイト案件", "ホワイト", "ホ－ワ－イ－ト");
    check("ｳ-ｹ-ｺ", "ウケコ", "ウケコ", "ｳ-ｹ-ｺ");
    check("ﾀﾞ-ｼ-ｺ", "ダシコ", "ダシコ", "ﾀﾞ-ｼ-ｺ");
    /* one dash, or a dash at the end, or another dash further on: long
     * vowels as before */
    check("コ-ルセンタ-", "コールセンター", NULL, NULL);
    check("ス-パ-", "スーパー", NULL, NULL);
    check("カ-ド-", "カードー", NULL, NULL);
    check("カ-ド‐ル", "カードール", NULL, NULL);
    /* a run of dashes is no word spaced out (a fuzzer's find) */
    check("へ─────", "ヘーーーーー", NULL, NULL);
    /* more than 3 separators, but a dash look-alike among them folds into
     * the katakana row after it: the gap ends before it, as it will when
     * the folded text is folded again (a fuzzer's find) */
    check("へ★────ヘ", "ヘーーーーヘ", NULL, NULL);
    check("受け ─ 子", "受け子", "受け子", "受け ─ 子");
    /* a dash after kana with no word after it is ー, also when a dash two
     * characters back was a gap: the look-alike before it is katakana */
    check("甀─へ─└", "甀ヘー└", NULL, NULL);
}

Test(fold, invalid_utf8_passes_through)
{
    const char s[] = "ﾎﾜ\xff\xfeｲﾄ";
    folded f = fold(s);
    cr_assert_eq(f.len, 3 + 3 + 2 + 3 + 3);
    cr_assert(memcmp(f.text, "ホワ\xff\xfeイト", f.len) == 0);
}

/* Random strings over the characters the rules care about: whenever the
 * quick check says "no", folding must change nothing, and every folded byte
 * maps to a range inside the original. */
Test(fold, the_quick_check_never_misses_a_change)
{
    static const char *const pieces[] = {"闇", "バ", "イ", "ト", "う", "け", "こ", " ", "　", "・",
                                         "ｰ", "ﾊ", "ﾞ", "ﾟ", "ｶ", "Ｔ", "５", "－", "―", "一",
                                         "-", "✨", "🌙", "\xe2\x80\x8b", "\xc2\xad", "a", "。",
                                         "！", "\xe3\x82\x99", "゛", "\xff", "9", "/",
                                         /* issue 13's rules: line breaks, look-alikes of
                                          * katakana and of Latin letters, spelled-out
                                          * letters, masks, digits between letters */
                                         "\n", "\r", "工", "力", "口", "二", "卜", "夕", "八",
                                         "へ", "十", "ー", "カ", "ン", "\xd0\xb5", "ō", "D",
                                         "M", "T", "g", "1", "3", "○", "◯", "×", "※", "@",
                                         "Ｓ", "\xe3\x80\x80"};
    uint64_t x = 42;
    char s[200], out[600];
    uint32_t from[600], to[600];
    for (int round = 0; round < 200000; round++) {
        size_t n = 0;
        int k = 1 + (int)(x % 8);
        for (int j = 0; j < k; j++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            const char *p = pieces[(x >> 33) % (sizeof pieces / sizeof *pieces)];
            memcpy(s + n, p, strlen(p));
            n += strlen(p);
        }
        size_t f = ys_fold(s, n, out, from, to);
        if (!ys_fold_needed(s, n))
            cr_assert_eq(f, YS_FOLD_UNCHANGED, "round %d: %.*s", round, (int)n, s);
        if (f != YS_FOLD_UNCHANGED)
            for (size_t b = 0; b < f; b++)
                cr_assert(from[b] < to[b] && to[b] <= n, "round %d", round);
    }
}

Test(fold, line_breaks_between_japanese_characters)
{
    check("受け\n子募集", "受け子募集", "受け子", "受け\n子");
    check("ホワイト\r\n案件", "ホワイト案件", "ト案", "ト\r\n案");
    /* between other characters a line break is text */
    folded f = fold("DM\nOK");
    cr_assert_str_eq(f.text, "DM\nOK");
}

Test(fold, katakana_look_alikes_next_to_katakana)
{
    /* 卜 U+535C, 力 U+529B, 口 U+53E3, 工 U+5DE5: the Unicode confusables
     * data's twins of ト, カ, ロ, エ */
    check("ホワイ卜案件", "ホワイト案件", "ホワイト", "ホワイ卜");
    check("力ード回収", "カード回収", "カード", "力ード");
    check("レンタル口座", "レンタルロ座", "ルロ", "ル口");
    check("工ンジニア", "エンジニア", "エン", "工ン");
    /* a row of them that starts with a dash (a separator, and the twin of
     * ー) ends at katakana too (found by the fold fuzzer) */
    check("T\xef\xbc\x8d\xef\xbc\x8d一ナ", "Tーーーナ", "ーーーナ", "\xef\xbc\x8d\xef\xbc\x8d一ナ");
    /* a dash after hiragana へ is ー, so へ is next to katakana (found by
     * the fold fuzzer in CI: へ━ folded to へー, and that to ヘー) */
    check("へ━//", "ヘー//", "ヘー", "へ━");
    /* a row longer than the look once had (8) is one row (found by the fold
     * fuzzer: the start of a long row changed only when folded again) */
    check("口口口口口口口口口口口ン", "ロロロロロロロロロロロン", "ロロン", "口口ン");
    /* a gap before a look-alike that is not Japanese as it is (⁁ U+2041,
     * ノ's twin) is a gap: folding makes it katakana in a row */
    check("へ ⁁ン", "ヘノン", "ヘノン", "へ ⁁ン");
    /* before a voiced mark, which only kana takes: 八゛ is バ, also after a
     * kanji and at half width (ﾞ); 口゛ stays, ロ has no voiced form */
    check("闇八゛イト", "闇バイト", "闇バイ", "闇八゛イ");
    check("ﾔﾐ八ﾞｲﾄ", "ヤミバイト", "ミバ", "ﾐ八ﾞ");
    check("人口゛", "人口゛", NULL, NULL);
    folded f0 = fold("口口口口口口口口口口口座");
    cr_assert_str_eq(f0.text, "口口口口口口口口口口口座");
    /* among kanji they are kanji */
    folded f = fold("協力して口座を工夫");
    cr_assert_str_eq(f.text, "協力して口座を工夫");
}

Test(fold, kanji_variants_become_the_joyo_kanji)
{
    /* 收 U+6536 (Chinese) and 髙 U+9AD9 (a variant form) are Unihan's
     * variants of the Jōyō kanji 収 and 高; 學 U+5B78 of 学 */
    check("高收入", "高収入", "収入", "收入");
    check("髙収入のお仕事", "高収入のお仕事", "高収", "髙収");
    check("學生歓迎", "学生歓迎", "学生", "學生");
    /* 孑 and 孒, look-alikes of 子 that yamiscan adds */
    check("掛け孑・受け孒募集", "掛け子受け子募集", "受け子", "受け孒");
    /* and 曰, a look-alike of 日 */
    check("即曰払い", "即日払い", "即日", "即曰");
    /* Jōyō kanji stay, and so does a character that is a variant of two
     * (只: 子 and 隻) */
    folded f = fold("只今受け子の収入");
    cr_assert_str_eq(f.text, "只今受け子の収入");
    cr_assert(!ys_fold_needed("只今受け子の収入", strlen("只今受け子の収入")));
}

Test(fold, latin_look_alikes_and_romaji_long_vowels)
{
    /* Cyrillic е U+0435 and а U+0430 */
    check("T\xd0\xb5l\xd0\xb5gr\xd0\xb0m", "Telegram", "legr", "l\xd0\xb5gr");
    check("kōgaku hōshū", "kogaku hoshu", "hoshu", "hōshū");
}

Test(fold, letters_spelled_out_one_by_one)
{
    check("T e l e g r a m で", "Telegram で", "Telegram", "T e l e g r a m");
    check("詳細はD M", "詳細はDM", "DM", "D M");
    check("T.e.l.e.g.r.a.m", "Telegram", "Tele", "T.e.l.e");
    /* an invisible character in the gap is dropped with it (found by the
     * fold fuzzer: folding twice joined what folding once had not) */
    check("T\xef\xbc\x8d\xef\xb8\x80G", "TG", "TG", "T\xef\xbc\x8d\xef\xb8\x80G");
    check("S1\xef\xb8\x80gnal", "Signal", "Signal", "S1\xef\xb8\x80gnal");
    folded f = fold("I am a boy, t.me/x");
    cr_assert_str_eq(f.text, "I am a boy, t.me/x");
}

Test(fold, small_hiragana_vowels_become_full_size)
{
    check("ぅけこ募集", "うけこ募集", "うけこ", "ぅけこ");
    check("ばぃとぁるょ", "ばいとあるょ", "ばいと", "ばぃと"); /* small ょ is standard: きょう */
    check("ゎりのぃぃ", "わりのいい", "わり", "ゎり");
    folded f = fold("ファンのティー"); /* katakana's small vowels spell loanwords */
    cr_assert_str_eq(f.text, "ファンのティー");
}

Test(fold, masks_become_one_mask)
{
    check("闇バ×ト", "闇バ○ト", "バ○ト", "バ×ト");
    check("受け◯募集", "受け○募集", "け○", "け◯");
    check("ホワ☆ト", "ホワト", "ワト", "ワ☆ト"); /* a decoration, not a mask */
}

Test(fold, digits_between_letters_are_letters)
{
    check("S1gnalで", "Signalで", "Signal", "S1gnal");
    folded f = fold("ABC123 x1 5万");
    cr_assert_str_eq(f.text, "ABC123 x1 5万");
}

/* Random text for the gate: mostly plain (kana, kanji, punctuation, ASCII
 * words), so that whole blocks pass, with now and then a piece that matters
 * or a random byte (UTF-8 cut anywhere). */
static size_t gate_text(uint64_t *x, char *s, size_t cap)
{
    static const char *const plain[] = {"闇", "バ", "イ", "ト", "う", "け", "こ", "案件", "募集",
                                        "です。", "、", "「", "」", "ー", "カ", "ン", "Telegram",
                                        "2026", "a", "b", "!", "\t", "人", "日", "本"};
    static const char *const special[] = {
        " ", "　", "・", "ｰ", "ﾊ", "ﾞ", "ｶ", "Ｔ", "５", "－", "一", "-", "✨", "🌙",
        "\xe2\x80\x8b", "\xc2\xad", "x1y", "\xe3\x82\x99", "゛", "9", "/", "\n", "工", "力",
        "口", "二", "卜", "へ", "十", "千", "\xd0\xb5", "ō", "D", "M", "1", "3", "○", "◯", "×",
        "@", "é", "\xe3\x83\xbb", "\xe3\x80\xb0", "\xe3\x80\x80", "\xef\xbd\xb1", "〇",
        "Ｓ", "\r"};
    size_t n = 0;
    size_t want = (size_t)(*x >> 40) % cap;
    unsigned rate = (unsigned)(*x >> 20 & 63); /* specials per 1024 pieces */
    while (n + 16 < cap && n < want) {
        *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned r = (unsigned)(*x >> 54); /* 0..1023 */
        if (r < 4) {
            s[n++] = (char)(*x >> 32);
            continue;
        }
        const char *p = r < 4 + rate ? special[(*x >> 33) % (sizeof special / sizeof *special)]
                                     : plain[(*x >> 33) % (sizeof plain / sizeof *plain)];
        size_t k = strlen(p);
        memcpy(s + n, p, k);
        n += k;
    }
    return n;
}

/* Every SIMD gate this CPU runs gives the scalar check's answers, both of
 * them, to the bit, wherever the characters fall against its blocks. */
Test(fold, every_gate_answers_as_the_scalar_check)
{
    static char s[1200];
    uint64_t x = 7;
    int levels = 0;
    for (int level = YS_SIMD_SCALAR + 1; level < YS_SIMD_COUNT; level++) {
        if (ys_fold_check_level("", 0, NULL, level) < 0)
            continue;
        levels++;
        for (int round = 0; round < 100000; round++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t n = gate_text(&x, s, sizeof s);
            int v0 = -1, v1 = -2;
            int a = ys_fold_check_level(s, n, &v0, YS_SIMD_SCALAR);
            int b = ys_fold_check_level(s, n, &v1, level);
            cr_assert_eq(a, b, "%s, round %d: needed %d, scalar %d: %.*s", ys_simd_name(level),
                         round, b, a, (int)n, s);
            cr_assert_eq(v0, v1, "%s, round %d: valid %d, scalar %d", ys_simd_name(level), round,
                         v1, v0);
            cr_assert_eq(ys_fold_check_level(s, n, NULL, YS_SIMD_SCALAR),
                         ys_fold_check_level(s, n, NULL, level), "round %d", round);
            if (!a) {
                static char out[3600];
                static uint32_t from[3600], to[3600];
                cr_assert_eq(ys_fold(s, n, out, from, to), YS_FOLD_UNCHANGED, "round %d", round);
            }
        }
    }
    cr_log_info("gates compared with the scalar check: %d", levels);
}

/* Folding without the offset map (which copies what the gate finds plain
 * in runs) writes the same text as folding with it, on text that mixes
 * plain runs with what folding changes, and on the development set. */
Test(fold, without_the_map_the_folded_text_is_the_same)
{
    static char s[1200], a[3600], b[3600];
    static uint32_t from[3600], to[3600];
    uint64_t x = 11;
    size_t changed = 0;
    for (int round = 0; round < 100000; round++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t n = gate_text(&x, s, sizeof s);
        size_t na = ys_fold(s, n, a, from, to), nb = ys_fold(s, n, b, NULL, NULL);
        cr_assert_eq(na, nb, "round %d: %.*s", round, (int)n, s);
        if (na != YS_FOLD_UNCHANGED) {
            size_t d = 0;
            while (d < na && a[d] == b[d])
                d++;
            size_t lo = d > 24 ? d - 24 : 0;
            cr_assert(d == na, "round %d, byte %zu: with the map \"%.*s\", without \"%.*s\"",
                      round, d, (int)(d + 12 - lo), a + lo, (int)(d + 12 - lo), b + lo);
            changed++;
        }
    }
    cr_assert_gt(changed, 10000, "the rounds fold something");
    size_t len;
    char path[1024];
    snprintf(path, sizeof path, "%s/corpora/dev/test.jsonl", getenv("SOURCE_ROOT"));
    char *dev = read_file(path, &len);
    char *big = malloc(3 * len + 1), *big2 = malloc(3 * len + 1);
    uint32_t *f = malloc((3 * len + 1) * sizeof *f), *t = malloc((3 * len + 1) * sizeof *t);
    cr_assert(dev && big && big2 && f && t);
    size_t na = ys_fold(dev, len, big, f, t), nb = ys_fold(dev, len, big2, NULL, NULL);
    cr_assert(na != YS_FOLD_UNCHANGED && na == nb && memcmp(big, big2, na) == 0,
              "corpora/dev/test.jsonl folded as one text");
    free(dev);
    free(big);
    free(big2);
    free(f);
    free(t);
}

/* The gate's byte classes, each version against the byte loop. */
Test(fold, gate_classes_match_the_byte_loop)
{
    ys_fold_classify_fn ref = ys_fold_classify_impl(YS_SIMD_SCALAR);
    cr_assert(ref);
    unsigned char b[66], kana_bits[32];
    uint64_t x = 99;
    for (int level = YS_SIMD_SCALAR + 1; level < YS_SIMD_COUNT; level++) {
        ys_fold_classify_fn f = ys_fold_classify_impl(level);
        if (!f)
            continue;
        for (int round = 0; round < 20000; round++) {
            for (int j = 0; j < 66; j++) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                /* bytes of every value; then kana and punctuation often */
                unsigned kind = (unsigned)(x >> 40 & 3);
                b[j] = (unsigned char)(round < 4 ? (unsigned)(round * 64 + j)
                                       : kind == 0 ? 0xE3u
                                       : kind == 1 ? 0x80u + (unsigned)(x >> 50) % 4
                                                   : (unsigned)(x >> 56));
            }
            for (int j = 0; j < 32; j++)
                kana_bits[j] = (unsigned char)(x >> (j % 8 * 8));
            ys_fold_masks m0, m1;
            ref(b, kana_bits, &m0);
            f(b, kana_bits, &m1);
            cr_assert(m0.lead == m1.lead && m0.cont == m1.cont && m0.other == m1.other &&
                          m0.sep == m1.sep && m0.digit == m1.digit && m0.letter == m1.letter &&
                          m0.kana_refused == m1.kana_refused && m0.lookup == m1.lookup,
                      "%s, round %d", ys_simd_name(level), round);
        }
    }
}

/* Every character U+3000..U+9FFF, between katakana, between kanji and
 * between ASCII letters, at every place in a block: the gate passes over it
 * exactly when the scalar check does (the gate's table of characters that
 * plain_cjk refuses must follow plain_cjk). */
Test(fold, the_gate_knows_every_character_of_the_cjk_range)
{
    static const char *const sides[] = {"カ", "日", "a"};
    char s[160];
    for (int level = YS_SIMD_SCALAR + 1; level < YS_SIMD_COUNT; level++) {
        if (ys_fold_check_level("", 0, NULL, level) < 0)
            continue;
        for (uint32_t cp = 0x3000; cp <= 0x9FFF; cp++)
            for (size_t side = 0; side < 3; side++) {
                size_t k = strlen(sides[side]), n = 0;
                size_t at = (cp * 7 + side * 5) % 40; /* where it falls in the block */
                while (n + k <= at) {
                    memcpy(s + n, sides[side], k);
                    n += k;
                }
                s[n++] = (char)(0xE0 | cp >> 12);
                s[n++] = (char)(0x80 | (cp >> 6 & 0x3F));
                s[n++] = (char)(0x80 | (cp & 0x3F));
                while (n + k <= 140) {
                    memcpy(s + n, sides[side], k);
                    n += k;
                }
                int v0, v1;
                int a = ys_fold_check_level(s, n, &v0, YS_SIMD_SCALAR);
                int b = ys_fold_check_level(s, n, &v1, level);
                cr_assert(a == b && v0 == v1, "%s: U+%04X beside %s: %d, scalar %d",
                          ys_simd_name(level), (unsigned)cp, sides[side], b, a);
            }
    }
}

/* ---- The lexicon-aware gap rule: hits with and without the pair set ---- */

typedef struct {
    char *data;
    size_t len, cap;
} text_buf;

static void tb_put(text_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = 2 * (b->len + n + 1);
        b->data = realloc(b->data, b->cap);
        cr_assert(b->data);
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}
static void tb_puts(text_buf *b, const char *s) { tb_put(b, s, strlen(s)); }

typedef struct {
    ys_scanner *sc;
    ys_hit *h;
    size_t n, cap, folded;
} gap_sink;

static int gap_on_batch(void *ctx, ys_batch *b)
{
    gap_sink *s = ctx;
    const ys_hit *h;
    size_t n;
    ys_error err;
    cr_assert_eq(ys_scan_batch(s->sc, b, &h, &n, &err), YS_OK, "%s", err.message);
    s->folded += ys_scanner_folded(s->sc);
    for (size_t i = 0; i < n; i++) {
        if (s->n == s->cap) {
            s->cap = 2 * s->cap + 1024;
            s->h = realloc(s->h, s->cap * sizeof *s->h);
            cr_assert(s->h);
        }
        ys_post p;
        ys_batch_post(b, h[i].post, &p);
        s->h[s->n] = h[i];
        s->h[s->n++].post = (uint32_t)p.line; /* batches differ: key by line */
    }
    return 0;
}

static int gap_hit_order(const void *a, const void *b)
{
    const ys_hit *x = a, *y = b;
    if (x->post != y->post) return x->post < y->post ? -1 : 1;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->pattern != y->pattern) return x->pattern < y->pattern ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

/* Every hit of db over the JSONL `input`, sorted; *folded: posts folded. */
static gap_sink gap_scan(const ys_db *db, const text_buf *input, int pairs)
{
    ys_error err;
    gap_sink s = {0};
    cr_assert_eq(ys_scanner_new(db, &s.sc, &err), YS_OK, "%s", err.message);
    ys_scanner_set_gap_pairs(s.sc, pairs);
    ys_frame_options o = {.format = YS_INPUT_JSONL};
    ys_framer *fr;
    cr_assert_eq(ys_framer_new(&o, "gaps", 1 << 16, gap_on_batch, &s, &fr, &err), YS_OK);
    cr_assert_eq(ys_framer_feed(fr, input->data, input->len, &err), YS_OK, "%s", err.message);
    cr_assert_eq(ys_framer_finish(fr, &err), YS_OK, "%s", err.message);
    ys_framer_free(fr);
    ys_scanner_free(s.sc);
    qsort(s.h, s.n, sizeof *s.h, gap_hit_order);
    return s;
}

/* The hits with the pair set equal those with every gap folded. Returns
 * how many fewer posts were folded. */
static size_t same_hits_with_pairs(const ys_db *db, const text_buf *input, const char *what)
{
    gap_sink all = gap_scan(db, input, 0), lean = gap_scan(db, input, 1);
    size_t n = all.n < lean.n ? all.n : lean.n;
    for (size_t i = 0; i < n; i++) {
        const ys_hit *x = &lean.h[i], *y = &all.h[i];
        cr_assert(x->post == y->post && x->pattern == y->pattern && x->start == y->start &&
                      x->end == y->end,
                  "%s: hit %zu differs: with pairs line %u pattern %u [%u,%u), every gap "
                  "folded line %u pattern %u [%u,%u)", what, i, x->post, x->pattern, x->start,
                  x->end, y->post, y->pattern, y->start, y->end);
    }
    cr_assert_eq(lean.n, all.n, "%s: %zu hits with pairs, %zu with every gap folded", what,
                 lean.n, all.n);
    cr_assert_leq(lean.folded, all.folded, "%s", what);
    cr_log_info("%s: %zu hits; posts folded %zu with the pair set, %zu without", what, all.n,
                lean.folded, all.folded);
    free(all.h);
    free(lean.h);
    return all.folded - lean.folded;
}

/* Posts made to test gaps: the lexicon's own words and other Japanese
 * text, with separators, line breaks and emoji put between any two
 * characters, and look-alikes, half-width kana and masks now and then. */
static text_buf gap_posts(int posts, uint64_t x)
{
    static const char *const words[] = {
        "闇バイト", "受け子", "出し子", "ホワイト案件", "高額案件", "即日即金", "日払い", "テレグラム",
        "詳細は", "DMで", "t.me/", "の名前", "を見る", "ファイル", "募集", "カード", "口座", "ドライブ",
        "手渡し", "身分証", "写真", "運び", "簡単", "今日", "天気", "料理", "美味しい", "は", "が",
        "を", "に", "、", "。", "ー", "力", "工", "一", "ｶ", "ﾞ", "○", "Telegram", "5万", "10man",
        "へ", "への", "ヘルプ", "入力", "出力ファイル", "ファイルへ", "ホ一ム", "口座", "ロ"};
    static const char *const seps[] = {" ", "　", "・", "\\n", "/", "-", "🌙", "✨", "  ", "・・", " - "};
    text_buf b = {0};
    for (int p = 0; p < posts; p++) {
        char head[64];
        snprintf(head, sizeof head, "{\"id\":%d,\"text\":\"", p);
        tb_puts(&b, head);
        int k = 2 + (int)(x % 12);
        for (int j = 0; j < k; j++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            const char *w = words[(x >> 33) % (sizeof words / sizeof *words)];
            size_t n = strlen(w);
            /* a separator inside the word, between two characters */
            size_t cut = (x >> 20 & 1) && n > 3 ? 3 * (1 + (x >> 24) % (n / 3)) : n;
            if (cut > n || (unsigned char)w[0] < 0x80)
                cut = n;
            tb_put(&b, w, cut);
            if (cut < n) {
                tb_puts(&b, seps[(x >> 40) % (sizeof seps / sizeof *seps)]);
                tb_put(&b, w + cut, n - cut);
            }
            if (x >> 50 & 1)
                tb_puts(&b, seps[(x >> 44) % (sizeof seps / sizeof *seps)]);
        }
        tb_puts(&b, "\"}\n");
    }
    return b;
}

static text_buf file_text(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", getenv("SOURCE_ROOT"), rel);
    size_t len;
    char *d = read_file(path, &len);
    text_buf b = {d, len, len + 1};
    return b;
}

/* The bundled lexicon, without its regex rows when `literals_only`, and
 * without its @model line (named relative to a path a text has not). */
static char *bundled(int literals_only)
{
    text_buf all = file_text("patterns/ja-recruitment.tsv"), out = {0};
    for (char *line = all.data; *line;) {
        char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line + 1) : strlen(line);
        char *re = strstr(line, "\tre\t");
        if (strncmp(line, "@model\t", 7) && (!literals_only || !re || (nl && re > nl)))
            tb_put(&out, line, n);
        line += n;
    }
    free(all.data);
    return out.data;
}

Test(fold, the_gap_pairs_change_no_hit)
{
    char *lit = bundled(1), *full = bundled(0);
    /* a list like the bench's realistic ones: Japanese nouns, and a few
     * terms with separators between letters */
    const char *list = "@category\tw\tterms\n@threshold\t1\n"
                       "x.1\tw\t1\tlit\t受け子\n"
                       "x.2\tw\t1\tlit\t闇バイト\n"
                       "x.3\tw\t1\tlit\tt.me/\n"
                       "x.4\tw\t1\tlit\t名前を\n"
                       "x.5\tw\t1\tlit\t天気\n"
                       "x.6\tw\t1\tlit\tカード口座\n"
                       "x.7\tw\t1\tlit\t#9110\n"
                       /* look-alikes: a hit of the look-alike as written
                        * (入力, への) that folding takes away, of its twin
                        * (ヘルプ, ホーム), and a term of one character */
                       "x.8\tw\t1\tlit\t入力\n"
                       "x.9\tw\t1\tlit\tへの\n"
                       "x.10\tw\t1\tlit\tヘルプ\n"
                       "x.11\tw\t1\tlit\tホーム\n"
                       "x.12\tw\t1\tlit\tロ\n";
    const char *lexicons[] = {lit, full, list};
    const char *names[] = {"bundled literals", "bundled lexicon (regexes: no pairs)", "list"};
    text_buf gen = gap_posts(4000, 11);
    text_buf dev_test = file_text("corpora/dev/test.jsonl");
    text_buf dev_tune = file_text("corpora/dev/tune.jsonl");
    run_result r = run_sh("\"$GEN_POSTS\" --posts 3000 --seed 5 --recruit-pct 30 "
                          "--news-pct 10 --food-pct 5 --escape-pct 10");
    cr_assert_eq(r.status, 0, "%s", r.err);
    text_buf feed = {r.out, r.out_len, r.out_len + 1};
    size_t saved[3] = {0};
    int hs = ys_engine_version("hs") != NULL; /* regexes need Hyperscan */
    for (int l = 0; l < 3; l++) {
        if (l == 1 && !hs)
            continue;
        ys_db *db = compile_tsv(lexicons[l]);
        char what[128];
        snprintf(what, sizeof what, "%s, gap posts", names[l]);
        saved[l] += same_hits_with_pairs(db, &gen, what);
        snprintf(what, sizeof what, "%s, generated feed", names[l]);
        saved[l] += same_hits_with_pairs(db, &feed, what);
        snprintf(what, sizeof what, "%s, corpora/dev/test.jsonl", names[l]);
        saved[l] += same_hits_with_pairs(db, &dev_test, what);
        snprintf(what, sizeof what, "%s, corpora/dev/tune.jsonl", names[l]);
        saved[l] += same_hits_with_pairs(db, &dev_tune, what);
        ys_db_free(db);
    }
    /* the comparison is of something: the pair set does leave posts unfolded */
    cr_assert_gt(saved[0], 0);
    cr_assert_gt(saved[2], 0);
    cr_assert_eq(saved[1], 0, "a lexicon with regexes folds every gap");
    free(lit);
    free(full);
    free(gen.data);
    free(dev_test.data);
    free(dev_tune.data);
    free(r.out);
    free(r.err);
}

/* The pair set is stored with the database: a .ysdb written and read back
 * leaves as many posts unfolded, with the same hits. */
Test(fold, the_gap_pairs_survive_a_ysdb_round_trip)
{
    char *lit = bundled(1);
    ys_db *db = compile_tsv(lit);
    const char *path = tmp_path("pairs.ysdb");
    ys_error err;
    cr_assert_eq(ys_db_save(db, path, &err), YS_OK, "%s", err.message);
    ys_db *back;
    cr_assert_eq(ys_db_load(path, &back, &err), YS_OK, "%s", err.message);
    text_buf gen = gap_posts(2000, 3);
    gap_sink a = gap_scan(db, &gen, 1), b = gap_scan(back, &gen, 1), all = gap_scan(back, &gen, 0);
    cr_assert_eq(a.folded, b.folded);
    cr_assert_lt(b.folded, all.folded, "the loaded database has its pairs");
    cr_assert_eq(a.n, b.n);
    for (size_t i = 0; i < a.n; i++)
        cr_assert(a.h[i].post == b.h[i].post && a.h[i].pattern == b.h[i].pattern &&
                      a.h[i].start == b.h[i].start && a.h[i].end == b.h[i].end,
                  "hit %zu", i);
    free(a.h);
    free(b.h);
    free(all.h);
    free(gen.data);
    ys_db_free(db);
    ys_db_free(back);
    free(lit);
}

/* Broken 3-byte sequences (a lead, then a continuation or an ASCII byte or
 * another lead, in every order) at every place of a block: the scalar check
 * takes such a lead as one invalid byte and the continuation after it as
 * another, and the gate must too (found by fuzz_fold: E4 = BB, then a
 * line break and 日, where the gate had taken E4 = BB for a kanji). */
Test(fold, the_gate_takes_broken_sequences_byte_by_byte)
{
    static const unsigned char tails[][2] = {{'=', 0xBB}, {0xBB, '='}, {0x81, 0xE3},
                                             {0xE3, 0x81}, {'a', 0x82}, {0x82, 0x82},
                                             {0x82, 0xF4}, {' ', 0x80}};
    for (int level = YS_SIMD_SCALAR + 1; level < YS_SIMD_COUNT; level++) {
        if (ys_fold_check_level("", 0, NULL, level) < 0)
            continue;
        for (size_t t = 0; t < sizeof tails / sizeof *tails; t++)
            for (size_t at = 0; at < 70; at++) {
                char s[160];
                size_t n = 0;
                while (n + 3 <= at) { /* あ */
                    memcpy(s + n, "\xe3\x81\x82", 3);
                    n += 3;
                }
                s[n++] = (char)0xE4;
                s[n++] = (char)tails[t][0];
                s[n++] = (char)tails[t][1];
                memcpy(s + n, "\n\xe6\x97\xa5", 4); /* a gap, if what stands before were
                                                       * taken as a kanji */
                n += 4;
                while (n + 3 <= 150) {
                    memcpy(s + n, "\xe3\x81\x82", 3);
                    n += 3;
                }
                int v0, v1;
                int a = ys_fold_check_level(s, n, &v0, YS_SIMD_SCALAR);
                int b = ys_fold_check_level(s, n, &v1, level);
                cr_assert(a == b && v0 == v1, "%s: tail %zu at %zu: %d/%d, scalar %d/%d",
                          ys_simd_name(level), t, at, b, v1, a, v0);
            }
    }
}
