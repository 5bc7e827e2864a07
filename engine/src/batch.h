/* The batch layout, shared by batch.c, framer.c and scan.c. Internal. */
#ifndef YS_BATCH_H
#define YS_BATCH_H

#include "internal.h"

typedef struct {
    size_t off;      /* into text */
    size_t len;
    size_t id_off;   /* into ids */
    size_t id_len;   /* 0: no id */
    uint64_t line;
} ys_batch_entry;

struct ys_batch {
    char *text;      /* posts' texts back to back */
    size_t len, cap;
    char *ids;       /* ids are short: this grows on demand, up to `cap` */
    size_t ids_len, ids_cap;
    ys_batch_entry *posts;
    size_t n, ncap;
    const char *source;
};

/* Makes room for one more post entry. */
int ys_batch_reserve_post(ys_batch *b);
/* Appends the entry for a text already written at text + len. */
int ys_batch_commit(ys_batch *b, size_t len, const char *id, size_t id_len, uint64_t line);

#endif
