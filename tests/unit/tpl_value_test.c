/* tests/unit/tpl_value_test.c: the template engine's value layer. */
#include "test.h"
#include "tpl/tpl.h"
#include "json.h"

#include <string.h>

static void test_map_sorted_and_shared(void)
{
  tpl_val m, alias, s;
  CHECK(tpl_map_new(&m) == KD_OK);
  CHECK(tpl_str_cstr(&s, "x") == KD_OK);
  CHECK(tpl_map_sets(m, "b", s) == KD_OK);
  CHECK(tpl_map_sets(m, "a", tpl_float(1)) == KD_OK);
  CHECK(tpl_map_sets(m, "c", tpl_int(2)) == KD_OK);
  CHECK(tpl_map_sets(m, "a", tpl_bool(1)) == KD_OK);   /* replaces */
  CHECK(tpl_map_len(m) == 3);
  CHECK_STR(tpl_map_key_at(m, 0, NULL), "a");
  CHECK_STR(tpl_map_key_at(m, 2, NULL), "c");
  CHECK(tpl_map_gets(m, "a")->kind == TPL_BOOL);
  alias = tpl_ref(m);                  /* Go maps are shared by reference */
  tpl_map_del(alias, "b", 1);
  CHECK(tpl_map_gets(m, "b") == NULL);
  CHECK(tpl_map_len(m) == 2);
  tpl_unref(alias);
  tpl_unref(m);
}

static void test_list_and_truth(void)
{
  tpl_val l, s;
  CHECK(tpl_list_new(&l, 0) == KD_OK);
  CHECK(!tpl_truth(l));
  CHECK(tpl_str_cstr(&s, "") == KD_OK);
  CHECK(!tpl_truth(s));
  CHECK(tpl_list_push(l, s) == KD_OK);
  CHECK(tpl_list_push(l, tpl_int64(0)) == KD_OK);
  CHECK(tpl_truth(l));
  CHECK(tpl_list_len(l) == 2);
  CHECK(!tpl_truth(tpl_list_at(l, 1)));
  CHECK_STR(tpl_type_name(l), "[]interface {}");
  CHECK_STR(tpl_type_name(tpl_list_at(l, 1)), "int64");
  CHECK_STR(tpl_kind_name(l), "slice");
  CHECK_STR(tpl_type_name(tpl_nil()), "<nil>");
  tpl_unref(l);
}

static void test_kd_round_trip(void)
{
  const char *doc = "{\"z\":[1,2.5,null,true],\"a\":{\"k\":\"v\"}}";
  kd_value v, back;
  kd_buf b = {0};
  kd_error err = {0};
  tpl_val t;
  CHECK(json_decode(doc, strlen(doc), "t", &v, &err) == KD_OK);
  CHECK(tpl_from_kd(&v, TPL_FROM_KD_FLOATS, &t) == KD_OK);
  CHECK(tpl_list_at(*tpl_map_gets(t, "z"), 0).kind == TPL_FLOAT);
  CHECK(tpl_to_kd(t, &back) == KD_OK);
  CHECK(json_encode(&back, 0, &b, &err) == KD_OK);
  CHECK_STR(b.data, "{\"a\":{\"k\":\"v\"},\"z\":[1,2.5,null,true]}");
  kd_buf_free(&b);
  kd_value_clear(&back);
  kd_value_clear(&v);
  tpl_unref(t);
}

int main(void)
{
  RUN(test_map_sorted_and_shared);
  RUN(test_list_and_truth);
  RUN(test_kd_round_trip);
  TEST_EXIT();
}
