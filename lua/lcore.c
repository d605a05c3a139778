/* lua/lcore.c: kdeploy.core, the small C helpers the stdlib builds on:
 * null, array marking, error objects, atomic file writes, call. */
#include "kdeploy_lua.h"

#include <stdlib.h>
#include <string.h>

/* core.array([t]) -> t marked as an array (a new empty one without t). */
static int l_array(lua_State *L)
{
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  luaL_setmetatable(L, KD_ARRAY_MT);
  return 1;
}

/* core.is_array(v) -> true when v is a table marked as an array. */
static int l_is_array(lua_State *L)
{
  int r = 0;
  if (lua_type(L, 1) == LUA_TTABLE && lua_getmetatable(L, 1)) {
    luaL_getmetatable(L, KD_ARRAY_MT);
    r = lua_rawequal(L, -1, -2);
  }
  lua_pushboolean(L, r);
  return 1;
}

/* core.error(t) -> t with the kdeploy.error metatable (tostring = message). */
static int l_error(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  luaL_setmetatable(L, KD_ERROR_MT);
  return 1;
}

/* core.is_error(v) -> true for kdeploy.error objects. */
static int l_is_error(lua_State *L)
{
  int r = 0;
  if (lua_type(L, 1) == LUA_TTABLE && lua_getmetatable(L, 1)) {
    luaL_getmetatable(L, KD_ERROR_MT);
    r = lua_rawequal(L, -1, -2);
  }
  lua_pushboolean(L, r);
  return 1;
}

/* core.read_file(path) -> data; raises kdeploy.error naming the path. */
static int l_read_file(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  kd_error err = {0};
  size_t len;
  char *data = kd_read_file(path, &len, &err);
  if (!data) return kd_lua_raise(L, &err);
  lua_pushlstring(L, data, len);   /* raises only on OOM */
  free(data);
  return 1;
}

/* core.write_file(path, data): atomic (temp file + rename). */
static int l_write_file(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  size_t len;
  const char *data = luaL_checklstring(L, 2, &len);
  kd_error err = {0};
  if (kd_write_file(path, data, len, &err) != KD_OK) return kd_lua_raise(L, &err);
  return 0;
}

static int call_done(lua_State *L, int status, lua_KContext ctx)
{
  (void)status;
  (void)ctx;
  return lua_gettop(L);
}

/* core.call(fn, ...) -> fn(...): a call that may yield, from C, so that
 * fn's caller is no Lua function: a task's worker (kdeploy.task) runs the
 * task's function through it, and error(msg, 2) there adds no position,
 * as when the function is a coroutine's body. */
static int l_call(lua_State *L)
{
  luaL_checkany(L, 1);
  lua_callk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, call_done);
  return lua_gettop(L);
}

int luaopen_kdeploy_core(lua_State *L)
{
  static const luaL_Reg fns[] = {
    {"array", l_array},         {"is_array", l_is_array},
    {"error", l_error},         {"is_error", l_is_error},
    {"read_file", l_read_file}, {"write_file", l_write_file},
    {"call", l_call},
    {NULL, NULL}};
  kd_lua_init(L);
  luaL_newlib(L, fns);
  kd_lua_pushnull(L);
  lua_setfield(L, -2, "null");
  if (lua_getfield(L, LUA_REGISTRYINDEX, KD_PATH_KEY) != LUA_TTABLE) {
    lua_pop(L, 1);                 /* not started by main: no overrides */
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, KD_PATH_KEY);
  }
  lua_setfield(L, -2, "path");    /* the searcher's dirs, shared */
  return 1;
}
