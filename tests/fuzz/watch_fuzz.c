/* tests/fuzz/watch_fuzz.c: libFuzzer target for the watch stream framer:
 * any input split at any point must give the same frames as fed whole,
 * and every frame must start with '{' and end with '}'. */
#include "watch.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

typedef struct { kd_buf all; } frames;

static int collect(void *ctx, const char *text, size_t len)
{
  frames *f = ctx;
  if (len < 2 || text[0] != '{' || text[len - 1] != '}') abort();
  kd_buf_add(&f->all, text, len);
  kd_buf_addc(&f->all, 0);
  return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
  const char *s = (const char *)data;
  frames a = {0}, b = {0};
  watch_framer fa = {0}, fb = {0};
  size_t cut = size ? data[0] % (size + 1) : 0;
  int ra = watch_framer_feed(&fa, s, size, collect, &a, NULL);
  int rb = watch_framer_feed(&fb, s, cut, collect, &b, NULL);
  if (rb == KD_OK) rb = watch_framer_feed(&fb, s + cut, size - cut, collect, &b, NULL);
  if ((ra == KD_OK) != (rb == KD_OK)) abort();
  if (ra == KD_OK && (a.all.len != b.all.len ||
                      (a.all.len && memcmp(a.all.data, b.all.data, a.all.len))))
    abort();
  watch_framer_free(&fa);
  watch_framer_free(&fb);
  kd_buf_free(&a.all);
  kd_buf_free(&b.all);
  return 0;
}
