# tests/e2e/demo_test.sh: `make demo` (examples/demo.sh) is a real run: the
# sim starts, examples/hello is rendered and applied by examples/deploy.lua,
# and the flow ends only when the Deployment is ready. Also checks the
# objects the flow left in a sim of our own.
. tests/e2e/lib.sh
. tests/e2e/simlib.sh

run timeout 120 sh examples/demo.sh "$KDEPLOY"
expect demo_runs 0 "Deployment/demo/demo-hello is ready"
case "$OUT" in
  *"applied ConfigMap/demo/demo-hello"*"demo-hello is running 2 replicas"*)
    pass demo_applies_and_prints_notes ;;
  *) fail demo_applies_and_prints_notes "output: $(echo "$OUT" | head -5)" ;;
esac
# both replicas' logs: each pod is followed from its start until Ready
PODS=$(echo "$OUT" | sed -n 's/^  \(demo-hello-[a-z0-9]*-[a-z0-9]*\) | .*/\1/p' | sort -u | wc -l)
if [ "$PODS" -eq 2 ]; then
  pass demo_prints_pod_logs
else
  fail demo_prints_pod_logs "log lines of $PODS pods, want 2: $(echo "$OUT" | tail -5)"
fi

# The same flow against a sim we inspect afterwards.
if start_sim; then
  run timeout 120 "$KDEPLOY" run --kubeconfig "$KC" examples/deploy.lua \
    examples/hello t1 apps
  expect flow_exit_code 0 "Deployment/apps/t1-hello is ready"
  run k get deployment t1-hello -n apps -o jsonpath='{.status.readyReplicas}'
  expect flow_deployment_ready 0 '^2$'
  run k get configmap t1-hello -n apps -o jsonpath='{.data.greeting}'
  expect flow_configmap_applied 0 '^Hello from kdeploy$'
  run timeout 60 "$KDEPLOY" run --kubeconfig "$KC" examples/deploy.lua \
    examples/missing-chart t2 apps
  expect flow_bad_chart_fails 1 "" "missing-chart"
  stop_sim
else
  fail sim_starts "$(cat "$TMP/sim.err")"
fi
finish
