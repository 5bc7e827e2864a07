/* Fuzz target: the compiled-database loader. The input's trailing checksum
 * is repaired first, so that the fuzzer gets past it to the header, pattern
 * table and the engine's images (Hyperscan databases, Aho-Corasick arrays);
 * a database that loads must be usable: it scans a batch of posts, and
 * every hit lies inside its post and names a pattern of the table. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yamiscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ys_db *db;
    ys_error err;
    if (ys_db_load_mem("fuzz.ysdb", data, size, &db, &err) == YS_OK) /* as it came */
        ys_db_free(db);
    if (size < 8)
        return 0;
    uint8_t *copy = malloc(size);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    uint64_t h = ys_checksum(copy, size - 8); /* of all but the last 8 bytes */
    memcpy(copy + size - 8, &h, 8);
    if (ys_db_load_mem("fuzz.ysdb", copy, size, &db, &err) == YS_OK) {
        ys_db_stats st;
        ys_db_get_stats(db, &st);
        for (size_t i = 0; i < st.patterns; i++)
            if (!ys_db_pattern(db, (unsigned)i)->expr)
                abort();
        ys_scanner *sc;
        if (ys_scanner_new(db, &sc, &err) == YS_OK) {
            static const char *const posts[] = {"闇バイト募集 受け子 即日即金", "ﾎﾜｲﾄ案件 Telegram",
                                                "\xe3\x81 \xff abc 🌙 日給5万"};
            ys_batch *b = ys_batch_new(4096);
            for (size_t i = 0; b && i < 3; i++)
                ys_batch_add(b, posts[i], strlen(posts[i]), NULL, 0, i + 1);
            const ys_hit *h;
            size_t n;
            if (b && ys_scan_batch(sc, b, &h, &n, &err) == YS_OK)
                for (size_t i = 0; i < n; i++)
                    if (h[i].post >= 3 || h[i].start > h[i].end ||
                        h[i].end > strlen(posts[h[i].post]) || h[i].pattern >= st.patterns)
                        abort();
            ys_batch_free(b);
            ys_scanner_free(sc);
        }
        ys_db_free(db);
    } else if (strncmp(err.message, "fuzz.ysdb", 9) != 0) {
        abort(); /* the message names the file */
    }
    free(copy);
    return 0;
}
