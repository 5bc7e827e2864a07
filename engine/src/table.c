/* The pattern table: categories and patterns with their own copies of every
 * string (file names once each), shared by the lexicon (while parsing) and
 * the database. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

int ys_table_find_category(const ys_table *t, const char *name, size_t len)
{
    for (size_t i = 0; i < t->ncats; i++)
        if (strlen(t->cats[i]) == len && memcmp(t->cats[i], name, len) == 0)
            return (int)i;
    return -1;
}

int ys_table_add_category(ys_table *t, const char *name, size_t len, unsigned *idx)
{
    int found = ys_table_find_category(t, name, len);
    if (found >= 0) {
        if (idx) *idx = (unsigned)found;
        return YS_OK;
    }
    if (t->ncats == t->capcats) {
        size_t cap = t->capcats ? t->capcats * 2 : 8;
        char **c = realloc(t->cats, cap * sizeof *c);
        if (!c) return YS_ENOMEM;
        t->cats = c;
        unsigned char *pr = realloc(t->paired, cap);
        if (!pr) return YS_ENOMEM;
        t->paired = pr;
        t->capcats = cap;
    }
    char *d = dup_n(name, len);
    if (!d) return YS_ENOMEM;
    t->cats[t->ncats] = d;
    t->paired[t->ncats] = 0;
    if (idx) *idx = (unsigned)t->ncats;
    t->ncats++;
    return YS_OK;
}

void ys_table_set_paired(ys_table *t, unsigned idx)
{
    if (idx < t->ncats)
        t->paired[idx] = 1;
}

/* The table's copy of file name `name`, added if new. Patterns come file
 * by file, so the last name is nearly always the one. */
static const char *intern_file(ys_table *t, const char *name)
{
    for (size_t i = t->nfiles; i-- > 0;)
        if (strcmp(t->files[i], name) == 0)
            return t->files[i];
    char **f = realloc(t->files, (t->nfiles + 1) * sizeof *f);
    if (!f)
        return NULL;
    t->files = f;
    if (!(f[t->nfiles] = dup_n(name, strlen(name))))
        return NULL;
    return f[t->nfiles++];
}

size_t ys_table_file_index(const ys_table *t, size_t i)
{
    size_t k = t->nfiles;
    while (k-- > 0 && t->files[k] != t->pat[i].file)
        ;
    return k;
}

int ys_table_add(ys_table *t, const ys_pattern *p, unsigned cat)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        ys_pattern *np = realloc(t->pat, cap * sizeof *np);
        if (!np) return YS_ENOMEM;
        t->pat = np;
        unsigned *nc = realloc(t->cat_of, cap * sizeof *nc);
        if (!nc) return YS_ENOMEM;
        t->cat_of = nc;
        t->cap = cap;
    }
    ys_pattern q = *p;
    q.id = dup_n(p->id, strlen(p->id));
    q.expr = dup_n(p->expr, p->expr_len);
    q.file = intern_file(t, p->file ? p->file : "");
    q.reading = dup_n(p->reading ? p->reading : "", p->reading ? strlen(p->reading) : 0);
    q.category = t->cats[cat];
    if (!q.id || !q.expr || !q.file || !q.reading) {
        free((char *)q.id);
        free((char *)q.expr);
        free((char *)q.reading);
        return YS_ENOMEM;
    }
    t->pat[t->n] = q;
    t->cat_of[t->n] = cat;
    t->n++;
    return YS_OK;
}

void ys_table_free(ys_table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free((char *)t->pat[i].id);
        free((char *)t->pat[i].expr);
        free((char *)t->pat[i].reading);
    }
    for (size_t i = 0; i < t->nfiles; i++)
        free(t->files[i]);
    free(t->files);
    for (size_t i = 0; i < t->ncats; i++)
        free(t->cats[i]);
    free(t->pat);
    free(t->cat_of);
    free(t->cats);
    free(t->paired);
    free(t->combos);
    ys_ngrams_free(&t->model);
    memset(t, 0, sizeof *t);
    t->threshold = YS_NO_THRESHOLD;
}

int ys_table_add_combo(ys_table *t, unsigned a, unsigned b, int bonus, int window)
{
    ys_combo *c = realloc(t->combos, (t->ncombos + 1) * sizeof *c);
    if (!c)
        return YS_ENOMEM;
    t->combos = c;
    c[t->ncombos++] = (ys_combo){a, b, bonus, window};
    return YS_OK;
}

uint64_t ys_table_hash(const ys_table *t)
{
    uint64_t h = YS_FNV_INIT;
    /* Each field is followed by a 0 byte so that ("ab","c") != ("a","bc"). */
    static const char sep = 0;
    for (size_t i = 0; i < t->ncats; i++)
    {
        h = ys_fnv1a(h, t->cats[i], strlen(t->cats[i]) + 1);
        if (t->paired[i])
            h = ys_fnv1a(h, "paired", 7);
    }
    for (size_t i = 0; i < t->n; i++) {
        const ys_pattern *p = &t->pat[i];
        char num[32];
        int k = snprintf(num, sizeof num, "%d:%d:%d", p->weight, p->is_regex, p->exact);
        h = ys_fnv1a(h, p->id, strlen(p->id) + 1);
        h = ys_fnv1a(h, p->category, strlen(p->category) + 1);
        h = ys_fnv1a(h, num, (size_t)k + 1);
        h = ys_fnv1a(h, p->expr, p->expr_len);
        h = ys_fnv1a(h, &sep, 1);
        h = ys_fnv1a(h, p->reading, strlen(p->reading) + 1);
    }
    for (size_t i = 0; i < t->ncombos; i++) {
        char num[48];
        int k = snprintf(num, sizeof num, "combo %u %u %d %d", t->combos[i].a, t->combos[i].b,
                         t->combos[i].bonus, t->combos[i].window);
        h = ys_fnv1a(h, num, (size_t)k + 1);
    }
    char num[64];
    for (unsigned r = 0; r < YS_RULES; r++) {
        int k = snprintf(num, sizeof num, "rule %u %d", r, t->rule_weight[r]);
        h = ys_fnv1a(h, num, (size_t)k + 1);
    }
    if (t->model.n || t->model.source)
        h = ys_ngrams_hash(&t->model, h);
    int k = snprintf(num, sizeof num, "threshold %d window %d %s", t->threshold, t->window,
                     YS_SPELLING_RULES);
    return ys_fnv1a(h, num, (size_t)k + 1);
}
