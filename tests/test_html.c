/* HTML posts (engine/src/html.c, ys_scanner_set_html): the decoder's text
 * and offset map, what it leaves as text, the scanner's hits inside markup
 * with offsets into the text as it came, and `scan --html` on a
 * Mastodon-shaped status written in character references. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "yamiscan.h"

#include "../engine/src/internal.h"

typedef struct {
    char text[512];
    uint32_t from[512], to[512];
    size_t n;
} decoded;

static decoded decode(const char *in)
{
    decoded d;
    size_t len = strlen(in);
    cr_assert_lt(len, sizeof d.text);
    d.n = ys_html_decode(in, len, d.text, d.from, d.to);
    cr_assert_leq(d.n, len, "decoding never grows the text");
    d.text[d.n] = 0;
    /* the map without it gives the same text */
    char again[512];
    cr_assert_eq(ys_html_decode(in, len, again, NULL, NULL), d.n);
    cr_assert_eq(memcmp(again, d.text, d.n), 0);
    return d;
}

/* The input span of the output bytes [a, b): from[a] to to[b - 1]. */
static void span_is(const decoded *d, size_t a, size_t b, uint32_t from, uint32_t to)
{
    cr_assert_eq(d->from[a], from, "byte %zu starts at %u, not %u", a, d->from[a], from);
    cr_assert_eq(d->to[b - 1], to, "byte %zu ends at %u, not %u", b - 1, d->to[b - 1], to);
}

Test(html, tags_go_and_block_tags_break_the_line)
{
    /* <p>受<span>け</span>子</p>: 受 at 3, け at 12, 子 at 22 */
    decoded d = decode("<p>受<span>け</span>子</p><br/>x");
    cr_assert_str_eq(d.text, "\n受け子\n\nx");
    span_is(&d, 0, 1, 0, 3);    /* <p> */
    span_is(&d, 1, 4, 3, 6);    /* 受 */
    span_is(&d, 4, 7, 12, 15);   /* け, after <span> */
    span_is(&d, 7, 10, 22, 25);  /* 子, after </span> */
    span_is(&d, 10, 11, 25, 29); /* </p> */
    span_is(&d, 11, 12, 29, 34); /* <br/> */
    decoded b = decode("<DIV class=\"a>b\">求人</Div><a href='x>y'>リンク</a>");
    cr_assert_str_eq(b.text, "\n求人\nリンク", "a quoted '>' does not end a tag");
    decoded c = decode("前<!-- a <b> comment -->後");
    cr_assert_str_eq(c.text, "前後");
    /* comments do not nest; one that never closes is text, and so is every
     * later one (none of them can close) */
    cr_assert_str_eq(decode("a<!-- b <!-- c -->d").text, "ad");
    cr_assert_str_eq(decode("<!--x<!--y<!--").text, "<!--x<!--y<!--");
    cr_assert_str_eq(decode("<!--<!--<p>z").text, "<!--<!--\nz");
}

Test(html, references_decode_and_map_to_their_whole_span)
{
    decoded d = decode("&#21463;け&#x5B50;");
    cr_assert_str_eq(d.text, "受け子");
    span_is(&d, 0, 3, 0, 8);
    span_is(&d, 3, 6, 8, 11);
    span_is(&d, 6, 9, 11, 19);
    decoded n = decode("&amp;&lt;&gt;&quot;&apos;&nbsp;&hellip;&X30C6;");
    cr_assert_str_eq(n.text, "&<>\"'\xc2\xa0\xe2\x80\xa6&X30C6;", "%s", n.text);
    /* what no character is reads as U+FFFD */
    cr_assert_str_eq(decode("&#0;&#xD800;&#x110000;").text, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

Test(html, what_is_no_markup_stays_text)
{
    const char *as_is[] = {"a < b", "1<2", "<3 大好き", "終わり<", "<span 閉じない", "&", "&;",
                           "&#;", "&#21463", "&unknown;", "& amp;", "<>", "</ >", "<!-- 閉じない"};
    for (size_t i = 0; i < sizeof as_is / sizeof *as_is; i++) {
        decoded d = decode(as_is[i]);
        cr_assert_str_eq(d.text, as_is[i]);
        for (size_t k = 0; k < d.n; k++)
            cr_assert(d.from[k] == k && d.to[k] == k + 1);
    }
    cr_assert_not(ys_html_needed("プレーンな文", strlen("プレーンな文")));
    cr_assert(ys_html_needed("a&b", 3) && ys_html_needed("a<b", 3));
}

/* ---- the scanner ---- */

static ys_db *compile_terms(const char *const *terms, size_t n)
{
    ys_lexicon *lex = ys_lexicon_new();
    ys_error err;
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(ys_lexicon_add_term(lex, terms[i], &err), YS_OK, "%s", err.message);
    ys_db *db;
    cr_assert_eq(ys_db_compile(lex, &db, &err), YS_OK, "%s", err.message);
    ys_lexicon_free(lex);
    return db;
}

/* The hits of one post scanned with HTML on or off: "start-end" each. */
static void hits_of(ys_db *db, int html, const char *post, char *out, size_t cap)
{
    ys_scanner *sc;
    ys_error err;
    cr_assert_eq(ys_scanner_new(db, &sc, &err), YS_OK);
    ys_scanner_set_html(sc, html);
    ys_batch *b = ys_batch_new(4096);
    /* a plain post first, so that the HTML post is not at offset 0 */
    cr_assert_eq(ys_batch_add(b, "前の投稿", strlen("前の投稿"), NULL, 0, 1), YS_OK);
    cr_assert_eq(ys_batch_add(b, post, strlen(post), NULL, 0, 2), YS_OK);
    const ys_hit *h;
    size_t n;
    cr_assert_eq(ys_scan_batch(sc, b, &h, &n, &err), YS_OK, "%s", err.message);
    out[0] = 0;
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(h[i].post, 1);
        snprintf(out + strlen(out), cap - strlen(out), "%s%u-%u", i ? " " : "", h[i].start,
                 h[i].end);
    }
    ys_batch_free(b);
    ys_scanner_free(sc);
}

Test(html, hits_in_markup_point_into_the_text_as_it_came)
{
    need_hyperscan();
    const char *terms[] = {"受け子", "テレグラム"};
    ys_db *db = compile_terms(terms, 2);
    char got[256];
    const char *tagged = "<p>受<span>け</span>子です</p>";
    hits_of(db, 0, tagged, got, sizeof got);
    cr_assert_str_eq(got, "", "without HTML the tags split the term");
    hits_of(db, 1, tagged, got, sizeof got);
    cr_assert_str_eq(got, "3-25", "from 受 to the end of 子: %s", got);
    hits_of(db, 1, "&#21463;け&#x5B50; &#x30c6;&#x30ec;&#x30b0;&#x30e9;&#x30e0;", got, sizeof got);
    cr_assert_str_eq(got, "0-19 20-60", "%s", got);
    /* a line break from <br>, between Japanese characters, is folded away
     * as \n is; and folding after decoding (half-width ﾃﾚ inside <b>), its
     * map composed with the decoder's */
    hits_of(db, 1, "受け<br>子", got, sizeof got);
    cr_assert_str_eq(got, "0-13", "%s", got);
    hits_of(db, 1, "<b>ﾃﾚ</b>グラム", got, sizeof got);
    cr_assert_str_eq(got, "3-22", "%s", got);
    /* markup with nothing to decode, and a post with no markup */
    hits_of(db, 1, "1<2 受け子", got, sizeof got);
    cr_assert_str_eq(got, "4-13", "%s", got);
    ys_db_free(db);
}

/* ---- the command line ---- */

Test(html, scan_html_reads_a_status_written_in_references)
{
    need_hyperscan();
    /* 受け子募集、日給5万、詳細はテレグラムで, every character a reference
     * but the digit */
    const char *text = "受け子募集、日給5万、詳細はテレグラムで";
    char status[4096] = "{\"id\":\"1\",\"content\":\"<p>";
    for (const unsigned char *s = (const unsigned char *)text; *s;) {
        unsigned c = *s, k = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        uint32_t cp = k == 1 ? c : c & (0x7F >> k);
        for (unsigned j = 1; j < k; j++)
            cp = cp << 6 | (s[j] & 0x3F);
        s += k;
        snprintf(status + strlen(status), sizeof status - strlen(status), k == 1 ? "%c" : "&#%u;",
                 k == 1 ? c : cp);
    }
    strcat(status, "</p>\"}\n");
    const char *path = tmp_path("status.jsonl");
    write_file(path, status, strlen(status));
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "\"$YAMISCAN\" scan -c --field content %s", path);
    run_result plain = run_sh(cmd);
    snprintf(cmd, sizeof cmd, "\"$YAMISCAN\" scan --html --field content %s", path);
    run_result html = run_sh(cmd);
    cr_assert_eq(plain.status, 1, "as text, nothing flagged: %s%s", plain.out, plain.err);
    cr_assert_eq(html.status, 0, "%s", html.err);
    cr_assert(strstr(html.out, "\"text\":\"&#21463;&#12369;&#23376;\",\"start\":3,\"end\":27"),
              "受け子, written as references, at their bytes: %s", html.out);
    run_free(&plain);
    run_free(&html);
}
