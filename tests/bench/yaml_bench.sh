# tests/bench/yaml_bench.sh: YAML decode and encode of the manifest stream.
# Decode: yaml_decode_stream into kd_value trees (freeing them is not
# timed), against libyaml's bare event parser (events dropped, no tree: a
# floor, not a competitor).
# Encode: yaml_encode of every document (Helm's toYaml text), against
# libyaml's emitter writing the same stream's events.
. tests/bench/lib.sh
need_manifests
bench "yaml decode ${BENCH_MB}MB" \
  "$BENCH_BIN/codec yaml-decode $BENCH_DATA/manifests.yaml" \
  "$BENCH_BIN/ref_libyaml parse $BENCH_DATA/manifests.yaml" \
  "libyaml yaml_parser_parse, events only"
bench "yaml encode ${BENCH_MB}MB" \
  "$BENCH_BIN/codec yaml-encode $BENCH_DATA/manifests.yaml" \
  "$BENCH_BIN/ref_libyaml emit $BENCH_DATA/manifests.yaml" \
  "libyaml yaml_emitter_emit of the events"
