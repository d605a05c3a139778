/* engine/sim/sim_ctrl_sched.c: the simulated kube-scheduler. Binds each
 * pending pod to the least busy node that fits (Ready, schedulable,
 * taints tolerated, nodeSelector and required node affinity matched,
 * PersistentVolumeClaims present and bound or waiting for their first
 * consumer); otherwise sets PodScheduled=False/Unschedulable and records
 * FailedScheduling with kube's message, and retries when nodes or claims
 * change. */
#include "sim_ctrl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHED_DELAY_MS 20   /* from creation to binding */

typedef struct sched {
  sim *s;
  int sub;
  sim_queue *q;
  const sim_resource *pods, *nodes, *pvcs, *scs;
} sched;

static int node_ready(const kd_value *node)
{
  return sim_cond_true(node, "Ready");
}

/* ---- reasons, counted per node as the scheduler reports them ----------- */

typedef struct reasons {
  char text[8][160];
  int count[8];
  int n;
} reasons;

static void reason_add(reasons *r, const char *text)
{
  int i;
  for (i = 0; i < r->n; i++)
    if (!strcmp(r->text[i], text)) {
      r->count[i]++;
      return;
    }
  if (r->n == 8) return;
  snprintf(r->text[r->n], sizeof r->text[0], "%s", text);
  r->count[r->n++] = 1;
}

static int reason_cmp(const void *a, const void *b)
{
  return strcmp(a, b);
}

/* "0/3 nodes are available: 1 node(s) had ..., 2 node(s) didn't match
 * ... preemption: 0/3 nodes are available: 3 Preemption is not helpful
 * for scheduling." */
static void unschedulable_msg(kd_buf *b, reasons *r, int nodes)
{
  char lines[8][200];
  int i;
  for (i = 0; i < r->n; i++)
    snprintf(lines[i], sizeof lines[i], "%d %s", r->count[i], r->text[i]);
  qsort(lines, (size_t)r->n, sizeof lines[0], reason_cmp);
  kd_buf_printf(b, "0/%d nodes are available: ", nodes);
  for (i = 0; i < r->n; i++)
    kd_buf_printf(b, "%s%s", i ? ", " : "", lines[i]);
  kd_buf_printf(b, ". preemption: 0/%d nodes are available: %d Preemption "
                "is not helpful for scheduling.", nodes, nodes);
}

/* ---- claims --------------------------------------------------------------- */

enum { CLAIMS_OK, CLAIMS_WAIT, CLAIMS_FAIL };

/* Checks the pod's PersistentVolumeClaims; for unbound claims of a
 * WaitForFirstConsumer class, asks for a volume on NODE (the annotation
 * the provisioner acts on) and answers CLAIMS_WAIT. */
static int check_claims(sched *sc, const kd_value *pod, const char *node,
                        kd_buf *why)
{
  const kd_value *vols = kd_value_path(pod, "spec.volumes");
  const char *ns = sim_vstr(pod, "metadata.namespace");
  int rc = CLAIMS_OK;
  size_t i;
  for (i = 0; i < sim_vlen(vols); i++) {
    const char *claim = sim_vstr(&vols->u.arr.items[i],
                                 "persistentVolumeClaim.claimName");
    const kd_value *pvc, *cls = NULL;
    const char *phase, *scn, *mode;
    if (!claim) continue;
    pvc = sim_obj_get(sc->s, sc->pvcs, ns, claim);
    if (!pvc) {
      kd_buf_printf(why, "persistentvolumeclaim \"%s\" not found", claim);
      return CLAIMS_FAIL;
    }
    if (kd_value_path(pvc, "metadata.deletionTimestamp")) {
      kd_buf_printf(why, "persistentvolumeclaim \"%s\" is being deleted",
                    claim);
      return CLAIMS_FAIL;
    }
    phase = sim_vstr(pvc, "status.phase");
    if (phase && !strcmp(phase, "Bound")) continue;
    scn = sim_vstr(pvc, "spec.storageClassName");
    if (scn && scn[0]) cls = sim_obj_get(sc->s, sc->scs, NULL, scn);
    mode = sim_vstr(cls, "volumeBindingMode");
    if (cls && mode && !strcmp(mode, "WaitForFirstConsumer")) {
      if (node && !sim_vkey(kd_value_path(pvc, "metadata.annotations"),
                            "volume.kubernetes.io/selected-node")) {
        kd_value c;
        kd_error err;
        kd_value_copy(&c, pvc);
        sim_vset_key(sim_vobj(&c, "metadata.annotations"),
                     "volume.kubernetes.io/selected-node", node);
        sim_obj_update(sc->s, sc->pvcs, &c, NULL, &err);
        kd_value_clear(&c);
      }
      rc = CLAIMS_WAIT;
      continue;
    }
    kd_buf_adds(why, "pod has unbound immediate PersistentVolumeClaims");
    return CLAIMS_FAIL;
  }
  return rc;
}

/* ---- binding --------------------------------------------------------------- */

struct count_ctx {
  const char *node;
  int n;
};

static int count_on(void *ctx, const kd_value *pod)
{
  struct count_ctx *c = ctx;
  const char *n = sim_vstr(pod, "spec.nodeName");
  const char *ph = sim_vstr(pod, "status.phase");
  if (n && !strcmp(n, c->node) &&
      !(ph && (!strcmp(ph, "Succeeded") || !strcmp(ph, "Failed"))))
    c->n++;
  return 0;
}

static void set_unschedulable(sched *sc, const kd_value *pod, const char *msg)
{
  kd_value c;
  kd_error err;
  char *now = sim_timestamp(sc->s);
  if (!now) return;
  kd_value_copy(&c, pod);
  if (sim_cond_set(&c, "PodScheduled", "False", "Unschedulable", msg,
                   SIM_COND_NULL_PROBE | SIM_COND_IN_PLACE, now)) {
    sim_obj_manager(sc->s, "kube-scheduler");
    sim_obj_update_status(sc->s, sc->pods, &c, NULL, &err);
    sim_obj_manager(sc->s, NULL);
  }
  kd_value_clear(&c);
  sim_record(sc->s, pod, "Warning", "FailedScheduling", "default-scheduler",
             NULL, NULL, "%s", msg);
  free(now);
}

static void bind(sched *sc, const kd_value *pod, const char *node)
{
  kd_value c;
  kd_error err;
  int rc;
  char *now = sim_timestamp(sc->s);
  if (!now) return;
  kd_value_copy(&c, pod);
  sim_vset_str(&c, "spec.nodeName", node);
  sim_cond_set(&c, "PodScheduled", "True", NULL, NULL,
               SIM_COND_NULL_PROBE | SIM_COND_IN_PLACE, now);
  sim_obj_manager(sc->s, "kube-scheduler");
  rc = sim_obj_replace(sc->s, sc->pods, &c, NULL, &err);
  sim_obj_manager(sc->s, NULL);
  if (rc == KD_OK)
    sim_record(sc->s, pod, "Normal", "Scheduled", "default-scheduler", NULL,
               NULL, "Successfully assigned %s/%s to %s",
               sim_vstr(pod, "metadata.namespace"),
               sim_vstr(pod, "metadata.name"), node);
  kd_value_clear(&c);
  free(now);
}

static void sync(sim *s, void *ctx, const char *ns, const char *name)
{
  sched *sc = ctx;
  const kd_value *pod = sim_obj_get(s, sc->pods, ns, name);
  kd_value nodes, podc;
  reasons why;
  kd_buf claim_why = {0}, msg = {0};
  const char *best = NULL;
  int best_n = 0, claims = CLAIMS_OK;
  size_t i;
  if (!pod || sim_vstr(pod, "spec.nodeName") ||
      kd_value_path(pod, "metadata.deletionTimestamp"))
    return;
  memset(&why, 0, sizeof why);
  kd_value_copy(&podc, pod);   /* PVC updates below may move the store */
  sim_list(s, sc->nodes, NULL, NULL, NULL, &nodes);
  for (i = 0; i < nodes.u.arr.len; i++) {
    const kd_value *node = &nodes.u.arr.items[i];
    const kd_value *t;
    struct count_ctx cc;
    if (!node_ready(node)) {
      reason_add(&why, "node(s) were not ready");
      continue;
    }
    if (sim_vbool(node, "spec.unschedulable", 0)) {
      reason_add(&why, "node(s) were unschedulable");
      continue;
    }
    if ((t = sim_pod_untolerated(&podc, node))) {
      char buf[160];
      snprintf(buf, sizeof buf, "node(s) had untolerated taint {%s: %s}",
               sim_vstr(t, "key") ? sim_vstr(t, "key") : "",
               sim_vstr(t, "value") ? sim_vstr(t, "value") : "");
      reason_add(&why, buf);
      continue;
    }
    if (!sim_pod_fits_node(&podc, node)) {
      reason_add(&why, "node(s) didn't match Pod's node affinity/selector");
      continue;
    }
    cc.node = sim_vstr(node, "metadata.name");
    cc.n = 0;
    sim_obj_each(s, sc->pods, NULL, count_on, &cc);
    if (!best || cc.n < best_n) {
      best = cc.node;
      best_n = cc.n;
    }
  }
  if (!nodes.u.arr.len) {
    kd_buf_adds(&msg, "no nodes available to schedule pods");
  } else if (!best) {
    unschedulable_msg(&msg, &why, (int)nodes.u.arr.len);
  } else {
    claims = check_claims(sc, &podc, best, &claim_why);
    if (claims == CLAIMS_FAIL)
      kd_buf_printf(&msg, "0/%d nodes are available: %s. preemption: 0/%d "
                    "nodes are available: %d Preemption is not helpful for "
                    "scheduling.", (int)nodes.u.arr.len, claim_why.data,
                    (int)nodes.u.arr.len, (int)nodes.u.arr.len);
  }
  if (msg.data) set_unschedulable(sc, &podc, msg.data);
  else if (claims == CLAIMS_OK) bind(sc, &podc, best);
  /* CLAIMS_WAIT: the claim's update brings the pod back */
  kd_buf_free(&msg);
  kd_buf_free(&claim_why);
  kd_value_clear(&nodes);
  kd_value_clear(&podc);
}

/* ---- events ---------------------------------------------------------------- */

static int queue_pending(void *ctx, const kd_value *pod)
{
  sched *sc = ctx;
  if (!sim_vstr(pod, "spec.nodeName"))
    sim_queue_add_obj(sc->q, pod);
  return 0;
}

static void on_event(sim *s, void *ctx, const sim_event *ev)
{
  sched *sc = ctx;
  if (ev->res == sc->pods && ev->type != SIM_DELETED) {
    const char *sn = sim_vstr(ev->obj, "spec.schedulerName");
    if (sim_vstr(ev->obj, "spec.nodeName")) return;
    if (sn && strcmp(sn, "default-scheduler")) return;   /* not ours */
    sim_queue_add_after(sc->q, sim_vstr(ev->obj, "metadata.namespace"),
                        sim_vstr(ev->obj, "metadata.name"),
                        ev->type == SIM_ADDED ? SCHED_DELAY_MS : 0);
  } else if (ev->res == sc->nodes && ev->type != SIM_DELETED) {
    sim_obj_each(s, sc->pods, NULL, queue_pending, sc);
  } else if (ev->res == sc->pvcs || ev->res == sc->scs) {
    sim_obj_each(s, sc->pods, ev->res == sc->pvcs
                                  ? sim_vstr(ev->obj, "metadata.namespace")
                                  : NULL,
                 queue_pending, sc);
  }
}

int sim_sched_start(sim *s, void **state, kd_error *err)
{
  sched *sc = calloc(1, sizeof *sc);
  if (!sc || !(sc->q = sim_queue_new(s, sync, sc))) {
    free(sc);
    return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
  }
  sc->s = s;
  sc->pods = sim_res(s, "", "pods");
  sc->nodes = sim_res(s, "", "nodes");
  sc->pvcs = sim_res(s, "", "persistentvolumeclaims");
  sc->scs = sim_res(s, "storage.k8s.io", "storageclasses");
  sc->sub = sim_subscribe(s, on_event, sc);
  sim_obj_each(s, sc->pods, NULL, queue_pending, sc);
  *state = sc;
  return KD_OK;
}

void sim_sched_stop(sim *s, void *state)
{
  sched *sc = state;
  if (!sc) return;
  sim_unsubscribe(s, sc->sub);
  sim_queue_free(sc->q);
  free(sc);
}
