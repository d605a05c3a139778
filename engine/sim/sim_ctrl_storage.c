/* engine/sim/sim_ctrl_storage.c: PersistentVolumeClaims and volumes,
 * after kube's persistentvolume controller and an external provisioner.
 * The sim starts with a default StorageClass "standard" binding
 * WaitForFirstConsumer, as kind's does: a claim of that class stays
 * Pending (event WaitForFirstConsumer) until the scheduler picks a node
 * for a pod that uses it; a class with Immediate binding provisions at
 * once. Provisioning creates a PersistentVolume pvc-<claim uid> and binds
 * both (phase Bound, volumeName, the bind annotations). A claim without a
 * class binds to a matching Available volume, or stays Pending. The
 * pvc-protection / pv-protection finalizers keep a claim while a pod uses
 * it and a volume while it is bound; reclaim policy Delete removes the
 * volume with its claim, Retain leaves it Released. */
#include "sim_ctrl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PV_CTRL "persistentvolume-controller"
#define PROVISIONER "sim.kdeploy.io/hostpath"
#define PVC_FINALIZER "kubernetes.io/pvc-protection"
#define PV_FINALIZER "kubernetes.io/pv-protection"
#define DEFAULT_ANN "storageclass.kubernetes.io/is-default-class"
#define PROVISION_MS 100

typedef struct stc {
  sim *s;
  int sub;
  sim_queue *claims, *volumes;
  const sim_resource *pvcs, *pvs, *scs, *pods;
} stc;

static int has_fin(const kd_value *o, const char *f)
{
  const kd_value *fs = kd_value_path(o, "metadata.finalizers");
  size_t i;
  for (i = 0; i < sim_vlen(fs); i++)
    if (fs->u.arr.items[i].type == KD_STR && !strcmp(fs->u.arr.items[i].u.str.s, f))
      return 1;
  return 0;
}

static void drop_fin(kd_value *o, const char *f)
{
  kd_value *fs = kd_value_path(o, "metadata.finalizers");
  size_t i;
  for (i = 0; i < sim_vlen(fs); i++)
    if (fs->u.arr.items[i].type == KD_STR && !strcmp(fs->u.arr.items[i].u.str.s, f)) {
      kd_value_clear(&fs->u.arr.items[i]);
      memmove(&fs->u.arr.items[i], &fs->u.arr.items[i + 1],
              (fs->u.arr.len - i - 1) * sizeof *fs->u.arr.items);
      fs->u.arr.len--;
      break;
    }
  if (fs && !fs->u.arr.len) sim_vdel(o, "metadata.finalizers");
}

/* ---- classes ----------------------------------------------------------------*/

struct find_default {
  const kd_value *found;
};

static int is_default(void *ctx, const kd_value *sc)
{
  struct find_default *f = ctx;
  const char *v = sim_vkey(kd_value_path(sc, "metadata.annotations"), DEFAULT_ANN);
  if (v && !strcmp(v, "true")) {
    f->found = sc;
    return 1;
  }
  return 0;
}

static const kd_value *default_class(stc *c)
{
  struct find_default f = {NULL};
  sim_obj_each(c->s, c->scs, NULL, is_default, &f);
  return f.found;
}

static int any(void *ctx, const kd_value *o)
{
  (void)o;
  *(int *)ctx = 1;
  return 1;
}

static void seed_class(stc *c)
{
  int n = 0;
  kd_value sc;
  kd_error err;
  sim_obj_each(c->s, c->scs, NULL, any, &n);
  if (n) return;
  kd_value_obj(&sc);
  sim_vset_str(&sc, "apiVersion", "storage.k8s.io/v1");
  sim_vset_str(&sc, "kind", "StorageClass");
  sim_vset_str(&sc, "metadata.name", "standard");
  sim_vset_key(sim_vobj(&sc, "metadata.annotations"), DEFAULT_ANN, "true");
  sim_vset_str(&sc, "provisioner", PROVISIONER);
  sim_vset_str(&sc, "reclaimPolicy", "Delete");
  sim_vset_str(&sc, "volumeBindingMode", "WaitForFirstConsumer");
  sim_obj_create(c->s, c->scs, NULL, &sc, NULL, &err);
  kd_value_clear(&sc);
}

/* ---- claims -----------------------------------------------------------------*/

struct use_ctx {
  const char *claim;
  int used;
};

static int uses_claim(void *ctx, const kd_value *pod)
{
  struct use_ctx *u = ctx;
  const kd_value *vols = kd_value_path(pod, "spec.volumes");
  const char *ph = sim_vstr(pod, "status.phase");
  size_t i;
  if (ph && (!strcmp(ph, "Succeeded") || !strcmp(ph, "Failed"))) return 0;
  for (i = 0; i < sim_vlen(vols); i++) {
    const char *cn = sim_vstr(&vols->u.arr.items[i], "persistentVolumeClaim.claimName");
    if (cn && !strcmp(cn, u->claim)) {
      u->used = 1;
      return 1;
    }
  }
  return 0;
}

/* Points volume PV's spec.claimRef at claim PVC; with its resourceVersion
 * when WITH_RV (the provisioner's reference has it, the binder's not). */
static void set_claim_ref(kd_value *pv, const kd_value *pvc, int with_rv)
{
  kd_value *ref = sim_vobj(pv, "spec.claimRef");
  sim_vset_str(ref, "apiVersion", "v1");
  sim_vset_str(ref, "kind", "PersistentVolumeClaim");
  sim_vset_str(ref, "name", sim_vstr(pvc, "metadata.name"));
  sim_vset_str(ref, "namespace", sim_vstr(pvc, "metadata.namespace"));
  if (with_rv)
    sim_vset_str(ref, "resourceVersion", sim_vstr(pvc, "metadata.resourceVersion"));
  sim_vset_str(ref, "uid", sim_vstr(pvc, "metadata.uid"));
}

/* Binds claim PVC (a copy, written here) and volume PV (stored). */
static void bind(stc *c, kd_value *pvc, const kd_value *pv, const char *prov)
{
  kd_value v;
  kd_value *ann, *slot;
  kd_error err;
  kd_value_copy(&v, pv);
  if (!kd_value_path(&v, "spec.claimRef")) {
    set_claim_ref(&v, pvc, 0);
    sim_obj_update(c->s, c->pvs, &v, NULL, &err);
    kd_value_clear(&v);
    kd_value_copy(&v, sim_obj_get(c->s, c->pvs, NULL, sim_vstr(pv, "metadata.name")));
  }
  sim_vset_str(&v, "status.phase", "Bound");
  sim_obj_update_status(c->s, c->pvs, &v, NULL, &err);
  sim_vset_str(pvc, "spec.volumeName", sim_vstr(&v, "metadata.name"));
  ann = sim_vobj(pvc, "metadata.annotations");
  sim_vset_key(ann, "pv.kubernetes.io/bind-completed", "yes");
  sim_vset_key(ann, "pv.kubernetes.io/bound-by-controller", "yes");
  if (prov) {
    sim_vset_key(ann, "volume.beta.kubernetes.io/storage-provisioner", prov);
    sim_vset_key(ann, "volume.kubernetes.io/storage-provisioner", prov);
  }
  if (sim_obj_update(c->s, c->pvcs, pvc, NULL, &err) == KD_OK) {
    const kd_value *now = sim_obj_get(c->s, c->pvcs, sim_vstr(pvc, "metadata.namespace"),
                                      sim_vstr(pvc, "metadata.name"));
    kd_value st;
    if (now) {
      kd_value_copy(&st, now);
      sim_vset_str(&st, "status.phase", "Bound");
      slot = sim_varr(&st, "status.accessModes");
      kd_value_clear(slot);
      kd_value_copy(slot, kd_value_path(&v, "spec.accessModes"));
      slot = sim_vobj(&st, "status.capacity");
      kd_value_clear(slot);
      kd_value_copy(slot, kd_value_path(&v, "spec.capacity"));
      sim_obj_update_status(c->s, c->pvcs, &st, NULL, &err);
      kd_value_clear(&st);
    }
  }
  kd_value_clear(&v);
}

static void provision(stc *c, kd_value *pvc, const kd_value *cls)
{
  const char *uid = sim_vstr(pvc, "metadata.uid");
  const char *prov = sim_vstr(cls, "provisioner");
  const char *node = sim_vkey(kd_value_path(pvc, "metadata.annotations"),
                              "volume.kubernetes.io/selected-node");
  const char *reclaim = sim_vstr(cls, "reclaimPolicy");
  kd_value pv, *slot, out;
  kd_error err;
  char name[128], path[200];
  snprintf(name, sizeof name, "pvc-%s", uid);
  snprintf(path, sizeof path, "/var/lib/kdeploy-sim/%s", name);
  sim_record(c->s, pvc, "Normal", "Provisioning", prov, NULL, NULL,
             "External provisioner is provisioning volume for claim \"%s/%s\"",
             sim_vstr(pvc, "metadata.namespace"), sim_vstr(pvc, "metadata.name"));
  kd_value_obj(&pv);
  sim_vset_str(&pv, "apiVersion", "v1");
  sim_vset_str(&pv, "kind", "PersistentVolume");
  sim_vset_str(&pv, "metadata.name", name);
  sim_vset_key(sim_vobj(&pv, "metadata.annotations"), "pv.kubernetes.io/provisioned-by", prov);
  sim_vpush_str(sim_varr(&pv, "metadata.finalizers"), PV_FINALIZER);
  slot = sim_varr(&pv, "spec.accessModes");
  kd_value_clear(slot);
  if (kd_value_path(pvc, "spec.accessModes")) kd_value_copy(slot, kd_value_path(pvc, "spec.accessModes"));
  else kd_value_arr(slot);
  sim_vset_str(&pv, "spec.capacity.storage",
               sim_vstr(pvc, "spec.resources.requests.storage")
                   ? sim_vstr(pvc, "spec.resources.requests.storage") : "1Gi");
  set_claim_ref(&pv, pvc, 1);
  sim_vset_str(&pv, "spec.hostPath.path", path);
  sim_vset_str(&pv, "spec.hostPath.type", "DirectoryOrCreate");
  if (node) {
    kd_value *terms = sim_varr(&pv, "spec.nodeAffinity.required.nodeSelectorTerms");
    kd_value *t = kd_arr_push(terms), *e;
    if (t) {
      kd_value_obj(t);
      if ((e = kd_arr_push(sim_varr(t, "matchExpressions")))) {
        kd_value_obj(e);
        sim_vset_str(e, "key", "kubernetes.io/hostname");
        sim_vset_str(e, "operator", "In");
        sim_vpush_str(sim_varr(e, "values"), node);
      }
    }
  }
  sim_vset_str(&pv, "spec.persistentVolumeReclaimPolicy", reclaim ? reclaim : "Delete");
  sim_vset_str(&pv, "spec.storageClassName", sim_vstr(cls, "metadata.name"));
  sim_vset_str(&pv, "spec.volumeMode",
               sim_vstr(pvc, "spec.volumeMode") ? sim_vstr(pvc, "spec.volumeMode") : "Filesystem");
  kd_value_null(&out);
  if (sim_obj_create(c->s, c->pvs, NULL, &pv, &out, &err) == KD_OK) {
    sim_record(c->s, pvc, "Normal", "ProvisioningSucceeded", prov, NULL, NULL,
               "Successfully provisioned volume %s", name);
    bind(c, pvc, &out, prov);
  } else {
    sim_record(c->s, pvc, "Warning", "ProvisioningFailed", prov, NULL, NULL,
               "failed to provision volume: %s", err.msg);
  }
  kd_value_clear(&out);
  kd_value_clear(&pv);
}

/* A static volume for a claim without a class: Available, same class "",
 * big enough (same size string, or any when the claim asks none). */
struct match_pv {
  const kd_value *pvc;
  const kd_value *found;
};

static int pv_fits(void *ctx, const kd_value *pv)
{
  struct match_pv *m = ctx;
  const char *ph = sim_vstr(pv, "status.phase");
  const char *want = sim_vstr(m->pvc, "spec.resources.requests.storage");
  const char *have = sim_vstr(pv, "spec.capacity.storage");
  const char *cls = sim_vstr(pv, "spec.storageClassName");
  const char *vn = sim_vstr(m->pvc, "spec.volumeName");
  if (vn && vn[0]) {   /* pre-bound by name */
    if (!strcmp(vn, sim_vstr(pv, "metadata.name"))) m->found = pv;
    return m->found != NULL;
  }
  if (kd_value_path(pv, "spec.claimRef") || (ph && strcmp(ph, "Available")) ||
      (cls && cls[0]))
    return 0;
  if (want && have && strcmp(want, have)) return 0;
  m->found = pv;
  return 1;
}

static void sync_claim(sim *s, void *ctx, const char *ns, const char *name)
{
  stc *c = ctx;
  const kd_value *stored = sim_obj_get(s, c->pvcs, ns, name);
  const kd_value *cls = NULL;
  const char *cn;
  kd_value pvc;
  kd_error err;
  if (!stored) return;
  kd_value_copy(&pvc, stored);
  if (kd_value_path(&pvc, "metadata.deletionTimestamp")) {
    struct use_ctx u = {name, 0};
    sim_obj_each(s, c->pods, ns, uses_claim, &u);
    if (!u.used && has_fin(&pvc, PVC_FINALIZER)) {
      drop_fin(&pvc, PVC_FINALIZER);
      sim_obj_update(s, c->pvcs, &pvc, NULL, &err);
    }
    goto done;
  }
  if (!has_fin(&pvc, PVC_FINALIZER) || !kd_value_path(&pvc, "spec.storageClassName")) {
    const kd_value *d = default_class(c);
    if (!has_fin(&pvc, PVC_FINALIZER))
      sim_vpush_str(sim_varr(&pvc, "metadata.finalizers"), PVC_FINALIZER);
    if (!kd_value_path(&pvc, "spec.storageClassName") && d)
      sim_vset_str(&pvc, "spec.storageClassName", sim_vstr(d, "metadata.name"));
    sim_obj_update(s, c->pvcs, &pvc, NULL, &err);
    goto done;   /* the update brings it back */
  }
  if (!sim_vstr(&pvc, "status.phase")) {
    sim_vset_str(&pvc, "status.phase", "Pending");
    sim_obj_update_status(s, c->pvcs, &pvc, NULL, &err);
    goto done;
  }
  if (!strcmp(sim_vstr(&pvc, "status.phase"), "Bound")) goto done;
  cn = sim_vstr(&pvc, "spec.storageClassName");
  if (cn && cn[0]) {
    const char *mode;
    if (!(cls = sim_obj_get(s, c->scs, NULL, cn))) {
      sim_record(s, &pvc, "Warning", "ProvisioningFailed", PV_CTRL, NULL, NULL,
                 "storageclass.storage.k8s.io \"%s\" not found", cn);
      goto done;
    }
    mode = sim_vstr(cls, "volumeBindingMode");
    if (mode && !strcmp(mode, "WaitForFirstConsumer") &&
        !sim_vkey(kd_value_path(&pvc, "metadata.annotations"),
                  "volume.kubernetes.io/selected-node")) {
      sim_record(s, &pvc, "Normal", "WaitForFirstConsumer", PV_CTRL, NULL, NULL,
                 "waiting for first consumer to be created before binding");
      goto done;
    }
    {
      kd_value cl;
      kd_value_copy(&cl, cls);
      provision(c, &pvc, &cl);
      kd_value_clear(&cl);
    }
  } else {
    struct match_pv m = {&pvc, NULL};
    sim_obj_each(s, c->pvs, NULL, pv_fits, &m);
    if (m.found) {
      kd_value pv;
      kd_value_copy(&pv, m.found);
      bind(c, &pvc, &pv, NULL);
      kd_value_clear(&pv);
    } else {
      sim_record(s, &pvc, "Normal", "FailedBinding", PV_CTRL, NULL, NULL,
                 "no persistent volumes available for this claim and no "
                 "storage class is set");
    }
  }
done:
  kd_value_clear(&pvc);
}

/* ---- volumes ---------------------------------------------------------------- */

static void sync_volume(sim *s, void *ctx, const char *ns, const char *name)
{
  stc *c = ctx;
  const kd_value *stored = sim_obj_get(s, c->pvs, NULL, name);
  const kd_value *ref, *claim = NULL;
  kd_value pv;
  kd_error err;
  (void)ns;
  if (!stored) return;
  ref = kd_value_path(stored, "spec.claimRef");
  if (ref) {
    claim = sim_obj_get(s, c->pvcs, sim_vstr(ref, "namespace"), sim_vstr(ref, "name"));
    if (claim && sim_vstr(ref, "uid") &&
        strcmp(sim_vstr(claim, "metadata.uid"), sim_vstr(ref, "uid")))
      claim = NULL;
  }
  kd_value_copy(&pv, stored);
  if (kd_value_path(&pv, "metadata.deletionTimestamp")) {
    if (!claim && has_fin(&pv, PV_FINALIZER)) {
      drop_fin(&pv, PV_FINALIZER);
      sim_obj_update(s, c->pvs, &pv, NULL, &err);
    }
  } else if (!sim_vstr(&pv, "status.phase")) {
    sim_vset_str(&pv, "status.phase", ref ? "Bound" : "Available");
    sim_obj_update_status(s, c->pvs, &pv, NULL, &err);
  } else if (ref && !claim && strcmp(sim_vstr(&pv, "status.phase"), "Released")) {
    const char *policy = sim_vstr(&pv, "spec.persistentVolumeReclaimPolicy");
    if (policy && !strcmp(policy, "Delete")) {
      sim_obj_delete(s, c->pvs, NULL, name, NULL, &err);
    } else {
      sim_vset_str(&pv, "status.phase", "Released");
      sim_obj_update_status(s, c->pvs, &pv, NULL, &err);
    }
  }
  kd_value_clear(&pv);
}

/* ---- events ------------------------------------------------------------------- */

static int queue_claims_of(void *ctx, const kd_value *pod)
{
  stc *c = ctx;
  const kd_value *vols = kd_value_path(pod, "spec.volumes");
  size_t i;
  for (i = 0; i < sim_vlen(vols); i++) {
    const char *cn = sim_vstr(&vols->u.arr.items[i], "persistentVolumeClaim.claimName");
    if (cn) sim_queue_add(c->claims, sim_vstr(pod, "metadata.namespace"), cn);
  }
  return 0;
}

static int queue_pv_of(void *ctx, const kd_value *pv)
{
  stc *c = ctx;
  sim_queue_add(c->volumes, "", sim_vstr(pv, "metadata.name"));
  return 0;
}

static void on_event(sim *s, void *ctx, const sim_event *ev)
{
  stc *c = ctx;
  if (ev->res == c->pvcs) {
    if (ev->type != SIM_DELETED)
      sim_queue_add_after(c->claims, sim_vstr(ev->obj, "metadata.namespace"),
                          sim_vstr(ev->obj, "metadata.name"),
                          ev->type == SIM_ADDED ? PROVISION_MS : 0);
    else if (sim_vstr(ev->obj, "spec.volumeName"))
      sim_queue_add(c->volumes, "", sim_vstr(ev->obj, "spec.volumeName"));
  } else if (ev->res == c->pvs) {
    if (ev->type != SIM_DELETED)
      sim_queue_add(c->volumes, "", sim_vstr(ev->obj, "metadata.name"));
  } else if (ev->res == c->pods) {
    /* a pod going away may free a claim being deleted */
    if (ev->type == SIM_DELETED || sim_vstr(ev->obj, "status.phase"))
      queue_claims_of(c, ev->obj);
  } else if (ev->res == c->scs && ev->type != SIM_DELETED) {
    sim_queue_add_all(c->claims, c->pvcs);
  }
  (void)s;
}

int sim_storage_start(sim *s, void **state, kd_error *err)
{
  stc *c = calloc(1, sizeof *c);
  if (!c) return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
  c->s = s;
  c->claims = sim_queue_new(s, sync_claim, c);
  c->volumes = sim_queue_new(s, sync_volume, c);
  if (!c->claims || !c->volumes) {
    sim_storage_stop(s, c);
    return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
  }
  c->pvcs = sim_res(s, "", "persistentvolumeclaims");
  c->pvs = sim_res(s, "", "persistentvolumes");
  c->scs = sim_res(s, "storage.k8s.io", "storageclasses");
  c->pods = sim_res(s, "", "pods");
  c->sub = sim_subscribe(s, on_event, c);
  seed_class(c);
  sim_queue_add_all(c->claims, c->pvcs);
  sim_obj_each(s, c->pvs, NULL, queue_pv_of, c);
  *state = c;
  return KD_OK;
}

void sim_storage_stop(sim *s, void *state)
{
  stc *c = state;
  if (!c) return;
  if (c->sub) sim_unsubscribe(s, c->sub);
  sim_queue_free(c->claims);
  sim_queue_free(c->volumes);
  free(c);
}
