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

/* %#v of the same values, as "expected string, got ..." prints them */
static const char *go_sharp(const char *json, kd_buf *b)
{
  kd_value v;
  kd_error err = {0};
  b->len = 0;
  if (b->data) b->data[0] = 0;
  if (json_decode(json, strlen(json), "t", &v, &err)) return NULL;
  if (sim_go_value_sharp(&v, b)) b->len = 0;
  kd_value_clear(&v);
  return b->data ? b->data : "";
}

static void test_values_sharp(void)
{
  kd_buf b = {0};
  CHECK_STR(go_sharp("[\"x\", 2, 1.5, true, null]", &b),
            "[]interface {}{\"x\", 2, 1.5, true, interface {}(nil)}");
  CHECK_STR(go_sharp("{\"b\":{\"c\":[]},\"a\":\"q\\\"\"}", &b),
            "map[string]interface {}{\"a\":\"q\\\"\", "
            "\"b\":map[string]interface {}{\"c\":[]interface {}{}}}");
  CHECK_STR(go_sharp("3", &b), "3");
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

/* strconv.Quote escapes runes unicode.IsPrint rejects (C and Z categories
 * other than U+0020, unassigned code points) and keeps printable ones */
static void test_quote_unicode(void)
{
  static const struct { const char *in, *want; } cases[] = {
    {"\xc2\x85", "\"\\u0085\""},            /* NEL, a C1 control */
    {"a\xc2\xa0" "b", "\"a\\u00a0b\""},         /* no-break space (Zs) */
    {"\xc2\xad", "\"\\u00ad\""},             /* soft hyphen (Cf) */
    {"\xe2\x80\x8b", "\"\\u200b\""},         /* zero width space (Cf) */
    {"\xe2\x80\xa8", "\"\\u2028\""},         /* line separator (Zl) */
    {"\xef\xbb\xbf", "\"\\ufeff\""},         /* BOM (Cf) */
    {"\xee\x80\x80", "\"\\ue000\""},         /* private use (Co) */
    {"\xef\xbf\xbf", "\"\\uffff\""},         /* noncharacter (Cn) */
    {"\xf3\xa0\x80\x81", "\"\\U000e0001\""}, /* language tag (Cf) */
    {"\xf4\x8f\xbf\xbf", "\"\\U0010ffff\""}, /* unassigned */
    {"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80",    /* é 中 😀: printable */
     "\"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\""},
    {"\xef\xbf\xbd", "\"\xef\xbf\xbd\""},       /* U+FFFD itself prints */
    {"\xe2\x80", "\"\\xe2\\x80\""},           /* truncated sequence */
    {"\xed\xa0\x80", "\"\\xed\\xa0\\x80\""},  /* a surrogate: bytes */
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    kd_buf b = {0};
    CHECK(sim_go_quote(cases[i].in, strlen(cases[i].in), &b) == KD_OK);
    CHECK_STR(b.data, cases[i].want);
    kd_buf_free(&b);
  }
}

int main(void)
{
  RUN(test_values);
  RUN(test_values_sharp);
  RUN(test_quote);
  RUN(test_quote_unicode);
  TEST_EXIT();
}
