/* engine/yaml_emit.c: yaml_encode, the YAML Helm's toYaml prints. Helm
 * marshals with sigs.k8s.io/yaml: json.Marshal, the JSON parsed again by
 * go-yaml v2, then go-yaml v2's emitter (a port of libyaml's). This file
 * follows that emitter's state (column, indent, whitespace, indention)
 * over the value tree directly; yaml_scalar.c holds the scalar rules. */
#include "json.h"
#include "yaml.h"
#include "yaml_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BEST_INDENT 2
#define BEST_WIDTH 80
#define MAX_SIMPLE_KEY 128   /* longer keys are written as "? key" */
#define MAX_DEPTH 10000

enum { PLAIN, SINGLE, DOUBLE, LITERAL };

typedef struct {
  kd_buf *out;
  int indent;          /* -1 until the root node opens */
  int column;          /* in characters, as go-yaml counts */
  int whitespace;      /* the last thing written was whitespace */
  int indention;       /* only indentation on this line so far */
  int oom;
  kd_buf scratch;      /* a string value after yaml_json_string */
} emitter;

/* What yaml_emitter_analyze_scalar finds out about a string. */
typedef struct {
  int multiline, plain_ok, single_ok, block_ok;
} analysis;

/* ---- output primitives --------------------------------------------------- */

static void put(emitter *e, char c)
{
  if (kd_buf_addc(e->out, c)) e->oom = 1;
  e->column++;
}

static void put_break(emitter *e)
{
  if (kd_buf_addc(e->out, '\n')) e->oom = 1;
  e->column = 0;
}

/* Appends N bytes holding CHARS characters. */
static void put_run(emitter *e, const char *s, size_t n, int chars)
{
  if (kd_buf_add(e->out, s, n)) e->oom = 1;
  e->column += chars;
}

static size_t char_width(unsigned char c)
{
  return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* Copies the character at S[*I]. */
static void write_char(emitter *e, const char *s, size_t len, size_t *i)
{
  size_t w = char_width((unsigned char)s[*i]);
  if (w > len - *i) w = len - *i;
  put_run(e, s + *i, w, 1);
  *i += w;
}

static int count_chars(const char *s, size_t n)
{
  int chars = 0;
  size_t i;
  for (i = 0; i < n; i++) chars += ((unsigned char)s[i] & 0xC0) != 0x80;
  return chars;
}

static void write_indent(emitter *e)
{
  int indent = e->indent < 0 ? 0 : e->indent;
  if (!e->indention || e->column > indent ||
      (e->column == indent && !e->whitespace))
    put_break(e);
  while (e->column < indent) put(e, ' ');
  e->whitespace = 1;
  e->indention = 1;
}

static void write_indicator(emitter *e, const char *ind, int need_whitespace,
                            int is_whitespace, int is_indention)
{
  if (need_whitespace && !e->whitespace) put(e, ' ');
  put_run(e, ind, strlen(ind), (int)strlen(ind));
  e->whitespace = is_whitespace;
  e->indention = e->indention && is_indention;
}

/* ---- character classes (go-yaml's yamlprivateh.go) ----------------------- */

static int at(const char *s, size_t len, size_t i)
{
  return i < len ? (unsigned char)s[i] : 0;
}

static int is_break(const char *s, size_t len, size_t i)
{
  int c = at(s, len, i);
  return c == '\r' || c == '\n' ||
         (c == 0xC2 && at(s, len, i + 1) == 0x85) ||
         (c == 0xE2 && at(s, len, i + 1) == 0x80 &&
          (at(s, len, i + 2) == 0xA8 || at(s, len, i + 2) == 0xA9));
}

static int is_printable(const char *s, size_t len, size_t i)
{
  int c = at(s, len, i), c1 = at(s, len, i + 1), c2 = at(s, len, i + 2);
  return c == 0x0A || (c >= 0x20 && c <= 0x7E) || (c == 0xC2 && c1 >= 0xA0) ||
         (c > 0xC2 && c < 0xED) || (c == 0xED && c1 < 0xA0) || c == 0xEE ||
         (c == 0xEF && !(c1 == 0xBB && c2 == 0xBF) &&
          !(c1 == 0xBF && (c2 == 0xBE || c2 == 0xBF)));
}

static int is_blank(const char *s, size_t len, size_t i)
{
  int c = at(s, len, i);
  return c == ' ' || c == '\t';
}

/* ---- scalar analysis and style ------------------------------------------ */

static int indicator_at(const char *s, size_t len, size_t i, int preceded_ws)
{
  int followed_ws = i + 1 >= len || is_blank(s, len, i + 1);
  switch (s[i]) {
  case '#': return i == 0 || preceded_ws;
  case ',': case '[': case ']': case '{': case '}': case '&': case '*':
  case '!': case '|': case '>': case '\'': case '"': case '%': case '@':
  case '`':
    return i == 0;
  case '?': case '-': return i == 0 && followed_ws;
  case ':': return followed_ws;
  default: return 0;
  }
}

static void analyze(const char *s, size_t len, analysis *a)
{
  int block_ind = 0, breaks = 0, special = 0, lead_space = 0, lead_break = 0;
  int trail_space = 0, trail_break = 0, break_space = 0, space_break = 0;
  int prev_space = 0, prev_break = 0, preceded_ws = 1;
  size_t i, w;
  if (len >= 3 && (memcmp(s, "---", 3) == 0 || memcmp(s, "...", 3) == 0))
    block_ind = 1;
  for (i = 0; i < len; i += w) {
    w = char_width((unsigned char)s[i]);
    if (!block_ind && indicator_at(s, len, i, preceded_ws)) block_ind = 1;
    if (!is_printable(s, len, i)) special = 1;
    if (s[i] == ' ') {
      lead_space |= i == 0;
      trail_space |= i + w >= len;
      break_space |= prev_break;
      prev_space = 1;
      prev_break = 0;
    } else if (is_break(s, len, i)) {
      breaks = 1;
      lead_break |= i == 0;
      trail_break |= i + w >= len;
      space_break |= prev_space;
      prev_space = 0;
      prev_break = 1;
    } else {
      prev_space = prev_break = 0;
    }
    preceded_ws = is_blank(s, len, i) || is_break(s, len, i) || s[i] == 0;
  }
  a->multiline = breaks;
  a->plain_ok = !(lead_space || lead_break || trail_space || trail_break ||
                  break_space || space_break || special || breaks || block_ind);
  a->single_ok = !(break_space || space_break || special);
  a->block_ok = !(trail_space || space_break || special);
  if (len == 0) a->plain_ok = a->single_ok = 1, a->block_ok = 0;
}

/* The style of string S: what go-yaml's encoder asks for (literal for
 * text with "\n", double quotes for what would not read back as a string,
 * else plain), then what the emitter allows. */
static int string_style(const char *s, size_t len, const analysis *a,
                        int simple_key)
{
  int style = memchr(s, '\n', len) ? LITERAL
              : yaml_plain_is_str(s, len) ? PLAIN : DOUBLE;
  if (simple_key && a->multiline) style = DOUBLE;
  if (style == PLAIN && (!a->plain_ok || (len == 0 && simple_key)))
    style = SINGLE;
  if (style == SINGLE && !a->single_ok) style = DOUBLE;
  if (style == LITERAL && (!a->block_ok || simple_key)) style = DOUBLE;
  return style;
}

/* ---- scalar writers ------------------------------------------------------ */

static void write_plain(emitter *e, const char *s, size_t len, int allow_breaks)
{
  size_t i = 0;
  int spaces = 0;
  if (!e->whitespace) put(e, ' ');
  while (i < len) {
    const char *sp;
    size_t run;
    if (s[i] == ' ') {
      if (allow_breaks && !spaces && e->column > BEST_WIDTH &&
          at(s, len, i + 1) != ' ') {
        write_indent(e);
      } else {
        put(e, ' ');
      }
      i++;
      spaces = 1;
      continue;
    }
    sp = memchr(s + i, ' ', len - i);   /* plain text has no line breaks */
    run = sp ? (size_t)(sp - (s + i)) : len - i;
    put_run(e, s + i, run, count_chars(s + i, run));
    i += run;
    e->indention = 0;
    spaces = 0;
  }
  e->whitespace = 0;
  e->indention = 0;
}

/* Copies a line break: "\n" as a newline, LS/PS as themselves. */
static void write_break(emitter *e, const char *s, size_t len, size_t *i)
{
  if (s[*i] == '\n') {
    put_break(e);
    (*i)++;
  } else {
    write_char(e, s, len, i);
    e->column = 0;
  }
}

static void write_single(emitter *e, const char *s, size_t len, int allow_breaks)
{
  size_t i = 0;
  int spaces = 0, breaks = 0;
  write_indicator(e, "'", 1, 0, 0);
  while (i < len) {
    if (s[i] == ' ') {
      if (allow_breaks && !spaces && e->column > BEST_WIDTH && i > 0 &&
          i < len - 1 && s[i + 1] != ' ')
        write_indent(e);
      else
        put(e, ' ');
      i++;
      spaces = 1;
    } else if (is_break(s, len, i)) {
      if (!breaks && s[i] == '\n') put_break(e);
      write_break(e, s, len, &i);
      e->indention = 1;
      breaks = 1;
    } else {
      if (breaks) write_indent(e);
      if (s[i] == '\'') put(e, '\'');
      write_char(e, s, len, &i);
      e->indention = 0;
      spaces = breaks = 0;
    }
  }
  write_indicator(e, "'", 0, 0, 0);
  e->whitespace = 0;
  e->indention = 0;
}

/* Writes the escape for the character at S[*I] (advancing *I). */
static void write_escape(emitter *e, const char *s, size_t len, size_t *i)
{
  static const char hex[] = "0123456789ABCDEF";
  const unsigned char *u = (const unsigned char *)s + *i;
  size_t w = char_width(u[0]), k;
  unsigned v;
  int digits = 0;
  char c = 0;
  if (w > len - *i) w = len - *i;
  v = w == 1 ? u[0] : w == 2 ? u[0] & 0x1Fu : w == 3 ? u[0] & 0x0Fu : u[0] & 0x07u;
  for (k = 1; k < w; k++) v = v << 6 | (u[k] & 0x3Fu);
  *i += w;
  switch (v) {
  case 0x00: c = '0'; break;
  case 0x07: c = 'a'; break;
  case 0x08: c = 'b'; break;
  case 0x09: c = 't'; break;
  case 0x0A: c = 'n'; break;
  case 0x0B: c = 'v'; break;
  case 0x0C: c = 'f'; break;
  case 0x0D: c = 'r'; break;
  case 0x1B: c = 'e'; break;
  case 0x22: c = '"'; break;
  case 0x5C: c = '\\'; break;
  case 0x85: c = 'N'; break;
  case 0xA0: c = '_'; break;
  case 0x2028: c = 'L'; break;
  case 0x2029: c = 'P'; break;
  default:
    c = v <= 0xFF ? 'x' : v <= 0xFFFF ? 'u' : 'U';
    digits = v <= 0xFF ? 2 : v <= 0xFFFF ? 4 : 8;
  }
  put(e, '\\');
  put(e, c);
  while (digits-- > 0) put(e, hex[(v >> (digits * 4)) & 0xF]);
}

static void write_double(emitter *e, const char *s, size_t len, int allow_breaks)
{
  size_t i = 0;
  int spaces = 0;
  /* go-yaml's is_bom looks at the start of the string whatever the index:
   * after a leading BOM every character is escaped */
  int bom = len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0;
  write_indicator(e, "\"", 1, 0, 0);
  while (i < len) {
    unsigned char c = (unsigned char)s[i];
    if (bom || !is_printable(s, len, i) || is_break(s, len, i) || c == '"' ||
        c == '\\') {
      write_escape(e, s, len, &i);
      spaces = 0;
    } else if (c == ' ') {
      if (allow_breaks && !spaces && e->column > BEST_WIDTH && i > 0 &&
          i < len - 1) {
        write_indent(e);
        if (s[i + 1] == ' ') put(e, '\\');
      } else {
        put(e, ' ');
      }
      i++;
      spaces = 1;
    } else {
      write_char(e, s, len, &i);
      spaces = 0;
    }
  }
  write_indicator(e, "\"", 0, 0, 0);
  e->whitespace = 0;
  e->indention = 0;
}

/* The start of the character that ends at S[END-1]. */
static size_t char_start(const char *s, size_t end)
{
  size_t i = end - 1;
  while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80) i--;
  return i;
}

static void write_literal(emitter *e, const char *s, size_t len)
{
  size_t i = 0;
  int breaks = 1;
  write_indicator(e, "|", 1, 0, 0);
  if (len && (s[0] == ' ' || is_break(s, len, 0)))
    write_indicator(e, "2", 0, 0, 0);   /* the indentation indicator */
  if (len == 0 || !is_break(s, len, char_start(s, len))) {
    write_indicator(e, "-", 0, 0, 0);
  } else {
    size_t last = char_start(s, len);
    if (last == 0 || is_break(s, len, char_start(s, last)))
      write_indicator(e, "+", 0, 0, 0);
  }
  put_break(e);
  e->indention = 1;
  e->whitespace = 1;
  while (i < len) {
    if (is_break(s, len, i)) {
      write_break(e, s, len, &i);
      e->indention = 1;
      breaks = 1;
    } else {
      size_t j = i;
      if (breaks) write_indent(e);
      while (j < len && !is_break(s, len, j)) j++;
      put_run(e, s + i, j - i, count_chars(s + i, j - i));
      i = j;
      e->indention = 0;
      breaks = 0;
    }
  }
}

/* Emits scalar text S in STYLE, as yaml_emitter_emit_scalar: the text's
 * own indentation (for folded lines) is one step in. */
static void emit_scalar(emitter *e, const char *s, size_t len, int style,
                        int simple_key)
{
  int saved = e->indent;
  e->indent = e->indent < 0 ? BEST_INDENT : e->indent + BEST_INDENT;
  switch (style) {
  case PLAIN: write_plain(e, s, len, !simple_key); break;
  case SINGLE: write_single(e, s, len, !simple_key); break;
  case DOUBLE: write_double(e, s, len, !simple_key); break;
  default: write_literal(e, s, len); break;
  }
  e->indent = saved;
}

/* ---- numbers ------------------------------------------------------------- */

/* strconv.FormatFloat(f, 'g', -1, 64) for finite F. */
static int format_go_g(double f, kd_buf *out)
{
  char d[40];
  int dp, nd, x, i, rc = 0;
  if (f == 0) return kd_buf_adds(out, "0");
  dp = json_float_digits(f, d, sizeof d);
  nd = (int)strlen(d);
  x = dp - 1;
  if (f < 0) rc |= kd_buf_addc(out, '-');
  if (x < -4 || x >= 6) {   /* %e: d.ddde±XX */
    rc |= kd_buf_addc(out, d[0]);
    if (nd > 1) {
      rc |= kd_buf_addc(out, '.');
      rc |= kd_buf_add(out, d + 1, (size_t)(nd - 1));
    }
    rc |= kd_buf_printf(out, "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
    return rc ? KD_ENOMEM : KD_OK;
  }
  if (dp > 0) {
    for (i = 0; i < dp; i++) rc |= kd_buf_addc(out, i < nd ? d[i] : '0');
  } else {
    rc |= kd_buf_addc(out, '0');
  }
  if (nd > dp) {
    rc |= kd_buf_addc(out, '.');
    for (i = dp; i < nd; i++) rc |= kd_buf_addc(out, i < 0 ? '0' : d[i]);
  }
  return rc ? KD_ENOMEM : KD_OK;
}

/* A float as JSON -> YAML gives it: json.Marshal prints it, go-yaml reads
 * integral text back as an int (when it fits int64 or uint64), the rest as
 * a float, which it prints with 'g'. */
static int format_float(double f, kd_buf *out, kd_error *err)
{
  kd_buf j = {0};
  int rc;
  if (isnan(f) || isinf(f))
    return kd_error_set(err, KD_ERANGE, "json: unsupported value: %s",
                        isnan(f) ? "NaN" : f > 0 ? "+Inf" : "-Inf");
  if (json_format_float(f, &j)) return kd_error_set(err, KD_ENOMEM, "out of memory");
  if (!strpbrk(j.data, ".eE")) {
    const char *p = j.data + (j.data[0] == '-');
    size_t n = strlen(p);
    /* 19 digits may or may not fit int64; 20 fit uint64 up to its max */
    if (n < 19 || (n == 19 && strcmp(p, "9223372036854775807") <= 0) ||
        (j.data[0] == '-' && n == 19 && strcmp(p, "9223372036854775808") <= 0)) {
      rc = kd_buf_printf(out, "%lld", strtoll(j.data, NULL, 10));  /* -0 -> 0 */
    } else if (j.data[0] != '-' &&
               (n < 20 || (n == 20 && strcmp(p, "18446744073709551615") <= 0))) {
      rc = kd_buf_add(out, j.data, j.len);
    } else {
      rc = format_go_g(f, out);
    }
  } else {
    rc = format_go_g(f, out);
  }
  kd_buf_free(&j);
  return rc ? kd_error_set(err, KD_ENOMEM, "out of memory") : KD_OK;
}

/* ---- nodes --------------------------------------------------------------- */

typedef struct {
  const char *key;
  size_t klen, idx;
  const kd_value *val;
  char *owned;   /* the key after yaml_json_string, when it changed */
} entry;

static int cmp_entry(const void *pa, const void *pb)
{
  const entry *a = pa, *b = pb;
  if (yaml_key_less(a->key, a->klen, b->key, b->klen)) return -1;
  if (yaml_key_less(b->key, b->klen, a->key, a->klen)) return 1;
  return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int emit_node(emitter *e, const kd_value *v, int map_ctx,
                     int simple_key, int depth, kd_error *err);

/* A string node (value or key), after the JSON round trip. */
static int emit_string(emitter *e, const char *s, size_t len, int simple_key,
                       kd_error *err)
{
  analysis a;
  int changed, rc = yaml_json_string(s, len, &e->scratch, &changed);
  if (rc == KD_EINVAL)
    return kd_error_set(err, rc, "yaml: control characters are not allowed");
  if (rc != KD_OK) return kd_error_set(err, rc, "out of memory");
  if (changed) {
    s = e->scratch.data;
    len = e->scratch.len;
  }
  analyze(s, len, &a);
  emit_scalar(e, s, len, string_style(s, len, &a, simple_key), simple_key);
  return KD_OK;
}

static int emit_sequence(emitter *e, const kd_value *v, int map_ctx,
                         int depth, kd_error *err)
{
  int saved = e->indent, rc = KD_OK;
  size_t i;
  /* go-yaml v2 keeps a sequence under a mapping key at the key's column */
  if (e->indent < 0) e->indent = 0;
  else if (!(map_ctx && !e->indention)) e->indent += BEST_INDENT;
  for (i = 0; i < v->u.arr.len && rc == KD_OK; i++) {
    write_indent(e);
    write_indicator(e, "-", 1, 0, 1);
    rc = emit_node(e, &v->u.arr.items[i], 0, 0, depth + 1, err);
  }
  e->indent = saved;
  return rc;
}

/* The members of V in go-yaml's order, duplicates dropped (the last one
 * wins, as when Go builds a map). Returns the count or -1 (out of memory,
 * or a key go-yaml refuses: ERR says which). */
static long sorted_entries(const kd_value *v, entry **out, kd_error *err)
{
  size_t n = v->u.obj.len, i, k = 0;
  entry *es = calloc(n, sizeof *es);
  kd_buf tmp = {0};
  if (!es) return kd_error_set(err, KD_ENOMEM, "out of memory"), -1;
  for (i = 0; i < n; i++) {
    const kd_member *m = &v->u.obj.m[i];
    int changed, rc = yaml_json_string(m->key, m->klen, &tmp, &changed);
    es[i].key = m->key;
    es[i].klen = m->klen;
    es[i].val = &m->val;
    es[i].idx = i;
    if (rc == KD_OK && changed) {
      es[i].owned = kd_buf_take(&tmp, &es[i].klen);
      es[i].key = es[i].owned;
      if (!es[i].owned) rc = KD_ENOMEM;
    }
    if (rc != KD_OK) {
      kd_error_set(err, rc, rc == KD_EINVAL ? "yaml: control characters are not allowed"
                                            : "out of memory");
      while (i-- > 0) free(es[i].owned);
      free(es);
      kd_buf_free(&tmp);
      return -1;
    }
  }
  kd_buf_free(&tmp);
  if (n > 1) qsort(es, n, sizeof *es, cmp_entry);
  for (i = 0; i < n; i++) {   /* keep the last of each run of equal keys */
    if (i + 1 < n && es[i].klen == es[i + 1].klen &&
        memcmp(es[i].key, es[i + 1].key, es[i].klen) == 0) {
      free(es[i].owned);
      continue;
    }
    es[k++] = es[i];
  }
  *out = es;
  return (long)k;
}

static int emit_mapping(emitter *e, const kd_value *v, int depth,
                        kd_error *err)
{
  entry *es = NULL;
  long n = sorted_entries(v, &es, err), i;
  int saved = e->indent, rc = KD_OK;
  if (n < 0) return err ? err->code : KD_ENOMEM;
  e->indent = e->indent < 0 ? 0 : e->indent + BEST_INDENT;
  for (i = 0; i < n && rc == KD_OK; i++) {
    analysis a;
    write_indent(e);
    analyze(es[i].key, es[i].klen, &a);
    if (!a.multiline && es[i].klen <= MAX_SIMPLE_KEY) {
      emit_scalar(e, es[i].key, es[i].klen,
                  string_style(es[i].key, es[i].klen, &a, 1), 1);
      write_indicator(e, ":", 0, 0, 0);
    } else {   /* a complex key: "? key" then ": value" on its own line */
      write_indicator(e, "?", 1, 0, 1);
      emit_scalar(e, es[i].key, es[i].klen,
                  string_style(es[i].key, es[i].klen, &a, 0), 0);
      write_indent(e);
      write_indicator(e, ":", 1, 0, 1);
    }
    rc = emit_node(e, es[i].val, 1, 0, depth + 1, err);
  }
  for (i = 0; i < n; i++) free(es[i].owned);
  free(es);
  e->indent = saved;
  return rc;
}

/* Emits V; MAP_CTX: V is a mapping key or value (go-yaml's
 * mapping_context), SIMPLE_KEY: V is a key written inline. */
static int emit_node(emitter *e, const kd_value *v, int map_ctx,
                     int simple_key, int depth, kd_error *err)
{
  char num[32];
  int n;
  if (depth > MAX_DEPTH)
    return kd_error_set(err, KD_ERANGE, "yaml: nesting too deep");
  switch (v->type) {
  case KD_NULL: emit_scalar(e, "null", 4, PLAIN, simple_key); return KD_OK;
  case KD_BOOL:
    emit_scalar(e, v->u.b ? "true" : "false", v->u.b ? 4 : 5, PLAIN, simple_key);
    return KD_OK;
  case KD_INT:
    n = snprintf(num, sizeof num, "%lld", (long long)v->u.i);
    emit_scalar(e, num, (size_t)n, PLAIN, simple_key);
    return KD_OK;
  case KD_FLOAT: {
    kd_buf f = {0};
    int rc = format_float(v->u.f, &f, err);
    if (rc == KD_OK) emit_scalar(e, f.data, f.len, PLAIN, simple_key);
    kd_buf_free(&f);
    return rc;
  }
  case KD_STR: return emit_string(e, v->u.str.s, v->u.str.len, simple_key, err);
  case KD_ARR:
    if (v->u.arr.len) return emit_sequence(e, v, map_ctx, depth, err);
    write_indicator(e, "[", 1, 1, 0);
    write_indicator(e, "]", 0, 0, 0);
    return KD_OK;
  case KD_OBJ:
    if (v->u.obj.len) return emit_mapping(e, v, depth, err);
    write_indicator(e, "{", 1, 1, 0);
    write_indicator(e, "}", 0, 0, 0);
    return KD_OK;
  }
  return kd_error_set(err, KD_EINVAL, "yaml: unknown value type");
}

int yaml_encode(const kd_value *v, kd_buf *out, kd_error *err)
{
  emitter e;
  size_t start = out->len;
  int rc;
  memset(&e, 0, sizeof e);
  e.out = out;
  e.indent = -1;
  e.whitespace = e.indention = 1;
  rc = emit_node(&e, v, 0, 0, 0, err);
  if (rc == KD_OK) write_indent(&e);   /* the document's end */
  kd_buf_free(&e.scratch);
  if (rc == KD_OK && e.oom) rc = kd_error_set(err, KD_ENOMEM, "out of memory");
  if (rc != KD_OK && out->data) {   /* nothing half-written */
    out->len = start;
    out->data[start] = 0;
  }
  return rc;
}
