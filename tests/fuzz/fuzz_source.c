/* Fuzz target: the source reader (plain and zstd). The input is served
 * through a memory file; with the first byte odd it is given the zstd magic
 * number, so that the decoder sees it. Reads use buffer sizes taken from the
 * input. The source must end with data or an error (never hang), and its
 * byte counters must agree with what was returned. */
#define _GNU_SOURCE /* memfd_create */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "yamiscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static const uint8_t magic[4] = {0x28, 0xB5, 0x2F, 0xFD};
    int fd = memfd_create("fuzz-source", 0);
    if (fd < 0)
        return 0;
    int zstd = data[0] & 1;
    size_t cap = 1 + data[1] * 61u;
    if ((zstd && write(fd, magic, 4) != 4) ||
        write(fd, data + 2, size - 2) != (ssize_t)(size - 2)) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ys_source *src;
    ys_error err;
    if (ys_source_open(path, &src, &err) == YS_OK) {
        char *buf = malloc(cap);
        uint64_t total = 0;
        size_t got;
        int rc;
        while (buf && (rc = ys_source_read(src, buf, cap, &got, &err)) == YS_OK && got > 0) {
            if (got > cap)
                abort();
            total += got;
        }
        if (ys_source_bytes_out(src) != total)
            abort();
        if (!ys_source_is_zstd(src) && total != size - 2)
            abort(); /* plain input comes back whole */
        if (zstd && !ys_source_is_zstd(src))
            abort();
        if (ys_source_bytes_in(src) > size - 2 + 4 * zstd)
            abort();
        free(buf);
        ys_source_close(src);
    }
    close(fd);
    return 0;
}
