#!/bin/sh
# tests/bench/render_bench.sh: `kdeploy render` against `helm template` on
# every case of the shared chart corpus (INDEX.tsv), both run in this
# benchmark, alternately, RENDER_BENCH_RUNS times each (default 5). Per
# chart: median wall time, median CPU time (user+sys; the figure to trust
# on a busy machine) and peak RSS of each, with the ratios helm/kdeploy
# (how many times faster) and RSS kdeploy/helm. Then the corpus: sums of
# the medians. Targets (issue #5): >= 5x per chart, >= 10x on the corpus,
# RSS <= 1/4 of helm's. A case kdeploy cannot render is reported and
# makes the benchmark fail (its figures would be missing).
# Runs from tests/bench/run.sh, or: KDEPLOY=./kdeploy BENCH_BIN=build/bench
#   sh tests/bench/render_bench.sh
set -u
: "${KDEPLOY:?KDEPLOY must name the binary}"
: "${BENCH_BIN:?BENCH_BIN must name the built drivers}"
RUNS=${RENDER_BENCH_RUNS:-5}
SHARED=${KDEPLOY_CHARTS:-../shared}
[ -f "$SHARED/charts/INDEX.tsv" ] || [ -n "${KDEPLOY_CHARTS:-}" ] || SHARED=/work/shared
HELM=$(sh tests/tools.sh)/helm || { echo "render bench: no helm" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
US=$(printf '\037')
tail -n +2 "$SHARED/charts/INDEX.tsv" | tr '\t' "$US" >"$TMP/index"

# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END {
  if (NR == 0) { print 0; exit }
  if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf '%-26s %9s %9s %7s %9s %9s %7s %8s %8s %6s\n' chart kd_wall_ms helm_ms \
  wall_x kd_cpu_ms helm_cpu wall_cpu kd_rss_MB helm_MB rss
failed=0
: >"$TMP/totals"
while IFS=$US read -r name source path flags rest; do
  [ -n "$name" ] || continue
  chartdir=$SHARED/charts/${name%%+*}
  fl=$(printf '%s' "$flags" | sed "s|\$VALUES|$SHARED/charts-values|g")
  : >"$TMP/k"; : >"$TMP/h"
  ok=1 i=0
  while [ $i -lt "$RUNS" ]; do
    # shellcheck disable=SC2086
    "$BENCH_BIN/runstat" "$KDEPLOY" render "$chartdir" --release rel -n ns $fl \
      >>"$TMP/k" 2>"$TMP/err" || { ok=0; break; }
    # shellcheck disable=SC2086
    "$BENCH_BIN/runstat" "$HELM" template rel "$chartdir" -n ns $fl \
      >>"$TMP/h" 2>>"$TMP/err" || { ok=0; break; }
    i=$((i + 1))
  done
  if [ $ok = 0 ]; then
    # shellcheck disable=SC2086
    why=$("$KDEPLOY" render "$chartdir" --release rel -n ns $fl 2>&1 >/dev/null | head -1)
    printf '%-26s not measured: %s\n' "$name" "${why:-$(head -1 "$TMP/err")}"
    failed=1
    continue
  fi
  kw=$(awk '{print $1}' "$TMP/k" | median); hw=$(awk '{print $1}' "$TMP/h" | median)
  kc=$(awk '{print $2 + $3}' "$TMP/k" | median); hc=$(awk '{print $2 + $3}' "$TMP/h" | median)
  kr=$(awk '{print $4}' "$TMP/k" | sort -g | tail -1); hr=$(awk '{print $4}' "$TMP/h" | sort -g | tail -1)
  echo "$kw $hw $kc $hc $kr $hr" >>"$TMP/totals"
  awk -v n="$name" -v kw="$kw" -v hw="$hw" -v kc="$kc" -v hc="$hc" -v kr="$kr" -v hr="$hr" 'BEGIN {
    if (kc <= 0) kc = 0.001
    printf "%-26s %9.1f %9.1f %6.1fx %9.1f %9.1f %6.1fx %8.1f %8.1f %5.2f\n", n,
      kw * 1000, hw * 1000, hw / kw, kc * 1000, hc * 1000, hc / kc,
      kr / 1024, hr / 1024, kr / hr }'
done <"$TMP/index"
awk -v runs="$RUNS" '{ kw += $1; hw += $2; kc += $3; hc += $4
    if ($2 / $1 < minw || NR == 1) minw = $2 / $1
    c = $3 > 0 ? $4 / $3 : 1e9; if (c < minc || NR == 1) minc = c
    r = $5 / $6; if (r > maxr) maxr = r }
  END {
    if (NR == 0) exit
    printf "corpus (%d cases, median of %d runs each): kdeploy %.0f ms, helm %.0f ms wall: %.1fx; CPU %.0f ms vs %.0f ms: %.1fx\n",
      NR, runs, kw * 1000, hw * 1000, hw / kw, kc * 1000, hc * 1000, hc / kc
    printf "targets: >= 5x on every chart (slowest: %.1fx wall, %.1fx CPU), >= 10x on the corpus (%.1fx wall, %.1fx CPU), RSS <= 0.25 of helm (largest: %.2f)\n",
      minw, minc, hw / kw, hc / kc, maxr }' "$TMP/totals"
exit $failed
