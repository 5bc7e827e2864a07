/* Compiled-database files: round trip, and every kind of bad file. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "yamiscan.h"

static ys_error err;

static const char *TSV = "@category\tslang\n"
                         "a\tslang\t5\tlit\t闇バイト\n"
                         "b\tdefault\t-2\tre\t日給[0-9]+万\n";

static size_t scan_count(const ys_db *db, const char *text)
{
    ys_scanner *sc;
    cr_assert_eq(ys_scanner_new(db, &sc, &err), YS_OK);
    ys_batch *b = ys_batch_new(1024);
    ys_batch_add(b, text, strlen(text), NULL, 0, 1);
    const ys_hit *h;
    size_t n;
    cr_assert_eq(ys_scan_batch(sc, b, &h, &n, &err), YS_OK);
    ys_batch_free(b);
    ys_scanner_free(sc);
    return n;
}

Test(db, save_and_load_round_trip)
{
    need_hyperscan();
    ys_db *db = compile_tsv(TSV);
    const char *path = tmp_path("rt.ysdb");
    cr_assert_eq(ys_db_save(db, path, &err), YS_OK, "%s", err.message);
    ys_db *back;
    cr_assert_eq(ys_db_load(path, &back, &err), YS_OK, "%s", err.message);
    ys_db_stats s1, s2;
    ys_db_get_stats(db, &s1);
    ys_db_get_stats(back, &s2);
    cr_assert_eq(s2.patterns, 2);
    cr_assert_eq(s2.literals, 1);
    cr_assert_eq(s2.regexes, 1);
    cr_assert_eq(s1.lexicon_hash, s2.lexicon_hash);
    cr_assert_eq(s2.categories, 2);
    const ys_pattern *p = ys_db_pattern(back, 1);
    cr_assert_str_eq(p->id, "b");
    cr_assert_str_eq(p->category, "default");
    cr_assert_eq(p->weight, -2);
    cr_assert_str_eq(p->file, "t.tsv");
    cr_assert_eq(p->line, 3);
    cr_assert_str_eq(ys_db_category_name(back, ys_db_pattern_category(back, 0)), "slang");
    cr_assert_eq(scan_count(back, "闇バイト 日給3万 闇バイト"), 3);
    ys_db_free(db);
    ys_db_free(back);
}

static char *saved(size_t *len)
{
    ys_db *db = compile_tsv(TSV);
    const char *path = tmp_path("orig.ysdb");
    cr_assert_eq(ys_db_save(db, path, &err), YS_OK);
    ys_db_free(db);
    return read_file(path, len);
}

static void expect_bad(const void *data, size_t len, const char *want)
{
    ys_db *db = NULL;
    cr_assert_eq(ys_db_load_mem("x.ysdb", data, len, &db, &err), YS_EDB);
    cr_assert_null(db);
    cr_assert_str_eq(err.message, want);
}

static void fix_checksum(char *data, size_t len)
{
    uint64_t h = ys_checksum(data, len - 8);
    memcpy(data + len - 8, &h, 8);
}

/* The size of the file a lexicon of n terms saves to, half of them from a
 * TSV file named a, half from a plain list named b (whose terms are named
 * b:LINE); checks that every pattern keeps its file name and id. */
static size_t saved_size(size_t n, const char *a, const char *b)
{
    ys_lexicon *lex = ys_lexicon_new();
    char *text = malloc(n * 40 + 1);
    cr_assert(lex && text);
    for (int part = 0; part < 2; part++) {
        size_t k = 0;
        for (size_t i = part; i < n; i += 2)
            k += part ? (size_t)sprintf(text + k, "term%zu\n", i)
                      : (size_t)sprintf(text + k, "t%zu\tdefault\t1\tlit\tterm%zu\n", i, i);
        cr_assert_eq(part ? ys_lexicon_parse_list(lex, b, text, k, &err)
                          : ys_lexicon_parse_tsv(lex, a, text, k, &err),
                     YS_OK, "%s", err.message);
    }
    free(text);
    ys_db *db;
    cr_assert_eq(ys_db_compile_with(lex, "ac", &db, &err), YS_OK, "%s", err.message);
    ys_lexicon_free(lex);
    const char *path = tmp_path("names.ysdb");
    cr_assert_eq(ys_db_save(db, path, &err), YS_OK, "%s", err.message);
    ys_db_free(db);
    cr_assert_eq(ys_db_load(path, &db, &err), YS_OK, "%s", err.message);
    ys_db_stats st;
    ys_db_get_stats(db, &st);
    cr_assert_eq(st.patterns, n);
    cr_assert_str_eq(ys_db_pattern(db, 0)->file, a);
    cr_assert_str_eq(ys_db_pattern(db, (unsigned)n - 1)->file, b);
    cr_assert_eq(ys_db_pattern(db, (unsigned)n - 1)->line, n / 2);
    cr_assert_str_eq(ys_db_pattern(db, 0)->id, "t0");
    char want[400];
    snprintf(want, sizeof want, "%s:%zu", b, n / 2);
    cr_assert_str_eq(ys_db_pattern(db, (unsigned)n - 1)->id, want);
    ys_db_free(db);
    size_t len;
    free(read_file(path, &len));
    return len;
}

/* A file name is stored once, not once per pattern nor in the names of a
 * list's terms: 2,000 patterns from two files with names 300 bytes longer
 * make a file about 600 bytes larger (the engine's image may round its
 * size), not 900,000. */
Test(db, each_file_name_is_stored_once)
{
    char a[320], b[320];
    memset(a, 'a', 300), memcpy(a + 300, "/x.tsv", 7);
    memset(b, 'b', 300), memcpy(b + 300, "/y.tsv", 7);
    size_t shorter = saved_size(2000, "x.tsv", "y.tsv"), longer = saved_size(2000, a, b);
    cr_assert(longer >= shorter + 600 && longer < shorter + 700, "%zu against %zu bytes", longer,
              shorter);
}

Test(db, foreign_file)
{
    expect_bad("hello, world\n", 13, "x.ysdb: not a yamiscan compiled database (bad magic)");
    expect_bad("", 0, "x.ysdb: not a yamiscan compiled database (bad magic)");
}

Test(db, truncated_at_every_length)
{
    need_hyperscan();
    size_t len;
    char *data = saved(&len);
    for (size_t n = 8; n < len; n += 1 + n / 16) {
        ys_db *db = NULL;
        cr_assert_eq(ys_db_load_mem("x.ysdb", data, n, &db, &err), YS_EDB, "length %zu", n);
        cr_assert(strstr(err.message, "truncated"), "%s", err.message);
    }
    free(data);
}

Test(db, bit_flip_is_detected)
{
    need_hyperscan();
    size_t len;
    char *data = saved(&len);
    data[len / 2] ^= 1;
    expect_bad(data, len, "x.ysdb: truncated or corrupt compiled database (checksum mismatch)");
    free(data);
}

Test(db, other_format_version)
{
    need_hyperscan();
    size_t len;
    char *data = saved(&len);
    data[8] = 99;
    expect_bad(data, len, "x.ysdb: database format 99, this yamiscan reads format 9; "
                          "recompile it (ys_db_compile, ys_db_save)");
    free(data);
}

Test(db, other_hyperscan_version)
{
    need_hyperscan();
    size_t len;
    char *data = saved(&len);
    memset(data + 12, 0, 64);
    strcpy(data + 12, "hs 4.0.0 1999-01-01");
    fix_checksum(data, len);
    char want[256];
    snprintf(want, sizeof want,
             "x.ysdb: built with Hyperscan 4.0.0 1999-01-01, this is %s; recompile it "
             "(ys_db_compile, ys_db_save)",
             ys_engine_version("hs"));
    expect_bad(data, len, want);
    free(data);
}

Test(db, corrupt_hyperscan_blob_with_valid_checksum)
{
    need_hyperscan();
    size_t len;
    char *data = saved(&len);
    /* Damage the end of the serialized Hyperscan databases. */
    for (size_t i = len - 100; i < len - 8; i++)
        data[i] ^= 0x55;
    fix_checksum(data, len);
    ys_db *db = NULL;
    cr_assert_eq(ys_db_load_mem("x.ysdb", data, len, &db, &err), YS_EDB);
    free(data);
}

Test(db, missing_file)
{
    ys_db *db;
    cr_assert_eq(ys_db_load("/nonexistent.ysdb", &db, &err), YS_EIO);
    cr_assert_str_eq(err.message, "/nonexistent.ysdb: No such file or directory");
}
