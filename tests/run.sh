#!/bin/sh
# tests/run.sh: the one test runner behind `make test`. Runs the C unit
# tests (build/tests/*_test), the Lua tests (tests/lua/*_test.lua) and the
# end-to-end tests (tests/e2e/*_test.sh); each prints PASS/FAIL lines
# (and NOTE lines, shown as they are).
# A suite that exits non-zero without a FAIL line counts as one failure.
# Ends with "N passed, N failed"; exits 1 on any failure.
: "${KDEPLOY:?KDEPLOY must name the binary}"
: "${BUILD:=build}"
export KDEPLOY
export LUA_PATH_5_4="$PWD/tests/lua/?.lua;;"
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

suite() {
  name=$1
  shift
  start=$(date +%s)
  "$@" >"$log" 2>&1
  rc=$?
  p=$(grep -c '^PASS ' "$log")
  f=$(grep -c '^FAIL ' "$log")
  grep '^FAIL ' "$log"
  grep '^NOTE ' "$log"   # a suite's summary worth showing (e.g. the corpus)
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
    echo "FAIL $name: exited $rc"
    tail -20 "$log" | sed 's/^/    /'
    f=1
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  printf '%-40s %4d passed %4d failed  (%ss)\n' "$name" "$p" "$f" \
    $(( $(date +%s) - start ))
}

for t in "$BUILD"/tests/*_test; do
  [ -x "$t" ] && suite "unit/$(basename "$t")" "$t"
done
for t in tests/lua/*_test.lua; do
  [ -f "$t" ] && suite "lua/$(basename "$t" .lua)" "$KDEPLOY" run "$t"
done
for t in tests/e2e/*_test.sh; do
  [ -f "$t" ] && suite "e2e/$(basename "$t" .sh)" sh "$t"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
