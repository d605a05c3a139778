/* engine/yaml_emit.c: yaml_encode, the YAML Helm's toYaml prints. Helm
 * marshals with sigs.k8s.io/yaml: json.Marshal, the JSON parsed again by
 * go-yaml v2, then go-yaml v2's emitter (a port of libyaml's). This file
 * follows that emitter's state (column, indent, whitespace, indention)
 * over the value tree directly; yaml_scalar.c holds the scalar rules. */
#include "json.h"
#include "yaml.h"
#include "yaml_int.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BEST_INDENT 2
#define BEST_WIDTH 80
#define MAX_SIMPLE_KEY 128   /* longer keys are written as "? key" */
#define MAX_DEPTH 10000

enum { PLAIN, SINGLE, DOUBLE, LITERAL };

typedef struct entry entry;

typedef struct {
  kd_buf *out;
  entry *ents;         /* a stack of sorted mapping members, see emit_mapping */
  size_t nents, capents;
  int indent;          /* -1 until the root node opens */
  int column;          /* in characters, as go-yaml counts */
  int whitespace;      /* the last thing written was whitespace */
  int indention;       /* only indentation on this line so far */
  int oom;
  kd_buf scratch;      /* a string value after yaml_json_string */
  int v3;              /* yaml_encode_pretty: go-yaml v3's rules */
  int width;           /* fold plain and quoted text past this column */
} emitter;

/* What yaml_emitter_analyze_scalar finds out about a string. */
typedef struct {
  int multiline, plain_ok, single_ok, block_ok;
  int ascii;   /* known to be ASCII: characters = bytes */
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
  if (e->column < indent) {
    static const char spaces[] = "                                ";
    while (indent - e->column > 32) put_run(e, spaces, 32, 32);
    put_run(e, spaces, (size_t)(indent - e->column), indent - e->column);
  }
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

/* The first bytes of line breaks: a cheap test before is_break. */
static int maybe_break(char c)
{
  return c == '\n' || c == '\r' || c == (char)0xC2 || c == (char)0xE2;
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

/* Printable ASCII that needs no thought inside a string (not ':' or '#'),
 * or a space. */
static int quick_byte(unsigned char c)
{
  return (c >= 0x20 && c < 0x7F && c != ':' && c != '#');
}

/* The common case: printable ASCII without ':' or '#'. Then only the ends
 * matter (go-yaml's analysis reduces to these checks). Returns 0 when S
 * needs the full analysis. */
static int analyze_quick(const char *s, size_t len, analysis *a)
{
  const unsigned char *u = (const unsigned char *)s;
  size_t i;
  if (len == 0) return 0;
  for (i = 0; i < len; i++)
    if (!quick_byte(u[i])) return 0;
  a->multiline = 0;
  a->ascii = 1;
  a->single_ok = 1;
  a->block_ok = s[len - 1] != ' ';
  a->plain_ok = s[0] != ' ' && s[len - 1] != ' ' &&
                !indicator_at(s, len, 0, 1) &&
                !(len >= 3 && (memcmp(s, "---", 3) == 0 || memcmp(s, "...", 3) == 0));
  return 1;
}

static void analyze(const char *s, size_t len, analysis *a)
{
  int block_ind = 0, breaks = 0, special = 0, lead_space = 0, lead_break = 0;
  int trail_space = 0, trail_break = 0, break_space = 0, space_break = 0;
  int prev_space = 0, prev_break = 0, preceded_ws = 1;
  size_t i, w;
  if (analyze_quick(s, len, a)) return;
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
    } else if (maybe_break(s[i]) && is_break(s, len, i)) {
      breaks = 1;
      lead_break |= i == 0;
      trail_break |= i + w >= len;
      space_break |= prev_space;
      prev_space = 0;
      prev_break = 1;
    } else {
      prev_space = prev_break = 0;
    }
    preceded_ws = s[i] == ' ' || s[i] == '\t' || s[i] == 0 ||
                  (maybe_break(s[i]) && is_break(s, len, i));
  }
  a->multiline = breaks;
  a->ascii = 0;
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

static void write_plain(emitter *e, const char *s, size_t len,
                        int allow_breaks, int ascii)
{
  size_t i = 0;
  int spaces = 0;
  if (!e->whitespace) put(e, ' ');
  while (i < len) {
    const char *sp;
    size_t run;
    if (s[i] == ' ') {
      if (allow_breaks && !spaces && e->column > e->width &&
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
    put_run(e, s + i, run, ascii ? (int)run : count_chars(s + i, run));
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
      if (allow_breaks && !spaces && e->column > e->width && i > 0 &&
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
      if (allow_breaks && !spaces && e->column > e->width && i > 0 &&
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
                        int simple_key, int ascii)
{
  int saved = e->indent;
  e->indent = e->indent < 0 ? BEST_INDENT : e->indent + BEST_INDENT;
  switch (style) {
  case PLAIN: write_plain(e, s, len, !simple_key, ascii); break;
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

/* go-yaml v3 prints a float64 with strconv.FormatFloat(f, 'g', -1, 64). */
static int format_float3(double f, kd_buf *out, kd_error *err)
{
  int rc;
  if (isnan(f)) rc = kd_buf_adds(out, ".nan");
  else if (isinf(f)) rc = kd_buf_adds(out, f > 0 ? ".inf" : "-.inf");
  else if (f == 0 && signbit(f)) rc = kd_buf_adds(out, "-0");
  else rc = format_go_g(f, out);
  return rc ? kd_error_set(err, KD_ENOMEM, "out of memory") : KD_OK;
}

/* ---- nodes --------------------------------------------------------------- */

struct entry {
  const char *key, *orig;   /* the key as emitted, as given */
  size_t klen, olen, idx;
  const kd_value *val;
  char *owned;   /* the key after yaml_json_string, when it changed */
};

static int cmp_entry_v(const entry *a, const entry *b, int v3)
{
  if (yaml_key_less(a->key, a->klen, b->key, b->klen, v3)) return -1;
  if (yaml_key_less(b->key, b->klen, a->key, a->klen, v3)) return 1;
  /* equal after yaml_json_string: json.Marshal wrote them in byte order
   * of the original keys and go-yaml kept the last */
  {
    size_t n = a->olen < b->olen ? a->olen : b->olen;
    int c = memcmp(a->orig, b->orig, n);
    if (c) return c;
    if (a->olen != b->olen) return a->olen < b->olen ? -1 : 1;
  }
  return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int cmp_entry(const void *pa, const void *pb)
{
  return cmp_entry_v(pa, pb, 0);
}

static int cmp_entry3(const void *pa, const void *pb)
{
  return cmp_entry_v(pa, pb, 1);
}

static int emit_node(emitter *e, const kd_value *v, int map_ctx,
                     int simple_key, int depth, kd_error *err);

/* go-yaml v3's encodeBase64: lines of 70 characters, each ended by a
 * newline when there are several. */
static int base64_lines(const char *s, size_t len, kd_buf *out)
{
  static const char b64[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  kd_buf enc = {0};
  size_t i, elen;
  int rc = KD_OK;
  for (i = 0; i < len && rc == KD_OK; i += 3) {
    unsigned v = (unsigned char)s[i] << 16;
    char q[4];
    if (i + 1 < len) v |= (unsigned)(unsigned char)s[i + 1] << 8;
    if (i + 2 < len) v |= (unsigned char)s[i + 2];
    q[0] = b64[(v >> 18) & 63];
    q[1] = b64[(v >> 12) & 63];
    q[2] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
    q[3] = i + 2 < len ? b64[v & 63] : '=';
    rc = kd_buf_add(&enc, q, 4);
  }
  elen = enc.len;
  out->len = 0;
  for (i = 0; i < elen && rc == KD_OK; i += 70) {
    rc = kd_buf_add(out, enc.data + i, elen - i < 70 ? elen - i : 70);
    if (rc == KD_OK && elen / 70 + 1 > 1) rc = kd_buf_addc(out, '\n');
  }
  if (rc == KD_OK && !out->data) rc = kd_buf_adds(out, "");
  kd_buf_free(&enc);
  return rc;
}

/* A string under go-yaml v3 (toYamlPretty): no JSON round trip; text that
 * is not UTF-8 goes out base64-encoded with the !!binary tag. */
static int emit_string3(emitter *e, const char *s, size_t len, int simple_key,
                        kd_error *err)
{
  analysis a;
  if (!yaml_utf8_valid(s, len)) {
    if (base64_lines(s, len, &e->scratch) != KD_OK)
      return kd_error_set(err, KD_ENOMEM, "out of memory");
    write_indicator(e, "!!binary", 1, 0, 0);
    s = e->scratch.data;
    len = e->scratch.len;
  }
  analyze(s, len, &a);
  emit_scalar(e, s, len, string_style(s, len, &a, simple_key), simple_key,
              a.ascii);
  return KD_OK;
}

/* A string node (value or key), after the JSON round trip. */
static int emit_string(emitter *e, const char *s, size_t len, int simple_key,
                       kd_error *err)
{
  analysis a;
  if (e->v3) return emit_string3(e, s, len, simple_key, err);
  if (!analyze_quick(s, len, &a)) {   /* else plain ASCII: JSON keeps it */
    int changed, rc = yaml_json_string(s, len, &e->scratch, &changed);
    if (rc == KD_EINVAL)
      return kd_error_set(err, rc, "yaml: control characters are not allowed");
    if (rc != KD_OK) return kd_error_set(err, rc, "out of memory");
    if (changed) {
      s = e->scratch.data;
      len = e->scratch.len;
    }
    analyze(s, len, &a);
  }
  emit_scalar(e, s, len, string_style(s, len, &a, simple_key), simple_key,
              a.ascii);
  return KD_OK;
}

static int emit_sequence(emitter *e, const kd_value *v, int map_ctx,
                         int depth, kd_error *err)
{
  int saved = e->indent, rc = KD_OK;
  size_t i;
  /* go-yaml v2 keeps a sequence under a mapping key at the key's column */
  if (e->indent < 0) e->indent = 0;
  else if (e->v3 || !(map_ctx && !e->indention)) e->indent += BEST_INDENT;
  for (i = 0; i < v->u.arr.len && rc == KD_OK; i++) {
    write_indent(e);
    write_indicator(e, "-", 1, 0, 1);
    rc = emit_node(e, &v->u.arr.items[i], 0, 0, depth + 1, err);
  }
  e->indent = saved;
  return rc;
}

/* Pushes the members of V on the emitter's entry stack in go-yaml's order
 * (V3: go-yaml v3's, no JSON round trip), duplicates dropped (the last one
 * wins, as when Go builds a map; see cmp_entry). Returns the count or -1
 * (out of memory, or a key go-yaml refuses: ERR says which). The caller
 * pops them (release_entries). */
static long push_entries(emitter *e, const kd_value *v, int v3, kd_error *err)
{
  size_t n = v->u.obj.len, base = e->nents, i, k = 0;
  entry *es;
  kd_buf tmp = {0};
  if (e->capents - base < n) {
    size_t cap = (base + n) * 2;
    entry *ne = realloc(e->ents, cap * sizeof *ne);
    if (!ne) return kd_error_set(err, KD_ENOMEM, "out of memory"), -1;
    e->ents = ne;
    e->capents = cap;
  }
  es = e->ents + base;
  for (i = 0; i < n; i++) {
    const kd_member *m = &v->u.obj.m[i];
    int changed = 0, rc = v3 ? KD_OK
                               : yaml_json_string(m->key, m->klen, &tmp, &changed);
    es[i].key = es[i].orig = m->key;
    es[i].klen = es[i].olen = m->klen;
    es[i].val = &m->val;
    es[i].idx = i;
    es[i].owned = NULL;
    if (rc == KD_OK && changed) {
      es[i].owned = kd_buf_take(&tmp, &es[i].klen);
      es[i].key = es[i].owned;
      if (!es[i].owned) rc = KD_ENOMEM;
    }
    if (rc != KD_OK) {
      kd_error_set(err, rc, rc == KD_EINVAL ? "yaml: control characters are not allowed"
                                            : "out of memory");
      while (i-- > 0) free(es[i].owned);
      kd_buf_free(&tmp);
      return -1;
    }
  }
  kd_buf_free(&tmp);
  if (n > 1) qsort(es, n, sizeof *es, v3 ? cmp_entry3 : cmp_entry);
  for (i = 0; i < n; i++) {   /* keep the last of each run of equal keys */
    if (i + 1 < n && es[i].klen == es[i + 1].klen &&
        memcmp(es[i].key, es[i + 1].key, es[i].klen) == 0) {
      free(es[i].owned);
      continue;
    }
    es[k++] = es[i];
  }
  e->nents = base + k;
  return (long)k;
}

static void release_entries(emitter *e, size_t base)
{
  size_t i;
  for (i = base; i < e->nents; i++) free(e->ents[i].owned);
  e->nents = base;
}

static int emit_mapping(emitter *e, const kd_value *v, int depth,
                        kd_error *err)
{
  size_t base = e->nents;
  long n = push_entries(e, v, e->v3, err), i;
  int saved = e->indent, rc = KD_OK;
  if (n < 0) return err ? err->code : KD_ENOMEM;
  e->indent = e->indent < 0 ? 0 : e->indent + BEST_INDENT;
  for (i = 0; i < n && rc == KD_OK; i++) {
    entry *m = &e->ents[base + (size_t)i];   /* re-read: the stack may move */
    const kd_value *val = m->val;
    analysis a;
    write_indent(e);
    analyze(m->key, m->klen, &a);
    if (e->v3 && !yaml_utf8_valid(m->key, m->klen)) {
      rc = emit_string3(e, m->key, m->klen, 1, err);
      write_indicator(e, ":", 0, 0, 0);
    } else if (!a.multiline && m->klen <= MAX_SIMPLE_KEY) {
      emit_scalar(e, m->key, m->klen, string_style(m->key, m->klen, &a, 1), 1,
                  a.ascii);
      write_indicator(e, ":", 0, 0, 0);
    } else {   /* a complex key: "? key" then ": value" on its own line */
      write_indicator(e, "?", 1, 0, 1);
      emit_scalar(e, m->key, m->klen, string_style(m->key, m->klen, &a, 0), 0,
                  a.ascii);
      write_indent(e);
      write_indicator(e, ":", 1, 0, 1);
    }
    if (rc == KD_OK) rc = emit_node(e, val, 1, 0, depth + 1, err);
  }
  release_entries(e, base);
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
  case KD_NULL: emit_scalar(e, "null", 4, PLAIN, simple_key, 1); return KD_OK;
  case KD_BOOL:
    emit_scalar(e, v->u.b ? "true" : "false", v->u.b ? 4 : 5, PLAIN, simple_key, 1);
    return KD_OK;
  case KD_INT:
    n = v->is_uint ? snprintf(num, sizeof num, "%llu", (unsigned long long)v->u.i)
                   : snprintf(num, sizeof num, "%lld", (long long)v->u.i);
    emit_scalar(e, num, (size_t)n, PLAIN, simple_key, 1);
    return KD_OK;
  case KD_FLOAT: {
    kd_buf f = {0};
    int rc = e->v3 ? format_float3(v->u.f, &f, err) : format_float(v->u.f, &f, err);
    if (rc == KD_OK) emit_scalar(e, f.data, f.len, PLAIN, simple_key, 1);
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

static int encode(const kd_value *v, int v3, kd_buf *out, kd_error *err)
{
  emitter e;
  size_t start = out->len;
  int rc;
  memset(&e, 0, sizeof e);
  e.out = out;
  e.v3 = v3;
  e.width = v3 ? INT_MAX : BEST_WIDTH;   /* v3's emitter never folds */
  e.indent = -1;
  e.whitespace = e.indention = 1;
  rc = emit_node(&e, v, 0, 0, 0, err);
  if (rc == KD_OK) write_indent(&e);   /* the document's end */
  kd_buf_free(&e.scratch);
  free(e.ents);
  if (rc == KD_OK && e.oom) rc = kd_error_set(err, KD_ENOMEM, "out of memory");
  if (rc != KD_OK && out->data) {   /* nothing half-written */
    out->len = start;
    out->data[start] = 0;
  }
  return rc;
}

int yaml_encode(const kd_value *v, kd_buf *out, kd_error *err)
{
  return encode(v, 0, out, err);
}

int yaml_encode_pretty(const kd_value *v, kd_buf *out, kd_error *err)
{
  return encode(v, 1, out, err);
}
