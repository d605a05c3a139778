-- tests/e2e/kube/watch.lua KUBECONFIG [MODE]: shared watches against a
-- running `kdeploy sim`. MODE "drop": the sim drops every watch after 1 s;
-- "410": it answers every resumed watch 410 Expired. In every mode each
-- subscriber must see every change exactly once, in order.
local t = require "t"
local kube = require "kdeploy.kube"
local kdeploy = require "kdeploy"
local watch = require "kdeploy.watch"

local kc, mode = assert(arg[1], "usage: watch.lua KUBECONFIG [MODE]"), arg[2] or "plain"
local c = kube.connect({ kubeconfig = kc })
local NS = "watch-" .. mode
c:create({ apiVersion = "v1", kind = "Namespace", metadata = { name = NS } })

local function cm(name, v)
  return { apiVersion = "v1", kind = "ConfigMap", metadata = { name = name, namespace = NS },
    data = { v = tostring(v) } }
end

-- Reads events until SYNCED; returns the names ADDED before it.
local function initial(sub)
  local names = {}
  while true do
    local ev = sub:next(10)
    if ev.type == "SYNCED" then return names end
    t.eq(ev.type, "ADDED", "initial events are ADDED")
    names[#names + 1] = ev.object.metadata.name
  end
end

-- With faults only the exactly-once test runs: the others count streams
-- and events of a watch that works.
local function test(name, fn)
  if mode == "plain" or name:find("exactly once", 1, true) then t.test(name, fn) end
end

test("a subscriber sees the current objects, SYNCED, then changes in order", function()
  c:create(cm("before", 0))
  local sub = c:watch({ apiVersion = "v1", kind = "ConfigMap", namespace = NS })
  local names = initial(sub)
  t.eq(table.concat(names, ","), "before", "existing object")
  t.ok(sub:synced(), "synced")
  c:create(cm("w1", 1))
  c:patch(cm("w1"), { data = { v = "2" } })
  c:delete(cm("w1"))
  local seen = {}
  for _ = 1, 3 do
    local ev = sub:next(10)
    seen[#seen + 1] = ev.type .. ":" .. ev.object.metadata.name .. "=" .. ev.object.data.v
  end
  t.eq(table.concat(seen, " "), "ADDED:w1=1 MODIFIED:w1=2 DELETED:w1=2", "events")
  t.eq(sub:get("before").data.v, "0", "cache")
  t.eq(sub:get("w1"), nil, "deleted from the cache")
  t.eq(sub:next(0.05), nil, "next(timeout) is nil when nothing comes")
  local err = t.raises(function() sub:wait(function() return false end, 0.05) end,
    "no matching event within 0.05s")
  t.eq(err.reason, "Timeout", "wait raises Timeout")
  sub:close()
end)

test("subscribers share one server watch per resource, namespace, selector", function()
  local base = watch.streams(c)
  local a = c:watch({ apiVersion = "v1", kind = "ConfigMap", namespace = NS })
  local b = kube.watch({ client = c, apiVersion = "v1", kind = "ConfigMap", namespace = NS })
  t.eq(watch.streams(c), base + 1, "two subscribers, one stream")
  local kinds = { { "v1", "Secret" }, { "v1", "Service" }, { "apps/v1", "Deployment" },
    { "batch/v1", "Job" } }
  local more = {}
  for i, k in ipairs(kinds) do
    more[i] = c:watch({ apiVersion = k[1], kind = k[2], namespace = NS })
  end
  t.eq(watch.streams(c), base + 5, "five kinds, five streams")
  local sel = c:watch({ apiVersion = "v1", kind = "ConfigMap", namespace = NS,
    labelSelector = { app = "x" } })
  t.eq(watch.streams(c), base + 6, "a selector is another stream")
  initial(a)
  initial(b)
  c:create(cm("shared", 1))
  t.eq(a:next(10).object.metadata.name, "shared", "a got it")
  t.eq(b:next(10).object.metadata.name, "shared", "b got it")
  for _, s in ipairs(more) do s:close() end
  sel:close()
  a:close()
  t.eq(watch.streams(c), base + 1, "b keeps the stream")
  b:close()
  t.eq(watch.streams(c), base, "last subscriber gone, stream stopped")
end)

test("a late subscriber starts from the cache", function()
  local first = c:watch({ apiVersion = "v1", kind = "ConfigMap", namespace = NS })
  initial(first)
  local late = c:watch({ apiVersion = "v1", kind = "ConfigMap", namespace = NS })
  local names = initial(late)
  table.sort(names)
  t.eq(table.concat(names, ","), "before,shared", "snapshot")
  t.eq(late:stats().lists, first:stats().lists, "no second list")
  first:close()
  late:close()
end)

test("every change exactly once while connections drop or expire", function()
  local sub = c:watch({ apiVersion = "v1", kind = "ConfigMap", namespace = NS,
    labelSelector = "burst=yes" })
  t.eq(#initial(sub), 0, "empty at start")
  local writer = kdeploy.spawn(function()
    for i = 1, 30 do
      local o = cm("b" .. i, 0)
      o.metadata.labels = { burst = "yes" }
      c:create(o)
      c:patch(o, { data = { v = "1" } })
      kdeploy.sleep(0.1)           -- spread over 3 s, across several drops
    end
  end)
  -- Read until every object's latest state is v=1. A relist (410 mode)
  -- may fold an ADDED and its MODIFIED into one ADDED of the newer state;
  -- with a working watch (plain, drop: resumed from the last
  -- resourceVersion) every change must come through.
  local got, order, last, done = {}, {}, {}, 0
  while done < 30 do
    local ev = sub:next(20)
    local name = ev.object.metadata.name
    local key = ev.type .. " " .. name .. " " .. ev.object.data.v
    t.ok(not got[key], "duplicate event: " .. key)
    got[key] = true
    order[#order + 1] = key
    if ev.object.data.v == "1" and last[name] ~= "1" then done = done + 1 end
    last[name] = ev.object.data.v
  end
  kdeploy.wait(writer)
  local pos = {}
  for i, k in ipairs(order) do pos[k] = i end
  for i = 1, 30 do
    local a0, m1, a1 = pos["ADDED b" .. i .. " 0"], pos["MODIFIED b" .. i .. " 1"],
      pos["ADDED b" .. i .. " 1"]
    if mode == "410" then
      t.ok((a0 and m1 and a0 < m1) or (a1 and not a0 and not m1), "b" .. i .. " seen once per state")
    else
      t.ok(a0 and m1 and a0 < m1, "ADDED then MODIFIED for b" .. i)
    end
  end
  local st = sub:stats()
  if mode == "drop" then t.ok(st.watches >= 2, "resumed after drops: " .. st.watches) end
  if mode == "410" then t.ok(st.lists >= 2, "relisted after 410: " .. st.lists) end
  kdeploy.sleep(1.5)               -- more drops/expiries: still nothing repeated
  t.eq(sub:stats().pending, 0, "no replayed events")
  t.eq(#sub:objects(), 30, "cache holds the 30 objects")
  sub:close()
end)

test("a watch that cannot be served raises its error", function()
  local bad = kube.connect({ kubeconfig = kc, new = true })
  local sub = bad:watch({ apiVersion = "v1", kind = "ConfigMap", namespace = NS })
  bad:close()
  local err = t.raises(function() sub:next(5) end, "closed")
  t.eq(err.verb, "watch", "verb")
end)

os.exit(t.done())
