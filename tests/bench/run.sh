#!/bin/sh
# tests/bench/run.sh: runs every benchmark tests/bench/*_bench.sh (`make
# bench`). Each benchmark is one file that calls `bench NAME OURS REF WHAT`:
# two commands that each print the seconds of the measured step (the
# drivers in tests/bench/*.c take the best of a few runs themselves), run
# here one after the other, so both are measured in the same run on the
# same machine. The result is printed as a ratio: ours / reference (below
# 1 is faster than the reference).
#
# Benchmarks see $KDEPLOY (the binary), $BENCH_BIN (the built drivers),
# $BENCH_DATA (a scratch dir holding the generated inputs, removed at the
# end) and $BENCH_MB (input size, default 50). Inputs are generated here,
# never committed. Adding a benchmark is adding a *_bench.sh file.
set -eu
: "${KDEPLOY:?KDEPLOY must name the binary}"
: "${BENCH_BIN:?BENCH_BIN must name the driver dir}"
BENCH_MB=${BENCH_MB:-50}
BENCH_DATA=$(mktemp -d)
trap 'rm -rf "$BENCH_DATA"' EXIT
export KDEPLOY BENCH_BIN BENCH_DATA BENCH_MB

echo "bench: generating a ${BENCH_MB} MB manifest stream"
"$KDEPLOY" run tests/bench/gen_manifests.lua "$BENCH_DATA/manifests" "$BENCH_MB"

# bench NAME OURS_CMD REF_CMD REF_NAME: prints one result line.
bench() {
  ours=$(sh -c "$2") || { echo "bench: $1: '$2' failed" >&2; return 1; }
  ref=$(sh -c "$3") || { echo "bench: $1: '$3' failed" >&2; return 1; }
  awk -v n="$1" -v o="$ours" -v r="$ref" -v w="$4" 'BEGIN {
    printf "%-22s %8.3f s %8.3f s  %6.2fx  (reference: %s)\n", n, o, r, o / r, w }'
}

printf '%-22s %10s %10s %7s\n' benchmark ours reference ratio
for b in tests/bench/*_bench.sh; do
  . "./$b"
done
