# tests/e2e/render_test.sh: `kdeploy render` on small charts made here:
# output, flags, --output-dir, and bad input (template syntax, unknown
# functions, wrong argument types, fail/required, include cycles, missing
# subcharts, bad values files, schema violations, bad documents): each a
# clear error naming the file and line, exit 1, nothing left behind.
. tests/e2e/lib.sh

# mkchart DIR NAME: a minimal v2 chart with one ConfigMap template.
mkchart() {
  mkdir -p "$1/templates"
  printf 'apiVersion: v2\nname: %s\nversion: 0.1.0\n' "$2" >"$1/Chart.yaml"
  printf 'greeting: hello\nreplicas: 2\n' >"$1/values.yaml"
  cat >"$1/templates/cm.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-cm
  namespace: {{ .Release.Namespace }}
data:
  greeting: {{ .Values.greeting | quote }}
  replicas: {{ .Values.replicas | quote }}
EOF
}

# expect_fail NAME PATTERN CMD...: exit 1, stderr matches, stdout empty.
expect_fail() {
  name=$1 pat=$2
  shift 2
  run "$@"
  if [ "$RC" != 1 ]; then
    fail "$name" "exit $RC, want 1; stderr: $(echo "$ERR" | head -3)"
  elif ! printf '%s' "$ERR" | grep -qE -- "$pat"; then
    fail "$name" "stderr does not match /$pat/: $(echo "$ERR" | head -5)"
  elif [ -n "$OUT" ]; then
    fail "$name" "printed output on failure: $(echo "$OUT" | head -3)"
  else
    pass "$name"
  fi
}

C=$TMP/c
mkchart "$C" demo

# ---- output ------------------------------------------------------------
run "$KDEPLOY" render "$C" --release r1 -n team --set greeting=hi
expect render_prints_documents 0 '^---
# Source: demo/templates/cm.yaml
apiVersion: v1'
case "$OUT" in
  *'name: r1-cm'*'namespace: team'*'greeting: "hi"'*'replicas: "2"'*) pass render_values_and_release ;;
  *) fail render_values_and_release "$OUT" ;;
esac

printf 'greeting: from-file\n' >"$TMP/v1.yaml"
printf 'greeting: from-second\n' >"$TMP/v2.yaml"
run "$KDEPLOY" render "$C" -f "$TMP/v1.yaml" --values "$TMP/v2.yaml"
expect render_values_files_in_order 0 'greeting: "from-second"'
run "$KDEPLOY" render "$C" --set greeting=set -f "$TMP/v1.yaml"
expect render_set_wins_over_files 0 'greeting: "set"'
run "$KDEPLOY" render "$C" --set-string replicas=007 --set-json 'greeting={"a":1}'
expect render_set_string_and_json 0 'replicas: "007"'

cat >"$C/templates/hook.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-test
  annotations:
    "helm.sh/hook": test
EOF
run "$KDEPLOY" render "$C" --skip-tests
case "$OUT" in *'-test'*) fail render_skip_tests "test hook printed" ;; *) pass render_skip_tests ;; esac
run "$KDEPLOY" render "$C" --show-only templates/hook.yaml
expect render_show_only 0 '^---
# Source: demo/templates/hook.yaml'
case "$OUT" in *ConfigMap*) fail render_show_only_filters "ConfigMap printed" ;; *) pass render_show_only_filters ;; esac
expect_fail render_show_only_missing 'could not find template templates/nope.yaml in chart' \
  "$KDEPLOY" render "$C" --show-only templates/nope.yaml
rm "$C/templates/hook.yaml"

printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caps}\ndata:\n  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n  upgrade: "{{ .Release.IsUpgrade }}"\n  mon: "{{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }}"\n' >"$C/templates/caps.yaml"
run "$KDEPLOY" render "$C" --show-only templates/caps.yaml
expect render_capabilities_default 0 'kube: "v1.35.0"
  upgrade: "false"
  mon: "false"'
run "$KDEPLOY" render "$C" --show-only templates/caps.yaml --kube-version 1.28 \
  --api-versions monitoring.coreos.com/v1 --is-upgrade
expect render_capabilities_flags 0 'kube: "v1.28.0"
  upgrade: "true"
  mon: "true"'
expect_fail render_bad_kube_version "invalid kube version 'x1': could not parse \"x1\" as version" \
  "$KDEPLOY" render "$C" --kube-version x1
rm "$C/templates/caps.yaml"

# --output-dir writes one file per template, as helm does
run "$KDEPLOY" render "$C" --output-dir "$TMP/out1"
expect render_output_dir 0 "^wrote $TMP/out1/demo/templates/cm.yaml\$"
if [ -f "$TMP/out1/demo/templates/cm.yaml" ] &&
   grep -q 'name: release-name-cm' "$TMP/out1/demo/templates/cm.yaml"; then
  pass render_output_dir_file
else
  fail render_output_dir_file "$(ls -R "$TMP/out1" 2>&1 | head -5)"
fi

# a chart without templates renders an empty stream, as helm's
mkdir -p "$TMP/empty"
printf 'apiVersion: v2\nname: empty\nversion: 0.1.0\n' >"$TMP/empty/Chart.yaml"
run "$KDEPLOY" render "$TMP/empty"
[ "$RC" = 0 ] && [ "$(cat "$TMP/out")" = "" ] && [ "$(wc -c <"$TMP/out")" = 1 ] &&
  pass render_empty_chart || fail render_empty_chart "exit $RC: $(od -c "$TMP/out" | head -2)"

# ---- bad input: each with --output-dir, which must stay absent ---------
bad() {   # bad NAME PATTERN CHART [flags...]
  n=$1 p=$2 c=$3
  shift 3
  expect_fail "$n" "$p" "$KDEPLOY" render "$c" --output-dir "$TMP/od-$n" "$@"
  if [ -e "$TMP/od-$n" ]; then
    fail "${n}_leaves_nothing" "$(find "$TMP/od-$n" | head -3)"
  else
    pass "${n}_leaves_nothing"
  fi
}

B=$TMP/b1; mkchart "$B" b1
printf 'b: 1\na: {{ .Values.greeting \n' >"$B/templates/x.yaml"
bad bad_syntax '^kdeploy: parse error at \(b1/templates/x.yaml:3\): unclosed action started at b1/templates/x.yaml:2$' "$B"

B=$TMP/b2; mkchart "$B" b2
printf 'a: 1\nb: {{ nosuch .Values.greeting }}\n' >"$B/templates/x.yaml"
bad unknown_function '^kdeploy: parse error at \(b2/templates/x.yaml:2\): function "nosuch" not defined$' "$B"

B=$TMP/b3; mkchart "$B" b3
printf 'a: {{ upper .Values.replicas }}\n' >"$B/templates/x.yaml"
bad wrong_argument_type '^kdeploy: b3/templates/x.yaml:1:19$' "$B"
printf '%s' "$ERR" | grep -q 'wrong type for value; expected string; got float64' &&
  pass wrong_argument_type_message || fail wrong_argument_type_message "$ERR"

B=$TMP/b4; mkchart "$B" b4
printf 'a: 1\n---\n{{ fail "the database password is not set" }}\n' >"$B/templates/x.yaml"
bad fail_message '^kdeploy: execution error at \(b4/templates/x.yaml:3:3\): the database password is not set$' "$B"

B=$TMP/b5; mkchart "$B" b5
printf 'host: {{ required "a host is required: set .Values.host" .Values.host }}\n' >"$B/templates/x.yaml"
bad required_message '^kdeploy: execution error at \(b5/templates/x.yaml:1:9\): a host is required: set .Values.host$' "$B"

B=$TMP/b6; mkchart "$B" b6
cat >"$B/templates/_h.tpl" <<'EOF'
{{- define "loop.a" }}{{ include "loop.b" . }}{{ end }}
{{- define "loop.b" }}{{ include "loop.a" . }}{{ end }}
EOF
printf 'a: {{ include "loop.a" . }}\n' >"$B/templates/x.yaml"
bad include_cycle 'b6/templates/x.yaml:1:6: executing "b6/templates/x.yaml" at <include "loop.a" .>.*rendering template has a nested reference name: loop.[ab]' "$B"
[ "$(printf '%s' "$ERR" | wc -c)" -lt 2000 ] && pass include_cycle_message_short ||
  fail include_cycle_message_short "$(printf '%s' "$ERR" | wc -c) bytes"

B=$TMP/b7; mkchart "$B" b7
printf 'dependencies:\n- name: redis\n  version: 1.0.0\n  repository: https://example.com\n' >>"$B/Chart.yaml"
bad missing_subchart 'found in Chart.yaml, but missing in charts/ directory: redis' "$B"

B=$TMP/b8; mkchart "$B" b8
printf 'greeting: [unclosed\n' >"$TMP/bad.yaml"
bad bad_values_file "failed to parse $TMP/bad.yaml: $TMP/bad.yaml:2:1: " "$B" -f "$TMP/bad.yaml"
bad missing_values_file "$TMP/nope.yaml: No such file or directory" "$B" -f "$TMP/nope.yaml"
bad bad_set_flag 'key "x" has no value' "$B" --set x

B=$TMP/b9; mkchart "$B" b9
printf '{"type":"object","properties":{"replicas":{"type":"integer","minimum":3}}}\n' >"$B/values.schema.json"
bad schema_violation "^kdeploy: values don't meet the specifications of the schema\(s\) in the following chart\(s\):
b9:
- at '/replicas': minimum: got 2, want 3$" "$B"

B=$TMP/b10; mkchart "$B" b10
printf 'a: b: c\n' >"$B/templates/x.yaml"
bad not_yaml '^kdeploy: YAML parse error on b10/templates/x.yaml:1:5: mapping values are not allowed in this context$' "$B"

B=$TMP/b11; mkchart "$B" b11
printf 'apiVersion: v1\nmetadata:\n  name: x\n' >"$B/templates/x.yaml"
bad missing_kind 'b11/templates/x.yaml: a document has no kind' "$B"

B=$TMP/b12; mkchart "$B" b12
cp "$B/templates/cm.yaml" "$B/templates/cm2.yaml"
bad duplicate_resource 'b12/templates/cm2?.yaml: ConfigMap "release-name-cm" in namespace "default" is also defined in b12/templates/cm2?.yaml' "$B"

# helm writes every file, then fails to find --show-only's templates in the
# (empty) printed stream: the same error here, before anything is written
bad show_only_with_output_dir 'could not find template templates/cm.yaml in chart' \
  "$C" --show-only templates/cm.yaml
bad missing_chart "$TMP/none" "$TMP/none"
mkdir -p "$TMP/notachart"
bad not_a_chart 'Chart.yaml file is missing' "$TMP/notachart"

# ---- --output-dir: a failure while writing leaves nothing behind ------
B=$TMP/w1; mkchart "$B" w1
mkdir -p "$B/templates/sub"
cp "$B/templates/cm.yaml" "$B/templates/sub/cm.yaml"
sed -i 's/-cm$/-cm2/' "$B/templates/sub/cm.yaml"
mkdir -p "$TMP/od-w/w1/templates"
: >"$TMP/od-w/w1/templates/sub"        # a file where a directory must go
expect_fail output_dir_write_error "$TMP/od-w/w1/templates/sub: not a directory" \
  "$KDEPLOY" render "$B" --output-dir "$TMP/od-w"
left=$(find "$TMP/od-w" | sort | tr '\n' ' ')
[ "$left" = "$TMP/od-w $TMP/od-w/w1 $TMP/od-w/w1/templates $TMP/od-w/w1/templates/sub " ] &&
  pass output_dir_write_error_leaves_nothing || fail output_dir_write_error_leaves_nothing "$left"
rm -rf "$TMP/od-w"
: >"$TMP/od-w"                          # the output dir itself is a file
expect_fail output_dir_is_a_file "$TMP/od-w: not a directory" \
  "$KDEPLOY" render "$B" --output-dir "$TMP/od-w"

# ---- usage errors ------------------------------------------------------
run "$KDEPLOY" render
expect render_missing_chart_is_usage 2 '' 'render: missing CHART'
run "$KDEPLOY" render "$C" --frob
expect render_unknown_flag_is_usage 2 '' 'unknown flag: --frob'
finish
