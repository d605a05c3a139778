/* engine/sim/sim_mpatch.c: interim patch functions for the PATCH handler
 * until engine/sim/sim_patch.h (the full implementation: strategic merge
 * with every built-in kind's merge keys, server-side apply with
 * managedFields) lands. Deliberately small and behind one entry point,
 * sim_mpatch_apply, so the swap is one call site in sim_api.c.
 * What is here: RFC 7386 merge patch; RFC 6902 JSON patch; strategic merge
 * patch with merge keys for the common pod-spec lists and the $patch,
 * $setElementOrder, $retainKeys and $deleteFromPrimitiveList directives
 * handled simply; apply patches merged strategically (no managedFields, no
 * conflicts). */
#include "sim_int.h"
#include "sim_mpatch.h"

#include <stdlib.h>
#include <string.h>

/* ---- RFC 7386 ------------------------------------------------------------*/

static int merge(kd_value *dst, const kd_value *patch, int strategic);

static int merge_obj(kd_value *dst, const kd_value *patch, int strategic)
{
  size_t i;
  if (dst->type != KD_OBJ) {
    kd_value_clear(dst);
    kd_value_obj(dst);
  }
  for (i = 0; i < patch->u.obj.len; i++) {
    const kd_member *m = &patch->u.obj.m[i];
    kd_value *slot;
    if (strategic && m->key[0] == '$') continue;          /* directives */
    if (strategic && (strncmp(m->key, "$setElementOrder/", 17) == 0 ||
                      strncmp(m->key, "$deleteFromPrimitiveList/", 25) == 0))
      continue;
    if (m->val.type == KD_NULL) {
      sim_obj_del(dst, m->key);
      continue;
    }
    slot = kd_obj_get(dst, m->key, m->klen);
    if (!slot) {
      slot = kd_obj_add(dst, m->key, m->klen);
      if (!slot) return KD_ENOMEM;
    }
    if (merge(slot, &m->val, strategic)) return KD_ENOMEM;
  }
  return KD_OK;
}

/* Merge key of a list for strategic merge: items are objects with KEY. */
static const char *merge_key(const kd_value *list)
{
  static const char *const keys[] = {"name", "containerPort", "mountPath",
                                     "devicePath", "ip", "type", "port", NULL};
  size_t k, i;
  if (list->u.arr.len == 0 || list->u.arr.items[0].type != KD_OBJ) return NULL;
  for (k = 0; keys[k]; k++) {
    int all = 1;
    for (i = 0; i < list->u.arr.len && all; i++)
      all = list->u.arr.items[i].type == KD_OBJ &&
            kd_obj_gets(&list->u.arr.items[i], keys[k]) != NULL;
    if (all) return keys[k];
  }
  return NULL;
}

static kd_value *find_by_key(kd_value *list, const char *key,
                             const kd_value *want)
{
  size_t i;
  for (i = 0; i < list->u.arr.len; i++) {
    kd_value *x = kd_obj_gets(&list->u.arr.items[i], key);
    if (x && kd_value_equal(x, want)) return &list->u.arr.items[i];
  }
  return NULL;
}

static int merge_list(kd_value *dst, const kd_value *patch)
{
  const char *key;
  size_t i;
  if (dst->type != KD_ARR || !(key = merge_key(patch)) ||
      (dst->u.arr.len && !merge_key(dst))) {
    kd_value_clear(dst);
    return kd_value_copy(dst, patch);
  }
  for (i = 0; i < patch->u.arr.len; i++) {
    const kd_value *p = &patch->u.arr.items[i];
    const kd_value *kv = kd_obj_gets(p, key);
    const char *dir = sim_str(p, "$patch");
    kd_value *cur = find_by_key(dst, key, kv);
    if (dir && strcmp(dir, "delete") == 0) {
      if (cur) {
        size_t at = (size_t)(cur - dst->u.arr.items);
        kd_value_clear(cur);
        memmove(cur, cur + 1, (dst->u.arr.len - at - 1) * sizeof *cur);
        dst->u.arr.len--;
      }
      continue;
    }
    if (!cur) {
      cur = kd_arr_push(dst);
      if (!cur) return KD_ENOMEM;
      kd_value_obj(cur);
    }
    if (merge(cur, p, 1)) return KD_ENOMEM;
  }
  return KD_OK;
}

static int merge(kd_value *dst, const kd_value *patch, int strategic)
{
  if (patch->type == KD_OBJ) {
    const char *dir = strategic ? sim_str(patch, "$patch") : NULL;
    if (dir && strcmp(dir, "replace") == 0) {
      kd_value_clear(dst);
      if (kd_value_copy(dst, patch)) return KD_ENOMEM;
      sim_obj_del(dst, "$patch");
      return KD_OK;
    }
    return merge_obj(dst, patch, strategic);
  }
  if (strategic && patch->type == KD_ARR) return merge_list(dst, patch);
  kd_value_clear(dst);
  return kd_value_copy(dst, patch);
}

/* ---- RFC 6902 ------------------------------------------------------------*/

/* Resolves a JSON pointer to the parent container and the last token. */
static kd_value *pointer_parent(kd_value *doc, const char *ptr, char **last)
{
  kd_value *cur = doc;
  const char *p = ptr;
  *last = NULL;
  if (*p != '/') return NULL;
  for (;;) {
    const char *end = strchr(p + 1, '/');
    size_t n = end ? (size_t)(end - p - 1) : strlen(p + 1);
    char *tok = malloc(n + 1), *o = tok;
    size_t i;
    if (!tok) return NULL;
    for (i = 0; i < n; i++) {
      char ch = p[1 + i];
      if (ch == '~' && i + 1 < n && (p[2 + i] == '0' || p[2 + i] == '1')) {
        *o++ = p[2 + i] == '0' ? '~' : '/';
        i++;
      } else {
        *o++ = ch;
      }
    }
    *o = 0;
    if (!end) { *last = tok; return cur; }
    if (cur->type == KD_OBJ) {
      cur = kd_obj_gets(cur, tok);
    } else if (cur->type == KD_ARR) {
      char *e;
      long idx = strtol(tok, &e, 10);
      cur = (*e || !*tok || idx < 0 || (size_t)idx >= cur->u.arr.len)
                ? NULL : &cur->u.arr.items[idx];
    } else {
      cur = NULL;
    }
    free(tok);
    if (!cur) return NULL;
    p = end;
  }
}

static int arr_index(const kd_value *arr, const char *tok, int for_add,
                     size_t *idx)
{
  char *e;
  long i;
  if (for_add && strcmp(tok, "-") == 0) { *idx = arr->u.arr.len; return 1; }
  i = strtol(tok, &e, 10);
  if (*e || !*tok || i < 0) return 0;
  if ((size_t)i > arr->u.arr.len || (!for_add && (size_t)i == arr->u.arr.len))
    return 0;
  *idx = (size_t)i;
  return 1;
}

/* Takes the value at PTR out of DOC into OUT. */
static int jp_remove(kd_value *doc, const char *ptr, kd_value *out)
{
  char *last;
  kd_value *par = pointer_parent(doc, ptr, &last);
  int ok = 0;
  if (par && last) {
    if (par->type == KD_OBJ) {
      kd_value *v = kd_obj_gets(par, last);
      if (v) {
        if (out) { *out = *v; kd_value_null(v); }
        sim_obj_del(par, last);
        ok = 1;
      }
    } else if (par->type == KD_ARR) {
      size_t i;
      if (arr_index(par, last, 0, &i)) {
        kd_value *v = &par->u.arr.items[i];
        if (out) *out = *v;
        else kd_value_clear(v);
        memmove(v, v + 1, (par->u.arr.len - i - 1) * sizeof *v);
        par->u.arr.len--;
        ok = 1;
      }
    }
  }
  free(last);
  return ok;
}

/* Puts VAL (moved) at PTR; REPLACE requires the target to exist. */
static int jp_put(kd_value *doc, const char *ptr, kd_value *val, int replace)
{
  char *last;
  kd_value *par;
  int ok = 0;
  if (!*ptr) {   /* whole document */
    kd_value_clear(doc);
    *doc = *val;
    kd_value_null(val);
    return 1;
  }
  par = pointer_parent(doc, ptr, &last);
  if (par && last) {
    if (par->type == KD_OBJ) {
      kd_value *v = kd_obj_gets(par, last);
      if (!v && !replace) v = kd_obj_add(par, last, strlen(last));
      if (v) {
        kd_value_clear(v);
        *v = *val;
        kd_value_null(val);
        ok = 1;
      }
    } else if (par->type == KD_ARR) {
      size_t i;
      if (arr_index(par, last, !replace, &i)) {
        if (replace) {
          kd_value_clear(&par->u.arr.items[i]);
          par->u.arr.items[i] = *val;
          kd_value_null(val);
          ok = 1;
        } else if (kd_arr_push(par)) {
          kd_value *items = par->u.arr.items;
          memmove(items + i + 1, items + i,
                  (par->u.arr.len - 1 - i) * sizeof *items);
          items[i] = *val;
          kd_value_null(val);
          ok = 1;
        }
      }
    }
  }
  free(last);
  return ok;
}

static const kd_value *jp_get(kd_value *doc, const char *ptr)
{
  char *last;
  kd_value *par, *v = NULL;
  if (!*ptr) return doc;
  par = pointer_parent(doc, ptr, &last);
  if (par && last) {
    size_t i;
    if (par->type == KD_OBJ) v = kd_obj_gets(par, last);
    else if (par->type == KD_ARR && arr_index(par, last, 0, &i))
      v = &par->u.arr.items[i];
  }
  free(last);
  return v;
}

static int json_patch(kd_value *doc, const kd_value *ops, kd_error *err)
{
  size_t i;
  if (ops->type != KD_ARR)
    return kd_error_set(err, KD_EPARSE, "json patch must be an array");
  for (i = 0; i < ops->u.arr.len; i++) {
    const kd_value *op = &ops->u.arr.items[i];
    const char *name = sim_str(op, "op"), *path = sim_str(op, "path");
    const char *from = sim_str(op, "from");
    const kd_value *value = kd_obj_gets(op, "value");
    kd_value tmp;
    int ok = 0;
    kd_value_null(&tmp);
    if (!name || !path)
      return kd_error_set(err, KD_EPARSE, "json patch operation %zu needs "
                          "\"op\" and \"path\"", i);
    if (strcmp(name, "add") == 0 || strcmp(name, "replace") == 0) {
      if (!value) return kd_error_set(err, KD_EPARSE, "missing value");
      kd_value_copy(&tmp, value);
      ok = jp_put(doc, path, &tmp, name[0] == 'r');
    } else if (strcmp(name, "remove") == 0) {
      ok = jp_remove(doc, path, NULL);
    } else if ((strcmp(name, "move") == 0 || strcmp(name, "copy") == 0) &&
               from) {
      if (name[0] == 'm') {
        ok = jp_remove(doc, from, &tmp);
      } else {
        const kd_value *src = jp_get(doc, from);
        ok = src && kd_value_copy(&tmp, src) == KD_OK;
      }
      ok = ok && jp_put(doc, path, &tmp, 0);
    } else if (strcmp(name, "test") == 0) {
      const kd_value *cur = jp_get(doc, path);
      if (!value || !cur || !kd_value_equal(cur, value))
        return kd_error_set(err, KD_EINVAL, "testing value %s failed", path);
      ok = 1;
    } else {
      return kd_error_set(err, KD_EPARSE, "Unexpected kind: %s", name);
    }
    kd_value_clear(&tmp);
    if (!ok)
      return kd_error_set(err, KD_EINVAL, "%s operation does not apply: doc "
                          "is missing path: \"%s\"", name, path);
  }
  return KD_OK;
}

int sim_mpatch_apply(int type, const kd_value *orig, const kd_value *patch,
                     kd_value *out, kd_error *err)
{
  int rc;
  if (kd_value_copy(out, orig ? orig : &(kd_value){0}) != KD_OK)
    return kd_error_set(err, KD_ENOMEM, "out of memory");
  switch (type) {
  case SIM_PATCH_JSON:
    rc = json_patch(out, patch, err);
    break;
  case SIM_PATCH_MERGE:
  case SIM_PATCH_STRATEGIC:
  case SIM_PATCH_APPLY:
    if (patch->type != KD_OBJ) {
      rc = kd_error_set(err, KD_EPARSE, "patch must be an object");
      break;
    }
    rc = merge(out, patch, type != SIM_PATCH_MERGE) ? kd_error_set(
             err, KD_ENOMEM, "out of memory") : KD_OK;
    break;
  default:
    rc = kd_error_set(err, KD_EINVAL, "unknown patch type");
  }
  if (rc) kd_value_clear(out);
  return rc;
}
