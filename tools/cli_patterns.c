/* What every yamiscan command shares: the -l/-f/-e/--db options that
 * choose the patterns, and usage errors. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sys/stat.h>
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
    "  -e, --term TERM        one literal term; repeatable\n"
    "      --engine hs|ac     the matcher: hs (Hyperscan; the default when built\n"
    "                         with it) or ac (Aho-Corasick; literals only, same hits)\n";

const char *cli_message(const char *msg)
{
    static const char *const words[][2] = {
        {"(ys_frame_options.max_post)", "(--max-post-bytes)"},
        {"(ys_source_set_zstd_window)", "(--zstd-window-max)"},
        {"(ys_source_set_zstd_dict)", "(--zstd-dict FILE)"},
        {"(ys_db_compile, ys_db_save)", "with 'yamiscan compile'"}};
    static _Thread_local char out[1200];
    size_t n = 0;
    while (*msg && n + 1 < sizeof out) {
        size_t k = 0;
        while (k < sizeof words / sizeof *words && strncmp(msg, words[k][0], strlen(words[k][0])) != 0)
            k++;
        const char *put = k < sizeof words / sizeof *words ? words[k][1] : NULL;
        size_t len = put ? strlen(put) : 1;
        if (n + len + 1 > sizeof out)
            break;
        memcpy(out + n, put ? put : msg, len);
        n += len;
        msg += put ? strlen(words[k][0]) : 1;
    }
    out[n] = 0;
    return out;
}

const char *parse_engine(const char *s, const char *cmd)
{
    if (!ys_engine_version(s))
        die_usage(cmd, "no engine '%s' in this yamiscan (hs: Hyperscan, ac: Aho-Corasick; "
                       "'yamiscan version' lists the ones built)", s);
    return s;
}


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
int default_lexicon(char *out, size_t cap)
{
    if (!out || cap == 0)
        return -1;
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

/* How build_lexicon builds: for its hash only (models unread:
 * ys_lexicon_skip_models), and without the warnings a first build gave. */
enum { LEX_HASH_ONLY = 1, LEX_QUIET = 2 };

static int build_lexicon(const lexicon_args *a, ys_lexicon **out, int how, ys_error *err)
{
    *out = NULL;
    ys_lexicon *lex = ys_lexicon_new();
    if (!lex) {
        snprintf(err->message, sizeof err->message, "out of memory");
        return err->code = YS_ENOMEM;
    }
    if (how & LEX_HASH_ONLY)
        ys_lexicon_skip_models(lex);
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
        /* The default works in every build: an engine without regexes
         * (the portable build's ac) scans the bundled lexicon's literals,
         * and says what it leaves out. */
        const char *engine = a->engine ? a->engine : ys_engine_default();
        size_t n = rc == YS_OK && !ys_engine_has_regexes(engine) ? ys_lexicon_drop_regexes(lex) : 0;
        if (n && !(how & LEX_QUIET))
            fprintf(stderr, "%s: warning: the %s engine takes literals only: the bundled lexicon's "
                    "%zu regex patterns (amounts of pay such as 日給3万) are left out, and ads "
                    "that only they find score lower%s\n", prog, engine, n,
                    ys_engine_version("hs") ? " (--engine hs has them)" : " (a build with Hyperscan has them)");
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
/* The compiled-database cache: $YAMISCAN_CACHE_DIR (empty: no cache), else
 * $XDG_CACHE_HOME/yamiscan, else ~/.cache/yamiscan. A file is named by the
 * key of the pattern files' bytes, this yamiscan's version, its compile
 * rules (ys_rules_id: a change to folding or the spelling generators makes
 * other files), the engine and its version; Hyperscan itself refuses a
 * database built for another CPU.
 * Returns 0 and the file's path, or -1 when there is no cache. */
static int cache_path(uint64_t hash, const char *engine, char *out, size_t cap)
{
    const char *dir = getenv("YAMISCAN_CACHE_DIR"), *base, *sub;
    if (dir) {
        if (!*dir)
            return -1;
        base = dir, sub = "";
    } else if ((base = getenv("XDG_CACHE_HOME")) && *base) {
        sub = "/yamiscan";
    } else if ((base = getenv("HOME")) && *base) {
        sub = "/.cache/yamiscan";
    } else {
        return -1;
    }
    char ver[64];
    snprintf(ver, sizeof ver, "%s", ys_engine_version(engine));
    for (char *c = ver; *c; c++) /* "5.4.0 2021-01-26" → "5.4.0" */
        if (*c == ' ') {
            *c = 0;
            break;
        }
    int n = snprintf(out, cap, "%s%s/%016llx-ys%s-r%s-%s%s.ysdb", base, sub,
                     (unsigned long long)hash, YS_VERSION_STRING, ys_rules_id(), engine, ver);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    /* $YAMISCAN_CACHE_DIR is made as asked (mkdir -p); under $HOME (or
     * $XDG_CACHE_HOME) directories are made only if it exists: a
     * nonexistent $HOME means no cache, not a tree made from /. */
    size_t from = dir ? 0 : strlen(base);
    char keep = out[from];
    out[from] = 0;
    struct stat st;
    int ok = from == 0 || (stat(out, &st) == 0 && S_ISDIR(st.st_mode));
    out[from] = keep;
    if (!ok)
        return -1;
    for (char *p = out + from + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(out, 0755); /* failures show up when saving */
            *p = '/';
        }
    return 0;
}

static int append_bytes(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*cap - *len < n) {
        char *b = realloc(*buf, *cap = 2 * *cap + n);
        if (!b)
            return -1;
        *buf = b;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    return 0;
}

/* Appends the bytes of `path` (all of it) to *buf. */
static int append_file(const char *path, char **buf, size_t *len, size_t *cap)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    for (;;) {
        if (*cap - *len < 65536) {
            char *b = realloc(*buf, *cap = 2 * *cap + 65536);
            if (!b) {
                fclose(f);
                return -1;
            }
            *buf = b;
        }
        size_t n = fread(*buf + *len, 1, *cap - *len, f);
        *len += n;
        if (n == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    return bad ? -1 : 0;
}

/* Appends a TSV lexicon's bytes and, after each of its @model lines, the
 * bytes of that model file (resolved as the lexicon's parser resolves it:
 * beside the lexicon unless absolute), so that a changed model is another
 * key. */
static int append_lexicon(const char *path, char **buf, size_t *len, size_t *cap)
{
    size_t start = *len;
    if (append_file(path, buf, len, cap) != 0)
        return -1;
    size_t end = *len;
    if (end - start >= 3 && memcmp(*buf + start, "\xEF\xBB\xBF", 3) == 0)
        start += 3;
    for (size_t i = start; i < end;) {
        const char *nl = memchr(*buf + i, '\n', end - i);
        size_t e = nl ? (size_t)(nl - *buf) : end, next = nl ? e + 1 : end;
        if (e > i && (*buf)[e - 1] == '\r')
            e--;
        if (e - i > 7 && memcmp(*buf + i, "@model\t", 7) == 0) {
            char model[PATH_MAX];
            const char *slash = (*buf)[i + 7] == '/' ? NULL : strrchr(path, '/');
            int dl = slash ? (int)(slash - path) + 1 : 0;
            if (snprintf(model, sizeof model, "%.*s%.*s", dl, path, (int)(e - i - 7),
                         *buf + i + 7) >= (int)sizeof model ||
                append_bytes(buf, len, cap, "@model", 7) != 0 ||
                append_file(model, buf, len, cap) != 0)
                return -1;
        }
        i = next;
    }
    return 0;
}

/* The cache key of the patterns `a` gives, from their raw bytes, so that a
 * cache hit needs no parsing: each -l file's content (the bundled lexicon's
 * when none), each -f file's name and content (its ids are FILE:LINE), each
 * -e term, each marked with its kind. Returns -1 if a file cannot be read
 * (then building the lexicon reports it). */
static int input_key(const lexicon_args *a, uint64_t *key)
{
    size_t len = 0, cap = 0;
    char *buf = NULL, path[PATH_MAX + 64];
    int rc = 0;
#define MARK(s) (rc = rc ? rc : append_bytes(&buf, &len, &cap, s, strlen(s) + 1))
    if (a->ntsv + a->nlist + a->nterm == 0)
        rc = default_lexicon(path, sizeof path) || append_lexicon(path, &buf, &len, &cap);
    for (int i = 0; i < a->ntsv && !rc; i++) {
        MARK("-l");
        rc = rc ? rc : append_lexicon(a->tsv[i], &buf, &len, &cap);
    }
    for (int i = 0; i < a->nlist && !rc; i++) {
        MARK("-f");
        MARK(a->list[i]);
        rc = append_file(a->list[i], &buf, &len, &cap);
    }
    for (int i = 0; i < a->nterm && !rc; i++) {
        MARK("-e");
        MARK(a->term[i]);
    }
#undef MARK
    if (!rc)
        *key = ys_checksum(buf, len);
    free(buf);
    return rc ? -1 : 0;
}

int save_db_file(const ys_db *db, const char *path, ys_error *err)
{
    struct stat st;
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        snprintf(err->message, sizeof err->message,
                 "%.900s: exists and is not a regular file (a %s): not replaced", path,
                 S_ISDIR(st.st_mode) ? "directory" : S_ISLNK(st.st_mode) ? "symbolic link"
                 : S_ISFIFO(st.st_mode) ? "FIFO" : S_ISSOCK(st.st_mode) ? "socket"
                 : "device");
        return err->code = YS_EINVAL;
    }
    char tmp[PATH_MAX + 16];
    if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp) {
        snprintf(err->message, sizeof err->message, "%.900s: path too long", path);
        return err->code = YS_EINVAL;
    }
    int fd = mkstemp(tmp); /* a name of our own beside PATH, made with O_EXCL */
    if (fd < 0) {
        snprintf(err->message, sizeof err->message, "%.900s: %s", tmp, strerror(errno));
        return err->code = YS_EIO;
    }
    close(fd);
    int rc = ys_db_save(db, tmp, err); /* writes tmp.tmp and renames it to tmp */
    if (rc == YS_OK) {
        fd = open(tmp, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) != 0) {
            snprintf(err->message, sizeof err->message, "%.900s: %s", tmp, strerror(errno));
            rc = err->code = YS_EIO;
        }
        if (fd >= 0)
            close(fd);
    }
    /* Checked again just before: only a regular file (or nothing) is replaced. */
    if (rc == YS_OK && lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        snprintf(err->message, sizeof err->message,
                 "%.900s: became something other than a regular file: not replaced", path);
        rc = err->code = YS_EINVAL;
    }
    if (rc == YS_OK && rename(tmp, path) != 0) {
        snprintf(err->message, sizeof err->message, "%.900s: %s", path, strerror(errno));
        rc = err->code = YS_EIO;
    }
    if (rc != YS_OK) {
        unlink(tmp);
        return rc;
    }
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = 0;
    fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) { /* the rename itself on disk */
        (void)fsync(fd);
        close(fd);
    }
    return YS_OK;
}

/* A cache file: opened without blocking (a FIFO there must not hang the
 * run), used only if it is a regular file that loads. */
static int load_cached(const char *path, ys_db **db)
{
    *db = NULL;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
        close(fd);
        return -1;
    }
    size_t n = (size_t)st.st_size, got = 0;
    char *buf = malloc(n);
    while (buf && got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    ys_error ignored;
    int rc = buf && got == n ? ys_db_load_mem(path, buf, n, db, &ignored) : YS_EIO;
    free(buf);
    return rc == YS_OK ? 0 : -1;
}

int get_db(const lexicon_args *a, ys_db **db, ys_error *err)
{
    if (!a->db_path) {
        char path[PATH_MAX];
        uint64_t key;
        const char *engine = a->engine ? a->engine : ys_engine_default();
        int cached = !a->no_cache && input_key(a, &key) == 0 &&
                     cache_path(key, engine, path, sizeof path) == 0;
        /* A cache file is used only if it records this lexicon's hash and
         * engine: one under the wrong name is compiled over. The hash needs
         * the lexicon parsed, but not its model (a model counts by its
         * file's bytes), which costs little next to compiling it. */
        if (cached) {
            ys_lexicon *probe;
            int rc = build_lexicon(a, &probe, LEX_HASH_ONLY, err);
            if (rc != YS_OK)
                return rc;
            uint64_t hash = ys_lexicon_hash(probe);
            ys_lexicon_free(probe);
            if (load_cached(path, db) == 0) {
                ys_db_stats st;
                ys_db_get_stats(*db, &st);
                if (st.lexicon_hash == hash && !strcmp(st.engine, engine))
                    return YS_OK;
                ys_db_free(*db);
                *db = NULL;
            }
        }
        ys_lexicon *lex; /* NULL when building it failed */
        int rc = build_lexicon(a, &lex, cached ? LEX_QUIET : 0, err);
        if (rc != YS_OK)
            return rc;
        rc = ys_db_compile_with(lex, engine, db, err);
        if (rc == YS_ECOMPILE && !ys_engine_has_regexes(engine) && strstr(err->message, "literals only")) {
            size_t k = strlen(err->message);
            snprintf(err->message + k, sizeof err->message - k, "; %s",
                     ys_engine_version("hs") ? "use --engine hs, or remove them"
                                             : "this build has no Hyperscan: remove them, or "
                                               "build with Hyperscan");
        }
        ys_error ignored;
        if (rc == YS_OK && cached)
            (void)save_db_file(*db, path, &ignored); /* a cache that cannot be written is no cache */
        ys_lexicon_free(lex);
        return rc;
    }
    int rc = ys_db_load(a->db_path, db, err);
    if (rc != YS_OK)
        return rc;
    ys_db_stats st;
    ys_db_get_stats(*db, &st);
    if (a->engine && strcmp(a->engine, st.engine) != 0) {
        snprintf(err->message, sizeof err->message,
                 "%s: compiled for the %s engine, not %s; recompile it with "
                 "'yamiscan compile --engine %s'", a->db_path, st.engine, a->engine, a->engine);
        ys_db_free(*db);
        *db = NULL;
        return err->code = YS_EDB;
    }
    if (a->ntsv + a->nlist + a->nterm == 0)
        return rc;
    ys_lexicon *lex;
    rc = build_lexicon(a, &lex, LEX_HASH_ONLY, err); /* for its hash */
    if (rc != YS_OK) {
        ys_db_free(*db);
        return rc;
    }
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

long parse_long(const char *s, long lo, long hi, const char *what, const char *cmd)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end || end == s || errno || v < lo || v > hi) {
        char msg[160];
        if (hi == LONG_MAX)
            snprintf(msg, sizeof msg, "bad %s '%%s' (an integer, at least %ld)", what, lo);
        else
            snprintf(msg, sizeof msg, "bad %s '%%s' (an integer from %ld to %ld)", what, lo, hi);
        die_usage(cmd, msg, s);
    }
    return v;
}

int parse_threshold(const char *s, const char *cmd)
{
    return (int)parse_long(s, -100000, 100000, "--threshold", cmd);
}

int pattern_option(int c, lexicon_args *la, const char *cmd)
{
    switch (c) {
    case 'l': add_item(la->tsv, &la->ntsv, optarg, cmd); return 1;
    case 'f': add_item(la->list, &la->nlist, optarg, cmd); return 1;
    case 'e': add_item(la->term, &la->nterm, optarg, cmd); return 1;
    case OPT_DB: la->db_path = optarg; return 1;
    case OPT_NOCACHE: la->no_cache = 1; return 1;
    case OPT_ENGINE: la->engine = parse_engine(optarg, cmd); return 1;
    case OPT_THRESHOLD:
        la->threshold = parse_threshold(optarg, cmd);
        la->has_threshold = 1;
        return 1;
    }
    return 0;
}

int open_scoring(const lexicon_args *a, ys_db **db, ys_scanner **sc, ys_scorer **scorer)
{
    ys_error err = {0};
    *db = NULL, *sc = NULL, *scorer = NULL;
    if (get_db(a, db, &err) != YS_OK || ys_scanner_new(*db, sc, &err) != YS_OK ||
        ys_scorer_new(*db, scorer, &err) != YS_OK) {
        fprintf(stderr, "%s: %s\n", prog, cli_message(ys_error_message(&err)));
        ys_scanner_free(*sc);
        ys_db_free(*db);
        return -1;
    }
    if (a->has_threshold)
        ys_scorer_set_threshold(*scorer, a->threshold);
    return 0;
}
