# tests/e2e/sim_api_test.sh: parts of the API surface of `kdeploy sim` the
# other suites only use in passing: the discovery and OpenAPI documents,
# what create fills in (generateName, uid, creationTimestamp,
# resourceVersion, generation), the pod field selectors and the log
# options (timestamps, sinceTime, tailLines), with the real kubectl.
. tests/e2e/lib.sh
. tests/e2e/simlib.sh

need_kubectl
start_sim || fail sim_starts "no kubeconfig: $(cat "$TMP/sim.err")"
URL=$(sim_url)

# ---- discovery and OpenAPI ----------------------------------------------
run curl -s -D "$TMP/h" -H 'Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' "$URL/apis"
expect aggregated_discovery 0 '"kind":"APIGroupDiscoveryList".*"name":"batch".*"resource":"cronjobs"'
grep -qi '^Content-Type: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' "$TMP/h" &&
  pass aggregated_content_type || fail aggregated_content_type "$(cat "$TMP/h")"
run curl -s "$URL/apis"
expect legacy_group_list 0 '"kind":"APIGroupList"'
run curl -s "$URL/api/v1"
expect core_resource_list 0 '"kind":"APIResourceList".*"name":"pods/log"'
run curl -s "$URL/version"
expect version_1_33 0 '"major":"1".*"minor":"33"'
run curl -s "$URL/openapi/v2"
expect openapi_v2 0 '"swagger":"2.0"'
run curl -s "$URL/openapi/v3"
expect openapi_v3_index 0 '"apis/apps/v1":\{"serverRelativeURL":"/openapi/v3/apis/apps/v1'
run curl -s "$URL/openapi/v3/apis/apps/v1"
expect openapi_v3_group 0 '"openapi":"3.0.0".*fieldValidation'
run k api-resources --api-group=batch -o name
expect api_resources_batch 0 'cronjobs.batch'

# ---- what create fills in -----------------------------------------------
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: gen-}\ndata: {a: "1"}\n' > "$TMP/gen.yaml"
run k create -f "$TMP/gen.yaml" -o name
expect generate_name 0 '^configmap/gen-[a-z0-9]{5}$'
NAME=${OUT#configmap/}
run k get cm "$NAME" -o jsonpath='{.metadata.uid} {.metadata.creationTimestamp} {.metadata.resourceVersion}'
expect created_fields 0 '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z [0-9]+$'
run k create deployment gw --image=nginx -o jsonpath='{.metadata.generation}'
expect generation_starts_at_1 0 '^1$'

# ---- pods: field selectors and logs ---------------------------------------
cat > "$TMP/pods.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: talk}
spec:
  containers:
  - name: c
    image: busybox
    env: [{name: SIM_LOG, value: "one\ntwo\nthree"}]
---
apiVersion: v1
kind: Pod
metadata: {name: stuck}
spec:
  nodeSelector: {nowhere: "1"}
  containers: [{name: c, image: busybox}]
EOF
k apply -f "$TMP/pods.yaml" >/dev/null
run k wait --for=condition=Ready --timeout=10s pod/talk
expect pod_ready 0 'condition met'
run k get pods --field-selector status.phase=Running -o name
expect field_selector_phase_running 0 '^pod/talk$'
run k get pods --field-selector status.phase=Pending -o name
expect field_selector_phase_pending 0 '^pod/stuck$'
run k get pods -A --field-selector metadata.namespace=default,metadata.name=talk -o name
expect field_selector_namespace 0 '^pod/talk$'
run k get pods -A --field-selector metadata.namespace=kube-system -o name
[ "$RC" = 0 ] && ! printf '%s' "$OUT" | grep -q talk && pass field_selector_other_namespace ||
  fail field_selector_other_namespace "$OUT"
run k get pods --field-selector spec.bogus=x
expect field_selector_unknown_400 1 '' 'field label not supported: spec.bogus'
run k logs talk
N=$(printf '%s\n' "$OUT" | wc -l)
run k logs talk --tail=2
[ "$RC" = 0 ] && [ "$(printf '%s\n' "$OUT" | wc -l)" = 2 ] && [ "$N" -gt 2 ] &&
  pass logs_tail || fail logs_tail "$N lines in all; tail: $OUT"
run k logs talk --timestamps
if [ "$RC" = 0 ] && printf '%s\n' "$OUT" | grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z three$' &&
   ! printf '%s\n' "$OUT" | grep -qvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z '; then
  pass logs_timestamps
else
  fail logs_timestamps "$OUT"
fi
run k logs talk --since-time="$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)"
[ "$RC" = 0 ] && [ -z "$OUT" ] && pass logs_since_time_future_empty ||
  fail logs_since_time_future_empty "rc $RC: $OUT"
run k logs talk --since-time="$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)"
expect logs_since_time_past_all 0 'three'
run k logs talk -c nope
expect logs_unknown_container 1 '' 'container nope is not valid for pod talk'

# ---- /scale: every patch type, server-side apply with its own entry -----
k create deployment sc --image=nginx --replicas=1 >/dev/null
run k scale deploy sc --replicas=2
expect scale_put 0 'deployment.apps/sc scaled'
run k patch deploy sc --subresource=scale --type=json -p '[{"op":"replace","path":"/spec/replicas","value":3}]'
expect scale_json_patch 0 'scale.autoscaling/sc patched'
run k get deploy sc -o jsonpath='{.spec.replicas}'
expect scale_json_patch_applied 0 '^3$'
run k patch deploy sc --subresource=scale --type=json -p '[{"op":"test","path":"/spec/replicas","value":9}]'
expect scale_json_patch_test_fails 1
printf 'apiVersion: autoscaling/v1\nkind: Scale\nmetadata: {name: sc}\nspec: {replicas: 5}\n' > "$TMP/scale.yaml"
SCALE_URL="$URL/apis/apps/v1/namespaces/default/deployments/sc/scale"
run curl -s -X PATCH -H 'Content-Type: application/apply-patch+yaml' --data-binary @"$TMP/scale.yaml" "$SCALE_URL?fieldManager=hpa"
expect scale_apply_conflict_409 0 '"reason":"Conflict".*"field":".spec.replicas"'
run curl -s -X PATCH -H 'Content-Type: application/apply-patch+yaml' --data-binary @"$TMP/scale.yaml" "$SCALE_URL?fieldManager=hpa&force=true"
expect scale_apply_forced 0 '"kind":"Scale".*"spec":\{"replicas":5\}'
run k get deploy sc --show-managed-fields -o jsonpath='{.spec.replicas} {range .metadata.managedFields[*]}{.manager}/{.operation}/{.subresource} {end}'
expect scale_apply_entry 0 '^5 .*hpa/Apply/scale'
run curl -s -X PATCH -H 'Content-Type: text/plain' --data 'x' "$SCALE_URL"
expect scale_patch_415 0 '"code":415'

stop_sim
finish
