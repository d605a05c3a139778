/* engine/chart/chart_schema.c: values.schema.json validation (JSON Schema
 * draft-07 as charts use it) for the chart and each subchart, with errors
 * worded as Helm 4 prints them ("- at '/a/b': got string, want integer").
 * Patterns are matched with PCRE2 (ECMA-262 syntax is close enough for
 * the patterns charts use). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "chart_int.h"
#include "json.h"

#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const kd_value *root;
  kd_buf *errs;
  kd_buf path;
  int depth;
} vctx;

static const char *jtype(const kd_value *v)
{
  switch (v->type) {
  case KD_NULL: return "null";
  case KD_BOOL: return "boolean";
  case KD_INT: case KD_FLOAT: return "number";
  case KD_STR: return "string";
  case KD_ARR: return "array";
  default: return "object";
  }
}

static int is_integer(const kd_value *v)
{
  return v->type == KD_INT || (v->type == KD_FLOAT && isfinite(v->u.f) &&
                               v->u.f == floor(v->u.f));
}

static int type_ok(const kd_value *v, const char *t)
{
  if (!strcmp(t, "integer")) return is_integer(v);
  if (!strcmp(t, "number")) return v->type == KD_INT || v->type == KD_FLOAT;
  return !strcmp(t, jtype(v));
}

static double num(const kd_value *v) { return v->type == KD_INT ? (double)v->u.i : v->u.f; }

static void fail(vctx *c, const char *fmt, ...)
#ifdef __GNUC__
  __attribute__((format(printf, 2, 3)))
#endif
  ;

#include <stdarg.h>
static void fail(vctx *c, const char *fmt, ...)
{
  kd_buf msg = {0};
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || kd_buf_reserve(&msg, (size_t)n + 1) != KD_OK) return;
  va_start(ap, fmt);
  vsnprintf(msg.data, (size_t)n + 1, fmt, ap);
  va_end(ap);
  kd_buf_printf(c->errs, "- at '%s': %s\n", c->path.len ? c->path.data : "",
                msg.data);
  kd_buf_free(&msg);
}

static void fmt_num(kd_buf *b, double f)
{
  if (f == floor(f) && fabs(f) < 1e15) kd_buf_printf(b, "%lld", (long long)f);
  else json_format_float(f, b);
}

/* A local $ref ("#/definitions/x") resolved in the root schema. */
static const kd_value *resolve(const kd_value *root, const char *ref)
{
  if (ref[0] != '#') return NULL;
  const kd_value *cur = root;
  const char *p = ref + 1;
  kd_buf tok = {0};
  while (cur && *p == '/') {
    p++;
    tok.len = 0;
    while (*p && *p != '/') {
      if (p[0] == '~' && p[1] == '1') { kd_buf_addc(&tok, '/'); p += 2; }
      else if (p[0] == '~' && p[1] == '0') { kd_buf_addc(&tok, '~'); p += 2; }
      else kd_buf_addc(&tok, *p++);
    }
    kd_buf_addc(&tok, 0);
    tok.len--;
    if (cur->type == KD_OBJ) cur = kd_obj_get(cur, tok.data, tok.len);
    else if (cur->type == KD_ARR) {
      size_t i = (size_t)strtoul(tok.data, NULL, 10);
      cur = i < cur->u.arr.len ? &cur->u.arr.items[i] : NULL;
    } else cur = NULL;
  }
  kd_buf_free(&tok);
  return cur;
}

static int re_match(const char *pattern, const char *s, size_t n)
{
  int e;
  PCRE2_SIZE off;
  pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                 PCRE2_UTF, &e, &off, NULL);
  if (!re) return 1;   /* an unusable pattern does not reject values */
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
  int rc = md ? pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, md, NULL) : 0;
  pcre2_match_data_free(md);
  pcre2_code_free(re);
  return rc >= 0;
}

static size_t utf8_len(const char *s, size_t n)
{
  size_t k = 0;
  for (size_t i = 0; i < n; i++) k += ((unsigned char)s[i] & 0xc0) != 0x80;
  return k;
}

static void validate(vctx *c, const kd_value *s, const kd_value *v);

/* Validates V against S; returns 1 if valid. The errors, indented as
 * nested causes, are appended to CAUSES when given. */
static int valid_quiet(vctx *c, const kd_value *s, const kd_value *v,
                       kd_buf *causes)
{
  kd_buf tmp = {0}, *saved = c->errs;
  c->errs = &tmp;
  validate(c, s, v);
  c->errs = saved;
  int ok = tmp.len == 0;
  for (size_t i = 0; causes && i < tmp.len; i++) {
    if (i == 0 || tmp.data[i - 1] == '\n') kd_buf_adds(causes, "  ");
    kd_buf_addc(causes, tmp.data[i]);
  }
  kd_buf_free(&tmp);
  return ok;
}

static void push_path(vctx *c, const char *k, size_t kl, size_t *mark)
{
  *mark = c->path.len;
  kd_buf_addc(&c->path, '/');
  for (size_t i = 0; i < kl; i++) {
    if (k[i] == '~') kd_buf_adds(&c->path, "~0");
    else if (k[i] == '/') kd_buf_adds(&c->path, "~1");
    else kd_buf_addc(&c->path, k[i]);
  }
}

static void pop_path(vctx *c, size_t mark)
{
  c->path.len = mark;
  if (c->path.data) c->path.data[mark] = 0;
}

static void validate_object(vctx *c, const kd_value *s, const kd_value *v)
{
  const kd_value *props = kd_obj_gets(s, "properties");
  const kd_value *pprops = kd_obj_gets(s, "patternProperties");
  const kd_value *addl = kd_obj_gets(s, "additionalProperties");
  const kd_value *req = kd_obj_gets(s, "required");
  if (req && req->type == KD_ARR) {
    kd_buf miss = {0};
    size_t n = 0;
    for (size_t i = 0; i < req->u.arr.len; i++) {
      const kd_value *r = &req->u.arr.items[i];
      if (r->type == KD_STR && !kd_obj_get(v, r->u.str.s, r->u.str.len)) {
        kd_buf_printf(&miss, "%s'%s'", n ? ", " : "", r->u.str.s);
        n++;
      }
    }
    if (n) fail(c, "missing propert%s %s", n > 1 ? "ies" : "y", miss.data);
    kd_buf_free(&miss);
  }
  kd_buf extra = {0};
  size_t nextra = 0;
  for (size_t i = 0; i < v->u.obj.len; i++) {
    const kd_member *m = &v->u.obj.m[i];
    int matched = 0;
    size_t mark;
    const kd_value *ps = props && props->type == KD_OBJ ? kd_obj_get(props, m->key, m->klen) : NULL;
    if (ps) {
      matched = 1;
      push_path(c, m->key, m->klen, &mark);
      validate(c, ps, &m->val);
      pop_path(c, mark);
    }
    for (size_t k = 0; pprops && pprops->type == KD_OBJ && k < pprops->u.obj.len; k++) {
      if (!re_match(pprops->u.obj.m[k].key, m->key, m->klen)) continue;
      matched = 1;
      push_path(c, m->key, m->klen, &mark);
      validate(c, &pprops->u.obj.m[k].val, &m->val);
      pop_path(c, mark);
    }
    if (matched || !addl) continue;
    if (addl->type == KD_BOOL && !addl->u.b) {
      kd_buf_printf(&extra, "%s'%s'", nextra ? ", " : "", m->key);
      nextra++;
    } else if (addl->type == KD_OBJ) {
      push_path(c, m->key, m->klen, &mark);
      validate(c, addl, &m->val);
      pop_path(c, mark);
    }
  }
  if (nextra) fail(c, "additional properties %s not allowed", extra.data);
  kd_buf_free(&extra);
  const kd_value *mn = kd_obj_gets(s, "minProperties"), *mx = kd_obj_gets(s, "maxProperties");
  if (mn && (mn->type == KD_INT || mn->type == KD_FLOAT) && (double)v->u.obj.len < num(mn))
    fail(c, "minProperties: got %zu, want %g", v->u.obj.len, num(mn));
  if (mx && (mx->type == KD_INT || mx->type == KD_FLOAT) && (double)v->u.obj.len > num(mx))
    fail(c, "maxProperties: got %zu, want %g", v->u.obj.len, num(mx));
}

static void validate_array(vctx *c, const kd_value *s, const kd_value *v)
{
  const kd_value *items = kd_obj_gets(s, "items");
  const kd_value *add = kd_obj_gets(s, "additionalItems");
  char idx[32];
  for (size_t i = 0; items && i < v->u.arr.len; i++) {
    const kd_value *is = NULL;
    if (items->type == KD_OBJ || items->type == KD_BOOL) is = items;
    else if (items->type == KD_ARR)
      is = i < items->u.arr.len ? &items->u.arr.items[i] : add;
    if (!is) continue;
    size_t mark;
    snprintf(idx, sizeof idx, "%zu", i);
    push_path(c, idx, strlen(idx), &mark);
    validate(c, is, &v->u.arr.items[i]);
    pop_path(c, mark);
  }
  const kd_value *mn = kd_obj_gets(s, "minItems"), *mx = kd_obj_gets(s, "maxItems");
  if (mn && (mn->type == KD_INT || mn->type == KD_FLOAT) && (double)v->u.arr.len < num(mn))
    fail(c, "minItems: got %zu, want %g", v->u.arr.len, num(mn));
  if (mx && (mx->type == KD_INT || mx->type == KD_FLOAT) && (double)v->u.arr.len > num(mx))
    fail(c, "maxItems: got %zu, want %g", v->u.arr.len, num(mx));
  const kd_value *u = kd_obj_gets(s, "uniqueItems");
  if (u && u->type == KD_BOOL && u->u.b)
    for (size_t i = 0; i < v->u.arr.len; i++)
      for (size_t j = i + 1; j < v->u.arr.len; j++)
        if (kd_value_equal(&v->u.arr.items[i], &v->u.arr.items[j])) {
          fail(c, "items at %zu and %zu are equal", i, j);
          return;
        }
}

static void validate_scalar(vctx *c, const kd_value *s, const kd_value *v)
{
  if (v->type == KD_INT || v->type == KD_FLOAT) {
    static const char *const kw[4] = {"minimum", "maximum", "exclusiveMinimum",
                                      "exclusiveMaximum"};
    double x = num(v);
    for (int k = 0; k < 4; k++) {
      const kd_value *l = kd_obj_gets(s, kw[k]);
      if (!l || (l->type != KD_INT && l->type != KD_FLOAT)) continue;
      double y = num(l);
      int bad = k == 0 ? x < y : k == 1 ? x > y : k == 2 ? x <= y : x >= y;
      if (!bad) continue;
      kd_buf a = {0}, b = {0};
      fmt_num(&a, x);
      fmt_num(&b, y);
      fail(c, "%s: got %s, want %s", kw[k], a.data, b.data);
      kd_buf_free(&a);
      kd_buf_free(&b);
    }
    const kd_value *m = kd_obj_gets(s, "multipleOf");
    if (m && (m->type == KD_INT || m->type == KD_FLOAT) && num(m) > 0) {
      double q = x / num(m);
      if (q != floor(q)) {
        kd_buf a = {0}, b = {0};
        fmt_num(&a, x);
        fmt_num(&b, num(m));
        fail(c, "multipleOf: got %s, want %s", a.data, b.data);
        kd_buf_free(&a);
        kd_buf_free(&b);
      }
    }
  }
  if (v->type == KD_STR) {
    size_t len = utf8_len(v->u.str.s, v->u.str.len);
    const kd_value *mn = kd_obj_gets(s, "minLength"), *mx = kd_obj_gets(s, "maxLength");
    if (mn && (mn->type == KD_INT || mn->type == KD_FLOAT) && (double)len < num(mn))
      fail(c, "minLength: got %zu, want %g", len, num(mn));
    if (mx && (mx->type == KD_INT || mx->type == KD_FLOAT) && (double)len > num(mx))
      fail(c, "maxLength: got %zu, want %g", len, num(mx));
    const kd_value *p = kd_obj_gets(s, "pattern");
    if (p && p->type == KD_STR && !re_match(p->u.str.s, v->u.str.s, v->u.str.len))
      fail(c, "'%s' does not match pattern '%s'", v->u.str.s, p->u.str.s);
  }
}

static void validate(vctx *c, const kd_value *s, const kd_value *v)
{
  if (s->type == KD_BOOL) {
    if (!s->u.b) fail(c, "false schema");
    return;
  }
  if (s->type != KD_OBJ || ++c->depth > 200) { c->depth--; return; }
  const kd_value *ref = kd_obj_gets(s, "$ref");
  if (ref && ref->type == KD_STR) {   /* draft-07: siblings of $ref ignored */
    const kd_value *t = resolve(c->root, ref->u.str.s);
    if (t) validate(c, t, v);
    c->depth--;
    return;
  }
  const kd_value *type = kd_obj_gets(s, "type");
  if (type && (type->type == KD_STR || type->type == KD_ARR)) {
    int ok = 0;
    kd_buf want = {0};
    if (type->type == KD_STR) {
      ok = type_ok(v, type->u.str.s);
      kd_buf_adds(&want, type->u.str.s);
    } else {
      for (size_t i = 0; i < type->u.arr.len; i++) {
        const kd_value *t = &type->u.arr.items[i];
        if (t->type != KD_STR) continue;
        ok |= type_ok(v, t->u.str.s);
        kd_buf_printf(&want, "%s%s", want.len ? " or " : "", t->u.str.s);
      }
    }
    if (!ok) {
      fail(c, "got %s, want %s", jtype(v), want.data ? want.data : "");
      kd_buf_free(&want);
      c->depth--;
      return;
    }
    kd_buf_free(&want);
  }
  const kd_value *en = kd_obj_gets(s, "enum");
  if (en && en->type == KD_ARR) {
    int ok = 0;
    for (size_t i = 0; i < en->u.arr.len && !ok; i++) ok = kd_value_equal(&en->u.arr.items[i], v);
    if (!ok) {
      kd_buf list = {0};
      for (size_t i = 0; i < en->u.arr.len; i++) {
        if (i) kd_buf_adds(&list, ", ");
        kd_error e = {0};
        json_encode(&en->u.arr.items[i], 0, &list, &e);
      }
      fail(c, "value must be one of %s", list.data ? list.data : "");
      kd_buf_free(&list);
    }
  }
  const kd_value *cn = kd_obj_gets(s, "const");
  if (cn && !kd_value_equal(cn, v)) {
    kd_buf b = {0};
    kd_error e = {0};
    json_encode(cn, 0, &b, &e);
    fail(c, "value must be %s", b.data ? b.data : "");
    kd_buf_free(&b);
  }
  if (v->type == KD_OBJ) validate_object(c, s, v);
  else if (v->type == KD_ARR) validate_array(c, s, v);
  else validate_scalar(c, s, v);
  const kd_value *all = kd_obj_gets(s, "allOf");
  for (size_t i = 0; all && all->type == KD_ARR && i < all->u.arr.len; i++)
    validate(c, &all->u.arr.items[i], v);
  const kd_value *any = kd_obj_gets(s, "anyOf");
  if (any && any->type == KD_ARR) {
    int ok = 0;
    kd_buf causes = {0};
    for (size_t i = 0; i < any->u.arr.len && !ok; i++)
      ok = valid_quiet(c, &any->u.arr.items[i], v, &causes);
    if (!ok) {
      fail(c, "'anyOf' failed, none matched");
      if (causes.len) kd_buf_add(c->errs, causes.data, causes.len);
    }
    kd_buf_free(&causes);
  }
  const kd_value *one = kd_obj_gets(s, "oneOf");
  if (one && one->type == KD_ARR) {
    size_t n = 0, first = 0;
    kd_buf causes = {0};
    for (size_t i = 0; i < one->u.arr.len; i++)
      if (valid_quiet(c, &one->u.arr.items[i], v, &causes)) {
        if (n == 1) fail(c, "'oneOf' failed, subschemas %zu, %zu matched", first, i);
        if (n == 0) first = i;
        n++;
      }
    if (n == 0) {
      fail(c, "'oneOf' failed, none matched");
      if (causes.len) kd_buf_add(c->errs, causes.data, causes.len);
    }
    kd_buf_free(&causes);
  }
  const kd_value *not = kd_obj_gets(s, "not");
  if (not && valid_quiet(c, not, v, NULL)) fail(c, "'not' failed");
  const kd_value *cond = kd_obj_gets(s, "if");
  if (cond) {
    const kd_value *br = kd_obj_gets(s, valid_quiet(c, cond, v, NULL) ? "then" : "else");
    if (br) validate(c, br, v);
  }
  c->depth--;
}

static int validate_chart(const node *n, const kd_value *vals, kd_buf *out,
                          kd_error *err)
{
  const chart_file *sf = n->src->schema;
  if (sf && sf->len > 0) {
    kd_value schema;
    kd_error je = {0};
    kd_buf src = {0};
    kd_buf_printf(&src, "%s/values.schema.json", n->name);
    if (json_decode(sf->data, sf->len, src.data, &schema, &je) != KD_OK) {
      kd_buf_free(&src);
      return kd_error_set(err, KD_EPARSE, "%s", je.msg);
    }
    kd_buf_free(&src);
    kd_buf errs = {0};
    vctx c = {&schema, &errs, {0}, 0};
    validate(&c, &schema, vals);
    if (errs.len) kd_buf_printf(out, "%s:\n%s", n->name, errs.data);
    kd_buf_free(&errs);
    kd_buf_free(&c.path);
    kd_value_clear(&schema);
  }
  for (size_t i = 0; i < n->nsubs; i++) {
    const node *sub = n->subs[i];
    const kd_value *sv = vals->type == KD_OBJ ? kd_obj_gets(vals, sub->name) : NULL;
    if (!sv || sv->type != KD_OBJ) {
      kd_buf_printf(out, "%s:\ninvalid type for values: expected object (map), "
                    "got %s\n", sub->name, sv ? jtype(sv) : "<nil>");
      continue;
    }
    int rc = validate_chart(sub, sv, out, err);
    if (rc) return rc;
  }
  return KD_OK;
}

int chart_schema_validate(const node *top, tpl_val values, kd_error *err,
                          kd_buf *full)
{
  kd_value v;
  if (tpl_to_kd(values, &v) != KD_OK)
    return kd_error_set(err, KD_ENOMEM, "out of memory");
  kd_buf out = {0};
  int rc = validate_chart(top, &v, &out, err);
  kd_value_clear(&v);
  if (rc == KD_OK && out.len) {
    while (out.len && out.data[out.len - 1] == '\n') out.data[--out.len] = 0;
    kd_buf msg = {0};
    kd_buf_printf(&msg, "values don't meet the specifications of the "
                  "schema(s) in the following chart(s):\n%s", out.data);
    rc = chart_fail_text(err, full, KD_EINVAL, msg.data ? msg.data : "",
                         msg.len);
    kd_buf_free(&msg);
  }
  kd_buf_free(&out);
  return rc;
}
