# tests/e2e/sim_ctrl_helm_test.sh: the real helm (v4, kstatus-based
# --wait) against the sim's controllers: install --wait, upgrade --wait,
# rollback --wait and uninstall --wait of shared charts with a Deployment
# (podinfo, kube-state-metrics), a DaemonSet (prometheus-node-exporter)
# and a StatefulSet (alertmanager); a release whose pods crash fails its
# --wait and is recorded as failed.
. tests/e2e/lib.sh
. tests/e2e/simlib.sh
CHARTDIR=$SHARED/charts
need_helm
h() { "$HELM" --kubeconfig "$KC" "$@"; }

start_sim --nodes 3 || fail sim_starts "$(cat "$TMP/sim.err")"

for chart in podinfo kube-state-metrics prometheus-node-exporter alertmanager; do
  run h install rel "$CHARTDIR/$chart" -n "$chart" --create-namespace --wait --timeout 60s
  expect "install_wait_$chart" 0 'STATUS: deployed'
done
run k -n podinfo get deploy rel-podinfo -o jsonpath='{.status.readyReplicas}/{.spec.replicas} {.status.conditions[?(@.type=="Available")].status}'
expect podinfo_ready_after_wait 0 '^1/1 True$'
run k -n kube-state-metrics get deploy rel-kube-state-metrics -o jsonpath='{.status.availableReplicas}'
expect kube_state_metrics_available 0 '^1$'
run k -n prometheus-node-exporter get ds rel-prometheus-node-exporter -o jsonpath='{.status.desiredNumberScheduled} {.status.numberReady} {.status.numberAvailable}'
expect node_exporter_daemonset_on_every_node 0 '^3 3 3$'
run k -n alertmanager get sts rel-alertmanager -o jsonpath='{.status.readyReplicas} {.status.currentRevision}={.status.updateRevision}'
printf '%s' "$OUT" | grep -Eq '^1 (rel-alertmanager-[a-z0-9]+)=\1$' &&
  pass alertmanager_statefulset_ready || fail alertmanager_statefulset_ready "$OUT"
run k -n alertmanager get pvc -o jsonpath='{.items[*].status.phase}'
expect alertmanager_claim_bound_if_any 0 '^(Bound( Bound)*)?$'

# upgrade --wait: a new template and more replicas roll out before it returns
run h upgrade rel "$CHARTDIR/podinfo" -n podinfo --set replicaCount=3 \
  --set image.tag=6.5.0 --wait --timeout 60s
expect upgrade_wait 0 'has been upgraded'
run k -n podinfo get deploy rel-podinfo -o jsonpath='{.status.updatedReplicas} {.status.readyReplicas} {.status.availableReplicas} {.metadata.annotations.deployment\.kubernetes\.io/revision}'
expect upgrade_rolled_out 0 '^3 3 3 2$'
run k -n podinfo get pods -l app.kubernetes.io/name=rel-podinfo -o jsonpath='{range .items[*]}{.spec.containers[0].image} {end}'
expect upgrade_pods_new_image 0 '^(ghcr.io/stefanprodan/podinfo:6.5.0 ){3}$'
run h upgrade rel "$CHARTDIR/prometheus-node-exporter" -n prometheus-node-exporter \
  --set podLabels.tier=node --wait --timeout 60s
expect upgrade_wait_daemonset 0 'has been upgraded'
run k -n prometheus-node-exporter get pods -l tier=node -o name
[ "$(echo "$OUT" | grep -c '^pod/')" = 3 ] && pass daemonset_pods_replaced ||
  fail daemonset_pods_replaced "$OUT"

# rollback --wait goes back to revision 1 and waits for it
run h rollback rel 1 -n podinfo --wait --timeout 60s
expect rollback_wait 0 'Rollback was a success'
run k -n podinfo get deploy rel-podinfo -o jsonpath='{.spec.replicas} {.status.readyReplicas} {.status.updatedReplicas}'
expect rollback_applied_and_ready 0 '^1 1 1$'
run h history rel -n podinfo
printf '%s\n' "$OUT" | grep -Eq '^3 .*deployed' && pass rollback_history ||
  fail rollback_history "$OUT"

# a release whose pods crash: --wait fails, the release is marked failed
run h install broken "$CHARTDIR/podinfo" -n broken --create-namespace \
  --set image.repository=sim/crash --wait --timeout 3s
expect install_wait_fails_on_crash 1 '' 'Deployment/broken/broken-podinfo not ready'
run h status broken -n broken
expect failed_release_status 0 'STATUS: failed'
run k -n broken get pods -l app.kubernetes.io/name=broken-podinfo -o jsonpath='{.items[0].status.containerStatuses[0].state.waiting.reason}{.items[0].status.containerStatuses[0].lastState.terminated.reason}'
expect crash_visible 0 'CrashLoopBackOff|Error'

# uninstall --wait: the workloads and everything they own are gone
for chart in podinfo kube-state-metrics prometheus-node-exporter alertmanager; do
  run h uninstall rel -n "$chart" --wait --timeout 60s
  expect "uninstall_$chart" 0 'uninstalled'
  run k -n "$chart" get deploy,sts,ds,rs,pods,svc -o name
  [ -z "$OUT" ] && pass "uninstall_leaves_nothing_$chart" ||
    fail "uninstall_leaves_nothing_$chart" "left: $OUT"
done
run h uninstall broken -n broken --wait --timeout 60s
expect uninstall_failed_release 0 'uninstalled'

stop_sim
finish
