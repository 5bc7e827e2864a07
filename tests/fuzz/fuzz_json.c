/* Fuzz target: the JSON field extractor and unescaper. The decoded text can
 * never be longer than the line (escapes only shrink), so a buffer of the
 * line's size must always do (values found through arrays, key[], are
 * joined by one byte where each has at least two quotes); the id token must
 * lie inside the line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yamiscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const fields[] = {"text", "post.body", "a.b.c", "t[]", "a[].b[].c"};
    const char *line = (const char *)data;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    size_t text_len = 0, id_len = 0;
    const char *id = NULL;
    ys_error err;
    int rc = ys_json_extract(line, size, fields, 5, size % 2 ? "id" : "ids[]", text, size + 1,
                             &text_len, &id, &id_len, &err);
    if (rc == YS_OK) {
        if (text_len > size)
            abort();
        if (id && (id < line || id + id_len > line + size))
            abort();
    } else if (rc != YS_EFORMAT && rc != YS_EINVAL) {
        abort();
    }
    free(text);
    return 0;
}
