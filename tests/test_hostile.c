/* Hostile input at the command line: each case checks the exit status, the
 * exact message and, where memory is the risk, the peak RSS of the run. */
#define _DEFAULT_SOURCE /* kill, FIONREAD */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* Runs `fmt` (with one %s) through sh. */
static run_result sh1(const char *fmt, const char *a)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, fmt, a);
    return run_sh(cmd);
}

/* Largest resident set of any process this test has waited for, in MiB. */
static long children_peak_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    return ru.ru_maxrss / 1024;
}

/* The documented bound: whatever the input, a scan with the default
 * --max-post-bytes stays under this (README.md, "Memory"). */
#define PEAK_RSS_LIMIT_MIB 256

Test(hostile, invalid_utf8_is_scanned_as_bytes_and_counted)
{
    need_hyperscan();
    const char *in = tmp_path("bad-utf8.jsonl");
    const char data[] = "{\"id\":1,\"text\":\"闇バイト\xff\xfe\xc0\xaf\"}\n"
                        "{\"id\":2,\"text\":\"\xed\xa0\x80 受け子\"}\n";
    write_file(in, data, sizeof data - 1);
    /* Literals match the bytes; regexes (undefined on invalid UTF-8 in
     * Hyperscan's UTF-8 mode) skip such a post, which is counted. */
    const char *lex = tmp_path("re.tsv"),
               *tsv = "@category\tslang\ts\nr\tslang\t1\tre\t受け?子\n"
                      "y\tslang\t1\tlit\t闇バイト\nu\tslang\t1\tlit\t受け子\n";
    write_file(lex, tsv, strlen(tsv));
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "\"$YAMISCAN\" scan --stats -l %s %s", lex, in);
    run_result r = run_sh(cmd);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(count_str(r.out, "\n"), 2, "both posts flagged: %s", r.out);
    cr_assert(strstr(r.err, "  invalid_utf8        2\n"), "%s", r.err);
    run_free(&r);
    r = sh1("\"$YAMISCAN\" scan --stats -e 闇バイト -e 受け子 %s", in);
    cr_assert_eq(count_str(r.out, "\n"), 2, "no regexes: scanned as bytes: %s", r.out);
    run_free(&r);
}

Test(hostile, nul_bytes_in_lines_and_json)
{
    const char *lines = tmp_path("nul.txt"), *json = tmp_path("nul.jsonl");
    const char l[] = "a\0闇バイト\0b\n\0\0\0\n闇\0バイト\n";
    write_file(lines, l, sizeof l - 1);
    run_result r = sh1("\"$YAMISCAN\" scan --input-format lines -c -e 闇バイト %s", lines);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "1\n", "the term split by a NUL does not match");
    run_free(&r);
    const char j[] = "{\"id\":1,\"text\":\"\\u0000闇バイト\\u0000\"}\n{\"id\":2,\"text\":\"x\0y\"}\n";
    write_file(json, j, sizeof j - 1);
    r = sh1("\"$YAMISCAN\" scan --stats -e 闇バイト %s", json);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\"id\":1,"), "%s", r.out);
    cr_assert(strstr(r.err, ":2: malformed JSON at column 18: control character in string "
                            "(must be escaped)"),
              "a raw NUL inside a JSON string is malformed: %s", r.err);
    cr_assert(strstr(r.err, "  bad_json            1\n"), "%s", r.err);
    run_free(&r);
}

Test(hostile, a_gigabyte_line_in_bounded_memory, .timeout = 120)
{
    if (getenv("YAMISCAN_SKIP_BIG"))
        cr_skip_test("YAMISCAN_SKIP_BIG is set (tools/test's valgrind pass)");
    run_result r = run_sh("head -c 1000000000 /dev/zero | tr '\\0' 'a' | "
                          "\"$YAMISCAN\" scan --stats --input-format lines -e 闇バイト -");
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "yamiscan: (standard input):1: line longer than 1048576 bytes "
                            "(--max-post-bytes): only its start is scanned"),
              "%s", r.err);
    cr_assert(strstr(r.err, "  bytes decoded       1000000000\n"), "%s", r.err);
    cr_assert(strstr(r.err, "  too_long            1\n"), "%s", r.err);
    long peak = children_peak_mib();
    cr_assert_lt(peak, PEAK_RSS_LIMIT_MIB, "peak RSS %ld MiB", peak);
    cr_log_info("1 GB line: peak RSS %ld MiB", peak);
    run_free(&r);
}

Test(hostile, deeply_nested_and_huge_json)
{
    const char *in = tmp_path("deep.jsonl");
    FILE *f = fopen(in, "w");
    fputs("{\"a\":", f);
    for (int i = 0; i < 100000; i++)
        fputc('[', f);
    for (int i = 0; i < 100000; i++)
        fputc(']', f);
    fputs(",\"text\":\"闇バイト\"}\n{\"id\":2,", f);
    for (int i = 0; i < 20000; i++) /* 20,000 keys before the text (0.5 MB) */
        fprintf(f, "\"k%d\":{\"v\":[%d,\"s\"]},", i, i);
    fputs("\"text\":\"闇バイト\"}\n", f);
    fclose(f);
    run_result r = sh1("\"$YAMISCAN\" scan --stats -e 闇バイト %s", in);
    cr_assert_eq(r.status, 0, "%s", r.err);
    char want[700];
    snprintf(want, sizeof want,
             "%s:1: malformed JSON at column 134: nested too deeply (further bad_json lines "
             "are only counted)", in);
    cr_assert(strstr(r.err, want), "%s", r.err);
    cr_assert(strstr(r.out, "\"id\":2,"), "the huge object is scanned: %s", r.out);
    run_free(&r);
}

/* Writes a zstd frame of 1 MB of posts, cut to `cut` bytes (0: whole) or
 * with the byte at `flip` changed; returns the frame's full size. */
static size_t write_damaged(const char *path, size_t cut, long flip)
{
    char *text = malloc(1 << 20);
    size_t n = 0;
    for (int i = 0; n < (1 << 20) - 100; i++)
        n += (size_t)sprintf(text + n, "{\"id\":%d,\"text\":\"投稿 %d 闇バイト\"}\n", i, i * 7);
    char *z = malloc(1 << 20);
    size_t zn = zstd_frame(text, n, 3, z, 1 << 20);
    if (flip >= 0)
        z[flip] ^= 0x10;
    write_file(path, z, cut ? cut : zn);
    free(text);
    free(z);
    return zn;
}

Test(hostile, truncated_bit_flipped_and_huge_window_zstd)
{
    const char *trunc = tmp_path("trunc.zst"), *flip = tmp_path("flip.zst"),
               *win = tmp_path("win.zst");
    size_t whole = write_damaged(trunc, 0, -1), cut = whole * 3 / 4;
    write_damaged(trunc, cut, -1);
    run_result r = sh1("\"$YAMISCAN\" scan -c -e 闇バイト %s", trunc);
    cr_assert_eq(r.status, 2);
    char want[700];
    snprintf(want, sizeof want,
             "yamiscan: %s: truncated zstd stream: input ends inside a frame at compressed "
             "byte offset %zu\n", trunc, cut);
    cr_assert(strstr(r.err, want), "%s", r.err);
    /* The cut line is framed as it is, and reported (then counted). */
    cr_assert(strstr(r.err, ": unterminated string (further bad_json lines are only counted)"),
              "%s", r.err);
    cr_assert_gt(atol(r.out), 0, "posts before the cut are counted: %s", r.out);
    run_free(&r);

    write_damaged(flip, 0, 2000);
    r = sh1("\"$YAMISCAN\" scan -c -e 闇バイト %s", flip);
    cr_assert_eq(r.status, 2);
    /* The damage is found where the decoder's view of the frame breaks (the
     * checksum is checked at what it takes for the frame's end). */
    snprintf(want, sizeof want, "yamiscan: %s: corrupt zstd stream near compressed byte offset ",
             flip);
    cr_assert(strstr(r.err, "doesn't match checksum\n"), "%s", r.err);
    cr_assert(strstr(r.err, want), "frame of %zu bytes: %s", whole, r.err);
    run_free(&r);

    /* A frame that declares a 2 GiB window (what zstd --long=31 writes):
     * refused before any allocation under a lower --zstd-window-max (the
     * memory bound is checked before the next run, which reads it); read
     * by default. */
    static const unsigned char frame[] = {0x28, 0xB5, 0x2F, 0xFD, 0x00, 0xA8,
                                          0x09, 0x00, 0x00, 'x'};
    write_file(win, frame, sizeof frame);
    r = sh1("\"$YAMISCAN\" scan --zstd-window-max 1G -e 闇バイト %s", win);
    cr_assert_eq(r.status, 2);
    snprintf(want, sizeof want,
             "yamiscan: %s: the zstd frame at compressed byte offset 0 needs a window of 2048 "
             "MiB, more than the limit of 1024 MiB set for this input (--zstd-window-max)\n",
             win);
    cr_assert_str_eq(r.err, want);
    run_free(&r);
    if (!getenv("YAMISCAN_SKIP_BIG")) /* valgrind's own memory would count */
        cr_assert_lt(children_peak_mib(), 64);
    /* libzstd mallocs the window and writes only what the frame fills, but
     * MALLOC_PERTURB_ (meson sets it) and sanitizers touch all of it: no
     * memory bound for this run. */
    r = sh1("MALLOC_PERTURB_= \"$YAMISCAN\" scan -e 闇バイト %s", win);
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert_str_eq(r.out, "");
    cr_assert_str_eq(r.err, "");
    run_free(&r);
}

Test(hostile, empty_lexicon_list_and_term)
{
    const char *tsv = tmp_path("empty.tsv"), *list = tmp_path("empty.txt");
    write_file(tsv, "# nothing yet\n\n", 15);
    write_file(list, "\n\n", 2);
    run_result r = sh1("\"$YAMISCAN\" scan -l %s /dev/null", tsv);
    char want[700];
    snprintf(want, sizeof want,
             "yamiscan: %s: no patterns: the lexicon is empty (only comments or blank lines)\n",
             tsv);
    cr_assert_eq(r.status, 2);
    cr_assert_str_eq(r.err, want);
    run_free(&r);
    r = sh1("\"$YAMISCAN\" compile -f %s -o /dev/null", list);
    snprintf(want, sizeof want,
             "yamiscan: %s: no patterns: the lexicon is empty (only comments or blank lines)\n",
             list);
    cr_assert_eq(r.status, 2);
    cr_assert_str_eq(r.err, want);
    run_free(&r);
}

Test(hostile, directory_and_unreadable_inputs)
{
    run_result r = run_sh("\"$YAMISCAN\" scan -e x /tmp /proc/self/mem /nonexistent/file");
    cr_assert_eq(r.status, 2);
    cr_assert_str_eq(r.err, "yamiscan: /tmp: Is a directory\n"
                            "yamiscan: /proc/self/mem: Input/output error\n"
                            "yamiscan: /nonexistent/file: No such file or directory\n");
    run_free(&r);
}

Test(hostile, a_full_file_keeps_no_partial_line)
{
    need_hyperscan();
    /* ulimit -f: writes past 32 KiB fail (EFBIG, as ENOSPC would). */
    const char *out = tmp_path("limited.jsonl");
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "ulimit -f 64; trap '' XFSZ; \"$YAMISCAN\" scan %s/corpora/sample.jsonl.zst > %s",
             getenv("SOURCE_ROOT"), out);
    run_result r = run_sh(cmd);
    cr_assert_eq(r.status, 2);
    cr_assert(!strncmp(r.err, "yamiscan: write error: File too large; ", 39) &&
              strstr(r.err, " flagged posts written before it, nothing after\n"), "%s", r.err);
    size_t n;
    char *text = read_file(out, &n);
    cr_assert_gt(n, 0);
    cr_assert_leq(n, 32768);
    cr_assert_eq(text[n - 1], '\n', "the file ends with a whole line");
    for (char *line = text, *nl; (nl = strchr(line, '\n')); line = nl + 1)
        cr_assert(line[0] == '{' && nl[-1] == '}', "a partial line was left");
    free(text);
    run_free(&r);
}

/* Starts the CLI on a pipe, writes `head` into it, waits until the CLI has
 * read it all and written `lines` output lines (from a pipe a flagged post
 * leaves within 100 ms; under valgrind scanning may take longer than any
 * fixed wait), sends `sig`, and returns the exit status; stdout and stderr
 * go to files. */
static int scan_then_signal(const char *head, int lines, int sig, const char *out,
                            const char *err)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        dup2(p[0], 0);
        close(p[0]);
        close(p[1]);
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(o, 1);
        dup2(e, 2);
        execl(getenv("YAMISCAN"), "yamiscan", "scan", "--stats", "-e", "闇バイト", "-",
              (char *)NULL);
        _exit(127);
    }
    close(p[0]);
    cr_assert_eq(write(p[1], head, strlen(head)), (ssize_t)strlen(head));
    for (int i = 0, left = 1; left > 0 && i < 2000; i++) { /* until the pipe is drained */
        ioctl(p[1], FIONREAD, &left);
        nanosleep(&(struct timespec){0, 5000000}, NULL);
    }
    for (int i = 0; i < 3000; i++) { /* at most 30 s */
        char *o = read_file(out, NULL);
        int n = (int)count_str(o, "\n");
        free(o);
        if (n >= lines)
            break;
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    }
    nanosleep(&(struct timespec){0, 100000000}, NULL); /* into its next read */
    kill(pid, sig);
    int st;
    waitpid(pid, &st, 0);
    close(p[1]);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

Test(hostile, sigterm_and_sigint_stop_cleanly)
{
    /* Three complete posts, two flagged, and the start of a fourth. */
    const char *head = "{\"id\":1,\"text\":\"闇バイト募集\"}\n{\"id\":2,\"text\":\"猫\"}\n"
                       "{\"id\":3,\"text\":\"即日 闇バイト\"}\n{\"id\":4,\"text\":\"闇バイ";
    const char *out = tmp_path("sig.out"), *err = tmp_path("sig.err");
    int sigs[] = {SIGTERM, SIGINT};
    for (int k = 0; k < 2; k++) {
        int status = scan_then_signal(head, 2, sigs[k], out, err);
        cr_assert_eq(status, 128 + sigs[k]);
        char *o = read_file(out, NULL), *e = read_file(err, NULL);
        cr_assert_eq(count_str(o, "\n"), 2, "%s", o);
        cr_assert(strstr(o, "\"id\":1,") && strstr(o, "\"id\":3,"), "%s", o);
        char want[200];
        snprintf(want, sizeof want,
                 "yamiscan: stopped by %s after 3 posts; the flagged posts before the stop are "
                 "all written\n", k == 0 ? "SIGTERM" : "SIGINT");
        cr_assert(strncmp(e, want, strlen(want)) == 0, "%s", e);
        cr_assert(strstr(e, "  posts scanned       3\n"), "stats are printed: %s", e);
        free(o);
        free(e);
    }
}

Test(hostile, a_million_patterns_compile_and_match, .timeout = 600)
{
    if (getenv("YAMISCAN_SKIP_BIG"))
        cr_skip_test("YAMISCAN_SKIP_BIG is set (tools/test's valgrind pass)");
    /* 1,000,000 distinct literals: this compiles (34 s and a 2.1 GB peak on
     * the development machine) and the terms still match. */
    const char *list = tmp_path("million.txt"), *db = tmp_path("million.ysdb"),
               *in = tmp_path("million-in.txt");
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "awk 'BEGIN { for (i = 0; i < 1000000; i++) printf \"用語%%07d号\\n\", i }' > %s && "
             "\"$YAMISCAN\" compile --stats -f %s -o %s", list, list, db);
    run_result r = run_sh(cmd);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "1000000 patterns (1000000 literals, 0 regexes)"), "%s", r.err);
    run_free(&r);
    const char *text = "用語0000000号\n用語0999999号と用語0500000号\n用語1000000号\n";
    write_file(in, text, strlen(text));
    snprintf(cmd, sizeof cmd, "\"$YAMISCAN\" scan -c --input-format lines --db %s %s", db, in);
    r = run_sh(cmd);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "2\n");
    run_free(&r);
}
