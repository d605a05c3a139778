/* engine/tpl/tpl_fn_toml.c: Helm's fromToml (tpl_toml_parse.c) and toToml, BurntSushi/toml's Encoder
 * over Go values: per table the plain keys first, then the sub-tables,
 * each group sorted; nested tables indented two spaces per level; a blank
 * line before each top-level table and each array-of-tables entry; keys
 * bare when [A-Za-z0-9_-]+, else quoted; floats in 'g' form with ".0"
 * added to integral ones; maps inside arrays as inline tables. Encoder
 * errors come back as the result text, as Helm returns err.Error(). */
#include "tpl_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FN(name) \
  static int name(tpl_call *c, const tpl_val *a, int n, tpl_val *out)

typedef struct {
  kd_buf *out;
  int written;
  const char *err;   /* an encPanic */
  int oom;
} enc;

typedef struct {
  const char *k[64];
  size_t kl[64];
  int n;
} key;

static void w(enc *e, const char *s, size_t n)
{
  if (kd_buf_add(e->out, s, n)) e->oom = 1;
  if (n) e->written = 1;
}

static void ws(enc *e, const char *s) { w(e, s, strlen(s)); }

static void newline(enc *e)
{
  if (e->written) ws(e, "\n");
}

/* BurntSushi's dblQuotedReplacer */
static void quoted(enc *e, const char *s, size_t n)
{
  size_t i;
  ws(e, "\"");
  for (i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    char esc[8];
    switch (ch) {
    case '"': ws(e, "\\\""); break;
    case '\\': ws(e, "\\\\"); break;
    case '\b': ws(e, "\\b"); break;
    case '\t': ws(e, "\\t"); break;
    case '\n': ws(e, "\\n"); break;
    case '\f': ws(e, "\\f"); break;
    case '\r': ws(e, "\\r"); break;
    default:
      if (ch < 0x20 || ch == 0x7F) {
        static const char hex[] = "0123456789abcdef";
        memcpy(esc, "\\u00", 4);
        esc[4] = hex[ch >> 4];
        esc[5] = hex[ch & 15];
        w(e, esc, 6);
      } else {
        w(e, (const char *)&ch, 1);
      }
    }
  }
  ws(e, "\"");
}

static void key_part(enc *e, const char *k, size_t n)
{
  size_t i;
  int bare = n > 0;
  for (i = 0; i < n && bare; i++) {
    char ch = k[i];
    bare = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
  }
  if (bare) w(e, k, n);
  else quoted(e, k, n);
}

static void key_string(enc *e, const key *k)
{
  int i;
  for (i = 0; i < k->n; i++) {
    if (i) ws(e, ".");
    key_part(e, k->k[i], k->kl[i]);
  }
}

static void indent(enc *e, const key *k)
{
  int i;
  for (i = 1; i < k->n; i++) ws(e, "  ");
}

static int is_table(tpl_val v) { return v.kind == TPL_MAP; }

/* isTableArray: a non-empty list of maps; a nil item is an error */
static int is_table_array(enc *e, tpl_val v)
{
  size_t i, n;
  int all = 1;
  if (v.kind != TPL_LIST || !(n = tpl_list_len(v))) return 0;
  for (i = 0; i < n; i++) {
    tpl_val it = tpl_list_at(v, i);
    if (it.kind == TPL_NIL) e->err = "toml: cannot encode array with nil element";
    if (!is_table(it)) all = 0;
  }
  return all && !e->err;
}

static void element(enc *e, tpl_val v);
static void map_body(enc *e, key *k, tpl_val m, int inline_);

static void float_elem(enc *e, double f)
{
  kd_buf b = {0};
  tpl_val v = tpl_float(f);
  if (isnan(f)) {
    ws(e, signbit(f) ? "-nan" : "nan");
    return;
  }
  if (isinf(f)) {
    ws(e, f > 0 ? "inf" : "-inf");
    return;
  }
  if (tpl_sprintf(&b, "%v", 2, &v, 1)) e->oom = 1;   /* 'g', shortest */
  if (b.data) {
    w(e, b.data, b.len);
    if (!strpbrk(b.data, ".eEn")) ws(e, ".0");   /* floatAddDecimal */
  }
  kd_buf_free(&b);
}

static void element(enc *e, tpl_val v)
{
  char num[32];
  size_t i;
  switch (v.kind) {
  case TPL_BOOL: ws(e, v.u.b ? "true" : "false"); break;
  case TPL_INT:
    if (v.sub == TPL_GO_UINT64) snprintf(num, sizeof num, "%llu", (unsigned long long)v.u.i);
    else snprintf(num, sizeof num, "%lld", (long long)v.u.i);
    ws(e, num);
    break;
  case TPL_FLOAT: float_elem(e, v.u.f); break;
  case TPL_STR: quoted(e, tpl_sdata(v), tpl_slen(v)); break;
  case TPL_LIST:
    ws(e, "[");
    for (i = 0; i < tpl_list_len(v); i++) {
      tpl_val it = tpl_list_at(v, i);
      if (it.kind == TPL_NIL) e->err = "toml: cannot encode array with nil element";
      if (i) ws(e, ", ");
      element(e, it);
    }
    ws(e, "]");
    break;
  case TPL_MAP: {
    key k = {{0}, {0}, 0};
    map_body(e, &k, v, 1);
    break;
  }
  case TPL_OBJ: {   /* TextMarshalers: their text, quoted */
    kd_buf b = {0};
    if (tpl_strval(v, &b)) e->oom = 1;
    quoted(e, b.data ? b.data : "", b.len);
    kd_buf_free(&b);
    break;
  }
  default: break;
  }
}

static void key_value(enc *e, const key *k, tpl_val v, int inline_)
{
  if (k->n == 0) {
    element(e, v);
    return;
  }
  indent(e, k);
  key_part(e, k->k[k->n - 1], k->kl[k->n - 1]);
  ws(e, " = ");
  element(e, v);
  if (!inline_) newline(e);
}

static void encode(enc *e, key *k, tpl_val v);

static void table(enc *e, key *k, tpl_val m)
{
  if (k->n == 1) newline(e);
  if (k->n > 0) {
    indent(e, k);
    ws(e, "[");
    key_string(e, k);
    ws(e, "]");
    newline(e);
  }
  map_body(e, k, m, 0);
}

static void array_of_tables(enc *e, key *k, tpl_val l)
{
  size_t i;
  for (i = 0; i < tpl_list_len(l) && !e->err; i++) {
    newline(e);
    indent(e, k);
    ws(e, "[[");
    key_string(e, k);
    ws(e, "]]");
    newline(e);
    map_body(e, k, tpl_list_at(l, i), 0);
  }
}

static void encode(enc *e, key *k, tpl_val v)
{
  if (e->err) return;
  switch (v.kind) {
  case TPL_NIL: return;
  case TPL_MAP: table(e, k, v); return;
  case TPL_LIST:
    if (is_table_array(e, v) && k->n == 0)
      e->err = "toml: top-level values must be Go maps or structs";
    else if (!e->err && is_table_array(e, v)) array_of_tables(e, k, v);
    else if (!e->err) key_value(e, k, v, 0);
    return;
  default: key_value(e, k, v, 0);
  }
}

/* eMap: the keys whose values are not tables, then the tables; the map
 * is already in key order */
static void map_body(enc *e, key *k, tpl_val m, int inline_)
{
  size_t i, n = tpl_map_len(m), direct = 0, subs = 0;
  int pass;
  for (i = 0; i < n; i++) {
    tpl_val v = tpl_map_val_at(m, i);
    if (is_table(v) || is_table_array(e, v)) subs++;
    else if (v.kind != TPL_NIL) direct++;
  }
  if (inline_) ws(e, "{");
  for (pass = 0; pass < 2 && !e->err; pass++) {
    size_t idx = 0;
    for (i = 0; i < n && !e->err; i++) {
      size_t kl;
      const char *kk = tpl_map_key_at(m, i, &kl);
      tpl_val v = tpl_map_val_at(m, i);
      int sub = is_table(v) || is_table_array(e, v);
      if (v.kind == TPL_NIL || sub != pass) continue;
      if (k->n == 64) {
        e->err = "toml: nesting too deep";
        return;
      }
      if (inline_) {   /* "k = v" separated by ", " */
        key one = {{0}, {0}, 1};
        one.k[0] = kk;
        one.kl[0] = kl;
        key_value(e, &one, v, 1);
        idx++;
        if ((pass == 0 && (subs > 0 || idx != direct)) || (pass == 1 && idx != subs))
          ws(e, ", ");
        continue;
      }
      k->k[k->n] = kk;
      k->kl[k->n] = kl;
      k->n++;
      encode(e, k, v);
      k->n--;
    }
  }
  if (inline_) ws(e, "}");
}

FN(fn_to_toml)
{
  kd_buf b = {0};
  enc e = {&b, 0, NULL, 0};
  key k = {{0}, {0}, 0};
  if (a[0].kind == TPL_NIL)
    return tpl_call_fail(c, "reflect: call of reflect.Value.Type on zero Value");
  encode(&e, &k, a[0]);
  if (e.oom) {
    kd_buf_free(&b);
    return KD_ENOMEM;
  }
  if (e.err) {
    kd_buf_free(&b);
    return tpl_str_cstr(out, e.err);
  }
  if (!b.data) return tpl_str_cstr(out, "");
  return tpl_str_take(out, &b);
}

/* Helm's fromToml: a map; an error goes into its "Error" key */
FN(fn_from_toml)
{
  kd_buf msg = {0};
  tpl_val m;
  int rc = tpl_toml_parse(tpl_sdata(a[0]), tpl_slen(a[0]), out, &msg);
  if (rc != KD_EPARSE) {
    kd_buf_free(&msg);
    return rc;
  }
  if ((rc = tpl_map_new(out)) != KD_OK || (rc = tpl_str_take(&m, &msg)) != KD_OK) {
    kd_buf_free(&msg);
    return rc;
  }
  return tpl_map_sets(*out, "Error", m);
}

const tpl_func_def tpl_fn_toml[] = {
  {"toToml", fn_to_toml, "a"},
  {"fromToml", fn_from_toml, "s"},
  {NULL, NULL, NULL}};
