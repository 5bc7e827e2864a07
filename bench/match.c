/* match — t_match of issue 15's ceiling: Hyperscan alone matching the
 * feed's post texts, one hs_scan per post, with the same patterns.
 *
 * The terms file (one literal a line, as `yamiscan scan -f` reads it; a
 * term with an ASCII letter is compiled caseless, as yamiscan compiles it)
 * becomes one block-mode literal database (hs_compile_lit_multi). The feed
 * is decoded and framed into batches in memory with the library (JSONL,
 * field "text", escapes decoded), untimed; then RUNS times (median) every
 * post text is scanned with its own hs_scan call, one scratch, a callback
 * that only counts the posts with a hit. Prints one JSON line:
 *
 *   {"terms":N,"posts":P,"bytes":B,"match_s":S,"hit_posts":H}
 *
 *   match -f TERMS [--runs N] FEED
 */
#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"

#define MAX_RUNS 99

static int on_match(unsigned id, unsigned long long from, unsigned long long to,
                    unsigned flags, void *ctx)
{
    (void)id, (void)from, (void)to, (void)flags;
    *(int *)ctx = 1;
    return 0;
}

static int has_ascii_letter(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    const char *terms_path = NULL, *path = NULL;
    int runs = 3;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-f") && i + 1 < argc)
            terms_path = argv[++i];
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else
            path = argv[i];
    }
    if (!terms_path || !path || runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "usage: match -f TERMS [--runs N] FEED\n"
                        "Times one hs_scan per post text of FEED with the TERMS (JSON line).\n");
        return 2;
    }
    size_t tl;
    char *tbuf = feed_read(terms_path, &tl);
    unsigned n = 0, cap = 1024;
    const char **expr = malloc(cap * sizeof *expr);
    size_t *lens = malloc(cap * sizeof *lens);
    unsigned *flags = malloc(cap * sizeof *flags), *ids = malloc(cap * sizeof *ids);
    for (char *line = tbuf, *nl; line < tbuf + tl; line = nl + 1) {
        nl = memchr(line, '\n', (size_t)(tbuf + tl - line));
        if (!nl)
            nl = tbuf + tl;
        size_t len = (size_t)(nl - line);
        if (len && line[len - 1] == '\r')
            len--;
        if (len == 0)
            continue;
        if (n == cap) {
            cap *= 2;
            expr = realloc(expr, cap * sizeof *expr), lens = realloc(lens, cap * sizeof *lens);
            flags = realloc(flags, cap * sizeof *flags), ids = realloc(ids, cap * sizeof *ids);
            if (!expr || !lens || !flags || !ids) {
                fprintf(stderr, "match: out of memory\n");
                return 2;
            }
        }
        expr[n] = line, lens[n] = len, ids[n] = n;
        flags[n] = has_ascii_letter(line, len) ? HS_FLAG_CASELESS : 0;
        n++;
    }
    if (n == 0) {
        fprintf(stderr, "match: %s holds no terms\n", terms_path);
        return 2;
    }
    hs_database_t *db;
    hs_compile_error_t *ce;
    if (hs_compile_lit_multi(expr, flags, ids, lens, n, HS_MODE_BLOCK, NULL, &db, &ce) !=
        HS_SUCCESS) {
        fprintf(stderr, "match: %s\n", ce->message);
        return 2;
    }
    hs_scratch_t *scratch = NULL;
    if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) {
        fprintf(stderr, "match: hs_alloc_scratch failed\n");
        return 2;
    }

    size_t len;
    char *data = feed_read(path, &len);
    frames kept = {.keep = 1};
    feed_frame(path, data, len, &kept);
    free(data);

    double t[MAX_RUNS];
    size_t hits = 0, bytes = 0, posts = 0;
    for (int r = 0; r < runs; r++) {
        hits = bytes = posts = 0;
        double t0 = feed_now();
        for (size_t b = 0; b < kept.nkept; b++) {
            const ys_batch *bt = kept.kept[b];
            size_t np = ys_batch_count(bt);
            for (size_t i = 0; i < np; i++) {
                ys_post p;
                ys_batch_post(bt, i, &p);
                int hit = 0;
                if (hs_scan(db, p.text, (unsigned)p.len, 0, scratch, on_match, &hit) !=
                    HS_SUCCESS) {
                    fprintf(stderr, "match: hs_scan failed\n");
                    return 2;
                }
                hits += (size_t)hit;
                bytes += p.len;
            }
            posts += np;
        }
        t[r] = feed_now() - t0;
    }
    printf("{\"terms\":%u,\"posts\":%zu,\"bytes\":%zu,\"match_s\":%.4f,\"hit_posts\":%zu}\n", n,
           posts, bytes, feed_median(t, runs), hits);
    feed_free(&kept);
    hs_free_scratch(scratch);
    hs_free_database(db);
    free(expr), free(lens), free(flags), free(ids), free(tbuf);
    return 0;
}
