/* engine/yaml.c: YAML decoding with libyaml's event parser into kd_value,
 * resolving plain scalars the way go-yaml v2 (Helm's YAML library) does. */
#include "json.h"
#include "yaml.h"
#include "yaml_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Aliases are expanded by copying; this bounds the "billion laughs". */
#define MAX_EXPANDED_NODES 10000000
#define MAX_DEPTH 2000   /* deeper nests overflow a sanitizer build's stack */

typedef struct {
  char *name;
  kd_value val;
} anchor;

typedef struct {
  yaml_parser_t parser;
  const char *source;
  kd_error *err;
  anchor *anchors;
  size_t nanchors, capanchors;
  size_t expanded;   /* nodes created by alias expansion */
  int go;            /* yaml_decode_go: go-yaml's wording, last key wins */
} decoder;

static int fail_at(decoder *d, const yaml_mark_t *m, const char *what)
{
  if (d->go) return kd_error_set(d->err, KD_EPARSE, "yaml: %s", what);
  return kd_error_at(d->err, KD_EPARSE, d->source, (int)m->line + 1,
                     (int)m->column + 1, "%s", what);
}

static int oom(decoder *d) { return kd_error_set(d->err, KD_ENOMEM, "out of memory"); }

/* go-yaml's (*parser).fail: marks are 0-based, a scanner error counts its
 * line from 1, a problem on the first line names none. */
static int go_parser_error(decoder *d)
{
  const yaml_parser_t *p = &d->parser;
  size_t line = 0;
  if (p->problem_mark.line != 0) {
    line = p->problem_mark.line;
    if (p->error == YAML_SCANNER_ERROR) line++;
  } else if (p->context_mark.line != 0) {
    line = p->context_mark.line;
  }
  if (line)
    return kd_error_set(d->err, KD_EPARSE, "yaml: line %zu: %s", line,
                        p->problem ? p->problem
                                   : "unknown problem parsing YAML content");
  return kd_error_set(d->err, KD_EPARSE, "yaml: %s",
                      p->problem ? p->problem
                                 : "unknown problem parsing YAML content");
}

static int next_event(decoder *d, yaml_event_t *ev)
{
  if (yaml_parser_parse(&d->parser, ev)) return KD_OK;
  if (d->go) return go_parser_error(d);
  {
    yaml_parser_t *p = &d->parser;
    const yaml_mark_t *m = p->problem_mark.line || p->problem_mark.column
                               ? &p->problem_mark : &p->context_mark;
    const char *what = p->problem ? p->problem : "invalid YAML";
    if (p->context) {
      kd_error_at(d->err, KD_EPARSE, d->source, (int)m->line + 1,
                  (int)m->column + 1, "%s %s", what, p->context);
      return KD_EPARSE;
    }
    return fail_at(d, m, what);
  }
}

/* ---- scalar resolution (YAML 1.1 as go-yaml v2) ------------------------- */

/* The plain scalars go-yaml v2 reads as null, true or false. */
static int word_kind(const char *s, size_t len)
{
  static const char *const words[] = {
    "~", "null", "Null", "NULL",
    "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
    "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
  size_t i;
  if (len == 0) return 'z';
  if (len > 5 || !strchr("~nNyYtTfFoO", s[0])) return 0;
  for (i = 0; i < sizeof words / sizeof *words; i++) {
    if (strlen(words[i]) == len && memcmp(words[i], s, len) == 0)
      return i < 4 ? 'z' : i < 15 ? 't' : 'f';
  }
  return 0;
}

/* Go's strconv.ParseInt(s, 0, 64) after removing '_': sign, 0x/0o/0b
 * prefixes, a leading 0 meaning octal. Returns 1 and *out on success. */
static int parse_go_int(const char *s, int64_t *out)
{
  const char *p = s;
  int neg = 0, base = 10;
  unsigned long long v = 0, limit;
  if (*p == '+' || *p == '-') neg = *p++ == '-';
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) { base = 16; p += 2; }
  else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O')) { base = 8; p += 2; }
  else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) { base = 2; p += 2; }
  else if (p[0] == '0' && p[1]) { base = 8; p += 1; }
  if (!*p) return 0;
  limit = neg ? (unsigned long long)INT64_MAX + 1 : (unsigned long long)INT64_MAX;
  for (; *p; p++) {
    int dgt;
    if (*p >= '0' && *p <= '9') dgt = *p - '0';
    else if (*p >= 'a' && *p <= 'f') dgt = *p - 'a' + 10;
    else if (*p >= 'A' && *p <= 'F') dgt = *p - 'A' + 10;
    else return 0;
    if (dgt >= base) return 0;
    if (v > (limit - (unsigned)dgt) / (unsigned)base) return 0;
    v = v * (unsigned)base + (unsigned)dgt;
  }
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return 1;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static int yaml_style_float(const char *p)
{
  int digits = 0;
  if (*p == '+' || *p == '-') p++;
  if (*p == '.') {
    p++;
    while (*p >= '0' && *p <= '9') { p++; digits++; }
    if (!digits) return 0;
  } else {
    while (*p >= '0' && *p <= '9') { p++; digits++; }
    if (!digits) return 0;
    if (*p == '.') {
      p++;
      while (*p >= '0' && *p <= '9') p++;
    }
  }
  if (*p == 'e' || *p == 'E') {
    p++;
    digits = 0;
    if (*p == '+' || *p == '-') p++;
    while (*p >= '0' && *p <= '9') { p++; digits++; }
    if (!digits) return 0;
  }
  return *p == 0;
}

static int special_float(const char *s, double *f)
{
  const char *p = s;
  double sign = 1;
  if (strcmp(s, ".nan") == 0 || strcmp(s, ".NaN") == 0 || strcmp(s, ".NAN") == 0) {
    *f = NAN;
    return 1;
  }
  if (*p == '+' || *p == '-') sign = *p++ == '-' ? -1 : 1;
  if (strcmp(p, ".inf") == 0 || strcmp(p, ".Inf") == 0 || strcmp(p, ".INF") == 0) {
    *f = sign * INFINITY;
    return 1;
  }
  return 0;
}

/* Numbers as go-yaml v2 reads them: RAW is the scalar, PLAIN the same
 * without '_' (both NUL-terminated). Returns 1 when OUT was set. */
static int resolve_number(const char *raw, const char *plain, kd_value *out)
{
  double f;
  int64_t i;
  if (special_float(raw, &f)) {
    kd_value_float(out, f);
    return 1;
  }
  if (raw[0] == '.') {   /* go-yaml tries ParseFloat on the raw text */
    if (!yaml_go_dot_float(raw, strlen(raw))) return 0;
    kd_value_float(out, strtod(plain, NULL));
    return 1;
  }
  if (parse_go_int(plain, &i)) {
    kd_value_int(out, i);
    return 1;
  }
  if (yaml_style_float(plain)) {
    f = strtod(plain, NULL);
    if (isinf(f)) return 0;   /* ParseFloat's range error: a string */
    kd_value_float(out, f);
    return 1;
  }
  return 0;
}

int yaml_resolve_plain(const char *s, size_t len, kd_value *out)
{
  char c = len ? s[0] : 0;
  switch (word_kind(s, len)) {
  case 'z': kd_value_null(out); return KD_OK;
  case 't': kd_value_bool(out, 1); return KD_OK;
  case 'f': kd_value_bool(out, 0); return KD_OK;
  default: break;
  }
  if (c == '.' || c == '+' || c == '-' || (c >= '0' && c <= '9')) {
    char small[128], *raw = 2 * len + 2 <= sizeof small ? small : malloc(2 * len + 2);
    char *plain, *q;
    size_t k;
    int done;
    if (!raw) return KD_ENOMEM;
    memcpy(raw, s, len);
    raw[len] = 0;
    plain = q = raw + len + 1;
    for (k = 0; k < len; k++)
      if (s[k] != '_') *q++ = s[k];
    *q = 0;
    done = strlen(raw) == len && resolve_number(raw, plain, out);
    if (raw != small) free(raw);
    if (done) return KD_OK;
  }
  return kd_value_str(out, s, len);
}

/* Resolves a scalar event by its style and tag. */
static int scalar_value(decoder *d, yaml_event_t *ev, kd_value *out)
{
  const char *s = (const char *)ev->data.scalar.value;
  size_t len = ev->data.scalar.length;
  const char *tag = (const char *)ev->data.scalar.tag;
  int rc;
  if (tag && strncmp(tag, "tag:yaml.org,2002:", 18) == 0) tag += 18;
  else if (tag && tag[0] == '!' && tag[1] == '!') tag += 2;
  if (tag && (strcmp(tag, "str") == 0 || strcmp(tag, "binary") == 0))
    rc = kd_value_str(out, s, len);
  else if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE &&
           !(tag && strcmp(tag, "!") != 0))
    rc = kd_value_str(out, s, len);
  else
    rc = yaml_resolve_plain(s, len, out);
  if (rc == KD_OK && tag && strcmp(tag, "float") == 0 && out->type == KD_INT)
    kd_value_float(out, (double)out->u.i);
  return rc == KD_OK ? KD_OK : oom(d);
}

/* ---- anchors ------------------------------------------------------------ */

static size_t count_nodes(const kd_value *v)
{
  size_t n = 1, i;
  if (v->type == KD_ARR)
    for (i = 0; i < v->u.arr.len; i++) n += count_nodes(&v->u.arr.items[i]);
  else if (v->type == KD_OBJ)
    for (i = 0; i < v->u.obj.len; i++) n += count_nodes(&v->u.obj.m[i].val);
  return n;
}

static int set_anchor(decoder *d, const char *name, const kd_value *v)
{
  anchor *a = NULL;
  size_t i;
  for (i = 0; i < d->nanchors; i++)
    if (strcmp(d->anchors[i].name, name) == 0) a = &d->anchors[i];
  if (!a) {
    if (d->nanchors == d->capanchors) {
      size_t cap = d->capanchors ? d->capanchors * 2 : 8;
      anchor *na = realloc(d->anchors, cap * sizeof *na);
      if (!na) return oom(d);
      d->anchors = na;
      d->capanchors = cap;
    }
    a = &d->anchors[d->nanchors];
    if (!(a->name = kd_strndup(name, strlen(name)))) return oom(d);
    kd_value_null(&a->val);
    d->nanchors++;
  } else {
    kd_value_clear(&a->val);   /* YAML allows redefining an anchor */
  }
  return kd_value_copy(&a->val, v) == KD_OK ? KD_OK : oom(d);
}

static int expand_alias(decoder *d, yaml_event_t *ev, kd_value *out)
{
  const char *name = (const char *)ev->data.alias.anchor;
  size_t i;
  for (i = d->nanchors; i-- > 0;) {
    if (strcmp(d->anchors[i].name, name) != 0) continue;
    d->expanded += count_nodes(&d->anchors[i].val);
    if (d->expanded > MAX_EXPANDED_NODES)
      return fail_at(d, &ev->start_mark, "too many alias expansions");
    return kd_value_copy(out, &d->anchors[i].val) == KD_OK ? KD_OK : oom(d);
  }
  {
    kd_buf b = {0};
    int rc;
    kd_buf_printf(&b, "unknown anchor '%s' referenced", name);
    rc = fail_at(d, &ev->start_mark, b.data ? b.data : "unknown anchor");
    kd_buf_free(&b);
    return rc;
  }
}

/* ---- nodes -------------------------------------------------------------- */

static int parse_node(decoder *d, yaml_event_t *ev, kd_value *out, int depth);

static int parse_sequence(decoder *d, kd_value *out, int depth)
{
  yaml_event_t ev;
  int rc;
  kd_value_arr(out);
  for (;;) {
    kd_value *slot;
    if ((rc = next_event(d, &ev)) != KD_OK) return rc;
    if (ev.type == YAML_SEQUENCE_END_EVENT) {
      yaml_event_delete(&ev);
      return KD_OK;
    }
    if (!(slot = kd_arr_push(out))) {
      yaml_event_delete(&ev);
      return oom(d);
    }
    rc = parse_node(d, &ev, slot, depth + 1);
    yaml_event_delete(&ev);
    if (rc != KD_OK) return rc;
  }
}

/* Adds the members of SRC (a mapping or a sequence of mappings, from a
 * `<<` key) to OUT where OUT has no such key yet: explicit keys win. */
static int merge_into(decoder *d, kd_value *out, const kd_value *src,
                      const yaml_mark_t *at)
{
  size_t i;
  if (src->type == KD_ARR) {
    for (i = 0; i < src->u.arr.len; i++) {
      if (src->u.arr.items[i].type != KD_OBJ)
        return fail_at(d, at, "map merge requires map or sequence of maps as the value");
      int rc = merge_into(d, out, &src->u.arr.items[i], at);
      if (rc != KD_OK) return rc;
    }
    return KD_OK;
  }
  if (src->type != KD_OBJ)
    return fail_at(d, at, "map merge requires map or sequence of maps as the value");
  for (i = 0; i < src->u.obj.len; i++) {
    const kd_member *m = &src->u.obj.m[i];
    kd_value *slot;
    if (kd_obj_get(out, m->key, m->klen)) continue;
    if (!(slot = kd_obj_add(out, m->key, m->klen)) ||
        kd_value_copy(slot, &m->val) != KD_OK)
      return oom(d);
  }
  return KD_OK;
}

int yaml_key_string(const kd_value *k, kd_buf *out)
{
  switch (k->type) {
  case KD_STR: return kd_buf_add(out, k->u.str.s, k->u.str.len);
  case KD_NULL: return kd_buf_adds(out, "null");
  case KD_BOOL: return kd_buf_adds(out, k->u.b ? "true" : "false");
  case KD_INT: return kd_buf_printf(out, "%lld", (long long)k->u.i);
  case KD_FLOAT:
    if (isnan(k->u.f)) return kd_buf_adds(out, "NaN");
    if (isinf(k->u.f)) return kd_buf_adds(out, k->u.f > 0 ? "+Inf" : "-Inf");
    return json_format_float(k->u.f, out);
  default: return KD_EINVAL;
  }
}

/* Go's %#v of a decoded YAML value, as in go-yaml's "invalid map key". */
static void go_sharp_v(kd_buf *b, const kd_value *v)
{
  size_t i;
  switch (v->type) {
  case KD_NULL: kd_buf_adds(b, "interface {}(nil)"); break;
  case KD_BOOL: kd_buf_adds(b, v->u.b ? "true" : "false"); break;
  case KD_INT: kd_buf_printf(b, "%lld", (long long)v->u.i); break;
  case KD_FLOAT: json_format_float(v->u.f, b); break;
  case KD_STR: kd_buf_printf(b, "\"%s\"", v->u.str.s); break;
  case KD_ARR:
    kd_buf_adds(b, "[]interface {}{");
    for (i = 0; i < v->u.arr.len; i++) {
      if (i) kd_buf_adds(b, ", ");
      go_sharp_v(b, &v->u.arr.items[i]);
    }
    kd_buf_adds(b, "}");
    break;
  case KD_OBJ:
    kd_buf_adds(b, "map[interface {}]interface {}{");
    for (i = 0; i < v->u.obj.len; i++) {
      if (i) kd_buf_adds(b, ", ");
      kd_buf_printf(b, "\"%s\":", v->u.obj.m[i].key);
      go_sharp_v(b, &v->u.obj.m[i].val);
    }
    kd_buf_adds(b, "}");
    break;
  }
}

static int bad_key(decoder *d, const yaml_mark_t *m, const kd_value *key)
{
  kd_buf b = {0};
  int rc;
  if (!d->go) return fail_at(d, m, "mapping keys must be scalars");
  kd_buf_adds(&b, "invalid map key: ");
  go_sharp_v(&b, key);
  rc = fail_at(d, m, b.data ? b.data : "invalid map key");
  kd_buf_free(&b);
  return rc;
}

static int parse_mapping(decoder *d, kd_value *out, int depth)
{
  yaml_event_t kev, vev;
  kd_value key, merges;
  kd_buf kb = {0};
  int rc = KD_OK;
  kd_value_obj(out);
  kd_value_arr(&merges);
  kd_value_null(&key);
  for (;;) {
    yaml_mark_t kmark;
    int is_merge;
    kd_value *slot;
    if ((rc = next_event(d, &kev)) != KD_OK) break;
    if (kev.type == YAML_MAPPING_END_EVENT) {
      yaml_event_delete(&kev);
      break;
    }
    kmark = kev.start_mark;
    is_merge = kev.type == YAML_SCALAR_EVENT &&
               kev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
               strcmp((const char *)kev.data.scalar.value, "<<") == 0;
    rc = parse_node(d, &kev, &key, depth + 1);
    yaml_event_delete(&kev);
    if (rc != KD_OK) break;
    if ((rc = next_event(d, &vev)) != KD_OK) break;
    if (is_merge) {
      slot = kd_arr_push(&merges);
      rc = slot ? parse_node(d, &vev, slot, depth + 1) : oom(d);
      yaml_event_delete(&vev);
      if (rc != KD_OK) break;
      kd_value_clear(&key);
      continue;
    }
    kb.len = 0;
    if (key.type == KD_ARR || key.type == KD_OBJ) {
      yaml_event_delete(&vev);
      rc = bad_key(d, &kmark, &key);
      break;
    }
    if (yaml_key_string(&key, &kb) != KD_OK) {
      yaml_event_delete(&vev);
      rc = oom(d);
      break;
    }
    kd_value_clear(&key);
    if (d->go && (slot = kd_obj_get(out, kb.data ? kb.data : "", kb.len))) {
      kd_value_clear(slot);   /* a Go map: the last value wins */
      rc = parse_node(d, &vev, slot, depth + 1);
      yaml_event_delete(&vev);
      if (rc != KD_OK) break;
      continue;
    }
    if (kd_obj_get(out, kb.data ? kb.data : "", kb.len)) {
      kd_buf msg = {0};
      yaml_event_delete(&vev);
      kd_buf_printf(&msg, "mapping key \"%s\" already defined", kb.data ? kb.data : "");
      rc = fail_at(d, &kmark, msg.data ? msg.data : "duplicate key");
      kd_buf_free(&msg);
      break;
    }
    slot = kd_obj_add(out, kb.data ? kb.data : "", kb.len);
    rc = slot ? parse_node(d, &vev, slot, depth + 1) : oom(d);
    yaml_event_delete(&vev);
    if (rc != KD_OK) break;
  }
  if (rc == KD_OK) {
    size_t i;
    for (i = 0; i < merges.u.arr.len && rc == KD_OK; i++)
      rc = merge_into(d, out, &merges.u.arr.items[i], &d->parser.mark);
  }
  kd_value_clear(&key);
  kd_value_clear(&merges);
  kd_buf_free(&kb);
  return rc;
}

/* Builds OUT from the node starting with EV (EV is borrowed). */
static int parse_node(decoder *d, yaml_event_t *ev, kd_value *out, int depth)
{
  const char *anchor_name = NULL;
  int rc;
  kd_value_null(out);
  if (depth > MAX_DEPTH) return fail_at(d, &ev->start_mark, "nesting too deep");
  switch (ev->type) {
  case YAML_ALIAS_EVENT: return expand_alias(d, ev, out);
  case YAML_SCALAR_EVENT:
    anchor_name = (const char *)ev->data.scalar.anchor;
    rc = scalar_value(d, ev, out);
    break;
  case YAML_SEQUENCE_START_EVENT:
    anchor_name = (const char *)ev->data.sequence_start.anchor;
    rc = parse_sequence(d, out, depth);
    break;
  case YAML_MAPPING_START_EVENT:
    anchor_name = (const char *)ev->data.mapping_start.anchor;
    rc = parse_mapping(d, out, depth);
    break;
  default:
    return fail_at(d, &ev->start_mark, "unexpected YAML event");
  }
  if (rc == KD_OK && anchor_name) rc = set_anchor(d, anchor_name, out);
  if (rc != KD_OK) kd_value_clear(out);
  return rc;
}

/* ---- streams ------------------------------------------------------------ */

static void clear_anchors(decoder *d)
{
  size_t i;
  for (i = 0; i < d->nanchors; i++) {
    free(d->anchors[i].name);
    kd_value_clear(&d->anchors[i].val);
  }
  d->nanchors = 0;
}

static int parse_document(decoder *d, kd_value *doc)
{
  yaml_event_t ev;
  int rc;
  if ((rc = next_event(d, &ev)) != KD_OK) return rc;
  rc = parse_node(d, &ev, doc, 0);
  yaml_event_delete(&ev);
  if (rc != KD_OK) return rc;
  if ((rc = next_event(d, &ev)) != KD_OK) return rc;
  if (ev.type != YAML_DOCUMENT_END_EVENT)
    rc = fail_at(d, &ev.start_mark, "expected end of document");
  yaml_event_delete(&ev);
  clear_anchors(d);   /* anchors do not cross documents */
  return rc;
}

int yaml_decode_stream(const char *data, size_t len, const char *source,
                       kd_value *out, kd_error *err)
{
  int rc = yaml_fast_decode_stream(data, len, out);
  if (rc == YAML_FAST_UNSUPPORTED)
    return yaml_libyaml_decode_stream(data, len, source, out, err);
  return rc == KD_OK ? KD_OK : kd_error_set(err, rc, "out of memory");
}

int yaml_decode_go(const char *data, size_t len, kd_value *out,
                   kd_error *err)
{
  decoder d;
  yaml_event_t ev;
  int rc = KD_OK, done = 0;
  memset(&d, 0, sizeof d);
  d.source = "<yaml>";
  d.err = err;
  d.go = 1;
  kd_value_null(out);
  if (!yaml_parser_initialize(&d.parser)) return oom(&d);
  yaml_parser_set_input_string(&d.parser, (const unsigned char *)data, len);
  while (!done) {   /* go-yaml's Unmarshal reads the first document only */
    if ((rc = next_event(&d, &ev)) != KD_OK) break;
    done = ev.type == YAML_STREAM_END_EVENT;
    if (ev.type == YAML_DOCUMENT_START_EVENT) {
      rc = parse_document(&d, out);
      done = 1;
    }
    yaml_event_delete(&ev);
  }
  clear_anchors(&d);
  free(d.anchors);
  yaml_parser_delete(&d.parser);
  if (rc != KD_OK) kd_value_clear(out);
  return rc;
}

int yaml_libyaml_decode_stream(const char *data, size_t len,
                               const char *source, kd_value *out,
                               kd_error *err)
{
  decoder d;
  yaml_event_t ev;
  int rc = KD_OK;
  memset(&d, 0, sizeof d);
  d.source = source ? source : "<yaml>";
  d.err = err;
  kd_value_arr(out);
  if (!yaml_parser_initialize(&d.parser)) return oom(&d);
  yaml_parser_set_input_string(&d.parser, (const unsigned char *)data, len);
  for (;;) {
    if ((rc = next_event(&d, &ev)) != KD_OK) break;
    if (ev.type == YAML_STREAM_END_EVENT) {
      yaml_event_delete(&ev);
      break;
    }
    if (ev.type == YAML_DOCUMENT_START_EVENT) {
      kd_value *doc = kd_arr_push(out);
      yaml_event_delete(&ev);
      if (!doc) { rc = oom(&d); break; }
      if ((rc = parse_document(&d, doc)) != KD_OK) break;
      continue;
    }
    yaml_event_delete(&ev);   /* STREAM_START */
  }
  clear_anchors(&d);
  free(d.anchors);
  yaml_parser_delete(&d.parser);
  if (rc != KD_OK) kd_value_clear(out);
  return rc;
}

int yaml_decode(const char *data, size_t len, const char *source,
                kd_value *out, kd_error *err)
{
  kd_value docs;
  int rc = yaml_decode_stream(data, len, source, &docs, err);
  kd_value_null(out);
  if (rc != KD_OK) return rc;
  if (docs.u.arr.len > 1) {
    kd_value_clear(&docs);
    return kd_error_at(err, KD_EPARSE, source ? source : "<yaml>", 1, 1,
                       "expected a single document, found several");
  }
  if (docs.u.arr.len == 1) {
    *out = docs.u.arr.items[0];   /* move out, then free the shell */
    docs.u.arr.len = 0;
  }
  kd_value_clear(&docs);
  return KD_OK;
}
