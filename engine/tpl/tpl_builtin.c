/* engine/tpl/tpl_builtin.c: Go's template builtins (and, or, not, len,
 * index, slice, print, printf, println, eq, ne, lt, le, gt, ge, html, js,
 * urlquery, call) with Go's rules and error texts. Their parameters are
 * reflect.Value ('v'): they see missing values and nil interfaces. */
#include "tpl_ast.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* In the order of the FN_ ids (tpl_ast.h). NULL fn: handled here. */
const tpl_func_def tpl_builtin_defs[] = {
  {"and", NULL, "vv*"},
  {"or", NULL, "vv*"},
  {"not", NULL, "v"},
  {"len", NULL, "v"},
  {"index", NULL, "vv*"},
  {"slice", NULL, "vv*"},
  {"print", NULL, "a*"},
  {"printf", NULL, "sa*"},
  {"println", NULL, "a*"},
  {"eq", NULL, "vv*"},
  {"ne", NULL, "vv"},
  {"lt", NULL, "vv"},
  {"le", NULL, "vv"},
  {"gt", NULL, "vv"},
  {"ge", NULL, "vv"},
  {"html", NULL, "a*"},
  {"js", NULL, "a*"},
  {"urlquery", NULL, "a*"},
  {"call", NULL, "vv*"},
  {"include", tpl_helm_include, "sa"},
  {"tpl", tpl_helm_tpl, "sa"},
  {"required", tpl_helm_required, "sa"},
  {"fail", tpl_helm_fail, "s"},
  {"lookup", tpl_helm_lookup, "ssss"},
  {NULL, NULL, NULL}};

static int bfail(kd_buf *err, const char *fmt, ...)
#ifdef __GNUC__
  __attribute__((format(printf, 2, 3)))
#endif
  ;

static int bfail(kd_buf *err, const char *fmt, ...)
{
  va_list ap;
  char msg[512];
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  err->len = 0;
  kd_buf_adds(err, msg);
  return KD_EEXEC;
}

/* Go's indirectInterface: a nil interface becomes the invalid value. */
static ev deref(const ev *v)
{
  ev e = *v;
  e.flags = 0;
  return e;
}

static int is_invalid(const ev *v) { return v->v.kind == TPL_NIL; }

/* ---- len, index, slice --------------------------------------------------- */

static int b_len(const ev *a, ev *out, kd_buf *err)
{
  int64_t n;
  tpl_val items;
  int got = tpl_collection(a->v, &items);
  if (got < 0) return got;
  if (got) {   /* a named map or slice type (.Files, APIVersions) */
    ev e;
    e.v = items;
    e.flags = 0;
    int rc = b_len(&e, out, err);
    tpl_unref(items);
    return rc;
  }
  if (a->v.kind == TPL_NIL) {
    if (a->flags & EV_IFACE) return bfail(err, "len of nil pointer");
    return bfail(err, "reflect: call of reflect.Value.Type on zero Value");
  }
  switch (a->v.kind) {
  case TPL_STR: n = (int64_t)tpl_slen(a->v); break;
  case TPL_LIST: n = (int64_t)tpl_list_len(a->v); break;
  case TPL_MAP: n = (int64_t)tpl_map_len(a->v); break;
  default: return bfail(err, "len of type %s", tpl_type_name(a->v));
  }
  out->v = tpl_int(n);
  out->flags = 0;
  return KD_OK;
}

/* Go's indexArg. */
static int index_arg(const ev *idx, size_t cap, int64_t *x, kd_buf *err)
{
  ev i = deref(idx);
  if (i.v.kind == TPL_NIL) return bfail(err, "cannot index slice/array with nil");
  if (i.v.kind != TPL_INT)
    return bfail(err, "cannot index slice/array with type %s", tpl_type_name(i.v));
  if (i.v.u.i < 0 || (uint64_t)i.v.u.i > cap)
    return bfail(err, "index out of range: %lld", (long long)i.v.u.i);
  *x = i.v.u.i;
  return KD_OK;
}

static int b_index(const ev *args, int n, ev *out, kd_buf *err)
{
  ev item = deref(&args[0]);
  int i, rc;
  if (is_invalid(&item)) return bfail(err, "index of untyped nil");
  item.v = tpl_ref(item.v);
  for (i = 1; i < n; i++) {
    ev idx = deref(&args[i]), next;
    if (item.v.kind == TPL_NIL) {
      tpl_unref(item.v);
      return bfail(err, "index of nil pointer");
    }
    tpl_val items;
    int got = tpl_collection(item.v, &items);
    if (got < 0) {
      tpl_unref(item.v);
      return got;
    }
    if (got) {
      tpl_unref(item.v);
      item.v = items;
    }
    switch (item.v.kind) {
    case TPL_LIST: case TPL_STR: {
      int64_t x;
      size_t len = item.v.kind == TPL_LIST ? tpl_list_len(item.v) : tpl_slen(item.v);
      rc = index_arg(&idx, len, &x, err);
      if (rc == KD_OK && (size_t)x == len)
        rc = bfail(err, "reflect: %s index out of range",
                   item.v.kind == TPL_LIST || item.v.sub == TPL_STR_BYTES
                       ? "slice" : "string");
      if (rc != KD_OK) {
        tpl_unref(item.v);
        return rc;
      }
      if (item.v.kind == TPL_LIST) {
        next.v = tpl_ref(tpl_list_at(item.v, (size_t)x));
        next.flags = elem_flags(item.v);
      } else {
        next.v = tpl_int((unsigned char)tpl_sdata(item.v)[x]);   /* a byte */
        next.v.sub = TPL_GO_UINT8;
        next.flags = 0;
      }
      break;
    }
    case TPL_MAP: {
      const tpl_val *v;
      if (idx.v.kind == TPL_NIL) {
        tpl_unref(item.v);
        return bfail(err, "value is nil; should be of type string");
      }
      if (idx.v.kind != TPL_STR) {
        rc = bfail(err, "value has type %s; should be string", tpl_type_name(idx.v));
        tpl_unref(item.v);
        return rc;
      }
      v = tpl_map_get(item.v, tpl_sdata(idx.v), tpl_slen(idx.v));
      next.flags = elem_flags(item.v);
      if (v) {
        next.v = tpl_ref(*v);
      } else if (item.v.sub == TPL_MAPV_STR) {
        rc = tpl_str_new(&next.v, "", 0);   /* the zero string */
        if (rc != KD_OK) {
          tpl_unref(item.v);
          return rc;
        }
      } else {
        next.v = tpl_nil();
      }
      break;
    }
    default:
      rc = bfail(err, "can't index item of type %s", tpl_type_name(item.v));
      tpl_unref(item.v);
      return rc;
    }
    tpl_unref(item.v);
    item = next;
  }
  *out = item;
  return KD_OK;
}

static int b_slice(const ev *args, int n, ev *out, kd_buf *err)
{
  ev item = deref(&args[0]);
  size_t cap;
  int64_t idx[3];
  int i, rc;
  if (is_invalid(&item)) return bfail(err, "slice of untyped nil");
  if (n - 1 > 3) return bfail(err, "too many slice indexes: %d", n - 1);
  switch (item.v.kind) {
  case TPL_STR:   /* a string, or a []byte */
    if (n - 1 == 3 && item.v.sub != TPL_STR_BYTES)
      return bfail(err, "cannot 3-index slice a string");
    cap = tpl_slen(item.v);
    break;
  case TPL_LIST: cap = tpl_list_len(item.v); break;
  default: return bfail(err, "can't slice item of type %s", tpl_type_name(item.v));
  }
  idx[0] = 0;
  idx[1] = (int64_t)cap;
  idx[2] = (int64_t)cap;
  for (i = 1; i < n; i++) {
    rc = index_arg(&args[i], cap, &idx[i - 1], err);
    if (rc != KD_OK) return rc;
  }
  if (idx[0] > idx[1])
    return bfail(err, "invalid slice index: %lld > %lld", (long long)idx[0],
                 (long long)idx[1]);
  if (n - 1 == 3 && idx[1] > idx[2])
    return bfail(err, "invalid slice index: %lld > %lld", (long long)idx[1],
                 (long long)idx[2]);
  out->flags = 0;
  if (item.v.kind == TPL_STR) {
    rc = tpl_str_new(&out->v, tpl_sdata(item.v) + idx[0], (size_t)(idx[1] - idx[0]));
    out->v.sub = item.v.sub;
    return rc;
  }
  rc = tpl_list_new(&out->v, (size_t)(idx[1] - idx[0]));
  if (rc != KD_OK) return rc;
  out->v.sub = item.v.sub;
  for (i = (int)idx[0]; i < idx[1] && rc == KD_OK; i++)
    rc = tpl_list_push(out->v, tpl_ref(tpl_list_at(item.v, (size_t)i)));
  return rc;
}

/* ---- printing ------------------------------------------------------------- */

/* fmt.Sprint (LN: fmt.Sprintln) of the arguments. */
static int sprint(kd_buf *b, const ev *args, int n, int ln)
{
  tpl_val vals[64], *vp = vals;
  int i, rc;
  if (n > 64) {
    vp = malloc((size_t)n * sizeof *vp);
    if (!vp) return KD_ENOMEM;
  }
  for (i = 0; i < n; i++) vp[i] = args[i].v;
  rc = ln ? tpl_sprintln(b, vp, n) : tpl_sprint(b, vp, n);
  if (vp != vals) free(vp);
  return rc;
}

/* Go's evalArgs for html/js/urlquery: a lone string as is, else Sprint
 * with missing values shown as "<no value>". */
static int eval_args(kd_buf *b, const ev *args, int n)
{
  int i, rc = KD_OK, prev_str = 0;
  if (n == 1 && args[0].v.kind == TPL_STR)
    return kd_buf_add(b, tpl_sdata(args[0].v), tpl_slen(args[0].v));
  for (i = 0; i < n && rc == KD_OK; i++) {
    int nil = args[i].v.kind == TPL_NIL;
    int is_str = nil || args[i].v.kind == TPL_STR;
    if (i > 0 && !is_str && !prev_str) rc = kd_buf_addc(b, ' ');
    if (rc == KD_OK) rc = nil ? kd_buf_adds(b, "<no value>") : tpl_fmt_v(b, args[i].v);
    prev_str = is_str;
  }
  return rc;
}

static int html_escape(kd_buf *o, const char *s, size_t n)
{
  size_t i;
  int rc = KD_OK;
  for (i = 0; i < n && rc == KD_OK; i++) {
    switch (s[i]) {
    case 0: rc = kd_buf_adds(o, "\xEF\xBF\xBD"); break;
    case '"': rc = kd_buf_adds(o, "&#34;"); break;
    case '\'': rc = kd_buf_adds(o, "&#39;"); break;
    case '&': rc = kd_buf_adds(o, "&amp;"); break;
    case '<': rc = kd_buf_adds(o, "&lt;"); break;
    case '>': rc = kd_buf_adds(o, "&gt;"); break;
    default: rc = kd_buf_addc(o, s[i]); break;
    }
  }
  return rc;
}

static int js_escape(kd_buf *o, const char *s, size_t n)
{
  static const char hex[] = "0123456789ABCDEF";
  size_t i = 0;
  int rc = KD_OK;
  while (i < n && rc == KD_OK) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80) {
      switch (c) {
      case '\\': rc = kd_buf_adds(o, "\\\\"); break;
      case '\'': rc = kd_buf_adds(o, "\\'"); break;
      case '"': rc = kd_buf_adds(o, "\\\""); break;
      case '<': rc = kd_buf_adds(o, "\\u003C"); break;
      case '>': rc = kd_buf_adds(o, "\\u003E"); break;
      case '&': rc = kd_buf_adds(o, "\\u0026"); break;
      case '=': rc = kd_buf_adds(o, "\\u003D"); break;
      default:
        if (c < ' ') {
          char u[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
          rc = kd_buf_adds(o, u);
        } else {
          rc = kd_buf_addc(o, (char)c);
        }
      }
      i++;
      continue;
    } else {
      int32_t r;
      int w = tpl_utf8_decode(s + i, n - i, &r);
      if (tpl_uc_is(TPL_UC_PRINT, r)) rc = kd_buf_add(o, s + i, (size_t)w);
      else rc = kd_buf_printf(o, "\\u%04X", (unsigned)r);
      i += (size_t)w;
    }
  }
  return rc;
}

/* url.QueryEscape */
static int query_escape(kd_buf *o, const char *s, size_t n)
{
  static const char hex[] = "0123456789ABCDEF";
  size_t i;
  int rc = KD_OK;
  for (i = 0; i < n && rc == KD_OK; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~') {
      rc = kd_buf_addc(o, (char)c);
    } else if (c == ' ') {
      rc = kd_buf_addc(o, '+');
    } else {
      char e[4] = {'%', hex[c >> 4], hex[c & 15], 0};
      rc = kd_buf_adds(o, e);
    }
  }
  return rc;
}

static int b_escaper(int id, const ev *args, int n, ev *out)
{
  kd_buf text = {0}, res = {0};
  int rc = eval_args(&text, args, n);
  const char *s = text.data ? text.data : "";
  if (rc == KD_OK) {
    if (id == FN_HTML) rc = html_escape(&res, s, text.len);
    else if (id == FN_JS) rc = js_escape(&res, s, text.len);
    else rc = query_escape(&res, s, text.len);
  }
  kd_buf_free(&text);
  if (rc != KD_OK) {
    kd_buf_free(&res);
    return rc;
  }
  out->flags = 0;
  return tpl_str_take(&out->v, &res);
}

/* ---- comparisons ---------------------------------------------------------- */

enum { K_INVALID, K_BOOL, K_INT, K_FLOAT, K_STRING };

static int basic_kind(const ev *v)
{
  switch (v->v.kind) {
  case TPL_BOOL: return K_BOOL;
  case TPL_INT: return K_INT;
  case TPL_FLOAT: return K_FLOAT;
  case TPL_STR: return v->v.sub == TPL_STR_BYTES ? K_INVALID : K_STRING;
  default: return K_INVALID;
  }
}

static int str_cmp(tpl_val a, tpl_val b)
{
  size_t la = tpl_slen(a), lb = tpl_slen(b);
  int c = memcmp(tpl_sdata(a), tpl_sdata(b), la < lb ? la : lb);
  if (c) return c;
  return la < lb ? -1 : la > lb;
}

/* Go's reflect.Kind, for canCompare. */
static const char *reflect_kind(const ev *v)
{
  switch (v->v.kind) {
  case TPL_NIL: return "invalid";
  case TPL_LIST: return "slice";
  case TPL_MAP: return "map";
  case TPL_STR: case TPL_OBJ: return tpl_kind_name(v->v);
  default: return tpl_type_name(v->v);
  }
}

static int fail_fmt2(kd_buf *err, const char *fmt, tpl_val a, const char *ta,
                     const char *tb, tpl_val b)
{
  tpl_val args[4];
  int n = 0, rc;
  err->len = 0;
  args[n++] = tpl_ref(a);
  if (tpl_str_cstr(&args[n], ta) == KD_OK) n++;
  if (tb && tpl_str_cstr(&args[n], tb) == KD_OK) n++;
  if (tb) args[n++] = tpl_ref(b);
  rc = tpl_sprintf(err, fmt, strlen(fmt), args, n);
  while (n) tpl_unref(args[--n]);
  return rc == KD_OK ? KD_EEXEC : rc;
}

static int b_eq(const ev *args, int n, int *res, kd_buf *err)
{
  ev a1 = deref(&args[0]);
  int k1 = basic_kind(&a1), i;
  *res = 0;
  if (n < 2) return bfail(err, "missing argument for comparison");
  for (i = 1; i < n; i++) {
    ev a = deref(&args[i]);
    int k2 = basic_kind(&a), truth = 0;
    if (k1 != k2) {
      if (!is_invalid(&a1) && !is_invalid(&a))
        return bfail(err, "incompatible types for comparison: %s and %s",
                     tpl_type_name(a1.v), tpl_type_name(a.v));
    } else {
      switch (k1) {
      case K_BOOL: truth = a1.v.u.b == a.v.u.b; break;
      case K_FLOAT: truth = a1.v.u.f == a.v.u.f; break;
      case K_INT: truth = a1.v.u.i == a.v.u.i; break;
      case K_STRING: truth = str_cmp(a1.v, a.v) == 0; break;
      default:
        if (strcmp(reflect_kind(&a1), reflect_kind(&a)) != 0 && !is_invalid(&a1) &&
            !is_invalid(&a))
          return fail_fmt2(err, "non-comparable types %s: %v, %s: %v", a1.v,
                           tpl_type_name(a1.v), tpl_type_name(a.v), a.v);
        if (is_invalid(&a1) || is_invalid(&a)) {
          truth = is_invalid(&a1) == is_invalid(&a);
        } else if (a.v.kind == TPL_LIST || a.v.kind == TPL_MAP ||
                   a.v.kind == TPL_STR) {   /* []byte */
          return fail_fmt2(err, "non-comparable type %s: %v", a.v,
                           tpl_type_name(a.v), NULL, a.v);
        } else {
          truth = a1.v.u.o == a.v.u.o;   /* objects: the same pointer */
        }
      }
    }
    if (truth) {
      *res = 1;
      return KD_OK;
    }
  }
  return KD_OK;
}

static int b_lt(const ev *x, const ev *y, int *res, kd_buf *err)
{
  ev a = deref(x), b = deref(y);
  int k1 = basic_kind(&a), k2 = basic_kind(&b);
  *res = 0;
  if (k1 == K_INVALID || k2 == K_INVALID) return bfail(err, "invalid type for comparison");
  if (k1 != k2)
    return bfail(err, "incompatible types for comparison: %s and %s",
                 tpl_type_name(a.v), tpl_type_name(b.v));
  switch (k1) {
  case K_BOOL: return bfail(err, "invalid type for comparison");
  case K_FLOAT: *res = a.v.u.f < b.v.u.f; break;
  case K_INT: *res = a.v.u.i < b.v.u.i; break;
  default: *res = str_cmp(a.v, b.v) < 0; break;
  }
  return KD_OK;
}

static int b_compare(int id, const ev *args, int n, ev *out, kd_buf *err)
{
  int r = 0, rc;
  switch (id) {
  case FN_EQ: rc = b_eq(args, n, &r, err); break;
  case FN_NE: rc = b_eq(args, n, &r, err); r = !r; break;
  case FN_LT: rc = b_lt(&args[0], &args[1], &r, err); break;
  case FN_GE: rc = b_lt(&args[0], &args[1], &r, err); r = !r; break;
  case FN_LE: case FN_GT:
    rc = b_lt(&args[0], &args[1], &r, err);
    if (rc == KD_OK && !r) rc = b_eq(args, 2, &r, err);
    if (id == FN_GT) r = !r;
    break;
  default: rc = KD_EINVAL; break;
  }
  if (rc != KD_OK) return rc;
  out->v = tpl_bool(r);
  out->flags = 0;
  return KD_OK;
}

/* ---- dispatch ------------------------------------------------------------- */

int tpl_builtin_call(frame *f, const fn_entry *fe, ev *args, int nargs,
                     ev *out, kd_buf *err)
{
  kd_buf b = {0};
  int rc;
  (void)f;
  out->v = tpl_nil();
  out->flags = 0;
  switch (fe->id) {
  case FN_NOT:
    out->v = tpl_bool(!ev_truth(&args[0]));
    return KD_OK;
  case FN_LEN: return b_len(&args[0], out, err);
  case FN_INDEX: return b_index(args, nargs, out, err);
  case FN_SLICE: return b_slice(args, nargs, out, err);
  case FN_PRINT: case FN_PRINTLN:
    rc = sprint(&b, args, nargs, fe->id == FN_PRINTLN);
    if (rc == KD_OK) return tpl_str_take(&out->v, &b);
    kd_buf_free(&b);
    return rc;
  case FN_PRINTF: {
    tpl_val vals[64], *vp = vals;
    int i;
    if (nargs - 1 > 64) {
      vp = malloc((size_t)(nargs - 1) * sizeof *vp);
      if (!vp) return KD_ENOMEM;
    }
    for (i = 1; i < nargs; i++) vp[i - 1] = args[i].v;
    rc = tpl_sprintf(&b, tpl_sdata(args[0].v), tpl_slen(args[0].v), vp, nargs - 1);
    if (vp != vals) free(vp);
    if (rc == KD_OK) return tpl_str_take(&out->v, &b);
    kd_buf_free(&b);
    return rc;
  }
  case FN_EQ: case FN_NE: case FN_LT: case FN_LE: case FN_GT: case FN_GE:
    return b_compare(fe->id, args, nargs, out, err);
  case FN_HTML: case FN_JS: case FN_URLQUERY:
    return b_escaper(fe->id, args, nargs, out);
  default:
    return bfail(err, "builtin %s is not available here", fe->name);
  }
}
