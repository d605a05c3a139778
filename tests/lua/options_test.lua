-- tests/lua/options_test.lua: options tables of the core bindings
-- (kd_lua_optfield_*): string options take strings only, so a value the
-- binding keeps a pointer to is always one the table holds alive.
local t = require "t"
local core = require "kdeploy.core.kube"

t.test("a string option given a number is an error naming the option", function()
  t.raises(function() core.config({ service_port = 443 }) end,
    "option service_port: a string expected, got number")
  t.raises(function() core.config({ kubeconfig = {} }) end,
    "option kubeconfig: a string expected, got table")
end)

t.test("a string option given a string is read", function()
  local dir = os.tmpname()
  os.remove(dir)
  -- a kubeconfig path that does not exist: the error names the file it read
  t.raises(function() core.config({ kubeconfig = dir .. "/missing.yaml" }) end,
    "missing%.yaml")
end)

os.exit(t.done())
