-- tests/lua/json_test.lua: the kdeploy.json module from Lua.
local t = require "t"
local json = require "kdeploy.json"
local kdeploy = require "kdeploy"

t.test("null and empty arrays survive a round trip", function()
  local v = json.decode('{"a":[],"b":{},"c":null,"d":[null,1]}')
  t.eq(v.c, kdeploy.null, "c")
  t.ok(kdeploy.is_array(v.a), "a is an array")
  t.ok(not kdeploy.is_array(v.b), "b is an object")
  t.eq(json.encode(v), '{"a":[],"b":{},"c":null,"d":[null,1]}', "encode")
end)

t.test("integers stay integers, beyond 2^53 too", function()
  local v = json.decode('[9007199254740993, 1.0, 2]')
  t.eq(math.type(v[1]), "integer", "type")
  t.eq(v[1], 9007199254740993, "value")
  t.eq(math.type(v[2]), "float", "1.0 is a float")
  t.eq(json.encode(v), "[9007199254740993,1,2]", "encode")
end)

t.test("plain Lua tables: sequences are arrays, keys sorted", function()
  t.eq(json.encode({ z = 1, a = { 3, 2 }, m = {} }),
    '{"a":[3,2],"m":{},"z":1}', "encode")
  t.eq(json.encode(kdeploy.array()), "[]", "marked empty array")
  t.eq(json.encode({ a = 1 }, { pretty = true }), '{\n  "a": 1\n}', "pretty")
end)

t.test("decode errors are kdeploy.error objects with a position", function()
  local err = t.raises(function() json.decode('{"a":\n  tru}', "x.json") end,
    "x.json:2:3:")
  t.eq(err.reason, "ParseError", "reason")
  t.eq(err.line, 2, "line")
  t.ok(kdeploy.is_error(err), "is_error")
end)

t.test("functions and cycles cannot be encoded", function()
  t.raises(function() json.encode({ f = print }) end, "cannot encode a function")
  local a = {}
  a.self = a
  t.raises(function() json.encode(a) end, "nested too deeply")
end)

os.exit(t.done())
