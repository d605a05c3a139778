/* tests/fuzz/json_fuzz.c: libFuzzer target for the JSON decoder; anything
 * it accepts must encode and decode back to an equal value. */
#include "json.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
  kd_value v, w;
  kd_error err = {0};
  kd_buf out = {0};
  if (json_decode((const char *)data, size, "fuzz", &v, &err) != KD_OK)
    return 0;
  if (json_encode(&v, JSON_SORT_KEYS, &out, &err) == KD_OK) {
    if (json_decode(out.data, out.len, "re", &w, &err) != KD_OK) abort();
    if (!kd_value_equal(&v, &w)) abort();
    kd_value_clear(&w);
  }
  kd_buf_free(&out);
  kd_value_clear(&v);
  return 0;
}
