/* One input from source to emitter. The calling thread reads, decompresses
 * and frames; each full batch is then scanned, scored and formatted either
 * inline (one thread) or by a pool of workers, each with its own scanner and
 * scorer. Workers take batches in input order and format their flagged
 * posts into memory; the calling thread writes each batch's output in input
 * order and flushes it, so that everything before a failure is written. */
#include "batch.h"
#include "db.h"
#include "latency.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK (1u << 18)

/* ---- one batch: scan, score, format ---- */

typedef struct {
    uint64_t posts, flagged, folded, hits, invalid_utf8;
    uint64_t *cat_hits; /* per category */
} tally;

static int output_error(ys_error *err, int e, const ys_counters *c)
{
    if (e == EPIPE)
        return ys_fail(err, YS_EPIPE, "output closed");
    return ys_fail(err, YS_EIO, "write error: %s; %llu flagged post%s written before it, "
                   "nothing after", strerror(e), (unsigned long long)c->posts_written,
                   c->posts_written == 1 ? "" : "s");
}

/* A batch that could not be scanned or scored (`cause`, code rc): as a
 * write error, the message says what was written before it. */
static int batch_error(ys_error *err, int rc, const ys_error *cause, const ys_counters *c)
{
    char why[sizeof cause->message];
    snprintf(why, sizeof why, "%s", cause->message);
    return ys_fail(err, rc, "%s; %llu flagged post%s written before it, nothing after", why,
                   (unsigned long long)c->posts_written, c->posts_written == 1 ? "" : "s");
}

static int process(const ys_db *db, ys_scanner *sc, ys_scorer *scorer,
                   const ys_emit_options *emit, const ys_batch *b, FILE *out, tally *t,
                   ys_error *err)
{
    const ys_hit *hits;
    size_t nhits;
    int rc = ys_scan_batch(sc, b, &hits, &nhits, err);
    if (rc != YS_OK)
        return rc;
    t->posts += b->n;
    t->hits += nhits;
    t->invalid_utf8 += ys_scanner_invalid_utf8(sc);
    t->folded += ys_scanner_folded(sc);
    for (size_t i = 0; i < nhits;) {
        size_t j = i;
        while (j < nhits && hits[j].post == hits[i].post)
            j++;
        ys_verdict v;
        const ys_batch_entry *pr = &b->posts[hits[i].post];
        const char *folded = NULL; /* the scanner's, which the model reads */
        size_t flen = 0;
        if (!ys_scanner_folded_text(sc, hits[i].post, &folded, &flen))
            folded = NULL;
        if (ys_score_folded(scorer, b->text + pr->off, pr->len, folded, flen, hits + i, j - i,
                            &v) != YS_OK)
            return ys_fail(err, YS_ENOMEM, "out of memory while scoring");
        for (size_t k = i; k < j; k++)
            t->cat_hits[db->t.cat_of[hits[k].pattern]]++;
        if (v.flagged) {
            t->flagged++;
            ys_post p;
            ys_batch_post(b, hits[i].post, &p);
            if (ys_emit_post(out, emit, db, b->source, &p, &v, hits + i, j - i) != YS_OK)
                return ys_fail(err, YS_ENOMEM, "out of memory"); /* `out` is in memory */
        }
        i = j;
    }
    return YS_OK;
}

/* Adds a batch's tally to the run's counters and zeroes it. */
static void merge(ys_counters *c, tally *t, size_t ncats)
{
    c->posts += t->posts;
    c->posts_flagged += t->flagged;
    c->posts_folded += t->folded;
    c->hits += t->hits;
    c->problems[YS_PROBLEM_INVALID_UTF8] += t->invalid_utf8;
    for (size_t k = 0; k < ncats; k++) {
        if (c->category_hits)
            c->category_hits[k] += t->cat_hits[k];
        t->cat_hits[k] = 0;
    }
    t->posts = t->flagged = t->folded = t->hits = t->invalid_utf8 = 0;
}

/* ---- the worker pool ---- */

enum { JOB_FREE, JOB_QUEUED, JOB_RUNNING, JOB_DONE };

typedef struct {
    ys_batch *batch;
    uint64_t seq;
    int state;
    char *out; /* formatted flagged posts (open_memstream) */
    size_t out_len;
    tally t;
    int rc;
    ys_error err;
} job;

typedef struct {
    const ys_db *db;
    const ys_pipeline_options *opt;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    job *jobs;
    size_t njobs;
    uint64_t next_seq, next_take, next_write;
    int quit;
    pthread_t *threads;
    size_t nthreads;
} pool;

static void *worker(void *arg)
{
    pool *p = arg;
    ys_scanner *sc = NULL;
    ys_scorer *scorer = NULL;
    ys_error err;
    int setup = ys_scanner_new(p->db, &sc, &err);
    if (setup == YS_OK)
        setup = ys_scorer_new(p->db, &scorer, &err);
    if (setup == YS_OK && p->opt->threshold)
        ys_scorer_set_threshold(scorer, *p->opt->threshold);
    if (setup == YS_OK) {
        ys_scanner_set_fold(sc, !p->opt->no_fold);
        ys_scanner_set_html(sc, p->opt->html);
        ys_scanner_set_context_floor(sc, ys_scorer_threshold(scorer));
        ys_scorer_set_verdicts_only(scorer, 1);
    }
    pthread_mutex_lock(&p->mu);
    for (;;) {
        job *j = &p->jobs[p->next_take % p->njobs];
        while (!(j->state == JOB_QUEUED && j->seq == p->next_take) && !p->quit) {
            pthread_cond_wait(&p->work, &p->mu);
            j = &p->jobs[p->next_take % p->njobs];
        }
        if (!(j->state == JOB_QUEUED && j->seq == p->next_take))
            break; /* quit, nothing left */
        p->next_take++;
        j->state = JOB_RUNNING;
        pthread_mutex_unlock(&p->mu);

        j->rc = setup;
        if (setup != YS_OK) {
            j->err = err;
        } else {
            FILE *m = open_memstream(&j->out, &j->out_len);
            j->rc = m ? process(p->db, sc, scorer, &p->opt->emit, j->batch, m, &j->t, &j->err)
                      : ys_fail(&j->err, YS_ENOMEM, "out of memory");
            if (m && fclose(m) != 0 && j->rc == YS_OK)
                j->rc = ys_fail(&j->err, YS_ENOMEM, "out of memory");
        }

        pthread_mutex_lock(&p->mu);
        j->state = JOB_DONE;
        pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    ys_scorer_free(scorer);
    ys_scanner_free(sc);
    return NULL;
}

typedef struct {
    const ys_db *db;
    const ys_pipeline_options *opt;
    ys_counters *c;
    ys_error *err;
    ys_framer *fr;      /* file input; NULL for a feed */
    ys_batch *fill;     /* a feed's batch being filled */
    uint64_t written;   /* batches written so far */
    int batch_failed;   /* a batch's scan failed (its code): no later batch is written */
    /* one thread */
    ys_scanner *sc;
    ys_scorer *scorer;
    tally t;
    /* several */
    pool *pool;
} run;

/* ---- output ---- */

/* Set after a write error: nothing more is written to `out` (in this run or
 * a later one on the same stream), so the output stays a clean prefix. */
static int output_broken(const run *r) { return r->c->output_failed; }

static uint64_t count_lines(const char *s, size_t n)
{
    uint64_t k = 0;
    for (const char *e = s + n; (s = memchr(s, '\n', (size_t)(e - s))); s++)
        k++;
    return k;
}

/* After a failed write to a regular file, cuts off the part of a line that
 * did get written (the `done` bytes of `buf` written last end at the file
 * offset), so that the last line of the file is a whole verdict. */
static void cut_partial_line(int fd, const char *buf, size_t done)
{
    size_t keep = done;
    while (keep > 0 && buf[keep - 1] != '\n')
        keep--;
    struct stat st;
    if (keep == done || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return;
    off_t end = lseek(fd, 0, SEEK_CUR);
    if (end >= (off_t)(done - keep))
        (void)ftruncate(fd, end - (off_t)(done - keep));
}

/* Writes one batch's formatted output. To a file descriptor it goes in
 * write(2) calls of our own, not through stdio: a signal (EINTR) or a short
 * write goes on where it stopped, a non-blocking descriptor is waited for,
 * and no bytes stay in a stdio buffer to be written later at another
 * offset. A stream without a descriptor (a memory stream) gets fwrite. On
 * failure nothing more is written, and the error says how many flagged
 * posts were written before it. */
static int out_write(run *r, const char *buf, size_t len)
{
    FILE *out = r->opt->out;
    if (output_broken(r)) /* the first error's message stands, if this run had it */
        return r->err->message[0] ? YS_EIO
                                  : ys_fail(r->err, YS_EIO, "the output failed earlier: nothing "
                                                            "more is written");
    if (len == 0)
        return YS_OK;
    int fd = fileno(out);
    size_t done = 0;
    int e = 0;
    if (fd < 0) {
        if (fwrite(buf, 1, len, out) == len && fflush(out) == 0)
            done = len;
        else
            e = errno ? errno : EIO;
    } else if (fflush(out) != 0) { /* what the caller left in the stream's buffer */
        e = errno;
    } else {
        while (done < len) {
            ssize_t n = write(fd, buf + done, len - done);
            if (n > 0) {
                done += (size_t)n;
            } else if (n < 0 && errno == EINTR) {
                continue; /* a stop request is seen between batches */
            } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                struct pollfd p = {.fd = fd, .events = POLLOUT};
                (void)poll(&p, 1, -1);
            } else {
                e = n < 0 ? errno : ENOSPC; /* 0 bytes for a non-empty write */
                break;
            }
        }
    }
    r->c->posts_written += count_lines(buf, done);
    if (done == len)
        return YS_OK;
    r->c->output_failed = 1;
    if (fd >= 0)
        cut_partial_line(fd, buf, done);
    return output_error(r->err, e, r->c);
}

static void written(run *r)
{
    r->written++;
    if (r->opt->on_written)
        r->opt->on_written(r->opt->written_ctx, r->written);
}

/* Waits for the oldest job, writes its output and counts it. Once a job
 * has failed (out of memory while scanning, say), the jobs after it are
 * waited for but not written: their verdicts would follow a gap, and a
 * feed would count them written (on_written) and commit the offsets of
 * the failed batch with theirs. The first failure's message stands. */
static int write_oldest(run *r)
{
    pool *p = r->pool;
    job *j = &p->jobs[p->next_write % p->njobs];
    pthread_mutex_lock(&p->mu);
    while (j->state != JOB_DONE)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
    int rc = r->batch_failed ? r->batch_failed : j->rc;
    if (!r->batch_failed && rc != YS_OK) {
        batch_error(r->err, rc, &j->err, r->c);
        r->batch_failed = rc;
    } else if (rc == YS_OK) {
        rc = out_write(r, j->out, j->out_len);
    }
    merge(r->c, &j->t, r->db->t.ncats);
    free(j->out);
    j->out = NULL;
    j->out_len = 0;
    pthread_mutex_lock(&p->mu); /* workers read every job's state */
    j->state = JOB_FREE;
    pthread_mutex_unlock(&p->mu);
    p->next_write++;
    if (rc == YS_OK)
        written(r);
    if (rc == YS_OK && r->opt->on_progress)
        r->opt->on_progress(r->opt->progress_ctx, r->c);
    return rc;
}

static int on_batch(void *ctx, ys_batch *b)
{
    run *r = ctx;
    if (!r->pool) { /* formatted in memory, then written in one piece */
        char *text = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&text, &len);
        int rc = m ? process(r->db, r->sc, r->scorer, &r->opt->emit, b, m, &r->t, r->err)
                   : ys_fail(r->err, YS_ENOMEM, "out of memory");
        if (m && fclose(m) != 0 && rc == YS_OK)
            rc = ys_fail(r->err, YS_ENOMEM, "out of memory");
        if (rc != YS_OK)
            rc = batch_error(r->err, rc, r->err, r->c);
        merge(r->c, &r->t, r->db->t.ncats);
        if (rc == YS_OK)
            rc = out_write(r, text, len);
        free(text);
        if (rc == YS_OK)
            written(r);
        if (rc == YS_OK && r->opt->on_progress)
            r->opt->on_progress(r->opt->progress_ctx, r->c);
        return rc;
    }
    pool *p = r->pool;
    job *j = &p->jobs[p->next_seq % p->njobs];
    pthread_mutex_lock(&p->mu);
    int busy = j->state != JOB_FREE;
    pthread_mutex_unlock(&p->mu);
    if (busy) { /* the ring is full: the oldest goes out first */
        int rc = write_oldest(r);
        if (rc != YS_OK)
            return rc;
    }
    /* The job's empty batch goes to the framer (or the feed); the full one
     * to the job. */
    if (r->fr) {
        j->batch = ys_framer_swap_batch(r->fr, j->batch);
    } else {
        ys_batch *full = r->fill;
        r->fill = j->batch;
        ys_batch_clear(r->fill);
        r->fill->source = full->source;
        j->batch = full;
    }
    pthread_mutex_lock(&p->mu);
    j->seq = p->next_seq++;
    j->state = JOB_QUEUED;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    return YS_OK;
}

/* Writes every job still in flight, in order, up to the first that failed
 * (those after it are only waited for: write_oldest). */
static int drain(run *r, int rc)
{
    pool *p = r->pool;
    while (p->next_write < p->next_seq) {
        int w = write_oldest(r);
        if (rc == YS_OK)
            rc = w;
    }
    return rc;
}

static void pool_free(pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    for (size_t i = 0; p->jobs && i < p->njobs; i++) { /* NULL: its calloc failed */
        ys_batch_free(p->jobs[i].batch);
        free(p->jobs[i].out);
        free(p->jobs[i].t.cat_hits);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    free(p->jobs);
    free(p->threads);
    free(p);
}

static int pool_new_capacity(run *r, unsigned threads, size_t capacity, pool **out,
                             ys_error *err)
{
    *out = NULL;
    pool *p = calloc(1, sizeof *p);
    if (!p)
        return YS_ENOMEM;
    p->db = r->db;
    p->opt = r->opt;
    p->njobs = 2 * (size_t)threads;
    p->jobs = calloc(p->njobs, sizeof *p->jobs);
    p->threads = calloc(threads, sizeof *p->threads);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    int rc = p->jobs && p->threads ? YS_OK : YS_ENOMEM;
    for (size_t i = 0; rc == YS_OK && i < p->njobs; i++) {
        p->jobs[i].batch = ys_batch_new(capacity);
        p->jobs[i].t.cat_hits = calloc(r->db->t.ncats, sizeof *p->jobs[i].t.cat_hits);
        if (!p->jobs[i].batch || !p->jobs[i].t.cat_hits)
            rc = YS_ENOMEM;
    }
    for (unsigned i = 0; rc == YS_OK && i < threads; i++) {
        int e = pthread_create(&p->threads[i], NULL, worker, p);
        if (e != 0)
            rc = ys_fail(err, YS_ETHREAD, "cannot start scanning thread %u of %u: %s", i + 1,
                         threads, strerror(e));
        else
            p->nthreads++;
    }
    if (rc != YS_OK) {
        pool_free(p);
        return rc;
    }
    *out = p;
    return YS_OK;
}

/* ---- the run ---- */

int ys_pipeline_run(const ys_db *db, ys_scanner *sc, const ys_pipeline_options *opt,
                    const char *path, ys_counters *c, ys_error *err)
{
    ys_source *src;
    int rc = ys_source_open(path, &src, err);
    if (rc != YS_OK)
        return rc;
    rc = ys_pipeline_run_source(db, sc, opt, src, c, err);
    ys_source_close(src);
    return rc;
}

/* ---- a stream: verdicts within latency_ms ---- */

/* Whether posts have been read whose verdicts are not written yet. */
static int held_back(const run *r)
{
    return ys_framer_pending(r->fr) > 0 || (r->pool && r->pool->next_write < r->pool->next_seq);
}

/* Hands the partial batch on and writes every verdict read so far. */
static int push_on(run *r)
{
    int rc = ys_framer_flush(r->fr);
    if (rc == YS_OK && r->pool)
        rc = drain(r, YS_OK);
    return rc;
}

int ys_pipeline_run_source(const ys_db *db, ys_scanner *sc, const ys_pipeline_options *opt,
                           ys_source *src, ys_counters *c, ys_error *err)
{
    ys_error scratch = {0}; /* err may be NULL; the run reports through it everywhere */
    if (!err)
        err = &scratch;
    size_t batch = opt->batch_bytes ? opt->batch_bytes : (1u << 20);
    int rc = YS_OK;
    run r = {.db = db, .opt = opt, .c = c, .err = err, .sc = sc};
    char *buf = NULL;
    r.t.cat_hits = calloc(db->t.ncats, sizeof *r.t.cat_hits);
    rc = r.t.cat_hits ? ys_scorer_new(db, &r.scorer, err) : YS_ENOMEM;
    if (rc == YS_OK && opt->threshold)
        ys_scorer_set_threshold(r.scorer, *opt->threshold);
    if (rc == YS_OK) {
        ys_scanner_set_fold(sc, !opt->no_fold);
        ys_scanner_set_html(sc, opt->html);
        ys_scanner_set_context_floor(sc, ys_scorer_threshold(r.scorer));
        ys_scorer_set_verdicts_only(r.scorer, 1);
    }
    if (rc == YS_OK)
        rc = ys_framer_new(&opt->frame, ys_source_name(src), batch, on_batch, &r, &r.fr, err);
    if (rc == YS_OK && !(buf = malloc(READ_CHUNK)))
        rc = YS_ENOMEM;
    if (rc == YS_OK && opt->threads > 1)
        rc = pool_new_capacity(&r, opt->threads, ys_framer_batch_capacity(r.fr), &r.pool, err);
    if (rc == YS_OK && opt->threads > 1) /* as many decoding threads, if it has frames */
        rc = ys_source_set_threads(src, opt->threads, err);
    if (rc != YS_OK) {
        if (rc == YS_ENOMEM)
            ys_fail(err, YS_ENOMEM, "out of memory");
        ys_framer_free(r.fr);
        ys_scorer_free(r.scorer);
        free(buf);
        free(r.t.cat_hits);
        return rc;
    }
    c->inputs++;
    int src_rc = YS_OK;
    ys_error src_err = {0};
    uint64_t seen_in = 0;
    int live = ys_source_wait(src, 0) >= 0; /* reads can block */
    double since = 0;                       /* when the oldest held-back post was read */
    for (;;) {
        size_t got;
        if (opt->stop && *opt->stop) {
            rc = ys_fail(err, YS_EINTR, "stopped by a signal");
            break;
        }
        if (live && held_back(&r)) { /* a stream: verdicts not held back (latency.h) */
            int left = ys_latency_left_ms(opt, since);
            int w = ys_source_wait(src, opt->line_buffered ? 0 : left);
            if (w == 0 || left == 0) {
                if ((rc = push_on(&r)) != YS_OK)
                    break;
                if (w == 0)
                    continue;
            }
        }
        /* A stream is read only once input is there, and waited for in
         * slices: a stop signal that lands between the check above and a
         * blocking read would otherwise wait for input that may never come. */
        if (live && !held_back(&r) && ys_source_wait(src, 200) == 0)
            continue;
        src_rc = ys_source_read(src, buf, READ_CHUNK, &got, &src_err);
        if (src_rc == YS_EINTR) {
            src_rc = YS_OK;
            continue; /* the loop's head decides whether it was a stop */
        }
        /* Byte counters move as the input is read, for progress displays. */
        c->bytes_in += ys_source_bytes_in(src) - seen_in;
        seen_in = ys_source_bytes_in(src);
        c->bytes_decoded += got;
        int was_held = live && held_back(&r);
        if (got)
            rc = ys_framer_feed(r.fr, buf, got, err);
        if (live && !was_held && held_back(&r))
            since = ys_latency_now();
        if (rc != YS_OK || src_rc != YS_OK || got == 0)
            break;
    }
    /* On a damaged stream, the posts before the damage are still scanned and
     * written (a partial last line is framed as it is) before the error. */
    if (rc == YS_OK)
        rc = ys_framer_finish(r.fr, err);
    else if (rc == YS_EFORMAT || rc == YS_EINTR)
        (void)ys_framer_flush(r.fr); /* the complete posts before the stop are written */
    if (r.pool) {
        int d = drain(&r, YS_OK);
        if (rc == YS_OK && d != YS_OK)
            rc = d;
    }
    if (rc == YS_OK && src_rc != YS_OK) {
        rc = src_rc;
        if (err)
            *err = src_err;
    }
    c->lines += ys_framer_lines(r.fr);
    c->blank_lines += ys_framer_blank_lines(r.fr);
    c->skipped += ys_framer_skipped(r.fr);
    for (int k = 0; k < YS_PROBLEM_COUNT; k++)
        if (k != YS_PROBLEM_INVALID_UTF8) /* counted by the scanner */
            c->problems[k] += ys_framer_problems(r.fr, k);
    pool_free(r.pool);
    ys_framer_free(r.fr);
    ys_scorer_free(r.scorer);
    free(buf);
    free(r.t.cat_hits);
    return rc;
}

/* ---- a feed: batches filled by the caller ---- */

/* Writes the jobs that are done, oldest first, without waiting: a feed's
 * output must not wait for the ring to fill up (a quiet topic). */
static int write_done(run *r)
{
    pool *p = r->pool;
    int rc = YS_OK;
    while (rc == YS_OK && p->next_write < p->next_seq) {
        job *j = &p->jobs[p->next_write % p->njobs];
        pthread_mutex_lock(&p->mu);
        int done = j->state == JOB_DONE;
        pthread_mutex_unlock(&p->mu);
        if (!done)
            break;
        rc = write_oldest(r);
    }
    return rc;
}

struct ys_feed {
    run *r;
};

int ys_feed_flush(ys_feed *feed, ys_error *err)
{
    run *r = feed->r;
    int rc = r->pool ? drain(r, YS_OK) : YS_OK;
    if (rc != YS_OK && err)
        *err = *r->err;
    return rc;
}

int ys_pipeline_run_feed(const ys_db *db, ys_scanner *sc, const ys_pipeline_options *opt,
                         const char *name, ys_fill_fn fill, void *ctx, ys_counters *c,
                         ys_error *err)
{
    ys_error scratch = {0}; /* err may be NULL; the run reports through it everywhere */
    if (!err)
        err = &scratch;
    size_t batch = opt->batch_bytes ? opt->batch_bytes : (1u << 20);
    if (opt->frame.max_post > batch) /* a post of any allowed size fits an empty batch */
        batch = opt->frame.max_post;
    run r = {.db = db, .opt = opt, .c = c, .err = err, .sc = sc};
    ys_feed feed = {&r};
    int rc = YS_ENOMEM;
    r.t.cat_hits = calloc(db->t.ncats, sizeof *r.t.cat_hits);
    r.fill = ys_batch_new(batch);
    if (r.t.cat_hits && r.fill)
        rc = ys_scorer_new(db, &r.scorer, err);
    if (rc == YS_OK && opt->threshold)
        ys_scorer_set_threshold(r.scorer, *opt->threshold);
    if (rc == YS_OK) {
        ys_scanner_set_fold(sc, !opt->no_fold);
        ys_scanner_set_html(sc, opt->html);
        ys_scanner_set_context_floor(sc, ys_scorer_threshold(r.scorer));
        ys_scorer_set_verdicts_only(r.scorer, 1);
    }
    if (rc == YS_OK && opt->threads > 1)
        rc = pool_new_capacity(&r, opt->threads, batch, &r.pool, err);
    if (rc == YS_ENOMEM)
        ys_fail(err, YS_ENOMEM, "out of memory");
    if (rc == YS_OK)
        c->inputs++;
    for (int done = 0; rc == YS_OK && !done;) {
        if (opt->stop && *opt->stop) {
            rc = ys_fail(err, YS_EINTR, "stopped by a signal");
            break;
        }
        ys_batch_clear(r.fill);
        r.fill->source = name;
        rc = fill(ctx, &feed, r.fill, &done);
        if (rc == YS_OK && r.fill->n > 0) {
            c->lines += r.fill->n;
            c->bytes_in += r.fill->len;
            c->bytes_decoded += r.fill->len;
            rc = on_batch(&r, r.fill);
        }
        if (rc == YS_OK && r.pool)
            rc = write_done(&r);
    }
    if (r.pool) {
        int d = drain(&r, YS_OK);
        if (rc == YS_OK || rc == YS_EINTR)
            rc = d != YS_OK ? d : rc;
    }
    pool_free(r.pool);
    ys_batch_free(r.fill);
    ys_scorer_free(r.scorer);
    free(r.t.cat_hits);
    return rc;
}
