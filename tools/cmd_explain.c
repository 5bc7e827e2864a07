/* yamiscan explain: one post, folded, matched and scored, with the
 * arithmetic shown, so that a maintainer can see why a post is (not)
 * flagged and which weight to change. */
#include "cli.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_POST (1u << 20)

const char usage_explain[] =
    "Usage: yamiscan explain [OPTIONS] [TEXT...]\n"
    "Show how one post is folded, matched and scored: TEXT (the words joined by\n"
    "spaces), or else standard input as one post.\n"
    "\n"
    "%s"
    "      --db FILE          a compiled database from 'yamiscan compile'\n"
    "      --threshold N      the score that flags a post (default: the lexicon's)\n"
    "      --no-cache         compile the patterns even if the cache holds them\n"
    "  -h, --help             show this help\n"
    "\n"
    "Exit status: 0 if the post would be flagged, 1 if not, 2 on error.\n";

/* The post: the arguments joined, or all of stdin less one final newline. */
static char *read_post(int argc, char **argv, size_t *len)
{
    char *buf = malloc(MAX_POST + 1);
    size_t n = 0;
    if (!buf)
        return NULL;
    if (argc > 0) {
        for (int i = 0; i < argc; i++) {
            size_t k = strlen(argv[i]);
            if (n + k + 1 > MAX_POST)
                break;
            if (i)
                buf[n++] = ' ';
            memcpy(buf + n, argv[i], k);
            n += k;
        }
    } else {
        n = fread(buf, 1, MAX_POST, stdin);
        if (n && buf[n - 1] == '\n')
            n--;
        if (n && buf[n - 1] == '\r')
            n--;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

static void print_text(const char *label, const char *s, size_t n)
{
    printf("%-9s ", label);
    for (size_t i = 0; i < n; i++)
        putchar(s[i] == '\n' ? ' ' : s[i]);
    putchar('\n');
}

int cmd_explain(int argc, char **argv)
{
    static const struct option opts[] = {PATTERN_OPTIONS, {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    lexicon_args la = {0};
    int c;
    while ((c = getopt_long(argc, argv, "l:f:e:h", opts, NULL)) != -1) {
        if (pattern_option(c, &la, "explain"))
            continue;
        if (c == 'h') {
            printf(usage_explain, usage_lexicon);
            return 0;
        }
        die_usage("explain", "%s", "bad option");
    }
    ys_error err = {0};
    ys_db *db = NULL;
    ys_scanner *sc = NULL;
    ys_scorer *scorer = NULL;
    ys_batch *b = ys_batch_new(MAX_POST);
    size_t len;
    char *text = read_post(argc - optind, argv + optind, &len);
    if (!b || !text) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return 2;
    }
    if (open_scoring(&la, &db, &sc, &scorer) != 0)
        return 2;
    ys_batch_add(b, text, len, NULL, 0, 1);
    const ys_hit *hits;
    size_t n;
    if (ys_scan_batch(sc, b, &hits, &n, &err) != YS_OK) {
        fprintf(stderr, "%s: %s\n", prog, cli_message(ys_error_message(&err)));
        return 2;
    }
    ys_verdict v;
    if (ys_score_text(scorer, text, len, hits, n, &v) != YS_OK) {
        fprintf(stderr, "%s: out of memory while scoring\n", prog);
        return 2;
    }

    print_text("post:", text, len);
    char *folded = malloc(3 * len + 1);
    uint32_t *map = malloc(6 * len * sizeof *map + 1);
    size_t fl = folded && map ? ys_fold(text, len, folded, map, map + 3 * len) : 0;
    if (fl == YS_FOLD_UNCHANGED)
        printf("folded:   (nothing to fold)\n");
    else
        print_text("folded:", folded, fl);
    printf("hits:%s\n", n ? "" : "     none");
    for (size_t i = 0; i < n; i++) {
        const ys_pattern *p = ys_db_pattern(db, hits[i].pattern);
        printf("  %-10s %+5d  %-24s \"%.*s\" at bytes %u-%u%s\n", p->category, p->weight,
               p->id, (int)(hits[i].end - hits[i].start), text + hits[i].start, hits[i].start,
               hits[i].end,
               ys_scorer_hit_ignored(scorer, i) == YS_IGNORED_OTHER_SIGN
                   ? "  (ignored: inside a hit of the other sign)"
               : ys_scorer_hit_ignored(scorer, i) == YS_IGNORED_LONGER
                   ? "  (ignored: inside a longer hit of another category)"
                   : "");
    }
    printf("score:\n");
    for (unsigned cat = 0; cat < ys_db_category_count(db); cat++) {
        int s;
        if (!ys_scorer_category(scorer, cat, &s))
            continue;
        long p = ys_scorer_category_pattern(scorer, cat);
        const char *by = p >= 0 ? ys_db_pattern(db, (unsigned)p)->id : "";
        int paired = ys_db_category_paired(db, cat);
        printf("  %-22s %+5d  strongest term %s%s\n", ys_db_category_name(db, cat),
               paired ? 0 : s, by,
               cat == 0 ? " (a -f/-e term: flags on its own)"
               : paired ? " (paired: counts only through its combos)"
                        : "");
    }
    for (size_t k = 0; k < ys_db_combo_count(db); k++) {
        unsigned a, bcat;
        int bonus, sa, sb;
        ys_db_combo(db, k, &a, &bcat, &bonus);
        if (ys_scorer_category(scorer, a, &sa) && ys_scorer_category(scorer, bcat, &sb) &&
            sa > 0 && sb > 0) {
            char both[128];
            snprintf(both, sizeof both, "%s+%s", ys_db_category_name(db, a),
                     ys_db_category_name(db, bcat));
            if (ys_scorer_combo(scorer, k))
                printf("  %-22s %+5d  @combo\n", both, bonus);
            else
                printf("  %-22s %+5d  @combo not counted: no hits within %d characters\n",
                       both, 0, ys_db_combo_window(db, k));
        }
    }
    for (unsigned r = 0; r < YS_RULES; r++)
        if (ys_scorer_rule(scorer, r))
            printf("  %-22s %+5d  @rule\n", ys_rule_name(r), ys_db_rule_weight(db, r));
    double logit;
    int points;
    if (ys_scorer_model(scorer, &logit, &points))
        printf("  %-22s %+5d  @model: log-odds %+.2f (probability %.3f) over %zu grams\n",
               "n-gram model", points, logit, 1 / (1 + exp(-logit)), ys_db_model_grams(db));
    else if (ys_db_model_grams(db))
        printf("  %-22s %+5d  @model: reads only posts with a positive hit\n", "n-gram model", 0);
    printf("  %-22s %5d  threshold %d: %s\n", "total", v.score, ys_scorer_threshold(scorer),
           v.flagged ? "FLAGGED" : "not flagged");
    free(folded);
    free(map);
    free(text);
    ys_batch_free(b);
    ys_scorer_free(scorer);
    ys_scanner_free(sc);
    ys_db_free(db);
    return v.flagged ? 0 : 1;
}
