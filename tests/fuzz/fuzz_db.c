/* Fuzz target: the compiled-database loader. The input's trailing checksum
 * is repaired first, so that the fuzzer gets past it to the header, pattern
 * table and Hyperscan blobs; a database that loads must be usable. */
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
        if (ys_scanner_new(db, &sc, &err) == YS_OK)
            ys_scanner_free(sc);
        ys_db_free(db);
    } else if (strncmp(err.message, "fuzz.ysdb", 9) != 0) {
        abort(); /* the message names the file */
    }
    free(copy);
    return 0;
}
