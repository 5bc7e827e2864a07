/* A strict RFC 8259 parser for one JSONL line that validates the whole line
 * and remembers where the wanted fields' values are, then decodes those
 * strings (escapes, \uXXXX, surrogate pairs). Recursion is bounded by
 * YS_JSON_MAX_DEPTH.
 *
 * Strings are scanned with SIMD (jsonscan.c) from one special byte to the
 * next; the parser remembers where a wanted string's first escape is, so a
 * string without escapes is copied into the output with one memcpy and
 * never looked at again, and one with escapes is decoded from its first
 * escape on. Runs of \uXXXX (feeds that escape all non-ASCII text) are
 * validated and decoded with a table, without branching on each digit. */
#include "json.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Splits the dotted path f[0..flen) into p: key or key[] components. */
static int split_path(ys_json_path *p, const char *f, size_t flen, ys_error *err)
{
    const char *s = f, *end = f + flen;
    for (;;) {
        const char *dot = memchr(s, '.', (size_t)(end - s));
        size_t n = dot ? (size_t)(dot - s) : (size_t)(end - s);
        int each = n >= 2 && s[n - 2] == '[' && s[n - 1] == ']';
        n -= each ? 2 : 0;
        if (n == 0)
            return ys_fail(err, YS_EINVAL, "bad field path '%.*s': empty component", (int)flen, f);
        if (memchr(s, '[', n) || memchr(s, ']', n))
            return ys_fail(err, YS_EINVAL,
                           "bad field path '%.*s': [] only at a component's end (key[])",
                           (int)flen, f);
        if (p->ncomp == YS_JSON_MAX_COMPONENTS)
            return ys_fail(err, YS_EINVAL, "bad field path '%.*s': more than %d components",
                           (int)flen, f, YS_JSON_MAX_COMPONENTS);
        p->comp[p->ncomp] = s;
        p->clen[p->ncomp] = n;
        p->each[p->ncomp] = (unsigned char)each;
        p->arrays |= each;
        p->ncomp++;
        if (!dot)
            return YS_OK;
        s = dot + 1;
    }
}

int ys_json_spec_init(ys_json_spec *spec, const char *const *fields, size_t nfields,
                      const char *const *id_fields, size_t nid, ys_error *err)
{
    static const char *const default_fields[] = {"text"}, *const default_id[] = {"id"};
    if (!fields || nfields == 0) {
        fields = default_fields;
        nfields = 1;
    }
    if (!id_fields || nid == 0) {
        id_fields = default_id;
        nid = 1;
    }
    if (nfields > YS_JSON_MAX_FIELDS)
        return ys_fail(err, YS_EINVAL, "at most %d text fields", YS_JSON_MAX_FIELDS);
    if (nid > YS_JSON_MAX_IDS)
        return ys_fail(err, YS_EINVAL, "at most %d id fields", YS_JSON_MAX_IDS);
    memset(spec, 0, sizeof *spec);
    spec->nfields = (int)nfields;
    spec->nid = (int)nid;
    spec->special = ys_json_special_best();
    for (size_t i = 0; i < nfields + nid; i++) {
        const char *f = i < nfields ? fields[i] : id_fields[i - nfields];
        int rc = split_path(&spec->path[i], f, strlen(f), err);
        if (rc != YS_OK)
            return rc;
    }
    return YS_OK;
}

int ys_json_spec_where(ys_json_spec *spec, const char *const *where, size_t nwhere,
                       ys_error *err)
{
    if (nwhere > YS_JSON_MAX_WHERE)
        return ys_fail(err, YS_EINVAL, "at most %d selections", YS_JSON_MAX_WHERE);
    for (size_t k = 0; k < nwhere; k++) {
        const char *eq = strchr(where[k], '=');
        if (!eq || eq == where[k])
            return ys_fail(err, YS_EINVAL, "bad selection '%s': PATH=VALUE", where[k]);
        ys_json_path *p = &spec->path[spec->nfields + spec->nid + k];
        memset(p, 0, sizeof *p);
        int rc = split_path(p, where[k], (size_t)(eq - where[k]), err);
        if (rc != YS_OK)
            return rc;
        spec->where_value[k] = eq + 1;
        spec->where_len[k] = strlen(eq + 1);
    }
    spec->nwhere = (int)nwhere;
    return YS_OK;
}

typedef struct {
    const char *start, *p, *end;
    const ys_json_spec *spec;
#define PATHS (YS_JSON_MAX_FIELDS + YS_JSON_MAX_IDS + YS_JSON_MAX_WHERE)
    const char *found[PATHS]; /* value token starts */
    const char *found_end[PATHS];
    const char *found_esc[PATHS]; /* first backslash, or NULL */
    const char *esc;  /* the first backslash of the last string parsed, or NULL */
    const char *why;  /* what was expected where parsing stopped */
    /* The values of paths through arrays, in document order (last: left
     * unset until used, so that a post does not pay for clearing it). */
    int nmany;
    struct {
        const char *v, *end, *esc;
        int path;
    } many[YS_JSON_MAX_VALUES];
} parser;

/* A parser for line[from, len) with nothing found yet. */
static void parser_init(parser *ps, const ys_json_spec *spec, const char *line, size_t from,
                        size_t len)
{
    memset(ps, 0, offsetof(parser, many));
    ps->start = line;
    ps->p = line + from;
    ps->end = line + len;
    ps->spec = spec;
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int fail(parser *ps, const char *why)
{
    ps->why = why;
    return -1;
}

/* A hex digit's value, or 0x100 (any digit OR-ed with it shows it). */
#define X 0x100
static const uint16_t hexdigit[256] = {
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, X, X, X, X, X, X,
    X, 10, 11, 12, 13, 14, 15, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, 10, 11, 12, 13, 14, 15, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
};
#undef X

/* The value of 4 hex digits at s, or -1. */
static inline int hex4(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned a = hexdigit[u[0]], b = hexdigit[u[1]], c = hexdigit[u[2]], d = hexdigit[u[3]];
    if ((a | b | c | d) & 0x100)
        return -1;
    return (int)(a << 12 | b << 8 | c << 4 | d);
}

/* Validates a string starting at the opening quote; sets ps->esc to its
 * first backslash (NULL: no escapes). */
static int parse_string(parser *ps)
{
    const char *p = ps->p + 1, *end = ps->end;
    ys_json_special_fn special = ps->spec->special;
    ps->esc = NULL;
    while (p < end) {
        p = special(p, end);
        if (p >= end)
            break;
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            ps->p = p + 1;
            return 0;
        }
        if (c < 0x20) {
            ps->p = p;
            return fail(ps, "control character in string (must be escaped)");
        }
        if (c == '\\') {
            if (!ps->esc)
                ps->esc = p;
            if (p + 1 >= end)
                break;
            char e = p[1];
            if (e == 'u') {
                if (end - p < 6 || hex4(p + 2) < 0) {
                    ps->p = p;
                    return fail(ps, "bad \\u escape (expected 4 hex digits)");
                }
                p += 6;
                /* a run of \uXXXX, as feeds that escape all non-ASCII have */
                while (end - p >= 6 && p[0] == '\\' && p[1] == 'u' && hex4(p + 2) >= 0)
                    p += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", e)) {
                ps->p = p;
                return fail(ps, "bad escape in string");
            }
            p += 2;
            continue;
        }
        p++;
    }
    ps->p = end;
    return fail(ps, "unterminated string");
}

static void put_utf8(char **o, unsigned cp)
{
    unsigned char *u = (unsigned char *)*o;
    if (cp < 0x80) {
        *u++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *u++ = (unsigned char)(0xC0 | cp >> 6);
        *u++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *u++ = (unsigned char)(0xE0 | cp >> 12);
        *u++ = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        *u++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        *u++ = (unsigned char)(0xF0 | cp >> 18);
        *u++ = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
        *u++ = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        *u++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    *o = (char *)u;
}

/* Decodes the validated string content [s, e) (between the quotes) into
 * out, from its first backslash `bs` (s <= bs < e; the bytes before it are
 * copied as they are); returns the end of the output. Output is never
 * longer than the input. */
static char *decode_from(const char *s, const char *bs, const char *e, char *out)
{
    size_t n = (size_t)(bs - s);
    memcpy(out, s, n);
    out += n;
    s = bs;
    while (s < e) {
        if (*s != '\\') {
            bs = memchr(s, '\\', (size_t)(e - s));
            n = (size_t)((bs ? bs : e) - s);
            memcpy(out, s, n);
            out += n;
            s += n;
            if (!bs)
                break;
        }
        char c = s[1];
        s += 2;
        switch (c) {
        case 'b': *out++ = '\b'; break;
        case 'f': *out++ = '\f'; break;
        case 'n': *out++ = '\n'; break;
        case 'r': *out++ = '\r'; break;
        case 't': *out++ = '\t'; break;
        case 'u': {
            unsigned cp = (unsigned)hex4(s);
            s += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && e - s >= 6 && s[0] == '\\' && s[1] == 'u') {
                int lo = hex4(s + 2);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + ((unsigned)lo - 0xDC00);
                    s += 6;
                }
            }
            if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 0xFFFD; /* a lone surrogate has no UTF-8 form */
            put_utf8(&out, cp);
            break;
        }
        default: *out++ = c; break; /* " \ / */
        }
    }
    return out;
}

/* A string token [tok, tok_end) (quotes included) with its first backslash
 * at esc (NULL: none) decoded into out; returns the end of the output. */
static char *decode_string(const char *tok, const char *tok_end, const char *esc, char *out)
{
    if (!esc) {
        size_t n = (size_t)(tok_end - tok) - 2;
        memcpy(out, tok + 1, n);
        return out + n;
    }
    return decode_from(tok + 1, esc, tok_end - 1, out);
}

static int key_equals(const char *tok, const char *tok_end, const char *esc,
                      const char *want, size_t wlen)
{
    size_t n = (size_t)(tok_end - tok) - 2;
    if (!esc)
        return n == wlen && memcmp(tok + 1, want, wlen) == 0;
    if (n > 512)
        return 0;
    char buf[512];
    size_t dn = (size_t)(decode_string(tok, tok_end, esc, buf) - buf);
    return dn == wlen && memcmp(buf, want, wlen) == 0;
}

static int parse_value(parser *ps, int depth, int comp, uint32_t alive);

static int parse_literal(parser *ps, const char *word, size_t n)
{
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return fail(ps, "expected a value");
    ps->p += n;
    return 0;
}

static int parse_number(parser *ps)
{
    const char *p = ps->p, *end = ps->end;
    if (p < end && *p == '-')
        p++;
    if (p < end && *p == '0')
        p++;
    else if (p < end && *p >= '1' && *p <= '9')
        while (p < end && *p >= '0' && *p <= '9') p++;
    else
        return fail(ps, "expected a value");
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9') {
            ps->p = p;
            return fail(ps, "expected a digit");
        }
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9') {
            ps->p = p;
            return fail(ps, "expected a digit");
        }
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    ps->p = p;
    return 0;
}

/* A value found for path i at [v, ps->p) (its first backslash: ps->esc). */
static int found_value(parser *ps, int i, const char *v)
{
    const char *esc = *v == '"' ? ps->esc : NULL;
    if (ps->spec->path[i].arrays) {
        if (ps->nmany == YS_JSON_MAX_VALUES)
            return fail(ps, "more values through arrays than "
                            "yamiscan reads in one post (256)");
        ps->many[ps->nmany].v = v;
        ps->many[ps->nmany].end = ps->p;
        ps->many[ps->nmany].esc = esc;
        ps->many[ps->nmany++].path = i;
    } else if (!ps->found[i]) { /* the first of duplicate keys wins */
        ps->found[i] = v;
        ps->found_end[i] = ps->p;
        ps->found_esc[i] = esc;
    }
    return 0;
}

static int parse_array(parser *ps, int depth, int comp, uint32_t alive);

/* The keys of an object are compared with component `comp` of the paths in
 * `alive`. */
static int parse_object(parser *ps, int depth, int comp, uint32_t alive)
{
    ps->p++; /* { */
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return 0;
    }
    for (;;) {
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != '"')
            return fail(ps, "expected a string key");
        const char *k = ps->p;
        if (parse_string(ps))
            return -1;
        const char *kend = ps->p, *esc = ps->esc;
        /* Which wanted paths continue through this key? */
        uint32_t child = 0;
        for (uint32_t m = alive; m; m &= m - 1) {
            int i = __builtin_ctz(m);
            const ys_json_path *pa = &ps->spec->path[i];
            if (key_equals(k, kend, esc, pa->comp[comp], pa->clen[comp]))
                child |= 1u << i;
        }
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != ':')
            return fail(ps, "expected ':'");
        ps->p++;
        skip_ws(ps);
        const char *v = ps->p;
        ps->esc = NULL;
        /* into an array (key[]), deeper into an object, or the value */
        uint32_t each = 0, deeper = 0;
        for (uint32_t m = child; m; m &= m - 1) {
            int i = __builtin_ctz(m);
            if (ps->spec->path[i].each[comp])
                each |= 1u << i;
            else if (ps->spec->path[i].ncomp > comp + 1)
                deeper |= 1u << i;
        }
        if (each && v < ps->end && *v == '[') {
            if (parse_array(ps, depth + 1, comp + 1, each))
                return -1;
        } else if (parse_value(ps, depth + 1, comp + 1, deeper)) {
            return -1;
        }
        for (uint32_t m = child & ~deeper & ~each; m; m &= m - 1)
            if (found_value(ps, __builtin_ctz(m), v))
                return -1;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            return 0;
        }
        return fail(ps, "expected ',' or '}'");
    }
}

/* The paths in `alive` go into each element: an element is their value
 * where they end (comp == ncomp), else an object whose keys are compared
 * with component `comp`. */
static int parse_array(parser *ps, int depth, int comp, uint32_t alive)
{
    ps->p++; /* [ */
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        return 0;
    }
    uint32_t ends = 0;
    for (uint32_t m = alive; m; m &= m - 1)
        if (ps->spec->path[__builtin_ctz(m)].ncomp == comp)
            ends |= m & -m;
    for (;;) {
        skip_ws(ps);
        const char *v = ps->p;
        ps->esc = NULL;
        if (parse_value(ps, depth + 1, comp, alive & ~ends))
            return -1;
        for (uint32_t m = ends; m; m &= m - 1)
            if (found_value(ps, __builtin_ctz(m), v))
                return -1;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            return 0;
        }
        return fail(ps, "expected ',' or ']'");
    }
}

static int parse_value(parser *ps, int depth, int comp, uint32_t alive)
{
    if (depth > YS_JSON_MAX_DEPTH)
        return fail(ps, "nested too deeply");
    if (ps->p >= ps->end)
        return fail(ps, "expected a value");
    switch (*ps->p) {
    case '{': return parse_object(ps, depth, comp, alive);
    case '[': return parse_array(ps, depth, comp, 0); /* only key[] goes into arrays */
    case '"': return parse_string(ps);
    case 't': return parse_literal(ps, "true", 4);
    case 'f': return parse_literal(ps, "false", 5);
    case 'n': return parse_literal(ps, "null", 4);
    default: return parse_number(ps);
    }
}

/* Whether a value can be an id: a string or a number (not an object, an
 * array, null, true or false). */
static int scalar_id(const char *v)
{
    return *v != '{' && *v != '[' && *v != 'n' && *v != 't' && *v != 'f';
}

/* The value found for path i (through arrays: the first), or 0. */
static int first_value(const parser *ps, int i, const char **v, const char **ve)
{
    if (!ps->spec->path[i].arrays) {
        *v = ps->found[i];
        *ve = ps->found_end[i];
        return *v != NULL;
    }
    for (int k = 0; k < ps->nmany; k++)
        if (ps->many[k].path == i) {
            *v = ps->many[k].v;
            *ve = ps->many[k].end;
            return 1;
        }
    return 0;
}

/* Several id paths: one JSON string of their values joined with '/' (a
 * string's inside is still valid string content), written at `out`; 0 if
 * one is missing or is not a string or a number, or it does not fit. */
static int join_ids(const parser *ps, const ys_json_spec *spec, char *out, size_t cap,
                    size_t *len)
{
    size_t need = 2;
    const char *v, *ve;
    for (int k = 0; k < spec->nid; k++) {
        if (!first_value(ps, spec->nfields + k, &v, &ve) || !scalar_id(v))
            return 0;
        need += (size_t)(ve - v) + 1;
    }
    if (need > cap)
        return 0;
    char *q = out;
    *q++ = '"';
    for (int k = 0; k < spec->nid; k++) {
        if (!first_value(ps, spec->nfields + k, &v, &ve)) /* found in the pass above */
            return 0;
        if (k)
            *q++ = '/';
        if (*v == '"')
            v++, ve--;
        memcpy(q, v, (size_t)(ve - v));
        q += ve - v;
    }
    *q++ = '"';
    *len = (size_t)(q - out);
    return 1;
}

/* Whether the value [v, ve) (first backslash esc) equals `want` (a string
 * decoded; any other value as written). */
static int value_equals(const char *v, const char *ve, const char *esc, const char *want,
                        size_t wlen)
{
    if (*v != '"')
        return (size_t)(ve - v) == wlen && memcmp(v, want, wlen) == 0;
    if (!esc) /* no escapes: the bytes between the quotes */
        return (size_t)(ve - v) - 2 == wlen && memcmp(v + 1, want, wlen) == 0;
    char buf[512]; /* a decoded string is never longer than its token */
    if ((size_t)(ve - v) > sizeof buf)
        return 0; /* longer than any value worth selecting on */
    char *e = decode_string(v, ve, esc, buf);
    return (size_t)(e - buf) == wlen && memcmp(buf, want, wlen) == 0;
}

/* Whether a value found for path i (through arrays: any) equals `want`. */
static int selected(const parser *ps, int i, const char *want, size_t wlen)
{
    if (!ps->spec->path[i].arrays)
        return ps->found[i] &&
               value_equals(ps->found[i], ps->found_end[i], ps->found_esc[i], want, wlen);
    for (int k = 0; k < ps->nmany; k++)
        if (ps->many[k].path == i &&
            value_equals(ps->many[k].v, ps->many[k].end, ps->many[k].esc, want, wlen))
            return 1;
    return 0;
}

/* Appends string value [v, ve) to the text at *o (a line break before it
 * after the first), within cap. */
static int put_text(char *text, size_t cap, char **o, int *any, const char *v, const char *ve,
                    const char *esc, ys_error *err)
{
    if ((size_t)(*o - text) + (size_t)(ve - v) + 1 > cap)
        return ys_fail(err, YS_EINVAL, "text buffer too small");
    if (*any)
        *(*o)++ = '\n';
    *o = decode_string(v, ve, esc, *o);
    *any = 1;
    return YS_OK;
}

int ys_json_extract_spec(const ys_json_spec *spec, const char *line, size_t len,
                         char *text, size_t cap, size_t *text_len, const char **id,
                         size_t *id_len, ys_error *err)
{
    return ys_json_extract_at(spec, line, len, 0, text, cap, text_len, id, id_len, NULL, err);
}

int ys_json_extract_at(const ys_json_spec *spec, const char *line, size_t len, size_t from,
                       char *text, size_t cap, size_t *text_len, const char **id,
                       size_t *id_len, size_t *next, ys_error *err)
{
    parser ps;
    parser_init(&ps, spec, line, from, len);
    *text_len = 0;
    *id = NULL;
    *id_len = 0;
    if (next)
        *next = 0;
    skip_ws(&ps);
    uint32_t all = (1u << (spec->nfields + spec->nid + spec->nwhere)) - 1;
    int bad = 0;
    if (ps.p >= ps.end || *ps.p != '{')
        bad = fail(&ps, "expected '{' (a JSONL line is one object)");
    else if (parse_object(&ps, 0, 0, all) == 0) {
        skip_ws(&ps);
        if (next && ps.p < ps.end && *ps.p == '{')
            *next = (size_t)(ps.p - line); /* another object on the same line */
        else if (ps.p != ps.end)
            bad = fail(&ps, "unexpected data after the object");
    } else
        bad = -1;
    if (bad)
        return ys_fail(err, YS_EFORMAT, "malformed JSON at column %zu: %s",
                       ys_utf8_chars(line, (size_t)(ps.p - line)) + 1, ps.why);

    for (int k = 0; k < spec->nwhere; k++)
        if (!selected(&ps, spec->nfields + spec->nid + k, spec->where_value[k], spec->where_len[k]))
            return YS_JSON_NOT_SELECTED;
    char *o = text;
    int any = 0;
    int rc = YS_OK;
    for (int i = 0; i < spec->nfields && rc == YS_OK; i++) { /* not a string (null…): none */
        if (!spec->path[i].arrays) {
            if (ps.found[i] && *ps.found[i] == '"')
                rc = put_text(text, cap, &o, &any, ps.found[i], ps.found_end[i], ps.found_esc[i],
                              err);
            continue;
        }
        for (int k = 0; k < ps.nmany && rc == YS_OK; k++)
            if (ps.many[k].path == i && *ps.many[k].v == '"')
                rc = put_text(text, cap, &o, &any, ps.many[k].v, ps.many[k].end, ps.many[k].esc,
                              err);
    }
    if (rc != YS_OK)
        return rc;
    *text_len = (size_t)(o - text);
    const char *iv, *ive;
    if (spec->nid == 1) {
        if (first_value(&ps, spec->nfields, &iv, &ive) && scalar_id(iv)) {
            *id = iv;
            *id_len = (size_t)(ive - iv);
        }
    } else if (join_ids(&ps, spec, o, cap - *text_len, id_len)) {
        *id = o; /* after the text */
    }
    if (!any)
        return ys_fail(err, YS_EINVAL, "no text field");
    return YS_OK;
}

int ys_json_extract(const char *line, size_t len, const char *const *fields,
                    size_t nfields, const char *id_field, char *text, size_t cap,
                    size_t *text_len, const char **id, size_t *id_len, ys_error *err)
{
    ys_json_spec spec;
    int rc = ys_json_spec_init(&spec, fields, nfields, id_field ? &id_field : NULL,
                               id_field ? 1 : 0, err);
    if (rc != YS_OK)
        return rc;
    return ys_json_extract_spec(&spec, line, len, text, cap, text_len, id, id_len, err);
}

size_t ys_json_keys(const char *line, size_t len, char *out, size_t cap)
{
    ys_json_spec none = {.nfields = 0, .special = ys_json_special_best()}; /* no paths */
    parser ps;
    parser_init(&ps, &none, line, 0, len);
    size_t n = 0;
    if (cap == 0)
        return 0;
    out[0] = 0;
    skip_ws(&ps);
    if (ps.p >= ps.end || *ps.p != '{')
        return 0;
    ps.p++;
    for (;;) {
        skip_ws(&ps);
        if (ps.p >= ps.end || *ps.p != '"')
            return n;
        const char *k = ps.p;
        if (parse_string(&ps))
            return n;
        size_t kl = (size_t)(ps.p - k) - 2; /* without the quotes; escapes as written */
        const char *sep = n ? ", " : "";
        if (n + strlen(sep) + kl + 4 >= cap) { /* room for "…" and the NUL */
            if (n + 4 < cap)
                n += (size_t)snprintf(out + n, cap - n, "%s…", sep);
            return n;
        }
        n += (size_t)snprintf(out + n, cap - n, "%s%.*s", sep, (int)kl, k + 1);
        skip_ws(&ps);
        if (ps.p >= ps.end || *ps.p != ':')
            return n;
        ps.p++;
        skip_ws(&ps);
        if (parse_value(&ps, 1, 0, 0))
            return n;
        skip_ws(&ps);
        if (ps.p < ps.end && *ps.p == ',') {
            ps.p++;
            continue;
        }
        return n;
    }
}
