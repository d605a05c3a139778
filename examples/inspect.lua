-- examples/inspect.lua: reads a Kubernetes List and prints each object's
-- identity the way kdeploy names resources (Kind/namespace/name).
local json = require "kdeploy.json"
local core = require "kdeploy.core"

local path = assert(..., "usage: kdeploy run inspect.lua FILE.json")
local list = json.decode(core.read_file(path), path)
for _, obj in ipairs(list.items) do
  print(string.format("%s/%s/%s", obj.kind, obj.metadata.namespace or "",
    obj.metadata.name))
end
return 0
