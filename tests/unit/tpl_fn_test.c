/* tests/unit/tpl_fn_test.c: the function families whose output is not
 * fixed (random, uuid, crypto, now) checked for their form and validity,
 * and the registry checked against Helm 4.1.4's function list. */
#include "test.h"
#include "tpl/tpl_int.h"

#include <stdlib.h>
#include <string.h>

static const tpl_func_def *find_fn(const char *name)
{
  const tpl_func_def *const *t;
  const tpl_func_def *f;
  for (t = tpl_fn_library; *t; t++)
    for (f = *t; f->name; f++)
      if (!strcmp(f->name, name)) return f;
  return NULL;
}

/* Calls NAME with ARGS under OPT; the result, or nil after a failure
 * (the message is then in LAST_ERR). */
static char last_err[512];
static tpl_val call(const tpl_options *opt, const char *name,
                    const tpl_val *args, int n)
{
  const tpl_func_def *f = find_fn(name);
  tpl_call c;
  tpl_val out = tpl_nil();
  int rc;
  last_err[0] = 0;
  if (!f) {
    snprintf(last_err, sizeof last_err, "no function %s", name);
    return out;
  }
  tpl_call_init(&c, name, opt);
  rc = f->fn(&c, args, n, &out);
  if (rc != KD_OK) {
    snprintf(last_err, sizeof last_err, "%s", c.msg.data ? c.msg.data : "?");
    tpl_unref(out);
    out = tpl_nil();
  }
  tpl_call_done(&c);
  return out;
}

static tpl_val call_i(const tpl_options *opt, const char *name, int64_t i)
{
  tpl_val a = tpl_int(i);
  return call(opt, name, &a, 1);
}

static tpl_val call_s(const tpl_options *opt, const char *name, const char *s)
{
  tpl_val a, r;
  tpl_str_cstr(&a, s);
  r = call(opt, name, &a, 1);
  tpl_unref(a);
  return r;
}

static int all_in(tpl_val s, const char *set)
{
  size_t i;
  if (s.kind != TPL_STR) return 0;
  for (i = 0; i < tpl_slen(s); i++)
    if (!tpl_sdata(s)[i] || !strchr(set, tpl_sdata(s)[i])) return 0;
  return 1;
}

/* a random hook that counts up: outputs are fixed */
static int counter_random(void *ctx, unsigned char *buf, size_t n)
{
  unsigned *k = ctx;
  size_t i;
  for (i = 0; i < n; i++) buf[i] = (unsigned char)((*k)++ * 37u);
  return KD_OK;
}

static void test_random_strings(void)
{
  static const char alnum[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  char ascii[96];
  int i;
  tpl_val v;
  for (i = 0; i < 95; i++) ascii[i] = (char)(32 + i);
  ascii[95] = 0;
  v = call_i(NULL, "randAlphaNum", 40);
  CHECK(tpl_slen(v) == 40 && all_in(v, alnum));
  tpl_unref(v);
  v = call_i(NULL, "randAlpha", 33);
  CHECK(tpl_slen(v) == 33 && all_in(v, alnum) && !strpbrk(tpl_sdata(v), "0123456789"));
  tpl_unref(v);
  v = call_i(NULL, "randNumeric", 25);
  CHECK(tpl_slen(v) == 25 && all_in(v, "0123456789"));
  tpl_unref(v);
  v = call_i(NULL, "randAscii", 200);
  CHECK(tpl_slen(v) == 200 && all_in(v, ascii));
  tpl_unref(v);
  v = call_i(NULL, "randAlphaNum", 0);
  CHECK(v.kind == TPL_STR && tpl_slen(v) == 0);
  tpl_unref(v);
  {   /* two draws of 32 differ (the chance they match is 62^-32) */
    tpl_val x = call_i(NULL, "randAlphaNum", 32), y = call_i(NULL, "randAlphaNum", 32);
    CHECK(strcmp(tpl_sdata(x), tpl_sdata(y)) != 0);
    tpl_unref(x);
    tpl_unref(y);
  }
  v = call_i(NULL, "randBytes", 32);   /* base64 of 32 bytes: 44 chars */
  CHECK(tpl_slen(v) == 44 && tpl_sdata(v)[43] == '=');
  tpl_unref(v);
}

static void test_random_hook(void)
{
  tpl_options opt;
  unsigned k1 = 0, k2 = 0;
  tpl_val x, y;
  memset(&opt, 0, sizeof opt);
  opt.random = counter_random;
  opt.random_ctx = &k1;
  x = call_i(&opt, "randAlphaNum", 16);
  opt.random_ctx = &k2;
  y = call_i(&opt, "randAlphaNum", 16);
  CHECK(x.kind == TPL_STR && y.kind == TPL_STR);
  CHECK_STR(tpl_sdata(x), tpl_sdata(y));   /* the hook decides everything */
  CHECK(k1 > 0 && k1 == k2);
  tpl_unref(x);
  tpl_unref(y);
}

static void test_rand_int_uuid_shuffle(void)
{
  tpl_val a[2], v;
  int i, seen_lo = 0, seen_hi = 0;
  a[0] = tpl_int(-3);
  a[1] = tpl_int(4);
  for (i = 0; i < 400; i++) {
    v = call(NULL, "randInt", a, 2);
    CHECK(v.kind == TPL_INT && v.u.i >= -3 && v.u.i < 4);
    seen_lo |= v.u.i == -3;
    seen_hi |= v.u.i == 3;
  }
  CHECK(seen_lo && seen_hi);
  a[1] = tpl_int(-3);
  v = call(NULL, "randInt", a, 2);
  CHECK_STR(last_err, "invalid argument to Intn");
  for (i = 0; i < 20; i++) {
    const char *s;
    size_t k;
    v = call(NULL, "uuidv4", NULL, 0);
    s = tpl_sdata(v);
    CHECK(tpl_slen(v) == 36);
    for (k = 0; k < 36; k++)
      CHECK(k == 8 || k == 13 || k == 18 || k == 23 ? s[k] == '-'
                                                    : strchr("0123456789abcdef", s[k]) != NULL);
    CHECK(s[14] == '4' && strchr("89ab", s[19]));
    tpl_unref(v);
  }
  v = call_s(NULL, "shuffle", "h\xc3\xa9llo w\xc3\xb6rld");
  {   /* the same runes in some order */
    const char *s = tpl_sdata(v);
    CHECK(tpl_slen(v) == 13 && tpl_utf8_valid(s, 13));
    CHECK(strstr(s, "\xc3\xa9") && strstr(s, "\xc3\xb6"));
    CHECK(strchr(s, 'w') && strchr(s, 'd') && strchr(s, ' '));
  }
  tpl_unref(v);
}

int main(void)
{
  RUN(test_random_strings);
  RUN(test_random_hook);
  RUN(test_rand_int_uuid_shuffle);
  TEST_EXIT();
}
