-- tests/bench/task_bench.lua ROUNDS: the scheduler alone (kdeploy.task and
-- lua/ltask.c), without HTTP: ROUNDS rounds of 1,000 tasks, each parking
-- once on a loop id of its own that the loop then returns (as a GET's
-- transfer does), collected by wait_all. Instructions per task:
--   for r in 0 4; do valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.$r \
--     ./kdeploy run tests/bench/task_bench.lua $r; done
--   per task = (Ir(4) - Ir(0)) / 4000
-- (2026-12-02: 31.5k with the scheduler in Lua, 26.0k with lua/ltask.c)
local task = require "kdeploy.task"
local loop = require "kdeploy.core.loop"
local rounds = tonumber(arg[1]) or 1

local Handle = {}
Handle.__index = Handle
function Handle:id() return self.i end
-- false when await first asks, true once woken (await asks again then)
function Handle:ready()
  local n = self.asked + 1
  self.asked = n
  return n >= 2
end

local ids, hs = {}, {}
for i = 1, 1000 do ids[i] = loop.new_id() end
local function get(i)
  local h = hs[i]
  loop.ready(h.i)
  task.await(h)
  return i
end
for _ = 1, rounds do
  for i = 1, 1000 do hs[i] = setmetatable({ i = ids[i], asked = 0 }, Handle) end
  local ts = {}
  for i = 1, 1000 do ts[i] = task.spawn(get, i) end
  local r = task.wait_all(ts)
  for i = 1, 1000 do assert(r[i] == i) end
end
