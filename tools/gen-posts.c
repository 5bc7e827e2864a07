/* gen-posts — writes a deterministic feed of synthetic Japanese posts as
 * JSONL: everyday chatter, news about 闇バイト arrests, food posts where 叩き
 * is a fish dish, and recruitment ads (some with evasive spellings), each
 * with a known label. Every template and word list is written for this
 * project. With --prose, everyday posts are excerpts of real Japanese prose
 * from a sentence pool (bench/prose-pool), with lengths spread like real
 * posts. The same options and seed always give the same bytes.
 *
 *   gen-posts [--posts N | --bytes N] [--seed S] [--prose POOL]
 *             [--recruit-pct P] [--news-pct P] [--food-pct P] [--escape-pct P]
 *
 * corpora/sample.jsonl.zst is `gen-posts --posts 150000 --seed 1 | zstd -19`.
 */
#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t rng_state;

static uint64_t rnd(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned pick(unsigned n) { return (unsigned)(rnd() % n); }
#define ANY(a) (a)[pick(N(a))]

static const char *const places[] = {
    "駅前のカフェ", "近所の公園", "会社の食堂", "実家", "図書館", "商店街", "海辺",
    "新しくできたパン屋", "大学のキャンパス", "駅ビルの本屋", "川沿いの遊歩道", "温泉街"};
static const char *const foods[] = {
    "ラーメン", "カレー", "おにぎり", "パスタ", "唐揚げ定食", "そば", "オムライス",
    "たこ焼き", "ハンバーグ", "焼き魚定食", "親子丼", "餃子"};
static const char *const feelings[] = {
    "最高だった。", "ちょっと疲れたけど楽しかった。", "また行きたいな。", "眠い…",
    "明日も頑張ろう。", "幸せな一日でした。", "雨が降らなくてよかった。",
    "財布が軽くなった。", "写真をたくさん撮った。", "なんだか落ち着く。"};
static const char *const chatter[] = {
    "今日は朝から雨で、洗濯物が乾かない。",
    "仕事帰りに同僚と少しだけ飲んだ。",
    "新しいゲームを買ったけど、まだ説明書しか読んでいない。",
    "猫が膝の上から動いてくれないので作業が進まない。",
    "週末は友達と映画を見に行く予定。",
    "駅の階段で転びそうになって恥ずかしかった。",
    "資格試験の勉強をそろそろ本気で始めないといけない。",
    "久しぶりに部屋の掃除をしたら昔の手紙が出てきた。",
    "電車が遅れて会議に少し遅刻してしまった。",
    "ベランダのトマトがやっと赤くなってきた。",
    "夜更かしした次の日はいつもこうなる。",
    "子どもの運動会で一緒に走ったら筋肉痛になった。",
    "スマホの画面を割ってしまい、修理の予約をした。",
    "バイト先の店長がシフトを調整してくれて助かった。",
    "近くのスーパーで野菜が安かったので、たくさん買い込んだ。",
    "来月から新しい部署に異動することになった。",
    "朝のランニングを始めて一週間、少し体が軽い気がする。",
    "友達の結婚式でスピーチを頼まれて緊張している。"};
static const char *const prefs[] = {"東京都", "大阪府", "神奈川県", "愛知県", "福岡県",
                                    "北海道", "埼玉県", "千葉県", "兵庫県", "広島県"};
static const char *const news[] = {
    "%s警は、SNSの闇バイトに応募して受け子をしていた%d歳の男を詐欺の疑いで逮捕した。",
    "%sで起きた強盗事件で、警察は闇バイトで集められた実行役%d人を逮捕した。",
    "【注意】%s警によると、ホワイト案件をうたう求人から特殊詐欺に加担する若者が増えている。被害は%d件。",
    "%s警は「高収入」「即日即金」などの募集は闇バイトの可能性があるとして注意を呼びかけている（%d日）。",
    "ニュースで見たけど、%sで出し子をしていた%d代の学生が捕まったらしい。怖すぎる。",
    "闇バイトの相談窓口に%sでは今年%d件の相談があったと発表された。"};
static const char *const fish[] = {
    "高知でカツオの叩きを食べた。藁焼きの香りがたまらない。",
    "今夜は鰹の叩きとビール。%d回目のリピート。",
    "アジのたたきを作ってみた。薬味たっぷりで%d点。",
    "居酒屋の牛の叩きが絶品だった。%d切れじゃ足りない。",
    "スーパーで鰹の叩きが半額だったので%dパック買った。"};
static const char *const slang[] = {"闇バイト", "ホワイト案件", "裏バイト", "高額案件",
                                    "ﾎﾜｲﾄ案件", "white案件", "グレー案件", "闇・バイト"};
static const char *const roles[] = {"受け子", "出し子", "荷物の受け取り", "運びの仕事",
                                    "うけこ", "受 け 子", "UD案件", "見張り役", "叩き"};
static const char *const pays[] = {"日給%d万", "1日%d万", "即日即金%d万円", "高収入 月%d0万",
                                   "1回%d万", "日当%d万円 手渡し"};
static const char *const eases[] = {"誰でもできる", "未経験OK", "身バレなし", "ノーリスク",
                                    "簡単な仕事です", "絶対バレない", "ｽｸﾞ稼げる"};
static const char *const contacts[] = {"詳細はテレグラムで", "詳細はDMで", "興味ある方はDMください",
                                       "Telegramで連絡ください", "t.me/abc%d まで", "シグナルで連絡",
                                       "詳細はテレで", "連絡はＴｅｌｅｇｒａｍ"};
static const char *const ids[] = {"身分証の写真を送れる人", "免許証の写真が必要です",
                                  "顔写真と身分証を送ってください", ""};
static const char *const trades[] = {"口座買取します", "携帯買取 即日", "名義貸しで%d万",
                                     "飛ばし携帯あります"};

typedef struct {
    char buf[20000]; /* the longest prose post, 4,000 characters, fits */
    size_t len;
} text;

static void add(text *t, const char *fmt, int num)
{
    int n = snprintf(t->buf + t->len, sizeof t->buf - t->len, fmt, num);
    if (n > 0 && t->len + (size_t)n < sizeof t->buf)
        t->len += (size_t)n;
}

static void add_s(text *t, const char *fmt, const char *s, int num)
{
    int n = snprintf(t->buf + t->len, sizeof t->buf - t->len, fmt, s, num);
    if (n > 0 && t->len + (size_t)n < sizeof t->buf)
        t->len += (size_t)n;
}

static const char *make_benign(text *t)
{
    unsigned k = 1 + pick(4) + (pick(10) == 0 ? 4 : 0); /* a long tail */
    for (unsigned i = 0; i < k; i++) {
        if (pick(2)) {
            add_s(t, "%sで", ANY(places), 0);
            add_s(t, "%sを食べた。", ANY(foods), 0);
            add(t, ANY(feelings), 0);
        } else {
            add(t, ANY(chatter), 0);
        }
    }
    return "benign";
}

/* The sentence pool for --prose: one sentence per line. */
static char **pool;
static size_t pool_n;

static void load_pool(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "gen-posts: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    size_t cap = 0;
    char *line = NULL, *dup;
    size_t lcap = 0;
    ssize_t n;
    while ((n = getline(&line, &lcap, f)) > 0) {
        if (line[n - 1] == '\n')
            line[--n] = '\0';
        if (n == 0)
            continue;
        if (pool_n == cap && !(pool = realloc(pool, (cap = cap ? 2 * cap : 4096) * sizeof *pool)))
            exit(2);
        if (!(dup = strdup(line)))
            exit(2);
        pool[pool_n++] = dup;
    }
    free(line);
    fclose(f);
    if (pool_n == 0) {
        fprintf(stderr, "gen-posts: %s: no sentences\n", path);
        exit(2);
    }
}

/* Consecutive pool sentences from a random start, cut to a length drawn like
 * social posts: mostly 20–280 characters, a tail up to 4,000. */
static const char *make_prose(text *t)
{
    unsigned r = pick(100), want = r < 60 ? 20 + pick(120)
                                  : r < 88 ? 140 + pick(140)
                                  : r < 98 ? 280 + pick(720)
                                           : 1000 + pick(3000);
    size_t s = pick((unsigned)pool_n), chars = 0;
    while (chars < want) {
        for (const char *p = pool[s]; *p && chars < want; p++) {
            chars += ((unsigned char)*p & 0xC0) != 0x80;
            size_t k = 1;
            while ((((unsigned char)p[k]) & 0xC0) == 0x80)
                k++; /* whole characters only */
            memcpy(t->buf + t->len, p, k);
            t->len += k, p += k - 1;
        }
        s = (s + 1) % pool_n;
    }
    return "benign";
}

static const char *make_news(text *t)
{
    add_s(t, ANY(news), ANY(prefs), 2 + (int)pick(40));
    if (pick(2))
        add(t, ANY(chatter), 0);
    return "news";
}

static const char *make_food(text *t)
{
    add(t, ANY(fish), 2 + (int)pick(8));
    if (pick(2))
        add(t, ANY(feelings), 0);
    return "food";
}

static const char *make_recruit(text *t)
{
    static const char *const seps[] = {" ", "　", "\n", "！", "✨", "💰"};
    add_s(t, "【%s】", ANY(slang), 0);
    add(t, ANY(roles), 0);
    add(t, ANY(seps), 0);
    add(t, ANY(pays), 3 + (int)pick(8));
    add(t, ANY(seps), 0);
    add(t, ANY(eases), 0);
    add(t, ANY(seps), 0);
    if (pick(3) == 0) {
        add(t, ANY(trades), 2 + (int)pick(5));
        add(t, ANY(seps), 0);
    }
    add(t, ANY(ids), 0);
    add(t, ANY(contacts), (int)pick(1000));
    return "recruit";
}

/* The output line being built; posts are written whole. */
static char out[4 * 20000 + 512];
static size_t out_len;

static void put(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void put(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + out_len, sizeof out - out_len, fmt, ap);
    va_end(ap);
    if (n > 0)
        out_len += (size_t)n < sizeof out - out_len ? (size_t)n : sizeof out - out_len - 1;
}

/* Appends s as a JSON string; with `escape`, every non-ASCII character as
 * \uXXXX (surrogate pairs above U+FFFF), as Python's json.dumps does. */
static void json_string(const char *s, size_t n, int escape)
{
    put("\"");
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            put("\\%c", c);
            i++;
        } else if (c == '\n') {
            put("\\n");
            i++;
        } else if (c < 0x80 || !escape) {
            out[out_len++] = (char)c;
            i++;
        } else {
            unsigned cp, len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            cp = c & (0x7F >> len);
            for (unsigned k = 1; k < len; k++)
                cp = cp << 6 | ((unsigned char)s[i + k] & 0x3F);
            if (cp >= 0x10000)
                put("\\u%04x\\u%04x", 0xD800 + ((cp - 0x10000) >> 10),
                    0xDC00 + ((cp - 0x10000) & 0x3FF));
            else
                put("\\u%04x", cp);
            i += len;
        }
    }
    put("\"");
}

/* A share in percent with up to two decimals, as basis points. */
static int percent(const char *v, int *bp)
{
    char *end;
    double d = strtod(v, &end);
    if (end == v || *end || !(d >= 0 && d <= 100))
        return 0;
    *bp = (int)(d * 100 + 0.5);
    return 1;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: gen-posts [--posts N | --bytes N] [--seed S] [--prose POOL]\n"
            "                 [--recruit-pct P] [--news-pct P] [--food-pct P] [--escape-pct P]\n"
            "Writes synthetic JSONL posts to stdout: N posts (default 1000), or posts\n"
            "until N bytes are written. --prose: everyday posts are excerpts of the\n"
            "sentences in POOL (one per line). Shares in percent: recruitment ads\n"
            "(default 3), news about them (2), 叩き as food (1); posts escaped as\n"
            "\\uXXXX (5). The same options give the same bytes.\n");
    return 2;
}

int main(int argc, char **argv)
{
    long long posts = 1000, bytes = -1;
    unsigned long long seed = 1;
    int recruit = 300, news = 200, food = 100, escape = 500; /* basis points */
    const char *prose = NULL;
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        int ok = v != NULL;
        if (ok && !strcmp(a, "--posts"))
            posts = strtoll(v, &end, 10), ok = !*end && posts >= 0;
        else if (ok && !strcmp(a, "--bytes"))
            bytes = strtoll(v, &end, 10), ok = !*end && bytes >= 0;
        else if (ok && !strcmp(a, "--seed"))
            seed = strtoull(v, &end, 10), ok = !*end;
        else if (ok && !strcmp(a, "--prose"))
            prose = v;
        else if (ok && !strcmp(a, "--recruit-pct"))
            ok = percent(v, &recruit);
        else if (ok && !strcmp(a, "--news-pct"))
            ok = percent(v, &news);
        else if (ok && !strcmp(a, "--food-pct"))
            ok = percent(v, &food);
        else if (ok && !strcmp(a, "--escape-pct"))
            ok = percent(v, &escape);
        else
            ok = 0;
        if (!ok)
            return usage();
    }
    if (recruit + news + food > 10000) {
        fprintf(stderr, "gen-posts: the shares add up to more than 100 %%\n");
        return 2;
    }
    if (prose)
        load_pool(prose);
    rng_state = seed;
    long long t0 = 1767225600, written = 0; /* 2026-01-01T00:00:00Z */
    for (long long i = 0; bytes >= 0 ? written < bytes : i < posts; i++) {
        text t = {{0}, 0};
        int r = (int)pick(10000);
        const char *label = r < recruit                ? make_recruit(&t)
                            : r < recruit + news        ? make_news(&t)
                            : r < recruit + news + food ? make_food(&t)
                            : prose                     ? make_prose(&t)
                                                        : make_benign(&t);
        long long ts = t0 + i * 7 + (long long)pick(7);
        long long day = ts / 86400, sec = ts % 86400;
        /* days since 2026-01-01 to month/day, 2026 is not a leap year */
        static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int d = (int)(day - 20454) % 365, m = 0;
        while (d >= mdays[m])
            d -= mdays[m++];
        out_len = 0;
        put("{\"id\":%lld,\"user\":\"user%05u\",\"created_at\":\"2026-%02d-%02dT%02lld:%02lld:%02lldZ\","
            "\"text\":",
            1000000 + i, pick(50000), m + 1, d + 1, sec / 3600, sec / 60 % 60, sec % 60);
        json_string(t.buf, t.len, (int)pick(10000) < escape);
        put(",\"meta\":{\"lang\":\"ja\",\"label\":\"%s\",\"likes\":%u}}\n", label, pick(500));
        if (fwrite(out, 1, out_len, stdout) != out_len)
            break;
        written += (long long)out_len;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "gen-posts: write error: %s\n", strerror(errno));
        return 2;
    }
    return 0;
}
