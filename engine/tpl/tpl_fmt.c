/* engine/tpl/tpl_fmt.c: Go's fmt package as templates see it: %v of every
 * value kind, Sprintf with Go's verbs, flags, width, precision, argument
 * indexes and error notations, Sprint and Sprintln. The structure follows
 * fmt's own split: a printer walks the arguments (print_arg, print_value),
 * a formatter pads and formats one scalar (fmt_integer, fmt_float ...). */
#include "tpl_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  kd_buf *b;
  int rc;                              /* sticky KD_ENOMEM */
  int sharp, zero, plus, minus, space; /* flags of the current verb */
  int sharp_v, plus_v;                 /* %#v, %+v */
  int wid, prec, wid_p, prec_p;
} pp;

static const char ldigits[] = "0123456789abcdefx";
static const char udigits[] = "0123456789ABCDEFX";

static void clear_flags(pp *p)
{
  p->sharp = p->zero = p->plus = p->minus = p->space = 0;
  p->sharp_v = p->plus_v = 0;
  p->wid = p->prec = p->wid_p = p->prec_p = 0;
}

static void put(pp *p, const char *s, size_t n)
{
  if (n && kd_buf_add(p->b, s, n)) p->rc = KD_ENOMEM;
}

static void puts_(pp *p, const char *s) { put(p, s, strlen(s)); }

static void putc_(pp *p, char c) { put(p, &c, 1); }

static void put_rune(pp *p, int32_t r)
{
  char enc[4];
  put(p, enc, (size_t)tpl_utf8_encode(enc, r));
}

/* ---- the formatter: padding and scalars --------------------------------- */

static void write_padding(pp *p, int n)
{
  char c = p->zero ? '0' : ' ';
  if (n <= 0) return;
  if (kd_buf_reserve(p->b, (size_t)n)) {
    p->rc = KD_ENOMEM;
    return;
  }
  memset(p->b->data + p->b->len, c, (size_t)n);
  p->b->len += (size_t)n;
  p->b->data[p->b->len] = 0;
}

/* Appends S padded to the width, counted in runes. */
static void pad(pp *p, const char *s, size_t n)
{
  int width;
  if (!p->wid_p || p->wid == 0) {
    put(p, s, n);
    return;
  }
  width = p->wid - (int)tpl_utf8_count(s, n);
  if (!p->minus) {
    write_padding(p, width);
    put(p, s, n);
  } else {
    put(p, s, n);
    write_padding(p, width);
  }
}

/* pad with the zero flag off (numbers pad with zeros themselves) */
static void pad_spaces(pp *p, const char *s, size_t n)
{
  int z = p->zero;
  p->zero = 0;
  pad(p, s, n);
  p->zero = z;
}

static void fmt_bool(pp *p, int v)
{
  pad(p, v ? "true" : "false", v ? 4 : 5);
}

/* Go's fmt.fmtInteger: U is the two's-complement bits of the value. */
static void fmt_integer(pp *p, uint64_t u, int base, int is_signed,
                        int verb, const char *digits)
{
  int negative = is_signed && (int64_t)u < 0;
  char num[72], *d = num + sizeof num;
  int prec = 0, nd, zeros;
  kd_buf tmp = {0};
  if (negative) u = -u;
  if (p->prec_p) {
    prec = p->prec;
    if (prec == 0 && u == 0) {   /* "%.0d" of 0 prints only padding */
      int z = p->zero;
      p->zero = 0;
      write_padding(p, p->wid);
      p->zero = z;
      return;
    }
  } else if (p->zero && !p->minus && p->wid_p) {
    prec = p->wid;
    if (negative || p->plus || p->space) prec--;   /* room for the sign */
  }
  do {
    *--d = digits[u % (unsigned)base];
    u /= (unsigned)base;
  } while (u);
  nd = (int)(num + sizeof num - d);
  zeros = prec > nd ? prec - nd : 0;
  if (negative) kd_buf_addc(&tmp, '-');
  else if (p->plus) kd_buf_addc(&tmp, '+');
  else if (p->space) kd_buf_addc(&tmp, ' ');
  if (p->sharp) {
    if (base == 2) kd_buf_adds(&tmp, "0b");
    else if (base == 16) kd_buf_printf(&tmp, "0%c", digits[16]);
    else if (base == 8 && zeros == 0 && *d != '0') kd_buf_addc(&tmp, '0');
  }
  if (verb == 'O') kd_buf_adds(&tmp, "0o");
  if (zeros && kd_buf_reserve(&tmp, (size_t)zeros) == KD_OK) {
    memset(tmp.data + tmp.len, '0', (size_t)zeros);
    tmp.len += (size_t)zeros;
  }
  if (kd_buf_add(&tmp, d, (size_t)nd)) p->rc = KD_ENOMEM;
  pad_spaces(p, tmp.data, tmp.len);
  kd_buf_free(&tmp);
}

/* strconv.appendEscapedRune for Quote (QUOTE is ' or "). */
static void escape_rune(kd_buf *o, int32_t r, char quote, int ascii_only)
{
  char enc[4];
  if (r == quote || r == '\\') {
    kd_buf_addc(o, '\\');
    kd_buf_addc(o, (char)r);
    return;
  }
  if (ascii_only ? (r < 0x80 && tpl_uc_is(TPL_UC_PRINT, r))
                 : tpl_uc_is(TPL_UC_PRINT, r)) {
    kd_buf_add(o, enc, (size_t)tpl_utf8_encode(enc, r));
    return;
  }
  switch (r) {
  case '\a': kd_buf_adds(o, "\\a"); return;
  case '\b': kd_buf_adds(o, "\\b"); return;
  case '\f': kd_buf_adds(o, "\\f"); return;
  case '\n': kd_buf_adds(o, "\\n"); return;
  case '\r': kd_buf_adds(o, "\\r"); return;
  case '\t': kd_buf_adds(o, "\\t"); return;
  case '\v': kd_buf_adds(o, "\\v"); return;
  default: break;
  }
  if (r < ' ' || r == 0x7F) kd_buf_printf(o, "\\x%02x", (unsigned)r);
  else if (r > TPL_MAX_RUNE || (r >= 0xD800 && r <= 0xDFFF))
    kd_buf_adds(o, "\\ufffd");
  else if (r < 0x10000) kd_buf_printf(o, "\\u%04x", (unsigned)r);
  else kd_buf_printf(o, "\\U%08x", (unsigned)r);
}

/* strconv.Quote / QuoteToASCII of S into O. */
static void quote_string(kd_buf *o, const char *s, size_t n, int ascii_only)
{
  size_t i = 0;
  kd_buf_addc(o, '"');
  while (i < n) {
    int32_t r;
    int w = tpl_utf8_decode(s + i, n - i, &r);
    if (w == 1 && r == TPL_RUNE_ERROR)   /* an invalid byte */
      kd_buf_printf(o, "\\x%02x", (unsigned char)s[i]);
    else escape_rune(o, r, '"', ascii_only);
    i += (size_t)w;
  }
  kd_buf_addc(o, '"');
}

void tpl_go_quote(kd_buf *o, const char *s, size_t n)
{
  quote_string(o, s, n, 0);
}

void tpl_go_quote_rune(kd_buf *o, int32_t r)
{
  if (r > TPL_MAX_RUNE || (r >= 0xD800 && r <= 0xDFFF)) r = TPL_RUNE_ERROR;
  kd_buf_addc(o, '\'');
  escape_rune(o, r, '\'', 0);
  kd_buf_addc(o, '\'');
}

/* fmt_c: %c of an integer */
static void fmt_c(pp *p, uint64_t u)
{
  char enc[4];
  int32_t r = u > TPL_MAX_RUNE ? TPL_RUNE_ERROR : (int32_t)u;
  pad(p, enc, (size_t)tpl_utf8_encode(enc, r));
}

/* fmt_qc: %q of an integer, a quoted character literal */
static void fmt_qc(pp *p, uint64_t u)
{
  kd_buf o = {0};
  int32_t r = u > TPL_MAX_RUNE ? TPL_RUNE_ERROR : (int32_t)u;
  if (r >= 0xD800 && r <= 0xDFFF) r = TPL_RUNE_ERROR;
  kd_buf_addc(&o, '\'');
  escape_rune(&o, r, '\'', p->plus);
  if (kd_buf_addc(&o, '\'')) p->rc = KD_ENOMEM;
  pad(p, o.data, o.len);
  kd_buf_free(&o);
}

/* fmt_unicode: %U, U+0041, with # also the character: U+0041 'A' */
static void fmt_unicode(pp *p, uint64_t u)
{
  kd_buf o = {0};
  int prec = p->prec_p && p->prec > 4 ? p->prec : 4;
  char hex[20];
  int n = snprintf(hex, sizeof hex, "%llX", (unsigned long long)u);
  kd_buf_adds(&o, "U+");
  for (; n < prec; n++) kd_buf_addc(&o, '0');
  kd_buf_adds(&o, hex);
  if (p->sharp && u <= TPL_MAX_RUNE && tpl_uc_is(TPL_UC_PRINT, (int32_t)u)) {
    char enc[4];
    kd_buf_adds(&o, " '");
    kd_buf_add(&o, enc, (size_t)tpl_utf8_encode(enc, (int32_t)u));
    kd_buf_addc(&o, '\'');
  }
  if (!o.data) p->rc = KD_ENOMEM;
  else pad_spaces(p, o.data, o.len);
  kd_buf_free(&o);
}

/* The length of S truncated to the precision, counted in runes. */
static size_t truncated(pp *p, const char *s, size_t n)
{
  size_t i = 0;
  int k;
  int32_t r;
  if (!p->prec_p) return n;
  for (k = 0; k < p->prec && i < n; k++)
    i += (size_t)tpl_utf8_decode(s + i, n - i, &r);
  return i;
}

static void fmt_s(pp *p, const char *s, size_t n)
{
  pad(p, s, truncated(p, s, n));
}

/* %x / %X of a string: hex of its bytes, with # a 0x, with space a gap */
static void fmt_sx(pp *p, const char *s, size_t n, const char *digits)
{
  size_t len = n, i;
  int width;
  if (p->prec_p && (size_t)p->prec < len) len = (size_t)p->prec;
  if (len == 0) {
    if (p->wid_p) write_padding(p, p->wid);
    return;
  }
  width = 2 * (int)len;
  if (p->space) {
    if (p->sharp) width *= 2;
    width += (int)len - 1;
  } else if (p->sharp) {
    width += 2;
  }
  if (p->wid_p && p->wid > width && !p->minus)
    write_padding(p, p->wid - width);
  if (p->sharp) {
    putc_(p, '0');
    putc_(p, digits[16]);
  }
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (p->space && i > 0) {
      putc_(p, ' ');
      if (p->sharp) {
        putc_(p, '0');
        putc_(p, digits[16]);
      }
    }
    putc_(p, digits[c >> 4]);
    putc_(p, digits[c & 15]);
  }
  if (p->wid_p && p->wid > width && p->minus)
    write_padding(p, p->wid - width);
}

/* strconv.CanBackquote */
static int can_backquote(const char *s, size_t n)
{
  size_t i = 0;
  while (i < n) {
    int32_t r;
    int w = tpl_utf8_decode(s + i, n - i, &r);
    i += (size_t)w;
    if (w > 1) {
      if (r == 0xFEFF) return 0;
      continue;
    }
    if (r == TPL_RUNE_ERROR) return 0;
    if ((r < ' ' && r != '\t') || r == '`' || r == 0x7F) return 0;
  }
  return 1;
}

static void fmt_q(pp *p, const char *s, size_t n)
{
  kd_buf o = {0};
  n = truncated(p, s, n);
  if (p->sharp && can_backquote(s, n)) {
    kd_buf_addc(&o, '`');
    kd_buf_add(&o, s, n);
    kd_buf_addc(&o, '`');
  } else {
    quote_string(&o, s, n, p->plus);
  }
  if (!o.data) p->rc = KD_ENOMEM;
  else pad(p, o.data, o.len);
  kd_buf_free(&o);
}

/* ---- floats: strconv.AppendFloat and fmt.fmtFloat ------------------------ */

#define MAX_DIGITS 800

/* Decimal digits of |F| (no leading or trailing zeros, F != 0) with the
 * decimal point at DP: |F| = 0.DIGITS * 10^DP. PREC < 0: the shortest
 * digits that read back as F; else PREC significant digits, correctly
 * rounded, trailing zeros dropped. */
static int float_digits(double f, int prec, char *digits, size_t size)
{
  char tmp[MAX_DIGITS + 16], *e, *q = digits, *s;
  int p;
  if (prec < 0) {
    for (p = 1; p <= 17; p++) {
      snprintf(tmp, sizeof tmp, "%.*e", p - 1, f);
      if (strtod(tmp, NULL) == f) break;
    }
  } else {
    /* a double has at most 767 significant digits: more only adds zeros */
    snprintf(tmp, sizeof tmp, "%.*e", (prec > MAX_DIGITS ? MAX_DIGITS : prec) - 1,
             f);
  }
  e = strchr(tmp, 'e');
  for (s = tmp; s < e; s++)
    if (*s >= '0' && *s <= '9' && (size_t)(q - digits) < size - 1) *q++ = *s;
  *q = 0;
  while (q > digits + 1 && q[-1] == '0') *--q = 0;
  return atoi(e + 1) + 1;
}

/* strconv's %e from digits: d.ddde±XX with PREC digits after the point */
static void digits_e(kd_buf *o, const char *d, int dp, int prec, char ch)
{
  int nd = (int)strlen(d), i, exp = dp - 1;
  if (d[0] == '0') exp = 0;   /* zero */
  kd_buf_addc(o, d[0]);
  if (prec > 0) {
    kd_buf_addc(o, '.');
    for (i = 1; i <= prec; i++) kd_buf_addc(o, i < nd ? d[i] : '0');
  }
  kd_buf_printf(o, "%c%c%02d", ch, exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
}

/* strconv's %f from digits with PREC digits after the point */
static void digits_f(kd_buf *o, const char *d, int dp, int prec)
{
  int nd = (int)strlen(d), i;
  if (dp > 0) {
    for (i = 0; i < dp; i++) kd_buf_addc(o, i < nd ? d[i] : '0');
  } else {
    kd_buf_addc(o, '0');
  }
  if (prec > 0) {
    kd_buf_addc(o, '.');
    for (i = 0; i < prec; i++) {
      int j = dp + i;
      kd_buf_addc(o, j >= 0 && j < nd ? d[j] : '0');
    }
  }
}

/* %x of a float: -0x1.yyyp±dd, rounded to PREC hex digits when >= 0 */
static void float_hex(kd_buf *o, double f, int prec, char verb)
{
  uint64_t bits, mant;
  int exp, i;
  const char *hex = verb == 'X' ? udigits : ldigits;
  memcpy(&bits, &f, sizeof bits);
  exp = (int)((bits >> 52) & 0x7FF);
  mant = bits & ((UINT64_C(1) << 52) - 1);
  if (exp == 0) exp++;
  else mant |= UINT64_C(1) << 52;
  exp -= 1023;
  if (mant == 0) exp = 0;
  mant <<= 60 - 52;
  while (mant != 0 && (mant & (UINT64_C(1) << 60)) == 0) {
    mant <<= 1;
    exp--;
  }
  if (prec >= 0 && prec < 15) {
    unsigned shift = (unsigned)prec * 4;
    uint64_t extra = (mant << shift) & ((UINT64_C(1) << 60) - 1);
    mant >>= 60 - shift;
    if ((extra | (mant & 1)) > (UINT64_C(1) << 59)) mant++;
    mant <<= 60 - shift;
    if (mant & (UINT64_C(1) << 61)) {
      mant >>= 1;
      exp++;
    }
  }
  if (bits >> 63) kd_buf_addc(o, '-');
  kd_buf_addc(o, '0');
  kd_buf_addc(o, verb);
  kd_buf_addc(o, (char)('0' + ((mant >> 60) & 1)));
  mant <<= 4;
  if (prec < 0 && mant != 0) {
    kd_buf_addc(o, '.');
    for (; mant != 0; mant <<= 4) kd_buf_addc(o, hex[(mant >> 60) & 15]);
  } else if (prec > 0) {
    kd_buf_addc(o, '.');
    for (i = 0; i < prec; i++, mant <<= 4)
      kd_buf_addc(o, hex[(mant >> 60) & 15]);
  }
  kd_buf_printf(o, "%c%c%02d", verb == 'X' ? 'P' : 'p', exp < 0 ? '-' : '+',
                exp < 0 ? -exp : exp);
}

/* %b of a float: decimal mantissa and binary exponent, 4503599627370496p-52 */
static void float_bin(kd_buf *o, double f)
{
  uint64_t bits, mant;
  int exp;
  memcpy(&bits, &f, sizeof bits);
  exp = (int)((bits >> 52) & 0x7FF);
  mant = bits & ((UINT64_C(1) << 52) - 1);
  if (exp == 0) exp++;
  else mant |= UINT64_C(1) << 52;
  exp += -1023 - 52;
  kd_buf_printf(o, "%s%llup%s%d", bits >> 63 ? "-" : "",
                (unsigned long long)mant, exp >= 0 ? "+" : "", exp);
}

/* strconv.AppendFloat(F, VERB, PREC, 64) into O. */
static void append_float(kd_buf *o, double f, int verb, int prec)
{
  char d[MAX_DIGITS + 1];
  int dp, neg = signbit(f) != 0, nd, eprec, exp, shortest = prec < 0;
  int is_g = verb == 'g' || verb == 'G';
  if (isnan(f)) {
    kd_buf_adds(o, "NaN");
    return;
  }
  if (isinf(f)) {
    kd_buf_adds(o, neg ? "-Inf" : "+Inf");
    return;
  }
  switch (verb) {
  case 'x': case 'X': float_hex(o, f, prec, (char)verb); return;
  case 'b': float_bin(o, f); return;
  case 'e': case 'E': case 'f': case 'F':
    if (prec >= 0) {   /* C's printf rounds exactly like strconv */
      char fmt[8] = "%.*e";
      fmt[3] = (char)(verb == 'F' ? 'f' : verb);
      kd_buf_printf(o, fmt, prec, f);
      return;
    }
    break;
  default: break;
  }
  if (neg) kd_buf_addc(o, '-');
  if (f == 0) {
    strcpy(d, "0");   /* Go: no digits, point at 0 */
    dp = 0;
    nd = 0;
  } else {
    dp = float_digits(f, is_g && !shortest ? (prec == 0 ? 1 : prec) : -1, d,
                      sizeof d);
    nd = (int)strlen(d);
  }
  if (verb == 'e' || verb == 'E') {   /* shortest */
    digits_e(o, d, dp, nd > 1 ? nd - 1 : 0, (char)verb);
    return;
  }
  if (verb == 'f' || verb == 'F') {
    digits_f(o, d, dp, nd - dp > 0 ? nd - dp : 0);
    return;
  }
  /* %g, as strconv's formatDigits */
  if (shortest) prec = nd;
  else if (prec == 0) prec = 1;
  eprec = prec;
  if (eprec > nd && nd >= dp) eprec = nd;
  if (shortest) eprec = 6;   /* %e from exponent -5 and from 6 digits */
  exp = dp - 1;
  if (exp < -4 || exp >= eprec) {
    if (prec > nd) prec = nd;
    digits_e(o, d, dp, prec - 1 > 0 ? prec - 1 : 0, verb == 'G' ? 'E' : 'e');
    return;
  }
  if (prec > dp) prec = nd;
  digits_f(o, d, dp, prec - dp > 0 ? prec - dp : 0);
}

/* fmt.fmtFloat: VERB is e E f F g G x X b; PREC -1 is the shortest. */
static void fmt_float(pp *p, double v, int verb, int prec)
{
  kd_buf num = {0};
  char *s;
  size_t n;
  if (p->prec_p) prec = p->prec;
  kd_buf_addc(&num, '+');
  append_float(&num, v, verb == 'v' ? 'g' : verb, prec);
  if (!num.data) {
    p->rc = KD_ENOMEM;
    return;
  }
  s = num.data;
  n = num.len;
  if (s[1] == '-' || s[1] == '+') {
    s++;
    n--;
  }
  if (p->space && s[0] == '+' && !p->plus) s[0] = ' ';
  if (s[1] == 'I' || s[1] == 'N') {   /* Inf and NaN never pad with zeros */
    if (s[1] == 'N' && !p->space && !p->plus) {
      s++;
      n--;
    }
    pad_spaces(p, s, n);
    kd_buf_free(&num);
    return;
  }
  if (p->sharp && verb != 'b') {
    /* the # flag keeps the point and (for %g) the trailing zeros */
    int digits = 0, has_point = 0, nonzero = 0;
    size_t i, tail = n;
    kd_buf alt = {0};
    if (verb == 'v' || verb == 'g' || verb == 'G' || verb == 'x' ||
        verb == 'X')
      digits = prec < 0 ? 6 : prec;
    for (i = 1; i < n; i++) {
      char c = s[i];
      if (c == '.') {
        has_point = 1;
      } else if (c == 'p' || c == 'P' ||
                 ((c == 'e' || c == 'E') && verb != 'x' && verb != 'X')) {
        tail = i;
        break;
      } else {
        if (c != '0') nonzero = 1;
        if (nonzero) digits--;
      }
    }
    kd_buf_add(&alt, s, tail);
    if (!has_point) {
      if (tail == 2 && s[1] == '0') digits--;
      kd_buf_addc(&alt, '.');
    }
    for (; digits > 0; digits--) kd_buf_addc(&alt, '0');
    kd_buf_add(&alt, s + tail, n - tail);
    kd_buf_free(&num);
    num = alt;
    if (!num.data) {
      p->rc = KD_ENOMEM;
      return;
    }
    s = num.data;
    n = num.len;
  }
  if (p->plus || s[0] != '+') {
    if (p->zero && !p->minus && p->wid_p && p->wid > (int)n) {
      putc_(p, s[0]);   /* the sign goes before the zeros */
      write_padding(p, p->wid - (int)n);
      put(p, s + 1, n - 1);
    } else {
      pad(p, s, n);
    }
  } else {
    pad(p, s + 1, n - 1);
  }
  kd_buf_free(&num);
}

/* ---- the printer: verbs by value kind ----------------------------------- */

static void print_arg(pp *p, tpl_val v, int verb, int depth);

static void bad_verb(pp *p, tpl_val v, int verb)
{
  puts_(p, "%!");
  put_rune(p, verb);
  putc_(p, '(');
  if (v.kind == TPL_NIL) {
    puts_(p, "<nil>");
  } else {
    puts_(p, tpl_type_name(v));
    putc_(p, '=');
    print_arg(p, v, 'v', 0);
  }
  putc_(p, ')');
}

static void fmt_string(pp *p, const char *s, size_t n, int verb)
{
  switch (verb) {
  case 'v':
    if (p->sharp_v) fmt_q(p, s, n);
    else fmt_s(p, s, n);
    return;
  case 's': fmt_s(p, s, n); return;
  case 'x': fmt_sx(p, s, n, ldigits); return;
  case 'X': fmt_sx(p, s, n, udigits); return;
  case 'q': fmt_q(p, s, n); return;
  default:
    puts_(p, "%!");
    put_rune(p, verb);
    puts_(p, "(string=");
    fmt_s(p, s, n);
    putc_(p, ')');
  }
}

static void print_int(pp *p, tpl_val v, int verb)
{
  uint64_t u = (uint64_t)v.u.i;
  int sgn = v.sub != TPL_GO_UINT64;   /* semver's Major etc. are uint64 */
  switch (verb) {
  case 'v': case 'd': fmt_integer(p, u, 10, sgn, verb, ldigits); return;
  case 'b': fmt_integer(p, u, 2, sgn, verb, ldigits); return;
  case 'o': case 'O': fmt_integer(p, u, 8, sgn, verb, ldigits); return;
  case 'x': fmt_integer(p, u, 16, sgn, verb, ldigits); return;
  case 'X': fmt_integer(p, u, 16, sgn, verb, udigits); return;
  case 'c': fmt_c(p, u); return;
  case 'q': fmt_qc(p, u); return;
  case 'U': fmt_unicode(p, u); return;
  default: bad_verb(p, v, verb);
  }
}

static void print_float(pp *p, tpl_val v, int verb)
{
  switch (verb) {
  case 'v': case 'b': case 'g': case 'G': case 'x': case 'X':
    fmt_float(p, v.u.f, verb, -1);
    return;
  case 'f': case 'e': case 'E': case 'F':
    fmt_float(p, v.u.f, verb, 6);
    return;
  default: bad_verb(p, v, verb);
  }
}

static void print_list(pp *p, tpl_val v, int verb, int depth)
{
  size_t i, n = tpl_list_len(v);
  if (p->sharp_v) {
    puts_(p, tpl_type_name(v));
    putc_(p, '{');
  } else {
    putc_(p, '[');
  }
  for (i = 0; i < n; i++) {
    if (i) puts_(p, p->sharp_v ? ", " : " ");
    print_arg(p, tpl_list_at(v, i), verb, depth + 1);
  }
  putc_(p, p->sharp_v ? '}' : ']');
}

static void print_map(pp *p, tpl_val v, int verb, int depth)
{
  size_t i, n = tpl_map_len(v), klen;
  if (p->sharp_v) {
    puts_(p, tpl_type_name(v));
    putc_(p, '{');
  } else {
    puts_(p, "map[");
  }
  for (i = 0; i < n; i++) {
    const char *k = tpl_map_key_at(v, i, &klen);
    if (i) puts_(p, p->sharp_v ? ", " : " ");
    fmt_string(p, k, klen, verb);
    putc_(p, ':');
    print_arg(p, tpl_map_val_at(v, i), verb, depth + 1);
  }
  putc_(p, p->sharp_v ? '}' : ']');
}

/* A native object prints through its class (a Go Stringer): the string
 * verbs format what it prints; other verbs are wrong for it. */
static void print_obj(pp *p, tpl_val v, int verb)
{
  const tpl_class *cls = tpl_obj_class(v);
  kd_buf s = {0};
  if (cls->print && cls->print(v.u.o, &s) != KD_OK) p->rc = KD_ENOMEM;
  switch (verb) {
  case 'v': case 's': case 'x': case 'X': case 'q':
    fmt_string(p, s.data ? s.data : "", s.len, verb == 'v' ? 's' : verb);
    break;
  default:
    puts_(p, "%!");
    put_rune(p, verb);
    putc_(p, '(');
    puts_(p, cls->type_name);
    putc_(p, '=');
    fmt_s(p, s.data ? s.data : "", s.len);
    putc_(p, ')');
  }
  kd_buf_free(&s);
}

/* fmt's fmtBytes for []byte: the string verbs print the text, %#v the Go
 * literal, the others each byte as an integer in a list. */
static void print_bytes(pp *p, tpl_val v, int verb)
{
  const unsigned char *s = (const unsigned char *)tpl_sdata(v);
  size_t n = tpl_slen(v), i;
  if (verb == 's' || verb == 'q' || verb == 'x' || verb == 'X') {
    fmt_string(p, (const char *)s, n, verb);
    return;
  }
  if (verb == 'v' && p->sharp_v) {
    puts_(p, "[]byte{");
    for (i = 0; i < n; i++) {
      char h[8];
      snprintf(h, sizeof h, "%s0x%x", i ? ", " : "", s[i]);
      puts_(p, h);
    }
    putc_(p, '}');
    return;
  }
  putc_(p, '[');
  for (i = 0; i < n; i++) {
    if (i) putc_(p, ' ');
    print_int(p, tpl_int(s[i]), verb);
  }
  putc_(p, ']');
}

/* fmt's printArg (DEPTH 0) and printValue (elements, DEPTH > 0) */
static void print_arg(pp *p, tpl_val v, int verb, int depth)
{
  if (v.kind == TPL_NIL) {
    if (depth > 0) puts_(p, p->sharp_v ? "interface {}(nil)" : "<nil>");
    else if (verb == 'T' || verb == 'v') pad(p, "<nil>", 5);
    else bad_verb(p, v, verb);
    return;
  }
  if (verb == 'T') {
    fmt_s(p, tpl_type_name(v), strlen(tpl_type_name(v)));
    return;
  }
  if (depth > 10000) {   /* cycles through shared maps */
    puts_(p, "...");
    return;
  }
  switch (v.kind) {
  case TPL_BOOL:
    if (verb == 't' || verb == 'v') fmt_bool(p, v.u.b);
    else bad_verb(p, v, verb);
    return;
  case TPL_INT: print_int(p, v, verb); return;
  case TPL_FLOAT: print_float(p, v, verb); return;
  case TPL_STR:
    if (v.sub == TPL_STR_BYTES) print_bytes(p, v, verb);
    else fmt_string(p, tpl_sdata(v), tpl_slen(v), verb);
    return;
  case TPL_LIST: print_list(p, v, verb, depth); return;
  case TPL_MAP: print_map(p, v, verb, depth); return;
  case TPL_OBJ: print_obj(p, v, verb); return;
  default: return;
  }
}

/* ---- Sprintf ------------------------------------------------------------ */

static int too_large(int x) { return x > 1000000 || x < -1000000; }

/* fmt's parsenum: digits at *I (before END); on overflow *I = END. */
static int parse_num(const char *s, size_t *i, size_t end, int *num)
{
  int n = 0, isnum = 0;
  size_t k = *i;
  *num = 0;
  if (k >= end) return 0;
  for (; k < end && s[k] >= '0' && s[k] <= '9'; k++) {
    if (too_large(n)) {
      *i = end;
      return 0;
    }
    n = n * 10 + (s[k] - '0');
    isnum = 1;
  }
  *num = n;
  *i = k;
  return isnum;
}

typedef struct {
  const tpl_val *a;
  int n;
  int argnum, good, reordered;
} args_state;

/* fmt's argNumber: an explicit [n] index at *I. Returns "found". */
static int arg_number(args_state *st, const char *f, size_t *i, size_t end)
{
  size_t len, k, wid = 1;
  int ok = 0, index = 0;
  if (*i >= end || f[*i] != '[') return 0;
  st->reordered = 1;
  len = end - *i;
  if (len >= 3) {
    for (k = 1; k < len; k++) {
      if (f[*i + k] == ']') {
        size_t j = *i + 1;
        int w;
        int isnum = parse_num(f, &j, *i + k, &w);
        wid = k + 1;
        if (isnum && j == *i + k) {
          ok = 1;
          index = w - 1;
        }
        break;
      }
    }
  }
  *i += wid;
  if (ok && index >= 0 && index < st->n) {
    st->argnum = index;
    return 1;
  }
  st->good = 0;
  return ok;
}

/* fmt's intFromArg for `*` widths and precisions */
static int int_from_arg(args_state *st, int *num)
{
  int ok = 0;
  *num = 0;
  if (st->argnum < st->n) {
    tpl_val v = st->a[st->argnum];
    if (v.kind == TPL_INT && v.u.i >= -1000000 && v.u.i <= 1000000) {
      *num = (int)v.u.i;
      ok = 1;
    }
    st->argnum++;
  }
  return ok;
}

int tpl_sprintf(kd_buf *b, const char *format, size_t end,
                const tpl_val *args, int nargs)
{
  pp p;
  args_state st;
  size_t i = 0;
  memset(&p, 0, sizeof p);
  p.b = b;
  st.a = args;
  st.n = nargs;
  st.argnum = 0;
  st.reordered = 0;
  while (i < end) {
    size_t lasti = i;
    int after_index, verb, w;
    int32_t r;
    st.good = 1;
    while (i < end && format[i] != '%') i++;
    put(&p, format + lasti, i - lasti);
    if (i >= end) break;
    i++;
    clear_flags(&p);
    for (; i < end; i++) {
      char c = format[i];
      if (c == '#') p.sharp = 1;
      else if (c == '0') p.zero = !p.minus;   /* zeros only pad on the left */
      else if (c == '+') p.plus = 1;
      else if (c == '-') {
        p.minus = 1;
        p.zero = 0;
      } else if (c == ' ') p.space = 1;
      else break;
    }
    after_index = arg_number(&st, format, &i, end);
    if (i < end && format[i] == '*') {
      i++;
      p.wid_p = int_from_arg(&st, &p.wid);
      if (!p.wid_p) puts_(&p, "%!(BADWIDTH)");
      if (p.wid < 0) {
        p.wid = -p.wid;
        p.minus = 1;
        p.zero = 0;
      }
      after_index = 0;
    } else {
      p.wid_p = parse_num(format, &i, end, &p.wid);
      if (after_index && p.wid_p) st.good = 0;   /* "%[3]2d" */
    }
    if (i + 1 < end && format[i] == '.') {
      i++;
      if (after_index) st.good = 0;               /* "%[3].2d" */
      after_index = arg_number(&st, format, &i, end);
      if (i < end && format[i] == '*') {
        i++;
        p.prec_p = int_from_arg(&st, &p.prec);
        if (p.prec < 0) {
          p.prec = 0;
          p.prec_p = 0;
        }
        if (!p.prec_p) puts_(&p, "%!(BADPREC)");
        after_index = 0;
      } else {
        p.prec_p = parse_num(format, &i, end, &p.prec);
        if (!p.prec_p) {
          p.prec = 0;
          p.prec_p = 1;
        }
      }
    }
    if (!after_index) after_index = arg_number(&st, format, &i, end);
    if (i >= end) {
      puts_(&p, "%!(NOVERB)");
      break;
    }
    w = tpl_utf8_decode(format + i, end - i, &r);
    verb = r;
    i += (size_t)w;
    if (verb == '%') {
      putc_(&p, '%');
    } else if (!st.good || st.argnum >= nargs) {
      puts_(&p, "%!");
      put_rune(&p, verb);
      puts_(&p, st.good ? "(MISSING)" : "(BADINDEX)");
    } else {
      if (verb == 'v') {
        p.sharp_v = p.sharp;
        p.sharp = 0;
        p.plus_v = p.plus;
        p.plus = 0;
      }
      print_arg(&p, args[st.argnum], verb, 0);
      st.argnum++;
    }
  }
  if (!st.reordered && st.argnum < nargs) {
    int k;
    clear_flags(&p);
    puts_(&p, "%!(EXTRA ");
    for (k = st.argnum; k < nargs; k++) {
      if (k > st.argnum) puts_(&p, ", ");
      if (args[k].kind == TPL_NIL) {
        puts_(&p, "<nil>");
      } else {
        puts_(&p, tpl_type_name(args[k]));
        putc_(&p, '=');
        print_arg(&p, args[k], 'v', 0);
      }
    }
    putc_(&p, ')');
  }
  return p.rc;
}

/* ---- %v, Sprint, Sprintln ----------------------------------------------- */

int tpl_fmt_v(kd_buf *b, tpl_val v)
{
  pp p;
  memset(&p, 0, sizeof p);
  p.b = b;
  print_arg(&p, v, 'v', 0);
  return p.rc;
}

int tpl_sprint(kd_buf *b, const tpl_val *args, int nargs)
{
  pp p;
  int k, prev_string = 0;
  memset(&p, 0, sizeof p);
  p.b = b;
  for (k = 0; k < nargs; k++) {
    int is_string = args[k].kind == TPL_STR && args[k].sub != TPL_STR_BYTES;
    if (k > 0 && !is_string && !prev_string) putc_(&p, ' ');
    print_arg(&p, args[k], 'v', 0);
    prev_string = is_string;
  }
  return p.rc;
}

int tpl_sprintln(kd_buf *b, const tpl_val *args, int nargs)
{
  pp p;
  int k;
  memset(&p, 0, sizeof p);
  p.b = b;
  for (k = 0; k < nargs; k++) {
    if (k > 0) putc_(&p, ' ');
    print_arg(&p, args[k], 'v', 0);
  }
  putc_(&p, '\n');
  return p.rc;
}
