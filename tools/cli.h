/* Shared by the yamiscan command's source files (tools/). */
#ifndef YS_CLI_H
#define YS_CLI_H

#include "yamiscan.h"

#define MAX_ITEMS 256

extern const char *prog;          /* "yamiscan", for messages */
extern const char usage_lexicon[]; /* the -l/-f/-e part of every --help */

/* A library message or warning in the command line's words: the library
 * settings it names in parentheses (yamiscan.h, ys_error) become the
 * options that set them, (--max-post-bytes) for (ys_frame_options.max_post)
 * and so on. The result lives until the thread's next call. */
const char *cli_message(const char *msg);

/* Checks --engine's value; a usage error if this build lacks it. */
const char *parse_engine(const char *s, const char *cmd);

/* Prints "yamiscan: " fmt (with arg), a hint to `yamiscan help CMD`, and
 * exits with status 2. */
_Noreturn void die_usage(const char *cmd, const char *fmt, const char *arg);

/* The patterns a command was given. */
typedef struct {
    const char *tsv[MAX_ITEMS], *list[MAX_ITEMS], *term[MAX_ITEMS];
    int ntsv, nlist, nterm;
    const char *db_path;
    const char *engine; /* --engine; NULL: the default (or --db's) */
    int no_cache;      /* --no-cache: always compile */
    int has_threshold; /* --threshold given, as `threshold` */
    int threshold;
} lexicon_args;

/* The options that choose and score the patterns, shared by scan, explain
 * and eval: their getopt_long table entries and a handler that returns 1
 * when `c` was one of them (reading getopt's optarg). */
enum { OPT_DB = 1000, OPT_THRESHOLD, OPT_NOCACHE, OPT_ENGINE };
#define PATTERN_OPTIONS                                                                 \
    {"lexicon", required_argument, 0, 'l'}, {"file", required_argument, 0, 'f'},        \
        {"term", required_argument, 0, 'e'}, {"db", required_argument, 0, OPT_DB},      \
        {"threshold", required_argument, 0, OPT_THRESHOLD},                             \
        {"no-cache", no_argument, 0, OPT_NOCACHE}, {"engine", required_argument, 0, OPT_ENGINE}
int pattern_option(int c, lexicon_args *la, const char *cmd);

void add_item(const char **v, int *n, const char *s, const char *cmd);

/* The database for `a`: loaded from --db (checked against -l if both are
 * given), or compiled from the lexicons given (the bundled one if none),
 * through the compiled-database cache unless a->no_cache. */
int get_db(const lexicon_args *a, ys_db **db, ys_error *err);

/* Saves `db` to `path` atomically: written to a new file beside it, synced,
 * renamed over it, the directory synced. Refuses (YS_EINVAL) when `path`
 * exists and is not a regular file (a device such as /dev/null, a FIFO, a
 * directory, a symbolic link); YS_EIO when writing fails. */
int save_db_file(const ys_db *db, const char *path, ys_error *err);

/* get_db, a scanner and a scorer (with --threshold applied), for commands
 * that score posts themselves; prints the error and returns -1 on failure. */
int open_scoring(const lexicon_args *a, ys_db **db, ys_scanner **sc, ys_scorer **scorer);

/* --threshold's value, or a usage error. */
int parse_threshold(const char *s, const char *cmd);
/* The integer s, from lo to hi; else exits 2 naming option `what` of `cmd`
 * and the range. */
long parse_long(const char *s, long lo, long hi, const char *what, const char *cmd);

/* The bundled lexicon's path into out (beside the binary in the build tree,
 * or in ../share/yamiscan/ once installed); 0, or -1 if it is not there. */
int default_lexicon(char *out, size_t cap);

int cmd_explain(int argc, char **argv);
int cmd_eval(int argc, char **argv);
extern const char usage_explain[], usage_eval[];
int cmd_tune(int argc, char **argv); /* cmd_tune.c: fit a lexicon's weights */
extern const char usage_tune[];

#endif
