# tests/e2e/kube_test.sh: kdeploy.kube and kdeploy.watch against `kdeploy
# sim`: the verbs, errors and discovery (kube/api.lua), watches with and
# without injected watch faults (kube/watch.lua), retries under 429/500
# faults, kubeconfig merging cross-checked with the real kubectl, an exec
# plugin that never answers (the call's timeout, the plugin killed), two
# clusters at once (kube/multi.lua), pod logs (kube/logs.lua against
# kube/logsrv.c), every kind of credentials over TLS (kube/auth.lua) and
# in-cluster config; logs of sim pods (kube/simlogs.lua), proxy-url through
# kube/proxy.c and log streams cut by it (kube/proxy.sh).
. tests/e2e/lib.sh
. tests/e2e/simlib.sh
export KDEPLOY_CACHE_DIR="$TMP/cache"
SIM2_PID= LOGSRV_PID= PROXY_PID=
trap '[ -n "$SIM2_PID" ] && kill "$SIM2_PID" 2>/dev/null; [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null; [ -n "$LOGSRV_PID" ] && kill "$LOGSRV_PID" 2>/dev/null; stop_sim; rm -rf "$TMP"' EXIT

# lua_suite NAME SCRIPT ARGS...: runs a Lua test script; its PASS/FAIL lines
# count, and a script that dies without them is one failure.
lua_suite() {
  name=$1
  shift
  "$KDEPLOY" run "$@" >"$TMP/lua.out" 2>"$TMP/lua.err"
  rc=$?
  cat "$TMP/lua.out"
  if [ "$rc" != 0 ] && ! grep -q '^FAIL ' "$TMP/lua.out"; then
    fail "$name" "exited $rc: $(tail -3 "$TMP/lua.err")"
  fi
}

start_sim || fail sim_starts "$(cat "$TMP/sim.err")"
lua_suite api tests/e2e/kube/api.lua "$KC"
lua_suite watch tests/e2e/kube/watch.lua "$KC" plain
lua_suite simlogs tests/e2e/kube/simlogs.lua "$KC" plain
stop_sim

start_sim --fault-watch-drop 1 || fail sim_starts_drop "$(cat "$TMP/sim.err")"
lua_suite watch_drop tests/e2e/kube/watch.lua "$KC" drop
stop_sim
grep -q '[1-9][0-9]* watches dropped' "$TMP/sim.err" && pass watch_drops_happened ||
  fail watch_drops_happened "$(tail -2 "$TMP/sim.err")"

start_sim --fault-watch-410 || fail sim_starts_410 "$(cat "$TMP/sim.err")"
lua_suite watch_410 tests/e2e/kube/watch.lua "$KC" 410
stop_sim
grep -q '[1-9][0-9]* watch resumes answered 410' "$TMP/sim.err" && pass watch_410_happened ||
  fail watch_410_happened "$(tail -2 "$TMP/sim.err")"

# Retries: GETs through 429s and 500s all succeed (12 retries: a request
# fails 13 times in a row with odds of 0.4^13); creates are retried on
# 429 only (a 500 may have been applied), so every create either succeeds
# or fails with 500, and none is made twice.
start_sim --fault-429 0.2 --fault-500 0.2 || fail sim_starts_faults "$(cat "$TMP/sim.err")"
cat > "$TMP/retry.lua" <<'LUA'
local kube, kdeploy = require "kdeploy.kube", require "kdeploy"
local c = kube.connect({ kubeconfig = arg[1], retries = 12 })
local created, failed500, other = 0, 0, 0
local ts = {}
for i = 1, 60 do
  ts[i] = kdeploy.spawn(function()
    local ok, err = pcall(c.create, c, { apiVersion = "v1", kind = "ConfigMap",
      metadata = { name = "r" .. i, namespace = "default" } })
    if ok then created = created + 1
    elseif err.code == 500 then failed500 = failed500 + 1
    else other = other + 1; print("unexpected: " .. tostring(err)) end
  end)
end
require("kdeploy.task").wait_all(ts)
local gets = 0
for i = 1, 60 do
  if c:find({ apiVersion = "v1", kind = "ConfigMap", name = "r" .. i }) then gets = gets + 1 end
end
print(created, failed500, other, gets)
LUA
run "$KDEPLOY" run "$TMP/retry.lua" "$KC"
set -- $OUT
if [ "$RC" = 0 ] && [ "$3" = 0 ] && [ "$1" -gt 0 ] && [ $(($1 + $2)) = 60 ] && [ "$4" = "$1" ]; then
  pass retries_under_429_and_500
else
  fail retries_under_429_and_500 "rc $RC: created/500/other/found = $OUT $ERR"
fi
stop_sim
grep -q '[1-9][0-9]* x 429' "$TMP/sim.err" && pass faults_429_happened ||
  fail faults_429_happened "$(tail -2 "$TMP/sim.err")"

# kubeconfig as kubectl reads it: KUBECONFIG merge order, --context,
# namespace, compared with `kubectl config view --minify`.
start_sim || fail sim_starts_kc "$(cat "$TMP/sim.err")"
SERVER=$(sim_url)
TOKEN=$(sed -n 's/^ *token: //p' "$KC" | head -1)
mkdir -p "$TMP/kc/sub"
cat > "$TMP/kc/a.yaml" <<YAML
current-context: first
clusters:
- name: sim
  cluster: {server: '$SERVER'}
- name: elsewhere
  cluster: {server: 'http://127.0.0.1:1'}
users:
- name: admin
  user: {token: '$TOKEN'}
contexts:
- name: first
  context: {cluster: sim, user: admin, namespace: team-a}
- name: both
  context: {cluster: sim, user: admin}
YAML
cat > "$TMP/kc/sub/b.yaml" <<YAML
current-context: second
clusters:
- name: sim
  cluster: {server: 'http://127.0.0.1:2'}
users:
- name: admin
  user: {token: wrong}
- name: other
  user: {token: '$TOKEN'}
contexts:
- name: both
  context: {cluster: elsewhere, user: other, namespace: ignored}
- name: second
  context: {cluster: sim, user: other}
YAML
for order in "a.yaml:sub/b.yaml" "sub/b.yaml:a.yaml" "missing.yaml:sub/b.yaml"; do
  kcenv=$(echo "$order" | sed "s|\([^:]*\)|$TMP/kc/\1|g")
  for ctx in "" both second; do
    want=$(KUBECONFIG="$kcenv" "$KUBECTL" config view --minify ${ctx:+--context "$ctx"} \
      -o jsonpath='{.contexts[0].name} {.clusters[0].cluster.server} {.contexts[0].context.user}' 2>/dev/null)
    run env KUBECONFIG="$kcenv" "$KDEPLOY" run tests/e2e/kube/info.lua "$ctx"
    got=$(echo "$OUT" | head -1 | cut -f1-3 | tr '\t' ' ')
    case_name="kubeconfig_${order}_${ctx:-current}"
    if [ "$got" = "$want" ]; then pass "$case_name"; else fail "$case_name" "kdeploy '$got', kubectl '$want'"; fi
  done
done
run env KUBECONFIG="$TMP/kc/a.yaml:$TMP/kc/sub/b.yaml" "$KDEPLOY" run tests/e2e/kube/info.lua "" ""
expect kubeconfig_context_namespace 0 "	team-a	token	false"
run env KUBECONFIG="$TMP/kc/a.yaml" "$KDEPLOY" run tests/e2e/kube/info.lua both override
expect kubeconfig_namespace_flag 0 "	override	token	false"
run env KUBECONFIG="$TMP/kc/a.yaml" "$KDEPLOY" run tests/e2e/kube/info.lua both
expect kubeconfig_default_namespace 0 "	default	token	false	namespaces=[1-9]"
run env -u KUBECONFIG HOME="$TMP/kc/home" "$KDEPLOY" run tests/e2e/kube/info.lua
expect kubeconfig_none_found 1 "" "no kubeconfig found"
mkdir -p "$TMP/kc/home/.kube" && cp "$TMP/kc/a.yaml" "$TMP/kc/home/.kube/config"
run env -u KUBECONFIG HOME="$TMP/kc/home" "$KDEPLOY" run tests/e2e/kube/info.lua
expect kubeconfig_home_default 0 "^first	$SERVER	admin	team-a"

# An exec plugin that never exits: the call's timeout covers the plugin's
# run, the error names the context and the command, and the plugin is
# killed with what it started (the script's `sleep`).
cat > "$TMP/kc/exec-hang.sh" <<'SH'
#!/bin/sh
echo $$ > "$(dirname "$0")/exec-hang.pid"
sleep 1000
SH
chmod +x "$TMP/kc/exec-hang.sh"
cat > "$TMP/kc/hang.yaml" <<YAML
current-context: hung
clusters:
- name: sim
  cluster: {server: '$SERVER'}
users:
- name: plugin
  user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: '$TMP/kc/exec-hang.sh', interactiveMode: Never}}
contexts:
- name: hung
  context: {cluster: sim, user: plugin}
YAML
cat > "$TMP/kc/hang.lua" <<'LUA'
local c = require("kdeploy.kube").connect({ kubeconfig = arg[1], timeout = 1 })
print(c:version().gitVersion)
LUA
run timeout 30 "$KDEPLOY" run "$TMP/kc/hang.lua" "$TMP/kc/hang.yaml"
expect exec_plugin_timeout 1 "" "^kdeploy: get server version: exec plugin $TMP/kc/exec-hang.sh \\(user \"plugin\", context \"hung\"\\) gave no credentials within 1s; stopped it\$"
[ "$(echo "$ERR" | wc -l)" = 1 ] && pass exec_plugin_timeout_one_line ||
  fail exec_plugin_timeout_one_line "$ERR"
# live (not zombie: a killed grandchild waits a moment for init to reap
# it) processes of the plugin's process group
hang_pid=$(cat "$TMP/kc/exec-hang.pid" 2>/dev/null)
alive() { ps -e -o pgid=,stat=,pid=,args= | awk -v g="$1" '$1 == g && $2 !~ /^Z/'; }
if [ -z "$hang_pid" ]; then
  fail exec_plugin_timeout_killed "the plugin never ran"
elif [ -n "$(alive "$hang_pid")" ]; then
  fail exec_plugin_timeout_killed "left running: $(alive "$hang_pid")"
  for p in $(alive "$hang_pid" | awk '{print $3}'); do kill -s KILL "$p" 2>/dev/null; done
else
  pass exec_plugin_timeout_killed
fi

# Two clusters at once: a second sim, its context renamed "second".
"$KDEPLOY" sim --port 0 --kubeconfig "$TMP/kc2" >/dev/null 2>"$TMP/sim2.err" &
SIM2_PID=$!
i=0; while [ ! -s "$TMP/kc2" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
sed 's/kdeploy-sim/second/g' "$TMP/kc2" > "$TMP/kc2b"
KUBECONFIG="$KC:$TMP/kc2b" lua_suite multi tests/e2e/kube/multi.lua
kill -TERM "$SIM2_PID" 2>/dev/null
wait "$SIM2_PID" 2>/dev/null
SIM2_PID=
stop_sim

# Pod logs against a scripted server (the sim has no kubelet writing logs).
if cc -O2 -o "$TMP/logsrv" tests/e2e/kube/logsrv.c -lpthread; then
  "$TMP/logsrv" > "$TMP/logsrv.port" &
  LOGSRV_PID=$!
  i=0; while [ ! -s "$TMP/logsrv.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
  printf "current-context: l\nclusters:\n- name: l\n  cluster: {server: 'http://127.0.0.1:%s'}\ncontexts:\n- name: l\n  context: {cluster: l, user: u}\nusers:\n- name: u\n  user: {token: x}\n" \
    "$(cat "$TMP/logsrv.port")" > "$TMP/logs.kc"
  lua_suite logs tests/e2e/kube/logs.lua "$TMP/logs.kc"
  kill "$LOGSRV_PID" 2>/dev/null
  wait "$LOGSRV_PID" 2>/dev/null
  LOGSRV_PID=
else
  fail logsrv_builds "cc tests/e2e/kube/logsrv.c failed"
fi

# TLS sim: every kind of credentials, then in-cluster config.
start_sim --tls || fail sim_starts_tls "$(cat "$TMP/sim.err")"
A="$TMP/auth"
mkdir -p "$A"
cp "$KC" "$A/kubeconfig"
sed -n 's/^ *certificate-authority-data: //p' "$KC" | head -1 | base64 -d > "$A/ca.pem"
sed -n 's/^ *client-certificate-data: //p' "$KC" | head -1 | base64 -d > "$A/cert.pem"
sed -n 's/^ *client-key-data: //p' "$KC" | head -1 | base64 -d > "$A/key.pem"
sed -n 's/^ *token: //p' "$KC" | head -1 > "$A/token"
sim_url > "$A/server"
PORT=$(sed 's/.*://' "$A/server")
mkdir -p "$TMP/sa"
cp "$A/token" "$TMP/sa/token"
cp "$A/ca.pem" "$TMP/sa/ca.crt"
echo kube-system > "$TMP/sa/namespace"
run env -u KUBECONFIG HOME="$TMP/nohome" KUBERNETES_SERVICE_HOST=127.0.0.1 \
  KUBERNETES_SERVICE_PORT="$PORT" KDEPLOY_SERVICEACCOUNT_DIR="$TMP/sa" \
  "$KDEPLOY" run tests/e2e/kube/info.lua
expect in_cluster_config 0 "^in-cluster	https://127.0.0.1:$PORT	service-account	kube-system	service account token	true	namespaces=[1-9]"
lua_suite auth tests/e2e/kube/auth.lua "$A"
. tests/e2e/kube/proxy.sh
stop_sim

finish
