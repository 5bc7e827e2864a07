/* Small helpers: UTF-8, the content hash, growing arrays. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

uint64_t ys_fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

size_t ys_utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* Well-formed sequences per the Unicode standard (table 3-7): no overlongs,
 * no surrogates, nothing above U+10FFFF. */
size_t ys_utf8_valid_prefix(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        /* ASCII fast path, 8 bytes at a time. */
        while (i + 8 <= len) {
            uint64_t w;
            __builtin_memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ULL)
                break;
            i += 8;
        }
        if (i >= len)
            break;
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF)
            n = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
            n = 3;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else
            return i;
        if (i + n > len)
            return i;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return i;
        for (size_t k = 2; k < n; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
        i += n;
    }
    return len;
}

int ys_grow(void *p, size_t n, size_t size)
{
    void *old, *q; /* *p is some T *: copied, not accessed through void ** */
    memcpy(&old, p, sizeof old);
    if (!(q = realloc(old, (n ? n : 1) * size)))
        return 0;
    memcpy(p, &q, sizeof q);
    return 1;
}

/* The .ysdb checksum: 8 bytes at a time (FNV-1a's byte loop would be a
 * quarter of loading a 100,000-term database). Not cryptographic: it catches
 * truncation and damage. */
static uint64_t mix(uint64_t h, uint64_t w)
{
    h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 32);
}

void ys_sum_init(ys_sum *s) { memset(s, 0, sizeof *s); s->h = YS_FNV_INIT; }

void ys_sum_add(ys_sum *s, const void *data, size_t len)
{
    const unsigned char *p = data;
    s->len += len;
    while (len > 0 && s->npart > 0) { /* finish a partial word first */
        s->part[s->npart++] = *p++, len--;
        if (s->npart == 8) {
            uint64_t w;
            memcpy(&w, s->part, 8);
            s->h = mix(s->h, w);
            s->npart = 0;
        }
    }
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        s->h = mix(s->h, w);
    }
    memcpy(s->part + s->npart, p, len);
    s->npart += len;
}

uint64_t ys_sum_end(const ys_sum *s)
{
    uint64_t w = 0, h = s->h;
    memcpy(&w, s->part, s->npart);
    return mix(mix(h, w), s->len);
}

uint64_t ys_checksum(const void *data, size_t len)
{
    ys_sum s;
    ys_sum_init(&s);
    ys_sum_add(&s, data, len);
    return ys_sum_end(&s);
}
