-- tests/e2e/kube/logs.lua KUBECONFIG: kube.logs against the scripted log
-- server (tests/e2e/kube/logsrv.c): reconnect after a dropped stream with
-- sinceTime and no repeated line, the end of a finished container, many
-- pods at once, the callback form.
local t = require "t"
local kube = require "kdeploy.kube"
local kdeploy = require "kdeploy"
local task = require "kdeploy.task"

local c = kube.connect({ kubeconfig = assert(arg[1], "usage: logs.lua KUBECONFIG") })

t.test("a dropped follow stream resumes where it broke, no line twice", function()
  local log = c:logs({ pod = "flaky", container = "app", follow = true })
  local lines = {}
  for line, ts in log:lines(10) do lines[#lines + 1] = ts .. " " .. line end
  t.eq(table.concat(lines, "\n"), table.concat({
    "2025-01-01T00:00:01.000000001Z one", "2025-01-01T00:00:02.5Z two",
    "2025-01-01T00:00:02.5Z two bis", "2025-01-01T00:00:03Z three",
    "2025-01-01T00:00:04Z four", "2025-01-01T00:00:05Z five" }, "\n"), "lines")
  t.eq(log.reconnects, 1, "reconnected once")
  local stats = c:request({ path = "/stats" })
  t.eq(stats.flaky_streams, 2, "two streams")
  t.eq(stats.flaky_since, "2025-01-01T00:00:02.500000000Z", "resumed at the last line's time")
end)

t.test("a finished container's log ends after its last line", function()
  local log = kube.logs({ client = c, pod = "short" })
  t.eq(log:next(5), "first", "first")
  local line, ts = log:next(5)
  t.eq(line, "last", "last")
  t.eq(ts, "2025-01-01T00:00:02Z", "timestamp")
  t.eq(log:next(5), nil, "end")
  t.eq(log.reconnects, 0, "no reconnect")
end)

t.test("many pods stream at once over the loop; callbacks from tasks", function()
  local got, logs = {}, {}
  for i = 1, 20 do
    local name = "slow" .. i
    got[name] = {}
    logs[i] = c:logs({ pod = name, callback = function(line) table.insert(got[name], line) end })
  end
  local ts = {}
  for i, l in ipairs(logs) do ts[i] = l.task end
  task.wait_all(ts, { timeout = 30 })
  for i = 1, 20 do
    local name = "slow" .. i
    t.eq(table.concat(got[name], "|"), string.format("%s line 1|%s line 2|%s line 3",
      name, name, name), name)
  end
end)

t.test("errors: a missing pod ends quietly, a refused stream raises", function()
  local gone = c:logs({ pod = "missing" })
  t.eq(gone:next(5), nil, "404: no lines, no error")
  local waiting = c:logs({ pod = "waiting", follow = false })
  local err = t.raises(function() waiting:next(5) end, "is waiting to start")
  t.eq(err.verb, "logs", "verb")
  t.eq(err.code, 400, "code")
  t.eq(tostring(err):match("^logs Pod/default/waiting"), "logs Pod/default/waiting", tostring(err))
  t.raises(function() c:logs({}) end, "needs {pod=}")
end)

os.exit(t.done())
