/* Frame-parallel zstd decompression. libzstd decodes one frame on one
 * thread, so a file of many independent frames (pzstd's output, the
 * seekable format, compressed pieces joined with cat) is the only way past
 * one core's decompression speed: its frames are found by reading their
 * headers and block headers (a few bytes per 128 KiB block), and a pool of
 * threads decodes them, each frame into its own buffer, while the reader
 * takes the buffers back in file order. Compressed bytes are read with
 * pread in IN_CHUNK pieces, not mapped, so that memory does not grow with
 * the file.
 *
 * Only files that qualify take this path: a regular file, at least two
 * frames with data (one, for a file decoded ahead while another is read), every frame's decoded size written in its header and at
 * most FRAME_MAX (this bounds memory: 2 × threads frames in flight), and a
 * walk that reaches the end. Anything else (one frame, pipes, sizes not
 * recorded, a damaged or truncated stream) is read by the streaming decoder
 * in source.c, whose error messages name the failing byte offset. */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zstd.h>
#include <zstd_errors.h>

#define PIECE_MAX (16u << 20)
#define IN_CHUNK (256u << 10)

typedef struct {
    uint64_t off, csize; /* compressed offset and size */
} frame;

enum { FREE, QUEUED, RUNNING, DONE };

typedef struct {
    size_t frame; /* index into frames */
    int state;
    char *out;
    size_t len, cap;
    ZSTD_DCtx *rest; /* the frame did not fit: decode the rest with this */
    size_t rest_in;  /* compressed bytes of the frame already consumed */
    int rc;
    ys_error err;
} piece;

struct ys_frames {
    const char *name;
    ys_zstd_setup zset;
    uint64_t window; /* the largest window a frame's header asks for */
    int fd;
    uint64_t file_len;
    unsigned char *inbuf; /* the reader's, for the rest of big frames */
    frame *f;
    size_t nf;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    piece *ring;
    size_t nring;
    size_t next_queue, next_take, next_read; /* frame indexes */
    size_t read_pos;                         /* in the piece being read */
    uint64_t bytes_in;
    int quit;
    pthread_t *threads;
    size_t nthreads;
};

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int read_at(int fd, void *buf, size_t n, uint64_t off)
{
    for (size_t got = 0; got < n;) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

/* The compressed size of the frame at `off` (from the zstd format: header,
 * blocks, optional checksum), or 0 if it is not one or is cut short; *data
 * is 0 for a skippable frame. */
static uint64_t frame_size(ys_frames *fs, uint64_t off, int *data)
{
    unsigned char h[18]; /* the longest frame header */
    uint64_t left = fs->file_len - off;
    size_t hn = left < sizeof h ? (size_t)left : sizeof h;
    if (left < 8 || read_at(fs->fd, h, hn, off))
        return 0;
    uint32_t magic = le32(h);
    if ((magic & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START) {
        *data = 0;
        uint64_t n = 8 + (uint64_t)le32(h + 4);
        return n <= left ? n : 0;
    }
    if (magic != ZSTD_MAGICNUMBER)
        return 0;
    *data = 1;
    uint64_t w = ys_zstd_declared_window(h, hn);
    fs->window = w > fs->window ? w : fs->window;
    unsigned fhd = h[4], single = (fhd >> 5) & 1;
    static const unsigned dict_bytes[4] = {0, 1, 2, 4}, fcs_bytes[4] = {0, 2, 4, 8};
    uint64_t pos = off + 5 + !single + dict_bytes[fhd & 3] +
                   (fhd >> 6 ? fcs_bytes[fhd >> 6] : single);
    for (;;) {
        unsigned char b[3];
        if (pos + 3 > fs->file_len || read_at(fs->fd, b, 3, pos))
            return 0;
        uint32_t bh = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16;
        unsigned type = (bh >> 1) & 3;
        if (type == 3)
            return 0; /* reserved */
        pos += 3 + (type == 1 ? 1 : bh >> 3); /* an RLE block holds one byte */
        if (pos > fs->file_len)
            return 0;
        if (bh & 1)
            break; /* the last block */
    }
    pos += (fhd >> 2) & 1 ? 4 : 0; /* content checksum */
    return pos <= fs->file_len ? pos - off : 0;
}

/* The frames of the file, or 0 if it does not qualify. */
static int walk(ys_frames *fs, size_t min_frames)
{
    size_t cap = 0;
    for (uint64_t off = 0; off < fs->file_len;) {
        int data;
        uint64_t c = frame_size(fs, off, &data);
        if (c == 0)
            return 0;
        if (data) {
            if (fs->nf == cap && !ys_grow(&fs->f, cap = cap ? 2 * cap : 64, sizeof *fs->f))
                return 0;
            fs->f[fs->nf++] = (frame){off, c};
        }
        off += c;
    }
    return fs->nf >= min_frames;
}

static ZSTD_DCtx *new_dctx(const ys_frames *fs) { return ys_zstd_dctx(&fs->zset); }

static int zstd_failed(ys_frames *fs, const frame *f, size_t r, ys_error *err)
{
    unsigned char h[18]; /* the longest frame header */
    ssize_t n = pread(fs->fd, h, sizeof h, (off_t)f->off);
    if (ys_zstd_refusal(fs->name, f->off, h, n > 0 ? (size_t)n : 0, r, &fs->zset, err) != YS_OK)
        return YS_EZSTD;
    return ys_fail(err, YS_EZSTD,
                   "%s: corrupt zstd stream in the frame at compressed byte offset %llu: %s",
                   fs->name, (unsigned long long)f->off, ZSTD_getErrorName(r));
}

/* Feeds the frame's compressed bytes, IN_CHUNK at a time, from *consumed
 * on: fills `in` from `buf` when it is used up. Returns -1 on a read error. */
static int refill(const ys_frames *fs, const frame *f, unsigned char *buf, ZSTD_inBuffer *in,
                  uint64_t *consumed)
{
    if (in->pos < in->size || *consumed == f->csize)
        return 0;
    size_t n = f->csize - *consumed < IN_CHUNK ? (size_t)(f->csize - *consumed) : IN_CHUNK;
    if (read_at(fs->fd, buf, n, f->off + *consumed))
        return -1;
    *consumed += n;
    *in = (ZSTD_inBuffer){buf, n, 0};
    return 0;
}

static int read_failed(const ys_frames *fs, const frame *f, ys_error *err)
{
    return ys_fail(err, YS_EIO, "%s: read error in the zstd frame at compressed byte offset %llu",
                   fs->name, (unsigned long long)f->off);
}

/* Decodes frame pc->frame into pc->out, up to PIECE_MAX bytes; if there is
 * more, hands *dctx (mid-frame) and the unread input to the piece, and
 * makes a new decoder. `buf` is the worker's IN_CHUNK input buffer. */
static void decode(ys_frames *fs, ZSTD_DCtx **dctx, unsigned char *buf, piece *pc)
{
    const frame *f = &fs->f[pc->frame];
    pc->rc = YS_OK;
    pc->len = 0;
    if (!*dctx || !buf) {
        pc->rc = ys_fail(&pc->err, YS_ENOMEM, "out of memory");
        return;
    }
    ZSTD_DCtx_reset(*dctx, ZSTD_reset_session_only);
    ZSTD_inBuffer in = {buf, 0, 0};
    uint64_t consumed = 0;
    if (refill(fs, f, buf, &in, &consumed)) {
        pc->rc = read_failed(fs, f, &pc->err);
        return;
    }
    unsigned long long known = ZSTD_getFrameContentSize(buf, in.size);
    for (;;) {
        if (pc->len == pc->cap) {
            if (pc->cap == PIECE_MAX) { /* the reader does the rest */
                pc->rest = *dctx;
                pc->rest_in = consumed - (in.size - in.pos); /* the unused input is read again */
                *dctx = new_dctx(fs);
                return;
            }
            size_t cap = pc->cap ? 2 * pc->cap : 1u << 20;
            if (known <= PIECE_MAX && known > cap)
                cap = (size_t)known;
            cap = cap < PIECE_MAX ? cap : PIECE_MAX;
            if (!ys_grow(&pc->out, cap, 1)) {
                pc->rc = ys_fail(&pc->err, YS_ENOMEM, "out of memory");
                return;
            }
            pc->cap = cap;
        }
        if (refill(fs, f, buf, &in, &consumed)) {
            pc->rc = read_failed(fs, f, &pc->err);
            return;
        }
        ZSTD_outBuffer out = {pc->out, pc->cap, pc->len};
        size_t r = ZSTD_decompressStream(*dctx, &out, &in);
        pc->len = out.pos;
        if (ZSTD_isError(r)) {
            pc->rc = zstd_failed(fs, f, r, &pc->err);
            return;
        }
        if (r == 0)
            return; /* the frame is complete (its checksum verified) */
        if (in.pos == in.size && consumed == f->csize && out.pos < out.size) {
            pc->rc = zstd_failed(fs, f, (size_t)-ZSTD_error_srcSize_wrong, &pc->err);
            return;
        }
    }
}

static void *worker(void *arg)
{
    ys_frames *fs = arg;
    ZSTD_DCtx *dctx = new_dctx(fs);
    unsigned char *buf = malloc(IN_CHUNK);
    pthread_mutex_lock(&fs->mu);
    for (;;) {
        piece *pc = &fs->ring[fs->next_take % fs->nring];
        while (!fs->quit && !(pc->state == QUEUED && pc->frame == fs->next_take)) {
            pthread_cond_wait(&fs->work, &fs->mu);
            pc = &fs->ring[fs->next_take % fs->nring];
        }
        if (fs->quit)
            break;
        fs->next_take++;
        pc->state = RUNNING;
        pthread_mutex_unlock(&fs->mu);
        decode(fs, &dctx, buf, pc);
        pthread_mutex_lock(&fs->mu);
        pc->state = DONE;
        pthread_cond_broadcast(&fs->done);
    }
    pthread_mutex_unlock(&fs->mu);
    ZSTD_freeDCtx(dctx);
    free(buf);
    return NULL;
}

/* Queues frames into every free slot of the ring. Called with mu held. */
static void queue_more(ys_frames *fs)
{
    while (fs->next_queue < fs->nf && fs->next_queue < fs->next_read + fs->nring) {
        piece *pc = &fs->ring[fs->next_queue % fs->nring];
        pc->frame = fs->next_queue++;
        pc->state = QUEUED;
    }
    pthread_cond_broadcast(&fs->work);
}

void ys_frames_close(ys_frames *fs)
{
    if (!fs)
        return;
    if (fs->threads) {
        pthread_mutex_lock(&fs->mu);
        fs->quit = 1;
        pthread_cond_broadcast(&fs->work);
        pthread_mutex_unlock(&fs->mu);
        for (size_t i = 0; i < fs->nthreads; i++)
            pthread_join(fs->threads[i], NULL);
        pthread_mutex_destroy(&fs->mu);
        pthread_cond_destroy(&fs->work);
        pthread_cond_destroy(&fs->done);
    }
    for (size_t i = 0; fs->ring && i < fs->nring; i++) {
        free(fs->ring[i].out);
        ZSTD_freeDCtx(fs->ring[i].rest);
    }
    free(fs->inbuf);
    free(fs->ring);
    free(fs->threads);
    free(fs->f);
    free(fs);
}

int ys_frames_open(int fd, const char *name, const ys_zstd_setup *z, unsigned threads,
                   size_t min_frames, ys_frames **out, ys_error *err)
{
    *out = NULL;
    struct stat st;
    if (threads < 2 || min_frames < 1 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 8)
        return YS_OK;
    ys_frames *fs = calloc(1, sizeof *fs);
    if (!fs)
        return ys_fail(err, YS_ENOMEM, "out of memory");
    fs->name = name;
    fs->zset = *z;
    fs->fd = fd;
    fs->file_len = (uint64_t)st.st_size;
    if (!walk(fs, min_frames)) {
        ys_frames_close(fs);
        return YS_OK;
    }
    fs->nring = (size_t)threads + 2;
    fs->ring = calloc(fs->nring, sizeof *fs->ring);
    fs->threads = calloc(threads, sizeof *fs->threads);
    fs->inbuf = malloc(IN_CHUNK);
    if (!fs->ring || !fs->threads || !fs->inbuf) {
        ys_frames_close(fs);
        return ys_fail(err, YS_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&fs->mu, NULL);
    pthread_cond_init(&fs->work, NULL);
    pthread_cond_init(&fs->done, NULL);
    int e = 0;
    for (unsigned i = 0; i < threads; i++) { /* fewer than asked decode more slowly */
        if ((e = pthread_create(&fs->threads[i], NULL, worker, fs)) != 0)
            break;
        fs->nthreads++;
    }
    if (fs->nthreads == 0) {
        ys_frames_close(fs);
        return ys_fail(err, YS_ETHREAD, "%s: cannot start a decoding thread: %s", name,
                       strerror(e));
    }
    pthread_mutex_lock(&fs->mu);
    queue_more(fs);
    pthread_mutex_unlock(&fs->mu);
    *out = fs;
    return YS_OK;
}

/* The rest of a frame too big for its piece, decoded by the reader. */
static int read_rest(ys_frames *fs, piece *pc, char *buf, size_t cap, size_t *got,
                     int *done, ys_error *err)
{
    const frame *f = &fs->f[pc->frame];
    *got = 0;
    *done = 0;
    ZSTD_outBuffer out = {buf, cap, 0};
    while (out.pos < out.size) {
        uint64_t left = f->csize - pc->rest_in;
        size_t n = left < IN_CHUNK ? (size_t)left : IN_CHUNK;
        if (n && read_at(fs->fd, fs->inbuf, n, f->off + pc->rest_in))
            return read_failed(fs, f, err);
        ZSTD_inBuffer in = {fs->inbuf, n, 0};
        size_t r = ZSTD_decompressStream(pc->rest, &out, &in);
        pc->rest_in += in.pos;
        *got = out.pos;
        if (ZSTD_isError(r))
            return zstd_failed(fs, f, r, err);
        if (r == 0) {
            *done = 1;
            break;
        }
        if (n == 0 && out.pos < out.size)
            return zstd_failed(fs, f, (size_t)-ZSTD_error_srcSize_wrong, err);
    }
    return YS_OK;
}

int ys_frames_read(ys_frames *fs, char *buf, size_t cap, size_t *got, ys_error *err)
{
    *got = 0;
    while (fs->next_read < fs->nf && *got < cap) {
        piece *pc = &fs->ring[fs->next_read % fs->nring];
        pthread_mutex_lock(&fs->mu);
        while (pc->state != DONE)
            pthread_cond_wait(&fs->done, &fs->mu);
        pthread_mutex_unlock(&fs->mu);
        if (pc->rc != YS_OK) {
            if (err)
                *err = pc->err;
            return pc->rc; /* what came before it has been returned */
        }
        int done = 1;
        if (fs->read_pos < pc->len) {
            size_t n = pc->len - fs->read_pos;
            n = n < cap - *got ? n : cap - *got;
            memcpy(buf + *got, pc->out + fs->read_pos, n);
            *got += n;
            fs->read_pos += n;
            done = fs->read_pos == pc->len && !pc->rest;
        } else if (pc->rest) {
            size_t n = 0;
            int rc = read_rest(fs, pc, buf + *got, cap - *got, &n, &done, err);
            *got += n;
            if (rc != YS_OK)
                return rc;
        }
        if (done) {
            const frame *f = &fs->f[pc->frame];
            fs->bytes_in = f->off + f->csize;
            fs->read_pos = 0;
            ZSTD_freeDCtx(pc->rest);
            pc->rest = NULL;
            pthread_mutex_lock(&fs->mu);
            pc->state = FREE;
            fs->next_read++;
            queue_more(fs);
            pthread_mutex_unlock(&fs->mu);
        }
    }
    if (fs->next_read == fs->nf)
        fs->bytes_in = fs->file_len; /* trailing skippable frames included */
    return YS_OK;
}

uint64_t ys_frames_bytes_in(const ys_frames *fs) { return fs->bytes_in; }
uint64_t ys_frames_window(const ys_frames *fs) { return fs->window; }
