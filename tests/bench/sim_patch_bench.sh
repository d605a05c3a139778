#!/bin/sh
# tests/bench/sim_patch_bench.sh: the cost of PATCH logic in kdeploy sim
# (engine/sim/sim_patch) on the podinfo Deployment as the sim stores it
# after `kubectl apply --server-side`, as ratios to JSON decode+encode of
# the same object. Standalone: sh tests/bench/sim_patch_bench.sh (after make).
set -eu
BUILD=${BUILD:-build}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
CHARTS=../shared/charts-expected
[ -d "$CHARTS" ] || CHARTS=/work/shared/charts-expected
cc -O2 -std=c11 -D_DEFAULT_SOURCE -iquote engine -o "$TMP/bench" \
  tests/bench/sim_patch_bench.c "$BUILD/libengine.a" \
  $(pkg-config --libs libcurl yaml-0.1 zlib libpcre2-8 openssl) -lm
# the Deployment of the chart, and the object the sim keeps for it
awk 'BEGIN { RS = "---" } /kind: Deployment/' "$CHARTS/podinfo.yaml" > "$TMP/cfg.yaml"
cat > "$TMP/mk.c" <<'C'
#include "json.h"
#include "yaml.h"
#include "sim/sim_patch.h"
#include <stdio.h>
int main(int argc, char **argv) {
  size_t n; kd_error e = {0}; kd_value c, out, st; kd_buf b = {0};
  char *t = kd_read_file(argv[1], &n, &e);
  sim_patch_ctx x = {0};
  if (!t || yaml_decode(t, n, "c", &c, &e)) return 1;
  x.api_version = "apps/v1"; x.kind = "Deployment"; x.manager = "kubectl";
  x.now = "2025-01-01T00:00:00Z";
  if (sim_patch_apply(&x, SIM_PATCH_APPLY, NULL, &c, &out, &st, &e)) return 1;
  json_encode(&out, 0, &b, &e);
  fwrite(b.data, 1, b.len, stdout);
  return 0;
}
C
cc -O2 -std=c11 -D_DEFAULT_SOURCE -iquote engine -o "$TMP/mk" "$TMP/mk.c" \
  "$BUILD/libengine.a" $(pkg-config --libs libcurl yaml-0.1 zlib libpcre2-8 openssl) -lm
"$TMP/mk" "$TMP/cfg.yaml" > "$TMP/live.json"
"$TMP/bench" "$TMP/live.json" "$TMP/cfg.yaml" "${SIM_PATCH_BENCH_SECONDS:-1}"
