/* engine/value.c: the kd_value document tree. */
#include "value.h"

#include <stdlib.h>
#include <string.h>

void kd_value_null(kd_value *v) { memset(v, 0, sizeof *v); v->type = KD_NULL; }

void kd_value_bool(kd_value *v, int b)
{
  kd_value_null(v);
  v->type = KD_BOOL;
  v->u.b = b != 0;
}

void kd_value_int(kd_value *v, int64_t i)
{
  kd_value_null(v);
  v->type = KD_INT;
  v->u.i = i;
}

void kd_value_uint(kd_value *v, uint64_t u)
{
  kd_value_int(v, (int64_t)u);
  v->is_uint = 1;
}

void kd_value_float(kd_value *v, double f)
{
  kd_value_null(v);
  v->type = KD_FLOAT;
  v->u.f = f;
}

int kd_value_str(kd_value *v, const char *s, size_t len)
{
  char *p = kd_strndup(s ? s : "", s ? len : 0);
  kd_value_null(v);
  if (!p) return KD_ENOMEM;
  v->type = KD_STR;
  v->u.str.s = p;
  v->u.str.len = s ? len : 0;
  return KD_OK;
}

void kd_value_arr(kd_value *v) { kd_value_null(v); v->type = KD_ARR; }
void kd_value_obj(kd_value *v) { kd_value_null(v); v->type = KD_OBJ; }

static int grow(void **p, size_t *cap, size_t len, size_t elem)
{
  size_t ncap;
  void *np;
  if (len < *cap) return KD_OK;
  ncap = *cap ? *cap * 2 : 4;
  if (ncap > ((size_t)-1) / elem) return KD_ENOMEM;
  np = realloc(*p, ncap * elem);
  if (!np) return KD_ENOMEM;
  *p = np;
  *cap = ncap;
  return KD_OK;
}

/* Both adders refuse a value of another type (NULL, as for no memory):
 * writing through the wrong member of the union would corrupt it. */
kd_value *kd_arr_push(kd_value *a)
{
  kd_value *slot;
  if (a->type != KD_ARR) return NULL;
  if (grow((void **)&a->u.arr.items, &a->u.arr.cap, a->u.arr.len,
           sizeof *a->u.arr.items))
    return NULL;
  slot = &a->u.arr.items[a->u.arr.len++];
  kd_value_null(slot);
  return slot;
}

kd_value *kd_obj_add(kd_value *o, const char *key, size_t klen)
{
  kd_member *m;
  char *k;
  if (o->type != KD_OBJ) return NULL;
  k = kd_strndup(key, klen);
  if (!k) return NULL;
  if (grow((void **)&o->u.obj.m, &o->u.obj.cap, o->u.obj.len,
           sizeof *o->u.obj.m)) {
    free(k);
    return NULL;
  }
  m = &o->u.obj.m[o->u.obj.len++];
  m->key = k;
  m->klen = klen;
  kd_value_null(&m->val);
  return &m->val;
}

kd_value *kd_obj_get(const kd_value *o, const char *key, size_t klen)
{
  size_t i;
  if (!o || o->type != KD_OBJ) return NULL;
  for (i = 0; i < o->u.obj.len; i++) {
    kd_member *m = &o->u.obj.m[i];
    if (m->klen == klen && memcmp(m->key, key, klen) == 0) return &m->val;
  }
  return NULL;
}

kd_value *kd_obj_gets(const kd_value *o, const char *key)
{
  return kd_obj_get(o, key, strlen(key));
}

kd_value *kd_value_path(const kd_value *v, const char *path)
{
  const char *p = path;
  kd_value *cur = (kd_value *)v;
  while (cur && *p) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    cur = kd_obj_get(cur, p, n);
    p += n + (dot ? 1 : 0);
  }
  return cur;
}

void kd_value_clear(kd_value *v)
{
  size_t i;
  if (!v) return;
  switch (v->type) {
  case KD_STR: free(v->u.str.s); break;
  case KD_ARR:
    for (i = 0; i < v->u.arr.len; i++) kd_value_clear(&v->u.arr.items[i]);
    free(v->u.arr.items);
    break;
  case KD_OBJ:
    for (i = 0; i < v->u.obj.len; i++) {
      free(v->u.obj.m[i].key);
      kd_value_clear(&v->u.obj.m[i].val);
    }
    free(v->u.obj.m);
    break;
  default: break;
  }
  kd_value_null(v);
}

int kd_value_copy(kd_value *dst, const kd_value *src)
{
  size_t i;
  switch (src->type) {
  case KD_STR: return kd_value_str(dst, src->u.str.s, src->u.str.len);
  case KD_ARR:
    kd_value_arr(dst);
    for (i = 0; i < src->u.arr.len; i++) {
      kd_value *slot = kd_arr_push(dst);
      if (!slot || kd_value_copy(slot, &src->u.arr.items[i])) goto oom;
    }
    return KD_OK;
  case KD_OBJ:
    kd_value_obj(dst);
    for (i = 0; i < src->u.obj.len; i++) {
      const kd_member *m = &src->u.obj.m[i];
      kd_value *slot = kd_obj_add(dst, m->key, m->klen);
      if (!slot || kd_value_copy(slot, &m->val)) goto oom;
    }
    return KD_OK;
  default:
    *dst = *src;
    return KD_OK;
  }
oom:
  kd_value_clear(dst);
  return KD_ENOMEM;
}

static double num_of(const kd_value *v)
{
  if (v->type != KD_INT) return v->u.f;
  return v->is_uint ? (double)(uint64_t)v->u.i : (double)v->u.i;
}

static int num_equal(const kd_value *a, const kd_value *b)
{
  if (a->type == KD_INT && b->type == KD_INT)   /* a uint64 above 2^63 is no int64 */
    return a->u.i == b->u.i && (a->is_uint == b->is_uint || a->u.i >= 0);
  return num_of(a) == num_of(b);
}

int kd_value_equal(const kd_value *a, const kd_value *b)
{
  size_t i;
  int anum = a->type == KD_INT || a->type == KD_FLOAT;
  int bnum = b->type == KD_INT || b->type == KD_FLOAT;
  if (anum && bnum) return num_equal(a, b);
  if (a->type != b->type) return 0;
  switch (a->type) {
  case KD_NULL: return 1;
  case KD_BOOL: return a->u.b == b->u.b;
  case KD_STR:
    return a->u.str.len == b->u.str.len &&
           memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
  case KD_ARR:
    if (a->u.arr.len != b->u.arr.len) return 0;
    for (i = 0; i < a->u.arr.len; i++)
      if (!kd_value_equal(&a->u.arr.items[i], &b->u.arr.items[i])) return 0;
    return 1;
  case KD_OBJ:
    if (a->u.obj.len != b->u.obj.len) return 0;
    for (i = 0; i < a->u.obj.len; i++) {
      const kd_member *m = &a->u.obj.m[i];
      kd_value *o = kd_obj_get(b, m->key, m->klen);
      if (!o || !kd_value_equal(&m->val, o)) return 0;
    }
    return 1;
  default: return 0;
  }
}

const char *kd_type_name(kd_type t)
{
  static const char *names[] = {"null",   "boolean", "integer", "number",
                                "string", "array",   "object"};
  return (unsigned)t < sizeof names / sizeof *names ? names[t] : "?";
}
