/* Fuzz target: the lexicon parsers (TSV and plain list) and, for small
 * lexicons, compilation. A parse error must come with a message that names
 * the input; a lexicon that parsed must compile or fail with a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yamiscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ys_error err;
    ys_lexicon *lex = ys_lexicon_new();
    if (!lex)
        return 0;
    int rc = ys_lexicon_parse_tsv(lex, "fuzz.tsv", (const char *)data, size, &err);
    if (rc != YS_OK && strncmp(err.message, "fuzz.tsv:", 9) != 0)
        abort(); /* every lexicon error is FILE:LINE:COL: … */
    rc = ys_lexicon_parse_list(lex, "fuzz.txt", (const char *)data, size, &err);
    if (rc != YS_OK && strncmp(err.message, "fuzz.txt:", 9) != 0)
        abort();
    size_t n = ys_lexicon_size(lex);
    for (size_t i = 0; i < n; i++)
        if (ys_lexicon_pattern(lex, i)->expr_len == 0)
            abort(); /* empty expressions are refused */
    ys_db *db;
    if (n > 0 && n <= 32) {
        if (ys_db_compile(lex, &db, &err) == YS_OK)
            ys_db_free(db);
        else if (err.message[0] == '\0')
            abort();
    }
    ys_lexicon_free(lex);
    return 0;
}
