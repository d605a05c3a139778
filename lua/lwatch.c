/* lua/lwatch.c: kdeploy.core.watch, the C half of kdeploy.watch: shared
 * watch subscriptions and pod log streams on a kube client (engine/watch).
 * Events are queued in C; Lua pulls them (sub:next()) after the scheduler
 * saw the subscription's loop id become ready. */
#include "kdeploy_lua.h"
#include "loop.h"
#include "watch.h"

#include <string.h>

#define HUB_MT "kdeploy.watch.hub"
#define SUB_MT "kdeploy.watch.subscription"
#define LOG_MT "kdeploy.watch.log"

typedef struct llog llog;

typedef struct {
  watch_hub *h;
  kd_lclient *owner;          /* the client box; NULL once it closed */
  llog *logs;
  loop *l;
} lhub;

typedef struct {
  watch_sub *s;
  lhub *hub;
  loop_id id;
} lsub;

struct llog {
  watch_log *lg;
  lhub *hub;
  llog *prev, *next;
  loop_id id;
  int closed_by_client;
};

static void unlink_log(llog *g)
{
  if (!g->hub) return;
  if (g->prev) g->prev->next = g->next;
  else g->hub->logs = g->next;
  if (g->next) g->next->prev = g->prev;
  g->hub = NULL;
  g->prev = g->next = NULL;
}

/* The client is closing: watches end with an error, logs stop. */
static void on_client_close(void *ctx)
{
  lhub *b = ctx;
  watch_hub_stop(b->h);
  while (b->logs) {
    llog *g = b->logs;
    watch_log_close(g->lg);
    g->lg = NULL;
    g->closed_by_client = 1;
    loop_ready(b->l, g->id);
    unlink_log(g);
  }
  b->owner = NULL;
}

static int hub_gc(lua_State *L)
{
  lhub *b = luaL_checkudata(L, 1, HUB_MT);
  if (b->owner) {
    b->owner->on_close = NULL;
    b->owner = NULL;
  }
  while (b->logs) {
    llog *g = b->logs;
    watch_log_close(g->lg);
    g->lg = NULL;
    unlink_log(g);
  }
  watch_hub_free(b->h);
  b->h = NULL;
  return 0;
}

/* The hub of the client at IDX (made on first use, kept in the client
 * box's user value); pushes it. */
static lhub *gethub(lua_State *L, int idx)
{
  kd_lclient *cb = kd_lua_checkclient(L, idx);
  kd_error err = {0};
  lhub *b;
  if (lua_getiuservalue(L, idx, 1) == LUA_TUSERDATA) return lua_touserdata(L, -1);
  lua_pop(L, 1);
  b = lua_newuserdatauv(L, sizeof *b, 0);
  memset(b, 0, sizeof *b);
  luaL_setmetatable(L, HUB_MT);
  if (!(b->h = watch_hub_new(cb->c, &err))) kd_lua_raise(L, &err);
  b->owner = cb;
  b->l = kube_client_loop(cb->c);
  cb->on_close = on_client_close;
  cb->on_close_ctx = b;
  lua_pushvalue(L, -1);
  lua_setiuservalue(L, idx, 1);
  return b;
}

/* ---- subscriptions ---------------------------------------------------------- */

static lsub *checksub(lua_State *L)
{
  lsub *s = luaL_checkudata(L, 1, SUB_MT);
  return s;
}

static int sub_close(lua_State *L)
{
  lsub *s = checksub(L);
  watch_unsubscribe(s->s);
  s->s = NULL;
  return 0;
}

/* core.subscribe(client, {path=, label_selector=, field_selector=,
 * api_version=, kind=, timeout_seconds=, page_size=}) -> subscription. */
static int l_subscribe(lua_State *L)
{
  watch_opts o;
  kd_error err = {0};
  lhub *hub;
  lsub *s;
  luaL_checktype(L, 2, LUA_TTABLE);
  memset(&o, 0, sizeof o);
  o.path = kd_lua_optfield_str(L, 2, "path");
  luaL_argcheck(L, o.path != NULL, 2, "path is required");
  o.label_selector = kd_lua_optfield_str(L, 2, "label_selector");
  o.field_selector = kd_lua_optfield_str(L, 2, "field_selector");
  o.api_version = kd_lua_optfield_str(L, 2, "api_version");
  o.kind = kd_lua_optfield_str(L, 2, "kind");
  o.timeout_seconds = (int)kd_lua_optfield_int(L, 2, "timeout_seconds", 0);
  o.page_size = (int)kd_lua_optfield_int(L, 2, "page_size", 0);
  hub = gethub(L, 1);                          /* pushes the hub */
  s = lua_newuserdatauv(L, sizeof *s, 1);
  s->s = NULL;
  s->hub = hub;
  luaL_setmetatable(L, SUB_MT);
  lua_pushvalue(L, -2);
  lua_setiuservalue(L, -2, 1);                 /* sub keeps its hub alive */
  if (!hub->owner) return luaL_error(L, "the kube client is closed");
  s->id = loop_new_id(hub->l);
  if (!(s->s = watch_subscribe(hub->h, &o, s->id, &err))) return kd_lua_raise(L, &err);
  return 1;
}

static watch_sub *opensub(lua_State *L)
{
  lsub *s = checksub(L);
  if (!s->s) luaL_error(L, "the watch subscription is closed");
  return s->s;
}

static int m_sub_id(lua_State *L)
{
  lua_pushinteger(L, (lua_Integer)checksub(L)->id);
  return 1;
}

/* sub:ready() -> true when an event is queued (or it is closed). */
static int m_sub_ready(lua_State *L)
{
  lsub *s = checksub(L);
  lua_pushboolean(L, !s->s || watch_pending(s->s) > 0);
  return 1;
}

static const char *type_name(watch_type t)
{
  switch (t) {
  case WATCH_ADDED: return "ADDED";
  case WATCH_MODIFIED: return "MODIFIED";
  case WATCH_DELETED: return "DELETED";
  case WATCH_SYNCED: return "SYNCED";
  default: return "ERROR";
  }
}

/* sub:next() -> {type=, object=[, error=]} or nil when nothing is queued. */
static int m_sub_next(lua_State *L)
{
  watch_sub *ws = opensub(L);
  watch_type type;
  watch_obj *obj = NULL;
  kd_error err = {0};
  if (!watch_next(ws, &type, &obj, &err)) return 0;
  lua_createtable(L, 0, 3);
  lua_pushstring(L, type_name(type));
  lua_setfield(L, -2, "type");
  if (obj) {
    kd_lua_pushvalue(L, &obj->v);   /* may raise on OOM: obj leaks then */
    lua_setfield(L, -2, "object");
  }
  watch_obj_release(obj);
  if (type == WATCH_ERROR) {
    kd_lua_pusherror(L, &err);
    lua_setfield(L, -2, "error");
  }
  return 1;
}

static int m_sub_synced(lua_State *L)
{
  lua_pushboolean(L, watch_synced(opensub(L)));
  return 1;
}

static void push_one(void *ctx, const kd_value *v)
{
  lua_State *L = ctx;
  kd_lua_pushvalue(L, v);
  lua_rawseti(L, -2, (lua_Integer)luaL_len(L, -2) + 1);
}

/* sub:objects() -> array of the cached objects (the stream's view). */
static int m_sub_objects(lua_State *L)
{
  watch_sub *ws = opensub(L);
  lua_newtable(L);
  watch_each(ws, push_one, L);
  luaL_setmetatable(L, KD_ARRAY_MT);
  return 1;
}

/* sub:get(namespace, name) -> cached object or nil. */
static int m_sub_get(lua_State *L)
{
  watch_sub *ws = opensub(L);
  const char *ns = luaL_optstring(L, 2, "");
  const kd_value *v = watch_get(ws, ns, luaL_checkstring(L, 3));
  if (!v) return 0;
  kd_lua_pushvalue(L, v);
  return 1;
}

/* sub:stats() -> {lists=, watches=, pending=, streams=} */
static int m_sub_stats(lua_State *L)
{
  lsub *s = checksub(L);
  int lists, watches;
  watch_sub *ws = opensub(L);
  watch_stats(ws, &lists, &watches);
  lua_createtable(L, 0, 4);
  lua_pushinteger(L, lists);
  lua_setfield(L, -2, "lists");
  lua_pushinteger(L, watches);
  lua_setfield(L, -2, "watches");
  lua_pushinteger(L, (lua_Integer)watch_pending(ws));
  lua_setfield(L, -2, "pending");
  lua_pushinteger(L, (lua_Integer)watch_hub_streams(s->hub->h));
  lua_setfield(L, -2, "streams");
  return 1;
}

/* core.streams(client) -> number of server watch connections open. */
static int l_streams(lua_State *L)
{
  lhub *hub = gethub(L, 1);
  lua_pushinteger(L, (lua_Integer)watch_hub_streams(hub->h));
  return 1;
}

/* ---- logs ------------------------------------------------------------------ */

static llog *checklog(lua_State *L) { return luaL_checkudata(L, 1, LOG_MT); }

static int log_close(lua_State *L)
{
  llog *g = checklog(L);
  watch_log_close(g->lg);
  g->lg = NULL;
  unlink_log(g);
  return 0;
}

/* core.logs(client, path, query, first, follow) -> log stream. */
static int l_logs(lua_State *L)
{
  const char *path = luaL_checkstring(L, 2);
  const char *query = luaL_optstring(L, 3, NULL);
  const char *first = luaL_optstring(L, 4, NULL);
  int follow = lua_toboolean(L, 5);
  kd_error err = {0};
  lhub *hub = gethub(L, 1);
  llog *g = lua_newuserdatauv(L, sizeof *g, 1);
  memset(g, 0, sizeof *g);
  luaL_setmetatable(L, LOG_MT);
  lua_pushvalue(L, -2);
  lua_setiuservalue(L, -2, 1);
  if (!hub->owner) return luaL_error(L, "the kube client is closed");
  g->id = loop_new_id(hub->l);
  g->lg = watch_log_open(hub->owner->c, path, query, first, follow, g->id, &err);
  if (!g->lg) return kd_lua_raise(L, &err);
  g->hub = hub;
  g->next = hub->logs;
  if (hub->logs) hub->logs->prev = g;
  hub->logs = g;
  return 1;
}

static int m_log_id(lua_State *L)
{
  lua_pushinteger(L, (lua_Integer)checklog(L)->id);
  return 1;
}

/* log:ready() -> true when a line is queued or the stream ended. */
static int m_log_ready(lua_State *L)
{
  llog *g = checklog(L);
  lua_pushboolean(L, !g->lg || watch_log_status(g->lg, NULL) != WATCH_LOG_RUNNING ||
                     watch_log_pending(g->lg) > 0);
  return 1;
}

/* log:next() -> timestamp, text; or nil when nothing is queued. */
static int m_log_next(lua_State *L)
{
  llog *g = checklog(L);
  const char *ts, *text;
  size_t len;
  if (!g->lg || !watch_log_next(g->lg, &ts, &text, &len)) return 0;
  lua_pushstring(L, ts);
  lua_pushlstring(L, text, len);
  return 2;
}

/* log:status() -> "running" | "ended" | "failed", error-or-nil. */
static int m_log_status(lua_State *L)
{
  llog *g = checklog(L);
  kd_error err = {0};
  watch_log_state st;
  if (!g->lg) {
    lua_pushstring(L, "failed");
    kd_error_set(&err, KD_EIO, "%s", g->closed_by_client ? "the kube client was closed"
                                                        : "the log stream is closed");
    kd_lua_pusherror(L, &err);
    return 2;
  }
  st = watch_log_status(g->lg, &err);
  lua_pushstring(L, st == WATCH_LOG_RUNNING ? "running" : st == WATCH_LOG_ENDED ? "ended"
                                                                                : "failed");
  if (st != WATCH_LOG_FAILED) return 1;
  kd_lua_pusherror(L, &err);
  return 2;
}

/* log:reconnect(): resumes after the last line delivered. */
static int m_log_reconnect(lua_State *L)
{
  llog *g = checklog(L);
  kd_error err = {0};
  if (!g->lg) return luaL_error(L, "the log stream is closed");
  if (watch_log_reconnect(g->lg, &err)) return kd_lua_raise(L, &err);
  return 0;
}

static void newmt(lua_State *L, const char *name, const luaL_Reg *methods,
                  lua_CFunction gc)
{
  luaL_newmetatable(L, name);
  lua_newtable(L);
  if (methods) luaL_setfuncs(L, methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, gc);
  lua_setfield(L, -2, "__close");
  lua_pop(L, 1);
}

int luaopen_kdeploy_core_watch(lua_State *L)
{
  static const luaL_Reg fns[] = {
    {"subscribe", l_subscribe}, {"logs", l_logs}, {"streams", l_streams},
    {NULL, NULL}};
  static const luaL_Reg sub_m[] = {
    {"id", m_sub_id}, {"ready", m_sub_ready}, {"next", m_sub_next},
    {"synced", m_sub_synced}, {"objects", m_sub_objects}, {"get", m_sub_get},
    {"stats", m_sub_stats}, {"close", sub_close}, {NULL, NULL}};
  static const luaL_Reg log_m[] = {
    {"id", m_log_id}, {"ready", m_log_ready}, {"next", m_log_next},
    {"status", m_log_status}, {"reconnect", m_log_reconnect}, {"close", log_close},
    {NULL, NULL}};
  kd_lua_init(L);
  kd_lua_loop(L);
  newmt(L, HUB_MT, NULL, hub_gc);
  newmt(L, SUB_MT, sub_m, sub_close);
  newmt(L, LOG_MT, log_m, log_close);
  luaL_newlib(L, fns);
  return 1;
}
