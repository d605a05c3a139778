# tests/e2e/sim_patch_test.sh: PATCH in `kdeploy sim` against the real
# kubectl: client-side apply (strategic merge patches), kubectl patch of
# every type, server-side apply with managedFields, pruning, conflicts and
# --force-conflicts, the client-side to server-side upgrade, and the
# shared charts applied server-side.
. tests/e2e/lib.sh
. tests/e2e/simlib.sh
CHARTS=$SHARED/charts-expected

need_kubectl
start_sim || fail sim_starts "no kubeconfig: $(cat "$TMP/sim.err")"

# mf NAME...: "manager/operation[/subresource]" of each managedFields entry
mf() {
  k get "$@" --show-managed-fields -o jsonpath='{range .metadata.managedFields[*]}{.manager}/{.operation}{.subresource} {end}'
}

cat > "$TMP/d.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1
        env:
        - {name: A, value: "1"}
        - {name: B, value: "2"}
        ports:
        - containerPort: 80
EOF

# ---- client-side apply: kubectl's strategic merge patches --------------
run k apply -f "$TMP/d.yaml"
expect csa_create 0 'deployment.apps/web created'
# the deployment controller's status writes have their own entry, as in kube
run mf deploy web
expect csa_managed_fields 0 '(^| )kubectl-client-side-apply/Update( |$)'
run k get deploy web --show-managed-fields -o jsonpath='{.metadata.managedFields[?(@.manager=="kubectl-client-side-apply")].fieldsV1.f:spec.f:template.f:spec.f:containers}'
expect csa_fields_keyed 0 'k:\{\\"name\\":\\"web\\"\}'
sed -e 's/nginx:1/nginx:2/' -e '/name: B/d' "$TMP/d.yaml" > "$TMP/d2.yaml"
run k apply -f "$TMP/d2.yaml"
expect csa_update 0 'deployment.apps/web configured'
run k get deploy web -o jsonpath='{.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].env[*].name}'
expect csa_removed_env_and_new_image 0 '^nginx:2 A$'

# ---- kubectl patch of each type ----------------------------------------
run k patch deploy web -p '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox"}]}}}}'
expect smp_adds_container 0 'patched'
run k get deploy web -o jsonpath='{.spec.template.spec.containers[*].name}'
expect smp_container_merged_by_name 0 '^side web$'
run k patch deploy web -p '{"spec":{"template":{"spec":{"containers":[{"name":"side","$patch":"delete"}]}}}}'
run k get deploy web -o jsonpath='{.spec.template.spec.containers[*].name}'
expect smp_patch_delete 0 '^web$'
run k patch deploy web --type=merge -p '{"metadata":{"labels":{"tier":"front"}}}'
run k get deploy web -o jsonpath='{.metadata.labels.tier}'
expect merge_patch 0 '^front$'
run k patch deploy web --type=json -p '[{"op":"test","path":"/spec/replicas","value":2},{"op":"replace","path":"/spec/replicas","value":3}]'
run k get deploy web -o jsonpath='{.spec.replicas}'
expect json_patch 0 '^3$'
run k patch deploy web --type=json -p '[{"op":"test","path":"/spec/replicas","value":9}]'
expect json_patch_test_fails 1 '' 'the server rejected our request due to an error in our request'
run mf deploy web
expect patch_manager_recorded 0 'kubectl-patch/Update'
run k patch deploy web --type=strategic -p '{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}'
expect smp_missing_merge_key 1 '' 'does not contain declared merge key: name'
run k scale deploy web --replicas=4
run mf deploy web
expect scale_subresource_recorded 0 'kubectl/Updatescale'

# ---- server-side apply -------------------------------------------------
cat > "$TMP/cm.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: c
  labels: {app: x}
data:
  a: "1"
  b: "2"
EOF
run k apply --server-side -f "$TMP/cm.yaml"
expect ssa_create 0 'configmap/c serverside-applied'
run mf cm c
expect ssa_apply_entry 0 '^kubectl/Apply $'
run k get cm c --show-managed-fields -o jsonpath='{.metadata.managedFields[0].fieldsV1}'
expect ssa_fields_v1 0 '^\{"f:data":\{"f:a":\{\},"f:b":\{\}\},"f:metadata":\{"f:labels":\{"f:app":\{\}\}\}\}$'
sed 's/"1"/"9"/' "$TMP/cm.yaml" > "$TMP/cm2.yaml"
run k apply --server-side --field-manager=other -f "$TMP/cm2.yaml"
expect ssa_conflict 1 '' 'Apply failed with 1 conflict: conflict with "kubectl": \.data\.a'
run k get cm c -o jsonpath='{.data.a}'
expect ssa_conflict_changes_nothing 0 '^1$'
run k apply --server-side --field-manager=other --force-conflicts -f "$TMP/cm2.yaml"
expect ssa_force 0 'serverside-applied'
run k get cm c -o jsonpath='{.data.a}'
expect ssa_force_takes_value 0 '^9$'
# kubectl no longer applies b; other still does, so b stays
grep -v ' b:' "$TMP/cm.yaml" > "$TMP/cm3.yaml"
run k apply --server-side -f "$TMP/cm3.yaml"
expect ssa_co_owner_keeps 1 '' 'conflict with "other": \.data\.a'
grep -v ' b:' "$TMP/cm2.yaml" > "$TMP/cm4.yaml"
run k apply --server-side -f "$TMP/cm4.yaml"
run k get cm c -o jsonpath='{.data.b}'
expect ssa_shared_field_kept 0 '^2$'
# other drops b too: now it goes
run k apply --server-side --field-manager=other -f "$TMP/cm4.yaml"
run k get cm c -o jsonpath='{.data}'
expect ssa_prunes_unowned 0 '^\{"a":"9"\}$'
printf '  d: "4"\n' | cat "$TMP/cm4.yaml" - > "$TMP/cm5.yaml"
run k apply --server-side --dry-run=server -f "$TMP/cm5.yaml"
expect ssa_dry_run 0 'serverside-applied \(server dry run\)'
run k get cm c -o jsonpath='{.data}'
expect ssa_dry_run_changes_nothing 0 '^\{"a":"9"\}$'

# apply to /status: only status is the manager's, recorded with the
# subresource
printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 9}\nstatus:\n  conditions:\n  - {type: Custom, status: "True"}\n' > "$TMP/st.yaml"
run k apply --server-side --subresource=status --field-manager=ctl -f "$TMP/st.yaml"
expect ssa_status_subresource 0 'serverside-applied'
run mf deploy web
expect ssa_status_entry 0 'ctl/Applystatus'
run k get deploy web -o jsonpath='{.spec.replicas}'
expect ssa_status_leaves_spec 0 '^4$'

# ---- client-side apply upgraded to server-side -------------------------
sed -e 's/name: web/name: web2/' "$TMP/d.yaml" > "$TMP/w.yaml"
k apply -f "$TMP/w.yaml" >/dev/null
sed -e 's/nginx:1/nginx:3/' "$TMP/w.yaml" > "$TMP/w3.yaml"
run k apply --server-side -f "$TMP/w3.yaml"
expect csa_to_ssa_no_conflict 0 'serverside-applied'
run k get deploy web2 -o jsonpath='{.spec.template.spec.containers[0].image}'
expect csa_to_ssa_value 0 '^nginx:3$'
run mf deploy web2
expect csa_to_ssa_managers 0 'kubectl/Apply'
k scale deploy web2 --replicas=7 >/dev/null
run k apply --server-side -f "$TMP/w3.yaml"
expect ssa_conflict_with_scale 1 '' 'conflict with "kubectl" with subresource "scale" using apps/v1: \.spec\.replicas'

# ---- custom resources: merge patch, no strategic, SSA by the CRD schema --
cat > "$TMP/crd.yaml" <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              ports:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  properties:
                    name: {type: string}
                    port: {type: integer}
              args:
                type: array
                items: {type: string}
EOF
k apply -f "$TMP/crd.yaml" >/dev/null
printf 'apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec:\n  ports: [{name: a, port: 1}]\n  args: [x]\n' > "$TMP/g1.yaml"
printf 'apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec:\n  ports: [{name: b, port: 2}]\n' > "$TMP/g2.yaml"
i=0
until k get gadgets >/dev/null 2>&1 || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done
run k apply --server-side --field-manager=one -f "$TMP/g1.yaml"
expect cr_ssa_create 0 'gadget.example.com/g serverside-applied'
run k apply --server-side --field-manager=two -f "$TMP/g2.yaml"
expect cr_ssa_second_manager 0 'serverside-applied'
run k get gadget g -o jsonpath='{.spec.ports[*].name} {.spec.args}'
expect cr_ssa_list_map_merged 0 '^a b \["x"\]$'
run k patch gadget g --type=strategic -p '{"spec":{"args":["y"]}}'
expect cr_no_strategic 1 '' 'UnsupportedMediaType|unknown format|not supported'
run k patch gadget g --type=merge -p '{"spec":{"args":["y"]}}'
run k get gadget g -o jsonpath='{.spec.args}'
expect cr_merge_patch 0 '^\["y"\]$'
run mf gadget g
expect cr_managers 0 'one/Apply two/Apply kubectl-patch/Update'

# ---- the shared charts, server-side ------------------------------------
k create namespace ns >/dev/null
for chart in nginx podinfo traefik; do
  run k apply --server-side -f "$CHARTS/$chart.yaml"
  expect "ssa_chart_$chart" 0 'serverside-applied'
  # applying again changes nothing: no apply time moves, no generation
  # (controllers move status on, so resourceVersions are no measure)
  q='{.items[*].metadata.generation} {.items[*].metadata.managedFields[?(@.operation=="Apply")].time}'
  RV=$(k -n ns get svc,deploy --show-managed-fields -o jsonpath="$q")
  sleep 1
  run k apply --server-side -f "$CHARTS/$chart.yaml"
  OUT=$(k -n ns get svc,deploy --show-managed-fields -o jsonpath="$q")
  [ "$OUT" = "$RV" ] && pass "ssa_chart_${chart}_idempotent" ||
    fail "ssa_chart_${chart}_idempotent" "$RV became $OUT"
done
run k -n ns get deploy rel-podinfo --show-managed-fields -o jsonpath='{.metadata.managedFields[0].manager}/{.metadata.managedFields[0].operation}'
expect ssa_chart_managed 0 '^kubectl/Apply$'
run k diff --server-side -f "$CHARTS/podinfo.yaml"
expect ssa_diff_no_change 0

# ---- Deployment strategy: rollingUpdate only with type RollingUpdate -----
# client-side apply clears the defaulted rollingUpdate ($retainKeys of the
# strategic patch); server-side apply does not own it, so switching to
# Recreate over it is invalid, as with kube (null does not clear a struct)
cat > "$TMP/strat.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: strat}
spec:
  selector: {matchLabels: {app: strat}}
  template:
    metadata: {labels: {app: strat}}
    spec:
      containers: [{name: c, image: nginx}]
EOF
sed 's/^spec:/spec:\n  strategy: {type: Recreate}/' "$TMP/strat.yaml" > "$TMP/strat-recreate.yaml"
run k apply --server-side -f "$TMP/strat.yaml"
expect strategy_defaulted_apply 0 'serverside-applied'
run k get deploy strat -o jsonpath='{.spec.strategy.type}/{.spec.strategy.rollingUpdate.maxSurge}'
expect strategy_defaulted 0 '^RollingUpdate/25%$'
run k apply --server-side -f "$TMP/strat-recreate.yaml"
expect ssa_recreate_over_defaulted_422 1 '' "The Deployment \"strat\" is invalid: spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy \`type\` is 'Recreate'"
run k get deploy strat -o jsonpath='{.spec.strategy.type}'
expect ssa_recreate_unchanged 0 '^RollingUpdate$'
sed 's/strat}/strat-csa}/' "$TMP/strat.yaml" | k apply -f - >/dev/null 2>&1
run sh -c "sed 's/strat}/strat-csa}/' '$TMP/strat-recreate.yaml' | $KUBECTL --kubeconfig $KC apply -f -"
expect csa_recreate_retain_keys 0 'deployment.apps/strat-csa configured'
run k get deploy strat-csa -o json
if printf '%s' "$OUT" | grep -q '"type": "Recreate"' &&
   ! printf '%s' "$OUT" | grep -q rollingUpdate; then
  pass csa_recreate_drops_rolling_update
else
  fail csa_recreate_drops_rolling_update "$OUT"
fi
run sh -c "sed 's/strat}/strat-new}/' '$TMP/strat-recreate.yaml' | $KUBECTL --kubeconfig $KC apply --server-side -f -"
expect ssa_recreate_on_create 0 'serverside-applied'
run sh -c "sed 's/strat}/strat-bad}/; s/Recreate/BlueGreen/' '$TMP/strat-recreate.yaml' | $KUBECTL --kubeconfig $KC apply --server-side -f -"
expect strategy_unsupported_type 1 '' 'spec.strategy: Unsupported value: apps.DeploymentStrategy\{Type:"BlueGreen", RollingUpdate:\(\*apps.RollingUpdateDeployment\)\(nil\)\}: supported values: "Recreate", "RollingUpdate"'

stop_sim
finish
