/* kafka-cluster — runs a command beside librdkafka's in-process mock cluster,
 * for tests/faultinject/kafka-loop:
 *
 *   kafka-cluster TOPIC FILE -- COMMAND [ARGS...]
 *
 * Starts a one-broker mock cluster, creates TOPIC with one partition,
 * produces every line of FILE as one message (in order, so offset k is line
 * k + 1), then runs COMMAND with $KAFKA_BROKERS set to the cluster's
 * address and exits with its status once it ends (the cluster lives as long
 * as this process). */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 5 || strcmp(argv[3], "--") != 0) {
        fprintf(stderr, "usage: kafka-cluster TOPIC FILE -- COMMAND [ARGS...]\n");
        return 2;
    }
    char why[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "test.mock.num.brokers", "1", why, sizeof why) ||
        rd_kafka_conf_set(conf, "linger.ms", "5", why, sizeof why) ||
        rd_kafka_conf_set(conf, "log_level", "0", why, sizeof why)) {
        fprintf(stderr, "kafka-cluster: %s\n", why);
        return 2;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
    if (!rk) {
        fprintf(stderr, "kafka-cluster: %s\n", why);
        return 2;
    }
    rd_kafka_mock_cluster_t *mock = rd_kafka_handle_mock_cluster(rk);
    if (!mock || rd_kafka_mock_topic_create(mock, argv[1], 1, 1) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "kafka-cluster: no mock cluster\n");
        return 2;
    }
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 2;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] == '\n')
            n--;
        rd_kafka_resp_err_t e;
        while ((e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(argv[1]), RD_KAFKA_V_PARTITION(0),
                                      RD_KAFKA_V_VALUE(line, (size_t)n),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) ==
               RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 10);
        if (e) {
            fprintf(stderr, "kafka-cluster: %s\n", rd_kafka_err2str(e));
            return 2;
        }
    }
    free(line);
    fclose(f);
    if (rd_kafka_flush(rk, 30000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "kafka-cluster: messages not delivered\n");
        return 2;
    }
    setenv("KAFKA_BROKERS", rd_kafka_mock_cluster_bootstraps(mock), 1);
    pid_t pid = fork();
    if (pid == 0) {
        execvp(argv[4], argv + 4);
        perror(argv[4]);
        _exit(127);
    }
    int st = 0;
    while (pid > 0 && waitpid(pid, &st, 0) < 0)
        ;
    rd_kafka_destroy(rk);
    if (pid < 0)
        return 2;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
