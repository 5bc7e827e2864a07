/* Shared by the benchmark programs: timing, and a feed read into memory with the
 * library's source, and framed into batches kept in memory. */
#ifndef YS_BENCH_FEED_H
#define YS_BENCH_FEED_H

#include <stdint.h>

#include "yamiscan.h"

/* Monotonic seconds, and the median of v[0..n) (sorts v). */
double feed_now(void);
double feed_median(double *v, int n);

/* Exits with status 2 and the error's message if rc is not YS_OK. */
void feed_check(int rc, const ys_error *err);

/* The whole decoded input (zstd or plain). */
char *feed_read(const char *path, size_t *len);

/* Framed posts: either just counted, or kept (copied into batches). */
typedef struct {
    int keep;
    ys_batch **kept;
    size_t nkept, cap;
    uint64_t posts;
} frames;

/* Frames data[0..len) (JSONL, field "text") into f; frees nothing. */
void feed_frame(const char *name, const char *data, size_t len, frames *f);
void feed_free(frames *f);

#endif
