#define _XOPEN_SOURCE 700 /* nftw */
#include "util.h"
#include "yamiscan.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

static char tmp_dir[256];

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)type, (void)ftw;
    return remove(path), 0;
}

/* The process's temporary directory goes when it exits (a test that fails
 * exits too: Criterion ends the test's process), whatever is in it. */
static void remove_tmp_dir(void)
{
    if (tmp_dir[0])
        nftw(tmp_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *tmp_path(const char *name)
{
    static char paths[16][512]; /* a few results stay valid at once */
    static unsigned next;
    if (!tmp_dir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmp_dir, sizeof tmp_dir, "%s/yamiscan-test-%d-XXXXXX",
                 base && *base ? base : "/tmp", (int)getpid());
        cr_assert_not_null(mkdtemp(tmp_dir));
        atexit(remove_tmp_dir);
    }
    const char *dir = tmp_dir;
    char *path = paths[next++ % 16];
    snprintf(path, 512, "%s/%s", dir, name);
    return path;
}

void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write %s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot read %s", path);
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        cap *= 2;
        buf = realloc(buf, cap);
    }
    fclose(f);
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

size_t zstd_frame(const void *src, size_t len, int level, void *dst, size_t cap)
{
    /* with a content checksum, as the zstd command writes by default */
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
    size_t n = ZSTD_compress2(c, dst, cap, src, len);
    ZSTD_freeCCtx(c);
    cr_assert(!ZSTD_isError(n), "ZSTD_compress: %s", ZSTD_getErrorName(n));
    return n;
}

run_result run_sh(const char *cmd)
{
    run_result r = {0};
    char full[8192], out[600], err[600];
    snprintf(out, sizeof out, "%s", tmp_path("run.out"));
    snprintf(err, sizeof err, "%s", tmp_path("run.err"));
    snprintf(full, sizeof full, "(%s) >'%s' 2>'%s'", cmd, out, err);
    int st = system(full);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.out = read_file(out, &r.out_len);
    r.err = read_file(err, NULL);
    return r;
}

void run_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

size_t count_str(const char *s, const char *needle)
{
    /* A byte loop, not strstr: AddressSanitizer's strstr measures the
     * whole rest of the text on every call, quadratic over megabytes. */
    size_t n = 0, k = strlen(needle);
    for (const char *p = s; *p;) {
        if (*p == *needle && strncmp(p, needle, k) == 0) {
            n++;
            p += k;
        } else {
            p++;
        }
    }
    return n;
}

ys_db *compile_tsv(const char *tsv)
{
    ys_error err;
    ys_lexicon *lex = ys_lexicon_new();
    cr_assert_eq(ys_lexicon_parse_tsv(lex, "t.tsv", tsv, strlen(tsv), &err), YS_OK, "%s",
                 err.message);
    ys_db *db;
    cr_assert_eq(ys_db_compile(lex, &db, &err), YS_OK, "%s", err.message);
    ys_lexicon_free(lex);
    return db;
}

size_t post_text(const char *line, size_t len, char *text, size_t cap)
{
    static const char *const fields[] = {"text"};
    size_t tl, idl;
    const char *id;
    ys_error err;
    cr_assert_eq(ys_json_extract(line, len, fields, 1, "id", text, cap - 1, &tl, &id, &idl, &err),
                 YS_OK, "%s", err.message);
    text[tl] = 0;
    return tl;
}

ys_verdict score_one(const ys_db *db, ys_scorer *s, const char *text, ys_hit **hits, size_t *n)
{
    ys_error err;
    ys_scanner *sc;
    cr_assert_eq(ys_scanner_new(db, &sc, &err), YS_OK, "%s", err.message);
    ys_batch *b = ys_batch_new(strlen(text) + 4096);
    cr_assert_eq(ys_batch_add(b, text, strlen(text), NULL, 0, 1), YS_OK);
    const ys_hit *h;
    size_t nh;
    cr_assert_eq(ys_scan_batch(sc, b, &h, &nh, &err), YS_OK, "%s", err.message);
    ys_verdict v;
    cr_assert_eq(ys_score_text(s, text, strlen(text), h, nh, &v), YS_OK);
    if (hits) {
        *hits = malloc((nh ? nh : 1) * sizeof **hits);
        cr_assert(*hits);
        if (nh) /* h may be NULL then */
            memcpy(*hits, h, nh * sizeof **hits);
        *n = nh;
    }
    ys_batch_free(b);
    ys_scanner_free(sc);
    return v;
}

void need_hyperscan(void)
{
    if (!ys_engine_version("hs"))
        cr_skip_test("needs the Hyperscan engine, which this build lacks");
}
