/* lua/lalloc.c: the Lua state's allocator. Lua allocates small blocks by
 * the hundred thousand (tables, their node arrays, strings, closures: a
 * decoded object is some 75 of them) and frees them all again, in the
 * collector and at lua_close. Through malloc each costs ~150 instructions
 * one way and ~100 the other, for a heap that mostly grows: nearly every
 * malloc misses glibc's caches and splits the top chunk. Lua passes the
 * size of every block it frees or resizes, so blocks up to SMALL bytes
 * need no header: they are carved from large chunks in 16-byte size
 * classes and freed onto a list per class, which later allocations of the
 * class take first. Larger blocks are malloc's.
 *
 * A freed small block stays in its class for the state's lifetime (as
 * glibc keeps most of what is freed); the chunks go at kd_lua_close.
 * Built with AddressSanitizer, every block is malloc's instead, so that
 * ASan still sees each Lua allocation, its overflows and its reuse. */
#include "kdeploy_lua.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define KD_POOL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KD_POOL 0
#endif
#endif
#ifndef KD_POOL
#define KD_POOL 1
#endif

#define GRAIN 16                     /* malloc's alignment, and Lua's need */
#define SMALL 512                    /* larger blocks are malloc's */
#define CLASSES (SMALL / GRAIN)
#define CHUNK_MIN ((size_t)64 << 10)
#define CHUNK_MAX ((size_t)1 << 20)

typedef struct block { struct block *next; } block;

/* A chunk's header; its blocks follow, GRAIN-aligned. */
typedef union chunk {
  union chunk *next;
  char align[GRAIN];
} chunk;

struct kd_lalloc {
  block *free[CLASSES];   /* class c: blocks of (c + 1) * GRAIN bytes */
  char *bump, *end;       /* the newest chunk's unused part */
  chunk *chunks;
  size_t next_chunk;      /* the next chunk's size: they double to MAX */
};

/* The class of a block of N bytes, 1 <= N <= SMALL. */
static inline size_t class_of(size_t n)
{
  return (n - 1) / GRAIN;
}

static inline void push_free(kd_lalloc *a, void *p, size_t c)
{
  block *b = p;
  b->next = a->free[c];
  a->free[c] = b;
}

/* A new chunk to carve from; what is left of the old one (less than one
 * block of the class asked for) becomes a free block of its size. That
 * size is a class's exactly: chunks, their header and every block carved
 * are multiples of GRAIN. */
static int refill(kd_lalloc *a, size_t need)
{
  size_t left = (size_t)(a->end - a->bump), size = a->next_chunk;
  chunk *ch;
  if (size < sizeof *ch + need) size = sizeof *ch + need;
  if (!(ch = malloc(size))) return -1;
  if (left >= GRAIN) push_free(a, a->bump, class_of(left));
  ch->next = a->chunks;
  a->chunks = ch;
  a->bump = (char *)(ch + 1);
  a->end = (char *)ch + size;
  if (a->next_chunk < CHUNK_MAX) a->next_chunk *= 2;
  return 0;
}

/* A block of class C from its free list, else from the chunk; NULL when
 * the chunk has not room for one. Inlined into pool_alloc's fast path,
 * which must stay without a call. */
static inline __attribute__((always_inline)) void *take_block(kd_lalloc *a, size_t c)
{
  block *b = a->free[c];
  size_t size = (c + 1) * GRAIN;
  void *p;
  if (b) {
    a->free[c] = b->next;
    return b;
  }
  if ((size_t)(a->end - a->bump) < size) return NULL;
  p = a->bump;
  a->bump += size;
  return p;
}

/* take_block, with a new chunk when the old one has no room. */
static void *small_alloc(kd_lalloc *a, size_t c)
{
  void *p = take_block(a, c);
  if (p || refill(a, (c + 1) * GRAIN)) return p;
  return take_block(a, c);   /* the new chunk has room for it */
}

/* pool_alloc's other cases: a new block that needs a chunk or is large,
 * and resizes. OSIZE is 0 when PTR is NULL. */
static __attribute__((noinline)) void *
pool_slow(kd_lalloc *a, void *ptr, size_t osize, size_t nsize)
{
  void *p;
  if (osize > SMALL && nsize > SMALL) return realloc(ptr, nsize);
  if (ptr && osize <= SMALL && nsize <= SMALL && class_of(osize) == class_of(nsize))
    return ptr;
  p = nsize <= SMALL ? small_alloc(a, class_of(nsize)) : malloc(nsize);
  if (!p || !ptr) return p;
  memcpy(p, ptr, osize < nsize ? osize : nsize);
  if (osize > SMALL) free(ptr);
  else push_free(a, ptr, class_of(osize));
  return p;
}

/* lua_Alloc: OSIZE is the size of PTR's block when PTR is not NULL (else
 * it says what kind of object is made). Freeing a small block and making
 * one from its free list or the chunk are the common cases, kept here
 * without a call (so without saving registers). */
static void *pool_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
  kd_lalloc *a = ud;
  if (nsize == 0) {
    if (ptr && osize <= SMALL) push_free(a, ptr, class_of(osize));
    else free(ptr);
    return NULL;
  }
  if (!ptr) {
    if (nsize <= SMALL) {
      void *p = take_block(a, class_of(nsize));
      if (p) return p;
    }
    osize = 0;
  }
  return pool_slow(a, ptr, osize, nsize);
}

/* ASan builds: malloc's, as luaL_newstate's allocator is. */
static void *libc_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
  (void)ud;
  (void)osize;
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, nsize);
}

/* What luaL_newstate sets besides the allocator: a panic handler that
 * says what went wrong, and warnings, off until a "@on" control message
 * (lua -W's protocol, which warn() in Lua scripts expects). */
static int on_panic(lua_State *L)
{
  const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
                    : "error object is not a string";
  fprintf(stderr, "PANIC: unprotected error in call to Lua API (%s)\n", msg);
  fflush(stderr);
  return 0;   /* then Lua aborts */
}

static void warn_off(void *ud, const char *msg, int tocont);
static void warn_cont(void *ud, const char *msg, int tocont);

/* A control message ("@on", "@off"), or an ordinary one starting. */
static void warn_on(void *ud, const char *msg, int tocont)
{
  lua_State *L = ud;
  if (!tocont && msg[0] == '@') {
    if (strcmp(msg, "@off") == 0) lua_setwarnf(L, warn_off, L);
    return;
  }
  fputs("Lua warning: ", stderr);
  warn_cont(ud, msg, tocont);
}

static void warn_cont(void *ud, const char *msg, int tocont)
{
  lua_State *L = ud;
  fputs(msg, stderr);
  if (tocont) {
    lua_setwarnf(L, warn_cont, L);
  } else {
    fputs("\n", stderr);
    lua_setwarnf(L, warn_on, L);
  }
}

static void warn_off(void *ud, const char *msg, int tocont)
{
  lua_State *L = ud;
  if (!tocont && strcmp(msg, "@on") == 0) lua_setwarnf(L, warn_on, L);
}

lua_State *kd_lua_newstate(kd_lalloc **out)
{
  kd_lalloc *a = NULL;
  lua_State *L;
  *out = NULL;
  if (KD_POOL) {
    if (!(a = calloc(1, sizeof *a))) return NULL;
    a->next_chunk = CHUNK_MIN;
    L = lua_newstate(pool_alloc, a);
  } else {
    L = lua_newstate(libc_alloc, NULL);
  }
  if (!L) {
    free(a);
    return NULL;
  }
  lua_atpanic(L, on_panic);
  lua_setwarnf(L, warn_off, L);
  *out = a;
  return L;
}

void kd_lua_close(lua_State *L, kd_lalloc *a)
{
  lua_close(L);
  if (!a) return;
  while (a->chunks) {
    chunk *ch = a->chunks;
    a->chunks = ch->next;
    free(ch);
  }
  free(a);
}
