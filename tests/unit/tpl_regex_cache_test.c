/* tests/unit/tpl_regex_cache_test.c: compiled Go regexps are cached and
 * shared (tpl_regex.c): the same pattern gives the same handle, holders
 * release independently, matches stay right while handles interleave,
 * and bad patterns fail every time with Go's message. */
#include "test.h"
#include "tpl/tpl_int.h"

#include <string.h>

static void test_shared_handles(void)
{
  kd_buf msg = {0};
  long m1[8], m2[8];
  tpl_regex *a = tpl_regex_new("v(\\d+)", 6, &msg);
  tpl_regex *b = tpl_regex_new("v(\\d+)", 6, &msg);
  tpl_regex *c = tpl_regex_new("x(y)", 4, &msg);
  CHECK(a != NULL && a == b);
  CHECK(c != NULL && c != a);
  CHECK(tpl_regex_exec(a, "a v12 v3", 8, 0, m1) == 1);
  CHECK(tpl_regex_exec(b, "v7", 2, 0, m2) == 1);
  CHECK(m1[2] == 3 && m1[3] == 5);   /* a's result survives b's match */
  CHECK(m2[2] == 1 && m2[3] == 2);
  tpl_regex_free(a);
  CHECK(tpl_regex_exec(b, "zz v99", 6, 0, m2) == 1 && m2[2] == 4);
  tpl_regex_free(b);
  tpl_regex_free(c);
  tpl_regex *d = tpl_regex_new("v(\\d+)", 6, &msg);   /* still cached */
  CHECK(d != NULL && tpl_regex_ncap(d) == 1);
  tpl_regex_free(d);
  kd_buf_free(&msg);
}

static void test_bad_pattern_every_time(void)
{
  kd_buf msg = {0};
  for (int i = 0; i < 2; i++) {
    CHECK(tpl_regex_new("(", 1, &msg) == NULL);
    CHECK_STR(msg.data, "error parsing regexp: missing closing ): `(`");
  }
  kd_buf_free(&msg);
}

static void test_more_patterns_than_the_cache(void)
{
  kd_buf msg = {0};
  char pat[16];
  for (int i = 0; i < 200; i++) {
    int n = snprintf(pat, sizeof pat, "a{%d}", i % 150);
    tpl_regex *r = tpl_regex_new(pat, (size_t)n, &msg);
    CHECK(r != NULL);
    if (r) tpl_regex_free(r);
  }
  kd_buf_free(&msg);
}

int main(void)
{
  RUN(test_shared_handles);
  RUN(test_bad_pattern_every_time);
  RUN(test_more_patterns_than_the_cache);
  TEST_EXIT();
}
