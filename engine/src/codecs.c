/* The compression formats other than zstd that a source may start with:
 * gzip (zlib), xz (liblzma), bzip2 (libbz2) and lz4 frames (liblz4), each
 * decoded by its maintained library when yamiscan was built with it
 * (YS_HAVE_ZLIB, …). Concatenated members, streams and frames are read one
 * after the other, as their own tools do. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#ifdef YS_HAVE_ZLIB
#include <zlib.h>
#endif
#ifdef YS_HAVE_LZMA
#include <lzma.h>
#endif
#ifdef YS_HAVE_BZ2
#include <bzlib.h>
#endif
#ifdef YS_HAVE_LZ4
#include <lz4frame.h>
#endif

/* The magic numbers: gzip (RFC 1952), xz (the .xz format, 2.1.1.1), bzip2
 * "BZh" with its block size and the first block's (or the end's) magic,
 * lz4's frame (LZ4 Frame Format, 0x184D2204 little-endian). */
static const struct {
    int kind;
    const char *name, *library, *tool;
    unsigned char magic[10];
    size_t len;
} formats[] = {
    {YS_CODEC_GZIP, "gzip", "zlib", "gzip -dc", {0x1F, 0x8B}, 2},
    {YS_CODEC_XZ, "xz", "liblzma", "xz -dc", {0xFD, '7', 'z', 'X', 'Z', 0x00}, 6},
    {YS_CODEC_BZIP2, "bzip2", "libbz2", "bzip2 -dc", {'B', 'Z', 'h', 0, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59}, 10},
    {YS_CODEC_BZIP2, "bzip2", "libbz2", "bzip2 -dc", {'B', 'Z', 'h', 0, 0x17, 0x72, 0x45, 0x38, 0x50, 0x90}, 10},
    {YS_CODEC_LZ4, "lz4", "liblz4", "lz4 -dc", {0x04, 0x22, 0x4D, 0x18}, 4},
};
#define NFORMATS (sizeof formats / sizeof *formats)

/* Whether b[i] fits the magic's byte i (bzip2's byte 3 is its block size,
 * '1' to '9'). */
static int fits(size_t f, size_t i, unsigned char c)
{
    if (formats[f].kind == YS_CODEC_BZIP2 && i == 3)
        return c >= '1' && c <= '9';
    return formats[f].magic[i] == c;
}

int ys_codec_detect(const unsigned char *b, size_t n)
{
    int prefix = 0;
    for (size_t f = 0; f < NFORMATS; f++) {
        size_t i = 0;
        while (i < formats[f].len && i < n && fits(f, i, b[i]))
            i++;
        if (i == formats[f].len)
            return formats[f].kind;
        prefix |= i == n; /* all n bytes fit: more may make it */
    }
    return prefix && n > 0 ? -1 : YS_CODEC_NONE;
}

static size_t format_of(int kind)
{
    size_t f = 0;
    while (f + 1 < NFORMATS && formats[f].kind != kind)
        f++;
    return f;
}

const char *ys_codec_name(int kind) { return formats[format_of(kind)].name; }

const char *ys_input_formats(void)
{
    return "zstd"
#ifdef YS_HAVE_ZLIB
           " gzip"
#endif
#ifdef YS_HAVE_LZMA
           " xz"
#endif
#ifdef YS_HAVE_BZ2
           " bzip2"
#endif
#ifdef YS_HAVE_LZ4
           " lz4"
#endif
        ;
}

struct ys_codec {
    int kind;
    int inside; /* input of a member, stream or frame has been given since its end */
    int ended;  /* xz: the end was told and found */
#ifdef YS_HAVE_ZLIB
    z_stream z;
#endif
#ifdef YS_HAVE_LZMA
    lzma_stream x;
#endif
#ifdef YS_HAVE_BZ2
    bz_stream bz;
#endif
#ifdef YS_HAVE_LZ4
    LZ4F_dctx *lz;
#endif
};

int ys_codec_new(int kind, const char *name, ys_codec **out, ys_error *err)
{
    *out = NULL;
    size_t f = format_of(kind);
    ys_codec *c = calloc(1, sizeof *c);
    if (!c)
        return ys_fail(err, YS_ENOMEM, "out of memory");
    c->kind = kind;
    int ok = -1; /* -1: not built in; 0: failed; 1: ready */
    switch (kind) {
#ifdef YS_HAVE_ZLIB
    case YS_CODEC_GZIP: ok = inflateInit2(&c->z, 16 + MAX_WBITS) == Z_OK; break;
#endif
#ifdef YS_HAVE_LZMA
    case YS_CODEC_XZ:
        c->x = (lzma_stream)LZMA_STREAM_INIT;
        ok = lzma_stream_decoder(&c->x, UINT64_MAX, LZMA_CONCATENATED) == LZMA_OK;
        break;
#endif
#ifdef YS_HAVE_BZ2
    case YS_CODEC_BZIP2: ok = BZ2_bzDecompressInit(&c->bz, 0, 0) == BZ_OK; break;
#endif
#ifdef YS_HAVE_LZ4
    case YS_CODEC_LZ4:
        ok = !LZ4F_isError(LZ4F_createDecompressionContext(&c->lz, LZ4F_VERSION));
        break;
#endif
    default: break;
    }
    if (ok != 1) {
        free(c);
        if (ok == 0)
            return ys_fail(err, YS_ENOMEM, "out of memory");
        return ys_fail(err, YS_EIO,
                       "%s: %s-compressed, and this yamiscan was built without %s: %s %s | "
                       "yamiscan scan - reads it",
                       name, formats[f].name, formats[f].library, formats[f].tool, name);
    }
    *out = c;
    return YS_OK;
}

void ys_codec_free(ys_codec *c)
{
    if (!c)
        return;
    switch (c->kind) {
#ifdef YS_HAVE_ZLIB
    case YS_CODEC_GZIP: inflateEnd(&c->z); break;
#endif
#ifdef YS_HAVE_LZMA
    case YS_CODEC_XZ: lzma_end(&c->x); break;
#endif
#ifdef YS_HAVE_BZ2
    case YS_CODEC_BZIP2: BZ2_bzDecompressEnd(&c->bz); break;
#endif
#ifdef YS_HAVE_LZ4
    case YS_CODEC_LZ4: LZ4F_freeDecompressionContext(c->lz); break;
#endif
    default: break;
    }
    free(c);
}

/* A corrupt stream: the library's reason, at the compressed offset `at`. */
static int corrupt(const ys_codec *c, const char *name, uint64_t at, const char *why,
                   ys_error *err)
{
    return ys_fail(err, YS_EZSTD, "%s: corrupt %s stream near compressed byte offset %llu: %s",
                   name, ys_codec_name(c->kind), (unsigned long long)at, why);
}

int ys_codec_decode(ys_codec *c, const char *name, const unsigned char *in, size_t len,
                    size_t *pos, uint64_t base, int at_end, unsigned char *out, size_t cap,
                    size_t *got, ys_error *err)
{
    *got = 0;
    size_t p = *pos;
    int rc = YS_OK;
    (void)name, (void)in, (void)base, (void)at_end, (void)out, (void)err, (void)corrupt;
    /* Each library is called until the output is full or a call moves
     * nothing: input used up, or output it held back given out. */
    while (rc == YS_OK && *got < cap && !c->ended) {
        size_t used = 0, made = 0, avail = len - p, room = cap - *got;
        (void)avail, (void)room; /* in a build with none of the libraries */
        switch (c->kind) {
#ifdef YS_HAVE_ZLIB
        case YS_CODEC_GZIP: {
            c->z.next_in = (unsigned char *)(uintptr_t)(in + p);
            c->z.avail_in = (uInt)avail;
            c->z.next_out = out + *got;
            c->z.avail_out = (uInt)room;
            int r = inflate(&c->z, Z_NO_FLUSH);
            used = avail - c->z.avail_in, made = room - c->z.avail_out;
            c->inside |= used > 0;
            if (r == Z_STREAM_END) { /* a next member may follow (gzip's own cat) */
                c->inside = 0;
                inflateReset(&c->z);
            } else if (r == Z_MEM_ERROR) {
                rc = ys_fail(err, YS_ENOMEM, "out of memory");
            } else if (r != Z_OK && r != Z_BUF_ERROR) {
                rc = corrupt(c, name, base + p + used, c->z.msg ? c->z.msg : "invalid data", err);
            }
            break;
        }
#endif
#ifdef YS_HAVE_LZMA
        case YS_CODEC_XZ: {
            c->x.next_in = in + p;
            c->x.avail_in = avail;
            c->x.next_out = out + *got;
            c->x.avail_out = room;
            /* concatenated streams: the end is known only when told */
            lzma_ret r = lzma_code(&c->x, at_end && avail == 0 ? LZMA_FINISH : LZMA_RUN);
            used = avail - c->x.avail_in, made = room - c->x.avail_out;
            c->inside = 1;
            if (r == LZMA_STREAM_END)
                c->inside = 0, c->ended = 1;
            else if (r == LZMA_MEM_ERROR)
                rc = ys_fail(err, YS_ENOMEM, "out of memory");
            else if (r != LZMA_OK && r != LZMA_BUF_ERROR)
                rc = corrupt(c, name, base + p + used,
                             r == LZMA_DATA_ERROR     ? "compressed data is corrupt"
                             : r == LZMA_FORMAT_ERROR ? "not an xz stream"
                             : r == LZMA_OPTIONS_ERROR ? "unsupported options"
                                                       : "decoding failed",
                             err);
            break;
        }
#endif
#ifdef YS_HAVE_BZ2
        case YS_CODEC_BZIP2: {
            c->bz.next_in = (char *)(uintptr_t)(in + p);
            c->bz.avail_in = (unsigned)avail;
            c->bz.next_out = (char *)out + *got;
            c->bz.avail_out = (unsigned)room;
            int r = BZ2_bzDecompress(&c->bz);
            used = avail - c->bz.avail_in, made = room - c->bz.avail_out;
            c->inside |= used > 0;
            if (r == BZ_STREAM_END) { /* a next stream may follow (pbzip2, cat) */
                c->inside = 0;
                BZ2_bzDecompressEnd(&c->bz);
                memset(&c->bz, 0, sizeof c->bz);
                if (BZ2_bzDecompressInit(&c->bz, 0, 0) != BZ_OK)
                    rc = ys_fail(err, YS_ENOMEM, "out of memory");
            } else if (r == BZ_MEM_ERROR) {
                rc = ys_fail(err, YS_ENOMEM, "out of memory");
            } else if (r != BZ_OK) {
                rc = corrupt(c, name, base + p + used, "compressed data is corrupt", err);
            }
            break;
        }
#endif
#ifdef YS_HAVE_LZ4
        case YS_CODEC_LZ4: {
            size_t dst = room, src = avail;
            size_t hint = LZ4F_decompress(c->lz, out + *got, &dst, in + p, &src, NULL);
            if (LZ4F_isError(hint)) {
                rc = corrupt(c, name, base + p, LZ4F_getErrorName(hint), err);
                break;
            }
            used = src, made = dst;
            if (src || dst) /* an idle call after a frame hints at the next header */
                c->inside = hint != 0; /* 0: a frame ended; a next may follow */
            break;
        }
#endif
        default: break;
        }
        p += used;
        *got += made;
        if (used == 0 && made == 0)
            break;
    }
    *pos = p;
    return rc;
}

int ys_codec_inside(const ys_codec *c) { return c->inside; }
