/* engine/tpl/tpl_unicode.c: UTF-8 decoding and Unicode classes with Go's
 * rules (unicode/utf8 and unicode packages). Classes come from PCRE2's
 * Unicode property tables, case mappings from glibc's C.UTF-8 locale;
 * ASCII never reaches either. */
#define _GNU_SOURCE
#include "tpl_int.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <locale.h>
#include <pcre2.h>
#include <pthread.h>
#include <wctype.h>

/* ---- UTF-8 -------------------------------------------------------------- */

int tpl_utf8_decode(const char *str, size_t len, int32_t *r)
{
  const unsigned char *s = (const unsigned char *)str;
  unsigned c = s[0];
  int32_t v;
  size_t n, i;
  unsigned lo = 0x80, hi = 0xBF;   /* allowed range of the second byte */
  if (c < 0x80) {
    *r = (int32_t)c;
    return 1;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    v = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    v = c & 0x0F;
    if (c == 0xE0) lo = 0xA0;        /* overlong */
    if (c == 0xED) hi = 0x9F;        /* surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    v = c & 0x07;
    if (c == 0xF0) lo = 0x90;        /* overlong */
    if (c == 0xF4) hi = 0x8F;        /* beyond U+10FFFF */
  } else {
    goto bad;
  }
  if (len < n) goto bad;
  for (i = 1; i < n; i++) {
    unsigned b = s[i];
    if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) goto bad;
    v = (v << 6) | (int32_t)(b & 0x3F);
  }
  *r = v;
  return (int)n;
bad:
  *r = TPL_RUNE_ERROR;
  return 1;
}

int tpl_utf8_encode(char out[4], int32_t r)
{
  unsigned char *o = (unsigned char *)out;
  uint32_t u = (uint32_t)r;
  if (u < 0x80) {
    o[0] = (unsigned char)u;
    return 1;
  }
  if (u < 0x800) {
    o[0] = (unsigned char)(0xC0 | (u >> 6));
    o[1] = (unsigned char)(0x80 | (u & 0x3F));
    return 2;
  }
  if (u > TPL_MAX_RUNE || (u >= 0xD800 && u <= 0xDFFF)) u = TPL_RUNE_ERROR;
  if (u < 0x10000) {
    o[0] = (unsigned char)(0xE0 | (u >> 12));
    o[1] = (unsigned char)(0x80 | ((u >> 6) & 0x3F));
    o[2] = (unsigned char)(0x80 | (u & 0x3F));
    return 3;
  }
  o[0] = (unsigned char)(0xF0 | (u >> 18));
  o[1] = (unsigned char)(0x80 | ((u >> 12) & 0x3F));
  o[2] = (unsigned char)(0x80 | ((u >> 6) & 0x3F));
  o[3] = (unsigned char)(0x80 | (u & 0x3F));
  return 4;
}

size_t tpl_utf8_count(const char *s, size_t len)
{
  size_t i = 0, n = 0;
  int32_t r;
  while (i < len) {
    if ((unsigned char)s[i] < 0x80) i++;
    else i += (size_t)tpl_utf8_decode(s + i, len - i, &r);
    n++;
  }
  return n;
}

int tpl_utf8_valid(const char *s, size_t len)
{
  size_t i = 0;
  int32_t r;
  while (i < len) {
    int w;
    if ((unsigned char)s[i] < 0x80) {
      i++;
      continue;
    }
    w = tpl_utf8_decode(s + i, len - i, &r);
    if (r == TPL_RUNE_ERROR && w == 1) return 0;
    i += (size_t)w;
  }
  return 1;
}

/* ---- classes ------------------------------------------------------------ */

/* One anchored single-character pattern per class (index = TPL_UC_*). */
static const char *const class_pat[] = {
  "\\p{L}", "\\p{Nd}", "\\p{N}", NULL, "\\p{Lu}", "\\p{Ll}", "\\p{Lt}",
  "\\p{P}", "\\p{S}", "\\p{M}", "\\p{Cc}", "[\\p{L}\\p{M}\\p{N}\\p{P}\\p{S}]",
  "[\\p{L}\\p{M}\\p{N}\\p{P}\\p{S}\\p{Zs}]"};
#define NCLASS (sizeof class_pat / sizeof class_pat[0])

static pcre2_code *class_re[NCLASS];
static locale_t utf8_locale;
static wctrans_t to_title;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_tables(void)
{
  size_t i;
  for (i = 0; i < NCLASS; i++) {
    int e;
    PCRE2_SIZE off;
    if (!class_pat[i]) continue;
    class_re[i] = pcre2_compile((PCRE2_SPTR)class_pat[i], PCRE2_ZERO_TERMINATED,
                                PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED, &e,
                                &off, NULL);
  }
  utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
  if (utf8_locale) to_title = wctrans_l("totitle", utf8_locale);
}

static int is_white_space(int32_t r)
{
  switch (r) {
  case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
  case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
  case 0x202F: case 0x205F: case 0x3000:
    return 1;
  default:
    return r >= 0x2000 && r <= 0x200A;
  }
}

static int ascii_is(int cls, int32_t c)
{
  int upper = c >= 'A' && c <= 'Z', lower = c >= 'a' && c <= 'z';
  int digit = c >= '0' && c <= '9';
  int ctl = c < 0x20 || c == 0x7F;
  int symbol = c == '$' || c == '+' || c == '<' || c == '=' || c == '>' ||
               c == '^' || c == '`' || c == '|' || c == '~';
  int punct = !ctl && c != ' ' && !upper && !lower && !digit && !symbol;
  switch (cls) {
  case TPL_UC_LETTER: return upper || lower;
  case TPL_UC_DIGIT: case TPL_UC_NUMBER: return digit;
  case TPL_UC_SPACE: return is_white_space(c);
  case TPL_UC_UPPER: return upper;
  case TPL_UC_LOWER: return lower;
  case TPL_UC_PUNCT: return punct;
  case TPL_UC_SYMBOL: return symbol;
  case TPL_UC_CONTROL: return ctl;
  case TPL_UC_PRINT: case TPL_UC_GRAPHIC: return !ctl;
  default: return 0;   /* title case, marks */
  }
}

int tpl_uc_is(int cls, int32_t r)
{
  char enc[4];
  int w, rc;
  pcre2_match_data *md;
  if (r < 0x80) return r >= 0 && ascii_is(cls, r);
  if (cls == TPL_UC_SPACE) return is_white_space(r);
  if (cls < 0 || (size_t)cls >= NCLASS || r > TPL_MAX_RUNE ||
      (r >= 0xD800 && r <= 0xDFFF))
    return 0;
  if (cls == TPL_UC_CONTROL) return r >= 0x80 && r <= 0x9F;
  pthread_once(&init_once, init_tables);
  if (!class_re[cls]) return 0;
  w = tpl_utf8_encode(enc, r);
  md = pcre2_match_data_create(1, NULL);
  if (!md) return 0;
  rc = pcre2_match(class_re[cls], (PCRE2_SPTR)enc, (PCRE2_SIZE)w, 0,
                   PCRE2_NO_UTF_CHECK, md, NULL);
  pcre2_match_data_free(md);
  return rc > 0;
}

/* ---- case mapping ------------------------------------------------------- */

static int32_t map_case(int32_t r, int how)
{
  pthread_once(&init_once, init_tables);
  if (!utf8_locale || r > TPL_MAX_RUNE) return r;
  if (how == 'u') return (int32_t)towupper_l((wint_t)r, utf8_locale);
  if (how == 'l') return (int32_t)towlower_l((wint_t)r, utf8_locale);
  if (to_title) return (int32_t)towctrans_l((wint_t)r, to_title, utf8_locale);
  return (int32_t)towupper_l((wint_t)r, utf8_locale);
}

int32_t tpl_uc_upper(int32_t r)
{
  if (r < 0x80) return r >= 'a' && r <= 'z' ? r - 32 : r;
  return map_case(r, 'u');
}

int32_t tpl_uc_lower(int32_t r)
{
  if (r < 0x80) return r >= 'A' && r <= 'Z' ? r + 32 : r;
  return map_case(r, 'l');
}

int32_t tpl_uc_title(int32_t r)
{
  if (r < 0x80) return tpl_uc_upper(r);
  return map_case(r, 't');
}
