#!/bin/sh
# tests/golden/yaml/mkcharts.sh: builds charts.values.yaml from the real
# `helm template` output in ../shared/charts-expected: every document (up
# to 60 KB, which leaves out the largest CRDs) becomes one item of
# `cases`, its text indented as it stands. gen.sh then records what Helm's
# toYaml makes of each, so the emitter is checked on real manifests.
# Usage: sh tests/golden/yaml/mkcharts.sh [DIR]   (then sh .../gen.sh)
set -eu
src=${1:-../shared/charts-expected}
[ -d "$src" ] || src=/work/shared/charts-expected
out=tests/golden/yaml/charts.values.yaml
{
  echo "# Documents of helm template output of public charts ($(basename "$src"))."
  echo "cases:"
  for f in "$src"/*.yaml; do
    awk -v name="$(basename "$f")" '
      function flush() {
        if (n > 0 && size <= 60000 && nonblank) {
          printf "# %s document %d\n", name, doc
          for (i = 1; i <= n; i++)
            printf "%s%s\n", (i == 1 ? "- " : (lines[i] == "" ? "" : "  ")), lines[i]
        }
        n = 0; size = 0; nonblank = 0
      }
      /^---$/ { flush(); doc++; next }
      /^# Source: / && n == 0 { next }
      { lines[++n] = $0; size += length($0) + 1; if ($0 ~ /[^ ]/) nonblank = 1 }
      END { flush() }' "$f"
  done
} > "$out.tmp"
mv "$out.tmp" "$out"
echo "mkcharts: $out ($(grep -c '^- ' "$out") documents)"
