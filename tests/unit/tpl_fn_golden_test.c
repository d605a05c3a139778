/* tests/unit/tpl_fn_golden_test.c: the function library against the real
 * helm. tests/golden/tpl_fn/cases.tsv holds calls in template syntax and
 * what helm printed for them as "%T|%v" (or ERR|message); gen.py made it.
 * A small evaluator here parses each call (literals and parenthesised
 * calls), converts arguments to each function's signature as Go's
 * text/template does for constants, calls the library and prints the
 * result the same way; a second pass runs every case as a real template
 * through the parser and executor. */
#include "test.h"
#include "tpl/tpl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const tpl_func_def *find_fn(const char *name, size_t len)
{
  const tpl_func_def *const *t;
  const tpl_func_def *f;
  for (t = tpl_fn_library; *t; t++)
    for (f = *t; f->name; f++)
      if (strlen(f->name) == len && memcmp(f->name, name, len) == 0) return f;
  return NULL;
}

typedef struct {
  const char *s;
  kd_buf err;   /* the message of a failed call */
} parser;

typedef struct {
  tpl_val v;
  int untyped_int, untyped_float;   /* constants convert to the param type */
} arg;

static void skip(parser *p)
{
  while (*p->s == ' ') p->s++;
}

static int eval_call(parser *p, const char *end_chars, tpl_val *out);
static int eval_method(parser *p, const char *end_chars, tpl_val *out);

static int parse_string(parser *p, tpl_val *out)
{
  kd_buf b = {0};
  const char *s = p->s + 1;
  while (*s && *s != '"') {
    if (*s == '\\') {
      s++;
      switch (*s) {
      case 'n': kd_buf_addc(&b, '\n'); break;
      case 't': kd_buf_addc(&b, '\t'); break;
      case 'u': {
        char hex[5] = {0}, enc[4];
        memcpy(hex, s + 1, 4);
        kd_buf_add(&b, enc, (size_t)tpl_utf8_encode(enc, (int32_t)strtol(hex, NULL, 16)));
        s += 4;
        break;
      }
      default: kd_buf_addc(&b, *s); break;
      }
      s++;
    } else {
      kd_buf_addc(&b, *s++);
    }
  }
  p->s = *s ? s + 1 : s;
  tpl_str_new(out, b.data ? b.data : "", b.len);
  kd_buf_free(&b);
  return KD_OK;
}

static int parse_arg(parser *p, arg *a)
{
  memset(a, 0, sizeof *a);
  skip(p);
  if (*p->s == '(') {
    int rc;
    p->s++;
    rc = eval_call(p, ")", &a->v);
    if (*p->s == ')') p->s++;
    /* (CALL).Field in an argument: a method without arguments */
    while (rc == KD_OK && *p->s == '.' && a->v.kind == TPL_OBJ &&
           p->s[1] >= 'A' && p->s[1] <= 'Z') {
      char mname[64];
      size_t nlen = strcspn(p->s + 1, " ).");
      tpl_val recv = a->v;
      tpl_call c;
      snprintf(mname, sizeof mname, "%.*s", (int)nlen, p->s + 1);
      p->s += nlen + 1;
      tpl_call_init(&c, mname, NULL);
      rc = tpl_obj_class(recv)->member(&c, recv.u.o, mname, NULL, 0, &a->v);
      if (rc == KD_EEXEC) {
        p->err.len = 0;
        kd_buf_add(&p->err, c.msg.data ? c.msg.data : "", c.msg.len);
      }
      tpl_call_done(&c);
      tpl_unref(recv);
    }
    return rc;
  }
  if (*p->s == '"') return parse_string(p, &a->v);
  if (!strncmp(p->s, "nil", 3)) { p->s += 3; return KD_OK; }
  if (!strncmp(p->s, "true", 4)) { p->s += 4; a->v = tpl_bool(1); return KD_OK; }
  if (!strncmp(p->s, "false", 5)) { p->s += 5; a->v = tpl_bool(0); return KD_OK; }
  {
    size_t n = strspn(p->s, "-+0123456789.eE");
    char *end;
    if (memchr(p->s, '.', n) || memchr(p->s, 'e', n)) {
      a->v = tpl_float(strtod(p->s, &end));
      a->untyped_float = 1;
    } else {
      a->v = tpl_int(strtoll(p->s, &end, 10));
      a->untyped_int = 1;
    }
    p->s = end;
  }
  return KD_OK;
}

/* Go's conversion of an argument to the parameter type LETTER */
static int convert(parser *p, arg *a, char letter)
{
  const char *want = NULL;
  switch (letter) {
  case 'a': return KD_OK;
  case 's': if (a->v.kind == TPL_STR) return KD_OK; want = "string"; break;
  case 'b': if (a->v.kind == TPL_BOOL) return KD_OK; want = "bool"; break;
  case 'm': if (a->v.kind == TPL_MAP) return KD_OK;
    want = "map[string]interface {}"; break;
  case 'l':
    if (a->v.kind == TPL_LIST && a->v.sub == TPL_ELEM_ANY) return KD_OK;
    want = "[]interface {}";
    break;
  case 'i': case 'I':
    if (a->untyped_int || (a->v.kind == TPL_INT &&
                           a->v.sub == (letter == 'i' ? TPL_GO_INT : TPL_GO_INT64))) {
      a->v = letter == 'i' ? tpl_int(a->v.u.i) : tpl_int64(a->v.u.i);
      return KD_OK;
    }
    want = letter == 'i' ? "int" : "int64";
    break;
  case 'u':   /* uint32: non-negative integer constants, low 32 bits */
    if (a->untyped_int && a->v.u.i >= 0) {
      a->v = tpl_int64((int64_t)(uint32_t)a->v.u.i);
      return KD_OK;
    }
    want = "uint32";
    break;
  case 'f':
    if (a->untyped_int) { a->v = tpl_float((double)a->v.u.i); return KD_OK; }
    if (a->v.kind == TPL_FLOAT) return KD_OK;
    want = "float64";
    break;
  default: break;
  }
  p->err.len = 0;
  kd_buf_printf(&p->err, "wrong type for value; expected %s; got %s",
                want ? want : "?", tpl_type_name(a->v));
  return KD_EEXEC;
}

/* (RECEIVER).Method ARGS: a method of a native object */
static int eval_method(parser *p, const char *end_chars, tpl_val *out)
{
  arg recv, args[8];
  tpl_val vals[8];
  const char *name;
  size_t nlen;
  char mname[64];
  int n = 0, i, rc;
  tpl_call c;
  memset(&recv, 0, sizeof recv);
  p->s++;   /* the receiver: "(" CALL ")" */
  rc = eval_call(p, ")", &recv.v);
  if (*p->s == ')') p->s++;
  if (rc != KD_OK) return rc;
  if (*p->s != '.') {   /* just a parenthesised call */
    *out = recv.v;
    return KD_OK;
  }
  if (recv.v.kind != TPL_OBJ) {
    tpl_unref(recv.v);
    p->err.len = 0;
    kd_buf_adds(&p->err, "expected (object).Method");
    return KD_EEXEC;
  }
  name = ++p->s;
  nlen = strcspn(name, " )");
  p->s += nlen;
  snprintf(mname, sizeof mname, "%.*s", (int)nlen, name);
  for (skip(p); *p->s && !strchr(end_chars, *p->s) && n < 8; skip(p))
    if ((rc = parse_arg(p, &args[n++])) != KD_OK) break;
  for (i = 0; i < n; i++) vals[i] = args[i].v;
  if (rc == KD_OK) {
    tpl_call_init(&c, mname, NULL);
    rc = tpl_obj_class(recv.v)->member(&c, recv.v.u.o, mname, vals, n, out);
    if (rc == KD_EEXEC) {
      p->err.len = 0;
      kd_buf_add(&p->err, c.msg.data ? c.msg.data : "", c.msg.len);
    }
    tpl_call_done(&c);
  }
  for (i = 0; i < n; i++) tpl_unref(vals[i]);
  tpl_unref(recv.v);
  return rc;
}

static int eval_call(parser *p, const char *end_chars, tpl_val *out)
{
  const char *name;
  size_t nlen;
  const tpl_func_def *f;
  arg args[32];
  tpl_val vals[32];
  int n = 0, i, rc = KD_OK;
  tpl_call c;
  *out = tpl_nil();
  skip(p);
  if (*p->s == '(') return eval_method(p, end_chars, out);
  name = p->s;
  nlen = strcspn(name, " )");
  p->s += nlen;
  if (!(f = find_fn(name, nlen))) {
    p->err.len = 0;
    kd_buf_printf(&p->err, "function %.*s not in the library", (int)nlen, name);
    return KD_EEXEC;
  }
  for (skip(p); *p->s && !strchr(end_chars, *p->s) && n < 32; skip(p))
    if ((rc = parse_arg(p, &args[n++])) != KD_OK) break;
  for (i = 0; rc == KD_OK && i < n; i++) {
    size_t sl = strlen(f->sig);
    int star = sl && f->sig[sl - 1] == '*';
    size_t fixed = star ? sl - 1 : sl;
    char letter = (size_t)i < fixed ? f->sig[i] : star ? f->sig[sl - 2] : 0;
    if (!letter) {
      p->err.len = 0;
      kd_buf_printf(&p->err, "wrong number of args for %s", f->name);
      rc = KD_EEXEC;
      break;
    }
    rc = convert(p, &args[i], letter);
  }
  if (rc == KD_OK) {
    size_t sl = strlen(f->sig);
    size_t need = sl && f->sig[sl - 1] == '*' ? sl - 2 : sl;
    if ((size_t)n < need) {
      p->err.len = 0;
      kd_buf_printf(&p->err, "wrong number of args for %s", f->name);
      rc = KD_EEXEC;
    }
  }
  for (i = 0; i < n; i++) vals[i] = args[i].v;
  if (rc == KD_OK) {
    tpl_call_init(&c, f->name, NULL);
    rc = f->fn(&c, vals, n, out);
    if (rc == KD_EEXEC) {
      p->err.len = 0;
      kd_buf_add(&p->err, c.msg.data ? c.msg.data : "", c.msg.len);
    }
    tpl_call_done(&c);
  }
  for (i = 0; i < n; i++) tpl_unref(vals[i]);
  return rc;
}

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

static void test_golden_calls(void)
{
  size_t len;
  kd_error err = {0};
  char *data = kd_read_file("tests/golden/tpl_fn/cases.tsv", &len, &err);
  char *line, *save = NULL;
  int total = 0, ok = 0;
  CHECK(data != NULL);
  if (!data) return;
  for (line = strtok_r(data, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    char *tab;
    parser p = {0};
    tpl_val v, two[2];
    kd_buf got = {0};
    size_t wlen;
    int rc;
    if (line[0] == '#' || !(tab = strchr(line, '\t'))) continue;
    *tab = 0;
    wlen = unescape(tab + 1);
    p.s = line;
    rc = eval_call(&p, "", &v);
    if (rc == KD_OK) {
      two[0] = two[1] = v;
      tpl_sprintf(&got, "%T|%v", 5, two, 2);
    } else {
      kd_buf_adds(&got, "ERR|");
      kd_buf_add(&got, p.err.data ? p.err.data : "", p.err.len);
    }
    total++;
    if (got.len == wlen && memcmp(got.data, tab + 1, wlen) == 0) {
      ok++;
    } else {
      printf("FAIL %s: {{ %s }}: got \"%s\", want \"%s\"\n", t_name, line,
             got.data, tab + 1);
      t_failures++;
    }
    tpl_unref(v);
    kd_buf_free(&got);
    kd_buf_free(&p.err);
  }
  printf("golden calls: %d of %d match helm\n", ok, total);
  CHECK(total > 300);
  free(data);
}

/* The same cases as real templates, through the parser and executor:
 * {{ $r := (CALL) }}{{ printf "%T|%v" $r $r }}, errors compared by their
 * "error calling NAME: " part as gen.py records them. */
static void test_golden_templates(void)
{
  size_t len;
  kd_error err = {0};
  char *data = kd_read_file("tests/golden/tpl_fn/cases.tsv", &len, &err);
  char *line, *save = NULL;
  int total = 0, ok = 0;
  tpl_options opt;
  CHECK(data != NULL);
  if (!data) return;
  memset(&opt, 0, sizeof opt);
  opt.funcs = tpl_fn_library;
  for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *tab;
    kd_buf text = {0}, got = {0};
    tpl_set *s;
    size_t wlen;
    int rc;
    if (line[0] == '#' || !(tab = strchr(line, '\t'))) continue;
    *tab = 0;
    wlen = unescape(tab + 1);
    kd_buf_printf(&text, "{{ $r := (%s) }}{{ printf \"%%T|%%v\" $r $r }}", line);
    s = tpl_set_new(&opt, &err);
    rc = s ? tpl_set_parse(s, "c", text.data, text.len, &err) : KD_ENOMEM;
    if (rc == KD_OK) rc = tpl_set_exec(s, "c", tpl_nil(), &got, &err);
    if (rc != KD_OK) {
      const char *m = strstr(err.msg, "error calling ");
      const char *colon = m ? strstr(m, ": ") : NULL;
      got.len = 0;
      kd_buf_adds(&got, "ERR|");
      kd_buf_adds(&got, colon ? colon + 2 : err.msg);
    }
    total++;
    if (got.len == wlen && memcmp(got.data, tab + 1, wlen) == 0) {
      ok++;
    } else {
      printf("FAIL %s: {{ %s }}: got \"%s\", want \"%s\"\n", t_name, line,
             got.data ? got.data : "", tab + 1);
      t_failures++;
    }
    tpl_set_free(s);
    kd_buf_free(&text);
    kd_buf_free(&got);
  }
  printf("golden calls through templates: %d of %d match helm\n", ok, total);
  CHECK(total > 300);
  free(data);
}

int main(void)
{
  RUN(test_golden_calls);
  RUN(test_golden_templates);
  TEST_EXIT();
}
