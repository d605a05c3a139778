/* engine/sim/sim_gofmt.c: Go's fmt renderings that kube puts in the
 * messages of rejected patches: %v of decoded JSON (maps as map[k:v ...]
 * with sorted keys, slices as [a b], integers as ints since apimachinery's
 * JSON decoder makes integral numbers int64, other numbers as float64 %v)
 * and strconv.Quote (%q). */
#include "sim_int.h"
#include "tpl/tpl_int.h"   /* Go's UTF-8 decoding and unicode.IsPrint */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* float64 as Go's %v (strconv 'g', precision -1): the shortest digits
 * that read back as F; the exponent form when the decimal exponent is
 * < -4 or >= 6 (Go uses precision 6 for that choice when shortest). */
static void go_float(kd_buf *b, double f)
{
  char d[40];
  int prec, e;
  char *ep;
  for (prec = 1; prec < 17; prec++) {
    snprintf(d, sizeof d, "%.*e", prec - 1, f);
    if (strtod(d, NULL) == f) break;
  }
  snprintf(d, sizeof d, "%.*e", prec - 1, f);
  ep = strchr(d, 'e');
  if (!ep) {                      /* inf, nan: not in decoded JSON */
    kd_buf_adds(b, d);
    return;
  }
  e = atoi(ep + 1);
  if (e < -4 || e >= 6) {
    *ep = 0;
    kd_buf_printf(b, "%se%c%02d", d, e < 0 ? '-' : '+', abs(e));
  } else {
    kd_buf_printf(b, "%.*f", prec - 1 - e > 0 ? prec - 1 - e : 0, f);
  }
}

static int key_cmp(const void *a, const void *b)
{
  const kd_member *x = *(const kd_member *const *)a;
  const kd_member *y = *(const kd_member *const *)b;
  size_t n = x->klen < y->klen ? x->klen : y->klen;
  int c = memcmp(x->key, y->key, n);
  return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

/* The members of object V by key, as fmt prints a Go map: *OUT is owned
 * (NULL when V is empty). */
static int sorted_members(const kd_value *v, const kd_member ***out)
{
  const kd_member **m = NULL;
  size_t i;
  *out = NULL;
  if (!v->u.obj.len) return KD_OK;
  if (!(m = malloc(v->u.obj.len * sizeof *m))) return KD_ENOMEM;
  for (i = 0; i < v->u.obj.len; i++) m[i] = &v->u.obj.m[i];
  qsort(m, v->u.obj.len, sizeof *m, key_cmp);
  *out = m;
  return KD_OK;
}

int sim_go_value(const kd_value *v, kd_buf *b)
{
  size_t i;
  int rc = KD_OK;
  switch (v->type) {
  case KD_NULL: return kd_buf_adds(b, "<nil>");
  case KD_BOOL: return kd_buf_adds(b, v->u.b ? "true" : "false");
  case KD_INT: return kd_buf_printf(b, "%lld", (long long)v->u.i);
  case KD_FLOAT: go_float(b, v->u.f); return KD_OK;
  case KD_STR: return kd_buf_add(b, v->u.str.s, v->u.str.len);
  case KD_ARR:
    rc = kd_buf_addc(b, '[');
    for (i = 0; i < v->u.arr.len && !rc; i++) {
      if (i) rc = kd_buf_addc(b, ' ');
      if (!rc) rc = sim_go_value(&v->u.arr.items[i], b);
    }
    return rc ? rc : kd_buf_addc(b, ']');
  case KD_OBJ: {
    const kd_member **m = NULL;
    if (sorted_members(v, &m)) return KD_ENOMEM;
    rc = kd_buf_adds(b, "map[");
    for (i = 0; i < v->u.obj.len && !rc; i++) {
      if (i) rc = kd_buf_addc(b, ' ');
      if (!rc) rc = kd_buf_add(b, m[i]->key, m[i]->klen);
      if (!rc) rc = kd_buf_addc(b, ':');
      if (!rc) rc = sim_go_value(&m[i]->val, b);
    }
    free(m);
    return rc ? rc : kd_buf_addc(b, ']');
  }
  }
  return KD_OK;
}

/* %#v of decoded JSON held in an interface{}: Go syntax, maps with sorted
 * keys as map[string]interface {}{"k":v, ...}, slices as
 * []interface {}{a, b}, strings quoted, null as interface {}(nil). */
int sim_go_value_sharp(const kd_value *v, kd_buf *b)
{
  size_t i;
  int rc = KD_OK;
  switch (v->type) {
  case KD_NULL: return kd_buf_adds(b, "interface {}(nil)");
  case KD_STR: return sim_go_quote(v->u.str.s, v->u.str.len, b);
  case KD_ARR:
    rc = kd_buf_adds(b, "[]interface {}{");
    for (i = 0; i < v->u.arr.len && !rc; i++) {
      if (i) rc = kd_buf_adds(b, ", ");
      if (!rc) rc = sim_go_value_sharp(&v->u.arr.items[i], b);
    }
    return rc ? rc : kd_buf_addc(b, '}');
  case KD_OBJ: {
    const kd_member **m = NULL;
    if (sorted_members(v, &m)) return KD_ENOMEM;
    rc = kd_buf_adds(b, "map[string]interface {}{");
    for (i = 0; i < v->u.obj.len && !rc; i++) {
      if (i) rc = kd_buf_adds(b, ", ");
      if (!rc) rc = sim_go_quote(m[i]->key, m[i]->klen, b);
      if (!rc) rc = kd_buf_addc(b, ':');
      if (!rc) rc = sim_go_value_sharp(&m[i]->val, b);
    }
    free(m);
    return rc ? rc : kd_buf_addc(b, '}');
  }
  default: return sim_go_value(v, b);   /* numbers and booleans */
  }
}

/* strconv.Quote's escape of rune R >= U+0080: printable runes (Go's
 * unicode.IsPrint, asked of the Unicode tables the template engine uses
 * for its own %q) stay as they are, others become \uXXXX or \UXXXXXXXX. */
static int quote_rune(kd_buf *b, const char *enc, int w, int32_t r)
{
  if (tpl_uc_is(TPL_UC_PRINT, r)) return kd_buf_add(b, enc, (size_t)w);
  if (r < 0x10000) return kd_buf_printf(b, "\\u%04x", (unsigned)r);
  return kd_buf_printf(b, "\\U%08x", (unsigned)r);
}

int sim_go_quote(const char *s, size_t n, kd_buf *b)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  int rc = kd_buf_addc(b, '"');
  while (i < n && !rc) {
    unsigned char ch = p[i];
    const char *esc = NULL;
    int32_t r;
    int w;
    switch (ch) {
    case '"': esc = "\\\""; break;
    case '\\': esc = "\\\\"; break;
    case '\a': esc = "\\a"; break;
    case '\b': esc = "\\b"; break;
    case '\f': esc = "\\f"; break;
    case '\n': esc = "\\n"; break;
    case '\r': esc = "\\r"; break;
    case '\t': esc = "\\t"; break;
    case '\v': esc = "\\v"; break;
    default: break;
    }
    if (esc) {
      rc = kd_buf_adds(b, esc);
      i++;
    } else if (ch < 0x20 || ch == 0x7f) {
      rc = kd_buf_printf(b, "\\x%02x", ch);
      i++;
    } else if (ch < 0x80) {
      rc = kd_buf_addc(b, (char)ch);
      i++;
    } else if ((w = tpl_utf8_decode(s + i, n - i, &r)) == 1 &&
               r == TPL_RUNE_ERROR) {
      rc = kd_buf_printf(b, "\\x%02x", ch);   /* an invalid byte */
      i++;
    } else {
      rc = quote_rune(b, s + i, w, r);
      i += (size_t)w;
    }
  }
  return rc ? rc : kd_buf_addc(b, '"');
}
