/* engine/tpl/tpl_value.c: Go's dynamic values for the template engine:
 * reference-counted strings, lists, sorted maps and native objects, and
 * their conversion to and from the codecs' kd_value tree. */
#include "tpl.h"

#include <stdlib.h>
#include <string.h>

struct tpl_str {
  int rc;
  size_t len;
  char data[];   /* len bytes + NUL */
};

struct tpl_list {
  int rc;
  size_t len, cap;
  tpl_val *items;
};

typedef struct {
  char *key;     /* NUL-terminated, klen bytes */
  size_t klen;
  tpl_val v;
} map_entry;

struct tpl_map {
  int rc;
  size_t len, cap;
  map_entry *e;  /* sorted by key bytes */
};

struct tpl_obj {
  int rc;
  const tpl_class *cls;
  void *data;
};

#define MAX_DEPTH 10000

/* ---- scalars and references --------------------------------------------- */

tpl_val tpl_nil(void)
{
  tpl_val v;
  memset(&v, 0, sizeof v);
  v.kind = TPL_NIL;
  return v;
}

tpl_val tpl_bool(int b)
{
  tpl_val v = tpl_nil();
  v.kind = TPL_BOOL;
  v.u.b = b != 0;
  return v;
}

tpl_val tpl_int(int64_t i)
{
  tpl_val v = tpl_nil();
  v.kind = TPL_INT;
  v.sub = TPL_GO_INT;
  v.u.i = i;
  return v;
}

tpl_val tpl_int64(int64_t i)
{
  tpl_val v = tpl_int(i);
  v.sub = TPL_GO_INT64;
  return v;
}

tpl_val tpl_uint64(uint64_t u)
{
  tpl_val v = tpl_int((int64_t)u);
  v.sub = TPL_GO_UINT64;
  return v;
}

tpl_val tpl_float(double f)
{
  tpl_val v = tpl_nil();
  v.kind = TPL_FLOAT;
  v.u.f = f;
  return v;
}

tpl_val tpl_ref(tpl_val v)
{
  switch (v.kind) {
  case TPL_STR: v.u.s->rc++; break;
  case TPL_LIST: v.u.l->rc++; break;
  case TPL_MAP: v.u.m->rc++; break;
  case TPL_OBJ: v.u.o->rc++; break;
  default: break;
  }
  return v;
}

static void list_free(tpl_list *l)
{
  size_t i;
  for (i = 0; i < l->len; i++) tpl_unref(l->items[i]);
  free(l->items);
  free(l);
}

static void map_free(tpl_map *m)
{
  size_t i;
  for (i = 0; i < m->len; i++) {
    free(m->e[i].key);
    tpl_unref(m->e[i].v);
  }
  free(m->e);
  free(m);
}

void tpl_unref(tpl_val v)
{
  switch (v.kind) {
  case TPL_STR:
    if (--v.u.s->rc == 0) free(v.u.s);
    break;
  case TPL_LIST:
    if (--v.u.l->rc == 0) list_free(v.u.l);
    break;
  case TPL_MAP:
    if (--v.u.m->rc == 0) map_free(v.u.m);
    break;
  case TPL_OBJ:
    if (--v.u.o->rc == 0) {
      if (v.u.o->cls->free) v.u.o->cls->free(v.u.o->data);
      free(v.u.o);
    }
    break;
  default:
    break;
  }
}

/* ---- strings ------------------------------------------------------------ */

int tpl_str_new(tpl_val *out, const char *s, size_t len)
{
  tpl_str *p;
  *out = tpl_nil();
  if (len > ((size_t)-1) - sizeof *p - 1) return KD_ENOMEM;
  p = malloc(sizeof *p + len + 1);
  if (!p) return KD_ENOMEM;
  p->rc = 1;
  p->len = len;
  if (len) memcpy(p->data, s, len);
  p->data[len] = 0;
  out->kind = TPL_STR;
  out->u.s = p;
  return KD_OK;
}

int tpl_str_cstr(tpl_val *out, const char *s)
{
  return tpl_str_new(out, s ? s : "", s ? strlen(s) : 0);
}

int tpl_str_take(tpl_val *out, kd_buf *b)
{
  int rc = tpl_str_new(out, b->data ? b->data : "", b->len);
  kd_buf_free(b);
  return rc;
}

const char *tpl_sdata(tpl_val v) { return v.kind == TPL_STR ? v.u.s->data : ""; }
size_t tpl_slen(tpl_val v) { return v.kind == TPL_STR ? v.u.s->len : 0; }

/* ---- lists -------------------------------------------------------------- */

int tpl_list_new(tpl_val *out, size_t cap_hint)
{
  tpl_list *l = calloc(1, sizeof *l);
  *out = tpl_nil();
  if (!l) return KD_ENOMEM;
  if (cap_hint) {
    l->items = malloc(cap_hint * sizeof *l->items);
    if (!l->items) {
      free(l);
      return KD_ENOMEM;
    }
    l->cap = cap_hint;
  }
  l->rc = 1;
  out->kind = TPL_LIST;
  out->sub = TPL_ELEM_ANY;
  out->u.l = l;
  return KD_OK;
}

int tpl_list_push(tpl_val list, tpl_val item)
{
  tpl_list *l = list.u.l;
  if (list.kind != TPL_LIST) {
    tpl_unref(item);
    return KD_EINVAL;
  }
  if (l->len == l->cap) {
    size_t ncap = l->cap ? l->cap * 2 : 4;
    tpl_val *n = ncap > ((size_t)-1) / sizeof *n ? NULL
                 : realloc(l->items, ncap * sizeof *n);
    if (!n) {
      tpl_unref(item);
      return KD_ENOMEM;
    }
    l->items = n;
    l->cap = ncap;
  }
  l->items[l->len++] = item;
  return KD_OK;
}

size_t tpl_list_len(tpl_val list)
{
  return list.kind == TPL_LIST ? list.u.l->len : 0;
}

tpl_val tpl_list_at(tpl_val list, size_t i)
{
  if (list.kind != TPL_LIST || i >= list.u.l->len) return tpl_nil();
  return list.u.l->items[i];
}

/* ---- maps --------------------------------------------------------------- */

int tpl_map_new(tpl_val *out)
{
  tpl_map *m = calloc(1, sizeof *m);
  *out = tpl_nil();
  if (!m) return KD_ENOMEM;
  m->rc = 1;
  out->kind = TPL_MAP;
  out->u.m = m;
  return KD_OK;
}

static int key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
  int c = memcmp(a, b, alen < blen ? alen : blen);
  if (c) return c;
  return alen < blen ? -1 : alen > blen;
}

/* Index of KEY in M, or of where it would be inserted (*found = 0). */
static size_t map_find(const tpl_map *m, const char *key, size_t klen,
                       int *found)
{
  size_t lo = 0, hi = m->len;
  *found = 0;
  /* values maps are built in key order more often than not */
  if (m->len && key_cmp(m->e[m->len - 1].key, m->e[m->len - 1].klen, key,
                        klen) < 0)
    return m->len;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = key_cmp(m->e[mid].key, m->e[mid].klen, key, klen);
    if (c == 0) {
      *found = 1;
      return mid;
    }
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

int tpl_map_set(tpl_val map, const char *key, size_t klen, tpl_val v)
{
  tpl_map *m = map.u.m;
  size_t i;
  int found;
  char *k;
  if (map.kind != TPL_MAP) {
    tpl_unref(v);
    return KD_EINVAL;
  }
  i = map_find(m, key, klen, &found);
  if (found) {
    tpl_unref(m->e[i].v);
    m->e[i].v = v;
    return KD_OK;
  }
  if (m->len == m->cap) {
    size_t ncap = m->cap ? m->cap * 2 : 8;
    map_entry *n = ncap > ((size_t)-1) / sizeof *n ? NULL
                   : realloc(m->e, ncap * sizeof *n);
    if (!n) {
      tpl_unref(v);
      return KD_ENOMEM;
    }
    m->e = n;
    m->cap = ncap;
  }
  if (!(k = kd_strndup(key, klen))) {
    tpl_unref(v);
    return KD_ENOMEM;
  }
  memmove(m->e + i + 1, m->e + i, (m->len - i) * sizeof *m->e);
  m->e[i].key = k;
  m->e[i].klen = klen;
  m->e[i].v = v;
  m->len++;
  return KD_OK;
}

int tpl_map_sets(tpl_val map, const char *key, tpl_val v)
{
  return tpl_map_set(map, key, strlen(key), v);
}

const tpl_val *tpl_map_get(tpl_val map, const char *key, size_t klen)
{
  size_t i;
  int found;
  if (map.kind != TPL_MAP) return NULL;
  i = map_find(map.u.m, key, klen, &found);
  return found ? &map.u.m->e[i].v : NULL;
}

const tpl_val *tpl_map_gets(tpl_val map, const char *key)
{
  return tpl_map_get(map, key, strlen(key));
}

void tpl_map_del(tpl_val map, const char *key, size_t klen)
{
  tpl_map *m = map.u.m;
  size_t i;
  int found;
  if (map.kind != TPL_MAP) return;
  i = map_find(m, key, klen, &found);
  if (!found) return;
  free(m->e[i].key);
  tpl_unref(m->e[i].v);
  memmove(m->e + i, m->e + i + 1, (m->len - i - 1) * sizeof *m->e);
  m->len--;
}

size_t tpl_map_len(tpl_val map)
{
  return map.kind == TPL_MAP ? map.u.m->len : 0;
}

const char *tpl_map_key_at(tpl_val map, size_t i, size_t *klen)
{
  if (map.kind != TPL_MAP || i >= map.u.m->len) {
    if (klen) *klen = 0;
    return NULL;
  }
  if (klen) *klen = map.u.m->e[i].klen;
  return map.u.m->e[i].key;
}

tpl_val tpl_map_val_at(tpl_val map, size_t i)
{
  if (map.kind != TPL_MAP || i >= map.u.m->len) return tpl_nil();
  return map.u.m->e[i].v;
}

/* ---- objects ------------------------------------------------------------ */

int tpl_obj_new(tpl_val *out, const tpl_class *cls, void *data)
{
  tpl_obj *o = malloc(sizeof *o);
  *out = tpl_nil();
  if (!o) {
    if (cls->free) cls->free(data);
    return KD_ENOMEM;
  }
  o->rc = 1;
  o->cls = cls;
  o->data = data;
  out->kind = TPL_OBJ;
  out->u.o = o;
  return KD_OK;
}

const tpl_class *tpl_obj_class(tpl_val v)
{
  return v.kind == TPL_OBJ ? v.u.o->cls : NULL;
}

void *tpl_obj_data(tpl_val v) { return v.kind == TPL_OBJ ? v.u.o->data : NULL; }

/* ---- kd_value conversion ------------------------------------------------ */

static int from_kd(const kd_value *v, int flags, tpl_val *out, int depth)
{
  size_t i;
  int rc;
  *out = tpl_nil();
  if (depth > MAX_DEPTH) return KD_ERANGE;
  switch (v->type) {
  case KD_NULL: return KD_OK;
  case KD_BOOL: *out = tpl_bool(v->u.b); return KD_OK;
  case KD_INT:
    if (v->is_uint)
      *out = (flags & TPL_FROM_KD_FLOATS) ? tpl_float((double)(uint64_t)v->u.i)
                                          : tpl_uint64((uint64_t)v->u.i);
    else
      *out = (flags & TPL_FROM_KD_FLOATS) ? tpl_float((double)v->u.i)
                                          : tpl_int64(v->u.i);
    return KD_OK;
  case KD_FLOAT: *out = tpl_float(v->u.f); return KD_OK;
  case KD_STR: return tpl_str_new(out, v->u.str.s, v->u.str.len);
  case KD_ARR:
    if ((rc = tpl_list_new(out, v->u.arr.len)) != KD_OK) return rc;
    for (i = 0; i < v->u.arr.len; i++) {
      tpl_val item;
      if ((rc = from_kd(&v->u.arr.items[i], flags, &item, depth + 1)) ||
          (rc = tpl_list_push(*out, item)))
        break;
    }
    break;
  case KD_OBJ:
    if ((rc = tpl_map_new(out)) != KD_OK) return rc;
    for (i = 0; i < v->u.obj.len; i++) {
      const kd_member *mb = &v->u.obj.m[i];
      tpl_val item;
      if ((rc = from_kd(&mb->val, flags, &item, depth + 1)) ||
          (rc = tpl_map_set(*out, mb->key, mb->klen, item)))
        break;
    }
    break;
  default:
    return KD_EINVAL;
  }
  if (rc) {
    tpl_unref(*out);
    *out = tpl_nil();
  }
  return rc;
}

int tpl_from_kd(const kd_value *v, int flags, tpl_val *out)
{
  return from_kd(v, flags, out, 0);
}

/* encoding/json marshals []byte as standard base64. */
static int bytes_to_kd(tpl_val v, kd_value *out)
{
  static const char a[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const unsigned char *p = (const unsigned char *)v.u.s->data;
  size_t n = v.u.s->len, i;
  kd_buf b = {0};
  int rc = kd_buf_reserve(&b, (n + 2) / 3 * 4);
  for (i = 0; rc == KD_OK && i < n; i += 3) {
    unsigned x = (unsigned)p[i] << 16;
    if (i + 1 < n) x |= (unsigned)p[i + 1] << 8;
    if (i + 2 < n) x |= p[i + 2];
    char q[4] = {a[(x >> 18) & 63], a[(x >> 12) & 63],
                 i + 1 < n ? a[(x >> 6) & 63] : '=', i + 2 < n ? a[x & 63] : '='};
    rc = kd_buf_add(&b, q, 4);
  }
  if (rc == KD_OK) rc = kd_value_str(out, b.data ? b.data : "", b.len);
  kd_buf_free(&b);
  return rc;
}

static int to_kd(tpl_val v, kd_value *out, int depth)
{
  size_t i, n;
  int rc = KD_OK;
  kd_value_null(out);
  if (depth > MAX_DEPTH) return KD_ERANGE;
  switch (v.kind) {
  case TPL_NIL: return KD_OK;
  case TPL_BOOL: kd_value_bool(out, v.u.b); return KD_OK;
  case TPL_INT:
    if (v.sub == TPL_GO_UINT64) kd_value_uint(out, (uint64_t)v.u.i);
    else kd_value_int(out, v.u.i);
    return KD_OK;
  case TPL_FLOAT: kd_value_float(out, v.u.f); return KD_OK;
  case TPL_STR:
    if (v.sub == TPL_STR_BYTES) return bytes_to_kd(v, out);
    return kd_value_str(out, v.u.s->data, v.u.s->len);
  case TPL_LIST:
    kd_value_arr(out);
    n = v.u.l->len;
    for (i = 0; i < n && rc == KD_OK; i++) {
      kd_value *slot = kd_arr_push(out);
      rc = slot ? to_kd(v.u.l->items[i], slot, depth + 1) : KD_ENOMEM;
    }
    break;
  case TPL_MAP:
    kd_value_obj(out);
    n = v.u.m->len;
    for (i = 0; i < n && rc == KD_OK; i++) {
      const map_entry *e = &v.u.m->e[i];
      kd_value *slot = kd_obj_add(out, e->key, e->klen);
      rc = slot ? to_kd(e->v, slot, depth + 1) : KD_ENOMEM;
    }
    break;
  case TPL_OBJ: {
    tpl_val m;
    if (!v.u.o->cls->marshal) {
      kd_value_obj(out);
      return KD_OK;
    }
    if ((rc = v.u.o->cls->marshal(v.u.o, &m)) != KD_OK) return rc;
    rc = to_kd(m, out, depth + 1);
    tpl_unref(m);
    return rc;
  }
  default:
    return KD_EINVAL;
  }
  if (rc) kd_value_clear(out);
  return rc;
}

int tpl_to_kd(tpl_val v, kd_value *out) { return to_kd(v, out, 0); }

/* ---- truth and type names ----------------------------------------------- */

int tpl_truth(tpl_val v)
{
  switch (v.kind) {
  case TPL_NIL: return 0;
  case TPL_BOOL: return v.u.b;
  case TPL_INT: return v.u.i != 0;
  case TPL_FLOAT: return v.u.f != 0;
  case TPL_STR: return v.u.s->len != 0;
  case TPL_LIST: return v.u.l->len != 0;
  case TPL_MAP: return v.u.m->len != 0;
  case TPL_OBJ: return v.u.o->cls->truth ? v.u.o->cls->truth(v.u.o) : 1;
  default: return 0;
  }
}

const char *tpl_type_name(tpl_val v)
{
  switch (v.kind) {
  case TPL_NIL: return "<nil>";
  case TPL_BOOL: return "bool";
  case TPL_INT:
    return v.sub == TPL_GO_INT64 ? "int64" : v.sub == TPL_GO_UINT64 ? "uint64"
           : v.sub == TPL_GO_UINT8 ? "uint8" : "int";
  case TPL_FLOAT: return "float64";
  case TPL_STR: return v.sub == TPL_STR_BYTES ? "[]uint8" : "string";
  case TPL_LIST:
    switch (v.sub) {
    case TPL_ELEM_STR: return "[]string";
    case TPL_ELEM_INT: return "[]int";
    case TPL_ELEM_LIST: return "[][]interface {}";
    default: return "[]interface {}";
    }
  case TPL_MAP:
    return v.sub == TPL_MAPV_STR      ? "map[string]string"
           : v.sub == TPL_MAPV_VALUES ? "common.Values"
                                      : "map[string]interface {}";
  case TPL_OBJ: return v.u.o->cls->type_name;
  default: return "?";
  }
}

const char *tpl_kind_name(tpl_val v)
{
  switch (v.kind) {
  case TPL_NIL: return "invalid";
  case TPL_STR: return v.sub == TPL_STR_BYTES ? "slice" : "string";
  case TPL_LIST: return "slice";
  case TPL_MAP: return "map";
  case TPL_OBJ: return v.u.o->cls->kind_name;
  default: return tpl_type_name(v);
  }
}
