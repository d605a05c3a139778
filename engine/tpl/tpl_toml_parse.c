/* engine/tpl/tpl_toml_parse.c: Helm's fromToml, a TOML reader giving
 * what BurntSushi/toml (v1, TOML 1.1 features on) decodes into
 * map[string]interface{}: int64 integers, float64, strings, bools,
 * time.Time for date-times (local ones in BurntSushi's "datetime-local",
 * "date-local", "time-local" zones; seconds optional), lists and maps.
 * Errors are "toml: line N (last key "k"): ..." in BurntSushi's words. An
 * error at the end of the input is on the line of its last character. */
#include "tpl_time.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *s;
  size_t n, i;
  int line;
  kd_buf *msg;
  kd_buf last_key;       /* named in errors: the table's name, then the key */
  kd_buf table_key;      /* the dotted name of the current [table], or "" */
  tpl_val root, cur;     /* the table keys go into now */
  kd_buf defined;        /* NUL-separated "\x1f"-joined paths of [tables] */
  kd_buf arrays;         /* the same, of the arrays made by [[tables]] */
  int depth;
} parser;

/* the message M (MLEN bytes, may hold NULs) on LINE */
static int fail_line(parser *p, int line, const char *m, size_t mlen)
{
  p->msg->len = 0;
  if (p->i >= p->n) {   /* BurntSushi reports EOF on the last character */
    size_t k;
    line = 1;
    for (k = 0; k + 1 < p->n; k++) line += p->s[k] == '\n';
  }
  if (p->last_key.len)
    kd_buf_printf(p->msg, "toml: line %d (last key \"%s\"): ", line, p->last_key.data);
  else
    kd_buf_printf(p->msg, "toml: line %d: ", line);
  kd_buf_add(p->msg, m, mlen);
  kd_buf_adds(p->msg, "");
  return KD_EPARSE;
}

static int fail(parser *p, const char *fmt, const char *arg)
{
  kd_buf m = {0};
  int rc;
  kd_buf_printf(&m, fmt, arg ? arg : "");
  rc = fail_line(p, p->line, m.data ? m.data : "", m.len);
  kd_buf_free(&m);
  return rc;
}

/* BurntSushi's lexer refuses these anywhere: C0 controls but tab, LF and
 * CR before LF; DEL */
static int is_ctrl(const parser *p, size_t i)
{
  unsigned char c = (unsigned char)p->s[i];
  if (c == '\r') return i + 1 >= p->n || p->s[i + 1] != '\n';
  return (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f;
}

static int fail_ctrl(parser *p)
{
  char m[64];
  snprintf(m, sizeof m, "TOML files cannot contain control characters: '0x%02x'",
           (unsigned char)p->s[p->i]);
  return fail(p, "%s", m);
}

/* PRE, the character at the cursor as Go's %q shows a rune ('\x00' at
 * the end), POST; with NL_AFTER on the next line when that is a newline
 * (BurntSushi's table-name states have consumed it, its key state not) */
static int fail_got(parser *p, const char *pre, const char *post, int nl_after)
{
  kd_buf m = {0};
  int32_t r = 0;
  int rc;
  if (p->i < p->n && is_ctrl(p, p->i)) return fail_ctrl(p);
  if (p->i < p->n) tpl_utf8_decode(p->s + p->i, p->n - p->i, &r);
  kd_buf_adds(&m, pre);
  tpl_go_quote_rune(&m, r);
  kd_buf_adds(&m, post);
  rc = fail_line(p, p->line + (nl_after && r == '\n'), m.data ? m.data : "", m.len);
  kd_buf_free(&m);
  return rc;
}

static int peek(parser *p) { return p->i < p->n ? (unsigned char)p->s[p->i] : -1; }

static void skip_ws(parser *p)
{
  while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t')) p->i++;
}

/* a comment; control characters in it are errors (naming no key at the
 * top level, where the key before it is done) */
static int skip_comment(parser *p)
{
  if (peek(p) != '#') return KD_OK;
  for (; p->i < p->n && p->s[p->i] != '\n'; p->i++)
    if (is_ctrl(p, p->i)) {
      if (!p->depth) p->last_key.len = 0;
      return fail_ctrl(p);
    }
  return KD_OK;
}

/* whitespace, comments and newlines (inside arrays and inline tables) */
static int skip_all(parser *p)
{
  for (;;) {
    int rc;
    skip_ws(p);
    if ((rc = skip_comment(p)) != KD_OK) return rc;
    if (peek(p) == '\r' && p->i + 1 < p->n && p->s[p->i + 1] == '\n') p->i++;
    if (peek(p) != '\n') return KD_OK;
    p->i++;
    p->line++;
  }
}

static int hexval(int ch)
{
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/* the LEN hex digits of \x, \u or \U at the cursor into B. A missing digit
 * fails as BurntSushi's lexer does, quoting the string from CONTENT up to
 * the offending character; a code point that is no rune goes to *BAD (its
 * digits as written), for the parser's error after the string. */
static int unicode_escape(parser *p, size_t content, int len, kd_buf *b, kd_buf *bad)
{
  uint32_t r = 0;   /* unsigned: eight digits can exceed INT32_MAX */
  int k;
  char enc[4];
  for (k = 0; k < len; k++) {
    int h = p->i < p->n ? hexval((unsigned char)p->s[p->i]) : -1;
    if (h < 0) {
      kd_buf m = {0};
      int rc, nl = p->i < p->n && p->s[p->i] == '\n';
      if (p->i < p->n && is_ctrl(p, p->i)) return fail_ctrl(p);
      kd_buf_printf(&m, "expected %s hexadecimal digits after '\\%c', but got ",
                    len == 2 ? "two" : len == 4 ? "four" : "eight",
                    len == 2 ? 'x' : len == 4 ? 'u' : 'U');
      tpl_go_quote(&m, p->s + content, (p->i < p->n ? p->i + 1 : p->n) - content);
      kd_buf_adds(&m, " instead");
      rc = fail_line(p, p->line + nl, m.data, m.len);
      kd_buf_free(&m);
      return rc;
    }
    r = r * 16 + (uint32_t)h;
    p->i++;
  }
  if ((r >= 0xD800 && r <= 0xDFFF) || r > 0x10FFFF) {
    if (!bad->len && kd_buf_add(bad, p->s + p->i - len, (size_t)len)) return KD_ENOMEM;
    return kd_buf_adds(bad, "") ? KD_ENOMEM : KD_OK;
  }
  kd_buf_add(b, enc, (size_t)tpl_utf8_encode(enc, (int32_t)r));
  return KD_OK;
}

/* a basic ("...") or literal ('...') string, single or multi-line */
static int parse_string(parser *p, kd_buf *b)
{
  char q = p->s[p->i];
  int multi = p->n - p->i >= 3 && p->s[p->i + 1] == q && p->s[p->i + 2] == q;
  int rc = KD_OK;
  size_t content;
  kd_buf bad = {0};   /* a \u escape of no rune: an error once lexed */
  p->i += multi ? 3 : 1;
  content = p->i;
  if (multi && peek(p) == '\n') p->i++, p->line++;
  else if (multi && peek(p) == '\r' && p->i + 1 < p->n && p->s[p->i + 1] == '\n') p->i += 2, p->line++;
  for (;;) {
    int ch = peek(p);
    if (ch < 0) {   /* the delimiter quoted as BurntSushi/toml does */
      rc = fail(p, "unexpected EOF; expected %s",
                q == '"' ? (multi ? "'\"\"\"'" : "'\"'") : (multi ? "\"'''\"" : "\"'\""));
      break;
    }
    if (is_ctrl(p, p->i)) {
      rc = fail_ctrl(p);
      break;
    }
    if (ch == q) {
      if (!multi) {
        p->i++;
        break;
      }
      if (p->n - p->i >= 3 && p->s[p->i + 1] == q && p->s[p->i + 2] == q) {
        size_t extra = 0;   /* up to two quotes may end the content */
        while (extra < 2 && p->i + 3 + extra < p->n && p->s[p->i + 3 + extra] == q) extra++;
        kd_buf_add(b, p->s + p->i, extra);
        p->i += 3 + extra;
        break;
      }
    }
    if (ch == '\n') {
      if (!multi) {
        rc = fail(p, "strings cannot contain newlines", NULL);
        break;
      }
      p->line++;
    }
    if (ch == '\\' && q == '"') {
      int e = p->i + 1 < p->n ? p->s[p->i + 1] : -1, len = 0;
      p->i += 2;
      switch (e) {
      case 'b': kd_buf_addc(b, '\b'); break;
      case 't': kd_buf_addc(b, '\t'); break;
      case 'n': kd_buf_addc(b, '\n'); break;
      case 'f': kd_buf_addc(b, '\f'); break;
      case 'r': kd_buf_addc(b, '\r'); break;
      case '"': kd_buf_addc(b, '"'); break;
      case '\\': kd_buf_addc(b, '\\'); break;
      case 'e': kd_buf_addc(b, 0x1b); break;   /* \e and \xHH: TOML 1.1 */
      case 'x': len = 2; break;
      case 'u': len = 4; break;
      case 'U': len = 8; break;
      default:
        if (multi && (e == '\n' || e == ' ' || e == '\t' || e == '\r')) {
          p->i--;   /* line-ending backslash: trim the whitespace */
          while (p->i < p->n && strchr(" \t\r\n", p->s[p->i])) {
            if (p->s[p->i] == '\n') p->line++;
            p->i++;
          }
          continue;
        }
        {
          char esc[3] = {'\\', (char)e, 0};
          rc = fail(p, "invalid escape in string '%s'", esc);
        }
      }
      if (rc == KD_OK && len) rc = unicode_escape(p, content, len, b, &bad);
      if (rc != KD_OK) break;
      continue;
    }
    kd_buf_addc(b, (char)ch);
    p->i++;
  }
  if (rc == KD_OK && bad.len)
    rc = fail(p, "Escaped character '\\u%s' is not valid UTF-8.", bad.data);
  kd_buf_free(&bad);
  if (rc == KD_OK && kd_buf_adds(b, "")) rc = KD_ENOMEM;
  return rc;
}

static int bare(int ch)
{
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
         (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
}

/* a dotted key (TABLE: a table name): parts NUL-separated in K, *NPARTS
 * of them. A part may be an empty bare key, as in BurntSushi's lexer: the
 * character after it is then the error. */
static int parse_key(parser *p, kd_buf *k, int *nparts, int table)
{
  *nparts = 0;
  k->len = 0;
  for (;;) {
    int rc;
    skip_ws(p);
    if (peek(p) == '"' || peek(p) == '\'') {
      kd_buf part = {0};
      if ((rc = parse_string(p, &part)) != KD_OK) {
        kd_buf_free(&part);
        return rc;
      }
      kd_buf_add(k, part.data, part.len);
      kd_buf_free(&part);
    } else if (bare(peek(p))) {
      while (bare(peek(p))) kd_buf_addc(k, p->s[p->i++]);
    } else {
      int ch = peek(p);
      if (ch >= 0 && is_ctrl(p, p->i)) return fail_ctrl(p);
      if (table && (ch < 0 || ch == ']'))
        return fail(p, "unexpected end of table name (table names cannot be empty)", NULL);
      if (table && ch == '.')
        return fail(p, "unexpected table separator (table names cannot be empty)", NULL);
      if (!table && (ch < 0 || ch == '='))
        return fail(p, *nparts ? "unexpected '='" : "unexpected '=': key name appears blank", NULL);
      if (!table && ch == '.')
        return fail(p, *nparts ? "unexpected '.'" : "unexpected '.': keys cannot start with a '.'", NULL);
    }
    kd_buf_addc(k, 0);
    (*nparts)++;
    skip_ws(p);
    if (peek(p) != '.') return KD_OK;
    p->i++;
  }
}

static const char *part_at(const kd_buf *k, int i)
{
  const char *s = k->data;
  while (i-- > 0) s += strlen(s) + 1;
  return s;
}

/* appends the NPARTS parts of key K to OUT, dotted and NUL-terminated */
static void join_key(kd_buf *out, const kd_buf *k, int nparts)
{
  int i;
  for (i = 0; i < nparts; i++) {
    if (i) kd_buf_addc(out, '.');
    kd_buf_adds(out, part_at(k, i));
  }
  kd_buf_adds(out, "");
}

/* LAST_KEY = TABLE.K: BurntSushi names a key with the [table] it is in */
static void set_last_key(parser *p, const kd_buf *k, int nparts)
{
  p->last_key.len = 0;
  if (p->table_key.len) {
    kd_buf_add(&p->last_key, p->table_key.data, p->table_key.len);
    kd_buf_addc(&p->last_key, '.');
  }
  join_key(&p->last_key, k, nparts);
}

static int parse_value(parser *p, tpl_val *out);

static int local_time(int64_t sec, int32_t nsec, const char *zone, tpl_val *out)
{
  tpl_zone *z = tpl_zone_fixed(zone, strlen(zone), 0);
  int rc;
  if (!z) return KD_ENOMEM;
  rc = tpl_time_value(sec, nsec, z, out);
  tpl_zone_unref(z);
  return rc;
}

/* date-times: 1979-05-27[T ]07:32:00[.999][Z|+hh:mm], dates, times */
/* fails with FMT naming the value text at the cursor (up to a delimiter) */
static int fail_token(parser *p, const char *fmt)
{
  size_t e = p->i;
  kd_buf w = {0};
  int rc;
  while (e < p->n && !strchr(" \t\r\n,]}#", p->s[e])) e++;
  kd_buf_add(&w, p->s + p->i, e - p->i);
  kd_buf_adds(&w, "");
  rc = fail(p, fmt, w.data);
  kd_buf_free(&w);
  return rc;
}

static int two_digits(const char *s, int *v)
{
  if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') return 0;
  *v = (s[0] - '0') * 10 + (s[1] - '0');
  return 1;
}

/* BurntSushi lexes as a datetime the run of datetime characters (a space
 * only before a digit) at S; its parse error names the run with z, t and
 * the space written Z, T, T, as it rewrites the text before parsing it. */
static size_t datetime_run(const char *s, size_t n)
{
  size_t e = 0;
  while (e < n && s[e] && strchr("0123456789-:Tt.Zz+ ", s[e]) &&
         (s[e] != ' ' || (e + 1 < n && s[e + 1] >= '0' && s[e + 1] <= '9')))
    e++;
  return e;
}

static int fail_datetime(parser *p)
{
  size_t i, e = datetime_run(p->s + p->i, p->n - p->i);
  kd_buf w = {0};
  int rc;
  kd_buf_add(&w, p->s + p->i, e);
  for (i = 0; i < w.len; i++)
    if (w.data[i] == 'z') w.data[i] = 'Z';
    else if (w.data[i] == 't' || w.data[i] == ' ') w.data[i] = 'T';
  rc = fail(p, "invalid datetime: \"%s\"", w.data ? w.data : "");
  kd_buf_free(&w);
  return rc;
}

/* digits then '-' or ':': what BurntSushi's lexer takes for a datetime */
static int lexed_as_datetime(const char *s, size_t n)
{
  size_t e = 0;
  while (e < n && s[e] >= '0' && s[e] <= '9') e++;
  return e > 0 && e < n && (s[e] == '-' || s[e] == ':');
}

static int parse_datetime(parser *p, tpl_val *out)
{
  const char *s = p->s + p->i;
  size_t n = p->n - p->i, k = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0, has_date = 0, has_time = 0;
  int32_t ns = 0, off = 0;
  int has_off = 0, has_sec = 0, yh = 0, yl = 0, oh = 0, om = 0;
  /* digits read in place: the input is not NUL-terminated (no sscanf) */
  if (n >= 10 && two_digits(s, &yh) && two_digits(s + 2, &yl) && s[4] == '-' &&
      two_digits(s + 5, &mo) && s[7] == '-' && two_digits(s + 8, &d)) {
    y = yh * 100 + yl;
    has_date = 1;
    k = 10;
    if (k + 1 < n && (s[k] == 'T' || s[k] == 't' || (s[k] == ' ' && k + 1 < n &&
                                                      s[k + 1] >= '0' && s[k + 1] <= '9')))
      k++;
  }
  if (n - k >= 5 && two_digits(s + k, &h) && s[k + 2] == ':' && two_digits(s + k + 3, &mi)) {
    has_time = 1;
    k += 5;
    if (k < n && s[k] == ':') {   /* seconds: optional since TOML 1.1 */
      if (n - k < 3 || !two_digits(s + k + 1, &se))
        return fail_datetime(p);
      k += 3;
      has_sec = 1;
    }
    if (has_sec && k < n && s[k] == '.') {
      int dig = 0;
      k++;
      while (k < n && s[k] >= '0' && s[k] <= '9') {
        if (dig < 9) ns = ns * 10 + (s[k] - '0'), dig++;
        k++;
      }
      while (dig++ < 9) ns *= 10;
    }
    if (has_date && k < n && (s[k] == 'Z' || s[k] == 'z')) {
      has_off = 1;
      k++;
    } else if (has_date && n - k >= 6 && (s[k] == '+' || s[k] == '-') && s[k + 3] == ':' &&
               two_digits(s + k + 1, &oh) && two_digits(s + k + 4, &om)) {
      off = (oh * 60 + om) * 60 * (s[k] == '-' ? -1 : 1);
      has_off = 1;
      k += 6;
    }
  } else if (has_date && s[k - 1] == 'T') {
    return fail_datetime(p);
  }
  if (!has_date && !has_time) return lexed_as_datetime(s, n) ? fail_datetime(p) : 0;
  /* BurntSushi lexes the whole run as the datetime, then parses it */
  if (datetime_run(s, n) != k) return fail_datetime(p);
  if (has_date && (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60))
    return fail_datetime(p);
  p->i += k;
  {
    int64_t sec = (has_date ? tpl_days_from_civil(y, mo, d) : tpl_days_from_civil(0, 1, 1)) * 86400 +
                  h * 3600 + mi * 60 + se;
    if (has_off) {
      tpl_zone *z = off ? tpl_zone_fixed("", 0, off) : tpl_zone_utc();
      int rc = z ? tpl_time_value(sec - off, ns, z, out) : KD_ENOMEM;
      tpl_zone_unref(z);
      return rc ? rc : 1;
    }
    return local_time(sec, ns, has_date && has_time ? "datetime-local"
                                 : has_date ? "date-local" : "time-local", out) ? KD_ENOMEM : 1;
  }
}

/* 0x, 0o, 0b at the cursor must be followed by a digit of the base;
 * BurntSushi names the character after the prefix (a NUL at the end) */
static int base_prefix(parser *p)
{
  char base = p->s[p->i + 1];
  size_t at = p->i + 2;
  int ch = at < p->n ? (unsigned char)p->s[at] : 0;
  int ok = base == 'x' ? hexval(ch) >= 0 : base == 'o' ? ch >= '0' && ch <= '7'
                                                       : ch == '0' || ch == '1';
  kd_buf m = {0};
  int rc, w = 1;
  int32_t r;
  if (ok) return KD_OK;
  if (at < p->n && is_ctrl(p, at)) {
    p->i = at;
    return fail_ctrl(p);
  }
  if (at < p->n) w = tpl_utf8_decode(p->s + at, p->n - at, &r);
  kd_buf_printf(&m, "not a%s number: '0%c", base == 'x' ? " hexadecimal"
                : base == 'o' ? "n octal" : " binary", base);
  if (at < p->n) kd_buf_add(&m, p->s + at, (size_t)w);
  else kd_buf_addc(&m, 0);
  kd_buf_addc(&m, '\'');
  rc = fail_line(p, p->line, m.data, m.len);
  kd_buf_free(&m);
  return rc;
}

/* integers and floats with TOML's underscores, prefixes, inf and nan */
static int parse_number(parser *p, tpl_val *out)
{
  size_t st = p->i, k;
  kd_buf b = {0};
  int is_float = 0, rc = KD_OK;
  if (p->n - st >= 2 && p->s[st] == '0' && strchr("xob", p->s[st + 1]))
    if ((rc = base_prefix(p)) != KD_OK) return rc;
  while (p->i < p->n && (bare(p->s[p->i]) || p->s[p->i] == '.' || p->s[p->i] == '+')) p->i++;
  for (k = st; k < p->i; k++) {
    char ch = p->s[k];
    if (ch == '_') {
      if (k == st || k + 1 == p->i || !bare(p->s[k - 1]) || p->s[k + 1] == '_')
        rc = KD_EPARSE;
      continue;
    }
    kd_buf_addc(&b, ch);
  }
  kd_buf_adds(&b, "");
  if (rc != KD_OK && !memchr(p->s + st, '.', p->i - st) &&
      (!strpbrk(b.data, "eE") || strstr(b.data, "0x"))) {
    kd_buf_free(&b);
    p->i = st;
    return fail_token(p, "Invalid integer \"%s\": underscores must be surrounded by digits");
  }
  if (rc == KD_OK) {
    const char *t = b.data + (b.data[0] == '+' || b.data[0] == '-');
    if (!strcmp(t, "inf") || !strcmp(t, "nan")) {
      *out = tpl_float(t[0] == 'i' ? (b.data[0] == '-' ? -INFINITY : INFINITY)
                                   : (b.data[0] == '-' ? -NAN : NAN));
    } else if (t[0] == '0' && (t[1] == 'x' || t[1] == 'o' || t[1] == 'b')) {
      int64_t v;
      rc = b.data[0] == '+' || b.data[0] == '-' ? KD_EPARSE
           : tpl_parse_int(t + 2, strlen(t + 2), t[1] == 'x' ? 16 : t[1] == 'o' ? 8 : 2, &v);
      if (rc == KD_OK) *out = tpl_int64(v);
    } else if (strpbrk(t, ".eE")) {
      double f;
      is_float = 1;
      rc = tpl_parse_float(b.data, b.len, &f);
      if (rc == KD_OK && (strstr(t, ".e") || strstr(t, ".E") || t[strlen(t) - 1] == '.')) {
        kd_buf_free(&b);
        p->i = st;
        return fail_token(p, "Invalid float \"%s\": '.' must be followed by one or more digits");
      }
      if (rc == KD_OK && (t[0] == '.' || (t[0] == '0' && t[1] >= '0' && t[1] <= '9')))
        rc = KD_EPARSE;
      if (rc == KD_OK) *out = tpl_float(f);
    } else {
      int64_t v;
      if (t[0] == '0' && t[1]) {
        rc = fail(p, "Invalid integer \"%s\": cannot have leading zeroes", b.data);
        kd_buf_free(&b);
        return rc;
      }
      rc = tpl_parse_int(b.data, b.len, 10, &v);
      if (rc == KD_OK) *out = tpl_int64(v);
      if (rc == KD_ERANGE) {
        rc = fail(p, "%s is out of range for int64", b.data);
        kd_buf_free(&b);
        return rc;
      }
    }
  }
  if (rc != KD_OK) {
    rc = fail(p, is_float ? "invalid float: \"%s\"" : "invalid integer: \"%s\"", b.data);
  }
  kd_buf_free(&b);
  return rc;
}

/* PRE, the character at the cursor as BurntSushi's runeOrEOF shows it
 * ('c' unescaped, "end of file"), POST */
static int expected_got(parser *p, const char *pre, const char *post)
{
  kd_buf m = {0};
  int rc;
  int32_t r;
  if (p->i < p->n && is_ctrl(p, p->i)) return fail_ctrl(p);
  kd_buf_adds(&m, pre);
  if (p->i >= p->n) {
    kd_buf_adds(&m, "end of file");
  } else {
    kd_buf_addc(&m, '\'');
    kd_buf_add(&m, p->s + p->i, (size_t)tpl_utf8_decode(p->s + p->i, p->n - p->i, &r));
    kd_buf_addc(&m, '\'');
  }
  kd_buf_adds(&m, post);
  rc = fail_line(p, p->line, m.data ? m.data : "", m.len);
  kd_buf_free(&m);
  return rc;
}

/* what follows a key that is not '=' */
static int key_separator_error(parser *p)
{
  if (peek(p) < 0) return fail(p, "unexpected EOF; expected key separator '='", NULL);
  p->last_key.len = 0;   /* "a b = 1": no key named */
  return fail_got(p, "expected '.' or '=', but got ", " instead", 0);
}

static int parse_array(parser *p, tpl_val *out)
{
  int rc = tpl_list_new(out, 4);
  p->i++;
  while (rc == KD_OK) {
    tpl_val v;
    if ((rc = skip_all(p)) != KD_OK) break;
    if (peek(p) == ']') {
      p->i++;
      return KD_OK;
    }
    if (peek(p) == ',') {
      rc = fail(p, "unexpected comma", NULL);
      break;
    }
    if ((rc = parse_value(p, &v)) != KD_OK) break;
    if ((rc = tpl_list_push(*out, v)) != KD_OK) break;
    if ((rc = skip_all(p)) != KD_OK) break;
    if (peek(p) == ',') {
      p->i++;
      continue;
    }
    if (peek(p) == ']') {
      p->i++;
      return KD_OK;
    }
    rc = expected_got(p, "expected a comma (',') or array terminator (']'), but got ", "");
  }
  tpl_unref(*out);
  *out = tpl_nil();
  return rc;
}

static int set_key(parser *p, tpl_val table, const kd_buf *k, int nparts, tpl_val v);

/* LAST_KEY = OUTER.K: BurntSushi names keys in inline tables in full
 * (OUTER already holds the table's name) */
static void inner_key(parser *p, const kd_buf *outer, const kd_buf *k, int nparts)
{
  p->last_key.len = 0;
  if (outer->len) {
    kd_buf_add(&p->last_key, outer->data, outer->len);
    kd_buf_addc(&p->last_key, '.');
  }
  join_key(&p->last_key, k, nparts);
}

/* {k = v, ...}; newlines and comments inside are TOML 1.1 */
static int parse_inline_table(parser *p, tpl_val *out)
{
  int rc = tpl_map_new(out);
  kd_buf k = {0}, outer = {0};
  kd_buf_add(&outer, p->last_key.data, p->last_key.len);
  p->i++;
  while (rc == KD_OK) {
    int np;
    tpl_val v;
    if ((rc = skip_all(p)) != KD_OK) break;
    if (peek(p) == '}') {   /* {} or a trailing comma, as BurntSushi/toml allows */
      p->i++;
      break;
    }
    if (peek(p) == ',') {
      rc = fail(p, "unexpected comma", NULL);
      break;
    }
    if ((rc = parse_key(p, &k, &np, 0)) != KD_OK) break;
    inner_key(p, &outer, &k, np);
    skip_ws(p);
    if (peek(p) != '=') {
      rc = key_separator_error(p);
      break;
    }
    p->i++;
    skip_ws(p);
    if ((rc = parse_value(p, &v)) != KD_OK) break;
    inner_key(p, &outer, &k, np);   /* the value may have named others */
    if ((rc = set_key(p, *out, &k, np, v)) != KD_OK) break;
    if ((rc = skip_all(p)) != KD_OK) break;
    if (peek(p) == ',') {
      p->i++;
      continue;
    }
    if (peek(p) == '}') {
      p->i++;
      break;
    }
    rc = expected_got(p, "expected a comma or an inline table terminator '}', but got ",
                      " instead");
  }
  kd_buf_free(&k);
  if (rc == KD_OK) {
    p->last_key.len = 0;
    kd_buf_add(&p->last_key, outer.data, outer.len);
  }
  kd_buf_free(&outer);
  if (rc != KD_OK) {
    tpl_unref(*out);
    *out = tpl_nil();
  }
  return rc;
}

static int parse_value(parser *p, tpl_val *out)
{
  int ch = peek(p), rc;
  *out = tpl_nil();
  if (++p->depth > 500) return fail(p, "nesting too deep", NULL);
  if (ch < 0 || ch == '\n' || ch == '#') {
    p->depth--;
    return fail(p, ch < 0 ? "unexpected EOF; expected value"
                          : "expected value but found '%s' instead",
                ch == '\n' ? "\\n" : "#");
  }
  if (ch == '"' || ch == '\'') {
    kd_buf b = {0};
    rc = parse_string(p, &b);
    if (rc == KD_OK) rc = tpl_str_take(out, &b);
    else kd_buf_free(&b);
  } else if (ch == '[') {
    rc = parse_array(p, out);
  } else if (ch == '{') {
    rc = parse_inline_table(p, out);
  } else if (p->n - p->i >= 4 && !memcmp(p->s + p->i, "true", 4) && !bare(p->i + 4 < p->n ? p->s[p->i + 4] : 0)) {
    p->i += 4;
    *out = tpl_bool(1);
    rc = KD_OK;
  } else if (p->n - p->i >= 5 && !memcmp(p->s + p->i, "false", 5) && !bare(p->i + 5 < p->n ? p->s[p->i + 5] : 0)) {
    p->i += 5;
    *out = tpl_bool(0);
    rc = KD_OK;
  } else if ((rc = parse_datetime(p, out)) != 0) {
    rc = rc == 1 ? KD_OK : rc;
  } else if ((ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == 'i' || ch == 'n') {
    rc = parse_number(p, out);
  } else if (ch == '.') {
    rc = fail(p, "floats must start with a digit, not '.'", NULL);
  } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {   /* a word */
    size_t e = p->i;
    kd_buf w = {0};
    while (e < p->n && bare((unsigned char)p->s[e])) e++;
    if (e < p->n && is_ctrl(p, e)) {
      p->i = e;
      p->depth--;
      return fail_ctrl(p);
    }
    kd_buf_add(&w, p->s + p->i, e - p->i);
    kd_buf_adds(&w, "");
    rc = fail(p, "expected value but found \"%s\" instead", w.data);
    kd_buf_free(&w);
  } else {
    char got[2] = {(char)ch, 0};
    rc = fail(p, "expected value but found '%s' instead", got);
  }
  p->depth--;
  return rc;
}

/* ---- tables -------------------------------------------------------------- */

static int path_in(const kd_buf *set, const char *path)
{
  const char *s = set->data;
  size_t i = 0;
  while (s && i < set->len) {
    if (!strcmp(s + i, path)) return 1;
    i += strlen(s + i) + 1;
  }
  return 0;
}

/* sets K (dotted, NPARTS) in TABLE to V, making the tables on the way;
 * the caller has named K in LAST_KEY, which errors name keys relative to */
static int set_key(parser *p, tpl_val table, const kd_buf *k, int nparts, tpl_val v)
{
  int i, rc;
  tpl_val t = table;
  size_t prefix = p->last_key.len - strlen(part_at(k, 0));
  for (i = 1; i < nparts; i++) prefix -= 1 + strlen(part_at(k, i));
  if (prefix > p->last_key.len) prefix = 0;   /* (wrapped: K not named last) */
  for (i = 0; i < nparts - 1; i++) {
    const char *part = part_at(k, i);
    const tpl_val *sub = tpl_map_gets(t, part);
    if (!sub) {
      tpl_val m;
      if ((rc = tpl_map_new(&m)) != KD_OK || (rc = tpl_map_sets(t, part, m)) != KD_OK) {
        tpl_unref(v);
        return rc;
      }
      sub = tpl_map_gets(t, part);
    } else if (sub->kind != TPL_MAP) {   /* named up to the value in the way */
      kd_buf name = {0};
      kd_buf_add(&name, p->last_key.data, prefix);
      join_key(&name, k, i + 1);
      rc = fail(p, "Key '%s' has already been defined.", name.data);
      kd_buf_free(&name);
      tpl_unref(v);
      return rc;
    }
    t = *sub;
  }
  if (tpl_map_gets(t, part_at(k, nparts - 1))) {
    tpl_unref(v);
    return fail(p, "Key '%s' has already been defined.", p->last_key.data);
  }
  return tpl_map_sets(t, part_at(k, nparts - 1), v);
}

/* [a.b] or [[a.b]]: makes CUR the table */
static int header(parser *p, int array)
{
  kd_buf k = {0}, path = {0}, name = {0};
  int np, i, rc;
  tpl_val t = p->root;
  p->i += array ? 2 : 1;
  skip_ws(p);
  if (peek(p) == ']') {
    rc = fail(p, "unexpected end of table name (table names cannot be empty)", NULL);
    goto done;
  }
  if ((rc = parse_key(p, &k, &np, 1)) != KD_OK) goto done;
  skip_ws(p);
  if (peek(p) != ']') {
    rc = fail_got(p, "expected '.' or ']' to end table name, but got ", " instead", 1);
    goto done;
  }
  p->i++;
  if (array && peek(p) != ']') {
    rc = fail_got(p, "expected end of table array name delimiter ']', but got ", " instead", 1);
    goto done;
  }
  p->i += array;
  join_key(&name, &k, np);
  /* BurntSushi names in a header's errors the table before it while it
   * walks the parts, then the parent of the new table */
  p->last_key.len = 0;
  kd_buf_add(&p->last_key, p->table_key.data, p->table_key.len);
  kd_buf_adds(&p->last_key, "");
  for (i = 0; i < np; i++) {
    const char *part = part_at(&k, i);
    const tpl_val *sub = tpl_map_gets(t, part);
    if (i) kd_buf_addc(&path, '\x1f');
    kd_buf_adds(&path, part);
    if (i == np - 1) {
      p->last_key.len = 0;
      join_key(&p->last_key, &k, np - 1);
    }
    if (i == np - 1 && array) {
      tpl_val m;
      if (!sub) {
        tpl_val l;
        if ((rc = tpl_list_new(&l, 1)) || (rc = tpl_map_sets(t, part, l))) goto done;
        sub = tpl_map_gets(t, part);
        kd_buf_add(&p->arrays, path.data, path.len);
        kd_buf_addc(&p->arrays, 0);
      } else if (sub->kind != TPL_LIST || !path_in(&p->arrays, path.data)) {
        rc = fail(p, "Key '%s' was already created and cannot be used as an array.", name.data);
        goto done;
      }

      if ((rc = tpl_map_new(&m)) || (rc = tpl_list_push(*sub, tpl_ref(m)))) goto done;
      t = m;
      tpl_unref(m);
      break;
    }
    if (!sub) {
      tpl_val m;
      if ((rc = tpl_map_new(&m)) || (rc = tpl_map_sets(t, part, m))) goto done;
      sub = tpl_map_gets(t, part);
    } else if (sub->kind == TPL_LIST && i < np - 1 && path_in(&p->arrays, path.data) &&
               tpl_list_len(*sub) &&
               tpl_list_at(*sub, tpl_list_len(*sub) - 1).kind == TPL_MAP) {
      /* only [[tables]] are extended so: an inline [{...}] is a value */
      t = tpl_list_at(*sub, tpl_list_len(*sub) - 1);   /* the last [[entry]] */
      continue;
    } else if (sub->kind != TPL_MAP && i < np - 1) {
      kd_buf prefix = {0};
      join_key(&prefix, &k, i + 1);
      rc = fail(p, "Key '%s' was already created as a hash.", prefix.data);
      kd_buf_free(&prefix);
      goto done;
    } else if (sub->kind != TPL_MAP || (i == np - 1 && path_in(&p->defined, path.data))) {
      rc = fail(p, "Key '%s' has already been defined.", name.data);
      goto done;
    }
    t = *sub;
  }
  if (!array) {
    kd_buf_add(&p->defined, path.data ? path.data : "", path.len);
    kd_buf_addc(&p->defined, 0);
  }
  p->cur = t;
  p->table_key.len = 0;   /* the keys that follow are named after it */
  kd_buf_add(&p->table_key, name.data, name.len);
  p->last_key.len = 0;
done:
  kd_buf_free(&k);
  kd_buf_free(&path);
  kd_buf_free(&name);
  return rc;
}

static int end_of_line(parser *p)
{
  int rc;
  if (p->i < p->n && is_ctrl(p, p->i)) return fail_ctrl(p);   /* still in the value */
  skip_ws(p);
  if ((rc = skip_comment(p)) != KD_OK) return rc;
  if (peek(p) == '\r' && p->i + 1 < p->n && p->s[p->i + 1] == '\n') p->i++;
  if (peek(p) < 0) return KD_OK;
  if (peek(p) != '\n') {
    char got[2] = {(char)peek(p), 0};
    p->last_key.len = 0;
    if (is_ctrl(p, p->i)) return fail_ctrl(p);
    return fail(p, "expected a top-level item to end with a newline, comment, or EOF, "
                   "but got '%s' instead", got);
  }
  p->i++;
  p->line++;
  return KD_OK;
}

int tpl_toml_parse(const char *s, size_t n, tpl_val *out, kd_buf *msg)
{
  parser p;
  kd_buf k = {0};
  int rc;
  memset(&p, 0, sizeof p);
  p.s = s;
  p.n = n;
  p.line = 1;
  p.msg = msg;
  if ((rc = tpl_map_new(&p.root)) != KD_OK) return rc;
  p.cur = p.root;
  while (rc == KD_OK) {
    int np;
    tpl_val v;
    if ((rc = skip_all(&p)) != KD_OK) break;
    if (peek(&p) < 0) break;
    if (peek(&p) == '[') {
      int array = p.i + 1 < p.n && p.s[p.i + 1] == '[';
      if ((rc = header(&p, array)) == KD_OK) rc = end_of_line(&p);
      continue;
    }
    if ((rc = parse_key(&p, &k, &np, 0)) != KD_OK) break;
    set_last_key(&p, &k, np);
    skip_ws(&p);
    if (peek(&p) != '=') {
      rc = key_separator_error(&p);
      break;
    }
    p.i++;
    skip_ws(&p);
    if ((rc = parse_value(&p, &v)) != KD_OK) break;
    set_last_key(&p, &k, np);   /* the value may have named others */
    if ((rc = set_key(&p, p.cur, &k, np, v)) != KD_OK) break;
    if ((rc = end_of_line(&p)) == KD_OK) p.last_key.len = 0;   /* the key is done */
  }
  kd_buf_free(&k);
  kd_buf_free(&p.last_key);
  kd_buf_free(&p.table_key);
  kd_buf_free(&p.defined);
  kd_buf_free(&p.arrays);
  if (rc != KD_OK) {
    tpl_unref(p.root);
    *out = tpl_nil();
    return rc;
  }
  *out = p.root;
  return KD_OK;
}
