#!/usr/bin/env python3
"""tests/golden/yaml/mkrandom.py: writes random.values.yaml, random values
built from the characters and words go-yaml's emitter decides on (quoting,
folding, block scalars, keys), written as JSON-style YAML. gen.sh then
records Helm's toYaml of them.
Keys hold no digits: go-yaml's key order is not transitive once digit runs
meet letters, and Helm's output then changes from run to run.
Usage: python3 tests/golden/yaml/mkrandom.py [SEED] [CASES]"""
import json
import random
import re
import sys

seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
cases = int(sys.argv[2]) if len(sys.argv) > 2 else 150
rnd = random.Random(seed)

CHARS = list("abcdefghijklmnopqrstuvwxyzABCXYZ") * 6 + list("0123456789") * 2 + \
    [" "] * 12 + list(":#-?,[]{}&*!|>'\"%@`.\\/=+~_<") + \
    ["\n"] * 4 + ["\t", "\r", "é", "日", "😀", "\u2028", "\ufeff", "\u00a0", "\u0001", "\u001b"]
WORDS = ["yes", "no", "on", "off", "true", "False", "null", "~", "", "1", "-1", "0x1F",
         "1e3", "1.5", ".5", "007", "2001-12-14", "12:30", "<<", "-", "- x", "---",
         "a: b", "a #b", "  ", " x", "x ", "\n", "a\n", "a\n\n", "\na"]
KEY_CHARS = [c for c in CHARS if not c.isdigit()]


def text(chars, maxlen):
    n = rnd.choice([rnd.randint(0, 6), rnd.randint(0, 20), rnd.randint(40, maxlen)])
    return "".join(rnd.choice(chars) for _ in range(n))


def string():
    r = rnd.random()
    if r < 0.2:
        return rnd.choice(WORDS)
    if r < 0.35:  # words and spaces: foldable text
        return " ".join(rnd.choice(["aaaa", "bb", "c", "dddddd", "e:", "#f", "'g'", "h"])
                        for _ in range(rnd.randint(5, 40)))
    return text(CHARS, 200)


def key():
    r = rnd.random()
    if r < 0.7:
        return "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz-_.") for _ in range(rnd.randint(1, 12)))
    return text(KEY_CHARS, 150)


def value(depth):
    r = rnd.random()
    if depth > 4 or r < 0.45:
        s = rnd.random()
        if s < 0.75:
            return string()
        if s < 0.85:
            return rnd.choice([0, 1, -7, 42, 3.5, 0.1, 1e-7, 1e21, 123456.5, 2.5e6])
        return rnd.choice([True, False, None])
    if r < 0.7:
        return [value(depth + 1) for _ in range(rnd.randint(0, 5))]
    return {key(): value(depth + 1) for _ in range(rnd.randint(0, 6))}


out = {"cases": [value(0) for _ in range(cases)]}
with open("tests/golden/yaml/random.values.yaml", "w") as f:
    f.write("# Random values from tests/golden/yaml/mkrandom.py %d %d (JSON is YAML).\n"
            % (seed, cases))
    # JSON's surrogate pairs are no YAML escape: \U00XXXXXX is
    pair = re.compile(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})")
    text = pair.sub(lambda m: "\\U%08X" % (0x10000 + ((int(m.group(1), 16) - 0xD800) << 10)
                                          + int(m.group(2), 16) - 0xDC00),
                    json.dumps(out, ensure_ascii=True, indent=1))
    f.write(text + "\n")
