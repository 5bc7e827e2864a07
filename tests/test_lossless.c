/* Nothing lost: generated feeds, with malformed lines mixed in, cut into
 * zstd frames of random sizes and written into the CLI's stdin in random
 * pieces or given as a file (then decoded frame-parallel), must give exactly the flagged post ids of a reference matcher
 * (memmem of the folded terms over the folded, decoded texts) with any
 * number of scanning threads, and posts scanned + lines in error must equal
 * the lines written. */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"
#include "yamiscan.h"

/* Written folded (ﾎﾜｲﾄ is matched as ホワイト, in either width). */
static const char *const terms[] = {"闇バイト", "受け子", "案件", "ホワイト", "カレー", "即日"};
#define NTERMS (sizeof terms / sizeof terms[0])

static uint64_t rng;
static uint64_t rnd(void) /* splitmix64 */
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

typedef struct {
    char *data;
    size_t len, cap;
} buf;

static void put(buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = 2 * (b->len + n);
        b->data = realloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

/* Runs the CLI with `in` written to its stdin in random pieces, or (when
 * `file` is set) as a file named on its command line, where a zstd feed of
 * many frames is decoded frame-parallel; stdout and stderr go to files.
 * Returns the exit status. */
static int run_cli(const buf *in, const char *out, const char *err, unsigned threads, int file)
{
    const char *input = "-";
    if (file) {
        input = tmp_path("lossless.in");
        write_file(input, in->data, in->len);
    }
    char tn[16];
    snprintf(tn, sizeof tn, "%u", threads);
    int p[2];
    cr_assert_eq(pipe(p), 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[0], 0);
        close(p[0]);
        close(p[1]);
        dup2(open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644), 1);
        dup2(open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644), 2);
        const char *argv[7 + 2 * NTERMS] = {"yamiscan", "scan", "--stats", "--threads", tn};
        int k = 5;
        for (size_t i = 0; i < NTERMS; i++) {
            argv[k++] = "-e";
            argv[k++] = terms[i];
        }
        argv[k++] = input;
        argv[k] = NULL;
        execv(getenv("YAMISCAN"), (char *const *)argv);
        _exit(127);
    }
    close(p[0]);
    for (size_t at = 0; !file && at < in->len;) {
        size_t n = 1 + rnd() % (rnd() % 2 ? 64 : 70000);
        if (n > in->len - at)
            n = in->len - at;
        cr_assert_eq(write(p[1], in->data + at, n), (ssize_t)n);
        at += n;
    }
    close(p[1]);
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void one_round(uint64_t seed)
{
    rng = seed;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "\"$GEN_POSTS\" --posts 4000 --seed %llu", (unsigned long long)seed);
    run_result gen = run_sh(cmd);
    cr_assert_eq(gen.status, 0, "%s", gen.err);

    /* The feed: generated lines with malformed ones inserted; the reference
     * verdict for each good line. */
    static const char *const bad[] = {"{\"id\":1,\"text\":\"闇バイト", "not json 闇バイト",
                                      "{\"id\":5,\"body\":\"受け子\"}", "[1,2,3]"};
    buf feed = {0};
    long *want = malloc(5000 * sizeof *want);
    size_t nwant = 0, lines = 0;
    const char *fields[] = {"text"};
    char text[65536];
    for (char *line = gen.out, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
        if (rnd() % 50 == 0) {
            const char *b = bad[rnd() % 4];
            put(&feed, b, strlen(b));
            put(&feed, "\n", 1);
            lines++;
        }
        size_t tl, idl;
        const char *id;
        ys_error err;
        cr_assert_eq(ys_json_extract(line, (size_t)(nl - line), fields, 1, "id", text,
                                     sizeof text, &tl, &id, &idl, &err),
                     YS_OK);
        static char folded[3 * sizeof text];
        static uint32_t from[3 * sizeof text], to[3 * sizeof text];
        size_t fl = ys_fold(text, tl, folded, from, to);
        const char *scanned = fl == YS_FOLD_UNCHANGED ? text : folded;
        fl = fl == YS_FOLD_UNCHANGED ? tl : fl;
        for (size_t t = 0; t < NTERMS; t++)
            if (memmem(scanned, fl, terms[t], strlen(terms[t]))) {
                want[nwant++] = atol(id);
                break;
            }
        put(&feed, line, (size_t)(nl - line) + 1);
        lines++;
    }

    /* As zstd frames of random sizes (cut anywhere, even inside a character),
     * or plain for one round in four. */
    buf in = {0};
    if (rnd() % 4 == 0) {
        put(&in, feed.data, feed.len);
    } else {
        char *z = malloc(feed.len + 65536);
        for (size_t at = 0; at < feed.len;) {
            size_t n = 1 + rnd() % (feed.len / (1 + rnd() % 8) + 1);
            if (n > feed.len - at)
                n = feed.len - at;
            size_t zn = zstd_frame(feed.data + at, n, 1 + (int)(rnd() % 5), z, feed.len + 65536);
            put(&in, z, zn);
            at += n;
        }
        free(z);
    }

    const char *out = tmp_path("lossless.out"), *err = tmp_path("lossless.err");
    static const unsigned thread_counts[] = {1, 2, 3, 4, 8};
    unsigned threads = thread_counts[rnd() % 5];
    int status = run_cli(&in, out, err, threads, (int)(rnd() % 2));
    char *o = read_file(out, NULL), *e = read_file(err, NULL);
    cr_assert_eq(status, nwant ? 0 : 1, "seed %llu, %u threads: %s", (unsigned long long)seed,
                 threads, e);

    long *got = malloc(5000 * sizeof *got);
    size_t ngot = 0;
    for (char *p = strstr(o, "\"id\":"); p; p = strstr(p + 5, "\"id\":"))
        got[ngot++] = atol(p + 5);
    for (size_t i = 1; i < ngot; i++) /* ids grow through the feed: output in input order */
        cr_assert_gt(got[i], got[i - 1], "seed %llu, %u threads: out of order",
                     (unsigned long long)seed, threads);
    qsort(want, nwant, sizeof *want, cmp_long);
    qsort(got, ngot, sizeof *got, cmp_long);
    cr_assert_eq(ngot, nwant, "seed %llu, %u threads: %zu flagged, reference %zu",
                 (unsigned long long)seed, threads, ngot, nwant);
    for (size_t i = 0; i < nwant; i++)
        cr_assert_eq(got[i], want[i], "seed %llu: post %ld", (unsigned long long)seed, want[i]);

    /* Every line is accounted for: scanned, or counted as a problem. */
    unsigned long long scanned = 0, bad_json = 0, no_text = 0;
    char *s;
    cr_assert((s = strstr(e, "\n  posts scanned")) && sscanf(s, " posts scanned %llu", &scanned) == 1);
    cr_assert((s = strstr(e, "\n  bad_json")) && sscanf(s, " bad_json %llu", &bad_json) == 1);
    cr_assert((s = strstr(e, "\n  no_text")) && sscanf(s, " no_text %llu", &no_text) == 1);
    cr_assert_eq(scanned, 4000);
    cr_assert_eq(scanned + bad_json + no_text, lines, "seed %llu: %s", (unsigned long long)seed, e);

    free(o);
    free(e);
    free(got);
    free(want);
    free(feed.data);
    free(in.data);
    run_free(&gen);
}

Test(lossless, random_frames_and_pipe_writes_lose_nothing, .timeout = 300)
{
    for (uint64_t seed = 1; seed <= 10; seed++)
        one_round(seed);
}
