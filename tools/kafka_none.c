/* yamiscan built without librdkafka (-Dkafka=disabled, or librdkafka-dev
 * missing): the --kafka-… options say so. */
#include "kafka.h"

#include "cli.h"

int kafka_available(void) { return 0; }

int kafka_scan(const ys_db *db, ys_scanner *sc, ys_pipeline_options *po,
               const kafka_options *ko, ys_counters *c, ys_error *err)
{
    (void)db, (void)sc, (void)po, (void)ko, (void)c;
    snprintf(err->message, sizeof err->message,
             "this yamiscan was built without Kafka support (install librdkafka-dev and "
             "rebuild)");
    return err->code = YS_EINVAL;
}
