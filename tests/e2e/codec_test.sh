# tests/e2e/codec_test.sh: the YAML and JSON codecs through the binary:
# bad input named by file, line and column; round trips that keep nulls,
# empty arrays and big integers; toYaml text for a whole manifest.
. tests/e2e/lib.sh

# decode.lua FILE: decodes FILE (by its extension) and prints it as JSON.
cat > "$TMP/decode.lua" <<'LUA'
local path = ...
local f = assert(io.open(path)); local text = f:read("a"); f:close()
local codec = require(path:match("%.json$") and "kdeploy.json" or "kdeploy.yaml")
print(require("kdeploy.json").encode(codec.decode(text, path)))
LUA

printf 'a: 1\nb:\n  - x\n c: 2\n' > "$TMP/bad.yaml"
run "$KDEPLOY" run "$TMP/decode.lua" "$TMP/bad.yaml"
expect yaml_error_names_file_line_col 1 '' "bad\.yaml:4:2: did not find expected key"

printf 'a: 1\nb: 2\na: 3\n' > "$TMP/dup.yaml"
run "$KDEPLOY" run "$TMP/decode.lua" "$TMP/dup.yaml"
expect yaml_duplicate_key_rejected 1 '' 'dup\.yaml:3:1: mapping key "a" already defined'

printf '{\n  "a": [1, 2,],\n}\n' > "$TMP/bad.json"
run "$KDEPLOY" run "$TMP/decode.lua" "$TMP/bad.json"
expect json_error_names_file_line_col 1 '' 'bad\.json:2:14: invalid character'

printf '{"a": tru}' > "$TMP/bad2.json"
run "$KDEPLOY" run "$TMP/decode.lua" "$TMP/bad2.json"
expect json_error_one_line 1 '' '^kdeploy: .*bad2\.json:1:7: invalid character, expected a value$'

run "$KDEPLOY" run "$TMP/decode.lua" "$TMP/missing.yaml"
expect missing_input_file 1 '' 'missing\.yaml'

# JSON -> YAML -> JSON keeps null, [], {} and integers past 2^53.
cat > "$TMP/round.lua" <<'LUA'
local yaml, json = require "kdeploy.yaml", require "kdeploy.json"
local src = '{"big":9007199254740993,"max":9223372036854775807,"min":-9223372036854775808,' ..
  '"n":null,"e":[],"o":{},"l":[null,[],{}],"f":0.5,"s":"yes"}'
local y = yaml.encode(json.decode(src))
io.write(y)
print(json.encode(yaml.decode(y)))
LUA
run "$KDEPLOY" run "$TMP/round.lua"
want='big: 9007199254740993
e: []
f: 0.5
l:
- null
- []
- {}
max: 9223372036854775807
min: -9223372036854775808
"n": null
o: {}
s: "yes"
{"big":9007199254740993,"e":[],"f":0.5,"l":[null,[],{}],"max":9223372036854775807,"min":-9223372036854775808,"n":null,"o":{},"s":"yes"}'
if [ "$RC" = 0 ] && [ "$OUT" = "$want" ]; then pass json_yaml_json_round_trip
else fail json_yaml_json_round_trip "rc $RC, got: $OUT"; fi

# A manifest stream decoded and encoded again is what Helm printed (the
# documents below are helm 4.1.4's `toYaml` of the same objects).
cat > "$TMP/stream.yaml" <<'YAML'
apiVersion: v1
data:
  app.conf: |
    listen 8080
    workers 4
  enabled: "true"
kind: ConfigMap
metadata:
  annotations:
    note: a long annotation that goes past the eightieth column and then is folded
      by go-yaml's emitter
  name: app
---
apiVersion: v1
kind: Service
metadata:
  labels: {}
  name: app
spec:
  ports:
  - name: http
    port: 80
    targetPort: 8080
  selector:
    app: app
YAML
cat > "$TMP/restream.lua" <<'LUA'
local yaml = require "kdeploy.yaml"
local f = assert(io.open(...)); local text = f:read("a"); f:close()
local out = {}
for i, doc in ipairs(yaml.decode_all(text)) do out[i] = yaml.encode(doc) end
io.write(table.concat(out, "---\n"))
LUA
run "$KDEPLOY" run "$TMP/restream.lua" "$TMP/stream.yaml"
if [ "$RC" = 0 ] && printf '%s\n' "$OUT" | cmp -s - "$TMP/stream.yaml"; then
  pass yaml_stream_round_trip_is_helm_text
else
  fail yaml_stream_round_trip_is_helm_text "rc $RC; diff: $(printf '%s\n' "$OUT" | diff - "$TMP/stream.yaml" | head -5)"
fi

finish
