/* Writes engine/src/confusables.inc, the look-alike tables folding uses,
 * from the Unicode confusables data (UTS #39, confusables.txt) as ICU
 * carries it: two characters are confusable when uspoof_getSkeleton gives
 * them the same skeleton. Only one-character skeletons are kept (a
 * character that looks like one other character).
 *
 *   kana_twins   a character that looks like a katakana letter (工 エ,
 *                力 カ, 口 ロ, 二 ニ, 卜 ト, 夕 タ, 八 ハ, へ ヘ, 一 ー …),
 *                with that katakana; folding applies it only next to
 *                katakana (fold.c). A few pairs that posts use and UTS #39
 *                does not list (儿 ル, 厶 ム …) are added from extra_kana.
 *   latin_twins  a Greek, Cyrillic or other letter that looks like an ASCII
 *                letter (Cyrillic е for e, Greek Ο for O), with that letter;
 *                folded wherever it stands
 *   kanji_variants  another form of a Jōyō kanji (the Chinese forms 收 高收入
 *                and 说, the old or variant forms 髙 學 國), with that kanji,
 *                from the Unicode Han database (Unihan_Variants.txt: semantic,
 *                Z-, spoofing, traditional and simplified variants): a
 *                character outside the Jōyō list (kJoyoKanji in
 *                Unihan_OtherMappings.txt) that is a variant of exactly one
 *                Jōyō kanji; folded wherever it stands. A few look-alikes
 *                that neither lists (孑 子) are added from extra_kanji.
 *
 * Regenerate (needs libicu-dev, and unicode-data for the Unihan files, of
 * the same Unicode version as ICU) and commit the result:
 *   bzcat /usr/share/unicode/Unihan_Variants.txt.bz2 >/tmp/uv.txt
 *   bzcat /usr/share/unicode/Unihan_OtherMappings.txt.bz2 >/tmp/uo.txt
 *   build/tools/gen-confusables /tmp/uv.txt /tmp/uo.txt > engine/src/confusables.inc
 * The data is ICU's and Unihan's (the versions are written into the file's
 * header); this program and its output format are yamiscan's. */
#include <unicode/uchar.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>
#include <unicode/uversion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The one-character skeleton of cp, or 0. */
static uint32_t skeleton(const USpoofChecker *sc, uint32_t cp)
{
    UChar in[2], out[8];
    int32_t n = 0;
    UBool bad = 0;
    U16_APPEND(in, n, 2, cp, bad);
    UErrorCode e = U_ZERO_ERROR;
    int32_t m = uspoof_getSkeleton(sc, 0, in, n, out, 8, &e);
    if (U_FAILURE(e) || bad)
        return 0;
    uint32_t s;
    int32_t i = 0;
    U16_NEXT(out, i, m, s);
    return i == m ? s : 0;
}

static int is_katakana(uint32_t cp) { return (cp >= 0x30A1 && cp <= 0x30FA) || cp == 0x30FC; }
static int is_ascii_letter(uint32_t cp) { return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z'; }

/* Where look-alikes of katakana and of Latin letters are looked for. */
static const uint32_t ranges[][2] = {
    {0x00A0, 0x052F}, /* Latin-1, Latin extended, IPA, Greek, Cyrillic */
    {0x1D00, 0x1DBF}, {0x2000, 0x2BFF}, /* phonetic letters; punctuation, symbols */
    {0x2E80, 0x2FDF}, /* CJK radicals */
    {0x3000, 0x30FF}, /* CJK symbols, kana */
    {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xF900, 0xFAFF}, /* kanji */
    {0xFF00, 0xFFEF}, /* half-width and full-width forms */
};

#define MAXCP 0x10000

/* Look-alikes of katakana that posts use and UTS #39 does not list (its
 * skeletons keep 儿 and ル apart); yamiscan's own additions, kept in the
 * same table and marked as such in the output. */
static const uint32_t extra_kana[][2] = {
    {0x513F, 0x30EB}, /* 儿 ル */
    {0x53B6, 0x30E0}, /* 厶 ム */
    {0x5315, 0x30D2}, /* 匕 ヒ */
    {0x624D, 0x30AA}, /* 才 オ */
    {0x5343, 0x30C1}, /* 千 チ */
    {0x5341, 0x30CA}, /* 十 ナ */
    {0x4E42, 0x30E1}, /* 乂 メ */
    {0x5F50, 0x30E8}, /* 彐 ヨ */
    {0x5DDB, 0x30B7}, /* 巛 (as ミ/シ strokes): シ */
};

/* Look-alikes of a Jōyō kanji that neither UTS #39 nor Unihan lists as
 * one, which ads use inside terms (掛け孑, 受け孒 for 子; 即曰 for 即日); folded
 * wherever they stand like the variants (each is rare on its own:
 * 孑孑 ぼうふら, 孑然; 曰 mostly in 曰く). yamiscan's additions, marked in the output. */
static const uint32_t extra_kanji[][2] = {
    {0x5B51, 0x5B50}, /* 孑 子 */
    {0x5B52, 0x5B50}, /* 孒 子 */
    {0x66F0, 0x65E5}, /* 曰 日: 即曰払い (曰 is rare; 曰く folds to 日く, which no term holds) */
};

static uint32_t extra_of(uint32_t c)
{
    for (size_t i = 0; i < sizeof extra_kana / sizeof *extra_kana; i++)
        if (extra_kana[i][0] == c)
            return extra_kana[i][1];
    return 0;
}

/* The katakana letter c looks like by UTS #39: c is not katakana (nor
 * half-width katakana, which width folding handles) and shares its skeleton
 * with exactly one katakana letter; else 0. */
static uint32_t icu_twin(const uint32_t *skel, uint32_t c)
{
    if (!skel[c] || is_katakana(c) || (c >= 0xFF61 && c <= 0xFF9F))
        return 0;
    uint32_t k = 0;
    int many = 0;
    for (uint32_t t = 0x30A1; t <= 0x30FC; t++)
        if (is_katakana(t) && skel[t] == skel[c])
            many += k != 0, k = t;
    return many ? 0 : k;
}

/* icu_twin, or else yamiscan's extra_kana. */
static uint32_t kana_twin(const uint32_t *skel, uint32_t c)
{
    uint32_t k = icu_twin(skel, c);
    return k ? k : extra_of(c);
}

#define MAXHAN 0x30000 /* the planes of the Han database: BMP, SIP */

/* Unihan's "U+XXXX" at *p: the code point (moving *p past it), or 0. */
static uint32_t unihan_cp(const char **p)
{
    if (strncmp(*p, "U+", 2) != 0)
        return 0;
    char *end;
    unsigned long v = strtoul(*p + 2, &end, 16);
    *p = end;
    return v < MAXHAN ? (uint32_t)v : 0;
}

/* Reads a Unihan file, calling line(cp, field, value) for each entry. */
static int read_unihan(const char *path, void (*line)(uint32_t, const char *, const char *))
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    char buf[4096];
    while (fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\r\n")] = 0;
        char *field = strchr(buf, '\t'), *value = field ? strchr(field + 1, '\t') : NULL;
        const char *p = buf;
        uint32_t cp = buf[0] == 'U' ? unihan_cp(&p) : 0;
        if (!cp || !value)
            continue;
        *field++ = 0;
        *value++ = 0;
        line(cp, field, value);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad)
        fprintf(stderr, "%s: read error\n", path);
    return bad ? -1 : 0;
}

static unsigned char *joyo;    /* [MAXHAN]: 1 for a Jōyō kanji */
static uint32_t *variant_of;   /* [MAXHAN]: the one Jōyō kanji c is a variant of */
static unsigned char *n_joyo;  /* [MAXHAN]: how many Jōyō kanji c is a variant of (2: many) */

/* kJoyoKanji: the year of the list, or the form the list prints (U+525D
 * for 剥 U+5265): both are Jōyō kanji. */
static void joyo_line(uint32_t cp, const char *field, const char *value)
{
    if (strcmp(field, "kJoyoKanji") != 0)
        return;
    joyo[cp] = 1;
    uint32_t v = unihan_cp(&value);
    if (v)
        joyo[v] = 1;
}

static uint32_t (*edges)[2];
static size_t n_edges, cap_edges;

static void variant_line(uint32_t cp, const char *field, const char *value)
{
    static const char *const kinds[] = {"kSemanticVariant", "kZVariant", "kSpoofingVariant",
                                        "kTraditionalVariant", "kSimplifiedVariant"};
    int kind = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
        kind |= strcmp(field, kinds[k]) == 0;
    while (kind && *value) {
        uint32_t v = unihan_cp(&value);
        if (v && v != cp) {
            if (n_edges == cap_edges) {
                cap_edges = cap_edges ? 2 * cap_edges : 4096;
                if (!(edges = realloc(edges, cap_edges * sizeof *edges))) {
                    fprintf(stderr, "gen-confusables: out of memory\n");
                    exit(1);
                }
            }
            edges[n_edges][0] = cp;
            edges[n_edges++][1] = v;
        }
        value += strcspn(value, " "); /* past the sources ("<kMatthews,…") */
        value += strspn(value, " ");
    }
}

/* The variant relation is symmetric (Unihan lists most pairs both ways):
 * c is a variant of j if either lists the other. */
static void add_variant(uint32_t c, uint32_t j)
{
    if (joyo[c] || !joyo[j] || variant_of[c] == j)
        return;
    n_joyo[c] = variant_of[c] ? 2 : 1;
    variant_of[c] = j;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: gen-confusables UNIHAN_VARIANTS.txt UNIHAN_OTHERMAPPINGS.txt "
                        ">engine/src/confusables.inc\n");
        return 2;
    }
    joyo = calloc(MAXHAN, 1);
    n_joyo = calloc(MAXHAN, 1);
    variant_of = calloc(MAXHAN, sizeof *variant_of);
    if (!joyo || !n_joyo || !variant_of || read_unihan(argv[2], joyo_line) ||
        read_unihan(argv[1], variant_line))
        return 1;
    for (size_t i = 0; i < n_edges; i++) {
        add_variant(edges[i][0], edges[i][1]);
        add_variant(edges[i][1], edges[i][0]);
    }
    for (size_t i = 0; i < sizeof extra_kanji / sizeof *extra_kanji; i++) {
        uint32_t c = extra_kanji[i][0], j = extra_kanji[i][1];
        if (!joyo[c] && joyo[j] && !n_joyo[c]) {
            n_joyo[c] = 1;
            variant_of[c] = j;
        }
    }

    UErrorCode e = U_ZERO_ERROR;
    USpoofChecker *sc = uspoof_open(&e);
    if (U_FAILURE(e)) {
        fprintf(stderr, "gen-confusables: uspoof_open: %s\n", u_errorName(e));
        return 1;
    }
    uint32_t *skel = calloc(MAXCP, sizeof *skel);
    if (!skel)
        return 1;
    for (size_t r = 0; r < sizeof ranges / sizeof *ranges; r++)
        for (uint32_t cp = ranges[r][0]; cp <= ranges[r][1]; cp++)
            skel[cp] = skeleton(sc, cp);
    for (uint32_t cp = 'A'; cp <= 'z'; cp++)
        skel[cp] = is_ascii_letter(cp) ? skeleton(sc, cp) : 0;

    UVersionInfo v;
    char ver[U_MAX_VERSION_STRING_LENGTH];
    u_getUnicodeVersion(v);
    u_versionToString(v, ver);
    printf("/* Generated by tools/gen-confusables from the Unicode confusables data\n"
           " * (UTS #39) in ICU %s (Unicode %s) and the Unicode Han database's\n"
           " * variants. Do not edit; regenerate as tools/gen-confusables.c says. */\n\n",
           U_ICU_VERSION, ver);

    /* Katakana twins (kana_twin), then the Jōyō kanji of each variant that
     * is not one (kanji_variant). */
    uint32_t *kana = calloc(MAXCP, sizeof *kana);
    if (!kana)
        return 1;
    printf("/* {look-alike, katakana}, by look-alike */\n"
           "static const uint32_t kana_twins[][2] = {\n");
    size_t nk = 0, nv = 0;
    for (uint32_t c = 0xA0; c < MAXCP; c++) {
        if (!(kana[c] = kana_twin(skel, c)))
            continue;
        printf("    {0x%04X, 0x%04X},%s\n", c, kana[c],
               icu_twin(skel, c) ? "" : " /* yamiscan's addition */");
        nk++;
    }
    printf("};\n\n/* {variant, Jōyō kanji}, by variant */\n"
           "static const uint32_t kanji_variants[][2] = {\n");
    for (uint32_t c = 0; c < MAXHAN; c++) {
        /* not a look-alike of katakana, nor a variant of one (工 力 一 …):
         * a variant folds to a kanji that no other rule changes */
        if (n_joyo[c] != 1 || (c < MAXCP && kana[c]) || kana[variant_of[c]])
            continue;
        int extra = 0;
        for (size_t i = 0; i < sizeof extra_kanji / sizeof *extra_kanji; i++)
            extra |= extra_kanji[i][0] == c;
        printf("    {0x%04X, 0x%04X},%s\n", c, variant_of[c],
               extra ? " /* yamiscan's addition */" : "");
        nv++;
    }
    /* The 3-byte Japanese characters among both (U+3000..U+9FFF), as a
     * bitmap: fold.c's fast path must stop at these, one test per
     * character. */
    printf("};\n\n/* bit (c - 0x3000) set for each character of both tables */\n"
           "static const uint64_t cjk_lookalike_bits[%d] = {",
           (0xA000 - 0x3000) / 64);
    for (uint32_t w = 0; w < (0xA000 - 0x3000) / 64; w++) {
        uint64_t bits = 0;
        for (uint32_t b = 0; b < 64; b++) {
            uint32_t c = 0x3000 + w * 64 + b;
            if (kana[c] || n_joyo[c] == 1)
                bits |= 1ull << b;
        }
        if (bits)
            printf("\n    [%u] = 0x%016llxull,", w, (unsigned long long)bits);
    }
    printf("\n};\n\n");

    /* Latin twins: c is a letter outside ASCII whose skeleton is that of
     * ASCII letters; the one of c's case is chosen (the skeleton of I is
     * l's). Letters of Japanese scripts are left to the table above. */
    printf("/* {look-alike, ASCII letter}, by look-alike */\n"
           "static const uint32_t latin_twins[][2] = {\n");
    size_t nl = 0;
    for (uint32_t c = 0xA0; c < 0x2E80; c++) {
        if (!skel[c] || !u_isalpha((UChar32)c))
            continue;
        uint32_t pick = 0;
        for (uint32_t a = 'A'; a <= 'z'; a++) {
            if (!is_ascii_letter(a) || skel[a] != skel[c])
                continue;
            int same_case = (u_isupper((UChar32)c) != 0) == (a < 'a');
            if (!pick || same_case)
                pick = a;
            if (same_case)
                break;
        }
        if (pick) {
            printf("    {0x%04X, 0x%02X},\n", c, pick);
            nl++;
        }
    }
    printf("};\n");
    fprintf(stderr, "gen-confusables: %zu katakana twins, %zu kanji variants, %zu Latin twins\n",
            nk, nv, nl);
    uspoof_close(sc);
    free(skel);
    free(kana);
    return 0;
}
