--- tests/bench/gen_manifests.lua: writes the benchmark inputs, generated
-- at bench time (never committed): OUT.yaml, a stream of Kubernetes
-- manifests as `helm template` prints them (about MB megabytes), and
-- OUT.json, the same objects as one JSON List.
-- Usage: kdeploy run gen_manifests.lua OUT MB
local yaml = require "kdeploy.yaml"
local json = require "kdeploy.json"
local kdeploy = require "kdeploy"
local arr = kdeploy.array

local out, mb = arg[1], tonumber(arg[2] or "50")
assert(out, "usage: gen_manifests.lua OUT [MB]")

local function labels(name, i)
  return {
    ["app.kubernetes.io/name"] = name, ["app.kubernetes.io/instance"] = "rel-" .. i,
    ["app.kubernetes.io/version"] = "1." .. (i % 17) .. ".0",
    ["app.kubernetes.io/managed-by"] = "Helm", ["helm.sh/chart"] = name .. "-4.2." .. (i % 9),
  }
end

local function deployment(i)
  local name = "service-" .. i
  local env = arr()
  for k = 1, 8 do
    env[k] = { name = "ENV_VAR_" .. k, value = (k % 3 == 0) and "true" or ("value-" .. i * k) }
  end
  return {
    apiVersion = "apps/v1", kind = "Deployment",
    metadata = { name = name, namespace = "ns-" .. (i % 7), labels = labels(name, i),
      annotations = { ["checksum/config"] = string.format("%064x", i * 2654435761),
        description = "Deployment number " .. i .. " of the benchmark stream, with a description long enough to be folded at eighty columns by the emitter." } },
    spec = {
      replicas = i % 5 + 1, revisionHistoryLimit = 10,
      selector = { matchLabels = { ["app.kubernetes.io/name"] = name } },
      strategy = { type = "RollingUpdate", rollingUpdate = { maxSurge = "25%", maxUnavailable = 0 } },
      template = {
        metadata = { labels = labels(name, i) },
        spec = {
          serviceAccountName = name, securityContext = { runAsNonRoot = true, runAsUser = 1000, fsGroup = 2000 },
          containers = arr { {
            name = "app", image = "registry.example.com/team/" .. name .. ":v1." .. i,
            imagePullPolicy = "IfNotPresent",
            args = arr { "--port=8080", "--log-level=info", "--config=/etc/app/config.yaml" },
            ports = arr { { name = "http", containerPort = 8080, protocol = "TCP" },
              { name = "metrics", containerPort = 9090, protocol = "TCP" } },
            env = env,
            resources = { limits = { cpu = "500m", memory = "256Mi" }, requests = { cpu = "100m", memory = "128Mi" } },
            livenessProbe = { httpGet = { path = "/healthz", port = "http" }, initialDelaySeconds = 10, periodSeconds = 10 },
            readinessProbe = { httpGet = { path = "/ready", port = "http" }, timeoutSeconds = 1, failureThreshold = 3 },
            volumeMounts = arr { { name = "config", mountPath = "/etc/app", readOnly = true } },
          } },
          volumes = arr { { name = "config", configMap = { name = name .. "-config" } } },
          tolerations = arr(), nodeSelector = {}, affinity = kdeploy.null,
        },
      },
    },
  }
end

local function configmap(i)
  local lines = {}
  for k = 1, 20 do
    lines[k] = string.format("  location /api/v%d/ { proxy_pass http://backend-%d:%d; }", k, i, 8000 + k)
  end
  return {
    apiVersion = "v1", kind = "ConfigMap",
    metadata = { name = "service-" .. i .. "-config", labels = labels("service-" .. i, i) },
    data = {
      ["config.yaml"] = "server:\n  port: 8080\n  workers: " .. (i % 8 + 1) .. "\nfeatures:\n  enabled: yes\n",
      ["nginx.conf"] = "server {\n" .. table.concat(lines, "\n") .. "\n}\n",
      ["ratio"] = tostring(i / 7), enabled = "true", count = tostring(i), empty = "",
    },
  }
end

local function service(i)
  return {
    apiVersion = "v1", kind = "Service",
    metadata = { name = "service-" .. i, labels = labels("service-" .. i, i) },
    spec = { type = "ClusterIP", ports = arr { { name = "http", port = 80, targetPort = "http", protocol = "TCP" } },
      selector = { ["app.kubernetes.io/name"] = "service-" .. i } },
  }
end

local fy = assert(io.open(out .. ".yaml", "w"))
local items, size, i = arr(), 0, 0
while size < mb * 1e6 do
  i = i + 1
  for _, doc in ipairs { deployment(i), configmap(i), service(i) } do
    local text = "---\n" .. yaml.encode(doc)
    fy:write(text)
    size = size + #text
    items[#items + 1] = doc
  end
end
fy:close()
local fj = assert(io.open(out .. ".json", "w"))
fj:write(json.encode({ apiVersion = "v1", kind = "List", items = items }))
fj:close()
print(string.format("%d documents, %.1f MB of YAML", #items, size / 1e6))
