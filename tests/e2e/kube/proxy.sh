# tests/e2e/kube/proxy.sh: sourced by tests/e2e/kube_test.sh while the TLS
# sim runs ($KC): proxy-url through tests/e2e/kube/proxy.c (a CONNECT
# proxy that logs every tunnel): requests go through it, a proxy that is
# down is one clear error, and a proxy that cuts every tunnel after 700 ms
# makes pod log follow streams resume with sinceTime (kube/simlogs.lua drop).

# start_proxy ARGS...: starts the proxy, its port in $PROXY_PORT, its log in
# $TMP/proxy.log, a copy of $KC with proxy-url in $TMP/proxy.kc.
start_proxy() {
  : > "$TMP/proxy.port"
  "$TMP/proxy" "$@" > "$TMP/proxy.port" 2> "$TMP/proxy.log" &
  PROXY_PID=$!
  i=0; while [ ! -s "$TMP/proxy.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
  PROXY_PORT=$(cat "$TMP/proxy.port")
  sed "s|^\( *\)server: .*|&\n\1proxy-url: http://127.0.0.1:$PROXY_PORT|" "$KC" > "$TMP/proxy.kc"
}
stop_proxy() {
  kill "$PROXY_PID" 2>/dev/null
  wait "$PROXY_PID" 2>/dev/null
  PROXY_PID=
}

printf 'local c = require("kdeploy.kube").connect({ kubeconfig = arg[1], timeout = 5 })\nprint(#c:list({ apiVersion = "v1", kind = "Namespace" }), #c:list({ apiVersion = "v1", kind = "Pod" }))\n' \
  > "$TMP/list.lua"
SIM_HOSTPORT=$(sim_url | sed 's|^https://||')
if cc -O2 -o "$TMP/proxy" tests/e2e/kube/proxy.c -lpthread; then
  start_proxy
  grep -q "proxy-url: http://127.0.0.1:$PROXY_PORT" "$TMP/proxy.kc" && pass proxy_kubeconfig ||
    fail proxy_kubeconfig "no proxy-url in $(cat "$TMP/proxy.kc")"
  run "$KDEPLOY" run "$TMP/list.lua" "$TMP/proxy.kc"
  expect proxy_url_requests 0 "^[1-9][0-9]*	[0-9]"
  tunnels=$(grep -c "^CONNECT $SIM_HOSTPORT\$" "$TMP/proxy.log")
  others=$(grep -vc "^CONNECT $SIM_HOSTPORT\$" "$TMP/proxy.log")
  [ "$tunnels" -ge 1 ] && [ "$others" = 0 ] && pass proxy_url_went_through_proxy ||
    fail proxy_url_went_through_proxy "tunnels $tunnels, other lines $others: $(cat "$TMP/proxy.log")"
  # without proxy-url the same kubeconfig does not touch the proxy
  : > "$TMP/proxy.log"
  run "$KDEPLOY" run "$TMP/list.lua" "$KC"
  expect no_proxy_url_direct 0 "^[1-9]"
  [ ! -s "$TMP/proxy.log" ] && pass no_proxy_url_bypasses_proxy ||
    fail no_proxy_url_bypasses_proxy "$(cat "$TMP/proxy.log")"
  stop_proxy
  run "$KDEPLOY" run "$TMP/list.lua" "$TMP/proxy.kc"
  expect proxy_down_clear_error 1 "" \
    "cannot connect to server https://$SIM_HOSTPORT through proxy http://127.0.0.1:$PROXY_PORT \\(context \"kdeploy-sim\"\\)"

  start_proxy --drop-after 700
  lua_suite simlogs_drop tests/e2e/kube/simlogs.lua "$TMP/proxy.kc" drop
  stop_proxy
  drops=$(grep -c "^DROP " "$TMP/proxy.log")
  [ "$drops" -ge 1 ] && pass proxy_dropped_streams || fail proxy_dropped_streams "$(cat "$TMP/proxy.log")"
else
  fail proxy_builds "cc tests/e2e/kube/proxy.c failed"
fi
