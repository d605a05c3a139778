#!/bin/sh
# tests/bench/sim_bench.sh: kdeploy sim throughput, memory and watch fan-out.
# Runs from tests/bench/run.sh (`make bench`) or standalone
# (KDEPLOY=./kdeploy sh tests/bench/sim_bench.sh). Figures are printed with their targets (issue #3) and
# as a ratio against the loopback ceiling measured in the same run (the
# same client against a responder that does nothing but answer).
set -eu
: "${KDEPLOY:=./kdeploy}"
SECS=${SIM_BENCH_SECONDS:-2}
TMP=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$TMP"' EXIT
# the load generator: built by make into $BENCH_BIN, else built here
if [ -n "${BENCH_BIN:-}" ] && [ -x "$BENCH_BIN/sim_load" ]; then
  L="$BENCH_BIN/sim_load"
else
  cc -O2 -o "$TMP/sim_load" tests/bench/sim_load.c -lpthread
  L="$TMP/sim_load"
fi
"$KDEPLOY" sim --port 0 --nodes 1 --kubeconfig "$TMP/kc" >/dev/null 2>"$TMP/err" &
PID=$!
i=0; while [ ! -s "$TMP/kc" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
PORT=$(sed -n 's/^ *server: http:\/\/127.0.0.1://p' "$TMP/kc")
val() { sed -n "s/^$1 //p" "$2"; }

# CPU ticks (user + system) the sim used: a figure the machine's other
# load does not change, unlike requests per second on 2 shared cores
ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
HZ=$(getconf CLK_TCK)

"$L" ceiling 8 "$SECS" > "$TMP/ceil"
ceil=$(val rps "$TMP/ceil")
for m in get post; do
  t0=$(ticks)
  "$L" rps "$PORT" 8 "$SECS" "$m" > "$TMP/$m"
  t1=$(ticks)
  r=$(val rps "$TMP/$m")
  n=$(val requests "$TMP/$m")
  cpu=$(awk "BEGIN{printf \"%.0f\", ($t1 - $t0) * 1000000 / $HZ / $n}")
  printf 'sim %-4s keep-alive: %6s req/s (target >= 5000: %s) ratio to loopback ceiling %s (%s req/s), %s errors; sim CPU %s us/request (= %s req/s per core)\n' \
    "$m" "$r" "$(awk "BEGIN{print ($r >= 5000) ? \"met\" : \"NOT met\"}")" \
    "$(awk "BEGIN{printf \"%.2f\", $r / $ceil}")" "$ceil" "$(val errors "$TMP/$m")" \
    "$cpu" "$(awk "BEGIN{printf \"%.0f\", 1000000 / ($cpu > 0 ? $cpu : 1)}")"
done

"$L" watch "$PORT" 200 200 > "$TMP/watch"
printf 'sim 200 watches x 200 objects: %s of %s events delivered (min per watcher %s) in %ss\n' \
  "$(val events_delivered "$TMP/watch")" "$(val events_expected "$TMP/watch")" \
  "$(val min_per_watcher "$TMP/watch")" "$(val seconds "$TMP/watch")"

rss0=$(awk '/VmRSS/{print $2}' "/proc/$PID/status")
t0=$(date +%s.%N)
"$L" create "$PORT" 10000 > /dev/null
t1=$(date +%s.%N)
rss1=$(awk '/VmRSS/{print $2}' "/proc/$PID/status")
printf 'sim 10000 configmaps: created in %.2fs, RSS %d MB (%d MB before; target < 200 MB: %s)\n' \
  "$(awk "BEGIN{print $t1 - $t0}")" $((rss1 / 1024)) $((rss0 / 1024)) \
  "$(awk "BEGIN{print ($rss1 < 204800) ? \"met\" : \"NOT met\"}")"
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
