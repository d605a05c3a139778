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
