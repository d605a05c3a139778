# tests/e2e/sim_watch_test.sh: watch semantics of `kdeploy sim` over raw
# HTTP (curl): resume from a resourceVersion, timeoutSeconds, bookmarks,
# 410 Expired, selectors entering/leaving, and the injected faults.
. tests/e2e/lib.sh
. tests/e2e/simlib.sh

post_cm() {  # post_cm NAME [LABELS-JSON]
  curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data "{\"metadata\":{\"name\":\"$1\",\"labels\":${2:-{\}}},\"data\":{\"a\":\"1\"}}" \
    "$URL/api/v1/namespaces/default/configmaps"
}
list_rv() {
  curl -s "$URL/api/v1/namespaces/default/configmaps" |
    sed -n 's/.*"resourceVersion":"\([0-9]*\)".*/\1/p' | head -1
}

start_sim --watch-cache 20 || fail sim_starts "$(cat "$TMP/sim.err")"
URL=$(sim_url)

post_cm before >/dev/null
RV=$(list_rv)
post_cm after1 >/dev/null
post_cm after2 >/dev/null
run curl -sN "$URL/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=$RV&timeoutSeconds=1"
expect watch_resume_replays_after_rv 0 '^\{"type":"ADDED","object":\{"kind":"ConfigMap","apiVersion":"v1","metadata":\{"name":"after1",'
printf '%s' "$OUT" | grep -q '"name":"before"' && fail watch_resume_skips_older "saw before" ||
  pass watch_resume_skips_older
[ "$(printf '%s\n' "$OUT" | grep -c '"type":"ADDED"')" = 2 ] && pass watch_timeout_ends_stream ||
  fail watch_timeout_ends_stream "$OUT"

run curl -sN "$URL/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1"
printf '%s' "$OUT" | grep -q '"name":"before"' && pass watch_without_rv_sends_initial_state ||
  fail watch_without_rv_sends_initial_state "$OUT"

run curl -sN "$URL/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=$RV&allowWatchBookmarks=true&timeoutSeconds=1"
expect watch_bookmark 0 '"type":"BOOKMARK","object":\{"kind":"ConfigMap","apiVersion":"v1","metadata":\{"resourceVersion":"[0-9]+"'

# live events: a label change moves an object in and out of a selector
curl -sN "$URL/api/v1/namespaces/default/configmaps?watch=1&labelSelector=team%3Da&resourceVersion=$(list_rv)&timeoutSeconds=3" > "$TMP/sel.out" &
CPID=$!
sleep 0.5
post_cm sel '{"team":"a"}' >/dev/null
curl -s -o /dev/null -X PATCH -H 'Content-Type: application/merge-patch+json' \
  --data '{"metadata":{"labels":{"team":"b"}}}' "$URL/api/v1/namespaces/default/configmaps/sel"
curl -s -o /dev/null -X PATCH -H 'Content-Type: application/merge-patch+json' \
  --data '{"metadata":{"labels":{"team":"a"}}}' "$URL/api/v1/namespaces/default/configmaps/sel"
post_cm other '{"team":"c"}' >/dev/null
wait "$CPID"
[ "$(grep -o '"type":"[A-Z]*"' "$TMP/sel.out" | tr '\n' ' ')" = '"type":"ADDED" "type":"DELETED" "type":"ADDED" ' ] &&
  pass watch_selector_enter_leave || fail watch_selector_enter_leave "$(cat "$TMP/sel.out")"

# more events than the watch cache keeps: the old rv is gone
i=0; while [ $i -lt 25 ]; do post_cm "bulk$i" >/dev/null; i=$((i + 1)); done
run curl -sN "$URL/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=$RV"
expect watch_410_expired 0 '"type":"ERROR","object":\{"kind":"Status".*"reason":"Expired".*"code":410'
printf '%s' "$OUT" | grep -q 'too old resource version' && pass watch_410_message ||
  fail watch_410_message "$OUT"
stop_sim

# faults
start_sim --fault-429 1
URL=$(sim_url)
run curl -s -D "$TMP/h" "$URL/api/v1/namespaces/default/configmaps"
expect fault_429_status 0 '"reason":"TooManyRequests".*"code":429'
grep -qi '^Retry-After: 1' "$TMP/h" && pass fault_429_retry_after || fail fault_429_retry_after "$(cat "$TMP/h")"
stop_sim
grep -Eq ' [1-9][0-9]* x 429' "$TMP/sim.err" && pass fault_429_counted || fail fault_429_counted "$(cat "$TMP/sim.err")"

start_sim --fault-latency 50
URL=$(sim_url)
run curl -s "$URL/api/v1/namespaces/default"
expect fault_latency_still_answers 0 '"name":"default"'
stop_sim
grep -Eq ' [1-9][0-9]* delayed' "$TMP/sim.err" && pass fault_latency_counted || fail fault_latency_counted "$(cat "$TMP/sim.err")"

start_sim --fault-watch-drop 1
URL=$(sim_url)
run curl -sN -m 10 "$URL/api/v1/namespaces/default/configmaps?watch=1"
[ "$RC" != 28 ] && pass fault_watch_drop_closes || fail fault_watch_drop_closes "curl ran into its 10 s limit"
stop_sim
grep -Eq ' [1-9][0-9]* watches dropped' "$TMP/sim.err" && pass fault_watch_drop_counted ||
  fail fault_watch_drop_counted "$(cat "$TMP/sim.err")"

start_sim --fault-watch-410
URL=$(sim_url)
run curl -sN "$URL/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=$(list_rv)"
expect fault_watch_410 0 '"code":410'
stop_sim
grep -Eq ' [1-9][0-9]* watch resumes answered 410' "$TMP/sim.err" && pass fault_watch_410_counted ||
  fail fault_watch_410_counted "$(cat "$TMP/sim.err")"

# start-up errors: a clear message, exit 1, nothing left running
printf '{"objects": [' > "$TMP/bad-state.json"
run "$KDEPLOY" sim --state "$TMP/bad-state.json"
expect bad_state_file 1 '' 'bad-state.json:1:'
start_sim
PORT=$(sim_url | sed 's/.*://')
run "$KDEPLOY" sim --port "$PORT"
expect port_in_use 1 '' "cannot listen on 127.0.0.1:$PORT"
stop_sim
"$KDEPLOY" sim --port 0 >"$TMP/kc-stdout" 2>"$TMP/err2" &
P2=$!
i=0; while ! grep -q 'current-context: kdeploy-sim' "$TMP/kc-stdout" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill "$P2"; wait "$P2"
grep -q '^  name: kdeploy-sim$' "$TMP/kc-stdout" && pass kubeconfig_on_stdout ||
  fail kubeconfig_on_stdout "$(cat "$TMP/kc-stdout")"

run "$KDEPLOY" sim --fault-500 2
expect fault_flag_range_checked 2 '' 'fault-500'
run "$KDEPLOY" sim --port 99999
expect port_flag_range_checked 2 '' 'port'
finish
