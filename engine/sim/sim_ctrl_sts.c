/* engine/sim/sim_ctrl_sts.c: the StatefulSet controller. Pods named
 * <set>-<ordinal> with stable hostnames, one PersistentVolumeClaim per
 * volumeClaimTemplate and ordinal, created in order and each waited for
 * (OrderedReady) or all at once (Parallel), removed from the highest
 * ordinal; ControllerRevisions for the template history; RollingUpdate
 * from the highest ordinal down to the partition, or OnDelete; status
 * replicas/readyReplicas/availableReplicas/currentReplicas/
 * updatedReplicas/currentRevision/updateRevision/observedGeneration as
 * kube computes them. */
#include "sim_ctrl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMPONENT "statefulset-controller"
#define REV_LABEL "controller-revision-hash"

typedef struct stsc {
  sim *s;
  int sub;
  sim_queue *q;
  const sim_resource *sets, *pods, *pvcs;
} stsc;

typedef struct ssync {
  stsc *c;
  kd_value set, pods, revs;
  const char *ns, *name;
  char update[320], current[320];
  int64_t now, wait;
  int monotonic;
} ssync;

static int64_t ordinal_of(const char *set, const char *pod)
{
  size_t n = strlen(set);
  char *end;
  long long o;
  if (strncmp(pod, set, n) || pod[n] != '-' || !pod[n + 1]) return -1;
  o = strtoll(pod + n + 1, &end, 10);
  return *end || o < 0 ? -1 : o;
}

static const char *revision_of(const kd_value *pod)
{
  return sim_vkey(kd_value_path(pod, "metadata.labels"), REV_LABEL);
}

static int running_ready(const kd_value *pod)
{
  const char *ph = sim_vstr(pod, "status.phase");
  return ph && !strcmp(ph, "Running") && sim_pod_ready(pod);
}

static int terminating(const kd_value *pod)
{
  return kd_value_path(pod, "metadata.deletionTimestamp") != NULL;
}

/* The pod of ORDINAL among X's pods, or NULL. */
static const kd_value *pod_at(ssync *x, int64_t ordinal)
{
  size_t i;
  for (i = 0; i < x->pods.u.arr.len; i++)
    if (ordinal_of(x->name, sim_vstr(&x->pods.u.arr.items[i], "metadata.name")) ==
        ordinal)
      return &x->pods.u.arr.items[i];
  return NULL;
}

/* The pod's claims: created when missing, and put in the pod's volumes. */
static int claims(ssync *x, kd_value *pod, int64_t ordinal)
{
  const kd_value *tmpls = kd_value_path(&x->set, "spec.volumeClaimTemplates");
  const char *pname = sim_vstr(pod, "metadata.name");
  size_t i, j;
  for (i = 0; i < sim_vlen(tmpls); i++) {
    const kd_value *t = &tmpls->u.arr.items[i];
    const char *tn = sim_vstr(t, "metadata.name");
    char claim[400];
    kd_value *vols, *v;
    if (!tn) continue;
    snprintf(claim, sizeof claim, "%s-%s-%lld", tn, x->name, (long long)ordinal);
    if (!sim_obj_get(x->c->s, x->c->pvcs, x->ns, claim)) {
      kd_value pvc, *slot;
      kd_error err;
      const kd_value *ml = kd_value_path(&x->set, "spec.selector.matchLabels");
      kd_value_obj(&pvc);
      sim_vset_str(&pvc, "apiVersion", "v1");
      sim_vset_str(&pvc, "kind", "PersistentVolumeClaim");
      sim_vset_str(&pvc, "metadata.name", claim);
      if (ml && ml->type == KD_OBJ && (slot = sim_vobj(&pvc, "metadata.labels"))) {
        kd_value_clear(slot);
        kd_value_copy(slot, ml);
      }
      if ((slot = kd_obj_add(&pvc, "spec", 4))) kd_value_copy(slot, kd_obj_gets(t, "spec"));
      if (sim_obj_create(x->c->s, x->c->pvcs, x->ns, &pvc, NULL, &err) != KD_OK) {
        sim_record(x->c->s, &x->set, "Warning", "FailedCreate", COMPONENT, NULL,
                   NULL, "create Claim %s for Pod %s in StatefulSet %s failed "
                   "error: %s", claim, pname, x->name, err.msg);
        kd_value_clear(&pvc);
        return 0;
      }
      sim_record(x->c->s, &x->set, "Normal", "SuccessfulCreate", COMPONENT, NULL,
                 NULL, "create Claim %s Pod %s in StatefulSet %s success", claim,
                 pname, x->name);
      kd_value_clear(&pvc);
    }
    vols = sim_varr(pod, "spec.volumes");
    for (j = 0; j < vols->u.arr.len; j++)
      if (sim_vstr(&vols->u.arr.items[j], "name") &&
          !strcmp(sim_vstr(&vols->u.arr.items[j], "name"), tn))
        break;
    if (j == vols->u.arr.len && !(v = kd_arr_push(vols))) continue;
    v = &vols->u.arr.items[j];
    kd_value_clear(v);
    kd_value_obj(v);
    sim_vset_str(v, "name", tn);
    sim_vset_str(v, "persistentVolumeClaim.claimName", claim);
  }
  return 1;
}

/* newVersionedStatefulSetPod: below the partition the current revision. */
static void create_pod(ssync *x, int64_t ordinal)
{
  const char *type = sim_vstr(&x->set, "spec.updateStrategy.type");
  const kd_value *part = kd_value_path(&x->set,
                                       "spec.updateStrategy.rollingUpdate.partition");
  int current = (!type || !strcmp(type, "RollingUpdate")) && part &&
                part->type == KD_INT && ordinal < part->u.i &&
                strcmp(x->current, x->update);
  const kd_value *tmpl = kd_value_path(&x->set, "spec.template");
  kd_value pod, *labels, old_tmpl;
  char name[300], ord[32];
  kd_error err;
  size_t i;
  kd_value_null(&old_tmpl);
  if (current) {   /* the template of the current revision */
    for (i = 0; i < x->revs.u.arr.len; i++)
      if (!strcmp(sim_vstr(&x->revs.u.arr.items[i], "metadata.name"), x->current)) {
        kd_value_copy(&old_tmpl, kd_value_path(&x->revs.u.arr.items[i],
                                               "data.spec.template"));
        sim_vdel(&old_tmpl, "$patch");
        tmpl = &old_tmpl;
      }
  }
  snprintf(name, sizeof name, "%s-%lld", x->name, (long long)ordinal);
  snprintf(ord, sizeof ord, "%lld", (long long)ordinal);
  sim_pod_from_template(&pod, tmpl, &x->set, name, NULL);
  labels = sim_vobj(&pod, "metadata.labels");
  sim_vset_key(labels, REV_LABEL, current ? x->current : x->update);
  sim_vset_key(labels, "statefulset.kubernetes.io/pod-name", name);
  sim_vset_key(labels, "apps.kubernetes.io/pod-index", ord);
  sim_vset_str(&pod, "spec.hostname", name);
  if (sim_vstr(&x->set, "spec.serviceName") && sim_vstr(&x->set, "spec.serviceName")[0])
    sim_vset_str(&pod, "spec.subdomain", sim_vstr(&x->set, "spec.serviceName"));
  if (claims(x, &pod, ordinal)) {
    if (sim_obj_create(x->c->s, x->c->pods, x->ns, &pod, NULL, &err) == KD_OK)
      sim_record(x->c->s, &x->set, "Normal", "SuccessfulCreate", COMPONENT, NULL,
                 NULL, "create Pod %s in StatefulSet %s successful", name, x->name);
    else
      sim_record(x->c->s, &x->set, "Warning", "FailedCreate", COMPONENT, NULL,
                 NULL, "create Pod %s in StatefulSet %s failed error: %s", name,
                 x->name, err.msg);
  }
  kd_value_clear(&pod);
  kd_value_clear(&old_tmpl);
}

static void delete_pod(ssync *x, const kd_value *pod)
{
  char name[300];
  kd_error err;
  snprintf(name, sizeof name, "%s", sim_vstr(pod, "metadata.name"));
  if (sim_obj_delete(x->c->s, x->c->pods, x->ns, name, NULL, &err) == KD_OK)
    sim_record(x->c->s, &x->set, "Normal", "SuccessfulDelete", COMPONENT, NULL,
               NULL, "delete Pod %s in StatefulSet %s successful", name, x->name);
}

/* Healthy enough for the next ordinal: running, ready, available. */
static int healthy(ssync *x, const kd_value *pod)
{
  return running_ready(pod) && !terminating(pod) &&
         sim_pod_available(pod, sim_vint(&x->set, "spec.minReadySeconds", 0),
                           x->now, &x->wait);
}

/* One pass of updateStatefulSet; stops where OrderedReady must wait. */
static void reconcile(ssync *x)
{
  int64_t want = sim_vint(&x->set, "spec.replicas", 1), i;
  const char *type = sim_vstr(&x->set, "spec.updateStrategy.type");
  int64_t partition = sim_vint(&x->set, "spec.updateStrategy.rollingUpdate.partition", 0);
  size_t k;
  for (i = 0; i < want; i++) {
    const kd_value *pod = pod_at(x, i);
    const char *ph = pod ? sim_vstr(pod, "status.phase") : NULL;
    if (pod && ph && !strcmp(ph, "Failed") && !terminating(pod)) {
      delete_pod(x, pod);   /* a failed pod is replaced */
      if (x->monotonic) return;
      continue;
    }
    if (!pod) {
      create_pod(x, i);
      if (x->monotonic) return;
      continue;
    }
    if (x->monotonic && !healthy(x, pod)) return;
  }
  /* condemned ordinals, highest first */
  for (k = x->pods.u.arr.len; k > 0; k--) {
    const kd_value *pod = &x->pods.u.arr.items[k - 1];
    int64_t o = ordinal_of(x->name, sim_vstr(pod, "metadata.name"));
    if (o >= 0 && o < want) continue;
    if (terminating(pod)) {
      if (x->monotonic) return;
      continue;
    }
    delete_pod(x, pod);
    if (x->monotonic) return;
  }
  if (type && !strcmp(type, "OnDelete")) return;
  /* RollingUpdate: the highest ordinal not at the update revision */
  for (i = want - 1; i >= partition; i--) {
    const kd_value *pod = pod_at(x, i);
    const char *rev;
    if (!pod) return;
    rev = revision_of(pod);
    if ((!rev || strcmp(rev, x->update)) && !terminating(pod)) {
      delete_pod(x, pod);
      return;
    }
    if (!healthy(x, pod)) return;   /* the updated one must come up first */
  }
}

static void status(ssync *x)
{
  int64_t replicas = 0, ready = 0, avail = 0, cur = 0, upd = 0;
  int64_t want = sim_vint(&x->set, "spec.replicas", 1);
  const char *type = sim_vstr(&x->set, "spec.updateStrategy.type");
  kd_value *st;
  size_t i;
  for (i = 0; i < x->pods.u.arr.len; i++) {
    const kd_value *p = &x->pods.u.arr.items[i];
    const char *rev = revision_of(p);
    if (sim_vstr(p, "status.phase")) replicas++;
    if (running_ready(p)) {
      ready++;
      if (sim_pod_available(p, sim_vint(&x->set, "spec.minReadySeconds", 0),
                            x->now, &x->wait))
        avail++;
    }
    if (sim_vstr(p, "status.phase") && !terminating(p) && rev) {
      if (!strcmp(rev, x->current)) cur++;
      if (!strcmp(rev, x->update)) upd++;
    }
  }
  /* completeRollingUpdate */
  if ((!type || !strcmp(type, "RollingUpdate")) && upd == replicas &&
      ready == replicas && replicas == want) {
    cur = upd;
    snprintf(x->current, sizeof x->current, "%s", x->update);
  }
  st = sim_vobj(&x->set, "status");
  sim_vset_int(st, "observedGeneration", sim_vint(&x->set, "metadata.generation", 1));
  sim_vset_int(st, "replicas", replicas);
  if (ready) sim_vset_int(st, "readyReplicas", ready);
  else sim_vdel(st, "readyReplicas");
  if (cur) sim_vset_int(st, "currentReplicas", cur);
  else sim_vdel(st, "currentReplicas");
  if (upd) sim_vset_int(st, "updatedReplicas", upd);
  else sim_vdel(st, "updatedReplicas");
  sim_vset_int(st, "availableReplicas", avail);
  sim_vset_str(st, "currentRevision", x->current);
  sim_vset_str(st, "updateRevision", x->update);
  sim_vset_int(st, "collisionCount", sim_vint(&x->set, "status.collisionCount", 0));
}

static int owned_or_orphan(void *ctx, const kd_value *pod)
{
  ssync *x = ctx;
  return sim_controlled_by(pod, sim_vstr(&x->set, "metadata.uid")) ||
         (!sim_controller_ref(pod) && ordinal_of(x->name, sim_vstr(pod, "metadata.name")) >= 0 &&
          sim_lsel_match(kd_value_path(&x->set, "spec.selector"),
                         kd_value_path(pod, "metadata.labels")));
}

static void sync(sim *s, void *ctx, const char *ns, const char *name)
{
  stsc *c = ctx;
  const kd_value *stored = sim_obj_get(s, c->sets, ns, name);
  ssync x;
  kd_value before;
  kd_error err;
  char hash[16], *ts;
  const char *pmp;
  size_t i;
  if (!stored) return;
  memset(&x, 0, sizeof x);
  x.c = c;
  kd_value_copy(&x.set, stored);
  kd_value_copy(&before, stored);
  x.ns = sim_vstr(&x.set, "metadata.namespace");
  x.name = sim_vstr(&x.set, "metadata.name");
  x.wait = -1;
  ts = sim_timestamp(s);
  x.now = sim_time_ms(ts);
  free(ts);
  pmp = sim_vstr(&x.set, "spec.podManagementPolicy");
  x.monotonic = !pmp || strcmp(pmp, "Parallel");
  sim_list(s, c->pods, ns, owned_or_orphan, &x, &x.pods);
  for (i = 0; i < x.pods.u.arr.len; i++) {   /* adopt orphans */
    kd_value *p = &x.pods.u.arr.items[i];
    if (!sim_controller_ref(p)) {
      sim_set_controller(p, &x.set);
      sim_obj_update(s, c->pods, p, NULL, &err);
    }
  }
  sim_revisions(s, &x.set, &x.revs);
  if (sim_revision_current(s, &x.set, &x.revs, x.update, hash) < 0) goto done;
  snprintf(x.current, sizeof x.current, "%s",
           sim_vstr(&x.set, "status.currentRevision") ? sim_vstr(&x.set, "status.currentRevision")
                                                      : x.update);
  {   /* the current revision must still exist */
    int found = 0;
    for (i = 0; i < x.revs.u.arr.len; i++)
      if (!strcmp(sim_vstr(&x.revs.u.arr.items[i], "metadata.name"), x.current)) found = 1;
    if (!found) snprintf(x.current, sizeof x.current, "%s", x.update);
  }
  if (!kd_value_path(&x.set, "metadata.deletionTimestamp")) reconcile(&x);
  status(&x);
  if (!kd_value_equal(&before, &x.set))
    sim_obj_update_status(s, c->sets, &x.set, NULL, &err);
  sim_revisions_prune(s, &x.set, &x.revs, &x.pods, x.current, x.update);
  if (x.wait > 0) sim_queue_add_after(c->q, ns, name, x.wait);
done:
  kd_value_clear(&before);
  kd_value_clear(&x.set);
  kd_value_clear(&x.pods);
  kd_value_clear(&x.revs);
}

static void on_event(sim *s, void *ctx, const sim_event *ev)
{
  stsc *c = ctx;
  (void)s;
  if (ev->res == c->sets) {
    if (ev->type != SIM_DELETED)
      sim_queue_add_obj(c->q, ev->obj);
  } else if (ev->res == c->pods) {
    sim_queue_add_owner(c->q, ev->obj, "StatefulSet");
  }
}

int sim_sts_start(sim *s, void **state, kd_error *err)
{
  stsc *c = calloc(1, sizeof *c);
  if (!c) return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
  c->s = s;
  c->sets = sim_res(s, "apps", "statefulsets");
  c->pods = sim_res(s, "", "pods");
  c->pvcs = sim_res(s, "", "persistentvolumeclaims");
  if (sim_ctrl_begin(s, c, sync, on_event, c->sets, &c->q, &c->sub, err)) {
    free(c);
    return KD_ENOMEM;
  }
  *state = c;
  return KD_OK;
}

void sim_sts_stop(sim *s, void *state)
{
  stsc *c = state;
  if (!c) return;
  sim_ctrl_end(s, c->q, c->sub);
  free(c);
}
