# tests/bench/lib.sh: helpers for benchmarks run by tests/bench/run.sh.
# `. tests/bench/lib.sh` in a NAME_bench.sh gives:
#   need_manifests: makes $BENCH_DATA/manifests.yaml (a stream of about
#     $BENCH_MB MB, as helm template prints it) and manifests.json (the same
#     objects as one List), once per run;
#   bench NAME OURS_CMD REF_CMD REF_NAME: runs both commands (each prints
#     the seconds of its measured step) and prints one line with the ratio
#     ours / reference (below 1: faster than the reference).
: "${KDEPLOY:?KDEPLOY must name the binary (run through make bench)}"
: "${BENCH_BIN:?BENCH_BIN must name the built drivers (run through make bench)}"
: "${BENCH_DATA:?BENCH_DATA must name a scratch dir (run through make bench)}"
: "${BENCH_MB:=50}"

need_manifests() {
  [ -s "$BENCH_DATA/manifests.yaml" ] && return 0
  echo "bench: generating a ${BENCH_MB} MB manifest stream"
  "$KDEPLOY" run tests/bench/gen_manifests.lua "$BENCH_DATA/manifests" "$BENCH_MB"
}

bench() {
  ours=$(sh -c "$2") || { echo "bench: $1: '$2' failed" >&2; return 1; }
  ref=$(sh -c "$3") || { echo "bench: $1: '$3' failed" >&2; return 1; }
  awk -v n="$1" -v o="$ours" -v r="$ref" -v w="$4" 'BEGIN {
    printf "%-22s ours %7.3f s  reference %7.3f s  ratio %5.2fx  (reference: %s)\n",
      n, o, r, o / r, w }'
}
