/* yamiscan tune end to end: a tiny lexicon and labeled file with a known
 * optimum, the written lexicon (reloaded by eval, bytes kept), errors. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

/* ---- a temporary directory per test, removed also when the test fails ---- */

static char dir[512];

static void rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char sub[1024];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            rm_tree(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void make_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/yamiscan-tune-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    if (dir[0])
        rm_tree(dir);
}

TestSuite(tune, .init = make_dir, .fini = remove_dir);

static const char *in_dir(const char *name)
{
    static char paths[8][1024];
    static unsigned next;
    char *p = paths[next++ % 8];
    snprintf(p, 1024, "%s/%s", dir, name);
    return p;
}

typedef struct {
    int status;
    char *out, *err;
} result;

/* Runs a shell command in the test's directory, $YAMISCAN set by meson. */
static result sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static result sh(const char *fmt, ...)
{
    cr_assert_not_null(getenv("YAMISCAN"), "run the tune tests through meson test");
    char cmd[4096], full[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "cd '%s' && (%s) >run.out 2>run.err", dir, cmd);
    int st = system(full);
    result r = {WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), NULL, NULL};
    r.out = read_file(in_dir("run.out"), NULL);
    r.err = read_file(in_dir("run.err"), NULL);
    return r;
}

static void result_free(result *r)
{
    free(r->out);
    free(r->err);
}

/* ---- the fixtures ---- */

/* "offer" is in every positive, and alone it does not reach the threshold
 * as written (2 < 3): the fit must raise it. "news" is only in negatives
 * that also have an offer term: it must keep them below the threshold.
 * "noise" is in posts of both labels. Comments, a blank line with spaces,
 * a reading, CRLF line ends and a last line without one must survive
 * byte for byte. */
static const char lexicon[] =
    "# a tiny lexicon for tune's tests\n"
    "#\tcomment with a tab, kept as it is   \n"
    "@threshold\t3\n"
    "\n"
    "@category\toffer\tjob offers  (two spaces kept)\n"
    "@category\tnews\tnews\r\n"
    "@category\tnoise\twords of both kinds\n"
    "   \n"
    "@combo\toffer+noise\t1\n"
    "# --- offers\n"
    "offer.1\toffer\t2\tlit\t闇バイト\tやみばいと\n"
    "offer.2\toffer\t1\tlit\t高収入\r\n"
    "news.1\tnews\t-1\tlit\t逮捕\n"
    "noise.1\tnoise\t2\texact\t今日";

static const char labeled[] =
    "{\"id\":1,\"label\":1,\"text\":\"闇バイト募集中です\"}\n"
    "{\"id\":2,\"label\":1,\"text\":\"今日も闇バイトの案件\"}\n"
    "{\"id\":3,\"label\":1,\"text\":\"闇バイト、連絡ください\"}\n"
    "\n"
    "{\"id\":4,\"label\":1,\"text\":\"高収入の闇バイト\"}\n"
    "{\"id\":5,\"label\":1,\"text\":\"闇バイトで稼ごう\"}\n"
    "{\"id\":6,\"label\":1,\"text\":\"今日は闇バイト\"}\n"
    "{\"id\":7,\"label\":0,\"text\":\"闇バイトの犯人を逮捕\"}\n"
    "{\"id\":8,\"label\":0,\"text\":\"逮捕された闇バイトの受け子\"}\n"
    "{\"id\":9,\"label\":0,\"text\":\"今日は晴れ\"}\n"
    "{\"id\":10,\"label\":0,\"text\":\"今日の天気\"}\n"
    "{\"id\":11,\"label\":0,\"text\":\"闇バイトで逮捕されます\"}\n"
    "{\"id\":12,\"label\":0,\"text\":\"高収入の求人\"}\n";

static void write_fixtures(void)
{
    write_file(in_dir("lex.tsv"), lexicon, strlen(lexicon));
    write_file(in_dir("posts.jsonl"), labeled, strlen(labeled));
}

/* The "precision … F1 …" part of the line of `s` that contains `tag`. */
static void figures(const char *s, const char *tag, char *out, size_t cap)
{
    const char *line = strstr(s, tag);
    cr_assert_not_null(line, "no '%s' line in:\n%s", tag, s);
    const char *p = strstr(line, "precision ");
    cr_assert_not_null(p, "no figures after '%s'", tag);
    size_t n = strcspn(p, "\n");
    cr_assert_lt(n, cap);
    memcpy(out, p, n);
    out[n] = 0;
}

/* The integer in field `field` (tab-separated) of the line starting with
 * `start` in s. */
static long field_of(const char *s, const char *start, int field)
{
    size_t k = strlen(start);
    for (const char *p = s; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, start, k) == 0) {
            const char *f = p;
            for (int i = 0; i < field; i++) {
                f = strchr(f, '\t');
                cr_assert_not_null(f);
                f++;
            }
            return strtol(f, NULL, 10);
        }
    cr_assert_fail("no line starting with '%s' in:\n%s", start, s);
    return 0;
}

/* ---- tests ---- */

Test(tune, finds_the_known_optimum_and_prints_cross_validation)
{
    write_fixtures();
    /* As written, the lexicon misses the positives with an offer alone. */
    result e = sh("\"$YAMISCAN\" eval -l lex.tsv posts.jsonl");
    cr_assert(strstr(e.out, "recall 0.333"), "%s", e.out);
    result_free(&e);
    result r = sh("\"$YAMISCAN\" tune -l lex.tsv --folds 2 posts.jsonl -o out.tsv");
    cr_assert_eq(r.status, 0, "status %d: %s", r.status, r.err);
    /* Fitted, every post is decided right. */
    cr_assert(strstr(r.out, "training: tp 6 fp 0 fn 0 tn 6"), "%s", r.out);
    cr_assert(strstr(r.out, "precision 1.000  recall 1.000  F1 1.000"), "%s", r.out);
    const char *want[] = {"fold 1 ", "fold 2 ", "  pooled: tp ", "window 0, pooled: ",
                          "window 80, pooled: ", "chosen: @window "};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        cr_assert(strstr(r.out, want[i]), "no '%s' in:\n%s", want[i], r.out);
    char *out = read_file(in_dir("out.tsv"), NULL);
    long thr = field_of(out, "@threshold\t", 1), offer = field_of(out, "offer.1\t", 2),
         offer2 = field_of(out, "offer.2\t", 2), news = field_of(out, "news.1\t", 2),
         noise = field_of(out, "noise.1\t", 2);
    cr_assert(thr >= 10 && thr <= 20, "threshold %ld, not scaled to about 15", thr);
    cr_assert_geq(offer, thr, "闇バイト alone must flag: %ld < %ld", offer, thr);
    cr_assert_lt(offer2, thr, "高収入 alone is a negative");
    cr_assert_lt(news, 0, "context stays negative");
    cr_assert_lt(offer + news, thr, "闇バイト with 逮捕 must stay unflagged");
    cr_assert_lt(noise, thr, "今日 alone is a negative");
    cr_assert_gt(noise, 0, "a positive term stays positive");
    free(out);
    result_free(&r);
}

/* A paired category is not fitted: its weights stay as written (they only
 * rank its terms), and its combo is fitted as any other: here 今日 is
 * paired, so 今日 alone cannot flag, and 闇バイト with it gets the bonus. */
Test(tune, a_paired_category_keeps_its_weights_and_fits_its_combos)
{
    write_fixtures();
    char *paired = read_file(in_dir("lex.tsv"), NULL);
    const char *from = "@category\tnoise\twords of both kinds\n";
    char *at = strstr(paired, from);
    cr_assert_not_null(at);
    size_t n = strlen(paired);
    char *lex = malloc(n + 16);
    size_t head = (size_t)(at - paired) + strlen(from) - 1;
    memcpy(lex, paired, head);
    strcpy(lex + head, "\tpaired");
    strcat(lex, paired + head);
    write_file(in_dir("paired.tsv"), lex, strlen(lex));
    free(lex);
    free(paired);
    result r = sh("\"$YAMISCAN\" tune -l paired.tsv --folds 2 posts.jsonl -o out.tsv");
    cr_assert_eq(r.status, 0, "status %d: %s", r.status, r.err);
    cr_assert(!strstr(r.out, "  noise "), "a paired category has no factor:\n%s", r.out);
    char *out = read_file(in_dir("out.tsv"), NULL);
    cr_assert(strstr(out, "@category\tnoise\twords of both kinds\tpaired\n"), "%s", out);
    cr_assert_eq(field_of(out, "noise.1\t", 2), 2, "written as it was");
    long thr = field_of(out, "@threshold\t", 1), offer = field_of(out, "offer.1\t", 2);
    cr_assert_geq(offer, thr, "闇バイト alone must flag");
    free(out);
    result e = sh("\"$YAMISCAN\" explain -l out.tsv 今日の天気");
    cr_assert_eq(e.status, 1, "今日 alone is not flagged: %s", e.out);
    result_free(&e);
    result_free(&r);
}

/* Two context terms of one category, equal as written: 逮捕 is in the
 * reports, コンビニ in ads too (the ATM they send the recruit to). A factor
 * per category cannot tell them apart, so some post stays wrong; a weight
 * per term (--term-l2, on by default) can: コンビニ ends up weaker. */
static const char two_terms_lexicon[] = "@threshold\t3\n"
                                        "@category\tjob\tjobs\n@category\tctx\tcontext\n"
                                        "job.1\tjob\t4\tlit\t闇バイト\n"
                                        "ctx.1\tctx\t-4\tlit\t逮捕\n"
                                        "ctx.2\tctx\t-4\tlit\tコンビニ\n";

static const char two_terms_posts[] =
    "{\"label\":1,\"text\":\"闇バイト、コンビニのATMで引き出すだけ\"}\n"
    "{\"label\":1,\"text\":\"闇バイトです。コンビニに来て\"}\n"
    "{\"label\":1,\"text\":\"コンビニ前で待ち合わせ、闇バイト\"}\n"
    "{\"label\":1,\"text\":\"闇バイト募集\"}\n"
    "{\"label\":1,\"text\":\"闇バイトあります\"}\n"
    "{\"label\":1,\"text\":\"今すぐ闇バイト\"}\n"
    "{\"label\":0,\"text\":\"闇バイトの男を逮捕\"}\n"
    "{\"label\":0,\"text\":\"闇バイトで逮捕された\"}\n"
    "{\"label\":0,\"text\":\"逮捕、闇バイトの指示役\"}\n"
    "{\"label\":0,\"text\":\"闇バイト事件で三人逮捕\"}\n"
    "{\"label\":0,\"text\":\"逮捕者が出た闇バイト\"}\n"
    "{\"label\":0,\"text\":\"闇バイトの元締め逮捕\"}\n";

Test(tune, a_weight_per_term_tells_apart_what_the_category_factor_cannot)
{
    write_file(in_dir("two.tsv"), two_terms_lexicon, strlen(two_terms_lexicon));
    write_file(in_dir("two.jsonl"), two_terms_posts, strlen(two_terms_posts));
    result r = sh("\"$YAMISCAN\" tune -l two.tsv --folds 2 --window 0 --term-l2 0 two.jsonl "
                  "-o factor.tsv");
    cr_assert_eq(r.status, 0, "status %d: %s", r.status, r.err);
    cr_assert_not(strstr(r.out, "training: tp 6 fp 0 fn 0 tn 6"), "%s", r.out);
    char *lex = read_file(in_dir("factor.tsv"), NULL);
    cr_assert_eq(field_of(lex, "ctx.1\t", 2), field_of(lex, "ctx.2\t", 2),
                 "one factor: equal as written, equal as fitted:\n%s", lex);
    free(lex);
    result_free(&r);
    r = sh("\"$YAMISCAN\" tune -l two.tsv --folds 2 --window 0 two.jsonl -o terms.tsv");
    cr_assert_eq(r.status, 0, "status %d: %s", r.status, r.err);
    cr_assert(strstr(r.out, "training: tp 6 fp 0 fn 0 tn 6"), "%s", r.out);
    lex = read_file(in_dir("terms.tsv"), NULL);
    long arrest = field_of(lex, "ctx.1\t", 2), shop = field_of(lex, "ctx.2\t", 2);
    cr_assert_lt(arrest, shop, "逮捕 %ld must weigh more against than コンビニ %ld", arrest, shop);
    cr_assert_lt(shop, 0, "context stays context");
    free(lex);
    result_free(&r);
    /* the written lexicon scores as the tuner said */
    r = sh("\"$YAMISCAN\" eval -l terms.tsv two.jsonl");
    cr_assert(strstr(r.out, "precision 1.000  recall 1.000"), "%s", r.out);
    result_free(&r);
}

/* Everything after the first line of s (the header names the file). */
static const char *after_header(const char *s)
{
    const char *nl = strchr(s, '\n');
    cr_assert_not_null(nl);
    return nl + 1;
}

Test(tune, flat_fits_the_same_whatever_the_weights_written)
{
    /* the fixture, and the fixture with other magnitudes, signs kept */
    write_fixtures();
    char *other = strdup(lexicon);
    cr_assert_not_null(other);
    char *w = strstr(other, "offer\t2\tlit\t闇バイト");
    cr_assert_not_null(w);
    w[6] = '7';
    w = strstr(other, "news\t-1\t");
    cr_assert_not_null(w);
    w[6] = '5';
    w = strstr(other, "offer+noise\t1");
    cr_assert_not_null(w);
    w[12] = '4';
    write_file(in_dir("other.tsv"), other, strlen(other));
    free(other);
    result a = sh("\"$YAMISCAN\" tune --flat -l lex.tsv --folds 3 posts.jsonl -o out.tsv");
    cr_assert_eq(a.status, 0, "%s", a.err);
    char *la = read_file(in_dir("out.tsv"), NULL);
    result b = sh("\"$YAMISCAN\" tune --flat -l other.tsv --folds 3 posts.jsonl -o out.tsv");
    cr_assert_eq(b.status, 0, "%s", b.err);
    cr_assert_str_eq(a.out, b.out, "the fits' reports differ");
    char *lb = read_file(in_dir("out.tsv"), NULL);
    cr_assert_str_eq(after_header(la), after_header(lb), "the written lexicons differ");
    free(lb);
    result_free(&b);
    /* without --flat the fit starts from the weights written, and so ends
     * elsewhere */
    b = sh("\"$YAMISCAN\" tune -l other.tsv --folds 3 posts.jsonl -o out.tsv");
    cr_assert_eq(b.status, 0, "%s", b.err);
    lb = read_file(in_dir("out.tsv"), NULL);
    cr_assert_str_neq(after_header(la), after_header(lb), "a fit that ignores the weights written");
    /* the flat fit still finds what the fixture's optimum needs: every
     * positive flagged, every negative not, on the training posts */
    cr_assert(strstr(a.out, "training: tp 6 fp 0 fn 0 tn 6"), "%s", a.out);
    cr_assert(strncmp(la, "# fitted by: yamiscan tune --flat -l lex.tsv", 44) == 0, "%.80s", la);
    free(la);
    free(lb);
    result_free(&a);
    result_free(&b);
}

Test(tune, written_lexicon_reloads_and_scores_as_reported)
{
    write_fixtures();
    result r = sh("\"$YAMISCAN\" tune -l lex.tsv --folds 3 posts.jsonl -o out.tsv");
    cr_assert_eq(r.status, 0, "status %d: %s", r.status, r.err);
    char want[256], got[256];
    figures(r.out, "training:", want, sizeof want);
    result e = sh("\"$YAMISCAN\" eval -l out.tsv posts.jsonl");
    cr_assert_eq(e.status, 0, "%s", e.err);
    figures(e.out, "\nprecision ", got, sizeof got);
    cr_assert_str_eq(got, want, "eval of the written lexicon: %s; tune said: %s", got, want);
    /* The header records the exact command (in the order given) and the
     * pooled CV figures. */
    char *out = read_file(in_dir("out.tsv"), NULL);
    const char *cmd = "# fitted by: yamiscan tune -l lex.tsv --folds 3 posts.jsonl -o out.tsv; "
                      "@window ";
    cr_assert(strncmp(out, cmd, strlen(cmd)) == 0, "header: %.200s", out);
    figures(r.out, "  pooled:", want, sizeof want);
    char *nl = strchr(out, '\n');
    *nl = 0;
    cr_assert(strstr(out, "-fold CV (seed 1): precision "), "%s", out);
    /* the pooled figures, in the header's words */
    double p, rc, f;
    cr_assert_eq(sscanf(want, "precision %lf  recall %lf  F1 %lf", &p, &rc, &f), 3);
    char hdr[128];
    snprintf(hdr, sizeof hdr, "precision %.3f recall %.3f F1 %.3f", p, rc, f);
    cr_assert(strstr(out, hdr), "header '%s' lacks '%s'", out, hdr);
    free(out);
    result_free(&e);
    /* Tuning the written file again replaces the header line, not stacks it. */
    result r2 = sh("\"$YAMISCAN\" tune -l out.tsv --folds 3 posts.jsonl -o out2.tsv");
    cr_assert_eq(r2.status, 0, "%s", r2.err);
    char *out2 = read_file(in_dir("out2.tsv"), NULL);
    cr_assert_eq(count_str(out2, "# fitted by: yamiscan tune"), 1, "%s", out2);
    free(out2);
    result_free(&r2);
    result_free(&r);
}

/* Masks the number in tab-separated field `field` of a line. */
static void mask_field(char *line, int field)
{
    char *f = line;
    for (int i = 0; i < field; i++)
        f = strchr(f, '\t') + 1;
    char *e = f;
    while (*e == '-' || (*e >= '0' && *e <= '9'))
        e++;
    *f = '#';
    memmove(f + 1, e, strlen(e) + 1);
}

/* Splits s into lines with their ends kept; returns the count. */
static size_t split_lines(char *s, char **lines, size_t max)
{
    size_t n = 0;
    while (*s && n < max) {
        lines[n++] = s;
        char *nl = strchr(s, '\n');
        if (!nl)
            break;
        s = nl + 1;
    }
    return n;
}

Test(tune, everything_but_the_weights_is_kept_byte_for_byte)
{
    write_fixtures();
    result r = sh("\"$YAMISCAN\" tune -l lex.tsv --folds 2 --window 10 posts.jsonl -o out.tsv");
    cr_assert_eq(r.status, 0, "status %d: %s", r.status, r.err);
    char *out = read_file(in_dir("out.tsv"), NULL), in[sizeof lexicon];
    memcpy(in, lexicon, sizeof lexicon);
    /* Lines are compared with their ends ("\n", "\r\n", none). */
    char *ol[64], *il[64];
    size_t no = split_lines(out, ol, 64), ni = split_lines(in, il, 64);
    cr_assert(strncmp(ol[0], "# fitted by: yamiscan tune ", 27) == 0, "%s", ol[0]);
    /* The added directives: right after @threshold, in the file's order. */
    cr_assert(strncmp(ol[4], "@window\t10\n", 11) == 0, "%.40s", ol[4]);
    cr_assert(strncmp(ol[5], "@rule\tquoted\t", 13) == 0, "%.40s", ol[5]);
    cr_assert(strncmp(ol[6], "@rule\tquestion\t", 15) == 0, "%.40s", ol[6]);
    cr_assert(strncmp(ol[7], "@rule\tlone\t", 11) == 0, "%.40s", ol[7]);
    cr_assert_eq(no, ni + 5, "%zu lines written for %zu", no, ni);
    for (size_t i = 0; i < ni; i++) {
        size_t o = i <= 2 ? i + 1 : i + 5; /* the header; 4 lines after @threshold (line 3) */
        size_t li = (i + 1 < ni ? (size_t)(il[i + 1] - il[i]) : strlen(il[i]));
        size_t lo = (o + 1 < no ? (size_t)(ol[o + 1] - ol[o]) : strlen(ol[o]));
        char a[512], b[512];
        cr_assert_lt(li, sizeof a);
        cr_assert_lt(lo, sizeof b);
        memcpy(a, il[i], li), a[li] = 0;
        memcpy(b, ol[o], lo), b[lo] = 0;
        int field = !strncmp(a, "@threshold\t", 11) ? 1
                    : a[0] == '#' || a[0] == ' ' || a[0] == '\n' || !strncmp(a, "@category", 9)
                        ? -1
                        : 2; /* patterns and @combo */
        if (field >= 0) {
            if (field == 2 && strncmp(a, "@combo", 6) != 0)
                cr_assert_eq(strtol(strchr(strchr(a, '\t') + 1, '\t') + 1, NULL, 10) > 0,
                             strtol(strchr(strchr(b, '\t') + 1, '\t') + 1, NULL, 10) > 0,
                             "sign changed: %s -> %s", a, b);
            mask_field(a, field);
            mask_field(b, field);
        }
        cr_assert_str_eq(b, a, "line %zu changed beyond its weight", i + 1);
    }
    /* The last line had no newline, and still has none; CRLF kept. */
    cr_assert_null(strchr(ol[no - 1], '\n'));
    cr_assert(strstr(out, "\tnews\r\n") && strstr(out, "\t高収入\r\n"));
    free(out);
    result_free(&r);
}

Test(tune, same_seed_same_figures)
{
    write_fixtures();
    result a = sh("\"$YAMISCAN\" tune -l lex.tsv --folds 3 --seed 7 posts.jsonl");
    result b = sh("\"$YAMISCAN\" tune -l lex.tsv --folds 3 --seed 7 posts.jsonl");
    cr_assert_eq(a.status, 0, "%s", a.err);
    cr_assert_str_eq(a.out, b.out);
    cr_assert(strstr(a.out, "seed 7"));
    result_free(&a);
    result_free(&b);
}

/* --group-by keeps a group's posts in one fold: three groups of 6, 4 and 2
 * posts are dealt largest first, each to the fold with fewest posts. */
Test(tune, group_by_keeps_each_group_in_one_fold)
{
    write_fixtures();
    static const char groups[] = "abbbbcaaabbc"; /* post i+1's group */
    char grouped[sizeof labeled + 256], *w = grouped;
    const char *p = labeled;
    for (int i = 0; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = (size_t)(nl - p);
        if (n == 0) {
            *w++ = '\n';
        } else { /* {"id":…  ->  {"batch":"g","id":… */
            w += sprintf(w, "{\"batch\":\"%c\",%.*s\n", groups[i++], (int)(n - 1), p + 1);
        }
        p = nl + 1;
    }
    *w = 0;
    write_file(in_dir("grouped.jsonl"), grouped, strlen(grouped));
    result r = sh("\"$YAMISCAN\" tune -l lex.tsv --folds 3 --group-by batch grouped.jsonl");
    cr_assert_eq(r.status, 0, "status %d: %s", r.status, r.err);
    const char *want[] = {"3-fold cross-validation by \"batch\" (3 groups)",
                          "fold 1 (batch \"b\"; 6 posts", "fold 2 (batch \"a\"; 4 posts",
                          "fold 3 (batch \"c\"; 2 posts"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        cr_assert(strstr(r.out, want[i]), "no '%s' in:\n%s", want[i], r.out);
    result_free(&r);
    /* More folds than groups, and a post without the field, are errors. */
    r = sh("\"$YAMISCAN\" tune -l lex.tsv --folds 4 --group-by batch grouped.jsonl");
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "3 distinct \"batch\" values"), "%s", r.err);
    result_free(&r);
    r = sh("\"$YAMISCAN\" tune -l lex.tsv --folds 2 --group-by batch posts.jsonl");
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "posts.jsonl:1: no \"batch\" value"), "%s", r.err);
    result_free(&r);
}

/* The out-of-fold threshold shift is printed; --cv-threshold adds it to the
 * threshold written, and the header says so. */
Test(tune, cv_threshold_adds_the_out_of_fold_shift)
{
    write_fixtures();
    result a = sh("\"$YAMISCAN\" tune -l lex.tsv --folds 2 posts.jsonl -o a.tsv");
    result b = sh("\"$YAMISCAN\" tune -l lex.tsv --folds 2 --cv-threshold posts.jsonl -o b.tsv");
    cr_assert_eq(a.status, 0, "%s", a.err);
    cr_assert_eq(b.status, 0, "%s", b.err);
    const char *line = strstr(b.out, "out-of-fold threshold shift with the best pooled F1: ");
    cr_assert_not_null(line, "%s", b.out);
    int shift = atoi(line + strlen("out-of-fold threshold shift with the best pooled F1: "));
    cr_assert(strstr(a.out, "(--cv-threshold adds it)"), "%s", a.out);
    char *la = read_file(in_dir("a.tsv"), NULL), *lb = read_file(in_dir("b.tsv"), NULL);
    cr_assert_eq(field_of(lb, "@threshold\t", 1), field_of(la, "@threshold\t", 1) + shift,
                 "shift %d", shift);
    char want[64];
    snprintf(want, sizeof want, "; threshold shifted %+d by it", shift);
    cr_assert(strstr(lb, want), "%.300s", lb);
    cr_assert(!strstr(la, "threshold shifted"));
    free(la);
    free(lb);
    result_free(&a);
    result_free(&b);
}

Test(tune, a_bad_label_line_is_an_error_with_its_place)
{
    write_fixtures();
    const char bad[] = "{\"id\":1,\"label\":1,\"text\":\"闇バイト\"}\n"
                       "\n"
                       "{\"id\":2,\"label\":2,\"text\":\"今日\"}\n";
    write_file(in_dir("bad.jsonl"), bad, strlen(bad));
    result r = sh("\"$YAMISCAN\" tune -l lex.tsv bad.jsonl -o out.tsv");
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "bad.jsonl:3: \"label\" must be 1 or 0"), "%s", r.err);
    cr_assert_neq(access(in_dir("out.tsv"), F_OK), 0, "nothing may be written");
    result_free(&r);

    const char broken[] = "{\"id\":1,\"label\":1,\"text\":\"闇バイト\"}\n{\"id\":2,\"label\":\n";
    write_file(in_dir("broken.jsonl"), broken, strlen(broken));
    r = sh("\"$YAMISCAN\" tune -l lex.tsv broken.jsonl");
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "broken.jsonl:2: "), "%s", r.err);
    result_free(&r);

    r = sh("\"$YAMISCAN\" tune -l lex.tsv --folds 7 posts.jsonl");
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "6 positive and 6 negative posts"), "%s", r.err);
    result_free(&r);
}

Test(tune, usage_errors_and_refused_outputs)
{
    write_fixtures();
    write_file(in_dir("lex2.tsv"), "", 0);
    result r = sh("\"$YAMISCAN\" tune -l lex.tsv -l lex2.tsv -o out.tsv posts.jsonl");
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "-o writes one lexicon file, and 2 -l files were given"), "%s", r.err);
    result_free(&r);

    /* Only regular files are replaced: not a link (its target is kept)… */
    cr_assert_eq(symlink("lex.tsv", in_dir("link.tsv")), 0);
    r = sh("\"$YAMISCAN\" tune -l lex.tsv --folds 2 posts.jsonl -o link.tsv");
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "link.tsv: not a regular file"), "%s", r.err);
    char *kept = read_file(in_dir("lex.tsv"), NULL);
    cr_assert_str_eq(kept, lexicon);
    free(kept);
    result_free(&r);
    /* …nor a directory; and no temporary file is left behind. */
    cr_assert_eq(mkdir(in_dir("d.tsv"), 0755), 0);
    r = sh("\"$YAMISCAN\" tune -l lex.tsv --folds 2 posts.jsonl -o d.tsv");
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "d.tsv: not a regular file"), "%s", r.err);
    result_free(&r);
    r = sh("ls -a | grep -c tune- || true");
    cr_assert_str_eq(r.out, "0\n");
    result_free(&r);

    r = sh("\"$YAMISCAN\" tune -e 闇バイト posts.jsonl");
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "-f/-e terms"), "%s", r.err);
    result_free(&r);
    r = sh("\"$YAMISCAN\" tune -l lex.tsv --folds 1 posts.jsonl");
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "bad --folds '1'"), "%s", r.err);
    result_free(&r);
    r = sh("\"$YAMISCAN\" tune -l lex.tsv");
    cr_assert_eq(r.status, 2);
    result_free(&r);
    r = sh("\"$YAMISCAN\" tune -l missing.tsv posts.jsonl");
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "missing.tsv"), "%s", r.err);
    result_free(&r);
}

Test(tune, help_documents_it)
{
    result r = sh("\"$YAMISCAN\" help tune");
    cr_assert_eq(r.status, 0);
    const char *opts[] = {"--lexicon", "--output", "--folds", "--seed", "--window", "--l2",
                          "--term-l2", "--engine", "--model", "--blend", "--quote-frames",
                          "--quote-share", "Exit status", "cross-validation"};
    for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
        cr_assert(strstr(r.out, opts[i]), "help tune lacks %s", opts[i]);
    result_free(&r);
    r = sh("\"$YAMISCAN\" help");
    cr_assert(strstr(r.out, "  tune "), "%s", r.out);
    result_free(&r);
}

/* A lexicon refit (tune -o) keeps a @model line as it is: the line is
 * neither a pattern nor a weight (it once failed as "out of memory"). */
Test(tune, a_refit_keeps_the_model_line)
{
    write_fixtures();
    static const char model[] = "@bias\t0\n@points\t1\n0.5\t1\t闇\n";
    write_file(in_dir("m.model"), model, strlen(model));
    char *with = malloc(strlen(lexicon) + 64);
    cr_assert_not_null(with);
    sprintf(with, "@model\tm.model\n%s", lexicon);
    write_file(in_dir("lex.tsv"), with, strlen(with));
    result r = sh("\"$YAMISCAN\" tune -l lex.tsv --folds 2 posts.jsonl -o out.tsv");
    cr_assert_eq(r.status, 0, "status %d: %s", r.status, r.err);
    result_free(&r);
    char *out = read_file(in_dir("out.tsv"), NULL);
    cr_assert(strstr(out, "\n@model\tm.model\n"), "%s", out);
    free(out);
    free(with);
}

/* The weight of GRAM in a model file (WEIGHT TAB IDF TAB GRAM lines), or
 * NAN when the model lacks it. */
static double gram_weight(const char *model, const char *gram)
{
    for (const char *p = model; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        const char *t1 = strchr(p, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        const char *eol = strchr(p, '\n');
        if (p[0] == '#' || p[0] == '@' || !t2 || (eol && t2 > eol))
            continue;
        size_t gl = (eol ? (size_t)(eol - t2) : strlen(t2)) - 1;
        if (gl == strlen(gram) && memcmp(t2 + 1, gram, gl) == 0)
            return strtod(p, NULL);
    }
    return NAN;
}

/* --quote-frames: each ad, inside a frame, is one more harmless post of
 * the model's fits (its comment's grams learn a negative weight), and no
 * figure counts it. */
Test(tune, quote_frames_join_the_models_fit_and_no_figure)
{
    write_fixtures();
    static const char frames[] = "\xef\xbb\xbf# a byte-order mark, comments and blank lines "
                                 "are skipped\n\n\t{NL}通報した\r\n";
    write_file(in_dir("frames.tsv"), frames, strlen(frames));
    result a = sh("\"$YAMISCAN\" tune --folds 2 --model plain.model -l lex.tsv posts.jsonl");
    result b = sh("\"$YAMISCAN\" tune --folds 2 --model framed.model --quote-frames frames.tsv "
                  "--quote-share 1 -l lex.tsv posts.jsonl");
    cr_assert_eq(a.status, 0, "%s", a.err);
    cr_assert_eq(b.status, 0, "%s", b.err);
    cr_assert_null(strstr(a.out, "framed as quotations"), "%s", a.out);
    cr_assert(strstr(b.out, "plus 6 ads framed as quotations (frames.tsv, 1 frame)"), "%s", b.out);
    cr_assert(strstr(b.out, " in 18 posts (6 of them framed);"), "%s", b.out);
    /* the figures are of the 12 labeled posts, with frames or without */
    const char *tags[] = {"pooled, lexicon and model: ", "fitted on all 12 posts"};
    for (int k = 0; k < 2; k++) {
        const char *out = k ? b.out : a.out, *pooled = strstr(out, tags[0]);
        cr_assert(pooled && strstr(out, tags[1]), "%s", out);
        unsigned tp, fp, fn, tn;
        cr_assert_eq(sscanf(pooled + strlen(tags[0]), "tp %u fp %u fn %u tn %u", &tp, &fp, &fn,
                            &tn), 4);
        cr_assert_eq(tp + fp + fn + tn, 12, "%s", out);
    }
    char *plain = read_file(in_dir("plain.model"), NULL), *framed = read_file(in_dir("framed.model"), NULL);
    cr_assert(isnan(gram_weight(plain, "通報")), "no labeled post has 通報");
    cr_assert_lt(gram_weight(framed, "通報"), 0, "the frame's words count against an ad");
    cr_assert_null(strstr(framed, "NL}"), "{NL} is a line break, not its letters");
    /* the lexicon's slope, and so the points, are of the labeled posts */
    const char *pa = strstr(plain, "\n@points\t"), *pb = strstr(framed, "\n@points\t");
    cr_assert(pa && pb);
    cr_assert_eq(strcspn(pa + 1, "\n"), strcspn(pb + 1, "\n"));
    cr_assert_eq(strncmp(pa, pb, strcspn(pa + 1, "\n") + 1), 0, "%.40s against %.40s", pa, pb);
    cr_assert(strstr(framed, "--quote-frames frames.tsv --quote-share 1"),
              "the header records the command: %.300s", framed);
    free(plain);
    free(framed);
    result_free(&a);
    result_free(&b);
}

Test(tune, a_bad_frames_file_or_option_is_refused_with_its_place)
{
    write_fixtures();
    static const struct {
        const char *frames, *want;
    } bad[] = {
        {"ok\tfine\nno tab here\n", "frames.tsv:2: expected PREFIX<TAB>SUFFIX"},
        {"# one\n\t\n", "frames.tsv:2: expected PREFIX<TAB>SUFFIX"},
        {"a\tb\tc\n", "frames.tsv:1: expected PREFIX<TAB>SUFFIX"},
        {"# only a comment\n", "frames.tsv: no frames"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_file(in_dir("frames.tsv"), bad[i].frames, strlen(bad[i].frames));
        result r = sh("\"$YAMISCAN\" tune --folds 2 --model - --quote-frames frames.tsv "
                      "-l lex.tsv posts.jsonl");
        cr_assert_eq(r.status, 2, "accepted %s", bad[i].frames);
        cr_assert(strstr(r.err, bad[i].want), "%s lacks %s", r.err, bad[i].want);
        result_free(&r);
    }
    static const char *const usage[][2] = {
        {"--quote-frames frames.tsv -l lex.tsv posts.jsonl", "give --model"},
        {"--model - --quote-frames frames.tsv --quote-share 0 -l lex.tsv posts.jsonl",
         "bad --quote-share '0'"},
        {"--model - --quote-frames frames.tsv --quote-share 1.5 -l lex.tsv posts.jsonl",
         "bad --quote-share '1.5'"},
        {"--model - --quote-frames missing.tsv -l lex.tsv posts.jsonl", "missing.tsv"},
        {"--model - --quote-share 0.5 -l lex.tsv posts.jsonl", "give --quote-frames"},
    };
    for (size_t i = 0; i < sizeof usage / sizeof *usage; i++) {
        result r = sh("\"$YAMISCAN\" tune --folds 2 %s", usage[i][0]);
        cr_assert_eq(r.status, 2, "accepted %s", usage[i][0]);
        cr_assert(strstr(r.err, usage[i][1]), "%s lacks %s", r.err, usage[i][1]);
        result_free(&r);
    }
}
