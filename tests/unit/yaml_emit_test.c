/* tests/unit/yaml_emit_test.c: engine/yaml_encode against Helm's toYaml.
 * The golden files tests/golden/yaml/NAME.values.yaml + NAME.toyaml come
 * from the real helm binary (tests/golden/yaml/gen.sh); the rest checks
 * what helm cannot be fed through a values file. */
#include "json.h"
#include "test.h"
#include "yaml.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>

#define GOLDEN_DIR "tests/golden/yaml"

/* Encodes V; returns the text (owned) or "error: message" (owned). */
static char *encode(const kd_value *v)
{
  kd_buf out = {0};
  kd_error err = {0};
  if (yaml_encode(v, &out, &err) != KD_OK) {
    kd_buf_free(&out);
    kd_buf_printf(&out, "error: %s", err.msg);
  }
  return kd_buf_take(&out, NULL);
}

/* Prints where GOT and WANT first differ. */
static void show_diff(const char *what, const char *got, const char *want)
{
  size_t i = 0, line = 1;
  while (got[i] && got[i] == want[i]) line += got[i++] == '\n';
  printf("FAIL %s: %s differs at line %zu:\n  got:  \"%.60s\"\n  want: \"%.60s\"\n",
         t_name, what, line, got + i, want + i);
  t_failures++;
}

/* Checks one block of a .toyaml file: "#### WHAT[ error]\n" + text. */
static void check_block(const kd_value *values, const char *header,
                        const char *text, size_t len)
{
  const kd_value *v = values;
  int want_error = strstr(header, " error") != NULL;
  const char *idx = strstr(header, "cases[");
  char *got, *want;
  if (idx) {
    kd_value *cases = kd_obj_gets(values, "cases");
    size_t i = (size_t)strtoul(idx + 6, NULL, 10);
    if (!cases || cases->type != KD_ARR || i >= cases->u.arr.len) {
      printf("FAIL %s: %s: no such case\n", t_name, header);
      t_failures++;
      return;
    }
    v = &cases->u.arr.items[i];
  }
  got = encode(v);
  if (want_error) {
    if (strncmp(got, "error: ", 7) != 0) {
      printf("FAIL %s: %s: helm refused it, we printed \"%.60s\"\n", t_name,
             header, got);
      t_failures++;
    }
  } else {
    want = kd_strndup(text, len);
    if (strcmp(got, want) != 0) show_diff(header, got, want);
    free(want);
  }
  free(got);
}

static void check_golden(const char *name)
{
  kd_buf path = {0};
  kd_value values;
  kd_error err = {0};
  char *in, *exp, *p;
  size_t inlen, explen;
  kd_buf_printf(&path, "%s/%s.values.yaml", GOLDEN_DIR, name);
  in = kd_read_file(path.data, &inlen, &err);
  path.len = 0;
  kd_buf_printf(&path, "%s/%s.toyaml", GOLDEN_DIR, name);
  exp = kd_read_file(path.data, &explen, &err);
  kd_buf_free(&path);
  CHECK(in && exp);
  if (!in || !exp) goto done;
  if (yaml_decode(in, inlen, name, &values, &err) != KD_OK) {
    printf("FAIL %s: %s\n", t_name, err.msg);
    t_failures++;
    goto done;
  }
  for (p = exp; p && *p;) {
    char *eol = strchr(p, '\n'), *next, *header;
    if (!eol || strncmp(p, "#### ", 5) != 0) {
      printf("FAIL %s: malformed %s.toyaml\n", t_name, name);
      t_failures++;
      break;
    }
    header = kd_strndup(p + 5, (size_t)(eol - p - 5));
    for (next = eol + 1; *next && strncmp(next, "#### ", 5) != 0;)
      next = strchr(next, '\n') ? strchr(next, '\n') + 1 : next + strlen(next);
    check_block(&values, header, eol + 1, (size_t)(next - eol - 1));
    free(header);
    p = next;
  }
  kd_value_clear(&values);
done:
  free(in);
  free(exp);
}

/* Every golden file pair in tests/golden/yaml, one test each. */
static void run_goldens(void)
{
  DIR *d = opendir(GOLDEN_DIR);
  struct dirent *de;
  int found = 0;
  if (!d) {
    printf("FAIL golden: cannot open %s (run from the checkout)\n", GOLDEN_DIR);
    t_total_failed++;
    return;
  }
  while ((de = readdir(d)) != NULL) {
    size_t n = strlen(de->d_name);
    char name[256], label[300];
    if (n <= 12 || n - 12 >= sizeof name ||
        strcmp(de->d_name + n - 12, ".values.yaml") != 0)
      continue;
    memcpy(name, de->d_name, n - 12);
    name[n - 12] = 0;
    snprintf(label, sizeof label, "golden_%s", name);
    t_name = label;
    t_failures = 0;
    check_golden(name);
    if (t_failures) t_total_failed++;
    else printf("PASS %s\n", label);
    found++;
  }
  closedir(d);
  if (found < 5) {
    printf("FAIL golden: only %d golden files found\n", found);
    t_total_failed++;
  }
}

/* Encodes the JSON text J as YAML. */
static char *yj(const char *j)
{
  kd_value v;
  kd_error err = {0};
  char *r;
  if (json_decode(j, strlen(j), "t.json", &v, &err) != KD_OK)
    return kd_strndup(err.msg, strlen(err.msg));
  r = encode(&v);
  kd_value_clear(&v);
  return r;
}

static void check(const char *json, const char *want)
{
  char *got = yj(json);
  CHECK_STR(got, want);
  free(got);
}

/* Expected texts checked with helm: {{ toYaml "a\xffb\xe2\x82" }} etc. */
static void test_invalid_utf8_becomes_replacement_char(void)
{
  kd_value v;
  char *got;
  kd_value_str(&v, "a\xff" "b\xe2\x82", 5);
  got = encode(&v);
  CHECK_STR(got, "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd\n");
  free(got);
  kd_value_clear(&v);
  kd_value_str(&v, "\xed\xa0\x80", 3);   /* a surrogate: three bad bytes */
  got = encode(&v);
  CHECK_STR(got, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\n");
  free(got);
  kd_value_clear(&v);
  kd_value_str(&v, "\xc0\xaf\xf4\x90\x80\x80x", 7);   /* overlong, > U+10FFFF */
  got = encode(&v);
  CHECK_STR(got, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                 "\xef\xbf\xbd\xef\xbf\xbdx\n");
  free(got);
  kd_value_clear(&v);
}

static void test_unrepresentable_values_fail_cleanly(void)
{
  kd_value v, *slot;
  kd_buf out = {0};
  kd_error err = {0};
  kd_value_obj(&v);
  kd_value_int(kd_obj_add(&v, "a", 1), 1);
  slot = kd_obj_add(&v, "b", 1);
  kd_value_float(slot, NAN);
  kd_buf_adds(&out, "prefix");
  CHECK(yaml_encode(&v, &out, &err) == KD_ERANGE);
  CHECK_STR(err.msg, "json: unsupported value: NaN");
  CHECK_STR(out.data, "prefix");   /* nothing half-written */
  kd_value_float(slot, -INFINITY);
  CHECK(yaml_encode(&v, &out, &err) == KD_ERANGE);
  kd_value_clear(slot);
  CHECK(kd_value_str(slot, "x\x7f", 2) == KD_OK);
  CHECK(yaml_encode(&v, &out, &err) == KD_EINVAL);
  CHECK_STR(err.msg, "yaml: control characters are not allowed");
  CHECK_STR(out.data, "prefix");
  kd_buf_free(&out);
  kd_value_clear(&v);
}

static void test_json_shapes(void)
{
  check("{\"b\":[],\"a\":{},\"c\":null}", "a: {}\nb: []\nc: null\n");
  check("[[1,[2]],[]]", "- - 1\n  - - 2\n- []\n");
  check("{\"k\":[{\"a\":[1]}]}", "k:\n- a:\n  - 1\n");
  check("9223372036854775807", "9223372036854775807\n");
  check("-9223372036854775808", "-9223372036854775808\n");
  check("\"\"", "\"\"\n");
  check("null", "null\n");
  check("1.0", "1\n");
  check("{\"a\":1,\"a\":2}", "a: 2\n");
}

static void test_duplicate_keys_last_wins(void)
{
  kd_value v;
  char *got;
  kd_value_obj(&v);
  kd_value_int(kd_obj_add(&v, "k", 1), 1);
  kd_value_int(kd_obj_add(&v, "j", 1), 2);
  kd_value_int(kd_obj_add(&v, "k", 1), 3);
  got = encode(&v);
  CHECK_STR(got, "j: 2\nk: 3\n");
  free(got);
  kd_value_clear(&v);
  /* keys equal once invalid UTF-8 is replaced: helm keeps the value of the
   * key that is last in byte order ({{ toYaml (dict "k\xff" 1 "k\xfe" 2) }}) */
  kd_value_obj(&v);
  kd_value_int(kd_obj_add(&v, "k\xff", 2), 1);
  kd_value_int(kd_obj_add(&v, "k\xfe", 2), 2);
  got = encode(&v);
  CHECK_STR(got, "k\xef\xbf\xbd: 1\n");
  free(got);
  kd_value_clear(&v);
}

static void test_deep_nesting_bounded(void)
{
  kd_value v, *cur = &v;
  char *got;
  int i;
  for (i = 0; i < 10050; i++) {
    kd_value_arr(cur);
    cur = kd_arr_push(cur);
  }
  got = encode(&v);
  CHECK(strstr(got, "nesting too deep") != NULL);
  free(got);
  kd_value_clear(&v);
}

int main(void)
{
  run_goldens();
  RUN(test_invalid_utf8_becomes_replacement_char);
  RUN(test_unrepresentable_values_fail_cleanly);
  RUN(test_json_shapes);
  RUN(test_duplicate_keys_last_wins);
  RUN(test_deep_nesting_bounded);
  TEST_EXIT();
}
