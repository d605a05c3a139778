/* engine/sim/sim_patch_managed.c: metadata.managedFields entries (decode,
 * encode in the real server's order, manager identities) and the
 * bookkeeping of non-apply writes (operation Update), as the apiserver's
 * managedFieldsUpdater, stripMetaManager and structured-merge Updater do
 * it. */
#include "sim_patch_int.h"

#include <stdlib.h>
#include <string.h>

static char *dup0(const char *s) { return kd_strndup(s ? s : "", s ? strlen(s) : 0); }

static void mgr_free(sim_mgr *m)
{
  free(m->manager);
  free(m->operation);
  free(m->api_version);
  free(m->subresource);
  free(m->time);
  sim_fields_clear(&m->set);
}

void sim_mgrs_free(sim_mgrs *m)
{
  size_t i;
  if (!m) return;
  for (i = 0; i < m->n; i++) mgr_free(&m->v[i]);
  free(m->v);
  memset(m, 0, sizeof *m);
}

static int same(const char *a, const char *b)
{
  return strcmp(a ? a : "", b ? b : "") == 0;
}

sim_mgr *sim_mgrs_find(sim_mgrs *m, const char *manager, const char *op,
                       const char *api_version, const char *subresource,
                       int create)
{
  size_t i;
  int apply = same(op, "Apply");
  sim_mgr *e;
  for (i = 0; i < m->n; i++) {
    e = &m->v[i];
    /* appliers are one manager whatever apiVersion they applied */
    if (same(e->manager, manager) && same(e->operation, op) &&
        same(e->subresource, subresource) &&
        (apply || same(e->api_version, api_version)))
      return e;
  }
  if (!create) return NULL;
  if (m->n == m->cap) {
    size_t ncap = m->cap ? m->cap * 2 : 4;
    sim_mgr *nv = realloc(m->v, ncap * sizeof *nv);
    if (!nv) return NULL;
    m->v = nv;
    m->cap = ncap;
  }
  e = &m->v[m->n];
  memset(e, 0, sizeof *e);
  kd_value_null(&e->set.val);
  e->manager = dup0(manager);
  e->operation = dup0(op);
  e->api_version = dup0(api_version);
  e->subresource = dup0(subresource);
  if (!e->manager || !e->operation || !e->api_version || !e->subresource) {
    mgr_free(e);
    return NULL;
  }
  m->n++;
  return e;
}

static const char *str_of(const kd_value *o, const char *key)
{
  const kd_value *v = kd_obj_gets(o, key);
  return v && v->type == KD_STR ? v->u.str.s : NULL;
}

int sim_mgrs_decode(const kd_value *list, sim_mgrs *out)
{
  size_t i;
  memset(out, 0, sizeof *out);
  if (!list || list->type != KD_ARR) return KD_OK;
  for (i = 0; i < list->u.arr.len; i++) {
    const kd_value *e = &list->u.arr.items[i];
    const kd_value *fv = kd_obj_gets(e, "fieldsV1");
    const char *op = str_of(e, "operation"), *t = str_of(e, "time");
    fs_node set;
    kd_error err = {0};
    sim_mgr *m;
    if (e->type != KD_OBJ || !op || (strcmp(op, "Apply") &&
                                     strcmp(op, "Update")))
      continue;
    if (fv ? sim_fields_decode(fv, &set, &err) : KD_OK) continue;
    if (!fv) {
      memset(&set, 0, sizeof set);
      kd_value_null(&set.val);
    }
    m = sim_mgrs_find(out, str_of(e, "manager"), op, str_of(e, "apiVersion"),
                      str_of(e, "subresource"), 1);
    if (!m) {
      sim_fields_clear(&set);
      sim_mgrs_free(out);
      return KD_ENOMEM;
    }
    if (!m->api_version[0] && str_of(e, "apiVersion")) {
      free(m->api_version);
      m->api_version = dup0(str_of(e, "apiVersion"));
    }
    if (t && !m->time) m->time = dup0(t);
    if (m->set.n == 0 && !m->set.member) {
      sim_fields_clear(&m->set);
      m->set = set;
    } else {
      fs_node u;
      int rc = sim_fields_union(&u, &m->set, &set);
      sim_fields_clear(&set);
      if (rc) {
        sim_fields_clear(&u);
        sim_mgrs_free(out);
        return KD_ENOMEM;
      }
      sim_fields_clear(&m->set);
      m->set = u;
    }
    if ((!m->api_version) || (t && !m->time)) {
      sim_mgrs_free(out);
      return KD_ENOMEM;
    }
  }
  return KD_OK;
}

void sim_mgrs_drop_empty(sim_mgrs *m)
{
  size_t i, w = 0;
  for (i = 0; i < m->n; i++) {
    if (sim_fields_empty(&m->v[i].set)) {
      mgr_free(&m->v[i]);
      continue;
    }
    m->v[w++] = m->v[i];
  }
  m->n = w;
}

/* sortEncodedManagedFields: operation, time, manager, apiVersion,
 * subresource (a missing time sorts first). */
static int mgr_cmp(const void *a, const void *b)
{
  const sim_mgr *x = a, *y = b;
  int c;
  if ((c = strcmp(x->operation, y->operation))) return c;
  if ((c = strcmp(x->time ? x->time : "", y->time ? y->time : ""))) return c;
  if ((c = strcmp(x->manager, y->manager))) return c;
  if ((c = strcmp(x->api_version, y->api_version))) return c;
  return strcmp(x->subresource, y->subresource);
}

/* capManagersManager: past 10 Update entries, the oldest are folded into
 * one "ancient-changes" entry per apiVersion. */
#define MAX_UPDATERS 10

/* Oldest first: time, then manager, apiVersion, subresource. */
static int updater_cmp(const sim_mgr *x, const sim_mgr *y)
{
  int c = strcmp(x->time ? x->time : "", y->time ? y->time : "");
  if (c) return c;
  if ((c = strcmp(x->manager, y->manager))) return c;
  if ((c = strcmp(x->api_version, y->api_version))) return c;
  return strcmp(x->subresource, y->subresource);
}

static int cap_updaters(sim_mgrs *m)
{
  size_t *up, n = 0, i, j, len;
  char *dead;
  int rc = KD_OK;
  for (i = 0; i < m->n; i++)
    if (strcmp(m->v[i].operation, "Update") == 0) n++;
  if (n <= MAX_UPDATERS) return KD_OK;
  up = malloc(n * sizeof *up);
  dead = calloc(m->n, 1);
  if (!up || !dead) {
    free(up);
    free(dead);
    return KD_ENOMEM;
  }
  for (i = 0, n = 0; i < m->n; i++)
    if (strcmp(m->v[i].operation, "Update") == 0) up[n++] = i;
  for (i = 1; i < n; i++) {   /* insertion sort: few entries */
    size_t k = up[i];
    for (j = i; j > 0 && updater_cmp(&m->v[up[j - 1]], &m->v[k]) > 0; j--)
      up[j] = up[j - 1];
    up[j] = k;
  }
  for (i = 0, len = n; i < n && len > MAX_UPDATERS && !rc; i++) {
    sim_mgr *cur = &m->v[up[i]], *first = NULL, *bucket = NULL;
    fs_node u;
    for (j = 0; j < i && !first; j++)   /* the oldest of the same version */
      if (!dead[up[j]] && !strcmp(m->v[up[j]].api_version, cur->api_version))
        first = &m->v[up[j]];
    if (!first) continue;               /* cur is the oldest: it stays */
    for (j = 0; j < m->n && !bucket; j++)
      if (!dead[j] && !strcmp(m->v[j].manager, "ancient-changes") &&
          !strcmp(m->v[j].operation, "Update") && !m->v[j].subresource[0] &&
          !strcmp(m->v[j].api_version, cur->api_version))
        bucket = &m->v[j];
    if (bucket == cur) continue;
    if (!bucket) {                      /* the oldest becomes the bucket */
      bucket = first;
      free(bucket->manager);
      free(bucket->subresource);
      bucket->manager = dup0("ancient-changes");
      bucket->subresource = dup0("");
      if (!bucket->manager || !bucket->subresource) rc = KD_ENOMEM;
    }
    if (rc || sim_fields_union(&u, &bucket->set, &cur->set)) {
      rc = KD_ENOMEM;
      break;
    }
    sim_fields_clear(&bucket->set);
    bucket->set = u;
    free(bucket->time);
    bucket->time = cur->time;   /* the newer time */
    cur->time = NULL;
    dead[up[i]] = 1;
    len--;
  }
  for (i = 0, j = 0; i < m->n; i++) {
    if (dead[i]) {
      mgr_free(&m->v[i]);
      continue;
    }
    m->v[j++] = m->v[i];
  }
  m->n = j;
  free(up);
  free(dead);
  return rc;
}

static int put(kd_value *o, const char *key, const char *s)
{
  kd_value *slot = kd_obj_add(o, key, strlen(key));
  return slot ? kd_value_str(slot, s, strlen(s)) : KD_ENOMEM;
}

int sim_mgrs_store(sim_mgrs *m, kd_value *obj)
{
  kd_value list, *meta, *slot;
  size_t i;
  long at;
  if (obj->type != KD_OBJ) return KD_OK;
  meta = kd_obj_gets(obj, "metadata");
  /* metadata that is not an object (null, a number: the sim's handlers
   * reject such objects before this, direct engine callers may not) has
   * nowhere to hold managedFields, and adding members to it would write
   * through the wrong member of the value union */
  if (meta && meta->type != KD_OBJ) return KD_OK;
  sim_mgrs_drop_empty(m);
  if (cap_updaters(m)) return KD_ENOMEM;
  if (m->n == 0) {
    if (meta && (at = sim_patch_obj_find(meta, "managedFields", 13)) >= 0)
      sim_patch_obj_del(meta, (size_t)at);
    return KD_OK;
  }
  if (!meta) {
    kd_value mv;
    kd_value_obj(&mv);
    if (!(meta = sim_patch_obj_set(obj, "metadata", 8, &mv)))
      return KD_ENOMEM;
  }
  qsort(m->v, m->n, sizeof *m->v, mgr_cmp);
  kd_value_arr(&list);
  for (i = 0; i < m->n; i++) {
    const sim_mgr *e = &m->v[i];
    kd_value *ent = kd_arr_push(&list);
    if (!ent) goto oom;
    kd_value_obj(ent);
    if (put(ent, "manager", e->manager) || put(ent, "operation", e->operation)
        || put(ent, "apiVersion", e->api_version) ||
        (e->time && put(ent, "time", e->time)) ||
        put(ent, "fieldsType", "FieldsV1") ||
        !(slot = kd_obj_add(ent, "fieldsV1", 8)) ||
        sim_fields_encode(&e->set, slot) ||
        (e->subresource[0] && put(ent, "subresource", e->subresource)))
      goto oom;
  }
  if (!sim_patch_obj_set(meta, "managedFields", 13, &list)) return KD_ENOMEM;
  return KD_OK;
oom:
  kd_value_clear(&list);
  return KD_ENOMEM;
}

int sim_mgrs_print(const sim_mgr *m, kd_buf *out)
{
  if (kd_buf_addc(out, '"') || kd_buf_adds(out, m->manager) ||
      kd_buf_addc(out, '"'))
    return KD_ENOMEM;
  if (m->subresource[0] &&
      kd_buf_printf(out, " with subresource \"%s\"", m->subresource))
    return KD_ENOMEM;
  if (strcmp(m->operation, "Update") == 0 &&
      kd_buf_printf(out, " using %s", m->api_version))
    return KD_ENOMEM;
  return KD_OK;
}

void sim_patch_strip_meta(fs_node *s)
{
  static const char *top[] = {"apiVersion", "kind", "metadata"};
  static const char *meta[] = {"name", "namespace", "creationTimestamp",
                               "selfLink", "uid", "clusterName", "generation",
                               "managedFields", "resourceVersion"};
  size_t i;
  fs_node *m;
  for (i = 0; i < 3; i++) {
    fs_node *c = sim_fields_child(s, PE_FIELD, top[i], strlen(top[i]), NULL,
                                  0, 0);
    if (c) c->member = 0;
  }
  m = sim_fields_child(s, PE_FIELD, "metadata", 8, NULL, 0, 0);
  for (i = 0; m && i < sizeof meta / sizeof *meta; i++) {
    fs_node *c = sim_fields_child(m, PE_FIELD, meta[i], strlen(meta[i]), NULL,
                                  0, 0);
    if (c) c->member = 0;
  }
  /* drop what became empty */
  {
    fs_node tmp, none = {0};
    kd_value_null(&none.val);
    if (sim_fields_diff(&tmp, s, &none) == KD_OK) {
      sim_fields_clear(s);
      *s = tmp;
    } else {
      sim_fields_clear(&tmp);
    }
  }
}

int sim_patch_ignored(const sim_patch_ctx *ctx, fs_node *out)
{
  const char *field = NULL;
  fs_node *c;
  memset(out, 0, sizeof *out);
  kd_value_null(&out->val);
  if (ctx->subresource && strcmp(ctx->subresource, "status") == 0)
    field = "spec";
  else if ((!ctx->subresource || !ctx->subresource[0]) &&
           sim_schema_has_status(ctx))
    field = "status";
  if (!field) return KD_OK;
  if (!(c = sim_fields_child(out, PE_FIELD, field, strlen(field), NULL, 0,
                             1)))
    return KD_ENOMEM;
  c->member = 1;
  return KD_OK;
}

void sim_patch_take_managed(kd_value *obj, kd_value *out)
{
  kd_value *meta = kd_obj_gets(obj, "metadata");
  long at = sim_patch_obj_find(meta, "managedFields", 13);
  kd_value_null(out);
  if (at < 0) return;
  *out = meta->u.obj.m[at].val;
  kd_value_null(&meta->u.obj.m[at].val);
  sim_patch_obj_del(meta, (size_t)at);
}

/* ---- Update operations ---------------------------------------------- */
/* isResetManagedFields: a non-empty list of only empty entries. */
static int is_reset(const kd_value *mf)
{
  size_t i;
  if (!mf || mf->type != KD_ARR || mf->u.arr.len == 0) return 0;
  for (i = 0; i < mf->u.arr.len; i++) {
    const kd_value *e = &mf->u.arr.items[i];
    if (e->type != KD_OBJ || e->u.obj.len != 0) return 0;
  }
  return 1;
}

static int replace_set(fs_node *set, int (*op)(fs_node *, const fs_node *,
                                               const fs_node *),
                       const fs_node *b)
{
  fs_node tmp;
  if (op(&tmp, set, b)) {
    sim_fields_clear(&tmp);
    return KD_ENOMEM;
  }
  sim_fields_clear(set);
  *set = tmp;
  return KD_OK;
}

int sim_patch_track_update(const sim_patch_ctx *ctx, const kd_value *old,
                           kd_value *obj, kd_error *err)
{
  kd_value oldc, newmf, oldmf;
  const kd_value *src;
  sim_mgrs mgrs = {0};
  fs_node added, modified, removed, ignored, current, tmp;
  const sim_schema *root;
  sim_schema_arena arena = {0};
  sim_mgr *me;
  size_t i;
  int rc;
  if (!ctx || !obj || obj->type != KD_OBJ)
    return kd_error_set(err, KD_EINVAL, "sim_patch_track_update: bad "
                        "arguments");
  root = sim_schema_of(ctx, &arena);
  kd_value_obj(&oldc);
  if (old && old->type == KD_OBJ && kd_value_copy(&oldc, old)) {
    sim_schema_arena_free(&arena);
    return kd_error_set(err, KD_ENOMEM, "out of memory");
  }
  sim_patch_take_managed(&oldc, &oldmf);
  sim_patch_take_managed(obj, &newmf);
  /* decodeLiveOrNew */
  if (ctx->subresource && ctx->subresource[0]) {
    src = &oldmf;
  } else if (is_reset(&newmf)) {
    src = NULL;
  } else {
    if ((rc = sim_mgrs_decode(&newmf, &mgrs))) goto done;
    src = mgrs.n == 0 ? &oldmf : NULL;   /* none sent: keep the live ones */
    if (src) sim_mgrs_free(&mgrs);
  }
  if (src && (rc = sim_mgrs_decode(src, &mgrs))) goto done;
  rc = sim_fields_compare(root, &oldc, obj, &added, &modified, &removed, err);
  if (rc) {
    if (rc != KD_ENOMEM) {   /* an object the schema cannot index: keep */
      rc = KD_OK;
      if (newmf.type != KD_NULL || oldmf.type != KD_NULL) {
        kd_value *meta = kd_obj_gets(obj, "metadata");
        if (meta)
          sim_patch_obj_set(meta, "managedFields", 13,
                            newmf.type != KD_NULL ? &newmf : &oldmf);
      }
    }
    goto done_sets0;
  }
  if ((rc = sim_patch_ignored(ctx, &ignored))) goto done_sets1;
  sim_fields_rdiff(&added, &ignored);
  sim_fields_rdiff(&modified, &ignored);
  sim_fields_rdiff(&removed, &ignored);
  /* update(): every other manager loses what changed and what went */
  if ((rc = sim_fields_union(&current, &modified, &added))) goto done_sets2;
  for (i = 0; i < mgrs.n && !rc; i++) {
    rc = replace_set(&mgrs.v[i].set, sim_fields_diff, &current);
    if (!rc) rc = replace_set(&mgrs.v[i].set, sim_fields_diff, &removed);
  }
  if (rc) goto done_sets3;
  sim_mgrs_drop_empty(&mgrs);
  sim_patch_strip_meta(&current);
  if (!sim_fields_empty(&current)) {
    me = sim_mgrs_find(&mgrs, ctx->manager, "Update", ctx->api_version,
                       ctx->subresource, 1);
    if (!me || sim_fields_union(&tmp, &me->set, &current)) {
      rc = KD_ENOMEM;
      goto done_sets3;
    }
    sim_fields_clear(&me->set);
    me->set = tmp;
    free(me->time);
    me->time = dup0(ctx->now);
    if (!me->time) rc = KD_ENOMEM;
  }
  if (!rc) rc = sim_mgrs_store(&mgrs, obj);
done_sets3:
  sim_fields_clear(&current);
done_sets2:
  sim_fields_clear(&ignored);
done_sets1:
  sim_fields_clear(&added);
  sim_fields_clear(&modified);
  sim_fields_clear(&removed);
done_sets0:
done:
  if (rc == KD_ENOMEM) kd_error_set(err, KD_ENOMEM, "out of memory");
  sim_mgrs_free(&mgrs);
  kd_value_clear(&oldc);
  kd_value_clear(&newmf);
  kd_value_clear(&oldmf);
  sim_schema_arena_free(&arena);
  return rc;
}
