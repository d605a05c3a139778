--- tests/lua/t.lua: the Lua test harness. `t.test(name, fn)` runs fn and
-- prints "PASS name" or "FAIL name: error"; `t.done()` returns the exit
-- code. Assertions: t.eq(got, want, what), t.raises(fn, pattern).
local t = { failed = 0 }

local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  return tostring(v)
end

function t.eq(got, want, what)
  if got ~= want then
    error(string.format("%s: got %s, want %s", what or "value", show(got),
      show(want)), 2)
  end
end

function t.ok(cond, what)
  if not cond then error(what or "assertion failed", 2) end
end

--- Deep equality of plain data (tables compared key by key).
function t.same(a, b)
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for k, v in pairs(a) do if not t.same(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

--- Calls fn, expects an error whose string form matches pattern.
function t.raises(fn, pattern, what)
  local ok, err = pcall(fn)
  if ok then error((what or "call") .. ": expected an error", 2) end
  local msg = tostring(err)
  if pattern and not msg:find(pattern) then
    error(string.format("%s: error %q does not match %q", what or "call",
      msg, pattern), 2)
  end
  return err
end

function t.test(name, fn)
  local ok, err = xpcall(fn, debug.traceback)
  if ok then
    print("PASS " .. name)
  else
    t.failed = t.failed + 1
    print("FAIL " .. name .. ": " .. tostring(err):gsub("\n", "\n    "))
  end
end

function t.done() return t.failed > 0 and 1 or 0 end

return t
