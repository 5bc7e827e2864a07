/* Output formats for flagged posts: JSONL objects and grep-like text. */
#include "db.h"

#include <errno.h>
#include <string.h>

/* Writes s as a JSON string; invalid UTF-8 becomes U+FFFD so the output is
 * always valid JSON. */
static void json_string(FILE *out, const char *s, size_t n)
{
    putc('"', out);
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && (unsigned char)s[run] >= 0x20 && s[run] != '"' && s[run] != '\\' &&
               (unsigned char)s[run] < 0x80)
            run++;
        fwrite(s + i, 1, run - i, out);
        i = run;
        if (i >= n)
            break;
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            size_t ok = ys_utf8_valid_prefix(s + i, n - i < 4 ? n - i : 4);
            size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            if (ok >= len) {
                fwrite(s + i, 1, len, out);
                i += len;
            } else {
                fputs("\\ufffd", out);
                i++;
            }
            continue;
        }
        switch (c) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default: fprintf(out, "\\u%04x", c); break;
        }
        i++;
    }
    putc('"', out);
}

static void emit_json(FILE *out, const ys_db *db, const char *file, const ys_post *post,
                      const ys_verdict *v, const ys_hit *hits, size_t n)
{
    fputs("{\"file\":", out);
    json_string(out, file, strlen(file));
    fprintf(out, ",\"line\":%llu,\"id\":", (unsigned long long)post->line);
    if (post->id)
        fwrite(post->id, 1, post->id_len, out); /* a validated JSON token */
    else
        fputs("null", out);
    fprintf(out, ",\"score\":%d", v->score);
    if (db->t.model.n) /* how much of the score the hits do not explain */
        fprintf(out, ",\"model\":%d", v->model);
    fputs(",\"hits\":[", out);
    for (size_t i = 0; i < n; i++) {
        const ys_pattern *p = &db->t.pat[hits[i].pattern];
        fputs(i ? ",{\"pattern\":" : "{\"pattern\":", out);
        json_string(out, p->id, strlen(p->id));
        fputs(",\"category\":", out);
        json_string(out, p->category, strlen(p->category));
        fputs(",\"text\":", out);
        json_string(out, post->text + hits[i].start, hits[i].end - hits[i].start);
        fprintf(out, ",\"start\":%u,\"end\":%u}", hits[i].start, hits[i].end);
    }
    fputs("]}\n", out);
}

/* Text without line breaks, so that one post stays one output line. */
static void plain(FILE *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        putc(c < 0x20 && c != '\t' ? ' ' : c, out);
    }
}

static void emit_text(FILE *out, const ys_emit_options *opt, const char *file,
                      const ys_post *post, const ys_hit *hits, size_t n)
{
    if (opt->with_file)
        fprintf(out, "%s:", file);
    fprintf(out, "%llu:", (unsigned long long)post->line);
    if (!opt->color) {
        plain(out, post->text, post->len);
        putc('\n', out);
        return;
    }
    /* Hits are sorted by start: merge overlapping ones into one highlight. */
    size_t pos = 0, i = 0;
    while (i < n) {
        size_t s = hits[i].start, e = hits[i].end;
        for (i++; i < n && hits[i].start <= e; i++)
            if (hits[i].end > e)
                e = hits[i].end;
        if (s < pos)
            s = pos;
        plain(out, post->text + pos, s - pos);
        fputs("\033[01;31m", out);
        plain(out, post->text + s, e - s);
        fputs("\033[m", out);
        pos = e > pos ? e : pos;
    }
    plain(out, post->text + pos, post->len - pos);
    putc('\n', out);
}

int ys_emit_post(FILE *out, const ys_emit_options *opt, const ys_db *db, const char *file,
                 const ys_post *post, const ys_verdict *v, const ys_hit *hits, size_t n)
{
    if (opt->format == YS_OUTPUT_JSONL)
        emit_json(out, db, file, post, v, hits, n);
    else if (opt->format == YS_OUTPUT_TEXT)
        emit_text(out, opt, file, post, hits, n);
    if (ferror(out))
        return errno == EPIPE ? YS_EPIPE : YS_EIO;
    return YS_OK;
}
