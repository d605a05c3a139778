/* tests/unit/tpl_fmt_test.c: Go's fmt as templates see it. The cases live
 * in tests/golden/tpl_fmt/cases.tsv, whose expected column was printed by
 * the real helm (Go's fmt) through gen.py; a few API checks follow. */
#include "test.h"
#include "tpl/tpl_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the value spec of cases.in: 42 42L 1.5 nan "s" nil true [..] {..} --- */

static const char *parse_val(const char *s, tpl_val *out);

static const char *skip_ws(const char *s)
{
  while (*s == ' ') s++;
  return s;
}

/* A Go string literal at S (after the opening quote) into B; returns the
 * position after the closing quote. */
static const char *parse_go_string(const char *s, kd_buf *b)
{
  while (*s && *s != '"') {
    if (*s != '\\') {
      kd_buf_addc(b, *s++);
      continue;
    }
    s++;
    switch (*s) {
    case 'n': kd_buf_addc(b, '\n'); s++; break;
    case 't': kd_buf_addc(b, '\t'); s++; break;
    case 'x': {
      char hex[3] = {s[1], s[2], 0};
      kd_buf_addc(b, (char)strtol(hex, NULL, 16));
      s += 3;
      break;
    }
    case 'u': case 'U': {
      int n = *s == 'u' ? 4 : 8;
      char hex[9] = {0}, enc[4];
      memcpy(hex, s + 1, (size_t)n);
      kd_buf_add(b, enc, (size_t)tpl_utf8_encode(enc, (int32_t)strtol(hex, NULL, 16)));
      s += 1 + n;
      break;
    }
    default: kd_buf_addc(b, *s++); break;
    }
  }
  return *s ? s + 1 : s;
}

static const char *parse_list(const char *s, tpl_val *out, int strs)
{
  tpl_list_new(out, 0);
  if (strs) out->sub = TPL_ELEM_STR;
  s = skip_ws(s);
  while (*s && *s != ']') {
    tpl_val item;
    s = skip_ws(parse_val(s, &item));
    tpl_list_push(*out, item);
  }
  return *s ? s + 1 : s;
}

static const char *parse_map(const char *s, tpl_val *out)
{
  tpl_map_new(out);
  s = skip_ws(s);
  while (*s && *s != '}') {
    const char *colon = strchr(s, ':'), *key = s;
    tpl_val item;
    if (!colon) break;
    s = skip_ws(parse_val(colon + 1, &item));
    tpl_map_set(*out, key, (size_t)(colon - key), item);
  }
  return *s ? s + 1 : s;
}

static const char *parse_val(const char *s, tpl_val *out)
{
  char *end;
  s = skip_ws(s);
  if (*s == '"') {
    kd_buf b = {0};
    s = parse_go_string(s + 1, &b);
    tpl_str_new(out, b.data ? b.data : "", b.len);
    kd_buf_free(&b);
    return s;
  }
  if (*s == '[') return parse_list(s + 1, out, 0);
  if (s[0] == 'S' && s[1] == '[') return parse_list(s + 2, out, 1);
  if (*s == '{') return parse_map(s + 1, out);
  if (!strncmp(s, "nil", 3)) { *out = tpl_nil(); return s + 3; }
  if (!strncmp(s, "true", 4)) { *out = tpl_bool(1); return s + 4; }
  if (!strncmp(s, "false", 5)) { *out = tpl_bool(0); return s + 5; }
  if (!strncmp(s, "nan", 3)) { *out = tpl_float(NAN); return s + 3; }
  if (!strncmp(s, "inf", 3)) { *out = tpl_float(INFINITY); return s + 3; }
  if (!strncmp(s, "-inf", 4)) { *out = tpl_float(-INFINITY); return s + 4; }
  {
    size_t n = strspn(s, "-+0123456789.eE");
    if (memchr(s, '.', n) || memchr(s, 'e', n) || memchr(s, 'E', n)) {
      *out = tpl_float(strtod(s, &end));
      return end;
    }
    *out = tpl_int(strtoll(s, &end, 10));
    if (*end == 'L') {
      out->sub = TPL_GO_INT64;
      end++;
    }
    return end;
  }
}

/* ---- the golden cases --------------------------------------------------- */

/* Undoes gen.py's escapes (\\ \t \n \0) in place; returns the length. */
static size_t unescape(char *s)
{
  char *o = s, *i = s;
  while (*i) {
    if (*i == '\\' && i[1]) {
      i++;
      *o++ = *i == 't' ? '\t' : *i == 'n' ? '\n' : *i == '0' ? 0 : *i;
      i++;
    } else {
      *o++ = *i++;
    }
  }
  *o = 0;
  return (size_t)(o - s);
}

static void test_golden_cases(void)
{
  size_t len;
  kd_error err = {0};
  char *data = kd_read_file("tests/golden/tpl_fmt/cases.tsv", &len, &err);
  char *line, *save = NULL;
  int n = 0;
  CHECK(data != NULL);
  if (!data) return;
  for (line = strtok_r(data, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    char *t1, *t2;
    kd_buf fmt = {0}, out = {0};
    tpl_val args[16];
    int nargs = 0, i;
    const char *a;
    size_t wlen;
    if (line[0] == '#') continue;
    t1 = strchr(line, '\t');
    t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
    if (!t2) {
      printf("FAIL %s: bad case line: %s\n", t_name, line);
      t_failures++;
      continue;
    }
    *t1 = *t2 = 0;
    parse_go_string(line + 1, &fmt);
    for (a = skip_ws(t1 + 1); *a && nargs < 16; a = skip_ws(a))
      a = parse_val(a, &args[nargs++]);
    wlen = unescape(t2 + 1);
    CHECK(tpl_sprintf(&out, fmt.data ? fmt.data : "", fmt.len, args, nargs) ==
          KD_OK);
    if (out.len != wlen || (wlen && memcmp(out.data, t2 + 1, wlen) != 0)) {
      printf("FAIL %s: printf %s %s: got \"%s\", want \"%s\"\n", t_name,
             line, t1 + 1, out.data ? out.data : "", t2 + 1);
      t_failures++;
    }
    for (i = 0; i < nargs; i++) tpl_unref(args[i]);
    kd_buf_free(&fmt);
    kd_buf_free(&out);
    n++;
  }
  CHECK(n > 300);
  free(data);
}

/* ---- the API around Sprintf --------------------------------------------- */

static kd_buf vbuf;

static char *fmt_v(tpl_val v)
{
  kd_buf *b = &vbuf;
  b->len = 0;
  CHECK(tpl_fmt_v(b, v) == KD_OK);
  return b->data ? b->data : "";
}

static void test_fmt_v(void)
{
  tpl_val l, m, s;
  CHECK_STR(fmt_v(tpl_float(1e6)), "1e+06");
  CHECK_STR(fmt_v(tpl_float(3.14)), "3.14");
  CHECK_STR(fmt_v(tpl_float(1e-7)), "1e-07");
  CHECK_STR(fmt_v(tpl_float(80)), "80");
  CHECK_STR(fmt_v(tpl_int64(-3)), "-3");
  CHECK_STR(fmt_v(tpl_nil()), "<nil>");
  CHECK_STR(fmt_v(tpl_bool(0)), "false");
  tpl_map_new(&m);
  tpl_str_cstr(&s, "x y");
  tpl_map_sets(m, "b", s);
  tpl_map_sets(m, "a", tpl_float(1.5));
  tpl_list_new(&l, 2);
  tpl_list_push(l, tpl_ref(m));
  tpl_list_push(l, tpl_nil());
  CHECK_STR(fmt_v(m), "map[a:1.5 b:x y]");
  CHECK_STR(fmt_v(l), "[map[a:1.5 b:x y] <nil>]");
  tpl_unref(l);
  tpl_unref(m);
  kd_buf_free(&vbuf);
}

#define SPRINTF(b, f, a, n) tpl_sprintf(b, f, strlen(f), a, n)

static int print_ver(tpl_obj *o, kd_buf *b)
{
  (void)o;
  return kd_buf_adds(b, "1.2.3");
}

static const tpl_class ver_class = {"*semver.Version", "ptr", NULL, print_ver,
                                    NULL, NULL, NULL};

static void test_objects_and_sprint(void)
{
  tpl_val o, args[4];
  kd_buf b = {0};
  CHECK(tpl_obj_new(&o, &ver_class, NULL) == KD_OK);
  args[0] = o;
  CHECK(SPRINTF(&b, "%v|%s|%q|%8v|%T|%d", args, 1) == KD_OK);
  CHECK_STR(b.data, "1.2.3|%!s(MISSING)|%!q(MISSING)|%!v(MISSING)|"
                    "%!T(MISSING)|%!d(MISSING)");
  b.len = 0;
  args[1] = o;
  args[2] = o;
  args[3] = o;
  CHECK(SPRINTF(&b, "%v|%q|%8v|%T", args, 4) == KD_OK);
  CHECK_STR(b.data, "1.2.3|\"1.2.3\"|   1.2.3|*semver.Version");
  b.len = 0;
  tpl_str_cstr(&args[0], "a");
  tpl_str_cstr(&args[1], "b");
  args[2] = tpl_int(1);
  args[3] = tpl_int(2);
  CHECK(tpl_sprint(&b, args, 4) == KD_OK);
  CHECK_STR(b.data, "ab1 2");
  b.len = 0;
  CHECK(tpl_sprintln(&b, args, 4) == KD_OK);
  CHECK_STR(b.data, "a b 1 2\n");
  b.len = 0;
  CHECK(tpl_sprint(&b, args + 1, 3) == KD_OK);   /* string then ints */
  CHECK_STR(b.data, "b1 2");
  tpl_unref(args[0]);
  tpl_unref(args[1]);
  tpl_unref(o);
  kd_buf_free(&b);
}

int main(void)
{
  RUN(test_golden_cases);
  RUN(test_fmt_v);
  RUN(test_objects_and_sprint);
  TEST_EXIT();
}
