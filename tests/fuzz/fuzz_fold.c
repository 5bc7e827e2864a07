/* Fuzz target: folding. For any bytes: every folded byte maps to a
 * non-empty range inside the input, ranges never go backwards, the quick
 * check never says "no" when folding changes something (and its SIMD
 * gates answer as its scalar version), folding without the offset map
 * writes the same text, folded text is
 * never more than 3 times as long, and, for valid UTF-8, folding twice
 * changes nothing more (so a folded term is matched by folded text; with
 * invalid bytes, dropping an invisible character between two of them can
 * make a new character, which is fine). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yamiscan.h"

#include "../../engine/src/foldscan.h"
#include "../../engine/src/jsonscan.h"

static int valid_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i], k = c < 0x80 ? 1 : c >= 0xC2 && c < 0xE0 ? 2 : c >= 0xE0 && c < 0xF0 ? 3
                                         : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (!k || i + k > n)
            return 0;
        uint32_t cp = k == 1 ? c : c & (0x7F >> k);
        for (unsigned j = 1; j < k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        if ((k == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (k == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        i += k;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    size_t cap = 3 * size + 4;
    char *out = malloc(cap), *again = malloc(3 * cap);
    uint32_t *from = malloc(cap * sizeof *from), *to = malloc(cap * sizeof *to);
    uint32_t *f2 = malloc(3 * cap * sizeof *f2), *t2 = malloc(3 * cap * sizeof *t2);
    if (!out || !again || !from || !to || !f2 || !t2)
        abort();
    /* every SIMD gate this CPU runs answers as the scalar check, both
     * answers, to the bit */
    int v0 = -1, a0 = ys_fold_check_level(in, size, &v0, YS_SIMD_SCALAR);
    for (int level = YS_SIMD_SCALAR + 1; level < YS_SIMD_COUNT; level++) {
        int v = -2, a = ys_fold_check_level(in, size, &v, level);
        if (a >= 0 && (a != a0 || v != v0))
            abort();
    }
    size_t n = ys_fold(in, size, out, from, to);
    /* without the map: the same text (the map's buffers take it) */
    size_t nm = ys_fold(in, size, again, NULL, NULL);
    if (nm != n || (n != YS_FOLD_UNCHANGED && memcmp(out, again, n) != 0))
        abort();
    if (n == YS_FOLD_UNCHANGED) {
        memcpy(out, in, size);
        n = size;
    } else {
        if (!ys_fold_needed(in, size) || n > 3 * size)
            abort();
        for (size_t b = 0; b < n; b++)
            if (from[b] >= to[b] || to[b] > size || (b > 0 && from[b] < from[b - 1]))
                abort();
    }
    if (valid_utf8(data, size) && ys_fold(out, n, again, f2, t2) != YS_FOLD_UNCHANGED)
        abort(); /* idempotent */
    free(out);
    free(again);
    free(from);
    free(to);
    free(f2);
    free(t2);
    return 0;
}
