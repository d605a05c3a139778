/* tests/unit/test.h: the whole unit-test harness. A test is a function;
 * each CHECK failure prints "FAIL name: file:line: expr"; each test that
 * ran clean prints "PASS name". tests/run.sh counts these lines. */
#ifndef KD_TEST_H
#define KD_TEST_H

#include <stdio.h>
#include <string.h>

static int t_failures;       /* failures in the running test */
static int t_total_failed;
static const char *t_name;

#define CHECK(cond)                                                       \
  do {                                                                    \
    if (!(cond)) {                                                        \
      printf("FAIL %s: %s:%d: %s\n", t_name, __FILE__, __LINE__, #cond);  \
      t_failures++;                                                       \
    }                                                                     \
  } while (0)

#define CHECK_STR(got, want)                                              \
  do {                                                                    \
    const char *g_ = (got), *w_ = (want);                                 \
    if (!g_ || strcmp(g_, w_) != 0) {                                     \
      printf("FAIL %s: %s:%d: got \"%s\", want \"%s\"\n", t_name,         \
             __FILE__, __LINE__, g_ ? g_ : "(null)", w_);                 \
      t_failures++;                                                       \
    }                                                                     \
  } while (0)

#define RUN(fn)                                                           \
  do {                                                                    \
    t_name = #fn;                                                         \
    t_failures = 0;                                                       \
    fn();                                                                 \
    if (t_failures) t_total_failed++;                                     \
    else printf("PASS %s\n", #fn);                                        \
  } while (0)

#define TEST_EXIT() return t_total_failed ? 1 : 0

#endif
