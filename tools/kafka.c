/* Kafka input for `yamiscan scan`: a consumer in a group (librdkafka) fills
 * the pipeline's batches with message values (one post each, JSON or text,
 * as --input-format says), and the offsets of a batch's messages are stored
 * for commit only once that batch's verdicts are written and flushed (or,
 * with --kafka-out-topic, produced and acknowledged): at-least-once.
 *
 * A post's provenance: "file" is TOPIC/PARTITION, "line" is the offset, and
 * with text messages the id is the message key. When partitions are taken
 * away (a rebalance), everything handed to the pipeline is written and the
 * stored offsets are committed before the partitions go; messages of those
 * partitions that were not yet handed over are scanned but not committed,
 * so the next owner reads them again (a duplicate, never a loss).
 *
 * With --fsync and output to a regular file, the output is fsynced before
 * the offsets of what was written are stored (librdkafka commits stored
 * offsets only), so a committed offset never outruns the data on disk. */
#include "kafka.h"

#include <errno.h>
#include <stdarg.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define POLL_MS 100

int kafka_available(void) { return 1; }

/* What is known of one partition of the topic. */
typedef struct {
    char *name;                /* "kafka:TOPIC/PARTITION", reported as the file */
    unsigned char assigned, at_end;
} partition;

/* The highest offset of each partition in one filled batch. */
typedef struct {
    int32_t *part;
    int64_t *off;
    size_t n, cap;
} marks;

typedef struct {
    const kafka_options *ko;
    ys_pipeline_options *po;
    rd_kafka_t *rk, *prod;
    ys_feed *feed;             /* during fill */
    rd_kafka_message_t *held;  /* did not fit the last batch */
    marks cur;                 /* of the batch being filled */
    marks *batches;            /* of filled batches not yet written */
    size_t nbatches, capb;
    uint64_t first_unwritten;  /* the batch number of batches[0] (from 1) */
    partition *parts;          /* indexed by partition number, grown as assigned */
    size_t nparts;
    int nassigned;
    uint64_t messages, bytes, bad, produced, delivery_failed;
    ys_counters *counters;     /* over-long messages are counted here */
    char *text;                /* JSON text decoded here */
    size_t text_cap;
    FILE *mem;                 /* --kafka-out-topic: the written output */
    char *membuf;
    size_t memlen;
    int failed;                /* an error that ends the run */
    int sync;                  /* --fsync, and the output is a file that can be synced */
    int sync_failed;           /* that fsync failed: k->err is the run's error */
    ys_error err;
    double start, first_msg; /* when the run started, and its first message came */
    char reported[64][64];     /* error kinds already printed */
    int nreported;
} kafka;

static int fail(ys_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(ys_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return err->code = code;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Prints a librdkafka error once per kind; the rest are counted by it. */
static void report(kafka *k, rd_kafka_resp_err_t e, const char *what)
{
    const char *name = rd_kafka_err2name(e);
    for (int i = 0; i < k->nreported; i++)
        if (!strcmp(k->reported[i], name))
            return;
    if (k->nreported < 64)
        snprintf(k->reported[k->nreported++], sizeof k->reported[0], "%s", name);
    fprintf(stderr, "%s: kafka: %s (%s); librdkafka keeps retrying\n", prog, what,
            rd_kafka_err2str(e));
}

static void on_error(rd_kafka_t *rk, int e, const char *reason, void *opaque)
{
    (void)rk;
    kafka *k = opaque;
    if (e == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[512];
        rd_kafka_fatal_error(rk, buf, sizeof buf);
        snprintf(k->err.message, sizeof k->err.message, "kafka: fatal error: %s", buf);
        k->err.code = YS_EIO;
        k->failed = 1;
        return;
    }
    report(k, (rd_kafka_resp_err_t)e, reason);
}

static void marks_free(marks *m)
{
    free(m->part);
    free(m->off);
    *m = (marks){0};
}

/* Partition p's entry, or NULL if it was never assigned. */
static partition *part_of(const kafka *k, int32_t p)
{
    return p >= 0 && (size_t)p < k->nparts ? &k->parts[p] : NULL;
}

static int is_assigned(const kafka *k, int32_t p)
{
    const partition *q = part_of(k, p);
    return q && q->assigned;
}

/* Partition p's entry, the table grown to hold it; NULL when out of memory. */
static partition *part_grow(kafka *k, int32_t p)
{
    if (p < 0)
        return NULL;
    if ((size_t)p >= k->nparts) {
        size_t n = (size_t)p + 1 > 2 * k->nparts ? (size_t)p + 1 : 2 * k->nparts;
        partition *t = realloc(k->parts, n * sizeof *t);
        if (!t)
            return NULL;
        memset(t + k->nparts, 0, (n - k->nparts) * sizeof *t);
        k->parts = t;
        k->nparts = n;
    }
    return &k->parts[p];
}

/* Stores offset + 1 of every partition marked in `m` that is still ours. */
static void store(kafka *k, const marks *m)
{
    if (m->n == 0)
        return;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)m->n);
    for (size_t i = 0; i < m->n; i++)
        if (is_assigned(k, m->part[i]))
            rd_kafka_topic_partition_list_add(l, k->ko->topic, m->part[i])->offset =
                m->off[i] + 1;
    if (l->cnt)
        (void)rd_kafka_offsets_store(k->rk, l); /* a partition lost meanwhile is refused */
    rd_kafka_topic_partition_list_destroy(l);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    kafka *k = opaque;
    if (m->err)
        k->delivery_failed++;
    else
        k->produced++;
}

/* --kafka-out-topic: produces the lines written since the last call (one
 * flagged post each, key = its id) and waits until the brokers have them. */
static int produce_written(kafka *k)
{
    fflush(k->mem);
    static const char *const no_field[] = {"file"};
    char scratch[4096];
    for (char *line = k->membuf, *end = k->membuf + k->memlen; line < end;) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t len = nl ? (size_t)(nl - line) : (size_t)(end - line);
        const char *id = NULL;
        size_t idl = 0, tl;
        ys_error e;
        (void)ys_json_extract(line, len, no_field, 1, "id", scratch, sizeof scratch, &tl, &id,
                              &idl, &e);
        rd_kafka_resp_err_t r;
        for (;;) {
            r = rd_kafka_producev(
                k->prod, RD_KAFKA_V_TOPIC(k->ko->out_topic), RD_KAFKA_V_VALUE(line, len),
                RD_KAFKA_V_KEY(id, id ? idl : 0), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_END);
            if (r != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                break;
            rd_kafka_poll(k->prod, POLL_MS);
        }
        if (r != RD_KAFKA_RESP_ERR_NO_ERROR) {
            /* Not produced (a verdict over message.max.bytes, say): the run
             * stops here, and neither this post's offset nor any later one
             * is committed, so a restart scans it again. */
            fail(&k->err, YS_EIO,
                 "kafka: a flagged post (id %.*s, %zu bytes of verdict) cannot be produced to "
                 "%s: %s; its input offset and later ones are not committed (a larger "
                 "--kafka-conf message.max.bytes=N lets it through)",
                 id ? (int)(idl < 64 ? idl : 64) : 4, id ? id : "null", len, k->ko->out_topic,
                 rd_kafka_err2str(r));
            k->failed = 1;
            break;
        }
        line += len + 1;
    }
    rewind(k->mem);
    k->memlen = 0;
    uint64_t failed = k->delivery_failed;
    rd_kafka_resp_err_t r = rd_kafka_flush(k->prod, 60 * 1000);
    if (k->failed)
        return -1; /* the produce error above */
    if (r != RD_KAFKA_RESP_ERR_NO_ERROR || k->delivery_failed != failed) {
        snprintf(k->err.message, sizeof k->err.message,
                 "kafka: flagged posts not acknowledged by the brokers of %s (%s); their "
                 "input offsets are not committed", k->ko->out_topic,
                 r ? rd_kafka_err2str(r) : "delivery failed");
        k->err.code = YS_EIO;
        k->failed = 1;
        return -1;
    }
    return 0;
}

/* --fsync: what was written reaches the disk before its offsets are
 * stored. A failure is a write error: nothing more is written (the
 * counters' output_failed), no later offset is stored. */
static int sync_output(kafka *k)
{
    int fd = fileno(k->po->out), r;
    while ((r = fsync(fd)) != 0 && errno == EINTR)
        ; /* a signal is no error */
    if (r == 0)
        return 0;
    int e = errno;
    k->counters->output_failed = 1;
    uint64_t w = k->counters->posts_written;
    fail(&k->err, YS_EIO, "write error: fsync of the output: %s; %llu flagged post%s written "
         "before it, nothing after; the offsets of posts not known to be on disk are not "
         "committed", strerror(e), (unsigned long long)w, w == 1 ? "" : "s");
    k->failed = k->sync_failed = 1;
    return -1;
}

/* The pipeline has written (and flushed) `n` batches: their offsets may
 * be committed. */
static void on_written(void *ctx, uint64_t n)
{
    kafka *k = ctx;
    if (k->mem && !k->failed && produce_written(k) != 0)
        return;
    if (k->sync && !k->failed && sync_output(k) != 0)
        return;
    while (k->first_unwritten <= n && k->nbatches > 0) {
        if (!k->failed)
            store(k, &k->batches[0]);
        marks_free(&k->batches[0]);
        memmove(k->batches, k->batches + 1, --k->nbatches * sizeof *k->batches);
        k->first_unwritten++;
    }
}

/* Records that `off` of `part` is in the batch: YS_OK or YS_ENOMEM (then
 * the offset is not recorded, and so never committed). */
static int mark(marks *m, int32_t part, int64_t off)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->part[i] == part) {
            if (off > m->off[i])
                m->off[i] = off;
            return YS_OK;
        }
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 8;
        int32_t *p = realloc(m->part, cap * sizeof *p);
        if (!p)
            return YS_ENOMEM;
        m->part = p;
        int64_t *o = realloc(m->off, cap * sizeof *o);
        if (!o)
            return YS_ENOMEM;
        m->off = o;
        m->cap = cap;
    }
    m->part[m->n] = part;
    m->off[m->n++] = off;
    return YS_OK;
}

/* With --stats, each change of assignment is told on stderr. */
static void tell(const kafka *k, const char *what, const rd_kafka_topic_partition_list_t *parts)
{
    if (!k->ko->stats)
        return;
    fprintf(stderr, "%s: kafka: %s %d partition%s of %s:", prog, what, parts->cnt,
            parts->cnt == 1 ? "" : "s", k->ko->topic);
    for (int i = 0; i < parts->cnt; i++)
        fprintf(stderr, " %d", (int)parts->elems[i].partition);
    fputc('\n', stderr);
}

static void rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                      rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    kafka *k = opaque;
    /* NULL once the member has left the group or been dropped from it (a
     * revoke during rd_kafka_consumer_close after "Unknown member"): not
     * cooperative then, and strcmp must not see it. */
    const char *protocol = rd_kafka_rebalance_protocol(rk);
    int cooperative = protocol && !strcmp(protocol, "COOPERATIVE");
    tell(k, e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? "assigned" : "revoked", parts);
    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        for (int i = 0; i < parts->cnt; i++) {
            partition *q = part_grow(k, parts->elems[i].partition);
            if (!q) { /* the run ends; nothing of this partition is read or committed */
                if (!k->failed)
                    fail(&k->err, YS_ENOMEM, "%s", "out of memory");
                k->failed = 1;
            } else if (!q->assigned) {
                q->assigned = 1;
                q->at_end = 0;
                k->nassigned++;
            }
        }
        if (cooperative)
            rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
        else
            rd_kafka_assign(rk, parts);
        return;
    }
    /* Revoked: write what was handed over, commit it, then let go. */
    if (k->feed) {
        ys_error ferr;
        if (ys_feed_flush(k->feed, &ferr) != YS_OK && !k->failed) {
            k->err = ferr;
            k->failed = 1;
        }
    }
    if (!k->failed)
        (void)rd_kafka_commit(rk, NULL, 0);
    for (int i = 0; i < parts->cnt; i++) {
        partition *q = part_of(k, parts->elems[i].partition);
        if (q && q->assigned) {
            q->assigned = 0;
            k->nassigned--;
        }
    }
    if (cooperative)
        rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
    else
        rd_kafka_assign(rk, NULL);
}

static int all_at_end(const kafka *k)
{
    if (k->nassigned == 0)
        return 0;
    for (size_t p = 0; p < k->nparts; p++)
        if (k->parts[p].assigned && !k->parts[p].at_end)
            return 0;
    return 1;
}

/* Adds one message to the batch: YS_OK, or YS_EINVAL if it does not fit. */
static int add(kafka *k, ys_batch *b, const rd_kafka_message_t *m)
{
    const char *v = m->payload ? m->payload : "";
    size_t len = m->len;
    const char *text = v, *id = m->key;
    size_t tl = len, idl = m->key ? m->key_len : 0;
    const ys_frame_options *fo = &k->po->frame;
    size_t max = fo->max_post ? fo->max_post : (1u << 20), s = 0;
    while (s < len && (v[s] == ' ' || v[s] == '\t'))
        s++;
    int json = fo->format == YS_INPUT_JSONL || (fo->format == YS_INPUT_AUTO && s < len && v[s] == '{');
    if (len > max) { /* as a file's over-long line: JSON skipped, text cut */
        if (k->counters->problems[YS_PROBLEM_TOO_LONG]++ == 0)
            fprintf(stderr, "%s: kafka: %s [%d] offset %lld: message of %zu bytes is longer than "
                    "--max-post-bytes (%zu): %s (further over-long messages are only counted)\n",
                    prog, k->ko->topic, (int)m->partition, (long long)m->offset, len, max,
                    json ? "skipped" : "only its start is scanned");
        if (json)
            return YS_OK; /* counted, acknowledged with its batch */
        len = tl = max;
    }
    if (json) {
        static const char *const dflt[] = {"text"};
        if (k->text_cap < len + 16) {
            char *t = realloc(k->text, len + 16);
            if (!t)
                return YS_ENOMEM;
            k->text = t;
            k->text_cap = len + 16;
        }
        ys_error e;
        int rc = ys_json_extract(v, len, fo->nfields ? fo->fields : dflt,
                                 fo->nfields ? fo->nfields : 1, fo->id_field ? fo->id_field : "id",
                                 k->text, k->text_cap, &tl, &id, &idl, &e);
        if (rc != YS_OK) {
            if (k->bad++ == 0)
                fprintf(stderr, "%s: kafka: %s [%d] offset %lld: %s (further bad messages are "
                        "only counted)\n", prog, k->ko->topic, (int)m->partition,
                        (long long)m->offset, e.message);
            return YS_OK; /* skipped, still acknowledged with its batch */
        }
        text = k->text;
        if (!id)
            idl = 0;
    }
    return ys_batch_add(b, text, tl, id, idl, (uint64_t)m->offset);
}

/* The file name a partition's posts are reported with; NULL when out of
 * memory. */
static const char *partition_name(kafka *k, int32_t p)
{
    partition *q = part_grow(k, p);
    if (!q)
        return NULL;
    if (!q->name) {
        size_t n = strlen(k->ko->topic) + 32;
        if ((q->name = malloc(n)))
            snprintf(q->name, n, "kafka:%s/%d", k->ko->topic, (int)p);
    }
    return q->name;
}

/* An error of fill() (out of memory): the pipeline stops, and its message
 * is k->err's. */
static int fill_failed(kafka *k, int rc)
{
    if (!k->err.code)
        fail(&k->err, rc, "%s", rc == YS_ENOMEM ? "out of memory" : "kafka: cannot read messages");
    return rc;
}

/* Fills a batch with messages of one partition (so that each post's
 * reported file names its partition), until it is half full, the topic is
 * quiet for 0.1 s with posts waiting, or the end. */
static int fill(void *ctx, ys_feed *feed, ys_batch *b, int *done)
{
    kafka *k = ctx;
    k->feed = feed;
    double first = 0, started = now();
    int32_t part = -1;
    int rc = YS_OK;
    for (;;) {
        if (k->failed || (k->po->stop && *k->po->stop)) {
            *done = 1;
            break;
        }
        rd_kafka_message_t *msg = k->held;
        k->held = NULL;
        if (!msg)
            msg = rd_kafka_consumer_poll(k->rk, POLL_MS);
        if (!msg) {
            /* A quiet topic: what came so far goes out, and what was
             * scanned is written (an empty batch lets the pipeline do it). */
            if (now() - (ys_batch_count(b) > 0 ? first : started) > 0.1)
                break;
            continue;
        }
        if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            partition *q = part_of(k, msg->partition);
            if (q)
                q->at_end = 1;
            rd_kafka_message_destroy(msg);
            if (k->ko->until_end && all_at_end(k)) {
                *done = 1;
                break;
            }
            continue;
        }
        if (msg->err) {
            report(k, msg->err, rd_kafka_message_errstr(msg));
            rd_kafka_message_destroy(msg);
            continue;
        }
        if (part >= 0 && msg->partition != part) {
            k->held = msg; /* another partition: the next batch */
            break;
        }
        if (part < 0) {
            const char *name = partition_name(k, msg->partition);
            if (!name) {
                k->held = msg; /* not consumed: destroyed at the end */
                rc = YS_ENOMEM;
                break;
            }
            part = msg->partition;
            ys_batch_set_source(b, name);
        }
        partition *q = part_of(k, msg->partition);
        if (q)
            q->at_end = 0;
        rc = add(k, b, msg);
        if (rc == YS_EINVAL && ys_batch_count(b) > 0) {
            k->held = msg; /* the next batch starts with it */
            rc = YS_OK;
            break;
        }
        /* An empty batch holds --max-post-bytes (ys_pipeline_run_feed), and
         * add() refuses longer messages: YS_EINVAL cannot come back here. */
        if (ys_batch_count(b) == 1)
            first = now();
        if (k->messages == 0)
            k->first_msg = now();
        k->messages++;
        k->bytes += msg->len;
        if (rc == YS_OK)
            rc = mark(&k->cur, msg->partition, msg->offset); /* else never committed */
        rd_kafka_message_destroy(msg);
        if (rc != YS_OK || ys_batch_bytes(b) > ys_batch_capacity(b) / 2)
            break;
    }
    k->feed = NULL;
    if (ys_batch_count(b) == 0 && k->cur.n > 0) {
        /* Only bad messages: acknowledged with the batch before them, or now. */
        if (k->nbatches > 0)
            for (size_t i = 0; i < k->cur.n && rc == YS_OK; i++)
                rc = mark(&k->batches[k->nbatches - 1], k->cur.part[i], k->cur.off[i]);
        else if (rc == YS_OK)
            store(k, &k->cur);
        marks_free(&k->cur);
    } else if (ys_batch_count(b) > 0 && rc == YS_OK) { /* the pipeline numbers it next */
        if (k->nbatches == k->capb) {
            size_t cap = k->capb ? 2 * k->capb : 16;
            marks *nb = realloc(k->batches, cap * sizeof *nb);
            if (!nb) {
                marks_free(&k->cur);
                return fill_failed(k, YS_ENOMEM);
            }
            k->batches = nb;
            k->capb = cap;
        }
        k->batches[k->nbatches++] = k->cur;
        k->cur = (marks){0};
    } else {
        marks_free(&k->cur); /* a batch the pipeline will not scan: never committed */
    }
    return rc == YS_OK ? YS_OK : fill_failed(k, rc);
}

/* librdkafka's log lines, as its default logger prints them, less the
 * warnings that a --kafka-conf setting meant for the other client (the
 * consumer's session.timeout.ms on the producer) is ignored: --kafka-conf
 * goes to both. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    if (!strcmp(fac, "CONFWARN") && strstr(buf, " property and will be ignored by this "))
        return;
    fprintf(stderr, "%%%d|%s|%s\n", level, fac, buf);
}

/* Settings the at-least-once guarantee rests on, which --kafka-conf may not
 * change: offsets are stored by yamiscan once output is written
 * (enable.auto.offset.store), and the output topic's brokers must all have
 * a flagged post before its offset is committed (acks). */
static const char *unsafe_setting(const char *key, const char *value)
{
    if (!strcmp(key, "enable.auto.offset.store"))
        return "offsets are stored by yamiscan once their verdicts are written";
    if ((!strcmp(key, "acks") || !strcmp(key, "request.required.acks")) &&
        strcmp(value, "all") && strcmp(value, "-1"))
        return "--kafka-out-topic needs every in-sync replica's acknowledgement (acks=all)";
    if (!strcmp(key, "enable.idempotence") && strcmp(value, "true"))
        return "--kafka-out-topic produces with enable.idempotence=true (acks=all, no "
               "reordering on retries)";
    return NULL;
}

static rd_kafka_conf_t *make_conf(kafka *k, const char *group, ys_error *err)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char why[512];
    const char *set[][2] = {
        {"bootstrap.servers", k->ko->brokers},
        /* the consumer's own settings (group NULL: the producer) */
        {"group.id", group},
        {"enable.auto.offset.store", group ? "false" : NULL}, /* stored after output */
        {"enable.auto.commit", group ? "true" : NULL},
        {"auto.offset.reset", group ? "earliest" : NULL},
        {"enable.partition.eof", group ? "true" : NULL},
    };
    rd_kafka_conf_set_log_cb(conf, on_log);
    for (size_t i = 0; i < sizeof set / sizeof set[0]; i++)
        if (set[i][1] && rd_kafka_conf_set(conf, set[i][0], set[i][1], why, sizeof why)) {
            fail(err, YS_EINVAL, "kafka: %s: %s", set[i][0], why);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    for (int i = 0; i < k->ko->nconf; i++) {
        char key[256];
        const char *eq = strchr(k->ko->conf[i], '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - k->ko->conf[i]), k->ko->conf[i]);
        const char *unsafe = unsafe_setting(key, eq + 1);
        if (unsafe) {
            fail(err, YS_EINVAL, "kafka: --kafka-conf %s is refused: %s (at-least-once "
                 "delivery, README \"Scaling out\")", k->ko->conf[i], unsafe);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
        if (rd_kafka_conf_set(conf, key, eq + 1, why, sizeof why)) {
            fail(err, YS_EINVAL, "kafka: --kafka-conf %s: %s", k->ko->conf[i], why);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    rd_kafka_conf_set_opaque(conf, k);
    rd_kafka_conf_set_error_cb(conf, on_error);
    return conf;
}

/* Waits up to connect_s for the cluster to answer with the topic's
 * metadata, so that a wrong address is an error, not a silent wait. */
static int check_reachable(kafka *k, ys_error *err)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *t = rd_kafka_topic_new(k->rk, k->ko->topic, NULL);
    rd_kafka_resp_err_t e =
        rd_kafka_metadata(k->rk, 0, t, &md, (int)(k->ko->connect_s * 1000));
    int rc = YS_OK;
    if (e)
        rc = fail(err, YS_EIO, "kafka: no answer from %s within %.0f s (%s)", k->ko->brokers,
                     k->ko->connect_s, rd_kafka_err2str(e));
    else if (md->topic_cnt != 1 || md->topics[0].err)
        rc = fail(err, YS_EIO, "kafka: topic %s: %s", k->ko->topic,
                     rd_kafka_err2str(md->topic_cnt ? md->topics[0].err
                                                    : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(t);
    return rc;
}

/* Lag at the end: the high watermark less our position, summed. */
static long long lag(kafka *k)
{
    rd_kafka_topic_partition_list_t *a = NULL;
    long long sum = 0;
    if (rd_kafka_assignment(k->rk, &a) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return -1;
    rd_kafka_position(k->rk, a);
    for (int i = 0; i < a->cnt; i++) {
        int64_t lo, hi;
        if (rd_kafka_get_watermark_offsets(k->rk, a->elems[i].topic, a->elems[i].partition, &lo,
                                           &hi) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            a->elems[i].offset >= 0)
            sum += hi - a->elems[i].offset;
    }
    rd_kafka_topic_partition_list_destroy(a);
    return sum;
}

int kafka_scan(const ys_db *db, ys_scanner *sc, ys_pipeline_options *po,
               const kafka_options *ko, ys_counters *c, ys_error *err)
{
    kafka k = {.ko = ko, .po = po, .start = now(), .first_unwritten = 1, .counters = c};
    char errstr[512];
    rd_kafka_conf_t *conf = make_conf(&k, ko->group, err);
    if (!conf)
        return YS_EINVAL;
    rd_kafka_conf_set_rebalance_cb(conf, rebalance);
    k.rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!k.rk) {
        rd_kafka_conf_destroy(conf);
        return fail(err, YS_EINVAL, "kafka: %s", errstr);
    }
    rd_kafka_poll_set_consumer(k.rk);
    int rc = check_reachable(&k, err);
    if (rc == YS_OK && ko->out_topic) {
        rd_kafka_conf_t *pc = make_conf(&k, NULL, err);
        if (pc) {
            rd_kafka_conf_set_dr_msg_cb(pc, on_delivery);
            rd_kafka_conf_set(pc, "enable.idempotence", "true", errstr, sizeof errstr);
            k.prod = rd_kafka_new(RD_KAFKA_PRODUCER, pc, errstr, sizeof errstr);
            if (!k.prod) {
                rd_kafka_conf_destroy(pc);
                rc = fail(err, YS_EINVAL, "kafka: %s", errstr);
            }
        } else {
            rc = YS_EINVAL;
        }
        if (rc == YS_OK && !(k.mem = open_memstream(&k.membuf, &k.memlen)))
            rc = fail(err, YS_ENOMEM, "out of memory");
        po->out = k.mem;
    }
    if (rc == YS_OK) {
        rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(topics, ko->topic, RD_KAFKA_PARTITION_UA);
        rd_kafka_resp_err_t e = rd_kafka_subscribe(k.rk, topics);
        rd_kafka_topic_partition_list_destroy(topics);
        if (e)
            rc = fail(err, YS_EIO, "kafka: subscribe to %s: %s", ko->topic,
                         rd_kafka_err2str(e));
    }
    struct stat st;
    if (rc == YS_OK && ko->fsync && !ko->out_topic && fstat(fileno(po->out), &st) == 0)
        k.sync = S_ISREG(st.st_mode) || S_ISBLK(st.st_mode); /* a pipe has nothing to sync */
    if (rc == YS_OK) {
        char name[512];
        snprintf(name, sizeof name, "kafka:%s", ko->topic); /* until a batch says which partition */
        po->on_written = on_written;
        po->written_ctx = &k;
        rc = ys_pipeline_run_feed(db, sc, po, name, fill, &k, c, err);
        if (k.failed && (rc == YS_OK || k.sync_failed)) {
            /* The run's first error: a produce or fsync failure (after a
             * failed fsync the pipeline's own writes say only YS_EIO). */
            *err = k.err;
            rc = k.err.code ? k.err.code : YS_EIO;
        } else if (rc != YS_OK && rc != YS_EINTR && !err->message[0] && k.err.code) {
            *err = k.err; /* fill()'s error */
        }
        if (rc == YS_OK && po->stop && *po->stop)
            rc = fail(err, YS_EINTR, "stopped by a signal"); /* drained: all written */
        if (!k.failed && rc != YS_EPIPE)
            (void)rd_kafka_commit(k.rk, NULL, 0); /* what was stored: written posts */
    }
    double end = now(), secs = end - k.start, busy = k.messages ? end - k.first_msg : 0;
    if (ko->stats)
        fprintf(stderr, "%s: kafka: %llu messages, %.1f MB in %.2f s (the first after %.2f s: "
                "joining the group); from the first: %.0f messages/s, %.1f MB/s; %llu bad; "
                "lag at the end %lld messages\n", prog, (unsigned long long)k.messages,
                (double)k.bytes / 1e6, secs, secs - busy,
                busy > 0 ? (double)k.messages / busy : 0, busy > 0 ? (double)k.bytes / 1e6 / busy : 0,
                (unsigned long long)k.bad, lag(&k));
    if (ko->stats && ko->out_topic)
        fprintf(stderr, "%s: kafka: %llu flagged posts produced to %s\n", prog,
                (unsigned long long)k.produced, ko->out_topic);
    if (k.held)
        rd_kafka_message_destroy(k.held);
    rd_kafka_consumer_close(k.rk); /* leaves the group */
    rd_kafka_destroy(k.rk);
    if (k.prod)
        rd_kafka_destroy(k.prod);
    for (size_t i = 0; i < k.nbatches; i++)
        marks_free(&k.batches[i]);
    marks_free(&k.cur);
    free(k.batches);
    for (size_t i = 0; i < k.nparts; i++)
        free(k.parts[i].name);
    free(k.parts);
    free(k.text);
    if (k.mem)
        fclose(k.mem);
    free(k.membuf);
    return rc;
}
