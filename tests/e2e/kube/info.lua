-- tests/e2e/kube/info.lua [CONTEXT [NAMESPACE]]: prints on one line what
-- kube.connect resolved from the environment's kubeconfig(s) (KUBECONFIG,
-- HOME, or the in-cluster service account) and how many namespaces a list
-- through it returns ("error" when the cluster cannot be reached).
local kube = require "kdeploy.kube"
local c = kube.connect({ context = arg[1] ~= "" and arg[1] or nil,
  namespace = arg[2] ~= "" and arg[2] or nil, timeout = 5 })
local i = c:info()
local ok, items = pcall(c.list, c, { apiVersion = "v1", kind = "Namespace" })
print(i.context, i.server, i.user, i.namespace, i.auth, tostring(i.in_cluster),
  "namespaces=" .. (ok and #items or "error"))
