--- kdeploy.flags: command-line flag parsing shared by every subcommand.
-- A flag spec is {name, short=, arg=<metavar or nil>, multi=bool,
-- help=, default=}. `flags.parse(specs, argv, i)` returns opts, positional
-- args, or nil + an error message naming the flag.
local flags = {}

local function find(specs, name, short)
  for _, s in ipairs(specs) do
    if (name and s.name == name) or (short and s.short == short) then
      return s
    end
  end
end

local function key(spec) return (spec.name:gsub("-", "_")) end

local function store(opts, spec, value)
  local k = key(spec)
  if spec.multi then
    opts[k] = opts[k] or {}
    table.insert(opts[k], value)
  else
    opts[k] = value
  end
end

--- Parses argv[first..] against specs. Flags may come before or after
-- positional args; "--" ends flags. With `stop_at_positional` the first
-- positional arg and everything after it are returned unparsed (for
-- `kdeploy run script.lua --script-flags`).
function flags.parse(specs, argv, first, stop_at_positional)
  local opts, args = {}, {}
  for _, s in ipairs(specs) do
    if s.default ~= nil then opts[key(s)] = s.default end
  end
  local i = first or 1
  while i <= #argv do
    local a = argv[i]
    if a == "--" then
      table.move(argv, i + 1, #argv, #args + 1, args)
      break
    end
    local name, value = a:match("^%-%-([^=]+)=(.*)$")
    name = name or a:match("^%-%-(.+)$")
    local short = not name and a:match("^%-(%a)$")
    if name or short then
      local spec = find(specs, name, short)
      if not spec then return nil, "unknown flag: " .. a end
      if spec.arg then
        if value == nil then
          i = i + 1
          value = argv[i]
          if value == nil then
            return nil, "flag " .. a .. " needs a value (" .. spec.arg .. ")"
          end
        end
        store(opts, spec, value)
      else
        if value ~= nil and value ~= "true" and value ~= "false" then
          return nil, "flag --" .. spec.name .. " takes no value"
        end
        store(opts, spec, value ~= "false")
      end
    elseif stop_at_positional then
      table.move(argv, i, #argv, #args + 1, args)
      break
    else
      table.insert(args, a)
    end
    i = i + 1
  end
  return opts, args
end

--- One help line per flag, aligned.
function flags.help(specs)
  local lines, width = {}, 0
  local left = {}
  for i, s in ipairs(specs) do
    left[i] = (s.short and ("-" .. s.short .. ", ") or "    ") .. "--" .. s.name
      .. (s.arg and (" " .. s.arg) or "")
    width = math.max(width, #left[i])
  end
  for i, s in ipairs(specs) do
    lines[#lines + 1] = string.format("  %-" .. width .. "s  %s", left[i],
      s.help or "")
  end
  return table.concat(lines, "\n")
end

return flags
