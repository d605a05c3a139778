/* engine/chart/chart_strvals.c: Helm's strvals parser behind --set,
 * --set-string, --set-file, --set-json and --set-literal: dotted keys,
 * [i] list indexes, {a,b} lists, backslash escapes, --set type inference
 * (int64, true/false, null), JSON values, literal values. */
#include "chart_int.h"
#include "json.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_INDEX 65536
#define MAX_NESTED 30

typedef struct {
  const char *s;
  size_t n, pos;
  chart_vkind kind;
  kd_error *err;
} parser;

enum { P_EOF = 1, P_NOTLIST = 2 };   /* non-error outcomes */

/* Reads until a stop byte (consumed, returned in *LAST) or the end (P_EOF).
 * Backslash escapes the next byte, except in literal mode. */
static int until(parser *p, const char *stop, kd_buf *out, char *last)
{
  out->len = 0;
  if (kd_buf_addc(out, 0)) return KD_ENOMEM;
  out->len = 0;
  while (p->pos < p->n) {
    char c = p->s[p->pos++];
    if (strchr(stop, c) && c) { *last = c; return KD_OK; }
    if (c == '\\' && p->kind != CHART_SET_LITERAL) {
      if (p->pos >= p->n) { *last = 0; return P_EOF; }
      c = p->s[p->pos++];
    }
    if (kd_buf_addc(out, c)) return KD_ENOMEM;
  }
  *last = 0;
  return P_EOF;
}

/* --set type inference (typedVal); --set-string keeps strings. */
static int typed(parser *p, const kd_buf *b, tpl_val *out)
{
  const char *s = b->data ? b->data : "";
  size_t n = b->len;
  if (p->kind == CHART_SET) {
    if (n == 4 && strncasecmp(s, "true", 4) == 0) { *out = tpl_bool(1); return KD_OK; }
    if (n == 5 && strncasecmp(s, "false", 5) == 0) { *out = tpl_bool(0); return KD_OK; }
    if (n == 4 && strncasecmp(s, "null", 4) == 0) { *out = tpl_nil(); return KD_OK; }
    if (n == 1 && s[0] == '0') { *out = tpl_int64(0); return KD_OK; }
    if (n > 0 && s[0] != '0') {   /* strconv.ParseInt(s, 10, 64) */
      size_t i = (s[0] == '+' || s[0] == '-') ? 1 : 0;
      int ok = i < n;
      uint64_t v = 0;
      for (size_t k = i; ok && k < n; k++) {
        if (s[k] < '0' || s[k] > '9') ok = 0;
        else if (v > (UINT64_MAX - 9) / 10) ok = 0;
        else v = v * 10 + (uint64_t)(s[k] - '0');
      }
      if (ok && ((s[0] == '-' && v <= (uint64_t)INT64_MAX + 1) ||
                 (s[0] != '-' && v <= (uint64_t)INT64_MAX))) {
        *out = tpl_int64(s[0] == '-' ? (int64_t)(0 - v) : (int64_t)v);
        return KD_OK;
      }
    }
  }
  return tpl_str_new(out, s, n);
}

/* --set-file: the value names a file whose content becomes the string. */
static int read_value(parser *p, const kd_buf *b, tpl_val *out)
{
  if (p->kind != CHART_SET_FILE) return typed(p, b, out);
  kd_error e = {0};
  size_t len;
  char *data = kd_read_file(b->data ? b->data : "", &len, &e);
  if (!data) return kd_error_set(p->err, KD_EIO, "%s", e.msg);
  int rc = tpl_str_new(out, data, len);
  free(data);
  return rc;
}

static void set(tpl_val data, const kd_buf *key, tpl_val v)
{
  if (key->len == 0) { tpl_unref(v); return; }
  tpl_map_set(data, key->data, key->len, v);
}

/* Returns a new list: LIST (borrowed) with item I set to V (owned). */
static int set_index(parser *p, tpl_val list, long i, tpl_val v, tpl_val *out)
{
  if (i < 0) {
    tpl_unref(v);
    return kd_error_set(p->err, KD_EPARSE, "negative %ld index not allowed", i);
  }
  if (i > MAX_INDEX) {
    tpl_unref(v);
    return kd_error_set(p->err, KD_EPARSE, "index of %ld is greater than "
                        "maximum supported index of %d", i, MAX_INDEX);
  }
  size_t len = list.kind == TPL_LIST ? tpl_list_len(list) : 0;
  size_t nl = len > (size_t)i ? len : (size_t)i + 1;
  tpl_val l;
  if (tpl_list_new(&l, nl) != KD_OK) { tpl_unref(v); return KD_ENOMEM; }
  for (size_t k = 0; k < nl; k++) {
    tpl_val it = k == (size_t)i ? v : k < len ? tpl_ref(tpl_list_at(list, k))
                                              : tpl_nil();
    if (tpl_list_push(l, it) != KD_OK) {
      if (k < (size_t)i) tpl_unref(v);
      tpl_unref(l);
      return KD_ENOMEM;
    }
  }
  *out = l;
  return KD_OK;
}

static int key(parser *p, tpl_val data, int level);

static int key_index(parser *p, long *out)
{
  kd_buf b = {0};
  char last;
  int rc = until(p, "]", &b, &last);
  if (rc == P_EOF) { kd_buf_free(&b); return P_EOF; }
  if (rc) { kd_buf_free(&b); return rc; }
  const char *s = b.data;
  char *end;
  int neg = s[0] == '-';
  long v = strtol(s, &end, 10);
  int ok = b.len > 0 && *end == 0 && !(s[0] == ' ') &&
           (s[0] != '+' || b.len > 1) && b.len < 19;
  if (!ok) {
    rc = kd_error_set(p->err, KD_EPARSE, "error parsing index: strconv.Atoi: "
                      "parsing \"%s\": invalid syntax", s);
    kd_buf_free(&b);
    return rc;
  }
  (void)neg;
  kd_buf_free(&b);
  *out = v;
  return KD_OK;
}

/* The end of the JSON value starting at S (after spaces), or 0. */
static size_t json_extent(const char *s, size_t n)
{
  size_t i = 0, depth = 0;
  while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
  do {
    if (i >= n) return 0;
    char c = s[i];
    if (c == '"') {
      for (i++; i < n && s[i] != '"'; i++)
        if (s[i] == '\\') i++;
      if (i >= n) return 0;
      i++;
    } else if (c == '{' || c == '[') { depth++; i++; }
    else if (c == '}' || c == ']') { if (depth == 0) return 0; depth--; i++; }
    else if (depth > 0) i++;
    else {
      size_t b = i;
      while (i < n && (s[i] == '-' || s[i] == '+' || s[i] == '.' ||
                       (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
                       (s[i] >= 'A' && s[i] <= 'Z')))
        i++;
      if (i == b) return 0;
    }
  } while (depth > 0);
  return i;
}

/* emptyVal: skips spaces; true at the end or a comma (consumed). */
static int empty_val(parser *p)
{
  while (p->pos < p->n) {
    char c = p->s[p->pos];
    if (c == ',') { p->pos++; return 1; }
    if (!(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'))
      return 0;
    p->pos++;
  }
  return 1;
}

static int json_val(parser *p, tpl_val *out)
{
  size_t e = json_extent(p->s + p->pos, p->n - p->pos);
  kd_value v;
  kd_error je = {0};
  int rc = json_decode(p->s + p->pos, e ? e : p->n - p->pos, "--set-json", &v, &je);
  if (rc != KD_OK) return kd_error_set(p->err, KD_EPARSE, "%s", je.msg);
  rc = tpl_from_kd(&v, TPL_FROM_KD_FLOATS, out);
  kd_value_clear(&v);
  p->pos += e;
  if (rc == KD_OK) empty_val(p);
  return rc;
}

/* valList: {a,b,c}; P_NOTLIST when the value does not start with '{'. */
static int val_list(parser *p, tpl_val *out)
{
  if (p->pos >= p->n) return P_EOF;
  if (p->s[p->pos] != '{') return P_NOTLIST;
  p->pos++;
  tpl_val l;
  if (tpl_list_new(&l, 4)) return KD_ENOMEM;
  kd_buf b = {0};
  int rc;
  for (;;) {
    char last;
    rc = until(p, ",}", &b, &last);
    if (rc == P_EOF) {
      rc = kd_error_set(p->err, KD_EPARSE, "list must terminate with '}'");
      break;
    }
    if (rc) break;
    tpl_val v;
    if ((rc = read_value(p, &b, &v)) != KD_OK) break;
    if ((rc = tpl_list_push(l, v)) != KD_OK) break;
    if (last == '}') {
      if (p->pos < p->n && p->s[p->pos] == ',') p->pos++;
      break;
    }
  }
  kd_buf_free(&b);
  if (rc) { tpl_unref(l); return rc; }
  *out = l;
  return KD_OK;
}

/* A plain value up to the next comma (all the rest for --set-literal). */
static int plain_val(parser *p, tpl_val *out)
{
  kd_buf b = {0};
  char last;
  int rc;
  if (p->kind == CHART_SET_LITERAL) {
    rc = kd_buf_add(&b, p->s + p->pos, p->n - p->pos) ? KD_ENOMEM : KD_OK;
    if (!b.data) rc = kd_buf_addc(&b, 0) ? KD_ENOMEM : (b.len = 0, KD_OK);
    p->pos = p->n;
  } else {
    rc = until(p, ",", &b, &last);
    if (rc == P_EOF) rc = KD_OK;
  }
  if (rc == KD_OK) rc = read_value(p, &b, out);
  kd_buf_free(&b);
  return rc;
}

/* The value after '=' (list, JSON or plain). */
static int value(parser *p, tpl_val *out, int *at_eof)
{
  *at_eof = 0;
  if (p->kind == CHART_SET_JSON) {
    if (empty_val(p)) { *out = tpl_nil(); return KD_OK; }
    return json_val(p, out);
  }
  if (p->kind == CHART_SET_LITERAL) return plain_val(p, out);
  int rc = val_list(p, out);
  if (rc == P_EOF) {
    *at_eof = 1;
    return tpl_str_new(out, "", 0);
  }
  if (rc == P_NOTLIST) return plain_val(p, out);
  return rc;
}

/* Sets *OUT (owned, nil when nothing was built) even when it fails. */
static int list_item(parser *p, tpl_val list, long i, int level, tpl_val *out)
{
  *out = tpl_nil();
  if (i < 0)
    return kd_error_set(p->err, KD_EPARSE, "negative %ld index not allowed", i);
  kd_buf k = {0};
  char last;
  int rc = until(p, "[.=", &k, &last);
  if (k.len > 0) {
    rc = kd_error_set(p->err, KD_EPARSE, "unexpected data at end of array "
                      "index: \"%s\"", k.data);
    kd_buf_free(&k);
    return rc;
  }
  kd_buf_free(&k);
  if (rc == P_EOF) return P_EOF;
  if (rc) return rc;
  size_t len = list.kind == TPL_LIST ? tpl_list_len(list) : 0;
  if (last == '=') {
    tpl_val v;
    int eof;
    if ((rc = value(p, &v, &eof)) != KD_OK) return rc;
    return set_index(p, list, i, v, out);
  }
  if (last == '[') {
    long next;
    if ((rc = key_index(p, &next)) != KD_OK) return rc == P_EOF ? P_EOF : rc;
    tpl_val cur = tpl_nil();
    if ((size_t)i < len) {
      cur = tpl_list_at(list, (size_t)i);
      if (cur.kind != TPL_LIST && cur.kind != TPL_NIL)
        return kd_error_set(p->err, KD_EPARSE, "unable to parse key: "
                            "interface conversion: interface {} is %s, not "
                            "[]interface {}", tpl_type_name(cur));
    }
    tpl_val l2;
    rc = list_item(p, cur, next, level, &l2);
    if (rc < 0 || l2.kind == TPL_NIL) { tpl_unref(l2); return rc; }
    int r2 = set_index(p, list, i, l2, out);
    return r2 ? r2 : rc;
  }
  /* '.': a map inside the list */
  tpl_val inner;
  if ((size_t)i < len && tpl_list_at(list, (size_t)i).kind == TPL_MAP) {
    inner = tpl_ref(tpl_list_at(list, (size_t)i));
  } else if (tpl_map_new(&inner)) {
    return KD_ENOMEM;
  }
  rc = key(p, inner, level);
  if (rc != KD_OK && rc != P_EOF) { tpl_unref(inner); return rc; }
  int r2 = set_index(p, list, i, inner, out);
  return r2 ? r2 : rc;
}

/* Helm's parser.key: one assignment (up to a comma) into DATA. Returns
 * KD_OK (more may follow), P_EOF (input done), or an error. */
static int key(parser *p, tpl_val data, int level)
{
  kd_buf k = {0};
  char last;
  const char *stop = p->kind == CHART_SET_LITERAL ? "=[." : "=[,.";
  int rc = until(p, stop, &k, &last);
  if (rc == P_EOF) {
    if (k.len == 0) { kd_buf_free(&k); return P_EOF; }
    rc = kd_error_set(p->err, KD_EPARSE, "key \"%s\" has no value", k.data);
    kd_buf_free(&k);
    return rc;
  }
  if (rc) { kd_buf_free(&k); return rc; }
  if (last == '[') {
    long i;
    if ((rc = key_index(p, &i)) != KD_OK) {
      kd_buf_free(&k);
      return rc == P_EOF ? P_EOF : rc;
    }
    const tpl_val *cur = tpl_map_get(data, k.data, k.len);
    if (cur && cur->kind != TPL_LIST) {
      rc = kd_error_set(p->err, KD_EPARSE, "unable to parse key: interface "
                        "conversion: interface {} is %s, not []interface {}",
                        cur->kind == TPL_NIL ? "nil" : tpl_type_name(*cur));
      kd_buf_free(&k);
      return rc;
    }
    tpl_val l;
    rc = list_item(p, cur ? *cur : tpl_nil(), i, level, &l);
    if (l.kind != TPL_NIL) set(data, &k, l);   /* Helm sets it even on errors */
    kd_buf_free(&k);
    return rc;
  }
  if (last == '=') {
    tpl_val v;
    int eof;
    rc = value(p, &v, &eof);
    if (rc == KD_OK) set(data, &k, v);
    kd_buf_free(&k);
    return rc == KD_OK && eof ? P_EOF : rc;
  }
  if (last == ',') {
    tpl_val e;
    if (tpl_str_new(&e, "", 0) == KD_OK) set(data, &k, e);
    rc = kd_error_set(p->err, KD_EPARSE, "key \"%s\" has no value (cannot "
                      "end with ,)", k.data);
    kd_buf_free(&k);
    return rc;
  }
  /* '.' */
  if (++level > MAX_NESTED) {
    kd_buf_free(&k);
    return kd_error_set(p->err, KD_EPARSE, "value name nested level is "
                        "greater than maximum supported nested level of %d",
                        MAX_NESTED);
  }
  const tpl_val *cur = tpl_map_get(data, k.data, k.len);
  tpl_val inner;
  if (cur && cur->kind != TPL_MAP) {
    rc = kd_error_set(p->err, KD_EPARSE, "unable to parse key: interface "
                      "conversion: interface {} is %s, not map[string]"
                      "interface {}", cur->kind == TPL_NIL ? "nil" :
                      tpl_type_name(*cur));
    kd_buf_free(&k);
    return rc;
  }
  if (cur) inner = tpl_ref(*cur);
  else if (tpl_map_new(&inner)) { kd_buf_free(&k); return KD_ENOMEM; }
  rc = key(p, inner, level);
  if (rc == KD_OK && tpl_map_len(inner) == 0)
    rc = kd_error_set(p->err, KD_EPARSE, "key map \"%s\" has no value", k.data);
  if (tpl_map_len(inner) != 0) set(data, &k, inner);
  else tpl_unref(inner);
  kd_buf_free(&k);
  return rc;
}

int chart_strvals(tpl_val dest, chart_vkind kind, const char *s, size_t len,
                  kd_error *err)
{
  parser p = {s, len, 0, kind, err};
  for (;;) {
    int rc = key(&p, dest, 0);
    if (rc == KD_OK) continue;
    if (rc == P_EOF) return KD_OK;
    if (rc == KD_ENOMEM) return kd_error_set(err, rc, "out of memory");
    return rc;
  }
}
