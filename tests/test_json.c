/* JSONL extraction: escapes, surrogate pairs, nested fields, missing fields,
 * malformed lines, CRLF and blank lines through the framer. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "yamiscan.h"

static char text[4096];
static size_t tlen, idlen;
static const char *id;
static ys_error err;

static int extract(const char *line, const char *const *fields, size_t nf, const char *idf)
{
    memset(&err, 0, sizeof err);
    return ys_json_extract(line, strlen(line), fields, nf, idf, text, sizeof text, &tlen, &id,
                           &idlen, &err);
}

static void expect_text(const char *want)
{
    cr_assert_eq(tlen, strlen(want), "got '%.*s'", (int)tlen, text);
    cr_assert(memcmp(text, want, tlen) == 0, "got '%.*s'", (int)tlen, text);
}

Test(json, plain_text_and_id)
{
    cr_assert_eq(extract("{\"id\":42,\"text\":\"闇バイト募集\"}", NULL, 0, NULL), YS_OK);
    expect_text("闇バイト募集");
    cr_assert_eq(idlen, 2);
    cr_assert(memcmp(id, "42", 2) == 0);
}

Test(json, string_id_is_raw_token)
{
    cr_assert_eq(extract("{\"text\":\"a\",\"id\":\"x\\\"y\"}", NULL, 0, NULL), YS_OK);
    cr_assert_eq(idlen, 6);
    cr_assert(memcmp(id, "\"x\\\"y\"", 6) == 0);
}

Test(json, escapes)
{
    cr_assert_eq(extract("{\"text\":\"a\\\"b\\\\c\\/d\\n\\t\\r\\b\\f\"}", NULL, 0, NULL), YS_OK);
    expect_text("a\"b\\c/d\n\t\r\b\f");
}

Test(json, unicode_escapes_and_surrogate_pairs)
{
    cr_assert_eq(extract("{\"text\":\"\\u95c7\\u30D0\\u30a4\\u30c8 \\ud83c\\udf19 \\u00e9\"}",
                         NULL, 0, NULL),
                 YS_OK);
    expect_text("闇バイト 🌙 é");
}

Test(json, lone_surrogates_become_replacement_character)
{
    cr_assert_eq(extract("{\"text\":\"a\\ud83cb\\udf19c\\ud83c\"}", NULL, 0, NULL), YS_OK);
    expect_text("a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD");
}

Test(json, nested_fields_and_several_fields_in_given_order)
{
    const char *f[] = {"post.body", "title"};
    cr_assert_eq(extract("{\"title\":\"T\",\"post\":{\"lang\":\"ja\",\"body\":\"B\"},"
                         "\"meta\":{\"id\":7}}",
                         f, 2, "meta.id"),
                 YS_OK);
    expect_text("B\nT");
    cr_assert_eq(idlen, 1);
    cr_assert_eq(id[0], '7');
}

Test(json, escaped_keys_match)
{
    cr_assert_eq(extract("{\"t\\u0065xt\":\"ok\"}", NULL, 0, NULL), YS_OK);
    expect_text("ok");
}

Test(json, paths_do_not_match_inside_arrays_or_wrong_depth)
{
    cr_assert_eq(extract("{\"a\":[{\"text\":\"no\"}],\"b\":{\"text\":\"no\"}}", NULL, 0, NULL),
                 YS_EINVAL);
    cr_assert_str_eq(err.message, "no text field");
}

/* A component written key[] goes into each element of the array at key:
 * every string found is text, in document order, one per line; an element
 * or a value of another kind is skipped; the id is the first found. */
Test(json, key_brackets_go_into_each_element_of_an_array)
{
    const char *line = "{\"record\":{\"facets\":[{\"features\":[{\"uri\":\"https://t.me/a\"},"
                       "{\"tag\":\"x\"}]},{\"features\":[{\"uri\":7},{\"uri\":\"t.me/\\u0062\"}]},"
                       "\"no object\",{\"features\":{\"uri\":\"not in an array\"}}],"
                       "\"tags\":[\"闇バイト\",1,[\"nested\"],\"即金\"],\"text\":\"本文\",\"one\":\"s\"},"
                       "\"ids\":[\"first\",\"second\"]}";
    static const char *const uris[] = {"record.facets[].features[].uri"};
    cr_assert_eq(extract(line, uris, 1, NULL), YS_OK, "%s", err.message);
    expect_text("https://t.me/a\nt.me/b");
    static const char *const mixed[] = {"record.text", "record.tags[]"};
    cr_assert_eq(extract(line, mixed, 2, "ids[]"), YS_OK, "%s", err.message);
    expect_text("本文\n闇バイト\n即金");
    cr_assert_eq(idlen, 7);
    cr_assert(memcmp(id, "\"first\"", 7) == 0);
    /* key[] where key is not an array finds nothing */
    static const char *const not_array[] = {"record.one[]"};
    cr_assert_eq(extract(line, not_array, 1, NULL), YS_EINVAL);
    cr_assert_str_eq(err.message, "no text field");
    /* a line that ends where key[]'s value should start (found by the
     * json fuzzer: the value's first byte was read past the line) */
    static const char *const t[] = {"t[]"};
    char *cut = malloc(13); /* exactly the line: ASan sees a read past it */
    memcpy(cut, "{\"id\":0,\"t\":\t", 13);
    cr_assert_eq(ys_json_extract(cut, 13, t, 1, NULL, text, sizeof text, &tlen, &id, &idlen, &err),
                 YS_EFORMAT);
    free(cut);
    /* [] only at a component's end, once */
    static const char *const bad[][1] = {{"a[b]"}, {"a[][]"}, {"[]"}, {"a.[]"}, {"a]"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(extract(line, bad[i], 1, NULL), YS_EINVAL, "%s", bad[i][0]);
}

/* Values through arrays are kept up to 256 a post; more is an error that
 * says so, not a text cut short. */
Test(json, too_many_values_through_arrays_is_an_error)
{
    static char line[8192];
    size_t n = (size_t)snprintf(line, sizeof line, "{\"t\":[");
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(line + n, sizeof line - n, "%s\"a\"", i ? "," : "");
    snprintf(line + n, sizeof line - n, "]}");
    static const char *const t[] = {"t[]"};
    cr_assert_eq(extract(line, t, 1, NULL), YS_EFORMAT);
    cr_assert(strstr(err.message, "more values through arrays"), "%s", err.message);
    line[strlen("{\"t\":[") + 255 * 4 + 3] = ']'; /* 256 values */
    line[strlen("{\"t\":[") + 255 * 4 + 4] = '}';
    line[strlen("{\"t\":[") + 255 * 4 + 5] = 0;
    cr_assert_eq(extract(line, t, 1, NULL), YS_OK, "%s", err.message);
    cr_assert_eq(tlen, 256 * 2 - 1);
}

Test(json, missing_or_non_string_text_field)
{
    cr_assert_eq(extract("{\"id\":1}", NULL, 0, NULL), YS_EINVAL);
    cr_assert_eq(extract("{\"id\":1,\"text\":null}", NULL, 0, NULL), YS_EINVAL);
    cr_assert_eq(extract("{\"id\":1,\"text\":5}", NULL, 0, NULL), YS_EINVAL);
    cr_assert_eq(idlen, 1, "the id is still found");
}

Test(json, first_of_duplicate_keys_wins)
{
    cr_assert_eq(extract("{\"text\":\"first\",\"text\":\"second\"}", NULL, 0, NULL), YS_OK);
    expect_text("first");
}

static void expect_malformed(const char *line, const char *message)
{
    cr_assert_eq(extract(line, NULL, 0, NULL), YS_EFORMAT, "accepted %s", line);
    cr_assert_str_eq(err.message, message);
}

Test(json, malformed_lines_name_the_column)
{
    expect_malformed("[1]", "malformed JSON at column 1: expected '{' (a JSONL line is one object)");
    expect_malformed("{\"text\":\"a\"", "malformed JSON at column 12: expected ',' or '}'");
    expect_malformed("{\"text\" \"a\"}", "malformed JSON at column 9: expected ':'");
    expect_malformed("{\"text\":\"闇\\x\"}", "malformed JSON at column 11: bad escape in string");
    expect_malformed("{\"text\":\"\\u12g4\"}",
                     "malformed JSON at column 10: bad \\u escape (expected 4 hex digits)");
    expect_malformed("{\"text\":\"a\tb\"}",
                     "malformed JSON at column 11: control character in string (must be escaped)");
    expect_malformed("{\"text\":\"abc", "malformed JSON at column 13: unterminated string");
    expect_malformed("{\"a\":tru}", "malformed JSON at column 6: expected a value");
    expect_malformed("{\"a\":1.}", "malformed JSON at column 8: expected a digit");
    expect_malformed("{\"a\":1} x", "malformed JSON at column 9: unexpected data after the object");
    expect_malformed("{a:1}", "malformed JSON at column 2: expected a string key");
}

Test(json, deep_nesting_is_malformed_not_a_crash)
{
    static char line[100000];
    size_t n = 0;
    n += (size_t)sprintf(line, "{\"a\":");
    for (int i = 0; i < 40000; i++)
        line[n++] = '[';
    line[n] = 0;
    cr_assert_eq(extract(line, NULL, 0, NULL), YS_EFORMAT);
    cr_assert(strstr(err.message, "nested too deeply"), "%s", err.message);
}

Test(json, numbers_and_literals_are_validated)
{
    cr_assert_eq(extract("{\"n\":-0.5e+10,\"t\":true,\"f\":false,\"z\":null,\"o\":{},\"a\":[],"
                         "\"text\":\"x\"}",
                         NULL, 0, NULL),
                 YS_OK);
    expect_text("x");
}

/* ---- through the framer ---- */

typedef struct {
    char texts[64][256];
    char ids[64][64]; /* the id token, or null */
    uint64_t lines[64];
    int n;
} collected;

static int collect(void *ctx, ys_batch *b)
{
    collected *c = ctx;
    for (size_t i = 0; i < ys_batch_count(b); i++) {
        ys_post p;
        ys_batch_post(b, i, &p);
        snprintf(c->texts[c->n], sizeof c->texts[0], "%.*s", (int)p.len, p.text);
        snprintf(c->ids[c->n], sizeof c->ids[0], "%.*s", p.id ? (int)p.id_len : 4,
                 p.id ? p.id : "null");
        c->lines[c->n++] = p.line;
    }
    return 0;
}

static char warnings[4096];
static void on_warn(void *ctx, int kind, const char *msg)
{
    (void)ctx;
    (void)kind;
    strcat(warnings, msg);
    strcat(warnings, "\n");
}

Test(json_framer, crlf_blank_lines_malformed_and_missing_final_newline)
{
    const char *in = "{\"text\":\"one\"}\r\n\r\n   \n{bad json}\n{\"id\":1}\n{\"text\":\"two\"}";
    collected c = {0};
    warnings[0] = 0;
    ys_frame_options o = {.format = YS_INPUT_AUTO, .on_warning = on_warn};
    ys_framer *fr;
    cr_assert_eq(ys_framer_new(&o, "f.jsonl", 1 << 16, collect, &c, &fr, &err), YS_OK);
    /* feed byte by byte: framing must not depend on how input is split */
    for (size_t i = 0; in[i]; i++)
        cr_assert_eq(ys_framer_feed(fr, in + i, 1, &err), YS_OK);
    cr_assert_eq(ys_framer_finish(fr, &err), YS_OK);
    cr_assert_eq(ys_framer_format(fr), YS_INPUT_JSONL);
    cr_assert_eq(c.n, 2);
    cr_assert_str_eq(c.texts[0], "one");
    cr_assert_str_eq(c.texts[1], "two");
    cr_assert_eq(c.lines[0], 1);
    cr_assert_eq(c.lines[1], 6);
    cr_assert_eq(ys_framer_lines(fr), 6);
    cr_assert_eq(ys_framer_blank_lines(fr), 2);
    cr_assert_eq(ys_framer_problems(fr, YS_PROBLEM_BAD_JSON), 1);
    cr_assert_eq(ys_framer_problems(fr, YS_PROBLEM_NO_TEXT), 1);
    cr_assert_str_eq(warnings,
                     "f.jsonl:4: malformed JSON at column 2: expected a string key\n"
                     "f.jsonl:5: no text field 'text' (a string) in this object (its keys: id)\n");
    ys_framer_free(fr);
}

Test(json_framer, strict_mode_stops_at_the_first_malformed_line)
{
    const char *in = "{\"text\":\"one\"}\n{oops}\n{\"text\":\"two\"}\n";
    collected c = {0};
    ys_frame_options o = {.format = YS_INPUT_JSONL, .strict = 1};
    ys_framer *fr;
    cr_assert_eq(ys_framer_new(&o, "s.jsonl", 1 << 16, collect, &c, &fr, &err), YS_OK);
    cr_assert_eq(ys_framer_feed(fr, in, strlen(in), &err), YS_EFORMAT);
    cr_assert_str_eq(err.message, "s.jsonl:2: malformed JSON at column 2: expected a string key");
    ys_framer_free(fr);
}

/* A malformed last line without its newline (found by fuzz_framer): the
 * posts before it are still handed on, and counted as handed. */
Test(json_framer, strict_bad_last_line_keeps_the_posts_before_it)
{
    const char *in = "{\"text\":\"one\"}\n\n{\"";
    collected c = {0};
    ys_frame_options o = {.format = YS_INPUT_JSONL, .strict = 1};
    ys_framer *fr;
    cr_assert_eq(ys_framer_new(&o, "s.jsonl", 1 << 16, collect, &c, &fr, &err), YS_OK);
    cr_assert_eq(ys_framer_feed(fr, in, strlen(in), &err), YS_OK);
    cr_assert_eq(ys_framer_finish(fr, &err), YS_EFORMAT);
    cr_assert_str_eq(err.message, "s.jsonl:3: malformed JSON at column 3: unterminated string");
    cr_assert_eq(c.n, 1, "the post before the bad line");
    cr_assert_eq(ys_framer_posts(fr), 1);
    ys_framer_free(fr);
}

Test(json_framer, overlong_lines_are_truncated_or_skipped_and_counted)
{
    char in[200];
    memset(in, 'x', sizeof in);
    memcpy(in + 100, "\nshort\n", 7);
    in[199] = '\n';
    collected c = {0};
    ys_frame_options o = {.format = YS_INPUT_LINES, .max_post = 50};
    ys_framer *fr;
    cr_assert_eq(ys_framer_new(&o, "l.txt", 1 << 16, collect, &c, &fr, &err), YS_OK);
    cr_assert_eq(ys_framer_feed(fr, in, 60, &err), YS_OK);
    cr_assert_eq(ys_framer_feed(fr, in + 60, sizeof in - 60, &err), YS_OK);
    cr_assert_eq(ys_framer_finish(fr, &err), YS_OK);
    cr_assert_eq(c.n, 3);
    cr_assert_eq(strlen(c.texts[0]), 50);
    cr_assert_str_eq(c.texts[1], "short");
    cr_assert_eq(strlen(c.texts[2]), 50);
    cr_assert_eq(c.lines[2], 3);
    cr_assert_eq(ys_framer_problems(fr, YS_PROBLEM_TOO_LONG), 2);
    cr_assert_eq(ys_framer_lines(fr), 3);
    ys_framer_free(fr);
}

/* Frames all of `in` with o into c in one feed; returns the framer, which
 * the caller frees. */
static ys_framer *frame_all(const ys_frame_options *o, const char *in, collected *c)
{
    ys_framer *fr;
    cr_assert_eq(ys_framer_new(o, "f.jsonl", 1 << 16, collect, c, &fr, &err), YS_OK);
    cr_assert_eq(ys_framer_feed(fr, in, strlen(in), &err), YS_OK);
    cr_assert_eq(ys_framer_finish(fr, &err), YS_OK);
    return fr;
}

/* Several id paths: one string of their values joined with '/' (a string's
 * escapes kept, a number as written); null when one is missing or is not
 * a string or a number. */
Test(json_framer, several_id_fields_are_joined)
{
    const char *in = "{\"did\":\"did:plc:a\\\"q\",\"c\":{\"rkey\":\"3k1\"},\"text\":\"x\"}\n"
                     "{\"did\":\"did:plc:b\",\"c\":{\"rkey\":7},\"text\":\"x\"}\n"
                     "{\"did\":\"did:plc:c\",\"text\":\"x\"}\n"
                     "{\"did\":\"did:plc:d\",\"c\":{\"rkey\":null},\"text\":\"x\"}\n";
    static const char *const ids[] = {"did", "c.rkey"};
    collected c = {0};
    ys_frame_options o = {.format = YS_INPUT_JSONL, .id_fields = ids, .nid_fields = 2};
    ys_framer *fr = frame_all(&o, in, &c);
    ys_framer_free(fr);
    cr_assert_eq(c.n, 4);
    cr_assert_str_eq(c.ids[0], "\"did:plc:a\\\"q/3k1\"");
    cr_assert_str_eq(c.ids[1], "\"did:plc:b/7\"");
    cr_assert_str_eq(c.ids[2], "null");
    cr_assert_str_eq(c.ids[3], "null");
    static const char *const five[] = {"a", "b", "c", "d", "e"};
    o.id_fields = five;
    o.nid_fields = 5;
    cr_assert_eq(ys_framer_new(&o, "f.jsonl", 1 << 16, collect, &c, &fr, &err), YS_EINVAL);
    cr_assert_str_eq(err.message, "at most 4 id fields");
}

/* --where through an array holds when any element's value equals it. */
Test(json_framer, a_selection_through_an_array_holds_for_any_element)
{
    const char *in = "{\"id\":1,\"langs\":[\"en\",\"ja\"],\"text\":\"x\"}\n"
                     "{\"id\":2,\"langs\":[\"en\"],\"text\":\"x\"}\n"
                     "{\"id\":3,\"langs\":\"ja\",\"text\":\"x\"}\n"
                     "{\"id\":4,\"langs\":[\"ja\"],\"text\":\"x\"}\n";
    static const char *const where[] = {"langs[]=ja"};
    collected c = {0};
    ys_frame_options o = {.format = YS_INPUT_JSONL, .where = where, .nwhere = 1};
    ys_framer *fr = frame_all(&o, in, &c);
    cr_assert_eq(ys_framer_skipped(fr), 2);
    ys_framer_free(fr);
    cr_assert_eq(c.n, 2);
    cr_assert_str_eq(c.ids[0], "1");
    cr_assert_str_eq(c.ids[1], "4");
}

/* Objects written one after the other on a line are each a post of that
 * line; data after the last one that is not an object is still malformed,
 * its column counted from the line's start. */
Test(json_framer, concatenated_objects_on_a_line_are_posts)
{
    const char *in = "{\"text\":\"one\"}{\"text\":\"two\"} {\"id\":9}\t{\"text\":\"three\"}\n"
                     "{\"text\":\"four\"} x\n";
    collected c = {0};
    warnings[0] = 0;
    ys_frame_options o = {.format = YS_INPUT_AUTO, .on_warning = on_warn};
    ys_framer *fr;
    cr_assert_eq(ys_framer_new(&o, "f.jsonl", 1 << 16, collect, &c, &fr, &err), YS_OK);
    for (size_t i = 0; in[i]; i++) /* byte by byte, as a pipe may give it */
        cr_assert_eq(ys_framer_feed(fr, in + i, 1, &err), YS_OK);
    cr_assert_eq(ys_framer_finish(fr, &err), YS_OK);
    cr_assert_eq(c.n, 3);
    cr_assert_str_eq(c.texts[0], "one");
    cr_assert_str_eq(c.texts[1], "two");
    cr_assert_str_eq(c.texts[2], "three");
    cr_assert(c.lines[0] == 1 && c.lines[1] == 1 && c.lines[2] == 1);
    cr_assert_eq(ys_framer_posts(fr), 3);
    cr_assert_eq(ys_framer_problems(fr, YS_PROBLEM_NO_TEXT), 1);
    cr_assert_eq(ys_framer_problems(fr, YS_PROBLEM_BAD_JSON), 1);
    cr_assert(strstr(warnings, "f.jsonl:2: malformed JSON at column 17: unexpected data after "
                               "the object\n"), "%s", warnings);
    ys_framer_free(fr);
}
