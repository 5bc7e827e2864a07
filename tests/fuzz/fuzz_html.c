/* Fuzz target: the HTML decoder (engine/src/html.c). For any bytes: the
 * text never grows; every output byte maps to a non-empty span inside the
 * input, spans never go backwards and never overlap but where one span
 * gives several bytes (a reference's character); decoding without the map
 * writes the same text; and text without '<' or '&' comes out as it went
 * in. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yamiscan.h"

#include "../../engine/src/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    char *out = malloc(size + 1), *again = malloc(size + 1);
    uint32_t *from = malloc((size + 1) * sizeof *from), *to = malloc((size + 1) * sizeof *to);
    if (!out || !again || !from || !to)
        abort();
    size_t n = ys_html_decode(in, size, out, from, to);
    if (n > size || ys_html_decode(in, size, again, NULL, NULL) != n || memcmp(out, again, n))
        abort();
    for (size_t k = 0; k < n; k++) {
        if (from[k] >= to[k] || to[k] > size)
            abort();
        if (k && (from[k] < from[k - 1] || (from[k] != from[k - 1] && from[k] < to[k - 1])))
            abort();
    }
    if (!ys_html_needed(in, size) && (n != size || memcmp(in, out, size)))
        abort();
    free(out);
    free(again);
    free(from);
    free(to);
    return 0;
}
