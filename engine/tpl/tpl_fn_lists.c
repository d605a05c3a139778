/* engine/tpl/tpl_fn_lists.c: Sprig's list functions (list, push, first,
 * rest, uniq, slice, concat, chunk, until, seq ...). Like Sprig they take
 * any slice ([]interface {}, []string, []int) and return []interface {}
 * copies; the must* variants return the error the plain ones panic with,
 * and both reach the template as the same error. */
#include "tpl_int.h"

#include <stdio.h>
#include <string.h>

#define FN(name) \
  static int name(tpl_call *c, const tpl_val *a, int n, tpl_val *out)

/* Checks that V is a list; else fails with Sprig's "Cannot WHAT on type
 * KIND" (a nil list is Go's nil-pointer panic in reflect). */
static int need_list(tpl_call *c, tpl_val v, const char *what)
{
  if (v.kind == TPL_LIST) return KD_OK;
  if (v.kind == TPL_NIL) return tpl_nil_deref(c);
  return tpl_call_fail(c, "Cannot %s on type %s", what, tpl_kind_name(v));
}

FN(fn_list)
{
  int i, rc;
  if ((rc = tpl_list_new(out, (size_t)n)) != KD_OK) return rc;
  for (i = 0; i < n && rc == KD_OK; i++) rc = tpl_list_push(*out, tpl_ref(a[i]));
  return rc;
}

FN(fn_push)
{
  int rc;
  if ((rc = need_list(c, a[0], "push")) != KD_OK) return rc;
  if ((rc = tpl_list_copy(a[0], 0, tpl_list_len(a[0]), out)) != KD_OK)
    return rc;
  return tpl_list_push(*out, tpl_ref(a[1]));
}

FN(fn_prepend)
{
  int rc;
  size_t i, len = tpl_list_len(a[0]);
  if ((rc = need_list(c, a[0], "prepend")) != KD_OK) return rc;
  if ((rc = tpl_list_new(out, len + 1)) != KD_OK) return rc;
  rc = tpl_list_push(*out, tpl_ref(a[1]));
  for (i = 0; i < len && rc == KD_OK; i++)
    rc = tpl_list_push(*out, tpl_ref(tpl_list_at(a[0], i)));
  return rc;
}

FN(fn_first)
{
  int rc;
  if ((rc = need_list(c, a[0], "find first")) != KD_OK) return rc;
  *out = tpl_ref(tpl_list_at(a[0], 0));   /* nil when empty */
  return KD_OK;
}

FN(fn_last)
{
  size_t len = tpl_list_len(a[0]);
  int rc;
  if ((rc = need_list(c, a[0], "find last")) != KD_OK) return rc;
  *out = len ? tpl_ref(tpl_list_at(a[0], len - 1)) : tpl_nil();
  return KD_OK;
}

FN(fn_rest)
{
  size_t len = tpl_list_len(a[0]);
  int rc;
  if ((rc = need_list(c, a[0], "find rest")) != KD_OK) return rc;
  return tpl_list_copy(a[0], len ? 1 : 0, len, out);
}

FN(fn_initial)
{
  size_t len = tpl_list_len(a[0]);
  int rc;
  if ((rc = need_list(c, a[0], "find initial")) != KD_OK) return rc;
  return tpl_list_copy(a[0], 0, len ? len - 1 : 0, out);
}

FN(fn_reverse)
{
  size_t i, len = tpl_list_len(a[0]);
  int rc;
  if ((rc = need_list(c, a[0], "find reverse")) != KD_OK) return rc;
  if ((rc = tpl_list_new(out, len)) != KD_OK) return rc;
  for (i = len; i > 0 && rc == KD_OK; i--)
    rc = tpl_list_push(*out, tpl_ref(tpl_list_at(a[0], i - 1)));
  return rc;
}

static int in_list(tpl_val hay, size_t from, size_t to, tpl_val needle)
{
  size_t i;
  for (i = from; i < to; i++)
    if (tpl_deep_equal(needle, tpl_list_at(hay, i))) return 1;
  return 0;
}

FN(fn_uniq)
{
  size_t i, len = tpl_list_len(a[0]);
  int rc;
  if ((rc = need_list(c, a[0], "find uniq")) != KD_OK) return rc;
  if ((rc = tpl_list_new(out, len)) != KD_OK) return rc;
  for (i = 0; i < len && rc == KD_OK; i++) {
    tpl_val item = tpl_list_at(a[0], i);
    if (!in_list(*out, 0, tpl_list_len(*out), item))
      rc = tpl_list_push(*out, tpl_ref(item));
  }
  return rc;
}

FN(fn_without)
{
  size_t i, len = tpl_list_len(a[0]);
  int rc, k;
  if ((rc = need_list(c, a[0], "find without")) != KD_OK) return rc;
  if ((rc = tpl_list_new(out, len)) != KD_OK) return rc;
  for (i = 0; i < len && rc == KD_OK; i++) {
    tpl_val item = tpl_list_at(a[0], i);
    for (k = 1; k < n; k++)
      if (tpl_deep_equal(item, a[k])) break;
    if (k == n) rc = tpl_list_push(*out, tpl_ref(item));
  }
  return rc;
}

FN(fn_has)
{
  int rc;
  if ((rc = need_list(c, a[1], "find has")) != KD_OK) return rc;
  *out = tpl_bool(in_list(a[1], 0, tpl_list_len(a[1]), a[0]));
  return KD_OK;
}

/* Sprig's slice (it shadows Go's builtin in Helm): list[start:end] of the
 * same type; nil for an empty list. */
FN(fn_slice)
{
  int64_t len = (int64_t)tpl_list_len(a[0]), start = 0, end = len;
  int rc;
  if (a[0].kind == TPL_NIL) return tpl_nil_deref(c);
  if (a[0].kind != TPL_LIST)
    return tpl_call_fail(c, "list should be type of slice or array but %s",
                         tpl_kind_name(a[0]));
  if (len == 0) {
    *out = tpl_nil();
    return KD_OK;
  }
  if (n > 1) tpl_cast_int64(a[1], &start);
  if (n > 2) tpl_cast_int64(a[2], &end);
  if (start < 0 || end < start || end > len)
    return tpl_call_fail(c, "reflect.Value.Slice: slice index out of bounds");
  if ((rc = tpl_list_copy(a[0], (size_t)start, (size_t)end, out)) == KD_OK)
    out->sub = a[0].sub;
  return rc;
}

FN(fn_concat)
{
  int i, rc = tpl_list_new(out, 0);
  for (i = 0; i < n && rc == KD_OK; i++) {
    size_t k;
    if (a[i].kind == TPL_NIL) {
      tpl_unref(*out);
      *out = tpl_nil();
      return tpl_nil_deref(c);
    }
    if (a[i].kind != TPL_LIST) {
      tpl_unref(*out);
      *out = tpl_nil();
      return tpl_call_fail(c, "Cannot concat type %s as list",
                           tpl_kind_name(a[i]));
    }
    for (k = 0; k < tpl_list_len(a[i]) && rc == KD_OK; k++)
      rc = tpl_list_push(*out, tpl_ref(tpl_list_at(a[i], k)));
  }
  return rc;
}

FN(fn_chunk)
{
  int64_t size = a[0].u.i, len, chunks, i;
  int rc;
  if (a[1].kind == TPL_NIL) return tpl_nil_deref(c);
  if (a[1].kind != TPL_LIST)
    return tpl_call_fail(c, "Cannot chunk type %s", tpl_kind_name(a[1]));
  len = (int64_t)tpl_list_len(a[1]);
  if (size <= 0) {
    if (size == 0 && len > 0)
      return tpl_call_fail(c, "runtime error: integer divide by zero");
    if (len == 0 || size == 0) size = 1;
  }
  chunks = len == 0 ? 0 : (len - 1) / size + 1;
  if ((rc = tpl_list_new(out, (size_t)chunks)) != KD_OK) return rc;
  out->sub = TPL_ELEM_LIST;
  for (i = 0; i < chunks && rc == KD_OK; i++) {
    int64_t from = i * size, to = from + size;
    tpl_val part;
    if (to > len) to = len;
    if ((rc = tpl_list_copy(a[1], (size_t)from, (size_t)to, &part)) == KD_OK)
      rc = tpl_list_push(*out, part);
  }
  return rc;
}

/* untilStep as Sprig: a []int from START towards STOP by STEP */
static int until_step(int64_t start, int64_t stop, int64_t step,
                      tpl_val *out)
{
  int64_t i;
  int rc = tpl_list_new(out, 0);
  if (rc) return rc;
  out->sub = TPL_ELEM_INT;
  if (stop < start) {
    if (step >= 0) return KD_OK;
    for (i = start; i > stop && rc == KD_OK; i += step)
      rc = tpl_list_push(*out, tpl_int(i));
    return rc;
  }
  if (step <= 0) return KD_OK;
  for (i = start; i < stop && rc == KD_OK; i += step)
    rc = tpl_list_push(*out, tpl_int(i));
  return rc;
}

FN(fn_until)
{
  return until_step(0, a[0].u.i, a[0].u.i < 0 ? -1 : 1, out);
}

FN(fn_until_step) { return until_step(a[0].u.i, a[1].u.i, a[2].u.i, out); }

FN(fn_seq)
{
  int64_t start = 1, end, step = 1, inc = 1;
  tpl_val l;
  kd_buf b = {0};
  size_t i;
  int rc;
  switch (n) {
  case 1:
    end = a[0].u.i;
    if (end < start) inc = step = -1;
    break;
  case 2:
    start = a[0].u.i;
    end = a[1].u.i;
    if (end < start) inc = step = -1;
    break;
  case 3:   /* seq FIRST INCREMENT LAST, as GNU seq */
    start = a[0].u.i;
    step = a[1].u.i;
    end = a[2].u.i;
    if (end < start) {
      inc = -1;
      if (step > 0) return tpl_str_cstr(out, "");
    }
    break;
  default:
    return tpl_str_cstr(out, "");
  }
  if ((rc = until_step(start, end + inc, step, &l)) != KD_OK) return rc;
  for (i = 0; i < tpl_list_len(l) && rc == KD_OK; i++)
    rc = kd_buf_printf(&b, i ? " %lld" : "%lld",
                       (long long)tpl_list_at(l, i).u.i);
  tpl_unref(l);
  if (rc) {
    kd_buf_free(&b);
    return rc;
  }
  return tpl_str_take(out, &b);
}

const tpl_func_def tpl_fn_lists[] = {
  {"list", fn_list, "a*"},
  {"tuple", fn_list, "a*"},
  {"append", fn_push, "aa"},
  {"push", fn_push, "aa"},
  {"mustAppend", fn_push, "aa"},
  {"mustPush", fn_push, "aa"},
  {"prepend", fn_prepend, "aa"},
  {"mustPrepend", fn_prepend, "aa"},
  {"first", fn_first, "a"},
  {"mustFirst", fn_first, "a"},
  {"rest", fn_rest, "a"},
  {"mustRest", fn_rest, "a"},
  {"last", fn_last, "a"},
  {"mustLast", fn_last, "a"},
  {"initial", fn_initial, "a"},
  {"mustInitial", fn_initial, "a"},
  {"reverse", fn_reverse, "a"},
  {"mustReverse", fn_reverse, "a"},
  {"uniq", fn_uniq, "a"},
  {"mustUniq", fn_uniq, "a"},
  {"without", fn_without, "aa*"},
  {"mustWithout", fn_without, "aa*"},
  {"has", fn_has, "aa"},
  {"mustHas", fn_has, "aa"},
  {"slice", fn_slice, "aa*"},
  {"mustSlice", fn_slice, "aa*"},
  {"concat", fn_concat, "a*"},
  {"chunk", fn_chunk, "ia"},
  {"mustChunk", fn_chunk, "ia"},
  {"until", fn_until, "i"},
  {"untilStep", fn_until_step, "iii"},
  {"seq", fn_seq, "i*"},
  {NULL, NULL, NULL}};
