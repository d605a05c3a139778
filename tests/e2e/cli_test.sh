# tests/e2e/cli_test.sh: the kdeploy binary's command line.
. tests/e2e/lib.sh

run "$KDEPLOY" version
expect version 0 '^kdeploy [0-9]+\.[0-9]+\.[0-9]+'

run "$KDEPLOY" help
expect help 0 'Commands:'

run "$KDEPLOY" help run
expect help_command 0 'Usage: kdeploy run'

run "$KDEPLOY" frobnicate
expect unknown_command 2 '' '^kdeploy: unknown command: frobnicate'

run "$KDEPLOY" version --frob
expect unknown_flag 2 '' 'unknown flag: --frob'

# a usage error is one error line, then the usage
usage_shape() {
  first=$(printf '%s\n' "$ERR" | head -1)
  if [ "$RC" = 2 ] && printf '%s' "$first" | grep -qE "^kdeploy: $2" &&
     printf '%s\n' "$ERR" | tail -n +2 | grep -q "$3"; then
    pass "$1"
  else
    fail "$1" "rc $RC; stderr: $(printf '%s' "$ERR" | head -3)"
  fi
}
run "$KDEPLOY" frobnicate
usage_shape unknown_command_prints_usage 'unknown command: frobnicate$' 'Usage: kdeploy'
run "$KDEPLOY" run --frob x.lua
usage_shape unknown_flag_prints_command_usage 'unknown flag: --frob$' 'Usage: kdeploy run'
run "$KDEPLOY" --frob version
usage_shape unknown_global_flag 'unknown flag: --frob$' 'Usage: kdeploy'
run "$KDEPLOY" help frobnicate
usage_shape help_unknown_command 'unknown command: frobnicate$' 'Usage: kdeploy'
run "$KDEPLOY" run
usage_shape run_without_script 'run: missing SCRIPT$' 'Usage: kdeploy run'

cat > "$TMP/args.lua" <<'LUA'
local a, b = ...
print(arg[0]:match("args.lua$") and "script" or "?", a, b, #arg)
return 7
LUA
run "$KDEPLOY" run "$TMP/args.lua" one --two
expect run_args_and_exit_code 7 '^script	one	--two	2$'

printf 'local x = 1\nerror("boom")\n' > "$TMP/boom.lua"
run "$KDEPLOY" run "$TMP/boom.lua"
expect run_error_names_file_and_line 1 '' 'boom.lua:2: boom'

printf 'local x = \n' > "$TMP/syntax.lua"
run "$KDEPLOY" run "$TMP/syntax.lua"
expect run_syntax_error 1 '' 'syntax.lua:2:'

run "$KDEPLOY" run "$TMP/missing.lua"
expect run_missing_file 1 '' 'missing.lua'

printf 'local t = {}\nlocal x = t.a.b\n' > "$TMP/index.lua"
run "$KDEPLOY" run "$TMP/index.lua"
expect run_runtime_error_names_line 1 '' "index.lua:2: attempt to index a nil value"

printf 'error({reason = "Boom", message = "custom failure"})\n' > "$TMP/obj.lua"
run "$KDEPLOY" run "$TMP/obj.lua"
expect run_error_object_message 1 '' '^kdeploy: custom failure$'

# KDEPLOY_PATH and --lua-path shadow stdlib modules.
mkdir -p "$TMP/over/kdeploy"
printf 'return { version = "9.9.9-shadow", null = require("kdeploy.core").null }\n' \
  > "$TMP/over/kdeploy/init.lua"
printf 'print(require("kdeploy").version)\n' > "$TMP/v.lua"
KDEPLOY_PATH="$TMP/over" run "$KDEPLOY" run "$TMP/v.lua"
expect kdeploy_path_shadows_stdlib 0 '^9\.9\.9-shadow$'
run "$KDEPLOY" --lua-path "$TMP/over" run "$TMP/v.lua"
expect lua_path_flag_shadows_stdlib 0 '^9\.9\.9-shadow$'

finish
