/* The compiled database's layout, shared by db.c (compile, files) and scan.c. */
#ifndef YS_DB_H
#define YS_DB_H

#include "internal.h"

#include <hs/hs.h>

struct ys_db {
    ys_table t;
    hs_database_t *lit;  /* literals, ids = pattern indexes; NULL if none */
    hs_database_t *re;   /* regexes (UTF-8, leftmost start); NULL if none */
    uint32_t *len_of;    /* expression length of each pattern, for match starts */
    size_t nlit, nre;
    double compile_seconds;
    uint64_t hash;
};

#endif
