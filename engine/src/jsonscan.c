/* JSON string scanning with SIMD (jsonscan.h): compare a block of bytes
 * with '"' and '\\' and test it for bytes below 0x20 in a few vector
 * instructions, turn the result into a bit mask, and the lowest set bit is
 * the answer. The technique is simdjson's (structural characters found 64
 * bytes at a time); here only string runs need it, since a post's bytes are
 * almost all inside its text. */
#include "jsonscan.h"

#include <stdint.h>
#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define YS_X86_SIMD 1
#include <immintrin.h>
#endif

/* Nonzero if any byte of w is '"', '\\' or below 0x20; the lowest flagged
 * byte is the first such byte (the has-zero-byte trick can flag bytes
 * above a true one, never below it). */
static inline uint64_t special_bytes(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
    return ((q - ones) & ~q & high) | ((b - ones) & ~b & high) | ((w - ones * 0x20) & ~w & high);
}

static inline int is_special(unsigned char c) { return c == '"' || c == '\\' || c < 0x20; }

static const char *special_scalar(const char *p, const char *end)
{
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t m = special_bytes(w);
        if (m) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            return p + (__builtin_ctzll(m) >> 3);
#else
            break; /* the byte loop below finds it */
#endif
        }
        p += 8;
    }
    while (p < end && !is_special((unsigned char)*p))
        p++;
    return p;
}

#ifdef YS_X86_SIMD
__attribute__((target("avx2"))) static const char *special_avx2(const char *p, const char *end)
{
    const __m256i q = _mm256_set1_epi8('"'), bs = _mm256_set1_epi8('\\');
    const __m256i c1f = _mm256_set1_epi8(0x1F);
    while (end - p >= 64) { /* two blocks a step: most strings are long */
        __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)p);
        __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
        __m256i ma = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(a, q), _mm256_cmpeq_epi8(a, bs)),
                                     _mm256_cmpeq_epi8(_mm256_max_epu8(a, c1f), c1f));
        __m256i mb = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(b, q), _mm256_cmpeq_epi8(b, bs)),
                                     _mm256_cmpeq_epi8(_mm256_max_epu8(b, c1f), c1f));
        uint64_t m = (uint32_t)_mm256_movemask_epi8(ma) |
                     (uint64_t)(uint32_t)_mm256_movemask_epi8(mb) << 32;
        if (m)
            return p + __builtin_ctzll(m);
        p += 64;
    }
    if (end - p >= 32) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)p);
        __m256i ma = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(a, q), _mm256_cmpeq_epi8(a, bs)),
                                     _mm256_cmpeq_epi8(_mm256_max_epu8(a, c1f), c1f));
        unsigned m = (unsigned)_mm256_movemask_epi8(ma);
        if (m)
            return p + __builtin_ctz(m);
        p += 32;
    }
    return special_scalar(p, end);
}

__attribute__((target("avx512f,avx512bw"))) static const char *special_avx512(const char *p,
                                                                             const char *end)
{
    const __m512i q = _mm512_set1_epi8('"'), bs = _mm512_set1_epi8('\\');
    const __m512i c20 = _mm512_set1_epi8(0x20);
    for (;;) {
        size_t n = (size_t)(end - p);
        if (n == 0)
            return end;
        /* The last block is a masked load: no byte past end is read. */
        __mmask64 live = n >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << n) - 1;
        __m512i v = n >= 64 ? _mm512_loadu_si512((const void *)p) : _mm512_maskz_loadu_epi8(live, p);
        __mmask64 m = (_mm512_cmpeq_epi8_mask(v, q) | _mm512_cmpeq_epi8_mask(v, bs) |
                       _mm512_cmplt_epu8_mask(v, c20)) & live;
        if (m)
            return p + __builtin_ctzll(m);
        if (n <= 64)
            return end;
        p += 64;
    }
}
#endif

ys_json_special_fn ys_json_special_impl(int level)
{
    switch (level) {
    case YS_SIMD_SCALAR: return special_scalar;
#ifdef YS_X86_SIMD
    case YS_SIMD_AVX2: return __builtin_cpu_supports("avx2") ? special_avx2 : NULL;
    case YS_SIMD_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
                   ? special_avx512
                   : NULL;
#endif
    default: return NULL;
    }
}

ys_json_special_fn ys_json_special_best(void)
{
    for (int level = YS_SIMD_COUNT - 1; level > YS_SIMD_SCALAR; level--) {
        ys_json_special_fn f = ys_json_special_impl(level);
        if (f)
            return f;
    }
    return special_scalar;
}

const char *ys_simd_name(int level)
{
    static const char *const names[] = {"scalar", "avx2", "avx512"};
    return level >= 0 && level < YS_SIMD_COUNT ? names[level] : "unknown";
}
