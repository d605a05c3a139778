/* tests/fuzz/yaml_fuzz.c: libFuzzer target for the YAML decoder. A stream
 * it accepts is re-encoded as JSON, which must decode to an equal value. */
#include "json.h"
#include "yaml.h"

#include <math.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
  kd_value v, w;
  kd_error err = {0};
  kd_buf out = {0};
  if (yaml_decode_stream((const char *)data, size, "fuzz", &v, &err) != KD_OK)
    return 0;
  /* NaN/Inf have no JSON form; the encoder must refuse them cleanly */
  if (json_encode(&v, 0, &out, &err) == KD_OK) {
    if (json_decode(out.data, out.len, "re", &w, &err) != KD_OK) abort();
    if (!kd_value_equal(&v, &w)) abort();
    kd_value_clear(&w);
  }
  kd_buf_free(&out);
  kd_value_clear(&v);
  return 0;
}
