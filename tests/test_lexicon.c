/* Lexicon parsing: every error with its exact message and position. */
#include <criterion/criterion.h>
#include <string.h>

#include "util.h"
#include "yamiscan.h"

#define HEAD "@category\tslang\n"

static ys_lexicon *lex;
static ys_error err;

static void setup(void)
{
    lex = ys_lexicon_new();
    memset(&err, 0, sizeof err);
}
static void teardown(void) { ys_lexicon_free(lex); }

TestSuite(lexicon, .init = setup, .fini = teardown);

static int parse(const char *text)
{
    return ys_lexicon_parse_tsv(lex, "t.tsv", text, strlen(text), &err);
}

Test(lexicon, parses_fields_comments_blank_lines_and_crlf)
{
    cr_assert_eq(parse("# comment\n\n" HEAD "a\tslang\t5\tlit\t闇バイト\r\n"
                       "b\tdefault\t-3\tre\t日給[0-9]+万\n  \n"),
                 YS_OK, "%s", err.message);
    cr_assert_eq(ys_lexicon_size(lex), 2);
    const ys_pattern *a = ys_lexicon_pattern(lex, 0), *b = ys_lexicon_pattern(lex, 1);
    cr_assert_str_eq(a->id, "a");
    cr_assert_str_eq(a->category, "slang");
    cr_assert_eq(a->weight, 5);
    cr_assert_eq(a->is_regex, 0);
    cr_assert_eq(a->expr_len, strlen("闇バイト"));
    cr_assert(memcmp(a->expr, "闇バイト", a->expr_len) == 0, "CR must be stripped");
    cr_assert_eq(a->line, 4);
    cr_assert_eq(a->col, 15);
    cr_assert_eq(b->weight, -3);
    cr_assert_eq(b->is_regex, 1);
    cr_assert_str_eq(b->category, "default");
}

Test(lexicon, a_byte_order_mark_is_not_part_of_the_first_line)
{
    cr_assert_eq(parse("\xEF\xBB\xBF" HEAD "a\tslang\t5\tlit\t闇バイト\n"), YS_OK, "%s",
                 err.message);
    cr_assert_str_eq(ys_lexicon_pattern(lex, 0)->category, "slang");
    const char list[] = "\xEF\xBB\xBF受け子\n出し子\n";
    cr_assert_eq(ys_lexicon_parse_list(lex, "l.txt", list, strlen(list), &err), YS_OK);
    const ys_pattern *p = ys_lexicon_pattern(lex, 1);
    cr_assert(p->expr_len == strlen("受け子") && !memcmp(p->expr, "受け子", p->expr_len));
    /* the TSV's term and the list's two */
    cr_assert_eq(ys_lexicon_size(lex), 3);
}

static void expect_error(const char *text, const char *message)
{
    cr_assert_eq(parse(text), YS_ELEXICON, "accepted: %s", text);
    cr_assert_str_eq(err.message, message);
}

Test(lexicon, duplicate_id)
{
    expect_error(HEAD "x\tslang\t1\tlit\ta\nx\tslang\t1\tlit\tb\n",
                 "t.tsv:3:1: duplicate id 'x' (first defined at t.tsv:2)");
}

/* @category's optional fourth field marks a paired category; nothing else
 * may stand there. */
Test(lexicon, a_category_may_be_paired)
{
    cr_assert_eq(parse("@category\toffer\tinvitations\tpaired\n"), YS_OK, "%s", err.message);
    expect_error("@category\toffer\tinvitations\tpair\n",
                 "t.tsv:1:29: @category's fourth field is 'paired' (the category counts only "
                 "through its @combo lines), not 'pair'");
}

Test(lexicon, duplicate_id_across_files)
{
    cr_assert_eq(parse("x\tdefault\t1\tlit\ta\n"), YS_OK);
    cr_assert_eq(ys_lexicon_parse_tsv(lex, "u.tsv", "\nx\tdefault\t1\tlit\tb\n", 20, &err),
                 YS_ELEXICON);
    cr_assert_str_eq(err.message, "u.tsv:2:1: duplicate id 'x' (first defined at t.tsv:1)");
}

Test(lexicon, unknown_category)
{
    expect_error(HEAD "x\tsleng\t1\tlit\ta\n",
                 "t.tsv:2:3: unknown category 'sleng' (declare it with @category)");
}

Test(lexicon, bad_weight)
{
    expect_error("x\tdefault\thigh\tlit\ta\n",
                 "t.tsv:1:11: bad weight 'high': expected an integer from -1000 to 1000");
    expect_error("y\tdefault\t1001\tlit\ta\n",
                 "t.tsv:1:11: bad weight '1001': expected an integer from -1000 to 1000");
    expect_error("z\tdefault\t\tlit\ta\n",
                 "t.tsv:1:11: bad weight '': expected an integer from -1000 to 1000");
}

Test(lexicon, bad_type)
{
    expect_error("x\tdefault\t1\tregex\ta\n", "t.tsv:1:13: bad type 'regex': expected 'lit', 'exact' or 're'");
}

Test(lexicon, empty_expression)
{
    expect_error("x\tdefault\t1\tlit\t\n", "t.tsv:1:17: empty expression");
}

Test(lexicon, wrong_field_count)
{
    expect_error("x\tdefault\t1\tlit\n",
                 "t.tsv:1:16: expected 5 or 6 tab-separated fields (id, category, weight, "
                 "type, expression, optional reading), found 4");
    expect_error("x\tdefault\t1\tlit\ta\tか\tb\n",
                 "t.tsv:1:20: expected 5 or 6 tab-separated fields (id, category, weight, "
                 "type, expression, optional reading), found 7");
}

Test(lexicon, readings_combos_and_threshold)
{
    expect_error("x\tdefault\t1\tlit\ta\tb\n",
                 "t.tsv:1:19: bad reading 'b': expected kana (hiragana or katakana)");
    expect_error("x\tdefault\t1\tre\ta\tか\n", "t.tsv:1:18: only 'lit' patterns take a reading");
    expect_error("@combo\tdefault+nope\t3\n",
                 "t.tsv:1:16: @combo needs two different declared categories");
    expect_error("@combo\tdefault\t3\n",
                 "t.tsv:1:1: @combo takes CATEGORY+CATEGORY, a bonus and an optional window");
    expect_error("@category\tpay\tp\n@combo\tdefault+pay\t3\t-2\n",
                 "t.tsv:2:22: bad window '-2': expected a number of characters from 0 to 1000");
    expect_error("@threshold\tlots\n", "t.tsv:1:12: @threshold takes an integer from -1000 to 1000");
    ys_error err;
    ys_lexicon *a = ys_lexicon_new(), *b = ys_lexicon_new();
    const char *ta = "@category\tpay\tp\n@combo\tdefault+pay\t2\n@threshold\t5\n"
                     "k\tdefault\t3\tlit\t受け子\tうけこ\n";
    const char *tb = "@category\tpay\tp\n@combo\tdefault+pay\t2\n@threshold\t6\n"
                     "k\tdefault\t3\tlit\t受け子\tうけこ\n";
    cr_assert_eq(ys_lexicon_parse_tsv(a, "a", ta, strlen(ta), &err), YS_OK, "%s", err.message);
    cr_assert_eq(ys_lexicon_parse_tsv(b, "b", tb, strlen(tb), &err), YS_OK, "%s", err.message);
    cr_assert_str_eq(ys_lexicon_pattern(a, 0)->reading, "うけこ");
    cr_assert_neq(ys_lexicon_hash(a), ys_lexicon_hash(b), "the threshold is content");
    ys_lexicon_free(a);
    ys_lexicon_free(b);
}

Test(lexicon, invalid_utf8_column_counts_characters)
{
    expect_error("x\tdefault\t1\tlit\t闇\xff\n", "t.tsv:1:18: invalid UTF-8");
}

Test(lexicon, bad_id_and_category_name)
{
    expect_error("闇\tdefault\t1\tlit\ta\n",
                 "t.tsv:1:1: bad id '闇': use letters, digits, '_', '-', '.' and ':'");
    expect_error("@category\tsl ang\n",
                 "t.tsv:1:11: bad category name 'sl ang': use letters, digits, '_' and '-'");
}

Test(lexicon, hash_depends_on_content_not_position)
{
    ys_lexicon *other = ys_lexicon_new();
    const char *a = "x\tdefault\t1\tlit\tabc\n", *b = "# moved\n\nx\tdefault\t1\tlit\tabc\n";
    cr_assert_eq(parse(a), YS_OK);
    cr_assert_eq(ys_lexicon_parse_tsv(other, "other.tsv", b, strlen(b), &err), YS_OK);
    cr_assert_eq(ys_lexicon_hash(lex), ys_lexicon_hash(other));
    cr_assert_eq(ys_lexicon_add_term(other, "def", &err), YS_OK);
    cr_assert_neq(ys_lexicon_hash(lex), ys_lexicon_hash(other));
    ys_lexicon_free(other);
}

Test(lexicon, plain_list_and_terms)
{
    const char *list = "闇バイト\n\n受け子\r\n";
    cr_assert_eq(ys_lexicon_parse_list(lex, "terms.txt", list, strlen(list), &err), YS_OK);
    cr_assert_eq(ys_lexicon_add_term(lex, "出し子", &err), YS_OK);
    cr_assert_eq(ys_lexicon_size(lex), 3);
    cr_assert_str_eq(ys_lexicon_pattern(lex, 0)->id, "terms.txt:1");
    cr_assert_str_eq(ys_lexicon_pattern(lex, 1)->id, "terms.txt:3");
    cr_assert_eq(ys_lexicon_pattern(lex, 1)->expr_len, strlen("受け子"));
    cr_assert_str_eq(ys_lexicon_pattern(lex, 2)->id, "e1");
    cr_assert_str_eq(ys_lexicon_pattern(lex, 2)->category, "default");
    cr_assert_eq(ys_lexicon_add_term(lex, "", &err), YS_ELEXICON);
}

Test(lexicon, missing_file_is_io_error)
{
    cr_assert_eq(ys_lexicon_load_tsv(lex, "/nonexistent/x.tsv", &err), YS_EIO);
    cr_assert_str_eq(err.message, "/nonexistent/x.tsv: No such file or directory");
}

Test(lexicon, hyperscan_error_maps_to_file_line_col)
{
    need_hyperscan();
    cr_assert_eq(parse(HEAD "ok\tslang\t1\tlit\tabc\nbad\tslang\t2\tre\t日給(\n"), YS_OK);
    ys_db *db;
    cr_assert_eq(ys_db_compile(lex, &db, &err), YS_ECOMPILE);
    cr_assert(strncmp(err.message, "t.tsv:3:16: pattern 'bad': ", 27) == 0, "%s", err.message);
}

Test(lexicon, empty_lexicon_does_not_compile)
{
    ys_db *db;
    cr_assert_eq(ys_db_compile(lex, &db, &err), YS_EINVAL);
    cr_assert_str_eq(err.message, "the lexicon has no patterns");
}
