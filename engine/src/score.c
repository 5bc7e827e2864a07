/* Per-post verdicts. Until category-aware scoring lands, a post is flagged
 * when it has any hit; its score is the sum of the weights of the distinct
 * patterns it hit (a term repeated ten times counts once). */
#include "db.h"

#include <stdlib.h>
#include <string.h>

struct ys_scorer {
    const ys_db *db;
    uint32_t *seen; /* per pattern: the post generation that last counted it */
    uint32_t gen;
};

int ys_scorer_new(const ys_db *db, ys_scorer **out, ys_error *err)
{
    ys_scorer *s = calloc(1, sizeof *s);
    if (s)
        s->seen = calloc(db->t.n ? db->t.n : 1, sizeof *s->seen);
    if (!s || !s->seen) {
        free(s);
        *out = NULL;
        return ys_fail(err, YS_ENOMEM, "out of memory");
    }
    s->db = db;
    *out = s;
    return YS_OK;
}

void ys_scorer_free(ys_scorer *s)
{
    if (!s)
        return;
    free(s->seen);
    free(s);
}

void ys_score_post(ys_scorer *s, const ys_hit *hits, size_t n, ys_verdict *v)
{
    if (++s->gen == 0) { /* wrapped: forget every stamp */
        memset(s->seen, 0, s->db->t.n * sizeof *s->seen);
        s->gen = 1;
    }
    int score = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t p = hits[i].pattern;
        if (s->seen[p] != s->gen) {
            s->seen[p] = s->gen;
            score += s->db->t.pat[p].weight;
        }
    }
    v->score = score;
    v->flagged = n > 0;
}
