/* The SIMD string scanner of the JSON parser (engine/src/jsonscan.c,
 * compiled into this test): every version this CPU runs finds the same byte
 * as a byte-by-byte reference, at every length, alignment and position of
 * the special byte, and never reads past the end (a buffer that ends at a
 * page without access behind it). */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../engine/src/jsonscan.h"

static const char *reference(const char *p, const char *end)
{
    while (p < end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
        p++;
    return p;
}

Test(jsonscan, scalar_exists_and_best_is_one_of_them)
{
    cr_assert_not_null(ys_json_special_impl(YS_SIMD_SCALAR));
    ys_json_special_fn best = ys_json_special_best();
    int found = 0;
    for (int l = 0; l < YS_SIMD_COUNT; l++)
        found |= ys_json_special_impl(l) == best;
    cr_assert(found);
    cr_assert_null(ys_json_special_impl(YS_SIMD_COUNT));
}

/* A run of plain bytes (ASCII, kana in UTF-8, 0x20, 0x7F, 0xFF), with the
 * special byte `sp` at position `at` (or none when at >= len). */
static void fill(char *buf, size_t len, size_t at, char sp, unsigned seed)
{
    static const unsigned char plain[] = {'a', ' ', 0x7F, 0xE3, 0x81, 0x82, 0xFF, '!', '#',
                                          ']', 0x21, 0xBF, 0x5B, 0x5D};
    for (size_t i = 0; i < len; i++) {
        seed = seed * 1103515245u + 12345u;
        buf[i] = (char)plain[(seed >> 16) % sizeof plain];
    }
    if (at < len)
        buf[at] = sp;
}

Test(jsonscan, every_version_agrees_with_the_reference)
{
    static const char specials[] = {'"', '\\', 0x00, 0x01, 0x1F, '\n'};
    char buf[300];
    int versions = 0;
    for (int l = 0; l < YS_SIMD_COUNT; l++) {
        ys_json_special_fn f = ys_json_special_impl(l);
        if (!f)
            continue;
        versions++;
        for (size_t off = 0; off < 8; off++)
            for (size_t len = 0; len + off <= 200; len += (len < 70 ? 1 : 13))
                for (size_t at = 0; at <= len; at += (at < 70 ? 1 : 7))
                    for (size_t s = 0; s < sizeof specials; s++) {
                        char *p = buf + off;
                        fill(p, len, at, specials[s], (unsigned)(len * 31 + at));
                        const char *want = reference(p, p + len), *got = f(p, p + len);
                        cr_assert_eq(got, want,
                                     "%s: len %zu offset %zu special 0x%02x at %zu: got %td, "
                                     "want %td",
                                     ys_simd_name(l), len, off, (unsigned char)specials[s], at,
                                     got - p, want - p);
                    }
    }
    cr_log_info("string scanners tested: %d", versions);
}

Test(jsonscan, no_version_reads_past_the_end)
{
    long page = sysconf(_SC_PAGESIZE);
    char *map = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
    cr_assert_neq(map, MAP_FAILED);
    cr_assert_eq(mprotect(map + page, (size_t)page, PROT_NONE), 0);
    char *end = map + page;
    for (int l = 0; l < YS_SIMD_COUNT; l++) {
        ys_json_special_fn f = ys_json_special_impl(l);
        if (!f)
            continue;
        for (size_t len = 0; len <= 130; len++) {
            memset(end - len, 'x', len); /* no special byte: scans to the end */
            cr_assert_eq(f(end - len, end), end, "%s, %zu bytes", ys_simd_name(l), len);
        }
    }
    munmap(map, 2 * (size_t)page);
}
