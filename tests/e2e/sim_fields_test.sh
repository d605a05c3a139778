# tests/e2e/sim_fields_test.sh: what `kdeploy sim` does with fields the Go
# types do not have (fieldValidation Strict / Warn / Ignore, as the real
# kubectl sends it), and the shape of list answers (items of built-in lists
# without kind/apiVersion, custom resources with them).
. tests/e2e/lib.sh
. tests/e2e/simlib.sh

need_kubectl
start_sim || fail sim_starts "no kubeconfig: $(cat "$TMP/sim.err")"
URL=$(sim_url)

cat > "$TMP/typo.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labelz: {a: b}}
spec:
  replicas: 2
  foo: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: nginx, imagee: x}
EOF

# ---- Strict: kubectl's default for apply, create and replace -------------
run k apply -f "$TMP/typo.yaml"
expect strict_apply_400 1 '' 'Error from server \(BadRequest\).*Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "metadata.labelz", unknown field "spec.foo", unknown field "spec.template.spec.containers\[0\].imagee"'
run k get deploy web
expect strict_nothing_created 1 '' 'deployments.apps "web" not found'
run k apply --server-side -f "$TMP/typo.yaml"
expect strict_server_side_apply 1 '' 'Error from server: failed to create typed patch object \(default/web; apps/v1, Kind=Deployment\): errors:'
echo "$ERR" | grep -q '^  .spec.foo: field not declared in schema$' &&
  pass strict_ssa_names_field || fail strict_ssa_names_field "$ERR"
run k get deploy web
expect strict_ssa_nothing_created 1

# ---- Warn: the fields are dropped, one Warning header each ---------------
run k create --validate=warn -f "$TMP/typo.yaml"
expect warn_create 0 'deployment.apps/web created' 'Warning: unknown field "spec.foo"'
echo "$ERR" | grep -q 'Warning: unknown field "spec.template.spec.containers\[0\].imagee"' &&
  pass warn_nested_field || fail warn_nested_field "$ERR"
run k get deploy web -o json
if printf '%s' "$OUT" | grep -q '"foo"\|"imagee"\|"labelz"'; then
  fail warn_fields_dropped "$OUT"
else
  printf '%s' "$OUT" | grep -q '"replicas": 2' && pass warn_fields_dropped ||
    fail warn_fields_dropped "known fields lost: $OUT"
fi
run k replace -f "$TMP/typo.yaml"
expect strict_replace_400 1 '' 'strict decoding error: unknown field "metadata.labelz"'
run k patch deploy web --type=merge -p '{"spec":{"bar":1,"replicas":3}}'
expect warn_patch 0 'deployment.apps/web patched' 'Warning: unknown field "spec.bar"'
run k get deploy web -o jsonpath='{.spec.replicas}/{.spec.bar}'
expect warn_patch_applied_without_field 0 '^3/$'

# ---- Strict on patches: kube's patch handler answers 422 Invalid ---------
run curl -s -X PATCH -H 'Content-Type: application/strategic-merge-patch+json' \
  --data '{"spec":{"foo":1.5,"replicas":4,"paused":null}}' \
  "$URL/apis/apps/v1/namespaces/default/deployments/web?fieldValidation=Strict"
expect strict_smp_422 0 \
  '"message":" \\"\\" is invalid: patch: Invalid value: \\"map\[spec:map\[foo:1.5 paused:<nil> replicas:4\]\]\\": strict decoding error: unknown field \\"spec.foo\\"","reason":"Invalid","details":\{"causes":\[\{"reason":"FieldValueInvalid","message":"Invalid value: .*","field":"patch"\}\]\},"code":422'
run curl -s -X PATCH -H 'Content-Type: application/merge-patch+json' \
  --data '{"spec":{"bar":1}}' \
  "$URL/apis/apps/v1/namespaces/default/deployments/web?fieldValidation=Strict"
expect strict_merge_422 0 \
  '"message":" \\"\\" is invalid: patch: Invalid value: \\"\{.*apiVersion.*apps/v1.*bar.*1.*\\": strict decoding error: unknown field \\"spec.bar\\"".*"code":422'
run k apply -f "$TMP/typo.yaml"
expect strict_csa_patch_422 1 '' 'The request is invalid: patch: Invalid value: "map\[metadata:map\[annotations:map\[kubectl.kubernetes.io/last-applied-configuration:'
for f in labelz:metadata.labelz foo:spec.foo \
         imagee:'spec.template.spec.containers\[0\].imagee'; do
  printf '%s' "$ERR" | grep -q "strict decoding error: .*unknown field \"${f#*:}\"" &&
    pass "strict_csa_patch_names_${f%%:*}" ||
    fail "strict_csa_patch_names_${f%%:*}" "$ERR"
done
run k get deploy web -o jsonpath='{.spec.replicas}'
expect strict_patch_nothing_changed 0 '^3$'

# ---- Ignore: dropped silently --------------------------------------------
sed 's/name: web,/name: web2,/; s/matchLabels: {app: web}/matchLabels: {app: web2}/; s/labels: {app: web}/labels: {app: web2}/' \
  "$TMP/typo.yaml" > "$TMP/typo2.yaml"
run k create --validate=false -f "$TMP/typo2.yaml"
if [ "$RC" = 0 ] && ! printf '%s' "$ERR" | grep -q Warning; then
  pass ignore_create_silent
else
  fail ignore_create_silent "rc $RC: $ERR"
fi

# raw HTTP: the header and a value kube does not know
run curl -s -i -X POST -H 'Content-Type: application/json' \
  --data '{"metadata":{"name":"c1"},"data":{"a":"b"},"dat":{}}' "$URL/api/v1/namespaces/default/configmaps"
expect warn_default_header 0 'Warning: 299 - "unknown field \\"dat\\""'
run curl -s -X POST -H 'Content-Type: application/json' \
  --data '{"metadata":{"name":"c2"}}' "$URL/api/v1/namespaces/default/configmaps?fieldValidation=Bogus"
expect unknown_directive_422 0 '"message":"CreateOptions.meta.k8s.io \\"\\" is invalid: fieldValidation: Unsupported value: \\"Bogus\\".*"code":422'

# ---- server-side apply: the typed converter's errors ---------------------
# scalar types from the kinds' schemas and list items named by their keys
# (x-kubernetes-list-map-keys), in the words of kube's field manager: a
# 500 without a reason, as kube-apiserver 1.33 answers it
cat > "$TMP/types.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: typed}
spec:
  replicas: "three"
  paused: "no"
  strategy: {rollingUpdate: {maxSurge: [1]}}
  selector: {matchLabels: {app: typed}}
  template:
    metadata: {labels: {app: typed}}
    spec:
      containers:
      - name: c
        image: nginx
        imagee: x
        ports: [{containerPort: 80, hostPort: "80"}]
        env: [{name: A, value: 1}, {name: B, value: [x, 2]}]
        volumeMounts: [{name: v, mountPath: /data, readOnly: "yes"}]
EOF
run k apply --server-side -f "$TMP/types.yaml"
expect ssa_types_rejected 1 '' '^Error from server: failed to create typed patch object \(default/typed; apps/v1, Kind=Deployment\): errors:$'
for want in \
  '  .spec.replicas: expected numeric (int or float), got string' \
  '  .spec.paused: expected boolean, got &{no}' \
  '  .spec.strategy.rollingUpdate.maxSurge: expected any scalar, got &{[1]}' \
  '  .spec.template.spec.containers[name="c"].imagee: field not declared in schema' \
  '  .spec.template.spec.containers[name="c"].ports[containerPort=80,protocol="TCP"].hostPort: expected numeric (int or float), got string' \
  '  .spec.template.spec.containers[name="c"].env[name="A"].value: expected string, got &value.valueUnstructured{Value:1}' \
  '  .spec.template.spec.containers[name="c"].env[name="B"].value: expected string, got &value.valueUnstructured{Value:[]interface {}{"x", 2}}' \
  '  .spec.template.spec.containers[name="c"].volumeMounts[mountPath="/data"].readOnly: expected boolean, got &{yes}'; do
  printf '%s\n' "$ERR" | grep -qxF -- "$want" && pass "ssa_type_error: ${want#  }" ||
    fail "ssa_type_error: ${want#  }" "$ERR"
done
run k get deploy typed
expect ssa_types_nothing_created 1 '' 'not found'
run curl -s -X PATCH -H 'Content-Type: application/apply-patch+yaml' \
  --data '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"t1"},"data":{"n":2}}' \
  "$URL/api/v1/namespaces/default/configmaps/t1?fieldManager=m"
expect ssa_type_error_status 0 '^\{"kind":"Status","apiVersion":"v1","metadata":\{\},"status":"Failure","message":"failed to create typed patch object \(/t1; /v1, Kind=ConfigMap\): .data.n: expected string, got &value.valueUnstructured\{Value:2\}","code":500\}$'
# a type error fails the apply whatever fieldValidation says
run k apply --server-side --validate=false -f "$TMP/types.yaml"
expect ssa_types_rejected_without_validation 1 '' 'expected numeric \(int or float\), got string'
# and so are unknown fields: kube's apply requires strict schemas
run k apply --server-side --validate=false -f "$TMP/typo.yaml"
expect ssa_unknown_rejected_under_ignore 1 '' '^  .spec.foo: field not declared in schema$'
run k apply --server-side --validate=warn -f "$TMP/typo.yaml"
expect ssa_unknown_rejected_under_warn 1 '' '^  .spec.template.spec.containers\[name="web"\].imagee: field not declared in schema$'
# metadata (kubectl decodes it itself, so raw HTTP): ownerReferences keyed
# by uid, finalizers a set of strings, labels a map of strings; the body
# names no namespace, nor does the message
run curl -s -X PATCH -H 'Content-Type: application/apply-patch+yaml' \
  --data '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"owned","labels":{"tier":1},"finalizers":["example.com/a",7],"ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"o","uid":"u1","controller":"yes"}]}}' \
  "$URL/api/v1/namespaces/default/configmaps/owned?fieldManager=m"
expect ssa_meta_errors 0 '"message":"failed to create typed patch object \(/owned; /v1, Kind=ConfigMap\): errors:\\n  .metadata.labels.tier: expected string, got &value.valueUnstructured\{Value:1\}\\n  .metadata.finalizers\[=7\]: expected string, got &value.valueUnstructured\{Value:7\}\\n  .metadata.ownerReferences\[uid=\\"u1\\"\].controller: expected boolean, got &\{yes\}","code":500'

# ---- values the Go types cannot hold: kube's decoders reject them ---------
# create/update: the JSON decoder's error in a 400 BadRequest; merge/JSON
# patch: the same error as the detail of a 422 Invalid on "patch";
# strategic patch: the unstructured converter's wording, which takes 3.0.
DEP='{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"typed"},"spec":{"replicas":REPL,"selector":{"matchLabels":{"app":"t"}},"template":{"metadata":{"labels":{"app":"t"}},"spec":{"containers":[{"name":"c","image":"nginx"ENV}]}}}}'
deps="$URL/apis/apps/v1/namespaces/default/deployments"
dep() { printf '%s' "$DEP" | sed "s/REPL/$1/; s/ENV/${2-}/"; }
send() { # METHOD URL CONTENT-TYPE BODY: body and status code on the last line
  run curl -s -w '\n%{http_code}' -X "$1" -H "Content-Type: $3" --data "$4" "$2"
}
DEC='json: cannot unmarshal'
send POST "$deps" application/json "$(dep '"3"')"
expect type_create_400 0 '"message":"Deployment in version \\"v1\\" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32","reason":"BadRequest","code":400'
printf '%s' "$OUT" | tail -1 | grep -qx 400 && pass type_create_http_400 ||
  fail type_create_http_400 "$OUT"
run curl -s -o /dev/null -w '%{http_code}' "$deps/typed"
expect type_create_nothing_stored 0 '^404$'
send POST "$deps" application/json "$(dep 3.0)"
expect type_create_float_int32 0 "$DEC number 3.0 into Go struct field DeploymentSpec.spec.replicas of type int32\".*\"code\":400"
# YAML bodies reach the decoder through YAMLToJSON: 3.0 is re-encoded 3
send POST "$deps?dryRun=All" application/yaml "$(dep 3.0 | sed 's/"typed"/"typed-y"/')"
expect type_yaml_integral_float 0 '"spec":\{"replicas":3,'
send POST "$deps" application/yaml "$(dep 3.5)"
expect type_yaml_fraction 0 "$DEC number 3.5 into Go struct field DeploymentSpec.spec.replicas of type int32\".*\"code\":400"
send POST "$deps" application/json "$(dep 3000000000)"
expect type_create_int32_overflow 0 "$DEC number 3000000000 into Go struct field DeploymentSpec.spec.replicas"
send POST "$deps" application/json "$(dep 1 ',"env":[{"name":"N","value":8080}]')"
expect type_create_nested 0 "$DEC number into Go struct field EnvVar.spec.template.spec.containers.env.value of type string\""
send POST "$deps" application/json "$(dep 1 ',"ports":"80"')"
expect type_create_list_of_structs 0 "$DEC string into Go struct field Container.spec.template.spec.containers.ports of type \[\]v1.ContainerPort\""
send POST "$deps?fieldValidation=Strict" application/json \
  "$(dep '"3"' ',"imagee":"x"')"
expect type_error_before_unknown_fields 0 "$DEC string into Go struct field DeploymentSpec.spec.replicas of type int32\",\"reason\":\"BadRequest\""
send POST "$URL/api/v1/namespaces/default/configmaps" application/json \
  '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-typed"},"data":{"a":"x","b":1}}'
expect type_create_map_value 0 'ConfigMap in version \\"v1\\" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string"'
send POST "$deps" application/json "$(dep 1)"
expect type_valid_create 0 '"name":"typed"'
send PUT "$deps/typed" application/json \
  "$(dep 1 | sed 's/"name":"typed"}/"name":"typed","labels":"a=b"}/')"
expect type_update_400 0 "cannot be handled as a Deployment: $DEC string into Go struct field ObjectMeta.metadata.labels of type map\[string\]string\".*\"code\":400"
send PATCH "$deps/typed" application/merge-patch+json '{"spec":{"replicas":"5"}}'
expect type_merge_patch_422 0 '"message":" \\"\\" is invalid: patch: Invalid value: \\"\{.*\\": json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32","reason":"Invalid","details":\{"causes":\[\{"reason":"FieldValueInvalid","message":"Invalid value: .*","field":"patch"\}\]\},"code":422'
send PATCH "$deps/typed" application/json-patch+json \
  '[{"op":"add","path":"/spec/paused","value":"yes"}]'
expect type_json_patch_422 0 "$DEC string into Go struct field DeploymentSpec.spec.paused of type bool\".*\"code\":422"
send PATCH "$deps/typed" application/strategic-merge-patch+json '{"spec":{"replicas":"5"}}'
expect type_smp_422 0 '"message":" \\"\\" is invalid: patch: Invalid value: \\"map\[spec:map\[replicas:5\]\]\\": unrecognized type: int32","reason":"Invalid".*"code":422'
send PATCH "$deps/typed" application/strategic-merge-patch+json '{"spec":{"replicas":2.5}}'
expect type_smp_fraction 0 'Invalid value: \\"map\[spec:map\[replicas:2.5\]\]\\": cannot convert float64 to int32"'
send PATCH "$deps/typed" application/strategic-merge-patch+json '{"spec":{"template":"x"}}'
expect type_smp_struct 0 ': cannot restore struct from: string"'
send PATCH "$deps/typed" application/strategic-merge-patch+json '{"spec":{"replicas":4.0}}'
expect type_smp_integral_float_taken 0 '"spec":\{"replicas":4,'
printf '%s' "$OUT" | tail -1 | grep -qx 200 && pass type_smp_integral_float_200 ||
  fail type_smp_integral_float_200 "$OUT"
run curl -s "$deps/typed"
expect type_smp_stored_int 0 '"spec":\{"replicas":4,'
dep '"3"' | sed 's/"typed"/"typed-k"/' > "$TMP/typed.json"
run k create --validate=false -f "$TMP/typed.json"
expect type_kubectl_create 1 '' 'Error from server \(BadRequest\): error when creating ".*typed.json": Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32'
run k patch deploy typed --type=merge -p '{"spec":{"paused":1}}'
expect type_kubectl_patch 1 '' 'json: cannot unmarshal number into Go struct field DeploymentSpec.spec.paused of type bool'

# ---- list items -----------------------------------------------------------
run curl -s "$URL/api/v1/namespaces/default/configmaps"
if printf '%s' "$OUT" | grep -q '"items":\[{"metadata":{"name":"c1"' &&
   ! printf '%s' "$OUT" | grep -q '"kind":"ConfigMap"'; then
  pass list_items_without_type_meta
else
  fail list_items_without_type_meta "$OUT"
fi
run k get cm c1 -o jsonpath='{.kind}/{.apiVersion}'
expect get_keeps_type_meta 0 '^ConfigMap/v1$'
run k get cm -o jsonpath='{.items[0].kind}'
expect kubectl_list_fills_kind 0 '^ConfigMap$'
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
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
EOF
k apply -f "$TMP/crd.yaml" >/dev/null 2>&1
k wait --for=condition=Established --timeout=5s crd/gadgets.example.com >/dev/null 2>&1
printf 'apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g1}\nspec: {size: 1}\n' > "$TMP/g.yaml"
run k apply -f "$TMP/g.yaml"
expect custom_resource_any_field 0 'gadget.example.com/g1 created'
run curl -s "$URL/apis/example.com/v1/namespaces/default/gadgets"
expect custom_list_items_keep_type_meta 0 '"items":\[\{"apiVersion":"example.com/v1","kind":"Gadget"|"items":\[\{"kind":"Gadget","apiVersion":"example.com/v1"'

stop_sim
finish
