/* The clock and deadline of verdicts on a stream (latency.h). */
#include "latency.h"

#include <time.h>

double ys_latency_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int ys_latency_left_ms(const ys_pipeline_options *opt, double since)
{
    unsigned ms = opt->latency_ms ? opt->latency_ms : YS_LATENCY_DEFAULT_MS;
    double left = since + ms / 1000.0 - ys_latency_now();
    if (left <= 0)
        return 0;
    /* rounded up: a wait that ends early would only come back to wait again */
    return left * 1000 >= (double)ms ? (int)ms : (int)(left * 1000) + 1;
}
