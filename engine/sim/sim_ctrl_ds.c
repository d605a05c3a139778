/* engine/sim/sim_ctrl_ds.c: the DaemonSet controller. One pod on every
 * node the template fits (nodeSelector, node affinity, taints), pinned
 * by a node-name affinity as kube does and tolerating the node-condition
 * taints; pods removed from nodes that no longer fit; RollingUpdate
 * within maxUnavailable (or maxSurge), OnDelete; ControllerRevisions and
 * the controller-revision-hash / pod-template-generation labels; status
 * desired/current/updated/ready/available/unavailable/misscheduled. */
#include "sim_ctrl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMPONENT "daemonset-controller"
#define REV_LABEL "controller-revision-hash"

typedef struct dsc {
  sim *s;
  int sub;
  sim_queue *q;
  const sim_resource *sets, *pods, *nodes;
} dsc;

typedef struct dsync {
  dsc *c;
  kd_value ds, pods, nodes, revs;
  const char *ns;
  char hash[16], rev[320];
  int64_t now, wait, min_ready;
} dsync;

/* The node a daemon pod is for: spec.nodeName, or its node-name affinity. */
static const char *node_of(const kd_value *pod)
{
  const kd_value *terms = kd_value_path(pod,
      "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
      ".nodeSelectorTerms");
  size_t i, j;
  if (sim_vstr(pod, "spec.nodeName")) return sim_vstr(pod, "spec.nodeName");
  for (i = 0; i < sim_vlen(terms); i++) {
    const kd_value *mf = kd_value_path(&terms->u.arr.items[i], "matchFields");
    for (j = 0; j < sim_vlen(mf); j++) {
      const kd_value *vals = kd_value_path(&mf->u.arr.items[j], "values");
      if (sim_vstr(&mf->u.arr.items[j], "key") &&
          !strcmp(sim_vstr(&mf->u.arr.items[j], "key"), "metadata.name") &&
          sim_vlen(vals) == 1 && vals->u.arr.items[0].type == KD_STR)
        return vals->u.arr.items[0].u.str.s;
    }
  }
  return NULL;
}

static int current(dsync *x, const kd_value *pod)
{
  const char *h = sim_vkey(kd_value_path(pod, "metadata.labels"), REV_LABEL);
  return h && !strcmp(h, x->hash);
}

static int available(dsync *x, const kd_value *pod)
{
  return !kd_value_path(pod, "metadata.deletionTimestamp") &&
         sim_pod_available(pod, x->min_ready, x->now, &x->wait);
}

/* The pod template made for NODE: pinned there, kube's tolerations. */
static void create_pod(dsync *x, const char *node)
{
  static const char *const tol[][2] = {
    {"node.kubernetes.io/not-ready", "NoExecute"},
    {"node.kubernetes.io/unreachable", "NoExecute"},
    {"node.kubernetes.io/disk-pressure", "NoSchedule"},
    {"node.kubernetes.io/memory-pressure", "NoSchedule"},
    {"node.kubernetes.io/pid-pressure", "NoSchedule"},
    {"node.kubernetes.io/unschedulable", "NoSchedule"}};
  kd_value pod, *terms, *t, *mf, *tols;
  char prefix[300], gen[32];
  size_t i;
  snprintf(prefix, sizeof prefix, "%s-", sim_vstr(&x->ds, "metadata.name"));
  sim_pod_from_template(&pod, kd_value_path(&x->ds, "spec.template"), &x->ds,
                        NULL, prefix);
  snprintf(gen, sizeof gen, "%lld",
           (long long)sim_vint(&x->ds, "metadata.generation", 1));
  sim_vset_key(sim_vobj(&pod, "metadata.labels"), REV_LABEL, x->hash);
  sim_vset_key(sim_vobj(&pod, "metadata.labels"), "pod-template-generation", gen);
  terms = sim_varr(&pod, "spec.affinity.nodeAffinity."
                         "requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms");
  kd_value_clear(terms);
  kd_value_arr(terms);
  if ((t = kd_arr_push(terms))) {
    kd_value_obj(t);
    mf = sim_varr(t, "matchFields");
    if ((mf = kd_arr_push(mf))) {
      kd_value_obj(mf);
      sim_vset_str(mf, "key", "metadata.name");
      sim_vset_str(mf, "operator", "In");
      sim_vpush_str(sim_varr(mf, "values"), node);
    }
  }
  tols = sim_varr(&pod, "spec.tolerations");
  for (i = 0; i < sizeof tol / sizeof tol[0]; i++) {
    size_t k;
    int have = 0;
    for (k = 0; k < tols->u.arr.len; k++)
      if (sim_vstr(&tols->u.arr.items[k], "key") &&
          !strcmp(sim_vstr(&tols->u.arr.items[k], "key"), tol[i][0]))
        have = 1;
    if (have || !(t = kd_arr_push(tols))) continue;
    kd_value_obj(t);
    sim_vset_str(t, "key", tol[i][0]);
    sim_vset_str(t, "operator", "Exists");
    sim_vset_str(t, "effect", tol[i][1]);
  }
  sim_pod_create(x->c->s, &x->ds, x->ns, &pod, COMPONENT);
  kd_value_clear(&pod);
}

static void delete_pod(dsync *x, const kd_value *pod)
{
  sim_pod_delete(x->c->s, &x->ds, x->ns, sim_vstr(pod, "metadata.name"),
                 COMPONENT);
}

/* Pods on NODE (active or terminating). */
static size_t pods_on(dsync *x, const char *node, const kd_value **out,
                      size_t max)
{
  size_t i, n = 0;
  for (i = 0; i < x->pods.u.arr.len && n < max; i++) {
    const char *pn = node_of(&x->pods.u.arr.items[i]);
    if (pn && !strcmp(pn, node)) out[n++] = &x->pods.u.arr.items[i];
  }
  return n;
}

static int fits(dsync *x, const kd_value *node)
{
  const kd_value *tmpl = kd_value_path(&x->ds, "spec.template");
  return sim_pod_fits_node(tmpl, node) && !sim_pod_untolerated(tmpl, node);
}

static void manage(dsync *x)
{
  const char *type = sim_vstr(&x->ds, "spec.updateStrategy.type");
  int rolling = !type || strcmp(type, "OnDelete");
  int64_t desired = 0, unavail = 0, max_unavail, max_surge;
  const kd_value *on[8];
  size_t i, k, n;
  for (i = 0; i < x->nodes.u.arr.len; i++)
    if (fits(x, &x->nodes.u.arr.items[i])) desired++;
  max_unavail = sim_scaled(kd_value_path(&x->ds,
                "spec.updateStrategy.rollingUpdate.maxUnavailable"), desired, 0, 1);
  max_surge = sim_scaled(kd_value_path(&x->ds,
                "spec.updateStrategy.rollingUpdate.maxSurge"), desired, 1, 0);
  if (max_unavail == 0 && max_surge == 0) max_unavail = 1;
  for (i = 0; i < x->nodes.u.arr.len; i++) {   /* unavailable nodes first */
    const kd_value *node = &x->nodes.u.arr.items[i];
    int ok = 0;
    if (!fits(x, node)) continue;
    n = pods_on(x, sim_vstr(node, "metadata.name"), on, 8);
    for (k = 0; k < n; k++) if (available(x, on[k])) ok = 1;
    if (!ok) unavail++;
  }
  for (i = 0; i < x->nodes.u.arr.len; i++) {
    const kd_value *node = &x->nodes.u.arr.items[i];
    const char *nn = sim_vstr(node, "metadata.name");
    const kd_value *live = NULL, *fresh = NULL;
    n = pods_on(x, nn, on, 8);
    if (!fits(x, node)) {   /* misscheduled */
      for (k = 0; k < n; k++)
        if (!kd_value_path(on[k], "metadata.deletionTimestamp")) delete_pod(x, on[k]);
      continue;
    }
    for (k = 0; k < n; k++) {
      const char *ph = sim_vstr(on[k], "status.phase");
      if (kd_value_path(on[k], "metadata.deletionTimestamp")) continue;
      if (ph && !strcmp(ph, "Failed")) {   /* failed daemon pods are replaced */
        delete_pod(x, on[k]);
        continue;
      }
      if (current(x, on[k]) && !fresh) fresh = on[k];
      else if (!live) live = on[k];
      else delete_pod(x, on[k]);          /* one pod per node */
    }
    if (!live && !fresh) {
      int busy = 0;
      for (k = 0; k < n; k++)
        if (kd_value_path(on[k], "metadata.deletionTimestamp")) busy = 1;
      if (!busy) create_pod(x, nn);
      continue;
    }
    if (!rolling || !live) continue;
    if (fresh) {   /* surge: the old one goes once the new one serves */
      if (available(x, fresh)) delete_pod(x, live);
      continue;
    }
    if (!available(x, live)) {
      delete_pod(x, live);              /* unavailable anyway */
    } else if (max_surge > 0) {
      create_pod(x, nn);
      max_surge--;
    } else if (unavail < max_unavail) {
      delete_pod(x, live);
      unavail++;
    }
  }
}

static void status(dsync *x)
{
  int64_t desired = 0, cur = 0, miss = 0, ready = 0, upd = 0, avail = 0;
  const kd_value *on[8];
  kd_value *st;
  size_t i, k, n;
  for (i = 0; i < x->nodes.u.arr.len; i++) {
    const kd_value *node = &x->nodes.u.arr.items[i];
    int want = fits(x, node), has = 0, r = 0, u = 0, a = 0;
    n = pods_on(x, sim_vstr(node, "metadata.name"), on, 8);
    for (k = 0; k < n; k++) {
      if (kd_value_path(on[k], "metadata.deletionTimestamp")) continue;
      has = 1;
      if (sim_pod_ready(on[k])) r = 1;
      if (current(x, on[k])) u = 1;
      if (available(x, on[k])) a = 1;
    }
    if (!want) {
      if (has) miss++;
      continue;
    }
    desired++;
    cur += has;
    ready += r;
    upd += u;
    avail += a;
  }
  st = sim_vobj(&x->ds, "status");
  sim_vset_int(st, "currentNumberScheduled", cur);
  sim_vset_int(st, "desiredNumberScheduled", desired);
  sim_vset_int(st, "numberMisscheduled", miss);
  sim_vset_int(st, "numberReady", ready);
  if (avail) sim_vset_int(st, "numberAvailable", avail);
  else sim_vdel(st, "numberAvailable");
  if (desired - avail > 0) sim_vset_int(st, "numberUnavailable", desired - avail);
  else sim_vdel(st, "numberUnavailable");
  if (upd) sim_vset_int(st, "updatedNumberScheduled", upd);
  else sim_vdel(st, "updatedNumberScheduled");
  sim_vset_int(st, "observedGeneration", sim_vint(&x->ds, "metadata.generation", 1));
}

static void sync(sim *s, void *ctx, const char *ns, const char *name)
{
  dsc *c = ctx;
  const kd_value *stored = sim_obj_get(s, c->sets, ns, name);
  dsync x;
  kd_value before;
  kd_error err;
  char *ts;
  if (!stored) return;
  memset(&x, 0, sizeof x);
  x.c = c;
  kd_value_copy(&x.ds, stored);
  kd_value_copy(&before, stored);
  x.ns = sim_vstr(&x.ds, "metadata.namespace");
  x.wait = -1;
  x.min_ready = sim_vint(&x.ds, "spec.minReadySeconds", 0);
  ts = sim_timestamp(s);
  x.now = sim_time_ms(ts);
  free(ts);
  sim_list(s, c->pods, ns, sim_filter_owned, (void *)sim_vstr(&x.ds, "metadata.uid"),
           &x.pods);
  sim_list(s, c->nodes, NULL, NULL, NULL, &x.nodes);
  sim_revisions(s, &x.ds, &x.revs);
  if (sim_revision_current(s, &x.ds, &x.revs, x.rev, x.hash) >= 0) {
    if (!kd_value_path(&x.ds, "metadata.deletionTimestamp")) manage(&x);
    status(&x);
    if (!kd_value_equal(&before, &x.ds))
      sim_obj_update_status(s, c->sets, &x.ds, NULL, &err);
    sim_revisions_prune(s, &x.ds, &x.revs, &x.pods, x.rev, NULL);
  }
  if (x.wait > 0) sim_queue_add_after(c->q, ns, name, x.wait);
  kd_value_clear(&before);
  kd_value_clear(&x.ds);
  kd_value_clear(&x.pods);
  kd_value_clear(&x.nodes);
  kd_value_clear(&x.revs);
}

static void on_event(sim *s, void *ctx, const sim_event *ev)
{
  dsc *c = ctx;
  if (ev->res == c->sets) {
    if (ev->type != SIM_DELETED)
      sim_queue_add_obj(c->q, ev->obj);
  } else if (ev->res == c->pods) {
    sim_queue_add_owner(c->q, ev->obj, "DaemonSet");
  } else if (ev->res == c->nodes) {   /* nodes come, go, change labels */
    sim_queue_add_all(c->q, c->sets);
  }
  (void)s;
}

int sim_ds_start(sim *s, void **state, kd_error *err)
{
  dsc *c = calloc(1, sizeof *c);
  if (!c) return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
  c->s = s;
  c->sets = sim_res(s, "apps", "daemonsets");
  c->pods = sim_res(s, "", "pods");
  c->nodes = sim_res(s, "", "nodes");
  if (sim_ctrl_begin(s, c, sync, on_event, c->sets, &c->q, &c->sub, err)) {
    free(c);
    return KD_ENOMEM;
  }
  *state = c;
  return KD_OK;
}

void sim_ds_stop(sim *s, void *state)
{
  dsc *c = state;
  if (!c) return;
  sim_ctrl_end(s, c->q, c->sub);
  free(c);
}
