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


t.test("a repeated key's last value wins, nested values too", function()
  local v = json.decode('{"a":1,"b":2,"a":{"x":[1]},"b":[],"a":[3,4]}')
  t.ok(kdeploy.is_array(v.a), "a is the last, an array")
  t.eq(#v.a, 2, "#a")
  t.eq(v.a[2], 4, "a[2]")
  t.ok(kdeploy.is_array(v.b), "b")
  local n = 0
  for _ in pairs(v) do n = n + 1 end
  t.eq(n, 2, "two keys")
end)

t.test("huge arrays and objects", function()
  local items, members = {}, {}
  for i = 1, 100000 do
    items[i] = tostring(i)
    members[i] = string.format('"k%d":%d', i, i)
  end
  local a = json.decode("[" .. table.concat(items, ",") .. "]")
  t.eq(#a, 100000, "#a")
  t.eq(a[1], 1, "a[1]")
  t.eq(a[100000], 100000, "a[100000]")
  local o = json.decode("{" .. table.concat(members, ",") .. "}")
  t.eq(o.k1, 1, "k1")
  t.eq(o.k99999, 99999, "k99999")
end)

t.test("deep nesting decodes to the limit, then is an error", function()
  local n = 10000
  local v = json.decode(string.rep("[", n) .. string.rep("]", n))
  local depth = 1
  while v[1] do v, depth = v[1], depth + 1 end
  t.eq(depth, n, "depth")
  local o = json.decode(string.rep('{"a":', n - 1) .. "{}" .. string.rep("}", n - 1))
  depth = 1
  while o.a do o, depth = o.a, depth + 1 end
  t.eq(depth, n, "object depth")
  t.raises(function() json.decode(string.rep("[", 20000) .. string.rep("]", 20000)) end,
    "<json>:1:10002: nesting too deep")
end)

t.test("malformed texts: the engine's messages with a position", function()
  local cases = {
    { '{"a": 1,\n  "b" 2}', "f.json:2:7: expected ':' after object key" },
    { "[1, 2", "f.json:1:6: expected ',' or ']' in array" },
    { '"abc', "f.json:1:1: unterminated string" },
    { "01", "f.json:1:2: unexpected data after JSON value" },
    { "", "f.json:1:1: unexpected end of input" },
    { '{"a":1,}', "f.json:1:8: expected string key in object" },
    { '["a\\x"]', "f.json:1:4: invalid escape in string" },
    { '{"a":[1,{"b":"\1"}]}', "f.json:1:15: control character in string" },
    { "[1e999]", "f.json:1:2: number out of range of float64" },
  }
  for _, c in ipairs(cases) do
    local err = t.raises(function() json.decode(c[1], "f.json") end, nil, c[1])
    t.eq(err.message, c[2], c[1])
  end
end)

t.test("strings: escapes, shared ends, long and empty ones", function()
  local v = json.decode('{"k\\u00e9y":"\\ud83d\\ude00\\n","":"","s":["ab-1-cdefghij","ab-2-cdefghij","ab-1-cdefghij"]}')
  t.eq(v["k\u{e9}y"], "\u{1F600}\n", "escaped key and value")
  t.eq(v[""], "", "empty")
  t.eq(v.s[1], "ab-1-cdefghij", "s1")
  t.eq(v.s[2], "ab-2-cdefghij", "s2")
  t.eq(v.s[3], "ab-1-cdefghij", "s3")
  local long = string.rep("x", 5000)
  t.eq(json.decode('"' .. long .. '"'), long, "long")
  -- many distinct short strings sharing slots of any cache
  local items = {}
  for i = 1, 3000 do items[i] = string.format('"name-%d-%s"', i, string.rep("y", i % 30)) end
  local a = json.decode("[" .. table.concat(items, ",") .. "]")
  for i = 1, 3000 do
    t.eq(a[i], string.format("name-%d-%s", i, string.rep("y", i % 30)), "item " .. i)
  end
end)

t.test("numbers: integers stay integers, the rest floats", function()
  local v = json.decode("[0, -0, 1e2, -9223372036854775808, 9223372036854775808, 0.5]")
  t.eq(math.type(v[1]), "integer", "0")
  t.eq(math.type(v[2]), "integer", "-0")
  t.eq(math.type(v[3]), "float", "1e2")
  t.eq(v[4], math.mininteger, "min int64")
  t.eq(math.type(v[5]), "float", "beyond int64")
  t.eq(v[6], 0.5, "0.5")
end)

t.test("a decode from a finalizer run during a decode", function()
  local doc = '{"a":[1,2,{"b":"c"}],"d":null}'
  local seen, bad = 0, 0
  local mt = { __gc = function()
    local v = json.decode(doc)
    seen = seen + 1
    if v.a[3].b ~= "c" or v.d ~= kdeploy.null then bad = bad + 1 end
  end }
  local items = {}
  for i = 1, 2000 do items[i] = string.format('{"name":"n%d","v":[%d]}', i, i) end
  local big = "[" .. table.concat(items, ",") .. "]"
  for _ = 1, 20 do
    for _ = 1, 200 do setmetatable({}, mt) end
    local v = json.decode(big)
    t.eq(v[2000].name, "n2000", "outer value")
    t.eq(v[1999].v[1], 1999, "outer value")
  end
  collectgarbage()
  t.ok(seen > 0, "finalizers ran")
  t.eq(bad, 0, "inner decodes")
end)

os.exit(t.done())
