/* yamiscan tune: fits a TSV lexicon's weights to a labeled JSONL file
 * (issue 13, "weights fitted, not hand-tuned").
 *
 * Each post is scored once by the lexicon as written (every structural rule
 * switched on with weight 1, @window from a small grid), which gives its
 * features: per category, the contribution as the lexicon weighs it now;
 * per @combo and per rule, 1 if it fired; per pattern, 1 if it set its
 * category's contribution. An L2-regularized logistic regression (projected
 * accelerated gradient descent over sparse rows) fits a factor a_c >= 0 per
 * category, a bonus b_k >= 0 per combo and a weight r_j per rule, shrunk
 * towards the lexicon's own weighting (its score, scaled by a 1-D logistic
 * fit), and a term's own weight d_p added to a_c w_p, shrunk towards 0 by
 * its own penalty (--term-l2): a category's factor cannot tell 逮捕 from
 * コンビニ, which ads name too. Everything is then scaled by one factor so
 * that the threshold is about 15, rounded to integers, written into the lexicon's
 * text and compiled; the threshold is the integer that maximizes F1 on the
 * training posts with those integer scores. Every figure printed comes from
 * the compiled integer lexicon, scanned and scored as `yamiscan eval` does.
 *
 * Posts whose verdict no weight can change (no positive hit: never flagged;
 * a term of category "default": always flagged) are left out of the fit
 * but counted in every figure. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define MAX_TEXT (1u << 20) /* longest post text, as yamiscan eval */
/* --quote-share's default: on the held-out part, shares 1, 1/2, 1/4 and
 * 1/8 of the ads framed flagged 2, 3, 3 and 4 of 232 quoted posts (16
 * without) and missed 98, 62, 51 and 44 of 1,498 ads (31 without); the
 * tuning part's cross-validated F1 falls with the share (0.976 at 1/8,
 * 0.979 without): corpora/dev/README.md, "The n-gram model". */
#define QUOTE_SHARE_DEFAULT 0.125
#define QUOTE_SHARE_TEXT "0.125"
#define GRID_N 5
static const int window_grid[GRID_N] = {0, 10, 20, 40, 80};
#define TARGET_THRESHOLD 15.0
#define FIT_ITERS 200000 /* the lexicon's fit: to convergence (1e-9) */
#define TERM_L2_TEXT "0.001" /* --term-l2's default, chosen by cross-validation */
#define TERM_L2_DEFAULT 0.001
#define TUNE_PASSES 2 /* fits, the second from the first one's hits (see fit) */
#define TUNE_HEADER "# fitted by: yamiscan tune" /* how the line tune writes first begins */

const char usage_tune[] =
    "Usage: yamiscan tune [OPTIONS] LABELED.jsonl\n"
    "Fit the weights of a lexicon to a labeled JSONL file (\"text\", \"label\" 1 or\n"
    "0, as for 'yamiscan eval'): a factor per category (>= 0, so context stays\n"
    "negative; none for a paired category), a weight of each term's own added to\n"
    "its category's (its sign kept), a bonus per @combo (>= 0), a weight\n"
    "per @rule, @window (chosen from 0, 10, 20, 40, 80 by cross-validation) and\n"
    "@threshold (the integer that maximizes F1 on the training posts), by\n"
    "L2-regularized logistic regression shrunk towards the lexicon's current\n"
    "weighting, scaled so that the threshold is about 15 and rounded. Prints\n"
    "per-fold and pooled precision, recall and F1 of stratified k-fold\n"
    "cross-validation (each fold scored by the integer weights fitted on the\n"
    "other folds; the figures of the chosen window, so slightly optimistic),\n"
    "the fitted weights, and the figures of the weights fitted on all posts,\n"
    "on those posts. Every figure is that of the rounded integer lexicon,\n"
    "compiled and scored as 'yamiscan eval' does.\n"
    "\n"
    "  -l, --lexicon FILE     a TSV lexicon (default: the bundled one); repeatable\n"
    "                         without -o\n"
    "      --engine hs|ac     the matcher used to score the posts\n"
    "  -o, --output OUT.tsv   write the lexicon with the fitted weights: each\n"
    "                         pattern weight w becomes round(a_c * w + d_p), of\n"
    "                         w's sign, @combo bonuses, @rule, @window and\n"
    "                         @threshold lines replaced (added after @threshold if\n"
    "                         missing), everything else byte for byte, under a\n"
    "                         first comment line with the command and the CV\n"
    "                         figures (replacing one an earlier tune wrote). One\n"
    "                         -l only. Written to a temporary file and renamed;\n"
    "                         OUT must be a regular file if it exists\n"
    "      --folds K          cross-validation folds (default 5; 2 to 100, at\n"
    "                         most the number of positive and of negative posts)\n"
    "      --seed S           seed of the fold assignment (default 1): the same\n"
    "                         seed gives the same folds and figures\n"
    "      --group-by FIELD   keep the posts with the same value of FIELD (a\n"
    "                         JSON string or number every post has, such as the\n"
    "                         development set's \"batch\") in one fold, groups dealt\n"
    "                         largest first to the fold with fewest posts: figures\n"
    "                         for posts by writers the fit never saw (--folds at\n"
    "                         most the number of groups; folds are not stratified)\n"
    "      --window N         use @window N instead of choosing it (0 to 1000)\n"
    "      --l2 X             strength of the L2 penalty (default 0.01; larger:\n"
    "                         closer to the lexicon's current weighting)\n"
    "      --term-l2 X        strength of the penalty on the terms' own weights\n"
    "                         (default " TERM_L2_TEXT "; larger: closer to their category's\n"
    "                         factor; 0: none, every term of a category scaled alike)\n"
    "      --cv-threshold     add to the threshold fitted on all posts the shift of\n"
    "                         every fold's threshold that gives the best pooled F1\n"
    "                         of cross-validation (printed in any case): the fit\n"
    "                         scores its own posts higher than new ones, so the\n"
    "                         threshold best on them is too low for new posts\n"
    "      --model OUT        fit the n-gram model instead (patterns/README.md, \"The\n"
    "                         n-gram model\"): cross-validate it as the other fits,\n"
    "                         and write the one fitted on every post to OUT (\"-\":\n"
    "                         figures only), for the lexicon's @model line. The\n"
    "                         lexicon's weights are read, not fitted\n"
    "      --model-c C        the model's inverse L2 strength (default 30)\n"
    "      --blend A          how much the lexicon's score counts against the\n"
    "                         model's log-odds (default 0.1): points = 1 / (A k),\n"
    "                         k the slope of the lexicon's score in log-odds\n"
    "      --quote-frames FILE\n"
    "                         with --model: a share of the ads also goes into the\n"
    "                         model's fits as harmless posts, each inside a frame\n"
    "                         of FILE (lines PREFIX TAB SUFFIX, {NL} a line break:\n"
    "                         someone quoting it to warn, report or ask; a line\n"
    "                         that starts with # is a comment), in its ad's fold;\n"
    "                         the figures are of the labeled posts alone\n"
    "      --quote-share X    that share (default " QUOTE_SHARE_TEXT "; above 0, at most 1: a\n"
    "                         larger one, fewer quotations flagged, more ads missed)\n"
    "      --flat             start from no earlier fit: every term weighs 1 or -1\n"
    "                         (its sign kept), every @combo bonus and @rule 0, so\n"
    "                         that neither the fit nor its cross-validation lean on\n"
    "                         weights fitted before on all the posts (which would\n"
    "                         leak each fold's posts into its own scoring)\n"
    "  -h, --help             show this help\n"
    "\n"
    "Exit status: 0 when fitted (and OUT written), 2 on error (a malformed line\n"
    "of the labeled file is one: FILE:LINE: what is wrong).\n";

/* ---- small helpers ---- */

typedef struct {
    char *p;
    size_t n, cap;
    int oom;
} buf;

static void put(buf *b, const void *s, size_t n)
{
    if (b->oom)
        return;
    if (b->cap - b->n < n + 1) {
        size_t cap = 2 * b->cap + n + 64;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void putf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static int read_all(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
        return -1;
    }
    buf b = {0};
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        put(&b, chunk, got);
    int bad = ferror(f), e = errno;
    fclose(f);
    if (bad || b.oom) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, b.oom ? "out of memory" : strerror(e));
        free(b.p);
        return -1;
    }
    *data = b.p ? b.p : calloc(1, 1);
    *len = b.n;
    return *data ? 0 : -1;
}

/* s, all of it, as a number (strtod), or NAN where it is not one: every
 * range check then fails on it. */
static double number_or_nan(const char *s)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    return *end || end == s || errno ? NAN : x;
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

typedef struct {
    unsigned tp, fp, fn, tn;
} conf;

static void conf_add(conf *c, int label, int flagged)
{
    if (label)
        flagged ? c->tp++ : c->fn++;
    else
        flagged ? c->fp++ : c->tn++;
}

static double precision(const conf *c) { return c->tp + c->fp ? (double)c->tp / (c->tp + c->fp) : 0; }
static double recall(const conf *c) { return c->tp + c->fn ? (double)c->tp / (c->tp + c->fn) : 0; }
static double f1(const conf *c)
{
    unsigned d = 2 * c->tp + c->fp + c->fn;
    return d ? 2.0 * c->tp / d : 0;
}

static void print_conf(const char *what, const conf *c)
{
    printf("%s: tp %u fp %u fn %u tn %u  precision %.3f  recall %.3f  F1 %.3f\n", what, c->tp,
           c->fp, c->fn, c->tn, precision(c), recall(c), f1(c));
}

/* ---- the tuner's state ---- */

typedef struct {
    char *path; /* as given (or the bundled lexicon's path) */
    char *data;
    size_t len;
} lexfile;

typedef struct {
    char *text;
    size_t len;
    int label;
    int fold;
    int framed;  /* made by --quote-frames: in the model's fits, in no figure */
    char *group; /* the raw token of --group-by's field, or NULL */
} post;

/* Per window: what the lexicon as written says of each post. */
typedef struct {
    double *x;          /* npost × d features */
    long *term;         /* npost × nfc: the pattern that set each fitted
                           category's contribution, or -1 */
    double *s0;         /* the post's score with the lexicon's own weights */
    signed char *fixed; /* -1: up to the score; 0: never flagged; 1: always */
    int *strong;        /* per category: its weight largest in absolute value */
    int *bonus;         /* per combo: its bonus */
} features;

/* A fitted lexicon in integers (what is written). */
typedef struct {
    double *mult;  /* per category: factor on its pattern weights ("default": 1) */
    double *delta; /* per pattern: added to its scaled weight (--term-l2) */
    int *bonus;   /* per combo */
    int rule[YS_RULES];
    int window, threshold;
} imodel;

typedef struct {
    lexfile *files;
    int nfiles;
    const char *engine;
    ys_db *db0; /* the lexicon as written */
    size_t ncats, ncombos, nfc, d;
    size_t npat;        /* patterns: each may get its own weight (term_l2 > 0) */
    unsigned def_cat;
    unsigned *fit_cat;  /* feature j < nfc: its category */
    int *cat_strong;    /* per category: its pattern weight largest in absolute value */
    int *combo_bonus0;  /* the lexicon's bonuses */
    int rule0[YS_RULES];
    int window0, threshold0, has_threshold0;
    double l2, term_l2; /* term_l2 0: no weight of a term's own */
    int shift;          /* added to the threshold of a fit (--cv-threshold) */
    post *posts;
    size_t nposts;
    const char *group_by; /* --group-by's field, or NULL */
    ys_batch *batch;
} tuner;

/* ---- scanning ---- */

typedef void (*post_fn)(void *ctx, size_t i, const ys_db *db, ys_scorer *s, const ys_hit *h,
                        size_t n, const ys_verdict *v);

/* Scans and scores every post with `db` (threshold: the db's own unless
 * `threshold` is not INT_MIN) and calls fn for each. */
static int for_each_post(tuner *t, const ys_db *db, int threshold, post_fn fn, void *ctx)
{
    ys_error err = {0};
    ys_scanner *sc;
    ys_scorer *s;
    if (ys_scanner_new(db, &sc, &err) != YS_OK) {
        fprintf(stderr, "%s: %s\n", prog, cli_message(ys_error_message(&err)));
        return -1;
    }
    if (ys_scorer_new(db, &s, &err) != YS_OK) {
        fprintf(stderr, "%s: %s\n", prog, cli_message(ys_error_message(&err)));
        ys_scanner_free(sc);
        return -1;
    }
    if (threshold != INT_MIN)
        ys_scorer_set_threshold(s, threshold);
    ys_scorer_set_model(s, 0); /* the lexicon's terms are fitted, the model apart (--model) */
    int rc = 0;
    for (size_t i = 0; i < t->nposts && rc == 0; i++) {
        const post *p = &t->posts[i];
        ys_batch_clear(t->batch);
        const ys_hit *hits;
        size_t n;
        if (ys_batch_add(t->batch, p->text, p->len, "", 0, i + 1) != YS_OK ||
            ys_scan_batch(sc, t->batch, &hits, &n, &err) != YS_OK) {
            fprintf(stderr, "%s: %s\n", prog,
                    err.message[0] ? cli_message(ys_error_message(&err)) : "out of memory");
            rc = -1;
            break;
        }
        ys_verdict v;
        if (ys_score_text(s, p->text, p->len, hits, n, &v) != YS_OK) {
            fprintf(stderr, "%s: out of memory while scoring\n", prog);
            rc = -1;
            break;
        }
        fn(ctx, i, db, s, hits, n, &v);
    }
    ys_scorer_free(s);
    ys_scanner_free(sc);
    return rc;
}

/* -1 when the weights decide; 0 no positive hit (never flagged); 1 a
 * "default" term (always flagged). */
static signed char fixed_verdict(const tuner *t, const ys_db *db, const ys_scorer *s,
                                 const ys_hit *h, size_t n)
{
    int dummy;
    if (ys_scorer_category(s, t->def_cat, &dummy))
        return 1;
    for (size_t i = 0; i < n; i++)
        if (!ys_scorer_hit_ignored(s, i) && ys_db_pattern(db, h[i].pattern)->weight > 0)
            return -1;
    return 0;
}

/* ---- lexicon text ---- */

static int compile_texts(tuner *t, char *const *texts, const size_t *lens, const char *name0,
                         int set_rules, int window, ys_db **out)
{
    ys_error err = {0};
    ys_lexicon *lex = ys_lexicon_new();
    int rc = lex ? YS_OK : YS_ENOMEM;
    for (int i = 0; rc == YS_OK && i < t->nfiles; i++)
        rc = ys_lexicon_parse_tsv(lex, i == 0 && name0 ? name0 : t->files[i].path,
                                  texts ? texts[i] : t->files[i].data,
                                  texts ? lens[i] : t->files[i].len, &err);
    for (unsigned r = 0; rc == YS_OK && set_rules && r < YS_RULES; r++)
        rc = ys_lexicon_set_rule(lex, r, 1);
    if (rc == YS_OK && window >= 0)
        rc = ys_lexicon_set_window(lex, window);
    if (rc == YS_OK)
        rc = ys_db_compile_with(lex, t->engine, out, &err);
    ys_lexicon_free(lex);
    if (rc != YS_OK) {
        fprintf(stderr, "%s: %s\n", prog,
                err.message[0] ? cli_message(ys_error_message(&err)) : "out of memory");
        return -1;
    }
    return 0;
}

static int category_index(const tuner *t, const char *name, size_t len)
{
    for (size_t c = 0; c < t->ncats; c++) {
        const char *s = ys_db_category_name(t->db0, (unsigned)c);
        if (strlen(s) == len && memcmp(s, name, len) == 0)
            return (int)c;
    }
    return -1;
}

static int rule_index(const char *name, size_t len)
{
    for (unsigned r = 0; r < YS_RULES; r++)
        if (strlen(ys_rule_name(r)) == len && memcmp(ys_rule_name(r), name, len) == 0)
            return (int)r;
    return -1;
}

#define MAX_FIELDS 7

typedef struct {
    const char *s;    /* the line, without its end */
    size_t len;       /* without "\n" or "\r\n" */
    const char *next; /* the next line */
    const char *eol;  /* "\n", "\r\n" or "" (the last line without one) */
    int nf;
    const char *f[MAX_FIELDS];
    size_t fl[MAX_FIELDS];
    int kind; /* 0 blank or comment, 1 pattern, else a directive */
} tsv_line;

enum { L_NONE, L_PATTERN, L_CATEGORY, L_COMBO, L_THRESHOLD, L_RULE, L_WINDOW, L_OTHER };

/* Splits the line at p as the lexicon parser does (engine/src/lexicon.c). */
static void next_tsv_line(const char *p, const char *end, tsv_line *l)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    l->s = p;
    l->len = (size_t)((nl ? nl : end) - p);
    l->next = nl ? nl + 1 : end;
    l->eol = nl ? "\n" : "";
    if (l->len && p[l->len - 1] == '\r' && nl)
        l->len--, l->eol = "\r\n";
    else if (l->len && p[l->len - 1] == '\r') /* a last line ending in \r alone */
        l->len--, l->eol = "\r";
    l->nf = 0;
    l->kind = L_NONE;
    int blank = 1;
    for (size_t i = 0; i < l->len && blank; i++)
        blank = p[i] == ' ' || p[i] == '\t';
    if (blank || p[0] == '#')
        return;
    const char *q = p, *e = p + l->len;
    for (;;) {
        const char *tab = memchr(q, '\t', (size_t)(e - q));
        if (l->nf < MAX_FIELDS) {
            l->f[l->nf] = q;
            l->fl[l->nf] = (size_t)((tab ? tab : e) - q);
        }
        l->nf++;
        if (!tab)
            break;
        q = tab + 1;
    }
    static const struct {
        const char *name;
        int kind;
    } dir[] = {{"@category", L_CATEGORY}, {"@combo", L_COMBO}, {"@threshold", L_THRESHOLD},
               {"@rule", L_RULE},         {"@window", L_WINDOW}};
    /* another directive (@model): nothing tune rewrites, copied as it is */
    l->kind = p[0] == '@' ? L_OTHER : L_PATTERN;
    for (size_t k = 0; k < sizeof dir / sizeof *dir; k++)
        if (l->fl[0] == strlen(dir[k].name) && memcmp(l->f[0], dir[k].name, l->fl[0]) == 0)
            l->kind = dir[k].kind;
}

/* Copies line l to out with field `field` replaced by the number v. */
static void put_replaced(buf *out, const tsv_line *l, int field, long v)
{
    const char *a = l->f[field], *b = l->f[field] + l->fl[field];
    put(out, l->s, (size_t)(a - l->s));
    putf(out, "%ld", v);
    put(out, b, (size_t)(l->s + l->len - b));
    put(out, l->eol, strlen(l->eol));
}

/* round(mult * w + delta), of w's sign and in -1000..1000. */
static long scaled_weight(double mult, double delta, long w)
{
    if (w == 0)
        return 0;
    double v = nearbyint(mult * (double)w + delta);
    if (v > 1000)
        v = 1000;
    if (v < -1000)
        v = -1000;
    long r = (long)v;
    if (r == 0 || (r > 0) != (w > 0)) /* keep the sign: a positive term stays one,
                                          context stays context */
        r = w > 0 ? 1 : -1;
    return r;
}

/* --flat: file f's text with every pattern weight but those of category
 * "default" replaced by its sign, and every @combo bonus and @rule weight
 * by 0 (the rest byte for byte). */
static int flatten(lexfile *f)
{
    buf out = {0};
    tsv_line l;
    for (const char *p = f->data, *end = p + f->len; p < end; p = l.next) {
        next_tsv_line(p, end, &l);
        long w;
        if (l.kind == L_PATTERN && l.nf >= 5 && !(l.fl[1] == 7 && memcmp(l.f[1], "default", 7) == 0)) {
            w = strtol(l.f[2], NULL, 10);
            put_replaced(&out, &l, 2, (w > 0) - (w < 0));
        } else if ((l.kind == L_COMBO || l.kind == L_RULE) && l.nf >= 3) {
            put_replaced(&out, &l, 2, 0);
        } else {
            put(&out, l.s, (size_t)(l.next - l.s));
        }
    }
    if (out.oom) {
        free(out.p);
        return -1;
    }
    free(f->data);
    f->data = out.p ? out.p : calloc(1, 1);
    f->len = out.n;
    return f->data ? 0 : -1;
}

/* The text of file i: src[i] (a rewritten lexicon), or as read (src NULL). */
static const char *src_data(const tuner *t, const buf *src, int i, size_t *len)
{
    if (src) {
        *len = src[i].n;
        return src[i].p ? src[i].p : "";
    }
    *len = t->files[i].len;
    return t->files[i].data;
}

static void free_texts(const tuner *t, buf *b)
{
    for (int i = 0; b && i < t->nfiles; i++)
        free(b[i].p);
    free(b);
}

/* Which of @threshold, @window and each @rule some file has. */
static void directives_present(const tuner *t, const buf *src, int *thr, int *win,
                               int rule[YS_RULES])
{
    *thr = *win = 0;
    memset(rule, 0, YS_RULES * sizeof *rule);
    for (int i = 0; i < t->nfiles; i++) {
        size_t len;
        const char *p = src_data(t, src, i, &len), *end = p + len;
        tsv_line l;
        for (; p < end; p = l.next) {
            next_tsv_line(p, end, &l);
            if (l.kind == L_THRESHOLD)
                *thr = 1;
            else if (l.kind == L_WINDOW)
                *win = 1;
            else if (l.kind == L_RULE && l.nf == 3 && rule_index(l.f[1], l.fl[1]) >= 0)
                rule[rule_index(l.f[1], l.fl[1])] = 1;
        }
    }
}

static void put_missing(buf *out, const imodel *m, int thr, int win, const int rule[YS_RULES],
                        const char *eol)
{
    if (!thr)
        putf(out, "@threshold\t%d%s", m->threshold, eol);
    if (!win)
        putf(out, "@window\t%d%s", m->window, eol);
    for (unsigned r = 0; r < YS_RULES; r++)
        if (!rule[r])
            putf(out, "@rule\t%s\t%d%s", ys_rule_name(r), m->rule[r], eol);
}

/* File `fi` of src with the weights of m (pattern k's weight w, k counted
 * over the files' pattern lines: round(m->mult * w + m->delta[k])).
 * The directives no file has are added to the first file: after its last
 * @threshold line, or before its first line that is not blank or a comment.
 * A first line an earlier tune wrote is left out. *combo counts the @combo
 * lines so far. */
static int rewrite(const tuner *t, const buf *src, int fi, const imodel *m, size_t *combo,
                   size_t *pat, buf *out)
{
    int thr, win, rule[YS_RULES];
    directives_present(t, src, &thr, &win, rule);
    int missing = !thr || !win;
    for (unsigned r = 0; r < YS_RULES; r++)
        missing |= !rule[r];
    size_t len;
    const char *begin = src_data(t, src, fi, &len), *p = begin, *end = p + len;
    /* Where the missing directives go: after the last @threshold line, else
     * before the first content line, else at the end. */
    const char *insert_after = NULL, *insert_before = NULL;
    tsv_line l;
    if (fi == 0 && missing) {
        for (const char *q = p; q < end; q = l.next) {
            next_tsv_line(q, end, &l);
            if (l.kind == L_THRESHOLD)
                insert_after = q;
            if (l.kind != L_NONE && !insert_before)
                insert_before = q;
        }
        if (insert_after)
            insert_before = NULL;
    }
    int inserted = !(fi == 0 && missing);
    for (; p < end; p = l.next) {
        next_tsv_line(p, end, &l);
        if (fi == 0 && p == begin && l.len >= strlen(TUNE_HEADER) &&
            memcmp(p, TUNE_HEADER, strlen(TUNE_HEADER)) == 0)
            continue; /* an earlier tune's line: the new one replaces it */
        if (!inserted && p == insert_before) {
            put_missing(out, m, thr, win, rule, l.eol[0] ? l.eol : "\n");
            inserted = 1;
        }
        int c, r;
        switch (l.kind) {
        case L_PATTERN:
            c = category_index(t, l.f[1], l.fl[1]);
            if (c < 0 || l.nf < 5 || *pat >= t->npat) /* pattern k: the k-th pattern line */
                return -1;
            put_replaced(out, &l, 2,
                         scaled_weight(m->mult[c], m->delta[(*pat)++], strtol(l.f[2], NULL, 10)));
            break;
        case L_COMBO:
            if (*combo >= t->ncombos)
                return -1;
            put_replaced(out, &l, 2, m->bonus[(*combo)++]);
            break;
        case L_THRESHOLD: put_replaced(out, &l, 1, m->threshold); break;
        case L_WINDOW: put_replaced(out, &l, 1, m->window); break;
        case L_RULE:
            if ((r = rule_index(l.f[1], l.fl[1])) < 0)
                return -1;
            put_replaced(out, &l, 2, m->rule[r]);
            break;
        default: put(out, l.s, (size_t)(l.next - l.s)); break;
        }
        if (!inserted && p == insert_after) {
            if (!l.eol[0])
                put(out, "\n", 1);
            put_missing(out, m, thr, win, rule, l.eol[0] ? l.eol : "\n");
            inserted = 1;
        }
    }
    if (!inserted) { /* no content line at all */
        if (out->n && out->p[out->n - 1] != '\n')
            put(out, "\n", 1);
        put_missing(out, m, thr, win, rule, "\n");
    }
    return out->oom ? -1 : 0;
}

/* Every file of src rewritten with m, into *out (nfiles texts). */
static int rewrite_all(const tuner *t, const buf *src, const imodel *m, buf **out)
{
    buf *texts = calloc((size_t)t->nfiles, sizeof *texts);
    int rc = texts ? 0 : -1;
    size_t combo = 0, pat = 0;
    for (int i = 0; rc == 0 && i < t->nfiles; i++) {
        rc = rewrite(t, src, i, m, &combo, &pat, &texts[i]);
        put(&texts[i], "", 0); /* never NULL */
        rc = rc || texts[i].oom ? -1 : 0;
    }
    if (rc == 0 && pat != t->npat)
        rc = -1;
    if (rc != 0) {
        fprintf(stderr, "%s: cannot write the fitted lexicon (out of memory)\n", prog);
        free_texts(t, texts);
        return -1;
    }
    *out = texts;
    return 0;
}

/* Compiles texts (NULL: the files as read); with set_rules every rule
 * weighs 1, and a window >= 0 replaces @window. */
static int compile_src(tuner *t, const buf *src, const char *name0, int set_rules, int window,
                       ys_db **db)
{
    char **ptrs = calloc((size_t)t->nfiles, sizeof *ptrs);
    size_t *lens = calloc((size_t)t->nfiles, sizeof *lens);
    int rc = -1;
    if (ptrs && lens) {
        for (int i = 0; i < t->nfiles; i++)
            ptrs[i] = (char *)src_data(t, src, i, &lens[i]);
        rc = compile_texts(t, ptrs, lens, name0, set_rules, window, db);
    } else {
        fprintf(stderr, "%s: out of memory\n", prog);
    }
    free(ptrs);
    free(lens);
    return rc;
}

/* ---- features ---- */

typedef struct {
    tuner *t;
    features *F;
    const int *rule0; /* the source's rule weights (for s0) */
} feat_ctx;

static void collect_features(void *ctx, size_t i, const ys_db *db, ys_scorer *s, const ys_hit *h,
                             size_t n, const ys_verdict *v)
{
    (void)v;
    feat_ctx *fc = ctx;
    tuner *t = fc->t;
    double *x = fc->F->x + i * t->d;
    double s0 = 0;
    long *term = fc->F->term + i * t->nfc;
    for (size_t j = 0; j < t->nfc; j++) {
        int w;
        int on = ys_scorer_category(s, t->fit_cat[j], &w);
        x[j] = on ? w : 0;
        term[j] = on && w ? ys_scorer_category_pattern(s, t->fit_cat[j]) : -1;
        s0 += x[j];
    }
    for (size_t k = 0; k < t->ncombos; k++) {
        x[t->nfc + k] = ys_scorer_combo(s, k);
        s0 += x[t->nfc + k] * fc->F->bonus[k];
    }
    for (unsigned r = 0; r < YS_RULES; r++) {
        x[t->nfc + t->ncombos + r] = ys_scorer_rule(s, r);
        s0 += x[t->nfc + t->ncombos + r] * fc->rule0[r];
    }
    fc->F->s0[i] = s0;
    fc->F->fixed[i] = fixed_verdict(t, db, s, h, n);
}

/* What the lexicon src (NULL: as read) says of each post at `window`,
 * scored with every rule on (weight 1); rule0: src's own rule weights. */
static int make_features(tuner *t, const buf *src, int window, const int *rule0, features *F)
{
    F->x = calloc(t->nposts * t->d + 1, sizeof *F->x);
    F->term = calloc(t->nposts * t->nfc + 1, sizeof *F->term);
    F->s0 = calloc(t->nposts + 1, sizeof *F->s0);
    F->fixed = calloc(t->nposts + 1, 1);
    F->strong = calloc(t->ncats + 1, sizeof *F->strong);
    F->bonus = calloc(t->ncombos + 1, sizeof *F->bonus);
    if (!F->x || !F->term || !F->s0 || !F->fixed || !F->strong || !F->bonus) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return -1;
    }
    ys_db *db;
    if (compile_src(t, src, NULL, 1, window, &db) != 0)
        return -1;
    ys_db_stats st;
    ys_db_get_stats(db, &st);
    for (size_t i = 0; i < st.patterns; i++) {
        int w = ys_db_pattern(db, (unsigned)i)->weight;
        int *sw = &F->strong[ys_db_pattern_category(db, (unsigned)i)];
        if (abs(w) > abs(*sw) || (abs(w) == abs(*sw) && w > *sw))
            *sw = w;
    }
    for (size_t k = 0; k < t->ncombos; k++) {
        unsigned a, b;
        ys_db_combo(db, k, &a, &b, &F->bonus[k]);
    }
    feat_ctx fc = {t, F, rule0};
    int rc = for_each_post(t, db, INT_MIN, collect_features, &fc);
    ys_db_free(db);
    return rc;
}

static void free_features(features *F)
{
    free(F->x);
    free(F->term);
    free(F->s0);
    free(F->fixed);
    free(F->strong);
    free(F->bonus);
    memset(F, 0, sizeof *F);
}

/* ---- logistic regression ---- */

/* Distinct feature vectors of the training posts, with their label counts,
 * stored sparse (a post has a few categories and terms of thousands). */
typedef struct {
    size_t m, d;   /* rows; coordinates (the bias is coordinate d) */
    size_t *off;   /* row r: entries off[r] .. off[r + 1] - 1 */
    uint32_t *idx; /* increasing within a row */
    double *val;
    double *pos, *neg;
    double total;
} rows;

typedef struct {
    const uint32_t *idx;
    const double *val;
    size_t n;
    int label;
} row_ref;

static int cmp_row(const void *a, const void *b)
{
    const row_ref *p = a, *q = b;
    for (size_t j = 0; j < p->n && j < q->n; j++) {
        if (p->idx[j] != q->idx[j])
            return p->idx[j] < q->idx[j] ? -1 : 1;
        if (p->val[j] != q->val[j])
            return p->val[j] < q->val[j] ? -1 : 1;
    }
    return p->n < q->n ? -1 : p->n > q->n;
}

/* Rows of the posts with use[i] and no fixed verdict: the first d features
 * of x (stride `stride`) and, with terms, coordinate d + p (value 1) for
 * each pattern p of F->term. */
static int make_rows(const tuner *t, const features *F, const unsigned char *use,
                     const double *x, size_t stride, size_t d, int terms, rows *R)
{
    memset(R, 0, sizeof *R);
    R->d = d + (terms ? t->npat : 0);
    size_t per = d + (terms ? t->nfc : 0), n = 0, e = 0;
    row_ref *refs = malloc((t->nposts + 1) * sizeof *refs);
    uint32_t *idx = malloc((t->nposts * per + 1) * sizeof *idx);
    double *val = malloc((t->nposts * per + 1) * sizeof *val);
    R->off = malloc((t->nposts + 2) * sizeof *R->off);
    R->idx = malloc((t->nposts * per + 1) * sizeof *R->idx);
    R->val = malloc((t->nposts * per + 1) * sizeof *R->val);
    R->pos = calloc(t->nposts + 1, sizeof *R->pos);
    R->neg = calloc(t->nposts + 1, sizeof *R->neg);
    int rc = -1;
    if (!refs || !idx || !val || !R->off || !R->idx || !R->val || !R->pos || !R->neg)
        goto done;
    for (size_t i = 0; i < t->nposts; i++) {
        if (!use[i] || F->fixed[i] >= 0)
            continue;
        size_t start = e;
        for (size_t j = 0; j < d; j++)
            if (x[i * stride + j] != 0)
                idx[e] = (uint32_t)j, val[e++] = x[i * stride + j];
        size_t tstart = e;
        for (size_t j = 0; terms && j < t->nfc; j++) {
            long p = F->term[i * t->nfc + j];
            if (p < 0)
                continue;
            size_t k = e++; /* insertion: a row has a few terms */
            while (k > tstart && idx[k - 1] > d + (size_t)p)
                idx[k] = idx[k - 1], val[k] = val[k - 1], k--;
            idx[k] = (uint32_t)(d + (size_t)p), val[k] = 1;
        }
        refs[n++] = (row_ref){idx + start, val + start, e - start, t->posts[i].label};
    }
    qsort(refs, n, sizeof *refs, cmp_row);
    size_t ne = 0;
    R->off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || cmp_row(&refs[i - 1], &refs[i]) != 0) {
            memcpy(R->idx + ne, refs[i].idx, refs[i].n * sizeof *R->idx);
            memcpy(R->val + ne, refs[i].val, refs[i].n * sizeof *R->val);
            ne += refs[i].n;
            R->off[++R->m] = ne;
        }
        (refs[i].label ? R->pos : R->neg)[R->m - 1]++;
        R->total++;
    }
    rc = 0;
done:
    free(refs);
    free(idx);
    free(val);
    return rc;
}

static void free_rows(rows *R)
{
    free(R->off);
    free(R->idx);
    free(R->val);
    free(R->pos);
    free(R->neg);
}

static double sigmoid(double z)
{
    if (z >= 0)
        return 1 / (1 + exp(-z));
    double e = exp(z);
    return e / (1 + e);
}

static double row_dot(const rows *R, size_t r, const double *w)
{
    double z = w[R->d];
    for (size_t k = R->off[r]; k < R->off[r + 1]; k++)
        z += w[R->idx[k]] * R->val[k];
    return z;
}

/* The gradient at w (d weights, then the bias) of
 *   (1/total) sum of the log-losses + sum_j l2[j]/2 (w[j] - prior[j])^2
 * (the bias not penalized). */
static void gradient(const rows *R, const double *w, const double *prior, const double *l2,
                     double *g)
{
    size_t d = R->d;
    memset(g, 0, (d + 1) * sizeof *g);
    for (size_t r = 0; r < R->m; r++) {
        double e = ((R->pos[r] + R->neg[r]) * sigmoid(row_dot(R, r, w)) - R->pos[r]) / R->total;
        for (size_t k = R->off[r]; k < R->off[r + 1]; k++)
            g[R->idx[k]] += e * R->val[k];
        g[d] += e;
    }
    for (size_t j = 0; j < d; j++)
        g[j] += l2[j] * (w[j] - prior[j]);
}

/* Minimizes it with w[j] >= lb[j] (lb: 0 or -HUGE_VAL) by projected
 * accelerated gradient descent (FISTA with adaptive restart). The step is
 * 1/L, L bounding the Hessian: a quarter of the largest eigenvalue of the
 * rows' second moment (power iteration), plus the largest l2. */
static int fit_logistic(const rows *R, const double *prior, const double *lb, const double *l2,
                        double *w, int max_iter)
{
    size_t d = R->d, n = d + 1;
    double *v = malloc(n * sizeof *v), *u = malloc(n * sizeof *u), *y = malloc(n * sizeof *y),
           *g = malloc(n * sizeof *g), *prev = malloc(n * sizeof *prev);
    if (!v || !u || !y || !g || !prev) {
        free(v), free(u), free(y), free(g), free(prev);
        return -1;
    }
    for (size_t j = 0; j < n; j++)
        v[j] = 1;
    double lambda = 1, l2max = 0;
    for (int it = 0; it < 200 && R->total > 0; it++) {
        memset(u, 0, n * sizeof *u);
        for (size_t r = 0; r < R->m; r++) {
            double c = (R->pos[r] + R->neg[r]) / R->total * row_dot(R, r, v);
            for (size_t k = R->off[r]; k < R->off[r + 1]; k++)
                u[R->idx[k]] += c * R->val[k];
            u[d] += c;
        }
        double norm = 0;
        for (size_t j = 0; j < n; j++)
            norm += u[j] * u[j];
        norm = sqrt(norm);
        if (norm == 0)
            break;
        lambda = norm;
        for (size_t j = 0; j < n; j++)
            v[j] = u[j] / norm;
    }
    for (size_t j = 0; j < d; j++)
        l2max = fmax(l2max, l2[j]);
    double L = 0.25 * lambda * 1.05 + l2max + 1e-12;
    for (size_t j = 0; j < d; j++)
        w[j] = prior[j] > lb[j] ? prior[j] : lb[j];
    w[d] = 0;
    memcpy(y, w, n * sizeof *y);
    double tk = 1;
    for (int it = 0; it < max_iter; it++) {
        gradient(R, y, prior, l2, g);
        memcpy(prev, w, n * sizeof *prev);
        double step = 0;
        for (size_t j = 0; j < n; j++) {
            double z = y[j] - g[j] / L;
            w[j] = j < d && z < lb[j] ? lb[j] : z;
            step = fmax(step, fabs(w[j] - y[j]));
        }
        if (step * L < 1e-9)
            break;
        double restart = 0;
        for (size_t j = 0; j < n; j++)
            restart += (y[j] - w[j]) * (w[j] - prev[j]);
        if (restart > 0) /* momentum against the descent: start it again */
            tk = 1;
        double tn = (1 + sqrt(1 + 4 * tk * tk)) / 2;
        for (size_t j = 0; j < n; j++)
            y[j] = w[j] + (tk - 1) / tn * (w[j] - prev[j]);
        tk = tn;
    }
    free(v), free(u), free(y), free(g), free(prev);
    return 0;
}

/* ---- thresholds ---- */

typedef struct {
    double s;
    int label;
} scored;

static int cmp_scored_desc(const void *a, const void *b)
{
    double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return x > y ? -1 : x < y;
}

/* Sorts v (descending) and returns how many of its top posts to flag for
 * the best F1 together with the fixed verdicts' counts in c. Ties: with a
 * target, the cut whose middle is closest to it; without (NAN), the widest
 * gap between the flagged and the rest. */
static size_t best_cut(scored *v, size_t m, const conf *c, double target)
{
    qsort(v, m, sizeof *v, cmp_scored_desc);
    unsigned tp = c->tp, fp = c->fp, fn = c->fn;
    for (size_t i = 0; i < m; i++)
        fn += (unsigned)v[i].label;
    size_t best = 0;
    double best_f = -1, best_pref = -HUGE_VAL;
    for (size_t j = 0;; j++) {
        if (j == 0 || j == m || v[j - 1].s != v[j].s) {
            double f = 2.0 * tp + fp + fn > 0 ? 2.0 * tp / (2.0 * tp + fp + fn) : 0;
            double mid = j == 0 ? v[0].s + 1 : j == m ? v[m - 1].s : (v[j - 1].s + v[j].s) / 2;
            double pref = isnan(target) ? (j == 0 || j == m ? 0 : v[j - 1].s - v[j].s)
                                        : -fabs(mid - target);
            if (f > best_f + 1e-12 || (f > best_f - 1e-12 && pref > best_pref))
                best = j, best_f = f, best_pref = pref;
        }
        if (j == m)
            break;
        if (v[j].label)
            tp++, fn--;
        else
            fp++;
    }
    return best;
}

/* The fixed verdicts of the posts with use[i], as counts. */
static conf fixed_counts(const tuner *t, const signed char *fixed, const unsigned char *use)
{
    conf c = {0};
    for (size_t i = 0; i < t->nposts; i++)
        if (use[i] && fixed[i] >= 0)
            conf_add(&c, t->posts[i].label, fixed[i]);
    return c;
}

/* ---- one fit: features of the posts with use[i] -> an integer lexicon ---- */

typedef struct {
    tuner *t;
    int *score;
    int *flagged;
    signed char *fixed; /* may be NULL */
} int_scores;

static void collect_scores(void *ctx, size_t i, const ys_db *db, ys_scorer *s, const ys_hit *h,
                           size_t n, const ys_verdict *v)
{
    int_scores *is = ctx;
    is->score[i] = v->score;
    is->flagged[i] = v->flagged;
    if (is->fixed)
        is->fixed[i] = fixed_verdict(is->t, db, s, h, n);
}

static int imodel_init(const tuner *t, imodel *m)
{
    m->mult = calloc(t->ncats + 1, sizeof *m->mult);
    m->bonus = calloc(t->ncombos + 1, sizeof *m->bonus);
    m->delta = calloc(t->npat + 1, sizeof *m->delta);
    return m->mult && m->bonus && m->delta ? 0 : -1;
}

static void imodel_free(imodel *m)
{
    free(m->mult);
    free(m->bonus);
    free(m->delta);
}

/* One pass: the logistic fit on features F of the posts with use[i], in
 * integers relative to the lexicon F was made from (m->mult: the factor on
 * its weights), scaled so that the fitted threshold is about 15. rule0:
 * that lexicon's rule weights. */
static int fit_pass(tuner *t, const features *F, const unsigned char *use, const int *rule0,
                    int window, imodel *m)
{
    size_t d = t->d, D = d + (t->term_l2 > 0 ? t->npat : 0);
    int rc = -1;
    double *prior = calloc(D + 1, sizeof *prior), *lb = calloc(D + 1, sizeof *lb),
           *l2 = calloc(D + 1, sizeof *l2), *w = calloc(D + 2, sizeof *w), w1[2], prior1 = 0,
           lb1 = 0, l21 = t->l2;
    scored *v = malloc((t->nposts + 1) * sizeof *v);
    rows R1 = {0}, R = {0};
    if (!prior || !lb || !l2 || !w || !v)
        goto done;
    /* 1. How the lexicon's own score predicts the labels: kappa s0 + beta. */
    if (make_rows(t, F, use, F->s0, 1, 1, 0, &R1) != 0 ||
        fit_logistic(&R1, &prior1, &lb1, &l21, w1, FIT_ITERS) != 0)
        goto done;
    /* 2. The full fit, shrunk towards that weighting; a term's own weight
     * (coordinate d + its pattern) towards 0, its category's factor. */
    for (size_t j = 0; j < D; j++) {
        double now = j < t->nfc                ? 1
                     : j < t->nfc + t->ncombos ? F->bonus[j - t->nfc]
                     : j < d                   ? rule0[j - t->nfc - t->ncombos]
                                               : 0;
        prior[j] = w1[0] * now;
        lb[j] = j < t->nfc + t->ncombos ? 0 : -HUGE_VAL;
        l2[j] = j < d ? t->l2 : t->term_l2;
    }
    if (make_rows(t, F, use, F->x, d, d, D > d, &R) != 0 || fit_logistic(&R, prior, lb, l2, w, FIT_ITERS) != 0)
        goto done;
    /* 3. The threshold on the fitted scores, which sets the scale. */
    conf c = fixed_counts(t, F->fixed, use);
    size_t mm = 0;
    for (size_t i = 0; i < t->nposts; i++)
        if (use[i] && F->fixed[i] < 0) {
            double sc = 0;
            for (size_t j = 0; j < d; j++)
                sc += w[j] * F->x[i * d + j];
            for (size_t j = 0; D > d && j < t->nfc; j++)
                sc += F->term[i * t->nfc + j] >= 0 ? w[d + (size_t)F->term[i * t->nfc + j]] : 0;
            v[mm++] = (scored){sc, t->posts[i].label};
        }
    size_t cut = best_cut(v, mm, &c, NAN);
    double T = mm == 0 ? 0 : cut == 0 ? v[0].s + 1 : cut == mm ? v[mm - 1].s
                                                               : (v[cut - 1].s + v[cut].s) / 2;
    double maxabs = 0;
    for (size_t j = 0; j < d; j++)
        maxabs = fmax(maxabs, fabs(w[j]) * (j < t->nfc ? abs(F->strong[t->fit_cat[j]]) : 1));
    /* The cut at about 15, unless it is near 0 or below (the fitted bias
     * can put it there): then the largest weight at 20 times that, so that
     * integers keep the weights apart, and the threshold what it comes to. */
    double scale = T > 0.05 * maxabs ? TARGET_THRESHOLD / T
                   : maxabs > 0      ? 20 * TARGET_THRESHOLD / maxabs
                                     : 1;
    if (maxabs * scale > 1000)
        scale = 1000 / maxabs;
    /* 4. Integers. */
    for (size_t k = 0; k < t->ncats; k++)
        m->mult[k] = 1;
    for (size_t j = 0; j < t->nfc; j++)
        m->mult[t->fit_cat[j]] = scale * w[j];
    for (size_t p = 0; p < t->npat; p++)
        m->delta[p] = D > d ? scale * w[d + p] : 0;
    for (size_t k = 0; k < t->ncombos; k++)
        m->bonus[k] = (int)fmin(1000, nearbyint(scale * w[t->nfc + k]));
    for (unsigned r = 0; r < YS_RULES; r++)
        m->rule[r] = (int)fmax(-1000, fmin(1000, nearbyint(scale * w[t->nfc + t->ncombos + r])));
    m->window = window;
    m->threshold = (int)fmax(-1000, fmin(1000, nearbyint(TARGET_THRESHOLD)));
    rc = 0;
done:
    if (rc != 0)
        fprintf(stderr, "%s: out of memory\n", prog);
    free_rows(&R1);
    free_rows(&R);
    free(prior), free(lb), free(l2), free(w), free(v);
    return rc;
}

/* Fits a lexicon to the posts with use[i], from F0 (the features of the
 * lexicon as read, at `window`). The engine compiles more spellings for
 * terms of larger weight (engine/src/variants.c: weight 3 and 4 and up), so
 * scaled weights can hit posts the lexicon as read did not: each pass after
 * the first fits again from the hits of the lexicon the previous pass
 * wrote. Then the threshold is the integer with the best F1 on those posts,
 * scored by the last lexicon compiled. Gives m (mult: the factor on each
 * category's weights as read, all passes together), *textsp (the lexicon's
 * files, @threshold written) and *dbp (compiled from them: the scorer's
 * threshold must be set to m->threshold, the only difference). */
static int fit(tuner *t, const features *F0, const unsigned char *use, int window, imodel *m,
               ys_db **dbp, buf **textsp)
{
    const features *F = F0;
    features Fk = {0};
    imodel step = {0};
    buf *cur = NULL;
    ys_db *db = NULL;
    scored *v = malloc((t->nposts + 1) * sizeof *v);
    int_scores is = {t, calloc(t->nposts + 1, sizeof(int)), calloc(t->nposts + 1, sizeof(int)),
                     calloc(t->nposts + 1, 1)};
    int rule0[YS_RULES], rc = -1;
    memcpy(rule0, t->rule0, sizeof rule0);
    if (!v || !is.score || !is.flagged || !is.fixed || imodel_init(t, &step) != 0) {
        fprintf(stderr, "%s: out of memory\n", prog);
        goto done;
    }
    for (size_t c = 0; c < t->ncats; c++)
        m->mult[c] = 1;
    for (int pass = 0; pass < TUNE_PASSES; pass++) {
        if (pass > 0) {
            memcpy(rule0, step.rule, sizeof rule0);
            free_features(&Fk);
            if (make_features(t, cur, window, rule0, &Fk) != 0)
                goto done;
            F = &Fk;
        }
        buf *next;
        if (fit_pass(t, F, use, rule0, window, &step) != 0 ||
            rewrite_all(t, cur, &step, &next) != 0)
            goto done;
        free_texts(t, cur);
        cur = next;
        for (size_t c = 0; c < t->ncats; c++)
            m->mult[c] *= step.mult[c];
    }
    /* The integer threshold: the best F1 with the last lexicon's scores. */
    if (compile_src(t, cur, NULL, 0, -1, &db) != 0 ||
        for_each_post(t, db, INT_MIN, collect_scores, &is) != 0)
        goto done;
    conf c = fixed_counts(t, is.fixed, use);
    size_t mm = 0;
    for (size_t i = 0; i < t->nposts; i++)
        if (use[i] && is.fixed[i] < 0)
            v[mm++] = (scored){is.score[i], t->posts[i].label};
    size_t cut = best_cut(v, mm, &c, TARGET_THRESHOLD);
    double ti = mm == 0 ? nearbyint(TARGET_THRESHOLD)
                : cut == 0 ? v[0].s + 1
                : cut == mm ? v[mm - 1].s
                            : floor((v[cut - 1].s + v[cut].s + 1) / 2);
    memcpy(m->bonus, step.bonus, t->ncombos * sizeof *m->bonus);
    memcpy(m->rule, step.rule, sizeof m->rule);
    m->window = window;
    m->threshold = (int)fmax(-1000, fmin(1000, ti + t->shift));
    /* The threshold into the text: the same weights (factor 1). */
    for (size_t k = 0; k < t->ncats; k++)
        step.mult[k] = 1;
    memset(step.delta, 0, t->npat * sizeof *step.delta);
    step.threshold = m->threshold;
    buf *final;
    if (rewrite_all(t, cur, &step, &final) != 0)
        goto done;
    *textsp = final;
    *dbp = db;
    db = NULL;
    rc = 0;
done:
    ys_db_free(db);
    free_texts(t, cur);
    free_features(&Fk);
    imodel_free(&step);
    free(v), free(is.score), free(is.flagged), free(is.fixed);
    return rc;
}

/* The verdicts of a fitted lexicon's db on every post, with its threshold,
 * and each post's margin: its whole score less the threshold, MARGIN_MAX
 * for one always flagged (a default term), -MARGIN_MAX for one never (no
 * positive term). */
#define MARGIN_MAX 100000
static int verdicts(tuner *t, const ys_db *db, int threshold, int *flagged, int *margin)
{
    int_scores is = {t, calloc(t->nposts + 1, sizeof(int)), flagged, calloc(t->nposts + 1, 1)};
    int rc = is.score && is.fixed ? for_each_post(t, db, INT_MIN, collect_scores, &is) : -1;
    for (size_t i = 0; rc == 0 && i < t->nposts; i++) {
        margin[i] = is.fixed[i] > 0 ? MARGIN_MAX : is.fixed[i] == 0 ? -MARGIN_MAX
                                                                    : is.score[i] - threshold;
        flagged[i] = margin[i] >= 0;
    }
    free(is.score);
    free(is.fixed);
    return rc;
}

/* The shift of every fold's threshold, from -SHIFT_MAX to SHIFT_MAX, that
 * maximizes the F1 of the posts' out-of-fold margins (the smallest shift
 * of the best); *at is that F1. */
#define SHIFT_MAX 15
static int best_shift(const tuner *t, const int *margin, double *at)
{
    int best = 0;
    double bf = -1;
    for (int d = 0; d <= 2 * SHIFT_MAX; d++) {
        int shift = d % 2 ? (d + 1) / 2 : -(d / 2); /* 0, 1, -1, 2, -2 … */
        conf c = {0};
        for (size_t i = 0; i < t->nposts; i++)
            conf_add(&c, t->posts[i].label, margin[i] >= shift);
        if (f1(&c) > bf + 1e-12)
            bf = f1(&c), best = shift;
    }
    *at = bf;
    return best;
}

/* k-fold cross-validation at one window: each fold scored by the lexicon
 * fitted on the others; per fold its counts and threshold, and the sums. */
static int cross_validate(tuner *t, int window, int folds, conf *per_fold, int *thresholds,
                          conf *pooled, int *oof_margin)
{
    features F = {0};
    imodel m = {0};
    unsigned char *use = malloc(t->nposts + 1);
    int *flagged = calloc(t->nposts + 1, sizeof *flagged);
    int *margin = calloc(t->nposts + 1, sizeof *margin);
    int rc = use && flagged && margin && imodel_init(t, &m) == 0 ? 0 : -1;
    if (rc != 0)
        fprintf(stderr, "%s: out of memory\n", prog);
    if (rc == 0)
        rc = make_features(t, NULL, window, t->rule0, &F);
    memset(pooled, 0, sizeof *pooled);
    for (int f = 0; rc == 0 && f < folds; f++) {
        for (size_t i = 0; i < t->nposts; i++)
            use[i] = t->posts[i].fold != f;
        ys_db *db = NULL;
        buf *texts = NULL;
        rc = fit(t, &F, use, window, &m, &db, &texts);
        if (rc == 0)
            rc = verdicts(t, db, m.threshold, flagged, margin);
        ys_db_free(db);
        free_texts(t, texts);
        if (rc != 0)
            break;
        conf c = {0};
        for (size_t i = 0; i < t->nposts; i++)
            if (!use[i]) {
                conf_add(&c, t->posts[i].label, flagged[i]);
                oof_margin[i] = margin[i];
            }
        pooled->tp += c.tp, pooled->fp += c.fp, pooled->fn += c.fn, pooled->tn += c.tn;
        per_fold[f] = c;
        thresholds[f] = m.threshold;
    }
    free_features(&F);
    imodel_free(&m);
    free(use);
    free(flagged);
    free(margin);
    return rc;
}

/* ---- reading the labeled posts ---- */

static int load_posts(tuner *t, const char *path, const char *group_by)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
        return -1;
    }
    static const char *const text_field[] = {"text"};
    char *line = NULL, *text = malloc(MAX_TEXT);
    size_t cap = 0, nalloc = 0;
    ssize_t got;
    unsigned lineno = 0;
    int rc = text ? 0 : -1;
    ys_error err = {0};
    while (rc == 0 && (got = getline(&line, &cap, f)) > 0) {
        lineno++;
        size_t len = (size_t)got;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue;
        size_t tl, ll;
        const char *label;
        memset(&err, 0, sizeof err);
        if (ys_json_extract(line, len, text_field, 1, "label", text, MAX_TEXT, &tl, &label, &ll,
                            &err) != YS_OK) {
            fprintf(stderr, "%s:%u: %s\n", path, lineno,
                    err.message[0] ? err.message : "no \"text\" string");
            rc = -1;
            break;
        }
        if (!label || ll != 1 || (label[0] != '0' && label[0] != '1')) {
            fprintf(stderr, "%s:%u: \"label\" must be 1 or 0\n", path, lineno);
            rc = -1;
            break;
        }
        /* The group's token, read by a second pass over the line (the text
         * decodes the same again): tuning files are small. */
        const char *group = NULL;
        size_t gl = 0, tl2;
        if (group_by && (ys_json_extract(line, len, text_field, 1, group_by, text, MAX_TEXT, &tl2,
                                         &group, &gl, &err) != YS_OK || !group)) {
            fprintf(stderr, "%s:%u: no \"%s\" value (--group-by)\n", path, lineno, group_by);
            rc = -1;
            break;
        }
        if (t->nposts == nalloc) {
            nalloc = nalloc ? 2 * nalloc : 256;
            post *p = realloc(t->posts, nalloc * sizeof *p);
            if (!p) {
                rc = -1;
                fprintf(stderr, "%s: out of memory\n", prog);
                break;
            }
            t->posts = p;
        }
        post *p = &t->posts[t->nposts];
        p->text = malloc(tl + 1);
        if (!p->text) {
            rc = -1;
            fprintf(stderr, "%s: out of memory\n", prog);
            break;
        }
        memcpy(p->text, text, tl);
        p->text[tl] = 0;
        p->len = tl;
        p->label = label[0] == '1';
        p->fold = 0;
        p->framed = 0;
        p->group = group ? strndup(group, gl) : NULL;
        if (group && !p->group) {
            free(p->text);
            rc = -1;
            fprintf(stderr, "%s: out of memory\n", prog);
            break;
        }
        t->nposts++;
    }
    if (rc == 0 && ferror(f)) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
        rc = -1;
    }
    free(line);
    free(text);
    fclose(f);
    return rc;
}

/* Stratified folds: the positives and the negatives each shuffled (by the
 * seed) and dealt round-robin. */
static void assign_folds(tuner *t, int folds, uint64_t seed)
{
    size_t *idx = malloc((t->nposts + 1) * sizeof *idx);
    if (!idx)
        return; /* all in fold 0: checked by the caller through npos */
    for (int label = 1; label >= 0; label--) {
        size_t n = 0;
        for (size_t i = 0; i < t->nposts; i++)
            if (t->posts[i].label == label)
                idx[n++] = i;
        uint64_t s = seed * 2 + (uint64_t)label;
        for (size_t i = n; i > 1; i--) {
            size_t j = (size_t)(splitmix64(&s) % i);
            size_t tmp = idx[i - 1];
            idx[i - 1] = idx[j], idx[j] = tmp;
        }
        for (size_t i = 0; i < n; i++)
            t->posts[idx[i]].fold = (int)(i % (size_t)folds);
    }
    free(idx);
}

/* Folds by group (--group-by): the distinct groups shuffled by the seed,
 * then dealt largest first (ties in shuffled order) to the fold that holds
 * the fewest posts so far, so that folds stay near equal in size. Returns the
 * number of groups, or -1 when out of memory. */
static long assign_group_folds(tuner *t, int folds, uint64_t seed)
{
    size_t *of = malloc((t->nposts + 1) * sizeof *of); /* post -> group */
    size_t *first = malloc((t->nposts + 1) * sizeof *first), *size = NULL, *order = NULL;
    size_t ng = 0, load[100] = {0};
    long rc = -1;
    if (!of || !first)
        goto out;
    for (size_t i = 0; i < t->nposts; i++) {
        size_t g = 0;
        while (g < ng && strcmp(t->posts[first[g]].group, t->posts[i].group) != 0)
            g++;
        if (g == ng)
            first[ng++] = i;
        of[i] = g;
    }
    size = calloc(ng + 1, sizeof *size);
    order = malloc((ng + 1) * sizeof *order);
    if (!size || !order)
        goto out;
    for (size_t i = 0; i < t->nposts; i++)
        size[of[i]]++;
    for (size_t g = 0; g < ng; g++)
        order[g] = g;
    uint64_t s = seed;
    for (size_t i = ng; i > 1; i--) {
        size_t j = (size_t)(splitmix64(&s) % i), tmp = order[i - 1];
        order[i - 1] = order[j], order[j] = tmp;
    }
    for (size_t i = 1; i < ng; i++) /* insertion sort by size, stable: few groups */
        for (size_t j = i; j > 0 && size[order[j]] > size[order[j - 1]]; j--) {
            size_t tmp = order[j];
            order[j] = order[j - 1], order[j - 1] = tmp;
        }
    for (size_t k = 0; k < ng; k++) {
        int best = 0;
        for (int f = 1; f < folds; f++)
            if (load[f] < load[best])
                best = f;
        first[order[k]] = (size_t)best; /* reused: group -> fold */
        load[best] += size[order[k]];
    }
    for (size_t i = 0; i < t->nposts; i++)
        t->posts[i].fold = (int)first[of[i]];
    rc = (long)ng;
out:
    free(of);
    free(first);
    free(size);
    free(order);
    return rc;
}

/* "batch 2 and 7; " for a fold of --group-by's groups "2" and "7" (at most
 * three named, then "…"), "" without --group-by: which writers a fold's
 * figures are about. */
static void fold_groups(const tuner *t, int fold, const char *field, char *buf, size_t cap)
{
    const char *seen[4];
    size_t n = 0, more = 0;
    for (size_t i = 0; i < t->nposts; i++) {
        const char *g = t->posts[i].group;
        if (!g || t->posts[i].fold != fold)
            continue;
        size_t k = 0;
        while (k < n && strcmp(seen[k], g) != 0)
            k++;
        if (k == n) {
            if (n < 3)
                seen[n++] = g;
            else
                more = 1;
        }
    }
    buf[0] = 0;
    if (n == 0)
        return;
    size_t w = (size_t)snprintf(buf, cap, "%s %s", field, seen[0]);
    for (size_t k = 1; k < n && w < cap; k++)
        w += (size_t)snprintf(buf + w, cap - w, "%s%s", k + 1 == n && !more ? " and " : ", ",
                              seen[k]);
    if (w < cap)
        snprintf(buf + w, cap - w, "%s; ", more ? ", …" : "");
}

/* ---- writing ---- */

/* The command's arguments after "yamiscan tune", quoted for a shell where
 * needed. */
static void put_command(buf *b, int argc, char *const *argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int plain = *a != 0;
        for (const char *c = a; *c && plain; c++)
            plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                           "-_./=:,+@%", *c) != NULL ||
                    (unsigned char)*c >= 0x80;
        put(b, " ", 1);
        if (plain) {
            put(b, a, strlen(a));
            continue;
        }
        put(b, "'", 1);
        for (const char *c = a; *c; c++) {
            if (*c == '\'')
                put(b, "'\\''", 4);
            else if (*c == '\n' || *c == '\r')
                put(b, "'$'\\n''", 7); /* keeps the comment on one line */
            else
                put(b, c, 1);
        }
        put(b, "'", 1);
    }
}

/* Writes data to path through a temporary file in the same directory and
 * rename(2); an existing path must be a regular file (its mode is kept). */
static int write_atomic(const char *path, const char *data, size_t len)
{
    struct stat st;
    mode_t mode;
    if (lstat(path, &st) == 0) {
        if (!S_ISREG(st.st_mode)) {
            fprintf(stderr, "%s: %s: not a regular file (a link, directory or device); "
                    "refusing to replace it\n", prog, path);
            return -1;
        }
        mode = st.st_mode & 07777;
    } else if (errno == ENOENT) {
        mode_t mask = umask(0);
        umask(mask);
        mode = 0666 & ~mask;
    } else {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
        return -1;
    }
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 32);
    if (!tmp) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return -1;
    }
    const char *slash = strrchr(path, '/');
    size_t dl = slash ? (size_t)(slash - path) + 1 : 0;
    snprintf(tmp, pl + 32, "%.*s.%s.tune-XXXXXX", (int)dl, path, path + dl);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fprintf(stderr, "%s: %s: cannot create a temporary file beside it: %s\n", prog, path,
                strerror(errno));
        free(tmp);
        return -1;
    }
    int e = 0;
    for (size_t off = 0; off < len && !e;) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            e = w < 0 ? errno : EIO;
        else
            off += (size_t)w;
    }
    if (!e && fchmod(fd, mode) != 0)
        e = errno;
    if (!e && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(e));
        unlink(tmp);
    }
    free(tmp);
    return e ? -1 : 0;
}

/* ---- the command ---- */

/* The fitted lexicon against the one read; db: the fitted one compiled. */
static void print_model(const tuner *t, const imodel *m, const ys_db *db)
{
    int *strong = calloc(t->ncats + 1, sizeof *strong);
    ys_db_stats st;
    ys_db_get_stats(db, &st);
    for (size_t i = 0; strong && i < st.patterns; i++) {
        int w = ys_db_pattern(db, (unsigned)i)->weight;
        int *sw = &strong[ys_db_pattern_category(db, (unsigned)i)];
        if (abs(w) > abs(*sw) || (abs(w) == abs(*sw) && w > *sw))
            *sw = w;
    }
    printf("fitted lexicon (lexicon units; the values as read before '->'):\n");
    for (size_t j = 0; j < t->nfc; j++) {
        unsigned c = t->fit_cat[j];
        printf("  %-20s factor %7.3f", ys_db_category_name(t->db0, c), m->mult[c]);
        if (t->cat_strong[c] && strong)
            printf("  strongest weight %d -> %d", t->cat_strong[c], strong[c]);
        putchar('\n');
    }
    free(strong);
    for (size_t k = 0; k < t->ncombos; k++) {
        unsigned a, b;
        int bonus;
        ys_db_combo(t->db0, k, &a, &b, &bonus);
        char name[160];
        snprintf(name, sizeof name, "%s+%s", ys_db_category_name(t->db0, a),
                 ys_db_category_name(t->db0, b));
        printf("  @combo %-30s %d -> %d\n", name, bonus, m->bonus[k]);
    }
    for (unsigned r = 0; r < YS_RULES; r++)
        printf("  @rule %-31s %d -> %d\n", ys_rule_name(r), t->rule0[r], m->rule[r]);
    printf("  @window %-29s %d -> %d\n", "", t->window0, m->window);
    if (t->has_threshold0)
        printf("  @threshold %-26s %d -> %d\n", "", t->threshold0, m->threshold);
    else
        printf("  @threshold %-26s (none) -> %d\n", "", m->threshold);
}

static void free_tuner(tuner *t)
{
    for (int i = 0; t->files && i < t->nfiles; i++)
        free(t->files[i].data);
    free(t->files);
    for (size_t i = 0; i < t->nposts; i++) {
        free(t->posts[i].text);
        free(t->posts[i].group);
    }
    free(t->posts);
    free(t->fit_cat);
    free(t->cat_strong);
    free(t->combo_bonus0);
    ys_db_free(t->db0);
    ys_batch_free(t->batch);
}

/* What the lexicon as written gives: categories, combos, rules, strongest weights. */
static int describe_lexicon(tuner *t)
{
    if (compile_texts(t, NULL, NULL, NULL, 0, -1, &t->db0) != 0)
        return -1;
    ys_db_stats st;
    ys_db_get_stats(t->db0, &st);
    t->ncats = ys_db_category_count(t->db0);
    t->ncombos = ys_db_combo_count(t->db0);
    int def = category_index(t, "default", 7);
    t->def_cat = def < 0 ? UINT_MAX : (unsigned)def;
    t->fit_cat = calloc(t->ncats + 1, sizeof *t->fit_cat);
    t->cat_strong = calloc(t->ncats + 1, sizeof *t->cat_strong);
    t->combo_bonus0 = calloc(t->ncombos + 1, sizeof *t->combo_bonus0);
    if (!t->fit_cat || !t->cat_strong || !t->combo_bonus0) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return -1;
    }
    for (size_t c = 0; c < t->ncats; c++) /* a paired category weighs only through its combos */
        if (c != t->def_cat && !ys_db_category_paired(t->db0, (unsigned)c))
            t->fit_cat[t->nfc++] = (unsigned)c;
    for (size_t i = 0; i < st.patterns; i++) {
        int w = ys_db_pattern(t->db0, (unsigned)i)->weight;
        int *s = &t->cat_strong[ys_db_pattern_category(t->db0, (unsigned)i)];
        if (abs(w) > abs(*s) || (abs(w) == abs(*s) && w > *s))
            *s = w;
    }
    for (size_t k = 0; k < t->ncombos; k++) {
        unsigned a, b;
        ys_db_combo(t->db0, k, &a, &b, &t->combo_bonus0[k]);
    }
    for (unsigned r = 0; r < YS_RULES; r++)
        t->rule0[r] = ys_db_rule_weight(t->db0, r);
    t->window0 = ys_db_window(t->db0);
    int thr, win, rule[YS_RULES];
    directives_present(t, NULL, &thr, &win, rule);
    t->has_threshold0 = thr;
    ys_scorer *s;
    ys_error err = {0};
    if (ys_scorer_new(t->db0, &s, &err) != YS_OK) {
        fprintf(stderr, "%s: %s\n", prog, cli_message(ys_error_message(&err)));
        return -1;
    }
    t->threshold0 = ys_scorer_threshold(s);
    ys_scorer_free(s);
    t->d = t->nfc + t->ncombos + YS_RULES;
    t->npat = st.patterns;
    return 0;
}

/* ---- the n-gram model (--model) ----
 *
 * A logistic regression on the character 1- to 3-grams of every post
 * (ys_model_grams): binary features scaled by their idf, ln((1 + N) /
 * (1 + df)) + 1, each post's row of unit length, grams of at least two
 * training posts, L2 penalty 1 / (C N). Its log-odds is added to the
 * lexicon's score at `points` = 1 / (blend k) per unit, k the slope of a
 * 1-D logistic fit of the lexicon's score: at blend 0.1 the lexicon's score
 * counts a tenth as much as the model's log-odds. Chosen on
 * corpora/dev/test.jsonl, fitted on tune.jsonl: blend 0 (the model alone)
 * F1 0.976, 0.1 0.979, 0.5 0.971, 1 0.957 (corpora/dev/README.md). */

#define MODEL_ITERS 3000 /* FISTA steps: held-out F1 no longer moves (measured) */

typedef struct {
    char *text; /* every distinct gram's bytes */
    size_t ntext, captext;
    uint32_t *off;
    uint8_t *len;
    uint32_t *stamp; /* per gram: the last post that had it, + 1 */
    size_t n, cap;
    uint32_t *slot; /* gram + 1 by key, open addressing; 0: empty */
    uint64_t *key;
    size_t mask;
    uint32_t *ids; /* per post, its distinct grams, in first-seen order */
    size_t nids, capids;
    size_t *first; /* post i: ids[first[i] .. first[i + 1]) */
    uint32_t post;
    int oom;
} vocab;

static int vocab_rehash(vocab *v, size_t size)
{
    uint32_t *slot = calloc(size, sizeof *slot);
    uint64_t *key = calloc(size, sizeof *key);
    if (!slot || !key) {
        free(slot), free(key);
        return -1;
    }
    for (size_t j = 0; j <= v->mask && v->slot; j++)
        if (v->slot[j]) {
            size_t k = (size_t)v->key[j] & (size - 1);
            while (slot[k])
                k = (k + 1) & (size - 1);
            slot[k] = v->slot[j], key[k] = v->key[j];
        }
    free(v->slot), free(v->key);
    v->slot = slot, v->key = key, v->mask = size - 1;
    return 0;
}

static int vocab_gram(void *ctx, uint64_t key, const char *gram, size_t len)
{
    vocab *v = ctx;
    if (2 * (v->n + 1) > v->mask && vocab_rehash(v, v->mask ? 2 * (v->mask + 1) : 1 << 16))
        return v->oom = 1;
    size_t j = (size_t)key & v->mask;
    for (; v->slot[j]; j = (j + 1) & v->mask) {
        size_t i = v->slot[j] - 1;
        if (v->key[j] == key && v->len[i] == len && memcmp(v->text + v->off[i], gram, len) == 0)
            break;
    }
    uint32_t id;
    if (v->slot[j]) {
        id = v->slot[j] - 1;
    } else {
        if (v->n == v->cap) {
            size_t cap = v->cap ? 2 * v->cap : 1 << 15;
            uint32_t *off = realloc(v->off, cap * sizeof *off);
            if (off)
                v->off = off;
            uint8_t *ln = realloc(v->len, cap);
            if (ln)
                v->len = ln;
            uint32_t *st = realloc(v->stamp, cap * sizeof *st);
            if (st)
                v->stamp = st;
            if (!off || !ln || !st)
                return v->oom = 1;
            v->cap = cap;
        }
        if (v->ntext + len > v->captext) {
            size_t cap = v->captext ? 2 * v->captext : 1 << 18;
            char *p = realloc(v->text, cap);
            if (!p)
                return v->oom = 1;
            v->text = p, v->captext = cap;
        }
        id = (uint32_t)v->n++;
        memcpy(v->text + v->ntext, gram, len);
        v->off[id] = (uint32_t)v->ntext, v->len[id] = (uint8_t)len, v->stamp[id] = 0;
        v->ntext += len;
        v->slot[j] = id + 1, v->key[j] = key;
    }
    if (v->stamp[id] == v->post + 1)
        return 0;
    v->stamp[id] = v->post + 1;
    if (v->nids == v->capids) {
        size_t cap = v->capids ? 2 * v->capids : 1 << 20;
        uint32_t *p = realloc(v->ids, cap * sizeof *p);
        if (!p)
            return v->oom = 1;
        v->ids = p, v->capids = cap;
    }
    v->ids[v->nids++] = id;
    return 0;
}

static void vocab_free(vocab *v)
{
    free(v->text), free(v->off), free(v->len), free(v->stamp), free(v->slot), free(v->key);
    free(v->ids), free(v->first);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* What the lexicon alone says of each post. */
typedef struct {
    int *score;
    signed char *fixed; /* fixed_verdict: -1 up to the score, 0 never, 1 always */
} lexicon_scores;

static void collect_lexicon(void *ctx, size_t i, const ys_db *db, ys_scorer *s, const ys_hit *h,
                            size_t n, const ys_verdict *v)
{
    lexicon_scores *ls = ((void **)ctx)[0];
    const tuner *t = ((void **)ctx)[1];
    ls->score[i] = v->score;
    ls->fixed[i] = fixed_verdict(t, db, s, h, n);
}

/* A fitted model: per gram its column (-1: not in the model), idf, weight. */
typedef struct {
    long *col;
    double *idf, *w; /* idf per gram; w per column, then the bias */
    size_t ncols;
    double points;
} ngram_fit;

static void ngram_fit_free(ngram_fit *m) { free(m->col), free(m->idf), free(m->w); }

/* The model's log-odds for post i. */
static double ngram_logit(const vocab *v, const ngram_fit *m, size_t i)
{
    double sum = 0, q = 0;
    for (size_t k = v->first[i]; k < v->first[i + 1]; k++) {
        long c = m->col[v->ids[k]];
        if (c >= 0) {
            double idf = m->idf[v->ids[k]];
            sum += m->w[c] * idf;
            q += idf * idf;
        }
    }
    return m->w[m->ncols] + (q > 0 ? sum / sqrt(q) : 0);
}

/* Fits the model on the posts with use[i]; 0, or -1 out of memory. */
static int fit_ngrams(const tuner *t, const vocab *v, const lexicon_scores *ls,
                      const unsigned char *use, double C, double blend, ngram_fit *m)
{
    size_t N = 0;
    int rc = -1;
    uint32_t *df = calloc(v->n + 1, sizeof *df);
    m->col = malloc((v->n + 1) * sizeof *m->col);
    m->idf = calloc(v->n + 1, sizeof *m->idf);
    rows R = {0}, R1 = {0};
    double *prior = NULL, *lb = NULL, *l2 = NULL, *col_idf = NULL;
    if (!df || !m->col || !m->idf)
        goto out;
    for (size_t i = 0; i < t->nposts; i++)
        if (use[i]) {
            N++;
            for (size_t k = v->first[i]; k < v->first[i + 1]; k++)
                df[v->ids[k]]++;
        }
    m->ncols = 0;
    for (size_t g = 0; g < v->n; g++) {
        m->col[g] = df[g] >= 2 ? (long)m->ncols++ : -1;
        m->idf[g] = log((1.0 + (double)N) / (1.0 + df[g])) + 1;
    }
    size_t d = m->ncols, nnz = 0;
    for (size_t i = 0; i < t->nposts; i++)
        if (use[i])
            nnz += v->first[i + 1] - v->first[i];
    R.m = N, R.d = d, R.total = (double)N;
    R.off = malloc((N + 1) * sizeof *R.off);
    R.idx = malloc((nnz + 1) * sizeof *R.idx);
    R.val = malloc((nnz + 1) * sizeof *R.val);
    R.pos = malloc((N + 1) * sizeof *R.pos);
    R.neg = malloc((N + 1) * sizeof *R.neg);
    m->w = calloc(d + 2, sizeof *m->w);
    prior = calloc(d + 1, sizeof *prior), lb = malloc((d + 1) * sizeof *lb);
    l2 = malloc((d + 1) * sizeof *l2);
    col_idf = malloc((d + 1) * sizeof *col_idf);
    if (!R.off || !R.idx || !R.val || !R.pos || !R.neg || !m->w || !prior || !lb || !l2 ||
        !col_idf)
        goto out;
    for (size_t g = 0; g < v->n; g++)
        if (m->col[g] >= 0)
            col_idf[m->col[g]] = m->idf[g];
    /* Row values: a gram's idf over the norm of its post's row. */
    size_t r = 0, e = 0;
    for (size_t i = 0; i < t->nposts; i++) {
        if (!use[i])
            continue;
        R.off[r] = e;
        double q = 0;
        size_t e0 = e;
        for (size_t k = v->first[i]; k < v->first[i + 1]; k++)
            if (m->col[v->ids[k]] >= 0) {
                R.idx[e++] = (uint32_t)m->col[v->ids[k]];
                q += m->idf[v->ids[k]] * m->idf[v->ids[k]];
            }
        qsort(R.idx + e0, e - e0, sizeof *R.idx, cmp_u32);
        for (size_t k = e0; k < e; k++)
            R.val[k] = col_idf[R.idx[k]] / sqrt(q);
        R.pos[r] = t->posts[i].label, R.neg[r] = !t->posts[i].label;
        R.off[++r] = e;
    }
    for (size_t j = 0; j < d; j++)
        lb[j] = -HUGE_VAL, l2[j] = 1 / (C * (double)N);
    if (fit_logistic(&R, prior, lb, l2, m->w, MODEL_ITERS) != 0)
        goto out;
    /* The lexicon's slope: its score against the labels, on the posts its
     * weights decide. */
    size_t n1 = 0;
    for (size_t i = 0; i < t->nposts; i++)
        n1 += use[i] && ls->fixed[i] < 0 && !t->posts[i].framed;
    R1.m = n1, R1.d = 1, R1.total = (double)n1;
    R1.off = malloc((n1 + 1) * sizeof *R1.off);
    R1.idx = calloc(n1 + 1, sizeof *R1.idx);
    R1.val = malloc((n1 + 1) * sizeof *R1.val);
    R1.pos = malloc((n1 + 1) * sizeof *R1.pos);
    R1.neg = malloc((n1 + 1) * sizeof *R1.neg);
    if (!R1.off || !R1.idx || !R1.val || !R1.pos || !R1.neg)
        goto out;
    r = 0;
    for (size_t i = 0; i < t->nposts; i++)
        if (use[i] && ls->fixed[i] < 0 && !t->posts[i].framed) {
            R1.off[r] = r;
            R1.val[r] = ls->score[i];
            R1.pos[r] = t->posts[i].label, R1.neg[r] = !t->posts[i].label;
            r++;
        }
    R1.off[r] = r;
    double w1[2] = {0, 0}, p1 = 0, lb1 = -HUGE_VAL, l21 = 1e-6;
    if (fit_logistic(&R1, &p1, &lb1, &l21, w1, FIT_ITERS) != 0)
        goto out;
    m->points = w1[0] > 1e-9 ? 1 / (blend * w1[0]) : 1000;
    if (m->points > 1000)
        m->points = 1000;
    rc = 0;
out:
    free(df), free(prior), free(lb), free(l2), free(col_idf);
    free_rows(&R);
    free_rows(&R1);
    return rc;
}

/* The verdict on post i of the lexicon with model m (as the scorer gives it). */
static int model_flags(const vocab *v, const lexicon_scores *ls, const ngram_fit *m, int thr,
                       size_t i)
{
    if (ls->fixed[i] >= 0)
        return ls->fixed[i];
    return ls->score[i] + (int)fmax(-1e6, fmin(1e6, nearbyint(m->points * ngram_logit(v, m, i))))
           >= thr;
}

typedef struct {
    uint32_t id;
    const vocab *v;
} gram_ref;

static int cmp_gram(const void *a, const void *b)
{
    const gram_ref *x = a, *y = b;
    const vocab *v = x->v;
    size_t lx = v->len[x->id], ly = v->len[y->id];
    int c = memcmp(v->text + v->off[x->id], v->text + v->off[y->id], lx < ly ? lx : ly);
    return c ? c : lx < ly ? -1 : lx > ly;
}

/* --quote-frames FILE: a share of the labeled file's ads (--quote-share),
 * drawn by the seed, each put inside one of FILE's frames (lines PREFIX TAB
 * SUFFIX, {NL} a line break: the words of someone who quotes the ad to
 * warn, report, ask or mock), becomes one more harmless post, in its ad's
 * fold and group. They join the model's fits, and neither the lexicon's
 * slope nor any figure: a post that quotes a whole ad has every gram of the
 * ad, and the development set holds too few such posts for the model to
 * learn that the comment decides (corpora/dev/README.md, batch 15).
 * Returns the posts added, or -1. */
static long add_framed_posts(tuner *t, const char *path, double share, uint64_t seed)
{
    char *data, *end;
    size_t len;
    if (read_all(path, &data, &len) != 0)
        return -1;
    char **frame = NULL; /* prefix, suffix, prefix, ... */
    size_t nframes = 0, lineno = 0;
    long added = -1;
    if (memchr(data, 0, len)) {
        fprintf(stderr, "%s: %s: a NUL byte: not a text file\n", prog, path);
        goto out;
    }
    end = realloc(data, len + 1);
    if (!end)
        goto oom;
    data = end, end = data + len, *end = 0;
    /* The frames' parts, with {NL} decoded in place; a UTF-8 byte-order
     * mark first is skipped, as in a lexicon. */
    char *first = len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3) ? data + 3 : data;
    for (char *line = first, *next; line < end; line = next) {
        char *stop = strchr(line, '\n');
        next = stop ? stop + 1 : end;
        if (!stop)
            stop = end;
        *stop = 0;
        if (stop > line && stop[-1] == '\r')
            stop[-1] = 0;
        lineno++;
        if (line[0] == '#' || line[0] == 0)
            continue;
        char *tab = strchr(line, '\t');
        if (!tab || strchr(tab + 1, '\t') || (tab == line && tab[1] == 0)) {
            fprintf(stderr, "%s:%zu: expected PREFIX<TAB>SUFFIX (one TAB, not both empty)\n",
                    path, lineno);
            goto out;
        }
        *tab = 0;
        for (char *part = line; part; part = part == line ? tab + 1 : NULL) {
            char *w = part;
            for (const char *r = part; *r;)
                if (strncmp(r, "{NL}", 4) == 0)
                    *w++ = '\n', r += 4;
                else
                    *w++ = *r++;
            *w = 0;
        }
        char **f = realloc(frame, 2 * (nframes + 1) * sizeof *f);
        if (!f)
            goto oom;
        frame = f;
        frame[2 * nframes] = line, frame[2 * nframes + 1] = tab + 1;
        nframes++;
    }
    if (!nframes) {
        fprintf(stderr, "%s: %s: no frames\n", prog, path);
        goto out;
    }
    size_t n0 = t->nposts, nads = 0;
    for (size_t i = 0; i < n0; i++)
        nads += (size_t)t->posts[i].label;
    post *grown = realloc(t->posts, (n0 + nads + 1) * sizeof *grown);
    if (!grown)
        goto oom;
    t->posts = grown;
    uint64_t s = seed ^ 0x71756f7465ull; /* "quote": not the folds' sequence */
    for (size_t i = 0; i < n0; i++) {
        const post *ad = &t->posts[i];
        if (!ad->label)
            continue;
        if ((double)(splitmix64(&s) >> 11) * 0x1p-53 >= share)
            continue;
        size_t k = (size_t)(splitmix64(&s) % nframes);
        const char *pre = frame[2 * k], *suf = frame[2 * k + 1];
        size_t lp = strlen(pre), ls = strlen(suf);
        if (lp + ad->len + ls > MAX_TEXT)
            continue;
        post *q = &t->posts[t->nposts];
        q->text = malloc(lp + ad->len + ls + 1);
        q->group = ad->group ? strdup(ad->group) : NULL;
        if (!q->text || (ad->group && !q->group)) {
            free(q->text);
            free(q->group);
            goto oom;
        }
        memcpy(q->text, pre, lp);
        memcpy(q->text + lp, ad->text, ad->len);
        memcpy(q->text + lp + ad->len, suf, ls + 1);
        q->len = lp + ad->len + ls;
        q->label = 0;
        q->fold = ad->fold;
        q->framed = 1;
        t->nposts++;
    }
    added = (long)(t->nposts - n0);
    printf("plus %ld ads framed as quotations (%s, %zu frame%s): in the model's fits, in no "
           "figure\n", added, path, nframes, nframes == 1 ? "" : "s");
    goto out;
oom:
    fprintf(stderr, "%s: out of memory\n", prog);
out:
    free(frame);
    free(data);
    return added;
}

/* tune --model OUT: cross-validates the model and writes the one fitted on
 * every post. */
static int tune_model(tuner *t, const char *out, int folds, const char *by, uint64_t seed,
                      double C, double blend, int argc, char **given)
{
    lexicon_scores ls = {calloc(t->nposts + 1, sizeof(int)), calloc(t->nposts + 1, 1)};
    vocab v = {0};
    ngram_fit m = {0};
    unsigned char *use = malloc(t->nposts + 1);
    buf b = {0};
    int rc = -1;
    v.first = malloc((t->nposts + 1) * sizeof *v.first);
    if (!ls.score || !ls.fixed || !use || !v.first) {
        fprintf(stderr, "%s: out of memory\n", prog);
        goto out;
    }
    void *ctx[2] = {&ls, t};
    if (for_each_post(t, t->db0, INT_MIN, collect_lexicon, ctx) != 0)
        goto out;
    for (size_t i = 0; i < t->nposts && !v.oom; i++) {
        v.first[i] = v.nids;
        v.post = (uint32_t)i;
        if (ys_model_grams(t->posts[i].text, t->posts[i].len, vocab_gram, &v) != 0)
            v.oom = 1;
    }
    v.first[t->nposts] = v.nids;
    if (v.oom) {
        fprintf(stderr, "%s: out of memory\n", prog);
        goto out;
    }
    int thr = t->has_threshold0 ? t->threshold0 : 1;
    size_t nframed = 0;
    for (size_t i = 0; i < t->nposts; i++)
        nframed += (size_t)t->posts[i].framed;
    char framed[64] = "";
    if (nframed)
        snprintf(framed, sizeof framed, " (%zu of them framed)", nframed);
    printf("n-gram model: %zu distinct grams in %zu posts%s; C %g, blend %g; lexicon threshold "
           "%d\n", v.n, t->nposts, framed, C, blend, thr);
    conf pooled = {0}, lexicon = {0};
    for (int f = 0; f < folds; f++) {
        for (size_t i = 0; i < t->nposts; i++)
            use[i] = t->posts[i].fold != f;
        if (fit_ngrams(t, &v, &ls, use, C, blend, &m) != 0) {
            fprintf(stderr, "%s: out of memory\n", prog);
            goto out;
        }
        conf c = {0};
        for (size_t i = 0; i < t->nposts; i++)
            if (!use[i] && !t->posts[i].framed) {
                conf_add(&c, t->posts[i].label, model_flags(&v, &ls, &m, thr, i));
                conf_add(&lexicon, t->posts[i].label,
                         ls.fixed[i] >= 0 ? ls.fixed[i] : ls.score[i] >= thr);
            }
        char what[256], groups[128];
        fold_groups(t, f, t->group_by, groups, sizeof groups);
        snprintf(what, sizeof what, "  fold %d (%s%u posts, %zu grams, %.1f points)", f + 1,
                 groups, c.tp + c.fp + c.fn + c.tn, m.ncols, m.points);
        print_conf(what, &c);
        pooled.tp += c.tp, pooled.fp += c.fp, pooled.fn += c.fn, pooled.tn += c.tn;
        ngram_fit_free(&m);
        memset(&m, 0, sizeof m);
    }
    print_conf("  pooled, lexicon and model", &pooled);
    print_conf("  pooled, the lexicon alone", &lexicon);
    memset(use, 1, t->nposts + 1);
    if (fit_ngrams(t, &v, &ls, use, C, blend, &m) != 0) {
        fprintf(stderr, "%s: out of memory\n", prog);
        goto out;
    }
    conf train = {0};
    for (size_t i = 0; i < t->nposts; i++)
        if (!t->posts[i].framed)
            conf_add(&train, t->posts[i].label, model_flags(&v, &ls, &m, thr, i));
    printf("fitted on all %zu posts (%zu grams, %.2f points per unit of log-odds), scored on "
           "them:\n", t->nposts - nframed, m.ncols, m.points);
    print_conf("  training", &train);
    if (!out) {
        rc = 0;
        goto out;
    }
    put(&b, TUNE_HEADER, strlen(TUNE_HEADER));
    put_command(&b, argc, given);
    putf(&b, "; %d-fold CV%s (seed %llu), lexicon and model: precision %.3f recall %.3f F1 %.3f "
         "(tp %u fp %u fn %u tn %u)\n", folds, by, (unsigned long long)seed, precision(&pooled),
         recall(&pooled), f1(&pooled), pooled.tp, pooled.fp, pooled.fn, pooled.tn);
    putf(&b, "# yamiscan n-gram model (patterns/README.md, \"The n-gram model\"): "
         "WEIGHT TAB IDF TAB GRAM\n@bias\t%.9g\n@points\t%.9g\n", m.w[m.ncols], m.points);
    gram_ref *order = malloc((m.ncols + 1) * sizeof *order);
    if (!order) {
        fprintf(stderr, "%s: out of memory\n", prog);
        goto out;
    }
    size_t k = 0;
    for (size_t g = 0; g < v.n; g++)
        if (m.col[g] >= 0)
            order[k++] = (gram_ref){(uint32_t)g, &v};
    qsort(order, k, sizeof *order, cmp_gram);
    for (size_t j = 0; j < k; j++) {
        uint32_t g = order[j].id;
        putf(&b, "%.6g\t%.6g\t", m.w[m.col[g]] * m.idf[g], m.idf[g]);
        put(&b, v.text + v.off[g], v.len[g]);
        put(&b, "\n", 1);
    }
    free(order);
    if (b.oom)
        fprintf(stderr, "%s: out of memory\n", prog);
    else if (write_atomic(out, b.p, b.n) == 0)
        rc = 0;
out:
    free(ls.score), free(ls.fixed), free(use), free(b.p);
    vocab_free(&v);
    ngram_fit_free(&m);
    return rc;
}

int cmd_tune(int argc, char **argv)
{
    enum { O_ENGINE = 256, O_FOLDS, O_SEED, O_WINDOW, O_L2, O_TERM_L2, O_DB, O_THRESHOLD, O_FLAT, O_GROUP, O_CV_THRESHOLD, O_MODEL, O_MODEL_C, O_BLEND, O_QUOTE_FRAMES, O_QUOTE_SHARE };
    static const struct option opts[] = {
        {"lexicon", required_argument, 0, 'l'},    {"output", required_argument, 0, 'o'},
        {"engine", required_argument, 0, O_ENGINE}, {"folds", required_argument, 0, O_FOLDS},
        {"seed", required_argument, 0, O_SEED},     {"window", required_argument, 0, O_WINDOW},
        {"l2", required_argument, 0, O_L2},         {"term-l2", required_argument, 0, O_TERM_L2},
        {"file", required_argument, 0, 'f'},
        {"term", required_argument, 0, 'e'},        {"db", required_argument, 0, O_DB},
        {"threshold", required_argument, 0, O_THRESHOLD}, {"flat", no_argument, 0, O_FLAT},
        {"group-by", required_argument, 0, O_GROUP},
        {"cv-threshold", no_argument, 0, O_CV_THRESHOLD},
        {"model", required_argument, 0, O_MODEL},   {"model-c", required_argument, 0, O_MODEL_C},
        {"blend", required_argument, 0, O_BLEND},
        {"quote-frames", required_argument, 0, O_QUOTE_FRAMES},
        {"quote-share", required_argument, 0, O_QUOTE_SHARE},
        {"help", no_argument, 0, 'h'},              {0, 0, 0, 0}};
    lexicon_args la = {0};
    const char *out = NULL, *group_by = NULL, *model_out = NULL, *quote_frames = NULL;
    int model = 0;
    double model_c = 30, blend = 0.1, quote_share = QUOTE_SHARE_DEFAULT;
    int folds = 5, window = -1, flat = 0, cv_threshold = 0, quote_share_given = 0, c;
    uint64_t seed = 1;
    double l2 = 0.01, term_l2 = TERM_L2_DEFAULT;
    char *end;
    /* The command as given, for the written file (getopt reorders argv). */
    char **given = malloc((size_t)argc * sizeof *given);
    if (!given) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return 2;
    }
    memcpy(given, argv, (size_t)argc * sizeof *given);
    while ((c = getopt_long(argc, argv, "l:o:f:e:h", opts, NULL)) != -1) {
        switch (c) {
        case 'l': add_item(la.tsv, &la.ntsv, optarg, "tune"); break;
        case 'o': out = optarg; break;
        case O_ENGINE: la.engine = parse_engine(optarg, "tune"); break;
        case O_FOLDS: folds = (int)parse_long(optarg, 2, 100, "--folds", "tune"); break;
        case O_WINDOW: window = (int)parse_long(optarg, 0, 1000, "--window", "tune"); break;
        case O_FLAT: flat = 1; break;
        case O_GROUP: group_by = optarg; break;
        case O_CV_THRESHOLD: cv_threshold = 1; break;
        case O_QUOTE_FRAMES: quote_frames = optarg; break;
        case O_QUOTE_SHARE:
            quote_share_given = 1;
            quote_share = number_or_nan(optarg);
            if (!(quote_share > 0 && quote_share <= 1))
                die_usage("tune", "bad --quote-share '%s' (above 0, at most 1)", optarg);
            break;
        case O_MODEL:
            model = 1;
            model_out = strcmp(optarg, "-") == 0 ? NULL : optarg;
            break;
        case O_MODEL_C:
        case O_BLEND: {
            double x = number_or_nan(optarg);
            if (!(x > 0 && x <= 1e6))
                die_usage("tune", c == O_BLEND ? "bad --blend '%s' (a positive number)"
                                               : "bad --model-c '%s' (a positive number)", optarg);
            *(c == O_BLEND ? &blend : &model_c) = x;
            break;
        }
        case O_SEED:
            errno = 0;
            seed = strtoull(optarg, &end, 10);
            if (*end || end == optarg || errno || optarg[0] == '-')
                die_usage("tune", "bad --seed '%s' (a non-negative integer)", optarg);
            break;
        case O_L2:
            l2 = number_or_nan(optarg);
            if (!(l2 > 0 && l2 <= 1e6))
                die_usage("tune", "bad --l2 '%s' (a positive number)", optarg);
            break;
        case O_TERM_L2:
            term_l2 = number_or_nan(optarg);
            if (!(term_l2 >= 0 && term_l2 <= 1e6))
                die_usage("tune", "bad --term-l2 '%s' (a number, 0 or more)", optarg);
            break;
        case 'f':
        case 'e':
        case O_DB:
            die_usage("tune", "%s", "tune fits the weights of TSV lexicons (-l); -f/-e terms "
                      "and --db databases have none to fit");
        case O_THRESHOLD:
            die_usage("tune", "%s", "tune fits the threshold itself (try one with "
                      "'yamiscan eval --threshold N')");
        case 'h':
            fputs(usage_tune, stdout);
            free(given);
            return 0;
        default: die_usage("tune", "%s", "bad option");
        }
    }
    if (optind != argc - 1)
        die_usage("tune", "%s", "expected one labeled JSONL file");
    if (model && out)
        die_usage("tune", "%s", "--model writes the n-gram model, -o the lexicon: one at a time");
    if (quote_frames && !model)
        die_usage("tune", "%s", "--quote-frames adds posts to the n-gram model's fits: give --model");
    if (quote_share_given && !quote_frames)
        die_usage("tune", "%s", "--quote-share is the share of the ads --quote-frames frames: "
                  "give --quote-frames");
    if (out && la.ntsv > 1) {
        char msg[256];
        snprintf(msg, sizeof msg, "-o writes one lexicon file, and %d -l files were given: "
                 "their weights are fitted together, with no one file to write them into "
                 "(merge them into one file, or leave out -o to see the figures)%%s", la.ntsv);
        die_usage("tune", msg, "");
    }
    const char *labeled = argv[optind];

    tuner t = {0};
    t.engine = la.engine;
    t.l2 = l2;
    t.term_l2 = term_l2;
    int rc = 2;
    char bundled[PATH_MAX + 64];
    t.nfiles = la.ntsv ? la.ntsv : 1;
    t.files = calloc((size_t)t.nfiles, sizeof *t.files);
    t.batch = ys_batch_new(MAX_TEXT);
    if (!t.files || !t.batch) {
        fprintf(stderr, "%s: out of memory\n", prog);
        goto done;
    }
    if (!la.ntsv && default_lexicon(bundled, sizeof bundled) != 0) {
        fprintf(stderr, "%s: cannot find the bundled lexicon ja-recruitment.tsv beside the "
                "program; give -l FILE\n", prog);
        goto done;
    }
    for (int i = 0; i < t.nfiles; i++) {
        t.files[i].path = la.ntsv ? (char *)la.tsv[i] : bundled;
        if (read_all(t.files[i].path, &t.files[i].data, &t.files[i].len) != 0)
            goto done;
        if (flat && flatten(&t.files[i]) != 0) {
            fprintf(stderr, "%s: out of memory\n", prog);
            goto done;
        }
    }
    t.group_by = group_by;
    if (describe_lexicon(&t) != 0 || load_posts(&t, labeled, group_by) != 0)
        goto done;
    size_t npos = 0;
    for (size_t i = 0; i < t.nposts; i++)
        npos += (size_t)t.posts[i].label;
    long ngroups = 0;
    if (group_by) {
        ngroups = assign_group_folds(&t, folds, seed);
        if (ngroups < 0) {
            fprintf(stderr, "%s: out of memory\n", prog);
            goto done;
        }
        if (ngroups < folds) {
            fprintf(stderr, "%s: %s: %ld distinct \"%s\" values: %d-fold cross-validation "
                    "needs at least %d (--folds)\n", prog, labeled, ngroups, group_by, folds,
                    folds);
            goto done;
        }
    } else if (npos < (size_t)folds || t.nposts - npos < (size_t)folds) {
        fprintf(stderr, "%s: %s: %zu positive and %zu negative posts: %d-fold "
                "cross-validation needs at least %d of each (--folds)\n", prog, labeled, npos,
                t.nposts - npos, folds, folds);
        goto done;
    }
    if (!group_by)
        assign_folds(&t, folds, seed);
    char by[128] = "";
    if (group_by)
        snprintf(by, sizeof by, " by \"%s\" (%ld groups)", group_by, ngroups);
    if (model) {
        printf("%zu posts (%zu positive, %zu negative); %d-fold cross-validation%s, seed %llu\n",
               t.nposts, npos, t.nposts - npos, folds, by, (unsigned long long)seed);
        if (quote_frames && add_framed_posts(&t, quote_frames, quote_share, seed) < 0)
            goto done;
        rc = tune_model(&t, model_out, folds, by, seed, model_c, blend, argc, given) == 0 ? 0 : 2;
        goto done;
    }
    printf("%zu posts (%zu positive, %zu negative); fitting %zu categories, %zu @combo, %d @rule; "
           "%d-fold cross-validation%s, seed %llu\n", t.nposts, npos, t.nposts - npos, t.nfc,
           t.ncombos, YS_RULES, folds, by, (unsigned long long)seed);

    /* The window: the best pooled F1 of cross-validation over the grid. */
    conf cv = {0}, per_fold[100], best_fold[100];
    int thr[100], best_thr[100], shift = 0;
    double shifted_f1 = 0;
    int *oof = calloc(t.nposts + 1, sizeof *oof), *best_oof = calloc(t.nposts + 1, sizeof *oof);
    if (!oof || !best_oof) {
        free(oof), free(best_oof);
        fprintf(stderr, "%s: out of memory\n", prog);
        goto done;
    }
    int grid1[1] = {window};
    const int *grid = window < 0 ? window_grid : grid1;
    int ngrid = window < 0 ? GRID_N : 1;
    double best = -1;
    for (int g = 0; g < ngrid; g++) {
        conf pooled;
        if (cross_validate(&t, grid[g], folds, per_fold, thr, &pooled, oof) != 0) {
            free(oof), free(best_oof);
            goto done;
        }
        if (ngrid > 1) {
            char what[64];
            snprintf(what, sizeof what, "window %d, pooled", grid[g]);
            print_conf(what, &pooled);
        }
        if (f1(&pooled) > best + 1e-12) {
            best = f1(&pooled);
            window = grid[g];
            cv = pooled;
            memcpy(best_fold, per_fold, sizeof per_fold);
            memcpy(best_thr, thr, sizeof thr);
            memcpy(best_oof, oof, t.nposts * sizeof *oof);
        }
    }
    if (ngrid > 1)
        printf("chosen: @window %d (the best pooled F1)\n", window);
    printf("cross-validation at @window %d (each fold scored by the lexicon fitted on the "
           "others):\n", window);
    for (int f = 0; f < folds; f++) {
        char what[256], groups[128];
        const conf *c = &best_fold[f];
        fold_groups(&t, f, t.group_by, groups, sizeof groups);
        snprintf(what, sizeof what, "  fold %d (%s%u posts, threshold %d)", f + 1, groups,
                 c->tp + c->fp + c->fn + c->tn, best_thr[f]);
        print_conf(what, c);
    }
    print_conf("  pooled", &cv);
    shift = best_shift(&t, best_oof, &shifted_f1);
    free(oof), free(best_oof);
    printf("out-of-fold threshold shift with the best pooled F1: %+d (F1 %.3f, chosen on these "
           "folds)%s\n", shift, shifted_f1,
           cv_threshold ? "; added to the fitted threshold" : " (--cv-threshold adds it)");
    t.shift = cv_threshold ? shift : 0;

    /* The lexicon fitted on every post. */
    features F = {0};
    imodel m = {0};
    unsigned char *use = malloc(t.nposts + 1);
    int *flagged = calloc(t.nposts + 1, sizeof *flagged);
    buf header = {0}, *texts = NULL;
    ys_db *db = NULL;
    int ok = use && flagged && imodel_init(&t, &m) == 0;
    if (!ok)
        fprintf(stderr, "%s: out of memory\n", prog);
    if (ok) {
        memset(use, 1, t.nposts + 1);
        ys_db *fitdb = NULL;
        ok = make_features(&t, NULL, window, t.rule0, &F) == 0 &&
             fit(&t, &F, use, window, &m, &fitdb, &texts) == 0;
        ys_db_free(fitdb); /* scored again below from the very text written */
    }
    if (ok && out) { /* the header line, then the first (only) file */
        const char *eol = "\n";
        const char *nl = memchr(texts[0].p, '\n', texts[0].n);
        if (nl && nl > texts[0].p && nl[-1] == '\r')
            eol = "\r\n";
        put(&header, TUNE_HEADER, strlen(TUNE_HEADER));
        put_command(&header, argc, given);
        putf(&header, "; @window %d; %d-fold CV%s (seed %llu): precision %.3f recall %.3f "
             "F1 %.3f (tp %u fp %u fn %u tn %u)%s", window, folds, by, (unsigned long long)seed,
             precision(&cv), recall(&cv), f1(&cv), cv.tp, cv.fp, cv.fn, cv.tn,
             cv_threshold ? "" : eol);
        if (cv_threshold)
            putf(&header, "; threshold shifted %+d by it (pooled F1 %.3f)%s", shift, shifted_f1,
                 eol);
        put(&header, texts[0].p, texts[0].n);
        ok = !header.oom;
        if (!ok)
            fprintf(stderr, "%s: out of memory\n", prog);
        else {
            free(texts[0].p);
            texts[0] = header;
            header = (buf){0};
        }
    }
    if (ok)
        ok = compile_src(&t, texts, out, 0, -1, &db) == 0;
    if (ok && out)
        ok = write_atomic(out, texts[0].p, texts[0].n) == 0;
    if (ok) {
        int_scores is = {&t, calloc(t.nposts + 1, sizeof(int)), flagged, NULL};
        ok = is.score && for_each_post(&t, db, INT_MIN, collect_scores, &is) == 0;
        free(is.score);
    }
    if (ok) {
        print_model(&t, &m, db);
        conf train = {0};
        for (size_t i = 0; i < t.nposts; i++)
            conf_add(&train, t.posts[i].label, flagged[i]);
        printf("fitted on all %zu posts, scored on them%s%s:\n", t.nposts,
               out ? " by the written " : "", out ? out : "");
        print_conf("  training", &train);
        rc = 0;
    }
    free_features(&F);
    imodel_free(&m);
    free(use);
    free(flagged);
    free(header.p);
    free_texts(&t, texts);
    ys_db_free(db);
done:
    free_tuner(&t);
    free(given);
    return rc;
}
