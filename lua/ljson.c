/* lua/ljson.c: kdeploy.json, JSON codec over engine/json. */
#include "kdeploy_lua.h"
#include "json.h"

/* json.decode(text [, source]) -> value; raises kdeploy.error with
 * "source:line:col: what" on malformed input. */
static int l_decode(lua_State *L)
{
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  const char *source = luaL_optstring(L, 2, "<json>");
  kd_error err = {0};
  kd_value *v = kd_lua_newbox(L);
  if (json_decode(s, len, source, v, &err) != KD_OK) return kd_lua_raise(L, &err);
  kd_lua_pushvalue(L, v);
  kd_value_clear(v);
  return 1;
}

static int flag(lua_State *L, int opts, const char *name, int dflt)
{
  int r;
  if (lua_type(L, opts) != LUA_TTABLE) return dflt;
  lua_getfield(L, opts, name);
  r = lua_isnil(L, -1) ? dflt : lua_toboolean(L, -1);
  lua_pop(L, 1);
  return r;
}

/* json.encode(value [, {pretty=false, sort_keys=true, escape_html=false}])
 * -> string. Keys are sorted by default so output is deterministic. */
static int l_encode(lua_State *L)
{
  kd_error err = {0};
  kd_buf out = {0};
  kd_value *v;
  int flags = 0, rc;
  if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TTABLE);
  if (flag(L, 2, "pretty", 0)) flags |= JSON_PRETTY;
  if (flag(L, 2, "sort_keys", 1)) flags |= JSON_SORT_KEYS;
  if (flag(L, 2, "escape_html", 0)) flags |= JSON_ESCAPE_HTML;
  lua_settop(L, 1);
  v = kd_lua_tovalue(L, 1);
  rc = json_encode(v, flags, &out, &err);
  kd_value_clear(v);
  if (rc != KD_OK) {
    kd_buf_free(&out);
    return kd_lua_raise(L, &err);
  }
  lua_pushlstring(L, out.data ? out.data : "", out.len);
  kd_buf_free(&out);   /* pushlstring may raise only on OOM: a tiny leak risk */
  return 1;
}

int luaopen_kdeploy_json(lua_State *L)
{
  static const luaL_Reg fns[] = {{"decode", l_decode}, {"encode", l_encode},
                                 {NULL, NULL}};
  kd_lua_init(L);
  luaL_newlib(L, fns);
  kd_lua_pushnull(L);
  lua_setfield(L, -2, "null");
  return 1;
}
