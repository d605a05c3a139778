# tests/e2e/charts_golden_test.sh: every case of the shared chart corpus
# (INDEX.tsv, with the CHART+VARIANT values variants) rendered by
# `kdeploy render` and compared byte for byte with what Helm v4.1.4
# printed. The corpus is found at $KDEPLOY_CHARTS (default: ../shared from
# the repo root); without it the test fails loudly.
. tests/e2e/lib.sh
SHARED=${KDEPLOY_CHARTS:-$(cd "$(dirname "$0")/../.." && pwd)/../shared}
if [ ! -f "$SHARED/charts/INDEX.tsv" ]; then
  fail charts_corpus "no chart corpus at $SHARED (set KDEPLOY_CHARTS to the shared/ folder)"
  exit 1
fi
matched=""
tail -n +2 "$SHARED/charts/INDEX.tsv" | while IFS='	' read -r name source path flags docs helm_s status; do
  chartdir=${name%%+*}
  fl=$(printf '%s' "$flags" | sed "s|\$VALUES|$SHARED/charts-values|g")
  # shellcheck disable=SC2086
  "$KDEPLOY" render "$SHARED/charts/$chartdir" --release rel -n ns $fl >"$TMP/out" 2>"$TMP/err"
  rc=$?
  if [ "$rc" != 0 ]; then
    fail "chart $name" "exit $rc: $(head -3 "$TMP/err")"
  elif cmp -s "$TMP/out" "$SHARED/charts-expected/$name.yaml"; then
    pass "chart $name (byte-identical)"
  else
    fail "chart $name" "differs from Helm: $(diff "$TMP/out" "$SHARED/charts-expected/$name.yaml" | head -4 | tr '\n' ' ')"
  fi
done
