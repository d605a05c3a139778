/* engine/sim/sim_store.c: the object store: sorted tables per resource,
 * resourceVersions, the watch event log and the event queue. */
#include "sim_int.h"

#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_CAP 50000
#define LOG_BYTES ((size_t)128 << 20)

/* ---- tables ------------------------------------------------------------- */

static int obj_cmp(const sim_obj *o, const char *ns, const char *name)
{
  int c = strcmp(o->ns, ns);
  return c ? c : strcmp(o->name, name);
}

sim_obj *sim_table_find(sim_table *t, const char *ns, const char *name,
                        size_t *pos)
{
  size_t lo = 0, hi = t->len;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = obj_cmp(t->items[mid], ns, name);
    if (c == 0) {
      if (pos) *pos = mid;
      return t->items[mid];
    }
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  if (pos) *pos = lo;
  return NULL;
}

static int table_insert(sim_table *t, size_t pos, sim_obj *o)
{
  if (t->len == t->cap) {
    size_t ncap = t->cap ? t->cap * 2 : 16;
    sim_obj **n = realloc(t->items, ncap * sizeof *n);
    if (!n) return KD_ENOMEM;
    t->items = n;
    t->cap = ncap;
  }
  memmove(t->items + pos + 1, t->items + pos, (t->len - pos) * sizeof *t->items);
  t->items[pos] = o;
  t->len++;
  return KD_OK;
}

static void obj_free(sim_obj *o)
{
  if (!o) return;
  free(o->ns);
  free(o->name);
  kd_value_clear(&o->v);
  sim_blob_unref(o->json);
  free(o);
}

sim_blob *sim_obj_json(sim_obj *o)
{
  kd_buf b = {0};
  if (o->json) return o->json;
  if (json_encode(&o->v, 0, &b, NULL) != KD_OK) {
    kd_buf_free(&b);
    return NULL;
  }
  o->json = sim_blob_new(b.data ? b.data : "", b.len);
  kd_buf_free(&b);
  return o->json;
}

/* ---- event log and queue -------------------------------------------------*/

static void log_append(sim *s, sim_table *t, const char *ns, int type,
                       sim_blob *json, uint64_t rv)
{
  sim_logev *e;
  if (!json) return;   /* out of memory while encoding: nothing to replay */
  if (!s->log) {
    size_t cap = s->cfg.watch_cache ? s->cfg.watch_cache : LOG_CAP;
    s->log = calloc(cap, sizeof *s->log);
    if (!s->log) return;
    s->log_cap = cap;
  }
  /* drop the oldest past the count or the byte cap (big objects such as
   * helm release Secrets would otherwise pin a lot of memory) */
  while (s->log_len && (s->log_len == s->log_cap ||
                        s->log_bytes + json->len > LOG_BYTES)) {
    e = &s->log[s->log_start];
    s->log_min_rv = e->rv;
    s->log_bytes -= e->json ? e->json->len : 0;
    free(e->ns);
    sim_blob_unref(e->json);
    s->log_start = (s->log_start + 1) % s->log_cap;
    s->log_len--;
  }
  s->log_bytes += json->len;
  e = &s->log[(s->log_start + s->log_len) % s->log_cap];
  e->rv = rv;
  e->table = t;
  e->ns = sim_strdup(ns);
  e->type = type;
  e->json = sim_blob_ref(json);
  s->log_len++;
}

sim_logev *sim_log_at(sim *s, size_t i)
{
  return &s->log[(s->log_start + i) % s->log_cap];
}

long sim_log_from(sim *s, uint64_t rv)
{
  size_t lo = 0, hi = s->log_len;
  if (rv < s->log_min_rv) return -1;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (sim_log_at(s, mid)->rv <= rv) lo = mid + 1;
    else hi = mid;
  }
  return (long)lo;
}

static void queue_event(sim *s, sim_resource *r, int type, const kd_value *obj,
                        kd_value *old, sim_blob *json, uint64_t rv)
{
  sim_qev *q;
  if ((s->n_subs == 0 && s->n_watches == 0) || !json) goto drop;
  if (s->q_len == s->q_cap) {
    size_t ncap = s->q_cap ? s->q_cap * 2 : 64;
    sim_qev *n = realloc(s->queue, ncap * sizeof *n);
    if (!n) goto drop;
    s->queue = n;
    s->q_cap = ncap;
  }
  q = &s->queue[s->q_len];
  memset(q, 0, sizeof *q);
  if (kd_value_copy(&q->obj, obj) != KD_OK) goto drop;
  q->type = type;
  q->res = r;
  q->rv = rv;
  q->json = sim_blob_ref(json);
  if (old) {
    q->old = *old;
    q->has_old = 1;
    kd_value_null(old);
  }
  s->q_len++;
  return;
drop:
  if (old) kd_value_clear(old);
}

/* kind, apiVersion and metadata first, as kube's encoders write them;
 * the other members keep their order. */
static void canonical_order(kd_value *obj)
{
  static const char *const first[] = {"kind", "apiVersion", "metadata"};
  size_t at = 0, i;
  int k;
  if (obj->type != KD_OBJ) return;
  for (k = 0; k < 3; k++)
    for (i = at; i < obj->u.obj.len; i++)
      if (strcmp(obj->u.obj.m[i].key, first[k]) == 0) {
        kd_member m = obj->u.obj.m[i];
        memmove(&obj->u.obj.m[at + 1], &obj->u.obj.m[at],
                (i - at) * sizeof m);
        obj->u.obj.m[at++] = m;
        break;
      }
}

/* Stamps O with the next resourceVersion, re-encodes it, logs and queues
 * the event. OLD (may be NULL) is moved into the event. */
static void commit(sim *s, sim_resource *r, sim_obj *o, int type,
                   kd_value *old)
{
  char rvs[32];
  canonical_order(&o->v);
  o->rv = ++s->rv;
  snprintf(rvs, sizeof rvs, "%llu", (unsigned long long)o->rv);
  sim_set_str(&o->v, "metadata.resourceVersion", rvs);
  sim_blob_unref(o->json);
  o->json = NULL;
  sim_obj_json(o);
  log_append(s, r->table, o->ns, type, o->json, o->rv);
  queue_event(s, r, type, &o->v, old, o->json, o->rv);
}

void sim_store_free(sim *s)
{
  size_t i;
  for (i = 0; i < s->log_len; i++) {
    sim_logev *e = sim_log_at(s, i);
    free(e->ns);
    sim_blob_unref(e->json);
  }
  free(s->log);
  s->log = NULL;
  s->log_len = 0;
  for (i = 0; i < s->q_len; i++) {
    kd_value_clear(&s->queue[i].obj);
    kd_value_clear(&s->queue[i].old);
    sim_blob_unref(s->queue[i].json);
  }
  free(s->queue);
  s->queue = NULL;
  s->q_len = 0;
}

/* ---- helpers -------------------------------------------------------------*/

int sim_ns_exists(sim *s, const char *ns)
{
  sim_resource *r = sim_res_find(s, "", "v1", "namespaces");
  return r && sim_table_find(r->table, "", ns, NULL) != NULL;
}

static int is_ns_terminating(sim *s, const char *ns)
{
  sim_resource *r = sim_res_find(s, "", "v1", "namespaces");
  sim_obj *o = r ? sim_table_find(r->table, "", ns, NULL) : NULL;
  return o && kd_value_path(&o->v, "metadata.deletionTimestamp") != NULL;
}

static int is_core_ns(const sim_resource *r)
{
  return !r->group[0] && strcmp(r->plural, "namespaces") == 0;
}

static int is_crd(const sim_resource *r)
{
  return strcmp(r->plural, "customresourcedefinitions") == 0 &&
         strcmp(r->group, "apiextensions.k8s.io") == 0;
}

/* KIND of V: 's' string, 'm' map of strings, 'a' array of strings,
 * 'o' object, 'l' array of objects. Returns 1 when V fits. */
static int fits(const kd_value *v, char kind)
{
  size_t i;
  if (v->type == KD_NULL) return 1;   /* null is "absent" for Go */
  switch (kind) {
  case 's': return v->type == KD_STR;
  case 'o': return v->type == KD_OBJ;
  case 'm':
    if (v->type != KD_OBJ) return 0;
    for (i = 0; i < v->u.obj.len; i++)
      if (v->u.obj.m[i].val.type != KD_STR && v->u.obj.m[i].val.type != KD_NULL)
        return 0;
    return 1;
  case 'a':
  case 'l':
    if (v->type != KD_ARR) return 0;
    for (i = 0; i < v->u.arr.len; i++)
      if (v->u.arr.items[i].type != (kind == 'a' ? KD_STR : KD_OBJ)) return 0;
    return 1;
  }
  return 1;
}

/* The typed decoding kube does on the fields every client touches: a body
 * whose metadata (or ConfigMap/Secret data) has the wrong JSON types is a
 * 400 with Go's unmarshal message, as from kube-apiserver. */
static int check_shapes(sim *s, sim_resource *r, const kd_value *obj,
                        kd_error *err)
{
  static const struct { const char *path, *go; char kind; const char *gotype; }
  fields[] = {
    {"metadata", "ObjectMeta.metadata", 'o', "v1.ObjectMeta"},
    {"metadata.name", "ObjectMeta.metadata.name", 's', "string"},
    {"metadata.generateName", "ObjectMeta.metadata.generateName", 's', "string"},
    {"metadata.namespace", "ObjectMeta.metadata.namespace", 's', "string"},
    {"metadata.resourceVersion", "ObjectMeta.metadata.resourceVersion", 's', "string"},
    {"metadata.uid", "ObjectMeta.metadata.uid", 's', "types.UID"},
    {"metadata.labels", "ObjectMeta.metadata.labels", 'm', "map[string]string"},
    {"metadata.annotations", "ObjectMeta.metadata.annotations", 'm', "map[string]string"},
    {"metadata.finalizers", "ObjectMeta.metadata.finalizers", 'a', "[]string"},
    {"metadata.ownerReferences", "ObjectMeta.metadata.ownerReferences", 'l', "[]v1.OwnerReference"},
    {"spec", "spec", 'o', "spec"},
    {"status", "status", 'o', "status"},
  };
  size_t i;
  for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    const kd_value *v = kd_value_path(obj, fields[i].path);
    const char *go = fields[i].go;
    char field[200];
    if (!v || fits(v, fields[i].kind)) continue;
    if (strcmp(go, "spec") == 0 || strcmp(go, "status") == 0) {
      if (r->crd) continue;   /* custom resources are not typed here */
      snprintf(field, sizeof field, "%s.%s", r->kind, go);
      go = field;
    }
    sim_errd_reset(s);
    return sim_fail(s, err, 400, "BadRequest", "%s in version \"%s\" cannot "
                    "be handled as a %s: json: cannot unmarshal %s into Go "
                    "struct field %s of type %s", r->kind, r->version, r->kind,
                    sim_patch_go_type(v), go, fields[i].gotype);
  }
  if (!r->group[0] && (!strcmp(r->plural, "configmaps") ||
                       !strcmp(r->plural, "secrets"))) {
    static const char *const maps[] = {"data", "binaryData", "stringData"};
    for (i = 0; i < 3; i++) {
      const kd_value *v = kd_obj_gets(obj, maps[i]);
      if (!v || fits(v, 'm')) continue;
      sim_errd_reset(s);
      return sim_fail(s, err, 400, "BadRequest", "%s in version \"v1\" cannot "
                      "be handled as a %s: json: cannot unmarshal %s into Go "
                      "struct field %s.%s of type map[string]%s", r->kind,
                      r->kind, sim_patch_go_type(v), r->kind, maps[i],
                      (!strcmp(maps[i], "binaryData") ||
                       (!strcmp(maps[i], "data") && !strcmp(r->plural, "secrets")))
                          ? "[]uint8" : "string");
    }
  }
  return KD_OK;
}

/* Checks apiVersion/kind of a body against R, filling them when absent. */
static int check_type(sim *s, sim_resource *r, kd_value *obj, kd_error *err)
{
  char gv[300], msg[700];
  const char *av, *kind;
  if (obj->type != KD_OBJ)
    return sim_err_bad(s, err, "the body of the request must be an object");
  sim_res_gvstr(r, gv, sizeof gv);
  av = sim_str(obj, "apiVersion");
  kind = sim_str(obj, "kind");
  if (av && av[0] && strcmp(av, gv) != 0) {
    snprintf(msg, sizeof msg, "the API version in the data (%s) does not "
             "match the expected API version (%s)", av, gv);
    return sim_err_bad(s, err, msg);
  }
  if (kind && kind[0] && strcmp(kind, r->kind) != 0) {
    snprintf(msg, sizeof msg, "the kind in the data (%s) does not match the "
             "expected kind (%s)", kind, r->kind);
    return sim_err_bad(s, err, msg);
  }
  if (check_shapes(s, r, obj, err)) return KD_EHTTP;
  if (!av || !av[0]) sim_set_str(obj, "apiVersion", gv);
  if (!kind || !kind[0]) sim_set_str(obj, "kind", r->kind);
  if (!kd_value_path(obj, "metadata") ||
      kd_value_path(obj, "metadata")->type != KD_OBJ)
    sim_obj_path(obj, "metadata", 1);
  return KD_OK;
}

static int gen_name(sim *s, kd_value *obj, sim_resource *r, const char *ns)
{
  static const char alpha[] = "bcdfghjklmnpqrstvwxz2456789";
  const char *prefix = sim_str(obj, "metadata.generateName");
  char name[300];
  int tries, i;
  size_t n = strlen(prefix);
  if (n > 58) n = 58;   /* kube truncates the prefix to fit 63 */
  for (tries = 0; tries < 8; tries++) {
    memcpy(name, prefix, n);
    for (i = 0; i < 5; i++) name[n + (size_t)i] = alpha[sim_rand(s) % 27];
    name[n + 5] = 0;
    if (!sim_table_find(r->table, ns, name, NULL)) break;
  }
  return sim_set_str(obj, "metadata.name", name);
}

/* Top-level fields other than metadata/status/kind/apiVersion differ. */
static int spec_changed(const kd_value *a, const kd_value *b)
{
  static const char *const skip[] = {"metadata", "status", "kind",
                                     "apiVersion", NULL};
  const kd_value *objs[2] = {a, b};
  int k;
  for (k = 0; k < 2; k++) {
    size_t i;
    const kd_value *x = objs[k], *y = objs[1 - k];
    for (i = 0; i < x->u.obj.len; i++) {
      const kd_member *m = &x->u.obj.m[i];
      const kd_value *other;
      int j, skipped = 0;
      for (j = 0; skip[j]; j++) if (strcmp(m->key, skip[j]) == 0) skipped = 1;
      if (skipped) continue;
      other = kd_obj_get(y, m->key, m->klen);
      if (!other || !kd_value_equal(&m->val, other)) return 1;
    }
  }
  return 0;
}

static void copy_field(kd_value *dst, const kd_value *src, const char *path)
{
  const kd_value *v = kd_value_path(src, path);
  kd_value *slot;
  if (!v) {
    const char *dot = strrchr(path, '.');
    if (dot) {
      char parent[128];
      size_t n = (size_t)(dot - path);
      if (n >= sizeof parent) return;
      memcpy(parent, path, n);
      parent[n] = 0;
      sim_obj_del(sim_obj_path(dst, parent, 0), dot + 1);
    } else {
      sim_obj_del(dst, path);
    }
    return;
  }
  slot = sim_obj_path(dst, path, 1);
  if (!slot) return;
  kd_value_clear(slot);
  kd_value_copy(slot, v);
}

/* Records the write in managedFields (see sim_int.h: s->track). */
static int track(sim *s, const kd_value *old, kd_value *obj, kd_error *err)
{
  int rc;
  if (!s->track || s->track_done) return KD_OK;
  rc = sim_patch_track_update(s->track, old, obj, err);
  return rc ? kd_error_set(err, rc, "sim: out of memory") : KD_OK;
}

const kd_value *sim_crd_schema(sim *s, const sim_resource *r)
{
  sim_resource *crds;
  sim_obj *o;
  const kd_value *vs;
  size_t i;
  if (!r->crd) return NULL;
  crds = sim_res_find(s, "apiextensions.k8s.io", "v1",
                      "customresourcedefinitions");
  o = crds ? sim_table_find(crds->table, "", r->crd, NULL) : NULL;
  vs = o ? kd_value_path(&o->v, "spec.versions") : NULL;
  for (i = 0; vs && vs->type == KD_ARR && i < vs->u.arr.len; i++) {
    const char *name = sim_str(&vs->u.arr.items[i], "name");
    if (name && strcmp(name, r->version) == 0)
      return kd_value_path(&vs->u.arr.items[i], "schema.openAPIV3Schema");
  }
  return NULL;
}

/* ---- create --------------------------------------------------------------*/

int sim_store_create(sim *s, sim_resource *r, const char *ns, kd_value *obj,
                     int dry, kd_value *out, kd_error *err)
{
  const char *bns, *name, *gn;
  sim_verr verr = {{0}};
  sim_obj *o;
  size_t pos;
  char *uid, *ts;
  int rc;
  if ((rc = check_type(s, r, obj, err))) return rc;
  if (!r->namespaced) ns = "";
  bns = sim_str(obj, "metadata.namespace");
  if (r->namespaced) {
    if (bns && bns[0] && strcmp(bns, ns) != 0)
      return sim_err_bad(s, err, "the namespace of the provided object does "
                         "not match the namespace sent on the request");
    if (!sim_ns_exists(s, ns)) {
      sim_resource *nsr = sim_res_find(s, "", "v1", "namespaces");
      return sim_err_notfound(s, err, nsr, ns);
    }
    if (is_ns_terminating(s, ns)) {
      sim_errd_reset(s);
      return sim_fail(s, err, 403, "Forbidden", "%s \"%s\" is forbidden: "
                      "unable to create new content in namespace %s because "
                      "it is being terminated", r->plural,
                      sim_str(obj, "metadata.name") ? sim_str(obj, "metadata.name") : "",
                      ns);
    }
    sim_set_str(obj, "metadata.namespace", ns);
  } else {
    sim_obj_del(kd_value_path(obj, "metadata"), "namespace");
  }
  name = sim_str(obj, "metadata.name");
  gn = sim_str(obj, "metadata.generateName");
  if ((!name || !name[0]) && gn && gn[0]) gen_name(s, obj, r, ns);
  name = sim_str(obj, "metadata.name");
  sim_validate(s, r, obj, NULL, &verr);
  if ((rc = sim_verr_finish(s, &verr, r, name, err))) return rc;
  if (sim_table_find(r->table, ns, name, &pos))
    return sim_err_exists(s, err, r, name);
  /* server-owned metadata */
  uid = sim_uuid(s);
  ts = sim_timestamp(s);
  if (!uid || !ts) {
    free(uid);
    free(ts);
    return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
  }
  sim_set_str(obj, "metadata.uid", uid);
  sim_set_str(obj, "metadata.creationTimestamp", ts);
  free(uid);
  free(ts);
  sim_obj_del(kd_value_path(obj, "metadata"), "deletionTimestamp");
  sim_obj_del(kd_value_path(obj, "metadata"), "deletionGracePeriodSeconds");
  sim_obj_del(kd_value_path(obj, "metadata"), "selfLink");
  if (r->generation) sim_set_int(obj, "metadata.generation", 1);
  else sim_obj_del(kd_value_path(obj, "metadata"), "generation");
  if (r->has_status && !is_core_ns(r) && !is_crd(r) &&
      strcmp(r->plural, "nodes") != 0)
    sim_obj_del(obj, "status");
  sim_defaults(s, r, obj, NULL);
  if ((rc = track(s, NULL, obj, err))) return rc;
  if (dry) {
    sim_obj_del(kd_value_path(obj, "metadata"), "resourceVersion");
    if (out) { *out = *obj; kd_value_null(obj); }
    return KD_OK;
  }
  o = calloc(1, sizeof *o);
  if (!o || !(o->ns = sim_strdup(ns)) || !(o->name = sim_strdup(name)) ||
      table_insert(r->table, pos, o)) {
    if (o) { free(o->ns); free(o->name); free(o); }
    return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
  }
  o->v = *obj;
  kd_value_null(obj);
  s->last_name = o->name;
  commit(s, r, o, SIM_ADDED, NULL);
  if (is_crd(r)) sim_crd_sync(s, &o->v, err);
  if (out) kd_value_copy(out, &o->v);
  return KD_OK;
}

/* ---- delete (the store part) ---------------------------------------------*/

static void remove_obj(sim *s, sim_resource *r, size_t pos)
{
  sim_table *t = r->table;
  sim_obj *o = t->items[pos];
  /* the DELETED event carries the object at a new resourceVersion */
  commit(s, r, o, SIM_DELETED, NULL);
  memmove(t->items + pos, t->items + pos + 1,
          (t->len - pos - 1) * sizeof *t->items);
  t->len--;
  if (is_crd(r)) {
    const char *name = o->name;
    sim_resource *x;
    for (x = s->resources; x; x = x->next)   /* drop its objects first */
      if (x->crd && strcmp(x->crd, name) == 0) {
        while (x->table->len) remove_obj(s, x, x->table->len - 1);
        break;
      }
    sim_crd_remove(s, name);
  }
  obj_free(o);
}

/* Deletes every namespaced object in NS (namespace deletion without a
 * namespace controller). */
static void empty_namespace(sim *s, const char *ns)
{
  sim_resource *r;
  for (r = s->resources; r; r = r->next) {
    size_t i;
    if (!r->namespaced) continue;
    /* versions of a CRD share a table: only visit it once */
    if (r->crd) {
      sim_resource *y;
      int seen = 0;
      for (y = s->resources; y != r; y = y->next)
        if (y->table == r->table) seen = 1;
      if (seen) continue;
    }
    for (i = r->table->len; i > 0; i--)
      if (strcmp(r->table->items[i - 1]->ns, ns) == 0)
        remove_obj(s, r, i - 1);
  }
}

static int has_finalizers(const kd_value *v)
{
  const kd_value *f = kd_value_path(v, "metadata.finalizers");
  return f && f->type == KD_ARR && f->u.arr.len > 0;
}

static void add_finalizer(kd_value *v, const char *name)
{
  kd_value *f = sim_obj_path(v, "metadata.finalizers", 1);
  kd_value *slot;
  size_t i;
  if (!f) return;
  if (f->type != KD_ARR) { kd_value_clear(f); kd_value_arr(f); }
  for (i = 0; i < f->u.arr.len; i++)
    if (f->u.arr.items[i].type == KD_STR &&
        strcmp(f->u.arr.items[i].u.str.s, name) == 0)
      return;
  slot = kd_arr_push(f);
  if (slot) kd_value_str(slot, name, strlen(name));
}

/* Without a GC plugin nobody would ever remove these two. */
static void drop_gc_finalizers(kd_value *v)
{
  kd_value *f = kd_value_path(v, "metadata.finalizers");
  size_t i = 0;
  if (!f || f->type != KD_ARR) return;
  while (i < f->u.arr.len) {
    kd_value *x = &f->u.arr.items[i];
    if (x->type == KD_STR && (strcmp(x->u.str.s, "foregroundDeletion") == 0 ||
                              strcmp(x->u.str.s, "orphan") == 0)) {
      kd_value_clear(x);
      memmove(x, x + 1, (f->u.arr.len - i - 1) * sizeof *x);
      f->u.arr.len--;
    } else {
      i++;
    }
  }
  if (f->u.arr.len == 0) sim_obj_del(kd_value_path(v, "metadata"), "finalizers");
}

/* A delete that keeps the object (graceful pod, pending finalizers):
 * commits NV (taken) as a modification unless dry or unchanged; OUT gets
 * the result. */
static int keep_marked(sim *s, sim_resource *r, sim_obj *o, kd_value *nv,
                       int dry, kd_value *out)
{
  kd_value old;
  if (dry || kd_value_equal(nv, &o->v)) {
    if (out) *out = *nv;
    else kd_value_clear(nv);
    return KD_OK;
  }
  old = o->v;
  o->v = *nv;
  commit(s, r, o, SIM_MODIFIED, &old);
  kd_value_clear(&old);
  if (out) kd_value_copy(out, &o->v);
  return KD_OK;
}

/* Graceful pod deletion (SIM_F_KUBELET): 1 when the pod was only marked. */
static int pod_grace(sim *s, sim_resource *r, sim_obj *o, kd_value *nv,
                     int64_t grace)
{
  const kd_value *tgp = kd_value_path(&o->v, "spec.terminationGracePeriodSeconds");
  const kd_value *cur = kd_value_path(&o->v, "metadata.deletionGracePeriodSeconds");
  const char *node = sim_str(&o->v, "spec.nodeName");
  const char *phase = sim_str(&o->v, "status.phase");
  char *ts;
  if (!(s->features & SIM_F_KUBELET) || r->group[0] ||
      strcmp(r->plural, "pods") != 0)
    return 0;
  if (grace < 0) grace = tgp && tgp->type == KD_INT ? tgp->u.i : 30;
  /* unscheduled and finished pods go at once, as in kube */
  if (grace == 0 || !node || !node[0] ||
      (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))))
    return 0;
  if (cur && cur->type == KD_INT && cur->u.i <= grace) return 1;  /* keep */
  ts = sim_rfc3339(sim_wall_ms() + grace * 1000);
  if (ts) sim_set_str(nv, "metadata.deletionTimestamp", ts);
  free(ts);
  sim_set_int(nv, "metadata.deletionGracePeriodSeconds", grace);
  return 1;
}

int sim_store_delete(sim *s, sim_resource *r, const char *ns,
                     const char *name, const sim_delete_opts *opts,
                     kd_value *out, int *deleted, kd_error *err)
{
  sim_obj *o;
  size_t pos;
  kd_value nv;
  const char *uid, *rv;
  const char *policy = opts ? opts->policy : NULL;
  const char *precond_uid = opts ? opts->uid : NULL;
  const char *precond_rv = opts ? opts->rv : NULL;
  int dry = opts ? opts->dry : 0;
  if (!r->namespaced) ns = "";
  *deleted = 0;
  o = sim_table_find(r->table, ns, name, &pos);
  if (!o) return sim_err_notfound(s, err, r, name);
  uid = sim_str(&o->v, "metadata.uid");
  rv = sim_str(&o->v, "metadata.resourceVersion");
  if (precond_uid && precond_uid[0] && (!uid || strcmp(uid, precond_uid))) {
    char why[400];
    snprintf(why, sizeof why, "Precondition failed: UID in precondition: %s, "
             "UID in object meta: %s", precond_uid, uid ? uid : "");
    return sim_err_conflict(s, err, r, name, why);
  }
  if (precond_rv && precond_rv[0] && (!rv || strcmp(rv, precond_rv))) {
    char why[400];
    snprintf(why, sizeof why, "Precondition failed: ResourceVersion in "
             "precondition: %s, ResourceVersion in object meta: %s",
             precond_rv, rv ? rv : "");
    return sim_err_conflict(s, err, r, name, why);
  }
  if (kd_value_copy(&nv, &o->v) != KD_OK)
    return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
  if (policy && strcmp(policy, "Foreground") == 0)
    add_finalizer(&nv, "foregroundDeletion");
  else if (policy && strcmp(policy, "Orphan") == 0)
    add_finalizer(&nv, "orphan");
  if (!(s->features & SIM_F_GC)) drop_gc_finalizers(&nv);
  if (pod_grace(s, r, o, &nv, opts ? opts->grace : -1)) {
    return keep_marked(s, r, o, &nv, dry, out);
  }
  if (is_core_ns(r) && (s->features & SIM_F_NAMESPACES)) {
    sim_set_str(&nv, "status.phase", "Terminating");
  } else if (is_core_ns(r)) {
    sim_obj_del(kd_value_path(&nv, "spec"), "finalizers");
  }
  if (has_finalizers(&nv) ||
      (is_core_ns(r) && kd_value_path(&nv, "spec.finalizers") &&
       kd_value_path(&nv, "spec.finalizers")->type == KD_ARR &&
       kd_value_path(&nv, "spec.finalizers")->u.arr.len)) {
    /* pending deletion: mark, keep */
    if (!kd_value_path(&o->v, "metadata.deletionTimestamp")) {
      char *ts = sim_timestamp(s);
      if (ts) sim_set_str(&nv, "metadata.deletionTimestamp", ts);
      free(ts);
      sim_set_int(&nv, "metadata.deletionGracePeriodSeconds", 0);
      if (r->generation) {
        const kd_value *g = kd_value_path(&nv, "metadata.generation");
        sim_set_int(&nv, "metadata.generation",
                    (g && g->type == KD_INT ? g->u.i : 0) + 1);
      }
    }
    return keep_marked(s, r, o, &nv, dry, out);
  }
  *deleted = 1;
  if (dry) {
    if (out) *out = nv;
    else kd_value_clear(&nv);
    return KD_OK;
  }
  kd_value_clear(&nv);
  if (is_core_ns(r)) empty_namespace(s, name);
  if (out) kd_value_copy(out, &o->v);
  o = sim_table_find(r->table, ns, name, &pos);   /* emptying moved nothing
                                                     here, but be exact */
  if (o) remove_obj(s, r, pos);
  return KD_OK;
}

/* ---- update --------------------------------------------------------------*/

int sim_store_update(sim *s, sim_resource *r, const char *ns,
                     const char *name, kd_value *obj, int mode, int dry,
                     kd_value *out, kd_error *err)
{
  sim_obj *o;
  size_t pos;
  const char *bname, *bns, *brv, *orv;
  kd_value nv;
  sim_verr verr = {{0}};
  int rc;
  if (!r->namespaced) ns = "";
  o = sim_table_find(r->table, ns, name, &pos);
  if (!o) return sim_err_notfound(s, err, r, name);
  if ((rc = check_type(s, r, obj, err))) return rc;
  bname = sim_str(obj, "metadata.name");
  if (bname && bname[0] && strcmp(bname, name) != 0) {
    char msg[700];
    snprintf(msg, sizeof msg, "the name of the object (%s) does not match "
             "the name on the URL (%s)", bname, name);
    return sim_err_bad(s, err, msg);
  }
  bns = sim_str(obj, "metadata.namespace");
  if (r->namespaced && bns && bns[0] && strcmp(bns, ns) != 0)
    return sim_err_bad(s, err, "the namespace of the provided object does "
                       "not match the namespace sent on the request");
  brv = sim_str(obj, "metadata.resourceVersion");
  orv = sim_str(&o->v, "metadata.resourceVersion");
  if (brv && brv[0] && (!orv || strcmp(brv, orv) != 0))
    return sim_err_conflict(s, err, r, name, "the object has been modified; "
                            "please apply your changes to the latest version "
                            "and try again");
  if (mode == 1) {
    if (kd_value_copy(&nv, &o->v) != KD_OK)
      return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
    copy_field(&nv, obj, "status");
    /* an apply to /status brings its own managedFields (sim_patch did them) */
    if (s->track && s->track_done)
      copy_field(&nv, obj, "metadata.managedFields");
    if ((rc = track(s, &o->v, &nv, err))) {
      kd_value_clear(&nv);
      return rc;
    }
  } else {
    nv = *obj;
    kd_value_null(obj);
    sim_set_str(&nv, "metadata.name", name);
    if (r->namespaced) sim_set_str(&nv, "metadata.namespace", ns);
    else sim_obj_del(kd_value_path(&nv, "metadata"), "namespace");
    copy_field(&nv, &o->v, "metadata.uid");
    copy_field(&nv, &o->v, "metadata.creationTimestamp");
    copy_field(&nv, &o->v, "metadata.deletionTimestamp");
    copy_field(&nv, &o->v, "metadata.deletionGracePeriodSeconds");
    copy_field(&nv, &o->v, "metadata.generation");
    if (!s->track && !kd_value_path(&nv, "metadata.managedFields"))
      copy_field(&nv, &o->v, "metadata.managedFields");
    if (mode == 0 && r->has_status) copy_field(&nv, &o->v, "status");
    sim_defaults(s, r, &nv, &o->v);
    if ((rc = track(s, &o->v, &nv, err))) {
      kd_value_clear(&nv);
      return rc;
    }
    sim_validate(s, r, &nv, &o->v, &verr);
    if ((rc = sim_verr_finish(s, &verr, r, name, err))) {
      kd_value_clear(&nv);
      return rc;
    }
    if (r->generation && spec_changed(&nv, &o->v)) {
      const kd_value *g = kd_value_path(&nv, "metadata.generation");
      sim_set_int(&nv, "metadata.generation",
                  (g && g->type == KD_INT ? g->u.i : 0) + 1);
    }
  }
  sim_set_str(&nv, "metadata.resourceVersion", orv ? orv : "");
  if (kd_value_equal(&nv, &o->v)) {   /* no-op: no new resourceVersion */
    kd_value_clear(&nv);
    if (out) kd_value_copy(out, &o->v);
    return KD_OK;
  }
  if (kd_value_path(&nv, "metadata.deletionTimestamp") && !has_finalizers(&nv)
      && !(is_core_ns(r) && kd_value_path(&nv, "spec.finalizers") &&
           kd_value_path(&nv, "spec.finalizers")->u.arr.len)) {
    /* last finalizer removed: the object goes away */
    if (dry) {
      if (out) *out = nv;
      else kd_value_clear(&nv);
      return KD_OK;
    }
    kd_value_clear(&o->v);
    o->v = nv;
    if (out) kd_value_copy(out, &o->v);
    if (is_core_ns(r)) empty_namespace(s, name);
    o = sim_table_find(r->table, ns, name, &pos);
    if (o) remove_obj(s, r, pos);
    return KD_OK;
  }
  if (dry) {
    if (out) *out = nv;
    else kd_value_clear(&nv);
    return KD_OK;
  }
  {
    kd_value old = o->v;
    o->v = nv;
    commit(s, r, o, SIM_MODIFIED, &old);
    kd_value_clear(&old);
  }
  if (is_crd(r)) sim_crd_sync(s, &o->v, err);
  if (out) kd_value_copy(out, &o->v);
  return KD_OK;
}
