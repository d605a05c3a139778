--- kdeploy.kube: Kubernetes API access for Lua flows.
-- `kube.connect{context=, kubeconfig=, namespace=}` returns a client; its
-- verbs (get, list, create, update, patch, apply, delete) take and return
-- objects as Lua tables. Every call waits through kdeploy.task: inside a
-- task it yields to the event loop, elsewhere it blocks, so flows read
-- sequentially and still run many requests at once when spread over tasks.
-- Failures raise kdeploy.error objects with `code` (HTTP status, 0 without
-- an answer), `reason`, `message`, `details`, `verb`, `object` and
-- `status` (the server's Status), printing as one line.
local core = require "kdeploy.core.kube"
local kcore = require "kdeploy.core"
local json = require "kdeploy.json"
local task = require "kdeploy.task"

local kube = {}

--- Settings used when a connect call does not say otherwise; `configure`
-- fills them from command-line flags.
kube.defaults = {
  kubeconfig = nil, context = nil, namespace = nil,
  qps = 2000, burst = 4000, timeout = 60, connect_timeout = 10, retries = 5,
  max_inflight = nil,         -- requests on the wire at once per client (nil:
                              -- 64 over https/HTTP2, 16 over plain http)
  field_manager = "kdeploy",
  discovery_ttl = 6 * 3600,   -- seconds, like kubectl's cache
  cache_dir = nil,            -- nil: $KDEPLOY_CACHE_DIR or ~/.cache/kdeploy
  page_size = 500,
}

--- Flags a command can offer to select the cluster (specs for kdeploy.flags).
kube.flags = require "kdeploy.kubeflags"

--- Applies parsed kube.flags values (opts.kubeconfig, opts.kube_context,
-- opts.namespace, opts.kube_qps, opts.kube_burst) to kube.defaults.
function kube.configure(opts)
  local d = kube.defaults
  d.kubeconfig = opts.kubeconfig or d.kubeconfig
  d.context = opts.kube_context or opts.context or d.context
  d.namespace = opts.namespace or d.namespace
  local function num(v, flag)
    if v == nil then return nil end
    local n = tonumber(v)
    if not n or n < 0 then error("--" .. flag .. ": not a number: " .. tostring(v), 0) end
    return n
  end
  d.qps = num(opts.kube_qps, "kube-qps") or d.qps
  d.burst = num(opts.kube_burst, "kube-burst") or d.burst
end

-- Errors ----------------------------------------------------------------------

--- Identity string of a reference or object: "Kind/namespace/name" (werf's
-- form), "Kind/name" when cluster-scoped or without namespace.
function kube.describe(ref)
  local md = ref.metadata or {}
  local name = ref.name or md.name or md.generateName or "?"
  local ns = ref.namespace or md.namespace
  if ns and ns ~= "" then return (ref.kind or "?") .. "/" .. ns .. "/" .. name end
  return (ref.kind or "?") .. "/" .. name
end

--- Builds the error object for a failed response `res` of request handle
-- results: `verb` and `object` say what was attempted.
function kube.error(res, verb, object, client)
  if type(object) == "table" then object = kube.describe(object) end
  local st = type(res.body) == "table" and res.body.kind == "Status" and res.body or nil
  local info = client and client._info or {}
  local where = object and (verb .. " " .. object) or verb
  return kcore.error({
    code = res.status or 0,
    reason = (st and st.reason) or res.reason or "Error",
    message = (res.status == 401 or res.status == 403 or res.status == 0)
      and res.message or (st and st.message) or res.message or "request failed",
    details = st and st.details, status = st,
    verb = verb, object = object, where = where,
    context = info.context, server = info.server, attempts = res.attempts,
  })
end

local function usage(msg) error("kube: " .. msg, 3) end

-- Connecting -----------------------------------------------------------------

local Client = {}
Client.__index = Client
kube.Client = Client

local configs, clients, cores = {}, {}, {}

--- The merged kubeconfig for `path` (nil: $KUBECONFIG / ~/.kube/config, or
-- the in-cluster service account), cached per path.
function kube.config(path)
  local key = path or ("$" .. (os.getenv("KUBECONFIG") or ""))
  local cfg = configs[key]
  if not cfg then
    cfg = core.config({
      kubeconfig = path, kubeconfig_env = os.getenv("KUBECONFIG"),
      home = os.getenv("HOME"),
      service_host = os.getenv("KUBERNETES_SERVICE_HOST"),
      service_port = os.getenv("KUBERNETES_SERVICE_PORT"),
      sa_dir = os.getenv("KDEPLOY_SERVICEACCOUNT_DIR"),
    })
    configs[key] = cfg
  end
  return cfg
end

--- Context names of the kubeconfig and the current one.
function kube.contexts(path)
  local cfg = kube.config(path)
  return cfg:contexts(), cfg:current()
end

--- A client for a cluster: opts {context=, kubeconfig=, namespace=, qps=,
-- burst=, timeout=, connect_timeout=, retries=, max_inflight=};
-- kube.defaults fill the rest. The same settings return the same client,
-- and clients that differ only in their namespace share one connection,
-- discovery and set of watches, unless opts.new is set.
function kube.connect(opts)
  opts = opts or {}
  if type(opts) ~= "table" then usage("connect: options must be a table") end
  local d = kube.defaults
  local o = {}
  for _, k in ipairs({ "kubeconfig", "context", "namespace", "qps", "burst",
    "timeout", "connect_timeout", "retries", "max_inflight" }) do
    if opts[k] ~= nil then o[k] = opts[k] else o[k] = d[k] end
  end
  local ckey = table.concat({ tostring(o.kubeconfig), tostring(o.context), o.qps, o.burst,
    o.timeout, o.connect_timeout, o.retries, tostring(o.max_inflight) }, "\0")
  local key = ckey .. "\0" .. tostring(o.namespace)
  if clients[key] and not opts.new then return clients[key] end
  local shared = not opts.new and cores[ckey]
  if not shared then
    local c = kube.config(o.kubeconfig):client(o.context, o.namespace, {
      qps = o.qps, burst = o.burst, timeout = o.timeout,
      connect_timeout = o.connect_timeout, retries = o.retries, max_inflight = o.max_inflight })
    shared = { c = c, map = {}, info = c:info() }
    if not opts.new then cores[ckey] = shared end
  end
  local info = {}
  for k, v in pairs(shared.info) do info[k] = v end
  if o.namespace then info.namespace = o.namespace end
  local self = setmetatable({ _c = shared.c, _s = shared, _info = info }, Client)
  self.context, self.namespace, self.server = info.context, info.namespace, info.server
  if not opts.new then clients[key] = self end
  return self
end

--- The client for kube.defaults (the command line's cluster), made once.
function kube.default() return kube.connect() end

function Client:__tostring()
  return string.format("kdeploy.kube.client (context %q, %s)", self.context, self.server)
end

--- Connection details: context, cluster, user, namespace, server, auth.
function Client:info() return self._info end

--- Closes the client's connection: its requests and watches end, for
-- every client object sharing it (those made for other namespaces).
function Client:close()
  for k, v in pairs(clients) do if v._s == self._s then clients[k] = nil end end
  for k, v in pairs(cores) do if v == self._s then cores[k] = nil end end
  self._c:close()
end

-- Requests -------------------------------------------------------------------

local function urlencode(s)
  s = tostring(s)
  if not s:find("[^%w%-%._~]") then return s end   -- names: nothing to escape
  return (s:gsub("[^%w%-%._~]", function(ch)
    return string.format("%%%02X", ch:byte())
  end))
end

--- Query string of table q (keys sorted; booleans as true/false).
function kube.query(q)
  if not q then return "" end
  local keys = {}
  for k, v in pairs(q) do if v ~= nil and v ~= false then keys[#keys + 1] = k end end
  if #keys == 0 then return "" end
  table.sort(keys)
  local out = {}
  for i, k in ipairs(keys) do out[i] = urlencode(k) .. "=" .. urlencode(q[k]) end
  return "?" .. table.concat(out, "&")
end

--- Sends a request and waits for it. req: {verb=, path=, query=, body=
-- (table: JSON-encoded; string: as is), content_type=, accept=, timeout=,
-- raw=true (body as string), what= (for errors), object=}. Returns the
-- decoded body (or text) and the response table; raises kube errors.
function Client:request(req)
  local body = req.body
  if type(body) == "table" then body = json.encode(body) end
  local verb = req.verb or "GET"
  local q = req.query
  local h = self._c:send(verb, q and (req.path .. kube.query(q)) or req.path, body,
    req.content_type, req.accept, req.timeout, not req.raw, req.idempotent)
  task.await(h)
  local res = h:result()
  if res.status < 200 or res.status >= 300 then
    if req.missing_ok and res.status == 404 then return nil, res end
    error(kube.error(res, req.what or verb, req.object or (verb and req.path), self), 2)
  end
  if req.raw then return res.raw or "", res end
  return res.body, res
end

--- Starts a request without waiting: returns the handle (task.await it,
-- then handle:result()). For fan-out in C without a task per request.
function Client:submit(req)
  local body = req.body
  if type(body) == "table" then body = json.encode(body) end
  return self._c:submit({
    verb = req.verb or "GET", path = req.path .. kube.query(req.query), body = body,
    content_type = req.content_type, accept = req.accept, timeout = req.timeout,
    decode = not req.raw, idempotent = req.idempotent,
  })
end

-- Discovery ------------------------------------------------------------------

local AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList," ..
  "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"

local function cache_dir()
  return kube.defaults.cache_dir or os.getenv("KDEPLOY_CACHE_DIR") or
    ((os.getenv("XDG_CACHE_HOME") or ((os.getenv("HOME") or "/tmp") .. "/.cache")) .. "/kdeploy")
end

local function is_aggregated(res)
  return (res.content_type or ""):find("APIGroupDiscoveryList", 1, true) ~= nil
end

-- Fetches discovery: aggregated when the server offers it, else /api/v1
-- and every /apis group version, in parallel.
local function fetch_discovery(self)
  local d = core.discovery()
  local core_h = self:submit({ path = "/api", accept = AGGREGATED, raw = true })
  local apis_h = self:submit({ path = "/apis", accept = AGGREGATED, raw = true })
  task.await(core_h)
  task.await(apis_h)
  local rc, ra = core_h:result(), apis_h:result()
  for _, r in ipairs({ rc, ra }) do
    if r.status ~= 200 then error(kube.error(r, "discover", "API resources", self), 0) end
  end
  if is_aggregated(rc) and is_aggregated(ra) then
    d:add(rc.raw)
    d:add(ra.raw)
    return d
  end
  d:add(ra.raw)                                  -- APIGroupList: preferred versions
  local paths = {}
  for _, v in ipairs(json.decode(rc.raw).versions or {}) do paths[#paths + 1] = "/api/" .. v end
  for _, g in ipairs(json.decode(ra.raw).groups or {}) do
    for _, v in ipairs(g.versions or {}) do paths[#paths + 1] = "/apis/" .. v.groupVersion end
  end
  local hs = {}
  for i, p in ipairs(paths) do hs[i] = self:submit({ path = p, raw = true }) end
  for i, h in ipairs(hs) do
    task.await(h)
    local r = h:result()
    -- an unavailable aggregated API (503) or a vanished group is skipped,
    -- as kubectl does; anything else is a real failure
    if r.status == 200 then d:add(r.raw)
    elseif r.status ~= 404 and r.status ~= 503 then
      error(kube.error(r, "discover", paths[i], self), 0)
    end
  end
  return d
end

--- The server's discovery mapping: from the disk cache when fresh, else
-- fetched (and cached). `force` refetches. Concurrent callers share one
-- fetch.
function Client:discover(force)
  local sh = self._s
  if sh.disco and not force then return sh.disco end
  if sh.disco_task then
    task.wait(sh.disco_task)
    if sh.disco then return sh.disco end
  end
  local file = core.discovery_cache_path(cache_dir(), self.server)
  if not force then
    local ok, d = pcall(core.discovery_load, file, kube.defaults.discovery_ttl)
    if ok and d then
      sh.disco = d
      return d
    end
  end
  sh.disco_task = task.spawn(fetch_discovery, self)
  local ok, d = pcall(task.wait, sh.disco_task)
  sh.disco_task = nil
  if not ok then error(d, 2) end
  sh.disco, sh.map = d, {}
  pcall(d.save, d, file)           -- a cache that cannot be written is no error
  return d
end

--- REST mapping of apiVersion + kind: {group, version, kind, resource,
-- namespaced, verbs, ...}. An unknown kind refreshes discovery once (a CRD
-- may just have been created) before raising a NotFound error.
function Client:resource(api_version, kind)
  if type(api_version) ~= "string" or type(kind) ~= "string" then
    usage("resource: apiVersion and kind must be strings")
  end
  local byv = self._s.map[api_version]
  local r = byv and byv[kind]
  if r then return r end
  r = self:discover():find(api_version, kind)
  if not r then r = self:discover(true):find(api_version, kind) end
  if not r then
    error(kcore.error({ code = 404, reason = "NotFound", verb = "map", object = kind,
      where = "map " .. api_version .. " " .. kind,
      message = string.format('the server %s has no kind %q in %q (is its CRD installed?)',
        self.server, kind, api_version),
      context = self.context, server = self.server }), 2)
  end
  byv = self._s.map[api_version]
  if not byv then
    byv = {}
    self._s.map[api_version] = byv
  end
  byv[kind] = r
  return r
end

--- A resource by kubectl-style name ("deploy", "configmaps", "cm").
function Client:lookup(name)
  local r = self:discover():lookup(name) or self:discover(true):lookup(name)
  if not r then
    error(kcore.error({ code = 404, reason = "NotFound", where = "lookup " .. name,
      message = "the server doesn't have a resource type " .. string.format("%q", name) }), 2)
  end
  return r
end

-- References and paths -------------------------------------------------------

--- Normalises a reference or object into {apiVersion, kind, name,
-- namespace}: objects give metadata.name/namespace.
function kube.ref(x)
  if type(x) ~= "table" then usage("a reference must be a table, got " .. type(x)) end
  local md = x.metadata
  if md == nil then
    return { apiVersion = x.apiVersion, kind = x.kind, name = x.name, namespace = x.namespace }
  end
  return { apiVersion = x.apiVersion, kind = x.kind, name = x.name or md.name,
    namespace = x.namespace or md.namespace }
end

-- Collection paths ("/apis/apps/v1/namespaces/NS/deployments") per
-- mapping table and namespace ("" for none): a mapping table is made once
-- per discovery (Client:resource keeps it), so weak keys let the paths of
-- a replaced one go.
local prefixes = setmetatable({}, { __mode = "k" })

local function prefix(r, ns)
  if not (r.namespaced and ns and ns ~= "") then ns = "" end
  local byns = prefixes[r]
  if not byns then
    byns = {}
    prefixes[r] = byns
  end
  local p = byns[ns]
  if p then return p end
  p = r.group == "" and ("/api/" .. r.version) or ("/apis/" .. r.group .. "/" .. r.version)
  if ns ~= "" then p = p .. "/namespaces/" .. urlencode(ns) end
  p = p .. "/" .. r.resource
  byns[ns] = p
  return p
end

local function rpath(r, ns, name, sub)
  local p = prefix(r, ns)
  if name then p = p .. "/" .. urlencode(name) end
  if sub then p = p .. "/" .. sub end
  return p
end

--- The API path of ref (an object or {apiVersion, kind, name, namespace}):
-- returns path, mapping, namespace used. `collection` leaves the name out.
function Client:path(ref, collection, sub)
  local path, m, ns = self:_path(kube.ref(ref), collection, sub)
  return path, m, ns
end

-- Client:path of a normalised reference R (kube.ref), whose namespace is
-- set to the one used.
function Client:_path(r, collection, sub)
  if not r.apiVersion or not r.kind then usage("the reference needs apiVersion and kind") end
  local m = self:resource(r.apiVersion, r.kind)
  local ns = nil
  if m.namespaced then
    ns = r.namespace
    if ns == nil then ns = self.namespace end
  end
  if not collection and not r.name then usage(kube.describe(r) .. ": name is required") end
  r.namespace = ns
  return rpath(m, ns, (not collection) and r.name or nil, sub), m, ns
end

-- Verbs -----------------------------------------------------------------------

-- The options of a verb called without any (read only: one table for all).
local NOOPTS = setmetatable({}, { __newindex = function() error("kube: options are read only", 2) end })

-- Client:path for a verb: a discovery failure (the cluster is unreachable,
-- TLS, 401...) is reported as a failure of the verb the caller attempted.
-- Returns path, mapping, namespace and the normalised reference.
local function locate(self, verb, ref, collection, sub)
  local r = kube.ref(ref)
  local ok, path, m, ns = pcall(self._path, self, r, collection, sub)
  if ok then return path, m, ns, r end
  local err = path
  if kcore.is_error(err) and err.verb == "discover" then
    local what = kube.describe(kube.ref(ref))
    if collection then what = ref.kind or what end
    err.verb, err.object = verb, what
    err.where = verb .. " " .. what
  end
  error(err, 0)
end

local function common_query(opts, q)
  q = q or {}
  if opts.dry_run then q.dryRun = "All" end
  if opts.field_manager then q.fieldManager = opts.field_manager end
  return q
end

-- The path of an object for get when its kind is mapped already (what
-- locate finds, without its tables and pcall: a get's hot path); nil when
-- locate has to do the work or raise. Returns the collection's path, the
-- namespace used and the name (not encoded: send appends it, encoded, to
-- the path without making a Lua string of the whole).
local function get_path(self, ref)
  if type(ref) ~= "table" then return nil end
  local byv = self._s.map[ref.apiVersion]
  local m = byv and byv[ref.kind]
  if not m then return nil end
  local name, ns, md = ref.name, ref.namespace, ref.metadata
  if md ~= nil then
    if type(md) ~= "table" then return nil end
    name, ns = name or md.name, ns or md.namespace
  end
  if not m.namespaced then ns = nil elseif ns == nil then ns = self.namespace end
  if type(name) ~= "string" or (ns ~= nil and type(ns) ~= "string") then return nil end
  local byns = prefixes[m]
  return byns and byns[ns or ""] or prefix(m, ns), ns, name
end

-- Client:get (MISSING_OK: find) without the request tables.
local function get(self, ref, opts, missing_ok)
  opts = opts or NOOPTS
  local sub, path, ns, name, r = opts.subresource, nil, nil, nil, nil
  if sub == nil then path, ns, name = get_path(self, ref) end
  if not path then path, _, _, r = locate(self, "get", ref, false, sub) end
  local h = self._c:send("GET", path, nil, nil, nil, opts.timeout, nil, nil, name)
  task.await(h)
  local ok, body = h:body()
  if ok then return body end
  local res = h:result()
  if missing_ok and res.status == 404 then return nil end
  if not r then               -- what locate would have made
    r = kube.ref(ref)
    r.namespace = ns
  end
  error(kube.error(res, "get", r, self), 3)
end

--- Gets an object; raises NotFound (code 404) when absent.
function Client:get(ref, opts) return (get(self, ref, opts, false)) end

--- Like get, but returns nil when the object does not exist.
function Client:find(ref, opts) return (get(self, ref, opts, true)) end

--- A function for chart:render{lookup=...}: Helm's template `lookup`
-- (apiVersion, kind, namespace, name) answered from this cluster. An empty
-- name lists (every namespace when namespace is ""), returning the List
-- object; an object that does not exist is nil (the template sees an empty
-- map, as in Helm); other failures raise and fail the template.
function Client:helm_lookup()
  return function(api_version, kind, namespace, name)
    local ref = { apiVersion = api_version, kind = kind, namespace = namespace }
    if name ~= "" then
      ref.name = name
      return self:find(ref)
    end
    local items, meta = self:list(ref)
    return { apiVersion = api_version, kind = kind .. "List", metadata = meta, items = items }
  end
end

--- A label or field selector as the API takes it: a string (or nil) as it
-- is, a table {key = value} as its `key=value` pairs, sorted, joined by
-- commas. kdeploy.watch takes selectors the same way.
function kube.selector(s)
  if type(s) ~= "table" then return s end
  local keys = {}
  for k in pairs(s) do keys[#keys + 1] = k end
  table.sort(keys)
  for i, k in ipairs(keys) do keys[i] = k .. "=" .. tostring(s[k]) end
  return table.concat(keys, ",")
end

--- Lists objects of ref's kind: ref {apiVersion, kind, namespace (nil: the
-- client's; "": all namespaces), labelSelector= (string or table),
-- fieldSelector=, limit= (page size)}. Follows every page; items get
-- apiVersion and kind set. Returns the items array and the list metadata.
function Client:list(ref)
  local path, m = locate(self, "list", ref, true)
  local items, cont, meta = kcore.array(), nil, nil
  local what = ref.kind .. ((m.namespaced and (ref.namespace or self.namespace) ~= "")
    and ("/" .. (ref.namespace or self.namespace)) or "")
  repeat
    local body = self:request({ path = path, what = "list", object = what, query = {
      labelSelector = kube.selector(ref.labelSelector),
      fieldSelector = kube.selector(ref.fieldSelector),
      limit = ref.limit or kube.defaults.page_size, continue = cont } })
    for _, it in ipairs(body.items or {}) do
      it.apiVersion, it.kind = m.apiVersion, m.kind
      items[#items + 1] = it
    end
    meta = body.metadata or {}
    cont = meta.continue
    if cont == "" then cont = nil end
  until not cont
  return items, meta
end

--- Creates obj. opts: dry_run, field_manager. Returns the created object.
function Client:create(obj, opts)
  opts = opts or NOOPTS
  local path, _, _, r = locate(self, "create", obj, true)
  return (self:request({ verb = "POST", path = path, body = obj, query = common_query(opts),
    what = "create", object = r, timeout = opts.timeout }))
end

--- Replaces obj (PUT; metadata.resourceVersion makes it conditional).
function Client:update(obj, opts)
  opts = opts or NOOPTS
  local path, _, _, r = locate(self, "update", obj, false, opts.subresource)
  return (self:request({ verb = "PUT", path = path, body = obj, query = common_query(opts),
    what = "update", object = r, timeout = opts.timeout }))
end

kube.patch_types = {
  merge = "application/merge-patch+json",
  json = "application/json-patch+json",
  strategic = "application/strategic-merge-patch+json",
  apply = "application/apply-patch+yaml",
}

--- Patches ref with `patch` (table or string). opts.type: "merge"
-- (default), "json", "strategic" or "apply"; dry_run, field_manager,
-- force (apply), subresource.
function Client:patch(ref, patch, opts)
  opts = opts or NOOPTS
  local ctype = kube.patch_types[opts.type or "merge"]
  if not ctype then usage("patch: unknown patch type " .. tostring(opts.type)) end
  local path, _, _, r = locate(self, opts.type == "apply" and "apply" or "patch", ref, false,
    opts.subresource)
  local q = common_query(opts)
  if opts.type == "apply" then
    q.fieldManager = q.fieldManager or kube.defaults.field_manager
    if opts.force then q.force = "true" end
  end
  return (self:request({ verb = "PATCH", path = path, body = patch, content_type = ctype,
    query = q, what = opts.type == "apply" and "apply" or "patch",
    object = r, timeout = opts.timeout }))
end

--- Server-side apply of obj: opts field_manager (default kube.defaults'),
-- force (take over conflicting fields), dry_run. Returns the live object.
function Client:apply(obj, opts)
  opts = opts or NOOPTS
  local o = { type = "apply", field_manager = opts.field_manager, force = opts.force,
    dry_run = opts.dry_run, timeout = opts.timeout, subresource = opts.subresource }
  return self:patch(obj, obj, o)
end

--- Deletes ref. opts: propagation ("Foreground", "Background", "Orphan"),
-- grace_period (seconds), dry_run, missing_ok (no error when absent).
-- Returns the server's answer (the object or a Status), nil when missing.
function Client:delete(ref, opts)
  opts = opts or NOOPTS
  local path, _, _, r = locate(self, "delete", ref, false)
  local body = { kind = "DeleteOptions", apiVersion = "v1",
    propagationPolicy = opts.propagation, gracePeriodSeconds = opts.grace_period }
  if opts.dry_run then body.dryRun = kcore.array({ "All" }) end
  return (self:request({ verb = "DELETE", path = path, body = body,
    query = { propagationPolicy = opts.propagation, gracePeriodSeconds = opts.grace_period,
      dryRun = opts.dry_run and "All" or nil },
    what = "delete", object = r, missing_ok = opts.missing_ok,
    timeout = opts.timeout }))
end

--- Server version info (/version).
function Client:version()
  return (self:request({ path = "/version", what = "get", object = "server version" }))
end

-- Watches and logs live in kdeploy.watch; these forward to it. ------------------

--- Shared watch of a kind (see kdeploy.watch.watch).
function Client:watch(opts) return require("kdeploy.watch").watch(self, opts) end
--- Pod log stream (see kdeploy.watch.logs).
function Client:logs(opts) return require("kdeploy.watch").logs(self, opts) end
--- kube.watch{...} on opts.client or the default client.
function kube.watch(opts) return (opts.client or kube.default()):watch(opts) end
--- kube.logs{pod=, ...} on opts.client or the default client.
function kube.logs(opts) return (opts.client or kube.default()):logs(opts) end

return kube
