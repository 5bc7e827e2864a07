/* What every yamiscan command shares: the -l/-f/-e/--db options that
 * choose the patterns, and usage errors. */
#include "cli.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_LEXICON "ja-recruitment.tsv"

const char *prog = "yamiscan";

const char usage_lexicon[] =
    "Patterns (several may be combined; default: the bundled lexicon\n"
    "ja-recruitment.tsv):\n"
    "  -l, --lexicon FILE     a TSV lexicon (format: patterns/README.md); repeatable\n"
    "  -f, --file FILE        a plain list of literal terms, one per line; repeatable\n"
    "  -e, --term TERM        one literal term; repeatable\n";


_Noreturn void die_usage(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", prog);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'yamiscan help %s'.\n", cmd);
    exit(2);
}

/* ---- patterns: -l -f -e --db ---- */

void add_item(const char **v, int *n, const char *s, const char *cmd)
{
    if (*n == MAX_ITEMS)
        die_usage(cmd, "too many pattern sources (at most 256 of each kind)%s", "");
    v[(*n)++] = s;
}

/* The bundled lexicon: beside the binary in the build tree, or in
 * ../share/yamiscan/ once installed. */
static int default_lexicon(char *out, size_t cap)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -1;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return -1;
    *slash = 0;
    const char *rel[] = {"/" DEFAULT_LEXICON, "/../share/yamiscan/" DEFAULT_LEXICON};
    for (size_t i = 0; i < 2; i++) {
        snprintf(out, cap, "%s%s", exe, rel[i]);
        if (access(out, R_OK) == 0)
            return 0;
    }
    return -1;
}

static int build_lexicon(const lexicon_args *a, ys_lexicon **out, ys_error *err)
{
    *out = NULL;
    ys_lexicon *lex = ys_lexicon_new();
    if (!lex) {
        snprintf(err->message, sizeof err->message, "out of memory");
        return err->code = YS_ENOMEM;
    }
    int rc = YS_OK;
    char path[PATH_MAX + 64];
    if (a->ntsv + a->nlist + a->nterm == 0) {
        if (default_lexicon(path, sizeof path) != 0) {
            ys_lexicon_free(lex);
            snprintf(err->message, sizeof err->message,
                     "cannot find the bundled lexicon %s beside the program; give -l FILE",
                     DEFAULT_LEXICON);
            return err->code = YS_EIO;
        }
        rc = ys_lexicon_load_tsv(lex, path, err);
    }
    for (int i = 0; rc == YS_OK && i < a->ntsv; i++)
        rc = ys_lexicon_load_tsv(lex, a->tsv[i], err);
    for (int i = 0; rc == YS_OK && i < a->nlist; i++)
        rc = ys_lexicon_load_list(lex, a->list[i], err);
    for (int i = 0; rc == YS_OK && i < a->nterm; i++)
        rc = ys_lexicon_add_term(lex, a->term[i], err);
    if (rc == YS_OK && ys_lexicon_size(lex) == 0) {
        /* Name what was given, so that an empty file is easy to find. */
        const char *what = a->ntsv ? a->tsv[0] : a->nlist ? a->list[0] : path;
        snprintf(err->message, sizeof err->message,
                 "%.900s%s: no patterns: the lexicon is empty (only comments or blank lines)",
                 what, a->ntsv + a->nlist > 1 ? " and the other pattern files" : "");
        rc = err->code = YS_EINVAL;
    }
    if (rc != YS_OK) {
        ys_lexicon_free(lex);
        return rc;
    }
    *out = lex;
    return YS_OK;
}

/* Loads --db (checked against any lexicons given) or compiles the lexicons. */
int get_db(const lexicon_args *a, ys_db **db, ys_error *err)
{
    if (!a->db_path) {
        ys_lexicon *lex; /* NULL when building it failed */
        int rc = build_lexicon(a, &lex, err);
        if (rc == YS_OK)
            rc = ys_db_compile(lex, db, err);
        ys_lexicon_free(lex);
        return rc;
    }
    int rc = ys_db_load(a->db_path, db, err);
    if (rc != YS_OK || a->ntsv + a->nlist + a->nterm == 0)
        return rc;
    ys_lexicon *lex;
    rc = build_lexicon(a, &lex, err);
    if (rc != YS_OK) {
        ys_db_free(*db);
        return rc;
    }
    ys_db_stats st;
    ys_db_get_stats(*db, &st);
    if (st.lexicon_hash != ys_lexicon_hash(lex)) {
        snprintf(err->message, sizeof err->message,
                 "%s: stale database: it was not compiled from the given lexicon(s); "
                 "recompile it with 'yamiscan compile'", a->db_path);
        err->code = rc = YS_EDB;
        ys_db_free(*db);
        *db = NULL;
    }
    ys_lexicon_free(lex);
    return rc;
}

int parse_threshold(const char *s, const char *cmd)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || end == s || v < -100000 || v > 100000)
        die_usage(cmd, "bad --threshold '%s' (an integer)", s);
    return (int)v;
}
