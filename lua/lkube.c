/* lua/lkube.c: kdeploy.core.kube, the C half of kdeploy.kube: kubeconfig
 * objects, clients, asynchronous requests (submit returns a handle the Lua
 * scheduler waits on) and discovery mapping. Never yields, never calls Lua
 * from a curl callback: finished requests only mark their loop id ready. */
#include "json.h"
#include "kdeploy_lua.h"
#include "kube.h"
#include "kube_disco.h"
#include "loop.h"

#include <stdlib.h>
#include <string.h>

#define CONFIG_MT "kdeploy.kube.config"
#define REQ_MT "kdeploy.kube.request"
#define DISCO_MT "kdeploy.kube.discovery"

/* ---- config ---------------------------------------------------------------- */

typedef struct { kube_config *cfg; } lconfig;

/* core.config{kubeconfig=, kubeconfig_env=, home=, service_host=,
 * service_port=, sa_dir=} -> config; raises a kdeploy.error naming the file. */
static int l_config(lua_State *L)
{
  kube_config_opts o;
  kd_error err = {0};
  lconfig *b;
  luaL_checktype(L, 1, LUA_TTABLE);
  memset(&o, 0, sizeof o);
  o.kubeconfig = kd_lua_optfield_str(L, 1, "kubeconfig");
  o.kubeconfig_env = kd_lua_optfield_str(L, 1, "kubeconfig_env");
  o.home = kd_lua_optfield_str(L, 1, "home");
  o.service_host = kd_lua_optfield_str(L, 1, "service_host");
  o.service_port = kd_lua_optfield_str(L, 1, "service_port");
  o.sa_dir = kd_lua_optfield_str(L, 1, "sa_dir");
  b = lua_newuserdatauv(L, sizeof *b, 0);
  b->cfg = NULL;
  luaL_setmetatable(L, CONFIG_MT);
  if (!(b->cfg = kube_config_load(&o, &err))) return kd_lua_raise(L, &err);
  return 1;
}

static lconfig *checkconfig(lua_State *L)
{
  lconfig *b = luaL_checkudata(L, 1, CONFIG_MT);
  if (!b->cfg) luaL_error(L, "kubeconfig is closed");
  return b;
}

static int config_gc(lua_State *L)
{
  lconfig *b = luaL_checkudata(L, 1, CONFIG_MT);
  kube_config_free(b->cfg);
  b->cfg = NULL;
  return 0;
}

/* config:current() -> current-context or nil. */
static int m_current(lua_State *L)
{
  const char *s = kube_config_current(checkconfig(L)->cfg);
  if (s[0]) lua_pushstring(L, s);
  else lua_pushnil(L);
  return 1;
}

/* config:contexts() -> array of context names. */
static int m_contexts(lua_State *L)
{
  size_t n, i;
  const char *const *names = kube_config_contexts(checkconfig(L)->cfg, &n);
  lua_createtable(L, (int)n, 0);
  for (i = 0; i < n; i++) {
    lua_pushstring(L, names[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

/* The userdata at index 1 when its metatable is upvalue 1 of the running
 * C function (newmt gives each method its metatable so), else what
 * luaL_checkudata returns or raises: the per-request methods skip its
 * lookup of the metatable by name. Sound only in a method of TNAME's own
 * metatable (or a function without upvalues): elsewhere upvalue 1 may be
 * another type's metatable, which would then pass for TNAME. */
static void *checkself(lua_State *L, const char *tname)
{
  void *p = lua_touserdata(L, 1);
  if (p && lua_getmetatable(L, 1)) {
    int same = lua_rawequal(L, -1, lua_upvalueindex(1));
    lua_pop(L, 1);
    if (same) return p;
  }
  return luaL_checkudata(L, 1, tname);
}

/* ---- client ---------------------------------------------------------------- */

typedef kd_lclient lclient;
typedef struct lreq lreq;

struct lreq {
  kube_call *call;         /* NULL when done or cancelled */
  lclient *owner;
  lreq *prev, *next;
  loop *l;
  loop_id id;
  int done, decode, status, attempts;
  int decoded, ok_json;    /* body decoded (kept as uservalue 3), and valid */
  char *reason, *content_type, *raw;
  size_t raw_len;
  /* The failure, if any: its code and message (owned; NULL on success).
   * Not a kd_error: its 512-byte message would make every request's
   * userdata 600 bytes of garbage for the collector, errors or not. */
  int err_code;
  char *message;
};

/* The content type nearly every answer has: kept without a copy. */
static const char JSON_TYPE[] = "application/json";

static char *copy_type(const char *t)
{
  if (strcmp(t, JSON_TYPE) == 0) return (char *)JSON_TYPE;
  return kd_strndup(t, strlen(t));
}

static void free_type(char *t)
{
  if (t != JSON_TYPE) free(t);
}

static void set_message(lreq *r, const char *msg)
{
  free(r->message);
  r->message = kd_strndup(msg, strlen(msg));
}

static void unlink_req(lreq *r)
{
  if (!r->owner) return;
  if (r->prev) r->prev->next = r->next;
  else r->owner->reqs = r->next;
  if (r->next) r->next->prev = r->prev;
  r->owner = NULL;
  r->prev = r->next = NULL;
}

static void req_fail(lreq *r, const char *reason, const char *msg)
{
  r->done = 1;
  r->status = 0;
  free(r->reason);
  r->reason = kd_strndup(reason, strlen(reason));
  r->err_code = KD_EIO;
  set_message(r, msg);
}

static int client_close(lua_State *L)
{
  lclient *b = luaL_checkudata(L, 1, KD_CLIENT_MT);
  if (b->on_close) b->on_close(b->on_close_ctx);   /* watches first */
  b->on_close = NULL;
  while (b->reqs) {        /* their calls die with the client */
    lreq *r = b->reqs;
    r->call = NULL;
    req_fail(r, "ClientClosed", "the client was closed");
    loop_ready(r->l, r->id);
    unlink_req(r);
  }
  kube_client_free(b->c);
  b->c = NULL;
  return 0;
}

kd_lclient *kd_lua_checkclient(lua_State *L, int idx)
{
  /* by name, not checkself: exported (lwatch.c), its callers unknown */
  lclient *b = luaL_checkudata(L, idx, KD_CLIENT_MT);
  if (!b->c) luaL_error(L, "the kube client is closed");
  return b;
}

/* config:client(context, namespace, {qps=, burst=, timeout=,
 * connect_timeout=, retries=, max_inflight=}) -> client. */
static int m_client(lua_State *L)
{
  lconfig *cb = checkconfig(L);
  const char *ctx = luaL_optstring(L, 2, NULL);
  const char *ns = luaL_optstring(L, 3, NULL);
  kube_client_opts o;
  kd_error err = {0};
  kube_conn *conn;
  lclient *b;
  loop *l = kd_lua_loop(L);      /* the loop exists before any client */
  o.qps = KUBE_DEFAULT_QPS;
  o.burst = KUBE_DEFAULT_BURST;
  o.timeout = KUBE_DEFAULT_TIMEOUT;
  o.connect_timeout = KUBE_DEFAULT_CONNECT_TIMEOUT;
  o.max_retries = KUBE_DEFAULT_RETRIES;
  o.max_inflight = 0;                          /* by scheme, see kube.h */
  if (!lua_isnoneornil(L, 4)) {
    luaL_checktype(L, 4, LUA_TTABLE);
    o.qps = kd_lua_optfield_num(L, 4, "qps", o.qps);
    o.burst = (int)kd_lua_optfield_num(L, 4, "burst", o.burst);
    o.timeout = kd_lua_optfield_num(L, 4, "timeout", o.timeout);
    o.connect_timeout = kd_lua_optfield_num(L, 4, "connect_timeout", o.connect_timeout);
    o.max_retries = (int)kd_lua_optfield_num(L, 4, "retries", o.max_retries);
    o.max_inflight = (int)kd_lua_optfield_num(L, 4, "max_inflight", o.max_inflight);
  }
  b = lua_newuserdatauv(L, sizeof *b, 1);
  memset(b, 0, sizeof *b);
  luaL_setmetatable(L, KD_CLIENT_MT);
  if (!(conn = kube_config_resolve(cb->cfg, ctx, ns, &err))) return kd_lua_raise(L, &err);
  if (!(b->c = kube_client_new(l, conn, &o, &err))) return kd_lua_raise(L, &err);
  return 1;
}

static void setstr(lua_State *L, const char *k, const char *v)
{
  if (!v) return;
  lua_pushstring(L, v);
  lua_setfield(L, -2, k);
}

/* client:info() -> {context, cluster, user, namespace, server, auth,
 * in_cluster, origin}. */
static int m_info(lua_State *L)
{
  const kube_conn *k = kube_client_conn(kd_lua_checkclient(L, 1)->c);
  lua_createtable(L, 0, 8);
  setstr(L, "context", k->context);
  setstr(L, "cluster", k->cluster);
  setstr(L, "user", k->user);
  setstr(L, "namespace", k->namespace);
  setstr(L, "server", k->server);
  setstr(L, "origin", k->origin);
  setstr(L, "auth", kube_conn_auth_kind(k));
  lua_pushboolean(L, k->in_cluster);
  lua_setfield(L, -2, "in_cluster");
  return 1;
}

/* ---- requests -------------------------------------------------------------- */

static void on_req_done(void *ctx, const kube_resp *resp)
{
  lreq *r = ctx;
  r->call = NULL;
  unlink_req(r);
  r->done = 1;
  r->status = resp->status;
  r->attempts = resp->attempts;
  r->err_code = resp->err.code;
  if (resp->err.code != KD_OK || resp->err.msg[0]) set_message(r, resp->err.msg);
  if (resp->reason) r->reason = kd_strndup(resp->reason, strlen(resp->reason));
  if (resp->content_type) r->content_type = copy_type(resp->content_type);
  /* Kept as text: result() decodes it straight into Lua tables (never
   * here, inside the loop, where a Lua error must not be raised). The
   * call's buffer is taken, not copied, when it may be. */
  if (resp->own) {
    r->raw = kd_buf_take(resp->own, &r->raw_len);
  } else {
    r->raw = kd_strndup(resp->body, resp->len);
    r->raw_len = resp->len;
  }
  loop_ready(r->l, r->id);
}

static lreq *checkreq(lua_State *L)
{
  return checkself(L, REQ_MT);
}

static int req_gc(lua_State *L)
{
  lreq *r = checkreq(L);
  if (r->call) kube_call_cancel(r->call);
  r->call = NULL;
  unlink_req(r);
  free(r->reason);
  free_type(r->content_type);
  free(r->raw);
  free(r->message);
  r->reason = r->content_type = r->raw = r->message = NULL;
  return 0;
}

/* Its address keys the request metatable in the registry: found so
 * without hashing REQ_MT once a request. */
static const char req_mt_key = 0;

/* Starts REQ for the client at index 1 and pushes its handle. DECODE:
 * whether result() decodes a 2xx body. Only for the client's own methods
 * (checkself). */
static int start(lua_State *L, const kube_req *req, int decode)
{
  lclient *cb = checkself(L, KD_CLIENT_MT);
  kd_error err = {0};
  lreq *r;
  if (!cb->c) return luaL_error(L, "the kube client is closed");
  r = lua_newuserdatauv(L, sizeof *r, 3);
  memset(r, 0, sizeof *r);
  r->decode = decode;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &req_mt_key);
  lua_setmetatable(L, -2);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, 1);      /* the request keeps its client alive */
  r->l = kube_client_loop(cb->c);
  r->id = loop_new_id(r->l);
  r->call = kube_call_start(cb->c, req, on_req_done, NULL, r, &err);
  if (!r->call) return kd_lua_raise(L, &err);
  r->owner = cb;
  r->next = (lreq *)cb->reqs;
  if (cb->reqs) cb->reqs->prev = r;
  cb->reqs = r;
  return 1;
}

/* client:submit{verb=, path=, body=, content_type=, accept=, timeout=,
 * decode=true, idempotent=} -> request handle (never blocks). */
static int m_submit(lua_State *L)
{
  kube_req req;
  int decode;
  kd_lua_checkclient(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  memset(&req, 0, sizeof req);
  lua_getfield(L, 2, "verb");
  req.verb = luaL_optstring(L, -1, "GET");
  lua_getfield(L, 2, "path");
  req.path = luaL_checkstring(L, -1);
  lua_getfield(L, 2, "body");
  req.body = lua_isnil(L, -1) ? NULL : luaL_checklstring(L, -1, &req.body_len);
  req.content_type = kd_lua_optfield_str(L, 2, "content_type");
  req.accept = kd_lua_optfield_str(L, 2, "accept");
  req.timeout = kd_lua_optfield_num(L, 2, "timeout", 0);
  lua_getfield(L, 2, "idempotent");
  req.idempotent = lua_isnil(L, -1) ? -1 : lua_toboolean(L, -1);
  lua_getfield(L, 2, "decode");
  decode = lua_isnil(L, -1) ? 1 : lua_toboolean(L, -1);
  return start(L, &req, decode);
}

/* Builds PATH "/" NAME in B, NAME percent-encoded as urlencode does it
 * ("%2F"), NUL-terminated: the request copies it, so no Lua string is
 * made for a per-object path. */
static const char *join_name(lua_State *L, luaL_Buffer *b, const char *path,
                             size_t plen, const char *name, size_t nlen)
{
  static const char hex[] = "0123456789ABCDEF";
  size_t i;
  luaL_buffinit(L, b);
  luaL_addlstring(b, path, plen);
  luaL_addchar(b, '/');
  for (i = 0; i < nlen; i++) {
    unsigned char ch = (unsigned char)name[i];
    if (kd_url_unreserved(ch)) {   /* as kdeploy.kube's urlencode */
      luaL_addchar(b, (char)ch);
    } else {
      luaL_addchar(b, '%');
      luaL_addchar(b, hex[ch >> 4]);
      luaL_addchar(b, hex[ch & 15]);
    }
  }
  luaL_addchar(b, '\0');
  return luaL_buffaddr(b);
}

/* client:send(verb, path, body, content_type, accept, timeout, decode,
 * idempotent, name) -> request handle: submit without the table (the
 * per-request path of kdeploy.kube); nil arguments take submit's
 * defaults. NAME, when given, is appended to PATH after a "/",
 * percent-encoded as kdeploy.kube's urlencode does. */
static int m_send(lua_State *L)
{
  kube_req req;
  luaL_Buffer b;
  size_t plen, nlen;
  const char *name;
  memset(&req, 0, sizeof req);
  req.verb = luaL_optstring(L, 2, "GET");
  req.path = luaL_checklstring(L, 3, &plen);
  req.body = lua_isnoneornil(L, 4) ? NULL : luaL_checklstring(L, 4, &req.body_len);
  req.content_type = luaL_optstring(L, 5, NULL);
  req.accept = luaL_optstring(L, 6, NULL);
  req.timeout = luaL_optnumber(L, 7, 0);
  req.idempotent = lua_isnoneornil(L, 9) ? -1 : lua_toboolean(L, 9);
  name = luaL_optlstring(L, 10, NULL, &nlen);
  if (name) req.path = join_name(L, &b, req.path, plen, name, nlen);
  return start(L, &req, lua_isnoneornil(L, 8) ? 1 : lua_toboolean(L, 8));
}

static int m_req_id(lua_State *L)
{
  lua_pushinteger(L, (lua_Integer)checkreq(L)->id);
  return 1;
}

static int m_req_ready(lua_State *L)
{
  lua_pushboolean(L, checkreq(L)->done);
  return 1;
}

/* request:cancel(): stops it; result() then says "Cancelled". */
static int m_req_cancel(lua_State *L)
{
  lreq *r = checkreq(L);
  if (r->call) {
    kube_call_cancel(r->call);
    r->call = NULL;
    unlink_req(r);
    req_fail(r, "Cancelled", "request cancelled");
  }
  return 0;
}

/* Pushes the decoded body of request R (handle at index 1), or nil when it
 * has none or it is not JSON; decodes it once and keeps it as uservalue 3.
 * The text is dropped once decoded when result() will not show it. */
static void push_body(lua_State *L, lreq *r)
{
  if (r->decoded) {
    lua_getiuservalue(L, 1, 3);
    return;
  }
  r->decoded = 1;
  if (r->raw && r->raw_len > 0) {
    kd_error jerr = {0};
    r->ok_json = kd_lua_pushjson(L, r->raw, r->raw_len, "response", &jerr) == KD_OK;
  }
  if (!r->ok_json) lua_pushnil(L);
  lua_pushvalue(L, -1);
  lua_setiuservalue(L, 1, 3);
  if (r->ok_json && r->decode) {
    free(r->raw);
    r->raw = NULL;
  }
}

/* request:body() -> true, decoded body (nil when empty or not JSON) for a
 * request done with a 2xx status that decodes its answer; false otherwise
 * (result() tells more). The per-object verbs' path: no result table. */
static int m_req_body(lua_State *L)
{
  lreq *r = checkreq(L);
  if (!r->done || !r->decode || r->status < 200 || r->status >= 300 ||
      r->err_code != KD_OK) {
    lua_pushboolean(L, 0);
    return 1;
  }
  lua_pushboolean(L, 1);
  push_body(L, r);
  return 2;
}

/* request:result() -> {status, body, raw, reason, message, attempts,
 * content_type}; nil while not done. The table is built once. */
static int m_req_result(lua_State *L)
{
  lreq *r = checkreq(L);
  if (!r->done) return 0;
  if (lua_getiuservalue(L, 1, 2) == LUA_TTABLE) return 1;
  lua_pop(L, 1);
  lua_createtable(L, 0, 8);
  lua_pushinteger(L, r->status);
  lua_setfield(L, -2, "status");
  lua_pushinteger(L, r->attempts);
  lua_setfield(L, -2, "attempts");
  setstr(L, "content_type", r->content_type);
  /* Errors keep the raw text too (a Status body decodes; an HTML error
   * page does not). */
  if (r->decode || r->status >= 300 || r->status == 0) {
    push_body(L, r);
    lua_setfield(L, -2, "body");
  }
  if (r->raw && (!r->ok_json || !r->decode)) {
    lua_pushlstring(L, r->raw, r->raw_len);
    lua_setfield(L, -2, "raw");
  }
  if (r->err_code != KD_OK || r->status == 0 || r->status >= 300) {
    setstr(L, "reason", r->reason ? r->reason : "Error");
    setstr(L, "message", r->message ? r->message : "");
  }
  lua_pushvalue(L, -1);
  lua_setiuservalue(L, 1, 2);
  free(r->raw);
  r->raw = NULL;
  return 1;
}

/* ---- discovery ------------------------------------------------------------- */

typedef struct { kube_disco *d; } ldisco;

static ldisco *newdisco(lua_State *L)
{
  ldisco *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->d = NULL;
  luaL_setmetatable(L, DISCO_MT);
  return b;
}

static kube_disco *checkdisco(lua_State *L)
{
  return ((ldisco *)luaL_checkudata(L, 1, DISCO_MT))->d;
}

static int disco_gc(lua_State *L)
{
  ldisco *b = luaL_checkudata(L, 1, DISCO_MT);
  kube_disco_free(b->d);
  b->d = NULL;
  return 0;
}

/* core.discovery() -> an empty mapping. */
static int l_discovery(lua_State *L)
{
  kd_error err = {0};
  ldisco *b = newdisco(L);
  if (!(b->d = kube_disco_new(&err))) return kd_lua_raise(L, &err);
  return 1;
}

/* core.discovery_load(path, ttl) -> mapping, or nil when missing/stale. */
static int l_discovery_load(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  double ttl = luaL_checknumber(L, 2);
  kd_error err = {0};
  ldisco *b = newdisco(L);
  if (!(b->d = kube_disco_load(path, ttl, &err))) {
    if (err.code == KD_ENOTFOUND) return 0;
    return kd_lua_raise(L, &err);
  }
  return 1;
}

/* core.discovery_cache_path(cache_dir, server) -> path. */
static int l_discovery_cache_path(lua_State *L)
{
  char *p = kube_disco_cache_path(luaL_checkstring(L, 1), luaL_checkstring(L, 2));
  if (!p) return luaL_error(L, "out of memory");
  lua_pushstring(L, p);
  free(p);
  return 1;
}

/* mapping:add(json_text): adds one discovery document. */
static int m_disco_add(lua_State *L)
{
  kube_disco *d = checkdisco(L);
  size_t len;
  const char *s = luaL_checklstring(L, 2, &len);
  kd_error err = {0};
  kd_value *v = kd_lua_newbox(L);
  if (json_decode(s, len, "discovery", v, &err) || kube_disco_add(d, v, &err))
    return kd_lua_raise(L, &err);
  kd_value_clear(v);
  return 0;
}

static void pushlist(lua_State *L, char **items, size_t n)
{
  size_t i;
  lua_createtable(L, (int)n, 0);
  for (i = 0; i < n; i++) {
    lua_pushstring(L, items[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

static int pushres(lua_State *L, const kube_resource *r)
{
  if (!r) return 0;
  lua_createtable(L, 0, 10);
  setstr(L, "group", r->group);
  setstr(L, "version", r->version);
  setstr(L, "kind", r->kind);
  setstr(L, "resource", r->name);
  setstr(L, "singular", r->singular);
  lua_pushfstring(L, "%s%s%s", r->group, r->group[0] ? "/" : "", r->version);
  lua_setfield(L, -2, "apiVersion");
  lua_pushboolean(L, r->namespaced);
  lua_setfield(L, -2, "namespaced");
  lua_pushboolean(L, r->preferred);
  lua_setfield(L, -2, "preferred");
  pushlist(L, r->verbs, r->nverbs);
  lua_setfield(L, -2, "verbs");
  pushlist(L, r->short_names, r->nshort);
  lua_setfield(L, -2, "short_names");
  return 1;
}

/* mapping:find(apiVersion, kind) -> resource table or nil. */
static int m_disco_find(lua_State *L)
{
  kube_disco *d = checkdisco(L);
  return pushres(L, kube_disco_find(d, luaL_checkstring(L, 2), luaL_checkstring(L, 3)));
}

/* mapping:lookup(name) -> resource table or nil ("deploy", "cm", ...). */
static int m_disco_lookup(lua_State *L)
{
  kube_disco *d = checkdisco(L);
  return pushres(L, kube_disco_lookup(d, luaL_checkstring(L, 2)));
}

/* mapping:resources() -> array of every resource table. */
static int m_disco_resources(lua_State *L)
{
  kube_disco *d = checkdisco(L);
  size_t i, n = kube_disco_count(d);
  lua_createtable(L, (int)n, 0);
  for (i = 0; i < n; i++) {
    pushres(L, kube_disco_at(d, i));
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

/* mapping:save(path): writes the cache file. */
static int m_disco_save(lua_State *L)
{
  kd_error err = {0};
  if (kube_disco_save(checkdisco(L), luaL_checkstring(L, 2), &err))
    return kd_lua_raise(L, &err);
  return 0;
}

static void newmt(lua_State *L, const char *name, const luaL_Reg *methods,
                  lua_CFunction gc)
{
  luaL_newmetatable(L, name);
  lua_newtable(L);
  lua_pushvalue(L, -2);
  luaL_setfuncs(L, methods, 1);     /* each with the metatable (checkself) */
  lua_setfield(L, -2, "__index");
  /* with the metatable too: __gc, which runs once for every request,
   * then finds its userdata by checkself's compare, not by
   * luaL_checkudata's registry lookup */
  lua_pushvalue(L, -1);
  lua_pushcclosure(L, gc, 1);
  lua_setfield(L, -2, "__gc");
  lua_pushvalue(L, -1);
  lua_pushcclosure(L, gc, 1);
  lua_setfield(L, -2, "__close");
  lua_pop(L, 1);
}

int luaopen_kdeploy_core_kube(lua_State *L)
{
  static const luaL_Reg fns[] = {
    {"config", l_config},
    {"discovery", l_discovery},
    {"discovery_load", l_discovery_load},
    {"discovery_cache_path", l_discovery_cache_path},
    {NULL, NULL}};
  static const luaL_Reg config_m[] = {
    {"current", m_current}, {"contexts", m_contexts}, {"client", m_client},
    {NULL, NULL}};
  static const luaL_Reg client_m[] = {
    {"info", m_info}, {"submit", m_submit}, {"send", m_send}, {"close", client_close},
    {NULL, NULL}};
  static const luaL_Reg req_m[] = {
    {"id", m_req_id}, {"ready", m_req_ready}, {"result", m_req_result}, {"body", m_req_body},
    {"cancel", m_req_cancel}, {NULL, NULL}};
  static const luaL_Reg disco_m[] = {
    {"add", m_disco_add}, {"find", m_disco_find}, {"lookup", m_disco_lookup},
    {"resources", m_disco_resources}, {"save", m_disco_save}, {NULL, NULL}};
  kd_lua_init(L);
  kd_lua_loop(L);
  newmt(L, CONFIG_MT, config_m, config_gc);
  newmt(L, KD_CLIENT_MT, client_m, client_close);
  newmt(L, REQ_MT, req_m, req_gc);
  luaL_getmetatable(L, REQ_MT);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &req_mt_key);
  newmt(L, DISCO_MT, disco_m, disco_gc);
  luaL_newlib(L, fns);
  return 1;
}
