/* The fold gate's byte classes with SIMD (foldscan.h). Each version
 * computes the same masks: compares against constants and ranges, and
 * the ASCII separators \n \r space # * + - . / = @ ^ _ | ~ by a nibble
 * lookup (a byte's low nibble and its high nibble each give a set of
 * groups; the byte is a separator when the two sets meet), the technique of
 * Hyperscan's "shufti" and simdjson's structural classifier. */
#include "foldscan.h"

#include "jsonscan.h" /* YS_SIMD_… */

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define YS_X86_SIMD 1
#include <immintrin.h>
#endif

static int is_sep(unsigned c)
{
    switch (c) {
    case '\n': case '\r': case ' ': case '#': case '*': case '+': case '-': case '.':
    case '/': case '=': case '@': case '^': case '_': case '|': case '~':
        return 1;
    }
    return 0;
}

static void classify_scalar(const unsigned char *p, const unsigned char *kana_bits,
                            ys_fold_masks *m)
{
    ys_fold_masks r = {0, 0, 0, 0, 0, 0, 0, 0};
    for (unsigned j = 0; j < 64; j++) {
        unsigned c = p[j];
        uint64_t bit = (uint64_t)1 << j;
        if (c >= 0xE3 && c <= 0xE9) {
            r.lead |= bit;
            if (c == 0xE3 && p[j + 1] >= 0x80 && p[j + 1] <= 0x83) {
                unsigned key = (p[j + 1] & 3u) << 6 | (p[j + 2] & 0x3Fu);
                if (kana_bits[key >> 3] >> (key & 7) & 1)
                    r.kana_refused |= bit;
            } else {
                r.lookup |= bit;
            }
        } else if ((c & 0xC0) == 0x80)
            r.cont |= bit;
        else if (c >= 0x80 || is_sep(c))
            r.other |= bit;
        if (c < 0x80 && is_sep(c))
            r.sep |= bit;
        if (c - '0' < 10)
            r.digit |= bit;
        if ((c | 0x20) - 'a' < 26)
            r.letter |= bit;
    }
    *m = r;
}

#ifdef YS_X86_SIMD
/* Groups by high nibble: 0 → 1, 2 → 2, 3 → 4, 4 → 8, 5 → 16, 7 → 32; the
 * low-nibble table lists, for each low nibble, the groups in which that
 * nibble makes a separator. Bytes at or above 0x80 are in no group. */
#define SEP_LO 2 | 8, 0, 0, 2, 0, 0, 0, 0, 0, 0, 1 | 2, 2, 32, 1 | 2 | 4, 2 | 16 | 32, 2 | 16
#define SEP_HI 1, 0, 2, 4, 8, 16, 0, 32, 0, 0, 0, 0, 0, 0, 0, 0

/* The kana look-up: for lanes whose lead (v) is E3 and next byte (v1)
 * 80..83, bit (v1 & 3) << 6 | (v2 & 0x3F) of the 256-bit table (its bytes
 * 0..15 in lo, 16..31 in hi, in both halves). Sets *kana to those lanes. */
__attribute__((target("avx2"))) static inline uint32_t kana32(__m256i v, __m256i v1, __m256i v2,
                                                             __m256i lo, __m256i hi,
                                                             uint32_t *kana)
{
    const __m256i bit_t = _mm256_setr_epi8(1, 2, 4, 8, 16, 32, 64, (char)128, 1, 2, 4, 8, 16, 32,
                                           64, (char)128, 1, 2, 4, 8, 16, 32, 64, (char)128, 1, 2,
                                           4, 8, 16, 32, 64, (char)128);
    __m256i t1 = _mm256_sub_epi8(v1, _mm256_set1_epi8((char)0x80));
    __m256i is_kana = _mm256_and_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8((char)0xE3)),
                                       _mm256_cmpeq_epi8(_mm256_min_epu8(t1, _mm256_set1_epi8(3)), t1));
    __m256i key = _mm256_or_si256(_mm256_slli_epi16(_mm256_and_si256(v1, _mm256_set1_epi8(3)), 6),
                                  _mm256_and_si256(v2, _mm256_set1_epi8(0x3F)));
    __m256i idx = _mm256_and_si256(_mm256_srli_epi16(key, 3), _mm256_set1_epi8(0x1F));
    __m256i byte = _mm256_blendv_epi8(_mm256_shuffle_epi8(lo, idx), _mm256_shuffle_epi8(hi, idx),
                                      _mm256_cmpgt_epi8(idx, _mm256_set1_epi8(15)));
    __m256i bit = _mm256_shuffle_epi8(bit_t, _mm256_and_si256(key, _mm256_set1_epi8(7)));
    __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(byte, bit), bit);
    *kana = (uint32_t)_mm256_movemask_epi8(is_kana);
    return (uint32_t)_mm256_movemask_epi8(_mm256_and_si256(set, is_kana));
}

__attribute__((target("avx2"))) static inline void classify32(__m256i v, uint32_t *lead,
                                                             uint32_t *cont, uint32_t *other,
                                                             uint32_t *sep, uint32_t *digit,
                                                             uint32_t *letter)
{
    const __m256i lo_t = _mm256_setr_epi8(SEP_LO, SEP_LO), hi_t = _mm256_setr_epi8(SEP_HI, SEP_HI);
    const __m256i nib = _mm256_set1_epi8(0x0F);
    __m256i lo = _mm256_shuffle_epi8(lo_t, _mm256_and_si256(v, nib));
    __m256i hi = _mm256_shuffle_epi8(hi_t, _mm256_and_si256(_mm256_srli_epi16(v, 4), nib));
    uint32_t notsep = (uint32_t)_mm256_movemask_epi8(
        _mm256_cmpeq_epi8(_mm256_and_si256(lo, hi), _mm256_setzero_si256()));
    __m256i t = _mm256_sub_epi8(v, _mm256_set1_epi8((char)0xE3));
    uint32_t l = (uint32_t)_mm256_movemask_epi8(
        _mm256_cmpeq_epi8(_mm256_min_epu8(t, _mm256_set1_epi8(6)), t));
    uint32_t c = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(
        _mm256_and_si256(v, _mm256_set1_epi8((char)0xC0)), _mm256_set1_epi8((char)0x80)));
    uint32_t high = (uint32_t)_mm256_movemask_epi8(v);
    t = _mm256_sub_epi8(v, _mm256_set1_epi8('0'));
    *digit = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(t, _mm256_set1_epi8(9)), t));
    t = _mm256_sub_epi8(_mm256_or_si256(v, _mm256_set1_epi8(0x20)), _mm256_set1_epi8('a'));
    *letter = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(t, _mm256_set1_epi8(25)), t));
    *lead = l;
    *cont = c;
    *sep = ~notsep;
    *other = ~notsep | (high & ~(l | c));
}

#define LOAD256(q) _mm256_loadu_si256((const __m256i *)(const void *)(q))

__attribute__((target("avx2"))) static void classify_avx2(const unsigned char *p,
                                                         const unsigned char *kana_bits,
                                                         ys_fold_masks *m)
{
    uint32_t l0, c0, o0, s0, d0, a0, l1, c1, o1, s1, d1, a1, k0, k1;
    __m256i v0 = LOAD256(p), v1 = LOAD256(p + 32);
    classify32(v0, &l0, &c0, &o0, &s0, &d0, &a0);
    classify32(v1, &l1, &c1, &o1, &s1, &d1, &a1);
    __m256i lo = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)kana_bits));
    __m256i hi = _mm256_broadcastsi128_si256(
        _mm_loadu_si128((const __m128i *)(const void *)(kana_bits + 16)));
    uint32_t r0 = kana32(v0, LOAD256(p + 1), LOAD256(p + 2), lo, hi, &k0);
    uint32_t r1 = kana32(v1, LOAD256(p + 33), LOAD256(p + 34), lo, hi, &k1);
    uint64_t kana = k0 | (uint64_t)k1 << 32;
    m->kana_refused = r0 | (uint64_t)r1 << 32;
    m->lead = l0 | (uint64_t)l1 << 32;
    m->cont = c0 | (uint64_t)c1 << 32;
    m->other = o0 | (uint64_t)o1 << 32;
    m->sep = s0 | (uint64_t)s1 << 32;
    m->digit = d0 | (uint64_t)d1 << 32;
    m->letter = a0 | (uint64_t)a1 << 32;
    m->lookup = m->lead & ~kana;
}

__attribute__((target("avx512f,avx512bw"))) static void classify_avx512(const unsigned char *p,
                                                                         const unsigned char *kana_bits,
                                                                         ys_fold_masks *m)
{
    const __m512i bit_t = _mm512_broadcast_i32x4(
        _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, (char)128, 1, 2, 4, 8, 16, 32, 64, (char)128));
    const __m512i klo = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(const void *)kana_bits));
    const __m512i khi =
        _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(const void *)(kana_bits + 16)));
    const __m512i lo_t = _mm512_broadcast_i32x4(_mm_setr_epi8(SEP_LO));
    const __m512i hi_t = _mm512_broadcast_i32x4(_mm_setr_epi8(SEP_HI));
    const __m512i nib = _mm512_set1_epi8(0x0F);
    __m512i v = _mm512_loadu_si512((const void *)p);
    __m512i lo = _mm512_shuffle_epi8(lo_t, _mm512_and_si512(v, nib));
    __m512i hi = _mm512_shuffle_epi8(hi_t, _mm512_and_si512(_mm512_srli_epi16(v, 4), nib));
    uint64_t sep = _mm512_test_epi8_mask(lo, hi);
    uint64_t l = _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8((char)0xE3)),
                                        _mm512_set1_epi8(6));
    uint64_t c = _mm512_cmpeq_epi8_mask(_mm512_and_si512(v, _mm512_set1_epi8((char)0xC0)),
                                        _mm512_set1_epi8((char)0x80));
    uint64_t high = _mm512_movepi8_mask(v);
    __m512i v1 = _mm512_loadu_si512((const void *)(p + 1)), v2 = _mm512_loadu_si512((const void *)(p + 2));
    uint64_t kana = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8((char)0xE3)) &
                    _mm512_cmple_epu8_mask(_mm512_sub_epi8(v1, _mm512_set1_epi8((char)0x80)),
                                           _mm512_set1_epi8(3));
    __m512i key = _mm512_or_si512(_mm512_slli_epi16(_mm512_and_si512(v1, _mm512_set1_epi8(3)), 6),
                                  _mm512_and_si512(v2, _mm512_set1_epi8(0x3F)));
    __m512i idx = _mm512_and_si512(_mm512_srli_epi16(key, 3), _mm512_set1_epi8(0x1F));
    __m512i byte = _mm512_mask_blend_epi8(_mm512_cmpgt_epi8_mask(idx, _mm512_set1_epi8(15)),
                                          _mm512_shuffle_epi8(klo, idx), _mm512_shuffle_epi8(khi, idx));
    __m512i bit = _mm512_shuffle_epi8(bit_t, _mm512_and_si512(key, _mm512_set1_epi8(7)));
    m->kana_refused = _mm512_test_epi8_mask(byte, bit) & kana;
    m->lookup = l & ~kana;
    m->lead = l;
    m->cont = c;
    m->other = sep | (high & ~(l | c));
    m->sep = sep;
    m->digit = _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8('0')), _mm512_set1_epi8(9));
    m->letter = _mm512_cmple_epu8_mask(
        _mm512_sub_epi8(_mm512_or_si512(v, _mm512_set1_epi8(0x20)), _mm512_set1_epi8('a')),
        _mm512_set1_epi8(25));
}
#endif

ys_fold_classify_fn ys_fold_classify_impl(int level)
{
    switch (level) {
    case YS_SIMD_SCALAR: return classify_scalar;
#ifdef YS_X86_SIMD
    case YS_SIMD_AVX2: return __builtin_cpu_supports("avx2") ? classify_avx2 : NULL;
    case YS_SIMD_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
                   ? classify_avx512
                   : NULL;
#endif
    default: return NULL;
    }
}
