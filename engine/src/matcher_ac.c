/* The Aho-Corasick engine: a character-wise automaton in a double array.
 *
 * Characters, not bytes: the text is decoded from UTF-8 as it is scanned,
 * and each character is mapped to a dense code (1, 2, … in order of
 * frequency in the spellings; 0 for every character no spelling has). A
 * Japanese character is one transition instead of three, and a character
 * of code 0 sends the scan straight back to the root with no failure
 * chain to follow, which is what most characters of ordinary text do
 * (the approach of daachorse's charwise automaton). Bytes that are not
 * valid UTF-8 are characters of their own that no spelling has (spellings
 * must be valid UTF-8), and since a lead byte always starts a character,
 * matches are exactly those of a byte-level search.
 *
 * State s's child on code c is t = node[s].base + c if node[t].check == s
 * (the double-array trie of Aoe, 1989), so a transition is one addition and
 * one compare inside a 16-byte node that also holds the failure link and
 * the output list, and the whole automaton is a few flat read-only arrays
 * that threads share.
 *
 * Building: the spellings, as code strings, are sorted, and the trie is
 * laid out breadth first straight from the sorted ranges (a node's children
 * are the distinct codes at its depth within its range), so no pointer trie
 * is built first. Failure links are computed as nodes are placed: a node's
 * failure target is shallower, so it was placed earlier.
 *
 * Case: ASCII letters are lowered in the text and in every spelling; a
 * case-sensitive spelling with letters keeps its original bytes, and its
 * matches are checked against them (rare: the lexicon's `exact` terms).
 *
 * Output: node.out is the head of a list of (id, next) records that runs
 * through the node's own spellings and then its failure target's list, so
 * each node reports every spelling that ends there. Records only point to
 * earlier records, which the loader checks. */
#include "matcher.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define AC_MAGIC "YSAC\2\0\0\0"
/* Characters: code points, then 0x110000 + b for a byte b that is not
 * valid UTF-8. */
#define NCHARS 0x110100u
#define NONE (-1)
/* A free position that failed this many placements is no longer tried:
 * keeps placement linear when the array's front is crowded. */
#define MAX_TRIES 16

typedef struct {
    int32_t base;  /* children at base + byte */
    int32_t check; /* parent state, NONE for a free position */
    uint32_t fail; /* longest proper suffix that is a state */
    uint32_t out;  /* first output record, 0: none */
} ac_node;

typedef struct {
    uint32_t id;
    uint32_t next;       /* earlier record, 0 ends the list */
    uint32_t voff, vlen; /* vlen > 0: the bytes to compare, case-sensitive */
} ac_out;

struct ys_matcher {
    /* code of character ch: block[top[ch >> 8] * 256 + (ch & 255)]; block 0
     * is all zeros, for the ranges no spelling uses */
    uint16_t *top;    /* NCHARS / 256 entries */
    uint32_t *block;
    size_t nblocks;
    uint32_t ncodes;  /* codes are 0 .. ncodes - 1 */
    ac_node *node;
    size_t nnodes;    /* ≥ every base + ncodes */
    ac_out *out;   /* out[0] is unused */
    size_t nout;
    char *pool; /* case-sensitive spellings */
    size_t npool;
};

/* ASCII letters lowered, every other byte as it is. */
static inline unsigned lower(unsigned c) { return c + ((c - 'A' < 26u) << 5); }

/* The character at s[0..len) (len ≥ 1) and its length in bytes: a code
 * point with ASCII lowered, or 0x110000 + s[0] and 1 if s does not start
 * with valid UTF-8 (strict: no overlong forms, surrogates or values past
 * U+10FFFF; the same rules as ys_utf8_valid_prefix). */
static inline uint32_t next_char(const unsigned char *s, size_t len, size_t *n)
{
    unsigned c = s[0];
    if (c < 0x80) {
        *n = 1;
        return lower(c);
    }
    /* Japanese: three bytes, E1..EC or EE..EF (no range checks beyond
     * the continuation bytes), before the general case. */
    if (len >= 3 && c - 0xE1 < 12 && c != 0xED && ((s[1] ^ 0x80) | (s[2] ^ 0x80)) < 0x40) {
        *n = 3;
        return (uint32_t)(c & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
    }
    unsigned lo = 0x80, hi = 0xBF;
    size_t k;
    uint32_t ch;
    if (c >= 0xE0 && c <= 0xEF) {
        k = 3, ch = c & 0x0F;
        lo = c == 0xE0 ? 0xA0 : lo;
        hi = c == 0xED ? 0x9F : hi;
    } else if (c >= 0xC2 && c <= 0xDF) {
        k = 2, ch = c & 0x1F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4, ch = c & 0x07;
        lo = c == 0xF0 ? 0x90 : lo;
        hi = c == 0xF4 ? 0x8F : hi;
    } else {
        goto invalid;
    }
    if (len < k || s[1] < lo || s[1] > hi)
        goto invalid;
    ch = ch << 6 | (s[1] & 0x3F);
    for (size_t j = 2; j < k; j++) {
        if ((s[j] & 0xC0) != 0x80)
            goto invalid;
        ch = ch << 6 | (s[j] & 0x3F);
    }
    *n = k;
    return ch;
invalid:
    *n = 1;
    return 0x110000u + c;
}

static inline uint32_t lookup(const uint16_t *top, const uint32_t *block, uint32_t ch)
{
    return block[(size_t)top[ch >> 8] << 8 | (ch & 255)];
}

static inline uint32_t code_of(const ys_matcher *m, uint32_t ch)
{
    return lookup(m->top, m->block, ch);
}

static int has_letter(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)s[i]) - 'a' < 26u)
            return 1;
    return 0;
}

static void ac_free(ys_matcher *m)
{
    if (!m)
        return;
    free(m->top);
    free(m->block);
    free(m->node);
    free(m->out);
    free(m->pool);
    free(m);
}

/* ---- building ---- */

/* A spelling as codes, its length in bytes, and its index in ys_exprs. */
typedef struct {
    uint32_t *s;
    size_t n, bytes, idx;
} key;

typedef struct {
    ys_matcher *m;
    size_t capnodes, capout;
    /* free positions not yet given up on, as a doubly linked list */
    int32_t *fnext, *fprev, head, tail;
    uint8_t *tries;
    key *keys; /* sorted */
    const ys_exprs *e;
    uint32_t *label; /* ncodes each: a node's child codes and key ranges */
    size_t *lo_of, *hi_of;
} builder;

/* Extends the array to at least n positions; new positions are free. */
static int extend(builder *b, size_t n)
{
    ys_matcher *m = b->m;
    if (n <= m->nnodes)
        return YS_OK;
    if (n > INT32_MAX - 512)
        return YS_ENOMEM;
    if (n > b->capnodes) {
        size_t cap = b->capnodes ? b->capnodes : 1024;
        while (cap < n)
            cap *= 2;
        if (!ys_grow(&m->node, cap, sizeof *m->node) || !ys_grow(&b->fnext, cap, 4) ||
            !ys_grow(&b->fprev, cap, 4) || !ys_grow(&b->tries, cap, 1))
            return YS_ENOMEM;
        b->capnodes = cap;
    }
    /* Append the new positions to the free list (not 0: the root's). */
    for (size_t p = m->nnodes; p < n; p++) {
        m->node[p] = (ac_node){0, NONE, 0, 0};
        b->tries[p] = 0;
        if (p == 0)
            continue;
        b->fprev[p] = b->tail;
        b->fnext[p] = NONE;
        if (b->tail == NONE)
            b->head = (int32_t)p;
        else
            b->fnext[b->tail] = (int32_t)p;
        b->tail = (int32_t)p;
    }
    m->nnodes = n;
    return YS_OK;
}

static void unlink_free(builder *b, int32_t p)
{
    int32_t prev = b->fprev[p], next = b->fnext[p];
    if (prev == NONE)
        b->head = next;
    else
        b->fnext[prev] = next;
    if (next == NONE)
        b->tail = prev;
    else
        b->fprev[next] = prev;
}

/* A base at which every label (ascending) lands on a free position. */
static int find_base(builder *b, const uint32_t *label, size_t n, int32_t *out)
{
    for (int32_t p = b->head;; p = b->fnext[p]) {
        if (p == NONE) { /* nothing fits: more room, and on from the new part */
            int32_t tail = b->tail;
            if (extend(b, b->m->nnodes + 1024))
                return YS_ENOMEM;
            p = tail == NONE ? b->head : b->fnext[tail];
        }
        int32_t base = p - (int32_t)label[0];
        if (base >= 1) {
            size_t need = (size_t)base + b->m->ncodes;
            if (need > b->m->nnodes && extend(b, need))
                return YS_ENOMEM;
            size_t k = 1;
            while (k < n && b->m->node[base + label[k]].check == NONE)
                k++;
            if (k == n) {
                *out = base;
                return YS_OK;
            }
        }
        if (++b->tries[p] >= MAX_TRIES)
            unlink_free(b, p); /* its fnext stays valid for this loop */
    }
}

static int add_out(builder *b, uint32_t id, uint32_t next, uint32_t voff, uint32_t vlen)
{
    ys_matcher *m = b->m;
    if (m->nout == b->capout) {
        size_t cap = b->capout * 2;
        if (cap > UINT32_MAX || !ys_grow(&m->out, cap, sizeof *m->out))
            return YS_ENOMEM;
        b->capout = cap;
    }
    m->out[m->nout] = (ac_out){id, next, voff, vlen};
    m->nout++;
    return YS_OK;
}

static int key_order(const void *x, const void *y)
{
    const key *a = x, *b = y;
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t i = 0; i < n; i++)
        if (a->s[i] != b->s[i])
            return a->s[i] < b->s[i] ? -1 : 1;
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* A node waiting to be expanded: its position, depth and range of keys. */
typedef struct {
    int32_t pos;
    uint32_t depth;
    size_t lo, hi;
} item;

/* The output records of node `it` (keys of its range that end at its
 * depth), chained onto its failure target's list. */
static int add_outputs(builder *b, const item *it)
{
    ys_matcher *m = b->m;
    ac_node *nd = &m->node[it->pos];
    uint32_t head = it->pos ? m->node[nd->fail].out : 0;
    for (size_t k = it->lo; k < it->hi && b->keys[k].n == it->depth; k++) {
        size_t i = b->keys[k].idx;
        const ys_exprs *e = b->e;
        uint32_t voff = 0, vlen = 0;
        if (!e->caseless[i] && has_letter(e->expr[i], e->len[i])) {
            voff = (uint32_t)m->npool;
            vlen = (uint32_t)e->len[i];
            if (!ys_grow(&m->pool, m->npool + vlen, 1))
                return YS_ENOMEM;
            memcpy(m->pool + m->npool, e->expr[i], vlen);
            m->npool += vlen;
        }
        if (add_out(b, e->ids[i], head, voff, vlen))
            return YS_ENOMEM;
        head = (uint32_t)(m->nout - 1);
    }
    m->node[it->pos].out = head;
    return YS_OK;
}

/* Child of s on code c, or -1. */
static int64_t child(const ys_matcher *m, uint32_t s, uint32_t c)
{
    int64_t t = (int64_t)m->node[s].base + c;
    return t < (int64_t)m->nnodes && m->node[t].check == (int32_t)s ? t : -1;
}

/* Places the children of `it` and queues them. */
static int expand(builder *b, const item *it, item **queue, size_t *qn, size_t *qcap)
{
    ys_matcher *m = b->m;
    uint32_t *label = b->label;
    size_t *lo_of = b->lo_of, *hi_of = b->hi_of, n = 0;
    size_t k = it->lo;
    while (k < it->hi && b->keys[k].n == it->depth)
        k++;
    while (k < it->hi) {
        uint32_t c = b->keys[k].s[it->depth];
        label[n] = c;
        lo_of[n] = k;
        while (k < it->hi && b->keys[k].s[it->depth] == c)
            k++;
        hi_of[n++] = k;
    }
    if (n == 0)
        return YS_OK;
    int32_t base;
    if (find_base(b, label, n, &base))
        return YS_ENOMEM;
    m->node[it->pos].base = base;
    if (*qn + n > *qcap) {
        size_t cap = 2 * *qcap + n;
        if (!ys_grow(queue, cap, sizeof **queue))
            return YS_ENOMEM;
        *qcap = cap;
    }
    for (size_t j = 0; j < n; j++) {
        int32_t t = base + label[j];
        if (b->tries[t] < MAX_TRIES)
            unlink_free(b, t);
        m->node[t].check = it->pos;
        (*queue)[(*qn)++] = (item){t, it->depth + 1, lo_of[j], hi_of[j]};
    }
    /* Failure links of the new children. */
    for (size_t j = 0; j < n; j++) {
        int32_t t = base + label[j];
        uint32_t f = m->node[it->pos].fail;
        int64_t g = -1;
        if (it->pos != 0) {
            while ((g = child(m, f, label[j])) < 0 && f != 0)
                f = m->node[f].fail;
        }
        m->node[t].fail = g < 0 ? 0 : (uint32_t)g;
    }
    return YS_OK;
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return (a > b) - (a < b);
}

/* (count, character) pairs, most frequent first. */
static int by_count(const void *x, const void *y)
{
    const uint32_t *a = x, *b = y;
    if (a[0] != b[0])
        return a[0] > b[0] ? -1 : 1;
    return (a[1] > b[1]) - (a[1] < b[1]);
}

/* Codes 1, 2, … for the keys' characters, most frequent first (frequent
 * characters get small codes, so that nodes' children pack densely), and
 * the two-level table that maps characters to them. */
static int make_alphabet(ys_matcher *m, const key *keys, size_t nkeys)
{
    size_t total = 0;
    for (size_t i = 0; i < nkeys; i++)
        total += keys[i].n;
    uint32_t *all = malloc((total ? total : 1) * sizeof *all);
    uint32_t *pair = malloc((total ? total : 1) * 2 * sizeof *pair);
    int rc = YS_ENOMEM;
    if (!all || !pair)
        goto done;
    for (size_t i = 0, k = 0; i < nkeys; i++)
        for (size_t j = 0; j < keys[i].n; j++)
            all[k++] = keys[i].s[j];
    qsort(all, total, sizeof *all, cmp_u32);
    size_t distinct = 0;
    for (size_t i = 0; i < total;) {
        size_t j = i;
        while (j < total && all[j] == all[i])
            j++;
        pair[2 * distinct] = (uint32_t)(j - i);
        pair[2 * distinct++ + 1] = all[i];
        i = j;
    }
    qsort(pair, distinct, 2 * sizeof *pair, by_count);
    m->ncodes = (uint32_t)distinct + 1;
    m->top = calloc(NCHARS >> 8, sizeof *m->top);
    m->block = calloc(256, sizeof *m->block);
    m->nblocks = 1;
    if (!m->top || !m->block)
        goto done;
    for (size_t i = 0; i < distinct; i++) {
        uint32_t ch = pair[2 * i + 1];
        if (!m->top[ch >> 8]) {
            if (!ys_grow(&m->block, (m->nblocks + 1) * 256, sizeof *m->block))
                goto done;
            memset(m->block + m->nblocks * 256, 0, 256 * sizeof *m->block);
            m->top[ch >> 8] = (uint16_t)m->nblocks++;
        }
        m->block[(size_t)m->top[ch >> 8] << 8 | (ch & 255)] = (uint32_t)i + 1;
    }
    rc = YS_OK;
done:
    free(all);
    free(pair);
    return rc;
}

static int ac_compile_literals(const ys_exprs *e, ys_matcher **out, long *bad, ys_error *err)
{
    *bad = -1;
    *out = NULL;
    builder b = {0};
    b.e = e;
    b.head = b.tail = NONE;
    int rc = YS_OK;
    item *queue = NULL;
    size_t qn = 0, qcap = 0;
    b.m = calloc(1, sizeof *b.m);
    b.keys = calloc(e->n ? e->n : 1, sizeof *b.keys);
    if (!b.m || !b.keys)
        goto oom;
    for (size_t i = 0; i < e->n; i++) {
        const unsigned char *t = (const unsigned char *)e->expr[i];
        if (e->len[i] == 0 || e->len[i] > UINT32_MAX / 2) {
            *bad = (long)i;
            rc = ys_fail(err, YS_ECOMPILE, "empty or too long literal");
            goto done;
        }
        if (!(b.keys[i].s = malloc(e->len[i] * sizeof *b.keys[i].s)))
            goto oom;
        size_t n = 0;
        for (size_t j = 0, step; j < e->len[i]; j += step) {
            uint32_t ch = next_char(t + j, e->len[i] - j, &step);
            if (ch >= 0x110000u) {
                *bad = (long)i;
                rc = ys_fail(err, YS_ECOMPILE, "not valid UTF-8 at byte %zu", j + 1);
                goto done;
            }
            b.keys[i].s[n++] = ch;
        }
        b.keys[i] = (key){b.keys[i].s, n, e->len[i], i};
    }
    if (make_alphabet(b.m, b.keys, e->n) != YS_OK)
        goto oom;
    for (size_t i = 0; i < e->n; i++)
        for (size_t j = 0; j < b.keys[i].n; j++)
            b.keys[i].s[j] = code_of(b.m, b.keys[i].s[j]);
    if (!(b.label = malloc(b.m->ncodes * sizeof *b.label)) ||
        !(b.lo_of = malloc(b.m->ncodes * sizeof *b.lo_of)) ||
        !(b.hi_of = malloc(b.m->ncodes * sizeof *b.hi_of)))
        goto oom;
    qsort(b.keys, e->n, sizeof *b.keys, key_order);
    b.capout = 1024;
    if (!(b.m->out = malloc(b.capout * sizeof *b.m->out)))
        goto oom;
    b.m->nout = 1; /* record 0 ends lists */
    b.m->out[0] = (ac_out){0, 0, 0, 0};
    if (extend(&b, b.m->ncodes + 1))
        goto oom;
    b.m->node[0].check = NONE; /* the root is nobody's child */
    if (!ys_grow(&queue, qcap = 1024, sizeof *queue))
        goto oom;
    queue[qn++] = (item){0, 0, 0, e->n};
    /* Breadth first: a node's failure target is expanded before it. */
    for (size_t q = 0; q < qn; q++) {
        item it = queue[q];
        if (add_outputs(&b, &it) || expand(&b, &it, &queue, &qn, &qcap))
            goto oom;
    }
    *out = b.m;
    b.m = NULL;
    goto done;
oom:
    rc = ys_fail(err, YS_ENOMEM, "out of memory building the Aho-Corasick automaton");
done:
    ac_free(b.m);
    if (b.keys)
        for (size_t i = 0; i < e->n; i++)
            free(b.keys[i].s);
    free(b.keys);
    free(b.label);
    free(b.lo_of);
    free(b.hi_of);
    free(b.fnext);
    free(b.fprev);
    free(b.tries);
    free(queue);
    return rc;
}

/* ---- scanning ---- */

static int ac_grow_scratch(const ys_matcher *m, void **scratch)
{
    (void)m;
    (void)scratch;
    return YS_OK; /* the scan's state is one integer */
}

static void ac_free_scratch(void *scratch) { (void)scratch; }

static int report(const ys_matcher *m, uint32_t r, const unsigned char *text, size_t end,
                  ys_on_match on, void *ctx)
{
    for (; r; r = m->out[r].next) {
        const ac_out *o = &m->out[r];
        if (o->vlen && (o->vlen > end || memcmp(text + end - o->vlen, m->pool + o->voff, o->vlen)))
            continue;
        if (on(o->id, 0, end, ctx))
            return 1;
    }
    return 0;
}

static int ac_scan(const ys_matcher *m, void *scratch, const char *text, size_t len,
                   ys_on_match on, void *ctx, ys_error *err)
{
    (void)scratch;
    (void)err;
    /* Locals, so that they stay in registers across the report calls. */
    const ac_node *node = m->node;
    const uint16_t *top = m->top;
    const uint32_t *block = m->block;
    const unsigned char *t = (const unsigned char *)text;
    uint32_t s = 0;
    for (size_t i = 0, step; i < len; i += step) {
        uint32_t c = lookup(top, block, next_char(t + i, len - i, &step));
        if (c == 0) { /* in no spelling: no state continues through it */
            s = 0;
            continue;
        }
        for (;;) {
            uint32_t n = (uint32_t)node[s].base + c;
            if (node[n].check == (int32_t)s) {
                s = n;
                break;
            }
            if (s == 0)
                break;
            s = node[s].fail;
        }
        if (node[s].out && report(m, node[s].out, t, i + step, on, ctx))
            return YS_ESCAN;
    }
    return YS_OK;
}

/* The arrays of a matcher, in image order. */
typedef struct {
    void *p;
    size_t size;
} part;

static size_t parts(const ys_matcher *m, part v[5])
{
    v[0] = (part){m->top, (NCHARS >> 8) * sizeof *m->top};
    v[1] = (part){m->block, m->nblocks * 256 * sizeof *m->block};
    v[2] = (part){m->node, m->nnodes * sizeof *m->node};
    v[3] = (part){m->out, m->nout * sizeof *m->out};
    v[4] = (part){m->pool, m->npool};
    return v[0].size + v[1].size + v[2].size + v[3].size + v[4].size;
}

static size_t ac_size(const ys_matcher *m)
{
    part v[5];
    return sizeof *m + parts(m, v);
}

/* ---- the byte image: magic, u64 blocks, codes, nodes, outputs and pool
 * bytes, then the arrays (top, block, node, out, pool) as in memory ---- */

#define HEADER (8 + 5 * 8)

static int ac_save(const ys_matcher *m, char **bytes, size_t *len)
{
    part v[5];
    size_t n = HEADER + parts(m, v);
    char *p = malloc(n);
    if (!p)
        return YS_ENOMEM;
    uint64_t h[5] = {m->nblocks, m->ncodes, m->nnodes, m->nout, m->npool};
    memcpy(p, AC_MAGIC, 8);
    memcpy(p + 8, h, sizeof h);
    char *w = p + HEADER;
    for (int i = 0; i < 5; i++) {
        if (v[i].size)
            memcpy(w, v[i].p, v[i].size);
        w += v[i].size;
    }
    *bytes = p;
    *len = n;
    return YS_OK;
}

/* Every failure chain must reach the root, or a scan would never end:
 * mark[s] 0 unknown, 1 on the chain being followed, 2 reaches the root. */
static int fail_chains_end(const ys_matcher *m)
{
    uint8_t *mark = calloc(m->nnodes, 1);
    if (!mark)
        return 0;
    mark[0] = 2;
    int ok = 1;
    for (size_t s = 1; s < m->nnodes && ok; s++) {
        size_t f = s;
        while (mark[f] == 0) {
            mark[f] = 1;
            f = m->node[f].fail;
        }
        ok = mark[f] == 2;
        for (f = s; mark[f] == 1; f = m->node[f].fail)
            mark[f] = 2;
    }
    free(mark);
    return ok;
}

static int ac_load(const char *bytes, size_t len, ys_matcher **out, ys_error *err)
{
    *out = NULL;
    uint64_t h[5];
    if (len < HEADER || memcmp(bytes, AC_MAGIC, 8))
        return ys_fail(err, YS_EDB, "corrupt Aho-Corasick automaton (bad header)");
    memcpy(h, bytes + 8, sizeof h);
    ys_matcher *m = calloc(1, sizeof *m);
    if (!m)
        return ys_fail(err, YS_ENOMEM, "out of memory");
    /* Limits first, so that the sizes below cannot overflow. */
    int ok = h[0] >= 1 && h[0] <= NCHARS >> 8 && h[1] >= 1 && h[1] <= NCHARS + 1 &&
             h[2] > h[1] && h[2] <= INT32_MAX && h[3] >= 1 && h[3] <= UINT32_MAX &&
             h[4] <= UINT32_MAX;
    m->nblocks = ok ? h[0] : 0, m->ncodes = ok ? (uint32_t)h[1] : 0;
    m->nnodes = ok ? h[2] : 0, m->nout = ok ? h[3] : 0, m->npool = ok ? h[4] : 0;
    part v[5];
    ok = ok && len - HEADER == parts(m, v);
    void **dst[5] = {(void **)&m->top, (void **)&m->block, (void **)&m->node, (void **)&m->out,
                     (void **)&m->pool};
    const char *r = bytes + HEADER;
    for (int i = 0; i < 5 && ok; i++) {
        if (!(*dst[i] = malloc(v[i].size ? v[i].size : 1))) {
            ac_free(m);
            return ys_fail(err, YS_ENOMEM, "out of memory");
        }
        memcpy(*dst[i], r, v[i].size);
        r += v[i].size;
    }
    /* Every index the scan follows must stay inside its array. */
    for (size_t i = 0; i < (NCHARS >> 8) && ok; i++)
        ok = m->top[i] < m->nblocks;
    for (size_t i = 0; i < 256 && ok; i++)
        ok = m->block[i] == 0;
    for (size_t i = 0; i < m->nblocks * 256 && ok; i++)
        ok = m->block[i] < m->ncodes;
    ok = ok && m->node[0].fail == 0;
    for (size_t s = 0; s < m->nnodes && ok; s++) {
        const ac_node *nd = &m->node[s];
        ok = nd->base >= 0 && (size_t)nd->base + m->ncodes <= m->nnodes && nd->check >= NONE &&
             nd->check < (int64_t)m->nnodes && nd->fail < m->nnodes && nd->out < m->nout;
    }
    for (size_t i = 1; i < m->nout && ok; i++)
        ok = m->out[i].next < i && (uint64_t)m->out[i].voff + m->out[i].vlen <= m->npool;
    if (!ok || !fail_chains_end(m)) {
        ac_free(m);
        return ys_fail(err, YS_EDB, "corrupt Aho-Corasick automaton");
    }
    *out = m;
    return YS_OK;
}

static const char *ac_version(void) { return "2"; }

const ys_engine ys_engine_ac = {
    .name = "ac",
    .version = ac_version,
    .compile_literals = ac_compile_literals,
    .compile_regexes = NULL,
    .grow_scratch = ac_grow_scratch,
    .free_scratch = ac_free_scratch,
    .scan = ac_scan,
    .size = ac_size,
    .save = ac_save,
    .load = ac_load,
    .free = ac_free,
};
