# tests/e2e/sim_scope_test.sh: a cluster-scoped CustomResourceDefinition
# (its resources served cluster-wide, discovery namespaced=false, deleting
# the CRD removes them) and the admissionregistration webhook
# configurations (stored, listed, deleted; the sim never calls webhooks).
. tests/e2e/lib.sh
. tests/e2e/simlib.sh

need_kubectl
start_sim || fail sim_starts "no kubeconfig: $(cat "$TMP/sim.err")"
URL=$(sim_url)

# ---- cluster-scoped CRD --------------------------------------------------
cat > "$TMP/crd.yaml" <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: regions.infra.example.com}
spec:
  group: infra.example.com
  scope: Cluster
  names: {plural: regions, singular: region, kind: Region, shortNames: [rg]}
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
YAML
run k apply -f "$TMP/crd.yaml"
expect cluster_crd_created 0 'regions.infra.example.com created'
run k wait --for=condition=Established --timeout=5s crd/regions.infra.example.com
expect cluster_crd_established 0 'condition met'
run k api-resources --api-group=infra.example.com --namespaced=false -o name
expect cluster_crd_discovery_cluster 0 '^regions\.infra\.example\.com$'
run k api-resources --api-group=infra.example.com --namespaced=true -o name
if [ "$RC" = 0 ] && [ -z "$OUT" ]; then pass cluster_crd_not_namespaced
else fail cluster_crd_not_namespaced "rc $RC: $OUT"; fi
run curl -s "$URL/apis/infra.example.com/v1alpha1"
expect cluster_crd_legacy_discovery 0 '"name":"regions","singularName":"region","namespaced":false,"kind":"Region"'

cat > "$TMP/rg.yaml" <<'YAML'
apiVersion: infra.example.com/v1alpha1
kind: Region
metadata: {name: eu-west}
spec: {zones: 3}
---
apiVersion: infra.example.com/v1alpha1
kind: Region
metadata: {name: us-east}
spec: {zones: 6}
YAML
run k apply -f "$TMP/rg.yaml"
expect cluster_cr_created 0 'region.infra.example.com/eu-west created'
run k get rg -o jsonpath='{range .items[*]}{.metadata.name}={.spec.zones},{.metadata.namespace}|{end}'
expect cluster_cr_listed_without_namespace 0 '^eu-west=3,\|us-east=6,\|$'
run curl -s "$URL/apis/infra.example.com/v1alpha1/regions/eu-west"
expect cluster_cr_cluster_path 0 '"kind":"Region".*"name":"eu-west"'
run curl -s "$URL/apis/infra.example.com/v1alpha1/namespaces/default/regions/eu-west"
expect cluster_cr_no_namespaced_path 0 '"code":404'
run k -n default get rg eu-west -o jsonpath='{.metadata.name}'
expect cluster_cr_namespace_flag_ignored 0 '^eu-west$'

run k delete crd regions.infra.example.com
expect cluster_crd_deleted 0 'deleted'
run k get regions.infra.example.com
expect cluster_cr_gone 1 '' "could not find the requested resource|doesn.t have a resource type"
run curl -s "$URL/apis/infra.example.com/v1alpha1/regions/eu-west"
expect cluster_cr_path_gone 0 '"code":404'
run k api-resources --api-group=infra.example.com -o name
if [ "$RC" = 0 ] && [ -z "$OUT" ]; then pass cluster_crd_discovery_gone
else fail cluster_crd_discovery_gone "rc $RC: $OUT"; fi
# the CRD comes back: the old objects do not
run k apply -f "$TMP/crd.yaml"
k wait --for=condition=Established --timeout=5s crd/regions.infra.example.com >/dev/null 2>&1
run k get rg -o name
if [ "$RC" = 0 ] && [ -z "$OUT" ]; then pass cluster_cr_not_resurrected
else fail cluster_cr_not_resurrected "rc $RC: $OUT"; fi

# ---- webhook configurations: stored only ---------------------------------
cat > "$TMP/wh.yaml" <<'YAML'
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: check-pods}
webhooks:
- name: pods.check.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Fail
  clientConfig:
    service: {namespace: default, name: checker, path: /validate}
  rules:
  - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: inject}
webhooks:
- name: inject.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  clientConfig: {url: "https://inject.example.com/mutate"}
YAML
run k apply -f "$TMP/wh.yaml"
expect webhooks_created 0 'validatingwebhookconfiguration.admissionregistration.k8s.io/check-pods created'
printf '%s' "$OUT" | grep -q 'mutatingwebhookconfiguration.admissionregistration.k8s.io/inject created' &&
  pass mutating_webhook_created || fail mutating_webhook_created "$OUT"
run k get validatingwebhookconfigurations -o jsonpath='{range .items[*]}{.metadata.name}:{.webhooks[0].name}:{.webhooks[0].clientConfig.service.path}:{.webhooks[0].rules[0].resources[0]}{end}'
expect validating_webhook_listed 0 '^check-pods:pods.check.example.com:/validate:pods$'
run k get mutatingwebhookconfiguration inject -o jsonpath='{.webhooks[0].clientConfig.url}'
expect mutating_webhook_stored 0 '^https://inject.example.com/mutate$'
run curl -s "$URL/apis/admissionregistration.k8s.io/v1"
expect webhook_discovery_cluster 0 '"name":"validatingwebhookconfigurations","singularName":"validatingwebhookconfiguration","namespaced":false'
# a pod is admitted though the webhook would be called: nothing calls it
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: nginx}]\n' > "$TMP/p.yaml"
run k apply -f "$TMP/p.yaml"
expect webhook_not_called 0 'pod/p created'
run k delete validatingwebhookconfiguration check-pods
expect validating_webhook_deleted 0 'deleted'
run k delete -f "$TMP/wh.yaml" --ignore-not-found
expect mutating_webhook_deleted 0 'mutatingwebhookconfiguration.admissionregistration.k8s.io "inject" deleted'
run k get validatingwebhookconfigurations,mutatingwebhookconfigurations -o name
if [ "$RC" = 0 ] && [ -z "$OUT" ]; then pass webhooks_gone
else fail webhooks_gone "rc $RC: $OUT"; fi

stop_sim
finish
