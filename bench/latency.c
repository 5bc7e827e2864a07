/* latency-probe — how long a flagged post waits for its verdict on a live
 * stream (issue 15): posts are written into the command's standard input at
 * a steady rate, one write(2) per post, and each verdict line read from its
 * standard output is matched to its post by "line" (the post's line number
 * in the stream). Latency: from the write of a post to the read of its
 * verdict. Prints one JSON line with the posts written, the verdicts, and
 * the latency percentiles in milliseconds.
 *
 *   latency-probe [--rate N] [--seconds S] POSTS.jsonl -- COMMAND [ARG...]
 *
 * POSTS.jsonl is cycled through for S seconds (default 10) at N posts/s
 * (default 1000); COMMAND is run with no shell, e.g.
 * `build/tools/yamiscan scan -`. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "feed.h"

typedef struct {
    char **line;
    size_t *len, nlines;
    double rate, seconds;
    int fd;
    double *sent; /* per post written */
    size_t nsent;
} writer;

static void *write_posts(void *arg)
{
    writer *w = arg;
    size_t total = (size_t)(w->rate * w->seconds);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t k = 0; k < total; k++) {
        double at = (double)k / w->rate;
        struct timespec ts = t0;
        ts.tv_sec += (time_t)at;
        ts.tv_nsec += (long)((at - (double)(time_t)at) * 1e9);
        if (ts.tv_nsec >= 1000000000L)
            ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
            ;
        size_t i = k % w->nlines;
        w->sent[k] = feed_now();
        const char *p = w->line[i];
        size_t n = w->len[i];
        while (n > 0) {
            ssize_t r = write(w->fd, p, n);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                perror("latency-probe: write");
                goto out;
            }
            p += r, n -= (size_t)r;
        }
        w->nsent = k + 1;
    }
out:
    close(w->fd);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(const double *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

int main(int argc, char **argv)
{
    double rate = 1000, seconds = 10;
    const char *posts = NULL;
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--"); i++) {
        if (!strcmp(argv[i], "--rate") && i + 1 < argc)
            rate = atof(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else
            posts = argv[i];
    }
    if (!posts || i + 1 >= argc || rate <= 0 || seconds <= 0) {
        fprintf(stderr, "usage: latency-probe [--rate N] [--seconds S] POSTS.jsonl -- COMMAND "
                        "[ARG...]\n");
        return 2;
    }
    char **cmd = argv + i + 1;
    signal(SIGPIPE, SIG_IGN);

    /* The posts, one line each, newline included. */
    size_t len;
    char *data = feed_read(posts, &len);
    writer w = {0};
    size_t cap = 1024;
    w.line = malloc(cap * sizeof *w.line);
    w.len = malloc(cap * sizeof *w.len);
    for (char *p = data, *nl; p < data + len; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(data + len - p));
        if (!nl)
            break;
        if (w.nlines == cap) {
            cap *= 2;
            w.line = realloc(w.line, cap * sizeof *w.line);
            w.len = realloc(w.len, cap * sizeof *w.len);
        }
        w.line[w.nlines] = p;
        w.len[w.nlines++] = (size_t)(nl + 1 - p);
    }
    if (w.nlines == 0) {
        fprintf(stderr, "latency-probe: %s holds no lines\n", posts);
        return 2;
    }
    w.rate = rate, w.seconds = seconds;
    size_t total = (size_t)(rate * seconds);
    w.sent = calloc(total ? total : 1, sizeof *w.sent);
    double *got = calloc(total ? total : 1, sizeof *got);

    int in[2], out[2];
    if (pipe(in) || pipe(out)) {
        perror("latency-probe: pipe");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("latency-probe: fork");
        return 2;
    }
    if (pid == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        execvp(cmd[0], cmd);
        perror("latency-probe: exec");
        _exit(127);
    }
    close(in[0]), close(out[1]);
    w.fd = in[1];
    pthread_t t;
    pthread_create(&t, NULL, write_posts, &w);

    /* Verdicts: one JSON object a line, its post by "line":N. */
    FILE *f = fdopen(out[0], "r");
    char *buf = NULL;
    size_t bcap = 0, verdicts = 0, unmatched = 0;
    while (getline(&buf, &bcap, f) > 0) {
        double now = feed_now();
        const char *l = strstr(buf, "\"line\":");
        unsigned long long n = l ? strtoull(l + 7, NULL, 10) : 0;
        if (n == 0 || n > total || got[n - 1] != 0) {
            unmatched++;
            continue;
        }
        got[n - 1] = now;
        verdicts++;
    }
    pthread_join(t, NULL);
    int status;
    waitpid(pid, &status, 0);

    double *lat = malloc((verdicts ? verdicts : 1) * sizeof *lat);
    size_t nl = 0;
    for (size_t k = 0; k < total; k++)
        if (got[k] != 0 && w.sent[k] != 0)
            lat[nl++] = (got[k] - w.sent[k]) * 1000;
    qsort(lat, nl, sizeof *lat, cmp_double);
    printf("{\"rate\":%.0f,\"seconds\":%.1f,\"posts_written\":%zu,\"verdicts\":%zu,"
           "\"unmatched\":%zu,\"exit\":%d,\"p50_ms\":%.1f,\"p90_ms\":%.1f,\"p99_ms\":%.1f,"
           "\"p999_ms\":%.1f,\"max_ms\":%.1f}\n",
           rate, seconds, w.nsent, verdicts, unmatched,
           WIFEXITED(status) ? WEXITSTATUS(status) : -1, pct(lat, nl, 50), pct(lat, nl, 90),
           pct(lat, nl, 99), pct(lat, nl, 99.9), nl ? lat[nl - 1] : 0);
    free(buf), free(lat), free(got), free(w.sent), free(w.line), free(w.len), free(data);
    fclose(f);
    return 0;
}
