/* tests/fuzz/tpl_fmt_fuzz.c: libFuzzer target for Go's Sprintf: any format
 * against a fixed set of arguments of every kind must format without
 * crashing, leaking or reading out of bounds. */
#include "tpl/tpl.h"

#include <math.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
  tpl_val a[9], m;
  kd_buf out = {0};
  int i;
  a[0] = tpl_int(-42);
  a[1] = tpl_float(3.25e-7);
  a[2] = tpl_str_cstr(&a[2], "h\xc3\xa9llo\n\xff") == KD_OK ? a[2] : tpl_nil();
  a[3] = tpl_nil();
  a[4] = tpl_bool(1);
  tpl_list_new(&a[5], 2);
  tpl_list_push(a[5], tpl_float(NAN));
  tpl_list_push(a[5], tpl_int64(7));
  tpl_map_new(&m);
  tpl_map_sets(m, "k", tpl_ref(a[5]));
  a[6] = m;
  a[7] = tpl_int(3);        /* for `*` widths */
  a[8] = tpl_float(-1e300);
  /* the first byte picks how many arguments the format gets */
  if (size > 0) {
    int n = data[0] % 10;
    tpl_sprintf(&out, (const char *)data + 1, size - 1, a, n);
  }
  kd_buf_free(&out);
  for (i = 0; i < 9; i++) tpl_unref(a[i]);
  return 0;
}
