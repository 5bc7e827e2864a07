/* gen-terms — writes the benchmark's pattern sets: term lists of the sizes
 * asked for, in two families, from the bundled lexicon's literals plus real
 * Japanese nouns (bench/dict-words, from mecab-ipadic):
 *
 *   realistic-N.txt  the lexicon's literals, then nouns of 3+ characters that
 *                    occur in no sentence of the prose pool: rare words, as
 *                    slang is, so that posts made of that prose do not hit;
 *   dense-N.txt      the 10 nouns found in most pool sentences, the lexicon's
 *                    literals, then the other nouns by how many pool sentences
 *                    hold them, then by dictionary cost: most posts hit.
 *
 * Each family is one ordered list and a set of size N is its first N terms,
 * so a bigger set holds every smaller one. Which nouns occur in the pool is
 * found with yamiscan's own engine. Nouns are shuffled with a seeded
 * generator before use: the same inputs and seed give the same files.
 *
 *   gen-terms --words WORDS.tsv --prose POOL.txt --lexicon LEX.tsv
 *             --out DIR [--sizes 10,100,1000] [--seed S]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yamiscan.h"

#define MAX_SIZES 16

static uint64_t rng_state;

static uint64_t rnd(void) /* splitmix64, as gen-posts */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

typedef struct {
    char *word;
    long cost;        /* dictionary word cost, lower is more common */
    unsigned chars;   /* UTF-8 characters */
    uint64_t in_pool; /* pool sentences that contain it */
    uint64_t last;    /* last sentence counted + 1 */
} noun;

static _Noreturn void die(const char *what, const ys_error *err)
{
    fprintf(stderr, "gen-terms: %s: %s\n", what, err ? err->message : strerror(errno));
    exit(2);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path, NULL);
    size_t cap = 1 << 20, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    if (!buf || ferror(f))
        die(path, NULL);
    fclose(f);
    *len = n;
    return buf;
}

/* A usable noun: no ASCII (a list would also hit JSON keys and numbers), no
 * control characters, nothing folding would change (ｔｈｅ would be matched
 * as "the", which grep -F would not). Returns its length in characters, 0 if
 * unusable. */
static unsigned noun_chars(const char *w)
{
    unsigned n = 0;
    for (const unsigned char *p = (const unsigned char *)w; *p; p++) {
        if (*p < 0x80)
            return 0;
        n += (*p & 0xC0) != 0x80;
    }
    return ys_fold_needed(w, strlen(w)) ? 0 : n;
}

/* Parses bench/dict-words output: WORD \t COST \t KIND. The words point
 * into *text, which the caller frees after them. */
static noun *read_words(const char *path, size_t *count, char **text)
{
    size_t len, n = 0, cap = 1024;
    char *data = slurp(path, &len), *line = data, *end = data + len;
    *text = data;
    noun *v = malloc(cap * sizeof *v);
    while (line < end) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        if (!nl)
            nl = end;
        *nl = '\0';
        char *tab = strchr(line, '\t');
        if (tab) {
            *tab = '\0';
            unsigned chars = noun_chars(line);
            if (chars >= 2) {
                if (n == cap)
                    v = realloc(v, (cap *= 2) * sizeof *v);
                if (!v)
                    die("out of memory", NULL);
                v[n++] = (noun){line, strtol(tab + 1, NULL, 10), chars, 0, 0};
            }
        }
        line = nl + 1;
    }
    *count = n;
    return v;
}

typedef struct {
    noun *v;
    ys_scanner *sc;
    uint64_t sentences;
} count_ctx;

/* Counts, per noun, the pool sentences (posts) that contain it. */
static int count_batch(void *ctx, ys_batch *batch)
{
    count_ctx *c = ctx;
    const ys_hit *hits;
    size_t nhits;
    ys_error err;
    if (ys_scan_batch(c->sc, batch, &hits, &nhits, &err) != YS_OK)
        die("scanning the prose pool", &err);
    for (size_t i = 0; i < nhits; i++) {
        noun *w = &c->v[hits[i].pattern];
        uint64_t s = c->sentences + hits[i].post + 1;
        if (w->last != s)
            w->in_pool++, w->last = s;
    }
    c->sentences += ys_batch_count(batch);
    return 0;
}

static void count_in_pool(noun *v, size_t n, const char *pool)
{
    size_t len = 0, cap = 1 << 20;
    char *list = malloc(cap);
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(v[i].word);
        if (len + k + 1 > cap)
            list = realloc(list, cap = 2 * (len + k + 1));
        if (!list)
            die("out of memory", NULL);
        memcpy(list + len, v[i].word, k);
        list[len + k] = '\n';
        len += k + 1;
    }
    ys_error err;
    ys_lexicon *lex = ys_lexicon_new();
    ys_db *db;
    count_ctx c = {v, NULL, 0};
    ys_framer *fr;
    ys_frame_options fo = {.format = YS_INPUT_LINES};
    if (ys_lexicon_parse_list(lex, "nouns", list, len, &err) != YS_OK ||
        ys_db_compile(lex, &db, &err) != YS_OK || ys_scanner_new(db, &c.sc, &err) != YS_OK ||
        ys_framer_new(&fo, pool, 1 << 20, count_batch, &c, &fr, &err) != YS_OK)
        die("compiling the nouns", &err);
    size_t plen;
    char *text = slurp(pool, &plen);
    if (ys_framer_feed(fr, text, plen, &err) != YS_OK || ys_framer_finish(fr, &err) != YS_OK)
        die(pool, &err);
    ys_db_stats st;
    ys_db_get_stats(db, &st);
    fprintf(stderr, "gen-terms: %zu nouns, %llu pool sentences, %.1f s to compile the nouns\n", n,
            (unsigned long long)c.sentences, st.compile_seconds);
    free(text);
    free(list);
    ys_framer_free(fr);
    ys_scanner_free(c.sc);
    ys_db_free(db);
    ys_lexicon_free(lex);
}

static int by_pool_then_cost(const void *a, const void *b)
{
    const noun *x = *(noun *const *)a, *y = *(noun *const *)b;
    if (x->in_pool != y->in_pool)
        return x->in_pool > y->in_pool ? -1 : 1;
    if (x->cost != y->cost)
        return x->cost < y->cost ? -1 : 1;
    return strcmp(x->word, y->word);
}

/* Writes the first sizes[k] terms of `terms` to DIR/FAMILY-SIZE.txt. */
static void write_sets(const char *dir, const char *family, const char **terms, size_t n,
                       const long *sizes, int nsizes)
{
    for (int k = 0; k < nsizes; k++) {
        if ((size_t)sizes[k] > n) {
            fprintf(stderr, "gen-terms: only %zu %s terms, %ld asked for\n", n, family, sizes[k]);
            exit(2);
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s-%ld.txt", dir, family, sizes[k]);
        FILE *f = fopen(path, "w");
        if (!f)
            die(path, NULL);
        for (long i = 0; i < sizes[k]; i++)
            fprintf(f, "%s\n", terms[i]);
        if (fclose(f) != 0)
            die(path, NULL);
    }
}

int main(int argc, char **argv)
{
    const char *words = NULL, *pool = NULL, *lexicon = NULL, *out = NULL;
    const char *size_list = "10,100,1000,10000,100000";
    unsigned long long seed = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--words"))
            words = v;
        else if (!strcmp(a, "--prose"))
            pool = v;
        else if (!strcmp(a, "--lexicon"))
            lexicon = v;
        else if (!strcmp(a, "--out"))
            out = v;
        else if (!strcmp(a, "--sizes"))
            size_list = v;
        else if (!strcmp(a, "--seed"))
            seed = strtoull(v, NULL, 10);
        else
            words = NULL, i = argc;
    }
    long sizes[MAX_SIZES];
    int nsizes = 0;
    for (const char *p = size_list; *p && nsizes < MAX_SIZES; p += *p == ',') {
        char *e;
        sizes[nsizes] = strtol(p, &e, 10);
        if (e == p || sizes[nsizes] <= 0)
            break;
        nsizes++, p = e;
    }
    if (!words || !pool || !lexicon || !out || (argc % 2) == 0 || nsizes == 0) {
        fprintf(stderr, "usage: gen-terms --words WORDS.tsv --prose POOL.txt --lexicon LEX.tsv\n"
                        "                 --out DIR [--sizes 10,100,...] [--seed S]\n"
                        "Writes DIR/realistic-N.txt and DIR/dense-N.txt, one term per line.\n");
        return 2;
    }

    /* The lexicon's literals: the terms both families start from. */
    ys_error err;
    ys_lexicon *lex = ys_lexicon_new();
    if (ys_lexicon_load_tsv(lex, lexicon, &err) != YS_OK)
        die("lexicon", &err);
    size_t nlex = 0, nlexpat = ys_lexicon_size(lex);
    const char **lexterms = malloc((nlexpat + 1) * sizeof *lexterms);
    for (size_t i = 0; i < nlexpat; i++) {
        const ys_pattern *p = ys_lexicon_pattern(lex, i);
        /* Literals only, as written; none that folding would change, so that
         * yamiscan --no-fold and grep -F see the same terms. */
        if (!p->is_regex && !memchr(p->expr, '\n', p->expr_len) &&
            !ys_fold_needed(p->expr, p->expr_len))
            lexterms[nlex++] = p->expr;
    }

    /* v: the lexicon's literals first, then the nouns that are not one. */
    size_t n, kept = nlex;
    char *words_text;
    noun *words_read = read_words(words, &n, &words_text);
    noun *v = malloc((n + nlex) * sizeof *v);
    if (!v)
        die("out of memory", NULL);
    for (size_t i = 0; i < nlex; i++)
        v[i] = (noun){(char *)lexterms[i], 0, noun_chars(lexterms[i]), 0, 0};
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < nlex && strcmp(words_read[i].word, lexterms[j]) != 0)
            j++;
        if (j == nlex)
            v[kept++] = words_read[i];
    }
    n = kept - nlex; /* nouns, at v + nlex */
    noun *nouns = v + nlex;
    rng_state = seed;
    for (size_t i = n; i > 1; i--) { /* Fisher–Yates */
        size_t j = (size_t)(rnd() % i);
        noun t = nouns[i - 1];
        nouns[i - 1] = nouns[j];
        nouns[j] = t;
    }
    count_in_pool(v, nlex + n, pool);

    const char **real = malloc((n + nlex) * sizeof *real);
    const char **dense = malloc((n + nlex) * sizeof *dense);
    noun **order = malloc((n + 1) * sizeof *order);
    if (!real || !dense || !order)
        die("out of memory", NULL);
    /* Realistic: what the prose never contains. A lexicon term the prose
     * does contain (シグナル is also a signal in the man pages) is left out. */
    size_t nreal = 0, ndense = 0;
    for (size_t i = 0; i < nlex; i++)
        if (v[i].in_pool == 0)
            real[nreal++] = v[i].word;
        else
            fprintf(stderr, "gen-terms: lexicon term %s is in %llu pool sentences: not realistic\n",
                    v[i].word, (unsigned long long)v[i].in_pool);
    for (size_t i = 0; i < n; i++)
        if (nouns[i].in_pool == 0 && nouns[i].chars >= 3)
            real[nreal++] = nouns[i].word;
    for (size_t i = 0; i < n; i++)
        order[i] = &nouns[i];
    qsort(order, n, sizeof *order, by_pool_then_cost);
    size_t top = n < 10 ? n : 10;
    for (size_t i = 0; i < top; i++)
        dense[ndense++] = order[i]->word;
    for (size_t i = 0; i < nlex; i++)
        dense[ndense++] = lexterms[i];
    for (size_t i = top; i < n; i++)
        dense[ndense++] = order[i]->word;

    write_sets(out, "realistic", real, nreal, sizes, nsizes);
    write_sets(out, "dense", dense, ndense, sizes, nsizes);
    fprintf(stderr, "gen-terms: %zu realistic and %zu dense terms available, sets written to %s\n",
            nreal, ndense, out);
    free(order);
    free(real);
    free(dense);
    free(lexterms);
    free(v);
    free(words_read);
    free(words_text);
    ys_lexicon_free(lex);
    return 0;
}
