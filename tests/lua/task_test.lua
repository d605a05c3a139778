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
  t.raises(function() kdeploy.spawn(42) end, "task_test.lua:%d+: spawn: bad argument #1 %(function expected%)")
  t.raises(function() task.spawn() end, "task_test.lua:%d+: spawn: bad argument")
  t.raises(function() kdeploy.wait("x") end, "task expected")
  t.raises(function() kdeploy.sleep(-1) end, "non%-negative")
end)

-- An awaitable on a loop id of its own, ready once the loop returned it.
local loop = require "kdeploy.core.loop"
local function handle()
  local h = { i = loop.new_id(), fired = false }
  function h.id(self) return self.i end
  function h.ready(self) return self.fired end
  function h.fire(self)
    self.fired = true
    loop.ready(self.i)
  end
  return h
end

t.test("many waiters on one id wake in the order they parked", function()
  local h, order, ts = handle(), {}, {}
  for i = 1, 4 do
    ts[i] = kdeploy.spawn(function()
      task.await(h)
      order[#order + 1] = i
      return i
    end)
  end
  task.yield()                      -- all four park on h
  for i = 1, 4 do t.eq(ts[i]:state(), "waiting", "parked " .. i) end
  h:fire()
  t.eq(table.concat(task.wait_all(ts), ","), "1,2,3,4", "results")
  t.eq(table.concat(order, ","), "1,2,3,4", "wake order")
end)

t.test("an id nobody waits for wakes nothing", function()
  task.wake(loop.new_id())
  local h = handle()
  h:fire()                          -- ready before anyone waits
  loop.ready(loop.new_id())
  t.eq(kdeploy.wait(kdeploy.spawn(function() task.await(h); return "ok" end)),
    "ok", "a later task still runs")
end)

t.test("a task cancelled while parked is not resumed again by its id", function()
  local h, resumed = handle(), 0
  local w = kdeploy.spawn(function()
    local ok, err = pcall(task.await, h)
    resumed = resumed + 1
    return ok and "woke" or err.reason
  end)
  task.yield()
  t.eq(w:state(), "waiting", "parked")
  w:cancel()
  h:fire()                          -- its id becomes ready after the cancel
  t.eq(kdeploy.wait(w), "Cancelled", "saw the cancellation")
  kdeploy.sleep(0)
  t.eq(resumed, 1, "resumed once")
  local y = kdeploy.spawn(function() task.yield(); return "ran on" end)
  kdeploy.spawn(function() y:cancel() end)   -- runs while y is queued again
  t.eq(t.raises(function() kdeploy.wait(y) end).reason, "Cancelled",
    "a queued task cancelled before it runs again")
  t.eq(y:state(), "cancelled", "state")
end)

t.test("a task that raises after parking fails; its error keeps its position", function()
  local h = handle()
  local bad = kdeploy.spawn(function()
    task.await(h)
    error("late")
  end)
  local tb = kdeploy.spawn(function()
    return select(2, xpcall(function() error("traced") end, debug.traceback))
  end)
  h:fire()
  local err = t.raises(function() kdeploy.wait(bad) end, "task_test.lua:%d+: late")
  t.eq(bad:state(), "failed", "state")
  t.ok(tostring(err):find("late"), "message")
  t.ok(kdeploy.wait(tb):find("stack traceback", 1, true), "a traceback inside a task")
  t.eq(kdeploy.wait(kdeploy.spawn(function() return 1 end)), 1, "next task runs")
end)

t.test("a parked task only the scheduler references survives a collection", function()
  local h, done = handle(), false
  local weak = setmetatable({}, { __mode = "v" })
  do
    weak[1] = kdeploy.spawn(function() task.await(h); done = true end)
  end
  task.yield()
  collectgarbage()
  collectgarbage()
  t.ok(weak[1] ~= nil, "kept while parked")
  h:fire()
  kdeploy.sleep(0)
  t.ok(done, "woke and finished")
  collectgarbage()
  collectgarbage()
  t.eq(weak[1], nil, "collected once finished and unreferenced")
end)

t.test("a task that blocks where it cannot yield runs the others (nested)", function()
  local other_ran, inner, outer
  local b
  local a = kdeploy.spawn(function()
    local me = task.current()
    table.sort({ 2, 1 }, function(x, y)   -- a C call: no yield in here
      if not inner then
        inner = task.current()
        kdeploy.wait(b)                   -- blocks, driving the loop
      end
      return x < y
    end)
    outer = task.current() == me
    return "a"
  end)
  b = kdeploy.spawn(function() task.yield(); other_ran = true; return "b" end)
  t.eq(kdeploy.wait(a), "a", "result")
  t.eq(inner, nil, "no current task where it cannot yield")
  t.ok(other_ran, "the other task ran meanwhile")
  t.ok(outer, "back in the task: current() is it again")
end)

t.test("a second kdeploy.task module schedules on its own", function()
  package.loaded["kdeploy.task"] = nil
  local task2 = require "kdeploy.task"
  package.loaded["kdeploy.task"] = task
  t.ok(task2 ~= task, "a new module")
  local a = kdeploy.spawn(function() kdeploy.sleep(0.001); return "one" end)
  t.eq(task2.run(function() task2.sleep(0.001); return "two" end), "two", "its own task")
  t.eq(kdeploy.wait(a), "one", "the first module's task")
end)

t.test("a task returning more results than a stack holds fails, others run on", function()
  -- close to LUAI_MAXSTACK: the worker's stack holds them, the scheduler's
  -- cannot take them on top of its own frames
  local n, big = 999950, {}
  for i = 1, n do big[i] = i end
  local a = kdeploy.spawn(function() return table.unpack(big, 1, n) end)
  local ok, err = pcall(kdeploy.wait, a)
  t.ok(not ok, "wait raised")
  t.ok(tostring(err):find("too many results (999950)", 1, true), "the error says why")
  t.eq(a:state(), "failed", "the task failed, not left running")
  local b = kdeploy.spawn(function() kdeploy.sleep(0.001); return "b" end)
  t.eq(kdeploy.wait(b), "b", "the scheduler still runs tasks")
end)

os.exit(t.done())
