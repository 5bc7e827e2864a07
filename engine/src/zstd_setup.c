/* How zstd frames are decoded: the window limit and the dictionary a source
 * is given (ys_source_set_zstd_window, ys_source_set_zstd_dict), shared by
 * the streaming decoder (source.c) and the frame-parallel one (frames.c),
 * and the messages of a frame refused for either. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

#define DICT_MAX (64u << 20) /* zstd --train writes 110 KB by default */

struct ys_zstd_dict {
    ZSTD_DDict *dd;
    unsigned id;
};

int ys_zstd_dict_load(const char *path, ys_zstd_dict **out, ys_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ys_fail(err, YS_EIO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = errno;
        close(fd);
        return ys_fail(err, YS_EIO, "%s: %s", path, e ? strerror(e) : "not a regular file");
    }
    if (st.st_size == 0 || (uint64_t)st.st_size > DICT_MAX) {
        close(fd);
        return ys_fail(err, YS_EINVAL, "%s: a zstd dictionary of %llu bytes (1 byte to %u MiB)",
                       path, (unsigned long long)st.st_size, DICT_MAX >> 20);
    }
    size_t len = (size_t)st.st_size, got = 0;
    char *buf = malloc(len);
    if (!buf) {
        close(fd);
        return ys_fail(err, YS_ENOMEM, "out of memory");
    }
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : 0;
            free(buf);
            close(fd);
            return ys_fail(err, YS_EIO, "%s: %s", path, e ? strerror(e) : "file shrank while read");
        }
        got += (size_t)n;
    }
    close(fd);
    ys_zstd_dict *d = calloc(1, sizeof *d);
    if (d)
        d->dd = ZSTD_createDDict(buf, len); /* copies the content */
    free(buf);
    if (!d || !d->dd) {
        free(d);
        return ys_fail(err, YS_ENOMEM, "out of memory");
    }
    d->id = ZSTD_getDictID_fromDDict(d->dd);
    *out = d;
    return YS_OK;
}

unsigned ys_zstd_dict_id(const ys_zstd_dict *d) { return d->id; }

void ys_zstd_dict_free(ys_zstd_dict *d)
{
    if (!d)
        return;
    ZSTD_freeDDict(d->dd);
    free(d);
}

ZSTD_DCtx *ys_zstd_dctx(const ys_zstd_setup *z)
{
    ZSTD_DCtx *d = ZSTD_createDCtx();
    if (d && (ZSTD_isError(ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, (int)z->window_log)) ||
              (z->dict && ZSTD_isError(ZSTD_DCtx_refDDict(d, z->dict->dd))))) {
        ZSTD_freeDCtx(d);
        d = NULL;
    }
    return d;
}

uint64_t ys_zstd_declared_window(const unsigned char *h, size_t n)
{
    if (n < 6 || h[0] != 0x28 || h[1] != 0xB5 || h[2] != 0x2F || h[3] != 0xFD)
        return 0; /* a skippable frame asks for no window */
    unsigned fhd = h[4], fcs_flag = fhd >> 6, single = (fhd >> 5) & 1;
    if (!single) {
        unsigned exp = h[5] >> 3, mantissa = h[5] & 7;
        uint64_t base = (uint64_t)1 << (10 + exp);
        return base + (base >> 3) * mantissa;
    }
    /* Single segment: the window is the content size. */
    static const size_t did_size[4] = {0, 1, 2, 4}, fcs_size[4] = {1, 2, 4, 8};
    size_t at = 5 + did_size[fhd & 3], len = fcs_size[fcs_flag];
    if (n < at + len)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++)
        v |= (uint64_t)h[at + i] << (8 * i);
    return len == 2 ? v + 256 : v;
}

int ys_zstd_refusal(const char *name, uint64_t off, const unsigned char *h, size_t n,
                    size_t r, const ys_zstd_setup *z, ys_error *err)
{
    ZSTD_ErrorCode code = ZSTD_getErrorCode(r);
    if (code == ZSTD_error_frameParameter_windowTooLarge) {
        uint64_t w = ys_zstd_declared_window(h, n);
        if (w > (uint64_t)1 << YS_ZSTD_WINDOW_LOG_DEFAULT)
            return ys_fail(err, YS_EZSTD,
                           "%s: damaged zstd frame header at compressed byte offset %llu: it "
                           "declares a window of %llu MiB, more than any zstd writes (%u MiB)",
                           name, (unsigned long long)off, (unsigned long long)(w >> 20),
                           1u << (YS_ZSTD_WINDOW_LOG_DEFAULT - 20));
        char asked[48] = "";
        if (w)
            snprintf(asked, sizeof asked, " of %llu MiB", (unsigned long long)((w + (1u << 20) - 1) >> 20));
        return ys_fail(err, YS_EZSTD,
                       "%s: the zstd frame at compressed byte offset %llu needs a window%s, "
                       "more than the limit of %llu MiB set for this input (ys_source_set_zstd_window)",
                       name, (unsigned long long)off, asked,
                       (unsigned long long)(((uint64_t)1 << z->window_log) >> 20));
    }
    if (code != ZSTD_error_dictionary_wrong)
        return YS_OK;
    unsigned id = n >= 5 ? ZSTD_getDictID_fromFrame(h, n) : 0;
    if (z->dict)
        return ys_fail(err, YS_EZSTD,
                       "%s: the zstd frame at compressed byte offset %llu was compressed with "
                       "dictionary %u, not with the one given (ID %u)",
                       name, (unsigned long long)off, id, z->dict->id);
    if (id)
        return ys_fail(err, YS_EZSTD,
                       "%s: the zstd frame at compressed byte offset %llu was compressed with "
                       "dictionary %u: give it (ys_source_set_zstd_dict)",
                       name, (unsigned long long)off, id);
    return ys_fail(err, YS_EZSTD,
                   "%s: the zstd frame at compressed byte offset %llu was compressed with a "
                   "dictionary: give it (ys_source_set_zstd_dict)",
                   name, (unsigned long long)off);
}
