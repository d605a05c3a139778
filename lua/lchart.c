/* lua/lchart.c: kdeploy.chart, Helm chart loading and rendering over
 * engine/chart. Everything C allocates while Lua may raise lives in a
 * userdata on the stack (a "work box"), so an error never leaks it. */
#include "chart/chart.h"
#include "kdeploy_lua.h"
#include "yaml.h"

#include <string.h>

#define CHART_MT "kdeploy.chart"
#define WORK_MT "kdeploy.chart.work"

typedef struct { chart *c; } lchart;

/* The C side of one render call; freed by __gc or work_free. */
typedef struct {
  chart_result *r;
  tpl_val user;        /* user values (owned) */
  kd_buf out, etext;
} work;

static lchart *check_chart(lua_State *L)
{
  lchart *b = luaL_checkudata(L, 1, CHART_MT);
  if (!b->c) luaL_error(L, "chart is closed");
  return b;
}

static int work_gc(lua_State *L)
{
  work *w = luaL_checkudata(L, 1, WORK_MT);
  chart_result_free(w->r);
  w->r = NULL;
  tpl_unref(w->user);
  w->user = tpl_nil();
  kd_buf_free(&w->out);
  kd_buf_free(&w->etext);
  return 0;
}

static work *push_work(lua_State *L)
{
  work *w = lua_newuserdatauv(L, sizeof *w, 0);
  memset(w, 0, sizeof *w);
  w->user = tpl_nil();
  luaL_setmetatable(L, WORK_MT);
  return w;
}

/* Raises ERR as a kdeploy.error whose message is the whole of W's error
 * text when the engine gave one (kd_error.msg is cut at 511 bytes). */
static int raise_full(lua_State *L, const kd_error *err, const work *w)
{
  kd_lua_pusherror(L, err);
  if (w && w->etext.len > strlen(err->msg)) {
    lua_pushlstring(L, w->etext.data, w->etext.len);
    lua_setfield(L, -2, "message");
  }
  return lua_error(L);
}

/* chart.load(path) -> chart; raises kdeploy.error naming the file. */
static int l_load(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  kd_error err = {0};
  lchart *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->c = NULL;
  luaL_setmetatable(L, CHART_MT);
  b->c = chart_load(path, &err);
  if (!b->c) return kd_lua_raise(L, &err);
  return 1;
}

static int m_close(lua_State *L)
{
  lchart *b = luaL_checkudata(L, 1, CHART_MT);
  chart_free(b->c);
  b->c = NULL;
  return 0;
}

static int m_name(lua_State *L) { lua_pushstring(L, chart_name(check_chart(L)->c)); return 1; }
static int m_version(lua_State *L) { lua_pushstring(L, chart_version(check_chart(L)->c)); return 1; }

/* chart:values() -> the chart's default values (values.yaml) as a table. */
static int m_values(lua_State *L)
{
  lchart *b = check_chart(L);
  kd_value *v = kd_lua_newbox(L);
  if (tpl_to_kd(chart_default_values(b->c), v) != KD_OK) return luaL_error(L, "out of memory");
  kd_lua_pushvalue(L, v);
  return 1;
}

/* ---- options ------------------------------------------------------------ */

static const struct { const char *name; chart_vkind kind; } vkinds[] = {
  {"values", CHART_VALUES_FILE}, {"set", CHART_SET}, {"set_string", CHART_SET_STRING},
  {"set_file", CHART_SET_FILE}, {"set_json", CHART_SET_JSON},
  {"set_literal", CHART_SET_LITERAL},
};

/* The options of one call, read before the engine runs. Arrays live in
 * userdata on the stack and strings in the options table, so reading can
 * raise at any point without leaking. */
typedef struct {
  chart_render_opts ro;
  chart_print_opts po;
  chart_vflag *flags;
  size_t nflags;
  const kd_value *values;   /* the values= table converted (a box) */
  const char *output_dir;
  int check;
  /* lookup= function: Helm's `lookup` asks it (see lookup_hook) */
  lua_State *L;
  int lookup_idx;           /* its stack index, 0 when absent */
  tpl_options tpl;
} ropts;

static const char *opt_str(lua_State *L, int idx, const char *k)
{
  lua_getfield(L, idx, k);
  const char *s = NULL;
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "bad option '%s' (string expected, got %s)", k, luaL_typename(L, -1));
    s = lua_tostring(L, -1);
  }
  lua_pop(L, 1);   /* the string stays anchored in the options table */
  return s;
}

static int opt_bool(lua_State *L, int idx, const char *k)
{
  lua_getfield(L, idx, k);
  int b = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return b;
}

static void *stack_array(lua_State *L, size_t n, size_t size)
{
  return n ? lua_newuserdatauv(L, n * size, 0) : (lua_pushnil(L), NULL);
}

/* A list of strings at option K (pushes its array holder). */
static size_t str_list(lua_State *L, int idx, const char *k, const char ***out)
{
  lua_getfield(L, idx, k);
  if (!lua_isnil(L, -1) && !lua_istable(L, -1))
    luaL_error(L, "bad option '%s' (list of strings expected)", k);
  size_t n = lua_istable(L, -1) ? lua_rawlen(L, -1) : 0;
  const char **a = stack_array(L, n, sizeof *a);
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, -2, (lua_Integer)i + 1);
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "bad option '%s' (item %d is not a string)", k, (int)i + 1);
    a[i] = lua_tostring(L, -1);
    lua_pop(L, 1);
  }
  lua_remove(L, -2);   /* keep the array, drop the list (anchored in opts) */
  *out = a;
  return n;
}

/* release = "name" or {name=, namespace=, revision=, is_upgrade=}. */
static void read_release(lua_State *L, int idx, ropts *o)
{
  lua_getfield(L, idx, "release");
  int t = lua_type(L, -1);
  if (t == LUA_TSTRING) {
    o->ro.release = lua_tostring(L, -1);
  } else if (t == LUA_TTABLE) {
    int r = lua_gettop(L);
    o->ro.release = opt_str(L, r, "name");
    const char *ns = opt_str(L, r, "namespace");
    if (ns) o->ro.namespace = ns;
    lua_getfield(L, r, "revision");
    if (!lua_isnil(L, -1)) o->ro.revision = (int)luaL_checkinteger(L, -1);
    lua_pop(L, 1);
    if (opt_bool(L, r, "is_upgrade")) o->ro.is_upgrade = 1;
  } else if (t != LUA_TNIL) {
    luaL_error(L, "bad option 'release' (string or table expected, got %s)",
               luaL_typename(L, -1));
  }
  lua_pop(L, 1);   /* anchored in the options table */
}

/* ---- lookup ---------------------------------------------------------------- */

/* Runs under lua_pcall with the lookup function and its four arguments
 * (apiVersion, kind, namespace, name) on the stack: calls it and converts what
 * it returns into a value box; nil (not found) stays nil. Conversion
 * errors are raised here, inside the pcall, never through the engine. */
static int lookup_call(lua_State *L)
{
  lua_call(L, 4, 1);
  if (lua_isnil(L, -1)) return 1;
  if (!lua_istable(L, -1))
    return luaL_error(L, "lookup function returned %s (object table or nil expected)",
                      luaL_typename(L, -1));
  kd_lua_tovalue(L, -1);
  return 1;
}

/* tpl_options.lookup: Helm's lookup(apiVersion, kind, namespace, name)
 * through the Lua function of the render call. A function that waits on
 * the cluster blocks here (C cannot yield; the task scheduler drives the
 * loop in place, see task.current). Not found (nil) is an empty map, as
 * Helm returns; a raised error fails the template with its message. */
static int lookup_hook(void *ctx, const char *api_version, const char *kind,
                       const char *ns, const char *name, tpl_val *out,
                       kd_error *err)
{
  ropts *o = ctx;
  lua_State *L = o->L;
  int top = lua_gettop(L), rc = KD_OK;
  lua_pushcfunction(L, lookup_call);
  lua_pushvalue(L, o->lookup_idx);
  lua_pushstring(L, api_version);
  lua_pushstring(L, kind);
  lua_pushstring(L, ns);
  lua_pushstring(L, name);
  if (lua_pcall(L, 5, 1, 0) != LUA_OK) {
    const char *msg = luaL_tolstring(L, -1, NULL);
    rc = kd_error_set(err, KD_EINVAL, "%s", msg);
  } else if (lua_isnil(L, -1)) {
    rc = tpl_map_new(out);
  } else if (tpl_from_kd(lua_touserdata(L, -1), 0, out) != KD_OK) {
    rc = kd_error_set(err, KD_ENOMEM, "out of memory");
  }
  lua_settop(L, top);
  return rc;
}

/* lookup = function(apiVersion, kind, namespace, name) -> object or nil. */
static void read_lookup(lua_State *L, int idx, ropts *o)
{
  lua_getfield(L, idx, "lookup");
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return;
  }
  int callable = lua_isfunction(L, -1);
  if (!callable && luaL_getmetafield(L, -1, "__call") != LUA_TNIL) {
    lua_pop(L, 1);
    callable = 1;
  }
  if (!callable)
    luaL_error(L, "bad option 'lookup' (function expected, got %s)", luaL_typename(L, -1));
  o->L = L;   /* the function stays on the stack for the call */
  o->lookup_idx = lua_gettop(L);
  o->tpl.lookup = lookup_hook;
  o->tpl.lookup_ctx = o;
  o->ro.tpl = &o->tpl;
}

/* Reads the options table at IDX (2) into O, pushing the holders of its
 * arrays on the stack. */
static void read_opts(lua_State *L, int idx, ropts *o)
{
  memset(o, 0, sizeof *o);
  if (lua_isnoneornil(L, idx)) return;
  luaL_checktype(L, idx, LUA_TTABLE);
  o->ro.namespace = opt_str(L, idx, "namespace");
  read_release(L, idx, o);
  o->ro.kube_version = opt_str(L, idx, "kube_version");
  lua_getfield(L, idx, "revision");
  if (!lua_isnil(L, -1)) o->ro.revision = (int)luaL_checkinteger(L, -1);
  lua_pop(L, 1);
  if (opt_bool(L, idx, "is_upgrade")) o->ro.is_upgrade = 1;
  o->ro.skip_schema = opt_bool(L, idx, "skip_schema_validation");
  const char **a;
  o->ro.n_api_versions = str_list(L, idx, "api_versions", &a);
  o->ro.api_versions = a;
  o->po.include_crds = opt_bool(L, idx, "include_crds");
  o->po.no_hooks = opt_bool(L, idx, "no_hooks");
  o->po.skip_tests = opt_bool(L, idx, "skip_tests");
  o->po.n_show_only = str_list(L, idx, "show_only", &a);
  o->po.show_only = a;
  o->output_dir = opt_str(L, idx, "output_dir");
  o->check = opt_bool(L, idx, "check");
  read_lookup(L, idx, o);
  /* value flags, in command-line form: {{"set", "a=1"}, {"values", "f"}} */
  lua_getfield(L, idx, "flags");
  size_t n = lua_istable(L, -1) ? lua_rawlen(L, -1) : 0;
  o->flags = stack_array(L, n, sizeof *o->flags);
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, -2, (lua_Integer)i + 1);
    luaL_checktype(L, -1, LUA_TTABLE);
    lua_rawgeti(L, -1, 1);
    lua_rawgeti(L, -2, 2);
    const char *kind = lua_tostring(L, -2), *arg = lua_tostring(L, -1);
    if (!kind || !arg) luaL_error(L, "bad flag #%d (want {kind, argument})", (int)i + 1);
    size_t k = 0;
    while (k < sizeof vkinds / sizeof *vkinds && strcmp(vkinds[k].name, kind)) k++;
    if (k == sizeof vkinds / sizeof *vkinds) luaL_error(L, "unknown value flag kind '%s'", kind);
    o->flags[i].kind = vkinds[k].kind;
    o->flags[i].arg = arg;
    o->nflags++;
    lua_pop(L, 3);   /* the strings stay anchored in the flags table */
  }
  lua_remove(L, -2);
  /* values = {...}: merged over the flags' values, converted now */
  lua_getfield(L, idx, "values");
  if (!lua_isnil(L, -1)) {
    luaL_argexpected(L, lua_istable(L, -1), idx, "values table");
    o->values = kd_lua_tovalue(L, -1);   /* a box on the stack */
    lua_remove(L, -2);
  }
}

/* ---- rendering (no Lua calls until the result is pushed) ------------------ */

static int do_render(chart *c, ropts *o, work *w, kd_error *err)
{
  tpl_val extra = tpl_nil(), merged;
  int rc = chart_user_values(o->flags, o->nflags, &w->user, err);
  if (rc != KD_OK) return rc;
  if (o->values) {
    if (tpl_from_kd(o->values, 0, &extra) != KD_OK ||
        chart_merge_maps(w->user, extra, &merged) != KD_OK) {
      tpl_unref(extra);
      return kd_error_set(err, KD_ENOMEM, "out of memory");
    }
    tpl_unref(extra);
    tpl_unref(w->user);
    w->user = merged;
  }
  o->ro.error_text = &w->etext;
  return chart_render(c, w->user, &o->ro, &w->r, err);
}

static void set_str(lua_State *L, const char *k, const char *v)
{
  lua_pushstring(L, v);
  lua_setfield(L, -2, k);
}

/* Pushes the documents of one rendered text as decoded tables (`object`;
 * absent for a comment-only document). */
static void push_object(lua_State *L, const char *text, size_t len,
                        const char *source)
{
  kd_value *v = kd_lua_newbox(L);
  kd_error e = {0};
  if (yaml_decode(text, len, source, v, &e) == KD_OK && v->type == KD_OBJ)
    kd_lua_pushvalue(L, v);
  else
    lua_pushnil(L);
  lua_remove(L, -2);
}

static void push_manifest(lua_State *L, const chart_manifest *m)
{
  lua_createtable(L, 0, 12);
  set_str(L, "source", m->source);
  lua_pushlstring(L, m->content, m->len);
  lua_setfield(L, -2, "content");
  set_str(L, "api_version", m->api_version);
  set_str(L, "kind", m->obj_kind);
  set_str(L, "name", m->name);
  set_str(L, "namespace", m->namespace);
  if (m->hook_events) {
    set_str(L, "hook", m->hook_events);
    lua_pushinteger(L, m->weight);
    lua_setfield(L, -2, "weight");
    lua_pushboolean(L, m->is_test);
    lua_setfield(L, -2, "is_test");
  }
  if (m->kind != CHART_CRD) {
    push_object(L, m->content, m->len, m->source);
    lua_setfield(L, -2, "object");
  }
}

static void push_list(lua_State *L, const chart_manifest *m, size_t n, const char *k)
{
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    push_manifest(L, &m[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, k);
}

/* chart:render{values=, flags=, release=, namespace=, revision=,
 * is_upgrade=, kube_version=, api_versions=, skip_schema_validation=}
 *   -> {manifests=, hooks=, crds=, notes=}
 * Each manifest is {source, content, object, api_version, kind, name,
 * namespace[, hook, weight, is_test]} in Helm's install order; `object` is
 * the decoded document, a table a flow may change. crds are the chart
 * tree's crds/ files as they are ({source, content}). Raises a
 * kdeploy.error naming the template and line. */
static int m_render(lua_State *L)
{
  lchart *b = check_chart(L);
  ropts o;
  read_opts(L, 2, &o);
  work *w = push_work(L);
  kd_error err = {0};
  if (do_render(b->c, &o, w, &err) != KD_OK) return raise_full(L, &err, w);
  chart_result *r = w->r;
  lua_createtable(L, 0, 4);
  push_list(L, r->manifests, r->n_manifests, "manifests");
  push_list(L, r->hooks, r->n_hooks, "hooks");
  push_list(L, r->crds, r->n_crds, "crds");
  if (r->notes) set_str(L, "notes", r->notes);
  return 1;   /* the work box is collected */
}

/* chart:template{...render options, include_crds=, no_hooks=, skip_tests=,
 * show_only=, output_dir=, check=, write_to=} -> the text `helm template`
 * prints (or the "wrote PATH" lines with output_dir: nothing is written
 * unless every file can be). check=true checks the documents first. With
 * write_to (an open Lua file, e.g. io.stdout) the text is written there
 * instead and the call returns true: a large render is not copied into a
 * Lua string first. */
static int m_template(lua_State *L)
{
  lchart *b = check_chart(L);
  ropts o;
  read_opts(L, 2, &o);
  luaL_Stream *to = NULL;
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "write_to");
    if (!lua_isnil(L, -1)) {
      to = luaL_checkudata(L, -1, LUA_FILEHANDLE);
      if (!to->closef) luaL_error(L, "bad option 'write_to' (file is closed)");
    }
    lua_pop(L, 1);   /* the file stays anchored in the options table */
  }
  work *w = push_work(L);
  kd_error err = {0};
  int rc = do_render(b->c, &o, w, &err);
  const char *ns = o.ro.namespace ? o.ro.namespace : "default";
  if (rc == KD_OK && o.check) rc = chart_result_check(w->r, ns, &err);
  if (rc == KD_OK)
    rc = o.output_dir ? chart_result_write_dir(w->r, &o.po, o.output_dir, &w->out, &err)
                      : chart_result_print(w->r, &o.po, &w->out, &err);
  if (rc != KD_OK) return raise_full(L, &err, w);
  if (to) {
    if (w->out.len && fwrite(w->out.data, 1, w->out.len, to->f) != w->out.len)
      return luaL_fileresult(L, 0, NULL);
    lua_pushboolean(L, 1);
    return 1;
  }
  lua_pushlstring(L, w->out.data ? w->out.data : "", w->out.len);
  return 1;
}

static int m_tostring(lua_State *L)
{
  lchart *b = luaL_checkudata(L, 1, CHART_MT);
  if (b->c) lua_pushfstring(L, "kdeploy.chart(%s %s)", chart_name(b->c), chart_version(b->c));
  else lua_pushstring(L, "kdeploy.chart(closed)");
  return 1;
}

int luaopen_kdeploy_chart(lua_State *L)
{
  static const luaL_Reg fns[] = {{"load", l_load}, {NULL, NULL}};
  static const luaL_Reg methods[] = {
    {"name", m_name}, {"version", m_version}, {"values", m_values},
    {"render", m_render}, {"template", m_template}, {"close", m_close},
    {NULL, NULL}};
  kd_lua_init(L);
  if (luaL_newmetatable(L, CHART_MT)) {
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, m_close); lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, m_close); lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, m_tostring); lua_setfield(L, -2, "__tostring");
  }
  lua_pop(L, 1);
  if (luaL_newmetatable(L, WORK_MT)) {
    lua_pushcfunction(L, work_gc); lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  luaL_newlib(L, fns);
  return 1;
}
