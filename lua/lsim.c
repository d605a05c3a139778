/* lua/lsim.c: kdeploy.core.sim, the binding of engine/sim: start a
 * simulated cluster, read its port/kubeconfig, run it until a signal. */
#include "kdeploy_lua.h"
#include "sim/sim.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define SIM_MT "kdeploy.sim"

typedef struct { sim *s; } lsim;

static lsim *check(lua_State *L)
{
  lsim *b = luaL_checkudata(L, 1, SIM_MT);
  if (!b->s) luaL_error(L, "kdeploy.sim: the simulator is closed");
  return b;
}

/* sim.start{port=, nodes=, tls=, state=, token=, dir=, max_body=,
 * fault_500=, fault_429=, latency_ms=, watch_drop_s=, watch_410=} -> sim */
static int l_start(lua_State *L)
{
  sim_config cfg;
  kd_error err = {0};
  lsim *b;
  memset(&cfg, 0, sizeof cfg);
  luaL_checktype(L, 1, LUA_TTABLE);
  cfg.port = (int)kd_lua_optfield_int(L, 1, "port", 0);
  cfg.nodes = (int)kd_lua_optfield_int(L, 1, "nodes", 3);
  cfg.max_body = (size_t)(int)kd_lua_optfield_int(L, 1, "max_body", 0);
  cfg.watch_cache = (size_t)(int)kd_lua_optfield_int(L, 1, "watch_cache", 0);
  cfg.faults.err500_rate = kd_lua_optfield_num(L, 1, "fault_500", 0);
  cfg.faults.err429_rate = kd_lua_optfield_num(L, 1, "fault_429", 0);
  cfg.faults.latency_ms = (int)kd_lua_optfield_int(L, 1, "latency_ms", 0);
  cfg.faults.watch_drop_s = (int)kd_lua_optfield_int(L, 1, "watch_drop_s", 0);
  lua_getfield(L, 1, "watch_410");
  cfg.faults.watch_410 = lua_toboolean(L, -1);
  lua_getfield(L, 1, "tls");
  cfg.tls = lua_toboolean(L, -1);
  cfg.state_file = kd_lua_optfield_str(L, 1, "state");
  cfg.token = kd_lua_optfield_str(L, 1, "token");
  cfg.dir = kd_lua_optfield_str(L, 1, "dir");
  if (cfg.port < 0 || cfg.port > 65535)
    return luaL_error(L, "kdeploy.sim: port %d out of range", cfg.port);
  if (cfg.nodes < 0 || cfg.nodes > 1000)
    return luaL_error(L, "kdeploy.sim: nodes %d out of range 0..1000",
                      cfg.nodes);
  b = lua_newuserdatauv(L, sizeof *b, 0);
  b->s = NULL;
  luaL_setmetatable(L, SIM_MT);
  b->s = sim_new(&cfg, &err);   /* copies every string it keeps */
  if (!b->s) return kd_lua_raise(L, &err);
  return 1;
}

static int m_port(lua_State *L)
{
  lua_pushinteger(L, sim_port(check(L)->s));
  return 1;
}

static int m_kubeconfig(lua_State *L)
{
  kd_error err = {0};
  char *kc = sim_kubeconfig(check(L)->s, &err);
  if (!kc) return kd_lua_raise(L, &err);
  lua_pushstring(L, kc);
  free(kc);
  return 1;
}

static void on_signal(int sig)
{
  (void)sig;
  sim_stop_signal();
}

/* s:run([ms]) runs until SIGINT/SIGTERM (or for MS milliseconds). */
static int m_run(lua_State *L)
{
  lsim *b = check(L);
  lua_Integer ms = luaL_optinteger(L, 2, -1);
  struct sigaction sa, ign, old_int, old_term, old_pipe;
  kd_error err = {0};
  int rc;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  /* OpenSSL writes to its socket with write(2): a client that hangs up
   * mid-handshake must give EPIPE, not kill the server with SIGPIPE */
  ign = sa;
  ign.sa_handler = SIG_IGN;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  sigaction(SIGPIPE, &ign, &old_pipe);
  rc = sim_run_for(b->s, ms < 0 ? -1 : (int)ms, &err);
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  sigaction(SIGPIPE, &old_pipe, NULL);
  if (rc != KD_OK) return kd_lua_raise(L, &err);
  return 0;
}

static int m_save(lua_State *L)
{
  kd_error err = {0};
  if (sim_save(check(L)->s, &err) != KD_OK) return kd_lua_raise(L, &err);
  return 0;
}

static int m_report(lua_State *L)
{
  char *r = sim_report(check(L)->s);
  lua_pushstring(L, r ? r : "");
  free(r);
  return 1;
}

static int m_close(lua_State *L)
{
  lsim *b = luaL_checkudata(L, 1, SIM_MT);
  sim_free(b->s);
  b->s = NULL;
  return 0;
}

static int m_tostring(lua_State *L)
{
  lsim *b = luaL_checkudata(L, 1, SIM_MT);
  if (b->s) lua_pushfstring(L, "kdeploy.sim(127.0.0.1:%d)", sim_port(b->s));
  else lua_pushliteral(L, "kdeploy.sim(closed)");
  return 1;
}

int luaopen_kdeploy_core_sim(lua_State *L)
{
  static const luaL_Reg methods[] = {
    {"port", m_port}, {"kubeconfig", m_kubeconfig}, {"run", m_run},
    {"save", m_save}, {"report", m_report},         {"close", m_close},
    {NULL, NULL}};
  static const luaL_Reg fns[] = {{"start", l_start}, {NULL, NULL}};
  kd_lua_init(L);
  if (luaL_newmetatable(L, SIM_MT)) {
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, m_close);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, m_close);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, m_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_pop(L, 1);
  luaL_newlib(L, fns);
  return 1;
}
