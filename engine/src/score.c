/* Per-post verdicts. Until category-aware scoring lands, a post is flagged
 * when it has any hit; its score is the sum of the weights of the distinct
 * patterns it hit (a term repeated ten times counts once). */
#include "db.h"

void ys_score_post(const ys_db *db, const ys_hit *hits, size_t n, ys_verdict *v)
{
    int score = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < i && hits[j].pattern != hits[i].pattern)
            j++;
        if (j == i)
            score += db->t.pat[hits[i].pattern].weight;
    }
    v->score = score;
    v->flagged = n > 0;
}
