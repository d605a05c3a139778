-- tests/e2e/kube/multi.lua: two clusters in one run ($KUBECONFIG lists the
-- kubeconfigs of two sims, contexts "kdeploy-sim" and "second").
local t = require "t"
local kube = require "kdeploy.kube"
local kdeploy = require "kdeploy"
local watch = require "kdeploy.watch"

t.test("contexts of merged kubeconfigs, one client per cluster", function()
  local names, current = kube.contexts()
  table.sort(names)
  t.eq(table.concat(names, ","), "kdeploy-sim,second", "contexts")
  t.eq(current, "kdeploy-sim", "current-context from the first file")
  local a = kube.connect({ context = "kdeploy-sim" })
  local b = kube.connect({ context = "second" })
  t.ok(a.server ~= b.server, "two servers")
  local wa = a:watch({ apiVersion = "v1", kind = "ConfigMap" })
  local wb = b:watch({ apiVersion = "v1", kind = "ConfigMap" })
  t.eq(watch.streams(a) + watch.streams(b), 2, "a stream per cluster")
  local function cm(name) return { apiVersion = "v1", kind = "ConfigMap", metadata = { name = name } } end
  local ta = kdeploy.spawn(function() for i = 1, 20 do a:create(cm("a" .. i)) end end)
  local tb = kdeploy.spawn(function() for i = 1, 20 do b:create(cm("b" .. i)) end end)
  kdeploy.wait(ta, tb)
  t.eq(b:find(cm("a1")), nil, "a's object is not in b")
  t.eq(a:find(cm("b1")), nil, "b's object is not in a")
  local ea = wa:wait(function(ev) return ev.object and ev.object.metadata.name == "a20" end, 10)
  local eb = wb:wait(function(ev) return ev.object and ev.object.metadata.name == "b20" end, 10)
  t.eq(ea.type, "ADDED", "a's watch")
  t.eq(eb.type, "ADDED", "b's watch")
  t.eq(wa:get("b1"), nil, "caches are per cluster")
  wa:close()
  wb:close()
end)

os.exit(t.done())
