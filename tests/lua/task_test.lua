-- tests/lua/task_test.lua: the coroutine scheduler (kdeploy.task) and its
-- re-exports from kdeploy.
local t = require "t"
local kdeploy = require "kdeploy"
local task = require "kdeploy.task"

t.test("spawn and wait return the task's results", function()
  local a = kdeploy.spawn(function(x, y) return x + y, "two" end, 1, 2)
  local s, two = kdeploy.wait(a)
  t.eq(s, 3, "sum")
  t.eq(two, "two", "second result")
  local b = kdeploy.spawn(function() return "b" end)
  local c = kdeploy.spawn(function() return "c", "ignored" end)
  local rb, rc = kdeploy.wait(b, c)
  t.eq(rb, "b", "first of b")
  t.eq(rc, "c", "first of c")
end)

t.test("sleeping tasks interleave: wake order follows the deadlines", function()
  local order = {}
  local ts = {}
  for i, d in ipairs({ 0.06, 0.02, 0.04 }) do
    ts[i] = kdeploy.spawn(function()
      kdeploy.sleep(d)
      order[#order + 1] = i
      return i
    end)
  end
  local r = task.wait_all(ts)
  t.eq(table.concat(order, ","), "2,3,1", "order")
  t.eq(table.concat(r, ","), "1,2,3", "results in task order")
end)

t.test("a task failure is raised by wait", function()
  local bad = kdeploy.spawn(function() error({ reason = "Boom" }) end)
  local ok, err = pcall(kdeploy.wait, bad)
  t.ok(not ok, "wait raised")
  t.eq(err.reason, "Boom", "the task's own error object")
  t.eq(bad:state(), "failed", "state")
  t.raises(function() bad:result() end)
end)

t.test("wait with a timeout raises a Timeout error", function()
  local slow = kdeploy.spawn(function() kdeploy.sleep(5) end)
  local err = t.raises(function() kdeploy.wait(slow, { timeout = 0.02 }) end,
    "timed out")
  t.eq(err.reason, "Timeout", "reason")
  t.ok(kdeploy.is_error(err), "is a kdeploy.error")
  slow:cancel()
  kdeploy.sleep(0)          -- let the cancellation run
  t.eq(slow:state(), "cancelled", "cancelled")
end)

t.test("a cancelled task sees a Cancelled error where it waits", function()
  local seen
  local w = kdeploy.spawn(function()
    local ok, err = pcall(kdeploy.sleep, 10)
    seen = not ok and err.reason
    return "cleaned up"
  end)
  kdeploy.sleep(0.01)
  t.eq(w:state(), "waiting", "parked")
  w:cancel()
  t.eq(kdeploy.wait(w), "cleaned up", "it ran its cleanup")
  t.eq(seen, "Cancelled", "the error it caught")
  local never = kdeploy.spawn(function() error("must not run") end)
  never:cancel()
  t.eq(never:state(), "cancelled", "never started")
  t.raises(function() kdeploy.wait(never) end, "cancelled")
end)

t.test("a blocking wait returns as soon as the tasks are done", function()
  local loop = require "kdeploy.core.loop"
  local far = loop.timer(30)              -- something pending in the loop
  local r = kdeploy.wait(kdeploy.spawn(function() return "quick" end))
  t.eq(r, "quick", "result")
  t.ok(loop.cancel(far), "returned before the far timer fired")
end)

t.test("await outside a task blocks and still runs the other tasks", function()
  local ran = false
  kdeploy.spawn(function() ran = true end)
  kdeploy.sleep(0.01)              -- a plain script: blocks here
  t.ok(ran, "the spawned task ran while the script slept")
end)

t.test("inside a user's own coroutine, waiting blocks instead of yielding", function()
  local gen = coroutine.wrap(function()
    kdeploy.sleep(0.01)            -- must not yield to this wrap's resumer
    coroutine.yield("first")
    return "second"
  end)
  t.eq(gen(), "first", "first resume")
  t.eq(gen(), "second", "second resume")
  local inner = kdeploy.spawn(function()
    local g = coroutine.wrap(function()
      kdeploy.sleep(0.01)
      return "wrapped in a task"
    end)
    return g()
  end)
  t.eq(kdeploy.wait(inner), "wrapped in a task", "nested in a task")
end)

t.test("tasks spawn and wait for tasks", function()
  local outer = kdeploy.spawn(function()
    local kids = {}
    for i = 1, 10 do
      kids[i] = kdeploy.spawn(function() kdeploy.sleep(0.001 * (10 - i)); return i * i end)
    end
    local sum = 0
    for _, v in ipairs(task.wait_all(kids)) do sum = sum + v end
    return sum
  end)
  t.eq(kdeploy.wait(outer), 385, "sum of squares")
end)

t.test("a plain coroutine.yield in a task lets others run", function()
  local log = {}
  local a = kdeploy.spawn(function()
    log[#log + 1] = "a1"; coroutine.yield(); log[#log + 1] = "a2"
  end)
  local b = kdeploy.spawn(function()
    log[#log + 1] = "b1"; task.yield(); log[#log + 1] = "b2"
  end)
  kdeploy.wait(a, b)
  t.eq(table.concat(log, " "), "a1 b1 a2 b2", "interleaving")
end)

t.test("waiting on something nothing can finish is a Deadlock error", function()
  local t1, t2
  t1 = kdeploy.spawn(function() kdeploy.sleep(0); return kdeploy.wait(t2) end)
  t2 = kdeploy.spawn(function() kdeploy.sleep(0); return kdeploy.wait(t1) end)
  local err = t.raises(function() kdeploy.wait(t1) end, "nothing can finish")
  t.eq(err.reason, "Deadlock", "reason")
  t1:cancel(); t2:cancel()
  kdeploy.sleep(0)
end)

t.test("a task waits for a signal; the loop wakes it", function()
  local stat = io.open("/proc/self/stat"):read("l")
  local pid = stat:match("^(%d+)")
  local got = false
  local waiter = kdeploy.spawn(function()
    task.wait_signal("USR1", 10)
    got = true
  end)
  kdeploy.sleep(0.05)                     -- the waiter is parked now
  os.execute("kill -USR1 " .. pid)
  kdeploy.wait(waiter, { timeout = 10 })
  t.ok(got, "woken by SIGUSR1")
  local err = t.raises(function() task.wait_signal("USR2", 0.01) end, "no SIGUSR2")
  t.eq(err.reason, "Timeout", "timeout")
  t.raises(function() task.wait_signal("NOPE") end, "unknown signal")
end)

t.test("map runs a function over items with bounded concurrency", function()
  local running, peak = 0, 0
  local items = {}
  for i = 1, 50 do items[i] = i end
  local r = task.map(items, function(x)
    running = running + 1
    peak = math.max(peak, running)
    kdeploy.sleep(0.001)
    running = running - 1
    return x * 2
  end, { concurrency = 5 })
  t.eq(#r, 50, "all results")
  t.eq(r[50], 100, "in item order")
  t.eq(peak, 5, "never more than 5 at once")
  local err = t.raises(function()
    task.map(items, function(x) if x == 7 then error({ reason = "Seven" }) end return x end,
      { concurrency = 3 })
  end)
  t.eq(err.reason, "Seven", "the first error")
end)

t.test("tasks run on reused coroutines as if each had its own", function()
  local seen = {}
  local function body(i, x)
    seen[i] = coroutine.running()
    task.yield()                    -- all three run at once
    return i, x, nil
  end
  for round = 1, 2 do               -- the second round runs on reused workers
    local ts = {}
    for i = 1, 3 do ts[i] = kdeploy.spawn(body, i, nil) end
    local r = task.wait_all(ts)
    t.eq(table.concat(r, ","), "1,2,3", "results, round " .. round)
    t.ok(seen[1] ~= seen[2] and seen[2] ~= seen[3] and seen[1] ~= seen[3],
      "one coroutine per running task")
    t.eq(select("#", ts[1]:result()), 3, "trailing nil results kept")
  end
  local bad = kdeploy.spawn(function() error("plain", 2) end)
  local ok, err = pcall(kdeploy.wait, bad)
  t.ok(not ok, "raised")
  t.eq(err, "plain", "error level 2 in a task's function adds no position")
  t.eq(kdeploy.wait(kdeploy.spawn(function() return "after" end)), "after",
    "a task after a failed one")
  local co = task.run(function() return coroutine.running() end)
  coroutine.resume(co)              -- someone resumes a finished task's coroutine
  t.eq(task.run(function(a) return a end, "still"), "still", "later tasks still run")
end)

t.test("a finished task and its idle worker keep no arguments", function()
  local weak = setmetatable({}, { __mode = "v" })
  local tk
  do
    local big = { "x" }
    weak[1] = big
    tk = kdeploy.spawn(function(a) return #a end, big)
  end
  t.eq(kdeploy.wait(tk), 1, "result")
  collectgarbage()
  collectgarbage()
  t.eq(weak[1], nil, "the argument was collected while the task is kept")
end)

t.test("bad arguments are usage errors", function()
  t.raises(function() kdeploy.spawn(42) end, "function expected")
  t.raises(function() kdeploy.wait("x") end, "task expected")
  t.raises(function() kdeploy.sleep(-1) end, "non%-negative")
end)

os.exit(t.done())
