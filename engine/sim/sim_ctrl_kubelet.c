/* engine/sim/sim_ctrl_kubelet.c: the simulated kubelet of every node. A
 * pod bound to a node goes through sandbox creation (volumes checked,
 * pod IP), its init containers one by one, then its containers: image
 * pull (or "already present"), create, start, readiness, optional exit
 * and restart with back-off (CrashLoopBackOff), pull errors with
 * ImagePullBackOff; each step records the kubelet's Events and writes the
 * pod status. Deleting a pod (graceful, SIM_F_KUBELET) stops its
 * containers, writes the terminal status and removes the pod. Containers
 * write their logs through sim_log_append. What a container does is
 * scripted by its image and env (sim_ctrl_podstatus.c, README). */
#include "sim_ctrl_kubelet.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SANDBOX_MS 50        /* pod sandbox and network */
#define PULL_MS 150          /* an image pull */
#define RESTART_MS 100       /* first restart after an exit */
#define BACKOFF_MS 500       /* CrashLoopBackOff / ImagePullBackOff base */
#define BACKOFF_MAX_MS 8000
#define PROBE_PERIOD_MS 1000 /* failing readiness probes report this often */
#define RETRY_MS 1000        /* missing volumes / config */

enum { A_BEGIN, A_PULLED, A_PULL_FAIL, A_PULL_BACKOFF, A_CREATE, A_EXIT };

static void c_begin(kcont *c);
static void c_exit(kcont *c, int code);
static void pod_advance(kpod *p);

/* ---- small helpers --------------------------------------------------------*/

static const kd_value *pod_of(const kpod *p)
{
  const kd_value *pod = sim_obj_get(p->k->s, p->k->pods, p->ns, p->name);
  const char *uid = sim_vstr(pod, "metadata.uid");
  return uid && !strcmp(uid, p->uid) ? pod : NULL;
}

static char *now_str(kpod *p) { return sim_timestamp(p->k->s); }

static void set_str(char **slot, char *owned)
{
  free(*slot);
  *slot = owned;
}

/* An Event about the pod (FIELD: the container's fieldPath or NULL). */
#define EVENT(p, c, type, reason, ...)                                       \
  do {                                                                      \
    const kd_value *pod_ = pod_of(p);                                       \
    char field_[300];                                                       \
    if (!pod_) break;                                                       \
    if (c) snprintf(field_, sizeof field_, "spec.%s{%s}",                   \
                    (c)->init ? "initContainers" : "containers", (c)->name); \
    sim_record((p)->k->s, pod_, type, reason, "kubelet", (p)->node,          \
               (c) ? field_ : NULL, __VA_ARGS__);                           \
  } while (0)

static void c_log(kcont *c, const char *fmt, ...)
#ifdef __GNUC__
  __attribute__((format(printf, 2, 3)))
#endif
  ;
static void c_log(kcont *c, const char *fmt, ...)
{
  char line[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  sim_log_append(c->p->k->s, c->p->ns, c->p->name, c->name, line,
                 strlen(line));
}

/* Timers of a container: life (pull, create, exit, restart), readiness,
 * log heartbeat. */
static void c_fire(sim *s, void *ctx);
static void c_ready_fire(sim *s, void *ctx);
static void c_tick_fire(sim *s, void *ctx);

static void c_after(kcont *c, int action, int64_t ms)
{
  sim *s = c->p->k->s;
  if (c->t_life) sim_timer_cancel(s, c->t_life);
  c->action = action;
  c->t_life = sim_timer_add(s, ms, c_fire, c);
}

static void c_ready_after(kcont *c, int64_t ms)
{
  sim *s = c->p->k->s;
  if (c->t_ready) sim_timer_cancel(s, c->t_ready);
  c->t_ready = sim_timer_add(s, ms, c_ready_fire, c);
}

static void c_cancel(kcont *c)
{
  sim *s = c->p->k->s;
  if (c->t_life) sim_timer_cancel(s, c->t_life);
  if (c->t_ready) sim_timer_cancel(s, c->t_ready);
  if (c->t_tick) sim_timer_cancel(s, c->t_tick);
  c->t_life = c->t_ready = c->t_tick = 0;
}

static void c_wait(kcont *c, const char *reason, const char *msg)
{
  c->st = C_WAITING;
  snprintf(c->reason, sizeof c->reason, "%s", reason);
  set_str(&c->message, msg ? kd_strndup(msg, strlen(msg)) : NULL);
}

static int64_t backoff(int n)
{
  int64_t ms = BACKOFF_MS;
  while (--n > 0 && ms < BACKOFF_MAX_MS) ms *= 2;
  return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}

/* Go's time.Duration.String for whole milliseconds. */
static void go_duration(char *out, size_t n, int64_t ms)
{
  if (ms < 1000) snprintf(out, n, "%lldms", (long long)ms);
  else if (ms % 1000) snprintf(out, n, "%.1fs", (double)ms / 1000);
  else if (ms < 60000) snprintf(out, n, "%llds", (long long)(ms / 1000));
  else snprintf(out, n, "%lldm%llds", (long long)(ms / 60000),
                (long long)(ms / 1000 % 60));
}

/* ---- images --------------------------------------------------------------*/

static int image_present(kpod *p, const char *ref)
{
  const kd_value *list = kd_obj_gets(&p->k->images, p->node);
  size_t i;
  for (i = 0; i < sim_vlen(list); i++)
    if (!strcmp(list->u.arr.items[i].u.str.s, ref)) return 1;
  return 0;
}

static void image_add(kpod *p, const char *ref)
{
  kd_value *list;
  if (image_present(p, ref)) return;
  list = kd_obj_gets(&p->k->images, p->node);
  if (!list && (list = kd_obj_add(&p->k->images, p->node, strlen(p->node))))
    kd_value_arr(list);
  sim_vpush_str(list, ref);
}

/* The container's spec in the stored pod, or NULL. */
static const kd_value *spec_of(kcont *c)
{
  const kd_value *list = kd_value_path(pod_of(c->p), c->init
                                       ? "spec.initContainers"
                                       : "spec.containers");
  size_t i;
  for (i = 0; i < sim_vlen(list); i++)
    if (sim_vstr(&list->u.arr.items[i], "name") &&
        !strcmp(sim_vstr(&list->u.arr.items[i], "name"), c->name))
      return &list->u.arr.items[i];
  return NULL;
}

/* ---- config the containers need (volumes, env) ---------------------------- */

static int exists(kubelet *k, const sim_resource *r, const char *ns,
                  const char *name)
{
  return sim_obj_get(k->s, r, ns, name) != NULL;
}

/* The first missing ConfigMap/Secret a volume of POD needs, as the
 * kubelet's FailedMount message names it (into WHY). */
static int volumes_missing(kubelet *k, const kd_value *pod, kd_buf *why)
{
  const kd_value *vols = kd_value_path(pod, "spec.volumes");
  const char *ns = sim_vstr(pod, "metadata.namespace");
  size_t i;
  for (i = 0; i < sim_vlen(vols); i++) {
    const kd_value *v = &vols->u.arr.items[i];
    const char *vn = sim_vstr(v, "name");
    const char *cm = sim_vstr(v, "configMap.name");
    const char *sec = sim_vstr(v, "secret.secretName");
    if (cm && !sim_vbool(v, "configMap.optional", 0) &&
        !exists(k, k->cms, ns, cm)) {
      kd_buf_printf(why, "MountVolume.SetUp failed for volume \"%s\" : "
                    "configmap \"%s\" not found", vn, cm);
      return 1;
    }
    if (sec && !sim_vbool(v, "secret.optional", 0) &&
        !exists(k, k->secrets, ns, sec)) {
      kd_buf_printf(why, "MountVolume.SetUp failed for volume \"%s\" : "
                    "secret \"%s\" not found", vn, sec);
      return 1;
    }
  }
  return 0;
}

/* A missing ConfigMap/Secret of a non-optional reference REF (of the
 * reference kind at PATH inside E), named into WHY. */
static int ref_missing(kcont *c, const kd_value *e, const char *path,
                       int secret, kd_buf *why)
{
  char name_p[80], opt_p[80];
  const char *name;
  snprintf(name_p, sizeof name_p, "%s.name", path);
  snprintf(opt_p, sizeof opt_p, "%s.optional", path);
  name = sim_vstr(e, name_p);
  if (!name || sim_vbool(e, opt_p, 0) ||
      exists(c->p->k, secret ? c->p->k->secrets : c->p->k->cms, c->p->ns,
             name))
    return 0;
  kd_buf_printf(why, "%s \"%s\" not found", secret ? "secret" : "configmap",
                name);
  return 1;
}

/* A missing ConfigMap/Secret the container's env refers to. */
static int env_missing(kcont *c, kd_buf *why)
{
  const kd_value *spec = spec_of(c);
  const kd_value *env = kd_obj_gets(spec, "env");
  const kd_value *from = kd_obj_gets(spec, "envFrom");
  size_t i;
  for (i = 0; i < sim_vlen(env); i++) {
    const kd_value *e = &env->u.arr.items[i];
    if (ref_missing(c, e, "valueFrom.configMapKeyRef", 0, why) ||
        ref_missing(c, e, "valueFrom.secretKeyRef", 1, why))
      return 1;
  }
  for (i = 0; i < sim_vlen(from); i++) {
    const kd_value *e = &from->u.arr.items[i];
    if (ref_missing(c, e, "configMapRef", 0, why) ||
        ref_missing(c, e, "secretRef", 1, why))
      return 1;
  }
  return 0;
}

/* ---- container lifecycle ---------------------------------------------------*/

static void c_begin(kcont *c)
{
  kpod *p = c->p;
  const char *policy = sim_vstr(spec_of(c), "imagePullPolicy");
  if (!c->sc.pull_error && image_present(p, c->ref) &&
      !(policy && !strcmp(policy, "Always"))) {
    EVENT(p, c, "Normal", "Pulled",
          "Container image \"%s\" already present on machine", c->image);
    c_after(c, A_CREATE, 0);
    return;
  }
  EVENT(p, c, "Normal", "Pulling", "Pulling image \"%s\"", c->image);
  c_after(c, c->sc.pull_error ? A_PULL_FAIL : A_PULLED, PULL_MS);
}

static void pull_failed(kcont *c)
{
  kpod *p = c->p;
  kd_buf msg = {0};
  c->pull_fails++;
  kd_buf_printf(&msg, "rpc error: code = NotFound desc = failed to pull and "
                "unpack image \"%s\": failed to resolve reference \"%s\": "
                "%s: not found", c->ref, c->ref, c->ref);
  EVENT(p, c, "Warning", "Failed", "Failed to pull image \"%s\": %s",
        c->image, msg.data);
  EVENT(p, c, "Warning", "Failed", "Error: ErrImagePull");
  c_wait(c, "ErrImagePull", msg.data);
  kd_buf_free(&msg);
  sim_kl_publish(p);
  c_after(c, A_PULL_BACKOFF, RESTART_MS * 3);
}

static void pull_backoff(kcont *c)
{
  kpod *p = c->p;
  kd_buf msg = {0};
  kd_buf_printf(&msg, "Back-off pulling image \"%s\": ErrImagePull: "
                "failed to pull and unpack image \"%s\": not found",
                c->image, c->ref);
  EVENT(p, c, "Normal", "BackOff", "Back-off pulling image \"%s\"", c->image);
  EVENT(p, c, "Warning", "Failed", "Error: ImagePullBackOff");
  c_wait(c, "ImagePullBackOff", msg.data);
  kd_buf_free(&msg);
  sim_kl_publish(p);
  c_after(c, A_BEGIN, backoff(c->pull_fails));
}

static void start_logs(kcont *c)
{
  const kd_value *ports = kd_obj_gets(spec_of(c), "ports");
  size_t i;
  c_log(c, "sim: starting container %s from image %s", c->name, c->image);
  for (i = 0; i < sim_vlen(ports); i++) {
    const kd_value *pt = &ports->u.arr.items[i];
    c_log(c, "sim: %s listening on port %lld/%s", c->name,
         (long long)sim_vint(pt, "containerPort", 0),
         sim_vstr(pt, "protocol") ? sim_vstr(pt, "protocol") : "TCP");
  }
  if (c->sc.log) {   /* SIM_LOG: lines split on newlines or a literal \n */
    const char *p = c->sc.log;
    while (*p) {
      const char *nl = strchr(p, '\n'), *bs = strstr(p, "\\n");
      const char *end = nl && (!bs || nl < bs) ? nl : bs;
      size_t n = end ? (size_t)(end - p) : strlen(p);
      sim_log_append(c->p->k->s, c->p->ns, c->p->name, c->name, p, n);
      if (!end) break;
      p = end + (end == nl ? 1 : 2);
    }
  }
}

static void create(kcont *c)
{
  kpod *p = c->p;
  kd_buf why = {0};
  char hex[65];
  if (env_missing(c, &why)) {
    EVENT(p, c, "Warning", "Failed", "Error: %s", why.data);
    c_wait(c, "CreateContainerConfigError", why.data);
    kd_buf_free(&why);
    sim_kl_publish(p);
    c_after(c, A_CREATE, RETRY_MS);
    return;
  }
  kd_buf_free(&why);
  if (c->cid[0]) {   /* a restart: the old run becomes lastState */
    c->restarts++;
    kd_value_clear(&c->last);
    kd_value_copy(&c->last, &c->pending_last);
  }
  image_add(p, c->ref);
  sim_hex(hex, 64);
  snprintf(c->cid, sizeof c->cid, "containerd://%s", hex);
  EVENT(p, c, "Normal", "Created", "Created container: %s", c->name);
  EVENT(p, c, "Normal", "Started", "Started container %s", c->name);
  c->st = C_RUNNING;
  c->started = 1;
  c->ready = 0;
  set_str(&c->started_at, now_str(p));
  set_str(&c->message, NULL);
  start_logs(c);
  if (c->sc.crash) c_log(c, "sim: %s: fatal error: simulated crash", c->name);
  if (c->sc.run_for >= 0) c_after(c, A_EXIT, c->sc.run_for);
  c->probe_failing = 0;
  if ((!c->init || c->sidecar) && !c->sc.startup_exit)
    c_ready_after(c, c->sc.never_ready ? PROBE_PERIOD_MS / 4
                                       : c->sc.ready_after);
  if (c->sc.log_every > 0)
    c->t_tick = sim_timer_add(p->k->s, c->sc.log_every, c_tick_fire, c);
  if (c->sidecar) pod_advance(p);
  sim_kl_publish(p);
}

static void restart(kcont *c)
{
  kpod *p = c->p;
  char d[32], msg[600];
  int64_t delay;
  c->crashes++;
  if (c->crashes == 1) {   /* kube restarts at once the first time */
    c_after(c, A_BEGIN, RESTART_MS);
    return;
  }
  delay = backoff(c->crashes - 1);
  go_duration(d, sizeof d, delay);
  snprintf(msg, sizeof msg, "back-off %s restarting failed container=%s "
           "pod=%s_%s(%s)", d, c->name, p->name, p->ns, p->uid);
  c_wait(c, "CrashLoopBackOff", msg);
  kd_value_clear(&c->last);
  kd_value_copy(&c->last, &c->pending_last);
  EVENT(p, c, "Warning", "BackOff",
        "Back-off restarting failed container %s in pod %s_%s(%s)", c->name,
        p->name, p->ns, p->uid);
  sim_kl_publish(p);
  c_after(c, A_BEGIN, delay);
}

static int restarts_on(const kpod *p, const kcont *c, int code)
{
  if (c->init && !c->sidecar)
    return code != 0 && strcmp(p->restart_policy, "Never");
  if (!strcmp(p->restart_policy, "Always") || c->sidecar) return 1;
  return !strcmp(p->restart_policy, "OnFailure") && code != 0;
}

static void c_exit(kcont *c, int code)
{
  kpod *p = c->p;
  sim *s = p->k->s;
  kd_value *t;
  if (c->t_ready) sim_timer_cancel(s, c->t_ready);
  if (c->t_tick) sim_timer_cancel(s, c->t_tick);
  c->t_ready = c->t_tick = 0;
  c_log(c, "sim: %s exiting with code %d", c->name, code);
  sim_log_end(s, p->ns, p->name, c->name);   /* `logs -f` ends with it */
  c->st = C_TERMINATED;
  c->code = code;
  c->ready = c->started = 0;
  snprintf(c->reason, sizeof c->reason, "%s", code ? "Error" : "Completed");
  set_str(&c->finished_at, now_str(p));
  kd_value_clear(&c->pending_last);
  kd_value_obj(&c->pending_last);
  t = sim_vobj(&c->pending_last, "terminated");
  sim_vset_str(t, "containerID", c->cid);
  sim_vset_int(t, "exitCode", code);
  sim_vset_str(t, "finishedAt", c->finished_at ? c->finished_at : "");
  sim_vset_str(t, "reason", c->reason);
  sim_vset_str(t, "startedAt", c->started_at ? c->started_at : "");
  if (p->stage == P_KILLING) return;
  if (restarts_on(p, c, code)) {
    sim_kl_publish(p);
    restart(c);
    return;
  }
  if (c->init && !c->sidecar && code) p->failed_init = 1;
  pod_advance(p);
  sim_kl_publish(p);
}

static void c_fire(sim *s, void *ctx)
{
  kcont *c = ctx;
  (void)s;
  c->t_life = 0;
  switch (c->action) {
  case A_BEGIN: c_begin(c); break;
  case A_PULLED:
    EVENT(c->p, c, "Normal", "Pulled", "Successfully pulled image \"%s\" in "
          "%dms (%dms including waiting). Image size: %u bytes.", c->image,
          PULL_MS, PULL_MS, 10000000u + (unsigned)(strlen(c->ref) * 7919u));
    create(c);
    break;
  case A_PULL_FAIL: pull_failed(c); break;
  case A_PULL_BACKOFF: pull_backoff(c); break;
  case A_CREATE: create(c); break;
  case A_EXIT: c_exit(c, c->sc.exit_code); break;
  }
}

static const char *probe_msg(kcont *c, char *buf, size_t n)
{
  const kd_value *pr = kd_obj_gets(spec_of(c), "readinessProbe");
  if (kd_obj_gets(pr, "tcpSocket"))
    snprintf(buf, n, "dial tcp %s:%lld: connect: connection refused",
             c->p->ip ? c->p->ip : "",
             (long long)sim_vint(pr, "tcpSocket.port", 0));
  else if (kd_obj_gets(pr, "exec"))
    snprintf(buf, n, "command exited with 1");
  else
    snprintf(buf, n, "HTTP probe failed with statuscode: 503");
  return buf;
}

static void c_ready_fire(sim *s, void *ctx)
{
  kcont *c = ctx;
  char buf[300];
  c->t_ready = 0;
  if (c->st != C_RUNNING) return;
  if (!c->sc.never_ready && !c->probe_failing && !c->ready) {
    c->ready = 1;
    c_log(c, "sim: %s is ready", c->name);
    sim_kl_publish(c->p);
    if (c->sc.unready_after >= 0) {   /* SIM_UNREADY_AFTER */
      c->probe_failing = 1;
      c->t_ready = sim_timer_add(s, c->sc.unready_after, c_ready_fire, c);
    }
    return;
  }
  /* a failing readiness probe: unready, reported every probe period */
  c->probe_failing = 1;
  EVENT(c->p, c, "Warning", "Unhealthy", "Readiness probe failed: %s",
        probe_msg(c, buf, sizeof buf));
  if (c->ready) {
    c->ready = 0;
    sim_kl_publish(c->p);
  }
  c->t_ready = sim_timer_add(s, PROBE_PERIOD_MS, c_ready_fire, c);
}

static void c_tick_fire(sim *s, void *ctx)
{
  kcont *c = ctx;
  c->t_tick = 0;
  if (c->st != C_RUNNING) return;
  c_log(c, "sim: %s heartbeat %lld", c->name, (long long)++c->ticks);
  c->t_tick = sim_timer_add(s, c->sc.log_every, c_tick_fire, c);
}

/* ---- pod lifecycle ------------------------------------------------------------*/

static void p_fire(sim *s, void *ctx);
enum { PA_SANDBOX, PA_KILLED };

static void p_after(kpod *p, int action, int64_t ms)
{
  if (p->timer) sim_timer_cancel(p->k->s, p->timer);
  p->action = action;
  p->timer = sim_timer_add(p->k->s, ms, p_fire, p);
}

/* Moves the pod on: next init container, the main containers, or done. */
static void pod_advance(kpod *p)
{
  size_t i;
  if (p->stage == P_KILLING || p->stage == P_DONE) return;
  if (p->failed_init) {
    p->stage = P_DONE;
    return;
  }
  if (p->stage == P_INIT) {
    while (p->init_i < p->n_init) {
      kcont *c = &p->c[p->init_i];
      if (c->sidecar ? !c->started : !(c->st == C_TERMINATED && !c->code)) {
        if (!c->t_life && c->st == C_WAITING && !c->cid[0]) c_begin(c);
        return;
      }
      p->init_i++;
    }
    p->stage = P_MAIN;
    for (i = p->n_init; i < p->n; i++) {
      kcont *c = &p->c[i];
      c_wait(c, "ContainerCreating", NULL);
      c_begin(c);
    }
    return;
  }
  if (p->stage == P_MAIN) {
    for (i = p->n_init; i < p->n; i++)
      if (p->c[i].st != C_TERMINATED || p->c[i].t_life) return;
    p->stage = P_DONE;   /* every container finished for good */
    for (i = 0; i < p->n_init; i++)
      if (p->c[i].sidecar && p->c[i].st == C_RUNNING) {
        c_cancel(&p->c[i]);
        c_exit(&p->c[i], 0);
      }
  }
}

static void sandbox_ready(kpod *p)
{
  const kd_value *pod = pod_of(p);
  kd_buf why = {0};
  size_t i;
  if (!pod) return;
  if (volumes_missing(p->k, pod, &why)) {
    EVENT(p, (kcont *)NULL, "Warning", "FailedMount", "%s", why.data);
    kd_buf_free(&why);
    p_after(p, PA_SANDBOX, RETRY_MS);
    return;
  }
  p->sandbox = 1;
  p->stage = P_INIT;
  for (i = 0; i < p->n_init; i++) c_wait(&p->c[i], "PodInitializing", NULL);
  pod_advance(p);
  sim_kl_publish(p);
}

/* Stops the containers (SIGTERM, then the grace period) and removes the
 * pod once they are gone. */
static void pod_kill(kpod *p, int64_t grace_s)
{
  int64_t ms = 0;
  size_t i;
  p->stage = P_KILLING;
  if (p->timer) sim_timer_cancel(p->k->s, p->timer);
  p->timer = 0;
  for (i = 0; i < p->n; i++) {
    kcont *c = &p->c[i];
    if (c->t_life) sim_timer_cancel(p->k->s, c->t_life);
    c->t_life = 0;
    if (c->st != C_RUNNING) continue;
    EVENT(p, c, "Normal", "Killing", "Stopping container %s", c->name);
    c_log(c, "sim: %s received SIGTERM, shutting down", c->name);
    if (c->sc.term_after > ms) ms = c->sc.term_after;
  }
  if (ms > grace_s * 1000) ms = grace_s * 1000;
  p_after(p, PA_KILLED, ms);
}

static void pod_killed(kpod *p)
{
  kubelet *k = p->k;
  const kd_value *pod = pod_of(p);
  int64_t grace_ms = sim_vint(pod, "metadata.deletionGracePeriodSeconds", 0)
                     * 1000;
  kd_error err;
  size_t i;
  for (i = 0; i < p->n; i++) {
    kcont *c = &p->c[i];
    c_cancel(c);
    if (c->st == C_RUNNING)   /* SIGKILL at the end of the grace period */
      c_exit(c, c->sc.term_after > grace_ms ? 137 : 0);
    else if (c->st == C_WAITING && c->cid[0]) {   /* in back-off */
      c->st = C_TERMINATED;
      c->code = (int)sim_vint(&c->pending_last, "terminated.exitCode", 0);
      snprintf(c->reason, sizeof c->reason, "%s",
               c->code ? "Error" : "Completed");
    }
  }
  sim_kl_publish(p);
  if (pod) {
    char *name = kd_strndup(p->name, strlen(p->name));
    char *ns = kd_strndup(p->ns, strlen(p->ns));
    sim_delete_opts now = {NULL, NULL, NULL, 0, 0};   /* grace 0: gone */
    if (name && ns) sim_obj_delete_opts(k->s, k->pods, ns, name, &now, &err);
    free(name);
    free(ns);
  }
}

static void p_fire(sim *s, void *ctx)
{
  kpod *p = ctx;
  (void)s;
  p->timer = 0;
  if (p->action == PA_SANDBOX) sandbox_ready(p);
  else if (p->action == PA_KILLED) pod_killed(p);
}

/* ---- the model --------------------------------------------------------------- */

static void pod_free(kpod *p)
{
  size_t i;
  if (!p) return;
  if (p->timer) sim_timer_cancel(p->k->s, p->timer);
  for (i = 0; i < p->n; i++) {
    kcont *c = &p->c[i];
    c_cancel(c);
    free(c->name);
    free(c->image);
    free(c->ref);
    free(c->message);
    free(c->started_at);
    free(c->finished_at);
    sim_kl_script_free(&c->sc);
    kd_value_clear(&c->last);
    kd_value_clear(&c->pending_last);
  }
  free(p->c);
  free(p->ns);
  free(p->name);
  free(p->uid);
  free(p->node);
  free(p->ip);
  free(p->host_ip);
  free(p->start_time);
  free(p);
}

static void pod_drop(kubelet *k, kpod *p)
{
  kpod **pp;
  for (pp = &k->list; *pp; pp = &(*pp)->next)
    if (*pp == p) {
      *pp = p->next;
      break;
    }
  pod_free(p);
}

static char *node_ip(kubelet *k, const char *node, int host)
{
  const kd_value *n = sim_obj_get(k->s, k->nodes, NULL, node);
  const kd_value *addrs = kd_value_path(n, "status.addresses");
  const char *cidr = sim_vstr(n, "spec.podCIDR");
  kd_value *next;
  char buf[64];
  size_t i;
  if (host) {
    for (i = 0; i < sim_vlen(addrs); i++)
      if (sim_vstr(&addrs->u.arr.items[i], "type") &&
          !strcmp(sim_vstr(&addrs->u.arr.items[i], "type"), "InternalIP"))
        return kd_strndup(sim_vstr(&addrs->u.arr.items[i], "address"),
                          strlen(sim_vstr(&addrs->u.arr.items[i], "address")));
    return kd_strndup("10.0.0.1", 8);
  }
  next = kd_obj_gets(&k->next_ip, node);
  if (!next && (next = kd_obj_add(&k->next_ip, node, strlen(node))))
    kd_value_int(next, 1);
  if (!next) return NULL;
  next->u.i = next->u.i % 253 + 1;
  snprintf(buf, sizeof buf, "%s", cidr ? cidr : "10.244.0.0/24");
  if (strrchr(buf, '.')) *strrchr(buf, '.') = 0;
  snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ".%lld",
           (long long)next->u.i + 1);
  return kd_strndup(buf, strlen(buf));
}

static void add_containers(kpod *p, const kd_value *list, int init,
                           size_t *at)
{
  size_t i;
  for (i = 0; i < sim_vlen(list); i++) {
    const kd_value *cs = &list->u.arr.items[i];
    kcont *c = &p->c[(*at)++];
    const char *rp = sim_vstr(cs, "restartPolicy");
    const char *img = sim_vstr(cs, "image") ? sim_vstr(cs, "image") : "";
    const char *nm = sim_vstr(cs, "name") ? sim_vstr(cs, "name") : "";
    c->p = p;
    c->init = init;
    c->sidecar = init && rp && !strcmp(rp, "Always");
    c->name = kd_strndup(nm, strlen(nm));
    c->image = kd_strndup(img, strlen(img));
    c->ref = sim_kl_image_ref(img);
    sim_kl_script(&c->sc, cs, p->restart_policy, init, c->sidecar);
    kd_value_obj(&c->last);
    kd_value_obj(&c->pending_last);
    c_wait(c, init ? "PodInitializing" : p->n_init ? "PodInitializing"
                                                   : "ContainerCreating",
           NULL);
  }
}

static kpod *pod_new(kubelet *k, const kd_value *pod)
{
  kpod *p = calloc(1, sizeof *p);
  const kd_value *init = kd_value_path(pod, "spec.initContainers");
  const kd_value *main = kd_value_path(pod, "spec.containers");
  const char *rp = sim_vstr(pod, "spec.restartPolicy");
  size_t at = 0;
  if (!p) return NULL;
  p->k = k;
  p->ns = kd_strndup(sim_vstr(pod, "metadata.namespace"),
                     strlen(sim_vstr(pod, "metadata.namespace")));
  p->name = kd_strndup(sim_vstr(pod, "metadata.name"),
                       strlen(sim_vstr(pod, "metadata.name")));
  p->uid = kd_strndup(sim_vstr(pod, "metadata.uid"),
                      strlen(sim_vstr(pod, "metadata.uid")));
  p->node = kd_strndup(sim_vstr(pod, "spec.nodeName"),
                       strlen(sim_vstr(pod, "spec.nodeName")));
  p->restart_policy = rp && !strcmp(rp, "Never") ? "Never"
                      : rp && !strcmp(rp, "OnFailure") ? "OnFailure"
                                                       : "Always";
  p->n_init = sim_vlen(init);
  p->n = p->n_init + sim_vlen(main);
  p->c = calloc(p->n ? p->n : 1, sizeof *p->c);
  if (!p->ns || !p->name || !p->uid || !p->node || !p->c) {
    pod_free(p);
    return NULL;
  }
  add_containers(p, init, 1, &at);
  add_containers(p, main, 0, &at);
  p->host_ip = node_ip(k, p->node, 1);
  p->ip = node_ip(k, p->node, 0);
  p->start_time = sim_timestamp(k->s);
  p->stage = P_SANDBOX;
  p->next = k->list;
  k->list = p;
  return p;
}

static kpod *pod_find(kubelet *k, const char *ns, const char *name)
{
  kpod *p;
  for (p = k->list; p; p = p->next)
    if (!strcmp(p->name, name) && !strcmp(p->ns, ns)) return p;
  return NULL;
}

/* A pod the sim already ran before a restart (--state): its containers
 * keep running as the stored status says. */
static int adopt(kpod *p, const kd_value *pod)
{
  const kd_value *cs = kd_value_path(pod, "status.containerStatuses");
  const char *phase = sim_vstr(pod, "status.phase");
  size_t i, j;
  if (!phase || (strcmp(phase, "Running") && strcmp(phase, "Succeeded") &&
                 strcmp(phase, "Failed")))
    return 0;
  p->sandbox = 1;
  p->stage = strcmp(phase, "Running") ? P_DONE : P_MAIN;
  p->init_i = p->n_init;
  for (i = 0; i < p->n; i++) {
    kcont *c = &p->c[i];
    const char *cid;
    if (c->init) {
      c->st = C_TERMINATED;
      snprintf(c->reason, sizeof c->reason, "Completed");
      continue;
    }
    for (j = 0; j < sim_vlen(cs); j++) {
      const kd_value *x = &cs->u.arr.items[j];
      if (!sim_vstr(x, "name") || strcmp(sim_vstr(x, "name"), c->name))
        continue;
      cid = sim_vstr(x, "containerID");
      if (cid) snprintf(c->cid, sizeof c->cid, "%s", cid);
      c->restarts = (int)sim_vint(x, "restartCount", 0);
      c->ready = sim_vbool(x, "ready", 0);
      c->started = sim_vbool(x, "started", 0);
      if (kd_value_path(x, "state.running")) {
        c->st = C_RUNNING;
        set_str(&c->started_at,
                kd_strndup(sim_vstr(x, "state.running.startedAt") ? sim_vstr(x, "state.running.startedAt") : "",
                           strlen(sim_vstr(x, "state.running.startedAt") ? sim_vstr(x, "state.running.startedAt") : "")));
        if (c->sc.run_for >= 0) c_after(c, A_EXIT, c->sc.run_for);
      } else if (kd_value_path(x, "state.terminated")) {
        c->st = C_TERMINATED;
        c->code = (int)sim_vint(x, "state.terminated.exitCode", 0);
        snprintf(c->reason, sizeof c->reason, "%s", c->code ? "Error" : "Completed");
      }
    }
  }
  return 1;
}

/* A container whose image changed in the pod's spec (the one field of a
 * running container that may change) is killed and started again with
 * the new image, as the kubelet does. */
static void spec_changes(kpod *p, const kd_value *pod)
{
  const kd_value *list = kd_value_path(pod, "spec.containers");
  size_t i, j;
  for (i = p->n_init; i < p->n; i++) {
    kcont *c = &p->c[i];
    const kd_value *spec = NULL;
    const char *img;
    for (j = 0; j < sim_vlen(list); j++)
      if (sim_vstr(&list->u.arr.items[j], "name") &&
          !strcmp(sim_vstr(&list->u.arr.items[j], "name"), c->name))
        spec = &list->u.arr.items[j];
    img = sim_vstr(spec, "image");
    if (!img || !strcmp(img, c->image)) continue;
    set_str(&c->image, kd_strndup(img, strlen(img)));
    set_str(&c->ref, sim_kl_image_ref(img));
    sim_kl_script_free(&c->sc);
    sim_kl_script(&c->sc, spec, p->restart_policy, 0, 0);
    if (c->st != C_RUNNING) continue;   /* the next start takes it */
    EVENT(p, c, "Normal", "Killing",
          "Container %s definition changed, will be restarted", c->name);
    c_cancel(c);
    c->crashes = 0;   /* a change, not a crash: started again at once */
    c_exit(c, 0);
  }
}

static void sync(sim *s, void *ctx, const char *ns, const char *name)
{
  kubelet *k = ctx;
  const kd_value *pod = sim_obj_get(s, k->pods, ns, name);
  const char *node = sim_vstr(pod, "spec.nodeName");
  const char *uid = sim_vstr(pod, "metadata.uid");
  kpod *p = pod_find(k, ns, name);
  if (p && (!pod || !uid || strcmp(uid, p->uid))) {   /* gone or replaced */
    sim_log_drop(s, ns, name);
    pod_drop(k, p);
    p = NULL;
  }
  if (!pod || !node || !sim_obj_get(s, k->nodes, NULL, node)) return;
  if (!p) {
    const char *phase = sim_vstr(pod, "status.phase");
    int fresh = !kd_value_path(pod, "status.containerStatuses");
    if (!fresh && phase && (!strcmp(phase, "Succeeded") ||
                            !strcmp(phase, "Failed")) &&
        !kd_value_path(pod, "metadata.deletionTimestamp"))
      return;   /* finished before: nothing to run */
    if (!(p = pod_new(k, pod))) return;
    if (fresh || !adopt(p, pod)) {
      sim_kl_publish(p);
      p_after(p, PA_SANDBOX, SANDBOX_MS);
    }
    pod = sim_obj_get(s, k->pods, ns, name);
  }
  if (pod && kd_value_path(pod, "metadata.deletionTimestamp") &&
      p->stage != P_KILLING)
    pod_kill(p, sim_vint(pod, "metadata.deletionGracePeriodSeconds", 30));
  else if (pod && p->stage == P_MAIN)
    spec_changes(p, pod);
}

static void on_event(sim *s, void *ctx, const sim_event *ev)
{
  kubelet *k = ctx;
  (void)s;
  if (ev->res != k->pods) return;
  if (ev->type != SIM_DELETED && !sim_vstr(ev->obj, "spec.nodeName")) return;
  sim_queue_add_obj(k->q, ev->obj);
}

int sim_kubelet_start(sim *s, void **state, kd_error *err)
{
  kubelet *k = calloc(1, sizeof *k);
  if (!k || !(k->q = sim_queue_new(s, sync, k))) {
    free(k);
    return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
  }
  k->s = s;
  k->pods = sim_res(s, "", "pods");
  k->nodes = sim_res(s, "", "nodes");
  k->cms = sim_res(s, "", "configmaps");
  k->secrets = sim_res(s, "", "secrets");
  kd_value_obj(&k->images);
  kd_value_obj(&k->next_ip);
  k->sub = sim_subscribe(s, on_event, k);
  sim_features_set(s, SIM_F_KUBELET);
  sim_queue_add_all(k->q, k->pods);
  *state = k;
  return KD_OK;
}

void sim_kubelet_stop(sim *s, void *state)
{
  kubelet *k = state;
  if (!k) return;
  sim_unsubscribe(s, k->sub);
  while (k->list) pod_drop(k, k->list);
  sim_queue_free(k->q);
  kd_value_clear(&k->images);
  kd_value_clear(&k->next_ip);
  free(k);
}
