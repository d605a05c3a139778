/* lua/kdeploy_lua.h: what the binding files share: the luaopen_* list,
 * kd_value <-> Lua conversion, error raising, options-table fields, the
 * embedded stdlib. */
#ifndef KDEPLOY_LUA_H
#define KDEPLOY_LUA_H

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "kd.h"
#include "value.h"

#define KD_NULL_KEY "kdeploy.null"      /* registry: the null sentinel */
#define KD_ARRAY_MT "kdeploy.array"     /* metatable marking arrays */
#define KD_ERROR_MT "kdeploy.error"     /* metatable of error objects */
#define KD_BOX_MT "kdeploy.valuebox"    /* userdata owning a kd_value */
#define KD_BUFBOX_MT "kdeploy.bufbox"   /* userdata owning a kd_buf */
#define KD_PATH_KEY "kdeploy.path"      /* registry: module override dirs */

/* One embedded stdlib module (generated into build/gen/stdlib.c). */
typedef struct kd_embedded {
  const char *name, *path;
  const unsigned char *src;
  size_t len;
} kd_embedded;
extern const kd_embedded kd_stdlib[];
/* Every luaopen_kdeploy_* (generated into build/gen/preload.c). */
extern const luaL_Reg kd_preload[];

/* lua/lalloc.c: a Lua state as luaL_newstate makes it (panic handler,
 * warnings off until "@on"), with kdeploy's allocator, whose memory *A
 * holds; kd_lua_close closes the state and frees it. NULL when out of
 * memory. */
typedef struct kd_lalloc kd_lalloc;
lua_State *kd_lua_newstate(kd_lalloc **a);
void kd_lua_close(lua_State *L, kd_lalloc *a);

/* Registers the null sentinel and the array, error, value-box and
 * buffer-box metatables in L's registry (idempotent). Called by main
 * before anything else. */
void kd_lua_init(lua_State *L);
/* Pushes kdeploy.null. */
void kd_lua_pushnull(lua_State *L);
/* True when the value at IDX is kdeploy.null. */
int kd_lua_isnull(lua_State *L, int idx);

/* Pushes a userdata that owns a kd_value (freed by __gc) and returns the
 * value: engine results go there first so a Lua error cannot leak them. */
kd_value *kd_lua_newbox(lua_State *L);
/* Converts the Lua value at IDX into a new box pushed on the stack; raises
 * on values JSON cannot hold (functions, cycles). Returns the kd_value. */
kd_value *kd_lua_tovalue(lua_State *L, int idx);
/* Pushes V as Lua: objects -> tables, arrays -> tables with the array
 * metatable, null -> kdeploy.null, ints -> integers. */
void kd_lua_pushvalue(lua_State *L, const kd_value *v);
/* Decodes JSON text straight into Lua values (no kd_value in between) and
 * pushes the result. On malformed input pushes nothing, returns KD_EPARSE
 * and fills ERR ("SOURCE:LINE:COL: what"). DATA must stay alive. */
int kd_lua_pushjson(lua_State *L, const char *data, size_t len,
                    const char *source, kd_error *err);

/* Raises a kdeploy.error built from ERR (reason from its code). */
int kd_lua_raise(lua_State *L, const kd_error *err);
/* Pushes a kdeploy.error table {code, reason, message, line, col}. */
void kd_lua_pusherror(lua_State *L, const kd_error *err);
/* Pushes a userdata that owns an empty kd_buf (its data freed by __gc)
 * and returns the buffer: an encoder writes there, so no Lua error can
 * leak what it wrote. */
kd_buf *kd_lua_newbuf(lua_State *L);
/* The end of an encoder's binding: RC KD_OK pushes OUT (from
 * kd_lua_newbuf) as a string and returns 1, else raises ERR. OUT's data
 * is freed at once either way. */
int kd_lua_encoded(lua_State *L, int rc, kd_buf *out, const kd_error *err);

/* Field K of the options table at index T: NULL / DFLT when nil. The
 * string one takes strings only (the table keeps the one returned alive)
 * and raises "option K: a string expected, got TYPE" for anything else;
 * the numbers raise as luaL_checkinteger / checknumber do. The stack is
 * left as it was. */
const char *kd_lua_optfield_str(lua_State *L, int t, const char *k);
lua_Integer kd_lua_optfield_int(lua_State *L, int t, const char *k,
                                lua_Integer dflt);
lua_Number kd_lua_optfield_num(lua_State *L, int t, const char *k,
                               lua_Number dflt);

/* The Lua state's event loop (engine/loop), created on first use. */
struct loop;
struct loop *kd_lua_loop(lua_State *L);

/* A kube client box (kdeploy.core.kube), shared with the watch binding. */
#define KD_CLIENT_MT "kdeploy.kube.client"
typedef struct kd_lclient {
  struct kube_client *c;          /* NULL once closed */
  struct lreq *reqs;              /* requests still in flight */
  void (*on_close)(void *ctx);    /* set by lwatch: stops its watches */
  void *on_close_ctx;
} kd_lclient;
/* The client box at IDX; raises when it is not one or is closed. */
kd_lclient *kd_lua_checkclient(lua_State *L, int idx);

int luaopen_kdeploy_core(lua_State *L);
int luaopen_kdeploy_core_loop(lua_State *L);
int luaopen_kdeploy_core_task(lua_State *L);
int luaopen_kdeploy_core_kube(lua_State *L);
int luaopen_kdeploy_core_watch(lua_State *L);
int luaopen_kdeploy_json(lua_State *L);
int luaopen_kdeploy_yaml(lua_State *L);
int luaopen_kdeploy_core_sim(lua_State *L);
int luaopen_kdeploy_chart(lua_State *L);

#endif
