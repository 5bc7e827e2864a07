/* The lexicon file formats (patterns/README.md): parse, validate, and report
 * the first problem as FILE:LINE:COL: message. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ys_lexicon {
    ys_table t;
    size_t *slots;      /* open-addressing set of pattern indexes + 1, by id */
    size_t nslots;
    unsigned next_term; /* numbering of -e terms */
    int skip_models;    /* ys_lexicon_skip_models */
};

ys_lexicon *ys_lexicon_new(void)
{
    ys_lexicon *lex = calloc(1, sizeof *lex);
    if (lex && ys_table_add_category(&lex->t, "default", 7, NULL) != YS_OK) {
        free(lex);
        return NULL;
    }
    if (lex)
        lex->t.threshold = YS_NO_THRESHOLD;
    return lex;
}

void ys_lexicon_free(ys_lexicon *lex)
{
    if (!lex)
        return;
    ys_table_free(&lex->t);
    free(lex->slots);
    free(lex);
}

size_t ys_lexicon_size(const ys_lexicon *lex) { return lex->t.n; }

const ys_pattern *ys_lexicon_pattern(const ys_lexicon *lex, size_t i)
{
    return i < lex->t.n ? &lex->t.pat[i] : NULL;
}

const ys_table *ys_lexicon_table(const ys_lexicon *lex) { return &lex->t; }

uint64_t ys_lexicon_hash(const ys_lexicon *lex) { return ys_table_hash(&lex->t); }

void ys_lexicon_skip_models(ys_lexicon *lex) { lex->skip_models = 1; }

/* ---- id set ---- */

static size_t *id_slot(const ys_lexicon *lex, const char *id, size_t len)
{
    size_t mask = lex->nslots - 1;
    size_t i = (size_t)ys_fnv1a(YS_FNV_INIT, id, len) & mask;
    for (;; i = (i + 1) & mask) {
        size_t v = lex->slots[i];
        if (v == 0)
            return &lex->slots[i];
        const char *other = lex->t.pat[v - 1].id;
        if (strlen(other) == len && memcmp(other, id, len) == 0)
            return &lex->slots[i];
    }
}

static int id_grow(ys_lexicon *lex)
{
    if ((lex->t.n + 1) * 2 <= lex->nslots)
        return YS_OK;
    size_t n = lex->nslots ? lex->nslots * 2 : 256;
    size_t *old = lex->slots, oldn = lex->nslots;
    lex->slots = calloc(n, sizeof *lex->slots);
    if (!lex->slots) {
        lex->slots = old;
        return YS_ENOMEM;
    }
    lex->nslots = n;
    for (size_t i = 0; i < oldn; i++)
        if (old[i]) {
            const char *id = lex->t.pat[old[i] - 1].id;
            *id_slot(lex, id, strlen(id)) = old[i];
        }
    free(old);
    return YS_OK;
}

size_t ys_lexicon_drop_regexes(ys_lexicon *lex)
{
    ys_table *t = &lex->t;
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++) {
        ys_pattern *p = &t->pat[i];
        if (p->is_regex) {
            free((char *)p->id);
            free((char *)p->expr);
            free((char *)p->reading); /* the file name is the table's */
            continue;
        }
        t->cat_of[k] = t->cat_of[i];
        t->pat[k++] = *p;
    }
    size_t dropped = t->n - k;
    t->n = k;
    if (dropped) { /* the id set holds indexes: rebuilt over what is left */
        memset(lex->slots, 0, lex->nslots * sizeof *lex->slots);
        for (size_t i = 0; i < t->n; i++)
            *id_slot(lex, t->pat[i].id, strlen(t->pat[i].id)) = i + 1;
    }
    return dropped;
}

/* Adds p (strings copied) unless its id is taken; *dup gets the earlier one. */
static int add_pattern(ys_lexicon *lex, const ys_pattern *p, unsigned cat,
                       const ys_pattern **dup)
{
    *dup = NULL;
    if (id_grow(lex) != YS_OK)
        return YS_ENOMEM;
    size_t *slot = id_slot(lex, p->id, strlen(p->id));
    if (*slot) {
        *dup = &lex->t.pat[*slot - 1];
        return YS_ELEXICON;
    }
    if (ys_table_add(&lex->t, p, cat) != YS_OK)
        return YS_ENOMEM;
    *slot = lex->t.n;
    return YS_OK;
}

/* ---- reading files ---- */

static int read_file(const char *path, char **data, size_t *len, ys_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ys_fail(err, YS_EIO, "%s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(f);
            return ys_fail(err, YS_ENOMEM, "%s: out of memory", path);
        }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        cap *= 2;
        char *nb = realloc(buf, cap);
        if (!nb)
            free(buf);
        buf = nb;
    }
    int bad = ferror(f);
    int e = errno;
    fclose(f);
    if (bad) {
        free(buf);
        /* fread on a directory fails with EISDIR. */
        return ys_fail(err, YS_EIO, "%s: %s", path, strerror(e));
    }
    *data = buf;
    *len = n;
    return YS_OK;
}

/* ---- line iteration ---- */

typedef struct {
    const char *name;
    const char *p, *end;
    unsigned lineno;
} lines;

/* Next line without its "\n" or "\r\n"; returns 0 at the end. */
static int next_line(lines *it, const char **s, size_t *len)
{
    if (it->p >= it->end)
        return 0;
    const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
    const char *e = nl ? nl : it->end;
    *s = it->p;
    *len = (size_t)(e - it->p);
    if (*len && (*s)[*len - 1] == '\r')
        (*len)--;
    it->p = nl ? nl + 1 : it->end;
    it->lineno++;
    return 1;
}

static int lex_error(ys_error *err, const lines *it, const char *line,
                     const char *at, const char *fmt, ...) YS_PRINTF(5, 6);

static int lex_error(ys_error *err, const lines *it, const char *line,
                     const char *at, const char *fmt, ...)
{
    char what[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return ys_fail(err, YS_ELEXICON, "%s:%u:%zu: %s", it->name, it->lineno,
                   ys_utf8_chars(line, (size_t)(at - line)) + 1, what);
}

static int check_utf8(ys_error *err, const lines *it, const char *s, size_t len)
{
    size_t ok = ys_utf8_valid_prefix(s, len);
    if (ok < len)
        return lex_error(err, it, s, s + ok, "invalid UTF-8");
    return YS_OK;
}

static int is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return 0;
    return 1;
}

static int name_ok(const char *s, size_t len, const char *extra)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || strchr(extra, c)))
            return 0;
    }
    return 1;
}

#define MAX_FIELDS 6

/* Splits s on tabs; returns the number of fields (up to MAX_FIELDS + 1). */
static int split_tabs(const char *s, size_t len, const char **f, size_t *fl)
{
    int n = 0;
    const char *p = s, *end = s + len;
    for (;;) {
        const char *t = memchr(p, '\t', (size_t)(end - p));
        if (n <= MAX_FIELDS) {
            f[n] = p;
            fl[n] = (size_t)((t ? t : end) - p);
        }
        n++;
        if (!t)
            return n;
        p = t + 1;
    }
}

static int parse_category(ys_lexicon *lex, const lines *it, const char *line,
                          const char **f, const size_t *fl, int n, ys_error *err)
{
    if (n < 2 || n > 4)
        return lex_error(err, it, line, line,
                         "@category takes a name, an optional description and an optional "
                         "'paired'");
    if (n == 4 && !(fl[3] == 6 && memcmp(f[3], "paired", 6) == 0))
        return lex_error(err, it, line, f[3],
                         "@category's fourth field is 'paired' (the category counts only "
                         "through its @combo lines), not '%.*s'", (int)fl[3], f[3]);
    if (!name_ok(f[1], fl[1], "_-"))
        return lex_error(err, it, line, f[1],
                         "bad category name '%.*s': use letters, digits, '_' and '-'",
                         (int)fl[1], f[1]);
    unsigned idx;
    if (ys_table_add_category(&lex->t, f[1], fl[1], &idx) != YS_OK)
        return ys_fail(err, YS_ENOMEM, "out of memory");
    if (n == 4)
        ys_table_set_paired(&lex->t, idx);
    return YS_OK;
}

static int parse_weight(const char *s, size_t len, int *w)
{
    char buf[16];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = 0;
    char *end;
    errno = 0;
    long v = strtol(buf, &end, 10);
    if (*end || errno || v < -1000 || v > 1000 || buf[0] == ' ' || buf[0] == '+')
        return -1;
    *w = (int)v;
    return 0;
}

/* @combo CAT+CAT BONUS [WINDOW]: both categories hit (with a positive
 * contribution; within WINDOW characters when given, else @window's) add
 * BONUS to a post's score. */
static int parse_combo(ys_lexicon *lex, const lines *it, const char *line, const char **f,
                       const size_t *fl, int n, ys_error *err)
{
    const char *plus = n == 3 || n == 4 ? memchr(f[1], '+', fl[1]) : NULL;
    if (!plus)
        return lex_error(err, it, line, line,
                         "@combo takes CATEGORY+CATEGORY, a bonus and an optional window");
    int a = ys_table_find_category(&lex->t, f[1], (size_t)(plus - f[1]));
    int b = ys_table_find_category(&lex->t, plus + 1, (size_t)(f[1] + fl[1] - plus - 1));
    if (a < 0 || b < 0 || a == b)
        return lex_error(err, it, line, a < 0 ? f[1] : plus + 1,
                         "@combo needs two different declared categories");
    int bonus;
    if (parse_weight(f[2], fl[2], &bonus) != 0)
        return lex_error(err, it, line, f[2],
                         "bad bonus '%.*s': expected an integer from -1000 to 1000",
                         (int)fl[2], f[2]);
    int window = -1;
    if (n == 4 && (parse_weight(f[3], fl[3], &window) != 0 || window < 0))
        return lex_error(err, it, line, f[3],
                         "bad window '%.*s': expected a number of characters from 0 to 1000",
                         (int)fl[3], f[3]);
    if (ys_table_add_combo(&lex->t, (unsigned)a, (unsigned)b, bonus, window) != YS_OK)
        return ys_fail(err, YS_ENOMEM, "out of memory");
    return YS_OK;
}

/* @threshold N: the score from which a post is flagged. */
static int parse_threshold(ys_lexicon *lex, const lines *it, const char *line,
                           const char **f, const size_t *fl, int n, ys_error *err)
{
    int t;
    if (n != 2 || parse_weight(f[1], fl[1], &t) != 0)
        return lex_error(err, it, line, n == 2 ? f[1] : line,
                         "@threshold takes an integer from -1000 to 1000");
    lex->t.threshold = t;
    return YS_OK;
}

/* @model FILE: the n-gram model (ngram.c), a path relative to the
 * lexicon's directory unless absolute; one per lexicon. */
static int parse_model(ys_lexicon *lex, const lines *it, const char *line, const char **f,
                       const size_t *fl, int n, ys_error *err)
{
    if (n != 2 || fl[1] == 0 || memchr(f[1], 0, fl[1]))
        return lex_error(err, it, line, line, "@model takes a file name");
    if (lex->t.model.n || lex->t.model.source)
        return lex_error(err, it, line, line, "a lexicon has one @model");
    const char *slash = f[1][0] == '/' ? NULL : strrchr(it->name, '/');
    size_t dl = slash ? (size_t)(slash - it->name) + 1 : 0;
    char *path = malloc(dl + fl[1] + 1);
    if (!path)
        return ys_fail(err, YS_ENOMEM, "out of memory");
    memcpy(path, it->name, dl);
    memcpy(path + dl, f[1], fl[1]);
    path[dl + fl[1]] = 0;
    char *data = NULL;
    size_t len = 0;
    ys_error why = {0};
    int rc = read_file(path, &data, &len, &why);
    if (rc == YS_OK && lex->skip_models) {
        lex->t.model.source = ys_ngrams_source(data, len);
        free(data);
        free(path);
        return YS_OK;
    }
    if (rc == YS_OK)
        rc = ys_ngrams_parse(&lex->t.model, path, data, len, &why);
    if (rc == YS_OK && lex->t.model.n == 0)
        rc = ys_fail(&why, YS_ELEXICON, "%s: the model has no grams", path);
    if (rc != YS_OK) {
        ys_ngrams_free(&lex->t.model);
        rc = rc == YS_ENOMEM ? ys_fail(err, rc, "out of memory")
                             : lex_error(err, it, line, f[1], "@model: %s", why.message);
    }
    free(data);
    free(path);
    return rc;
}

/* @rule NAME WEIGHT: a structural rule's weight (ys_rule_name). */
static int parse_rule(ys_lexicon *lex, const lines *it, const char *line, const char **f,
                      const size_t *fl, int n, ys_error *err)
{
    if (n != 3)
        return lex_error(err, it, line, line, "@rule takes a rule name and a weight");
    unsigned r = 0;
    while (r < YS_RULES && !(strlen(ys_rule_name(r)) == fl[1] &&
                             memcmp(ys_rule_name(r), f[1], fl[1]) == 0))
        r++;
    if (r == YS_RULES)
        return lex_error(err, it, line, f[1], "unknown rule '%.*s' (rules: quoted, question)",
                         (int)fl[1], f[1]);
    int w;
    if (parse_weight(f[2], fl[2], &w) != 0)
        return lex_error(err, it, line, f[2],
                         "bad weight '%.*s': expected an integer from -1000 to 1000",
                         (int)fl[2], f[2]);
    lex->t.rule_weight[r] = w;
    return YS_OK;
}

/* @window N: combos count only when their categories' hits are at most N
 * characters apart (0: anywhere). */
static int parse_window(ys_lexicon *lex, const lines *it, const char *line, const char **f,
                        const size_t *fl, int n, ys_error *err)
{
    int w;
    if (n != 2 || parse_weight(f[1], fl[1], &w) != 0 || w < 0)
        return lex_error(err, it, line, n == 2 ? f[1] : line,
                         "@window takes a number of characters from 0 to 1000");
    lex->t.window = w;
    return YS_OK;
}

/* A reading is kana only (hiragana, katakana, ー), with single spaces
 * between its words (where romaji spellings may break). */
static int is_kana_text(const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        const unsigned char *u = (const unsigned char *)s + i;
        if (u[0] == ' ' && i > 0 && i + 1 < len && s[i - 1] != ' ') {
            i++;
            continue;
        }
        if (i + 3 > len || u[0] != 0xE3)
            return 0;
        /* letters only: U+3041..3096, U+30A1..30FA and ー (not ・ ゝ ゛, which
         * would leave the reading's spellings out silently) */
        uint32_t cp = (uint32_t)(u[1] & 0x3F) << 6 | (u[2] & 0x3F);
        cp |= 0x3000;
        if (!((cp >= 0x3041 && cp <= 0x3096) || (cp >= 0x30A1 && cp <= 0x30FA) || cp == 0x30FC))
            return 0;
        i += 3;
    }
    return len > 0;
}

static int parse_pattern(ys_lexicon *lex, const lines *it, const char *line,
                         const char **f, const size_t *fl, int n, ys_error *err)
{
    if (n != 5 && n != 6)
        return lex_error(err, it, line, n > 6 ? f[6] - 1 : f[n - 1] + fl[n - 1],
                         "expected 5 or 6 tab-separated fields (id, category, weight, "
                         "type, expression, optional reading), found %d", n);
    if (!name_ok(f[0], fl[0], "_-.:"))
        return lex_error(err, it, line, f[0],
                         "bad id '%.*s': use letters, digits, '_', '-', '.' and ':'",
                         (int)fl[0], f[0]);
    int cat = ys_table_find_category(&lex->t, f[1], fl[1]);
    if (cat < 0)
        return lex_error(err, it, line, f[1],
                         "unknown category '%.*s' (declare it with @category)",
                         (int)fl[1], f[1]);
    ys_pattern p = {0};
    if (parse_weight(f[2], fl[2], &p.weight) != 0)
        return lex_error(err, it, line, f[2],
                         "bad weight '%.*s': expected an integer from -1000 to 1000",
                         (int)fl[2], f[2]);
    if (fl[3] == 3 && memcmp(f[3], "lit", 3) == 0)
        p.is_regex = 0;
    else if (fl[3] == 5 && memcmp(f[3], "exact", 5) == 0)
        p.exact = 1;
    else if (fl[3] == 2 && memcmp(f[3], "re", 2) == 0)
        p.is_regex = 1;
    else
        return lex_error(err, it, line, f[3],
                         "bad type '%.*s': expected 'lit', 'exact' or 're'", (int)fl[3], f[3]);
    if (fl[4] == 0)
        return lex_error(err, it, line, f[4], "empty expression");
    char reading[256] = "";
    if (n == 6) {
        if (p.is_regex || p.exact)
            return lex_error(err, it, line, f[5], "only 'lit' patterns take a reading");
        if (!is_kana_text(f[5], fl[5]) || fl[5] >= sizeof reading)
            return lex_error(err, it, line, f[5],
                             "bad reading '%.*s': expected kana (hiragana or katakana)",
                             (int)fl[5], f[5]);
        memcpy(reading, f[5], fl[5]);
        reading[fl[5]] = 0;
    }
    p.reading = reading;

    char id[256];
    if (fl[0] >= sizeof id)
        return lex_error(err, it, line, f[0], "id too long (255 bytes at most)");
    memcpy(id, f[0], fl[0]);
    id[fl[0]] = 0;
    p.id = id;
    p.expr = f[4];
    p.expr_len = fl[4];
    p.file = it->name;
    p.line = it->lineno;
    p.col = (unsigned)ys_utf8_chars(line, (size_t)(f[4] - line)) + 1;
    const ys_pattern *dup;
    int rc = add_pattern(lex, &p, (unsigned)cat, &dup);
    if (rc == YS_ENOMEM)
        return ys_fail(err, YS_ENOMEM, "out of memory");
    if (rc != YS_OK)
        return lex_error(err, it, line, f[0], "duplicate id '%s' (first defined at %s:%u)",
                         id, dup->file, dup->line);
    return YS_OK;
}

/* The text after a UTF-8 byte-order mark at its start, if it has one. */
static const char *after_bom(const char *data, size_t *len)
{
    if (*len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        *len -= 3;
        return data + 3;
    }
    return data;
}

int ys_lexicon_parse_tsv(ys_lexicon *lex, const char *name, const char *data,
                         size_t len, ys_error *err)
{
    data = after_bom(data, &len);
    lines it = {name, data, data + len, 0};
    const char *s;
    size_t n;
    while (next_line(&it, &s, &n)) {
        int rc = check_utf8(err, &it, s, n);
        if (rc != YS_OK)
            return rc;
        if (is_blank(s, n) || s[0] == '#')
            continue;
        const char *f[MAX_FIELDS + 1];
        size_t fl[MAX_FIELDS + 1];
        int nf = split_tabs(s, n, f, fl);
        if (fl[0] == 9 && memcmp(f[0], "@category", 9) == 0)
            rc = parse_category(lex, &it, s, f, fl, nf, err);
        else if (fl[0] == 6 && memcmp(f[0], "@combo", 6) == 0)
            rc = parse_combo(lex, &it, s, f, fl, nf, err);
        else if (fl[0] == 10 && memcmp(f[0], "@threshold", 10) == 0)
            rc = parse_threshold(lex, &it, s, f, fl, nf, err);
        else if (fl[0] == 5 && memcmp(f[0], "@rule", 5) == 0)
            rc = parse_rule(lex, &it, s, f, fl, nf, err);
        else if (fl[0] == 7 && memcmp(f[0], "@window", 7) == 0)
            rc = parse_window(lex, &it, s, f, fl, nf, err);
        else if (fl[0] == 6 && memcmp(f[0], "@model", 6) == 0)
            rc = parse_model(lex, &it, s, f, fl, nf, err);
        else
            rc = parse_pattern(lex, &it, s, f, fl, nf, err);
        if (rc != YS_OK)
            return rc;
    }
    return YS_OK;
}

int ys_lexicon_parse_list(ys_lexicon *lex, const char *name, const char *data,
                          size_t len, ys_error *err)
{
    data = after_bom(data, &len);
    lines it = {name, data, data + len, 0};
    const char *s;
    size_t n;
    while (next_line(&it, &s, &n)) {
        if (n == 0)
            continue;
        int rc = check_utf8(err, &it, s, n);
        if (rc != YS_OK)
            return rc;
        char id[512];
        snprintf(id, sizeof id, "%s:%u", name, it.lineno);
        ys_pattern p = {.id = id, .weight = 1, .exact = 1, .expr = s, .expr_len = n,
                        .file = name, .line = it.lineno, .col = 1};
        const ys_pattern *dup;
        rc = add_pattern(lex, &p, 0, &dup);
        if (rc == YS_ENOMEM)
            return ys_fail(err, YS_ENOMEM, "out of memory");
        if (rc != YS_OK)
            return lex_error(err, &it, s, s, "duplicate id '%s' (list given twice?)", id);
    }
    return YS_OK;
}

static int load_with(int (*parse)(ys_lexicon *, const char *, const char *, size_t,
                                  ys_error *),
                     ys_lexicon *lex, const char *path, ys_error *err)
{
    char *data = NULL;
    size_t len = 0;
    int rc = read_file(path, &data, &len, err);
    if (rc != YS_OK)
        return rc;
    rc = parse(lex, path, data, len, err);
    free(data);
    return rc;
}

int ys_lexicon_load_tsv(ys_lexicon *lex, const char *path, ys_error *err)
{
    return load_with(ys_lexicon_parse_tsv, lex, path, err);
}

int ys_lexicon_load_list(ys_lexicon *lex, const char *path, ys_error *err)
{
    return load_with(ys_lexicon_parse_list, lex, path, err);
}

int ys_lexicon_add_term(ys_lexicon *lex, const char *term, ys_error *err)
{
    size_t len = strlen(term);
    if (len == 0)
        return ys_fail(err, YS_ELEXICON, "-e: empty term");
    size_t ok = ys_utf8_valid_prefix(term, len);
    if (ok < len)
        return ys_fail(err, YS_ELEXICON, "-e %s: invalid UTF-8 at byte %zu", term, ok + 1);
    char id[32];
    snprintf(id, sizeof id, "e%u", ++lex->next_term);
    ys_pattern p = {.id = id, .weight = 1, .exact = 1, .expr = term, .expr_len = len,
                    .file = "-e", .line = lex->next_term, .col = 1};
    const ys_pattern *dup;
    int rc = add_pattern(lex, &p, 0, &dup);
    if (rc != YS_OK)
        return ys_fail(err, rc, "-e %s: %s", term, rc == YS_ENOMEM ? "out of memory"
                                                                 : "duplicate id");
    return YS_OK;
}

int ys_lexicon_set_rule(ys_lexicon *lex, unsigned rule, int weight)
{
    if (rule >= YS_RULES || weight < -1000 || weight > 1000)
        return YS_EINVAL;
    lex->t.rule_weight[rule] = weight;
    return YS_OK;
}

int ys_lexicon_set_window(ys_lexicon *lex, int window)
{
    if (window < 0 || window > 1000)
        return YS_EINVAL;
    lex->t.window = window;
    return YS_OK;
}
