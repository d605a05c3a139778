/* tests/unit/yaml_test.c: engine/yaml decoding (go-yaml v2 resolution). */
#include "json.h"
#include "test.h"
#include "yaml.h"

#include <stdlib.h>

/* Decodes YAML and returns it re-encoded as sorted JSON (owned) or the
 * error message (owned). */
static char *yjson(const char *yaml)
{
  kd_value v;
  kd_error err = {0};
  kd_buf out = {0};
  if (yaml_decode(yaml, strlen(yaml), "t.yaml", &v, &err) != KD_OK)
    return kd_strndup(err.msg, strlen(err.msg));
  json_encode(&v, JSON_SORT_KEYS, &out, &err);
  kd_value_clear(&v);
  return kd_buf_take(&out, NULL);
}

static void check(const char *yaml, const char *want)
{
  char *got = yjson(yaml);
  CHECK_STR(got, want);
  free(got);
}

static void test_yaml11_scalars(void)
{
  check("[yes, No, on, OFF, y, n, true, FALSE]",
        "[true,false,true,false,true,false,true,false]");
  check("[~, null, Null, NULL, '', \"~\"]", "[null,null,null,null,\"\",\"~\"]");
  check("[0x1F, 0o17, 0777, 1_000, 1e3, .5, -12, +7, 08, 1.2.3, 0b101]",
        "[31,15,511,1000,1000,0.5,-12,7,8,\"1.2.3\",5]");
  check("['yes', \"1\", !!str 12, !!float 3]", "[\"yes\",\"1\",\"12\",3]");
  check("2001-12-14", "\"2001-12-14\"");
  /* ParseFloat: out of range is a string, '_' between digits is fine */
  check("[1e999, -1e999, .5e999, 1e-999, .5_0, ._5, 1_0.5]",
        "[\"1e999\",\"-1e999\",\".5e999\",0,0.5,\"._5\",10.5]");
}

static void test_big_integers_exact(void)
{
  check("[9007199254740993, 9223372036854775807, -9223372036854775808]",
        "[9007199254740993,9223372036854775807,-9223372036854775808]");
  check("12345678901234567890", "12345678901234567000");  /* float, as Go */
}

static void test_anchors_and_merge(void)
{
  check("base: &b {x: 1, z: 2}\nm:\n  <<: *b\n  z: 9\n",
        "{\"base\":{\"x\":1,\"z\":2},\"m\":{\"x\":1,\"z\":9}}");
  check("a: &a {p: 1}\nb: &b {p: 2, q: 2}\nc:\n  <<: [*a, *b]\n",
        "{\"a\":{\"p\":1},\"b\":{\"p\":2,\"q\":2},\"c\":{\"p\":1,\"q\":2}}");
  check("l: &l [1, 2]\nm: *l\n", "{\"l\":[1,2],\"m\":[1,2]}");
}

static void test_keys(void)
{
  check("1: a\ntrue: b\n", "{\"1\":\"a\",\"true\":\"b\"}");
  /* as in Helm: the plain key y is the boolean true */
  check("y: 1\nx: 2\n", "{\"true\":1,\"x\":2}");
  check("{}", "{}");
  check("[]", "[]");
  check("", "null");
  check("# only a comment\n", "null");
}

static void test_block_scalars(void)
{
  check("a: |\n  one\n  two\nb: >-\n  x\n  y\n",
        "{\"a\":\"one\\ntwo\\n\",\"b\":\"x y\"}");
}

static void test_errors_have_positions(void)
{
  check("a: 1\nb: 2\na: 3\n", "t.yaml:3:1: mapping key \"a\" already defined");
  check("a: *nope\n", "t.yaml:1:4: unknown anchor 'nope' referenced");
  check("a: [1\n", "t.yaml:2:1: did not find expected ',' or ']' while parsing a flow sequence");
  check("a: 1\n---\nb: 2\n", "t.yaml:1:1: expected a single document, found several");
  check("a:\n  - b\n c: 1\n", "t.yaml:3:2: did not find expected key while parsing a block mapping");
}

static void test_stream(void)
{
  kd_value v;
  kd_error err = {0};
  const char *s = "a: 1\n---\n# empty\n---\nb: [x]\n";
  CHECK(yaml_decode_stream(s, strlen(s), "s", &v, &err) == KD_OK);
  CHECK(v.type == KD_ARR && v.u.arr.len == 3);
  CHECK(v.u.arr.items[1].type == KD_NULL);
  CHECK(kd_value_path(&v.u.arr.items[2], "b")->type == KD_ARR);
  kd_value_clear(&v);
}

static void test_alias_bomb_bounded(void)
{
  kd_buf b = {0};
  int i;
  char *got;
  kd_buf_adds(&b, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
  for (i = 1; i < 12; i++)
    kd_buf_printf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n",
                  i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
  got = yjson(b.data);
  CHECK(strstr(got, "too many alias expansions") != NULL);
  free(got);
  kd_buf_free(&b);
}

int main(void)
{
  RUN(test_yaml11_scalars);
  RUN(test_big_integers_exact);
  RUN(test_anchors_and_merge);
  RUN(test_keys);
  RUN(test_block_scalars);
  RUN(test_errors_have_positions);
  RUN(test_stream);
  RUN(test_alias_bomb_bounded);
  TEST_EXIT();
}
