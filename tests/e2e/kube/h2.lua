-- tests/e2e/kube/h2.lua KUBECONFIG N: N concurrent GETs of /objI (I = 1..N)
-- from N tasks through one kube client; prints how many came back with
-- their own body {"n": I}.
local kube, kdeploy = require "kdeploy.kube", require "kdeploy"
local c = kube.connect({ kubeconfig = assert(arg[1], "usage: h2.lua KUBECONFIG N") })
local n = tonumber(arg[2])
local got, ts = {}, {}
for i = 1, n do
  ts[i] = kdeploy.spawn(function() got[i] = c:request({ path = "/obj" .. i }).n end)
end
require("kdeploy.task").wait_all(ts, { timeout = 20 })
local ok = 0
for i = 1, n do if got[i] == i then ok = ok + 1 end end
print(ok)
