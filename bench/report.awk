# Turns the suite's medians (FAMILY SIZE WHAT SECONDS RSS_KIB STATUS COUNT,
# tab-separated) into Markdown tables on stdout, a JSON file (-v json=) and
# gnuplot data (-v plot=). Throughput is MB/s of uncompressed feed (10^6 bytes).
# Called by bench/suite; see bench/README.md for the columns.

function mbs(sec) { return sec > 0 ? bytes / sec / 1e6 : 0 }
function num(k) { return (k in sec) ? sec[k] : "" }
# One tool's cell: MB/s, or why there is none.
function cell(k) {
    if (!(k in st)) return "–"
    if (st[k] == "timeout") return "timeout > " timeout " s"
    if (st[k] == "skipped") return "not run (timed out on a smaller set)"
    if (st[k] != "0" && st[k] != "1") return "error (status " st[k] ")"
    return sprintf("%.0f", mbs(sec[k]))
}
function ok(k) { return (k in st) && (st[k] == "0" || st[k] == "1") }
function jstr(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }

BEGIN { ntools = split("grep rg ugrep ugrep-z pyac", tools, " ") }
{
    k = $1 SUBSEP $2 SUBSEP $3
    sec[k] = $4; rss[k] = $5; st[k] = $6; cnt[k] = $7
    if ($1 != "-" && !(($1, $2) in seen)) { seen[$1, $2] = 1; order[++nsets] = $1 SUBSEP $2 }
    if ($3 == "bytes") bytes = $7
    if ($3 == "posts") posts = $7
}
END {
    while ((getline line < header) > 0) print line
    print ""
    zs = sec["-", 0, "zstd"]
    printf "Corpus: %d bytes of JSONL, %d posts; `zstd -dc` alone: %.0f MB/s. Medians of %d runs (a run over 10 s is not repeated).\n",
        bytes, posts, mbs(zs), runs
    for (pass = 1; pass <= 3; pass++) {
        last = ""
        for (i = 1; i <= nsets; i++) {
            split(order[i], fs, SUBSEP); f = fs[1]; s = fs[2]
            if (f != last) {
                last = f
                if (pass == 1) {
                    printf "\n### yamiscan, %s terms: stages\n\n", f
                    print "| terms | posts hit | compile s | compile peak MB | db MB | read MB/s | frame MB/s | scan MB/s | end to end MB/s | posts/s | ÷ zstd -dc | all cores MB/s | ÷ zstd -dc |"
                    print "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
                } else if (pass == 3) {
                    printf "\n### %s terms: the two engines, hs (Hyperscan) and ac (Aho-Corasick)\n\n", f
                    print "| terms | compile s: hs, ac | db MB: hs, ac | match MB/s: hs, ac | ac ÷ hs | scan MB/s: hs, ac | ac ÷ hs | end to end MB/s: hs, ac | posts hit: hs, ac |"
                    print "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
                } else {
                    printf "\n### %s terms: yamiscan against the alternatives (MB/s)\n\n", f
                    print "| terms | yamiscan | grep -F | rg -F | ugrep -F | ugrep -z | pyahocorasick | yamiscan ÷ fastest | posts hit: yamiscan, as lines, others |"
                    print "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
                }
            }
            e = f SUBSEP s SUBSEP "yamiscan"
            mt = f SUBSEP s SUBSEP "yamiscan_mt"
            if (pass == 1) {
                printf "| %d | %.2f %% | %.3f | %.0f | %.2f | %.0f | %.0f | %.0f | %s | %.0f | %s | %s | %s |\n", s,
                    100 * cnt[f, s, "hit_posts"] / posts, sec[f, s, "compile"], rss[f, s, "compile"] / 1024,
                    cnt[f, s, "db_bytes"] / 1e6, mbs(sec[f, s, "read_s"]), mbs(sec[f, s, "frame_s"]),
                    mbs(sec[f, s, "scan_s"]), cell(e), ok(e) ? posts / sec[e] : 0,
                    ok(e) ? sprintf("%.2f", zs / sec[e]) : "–", cell(mt),
                    ok(mt) ? sprintf("%.2f", zs / sec[mt]) : "–"
                continue
            }
            if (pass == 3) {
                ac = f SUBSEP s SUBSEP "yamiscan_ac"
                hm = sec[f, s, "match_s"]; am = sec[f, s, "ac_match_s"]
                hs_ = sec[f, s, "scan_s"]; asc = sec[f, s, "ac_scan_s"]
                printf "| %d | %.3f, %.3f | %.2f, %.2f | %.0f, %.0f | %s | %.0f, %.0f | %s | %s, %s | %d, %d%s |\n", s,
                    sec[f, s, "compile"], sec[f, s, "compile_ac"], cnt[f, s, "db_bytes"] / 1e6,
                    cnt[f, s, "db_bytes_ac"] / 1e6, mbs(hm), mbs(am), (am > 0 ? sprintf("%.2f", hm / am) : "–"),
                    mbs(hs_), mbs(asc), (asc > 0 ? sprintf("%.2f", hs_ / asc) : "–"), cell(e), cell(ac),
                    cnt[e], cnt[ac], (cnt[e] == cnt[ac] && cnt[f, s, "hit_posts"] == cnt[f, s, "ac_hit_posts"] ? "" : " DIFFER!")
                continue
            }
            best = ""; agree = "agree"
            lines = cnt[f, s, "yamiscan_lines"]
            row = sprintf("| %d | %s", s, cell(e))
            for (t = 1; t <= ntools; t++) {
                k = f SUBSEP s SUBSEP tools[t]
                row = row " | " cell(k)
                if (ok(k)) {
                    if (best == "" || sec[k] < sec[best]) best = k
                    if (cnt[k] != lines) agree = agree ", " tools[t] " " cnt[k] "!"
                }
            }
            ratio = ok(e) && best != "" ? sprintf("%.2f (%s)", sec[best] / sec[e], substr(best, length(f s) + 3)) : "–"
            printf "%s | %s | %d, %d, %s |\n", row, ratio, cnt[e], lines, agree
        }
    }

    # JSON
    printf "{\"header\":[" > json
    close(header)
    n = 0
    while ((getline line < header) > 0) printf "%s%s", (n++ ? "," : ""), jstr(line) > json
    printf "],\"runs\":%d,\"bytes\":%d,\"posts\":%d,\"zstd_dc_s\":%s,\"sets\":[", runs, bytes, posts, zs > json
    for (i = 1; i <= nsets; i++) {
        split(order[i], fs, SUBSEP); f = fs[1]; s = fs[2]
        printf "%s{\"family\":\"%s\",\"terms\":%d,\"hit_posts\":%d,\"compile_s\":%s,\"compile_peak_kib\":%d," \
               "\"db_bytes\":%d,\"read_s\":%s,\"frame_s\":%s,\"scan_s\":%s,\"match_s\":%s," \
               "\"ac\":{\"compile_s\":%s,\"compile_peak_kib\":%d,\"db_bytes\":%d,\"scan_s\":%s,\"match_s\":%s,\"hit_posts\":%d},\"tools\":{",
            (i > 1 ? "," : ""), f, s, cnt[f, s, "hit_posts"], sec[f, s, "compile"], rss[f, s, "compile"],
            cnt[f, s, "db_bytes"], sec[f, s, "read_s"], sec[f, s, "frame_s"], sec[f, s, "scan_s"],
            sec[f, s, "match_s"], sec[f, s, "compile_ac"], rss[f, s, "compile_ac"], cnt[f, s, "db_bytes_ac"],
            sec[f, s, "ac_scan_s"], sec[f, s, "ac_match_s"], cnt[f, s, "ac_hit_posts"] > json
        all = "yamiscan yamiscan_mt yamiscan_lines yamiscan_ac " "grep rg ugrep ugrep-z pyac"
        m = split(all, names, " ")
        for (t = 1; t <= m; t++) {
            k = f SUBSEP s SUBSEP names[t]
            printf "%s\"%s\":{\"s\":%s,\"peak_kib\":%s,\"status\":\"%s\",\"posts_hit\":%d}", (t > 1 ? "," : ""),
                names[t], ok(k) ? sec[k] : "null", ok(k) ? rss[k] : "null", st[k], cnt[k] > json
        }
        printf "}}" > json
    }
    print "]}" > json

    # Plot data: one block per family, MB/s (NaN where there is no figure).
    last = ""
    for (i = 1; i <= nsets; i++) {
        split(order[i], fs, SUBSEP); f = fs[1]; s = fs[2]
        if (f != last) {
            if (last != "") printf "\n\n" > plot
            printf "# %s: terms zstd read frame scan yamiscan grep rg ugrep ugrep-z pyac yamiscan_mt\n", f > plot
            last = f
        }
        printf "%d %.1f %.1f %.1f %.1f", s, mbs(zs), mbs(sec[f, s, "read_s"]), mbs(sec[f, s, "frame_s"]),
            mbs(sec[f, s, "scan_s"]) > plot
        split("yamiscan grep rg ugrep ugrep-z pyac yamiscan_mt", names, " ")
        for (t = 1; t <= 7; t++) {
            k = f SUBSEP s SUBSEP names[t]
            printf " %s", ok(k) ? sprintf("%.1f", mbs(sec[k])) : "NaN" > plot
        }
        printf "\n" > plot
    }
}
