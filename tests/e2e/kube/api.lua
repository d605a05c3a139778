-- tests/e2e/kube/api.lua KUBECONFIG: kdeploy.kube verbs, errors, discovery
-- and concurrency against a running `kdeploy sim`.
local t = require "t"
local kube = require "kdeploy.kube"
local kdeploy = require "kdeploy"
local task = require "kdeploy.task"

local kc = assert(arg[1], "usage: api.lua KUBECONFIG")
local c = kube.connect({ kubeconfig = kc })
local NS = "api-test"
local function cm(name, data, labels)
  return { apiVersion = "v1", kind = "ConfigMap",
    metadata = { name = name, namespace = NS, labels = labels }, data = data or {} }
end

t.test("connect reads the kubeconfig's context, namespace and server", function()
  local info = c:info()
  t.eq(info.context, "kdeploy-sim", "context")
  t.eq(info.namespace, "default", "namespace")
  t.eq(info.auth, "token", "auth kind")
  t.ok(info.server:match("^http://127%.0%.0%.1:%d+$"), "server " .. info.server)
  t.eq(kube.connect({ kubeconfig = kc }), c, "same settings, same client")
  local other = kube.connect({ kubeconfig = kc, namespace = "elsewhere" })
  t.eq(other.namespace, "elsewhere", "namespace override")
  t.eq(c:version().gitVersion, "v1.33.0", "version")
end)

t.test("create, get, find, update, delete a namespaced object", function()
  c:create({ apiVersion = "v1", kind = "Namespace", metadata = { name = NS } })
  local made = c:create(cm("one", { a = "1" }))
  t.eq(made.metadata.namespace, NS, "namespace")
  t.ok(made.metadata.uid and made.metadata.resourceVersion, "uid and resourceVersion")
  local got = c:get({ apiVersion = "v1", kind = "ConfigMap", name = "one", namespace = NS })
  t.eq(got.data.a, "1", "get")
  t.eq(c:find({ apiVersion = "v1", kind = "ConfigMap", name = "absent", namespace = NS }), nil,
    "find of a missing object")
  got.data.a = "2"
  local upd = c:update(got)
  t.eq(upd.data.a, "2", "update")
  t.ok(upd.metadata.resourceVersion ~= made.metadata.resourceVersion, "new resourceVersion")
  local del = c:delete(upd)
  t.ok(del ~= nil, "delete answered")
  t.eq(c:find(upd), nil, "gone")
  t.eq(c:delete(upd, { missing_ok = true }), nil, "delete of a missing one with missing_ok")
end)

t.test("errors are kdeploy.error objects with the API Status", function()
  local err = t.raises(function()
    c:get({ apiVersion = "v1", kind = "ConfigMap", name = "nope", namespace = NS })
  end)
  t.ok(kdeploy.is_error(err), "is_error")
  t.eq(err.code, 404, "code")
  t.eq(err.reason, "NotFound", "reason")
  t.eq(err.verb, "get", "verb")
  t.eq(err.object, "ConfigMap/" .. NS .. "/nope", "object")
  t.eq(err.details.name, "nope", "details")
  t.eq(tostring(err), 'get ConfigMap/' .. NS .. '/nope: configmaps "nope" not found', "tostring")
  c:create(cm("dup"))
  err = t.raises(function() c:create(cm("dup")) end, "already exists")
  t.eq(err.code, 409, "conflict code")
  t.eq(err.reason, "AlreadyExists", "reason")
  err = t.raises(function() c:create(cm("Bad_Name")) end)
  t.eq(err.code, 422, "invalid")
  t.eq(err.reason, "Invalid", "invalid reason")
  t.ok(#err.details.causes > 0, "causes")
  local live = c:get(cm("dup"))
  local stale = c:get(cm("dup"))
  live.data = { v = "new" }
  c:update(live)
  stale.data = { v = "stale" }
  err = t.raises(function() c:update(stale) end, "modified")
  t.eq(err.code, 409, "stale update")
  t.eq(err.reason, "Conflict", "stale update reason")
end)

t.test("list follows pages and selectors; items carry apiVersion and kind", function()
  for i = 1, 7 do
    c:create(cm("page" .. i, { i = tostring(i) }, { group = i % 2 == 0 and "even" or "odd" }))
  end
  local items = c:list({ apiVersion = "v1", kind = "ConfigMap", namespace = NS,
    labelSelector = { group = "odd" }, limit = 2 })
  t.eq(#items, 4, "odd items over several pages")
  t.eq(items[1].kind, "ConfigMap", "kind stamped")
  t.eq(items[1].apiVersion, "v1", "apiVersion stamped")
  local all = c:list({ apiVersion = "v1", kind = "ConfigMap", namespace = NS, limit = 3 })
  t.eq(#all, 8, "all pages (dup + page1..7)")
  local byfield = c:list({ apiVersion = "v1", kind = "ConfigMap", namespace = NS,
    fieldSelector = "metadata.name=page3" })
  t.eq(#byfield, 1, "field selector")
  local nss = c:list({ apiVersion = "v1", kind = "Namespace" })
  local found = false
  for _, n in ipairs(nss) do found = found or n.metadata.name == NS end
  t.ok(found, "cluster-scoped list")
end)

t.test("patch: merge, json, strategic; server-side apply with managers", function()
  c:create(cm("p", { a = "1", b = "2" }))
  local r = c:patch(cm("p"), { data = { b = kdeploy.null, c = "3" } })
  t.eq(r.data.b, nil, "merge removed b")
  t.eq(r.data.c, "3", "merge added c")
  r = c:patch(cm("p"), kdeploy.array({ { op = "replace", path = "/data/a", value = "9" } }),
    { type = "json" })
  t.eq(r.data.a, "9", "json patch")
  r = c:patch(cm("p"), { data = { d = "4" } }, { type = "strategic" })
  t.eq(r.data.d, "4", "strategic")
  local applied = c:apply(cm("applied", { owner = "one" }), { field_manager = "first" })
  t.eq(applied.data.owner, "one", "apply created")
  local err = t.raises(function()
    c:apply(cm("applied", { owner = "two" }), { field_manager = "second" })
  end, "conflict with \"first\"")
  t.eq(err.code, 409, "conflict code")
  t.eq(err.reason, "Conflict", "conflict reason")
  t.eq(err.verb, "apply", "conflict verb")
  local cause = err.details and err.details.causes and err.details.causes[1] or {}
  t.eq(cause.field, ".data.owner", "conflicting field in details")
  t.eq(cause.reason, "FieldManagerConflict", "cause reason")
  t.eq(c:get(cm("applied")).data.owner, "one", "the conflict changed nothing")
  applied = c:apply(cm("applied", { owner = "two" }), { field_manager = "second", force = true })
  t.eq(applied.data.owner, "two", "forced apply")
  local owners = {}
  for _, m in ipairs(applied.metadata.managedFields) do
    if m.fieldsV1 and m.fieldsV1["f:data"] and m.fieldsV1["f:data"]["f:owner"] then
      owners[#owners + 1] = m.manager
    end
  end
  t.eq(table.concat(owners, ","), "second", "managedFields: .data.owner belongs to the new owner")
  t.raises(function() c:patch(cm("p"), {}, { type = "bogus" }) end, "unknown patch type")
end)

t.test("dry_run on every mutating verb changes nothing", function()
  local r = c:create(cm("dry", { x = "1" }), { dry_run = true })
  t.eq(r.metadata.name, "dry", "dry-run create answers")
  t.eq(c:find(cm("dry")), nil, "not stored")
  local live = c:create(cm("wet", { x = "1" }))
  live.data.x = "2"
  t.eq(c:update(live, { dry_run = true }).data.x, "2", "dry-run update answers")
  c:patch(cm("wet"), { data = { x = "3" } }, { dry_run = true })
  c:apply(cm("wet", { x = "4" }), { dry_run = true, force = true })
  c:delete(cm("wet"), { dry_run = true })
  local now = c:get(cm("wet"))
  t.eq(now.data.x, "1", "unchanged after dry runs")
end)

t.test("delete with propagation and grace period", function()
  c:create(cm("del1"))
  c:delete(cm("del1"), { propagation = "Foreground", grace_period = 0 })
  t.eq(c:find(cm("del1")), nil, "deleted")
  local err = t.raises(function() c:delete(cm("never")) end)
  t.eq(err.code, 404, "delete of a missing object")
end)

t.test("discovery is cached on disk and refreshed for new kinds (CRDs)", function()
  local dir = os.getenv("KDEPLOY_CACHE_DIR")
  t.ok(dir, "KDEPLOY_CACHE_DIR is set by the test")
  local m = c:resource("apps/v1", "Deployment")
  t.eq(m.resource, "deployments", "mapping")
  t.eq(m.namespaced, true, "namespaced")
  local f = io.open(require("kdeploy.core.kube").discovery_cache_path(dir, c.server))
  t.ok(f, "cache file written")
  if f then f:close() end
  t.eq(c:lookup("deploy").kind, "Deployment", "short name")
  local err = t.raises(function() c:resource("example.com/v1", "Widget") end,
    "is its CRD installed")
  t.eq(err.reason, "NotFound", "unknown kind")
  c:create({ apiVersion = "apiextensions.k8s.io/v1", kind = "CustomResourceDefinition",
    metadata = { name = "widgets.example.com" },
    spec = { group = "example.com", scope = "Namespaced",
      names = { plural = "widgets", singular = "widget", kind = "Widget", listKind = "WidgetList" },
      versions = kdeploy.array({ { name = "v1", served = true, storage = true,
        schema = { openAPIV3Schema = { type = "object",
          ["x-kubernetes-preserve-unknown-fields"] = true } } } }) } })
  local w = c:create({ apiVersion = "example.com/v1", kind = "Widget",
    metadata = { name = "w1", namespace = NS }, spec = { size = 3 } })
  t.eq(w.spec.size, 3, "custom resource created right after its CRD")
  local fresh = kube.connect({ kubeconfig = kc, new = true })
  t.eq(fresh:resource("example.com/v1", "Widget").resource, "widgets", "cache has it too")
  fresh:close()
end)

t.test("hundreds of requests run concurrently from tasks", function()
  local ts = {}
  for i = 1, 300 do
    ts[i] = kdeploy.spawn(function()
      return c:create(cm("many" .. i, { i = tostring(i) })).metadata.name
    end)
  end
  local names = task.wait_all(ts, { timeout = 60 })
  t.eq(#names, 300, "all created")
  t.eq(names[300], "many300", "results in order")
  local gets = {}
  for i = 1, 300 do
    gets[i] = kdeploy.spawn(function()
      return c:get(cm("many" .. i)).data.i
    end)
  end
  local vals = task.wait_all(gets)
  t.eq(vals[123], "123", "concurrent gets")
end)

t.test("get sends names percent-encoded: the server sees them as given", function()
  for _, name in ipairs({ "a b:\xc3\xbc%~.-_", "x%2Fy", "q?x=1", "h#f", "" .. 42 }) do
    local err = t.raises(function()
      c:get({ apiVersion = "v1", kind = "ConfigMap", name = name, namespace = NS })
    end)
    t.eq(err.code, 404, "missing " .. name)
    t.eq(err.details.name, name, "the name the server saw for " .. name)
    t.eq(c:find({ apiVersion = "v1", kind = "ConfigMap", name = name, namespace = NS }), nil,
      "find " .. name)
  end
  local name = "system:kdeploy:api-test"
  c:create({ apiVersion = "rbac.authorization.k8s.io/v1", kind = "ClusterRole",
    metadata = { name = name }, rules = {} })
  local got = c:get({ apiVersion = "rbac.authorization.k8s.io/v1", kind = "ClusterRole", name = name })
  t.eq(got.metadata.name, name, "a cluster-scoped object with colons in its name")
  c:delete(got)
end)

t.test("request handles: result() of answers, failures, cancels and closes", function()
  local function result(req)
    local h = c._c:submit(req)
    task.await(h)
    return h:result(), h
  end
  local r, h = result({ path = "/version" })
  t.eq(r.status, 200, "status")
  t.eq(r.content_type, "application/json", "content type")
  t.eq(r.attempts, 1, "attempts")
  t.eq(r.body.gitVersion, "v1.33.0", "decoded body")
  t.eq(r.reason, nil, "no reason")
  t.eq(r.message, nil, "no message")
  t.eq(r.raw, nil, "no raw text once decoded")
  local ok, body = h:body()
  t.ok(ok and body == r.body, "body() gives the same table")
  r = result({ path = "/healthz" })
  t.eq(r.content_type, "text/plain; charset=utf-8", "another content type")
  t.eq(r.raw, "ok", "text kept when not JSON")
  t.eq(r.body, nil, "no body")
  r = result({ path = "/api/v1/namespaces/" .. NS .. "/configmaps/nope" })
  t.eq(r.status, 404, "404")
  t.eq(r.reason, "NotFound", "Status reason")
  t.eq(r.message, 'configmaps "nope" not found', "Status message")
  t.eq(r.body.kind, "Status", "Status body")
  r = result({ path = "/metrics" })
  t.eq(r.reason, "NotFound", "reason of a 404 without Status")
  t.ok(r.message:find("answered HTTP 404: 404 page not found", 1, true), r.message)
  t.eq(r.raw, "404 page not found\n", "its text")
  r = result({ path = "/version", decode = false })
  t.ok(r.raw:find("v1.33.0", 1, true) and r.body == nil, "decode=false: text only")
  h = c._c:submit({ path = "/version" })
  h:cancel()
  r = h:result()
  t.eq(r.status, 0, "cancelled: no status")
  t.eq(r.reason, "Cancelled", "cancelled reason")
  t.eq(r.message, "request cancelled", "cancelled message")
  t.eq(r.content_type, nil, "cancelled: no content type")
  local other = kube.connect({ kubeconfig = kc, namespace = "closing" })
  h = other._c:send("GET", "/version")
  other:close()
  r = h:result()
  t.eq(r.reason, "ClientClosed", "closed reason")
  t.eq(r.message, "the client was closed", "closed message")
  t.raises(function() other._c:send("GET", "/version") end, "the kube client is closed")
end)

t.test("bad references are usage errors", function()
  t.raises(function() c:get({ kind = "ConfigMap", name = "x" }) end, "apiVersion and kind")
  t.raises(function() c:get({ apiVersion = "v1", kind = "ConfigMap" }) end, "name is required")
  t.raises(function() kube.connect({ kubeconfig = kc, context = "nope" }) end,
    'context "nope" does not exist')
end)

os.exit(t.done())
