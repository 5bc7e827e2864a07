/* HTML in a post's text (Mastodon and ActivityPub statuses carry HTML in
 * `content`): tags removed, block-level ones becoming a line break,
 * character references decoded, with the offset of every output byte in
 * the input, so that hits found in the decoded text point into the field as
 * it came (scan.c composes this map with folding's).
 *
 * Written here rather than taken from an HTML library (libxml2's HTML
 * parser, gumbo): they build a document tree and give no byte offsets, and
 * a post needs neither a tree nor scripts, only its words. Named references
 * are the few that posts use; any other stays as it is written. */
#include "internal.h"

#include <string.h>

/* Tags whose element starts or ends a block: a line break in the text, so
 * that words on both sides are not joined (受け<br>子 is split as 受け\n子
 * would be, which folding reads as a gap between Japanese characters). */
static const char *const block_tags[] = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
    "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
};

static const struct {
    const char *name;
    uint32_t cp;
} named_refs[] = {
    {"amp", '&'},     {"apos", '\''},    {"copy", 0xA9},   {"gt", '>'},      {"hellip", 0x2026},
    {"laquo", 0xAB},  {"lt", '<'},       {"mdash", 0x2014}, {"middot", 0xB7}, {"nbsp", 0xA0},
    {"ndash", 0x2013}, {"quot", '"'},    {"raquo", 0xBB},  {"reg", 0xAE},    {"shy", 0xAD},
    {"times", 0xD7},  {"yen", 0xA5},     {"zwj", 0x200D},  {"zwnj", 0x200C},
};

static int is_alpha(unsigned c) { return (c | 0x20) - 'a' < 26; }
static int is_alnum(unsigned c) { return is_alpha(c) || c - '0' < 10; }

int ys_html_needed(const char *text, size_t len)
{
    return memchr(text, '<', len) || memchr(text, '&', len);
}

/* The end of the tag or comment that starts with the '<' at s[i], or 0 when
 * it is none (then the '<' is text). *block: a block-level element.
 * *no_close: where a search for a comment's end found none, so that no
 * later comment looks again (a post of "<!--" repeated stays linear). */
static size_t tag_end(const unsigned char *s, size_t len, size_t i, int *block,
                      size_t *no_close)
{
    *block = 0;
    size_t j = i + 1;
    if (j + 2 < len && s[j] == '!' && s[j + 1] == '-' && s[j + 2] == '-') {
        for (j += 3; j + 2 < len && j < *no_close; j++)
            if (s[j] == '-' && s[j + 1] == '-' && s[j + 2] == '>')
                return j + 3;
        if (*no_close > i + 4)
            *no_close = i + 4;
        return 0;
    }
    if (j < len && (s[j] == '/' || s[j] == '!'))
        j++;
    if (j >= len || !is_alpha(s[j]))
        return 0;
    size_t name = j;
    while (j < len && (is_alnum(s[j]) || s[j] == '-'))
        j++;
    size_t nl = j - name;
    for (size_t k = 0; k < sizeof block_tags / sizeof *block_tags; k++)
        if (strlen(block_tags[k]) == nl) {
            size_t c = 0;
            while (c < nl && (s[name + c] | 0x20) == (unsigned char)block_tags[k][c])
                c++;
            if (c == nl) {
                *block = 1;
                break;
            }
        }
    /* attributes: a quoted value may hold '>' */
    for (unsigned char quote = 0; j < len; j++) {
        if (quote) {
            if (s[j] == quote)
                quote = 0;
        } else if (s[j] == '"' || s[j] == '\'') {
            quote = s[j];
        } else if (s[j] == '>') {
            return j + 1;
        } else if (s[j] == '<') {
            return 0; /* a '<' before any '>': this was text */
        }
    }
    return 0;
}

/* The character reference at s[i] ('&'): its code point in *cp and its end,
 * or 0 when it is none. */
static size_t reference_end(const unsigned char *s, size_t len, size_t i, uint32_t *cp)
{
    size_t j = i + 1;
    if (j < len && s[j] == '#') {
        int hex = j + 1 < len && (s[j + 1] | 0x20) == 'x';
        j += 1 + hex;
        uint32_t v = 0;
        size_t digits = 0;
        for (; j < len && digits < 8; j++, digits++) {
            unsigned c = s[j], d = c - '0' < 10 ? c - '0' : hex && (c | 0x20) - 'a' < 6 ? (c | 0x20) - 'a' + 10 : 99;
            if (d == 99)
                break;
            v = v * (hex ? 16 : 10) + d;
        }
        if (!digits || j >= len || s[j] != ';')
            return 0;
        /* what is no character (NUL, a surrogate, past U+10FFFF) reads as
         * U+FFFD, as an HTML parser reads it */
        *cp = v == 0 || (v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF ? 0xFFFD : v;
        return j + 1;
    }
    size_t name = j;
    while (j < len && j - name < 8 && is_alnum(s[j]))
        j++;
    if (j >= len || s[j] != ';' || j == name)
        return 0;
    for (size_t k = 0; k < sizeof named_refs / sizeof *named_refs; k++)
        if (strlen(named_refs[k].name) == j - name &&
            !memcmp(named_refs[k].name, s + name, j - name)) {
            *cp = named_refs[k].cp;
            return j + 1;
        }
    return 0;
}

size_t ys_html_decode(const char *text, size_t len, char *out, uint32_t *from, uint32_t *to)
{
    const unsigned char *s = (const unsigned char *)text;
    unsigned char *o = (unsigned char *)out;
    size_t n = 0, no_close = (size_t)-1;
    for (size_t i = 0; i < len;) {
        size_t end = 0;
        if (s[i] == '<') {
            int block;
            if ((end = tag_end(s, len, i, &block, &no_close)) != 0 && block) {
                if (from)
                    from[n] = (uint32_t)i, to[n] = (uint32_t)end;
                o[n++] = '\n';
            }
        } else if (s[i] == '&') {
            uint32_t cp;
            if ((end = reference_end(s, len, i, &cp)) != 0) {
                unsigned char u[4];
                size_t k = ys_utf8_encode(cp, u);
                for (size_t b = 0; b < k; b++) {
                    if (from)
                        from[n] = (uint32_t)i, to[n] = (uint32_t)end;
                    o[n++] = u[b];
                }
            }
        }
        if (end) {
            i = end;
            continue;
        }
        if (from)
            from[n] = (uint32_t)i, to[n] = (uint32_t)(i + 1);
        o[n++] = s[i++];
    }
    return n;
}
