-- tests/lua/alloc_test.lua: the Lua state's allocator (lua/lalloc.c) under
-- the allocation patterns Lua makes: blocks of every size class and past
-- the small-block limit, resizes across classes both ways (strings,
-- arrays, hash parts growing and shrinking), frees from the collector,
-- and memory freed and asked for again. Each test checks the contents it
-- wrote, so blocks that overlap or lose bytes in a resize fail it.
local t = require "t"

-- A string of LEN bytes that differs with SEED at every position.
local function pattern(len, seed)
  local b = {}
  for i = 1, len do b[i] = string.char((i * 7 + seed * 13) % 251 + 1) end
  return table.concat(b)
end

t.test("strings of every length up to 1,100 bytes keep their bytes", function()
  local kept = {}
  for len = 1, 1100 do kept[len] = pattern(len, len) end
  for round = 1, 3 do
    for len = 1, 1100, 2 do kept[len] = nil end   -- free half, then refill
    collectgarbage("collect")
    for len = 1, 1100, 2 do kept[len] = pattern(len, len + round) end
  end
  for len = 1, 1100 do
    local seed = len % 2 == 1 and len + 3 or len
    t.eq(kept[len], pattern(len, seed), "string of length " .. len)
  end
end)

t.test("arrays grown past the small-block limit and back keep their items", function()
  local arrays = {}
  for n = 1, 300, 7 do
    local a = {}
    for i = 1, n * 4 do a[i] = i * n end   -- array part resized many times
    arrays[#arrays + 1] = a
  end
  collectgarbage("collect")
  for k, a in ipairs(arrays) do
    local n = 1 + (k - 1) * 7
    t.eq(#a, n * 4, "length of array " .. k)
    for i = 1, #a do t.eq(a[i], i * n, "array " .. k .. " item " .. i) end
  end
end)

t.test("hash parts that grow, empty and rehash smaller keep their pairs", function()
  local maps = {}
  for m = 1, 40 do
    local h = {}
    for i = 1, 64 * m do h["k" .. i] = i + m end
    for i = 1, 64 * m do if i > m then h["k" .. i] = nil end end
    h.fresh = m   -- an insert into a full-of-dead-keys part rehashes it small
    maps[m] = h
  end
  collectgarbage("collect")
  for m, h in ipairs(maps) do
    local count = 0
    for k, v in pairs(h) do
      count = count + 1
      if k == "fresh" then t.eq(v, m, "fresh")
      else t.eq(v, tonumber(k:sub(2)) + m, "map " .. m .. " " .. k) end
    end
    t.eq(count, m + 1, "pairs in map " .. m)
  end
end)

t.test("closures, coroutines and userdata-backed values survive collections", function()
  local fns, cos = {}, {}
  for i = 1, 500 do
    local up = pattern(i % 97 + 1, i)
    fns[i] = function() return up, i end
    cos[i] = coroutine.wrap(function(x) local y = coroutine.yield(x .. up); return y * i end)
  end
  collectgarbage("collect")
  for i = 1, 500 do
    local up, n = fns[i]()
    t.eq(up, pattern(i % 97 + 1, i), "upvalue " .. i)
    t.eq(n, i, "closure " .. i)
    t.eq(cos[i]("a"), "a" .. up, "first resume " .. i)
    t.eq(cos[i](2), 2 * i, "second resume " .. i)
  end
end)

-- Resident memory, from /proc (nil where there is none).
local function rss_kb()
  local f = io.open("/proc/self/statm")
  if not f then return nil end
  local _, resident = f:read("n", "n")
  f:close()
  return resident * 4
end

-- Built with AddressSanitizer (make sanitize) the allocator is malloc's,
-- and ASan holds freed memory in its quarantine on purpose, so resident
-- memory says nothing of reuse there.
local function under_asan()
  local f = io.open("/proc/self/maps")
  if not f then return false end
  local maps = f:read("a")
  f:close()
  return maps:find("libasan", 1, true) ~= nil
end

local function bursts_reuse_memory()
  local function burst()
    local objs = {}
    for i = 1, 100000 do objs[i] = { name = "obj" .. i, i, { i } } end
    return #objs
  end
  t.eq(burst(), 100000, "first burst")
  collectgarbage("collect")
  local after_first = rss_kb()
  for _ = 1, 4 do
    burst()
    collectgarbage("collect")
  end
  local after_more = rss_kb()
  if after_first then
    -- four more bursts in the memory of the first, give or take a little
    t.ok(after_more <= after_first * 1.1 + 2048,
      string.format("RSS %d KB after 5 bursts, %d KB after 1", after_more, after_first))
  end
end

local reuse = "memory freed by the collector serves the next burst of the same sizes"
if under_asan() then
  print("SKIP " .. reuse .. ": an AddressSanitizer build (malloc's, with a quarantine)")
else
  t.test(reuse, bursts_reuse_memory)
end

os.exit(t.done())
