--- examples/deploy.lua: a small deploy flow on kdeploy's Lua modules, the
-- one `make demo` runs against kdeploy sim:
--
--   kdeploy run [--kubeconfig FILE] examples/deploy.lua CHART RELEASE NAMESPACE
--
-- It renders CHART, creates NAMESPACE when it is missing, applies every
-- manifest at once with server-side apply, then follows each Deployment
-- until it is ready, printing its pods' log lines as they arrive. This is
-- not the stock `kdeploy converge` (no release record, hooks or cleanup):
-- it shows how little a flow of your own needs.
local kdeploy = require "kdeploy"
local chart = require "kdeploy.chart"
local kube = require "kdeploy.kube"
local task = require "kdeploy.task"
local yaml = require "kdeploy.yaml"

local TIMEOUT = 60   -- seconds for every Deployment to become ready

local chart_path, release, namespace = ...
if not (chart_path and release and namespace) then
  io.stderr:write("usage: kdeploy run examples/deploy.lua CHART RELEASE NAMESPACE\n")
  return 2
end

local function id(obj)
  return string.format("%s/%s/%s", obj.kind, obj.metadata.namespace or "",
    obj.metadata.name)
end

--- Renders the chart; returns the manifests as tables, in Helm's order.
local function render()
  local result = chart.load(chart_path):render{ release = release,
    namespace = namespace }
  local objects = {}
  for _, m in ipairs(result.manifests) do
    objects[#objects + 1] = yaml.decode(m.content, m.source)
  end
  return objects, result.notes
end

local function ensure_namespace(c)
  local ref = { apiVersion = "v1", kind = "Namespace", name = namespace }
  if not c:find(ref) then
    c:create{ apiVersion = "v1", kind = "Namespace",
      metadata = { name = namespace } }
    print("created Namespace/" .. namespace)
  end
end

--- Applies every object concurrently (one task each).
local function apply_all(c, objects)
  local tasks = {}
  for i, obj in ipairs(objects) do
    tasks[i] = kdeploy.spawn(function()
      local live = c:apply(obj, { field_manager = "kdeploy-demo", force = true })
      print("applied " .. id(live))
    end)
  end
  task.wait_all(tasks)
end

local function deployment_ready(d)
  local st, want = d.status or {}, d.spec.replicas or 1
  return (st.observedGeneration or 0) >= d.metadata.generation
    and (st.updatedReplicas or 0) == want
    and (st.availableReplicas or 0) == want
    and (st.replicas or 0) == want
end

local function selector_string(labels)
  local parts = {}
  for k, v in pairs(labels) do parts[#parts + 1] = k .. "=" .. v end
  table.sort(parts)
  return table.concat(parts, ",")
end

--- Prints pod NAME's log lines as they arrive, until `done()` and no line
-- came for a moment (werf prints logs until the resource is ready).
local function print_log(c, name, done)
  local log = c:logs{ pod = name, namespace = namespace, follow = true }
  while true do
    local ok, line = pcall(log.next, log, 0.3)
    if ok and line == nil then break end               -- the log ended
    if ok then
      print(string.format("  %s | %s", name, line))
    elseif kdeploy.is_error(line) and line.reason == "Timeout" then
      if done() then break end                         -- quiet and ready
    else
      error(line, 0)
    end
  end
  log:close()
end

--- Prints the logs of every pod of deployment D that runs before `done()`.
local function follow_logs(c, d, done)
  local pods = c:watch{ apiVersion = "v1", kind = "Pod", namespace = namespace,
    labelSelector = selector_string(d.spec.selector.matchLabels) }
  local following, tasks = {}, {}
  while true do
    local ev = pods:next(0.2)
    -- leave only once ready and every queued pod event has been seen, so a
    -- pod that started just before the deployment became ready is followed
    if not ev and done() then break end
    local pod = ev and ev.object
    if pod and pod.metadata and not following[pod.metadata.name]
        and pod.status and pod.status.phase == "Running" then
      following[pod.metadata.name] = true
      tasks[#tasks + 1] = kdeploy.spawn(print_log, c, pod.metadata.name, done)
    end
  end
  pods:close()
  task.wait_all(tasks)
end

--- Waits until deployment D is ready, printing progress and pod logs.
local function track(c, d)
  local sub = c:watch{ apiVersion = "apps/v1", kind = "Deployment",
    namespace = namespace, fieldSelector = "metadata.name=" .. d.metadata.name }
  local ready = false
  local logs = kdeploy.spawn(follow_logs, c, d, function() return ready end)
  local ev = sub:wait(function(e)
    local o = e.object
    if o and o.status then
      print(string.format("%s: %d/%d ready", id(o), o.status.readyReplicas or 0,
        o.spec.replicas or 1))
    end
    return o and o.status and deployment_ready(o)
  end, TIMEOUT)
  ready = true
  sub:close()
  kdeploy.wait(logs)
  print(id(ev.object) .. " is ready")
end

local c = kube.connect{ namespace = namespace }
local objects, notes = render()
print(string.format("rendered %d manifests from %s", #objects, chart_path))
ensure_namespace(c)
apply_all(c, objects)
local trackers = {}
for _, obj in ipairs(objects) do
  if obj.kind == "Deployment" then
    trackers[#trackers + 1] = kdeploy.spawn(track, c, obj)
  end
end
task.wait_all(trackers)
if notes then io.write("\n", notes, "\n") end
return 0
