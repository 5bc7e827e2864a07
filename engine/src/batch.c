/* Batches: many whole posts in one buffer, the unit passed between stages. */
#include "batch.h"

#include <stdlib.h>
#include <string.h>

ys_batch *ys_batch_new(size_t cap)
{
    ys_batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->cap = cap ? cap : 1;
    b->ids_cap = b->cap < 4096 ? b->cap : 4096;
    b->text = malloc(b->cap);
    b->ids = malloc(b->ids_cap);
    if (!b->text || !b->ids) {
        ys_batch_free(b);
        return NULL;
    }
    return b;
}

void ys_batch_free(ys_batch *b)
{
    if (!b)
        return;
    free(b->text);
    free(b->ids);
    free(b->posts);
    free(b);
}

void ys_batch_clear(ys_batch *b)
{
    b->len = b->ids_len = b->n = 0;
}

size_t ys_batch_count(const ys_batch *b) { return b->n; }
const char *ys_batch_source(const ys_batch *b) { return b->source ? b->source : ""; }

void ys_batch_post(const ys_batch *b, size_t i, ys_post *p)
{
    const ys_batch_entry *e = &b->posts[i];
    p->text = b->text + e->off;
    p->len = e->len;
    p->id = e->id_len ? b->ids + e->id_off : NULL;
    p->id_len = e->id_len;
    p->line = e->line;
}

int ys_batch_reserve_post(ys_batch *b)
{
    if (b->n < b->ncap)
        return YS_OK;
    size_t ncap = b->ncap ? b->ncap * 2 : 1024;
    ys_batch_entry *p = realloc(b->posts, ncap * sizeof *p);
    if (!p)
        return YS_ENOMEM;
    b->posts = p;
    b->ncap = ncap;
    return YS_OK;
}

int ys_batch_commit(ys_batch *b, size_t len, const char *id, size_t id_len, uint64_t line)
{
    if (b->len + len > b->cap || b->ids_len + id_len > b->cap)
        return YS_EINVAL;
    if (ys_batch_reserve_post(b) != YS_OK)
        return YS_ENOMEM;
    if (b->ids_len + id_len > b->ids_cap) {
        size_t cap = b->ids_cap;
        while (b->ids_len + id_len > cap)
            cap *= 2;
        char *ids = realloc(b->ids, cap < b->cap ? cap : b->cap);
        if (!ids)
            return YS_ENOMEM;
        b->ids = ids;
        b->ids_cap = cap < b->cap ? cap : b->cap;
    }
    ys_batch_entry *e = &b->posts[b->n++];
    e->off = b->len;
    e->len = len;
    e->id_off = b->ids_len;
    e->id_len = id_len;
    e->line = line;
    if (id_len)
        memcpy(b->ids + b->ids_len, id, id_len);
    b->ids_len += id_len;
    b->len += len;
    return YS_OK;
}

int ys_batch_add(ys_batch *b, const char *text, size_t len, const char *id,
                 size_t id_len, uint64_t line)
{
    if (b->len + len > b->cap || b->ids_len + id_len > b->cap)
        return YS_EINVAL;
    memcpy(b->text + b->len, text, len);
    return ys_batch_commit(b, len, id, id_len, line);
}

void ys_batch_set_source(ys_batch *b, const char *source) { b->source = source; }
size_t ys_batch_capacity(const ys_batch *b) { return b->cap; }
size_t ys_batch_bytes(const ys_batch *b) { return b->len; }
