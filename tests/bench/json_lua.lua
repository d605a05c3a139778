-- tests/bench/json_lua.lua: times kdeploy.json.decode (JSON text -> Lua
-- tables) of each line of FILE (one JSON text a line), ROUNDS times over.
-- Usage: kdeploy run tests/bench/json_lua.lua FILE ROUNDS [RUNS]
-- Prints the best CPU seconds (os.clock) of the RUNS runs.
local json = require "kdeploy.json"
local path, rounds, runs = arg[1], tonumber(arg[2]), tonumber(arg[3] or 3)
local bodies = {}
for line in io.lines(path) do
  if line ~= "" then bodies[#bodies + 1] = line end
end
local best = math.huge
for _ = 1, runs do
  local t0 = os.clock()
  for _ = 1, rounds do
    for i = 1, #bodies do json.decode(bodies[i]) end
  end
  best = math.min(best, os.clock() - t0)
end
print(string.format("%.4f", best))
