/* Byte streams: a file or stdin, decompressed when it starts with a zstd
 * frame (ZSTD_decompressStream handles multi-frame, concatenated and
 * skippable frames; a file of many frames may be decoded by several
 * threads instead, frames.c), or with the magic number of gzip, xz, bzip2
 * or lz4 (codecs.c). */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

#define IN_CAP (1u << 17)
/* The longest zstd frame header (RFC 8878). */
#define HEADER_MAX 18
#define MAGIC_MAX 10 /* the longest magic number looked for (bzip2's, codecs.c) */

struct ys_source {
    int fd;
    char *name;
    int zstd;
    ZSTD_DStream *ds;
    unsigned char *in;
    size_t in_pos, in_len;
    uint64_t in_base;    /* compressed offset of in[0] */
    uint64_t bytes_out;
    size_t frame_left;   /* last ZSTD_decompressStream hint: 0 = between frames */
    uint64_t frame_start; /* compressed offset of the current frame */
    unsigned char tail[HEADER_MAX]; /* the last bytes of the buffer before in[] */
    size_t tail_len;
    int eof;
    int stream;          /* reads can block: a pipe, socket or terminal */
    ys_frames *frames;   /* frame-parallel decoding, or NULL */
    ys_zstd_setup zset;  /* window limit and dictionary */
    uint64_t window;     /* the largest window a frame asked for */
    ys_codec *codec;     /* gzip, xz, bzip2 or lz4, or NULL */
    int codec_kind;
    int held;            /* the last decoding filled the buffer: more may be held */
    int failed;          /* the codec's error, told after the bytes before it */
    ys_error failure;
};

/* One read(2); sets eof when it returns 0 bytes. EINTR is passed up, so
 * that a caller waiting on a pipe can notice a stop request. */
static int read_some(ys_source *s, void *buf, size_t cap, size_t *got, ys_error *err)
{
    *got = 0;
    ssize_t n = read(s->fd, buf, cap);
    if (n < 0 && errno == EINTR)
        return ys_fail(err, YS_EINTR, "%s: read interrupted", s->name);
    if (n < 0)
        return ys_fail(err, YS_EIO, "%s: %s", s->name, strerror(errno));
    s->eof = n == 0;
    *got = (size_t)n;
    return YS_OK;
}

/* Replaces the (consumed) input buffer with the next bytes; its last bytes
 * are kept, for a frame header that spans two buffers. */
static int fill(ys_source *s, ys_error *err)
{
    size_t keep = s->in_len < HEADER_MAX ? s->in_len : HEADER_MAX;
    if (keep > 0) {
        memcpy(s->tail, s->in + s->in_len - keep, keep);
        s->tail_len = keep;
    }
    s->in_base += s->in_len;
    s->in_pos = s->in_len = 0;
    return read_some(s, s->in, IN_CAP, &s->in_len, err);
}

/* Whether the n < 4 bytes at b can begin a zstd frame or skippable frame
 * (magic 0xFD2FB528, or 0x184D2A50…5F, little-endian). */
static int magic_prefix(const unsigned char *b, size_t n)
{
    static const unsigned char zstd[4] = {0x28, 0xB5, 0x2F, 0xFD}, skip[4] = {0x50, 0x2A, 0x4D, 0x18};
    int z = 1, k = 1;
    for (size_t i = 0; i < n; i++) {
        z &= b[i] == zstd[i];
        k &= i == 0 ? (b[0] & 0xF0) == 0x50 : b[i] == skip[i];
    }
    return z || k;
}

/* Input that is no known compressed format must look like text: a first
 * block with a NUL byte and bytes that are not UTF-8 (beyond a character cut
 * at its end) is a binary file (an archive, an image, a program), and reading
 * it as lines would report "nothing flagged" for posts never read. Text in
 * another encoding (no NULs) is scanned, its invalid UTF-8 counted. */
static int check_text(const ys_source *s, ys_error *err)
{
    const char *b = (const char *)s->in;
    const char *nul = memchr(b, 0, s->in_len);
    if (!nul || ys_utf8_valid_prefix(b, s->in_len) + 3 >= s->in_len)
        return YS_OK;
    return ys_fail(err, YS_EFORMAT, "%s: not text (a NUL byte at offset %zu and bytes that are "
                   "not UTF-8 in its first %zu) and not zstd, gzip, xz, bzip2 or lz4: not "
                   "scanned", s->name, (size_t)(nul - b), s->in_len);
}

int ys_source_open(const char *path, ys_source **out, ys_error *err)
{
    *out = NULL;
    int is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ys_fail(err, YS_EIO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (!is_stdin)
            close(fd);
        return ys_fail(err, YS_EIO, "%s: %s", path, strerror(EISDIR));
    }
    ys_source *s = calloc(1, sizeof *s);
    if (s) {
        s->name = strdup(is_stdin ? "(standard input)" : path);
        s->in = malloc(IN_CAP);
    }
    if (!s || !s->name || !s->in) {
        if (s) {
            free(s->name);
            free(s->in);
        }
        free(s);
        if (!is_stdin)
            close(fd);
        return ys_fail(err, YS_ENOMEM, "out of memory");
    }
    s->fd = fd;
    s->stream = fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode);
    /* Read the first bytes to look for a zstd magic number. A short read
     * from a pipe is topped up so that 4 bytes decide whenever they exist,
     * but only while what came so far could start one: a first line of
     * text shorter than 4 bytes is not held back waiting for more. */
    int rc = fill(s, err);
    while (rc == YS_OK && !s->eof &&
           ((s->in_len < 4 && magic_prefix(s->in, s->in_len)) ||
            (s->in_len < MAGIC_MAX && ys_codec_detect(s->in, s->in_len) < 0))) {
        size_t n;
        rc = read_some(s, s->in + s->in_len, IN_CAP - s->in_len, &n, err);
        s->in_len += n;
    }
    if (rc == YS_OK && s->in_len >= 4) {
        uint32_t magic = (uint32_t)s->in[0] | (uint32_t)s->in[1] << 8 |
                         (uint32_t)s->in[2] << 16 | (uint32_t)s->in[3] << 24;
        s->zstd = magic == ZSTD_MAGICNUMBER ||
                  (magic & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START;
    }
    int kind = rc == YS_OK && !s->zstd ? ys_codec_detect(s->in, s->in_len) : YS_CODEC_NONE;
    if (kind > YS_CODEC_NONE) {
        s->codec_kind = kind;
        rc = ys_codec_new(kind, s->name, &s->codec, err);
    }
    if (rc == YS_OK && !s->zstd && kind <= YS_CODEC_NONE)
        rc = check_text(s, err);
    if (rc == YS_OK && s->zstd) {
        s->zset.window_log = YS_ZSTD_WINDOW_LOG_DEFAULT;
        if (!(s->ds = ys_zstd_dctx(&s->zset)))
            rc = ys_fail(err, YS_ENOMEM, "out of memory");
    }
    if (rc != YS_OK) {
        ys_source_close(s);
        return rc;
    }
    *out = s;
    return YS_OK;
}

void ys_source_close(ys_source *s)
{
    if (!s)
        return;
    ys_frames_close(s->frames);
    if (s->fd != STDIN_FILENO)
        close(s->fd);
    ZSTD_freeDStream(s->ds);
    ys_codec_free(s->codec);
    free(s->in);
    free(s->name);
    free(s);
}

static int read_plain(ys_source *s, char *buf, size_t cap, size_t *got, ys_error *err)
{
    if (s->in_pos < s->in_len) { /* what detection read first */
        size_t n = s->in_len - s->in_pos;
        n = n < cap ? n : cap;
        memcpy(buf, s->in + s->in_pos, n);
        s->in_pos += n;
        *got = n;
        return YS_OK;
    }
    if (s->eof)
        return YS_OK;
    int rc = read_some(s, buf, cap, got, err);
    s->in_base += *got;
    return rc;
}

/* The first bytes (at most HEADER_MAX) of the frame starting at
 * s->frame_start that are still in the buffer or its kept tail. */
static size_t frame_header(const ys_source *s, unsigned char *h)
{
    size_t n = 0;
    uint64_t at = s->frame_start, tail_base = s->in_base - s->tail_len;
    for (; n < HEADER_MAX; n++, at++) {
        if (at >= s->in_base && at - s->in_base < s->in_len)
            h[n] = s->in[at - s->in_base];
        else if (at >= tail_base && at < s->in_base)
            h[n] = s->tail[at - tail_base];
        else
            break;
    }
    return n;
}

static int read_zstd(ys_source *s, char *buf, size_t cap, size_t *got, ys_error *err)
{
    ZSTD_outBuffer out = {buf, cap, 0};
    while (out.pos == 0) {
        if (s->in_pos == s->in_len) {
            if (s->eof) {
                if (s->frame_left != 0)
                    return ys_fail(err, YS_EZSTD,
                                   "%s: truncated zstd stream: input ends inside a frame "
                                   "at compressed byte offset %llu",
                                   s->name, (unsigned long long)(s->in_base + s->in_len));
                break;
            }
            int rc = fill(s, err);
            if (rc != YS_OK)
                return rc;
            continue;
        }
        ZSTD_inBuffer in = {s->in, s->in_len, s->in_pos};
        int starts = s->frame_left == 0; /* between frames: the next starts here */
        if (starts)
            s->frame_start = s->in_base + s->in_pos;
        size_t r = ZSTD_decompressStream(s->ds, &out, &in);
        unsigned char h[HEADER_MAX];
        if (ZSTD_isError(r) && ys_zstd_refusal(s->name, s->frame_start, h, frame_header(s, h), r,
                                               &s->zset, err) != YS_OK)
            return YS_EZSTD;
        if (ZSTD_isError(r))
            return ys_fail(err, YS_EZSTD,
                           "%s: corrupt zstd stream near compressed byte offset %llu: %s",
                           s->name, (unsigned long long)(s->in_base + in.pos),
                           ZSTD_getErrorName(r));
        if (starts) { /* the header is read: note the window it asks for */
            uint64_t w = ys_zstd_declared_window(h, frame_header(s, h));
            s->window = w > s->window ? w : s->window;
        }
        s->in_pos = in.pos;
        s->frame_left = r;
    }
    *got = out.pos;
    return YS_OK;
}

static int read_codec(ys_source *s, char *buf, size_t cap, size_t *got, ys_error *err)
{
    *got = 0;
    if (s->failed) {
        if (err)
            *err = s->failure;
        return s->failed;
    }
    for (;;) {
        int at_end = s->eof && s->in_pos == s->in_len;
        int rc = ys_codec_decode(s->codec, s->name, s->in, s->in_len, &s->in_pos, s->in_base,
                                 at_end, (unsigned char *)buf, cap, got, &s->failure);
        if (rc != YS_OK) {
            s->failed = rc;
            if (*got > 0)
                break; /* the bytes before the damage first, the error next */
            if (err)
                *err = s->failure;
            return rc;
        }
        if (*got > 0)
            break;
        if (at_end) {
            if (ys_codec_inside(s->codec))
                return ys_fail(err, YS_EZSTD,
                               "%s: truncated %s stream: input ends inside it at compressed "
                               "byte offset %llu",
                               s->name, ys_codec_name(s->codec_kind),
                               (unsigned long long)(s->in_base + s->in_len));
            break;
        }
        if (s->in_pos == s->in_len && (rc = fill(s, err)) != YS_OK)
            return rc;
    }
    s->held = *got == cap;
    return YS_OK;
}

static int start_frames(ys_source *s, unsigned threads, size_t min_frames, ys_error *err)
{
    if (!s->zstd || s->frames || s->bytes_out > 0 || s->fd == STDIN_FILENO)
        return YS_OK;
    return ys_frames_open(s->fd, s->name, &s->zset, threads, min_frames, &s->frames, err);
}

/* Whether decoding settings can still change: nothing decoded, no frames
 * decoded ahead. */
static int too_late(const ys_source *s, const char *what, ys_error *err)
{
    if (s->bytes_out == 0 && !s->frames && s->in_pos == 0 && s->in_base == 0)
        return YS_OK;
    return ys_fail(err, YS_EINVAL, "%s: the zstd %s is set before the first read", s->name, what);
}

int ys_source_set_zstd_window(ys_source *s, unsigned log, ys_error *err)
{
    if (log < 10 || log > YS_ZSTD_WINDOW_LOG_DEFAULT)
        return ys_fail(err, YS_EINVAL, "a zstd window of 2^%u bytes (2^10 to 2^%d)", log,
                       YS_ZSTD_WINDOW_LOG_DEFAULT);
    if (!s->zstd)
        return YS_OK;
    int rc = too_late(s, "window limit", err);
    if (rc != YS_OK)
        return rc;
    s->zset.window_log = log;
    if (ZSTD_isError(ZSTD_DCtx_setParameter(s->ds, ZSTD_d_windowLogMax, (int)log)))
        return ys_fail(err, YS_EINVAL, "a zstd window of 2^%u bytes: refused by libzstd", log);
    return YS_OK;
}

int ys_source_set_zstd_dict(ys_source *s, const ys_zstd_dict *dict, ys_error *err)
{
    if (!s->zstd)
        return YS_OK;
    int rc = too_late(s, "dictionary", err);
    if (rc != YS_OK)
        return rc;
    ZSTD_DCtx *d = NULL;
    ys_zstd_setup z = s->zset;
    z.dict = dict;
    if (!(d = ys_zstd_dctx(&z)))
        return ys_fail(err, YS_ENOMEM, "out of memory");
    ZSTD_freeDStream(s->ds);
    s->ds = d;
    s->zset = z;
    return YS_OK;
}

uint64_t ys_source_zstd_window(const ys_source *s)
{
    return s->frames ? ys_frames_window(s->frames) : s->window;
}

int ys_source_set_threads(ys_source *s, unsigned threads, ys_error *err)
{
    return start_frames(s, threads, 2, err);
}

int ys_source_prefetch(ys_source *s, unsigned threads, ys_error *err)
{
    return start_frames(s, threads, 1, err);
}

int ys_source_read(ys_source *s, void *buf, size_t cap, size_t *got, ys_error *err)
{
    *got = 0;
    int rc = s->frames  ? ys_frames_read(s->frames, buf, cap, got, err)
             : s->zstd  ? read_zstd(s, buf, cap, got, err)
             : s->codec ? read_codec(s, buf, cap, got, err)
                        : read_plain(s, buf, cap, got, err);
    s->bytes_out += *got;
    return rc;
}

int ys_source_wait(ys_source *s, int timeout_ms)
{
    if (!s->stream || s->frames)
        return -1;
    if (s->in_pos < s->in_len || s->eof || s->held)
        return 1; /* bytes read already (detection, or compressed input), or
                   * decoded bytes a decoder may still hold */
    struct pollfd p = {.fd = s->fd, .events = POLLIN};
    int n = poll(&p, 1, timeout_ms < 0 ? 0 : timeout_ms);
    return n == 0 || (n < 0 && errno == EINTR) ? 0 : 1; /* a signal: look again */
}

const char *ys_source_name(const ys_source *s) { return s->name; }
int ys_source_is_zstd(const ys_source *s) { return s->zstd; }
const char *ys_source_format(const ys_source *s)
{
    return s->zstd ? "zstd" : s->codec ? ys_codec_name(s->codec_kind) : "plain";
}
uint64_t ys_source_bytes_in(const ys_source *s)
{
    return s->frames ? ys_frames_bytes_in(s->frames) : s->in_base + s->in_len;
}
int ys_source_parallel(const ys_source *s) { return s->frames != NULL; }
uint64_t ys_source_bytes_out(const ys_source *s) { return s->bytes_out; }
