/* engine/tpl/tpl_fn_core.c: Sprig's defaults (default, empty, coalesce,
 * all, any, compact, ternary, deepCopy), reflection (typeOf, kindOf ...,
 * deepEqual) and type conversion (toString, toStrings, atoi, int, int64,
 * float64, toDecimal). */
#include "tpl_int.h"

#include <string.h>

#define FN(name) \
  static int name(tpl_call *c, const tpl_val *a, int n, tpl_val *out)

/* Go's reflect.TypeOf(nil).Kind() panics; templates recover it as this */
int tpl_nil_deref(tpl_call *c)
{
  return tpl_call_fail(c, "runtime error: invalid memory address or nil "
                          "pointer dereference");
}

/* ---- defaults ----------------------------------------------------------- */

FN(fn_default)
{
  if (n < 2 || tpl_empty(a[1])) *out = tpl_ref(a[0]);
  else *out = tpl_ref(a[1]);
  return KD_OK;
}

FN(fn_empty)
{
  *out = tpl_bool(tpl_empty(a[0]));
  return KD_OK;
}

FN(fn_coalesce)
{
  int i;
  *out = tpl_nil();
  for (i = 0; i < n; i++)
    if (!tpl_empty(a[i])) {
      *out = tpl_ref(a[i]);
      break;
    }
  return KD_OK;
}

FN(fn_all)
{
  int i;
  for (i = 0; i < n; i++)
    if (tpl_empty(a[i])) break;
  *out = tpl_bool(i == n);
  return KD_OK;
}

FN(fn_any)
{
  int i;
  for (i = 0; i < n; i++)
    if (!tpl_empty(a[i])) break;
  *out = tpl_bool(i < n);
  return KD_OK;
}

FN(fn_compact)
{
  size_t i, len = tpl_list_len(a[0]);
  int rc;
  if (a[0].kind == TPL_NIL) return tpl_nil_deref(c);
  if (a[0].kind != TPL_LIST)
    return tpl_call_fail(c, "Cannot compact on type %s", tpl_kind_name(a[0]));
  if ((rc = tpl_list_new(out, len)) != KD_OK) return rc;
  for (i = 0; i < len && rc == KD_OK; i++) {
    tpl_val item = tpl_list_at(a[0], i);
    if (!tpl_empty(item)) rc = tpl_list_push(*out, tpl_ref(item));
  }
  return rc;
}

FN(fn_ternary)
{
  *out = tpl_ref(a[2].u.b ? a[0] : a[1]);
  return KD_OK;
}

/* copystructure.Copy: maps and lists copied all the way down */
static int deep_copy(tpl_val v, tpl_val *out, int depth)
{
  size_t i, len;
  int rc = KD_OK;
  if (depth > 10000) return KD_ERANGE;
  if (v.kind == TPL_LIST) {
    len = tpl_list_len(v);
    if ((rc = tpl_list_new(out, len)) != KD_OK) return rc;
    out->sub = v.sub;
    for (i = 0; i < len && rc == KD_OK; i++) {
      tpl_val item;
      if ((rc = deep_copy(tpl_list_at(v, i), &item, depth + 1)) == KD_OK)
        rc = tpl_list_push(*out, item);
    }
  } else if (v.kind == TPL_MAP) {
    len = tpl_map_len(v);
    if ((rc = tpl_map_new(out)) != KD_OK) return rc;
    for (i = 0; i < len && rc == KD_OK; i++) {
      size_t klen;
      const char *k = tpl_map_key_at(v, i, &klen);
      tpl_val item;
      if ((rc = deep_copy(tpl_map_val_at(v, i), &item, depth + 1)) == KD_OK)
        rc = tpl_map_set(*out, k, klen, item);
    }
  } else {
    *out = tpl_ref(v);
  }
  if (rc) {
    tpl_unref(*out);
    *out = tpl_nil();
  }
  return rc;
}

FN(fn_deep_copy)
{
  int rc;
  if (a[0].kind == TPL_NIL)
    return tpl_call_fail(c, "reflect: call of reflect.Value.Type on zero "
                            "Value");
  rc = deep_copy(a[0], out, 0);
  if (rc == KD_ERANGE) return tpl_call_fail(c, "value nested too deeply");
  if (rc == KD_OK && a[0].kind == TPL_MAP) out->sub = a[0].sub;   /* type kept */
  return rc;
}

/* ---- reflection --------------------------------------------------------- */

FN(fn_type_of) { return tpl_str_cstr(out, tpl_type_name(a[0])); }

FN(fn_kind_of) { return tpl_str_cstr(out, tpl_kind_name(a[0])); }

static int name_is(tpl_val want, const char *got)
{
  return tpl_slen(want) == strlen(got) && strcmp(tpl_sdata(want), got) == 0;
}

FN(fn_type_is)
{
  *out = tpl_bool(name_is(a[0], tpl_type_name(a[1])));
  return KD_OK;
}

FN(fn_type_is_like)
{
  const char *t = tpl_type_name(a[1]);
  *out = tpl_bool(name_is(a[0], t) ||
                  (t[0] == '*' && name_is(a[0], t + 1)));
  return KD_OK;
}

FN(fn_kind_is)
{
  *out = tpl_bool(name_is(a[0], tpl_kind_name(a[1])));
  return KD_OK;
}

FN(fn_deep_equal)
{
  *out = tpl_bool(tpl_deep_equal(a[0], a[1]));
  return KD_OK;
}

/* ---- conversion --------------------------------------------------------- */

FN(fn_to_string) { return tpl_strval_new(a[0], out); }

/* Sprig's strslice: []string from a list (nils dropped) or one value */
FN(fn_to_strings)
{
  size_t i, len;
  int rc;
  if (a[0].kind == TPL_LIST && a[0].sub == TPL_ELEM_STR) {
    *out = tpl_ref(a[0]);
    return KD_OK;
  }
  if ((rc = tpl_list_new(out, tpl_list_len(a[0]))) != KD_OK) return rc;
  out->sub = TPL_ELEM_STR;
  if (a[0].kind != TPL_LIST) {
    tpl_val s;
    if (a[0].kind == TPL_NIL) return KD_OK;
    if ((rc = tpl_strval_new(a[0], &s)) == KD_OK) rc = tpl_list_push(*out, s);
    return rc;
  }
  len = tpl_list_len(a[0]);
  for (i = 0; i < len && rc == KD_OK; i++) {
    tpl_val item = tpl_list_at(a[0], i), s;
    if (item.kind == TPL_NIL) continue;
    if ((rc = tpl_strval_new(item, &s)) == KD_OK) rc = tpl_list_push(*out, s);
  }
  return rc;
}

/* strconv.Atoi, errors ignored */
FN(fn_atoi)
{
  int64_t i = 0;
  const char *s = tpl_sdata(a[0]);
  size_t len = tpl_slen(a[0]), k = (len && (s[0] == '+' || s[0] == '-'));
  /* Atoi is decimal only: no prefixes, no underscores */
  /* a range error keeps Go's clamped value, a syntax error gives 0 */
  if (k == len || strspn(s + k, "0123456789") != len - k ||
      tpl_parse_int(s, len, 10, &i) == KD_EPARSE)
    i = 0;
  *out = tpl_int(i);
  return KD_OK;
}

FN(fn_int)
{
  int64_t i;
  tpl_cast_int64(a[0], &i);
  *out = tpl_int(i);
  return KD_OK;
}

FN(fn_int64)
{
  int64_t i;
  tpl_cast_int64(a[0], &i);
  *out = tpl_int64(i);
  return KD_OK;
}

FN(fn_float64)
{
  double f;
  tpl_cast_float64(a[0], &f);
  *out = tpl_float(f);
  return KD_OK;
}

/* toDecimal: fmt.Sprint(v) read as an octal number, 0 on error */
FN(fn_to_decimal)
{
  kd_buf b = {0};
  int64_t i = 0;
  int rc = tpl_fmt_v(&b, a[0]);
  if (rc == KD_OK && tpl_parse_int(b.data ? b.data : "", b.len, 8, &i))
    i = 0;
  kd_buf_free(&b);
  *out = tpl_int64(i);
  return rc;
}

FN(fn_hello) { return tpl_str_cstr(out, "Hello!"); }

const tpl_func_def tpl_fn_core[] = {
  {"default", fn_default, "aa*"},
  {"empty", fn_empty, "a"},
  {"coalesce", fn_coalesce, "a*"},
  {"all", fn_all, "a*"},
  {"any", fn_any, "a*"},
  {"compact", fn_compact, "a"},
  {"mustCompact", fn_compact, "a"},
  {"ternary", fn_ternary, "aab"},
  {"deepCopy", fn_deep_copy, "a"},
  {"mustDeepCopy", fn_deep_copy, "a"},
  {"typeOf", fn_type_of, "a"},
  {"typeIs", fn_type_is, "sa"},
  {"typeIsLike", fn_type_is_like, "sa"},
  {"kindOf", fn_kind_of, "a"},
  {"kindIs", fn_kind_is, "sa"},
  {"deepEqual", fn_deep_equal, "aa"},
  {"toString", fn_to_string, "a"},
  {"toStrings", fn_to_strings, "a"},
  {"atoi", fn_atoi, "s"},
  {"int", fn_int, "a"},
  {"int64", fn_int64, "a"},
  {"float64", fn_float64, "a"},
  {"toDecimal", fn_to_decimal, "a"},
  {"hello", fn_hello, ""},
  {NULL, NULL, NULL}};
