/* Hyperscan compilation, and the compiled-database file format:
 *
 *   "YSDB\r\n\x1a\n"  magic (catches text-mode and truncation mangling)
 *   u32 format version, char[64] Hyperscan version, u64 lexicon hash
 *   u32 categories, then each: u32 length, bytes, u32 paired (0 or 1)
 *   u32 file names, then each: u32 length, bytes
 *   u32 patterns, then each: u32 category, i32 weight, u32 is_regex,
 *       u32 exact, u32 file (an index into the file names), u32 line,
 *       u32 col, and three strings (id, expression, reading) as u32
 *       length + bytes; an id of length 0 is FILE:LINE (a term of a
 *       plain list, named by its place)
 *   u32 combos, then each: u32 category, u32 category, i32 bonus, i32 window
 *   i32 threshold, i32 window, u32 rules, then each: i32 weight
 *   u32 n-gram model grams; if any, f64 bias, f64 points, then each gram:
 *       u32 length + bytes, f32 weight, f32 idf squared (since format 9)
 *   u32 literal spellings, then each: u32 pattern index, u32 length
 *   u64 length + the engine's image of the literals (length 0: none)
 *   u64 length + the same of the context literals (negative weights)
 *   u64 length + the same of the regexes (length 0: none)
 *   optional (absent in files written before it; then every gap is folded):
 *       u32 1 if the gap pairs below may be used, else 0, u32 pairs, then
 *       each: u64 key (foldscan.h; (0, c) for a spelling of one character
 *       c, since format 8), ascending
 *   u64 checksum of everything before it (ys_checksum)
 *
 * Integers are little-endian; a database is tied to one CPU platform anyway.
 */
#include "db.h"
#include "foldscan.h"
#include "rules_id.h" /* generated: engine/gen-rules-id */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DB_MAGIC "YSDB\r\n\x1a\n"
#define DB_FORMAT 9
#define ENGINE_LEN 64

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void ys_db_free(ys_db *db)
{
    if (!db)
        return;
    if (db->eng) {
        db->eng->free(db->lit);
        db->eng->free(db->ctx);
        db->eng->free(db->re);
    }
    free(db->lit_base);
    free(db->lit_len);
    free(db->gap_pairs);
    ys_table_free(&db->t);
    free(db);
}

/* Counts the literal and regex patterns of the table. */
static void count_kinds(ys_db *db)
{
    db->nlit = db->nre = 0;
    for (size_t i = 0; i < db->t.n; i++) {
        if (db->t.pat[i].is_regex)
            db->nre++;
        else
            db->nlit++;
    }
}

/* Puts the pattern's place in front of an engine's compile error. */
static int compile_error(ys_error *err, int rc, const ys_pattern *p)
{
    if (!p || rc != YS_ECOMPILE)
        return rc;
    char why[sizeof err->message];
    snprintf(why, sizeof why, "%s", err->message);
    return ys_fail(err, rc, "%s:%u:%u: pattern '%s': %s", p->file, p->line, p->col, p->id, why);
}

/* A literal's term as written, folded (what its own first spelling is). */
typedef struct {
    char *s;
    size_t n;
    uint32_t pat;
} written;

/* The literal spellings being collected for the engine. */
typedef struct {
    ys_db *db;
    uint32_t base;
    char **expr;
    size_t *len;
    unsigned char *caseless;
    size_t cap;
    size_t pcap;      /* of db->gap_pairs */
    written *terms;   /* every folding literal's written term, sorted */
    size_t nterms;
} spellings;

static int cmp_written(const void *a, const void *b)
{
    const written *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->s, y->s, n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* Folds the written term of every literal that folding applies to (not
 * exact) into sp->terms, sorted. */
static int collect_written(spellings *sp)
{
    const ys_table *t = &sp->db->t;
    sp->terms = calloc(t->n ? t->n : 1, sizeof *sp->terms);
    if (!sp->terms)
        return YS_ENOMEM;
    for (size_t i = 0; i < t->n; i++) {
        const ys_pattern *p = &t->pat[i];
        if (p->is_regex || p->exact)
            continue;
        size_t cap = 3 * p->expr_len + 1;
        char *out = malloc(cap);
        uint32_t *map = malloc(2 * cap * sizeof *map);
        if (!out || !map) {
            free(out), free(map);
            return YS_ENOMEM;
        }
        size_t n = ys_fold(p->expr, p->expr_len, out, map, map + cap);
        if (n == YS_FOLD_UNCHANGED) {
            memcpy(out, p->expr, p->expr_len);
            n = p->expr_len;
        }
        free(map);
        sp->terms[sp->nterms++] = (written){out, n, (uint32_t)i};
    }
    qsort(sp->terms, sp->nterms, sizeof *sp->terms, cmp_written);
    return YS_OK;
}

/* A spelling generated for pattern `pat` that is another literal's term as
 * written (高額収入 without 額 is 高収入, a term of its own): that term's
 * weight is the one meant, so the generated spelling is left out. */
static int another_term(const spellings *sp, const char *s, size_t n, uint32_t pat)
{
    written key = {(char *)s, n, 0};
    size_t lo = 0, hi = sp->nterms;
    while (lo < hi) { /* the first entry not below key */
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_written(&sp->terms[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    int other = 0;
    for (size_t i = lo; i < sp->nterms && cmp_written(&sp->terms[i], &key) == 0; i++) {
        if (sp->terms[i].pat == pat)
            return 0; /* its own term (another may share it: both keep it) */
        other = 1;
    }
    return other;
}

static int has_ascii_letter(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))
            return 1;
    return 0;
}

static int add_spelling(void *ctx, const char *s, size_t n)
{
    spellings *sp = ctx;
    ys_db *db = sp->db;
    if (!db->t.pat[sp->base].exact && another_term(sp, s, n, sp->base))
        return YS_SPELLING_SKIPPED; /* (an exact term is its only spelling) */
    if (db->nspell == sp->cap) {
        size_t cap = sp->cap ? 2 * sp->cap : 256;
        if (!ys_grow(&sp->expr, cap, sizeof *sp->expr) || !ys_grow(&sp->len, cap, sizeof *sp->len) ||
            !ys_grow(&sp->caseless, cap, 1) ||
            !ys_grow(&db->lit_base, cap, sizeof *db->lit_base) ||
            !ys_grow(&db->lit_len, cap, sizeof *db->lit_len))
            return YS_ENOMEM;
        sp->cap = cap;
    }
    char *copy = malloc(n ? n : 1);
    if (!copy)
        return YS_ENOMEM;
    memcpy(copy, s, n);
    const ys_pattern *p = &db->t.pat[sp->base];
    size_t i = db->nspell++;
    sp->expr[i] = copy;
    sp->len[i] = n;
    /* A term's Latin letters match in any case (Telegram, TELEGRAM). */
    sp->caseless[i] = !p->exact && has_ascii_letter(s, n);
    db->lit_base[i] = sp->base;
    db->lit_len[i] = (uint32_t)n;
    /* the pairs of Japanese characters it holds (at most n) */
    if (db->ngap_pairs + n > sp->pcap) {
        size_t cap = 2 * (db->ngap_pairs + n) + 256;
        if (!ys_grow(&db->gap_pairs, cap, sizeof *db->gap_pairs))
            return YS_ENOMEM;
        sp->pcap = cap;
    }
    size_t np;
    if (ys_fold_spelling_pairs(s, n, db->gap_pairs + db->ngap_pairs, &np) != 0)
        db->gap_pairs_ok = 0;
    db->ngap_pairs += np;
    return YS_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorts the gap pairs and drops repeats. */
static void finish_gap_pairs(ys_db *db)
{
    if (db->ngap_pairs == 0)
        return;
    qsort(db->gap_pairs, db->ngap_pairs, sizeof *db->gap_pairs, cmp_u64);
    size_t n = 1;
    for (size_t i = 1; i < db->ngap_pairs; i++)
        if (db->gap_pairs[i] != db->gap_pairs[n - 1])
            db->gap_pairs[n++] = db->gap_pairs[i];
    db->ngap_pairs = n;
}

/* Compiles the spellings whose pattern weighs less than zero (`context`: 1)
 * or not (0) into *out; ids are spelling indexes. */
static int compile_spellings(ys_db *db, const spellings *sp, int context, ys_matcher **out,
                             ys_error *err)
{
    size_t n = 0, cap = db->nspell ? db->nspell : 1;
    const char **expr = malloc(cap * sizeof *expr);
    size_t *len = malloc(cap * sizeof *len);
    unsigned char *caseless = malloc(cap);
    unsigned *ids = malloc(cap * sizeof *ids);
    int rc = YS_OK;
    *out = NULL;
    if (!expr || !len || !caseless || !ids)
        rc = ys_fail(err, YS_ENOMEM, "out of memory");
    for (size_t i = 0; rc == YS_OK && i < db->nspell; i++)
        if ((db->t.pat[db->lit_base[i]].weight < 0) == context) {
            expr[n] = sp->expr[i];
            len[n] = sp->len[i];
            caseless[n] = sp->caseless[i];
            ids[n++] = (unsigned)i;
        }
    long bad = -1;
    if (rc == YS_OK && n > 0) {
        ys_exprs e = {expr, len, caseless, ids, n};
        rc = db->eng->compile_literals(&e, out, &bad, err);
        if (rc != YS_OK)
            rc = compile_error(err, rc, bad >= 0 ? &db->t.pat[db->lit_base[ids[bad]]] : NULL);
    }
    free(expr);
    free(len);
    free(caseless);
    free(ids);
    return rc;
}

/* Compiles every spelling of every literal: the ones that can raise a score
 * into one Hyperscan database, the negative context into another, which the
 * scanner only runs on posts that already have a hit (context is made of
 * common words; most posts would otherwise be full of hits that cannot
 * change their verdict). */
static int compile_literals(ys_db *db, ys_error *err)
{
    spellings sp = {db, 0, NULL, NULL, NULL, 0, 0, NULL, 0};
    int rc = collect_written(&sp);
    db->nspell = 0;
    db->ngap_pairs = 0;
    db->gap_pairs_ok = 1;
    for (size_t i = 0; i < db->t.n && rc == YS_OK; i++)
        if (!db->t.pat[i].is_regex) {
            sp.base = (uint32_t)i;
            rc = ys_variants_counted(&db->t.pat[i], db->t.threshold, add_spelling, &sp,
                                     db->generated);
        }
    if (rc != YS_OK)
        rc = ys_fail(err, YS_ENOMEM, "out of memory");
    else
        finish_gap_pairs(db);
    if (rc == YS_OK)
        rc = compile_spellings(db, &sp, 0, &db->lit, err);
    if (rc == YS_OK)
        rc = compile_spellings(db, &sp, 1, &db->ctx, err);
    for (size_t i = 0; i < db->nspell; i++)
        free(sp.expr[i]);
    free(sp.expr);
    free(sp.len);
    free(sp.caseless);
    for (size_t i = 0; i < sp.nterms; i++)
        free(sp.terms[i].s);
    free(sp.terms);
    return rc;
}

/* The first regex pattern, for the error of an engine without regexes. */
static const ys_pattern *first_regex(const ys_db *db)
{
    for (size_t i = 0; i < db->t.n; i++)
        if (db->t.pat[i].is_regex)
            return &db->t.pat[i];
    return NULL;
}

/* Compiles the regexes: they see folded text, in UTF-8 mode, with the
 * leftmost start of each match. */
static int compile_regexes(ys_db *db, ys_error *err)
{
    size_t n = db->nre;
    if (n == 0)
        return YS_OK;
    if (!db->eng->compile_regexes) {
        const ys_pattern *p = first_regex(db);
        return ys_fail(err, YS_ECOMPILE,
                       "%s:%u: pattern '%s' is a regex, and the %s engine takes literals only "
                       "(%zu regex patterns)",
                       p->file, p->line, p->id, db->eng->name, n);
    }
    const char **exprs = malloc(n * sizeof *exprs);
    size_t *len = malloc(n * sizeof *len);
    unsigned char *caseless = calloc(n, 1);
    unsigned *ids = malloc(n * sizeof *ids);
    int rc = YS_OK;
    if (!exprs || !len || !caseless || !ids) {
        rc = ys_fail(err, YS_ENOMEM, "out of memory");
        goto done;
    }
    size_t k = 0;
    for (size_t i = 0; i < db->t.n; i++) {
        if (!db->t.pat[i].is_regex)
            continue;
        exprs[k] = db->t.pat[i].expr;
        len[k] = db->t.pat[i].expr_len;
        ids[k++] = (unsigned)i;
    }
    ys_exprs e = {exprs, len, caseless, ids, n};
    long bad = -1;
    rc = db->eng->compile_regexes(&e, &db->re, &bad, err);
    if (rc != YS_OK) /* bad indexes exprs[]; map it back through ids[] */
        rc = compile_error(err, rc, bad >= 0 ? &db->t.pat[ids[bad]] : NULL);
done:
    free(exprs);
    free(len);
    free(caseless);
    free(ids);
    return rc;
}

const char *ys_engine_default(void)
{
#ifdef YS_HAVE_HYPERSCAN
    return "hs";
#else
    return "ac";
#endif
}

const ys_engine *ys_engine_find(const char *name)
{
#ifdef YS_HAVE_HYPERSCAN
    if (!strcmp(name, ys_engine_hs.name))
        return &ys_engine_hs;
#endif
    if (!strcmp(name, ys_engine_ac.name))
        return &ys_engine_ac;
    return NULL;
}

const char *ys_engine_version(const char *name)
{
    const ys_engine *e = ys_engine_find(name);
    return e ? e->version() : NULL;
}

const char *ys_rules_id(void) { return YS_RULES_ID; }

int ys_engine_has_regexes(const char *name)
{
    const ys_engine *e = ys_engine_find(name);
    return e && e->compile_regexes;
}

static int copy_model(ys_ngrams *to, const ys_ngrams *from)
{
    int rc = YS_OK;
    for (size_t i = 0; i < from->n && rc == YS_OK; i++)
        rc = ys_ngrams_add(to, from->text + from->off[i], from->len[i], from->weight[i],
                           from->idf2[i]);
    to->bias = from->bias;
    to->points = from->points;
    size_t dup;
    return rc == YS_OK && from->n ? ys_ngrams_index(to, &dup) : rc;
}

size_t ys_db_model_grams(const ys_db *db) { return db->t.model.n; }

int ys_db_compile(const ys_lexicon *lex, ys_db **out, ys_error *err)
{
    return ys_db_compile_with(lex, NULL, out, err);
}

int ys_db_compile_with(const ys_lexicon *lex, const char *engine, ys_db **out, ys_error *err)
{
    *out = NULL;
    const ys_engine *eng = ys_engine_find(engine ? engine : ys_engine_default());
    if (!eng)
        return ys_fail(err, YS_EINVAL, "no engine '%s' in this yamiscan (it has: %s)", engine,
                       YS_ENGINES);
    size_t n = ys_lexicon_size(lex);
    if (n == 0)
        return ys_fail(err, YS_EINVAL, "the lexicon has no patterns");
    if (n > UINT32_MAX / 2)
        return ys_fail(err, YS_EINVAL, "too many patterns (%zu)", n);
    const ys_table *lt = ys_lexicon_table(lex);
    if (lt->model.source && !lt->model.n)
        return ys_fail(err, YS_EINVAL, "the lexicon's @model was not read (ys_lexicon_skip_models)");
    double t0 = now_seconds();
    ys_db *db = calloc(1, sizeof *db);
    if (!db)
        return ys_fail(err, YS_ENOMEM, "out of memory");
    db->t.threshold = YS_NO_THRESHOLD;
    db->eng = eng;
    int rc = YS_OK;
    /* Categories in declaration order, so that indexes stay the same. */
    for (size_t i = 0; i < lt->ncats && rc == YS_OK; i++) {
        rc = ys_table_add_category(&db->t, lt->cats[i], strlen(lt->cats[i]), NULL);
        if (rc == YS_OK && lt->paired[i])
            ys_table_set_paired(&db->t, (unsigned)i);
    }
    for (size_t i = 0; i < n && rc == YS_OK; i++)
        rc = ys_table_add(&db->t, &lt->pat[i], lt->cat_of[i]);
    for (size_t i = 0; i < lt->ncombos && rc == YS_OK; i++)
        rc = ys_table_add_combo(&db->t, lt->combos[i].a, lt->combos[i].b, lt->combos[i].bonus,
                                lt->combos[i].window);
    db->t.threshold = lt->threshold;
    db->t.window = lt->window;
    memcpy(db->t.rule_weight, lt->rule_weight, sizeof db->t.rule_weight);
    rc = rc == YS_OK ? copy_model(&db->t.model, &lt->model) : rc;
    if (rc != YS_OK) {
        ys_db_free(db);
        return ys_fail(err, rc, "out of memory");
    }
    count_kinds(db);
    rc = compile_regexes(db, err); /* first: an engine without them says so at once */
    if (rc == YS_OK)
        rc = compile_literals(db, err);
    if (rc != YS_OK) {
        ys_db_free(db);
        return rc;
    }
    db->hash = ys_lexicon_hash(lex);
    db->compile_seconds = now_seconds() - t0;
    *out = db;
    return YS_OK;
}

void ys_db_get_stats(const ys_db *db, ys_db_stats *st)
{
    memset(st, 0, sizeof *st);
    st->patterns = db->t.n;
    st->literals = db->nlit;
    st->regexes = db->nre;
    st->spellings = db->nspell;
    st->categories = db->t.ncats;
    st->engine = db->eng->name;
    ys_matcher *m[3] = {db->lit, db->ctx, db->re};
    for (int i = 0; i < 3; i++)
        if (m[i])
            st->db_bytes += db->eng->size(m[i]);
    st->compile_seconds = db->compile_seconds;
    st->lexicon_hash = db->hash;
}

const ys_pattern *ys_db_pattern(const ys_db *db, unsigned index)
{
    return index < db->t.n ? &db->t.pat[index] : NULL;
}

size_t ys_db_category_count(const ys_db *db) { return db->t.ncats; }

int ys_db_category_paired(const ys_db *db, unsigned index)
{
    return index < db->t.ncats && db->t.paired[index];
}

const char *ys_db_category_name(const ys_db *db, unsigned index)
{
    return index < db->t.ncats ? db->t.cats[index] : NULL;
}

unsigned ys_db_pattern_category(const ys_db *db, unsigned index)
{
    return db->t.cat_of[index];
}

int ys_db_rule_weight(const ys_db *db, unsigned rule)
{
    return rule < YS_RULES ? db->t.rule_weight[rule] : 0;
}
int ys_db_window(const ys_db *db) { return db->t.window; }
int ys_db_combo_window(const ys_db *db, size_t i)
{
    return i >= db->t.ncombos ? 0 : db->t.combos[i].window >= 0 ? db->t.combos[i].window
                                                                : db->t.window;
}
size_t ys_db_generated(const ys_db *db, unsigned gen)
{
    return gen < YS_GENERATORS ? db->generated[gen] : 0;
}

size_t ys_db_combo_count(const ys_db *db) { return db->t.ncombos; }

void ys_db_combo(const ys_db *db, size_t i, unsigned *a, unsigned *b, int *bonus)
{
    *a = db->t.combos[i].a;
    *b = db->t.combos[i].b;
    *bonus = db->t.combos[i].bonus;
}

/* ---- writing ---- */

typedef struct {
    FILE *f;
    ys_sum sum;
    int bad;
} writer;

static void put(writer *w, const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, w->f) != n)
        w->bad = 1;
    ys_sum_add(&w->sum, p, n);
}

static void put_u32(writer *w, uint32_t v) { put(w, &v, 4); }
static void put_u64(writer *w, uint64_t v) { put(w, &v, 8); }

static void put_str(writer *w, const char *s, size_t n)
{
    put_u32(w, (uint32_t)n);
    put(w, s, n);
}

static int put_matcher(writer *w, const ys_engine *eng, const ys_matcher *m)
{
    if (!m) {
        put_u64(w, 0);
        return YS_OK;
    }
    char *bytes;
    size_t n;
    if (eng->save(m, &bytes, &n) != YS_OK)
        return YS_ENOMEM;
    put_u64(w, n);
    put(w, bytes, n);
    free(bytes);
    return YS_OK;
}

int ys_db_save(const ys_db *db, const char *path, ys_error *err)
{
    /* Write beside the target and rename, so a reader never sees half a file. */
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return ys_fail(err, YS_EINVAL, "%s: path too long", path);
    writer w = {fopen(tmp, "wb"), {0}, 0};
    ys_sum_init(&w.sum);
    if (!w.f)
        return ys_fail(err, YS_EIO, "%s: %s", tmp, strerror(errno));
    char engine[ENGINE_LEN] = {0};
    snprintf(engine, sizeof engine, "%s %s", db->eng->name, db->eng->version());
    put(&w, DB_MAGIC, 8);
    put_u32(&w, DB_FORMAT);
    put(&w, engine, sizeof engine);
    put_u64(&w, db->hash);
    put_u32(&w, (uint32_t)db->t.ncats);
    for (size_t i = 0; i < db->t.ncats; i++) {
        put_str(&w, db->t.cats[i], strlen(db->t.cats[i]));
        put_u32(&w, db->t.paired[i]);
    }
    put_u32(&w, (uint32_t)db->t.nfiles);
    for (size_t i = 0; i < db->t.nfiles; i++)
        put_str(&w, db->t.files[i], strlen(db->t.files[i]));
    put_u32(&w, (uint32_t)db->t.n);
    for (size_t i = 0; i < db->t.n; i++) {
        const ys_pattern *p = &db->t.pat[i];
        put_u32(&w, db->t.cat_of[i]);
        put_u32(&w, (uint32_t)p->weight);
        put_u32(&w, (uint32_t)p->is_regex);
        put_u32(&w, (uint32_t)p->exact);
        put_u32(&w, (uint32_t)ys_table_file_index(&db->t, i));
        put_u32(&w, p->line);
        put_u32(&w, p->col);
        /* a list's term is named FILE:LINE: written as no id, and named so
         * again when loaded, so that its path is not in every pattern */
        char named[4096 + 16];
        snprintf(named, sizeof named, "%s:%u", p->file, p->line);
        put_str(&w, p->id, strcmp(p->id, named) == 0 ? 0 : strlen(p->id));
        put_str(&w, p->expr, p->expr_len);
        put_str(&w, p->reading, strlen(p->reading));
    }
    put_u32(&w, (uint32_t)db->t.ncombos);
    for (size_t i = 0; i < db->t.ncombos; i++) {
        put_u32(&w, db->t.combos[i].a);
        put_u32(&w, db->t.combos[i].b);
        put_u32(&w, (uint32_t)db->t.combos[i].bonus);
        put_u32(&w, (uint32_t)db->t.combos[i].window);
    }
    put_u32(&w, (uint32_t)db->t.threshold);
    put_u32(&w, (uint32_t)db->t.window);
    put_u32(&w, YS_RULES);
    for (unsigned r = 0; r < YS_RULES; r++)
        put_u32(&w, (uint32_t)db->t.rule_weight[r]);
    const ys_ngrams *m = &db->t.model;
    put_u32(&w, (uint32_t)m->n);
    if (m->n) {
        put(&w, &m->bias, 8);
        put(&w, &m->points, 8);
    }
    for (size_t i = 0; i < m->n; i++) {
        put_str(&w, m->text + m->off[i], m->len[i]);
        put(&w, &m->weight[i], 4);
        put(&w, &m->idf2[i], 4);
    }
    put_u32(&w, (uint32_t)db->nspell);
    for (size_t i = 0; i < db->nspell; i++) {
        put_u32(&w, db->lit_base[i]);
        put_u32(&w, db->lit_len[i]);
    }
    int rc = put_matcher(&w, db->eng, db->lit);
    if (rc == YS_OK)
        rc = put_matcher(&w, db->eng, db->ctx);
    if (rc == YS_OK)
        rc = put_matcher(&w, db->eng, db->re);
    put_u32(&w, (uint32_t)db->gap_pairs_ok);
    put_u32(&w, (uint32_t)db->ngap_pairs);
    for (size_t i = 0; i < db->ngap_pairs; i++)
        put_u64(&w, db->gap_pairs[i]);
    uint64_t sum = ys_sum_end(&w.sum);
    put_u64(&w, sum);
    int e = errno;
    if (fclose(w.f) != 0 && !w.bad) {
        w.bad = 1;
        e = errno;
    }
    if (rc != YS_OK || w.bad) {
        remove(tmp);
        return rc != YS_OK ? ys_fail(err, rc, "%s: cannot serialize database", path)
                           : ys_fail(err, YS_EIO, "%s: %s", tmp, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        remove(tmp);
        return ys_fail(err, YS_EIO, "%s: %s", path, strerror(e));
    }
    return YS_OK;
}

/* ---- reading ---- */

typedef struct {
    const unsigned char *p, *end;
} reader;

static int get(reader *r, void *out, size_t n)
{
    if ((size_t)(r->end - r->p) < n)
        return -1;
    memcpy(out, r->p, n);
    r->p += n;
    return 0;
}

static int get_u32(reader *r, uint32_t *v) { return get(r, v, 4); }

static int get_str(reader *r, const char **s, size_t *n)
{
    uint32_t len;
    if (get_u32(r, &len) || (size_t)(r->end - r->p) < len)
        return -1;
    *s = (const char *)r->p;
    *n = len;
    r->p += len;
    return 0;
}

/* One matcher image; an error's reason is in err. */
static int get_matcher(reader *r, const ys_engine *eng, ys_matcher **out, ys_error *err)
{
    uint64_t n;
    *out = NULL;
    if (get(r, &n, 8) || (uint64_t)(r->end - r->p) < n)
        return ys_fail(err, YS_EDB, "truncated matcher image");
    if (n == 0)
        return YS_OK;
    int rc = eng->load((const char *)r->p, (size_t)n, out, err);
    r->p += n;
    return rc;
}

static int bad_db(ys_error *err, const char *name, const char *why)
{
    return ys_fail(err, YS_EDB, "%s: %s", name, why);
}

/* The n-gram model: u32 grams; if any, f64 bias and points, then per gram
 * its bytes (str), f32 weight and f32 idf squared. */
static int parse_model(reader *r, ys_ngrams *m)
{
    uint32_t n;
    if (get_u32(r, &n) || n > (uint32_t)(r->end - r->p) / 12)
        return -1;
    if (n && (get(r, &m->bias, 8) || get(r, &m->points, 8) || !isfinite(m->bias) ||
              !(m->points > 0) || !isfinite(m->points)))
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        const char *g;
        size_t gl;
        float wt, q;
        if (get_str(r, &g, &gl) || gl == 0 || gl > 12 || get(r, &wt, 4) || get(r, &q, 4) ||
            !isfinite(wt) || !(q > 0) || !isfinite(q) || ys_ngrams_add(m, g, gl, wt, q) != YS_OK)
            return -1;
    }
    size_t dup;
    return n && ys_ngrams_index(m, &dup) != YS_OK ? -1 : 0;
}

static int parse_table(reader *r, ys_table *t)
{
    uint32_t ncats, n;
    if (get_u32(r, &ncats) || ncats == 0)
        return -1;
    for (uint32_t i = 0; i < ncats; i++) {
        const char *s;
        size_t len;
        uint32_t paired;
        if (get_str(r, &s, &len) || ys_table_add_category(t, s, len, NULL) != YS_OK ||
            get_u32(r, &paired) || paired > 1)
            return -1;
        if (paired)
            ys_table_set_paired(t, i);
    }
    /* The file names, as the patterns name them (NUL-terminated copies). */
    uint32_t nfiles;
    if (get_u32(r, &nfiles) || nfiles > (uint32_t)(r->end - r->p) / 4)
        return -1;
    char **files = calloc(nfiles + 1, sizeof *files);
    int rc = files ? 0 : -1;
    for (uint32_t i = 0; rc == 0 && i < nfiles; i++) {
        const char *f;
        size_t fl;
        if (get_str(r, &f, &fl) || fl >= 4096 || memchr(f, 0, fl) || !(files[i] = malloc(fl + 1)))
            rc = -1;
        else
            memcpy(files[i], f, fl), files[i][fl] = 0;
    }
    if (rc == 0 && (get_u32(r, &n) || n == 0))
        rc = -1;
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        uint32_t cat, w, re, exact, file, line, col;
        const char *id, *expr, *reading;
        size_t idl, exl, rl;
        if (get_u32(r, &cat) || get_u32(r, &w) || get_u32(r, &re) || get_u32(r, &exact) ||
            get_u32(r, &file) || get_u32(r, &line) || get_u32(r, &col) || get_str(r, &id, &idl) ||
            get_str(r, &expr, &exl) || get_str(r, &reading, &rl) || cat >= t->ncats || re > 1 ||
            exact > 1 || file >= nfiles || idl >= 256 || exl == 0 || rl >= 256) {
            rc = -1;
            break;
        }
        char idbuf[4096 + 16], readbuf[256];
        if (idl == 0) /* a list's term: FILE:LINE */
            snprintf(idbuf, sizeof idbuf, "%s:%u", files[file], line);
        else
            memcpy(idbuf, id, idl), idbuf[idl] = 0;
        memcpy(readbuf, reading, rl);
        readbuf[rl] = 0;
        ys_pattern p = {.id = idbuf, .weight = (int32_t)w, .is_regex = (int)re,
                        .exact = (int)exact, .expr = expr, .expr_len = exl, .file = files[file],
                        .line = line, .col = col, .reading = readbuf};
        if (ys_table_add(t, &p, cat) != YS_OK)
            rc = -1;
    }
    for (uint32_t i = 0; files && i < nfiles; i++)
        free(files[i]);
    free(files);
    if (rc != 0)
        return -1;
    uint32_t ncombos, thr;
    if (get_u32(r, &ncombos) || ncombos > 1u << 20)
        return -1;
    for (uint32_t i = 0; i < ncombos; i++) {
        uint32_t a, b, bonus, window;
        if (get_u32(r, &a) || get_u32(r, &b) || get_u32(r, &bonus) || get_u32(r, &window) ||
            a >= ncats || b >= ncats || (int32_t)window < -1 || (int32_t)window > 1000 ||
            ys_table_add_combo(t, a, b, (int32_t)bonus, (int32_t)window) != YS_OK)
            return -1;
    }
    uint32_t window, nrules;
    if (get_u32(r, &thr) || get_u32(r, &window) || get_u32(r, &nrules) || nrules != YS_RULES ||
        (int32_t)window < 0 || window > 1000)
        return -1;
    t->threshold = (int32_t)thr;
    t->window = (int)window;
    for (unsigned k = 0; k < YS_RULES; k++) {
        uint32_t w;
        if (get_u32(r, &w) || (int32_t)w < -1000 || (int32_t)w > 1000)
            return -1;
        t->rule_weight[k] = (int32_t)w;
    }
    return parse_model(r, &t->model);
}

/* The literal spellings' owners and lengths. */
static int parse_spellings(reader *r, ys_db *db)
{
    uint32_t n;
    if (get_u32(r, &n) || (size_t)(r->end - r->p) / 8 < n)
        return -1;
    db->nspell = n;
    db->lit_base = malloc((n ? n : 1) * sizeof *db->lit_base);
    db->lit_len = malloc((n ? n : 1) * sizeof *db->lit_len);
    if (!db->lit_base || !db->lit_len)
        return -1;
    for (uint32_t i = 0; i < n; i++)
        if (get_u32(r, &db->lit_base[i]) || get_u32(r, &db->lit_len[i]) ||
            db->lit_base[i] >= db->t.n || db->t.pat[db->lit_base[i]].is_regex)
            return -1;
    return 0;
}

/* The gap pairs (written since they exist; without them every gap is
 * folded): ascending keys of two code points. */
static int parse_gap_pairs(reader *r, ys_db *db)
{
    uint32_t ok, n;
    if (get_u32(r, &ok) || ok > 1 || get_u32(r, &n) || (size_t)(r->end - r->p) / 8 < n)
        return -1;
    db->gap_pairs = malloc((n ? n : 1) * sizeof *db->gap_pairs);
    if (!db->gap_pairs)
        return -1;
    for (uint32_t i = 0; i < n; i++)
        if (get(r, &db->gap_pairs[i], 8) || db->gap_pairs[i] >> 42 ||
            (i > 0 && db->gap_pairs[i] <= db->gap_pairs[i - 1]))
            return -1;
    db->ngap_pairs = n;
    db->gap_pairs_ok = (int)ok;
    return 0;
}

int ys_db_load_mem(const char *name, const void *data, size_t len, ys_db **out,
                   ys_error *err)
{
    *out = NULL;
    const unsigned char *b = data;
    if (len < 8 || memcmp(b, DB_MAGIC, 8) != 0)
        return bad_db(err, name, "not a yamiscan compiled database (bad magic)");
    if (len < 8 + 4 + ENGINE_LEN + 8 + 8)
        return bad_db(err, name, "truncated compiled database");
    uint32_t format;
    memcpy(&format, b + 8, 4);
    if (format != DB_FORMAT)
        return ys_fail(err, YS_EDB, "%s: database format %u, this yamiscan reads format %u; "
                       "recompile it (ys_db_compile, ys_db_save)", name, format, DB_FORMAT);
    uint64_t sum;
    memcpy(&sum, b + len - 8, 8);
    if (ys_checksum(b, len - 8) != sum)
        return bad_db(err, name, "truncated or corrupt compiled database (checksum mismatch)");
    /* "NAME VERSION": the engine must be here, in the same version. */
    char engine[ENGINE_LEN];
    memcpy(engine, b + 12, ENGINE_LEN);
    engine[ENGINE_LEN - 1] = 0;
    char *ver = strchr(engine, ' ');
    if (ver)
        *ver++ = 0;
    const ys_engine *eng = ys_engine_find(engine);
    if (!eng || !ver)
        return ys_fail(err, YS_EDB, "%s: compiled for the '%.16s' engine, which this yamiscan "
                       "lacks (it has: %s)", name, engine, YS_ENGINES);
    if (strcmp(ver, eng->version()) != 0)
        return ys_fail(err, YS_EDB, "%s: built with %s %s, this is %s; recompile it "
                       "(ys_db_compile, ys_db_save)", name,
                       eng == ys_engine_find("hs") ? "Hyperscan" : engine, ver, eng->version());
    ys_db *db = calloc(1, sizeof *db);
    if (!db)
        return ys_fail(err, YS_ENOMEM, "out of memory");
    db->eng = eng;
    reader r = {b + 12 + ENGINE_LEN, b + len - 8};
    int rc = get(&r, &db->hash, 8) || parse_table(&r, &db->t) ? -1 : 0;
    if (rc == 0) {
        count_kinds(db);
        rc = parse_spellings(&r, db);
    }
    if (rc != 0) {
        ys_db_free(db);
        return bad_db(err, name, "corrupt pattern table");
    }
    ys_error why = {0};
    rc = get_matcher(&r, eng, &db->lit, &why);
    if (rc == YS_OK)
        rc = get_matcher(&r, eng, &db->ctx, &why);
    if (rc == YS_OK)
        rc = get_matcher(&r, eng, &db->re, &why);
    if (rc == YS_OK && r.p != r.end && parse_gap_pairs(&r, db) != 0)
        rc = ys_fail(&why, YS_EDB, "corrupt database: bad gap pairs");
    if (rc == YS_OK && (r.p != r.end || (db->nspell > 0) != (db->lit || db->ctx) ||
                        (db->nre > 0) != (db->re != NULL)))
        rc = ys_fail(&why, YS_EDB, "corrupt database: matchers and pattern table disagree");
    if (rc != YS_OK) {
        ys_db_free(db);
        return ys_fail(err, rc, "%s: %s", name, why.message);
    }
    *out = db;
    return YS_OK;
}

int ys_db_load(const char *path, ys_db **out, ys_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ys_fail(err, YS_EIO, "%s: %s", path, strerror(errno));
    size_t cap = 1 << 20, n = 0;
    unsigned char *buf = NULL;
    int rc = YS_OK;
    for (;;) {
        unsigned char *nb = realloc(buf, cap);
        if (!nb) {
            rc = ys_fail(err, YS_ENOMEM, "%s: out of memory", path);
            break;
        }
        buf = nb;
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) {
            if (ferror(f))
                rc = ys_fail(err, YS_EIO, "%s: %s", path, strerror(errno));
            break;
        }
        cap *= 2;
    }
    fclose(f);
    if (rc == YS_OK)
        rc = ys_db_load_mem(path, buf, n, out, err);
    free(buf);
    return rc;
}
