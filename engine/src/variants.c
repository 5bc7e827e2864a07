/* Spelling variants of a literal, generated when the lexicon is compiled, so
 * that the maintainer writes each term once: the term as written, with its
 * kana in the other script (ホワイト案件 → ほわいと案件), and its reading in
 * hiragana and katakana (受け子 with reading うけこ → うけこ, ウケコ). Each is
 * folded as posts are (half-width and full-width forms are thus covered by
 * folding, on both sides, rather than by more patterns), and duplicates are
 * dropped. `exact` literals (-f, -e) give only their folded self. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define MAX_VARIANTS 5

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

int ys_variants(const ys_pattern *p, int (*add)(void *ctx, const char *s, size_t len), void *ctx)
{
    const char *src[MAX_VARIANTS];
    size_t srclen[MAX_VARIANTS], n = 0;
    size_t rlen = strlen(p->reading), cap = (p->expr_len > rlen ? p->expr_len : rlen) + 1;
    char *buf = malloc(4 * cap), *fold = malloc(3 * cap);
    uint32_t *map = malloc(2 * 3 * cap * sizeof *map);
    if (!buf || !fold || !map) {
        free(buf), free(fold), free(map);
        return YS_ENOMEM;
    }
    src[n] = p->expr, srclen[n++] = p->expr_len;
    if (!p->exact) {
        convert_kana(p->expr, p->expr_len, 1, buf);
        convert_kana(p->expr, p->expr_len, 0, buf + cap);
        src[n] = buf, srclen[n++] = p->expr_len;
        src[n] = buf + cap, srclen[n++] = p->expr_len;
        if (rlen) {
            convert_kana(p->reading, rlen, 1, buf + 2 * cap);
            convert_kana(p->reading, rlen, 0, buf + 3 * cap);
            src[n] = buf + 2 * cap, srclen[n++] = rlen;
            src[n] = buf + 3 * cap, srclen[n++] = rlen;
        }
    }
    /* Folded, each spelling once (at most 5: a linear check will do). */
    char *seen[MAX_VARIANTS];
    size_t seenlen[MAX_VARIANTS], nseen = 0;
    int rc = YS_OK;
    for (size_t v = 0; v < n && rc == YS_OK; v++) {
        size_t fl = ys_fold(src[v], srclen[v], fold, map, map + 3 * cap);
        const char *f = fl == YS_FOLD_UNCHANGED ? src[v] : fold;
        fl = fl == YS_FOLD_UNCHANGED ? srclen[v] : fl;
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
