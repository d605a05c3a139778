/* tests/fuzz/tpl_fuzz.c: libFuzzer target for the template parser and,
 * on what parses, the executor (bounded by a step budget and an output
 * cap). Errors are fine; crashes, leaks and hangs are not. The input may
 * carry a second template after a NUL byte, parsed into the same set as a
 * file of defines. */
#include "tpl/tpl.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static tpl_val fuzz_data(void)
{
  tpl_val top, vals, l, m, s;
  tpl_map_new(&top);
  tpl_map_new(&vals);
  tpl_map_sets(vals, "a", tpl_float(1));
  tpl_map_sets(vals, "i", tpl_int(2));
  tpl_str_cstr(&s, "str");
  tpl_map_sets(vals, "s", s);
  tpl_map_sets(vals, "n", tpl_nil());
  tpl_list_new(&l, 3);
  tpl_list_push(l, tpl_float(1));
  tpl_str_cstr(&s, "x");
  tpl_list_push(l, s);
  tpl_list_push(l, tpl_nil());
  tpl_map_sets(vals, "l", l);
  tpl_map_new(&m);
  tpl_map_sets(m, "k", tpl_bool(1));
  tpl_map_sets(vals, "m", m);
  tpl_map_sets(top, "Values", vals);
  return top;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
  const char *text = (const char *)data;
  const unsigned char *nul = memchr(data, 0, size);
  size_t len = nul ? (size_t)(nul - data) : size;
  tpl_options opt;
  tpl_set *s;
  kd_error err = {0};
  kd_buf out = {0};
  tpl_val dot;
  memset(&opt, 0, sizeof opt);
  opt.max_steps = 20000;
  s = tpl_set_new(&opt, &err);
  if (!s) return 0;
  if (nul) tpl_set_parse(s, "_helpers.tpl", text + len + 1, size - len - 1, &err);
  if (tpl_set_parse(s, "t", text, len, &err) == KD_OK) {
    dot = fuzz_data();
    out.cap = 1 << 20;
    tpl_set_exec(s, "t", dot, &out, &err);
    tpl_unref(dot);
  }
  kd_buf_free(&out);
  tpl_set_free(s);
  return 0;
}
