/* Spelling variants of a literal, generated when the lexicon is compiled, so
 * that the maintainer writes each term once:
 *   - its reading in hiragana and katakana (受け子, reading うけこ → うけこ, ウケコ);
 *   - okurigana left out between two kanji, as casual and official writing
 *     both do (受け取り → 受取り → 受取, 掛け子 → 掛子);
 *   - the particle の or を left out between words (荷物の受け取り → 荷物受け取り);
 *   - katakana written in hiragana (ホワイト案件 → ほわいと案件), and an
 *     all-hiragana spelling in katakana (うけこ → ウケコ).
 * Each is folded as posts are (half-width and full-width forms are thus
 * covered by folding, on both sides, rather than by more patterns), and
 * duplicates are dropped. `exact` literals (-f, -e) give only their folded
 * self. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define MAX_VARIANTS 24

/* Copies s with every kana moved to the other script: to katakana when
 * `kata`, else to hiragana. ー and everything else are kept. */
static void convert_kana(const char *s, size_t len, int kata, char *out)
{
    memcpy(out, s, len);
    unsigned char *u = (unsigned char *)out;
    for (size_t i = 0; i + 2 < len; i++) {
        if (u[i] != 0xE3)
            continue;
        uint32_t cp = 0x3000 | (uint32_t)(u[i + 1] & 0x3F) << 6 | (u[i + 2] & 0x3F);
        uint32_t to = 0;
        if (kata && ((cp >= 0x3041 && cp <= 0x3096) || cp == 0x309D || cp == 0x309E))
            to = cp + 0x60;
        else if (!kata && ((cp >= 0x30A1 && cp <= 0x30F6) || cp == 0x30FD || cp == 0x30FE))
            to = cp - 0x60;
        if (to) {
            u[i + 1] = (unsigned char)(0x80 | (to >> 6 & 0x3F));
            u[i + 2] = (unsigned char)(0x80 | (to & 0x3F));
            i += 2;
        }
    }
}

static int is_kanji3(const unsigned char *u)
{
    uint32_t cp = (uint32_t)(u[0] & 0x0F) << 12 | (uint32_t)(u[1] & 0x3F) << 6 | (u[2] & 0x3F);
    return (u[0] & 0xF0) == 0xE0 && ((cp >= 0x4E00 && cp <= 0x9FFF) || cp == 0x3005);
}

static int is_katakana3(const unsigned char *u)
{
    return u[0] == 0xE3 && ((u[1] == 0x82 && u[2] >= 0xA1) || (u[1] == 0x83 && u[2] <= 0xBC));
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
        size_t k = (u[i] & 0xF0) == 0xE0 && i + 3 <= len ? 3 : 1;
        if (k == 3 && i >= 3 && i + 6 <= len) {
            const unsigned char *a = u + i - 3, *b = u + i + 3;
            int word_a = is_kanji3(a) || (katakana_too && is_katakana3(a));
            int word_b = is_kanji3(b) || (katakana_too && is_katakana3(b));
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
        if (i + 3 > len || u[i] != 0xE3 ||
            !((u[i + 1] == 0x81 && u[i + 2] >= 0x81) || (u[i + 1] == 0x82 && u[i + 2] <= 0x96) ||
              (u[i + 1] == 0x83 && u[i + 2] == 0xBC)))
            return 0;
    return len > 0;
}

typedef struct {
    const char *s[MAX_VARIANTS];
    size_t len[MAX_VARIANTS], n;
} spellings;

static void put(spellings *v, const char *s, size_t len)
{
    if (v->n < MAX_VARIANTS)
        v->s[v->n] = s, v->len[v->n++] = len;
}

int ys_variants(const ys_pattern *p, int (*add)(void *ctx, const char *s, size_t len), void *ctx)
{
    size_t rlen = strlen(p->reading), cap = (p->expr_len > rlen ? p->expr_len : rlen) + 1;
    char *buf = malloc(MAX_VARIANTS * cap), *fold = malloc(3 * cap);
    uint32_t *map = malloc(2 * 3 * cap * sizeof *map);
    if (!buf || !fold || !map) {
        free(buf), free(fold), free(map);
        return YS_ENOMEM;
    }
    spellings v = {.n = 0};
    size_t used = 0;
    put(&v, p->expr, p->expr_len);
    if (!p->exact) {
        /* Okurigana (け き り し ち い え く み) between kanji; の/を between words. */
        static const char okuri[] = "けきりしちいえくみ", particles[] = "のを";
        size_t n = drop_between(p->expr, p->expr_len, okuri, 0, buf + used * cap);
        put(&v, buf + used++ * cap, n);
        n = drop_between(p->expr, p->expr_len, particles, 1, buf + used * cap);
        put(&v, buf + used++ * cap, n);
        n = drop_between(v.s[1], v.len[1], particles, 1, buf + used * cap);
        put(&v, buf + used++ * cap, n);
        if (rlen) {
            put(&v, p->reading, rlen);
        }
        /* Katakana written in hiragana (ホワイト → ほわいと), and all-hiragana
         * spellings in katakana (うけこ → ウケコ); kana inside kanji words
         * (okurigana, particles) is never written in katakana. */
        size_t base = v.n;
        for (size_t i = 0; i < base && used < MAX_VARIANTS && v.n + 2 <= MAX_VARIANTS; i++) {
            convert_kana(v.s[i], v.len[i], 0, buf + used * cap);
            put(&v, buf + used++ * cap, v.len[i]);
            if (all_hiragana(v.s[i], v.len[i])) {
                convert_kana(v.s[i], v.len[i], 1, buf + used * cap);
                put(&v, buf + used++ * cap, v.len[i]);
            }
        }
    }
    /* Folded, each spelling once. */
    char *seen[MAX_VARIANTS];
    size_t seenlen[MAX_VARIANTS], nseen = 0;
    int rc = YS_OK;
    for (size_t i = 0; i < v.n && rc == YS_OK; i++) {
        size_t fl = ys_fold(v.s[i], v.len[i], fold, map, map + 3 * cap);
        const char *f = fl == YS_FOLD_UNCHANGED ? v.s[i] : fold;
        fl = fl == YS_FOLD_UNCHANGED ? v.len[i] : fl;
        size_t k = 0;
        while (k < nseen && !(seenlen[k] == fl && memcmp(seen[k], f, fl) == 0))
            k++;
        if (k < nseen || fl == 0)
            continue;
        if (!(seen[nseen] = malloc(fl))) {
            rc = YS_ENOMEM;
            break;
        }
        memcpy(seen[nseen], f, fl);
        seenlen[nseen++] = fl;
        rc = add(ctx, f, fl);
    }
    for (size_t k = 0; k < nseen; k++)
        free(seen[k]);
    free(buf);
    free(fold);
    free(map);
    return rc;
}
