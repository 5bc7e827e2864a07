/* Per-post verdicts from category hits (patterns/README.md, "Scoring"):
 *
 *   a hit inside a hit of the opposite sign is ignored (逮捕 inside
 *   逮捕されない is the ad's promise, not news; 闇バイト inside 闇バイト対策
 *   is the warning's topic, not an offer), and so is a positive hit inside a
 *   longer positive hit of another category (即日 inside 即日で, スマホ
 *   inside スマホ1台で: one span of text is one sign, not two categories);
 *   each category hit contributes the weight of its strongest term (the
 *   largest in absolute value; a term repeated, or several synonyms, count
 *   once), so negative context (逮捕, 注意, ニュース…) lowers the score; a
 *   paired category (an invitation such as やる？ is common in chat) adds
 *   nothing itself, only through its combos, and counts as a category for
 *   the rule "lone";
 *   each @combo whose two categories both contribute positively adds its
 *   bonus, if they have positive hits at most @window characters apart;
 *   each structural rule (@rule: quotation, questions) that fires adds its
 *   weight; the post is flagged when it has a positive term and the score
 *   reaches the threshold (@threshold, --threshold; 1 if neither), or when
 *   it hits a term of category "default" (-f/-e lists keep grep's meaning).
 *   Negative context only lowers a score: it never flags a post on its own
 *   (and the scanner looks for it only in posts that have another hit).
 *
 * The scorer keeps a generation stamp per pattern and per category, so a
 * post costs time in its hits only; the text is read only around hits. */
#include "db.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ys_scorer {
    const ys_db *db;
    uint32_t *seen;     /* per pattern: the generation that last counted it */
    uint32_t *cat_seen; /* per category: the generation that last touched it */
    int *contrib;       /* per category: its contribution in that generation */
    uint32_t *cat_pat;  /* per category: the pattern that set contrib */
    unsigned char *combo_on; /* per combo: added its bonus to the last post */
    unsigned char rule_on[YS_RULES];
    unsigned char *ignored; /* per hit of the last post */
    size_t capignored;
    uint32_t gen;
    int threshold;
    int verdicts_only; /* skip rules that cannot change a verdict */
    /* the n-gram model (@model) */
    int use_model;
    ys_gram_scratch grams;
    int model_on, model_points;
    double model_logit;
};

static const char *const rule_names[YS_RULES] = {"quoted", "question", "lone"};

const char *ys_rule_name(unsigned rule) { return rule < YS_RULES ? rule_names[rule] : NULL; }

int ys_scorer_new(const ys_db *db, ys_scorer **out, ys_error *err)
{
    ys_scorer *s = calloc(1, sizeof *s);
    if (s) {
        s->seen = calloc(db->t.n ? db->t.n : 1, sizeof *s->seen);
        s->cat_seen = calloc(db->t.ncats, sizeof *s->cat_seen);
        s->contrib = calloc(db->t.ncats, sizeof *s->contrib);
        s->cat_pat = calloc(db->t.ncats, sizeof *s->cat_pat);
        s->combo_on = calloc(db->t.ncombos ? db->t.ncombos : 1, 1);
    }
    if (!s || !s->seen || !s->cat_seen || !s->contrib || !s->cat_pat || !s->combo_on ||
        ys_gram_scratch_init(&s->grams, &db->t.model) != YS_OK) {
        ys_scorer_free(s);
        *out = NULL;
        return ys_fail(err, YS_ENOMEM, "out of memory");
    }
    s->db = db;
    s->use_model = 1;
    s->threshold = db->t.threshold == YS_NO_THRESHOLD ? 1 : db->t.threshold;
    *out = s;
    return YS_OK;
}

void ys_scorer_free(ys_scorer *s)
{
    if (!s)
        return;
    free(s->seen);
    free(s->cat_seen);
    free(s->contrib);
    free(s->cat_pat);
    free(s->combo_on);
    free(s->ignored);
    ys_gram_scratch_free(&s->grams);
    free(s);
}

void ys_scorer_set_threshold(ys_scorer *s, int threshold) { s->threshold = threshold; }
void ys_scorer_set_verdicts_only(ys_scorer *s, int on) { s->verdicts_only = on; }
int ys_scorer_threshold(const ys_scorer *s) { return s->threshold; }
void ys_scorer_set_model(ys_scorer *s, int on) { s->use_model = on; }

int ys_scorer_model(const ys_scorer *s, double *logit, int *points)
{
    if (!s->model_on)
        return 0;
    *logit = s->model_logit;
    *points = s->model_points;
    return 1;
}

int ys_scorer_category(const ys_scorer *s, unsigned cat, int *score)
{
    if (cat >= s->db->t.ncats || s->cat_seen[cat] != s->gen)
        return 0;
    *score = s->contrib[cat];
    return 1;
}

long ys_scorer_category_pattern(const ys_scorer *s, unsigned cat)
{
    return cat < s->db->t.ncats && s->cat_seen[cat] == s->gen ? (long)s->cat_pat[cat] : -1;
}

int ys_scorer_combo(const ys_scorer *s, size_t k) { return k < s->db->t.ncombos && s->combo_on[k]; }
int ys_scorer_rule(const ys_scorer *s, unsigned rule) { return rule < YS_RULES && s->rule_on[rule]; }
int ys_scorer_hit_ignored(const ys_scorer *s, size_t i)
{
    return s->ignored && i < s->capignored ? s->ignored[i] : 0;
}

static int stronger(int w, int than)
{
    int a = w < 0 ? -w : w, b = than < 0 ? -than : than;
    return a > b || (a == b && w > than);
}

/* The furthest ends of positive hits in two different categories (the
 * largest first), so that a hit can ask how far a hit of a category other
 * than its own reaches. cat NO_CAT: none yet. */
#define NO_CAT UINT32_MAX
typedef struct {
    uint32_t end[2], cat[2];
} reach;

static void reach_add(reach *r, uint32_t end, uint32_t cat)
{
    int k = cat == r->cat[0] ? 0 : cat == r->cat[1] ? 1 : -1;
    if (k < 0) { /* a third category: keep it if it reaches further */
        if (r->cat[1] != NO_CAT && end <= r->end[1])
            return;
        k = 1;
        r->cat[1] = cat;
        r->end[1] = end;
    } else if (end > r->end[k]) {
        r->end[k] = end;
    }
    if (r->cat[1] != NO_CAT && (r->cat[0] == NO_CAT || r->end[1] > r->end[0])) {
        uint32_t e = r->end[0], c = r->cat[0];
        r->end[0] = r->end[1], r->cat[0] = r->cat[1];
        r->end[1] = e, r->cat[1] = c;
    }
}

/* How far a positive hit of a category other than `cat` reaches (0: none). */
static uint32_t reach_other(const reach *r, uint32_t cat)
{
    return r->cat[0] != NO_CAT && r->cat[0] != cat ? r->end[0]
           : r->cat[1] != NO_CAT                  ? r->end[1]
                                                  : 0;
}

/* Marks the hits that lie inside a strictly longer hit of the opposite
 * sign, and the positive hits inside a strictly longer positive hit of
 * another category. Hits come ordered by start: a hit of an earlier start
 * contains hit k if it ends at or after k's end; one of the same start if
 * it ends after it. So one sweep keeps, for each sign, the furthest end of
 * the earlier starts and of the current group of equal starts (and, for
 * positive hits, the two furthest of different categories). */
static void mark_nested(ys_scorer *s, const ys_hit *h, size_t n)
{
    const ys_pattern *pat = s->db->t.pat;
    const unsigned *cat_of = s->db->t.cat_of;
    uint32_t before[2] = {0, 0}; /* [positive?]: furthest end of earlier starts */
    reach pos_before = {{0, 0}, {NO_CAT, NO_CAT}};
    for (size_t i = 0; i < n;) {
        size_t j = i;
        uint32_t group[2] = {0, 0};
        reach pos_group = {{0, 0}, {NO_CAT, NO_CAT}};
        for (; j < n && h[j].start == h[i].start; j++) {
            int w = pat[h[j].pattern].weight, pos = w > 0;
            if (w != 0 && h[j].end > group[pos])
                group[pos] = h[j].end;
            if (pos)
                reach_add(&pos_group, h[j].end, cat_of[h[j].pattern]);
        }
        for (size_t k = i; k < j; k++) {
            int w = pat[h[k].pattern].weight, other = !(w > 0);
            uint32_t c = cat_of[h[k].pattern];
            s->ignored[k] = w != 0 && (before[other] >= h[k].end || group[other] > h[k].end)
                                ? YS_IGNORED_OTHER_SIGN
                            : w > 0 && (reach_other(&pos_before, c) >= h[k].end ||
                                        reach_other(&pos_group, c) > h[k].end)
                                ? YS_IGNORED_LONGER
                                : 0;
        }
        for (int sign = 0; sign < 2; sign++)
            if (group[sign] > before[sign])
                before[sign] = group[sign];
        for (int k = 0; k < 2; k++)
            if (pos_group.cat[k] != NO_CAT)
                reach_add(&pos_before, pos_group.end[k], pos_group.cat[k]);
        i = j;
    }
}

/* Characters in text[a, b), counting at most `cap`. */
static size_t chars_between(const char *text, size_t a, size_t b, size_t cap)
{
    size_t n = 0;
    for (size_t i = a; i < b && n <= cap; i++)
        n += ((unsigned char)text[i] & 0xC0) != 0x80;
    return n;
}

/* Whether categories ca and cb have positive, counted hits at most `window`
 * characters apart. */
static int near(const ys_scorer *s, const char *text, const ys_hit *h, size_t n, unsigned ca,
                unsigned cb, size_t window)
{
    const ys_table *t = &s->db->t;
    int seen_a = 0, seen_b = 0;
    uint32_t end_a = 0, end_b = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = t->cat_of[h[i].pattern];
        if (s->ignored[i] || t->pat[h[i].pattern].weight <= 0 || (c != ca && c != cb))
            continue;
        int is_a = c == ca;
        if (is_a ? seen_b : seen_a) {
            uint32_t other = is_a ? end_b : end_a;
            if (other >= h[i].start || chars_between(text, other, h[i].start, window) <= window)
                return 1;
        }
        uint32_t *e = is_a ? &end_a : &end_b;
        if (!(is_a ? seen_a : seen_b) || h[i].end > *e)
            *e = h[i].end;
        *(is_a ? &seen_a : &seen_b) = 1;
    }
    return 0;
}

static uint32_t decode_at(const unsigned char *s, size_t len, size_t i, size_t *k)
{
    unsigned c = s[i];
    size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (i + n > len)
        n = 1;
    uint32_t cp = n == 1 ? c : c & (0x7Fu >> n);
    for (size_t b = 1; b < n; b++)
        cp = cp << 6 | (s[i + b] & 0x3F);
    *k = n;
    return cp;
}

/* Whether text has a quotation mark or a >: the quoted rule reads a post
 * only if it does. A byte loop: glibc's memmem costs more for needles this
 * short. */
static int has_quote_mark(const unsigned char *u, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned c = u[i];
        if (c == '"' || c == '>')
            return 1;
        if (c >= 0xE2 && i + 2 < len) {
            unsigned d = u[i + 1], e = u[i + 2];
            if ((c == 0xE3 && d == 0x80 && (e == 0x8C || e == 0x8E || e == 0x9D)) || /* 「『〝 */
                (c == 0xE2 && d == 0x80 && (e == 0x9C || e == 0x98)) ||             /* “‘ */
                (c == 0xEF && d == 0xBC && e == 0x82))                              /* ＂ */
                return 1;
        }
    }
    return 0;
}

/* Whether text has ? or ？. */
static int has_question_mark(const unsigned char *u, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (u[i] == '?' || (u[i] == 0xEF && i + 2 < len && u[i + 1] == 0xBC && u[i + 2] == 0x9F))
            return 1;
    return 0;
}

/* Whether the > at u[i] begins a board's reply anchor (>>12, >>>3): a
 * pointer to another post, which a reply that recruits begins with as
 * often as one that warns, not a quotation. */
static int is_anchor(const unsigned char *u, size_t len, size_t i)
{
    size_t j = i;
    while (j < len && u[j] == '>')
        j++;
    return j - i >= 2 && j < len && u[j] >= '0' && u[j] <= '9';
}

/* "quoted": at least two thirds of the positive hits start inside quotation
 * marks or on a line quoted with > (as replies and reports quote an ad, and
 * name it again in their comment: measured, this fits the development set
 * better than "every hit", F1 0.959 against 0.951 cross-validated; an ad
 * that quotes its own words for emphasis gets the rule too, and its weight
 * is fitted with that). Not ＞, which ads use as a bullet as often as posts
 * quote with it. One pass over the text up to the last positive hit, with
 * the depth of 「」『』“”〝〟 and the parity of "…". */
static int all_quoted(const ys_scorer *s, const char *text, size_t len, const ys_hit *h,
                      size_t n)
{
    if (!has_quote_mark((const unsigned char *)text, len))
        return 0;
    const unsigned char *u = (const unsigned char *)text;
    const ys_pattern *pat = s->db->t.pat;
    int depth = 0, ascii = 0, line_quoted = 0, line_start = 1;
    size_t inside = 0, any = 0;
    size_t i = 0;
    for (size_t k = 0; k < n; k++) {
        if (s->ignored[k] || pat[h[k].pattern].weight <= 0)
            continue;
        while (i < h[k].start && i < len) {
            size_t w;
            uint32_t cp = decode_at(u, len, i, &w);
            if (cp == '\n') {
                line_start = 1;
                line_quoted = 0;
            } else if (line_start && cp == '>') {
                line_quoted = !is_anchor(u, len, i);
                line_start = 0;
            } else if (!(line_start && (cp == ' ' || cp == 0x3000))) {
                line_start = 0;
            }
            if (cp == 0x300C || cp == 0x300E || cp == 0x201C || cp == 0x301D || cp == 0x2018)
                depth++;
            else if ((cp == 0x300D || cp == 0x300F || cp == 0x201D || cp == 0x301E ||
                      cp == 0x301F || cp == 0x2019) &&
                     depth > 0)
                depth--;
            else if (cp == '"' || cp == 0xFF02)
                ascii ^= 1;
            i += w;
        }
        inside += depth > 0 || ascii || line_quoted;
        any++;
    }
    return any > 0 && 3 * inside >= 2 * (size_t)any;
}

/* Whether what follows a question mark at u[i] lets it end a sentence: the
 * end, a space, a line break, a closing bracket or quote, more marks, or
 * Japanese text; not a URL's query (t.me/x?start=1). */
static int ends_sentence(const unsigned char *u, size_t len, size_t i)
{
    if (i >= len)
        return 1;
    unsigned c = u[i];
    return c == ' ' || c == '\n' || c == '\r' || c == '?' || c == '!' || c == ')' || c == '"' ||
           c >= 0x80; /* ？！」』）, Japanese */
}

/* "question": the sentence of every positive hit ends with ? or ？. */
static int all_questions(const ys_scorer *s, const char *text, size_t len, const ys_hit *h,
                         size_t n)
{
    if (!has_question_mark((const unsigned char *)text, len))
        return 0;
    const unsigned char *u = (const unsigned char *)text;
    const ys_pattern *pat = s->db->t.pat;
    size_t end = 0; /* the sentence end last found, and whether it asks */
    int asks = 0, any = 0;
    for (size_t k = 0; k < n; k++) {
        if (s->ignored[k] || pat[h[k].pattern].weight <= 0)
            continue;
        if (h[k].end > end || !any) {
            size_t i = h[k].end;
            uint32_t cp = 0;
            while (i < len) {
                size_t w;
                cp = decode_at(u, len, i, &w);
                if (cp == 0x3002 || cp == '!' || cp == 0xFF01 || cp == '?' || cp == 0xFF1F ||
                    cp == '\n')
                    break;
                i += w;
            }
            end = i;
            asks = i < len && (cp == '?' || cp == 0xFF1F) &&
                   ends_sentence(u, len, i + (cp == '?' ? 1 : 3));
        }
        if (!asks)
            return 0;
        any = 1;
    }
    return any;
}

/* How many categories contribute a positive weight to the post just
 * scored. */
static unsigned positive_categories(const ys_scorer *s)
{
    const ys_table *t = &s->db->t;
    unsigned k = 0;
    for (unsigned c = 0; c < t->ncats; c++)
        k += s->cat_seen[c] == s->gen && s->contrib[c] > 0;
    return k;
}

int ys_score_text(ys_scorer *s, const char *text, size_t len, const ys_hit *hits, size_t n,
                  ys_verdict *v)
{
    return ys_score_folded(s, text, len, NULL, 0, hits, n, v);
}

int ys_score_folded(ys_scorer *s, const char *text, size_t len, const char *folded,
                    size_t flen, const ys_hit *hits, size_t n, ys_verdict *v)
{
    const ys_table *t = &s->db->t;
    if (++s->gen == 0) { /* wrapped: forget every stamp */
        memset(s->seen, 0, t->n * sizeof *s->seen);
        memset(s->cat_seen, 0, t->ncats * sizeof *s->cat_seen);
        s->gen = 1;
    }
    memset(s->combo_on, 0, t->ncombos);
    memset(s->rule_on, 0, sizeof s->rule_on);
    s->model_on = 0;
    s->model_points = 0;
    if (n > s->capignored) {
        size_t cap = n > 2 * s->capignored ? n : 2 * s->capignored;
        unsigned char *p = realloc(s->ignored, cap);
        if (!p) { /* a score without its rules would be another verdict */
            v->score = 0;
            v->flagged = 0;
            v->model = 0;
            return YS_ENOMEM;
        }
        s->ignored = p;
        s->capignored = cap;
    }
    mark_nested(s, hits, n);
    int score = 0, any_default = 0, any_positive = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t p = hits[i].pattern;
        if (s->ignored[i] || s->seen[p] == s->gen)
            continue;
        s->seen[p] = s->gen;
        unsigned c = t->cat_of[p];
        int w = t->pat[p].weight, counts = !t->paired[c]; /* paired: only its combos count */
        any_default |= c == 0;
        any_positive |= w > 0;
        if (s->cat_seen[c] != s->gen) {
            s->cat_seen[c] = s->gen;
            s->contrib[c] = w;
            s->cat_pat[c] = p;
            score += counts * w;
        } else if (stronger(w, s->contrib[c])) {
            score += counts * (w - s->contrib[c]);
            s->contrib[c] = w;
            s->cat_pat[c] = p;
        }
    }
    int use_text = text != NULL;
    for (size_t k = 0; k < t->ncombos && any_positive; k++) {
        const ys_combo *c = &t->combos[k];
        if (s->cat_seen[c->a] == s->gen && s->cat_seen[c->b] == s->gen &&
            s->contrib[c->a] > 0 && s->contrib[c->b] > 0 &&
            ((c->window >= 0 ? c->window : t->window) == 0 || !use_text ||
             near(s, text, hits, n, c->a, c->b,
                  (size_t)(c->window >= 0 ? c->window : t->window)))) {
            s->combo_on[k] = 1;
            score += c->bonus;
        }
    }
    /* The model first: what it adds decides, with the rules' most, whether
     * the rules can matter. */
    if (s->use_model && t->model.n && use_text && any_positive) {
        double z;
        if (ys_ngrams_logit(&t->model, text, len, folded, flen, &s->grams, &z) != YS_OK) {
            v->score = 0;
            v->flagged = 0;
            v->model = 0;
            return YS_ENOMEM;
        }
        double pts = fmax(-1e6, fmin(1e6, nearbyint(t->model.points * z)));
        s->model_on = 1;
        s->model_logit = z;
        s->model_points = (int)pts;
        score += s->model_points;
    }
    /* The rules read the text; when only verdicts matter, a post that stays
     * below the threshold whatever they say is not read (one that may be
     * flagged is, so that its reported score is whole). */
    int up = 0;
    for (unsigned r = 0; r < YS_RULES; r++)
        up += t->rule_weight[r] > 0 ? t->rule_weight[r] : 0;
    int matters = !s->verdicts_only || any_default || score + up >= s->threshold;
    if (use_text && any_positive && matters) {
        if (t->rule_weight[YS_RULE_QUOTED] && all_quoted(s, text, len, hits, n))
            s->rule_on[YS_RULE_QUOTED] = 1;
        if (t->rule_weight[YS_RULE_QUESTION] && all_questions(s, text, len, hits, n))
            s->rule_on[YS_RULE_QUESTION] = 1;
        if (t->rule_weight[YS_RULE_LONE] && positive_categories(s) == 1)
            s->rule_on[YS_RULE_LONE] = 1;
        for (unsigned r = 0; r < YS_RULES; r++)
            score += s->rule_on[r] ? t->rule_weight[r] : 0;
    }
    v->score = score;
    v->model = s->model_points;
    v->flagged = any_default || (any_positive && score >= s->threshold);
    return YS_OK;
}

int ys_score_post(ys_scorer *s, const ys_hit *hits, size_t n, ys_verdict *v)
{
    return ys_score_text(s, NULL, 0, hits, n, v);
}
