-- tests/bench/kube_bench.lua MODE ...: the kdeploy side of
-- tests/bench/kube_bench.sh (which times the processes and prints ratios).
--   create-concurrent KC FILE NS   create every document of FILE from 16 tasks
--                                  (task.map; KUBE_BENCH_CONCURRENCY)
--   create-sequential KC FILE NS   the same, one after the other
--   setup KC NS N                  N objects spread over 5 kinds in NS
--   get KC NS N                    get the N objects of setup concurrently (a
--                                  task each, decoded into tables); req/s
--   paths KC NS N                  prints their API paths and the token (the
--                                  reference client GETs the same ones)
--   watch-rss KC NS N              watch the 5 kinds of NS until all N objects
--                                  and a round of changes came in; prints
--                                  peak RSS and the watch connections used
local kube = require "kdeploy.kube"
local kdeploy = require "kdeploy"
local task = require "kdeploy.task"
local yaml = require "kdeploy.yaml"
local core = require "kdeploy.core"
local loop = require "kdeploy.core.loop"
local watch = require "kdeploy.watch"

local mode, kc = arg[1], arg[2]
local c = kube.connect({ kubeconfig = kc, max_inflight = tonumber(os.getenv("KUBE_BENCH_INFLIGHT")) })

local function docs(file, ns)
  local out = {}
  for _, d in ipairs(yaml.decode_all(core.read_file(file), file)) do
    if type(d) == "table" then
      d.metadata.namespace = ns
      out[#out + 1] = d
    end
  end
  return out
end

local function namespace(ns)
  c:create({ apiVersion = "v1", kind = "Namespace", metadata = { name = ns } })
end

local KINDS = {
  function(i) return { apiVersion = "v1", kind = "ConfigMap", metadata = { name = "o" .. i },
    data = { i = tostring(i), pad = string.rep("x", 200) } } end,
  function(i) return { apiVersion = "v1", kind = "Secret", metadata = { name = "o" .. i },
    stringData = { i = tostring(i) } } end,
  function(i) return { apiVersion = "v1", kind = "ServiceAccount", metadata = { name = "o" .. i } } end,
  function(i) return { apiVersion = "v1", kind = "Service", metadata = { name = "o" .. i },
    spec = { selector = { app = "o" .. i }, ports = kdeploy.array({ { port = 80 } }) } } end,
  function(i) return { apiVersion = "apps/v1", kind = "Deployment", metadata = { name = "o" .. i },
    spec = { replicas = 0, selector = { matchLabels = { app = "o" .. i } },
      template = { metadata = { labels = { app = "o" .. i } },
        spec = { containers = kdeploy.array({ { name = "c", image = "nginx" } }) } } } } end,
}

if mode == "create-concurrent" or mode == "create-sequential" then
  local list, ns = docs(arg[3], arg[4]), arg[4]
  namespace(ns)
  local t0 = loop.now()
  if mode == "create-sequential" then
    for _, d in ipairs(list) do c:create(d) end
  else
    task.map(list, function(d) return c:create(d) end,
      { concurrency = tonumber(os.getenv("KUBE_BENCH_CONCURRENCY")) or 16 })
  end
  print(string.format("created %d in %.3f s", #list, loop.now() - t0))
elseif mode == "setup" then
  local ns, n = arg[3], tonumber(arg[4])
  namespace(ns)
  local ts = {}
  for i = 1, n do
    local o = KINDS[(i - 1) % #KINDS + 1](i)
    o.metadata.namespace = ns
    ts[i] = kdeploy.spawn(c.create, c, o)
  end
  task.wait_all(ts)
elseif mode == "get" or mode == "paths" then
  -- object i of setup: its kind and name, as a reference for c:get
  local ns, n = arg[3], tonumber(arg[4])
  local refs = {}
  for i = 1, n do
    local o = KINDS[(i - 1) % #KINDS + 1](i)
    refs[i] = { apiVersion = o.apiVersion, kind = o.kind, name = o.metadata.name, namespace = ns }
  end
  c:discover()
  if mode == "paths" then
    for i = 1, n do print((c:path(refs[i]))) end
    return
  end
  local ts = {}
  local t0, c0 = loop.now(), os.clock()
  for i = 1, n do ts[i] = kdeploy.spawn(c.get, c, refs[i]) end
  local objs = task.wait_all(ts)
  local dt, cpu = loop.now() - t0, os.clock() - c0
  for i = 1, n do assert(objs[i].metadata.name == refs[i].name, "wrong object") end
  print(string.format("rps %.0f\ncpu_us %.1f", n / dt, cpu / n * 1e6))
elseif mode == "watch-rss" then
  local ns, n = arg[3], tonumber(arg[4])
  local subs, seen = {}, 0
  for i, mk in ipairs(KINDS) do
    local o = mk(0)
    subs[i] = c:watch({ apiVersion = o.apiVersion, kind = o.kind, namespace = ns })
  end
  for _, s in ipairs(subs) do
    for ev in s:events(60) do
      if ev.type == "SYNCED" then break end
      seen = seen + 1
    end
  end
  -- a round of changes through the watches: patch every ConfigMap
  local ts, changed = {}, 0
  for i = 1, n, #KINDS do
    ts[#ts + 1] = kdeploy.spawn(c.patch, c, { apiVersion = "v1", kind = "ConfigMap",
      name = "o" .. i, namespace = ns }, { data = { changed = "yes" } })
  end
  task.wait_all(ts)
  while changed < #ts do
    local ev = subs[1]:next(60)
    if ev.type == "MODIFIED" then changed = changed + 1 end
  end
  local hwm
  for line in io.lines("/proc/self/status") do
    hwm = hwm or tonumber(line:match("^VmHWM:%s+(%d+)"))
  end
  print(string.format("objects %d changes %d streams %d peak_rss_kb %d", seen, changed,
    watch.streams(c), hwm))
end
