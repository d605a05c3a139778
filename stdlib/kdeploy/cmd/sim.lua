--- kdeploy.cmd.sim: `kdeploy sim`, a simulated Kubernetes API server on
-- 127.0.0.1 (engine/sim). Writes a kubeconfig with context kdeploy-sim,
-- runs until SIGINT/SIGTERM, saves --state on exit and reports counters.
local core = require "kdeploy.core"
local simcore = require "kdeploy.core.sim"

local M = {}

M.summary = "run a simulated Kubernetes API server on 127.0.0.1"
M.usage = "kdeploy sim [--port N] [--kubeconfig FILE] [--nodes 3] [--tls] " ..
  "[--state FILE] [fault flags]"
M.description = [[
Serves the Kubernetes REST API from memory (kubectl and helm work against
it). Without --kubeconfig the kubeconfig is printed on stdout; with it, it
is written to FILE and its path printed. --port 0 picks a free port.
Fault flags inject errors for reliability tests; each injected fault is
counted and reported on stderr at exit.]]

M.flags = {
  { name = "port", arg = "N", help = "port on 127.0.0.1 (default 0: a free one)" },
  { name = "kubeconfig", arg = "FILE", help = "write the kubeconfig to FILE" },
  { name = "nodes", arg = "N", default = "3", help = "simulated nodes (default 3)" },
  { name = "tls", help = "serve HTTPS with a generated CA; adds a client-certificate user" },
  { name = "state", arg = "FILE", help = "load objects from FILE at start, save them at exit" },
  { name = "token", arg = "T", help = "bearer token to accept (default: random)" },
  { name = "watch-cache", arg = "N", help = "events kept for watch resumption (default 50000); older resourceVersions get 410" },
  { name = "fault-500", arg = "RATE", help = "answer this fraction of API requests with 500" },
  { name = "fault-429", arg = "RATE", help = "answer this fraction with 429 + Retry-After" },
  { name = "fault-latency", arg = "MS", help = "delay every response by MS milliseconds" },
  { name = "fault-watch-drop", arg = "S", help = "drop every watch connection after S seconds" },
  { name = "fault-watch-410", help = "answer every watch resume (with a resourceVersion) 410 Expired" },
}

local function number_flag(opts, name, lo, hi, integer)
  local v = opts[name:gsub("-", "_")]
  if v == nil then return nil end
  local n = tonumber(v)
  if not n or n < lo or n > hi or (integer and math.type(n) ~= "integer" and n ~= math.floor(n)) then
    return nil, string.format("--%s: %q is not a number in %s..%s", name, v, lo, hi)
  end
  return integer and math.tointeger(n) or n
end

--- Turns parsed flags into sim.start options; returns opts or nil, error.
function M.options(opts)
  local o, err = {}, nil
  local specs = {
    { "port", "port", 0, 65535, true }, { "nodes", "nodes", 0, 1000, true },
    { "fault-500", "fault_500", 0, 1 }, { "fault-429", "fault_429", 0, 1 },
    { "fault-latency", "latency_ms", 0, 600000, true },
    { "fault-watch-drop", "watch_drop_s", 0, 86400, true },
    { "watch-cache", "watch_cache", 1, 10000000, true },
  }
  for _, s in ipairs(specs) do
    o[s[2]], err = number_flag(opts, s[1], s[3], s[4], s[5])
    if err then return nil, err end
  end
  o.tls = opts.tls or false
  o.watch_410 = opts.fault_watch_410 or false
  o.state = opts.state
  o.token = opts.token
  return o
end

function M.run(opts)
  local cli = require "kdeploy.cli"
  local o, err = M.options(opts)
  if not o then return cli.usage_error(err, "sim") end
  local s = simcore.start(o)
  local kc = s:kubeconfig()
  if opts.kubeconfig then
    core.write_file(opts.kubeconfig, kc)
    io.stdout:write("kubeconfig: ", opts.kubeconfig, " (context kdeploy-sim)\n")
  else
    io.stdout:write(kc)
  end
  io.stdout:flush()
  io.stderr:write(string.format("kdeploy sim: serving %s://127.0.0.1:%d (pid %s)\n",
    o.tls and "https" or "http", s:port(), M.pid()))
  s:run()
  if o.state then s:save() end
  io.stderr:write("kdeploy sim: stopped\n", s:report())
  s:close()
  return 0
end

--- The process id (for the start-up line), or "?".
function M.pid()
  local f = io.open("/proc/self/stat")
  if not f then return "?" end
  local line = f:read("l") or ""
  f:close()
  return line:match("^(%d+)") or "?"
end

return M
