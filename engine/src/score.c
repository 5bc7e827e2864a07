/* Per-post verdicts from category hits (patterns/README.md, "Scoring"):
 *
 *   each category hit contributes the weight of its strongest term (the
 *   largest in absolute value; a term repeated, or several synonyms, count
 *   once), so negative context (逮捕, 注意, ニュース…) lowers the score;
 *   each @combo whose two categories both contribute positively adds its
 *   bonus; the post is flagged when it has a positive term and the score
 *   reaches the threshold (@threshold, --threshold; 1 if neither), or when
 *   it hits a term of category "default" (-f/-e lists keep grep's meaning).
 *   Negative context only lowers a score: it never flags a post on its own
 *   (and the scanner looks for it only in posts that have another hit).
 *
 * The scorer keeps a generation stamp per pattern and per category, so a
 * post costs time in its hits only. */
#include "db.h"

#include <stdlib.h>
#include <string.h>

struct ys_scorer {
    const ys_db *db;
    uint32_t *seen;     /* per pattern: the generation that last counted it */
    uint32_t *cat_seen; /* per category: the generation that last touched it */
    int *contrib;       /* per category: its contribution in that generation */
    uint32_t gen;
    int threshold;
};

int ys_scorer_new(const ys_db *db, ys_scorer **out, ys_error *err)
{
    ys_scorer *s = calloc(1, sizeof *s);
    if (s) {
        s->seen = calloc(db->t.n ? db->t.n : 1, sizeof *s->seen);
        s->cat_seen = calloc(db->t.ncats, sizeof *s->cat_seen);
        s->contrib = calloc(db->t.ncats, sizeof *s->contrib);
    }
    if (!s || !s->seen || !s->cat_seen || !s->contrib) {
        ys_scorer_free(s);
        *out = NULL;
        return ys_fail(err, YS_ENOMEM, "out of memory");
    }
    s->db = db;
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
    free(s);
}

void ys_scorer_set_threshold(ys_scorer *s, int threshold) { s->threshold = threshold; }
int ys_scorer_threshold(const ys_scorer *s) { return s->threshold; }

int ys_scorer_category(const ys_scorer *s, unsigned cat, int *score)
{
    if (cat >= s->db->t.ncats || s->cat_seen[cat] != s->gen)
        return 0;
    *score = s->contrib[cat];
    return 1;
}

static int stronger(int w, int than)
{
    int a = w < 0 ? -w : w, b = than < 0 ? -than : than;
    return a > b || (a == b && w > than);
}

void ys_score_post(ys_scorer *s, const ys_hit *hits, size_t n, ys_verdict *v)
{
    const ys_table *t = &s->db->t;
    if (++s->gen == 0) { /* wrapped: forget every stamp */
        memset(s->seen, 0, t->n * sizeof *s->seen);
        memset(s->cat_seen, 0, t->ncats * sizeof *s->cat_seen);
        s->gen = 1;
    }
    int score = 0, any_default = 0, any_positive = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t p = hits[i].pattern;
        if (s->seen[p] == s->gen)
            continue;
        s->seen[p] = s->gen;
        unsigned c = t->cat_of[p];
        int w = t->pat[p].weight;
        any_default |= c == 0;
        any_positive |= w > 0;
        if (s->cat_seen[c] != s->gen) {
            s->cat_seen[c] = s->gen;
            s->contrib[c] = w;
            score += w;
        } else if (stronger(w, s->contrib[c])) {
            score += w - s->contrib[c];
            s->contrib[c] = w;
        }
    }
    for (size_t k = 0; k < t->ncombos && n > 0; k++) {
        const ys_combo *c = &t->combos[k];
        if (s->cat_seen[c->a] == s->gen && s->cat_seen[c->b] == s->gen &&
            s->contrib[c->a] > 0 && s->contrib[c->b] > 0)
            score += c->bonus;
    }
    v->score = score;
    v->flagged = any_default || (any_positive && score >= s->threshold);
}
