/* engine/sim/sim_ctrl_rs.c: the ReplicaSet controller. Keeps
 * spec.replicas active pods (creating from the template, deleting the
 * least valuable first as kube ranks them), adopts matching orphans,
 * releases pods that stopped matching, and writes status (replicas,
 * fullyLabeledReplicas, readyReplicas, availableReplicas with
 * minReadySeconds, observedGeneration, ReplicaFailure). */
#include "sim_ctrl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMPONENT "replicaset-controller"

typedef struct rsc {
  sim *s;
  int sub;
  sim_queue *q;
  const sim_resource *rs, *pods;
} rsc;

/* ---- claiming pods ----------------------------------------------------------*/

/* Adopts POD (an orphan matching the selector) or releases it (owned but
 * no longer matching): kube's ClaimPods. */
static void claim(rsc *c, const kd_value *rs, const kd_value *pod, int adopt)
{
  kd_value copy;
  kd_error err;
  kd_value_copy(&copy, pod);
  if (adopt) {
    sim_set_controller(&copy, rs);
  } else {
    kd_value *refs = kd_value_path(&copy, "metadata.ownerReferences");
    size_t i;
    for (i = 0; i < sim_vlen(refs); i++)
      if (sim_vstr(&refs->u.arr.items[i], "uid") &&
          !strcmp(sim_vstr(&refs->u.arr.items[i], "uid"),
                  sim_vstr(rs, "metadata.uid"))) {
        kd_value_clear(&refs->u.arr.items[i]);
        memmove(&refs->u.arr.items[i], &refs->u.arr.items[i + 1],
                (refs->u.arr.len - i - 1) * sizeof *refs->u.arr.items);
        refs->u.arr.len--;
        break;
      }
    if (!sim_vlen(refs)) sim_vdel(&copy, "metadata.ownerReferences");
  }
  sim_obj_update(c->s, c->pods, &copy, NULL, &err);
  kd_value_clear(&copy);
}

/* Fills MINE with copies of the pods RS controls after claiming. */
static void pods_of(rsc *c, const kd_value *rs, kd_value *mine)
{
  const char *ns = sim_vstr(rs, "metadata.namespace");
  const char *uid = sim_vstr(rs, "metadata.uid");
  const kd_value *sel = kd_value_path(rs, "spec.selector");
  int deleting = kd_value_path(rs, "metadata.deletionTimestamp") != NULL;
  kd_value all;
  size_t i;
  sim_list(c->s, c->pods, ns, NULL, NULL, &all);
  kd_value_arr(mine);
  for (i = 0; i < all.u.arr.len; i++) {
    kd_value *pod = &all.u.arr.items[i];
    const kd_value *labels = kd_value_path(pod, "metadata.labels");
    int match = sim_lsel_match(sel, labels);
    kd_value *slot;
    if (sim_controlled_by(pod, uid)) {
      if (!match && !deleting) {
        claim(c, rs, pod, 0);
        continue;
      }
    } else if (sim_controller_ref(pod) || !match || deleting ||
               kd_value_path(pod, "metadata.deletionTimestamp") ||
               !sim_pod_active(pod)) {
      continue;
    } else {
      claim(c, rs, pod, 1);
    }
    if ((slot = kd_arr_push(mine))) {
      *slot = *pod;
      kd_value_null(pod);
    }
  }
  kd_value_clear(&all);
}

/* ---- which pods go first ------------------------------------------------------*/

static int phase_rank(const kd_value *pod)
{
  const char *ph = sim_vstr(pod, "status.phase");
  if (!ph || !strcmp(ph, "Pending")) return 0;
  if (!strcmp(ph, "Unknown")) return 1;
  return 2;
}

static int64_t restarts(const kd_value *pod)
{
  const kd_value *cs = kd_value_path(pod, "status.containerStatuses");
  int64_t n = 0;
  size_t i;
  for (i = 0; i < sim_vlen(cs); i++)
    n += sim_vint(&cs->u.arr.items[i], "restartCount", 0);
  return n;
}

static int str_cmp(const char *a, const char *b)
{
  return strcmp(a ? a : "", b ? b : "");
}

/* kube's ActivePods order: the pod to delete first sorts first. */
static int delete_order(const void *pa, const void *pb)
{
  const kd_value *a = pa, *b = pb;
  int sa = sim_vstr(a, "spec.nodeName") != NULL;
  int sb = sim_vstr(b, "spec.nodeName") != NULL;
  int ra, rb;
  int64_t xa, xb;
  if (sa != sb) return sa - sb;                    /* unscheduled first */
  if (phase_rank(a) != phase_rank(b)) return phase_rank(a) - phase_rank(b);
  ra = sim_pod_ready(a);
  rb = sim_pod_ready(b);
  if (ra != rb) return ra - rb;                    /* not ready first */
  if (ra) {                                        /* ready for less time */
    int c = str_cmp(sim_vstr(sim_cond_get(b, "Ready"), "lastTransitionTime"),
                    sim_vstr(sim_cond_get(a, "Ready"), "lastTransitionTime"));
    if (c) return c;
  }
  xa = restarts(a);
  xb = restarts(b);
  if (xa != xb) return xa > xb ? -1 : 1;           /* more restarts first */
  return str_cmp(sim_vstr(b, "metadata.creationTimestamp"),   /* newer */
                 sim_vstr(a, "metadata.creationTimestamp"));
}

/* ---- sync ----------------------------------------------------------------------*/

static void manage(rsc *c, const kd_value *rs, kd_value *active, int *failed)
{
  const char *ns = sim_vstr(rs, "metadata.namespace");
  int64_t want = sim_vint(rs, "spec.replicas", 1);
  int64_t have = (int64_t)active->u.arr.len, i;
  if (have < want) {
    char prefix[300];
    kd_value pod;
    snprintf(prefix, sizeof prefix, "%s-", sim_vstr(rs, "metadata.name"));
    sim_pod_from_template(&pod, kd_value_path(rs, "spec.template"), rs, NULL,
                          prefix);
    for (i = have; i < want; i++)
      if (sim_pod_create(c->s, rs, ns, &pod, COMPONENT) != KD_OK) {
        *failed = 1;
        break;
      }
    kd_value_clear(&pod);
  } else if (have > want) {
    qsort(active->u.arr.items, active->u.arr.len, sizeof(kd_value),
          delete_order);
    for (i = 0; i < have - want; i++)
      sim_pod_delete(c->s, rs, ns,
                     sim_vstr(&active->u.arr.items[i], "metadata.name"),
                     COMPONENT);
  }
}

static void set_count(kd_value *st, const char *key, int64_t n)
{
  if (n) sim_vset_int(st, key, n);   /* omitempty, as kube encodes them */
  else sim_vdel(st, key);
}

static void sync(sim *s, void *ctx, const char *ns, const char *name)
{
  rsc *c = ctx;
  const kd_value *stored = sim_obj_get(s, c->rs, ns, name);
  kd_value rs, mine, active, *st;
  kd_error err;
  int64_t now = 0, wait = -1, min_ready, ready = 0, avail = 0, labeled = 0;
  int failed = 0;
  size_t i;
  char *ts;
  if (!stored) return;
  kd_value_copy(&rs, stored);
  pods_of(c, &rs, &mine);
  kd_value_arr(&active);
  for (i = 0; i < mine.u.arr.len; i++)
    if (sim_pod_active(&mine.u.arr.items[i])) {
      kd_value *x = kd_arr_push(&active);
      if (x) kd_value_copy(x, &mine.u.arr.items[i]);
    }
  if (!kd_value_path(&rs, "metadata.deletionTimestamp"))
    manage(c, &rs, &active, &failed);
  min_ready = sim_vint(&rs, "spec.minReadySeconds", 0);
  ts = sim_timestamp(s);
  now = sim_time_ms(ts);
  for (i = 0; i < active.u.arr.len; i++) {
    const kd_value *pod = &active.u.arr.items[i];
    if (sim_map_match(kd_value_path(&rs, "spec.template.metadata.labels"),
                      kd_value_path(pod, "metadata.labels"), 1))
      labeled++;
    if (sim_pod_ready(pod)) ready++;
    if (sim_pod_available(pod, min_ready, now, &wait))
      avail++;
  }
  /* the status of the pods as they were when this sync started, like
   * kube's (the created/deleted ones show up on the next sync) */
  st = sim_vobj(&rs, "status");
  sim_vset_int(st, "replicas", (int64_t)active.u.arr.len);
  set_count(st, "fullyLabeledReplicas", labeled);
  set_count(st, "readyReplicas", ready);
  set_count(st, "availableReplicas", avail);
  sim_vset_int(st, "observedGeneration", sim_vint(&rs, "metadata.generation", 1));
  if (failed)
    sim_cond_set(&rs, "ReplicaFailure", "True", "FailedCreate",
                 "failed to create pods", 0, ts ? ts : "");
  else
    sim_cond_del(&rs, "ReplicaFailure");
  if (kd_value_path(&rs, "status.conditions") &&
      !sim_vlen(kd_value_path(&rs, "status.conditions")))
    sim_vdel(&rs, "status.conditions");
  sim_obj_update_status(s, c->rs, &rs, NULL, &err);
  if (wait > 0) sim_queue_add_after(c->q, ns, name, wait);
  free(ts);
  kd_value_clear(&rs);
  kd_value_clear(&mine);
  kd_value_clear(&active);
}

/* ---- events -------------------------------------------------------------------*/

struct match_ctx {
  rsc *c;
  const kd_value *labels;
};

static int queue_matching(void *ctx, const kd_value *rs)
{
  struct match_ctx *m = ctx;
  if (sim_lsel_match(kd_value_path(rs, "spec.selector"), m->labels))
    sim_queue_add_obj(m->c->q, rs);
  return 0;
}

static void queue_owner(rsc *c, const kd_value *pod)
{
  const kd_value *ref = sim_controller_ref(pod);
  const char *kind = sim_vstr(ref, "kind");
  const char *av = sim_vstr(ref, "apiVersion");
  if (ref) {
    if (kind && !strcmp(kind, "ReplicaSet") && av && !strcmp(av, "apps/v1"))
      sim_queue_add(c->q, sim_vstr(pod, "metadata.namespace"),
                    sim_vstr(ref, "name"));
  } else {   /* an orphan: a ReplicaSet may adopt it */
    struct match_ctx m;
    m.c = c;
    m.labels = kd_value_path(pod, "metadata.labels");
    sim_obj_each(c->s, c->rs, sim_vstr(pod, "metadata.namespace"),
                 queue_matching, &m);
  }
}

static void on_event(sim *s, void *ctx, const sim_event *ev)
{
  rsc *c = ctx;
  (void)s;
  if (ev->res == c->rs) {
    sim_queue_add_obj(c->q, ev->obj);
  } else if (ev->res == c->pods) {
    queue_owner(c, ev->obj);
    if (ev->old) {
      const kd_value *a = sim_controller_ref(ev->old);
      const kd_value *b = sim_controller_ref(ev->obj);
      if (a && (!b || str_cmp(sim_vstr(a, "uid"), sim_vstr(b, "uid"))))
        queue_owner(c, ev->old);
    }
  }
}

int sim_rs_start(sim *s, void **state, kd_error *err)
{
  rsc *c = calloc(1, sizeof *c);
  if (!c) return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
  c->s = s;
  c->rs = sim_res(s, "apps", "replicasets");
  c->pods = sim_res(s, "", "pods");
  if (sim_ctrl_begin(s, c, sync, on_event, c->rs, &c->q, &c->sub, err)) {
    free(c);
    return KD_ENOMEM;
  }
  *state = c;
  return KD_OK;
}

void sim_rs_stop(sim *s, void *state)
{
  rsc *c = state;
  if (!c) return;
  sim_ctrl_end(s, c->q, c->sub);
  free(c);
}
