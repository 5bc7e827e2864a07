/* stage-times — times yamiscan's stages one at a time, in one process, with
 * the library's own code:
 *
 *   read   the source reader decoding FILE (zstd or plain) into memory;
 *   frame  the framer turning those bytes into posts (JSONL decoding, batches);
 *   scan   the scanner over the framed batches, held in memory;
 *   match  the same with folding off: the engine's matching alone (plus
 *          the mapping of matches to posts), for comparing engines;
 *
 * each RUNS times (default 3), and prints one JSON object with the median
 * seconds of each stage, the decoded bytes, the posts and the posts with at
 * least one hit.
 *
 *   stage-times (-f TERMS | -l LEXICON.tsv | --db FILE.ysdb) [--engine hs|ac]
 *               [--runs N] FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feed.h"
#include "yamiscan.h"

#define MAX_RUNS 99

/* Median seconds of scanning every kept batch; *hit_posts as a check. */
static double scan_runs(ys_scanner *sc, const frames *kept, int runs, uint64_t *hit_posts)
{
    double t[MAX_RUNS];
    ys_error err;
    for (int r = 0; r < runs; r++) {
        *hit_posts = 0;
        double t0 = feed_now();
        for (size_t b = 0; b < kept->nkept; b++) {
            const ys_hit *hits;
            size_t nhits;
            feed_check(ys_scan_batch(sc, kept->kept[b], &hits, &nhits, &err), &err);
            for (size_t i = 0; i < nhits; i++) /* hits are ordered by post */
                *hit_posts += i == 0 || hits[i].post != hits[i - 1].post;
        }
        t[r] = feed_now() - t0;
    }
    return feed_median(t, runs);
}

int main(int argc, char **argv)
{
    const char *terms = NULL, *lexicon = NULL, *dbfile = NULL, *path = NULL, *engine = NULL;
    int runs = 3;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-f") && v)
            terms = v, i++;
        else if (!strcmp(a, "-l") && v)
            lexicon = v, i++;
        else if (!strcmp(a, "--db") && v)
            dbfile = v, i++;
        else if (!strcmp(a, "--engine") && v)
            engine = v, i++;
        else if (!strcmp(a, "--runs") && v)
            runs = atoi(v), i++;
        else if (a[0] != '-' && !path)
            path = a;
        else
            path = NULL, i = argc;
    }
    if (!path || !!terms + !!lexicon + !!dbfile != 1 || runs < 1 || runs > MAX_RUNS ||
        (engine && dbfile)) {
        fprintf(stderr, "usage: stage-times (-f TERMS | -l LEXICON.tsv | --db FILE.ysdb) "
                        "[--engine hs|ac] [--runs N] FILE\n"
                        "Prints median seconds of reading, framing and scanning FILE (folded,\n"
                        "and unfolded: the engine alone) as JSON.\n");
        return 2;
    }
    ys_error err;
    ys_db *db;
    if (dbfile)
        feed_check(ys_db_load(dbfile, &db, &err), &err);
    else {
        ys_lexicon *lex = ys_lexicon_new();
        feed_check(terms ? ys_lexicon_load_list(lex, terms, &err) : ys_lexicon_load_tsv(lex, lexicon, &err),
              &err);
        feed_check(ys_db_compile_with(lex, engine, &db, &err), &err);
        ys_lexicon_free(lex);
    }
    ys_scanner *sc;
    feed_check(ys_scanner_new(db, &sc, &err), &err);

    double t_read[MAX_RUNS], t_frame[MAX_RUNS];
    size_t len = 0;
    char *data = NULL;
    for (int r = 0; r < runs; r++) {
        free(data);
        double t0 = feed_now();
        data = feed_read(path, &len);
        t_read[r] = feed_now() - t0;
    }
    frames counted = {0}, kept = {.keep = 1};
    for (int r = 0; r < runs; r++) {
        counted.posts = 0;
        double t0 = feed_now();
        feed_frame(path, data, len, &counted);
        t_frame[r] = feed_now() - t0;
    }
    feed_frame(path, data, len, &kept);
    free(data);
    uint64_t hit_posts, unfolded_hit_posts;
    double scan_s = scan_runs(sc, &kept, runs, &hit_posts);
    ys_scanner_set_fold(sc, 0);
    double match_s = scan_runs(sc, &kept, runs, &unfolded_hit_posts);
    printf("{\"bytes\":%zu,\"posts\":%llu,\"hit_posts\":%llu,\"read_s\":%.4f,\"frame_s\":%.4f,"
           "\"scan_s\":%.4f,\"match_s\":%.4f}\n",
           len, (unsigned long long)counted.posts, (unsigned long long)hit_posts,
           feed_median(t_read, runs), feed_median(t_frame, runs), scan_s, match_s);
    feed_free(&kept);
    ys_scanner_free(sc);
    ys_db_free(db);
    return 0;
}
