--- kdeploy.watch: shared watches and pod log streams.
-- `watch.watch(client, {apiVersion=, kind=, namespace=, labelSelector=,
-- fieldSelector=})` subscribes to the one server watch the client keeps
-- for that (resource, namespace, selectors): every subscriber gets ADDED
-- for the objects already there, SYNCED once the initial list is complete,
-- then ADDED / MODIFIED / DELETED as they happen, each once and in order.
-- `watch.logs(client, {pod=, container=, follow=true, ...})` streams a pod's
-- log lines, reconnecting after a dropped connection without repeating a
-- line. Both wait through kdeploy.task (yield in a task, block elsewhere).
local core = require "kdeploy.core.watch"
local kcore = require "kdeploy.core"
local task = require "kdeploy.task"
local selector = require("kdeploy.kube").selector

local watch = {}

local Sub = {}
Sub.__index = Sub
watch.Subscription = Sub

--- Subscribes to the shared watch of opts.kind in opts.apiVersion on
-- `client` (a kdeploy.kube client). opts.namespace: nil for the client's,
-- "" for all namespaces; labelSelector/fieldSelector: string or table;
-- timeout_seconds: per server request (default 5-10 minutes, then it is
-- resumed). Returns a subscription.
function watch.watch(client, opts)
  if type(opts) ~= "table" or not opts.apiVersion or not opts.kind then
    error("watch: needs {apiVersion=, kind=}", 2)
  end
  local path, m, ns = client:path({ apiVersion = opts.apiVersion, kind = opts.kind,
    namespace = opts.namespace }, true)
  local s = core.subscribe(client._c, {
    path = path, label_selector = selector(opts.labelSelector),
    field_selector = selector(opts.fieldSelector), api_version = m.apiVersion,
    kind = m.kind, timeout_seconds = opts.timeout_seconds, page_size = opts.page_size,
  })
  local what = m.kind .. ((ns and ns ~= "") and ("/" .. ns) or "")
  return setmetatable({ _s = s, client = client, kind = m.kind,
    apiVersion = m.apiVersion, namespace = ns, what = what }, Sub)
end

function Sub:id() return self._s:id() end
function Sub:ready() return self._s:ready() end

local function core_is_timeout(err)
  return kcore.is_error(err) and err.reason == "Timeout"
end

local function raise_event(self, ev)
  local e = ev.error or {}
  error(kcore.error({ code = e.code, reason = (ev.object and ev.object.reason) or
    e.reason or "WatchFailed", message = e.message or "the watch stopped",
    status = ev.object, verb = "watch", object = self.what,
    where = "watch " .. self.what }), 3)
end

--- The next event {type=, object=}, waiting for it at most `timeout`
-- seconds (nil: no limit); nil when the timeout passes first (so a loop
-- can poll). A watch that stopped for good (401, 403, the client
-- closed...) raises its error.
function Sub:next(timeout)
  local ev = self._s:next()
  if not ev then
    local ok, err = pcall(task.await, self._s, timeout)
    if not ok then
      if timeout and core_is_timeout(err) then return nil end
      error(err, 2)
    end
    ev = self._s:next()
  end
  if ev and ev.type == "ERROR" then raise_event(self, ev) end
  return ev
end

--- Iterator over events: `for ev in sub:events() do ... end`; with
-- `timeout`, the loop ends after that many seconds without an event.
function Sub:events(timeout)
  return function() return self:next(timeout) end
end

--- Waits for the first event for which pred(ev) is true and returns it;
-- `timeout` bounds the whole wait (a Timeout error).
function Sub:wait(pred, timeout)
  local now = require("kdeploy.core.loop").now
  local deadline = timeout and now() + timeout
  while true do
    local ev = self:next(deadline and math.max(0, deadline - now()))
    if not ev then
      error(kcore.error({ reason = "Timeout", verb = "watch", object = self.what,
        where = "watch " .. self.what, message = string.format(
          "no matching event within %gs", timeout) }), 2)
    end
    if pred(ev) then return ev end
  end
end

--- True once SYNCED was read from this subscription.
function Sub:synced() return self._s:synced() end
--- The current objects as the shared cache knows them (array).
function Sub:objects() return self._s:objects() end
--- The cached object `name` (in `namespace`, nil: the watch's), or nil.
function Sub:get(name, namespace)
  return self._s:get(namespace or self.namespace or "", name)
end
--- Counters: lists and watch requests made, events pending, streams open.
function Sub:stats() return self._s:stats() end
--- Ends the subscription; the server watch stops with its last subscriber.
function Sub:close() self._s:close() end

--- Server watch connections the client has open.
function watch.streams(client) return core.streams(client._c) end

-- Logs ----------------------------------------------------------------------

local Log = {}
Log.__index = Log
watch.Log = Log

local function query(t)
  local keys, out = {}, {}
  for k, v in pairs(t) do if v ~= nil then keys[#keys + 1] = k end end
  table.sort(keys)
  for i, k in ipairs(keys) do
    out[i] = k .. "=" .. tostring(t[k]):gsub("[^%w%-%._~]", function(ch)
      return string.format("%%%02X", ch:byte())
    end)
  end
  return #out > 0 and table.concat(out, "&") or nil
end

--- Whether a follow stream that ended (status "ended" or "failed", err)
-- should be opened again: the pod still exists and the container has not
-- terminated. Overridable.
function watch.log_should_reconnect(log, status, err)
  if err and (err.code == 404 or err.code == 401 or err.code == 403) then return false end
  local pod = log.client:find({ apiVersion = "v1", kind = "Pod", name = log.pod,
    namespace = log.namespace })
  if not pod or pod.metadata.deletionTimestamp then return false end
  local phase = pod.status and pod.status.phase
  if phase == "Succeeded" or phase == "Failed" then return false end
  for _, cs in ipairs(pod.status and pod.status.containerStatuses or {}) do
    if (log.container == nil or cs.name == log.container) and cs.state and
       cs.state.terminated and not cs.state.running then
      return false
    end
  end
  return true
end

--- Streams the log of opts.pod: opts {namespace=, container=, follow=true,
-- since= (seconds), since_time= (RFC 3339), tail= (lines), previous=,
-- callback=fn(line, ts)}. Without a callback, read it with log:next() or
-- `for line, ts in log:lines() do`. With one, a task calls it for every
-- line (log.task; wait for it to know the stream ended).
function watch.logs(client, opts)
  if type(opts) ~= "table" or type(opts.pod) ~= "string" then
    error("logs: needs {pod=}", 2)
  end
  local follow = opts.follow ~= false
  local path, _, ns = client:path({ apiVersion = "v1", kind = "Pod", name = opts.pod,
    namespace = opts.namespace }, false, "log")
  local g = core.logs(client._c, path,
    query({ container = opts.container, previous = opts.previous and "true" or nil }),
    query({ sinceSeconds = opts.since, sinceTime = opts.since_time, tailLines = opts.tail }),
    follow)
  local self = setmetatable({ _g = g, client = client, pod = opts.pod, namespace = ns,
    container = opts.container, follow = follow, reconnects = 0,
    what = "Pod/" .. ns .. "/" .. opts.pod .. (opts.container and ("[" .. opts.container .. "]") or "") },
    Log)
  if opts.callback then
    local cb = opts.callback
    self.task = task.spawn(function()
      for line, ts in self:lines() do cb(line, ts) end
    end)
  end
  return self
end

function Log:id() return self._g:id() end
function Log:ready() return self._g:ready() end

--- The next line and its timestamp; nil at the end of the log. Waits at
-- most `timeout` seconds for a line (a Timeout error). A follow stream
-- that breaks is reopened where it stopped, while the container runs.
function Log:next(timeout)
  while true do
    if self.closed then return nil end
    local ts, text = self._g:next()
    if ts then return text, ts end
    local st, err = self._g:status()
    if st == "running" then
      task.await(self._g, timeout)
    elseif self.follow and not self.closed and
           watch.log_should_reconnect(self, st, err) then
      self.reconnects = self.reconnects + 1
      task.sleep(math.min(0.2 * self.reconnects, 2))
      self._g:reconnect()
    elseif st == "failed" and err and err.code ~= 404 then
      err.where = "logs " .. self.what
      err.verb, err.object = "logs", self.what
      error(err, 2)
    else
      return nil
    end
  end
end

--- Iterator over (line, timestamp) until the log ends.
function Log:lines(timeout)
  return function() return self:next(timeout) end
end

--- Stops the stream.
function Log:close()
  self.closed = true
  self._g:close()
end

return watch
