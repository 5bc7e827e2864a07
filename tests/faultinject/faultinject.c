/* A fault injector for yamiscan's tests, loaded with LD_PRELOAD (the way
 * SQLite's tests fail every malloc and I/O call in turn):
 *
 *   YS_FAULT=CALL:N[:ERR]   fail the Nth call of CALL (write, read, pread,
 *                           malloc, fsync, rename, pthread_create) with errno
 *                           ERR (a name: ENOSPC, EIO, ENOMEM, EINTR, EAGAIN,
 *                           EFBIG, EXDEV, EACCES; default EIO, ENOMEM for
 *                           malloc, EAGAIN for pthread_create, which returns
 *                           it);
 *                           ERR "short" makes the Nth write write half of
 *                           its bytes (a partial write, no error), and
 *                           "short:ERR2" fails the write after it with ERR2
 *                           (a disk that fills up in the middle of a line)
 *   YS_FAULT_MIN_SIZE=BYTES only allocations of at least BYTES bytes are
 *                           counted and failed as malloc (calloc: both
 *                           factors' product): the Nth large one is the
 *                           same call whichever thread makes it, where the
 *                           Nth of all of them depends on how the threads
 *                           ran
 *   YS_FAULT_COUNT=FILE     at exit, write "CALL COUNT" lines to FILE: how
 *                           many calls of each were made, and "fired 1" if
 *                           the fault was injected
 *
 * Only calls made by yamiscan's own code (the executable and
 * libyamiscan.so) are counted and failed: calls from inside libc (stdio's
 * own writes, strdup), Hyperscan, libzstd or librdkafka's threads pass
 * untouched, so that N names the same call in every run and a failure is
 * one that yamiscan itself must handle. malloc covers calloc and realloc;
 * pread covers pread64. Only a process whose program is named yamiscan…
 * is touched: the `timeout` or `env` that runs it (and inherits
 * LD_PRELOAD) neither fails calls nor overwrites the counts file. */
#undef _FILE_OFFSET_BITS /* pread and pread64 are interposed apart */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

enum { F_WRITE, F_READ, F_PREAD, F_MALLOC, F_FSYNC, F_RENAME, F_THREAD, F_N };
static const char *const names[F_N] = {"write", "read",   "pread",         "malloc",
                                       "fsync", "rename", "pthread_create"};

static unsigned long counts[F_N];
static int fault_call = -1, fault_errno, fault_short, fault_then, fired;
static unsigned long fault_n;
static size_t min_size; /* YS_FAULT_MIN_SIZE */

/* Executable segments of yamiscan's own objects. */
static struct {
    uintptr_t lo, hi;
} own[16];
static int nown, ready;

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static int add_own(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size, (void)data;
    const char *name = info->dlpi_name ? info->dlpi_name : "";
    /* Under AddressSanitizer (preloaded first) a call from yamiscan reaches
     * us through ASan's interceptor, so its callers count as yamiscan's;
     * the file path makes no such calls from other libraries. */
    int mine = name[0] == 0 || strstr(name, "libyamiscan") != NULL ||
               strstr(name, "libasan") != NULL;
    if (!mine || strstr(name, "linux-vdso"))
        return 0;
    for (int i = 0; i < info->dlpi_phnum && nown < 16; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            own[nown].lo = info->dlpi_addr + ph->p_vaddr;
            own[nown].hi = own[nown].lo + ph->p_memsz;
            nown++;
        }
    }
    return 0;
}

static int errno_of(const char *s)
{
    static const struct {
        const char *name;
        int e;
    } t[] = {{"ENOSPC", ENOSPC}, {"EIO", EIO},       {"ENOMEM", ENOMEM}, {"EINTR", EINTR},
             {"EAGAIN", EAGAIN}, {"EFBIG", EFBIG},   {"EXDEV", EXDEV},   {"EACCES", EACCES},
             {"EPIPE", EPIPE},   {"EDQUOT", EDQUOT}, {"EROFS", EROFS}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(s, t[i].name))
            return t[i].e;
    return atoi(s) > 0 ? atoi(s) : EIO;
}

__attribute__((constructor)) static void init(void)
{
    if (strncmp(program_invocation_short_name, "yamiscan", 8) != 0)
        return; /* not ready: nothing counted, nothing failed, no report */
    dl_iterate_phdr(add_own, NULL);
    const char *ms = getenv("YS_FAULT_MIN_SIZE");
    if (ms && *ms)
        min_size = strtoull(ms, NULL, 10);
    const char *f = getenv("YS_FAULT");
    if (f && *f) {
        char call[32];
        const char *c1 = strchr(f, ':');
        if (c1 && (size_t)(c1 - f) < sizeof call) {
            memcpy(call, f, (size_t)(c1 - f));
            call[c1 - f] = 0;
            for (int i = 0; i < F_N; i++)
                if (!strcmp(call, names[i]))
                    fault_call = i;
            fault_n = strtoul(c1 + 1, NULL, 10);
            const char *c2 = strchr(c1 + 1, ':');
            fault_errno = fault_call == F_MALLOC ? ENOMEM : fault_call == F_THREAD ? EAGAIN : EIO;
            if (c2 && !strncmp(c2 + 1, "short", 5)) {
                fault_short = 1;
                if (c2[6] == ':')
                    fault_then = errno_of(c2 + 7);
            }
            else if (c2)
                fault_errno = errno_of(c2 + 1);
        }
    }
    ready = 1;
}

__attribute__((destructor)) static void report(void)
{
    const char *path = getenv("YS_FAULT_COUNT");
    if (!ready || !path || !*path)
        return;
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    for (int i = 0; i < F_N; i++)
        fprintf(f, "%s %lu\n", names[i], counts[i]);
    fprintf(f, "fired %d\n", fired);
    fclose(f);
}

static int is_own(const void *ret)
{
    uintptr_t a = (uintptr_t)ret;
    for (int i = 0; i < nown; i++)
        if (a >= own[i].lo && a < own[i].hi)
            return 1;
    return 0;
}

/* 1: fail this call (errno set); counts it when it is yamiscan's. */
static int hit(int call, const void *ret)
{
    if (!ready || !is_own(ret))
        return 0;
    unsigned long n = __atomic_add_fetch(&counts[call], 1, __ATOMIC_RELAXED);
    if (call == fault_call && fault_then && n == fault_n + 1) {
        errno = fault_then;
        return 1;
    }
    if (call != fault_call || n != fault_n)
        return 0;
    fired = 1;
    if (fault_short)
        return 2;
    errno = fault_errno;
    return 1;
}

#define REAL(type, name, args)                                                    \
    static type(*real_##name) args;                                              \
    if (!real_##name)                                                            \
        *(void **)&real_##name = dlsym(RTLD_NEXT, #name)

ssize_t write(int fd, const void *buf, size_t n)
{
    REAL(ssize_t, write, (int, const void *, size_t));
    int h = hit(F_WRITE, __builtin_return_address(0));
    if (h == 1)
        return -1;
    if (h == 2 && n > 1)
        n /= 2;
    return real_write(fd, buf, n);
}

ssize_t read(int fd, void *buf, size_t n)
{
    REAL(ssize_t, read, (int, void *, size_t));
    if (hit(F_READ, __builtin_return_address(0)) == 1)
        return -1;
    return real_read(fd, buf, n);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
    REAL(ssize_t, pread, (int, void *, size_t, off_t));
    if (hit(F_PREAD, __builtin_return_address(0)) == 1)
        return -1;
    return real_pread(fd, buf, n, off);
}

ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
    REAL(ssize_t, pread64, (int, void *, size_t, off_t));
    if (hit(F_PREAD, __builtin_return_address(0)) == 1)
        return -1;
    return real_pread64(fd, buf, n, off);
}

int fsync(int fd)
{
    REAL(int, fsync, (int));
    if (hit(F_FSYNC, __builtin_return_address(0)) == 1)
        return -1;
    return real_fsync(fd);
}

int rename(const char *from, const char *to)
{
    REAL(int, rename, (const char *, const char *));
    if (hit(F_RENAME, __builtin_return_address(0)) == 1)
        return -1;
    return real_rename(from, to);
}

#ifndef YS_FAULT_NO_MALLOC
/* An allocation of n bytes: below YS_FAULT_MIN_SIZE it is not counted. */
static int hit_alloc(size_t n, const void *ret)
{
    return n >= min_size && hit(F_MALLOC, ret) == 1;
}

void *malloc(size_t n)
{
    if (hit_alloc(n, __builtin_return_address(0)))
        return NULL;
    return __libc_malloc(n);
}

void *calloc(size_t k, size_t n)
{
    if (hit_alloc(n && k > SIZE_MAX / n ? SIZE_MAX : k * n, __builtin_return_address(0)))
        return NULL;
    return __libc_calloc(k, n);
}

void *realloc(void *p, size_t n)
{
    if (hit_alloc(n, __builtin_return_address(0)))
        return NULL;
    return __libc_realloc(p, n);
}
#endif

int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    REAL(int, pthread_create, (pthread_t *, const pthread_attr_t *, void *(*)(void *), void *));
    if (hit(F_THREAD, __builtin_return_address(0)) == 1)
        return errno;
    return real_pthread_create(t, attr, fn, arg);
}
