/* yamiscan eval: precision, recall and F1 of the current patterns and
 * threshold on a labeled JSONL file, with the posts it got wrong, the
 * recall per kind of ad and per spelling trick, and the false alarms per
 * kind of harmless post. Each line: {"id":…,"text":"…","label":1|0,
 * "kind":"…","trick":"…"} (kind and trick optional). */
#include "cli.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define MAX_KINDS 64

const char usage_eval[] =
    "Usage: yamiscan eval [OPTIONS] FILE.jsonl\n"
    "Score every post of a labeled JSONL file (\"text\", \"label\" 1 or 0, optional\n"
    "\"kind\" and \"trick\") and print precision, recall and F1, recall for each kind\n"
    "and each spelling trick of the ads, false alarms for each kind of harmless\n"
    "post, and the false positives and false negatives.\n"
    "\n"
    "%s"
    "      --db FILE          a compiled database from 'yamiscan compile'\n"
    "      --threshold N      the score that flags a post (default: the lexicon's)\n"
    "      --no-cache         compile the patterns even if the cache holds them\n"
    "      --show N           list at most N false positives and N false negatives\n"
    "                         (default 20)\n"
    "  -h, --help             show this help\n"
    "\n"
    "Exit status: 0 when evaluated, 2 on error (a malformed line is an error:\n"
    "FILE:LINE: what is wrong).\n";

typedef struct {
    char name[64];
    unsigned pos, found;
} kind_count;

static kind_count *kind_of(kind_count *k, size_t *n, const char *name, size_t len)
{
    len = len < sizeof k->name - 1 ? len : sizeof k->name - 1;
    for (size_t i = 0; i < *n; i++)
        if (strlen(k[i].name) == len && memcmp(k[i].name, name, len) == 0)
            return &k[i];
    if (*n == MAX_KINDS)
        return &k[MAX_KINDS - 1]; /* the rest share the last slot */
    kind_count *c = &k[(*n)++];
    memcpy(c->name, name, len);
    c->name[len] = 0;
    return c;
}

static void show(const char *what, const char *id, size_t idl, int score, const char *text,
                 size_t len)
{
    printf("  %s id %.*s score %d: ", what, (int)idl, id, score);
    for (size_t i = 0; i < len; i++)
        putchar(text[i] == '\n' ? ' ' : text[i]);
    putchar('\n');
}

static void print_counts(const char *title, const kind_count *k, size_t n)
{
    printf("%s\n", title);
    for (size_t i = 0; i < n; i++)
        printf("  %-28s %4u/%-4u %.3f\n", k[i].name, k[i].found, k[i].pos,
               k[i].pos ? (double)k[i].found / k[i].pos : 0);
}

int cmd_eval(int argc, char **argv)
{
    enum { O_SHOW = 256 };
    static const struct option opts[] = {PATTERN_OPTIONS, {"show", required_argument, 0, O_SHOW},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    lexicon_args la = {0};
    int c;
    long max_show = 20;
    while ((c = getopt_long(argc, argv, "l:f:e:h", opts, NULL)) != -1) {
        if (pattern_option(c, &la, "eval"))
            continue;
        if (c == O_SHOW)
            max_show = parse_long(optarg, 0, LONG_MAX, "--show", "eval");
        else if (c == 'h') {
            printf(usage_eval, usage_lexicon);
            return 0;
        } else
            die_usage("eval", "%s", "bad option");
    }
    if (optind != argc - 1)
        die_usage("eval", "%s", "expected one labeled JSONL file");
    const char *path = argv[optind];
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return 2;
    }
    ys_error err = {0};
    ys_db *db;
    ys_scanner *sc;
    ys_scorer *scorer;
    if (open_scoring(&la, &db, &sc, &scorer) != 0)
        return 2;

    static const char *const text_field[] = {"text"}, *const kind_field[] = {"kind"},
                             *const trick_field[] = {"trick"};
    kind_count kinds[MAX_KINDS], tricks[MAX_KINDS], harmless[MAX_KINDS];
    size_t nkinds = 0, ntricks = 0, nharmless = 0;
    char trick[256];
    unsigned tp = 0, fp = 0, fn = 0, tn = 0, lineno = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int rc = 0;
    /* Two passes over the posts would need them all in memory: instead each
     * post is scanned on its own, which is plenty for a labeled set. */
    ys_batch *b = ys_batch_new(1u << 20);
    char *text = malloc(1u << 20), kind[256];
    long shown_fp = 0, shown_fn = 0;
    printf("errors (at most %ld of each):\n", max_show);
    while (rc == 0 && (got = getline(&line, &cap, f)) > 0) {
        lineno++;
        size_t len = (size_t)got;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue;
        size_t tl, idl, ll, kl = 0;
        const char *id, *label;
        if (ys_json_extract(line, len, text_field, 1, "id", text, 1u << 20, &tl, &id, &idl,
                            &err) != YS_OK ||
            ys_json_extract(line, len, text_field, 1, "label", text, 1u << 20, &tl, &label, &ll,
                            &err) != YS_OK) {
            fprintf(stderr, "%s:%u: %s\n", path, lineno,
                    err.message[0] ? err.message : "no \"text\" string");
            rc = 2;
            break;
        }
        if (!label || ll != 1 || (label[0] != '0' && label[0] != '1')) {
            fprintf(stderr, "%s:%u: \"label\" must be 1 or 0\n", path, lineno);
            rc = 2;
            break;
        }
        const char *kid;
        size_t kidl;
        if (ys_json_extract(line, len, kind_field, 1, "id", kind, sizeof kind, &kl, &kid, &kidl,
                            &err) != YS_OK)
            kl = 0;
        size_t trl = 0;
        if (ys_json_extract(line, len, trick_field, 1, "id", trick, sizeof trick, &trl, &kid,
                            &kidl, &err) != YS_OK)
            trl = 0;
        int positive = label[0] == '1';
        ys_batch_clear(b);
        ys_batch_add(b, text, tl, id, idl, lineno);
        const ys_hit *hits;
        size_t n;
        if (ys_scan_batch(sc, b, &hits, &n, &err) != YS_OK) {
            fprintf(stderr, "%s: %s\n", prog, cli_message(ys_error_message(&err)));
            rc = 2;
            break;
        }
        ys_verdict v;
        if (ys_score_text(scorer, text, tl, hits, n, &v) != YS_OK) {
            fprintf(stderr, "%s: out of memory while scoring\n", prog);
            rc = 2;
            break;
        }
        if (positive) {
            kind_count *k = kind_of(kinds, &nkinds, kl ? kind : "(none)", kl ? kl : 6);
            k->pos++;
            k->found += (unsigned)v.flagged;
            kind_count *t = kind_of(tricks, &ntricks, trl ? trick : "(none)", trl ? trl : 6);
            t->pos++;
            t->found += (unsigned)v.flagged;
        } else {
            kind_count *k = kind_of(harmless, &nharmless, kl ? kind : "(none)", kl ? kl : 6);
            k->pos++;
            k->found += (unsigned)v.flagged;
        }
        if (positive && v.flagged)
            tp++;
        else if (positive) {
            fn++;
            if (shown_fn++ < max_show)
                show("false negative", id, idl, v.score, text, tl);
        } else if (v.flagged) {
            fp++;
            if (shown_fp++ < max_show)
                show("false positive", id, idl, v.score, text, tl);
        } else
            tn++;
    }
    if (rc == 0) {
        double p = tp + fp ? (double)tp / (tp + fp) : 0, r = tp + fn ? (double)tp / (tp + fn) : 0;
        print_counts("recall by kind of ad:", kinds, nkinds);
        print_counts("recall by spelling trick:", tricks, ntricks);
        print_counts("false alarms by kind of harmless post (flagged/posts):", harmless,
                     nharmless);
        printf("posts %u (%u positive, %u negative), threshold %d\n", tp + fp + fn + tn,
               tp + fn, fp + tn, ys_scorer_threshold(scorer));
        printf("true positives %u, false positives %u, false negatives %u, true negatives %u\n",
               tp, fp, fn, tn);
        printf("precision %.3f  recall %.3f  F1 %.3f\n", p, r, p + r > 0 ? 2 * p * r / (p + r) : 0);
    }
    free(line);
    free(text);
    fclose(f);
    ys_batch_free(b);
    ys_scorer_free(scorer);
    ys_scanner_free(sc);
    ys_db_free(db);
    return rc;
}
