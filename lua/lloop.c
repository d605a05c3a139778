/* lua/lloop.c: kdeploy.core.loop, the process's event loop (engine/loop)
 * as seen from Lua: ids, timers, signals and run(). One loop per Lua state,
 * kept in the registry; other bindings reach it with kd_lua_loop. */
#include "kdeploy_lua.h"
#include "loop.h"

#include <signal.h>
#include <string.h>

#define LOOP_KEY "kdeploy.loop.instance"
#define LOOP_MT "kdeploy.loop"

typedef struct { loop *l; } lloop;

static int loop_gc(lua_State *L)
{
  lloop *b = luaL_checkudata(L, 1, LOOP_MT);
  if (b->l) {
    loop_free(b->l);
    b->l = NULL;
    curl_global_cleanup();
  }
  return 0;
}

loop *kd_lua_loop(lua_State *L)
{
  lloop *b;
  kd_error err = {0};
  if (lua_getfield(L, LUA_REGISTRYINDEX, LOOP_KEY) == LUA_TUSERDATA) {
    b = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (b->l) return b->l;
    luaL_error(L, "the event loop is closed");
  }
  lua_pop(L, 1);
  curl_global_init(CURL_GLOBAL_DEFAULT);   /* idempotent, refcounted */
  b = lua_newuserdatauv(L, sizeof *b, 0);
  b->l = NULL;
  if (luaL_newmetatable(L, LOOP_MT)) {
    lua_pushcfunction(L, loop_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  b->l = loop_new(&err);
  if (!b->l) kd_lua_raise(L, &err);
  lua_setfield(L, LUA_REGISTRYINDEX, LOOP_KEY);
  return b->l;
}

/* loop.new_id() -> id: an id for something Lua itself will mark ready. */
static int l_new_id(lua_State *L)
{
  lua_pushinteger(L, (lua_Integer)loop_new_id(kd_lua_loop(L)));
  return 1;
}

/* loop.ready(id): queues id as ready (returned by the next run). */
static int l_ready(lua_State *L)
{
  lua_Integer id = luaL_checkinteger(L, 1);
  if (loop_ready(kd_lua_loop(L), (loop_id)id) != KD_OK)
    return luaL_error(L, "out of memory");
  return 0;
}

/* loop.timer(seconds) -> id, ready once the time has passed. */
static int l_timer(lua_State *L)
{
  double s = luaL_checknumber(L, 1);
  loop_id id = loop_timer(kd_lua_loop(L), s, NULL, NULL);
  if (!id) return luaL_error(L, "out of memory");
  lua_pushinteger(L, (lua_Integer)id);
  return 1;
}

/* loop.cancel(id) -> true when a pending timer was cancelled. */
static int l_cancel(lua_State *L)
{
  lua_Integer id = luaL_checkinteger(L, 1);
  lua_pushboolean(L, loop_timer_cancel(kd_lua_loop(L), (loop_id)id));
  return 1;
}

/* loop.run([timeout]) -> array of ready ids (maybe empty). Blocks until an
 * id is ready or timeout seconds passed (nil: no limit; returns at once
 * when nothing is pending). */
static int l_run(lua_State *L)
{
  double timeout = luaL_optnumber(L, 1, -1);
  loop *l = kd_lua_loop(L);
  kd_error err = {0};
  loop_id ids[256];
  size_t n, i, k = 0;
  int rc = loop_run(l, timeout, &err);
  if (rc < 0) return kd_lua_raise(L, &err);
  lua_createtable(L, rc, 0);
  while ((n = loop_take_ready(l, ids, sizeof ids / sizeof ids[0])) > 0)
    for (i = 0; i < n; i++) {
      lua_pushinteger(L, (lua_Integer)ids[i]);
      lua_rawseti(L, -2, (lua_Integer)++k);
    }
  return 1;
}

/* loop.pending() -> number of transfers, timers and signal watches. */
static int l_pending(lua_State *L)
{
  lua_pushinteger(L, (lua_Integer)loop_pending(kd_lua_loop(L)));
  return 1;
}

/* loop.now() -> monotonic seconds. */
static int l_now(lua_State *L)
{
  lua_pushnumber(L, loop_now());
  return 1;
}

static const struct { const char *name; int signo; } signames[] = {
  {"INT", SIGINT}, {"TERM", SIGTERM}, {"HUP", SIGHUP}, {"QUIT", SIGQUIT},
  {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"WINCH", SIGWINCH}, {NULL, 0}};

/* loop.signal(name) -> id, ready each time the signal ("INT", "TERM",
 * "HUP", "QUIT", "USR1", "USR2", "WINCH") arrives. */
static int l_signal(lua_State *L)
{
  const char *name = luaL_checkstring(L, 1);
  loop *l = kd_lua_loop(L);
  kd_error err = {0};
  loop_id id;
  int i;
  if (strncmp(name, "SIG", 3) == 0) name += 3;
  for (i = 0; signames[i].name; i++)
    if (strcmp(signames[i].name, name) == 0) break;
  if (!signames[i].name) return luaL_argerror(L, 1, "unknown signal name");
  id = loop_new_id(l);
  if (loop_signal(l, signames[i].signo, id, &err) != KD_OK)
    return kd_lua_raise(L, &err);
  lua_pushinteger(L, (lua_Integer)id);
  return 1;
}

/* loop.max_host_connections(n): cap on parallel HTTP/1.1 connections. */
static int l_max_host_connections(lua_State *L)
{
  lua_Integer n = luaL_checkinteger(L, 1);
  luaL_argcheck(L, n > 0, 1, "must be positive");
  loop_set_max_host_connections(kd_lua_loop(L), (long)n);
  return 0;
}

int luaopen_kdeploy_core_loop(lua_State *L)
{
  static const luaL_Reg fns[] = {
    {"new_id", l_new_id},   {"ready", l_ready},     {"timer", l_timer},
    {"cancel", l_cancel},   {"run", l_run},         {"pending", l_pending},
    {"now", l_now},         {"signal", l_signal},
    {"max_host_connections", l_max_host_connections},
    {NULL, NULL}};
  kd_lua_init(L);
  kd_lua_loop(L);
  luaL_newlib(L, fns);
  return 1;
}
