/* Shared by the benchmark programs (feed.h). */
#include "feed.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

double feed_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double feed_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

void feed_check(int rc, const ys_error *err)
{
    if (rc != YS_OK) {
        fprintf(stderr, "bench: %s\n", err->message);
        exit(2);
    }
}

/* The whole decoded input, read with the library's source. */
char *feed_read(const char *path, size_t *len)
{
    ys_error err;
    ys_source *src;
    feed_check(ys_source_open(path, &src, &err), &err);
    size_t cap = 64 << 20, n = 0, got;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fprintf(stderr, "bench: out of memory\n");
            exit(2);
        }
        if (n == cap)
            buf = realloc(buf, cap *= 2);
        else {
            feed_check(ys_source_read(src, buf + n, cap - n, &got, &err), &err);
            if (got == 0)
                break;
            n += got;
        }
    }
    ys_source_close(src);
    *len = n;
    return buf;
}

static int on_batch(void *ctx, ys_batch *b)
{
    frames *f = ctx;
    size_t n = ys_batch_count(b);
    f->posts += n;
    if (!f->keep)
        return 0;
    if (f->nkept == f->cap &&
        !(f->kept = realloc(f->kept, (f->cap = f->cap ? 2 * f->cap : 256) * sizeof *f->kept)))
        return YS_ENOMEM;
    ys_batch *copy = ys_batch_new(1 << 20);
    if (!copy)
        return YS_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        ys_post p;
        ys_batch_post(b, i, &p);
        int rc = ys_batch_add(copy, p.text, p.len, p.id, p.id_len, p.line);
        if (rc != YS_OK)
            return rc;
    }
    f->kept[f->nkept++] = copy;
    return 0;
}

void feed_frame(const char *name, const char *data, size_t len, frames *f)
{
    ys_error err;
    ys_framer *fr;
    ys_frame_options fo = {0};
    feed_check(ys_framer_new(&fo, name, 1 << 20, on_batch, f, &fr, &err), &err);
    feed_check(ys_framer_feed(fr, data, len, &err), &err);
    feed_check(ys_framer_finish(fr, &err), &err);
    ys_framer_free(fr);
}


void feed_free(frames *f)
{
    for (size_t b = 0; b < f->nkept; b++)
        ys_batch_free(f->kept[b]);
    free(f->kept);
}
