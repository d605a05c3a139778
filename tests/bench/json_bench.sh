# tests/bench/json_bench.sh: JSON decode and encode of the same objects as
# one List, against cJSON (Debian libcjson-dev): cJSON_ParseWithLength and
# cJSON_PrintUnformatted.
. tests/bench/lib.sh
need_manifests
bench "json decode" \
  "$BENCH_BIN/codec json-decode $BENCH_DATA/manifests.json" \
  "$BENCH_BIN/ref_cjson parse $BENCH_DATA/manifests.json" \
  "cJSON_ParseWithLength"
bench "json encode" \
  "$BENCH_BIN/codec json-encode $BENCH_DATA/manifests.json" \
  "$BENCH_BIN/ref_cjson print $BENCH_DATA/manifests.json" \
  "cJSON_PrintUnformatted"
# Kubernetes objects as `kdeploy sim` serves them (a ConfigMap, Secret,
# ServiceAccount, Service and Deployment, managedFields included, ~1 KB
# each: tests/bench/sim_bodies.jsonl), each decoded on its own into Lua
# tables by kdeploy.json.decode (what a GET does with its response) against
# cJSON parsing into (and freeing) its tree.
: "${JSON_LUA_ROUNDS:=4000}"
bench "json decode to Lua" \
  "$KDEPLOY run tests/bench/json_lua.lua tests/bench/sim_bodies.jsonl $JSON_LUA_ROUNDS" \
  "$BENCH_BIN/ref_cjson parse-lines tests/bench/sim_bodies.jsonl $JSON_LUA_ROUNDS" \
  "cJSON_ParseWithLength + cJSON_Delete per body"
