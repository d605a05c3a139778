-- tests/lua/yaml_test.lua: the kdeploy.yaml module from Lua.
local t = require "t"
local yaml = require "kdeploy.yaml"
local kdeploy = require "kdeploy"

t.test("a manifest stream decodes into one table per document", function()
  local docs = yaml.decode_all([[
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
data: {enabled: "yes", n: "1"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  template: {spec: {containers: [], volumes: ~}}
]], "m.yaml")
  t.eq(#docs, 2, "documents")
  t.ok(kdeploy.is_array(docs), "stream is an array")
  t.eq(docs[1].data.enabled, "yes", "quoted yes stays a string")
  t.eq(math.type(docs[2].spec.replicas), "integer", "replicas")
  t.ok(kdeploy.is_array(docs[2].spec.template.spec.containers), "[] array")
  t.eq(docs[2].spec.template.spec.volumes, kdeploy.null, "~ is null")
end)

t.test("YAML 1.1 booleans and numbers as Helm reads values", function()
  local v = yaml.decode("a: yes\nb: off\nc: 0x1F\nd: 1e3\ne: 0777\n")
  t.eq(v.a, true, "yes")
  t.eq(v.b, false, "off")
  t.eq(v.c, 31, "hex")
  t.eq(v.d, 1000.0, "1e3")
  t.eq(math.type(v.d), "float", "1e3 is a float")
  t.eq(v.e, 511, "octal")
end)

t.test("errors name the source, line and column", function()
  local err = t.raises(function() yaml.decode("a: 1\na: 2\n", "values.yaml") end,
    'values.yaml:2:1: mapping key "a" already defined')
  t.eq(err.reason, "ParseError", "reason")
  t.eq(err.line, 2, "line")
  t.raises(function() yaml.decode("k: [\n", "bad.yaml") end, "^bad.yaml:2:1:")
end)

t.test("encode prints what Helm's toYaml prints", function()
  local out = yaml.encode({
    name = "web", replicas = 3, ratio = 0.5, on = true, off = "yes",
    empty = {}, list = kdeploy.array(), none = kdeploy.null,
    ports = { { port = 80 }, { port = 443 } },
    script = "echo one\necho two\n",
  })
  t.eq(out, [[
empty: {}
list: []
name: web
none: null
"off": "yes"
"on": true
ports:
- port: 80
- port: 443
ratio: 0.5
replicas: 3
script: |
  echo one
  echo two
]], "yaml")
end)

t.test("decode -> encode keeps nulls, empty lists and big integers", function()
  local src = "a: null\nb: []\nc: {}\nd: 9223372036854775807\ne:\n- []\n- null\n"
  t.eq(yaml.encode(yaml.decode(src)), src, "round trip")
  local again = yaml.decode(yaml.encode(yaml.decode(src)))
  t.ok(kdeploy.is_array(again.b), "[] stays an array")
  t.eq(again.a, kdeploy.null, "null stays null")
  t.eq(again.d, math.maxinteger, "int64 max exact")
end)

t.test("encode of scalars at the top", function()
  t.eq(yaml.encode("x"), "x\n", "string")
  t.eq(yaml.encode("a\nb"), "|-\n  a\n  b\n", "literal")
  t.eq(yaml.encode(kdeploy.null), "null\n", "null")
  t.eq(yaml.encode(kdeploy.array({ 1, "2" })), "- 1\n- \"2\"\n", "list")
end)

t.test("encode refuses what go-yaml refuses", function()
  local err = t.raises(function() yaml.encode({ x = 0 / 0 }) end,
    "unsupported value: NaN")
  t.eq(err.reason, "OutOfRange", "reason")
  t.raises(function() yaml.encode("del\127") end, "control characters")
  t.raises(function() yaml.encode({ f = print }) end, "cannot encode a function")
end)

os.exit(t.done())
