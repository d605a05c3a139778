# tests/e2e/sim_helm_test.sh: the real helm (v4) against `kdeploy sim`:
# install, upgrade, history, rollback, uninstall of shared charts. Helm
# keeps releases as Secrets (sent as protobuf by its typed client).
. tests/e2e/lib.sh
. tests/e2e/simlib.sh
CHARTDIR=$SHARED/charts
need_helm
h() { "$HELM" --kubeconfig "$KC" "$@"; }

start_sim || fail sim_starts "$(cat "$TMP/sim.err")"

for chart in podinfo nginx traefik; do
  run h install rel "$CHARTDIR/$chart" -n "$chart" --create-namespace
  expect "install_$chart" 0 'STATUS: deployed'
  run k -n "$chart" get secret -l owner=helm,name=rel -o name
  expect "release_secret_$chart" 0 'secret/sh.helm.release.v1.rel.v1'
done
run k -n podinfo get deploy rel-podinfo -o jsonpath='{.spec.replicas}'
expect podinfo_deployment 0 '^1$'
run k -n traefik get ingressclass rel-traefik -o name
expect traefik_cluster_scoped_object 0 'ingressclass'

run h list -A -o json
expect list_releases 0 '"name":"rel","namespace":"traefik"'

run h upgrade rel "$CHARTDIR/podinfo" -n podinfo --set replicaCount=3
expect upgrade 0 'has been upgraded'
run k -n podinfo get deploy rel-podinfo -o jsonpath='{.spec.replicas}'
expect upgrade_applied 0 '^3$'

run h rollback rel 1 -n podinfo
expect rollback 0 'Rollback was a success'
run k -n podinfo get deploy rel-podinfo -o jsonpath='{.spec.replicas}'
expect rollback_applied 0 '^1$'

run h history rel -n podinfo
printf '%s\n' "$OUT" | grep -Eq '^3 .*deployed .*Rollback to 1' &&
  printf '%s\n' "$OUT" | grep -Eq '^1 .*superseded' &&
  pass history || fail history "$OUT"

run h status rel -n nginx
expect status 0 'STATUS: deployed'

for chart in podinfo nginx traefik; do
  run h uninstall rel -n "$chart"
  expect "uninstall_$chart" 0 'uninstalled'
  run k -n "$chart" get deploy,svc,secret -o name
  [ -z "$OUT" ] && pass "uninstall_removes_$chart" ||
    fail "uninstall_removes_$chart" "left: $OUT"
done
run h list -A -q
[ -z "$OUT" ] && pass no_releases_left || fail no_releases_left "$OUT"

stop_sim
finish
