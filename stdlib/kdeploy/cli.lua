--- kdeploy.cli: the command-line dispatcher.
-- `cli.commands` maps a command name to {summary, usage, flags, run} or to
-- {summary, module} (loaded on first use; the module returns the command).
-- Adding a subcommand is adding an entry. `run(opts, args)` returns an exit
-- code (nil = 0) or raises. Exit codes: 0 ok, 1 failure, 2 usage error.
local flags = require "kdeploy.flags"
local kdeploy = require "kdeploy"
local core = require "kdeploy.core"

local cli = {}

cli.global_flags = {
  { name = "lua-path", arg = "DIR", multi = true,
    help = "look for Lua modules in DIR before the stdlib (repeatable)" },
  { name = "help", short = "h", help = "show help" },
}

cli.commands = {}

--- Writes to stderr: the one place CLI errors leave through.
function cli.err(msg) io.stderr:write("kdeploy: ", msg, "\n") end

--- Loads a lazily declared command; returns the command table.
function cli.resolve(name)
  local c = cli.commands[name]
  if c and c.module and not c.run then
    local m = require(c.module)
    for k, v in pairs(m) do if c[k] == nil then c[k] = v end end
  end
  return c
end

local function all_flags(cmd)
  local specs = {}
  for _, s in ipairs(cmd.flags or {}) do specs[#specs + 1] = s end
  for _, s in ipairs(cli.global_flags) do specs[#specs + 1] = s end
  return specs
end

function cli.usage()
  local names, width = {}, 0
  for name in pairs(cli.commands) do
    names[#names + 1] = name
    width = math.max(width, #name)
  end
  table.sort(names)
  local lines = {
    "kdeploy: deploy Helm charts to Kubernetes, with a deploy flow in Lua.",
    "", "Usage: kdeploy [--lua-path DIR] <command> [flags] [args]", "",
    "Commands:",
  }
  for _, name in ipairs(names) do
    lines[#lines + 1] = string.format("  %-" .. width .. "s  %s", name,
      cli.commands[name].summary or "")
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = 'Run "kdeploy help <command>" for a command\'s flags.'
  return table.concat(lines, "\n")
end

function cli.command_help(name)
  local cmd = cli.resolve(name)
  local out = { "Usage: " .. (cmd.usage or ("kdeploy " .. name)), "",
    cmd.summary or "" }
  if cmd.description then out[#out + 1] = "\n" .. cmd.description end
  out[#out + 1] = "\nFlags:\n" .. flags.help(all_flags(cmd))
  return table.concat(out, "\n")
end

--- Prints a one-line error and the usage; returns exit code 2.
function cli.usage_error(msg, name)
  cli.err(msg)
  local text = name and cli.commands[name] and
    ("Usage: " .. (cli.resolve(name).usage or ("kdeploy " .. name)))
    or cli.usage()
  io.stderr:write(text, "\n")
  return 2
end

local function add_lua_paths(opts)
  for _, dir in ipairs(opts.lua_path or {}) do
    table.insert(core.path, 1, dir)
  end
end

--- Entry point: argv without the program name. Returns the exit code.
function cli.main(argv)
  local gopts, rest = flags.parse(cli.global_flags, argv, 1, true)
  if not gopts then return cli.usage_error(rest) end
  local name = rest[1]
  if name == nil then
    io.stdout:write(cli.usage(), "\n")
    return gopts.help and 0 or 2
  end
  if not cli.commands[name] then
    return cli.usage_error("unknown command: " .. name)
  end
  local cmd = cli.resolve(name)
  local opts, args = flags.parse(all_flags(cmd), rest, 2, cmd.stop_at_positional)
  if not opts then return cli.usage_error(args, name) end
  if opts.help then
    io.stdout:write(cli.command_help(name), "\n")
    return 0
  end
  add_lua_paths(opts)
  local code = cmd.run(opts, args)
  if code == true or code == nil then return 0 end
  return math.tointeger(code) or 1
end

-- Built-in commands -------------------------------------------------------

cli.commands.render = { summary = "render a chart's manifests as `helm template` does", module = "kdeploy.cmd.render" }

cli.commands.version = {
  summary = "print the kdeploy version",
  usage = "kdeploy version",
  run = function()
    print(string.format("kdeploy %s (%s)", kdeploy.version, _VERSION))
  end,
}

cli.commands.help = {
  summary = "show help for kdeploy or one command",
  usage = "kdeploy help [command]",
  run = function(_, args)
    if args[1] == nil then
      print(cli.usage())
    elseif cli.commands[args[1]] then
      print(cli.command_help(args[1]))
    else
      return cli.usage_error("unknown command: " .. args[1])
    end
  end,
}

cli.commands.run = {
  summary = "run a Lua script with every kdeploy module available",
  usage = "kdeploy run [--kube-context NAME] [-n NS] SCRIPT.lua [args...]",
  description = "The script gets its arguments as `...` and in `arg`\n" ..
    "(arg[0] is the script). A number it returns is the exit code.",
  stop_at_positional = true,
  flags = require "kdeploy.kubeflags",
  run = function(opts, args)
    if opts.kubeconfig or opts.kube_context or opts.namespace or opts.kube_qps or opts.kube_burst then
      require("kdeploy.kube").configure(opts)
    end
    local script = args[1]
    if not script then return cli.usage_error("run: missing SCRIPT", "run") end
    local chunk, err = loadfile(script, "t")
    if not chunk then error(err, 0) end
    local sargs = table.move(args, 2, #args, 1, {})
    _G.arg = table.move(sargs, 1, #sargs, 1, { [0] = script, [-1] = "kdeploy" })
    local code = chunk(table.unpack(sargs))
    return math.type(code) == "integer" and code or 0
  end,
}

cli.commands.sim = { summary = "run a simulated Kubernetes API server on 127.0.0.1", module = "kdeploy.cmd.sim" }

return cli
