/* tests/fuzz/tpl_regex_fuzz.c: libFuzzer target for the RE2 -> PCRE2
 * translator: any pattern either fails with a Go error text or compiles
 * and runs (FindAll's loop over a fixed subject) without crashing,
 * leaking or reading out of bounds. The input is "pattern\0subject". */
#include "tpl/tpl_int.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
  const char *p = (const char *)data, *subj = "ab\n\xc3\xa9 12_x\xff";
  size_t plen = size, slen = strlen(subj);
  const char *nul = memchr(p, 0, size);
  kd_buf msg = {0};
  tpl_regex *re;
  if (nul) {
    plen = (size_t)(nul - p);
    subj = nul + 1;
    slen = size - plen - 1;
  }
  re = tpl_regex_new(p, plen, &msg);
  if (re) {
    long *m = malloc(2 * ((size_t)tpl_regex_ncap(re) + 1) * sizeof *m);
    size_t pos = 0;
    int i;
    for (i = 0; m && i < 64 && pos <= slen; i++) {
      if (tpl_regex_exec(re, subj, slen, pos, m) != 1) break;
      if (m[0] < (long)pos || m[1] < m[0] || m[1] > (long)slen) abort();
      pos = (size_t)m[1] > pos ? (size_t)m[1] : pos + 1;
    }
    free(m);
  } else if (msg.len && strncmp(msg.data, "error parsing regexp: ", 22) != 0) {
    abort();   /* every refusal is worded as Go words it */
  }
  tpl_regex_free(re);
  kd_buf_free(&msg);
  return 0;
}
