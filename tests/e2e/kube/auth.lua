-- tests/e2e/kube/auth.lua DIR: every kind of credentials and TLS setting
-- against `kdeploy sim --tls`. DIR holds the sim's kubeconfig (kubeconfig),
-- and from it ca.pem, cert.pem, key.pem, token and server (written by
-- tests/e2e/kube_test.sh).
local t = require "t"
local kube = require "kdeploy.kube"
local kdeploy = require "kdeploy"
local core = require "kdeploy.core"

local dir = assert(arg[1], "usage: auth.lua DIR")
local function read(name) return (core.read_file(dir .. "/" .. name):gsub("%s+$", "")) end
local server, token = read("server"), read("token")
local n = 0

-- A kubeconfig with one context "c": CLUSTER and USER are YAML mappings
-- (flow style) for the cluster and user entries. Returns a fresh client.
local function client(cluster, user, opts)
  n = n + 1
  local file = string.format("%s/kc%d.yaml", dir, n)
  core.write_file(file, string.format(
    "current-context: c\nclusters:\n- name: k\n  cluster: %s\ncontexts:\n- name: c\n" ..
    "  context: {cluster: k, user: u, namespace: default}\nusers:\n- name: u\n  user: %s\n",
    cluster, user))
  local o = { kubeconfig = file, new = true, timeout = 10 }
  for k, v in pairs(opts or {}) do o[k] = v end
  return kube.connect(o)
end

local CA = string.format("{server: '%s', certificate-authority: ca.pem}", server)
local function ns_list(c) return c:list({ apiVersion = "v1", kind = "Namespace" }) end

t.test("token and client certificate users of the sim's own kubeconfig", function()
  local c = kube.connect({ kubeconfig = dir .. "/kubeconfig", new = true })
  t.eq(c:info().auth, "token", "token user")
  t.ok(#ns_list(c) > 0, "token works")
  local cc = kube.connect({ kubeconfig = dir .. "/kubeconfig", context = "kdeploy-sim-cert", new = true })
  t.eq(cc:info().auth, "client certificate", "cert user")
  t.ok(#ns_list(cc) > 0, "client certificate (data) works")
end)

t.test("certificate files relative to the kubeconfig; CA file", function()
  local c = client(CA, "{client-certificate: cert.pem, client-key: key.pem}")
  t.ok(#ns_list(c) > 0, "client certificate files")
end)

t.test("TLS: unknown CA fails in one line; insecure-skip-tls-verify; tls-server-name", function()
  local c = client(string.format("{server: '%s'}", server), "{token: " .. token .. "}")
  local err = t.raises(function() ns_list(c) end)
  t.eq(err.reason, "TLSError", "reason")
  t.eq(err.code, 0, "no HTTP answer")
  local line = tostring(err)
  t.ok(line:find("context \"c\"", 1, true) and line:find(server, 1, true), line)
  t.ok(line:find("^list Namespace"), line)
  t.ok(not line:find("\n"), "one line")
  local insecure = client(string.format("{server: '%s', insecure-skip-tls-verify: true}", server),
    "{token: " .. token .. "}")
  t.ok(#ns_list(insecure) > 0, "insecure-skip-tls-verify")
  local named = client(string.format("{server: '%s', certificate-authority: ca.pem, " ..
    "tls-server-name: localhost}", server), "{token: " .. token .. "}")
  t.ok(#ns_list(named) > 0, "tls-server-name in the certificate")
  local wrong = client(string.format("{server: '%s', certificate-authority: ca.pem, " ..
    "tls-server-name: wrong.example}", server), "{token: " .. token .. "}")
  err = t.raises(function() ns_list(wrong) end)
  t.eq(err.reason, "TLSError", "a name not in the certificate")
end)

t.test("401 names the context, server, user and kind of credentials", function()
  local c = client(CA, "{token: not-the-token}")
  local err = t.raises(function() ns_list(c) end)
  t.eq(err.code, 401, "code")
  t.eq(err.reason, "Unauthorized", "reason")
  local line = tostring(err)
  t.ok(line:find('context "c"', 1, true) and line:find(server, 1, true) and
    line:find('user "u" (token)', 1, true), line)
  local basic = client(CA, "{username: admin, password: secret}")
  err = t.raises(function() ns_list(basic) end)
  t.eq(err.code, 401, "basic auth is sent (and refused by the sim)")
  t.ok(tostring(err):find("(basic auth)", 1, true), tostring(err))
end)

t.test("tokenFile is re-read when it changes", function()
  local f = dir .. "/token-file"
  core.write_file(f, "wrong\n")
  local c = client(CA, "{tokenFile: token-file}")
  t.eq(c:info().auth, "token file", "auth kind")
  local err = t.raises(function() ns_list(c) end)
  t.eq(err.code, 401, "wrong token from the file")
  kdeploy.sleep(0.01)          -- a new mtime
  core.write_file(f, token .. "\n")
  t.ok(#ns_list(c) > 0, "the new token is used")
end)

t.test("a token file with a line break inside is refused, not sent", function()
  local f = dir .. "/token-file-crlf"
  core.write_file(f, token .. "\r\nX-Injected: 1\n")
  local c = client(CA, "{tokenFile: token-file-crlf}")
  local err = t.raises(function() ns_list(c) end)
  t.ok(tostring(err):find("holds a control character", 1, true), tostring(err))
  t.ok(not tostring(err):find(token, 1, true), "the token is not printed")
end)

-- Exec plugins: a script printing an ExecCredential; it counts its runs.
local function plugin(name, body)
  local path = dir .. "/" .. name
  os.remove(path .. ".runs")
  core.write_file(path, "#!/bin/sh\necho run >> \"$0.runs\"\n" .. body)
  os.execute("chmod +x '" .. path .. "'")
  return path
end
local function runs(path)
  local f = io.open(path .. ".runs")
  if not f then return 0 end
  local k = 0
  for _ in f:lines() do k = k + 1 end
  f:close()
  return k
end

t.test("exec plugin v1: env and args, no shell, cached until it expires", function()
  local p = plugin("exec-v1.sh", [[
case "$KUBERNETES_EXEC_INFO" in *'"interactive":false'*) ;; *) exit 9;; esac
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s%s"}}' "$1" "$SECRET_TAIL"
]])
  local head, tail = token:sub(1, 10), token:sub(11)
  local c = client(CA, string.format("{exec: {apiVersion: client.authentication.k8s.io/v1, " ..
    "command: ./exec-v1.sh, args: ['%s'], env: [{name: SECRET_TAIL, value: '%s'}], " ..
    "interactiveMode: Never}}", head, tail))
  t.eq(c:info().auth, "exec plugin", "auth kind")
  t.ok(#ns_list(c) > 0, "first request")
  ns_list(c)
  t.eq(runs(p), 1, "ran once: no expiry means cached")
  local q = plugin("exec-expired.sh", string.format([[
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"2001-01-01T00:00:00Z"}}'
]], token))
  local e = client(CA, "{exec: {apiVersion: client.authentication.k8s.io/v1, " ..
    "command: ./exec-expired.sh, interactiveMode: IfAvailable}}")
  ns_list(e)
  ns_list(e)
  t.ok(runs(q) >= 2, "expired credentials are fetched again: " .. runs(q))
end)

t.test("exec plugin v1beta1 with a client certificate", function()
  local cert = read("cert.pem"):gsub("\n", "\\n")
  local key = read("key.pem"):gsub("\n", "\\n")
  plugin("exec-cert.sh", string.format([[
printf '%%s' '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"clientCertificateData":"%s\n","clientKeyData":"%s\n"}}'
]], cert, key))
  local c = client(CA, "{exec: {apiVersion: client.authentication.k8s.io/v1beta1, " ..
    "command: ./exec-cert.sh}}")
  t.ok(#ns_list(c) > 0, "client certificate from the plugin")
end)

t.test("a rejected exec token is fetched again once, then the 401 stands", function()
  local p = plugin("exec-bad.sh", [[
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"bad"}}'
]])
  local c = client(CA, "{exec: {apiVersion: client.authentication.k8s.io/v1, " ..
    "command: ./exec-bad.sh, interactiveMode: Never}}")
  local err = t.raises(function() ns_list(c) end)
  t.eq(err.code, 401, "401")
  t.eq(runs(p), 2, "fresh credentials tried once")
  t.ok(tostring(err):find("(exec plugin)", 1, true), tostring(err))
end)

t.test("a slow exec plugin does not block the loop; concurrent calls share one run", function()
  -- The plugin waits for a file that another task writes: if running it
  -- blocked the loop, that task could never run and the plugin gives up.
  local p = plugin("exec-slow.sh", string.format([[
i=0
while [ ! -f "$0.go" ]; do i=$((i + 1)); [ $i -gt 200 ] && exit 3; sleep 0.05; done
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"2099-01-01T00:00:00Z"}}'
]], token))
  os.remove(p .. ".go")
  local c = client(CA, "{exec: {apiVersion: client.authentication.k8s.io/v1, " ..
    "command: ./exec-slow.sh, interactiveMode: Never}}")
  local ticks, listed = 0, {}
  local ts = {}
  for i = 1, 5 do ts[i] = kdeploy.spawn(function() listed[i] = #ns_list(c) end) end
  ts[6] = kdeploy.spawn(function()
    kdeploy.sleep(0.1)
    ticks = ticks + 1
    core.write_file(p .. ".go", "")
  end)
  require("kdeploy.task").wait_all(ts, { timeout = 20 })
  os.remove(p .. ".go")
  t.eq(ticks, 1, "the other task ran while the plugin waited for it")
  for i = 1, 5 do t.ok((listed[i] or 0) > 0, "call " .. i .. " listed") end
  t.eq(runs(p), 1, "one plugin run for five concurrent calls")
  ns_list(c)
  t.eq(runs(p), 1, "cached: expirationTimestamp is far away")
end)

for _, version in ipairs({ "v1", "v1beta1" }) do
  t.test("exec plugin " .. version .. ": token cached until its expirationTimestamp", function()
    local name = "exec-expiring-" .. version .. ".sh"
    local p = plugin(name, string.format([[
exp=$(date -u -d @$(( $(date +%%s) + 2 )) +%%Y-%%m-%%dT%%H:%%M:%%SZ)
printf '{"apiVersion":"client.authentication.k8s.io/%s","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"%%s"}}' "$exp"
]], version, token))
    local c = client(CA, string.format("{exec: {apiVersion: client.authentication.k8s.io/%s, " ..
      "command: ./%s, interactiveMode: Never}}", version, name))
    ns_list(c)
    ns_list(c)
    t.eq(runs(p), 1, "one run while the token is valid")
    kdeploy.sleep(3)
    ns_list(c)
    t.eq(runs(p), 2, "run again once it expired")
    ns_list(c)
    t.eq(runs(p), 2, "the new token is cached in turn")
  end)
end
t.test("exec plugin failures are clear errors", function()
  plugin("exec-fail.sh", "echo 'plugin says no' >&2\nexit 4\n")
  local c = client(CA, "{exec: {apiVersion: client.authentication.k8s.io/v1, " ..
    "command: ./exec-fail.sh, interactiveMode: Never}}")
  t.raises(function() ns_list(c) end, "failed with exit code 4")
  local missing = client(CA, "{exec: {apiVersion: client.authentication.k8s.io/v1, " ..
    "command: kdeploy-no-such-plugin, interactiveMode: Never, installHint: 'install it from x'}}")
  t.raises(function() ns_list(missing) end, "install it from x")
end)

t.test("unreachable cluster and proxy: one line within the timeout", function()
  local c = client("{server: 'https://127.0.0.1:1'}", "{token: x}", { timeout = 3 })
  local err = t.raises(function() ns_list(c) end)
  t.eq(err.reason, "Unreachable", "reason")
  local line = tostring(err)
  t.ok(line:find("cannot connect to server https://127.0.0.1:1", 1, true) and
    line:find('context "c"', 1, true), line)
  local px = client(string.format("{server: '%s', certificate-authority: ca.pem, " ..
    "proxy-url: 'http://127.0.0.1:1'}", server), "{token: " .. token .. "}")
  err = t.raises(function() ns_list(px) end)
  t.ok(tostring(err):find("proxy http://127.0.0.1:1", 1, true), tostring(err))
end)

os.exit(t.done())
