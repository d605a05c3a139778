/* engine/yaml_scalar.c: the scalar decisions behind Helm's toYaml, taken
 * from the behaviour of sigs.k8s.io/yaml (json.Marshal, then go-yaml v2):
 * which strings go-yaml v2 must quote because they would read back as
 * something else, the order go-yaml v2 sorts map keys in, and what the
 * JSON -> YAML step does to a string on the way. */
#include "yaml_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- would a plain scalar resolve to a string? --------------------------- */

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* The words go-yaml v2 reads as bools, nulls and special floats. */
static int is_resolved_word(const char *s, size_t len)
{
  static const char *const words[] = {
    "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
    "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off",
    "OFF", "~", "null", "Null", "NULL", ".nan", ".NaN", ".NAN", ".inf",
    ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF"};
  size_t i;
  if (len > 5) return 0;
  for (i = 0; i < sizeof words / sizeof *words; i++)
    if (strlen(words[i]) == len && memcmp(words[i], s, len) == 0) return 1;
  return 0;
}

/* strconv.ParseInt(s, 0, 64) / ParseUint(s, 0, 64) succeed (S has no '_').
 * A sign is allowed for ParseInt only; the range is int64 or uint64. */
static int go_parses_int(const char *s, size_t len)
{
  size_t i = 0;
  int neg = 0, sign = 0, base = 10;
  unsigned long long v = 0, limit;
  if (i < len && (s[i] == '+' || s[i] == '-')) { neg = s[i] == '-'; sign = 1; i++; }
  if (i + 1 < len && s[i] == '0') {
    char p = s[i + 1];
    if (p == 'x' || p == 'X') { base = 16; i += 2; }
    else if (p == 'o' || p == 'O') { base = 8; i += 2; }
    else if (p == 'b' || p == 'B') { base = 2; i += 2; }
    else { base = 8; i += 1; }
  }
  if (i >= len) return 0;
  limit = !sign ? ~0ULL : neg ? (1ULL << 63) : (1ULL << 63) - 1;
  for (; i < len; i++) {
    int d;
    char c = s[i];
    if (is_digit(c)) d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return 0;
    if (d >= base) return 0;
    if (v > (limit - (unsigned)d) / (unsigned)base) return 0;
    v = v * (unsigned)base + (unsigned)d;
  }
  return 1;
}

/* Parses digits at *P: returns the count. */
static size_t digits(const char *s, size_t len, size_t *p)
{
  size_t n = 0;
  while (*p < len && is_digit(s[*p])) { (*p)++; n++; }
  return n;
}

/* A float that does not overflow: strconv.ParseFloat fails with ErrRange
 * past the largest double (but not on underflow, which gives 0). */
static int finite_float(const char *s, size_t len)
{
  char small[64], *buf = len < sizeof small ? small : malloc(len + 1);
  double f;
  if (!buf) return 1;
  memcpy(buf, s, len);
  buf[len] = 0;
  f = strtod(buf, NULL);
  if (buf != small) free(buf);
  return !isinf(f);
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ and in range. */
static int yaml_style_float(const char *s, size_t len)
{
  size_t p = 0;
  if (p < len && (s[p] == '+' || s[p] == '-')) p++;
  if (p < len && s[p] == '.') {
    p++;
    if (!digits(s, len, &p)) return 0;
  } else {
    if (!digits(s, len, &p)) return 0;
    if (p < len && s[p] == '.') { p++; digits(s, len, &p); }
  }
  if (p < len && (s[p] == 'e' || s[p] == 'E')) {
    p++;
    if (p < len && (s[p] == '+' || s[p] == '-')) p++;
    if (!digits(s, len, &p)) return 0;
  }
  return p == len && finite_float(s, len);
}

/* strconv.ParseFloat on a string starting with '.': .DIGITS[e[+-]DIGITS],
 * where Go's literal syntax lets '_' stand between two digits. */
int yaml_go_dot_float(const char *s, size_t len)
{
  char small[64] = "", *buf = len < sizeof small ? small : malloc(len + 1);
  size_t i, n = 0, p = 1;
  int ok = 0;
  if (!buf) return 1;
  for (i = 0; i < len; i++) {
    if (s[i] != '_') { buf[n++] = s[i]; continue; }
    if (i == 0 || !is_digit(s[i - 1]) || i + 1 >= len || !is_digit(s[i + 1]))
      goto done;
  }
  if (!digits(buf, n, &p)) goto done;
  if (p < n && (buf[p] == 'e' || buf[p] == 'E')) {
    p++;
    if (p < n && (buf[p] == '+' || buf[p] == '-')) p++;
    if (!digits(buf, n, &p)) goto done;
  }
  ok = p == n && finite_float(buf, n);
done:
  if (buf != small) free(buf);
  return ok;
}

/* Go's getnum: one digit, or two when the next is a digit too. */
static int getnum(const char *s, size_t len, size_t *p, int *out)
{
  if (*p >= len || !is_digit(s[*p])) return 0;
  *out = s[(*p)++] - '0';
  if (*p < len && is_digit(s[*p])) *out = *out * 10 + (s[(*p)++] - '0');
  return 1;
}

static int days_in(int month, int year)
{
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[month - 1];
}

/* time.Parse with go-yaml v2's timestamp layouts: "2006-1-2",
 * "2006-1-2 15:4:5.999999999" and "2006-1-2T15:4:5.999999999Z07:00"
 * (T or t). S starts with four digits and '-' (checked by the caller). */
static int go_timestamp(const char *s, size_t len)
{
  size_t p = 5;
  int year = atoi(s), month, day, h, m, sec, zone;
  if (!getnum(s, len, &p, &month) || month < 1 || month > 12) return 0;
  if (p >= len || s[p++] != '-') return 0;
  if (!getnum(s, len, &p, &day) || day < 1 || day > days_in(month, year))
    return 0;
  if (p == len) return 1;
  zone = s[p] == 'T' || s[p] == 't';
  if (!zone && s[p] != ' ') return 0;
  p++;
  if (!zone) while (p < len && s[p] == ' ') p++;
  if (!getnum(s, len, &p, &h) || h > 23 || p >= len || s[p++] != ':') return 0;
  if (!getnum(s, len, &p, &m) || m > 59 || p >= len || s[p++] != ':') return 0;
  if (!getnum(s, len, &p, &sec) || sec > 59) return 0;
  if (p + 1 < len && (s[p] == '.' || s[p] == ',') && is_digit(s[p + 1])) {
    p++;
    digits(s, len, &p);
  }
  if (!zone) return p == len;
  if (p < len && s[p] == 'Z') return p + 1 == len;
  if (len - p != 6 || s[p + 3] != ':' || (s[p] != '+' && s[p] != '-'))
    return 0;
  if (!is_digit(s[p + 1]) || !is_digit(s[p + 2]) || !is_digit(s[p + 4]) ||
      !is_digit(s[p + 5]))
    return 0;
  return (s[p + 1] - '0') * 10 + (s[p + 2] - '0') <= 24 &&
         (s[p + 4] - '0') * 10 + (s[p + 5] - '0') <= 60;
}

/* ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ */
static int base60_float(const char *s, size_t len)
{
  size_t p = 0, groups = 0;
  if (!memchr(s, ':', len)) return 0;
  if (p < len && (s[p] == '+' || s[p] == '-')) p++;
  if (p >= len || !is_digit(s[p])) return 0;
  while (p < len && (is_digit(s[p]) || s[p] == '_')) p++;
  while (p < len && s[p] == ':') {
    size_t n;
    p++;
    n = digits(s, len, &p);
    if (n == 0 || n > 2 || (n == 2 && s[p - 2] > '5')) return 0;
    groups++;
  }
  if (!groups) return 0;
  if (p < len && s[p] == '.') {
    p++;
    while (p < len && (is_digit(s[p]) || s[p] == '_')) p++;
  }
  return p == len;
}

/* Numbers and timestamps behind a digit or sign ('D'/'S' in go-yaml). */
static int resolves_number(const char *s, size_t len)
{
  char small[128], *plain = len < sizeof small ? small : malloc(len + 1);
  size_t i, n = 0;
  int r;
  if (len >= 5 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) &&
      is_digit(s[3]) && s[4] == '-' && go_timestamp(s, len))
    return 1;
  if (!plain) return 1;   /* cannot tell: quoting is always safe */
  for (i = 0; i < len; i++)
    if (s[i] != '_') plain[n++] = s[i];
  r = go_parses_int(plain, n) || yaml_style_float(plain, n);
  if (plain != small) free(plain);
  return r;
}

int yaml_plain_is_str(const char *s, size_t len)
{
  char c;
  if (len == 0) return 0;   /* "" is null */
  c = s[0];
  if (is_digit(c) || c == '+' || c == '-') {
    if (is_resolved_word(s, len) || resolves_number(s, len)) return 0;
    return !base60_float(s, len);
  }
  if (c == '.') return !is_resolved_word(s, len) && !yaml_go_dot_float(s, len);
  if (strchr("yYnNtTfFoO~", c)) return !is_resolved_word(s, len);
  return 1;
}

/* ---- go-yaml v2's key order ---------------------------------------------- */

/* Decodes the UTF-8 character at S[*P] (valid: yaml_json_string made it
 * so), advancing *P. */
static unsigned rune_at(const char *s, size_t len, size_t *p)
{
  const unsigned char *u = (const unsigned char *)s + *p;
  size_t n = u[0] < 0x80 ? 1 : u[0] < 0xE0 ? 2 : u[0] < 0xF0 ? 3 : 4, k;
  unsigned r;
  if (n > len - *p) n = len - *p;
  r = n == 1 ? u[0] : n == 2 ? u[0] & 0x1Fu : n == 3 ? u[0] & 0x0Fu : u[0] & 0x07u;
  for (k = 1; k < n; k++) r = r << 6 | (u[k] & 0x3Fu);
  *p += n;
  return r;
}

/* unicode.IsLetter: exact for ASCII and Latin-1; outside them a coarse
 * map of the blocks (letters except punctuation, symbols and emoji). */
static int is_letter(unsigned r)
{
  if (r < 0x80) return (r | 0x20) >= 'a' && (r | 0x20) <= 'z';
  if (r < 0x100)
    return r == 0xAA || r == 0xB5 || r == 0xBA ||
           (r >= 0xC0 && r != 0xD7 && r != 0xF7);
  if (r >= 0x2000 && r < 0x2C00) return 0;   /* punctuation, symbols */
  if (r >= 0x3000 && r < 0x3040) return 0;   /* CJK punctuation */
  if (r >= 0xD800 && r < 0xF900) return 0;   /* surrogates, private use */
  if ((r >= 0xFE00 && r < 0xFE70) || r == 0xFEFF) return 0;   /* ... BOM */
  if (r >= 0xFF00 && r < 0xFF21) return 0;
  if (r >= 0x1F000 && r < 0x20000) return 0; /* emoji */
  return 1;
}

/* unicode.IsDigit for what keys hold: ASCII digits, and the other Nd
 * blocks' zero..nine runs are rare enough to count as non-digits here. */
static int is_digit_rune(unsigned r) { return r >= '0' && r <= '9'; }

/* go-yaml's keyList.Less for two string keys: letters sort by code
 * point, a non-letter before a letter (v3: after one when a digit came
 * just before), and runs of digits by value. */
int yaml_key_less(const char *a, size_t alen, const char *b, size_t blen,
                  int v3)
{
  size_t p = 0;
  int digits = 0;
  while (p < alen && p < blen) {
    size_t pa = p, pb = p, ai, bi, j;
    unsigned ra = rune_at(a, alen, &pa), rb = rune_at(b, blen, &pb);
    uint64_t an = 0, bn = 0;
    int al, bl;
    if (ra == rb) { digits = is_digit_rune(ra); p = pa; continue; }
    al = is_letter(ra);
    bl = is_letter(rb);
    if (al && bl) return ra < rb;
    if (al || bl) return v3 && digits ? al : bl;
    if (ra == '0' || rb == '0') {
      /* the digits before this point (the same in both) */
      for (j = p; j-- > 0 && is_digit(a[j]);) {
        if (a[j] != '0') { an = bn = 1; break; }
      }
    }
    for (ai = p; ai < alen && is_digit(a[ai]); ai++) an = an * 10 + (uint64_t)(a[ai] - '0');
    for (bi = p; bi < blen && is_digit(b[bi]); bi++) bn = bn * 10 + (uint64_t)(b[bi] - '0');
    if (an != bn) return (int64_t)an < (int64_t)bn;   /* Go's int64 wraps */
    if (ai != bi) return ai < bi;
    return ra < rb;
  }
  return alen < blen;
}

/* ---- what json.Marshal + go-yaml v2 parsing do to a string --------------- */

/* Length of the well-formed UTF-8 sequence at S (RFC 3629, as Go's
 * utf8.DecodeRune accepts it), or 0 when the byte starts none. */
static size_t utf8_len(const unsigned char *s, size_t left)
{
  unsigned c = s[0];
  if (c < 0x80) return 1;
  if (c < 0xC2) return 0;
  if (c < 0xE0) return left >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
  if (c < 0xF0) {
    unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    return left >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 ? 3 : 0;
  }
  if (c < 0xF5) {
    unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    return left >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 &&
                   (s[3] & 0xC0) == 0x80 ? 4 : 0;
  }
  return 0;
}

/* True when S needs yaml_json_string: bytes that are not plain ASCII. */
static int needs_fixing(const char *s, size_t len)
{
  size_t i;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x7F) return 1;
  }
  return 0;
}

int yaml_json_string(const char *s, size_t len, kd_buf *out, int *changed)
{
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  *changed = 0;
  if (!needs_fixing(s, len)) return KD_OK;
  *changed = 1;
  out->len = 0;
  if (kd_buf_reserve(out, len)) return KD_ENOMEM;
  while (i < len) {
    size_t n = utf8_len(u + i, len - i);
    if (n == 0) {   /* json.Marshal writes \ufffd for each bad byte */
      if (kd_buf_add(out, "\xEF\xBF\xBD", 3)) return KD_ENOMEM;
      i++;
      continue;
    }
    /* Raw in the JSON text, these stop go-yaml's reader. */
    if (u[i] == 0x7F || (n == 2 && u[i] == 0xC2 && u[i + 1] < 0xA0 && u[i + 1] != 0x85) ||
        (n == 3 && u[i] == 0xEF && u[i + 1] == 0xBF && u[i + 2] >= 0xBE))
      return KD_EINVAL;
    if (n == 2 && u[i] == 0xC2 && u[i + 1] == 0x85) {
      /* NEL is a raw line break inside the double-quoted JSON string:
       * go-yaml folds it with the spaces around it. */
      int breaks = 0, at_line_start = 0;
      while (out->len && out->data[out->len - 1] == ' ') out->len--;
      while (i < len && (u[i] == ' ' || (u[i] == 0xC2 && i + 1 < len && u[i + 1] == 0x85))) {
        at_line_start = u[i] != ' ';
        if (u[i] == ' ') { i++; continue; }
        breaks++;
        i += 2;
      }
      /* "---" or "..." right after the break, then a blank or a break:
       * go-yaml stops with "found unexpected document indicator" */
      if (at_line_start && len - i > 3 &&
          (memcmp(s + i, "---", 3) == 0 || memcmp(s + i, "...", 3) == 0) &&
          (u[i + 3] == ' ' || (u[i + 3] == 0xC2 && i + 4 < len && u[i + 4] == 0x85)))
        return KD_EINVAL;
      if (breaks == 1) {
        if (kd_buf_addc(out, ' ')) return KD_ENOMEM;
      } else {
        while (--breaks > 0)
          if (kd_buf_addc(out, '\n')) return KD_ENOMEM;
      }
      continue;
    }
    if (kd_buf_add(out, s + i, n)) return KD_ENOMEM;
    i += n;
  }
  return KD_OK;
}

int yaml_utf8_valid(const char *s, size_t len)
{
  size_t i = 0, n;
  while (i < len) {
    if ((unsigned char)s[i] < 0x80) { i++; continue; }
    if (!(n = utf8_len((const unsigned char *)s + i, len - i))) return 0;
    i += n;
  }
  return 1;
}
