/* Verdicts without delay on a stream (ys_pipeline_options.latency_ms):
 * the clock and the deadline the pipeline's reading loop waits for.
 * Internal. */
#ifndef YS_LATENCY_H
#define YS_LATENCY_H

#include "yamiscan.h"

#define YS_LATENCY_DEFAULT_MS 100

/* Monotonic seconds. */
double ys_latency_now(void);

/* Milliseconds left until a post read at `since` (ys_latency_now) has
 * waited opt->latency_ms (0 → YS_LATENCY_DEFAULT_MS) for its verdict;
 * 0 once it has. */
int ys_latency_left_ms(const ys_pipeline_options *opt, double since);

#endif
