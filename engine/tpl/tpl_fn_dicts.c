/* engine/tpl/tpl_fn_dicts.c: Sprig's dict functions (dict, get, set,
 * unset, hasKey, pluck, dig, keys, values, pick, omit, merge,
 * mergeOverwrite). Maps are shared like Go maps: set, unset and merge
 * change the map they are given and return it. */
#include "tpl_int.h"

#include <string.h>

#define FN(name) \
  static int name(tpl_call *c, const tpl_val *a, int n, tpl_val *out)

FN(fn_dict)
{
  int i, rc = tpl_map_new(out);
  for (i = 0; i < n && rc == KD_OK; i += 2) {
    kd_buf key = {0};
    tpl_val v = i + 1 < n ? tpl_ref(a[i + 1]) : tpl_nil();
    if (i + 1 >= n && (rc = tpl_str_cstr(&v, "")) != KD_OK) break;
    if ((rc = tpl_strval(a[i], &key)) == KD_OK)
      rc = tpl_map_set(*out, key.data ? key.data : "", key.len, v);
    else tpl_unref(v);
    kd_buf_free(&key);
  }
  return rc;
}

FN(fn_get)
{
  const tpl_val *v = tpl_map_get(a[0], tpl_sdata(a[1]), tpl_slen(a[1]));
  if (v) {
    *out = tpl_ref(*v);
    return KD_OK;
  }
  return tpl_str_cstr(out, "");
}

FN(fn_set)
{
  int rc = tpl_map_set(a[0], tpl_sdata(a[1]), tpl_slen(a[1]), tpl_ref(a[2]));
  *out = tpl_ref(a[0]);
  return rc;
}

FN(fn_unset)
{
  tpl_map_del(a[0], tpl_sdata(a[1]), tpl_slen(a[1]));
  *out = tpl_ref(a[0]);
  return KD_OK;
}

FN(fn_has_key)
{
  *out = tpl_bool(tpl_map_get(a[0], tpl_sdata(a[1]), tpl_slen(a[1])) != NULL);
  return KD_OK;
}

FN(fn_pluck)
{
  int i, rc = tpl_list_new(out, (size_t)n);
  for (i = 1; i < n && rc == KD_OK; i++) {
    const tpl_val *v = tpl_map_get(a[i], tpl_sdata(a[0]), tpl_slen(a[0]));
    if (v) rc = tpl_list_push(*out, tpl_ref(*v));
  }
  return rc;
}

/* dig "a" "b" default dict: Go type-asserts each argument and panics */
FN(fn_dig)
{
  tpl_val d;
  int i;
  if (n < 3) return tpl_call_fail(c, "dig needs at least three arguments");
  d = a[n - 1];
  if (d.kind != TPL_MAP)
    return tpl_call_fail(c, "interface conversion: interface {} is %s, not "
                            "map[string]interface {}", tpl_type_name(d));
  for (i = 0; i < n - 2; i++)
    if (a[i].kind != TPL_STR)
      return tpl_call_fail(c, "interface conversion: interface {} is %s, "
                              "not string", tpl_type_name(a[i]));
  for (i = 0; i < n - 2; i++) {
    const tpl_val *step = tpl_map_get(d, tpl_sdata(a[i]), tpl_slen(a[i]));
    if (!step) {
      *out = tpl_ref(a[n - 2]);
      return KD_OK;
    }
    if (i == n - 3) {
      *out = tpl_ref(*step);
      return KD_OK;
    }
    if (step->kind != TPL_MAP)
      return tpl_call_fail(c, "interface conversion: interface {} is %s, not "
                              "map[string]interface {}",
                           step->kind == TPL_NIL ? "nil"
                                                 : tpl_type_name(*step));
    d = *step;
  }
  *out = tpl_nil();
  return KD_OK;
}

FN(fn_keys)
{
  int i, rc;
  size_t k;
  if ((rc = tpl_list_new(out, 0)) != KD_OK) return rc;
  out->sub = TPL_ELEM_STR;
  for (i = 0; i < n && rc == KD_OK; i++)
    for (k = 0; k < tpl_map_len(a[i]) && rc == KD_OK; k++) {
      size_t klen;
      const char *key = tpl_map_key_at(a[i], k, &klen);
      tpl_val s;
      if ((rc = tpl_str_new(&s, key, klen)) == KD_OK)
        rc = tpl_list_push(*out, s);
    }
  return rc;
}

FN(fn_values)
{
  size_t k, len = tpl_map_len(a[0]);
  int rc = tpl_list_new(out, len);
  for (k = 0; k < len && rc == KD_OK; k++)
    rc = tpl_list_push(*out, tpl_ref(tpl_map_val_at(a[0], k)));
  return rc;
}

static int listed(const tpl_val *a, int n, const char *key, size_t klen)
{
  int i;
  for (i = 1; i < n; i++)
    if (tpl_slen(a[i]) == klen && memcmp(tpl_sdata(a[i]), key, klen) == 0)
      return 1;
  return 0;
}

static int pick_omit(const tpl_val *a, int n, int pick, tpl_val *out)
{
  size_t k, len = tpl_map_len(a[0]);
  int rc = tpl_map_new(out);
  for (k = 0; k < len && rc == KD_OK; k++) {
    size_t klen;
    const char *key = tpl_map_key_at(a[0], k, &klen);
    if (listed(a, n, key, klen) == pick)
      rc = tpl_map_set(*out, key, klen, tpl_ref(tpl_map_val_at(a[0], k)));
  }
  return rc;
}

FN(fn_pick) { return pick_omit(a, n, 1, out); }
FN(fn_omit) { return pick_omit(a, n, 0, out); }

/* mergo.Merge (OVERWRITE 0) / mergo.Merge with WithOverride: nested maps
 * merge into the destination's maps; other values fill keys the
 * destination lacks or holds empty, or all keys when overwriting. */
static int merge_into(tpl_val dst, tpl_val src, int overwrite, int depth)
{
  size_t k, len = tpl_map_len(src);
  int rc = KD_OK;
  if (depth > 10000) return KD_ERANGE;
  for (k = 0; k < len && rc == KD_OK; k++) {
    size_t klen;
    const char *key = tpl_map_key_at(src, k, &klen);
    tpl_val sv = tpl_map_val_at(src, k);
    const tpl_val *dv = tpl_map_get(dst, key, klen);
    if (sv.kind == TPL_NIL) {
      if (overwrite) rc = tpl_map_set(dst, key, klen, tpl_nil());
      continue;
    }
    if (sv.kind == TPL_MAP && dv && dv->kind == TPL_MAP) {
      rc = merge_into(*dv, sv, overwrite, depth + 1);
      continue;
    }
    if (dv && !tpl_empty(*dv) && (sv.kind == TPL_MAP || sv.kind == TPL_LIST) &&
        !overwrite)
      continue;
    if (overwrite || !dv || tpl_empty(*dv))
      rc = tpl_map_set(dst, key, klen, tpl_ref(sv));
  }
  return rc;
}

static int merge(tpl_call *c, const tpl_val *a, int n, int overwrite,
                 tpl_val *out)
{
  int i, rc = KD_OK;
  for (i = 1; i < n && rc == KD_OK; i++) rc = merge_into(a[0], a[i], overwrite, 0);
  if (rc == KD_ERANGE) return tpl_call_fail(c, "value nested too deeply");
  *out = tpl_ref(a[0]);
  return rc;
}

FN(fn_merge) { return merge(c, a, n, 0, out); }
FN(fn_merge_overwrite) { return merge(c, a, n, 1, out); }

const tpl_func_def tpl_fn_dicts[] = {
  {"dict", fn_dict, "a*"},
  {"get", fn_get, "ms"},
  {"set", fn_set, "msa"},
  {"unset", fn_unset, "ms"},
  {"hasKey", fn_has_key, "ms"},
  {"pluck", fn_pluck, "sm*"},
  {"dig", fn_dig, "a*"},
  {"keys", fn_keys, "m*"},
  {"values", fn_values, "m"},
  {"pick", fn_pick, "ms*"},
  {"omit", fn_omit, "ms*"},
  {"merge", fn_merge, "mm*"},
  {"mustMerge", fn_merge, "mm*"},
  {"mergeOverwrite", fn_merge_overwrite, "mm*"},
  {"mustMergeOverwrite", fn_merge_overwrite, "mm*"},
  {NULL, NULL, NULL}};
