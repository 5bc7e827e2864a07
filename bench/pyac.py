"""Counts the lines of standard input that contain at least one term of the
list given as the first argument, with the pyahocorasick module (Debian
package python3-ahocorasick): the benchmark's Python baseline.

    zstdcat feed.jsonl.zst | /usr/bin/python3 -I bench/pyac.py terms.txt

(/usr/bin/python3: the Debian interpreter that package installs for.)
"""
import sys

import ahocorasick


def main():
    automaton = ahocorasick.Automaton()
    with open(sys.argv[1], encoding="utf-8") as terms:
        for number, term in enumerate(terms):
            term = term.rstrip("\n")
            if term:
                automaton.add_word(term, number)
    automaton.make_automaton()
    lines = open(sys.stdin.fileno(), encoding="utf-8", errors="surrogateescape")
    print(sum(1 for line in lines if next(automaton.iter(line), None) is not None))


main()
