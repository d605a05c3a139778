/* engine/tpl/tpl_literal.c: Go's strconv as template literals need it:
 * ParseUint/ParseInt with base 0 (prefixes, underscores), ParseFloat
 * (decimal and hex floats, overflow an error) and UnquoteChar, with Go's
 * syntax rules, so numbers and strings in templates mean what Go says. */
#include "tpl_ast.h"

#include <stdlib.h>
#include <string.h>

static int lower(int c) { return c | 0x20; }

int lit_underscore_ok(const char *s, size_t n)
{
  char saw = '^';
  size_t i = 0;
  int hex = 0;
  if (n >= 1 && (s[0] == '-' || s[0] == '+')) {
    s++;
    n--;
  }
  if (n >= 2 && s[0] == '0' &&
      (lower(s[1]) == 'b' || lower(s[1]) == 'o' || lower(s[1]) == 'x')) {
    i = 2;
    saw = '0';
    hex = lower(s[1]) == 'x';
  }
  for (; i < n; i++) {
    if ((s[i] >= '0' && s[i] <= '9') ||
        (hex && lower(s[i]) >= 'a' && lower(s[i]) <= 'f')) {
      saw = '0';
      continue;
    }
    if (s[i] == '_') {
      if (saw != '0') return 0;
      saw = '_';
      continue;
    }
    if (saw == '_') return 0;
    saw = '!';
  }
  return saw != '_';
}

/* strconv.ParseUint(s, 0, 64). */
int lit_parse_uint(const char *s, size_t n, uint64_t *out)
{
  const char *s0 = s;
  size_t n0 = n, i;
  unsigned base = 10;
  int underscores = 0;
  uint64_t v = 0;
  if (n == 0) return 0;
  if (s[0] == '0') {
    if (n >= 3 && lower(s[1]) == 'b') { base = 2; s += 2; n -= 2; }
    else if (n >= 3 && lower(s[1]) == 'o') { base = 8; s += 2; n -= 2; }
    else if (n >= 3 && lower(s[1]) == 'x') { base = 16; s += 2; n -= 2; }
    else { base = 8; s++; n--; }
  }
  for (i = 0; i < n; i++) {
    unsigned d;
    int c = (unsigned char)s[i];
    if (c == '_') {
      underscores = 1;
      continue;
    }
    if (c >= '0' && c <= '9') d = (unsigned)(c - '0');
    else if (lower(c) >= 'a' && lower(c) <= 'z') d = (unsigned)(lower(c) - 'a' + 10);
    else return 0;
    if (d >= base) return 0;
    if (v > (UINT64_MAX - d) / base) return 0;   /* out of range */
    v = v * base + d;
  }
  if (underscores && !lit_underscore_ok(s0, n0)) return 0;
  *out = v;
  return 1;
}

/* strconv.ParseInt(s, 0, 64). */
int lit_parse_int(const char *s, size_t n, int64_t *out)
{
  int neg = 0;
  uint64_t u;
  if (n == 0) return 0;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    s++;
    n--;
  }
  if (!lit_parse_uint(s, n, &u)) return 0;
  if (!neg && u > (uint64_t)INT64_MAX) return 0;
  if (neg && u > (uint64_t)INT64_MAX + 1) return 0;
  *out = neg ? (int64_t)(0 - u) : (int64_t)u;
  return 1;
}

/* strconv.ParseFloat(s, 64): Go's syntax is checked here, the conversion
 * (correctly rounded, hex floats too) is strtod's. Overflow is an error. */
int lit_parse_float(const char *s, size_t n, double *out)
{
  size_t i = 0, k;
  int base = 10, sawdot = 0, sawdigits = 0, underscores = 0;
  char buf[128], *end;
  double f;
  if (n == 0 || n >= sizeof buf) return 0;
  if (s[i] == '+' || s[i] == '-') i++;
  if (i + 1 < n && s[i] == '0' && lower(s[i + 1]) == 'x') {
    base = 16;
    i += 2;
  }
  for (; i < n; i++) {
    int c = (unsigned char)s[i];
    if (c == '_') {
      underscores = 1;
      continue;
    }
    if (c == '.') {
      if (sawdot) break;
      sawdot = 1;
      continue;
    }
    if ((c >= '0' && c <= '9') ||
        (base == 16 && lower(c) >= 'a' && lower(c) <= 'f')) {
      sawdigits = 1;
      continue;
    }
    break;
  }
  if (!sawdigits) return 0;
  if (i < n && lower(s[i]) == (base == 10 ? 'e' : 'p')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    if (i >= n || s[i] < '0' || s[i] > '9') return 0;
    for (; i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'); i++)
      if (s[i] == '_') underscores = 1;
  } else if (base == 16) {
    return 0;   /* a hex mantissa requires a 'p' exponent */
  }
  if (i != n) return 0;
  if (underscores && !lit_underscore_ok(s, n)) return 0;
  for (i = k = 0; i < n; i++)
    if (s[i] != '_') buf[k++] = s[i];
  buf[k] = 0;
  f = strtod(buf, &end);
  if (*end) return 0;
  if (f > 1.7976931348623157e308 || f < -1.7976931348623157e308) return 0;
  *out = f;
  return 1;
}

static int hexval(int c)
{
  if (c >= '0' && c <= '9') return c - '0';
  if (lower(c) >= 'a' && lower(c) <= 'f') return lower(c) - 'a' + 10;
  return -1;
}

int lit_encode_utf8(char *o, long r)
{
  if (r < 0x80) { o[0] = (char)r; return 1; }
  if (r < 0x800) {
    o[0] = (char)(0xC0 | (r >> 6)); o[1] = (char)(0x80 | (r & 0x3F));
    return 2;
  }
  if (r < 0x10000) {
    o[0] = (char)(0xE0 | (r >> 12)); o[1] = (char)(0x80 | ((r >> 6) & 0x3F));
    o[2] = (char)(0x80 | (r & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | (r >> 18)); o[1] = (char)(0x80 | ((r >> 12) & 0x3F));
  o[2] = (char)(0x80 | ((r >> 6) & 0x3F)); o[3] = (char)(0x80 | (r & 0x3F));
  return 4;
}

/* strconv.UnquoteChar: decodes one character of S (quote QUOTE) into
 * *R; *multibyte says whether it is a rune (else a raw byte). Returns the
 * bytes consumed, 0 on bad syntax. */
size_t lit_unquote_char(const char *s, size_t n, int quote, long *r,
                           int *multibyte)
{
  int c, i, ndig;
  long v;
  *multibyte = 0;
  if (n == 0) return 0;
  c = (unsigned char)s[0];
  if (c == quote && (quote == '\'' || quote == '"')) return 0;
  if (c >= 0x80) {
    int32_t rr;
    int w = tpl_utf8_decode(s, n, &rr);
    *r = rr;
    *multibyte = 1;
    return (size_t)w;
  }
  if (c != '\\') {
    *r = c;
    return 1;
  }
  if (n < 2) return 0;
  c = (unsigned char)s[1];
  switch (c) {
  case 'a': *r = 7; return 2;
  case 'b': *r = 8; return 2;
  case 'f': *r = 12; return 2;
  case 'n': *r = 10; return 2;
  case 'r': *r = 13; return 2;
  case 't': *r = 9; return 2;
  case 'v': *r = 11; return 2;
  case 'x': case 'u': case 'U':
    ndig = c == 'x' ? 2 : c == 'u' ? 4 : 8;
    if (n < (size_t)(2 + ndig)) return 0;
    for (v = 0, i = 0; i < ndig; i++) {
      int d = hexval((unsigned char)s[2 + i]);
      if (d < 0) return 0;
      v = v * 16 + d;
    }
    if (c != 'x') {
      if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
      *multibyte = 1;
    }
    *r = v;
    return (size_t)(2 + ndig);
  case '0': case '1': case '2': case '3': case '4': case '5': case '6':
  case '7':
    if (n < 4) return 0;
    for (v = 0, i = 0; i < 3; i++) {
      int d = (unsigned char)s[1 + i] - '0';
      if (d < 0 || d > 7) return 0;
      v = v * 8 + d;
    }
    if (v > 255) return 0;
    *r = v;
    return 4;
  case '\\': *r = '\\'; return 2;
  case '\'': case '"':
    if (c != quote) return 0;
    *r = c;
    return 2;
  default:
    return 0;
  }
}
