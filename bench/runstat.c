/* runstat — runs a command and prints how long it took and how much memory
 * it used, for the benchmark suite:
 *
 *   runstat [--timeout SECONDS] [--out FILE] [--cpu] COMMAND [ARG]...
 *
 * prints "WALL_SECONDS MAX_RSS_KIB STATUS" on standard output. STATUS is the
 * command's exit status, 128+N when signal N ended it, or "timeout" when it
 * ran past SECONDS and was killed with its whole process group (so that
 * `sh -c 'a | b'` stops too). MAX_RSS_KIB is the largest resident set of the
 * command or any process it waited for.
 * With --cpu a fourth field follows: the CPU seconds (user + system) of the
 * command and the processes it waited for, steadier than wall time on a
 * shared machine. The command's standard output goes to FILE (default
 * /dev/null).
 */
#define _DEFAULT_SOURCE /* wait4 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    double timeout = 0;
    const char *out = "/dev/null";
    int i = 1, cpu = 0;
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (!strcmp(argv[i], "--cpu")) {
            cpu = 1;
            i--;
        } else if (!strcmp(argv[i], "--timeout"))
            timeout = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--out"))
            out = argv[i + 1];
        else
            break;
    }
    if (i >= argc || argv[i][0] == '-') {
        fprintf(stderr, "usage: runstat [--timeout SECONDS] [--out FILE] [--cpu] COMMAND [ARG]...\n"
                        "Prints WALL_SECONDS MAX_RSS_KIB STATUS [CPU_SECONDS] for the command.\n");
        return 2;
    }
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0) {
        perror("runstat: fork");
        return 2;
    }
    if (pid == 0) {
        setpgid(0, 0);
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || dup2(fd, 1) < 0) {
            fprintf(stderr, "runstat: %s: %s\n", out, strerror(errno));
            _exit(127);
        }
        execvp(argv[i], argv + i);
        fprintf(stderr, "runstat: %s: %s\n", argv[i], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    int status, timed_out = 0;
    struct rusage ru;
    for (;;) {
        pid_t r = wait4(pid, &status, timeout > 0 ? WNOHANG : 0, &ru);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            perror("runstat: wait");
            return 2;
        }
        if (timeout > 0 && now() - t0 > timeout && !timed_out) {
            kill(-pid, SIGKILL);
            timed_out = 1;
        }
        if (r == 0)
            nanosleep(&(struct timespec){0, 2000000}, NULL);
    }
    double wall = now() - t0;
    /* The command's children (a pipeline's processes) count too. */
    struct rusage kids;
    getrusage(RUSAGE_CHILDREN, &kids);
    long rss = ru.ru_maxrss > kids.ru_maxrss ? ru.ru_maxrss : kids.ru_maxrss;
    if (timed_out)
        printf("%.4f %ld timeout", wall, rss);
    else
        printf("%.4f %ld %d", wall, rss,
               WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    if (cpu) {
        /* RUSAGE_CHILDREN: the command, reaped, and what it waited for */
        printf(" %.4f", (double)kids.ru_utime.tv_sec + kids.ru_utime.tv_usec / 1e6 +
                            (double)kids.ru_stime.tv_sec + kids.ru_stime.tv_usec / 1e6);
    }
    putchar('\n');
    return 0;
}
