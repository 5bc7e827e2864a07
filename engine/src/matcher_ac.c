/* The Aho-Corasick engine: a byte-level automaton in a double array.
 *
 * State s's child on byte c is t = node[s].base + c if node[t].check == s
 * (the double-array trie of Aoe, 1989), so a transition is one addition and
 * one compare inside a 16-byte node that also holds the failure link and
 * the output list, and the whole automaton is one flat read-only array that
 * threads share. Japanese UTF-8 makes a narrow trie near the root (lead
 * bytes E3..E9, then a few continuation bytes), which stays in cache.
 *
 * Building: the spellings are sorted, and the trie is laid out breadth
 * first straight from the sorted ranges (a node's children are the distinct
 * bytes at its depth within its range), so no pointer trie is built first.
 * Failure links are computed as nodes are placed: a node's failure target
 * is shallower, so it was placed earlier.
 *
 * Case: the text is scanned with ASCII letters lowered, and every spelling
 * is inserted lowered; a case-sensitive spelling with letters keeps its
 * original bytes, and its matches are checked against them (rare: the
 * lexicon's `exact` terms).
 *
 * Output: node.out is the head of a list of (id, next) records that runs
 * through the node's own spellings and then its failure target's list, so
 * each node reports every spelling that ends there. Records only point to
 * earlier records, which the loader checks. */
#include "matcher.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define AC_MAGIC "YSAC\1\0\0\0"
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
    ac_node *node;
    size_t nnodes; /* ≥ every base + 256 */
    ac_out *out;   /* out[0] is unused */
    size_t nout;
    char *pool; /* case-sensitive spellings */
    size_t npool;
};

/* ASCII letters lowered, every other byte as it is. */
static inline unsigned lower(unsigned c) { return c + ((c - 'A' < 26u) << 5); }

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
    free(m->node);
    free(m->out);
    free(m->pool);
    free(m);
}

/* ---- building ---- */

/* A spelling lowered, and its index in ys_exprs. */
typedef struct {
    char *s;
    size_t len, idx;
} key;

typedef struct {
    ys_matcher *m;
    size_t capnodes, capout;
    /* free positions not yet given up on, as a doubly linked list */
    int32_t *fnext, *fprev, head, tail;
    uint8_t *tries;
    key *keys; /* sorted */
    const ys_exprs *e;
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
static int find_base(builder *b, const unsigned char *label, size_t n, int32_t *out)
{
    for (int32_t p = b->head;; p = b->fnext[p]) {
        if (p == NONE) { /* nothing fits: more room, and on from the new part */
            int32_t tail = b->tail;
            if (extend(b, b->m->nnodes + 1024))
                return YS_ENOMEM;
            p = tail == NONE ? b->head : b->fnext[tail];
        }
        int32_t base = p - label[0];
        if (base >= 1) {
            if ((size_t)base + 256 > b->m->nnodes && extend(b, (size_t)base + 256))
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
    int c = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);
    if (c)
        return c;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
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
    for (size_t k = it->lo; k < it->hi && b->keys[k].len == it->depth; k++) {
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

/* Child of s on byte c, or -1. */
static int64_t child(const ys_matcher *m, uint32_t s, unsigned c)
{
    int64_t t = (int64_t)m->node[s].base + c;
    return t < (int64_t)m->nnodes && m->node[t].check == (int32_t)s ? t : -1;
}

/* Places the children of `it` and queues them. */
static int expand(builder *b, const item *it, item **queue, size_t *qn, size_t *qcap)
{
    ys_matcher *m = b->m;
    unsigned char label[256];
    size_t lo_of[256], hi_of[256], n = 0;
    size_t k = it->lo;
    while (k < it->hi && b->keys[k].len == it->depth)
        k++;
    while (k < it->hi) {
        unsigned char c = (unsigned char)b->keys[k].s[it->depth];
        label[n] = c;
        lo_of[n] = k;
        while (k < it->hi && (unsigned char)b->keys[k].s[it->depth] == c)
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
        if (e->len[i] == 0 || e->len[i] > UINT32_MAX / 2) {
            *bad = (long)i;
            rc = ys_fail(err, YS_ECOMPILE, "empty or too long literal");
            goto done;
        }
        if (!(b.keys[i].s = malloc(e->len[i])))
            goto oom;
        for (size_t j = 0; j < e->len[i]; j++)
            b.keys[i].s[j] = (char)lower((unsigned char)e->expr[i][j]);
        b.keys[i].len = e->len[i];
        b.keys[i].idx = i;
    }
    qsort(b.keys, e->n, sizeof *b.keys, key_order);
    b.capout = 1024;
    if (!(b.m->out = malloc(b.capout * sizeof *b.m->out)))
        goto oom;
    b.m->nout = 1; /* record 0 ends lists */
    b.m->out[0] = (ac_out){0, 0, 0, 0};
    if (extend(&b, 256 + 1))
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
    const ac_node *node = m->node;
    const unsigned char *t = (const unsigned char *)text;
    uint32_t s = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned c = lower(t[i]);
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
        if (node[s].out && report(m, node[s].out, t, i + 1, on, ctx))
            return YS_ESCAN;
    }
    return YS_OK;
}

static size_t ac_size(const ys_matcher *m)
{
    return sizeof *m + m->nnodes * sizeof *m->node + m->nout * sizeof *m->out + m->npool;
}

/* ---- the byte image: magic, u64 nodes, u64 outputs, u64 pool bytes,
 * then the three arrays as they are in memory ---- */

static int ac_save(const ys_matcher *m, char **bytes, size_t *len)
{
    size_t n = 8 + 24 + m->nnodes * sizeof *m->node + m->nout * sizeof *m->out + m->npool;
    char *p = malloc(n);
    if (!p)
        return YS_ENOMEM;
    uint64_t h[3] = {m->nnodes, m->nout, m->npool};
    char *w = p;
    memcpy(w, AC_MAGIC, 8), w += 8;
    memcpy(w, h, 24), w += 24;
    memcpy(w, m->node, m->nnodes * sizeof *m->node), w += m->nnodes * sizeof *m->node;
    memcpy(w, m->out, m->nout * sizeof *m->out), w += m->nout * sizeof *m->out;
    if (m->npool)
        memcpy(w, m->pool, m->npool);
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
    uint64_t h[3];
    if (len < 32 || memcmp(bytes, AC_MAGIC, 8))
        return ys_fail(err, YS_EDB, "corrupt Aho-Corasick automaton (bad header)");
    memcpy(h, bytes + 8, 24);
    size_t rest = len - 32;
    if (h[0] < 257 || h[0] > INT32_MAX || h[1] < 1 || h[1] > UINT32_MAX ||
        h[2] > UINT32_MAX || rest != h[0] * sizeof(ac_node) + h[1] * sizeof(ac_out) + h[2])
        return ys_fail(err, YS_EDB, "corrupt Aho-Corasick automaton (bad sizes)");
    ys_matcher *m = calloc(1, sizeof *m);
    if (!m || !(m->node = malloc(h[0] * sizeof *m->node)) ||
        !(m->out = malloc(h[1] * sizeof *m->out)) || !(m->pool = malloc(h[2] ? h[2] : 1))) {
        ac_free(m);
        return ys_fail(err, YS_ENOMEM, "out of memory");
    }
    m->nnodes = h[0], m->nout = h[1], m->npool = h[2];
    const char *r = bytes + 32;
    memcpy(m->node, r, m->nnodes * sizeof *m->node), r += m->nnodes * sizeof *m->node;
    memcpy(m->out, r, m->nout * sizeof *m->out), r += m->nout * sizeof *m->out;
    memcpy(m->pool, r, m->npool);
    int ok = m->node[0].fail == 0;
    for (size_t s = 0; s < m->nnodes && ok; s++) {
        const ac_node *nd = &m->node[s];
        ok = nd->base >= 0 && (size_t)nd->base + 256 <= m->nnodes && nd->check >= NONE &&
             nd->check < (int64_t)m->nnodes && nd->fail < m->nnodes && nd->out < m->nout;
    }
    for (size_t r2 = 1; r2 < m->nout && ok; r2++)
        ok = m->out[r2].next < r2 && (uint64_t)m->out[r2].voff + m->out[r2].vlen <= m->npool;
    if (!ok || !fail_chains_end(m)) {
        ac_free(m);
        return ys_fail(err, YS_EDB, "corrupt Aho-Corasick automaton");
    }
    *out = m;
    return YS_OK;
}

static const char *ac_version(void) { return "1"; }

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
