# tests/e2e/lib.sh: helpers for end-to-end tests of the kdeploy binary.
# Each check prints "PASS name" or "FAIL name: why"; run.sh counts them.
# $KDEPLOY is the binary under test; $TMP a scratch dir removed on exit.
set -u
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
E2E_FAILED=0
# The shared chart corpus (charts/, charts-expected/, charts-values/):
# $KDEPLOY_CHARTS, else ../shared next to the checkout, else /work/shared.
SHARED=${KDEPLOY_CHARTS:-../shared}
[ -f "$SHARED/charts/INDEX.tsv" ] || [ -n "${KDEPLOY_CHARTS:-}" ] ||
  SHARED=/work/shared

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; E2E_FAILED=$((E2E_FAILED + 1)); }

# run CMD...: runs a command, leaving OUT, ERR (file contents) and RC.
run() {
  "$@" >"$TMP/out" 2>"$TMP/err"
  RC=$?
  OUT=$(cat "$TMP/out")
  ERR=$(cat "$TMP/err")
}

# expect NAME RC_WANT [STDOUT_PATTERN [STDERR_PATTERN]] after `run`.
expect() {
  # _x_ prefix: sh has no locals, and callers use $name/$want themselves.
  _x_name=$1 _x_want=$2
  if [ "$RC" != "$_x_want" ]; then
    fail "$_x_name" "exit code $RC, want $_x_want; stderr: $(echo "$ERR" | head -3)"
    return
  fi
  if [ $# -ge 3 ] && [ -n "$3" ] && ! printf '%s' "$OUT" | grep -qE -- "$3"; then
    fail "$_x_name" "stdout does not match /$3/: $(echo "$OUT" | head -3)"
    return
  fi
  if [ $# -ge 4 ] && [ -n "$4" ] && ! printf '%s' "$ERR" | grep -qE -- "$4"; then
    fail "$_x_name" "stderr does not match /$4/: $(echo "$ERR" | head -3)"
    return
  fi
  pass "$_x_name"
}

finish() { [ "$E2E_FAILED" = 0 ]; }
