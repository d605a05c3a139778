/* tests/unit/sim_gofmt_test.c: Go's %v of decoded JSON and strconv.Quote
 * as the sim renders them in patch errors (expected strings from Go's
 * fmt/strconv behaviour). */
#include "json.h"
#include "sim/sim_int.h"
#include "test.h"

static const char *go(const char *json, kd_buf *b)
{
  kd_value v;
  kd_error err = {0};
  b->len = 0;
  if (b->data) b->data[0] = 0;
  if (json_decode(json, strlen(json), "t", &v, &err)) return NULL;
  if (sim_go_value(&v, b)) b->len = 0;
  kd_value_clear(&v);
  return b->data ? b->data : "";
}

static void test_values(void)
{
  kd_buf b = {0};
  CHECK_STR(go("{\"b\":1,\"a\":[true,null,\"x y\"],\"c\":{}}", &b),
            "map[a:[true <nil> x y] b:1 c:map[]]");
  CHECK_STR(go("[1.5, 1e6, 123456.5, 0.0001, 0.00001, -2.25e-7, 1e21]", &b),
            "[1.5 1e+06 123456.5 0.0001 1e-05 -2.25e-07 1e+21]");
  CHECK_STR(go("{\"z\":1,\"Z\":2,\"$x\":3}", &b), "map[$x:3 Z:2 z:1]");
  kd_buf_free(&b);
}

static void test_quote(void)
{
  kd_buf b = {0};
  const char s[] = "a\"b\\c\nd\te\x01\x7f\xc3\xa9\xff";
  CHECK(sim_go_quote(s, sizeof s - 1, &b) == KD_OK);
  CHECK_STR(b.data, "\"a\\\"b\\\\c\\nd\\te\\x01\\x7f\xc3\xa9\\xff\"");
  kd_buf_free(&b);
}

int main(void)
{
  RUN(test_values);
  RUN(test_quote);
  TEST_EXIT();
}
