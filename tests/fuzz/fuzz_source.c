/* Fuzz target: the source reader (plain, zstd, gzip, xz, bzip2, lz4). The
 * input is served through a memory file; with the first byte odd it is
 * given the zstd magic number, so that the decoder sees it, and with it
 * even, by (byte / 2) % 5, none or the magic number of gzip, xz, bzip2 (with
 * a block's) or lz4. Reads use buffer sizes taken from the
 * input. The source must end with data or an error (never hang), and its
 * byte counters must agree with what was returned. Each input is read twice:
 * by the streaming decoder, and with two threads decoding ahead (every frame
 * found goes through frames.c): the bytes of one must be a prefix of the
 * other's, and equal when both reads succeed. (Not "both succeed or both
 * fail": this target found that libzstd's streaming decoder, given an output
 * buffer smaller than a frame, can accept a frame that decodes to fewer
 * bytes than its header declares, which the frame-parallel path, decoding
 * into a buffer of the declared size, reports as corrupt.) */
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
    static const struct {
        uint8_t len, bytes[10];
    } magics[6] = {{0, {0}},
                   {2, {0x1F, 0x8B}},
                   {6, {0xFD, '7', 'z', 'X', 'Z', 0x00}},
                   {10, {'B', 'Z', 'h', '9', 0x31, 0x41, 0x59, 0x26, 0x53, 0x59}},
                   {4, {0x04, 0x22, 0x4D, 0x18}},
                   {4, {0x28, 0xB5, 0x2F, 0xFD}}};
    int fd = memfd_create("fuzz-source", 0);
    if (fd < 0)
        return 0;
    unsigned m = data[0] & 1 ? 5 : (data[0] >> 1) % 5;
    size_t cap = 1 + data[1] * 61u;
    if (write(fd, magics[m].bytes, magics[m].len) != (ssize_t)magics[m].len ||
        write(fd, data + 2, size - 2) != (ssize_t)(size - 2)) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    char *out[2] = {NULL, NULL};
    uint64_t total[2] = {0, 0};
    int rc[2] = {YS_EIO, YS_EIO};
    for (int pass = 0; pass < 2; pass++) {
        ys_source *src;
        ys_error err;
        if (ys_source_open(path, &src, &err) != YS_OK)
            continue;
        /* A header may ask for a 2 GiB window, which libzstd would allocate
         * (past libFuzzer's malloc limit): 128 MiB is enough to fuzz with. */
        if (ys_source_set_zstd_window(src, 27, &err) != YS_OK)
            abort();
        if (pass == 1 && ys_source_prefetch(src, 2, &err) != YS_OK)
            abort(); /* only out of memory, not with these sizes */
        char *buf = malloc(cap);
        out[pass] = malloc(size * 64 + 1024);
        size_t got;
        while (buf && (rc[pass] = ys_source_read(src, buf, cap, &got, &err)) == YS_OK && got > 0) {
            if (got > cap)
                abort();
            if (total[pass] + got <= size * 64 + 1024)
                memcpy(out[pass] + total[pass], buf, got);
            total[pass] += got;
        }
        if (ys_source_bytes_out(src) != total[pass])
            abort();
        if (!strcmp(ys_source_format(src), "plain") && total[pass] != size - 2 + magics[m].len)
            abort(); /* plain input comes back whole */
        if (m == 5 && !ys_source_is_zstd(src))
            abort();
        if (ys_source_bytes_in(src) > size - 2 + magics[m].len)
            abort();
        free(buf);
        ys_source_close(src);
    }
    uint64_t common = total[0] < total[1] ? total[0] : total[1];
    if ((rc[0] == YS_OK && rc[1] == YS_OK && total[0] != total[1]) ||
        (common <= size * 64 + 1024 && out[0] && out[1] && memcmp(out[0], out[1], common)))
        abort(); /* decoding ahead gave other bytes than streaming */
    free(out[0]);
    free(out[1]);
    close(fd);
    return 0;
}
