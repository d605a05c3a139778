/* engine/sim/sim_patch_smp.c: strategic merge patch as kube-apiserver
 * applies it (apimachinery strategicpatch with MergeParallelList and
 * IgnoreUnmatchedNulls): lists merged by their patchMergeKey, primitive
 * merge lists as ordered sets, directives $patch (replace, delete),
 * $retainKeys, $deleteFromPrimitiveList/<f>, $setElementOrder/<f>, and the
 * order rules of mergeSortedSlice. Errors carry the real texts and codes:
 * 400 for malformed directives, 422 for lists of lists, 500 for what the
 * real server lets through as an internal error. */
#include "sim_patch_int.h"

#include <stdlib.h>
#include <string.h>

#define DIRECTIVE "$patch"
#define RETAIN "$retainKeys"
#define DEL_PREFIX "$deleteFromPrimitiveList"
#define ORDER_PREFIX "$setElementOrder"

typedef struct {
  kd_value *status;
  kd_error *err;
} smp;

static int bad_request(smp *s, const char *msg)
{
  return sim_patch_fail(s->status, s->err, KD_EINVAL, 400, "BadRequest", msg,
                        NULL);
}

/* An error the real server does not wrap in a Status: 500, no reason. */
static int internal(smp *s, const char *fmt, const kd_value *a,
                    const char *b)
{
  kd_buf m = {0};
  const char *p;
  int rc;
  /* %v expands A in Go's format, %s is B */
  for (p = fmt; *p; p++) {
    if (p[0] == '%' && p[1] == 'v') {
      if (a && sim_patch_gofmt(a, &m)) goto oom;
      p++;
    } else if (p[0] == '%' && p[1] == 's') {
      if (kd_buf_adds(&m, b ? b : "")) goto oom;
      p++;
    } else if (kd_buf_addc(&m, *p)) {
      goto oom;
    }
  }
  rc = sim_patch_fail(s->status, s->err, KD_EINVAL, 500, "",
                      m.data ? m.data : "", NULL);
  kd_buf_free(&m);
  return rc;
oom:
  kd_buf_free(&m);
  return sim_patch_oom(s->status, s->err);
}

static int unprocessable(smp *s, const char *msg)
{
  kd_value details;
  int rc;
  kd_value_obj(&details);
  rc = sim_patch_fail(s->status, s->err, KD_EINVAL, 422, "Invalid",
                      "the server rejected our request due to an error in "
                      "our request", &details);
  kd_error_set(s->err, KD_EINVAL, "%s", msg);
  if (s->err) s->err->http_status = 422;
  return rc;
}

static int oom(smp *s) { return sim_patch_oom(s->status, s->err); }

static int has_prefix(const kd_member *m, const char *prefix)
{
  size_t n = strlen(prefix);
  return m->klen >= n && memcmp(m->key, prefix, n) == 0;
}

/* extractKey: "PREFIX/field" -> field; NULL when malformed. */
static const char *extract_key(const kd_member *m, const char *prefix,
                               size_t *len)
{
  size_t n = strlen(prefix);
  if (m->klen <= n || m->key[n] != '/') return NULL;
  *len = m->klen - n - 1;
  return m->key + n + 1;
}

/* Go's reflect kinds of decoded JSON: map, slice, string, bool, int64,
 * float64, nil. */
static int go_kind(const kd_value *v) { return (int)v->type; }

/* removeDirectives plus discardNullValuesFromPatch for a value taken from
 * the patch as is: drops maps holding $patch, null members, and the other
 * directive keys (which typed objects would drop when decoding). Returns 0
 * when V itself is to be dropped. */
static int clean_fresh(kd_value *v)
{
  size_t i;
  if (v->type == KD_OBJ) {
    if (kd_obj_get(v, DIRECTIVE, 6)) return 0;
    for (i = 0; i < v->u.obj.len;) {
      kd_member *m = &v->u.obj.m[i];
      if (m->val.type == KD_NULL || has_prefix(m, RETAIN) ||
          has_prefix(m, DEL_PREFIX) || has_prefix(m, ORDER_PREFIX) ||
          !clean_fresh(&m->val)) {
        sim_patch_obj_del(v, i);
        continue;
      }
      i++;
    }
  } else if (v->type == KD_ARR) {
    size_t j = 0;
    for (i = 0; i < v->u.arr.len; i++) {
      if (!clean_fresh(&v->u.arr.items[i])) {
        kd_value_clear(&v->u.arr.items[i]);
        continue;
      }
      v->u.arr.items[j++] = v->u.arr.items[i];
    }
    v->u.arr.len = j;
  }
  return 1;
}

/* A fresh copy of patch value P, cleaned; null when dropped. */
static int take_fresh(const kd_value *p, kd_value *out)
{
  if (kd_value_copy(out, p)) return KD_ENOMEM;
  if (!clean_fresh(out)) {
    kd_value_clear(out);
    kd_value_null(out);
  }
  return KD_OK;
}

/* A patch value that replaces a live one is taken as is, less the
 * directive keys a typed object would drop when decoding it. */
static void strip_keys(kd_value *v)
{
  size_t i;
  if (v->type == KD_OBJ) {
    for (i = 0; i < v->u.obj.len;) {
      kd_member *m = &v->u.obj.m[i];
      if ((m->klen == 6 && memcmp(m->key, DIRECTIVE, 6) == 0) ||
          has_prefix(m, RETAIN) || has_prefix(m, DEL_PREFIX) ||
          has_prefix(m, ORDER_PREFIX)) {
        sim_patch_obj_del(v, i);
        continue;
      }
      strip_keys(&m->val);
      i++;
    }
  } else if (v->type == KD_ARR) {
    for (i = 0; i < v->u.arr.len; i++) strip_keys(&v->u.arr.items[i]);
  }
}

static int take_replaced(kd_value *slot, const kd_value *p)
{
  kd_value_clear(slot);
  if (kd_value_copy(slot, p)) {
    kd_value_null(slot);
    return KD_ENOMEM;
  }
  strip_keys(slot);
  return KD_OK;
}

static int merge_map(smp *s, kd_value *orig, const kd_value *patch,
                     const sim_schema *t, int depth);

/* ---- lists ---------------------------------------------------------- */
static const kd_value *mkey(const kd_value *item, const char *key)
{
  return item->type == KD_OBJ ? kd_obj_gets(item, key) : NULL;
}

/* index(): position of V in L by merge key (maps) or value, or -1. */
static long index_of(const kd_value *l, size_t n, const kd_value *v,
                     const char *key)
{
  size_t i;
  const kd_value *kv = key ? mkey(v, key) : v;
  if (!kv) return -1;
  for (i = 0; i < n; i++) {
    const kd_value *x = key ? mkey(&l[i], key) : &l[i];
    if (x && sim_patch_value_same(x, kv)) return (long)i;
  }
  return -1;
}

/* sliceElementType over two lists: ErrNoListOfLists or mismatched types. */
static int element_kind(smp *s, const kd_value *a, const kd_value *b,
                        int *kind)
{
  const kd_value *lists[2] = {a, b};
  int prev = -1, i;
  size_t j;
  for (i = 0; i < 2; i++)
    for (j = 0; lists[i] && j < lists[i]->u.arr.len; j++) {
      int k = go_kind(&lists[i]->u.arr.items[j]);
      if (prev < 0) {
        if (k == KD_ARR) return unprocessable(s, "lists of lists are not "
                                              "supported");
        prev = k;
      } else if (prev != k) {
        kd_value both;
        kd_value *slot;
        int rc;
        kd_value_arr(&both);
        if (!(slot = kd_arr_push(&both)) || kd_value_copy(slot, a) ||
            !(slot = kd_arr_push(&both)) ||
            kd_value_copy(slot, b ? b : a)) {
          kd_value_clear(&both);
          return oom(s);
        }
        rc = internal(s, "list element types are not identical: %v", &both,
                      NULL);
        kd_value_clear(&both);
        return rc;
      }
    }
  *kind = prev;
  return KD_OK;
}

/* Stable sort of ITEMS by their position in ORDER (normalizeSliceOrder). */
static void sort_by(kd_value *items, size_t n, const kd_value *order,
                    size_t on, const char *key)
{
  size_t i, j;
  for (i = 1; i < n; i++) {
    kd_value tmp = items[i];
    long ti = index_of(order, on, &tmp, key);
    for (j = i; j > 0; j--) {
      long pj = index_of(order, on, &items[j - 1], key);
      if (ti < 0 || pj < 0 || pj <= ti) break;
      items[j] = items[j - 1];
    }
    items[j] = tmp;
  }
}

/* normalizeElementOrder: LIST (owned, replaced) holds every merged item;
 * those present in BY (patch items, ordered by BY) interleave with the
 * rest (server-only items, ordered by SERVER) as mergeSortedSlice does. */
static int normalize(smp *s, kd_value *list, const kd_value *by,
                     const kd_value *server, const char *key)
{
  size_t n = list->u.arr.len, i, np = 0, ns = 0, k, li = 0, ri = 0;
  size_t sn = server ? server->u.arr.len : 0;
  const kd_value *sv = server ? server->u.arr.items : NULL;
  kd_value *pitems, *sitems, *out;
  if (n == 0) return KD_OK;
  pitems = malloc(n * sizeof *pitems);
  sitems = malloc(n * sizeof *sitems);
  out = malloc(n * sizeof *out);
  if (!pitems || !sitems || !out) {
    free(pitems);
    free(sitems);
    free(out);
    return oom(s);
  }
  for (i = 0; i < n; i++) {
    kd_value *it = &list->u.arr.items[i];
    if (key && !mkey(it, key)) {
      int rc;
      free(pitems);
      free(sitems);
      free(out);
      rc = internal(s, "map: %v does not contain declared merge key: %s", it,
                    key);
      return rc;
    }
    if (by && index_of(by->u.arr.items, by->u.arr.len, it, key) >= 0)
      pitems[np++] = *it;
    else
      sitems[ns++] = *it;
  }
  if (by) sort_by(pitems, np, by->u.arr.items, by->u.arr.len, key);
  sort_by(sitems, ns, sv, sn, key);
  for (k = 0; k < n; k++) {
    if (li >= ns) {
      out[k] = pitems[ri++];
    } else if (ri >= np) {
      out[k] = sitems[li++];
    } else {
      long a = index_of(sv, sn, &sitems[li], key);
      long b = index_of(sv, sn, &pitems[ri], key);
      if (a >= 0 && b >= 0 && a < b) out[k] = sitems[li++];
      else out[k] = pitems[ri++];
    }
  }
  memcpy(list->u.arr.items, out, n * sizeof *out);
  free(pitems);
  free(sitems);
  free(out);
  return KD_OK;
}

static int push_copy(kd_value *arr, const kd_value *v, int fresh)
{
  kd_value *slot = kd_arr_push(arr);
  if (!slot) return KD_ENOMEM;
  if (fresh) {
    if (take_fresh(v, slot)) return KD_ENOMEM;
    if (slot->type == KD_NULL && v->type != KD_NULL) arr->u.arr.len--;
    return KD_OK;
  }
  return kd_value_copy(slot, v);
}

/* mergeSlice of maps keyed by KEY: special elements, merge, order. ORIG
 * (owned) is replaced by the result. */
static int merge_map_list(smp *s, kd_value *orig, const kd_value *patch,
                          const sim_schema *elem, const char *key, int depth)
{
  kd_value items, base;
  size_t i;
  int replace = 0, rc;
  kd_value_arr(&items);   /* the patch without special elements */
  /* mergeSliceWithSpecialElements */
  for (i = 0; i < patch->u.arr.len; i++) {
    const kd_value *p = &patch->u.arr.items[i];
    const kd_value *d = kd_obj_get(p, DIRECTIVE, 6);
    if (!d) {
      if (push_copy(&items, p, 0)) goto oom;
      continue;
    }
    if (d->type == KD_STR && strcmp(d->u.str.s, "delete") == 0) {
      const kd_value *kv = kd_obj_gets(p, key);
      size_t j, w = 0;
      if (!kv) {
        kd_value_clear(&items);
        return internal(s, "map: %v does not contain declared merge key: %s",
                        p, key);
      }
      for (j = 0; j < orig->u.arr.len; j++) {
        kd_value *o = &orig->u.arr.items[j];
        const kd_value *ok;
        if (o->type != KD_OBJ) {
          kd_value_clear(&items);
          return internal(s, "map: %v does not contain declared merge key: "
                          "%s", o, key);
        }
        ok = kd_obj_gets(o, key);
        if (ok && sim_patch_value_same(ok, kv)) {
          kd_value_clear(o);
          continue;
        }
        orig->u.arr.items[w++] = *o;
      }
      orig->u.arr.len = w;
    } else if (d->type == KD_STR && strcmp(d->u.str.s, "replace") == 0) {
      replace = 1;
    } else if (d->type == KD_STR && strcmp(d->u.str.s, "merge") == 0) {
      kd_value_clear(&items);
      return internal(s, "merging lists cannot yet be specified in the patch",
                      NULL, NULL);
    } else {
      kd_buf t = {0};
      if (sim_patch_gofmt(d, &t)) {
        kd_buf_free(&t);
        goto oom;
      }
      kd_value_clear(&items);
      rc = internal(s, "unknown patch type: %s in map: %v", p, t.data);
      kd_buf_free(&t);
      return rc;
    }
  }
  if (replace) {
    /* the patch items alone, in their order */
    kd_value_clear(orig);
    kd_value_arr(orig);
    for (i = 0; i < items.u.arr.len; i++)
      if (push_copy(orig, &items.u.arr.items[i], 1)) goto oom;
    kd_value_clear(&items);
    return KD_OK;
  }
  if (kd_value_copy(&base, orig)) goto oom;   /* the server order */
  /* mergeSliceWithoutSpecialElements */
  for (i = 0; i < items.u.arr.len; i++) {
    const kd_value *p = &items.u.arr.items[i];
    const kd_value *kv = kd_obj_gets(p, key);
    size_t j;
    kd_value *found = NULL;
    if (!kv) {
      rc = internal(s, "map: %v does not contain declared merge key: %s", p,
                    key);
      kd_value_clear(&items);
      kd_value_clear(&base);
      return rc;
    }
    for (j = 0; j < orig->u.arr.len && !found; j++) {
      kd_value *o = &orig->u.arr.items[j];
      const kd_value *ok;
      if (o->type != KD_OBJ) {
        rc = internal(s, "value for key %v is not a map", kv, NULL);
        kd_value_clear(&items);
        kd_value_clear(&base);
        return rc;
      }
      ok = kd_obj_gets(o, key);
      if (ok && sim_patch_value_same(ok, kv)) found = o;
    }
    if (found) {
      if ((rc = merge_map(s, found, p, elem, depth + 1))) {
        kd_value_clear(&items);
        kd_value_clear(&base);
        return rc;
      }
    } else if (push_copy(orig, p, 1)) {
      kd_value_clear(&base);
      goto oom;
    }
  }
  rc = normalize(s, orig, &items, &base, key);
  kd_value_clear(&items);
  kd_value_clear(&base);
  return rc;
oom:
  kd_value_clear(&items);
  return oom(s);
}

/* mergeSlice of primitives: union keeping first occurrences, ordered. */
static int merge_prim_list(smp *s, kd_value *orig, const kd_value *patch)
{
  kd_value base;
  size_t i;
  if (kd_value_copy(&base, orig)) return oom(s);
  for (i = 0; i < patch->u.arr.len; i++) {
    const kd_value *p = &patch->u.arr.items[i];
    if (index_of(orig->u.arr.items, orig->u.arr.len, p, NULL) >= 0) continue;
    if (push_copy(orig, p, 0)) {
      kd_value_clear(&base);
      return oom(s);
    }
  }
  {
    int rc = normalize(s, orig, patch, &base, NULL);
    kd_value_clear(&base);
    return rc;
  }
}

static void delete_from_list(kd_value *orig, const kd_value *del)
{
  size_t i, w = 0;
  for (i = 0; i < orig->u.arr.len; i++) {
    kd_value *o = &orig->u.arr.items[i];
    if (index_of(del->u.arr.items, del->u.arr.len, o, NULL) >= 0) {
      kd_value_clear(o);
      continue;
    }
    orig->u.arr.items[w++] = *o;
  }
  orig->u.arr.len = w;
}

/* mergeSlice: ORIG (owned list) merged with PATCH list of field typed T. */
static int merge_slice(smp *s, kd_value *orig, const kd_value *patch,
                       const sim_schema *t, int is_delete, int depth)
{
  int kind = -1, rc;
  const char *key = t && t->kind == SCH_LIST ? t->merge_key : NULL;
  if (orig->u.arr.len == 0 && patch->u.arr.len == 0) return KD_OK;
  if ((rc = element_kind(s, orig, patch, &kind))) return rc;
  if (kind != KD_OBJ) {
    if (is_delete) {
      delete_from_list(orig, patch);
      return KD_OK;
    }
    return merge_prim_list(s, orig, patch);
  }
  if (!key)
    return internal(s, "cannot merge lists without merge key for %s", NULL,
                    "the list");
  return merge_map_list(s, orig, patch, sim_schema_elem(t), key, depth);
}

static int is_merge_list(const sim_schema *t)
{
  return t && t->kind == SCH_LIST && t->smp == SMP_MERGE;
}

/* ---- $setElementOrder ----------------------------------------------- */
static int check_order(smp *s, const kd_value *plist, const kd_value *order,
                       const char *key)
{
  size_t pi = 0, oi = 0, pn = plist ? plist->u.arr.len : 0;
  if (!plist || order->u.arr.len == 0 || pn == 0) return KD_OK;
  while (pi < pn && oi < order->u.arr.len) {
    const kd_value *p = &plist->u.arr.items[pi];
    const kd_value *o = &order->u.arr.items[oi];
    if (key && p->type == KD_OBJ && kd_obj_get(p, DIRECTIVE, 6)) {
      pi++;     /* deletions and other directives are ignored */
      continue;
    }
    if (key) {
      const kd_value *a = mkey(p, key), *b = mkey(o, key);
      if (!a || !b) {
        return internal(s, "map: %v does not contain declared merge key: %s",
                        a ? o : p, key);
      }
      if (sim_patch_value_same(a, b)) pi++;
    } else if (sim_patch_value_same(p, o)) {
      pi++;
    }
    oi++;
  }
  if (pi < pn) {
    kd_buf a = {0}, b = {0}, m = {0};
    int rc;
    if (sim_patch_gofmt(plist, &a) || sim_patch_gofmt(order, &b) ||
        kd_buf_printf(&m, "The order in patch list:\n%s\n doesn't match "
                      "$setElementOrder list:\n%s\n", a.data, b.data)) {
      kd_buf_free(&a);
      kd_buf_free(&b);
      kd_buf_free(&m);
      return oom(s);
    }
    rc = sim_patch_fail(s->status, s->err, KD_EINVAL, 500, "", m.data, NULL);
    kd_buf_free(&a);
    kd_buf_free(&b);
    kd_buf_free(&m);
    return rc;
  }
  return KD_OK;
}

/* mergePatchIntoOriginal for one $setElementOrder/<field> member M;
 * marks the field's patch list done in DONE. */
static int set_element_order(smp *s, kd_value *orig, const kd_value *patch,
                             const kd_member *m, const sim_schema *t,
                             char *done, int depth)
{
  size_t flen;
  const char *field = extract_key(m, ORDER_PREFIX, &flen);
  long oi, pi;
  const kd_value *plist = NULL;
  kd_value *olist = NULL, merged;
  const sim_schema *ft;
  const char *key;
  int rc;
  if (!field || m->val.type != KD_ARR)
    return bad_request(s, "invalid patch format of setElementOrder list");
  ft = sim_schema_child(t, field, flen, NULL);
  key = is_merge_list(ft) ? ft->merge_key : NULL;
  oi = sim_patch_obj_find(orig, field, flen);
  pi = sim_patch_obj_find(patch, field, flen);
  if (oi >= 0) olist = &orig->u.obj.m[oi].val;
  if (pi >= 0) plist = &patch->u.obj.m[pi].val;
  if ((olist && olist->type != KD_ARR) || (plist && plist->type != KD_ARR))
    return internal(s, "expected a []interface {}, but received a %s", NULL,
                    "map[string]interface {}");
  if ((rc = check_order(s, plist, &m->val, key))) return rc;
  if (pi >= 0) done[pi] = 1;
  if (!olist && !plist) return KD_OK;
  if (olist && !plist) {
    if (kd_value_copy(&merged, olist)) return oom(s);
  } else if (!olist) {
    if (take_fresh(plist, &merged)) return oom(s);
    if (merged.type == KD_NULL) kd_value_arr(&merged);
  } else {
    if (kd_value_copy(&merged, olist)) return oom(s);
    if (is_merge_list(ft)) {
      rc = merge_slice(s, &merged, plist, ft, 0, depth);
    } else {
      rc = take_replaced(&merged, plist) ? oom(s) : KD_OK;
    }
    if (rc) {
      kd_value_clear(&merged);
      return rc;
    }
  }
  rc = normalize(s, &merged, &m->val, olist, key);
  if (rc) {
    kd_value_clear(&merged);
    return rc;
  }
  return sim_patch_obj_set(orig, field, flen, &merged) ? KD_OK : oom(s);
}

/* ---- maps ----------------------------------------------------------- */
static int merge_map(smp *s, kd_value *orig, const kd_value *patch,
                     const sim_schema *t, int depth)
{
  const kd_value *d = kd_obj_get(patch, DIRECTIVE, 6);
  const kd_value *retain = kd_obj_get(patch, RETAIN, strlen(RETAIN));
  char *done;
  size_t i;
  int rc = KD_OK;
  if (depth > 1000) return bad_request(s, "invalid JSON document");
  if (d) {
    if (d->type == KD_STR && strcmp(d->u.str.s, "replace") == 0) {
      return take_replaced(orig, patch) ? oom(s) : KD_OK;
    }
    if (d->type == KD_STR && strcmp(d->u.str.s, "delete") == 0) {
      kd_value_clear(orig);
      kd_value_obj(orig);
      return KD_OK;
    }
    {
      kd_buf b = {0};
      if (sim_patch_gofmt(d, &b)) return oom(s);
      rc = internal(s, "unknown patch type: %s in map: %v", patch, b.data);
      kd_buf_free(&b);
      return rc;
    }
  }
  if (orig->type != KD_OBJ) {
    kd_value_clear(orig);
    kd_value_obj(orig);
  }
  if (retain) {   /* applyRetainKeysDirective */
    if (retain->type != KD_ARR)
      return bad_request(s, "invalid patch format of retainKeys");
    for (i = 0; i < orig->u.obj.len;) {
      kd_value k;
      kd_member *om = &orig->u.obj.m[i];
      k.type = KD_STR;
      k.u.str.s = om->key;
      k.u.str.len = om->klen;
      if (index_of(retain->u.arr.items, retain->u.arr.len, &k, NULL) < 0) {
        sim_patch_obj_del(orig, i);
        continue;
      }
      i++;
    }
  }
  if (!(done = calloc(patch->u.obj.len + 1, 1))) return oom(s);
  for (i = 0; i < patch->u.obj.len && !rc; i++)
    if (has_prefix(&patch->u.obj.m[i], ORDER_PREFIX))
      rc = set_element_order(s, orig, patch, &patch->u.obj.m[i], t, done,
                             depth);
  for (i = 0; i < patch->u.obj.len && !rc; i++) {
    const kd_member *m = &patch->u.obj.m[i];
    const char *k = m->key;
    size_t klen = m->klen;
    int is_delete = 0;
    long at;
    kd_value *ov;
    const sim_schema *ft;
    if (done[i] || (klen == 6 && memcmp(k, DIRECTIVE, 6) == 0) ||
        (klen == strlen(RETAIN) && memcmp(k, RETAIN, klen) == 0) ||
        has_prefix(m, ORDER_PREFIX))
      continue;
    if (has_prefix(m, DEL_PREFIX)) {
      if (!(k = extract_key(m, DEL_PREFIX, &klen))) {
        rc = bad_request(s, "invalid patch format of primitive list");
        break;
      }
      is_delete = 1;
    }
    at = sim_patch_obj_find(orig, k, klen);
    if (m->val.type == KD_NULL) {
      if (at >= 0) sim_patch_obj_del(orig, (size_t)at);
      continue;
    }
    ov = at >= 0 ? &orig->u.obj.m[at].val : NULL;
    if (!ov || ov->type != m->val.type) {
      kd_value nv;
      if (is_delete) continue;
      if (take_fresh(&m->val, &nv)) {
        rc = oom(s);
        break;
      }
      if (nv.type == KD_NULL) {   /* a $patch map: nothing to add */
        if (at >= 0) sim_patch_obj_del(orig, (size_t)at);
        continue;
      }
      if (!sim_patch_obj_set(orig, k, klen, &nv)) rc = oom(s);
      continue;
    }
    ft = sim_schema_child(t, k, klen, NULL);
    if (ov->type == KD_OBJ) {
      if (ft && ft->smp == SMP_REPLACE && ft->kind != SCH_LIST) {
        if (take_replaced(ov, &m->val)) rc = oom(s);
      } else {
        rc = merge_map(s, ov, &m->val, ft, depth + 1);
      }
    } else if (ov->type == KD_ARR) {
      if (is_merge_list(ft) || is_delete)
        rc = merge_slice(s, ov, &m->val, ft, is_delete, depth);
      else if (take_replaced(ov, &m->val))
        rc = oom(s);
    } else if (take_replaced(ov, &m->val)) {
      rc = oom(s);
    }
  }
  free(done);
  return rc;
}

int sim_patch_smp(const sim_schema *root, const kd_value *live,
                  const kd_value *patch, kd_value *out, kd_value *status,
                  kd_error *err)
{
  smp s = {status, err};
  int rc;
  if (patch->type != KD_OBJ)
    return bad_request(&s, "invalid JSON document");
  if (kd_value_copy(out, live)) return oom(&s);
  rc = merge_map(&s, out, patch, root, 0);
  if (rc) {
    kd_value_clear(out);
    kd_value_null(out);
  }
  return rc;
}
