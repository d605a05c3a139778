--- kdeploy.task: the coroutine scheduler over kdeploy.core.loop.
-- A task is a coroutine started with `task.spawn`. When it waits (on a
-- request, a watch, a timer or another task) it parks on loop ids and
-- yields; the scheduler resumes it when one of them is ready. The same
-- calls made outside a task (a plain script, the REPL, a user's own
-- `coroutine.wrap`) block instead, by driving the loop until done, and
-- every other task keeps running meanwhile.
--
-- Awaitables are tasks and handles from the C bindings: anything with
-- `h:id()` (a loop id) and `h:ready()` (true once it is done).
local loop = require "kdeploy.core.loop"
local core = require "kdeploy.core"
local ctask = require("kdeploy.core.task").new()   -- queue, workers, resumes

local task = {}

local Task = {}
Task.__index = Task
Task.__name = "kdeploy.task"

local waiting = {}        -- loop id -> array of waiters parked on it
local PARK = {}           -- what a parking task yields
local CANCEL = {}         -- what a cancelled task is resumed with

local function fail(reason, message)
  return core.error({ reason = reason, message = message })
end

-- Parking ------------------------------------------------------------------
-- waiting[id] is the one waiter parked on id, or a list {multi=true, ...}
-- when there are several (rare: two tasks waiting for the same thing).
-- A waiter's `parked` is the array of ids it waits for, or true when it
-- waits for the one id `parked_id` (no array per wait).

local function add_waiter(id, w)
  local cur = waiting[id]
  if cur == nil then
    waiting[id] = w
  elseif cur.multi then
    cur[#cur + 1] = w
  else
    waiting[id] = { multi = true, cur, w }
  end
end

local function drop_waiter(id, w)
  local cur = waiting[id]
  if cur == w then
    waiting[id] = nil
  elseif cur and cur.multi then
    for j = #cur, 1, -1 do
      if cur[j] == w then table.remove(cur, j) end
    end
    if #cur == 0 then waiting[id] = nil end
  end
end

-- On the array IDS, or on ID alone when IDS is nil.
local function park_on(w, ids, id)
  if not w.status then w.woke = nil end   -- a driver's (see wake_one)
  if ids then
    w.parked = ids
    for i = 1, #ids do add_waiter(ids[i], w) end
  else
    w.parked, w.parked_id = true, id
    if waiting[id] == nil then waiting[id] = w else add_waiter(id, w) end
  end
end

local function unpark(w)
  local ids = w.parked
  if not ids then return end
  w.parked = nil
  if ids == true then
    drop_waiter(w.parked_id, w)
    w.parked_id = nil
    return
  end
  for i = 1, #ids do drop_waiter(ids[i], w) end
end

-- Queues waiter W to be resumed with VALUE (lua/ltask.c runs the queue).
local schedule = ctask.push

local function wake_one(w, id)
  local ids = w.parked
  if ids then
    if ids == true then     -- parked on ID alone, which task.wake dropped
      w.parked, w.parked_id = nil, nil
    else
      unpark(w)
    end
    if w.status then          -- a task: resumed with the id
      schedule(w, id)
    else                      -- a driver (see park) looks at woke
      w.woke = id
    end
  end
end

--- Marks loop id `id` as happened: every waiter parked on it wakes up
-- (tasks in the order they parked). Ids nobody waits for are dropped.
function task.wake(id)
  local cur = waiting[id]
  if not cur then return end
  waiting[id] = nil
  if cur.parked == true and cur.status then   -- one task parked on ID alone
    cur.parked, cur.parked_id = nil, nil
    return schedule(cur, id)
  end
  if not cur.multi then return wake_one(cur, id) end
  for i = 1, #cur do wake_one(cur[i], id) end
end

-- Running tasks ------------------------------------------------------------
-- A task runs on a worker coroutine taken when it first runs. When the
-- task's function returns, the worker yields DONE with the results and
-- goes back to a pool for the next task: making and collecting a coroutine
-- per task costs more than a small task's own work (a GET). A worker whose
-- task raised an error is dead and is dropped. The run queue, the pool and
-- the resume loop are lua/ltask.c's (kdeploy.core.task): resuming there
-- costs a fraction of doing it here.

local DONE = {}           -- what a worker yields when its task returned
local starting = {}       -- [1]: the task a worker is resumed to start
local co_yield = coroutine.yield
local unpack = table.unpack

-- Returns ... once T's arguments t[1..n] are cleared.
local function cleared(t, n, ...)
  for i = 1, n do t[i] = nil end
  return ...
end

-- The body of a task: its function, called with its arguments (which the
-- task then drops). A tail call, so that an idle worker keeps nothing of
-- the task it ran; through core.call, so that the function is called from
-- C as a coroutine's body is (error(msg, 2) in it adds no position).
local call = core.call
local function start_task()
  local t = starting[1]
  if not t then return end  -- an idle worker resumed by someone else
  starting[1] = nil
  local fn, n = t.fn, t.nargs
  t.fn = nil
  return call(fn, cleared(t, n, unpack(t, 1, n)))
end

local function work()
  while true do co_yield(DONE, start_task()) end
end

-- Counts a finished task down in group G (see wait_tasks); a failure
-- (DONE false) ends the wait at once.
local function count_down(g, done)
  if g.dead then return end
  local left = g.remaining - 1
  g.remaining = left
  if left == 0 or not done then
    g.dead = true
    task.wake(g.id)
  end
end

-- Ends task T: OK (its results are kept already), else V is its error.
local function finish(t, ok, v)
  if ok then
    t.status = "done"
  else
    local err = v
    t.status, t.err = (err == CANCEL or (core.is_error(err) and
      err.reason == "Cancelled")) and "cancelled" or "failed", err
    if err == CANCEL then t.err = fail("Cancelled", "task cancelled") end
  end
  local groups = t.groups
  if groups then
    t.groups = nil
    if groups.id then        -- one group: no list
      if not groups.dead then count_down(groups, ok) end
    else
      for i = 1, #groups do count_down(groups[i], ok) end
    end
  end
  local id = t.done_id
  if id then task.wake(id) end
end

local run_queue, queued, poll = ctask.run, ctask.pending, ctask.poll
ctask.init(finish, work, DONE, PARK, CANCEL, starting, task, waiting, Task)

--- One round of the scheduler: runs every runnable task, then waits for
-- the loop at most `timeout` seconds (nil: until something happens) and
-- wakes what became ready. With waiter `w` (a driver parked outside a
-- task) it does not wait once the tasks woke w. Returns false when
-- nothing at all is pending.
function task.step(timeout, w)
  run_queue()
  if w and w.woke ~= nil then return true end
  if queued() > 0 then timeout = 0 end
  local n = poll(timeout)   -- loop.run, then task.wake for each ready id
  run_queue()
  return n > 0 or queued() > 0 or loop.pending() > 0 or (w ~= nil and w.woke ~= nil)
end

--- The running task, or nil outside one (also inside a user's own
-- coroutine, and where the task cannot yield because C called back into
-- Lua, e.g. a template's lookup during chart:render: waiting calls block
-- there instead of yielding, driving the loop in place).
local current = ctask.current
task.current = current

-- Parks the caller on the array IDS (or on ID alone when IDS is nil)
-- until one of them is ready; returns that id.
local function park(ids, id)
  local t = current()
  if t then
    park_on(t, ids, id)
    local v = co_yield(PARK)
    if t.parked then unpark(t) end   -- (wake and cancel unpark it first)
    if v == CANCEL then error(fail("Cancelled", "task cancelled"), 0) end
    return v
  end
  local d = {}            -- outside a task: drive the loop right here
  park_on(d, ids, id)
  while d.woke == nil do
    if not task.step(nil, d) and d.woke == nil then
      unpark(d)
      error(fail("Deadlock", "waiting for something nothing can finish " ..
        "(no request, timer or task is pending)"), 2)
    end
  end
  return d.woke
end

-- park(IDS) where TIMER (may be nil) is one of IDS: a timer left behind
-- by a cancelled or failed wait is cancelled, so it keeps nothing pending.
local function park_timed(ids, timer)
  if not timer then return park(ids) end
  local ok, v = pcall(park, ids)
  if not ok then
    loop.cancel(timer)
    error(v, 0)
  end
  return v
end

-- Awaiting -----------------------------------------------------------------

local function check_timeout(timeout)
  if timeout ~= nil and (type(timeout) ~= "number" or timeout < 0) then
    error("timeout must be a non-negative number of seconds", 3)
  end
end

--- Waits until awaitable `h` is ready. In a task this yields; elsewhere
-- it drives the loop. With `timeout` (seconds) raises a kdeploy.error with
-- reason "Timeout" when it passes first. Returns h.
function task.await(h, timeout)
  if timeout == nil then        -- the common case, without a table of ids
    if h:ready() then return h end
    local id = h:id()
    repeat park(nil, id) until h:ready()
    return h
  end
  check_timeout(timeout)
  if h:ready() then return h end
  local timer = timeout and loop.timer(timeout)
  local ids = { h:id(), timer }
  while not h:ready() do
    if park_timed(ids, timer) == timer and not h:ready() then
      error(fail("Timeout", string.format("timed out after %gs", timeout)), 2)
    end
  end
  if timer then loop.cancel(timer) end
  return h
end

--- Sleeps `seconds` (other tasks run meanwhile).
function task.sleep(seconds)
  check_timeout(seconds)
  local timer = loop.timer(seconds)
  park_timed({ timer }, timer)
end

--- Lets other runnable tasks run, then continues.
function task.yield()
  if task.current() then
    if coroutine.yield() == CANCEL then
      error(fail("Cancelled", "task cancelled"), 2)
    end
  else
    task.step(0)
  end
end

local signal_ids = {}

--- Waits until signal `name` ("INT", "TERM", "HUP", "QUIT", "USR1", "USR2",
-- "WINCH") arrives, at most `timeout` seconds (a Timeout error). The first
-- wait for a signal installs its handler: from then on that signal no
-- longer ends the process by itself, the flow decides. A signal that
-- arrives while nobody waits for it is not kept.
function task.wait_signal(name, timeout)
  check_timeout(timeout)
  local key = tostring(name):gsub("^SIG", "")
  local id = signal_ids[key]
  if not id then
    id = loop.signal(key)
    signal_ids[key] = id
  end
  local timer = timeout and loop.timer(timeout)
  if park_timed({ id, timer }, timer) == timer then
    error(fail("Timeout", string.format("no SIG%s within %gs", key, timeout)), 2)
  end
  if timer then loop.cancel(timer) end
end

-- Tasks --------------------------------------------------------------------

--- Starts `fn(...)` as a new task; it first runs when the caller waits or
-- yields. Returns the task.
local new_task = ctask.spawn
function task.spawn(fn, ...)
  if type(fn) ~= "function" and not (getmetatable(fn) or {}).__call then
    error("spawn: bad argument #1 (function expected)", 2)
  end
  -- lua/ltask.c: the table { status = "ready", fn = fn, nargs =
  -- select("#", ...), ... } with the Task metatable, queued to run
  return new_task(fn, ...)
end

-- The loop id a task's end is announced on, made when first asked for
-- (task.wait counts tasks down without it).
function Task:id()
  local id = self.done_id
  if not id then
    id = loop.new_id()
    self.done_id = id
  end
  return id
end

--- True once the task finished (done, failed or cancelled).
function Task:ready()
  local s = self.status
  return s == "done" or s == "failed" or s == "cancelled"
end

--- Status: "ready", "running", "waiting", "done", "failed", "cancelled".
function Task:state() return self.status end

--- The task's results (raises its error if it failed); nil while running.
function Task:result()
  if self.status == "failed" or self.status == "cancelled" then
    error(self.err, 2)
  end
  if self.nres then
    return unpack(self, 1, self.nres)
  end
end

--- Cancels the task: a waiting task is resumed with a "Cancelled" error
-- (so its pcall/cleanup code runs); one not started never runs.
function Task:cancel()
  local s = self.status
  if s == "ready" and self.fn then
    cleared(self, self.nargs)
    self.fn = nil
    finish(self, false, CANCEL)
  elseif s == "ready" then         -- queued after a yield: cancel on resume
    self.cancel_req = true
  elseif s == "waiting" then
    unpark(self)
    schedule(self, CANCEL)
  elseif s == "running" then
    error(fail("Cancelled", "task cancelled"), 2)
  end
end

function Task:__tostring()
  return "kdeploy.task (" .. self.status .. ")"
end

local function split_opts(n, ...)
  local list = table.pack(...)
  local last = list[n]
  if n > 0 and type(last) == "table" and getmetatable(last) ~= Task then
    return list, n - 1, last
  end
  return list, n, nil
end

-- The first failed or cancelled task of list[1..n], if any.
local function first_failure(list, n)
  for i = 1, n do
    local t = list[i]
    if t.status == "failed" or t.status == "cancelled" then return t end
  end
end

-- Waits for tasks list[1..n]; raises the first failure as soon as it is
-- seen, or a Timeout. The waiter parks on one id of its own; each task
-- counts down the groups waiting for it, so waiting for n tasks is O(n).
local function wait_tasks(list, n, timeout)
  check_timeout(timeout)
  local pending, bad = 0, nil
  for i = 1, n do
    local t = list[i]
    if getmetatable(t) ~= Task then
      error(string.format("wait: bad argument #%d (task expected, got %s)",
        i, type(t)), 3)
    end
    local s = t.status
    if s == "failed" or s == "cancelled" then bad = bad or t    -- first_failure
    elseif s ~= "done" then pending = pending + 1 end
  end
  if bad then error(bad.err, 0) end
  if pending == 0 then return end
  local g = { id = loop.new_id(), remaining = pending }
  for i = 1, n do             -- none failed (above): not done is pending
    local t = list[i]
    if t.status ~= "done" then
      local gs = t.groups       -- a group, or a list of them when several
      if gs == nil then t.groups = g
      elseif gs.id then t.groups = { gs, g }
      else gs[#gs + 1] = g end
    end
  end
  local timer = timeout and loop.timer(timeout)
  local ok, woke = pcall(park_timed, { g.id, timer }, timer)
  g.dead = true
  if not ok then error(woke, 0) end
  if woke == timer then
    error(fail("Timeout", string.format("timed out after %gs waiting " ..
      "for %d task(s)", timeout, g.remaining)), 3)
  end
  if timer then loop.cancel(timer) end
  bad = first_failure(list, n)
  if bad then error(bad.err, 0) end
end

--- Waits for tasks: `wait(t)` returns all of t's results, `wait(t1, t2,
-- ...)` the first result of each. A last argument `{timeout = s}` bounds
-- the wait (a "Timeout" error). If a task fails, wait raises its error
-- as soon as it is seen; the other tasks keep running.
function task.wait(...)
  local list, n, opts = split_opts(select("#", ...), ...)
  wait_tasks(list, n, opts and opts.timeout)
  if n == 1 then return list[1]:result() end
  local firsts = {}
  for i = 1, n do firsts[i] = list[i][1] end
  return table.unpack(firsts, 1, n)
end

--- Waits for every task in array `tasks`; returns an array of their first
-- results. Options as for wait.
function task.wait_all(tasks, opts)
  wait_tasks(tasks, #tasks, opts and opts.timeout)
  local out = {}
  for i = 1, #tasks do out[i] = tasks[i][1] end
  return out
end

--- Calls fn(item, i) for every item of array `items` from at most
-- opts.concurrency (default 64) tasks at once, and returns the array of
-- the first results, in item order. The first error stops the workers
-- taking new items and is raised once they are done; opts.timeout bounds
-- the whole. Cheaper than a task per item when there are thousands.
function task.map(items, fn, opts)
  local n, limit = #items, opts and opts.concurrency or 64
  if type(limit) ~= "number" or limit < 1 then
    error("map: concurrency must be a positive number", 2)
  end
  local results, nxt, failed = {}, 1, nil
  local function worker()
    while not failed and nxt <= n do
      local i = nxt
      nxt = i + 1
      local ok, r = pcall(fn, items[i], i)
      if not ok then
        failed = failed or r
        return
      end
      results[i] = r
    end
  end
  local ws = {}
  for w = 1, math.min(limit, n) do ws[w] = task.spawn(worker) end
  task.wait_all(ws, { timeout = opts and opts.timeout })
  if failed then error(failed, 0) end
  return results
end

--- Spawns `fn(...)` as a task and waits for it; returns its results.
function task.run(fn, ...)
  return task.wait(task.spawn(fn, ...))
end

--- True when `v` is a task.
function task.is_task(v) return getmetatable(v) == Task end

return task
