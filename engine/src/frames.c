/* Frame-parallel zstd decompression. libzstd decodes one frame on one
 * thread, so a file of many independent frames (pzstd's output, the
 * seekable format, compressed pieces joined with cat) is the only way past
 * one core's decompression speed: the file is mapped, its frames are found
 * by walking their block headers (ZSTD_findFrameCompressedSize), and a pool
 * of threads decodes them, each frame into its own buffer, while the reader
 * takes the buffers back in file order.
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <zstd.h>
#include <zstd_errors.h>

#define PIECE_MAX (16u << 20)
#define WINDOW_LOG_MAX 30 /* as source.c */

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
    const unsigned char *map;
    size_t map_len;
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

/* The frames of map[0..len), or 0 if the file does not qualify. */
static int walk(ys_frames *fs, size_t min_frames)
{
    size_t cap = 0;
    for (uint64_t off = 0; off < fs->map_len;) {
        const unsigned char *p = fs->map + off;
        size_t left = fs->map_len - (size_t)off;
        size_t c = ZSTD_findFrameCompressedSize(p, left);
        if (ZSTD_isError(c) || c == 0)
            return 0;
        uint32_t magic = left >= 4 ? (uint32_t)p[0] | (uint32_t)p[1] << 8 |
                                         (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
                                   : 0;
        if ((magic & ZSTD_MAGIC_SKIPPABLE_MASK) != ZSTD_MAGIC_SKIPPABLE_START) {
            if (fs->nf == cap && !ys_grow(&fs->f, cap = cap ? 2 * cap : 64, sizeof *fs->f))
                return 0;
            fs->f[fs->nf++] = (frame){off, c};
        }
        off += c;
    }
    return fs->nf >= min_frames;
}

static ZSTD_DCtx *new_dctx(void)
{
    ZSTD_DCtx *d = ZSTD_createDCtx();
    if (d)
        ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, WINDOW_LOG_MAX);
    return d;
}

static int zstd_failed(ys_frames *fs, const frame *f, size_t r, ys_error *err)
{
    if (ZSTD_getErrorCode(r) == ZSTD_error_frameParameter_windowTooLarge)
        return ys_fail(err, YS_EZSTD,
                       "%s: the zstd frame at compressed byte offset %llu needs a window "
                       "larger than the %u MiB limit (written with zstd --long=31?)",
                       fs->name, (unsigned long long)f->off, 1u << (WINDOW_LOG_MAX - 20));
    return ys_fail(err, YS_EZSTD,
                   "%s: corrupt zstd stream in the frame at compressed byte offset %llu: %s",
                   fs->name, (unsigned long long)f->off, ZSTD_getErrorName(r));
}

/* Decodes frame pc->frame into pc->out, up to PIECE_MAX bytes; if there is
 * more, hands *dctx (mid-frame) to the piece and makes a new one. */
static void decode(ys_frames *fs, ZSTD_DCtx **dctx, piece *pc)
{
    const frame *f = &fs->f[pc->frame];
    pc->rc = YS_OK;
    pc->len = 0;
    if (!*dctx) {
        pc->rc = ys_fail(&pc->err, YS_ENOMEM, "out of memory");
        return;
    }
    ZSTD_DCtx_reset(*dctx, ZSTD_reset_session_only);
    unsigned long long known = ZSTD_getFrameContentSize(fs->map + f->off, f->csize);
    ZSTD_inBuffer in = {fs->map + f->off, f->csize, 0};
    for (;;) {
        if (pc->len == pc->cap) {
            if (pc->cap == PIECE_MAX) { /* the reader does the rest */
                pc->rest = *dctx;
                pc->rest_in = in.pos;
                *dctx = new_dctx();
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
        ZSTD_outBuffer out = {pc->out, pc->cap, pc->len};
        size_t r = ZSTD_decompressStream(*dctx, &out, &in);
        pc->len = out.pos;
        if (ZSTD_isError(r)) {
            pc->rc = zstd_failed(fs, f, r, &pc->err);
            return;
        }
        if (r == 0)
            return; /* the frame is complete (its checksum verified) */
        if (in.pos == in.size && out.pos < out.size) {
            pc->rc = zstd_failed(fs, f, (size_t)-ZSTD_error_srcSize_wrong, &pc->err);
            return;
        }
    }
}

static void *worker(void *arg)
{
    ys_frames *fs = arg;
    ZSTD_DCtx *dctx = new_dctx();
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
        decode(fs, &dctx, pc);
        pthread_mutex_lock(&fs->mu);
        pc->state = DONE;
        pthread_cond_broadcast(&fs->done);
    }
    pthread_mutex_unlock(&fs->mu);
    ZSTD_freeDCtx(dctx);
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
    if (fs->map)
        munmap((void *)fs->map, fs->map_len);
    free(fs->ring);
    free(fs->threads);
    free(fs->f);
    free(fs);
}

int ys_frames_open(int fd, const char *name, unsigned threads, size_t min_frames,
                   ys_frames **out)
{
    *out = NULL;
    struct stat st;
    if (threads < 2 || min_frames < 1 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 8)
        return YS_OK;
    ys_frames *fs = calloc(1, sizeof *fs);
    if (!fs)
        return YS_ENOMEM;
    fs->name = name;
    fs->map_len = (size_t)st.st_size;
    void *m = mmap(NULL, fs->map_len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
        free(fs);
        return YS_OK; /* the streaming decoder will read it */
    }
    fs->map = m;
    posix_madvise(m, fs->map_len, POSIX_MADV_SEQUENTIAL);
    if (!walk(fs, min_frames)) {
        ys_frames_close(fs);
        return YS_OK;
    }
    fs->nring = (size_t)threads + 2;
    fs->ring = calloc(fs->nring, sizeof *fs->ring);
    fs->threads = calloc(threads, sizeof *fs->threads);
    if (!fs->ring || !fs->threads) {
        ys_frames_close(fs);
        return YS_ENOMEM;
    }
    pthread_mutex_init(&fs->mu, NULL);
    pthread_cond_init(&fs->work, NULL);
    pthread_cond_init(&fs->done, NULL);
    for (unsigned i = 0; i < threads; i++) {
        if (pthread_create(&fs->threads[i], NULL, worker, fs) != 0)
            break;
        fs->nthreads++;
    }
    if (fs->nthreads == 0) {
        ys_frames_close(fs);
        return YS_ENOMEM;
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
    ZSTD_inBuffer in = {fs->map + f->off, f->csize, pc->rest_in};
    ZSTD_outBuffer out = {buf, cap, 0};
    size_t r = 1;
    while (out.pos < out.size && r != 0) {
        r = ZSTD_decompressStream(pc->rest, &out, &in);
        if (ZSTD_isError(r))
            return zstd_failed(fs, f, r, err);
        if (r != 0 && in.pos == in.size && out.pos < out.size)
            return zstd_failed(fs, f, (size_t)-ZSTD_error_srcSize_wrong, err);
    }
    pc->rest_in = in.pos;
    *got = out.pos;
    *done = r == 0;
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
        fs->bytes_in = fs->map_len; /* trailing skippable frames included */
    return YS_OK;
}

uint64_t ys_frames_bytes_in(const ys_frames *fs) { return fs->bytes_in; }
