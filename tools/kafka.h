/* yamiscan scan --kafka-…: posts from a Kafka topic, as a consumer in a
 * group; flagged posts to stdout or to another topic. */
#ifndef YS_KAFKA_H
#define YS_KAFKA_H

#include <signal.h>

#include "yamiscan.h"

#define KAFKA_MAX_CONF 64

typedef struct {
    const char *brokers, *topic, *group, *out_topic;
    const char *conf[KAFKA_MAX_CONF]; /* "key=value" */
    int nconf;
    int until_end;     /* stop when every assigned partition is read to its end */
    int stats;         /* print message counters and lag at the end */
    double connect_s;  /* give up when no broker answers in this time */
    /* --fsync: when the output (po->out) is a regular file or block device,
     * fsync it before the offsets of what was written are stored, so that
     * a committed offset never outruns the data on disk; a failed fsync is
     * a write error (nothing more is written, no later offset stored).
     * Not with out_topic (the brokers' acknowledgement is what counts). */
    int fsync;
} kafka_options;

/* Whether this yamiscan was built with librdkafka. */
int kafka_available(void);

/* Consumes, scans and writes until stopped (opt->stop), until the end
 * (until_end), or an error; offsets are committed only for posts whose
 * verdicts were written and flushed (with fsync, also synced to disk; with
 * out_topic, acknowledged).
 * Prints its own messages; returns YS_OK, YS_EINTR or an error code. */
int kafka_scan(const ys_db *db, ys_scanner *sc, ys_pipeline_options *po,
               const kafka_options *ko, ys_counters *c, ys_error *err);

#endif
