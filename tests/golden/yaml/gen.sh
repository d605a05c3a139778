#!/bin/sh
# tests/golden/yaml/gen.sh: regenerates the expected toYaml output of every
# tests/golden/yaml/NAME.values.yaml with the real helm binary.
#
# For each values file, a throwaway chart renders `toYaml .Values` and
# `toYaml` of each item of `.Values.cases` (so that lists, strings and
# numbers are also seen at the root), base64-encoded so that helm's own
# manifest handling cannot touch the text. NAME.toyaml then holds one block
# per call: a line "#### WHAT" and yaml.Marshal's exact output (toYaml's
# text plus the final newline toYaml trims), or "#### WHAT error" when
# toYaml printed nothing because go-yaml refused the value.
#
# Usage: sh tests/golden/yaml/gen.sh   (from the top of the checkout)
# Inputs must not hold integers beyond 2^53: Helm reads values numbers as
# float64, the codecs keep them exact; that is not the emitter's concern.
set -eu
helm="$(sh tests/tools.sh)/helm"
dir=tests/golden/yaml
chart=$(mktemp -d)
trap 'rm -rf "$chart"' EXIT
mkdir -p "$chart/c/templates"
printf 'apiVersion: v2\nname: c\nversion: 0.1.0\n' > "$chart/c/Chart.yaml"
cat > "$chart/c/templates/out.yaml" <<'TPL'
all: {{ toYaml .Values | b64enc }}
{{- range $i, $v := .Values.cases }}
c{{ $i }}: {{ toYaml $v | b64enc }}
{{- end }}
TPL
for values in "$dir"/*.values.yaml; do
  name=${values%.values.yaml}
  "$helm" template x "$chart/c" -f "$values" > "$chart/out"
  : > "$name.toyaml.tmp"
  grep -E '^(all|c[0-9]+):' "$chart/out" | while read -r key b64; do
    key=${key%:}
    what=.Values
    [ "$key" = all ] || what=".Values.cases[${key#c}]"
    if [ -z "$b64" ]; then
      echo "#### $what error" >> "$name.toyaml.tmp"
    else
      echo "#### $what" >> "$name.toyaml.tmp"
      { printf '%s' "$b64" | base64 -d; echo; } >> "$name.toyaml.tmp"
    fi
  done
  mv "$name.toyaml.tmp" "$name.toyaml"
  echo "gen: $name.toyaml"
done
