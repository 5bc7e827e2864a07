/* Fuzz target: the framer, with the input split at arbitrary points. The
 * first bytes choose the format, the post size limit and the split pattern;
 * the posts (text, id, line) and every counter must be the same as when the
 * whole input is fed at once — framing may not depend on how reads fall. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yamiscan.h"

typedef struct {
    uint64_t hash, posts;
} digest;

static void mix(digest *d, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        d->hash = (d->hash ^ b[i]) * 0x100000001b3ULL;
}

static int on_batch(void *ctx, ys_batch *batch)
{
    digest *d = ctx;
    for (size_t i = 0; i < ys_batch_count(batch); i++) {
        ys_post p;
        ys_batch_post(batch, i, &p);
        mix(d, p.text, p.len);
        mix(d, "|", 1);
        if (p.id)
            mix(d, p.id, p.id_len);
        mix(d, &p.line, sizeof p.line);
        d->posts++;
    }
    return 0;
}

/* Frames data[0..size) fed in pieces of the lengths `splits` gives (cycled);
 * no splits: all at once. Returns the digest with the counters mixed in. */
static digest frame(const ys_frame_options *o, size_t batch, const uint8_t *data, size_t size,
                    const uint8_t *splits, size_t nsplits)
{
    digest d = {0xcbf29ce484222325ULL, 0};
    ys_framer *fr;
    ys_error err;
    if (ys_framer_new(o, "fuzz", batch, on_batch, &d, &fr, &err) != YS_OK)
        abort();
    int rc = YS_OK;
    for (size_t at = 0, k = 0; at < size && rc == YS_OK; k++) {
        size_t n = nsplits ? 1 + splits[k % nsplits] : size;
        if (n > size - at)
            n = size - at;
        rc = ys_framer_feed(fr, (const char *)data + at, n, &err);
        at += n;
    }
    if (rc == YS_OK)
        rc = ys_framer_finish(fr, &err);
    else
        (void)ys_framer_flush(fr); /* --strict: the posts before the bad line, as the pipeline does */
    uint64_t counters[3 + YS_PROBLEM_COUNT] = {ys_framer_lines(fr), ys_framer_posts(fr),
                                               ys_framer_blank_lines(fr)};
    for (int k = 0; k < YS_PROBLEM_COUNT; k++)
        counters[3 + k] = ys_framer_problems(fr, k);
    mix(&d, counters, sizeof counters);
    mix(&d, &rc, sizeof rc);
    if (counters[1] != d.posts)
        abort(); /* every post counted was handed on */
    ys_framer_free(fr);
    return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    static const char *const where[] = {"a.b=1", "c=\"x\"", "l[]=ja"}; /* selections, sometimes */
    static const char *const ids[] = {"id", "a[].b"}; /* joined ids (one through an array), sometimes */
    ys_frame_options o = {.format = data[0] % 3, .max_post = 1 + (size_t)data[1] * 3,
                          .strict = data[0] >> 7, .where = where,
                          .nwhere = (size_t)(data[0] >> 5 & 3), .id_fields = ids,
                          .nid_fields = (size_t)(data[0] >> 3 & 1) * 2};
    size_t batch = 16 + (size_t)data[2] * 5, nsplits = 1 + data[3] % 8;
    if (size < 4 + nsplits)
        return 0;
    const uint8_t *splits = data + 4, *in = data + 4 + nsplits;
    size_t n = size - 4 - nsplits;
    digest whole = frame(&o, batch, in, n, NULL, 0);
    digest split = frame(&o, batch, in, n, splits, nsplits);
    if (whole.hash != split.hash || whole.posts != split.posts)
        abort();
    return 0;
}
