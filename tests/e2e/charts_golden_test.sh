# tests/e2e/charts_golden_test.sh: every case of the shared chart corpus
# (INDEX.tsv, with the CHART+VARIANT values variants) rendered by
# `kdeploy render` and compared byte for byte with what Helm v4.1.4
# printed. The corpus is found at $KDEPLOY_CHARTS (default: ../shared from
# the repo root, else /work/shared); without it the test fails loudly. Ends with a summary of
# the cases that match exactly and those that do not.
. tests/e2e/lib.sh
if [ ! -f "$SHARED/charts/INDEX.tsv" ]; then
  fail charts_corpus "no chart corpus at $SHARED (set KDEPLOY_CHARTS to the shared/ folder)"
  exit 1
fi
US=$(printf '\037')
# Tabs are whitespace for `read`, so empty fields would collapse: use US.
tail -n +2 "$SHARED/charts/INDEX.tsv" | tr '\t' "$US" >"$TMP/index"
matched="" differ=""
while IFS=$US read -r name source path flags rest; do
  [ -n "$name" ] || continue
  chartdir=${name%%+*}
  fl=$(printf '%s' "$flags" | sed "s|\$VALUES|$SHARED/charts-values|g")
  # shellcheck disable=SC2086
  "$KDEPLOY" render "$SHARED/charts/$chartdir" --release rel -n ns $fl \
    >"$TMP/out" 2>"$TMP/err"
  rc=$?
  if [ "$rc" != 0 ]; then
    fail "chart $name" "exit $rc: $(head -3 "$TMP/err" | tr '\n' ' ')"
    differ="$differ $name"
  elif cmp -s "$TMP/out" "$SHARED/charts-expected/$name.yaml"; then
    pass "chart $name (byte-identical)"
    matched="$matched $name"
  else
    fail "chart $name" "differs from Helm: $(diff "$TMP/out" \
      "$SHARED/charts-expected/$name.yaml" | head -6 | tr '\n' ' ')"
    differ="$differ $name"
  fi
done <"$TMP/index"
echo "NOTE charts matching Helm exactly ($(echo $matched | wc -w)):$matched"
echo "NOTE charts not matching ($(echo $differ | wc -w)):${differ:- none}"
finish
