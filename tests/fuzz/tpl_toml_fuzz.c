/* tests/fuzz/tpl_toml_fuzz.c: libFuzzer target for fromToml's reader:
 * any input either parses into a map (which toToml then encodes) or
 * fails with a "toml: line N" message, without crashing or leaking. */
#include "tpl/tpl_int.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
  kd_buf msg = {0};
  tpl_val v;
  int rc = tpl_toml_parse((const char *)data, size, &v, &msg);
  if (rc == KD_OK) {
    const tpl_func_def *f;
    tpl_call c;
    tpl_val out = tpl_nil();
    if (v.kind != TPL_MAP) abort();
    for (f = tpl_fn_toml; f->name && strcmp(f->name, "toToml"); f++) {}
    tpl_call_init(&c, "toToml", NULL);
    if (f->name && f->fn(&c, &v, 1, &out) == KD_OK && out.kind != TPL_STR) abort();
    tpl_unref(out);
    tpl_call_done(&c);
    tpl_unref(v);
  } else if (rc == KD_EPARSE && strncmp(msg.data ? msg.data : "", "toml: line ", 11) != 0) {
    abort();
  }
  kd_buf_free(&msg);
  return 0;
}
