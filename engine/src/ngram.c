/* The n-gram model (a lexicon's @model; patterns/README.md, "The n-gram
 * model"): how it reads a post, its file format, and its lookup table.
 *
 * Why a second stage: the lexicon sees a post only through its terms, and
 * ads by writers it was not written from use other words for the same
 * offer. A logistic regression on every character 1- to 3-gram of the post
 * reads all of its words: cross-validated by writer batch on the
 * development set it reaches F1 0.97 where the lexicon alone reaches 0.91
 * (corpora/dev/README.md, "The n-gram model"). The lexicon stays the first
 * stage: the model reads only posts with a positive hit (a quarter of a
 * feed), and what it says is added to their score in points, so that the
 * terms that fired still explain a verdict. */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int ys_ngrams_add(ys_ngrams *m, const char *gram, size_t len, float weight, float idf2)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 1024;
        if (!ys_grow(&m->off, cap, sizeof *m->off) || !ys_grow(&m->len, cap, sizeof *m->len) ||
            !ys_grow(&m->weight, cap, sizeof *m->weight) ||
            !ys_grow(&m->idf2, cap, sizeof *m->idf2))
            return YS_ENOMEM;
        m->cap = cap;
    }
    if (m->ntext + len > m->captext) {
        size_t cap = m->captext ? 2 * m->captext : 8192;
        while (cap < m->ntext + len)
            cap *= 2;
        if (!ys_grow(&m->text, cap, 1))
            return YS_ENOMEM;
        m->captext = cap;
    }
    memcpy(m->text + m->ntext, gram, len);
    m->off[m->n] = (uint32_t)m->ntext;
    m->len[m->n] = (uint8_t)len;
    m->weight[m->n] = weight;
    m->idf2[m->n] = idf2;
    m->ntext += len;
    m->n++;
    return YS_OK;
}

/* Bytes of the character at u[i] and, in *v, its value: the code point + 1
 * for a well-formed UTF-8 sequence (table 3-7 of the Unicode standard),
 * 0x110001 + the byte for any other byte. Every value is 1 .. 2^21 - 1, so
 * three of them pack into 63 bits without two grams sharing a packing. */
static inline size_t next_char(const unsigned char *u, size_t n, size_t i, uint32_t *v)
{
    size_t k;
    uint32_t cp = ys_utf8_decode(u + i, n - i, &k);
    *v = cp & 0x80000000u ? 0x110001 + (cp & 0xFF) : cp + 1;
    return k;
}

/* A gram's key (ys_gram_fn) from its packed character values: a bijective
 * mix (MurmurHash3's 64-bit finalizer), so the key is as exact as the
 * packing and its low bits index a table. */
static inline uint64_t gram_key(uint64_t packed)
{
    packed ^= packed >> 33;
    packed *= 0xff51afd7ed558ccdULL;
    packed ^= packed >> 33;
    packed *= 0xc4ceb9fe1a85ec53ULL;
    packed ^= packed >> 33;
    return packed;
}

/* The key of the gram g[0..len), or 0 when it is not 1 to 3 characters. */
static uint64_t key_of(const char *g, size_t len)
{
    const unsigned char *u = (const unsigned char *)g;
    uint64_t packed = 0;
    int chars = 0;
    for (size_t i = 0; i < len; chars++) {
        uint32_t v;
        i += next_char(u, len, i, &v);
        packed = packed << 21 | v;
    }
    return chars >= 1 && chars <= 3 ? gram_key(packed) : 0;
}

/* The slot (0 .. mask) of the gram with this key, or -1. */
static inline long find_slot(const ys_ngrams *m, uint64_t key)
{
    if (!m->slot)
        return -1;
    for (size_t j = (size_t)key & m->mask; m->slot[j].key; j = (j + 1) & m->mask)
        if (m->slot[j].key == key)
            return (long)j;
    return -1;
}

int ys_ngrams_index(ys_ngrams *m, size_t *dup)
{
    /* A third full at most: a probe, hit or miss, then mostly reads one
     * slot (measured by perf on the sample corpus: scoring took 22 % of
     * scan's CPU with the table two thirds full, 17 % a third full). */
    size_t size = 16;
    while (size < 3 * m->n)
        size *= 2;
    free(m->slot);
    m->slot = calloc(size, sizeof *m->slot);
    if (!m->slot)
        return YS_ENOMEM;
    m->mask = size - 1;
    for (size_t i = 0; i < m->n; i++) {
        uint64_t k = key_of(m->text + m->off[i], m->len[i]);
        if (k == 0 || find_slot(m, k) >= 0) {
            *dup = i;
            return YS_ELEXICON;
        }
        size_t j = (size_t)k & m->mask;
        while (m->slot[j].key)
            j = (j + 1) & m->mask;
        m->slot[j].key = k;
        m->slot[j].weight = m->weight[i];
        m->slot[j].idf2 = m->idf2[i];
    }
    /* Suffix-closed: every gram's last 1 or 2 characters are a gram too
     * (tune's grams are, as it keeps grams by the posts they occur in). */
    m->suffix_closed = 1;
    for (size_t i = 0; i < m->n && m->suffix_closed; i++) {
        const unsigned char *g = (const unsigned char *)m->text + m->off[i];
        uint32_t v;
        size_t first = next_char(g, m->len[i], 0, &v);
        if (first < m->len[i])
            m->suffix_closed = find_slot(m, key_of((const char *)g + first,
                                                   m->len[i] - first)) >= 0;
    }
    return YS_OK;
}

void ys_ngrams_free(ys_ngrams *m)
{
    free(m->text);
    free(m->off);
    free(m->len);
    free(m->weight);
    free(m->idf2);
    free(m->slot);
    memset(m, 0, sizeof *m);
}

uint64_t ys_ngrams_hash(const ys_ngrams *m, uint64_t h)
{
    char num[80];
    int k = snprintf(num, sizeof num, "model %zu %.9g %.9g", m->n, m->bias, m->points);
    h = ys_fnv1a(h, num, (size_t)k + 1);
    for (size_t i = 0; i < m->n; i++) {
        h = ys_fnv1a(h, m->text + m->off[i], m->len[i]);
        h = ys_fnv1a(h, &m->weight[i], sizeof m->weight[i]);
        h = ys_fnv1a(h, &m->idf2[i], sizeof m->idf2[i]);
    }
    return h;
}

/* ---- reading a post ---- */

static int is_word(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.';
}

static int lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Bytes of the white-space character at u[i] (ASCII blanks, U+3000,
 * U+00A0), or 0. */
static size_t space_at(const unsigned char *u, size_t n, size_t i)
{
    unsigned c = u[i];
    if (c == ' ' || (c >= '\t' && c <= '\r'))
        return 1;
    if (c == 0xE3 && i + 2 < n && u[i + 1] == 0x80 && u[i + 2] == 0x80)
        return 3;
    if (c == 0xC2 && i + 1 < n && u[i + 1] == 0xA0)
        return 2;
    return 0;
}

/* The post as the model reads it, in place (it only shrinks): see
 * ys_model_grams. */
static size_t normalize(char *buf, size_t n)
{
    unsigned char *u = (unsigned char *)buf;
    size_t w = 0, i = 0;
    int space = 0;
    while (i < n) {
        size_t k = space_at(u, n, i);
        if (k) {
            if (!space)
                u[w++] = ' ';
            space = 1;
            i += k;
            continue;
        }
        space = 0;
        if (u[i] == '@' && i + 1 < n && is_word(u[i + 1])) {
            u[w++] = '@';
            for (i++; i < n && is_word(u[i]); i++)
                ;
            continue;
        }
        if (u[i] >= 0xC0) { /* a whole character: its continuation bytes start nothing */
            u[w++] = u[i++];
            while (i < n && (u[i] & 0xC0) == 0x80)
                u[w++] = u[i++];
            continue;
        }
        if (!is_word(u[i])) {
            u[w++] = u[i++];
            continue;
        }
        size_t j = i, x = 0;
        int masked = 0;
        for (; j < n && is_word(u[j]); j++) {
            x = lower(u[j]) == 'x' ? x + 1 : 0;
            masked |= x >= 3;
        }
        if (!masked)
            for (size_t q = i; q < j; q++)
                u[w++] = (unsigned char)lower(u[q]);
        else
            space = w > 0 && u[w - 1] == ' '; /* "dm xxxx_a まで": one space */
        i = j;
    }
    return w;
}

/* The post as the model reads it, in buf (3 × len + 4 bytes); its length. */
static size_t reading(const char *text, size_t len, char *buf)
{
    size_t n = ys_fold(text, len, buf, NULL, NULL);
    if (n == YS_FOLD_UNCHANGED) {
        memcpy(buf, text, len);
        n = len;
    }
    return normalize(buf, n);
}

int ys_model_grams(const char *text, size_t len, ys_gram_fn fn, void *ctx)
{
    char *buf = malloc(3 * len + 4);
    if (!buf)
        return YS_ENOMEM;
    size_t n = reading(text, len, buf);
    const unsigned char *u = (const unsigned char *)buf;
    size_t start1 = 0, start2 = 0;
    uint64_t v1 = 0, v2 = 0; /* the previous character's value, and the one before */
    int rc = YS_OK;
    for (size_t i = 0; i < n && rc == YS_OK;) {
        uint32_t v;
        size_t end = i + next_char(u, n, i, &v);
        rc = fn(ctx, gram_key(v), buf + i, end - i);
        if (rc == 0 && v1)
            rc = fn(ctx, gram_key(v1 << 21 | v), buf + start1, end - start1);
        if (rc == 0 && v2)
            rc = fn(ctx, gram_key(v2 << 42 | v1 << 21 | v), buf + start2, end - start2);
        v2 = v1, start2 = start1;
        v1 = v, start1 = i;
        i = end;
    }
    free(buf);
    return rc;
}

/* Adds the gram in slot j (when there is one) to the sums, once a post. */
static inline void count(const ys_ngrams *m, long j, uint32_t *seen, uint32_t gen, double *sum,
                         double *idf2)
{
    if (j >= 0 && seen[j] != gen) {
        seen[j] = gen;
        *sum += m->slot[j].weight;
        *idf2 += m->slot[j].idf2;
    }
}

/* The walk of ys_model_grams, without its calls; and in a suffix-closed
 * model a gram that is absent ends the probes for the longer grams ending
 * at the same character, which saves most of the probes that miss. */
double ys_ngrams_logit(const ys_ngrams *m, const char *text, size_t len, char *buf,
                       uint32_t *seen, uint32_t gen)
{
    size_t n = reading(text, len, buf);
    const unsigned char *u = (const unsigned char *)buf;
    double sum = 0, idf2 = 0;
    uint64_t v1 = 0, v2 = 0; /* the previous character's value, and the one before */
    for (size_t i = 0; i < n;) {
        uint32_t v;
        i += next_char(u, n, i, &v);
        long j = find_slot(m, gram_key(v));
        count(m, j, seen, gen, &sum, &idf2);
        if (v1 && (j >= 0 || !m->suffix_closed)) {
            j = find_slot(m, gram_key(v1 << 21 | v));
            count(m, j, seen, gen, &sum, &idf2);
            if (v2 && (j >= 0 || !m->suffix_closed))
                count(m, find_slot(m, gram_key(v2 << 42 | v1 << 21 | v)), seen, gen, &sum,
                      &idf2);
        }
        v2 = v1;
        v1 = v;
    }
    return m->bias + (idf2 > 0 ? sum / sqrt(idf2) : 0);
}

/* ---- the model file ---- */

static int model_error(ys_error *err, const char *name, unsigned line, const char *what)
{
    return ys_fail(err, YS_ELEXICON, "%s:%u: %s", name, line, what);
}

/* A finite number filling s[0..n); 0 on success. */
static int parse_number(const char *s, size_t n, double *v)
{
    char tmp[64];
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    char *end;
    errno = 0;
    *v = strtod(tmp, &end);
    return *end || errno || !isfinite(*v) ? -1 : 0;
}

int ys_ngrams_parse(ys_ngrams *m, const char *name, const char *data, size_t len,
                    ys_error *err)
{
    const char *p = data, *end = data + len;
    unsigned line = 0;
    int has_bias = 0, has_points = 0;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end;
        const char *s = p;
        p = nl ? nl + 1 : end;
        line++;
        if (e > s && e[-1] == '\r')
            e--;
        size_t n = (size_t)(e - s);
        if (n == 0 || s[0] == '#')
            continue;
        if (ys_utf8_valid_prefix(s, n) < n)
            return model_error(err, name, line, "invalid UTF-8");
        const char *t1 = memchr(s, '\t', n);
        if (!t1)
            return model_error(err, name, line, "want WEIGHT TAB IDF TAB GRAM, or @bias/@points");
        double a, b;
        if (s[0] == '@') {
            size_t kl = (size_t)(t1 - s);
            int bias = kl == 5 && memcmp(s, "@bias", 5) == 0;
            if (!bias && !(kl == 7 && memcmp(s, "@points", 7) == 0))
                return model_error(err, name, line, "unknown directive (want @bias or @points)");
            if (parse_number(t1 + 1, (size_t)(e - t1 - 1), &a) != 0 || (!bias && !(a > 0)))
                return model_error(err, name, line, bias ? "@bias takes a number"
                                                         : "@points takes a number above 0");
            if (bias ? has_bias++ : has_points++)
                return model_error(err, name, line, "directive given twice");
            *(bias ? &m->bias : &m->points) = a;
            continue;
        }
        const char *t2 = memchr(t1 + 1, '\t', (size_t)(e - t1 - 1));
        if (!t2 || parse_number(s, (size_t)(t1 - s), &a) != 0 ||
            parse_number(t1 + 1, (size_t)(t2 - t1 - 1), &b) != 0 || !(b > 0))
            return model_error(err, name, line,
                               "want WEIGHT TAB IDF TAB GRAM (numbers, the idf above 0)");
        const char *g = t2 + 1;
        size_t gl = (size_t)(e - g), chars = ys_utf8_chars(g, gl);
        if (gl == 0 || chars > 3 || memchr(g, '\t', gl))
            return model_error(err, name, line, "a gram is 1 to 3 characters, without TAB");
        if (ys_ngrams_add(m, g, gl, (float)a, (float)(b * b)) != YS_OK)
            return ys_fail(err, YS_ENOMEM, "out of memory");
    }
    if (!has_points)
        return ys_fail(err, YS_ELEXICON, "%s: no @points line", name);
    size_t dup = 0;
    int rc = ys_ngrams_index(m, &dup);
    if (rc == YS_ENOMEM)
        return ys_fail(err, rc, "out of memory");
    if (rc != YS_OK) /* the parser let through only grams of 1 to 3 characters */
        return ys_fail(err, rc, "%s: gram '%.*s' given twice", name, (int)m->len[dup],
                       m->text + m->off[dup]);
    return YS_OK;
}
