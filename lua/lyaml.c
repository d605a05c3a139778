/* lua/lyaml.c: kdeploy.yaml, YAML codec over engine/yaml. */
#include "kdeploy_lua.h"
#include "yaml.h"

typedef int (*decode_fn)(const char *, size_t, const char *, kd_value *,
                         kd_error *);

static int decode_with(lua_State *L, decode_fn fn)
{
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  const char *source = luaL_optstring(L, 2, "<yaml>");
  kd_error err = {0};
  kd_value *v = kd_lua_newbox(L);
  if (fn(s, len, source, v, &err) != KD_OK) return kd_lua_raise(L, &err);
  kd_lua_pushvalue(L, v);
  kd_value_clear(v);
  return 1;
}

/* yaml.decode(text [, source]) -> value of the one document (nil-like
 * kdeploy.null when empty); raises on several documents or bad YAML. */
static int l_decode(lua_State *L) { return decode_with(L, yaml_decode); }

/* yaml.decode_all(text [, source]) -> array of every document. */
static int l_decode_all(lua_State *L) { return decode_with(L, yaml_decode_stream); }

/* yaml.encode(value) -> string, exactly as Helm's toYaml prints value
 * (plus the final newline toYaml trims). Raises kdeploy.error when go-yaml
 * would refuse the value (NaN/Inf, control characters). */
static int l_encode(lua_State *L)
{
  kd_error err = {0};
  kd_buf *out;
  kd_value *v;
  int rc;
  luaL_checkany(L, 1);
  lua_settop(L, 1);
  out = kd_lua_newbuf(L);
  v = kd_lua_tovalue(L, 1);
  rc = yaml_encode(v, out, &err);
  kd_value_clear(v);
  return kd_lua_encoded(L, rc, out, &err);
}

int luaopen_kdeploy_yaml(lua_State *L)
{
  static const luaL_Reg fns[] = {{"decode", l_decode},
                                 {"decode_all", l_decode_all},
                                 {"encode", l_encode},
                                 {NULL, NULL}};
  kd_lua_init(L);
  luaL_newlib(L, fns);
  kd_lua_pushnull(L);
  lua_setfield(L, -2, "null");
  return 1;
}
