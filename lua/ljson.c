/* lua/ljson.c: kdeploy.json, JSON codec over engine/json. */
#include "kdeploy_lua.h"
#include "json.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

/* ---- decoding straight into Lua -------------------------------------------
 * Two passes. json_tape_parse first records the document as a flat tape of
 * tokens, strings borrowed from the input: no Lua work happens there, so a
 * malformed text costs no Lua allocation, and every container's member
 * count is known before it is built. The tape is then replayed into tables
 * created at their final size, members set as they come: the Lua stack
 * holds only the open tables and their pending keys (two slots a nesting
 * level), however large the containers are.
 *
 * The tape, the build's frames and a string cache live in one decoder box
 * that Lua frees (so nothing leaks when an allocation error is raised
 * midway). The box is kept in the registry between decodes and taken out
 * while one runs: a decode started meanwhile (from a __gc metamethod run
 * by an allocation) makes its own, and a box lost to an error is
 * collected. */

#define DECODER_MT "kdeploy.json.decoder"
static const char decoder_key;   /* its address keys the kept box */
/* Buffers above this size are freed after a decode rather than kept. */
#define KEEP_BYTES ((size_t)1 << 20)

/* Kubernetes objects repeat the same short strings (keys above all:
 * "metadata", "name", "f:spec", "."): a direct-mapped cache of the Lua
 * strings made for them saves hashing and interning each again. Entry I's
 * string is kept alive at index I + 1 of a table, the box's user value. */
#define CACHE_BITS 10
#define CACHE_SLOTS (1u << CACHE_BITS)
#define CACHE_MAX_LEN 40         /* Lua's short strings (LUAI_MAXSHORTLEN) */

typedef struct {
  uint64_t head, tail;   /* the string's ends, as ends_of gives them */
  const char *s;         /* the cached Lua string's bytes */
  size_t len;
} cached;

typedef struct {
  size_t left;         /* members still to set */
  lua_Integer next;    /* arrays: the next index */
  int array;
} frame;

typedef struct {
  json_tape tape;
  kd_buf frames;       /* frame[]: the open containers */
  int cache_idx;       /* the cache's table, an absolute stack index */
  cached cache[CACHE_SLOTS];
} decoder;

/* The ends of S (1 <= LEN <= CACHE_MAX_LEN) as two words: its first and
 * last 8 bytes, or 4, or for LEN < 4 bytes 0, LEN / 2 and LEN - 1. They
 * cover every byte of a string up to 16 bytes long. */
static inline __attribute__((always_inline)) void
ends_of(const char *s, size_t len, uint64_t *head, uint64_t *tail)
{
  if (len >= 8) {
    memcpy(head, s, 8);
    memcpy(tail, s + len - 8, 8);
  } else if (len >= 4) {
    uint32_t x, y;
    memcpy(&x, s, 4);
    memcpy(&y, s + len - 4, 4);
    *head = x;
    *tail = y;
  } else {
    *head = (unsigned char)s[0] | (unsigned)(unsigned char)s[len / 2] << 8;
    *tail = (unsigned char)s[len - 1];
  }
}

/* Inlined: two call sites, a quarter million calls a 4,000-object run. */
static inline __attribute__((always_inline)) void
push_string(lua_State *L, decoder *d, const json_token *t)
{
  const char *s = json_token_str(&d->tape, t);
  size_t len = t->n;
  uint64_t head, tail;
  unsigned i;
  cached *c;
  if (len == 0 || len > CACHE_MAX_LEN) {
    lua_pushlstring(L, s, len);
    return;
  }
  ends_of(s, len, &head, &tail);
  i = (unsigned)(((head ^ (tail * 0x9E3779B97F4A7C15u) ^ len) *
                  0xFF51AFD7ED558CCDu) >> (64 - CACHE_BITS));
  c = &d->cache[i];
  if (c->len == len && c->head == head && c->tail == tail &&
      (len <= 16 || memcmp(c->s + 8, s + 8, len - 16) == 0)) {
    lua_rawgeti(L, d->cache_idx, (lua_Integer)i + 1);
    return;
  }
  c->s = lua_pushlstring(L, s, len);
  c->len = len;
  c->head = head;
  c->tail = tail;
  lua_pushvalue(L, -1);
  lua_rawseti(L, d->cache_idx, (lua_Integer)i + 1);
}

/* Replays the tape: leaves the root value on top of the stack, which has
 * room for it. NULL_IDX and ARRAY_MT are absolute stack indexes. */
static void build(lua_State *L, decoder *d, int null_idx, int array_mt)
{
  const json_token *t = json_tape_tokens(&d->tape);
  frame *open = (frame *)(void *)d->frames.data, *f;
  size_t depth = 0;
  for (;;) {
    if (depth > 0 && !open[depth - 1].array) push_string(L, d, t++);   /* key */
    switch (t->type) {
    case JSON_T_NULL: lua_pushvalue(L, null_idx); break;
    case JSON_T_FALSE: lua_pushboolean(L, 0); break;
    case JSON_T_TRUE: lua_pushboolean(L, 1); break;
    case JSON_T_INT: lua_pushinteger(L, (lua_Integer)t->u.i); break;
    case JSON_T_FLOAT: lua_pushnumber(L, (lua_Number)t->u.f); break;
    case JSON_T_STR: push_string(L, d, t); break;
    default: {
      int array = t->type == JSON_T_ARR;
      int n = t->n > INT_MAX ? INT_MAX : (int)t->n;   /* a size hint */
      lua_createtable(L, array ? n : 0, array ? 0 : n);
      if (array) {
        lua_pushvalue(L, array_mt);
        lua_setmetatable(L, -2);
      }
      if (t->n > 0) {   /* its members come next */
        f = &open[depth++];
        f->left = t->n;
        f->next = 1;
        f->array = array;
        t++;
        continue;
      }
    }
    }
    t++;
    /* the value on top is a member of the innermost open container */
    while (depth > 0) {
      f = &open[depth - 1];
      if (f->array) lua_rawseti(L, -2, f->next++);
      else lua_rawset(L, -3);
      if (--f->left > 0) break;
      depth--;   /* complete: the container is now the value on top */
    }
    if (depth == 0) return;
  }
}

static void trim(kd_buf *b)
{
  if (b->size > KEEP_BYTES) kd_buf_free(b);
}

static int decoder_gc(lua_State *L)
{
  decoder *d = lua_touserdata(L, 1);   /* only boxes have this __gc */
  json_tape_free(&d->tape);
  kd_buf_free(&d->frames);
  return 0;
}

/* Pushes the kept decoder (taking it out of the registry) or a new one,
 * then its cache table. */
static decoder *take_decoder(lua_State *L)
{
  decoder *d;
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &decoder_key) == LUA_TUSERDATA) {
    lua_pushnil(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &decoder_key);
    d = lua_touserdata(L, -1);
    lua_getiuservalue(L, -1, 1);
  } else {
    lua_pop(L, 1);
    d = lua_newuserdatauv(L, sizeof *d, 1);
    memset(d, 0, sizeof *d);
    if (luaL_newmetatable(L, DECODER_MT)) {
      lua_pushcfunction(L, decoder_gc);
      lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    lua_createtable(L, CACHE_SLOTS, 0);
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, -3, 1);
  }
  d->cache_idx = lua_gettop(L);
  return d;
}

/* Room for the build: its frames, and two stack slots a nesting level. */
static int make_room(lua_State *L, decoder *d, const char *source, kd_error *err)
{
  size_t depth = d->tape.max_depth;
  if (depth > (size_t)(INT_MAX - 8) / 2 || !lua_checkstack(L, 2 * (int)depth + 8))
    return kd_error_set(err, KD_ERANGE, "%s: value too large to decode",
                        source ? source : "<json>");
  d->frames.len = 0;
  if (kd_buf_reserve(&d->frames, depth * sizeof(frame)))
    return kd_error_set(err, KD_ENOMEM, "out of memory");
  return KD_OK;
}

int kd_lua_pushjson(lua_State *L, const char *data, size_t len,
                    const char *source, kd_error *err)
{
  int base = lua_gettop(L), rc;
  decoder *d;
  luaL_checkstack(L, 10, "decoding JSON");
  kd_lua_pushnull(L);
  luaL_getmetatable(L, KD_ARRAY_MT);
  d = take_decoder(L);   /* base + 3, its cache at base + 4 */
  rc = json_tape_parse(data, len, source, &d->tape, err);
  if (rc == KD_OK) rc = make_room(L, d, source, err);
  if (rc == KD_OK) build(L, d, base + 1, base + 2);
  trim(&d->tape.tokens);
  trim(&d->tape.text);
  trim(&d->frames);
  lua_pushvalue(L, base + 3);   /* the decoder, kept for the next decode */
  lua_rawsetp(L, LUA_REGISTRYINDEX, &decoder_key);
  if (rc != KD_OK) {
    lua_settop(L, base);
    return rc;
  }
  lua_replace(L, base + 1);     /* the value where the null was */
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
  kd_buf *out;
  kd_value *v;
  int flags = 0, rc;
  if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TTABLE);
  if (flag(L, 2, "pretty", 0)) flags |= JSON_PRETTY;
  if (flag(L, 2, "sort_keys", 1)) flags |= JSON_SORT_KEYS;
  if (flag(L, 2, "escape_html", 0)) flags |= JSON_ESCAPE_HTML;
  lua_settop(L, 1);
  out = kd_lua_newbuf(L);
  v = kd_lua_tovalue(L, 1);
  rc = json_encode(v, flags, out, &err);
  kd_value_clear(v);
  return kd_lua_encoded(L, rc, out, &err);
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
