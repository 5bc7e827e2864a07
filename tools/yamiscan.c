/* yamiscan — the command-line front end. It parses options and wires the
 * library's pipeline; all matching logic lives in engine/. Exit status as
 * grep: 0 a post was flagged, 1 none was, 2 an error occurred. */
#include "cli.h"
#include "kafka.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>



static const char usage_main[] =
    "Usage: yamiscan COMMAND [OPTIONS] [ARGS]\n"
    "Find criminal-recruitment posts (闇バイト ads) in streams of posts.\n"
    "\n"
    "Commands:\n"
    "  scan      scan files or stdin (plain or compressed; JSONL or lines) and report\n"
    "            flagged posts\n"
    "  compile   compile lexicon files into a database file for scan --db\n"
    "  explain   show how one post is folded, matched and scored\n"
    "  eval      precision and recall on a labeled JSONL file\n"
    "  tune      fit a lexicon's weights and threshold to a labeled JSONL file\n"
    "  help CMD  show the options of CMD\n"
    "\n"
    "  yamiscan --version   print versions\n"
    "\n"
    "Example: yamiscan scan corpora/sample.jsonl.zst > hits.jsonl\n";

static const char usage_scan[] =
    "Usage: yamiscan scan [OPTIONS] [FILE...]\n"
    "Scan each FILE ('-' or none: standard input) and write the flagged posts.\n"
    "zstd, gzip, xz, bzip2 and lz4 input is recognised by its magic number and\n"
    "decompressed (yamiscan --version lists what this build reads).\n"
    "\n"
    "%s"
    "      --db FILE          a compiled database from 'yamiscan compile'; with -l,\n"
    "                         also checks that it was compiled from those lexicons\n"
    "      --threshold N      flag posts scoring N or more (default: the lexicon's\n"
    "                         @threshold; terms from -f/-e flag on any hit)\n"
    "      --no-cache         compile the patterns even if the compiled-database\n"
    "                         cache holds them ($YAMISCAN_CACHE_DIR, else\n"
    "                         ~/.cache/yamiscan; YAMISCAN_CACHE_DIR= turns it off)\n"
    "\n"
    "Input:\n"
    "      --input-format F   auto (default: JSONL if the first non-blank line starts\n"
    "                         with '{'), lines (one post per line), jsonl\n"
    "      --field PATH       JSONL field holding the text, dotted for nested fields\n"
    "                         (default: text), key[] for each element of an array\n"
    "                         (facets[].features[].uri); repeatable, texts joined\n"
    "                         by newlines\n"
    "      --id-field PATH    JSONL field holding the post id (default: id);\n"
    "                         repeatable (at most 4): their values joined with /\n"
    "                         (Jetstream: --id-field did --id-field commit.rkey)\n"
    "      --where PATH=VALUE only JSONL objects whose PATH holds VALUE are posts\n"
    "                         (a string, or a number, true, false or null as\n"
    "                         written); repeatable, all must hold; other lines are\n"
    "                         counted as skipped, not as problems (Bluesky\n"
    "                         Jetstream: --where commit.collection=app.bsky.feed.post\n"
    "                         --field commit.record.text)\n"
    "      --no-fold          scan posts as they are, without undoing spelling\n"
    "                         tricks (grep's view of the text; faster)\n"
    "      --html             the text fields are HTML (Mastodon's and ActivityPub's\n"
    "                         \"content\"): tags are removed, <p> and <br> read as line\n"
    "                         breaks, &#21463; and &amp; decoded; hit offsets stay\n"
    "                         those of the text as it came\n"
    "      --strict           a malformed JSON line is an error (default: counted,\n"
    "                         reported once, skipped)\n"
    "      --max-post-bytes N longest post (default 1M; K and M suffixes); longer\n"
    "                         lines are truncated (lines) or skipped (jsonl), counted\n"
    "      --zstd-window-max SIZE  the largest window a zstd frame may ask for\n"
    "                         (default 2G, what zstd --long=31 writes; a power of\n"
    "                         two from 1K, K, M and G suffixes): decoding holds the\n"
    "                         window in memory; --stats shows the largest one used\n"
    "      --zstd-dict FILE   decode zstd frames with this dictionary (zstd -D FILE)\n"
    "\n"
    "Output:\n"
    "      --format F         jsonl (default: one object per flagged post with file,\n"
    "                         line, id, score, model (the n-gram model's share of\n"
    "                         the score, when the lexicon has one) and hits) or\n"
    "                         text (FILE:LINE:text)\n"
    "  -c, --count            print the number of flagged posts per file\n"
    "      --color WHEN       highlight hits in text output: auto, always, never\n"
    "                         (--colour too)\n"
    "  -H, --with-filename    prefix text lines with the file name (default when\n"
    "                         several files are given)\n"
    "      --stats            print counters and throughput to stderr at the end\n"
    "      --line-buffered    from a pipe, write each flagged post as soon as it is\n"
    "                         scanned (default: within 100 ms of reading it)\n"
    "      --fsync            when the output is a file: fsync it before Kafka\n"
    "                         offsets are committed (a committed offset never\n"
    "                         outruns the verdicts on disk) and at the end; a\n"
    "                         failed fsync is a write error (a pipe: nothing to do)\n"
    "      --threads N        scanning threads (default: one per core; 1: all on one\n"
    "                         thread); output stays in input order. With N > 1 a\n"
    "                         zstd file of many frames (pzstd, or pieces compressed\n"
    "                         apart and joined with cat) is also decoded by N\n"
    "                         threads, and the next file is decoded ahead\n"
    "  -h, --help             show this help\n"
    "\n"
    "Kafka (instead of files; README \"Scaling out\"):\n"
    "      --kafka-brokers H:P[,H:P...]  consume posts (one per message) from a\n"
    "      --kafka-topic T               topic, as a member of consumer group\n"
    "      --kafka-group G               G (default yamiscan); at-least-once:\n"
    "                         offsets are committed once the verdicts are written\n"
    "      --kafka-out-topic T  produce flagged posts to T (key: post id) instead\n"
    "                         of stdout; committed once the brokers acknowledge them\n"
    "      --kafka-conf K=V   a librdkafka setting; repeatable\n"
    "      --kafka-until-end  stop when every assigned partition is read to its end\n"
    "      --kafka-connect-timeout S  give up when no broker answers (default 10)\n"
    "\n"
    "Exit status: 0 if a post was flagged, 1 if none was, 2 on error.\n"
    "SIGINT or SIGTERM stops the scan after the posts read so far: their results\n"
    "are written, --stats printed, and the exit status is 130 (SIGINT) or 143\n"
    "(SIGTERM). A second signal ends it at once. After a write error on a\n"
    "regular file (disk full), a partial last output line is removed.\n";

static const char usage_compile[] =
    "Usage: yamiscan compile [OPTIONS] -o FILE\n"
    "Compile lexicons into one database file, loaded by 'yamiscan scan --db FILE'.\n"
    "The file is tied to the engine's version (and, for hs, the CPU platform).\n"
    "\n"
    "%s"
    "  -o, --output FILE      where to write the database (required)\n"
    "      --stats            print pattern counts, compile time and the engine's\n"
    "                         memory (Hyperscan databases or automaton arrays)\n"
    "      --lint             warn (FILE:LINE: warning: ...) about literals that\n"
    "                         folding keeps from matching, patterns that fold to\n"
    "                         the same spelling, and terms (positive or negative)\n"
    "                         found inside many dictionary words\n"
    "                         (patterns/README.md, \"Lint\")\n"
    "      --lint-words PATH  word list for the last check (implies --lint): a\n"
    "                         file of words (first field per line, UTF-8 or EUC-JP)\n"
    "                         or a mecab-ipadic directory (its common nouns; default\n"
    "                         " YS_WORDS_DEFAULT_PATH ", skipped if not installed)\n"
    "      --lint-min-words N warn from N containing words (default %d; implies\n"
    "                         --lint)\n"
    "      --werror           lint warnings are errors: exit 2, nothing written\n"
    "                         (implies --lint; without it warnings never change\n"
    "                         the exit status)\n"
    "  -h, --help             show this help\n"
    "\n"
    "Exit status: 0 when compiled (and OUT written), 2 on error (a bad lexicon\n"
    "line is one: FILE:LINE:COLUMN: what is wrong).\n";

/* ---- scan ---- */

typedef struct {
    int reported[YS_PROBLEM_COUNT];
} warn_state;

/* Each kind of problem is reported once with its position; the rest are
 * counted and summed up at the end. */
static void on_warning(void *ctx, int kind, const char *msg)
{
    warn_state *w = ctx;
    if (w->reported[kind]++)
        return;
    fprintf(stderr, "%s: %s (further %s lines are only counted)\n", prog, cli_message(msg),
            ys_problem_name(kind));
}

typedef struct {
    double start, last;
    int shown; /* a progress line is on the terminal */
} progress_state;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void on_progress(void *ctx, const ys_counters *c)
{
    progress_state *p = ctx;
    double t = now();
    if (t - p->last < 0.5)
        return;
    p->last = t;
    p->shown = 1;
    fprintf(stderr, "\r%s: %llu posts, %llu flagged, %.1f MB, %.0f MB/s   ", prog,
            (unsigned long long)c->posts, (unsigned long long)c->posts_flagged,
            (double)c->bytes_decoded / 1e6, (double)c->bytes_decoded / 1e6 / (t - p->start));
}

/* How scan opens its inputs: the zstd settings every source gets. */
typedef struct {
    unsigned window_log; /* 0: the library's default */
    const char *dict_path;
    ys_zstd_dict *dict;
    uint64_t window;     /* the largest zstd window used so far */
} input_options;

/* --zstd-window-max: a power of two from 1K to 2G, as its log. */
static unsigned parse_window(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = *end == 'K' || *end == 'k'   ? 10
                     : *end == 'M' || *end == 'm' ? 20
                     : *end == 'G' || *end == 'g' ? 30
                                                  : 0;
    end += shift != 0;
    if (errno || *end || s[0] == '-' || v == 0 || (v & (v - 1)) || v > (1ull << (31 - shift)) ||
        (v << shift) < 1024)
        die_usage("scan", "bad --zstd-window-max '%s' (a power of two from 1K to 2G: 8M, 128M, 2G)",
                  s);
    unsigned log = 0;
    for (v <<= shift; v > 1; v >>= 1)
        log++;
    return log;
}

/* Opens one input with the zstd settings of the run. */
static int open_input(const char *path, input_options *in, ys_source **out, ys_error *err)
{
    int rc = ys_source_open(path, out, err);
    if (rc == YS_OK && in->window_log)
        rc = ys_source_set_zstd_window(*out, in->window_log, err);
    if (rc == YS_OK && in->dict)
        rc = ys_source_set_zstd_dict(*out, in->dict, err);
    if (rc != YS_OK && *out) {
        ys_source_close(*out);
        *out = NULL;
    }
    return rc;
}

static size_t parse_size(const char *s, const char *cmd)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end == 'K' || *end == 'k')
        v <<= 10, end++;
    else if (*end == 'M' || *end == 'm')
        v <<= 20, end++;
    if (errno || *end || v == 0 || v > (1ull << 30) || s[0] == '-')
        die_usage(cmd, "bad size '%s' (1 to 1G, K and M suffixes allowed)", s);
    return (size_t)v;
}

static void print_stats(const ys_db *db, const ys_counters *c, uint64_t zstd_window, double secs)
{
    FILE *e = stderr;
    ys_db_stats st;
    ys_db_get_stats(db, &st);
    fprintf(e, "%s: stats\n", prog);
    fprintf(e, "  patterns            %zu (%zu literals, %zu regexes; %zu spellings)\n",
            st.patterns, st.literals, st.regexes, st.spellings);
    fprintf(e, "  database bytes      %zu (engine %s)\n", st.db_bytes, st.engine);
    if (st.compile_seconds > 0)
        fprintf(e, "  compile seconds     %.3f\n", st.compile_seconds);
    else
        fprintf(e, "  compile seconds     (loaded from --db or the cache)\n");
    fprintf(e, "  inputs              %llu\n", (unsigned long long)c->inputs);
    fprintf(e, "  bytes read          %llu\n", (unsigned long long)c->bytes_in);
    fprintf(e, "  bytes decoded       %llu\n", (unsigned long long)c->bytes_decoded);
    if (zstd_window) /* the memory a frame's decoding held */
        fprintf(e, "  zstd window         %llu bytes (the largest a frame asked for)\n",
                (unsigned long long)zstd_window);
    fprintf(e, "  lines               %llu (%llu blank)\n", (unsigned long long)c->lines,
            (unsigned long long)c->blank_lines);
    if (c->skipped)
        fprintf(e, "  skipped (--where)   %llu\n", (unsigned long long)c->skipped);
    fprintf(e, "  posts scanned       %llu\n", (unsigned long long)c->posts);
    fprintf(e, "  posts flagged       %llu\n", (unsigned long long)c->posts_flagged);
    fprintf(e, "  posts folded        %llu\n", (unsigned long long)c->posts_folded);
    fprintf(e, "  hits                %llu\n", (unsigned long long)c->hits);
    for (size_t i = 0; i < ys_db_category_count(db); i++)
        if (c->category_hits[i])
            fprintf(e, "    %-17s %llu\n", ys_db_category_name(db, (unsigned)i),
                    (unsigned long long)c->category_hits[i]);
    for (int k = 0; k < YS_PROBLEM_COUNT; k++)
        fprintf(e, "  %-19s %llu\n", ys_problem_name(k), (unsigned long long)c->problems[k]);
    fprintf(e, "  seconds             %.3f\n", secs);
    if (secs > 0)
        fprintf(e, "  throughput          %.1f MB/s decoded, %.0f posts/s\n",
                (double)c->bytes_decoded / 1e6 / secs, (double)c->posts / secs);
}

/* SIGINT/SIGTERM: the first asks the scan to stop after the posts read so
 * far (SA_RESETHAND: a second one kills at once). No SA_RESTART, so that a
 * read blocked on a pipe returns and the stop is seen; writes are made by
 * the pipeline's own write(2) loop, which goes on after EINTR, so a signal
 * while stdout is a full pipe is a stop, never a write error. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig) { stop_signal = sig; }

static void catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* --fsync at the end: the output, when it is a regular file or a block
 * device, is synced to disk (a pipe or terminal has nothing to sync).
 * Returns 0, or -1 with errno. */
static int sync_stdout(void)
{
    struct stat st;
    if (fstat(STDOUT_FILENO, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)))
        return 0;
    if (fflush(stdout) != 0)
        return -1;
    int r;
    while ((r = fsync(STDOUT_FILENO)) != 0 && errno == EINTR)
        ; /* a signal is no error */
    return r;
}

/* Writes the counts of -c: write(2) until done (a signal is no error), not
 * stdio, whose buffer a failed write would leave to be written at exit. */
static int write_out(const char *s, size_t n)
{
    fflush(stdout); /* nothing should be there; keep the order if it is */
    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w, n -= (size_t)w;
    }
    return 0;
}

static int cmd_scan(int argc, char **argv)
{
    enum { O_INFMT = 256, O_FIELD, O_IDFIELD, O_STRICT, O_MAXPOST, O_FORMAT, O_COLOR, O_STATS,
           O_THREADS, O_NOFOLD, O_HTML, O_KBROKERS, O_KTOPIC, O_KGROUP, O_KOUT, O_KCONF, O_KEND,
           O_KTIMEOUT, O_LINEBUF, O_DOFSYNC, O_ZWINDOW, O_ZDICT, O_WHERE };
    static const struct option opts[] = {
        PATTERN_OPTIONS,
        {"input-format", required_argument, 0, O_INFMT},
        {"field", required_argument, 0, O_FIELD},
        {"id-field", required_argument, 0, O_IDFIELD},
        {"where", required_argument, 0, O_WHERE},
        {"strict", no_argument, 0, O_STRICT},
        {"max-post-bytes", required_argument, 0, O_MAXPOST},
        {"zstd-window-max", required_argument, 0, O_ZWINDOW},
        {"zstd-dict", required_argument, 0, O_ZDICT},
        {"format", required_argument, 0, O_FORMAT},
        {"count", no_argument, 0, 'c'},         {"color", required_argument, 0, O_COLOR},
        {"colour", required_argument, 0, O_COLOR},
        {"with-filename", no_argument, 0, 'H'}, {"stats", no_argument, 0, O_STATS},
        {"threads", required_argument, 0, O_THREADS},
        {"no-fold", no_argument, 0, O_NOFOLD},
        {"html", no_argument, 0, O_HTML},
        {"line-buffered", no_argument, 0, O_LINEBUF},
        {"fsync", no_argument, 0, O_DOFSYNC},
        {"kafka-brokers", required_argument, 0, O_KBROKERS},
        {"kafka-topic", required_argument, 0, O_KTOPIC},
        {"kafka-group", required_argument, 0, O_KGROUP},
        {"kafka-out-topic", required_argument, 0, O_KOUT},
        {"kafka-conf", required_argument, 0, O_KCONF},
        {"kafka-until-end", no_argument, 0, O_KEND},
        {"kafka-connect-timeout", required_argument, 0, O_KTIMEOUT},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    kafka_options ko = {.group = "yamiscan", .connect_s = 10};
    lexicon_args la = {0};
    const char *fields[MAX_ITEMS], *where[8], *ids[4];
    size_t nwhere = 0, nids = 0;
    int nfields = 0, count = 0, stats = 0, with_file = 0;
    const char *color = "auto";
    ys_pipeline_options po = {0};
    po.out = stdout;
    input_options in = {0};
    int c;
    while ((c = getopt_long(argc, argv, "l:f:e:cHh", opts, NULL)) != -1) {
        if (pattern_option(c, &la, "scan"))
            continue;
        switch (c) {
        case O_NOFOLD: po.no_fold = 1; break;
        case O_HTML: po.html = 1; break;
        case O_LINEBUF: po.line_buffered = 1; break;
        case O_DOFSYNC: ko.fsync = 1; break;
        case O_KBROKERS: ko.brokers = optarg; break;
        case O_KTOPIC: ko.topic = optarg; break;
        case O_KGROUP: ko.group = optarg; break;
        case O_KOUT: ko.out_topic = optarg; break;
        case O_KEND: ko.until_end = 1; break;
        case O_KCONF:
            if (!strchr(optarg, '=') || optarg[0] == '=' || ko.nconf == KAFKA_MAX_CONF)
                die_usage("scan", "bad --kafka-conf '%s' (KEY=VALUE, at most 64)", optarg);
            ko.conf[ko.nconf++] = optarg;
            break;
        case O_KTIMEOUT: {
            char *end;
            ko.connect_s = strtod(optarg, &end);
            if (*end || end == optarg || !(ko.connect_s > 0 && ko.connect_s <= 3600))
                die_usage("scan", "bad --kafka-connect-timeout '%s' (seconds, up to 3600)", optarg);
            break;
        }
        case O_THREADS: po.threads = (unsigned)parse_long(optarg, 1, 256, "--threads", "scan"); break;
        case O_INFMT:
            if (!strcmp(optarg, "auto")) po.frame.format = YS_INPUT_AUTO;
            else if (!strcmp(optarg, "lines")) po.frame.format = YS_INPUT_LINES;
            else if (!strcmp(optarg, "jsonl")) po.frame.format = YS_INPUT_JSONL;
            else die_usage("scan", "bad --input-format '%s' (auto, lines or jsonl)", optarg);
            break;
        case O_FIELD: add_item(fields, &nfields, optarg, "scan"); break;
        case O_IDFIELD:
            if (nids == 4)
                die_usage("scan", "%s", "at most 4 --id-field options");
            ids[nids++] = optarg;
            break;
        case O_WHERE:
            if (!strchr(optarg, '=') || optarg[0] == '=' || nwhere == 8)
                die_usage("scan", "bad --where '%s' (PATH=VALUE, at most 8)", optarg);
            where[nwhere++] = optarg;
            break;
        case O_STRICT: po.frame.strict = 1; break;
        case O_MAXPOST: po.frame.max_post = parse_size(optarg, "scan"); break;
        case O_ZWINDOW: in.window_log = parse_window(optarg); break;
        case O_ZDICT: in.dict_path = optarg; break;
        case O_FORMAT:
            if (!strcmp(optarg, "jsonl")) po.emit.format = YS_OUTPUT_JSONL;
            else if (!strcmp(optarg, "text")) po.emit.format = YS_OUTPUT_TEXT;
            else die_usage("scan", "bad --format '%s' (jsonl or text)", optarg);
            break;
        case 'c': count = 1; break;
        case O_COLOR:
            if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never"))
                die_usage("scan", "bad --color '%s' (auto, always or never)", optarg);
            color = optarg;
            break;
        case 'H': with_file = 1; break;
        case O_STATS: stats = 1; break;
        case 'h': printf(usage_scan, usage_lexicon); return 0;
        default: die_usage("scan", "%s", "bad option");
        }
    }
    if ((ko.brokers || ko.topic || ko.out_topic || ko.nconf || ko.until_end) &&
        !(ko.brokers && ko.topic))
        die_usage("scan", "%s", "Kafka input needs both --kafka-brokers and --kafka-topic");
    if (ko.brokers && optind < argc)
        die_usage("scan", "files and --kafka-brokers cannot be combined ('%s')", argv[optind]);
    if (ko.brokers && (nwhere || nids > 1)) /* Kafka frames its messages itself (issue 16) */
        die_usage("scan", "%s", "--where and several --id-field options are for files and "
                  "standard input; Kafka messages are read with one --id-field and no selection");
    if (ko.fsync && ko.out_topic)
        die_usage("scan", "%s", "--fsync is for output to a file; with --kafka-out-topic the "
                  "brokers' acknowledgement is what an offset waits for");
    if (ko.brokers && !kafka_available())
        die_usage("scan", "%s", "this yamiscan was built without Kafka support "
                  "(install librdkafka-dev and rebuild)");
    ko.stats = stats;
    char *stdin_only[] = {"-"};
    char **inputs = optind < argc ? argv + optind : stdin_only;
    int ninputs = optind < argc ? argc - optind : 1;
    /* No file and a keyboard for input: say what it waits for (grep is
     * silent, and a new user takes it for a hang). */
    if (optind >= argc && !ko.brokers && isatty(STDIN_FILENO))
        fprintf(stderr, "yamiscan: reading posts from standard input (a terminal): type them, "
                        "one per line, and end with Ctrl-D; or give FILE arguments\n");

    if (la.has_threshold)
        po.threshold = &la.threshold;
    if (po.threads == 0) { /* default: one scanning thread per core */
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        po.threads = cores > 1 ? (unsigned)(cores < 64 ? cores : 64) : 1;
    }
    po.frame.fields = fields;
    po.frame.nfields = (size_t)nfields;
    po.frame.where = where;
    po.frame.nwhere = nwhere;
    po.frame.id_fields = ids;
    po.frame.nid_fields = nids;
    po.frame.id_field = nids ? ids[0] : NULL; /* what Kafka messages are read with */
    if (count)
        po.emit.format = YS_OUTPUT_COUNT;
    po.emit.color = !strcmp(color, "always") ||
                    (!strcmp(color, "auto") && isatty(STDOUT_FILENO) && getenv("TERM") &&
                     strcmp(getenv("TERM"), "dumb"));
    po.emit.with_file = with_file || ninputs > 1;
    warn_state ws = {{0}};
    po.frame.on_warning = on_warning;
    po.frame.warning_ctx = &ws;
    progress_state ps = {now(), 0, 0};
    ps.last = ps.start;
    if (isatty(STDERR_FILENO)) {
        po.on_progress = on_progress;
        po.progress_ctx = &ps;
    }

    ys_error err = {0};
    if (in.dict_path && ys_zstd_dict_load(in.dict_path, &in.dict, &err) != YS_OK) {
        fprintf(stderr, "%s: --zstd-dict: %s\n", prog, cli_message(ys_error_message(&err)));
        return 2;
    }
    ys_db *db;
    if (get_db(&la, &db, &err) != YS_OK) {
        fprintf(stderr, "%s: %s\n", prog, cli_message(ys_error_message(&err)));
        ys_zstd_dict_free(in.dict);
        return 2;
    }
    ys_scanner *sc;
    if (ys_scanner_new(db, &sc, &err) != YS_OK) {
        fprintf(stderr, "%s: %s\n", prog, cli_message(ys_error_message(&err)));
        ys_db_free(db);
        ys_zstd_dict_free(in.dict);
        return 2;
    }
    ys_counters counters = {0};
    counters.category_hits = calloc(ys_db_category_count(db), sizeof(uint64_t));
    int failed = 0, closed = 0, stopped = 0;
    catch_stop_signals();
    po.stop = &stop_signal;
    double t0 = now();
    if (ko.brokers) {
        int rc = kafka_scan(db, sc, &po, &ko, &counters, &err);
        if (ps.shown)
            fputs("\r\033[K", stderr);
        if (rc == YS_EPIPE) {
            closed = 1;
        } else if (rc == YS_EINTR) {
            fprintf(stderr, "%s: stopped by %s after %llu posts; the flagged posts before "
                    "the stop are all written and their offsets committed\n", prog,
                    stop_signal == SIGINT ? "SIGINT" : "SIGTERM",
                    (unsigned long long)counters.posts);
            stopped = 1;
        } else if (rc != YS_OK) {
            fprintf(stderr, "%s: %s\n", prog, cli_message(ys_error_message(&err)));
            failed = 1;
        }
        if (count && !closed && !counters.output_failed) { /* nothing after a write error */
            char line[32];
            int n = snprintf(line, sizeof line, "%llu\n", (unsigned long long)counters.posts_flagged);
            if (write_out(line, (size_t)n) != 0 && errno != EPIPE) {
                fprintf(stderr, "%s: write error: %s\n", prog, strerror(errno));
                failed = 1;
            }
        }
        ninputs = 0; /* no files */
    }
    /* With several threads the next file is opened and decoded ahead while
     * the current one is scanned (its errors wait for its turn): only a
     * regular file, which cannot block in open() as a FIFO would, and only
     * once the current one is open (a low descriptor limit fails the next
     * one, which is then read as it comes, not the current one). */
    ys_source *next = NULL;
    for (int i = 0; i < ninputs && !closed; i++) {
        uint64_t before = counters.posts_flagged, opened = counters.inputs;
        ys_counters at_start = counters; /* for this input's own counts */
        ys_source *cur = next;
        next = NULL;
        memset(&err, 0, sizeof err);
        if (stop_signal) { /* before this file was started: it is not reported */
            fprintf(stderr, "%s: stopped by %s after %llu posts; the flagged posts before "
                    "the stop are all written\n", prog,
                    stop_signal == SIGINT ? "SIGINT" : "SIGTERM",
                    (unsigned long long)counters.posts);
            stopped = 1;
            ys_source_close(cur);
            break;
        }
        struct stat ahead_st;
        int ahead = po.threads > 1 && i + 1 < ninputs && strcmp(inputs[i + 1], "-") != 0 &&
                    stat(inputs[i + 1], &ahead_st) == 0 && S_ISREG(ahead_st.st_mode);
        int rc = YS_OK;
        if (!cur)
            rc = open_input(inputs[i], &in, &cur, &err); /* a failure is reported below */
        ys_error ahead_err;
        if (rc == YS_OK && ahead && open_input(inputs[i + 1], &in, &next, &ahead_err) == YS_OK)
            (void)ys_source_prefetch(next, po.threads, &ahead_err); /* else read as it comes */
        if (rc == YS_OK)
            rc = ys_pipeline_run_source(db, sc, &po, cur, &counters, &err);
        if (cur && ys_source_zstd_window(cur) > in.window)
            in.window = ys_source_zstd_window(cur);
        ys_source_close(cur);
        if (ps.shown) {
            fputs("\r\033[K", stderr);
            ps.shown = 0;
        }
        if (rc == YS_EPIPE) {
            closed = 1; /* `| head`: stop quietly */
            break;
        }
        if (rc == YS_EINTR) {
            fprintf(stderr, "%s: stopped by %s after %llu posts; the flagged posts before "
                    "the stop are all written\n", prog,
                    stop_signal == SIGINT ? "SIGINT" : "SIGTERM",
                    (unsigned long long)counters.posts);
            stopped = 1; /* the count so far is still printed below */
        } else if (rc != YS_OK) {
            fprintf(stderr, "%s: %s\n", prog, cli_message(ys_error_message(&err)));
            failed = 1;
            /* A bad option (field path) or a broken output fails every input alike. */
            if (rc == YS_EINVAL || rc == YS_ENOMEM || counters.output_failed)
                break;
        }
        /* This input's lines were read, and not one had the text field: the
         * field asked for is wrong for it (another input's posts do not
         * make this one "nothing flagged"). */
        uint64_t lines = counters.lines - at_start.lines -
                         (counters.blank_lines - at_start.blank_lines) -
                         (counters.skipped - at_start.skipped);
        if (rc == YS_OK && counters.posts == at_start.posts && lines &&
            counters.problems[YS_PROBLEM_NO_TEXT] - at_start.problems[YS_PROBLEM_NO_TEXT] ==
                lines) {
            fprintf(stderr, "%s: %s: none of the %llu %slines has the text field (--field%s%s): "
                    "nothing was scanned\n", prog,
                    strcmp(inputs[i], "-") ? inputs[i] : "(standard input)",
                    (unsigned long long)lines, nwhere ? "selected " : "",
                    nfields ? " " : ": none given, so text", nfields ? fields[0] : "");
            failed = 1;
        }
        if (count && counters.inputs > opened) { /* not for a file that did not open */
            char line[PATH_MAX + 64];
            int n = snprintf(line, sizeof line, "%s%s%llu\n",
                             !po.emit.with_file ? ""
                             : strcmp(inputs[i], "-") ? inputs[i] : "(standard input)",
                             po.emit.with_file ? ":" : "",
                             (unsigned long long)(counters.posts_flagged - before));
            if (write_out(line, n < (int)sizeof line ? (size_t)n : sizeof line - 1) != 0) {
                closed = 1;
                if (errno != EPIPE) {
                    fprintf(stderr, "%s: write error: %s\n", prog, strerror(errno));
                    failed = 1;
                }
            }
        }
        if (stopped)
            break;
    }
    ys_source_close(next);
    if (ko.fsync && !closed && !counters.output_failed && sync_stdout() != 0) {
        fprintf(stderr, "%s: write error: fsync of the output: %s; %llu flagged post%s written "
                "before it, not known to be on disk\n", prog, strerror(errno),
                (unsigned long long)counters.posts_written,
                counters.posts_written == 1 ? "" : "s");
        failed = 1;
    }
    /* Lines were read, and not one had the text field: the field asked for
     * is wrong, and "nothing flagged" would be a lie. */
    if (!stopped && !failed && nwhere && counters.posts == 0 && counters.lines > counters.blank_lines &&
        counters.skipped == counters.lines - counters.blank_lines) {
        fprintf(stderr, "%s: none of the %llu lines is selected by --where %s%s: nothing was "
                "scanned\n", prog, (unsigned long long)counters.skipped, where[0],
                nwhere > 1 ? " …" : "");
        failed = 1;
    }
    double secs = now() - t0;
    uint64_t skipped = 0;
    for (int k = 0; k < YS_PROBLEM_COUNT; k++)
        skipped += counters.problems[k];
    if (stats)
        print_stats(db, &counters, in.window, secs);
    else if (skipped)
        fprintf(stderr, "%s: %llu lines had problems (see --stats for the counts by kind)\n",
                prog, (unsigned long long)skipped);
    free(counters.category_hits);
    ys_scanner_free(sc);
    ys_db_free(db);
    ys_zstd_dict_free(in.dict); /* every source is closed */
    if (stopped)
        return 128 + stop_signal; /* as a shell reports a process the signal ended */
    if (failed)
        return 2;
    return counters.posts_flagged ? 0 : 1;
}

/* ---- compile ---- */

static int print_lint(void *ctx, const ys_lint_warning *w)
{
    ++*(size_t *)ctx;
    fprintf(stderr, "%s:%u: warning: %s\n", w->pattern->file, w->pattern->line, w->message);
    return 0;
}

/* compile --lint: prints the warnings; returns their number, or -1 on error. */
static long run_lint(const ys_db *db, const char *words_path, size_t min_words)
{
    ys_error err = {0};
    ys_lint_options lo = {.min_words = min_words};
    ys_words *words = ys_words_new();
    const char *path = words_path ? words_path : YS_WORDS_DEFAULT_PATH;
    int rc = words ? YS_OK : YS_ENOMEM;
    if (rc == YS_OK && (words_path || access(path, F_OK) == 0))
        rc = ys_words_load(words, path, &err);
    else if (rc == YS_OK)
        fprintf(stderr, "%s: note: no word list (%s missing: apt-get install mecab-ipadic, or "
                "--lint-words FILE); the dictionary-word check is skipped\n", prog, path);
    lo.words = ys_words_count(words) ? words : NULL;
    size_t n = 0;
    if (rc == YS_OK)
        rc = ys_lint_db(db, &lo, print_lint, &n, &err);
    if (rc == YS_OK)
        fprintf(stderr, "%s: lint: %zu warning%s (%zu dictionary words)\n", prog, n,
                n == 1 ? "" : "s", ys_words_count(words));
    else
        fprintf(stderr, "%s: %s\n", prog, cli_message(ys_error_message(&err)));
    ys_words_free(words);
    return rc == YS_OK ? (long)n : -1;
}

static int cmd_compile(int argc, char **argv)
{
    enum { O_STATS = 256, O_ENGINE, O_LINT, O_LINT_WORDS, O_LINT_MIN, O_WERROR };
    static const struct option opts[] = {
        {"lexicon", required_argument, 0, 'l'}, {"file", required_argument, 0, 'f'},
        {"term", required_argument, 0, 'e'},    {"output", required_argument, 0, 'o'},
        {"stats", no_argument, 0, O_STATS},     {"engine", required_argument, 0, O_ENGINE},
        {"lint", no_argument, 0, O_LINT},       {"lint-words", required_argument, 0, O_LINT_WORDS},
        {"lint-min-words", required_argument, 0, O_LINT_MIN},
        {"werror", no_argument, 0, O_WERROR},   {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    lexicon_args la = {.no_cache = 1}; /* compile means compile */
    const char *out = NULL, *lint_words = NULL;
    int stats = 0, c, lint = 0, werror = 0;
    size_t lint_min = 0;
    while ((c = getopt_long(argc, argv, "l:f:e:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'l': add_item(la.tsv, &la.ntsv, optarg, "compile"); break;
        case 'f': add_item(la.list, &la.nlist, optarg, "compile"); break;
        case 'e': add_item(la.term, &la.nterm, optarg, "compile"); break;
        case 'o': out = optarg; break;
        case O_STATS: stats = 1; break;
        case O_ENGINE: la.engine = parse_engine(optarg, "compile"); break;
        case O_LINT: lint = 1; break;
        case O_LINT_WORDS: lint = 1, lint_words = optarg; break;
        case O_LINT_MIN:
            lint = 1;
            lint_min = (unsigned long)parse_long(optarg, 1, LONG_MAX, "--lint-min-words", "compile");
            break;
        case O_WERROR: lint = werror = 1; break;
        case 'h': printf(usage_compile, usage_lexicon, YS_LINT_MIN_WORDS); return 0;
        default: die_usage("compile", "%s", "bad option");
        }
    }
    if (optind < argc)
        die_usage("compile", "unexpected argument '%s'", argv[optind]);
    if (!out)
        die_usage("compile", "%s", "missing -o FILE");
    ys_error err = {0};
    ys_db *db = NULL;
    long warnings = 0;
    if (get_db(&la, &db, &err) != YS_OK) {
        fprintf(stderr, "%s: %s\n", prog, cli_message(ys_error_message(&err)));
        return 2;
    }
    if (lint && (warnings = run_lint(db, lint_words, lint_min)) != 0 && (warnings < 0 || werror)) {
        if (warnings > 0)
            fprintf(stderr, "%s: --werror: %s not written\n", prog, out);
        ys_db_free(db);
        return 2;
    }
    if (save_db_file(db, out, &err) != YS_OK) {
        fprintf(stderr, "%s: %s\n", prog, cli_message(ys_error_message(&err)));
        ys_db_free(db);
        return 2;
    }
    if (stats) {
        ys_db_stats st;
        ys_db_get_stats(db, &st);
        fprintf(stderr,
                "%s: %zu patterns (%zu literals, %zu regexes) in %zu categories\n"
                "  base terms     %zu literals as written\n"
                "  variants       %zu generated spellings, folded\n"
                "  compiled       %zu patterns (%zu literal spellings + %zu regexes)\n"
                "  engine         %s\n"
                "  compile time   %.3f s\n"
                "  database size  %zu bytes in memory\n"
                "  lexicon hash   %016llx\n",
                prog, st.patterns, st.literals, st.regexes, st.categories, st.literals,
                st.spellings - st.literals, st.spellings + st.regexes, st.spellings,
                st.regexes, st.engine, st.compile_seconds, st.db_bytes,
                (unsigned long long)st.lexicon_hash);
        fprintf(stderr, "  spellings by generator (distinct, folded):\n");
        for (unsigned g = 0; g < YS_GENERATORS; g++)
            fprintf(stderr, "    %-12s %zu\n", ys_generator_name(g), ys_db_generated(db, g));
    }
    ys_db_free(db);
    return 0;
}

static int run_command(int argc, char **argv);

/* Every command's output on stdout is checked once, here: what stdio still
 * holds is flushed, and a failure (/dev/full) is exit 2 with its message,
 * so that no command reports success for output that was not written. A
 * reader that went away (EPIPE) is no error. */
int main(int argc, char **argv)
{
    int rc = run_command(argc, argv);
    if ((fflush(stdout) != 0 || ferror(stdout)) && errno != EPIPE) {
        fprintf(stderr, "%s: write error: %s\n", prog, strerror(errno ? errno : EIO));
        return 2;
    }
    return rc;
}

static int run_command(int argc, char **argv)
{
    /* A closed stdout shows up as EPIPE from write(), handled quietly. */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        fputs(usage_main, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        const char *hs = ys_engine_version("hs");
        printf("yamiscan %s (engines: ", YS_VERSION_STRING);
        if (hs)
            printf("hs = Hyperscan %s, ", hs);
        printf("ac = Aho-Corasick %s; default %s)\n", ys_engine_version("ac"),
               ys_engine_default());
        printf("input: %s, or plain\n", ys_input_formats());
        return 0;
    }
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (!strcmp(cmd, "help")) {
        const char *topic = argc > 2 ? argv[2] : "";
        if (!strcmp(topic, "scan"))
            printf(usage_scan, usage_lexicon);
        else if (!strcmp(topic, "compile"))
            printf(usage_compile, usage_lexicon, YS_LINT_MIN_WORDS);
        else if (!strcmp(topic, "explain"))
            printf(usage_explain, usage_lexicon);
        else if (!strcmp(topic, "eval"))
            printf(usage_eval, usage_lexicon);
        else if (!strcmp(topic, "tune"))
            fputs(usage_tune, stdout);
        else
            fputs(usage_main, stdout);
        return 0;
    }
    if (!strcmp(cmd, "scan"))
        return cmd_scan(argc - 1, argv + 1);
    if (!strcmp(cmd, "compile"))
        return cmd_compile(argc - 1, argv + 1);
    if (!strcmp(cmd, "explain"))
        return cmd_explain(argc - 1, argv + 1);
    if (!strcmp(cmd, "eval"))
        return cmd_eval(argc - 1, argv + 1);
    if (!strcmp(cmd, "tune"))
        return cmd_tune(argc - 1, argv + 1);
    fprintf(stderr, "%s: unknown command '%s'\n\n%s", prog, cmd, usage_main);
    return 2;
}
