/* The yamiscan binary end to end: formats, exit codes, --db, | head. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "yamiscan.h"

static char cmd[8192];

static run_result sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static run_result sh(const char *fmt, ...)
{
    cr_assert_not_null(getenv("YAMISCAN"), "run the CLI tests through meson test");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return run_sh(cmd);
}

/* The bundled sample, or the cut of it that YAMISCAN_TEST_SAMPLE names
 * (tools/test's runs under valgrind, where every test's scan of the whole
 * sample took a minute). */
static const char *sample(void)
{
    static char p[1024];
    const char *cut = getenv("YAMISCAN_TEST_SAMPLE");
    if (cut && *cut)
        return cut;
    snprintf(p, sizeof p, "%s/corpora/sample.jsonl.zst", getenv("SOURCE_ROOT"));
    return p;
}

static const char *lexicon(void)
{
    static char p[1024];
    snprintf(p, sizeof p, "%s/patterns/ja-recruitment.tsv", getenv("SOURCE_ROOT"));
    return p;
}

/* A small lexicon written here, so that these tests do not change with the
 * bundled one: three categories, a regex, a combo and a threshold. */
static const char *small_lexicon(void)
{
    const char *p = tmp_path("small.tsv");
    const char *tsv = "@threshold\t5\n"
                      "@category\tslang\ts\n@category\trole\tr\n@category\tpay\tp\n"
                      "@combo\trole+pay\t2\n"
                      "yami-baito\tslang\t5\tlit\t闇バイト\n"
                      "ukeko\trole\t3\tlit\t受け子\tうけこ\n"
                      "nikkyu-man\tpay\t2\tre\t日給[0-9]+万\n";
    write_file(p, tsv, strlen(tsv));
    return p;
}

static const char *posts_file(void)
{
    const char *p = tmp_path("posts.jsonl");
    const char *posts =
        "{\"id\":\"a1\",\"text\":\"今日は晴れ。\"}\n"
        "{\"id\":\"a2\",\"text\":\"【闇バイト】受け子募集 日給5万\"}\n"
        "\n"
        "{\"id\":3,\"text\":\"\\u95c7\\u30d0\\u30a4\\u30c8\"}\n";
    write_file(p, posts, strlen(posts));
    return p;
}

Test(cli, jsonl_output_and_exit_0)
{
    need_hyperscan();
    run_result r = sh("\"$YAMISCAN\" scan -l %s %s", small_lexicon(), posts_file());
    cr_assert_eq(r.status, 0, "%s", r.err);
    char want[4096];
    snprintf(want, sizeof want,
             "{\"file\":\"%s\",\"line\":2,\"id\":\"a2\",\"score\":12,\"hits\":["
             "{\"pattern\":\"yami-baito\",\"category\":\"slang\",\"text\":\"闇バイト\",\"start\":3,\"end\":15},"
             "{\"pattern\":\"ukeko\",\"category\":\"role\",\"text\":\"受け子\",\"start\":18,\"end\":27},"
             "{\"pattern\":\"nikkyu-man\",\"category\":\"pay\",\"text\":\"日給5万\",\"start\":34,\"end\":44}]}\n"
             "{\"file\":\"%s\",\"line\":4,\"id\":3,\"score\":5,\"hits\":["
             "{\"pattern\":\"yami-baito\",\"category\":\"slang\",\"text\":\"闇バイト\",\"start\":0,\"end\":12}]}\n",
             posts_file(), posts_file());
    cr_assert_str_eq(r.out, want);
    cr_assert_str_eq(r.err, "");
    run_free(&r);
}

Test(cli, nothing_flagged_exits_1_and_errors_exit_2)
{
    need_hyperscan();
    run_result r = sh("\"$YAMISCAN\" scan -e 存在しない語 %s", posts_file());
    cr_assert_eq(r.status, 1);
    cr_assert_str_eq(r.out, "");
    run_free(&r);
    r = sh("\"$YAMISCAN\" scan /nonexistent.jsonl");
    cr_assert_eq(r.status, 2);
    cr_assert_str_eq(r.err, "yamiscan: /nonexistent.jsonl: No such file or directory\n");
    run_free(&r);
    r = sh("\"$YAMISCAN\" scan --bogus");
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "Try 'yamiscan help scan'."), "%s", r.err);
    run_free(&r);
}

Test(cli, error_in_one_file_still_scans_the_others)
{
    need_hyperscan();
    run_result r = sh("\"$YAMISCAN\" scan -c /nonexistent %s", posts_file());
    cr_assert_eq(r.status, 2);
    char want[1024];
    /* the bundled lexicon flags the ad, not the bare word 闇バイト */
    snprintf(want, sizeof want, "%s:1\n", posts_file());
    cr_assert_str_eq(r.out, want);
    run_free(&r);
}

Test(cli, lexicon_errors_name_file_line_col)
{
    const char *p = tmp_path("bad.tsv");
    write_file(p, "x\tnope\t1\tlit\tabc\n", 17);
    run_result r = sh("\"$YAMISCAN\" scan -l %s %s", p, posts_file());
    cr_assert_eq(r.status, 2);
    char want[1024];
    snprintf(want, sizeof want,
             "yamiscan: %s:1:3: unknown category 'nope' (declare it with @category)\n", p);
    cr_assert_str_eq(r.err, want);
    run_free(&r);
}

Test(cli, text_format_count_and_color)
{
    need_hyperscan();
    const char *lex = small_lexicon();
    run_result r = sh("\"$YAMISCAN\" scan --format text -l %s %s", lex, posts_file());
    cr_assert_str_eq(r.out, "2:【闇バイト】受け子募集 日給5万\n4:闇バイト\n");
    run_free(&r);
    r = sh("\"$YAMISCAN\" scan --format text -H --color always -l %s %s", lex, posts_file());
    char want[1024];
    snprintf(want, sizeof want,
             "%s:2:【\033[01;31m闇バイト\033[m】\033[01;31m受け子\033[m募集 \033[01;31m日給5万\033[m\n"
             "%s:4:\033[01;31m闇バイト\033[m\n",
             posts_file(), posts_file());
    cr_assert_str_eq(r.out, want);
    run_free(&r);
    r = sh("\"$YAMISCAN\" scan -c -l %s %s - < %s", lex, posts_file(), posts_file());
    snprintf(want, sizeof want, "%s:2\n(standard input):2\n", posts_file());
    cr_assert_str_eq(r.out, want);
    run_free(&r);
}

Test(cli, lines_input_and_grep_style_terms)
{
    const char *p = tmp_path("notes.txt");
    write_file(p, "a 闇バイト\r\nb\n\nc 受け子 d\n", strlen("a 闇バイト\r\nb\n\nc 受け子 d\n"));
    const char *terms = tmp_path("terms.txt");
    write_file(terms, "受け子\n", strlen("受け子\n"));
    run_result r = sh("\"$YAMISCAN\" scan --input-format lines -f %s -e 闇バイト --format text %s",
                      terms, p);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "1:a 闇バイト\n4:c 受け子 d\n");
    run_free(&r);
}

Test(cli, db_round_trip_gives_identical_output)
{
    need_hyperscan();
    const char *db = tmp_path("r.ysdb");
    run_result r = sh("\"$YAMISCAN\" compile -l %s -o %s --stats", lexicon(), db);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, " patterns ("), "%s", r.err);
    run_free(&r);
    run_result a = sh("\"$YAMISCAN\" scan -l %s %s", lexicon(), sample());
    run_result b = sh("\"$YAMISCAN\" scan --db %s %s", db, sample());
    /* from stdin: the same verdicts, each naming (standard input) as its file */
    run_result c = sh("zstdcat %s | \"$YAMISCAN\" scan --db %s - | "
                      "sed 's|^{\"file\":\"(standard input)\",|{\"file\":\"%s\",|'",
                      sample(), db, sample());
    cr_assert_eq(a.status, 0);
    cr_assert_eq(b.status, 0, "%s", b.err);
    cr_assert_eq(c.status, 0, "%s", c.err);
    cr_assert_gt(a.out_len, 1000);
    /* The whole output, byte for byte (memcmp: strstr over megabytes is
     * quadratic under AddressSanitizer's interceptor). */
    cr_assert(a.out_len == b.out_len && !memcmp(a.out, b.out, a.out_len),
              "--db gives other output: %zu bytes against %zu", b.out_len, a.out_len);
    cr_assert(a.out_len == c.out_len && !memcmp(a.out, c.out, a.out_len),
              "--db from stdin gives other verdicts: %zu bytes against %zu", c.out_len, a.out_len);
    run_free(&a);
    run_free(&b);
    run_free(&c);
}

/* --engine: ac gives the same output as hs on a literal lexicon, directly
 * and through a compiled file, and scans the bundled lexicon without its
 * regexes, saying so; a regex in a lexicon given, an unknown engine and a
 * database of the other engine are refused with clear messages. */
Test(cli, engines_give_the_same_output)
{
    const char *lit = tmp_path("lit.tsv"), *db = tmp_path("ac.ysdb");
    /* the model file goes beside the copy, which names it relatively */
    run_result r = sh("awk -F '\t' '$4 != \"re\"' %s > %s && cp %s/patterns/ja-recruitment.model "
                      "%s && \"$YAMISCAN\" compile --engine ac --stats -l %s -o %s", lexicon(), lit,
                      getenv("SOURCE_ROOT"), tmp_path("ja-recruitment.model"), lit, db);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "  engine         ac\n"), "%s", r.err);
    run_free(&r);
    run_result ac = sh("\"$YAMISCAN\" scan --engine ac -l %s %s", lit, sample());
    run_result acdb = sh("\"$YAMISCAN\" scan --db %s %s", db, sample());
    cr_assert_eq(ac.status, 0, "%s", ac.err);
    cr_assert_gt(count_str(ac.out, "\n"), 1000);
    cr_assert_str_eq(acdb.out, ac.out);
    /* the default lexicon works with any engine: ac scans its literals,
     * says what it leaves out, and finds what the literals alone find */
    r = sh("\"$YAMISCAN\" scan --engine ac %s", sample());
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "warning: the ac engine takes literals only: the bundled "
                         "lexicon's ") && strstr(r.err, " regex patterns "), "%s", r.err);
    cr_assert_str_eq(r.out, ac.out, "the bundled lexicon without its regexes");
    run_free(&r);
    if (ys_engine_version("hs")) {
        run_result hs = sh("\"$YAMISCAN\" scan --engine hs -l %s %s", lit, sample());
        cr_assert_str_eq(hs.out, ac.out);
        run_free(&hs);
        r = sh("\"$YAMISCAN\" scan --engine ac -l %s %s", lexicon(), posts_file());
        cr_assert_eq(r.status, 2);
        cr_assert(strstr(r.err, "ja-recruitment.tsv:") && strstr(r.err, "is a regex, and the ac "
                  "engine takes literals only") && strstr(r.err, "use --engine hs, or remove them"),
                  "%s", r.err);
        run_free(&r);
        r = sh("\"$YAMISCAN\" scan --engine hs --db %s %s", db, posts_file());
        cr_assert_eq(r.status, 2);
        cr_assert(strstr(r.err, "compiled for the ac engine, not hs; recompile it with "
                             "'yamiscan compile --engine hs'"), "%s", r.err);
        run_free(&r);
    }
    r = sh("\"$YAMISCAN\" scan --engine zz %s", posts_file());
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "no engine 'zz' in this yamiscan"), "%s", r.err);
    run_free(&r);
    run_free(&ac);
    run_free(&acdb);
}

/* Several inputs with several threads (the next file decoded ahead, files
 * of many frames decoded frame-parallel) give exactly the one-thread
 * output and messages, a missing file among them included. */
Test(cli, several_files_with_threads_equal_one_thread)
{
    const char *multi = tmp_path("multi.jsonl.zst"), *one = tmp_path("one.jsonl.zst");
    run_result r = sh("zstdcat %s > %s.txt && split -n 4 -d %s.txt %s.part && "
                      "for f in %s.part*; do zstd -q -c $f; done > %s && zstd -q -c %s.txt > %s",
                      sample(), multi, multi, multi, multi, multi, multi, one);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    const char *files = "%s %s /nonexistent.zst %s %s";
    char list[4096];
    snprintf(list, sizeof list, files, one, multi, one, posts_file());
    run_result a = sh("\"$YAMISCAN\" scan -e 受け子 -e 闇バイト --stats --threads 1 %s", list);
    run_result b = sh("\"$YAMISCAN\" scan -e 受け子 -e 闇バイト --stats --threads 3 %s", list);
    cr_assert_eq(a.status, 2, "%s", a.err);
    cr_assert_eq(b.status, 2, "%s", b.err);
    cr_assert_gt(count_str(a.out, "\n"), 1000);
    cr_assert_str_eq(a.out, b.out);
    /* The messages and the counters equal; timings aside. */
    char *sa = strstr(a.err, "  seconds"), *sb = strstr(b.err, "  seconds");
    char *ia = strstr(a.err, "  inputs"), *ib = strstr(b.err, "  inputs");
    cr_assert(sa && sb && ia && ib);
    *sa = *sb = 0;
    cr_assert_str_eq(ia, ib);
    *strstr(a.err, "  compile seconds") = *strstr(b.err, "  compile seconds") = 0;
    cr_assert_str_eq(a.err, b.err);
    cr_assert(strstr(a.err, "/nonexistent.zst: No such file or directory"), "%s", a.err);
    run_free(&a);
    run_free(&b);
}

Test(cli, stale_and_damaged_databases_are_refused)
{
    const char *db = tmp_path("s.ysdb");
    run_result r = sh("\"$YAMISCAN\" compile -e 闇バイト -o %s", db);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = sh("\"$YAMISCAN\" scan --db %s -l %s %s", db, lexicon(), posts_file());
    cr_assert_eq(r.status, 2);
    char want[1024];
    snprintf(want, sizeof want,
             "yamiscan: %s: stale database: it was not compiled from the given lexicon(s); "
             "recompile it with 'yamiscan compile'\n",
             db);
    cr_assert_str_eq(r.err, want);
    run_free(&r);
    r = sh("head -c 100 %s > %s.cut && \"$YAMISCAN\" scan --db %s.cut %s", db, db, db, posts_file());
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "truncated"), "%s", r.err);
    run_free(&r);
}

Test(cli, bundled_lexicon_is_the_default)
{
    need_hyperscan();
    run_result r = sh("\"$YAMISCAN\" scan --stats %s", sample());
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_result lines = sh("zstdcat %s | wc -l", sample());
    char scanned[64];
    snprintf(scanned, sizeof scanned, "  posts scanned       %lld\n", atoll(lines.out));
    cr_assert(strstr(r.err, scanned), "%s", r.err);
    run_free(&lines);
    size_t zlen;
    free(read_file(sample(), &zlen));
    char want[128];
    snprintf(want, sizeof want, "  bytes read          %zu\n", zlen);
    cr_assert(strstr(r.err, want), "%s", r.err);
    run_result z = sh("zstdcat %s | wc -c", sample());
    snprintf(want, sizeof want, "  bytes decoded       %lld\n", atoll(z.out));
    cr_assert(strstr(r.err, want), "%s", r.err);
    run_free(&z);
    cr_assert(strstr(r.err, "  bad_json            0\n"), "%s", r.err);
    run_free(&r);
}

Test(cli, head_closes_the_pipe_quietly)
{
    need_hyperscan();
    run_result r = sh("{ \"$YAMISCAN\" scan %s %s %s; echo $? > %s; } | head -n 1", sample(),
                      sample(), sample(), tmp_path("status"));
    cr_assert_eq(count_str(r.out, "\n"), 1);
    cr_assert_str_eq(r.err, "");
    char *st = read_file(tmp_path("status"), NULL);
    cr_assert_str_eq(st, "0\n");
    free(st);
    run_free(&r);
}

Test(cli, malformed_lines_are_reported_once_and_counted)
{
    need_hyperscan();
    const char *p = tmp_path("mixed.jsonl");
    const char *in = "{\"text\":\"闇バイト募集、日給5万、詳細はテレグラムで\"}\n{broken\n{also broken\n"
                     "{\"text\":\"ok\"}\n";
    write_file(p, in, strlen(in));
    run_result r = sh("\"$YAMISCAN\" scan --stats %s", p);
    cr_assert_eq(r.status, 0);
    char want[1024];
    snprintf(want, sizeof want,
             "yamiscan: %s:2: malformed JSON at column 2: expected a string key "
             "(further bad_json lines are only counted)\n",
             p);
    cr_assert(strncmp(r.err, want, strlen(want)) == 0, "%s", r.err);
    cr_assert(strstr(r.err, "  bad_json            2\n"), "%s", r.err);
    cr_assert(strstr(r.err, "  posts scanned       2\n"), "%s", r.err);
    run_free(&r);
    r = sh("\"$YAMISCAN\" scan --strict %s", p);
    cr_assert_eq(r.status, 2);
    cr_assert_eq(count_str(r.out, "\n"), 1, "the post before the bad line is written");
    run_free(&r);
}

/* The long options that command `cmd`'s getopt table in tools/FILE accepts
 * (PATTERN_OPTIONS expanded from tools/cli.h), read from the source so that
 * a new option without its help line fails here. */
static size_t options_of(const char *file, const char *cmd, char names[][32], size_t max)
{
    char path[1024], fn[64];
    snprintf(path, sizeof path, "%s/tools/%s", getenv("SOURCE_ROOT"), file);
    char *src = read_file(path, NULL);
    snprintf(fn, sizeof fn, "int cmd_%s(", cmd);
    const char *at = strstr(src, fn);
    cr_assert_not_null(at, "no %s in %s", fn, path);
    const char *table = strstr(at, "struct option opts[] = {");
    cr_assert_not_null(table);
    const char *end = strstr(table, "{0, 0, 0, 0}");
    cr_assert_not_null(end);
    size_t n = 0;
    for (const char *p = table; (p = strstr(p, "{\"")) && p < end; p += 2) {
        size_t k = strcspn(p + 2, "\"");
        cr_assert(n < max && k < 32);
        memcpy(names[n], p + 2, k);
        names[n++][k] = 0;
    }
    const char *macro = strstr(table, "PATTERN_OPTIONS");
    if (macro && macro < end) {
        snprintf(path, sizeof path, "%s/tools/cli.h", getenv("SOURCE_ROOT"));
        char *h = read_file(path, NULL);
        const char *p = strstr(h, "#define PATTERN_OPTIONS");
        cr_assert_not_null(p);
        const char *stop = strstr(p, "\nint ");
        for (; (p = strstr(p, "{\"")) && p < stop; p += 2) {
            size_t k = strcspn(p + 2, "\"");
            cr_assert(n < max && k < 32);
            memcpy(names[n], p + 2, k);
            names[n++][k] = 0;
        }
        free(h);
    }
    free(src);
    cr_assert_gt(n, 3, "%s: only %zu options read", cmd, n);
    return n;
}

/* Every long option each command accepts is in its --help (tune's -f, -e,
 * --db and --threshold are accepted only to be refused with a reason). */
Test(cli, help_describes_every_option)
{
    static const struct {
        const char *file, *cmd, *refused;
    } cmds[] = {{"yamiscan.c", "scan", ""},
                {"yamiscan.c", "compile", ""},
                {"cmd_eval.c", "eval", ""},
                {"cmd_explain.c", "explain", ""},
                {"cmd_tune.c", "tune", " file term db threshold "}};
    for (size_t c = 0; c < sizeof cmds / sizeof *cmds; c++) {
        char names[64][32], word[40];
        size_t n = options_of(cmds[c].file, cmds[c].cmd, names, 64);
        run_result r = sh("\"$YAMISCAN\" help %s", cmds[c].cmd);
        cr_assert_eq(r.status, 0);
        for (size_t i = 0; i < n; i++) {
            snprintf(word, sizeof word, " %s ", names[i]);
            if (strstr(cmds[c].refused, word))
                continue;
            snprintf(word, sizeof word, "--%s", names[i]);
            cr_assert(strstr(r.out, word), "help %s lacks %s", cmds[c].cmd, word);
        }
        cr_assert(strstr(r.out, "Exit status"), "help %s: no exit status", cmds[c].cmd);
        run_free(&r);
    }
}

/* A line longer than --max-post-bytes is truncated with a warning; a larger
 * limit scans it whole. */
Test(cli, max_post_bytes_above_the_batch_size)
{
    need_hyperscan();
    const char *p = tmp_path("long.txt");
    size_t n = 3 << 20;
    char *line = malloc(n + 128);
    memset(line, 'a', n);
    strcpy(line + n, "闇バイト募集、日給5万、詳細はテレグラムで\nok\n");
    write_file(p, line, strlen(line));
    free(line);
    run_result r = sh("\"$YAMISCAN\" scan -c --input-format lines %s", p);
    cr_assert_eq(r.status, 1);
    cr_assert_str_eq(r.out, "0\n");
    char want[1024];
    snprintf(want, sizeof want,
             "yamiscan: %s:1: line longer than 1048576 bytes (--max-post-bytes): only its start "
             "is scanned (further too_long lines are only counted)\n"
             "yamiscan: 1 lines had problems (see --stats for the counts by kind)\n", p);
    cr_assert_str_eq(r.err, want);
    run_free(&r);
    r = sh("\"$YAMISCAN\" scan -c --input-format lines --max-post-bytes 4M %s", p);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "1\n");
    cr_assert_str_eq(r.err, "");
    run_free(&r);
}

/* Hundreds of thousands of hits in one post: scoring stays linear. */
Test(cli, a_flood_of_hits_in_one_post)
{
    const char *p = tmp_path("flood.txt");
    size_t reps = 300000;
    char *line = malloc(reps * 3 + 2);
    for (size_t i = 0; i < reps; i++)
        memcpy(line + 3 * i, "ｗ", 3);
    line[reps * 3] = '\n';
    write_file(p, line, reps * 3 + 1);
    free(line);
    run_result r = sh("\"$YAMISCAN\" scan --stats -c -e ｗ -e ｗｗ --input-format lines %s", p);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "1\n");
    cr_assert(strstr(r.err, "  hits                599999\n"), "%s", r.err);
    run_free(&r);
}

Test(cli, bad_field_path_and_version)
{
    need_hyperscan();
    run_result r = sh("\"$YAMISCAN\" scan --field 'a..b' %s %s", posts_file(), posts_file());
    cr_assert_eq(r.status, 2);
    cr_assert_str_eq(r.err, "yamiscan: bad field path 'a..b': empty component\n");
    run_free(&r);
    r = sh("\"$YAMISCAN\" --version");
    cr_assert_eq(r.status, 0);
    cr_assert(strncmp(r.out, "yamiscan 0.1.0 (engines: ", 25) == 0, "%s", r.out);
    cr_assert(strstr(r.out, "ac = Aho-Corasick"), "%s", r.out);
    run_free(&r);
}

/* Issue 16: a gzip file is read, not scanned as bytes: the same verdicts
 * as the plain file (but its name), exit 0; its damage is exit 2. */
Test(cli, a_gzip_file_is_decompressed)
{
    if (!strstr(ys_input_formats(), "gzip"))
        cr_skip_test("built without zlib");
    run_result r = sh("cd \"$(dirname '%s')\" && gzip -c posts.jsonl >posts.jsonl.gz && "
                      "\"$YAMISCAN\" scan -e 闇バイト posts.jsonl.gz | sed 's/[.]gz\"/\"/' >gz.out && "
                      "\"$YAMISCAN\" scan -e 闇バイト posts.jsonl | cmp - gz.out && "
                      "head -c 30 posts.jsonl.gz >cut.gz && \"$YAMISCAN\" scan -e 闇バイト cut.gz",
                      posts_file());
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "cut.gz: truncated gzip stream"), "%s", r.err);
    run_free(&r);
}

/* Issue 16: a binary file (NULs and bytes that are not UTF-8 at its start)
 * is an error naming it, exit 2, from a file and from a pipe, not "nothing
 * flagged"; text in another encoding (no NUL) is still scanned. */
Test(cli, a_binary_file_is_an_error_not_nothing_flagged)
{
    run_result r = sh("cd \"$(dirname '%s')\" && Y=\"$YAMISCAN\" && "
                      "printf 'PK\\003\\004\\000\\000\\377\\376 闇バイト\\n' >a.zip && "
                      "$Y scan -e 闇バイト a.zip; echo \"file $?\"; "
                      "$Y scan -e 闇バイト - <a.zip; echo \"pipe $?\"; "
                      "printf '\\377\\376 闇バイト\\n' | $Y scan -c -e 闇バイト -; echo \"latin $?\"",
                      posts_file());
    cr_assert(strstr(r.out, "file 2\n") && strstr(r.out, "pipe 2\n"), "%s", r.out);
    cr_assert(strstr(r.err, "a.zip: not text (a NUL byte at offset 4"), "%s", r.err);
    cr_assert(strstr(r.err, "(standard input): not text"), "%s", r.err);
    cr_assert(strstr(r.out, "1\nlatin "), "no NUL: scanned, the post flagged: %s", r.out);
    run_free(&r);
}

/* Issue 16: a UTF-8 byte-order mark at the start of an input is not part of
 * its first line: the JSON object is read as JSON (its id kept), and a text
 * line's hit offsets count from after the mark. */
Test(cli, a_byte_order_mark_at_the_start_of_an_input_is_skipped)
{
    run_result r = sh("printf '\\357\\273\\277{\"id\":7,\"text\":\"闇バイト\"}\\n' | "
                      "\"$YAMISCAN\" scan -e 闇バイト - && "
                      "printf '\\357\\273\\277闇バイト\\n' | \"$YAMISCAN\" scan -e 闇バイト -");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\"id\":7,"), "%s", r.out);
    cr_assert(strstr(r.out, "\"id\":null,"), "%s", r.out);
    cr_assert(!strstr(r.out, "\"start\":3"), "offsets from after the mark: %s", r.out);
    cr_assert(strstr(r.out, "\"start\":0,\"end\":12"), "%s", r.out);
    run_free(&r);
}

/* Issue 16: a file written from standard input with zstd --long=31 (its
 * header asks for a 2 GiB window, as Reddit's dumps do) and a feed
 * compressed with a dictionary give the plain file's verdicts; a lower
 * --zstd-window-max, or a missing --zstd-dict, is an error that names the
 * option (exit 2), and --stats shows the window used. */
Test(cli, a_long_31_file_and_a_dictionary_feed_are_read)
{
    run_result r = sh(
        "cd \"$(dirname '%s')\" && Y=\"$YAMISCAN\" && "
        "for i in $(seq 300); do sed \"s/晴れ/晴れ$i/\" posts.jsonl; done >many.jsonl && "
        "zstd -q --long=31 -c <many.jsonl >long.zst && "
        "$Y scan -e 闇バイト many.jsonl | sed 's/many[.]jsonl/F/' >plain.out; "
        "$Y scan -e 闇バイト --stats long.zst 2>long.err | sed 's/long[.]zst/F/' | cmp - plain.out && "
        "grep -q 'zstd window         2147483648 bytes' long.err && "
        "split -l 4 many.jsonl sample. && zstd -q --train --maxdict=2048 sample.* -o feed.dict && "
        "zstd -q -D feed.dict -c many.jsonl >dict.zst && test \"$(wc -l <plain.out)\" = 600 && "
        "$Y scan -e 闇バイト --zstd-dict feed.dict dict.zst | sed 's/dict[.]zst/F/' | cmp - plain.out && "
        "$Y scan -e 闇バイト --zstd-window-max 128M long.zst; echo \"window $?\" >&2; "
        "$Y scan -e 闇バイト dict.zst; echo \"dict $?\" >&2",
        posts_file());
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "long.zst: the zstd frame at compressed byte offset 0 needs a window "
                            "of 2048 MiB, more than the limit of 128 MiB set for this input "
                            "(--zstd-window-max)\nwindow 2\n"), "%s", r.err);
    cr_assert(strstr(r.err, "give it (--zstd-dict FILE)\ndict 2\n"), "%s", r.err);
    run_free(&r);
}

/* Issue 16: JSON that is not one object per line (a top-level array on
 * one line or many, a pretty-printed object) would be read as text lines
 * and flag nothing: it is an error (exit 2) that says what the input is and
 * the command that reads it; a text line that starts with [ is text. */
Test(cli, json_arrays_and_pretty_objects_name_the_command_that_reads_them)
{
    const char *arr = tmp_path("array.json"), *pretty = tmp_path("pretty.json"),
               *text = tmp_path("pr.txt");
    const char *a = "[{\"text\":\"闇バイト\"},\n {\"text\":\"x\"}]\n",
               *p = "\n{\n  \"text\": \"闇バイト\"\n}\n";
    write_file(arr, a, strlen(a));
    write_file(pretty, p, strlen(p));
    write_file(text, "[PR] 闇バイト募集\n", strlen("[PR] 闇バイト募集\n"));
    run_result r = sh("\"$YAMISCAN\" scan -e 闇バイト %s", arr);
    cr_assert_eq(r.status, 2);
    char want[1024];
    snprintf(want, sizeof want, "yamiscan: %s:1: a JSON array, not one JSON object per line: "
             "jq -c '.[]' %s | yamiscan scan - reads it\n", arr, arr);
    cr_assert_str_eq(r.err, want);
    cr_assert_str_eq(r.out, "");
    run_free(&r);
    r = sh("\"$YAMISCAN\" scan -e 闇バイト %s", pretty);
    cr_assert_eq(r.status, 2);
    snprintf(want, sizeof want, "yamiscan: %s:2: a JSON object spread over several lines "
             "(pretty-printed), not one object per line: jq -c . %s | yamiscan scan - reads it\n",
             pretty, pretty);
    cr_assert_str_eq(r.err, want);
    run_free(&r);
    r = sh("printf '[\\n' | \"$YAMISCAN\" scan -e 闇バイト");
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "(standard input):1: a JSON array, not one JSON object per line: "
                            "piped through jq -c '.[]', yamiscan scan - reads it"), "%s", r.err);
    run_free(&r);
    r = sh("\"$YAMISCAN\" scan -e 闇バイト --format text %s", text);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "[PR] 闇バイト募集"), "%s", r.out);
    run_free(&r);
    /* with --input-format lines, a lone [ is a line like any other */
    r = sh("\"$YAMISCAN\" scan -e 闇バイト --input-format lines -c %s", arr);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
}

/* Issue 16: a Bluesky Jetstream feed, where most events are not posts
 * (identity and account events, likes, deletes): --where selects the
 * posts, the others are counted as skipped, not as problems; a selection
 * that no line meets is an error, not "nothing flagged"; a value is
 * compared as decoded (\\u escapes) or, for a number, as written. */
static const char jetstream[] =
    "{\"did\":\"did:plc:a\",\"time_us\":1,\"kind\":\"identity\",\"identity\":{\"handle\":\"a.example\"}}\n"
    "{\"did\":\"did:plc:b\",\"time_us\":2,\"kind\":\"commit\",\"commit\":{\"operation\":\"create\","
    "\"collection\":\"app.bsky.feed.post\",\"rkey\":\"3k1\",\"record\":{\"text\":\"闇バイト募集、受け子\"}}}\n"
    "{\"did\":\"did:plc:c\",\"time_us\":3,\"kind\":\"commit\",\"commit\":{\"operation\":\"create\","
    "\"collection\":\"app.bsky.feed.like\",\"rkey\":\"3k2\",\"record\":{\"subject\":{\"uri\":\"at://x\"}}}}\n"
    "{\"did\":\"did:plc:d\",\"time_us\":4,\"kind\":\"commit\",\"commit\":{\"operation\":\"delete\","
    "\"collection\":\"app.bsky.feed.\\u0070ost\",\"rkey\":\"3k3\"}}\n"
    "{\"did\":\"did:plc:e\",\"time_us\":5,\"kind\":\"account\",\"account\":{\"active\":true}}\n";

Test(cli, where_selects_the_posts_of_a_feed_and_counts_the_rest_as_skipped)
{
    const char *f = tmp_path("jetstream.jsonl");
    write_file(f, jetstream, strlen(jetstream));
    run_result r = sh("\"$YAMISCAN\" scan -e 受け子 --stats --where commit.collection=app.bsky.feed.post "
                      "--where commit.operation=create --field commit.record.text "
                      "--id-field commit.rkey %s", f);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\"line\":2,\"id\":\"3k1\""), "%s", r.out);
    cr_assert_eq(count_str(r.out, "\n"), 1);
    cr_assert(strstr(r.err, "  skipped (--where)   4\n"), "%s", r.err);
    cr_assert(strstr(r.err, "  no_text             0\n"), "%s", r.err);
    cr_assert(!strstr(r.err, "had problems"), "%s", r.err);
    run_free(&r);
    /* the delete's collection is written with an escape: selected, and it
     * has no text, so that one is a problem */
    r = sh("\"$YAMISCAN\" scan -e 受け子 --stats --where commit.collection=app.bsky.feed.post "
           "--field commit.record.text %s", f);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "  skipped (--where)   3\n"), "%s", r.err);
    cr_assert(strstr(r.err, "  no_text             1\n"), "%s", r.err);
    run_free(&r);
    r = sh("\"$YAMISCAN\" scan -e 受け子 -c --where time_us=5 --field account.active %s", f);
    cr_assert_eq(r.status, 2, "a number selects; true is not a string: %s", r.err);
    cr_assert(strstr(r.err, "none of the 1 selected lines has the text field (--field "
                            "account.active)"), "%s", r.err);
    run_free(&r);
    r = sh("\"$YAMISCAN\" scan -e 受け子 --where commit.collection=app.bsky.feed.pos %s", f);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "none of the 5 lines is selected by --where "
                            "commit.collection=app.bsky.feed.pos: nothing was scanned"), "%s", r.err);
    run_free(&r);
    r = sh("\"$YAMISCAN\" scan -e 受け子 --where commit.collection %s", f);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "bad --where 'commit.collection' (PATH=VALUE, at most 8)"), "%s", r.err);
    run_free(&r);
    /* a post's address as its id: did and rkey joined */
    r = sh("\"$YAMISCAN\" scan -e 受け子 --where commit.collection=app.bsky.feed.post --field "
           "commit.record.text --id-field did --id-field commit.rkey %s", f);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\"line\":2,\"id\":\"did:plc:b/3k1\""), "%s", r.out);
    run_free(&r);
    r = sh("\"$YAMISCAN\" scan --kafka-brokers localhost:1 --kafka-topic t --where a=b");
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "--where and several --id-field options are for files"), "%s", r.err);
    run_free(&r);
}

/* Issue 17: a numeric option's error names that option and its range. */
Test(cli, a_bad_number_names_its_option)
{
    static const char *const cases[][2] = {
        {"eval --show abc x", "bad --show 'abc' (an integer, at least 0)"},
        {"eval --show -5 x", "bad --show '-5' (an integer, at least 0)"},
        {"scan --threads 0 x", "bad --threads '0' (an integer from 1 to 256)"},
        {"scan --threshold 1e3 x", "bad --threshold '1e3' (an integer from -100000 to 100000)"},
        {"tune --folds 1 x", "bad --folds '1' (an integer from 2 to 100)"},
        {"compile -e x --lint-min-words 0", "bad --lint-min-words '0' (an integer, at least 1)"},
        {"scan --zstd-window-max 3M x", "bad --zstd-window-max '3M' (a power of two from 1K to 2G"},
        {"scan --zstd-window-max 4G x", "bad --zstd-window-max '4G' (a power of two from 1K to 2G"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        run_result r = sh("\"$YAMISCAN\" %s", cases[i][0]);
        cr_assert_eq(r.status, 2, "%s", cases[i][0]);
        cr_assert(strstr(r.err, cases[i][1]), "%s: %s", cases[i][0], r.err);
        run_free(&r);
    }
}

/* No FILE and a terminal for input: scan says what it waits for (on a
 * pseudo-terminal from script(1)); from a pipe it says nothing. */
Test(cli, a_terminal_for_input_is_named)
{
    run_result r = sh("command -v script >/dev/null || exit 77; timeout 10 script -qec "
                      "'\"$YAMISCAN\" scan -e x' /dev/null </dev/null");
    if (r.status == 77)
        cr_skip_test("no script(1) here");
    cr_assert(strstr(r.out, "reading posts from standard input (a terminal)"), "%d: %s%s",
              r.status, r.out, r.err);
    run_free(&r);
    r = sh("echo x | \"$YAMISCAN\" scan -c -e x");
    cr_assert_str_eq(r.err, "");
    cr_assert_str_eq(r.out, "1\n");
    run_free(&r);
}

/* A --field that no line has is an error that names it, not "nothing
 * flagged"; the warning names the path asked for. */
Test(cli, a_field_no_line_has_is_an_error)
{
    const char *f = tmp_path("fields.jsonl");
    write_file(f, "{\"body\":\"x\"}\n\n{\"body\":\"x\"}\n", 27);
    run_result r = sh("\"$YAMISCAN\" scan -e x --field bodyx '%s'", f);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, ":1: no text field 'bodyx' (a string) in this object (its keys: "
                            "body) (further"), "%s", r.err);
    cr_assert(strstr(r.err, "none of the 2 lines has the text field (--field bodyx): nothing was "
                            "scanned"), "%s", r.err);
    run_free(&r);
    r = sh("\"$YAMISCAN\" scan -c -e x --field body '%s'", f);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "2\n");
    run_free(&r);
    /* Per input: another file's posts do not make one whose lines all lack
     * the field "nothing flagged"; it is named, exit 2. */
    const char *g = tmp_path("other.jsonl");
    write_file(g, "{\"text\":\"x\"}\n", 13);
    r = sh("\"$YAMISCAN\" scan -c -e x --field body '%s' '%s'", f, g);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.out, "fields.jsonl:2\n") && strstr(r.out, "other.jsonl:0\n"), "%s", r.out);
    cr_assert(strstr(r.err, "other.jsonl: none of the 1 lines has the text field (--field body)"),
              "%s", r.err);
    cr_assert(!strstr(r.err, "fields.jsonl: none"), "%s", r.err);
    run_free(&r);
    /* Jetstream-like events: the keys of the first object, nested values
     * passed over; many long keys end in … */
    r = sh("printf '%%s\\n' '{\"kind\":\"identity\",\"did\":\"d\",\"identity\":{\"a\":[1,{\"b\":2}]},"
           "\"time_us\":1}' | \"$YAMISCAN\" scan -e x");
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "(its keys: kind, did, identity, time_us)"), "%s", r.err);
    run_free(&r);
    r = sh("for i in $(seq 40); do printf '\"key_number_%%s\":%%s,' $i $i; done | "
           "sed 's/^/{/; s/,$/}/' | \"$YAMISCAN\" scan -e x");
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "(its keys: key_number_1, key_number_2, "), "%s", r.err);
    cr_assert(strstr(r.err, ", …)"), "%s", r.err);
    run_free(&r);
}

Test(cli, a_full_disk_is_an_error)
{
    need_hyperscan();
    run_result r = sh("\"$YAMISCAN\" scan %s > /dev/full", posts_file());
    cr_assert_eq(r.status, 2);
    cr_assert_str_eq(r.err, "yamiscan: write error: No space left on device; 0 flagged posts "
                            "written before it, nothing after\n");
    run_free(&r);
    r = sh("\"$YAMISCAN\" scan -c %s > /dev/full", posts_file());
    cr_assert_eq(r.status, 2);
    cr_assert_str_eq(r.err, "yamiscan: write error: No space left on device\n");
    run_free(&r);
}

Test(cli, compiled_database_cache)
{
    need_hyperscan();
    const char *dir = tmp_path("cache"), *lex = small_lexicon();
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "export YAMISCAN_CACHE_DIR=%s/sub; \"$YAMISCAN\" scan --stats -l %s %s 2>&1 >/dev/null "
             "| grep 'compile seconds'; \"$YAMISCAN\" scan --stats -l %s %s 2>&1 >/dev/null "
             "| grep 'compile seconds'; ls %s/sub | wc -l",
             dir, lex, posts_file(), lex, posts_file(), dir);
    run_result r = run_sh(cmd);
    /* compiled the first time (a number), loaded the second, one file */
    const char *first = strstr(r.out, "  compile seconds     ");
    cr_assert(first && first[22] >= '0' && first[22] <= '9', "%s", r.out);
    cr_assert(strstr(r.out, "  compile seconds     (loaded from --db or the cache)\n1\n"), "%s",
              r.out);
    run_free(&r);
    /* its name holds the compile rules' id: a build whose folding or
     * spelling generators differ does not load it */
    snprintf(cmd, sizeof cmd, "ls %s/sub", dir);
    r = run_sh(cmd);
    char rules[64];
    snprintf(rules, sizeof rules, "-r%s-", ys_rules_id());
    cr_assert(strlen(ys_rules_id()) > 0 && strstr(r.out, rules), "%s lacks %s", r.out, rules);
    run_free(&r);
    /* A damaged cache file is compiled over; results do not change. */
    snprintf(cmd, sizeof cmd,
             "export YAMISCAN_CACHE_DIR=%s/sub; for f in %s/sub/*; do echo junk > $f; done; "
             "\"$YAMISCAN\" scan -c -l %s %s; \"$YAMISCAN\" scan -c -l %s %s; "
             "\"$YAMISCAN\" scan -c -e 闇バイト %s; ls %s/sub | wc -l; "
             "YAMISCAN_CACHE_DIR=/proc/nope \"$YAMISCAN\" scan -c -l %s %s",
             dir, dir, lex, posts_file(), lex, posts_file(), posts_file(), dir, lex, posts_file());
    r = run_sh(cmd);
    cr_assert_str_eq(r.out, "2\n2\n2\n2\n2\n", "another lexicon, another file; an unwritable "
                                                  "cache is no cache");
    cr_assert_str_eq(r.err, "");
    run_free(&r);
}

Test(cli, no_fold_scans_the_text_as_it_is)
{
    const char *p = tmp_path("spaced.txt");
    write_file(p, "受 け 子募集\n受け子募集\n", strlen("受 け 子募集\n受け子募集\n"));
    run_result r = sh("\"$YAMISCAN\" scan -c --input-format lines -e 受け子 %s", p);
    cr_assert_str_eq(r.out, "2\n");
    run_free(&r);
    r = sh("\"$YAMISCAN\" scan -c --no-fold --input-format lines -e 受け子 %s", p);
    cr_assert_str_eq(r.out, "1\n");
    run_free(&r);
}
