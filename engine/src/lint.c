/* Lint: what a lexicon author wants to hear about before a lexicon ships
 * (patterns/README.md, "Lint"). Three checks, each over the spellings the
 * compiler really uses (ys_variants: every spelling folded as posts are):
 *   - a spelling that folding of a post can never leave intact, anywhere or
 *     inside Japanese text (YS_LINT_NEVER_MATCHES, YS_LINT_NOT_IN_JAPANESE);
 *   - two patterns with a spelling in common (YS_LINT_DUPLICATE);
 *   - a term found inside many words of a dictionary (a positive one hits
 *     ordinary text; a negative one lowers ads that use such a word)
 *     (YS_LINT_COMMON), where it would flag ordinary text.
 * Nothing here knows a folding rule: the checks call ys_fold and
 * ys_variants, so they follow those modules as they gain rules. Nothing is
 * printed: warnings go to the caller's callback. */
#include "db.h"
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ---- */

/* The first occurrence of n[0..nl) in h[0..hl), or NULL (memmem is not POSIX). */
static const char *find(const char *h, size_t hl, const char *n, size_t nl)
{
    if (nl == 0)
        return h;
    for (size_t i = 0; i + nl <= hl; i++)
        if (h[i] == n[0] && memcmp(h + i, n, nl) == 0)
            return h + i;
    return NULL;
}

/* Folds s[0..len) into *buf (grown as needed, with its offset maps);
 * returns the folded length, the text then at *buf. */
typedef struct {
    char *out;
    uint32_t *map;
    size_t cap; /* bytes of input the buffers have room for */
} folder;

static int fold_into(folder *f, const char *s, size_t len, const char **res, size_t *rlen)
{
    if (len > f->cap) {
        size_t cap = len * 2 + 64;
        char *o = realloc(f->out, 3 * cap);
        if (!o)
            return YS_ENOMEM;
        f->out = o;
        uint32_t *m = realloc(f->map, 2 * 3 * cap * sizeof *m);
        if (!m)
            return YS_ENOMEM;
        f->map = m;
        f->cap = cap;
    }
    size_t n = ys_fold(s, len, f->out, f->map, f->map + 3 * f->cap);
    *res = n == YS_FOLD_UNCHANGED ? s : f->out;
    *rlen = n == YS_FOLD_UNCHANGED ? len : n;
    return YS_OK;
}

static void folder_free(folder *f)
{
    free(f->out);
    free(f->map);
}

/* An open-addressing set of byte strings, stored elsewhere: slots hold
 * index + 1 of an item whose bytes `key(ctx, index)` gives. */
typedef struct {
    uint32_t *slot;
    size_t nslots, used;
} strset;

static uint64_t hash_bytes(const char *s, size_t len) { return ys_fnv1a(YS_FNV_INIT, s, len); }

typedef void (*key_fn)(const void *ctx, uint32_t item, const char **s, size_t *len);

/* Makes room for one more item (rehashing with `key`). */
static int strset_reserve(strset *t, key_fn key, const void *ctx)
{
    if ((t->used + 1) * 2 <= t->nslots)
        return YS_OK;
    size_t n = t->nslots ? t->nslots * 2 : 1024;
    uint32_t *slot = calloc(n, sizeof *slot);
    if (!slot)
        return YS_ENOMEM;
    for (size_t i = 0; i < t->nslots; i++) {
        if (!t->slot[i])
            continue;
        const char *s;
        size_t len;
        key(ctx, t->slot[i] - 1, &s, &len);
        size_t h = (size_t)hash_bytes(s, len) & (n - 1);
        while (slot[h])
            h = (h + 1) & (n - 1);
        slot[h] = t->slot[i];
    }
    free(t->slot);
    t->slot = slot;
    t->nslots = n;
    return YS_OK;
}

/* Calls `each` for every item whose key equals s[0..len); stops when it
 * returns non-zero and returns that item + 1 (0: none stopped it). With
 * `each` NULL the first equal item stops it. */
static uint32_t strset_find(const strset *t, key_fn key, const void *ctx, const char *s,
                            size_t len, int (*each)(void *c, uint32_t item), void *ectx)
{
    if (!t->nslots)
        return 0;
    for (size_t h = (size_t)hash_bytes(s, len) & (t->nslots - 1); t->slot[h];
         h = (h + 1) & (t->nslots - 1)) {
        const char *k;
        size_t kl;
        key(ctx, t->slot[h] - 1, &k, &kl);
        if (kl == len && memcmp(k, s, len) == 0 && (!each || each(ectx, t->slot[h] - 1)))
            return t->slot[h];
    }
    return 0;
}

static void strset_insert(strset *t, uint64_t hash, uint32_t item)
{
    size_t h = (size_t)hash & (t->nslots - 1);
    while (t->slot[h])
        h = (h + 1) & (t->nslots - 1);
    t->slot[h] = item + 1;
    t->used++;
}

/* ---- word lists ---- */

struct ys_words {
    char *buf;   /* folded words, each followed by a NUL */
    size_t len, cap;
    size_t *off; /* where each word starts in buf */
    size_t n, capn;
    strset set;  /* the words, so that each is kept once */
    folder f;
};

ys_words *ys_words_new(void) { return calloc(1, sizeof(ys_words)); }

void ys_words_free(ys_words *w)
{
    if (!w)
        return;
    free(w->buf);
    free(w->off);
    free(w->set.slot);
    folder_free(&w->f);
    free(w);
}

size_t ys_words_count(const ys_words *w) { return w ? w->n : 0; }

static void word_key(const void *ctx, uint32_t i, const char **s, size_t *len)
{
    const ys_words *w = ctx;
    *s = w->buf + w->off[i];
    *len = (i + 1 < w->n ? w->off[i + 1] : w->len) - w->off[i] - 1;
}

/* Adds one word, folded, unless it is empty or already there. */
static int words_add(ys_words *w, const char *s, size_t len)
{
    const char *f;
    size_t fl;
    if (fold_into(&w->f, s, len, &f, &fl) != YS_OK)
        return YS_ENOMEM;
    if (fl == 0 || strset_find(&w->set, word_key, w, f, fl, NULL, NULL))
        return YS_OK;
    if (w->n > UINT32_MAX - 2 || strset_reserve(&w->set, word_key, w) != YS_OK)
        return YS_ENOMEM;
    if (w->cap - w->len < fl + 1) {
        size_t cap = w->cap * 2 + fl + 65536;
        char *b = realloc(w->buf, cap);
        if (!b)
            return YS_ENOMEM;
        w->buf = b, w->cap = cap;
    }
    if (w->n == w->capn) {
        size_t cap = w->capn * 2 + 4096;
        size_t *o = realloc(w->off, cap * sizeof *o);
        if (!o)
            return YS_ENOMEM;
        w->off = o, w->capn = cap;
    }
    memcpy(w->buf + w->len, f, fl);
    w->buf[w->len + fl] = 0;
    w->off[w->n] = w->len;
    w->len += fl + 1;
    strset_insert(&w->set, hash_bytes(f, fl), (uint32_t)w->n++);
    return YS_OK;
}

/* The line (1-based) that byte `at` of data is on. */
static size_t line_of(const char *data, size_t at)
{
    size_t line = 1;
    for (size_t i = 0; i < at; i++)
        line += data[i] == '\n';
    return line;
}

/* data[0..len) as UTF-8: itself if it is valid UTF-8, else decoded from
 * EUC-JP (mecab-ipadic's encoding). *out is NULL when data was kept. */
static int to_utf8(const char *name, const char *data, size_t len, char **out, size_t *olen,
                   ys_error *err)
{
    *out = NULL;
    if (ys_utf8_valid_prefix(data, len) == len)
        return YS_OK;
    iconv_t cd = iconv_open("UTF-8", "EUC-JP");
    if (cd == (iconv_t)-1)
        return ys_fail(err, YS_EIO, "%s: not UTF-8, and EUC-JP cannot be decoded here: %s",
                       name, strerror(errno));
    size_t cap = len + len / 2 + 16; /* EUC-JP's 2 bytes are at most 3 in UTF-8 */
    char *buf = malloc(cap);
    if (!buf) {
        iconv_close(cd);
        return ys_fail(err, YS_ENOMEM, "out of memory");
    }
    char *in = (char *)data, *o = buf;
    size_t inleft = len, oleft = cap;
    int rc = YS_OK;
    if (iconv(cd, &in, &inleft, &o, &oleft) == (size_t)-1) {
        size_t at = (size_t)(in - data);
        rc = errno == E2BIG
                 ? ys_fail(err, YS_ENOMEM, "%s: EUC-JP decoding needs more room", name)
                 : ys_fail(err, YS_EIO, "%s:%zu: neither UTF-8 nor EUC-JP (byte %zu)", name,
                           line_of(data, at), at + 1);
    }
    iconv_close(cd);
    if (rc != YS_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    *olen = cap - oleft;
    return YS_OK;
}

static int load_file(ys_words *w, const char *path, ys_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ys_fail(err, YS_EIO, "%s: %s", path, strerror(errno));
    char *data = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 65536) {
            char *d = realloc(data, cap = cap * 2 + 65536);
            if (!d) {
                free(data);
                fclose(f);
                return ys_fail(err, YS_ENOMEM, "out of memory");
            }
            data = d;
        }
        size_t n = fread(data + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(data);
        return ys_fail(err, YS_EIO, "%s: read error", path);
    }
    char *utf8;
    size_t ulen;
    int rc = to_utf8(path, data, len, &utf8, &ulen, err);
    const char *s = utf8 ? utf8 : data;
    if (!utf8)
        ulen = len;
    for (size_t i = 0; rc == YS_OK && i < ulen;) {
        const char *nl = memchr(s + i, '\n', ulen - i);
        size_t end = nl ? (size_t)(nl - s) : ulen, k = i;
        while (k < end && s[k] != '\t' && s[k] != ',' && s[k] != '\r')
            k++;
        if (words_add(w, s + i, k - i) != YS_OK)
            rc = ys_fail(err, YS_ENOMEM, "out of memory");
        i = end + 1;
    }
    free(utf8);
    free(data);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* mecab-ipadic's files of proper nouns (people, places, organisations,
 * products): not ordinary words. */
static int proper_nouns(const char *name)
{
    static const char *const skip[] = {"Noun.name.csv", "Noun.place.csv", "Noun.org.csv",
                                       "Noun.proper.csv"};
    for (size_t i = 0; i < sizeof skip / sizeof *skip; i++)
        if (!strcmp(name, skip[i]))
            return 1;
    return 0;
}

/* The Noun*.csv files of a mecab-ipadic directory but its proper nouns, in
 * name order. */
static int load_dir(ys_words *w, const char *path, DIR *d, ys_error *err)
{
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = YS_OK;
    struct dirent *e;
    while (rc == YS_OK && (e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 8 || strncmp(e->d_name, "Noun", 4) != 0 || strcmp(e->d_name + l - 4, ".csv") ||
            proper_nouns(e->d_name))
            continue;
        if (n == cap) {
            char **nn = realloc(names, (cap = cap * 2 + 32) * sizeof *nn);
            if (!nn) {
                rc = ys_fail(err, YS_ENOMEM, "out of memory");
                break;
            }
            names = nn;
        }
        if (!(names[n] = malloc(strlen(path) + l + 2)))
            rc = ys_fail(err, YS_ENOMEM, "out of memory");
        else
            sprintf(names[n++], "%s/%s", path, e->d_name);
    }
    if (rc == YS_OK && n == 0)
        rc = ys_fail(err, YS_EIO, "%s: no Noun*.csv files (not a mecab-ipadic directory)", path);
    if (rc == YS_OK)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (rc == YS_OK)
            rc = load_file(w, names[i], err);
        free(names[i]);
    }
    free(names);
    return rc;
}

int ys_words_load(ys_words *w, const char *path, ys_error *err)
{
    if (!w || !path)
        return ys_fail(err, YS_EINVAL, "ys_words_load: no word list or path");
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOTDIR ? load_file(w, path, err)
                                : ys_fail(err, YS_EIO, "%s: %s", path, strerror(errno));
    int rc = load_dir(w, path, d, err);
    closedir(d);
    return rc;
}

/* ---- the lexicon's spellings ---- */

/* One compiled spelling of a literal pattern. */
typedef struct {
    size_t off, len;   /* the folded bytes, in arena */
    size_t loff;       /* the same with ASCII letters lowered, in arena */
    uint32_t pat;      /* pattern index */
    uint32_t key;      /* COMMON: its entry in the distinct-spellings list */
    unsigned char generated, caseless;
} spelling;

typedef struct {
    const ys_table *t;
    const ys_lint_options *opt;
    char *arena;
    size_t alen, acap;
    spelling *sp;
    size_t nsp, capsp;
    size_t *first;     /* pattern i's spellings: sp[first[i] .. first[i + 1]) */
    const char *written; /* the current pattern's own folded text (for `generated`) */
    size_t written_len;
    uint32_t cur;
    folder f;
    /* COMMON: distinct spellings of weighted literals, their counts. */
    strset keys;
    uint32_t *key_sp;  /* a spelling with that key's bytes */
    size_t *key_count;
    uint32_t *key_last;  /* last word counted, + 1 */
    uint32_t (*key_ex)[3];
    size_t nkeys;
} lint;

static int arena_put(lint *L, const char *s, size_t len, size_t *off)
{
    if (L->acap - L->alen < len + 1) {
        size_t cap = L->acap * 2 + len + 4096;
        char *a = realloc(L->arena, cap);
        if (!a)
            return YS_ENOMEM;
        L->arena = a, L->acap = cap;
    }
    memcpy(L->arena + L->alen, s, len);
    L->arena[L->alen + len] = 0;
    *off = L->alen;
    L->alen += len + 1;
    return YS_OK;
}

static int has_ascii_letter(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')
            return 1;
    return 0;
}

static int add_spelling(void *ctx, const char *s, size_t len)
{
    lint *L = ctx;
    if (L->nsp == L->capsp) {
        size_t cap = L->capsp * 2 + 256;
        spelling *n = realloc(L->sp, cap * sizeof *n);
        if (!n)
            return YS_ENOMEM;
        L->sp = n, L->capsp = cap;
    }
    spelling *p = &L->sp[L->nsp];
    const ys_pattern *pat = &L->t->pat[L->cur];
    /* Where the arena may move, `written` must not point into it: it does not. */
    if (arena_put(L, s, len, &p->off) != YS_OK || arena_put(L, s, len, &p->loff) != YS_OK)
        return YS_ENOMEM;
    for (char *c = L->arena + p->loff; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c + 32);
    p->len = len;
    p->pat = L->cur;
    p->key = UINT32_MAX;
    p->generated = !(len == L->written_len && memcmp(s, L->written, len) == 0);
    /* As the compiler decides (db.c): non-exact literals with letters are caseless. */
    p->caseless = !pat->exact && has_ascii_letter(s, len);
    L->nsp++;
    return YS_OK;
}

static int collect(lint *L)
{
    if (!(L->first = malloc((L->t->n + 1) * sizeof *L->first)))
        return YS_ENOMEM;
    for (size_t i = 0; i < L->t->n; i++) {
        const ys_pattern *p = &L->t->pat[i];
        L->first[i] = L->nsp;
        if (p->is_regex)
            continue;
        const char *w;
        size_t wl;
        if (fold_into(&L->f, p->expr, p->expr_len, &w, &wl) != YS_OK)
            return YS_ENOMEM;
        L->written = w, L->written_len = wl;
        L->cur = (uint32_t)i;
        int rc = ys_variants(p, L->t->threshold, add_spelling, L);
        if (rc != YS_OK)
            return rc;
    }
    L->first[L->t->n] = L->nsp;
    return YS_OK;
}

/* ---- check 1: spellings folding never leaves intact ---- */

/* Why this decides "can never match" soundly. A spelling s is matched
 * against folded posts, so a post hits s only if s occurs in fold(post).
 * Folding decides every character from the character itself and from the
 * kinds of the characters next to it (is the neighbour Japanese? kana?
 * katakana? is a Japanese character the next one after a short run of
 * separators?), never from farther away or from a neighbour's exact
 * identity. So whatever a post puts around s, the characters beside s
 * belong to one of the kinds below, and s fares there as it fares between
 * that kind's representative: a kanji, a hiragana, a katakana, an ASCII
 * letter, or nothing (the post's edge; also what a character no rule looks
 * at, such as 。 or a digit, amounts to). If fold(X s Y) lacks s for all 25
 * choices of X and Y, no post can contain s after folding; if it lacks s
 * for the 9 choices with X and Y both Japanese, no Japanese sentence can
 * (the spelling survives only beside Latin text or at a post's edge). A
 * future folding rule that looks at a new kind of neighbour must add a
 * representative of that kind here; one that only adds cases within these
 * kinds is covered as it is. */
static const char *const neighbour[] = {"人", "の", "ア", "a", ""};
#define N_JAPANESE 3 /* the first three */
#define N_NEIGHBOURS 5

/* Whether s survives folding between neighbours x and y; *shown gets
 * what it folds to (NUL-terminated, in f's buffer or `tmp`). */
static int survives(folder *f, char *tmp, const char *s, size_t len, int x, int y,
                    const char **shown, size_t *shown_len)
{
    size_t xl = strlen(neighbour[x]), yl = strlen(neighbour[y]);
    memcpy(tmp, neighbour[x], xl);
    memcpy(tmp + xl, s, len);
    memcpy(tmp + xl + len, neighbour[y], yl);
    const char *o;
    size_t ol;
    if (fold_into(f, tmp, xl + len + yl, &o, &ol) != YS_OK)
        return -1;
    *shown = o, *shown_len = ol;
    return find(o, ol, s, len) != NULL;
}

/* ---- the warnings ---- */

typedef struct {
    ys_lint_fn fn;
    void *ctx;
    int stopped; /* fn returned non-zero: that value is returned as it is */
    char msg[1024];
} sink;

static void fmt_count(char *out, size_t cap, size_t n)
{
    char digits[32];
    int l = snprintf(digits, sizeof digits, "%zu", n), o = 0;
    for (int i = 0; i < l && (size_t)o + 2 < cap; i++) {
        if (i && (l - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = 0;
}

static int emit(sink *k, ys_lint_warning *w, const char *fmt, ...) YS_PRINTF(3, 4);
static int emit(sink *k, ys_lint_warning *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(k->msg, sizeof k->msg, fmt, ap);
    va_end(ap);
    w->message = k->msg;
    int rc = k->fn(k->ctx, w);
    k->stopped = rc != 0;
    return rc;
}

static const char *what(int generated) { return generated ? "generated spelling" : "term"; }

static int check_unmatchable(lint *L, sink *k, uint32_t i)
{
    const ys_pattern *p = &L->t->pat[i];
    if (L->first[i] == L->first[i + 1]) {
        ys_lint_warning w = {.kind = YS_LINT_NEVER_MATCHES, .pattern = p, .spelling = ""};
        return emit(k, &w, "pattern '%s': '%.*s' folds to nothing (folding drops every "
                    "character of it): it can never match", p->id, (int)p->expr_len, p->expr);
    }
    int written_failed = 0;
    for (size_t j = L->first[i]; j < L->first[i + 1]; j++) {
        const spelling *sp = &L->sp[j];
        const char *s = L->arena + sp->off;
        char *tmp = malloc(sp->len + 16);
        if (!tmp)
            return YS_ENOMEM;
        int anywhere = 0, japanese = 0, rc = YS_OK;
        char shown[256] = "";
        for (int x = 0; x < N_NEIGHBOURS && rc == YS_OK; x++)
            for (int y = 0; y < N_NEIGHBOURS; y++) {
                const char *o;
                size_t ol;
                int ok = survives(&L->f, tmp, s, sp->len, x, y, &o, &ol);
                if (ok < 0) {
                    rc = YS_ENOMEM;
                    break;
                }
                anywhere |= ok;
                if (x < N_JAPANESE && y < N_JAPANESE) {
                    japanese |= ok;
                    if (!ok && x == 0 && y == 0) /* the example shown: kanji on both sides */
                        snprintf(shown, sizeof shown, "'%s%s%s' folds to '%.*s'", neighbour[x],
                                 s, neighbour[y], (int)ol, o);
                }
            }
        free(tmp);
        if (rc != YS_OK)
            return rc;
        if (japanese)
            continue;
        /* the term as written failing says it for the spellings made from it */
        if (sp->generated && written_failed)
            continue;
        written_failed |= !sp->generated;
        ys_lint_warning w = {.kind = anywhere ? YS_LINT_NOT_IN_JAPANESE : YS_LINT_NEVER_MATCHES,
                             .pattern = p, .spelling = s, .spelling_len = sp->len,
                             .generated = sp->generated};
        rc = anywhere ? emit(k, &w, "pattern '%s': %s '%s' cannot match inside Japanese text: "
                             "folding a post changes it there (%s); it matches only beside "
                             "Latin letters or at a post's start or end",
                             p->id, what(sp->generated), s, shown)
                      : emit(k, &w, "pattern '%s': %s '%s' can never match: folding changes it "
                             "whatever stands beside it (%s)",
                             p->id, what(sp->generated), s, shown);
        if (rc)
            return rc;
    }
    return YS_OK;
}

/* ---- check 2: duplicates after folding ---- */

static void lower_key(const void *ctx, uint32_t j, const char **s, size_t *len)
{
    const lint *L = ctx;
    *s = L->arena + L->sp[j].loff;
    *len = L->sp[j].len;
}

static int check_duplicates(lint *L, sink *k, strset *seen, uint32_t i)
{
    const ys_pattern *p = &L->t->pat[i];
    uint32_t reported[8];
    size_t nrep = 0;
    for (size_t j = L->first[i]; j < L->first[i + 1]; j++) {
        const spelling *a = &L->sp[j];
        /* Every earlier spelling equal to this one, ignoring ASCII case; a
         * real duplicate if the bytes are equal or either side is caseless. */
        if (!seen->nslots)
            break;
        for (size_t h = (size_t)hash_bytes(L->arena + a->loff, a->len) & (seen->nslots - 1);
             seen->slot[h]; h = (h + 1) & (seen->nslots - 1)) {
            const spelling *b = &L->sp[seen->slot[h] - 1];
            /* Two generated spellings in common are the generators' overlap,
             * not something the author wrote twice. */
            if ((a->generated && b->generated) || b->len != a->len || memcmp(L->arena + b->loff, L->arena + a->loff, a->len) ||
                !(a->caseless || b->caseless ||
                  memcmp(L->arena + b->off, L->arena + a->off, a->len) == 0))
                continue;
            size_t r = 0;
            while (r < nrep && reported[r] != b->pat)
                r++;
            if (r < nrep)
                continue; /* that pair is reported once */
            if (nrep < sizeof reported / sizeof *reported)
                reported[nrep++] = b->pat;
            const ys_pattern *q = &L->t->pat[b->pat];
            ys_lint_warning w = {.kind = YS_LINT_DUPLICATE, .pattern = p, .other = q,
                                 .spelling = L->arena + a->off, .spelling_len = a->len,
                                 .generated = a->generated, .other_generated = b->generated};
            int rc = emit(k, &w, "pattern '%s': its %s '%s' is also %s of pattern '%s' (%s:%u) "
                          "after folding",
                          p->id, what(a->generated), L->arena + a->off,
                          b->generated ? "a generated spelling" : "the term", q->id, q->file,
                          q->line);
            if (rc)
                return rc;
        }
    }
    for (size_t j = L->first[i]; j < L->first[i + 1]; j++) {
        if (strset_reserve(seen, lower_key, L) != YS_OK)
            return YS_ENOMEM;
        strset_insert(seen, hash_bytes(L->arena + L->sp[j].loff, L->sp[j].len), (uint32_t)j);
    }
    return YS_OK;
}

/* ---- check 3: terms inside many dictionary words ---- */

static void exact_key(const void *ctx, uint32_t key, const char **s, size_t *len)
{
    const lint *L = ctx;
    const spelling *sp = &L->sp[L->key_sp[key]];
    *s = L->arena + sp->off;
    *len = sp->len;
}

/* Counts, for every distinct spelling of a weighted literal, the words that
 * contain it (the word itself aside): each word is cut at every character
 * start into pieces of every length some spelling has, and each piece is
 * looked up. */
static int count_words(lint *L)
{
    const ys_words *W = L->opt->words;
    size_t lens[64], nlens = 0, maxlen = 0;
    int all_lengths = 0;
    for (size_t j = 0; j < L->nsp; j++) {
        spelling *sp = &L->sp[j];
        if (L->t->pat[sp->pat].weight == 0)
            continue;
        uint32_t found = strset_find(&L->keys, exact_key, L, L->arena + sp->off, sp->len, NULL,
                                     NULL);
        if (found) {
            sp->key = found - 1;
            continue;
        }
        if (strset_reserve(&L->keys, exact_key, L) != YS_OK ||
            !ys_grow(&L->key_sp, L->nkeys + 1, sizeof *L->key_sp))
            return YS_ENOMEM;
        L->key_sp[L->nkeys] = (uint32_t)j;
        sp->key = (uint32_t)L->nkeys;
        strset_insert(&L->keys, hash_bytes(L->arena + sp->off, sp->len), (uint32_t)L->nkeys++);
        size_t l = 0;
        while (l < nlens && lens[l] != sp->len)
            l++;
        if (l == nlens) {
            if (nlens < sizeof lens / sizeof *lens)
                lens[nlens++] = sp->len;
            else
                all_lengths = 1; /* so many lengths: try every one up to the longest */
        }
        if (sp->len > maxlen)
            maxlen = sp->len;
    }
    if (!L->nkeys)
        return YS_OK;
    L->key_count = calloc(L->nkeys, sizeof *L->key_count);
    L->key_last = calloc(L->nkeys, sizeof *L->key_last);
    L->key_ex = calloc(L->nkeys, sizeof *L->key_ex);
    if (!L->key_count || !L->key_last || !L->key_ex)
        return YS_ENOMEM;
    for (size_t wi = 0; wi < W->n; wi++) {
        const char *w = W->buf + W->off[wi];
        size_t wl = (wi + 1 < W->n ? W->off[wi + 1] : W->len) - W->off[wi] - 1;
        for (size_t at = 0; at < wl; at++) {
            if (((unsigned char)w[at] & 0xC0) == 0x80)
                continue; /* not a character start */
            size_t n = all_lengths ? maxlen : nlens;
            for (size_t l = 0; l < n; l++) {
                size_t len = all_lengths ? l + 1 : lens[l];
                if (at + len > wl || len == wl)
                    continue; /* past the end, or the whole word */
                uint32_t found = strset_find(&L->keys, exact_key, L, w + at, len, NULL, NULL);
                if (!found)
                    continue;
                uint32_t key = found - 1;
                if (L->key_last[key] == wi + 1)
                    continue; /* this word is counted already */
                L->key_last[key] = (uint32_t)(wi + 1);
                if (L->key_count[key] < 3)
                    L->key_ex[key][L->key_count[key]] = (uint32_t)wi;
                L->key_count[key]++;
            }
        }
    }
    return YS_OK;
}

static int check_common(lint *L, sink *k, uint32_t i)
{
    const ys_pattern *p = &L->t->pat[i];
    const ys_words *W = L->opt->words;
    size_t min = L->opt->min_words ? L->opt->min_words : YS_LINT_MIN_WORDS;
    const spelling *best = NULL;
    for (size_t j = L->first[i]; j < L->first[i + 1]; j++) {
        const spelling *sp = &L->sp[j];
        if (sp->key != UINT32_MAX && (!best || L->key_count[sp->key] > L->key_count[best->key]))
            best = sp;
    }
    if (!best || L->key_count[best->key] < min)
        return YS_OK;
    size_t n = L->key_count[best->key];
    ys_lint_warning w = {.kind = YS_LINT_COMMON, .pattern = p,
                         .spelling = L->arena + best->off, .spelling_len = best->len,
                         .generated = best->generated, .words = n, .words_total = W->n,
                         .nexamples = n < 3 ? n : 3};
    for (size_t e = 0; e < w.nexamples; e++)
        w.examples[e] = W->buf + W->off[L->key_ex[best->key][e]];
    char a[32], b[32];
    fmt_count(a, sizeof a, n);
    fmt_count(b, sizeof b, W->n);
    return emit(k, &w, "pattern '%s': %s '%s' occurs inside %s of %s dictionary words (e.g. "
                "%s%s%s%s%s)%s",
                p->id, what(best->generated), w.spelling, a, b, w.examples[0],
                w.nexamples > 1 ? ", " : "", w.nexamples > 1 ? w.examples[1] : "",
                w.nexamples > 2 ? ", " : "", w.nexamples > 2 ? w.examples[2] : "",
                p->weight < 0 ? ": as negative context it lowers every post with one of them"
                              : "");
}

/* ---- the entry points ---- */

static int lint_table(const ys_table *t, const ys_lint_options *opt, ys_lint_fn fn, void *ctx,
                      ys_error *err)
{
    static const ys_lint_options none = {0};
    if (!t || !fn)
        return ys_fail(err, YS_EINVAL, "ys_lint: no patterns or no callback");
    lint L = {.t = t, .opt = opt ? opt : &none};
    sink k = {.fn = fn, .ctx = ctx};
    strset seen = {0};
    int rc = collect(&L);
    if (rc == YS_OK && L.opt->words)
        rc = count_words(&L);
    for (uint32_t i = 0; i < t->n && rc == YS_OK; i++) {
        if (t->pat[i].is_regex)
            continue;
        rc = check_unmatchable(&L, &k, i);
        if (rc == YS_OK)
            rc = check_duplicates(&L, &k, &seen, i);
        if (rc == YS_OK && L.opt->words && t->pat[i].weight != 0)
            rc = check_common(&L, &k, i);
    }
    if (rc == YS_ENOMEM && !k.stopped)
        ys_fail(err, rc, "out of memory");
    free(seen.slot);
    free(L.arena);
    free(L.sp);
    free(L.first);
    folder_free(&L.f);
    free(L.keys.slot);
    free(L.key_sp);
    free(L.key_count);
    free(L.key_last);
    free(L.key_ex);
    return rc;
}

int ys_lint_lexicon(const ys_lexicon *lex, const ys_lint_options *opt, ys_lint_fn fn,
                    void *ctx, ys_error *err)
{
    return lint_table(lex ? ys_lexicon_table(lex) : NULL, opt, fn, ctx, err);
}

int ys_lint_db(const ys_db *db, const ys_lint_options *opt, ys_lint_fn fn, void *ctx,
               ys_error *err)
{
    return lint_table(db ? &db->t : NULL, opt, fn, ctx, err);
}
