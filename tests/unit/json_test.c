/* tests/unit/json_test.c: engine/json decoding and encoding. */
#include "json.h"
#include "yaml.h"
#include "test.h"

#include <math.h>
#include <stdlib.h>

static char *roundtrip(const char *in, int flags)
{
  kd_value v;
  kd_error err = {0};
  kd_buf out = {0};
  if (json_decode(in, strlen(in), "t", &v, &err) != KD_OK) return NULL;
  if (json_encode(&v, flags, &out, &err) != KD_OK) {
    kd_value_clear(&v);
    kd_buf_free(&out);
    return NULL;
  }
  kd_value_clear(&v);
  return kd_buf_take(&out, NULL);
}

static void check_rt(const char *in, int flags, const char *want)
{
  char *got = roundtrip(in, flags);
  CHECK_STR(got, want);
  free(got);
}

static void test_roundtrip(void)
{
  check_rt("{\"b\":[1,2.5,{}],\"a\":null,\"c\":[]}", 0,
           "{\"b\":[1,2.5,{}],\"a\":null,\"c\":[]}");
  check_rt("{\"b\":1,\"a\":{\"d\":true,\"c\":false}}", JSON_SORT_KEYS,
           "{\"a\":{\"c\":false,\"d\":true},\"b\":1}");
  check_rt("[1,[2]]", JSON_PRETTY, "[\n  1,\n  [\n    2\n  ]\n]");
}

static void test_big_integers(void)
{
  kd_value v;
  kd_error err = {0};
  CHECK(json_decode("9007199254740993", 16, "t", &v, &err) == KD_OK);
  CHECK(v.type == KD_INT && v.u.i == 9007199254740993LL);
  check_rt("[9223372036854775807,-9223372036854775808]", 0,
           "[9223372036854775807,-9223372036854775808]");
  /* beyond int64: a float, like Go's float64 */
  CHECK(json_decode("18446744073709551616", 20, "t", &v, &err) == KD_OK);
  CHECK(v.type == KD_FLOAT);
}

/* a uint64 (Go's semver parts) prints unsigned; it equals no int64 */
static void test_uint64(void)
{
  kd_value u, i, f;
  kd_buf out = {0};
  kd_error err = {0};
  kd_value_uint(&u, UINT64_MAX);
  CHECK(json_encode(&u, 0, &out, &err) == KD_OK);
  CHECK_STR(out.data, "18446744073709551615");
  out.len = 0;
  CHECK(yaml_encode(&u, &out, &err) == KD_OK);
  CHECK_STR(out.data, "18446744073709551615\n");
  kd_value_int(&i, -1);
  CHECK(!kd_value_equal(&u, &i));
  kd_value_float(&f, 18446744073709551615.0);
  CHECK(kd_value_equal(&u, &f));
  kd_value_uint(&u, 5);
  kd_value_int(&i, 5);
  CHECK(kd_value_equal(&u, &i));
  kd_buf_free(&out);
}

/* Number literals have no length limit in JSON: long ones read as Go reads
 * them (the nearest float64), not as an error. */
static void test_long_numbers(void)
{
  char lit[700];
  memset(lit, '0', sizeof lit);
  lit[0] = '1';
  memcpy(lit + 1 + 600, ".5e-580", 7);   /* 1e600 * 1e-580 = 1e20 (+.5) */
  lit[608] = 0;
  check_rt(lit, 0, "100000000000000000000");
  lit[0] = '2';
  lit[601] = 0;                          /* 2e600: an error, as in Go */
  {
    kd_value v;
    kd_error err = {0};
    CHECK(json_decode(lit, 601, "t", &v, &err) == KD_EPARSE);
    CHECK(strstr(err.msg, "t:1:1: number out of range of float64") != NULL);
    CHECK(json_decode("[1e-400]", 8, "t", &v, &err) == KD_OK);
    CHECK(v.u.arr.len == 1 && v.u.arr.items[0].u.f == 0);
    kd_value_clear(&v);
  }
}

static void test_floats_like_go(void)
{
  kd_buf b = {0};
  struct { double f; const char *want; } cases[] = {
    {0.1, "0.1"}, {1e21, "1e+21"}, {1e20, "100000000000000000000"},
    {1e-7, "1e-7"}, {0.000001, "0.000001"}, {123456.789, "123456.789"},
    {-2.5e-10, "-2.5e-10"}, {3.0, "3"}};
  size_t i;
  for (i = 0; i < sizeof cases / sizeof *cases; i++) {
    b.len = 0;
    CHECK(json_format_float(cases[i].f, &b) == KD_OK);
    CHECK_STR(b.data, cases[i].want);
  }
  CHECK(json_format_float(NAN, &b) == KD_ERANGE);
  kd_buf_free(&b);
}

static void test_strings(void)
{
  check_rt("\"a\\u00e9\\ud83d\\ude00\\n\\\"<\"", 0,
           "\"a\xc3\xa9\xf0\x9f\x98\x80\\n\\\"<\"");
  check_rt("\"<&>\"", JSON_ESCAPE_HTML, "\"\\u003c\\u0026\\u003e\"");
  check_rt("\"\\u0001\"", 0, "\"\\u0001\"");
}

static void check_err(const char *in, const char *want)
{
  kd_value v;
  kd_error err = {0};
  CHECK(json_decode(in, strlen(in), "f.json", &v, &err) == KD_EPARSE);
  CHECK(v.type == KD_NULL);
  CHECK_STR(err.msg, want);
}

static void test_errors(void)
{
  check_err("{\"a\": 1,\n  \"b\" 2}", "f.json:2:7: expected ':' after object key");
  check_err("[1, 2", "f.json:1:6: expected ',' or ']' in array");
  check_err("\"abc", "f.json:1:1: unterminated string");
  check_err("01", "f.json:1:2: unexpected data after JSON value");
  check_err("", "f.json:1:1: unexpected end of input");
  check_err("[tru]", "f.json:1:2: invalid character, expected a value");
  check_err("{\"a\":1,}", "f.json:1:8: expected string key in object");
}

static void test_deep_nesting_rejected(void)
{
  size_t n = JSON_MAX_DEPTH + 10, i;
  char *s = malloc(n * 2 + 1);
  kd_value v;
  kd_error err = {0};
  for (i = 0; i < n; i++) { s[i] = '['; s[n + i] = ']'; }
  s[2 * n] = 0;
  CHECK(json_decode(s, 2 * n, "d", &v, &err) == KD_EPARSE);
  CHECK(strstr(err.msg, "nesting too deep") != NULL);
  free(s);
}

/* The tape: document order, member counts on the containers, strings
 * borrowed from the input or unescaped into the tape's text. */
/* engine/value: the adders refuse a value of the other type rather than
 * writing through the wrong member of the union (the sim's managedFields
 * code once did, on a metadata that was null). */
static void test_value_adders_check_type(void)
{
  kd_value v;
  kd_value_null(&v);
  CHECK(kd_obj_add(&v, "k", 1) == NULL);
  CHECK(kd_arr_push(&v) == NULL);
  kd_value_arr(&v);
  CHECK(kd_obj_add(&v, "k", 1) == NULL);
  CHECK(kd_arr_push(&v) != NULL);
  CHECK(v.u.arr.len == 1);
  kd_value_clear(&v);
  kd_value_obj(&v);
  CHECK(kd_arr_push(&v) == NULL);
  CHECK(kd_obj_add(&v, "k", 1) != NULL);
  CHECK(v.u.obj.len == 1);
  kd_value_clear(&v);
}

static void test_tape(void)
{
  const char *in = "{\"a\":[1,2.5,\"x\\ny\"],\"b\":{},\"c\":[null,true,false]}";
  json_tape tape = {{0}, {0}, 0};
  kd_error err = {0};
  const json_token *t;
  CHECK(json_tape_parse(in, strlen(in), "t", &tape, &err) == KD_OK);
  CHECK(tape.tokens.len == 13 * sizeof(json_token));
  CHECK(tape.max_depth == 2);
  t = json_tape_tokens(&tape);
  CHECK(t[0].type == JSON_T_OBJ && t[0].n == 3);
  CHECK(t[1].type == JSON_T_STR && t[1].n == 1 && !t[1].escaped && t[1].u.s == in + 2);
  CHECK(t[2].type == JSON_T_ARR && t[2].n == 3);
  CHECK(t[3].type == JSON_T_INT && t[3].u.i == 1);
  CHECK(t[4].type == JSON_T_FLOAT && t[4].u.f == 2.5);
  CHECK(t[5].type == JSON_T_STR && t[5].escaped && t[5].n == 3);
  CHECK(memcmp(json_token_str(&tape, &t[5]), "x\ny", 3) == 0);
  CHECK(t[7].type == JSON_T_OBJ && t[7].n == 0);
  CHECK(t[9].type == JSON_T_ARR && t[9].n == 3);
  CHECK(t[10].type == JSON_T_NULL && t[11].type == JSON_T_TRUE && t[12].type == JSON_T_FALSE);
  /* the same errors as json_decode; the buffers are reused */
  CHECK(json_tape_parse("[1, 2", 5, "f.json", &tape, &err) == KD_EPARSE);
  CHECK_STR(err.msg, "f.json:1:6: expected ',' or ']' in array");
  CHECK(json_tape_parse("7", 1, "t", &tape, &err) == KD_OK);
  CHECK(tape.tokens.len == sizeof(json_token) && tape.max_depth == 0);
  json_tape_free(&tape);
}

int main(void)
{
  RUN(test_roundtrip);
  RUN(test_value_adders_check_type);
  RUN(test_big_integers);
  RUN(test_uint64);
  RUN(test_long_numbers);
  RUN(test_floats_like_go);
  RUN(test_strings);
  RUN(test_errors);
  RUN(test_deep_nesting_rejected);
  RUN(test_tape);
  TEST_EXIT();
}
