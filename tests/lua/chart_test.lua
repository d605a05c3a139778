-- tests/lua/chart_test.lua: the kdeploy.chart module from Lua: loading,
-- rendering into manifest tables (source, decoded object, hooks, notes,
-- crds), options, errors, and a flow that changes manifests.
local t = require "t"
local chart = require "kdeploy.chart"
local yaml = require "kdeploy.yaml"
local kdeploy = require "kdeploy"

local root = os.tmpname()
os.remove(root)

local function write(path, text)
  local dir = path:match("^(.*)/[^/]*$") or "."
  assert(os.execute("mkdir -p '" .. root .. "/" .. dir .. "'"))
  local f = assert(io.open(root .. "/" .. path, "w"))
  f:write(text)
  f:close()
end

write("app/Chart.yaml", "apiVersion: v2\nname: app\nversion: 1.2.3\n" ..
  "dependencies:\n- name: db\n  version: 0.1.0\n  condition: db.enabled\n")
write("app/values.yaml", "replicas: 2\nimage: web:1\ndb:\n  enabled: true\n")
write("app/templates/deploy.yaml", [[
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
  labels:
    revision: {{ .Release.Revision | quote }}
    upgrade: {{ .Release.IsUpgrade | quote }}
spec:
  replicas: {{ .Values.replicas }}
  template:
    spec:
      containers:
      - name: web
        image: {{ .Values.image }}
]])
write("app/templates/sa.yaml", [[
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
]])
write("app/templates/job.yaml", [[
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-migrate
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: "-5"
spec: {}
]])
write("app/templates/NOTES.txt", "Installed {{ .Release.Name }} in {{ .Release.Namespace }}.\n")
write("app/crds/widget.yaml", "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n" ..
  "metadata:\n  name: widgets.example.com\n")
write("app/charts/db/Chart.yaml", "apiVersion: v2\nname: db\nversion: 0.1.0\n")
write("app/charts/db/values.yaml", "size: 1Gi\n")
write("app/charts/db/templates/pvc.yaml", [[
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{ .Release.Name }}-db
spec:
  resources: {requests: {storage: {{ .Values.size }}}}
]])

local function by_kind(list)
  local m = {}
  for _, x in ipairs(list) do m[x.kind] = x end
  return m
end

t.test("load reads the chart and its default values", function()
  local c <close> = chart.load(root .. "/app")
  t.eq(c:name(), "app", "name")
  t.eq(c:version(), "1.2.3", "version")
  t.eq(c:values().replicas, 2, "values.yaml")
  t.ok(tostring(c):find("kdeploy.chart%(app 1.2.3%)"), "tostring")
end)

t.test("render returns manifests in install order with their source and object", function()
  local c <close> = chart.load(root .. "/app")
  local r = c:render { values = { replicas = 5 }, release = "shop", namespace = "prod" }
  local kinds = {}
  for _, m in ipairs(r.manifests) do kinds[#kinds + 1] = m.kind end
  t.eq(table.concat(kinds, ","), "ServiceAccount,PersistentVolumeClaim,Deployment", "order")
  local m = by_kind(r.manifests)
  t.eq(m.Deployment.source, "app/templates/deploy.yaml", "source")
  t.eq(m.PersistentVolumeClaim.source, "app/charts/db/templates/pvc.yaml", "subchart source")
  t.eq(m.Deployment.name, "shop-web", "name")
  t.eq(m.Deployment.api_version, "apps/v1", "api_version")
  t.eq(m.ServiceAccount.namespace, "prod", "namespace")
  t.eq(m.Deployment.object.spec.replicas, 5, "values= wins over values.yaml")
  t.eq(math.type(m.Deployment.object.spec.replicas), "integer", "replicas")
  t.ok(kdeploy.is_array(m.Deployment.object.spec.template.spec.containers), "array")
  t.eq(m.PersistentVolumeClaim.object.spec.resources.requests.storage, "1Gi", "subchart values")
  t.ok(m.Deployment.content:find("^apiVersion: apps/v1\nkind: Deployment"), "content")
end)

t.test("hooks, notes and crds come apart from the manifests", function()
  local c <close> = chart.load(root .. "/app")
  local r = c:render { release = "shop", namespace = "prod" }
  t.eq(#r.hooks, 1, "hooks")
  local h = r.hooks[1]
  t.eq(h.kind, "Job", "hook kind")
  t.eq(h.hook, "pre-install,pre-upgrade", "hook events")
  t.eq(h.weight, -5, "hook weight")
  t.eq(h.is_test, false, "not a test")
  t.eq(h.object.metadata.name, "shop-migrate", "hook object")
  for _, m in ipairs(r.manifests) do t.eq(m.hook, nil, "manifests carry no hook") end
  t.eq(r.notes, "Installed shop in prod.\n", "notes rendered, not a manifest")
  t.eq(#r.crds, 1, "crds")
  t.eq(r.crds[1].source, "app/crds/widget.yaml", "crd source")
  t.ok(r.crds[1].content:find("widgets.example.com", 1, true), "crd content as is")
end)

t.test("release as a table: name, namespace, revision, upgrade", function()
  local c <close> = chart.load(root .. "/app")
  local r = c:render { release = { name = "r2", namespace = "ns2", revision = 7, is_upgrade = true } }
  local d = by_kind(r.manifests).Deployment.object
  t.eq(d.metadata.name, "r2-web", "name")
  t.eq(d.metadata.labels.revision, "7", "revision")
  t.eq(d.metadata.labels.upgrade, "true", "upgrade")
  t.eq(by_kind(r.manifests).ServiceAccount.object.metadata.namespace, "ns2", "namespace")
end)

t.test("value flags apply in Helm's order, then values=", function()
  write("v.yaml", "replicas: 3\nimage: from-file\n")
  local c <close> = chart.load(root .. "/app")
  local r = c:render { flags = { { "set", "image=from-set" }, { "values", root .. "/v.yaml" } } }
  local d = by_kind(r.manifests).Deployment.object
  t.eq(d.spec.replicas, 3, "file")
  t.eq(d.spec.template.spec.containers[1].image, "from-set", "--set beats -f")
  r = c:render { flags = { { "values", root .. "/v.yaml" } }, values = { replicas = 9 } }
  t.eq(by_kind(r.manifests).Deployment.object.spec.replicas, 9, "values= last")
  r = c:render { values = { db = { enabled = false } } }
  t.eq(by_kind(r.manifests).PersistentVolumeClaim, nil, "condition turns the subchart off")
end)

t.test("a flow can change manifests before applying them", function()
  local c <close> = chart.load(root .. "/app")
  local r = c:render { release = "shop" }
  local flow = { applied = {} }
  function flow.apply(obj) flow.applied[#flow.applied + 1] = yaml.encode(obj) end
  for _, m in ipairs(r.manifests) do
    m.object.metadata.labels = m.object.metadata.labels or {}
    m.object.metadata.labels["team"] = "payments"
    if m.kind == "Deployment" then m.object.spec.replicas = 1 end
    flow.apply(m.object)
  end
  t.eq(#flow.applied, 3, "applied")
  local dep = yaml.decode(flow.applied[3])
  t.eq(dep.metadata.labels.team, "payments", "label added")
  t.eq(dep.spec.replicas, 1, "replicas changed")
  t.ok(flow.applied[1]:find("team: payments", 1, true), "encoded")
end)

t.test("template prints what helm template prints", function()
  local c <close> = chart.load(root .. "/app")
  local out = c:template { release = "shop", namespace = "prod", no_hooks = true }
  t.ok(out:find("^%-%-%-\n# Source: app/templates/sa.yaml\n"), "first document")
  t.ok(not out:find("migrate", 1, true), "no hooks")
  out = c:template { release = "shop", show_only = { "templates/job.yaml" } }
  t.eq(select(2, out:gsub("# Source:", "")), 1, "show_only")
end)

t.test("errors are kdeploy.error tables naming the template and line", function()
  write("bad/Chart.yaml", "apiVersion: v2\nname: bad\nversion: 0.1.0\n")
  write("bad/templates/x.yaml", "a: 1\nb: {{ fail \"no database configured\" }}\n")
  local c <close> = chart.load(root .. "/bad")
  local err = t.raises(function() c:render {} end,
    "execution error at %(bad/templates/x.yaml:2:6%): no database configured")
  t.ok(kdeploy.is_error(err), "kdeploy.error")
  t.eq(err.reason, "ExecError", "reason")
  t.raises(function() chart.load(root .. "/nope") end, "nope")
  t.raises(function() c:render { release = 5 } end, "bad option 'release'")
  t.raises(function() c:render { api_versions = { 1 } } end, "item 1 is not a string")
  t.raises(function() c:render { flags = { { "frob", "x" } } } end, "unknown value flag kind 'frob'")
  t.raises(function() c:render { values = { f = print } } end)
end)

t.test("long errors are not cut", function()
  write("long/Chart.yaml", "apiVersion: v2\nname: long\nversion: 0.1.0\n")
  write("long/templates/x.yaml", "a: 1\n")
  write("long/values.schema.json", '{"properties": {"name": {"pattern": "^[a-z]+$"}}}')
  local c <close> = chart.load(root .. "/long")
  local name = string.rep("X", 2000)
  local err = t.raises(function() c:render { values = { name = name } } end)
  t.ok(#err.message > 2000, "whole message: " .. #err.message)
  t.ok(err.message:find(name .. "' does not match pattern '^[a-z]+$'", 1, true), "tail kept")
end)

t.test("lookup asks the lookup= function; without one it is an empty map", function()
  write("look/Chart.yaml", "apiVersion: v2\nname: look\nversion: 0.1.0\n")
  write("look/templates/cm.yaml", [[
{{- $cm := lookup "v1" "ConfigMap" .Release.Namespace "cfg" }}
{{- $none := lookup "v1" "Secret" "ns" "nope" }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: copy
data:
  found: {{ dig "data" "key" "none" $cm | quote }}
  replicas: {{ dig "data" "n" 0 $cm | add 1 | quote }}
  missing: {{ empty $none | quote }}
]])
  local c <close> = chart.load(root .. "/look")
  t.eq(c:render{}.manifests[1].object.data.found, "none", "offline: empty map")
  local calls = {}
  local function lookup(api_version, kind, ns, name)
    calls[#calls + 1] = table.concat({ api_version, kind, ns, name }, " ")
    if kind == "ConfigMap" then return { data = { key = "from-cluster", n = 2 } } end
    return nil
  end
  local d = c:render{ namespace = "apps", lookup = lookup }.manifests[1].object.data
  t.eq(d.found, "from-cluster", "object from the function")
  t.eq(d.replicas, "3", "numbers stay integers")
  t.eq(d.missing, "true", "nil is an empty map")
  t.eq(calls[1], "v1 ConfigMap apps cfg", "arguments")
  t.eq(calls[2], "v1 Secret ns nope", "second call")
  local err = t.raises(function()
    c:render{ lookup = function() error("cluster unreachable", 0) end }
  end, "error calling lookup: cluster unreachable")
  t.ok(err.message:find("look/templates/cm.yaml:1", 1, true), "names the template: " .. err.message)
  t.raises(function() c:render{ lookup = function() return 5 end } end,
    "lookup function returned number")
  t.raises(function() c:render{ lookup = "x" } end, "bad option 'lookup'")
end)

t.test("a closed chart raises", function()
  local c = chart.load(root .. "/app")
  c:close()
  t.raises(function() c:render {} end, "chart is closed")
  c:close()   -- closing twice is fine
end)

os.execute("rm -rf '" .. root .. "'")
return t.done()
