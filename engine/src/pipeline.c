/* One input from source to emitter. Single-threaded: the stages run inline,
 * batch by batch; output is flushed after each batch so that everything
 * before a failure has been written. */
#include "batch.h"
#include "db.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define READ_CHUNK (1u << 18)

typedef struct {
    const ys_db *db;
    ys_scanner *sc;
    ys_scorer *scorer;
    const ys_pipeline_options *opt;
    ys_counters *c;
    ys_error *err;
} run;

static int output_error(run *r)
{
    if (errno == EPIPE)
        return ys_fail(r->err, YS_EPIPE, "output closed");
    return ys_fail(r->err, YS_EIO, "write error: %s", strerror(errno));
}

static int on_batch(void *ctx, ys_batch *b)
{
    run *r = ctx;
    const ys_hit *hits;
    size_t nhits;
    int rc = ys_scan_batch(r->sc, b, &hits, &nhits, r->err);
    if (rc != YS_OK)
        return rc;
    ys_counters *c = r->c;
    c->posts += b->n;
    c->hits += nhits;
    c->problems[YS_PROBLEM_INVALID_UTF8] += ys_scanner_invalid_utf8(r->sc);
    c->posts_folded += ys_scanner_folded(r->sc);
    for (size_t i = 0; i < nhits;) {
        size_t j = i;
        while (j < nhits && hits[j].post == hits[i].post)
            j++;
        ys_verdict v;
        ys_score_post(r->scorer, hits + i, j - i, &v);
        if (c->category_hits)
            for (size_t k = i; k < j; k++)
                c->category_hits[r->db->t.cat_of[hits[k].pattern]]++;
        if (v.flagged) {
            c->posts_flagged++;
            ys_post p;
            ys_batch_post(b, hits[i].post, &p);
            rc = ys_emit_post(r->opt->out, &r->opt->emit, r->db, b->source, &p, &v, hits + i,
                              j - i);
            if (rc != YS_OK)
                return output_error(r);
        }
        i = j;
    }
    if (fflush(r->opt->out) != 0)
        return output_error(r);
    if (r->opt->on_progress)
        r->opt->on_progress(r->opt->progress_ctx, c);
    return YS_OK;
}

int ys_pipeline_run(const ys_db *db, ys_scanner *sc, const ys_pipeline_options *opt,
                    const char *path, ys_counters *c, ys_error *err)
{
    size_t batch = opt->batch_bytes ? opt->batch_bytes : (1u << 20);
    ys_source *src;
    int rc = ys_source_open(path, &src, err);
    if (rc != YS_OK)
        return rc;
    run r = {db, sc, NULL, opt, c, err};
    ys_framer *fr = NULL;
    char *buf = NULL;
    rc = ys_scorer_new(db, &r.scorer, err);
    if (rc == YS_OK && opt->threshold)
        ys_scorer_set_threshold(r.scorer, *opt->threshold);
    if (rc == YS_OK)
        rc = ys_framer_new(&opt->frame, ys_source_name(src), batch, on_batch, &r, &fr, err);
    if (rc == YS_OK && !(buf = malloc(READ_CHUNK)))
        rc = ys_fail(err, YS_ENOMEM, "out of memory");
    if (rc != YS_OK) {
        ys_framer_free(fr);
        ys_scorer_free(r.scorer);
        ys_source_close(src);
        return rc;
    }
    c->inputs++;
    int src_rc = YS_OK;
    ys_error src_err = {0};
    uint64_t seen_in = 0;
    for (;;) {
        size_t got;
        if (opt->stop && *opt->stop) {
            rc = ys_fail(err, YS_EINTR, "stopped by a signal");
            break;
        }
        src_rc = ys_source_read(src, buf, READ_CHUNK, &got, &src_err);
        if (src_rc == YS_EINTR) {
            src_rc = YS_OK;
            continue; /* the loop's head decides whether it was a stop */
        }
        /* Byte counters move as the input is read, for progress displays. */
        c->bytes_in += ys_source_bytes_in(src) - seen_in;
        seen_in = ys_source_bytes_in(src);
        c->bytes_decoded += got;
        if (got)
            rc = ys_framer_feed(fr, buf, got, err);
        if (rc != YS_OK || src_rc != YS_OK || got == 0)
            break;
    }
    /* On a damaged stream, the posts before the damage are still scanned and
     * written (a partial last line is framed as it is) before the error. */
    if (rc == YS_OK)
        rc = ys_framer_finish(fr, err);
    else if (rc == YS_EFORMAT || rc == YS_EINTR)
        (void)ys_framer_flush(fr); /* the complete posts before the stop are written */
    if (rc == YS_OK && src_rc != YS_OK) {
        rc = src_rc;
        if (err)
            *err = src_err;
    }
    c->lines += ys_framer_lines(fr);
    c->blank_lines += ys_framer_blank_lines(fr);
    for (int k = 0; k < YS_PROBLEM_COUNT; k++)
        if (k != YS_PROBLEM_INVALID_UTF8) /* counted by the scanner */
            c->problems[k] += ys_framer_problems(fr, k);
    ys_framer_free(fr);
    ys_scorer_free(r.scorer);
    ys_source_close(src);
    free(buf);
    return rc;
}
