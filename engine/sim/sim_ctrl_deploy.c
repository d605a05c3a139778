/* engine/sim/sim_ctrl_deploy.c: the Deployment controller, following
 * kube-controller-manager's: the new ReplicaSet (pod-template-hash name,
 * revision annotations, controller reference), RollingUpdate within
 * maxSurge/maxUnavailable, Recreate, proportional scaling, paused
 * deployments, revisionHistoryLimit cleanup, and status with the
 * Available/Progressing conditions and their reasons (NewReplicaSetCreated,
 * FoundNewReplicaSet, ReplicaSetUpdated, NewReplicaSetAvailable,
 * ProgressDeadlineExceeded, MinimumReplicasAvailable/Unavailable,
 * DeploymentPaused/Resumed). */
#include "sim_ctrl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMPONENT "deployment-controller"
#define HASH_LABEL "pod-template-hash"
#define A_REVISION "deployment.kubernetes.io/revision"
#define A_HISTORY "deployment.kubernetes.io/revision-history"
#define A_DESIRED "deployment.kubernetes.io/desired-replicas"
#define A_MAX "deployment.kubernetes.io/max-replicas"

typedef struct dctl {
  sim *s;
  int sub;
  sim_queue *q;
  const sim_resource *deploys, *rs, *pods;
} dctl;

/* One sync's view: the deployment (a copy written back at the end) and
 * copies of its ReplicaSets, oldest first. */
typedef struct dsync {
  dctl *c;
  kd_value d;
  kd_value rsl;
  long new_i;                /* index of the new ReplicaSet, -1: none */
  char *now;
} dsync;

#define RS(x, i) (&(x)->rsl.u.arr.items[i])
#define N_RS(x) ((x)->rsl.u.arr.len)

static int64_t replicas(const kd_value *o) { return sim_vint(o, "spec.replicas", 1); }
static int64_t st(const kd_value *o, const char *f)
{
  char p[64];
  snprintf(p, sizeof p, "status.%s", f);
  return sim_vint(o, p, 0);
}

/* ---- surge and unavailability (ResolveFenceposts) -------------------------*/

static int rolling(const kd_value *d)
{
  const char *t = sim_vstr(d, "spec.strategy.type");
  return !t || strcmp(t, "Recreate") != 0;
}

static void fenceposts(const kd_value *d, int64_t *surge, int64_t *unavail)
{
  int64_t n = replicas(d);
  *surge = sim_scaled(kd_value_path(d, "spec.strategy.rollingUpdate.maxSurge"),
                      n, 1, (n * 25 + 99) / 100);
  *unavail = sim_scaled(
      kd_value_path(d, "spec.strategy.rollingUpdate.maxUnavailable"), n, 0,
      n * 25 / 100);
  if (*surge == 0 && *unavail == 0) *unavail = 1;
}

static int64_t max_surge(const kd_value *d)
{
  int64_t s, u;
  if (!rolling(d)) return 0;
  fenceposts(d, &s, &u);
  return s;
}

static int64_t max_unavailable(const kd_value *d)
{
  int64_t s, u;
  if (!rolling(d) || replicas(d) == 0) return 0;
  fenceposts(d, &s, &u);
  return u > replicas(d) ? replicas(d) : u;
}

/* ---- ReplicaSets ----------------------------------------------------------------*/

static int64_t revision_of(const kd_value *rs)
{
  const char *r = sim_vkey(kd_value_path(rs, "metadata.annotations"), A_REVISION);
  return r ? strtoll(r, NULL, 10) : 0;
}

/* EqualIgnoreHash: the templates without the pod-template-hash label. */
static int same_template(const kd_value *a, const kd_value *b)
{
  kd_value x, y;
  int eq;
  if (!a || !b) return 0;
  kd_value_copy(&x, a);
  kd_value_copy(&y, b);
  sim_vdel_key(kd_value_path(&x, "metadata.labels"), HASH_LABEL);
  sim_vdel_key(kd_value_path(&y, "metadata.labels"), HASH_LABEL);
  if (!sim_vlen(kd_value_path(&x, "metadata.labels")) &&
      kd_value_path(&x, "metadata.labels") &&
      !kd_value_path(&x, "metadata.labels")->u.obj.len)
    sim_vdel(&x, "metadata.labels");
  if (kd_value_path(&y, "metadata.labels") &&
      !kd_value_path(&y, "metadata.labels")->u.obj.len)
    sim_vdel(&y, "metadata.labels");
  eq = kd_value_equal(&x, &y);
  kd_value_clear(&x);
  kd_value_clear(&y);
  return eq;
}

static int by_creation(const void *pa, const void *pb)
{
  const kd_value *a = pa, *b = pb;
  int c = strcmp(sim_vstr(a, "metadata.creationTimestamp") ? sim_vstr(a, "metadata.creationTimestamp") : "",
                 sim_vstr(b, "metadata.creationTimestamp") ? sim_vstr(b, "metadata.creationTimestamp") : "");
  return c ? c : strcmp(sim_vstr(a, "metadata.name"), sim_vstr(b, "metadata.name"));
}

static void load(dsync *x)
{
  dctl *c = x->c;
  const char *ns = sim_vstr(&x->d, "metadata.namespace");
  const char *uid = sim_vstr(&x->d, "metadata.uid");
  const kd_value *sel = kd_value_path(&x->d, "spec.selector");
  int deleting = kd_value_path(&x->d, "metadata.deletionTimestamp") != NULL;
  kd_value all;
  size_t i;
  sim_list(c->s, c->rs, ns, NULL, NULL, &all);
  kd_value_arr(&x->rsl);
  for (i = 0; i < all.u.arr.len; i++) {
    kd_value *rs = &all.u.arr.items[i], *slot;
    if (!sim_controlled_by(rs, uid)) {
      kd_error err;
      if (sim_controller_ref(rs) || deleting ||
          kd_value_path(rs, "metadata.deletionTimestamp") ||
          !sim_lsel_match(sel, kd_value_path(rs, "metadata.labels")))
        continue;
      kd_value out;
      sim_set_controller(rs, &x->d);   /* adopt the orphan */
      kd_value_null(&out);
      if (sim_obj_update(c->s, c->rs, rs, &out, &err) == KD_OK) {
        kd_value_clear(rs);
        *rs = out;
      } else {
        kd_value_clear(&out);
      }
    }
    if ((slot = kd_arr_push(&x->rsl))) {
      *slot = *rs;
      kd_value_null(rs);
    }
  }
  kd_value_clear(&all);
  if (N_RS(x) > 1)
    qsort(x->rsl.u.arr.items, N_RS(x), sizeof(kd_value), by_creation);
  x->new_i = -1;
  for (i = 0; i < N_RS(x); i++)
    if (same_template(kd_value_path(&x->d, "spec.template"),
                      kd_value_path(RS(x, i), "spec.template"))) {
      x->new_i = (long)i;
      break;
    }
}

static int64_t max_old_revision(dsync *x)
{
  int64_t m = 0;
  size_t i;
  for (i = 0; i < N_RS(x); i++)
    if ((long)i != x->new_i && revision_of(RS(x, i)) > m)
      m = revision_of(RS(x, i));
  return m;
}

static void copy_annotations(const kd_value *d, kd_value *rs)
{
  static const char *const skip[] = {
    "kubectl.kubernetes.io/last-applied-configuration", A_REVISION, A_HISTORY,
    A_DESIRED, A_MAX, "deprecated.deployment.rollback.to", NULL};
  const kd_value *da = kd_value_path(d, "metadata.annotations");
  kd_value *ra;
  size_t i;
  if (!da || da->type != KD_OBJ || !da->u.obj.len) return;
  ra = sim_vobj(rs, "metadata.annotations");
  for (i = 0; i < da->u.obj.len; i++) {
    const kd_member *m = &da->u.obj.m[i];
    int k, skipped = 0;
    for (k = 0; skip[k]; k++) if (!strcmp(m->key, skip[k])) skipped = 1;
    if (!skipped && m->val.type == KD_STR) sim_vset_key(ra, m->key, m->val.u.str.s);
  }
}

/* SetNewReplicaSetAnnotations; returns 1 when RS changed. */
static int new_rs_annotations(dsync *x, kd_value *rs, int64_t revision)
{
  kd_value before, *ra;
  char buf[32];
  const char *old;
  int changed;
  kd_value_copy(&before, rs);
  copy_annotations(&x->d, rs);
  ra = sim_vobj(rs, "metadata.annotations");
  old = sim_vkey(ra, A_REVISION);
  if (!old || strtoll(old, NULL, 10) < revision) {
    if (old && old[0]) {   /* rollback to an old template: keep its past */
      const char *h = sim_vkey(ra, A_HISTORY);
      kd_buf b = {0};
      if (h && h[0]) kd_buf_printf(&b, "%s,", h);
      kd_buf_adds(&b, old);
      sim_vset_key(ra, A_HISTORY, b.data);
      kd_buf_free(&b);
    }
    snprintf(buf, sizeof buf, "%lld", (long long)revision);
    sim_vset_key(ra, A_REVISION, buf);
  }
  snprintf(buf, sizeof buf, "%lld", (long long)replicas(&x->d));
  sim_vset_key(ra, A_DESIRED, buf);
  snprintf(buf, sizeof buf, "%lld", (long long)(replicas(&x->d) + max_surge(&x->d)));
  sim_vset_key(ra, A_MAX, buf);
  changed = !kd_value_equal(&before, rs);
  kd_value_clear(&before);
  return changed;
}

static void set_deploy_revision(dsync *x, const kd_value *rs)
{
  const char *r = sim_vkey(kd_value_path(rs, "metadata.annotations"), A_REVISION);
  if (r) sim_vset_key(sim_vobj(&x->d, "metadata.annotations"), A_REVISION, r);
}

static int has_deadline(const kd_value *d)
{
  const kd_value *p = kd_value_path(d, "spec.progressDeadlineSeconds");
  return p && p->type == KD_INT && p->u.i != 2147483647;
}

static void progressing(dsync *x, const char *st_, const char *reason,
                        const char *fmt, const char *rs_name)
{
  char msg[400];
  snprintf(msg, sizeof msg, fmt, rs_name);
  sim_cond_set(&x->d, "Progressing", st_, reason, msg, SIM_COND_UPDATE_TIME,
               x->now);
}

static int64_t new_rs_replicas(dsync *x, const kd_value *new_rs);

/* getNewReplicaSet: finds (and syncs) or creates the new ReplicaSet. */
static void new_replicaset(dsync *x, int create)
{
  dctl *c = x->c;
  const char *ns = sim_vstr(&x->d, "metadata.namespace");
  int64_t revision = max_old_revision(x) + 1;
  kd_error err;
  if (x->new_i >= 0) {
    kd_value *rs = RS(x, x->new_i);
    int ms = sim_vint(rs, "spec.minReadySeconds", 0) !=
             sim_vint(&x->d, "spec.minReadySeconds", 0);
    if (new_rs_annotations(x, rs, revision) || ms) {
      kd_value out;
      sim_vset_int(rs, "spec.minReadySeconds",
                   sim_vint(&x->d, "spec.minReadySeconds", 0));
      kd_value_null(&out);
      if (sim_obj_update(c->s, c->rs, rs, &out, &err) == KD_OK) {
        kd_value_clear(rs);
        *rs = out;
      } else {
        kd_value_clear(&out);
      }
    }
    set_deploy_revision(x, rs);
    if (has_deadline(&x->d) && !sim_cond_get(&x->d, "Progressing"))
      progressing(x, "True", "FoundNewReplicaSet", "Found new replica set \"%s\"",
                  sim_vstr(rs, "metadata.name"));
    return;
  }
  if (!create) return;
  {
    kd_value rs, out, *t, *slot;
    char hash[16], name[300];
    int64_t n;
    kd_value_obj(&rs);
    t = sim_vobj(&rs, "spec.template");
    kd_value_clear(t);
    kd_value_copy(t, kd_value_path(&x->d, "spec.template"));
    sim_hash(t, sim_vint(&x->d, "status.collisionCount", -1), hash);
    sim_vset_key(sim_vobj(t, "metadata.labels"), HASH_LABEL, hash);
    snprintf(name, sizeof name, "%s-%s", sim_vstr(&x->d, "metadata.name"), hash);
    sim_vset_str(&rs, "apiVersion", "apps/v1");
    sim_vset_str(&rs, "kind", "ReplicaSet");
    sim_vset_str(&rs, "metadata.name", name);
    sim_vset_str(&rs, "metadata.namespace", ns);
    slot = sim_vobj(&rs, "metadata.labels");
    kd_value_clear(slot);
    kd_value_copy(slot, kd_value_path(t, "metadata.labels"));
    sim_set_controller(&rs, &x->d);
    sim_vset_int(&rs, "spec.minReadySeconds",
                 sim_vint(&x->d, "spec.minReadySeconds", 0));
    slot = sim_vobj(&rs, "spec.selector");
    kd_value_clear(slot);
    kd_value_copy(slot, kd_value_path(&x->d, "spec.selector"));
    sim_vset_key(sim_vobj(slot, "matchLabels"), HASH_LABEL, hash);
    sim_vset_int(&rs, "spec.replicas", 0);
    n = new_rs_replicas(x, &rs);
    sim_vset_int(&rs, "spec.replicas", n);
    new_rs_annotations(x, &rs, revision);
    kd_value_null(&out);
    if (sim_obj_create(c->s, c->rs, ns, &rs, &out, &err) != KD_OK) {
      char msg[1024];
      snprintf(msg, sizeof msg, "Failed to create new replica set \"%s\": %s",
               name, err.msg);
      if (has_deadline(&x->d))
        sim_cond_set(&x->d, "Progressing", "False", "ReplicaSetCreateError",
                     msg, SIM_COND_UPDATE_TIME, x->now);
      sim_record(c->s, &x->d, "Warning", "ReplicaSetCreateError", COMPONENT,
                 NULL, NULL, "%s", msg);
      kd_value_clear(&rs);
      kd_value_clear(&out);
      return;
    }
    if (n > 0)
      sim_record(c->s, &x->d, "Normal", "ScalingReplicaSet", COMPONENT, NULL,
                 NULL, "Scaled up replica set %s from 0 to %lld", name,
                 (long long)n);
    set_deploy_revision(x, &out);
    if (has_deadline(&x->d))
      progressing(x, "True", "NewReplicaSetCreated",
                  "Created new replica set \"%s\"", name);
    if ((slot = kd_arr_push(&x->rsl))) {
      *slot = out;
      x->new_i = (long)N_RS(x) - 1;
    } else {
      kd_value_clear(&out);
    }
    kd_value_clear(&rs);
  }
}

/* scaleReplicaSetAndRecordEvent; returns 1 when the size changed. */
static int scale(dsync *x, kd_value *rs, int64_t to)
{
  dctl *c = x->c;
  int64_t from = replicas(rs);
  const kd_value *ra = kd_value_path(rs, "metadata.annotations");
  char want_d[32], want_m[32];
  kd_value out;
  kd_error err;
  snprintf(want_d, sizeof want_d, "%lld", (long long)replicas(&x->d));
  snprintf(want_m, sizeof want_m, "%lld",
           (long long)(replicas(&x->d) + max_surge(&x->d)));
  if (from == to && sim_vkey(ra, A_DESIRED) && !strcmp(sim_vkey(ra, A_DESIRED), want_d) &&
      sim_vkey(ra, A_MAX) && !strcmp(sim_vkey(ra, A_MAX), want_m))
    return 0;
  sim_vset_int(rs, "spec.replicas", to);
  sim_vset_key(sim_vobj(rs, "metadata.annotations"), A_DESIRED, want_d);
  sim_vset_key(sim_vobj(rs, "metadata.annotations"), A_MAX, want_m);
  kd_value_null(&out);
  if (sim_obj_update(c->s, c->rs, rs, &out, &err) != KD_OK) {
    kd_value_clear(&out);
    return 0;
  }
  kd_value_clear(rs);
  *rs = out;
  if (from == to) return 0;
  sim_record(c->s, &x->d, "Normal", "ScalingReplicaSet", COMPONENT, NULL, NULL,
             "Scaled %s replica set %s from %lld to %lld",
             to > from ? "up" : "down", sim_vstr(rs, "metadata.name"),
             (long long)from, (long long)to);
  return 1;
}

/* ---- counting ---------------------------------------------------------------------*/

static int64_t sum_spec(dsync *x, int old_only)
{
  int64_t n = 0;
  size_t i;
  for (i = 0; i < N_RS(x); i++)
    if (!(old_only && (long)i == x->new_i)) n += replicas(RS(x, i));
  return n;
}

static int64_t sum_status(dsync *x, const char *f, int old_only)
{
  int64_t n = 0;
  size_t i;
  for (i = 0; i < N_RS(x); i++)
    if (!(old_only && (long)i == x->new_i)) n += st(RS(x, i), f);
  return n;
}

/* NewRSNewReplicas */
static int64_t new_rs_replicas(dsync *x, const kd_value *new_rs)
{
  int64_t want = replicas(&x->d), cur = replicas(new_rs), total, up;
  if (!rolling(&x->d)) return want;
  total = sum_spec(x, 1) + cur;   /* NEW_RS may not be in the list yet */
  if (x->new_i >= 0) total = sum_spec(x, 0);
  if (total >= want + max_surge(&x->d)) return cur;
  up = want + max_surge(&x->d) - total;
  if (up > want - cur) up = want - cur;
  return cur + up;
}

/* ---- rollouts ----------------------------------------------------------------------*/

static int reconcile_new(dsync *x)
{
  kd_value *rs;
  if (x->new_i < 0) return 0;
  rs = RS(x, x->new_i);
  if (replicas(rs) == replicas(&x->d)) return 0;
  if (replicas(rs) > replicas(&x->d)) return scale(x, rs, replicas(&x->d));
  return scale(x, rs, new_rs_replicas(x, rs));
}

static int reconcile_old(dsync *x)
{
  int64_t min_avail, new_unavail = 0, max_down, avail, total_down, done = 0;
  size_t i;
  int scaled = 0;
  if (sum_spec(x, 1) == 0) return 0;
  min_avail = replicas(&x->d) - max_unavailable(&x->d);
  if (x->new_i >= 0)
    new_unavail = replicas(RS(x, x->new_i)) - st(RS(x, x->new_i), "availableReplicas");
  max_down = sum_spec(x, 0) - min_avail - new_unavail;
  if (max_down <= 0) return 0;
  /* cleanupUnhealthyReplicas: old pods that are not available go first */
  for (i = 0; i < N_RS(x) && done < max_down; i++) {
    kd_value *rs = RS(x, i);
    int64_t n = replicas(rs), a = st(rs, "availableReplicas"), down;
    if ((long)i == x->new_i || n == 0 || n == a) continue;
    down = max_down - done < n - a ? max_down - done : n - a;
    if (scale(x, rs, n - down)) scaled = 1;
    done += down;
  }
  /* scaleDownOldReplicaSetsForRollingUpdate */
  avail = sum_status(x, "availableReplicas", 0);
  if (avail <= min_avail) return scaled;
  total_down = avail - min_avail;
  done = 0;
  for (i = 0; i < N_RS(x) && done < total_down; i++) {
    kd_value *rs = RS(x, i);
    int64_t n = replicas(rs), down;
    if ((long)i == x->new_i || n == 0) continue;
    down = n < total_down - done ? n : total_down - done;
    if (scale(x, rs, n - down)) scaled = 1;
    done += down;
  }
  return scaled;
}

struct old_pods {
  dsync *x;
  int running;
};

static int old_pod_running(void *ctx, const kd_value *pod)
{
  struct old_pods *o = ctx;
  const char *ph = sim_vstr(pod, "status.phase");
  size_t i;
  if (ph && (!strcmp(ph, "Succeeded") || !strcmp(ph, "Failed"))) return 0;
  for (i = 0; i < N_RS(o->x); i++)
    if ((long)i != o->x->new_i &&
        sim_controlled_by(pod, sim_vstr(RS(o->x, i), "metadata.uid"))) {
      o->running = 1;
      return 1;
    }
  return 0;
}

/* Recreate: old ReplicaSets to zero, wait for their pods, then the new. */
static void rollout_recreate(dsync *x)
{
  struct old_pods o;
  size_t i;
  int scaled = 0;
  for (i = 0; i < N_RS(x); i++)
    if ((long)i != x->new_i && replicas(RS(x, i)) > 0 && scale(x, RS(x, i), 0))
      scaled = 1;
  if (scaled) return;
  o.x = x;
  o.running = sum_status(x, "replicas", 1) > 0;
  if (!o.running)
    sim_obj_each(x->c->s, x->c->pods, sim_vstr(&x->d, "metadata.namespace"),
                 old_pod_running, &o);
  if (o.running) return;
  new_replicaset(x, 1);
  if (x->new_i >= 0) scale(x, RS(x, x->new_i), replicas(&x->d));
}

static int is_active(const kd_value *rs) { return replicas(rs) > 0; }

/* getReplicaSetFraction: RS's share of the new size ALLOWED. */
static int64_t fraction(dsync *x, const kd_value *rs, int64_t allowed)
{
  const char *a = sim_vkey(kd_value_path(rs, "metadata.annotations"), A_MAX);
  int64_t ann = a ? strtoll(a, NULL, 10) : st(&x->d, "replicas");
  if (replicas(&x->d) == 0) return -replicas(rs);
  if (ann <= 0) return 0;
  return (replicas(rs) * allowed * 2 + ann) / (2 * ann) - replicas(rs);
}

/* Order of proportional scaling: bigger first; among equals, newer first
 * when scaling up and older first when scaling down. */
static int goes_before(dsync *x, size_t a, size_t b, int up)
{
  int64_t ra = replicas(RS(x, a)), rb = replicas(RS(x, b));
  if (ra != rb) return ra > rb;
  return up ? a > b : a < b;
}

/* The proportional part of scale(): spreads TO_ADD over the active
 * ReplicaSets, the leftover to the first. */
static void proportional(dsync *x, int64_t allowed, int64_t to_add)
{
  size_t *order = calloc(N_RS(x) + 1, sizeof *order), n = 0, i, j;
  int64_t *size = calloc(N_RS(x) + 1, sizeof *size), added = 0;
  if (!order || !size) goto done;
  for (i = 0; i < N_RS(x); i++) {
    if (replicas(RS(x, i)) <= 0) continue;
    for (j = n; j > 0 && goes_before(x, i, order[j - 1], to_add > 0); j--)
      order[j] = order[j - 1];
    order[j] = i;
    n++;
  }
  for (i = 0; i < n; i++) {
    int64_t f = fraction(x, RS(x, order[i]), allowed), left = to_add - added;
    if (to_add > 0 ? f > left : f < left) f = left;
    size[i] = replicas(RS(x, order[i])) + f;
    added += f;
  }
  for (i = 0; i < n; i++) {
    int64_t v = size[i] + (i == 0 ? to_add - added : 0);
    scale(x, RS(x, order[i]), v < 0 ? 0 : v);
  }
done:
  free(order);
  free(size);
}

/* scale(): a scaling event or a paused deployment, proportionally. */
static void scale_only(dsync *x)
{
  long active = -1, n_active = 0;
  size_t i;
  int64_t allowed, to_add;
  for (i = 0; i < N_RS(x); i++)
    if (is_active(RS(x, i))) {
      active = (long)i;
      n_active++;
    }
  if (n_active <= 1) {   /* FindActiveOrLatest */
    long t = n_active == 1 ? active : x->new_i >= 0 ? x->new_i
             : N_RS(x) ? (long)N_RS(x) - 1 : -1;
    if (t >= 0) scale(x, RS(x, t), replicas(&x->d));
    return;
  }
  if (x->new_i >= 0 && replicas(RS(x, x->new_i)) == replicas(&x->d) &&
      st(RS(x, x->new_i), "availableReplicas") == replicas(&x->d)) {
    for (i = 0; i < N_RS(x); i++)   /* the new one is saturated */
      if ((long)i != x->new_i && is_active(RS(x, i))) scale(x, RS(x, i), 0);
    return;
  }
  if (!rolling(&x->d)) return;
  allowed = replicas(&x->d) ? replicas(&x->d) + max_surge(&x->d) : 0;
  to_add = allowed - sum_spec(x, 0);
  if (to_add) proportional(x, allowed, to_add);
}

static int scaling_event(dsync *x)
{
  char want[32];
  size_t i;
  snprintf(want, sizeof want, "%lld", (long long)replicas(&x->d));
  for (i = 0; i < N_RS(x); i++) {
    const char *a = sim_vkey(kd_value_path(RS(x, i), "metadata.annotations"),
                             A_DESIRED);
    if (is_active(RS(x, i)) && a && strcmp(a, want)) return 1;
  }
  return 0;
}

static int by_revision(const void *pa, const void *pb)
{
  int64_t a = revision_of(pa), b = revision_of(pb);
  return a < b ? -1 : a > b ? 1 : by_creation(pa, pb);
}

/* cleanupDeployment: old ReplicaSets past revisionHistoryLimit. */
static void cleanup(dsync *x)
{
  const kd_value *lim = kd_value_path(&x->d, "spec.revisionHistoryLimit");
  kd_value old;
  size_t i;
  long diff;
  if (!lim || lim->type != KD_INT) return;
  kd_value_arr(&old);
  for (i = 0; i < N_RS(x); i++)
    if ((long)i != x->new_i &&
        !kd_value_path(RS(x, i), "metadata.deletionTimestamp")) {
      kd_value *s = kd_arr_push(&old);
      if (s) kd_value_copy(s, RS(x, i));
    }
  diff = (long)old.u.arr.len - (long)lim->u.i;
  if (old.u.arr.len > 1)
    qsort(old.u.arr.items, old.u.arr.len, sizeof(kd_value), by_revision);
  for (i = 0; diff > 0 && i < (size_t)diff; i++) {
    const kd_value *rs = &old.u.arr.items[i];
    kd_error err;
    if (st(rs, "replicas") || replicas(rs) ||
        sim_vint(rs, "metadata.generation", 1) > st(rs, "observedGeneration"))
      continue;
    sim_obj_delete(x->c->s, x->c->rs, sim_vstr(rs, "metadata.namespace"),
                   sim_vstr(rs, "metadata.name"), NULL, &err);
  }
  kd_value_clear(&old);
}

/* ---- status --------------------------------------------------------------------------*/

static int complete(const kd_value *d, const kd_value *status)
{
  int64_t n = replicas(d);
  return sim_vint(status, "updatedReplicas", 0) == n &&
         sim_vint(status, "replicas", 0) == n &&
         sim_vint(status, "availableReplicas", 0) == n &&
         sim_vint(status, "observedGeneration", 0) >=
             sim_vint(d, "metadata.generation", 1);
}

static void set_or_del(kd_value *status, const char *k, int64_t v)
{
  if (v) sim_vset_int(status, k, v);
  else sim_vdel(status, k);
}

/* calculateStatus + syncRolloutStatus: the new status in X->d. */
static void rollout_status(dsync *x)
{
  kd_value old, *status;
  const kd_value *cur;
  const char *rs_name = x->new_i >= 0 ? sim_vstr(RS(x, x->new_i), "metadata.name") : NULL;
  int64_t avail = sum_status(x, "availableReplicas", 0), unavail;
  if (kd_value_path(&x->d, "status")) kd_value_copy(&old, kd_value_path(&x->d, "status"));
  else kd_value_obj(&old);
  status = sim_vobj(&x->d, "status");
  sim_vset_int(status, "observedGeneration", sim_vint(&x->d, "metadata.generation", 1));
  set_or_del(status, "replicas", sum_status(x, "replicas", 0));
  set_or_del(status, "updatedReplicas", x->new_i >= 0 ? st(RS(x, x->new_i), "replicas") : 0);
  set_or_del(status, "readyReplicas", sum_status(x, "readyReplicas", 0));
  set_or_del(status, "availableReplicas", avail);
  unavail = sum_spec(x, 0) - avail;
  set_or_del(status, "unavailableReplicas", unavail > 0 ? unavail : 0);
  if (avail >= replicas(&x->d) - max_unavailable(&x->d))
    sim_cond_set(&x->d, "Available", "True", "MinimumReplicasAvailable",
                 "Deployment has minimum availability.", SIM_COND_UPDATE_TIME, x->now);
  else
    sim_cond_set(&x->d, "Available", "False", "MinimumReplicasUnavailable",
                 "Deployment does not have minimum availability.",
                 SIM_COND_UPDATE_TIME, x->now);
  status = sim_vobj(&x->d, "status");
  cur = sim_cond_get(&x->d, "Progressing");
  if (!has_deadline(&x->d)) {
    sim_cond_del(&x->d, "Progressing");
  } else if (!(sim_vint(status, "replicas", 0) == sim_vint(status, "updatedReplicas", 0) &&
               cur && !strcmp(sim_vstr(cur, "reason") ? sim_vstr(cur, "reason") : "",
                              "NewReplicaSetAvailable"))) {
    int64_t old_old = sim_vint(&old, "replicas", 0) - sim_vint(&old, "updatedReplicas", 0);
    int64_t new_old = sim_vint(status, "replicas", 0) - sim_vint(status, "updatedReplicas", 0);
    int moved = sim_vint(status, "updatedReplicas", 0) > sim_vint(&old, "updatedReplicas", 0) ||
                new_old < old_old ||
                sim_vint(status, "readyReplicas", 0) > sim_vint(&old, "readyReplicas", 0) ||
                avail > sim_vint(&old, "availableReplicas", 0);
    const char *reason = sim_vstr(cur, "reason") ? sim_vstr(cur, "reason") : "";
    if (complete(&x->d, status)) {
      progressing(x, "True", "NewReplicaSetAvailable",
                  rs_name ? "ReplicaSet \"%s\" has successfully progressed."
                          : "Deployment \"%s\" has successfully progressed.",
                  rs_name ? rs_name : sim_vstr(&x->d, "metadata.name"));
    } else if (moved) {
      char msg[400];
      char *since = cur && !strcmp(sim_vstr(cur, "status") ? sim_vstr(cur, "status") : "", "True") &&
                    sim_vstr(cur, "lastTransitionTime")
                        ? kd_strndup(sim_vstr(cur, "lastTransitionTime"),
                                     strlen(sim_vstr(cur, "lastTransitionTime")))
                        : NULL;
      kd_value *nc;
      snprintf(msg, sizeof msg, rs_name ? "ReplicaSet \"%s\" is progressing."
                                        : "Deployment \"%s\" is progressing.",
               rs_name ? rs_name : sim_vstr(&x->d, "metadata.name"));
      /* always rewritten (lastUpdateTime moves with progress) */
      sim_cond_del(&x->d, "Progressing");
      sim_cond_set(&x->d, "Progressing", "True", "ReplicaSetUpdated", msg,
                   SIM_COND_UPDATE_TIME, x->now);
      if (since && (nc = sim_cond_get(&x->d, "Progressing")))
        sim_vset_str(nc, "lastTransitionTime", since);
      free(since);
    } else if (cur && strcmp(reason, "NewReplicaSetAvailable")) {
      int64_t from = sim_time_ms(sim_vstr(cur, "lastUpdateTime"));
      int64_t dl = sim_vint(&x->d, "spec.progressDeadlineSeconds", 600) * 1000;
      if (!strcmp(reason, "ProgressDeadlineExceeded") ||
          (from >= 0 && from + dl < sim_time_ms(x->now)))
        progressing(x, "False", "ProgressDeadlineExceeded",
                    rs_name ? "ReplicaSet \"%s\" has timed out progressing."
                            : "Deployment \"%s\" has timed out progressing.",
                    rs_name ? rs_name : sim_vstr(&x->d, "metadata.name"));
    }
  }
  kd_value_clear(&old);
}

/* requeueStuckDeployment: look again when the deadline passes. */
static void requeue_stuck(dsync *x)
{
  const kd_value *cur = sim_cond_get(&x->d, "Progressing");
  const char *reason = sim_vstr(cur, "reason");
  int64_t from, left;
  if (!has_deadline(&x->d) || !cur || !reason ||
      !strcmp(reason, "NewReplicaSetAvailable") ||
      !strcmp(reason, "ProgressDeadlineExceeded") ||
      complete(&x->d, kd_value_path(&x->d, "status")))
    return;
  from = sim_time_ms(sim_vstr(cur, "lastUpdateTime"));
  if (from < 0) return;
  left = from + sim_vint(&x->d, "spec.progressDeadlineSeconds", 600) * 1000 -
         sim_time_ms(x->now);
  sim_queue_add_after(x->c->q, sim_vstr(&x->d, "metadata.namespace"),
                      sim_vstr(&x->d, "metadata.name"),
                      left < 1000 ? 1000 : left + 1000);
}

static void paused_conditions(dsync *x)
{
  const kd_value *cur = sim_cond_get(&x->d, "Progressing");
  const char *reason = sim_vstr(cur, "reason") ? sim_vstr(cur, "reason") : "";
  int paused = sim_vbool(&x->d, "spec.paused", 0);
  int pc = !strcmp(reason, "DeploymentPaused");
  if (!has_deadline(&x->d) || !strcmp(reason, "ProgressDeadlineExceeded")) return;
  if (paused && !pc)
    sim_cond_set(&x->d, "Progressing", "Unknown", "DeploymentPaused",
                 "Deployment is paused", SIM_COND_UPDATE_TIME, x->now);
  else if (!paused && pc)
    sim_cond_set(&x->d, "Progressing", "Unknown", "DeploymentResumed",
                 "Deployment is resumed", SIM_COND_UPDATE_TIME, x->now);
}

/* Stores what the sync changed: the revision annotation through the
 * object, the rest through /status (recorded as kube-controller-manager's
 * status updates). */
static void write_back(dsync *x, const kd_value *before)
{
  const sim_resource *r = x->c->deploys;
  const kd_value *ma = kd_value_path(&x->d, "metadata");
  const kd_value *mb = kd_value_path(before, "metadata");
  const kd_value *sa = kd_value_path(&x->d, "status");
  const kd_value *sb = kd_value_path(before, "status");
  kd_error err;
  if (ma && mb && !kd_value_equal(ma, mb)) {
    kd_value out;
    kd_value_null(&out);
    if (sim_obj_update(x->c->s, r, &x->d, &out, &err) == KD_OK &&
        sim_vstr(&out, "metadata.resourceVersion"))
      sim_vset_str(&x->d, "metadata.resourceVersion",
                   sim_vstr(&out, "metadata.resourceVersion"));
    kd_value_clear(&out);
  }
  if (sa && (!sb || !kd_value_equal(sa, sb)))
    sim_obj_update_status(x->c->s, r, &x->d, NULL, &err);
}

/* ---- sync ----------------------------------------------------------------------------*/

static void sync(sim *s, void *ctx, const char *ns, const char *name)
{
  dctl *c = ctx;
  const kd_value *stored = sim_obj_get(s, c->deploys, ns, name);
  dsync x;
  kd_value before;
  if (!stored) return;
  memset(&x, 0, sizeof x);
  x.c = c;
  kd_value_copy(&x.d, stored);
  kd_value_copy(&before, stored);
  if (!(x.now = sim_timestamp(s))) goto done;
  load(&x);
  if (kd_value_path(&x.d, "metadata.deletionTimestamp")) {
    new_replicaset(&x, 0);
  } else if (sim_vbool(&x.d, "spec.paused", 0) || scaling_event(&x)) {
    paused_conditions(&x);
    new_replicaset(&x, 0);
    scale_only(&x);
    if (sim_vbool(&x.d, "spec.paused", 0)) cleanup(&x);
  } else {
    paused_conditions(&x);
    if (!rolling(&x.d)) {
      new_replicaset(&x, 0);
      rollout_recreate(&x);
    } else {
      new_replicaset(&x, 1);
      if (!reconcile_new(&x) && !reconcile_old(&x) &&
          complete(&x.d, kd_value_path(&x.d, "status")))
        cleanup(&x);
    }
  }
  rollout_status(&x);
  write_back(&x, &before);
  requeue_stuck(&x);
done:
  kd_value_clear(&before);
  kd_value_clear(&x.d);
  kd_value_clear(&x.rsl);
  free(x.now);
}

/* ---- events --------------------------------------------------------------------------*/

struct match_ctx {
  dctl *c;
  const kd_value *labels;
};

static int queue_matching(void *ctx, const kd_value *d)
{
  struct match_ctx *m = ctx;
  if (sim_lsel_match(kd_value_path(d, "spec.selector"), m->labels))
    sim_queue_add_obj(m->c->q, d);
  return 0;
}

static void on_event(sim *s, void *ctx, const sim_event *ev)
{
  dctl *c = ctx;
  if (ev->res == c->deploys) {
    sim_queue_add_obj(c->q, ev->obj);
  } else if (ev->res == c->rs) {
    if (sim_controller_ref(ev->obj)) {
      sim_queue_add_owner(c->q, ev->obj, "Deployment");
    } else if (ev->type != SIM_DELETED) {   /* an orphan to adopt */
      struct match_ctx m;
      m.c = c;
      m.labels = kd_value_path(ev->obj, "metadata.labels");
      sim_obj_each(s, c->deploys, sim_vstr(ev->obj, "metadata.namespace"),
                   queue_matching, &m);
    }
  } else if (ev->res == c->pods && ev->type == SIM_DELETED) {
    /* Recreate waits for old pods to be gone */
    const kd_value *ref = sim_controller_ref(ev->obj);
    const kd_value *rs;
    if (!ref || !sim_vstr(ref, "kind") || strcmp(sim_vstr(ref, "kind"), "ReplicaSet"))
      return;
    rs = sim_obj_get(s, c->rs, sim_vstr(ev->obj, "metadata.namespace"),
                     sim_vstr(ref, "name"));
    if (rs) sim_queue_add_owner(c->q, rs, "Deployment");
  }
}

int sim_deploy_start(sim *s, void **state, kd_error *err)
{
  dctl *c = calloc(1, sizeof *c);
  if (!c) return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
  c->s = s;
  c->deploys = sim_res(s, "apps", "deployments");
  c->rs = sim_res(s, "apps", "replicasets");
  c->pods = sim_res(s, "", "pods");
  if (sim_ctrl_begin(s, c, sync, on_event, c->deploys, &c->q, &c->sub, err)) {
    free(c);
    return KD_ENOMEM;
  }
  *state = c;
  return KD_OK;
}

void sim_deploy_stop(sim *s, void *state)
{
  dctl *c = state;
  if (!c) return;
  sim_ctrl_end(s, c->q, c->sub);
  free(c);
}
