/* lua/ljson.c: kdeploy.json, JSON codec over engine/json. */
#include "kdeploy_lua.h"
#include "json.h"

#include <string.h>

#define SCRATCH_MT "kdeploy.json.scratch"

/* ---- decoding straight into Lua -------------------------------------------
 * Values are pushed on the Lua stack as they are parsed; a container is a
 * placeholder followed by its pending members, which become a table sized
 * exactly when the container ends (or every CHUNK members, so that a huge
 * array does not need a huge stack). */

#define CHUNK 1024

typedef struct {
  lua_State *L;
  int null_idx, array_mt;    /* absolute stack indexes */
} jbuild;

static int room(lua_State *L) { return lua_checkstack(L, 4) ? KD_OK : KD_ERANGE; }

static int b_null(void *ud)
{
  jbuild *b = ud;
  if (room(b->L)) return KD_ERANGE;
  lua_pushvalue(b->L, b->null_idx);
  return KD_OK;
}

static int b_bool(void *ud, int v)
{
  jbuild *b = ud;
  if (room(b->L)) return KD_ERANGE;
  lua_pushboolean(b->L, v);
  return KD_OK;
}

static int b_int(void *ud, int64_t v)
{
  jbuild *b = ud;
  if (room(b->L)) return KD_ERANGE;
  lua_pushinteger(b->L, (lua_Integer)v);
  return KD_OK;
}

static int b_num(void *ud, double v)
{
  jbuild *b = ud;
  if (room(b->L)) return KD_ERANGE;
  lua_pushnumber(b->L, v);
  return KD_OK;
}

static int b_str(void *ud, const char *s, size_t len)
{
  jbuild *b = ud;
  if (room(b->L)) return KD_ERANGE;
  lua_pushlstring(b->L, s, len);
  return KD_OK;
}

static int b_begin(void *ud, int array)
{
  jbuild *b = ud;
  (void)array;
  if (room(b->L)) return KD_ERANGE;
  lua_pushboolean(b->L, 0);   /* placeholder for the table */
  return KD_OK;
}

/* Moves the PENDING members on top of the stack into the container's table
 * (made now, sized for them, if the placeholder is still there); DONE
 * members were moved before. */
static void flush(lua_State *L, int array, size_t pending, size_t done)
{
  int t = lua_gettop(L) - (int)(array ? pending : 2 * pending);
  size_t i;
  if (lua_type(L, t) != LUA_TTABLE) {
    lua_createtable(L, array ? (int)pending : 0, array ? 0 : (int)pending);
    lua_replace(L, t);
  }
  if (array) {
    for (i = pending; i > 0; i--) lua_rawseti(L, t, (lua_Integer)(done + i));
    return;
  }
  for (i = 0; i < pending; i++) {   /* in order: a repeated key's last wins */
    lua_pushvalue(L, t + 1 + 2 * (int)i);
    lua_pushvalue(L, t + 2 + 2 * (int)i);
    lua_rawset(L, t);
  }
  lua_settop(L, t);
}

static int b_item(void *ud, int array, size_t index)
{
  jbuild *b = ud;
  if ((index + 1) % CHUNK == 0) flush(b->L, array, CHUNK, index + 1 - CHUNK);
  return KD_OK;
}

static int b_end(void *ud, int array, size_t count)
{
  jbuild *b = ud;
  size_t pending = count % CHUNK;
  if (pending || count == 0) flush(b->L, array, pending, count - pending);
  if (array) {
    lua_pushvalue(b->L, b->array_mt);
    lua_setmetatable(b->L, -2);
  }
  return KD_OK;
}

static int scratch_gc(lua_State *L)
{
  kd_buf_free(luaL_checkudata(L, 1, SCRATCH_MT));
  return 0;
}

int kd_lua_pushjson(lua_State *L, const char *data, size_t len,
                    const char *source, kd_error *err)
{
  static const json_sink sink = {b_null, b_bool, b_int, b_num, b_str,
                                 b_begin, b_item, b_end};
  int base = lua_gettop(L), rc;
  jbuild b;
  kd_buf *scratch;
  /* Room for the pending members at once (a guess from the size): the
   * stack of a fresh task would otherwise grow by doubling, copying
   * itself three or four times for a typical object. */
  luaL_checkstack(L, len < 8192 ? (int)(len / 16) + 8 : 520, "decoding JSON");
  b.L = L;
  kd_lua_pushnull(L);
  b.null_idx = lua_gettop(L);
  luaL_getmetatable(L, KD_ARRAY_MT);
  b.array_mt = lua_gettop(L);
  /* unescaped strings live in a box Lua frees, even after an error */
  scratch = lua_newuserdatauv(L, sizeof *scratch, 0);
  memset(scratch, 0, sizeof *scratch);
  if (luaL_newmetatable(L, SCRATCH_MT)) {
    lua_pushcfunction(L, scratch_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  rc = json_parse(data, len, source, &sink, &b, scratch, err);
  kd_buf_free(scratch);
  if (rc != KD_OK) {
    lua_settop(L, base);
    return rc;
  }
  lua_replace(L, base + 1);   /* the value where the null was */
  lua_settop(L, base + 1);
  return KD_OK;
}

/* json.decode(text [, source]) -> value; raises kdeploy.error with
 * "source:line:col: what" on malformed input. */
static int l_decode(lua_State *L)
{
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  const char *source = luaL_optstring(L, 2, "<json>");
  kd_error err = {0};
  if (kd_lua_pushjson(L, s, len, source, &err) != KD_OK) return kd_lua_raise(L, &err);
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
