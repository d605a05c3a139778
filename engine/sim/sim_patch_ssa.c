/* engine/sim/sim_patch_ssa.c: server-side apply as kube-apiserver 1.33
 * does it (structured-merge-diff Updater.Apply behind the fieldmanager
 * chain): the applied configuration merged into the live object by the
 * schema, fields the manager applied before and no longer applies pruned
 * unless someone else owns them, conflicts with other managers (409 unless
 * force), managedFields updated, and kubectl's client-side-apply upgrade
 * path (manager "kubectl": conflicts on fields of the last-applied
 * annotation are taken over, and the annotation is kept in sync). */
#include "sim_patch_int.h"

#include "json.h"

#include <stdlib.h>
#include <string.h>

#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

typedef struct {
  kd_value *status;
  kd_error *err;
} ssa;

static int oom(ssa *s) { return sim_patch_oom(s->status, s->err); }

/* ---- list items by path element ------------------------------------- */
typedef struct {
  pe_kind kind;
  kd_value kv;
  size_t at;      /* position in its list */
  int used;
} pe_item;

static int pe_same(const pe_item *a, const pe_item *b)
{
  if (a->kind != b->kind) return 0;
  if (a->kind == PE_INDEX) return a->at == b->at;
  return sim_patch_value_cmp(&a->kv, &b->kv) == 0;
}

static void pes_free(pe_item *v, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) kd_value_clear(&v[i].kv);
  free(v);
}

/* indexListPathElements: items whose element cannot be built and later
 * duplicates are left out, as the merge leaves them out. */
static int index_list(const sim_schema *t, const kd_value *l, pe_item **out,
                      size_t *n)
{
  size_t i, j, len = l ? l->u.arr.len : 0;
  pe_item *v = calloc(len + 1, sizeof *v);
  kd_error e = {0};
  *out = v;
  *n = 0;
  if (!v) return KD_ENOMEM;
  for (i = 0; i < len; i++) {
    pe_item *p = &v[*n];
    int rc = sim_fields_item_pe(t, &l->u.arr.items[i], i, &p->kind, &p->kv,
                                &e);
    if (rc == KD_ENOMEM) return rc;
    if (rc) continue;
    p->at = i;
    for (j = 0; j < *n && !pe_same(&v[j], p); j++) {}
    if (j < *n) {
      kd_value_clear(&p->kv);
      continue;
    }
    (*n)++;
  }
  return KD_OK;
}

static long pe_find(const pe_item *v, size_t n, const pe_item *p)
{
  size_t i;
  for (i = 0; i < n; i++)
    if (pe_same(&v[i], p)) return (long)i;
  return -1;
}

/* ---- merge (live.Merge(config)) ------------------------------------- */
static int merge_val(const sim_schema *t, const kd_value *l,
                     const kd_value *r, kd_value *out, int depth);

static int is_empty_container(const kd_value *v)
{
  return !v || v->type == KD_NULL ||
         (v->type == KD_OBJ && v->u.obj.len == 0) ||
         (v->type == KD_ARR && v->u.arr.len == 0);
}

static int push_merged(kd_value *out, const sim_schema *et, const kd_value *l,
                       const kd_value *r, int depth)
{
  kd_value m;
  kd_value *slot;
  int rc = merge_val(et, l, r, &m, depth + 1);
  if (rc) return rc;
  if (m.type == KD_NULL) return KD_OK;
  if (!(slot = kd_arr_push(out))) {
    kd_value_clear(&m);
    return KD_ENOMEM;
  }
  *slot = m;
  return KD_OK;
}

/* visitListItems: shared items in the applied order, live-only items where
 * they were, applied-only items next to their neighbours. */
static int merge_list(const sim_schema *t, const kd_value *l,
                      const kd_value *r, kd_value *out, int depth)
{
  pe_item *lp = NULL, *rp = NULL;
  size_t ln = 0, rn = 0, li = 0, ri = 0, i;
  size_t *shared = NULL, ns = 0, next = 0;
  const sim_schema *et = sim_schema_elem(t);
  long nextsh = -1;   /* index into rp of the next shared item, or -1 */
  int rc;
  kd_value_arr(out);
  if ((rc = index_list(t, r, &rp, &rn)) || (rc = index_list(t, l, &lp, &ln)))
    goto done;
  if (!(shared = malloc((rn + 1) * sizeof *shared))) {
    rc = KD_ENOMEM;
    goto done;
  }
  for (i = 0; i < rn; i++)
    if (pe_find(lp, ln, &rp[i]) >= 0) shared[ns++] = i;
  if (next < ns) nextsh = (long)shared[next++];
  while (!rc && (li < ln || ri < rn)) {
    if (li < ln && ri < rn) {
      if (pe_same(&lp[li], &rp[ri])) {
        rc = push_merged(out, et, &l->u.arr.items[lp[li].at],
                         &r->u.arr.items[rp[ri].at], depth);
        rp[ri].used = 1;
        li++;
        ri++;
        nextsh = next < ns ? (long)shared[next++] : -1;
        continue;
      }
      if (pe_find(rp, rn, &lp[li]) >= 0 && nextsh >= 0 &&
          !pe_same(&rp[nextsh], &lp[li])) {
        li++;   /* shared, but not the one wanted in this round */
        continue;
      }
    }
    if (li < ln) {
      long at = pe_find(rp, rn, &lp[li]);
      if (at < 0) {
        rc = push_merged(out, et, &l->u.arr.items[lp[li].at], NULL, depth);
        li++;
        continue;
      }
      if (rp[at].used) {
        li++;
        continue;
      }
    }
    if (ri < rn) {
      long at = pe_find(lp, ln, &rp[ri]);
      rp[ri].used = 1;
      rc = push_merged(out, et, at >= 0 ? &l->u.arr.items[lp[at].at] : NULL,
                       &r->u.arr.items[rp[ri].at], depth);
      if (nextsh >= 0 && pe_same(&rp[nextsh], &rp[ri]))
        nextsh = next < ns ? (long)shared[next++] : -1;
      ri++;
    }
  }
done:
  free(shared);
  pes_free(lp, ln);
  pes_free(rp, rn);
  if (rc) kd_value_clear(out);
  return rc;
}

static int merge_obj(const sim_schema *t, const kd_value *l,
                     const kd_value *r, kd_value *out, int depth)
{
  size_t i;
  if (kd_value_copy(out, l)) return KD_ENOMEM;
  for (i = 0; i < r->u.obj.len; i++) {
    const kd_member *m = &r->u.obj.m[i];
    const sim_schema *ct = sim_schema_child(t, m->key, m->klen, NULL);
    const kd_value *lv = kd_obj_get(l, m->key, m->klen);
    kd_value mv;
    int rc = merge_val(ct, lv, &m->val, &mv, depth + 1);
    if (rc) return rc;
    if (mv.type == KD_NULL) {   /* a null leaf: the field goes */
      long at = sim_patch_obj_find(out, m->key, m->klen);
      if (at >= 0) sim_patch_obj_del(out, (size_t)at);
      continue;
    }
    if (!sim_patch_obj_set(out, m->key, m->klen, &mv)) return KD_ENOMEM;
  }
  return KD_OK;
}

static int merge_val(const sim_schema *t, const kd_value *l,
                     const kd_value *r, kd_value *out, int depth)
{
  kd_value_null(out);
  if (depth > 1000) return KD_ERANGE;
  if (!r) return kd_value_copy(out, l);
  if (!l) {
    if (kd_value_copy(out, r)) return KD_ENOMEM;
    sim_patch_prune_nulls(out);
    return KD_OK;
  }
  /* a null applied over a granular map or list leaves it (derefMap of
   * null is no map: the live items stay) */
  if (r->type == KD_NULL && (l->type == KD_OBJ || l->type == KD_ARR) &&
      (is_empty_container(l) || !sim_schema_atomic(t, l)))
    return kd_value_copy(out, l);   /* and null over {} is a typed {} */
  if (sim_schema_atomic(t, r) || l->type != r->type ||
      (is_empty_container(l) && is_empty_container(r))) {
    if (kd_value_copy(out, r)) return KD_ENOMEM;
    sim_patch_prune_nulls(out);
    return KD_OK;
  }
  if (r->type == KD_ARR) return merge_list(t, l, r, out, depth);
  return merge_obj(t, l, r, out, depth);
}

/* ---- RemoveItems ---------------------------------------------------- */
/* Removes from V every path of SET (typed T); returns 1 when V is left
 * empty: the walker then yields null. KEEP_NULL: such a child stays as a
 * null (its path still exists for the field sets prune computes); else it
 * goes, as decoding the null into a typed object drops it. */
static int remove_items(const sim_schema *t, kd_value *v, const fs_node *set,
                        int keep_null, int depth)
{
  size_t i, w;
  if (depth > 1000) return 0;
  if (v->type != KD_OBJ && v->type != KD_ARR) return 0;
  if (is_empty_container(v) || sim_schema_atomic(t, v)) return 1;
  if (v->type == KD_OBJ) {
    for (i = 0; i < v->u.obj.len;) {
      kd_member *m = &v->u.obj.m[i];
      fs_node *c = sim_fields_child((fs_node *)set, PE_FIELD, m->key,
                                    m->klen, NULL, 0, 0);
      if (c && c->member) {
        sim_patch_obj_del(v, i);
        continue;
      }
      if (c && remove_items(sim_schema_child(t, m->key, m->klen, NULL),
                            &m->val, c, keep_null, depth + 1)) {
        if (!keep_null) {
          sim_patch_obj_del(v, i);
          continue;
        }
        kd_value_clear(&m->val);
        kd_value_null(&m->val);
      }
      i++;
    }
    return v->u.obj.len == 0;
  }
  for (i = 0, w = 0; i < v->u.arr.len; i++) {
    kd_value *item = &v->u.arr.items[i];
    pe_kind kind;
    kd_value kv;
    kd_error e = {0};
    fs_node *c = NULL;
    if (sim_fields_item_pe(t, item, i, &kind, &kv, &e) == KD_OK) {
      c = sim_fields_child((fs_node *)set, kind, NULL, 0, &kv, (int64_t)i,
                           0);
      kd_value_clear(&kv);
    }
    if (c && (c->member ||
              (remove_items(sim_schema_elem(t), item, c, keep_null,
                            depth + 1) && !keep_null))) {
      kd_value_clear(item);
      continue;
    }
    v->u.arr.items[w++] = *item;
  }
  v->u.arr.len = w;
  return w == 0;
}

/* ---- prune ---------------------------------------------------------- */
static int full_set(const sim_schema *t, const kd_value *v, fs_node *out)
{
  kd_error e = {0};
  int rc = sim_fields_of(t, v, 0, out, &e);
  if (!rc) rc = sim_fields_ensure_named(t, out);
  return rc == KD_ENOMEM ? KD_ENOMEM : KD_OK;
}

static int copy_without(const sim_schema *t, const kd_value *v,
                        const fs_node *set, int keep_null, kd_value *out)
{
  if (kd_value_copy(out, v)) return KD_ENOMEM;
  if (out->type == KD_OBJ) remove_items(t, out, set, keep_null, 0);
  return KD_OK;
}

/* Updater.prune: MERGED (replaced) loses what LAST held and nobody in
 * MGRS (the new set of the applier included) owns any more. */
static int prune(const sim_schema *t, kd_value *merged, const sim_mgrs *mgrs,
                 const fs_node *last)
{
  fs_node last_e, managed, mset, pset, keep, gone, tmp;
  kd_value p0, p1;
  size_t i;
  int rc = KD_ENOMEM;
  if (!last || sim_fields_empty(last)) return KD_OK;
  memset(&managed, 0, sizeof managed);
  kd_value_null(&managed.val);
  kd_value_null(&p0);
  kd_value_null(&p1);
  memset(&pset, 0, sizeof pset);
  kd_value_null(&pset.val);
  memset(&keep, 0, sizeof keep);
  kd_value_null(&keep.val);
  memset(&gone, 0, sizeof gone);
  kd_value_null(&gone.val);
  if (sim_fields_copy(&last_e, last)) goto out0;
  sim_fields_ensure_named(t, &last_e);
  for (i = 0; i < mgrs->n; i++) {
    if (sim_fields_union(&tmp, &managed, &mgrs->v[i].set)) {
      sim_fields_clear(&tmp);
      goto out1;
    }
    sim_fields_clear(&managed);
    managed = tmp;
  }
  sim_fields_ensure_named(t, &managed);
  if (full_set(t, merged, &mset)) goto out1;
  /* pruned0: merged less everything last held */
  if (copy_without(t, merged, &last_e, 1, &p0) || full_set(t, &p0, &pset))
    goto out2;
  /* addBackOwnedItems */
  if (sim_fields_union(&keep, &pset, &managed) ||
      sim_fields_diff(&gone, &mset, &keep))
    goto out2;
  kd_value_clear(&p0);
  if (copy_without(t, merged, &gone, 1, &p0)) goto out2;
  /* addBackDanglingItems: only what last held goes */
  sim_fields_clear(&pset);
  sim_fields_clear(&keep);
  sim_fields_clear(&gone);
  if (full_set(t, &p0, &pset) || sim_fields_diff(&keep, &mset, &pset) ||
      sim_fields_inter(&gone, &keep, &last_e) ||
      copy_without(t, merged, &gone, 0, &p1))
    goto out2;
  kd_value_clear(merged);
  *merged = p1;
  kd_value_null(&p1);
  rc = KD_OK;
out2:
  sim_fields_clear(&mset);
  sim_fields_clear(&pset);
  sim_fields_clear(&keep);
  sim_fields_clear(&gone);
  kd_value_clear(&p0);
  kd_value_clear(&p1);
out1:
  sim_fields_clear(&managed);
  sim_fields_clear(&last_e);
out0:
  return rc;
}

/* ---- conflicts ------------------------------------------------------ */
typedef struct {
  kd_buf msg;
  kd_value *causes;
  const sim_mgr *m;
  size_t count;
  int many;
} conflict_out;

static int add_cause(const char *path, void *arg)
{
  conflict_out *co = arg;
  kd_value *c = kd_arr_push(co->causes), *slot;
  kd_buf who = {0};
  int rc = KD_ENOMEM;
  if (!c) return KD_ENOMEM;
  kd_value_obj(c);
  if (sim_mgrs_print(co->m, &who)) goto out;
  if (!(slot = kd_obj_add(c, "reason", 6)) ||
      kd_value_str(slot, "FieldManagerConflict", 20) ||
      !(slot = kd_obj_add(c, "message", 7)))
    goto out;
  {
    kd_buf m = {0};
    if (kd_buf_printf(&m, "conflict with %s", who.data) ||
        kd_value_str(slot, m.data, m.len)) {
      kd_buf_free(&m);
      goto out;
    }
    kd_buf_free(&m);
  }
  if (!(slot = kd_obj_add(c, "field", 5)) ||
      kd_value_str(slot, path, strlen(path)))
    goto out;
  if (co->many ? kd_buf_printf(&co->msg, "\n- %s", path)
               : kd_buf_printf(&co->msg, "conflict with %s: %s", who.data,
                               path))
    goto out;
  co->count++;
  rc = KD_OK;
out:
  kd_buf_free(&who);
  return rc;
}

static size_t count_members(const fs_node *s)
{
  size_t n = s->member ? 1 : 0, i;
  for (i = 0; i < s->n; i++) n += count_members(&s->kids[i]);
  return n;
}

static int by_manager(const void *a, const void *b)
{
  const sim_mgr *x = *(const sim_mgr *const *)a;
  const sim_mgr *y = *(const sim_mgr *const *)b;
  int c;
  if ((c = strcmp(x->manager, y->manager))) return c;
  if ((c = strcmp(x->operation, y->operation))) return c;
  if ((c = strcmp(x->api_version, y->api_version))) return c;
  return strcmp(x->subresource, y->subresource);
}

/* NewConflictError: "Apply failed with N conflict(s): ..." with one
 * FieldManagerConflict cause per field, managers sorted. */
static int conflict_error(ssa *s, sim_mgr **who, fs_node *sets, size_t n)
{
  conflict_out co;
  kd_value details, *causes;
  kd_buf head = {0};
  size_t i, total = 0;
  int rc;
  memset(&co, 0, sizeof co);
  for (i = 0; i < n; i++) total += count_members(&sets[i]);
  kd_value_obj(&details);
  if (!(causes = kd_obj_add(&details, "causes", 6))) goto fail;
  kd_value_arr(causes);
  co.causes = causes;
  co.many = total > 1;
  for (i = 0; i < n; i++) {
    co.m = who[i];
    if (co.many) {
      kd_buf w = {0};
      if (sim_mgrs_print(who[i], &w) ||
          kd_buf_printf(&co.msg, "%sconflicts with %s:", i ? "\n" : "",
                        w.data)) {
        kd_buf_free(&w);
        goto fail;
      }
      kd_buf_free(&w);
    }
    if (sim_fields_each(&sets[i], add_cause, &co)) goto fail;
  }
  if (kd_buf_printf(&head, "Apply failed with %zu conflict%s: %s", total,
                    total == 1 ? "" : "s", co.msg.data ? co.msg.data : ""))
    goto fail;
  rc = sim_patch_fail(s->status, s->err, KD_EINVAL, 409, "Conflict",
                      head.data, &details);
  kd_buf_free(&head);
  kd_buf_free(&co.msg);
  return rc;
fail:
  kd_value_clear(&details);
  kd_buf_free(&head);
  kd_buf_free(&co.msg);
  return oom(s);
}

/* allowedConflictsFromLastApplied: the fields of the live last-applied
 * annotation (kubectl's client-side apply) whose values the live object
 * still has; an empty set when there is no usable annotation. */
static int last_applied_set(const sim_schema *t, const kd_value *live,
                            fs_node *out)
{
  const kd_value *a = live ? kd_value_path(live, "metadata.annotations")
                           : NULL;
  const kd_value *la = a ? kd_obj_gets(a, LAST_APPLIED) : NULL;
  kd_value obj;
  kd_error e = {0};
  fs_node set, add, mod, rem, t1, t2;
  int rc;
  memset(out, 0, sizeof *out);
  kd_value_null(&out->val);
  if (!la || la->type != KD_STR || la->u.str.len == 0) return KD_OK;
  if (json_decode(la->u.str.s, la->u.str.len, "last-applied", &obj, &e))
    return KD_OK;
  rc = obj.type == KD_OBJ ? sim_fields_of(t, &obj, 0, &set, &e) : KD_EINVAL;
  if (rc) {
    kd_value_clear(&obj);
    return rc == KD_ENOMEM ? rc : KD_OK;
  }
  rc = sim_fields_compare(t, &obj, live, &add, &mod, &rem, &e);
  kd_value_clear(&obj);
  if (rc) {
    sim_fields_clear(&set);
    return rc == KD_ENOMEM ? rc : KD_OK;
  }
  /* what changed since the client-side apply is no longer its */
  rc = sim_fields_diff(&t1, &set, &mod);
  if (!rc) rc = sim_fields_diff(&t2, &t1, &add);
  if (!rc) rc = sim_fields_diff(out, &t2, &rem);
  sim_fields_clear(&set);
  sim_fields_clear(&add);
  sim_fields_clear(&mod);
  sim_fields_clear(&rem);
  sim_fields_clear(&t1);
  sim_fields_clear(&t2);
  return rc;
}

/* update(): other managers' fields that the apply changes conflict unless
 * FORCE; with force they move to the applier. Removed fields leave every
 * other manager. */
static int resolve(ssa *s, const sim_patch_ctx *ctx, const sim_schema *t,
                   const kd_value *live, const kd_value *nv, sim_mgrs *mgrs,
                   const sim_mgr *me_id)
{
  fs_node added, modified, removed, ignored, changed;
  fs_node *csets = NULL;
  sim_mgr **who = NULL;
  size_t i, nc = 0;
  int rc, force = ctx->force;
  kd_error e = {0};
  if ((rc = sim_fields_compare(t, live, nv, &added, &modified, &removed,
                               &e)))
    return rc == KD_ENOMEM ? oom(s) : KD_OK;
  memset(&changed, 0, sizeof changed);
  kd_value_null(&changed.val);
  if (sim_patch_ignored(ctx, &ignored)) goto oom;
  sim_fields_rdiff(&added, &ignored);
  sim_fields_rdiff(&modified, &ignored);
  sim_fields_rdiff(&removed, &ignored);
  if (sim_fields_union(&changed, &modified, &added)) goto oom;
  csets = calloc(mgrs->n + 1, sizeof *csets);
  who = calloc(mgrs->n + 1, sizeof *who);
  if (!csets || !who) goto oom;
  for (i = 0; i < mgrs->n; i++) {
    sim_mgr *m = &mgrs->v[i];
    if (m == me_id) continue;
    if (sim_fields_inter(&csets[nc], &m->set, &changed)) goto oom;
    if (sim_fields_empty(&csets[nc])) {
      sim_fields_clear(&csets[nc]);
      continue;
    }
    who[nc++] = m;
  }
  if (nc && !force && strcmp(ctx->manager, "kubectl") == 0) {
    /* lastAppliedManager: conflicts on fields the client-side apply set
     * are taken over; only the others are reported */
    fs_node allowed, rest;
    size_t w = 0;
    if (last_applied_set(t, live, &allowed)) goto oom;
    for (i = 0; i < nc; i++) {
      if (sim_fields_diff(&rest, &csets[i], &allowed)) {
        sim_fields_clear(&allowed);
        goto oom;
      }
      sim_fields_clear(&csets[i]);
      if (sim_fields_empty(&rest)) {
        sim_fields_clear(&rest);
        continue;
      }
      who[w] = who[i];
      csets[w++] = rest;
    }
    for (i = w; i < nc; i++) sim_fields_clear(&csets[i]);
    sim_fields_clear(&allowed);
    if (w == 0) {   /* force: the conflicts the apply takes over */
      for (i = 0; i < mgrs->n; i++)
        if (&mgrs->v[i] != me_id) {
          if (sim_fields_inter(&csets[w], &mgrs->v[i].set, &changed))
            goto oom;
          if (sim_fields_empty(&csets[w])) {
            sim_fields_clear(&csets[w]);
            continue;
          }
          who[w++] = &mgrs->v[i];
        }
      force = 1;
    }
    nc = w;
  }
  if (nc && !force) {
    /* sort the managers by name for the message (csets follow who) */
    sim_mgr **order = malloc(nc * sizeof *order);
    fs_node *sorted = calloc(nc, sizeof *sorted);
    size_t j, k;
    if (!order || !sorted) {
      free(order);
      free(sorted);
      goto oom;
    }
    memcpy(order, who, nc * sizeof *order);
    qsort(order, nc, sizeof *order, by_manager);
    for (j = 0; j < nc; j++)
      for (k = 0; k < nc; k++)
        if (who[k] == order[j]) sorted[j] = csets[k];
    rc = conflict_error(s, order, sorted, nc);
    free(order);
    free(sorted);
    goto done;
  }
  for (i = 0; i < nc && !rc; i++) {
    fs_node tmp;
    if (sim_fields_diff(&tmp, &who[i]->set, &csets[i])) rc = KD_ENOMEM;
    sim_fields_clear(&who[i]->set);
    who[i]->set = tmp;
  }
  for (i = 0; i < mgrs->n && !rc; i++) {
    fs_node tmp;
    if (&mgrs->v[i] == me_id) continue;
    if (sim_fields_diff(&tmp, &mgrs->v[i].set, &removed)) rc = KD_ENOMEM;
    sim_fields_clear(&mgrs->v[i].set);
    mgrs->v[i].set = tmp;
  }
  if (rc) goto oom;
done:
  for (i = 0; i < nc; i++) sim_fields_clear(&csets[i]);
  free(csets);
  free(who);
  sim_fields_clear(&added);
  sim_fields_clear(&modified);
  sim_fields_clear(&removed);
  sim_fields_clear(&ignored);
  sim_fields_clear(&changed);
  return rc;
oom:
  rc = oom(s);
  goto done;
}

/* ---- the apply ------------------------------------------------------ */
static const char *str_at(const kd_value *o, const char *path)
{
  const kd_value *v = kd_value_path(o, path);
  return v && v->type == KD_STR ? v->u.str.s : "";
}

static int gvk_string(const char *api_version, const char *kind, kd_buf *b)
{
  const char *slash = strchr(api_version, '/');
  if (slash)
    return kd_buf_printf(b, "%.*s/%s, Kind=%s", (int)(slash - api_version),
                         api_version, slash + 1, kind);
  return kd_buf_printf(b, "/%s, Kind=%s", api_version, kind);
}

/* kubectl's annotation, kept in sync when "kubectl" applies over an
 * object that has one: the applied configuration less the annotation. */
static int sync_last_applied(const kd_value *live, const kd_value *config,
                             kd_value *out)
{
  const kd_value *a = kd_value_path(live, "metadata.annotations");
  const kd_value *la = a ? kd_obj_gets(a, LAST_APPLIED) : NULL;
  kd_value c, *ann, *meta, sv;
  kd_buf b = {0};
  kd_error e = {0};
  long at;
  if (!la || la->type != KD_STR || la->u.str.len == 0) return KD_OK;
  if (kd_value_copy(&c, config)) return KD_ENOMEM;
  ann = kd_value_path(&c, "metadata.annotations");
  if (ann && (at = sim_patch_obj_find(ann, LAST_APPLIED,
                                      strlen(LAST_APPLIED))) >= 0)
    sim_patch_obj_del(ann, (size_t)at);
  if (json_encode(&c, JSON_SORT_KEYS | JSON_ESCAPE_HTML, &b, &e) ||
      kd_buf_addc(&b, '\n')) {
    kd_value_clear(&c);
    kd_buf_free(&b);
    return KD_ENOMEM;
  }
  kd_value_clear(&c);
  if (!(meta = kd_obj_gets(out, "metadata")) ||
      !(ann = kd_obj_gets(meta, "annotations"))) {
    kd_buf_free(&b);
    return KD_OK;   /* pruned away: nothing to keep in sync */
  }
  if (kd_value_str(&sv, b.data, b.len)) {
    kd_buf_free(&b);
    return KD_ENOMEM;
  }
  kd_buf_free(&b);
  return sim_patch_obj_set(ann, LAST_APPLIED, strlen(LAST_APPLIED), &sv)
           ? KD_OK : KD_ENOMEM;
}

int sim_patch_ssa(const sim_patch_ctx *ctx, const kd_value *live,
                  const kd_value *patch, kd_value *out, kd_value *status,
                  kd_error *err)
{
  ssa s = {status, err};
  const char *av = str_at(patch, "apiVersion"), *kind = str_at(patch, "kind");
  const sim_schema *t;
  kd_value lv, lmf, merged;
  sim_mgrs mgrs = {0};
  sim_schema_arena arena;
  fs_node cfg, ignored, last;
  sim_mgr *me;
  kd_error e = {0};
  int rc, has_last;
  if (patch->type != KD_OBJ)
    return sim_patch_fail(status, err, KD_EPARSE, 400, "BadRequest",
                          "error decoding YAML: the applied configuration is "
                          "not an object", NULL);
  /* versionCheckManager */
  if (strcmp(av, ctx->api_version ? ctx->api_version : "") ||
      strcmp(kind, ctx->kind ? ctx->kind : "")) {
    kd_buf b = {0};
    if (gvk_string(av, kind, &b)) {
      kd_buf_free(&b);
      return oom(&s);
    }
    rc = sim_patch_failf(status, err, KD_EINVAL, 400, "BadRequest",
                         "invalid object type: %s", b.data);
    kd_buf_free(&b);
    return rc;
  }
  if (kd_value_path(patch, "metadata.managedFields"))
    return sim_patch_fail(status, err, KD_EINVAL, 400, "BadRequest",
                          "metadata.managedFields must be nil", NULL);
  memset(&arena, 0, sizeof arena);
  t = sim_schema_of(ctx, &arena);
  if ((rc = sim_fields_of(t, patch, 1, &cfg, &e))) {
    kd_buf b = {0};
    if (rc == KD_ENOMEM || gvk_string(av, kind, &b)) {
      kd_buf_free(&b);
      return oom(&s);
    }
    rc = sim_patch_failf(status, err, KD_EINVAL, 500, "",
                         "failed to create typed patch object (%s/%s; %s): "
                         "%s", str_at(patch, "metadata.namespace"),
                         str_at(patch, "metadata.name"), b.data, e.msg);
    kd_buf_free(&b);
    sim_schema_arena_free(&arena);
    return rc;
  }
  kd_value_obj(&lv);
  if (live && live->type == KD_OBJ && kd_value_copy(&lv, live)) {
    sim_fields_clear(&cfg);
    sim_schema_arena_free(&arena);
    return oom(&s);
  }
  sim_patch_take_managed(&lv, &lmf);
  rc = sim_mgrs_decode(&lmf, &mgrs);
  kd_value_clear(&lmf);
  kd_value_null(&merged);
  memset(&last, 0, sizeof last);
  kd_value_null(&last.val);
  if (rc || merge_val(t, &lv, patch, &merged, 0)) goto oom;
  /* the applier's previous set, then its new one */
  me = sim_mgrs_find(&mgrs, ctx->manager, "Apply", NULL, ctx->subresource,
                     1);
  if (!me || sim_fields_copy(&last, &me->set)) goto oom;
  has_last = !sim_fields_empty(&last);
  if (sim_patch_ignored(ctx, &ignored)) goto oom;
  sim_fields_rdiff(&cfg, &ignored);
  sim_fields_clear(&ignored);
  sim_fields_clear(&me->set);
  me->set = cfg;
  memset(&cfg, 0, sizeof cfg);
  kd_value_null(&cfg.val);
  free(me->api_version);
  if (!(me->api_version = kd_strndup(ctx->api_version,
                                     strlen(ctx->api_version))))
    goto oom;
  if (has_last && prune(t, &merged, &mgrs, &last)) goto oom;
  if ((rc = resolve(&s, ctx, t, &lv, &merged, &mgrs, me))) goto fail;
  sim_patch_strip_meta(&me->set);
  if (!kd_value_equal(&lv, &merged)) {
    free(me->time);
    if (!(me->time = kd_strndup(ctx->now ? ctx->now : "",
                                ctx->now ? strlen(ctx->now) : 0)))
      goto oom;
  }
  if (strcmp(ctx->manager, "kubectl") == 0 && live &&
      sync_last_applied(live, patch, &merged))
    goto oom;
  if (merged.type == KD_OBJ && sim_mgrs_store(&mgrs, &merged)) goto oom;
  *out = merged;
  kd_value_null(&merged);
  rc = KD_OK;
  goto done;
oom:
  rc = oom(&s);
fail:
  kd_value_clear(&merged);
done:
  sim_fields_clear(&cfg);
  sim_fields_clear(&last);
  sim_mgrs_free(&mgrs);
  kd_value_clear(&lv);
  sim_schema_arena_free(&arena);
  return rc;
}
