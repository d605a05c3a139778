/* lua/main.c: the kdeploy host. Starts a Lua state, preloads every C module,
 * installs the stdlib searcher (KDEPLOY_PATH / --lua-path first, then the
 * stdlib compiled into the binary) and hands argv to kdeploy.cli. */
#define _GNU_SOURCE
#include "kdeploy_lua.h"

#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* A run of kdeploy is short and allocation-heavy (a render builds and
 * drops trees of every document): most of its time went to page faults,
 * which cost tens of microseconds each on virtual machines. So the heap
 * grows in large steps, is never trimmed, holds big buffers too (no
 * mmap/munmap per large string), and is backed by transparent huge pages
 * where the kernel offers them (one fault per 2 MB instead of per 4 KB).
 * Only what is touched becomes resident. */
static void tune_heap(void)
{
  const uintptr_t huge = (uintptr_t)2 << 20, page = 4096;
  mallopt(M_TOP_PAD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  /* Put the break one page below a 2 MB boundary: malloc's first step
   * writes its headers in that page only, so the heap above the boundary
   * is still untouched when it is marked for huge pages (a 2 MB range
   * that already has a small page never gets a huge one). */
  char *cur = sbrk(0);
  if (cur == (char *)-1) return;
  uintptr_t target = ((uintptr_t)cur + page + huge - 1) / huge * huge - page;
  if (sbrk((intptr_t)(target - (uintptr_t)cur)) == (void *)-1) return;
  void *p = malloc(64);   /* the heap takes its first (32 MB) step */
  char *lo = (char *)(target + page), *hi = sbrk(0);
  if (p && hi != (char *)-1 && hi > lo)
    madvise(lo, (size_t)(hi - lo), MADV_HUGEPAGE);   /* a hint; may fail */
  free(p);
}

static int try_file(lua_State *L, const char *dir, const char *rel,
                    const char *suffix)
{
  FILE *f;
  lua_pushfstring(L, "%s/%s%s", dir, rel, suffix);
  f = fopen(lua_tostring(L, -1), "r");
  if (!f) {
    lua_pop(L, 1);
    return 0;
  }
  fclose(f);
  return 1;   /* leaves the file name on the stack */
}

/* package.searchers entry: override dirs first, then the embedded stdlib.
 * Returns loader + origin, or a string saying where it looked. */
static int searcher(lua_State *L)
{
  const char *name = luaL_checkstring(L, 1);
  const kd_embedded *e;
  lua_Integer i, n;
  const char *rel;
  luaL_gsub(L, name, ".", "/");
  rel = lua_tostring(L, -1);
  lua_getfield(L, LUA_REGISTRYINDEX, KD_PATH_KEY);
  n = (lua_Integer)luaL_len(L, -1);
  for (i = 1; i <= n; i++) {
    const char *dir;
    lua_geti(L, -1, i);
    dir = lua_tostring(L, -1);
    if (dir && (try_file(L, dir, rel, ".lua") ||
                try_file(L, dir, rel, "/init.lua"))) {
      const char *file = lua_tostring(L, -1);
      if (luaL_loadfilex(L, file, "t") != LUA_OK)
        return luaL_error(L, "error loading module '%s' from '%s':\n\t%s",
                          name, file, lua_tostring(L, -1));
      lua_insert(L, -2);   /* loader, file name */
      return 2;
    }
    lua_pop(L, 1);
  }
  for (e = kd_stdlib; e->name; e++) {
    if (strcmp(e->name, name) != 0) continue;
    lua_pushfstring(L, "@%s", e->path);
    if (luaL_loadbufferx(L, (const char *)e->src, e->len, lua_tostring(L, -1),
                         "t") != LUA_OK)
      return lua_error(L);
    lua_pushstring(L, e->path);
    return 2;
  }
  lua_pushfstring(L, "no module '%s' in KDEPLOY_PATH or the kdeploy stdlib",
                  name);
  return 1;
}

/* Override dirs: --lua-path flags given before the command, then the
 * colon-separated KDEPLOY_PATH. kdeploy.cli may append more at run time. */
static void set_path(lua_State *L, int argc, char **argv)
{
  const char *env = getenv("KDEPLOY_PATH");
  int i, n = 0;
  lua_newtable(L);
  for (i = 1; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "--lua-path") == 0 && i + 1 < argc) {
      lua_pushstring(L, argv[++i]);
      lua_rawseti(L, -2, ++n);
    } else if (strncmp(argv[i], "--lua-path=", 11) == 0) {
      lua_pushstring(L, argv[i] + 11);
      lua_rawseti(L, -2, ++n);
    }
  }
  while (env && *env) {
    const char *colon = strchr(env, ':');
    size_t len = colon ? (size_t)(colon - env) : strlen(env);
    if (len) {
      lua_pushlstring(L, env, len);
      lua_rawseti(L, -2, ++n);
    }
    env += len + (colon ? 1 : 0);
  }
  lua_setfield(L, LUA_REGISTRYINDEX, KD_PATH_KEY);
}

static void install_searcher(lua_State *L)
{
  const luaL_Reg *r;
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "preload");
  for (r = kd_preload; r->name; r++) {
    lua_pushcfunction(L, r->func);
    lua_setfield(L, -2, r->name);
  }
  lua_pop(L, 1);
  lua_getfield(L, -1, "searchers");
  lua_pushcfunction(L, searcher);   /* right after the preload searcher */
  for (lua_Integer i = (lua_Integer)luaL_len(L, -2) + 1; i > 2; i--) {
    lua_geti(L, -2, i - 1);
    lua_seti(L, -3, i);
  }
  lua_seti(L, -2, 2);
  lua_pop(L, 2);
}

/* Message handler: a traceback only when KDEPLOY_DEBUG is set. A plain
 * table raised as an error prints its `message` field. */
static int msgh(lua_State *L)
{
  const char *msg;
  if (lua_type(L, 1) == LUA_TTABLE && !luaL_getmetafield(L, 1, "__tostring") &&
      lua_getfield(L, 1, "message") == LUA_TSTRING) {
    lua_replace(L, 1);
  }
  lua_settop(L, 1);
  msg = luaL_tolstring(L, 1, NULL);
  if (getenv("KDEPLOY_DEBUG")) luaL_traceback(L, L, msg, 1);
  return 1;
}

static int run_cli(lua_State *L)
{
  int argc = (int)lua_tointeger(L, 1);
  char **argv = lua_touserdata(L, 2);
  int i;
  lua_getglobal(L, "require");
  lua_pushliteral(L, "kdeploy.cli");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "main");
  lua_createtable(L, argc, 0);
  for (i = 1; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i);
  }
  lua_call(L, 1, 1);
  return 1;
}

int main(int argc, char **argv)
{
  /* a server (kdeploy sim) runs for hours: glibc's defaults suit it */
  if (!(argc > 1 && strcmp(argv[1], "sim") == 0)) tune_heap();
  kd_lalloc *heap;
  lua_State *L = kd_lua_newstate(&heap);
  int status, code;
  if (!L) {
    fputs("kdeploy: cannot create Lua state\n", stderr);
    return 1;
  }
  luaL_openlibs(L);
  kd_lua_init(L);
  set_path(L, argc, argv);
  install_searcher(L);
  lua_pushcfunction(L, msgh);
  lua_pushcfunction(L, run_cli);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  status = lua_pcall(L, 2, 1, 1);
  if (status != LUA_OK) {
    fprintf(stderr, "kdeploy: %s\n", lua_tostring(L, -1));
    code = 1;
  } else {
    code = lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) : 0;
  }
  fflush(stdout);
  kd_lua_close(L, heap);
  return code;
}
