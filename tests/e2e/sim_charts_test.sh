# tests/e2e/sim_charts_test.sh: the real kubectl applies every rendered
# shared chart (../shared/charts-expected) to `kdeploy sim`, client-side and
# server-side, one fresh sim per chart. Two charts hold a ServiceMonitor
# whose CRD is not installed: kubectl then looks the kind up in the protobuf
# /openapi/v2 document and must print kube's "no matches for kind" error
# after applying everything else; all other charts apply completely.
. tests/e2e/lib.sh
. tests/e2e/simlib.sh

CHARTS=$SHARED/charts-expected
need_kubectl
if [ ! -d "$CHARTS" ]; then
  fail charts_present "no rendered charts in $CHARTS"
  finish
  exit 1
fi

# The protobuf document itself: kube's Content-Type (no '@', which Go's mime
# parser rejects), and PATCH operations naming their kind.
start_sim || fail sim_starts "no kubeconfig: $(cat "$TMP/sim.err")"
URL=$(sim_url)
run curl -s -D "$TMP/h" -o "$TMP/v2.pb" -H \
  'Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf' \
  "$URL/openapi/v2"
OUT=$(tr -d '\r' <"$TMP/h")
expect openapi_v2_proto_type 0 \
  '^Content-Type: application/com\.github\.proto-openapi\.spec\.v2\.v1\.0\+protobuf$'
if grep -aq '/apis/apps/v1/namespaces/{namespace}/deployments/{name}' "$TMP/v2.pb" &&
   grep -aq 'kind: Deployment' "$TMP/v2.pb" &&
   grep -aq 'fieldValidation' "$TMP/v2.pb"; then
  pass openapi_v2_proto_paths
else
  fail openapi_v2_proto_paths "no Deployment PATCH operation in the document"
fi
run curl -s -H 'Accept: application/yaml' "$URL/openapi/v2"
expect openapi_v2_406 0 '"code":406'
stop_sim

# docs FILE: the number of objects in a rendered manifest.
docs() { grep -c '^kind:' "$1"; }

missing_crd() {
  case "$1" in podinfo+full|ingress-nginx+daemonset) return 0 ;; esac
  return 1
}

n=0
for f in "$CHARTS"/*.yaml; do
  chart=$(basename "$f" .yaml)
  n=$((n + 1))
  if ! start_sim; then
    fail "$chart/sim_starts" "no kubeconfig: $(cat "$TMP/sim.err")"
    continue
  fi
  k create namespace ns >/dev/null 2>&1
  total=$(docs "$f")
  for mode in csa ssa; do
    if [ $mode = csa ]; then
      run k apply -f "$f"
      verb=created
    else
      run k apply --server-side -f "$f"
      verb=serverside-applied
    fi
    done_n=$(printf '%s\n' "$OUT" | grep -c " $verb\$")
    if missing_crd "$chart"; then
      want_n=$((total - 1))
      expect "$chart/$mode" 1 '' \
        'no matches for kind "ServiceMonitor" in version "monitoring.coreos.com/v1"'
      if ! printf '%s' "$ERR" | grep -q 'ensure CRDs are installed first'; then
        fail "$chart/$mode/hint" "no CRD hint: $(echo "$ERR" | head -2)"
      fi
    else
      want_n=$total
      expect "$chart/$mode" 0
    fi
    if [ "$done_n" != "$want_n" ]; then
      fail "$chart/$mode/count" "$done_n of $total objects $verb, want $want_n"
    fi
  done
  stop_sim
done
[ "$n" -ge 21 ] || fail charts_count "only $n rendered charts in $CHARTS"
finish
