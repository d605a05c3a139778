/* engine/sim/sim.c: the sim's lifetime and loop: start-up (registry,
 * default namespaces, nodes, state, TLS, socket, plugins), timers, event
 * dispatch, the public object API, kubeconfig and the exit report. */
#include "sim_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

static volatile sig_atomic_t g_stop;
static int g_wake_fd = -1;

void sim_stop_signal(void)
{
  char b = 1;
  g_stop = 1;
  if (g_wake_fd >= 0) {
    ssize_t r = write(g_wake_fd, &b, 1);
    (void)r;
  }
}

void sim_stop(sim *s) { s->stop = 1; }
int sim_port(const sim *s) { return s->port; }
const char *sim_token(const sim *s) { return s->token; }
void sim_features_set(sim *s, unsigned flags) { s->features |= flags; }

void *sim_plugin_state(sim *s, const char *name)
{
  size_t i;
  if (!s->plugin_state) return NULL;
  for (i = 0; sim_plugins[i].name; i++)
    if (strcmp(sim_plugins[i].name, name) == 0) return s->plugin_state[i];
  return NULL;
}

/* ---- timers: a binary min-heap on (when, id) -----------------------------*/

static int t_less(const sim_timer *a, const sim_timer *b)
{
  return a->when < b->when || (a->when == b->when && a->id < b->id);
}

static void heap_up(sim *s, size_t i)
{
  while (i > 0) {
    size_t p = (i - 1) / 2;
    sim_timer *t;
    if (!t_less(s->timers[i], s->timers[p])) break;
    t = s->timers[i];
    s->timers[i] = s->timers[p];
    s->timers[p] = t;
    i = p;
  }
}

static void heap_down(sim *s, size_t i)
{
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    sim_timer *t;
    if (l < s->n_timers && t_less(s->timers[l], s->timers[m])) m = l;
    if (r < s->n_timers && t_less(s->timers[r], s->timers[m])) m = r;
    if (m == i) return;
    t = s->timers[i];
    s->timers[i] = s->timers[m];
    s->timers[m] = t;
    i = m;
  }
}

uint64_t sim_timer_add(sim *s, int64_t delay_ms, sim_timer_fn fn, void *ctx)
{
  sim_timer *t;
  if (s->n_timers == s->timers_cap) {
    size_t ncap = s->timers_cap ? s->timers_cap * 2 : 64;
    sim_timer **n = realloc(s->timers, ncap * sizeof *n);
    if (!n) return 0;
    s->timers = n;
    s->timers_cap = ncap;
  }
  t = calloc(1, sizeof *t);
  if (!t) return 0;
  t->id = ++s->next_timer;
  t->when = sim_clock_ms() + (delay_ms > 0 ? delay_ms : 0);
  t->fn = fn;
  t->ctx = ctx;
  s->timers[s->n_timers++] = t;
  heap_up(s, s->n_timers - 1);
  return t->id;
}

void sim_timer_cancel(sim *s, uint64_t id)
{
  size_t i;
  for (i = 0; i < s->n_timers; i++)
    if (s->timers[i]->id == id) {
      s->timers[i]->cancelled = 1;
      return;
    }
}

static sim_timer *heap_pop(sim *s)
{
  sim_timer *t = s->timers[0];
  s->timers[0] = s->timers[--s->n_timers];
  if (s->n_timers) heap_down(s, 0);
  return t;
}

/* Runs due timers; returns ms until the next one (-1: none). */
static int run_timers(sim *s)
{
  int64_t now = sim_clock_ms();
  int guard = 100000;
  while (s->n_timers && guard-- > 0) {
    sim_timer *t = s->timers[0];
    if (t->cancelled) { free(heap_pop(s)); continue; }
    if (t->when > now) break;
    heap_pop(s);
    t->fn(s, t->ctx);
    free(t);
    sim_dispatch(s);
  }
  while (s->n_timers && s->timers[0]->cancelled) free(heap_pop(s));
  if (!s->n_timers) return -1;
  now = sim_clock_ms();
  return s->timers[0]->when <= now ? 0
         : (int)(s->timers[0]->when - now > 1000 ? 1000
                                                  : s->timers[0]->when - now);
}

/* ---- events ------------------------------------------------------------- */

int sim_subscribe(sim *s, sim_event_fn fn, void *ctx)
{
  sim_sub *n = realloc(s->subs, (s->n_subs + 1) * sizeof *n);
  if (!n) return 0;
  s->subs = n;
  s->subs[s->n_subs].id = ++s->next_sub;
  s->subs[s->n_subs].fn = fn;
  s->subs[s->n_subs].ctx = ctx;
  s->n_subs++;
  return s->next_sub;
}

void sim_unsubscribe(sim *s, int id)
{
  size_t i;
  for (i = 0; i < s->n_subs; i++)
    if (s->subs[i].id == id) s->subs[i].fn = NULL;   /* compacted later */
}

static void compact_subs(sim *s)
{
  size_t i, j = 0;
  for (i = 0; i < s->n_subs; i++)
    if (s->subs[i].fn) s->subs[j++] = s->subs[i];
  s->n_subs = j;
}

void sim_dispatch(sim *s)
{
  size_t i;
  if (s->dispatching) return;
  s->dispatching = 1;
  for (i = 0; i < s->q_len; i++) {
    sim_qev q = s->queue[i];   /* by value: callbacks may grow the queue */
    sim_event ev;
    size_t k;
    ev.type = q.type;
    ev.res = q.res;
    ev.obj = &q.obj;
    ev.old = q.has_old ? &q.old : NULL;
    ev.rv = q.rv;
    for (k = 0; k < s->n_subs; k++)
      if (s->subs[k].fn) s->subs[k].fn(s, s->subs[k].ctx, &ev);
    sim_watch_event(s, &q);
    kd_value_clear(&q.obj);
    kd_value_clear(&q.old);
    sim_blob_unref(q.json);
  }
  s->q_len = 0;
  s->dispatching = 0;
  compact_subs(s);
  sim_registry_reap(s);
}

/* ---- public object API ---------------------------------------------------*/

void sim_resource_each(sim *s, sim_res_fn fn, void *ctx)
{
  const sim_resource *r, *y;
  for (r = s->resources; r; r = r->next) {
    int seen = 0;
    for (y = s->resources; y != r && !seen; y = y->next)
      if (y->table == r->table) seen = 1;
    if (!seen && fn(ctx, r)) return;
  }
}

const kd_value *sim_obj_get(sim *s, const sim_resource *r, const char *ns,
                            const char *name)
{
  sim_obj *o;
  (void)s;
  o = sim_table_find(r->table, r->namespaced && ns ? ns : "", name, NULL);
  return o ? &o->v : NULL;
}

void sim_obj_each(sim *s, const sim_resource *r, const char *ns,
                  sim_obj_fn fn, void *ctx)
{
  size_t i;
  (void)s;
  for (i = 0; i < r->table->len; i++) {
    sim_obj *o = r->table->items[i];
    if (ns && ns[0] && strcmp(o->ns, ns) != 0) continue;
    if (fn(ctx, &o->v)) return;
  }
}

/* managedFields context of writes made through this API. */
static void api_ctx(sim *s, const sim_resource *r, const char *sub,
                    sim_patch_ctx *ctx, char *gv, size_t n, char **ts)
{
  memset(ctx, 0, sizeof *ctx);
  ctx->api_version = sim_res_gvstr(r, gv, n);
  ctx->kind = r->kind;
  ctx->custom = r->crd != NULL;
  ctx->subresource = sub;
  ctx->manager = s->manager ? s->manager : "kube-controller-manager";
  *ts = sim_timestamp(s);
  ctx->now = *ts;
  s->track = ctx;
  s->track_done = 0;
}

static void api_ctx_end(sim *s, char *ts)
{
  s->track = NULL;
  free(ts);
  sim_errd_reset(s);
}

void sim_obj_manager(sim *s, const char *manager)
{
  free(s->manager);
  s->manager = manager ? sim_strdup(manager) : NULL;
}

int sim_obj_create(sim *s, const sim_resource *r, const char *ns,
                   const kd_value *obj, kd_value *out, kd_error *err)
{
  kd_value v;
  sim_patch_ctx ctx;
  char gv[300], *ts;
  int rc;
  if (kd_value_copy(&v, obj) != KD_OK)
    return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
  if (!ns) ns = sim_str(obj, "metadata.namespace");
  api_ctx(s, r, NULL, &ctx, gv, sizeof gv, &ts);
  rc = sim_store_create(s, (sim_resource *)r, ns ? ns : "", &v, 0, out, err);
  api_ctx_end(s, ts);
  kd_value_clear(&v);
  return rc;
}

static int update_mode(sim *s, const sim_resource *r, const kd_value *obj,
                       int mode, kd_value *out, kd_error *err)
{
  const char *name = sim_str(obj, "metadata.name");
  const char *ns = sim_str(obj, "metadata.namespace");
  kd_value v;
  sim_patch_ctx ctx;
  char gv[300], *ts;
  int rc;
  if (!name) return kd_error_set(err, KD_EINVAL, "sim: object has no name");
  if (kd_value_copy(&v, obj) != KD_OK)
    return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
  api_ctx(s, r, mode == 1 ? "status" : NULL, &ctx, gv, sizeof gv, &ts);
  rc = sim_store_update(s, (sim_resource *)r, ns ? ns : "", name, &v, mode, 0,
                        out, err);
  api_ctx_end(s, ts);
  kd_value_clear(&v);
  return rc;
}

int sim_obj_update(sim *s, const sim_resource *r, const kd_value *obj,
                   kd_value *out, kd_error *err)
{
  return update_mode(s, r, obj, 0, out, err);
}

int sim_obj_update_status(sim *s, const sim_resource *r, const kd_value *obj,
                          kd_value *out, kd_error *err)
{
  return update_mode(s, r, obj, 1, out, err);
}

int sim_obj_replace(sim *s, const sim_resource *r, const kd_value *obj,
                    kd_value *out, kd_error *err)
{
  return update_mode(s, r, obj, 2, out, err);
}

int sim_obj_delete_grace(sim *s, const sim_resource *r, const char *ns,
                         const char *name, const char *policy,
                         int64_t grace_s, kd_error *err)
{
  sim_delete_opts o = {policy, NULL, NULL, grace_s < 0 ? -1 : grace_s, 0};
  return sim_obj_delete_opts(s, r, ns, name, &o, err);
}

int sim_obj_delete_opts(sim *s, const sim_resource *r, const char *ns,
                        const char *name, const sim_delete_opts *opts,
                        kd_error *err)
{
  int deleted, rc;
  rc = sim_store_delete(s, (sim_resource *)r, ns ? ns : "", name, opts, NULL,
                        &deleted, err);
  sim_errd_reset(s);
  return rc;
}

int sim_obj_delete(sim *s, const sim_resource *r, const char *ns,
                   const char *name, const char *policy, kd_error *err)
{
  sim_delete_opts o = {policy, NULL, NULL, -1, 0};
  return sim_obj_delete_opts(s, r, ns, name, &o, err);
}

/* ---- start-up ------------------------------------------------------------*/

static int create_json(sim *s, const char *plural, const char *group,
                       const char *ns, const char *json, kd_error *err);

static int seed_objects(sim *s, kd_error *err)
{
  static const char *const nss[] = {"default", "kube-system", "kube-public",
                                    "kube-node-lease", NULL};
  int i, rc;
  char buf[2048];
  for (i = 0; nss[i]; i++) {
    if (sim_ns_exists(s, nss[i])) continue;
    snprintf(buf, sizeof buf, "{\"metadata\":{\"name\":\"%s\"}}", nss[i]);
    if ((rc = create_json(s, "namespaces", "", "", buf, err))) return rc;
  }
  for (i = 1; i <= s->cfg.nodes; i++) {
    char name[64];
    snprintf(name, sizeof name, "sim-node-%d", i);
    if (sim_obj_get(s, sim_res_find(s, "", "v1", "nodes"), "", name)) continue;
    snprintf(buf, sizeof buf,
      "{\"metadata\":{\"name\":\"%s\",\"labels\":{"
      "\"kubernetes.io/hostname\":\"%s\",\"kubernetes.io/os\":\"linux\","
      "\"kubernetes.io/arch\":\"amd64\"}},"
      "\"spec\":{\"podCIDR\":\"10.244.%d.0/24\"},"
      "\"status\":{\"capacity\":{\"cpu\":\"4\",\"memory\":\"16Gi\","
      "\"pods\":\"110\",\"ephemeral-storage\":\"100Gi\"},"
      "\"allocatable\":{\"cpu\":\"4\",\"memory\":\"16Gi\",\"pods\":\"110\","
      "\"ephemeral-storage\":\"100Gi\"},"
      "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\","
      "\"reason\":\"KubeletReady\",\"message\":\"kubelet is posting ready "
      "status\"}],"
      "\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"10.0.0.%d\"},"
      "{\"type\":\"Hostname\",\"address\":\"%s\"}],"
      "\"nodeInfo\":{\"kubeletVersion\":\"v1.33.0\",\"osImage\":\"kdeploy "
      "sim\",\"operatingSystem\":\"linux\",\"architecture\":\"amd64\","
      "\"containerRuntimeVersion\":\"sim://1.0\",\"kernelVersion\":\"6.1\","
      "\"kubeProxyVersion\":\"v1.33.0\"}}}",
      name, name, i, i + 9, name);
    if ((rc = create_json(s, "nodes", "", "", buf, err))) return rc;
  }
  return KD_OK;
}

#include "json.h"

static int create_json(sim *s, const char *plural, const char *group,
                       const char *ns, const char *json, kd_error *err)
{
  kd_value v;
  int rc = json_decode(json, strlen(json), "<sim>", &v, err);
  if (rc) return rc;
  rc = sim_store_create(s, sim_res_find(s, group, NULL, plural), ns, &v, 0,
                        NULL, err);
  kd_value_clear(&v);
  return rc;
}

static void seed_rng(sim *s)
{
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  uint64_t x = 0;
  if (fd >= 0) {
    if (read(fd, &x, sizeof x) != (ssize_t)sizeof x) x = 0;
    close(fd);
  }
  s->rng = x ^ (uint64_t)sim_wall_ms() ^ ((uint64_t)getpid() << 32) ^
           0x9E3779B97F4A7C15ULL;
  if (!s->rng) s->rng = 1;
}

sim *sim_new(const sim_config *cfg, kd_error *err)
{
  sim *s = calloc(1, sizeof *s);
  int i;
  if (!s) {
    kd_error_set(err, KD_ENOMEM, "sim: out of memory");
    return NULL;
  }
  s->cfg = *cfg;
  s->listen_fd = s->wake[0] = s->wake[1] = -1;
  if (!s->cfg.max_body) s->cfg.max_body = (size_t)3 << 20;
  s->dir = sim_strdup(cfg->dir);
  s->state_file = sim_strdup(cfg->state_file);
  s->cfg.dir = s->dir;
  s->cfg.state_file = s->state_file;
  seed_rng(s);
  if (cfg->token) {
    s->token = sim_strdup(cfg->token);
  } else {
    s->token = malloc(33);
    if (s->token)
      snprintf(s->token, 33, "%016llx%016llx",
               (unsigned long long)sim_rand(s), (unsigned long long)sim_rand(s));
  }
  s->cfg.token = s->token;
  if (!s->token || pipe(s->wake) < 0) {
    kd_error_set(err, KD_EIO, "sim: cannot create the wake-up pipe");
    goto fail;
  }
  for (i = 0; i < 2; i++) {
    fcntl(s->wake[i], F_SETFL, O_NONBLOCK);
    fcntl(s->wake[i], F_SETFD, FD_CLOEXEC);
  }
  if (sim_registry_init(s, err)) goto fail;
  if (s->state_file && access(s->state_file, F_OK) == 0 &&
      sim_state_load(s, err))
    goto fail;
  if (seed_objects(s, err)) goto fail;
  if (s->cfg.tls && sim_tls_init(s, err)) goto fail;
  if (sim_server_listen(s, err)) goto fail;
  for (i = 0; sim_plugins[i].name; i++) {}
  s->plugin_state = calloc((size_t)i + 1, sizeof *s->plugin_state);
  if (!s->plugin_state) {
    kd_error_set(err, KD_ENOMEM, "sim: out of memory");
    goto fail;
  }
  for (i = 0; sim_plugins[i].name && !s->cfg.no_controllers; i++)
    if (sim_plugins[i].start(s, &s->plugin_state[i], err)) goto fail;
  sim_dispatch(s);
  g_stop = 0;
  g_wake_fd = s->wake[1];
  return s;
fail:
  sim_free(s);
  return NULL;
}

void sim_free(sim *s)
{
  size_t i;
  if (!s) return;
  if (s->plugin_state) {
    for (i = 0; sim_plugins[i].name; i++)
      if (sim_plugins[i].stop) sim_plugins[i].stop(s, s->plugin_state[i]);
    free(s->plugin_state);
  }
  sim_server_close(s);
  sim_dispatch(s);
  kd_buf_free(&s->warnings);
  for (i = 0; i < s->n_timers; i++) free(s->timers[i]);
  free(s->timers);
  free(s->watches);
  sim_logs_free(s);
  sim_store_free(s);
  sim_registry_free(s);
  sim_errd_reset(s);
  free(s->subs);
  if (s->ssl_ctx) SSL_CTX_free(s->ssl_ctx);
  free(s->ca_pem);
  free(s->client_cert_pem);
  free(s->client_key_pem);
  if (s->wake[0] >= 0) close(s->wake[0]);
  if (s->wake[1] >= 0) close(s->wake[1]);
  if (g_wake_fd == s->wake[1]) g_wake_fd = -1;
  free(s->dir);
  free(s->state_file);
  free(s->token);
  free(s->manager);
  free(s);
}

int sim_run_for(sim *s, int ms, kd_error *err)
{
  int64_t end = ms >= 0 ? sim_clock_ms() + ms : -1;
  (void)err;
  s->stop = 0;
  while (!s->stop && !g_stop) {
    int t = run_timers(s), left;
    if (end >= 0) {
      left = (int)(end - sim_clock_ms());
      if (left <= 0) break;
      if (t < 0 || t > left) t = left;
    }
    if (t < 0 || t > 1000) t = 1000;
    if (sim_server_turn(s, t) != KD_OK)
      return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
    sim_dispatch(s);
  }
  return KD_OK;
}

int sim_run(sim *s, kd_error *err) { return sim_run_for(s, -1, err); }

/* ---- kubeconfig and report ----------------------------------------------*/

static void add_b64(kd_buf *b, const char *s)
{
  size_t n = strlen(s);
  char *out = malloc(4 * ((n + 2) / 3) + 1);
  if (!out) return;
  EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
  kd_buf_adds(b, out);
  free(out);
}

char *sim_kubeconfig(const sim *s, kd_error *err)
{
  kd_buf b = {0};
  kd_buf_printf(&b, "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n"
                    "    server: %s://127.0.0.1:%d\n",
                s->ssl_ctx ? "https" : "http", s->port);
  if (s->ca_pem) {
    kd_buf_adds(&b, "    certificate-authority-data: ");
    add_b64(&b, s->ca_pem);
    kd_buf_addc(&b, '\n');
  }
  kd_buf_adds(&b, "  name: kdeploy-sim\ncontexts:\n- context:\n"
                  "    cluster: kdeploy-sim\n    namespace: default\n"
                  "    user: kdeploy-sim\n  name: kdeploy-sim\n");
  if (s->client_cert_pem)
    kd_buf_adds(&b, "- context:\n    cluster: kdeploy-sim\n"
                    "    namespace: default\n    user: kdeploy-sim-cert\n"
                    "  name: kdeploy-sim-cert\n");
  kd_buf_printf(&b, "current-context: kdeploy-sim\npreferences: {}\nusers:\n"
                    "- name: kdeploy-sim\n  user:\n    token: %s\n", s->token);
  if (s->client_cert_pem) {
    kd_buf_adds(&b, "- name: kdeploy-sim-cert\n  user:\n"
                    "    client-certificate-data: ");
    add_b64(&b, s->client_cert_pem);
    kd_buf_adds(&b, "\n    client-key-data: ");
    add_b64(&b, s->client_key_pem);
    kd_buf_addc(&b, '\n');
  }
  if (!b.data) {
    kd_error_set(err, KD_ENOMEM, "sim: out of memory");
    return NULL;
  }
  return kd_buf_take(&b, NULL);
}

char *sim_report(const sim *s)
{
  kd_buf b = {0};
  size_t objects = 0;
  const sim_resource *r;
  for (r = s->resources; r; r = r->next) {
    const sim_resource *y;
    int seen = 0;
    for (y = s->resources; y != r; y = y->next) if (y->table == r->table) seen = 1;
    if (!seen) objects += r->table->len;
  }
  kd_buf_printf(&b, "requests: %llu\nobjects: %zu\nresourceVersion: %llu\n"
                "watches: %llu started, %zu open, %llu events sent\n"
                "faults: %llu x 500, %llu x 429, %llu delayed, "
                "%llu watches dropped, %llu watch resumes answered 410\n",
                (unsigned long long)s->n_requests, objects,
                (unsigned long long)s->rv,
                (unsigned long long)s->n_watches_total, s->n_watches,
                (unsigned long long)s->n_events_sent,
                (unsigned long long)s->n_500, (unsigned long long)s->n_429,
                (unsigned long long)s->n_delayed,
                (unsigned long long)s->n_watch_dropped,
                (unsigned long long)s->n_watch_410);
  return b.data ? kd_buf_take(&b, NULL) : NULL;
}
