/* engine/sim/sim_ctrl_podstatus.c: the simulated kubelet's status side:
 * the script a container follows (image and SIM_* env), image names, and
 * the pod status built from the model (phase, conditions, container
 * statuses, IPs) as the kubelet's status manager writes it. */
#include "sim_ctrl_kubelet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* default timings of scripted behaviour, ms */
#define CRASH_RUN_MS 300     /* sim/crash and SIM_EXIT_CODE without RUN_FOR */
#define JOB_RUN_MS 400       /* containers of Never/OnFailure pods */
#define INIT_RUN_MS 100      /* init containers */
#define PROBE_READY_MS 150   /* with a readinessProbe */
#define TERM_MS 100          /* time to stop after SIGTERM */

/* ---- scripts --------------------------------------------------------------*/

static const char *env_of(const kd_value *c, const char *name)
{
  const kd_value *env = kd_obj_gets(c, "env");
  size_t i;
  for (i = 0; i < sim_vlen(env); i++) {
    const char *n = sim_vstr(&env->u.arr.items[i], "name");
    if (n && !strcmp(n, name)) {
      const char *v = sim_vstr(&env->u.arr.items[i], "value");
      return v ? v : "";
    }
  }
  return NULL;
}

static int repo_is(const char *ref, const char *repo)
{
  size_t n = strlen(repo);
  return !strncmp(ref, repo, n) && (ref[n] == ':' || ref[n] == '@');
}

void sim_kl_script(kscript *sc, const kd_value *c, const char *restart,
                   int init, int sidecar)
{
  char *ref = sim_kl_image_ref(sim_vstr(c, "image") ? sim_vstr(c, "image")
                                                    : "");
  const char *v;
  memset(sc, 0, sizeof *sc);
  sc->ready_after = kd_obj_gets(c, "readinessProbe") ? PROBE_READY_MS : 0;
  sc->unready_after = sc->run_for = sc->log_every = -1;
  sc->term_after = TERM_MS;
  if (ref) {
    sc->crash = repo_is(ref, "docker.io/sim/crash");
    sc->pull_error = repo_is(ref, "docker.io/sim/pull-error");
  }
  free(ref);
  if (sc->crash) {
    sc->exit_code = 1;
    sc->run_for = CRASH_RUN_MS;
  }
  if ((v = env_of(c, "SIM_EXIT_CODE"))) {
    sc->exit_code = atoi(v);
    sc->run_for = CRASH_RUN_MS;
  }
  if (sc->run_for < 0 && !sidecar) {
    if (init) sc->run_for = INIT_RUN_MS;
    else if (strcmp(restart, "Always")) sc->run_for = JOB_RUN_MS;
  }
  /* sim/crash, or an exit code without SIM_RUN_FOR: the process dies as
   * it starts, before any readiness (unless SIM_READY_AFTER says when) */
  sc->startup_exit = sc->run_for == CRASH_RUN_MS && !env_of(c, "SIM_RUN_FOR") &&
                     !env_of(c, "SIM_READY_AFTER");
  sc->run_for = sim_parse_ms(env_of(c, "SIM_RUN_FOR"), sc->run_for);
  sc->ready_after = sim_parse_ms(env_of(c, "SIM_READY_AFTER"),
                                 sc->ready_after);
  sc->unready_after = sim_parse_ms(env_of(c, "SIM_UNREADY_AFTER"),
                                   sc->unready_after);
  sc->log_every = sim_parse_ms(env_of(c, "SIM_LOG_EVERY"), sc->log_every);
  sc->term_after = sim_parse_ms(env_of(c, "SIM_TERM_AFTER"), sc->term_after);
  v = env_of(c, "SIM_READY");
  sc->never_ready = v && (!strcmp(v, "false") || !strcmp(v, "0"));
  if ((v = env_of(c, "SIM_LOG"))) sc->log = kd_strndup(v, strlen(v));
}

void sim_kl_script_free(kscript *sc)
{
  free(sc->log);
  sc->log = NULL;
}

/* ---- image names --------------------------------------------------------*/

char *sim_kl_image_ref(const char *image)
{
  kd_buf b = {0};
  const char *slash = strchr(image, '/');
  const char *last = strrchr(image, '/');
  const char *at = strchr(image, '@');
  const char *colon = strrchr(last ? last : image, ':');
  int has_domain = 0;
  if (slash) {
    size_t n = (size_t)(slash - image);
    has_domain = memchr(image, '.', n) || memchr(image, ':', n) ||
                 (n == 9 && !memcmp(image, "localhost", 9));
  }
  if (!has_domain) kd_buf_adds(&b, slash ? "docker.io/" : "docker.io/library/");
  kd_buf_adds(&b, image);
  if (!at && !colon) kd_buf_adds(&b, ":latest");
  return kd_buf_take(&b, NULL);
}

char *sim_kl_image_id(const char *ref)
{
  kd_buf b = {0};
  const char *at = strchr(ref, '@');
  const char *last = strrchr(ref, '/');
  const char *colon = strrchr(last ? last : ref, ':');
  size_t repo_len = at ? (size_t)(at - ref)
                       : colon ? (size_t)(colon - ref) : strlen(ref);
  uint64_t h = 1469598103934665603ULL;
  int i;
  const char *p;
  if (at) return kd_strndup(ref, strlen(ref));
  kd_buf_add(&b, ref, repo_len);
  kd_buf_adds(&b, "@sha256:");
  for (i = 0; i < 4; i++) {   /* 64 hex digits, a function of REF */
    for (p = ref; *p; p++) {
      h ^= (unsigned char)*p;
      h *= 1099511628211ULL;
    }
    kd_buf_printf(&b, "%016llx", (unsigned long long)h);
  }
  return kd_buf_take(&b, NULL);
}

/* ---- phase ---------------------------------------------------------------*/

static int will_restart(const kpod *p, const kcont *c)
{
  if (!strcmp(p->restart_policy, "Always")) return 1;
  if (!strcmp(p->restart_policy, "OnFailure")) return c->code != 0;
  return 0;
}

const char *sim_kl_phase(const kpod *p)
{
  size_t i;
  int running = 0, waiting = 0, failed = 0, done = 0;
  if (p->failed_init) return "Failed";
  if (p->stage < P_MAIN) return "Pending";
  for (i = p->n_init; i < p->n; i++) {
    const kcont *c = &p->c[i];
    if (c->st == C_RUNNING) running++;
    else if (c->st == C_TERMINATED && !(p->stage != P_KILLING &&
                                        will_restart(p, c))) {
      done++;
      if (c->code) failed++;
    } else if (c->cid[0]) {
      running++;   /* restarting: counts as running */
    } else {
      waiting++;
    }
  }
  if (waiting) return running || done ? "Running" : "Pending";
  if (running) return "Running";
  if (p->stage == P_KILLING || p->stage == P_DONE || done)
    return failed ? "Failed" : "Succeeded";
  return "Pending";
}

/* ---- conditions ------------------------------------------------------------*/

/* Appends condition TYPE to CONDS, keeping lastTransitionTime from OLD
 * when its status is unchanged. */
static void put_cond(kd_value *conds, const kd_value *old, const char *type,
                     int ok, const char *reason, const char *msg,
                     const char *now)
{
  const kd_value *oc = sim_cond_get(old, type);
  const char *st = ok ? "True" : "False";
  const char *since = now;
  kd_value *c = kd_arr_push(conds);
  if (!c) return;
  if (oc && sim_vstr(oc, "status") && !strcmp(sim_vstr(oc, "status"), st) &&
      sim_vstr(oc, "lastTransitionTime"))
    since = sim_vstr(oc, "lastTransitionTime");
  kd_value_obj(c);
  sim_vset_null(c, "lastProbeTime");
  sim_vset_str(c, "lastTransitionTime", since);
  if (!ok && msg && msg[0]) sim_vset_str(c, "message", msg);
  if (!ok && reason) sim_vset_str(c, "reason", reason);
  sim_vset_str(c, "status", st);
  sim_vset_str(c, "type", type);
}

/* "[a b]" of the containers in [FROM, TO) for which PRED fails. */
static void names_where(kd_buf *b, const kpod *p, size_t from, size_t to,
                        int (*pred)(const kcont *))
{
  size_t i;
  int n = 0;
  kd_buf_addc(b, '[');
  for (i = from; i < to; i++)
    if (!pred(&p->c[i])) kd_buf_printf(b, "%s%s", n++ ? " " : "", p->c[i].name);
  kd_buf_addc(b, ']');
}

static int init_done(const kcont *c)
{
  return c->sidecar ? c->started : c->st == C_TERMINATED && c->code == 0;
}

static int is_ready(const kcont *c) { return c->ready; }
static int not_sidecar_or_ready(const kcont *c)
{
  return !c->sidecar || c->ready;
}

static void conditions(kpod *p, kd_value *status, const kd_value *old,
                       const char *now)
{
  kd_value *conds = sim_varr(status, "conditions");
  const char *phase = sim_kl_phase(p);
  int terminal = !strcmp(phase, "Succeeded") || !strcmp(phase, "Failed");
  int inited = p->stage >= P_MAIN, ready = !terminal && p->stage == P_MAIN;
  const kd_value *ps = sim_cond_get(old, "PodScheduled");
  kd_buf names = {0}, im = {0}, rm = {0};
  kd_value *c;
  size_t i;
  for (i = 0; ready && i < p->n; i++)
    if (!(i < p->n_init ? not_sidecar_or_ready(&p->c[i]) : p->c[i].ready))
      ready = 0;
  names_where(&names, p, 0, p->n_init, init_done);
  kd_buf_printf(&im, "containers with incomplete status: %s", names.data);
  kd_buf_free(&names);
  names_where(&names, p, p->n_init, p->n, is_ready);
  kd_buf_printf(&rm, "containers with unready status: %s", names.data);
  put_cond(conds, old, "PodReadyToStartContainers", p->sandbox && !terminal,
           NULL, NULL, now);
  put_cond(conds, old, "Initialized", inited, "ContainersNotInitialized",
           im.data, now);
  put_cond(conds, old, "Ready", ready,
           terminal ? "PodCompleted" : "ContainersNotReady",
           terminal ? NULL : rm.data, now);
  put_cond(conds, old, "ContainersReady", ready,
           terminal ? "PodCompleted" : "ContainersNotReady",
           terminal ? NULL : rm.data, now);
  if ((c = kd_arr_push(conds))) {   /* the scheduler's, as it wrote it */
    if (ps) {
      kd_value_copy(c, ps);
    } else {
      kd_value_obj(c);
      sim_vset_null(c, "lastProbeTime");
      sim_vset_str(c, "lastTransitionTime", now);
      sim_vset_str(c, "status", "True");
      sim_vset_str(c, "type", "PodScheduled");
    }
  }
  kd_buf_free(&names);
  kd_buf_free(&im);
  kd_buf_free(&rm);
}

/* ---- container statuses ------------------------------------------------------*/

static void container_state(const kcont *c, kd_value *st)
{
  kd_value_obj(st);
  if (c->st == C_RUNNING) {
    sim_vset_str(st, "running.startedAt", c->started_at);
  } else if (c->st == C_TERMINATED) {
    kd_value *t = sim_vobj(st, "terminated");
    sim_vset_str(t, "containerID", c->cid);
    sim_vset_int(t, "exitCode", c->code);
    sim_vset_str(t, "finishedAt", c->finished_at ? c->finished_at : "");
    sim_vset_str(t, "reason", c->reason);
    sim_vset_str(t, "startedAt", c->started_at ? c->started_at : "");
  } else {
    kd_value *w = sim_vobj(st, "waiting");
    if (c->message && c->message[0]) sim_vset_str(w, "message", c->message);
    sim_vset_str(w, "reason", c->reason);
  }
}

static void container_status(const kcont *c, kd_value *out)
{
  kd_value *st;
  kd_value_obj(out);
  if (c->cid[0]) {
    char *id = sim_kl_image_id(c->ref);
    sim_vset_str(out, "containerID", c->cid);
    sim_vset_str(out, "image", c->ref);
    sim_vset_str(out, "imageID", id ? id : "");
    free(id);
  } else {
    sim_vset_str(out, "image", c->image);
    sim_vset_str(out, "imageID", "");
  }
  st = sim_vobj(out, "lastState");
  kd_value_clear(st);
  kd_value_copy(st, &c->last);
  sim_vset_str(out, "name", c->name);
  sim_vset_bool(out, "ready", c->ready);
  sim_vset_int(out, "restartCount", c->restarts);
  sim_vset_bool(out, "started", c->started);
  container_state(c, sim_vobj(out, "state"));
}

/* The pod's QoS class from its containers' resources, as kube derives it:
 * Guaranteed when every container limits cpu and memory with requests
 * equal to (or defaulted from) the limits, BestEffort when none asks for
 * anything, else Burstable. */
static const char *qos_class(const kd_value *pod)
{
  static const char *const lists[] = {"spec.containers", "spec.initContainers"};
  static const char *const res[] = {"cpu", "memory"};
  int any = 0, guaranteed = 1, l, k;
  size_t i;
  for (l = 0; l < 2; l++) {
    const kd_value *cs = kd_value_path(pod, lists[l]);
    for (i = 0; i < sim_vlen(cs); i++) {
      const kd_value *req = kd_value_path(&cs->u.arr.items[i], "resources.requests");
      const kd_value *lim = kd_value_path(&cs->u.arr.items[i], "resources.limits");
      if ((req && req->type == KD_OBJ && req->u.obj.len) ||
          (lim && lim->type == KD_OBJ && lim->u.obj.len))
        any = 1;
      for (k = 0; k < 2; k++) {
        const char *lv = sim_vkey(lim, res[k]), *rv = sim_vkey(req, res[k]);
        if (!lv || (rv && strcmp(rv, lv))) guaranteed = 0;
      }
    }
  }
  return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
}

void sim_kl_publish(kpod *p)
{
  kubelet *k = p->k;
  const kd_value *pod = sim_obj_get(k->s, k->pods, p->ns, p->name);
  const char *uid = sim_vstr(pod, "metadata.uid");
  kd_value c, *status, *list;
  kd_error err;
  char *now;
  size_t i;
  if (!pod || !uid || strcmp(uid, p->uid)) return;
  if (!(now = sim_timestamp(k->s))) return;
  kd_value_copy(&c, pod);
  status = sim_vobj(&c, "status");
  sim_vdel(status, "conditions");
  conditions(p, status, pod, now);
  sim_vset_str(status, "hostIP", p->host_ip);
  list = sim_varr(status, "hostIPs");
  kd_value_clear(list);
  kd_value_arr(list);
  list = kd_arr_push(list);
  if (list) {
    kd_value_obj(list);
    sim_vset_str(list, "ip", p->host_ip);
  }
  if (p->sandbox && p->ip) {
    sim_vset_str(status, "podIP", p->ip);
    list = sim_varr(status, "podIPs");
    kd_value_clear(list);
    kd_value_arr(list);
    if ((list = kd_arr_push(list))) {
      kd_value_obj(list);
      sim_vset_str(list, "ip", p->ip);
    }
  }
  sim_vset_str(status, "phase", sim_kl_phase(p));
  sim_vset_str(status, "qosClass", qos_class(pod));
  sim_vset_str(status, "startTime", p->start_time);
  if (p->n_init) {
    list = sim_varr(status, "initContainerStatuses");
    kd_value_clear(list);
    kd_value_arr(list);
    for (i = 0; i < p->n_init; i++) {
      kd_value *x = kd_arr_push(list);
      if (x) container_status(&p->c[i], x);
    }
  }
  list = sim_varr(status, "containerStatuses");
  kd_value_clear(list);
  kd_value_arr(list);
  for (i = p->n_init; i < p->n; i++) {
    kd_value *x = kd_arr_push(list);
    if (x) container_status(&p->c[i], x);
  }
  sim_obj_manager(k->s, "kubelet");
  sim_obj_update_status(k->s, k->pods, &c, NULL, &err);
  sim_obj_manager(k->s, NULL);
  kd_value_clear(&c);
  free(now);
}
