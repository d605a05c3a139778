#!/bin/sh
# tests/bench/kube_bench.sh: kdeploy.kube against `kdeploy sim`, measured
# in one run against references measured in the same run (issue #4):
# - create 1,000 ConfigMaps: kdeploy concurrent vs `kubectl apply -f` of the
#   same file vs kdeploy sequential (target: >= 5x faster than kubectl);
# - get 1,000 objects: req/s against the sim's own GET limit (sim_load);
# - peak RSS of a process watching 1,000 objects of 5 kinds (target < 50 MB,
#   5 watch connections).
# Times are whole processes (start, kubeconfig, discovery from a warm cache,
# the requests); each is the best of KUBE_BENCH_REPS runs (default 3), the
# machine being shared. Run by tests/bench/run.sh (make bench), or
# standalone: KDEPLOY=./kdeploy sh tests/bench/kube_bench.sh
set -eu
: "${KDEPLOY:=./kdeploy}"
REPS=${KUBE_BENCH_REPS:-3}
N=1000
TMP=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$TMP"' EXIT
TOOLS=$(sh tests/tools.sh 2>/dev/null) || TOOLS=
KUBECTL="$TOOLS/kubectl"
export KDEPLOY_CACHE_DIR="$TMP/cache"
B=tests/bench/kube_bench.lua

"$KDEPLOY" sim --port 0 --nodes 1 --kubeconfig "$TMP/kc" >/dev/null 2>"$TMP/err" &
PID=$!
i=0; while [ ! -s "$TMP/kc" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
PORT=$(sed -n 's/^ *server: http:\/\/127.0.0.1://p' "$TMP/kc")

i=0
while [ $i -lt $N ]; do
  printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm%d\ndata:\n  index: "%d"\n  payload: "%s"\n' \
    "$i" "$i" "0123456789abcdef0123456789abcdef" >> "$TMP/cms.yaml"
  i=$((i + 1))
done

# secs CMD...: wall seconds of one run of CMD (output discarded).
secs() {
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>"$TMP/cmd.err" || { echo "bench: $* failed: $(tail -3 "$TMP/cmd.err")" >&2; exit 1; }
  t1=$(date +%s.%N)
  awk "BEGIN{printf \"%.3f\", $t1 - $t0}"
}
min() { awk "BEGIN{print ($1 < $2) ? $1 : $2}"; }

# warm both discovery caches first
"$KDEPLOY" run $B setup "$TMP/kc" warm 5 >/dev/null
[ -x "$KUBECTL" ] && "$KUBECTL" --kubeconfig "$TMP/kc" --cache-dir "$TMP/kcache" api-resources >/dev/null

best_conc=999999 best_seq=999999 best_kubectl=999999
r=1
while [ $r -le "$REPS" ]; do
  best_conc=$(min "$best_conc" "$(secs "$KDEPLOY" run $B create-concurrent "$TMP/kc" "$TMP/cms.yaml" "conc$r")")
  best_seq=$(min "$best_seq" "$(secs "$KDEPLOY" run $B create-sequential "$TMP/kc" "$TMP/cms.yaml" "seq$r")")
  if [ -x "$KUBECTL" ]; then
    "$KUBECTL" --kubeconfig "$TMP/kc" create namespace "kubectl$r" >/dev/null
    best_kubectl=$(min "$best_kubectl" "$(secs "$KUBECTL" --kubeconfig "$TMP/kc" \
      --cache-dir "$TMP/kcache" apply -n "kubectl$r" -f "$TMP/cms.yaml")")
  fi
  r=$((r + 1))
done
printf 'kube create %d ConfigMaps: kdeploy concurrent %ss, kdeploy sequential %ss (concurrent/sequential speed-up %.1fx)\n' \
  $N "$best_conc" "$best_seq" "$(awk "BEGIN{print $best_seq / $best_conc}")"
if [ -x "$KUBECTL" ]; then
  ratio=$(awk "BEGIN{printf \"%.1f\", $best_kubectl / $best_conc}")
  printf 'kube create %d ConfigMaps: kubectl apply -f %ss; kdeploy concurrent is %sx faster (target >= 5x: %s)\n' \
    $N "$best_kubectl" "$ratio" "$(awk "BEGIN{print ($ratio >= 5) ? \"met\" : \"NOT met\"}")"
else
  echo "kube create: kubectl not installed (tests/tools.sh), no kubectl reference"
fi

# get: kdeploy's req/s vs the sim's own limit (raw keep-alive GETs, 8 conns)
"$KDEPLOY" run $B setup "$TMP/kc" objs $N >/dev/null
best_rps=0
r=1
while [ $r -le "$REPS" ]; do
  rps=$("$KDEPLOY" run $B get "$TMP/kc" objs $N | sed -n 's/^rps //p')
  best_rps=$(awk "BEGIN{print ($rps > $best_rps) ? $rps : $best_rps}")
  r=$((r + 1))
done
LOAD="${BENCH_BIN:-}/sim_load"
[ -x "$LOAD" ] || { cc -O2 -o "$TMP/sim_load" tests/bench/sim_load.c -lpthread; LOAD="$TMP/sim_load"; }
ceiling=$("$LOAD" rps "$PORT" 8 2 get | sed -n 's/^rps //p')
printf 'kube get %d objects: %s req/s; the sim serves %s req/s to a bare keep-alive client (ratio %.2f)\n' \
  $N "$best_rps" "$ceiling" "$(awk "BEGIN{print $best_rps / $ceiling}")"

# watch: one process tracks 1,000 objects of 5 kinds
out=$("$KDEPLOY" run $B watch-rss "$TMP/kc" objs $N)
set -- $out
kb=$8
printf 'kube watch %s objects of 5 kinds (+%s changes): %s watch connections, peak RSS %d MB (target < 50 MB: %s)\n' \
  "$2" "$4" "$6" $((kb / 1024)) "$(awk "BEGIN{print ($kb < 51200) ? \"met\" : \"NOT met\"}")"
