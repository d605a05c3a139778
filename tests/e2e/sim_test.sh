# tests/e2e/sim_test.sh: `kdeploy sim` against the real kubectl: discovery,
# CRUD, apply/diff/delete of the shared charts' manifests, watch, errors,
# CRDs, state, TLS, faults.
. tests/e2e/lib.sh
. tests/e2e/simlib.sh
CHARTS=$SHARED/charts-expected

need_kubectl

start_sim --nodes 2 || fail sim_starts "no kubeconfig: $(cat "$TMP/sim.err")"
grep -q 'current-context: kdeploy-sim' "$KC" && pass sim_writes_kubeconfig ||
  fail sim_writes_kubeconfig "$(cat "$KC")"

run k version -o json
expect kubectl_version 0 '"gitVersion": "v1.33'

run k get ns -o name
expect namespaces_seeded 0 'namespace/kube-system'

run k get nodes -o name
[ "$(echo "$OUT" | grep -c '^node/')" = 2 ] && pass nodes_flag ||
  fail nodes_flag "want 2 nodes: $OUT"

run k api-resources -o name
expect discovery_lists_groups 0 'deployments.apps'

# typed clients send protobuf
run k create namespace ns1
expect create_namespace_protobuf 0 'namespace/ns1 created'
run k -n ns1 create configmap c1 --from-literal=a=b
expect create_configmap_protobuf 0 'configmap/c1 created'
run k -n ns1 get configmap c1 -o jsonpath='{.data.a}'
expect get_configmap 0 '^b$'
run k -n ns1 create secret generic s1 --from-literal=k=v
run k -n ns1 get secret s1 -o jsonpath='{.data.k}'
expect secret_data_base64 0 '^dg==$'

run k -n ns1 create service nodeport np --tcp=80:8080 --node-port=30001
expect create_service_protobuf 0 'service/np created'
run k -n ns1 get svc np -o jsonpath='{.spec.ports[0].nodePort} {.spec.ports[0].targetPort}'
expect service_fields_decoded 0 '^30001 8080$'
run k -n ns1 create role r1 --verb=get,list --resource=pods --resource-name=x
expect create_role_protobuf 0 'role.rbac.authorization.k8s.io/r1 created'
run k -n ns1 create rolebinding rb1 --role=r1 --serviceaccount=ns1:sa1
expect create_rolebinding_protobuf 0 'created'
run k -n ns1 get rolebinding rb1 -o jsonpath='{.subjects[0].kind}/{.subjects[0].name} {.roleRef.name}'
expect rolebinding_fields_decoded 0 '^ServiceAccount/sa1 r1$'
run k -n ns1 create quota q1 --hard=pods=2,requests.cpu=1
run k -n ns1 get quota q1 -o jsonpath='{.spec.hard.requests\.cpu}'
expect quota_quantity_decoded 0 '^1$'

# apply the rendered charts (rendered with -n ns)
k create namespace ns >/dev/null
for chart in nginx podinfo traefik prometheus; do
  run k apply -f "$CHARTS/$chart.yaml"
  expect "apply_$chart" 0 'created'
done
run k -n ns get deploy rel-nginx -o jsonpath='{.metadata.generation} {.spec.replicas}'
expect applied_deployment_present 0 '^1 1$'
# the sim's controllers update the Deployment's status until its pods are
# ready: only once the rollout is done is a changed resourceVersion the
# apply's doing
run k -n ns rollout status deployment/rel-podinfo --timeout=60s
expect podinfo_rolled_out 0 'successfully rolled out'
RV1=$(k -n ns get deploy rel-podinfo -o jsonpath='{.metadata.resourceVersion}')
run k apply -f "$CHARTS/podinfo.yaml"
expect reapply 0 'service/rel-podinfo unchanged'
run k -n ns get deploy rel-podinfo -o jsonpath='{.metadata.resourceVersion}'
expect noop_patch_keeps_resource_version 0 "^$RV1\$"

run k diff -f "$CHARTS/podinfo.yaml"
expect diff_no_change 0
sed 's/replicas: 1$/replicas: 4/' "$CHARTS/podinfo.yaml" > "$TMP/podinfo4.yaml"
run k diff -f "$TMP/podinfo4.yaml"
expect diff_shows_change 1 '\+  replicas: 4'
run k -n ns get deploy rel-podinfo -o jsonpath='{.spec.replicas}'
expect diff_is_dry_run 0 '^1$'
run k apply -f "$TMP/podinfo4.yaml"
expect apply_change 0 'deployment.apps/rel-podinfo configured'
run k -n ns get deploy rel-podinfo -o jsonpath='{.spec.replicas} {.metadata.generation}'
expect generation_bumped_on_spec_change 0 '^4 2$'
run k -n ns label deploy rel-podinfo extra=yes
run k -n ns get deploy rel-podinfo -o jsonpath='{.metadata.generation}'
expect generation_kept_on_metadata_change 0 '^2$'

# server-side apply: managedFields, conflicts between managers, force
run k get deploy -n ns rel-podinfo -o jsonpath='{.metadata.managedFields[*].manager}'
expect client_apply_tracked 0 'kubectl-client-side-apply'
run k apply --server-side -f "$CHARTS/traefik.yaml"
expect server_side_apply 0 'deployment.apps/rel-traefik serverside-applied'
run k -n ns get deploy rel-traefik -o jsonpath='{range .metadata.managedFields[*]}{.manager}:{.operation} {end}'
expect ssa_managed_fields 0 '(^| )kubectl:Apply '

sed 's/replicas: 1$/replicas: 5/' "$CHARTS/traefik.yaml" > "$TMP/traefik5.yaml"
run k apply --server-side --field-manager=other -f "$TMP/traefik5.yaml"
expect ssa_conflict 1 '' 'conflict.*"kubectl".*\.spec\.replicas|Apply failed with [0-9]+ conflict'
run k apply --server-side --field-manager=other --force-conflicts -f "$TMP/traefik5.yaml"
expect ssa_force 0 'serverside-applied'
run k -n ns get deploy rel-traefik -o jsonpath='{.spec.replicas}'
expect ssa_force_applied 0 '^5$'

# label selectors and field selectors
run k -n ns get deploy -l app.kubernetes.io/name=rel-podinfo -o name
expect label_selector 0 '^deployment.apps/rel-podinfo$'
run k -n ns1 get cm --field-selector metadata.name=c1 -o name
expect field_selector 0 '^configmap/c1$'
run k -n ns get cm --chunk-size=1 -o name
[ "$(echo "$OUT" | grep -c '^configmap/')" -ge 2 ] && pass list_chunks ||
  fail list_chunks "$OUT"

# server-side printing: kubectl's columns come from the Table the sim sends
run k -n ns get deploy rel-podinfo
expect table_deployment_columns 0 '^NAME +READY +UP-TO-DATE +AVAILABLE +AGE'
run k -n ns get svc rel-podinfo
expect table_service_columns 0 'rel-podinfo +ClusterIP +10\.96\.[0-9.]+ +<none> +9898/TCP'
run k get nodes
expect table_node_columns 0 'sim-node-1 +Ready +<none> +[0-9]+s +v1\.33\.0'

# watch
k -n ns1 get cm -w --output-watch-events >"$TMP/watch.out" 2>&1 &
WPID=$!
sleep 1
k -n ns1 create configmap watched --from-literal=x=1 >/dev/null
k -n ns1 delete configmap watched >/dev/null
sleep 1
kill "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null
grep -Eq '^ADDED +watched' "$TMP/watch.out" &&
  grep -Eq '^DELETED +watched' "$TMP/watch.out" &&
  pass watch_sees_add_and_delete || fail watch_sees_add_and_delete "$(cat "$TMP/watch.out")"

# delete
run k delete -f "$CHARTS/nginx.yaml"
expect delete_manifests 0 'deployment.apps "rel-nginx" deleted'
run k -n ns get deploy rel-nginx
expect deleted_is_gone 1 '' 'NotFound'

# errors as kube sends them
run k -n ns1 get configmap nope
expect not_found 1 '' 'configmaps "nope" not found'
run k -n nope create configmap c --from-literal=a=b
expect missing_namespace_404 1 '' 'namespaces "nope" not found'
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n' > "$TMP/bad.yaml"
run k -n ns1 apply -f "$TMP/bad.yaml"
expect invalid_name_422 1 '' 'metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain'
cat > "$TMP/badsel.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: badsel}
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: b}}
    spec:
      containers: [{name: c}]
EOF
run k -n ns1 apply -f "$TMP/badsel.yaml"
expect selector_mismatch_422 1 '' 'selector` does not match template `labels`'
echo "$ERR" | grep -q 'spec.template.spec.containers\[0\].image: Required value' &&
  pass container_image_required || fail container_image_required "$ERR"
run k -n ns1 create configmap c1 --from-literal=a=b
expect already_exists_409 1 '' 'configmaps "c1" already exists'

# raw HTTP: bad bodies never crash the server
URL=$(sim_url)
run curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  --data '{"kind": ' "$URL/api/v1/namespaces/ns1/configmaps"
expect malformed_json_400 0 '^400$'
run curl -s -X POST -H 'Content-Type: text/csv' --data 'a,b' \
  "$URL/api/v1/namespaces/ns1/configmaps"
expect wrong_content_type_415 0 '"code":415'
head -c 4000000 /dev/zero | tr '\0' 'a' > "$TMP/big"
run curl -s -X POST -H 'Content-Type: application/json' --data-binary @"$TMP/big" \
  "$URL/api/v1/namespaces/ns1/configmaps"
expect body_too_large_413 0 '"code":413'
run curl -s -H 'Authorization: Bearer wrong' "$URL/api/v1/namespaces"
expect wrong_token_401 0 '"code":401'
run curl -s -X PUT -H 'Content-Type: application/json' --data '{}' "$URL/api/v1/namespaces/ns1/configmaps"
expect method_not_allowed_405 0 '"reason":"MethodNotAllowed"'
run curl -s -X POST -H 'Content-Type: application/json' \
  --data '{"metadata":{"name":"t","labels":["x"]}}' "$URL/api/v1/namespaces/ns1/configmaps"
expect wrong_json_type_400 0 'cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of type map\[string\]string'
for body in '[]' '5' '{"metadata":5}' '{"metadata":{"name":"x"},"spec":{"containers":"x"}}' \
    '{"metadata":{"name":"y"},"spec":{"template":{"spec":{"containers":[5]}},"selector":{"matchLabels":[1]}}}'; do
  curl -s -o /dev/null -X POST -H 'Content-Type: application/json' --data "$body" \
    "$URL/apis/apps/v1/namespaces/ns1/deployments"
done
run k get --raw /api/v1/namespaces/ns1/configmaps/c1
expect still_serving_after_bad_input 0 '"name":"c1"'

# dry run, status subresource, deletecollection
run k -n ns1 create configmap dry --from-literal=a=b --dry-run=server -o name
expect create_dry_run 0 'configmap/dry'
run k -n ns1 get configmap dry
expect dry_run_not_stored 1 '' 'NotFound'
run k -n ns1 delete configmap c1 --dry-run=server
expect delete_dry_run 0 'deleted \(server dry run\)'
run k -n ns1 get configmap c1 -o name
expect delete_dry_run_kept 0 '^configmap/c1$'
k -n ns1 create configmap dc1 --from-literal=a=b >/dev/null
k -n ns1 create configmap dc2 --from-literal=a=b >/dev/null
k -n ns1 label configmap dc1 dc2 sweep=yes >/dev/null
run curl -s -X DELETE "$URL/api/v1/namespaces/ns1/configmaps?labelSelector=sweep%3Dyes"
expect deletecollection 0 '"kind":"ConfigMapList".*"name":"dc1".*"name":"dc2"'
run k -n ns1 get configmap -l sweep=yes -o name
[ -z "$OUT" ] && pass deletecollection_removed || fail deletecollection_removed "$OUT"
run curl -s -X PUT -H 'Content-Type: application/json' --data \
  '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"rel-podinfo","namespace":"ns"},"spec":{"replicas":99},"status":{"replicas":7}}' \
  "$URL/apis/apps/v1/namespaces/ns/deployments/rel-podinfo/status"
expect status_subresource_put 0 '"status":\{"replicas":7\}'
# (the deployment controller rewrites the status right after: only the
# spec is checked here, the written status is in the response above)
run k -n ns get deploy rel-podinfo -o jsonpath='{.spec.replicas}'
expect status_put_keeps_spec 0 '^4$'

# update with a stale resourceVersion
run k -n ns1 get cm c1 -o json
printf '%s' "$OUT" | sed 's/"resourceVersion": "[0-9]*"/"resourceVersion": "1"/' > "$TMP/stale.json"
run k replace -f "$TMP/stale.json"
expect stale_update_409 1 '' 'the object has been modified'

# CRDs
cat > "$TMP/crd.yaml" <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
    subresources: {status: {}}
EOF
run k apply -f "$TMP/crd.yaml"
expect crd_created 0 'widgets.example.com created'
run k wait --for=condition=Established --timeout=5s crd/widgets.example.com
expect crd_established 0 'condition met'

printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 3\n' > "$TMP/w1.yaml"
run k -n ns1 apply -f "$TMP/w1.yaml"
expect custom_resource_created 0 'widget.example.com/w1 created'
run k -n ns1 get wd w1 -o jsonpath='{.spec.size}'
expect custom_resource_short_name 0 '^3$'
run k -n ns1 get widgets
expect custom_resource_table 0 '^NAME +AGE'

run k delete crd widgets.example.com
expect crd_deleted 0 'deleted'
run k -n ns1 get widgets
expect crd_resources_gone 1 '' "could not find the requested resource|doesn.t have a resource type"

# helm-style status subresource and scale
run k -n ns scale deploy rel-podinfo --replicas=2
expect scale_subresource 0 'scaled'
run k -n ns get deploy rel-podinfo -o jsonpath='{.spec.replicas}'
expect scale_applied 0 '^2$'

stop_sim
[ "$SIM_RC" = 0 ] && pass sigterm_exits_0 || fail sigterm_exits_0 "rc $SIM_RC"
grep -q '^requests: [0-9]' "$TMP/sim.err" && pass report_on_exit ||
  fail report_on_exit "$(cat "$TMP/sim.err")"

# --state keeps objects across restarts
start_sim --state "$TMP/state.json"
k create namespace keep >/dev/null && k -n keep create configmap kept --from-literal=a=1 >/dev/null
stop_sim
start_sim --state "$TMP/state.json"
run k -n keep get configmap kept -o jsonpath='{.data.a}'
expect state_survives_restart 0 '^1$'
stop_sim

# TLS with the token user and the client-certificate user
start_sim --tls || fail tls_starts "$(cat "$TMP/sim.err")"
grep -q 'server: https://127.0.0.1' "$KC" && pass tls_kubeconfig || fail tls_kubeconfig "$(cat "$KC")"
run k get ns default -o name
expect tls_token_auth 0 '^namespace/default$'
run k --context kdeploy-sim-cert get ns default -o name
expect tls_client_cert_auth 0 '^namespace/default$'
run k --token wrong --user '' get ns default
expect tls_rejects_wrong_token 1 '' 'Unauthorized|provide credentials'
stop_sim

# faults are injected and counted
start_sim --fault-500 1
run k get configmaps -n default
expect fault_500 1 '' 'InternalError|Internal error'
stop_sim
grep -Eq 'faults: [1-9][0-9]* x 500' "$TMP/sim.err" && pass fault_counted ||
  fail fault_counted "$(cat "$TMP/sim.err")"

finish
