/* Verdicts without delay on a live stream: a post written into `yamiscan
 * scan -` whose writer then stays quiet (the pipe open) gets its verdict
 * within latency_ms, not at the end of input or when a batch fills; a
 * first line shorter than a zstd magic number is not held back either;
 * with --line-buffered, and with one and with several threads. */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

typedef struct {
    pid_t pid;
    int in, out; /* our ends: yamiscan's stdin and stdout */
} child;

static child start(const char *const *args)
{
    const char *bin = getenv("YAMISCAN");
    cr_assert_not_null(bin, "$YAMISCAN is not set");
    int in[2], out[2];
    cr_assert_eq(pipe(in), 0);
    cr_assert_eq(pipe(out), 0);
    signal(SIGPIPE, SIG_IGN);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        char *argv[16];
        int n = 0;
        argv[n++] = (char *)bin;
        for (; args[n - 1] && n < 15; n++)
            argv[n] = (char *)args[n - 1];
        argv[n] = NULL;
        execv(bin, argv);
        _exit(127);
    }
    close(in[0]), close(out[1]);
    return (child){pid, in[1], out[0]};
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads from c's stdout until `want` appears or `seconds` pass; returns
 * whether it appeared. */
static int wait_for(child *c, const char *want, double seconds, char *buf, size_t cap)
{
    size_t len = strlen(buf);
    double end = now() + seconds;
    while (!strstr(buf, want)) {
        int left = (int)((end - now()) * 1000);
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = c->out, .events = POLLIN};
        if (poll(&p, 1, left) <= 0)
            continue;
        ssize_t n = read(c->out, buf + len, cap - 1 - len);
        if (n <= 0)
            return 0;
        len += (size_t)n;
        buf[len] = '\0';
    }
    return 1;
}

static void put(child *c, const char *s)
{
    cr_assert_eq(write(c->in, s, strlen(s)), (ssize_t)strlen(s));
}

static void finish(child *c)
{
    close(c->in);
    char tmp[4096];
    while (read(c->out, tmp, sizeof tmp) > 0)
        ;
    close(c->out);
    int st;
    cr_assert_eq(waitpid(c->pid, &st, 0), c->pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "yamiscan exit status %d", st);
}

/* Writes the posts one by one, each time waiting (pipe still open) for its
 * verdict. The generous limit is for sanitizer and valgrind runs; without
 * the deadline the verdicts would only come when stdin closes. */
static void verdicts_arrive(const char *const *args, const char *post1, const char *post2)
{
    child c = start(args);
    char buf[8192] = "";
    put(&c, post1);
    cr_assert(wait_for(&c, "\"line\":1,", 10, buf, sizeof buf),
              "no verdict for the first post while the input stays open; got '%s'", buf);
    put(&c, post2);
    cr_assert(wait_for(&c, "\"line\":2,", 10, buf, sizeof buf),
              "no verdict for the second post while the input stays open; got '%s'", buf);
    finish(&c);
}

Test(latency, a_short_first_line_is_not_held_back, .timeout = 60)
{
    const char *args[] = {"scan", "--threads", "1", "--input-format", "lines", "-e", "x", "-",
                          NULL};
    verdicts_arrive(args, "x\n", "xx\n");
}

Test(latency, jsonl_on_one_thread, .timeout = 60)
{
    const char *args[] = {"scan", "--threads", "1", "-e", "闇バイト", "-", NULL};
    verdicts_arrive(args, "{\"id\":1,\"text\":\"闇バイト\"}\n", "{\"id\":2,\"text\":\"闇バイト!\"}\n");
}

Test(latency, jsonl_on_several_threads, .timeout = 60)
{
    const char *args[] = {"scan", "--threads", "3", "-e", "闇バイト", "-", NULL};
    verdicts_arrive(args, "{\"id\":1,\"text\":\"闇バイト\"}\n", "{\"id\":2,\"text\":\"闇バイト!\"}\n");
}

Test(latency, line_buffered, .timeout = 60)
{
    const char *args[] = {"scan", "--line-buffered", "--threads", "2", "-e", "受け子", "-", NULL};
    verdicts_arrive(args, "{\"text\":\"受け子\"}\n", "{\"text\":\"受け子\"}\n");
}

Test(latency, zstd_on_stdin, .timeout = 60)
{
    /* A zstd frame written whole, then the pipe kept open. */
    const char *args[] = {"scan", "--input-format", "lines", "-e", "x", "-", NULL};
    char frame[256];
    size_t n = zstd_frame("x\n", 2, 3, frame, sizeof frame);
    child c = start(args);
    cr_assert_eq(write(c.in, frame, n), (ssize_t)n);
    char buf[8192] = "";
    cr_assert(wait_for(&c, "\"line\":1,", 10, buf, sizeof buf),
              "no verdict while the compressed input stays open; got '%s'", buf);
    finish(&c);
}
