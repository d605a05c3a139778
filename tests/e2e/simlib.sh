# tests/e2e/simlib.sh: start and stop `kdeploy sim` for end-to-end tests
# (sourced after lib.sh). start_sim ARGS... starts one on a free port with
# its kubeconfig in $KC and its stderr in $TMP/sim.err; stop_sim sends
# SIGTERM to that pid and waits. $KUBECTL/$HELM are the real tools.
TOOLS=$(sh tests/tools.sh 2>/dev/null) || TOOLS=
KUBECTL="$TOOLS/kubectl"
HELM="$TOOLS/helm"
SIM_PID=
KC="$TMP/kubeconfig"
export KUBECACHEDIR="$TMP/kcache"
export HELM_CACHE_HOME="$TMP/helm-cache" HELM_CONFIG_HOME="$TMP/helm-config"
export HELM_DATA_HOME="$TMP/helm-data"

# need_kubectl: ends a suite that drives the sim with the real kubectl,
# as one failure, when tests/tools.sh could not provide it.
need_kubectl() {
  [ -x "$KUBECTL" ] && return 0
  fail kubectl_installed "tests/tools.sh could not provide kubectl"
  exit 1
}

# need_helm: the same for suites that also drive the real helm.
need_helm() {
  [ -x "$HELM" ] && [ -x "$KUBECTL" ] && return 0
  fail helm_installed "tests/tools.sh could not provide helm and kubectl"
  exit 1
}

start_sim() {
  rm -f "$KC"
  "$KDEPLOY" sim --port 0 --kubeconfig "$KC" "$@" >"$TMP/sim.out" 2>"$TMP/sim.err" &
  SIM_PID=$!
  i=0
  while [ ! -s "$KC" ] && [ $i -lt 100 ]; do
    kill -0 "$SIM_PID" 2>/dev/null || break
    sleep 0.05
    i=$((i + 1))
  done
  [ -s "$KC" ]
}

stop_sim() {
  [ -n "$SIM_PID" ] || return 0
  kill -TERM "$SIM_PID" 2>/dev/null
  wait "$SIM_PID"
  SIM_RC=$?
  SIM_PID=
  return 0
}

# k ARGS...: kubectl against the running sim.
k() { "$KUBECTL" --kubeconfig "$KC" --cache-dir "$KUBECACHEDIR" "$@"; }

# sim_url: the server URL from the kubeconfig.
sim_url() { sed -n 's/^ *server: //p' "$KC" | head -1; }

trap 'stop_sim; rm -rf "$TMP"' EXIT
