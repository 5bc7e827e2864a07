/* Spelling variants of a literal, generated when the lexicon is compiled, so
 * that the maintainer writes each term once. The generators (their names
 * are what `compile --stats` counts):
 *   okurigana  okurigana left out between two kanji, as casual and official
 *              writing both do (受け取り → 受取り → 受取, 掛け子 → 掛子);
 *   particle   the particle の or を left out between words (荷物の受け取り →
 *              荷物受け取り);
 *   kana       the reading in hiragana and katakana (受け子 + うけこ → うけこ,
 *              ウケコ), katakana written in hiragana (ホワイト案件 →
 *              ほわいと案件) and all-hiragana spellings in katakana;
 *   mixed      every mix of scripts, part by part, when the reading can be
 *              aligned with the term's kanji and kana parts (受け子 → 受けこ,
 *              うけ子, ウケ子; 闇バイト → やみバイト, ヤミばいと), with a
 *              particle の/を between parts written or not (口座を売 →
 *              こうざ売);
 *   romaji     the reading in Latin letters, Hepburn and Kunrei (shi/si,
 *              chi/ti, tsu/tu, fu/hu, ji/zi, sha/sya), long vowels written or
 *              not (kougaku, kogaku), joined, or with spaces or hyphens
 *              between words or between syllables (yamibaito, yami baito,
 *              ya-mi-ba-i-to); any case is the matcher's caseless flag;
 *   masked     one character masked by ○, which folding makes of the
 *              symbols that mask one (闇バ◯ト, 受け×); and, for strong
 *              terms, one inner character left out (闇バイト → 闇バト), as
 *              a decoration folding drops may stand in its place (闇バ☆ト),
 *              where two characters that are not hiragana stay;
 *   lookalike  a first or last kanji that looks like katakana written as
 *              that katakana (口座買取 → ロ座買取): folding turns the
 *              look-alike into katakana only next to katakana, which may be
 *              outside the term; and a kanji written as an ordinary kanji it
 *              looks like (高収入 → 高収人, 未経験 → 末経験), which folding
 *              cannot undo without changing ordinary words.
 * Only terms of positive weight get the mixed, romaji, masked and lookalike
 * spellings (context words need no evasions), and only strong ones, against
 * the lexicon's threshold (two thirds of it), those with a character left
 * out (誰でもできる without で is 誰もできる); ○ masks, which no ordinary
 * word has, are made for every positive term. Each spelling is folded as
 * posts are (half-width and full-width forms are thus covered by folding,
 * on both sides, rather than by more patterns), and duplicates are dropped.
 * `exact` literals (-f, -e) give only their folded self. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include "confusables.inc"

/* A growing list of spellings in one arena, with the generator of each. */
typedef struct {
    char *buf;
    size_t used, cap;
    size_t *off, *len;
    unsigned char *gen;
    size_t n, ncap;
    int oom;
} list;

static void put(list *v, const char *s, size_t len, int gen)
{
    if (v->oom || len == 0)
        return;
    if (v->used + len > v->cap) {
        size_t cap = v->cap * 2 + len + 256;
        char *b = realloc(v->buf, cap);
        if (!b) {
            v->oom = 1;
            return;
        }
        v->buf = b;
        v->cap = cap;
    }
    if (v->n == v->ncap) {
        size_t cap = v->ncap * 2 + 16;
        if (!ys_grow(&v->off, cap, sizeof *v->off) || !ys_grow(&v->len, cap, sizeof *v->len) ||
            !ys_grow(&v->gen, cap, 1)) {
            v->oom = 1;
            return;
        }
        v->ncap = cap;
    }
    memmove(v->buf + v->used, s, len); /* s may point into buf */
    v->off[v->n] = v->used;
    v->len[v->n] = len;
    v->gen[v->n++] = (unsigned char)gen;
    v->used += len;
}

static const char *at(const list *v, size_t i) { return v->buf + v->off[i]; }

/* ---- characters ---- */

static uint32_t cp3(const unsigned char *u)
{
    return (uint32_t)(u[0] & 0x0F) << 12 | (uint32_t)(u[1] & 0x3F) << 6 | (u[2] & 0x3F);
}

static void put3(char *o, uint32_t cp)
{
    o[0] = (char)(0xE0 | cp >> 12);
    o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
}

static size_t clen(unsigned char c) { return c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2; }

enum { OTHER, KANJI, HIRA, KATA };

static int script(const unsigned char *u, size_t k)
{
    if (k != 3)
        return OTHER;
    uint32_t cp = cp3(u);
    if ((cp >= 0x4E00 && cp <= 0x9FFF) || cp == 0x3005 || (cp >= 0x3400 && cp <= 0x4DBF))
        return KANJI;
    if (cp >= 0x3041 && cp <= 0x3096)
        return HIRA;
    if ((cp >= 0x30A1 && cp <= 0x30FA) || cp == 0x30FC)
        return KATA;
    return OTHER;
}

/* Copies s with every kana moved to the other script: to katakana when
 * `kata`, else to hiragana. ー and everything else are kept. */
static void convert_kana(const char *s, size_t len, int kata, char *out)
{
    memcpy(out, s, len);
    unsigned char *u = (unsigned char *)out;
    for (size_t i = 0; i + 2 < len; i++) {
        if (u[i] != 0xE3)
            continue;
        uint32_t cp = cp3(u + i), to = 0;
        if (kata && ((cp >= 0x3041 && cp <= 0x3096) || cp == 0x309D || cp == 0x309E))
            to = cp + 0x60;
        else if (!kata && ((cp >= 0x30A1 && cp <= 0x30F6) || cp == 0x30FD || cp == 0x30FE))
            to = cp - 0x60;
        if (to) {
            put3(out + i, to);
            i += 2;
        }
    }
}

/* Copies s leaving out each single kana in `drop` (3-byte UTF-8 each) that
 * stands between two word characters (kanji, or kanji/katakana when
 * `katakana_too`). Returns the new length. */
static size_t drop_between(const char *s, size_t len, const char *drop, int katakana_too,
                           char *out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        size_t k = clen(u[i]);
        k = i + k <= len ? k : 1;
        if (k == 3 && i >= 3 && i + 6 <= len) {
            int sa = script(u + i - 3, 3), sb = script(u + i + 3, 3);
            int word_a = sa == KANJI || (katakana_too && sa == KATA);
            int word_b = sb == KANJI || (katakana_too && sb == KATA);
            int listed = 0;
            for (const char *d = drop; *d && !listed; d += 3)
                listed = memcmp(u + i, d, 3) == 0;
            if (word_a && word_b && listed) {
                i += 3;
                continue;
            }
        }
        memcpy(out + n, s + i, k);
        n += k;
        i += k;
    }
    return n;
}

/* Hiragana (and ー) only. */
static int all_hiragana(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len; i += 3)
        if (i + 3 > len || (script(u + i, 3) != HIRA && cp3(u + i) != 0x30FC))
            return 0;
    return len > 0;
}

/* ---- the reading, aligned with the term's parts ---- */

#define MAX_RUNS 8

typedef struct {
    size_t off, len;   /* in the term */
    int script;
    size_t roff, rlen; /* its reading, in the hiragana reading */
} run;

/* The reading in hiragana without the spaces that may mark words; the byte
 * offsets where words start (after a space) are flagged in `word`. */
static size_t plain_reading(const char *r, size_t rlen, char *out, unsigned char *word)
{
    size_t n = 0;
    for (size_t i = 0; i < rlen; i++) {
        if (r[i] == ' ') {
            if (n)
                word[n] = 1;
            continue;
        }
        out[n] = r[i];
        word[n++] &= 1;
    }
    convert_kana(out, n, 0, out);
    return n;
}

/* Matches runs[i..] against reading[pos..]: kana runs must read as
 * themselves, kanji runs take one or more characters. */
static int align(run *runs, size_t nruns, size_t i, const char *expr, const char *rd,
                 size_t rlen, size_t pos)
{
    if (i == nruns)
        return pos == rlen;
    run *r = &runs[i];
    if (r->script == HIRA || r->script == KATA) {
        char tmp[256];
        if (r->len > sizeof tmp || pos + r->len > rlen)
            return 0;
        convert_kana(expr + r->off, r->len, 0, tmp);
        if (memcmp(tmp, rd + pos, r->len) != 0)
            return 0;
        r->roff = pos;
        r->rlen = r->len;
        return align(runs, nruns, i + 1, expr, rd, rlen, pos + r->len);
    }
    for (size_t take = 3; pos + take <= rlen; take += 3) {
        r->roff = pos;
        r->rlen = take;
        if (align(runs, nruns, i + 1, expr, rd, rlen, pos + take))
            return 1;
    }
    return 0;
}

/* Splits the term into runs of one script; 0 if it has other characters
 * or too many runs. */
static size_t split_runs(const char *s, size_t len, run *runs)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        size_t k = clen(u[i]);
        int sc = i + k <= len ? script(u + i, k) : OTHER;
        if (sc == OTHER)
            return 0;
        if (sc == HIRA && cp3(u + i) == 0x30FC)
            sc = n ? runs[n - 1].script : KATA;
        if (n && runs[n - 1].script == sc)
            runs[n - 1].len += k;
        else if (n == MAX_RUNS)
            return 0;
        else
            runs[n++] = (run){i, k, sc, 0, 0};
        i += k;
    }
    return n;
}

/* A particle の or を between two other parts: a mix may leave it out. */
static int is_particle(const char *expr, const run *runs, size_t nruns, size_t i)
{
    return i > 0 && i + 1 < nruns && runs[i].script == HIRA && runs[i].len == 3 &&
           (memcmp(expr + runs[i].off, "の", 3) == 0 || memcmp(expr + runs[i].off, "を", 3) == 0);
}

#define MAX_SYL 48

typedef struct {
    char s[MAX_SYL][12];
    unsigned char word[MAX_SYL]; /* a word starts here */
    size_t n;
} syllables;

static int romanize(const char *rd, size_t len, const unsigned char *word, int kunrei,
                    int long_written, syllables *out);
static size_t join(const syllables *y, char sep, int every, char *out, size_t cap);

/* Every mix of scripts: each kanji run as kanji, hiragana or katakana
 * reading, each kana run in either kana script, a particle written or left
 * out; and, where it leaves at most 81 mixes, each run but a particle also
 * in romaji (Hepburn, long vowels written) beside a run that is not
 * (yamiバイト, 闇baito, ukeコ: posts mix Latin letters into a word; all
 * romaji is the romaji generator's). */
static void mixed(list *v, const char *expr, const run *runs, size_t nruns, const char *rd)
{
    char rom[MAX_RUNS][64]; /* each run's romaji, "" where there is none */
    size_t choices = 1, with_romaji = 1;
    for (size_t i = 0; i < nruns; i++) {
        const run *r = &runs[i];
        size_t base = r->script == KANJI ? 3 : 2;
        choices *= base;
        rom[i][0] = 0;
        syllables y;
        unsigned char word[3 * MAX_SYL] = {0};
        if (!is_particle(expr, runs, nruns, i) && r->rlen <= sizeof word &&
            romanize(rd + r->roff, r->rlen, word, 0, 1, &y)) {
            size_t l = join(&y, 0, 0, rom[i], sizeof rom[i]);
            rom[i][l] = 0; /* join leaves room for it; 0 when too long */
        }
        with_romaji *= base + (rom[i][0] != 0);
    }
    int latin = nruns > 1 && with_romaji <= 81;
    if (latin)
        choices = with_romaji;
    else if (choices > 81)
        return;
    char out[1024];
    for (size_t c = 0; c < choices; c++) {
        size_t n = 0, rest = c, romaji_runs = 0;
        for (size_t i = 0; i < nruns; i++) {
            const run *r = &runs[i];
            size_t base = (r->script == KANJI ? 3 : 2) + (latin && rom[i][0]), pick = rest % base;
            rest /= base;
            if (n + r->rlen + r->len + sizeof rom[i] > sizeof out)
                return;
            if (pick == 3 - (r->script != KANJI)) { /* the last choice: romaji */
                size_t l = strlen(rom[i]);
                memcpy(out + n, rom[i], l);
                n += l;
                romaji_runs++;
            } else if (r->script == KANJI && pick == 0) {
                memcpy(out + n, expr + r->off, r->len);
                n += r->len;
            } else if (is_particle(expr, runs, nruns, i)) {
                if (pick == 0) {
                    memcpy(out + n, expr + r->off, r->len);
                    n += r->len;
                }
            } else {
                int kata = r->script == KANJI ? pick == 2 : pick == (r->script == HIRA);
                convert_kana(rd + r->roff, r->rlen, kata, out + n);
                n += r->rlen;
            }
        }
        if (romaji_runs < nruns) /* all romaji: the romaji generator's */
            put(v, out, n, YS_GEN_MIXED);
    }
}

/* ---- romaji ---- */

/* Hepburn and Kunrei spellings of the hiragana U+3041..U+3094 ("" where
 * both agree the kana needs the next one: small ゃ ゅ ょ are handled by the
 * caller). Written for this table from the two systems' rules. */
static const char *const hep[] = {
    "a", "a", "i", "i", "u", "u", "e", "e", "o", "o",                            /* ぁ..お */
    "ka", "ga", "ki", "gi", "ku", "gu", "ke", "ge", "ko", "go",                  /* か..ご */
    "sa", "za", "shi", "ji", "su", "zu", "se", "ze", "so", "zo",                /* さ..ぞ */
    "ta", "da", "chi", "ji", "", "tsu", "zu", "te", "de", "to", "do",           /* た..ど */
    "na", "ni", "nu", "ne", "no",                                               /* な..の */
    "ha", "ba", "pa", "hi", "bi", "pi", "fu", "bu", "pu", "he", "be", "pe",
    "ho", "bo", "po",                                                           /* は..ぽ */
    "ma", "mi", "mu", "me", "mo", "ya", "ya", "yu", "yu", "yo", "yo",           /* ま..よ */
    "ra", "ri", "ru", "re", "ro", "wa", "wa", "wi", "we", "o", "n", "vu"};      /* ら..ゔ */
static const char *const kun[] = {
    "a", "a", "i", "i", "u", "u", "e", "e", "o", "o",
    "ka", "ga", "ki", "gi", "ku", "gu", "ke", "ge", "ko", "go",
    "sa", "za", "si", "zi", "su", "zu", "se", "ze", "so", "zo",
    "ta", "da", "ti", "zi", "", "tu", "zu", "te", "de", "to", "do",
    "na", "ni", "nu", "ne", "no",
    "ha", "ba", "pa", "hi", "bi", "pi", "hu", "bu", "pu", "he", "be", "pe",
    "ho", "bo", "po",
    "ma", "mi", "mu", "me", "mo", "ya", "ya", "yu", "yu", "yo", "yo",
    "ra", "ri", "ru", "re", "ro", "wa", "wa", "wi", "we", "o", "n", "vu"};

/* The reading rd (hiragana; word starts flagged) as syllables in `kunrei`
 * or Hepburn, long vowels written or not. ん, っ and ー belong to the
 * syllable before them, small ゃゅょぁぃぅぇぉ to the kana before them.
 * Returns 0 when a character has no spelling. */
static int romanize(const char *rd, size_t len, const unsigned char *word, int kunrei,
                    int long_written, syllables *out)
{
    const char *const *tab = kunrei ? kun : hep;
    out->n = 0;
    int sokuon = 0;
    uint32_t prevcp = 0; /* the last full-size kana */
    for (size_t i = 0; i + 3 <= len; i += 3) {
        uint32_t cp = cp3((const unsigned char *)rd + i);
        char *cur = out->n ? out->s[out->n - 1] : NULL;
        size_t cl = cur ? strlen(cur) : 0;
        if (cp == 0x30FC || cp == 0x3063) { /* ー, っ */
            if (!cur && cp == 0x30FC)
                return 0;
            if (cp == 0x3063) {
                sokuon = 1;
                continue;
            }
            if (long_written && cl + 1 < sizeof out->s[0]) {
                cur[cl] = cur[cl - 1];
                cur[cl + 1] = 0;
            }
            continue;
        }
        if (cp < 0x3041 || cp > 0x3094)
            return 0;
        const char *r = tab[cp - 0x3041];
        int small_y = cp == 0x3083 || cp == 0x3085 || cp == 0x3087;
        int small_v = cp == 0x3041 || cp == 0x3043 || cp == 0x3045 || cp == 0x3047 ||
                      cp == 0x3049;
        if (small_y || small_v) {
            /* きゃ kya, しゃ sha/sya, ちゃ cha/tya, じゃ ja/zya; てぃ ti, ふぁ fa */
            char vowel = small_y ? r[1] : r[0];
            if (!cur || cl + 2 > sizeof out->s[0] || (small_y && cur[cl - 1] != 'i'))
                return 0;
            int sh = !kunrei && ((cl >= 3 && (strcmp(cur + cl - 3, "shi") == 0 ||
                                             strcmp(cur + cl - 3, "chi") == 0)) ||
                                 (cl >= 2 && strcmp(cur + cl - 2, "ji") == 0));
            if (small_y && !sh) {
                cur[cl - 1] = 'y';
                cur[cl] = vowel;
                cur[cl + 1] = 0;
            } else if (small_v && prevcp) {
                /* the kana before and a small vowel make one sound, the same
                 * in both systems: ウィ wi, ファ fa, ジェ je, チェ che, シェ she,
                 * ティ ti */
                const char *before = tab[prevcp - 0x3041], *head = NULL;
                size_t bl = strlen(before);
                switch (prevcp) {
                case 0x3046: head = "w"; break;  /* う */
                case 0x3075: head = "f"; break;  /* ふ */
                case 0x3058: head = "j"; break;  /* じ */
                case 0x3061: head = "ch"; break; /* ち */
                case 0x3057: head = "sh"; break; /* し */
                }
                if (cl < bl || strcmp(cur + cl - bl, before) != 0 ||
                    cl - bl + (head ? strlen(head) : bl - 1) + 2 > sizeof out->s[0])
                    return 0;
                char *at = cur + cl - bl;
                if (head)
                    strcpy(at, head);
                else
                    at[bl - 1] = 0; /* its consonant: te → t */
                size_t al = strlen(cur);
                cur[al] = vowel;
                cur[al + 1] = 0;
            } else {
                cur[cl - 1] = vowel;
            }
            continue;
        }
        if (cp == 0x3093) { /* ん */
            if (!cur || cl + 2 > sizeof out->s[0])
                return 0;
            strcat(cur, "n");
            continue;
        }
        if (out->n == MAX_SYL || !*r)
            return 0;
        char *s = out->s[out->n];
        s[0] = 0;
        if (sokuon) { /* っ doubles the consonant, on the syllable before */
            char c = r[0] == 'c' && !kunrei ? 't' : r[0];
            if (cur && cl + 2 <= sizeof out->s[0]) {
                cur[cl] = c;
                cur[cl + 1] = 0;
            } else {
                s[0] = c;
                s[1] = 0;
            }
            sokuon = 0;
        }
        strcat(s, r);
        prevcp = cp;
        /* long vowels (ou, oo, uu): one vowel when not written, else part
         * of the syllable before (kou shuu, not ko u shu u) */
        if (cur && cl >= 1 && !word[i] && strlen(r) == 1 &&
            ((r[0] == 'u' && (cur[cl - 1] == 'o' || cur[cl - 1] == 'u')) ||
             (r[0] == 'o' && cur[cl - 1] == 'o'))) {
            if (long_written && cl + 2 <= sizeof out->s[0])
                strcat(cur, r);
            continue;
        }
        out->word[out->n++] = word[i];
    }
    return out->n > 0 && !sokuon;
}

/* The syllables joined with `sep` between words ("word") or between every
 * syllable, or joined outright when sep is 0. */
static size_t join(const syllables *y, char sep, int every, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < y->n; i++) {
        size_t l = strlen(y->s[i]);
        if (n + l + 2 > cap)
            return 0;
        if (i && sep && (every || y->word[i]))
            out[n++] = sep;
        memcpy(out + n, y->s[i], l);
        n += l;
    }
    return n;
}

static void romaji(list *v, const char *rd, size_t len, const unsigned char *word)
{
    char out[512];
    for (int kunrei = 0; kunrei < 2; kunrei++)
        for (int lw = 0; lw < 2; lw++) {
            syllables y;
            if (!romanize(rd, len, word, kunrei, lw, &y))
                continue;
            size_t n = join(&y, 0, 0, out, sizeof out);
            if (n < 5) /* shorter romaji is inside too many words */
                continue;
            put(v, out, n, YS_GEN_ROMAJI);
            static const char seps[] = {' ', '-'};
            for (size_t k = 0; k < 2; k++)
                for (int every = 0; every < 2; every++)
                    if ((n = join(&y, seps[k], every, out, sizeof out)) != 0)
                        put(v, out, n, YS_GEN_ROMAJI);
        }
}

/* ---- masks and look-alikes ---- */

/* Where the first 13 characters of s start; their number. */
static size_t char_starts(const char *s, size_t len, size_t pos[13])
{
    size_t n = 0;
    for (size_t i = 0; i < len && n < 13; i += clen((unsigned char)s[i]))
        pos[n++] = i;
    return n;
}

/* Masks and left-out characters hide words: a phrase longer than this is
 * written out (and would add a dozen spellings each). */
#define MAX_MASKED_CHARS 6

/* Each kana or kanji but the first masked by ○ (what folding makes of ◯ ●
 * × ※ …, which also serve as bullets before a word: ●バイト募集 is not
 * 闇バイト), for terms of 3 to MAX_MASKED_CHARS characters. */
static void mask_symbol(list *v, const char *s, size_t len)
{
    size_t pos[13], n = char_starts(s, len, pos);
    if (n < 3 || n > MAX_MASKED_CHARS)
        return;
    char out[256];
    if (len + 3 > sizeof out)
        return;
    for (size_t c = 1; c < n; c++) { /* not the first: ● ■ ※ are also bullets */
        size_t a = pos[c], b = c + 1 < n ? pos[c + 1] : len;
        if (script((const unsigned char *)s + a, b - a) == OTHER)
            continue; /* masks hide Japanese characters */
        memcpy(out, s, a);
        put3(out + a, 0x25CB);
        memcpy(out + a + 3, s + b, len - b);
        put(v, out, len - (b - a) + 3, YS_GEN_MASKED);
    }
}

/* Each inner kana or kanji left out (a decoration folding drops stood in
 * its place: 闇バ☆ト), for terms of 4 to MAX_MASKED_CHARS characters. */
static void masked(list *v, const char *s, size_t len)
{
    size_t pos[13], n = char_starts(s, len, pos);
    if (n < 4 || n > MAX_MASKED_CHARS)
        return;
    char out[256];
    if (len > sizeof out)
        return;
    /* what is left must keep two characters that are not hiragana: 安全です
     * without 全 is 目安です's 安です, and hiragana endings are in every
     * sentence (a lexicon fitted from its signs made more terms strong, and
     * the bundled one flagged such everyday questions) */
    size_t nothira = 0;
    for (size_t c = 0; c < n; c++)
        nothira += script((const unsigned char *)s + pos[c], (c + 1 < n ? pos[c + 1] : len) - pos[c]) != HIRA;
    for (size_t c = 1; c + 1 < n; c++) {
        size_t a = pos[c], b = pos[c + 1];
        int sc = script((const unsigned char *)s + a, b - a);
        if (sc == OTHER || nothira - (sc != HIRA) < 2)
            continue;
        memcpy(out, s, a);
        memcpy(out + a, s + b, len - b);
        put(v, out, len - (b - a), YS_GEN_MASKED);
    }
}

/* The second of the pair in t (n pairs) whose first is cp, or 0. */
static uint32_t twin_in(const uint32_t (*t)[2], size_t n, uint32_t cp)
{
    for (size_t i = 0; i < n; i++)
        if (t[i][0] == cp)
            return t[i][1];
    return 0;
}

static uint32_t kana_twin(uint32_t cp)
{
    return twin_in(kana_twins, sizeof kana_twins / sizeof *kana_twins, cp);
}

/* Kanji written for a look-alike kanji in ads (高収人, 末経験者OK): pairs
 * that the confusables data does not list (both are ordinary kanji, so
 * folding one into the other would change ordinary words), made here as
 * spellings of the terms that hold the first. */
static const uint32_t kanji_twins[][2] = {
    {0x5165, 0x4EBA}, /* 入 人 */
    {0x672A, 0x672B}, /* 未 末 */
};

static uint32_t kanji_twin(uint32_t cp)
{
    return twin_in(kanji_twins, sizeof kanji_twins / sizeof *kanji_twins, cp);
}

/* The first or last character, a kanji that looks like katakana (一 ー, 口
 * ロ …), as that katakana: folding changes it only next to katakana, which
 * may stand outside the term (テレグラム一回だけ → テレグラムー回だけ). */
static void lookalike(list *v, const char *spelling, size_t len)
{
    char out[256], s[256]; /* spelling may be in v, which put() moves */
    const unsigned char *u = (const unsigned char *)s;
    if (len < 4 || len > sizeof out)
        return;
    memcpy(s, spelling, len);
    size_t last = len;
    while (last > 0 && (u[last - 1] & 0xC0) == 0x80)
        last--;
    last = last > 0 ? last - 1 : 0; /* where the last character starts */
    size_t ends[2] = {0, last};
    for (int e = 0; e < 2; e++) {
        size_t i = ends[e];
        if (clen(u[i]) != 3 || i + 3 > len || script(u + i, 3) == KATA)
            continue;
        uint32_t t = kana_twin(cp3(u + i));
        if (!t)
            continue;
        memcpy(out, s, len);
        put3(out + i, t);
        put(v, out, len, YS_GEN_LOOKALIKE);
    }
    /* Any kanji with a common look-alike kanji that folding cannot undo
     * (人 is everywhere; 高収人 is 高収入 only to a reader), one at a time. */
    for (size_t i = 0; i + 3 <= len; i += clen(u[i])) {
        uint32_t t = clen(u[i]) == 3 ? kanji_twin(cp3(u + i)) : 0;
        if (!t)
            continue;
        memcpy(out, s, len);
        put3(out + i, t);
        put(v, out, len, YS_GEN_LOOKALIKE);
    }
}

static const char *const gen_names[YS_GENERATORS] = {
    "as written", "okurigana", "particle", "kana", "mixed", "romaji", "masked", "lookalike"};

const char *ys_generator_name(unsigned gen) { return gen < YS_GENERATORS ? gen_names[gen] : NULL; }

int ys_variants_counted(const ys_pattern *p, int threshold,
                        int (*add)(void *ctx, const char *s, size_t len), void *ctx,
                        size_t *counts)
{
    long t = threshold == YS_NO_THRESHOLD || threshold < 1 ? 1 : threshold;
    list v = {0};
    size_t rlen = strlen(p->reading);
    put(&v, p->expr, p->expr_len, YS_GEN_WRITTEN);
    if (!p->exact) {
        char *tmp = malloc(p->expr_len + 1);
        if (!tmp)
            return YS_ENOMEM;
        /* Okurigana (け き り し ち い え く み) between kanji; の/を between words. */
        static const char okuri[] = "けきりしちいえくみ", particles[] = "のを";
        put(&v, tmp, drop_between(p->expr, p->expr_len, okuri, 0, tmp), YS_GEN_OKURIGANA);
        put(&v, tmp, drop_between(p->expr, p->expr_len, particles, 1, tmp), YS_GEN_PARTICLE);
        if (v.n > 1 && v.gen[1] == YS_GEN_OKURIGANA && !v.oom) {
            char *t2 = malloc(v.len[1] + 1);
            if (t2) {
                put(&v, t2, drop_between(at(&v, 1), v.len[1], particles, 1, t2), YS_GEN_PARTICLE);
                free(t2);
            } else {
                v.oom = 1;
            }
        }
        free(tmp);
        /* The reading: in words (spaces), and without spaces. */
        char rd[1024];
        unsigned char word[1024] = {0};
        size_t rl = rlen < sizeof rd ? plain_reading(p->reading, rlen, rd, word) : 0;
        if (rl)
            put(&v, rd, rl, YS_GEN_KANA);
        /* The term as its own reading: all kana already. */
        run runs[MAX_RUNS];
        size_t nruns = split_runs(p->expr, p->expr_len, runs);
        int kana_only = nruns > 0;
        for (size_t i = 0; i < nruns; i++)
            kana_only &= runs[i].script != KANJI;
        if (!rl && kana_only && p->expr_len < sizeof rd) {
            convert_kana(p->expr, p->expr_len, 0, rd);
            rl = p->expr_len;
        }
        /* Katakana written in hiragana, and all-hiragana spellings in
         * katakana; kana inside kanji words (okurigana, particles) is never
         * written in katakana. */
        size_t base = v.n;
        for (size_t i = 0; i < base && !v.oom; i++) {
            char *c = malloc(v.len[i]);
            if (!c) {
                v.oom = 1;
                break;
            }
            convert_kana(at(&v, i), v.len[i], 0, c);
            put(&v, c, v.len[i], YS_GEN_KANA);
            if (all_hiragana(at(&v, i), v.len[i])) {
                convert_kana(at(&v, i), v.len[i], 1, c);
                put(&v, c, v.len[i], YS_GEN_KANA);
            }
            free(c);
        }
        if (p->weight > 0) {
            if (rl && nruns && align(runs, nruns, 0, p->expr, rd, rl, 0))
                mixed(&v, p->expr, runs, nruns, rd);
            if (rl) {
                /* words: the reading's spaces, else where a katakana part
                 * meets another part, and a kanji follows kana */
                if (!memchr(p->reading, ' ', rlen) && nruns > 1 &&
                    align(runs, nruns, 0, p->expr, rd, rl, 0))
                    for (size_t i = 1; i < nruns; i++)
                        if (runs[i].script == KATA || runs[i - 1].script == KATA ||
                            runs[i].script == KANJI)
                            word[runs[i].roff] = 1;
                romaji(&v, rd, rl, word);
            }
            /* a left-out character, for strong terms only, measured against
             * the threshold (two thirds of the way there): 誰でもできる
             * without で is 誰もできる; ○ stands in no ordinary word */
            if (3L * p->weight >= 2 * t)
                masked(&v, p->expr, p->expr_len);
            mask_symbol(&v, p->expr, p->expr_len);
            for (size_t i = 0, n = v.n; i < n && !v.oom; i++) /* every spelling so far */
                lookalike(&v, at(&v, i), v.len[i]);
        }
    }
    if (v.oom) {
        free(v.buf), free(v.off), free(v.len), free(v.gen);
        return YS_ENOMEM;
    }
    /* Folded, each spelling once. */
    list seen = {0};
    size_t cap = 0;
    for (size_t i = 0; i < v.n; i++)
        cap = v.len[i] > cap ? v.len[i] : cap;
    char *fold = malloc(3 * cap + 1);
    uint32_t *map = malloc(2 * (3 * cap + 1) * sizeof *map);
    int rc = fold && map ? YS_OK : YS_ENOMEM;
    for (size_t i = 0; i < v.n && rc == YS_OK; i++) {
        size_t fl = ys_fold(at(&v, i), v.len[i], fold, map, map + 3 * cap + 1);
        const char *f = fl == YS_FOLD_UNCHANGED ? at(&v, i) : fold;
        fl = fl == YS_FOLD_UNCHANGED ? v.len[i] : fl;
        size_t k = 0;
        while (k < seen.n && !(seen.len[k] == fl && memcmp(at(&seen, k), f, fl) == 0))
            k++;
        if (k < seen.n || fl == 0)
            continue;
        put(&seen, f, fl, v.gen[i]);
        if (seen.oom) {
            rc = YS_ENOMEM;
            break;
        }
        rc = add(ctx, f, fl);
        if (rc == YS_SPELLING_SKIPPED)
            rc = YS_OK;
        else if (counts && rc == YS_OK)
            counts[v.gen[i]]++;
    }
    free(seen.buf), free(seen.off), free(seen.len), free(seen.gen);
    free(v.buf), free(v.off), free(v.len), free(v.gen);
    free(fold);
    free(map);
    return rc;
}

int ys_variants(const ys_pattern *p, int threshold,
                int (*add)(void *ctx, const char *s, size_t len), void *ctx)
{
    return ys_variants_counted(p, threshold, add, ctx, NULL);
}
