/* lua/lchart.c: kdeploy.chart, Helm chart loading and rendering over
 * engine/chart. */
#include "chart/chart.h"
#include "kdeploy_lua.h"

#include <stdlib.h>
#include <string.h>

#define CHART_MT "kdeploy.chart"

typedef struct { chart *c; } lchart;

static lchart *check_chart(lua_State *L)
{
  lchart *b = luaL_checkudata(L, 1, CHART_MT);
  if (!b->c) luaL_error(L, "chart is closed");
  return b;
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
  kd_value_clear(v);
  return 1;
}

static const struct { const char *name; chart_vkind kind; } vkinds[] = {
  {"values", CHART_VALUES_FILE}, {"set", CHART_SET}, {"set_string", CHART_SET_STRING},
  {"set_file", CHART_SET_FILE}, {"set_json", CHART_SET_JSON},
  {"set_literal", CHART_SET_LITERAL},
};

/* Reads the render options table at IDX into O and the value flags; every
 * string stays on the Lua stack (anchored in the table). */
typedef struct {
  chart_render_opts ro;
  chart_print_opts po;
  chart_vflag *flags;
  size_t nflags;
  const char **apis, **show;
} ropts;

static const char *opt_str(lua_State *L, int idx, const char *k)
{
  lua_getfield(L, idx, k);
  const char *s = lua_isnil(L, -1) ? NULL : luaL_checkstring(L, -1);
  lua_pop(L, 1);
  return s;
}

static int opt_bool(lua_State *L, int idx, const char *k)
{
  lua_getfield(L, idx, k);
  int b = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return b;
}

static size_t str_list(lua_State *L, int idx, const char *k, const char ***out)
{
  lua_getfield(L, idx, k);
  size_t n = lua_istable(L, -1) ? lua_rawlen(L, -1) : 0;
  lua_pop(L, 1);
  *out = n ? calloc(n, sizeof **out) : NULL;
  if (n && !*out) luaL_error(L, "out of memory");
  lua_getfield(L, idx, k);
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, -1, (lua_Integer)i + 1);
    (*out)[i] = luaL_checkstring(L, -1);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return n;
}

static void read_opts(lua_State *L, int idx, ropts *o)
{
  memset(o, 0, sizeof *o);
  if (lua_isnoneornil(L, idx)) return;
  luaL_checktype(L, idx, LUA_TTABLE);
  o->ro.release = opt_str(L, idx, "release");
  o->ro.namespace = opt_str(L, idx, "namespace");
  o->ro.kube_version = opt_str(L, idx, "kube_version");
  lua_getfield(L, idx, "revision");
  o->ro.revision = (int)luaL_optinteger(L, -1, 1);
  lua_pop(L, 1);
  o->ro.is_upgrade = opt_bool(L, idx, "is_upgrade");
  o->ro.skip_schema = opt_bool(L, idx, "skip_schema_validation");
  o->ro.n_api_versions = str_list(L, idx, "api_versions", &o->apis);
  o->ro.api_versions = o->apis;
  o->po.include_crds = opt_bool(L, idx, "include_crds");
  o->po.no_hooks = opt_bool(L, idx, "no_hooks");
  o->po.skip_tests = opt_bool(L, idx, "skip_tests");
  o->po.n_show_only = str_list(L, idx, "show_only", &o->show);
  o->po.show_only = o->show;
  /* value flags: flags = {{"set", "a=1"}, {"values", "f.yaml"}, ...} */
  lua_getfield(L, idx, "flags");
  size_t n = lua_istable(L, -1) ? lua_rawlen(L, -1) : 0;
  o->flags = n ? calloc(n, sizeof *o->flags) : NULL;
  for (size_t i = 0; i < n && o->flags; i++) {
    lua_rawgeti(L, -1, (lua_Integer)i + 1);
    lua_rawgeti(L, -1, 1);
    const char *kind = luaL_checkstring(L, -1);
    lua_rawgeti(L, -2, 2);
    o->flags[i].arg = luaL_checkstring(L, -1);
    lua_pop(L, 3);
    size_t k = 0;
    while (k < sizeof vkinds / sizeof *vkinds && strcmp(vkinds[k].name, kind)) k++;
    if (k == sizeof vkinds / sizeof *vkinds) luaL_error(L, "unknown value flag kind '%s'", kind);
    o->flags[i].kind = vkinds[k].kind;
    o->nflags++;
  }
  lua_pop(L, 1);
}

static void free_opts(ropts *o)
{
  free(o->flags);
  free(o->apis);
  free(o->show);
}

/* Renders with the options at index 2; pushes nothing. Returns the result
 * (owned) or NULL with ERR set. */
static chart_result *do_render(lua_State *L, chart *c, ropts *o, kd_error *err)
{
  tpl_val user = tpl_nil(), extra = tpl_nil(), merged;
  chart_result *r = NULL;
  if (chart_user_values(o->flags, o->nflags, &user, err) != KD_OK) return NULL;
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "values");
    if (lua_istable(L, -1)) {
      kd_value *v = kd_lua_tovalue(L, -1);   /* box on the stack */
      int rc = tpl_from_kd(v, 0, &extra);
      lua_pop(L, 1);
      if (rc || chart_merge_maps(user, extra, &merged)) {
        tpl_unref(user);
        tpl_unref(extra);
        kd_error_set(err, KD_ENOMEM, "out of memory");
        return NULL;
      }
      tpl_unref(user);
      tpl_unref(extra);
      user = merged;
    }
    lua_pop(L, 1);
  }
  if (chart_render(c, user, &o->ro, &r, err) != KD_OK) r = NULL;
  tpl_unref(user);
  return r;
}

static void push_manifest(lua_State *L, const chart_manifest *m)
{
  lua_createtable(L, 0, 10);
  lua_pushstring(L, m->source); lua_setfield(L, -2, "source");
  lua_pushlstring(L, m->content, m->len); lua_setfield(L, -2, "content");
  lua_pushstring(L, m->api_version); lua_setfield(L, -2, "api_version");
  lua_pushstring(L, m->obj_kind); lua_setfield(L, -2, "kind");
  lua_pushstring(L, m->name); lua_setfield(L, -2, "name");
  lua_pushstring(L, m->namespace); lua_setfield(L, -2, "namespace");
  if (m->hook_events) {
    lua_pushstring(L, m->hook_events); lua_setfield(L, -2, "hook");
    lua_pushinteger(L, m->weight); lua_setfield(L, -2, "weight");
    lua_pushboolean(L, m->is_test); lua_setfield(L, -2, "is_test");
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

/* chart:render{values=, flags=, release=, namespace=, kube_version=,
 * api_versions=} -> {manifests=, hooks=, crds=, notes=}; each manifest is
 * {source, content, api_version, kind, name, namespace[, hook, weight,
 * is_test]} in Helm's order. Raises kdeploy.error with file:line. */
static int m_render(lua_State *L)
{
  lchart *b = check_chart(L);
  ropts o;
  read_opts(L, 2, &o);
  kd_error err = {0};
  chart_result *r = do_render(L, b->c, &o, &err);
  free_opts(&o);
  if (!r) return kd_lua_raise(L, &err);
  lua_createtable(L, 0, 4);
  push_list(L, r->manifests, r->n_manifests, "manifests");
  push_list(L, r->hooks, r->n_hooks, "hooks");
  push_list(L, r->crds, r->n_crds, "crds");
  if (r->notes) { lua_pushstring(L, r->notes); lua_setfield(L, -2, "notes"); }
  chart_result_free(r);
  return 1;
}

/* chart:template{...render options, include_crds=, no_hooks=, skip_tests=,
 * show_only=, output_dir=, check=} -> the text `helm template` prints (or
 * the "wrote PATH" lines with output_dir). */
static int m_template(lua_State *L)
{
  lchart *b = check_chart(L);
  ropts o;
  read_opts(L, 2, &o);
  const char *dir = lua_istable(L, 2) ? opt_str(L, 2, "output_dir") : NULL;
  int check = lua_istable(L, 2) ? opt_bool(L, 2, "check") : 0;
  kd_error err = {0};
  kd_buf out = {0};
  chart_result *r = do_render(L, b->c, &o, &err);
  int rc = r ? KD_OK : err.code;
  if (rc == KD_OK && check) rc = chart_result_check(r, o.ro.namespace ? o.ro.namespace : "default", &err);
  if (rc == KD_OK)
    rc = dir ? chart_result_write_dir(r, &o.po, dir, &out, &err)
             : chart_result_print(r, &o.po, &out, &err);
  chart_result_free(r);
  free_opts(&o);
  if (rc != KD_OK) { kd_buf_free(&out); return kd_lua_raise(L, &err); }
  lua_pushlstring(L, out.data ? out.data : "", out.len);
  kd_buf_free(&out);
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
  luaL_newlib(L, fns);
  return 1;
}
