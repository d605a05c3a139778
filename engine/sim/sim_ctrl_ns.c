/* engine/sim/sim_ctrl_ns.c: the namespace controller (SIM_F_NAMESPACES).
 * A deleted namespace stays Terminating while its content is deleted
 * (pods gracefully, finalizers honoured), reports progress in the
 * conditions kube's namespace controller sets, and goes once it is empty
 * by dropping the "kubernetes" finalizer. */
#include "sim_ctrl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECHECK_MS 2000   /* content whose finalizers nobody removes */

typedef struct nsc {
  sim *s;
  int sub;
  sim_queue *q;
  const sim_resource *nss;
} nsc;

typedef struct sweep {
  sim *s;
  const char *ns;
  const sim_resource *r;
  kd_value left;          /* objects still there: copies */
  kd_buf remaining;       /* "pods. has 2 resource instances, ..." */
  kd_value finalizers;    /* finalizer -> count */
} sweep;

static int collect(void *ctx, const kd_value *obj)
{
  sweep *w = ctx;
  kd_value *x = kd_arr_push(&w->left);
  if (x) kd_value_copy(x, obj);
  return 0;
}

static void count_finalizers(sweep *w, const kd_value *obj)
{
  const kd_value *fs = kd_value_path(obj, "metadata.finalizers");
  size_t i;
  for (i = 0; i < sim_vlen(fs); i++) {
    const kd_value *f = &fs->u.arr.items[i];
    kd_value *n;
    if (f->type != KD_STR) continue;
    n = kd_obj_get(&w->finalizers, f->u.str.s, f->u.str.len);
    if (!n && (n = kd_obj_add(&w->finalizers, f->u.str.s, f->u.str.len)))
      kd_value_int(n, 0);
    if (n) n->u.i++;
  }
}

/* Deletes what is left of R in the namespace and notes what remains. */
static int sweep_res(void *ctx, const sim_resource *r)
{
  sweep *w = ctx;
  size_t i;
  if (!sim_resource_namespaced(r)) return 0;
  kd_value_arr(&w->left);
  sim_obj_each(w->s, r, w->ns, collect, w);
  for (i = 0; i < w->left.u.arr.len; i++) {
    const kd_value *o = &w->left.u.arr.items[i];
    kd_error err;
    if (!kd_value_path(o, "metadata.deletionTimestamp"))
      sim_obj_delete(w->s, r, w->ns, sim_vstr(o, "metadata.name"), NULL, &err);
  }
  kd_value_clear(&w->left);
  kd_value_arr(&w->left);
  sim_obj_each(w->s, r, w->ns, collect, w);
  if (w->left.u.arr.len) {
    kd_buf_printf(&w->remaining, "%s%s.%s has %zu resource instances",
                  w->remaining.len ? ", " : "", sim_resource_plural(r),
                  sim_resource_group(r), w->left.u.arr.len);
    for (i = 0; i < w->left.u.arr.len; i++)
      count_finalizers(w, &w->left.u.arr.items[i]);
  }
  kd_value_clear(&w->left);
  return 0;
}

static void sync(sim *s, void *ctx, const char *unused, const char *name)
{
  nsc *c = ctx;
  const kd_value *stored = sim_obj_get(s, c->nss, NULL, name);
  kd_value ns;
  kd_buf fin = {0};
  sweep w;
  kd_error err;
  char *now;
  size_t i;
  (void)unused;
  if (!stored || !kd_value_path(stored, "metadata.deletionTimestamp")) return;
  memset(&w, 0, sizeof w);
  w.s = s;
  w.ns = name;
  kd_value_obj(&w.finalizers);
  sim_resource_each(s, sweep_res, &w);
  for (i = 0; i < w.finalizers.u.obj.len; i++)
    kd_buf_printf(&fin, "%s%s in %lld resource instances", i ? ", " : "",
                  w.finalizers.u.obj.m[i].key,
                  (long long)w.finalizers.u.obj.m[i].val.u.i);
  now = sim_timestamp(s);
  stored = sim_obj_get(s, c->nss, NULL, name);
  if (!now || !stored) goto done;
  kd_value_copy(&ns, stored);
  sim_cond_set(&ns, "NamespaceDeletionDiscoveryFailure", "False",
               "ResourcesDiscovered", "All resources successfully discovered",
               SIM_COND_IN_PLACE, now);
  sim_cond_set(&ns, "NamespaceDeletionGroupVersionParsingFailure", "False",
               "ParsedGroupVersions", "All legacy kube types successfully parsed",
               SIM_COND_IN_PLACE, now);
  sim_cond_set(&ns, "NamespaceDeletionContentFailure", "False",
               "ContentDeleted",
               "All content successfully deleted, may be waiting on finalization",
               SIM_COND_IN_PLACE, now);
  if (w.remaining.len) {
    kd_buf m = {0};
    kd_buf_printf(&m, "Some resources are remaining: %s", w.remaining.data);
    sim_cond_set(&ns, "NamespaceContentRemaining", "True", "SomeResourcesRemain",
                 m.data, SIM_COND_IN_PLACE, now);
    kd_buf_free(&m);
  } else {
    sim_cond_set(&ns, "NamespaceContentRemaining", "False", "ContentRemoved",
                 "All content successfully removed", SIM_COND_IN_PLACE, now);
  }
  if (fin.len) {
    kd_buf m = {0};
    kd_buf_printf(&m, "Some content in the namespace has finalizers "
                  "remaining: %s", fin.data);
    sim_cond_set(&ns, "NamespaceFinalizersRemaining", "True",
                 "SomeFinalizersRemain", m.data, SIM_COND_IN_PLACE, now);
    kd_buf_free(&m);
  } else {
    sim_cond_set(&ns, "NamespaceFinalizersRemaining", "False",
                 "ContentHasNoFinalizers",
                 "All content-preserving finalizers finished",
                 SIM_COND_IN_PLACE, now);
  }
  if (!w.remaining.len) {   /* empty: the namespace itself goes */
    kd_value_clear(sim_varr(&ns, "spec.finalizers"));   /* [] */
    kd_value_arr(sim_varr(&ns, "spec.finalizers"));
    sim_obj_replace(s, c->nss, &ns, NULL, &err);
  } else {
    sim_obj_update_status(s, c->nss, &ns, NULL, &err);
    sim_queue_add_after(c->q, "", name, RECHECK_MS);
  }
  kd_value_clear(&ns);
done:
  free(now);
  kd_buf_free(&fin);
  kd_buf_free(&w.remaining);
  kd_value_clear(&w.finalizers);
}

static void on_event(sim *s, void *ctx, const sim_event *ev)
{
  nsc *c = ctx;
  const char *ns;
  const kd_value *nso;
  if (ev->res == c->nss) {
    if (ev->type != SIM_DELETED &&
        kd_value_path(ev->obj, "metadata.deletionTimestamp"))
      sim_queue_add(c->q, "", sim_vstr(ev->obj, "metadata.name"));
    return;
  }
  if (ev->type == SIM_ADDED || !sim_resource_namespaced(ev->res)) return;
  ns = sim_vstr(ev->obj, "metadata.namespace");
  nso = ns ? sim_obj_get(s, c->nss, NULL, ns) : NULL;
  if (nso && kd_value_path(nso, "metadata.deletionTimestamp"))
    sim_queue_add(c->q, "", ns);
}

static int queue_terminating(void *ctx, const kd_value *ns)
{
  nsc *c = ctx;
  if (kd_value_path(ns, "metadata.deletionTimestamp"))
    sim_queue_add(c->q, "", sim_vstr(ns, "metadata.name"));
  return 0;
}

int sim_ns_start(sim *s, void **state, kd_error *err)
{
  nsc *c = calloc(1, sizeof *c);
  if (!c || !(c->q = sim_queue_new(s, sync, c))) {
    free(c);
    return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
  }
  c->s = s;
  c->nss = sim_res(s, "", "namespaces");
  c->sub = sim_subscribe(s, on_event, c);
  sim_features_set(s, SIM_F_NAMESPACES);
  sim_obj_each(s, c->nss, NULL, queue_terminating, c);
  *state = c;
  return KD_OK;
}

void sim_ns_stop(sim *s, void *state)
{
  nsc *c = state;
  if (!c) return;
  sim_unsubscribe(s, c->sub);
  sim_queue_free(c->q);
  free(c);
}
