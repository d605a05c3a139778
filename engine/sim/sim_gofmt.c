/* engine/sim/sim_gofmt.c: Go's fmt renderings that kube puts in the
 * messages of rejected patches: %v of decoded JSON (maps as map[k:v ...]
 * with sorted keys, slices as [a b], integers as ints since apimachinery's
 * JSON decoder makes integral numbers int64, other numbers as float64 %v)
 * and strconv.Quote (%q). */
#include "sim_int.h"

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
    if (v->u.obj.len && !(m = malloc(v->u.obj.len * sizeof *m)))
      return KD_ENOMEM;
    for (i = 0; i < v->u.obj.len; i++) m[i] = &v->u.obj.m[i];
    if (m) qsort(m, v->u.obj.len, sizeof *m, key_cmp);
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

/* Length of the valid UTF-8 sequence at P (at most N bytes), 0 if none. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
  size_t len, i;
  if (p[0] < 0xc2 || p[0] > 0xf4) return 0;
  len = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
  if (len > n) return 0;
  for (i = 1; i < len; i++)
    if ((p[i] & 0xc0) != 0x80) return 0;
  if (len == 3 && p[0] == 0xe0 && p[1] < 0xa0) return 0;
  if (len == 3 && p[0] == 0xed && p[1] > 0x9f) return 0;  /* surrogates */
  if (len == 4 && p[0] == 0xf0 && p[1] < 0x90) return 0;
  if (len == 4 && p[0] == 0xf4 && p[1] > 0x8f) return 0;
  return len;
}

int sim_go_quote(const char *s, size_t n, kd_buf *b)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  int rc = kd_buf_addc(b, '"');
  while (i < n && !rc) {
    unsigned char ch = p[i];
    size_t ul;
    const char *esc = NULL;
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
    } else if ((ul = utf8_len(p + i, n - i)) != 0) {
      rc = kd_buf_add(b, p + i, ul);  /* printable runes kept, as Go does */
      i += ul;
    } else {
      rc = kd_buf_printf(b, "\\x%02x", ch);
      i++;
    }
  }
  return rc ? rc : kd_buf_addc(b, '"');
}
