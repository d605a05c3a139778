-- tests/e2e/kube/simlogs.lua KUBECONFIG MODE: kube.logs against pods of
-- `kdeploy sim` (its simulated kubelet writes the logs). MODE "plain": the
-- iterator, the callback form, a container by name and several pods
-- followed at once; MODE "drop": the connection goes through
-- tests/e2e/kube/proxy.c --drop-after, which cuts every stream from the
-- server side, and the follow stream must resume with sinceTime without a
-- line twice or a line lost.
local t = require "t"
local kube = require "kdeploy.kube"
local task = require "kdeploy.task"

local c = kube.connect({ kubeconfig = assert(arg[1], "usage: simlogs.lua KUBECONFIG MODE") })
local mode = arg[2] or "plain"

local function pod(name, env)
  local e = {}
  for k, v in pairs(env) do e[#e + 1] = { name = k, value = v } end
  table.sort(e, function(a, b) return a.name < b.name end)
  return c:create({ apiVersion = "v1", kind = "Pod",
    metadata = { name = name, namespace = "default" },
    spec = { containers = { { name = "app", image = "example/app:1", env = e } } } })
end

-- Waits until the pod's container runs (its log exists).
local function running(name)
  for _ = 1, 100 do
    local p = c:get({ apiVersion = "v1", kind = "Pod", name = name, namespace = "default" })
    for _, cs in ipairs(p.status and p.status.containerStatuses or {}) do
      if cs.state and cs.state.running then return end
    end
    task.sleep(0.05)
  end
  error("pod " .. name .. " never ran")
end

-- The numbers N of "heartbeat N" lines, in order, as "1,2,3".
local function beats(lines)
  local n = {}
  for _, l in ipairs(lines) do
    local k = l:match("heartbeat (%d+)$")
    if k then n[#n + 1] = k end
  end
  return table.concat(n, ",")
end
local function upto(k)
  local n = {}
  for i = 1, k do n[i] = tostring(i) end
  return table.concat(n, ",")
end

if mode == "plain" then
  t.test("iterator: a pod's start lines and SIM_LOG lines, with timestamps", function()
    pod("talker", { SIM_LOG = "hello\\nworld", SIM_LOG_EVERY = "100ms" })
    running("talker")
    local log = kube.logs({ client = c, pod = "talker", container = "app", follow = true })
    local lines, stamps = {}, 0
    for line, ts in log:lines(5) do
      lines[#lines + 1] = line
      if ts:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d") then stamps = stamps + 1 end
      if line:match("heartbeat 3$") then break end
    end
    log:close()
    t.eq(lines[1], "sim: starting container app from image example/app:1", "first line")
    local text = table.concat(lines, "|")
    t.ok(text:find("|hello|world|", 1, true), text)
    t.eq(beats(lines), "1,2,3", "followed heartbeats")
    t.eq(stamps, #lines, "every line has its timestamp")
    t.eq(log.reconnects, 0, "no reconnect")
  end)

  t.test("since_time: only lines from then on", function()
    task.sleep(1.2) -- heartbeats in a later second than the start lines
    local log = c:logs({ pod = "talker", follow = false })
    local all = {}
    for line, ts in log:lines(5) do all[#all + 1] = { line, ts } end
    t.ok(#all >= 5, "lines so far: " .. #all)
    local from = all[#all - 1]
    local tail = {}
    for line in c:logs({ pod = "talker", follow = false, since_time = from[2] }):lines(5) do
      tail[#tail + 1] = line
    end
    -- sinceTime has whole-second precision (metav1.Time), as in kube
    local sec = from[2]:sub(1, 19)
    t.ok(tail[1] and tail[1] ~= all[1][1], "not from the start")
    local has = false
    for _, l in ipairs(tail) do if l == from[1] then has = true end end
    t.ok(has, "includes the line at since_time")
    local before = 0
    for _, l in ipairs(all) do if l[2]:sub(1, 19) < sec then before = before + 1 end end
    local same = true
    for i = before + 1, #all do same = same and tail[i - before] == all[i][1] end
    t.ok(same, "exactly the lines from that second on")
  end)

  t.test("several pods followed at once, callbacks from their tasks", function()
    local got, logs, tasks = {}, {}, {}
    for i = 1, 5 do
      pod("many" .. i, { SIM_LOG = "pod " .. i, SIM_LOG_EVERY = "50ms" })
    end
    for i = 1, 5 do running("many" .. i) end
    for i = 1, 5 do
      local name = "many" .. i
      got[name] = {}
      logs[i] = c:logs({ pod = name, callback = function(line)
        table.insert(got[name], line)
        if line:match("heartbeat 4$") then logs[i]:close() end
      end })
      tasks[i] = logs[i].task
    end
    task.wait_all(tasks, { timeout = 20 })
    for i = 1, 5 do
      local name = "many" .. i
      t.ok(table.concat(got[name], "|"):find("|pod " .. i .. "|", 1, true), name .. " own line")
      t.eq(beats(got[name]), "1,2,3,4", name .. " heartbeats")
    end
  end)

  t.test("a finished container's follow stream ends", function()
    pod("done", { SIM_LOG = "bye", SIM_RUN_FOR = "300ms" })
    running("done")
    local lines = {}
    for line in c:logs({ pod = "done" }):lines(10) do lines[#lines + 1] = line end
    t.ok(table.concat(lines, "|"):find("|bye|", 1, true), "its own line")
    t.eq(lines[#lines], "sim: app exiting with code 0", "the stream ended after the exit line")
  end)
elseif mode == "drop" then
  t.test("a stream cut by the server side resumes with sinceTime, no line twice", function()
    pod("beater", { SIM_LOG_EVERY = "100ms" })
    running("beater")
    local log = c:logs({ pod = "beater", follow = true })
    local lines = {}
    for line in log:lines(10) do
      lines[#lines + 1] = line
      if line:match("heartbeat 25$") then break end
    end
    log:close()
    t.eq(beats(lines), upto(25), "every heartbeat once, in order")
    local seen, twice = {}, 0
    for _, l in ipairs(lines) do
      if seen[l] then twice = twice + 1 end
      seen[l] = true
    end
    t.eq(twice, 0, "no line twice")
    t.ok(log.reconnects >= 1, "reconnected: " .. log.reconnects)
  end)
end

os.exit(t.done())
