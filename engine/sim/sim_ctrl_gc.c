/* engine/sim/sim_ctrl_gc.c: the garbage collector (SIM_F_GC), after
 * kube's: a dependent whose owners (ownerReferences, matched by uid) are
 * all gone is deleted in the background, one that lost only some of them
 * drops the dangling references; an owner deleted with propagation
 * Foreground (finalizer foregroundDeletion) has its dependents deleted
 * first, those with blockOwnerDeletion in the foreground too, and goes
 * once no blocking dependent is left; Orphan (finalizer orphan) removes
 * the owner's references from its dependents and then the finalizer. */
#include "sim_ctrl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gc {
  sim *s;
  int sub;
  sim_queue *check;   /* (ns, "group/plural/name"): verify its owners */
  sim_queue *gone;    /* (ns, uid): an owner was deleted */
  sim_queue *owners;  /* (ns, "group/plural/name"): foreground/orphan */
  sim_map *owner_uids;   /* uids some ownerReferences name */
} gc;

/* ---- keys: "group/plural/name" -------------------------------------------*/

static void key_of(const sim_resource *r, const char *name, char *out,
                   size_t n)
{
  snprintf(out, n, "%s/%s/%s", sim_resource_group(r), sim_resource_plural(r),
           name);
}

static const sim_resource *parse_key(sim *s, const char *key,
                                     const char **name)
{
  const char *a = strchr(key, '/'), *b = a ? strchr(a + 1, '/') : NULL;
  char group[256], plural[256];
  if (!b || (size_t)(a - key) >= sizeof group ||
      (size_t)(b - a - 1) >= sizeof plural)
    return NULL;
  memcpy(group, key, (size_t)(a - key));
  group[a - key] = 0;
  memcpy(plural, a + 1, (size_t)(b - a - 1));
  plural[b - a - 1] = 0;
  *name = b + 1;
  return sim_res(s, group, plural);
}

static void queue_obj(sim_queue *q, const sim_resource *r, const kd_value *o)
{
  char key[600];
  key_of(r, sim_vstr(o, "metadata.name"), key, sizeof key);
  sim_queue_add(q, sim_resource_namespaced(r)
                       ? sim_vstr(o, "metadata.namespace") : "", key);
}

static int has_finalizer(const kd_value *o, const char *f)
{
  const kd_value *fs = kd_value_path(o, "metadata.finalizers");
  size_t i;
  for (i = 0; i < sim_vlen(fs); i++)
    if (fs->u.arr.items[i].type == KD_STR && !strcmp(fs->u.arr.items[i].u.str.s, f))
      return 1;
  return 0;
}

/* Writes OBJ (a copy of R's stored object) without finalizer F. */
static void drop_finalizer(sim *s, const sim_resource *r, kd_value *obj,
                           const char *f)
{
  kd_value *fs = kd_value_path(obj, "metadata.finalizers");
  kd_error err;
  size_t i;
  for (i = 0; i < sim_vlen(fs); i++)
    if (fs->u.arr.items[i].type == KD_STR &&
        !strcmp(fs->u.arr.items[i].u.str.s, f)) {
      kd_value_clear(&fs->u.arr.items[i]);
      memmove(&fs->u.arr.items[i], &fs->u.arr.items[i + 1],
              (fs->u.arr.len - i - 1) * sizeof *fs->u.arr.items);
      fs->u.arr.len--;
      break;
    }
  if (fs && !fs->u.arr.len) sim_vdel(obj, "metadata.finalizers");
  sim_obj_update(s, r, obj, NULL, &err);
}

/* ---- owners ----------------------------------------------------------------*/

enum { OWNER_ABSENT, OWNER_PRESENT, OWNER_UNKNOWN };

/* The owner REF of a dependent in NS: the stored object (OUT) when it is
 * there with the same uid. */
static int owner_state(gc *g, const kd_value *ref, const char *ns,
                       const kd_value **out)
{
  const char *av = sim_vstr(ref, "apiVersion"), *kind = sim_vstr(ref, "kind");
  const char *name = sim_vstr(ref, "name"), *uid = sim_vstr(ref, "uid");
  const sim_resource *r;
  const kd_value *o;
  *out = NULL;
  if (!av || !kind || !name || !uid) return OWNER_UNKNOWN;
  if (!(r = sim_resource_for_kind(g->s, av, kind))) return OWNER_UNKNOWN;
  o = sim_obj_get(g->s, r, sim_resource_namespaced(r) ? ns : NULL, name);
  if (!o || !sim_vstr(o, "metadata.uid") ||
      strcmp(sim_vstr(o, "metadata.uid"), uid))
    return OWNER_ABSENT;
  *out = o;
  return OWNER_PRESENT;
}

static const kd_value *ref_to(const kd_value *obj, const char *uid)
{
  const kd_value *refs = kd_value_path(obj, "metadata.ownerReferences");
  size_t i;
  for (i = 0; i < sim_vlen(refs); i++)
    if (sim_vstr(&refs->u.arr.items[i], "uid") &&
        !strcmp(sim_vstr(&refs->u.arr.items[i], "uid"), uid))
      return &refs->u.arr.items[i];
  return NULL;
}

/* Removes the references to the uids UIDS names (NULL-terminated). */
static void drop_refs(sim *s, const sim_resource *r, const kd_value *obj,
                      const char *const *uids)
{
  kd_value c, *refs;
  kd_error err;
  size_t i = 0;
  kd_value_copy(&c, obj);
  refs = kd_value_path(&c, "metadata.ownerReferences");
  while (i < sim_vlen(refs)) {
    const char *u = sim_vstr(&refs->u.arr.items[i], "uid");
    int k, hit = 0;
    for (k = 0; u && uids[k]; k++) if (!strcmp(uids[k], u)) hit = 1;
    if (hit) {
      kd_value_clear(&refs->u.arr.items[i]);
      memmove(&refs->u.arr.items[i], &refs->u.arr.items[i + 1],
              (refs->u.arr.len - i - 1) * sizeof *refs->u.arr.items);
      refs->u.arr.len--;
    } else {
      i++;
    }
  }
  if (!sim_vlen(refs)) sim_vdel(&c, "metadata.ownerReferences");
  sim_obj_update(s, r, &c, NULL, &err);
  kd_value_clear(&c);
}

/* ---- dependents ---------------------------------------------------------------*/

typedef struct dep {
  const sim_resource *r;
  kd_value obj;
} dep;

typedef struct scan {
  sim *s;
  const char *uid, *ns;    /* ns NULL: everywhere */
  const sim_resource *r;
  dep *deps;
  size_t n, cap;
} scan;

static int scan_obj(void *ctx, const kd_value *obj)
{
  scan *sc = ctx;
  if (!ref_to(obj, sc->uid)) return 0;
  if (sc->n == sc->cap) {
    size_t ncap = sc->cap ? sc->cap * 2 : 16;
    dep *d = realloc(sc->deps, ncap * sizeof *d);
    if (!d) return 1;
    sc->deps = d;
    sc->cap = ncap;
  }
  sc->deps[sc->n].r = sc->r;
  kd_value_copy(&sc->deps[sc->n].obj, obj);
  sc->n++;
  return 0;
}

static int scan_res(void *ctx, const sim_resource *r)
{
  scan *sc = ctx;
  if (sc->ns && sc->ns[0] && !sim_resource_namespaced(r)) return 0;
  sc->r = r;
  sim_obj_each(sc->s, r, sc->ns && sc->ns[0] ? sc->ns : NULL, scan_obj, sc);
  return 0;
}

/* Copies of the objects referring to owner UID (in NS, or everywhere for
 * a cluster-scoped owner). Free with scan_free. */
static void dependents(gc *g, const char *ns, const char *uid, scan *sc)
{
  memset(sc, 0, sizeof *sc);
  sc->s = g->s;
  sc->uid = uid;
  sc->ns = ns;
  sim_resource_each(g->s, scan_res, sc);
}

static void scan_free(scan *sc)
{
  size_t i;
  for (i = 0; i < sc->n; i++) kd_value_clear(&sc->deps[i].obj);
  free(sc->deps);
}

/* ---- syncs ------------------------------------------------------------------------*/

/* A dependent: deleted when every owner is gone, dangling references
 * dropped when only some are. */
static void sync_check(sim *s, void *ctx, const char *ns, const char *key)
{
  gc *g = ctx;
  const char *name, *absent[64];
  const sim_resource *r = parse_key(s, key, &name);
  const kd_value *obj = r ? sim_obj_get(s, r, ns, name) : NULL;
  const kd_value *refs = kd_value_path(obj, "metadata.ownerReferences");
  int present = 0, n_absent = 0;
  size_t i;
  kd_value copy;
  kd_error err;
  if (!obj || !sim_vlen(refs) || kd_value_path(obj, "metadata.deletionTimestamp"))
    return;
  for (i = 0; i < sim_vlen(refs) && n_absent < 63; i++) {
    const kd_value *o;
    int st = owner_state(g, &refs->u.arr.items[i], ns, &o);
    if (st == OWNER_ABSENT)
      absent[n_absent++] = sim_vstr(&refs->u.arr.items[i], "uid");
    else
      present++;
  }
  absent[n_absent] = NULL;
  if (!n_absent) return;
  kd_value_copy(&copy, obj);   /* names must outlive the store change */
  if (!present) {
    sim_obj_delete(s, r, ns, sim_vstr(&copy, "metadata.name"), "Background",
                   &err);
  } else {
    refs = kd_value_path(&copy, "metadata.ownerReferences");
    n_absent = 0;
    for (i = 0; i < sim_vlen(refs) && n_absent < 63; i++) {
      const kd_value *o;
      if (owner_state(g, &refs->u.arr.items[i], ns, &o) == OWNER_ABSENT)
        absent[n_absent++] = sim_vstr(&refs->u.arr.items[i], "uid");
    }
    absent[n_absent] = NULL;
    drop_refs(s, r, &copy, absent);
  }
  kd_value_clear(&copy);
}

/* An owner went away: look at everything that referred to it. */
static void sync_gone(sim *s, void *ctx, const char *ns, const char *uid)
{
  gc *g = ctx;
  scan sc;
  size_t i;
  (void)s;
  dependents(g, ns, uid, &sc);
  for (i = 0; i < sc.n; i++) queue_obj(g->check, sc.deps[i].r, &sc.deps[i].obj);
  scan_free(&sc);
}

/* An owner being deleted with Foreground or Orphan propagation. */
static void sync_owner(sim *s, void *ctx, const char *ns, const char *key)
{
  gc *g = ctx;
  const char *name;
  const sim_resource *r = parse_key(s, key, &name);
  const kd_value *stored = r ? sim_obj_get(s, r, ns, name) : NULL;
  kd_value obj;
  scan sc;
  size_t i;
  int blocking = 0;
  if (!stored || !kd_value_path(stored, "metadata.deletionTimestamp")) return;
  kd_value_copy(&obj, stored);
  dependents(g, ns, sim_vstr(&obj, "metadata.uid"), &sc);
  if (has_finalizer(&obj, "orphan")) {
    const char *uids[2];
    uids[0] = sim_vstr(&obj, "metadata.uid");
    uids[1] = NULL;
    for (i = 0; i < sc.n; i++) drop_refs(s, sc.deps[i].r, &sc.deps[i].obj, uids);
    drop_finalizer(s, r, &obj, "orphan");
  } else if (has_finalizer(&obj, "foregroundDeletion")) {
    for (i = 0; i < sc.n; i++) {
      const kd_value *d = &sc.deps[i].obj;
      int block = sim_vbool(ref_to(d, sim_vstr(&obj, "metadata.uid")),
                            "blockOwnerDeletion", 0);
      kd_error err;
      if (block) blocking++;
      if (!kd_value_path(d, "metadata.deletionTimestamp"))
        sim_obj_delete(s, sc.deps[i].r, sim_vstr(d, "metadata.namespace"),
                       sim_vstr(d, "metadata.name"),
                       block ? "Foreground" : "Background", &err);
    }
    if (!blocking) {
      const kd_value *again = sim_obj_get(s, r, ns, name);
      kd_value_clear(&obj);
      if (again) {
        kd_value_copy(&obj, again);
        drop_finalizer(s, r, &obj, "foregroundDeletion");
      } else {
        kd_value_null(&obj);
      }
    }
  }
  scan_free(&sc);
  kd_value_clear(&obj);
}

/* ---- events ---------------------------------------------------------------------*/

static int refs_changed(const sim_event *ev)
{
  const kd_value *a = kd_value_path(ev->obj, "metadata.ownerReferences");
  const kd_value *b = ev->old ? kd_value_path(ev->old, "metadata.ownerReferences") : NULL;
  if (!a || !b) return a != b;
  return !kd_value_equal(a, b);
}

static void note_refs(gc *g, const kd_value *obj)
{
  const kd_value *refs = kd_value_path(obj, "metadata.ownerReferences");
  size_t i;
  for (i = 0; i < sim_vlen(refs); i++) {
    const char *uid = sim_vstr(&refs->u.arr.items[i], "uid");
    if (uid) sim_map_put(g->owner_uids, uid, "");
  }
}

/* A dependent went: an owner waiting in the foreground may be done. */
static void wake_owners(gc *g, const kd_value *obj)
{
  const kd_value *refs = kd_value_path(obj, "metadata.ownerReferences");
  const char *ns = sim_vstr(obj, "metadata.namespace");
  size_t i;
  for (i = 0; i < sim_vlen(refs); i++) {
    const kd_value *o;
    const sim_resource *r;
    const kd_value *ref = &refs->u.arr.items[i];
    if (owner_state(g, ref, ns, &o) != OWNER_PRESENT ||
        !kd_value_path(o, "metadata.deletionTimestamp"))
      continue;
    r = sim_resource_for_kind(g->s, sim_vstr(ref, "apiVersion"), sim_vstr(ref, "kind"));
    if (r) queue_obj(g->owners, r, o);
  }
}

static void on_event(sim *s, void *ctx, const sim_event *ev)
{
  gc *g = ctx;
  const char *uid = sim_vstr(ev->obj, "metadata.uid");
  (void)s;
  if (ev->type == SIM_DELETED) {
    if (uid && sim_map_get(g->owner_uids, uid)) {
      sim_queue_add(g->gone, sim_resource_namespaced(ev->res)
                                 ? sim_vstr(ev->obj, "metadata.namespace") : "",
                    uid);
      sim_map_del(g->owner_uids, uid);
    }
    if (kd_value_path(ev->obj, "metadata.ownerReferences")) wake_owners(g, ev->obj);
    return;
  }
  if (kd_value_path(ev->obj, "metadata.ownerReferences") &&
      (ev->type == SIM_ADDED || refs_changed(ev))) {
    note_refs(g, ev->obj);
    queue_obj(g->check, ev->res, ev->obj);
  }
  if (kd_value_path(ev->obj, "metadata.deletionTimestamp") &&
      (has_finalizer(ev->obj, "foregroundDeletion") ||
       has_finalizer(ev->obj, "orphan")))
    queue_obj(g->owners, ev->res, ev->obj);
}

struct start_ctx {
  gc *g;
  const sim_resource *r;
};

static int start_obj(void *ctx, const kd_value *obj)
{
  struct start_ctx *c = ctx;
  if (kd_value_path(obj, "metadata.ownerReferences")) {
    note_refs(c->g, obj);
    queue_obj(c->g->check, c->r, obj);
  }
  if (kd_value_path(obj, "metadata.deletionTimestamp"))
    queue_obj(c->g->owners, c->r, obj);
  return 0;
}

static int start_res(void *ctx, const sim_resource *r)
{
  struct start_ctx *c = ctx;
  c->r = r;
  sim_obj_each(c->g->s, r, NULL, start_obj, c);
  return 0;
}

int sim_gc_start(sim *s, void **state, kd_error *err)
{
  gc *g = calloc(1, sizeof *g);
  struct start_ctx c;
  if (!g) return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
  g->s = s;
  g->check = sim_queue_new(s, sync_check, g);
  g->gone = sim_queue_new(s, sync_gone, g);
  g->owners = sim_queue_new(s, sync_owner, g);
  g->owner_uids = sim_map_new();
  if (!g->check || !g->gone || !g->owners || !g->owner_uids) {
    sim_gc_stop(s, g);
    return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
  }
  g->sub = sim_subscribe(s, on_event, g);
  sim_features_set(s, SIM_F_GC);
  c.g = g;
  sim_resource_each(s, start_res, &c);
  *state = g;
  return KD_OK;
}

void sim_gc_stop(sim *s, void *state)
{
  gc *g = state;
  if (!g) return;
  if (g->sub) sim_unsubscribe(s, g->sub);
  sim_queue_free(g->check);
  sim_queue_free(g->gone);
  sim_queue_free(g->owners);
  sim_map_free(g->owner_uids);
  free(g);
}
