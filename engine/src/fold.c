/* Folding: the text a post means, without the spelling tricks that hide a
 * term from a literal matcher. Applied to the lexicon's literals when they
 * are compiled and to each post before it is scanned, so that a folded term
 * is matched in folded text. The rules (patterns/README.md, "Folding"):
 *
 *   width      half-width katakana → full-width (ｶﾞ → ガ), full-width letters
 *              and digits → ASCII (Ｔｅｌｅｇｒａｍ → Telegram, ５ → 5);
 *              a kana followed by a combining (semi-)voiced mark is composed
 *   invisible  zero-width characters, soft hyphens and variation selectors
 *              are dropped
 *   gaps       1 to 3 separators (spaces, ・, dots, slashes, emoji, symbols)
 *              between two Japanese characters are dropped: 受 け 子, 闇・バイト,
 *              闇🌙バイト → 受け子, 闇バイト
 *              line breaks count as separators (受け\n子 → 受け子)
 *   long vowel dash look-alikes after kana (ｰ － ― ‐ — ─ -), and 一 after
 *              katakana, become ー
 *   look-alikes a character the Unicode confusables data (UTS #39) gives as
 *              a katakana letter's twin (工 エ, 力 カ, 口 ロ, 二 ニ, 卜 ト, 夕 タ,
 *              八 ハ, へ ヘ) becomes that letter next to katakana: 力ード →
 *              カード, but 協力 stays; a Greek or Cyrillic twin of a Latin
 *              letter (Cyrillic е in Теlеgram) becomes that letter anywhere,
 *              and so do vowels with a macron or circumflex (romaji kōgaku);
 *              another form of a Jōyō kanji (Unihan's variants: Chinese 收,
 *              old 髙) becomes that kanji anywhere: 高收入 → 高収入
 *   spelled   1 to 3 separators between single Latin letters are dropped:
 *              D M, T e l e g r a m → DM, Telegram; a digit between two
 *              letters is the letter it stands for: S1gnal → Signal
 *   masks     symbols that take a character's place (○ ◯ ● 〇 □ × ※ …)
 *              become ○: 闇バ◯ト → 闇バ○ト
 *   small      small hiragana vowels (ぁぃぅぇぉ ゎ) become full size, as in
 *              "gyaru" writing: ぅけこ → うけこ
 *
 * Every folded byte remembers the original bytes it came from, so that a hit
 * in folded text is reported at its place in the original post. */
#include "internal.h"

#include <string.h>

#include "confusables.inc"
#include "foldscan.h"
#include "jsonscan.h" /* YS_SIMD_… */

/* ys_utf8_decode (internal.h): invalid or truncated UTF-8 is one byte (its
 * value | 0x80000000, never a class below). */
static inline uint32_t decode(const unsigned char *s, size_t n, size_t *len)
{
    return ys_utf8_decode(s, n, len);
}

static int is_hiragana(uint32_t cp) { return cp >= 0x3041 && cp <= 0x309F; }
static int is_katakana(uint32_t cp) { return cp >= 0x30A1 && cp <= 0x30FF && cp != 0x30FB; }
static int is_kana(uint32_t cp) { return is_hiragana(cp) || is_katakana(cp); }

/* Japanese characters whose neighbours decide a gap: kana, kanji, 々 〆. */
static int is_japanese(uint32_t cp)
{
    return is_kana(cp) || (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || cp == 0x3005 || cp == 0x3006;
}

static int is_invisible(uint32_t cp)
{
    return (cp >= 0x200B && cp <= 0x200D) || (cp >= 0x2060 && cp <= 0x2064) || cp == 0xFEFF ||
           cp == 0x00AD || cp == 0x180E || (cp >= 0xFE00 && cp <= 0xFE0F) ||
           (cp >= 0xE0100 && cp <= 0xE01EF);
}

/* Symbols that stand for a character they mask (闇バ○ト, 受け◯): folded
 * to ○ U+25CB, which masked spellings of the terms hold. */
static int is_mask(uint32_t cp)
{
    switch (cp) {
    case 0x25CB: case 0x25EF: case 0x25CF: case 0x3007: case 0x25CE: case 0x25A1:
    case 0x25A0: case 0x00D7: case 0x2715: case 0x2716: case 0x203B:
        return 1;
    }
    return 0;
}

/* What may be put between the characters of a word to hide it. Sentence
 * punctuation (。、！？) is not: dropping it would join sentences; nor are
 * masks, which take a character's place. */
static int is_separator(uint32_t cp)
{
    if (is_mask(cp))
        return 0;
    switch (cp) {
    case ' ': case '.': case '_': case '-': case '*': case '/': case '+': case '|':
    case '=': case '^': case '#': case '@': case '~': case '\n': case '\r':
    case 0x3000: case 0x30FB: case 0xFF65: /* ideographic space, ・, ･ */
    case 0xFF0E: case 0xFF3F: case 0xFF0A: case 0xFF0F: case 0xFF0B: case 0xFF5C:
    case 0xFF0D: case 0x2010: case 0x2012: case 0x2013: case 0x2014: case 0x2015:
    case 0x2022: case 0x2027: case 0x00B7: case 0x3030:
        return 1;
    }
    return (cp >= 0x2190 && cp <= 0x2BFF) || /* arrows, shapes, symbols, dingbats, ☆♪✨ */
           (cp >= 0x1F000 && cp <= 0x1FAFF);  /* emoji */
}

/* is_separator for ASCII, as a bitmap: \n \r space # * + - . / = @ ^ _ | ~ */
static int is_ascii_separator(unsigned c)
{
    static const uint64_t lo = 1ull << 0x0A | 1ull << 0x0D | 1ull << 0x20 | 1ull << 0x23 |
                               1ull << 0x2A | 1ull << 0x2B |
                               1ull << 0x2D | 1ull << 0x2E | 1ull << 0x2F | 1ull << 0x3D;
    static const uint64_t hi = 1ull << (0x40 - 64) | 1ull << (0x5E - 64) | 1ull << (0x5F - 64) |
                               1ull << (0x7C - 64) | 1ull << (0x7E - 64);
    return c < 64 ? (int)(lo >> c & 1) : (int)(hi >> (c - 64) & 1);
}

/* Dash look-alikes that stand for ー after kana. */
static int is_dash_like(uint32_t cp)
{
    return cp == '-' || cp == 0xFF0D || cp == 0xFF70 || cp == 0x2010 ||
           (cp >= 0x2012 && cp <= 0x2015) || cp == 0x2212 || cp == 0x2500 || cp == 0x2501;
}

/* The twin of cp in table t (n pairs sorted by their first), or 0. */
static uint32_t twin(const uint32_t (*t)[2], size_t n, uint32_t cp)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid][0] < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && t[lo][0] == cp ? t[lo][1] : 0;
}

/* The katakana letter cp looks like (kana_twins), or 0. */
static uint32_t kana_twin(uint32_t cp)
{
    if (cp < 0x2014 || (cp > 0x3078 && cp < 0x4E00) || (cp > 0x624D && cp < 0xF98A) ||
        cp > 0xFF0D)
        return 0;
    return twin(kana_twins, sizeof kana_twins / sizeof *kana_twins, cp);
}

/* The Jōyō kanji cp is another form of (kanji_variants: 收 → 収, 髙 → 高),
 * or 0. */
static uint32_t kanji_variant(uint32_t cp)
{
    if (cp < 0x3400 || (cp < 0xA000 && !(cjk_lookalike_bits[(cp - 0x3000) >> 6] >> (cp & 63) & 1)))
        return 0;
    return twin(kanji_variants, sizeof kanji_variants / sizeof *kanji_variants, cp);
}

/* The ASCII letter a letter outside ASCII stands for (latin_twins, and
 * romaji's long vowels ā â …), or 0. */
static uint32_t latin_twin(uint32_t cp)
{
    if (cp < 0xC0 || cp >= 0x2E80)
        return 0;
    switch (cp) {
    case 0x0100: case 0x00C2: return 'A';
    case 0x0101: case 0x00E2: return 'a';
    case 0x0112: case 0x00CA: return 'E';
    case 0x0113: case 0x00EA: return 'e';
    case 0x012A: case 0x00CE: return 'I';
    case 0x012B: case 0x00EE: return 'i';
    case 0x014C: case 0x00D4: return 'O';
    case 0x014D: case 0x00F4: return 'o';
    case 0x016A: case 0x00DB: return 'U';
    case 0x016B: case 0x00FB: return 'u';
    }
    return twin(latin_twins, sizeof latin_twins / sizeof *latin_twins, cp);
}

static int is_ascii_letter(uint32_t cp) { return (cp | 0x20) - 'a' < 26; }
static int is_ascii_alnum(uint32_t cp) { return is_ascii_letter(cp) || cp - '0' < 10; }

/* Half-width katakana U+FF61..U+FF9F to full width (a table of the block). */
static const uint16_t halfwidth[] = {
    0x3002, 0x300C, 0x300D, 0x3001, 0x30FB, 0x30F2, 0x30A1, 0x30A3, 0x30A5, 0x30A7, 0x30A9,
    0x30E3, 0x30E5, 0x30E7, 0x30C3, 0x30FC, 0x30A2, 0x30A4, 0x30A6, 0x30A8, 0x30AA, 0x30AB,
    0x30AD, 0x30AF, 0x30B1, 0x30B3, 0x30B5, 0x30B7, 0x30B9, 0x30BB, 0x30BD, 0x30BF, 0x30C1,
    0x30C4, 0x30C6, 0x30C8, 0x30CA, 0x30CB, 0x30CC, 0x30CD, 0x30CE, 0x30CF, 0x30D2, 0x30D5,
    0x30D8, 0x30DB, 0x30DE, 0x30DF, 0x30E0, 0x30E1, 0x30E2, 0x30E4, 0x30E6, 0x30E8, 0x30E9,
    0x30EA, 0x30EB, 0x30EC, 0x30ED, 0x30EF, 0x30F3, 0x3099, 0x309A};

/* The voiced (mark 0x3099) or semi-voiced (0x309A) form of kana `cp`, or 0. */
static uint32_t voiced(uint32_t cp, uint32_t mark)
{
    int kata = is_katakana(cp);
    uint32_t base = kata ? cp - 0x60 : cp, v = 0; /* as hiragana */
    if (mark == 0x3099) {
        if ((base >= 0x304B && base <= 0x3061 && (base - 0x304B) % 2 == 0) || /* か..ち */
            base == 0x3064 || base == 0x3066 || base == 0x3068 ||             /* つ て と */
            (base >= 0x306F && base <= 0x307B && (base - 0x306F) % 3 == 0))   /* は..ほ */
            v = base + 1;
        else if (base == 0x3046) /* う → ゔ */
            v = 0x3094;
    } else if (base >= 0x306F && base <= 0x307B && (base - 0x306F) % 3 == 0) {
        v = base + 2;
    }
    return v && kata ? v + 0x60 : v;
}

#define DROP 0xFFFFFFFFu /* fold_char's "leave it out" (0 is NUL, a character) */

/* The full-size vowel of a small hiragana vowel (ぁぃぅぇぉ ゎ), or 0: "gyaru"
 * writing puts them for the full ones (ぅけこ, ばぃと), and standard
 * hiragana has no word they tell apart (katakana's ァィゥェォ, which spell
 * loanwords, stay). */
static uint32_t small_vowel(uint32_t cp)
{
    return (cp >= 0x3041 && cp <= 0x3049 && (cp & 1)) || cp == 0x308E ? cp + 1 : 0;
}

/* The folded form of character `cp` given the character before it (already
 * folded), or DROP. Gaps are handled by the caller. */
static uint32_t fold_char(uint32_t cp, uint32_t prev)
{
    if (is_invisible(cp))
        return DROP;
    uint32_t kv = kanji_variant(cp);
    if (kv)
        return kv;
    if (small_vowel(cp))
        return small_vowel(cp);
    if (cp >= 0xFF61 && cp <= 0xFF9F)
        cp = halfwidth[cp - 0xFF61];
    else if ((cp >= 0xFF10 && cp <= 0xFF19) || (cp >= 0xFF21 && cp <= 0xFF3A) ||
             (cp >= 0xFF41 && cp <= 0xFF5A))
        return cp - 0xFEE0;
    if (is_kana(prev) && (is_dash_like(cp) || cp == 0x30FC))
        return 0x30FC;
    if (cp == 0x4E00 && is_katakana(prev))
        return 0x30FC;
    if (is_mask(cp))
        return 0x25CB;
    uint32_t l = latin_twin(cp);
    return l ? l : cp;
}

/* cp as folding makes a Latin letter or digit of it: full width and
 * look-alikes to ASCII; anything else as it is. */
static uint32_t as_latin(uint32_t cp)
{
    if (cp >= 0xFF10 && cp <= 0xFF5A && fold_char(cp, 0) != cp)
        return cp - 0xFEE0;
    uint32_t l = latin_twin(cp);
    return l ? l : cp;
}

/* A digit (ASCII or full width) standing for a letter between two letters
 * (S1gnal, Te1egram): the letter, or 0. The letter after it (at s[j]) is
 * taken as folding makes it (a full-width or look-alike letter is a
 * letter), so that folding twice changes nothing more. */
static uint32_t leet_digit(uint32_t prev, uint32_t digit, const unsigned char *s, size_t len,
                           size_t j)
{
    static const char letter[10] = {'o', 'i', 0, 'e', 'a', 's', 0, 't', 'b', 0};
    uint32_t d = digit - '0';
    if (d >= 10 || !letter[d] || !is_ascii_letter(prev) || j >= len)
        return 0;
    size_t k;
    uint32_t next = decode(s + j, len - j, &k);
    while (is_invisible(next) && j + k < len) { /* dropped: T7\uFE00Y is T7Y */
        j += k;
        next = decode(s + j, len - j, &k);
    }
    return is_ascii_letter(as_latin(next)) ? (uint32_t)letter[d] : 0;
}

/* leet_digit for the ASCII byte at s[i]. */
static uint32_t leet(uint32_t prev, const unsigned char *s, size_t len, size_t i)
{
    return leet_digit(prev, s[i], s, len, i + 1);
}

/* The character at s[i..len) as far as its neighbours need to know: half-width
 * katakana at full width; 0 at the end. */
static uint32_t peek(const unsigned char *s, size_t len, size_t i)
{
    if (i >= len)
        return 0;
    size_t k;
    uint32_t cp = decode(s + i, len - i, &k);
    return cp >= 0xFF61 && cp <= 0xFF9F ? halfwidth[cp - 0xFF61] : cp;
}

/* What kana_twin_here found of a row of look-alikes: the answer for every
 * character before `until`. */
typedef struct {
    size_t until;
    int yes;
} row_memo;

/* A look-alike of katakana (folded cp, k bytes at s[i]) next to katakana:
 * the katakana letter; else 0. */
static size_t gap_end(const unsigned char *s, size_t len, size_t i, size_t k, uint32_t cp,
                      uint32_t prev);

static uint32_t kana_twin_here(const unsigned char *s, size_t len, size_t i, size_t k,
                               uint32_t cp, uint32_t prev, row_memo *row)
{
    uint32_t t = kana_twin(cp);
    if (!t)
        return 0;
    if (is_katakana(prev))
        return t;
    if (i < row->until) /* in a row already looked along */
        return row->yes ? t : 0;
    /* Look-alikes in a row (夕夕キ, 口一ン), and what folding drops between
     * them (a gap, invisible characters: 口 ー), lead to what decides: the
     * next other character, as folding will have it next to this one. The
     * whole row has one answer, kept in *row up to its end, so that a long
     * row is looked along once (a limit on the look would leave the start of
     * a longer row for a second folding to change). */
    uint32_t cur = cp;
    size_t j = i + k;
    row->yes = 1;
    while (j < len) {
        size_t kk;
        uint32_t next = decode(s + j, len - j, &kk);
        if (is_invisible(next)) {
            j += kk;
            continue;
        }
        if (is_kana(cur) && is_dash_like(next) && !gap_end(s, len, j, kk, next, cur))
            break; /* folded after kana, a dash is ー (へ━ is ヘー) unless it
                      is a gap in a word spelled out with dashes */
        if (is_separator(next)) {
            size_t g = gap_end(s, len, j, kk, next, cur);
            if (g) {
                j = g;
                continue;
            }
            if (!kana_twin(next)) {
                row->yes = 0;
                break;
            }
            /* else a separator that is a look-alike itself (－ for ー) and
             * not a gap: folded as one, it goes on the row */
        }
        next = next >= 0xFF61 && next <= 0xFF9F ? halfwidth[next - 0xFF61] : next;
        if (is_katakana(next))
            break;
        if (next - 0x3099 <= 3) { /* a voiced mark is kana's: 八゛ is バ (ロ has none) */
            row->yes = voiced(kana_twin(cur), /* cur: a look-alike of the row */
                              next == 0x3099 || next == 0x309B ? 0x3099 : 0x309A) != 0;
            break;
        }
        if (!kana_twin(next)) {
            row->yes = 0;
            break;
        }
        cur = next;
        j += kk;
    }
    if (j >= len)
        row->yes = 0;
    row->until = j;
    return row->yes ? t : 0;
}

/* Single Latin letters spelled out with separators (D M, T.e.l.e.g.r.a.m):
 * if the separator at s[i] (k bytes) follows `prev`, a letter standing alone
 * on its left (`alone`), and 1 to 3 separators lead to a letter that stands
 * alone on its right, returns the index after the separators; else 0. */
static size_t spelled_gap(const unsigned char *s, size_t len, size_t i, size_t k,
                          uint32_t prev, int alone)
{
    if (!alone || !is_ascii_letter(prev) || s[i] == '\n' || s[i] == '\r')
        return 0; /* a line break ends a spelled word (D⏎M is two lines) */
    size_t j = i + k;
    for (int seps = 1; j < len;) {
        size_t kk;
        if (is_invisible(decode(s + j, len - j, &kk))) {
            j += kk; /* dropped anyway: T－\uFE00Y is T－Y */
            continue;
        }
        uint32_t c = as_latin(peek(s, len, j));
        if (is_ascii_letter(c))
            return is_ascii_alnum(as_latin(peek(s, len, j + kk))) ? 0 : j;
        if (!is_separator(c) || c == '\n' || c == '\r' || ++seps > 3)
            return 0;
        j += kk;
    }
    return 0;
}

/* Whether c can be a character of a spaced-out word: Japanese as folding
 * makes it, or a look-alike of katakana, but no dash or other separator
 * (─ is a look-alike of ー: a run of dashes is no word). */
static int is_word_char(uint32_t c)
{
    return !is_dash_like(c) && !is_separator(c) && (is_japanese(fold_char(c, 0)) || kana_twin(c) != 0);
}

/* A voiced mark that belongs to the character before it (ｶﾞ, か゛). */
static int is_voiced_mark(uint32_t c) { return (c >= 0x3099 && c <= 0x309C) || c == 0xFF9E || c == 0xFF9F; }

/* The character that ends just before s[i] (i > 0), its start in *at. */
static uint32_t decode_before(const unsigned char *s, size_t i, size_t *at)
{
    size_t j = i - 1, k;
    while (j > 0 && i - j < 4 && (s[j] & 0xC0) == 0x80)
        j--;
    uint32_t c = decode(s + j, i - j, &k);
    if (j + k != i) { /* not one whole character: the last byte alone */
        j = i - 1;
        c = s[j] | 0x80000000u;
    }
    *at = j;
    return c;
}

/* Whether the dash `cp` (k bytes at s[i]), after kana, is a separator of a
 * word spelled out with one dash between every two characters (タ-タ-キ,
 * 受-け-子, ホ-ワ-イ-ト) rather than a long vowel mark (コ-ル, ス-パ-):
 * the same dash stands two characters further on, or two characters back,
 * each step over one character of a word (with its voiced mark). A word
 * with a long vowel after every other character written with dashes
 * (ス-パ-マ-ケット) loses its long vowels; a term spaced out with dashes is
 * the commoner of the two. */
static int dash_chain(const unsigned char *s, size_t len, size_t i, size_t k, uint32_t cp)
{
    size_t j = i + k, kk;
    if (j < len && is_word_char(decode(s + j, len - j, &kk))) {
        j += kk;
        if (j < len && is_voiced_mark(decode(s + j, len - j, &kk)))
            j += kk;
        if (j < len && decode(s + j, len - j, &kk) == cp && j + kk < len) {
            size_t k3;
            if (is_word_char(decode(s + j + kk, len - j - kk, &k3)))
                return 1;
        }
    }
    size_t at = i;
    if (at == 0)
        return 0;
    uint32_t c = decode_before(s, at, &at);
    if (is_voiced_mark(c) && at > 0)
        c = decode_before(s, at, &at);
    if (!is_word_char(c) || at == 0 || decode_before(s, at, &at) != cp || at == 0)
        return 0;
    return is_word_char(decode_before(s, at, &at));
}

/* If the separator `cp` (k bytes at s[i]) after Japanese character `prev`
 * starts a gap of 1 to 3 separators (invisible characters aside) followed by
 * a Japanese character, returns the index after the gap; else 0. A dash
 * after kana is ー, not a separator, unless the word is spelled out with
 * dashes (dash_chain). */
static size_t gap_end(const unsigned char *s, size_t len, size_t i, size_t k, uint32_t cp,
                      uint32_t prev)
{
    if (!is_japanese(prev) || (is_kana(prev) && is_dash_like(cp) && !dash_chain(s, len, i, k, cp)))
        return 0;
    /* More than 3 separators are no gap, unless a look-alike of katakana
     * among them (─ for ー) ends one sooner: folded in a row that ends at
     * katakana it is Japanese, and the gap before it must then be the same
     * gap as when the folded text is folded again (へ★────ヘ). */
    for (int stop_at_twin = 0; stop_at_twin < 2; stop_at_twin++) {
        size_t j = i, kk = k, seps = 0;
        uint32_t c = cp;
        while (j < len && ((is_separator(c) && !(stop_at_twin && j > i && kana_twin(c))) ||
                           is_invisible(c))) {
            if (!is_invisible(c) && ++seps > 3)
                break;
            j += kk;
            if (j < len)
                c = decode(s + j, len - j, &kk);
        }
        if (seps > 3)
            continue;
        /* a look-alike of katakana counts as Japanese: folding may make it
         * katakana (⁁ for ノ, in a row ending at katakana), and a gap before
         * it must be the same gap then */
        return j < len && (is_japanese(fold_char(c, 0)) || kana_twin(c)) ? j : 0;
    }
    return 0;
}

/* A look-alike of katakana or a kanji variant among U+3000..U+9FFF
 * (cjk_lookalike_bits). */
static int is_cjk_lookalike(uint32_t cp)
{
    uint32_t i = cp - 0x3000;
    return i < 0x7000 && (cjk_lookalike_bits[i >> 6] >> (i & 63) & 1);
}

/* A 3-byte character of U+3000–U+9FFF (kana, CJK punctuation, kanji) that
 * no rule changes and that changes nothing after it: its code point, or 0.
 * The exceptions: the separators U+3000, U+3030 and ・ U+30FB, the mask 〇
 * U+3007, the voiced marks U+3099–309C, and the look-alikes of katakana
 * (一 工 力 口 …). One branch for most Japanese
 * text, which alternates kana and kanji too irregularly to predict. */
static uint32_t plain_cjk(const unsigned char *s, size_t len, size_t i)
{
    unsigned c = s[i];
    if (c < 0xE3 || c > 0xE9 || i + 2 >= len || (s[i + 1] & 0xC0) != 0x80 ||
        (s[i + 2] & 0xC0) != 0x80)
        return 0;
    uint32_t cp = (uint32_t)(c & 0x0F) << 12 | (uint32_t)(s[i + 1] & 0x3F) << 6 | (s[i + 2] & 0x3F);
    if (cp == 0x3000 || cp == 0x3007 || cp == 0x3030 || cp - 0x3099 <= 3 || cp == 0x30FB ||
        small_vowel(cp) || is_cjk_lookalike(cp))
        return 0;
    return cp;
}

/* A character that folding never changes and that never changes what
 * follows it: plain_cjk, or ASCII other than separators. Returns its length
 * (and code point), or 0. */
static size_t plain_char(const unsigned char *s, size_t len, size_t i, uint32_t *cp)
{
    if (s[i] < 0x80) {
        *cp = s[i];
        return is_ascii_separator(s[i]) ? 0 : 1;
    }
    return (*cp = plain_cjk(s, len, i)) ? 3 : 0;
}

static ys_fold_classify_fn best_classify(void);
static void kana_bits_table(unsigned char kana_bits[32]);
static unsigned gate_block(const unsigned char *p, ys_fold_classify_fn classify,
                           const unsigned char *kana_bits, int digits, uint64_t *bad_out,
                           uint64_t *lead_out);
static unsigned first_bad(uint64_t bad, uint64_t lead, unsigned rel, unsigned e);
static uint32_t char_before(const unsigned char *s, size_t *end);

size_t ys_fold(const char *text, size_t len, char *out, uint32_t *from, uint32_t *to)
{
    const unsigned char *s = (const unsigned char *)text;
    unsigned char *o = (unsigned char *)out;
    size_t n = 0, i = 0, changed = 0;
    uint32_t prev = 0;  /* last character written, folded */
    uint32_t before = 0; /* the one before it */
    int joined = 0;     /* prev is a letter joined to the one before it */
    size_t prev_n = 0;  /* where it starts in out */
    row_memo row = {0, 0}; /* kana_twin_here's */
    /* Without a map, a run of bytes that the check's gate finds plain (and
     * no digit: gate_block) is copied whole where the character before it
     * went out as it came in (verbatim): the gate looks at the bytes as
     * they are, and folding then sees the same characters before each. */
    ys_fold_classify_fn classify = !from && len >= 66 ? best_classify() : NULL;
    unsigned char kana_bits[32];
    if (classify)
        kana_bits_table(kana_bits);
    size_t blk = 0; /* the gate's block: [blk, blk + blk_e) */
    unsigned blk_e = 0;
    uint64_t blk_bad = 0, blk_lead = 0;
    int verbatim = 0;
    while (i < len) {
        size_t k;
        uint32_t cp;
        if (classify && verbatim) {
            if (i - blk >= blk_e) {
                if (len - i < 66)
                    classify = NULL; /* the rest one character at a time */
                else
                    blk_e = gate_block(s + (blk = i), classify, kana_bits, 1, &blk_bad, &blk_lead);
            }
            unsigned rel = (unsigned)(i - blk);
            unsigned p = classify ? first_bad(blk_bad, blk_lead, rel, blk_e) : rel;
            if (p > rel) {
                size_t end = blk + p, last = end, at;
                prev_n = n;
                memcpy(o + n, s + i, end - i);
                n += end - i;
                uint32_t c = char_before(s, &last);
                prev_n += last - i;
                at = last;
                before = last > i ? char_before(s, &at) : prev;
                joined = last > i ? 0 : joined == 2;
                prev = c;
                i = end;
                continue;
            }
        }
        verbatim = 0;
        uint32_t lt = (unsigned)(s[i] - '0') < 10 ? leet(prev, s, len, i) : 0;
        if (lt) {
            prev_n = n;
            o[n] = (unsigned char)lt;
            if (from) {
                from[n] = (uint32_t)i;
                to[n] = (uint32_t)(i + 1);
            }
            n++;
            before = prev;
            prev = lt;
            joined = 0;
            changed = 1;
            i++;
            continue;
        }
        if ((k = plain_char(s, len, i, &cp)) != 0) { /* most of the text: copied */
            prev_n = n;
            if (from)
                for (size_t b = 0; b < k; b++) {
                    from[n + b] = (uint32_t)i;
                    to[n + b] = (uint32_t)(i + k);
                }
            for (size_t b = 0; b < k; b++, n++)
                o[n] = s[i + b];
            before = prev;
            prev = cp;
            joined = joined == 2;
            i += k;
            verbatim = 1;
            continue;
        }
        cp = decode(s + i, len - i, &k);
        /* A gap of 1..3 separators between Japanese characters, or between
         * letters spelled out one by one. */
        size_t gap = 0;
        if (is_separator(cp)) {
            gap = gap_end(s, len, i, k, cp, prev);
            if (!gap && (gap = spelled_gap(s, len, i, k, prev, joined || !is_ascii_alnum(before))))
                joined = 2; /* the next letter is joined */
        }
        if (gap) {
            i = gap;
            changed = 1;
            continue;
        }
        /* A combining voiced mark after kana composes with it. */
        uint32_t f = fold_char(cp, prev);
        uint32_t kt =
            f == cp || f == 0x30FC ? kana_twin_here(s, len, i, k, f, prev, &row) : 0;
        if (kt)
            f = kt;
        if (f >= 0x3099 && f <= 0x309C && is_kana(prev)) {
            uint32_t v = voiced(prev, f == 0x3099 || f == 0x309B ? 0x3099 : 0x309A);
            if (v) {
                n = prev_n + ys_utf8_encode(v, o + prev_n);
                for (size_t b = prev_n; from && b < n; b++)
                    to[b] = (uint32_t)(i + k);
                prev = v;
                i += k;
                changed = 1;
                continue;
            }
        }
        if (f == DROP) {
            i += k;
            changed = 1;
            continue;
        }
        uint32_t fl = f - '0' < 10 ? leet_digit(prev, f, s, len, i + k) : 0; /* Ｓ１ｇｎａｌ */
        f = fl ? fl : f;
        prev_n = n;
        size_t w = ys_utf8_encode(f, o + n);
        if (f != cp)
            changed = 1;
        for (size_t b = n; from && b < n + w; b++) {
            from[b] = (uint32_t)i;
            to[b] = (uint32_t)(i + k);
        }
        n += w;
        before = prev;
        prev = f;
        joined = joined == 2;
        i += k;
        verbatim = f == cp;
    }
    return changed ? n : YS_FOLD_UNCHANGED;
}

/* The state of the check between characters: the last two characters
 * (as they are, not folded), and the two answers so far. */
typedef struct {
    uint32_t prev, before;
    int needed, valid;
    const uint64_t *pairs; /* the lexicon's pairs (ys_fold_check_gaps), or NULL */
    size_t npairs;
    row_memo row; /* kana_twin_here's */
} check_state;

uint64_t ys_fold_pair_key(uint32_t a, uint32_t b) { return (uint64_t)a << 21 | b; }

/* Whether a, b are adjacent in some spelling of `pairs` (sorted keys). */
static int pair_in(const uint64_t *pairs, size_t n, uint32_t a, uint32_t b)
{
    uint64_t key = ys_fold_pair_key(a, b);
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pairs[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && pairs[lo] == key;
}

/* gap_end, and whether the gap can change a hit: with the lexicon's pairs,
 * a gap between Japanese character `prev` and a character after it that
 * folding leaves as it is, whatever stands before it (plain_cjk), changes
 * no hit unless the two are adjacent in some compiled spelling (no spelling
 * holds a separator where pairs are given, so no match can hold part of
 * the gap either). */
static int gap_matters(const unsigned char *s, size_t len, size_t i, size_t k, uint32_t cp,
                       const check_state *st)
{
    size_t j = gap_end(s, len, i, k, cp, st->prev);
    if (!j)
        return 0;
    if (!st->pairs)
        return 1;
    uint32_t next = plain_cjk(s, len, j);
    return !next || pair_in(st->pairs, st->npairs, st->prev, next);
}

/* Whether the look-alike cp, which folding makes its katakana twin t
 * (力 カ, へ ヘ, 一 ー), can change a hit: with the lexicon's pairs, not
 * when the characters on both sides are Japanese, the one after it plain
 * (plain_cjk: unchanged, and changing nothing after it), and neither cp
 * nor t is adjacent to them in some spelling, nor a spelling alone. Every
 * character before cp is as folding leaves it (the check stops at the
 * first change that matters), so st->prev is what folding has there. */
static int twin_matters(const check_state *st, uint32_t cp, uint32_t t, const unsigned char *s,
                        size_t len, size_t j)
{
    if (!st->pairs)
        return 1;
    uint32_t next = plain_cjk(s, len, j), prev = st->prev;
    if (!next || !is_japanese(next) || !is_japanese(prev))
        return 1;
    const uint64_t *p = st->pairs;
    size_t n = st->npairs;
    return pair_in(p, n, prev, cp) || pair_in(p, n, prev, t) || pair_in(p, n, cp, next) ||
           pair_in(p, n, t, next) || pair_in(p, n, 0, cp) || pair_in(p, n, 0, t);
}

int ys_fold_spelling_pairs(const char *text, size_t len, uint64_t *keys, size_t *n)
{
    const unsigned char *s = (const unsigned char *)text;
    uint32_t prev = 0;
    int seps = 0, others = 0, risky = 0;
    size_t chars = 0;
    uint32_t first = 0;
    *n = 0;
    for (size_t i = 0; i < len;) {
        size_t k;
        uint32_t cp = decode(s + i, len - i, &k);
        int sep = is_separator(cp), gapish = sep || is_japanese(cp);
        /* A separator beside a Japanese character or another separator
         * could match inside a gap (t.me/ cannot: its separators stand
         * between letters). */
        if (i > 0 && (sep || is_separator(prev)) && gapish && (is_japanese(prev) || is_separator(prev)))
            risky = 1;
        if (is_invisible(cp))
            risky = 1;
        seps += sep;
        others += !sep;
        if (is_japanese(prev) && is_japanese(cp))
            keys[(*n)++] = ys_fold_pair_key(prev, cp);
        first = chars++ ? first : cp;
        prev = cp;
        i += k;
    }
    if (chars == 1 && is_japanese(first)) /* a spelling of one character: key (0, c) */
        keys[(*n)++] = ys_fold_pair_key(0, first);
    return risky || (seps > 0 && others == 0) ? -1 : 0;
}

/* One step of the check: the character at s[i] (a run of ASCII other than
 * separators is one step). Returns the index after it. */
#if defined(__GNUC__) || defined(__clang__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

static ALWAYS_INLINE size_t check_step(const unsigned char *s, size_t len, size_t i,
                                       check_state *st)
{
    unsigned c = s[i];
    /* Most of Japanese text: a character of U+3000–U+9FFF (kana, CJK
     * punctuation, kanji) that no rule touches, UTF-8 checked on the way. */
    uint32_t cp3 = plain_cjk(s, len, i);
    if (cp3) {
        st->before = st->prev;
        st->prev = cp3;
        return i + 3;
    }
    if (c < 0x80 && !is_ascii_separator(c)) {
        /* ASCII other than separators changes nothing: up to the next
         * separator or non-ASCII character, keeping the last two (a
         * letter standing alone may be spelled out: D M). */
        do {
            if ((unsigned)(s[i] - '0') < 10 && leet(st->prev, s, len, i))
                st->needed = 1;
            st->before = st->prev;
            st->prev = s[i++];
        } while (i < len && s[i] < 0x80 && !is_ascii_separator(s[i]));
        return i;
    }
    size_t k;
    uint32_t cp = decode(s + i, len - i, &k), prev = st->prev;
    if (cp & 0x80000000u)
        st->valid = 0;
    else if (is_invisible(cp) || (cp >= 0xFF10 && cp <= 0xFF5A && fold_char(cp, 0) != cp) ||
             (cp >= 0xFF61 && cp <= 0xFF9F) || (cp >= 0x3099 && cp <= 0x309C && is_kana(prev)) ||
             (is_kana(prev) && is_dash_like(cp)) ||
             (is_separator(cp) && (gap_matters(s, len, i, k, cp, st) ||
                                   spelled_gap(s, len, i, k, prev, !is_ascii_alnum(st->before)))) ||
             latin_twin(cp) || kanji_variant(cp) || small_vowel(cp) ||
             (is_mask(cp) && cp != 0x25CB))
        st->needed = 1;
    else {
        uint32_t t = cp == 0x4E00 && is_katakana(prev) ? 0x30FC : 0; /* 一 for ー */
        if (!t)
            t = kana_twin_here(s, len, i, k, cp, prev, &st->row);
        if (t && twin_matters(st, cp, t, s, len, i + k))
            st->needed = 1;
    }
    st->before = prev;
    st->prev = cp;
    return i + k;
}

/* The check character by character, from s[i] with state st. */
static int check_scalar(const unsigned char *s, size_t len, size_t i, check_state *st,
                        int *valid_utf8)
{
    check_state l = *st; /* a local copy stays in registers */
    while (i < len) {
        uint32_t cp3 = plain_cjk(s, len, i); /* most of Japanese text, as check_step */
        if (cp3) {
            l.before = l.prev;
            l.prev = cp3;
            i += 3;
            continue;
        }
        i = check_step(s, len, i, &l);
        if (l.needed && !valid_utf8)
            return 1;
    }
    if (valid_utf8)
        *valid_utf8 = l.valid;
    return l.needed;
}

/* The rows of 64 code points from U+3000 that hold a character plain_cjk
 * refuses besides the look-alikes: U+3000, 〇 U+3007, U+3030 (row 0), the
 * small vowels ぁぃぅぇぉ U+3041–3049 (row 1) and ゎ U+308E, the voiced
 * marks U+3099–309C (row 2), ・ U+30FB (row 3). */
static const uint64_t cjk_refused[4] = {
    1ull << 0x00 | 1ull << 0x07 | 1ull << 0x30,
    1ull << 0x01 | 1ull << 0x03 | 1ull << 0x05 | 1ull << 0x07 | 1ull << 0x09,
    1ull << (0x8E - 0x80) | 0xFull << (0x99 - 0x80), 1ull << (0xFB - 0xC0)};

/* Bit j set for each lead byte in `leads` (of the 3-byte characters at
 * p[j..j+2], all inside the block) whose character plain_cjk refuses. One
 * table look-up each, no branch but the loop's. */
static uint64_t refused_leads(const unsigned char *p, uint64_t leads)
{
    uint64_t bad = 0;
    while (leads) {
        unsigned j = (unsigned)__builtin_ctzll(leads);
        leads &= leads - 1;
        unsigned row = ((p[j] & 0x0Fu) << 6 | (p[j + 1] & 0x3Fu)) - 0xC0;
        uint64_t bits = cjk_lookalike_bits[row] | (row < 4 ? cjk_refused[row & 3] : 0);
        bad |= (bits >> (p[j + 2] & 0x3F) & 1) << j;
    }
    return bad;
}

/* The last character before s[end] of a run [start, end) of plain bytes
 * (ASCII and 3-byte characters U+3000..U+9FFF, starting at a character),
 * moving *end to its start. */
static uint32_t char_before(const unsigned char *s, size_t *end)
{
    size_t e = *end;
    if (s[e - 1] < 0x80) {
        *end = e - 1;
        return s[e - 1];
    }
    *end = e - 3;
    return (uint32_t)(s[e - 3] & 0x0F) << 12 | (uint32_t)(s[e - 2] & 0x3F) << 6 | (s[e - 1] & 0x3F);
}

/* The state after a plain run [start, end) that the check passed over
 * without looking: what check_step would have left. */
static void skip_plain(const unsigned char *s, size_t start, size_t end, check_state *st)
{
    if (end == start)
        return;
    size_t j = end;
    uint32_t last = char_before(s, &j);
    st->before = j > start ? char_before(s, &j) : st->prev;
    st->prev = last;
}

/* Rows 0..3 of what plain_cjk refuses (U+3000..U+30FF), for classify. */
static void kana_bits_table(unsigned char kana_bits[32])
{
    for (int r = 0; r < 4; r++) {
        uint64_t w = cjk_lookalike_bits[r] | cjk_refused[r];
        for (int b = 0; b < 8; b++)
            kana_bits[8 * r + b] = (unsigned char)(w >> 8 * b);
    }
}

/* The gate on the 64 bytes at p (66 readable): sets *bad to the bytes that
 * are not plain (check_gated) and *lead to the 3-byte leads, and returns
 * where the block ends (before a character it does not hold whole). With
 * `digits`, every digit is in *bad: a digit the gate passes over may still
 * be folded as a letter before a letter folding makes (a1Ｔ: the check
 * needs no answer for it, Ｔ gives one, but ys_fold's copy does). */
static unsigned gate_block(const unsigned char *p, ys_fold_classify_fn classify,
                           const unsigned char *kana_bits, int digits, uint64_t *bad_out,
                           uint64_t *lead_out)
{
    ys_fold_masks m;
    classify(p, kana_bits, &m);
    /* the block ends before a character it does not hold whole */
    unsigned e = m.lead >> 62 & 1 ? 62 : m.lead >> 63 ? 63 : 64;
    uint64_t in = e == 64 ? ~0ull : (1ull << e) - 1;
    uint64_t lead = m.lead & in, expect = lead << 1 | lead << 2;
    /* a digit between letters; at the block's edges, a digit beside a
     * letter (what lies outside is not looked at) */
    uint64_t leet_digits = m.digit & (m.letter << 1 | 1) & (m.letter >> 1 | 1ull << 63);
    /* a lead whose two bytes after it are not both continuations is a
     * byte of invalid UTF-8 on its own, and so are the continuations
     * after it: all of it is looked at (the scalar check may reach the
     * continuation after stepping over the lead) */
    uint64_t missing = expect & ~m.cont;
    uint64_t broken = lead & (missing >> 1 | missing >> 2);
    /* an ASCII separator after ASCII other than a letter standing
     * alone changes nothing: no gap between Japanese characters, no
     * dash after kana, no letters spelled out (D M); what follows it
     * is looked at in its turn (at the block's start, it is looked at) */
    uint64_t ascii = ~(m.lead | m.cont | (m.other & ~m.sep));
    uint64_t quiet = m.sep & ascii << 1 & (~(m.letter << 1) | (m.letter | m.digit) << 2);
    uint64_t bad = (m.other & ~quiet) | missing | broken | broken << 1 | broken << 2 |
                   (m.cont & ~expect & in) | leet_digits | (m.kana_refused & in) |
                   refused_leads(p, lead & m.lookup);
    *bad_out = bad | (digits ? m.digit : 0);
    *lead_out = m.lead;
    return e;
}

/* Where the character holding the first byte of `bad` at or after rel
 * starts (at least rel; e when there is none before the block's end e). */
static unsigned first_bad(uint64_t bad, uint64_t lead, unsigned rel, unsigned e)
{
    uint64_t todo = bad & (~0ull << rel);
    if (!todo)
        return e;
    unsigned p = (unsigned)__builtin_ctzll(todo);
    if (p >= 1 && (lead >> (p - 1) & 1))
        p -= 1;
    else if (p >= 2 && (lead >> (p - 2) & 1) && !(lead >> (p - 1) & 1))
        p -= 2;
    return p < rel ? rel : p > e ? e : p;
}

/* The check with a SIMD gate: 64 bytes at a time, classify() marks the
 * bytes that can matter (foldscan.h); a byte is plain when it is ASCII other
 * than a separator and other than a digit between two letters (S1gnal), or
 * part of a well-formed 3-byte character U+3000..U+9FFF that plain_cjk
 * accepts. The check passes over plain bytes updating only its state, and
 * runs check_step from the character holding the first byte that is not
 * plain; what check_step consumed may end anywhere, and the block's masks
 * serve until its end. ASCII separators after ASCII are plain too where
 * check_step would only step over them (gate_block's quiet). A block's
 * last character may run past it: the block then ends where that
 * character starts (and the next block starts there).
 * The answers are those of check_scalar, to the bit (tests/test_fold.c). */
static int check_gated(const unsigned char *s, size_t len, ys_fold_classify_fn classify,
                       int *valid_utf8, const uint64_t *pairs, size_t npairs)
{
    check_state st = {0, 0, 0, 1, pairs, npairs, {0, 0}};
    unsigned char kana_bits[32];
    kana_bits_table(kana_bits);
    size_t i = 0;
    /* The last bytes, fewer than classify reads, are gated from a copy
     * padded with NULs (plain ASCII that no rule looks at), the block cut
     * at the text's end: without it, the scalar check took a short post
     * whole and every post's tail (plain_cjk was 3 % of a scan's
     * instructions, callgrind on the sample). */
    unsigned char pad[66]; /* classify reads two bytes past the block */
    while (i < len) {
        const unsigned char *blk = s + i;
        size_t left = len - i;
        if (left < sizeof pad) {
            memcpy(pad, s + i, left);
            memset(pad + left, 0, sizeof pad - left);
            blk = pad;
        }
        uint64_t bad, lead_all;
        unsigned e = gate_block(blk, classify, kana_bits, 0, &bad, &lead_all);
        if (e > left)
            e = (unsigned)left;
        size_t base = i;
        for (;;) {
            unsigned rel = (unsigned)(i - base);
            unsigned p = first_bad(bad, lead_all, rel, e);
            skip_plain(s, i, base + p, &st);
            i = base + p;
            if (p >= e)
                break;
            i = check_step(s, len, i, &st);
            if (st.needed && !valid_utf8)
                return 1;
            if (i - base >= e)
                break;
        }
    }
    return check_scalar(s, len, i, &st, valid_utf8);
}

int ys_fold_check_level(const char *text, size_t len, int *valid_utf8, int level)
{
    const unsigned char *s = (const unsigned char *)text;
    if (level == YS_SIMD_SCALAR) {
        check_state st = {0, 0, 0, 1, NULL, 0, {0, 0}};
        return check_scalar(s, len, 0, &st, valid_utf8);
    }
    if (level <= YS_SIMD_SCALAR || level >= YS_SIMD_COUNT)
        return -1;
    ys_fold_classify_fn classify = ys_fold_classify_impl(level);
    return classify ? check_gated(s, len, classify, valid_utf8, NULL, 0) : -1;
}

/* The best gate this build and CPU have, or NULL. */
static ys_fold_classify_fn best_classify(void)
{
    ys_fold_classify_fn classify = NULL;
    for (int level = YS_SIMD_COUNT - 1; level > YS_SIMD_SCALAR && !classify; level--)
        classify = ys_fold_classify_impl(level);
    return classify;
}

int ys_fold_check_gaps(const char *text, size_t len, int *valid_utf8, const uint64_t *pairs,
                       size_t npairs)
{
    const unsigned char *s = (const unsigned char *)text;
    ys_fold_classify_fn classify = len >= 16 ? best_classify() : NULL;
    if (classify)
        return check_gated(s, len, classify, valid_utf8, pairs, npairs);
    check_state st = {0, 0, 0, 1, pairs, npairs, {0, 0}};
    return check_scalar(s, len, 0, &st, valid_utf8);
}

int ys_fold_check(const char *text, size_t len, int *valid_utf8)
{
    return ys_fold_check_gaps(text, len, valid_utf8, NULL, 0);
}

int ys_fold_needed(const char *text, size_t len) { return ys_fold_check(text, len, NULL); }
