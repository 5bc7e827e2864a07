/* kafka-mock — yamiscan's Kafka input through librdkafka's mock cluster
 * (in this process, real protocol on loopback), next to the same posts read
 * from a file:
 *
 *   kafka-mock YAMISCAN FEED.jsonl [PARTITIONS] [-- SCAN OPTIONS...]
 *
 * Produces every line of FEED.jsonl as one message (round robin over the
 * partitions, default 4), then times `YAMISCAN scan --kafka-… --kafka-until-end
 * --stats -c OPTIONS` against `YAMISCAN scan --stats -c OPTIONS FEED.jsonl`
 * and prints both, with messages (posts) per second and their ratio. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "feed.h"

static double run(char *const argv[])
{
    double t0 = feed_now();
    pid_t pid = fork();
    if (pid == 0) {
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) > 1) {
        fprintf(stderr, "kafka-mock: %s failed\n", argv[0]);
        exit(2);
    }
    return feed_now() - t0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: kafka-mock YAMISCAN FEED.jsonl [PARTITIONS] [-- SCAN OPTIONS...]\n");
        return 2;
    }
    int parts = argc > 3 && strcmp(argv[3], "--") ? atoi(argv[3]) : 4;
    int extra = 3;
    while (extra < argc && strcmp(argv[extra], "--"))
        extra++;
    extra = extra < argc ? extra + 1 : argc;
    char why[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "test.mock.num.brokers", "1", why, sizeof why);
    rd_kafka_conf_set(conf, "linger.ms", "50", why, sizeof why);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
    if (!rk) {
        fprintf(stderr, "kafka-mock: %s\n", why);
        return 2;
    }
    rd_kafka_mock_cluster_t *mock = rd_kafka_handle_mock_cluster(rk);
    rd_kafka_mock_topic_create(mock, "posts", parts, 1);
    size_t len;
    char *data = feed_read(argv[2], &len);
    long n = 0;
    for (char *line = data, *nl; line < data + len; line = nl + 1, n++) {
        nl = memchr(line, '\n', (size_t)(data + len - line));
        if (!nl)
            nl = data + len;
        while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("posts"),
                                 RD_KAFKA_V_PARTITION((int32_t)(n % parts)),
                                 RD_KAFKA_V_VALUE(line, (size_t)(nl - line)),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 10);
    }
    rd_kafka_flush(rk, 60000);
    free(data);

    char *kargv[64] = {argv[1], "scan", "-c", "--stats", "--kafka-brokers",
                       (char *)rd_kafka_mock_cluster_bootstraps(mock), "--kafka-topic", "posts",
                       "--kafka-group", "bench", "--kafka-until-end"};
    char *fargv[64] = {argv[1], "scan", "-c", "--stats"};
    int k = 11, f = 4;
    for (int i = extra; i < argc && k < 62; i++)
        kargv[k++] = fargv[f++] = argv[i];
    fargv[f++] = argv[2];
    if (getenv("KAFKA_MOCK_WAIT")) { /* for trying things by hand */
        printf("%s\n", rd_kafka_mock_cluster_bootstraps(mock));
        fflush(stdout);
        sleep((unsigned)atoi(getenv("KAFKA_MOCK_WAIT")));
    }
    double tk = run(kargv), tf = run(fargv);
    printf("{\"messages\":%ld,\"partitions\":%d,\"kafka_s\":%.3f,\"file_s\":%.3f,"
           "\"kafka_msgs_per_s\":%.0f,\"file_posts_per_s\":%.0f,\"ratio\":%.2f}\n",
           n, parts, tk, tf, n / tk, n / tf, tf / tk);
    rd_kafka_destroy(rk);
    return 0;
}
