/* tests/fuzz/yaml_emit_fuzz.c: libFuzzer target for the YAML emitter. A
 * stream the decoder accepts is encoded document by document; what
 * yaml_encode prints must decode back to an equal value. Left out: values
 * the JSON round trip changes on purpose (invalid UTF-8, NEL folding) and
 * "<<" keys, which go-yaml itself reads back as merge keys. */
#include "yaml.h"
#include "yaml_int.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* True when V holds a string or key that the emitter rewrites. */
static int rewritten(const kd_value *v, kd_buf *tmp)
{
  size_t i;
  int changed = 0;
  switch (v->type) {
  case KD_STR:
    return yaml_json_string(v->u.str.s, v->u.str.len, tmp, &changed) != KD_OK ||
           changed;
  case KD_ARR:
    for (i = 0; i < v->u.arr.len; i++)
      if (rewritten(&v->u.arr.items[i], tmp)) return 1;
    return 0;
  case KD_OBJ:
    for (i = 0; i < v->u.obj.len; i++) {
      const kd_member *m = &v->u.obj.m[i];
      if ((m->klen == 2 && memcmp(m->key, "<<", 2) == 0) ||
          yaml_json_string(m->key, m->klen, tmp, &changed) != KD_OK || changed ||
          rewritten(&m->val, tmp))
        return 1;
    }
    return 0;
  default: return 0;
  }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
  kd_value docs, back;
  kd_error err = {0};
  kd_buf out = {0}, tmp = {0};
  size_t i;
  if (yaml_decode_stream((const char *)data, size, "fuzz", &docs, &err) != KD_OK)
    return 0;
  for (i = 0; i < docs.u.arr.len; i++) {
    const kd_value *v = &docs.u.arr.items[i];
    if (rewritten(v, &tmp)) continue;
    out.len = 0;
    if (yaml_encode(v, &out, &err) != KD_OK) continue;   /* NaN, DEL, ... */
    if (yaml_decode(out.data, out.len, "re", &back, &err) != KD_OK) abort();
    if (!kd_value_equal(v, &back)) abort();
    kd_value_clear(&back);
  }
  kd_buf_free(&out);
  kd_buf_free(&tmp);
  kd_value_clear(&docs);
  return 0;
}
