--- kdeploy.cmd.render: `kdeploy render CHART`, what `helm template` prints.
-- Values flags keep their kind; Helm applies them by kind (files, JSON,
-- --set, --set-string, --set-file, --set-literal) whatever their order.
local chart = require "kdeploy.chart"

local M = {
  summary = "render a chart's manifests as `helm template` does",
  usage = "kdeploy render CHART [--release R] [-n NS] [-f FILE]... [--set K=V]... "
    .. "[--kube-version V] [--api-versions G/V]... [--show-only PATH]... "
    .. "[--output-dir DIR] [--include-crds] [--no-hooks] [--skip-tests] [--is-upgrade]",
  flags = {
    { name = "release", arg = "NAME", help = "release name (default release-name)" },
    { name = "namespace", short = "n", arg = "NS", help = "namespace (default default)" },
    { name = "values", short = "f", arg = "FILE", multi = true, help = "values file (- for stdin), repeatable" },
    { name = "set", arg = "K=V", multi = true, help = "set values (typed: ints, bools, null)" },
    { name = "set-string", arg = "K=V", multi = true, help = "set string values" },
    { name = "set-file", arg = "K=PATH", multi = true, help = "set a value to a file's content" },
    { name = "set-json", arg = "K=JSON", multi = true, help = "set JSON values" },
    { name = "set-literal", arg = "K=V", multi = true, help = "set a literal string value" },
    { name = "kube-version", arg = "V", help = "Kubernetes version for .Capabilities" },
    { name = "api-versions", short = "a", arg = "G/V", multi = true, help = "extra API versions for .Capabilities" },
    { name = "show-only", short = "s", arg = "PATH", multi = true, help = "only print the manifests of these templates" },
    { name = "output-dir", arg = "DIR", help = "write the manifests under DIR instead of stdout" },
    { name = "include-crds", help = "include the crds/ files" },
    { name = "no-hooks", help = "leave out hooks" },
    { name = "skip-tests", help = "leave out test hooks" },
    { name = "skip-schema-validation", help = "do not validate values against values.schema.json" },
    { name = "is-upgrade", help = "set .Release.IsUpgrade instead of .Release.IsInstall" },
  },
}

local kinds = {
  { "values", "values" }, { "set", "set" }, { "set_string", "set_string" },
  { "set_file", "set_file" }, { "set_json", "set_json" }, { "set_literal", "set_literal" },
}

--- Builds the render options from parsed CLI flags.
function M.options(opts)
  local flags = {}
  for _, k in ipairs(kinds) do
    for _, v in ipairs(opts[k[1]] or {}) do flags[#flags + 1] = { k[2], v } end
  end
  return {
    release = opts.release or "release-name", namespace = opts.namespace or "default",
    flags = flags, kube_version = opts.kube_version, api_versions = opts.api_versions,
    show_only = opts.show_only, output_dir = opts.output_dir,
    include_crds = opts.include_crds, no_hooks = opts.no_hooks,
    skip_tests = opts.skip_tests, skip_schema_validation = opts.skip_schema_validation,
    is_upgrade = opts.is_upgrade,
    check = true,
  }
end

function M.run(opts, args)
  local cli = require "kdeploy.cli"
  if not args[1] then return cli.usage_error("render: missing CHART", "render") end
  if args[2] then return cli.usage_error("render: unexpected argument " .. args[2], "render") end
  local ok, res = pcall(function()
    local c <close> = chart.load(args[1])
    local o = M.options(opts)
    o.write_to = io.stdout   -- straight from C: no copy of a large render
    return c:template(o)
  end)
  if not ok then
    cli.err(tostring(res))
    return 1
  end
  return 0
end

return M
