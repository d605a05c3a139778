/* lua/lvalue.c: kd_value <-> Lua conversion, kdeploy.null, the array
 * metatable, kdeploy.error objects and options-table fields, shared by
 * every binding. */
#include "kdeploy_lua.h"

#include <string.h>

#define MAX_DEPTH 1000

static int null_tostring(lua_State *L)
{
  lua_pushliteral(L, "null");
  return 1;
}

static int box_gc(lua_State *L)
{
  kd_value *v = luaL_checkudata(L, 1, KD_BOX_MT);
  kd_value_clear(v);
  return 0;
}

static int bufbox_gc(lua_State *L)
{
  kd_buf_free(luaL_checkudata(L, 1, KD_BUFBOX_MT));
  return 0;
}

static int error_tostring(lua_State *L)
{
  lua_getfield(L, 1, "message");
  if (!lua_isstring(L, -1)) {
    lua_pop(L, 1);
    lua_getfield(L, 1, "reason");
  }
  if (!lua_isstring(L, -1)) lua_pushliteral(L, "error");
  /* `where` (what was attempted, e.g. "create ConfigMap/web/app") prefixes
   * the message: one readable line. */
  if (lua_getfield(L, 1, "where") == LUA_TSTRING) {
    lua_pushfstring(L, "%s: %s", lua_tostring(L, -1), lua_tostring(L, -2));
    return 1;
  }
  lua_pop(L, 1);
  return 1;
}

void kd_lua_init(lua_State *L)
{
  if (lua_getfield(L, LUA_REGISTRYINDEX, KD_NULL_KEY) != LUA_TNIL) {
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  lua_newuserdatauv(L, 0, 0);                 /* the null sentinel */
  lua_createtable(L, 0, 3);
  lua_pushcfunction(L, null_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushliteral(L, "kdeploy.null");
  lua_setfield(L, -2, "__name");
  lua_setmetatable(L, -2);
  lua_setfield(L, LUA_REGISTRYINDEX, KD_NULL_KEY);

  luaL_newmetatable(L, KD_ARRAY_MT);          /* __name set by luaL */
  lua_pop(L, 1);

  luaL_newmetatable(L, KD_ERROR_MT);
  lua_pushcfunction(L, error_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);

  luaL_newmetatable(L, KD_BOX_MT);
  lua_pushcfunction(L, box_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);

  luaL_newmetatable(L, KD_BUFBOX_MT);
  lua_pushcfunction(L, bufbox_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
}

void kd_lua_pushnull(lua_State *L)
{
  lua_getfield(L, LUA_REGISTRYINDEX, KD_NULL_KEY);
}

int kd_lua_isnull(lua_State *L, int idx)
{
  int r;
  if (lua_type(L, idx) != LUA_TUSERDATA) return 0;
  idx = lua_absindex(L, idx);
  kd_lua_pushnull(L);
  r = lua_rawequal(L, idx, -1);
  lua_pop(L, 1);
  return r;
}

kd_value *kd_lua_newbox(lua_State *L)
{
  kd_value *v = lua_newuserdatauv(L, sizeof *v, 0);
  kd_value_null(v);
  luaL_setmetatable(L, KD_BOX_MT);
  return v;
}

kd_buf *kd_lua_newbuf(lua_State *L)
{
  kd_buf *b = lua_newuserdatauv(L, sizeof *b, 0);
  memset(b, 0, sizeof *b);
  luaL_setmetatable(L, KD_BUFBOX_MT);
  return b;
}

/* ---- Lua -> kd_value ---------------------------------------------------- */

static void tovalue(lua_State *L, int idx, kd_value *out, int depth);

static void oom(lua_State *L) { luaL_error(L, "out of memory"); }

static int is_array_mt(lua_State *L, int idx)
{
  int r;
  if (!lua_getmetatable(L, idx)) return 0;
  luaL_getmetatable(L, KD_ARRAY_MT);
  r = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return r;
}

/* A table is an array when marked, or when its keys are exactly 1..n. */
static int array_length(lua_State *L, int idx, lua_Integer *n)
{
  lua_Integer count = 0, max = 0;
  if (is_array_mt(L, idx)) {
    *n = (lua_Integer)luaL_len(L, idx);
    return 1;
  }
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1) {
      lua_pop(L, 1);
      return 0;
    }
    count++;
    if (lua_tointeger(L, -1) > max) max = lua_tointeger(L, -1);
  }
  *n = count;
  return count > 0 && max == count;
}

static void table_tovalue(lua_State *L, int idx, kd_value *out, int depth)
{
  lua_Integer i, n;
  if (depth > MAX_DEPTH)
    luaL_error(L, "value nested too deeply (a cycle?)");
  luaL_checkstack(L, 4, "value nested too deeply");
  if (array_length(L, idx, &n)) {
    kd_value_arr(out);
    for (i = 1; i <= n; i++) {
      kd_value *slot = kd_arr_push(out);
      if (!slot) oom(L);
      lua_geti(L, idx, i);
      tovalue(L, lua_gettop(L), slot, depth + 1);
      lua_pop(L, 1);
    }
    return;
  }
  kd_value_obj(out);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    size_t klen;
    const char *k;
    kd_value *slot;
    if (lua_type(L, -2) == LUA_TSTRING) {
      k = lua_tolstring(L, -2, &klen);
      slot = kd_obj_add(out, k, klen);
    } else if (lua_type(L, -2) == LUA_TNUMBER) {
      lua_pushvalue(L, -2);       /* tolstring on a copy: lua_next needs the key */
      k = lua_tolstring(L, -1, &klen);
      slot = kd_obj_add(out, k, klen);
      lua_pop(L, 1);
    } else {
      luaL_error(L, "object key must be a string, got %s",
                 luaL_typename(L, -2));
      return;
    }
    if (!slot) oom(L);
    tovalue(L, lua_gettop(L), slot, depth + 1);
    lua_pop(L, 1);
  }
}

static void tovalue(lua_State *L, int idx, kd_value *out, int depth)
{
  switch (lua_type(L, idx)) {
  case LUA_TNIL: kd_value_null(out); return;
  case LUA_TBOOLEAN: kd_value_bool(out, lua_toboolean(L, idx)); return;
  case LUA_TNUMBER:
    if (lua_isinteger(L, idx)) kd_value_int(out, lua_tointeger(L, idx));
    else kd_value_float(out, lua_tonumber(L, idx));
    return;
  case LUA_TSTRING: {
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    if (kd_value_str(out, s, len)) oom(L);
    return;
  }
  case LUA_TTABLE: table_tovalue(L, idx, out, depth); return;
  case LUA_TUSERDATA:
    if (kd_lua_isnull(L, idx)) { kd_value_null(out); return; }
    /* fall through */
  default:
    luaL_error(L, "cannot encode a %s value", luaL_typename(L, idx));
  }
}

kd_value *kd_lua_tovalue(lua_State *L, int idx)
{
  kd_value *v;
  idx = lua_absindex(L, idx);
  v = kd_lua_newbox(L);
  tovalue(L, idx, v, 0);
  return v;
}

/* ---- kd_value -> Lua ---------------------------------------------------- */

void kd_lua_pushvalue(lua_State *L, const kd_value *v)
{
  size_t i;
  switch (v->type) {
  case KD_NULL: kd_lua_pushnull(L); return;
  case KD_BOOL: lua_pushboolean(L, v->u.b); return;
  case KD_INT: lua_pushinteger(L, (lua_Integer)v->u.i); return;
  case KD_FLOAT: lua_pushnumber(L, v->u.f); return;
  case KD_STR: lua_pushlstring(L, v->u.str.s, v->u.str.len); return;
  case KD_ARR:
    luaL_checkstack(L, 3, "value nested too deeply");
    lua_createtable(L, (int)v->u.arr.len, 0);
    for (i = 0; i < v->u.arr.len; i++) {
      kd_lua_pushvalue(L, &v->u.arr.items[i]);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    luaL_setmetatable(L, KD_ARRAY_MT);
    return;
  case KD_OBJ:
    luaL_checkstack(L, 3, "value nested too deeply");
    lua_createtable(L, 0, (int)v->u.obj.len);
    for (i = 0; i < v->u.obj.len; i++) {
      lua_pushlstring(L, v->u.obj.m[i].key, v->u.obj.m[i].klen);
      kd_lua_pushvalue(L, &v->u.obj.m[i].val);
      lua_rawset(L, -3);
    }
    return;
  }
}

/* ---- errors ------------------------------------------------------------- */

static const char *reason_of(int code)
{
  switch (code) {
  case KD_ENOMEM: return "OutOfMemory";
  case KD_EINVAL: return "BadArgument";
  case KD_EPARSE: return "ParseError";
  case KD_EIO: return "IOError";
  case KD_ENOTFOUND: return "NotFound";
  case KD_ETYPE: return "TypeError";
  case KD_ERANGE: return "OutOfRange";
  case KD_EHTTP: return "HTTPError";
  case KD_ETIMEOUT: return "Timeout";
  case KD_EEXEC: return "ExecError";
  default: return "Error";
  }
}

void kd_lua_pusherror(lua_State *L, const kd_error *err)
{
  lua_createtable(L, 0, 5);
  lua_pushinteger(L, err->http_status);
  lua_setfield(L, -2, "code");
  lua_pushstring(L, reason_of(err->code));
  lua_setfield(L, -2, "reason");
  lua_pushstring(L, err->msg[0] ? err->msg : kd_strerror(err->code));
  lua_setfield(L, -2, "message");
  if (err->line > 0) {
    lua_pushinteger(L, err->line);
    lua_setfield(L, -2, "line");
    lua_pushinteger(L, err->col);
    lua_setfield(L, -2, "col");
  }
  luaL_setmetatable(L, KD_ERROR_MT);
}

int kd_lua_raise(lua_State *L, const kd_error *err)
{
  kd_lua_pusherror(L, err);
  return lua_error(L);
}

int kd_lua_encoded(lua_State *L, int rc, kd_buf *out, const kd_error *err)
{
  if (rc != KD_OK) {
    kd_buf_free(out);
    return kd_lua_raise(L, err);
  }
  lua_pushlstring(L, out->data ? out->data : "", out->len);
  kd_buf_free(out);   /* had pushlstring raised, the box's __gc would */
  return 1;
}

/* ---- options tables ------------------------------------------------------ */

/* Each leaves the stack as it found it (see kdeploy_lua.h). Strings
 * only: a number converted here would live on the popped slot alone, and
 * could be collected before the caller is done with it. */
const char *kd_lua_optfield_str(lua_State *L, int t, const char *k)
{
  const char *s = NULL;
  switch (lua_getfield(L, t, k)) {
  case LUA_TNIL: break;
  case LUA_TSTRING: s = lua_tostring(L, -1); break;   /* the table keeps it */
  default:
    luaL_error(L, "option %s: a string expected, got %s", k, luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  return s;
}

lua_Integer kd_lua_optfield_int(lua_State *L, int t, const char *k, lua_Integer dflt)
{
  lua_Integer v = lua_getfield(L, t, k) == LUA_TNIL ? dflt : luaL_checkinteger(L, -1);
  lua_pop(L, 1);
  return v;
}

lua_Number kd_lua_optfield_num(lua_State *L, int t, const char *k, lua_Number dflt)
{
  lua_Number v = lua_getfield(L, t, k) == LUA_TNIL ? dflt : luaL_checknumber(L, -1);
  lua_pop(L, 1);
  return v;
}
