/* lua/ltask.c: kdeploy.core.task, the hot core of kdeploy.task's
 * scheduler: making a task, the run queue, the idle worker pool, the resume
 * loop, the common end of a task (done, one wait counting it down) and the
 * common wake (one task parked on a ready loop id). Parking, waiting,
 * cancelling and every rarer case stay in stdlib/kdeploy/task.lua, which
 * hands this module its tables, sentinels and functions once (init).
 * Interpreted, that bookkeeping cost more per task than a GET's own Lua.
 *
 * A task is the Lua table of task.lua, read and written raw here (none of
 * the keys is a Task method): status, fn, nargs, cancel_req, co (its
 * worker while it runs), nres and the results t[1..nres], groups,
 * done_id, parked, parked_id. */
#include "kdeploy_lua.h"
#include "loop.h"

#define POOL_MAX 1024   /* idle workers kept for the next tasks */

/* Slots of the state table (upvalue 1). */
enum {
  S_RUNNING = 1,  /* the task resumed last (a stack through nested runs) */
  S_FINISH,   /* task.lua's finish(t, ok, err) */
  S_WORK,     /* a worker's body */
  S_DONE,     /* what a worker yields when its task returned */
  S_PARK,     /* what a parking task yields */
  S_CANCEL,   /* what a cancelled task is resumed with */
  S_START,    /* task.lua's `starting`: [1] is the task a worker starts */
  S_TASK,     /* the kdeploy.task table (its wake, which users may override) */
  S_WAITING,  /* task.lua's waiting: loop id -> waiter(s) */
  S_WAKE,     /* task.lua's own task.wake */
  S_TASK_MT,  /* the metatable of tasks */
  S_N = S_TASK_MT
};

/* Upvalues 3..5: queued waiters qw[head .. tail-1], the values they are
 * resumed with qv[...], idle workers pool[1 .. npool]. */
#define UP_QW lua_upvalueindex(3)
#define UP_QV lua_upvalueindex(4)
#define UP_POOL lua_upvalueindex(5)

/* Upvalues 6..: the strings used as keys and states, pushed once rather
 * than interned on every access. Task tables are read and written raw:
 * none of these keys is a Task method. */
#define KEYS(X) X(STATUS, "status") X(CO, "co") X(NRES, "nres") \
  X(CANCEL_REQ, "cancel_req") X(GROUPS, "groups") X(ID, "id") \
  X(DEAD, "dead") X(REMAINING, "remaining") X(DONE_ID, "done_id") \
  X(READY, "ready") X(WAITING, "waiting") X(RUNNING, "running") \
  X(DONE, "done") X(PARKED, "parked") X(PARKED_ID, "parked_id") \
  X(WAKE, "wake") X(FN, "fn") X(NARGS, "nargs")
#define KEY_ENUM(name, str) K_##name,
enum { K_FIRST = 5, KEYS(KEY_ENUM) K_LAST };
#define KEY_STR(name, str) str,
static const char *const key_names[] = {KEYS(KEY_STR)};
#define KEY(k) lua_upvalueindex(K_##k)

/* t[k] (raw) pushed; returns its type. */
static int get(lua_State *L, int t, int k)
{
  lua_pushvalue(L, k);
  return lua_rawget(L, t);
}

/* t[k] = the value at the top (popped). */
static void set(lua_State *L, int t, int k)
{
  lua_pushvalue(L, k);
  lua_insert(L, -2);
  lua_rawset(L, t);
}

/* t[k] = the value at upvalue v. */
static void setup(lua_State *L, int t, int k, int v)
{
  lua_pushvalue(L, k);
  lua_pushvalue(L, v);
  lua_rawset(L, t);
}

typedef struct {
  lua_Integer head, tail;   /* the run queue's bounds */
  lua_Integer npool;        /* idle workers */
  lua_State *running_co;    /* S_RUNNING's worker, NULL when none */
} sched;

/* Queues the waiter at W to be resumed with the value at V (0: nil; the
 * slot qv[tail] is nil already, run clears what it takes). */
static void enqueue(lua_State *L, sched *s, int w, int v)
{
  lua_pushvalue(L, UP_QW);
  lua_pushvalue(L, w);
  lua_rawseti(L, -2, s->tail);
  lua_pop(L, 1);
  if (v) {
    lua_pushvalue(L, UP_QV);
    lua_pushvalue(L, v);
    lua_rawseti(L, -2, s->tail);
    lua_pop(L, 1);
  }
  s->tail++;
}

#define STATE lua_upvalueindex(1)
#define SCHED(L) ((sched *)lua_touserdata(L, lua_upvalueindex(2)))

/* ctask.init(finish, work, DONE, PARK, CANCEL, starting, task, waiting,
 *            Task) */
static int l_init(lua_State *L)
{
  int i;
  luaL_checktype(L, 1, LUA_TFUNCTION);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  luaL_checktype(L, 6, LUA_TTABLE);
  luaL_checktype(L, 7, LUA_TTABLE);
  luaL_checktype(L, 8, LUA_TTABLE);
  luaL_checktype(L, 9, LUA_TTABLE);
  lua_pushvalue(L, 9);
  lua_rawseti(L, STATE, S_TASK_MT);
  lua_getfield(L, 7, "wake");
  luaL_checktype(L, -1, LUA_TFUNCTION);
  lua_rawseti(L, STATE, S_WAKE);
  for (i = 0; i < 8; i++) {
    lua_pushvalue(L, i + 1);
    lua_rawseti(L, STATE, S_FINISH + i);
  }
  return 0;
}

/* ctask.push(w, v): queues waiter w to be resumed with v. */
static int l_push(lua_State *L)
{
  lua_settop(L, 2);
  enqueue(L, SCHED(L), 1, lua_isnil(L, 2) ? 0 : 2);
  return 0;
}

/* ctask.spawn(fn, ...) -> t: task.spawn. The arguments are t[1..nargs];
 * the hash part has room for what the scheduler sets later. */
static int l_spawn(lua_State *L)
{
  sched *s = SCHED(L);
  int i, n = lua_gettop(L) - 1, t;
  if (lua_type(L, 1) != LUA_TFUNCTION) {
    if (n < 0 || luaL_getmetafield(L, 1, "__call") == LUA_TNIL)
      return luaL_error(L, "spawn: bad argument #1 (function expected)");
    lua_pop(L, 1);
  }
  lua_createtable(L, n, 8);
  t = lua_gettop(L);
  for (i = 1; i <= n; i++) {
    lua_pushvalue(L, i + 1);
    lua_rawseti(L, t, i);
  }
  setup(L, t, KEY(STATUS), KEY(READY));
  lua_pushvalue(L, 1);
  set(L, t, KEY(FN));
  lua_pushinteger(L, n);
  set(L, t, KEY(NARGS));
  lua_rawgeti(L, STATE, S_TASK_MT);
  lua_setmetatable(L, t);
  enqueue(L, s, t, 0);
  return 1;
}

/* ctask.pending() -> number of queued waiters. */
static int l_pending(lua_State *L)
{
  sched *s = SCHED(L);
  lua_pushinteger(L, s->tail - s->head);
  return 1;
}

/* ctask.current() -> the running task, or nil outside one (also inside a
 * user's own coroutine, and where the task cannot yield because C called
 * back into Lua). */
static int l_current(lua_State *L)
{
  sched *s = SCHED(L);
  if (s->running_co != L || !lua_isyieldable(L)) return 0;
  lua_rawgeti(L, STATE, S_RUNNING);
  return 1;
}

#define set_status(L, t, k) setup(L, t, KEY(STATUS), KEY(k))

static void call_finish(lua_State *L, int t, int ok, int err)
{
  lua_rawgeti(L, STATE, S_FINISH);
  lua_pushvalue(L, t);
  lua_pushboolean(L, ok);
  if (err) lua_pushvalue(L, err); else lua_pushnil(L);
  lua_call(L, 3, 0);
}

/* The worker at the top of L: an idle one, else a new one. */
static void push_worker(lua_State *L, sched *s)
{
  lua_State *co;
  if (s->npool > 0) {
    lua_pushvalue(L, UP_POOL);
    lua_rawgeti(L, -1, s->npool);
    lua_pushnil(L);
    lua_rawseti(L, -3, s->npool);
    s->npool--;
    lua_remove(L, -2);
    return;
  }
  co = lua_newthread(L);
  lua_rawgeti(L, STATE, S_WORK);
  lua_xmove(L, co, 1);
}

/* task.wake(id of the table at G), through the task table: an override
 * is honoured. */
static void wake_group(lua_State *L, int g)
{
  lua_rawgeti(L, STATE, S_TASK);
  lua_getfield(L, -1, "wake");
  get(L, g, KEY(ID));
  lua_call(L, 1, 0);
  lua_pop(L, 1);
}

/* Ends task T, which returned: the common case (no group, or one group
 * that a wait_tasks counts down, and nobody asked for its id) here, the
 * rest by task.lua's finish. */
static void finish_done(lua_State *L, int t)
{
  int g, groups = get(L, t, KEY(GROUPS));
  int has_id = get(L, t, KEY(DONE_ID)) != LUA_TNIL;
  lua_pop(L, 1);
  set_status(L, t, DONE);
  if (groups == LUA_TNIL && !has_id) return;
  g = lua_gettop(L);
  if (has_id || groups != LUA_TTABLE || get(L, g, KEY(ID)) == LUA_TNIL) {
    call_finish(L, t, 1, 0);
    return;
  }
  lua_pushnil(L);
  set(L, t, KEY(GROUPS));
  if (get(L, g, KEY(DEAD)) != LUA_TNIL && lua_toboolean(L, -1)) return;
  get(L, g, KEY(REMAINING));
  lua_pushinteger(L, lua_tointeger(L, -1) - 1);
  lua_pushvalue(L, -1);
  set(L, g, KEY(REMAINING));
  if (lua_tointeger(L, -1) == 0) {
    lua_pushboolean(L, 1);
    set(L, g, KEY(DEAD));
    wake_group(L, g);
  }
}

/* The task at T returned: its results are the NRES values from BASE on
 * (after the DONE marker), kept in t[1..n]; its worker CO goes idle. */
static void task_done(lua_State *L, sched *s, int t, int co, int base, int nres)
{
  int i, n = nres - 1;
  for (i = 1; i <= n; i++) {
    lua_pushvalue(L, base + i);
    lua_rawseti(L, t, i);
  }
  lua_pushinteger(L, n);
  set(L, t, KEY(NRES));
  lua_pushnil(L);
  set(L, t, KEY(CO));
  if (s->npool < POOL_MAX) {
    lua_pushvalue(L, UP_POOL);
    lua_pushvalue(L, co);
    lua_rawseti(L, -2, ++s->npool);
    lua_pop(L, 1);
  }
  finish_done(L, t);
}

/* After a resume of task T on CO: finished (returned or raised), parked,
 * or a plain coroutine.yield (run again later). */
static void after(lua_State *L, sched *s, int t, int co, lua_State *C,
                  int status, int nres)
{
  int base = lua_gettop(L) + 1;
  if (status != LUA_OK && status != LUA_YIELD) {
    lua_xmove(C, L, 1);
    lua_pushnil(L);
    set(L, t, KEY(CO));
    call_finish(L, t, 0, base);
    return;
  }
  if (!lua_checkstack(L, nres + LUA_MINSTACK)) {
    /* The results cannot cross to this stack: the task fails with that,
     * and its worker, still holding them mid-yield, is dropped. */
    lua_pushfstring(L, "task returned too many results (%d)", nres - 1);
    lua_pushnil(L);
    set(L, t, KEY(CO));
    call_finish(L, t, 0, base);
    return;
  }
  lua_xmove(C, L, nres);
  lua_rawgeti(L, STATE, S_DONE);
  if (nres > 0 && lua_rawequal(L, base, -1)) {
    lua_pop(L, 1);
    task_done(L, s, t, co, base, nres);
    return;
  }
  lua_rawgeti(L, STATE, S_PARK);
  if (nres > 0 && lua_rawequal(L, base, -1)) {
    set_status(L, t, WAITING);
    return;
  }
  set_status(L, t, READY);
  enqueue(L, s, t, 0);
}

/* Resumes task T with the value at V, if it is ready or waiting. */
static void resume(lua_State *L, sched *s, int t, int v)
{
  int co, nargs = 1, status, nres = 0, outer;
  lua_State *C, *outer_co;
  if (lua_type(L, t) != LUA_TTABLE) return;
  get(L, t, KEY(STATUS));
  if (!lua_rawequal(L, -1, KEY(READY)) && !lua_rawequal(L, -1, KEY(WAITING)))
    return;
  if (get(L, t, KEY(CANCEL_REQ)) != LUA_TNIL && lua_toboolean(L, -1)) {
    lua_rawgeti(L, STATE, S_CANCEL);
    lua_replace(L, v);
    lua_pushnil(L);
    set(L, t, KEY(CANCEL_REQ));
  }
  set_status(L, t, RUNNING);
  if (get(L, t, KEY(CO)) == LUA_TNIL) {   /* first run */
    lua_pop(L, 1);
    push_worker(L, s);
    lua_pushvalue(L, -1);
    set(L, t, KEY(CO));
    nargs = 0;
  }
  co = lua_gettop(L);
  C = lua_tothread(L, co);
  if (!C) luaL_error(L, "task worker is no coroutine");
  if (!lua_checkstack(C, 1)) luaL_error(L, "too many arguments to resume");
  if (nargs == 0) {             /* start_task takes the task from starting */
    lua_rawgeti(L, STATE, S_START);
    lua_pushvalue(L, t);
    lua_rawseti(L, -2, 1);
    lua_pop(L, 1);
  } else {
    lua_pushvalue(L, v);
    lua_xmove(L, C, 1);
  }
  lua_rawgeti(L, STATE, S_RUNNING);
  outer = lua_gettop(L);
  outer_co = s->running_co;
  lua_pushvalue(L, t);
  lua_rawseti(L, STATE, S_RUNNING);
  s->running_co = C;         /* C is on this stack (co) until restored */
  status = lua_resume(C, L, nargs, &nres);
  s->running_co = outer_co;
  lua_pushvalue(L, outer);
  lua_rawseti(L, STATE, S_RUNNING);
  after(L, s, t, co, C, status, nres);
}

/* Wakes the waiters of loop id ID as task.wake does; the one task parked
 * on ID alone (a request's handle: the common case) here, the rest by
 * calling task.wake, and every id so when a user replaced it. The state
 * table, waiting and task.wake are at 1, 2 and 3. */
static void wake(lua_State *L, sched *s, lua_Integer id, int own)
{
  int w;
  if (!own) {
    lua_pushvalue(L, 3);
    lua_pushinteger(L, id);
    lua_call(L, 1, 0);
    return;
  }
  if (lua_rawgeti(L, 2, id) != LUA_TTABLE) {
    lua_pop(L, 1);
    return;
  }
  w = lua_gettop(L);
  if (get(L, w, KEY(PARKED)) != LUA_TBOOLEAN || !lua_toboolean(L, -1) ||
      get(L, w, KEY(STATUS)) == LUA_TNIL) {  /* several, an array, a driver */
    lua_settop(L, 3);
    wake(L, s, id, 0);
    return;
  }
  lua_pushnil(L);
  lua_rawseti(L, 2, id);
  lua_pushnil(L);
  set(L, w, KEY(PARKED));
  lua_pushnil(L);
  set(L, w, KEY(PARKED_ID));
  lua_pushinteger(L, id);
  enqueue(L, s, w, lua_gettop(L));
  lua_settop(L, 3);
}

/* ctask.poll([timeout]) -> n: waits for the loop as loop.run does and
 * wakes (task.wake) the N ids that became ready, without an array. */
static int l_poll(lua_State *L)
{
  double timeout = luaL_optnumber(L, 1, -1);
  loop *l = kd_lua_loop(L);
  sched *s = SCHED(L);
  kd_error err = {0};
  loop_id ids[256];
  size_t n, i, total = 0;
  int own, rc = loop_run(l, timeout, &err);
  if (rc < 0) return kd_lua_raise(L, &err);
  lua_settop(L, 0);
  lua_pushvalue(L, STATE);
  lua_rawgeti(L, 1, S_WAITING);
  lua_rawgeti(L, 1, S_TASK);
  lua_pushvalue(L, KEY(WAKE));
  lua_rawget(L, -2);               /* task.wake, maybe a user's */
  lua_replace(L, 3);
  lua_rawgeti(L, 1, S_WAKE);
  own = lua_rawequal(L, 3, 4);
  lua_settop(L, 3);
  while ((n = loop_take_ready(l, ids, sizeof ids / sizeof ids[0])) > 0)
    for (i = 0; i < n; i++, total++) wake(L, s, (lua_Integer)ids[i], own);
  lua_pushinteger(L, (lua_Integer)total);
  return 1;
}

/* ctask.run(): resumes queued waiters until none is left. */
static int l_run(lua_State *L)
{
  sched *s = SCHED(L);
  lua_settop(L, 0);
  lua_pushvalue(L, UP_QW);
  lua_pushvalue(L, UP_QV);
  while (s->head < s->tail) {
    lua_Integer i = s->head;
    lua_rawgeti(L, 1, i);
    lua_rawgeti(L, 2, i);
    lua_pushnil(L);
    lua_rawseti(L, 1, i);
    lua_pushnil(L);
    lua_rawseti(L, 2, i);
    s->head = i + 1;
    resume(L, s, 3, 4);
    lua_settop(L, 2);
  }
  s->head = s->tail = 1;   /* empty: reuse the array part from the start */
  return 0;
}

/* ctask.new() -> a scheduler core of its own: {init, push, pending,
 * current, run, poll, spawn}, one per kdeploy.task module loaded (as the
 * module's locals were before). */
static int l_new(lua_State *L)
{
  static const luaL_Reg fns[] = {
    {"init", l_init}, {"push", l_push}, {"pending", l_pending},
    {"current", l_current}, {"run", l_run},   {"poll", l_poll},
    {"spawn", l_spawn},
    {NULL, NULL}};
  sched *s;
  int i;
  luaL_newlibtable(L, fns);
  lua_createtable(L, S_N, 0);
  s = lua_newuserdatauv(L, sizeof *s, 0);
  for (i = 0; i < 3; i++) lua_newtable(L);   /* qw, qv, pool */
  s->head = s->tail = 1;
  s->npool = 0;
  s->running_co = NULL;
  for (i = 0; i < K_LAST - K_FIRST - 1; i++) lua_pushstring(L, key_names[i]);
  luaL_setfuncs(L, fns, K_LAST - 1);
  return 1;
}

int luaopen_kdeploy_core_task(lua_State *L)
{
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, l_new);
  lua_setfield(L, -2, "new");
  return 1;
}
