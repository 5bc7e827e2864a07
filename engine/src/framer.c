/* Posts out of bytes: split the stream into lines (any chunking), then each
 * line is a post (lines format) or a JSON object whose text fields are
 * decoded into the batch (jsonl format). A line longer than max_post is
 * never buffered whole: its first max_post bytes are framed (lines: a
 * truncated post; jsonl: counted and skipped) and the rest is discarded. */
#include "batch.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_POST (1u << 20)

struct ys_framer {
    ys_frame_options opt;
    char *name;
    char **strings;      /* owned copies of the field paths */
    size_t nstrings;
    ys_json_spec spec;
    int format;
    ys_batch *batch;
    ys_batch_fn fn;
    void *ctx;
    char *carry;         /* the current partial line, at most max_post bytes */
    size_t carry_len;
    int discarding;      /* inside an over-long line, until its newline */
    uint64_t lines, posts, blank, skipped;
    uint64_t problems[YS_PROBLEM_COUNT];
};

const char *ys_problem_name(int kind)
{
    static const char *const names[] = {"bad_json", "no_text", "too_long", "invalid_utf8"};
    return kind >= 0 && kind < YS_PROBLEM_COUNT ? names[kind] : "unknown";
}

void ys_framer_free(ys_framer *fr)
{
    if (!fr)
        return;
    for (size_t i = 0; i < fr->nstrings; i++)
        free(fr->strings[i]);
    free(fr->strings);
    free(fr->name);
    free(fr->carry);
    ys_batch_free(fr->batch);
    free(fr);
}

int ys_framer_new(const ys_frame_options *opt, const char *name, size_t batch_capacity,
                  ys_batch_fn fn, void *ctx, ys_framer **out, ys_error *err)
{
    *out = NULL;
    ys_framer *fr = calloc(1, sizeof *fr);
    if (!fr)
        return ys_fail(err, YS_ENOMEM, "out of memory");
    fr->opt = *opt;
    if (!fr->opt.max_post)
        fr->opt.max_post = DEFAULT_MAX_POST;
    /* A whole post must fit in one batch; Hyperscan scans at most 4 GiB. */
    if (batch_capacity < fr->opt.max_post)
        batch_capacity = fr->opt.max_post;
    if (batch_capacity > UINT32_MAX) {
        free(fr);
        return ys_fail(err, YS_EINVAL, "batch or post size above 4 GiB");
    }
    fr->format = opt->format;
    fr->fn = fn;
    fr->ctx = ctx;
    fr->name = strdup(name);
    fr->carry = malloc(fr->opt.max_post);
    fr->batch = ys_batch_new(batch_capacity);
    size_t nf = opt->nfields;
    size_t nid = opt->nid_fields ? opt->nid_fields : opt->id_field ? 1 : 0;
    const char *const *ids = opt->nid_fields ? opt->id_fields : &opt->id_field;
    fr->strings = calloc(nf + nid + opt->nwhere + 1, sizeof *fr->strings);
    int rc = fr->name && fr->carry && fr->batch && fr->strings ? YS_OK : YS_ENOMEM;
    for (size_t i = 0; rc == YS_OK && i < nf; i++)
        if (!(fr->strings[fr->nstrings++] = strdup(opt->fields[i])))
            rc = YS_ENOMEM;
    for (size_t i = 0; rc == YS_OK && i < nid; i++)
        if (!(fr->strings[fr->nstrings++] = strdup(ids[i])))
            rc = YS_ENOMEM;
    size_t where_at = fr->nstrings;
    for (size_t i = 0; rc == YS_OK && i < opt->nwhere; i++)
        if (!(fr->strings[fr->nstrings++] = strdup(opt->where[i])))
            rc = YS_ENOMEM;
    if (rc != YS_OK) {
        ys_framer_free(fr);
        return ys_fail(err, rc, "out of memory");
    }
    rc = ys_json_spec_init(&fr->spec, (const char *const *)fr->strings, nf,
                           (const char *const *)fr->strings + nf, nid, err);
    if (rc == YS_OK)
        rc = ys_json_spec_where(&fr->spec, (const char *const *)fr->strings + where_at,
                                opt->nwhere, err);
    if (rc != YS_OK) {
        ys_framer_free(fr);
        return rc;
    }
    fr->batch->source = fr->name;
    *out = fr;
    return YS_OK;
}

size_t ys_framer_batch_capacity(const ys_framer *fr) { return fr->batch->cap; }

ys_batch *ys_framer_swap_batch(ys_framer *fr, ys_batch *empty)
{
    ys_batch *full = fr->batch;
    ys_batch_clear(empty);
    empty->source = fr->name;
    fr->batch = empty;
    return full;
}

int ys_framer_flush(ys_framer *fr)
{
    if (fr->batch->n == 0)
        return YS_OK;
    int rc = fr->fn(fr->ctx, fr->batch);
    ys_batch_clear(fr->batch);
    return rc;
}

/* Makes sure `need` bytes of text fit in the batch, handing it on if not. */
static int room(ys_framer *fr, size_t need, size_t id_need)
{
    ys_batch *b = fr->batch;
    if (b->len + need <= b->cap && b->ids_len + id_need <= b->cap)
        return YS_OK;
    return ys_framer_flush(fr);
}

static void warn(ys_framer *fr, int kind, uint64_t line, const char *fmt, ...)
    YS_PRINTF(4, 5);

static void warn(ys_framer *fr, int kind, uint64_t line, const char *fmt, ...)
{
    fr->problems[kind]++;
    if (!fr->opt.on_warning)
        return;
    char what[1024], msg[1400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(msg, sizeof msg, "%s:%llu: %s", fr->name, (unsigned long long)line, what);
    fr->opt.on_warning(fr->opt.warning_ctx, kind, msg);
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return 0;
    return 1;
}

/* One JSONL line: its object, or the objects written one after the other
 * on it ({…}{…}), each a post of that line. */
static int frame_json(ys_framer *fr, const char *s, size_t n, uint64_t line, ys_error *err)
{
    size_t from = 0;
    do {
        /* Decoded text (and a joined id) is never longer than the rest of
         * the line, so reserve that. */
        int rc = room(fr, n - from, n - from);
        if (rc != YS_OK)
            return rc;
        ys_batch *b = fr->batch;
        size_t tlen, idlen, next;
        const char *id;
        ys_error jerr;
        rc = ys_json_extract_at(&fr->spec, s, n, from, b->text + b->len, b->cap - b->len, &tlen,
                                &id, &idlen, &next, &jerr);
        if (rc == YS_EFORMAT) {
            warn(fr, YS_PROBLEM_BAD_JSON, line, "%s", jerr.message);
            if (fr->opt.strict)
                return ys_fail(err, YS_EFORMAT, "%s:%llu: %s", fr->name,
                               (unsigned long long)line, jerr.message);
            return YS_OK;
        }
        if (rc == YS_JSON_NOT_SELECTED) {
            fr->skipped++;
        } else if (rc == YS_EINVAL) {
            /* the paths asked for, so that a wrong --field shows */
            char asked[256] = "text";
            size_t nf = fr->opt.nfields, k = 0;
            for (size_t i = 0; i < nf && k < sizeof asked; i++)
                k += (size_t)snprintf(asked + k, sizeof asked - k, "%s%s", i ? "' or '" : "",
                                      fr->strings[i]);
            char keys[300] = "";
            if (fr->problems[YS_PROBLEM_NO_TEXT] == 0) /* the first such line: what it holds */
                ys_json_keys(s + from, n - from, keys, sizeof keys);
            warn(fr, YS_PROBLEM_NO_TEXT, line,
                 "no text field '%s' (a string) in this object%s%s%s", asked,
                 keys[0] ? " (its keys: " : "", keys, keys[0] ? ")" : "");
        } else {
            fr->posts++;
            if ((rc = ys_batch_commit(b, tlen, id, idlen, line)) != YS_OK)
                return rc;
        }
        from = next;
    } while (from);
    return YS_OK;
}

/* The first non-blank line of an input read as auto: JSON that is not one
 * object per line (a top-level array, or a pretty-printed object whose
 * first line is a lone "{") would be read as text lines and flag nothing,
 * so it is an error that says what the input is and what reads it. A line
 * of text that merely starts with [ ("[PR] …") is text. */
static int json_shape(ys_framer *fr, const char *s, size_t n, uint64_t line, ys_error *err)
{
    size_t i = 0, j = n;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    while (j > i && (s[j - 1] == ' ' || s[j - 1] == '\t'))
        j--;
    const char *what = NULL, *jq = NULL;
    if (j - i == 1 && s[i] == '{') {
        what = "a JSON object spread over several lines (pretty-printed), not one object per line";
        jq = "jq -c .";
    } else if (i < j && s[i] == '[') {
        size_t k = i + 1;
        while (k < j && (s[k] == ' ' || s[k] == '\t'))
            k++;
        if (k == j || s[k] == '{') {
            what = "a JSON array, not one JSON object per line";
            jq = "jq -c '.[]'";
        }
    }
    if (!what)
        return YS_OK;
    if (strcmp(fr->name, "(standard input)") == 0)
        return ys_fail(err, YS_EFORMAT, "%s:%llu: %s: piped through %s, yamiscan scan - reads it",
                       fr->name, (unsigned long long)line, what, jq);
    return ys_fail(err, YS_EFORMAT, "%s:%llu: %s: %s %s | yamiscan scan - reads it", fr->name,
                   (unsigned long long)line, what, jq, fr->name);
}

/* One complete line (without its newline); `truncated` if it was cut. */
static int frame_line(ys_framer *fr, const char *s, size_t n, int truncated, ys_error *err)
{
    uint64_t line = fr->lines + 1;
    if (n && s[n - 1] == '\r' && !truncated)
        n--;
    if (line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3; /* a UTF-8 byte-order mark (Windows tools write one) is not text */
        n -= 3;
    }
    if (is_blank(s, n)) {
        fr->blank++;
        return YS_OK;
    }
    if (fr->format == YS_INPUT_AUTO) {
        int rc = json_shape(fr, s, n, line, err);
        if (rc != YS_OK)
            return rc;
        size_t i = 0;
        while (s[i] == ' ' || s[i] == '\t')
            i++;
        fr->format = s[i] == '{' ? YS_INPUT_JSONL : YS_INPUT_LINES;
    }
    if (fr->format == YS_INPUT_JSONL) {
        if (truncated) {
            warn(fr, YS_PROBLEM_TOO_LONG, line,
                 "line longer than %zu bytes (ys_frame_options.max_post): skipped", fr->opt.max_post);
            return YS_OK;
        }
        return frame_json(fr, s, n, line, err);
    }
    if (truncated)
        warn(fr, YS_PROBLEM_TOO_LONG, line,
             "line longer than %zu bytes (ys_frame_options.max_post): only its start is scanned",
             fr->opt.max_post);
    int rc = room(fr, n, 0);
    if (rc != YS_OK)
        return rc;
    fr->posts++;
    return ys_batch_add(fr->batch, s, n, NULL, 0, line);
}

/* Adds bytes of a line that has not ended yet. */
static int carry_more(ys_framer *fr, const char *s, size_t n, ys_error *err)
{
    if (fr->discarding)
        return YS_OK;
    size_t max = fr->opt.max_post;
    if (fr->carry_len + n <= max) {
        memcpy(fr->carry + fr->carry_len, s, n);
        fr->carry_len += n;
        return YS_OK;
    }
    memcpy(fr->carry + fr->carry_len, s, max - fr->carry_len);
    fr->carry_len = 0;
    fr->discarding = 1;
    return frame_line(fr, fr->carry, max, 1, err);
}

int ys_framer_feed(ys_framer *fr, const char *data, size_t len, ys_error *err)
{
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
            int rc = carry_more(fr, p, (size_t)(end - p), err);
            if (rc != YS_OK) /* a line that stops the framer is counted, as one that came whole */
                fr->lines++;
            return rc;
        }
        int rc = YS_OK;
        size_t n = (size_t)(nl - p);
        if (fr->discarding) {
            fr->discarding = 0;
        } else if (fr->carry_len) {
            rc = carry_more(fr, p, n, err);
            if (rc == YS_OK && !fr->discarding)
                rc = frame_line(fr, fr->carry, fr->carry_len, 0, err);
            fr->carry_len = 0;
            fr->discarding = 0;
        } else if (n > fr->opt.max_post) {
            rc = frame_line(fr, p, fr->opt.max_post, 1, err);
        } else {
            rc = frame_line(fr, p, n, 0, err); /* straight from the caller's buffer */
        }
        fr->lines++;
        if (rc != YS_OK)
            return rc;
        p = nl + 1;
    }
    return YS_OK;
}

int ys_framer_finish(ys_framer *fr, ys_error *err)
{
    int rc = YS_OK;
    if (fr->discarding || fr->carry_len) {
        if (!fr->discarding)
            rc = frame_line(fr, fr->carry, fr->carry_len, 0, err);
        fr->lines++;
        fr->carry_len = 0;
        fr->discarding = 0;
    }
    /* The complete posts before a bad last line (--strict) are handed on
     * too, as the pipeline does after a bad line in the middle. */
    if (rc == YS_OK || rc == YS_EFORMAT) {
        int f = ys_framer_flush(fr);
        rc = rc == YS_OK ? f : rc;
    }
    return rc;
}

int ys_framer_format(const ys_framer *fr) { return fr->format; }
uint64_t ys_framer_lines(const ys_framer *fr) { return fr->lines; }
uint64_t ys_framer_posts(const ys_framer *fr) { return fr->posts; }
size_t ys_framer_pending(const ys_framer *fr) { return fr->batch->n; }
uint64_t ys_framer_skipped(const ys_framer *fr) { return fr->skipped; }
uint64_t ys_framer_blank_lines(const ys_framer *fr) { return fr->blank; }

uint64_t ys_framer_problems(const ys_framer *fr, int kind)
{
    return kind >= 0 && kind < YS_PROBLEM_COUNT ? fr->problems[kind] : 0;
}
