#!/bin/sh
# tests/bench/kube_bench.sh: kdeploy.kube against `kdeploy sim`, measured
# in one run against references measured in the same run (issue #4):
# - create 1,000 ConfigMaps: kdeploy concurrent vs `kubectl apply -f` of the
#   same file vs kdeploy sequential (target: >= 5x faster than kubectl);
# - get 1,000 objects: req/s against the sim's own limit for the same GETs
#   (sim_load paths) and against a libcurl-only client (curl_load), see below;
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

# On two or more CPUs the sim runs on CPU 0 and the get clients (kdeploy and
# the reference alike) on CPU 1, so that neither side's figure depends on
# where the scheduler happened to put them (KUBE_BENCH_PIN=0: no pinning).
SIM_CPU= CLIENT_CPU=
if [ "${KUBE_BENCH_PIN:-1}" != 0 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  SIM_CPU="taskset -c 0" CLIENT_CPU="taskset -c 1"
fi
$SIM_CPU "$KDEPLOY" sim --port 0 --nodes 1 --kubeconfig "$TMP/kc" >/dev/null 2>"$TMP/err" &
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

# get: kdeploy's req/s vs the sim's own limit. Both sides do the same
# work: GET the N distinct objects of setup (5 kinds) once each, over the
# same number of keep-alive connections (kdeploy over plain http keeps 16
# requests in flight, KUBE_BENCH_INFLIGHT to change it, one connection
# each), sending the same request headers, timed from before the first
# connect to the last response. kdeploy also decodes every body into Lua
# tables, one task per object. The sim is single-threaded, so its limit is
# what it serves to a client that only writes requests and reads answers
# (sim_load.c), whose own CPU per request is printed too: the floor of any
# client on this machine, most of it the kernel's socket work. The runs
# alternate, GET_REPS (default 7) of each; the machine being shared,
# best and median of both are printed.
# A third client in the same loop, curl_load.c, does the same GETs through
# libcurl's multi interface set up as kdeploy's engine does, bodies
# discarded: what libcurl alone allows, so kdeploy / curl-only is what the
# decode, Lua and the tasks cost and curl-only / the sim's limit the
# ceiling of any libcurl-based client.
"$KDEPLOY" run $B setup "$TMP/kc" objs $N >/dev/null
"$KDEPLOY" run $B paths "$TMP/kc" objs $N > "$TMP/paths"
TOKEN=$(sed -n 's/^ *token: //p' "$TMP/kc" | head -1)
CONNS=${KUBE_BENCH_INFLIGHT:-16}
LOAD="${BENCH_BIN:-}/sim_load"
[ -x "$LOAD" ] || { cc -O2 -o "$TMP/sim_load" tests/bench/sim_load.c -lpthread; LOAD="$TMP/sim_load"; }
# without BENCH_BIN, curl_load links libcurl itself (the engine lib's lazy
# loading is not needed for it)
CURL_LOAD="${BENCH_BIN:-}/curl_load"
[ -x "$CURL_LOAD" ] || { cc -O2 -o "$TMP/curl_load" tests/bench/curl_load.c \
  $(pkg-config --cflags --libs libcurl); CURL_LOAD="$TMP/curl_load"; }
# CPU time per request of each side is printed too (kdeploy's from
# os.clock, the sim's from /proc/PID/schedstat): it says which side limits
# and does not depend on what else the machine runs.
GET_REPS=${GET_REPS:-7}
: > "$TMP/rps.kd"; : > "$TMP/rps.ref"; : > "$TMP/cpu.kd"; : > "$TMP/cpu.ref"; : > "$TMP/rps.curl"; : > "$TMP/cpu.curl"
simcpu() { cut -d' ' -f1 "/proc/$PID/schedstat" 2>/dev/null || echo 0; }
sim_kd=0 sim_ref=0 sim_curl=0
r=1
while [ $r -le "$GET_REPS" ]; do
  a=$(simcpu)
  $CLIENT_CPU "$KDEPLOY" run $B get "$TMP/kc" objs $N > "$TMP/get.out"
  b=$(simcpu)
  sed -n 's/^rps //p' "$TMP/get.out" >> "$TMP/rps.kd"
  sed -n 's/^cpu_us //p' "$TMP/get.out" >> "$TMP/cpu.kd"
  $CLIENT_CPU "$LOAD" paths "$PORT" "$CONNS" "$TMP/paths" "$TOKEN" > "$TMP/load.out"
  c=$(simcpu)
  grep -q '^errors 0$' "$TMP/load.out" || { echo "bench: sim_load: $(cat "$TMP/load.out")" >&2; exit 1; }
  sed -n 's/^rps //p' "$TMP/load.out" >> "$TMP/rps.ref"
  sed -n 's/^cpu_us //p' "$TMP/load.out" >> "$TMP/cpu.ref"
  $CLIENT_CPU "$CURL_LOAD" "$PORT" "$CONNS" "$TMP/paths" "$TOKEN" > "$TMP/curl.out"
  d=$(simcpu)
  grep -q '^errors 0$' "$TMP/curl.out" || { echo "bench: curl_load: $(cat "$TMP/curl.out")" >&2; exit 1; }
  sed -n 's/^rps //p' "$TMP/curl.out" >> "$TMP/rps.curl"
  sed -n 's/^cpu_us //p' "$TMP/curl.out" >> "$TMP/cpu.curl"
  sim_kd=$((sim_kd + b - a)) sim_ref=$((sim_ref + c - b)) sim_curl=$((sim_curl + d - c))
  r=$((r + 1))
done
# best FILE / median FILE: of one number a line
best() { sort -n "$1" | tail -1; }
median() { sort -n "$1" | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
printf 'kube get %d objects (%d runs each, %d connections): kdeploy best %s median %s req/s; the sim to a bare client best %s median %s req/s (ratio best/best %.2f, median/median %.2f)\n' \
  $N "$GET_REPS" "$CONNS" "$(best "$TMP/rps.kd")" "$(median "$TMP/rps.kd")" \
  "$(best "$TMP/rps.ref")" "$(median "$TMP/rps.ref")" \
  "$(awk "BEGIN{print $(best "$TMP/rps.kd") / $(best "$TMP/rps.ref")}")" \
  "$(awk "BEGIN{print $(median "$TMP/rps.kd") / $(median "$TMP/rps.ref")}")"
printf 'kube get: kdeploy runs %s\nkube get: reference runs %s\n' \
  "$(tr '\n' ' ' < "$TMP/rps.kd")" "$(tr '\n' ' ' < "$TMP/rps.ref")"
cpu_kd=$(median "$TMP/cpu.kd")
cpu_sim=$(awk "BEGIN{printf \"%.1f\", $sim_kd / 1000 / ($GET_REPS * $N)}")
printf 'kube get CPU per request: kdeploy %s us (median), the sim %s us serving kdeploy, %s us serving the bare client (sim/kdeploy %.2f: the client is the limit below 1); the bare client itself %s us (median)\n' \
  "$cpu_kd" "$cpu_sim" "$(awk "BEGIN{printf \"%.1f\", $sim_ref / 1000 / ($GET_REPS * $N)}")" \
  "$(awk "BEGIN{print $cpu_sim / $cpu_kd}")" "$(median "$TMP/cpu.ref")"
# ratio A B: A / B to two decimals
ratio() { awk "BEGIN{printf \"%.2f\", $1 / $2}"; }
printf 'kube get curl-only (libcurl multi, bodies discarded, %d connections): best %s median %s req/s, CPU %s us per request (median, least %s), the sim %s us serving it\n' \
  "$CONNS" "$(best "$TMP/rps.curl")" "$(median "$TMP/rps.curl")" "$(median "$TMP/cpu.curl")" \
  "$(sort -n "$TMP/cpu.curl" | head -1)" \
  "$(awk "BEGIN{printf \"%.1f\", $sim_curl / 1000 / ($GET_REPS * $N)}")"
printf 'kube get ratios: kdeploy/curl-only best/best %s median/median %s; curl-only/sim limit best/best %s median/median %s\n' \
  "$(ratio "$(best "$TMP/rps.kd")" "$(best "$TMP/rps.curl")")" \
  "$(ratio "$(median "$TMP/rps.kd")" "$(median "$TMP/rps.curl")")" \
  "$(ratio "$(best "$TMP/rps.curl")" "$(best "$TMP/rps.ref")")" \
  "$(ratio "$(median "$TMP/rps.curl")" "$(median "$TMP/rps.ref")")"
printf 'kube get: curl-only runs %s(CPU us per request %s)\n' \
  "$(tr '\n' ' ' < "$TMP/rps.curl")" "$(tr '\n' ' ' < "$TMP/cpu.curl" | sed 's/ $//')"

# watch: one process tracks 1,000 objects of 5 kinds
out=$("$KDEPLOY" run $B watch-rss "$TMP/kc" objs $N)
set -- $out
kb=$8
printf 'kube watch %s objects of 5 kinds (+%s changes): %s watch connections, peak RSS %d MB (target < 50 MB: %s)\n' \
  "$2" "$4" "$6" $((kb / 1024)) "$(awk "BEGIN{print ($kb < 51200) ? \"met\" : \"NOT met\"}")"
