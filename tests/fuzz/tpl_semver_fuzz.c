/* tests/fuzz/tpl_semver_fuzz.c: libFuzzer target for the semver parsers:
 * "constraint\0version" goes through semverCompare and the version
 * through semver; each either answers or fails with a message, without
 * crashing, leaking or reading out of bounds. */
#include "tpl/tpl_int.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const tpl_func_def *find(const char *name)
{
  const tpl_func_def *f;
  for (f = tpl_fn_semver; f->name; f++)
    if (!strcmp(f->name, name)) return f;
  abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
  const char *p = (const char *)data, *nul = memchr(p, 0, size);
  size_t clen = nul ? (size_t)(nul - p) : size;
  tpl_val a[2], out = tpl_nil();
  tpl_call c;
  int rc;
  if (tpl_str_new(&a[0], p, clen) != KD_OK) return 0;
  if (tpl_str_new(&a[1], nul ? nul + 1 : "1.2.3-rc.1+b",
                  nul ? size - clen - 1 : 12) != KD_OK) {
    tpl_unref(a[0]);
    return 0;
  }
  tpl_call_init(&c, "semverCompare", NULL);
  rc = find("semverCompare")->fn(&c, a, 2, &out);
  if (rc == KD_OK && out.kind != TPL_BOOL) abort();
  if (rc == KD_EEXEC && !c.msg.len) abort();   /* a failure says why */
  tpl_unref(out);
  tpl_call_done(&c);
  out = tpl_nil();
  tpl_call_init(&c, "semver", NULL);
  rc = find("semver")->fn(&c, &a[1], 1, &out);
  if (rc == KD_OK) {
    kd_buf b = {0};
    tpl_fmt_v(&b, out);
    kd_buf_free(&b);
  }
  tpl_unref(out);
  tpl_call_done(&c);
  tpl_unref(a[0]);
  tpl_unref(a[1]);
  return 0;
}
