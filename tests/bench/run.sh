#!/bin/sh
# tests/bench/run.sh: `make bench`. Runs every tests/bench/*_bench.sh, each
# as its own process, and fails when one fails. A benchmark prints each
# figure as a ratio against a reference measured in the same run; the
# codec benchmarks use the helpers of tests/bench/lib.sh (`bench`,
# `need_manifests`). Adding a benchmark is adding a NAME_bench.sh file.
#
# Benchmarks see $KDEPLOY (the binary), $BENCH_BIN (tests/bench/*.c built
# by make), $BENCH_DATA (a scratch dir for generated inputs, removed at the
# end: nothing is committed) and $BENCH_MB (input size, default 50).
set -eu
: "${KDEPLOY:?KDEPLOY must name the binary}"
: "${BENCH_BIN:?BENCH_BIN must name the driver dir}"
BENCH_MB=${BENCH_MB:-50}
BENCH_DATA=$(mktemp -d)
trap 'rm -rf "$BENCH_DATA"' EXIT
export KDEPLOY BENCH_BIN BENCH_DATA BENCH_MB
failed=0
for b in tests/bench/*_bench.sh; do
  echo "== $b"
  sh "$b" || { echo "bench: $b failed" >&2; failed=1; }
done
exit $failed
