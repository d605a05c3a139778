/* engine/tpl/tpl_fn_util.c: helpers shared by the function families:
 * Sprig's empty and strval, Go's strconv number parsing, spf13/cast's
 * conversions, reflect.DeepEqual. */
#include "tpl_ast.h"   /* lit_underscore_ok: strconv's underscoreOK */
#include "tpl_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int tpl_empty(tpl_val v)
{
  return v.kind == TPL_OBJ ? 0 : !tpl_truth(v);
}

int tpl_strval(tpl_val v, kd_buf *b)
{
  if (v.kind == TPL_STR) return kd_buf_add(b, tpl_sdata(v), tpl_slen(v));
  if (v.kind == TPL_OBJ && tpl_obj_class(v)->print)
    return tpl_obj_class(v)->print(v.u.o, b);
  return tpl_fmt_v(b, v);
}

int tpl_strval_new(tpl_val v, tpl_val *out)
{
  kd_buf b = {0};
  int rc;
  if (v.kind == TPL_STR) {
    *out = tpl_ref(v);
    out->sub = TPL_STR_PLAIN;   /* []byte: string(v), the same bytes */
    return KD_OK;
  }
  if ((rc = tpl_strval(v, &b)) != KD_OK) {
    kd_buf_free(&b);
    *out = tpl_nil();
    return rc;
  }
  return tpl_str_take(out, &b);
}

/* ---- strconv ------------------------------------------------------------ */

static int lower(int c) { return c | 0x20; }

/* strconv.ParseUint(S, BASE, 64) */
static int parse_uint(const char *s0, size_t n0, int base, uint64_t *out)
{
  const char *s = s0;
  size_t n = n0, i;
  int base0 = base == 0, underscores = 0;
  uint64_t v = 0;
  *out = 0;
  if (n == 0) return KD_EPARSE;
  if (base0) {
    base = 10;
    if (s[0] == '0') {
      if (n >= 3 && lower(s[1]) == 'b') base = 2, s += 2, n -= 2;
      else if (n >= 3 && lower(s[1]) == 'o') base = 8, s += 2, n -= 2;
      else if (n >= 3 && lower(s[1]) == 'x') base = 16, s += 2, n -= 2;
      else base = 8, s++, n--;
    }
  }
  for (i = 0; i < n; i++) {
    int c = (unsigned char)s[i], d;
    if (c == '_' && base0) {
      underscores = 1;
      continue;
    }
    if (c >= '0' && c <= '9') d = c - '0';
    else if (lower(c) >= 'a' && lower(c) <= 'z') d = lower(c) - 'a' + 10;
    else return KD_EPARSE;
    if (d >= base) return KD_EPARSE;
    if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) {
      *out = UINT64_MAX;
      /* Go keeps scanning for syntax errors before reporting the range */
      for (i++; i < n; i++) {
        c = (unsigned char)s[i];
        if (c == '_' && base0) continue;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (lower(c) >= 'a' && lower(c) <= 'z') d = lower(c) - 'a' + 10;
        else return KD_EPARSE;
        if (d >= base) return KD_EPARSE;
      }
      return KD_ERANGE;
    }
    v = v * (uint64_t)base + (uint64_t)d;
  }
  if (underscores && !lit_underscore_ok(s0, n0)) return KD_EPARSE;
  *out = v;
  return KD_OK;
}

int tpl_parse_int(const char *s, size_t n, int base, int64_t *out)
{
  int neg = 0, rc;
  uint64_t u;
  *out = 0;
  if (n == 0) return KD_EPARSE;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    s++;
    n--;
  }
  rc = parse_uint(s, n, base, &u);
  if (rc == KD_EPARSE) return rc;
  if (rc == KD_ERANGE || (!neg && u > (uint64_t)INT64_MAX) ||
      (neg && u > (uint64_t)INT64_MAX + 1)) {
    *out = neg ? INT64_MIN : INT64_MAX;
    return KD_ERANGE;
  }
  *out = neg ? (int64_t)(0 - u) : (int64_t)u;
  return KD_OK;
}

static size_t prefix_ci(const char *s, size_t n, const char *word)
{
  size_t i;
  for (i = 0; i < n && word[i]; i++)
    if (lower((unsigned char)s[i]) != word[i]) break;
  return i;
}

/* Go's float syntax: [sign] (digits [. digits] | . digits) [e [sign] digits]
 * or 0x hexdigits [. hexdigits] p [sign] digits, with '_' separators. */
static int float_syntax(const char *s, size_t n)
{
  size_t i = 0;
  int hex = 0, digits = 0, point = 0, underscores = 0;
  if (i < n && (s[i] == '+' || s[i] == '-')) i++;
  if (i + 2 <= n && s[i] == '0' && lower(s[i + 1]) == 'x') {
    hex = 1;
    i += 2;
  }
  for (; i < n; i++) {
    int c = (unsigned char)s[i];
    if (c == '_') underscores = 1;
    else if (c == '.') {
      if (point) return 0;
      point = 1;
    } else if ((c >= '0' && c <= '9') ||
               (hex && lower(c) >= 'a' && lower(c) <= 'f')) {
      digits = 1;
    } else {
      break;
    }
  }
  if (!digits) return 0;
  if (i < n && lower(s[i]) == (hex ? 'p' : 'e')) {
    int edigits = 0;
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    for (; i < n; i++) {
      if (s[i] == '_') underscores = 1;
      else if (s[i] >= '0' && s[i] <= '9') edigits = 1;
      else break;
    }
    if (!edigits) return 0;
  } else if (hex) {
    return 0;   /* hex floats need their exponent */
  }
  if (i != n) return 0;
  return !underscores || lit_underscore_ok(s, n);
}

int tpl_parse_float(const char *s, size_t n, double *out)
{
  size_t i, k, off = 0;
  char *tmp;
  double f;
  *out = 0;
  if (n == 0) return KD_EPARSE;
  /* inf, infinity, nan (any case), signs only for inf */
  if (s[0] == '+' || s[0] == '-') off = 1;
  k = prefix_ci(s + off, n - off, "infinity");
  if ((k == 3 || k == 8) && off + k == n) {
    *out = s[0] == '-' ? -INFINITY : INFINITY;
    return KD_OK;
  }
  if (!off && n == 3 && prefix_ci(s, n, "nan") == 3) {
    *out = NAN;
    return KD_OK;
  }
  if (!float_syntax(s, n)) return KD_EPARSE;
  if (!(tmp = malloc(n + 1))) return KD_ENOMEM;
  for (i = k = 0; i < n; i++)
    if (s[i] != '_') tmp[k++] = s[i];
  tmp[k] = 0;
  errno = 0;
  f = strtod(tmp, NULL);
  free(tmp);
  *out = f;
  if (errno == ERANGE && isinf(f)) return KD_ERANGE;
  return KD_OK;
}

/* ---- spf13/cast --------------------------------------------------------- */

int64_t tpl_f2i(double f)
{
  if (isnan(f) || f >= 9223372036854775808.0 || f < -9223372036854775808.0)
    return INT64_MIN;
  return (int64_t)f;
}

/* cast's trimZeroDecimal: "12.000" -> "12", "1.5" stays */
static size_t trim_zero_decimal(const char *s, size_t n)
{
  size_t i;
  int zero = 0;
  for (i = n; i > 0; i--) {
    if (s[i - 1] == '.') {
      if (zero) return i - 1;
    } else if (s[i - 1] == '0') {
      zero = 1;
    } else {
      return n;
    }
  }
  return n;
}

int tpl_cast_int64(tpl_val v, int64_t *out)
{
  *out = 0;
  switch (v.kind) {
  case TPL_NIL: return KD_OK;
  case TPL_BOOL: *out = v.u.b; return KD_OK;
  case TPL_INT: *out = v.u.i; return KD_OK;
  case TPL_FLOAT: *out = tpl_f2i(v.u.f); return KD_OK;
  case TPL_STR: {
    int64_t i;
    if (tpl_parse_int(tpl_sdata(v), trim_zero_decimal(tpl_sdata(v),
                                                      tpl_slen(v)), 0, &i))
      return KD_ETYPE;
    *out = i;
    return KD_OK;
  }
  default: return KD_ETYPE;
  }
}

int tpl_cast_float64(tpl_val v, double *out)
{
  *out = 0;
  switch (v.kind) {
  case TPL_NIL: return KD_OK;
  case TPL_BOOL: *out = v.u.b; return KD_OK;
  case TPL_INT: *out = (double)v.u.i; return KD_OK;
  case TPL_FLOAT: *out = v.u.f; return KD_OK;
  case TPL_STR: {
    double f;
    if (tpl_parse_float(tpl_sdata(v), tpl_slen(v), &f)) return KD_ETYPE;
    *out = f;
    return KD_OK;
  }
  default: return KD_ETYPE;
  }
}

/* ---- reflect.DeepEqual and lists ---------------------------------------- */

static int deep_equal(tpl_val a, tpl_val b, int depth)
{
  size_t i, n;
  if (a.kind != b.kind) return 0;
  if (depth > 10000) return 0;
  switch (a.kind) {
  case TPL_NIL: return 1;
  case TPL_BOOL: return a.u.b == b.u.b;
  case TPL_INT: return a.sub == b.sub && a.u.i == b.u.i;
  case TPL_FLOAT: return a.u.f == b.u.f;
  case TPL_STR:
    return tpl_slen(a) == tpl_slen(b) &&
           memcmp(tpl_sdata(a), tpl_sdata(b), tpl_slen(a)) == 0;
  case TPL_LIST:
    n = tpl_list_len(a);
    if (a.sub != b.sub || n != tpl_list_len(b)) return 0;
    if (a.u.l == b.u.l) return 1;
    for (i = 0; i < n; i++)
      if (!deep_equal(tpl_list_at(a, i), tpl_list_at(b, i), depth + 1)) return 0;
    return 1;
  case TPL_MAP:
    n = tpl_map_len(a);
    if (n != tpl_map_len(b)) return 0;
    if (a.u.m == b.u.m) return 1;
    for (i = 0; i < n; i++) {   /* both sorted by key */
      size_t ka, kb;
      const char *x = tpl_map_key_at(a, i, &ka), *y = tpl_map_key_at(b, i, &kb);
      if (ka != kb || memcmp(x, y, ka) != 0) return 0;
      if (!deep_equal(tpl_map_val_at(a, i), tpl_map_val_at(b, i), depth + 1))
        return 0;
    }
    return 1;
  case TPL_OBJ: {
    kd_buf x = {0}, y = {0};
    int eq;
    if (a.u.o == b.u.o) return 1;
    if (tpl_obj_class(a) != tpl_obj_class(b)) return 0;
    tpl_strval(a, &x);
    tpl_strval(b, &y);
    eq = x.len == y.len && (x.len == 0 || memcmp(x.data, y.data, x.len) == 0);
    kd_buf_free(&x);
    kd_buf_free(&y);
    return eq;
  }
  default: return 0;
  }
}

int tpl_deep_equal(tpl_val a, tpl_val b) { return deep_equal(a, b, 0); }

int tpl_list_copy(tpl_val l, size_t from, size_t to, tpl_val *out)
{
  size_t i;
  int rc;
  if ((rc = tpl_list_new(out, to > from ? to - from : 0)) != KD_OK) return rc;
  for (i = from; i < to; i++)
    if ((rc = tpl_list_push(*out, tpl_ref(tpl_list_at(l, i)))) != KD_OK) {
      tpl_unref(*out);
      *out = tpl_nil();
      return rc;
    }
  return KD_OK;
}
