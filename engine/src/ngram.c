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

/* ---- the lookup ---- */

#define VALUE_PAGES ((0x110100u >> 8) + 1) /* values reach 0x110001 + 0xFF */

/* The id of the character with this value, 0 when no gram has it. */
static inline uint32_t char_id(const ys_ngrams *m, uint32_t v)
{
    return m->ids[(size_t)m->page[v >> 8] << 8 | (v & 255)];
}

/* The home slot of a key in a table of 2^(64 - shift): Fibonacci
 * hashing, whose one multiply costs less than a mix. */
static inline size_t home(uint32_t key, unsigned shift)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> shift);
}

/* The slot of key in t, probing from slot j; the empty slot past the end
 * (mask + 1) when it is absent, or when j is that slot. */
static inline size_t probe(const uint32_t *t, uint32_t mask, size_t j, uint32_t key)
{
    uint32_t first = t[j];
    if (__builtin_expect(first == key || first == 0, 1)) /* one branch, mostly taken */
        return first == key && key ? j : (size_t)mask + 1;
    for (j = (j + 1) & mask; t[j]; j = (j + 1) & mask)
        if (t[j] == key)
            return j;
    return (size_t)mask + 1;
}

/* A table of keys, a quarter full at most (probes then mostly read one
 * slot, and a slot is 4 bytes), with the empty slot past its end, or
 * NULL; its mask and shift. */
static uint32_t *new_table(size_t n, uint32_t *mask, unsigned *shift)
{
    unsigned bits = 4;
    while (((size_t)1 << bits) < 4 * n)
        bits++;
    if (bits > 30)
        return NULL;
    *mask = (uint32_t)((1u << bits) - 1);
    *shift = 64 - bits;
    return calloc(((size_t)1 << bits) + 1, sizeof(uint32_t));
}

/* Puts key into t unless it is there; 1 if it was put. */
static int put(uint32_t *t, uint32_t mask, unsigned shift, uint32_t key)
{
    size_t j = home(key, shift);
    for (; t[j]; j = (j + 1) & mask)
        if (t[j] == key)
            return 0;
    t[j] = key;
    return 1;
}

static void free_lookup(ys_ngrams *m)
{
    free(m->page);
    free(m->ids);
    free(m->two);
    free(m->three);
    free(m->wq);
    m->page = m->ids = NULL;
    m->two = m->three = NULL;
    m->wq = NULL;
    m->nchars = 0;
    m->nbits = 0;
}

/* Gives every character of every gram an id (val: each gram's character
 * values, nval: how many); YS_ENOMEM, or YS_ELEXICON past 65,535. */
static int number_chars(ys_ngrams *m, uint32_t (*val)[3], const unsigned char *nval)
{
    size_t npages = 1; /* page 0: no character */
    m->page = calloc(VALUE_PAGES, sizeof *m->page);
    m->ids = calloc(256, sizeof *m->ids);
    if (!m->page || !m->ids)
        return YS_ENOMEM;
    for (size_t i = 0; i < m->n; i++)
        for (int c = 0; c < nval[i]; c++) {
            uint32_t v = val[i][c];
            if (!m->page[v >> 8]) { /* at most VALUE_PAGES: a uint16_t */
                if (!ys_grow(&m->ids, (npages + 1) * 256, sizeof *m->ids))
                    return YS_ENOMEM;
                memset(m->ids + npages * 256, 0, 256 * sizeof *m->ids);
                m->page[v >> 8] = (uint16_t)npages++;
            }
            uint16_t *id = &m->ids[(size_t)m->page[v >> 8] << 8 | (v & 255)];
            if (!*id) {
                if (m->nchars == 65535)
                    return YS_ELEXICON;
                *id = (uint16_t)++m->nchars;
            }
        }
    return YS_OK;
}

/* The keys of `two` in a table sized for `n`: before `three` is built, as
 * its keys name `two`'s slots; YS_ENOMEM, or YS_ELEXICON when too large. */
static int regrow_two(ys_ngrams *m, size_t n)
{
    uint32_t mask;
    unsigned shift;
    uint32_t *t = new_table(n, &mask, &shift), *old = m->two;
    if (!t)
        return n >= (size_t)1 << 27 ? YS_ELEXICON : YS_ENOMEM;
    for (size_t j = 0; j <= m->mask2; j++)
        if (old[j])
            put(t, mask, shift, old[j]);
    free(old);
    m->two = t, m->mask2 = mask, m->shift2 = shift;
    return YS_OK;
}

/* Gram i's bit (ys_gram_scratch), its characters' values given. */
static size_t bit_of(const ys_ngrams *m, const uint32_t v[3], int n)
{
    uint32_t n1 = m->nchars + 1, last = char_id(m, v[n - 1]);
    if (n == 1)
        return last;
    uint32_t key2 = last * n1 + char_id(m, v[n - 2]);
    size_t j = probe(m->two, m->mask2, home(key2, m->shift2), key2);
    if (n == 2)
        return n1 + j;
    uint32_t key3 = (uint32_t)j * n1 + char_id(m, v[0]);
    return n1 + (size_t)m->mask2 + 2 + probe(m->three, m->mask3, home(key3, m->shift3), key3);
}

static int build_lookup(ys_ngrams *m, uint32_t (*val)[3], const unsigned char *nval,
                        size_t *dup)
{
    int rc = number_chars(m, val, nval);
    if (rc != YS_OK)
        return rc;
    uint32_t n1 = m->nchars + 1;
    size_t count[4] = {0};
    for (size_t i = 0; i < m->n; i++)
        count[nval[i]]++;
    /* `two`: every 2-gram, and every 3-gram's last two characters */
    size_t used2 = 0;
    if (!(m->two = new_table(count[2], &m->mask2, &m->shift2)))
        return YS_ENOMEM;
    for (int len = 2; len <= 3; len++)
        for (size_t i = 0; i < m->n; i++) {
            if (nval[i] != len)
                continue;
            if (4 * (used2 + 1) > (size_t)m->mask2 + 1 &&
                (rc = regrow_two(m, used2 + 1 + count[3])) != YS_OK)
                return rc;
            used2 += put(m->two, m->mask2, m->shift2,
                         char_id(m, val[i][len - 1]) * n1 + char_id(m, val[i][len - 2]));
        }
    if (((uint64_t)m->mask2 + 2) * n1 > UINT32_MAX) /* the 3-gram keys, the empty slot's too */
        return YS_ELEXICON;
    if (!(m->three = new_table(count[3], &m->mask3, &m->shift3)))
        return YS_ENOMEM;
    for (size_t i = 0; i < m->n; i++)
        if (nval[i] == 3) {
            uint32_t key2 = char_id(m, val[i][2]) * n1 + char_id(m, val[i][1]);
            size_t j = probe(m->two, m->mask2, home(key2, m->shift2), key2);
            put(m->three, m->mask3, m->shift3, (uint32_t)j * n1 + char_id(m, val[i][0]));
        }
    m->nbits = n1 + (size_t)m->mask2 + 2 + (size_t)m->mask3 + 2;
    unsigned char *has = calloc(m->nbits, 1);
    m->wq = calloc(m->nbits, sizeof *m->wq);
    if (!has || !m->wq) {
        free(has);
        return YS_ENOMEM;
    }
    for (size_t i = 0; i < m->n; i++) {
        size_t b = bit_of(m, val[i], nval[i]);
        if (has[b]++) {
            *dup = i;
            free(has);
            return YS_ELEXICON;
        }
        m->wq[b].weight = m->weight[i];
        m->wq[b].idf2 = m->idf2[i];
    }
    free(has);
    return YS_OK;
}

int ys_ngrams_index(ys_ngrams *m, size_t *dup)
{
    free_lookup(m);
    *dup = (size_t)-1;
    uint32_t (*val)[3] = malloc((m->n ? m->n : 1) * sizeof *val);
    unsigned char *nval = malloc(m->n ? m->n : 1);
    int rc = val && nval ? YS_OK : YS_ENOMEM;
    for (size_t i = 0; i < m->n && rc == YS_OK; i++) { /* each gram's characters, once */
        const unsigned char *g = (const unsigned char *)m->text + m->off[i];
        int k = 0;
        for (size_t b = 0; b < m->len[i] && k < 3; k++)
            b += next_char(g, m->len[i], b, &val[i][k]);
        nval[i] = (unsigned char)k;
    }
    if (rc == YS_OK)
        rc = build_lookup(m, val, nval, dup);
    free(val);
    free(nval);
    if (rc != YS_OK)
        free_lookup(m);
    return rc;
}

void ys_ngrams_free(ys_ngrams *m)
{
    free(m->text);
    free(m->off);
    free(m->len);
    free(m->weight);
    free(m->idf2);
    free_lookup(m);
    memset(m, 0, sizeof *m);
}

uint64_t ys_ngrams_source(const char *data, size_t len) { return ys_checksum(data, len) | 1; }

uint64_t ys_ngrams_hash(const ys_ngrams *m, uint64_t h)
{
    if (m->source) { /* read from a file: its bytes, which cost no parsing to hash */
        h = ys_fnv1a(h, "model file", 11);
        return ys_fnv1a(h, &m->source, sizeof m->source);
    }
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
static inline size_t space_at(const unsigned char *u, size_t n, size_t i)
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

#define SPACE ((uint32_t)' ' + 1) /* its value (next_char) */

/* The post as the model reads it (ys_model_grams), a character at a time:
 * white space, @handles and masked words are dealt with as they come, so
 * that the text is read once, not rewritten and read again. */
typedef struct {
    const unsigned char *u;
    size_t n, i;
    size_t word_end; /* inside a Latin word that is kept: its end */
    uint32_t last;   /* the value given last, 0 before the first */
} reader;

/* Starts reading t[0..n), a post as ys_fold gives it. */
static void start_at(reader *r, const char *t, size_t n)
{
    r->u = (const unsigned char *)t;
    r->n = n;
    r->i = r->word_end = 0;
    r->last = 0;
}

/* Starts reading text[0..len), folded into buf (3 × len + 4 bytes). */
static void start(reader *r, const char *text, size_t len, char *buf)
{
    size_t n = ys_fold(text, len, buf, NULL, NULL);
    if (n == YS_FOLD_UNCHANGED)
        start_at(r, text, len);
    else
        start_at(r, buf, n);
}

/* The next character's value (next_char), or 0 at the end. Inlined, so
 * that the reader's state stays in registers. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((always_inline))
#endif
static inline uint32_t read_char(reader *r)
{
    const unsigned char *u = r->u;
    size_t n = r->n;
    for (;;) {
        size_t i = r->i;
        if (i < r->word_end) {
            r->i = i + 1;
            return r->last = (uint32_t)lower(u[i]) + 1;
        }
        if (i >= n)
            return 0;
        unsigned c = u[i];
        if (c - 0xE1u < 0xF && c != 0xED && i + 2 < n && (u[i + 1] & 0xC0) == 0x80 &&
            (u[i + 2] & 0xC0) == 0x80) { /* most of Japanese text: U+1000..U+FFFF */
            uint32_t cp = (c & 0x0Fu) << 12 | (u[i + 1] & 0x3Fu) << 6 | (u[i + 2] & 0x3Fu);
            r->i = i + 3;
            if (cp != 0x3000)
                return r->last = cp + 1;
            if (r->last != SPACE)
                return r->last = SPACE;
            continue;
        }
        size_t k = space_at(u, n, i);
        if (k) { /* a run of white space: one space */
            r->i = i + k;
            if (r->last != SPACE)
                return r->last = SPACE;
            continue;
        }
        if (c >= 0x80) {
            uint32_t v;
            r->i = i + next_char(u, n, i, &v);
            return r->last = v;
        }
        if (c == '@' && i + 1 < n && is_word(u[i + 1])) { /* @handle: "@" */
            for (i++; i < n && is_word(u[i]); i++)
                ;
            r->i = i;
            return r->last = '@' + 1;
        }
        if (!is_word(c)) {
            r->i = i + 1;
            return r->last = c + 1;
        }
        size_t j = i, x = 0;
        int masked = 0;
        for (; j < n && is_word(u[j]); j++) {
            x = lower(u[j]) == 'x' ? x + 1 : 0;
            masked |= x >= 3;
        }
        if (masked) { /* left out: "dm xxxx_a まで" reads "dm まで" */
            r->i = j;
            continue;
        }
        r->word_end = j;
        r->i = i + 1;
        return r->last = (uint32_t)lower(c) + 1;
    }
}

/* The bytes of the character with value v (next_char) in out; their number. */
static size_t value_bytes(uint32_t v, char *out)
{
    return ys_utf8_encode(v > 0x110000 ? 0x80000000u | (v - 0x110001) : v - 1,
                          (unsigned char *)out);
}

int ys_model_grams(const char *text, size_t len, ys_gram_fn fn, void *ctx)
{
    char *buf = malloc(3 * len + 4);
    if (!buf)
        return YS_ENOMEM;
    reader r;
    start(&r, text, len, buf);
    char g[12]; /* the character before the previous, the previous, this one */
    size_t l1 = 0, l2 = 0; /* the bytes of the previous two */
    uint64_t v1 = 0, v2 = 0;
    int rc = YS_OK;
    for (uint32_t v; rc == YS_OK && (v = read_char(&r)) != 0;) {
        size_t k = value_bytes(v, g + l2 + l1);
        rc = fn(ctx, gram_key(v), g + l2 + l1, k);
        if (rc == 0 && v1)
            rc = fn(ctx, gram_key(v1 << 21 | v), g + l2, l1 + k);
        if (rc == 0 && v2)
            rc = fn(ctx, gram_key(v2 << 42 | v1 << 21 | v), g, l2 + l1 + k);
        memmove(g, g + l2, l1 + k);
        l2 = l1, l1 = k;
        v2 = v1, v1 = v;
    }
    free(buf);
    return rc;
}

int ys_gram_scratch_init(ys_gram_scratch *s, const ys_ngrams *m)
{
    memset(s, 0, sizeof *s);
    s->bits = calloc((m->nbits + 63) / 64 + 1, sizeof *s->bits);
    return s->bits ? YS_OK : YS_ENOMEM;
}

void ys_gram_scratch_free(ys_gram_scratch *s)
{
    free(s->buf);
    free(s->set);
    free(s->bits);
    memset(s, 0, sizeof *s);
}

/* Marks bit b in bits, and lists it in set when it is new to the post:
 * without a branch, as whether a post has seen a gram is as hard to
 * predict as a coin. */
static inline size_t mark(uint64_t *bits, uint32_t *set, size_t nset, size_t b)
{
    uint64_t *word = &bits[b >> 6], bit = (uint64_t)1 << (b & 63);
    size_t fresh = !(*word & bit);
    *word |= bit;
    set[nset] = (uint32_t)b;
    return nset + fresh;
}

int ys_ngrams_logit(const ys_ngrams *m, const char *text, size_t len, const char *folded,
                    size_t flen, ys_gram_scratch *s, double *z)
{
    reader r;
    if (folded) {
        start_at(&r, folded, flen);
    } else {
        if (3 * len + 4 > s->capbuf) {
            size_t cap = 3 * len + 4 > 2 * s->capbuf ? 3 * len + 4 : 2 * s->capbuf;
            if (!ys_grow(&s->buf, cap, 1))
                return YS_ENOMEM;
            s->capbuf = cap;
        }
        start(&r, text, len, s->buf);
    }
    size_t n = r.n;
    if (3 * n + 3 > s->capset) { /* a post has at most 3 grams a character */
        size_t cap = 3 * n + 3 > 2 * s->capset ? 3 * n + 3 : 2 * s->capset;
        if (!ys_grow(&s->set, cap, sizeof *s->set))
            return YS_ENOMEM;
        s->capset = cap;
    }
    /* Every character probes both tables, without a branch on what it
     * finds: a character no gram has is id 0 (weight 0), a 2-gram key with
     * id 0 in it is no 2-gram's, and a 3-gram whose last two characters are
     * no 2-gram reads the empty slot past `three`. The weights are summed
     * after, in the order the grams came, from the list of those marked.
     * The model's fields are copied into locals: stores through `bits` and
     * `set` would otherwise make the compiler load them again. */
    const uint32_t n1 = m->nchars + 1, mask2 = m->mask2, mask3 = m->mask3;
    const unsigned shift2 = m->shift2, shift3 = m->shift3;
    const size_t base3 = n1 + (size_t)mask2 + 2;
    const uint32_t *two = m->two, *three = m->three;
    const uint16_t *page = m->page, *ids = m->ids;
    uint64_t *bits = s->bits;
    uint32_t *set = s->set;
    size_t nset = 0;
    uint32_t a1 = 0, a2 = 0; /* the ids of the previous character and the one before */
    for (uint32_t v; (v = read_char(&r)) != 0;) {
        uint32_t id = ids[(size_t)page[v >> 8] << 8 | (v & 255)], key2 = id * n1 + a1;
        nset = mark(bits, set, nset, id);
        size_t j = probe(two, mask2, home(key2, shift2), key2);
        nset = mark(bits, set, nset, n1 + j);
        uint32_t key3 = (uint32_t)j * n1 + a2;
        nset = mark(bits, set, nset,
                    base3 + probe(three, mask3, j > mask2 ? mask3 + 1 : home(key3, shift3), key3));
        a2 = a1;
        a1 = id;
    }
    const struct ys_gram_weight *wq = m->wq;
    double sum = 0, idf2 = 0;
    for (size_t i = 0; i < nset; i++) {
        sum += wq[set[i]].weight;
        idf2 += wq[set[i]].idf2;
        bits[set[i] >> 6] = 0;
    }
    *z = m->bias + (idf2 > 0 ? sum / sqrt(idf2) : 0);
    return YS_OK;
}

/* ---- the model file ---- */

static int model_error(ys_error *err, const char *name, unsigned line, const char *what)
{
    return ys_fail(err, YS_ELEXICON, "%s:%u: %s", name, line, what);
}

/* A plain decimal (-ddd.ddd, at most 15 digits) in s[0..n): the digits as
 * an integer divided by a power of ten, both exact in a double, so that
 * the one rounding is strtod's (Clinger's fast path). A model holds two
 * numbers a gram: strtod was half of loading the bundled model (measured
 * with callgrind: 70 of 141 million instructions). 0, or -1 when s is
 * not such a decimal. */
static int plain_decimal(const char *s, size_t n, double *v)
{
    static const double ten[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
                                 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    size_t i = s[0] == '-', digits = 0, frac = 0;
    int dot = 0;
    uint64_t mant = 0;
    for (; i < n; i++) {
        if (s[i] == '.' && !dot) {
            dot = 1;
            continue;
        }
        if (s[i] < '0' || s[i] > '9' || ++digits > 15)
            return -1;
        mant = mant * 10 + (uint64_t)(s[i] - '0');
        frac += (size_t)dot;
    }
    if (!digits)
        return -1;
    double x = (double)mant / ten[frac];
    *v = s[0] == '-' ? -x : x;
    return 0;
}

/* A finite number filling s[0..n); 0 on success. */
static int parse_number(const char *s, size_t n, double *v)
{
    if (n > 0 && plain_decimal(s, n, v) == 0)
        return 0;
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
    if (rc != YS_OK && dup == (size_t)-1)
        return ys_fail(err, rc, "%s: too large for the model's lookup (%zu grams; at most "
                       "65,535 distinct characters)", name, m->n);
    if (rc != YS_OK)
        return ys_fail(err, rc, "%s: gram '%.*s' given twice", name, (int)m->len[dup],
                       m->text + m->off[dup]);
    m->source = ys_ngrams_source(data, len);
    return YS_OK;
}
