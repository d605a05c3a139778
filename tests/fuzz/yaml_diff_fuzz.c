/* tests/fuzz/yaml_diff_fuzz.c: differential fuzzing of the YAML fast path
 * against libyaml. Whatever the fast path accepts, libyaml must accept and
 * decode to exactly the same tree (same types, same key order). */
#include "yaml_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static int same(const kd_value *a, const kd_value *b)
{
  size_t i;
  if (a->type != b->type) return 0;
  switch (a->type) {
  case KD_NULL: return 1;
  case KD_BOOL: return a->u.b == b->u.b;
  case KD_INT: return a->u.i == b->u.i;
  case KD_FLOAT:
    return (isnan(a->u.f) && isnan(b->u.f)) || a->u.f == b->u.f;
  case KD_STR:
    return a->u.str.len == b->u.str.len &&
           memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
  case KD_ARR:
    if (a->u.arr.len != b->u.arr.len) return 0;
    for (i = 0; i < a->u.arr.len; i++)
      if (!same(&a->u.arr.items[i], &b->u.arr.items[i])) return 0;
    return 1;
  case KD_OBJ:
    if (a->u.obj.len != b->u.obj.len) return 0;
    for (i = 0; i < a->u.obj.len; i++) {
      const kd_member *x = &a->u.obj.m[i], *y = &b->u.obj.m[i];
      if (x->klen != y->klen || memcmp(x->key, y->key, x->klen) != 0 ||
          !same(&x->val, &y->val))
        return 0;
    }
    return 1;
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
  kd_value fast, slow;
  kd_error err = {0};
  if (yaml_fast_decode_stream((const char *)data, size, &fast) != KD_OK)
    return 0;
  if (yaml_libyaml_decode_stream((const char *)data, size, "f", &slow,
                                 &err) != KD_OK)
    abort();   /* the fast path accepted what libyaml rejects */
  if (!same(&fast, &slow)) abort();
  kd_value_clear(&fast);
  kd_value_clear(&slow);
  return 0;
}
