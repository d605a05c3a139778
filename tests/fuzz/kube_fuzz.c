/* tests/fuzz/kube_fuzz.c: libFuzzer target for what engine/kube parses from
 * untrusted text: discovery documents (mapping lookups on the result),
 * base64 (must round-trip) and RFC 3339 times. */
#include "json.h"
#include "kube.h"
#include "kube_disco.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
  const char *s = (const char *)data;
  kd_value v;
  kube_disco *d = kube_disco_new(NULL);
  char *out, *t;
  size_t len, i;
  double tm;
  kd_buf b = {0};
  if (d && json_decode(s, size, "fuzz", &v, NULL) == KD_OK) {
    kube_disco_add(d, &v, NULL);
    for (i = 0; i < kube_disco_count(d); i++) {
      const kube_resource *r = kube_disco_at(d, i);
      kd_buf p = {0};
      kube_disco_path(r, "ns", "name", "status", &p);
      kd_buf_free(&p);
      kube_disco_find(d, r->version, r->kind);
      kube_disco_lookup(d, r->name);
    }
    kd_value_clear(&v);
  }
  kube_disco_free(d);
  if (kube_base64_decode(s, size, &out, &len) == KD_OK) {
    char *back;
    size_t blen;
    if (kube_base64_encode(out, len, &b) || kube_base64_decode(b.data ? b.data : "",
                                                               b.len, &back, &blen))
      abort();
    if (blen != len || memcmp(back, out, len)) abort();
    free(back);
    free(out);
  }
  kd_buf_free(&b);
  if ((t = kd_strndup(s, size))) {
    kube_parse_time(t, &tm);
    free(t);
  }
  return 0;
}
