# tests/e2e/lookup_test.sh: Helm's template `lookup` answered from a real
# (simulated) cluster through chart:render{lookup = client:helm_lookup()},
# from a plain script and from inside a task (where the request blocks in
# place: C cannot yield), plus `kdeploy render`, which stays offline.
. tests/e2e/lib.sh
. tests/e2e/simlib.sh

mkdir -p "$TMP/look/templates"
printf 'apiVersion: v2\nname: look\nversion: 0.1.0\n' >"$TMP/look/Chart.yaml"
cat >"$TMP/look/templates/cm.yaml" <<'EOF'
{{- $cm := lookup "v1" "ConfigMap" .Release.Namespace "settings" }}
{{- $all := lookup "v1" "ConfigMap" .Release.Namespace "" }}
{{- $everywhere := lookup "v1" "ConfigMap" "" "" }}
{{- $gone := lookup "v1" "Secret" .Release.Namespace "absent" }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: copy
data:
  color: {{ dig "data" "color" "none" $cm | quote }}
  listKind: {{ $all.kind | default "none" | quote }}
  inNamespace: {{ len (default list $all.items) | quote }}
  everywhere: {{ len (default list $everywhere.items) | quote }}
  absent: {{ empty $gone | quote }}
EOF

cat >"$TMP/flow.lua" <<'EOF'
local kdeploy = require "kdeploy"
local kube = require "kdeploy.kube"
local chart = require "kdeploy.chart"
local c = kube.connect{ kubeconfig = arg[1], retries = 12 }
for _, ns in ipairs{ "apps", "other" } do
  c:apply({ apiVersion = "v1", kind = "Namespace", metadata = { name = ns } },
    { field_manager = "test" })
end
c:apply({ apiVersion = "v1", kind = "ConfigMap",
  metadata = { name = "settings", namespace = "apps" }, data = { color = "blue" } },
  { field_manager = "test" })
c:apply({ apiVersion = "v1", kind = "ConfigMap",
  metadata = { name = "elsewhere", namespace = "other" }, data = {} },
  { field_manager = "test" })
local ch = chart.load(arg[2])
local function show(how)
  local d = ch:render{ namespace = "apps", lookup = c:helm_lookup() }.manifests[1].object.data
  print(how, d.color, d.listKind, d.inNamespace, d.everywhere, d.absent)
end
show("plain")
-- in a task, with another task running alongside
local ticks = 0
local ticker = kdeploy.spawn(function() for _ = 1, 3 do kdeploy.sleep(0.01); ticks = ticks + 1 end end)
kdeploy.wait(kdeploy.spawn(show, "task"))
kdeploy.wait(ticker)
print("ticks", ticks)
local ok, err = pcall(function()
  ch:render{ lookup = function(av, k, ns, n)
    return c:helm_lookup()(av, "NoSuchKind", ns, n) end }
end)
print("unknown", ok, tostring(err):match("error calling lookup: [^\n]*"))
EOF

if start_sim; then
  run "$KDEPLOY" run "$TMP/flow.lua" "$KC" "$TMP/look"
  expect lookup_flow_runs 0
  echo "$OUT" | sed "s/^/  | /"
  # the counts the template saw are what kubectl sees in the cluster
  IN_NS=$(k get configmaps -n apps -o name | wc -l)
  ALL=$(k get configmaps -A -o name | wc -l)
  case "$OUT" in
    *"plain	blue	ConfigMapList	$IN_NS	$ALL	true"*) pass lookup_get_list_missing ;;
    *) fail lookup_get_list_missing "want blue/ConfigMapList/$IN_NS/$ALL/true: $OUT" ;;
  esac
  case "$OUT" in
    *"task	blue	ConfigMapList	$IN_NS	$ALL	true"*) pass lookup_inside_task ;;
    *) fail lookup_inside_task "output: $OUT" ;;
  esac
  case "$OUT" in
    *"ticks	3"*) pass lookup_other_tasks_finish ;;
    *) fail lookup_other_tasks_finish "output: $OUT" ;;
  esac
  case "$OUT" in
    *"unknown	false	error calling lookup: "*NoSuchKind*) pass lookup_unknown_kind_fails ;;
    *) fail lookup_unknown_kind_fails "output: $OUT" ;;
  esac
  # `kdeploy render` is `helm template`: no cluster, lookup is empty
  run "$KDEPLOY" render "$TMP/look" -n apps
  expect render_lookup_offline 0 'color: "none"'
  stop_sim
else
  fail sim_starts "$(cat "$TMP/sim.err")"
fi
finish
