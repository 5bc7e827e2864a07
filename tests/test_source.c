/* The source: plain and zstd input, frames of every kind, damage. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <zdict.h>

#include "util.h"
#include "yamiscan.h"

static ys_error err;

static size_t file_size(const char *path)
{
    size_t n;
    free(read_file(path, &n));
    return n;
}

/* Reads a whole source with reads of `chunk` bytes, decoding with
 * `threads` threads; returns the status of the last read, the bytes in
 * *out, and whether frames were decoded in parallel in *parallel. */
static int read_all_threads(const char *path, size_t chunk, unsigned threads, char **out,
                            size_t *len, int *parallel)
{
    ys_source *s;
    int rc = ys_source_open(path, &s, &err);
    if (rc != YS_OK)
        return rc;
    cr_assert_eq(ys_source_set_threads(s, threads, &err), YS_OK);
    *parallel = ys_source_parallel(s);
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        size_t got;
        if (n + chunk > cap)
            buf = realloc(buf, cap *= 2);
        rc = ys_source_read(s, buf + n, chunk, &got, &err);
        n += got;
        if (rc != YS_OK || got == 0)
            break;
    }
    if (rc == YS_OK && ys_source_is_zstd(s))
        cr_assert_eq(ys_source_bytes_in(s), file_size(path), "every compressed byte counted");
    ys_source_close(s);
    *out = buf;
    *len = n;
    return rc;
}

static int read_all(const char *path, size_t chunk, char **out, size_t *len)
{
    int parallel;
    return read_all_threads(path, chunk, 1, out, len, &parallel);
}

static char text[300000];
static size_t text_len;

static void make_text(void)
{
    text_len = 0;
    for (int i = 0; text_len < sizeof text - 100; i++)
        text_len += (size_t)sprintf(text + text_len, "%d 闇バイト募集 post number %d\n", i, i * 7);
}

static char z[400000];

static void check_roundtrip(const char *name, size_t zlen, int want_zstd)
{
    const char *path = tmp_path(name);
    write_file(path, z, zlen);
    ys_source *s;
    cr_assert_eq(ys_source_open(path, &s, &err), YS_OK);
    cr_assert_eq(ys_source_is_zstd(s), want_zstd);
    ys_source_close(s);
    size_t chunks[] = {1, 7, 4096, 1 << 20};
    for (size_t i = 0; i < 4; i++) {
        char *out;
        size_t n;
        cr_assert_eq(read_all(path, chunks[i], &out, &n), YS_OK, "%s", err.message);
        cr_assert_eq(n, text_len, "%s chunk %zu", name, chunks[i]);
        cr_assert(memcmp(out, text, n) == 0);
        free(out);
    }
}

Test(source, plain_text_passes_through)
{
    make_text();
    memcpy(z, text, text_len);
    check_roundtrip("plain.txt", text_len, 0);
}

Test(source, one_frame)
{
    make_text();
    check_roundtrip("one.zst", zstd_frame(text, text_len, 3, z, sizeof z), 1);
}

Test(source, many_concatenated_frames_and_skippable_frames)
{
    make_text();
    size_t zlen = 0, step = text_len / 5;
    for (size_t off = 0; off < text_len; off += step) {
        size_t n = off + step > text_len ? text_len - off : step;
        /* a skippable frame (as the seekable format writes) between frames */
        unsigned char skip[8 + 16] = {0x5A, 0x2A, 0x4D, 0x18, 16, 0, 0, 0};
        memcpy(z + zlen, skip, sizeof skip);
        zlen += sizeof skip;
        zlen += zstd_frame(text + off, n, 1, z + zlen, sizeof z - zlen);
    }
    check_roundtrip("multi.zst", zlen, 1);
    /* The same file decoded by 3 threads, a frame each. */
    const char *path = tmp_path("multi.zst");
    size_t chunks[] = {1, 7, 4096, 1 << 20};
    for (size_t i = 0; i < 4; i++) {
        char *out;
        size_t n;
        int parallel;
        cr_assert_eq(read_all_threads(path, chunks[i], 3, &out, &n, &parallel), YS_OK, "%s",
                     err.message);
        cr_assert(parallel, "6 frames with sizes recorded are decoded in parallel");
        cr_assert_eq(n, text_len);
        cr_assert(memcmp(out, text, n) == 0, "chunk %zu", chunks[i]);
        free(out);
    }
}

/* Frames whose decoded size is not recorded (as pzstd and streamed
 * compression write them) are decoded in parallel too, frames larger than
 * a piece's 16 MiB buffer included (the reader decodes their rest); a
 * single frame is left to the streaming decoder. */
Test(source, frames_without_sizes_and_big_frames)
{
    make_text();
    /* small, big (about 20 MB: over the buffer), small, big */
    size_t reps[] = {1, 70, 1, 70}, total = 0;
    static char big[144 * sizeof text];
    static char zbig[4 * sizeof z];
    size_t zlen = 0;
    for (int k = 0; k < 4; k++) {
        size_t start = total;
        for (size_t r = 0; r < reps[k]; r++, total += text_len)
            memcpy(big + total, text, text_len);
        big[start] = (char)('A' + k); /* tell the frames apart */
        ZSTD_CCtx *c = ZSTD_createCCtx();
        ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
        ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
        ZSTD_inBuffer in = {big + start, total - start, 0};
        ZSTD_outBuffer o = {zbig + zlen, sizeof zbig - zlen, 0};
        cr_assert_eq(ZSTD_compressStream2(c, &o, &in, ZSTD_e_end), 0);
        zlen += o.pos;
        ZSTD_freeCCtx(c);
    }
    cr_assert_gt(total, 40u << 20);
    const char *path = tmp_path("unsized.zst");
    write_file(path, zbig, zlen);
    char *out;
    size_t n;
    int parallel;
    size_t chunks[] = {4096, 1 << 20};
    for (size_t i = 0; i < 2; i++) {
        cr_assert_eq(read_all_threads(path, chunks[i], 3, &out, &n, &parallel), YS_OK, "%s",
                     err.message);
        cr_assert(parallel);
        cr_assert_eq(n, total);
        cr_assert(memcmp(out, big, n) == 0, "chunk %zu", chunks[i]);
        free(out);
    }
    path = tmp_path("single.zst");
    write_file(path, z, zstd_frame(text, text_len, 3, z, sizeof z));
    cr_assert_eq(read_all_threads(path, 4096, 4, &out, &n, &parallel), YS_OK);
    cr_assert(!parallel);
    cr_assert(n == text_len && memcmp(out, text, n) == 0);
    free(out);

    /* Prefetching (a file read after another) takes a single frame too. */
    ys_source *s;
    cr_assert_eq(ys_source_open(path, &s, &err), YS_OK);
    cr_assert_eq(ys_source_prefetch(s, 2, &err), YS_OK);
    cr_assert(ys_source_parallel(s));
    out = malloc(text_len + 1);
    n = 0;
    for (size_t got = 1; got;) {
        cr_assert_eq(ys_source_read(s, out + n, text_len + 1 - n, &got, &err), YS_OK);
        n += got;
    }
    cr_assert(n == text_len && memcmp(out, text, n) == 0);
    free(out);
    ys_source_close(s);
}

Test(source, long_window_frame)
{
    make_text();
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, 30);
    ZSTD_CCtx_setParameter(c, ZSTD_c_enableLongDistanceMatching, 1);
    size_t zlen = ZSTD_compress2(c, z, sizeof z, text, text_len);
    ZSTD_freeCCtx(c);
    cr_assert(!ZSTD_isError(zlen));
    check_roundtrip("long.zst", zlen, 1);
}

Test(source, empty_input)
{
    make_text();
    text_len = 0;
    check_roundtrip("empty", 0, 0);
}

Test(source, truncated_stream_names_the_offset)
{
    make_text();
    size_t zlen = zstd_frame(text, text_len, 3, z, sizeof z);
    const char *path = tmp_path("trunc.zst");
    write_file(path, z, zlen - 10);
    char *out;
    size_t n;
    cr_assert_eq(read_all(path, 65536, &out, &n), YS_EZSTD);
    char want[600];
    snprintf(want, sizeof want,
             "%s: truncated zstd stream: input ends inside a frame at compressed byte offset %zu",
             path, zlen - 10);
    cr_assert_str_eq(err.message, want);
    cr_assert(memcmp(out, text, n) == 0, "what came out before the damage is good");
    free(out);
}

Test(source, directory_and_missing_file)
{
    ys_source *s;
    cr_assert_eq(ys_source_open("/tmp", &s, &err), YS_EIO);
    cr_assert_str_eq(err.message, "/tmp: Is a directory");
    cr_assert_eq(ys_source_open("/nonexistent", &s, &err), YS_EIO);
    cr_assert_str_eq(err.message, "/nonexistent: No such file or directory");
}

/* A database of the one term 受け子, and a scanner for it. */
static void ukeko_db(ys_db **db, ys_scanner **sc)
{
    ys_lexicon *lex = ys_lexicon_new();
    cr_assert_eq(ys_lexicon_add_term(lex, "受け子", &err), YS_OK);
    cr_assert_eq(ys_db_compile(lex, db, &err), YS_OK);
    ys_lexicon_free(lex);
    cr_assert_eq(ys_scanner_new(*db, sc, &err), YS_OK);
}

/* Frames 1 and 2 are good, frame 3 is corrupt in the middle: the posts of
 * frames 1 and 2 are written before the error. */
Test(source, corrupt_frame_keeps_results_before_the_damage)
{
    char posts[3][20000];
    size_t plen[3], zlen = 0, frame_start[3];
    for (int f = 0; f < 3; f++) {
        plen[f] = 0;
        for (int i = 0; i < 200; i++)
            plen[f] += (size_t)sprintf(posts[f] + plen[f],
                                       "{\"id\":%d,\"text\":\"frame %d 受け子 %d\"}\n",
                                       f * 1000 + i, f, i);
        frame_start[f] = zlen;
        zlen += zstd_frame(posts[f], plen[f], 3, z + zlen, sizeof z - zlen);
    }
    size_t bad = frame_start[2] + (zlen - frame_start[2]) / 2;
    for (size_t i = bad; i < bad + 8; i++)
        z[i] ^= 0x5A;
    const char *path = tmp_path("corrupt.zst");
    write_file(path, z, zlen);

    ys_db *db;
    ys_scanner *sc;
    ukeko_db(&db, &sc);
    /* One thread: the streaming decoder. Two: the frames are decoded in
     * parallel, and the damaged one is named by its start. */
    for (unsigned threads = 1; threads <= 2; threads++) {
        const char *outp = tmp_path("corrupt.out");
        FILE *out = fopen(outp, "w");
        ys_pipeline_options po = {.out = out, .threads = threads};
        ys_counters c = {0};
        int rc = ys_pipeline_run(db, sc, &po, path, &c, &err);
        fclose(out);
        cr_assert_eq(rc, YS_EZSTD);
        const char *what = threads == 1 ? "corrupt zstd stream near compressed byte offset "
                                        : "corrupt zstd stream in the frame at compressed byte "
                                          "offset ";
        const char *at = strstr(err.message, what);
        cr_assert_not_null(at, "%s", err.message);
        size_t off = strtoul(at + strlen(what), NULL, 10);
        cr_assert(off >= frame_start[2] && off <= zlen, "offset %zu inside frame 3", off);
        if (threads == 2)
            cr_assert_eq(off, frame_start[2]);
        char *o = read_file(outp, NULL);
        cr_assert(strstr(o, "\"id\":0,") && strstr(o, "\"id\":199,"), "frame 1 written");
        cr_assert(strstr(o, "\"id\":1000,") && strstr(o, "\"id\":1199,"), "frame 2 written");
        cr_assert_geq(c.posts_flagged, 400);
        free(o);
    }
    ys_scanner_free(sc);
    ys_db_free(db);
}

/* A feed that hands over three batches of flagged posts, then asks for
 * them to be written (as Kafka does before giving up a partition). */
static int feed_fill(void *ctx, ys_feed *feed, ys_batch *b, int *done)
{
    int *calls = ctx;
    if (++*calls > 3) {
        ys_error e;
        *done = 1;
        int rc = ys_feed_flush(feed, &e);
        cr_assert(rc == YS_OK || (e.code == rc && strstr(e.message, "write error")), "%s",
                  e.message);
        return rc;
    }
    for (int i = 0; i < 50; i++)
        cr_assert_eq(ys_batch_add(b, "受け子募集", strlen("受け子募集"), "1", 1, (uint64_t)i), YS_OK);
    return YS_OK;
}

/* Issue 17: `err` may be NULL (the header says so), also when the run fails
 * on a write error, on one thread and on several, from a file or a feed. */
Test(source, a_failing_run_with_no_error_struct_returns_the_error)
{
    const char *path = tmp_path("null-err.jsonl");
    char posts[4000];
    size_t n = 0;
    for (int i = 0; i < 100; i++)
        n += (size_t)sprintf(posts + n, "{\"id\":%d,\"text\":\"受け子募集\"}\n", i);
    write_file(path, posts, n);
    ys_db *db;
    ys_scanner *sc;
    ukeko_db(&db, &sc);
    for (unsigned threads = 1; threads <= 2; threads++) {
        FILE *full = fopen("/dev/full", "w");
        cr_assert_not_null(full);
        ys_pipeline_options po = {.out = full, .threads = threads, .batch_bytes = 1024};
        ys_counters c = {0};
        cr_assert_eq(ys_pipeline_run(db, sc, &po, path, &c, NULL), YS_EIO, "threads %u", threads);
        int calls = 0;
        c = (ys_counters){0}; /* else the output is known to have failed already */
        int rc_feed = ys_pipeline_run_feed(db, sc, &po, "feed", feed_fill, &calls, &c, NULL);
        cr_assert_eq(rc_feed, YS_EIO, "feed, threads %u: %d", threads, rc_feed);
        cr_assert_eq(ys_pipeline_run(db, sc, &po, tmp_path("none"), &c, NULL), YS_EIO);
        fclose(full);
    }
    ys_scanner_free(sc);
    ys_db_free(db);
}

/* Reads a whole source whose zstd window limit is first set to 2^log. */
static int read_all_window(const char *path, unsigned log, char **out, size_t *len,
                           uint64_t *window)
{
    ys_source *s;
    int rc = ys_source_open(path, &s, &err);
    cr_assert_eq(rc, YS_OK, "%s", err.message);
    cr_assert_eq(ys_source_set_zstd_window(s, log, &err), YS_OK, "%s", err.message);
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    while ((rc = ys_source_read(s, buf + n, cap - n, &got, &err)) == YS_OK && got > 0)
        n += got;
    *window = ys_source_zstd_window(s);
    ys_source_close(s);
    *out = buf;
    *len = n;
    return rc;
}

/* Issue 16: a frame that asks for a 2 GiB window (what zstd --long=31
 * writes, as Reddit's dumps are) is read by default, and --stats can say
 * how large a window was used; a lower limit refuses it with a message
 * that names the window asked for, the limit and the option. */
Test(source, a_2_gib_window_is_read_and_a_lower_limit_refuses_it)
{
    /* A hand-made frame: no content size, window descriptor 0xA8 (2^31),
     * one raw block "x". */
    static const unsigned char frame[] = {0x28, 0xB5, 0x2F, 0xFD, 0x00, 0xA8,
                                          0x09, 0x00, 0x00, 'x'};
    const char *path = tmp_path("huge-window.zst");
    write_file(path, frame, sizeof frame);
    char *out;
    size_t n;
    uint64_t window;
    /* A skippable frame before it asks for no window (read as a frame
     * header, its size 0xF800 would be a window of 2^41). */
    static unsigned char skip_first[8 + 0xF800 + sizeof frame] = {0x50, 0x2A, 0x4D, 0x18, 0x00,
                                                                  0xF8};
    memcpy(skip_first + 8 + 0xF800, frame, sizeof frame);
    const char *skipped = tmp_path("skip-then-window.zst");
    write_file(skipped, skip_first, sizeof skip_first);
    cr_assert_eq(read_all_window(skipped, YS_ZSTD_WINDOW_LOG_DEFAULT, &out, &n, &window), YS_OK,
                 "%s", err.message);
    cr_assert_eq(n, 1);
    cr_assert_eq(window, (uint64_t)1 << 31);
    free(out);
    cr_assert_eq(read_all_window(path, YS_ZSTD_WINDOW_LOG_DEFAULT, &out, &n, &window), YS_OK,
                 "%s", err.message);
    cr_assert_eq(n, 1);
    cr_assert_eq(out[0], 'x');
    cr_assert_eq(window, (uint64_t)1 << 31);
    free(out);
    cr_assert_eq(read_all_window(path, 27, &out, &n, &window), YS_EZSTD);
    char want[600];
    snprintf(want, sizeof want,
             "%s: the zstd frame at compressed byte offset 0 needs a window of 2048 MiB, more "
             "than the limit of 128 MiB set for this input (ys_source_set_zstd_window)", path);
    cr_assert_str_eq(err.message, want);
    cr_assert_eq(n, 0);
    free(out);
}

/* A window limit out of range, or set once reading has begun, is refused;
 * plain input ignores it. */
Test(source, the_window_limit_is_checked_and_set_before_reading)
{
    make_text();
    size_t zlen = ZSTD_compress(z, sizeof z, text, text_len, 1);
    const char *path = tmp_path("limit.zst");
    write_file(path, z, zlen);
    ys_source *s;
    cr_assert_eq(ys_source_open(path, &s, &err), YS_OK);
    cr_assert_eq(ys_source_set_zstd_window(s, 9, &err), YS_EINVAL);
    cr_assert_eq(ys_source_set_zstd_window(s, 32, &err), YS_EINVAL);
    char buf[100];
    size_t got;
    cr_assert_eq(ys_source_read(s, buf, sizeof buf, &got, &err), YS_OK);
    cr_assert_eq(ys_source_set_zstd_window(s, 20, &err), YS_EINVAL);
    cr_assert(strstr(err.message, "before the first read"), "%s", err.message);
    cr_assert_eq(ys_source_set_zstd_dict(s, NULL, &err), YS_EINVAL);
    ys_source_close(s);
    const char *plain = tmp_path("limit.txt");
    write_file(plain, "text\n", 5);
    cr_assert_eq(ys_source_open(plain, &s, &err), YS_OK);
    cr_assert_eq(ys_source_set_zstd_window(s, 10, &err), YS_OK);
    ys_source_close(s);
}

/* A frame header that libzstd refuses for its window is told apart: a
 * window no zstd writes (over 2^31 bytes, beyond zstd --long=31) means the
 * header is damaged, reported as such at the frame's offset; a large but
 * possible window keeps the window message (test above). Each damaged
 * frame comes after a good one, whose text is read first; in the third the
 * header spans two of the source's 128 KiB reads. */
Test(source, damaged_frame_header_is_reported_as_damaged)
{
    static const unsigned char bad_window[] = {0x28, 0xB5, 0x2F, 0xFD, 0x00, 0xF8,
                                               0x09, 0x00, 0x00, 'x'};
    /* single segment, 8-byte content size 2^40 */
    static const unsigned char bad_size[] = {0x28, 0xB5, 0x2F, 0xFD, 0xE0, 0, 0, 0, 0, 0, 1,
                                             0, 0, 0x09, 0x00, 0x00, 'x'};
    static const struct {
        const unsigned char *frame;
        size_t len, skip; /* a skippable frame of `skip` bytes first */
        const char *window;
    } cases[] = {{bad_window, sizeof bad_window, 0, "2097152"},
                 {bad_size, sizeof bad_size, 0, "1048576"},
                 {bad_window, sizeof bad_window, 131072 - 3, "2097152"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char *f = malloc(400000);
        size_t n = ZSTD_compress(f, 400000, "ok 闇バイト\n", strlen("ok 闇バイト\n"), 3);
        cr_assert(!ZSTD_isError(n));
        if (cases[i].skip) {
            size_t body = cases[i].skip - 8;
            unsigned char head[8] = {0x50, 0x2A, 0x4D, 0x18, (unsigned char)body,
                                     (unsigned char)(body >> 8), (unsigned char)(body >> 16), 0};
            memcpy(f + n, head, 8);
            memset(f + n + 8, 0, body);
            n += cases[i].skip;
        }
        size_t at = n;
        memcpy(f + n, cases[i].frame, cases[i].len);
        n += cases[i].len;
        const char *path = tmp_path("damaged-header.zst");
        write_file(path, f, n);
        free(f);
        char *out;
        size_t got;
        cr_assert_eq(read_all(path, 4096, &out, &got), YS_EZSTD, "case %zu", i);
        char want[700];
        snprintf(want, sizeof want,
                 "%s: damaged zstd frame header at compressed byte offset %zu: it declares a "
                 "window of %s MiB, more than any zstd writes (2048 MiB)", path, at,
                 cases[i].window);
        cr_assert_str_eq(err.message, want, "case %zu", i);
        cr_assert_eq(got, strlen("ok 闇バイト\n"), "case %zu: the good frame is read first", i);
        free(out);
    }
}

/* A window over the limit set, but one zstd can write (2^30 and an
 * eighth: the descriptor's mantissa), is the window message, not a damaged
 * header; under the default limit it is read. */
Test(source, a_large_possible_window_keeps_the_window_message)
{
    static const unsigned char frame[] = {0x28, 0xB5, 0x2F, 0xFD, 0x00, 0xA1,
                                          0x09, 0x00, 0x00, 'x'};
    const char *path = tmp_path("large-window.zst");
    write_file(path, frame, sizeof frame);
    char *out;
    size_t n;
    uint64_t window;
    cr_assert_eq(read_all_window(path, 30, &out, &n, &window), YS_EZSTD);
    char want[600];
    snprintf(want, sizeof want,
             "%s: the zstd frame at compressed byte offset 0 needs a window of 1152 MiB, more "
             "than the limit of 1024 MiB set for this input (ys_source_set_zstd_window)", path);
    cr_assert_str_eq(err.message, want);
    free(out);
    cr_assert_eq(read_all_window(path, 31, &out, &n, &window), YS_OK, "%s", err.message);
    cr_assert_eq(n, 1);
    cr_assert_eq(window, (1ull << 30) + (1ull << 27));
    free(out);
}

/* Issue 16: a feed compressed with a zstd dictionary (Jetstream's mode).
 * Read with the dictionary, by the streaming decoder and by frame-parallel
 * threads; without it, or with another, an error that names the
 * dictionary the frame asks for. Frames compressed without a dictionary
 * are read either way. */
Test(source, a_dictionary_compressed_feed_is_read_with_its_dictionary)
{
    make_text();
    /* samples for training: the text's lines */
    size_t sizes[4000], nsamples = 0, at = 0;
    while (at < text_len && nsamples < 4000) {
        const char *nl = memchr(text + at, '\n', text_len - at);
        size_t len = nl ? (size_t)(nl - (text + at)) + 1 : text_len - at;
        sizes[nsamples++] = len;
        at += len;
    }
    static char dict[4096];
    size_t dlen = ZDICT_trainFromBuffer(dict, sizeof dict, text, sizes, (unsigned)nsamples);
    cr_assert(!ZDICT_isError(dlen), "%s", ZDICT_getErrorName(dlen));
    unsigned id = ZDICT_getDictID(dict, dlen);
    cr_assert(id != 0);
    const char *dpath = tmp_path("feed.dict"), *raw = tmp_path("raw.dict");
    write_file(dpath, dict, dlen);
    write_file(raw, "some other content, a raw dictionary", 36);
    /* two frames with the dictionary (so that two threads qualify) */
    ZSTD_CCtx *c = ZSTD_createCCtx();
    size_t half = text_len / 2, zlen = 0;
    while (text[half - 1] != '\n')
        half++;
    for (int k = 0; k < 2; k++) {
        size_t r = ZSTD_compress_usingDict(c, z + zlen, sizeof z - zlen, text + (k ? half : 0),
                                           k ? text_len - half : half, dict, dlen, 3);
        cr_assert(!ZSTD_isError(r));
        zlen += r;
    }
    ZSTD_freeCCtx(c);
    const char *path = tmp_path("dict.zst");
    write_file(path, z, zlen);
    ys_zstd_dict *d, *other;
    cr_assert_eq(ys_zstd_dict_load(dpath, &d, &err), YS_OK, "%s", err.message);
    cr_assert_eq(ys_zstd_dict_id(d), id);
    cr_assert_eq(ys_zstd_dict_load(raw, &other, &err), YS_OK, "%s", err.message);
    cr_assert_eq(ys_zstd_dict_id(other), 0);
    char want[600];
    for (unsigned threads = 1; threads <= 2; threads++) {
        const ys_zstd_dict *given[3] = {d, NULL, other};
        for (int g = 0; g < 3; g++) {
            ys_source *s;
            cr_assert_eq(ys_source_open(path, &s, &err), YS_OK);
            cr_assert_eq(ys_source_set_zstd_dict(s, given[g], &err), YS_OK, "%s", err.message);
            cr_assert_eq(ys_source_set_threads(s, threads, &err), YS_OK);
            cr_assert_eq(ys_source_parallel(s), threads == 2);
            size_t cap = text_len + 1, n = 0, got;
            char *buf = malloc(cap);
            int rc;
            while ((rc = ys_source_read(s, buf + n, 4096, &got, &err)) == YS_OK && got > 0)
                n += got;
            ys_source_close(s);
            if (g == 0) {
                cr_assert_eq(rc, YS_OK, "%s", err.message);
                cr_assert_eq(n, text_len, "threads %u", threads);
                cr_assert(memcmp(buf, text, n) == 0);
            } else {
                cr_assert_eq(rc, YS_EZSTD, "threads %u, dictionary %d", threads, g);
                if (g == 1)
                    snprintf(want, sizeof want, "%s: the zstd frame at compressed byte offset 0 "
                             "was compressed with dictionary %u: give it (ys_source_set_zstd_dict)",
                             path, id);
                else
                    snprintf(want, sizeof want, "%s: the zstd frame at compressed byte offset 0 "
                             "was compressed with dictionary %u, not with the one given (ID 0)",
                             path, id);
                cr_assert_str_eq(err.message, want, "threads %u", threads);
            }
            free(buf);
        }
    }
    /* a frame without a dictionary, read with one given */
    zlen = ZSTD_compress(z, sizeof z, text, text_len, 1);
    write_file(path, z, zlen);
    ys_source *s;
    cr_assert_eq(ys_source_open(path, &s, &err), YS_OK);
    cr_assert_eq(ys_source_set_zstd_dict(s, d, &err), YS_OK);
    size_t n = 0, got;
    char *buf = malloc(text_len + 4096);
    while (ys_source_read(s, buf + n, 4096, &got, &err) == YS_OK && got > 0)
        n += got;
    cr_assert_eq(n, text_len);
    free(buf);
    ys_source_close(s);
    ys_zstd_dict_free(d);
    ys_zstd_dict_free(other);
    cr_assert_eq(ys_zstd_dict_load(tmp_path("no-such.dict"), &d, &err), YS_EIO);
    write_file(raw, "", 0);
    cr_assert_eq(ys_zstd_dict_load(raw, &d, &err), YS_EINVAL);
}

/* Issue 16: gzip, xz, bzip2 and lz4 input, each compressed by its own tool
 * (skipped when the tool is missing; refused with the command to use when
 * this build lacks the library): read whole in any read size, members or
 * streams cat-joined read one after the other, a truncated or damaged one
 * an error naming the format, with what came before it returned. */
static const struct {
    const char *name, *tool;
} codec_tools[] = {{"gzip", "gzip"}, {"xz", "xz"}, {"bzip2", "bzip2"}, {"lz4", "lz4"}};

Test(source, gzip_xz_bzip2_and_lz4_are_read)
{
    make_text();
    const char *plain = tmp_path("codec.txt");
    write_file(plain, text, text_len);
    for (size_t f = 0; f < sizeof codec_tools / sizeof *codec_tools; f++) {
        char cmd[2048];
        const char *packed = tmp_path("codec.packed"), *twice = tmp_path("codec.twice");
        snprintf(cmd, sizeof cmd, "command -v %s >/dev/null || exit 77; %s -c <'%s' >'%s' && cat '%s' '%s' >'%s'",
                 codec_tools[f].tool, codec_tools[f].tool, plain, packed, packed, packed, twice);
        run_result r = run_sh(cmd);
        if (r.status == 77) {
            cr_log_warn("no %s tool: its format is not tried", codec_tools[f].tool);
            run_free(&r);
            continue;
        }
        cr_assert_eq(r.status, 0, "%s", r.err);
        run_free(&r);
        char *out;
        size_t n;
        if (!strstr(ys_input_formats(), codec_tools[f].name)) { /* built without its library */
            cr_assert_eq(read_all(packed, 4096, &out, &n), YS_EIO);
            cr_assert(strstr(err.message, "-compressed, and this yamiscan was built without"),
                      "%s", err.message);
            continue;
        }
        size_t chunks[] = {1, 4096, 1 << 20};
        for (size_t i = 0; i < 3; i++) {
            cr_assert_eq(read_all(packed, chunks[i], &out, &n), YS_OK, "%s: %s",
                         codec_tools[f].name, err.message);
            cr_assert(n == text_len && !memcmp(out, text, n), "%s, reads of %zu: %zu bytes",
                      codec_tools[f].name, chunks[i], n);
            free(out);
        }
        cr_assert_eq(read_all(twice, 4096, &out, &n), YS_OK, "%s", err.message);
        cr_assert(n == 2 * text_len && !memcmp(out, text, text_len) &&
                      !memcmp(out + text_len, text, text_len),
                  "%s joined twice: %zu bytes", codec_tools[f].name, n);
        free(out);
        /* cut short: the first copy whole, then the error */
        size_t plen;
        char *p = read_file(packed, &plen);
        char *cut = malloc(2 * plen);
        memcpy(cut, p, plen);
        memcpy(cut + plen, p, plen / 2);
        write_file(twice, cut, plen + plen / 2);
        cr_assert_eq(read_all(twice, 4096, &out, &n), YS_EZSTD, "%s", codec_tools[f].name);
        char want[64];
        snprintf(want, sizeof want, "truncated %s stream", codec_tools[f].name);
        cr_assert(strstr(err.message, want), "%s", err.message);
        cr_assert(n >= text_len && !memcmp(out, text, text_len), "%s: the first copy, %zu bytes",
                  codec_tools[f].name, n);
        free(out);
        /* damaged in the middle of the second copy */
        memcpy(cut + plen, p, plen);
        for (size_t i = plen + plen / 2; i < plen + plen / 2 + 8; i++)
            cut[i] ^= 0x5A;
        write_file(twice, cut, 2 * plen);
        int rc = read_all(twice, 4096, &out, &n);
        cr_assert_eq(rc, YS_EZSTD, "%s: %d", codec_tools[f].name, rc);
        snprintf(want, sizeof want, "%s stream", codec_tools[f].name);
        cr_assert(strstr(err.message, want) && strstr(err.message, "compressed byte offset"),
                  "%s", err.message);
        cr_assert(n >= text_len && !memcmp(out, text, text_len), "%s: the first copy",
                  codec_tools[f].name);
        free(out);
        free(cut);
        free(p);
    }
}

/* Text that begins like a magic number is text. */
Test(source, text_that_starts_like_a_magic_number_is_plain)
{
    /* \x37 is 7 ("\xfd7" would be one escape) */
    static const char *const starts[] = {"BZh9 is not bzip2\n", "BZh", "\x1f", "\xfd\x37zX",
                                         "\x04\"M"};
    for (size_t i = 0; i < sizeof starts / sizeof *starts; i++) {
        const char *path = tmp_path("magic.txt");
        write_file(path, starts[i], strlen(starts[i]));
        char *out;
        size_t n;
        cr_assert_eq(read_all(path, 4096, &out, &n), YS_OK, "%s", err.message);
        cr_assert(n == strlen(starts[i]) && !memcmp(out, starts[i], n), "'%s'", starts[i]);
        free(out);
    }
}
