# Throughput against pattern count, from bench/suite's plot data.
#   gnuplot -e "data='bench/out/tmp/plot'; png='bench/out/throughput.png'" bench/throughput.gp
set terminal pngcairo size 1400,620 font ",10"
set output png
set datafile missing NaN
set logscale xy
set xlabel "terms in the pattern set"
set ylabel "MB/s of uncompressed JSONL (log)"
set grid
set key left bottom Left reverse font ",9" samplen 2 spacing 0.9
set multiplot layout 1,2
do for [b = 0:1] {
    set title (b == 0 ? "realistic terms (about 1 % of posts hit)" : "dense terms (most posts hit)")
    plot data index b using 1:2 with lines dt 2 lw 2 title "zstd -dc alone", \
         '' index b using 1:3 with linespoints title "yamiscan: read (zstd)", \
         '' index b using 1:4 with linespoints title "yamiscan: frame", \
         '' index b using 1:5 with linespoints title "yamiscan: scan from memory", \
         '' index b using 1:6 with linespoints lw 3 title "yamiscan scan file.zst (1 thread)", \
         '' index b using 1:12 with linespoints lw 3 title "yamiscan scan file.zst (all cores)", \
         '' index b using 1:7 with linespoints title "zstdcat | grep -F", \
         '' index b using 1:8 with linespoints title "zstdcat | rg -F", \
         '' index b using 1:9 with linespoints title "zstdcat | ugrep -F", \
         '' index b using 1:10 with linespoints title "ugrep -z -F", \
         '' index b using 1:11 with linespoints title "zstdcat | pyahocorasick"
}
unset multiplot
