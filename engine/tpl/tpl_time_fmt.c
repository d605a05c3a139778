/* engine/tpl/tpl_time_fmt.c: Go's layout language (Time.Format and
 * time.ParseInLocation, following nextStdChunk's tokens), time.Duration's
 * String and time.ParseDuration, with Go's error texts. */
#include "tpl_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
  S_NONE, S_LONG_MONTH, S_MONTH, S_NUM_MONTH, S_ZERO_MONTH, S_LONG_WDAY,
  S_WDAY, S_DAY, S_UNDER_DAY, S_ZERO_DAY, S_UNDER_YDAY, S_ZERO_YDAY,
  S_HOUR, S_HOUR12, S_ZERO_HOUR12, S_MIN, S_ZERO_MIN, S_SEC, S_ZERO_SEC,
  S_LONG_YEAR, S_YEAR, S_PM, S_pm, S_TZ, S_ISO_SEC_TZ, S_ISO_TZ,
  S_ISO_COLON_SEC_TZ, S_ISO_COLON_TZ, S_ISO_SHORT_TZ, S_NUM_SEC_TZ, S_NUM_TZ,
  S_NUM_COLON_SEC_TZ, S_NUM_COLON_TZ, S_NUM_SHORT_TZ, S_FRAC0, S_FRAC9
};

typedef struct {
  size_t prefix;   /* literal bytes before the token */
  int std;
  size_t len;      /* the token's length */
  int digits;      /* fractions: how many */
  char sep;        /* fractions: '.' or ',' */
} chunk;

static const char *const long_months[] = {
  "January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December"};
static const char *const long_days[] = {
  "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

static int lower_at(const char *s, size_t n, size_t i)
{
  return i < n && s[i] >= 'a' && s[i] <= 'z';
}

static int digit_at(const char *s, size_t n, size_t i)
{
  return i < n && s[i] >= '0' && s[i] <= '9';
}

static int has(const char *s, size_t n, size_t i, const char *w)
{
  size_t k = strlen(w);
  return n - i >= k && memcmp(s + i, w, k) == 0;
}

/* Go's nextStdChunk */
static chunk next_chunk(const char *l, size_t n)
{
  chunk c = {0, S_NONE, 0, 0, 0};
  size_t i;
  for (i = 0; i < n; i++) {
    int std = S_NONE;
    size_t len = 0;
    switch (l[i]) {
    case 'J':
      if (has(l, n, i, "January")) std = S_LONG_MONTH, len = 7;
      else if (has(l, n, i, "Jan") && !lower_at(l, n, i + 3)) std = S_MONTH, len = 3;
      break;
    case 'M':
      if (has(l, n, i, "Monday")) std = S_LONG_WDAY, len = 6;
      else if (has(l, n, i, "Mon") && !lower_at(l, n, i + 3)) std = S_WDAY, len = 3;
      else if (has(l, n, i, "MST")) std = S_TZ, len = 3;
      break;
    case '0':
      if (i + 1 < n && l[i + 1] >= '1' && l[i + 1] <= '6') {
        static const int z[] = {S_ZERO_MONTH, S_ZERO_DAY, S_ZERO_HOUR12,
                                S_ZERO_MIN, S_ZERO_SEC, S_YEAR};
        std = z[l[i + 1] - '1'];
        len = 2;
      } else if (has(l, n, i, "002")) {
        std = S_ZERO_YDAY, len = 3;
      }
      break;
    case '1':
      if (i + 1 < n && l[i + 1] == '5') std = S_HOUR, len = 2;
      else std = S_NUM_MONTH, len = 1;
      break;
    case '2':
      if (has(l, n, i, "2006")) std = S_LONG_YEAR, len = 4;
      else std = S_DAY, len = 1;
      break;
    case '_':
      if (i + 1 < n && l[i + 1] == '2') {
        if (has(l, n, i + 1, "2006")) {   /* a literal _ then the year */
          c.prefix = i + 1;
          c.std = S_LONG_YEAR;
          c.len = 4;
          return c;
        }
        std = S_UNDER_DAY, len = 2;
      } else if (has(l, n, i, "__2")) {
        std = S_UNDER_YDAY, len = 3;
      }
      break;
    case '3': std = S_HOUR12, len = 1; break;
    case '4': std = S_MIN, len = 1; break;
    case '5': std = S_SEC, len = 1; break;
    case 'P': if (has(l, n, i, "PM")) std = S_PM, len = 2; break;
    case 'p': if (has(l, n, i, "pm")) std = S_pm, len = 2; break;
    case '-':
      if (has(l, n, i, "-070000")) std = S_NUM_SEC_TZ, len = 7;
      else if (has(l, n, i, "-07:00:00")) std = S_NUM_COLON_SEC_TZ, len = 9;
      else if (has(l, n, i, "-0700")) std = S_NUM_TZ, len = 5;
      else if (has(l, n, i, "-07:00")) std = S_NUM_COLON_TZ, len = 6;
      else if (has(l, n, i, "-07")) std = S_NUM_SHORT_TZ, len = 3;
      break;
    case 'Z':
      if (has(l, n, i, "Z070000")) std = S_ISO_SEC_TZ, len = 7;
      else if (has(l, n, i, "Z07:00:00")) std = S_ISO_COLON_SEC_TZ, len = 9;
      else if (has(l, n, i, "Z0700")) std = S_ISO_TZ, len = 5;
      else if (has(l, n, i, "Z07:00")) std = S_ISO_COLON_TZ, len = 6;
      else if (has(l, n, i, "Z07")) std = S_ISO_SHORT_TZ, len = 3;
      break;
    case '.': case ',':
      if (i + 1 < n && (l[i + 1] == '0' || l[i + 1] == '9')) {
        char ch = l[i + 1];
        size_t j = i + 1;
        while (j < n && l[j] == ch) j++;
        if (!digit_at(l, n, j)) {
          c.prefix = i;
          c.std = ch == '0' ? S_FRAC0 : S_FRAC9;
          c.len = j - i;
          c.digits = (int)(j - i - 1);
          c.sep = l[i];
          return c;
        }
      }
      break;
    default: break;
    }
    if (std != S_NONE) {
      c.prefix = i;
      c.std = std;
      c.len = len;
      return c;
    }
  }
  c.prefix = n;
  return c;
}

static int add_int(kd_buf *b, int64_t v, int width)
{
  char tmp[32];
  int neg = v < 0, n;
  uint64_t u = neg ? 0 - (uint64_t)v : (uint64_t)v;
  n = snprintf(tmp, sizeof tmp, "%0*llu", width, (unsigned long long)u);
  if (neg && kd_buf_addc(b, '-')) return KD_ENOMEM;
  return kd_buf_add(b, tmp, (size_t)n);
}

static int add_zone(kd_buf *b, int std, int32_t offset)
{
  int32_t zone, abs_off = offset;
  int rc = KD_OK;
  int iso = std == S_ISO_TZ || std == S_ISO_COLON_TZ || std == S_ISO_SEC_TZ ||
            std == S_ISO_SHORT_TZ || std == S_ISO_COLON_SEC_TZ;
  if (offset == 0 && iso) return kd_buf_addc(b, 'Z');
  zone = offset / 60;
  if (zone < 0) {
    rc |= kd_buf_addc(b, '-');
    zone = -zone;
    abs_off = -abs_off;
  } else {
    rc |= kd_buf_addc(b, '+');
  }
  rc |= add_int(b, zone / 60, 2);
  if (std == S_ISO_COLON_TZ || std == S_NUM_COLON_TZ || std == S_ISO_COLON_SEC_TZ ||
      std == S_NUM_COLON_SEC_TZ)
    rc |= kd_buf_addc(b, ':');
  if (std != S_NUM_SHORT_TZ && std != S_ISO_SHORT_TZ) rc |= add_int(b, zone % 60, 2);
  if (std == S_ISO_SEC_TZ || std == S_NUM_SEC_TZ || std == S_NUM_COLON_SEC_TZ ||
      std == S_ISO_COLON_SEC_TZ) {
    if (std == S_NUM_COLON_SEC_TZ || std == S_ISO_COLON_SEC_TZ) rc |= kd_buf_addc(b, ':');
    rc |= add_int(b, abs_off % 60, 2);
  }
  return rc ? KD_ENOMEM : KD_OK;
}

/* appendNano: DIGITS of the nanoseconds; FRAC9 drops trailing zeros */
static int add_nano(kd_buf *b, int32_t ns, const chunk *c)
{
  char d[10];
  int n = c->digits > 9 ? 9 : c->digits;
  snprintf(d, sizeof d, "%09d", (int)ns);
  if (c->std == S_FRAC9) {
    while (n > 0 && d[n - 1] == '0') n--;
    if (n == 0) return KD_OK;
  }
  if (kd_buf_addc(b, c->sep)) return KD_ENOMEM;
  return kd_buf_add(b, d, (size_t)n);
}

int tpl_time_format(const tpl_time *t, const char *l, size_t n, kd_buf *b)
{
  tpl_civil cv;
  int rc = KD_OK;
  tpl_time_civil(t, &cv);
  while (rc == KD_OK) {
    chunk c = next_chunk(l, n);
    int h12 = cv.hour % 12 ? cv.hour % 12 : 12;
    rc |= kd_buf_add(b, l, c.prefix);
    if (c.std == S_NONE) break;
    switch (c.std) {
    case S_YEAR: rc |= add_int(b, ((cv.year % 100) + 100) % 100, 2); break;
    case S_LONG_YEAR: rc |= add_int(b, cv.year, 4); break;
    case S_MONTH: rc |= kd_buf_add(b, long_months[cv.month - 1], 3); break;
    case S_LONG_MONTH: rc |= kd_buf_adds(b, long_months[cv.month - 1]); break;
    case S_NUM_MONTH: rc |= add_int(b, cv.month, 0); break;
    case S_ZERO_MONTH: rc |= add_int(b, cv.month, 2); break;
    case S_WDAY: rc |= kd_buf_add(b, long_days[cv.wday], 3); break;
    case S_LONG_WDAY: rc |= kd_buf_adds(b, long_days[cv.wday]); break;
    case S_DAY: rc |= add_int(b, cv.day, 0); break;
    case S_UNDER_DAY:
      if (cv.day < 10) rc |= kd_buf_addc(b, ' ');
      rc |= add_int(b, cv.day, 0);
      break;
    case S_ZERO_DAY: rc |= add_int(b, cv.day, 2); break;
    case S_UNDER_YDAY:
      if (cv.yday < 100) rc |= kd_buf_addc(b, ' ');
      if (cv.yday < 10) rc |= kd_buf_addc(b, ' ');
      rc |= add_int(b, cv.yday, 0);
      break;
    case S_ZERO_YDAY: rc |= add_int(b, cv.yday, 3); break;
    case S_HOUR: rc |= add_int(b, cv.hour, 2); break;
    case S_HOUR12: rc |= add_int(b, h12, 0); break;
    case S_ZERO_HOUR12: rc |= add_int(b, h12, 2); break;
    case S_MIN: rc |= add_int(b, cv.min, 0); break;
    case S_ZERO_MIN: rc |= add_int(b, cv.min, 2); break;
    case S_SEC: rc |= add_int(b, cv.sec, 0); break;
    case S_ZERO_SEC: rc |= add_int(b, cv.sec, 2); break;
    case S_PM: rc |= kd_buf_adds(b, cv.hour >= 12 ? "PM" : "AM"); break;
    case S_pm: rc |= kd_buf_adds(b, cv.hour >= 12 ? "pm" : "am"); break;
    case S_TZ:
      if (t->abbr[0]) {
        rc |= kd_buf_adds(b, t->abbr);
      } else {   /* no name: -0700 */
        int32_t z = t->offset / 60;
        rc |= kd_buf_addc(b, z < 0 ? '-' : '+');
        if (z < 0) z = -z;
        rc |= add_int(b, z / 60, 2) | add_int(b, z % 60, 2);
      }
      break;
    case S_FRAC0: case S_FRAC9: rc |= add_nano(b, t->nsec, &c); break;
    default: rc |= add_zone(b, c.std, t->offset); break;
    }
    l += c.prefix + c.len;
    n -= c.prefix + c.len;
  }
  return rc ? KD_ENOMEM : KD_OK;
}

/* ---- quoting and durations ---------------------------------------------- */

/* time's quote(): "..." with \xNN for bytes that are not printable ASCII */
static int go_time_quote(kd_buf *b, const char *s, size_t n)
{
  static const char hex[] = "0123456789abcdef";
  size_t i;
  int rc = kd_buf_addc(b, '"');
  for (i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch >= 0x80 || ch < ' ') {
      char e[4] = {'\\', 'x', hex[ch >> 4], hex[ch & 15]};
      rc |= kd_buf_add(b, e, 4);
    } else {
      if (ch == '"' || ch == '\\') rc |= kd_buf_addc(b, '\\');
      rc |= kd_buf_addc(b, (char)ch);
    }
  }
  return rc | kd_buf_addc(b, '"');
}

/* fmtFrac: ".ddd" of V's last PREC digits, trailing zeros dropped */
static void frac(char *buf, int *w, uint64_t *v, int prec)
{
  int print = 0, i;
  for (i = 0; i < prec; i++) {
    int digit = (int)(*v % 10);
    print = print || digit != 0;
    if (print) buf[--*w] = (char)('0' + digit);
    *v /= 10;
  }
  if (print) buf[--*w] = '.';
}

static void fmt_int(char *buf, int *w, uint64_t v)
{
  if (v == 0) buf[--*w] = '0';
  while (v > 0) {
    buf[--*w] = (char)('0' + v % 10);
    v /= 10;
  }
}

int tpl_duration_string(int64_t d, kd_buf *b)
{
  char buf[40];
  int w = (int)sizeof buf;
  uint64_t u = d < 0 ? 0 - (uint64_t)d : (uint64_t)d;
  if (u < 1000000000ULL) {
    int prec = 0;
    buf[--w] = 's';
    if (u == 0) return kd_buf_adds(b, "0s");
    if (u < 1000ULL) buf[--w] = 'n';
    else if (u < 1000000ULL) prec = 3, w -= 2, memcpy(buf + w, "\xc2\xb5", 2);
    else prec = 6, buf[--w] = 'm';
    frac(buf, &w, &u, prec);
    fmt_int(buf, &w, u);
  } else {
    buf[--w] = 's';
    frac(buf, &w, &u, 9);
    fmt_int(buf, &w, u % 60);
    u /= 60;
    if (u > 0) {
      buf[--w] = 'm';
      fmt_int(buf, &w, u % 60);
      u /= 60;
      if (u > 0) {
        buf[--w] = 'h';
        fmt_int(buf, &w, u);
      }
    }
  }
  if (d < 0) buf[--w] = '-';
  return kd_buf_add(b, buf + w, sizeof buf - (size_t)w);
}

static int bad_duration(kd_buf *msg, const char *what, const char *s, size_t n)
{
  kd_buf_adds(msg, what);
  go_time_quote(msg, s, n);
  return KD_EPARSE;
}

int tpl_duration_parse(const char *s0, size_t n0, int64_t *out, kd_buf *msg)
{
  static const struct { const char *u; uint64_t v; } units[] = {
    {"ns", 1}, {"us", 1000}, {"\xc2\xb5s", 1000}, {"\xce\xbcs", 1000},
    {"ms", 1000000}, {"s", 1000000000ULL}, {"m", 60000000000ULL},
    {"h", 3600000000000ULL}};
  const char *s = s0;
  size_t n = n0;
  uint64_t d = 0;
  int neg = 0;
  *out = 0;
  if (n && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s++;
    n--;
  }
  if (n == 1 && s[0] == '0') return KD_OK;
  if (n == 0) return bad_duration(msg, "time: invalid duration ", s0, n0);
  while (n) {
    uint64_t v = 0, f = 0, unit = 0;
    double scale = 1;
    size_t i, k;
    int pre = 0, post = 0, overflow = 0;
    if (!(s[0] == '.' || (s[0] >= '0' && s[0] <= '9')))
      return bad_duration(msg, "time: invalid duration ", s0, n0);
    for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
      if (v > (1ULL << 63) / 10) overflow = 1;
      v = v * 10 + (uint64_t)(s[i] - '0');
      if (v > 1ULL << 63) overflow = 1;
      pre = 1;
    }
    if (overflow) return bad_duration(msg, "time: invalid duration ", s0, n0);
    s += i;
    n -= i;
    if (n && s[0] == '.') {
      int stop = 0;
      s++;
      n--;
      for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        post = 1;
        if (stop) continue;
        if (f > (UINT64_MAX / 2 - 9) / 10) { stop = 1; continue; }
        f = f * 10 + (uint64_t)(s[i] - '0');
        scale *= 10;
      }
      s += i;
      n -= i;
    }
    if (!pre && !post) return bad_duration(msg, "time: invalid duration ", s0, n0);
    for (i = 0; i < n && s[i] != '.' && !(s[i] >= '0' && s[i] <= '9'); i++) {}
    if (i == 0) return bad_duration(msg, "time: missing unit in duration ", s0, n0);
    for (k = 0; k < sizeof units / sizeof *units; k++)
      if (strlen(units[k].u) == i && memcmp(units[k].u, s, i) == 0) unit = units[k].v;
    if (!unit) {
      kd_buf_adds(msg, "time: unknown unit ");
      go_time_quote(msg, s, i);
      kd_buf_adds(msg, " in duration ");
      go_time_quote(msg, s0, n0);
      return KD_EPARSE;
    }
    s += i;
    n -= i;
    if (v > (1ULL << 63) / unit) return bad_duration(msg, "time: invalid duration ", s0, n0);
    v *= unit;
    if (f > 0) {
      v += (uint64_t)((double)f * ((double)unit / scale));
      if (v > 1ULL << 63) return bad_duration(msg, "time: invalid duration ", s0, n0);
    }
    d += v;
    if (d > 1ULL << 63) return bad_duration(msg, "time: invalid duration ", s0, n0);
  }
  if (neg) {
    *out = (int64_t)(0 - d);
    return KD_OK;
  }
  if (d > (1ULL << 63) - 1) return bad_duration(msg, "time: invalid duration ", s0, n0);
  *out = (int64_t)d;
  return KD_OK;
}

/* ---- parsing ------------------------------------------------------------ */

typedef struct {
  const char *layout, *value;
  size_t llen, vlen;
  kd_buf *msg;
} pctx;

static int parse_error(pctx *p, const char *lelem, size_t ln, const char *velem,
                       size_t vn, const char *message)
{
  kd_buf *m = p->msg;
  kd_buf_adds(m, "parsing time ");
  go_time_quote(m, p->value, p->vlen);
  if (message) {
    kd_buf_adds(m, message);
    return KD_EPARSE;
  }
  kd_buf_adds(m, " as ");
  go_time_quote(m, p->layout, p->llen);
  kd_buf_adds(m, ": cannot parse ");
  go_time_quote(m, velem, vn);
  kd_buf_adds(m, " as ");
  go_time_quote(m, lelem, ln);
  return KD_EPARSE;
}

/* getnum: one or two digits (FIXED: exactly two) */
static int getnum(const char **v, size_t *n, int fixed, int *out)
{
  if (!digit_at(*v, *n, 0)) return 0;
  if (!digit_at(*v, *n, 1)) {
    if (fixed) return 0;
    *out = (*v)[0] - '0';
    (*v)++, (*n)--;
    return 1;
  }
  *out = ((*v)[0] - '0') * 10 + ((*v)[1] - '0');
  *v += 2, *n -= 2;
  return 1;
}

static int getnum3(const char **v, size_t *n, int fixed, int *out)
{
  int k = 0, x = 0;
  while (k < 3 && digit_at(*v, *n, (size_t)k)) x = x * 10 + ((*v)[k++] - '0');
  if (k == 0 || (fixed && k != 3)) return 0;
  *out = x;
  *v += k, *n -= (size_t)k;
  return 1;
}

static int lookup_name(const char **v, size_t *n, const char *const *tab, int cnt, int short3)
{
  int i;
  for (i = 0; i < cnt; i++) {
    size_t k = short3 ? 3 : strlen(tab[i]), j;
    if (*n < k) continue;
    for (j = 0; j < k; j++) {
      char a = (*v)[j], b = tab[i][j];
      if (a >= 'A' && a <= 'Z') a = (char)(a | 0x20);
      if (b >= 'A' && b <= 'Z') b = (char)(b | 0x20);
      if (a != b) break;
    }
    if (j == k) {
      *v += k, *n -= k;
      return i;
    }
  }
  return -1;
}

/* skip(): the literal PREFIX, spaces matching any run of spaces */
static int skip_prefix(const char **v, size_t *n, const char *pre, size_t pn)
{
  while (pn) {
    if (*pre == ' ') {
      if (*n && **v != ' ') return 0;
      while (pn && *pre == ' ') pre++, pn--;
      while (*n && **v == ' ') (*v)++, (*n)--;
      continue;
    }
    if (!*n || **v != *pre) return 0;
    pre++, pn--;
    (*v)++, (*n)--;
  }
  return 1;
}

static int tz_name_len(const char *v, size_t n)
{
  size_t up = 0;
  if (n < 3) return 0;
  if (n >= 4 && (has(v, n, 0, "ChST") || has(v, n, 0, "MeST"))) return 4;
  if (has(v, n, 0, "GMT")) {
    size_t k = 3;
    if (k < n && (v[k] == '+' || v[k] == '-')) {
      size_t j = k + 1;
      int x = 0;
      while (j < n && v[j] >= '0' && v[j] <= '9') x = x * 10 + (v[j++] - '0');
      if (j > k + 1 && x <= 23) k = j;
    }
    return (int)k;
  }
  while (up < 6 && up < n && v[up] >= 'A' && v[up] <= 'Z') up++;
  if (up == 3) return 3;
  if (up == 4 && (v[3] == 'T' || has(v, n, 0, "WITA"))) return 4;
  if (up == 5 && v[4] == 'T') return 5;
  return 0;
}


static int days_in(int m, int64_t y)
{
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : d[m - 1];
}

/* Date(y, m, d, h, mi, s, ns, LOC) */
static void make_time(int64_t y, int m, int d, int h, int mi, int s, int ns,
                      tpl_zone *loc, tpl_time *t)
{
  int64_t local = tpl_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + s;
  tpl_time probe;
  int32_t off;
  memset(&probe, 0, sizeof probe);
  probe.sec = local;
  tpl_time_in(&probe, loc);
  off = probe.offset;
  probe.sec = local - off;
  tpl_time_in(&probe, loc);
  if (probe.offset != off) probe.sec = local - probe.offset;
  memset(t, 0, sizeof *t);
  t->sec = probe.sec;
  t->nsec = ns;
  tpl_time_in(t, loc);
  tpl_zone_unref(probe.zone);
}

int tpl_time_parse(const char *layout, size_t llen, const char *value,
                   size_t vlen, tpl_zone *loc, tpl_time *t, kd_buf *msg)
{
  pctx p = {layout, value, llen, vlen, msg};
  const char *l = layout, *v = value;
  size_t ln = llen, vn = vlen;
  int64_t year = 0;
  int month = -1, day = -1, yday = -1, hour = 0, min = 0, sec = 0, nsec = 0;
  int am = 0, pm = 0, utc = 0;
  int32_t zoff = -1;
  const char *zname = NULL;
  size_t zn = 0;
  memset(t, 0, sizeof *t);
  for (;;) {
    chunk c = next_chunk(l, ln);
    const char *stdstr = l + c.prefix, *hold;
    size_t hold_n;
    const char *range = NULL;
    int ok = 1;
    if (!skip_prefix(&v, &vn, l, c.prefix))
      return parse_error(&p, l, c.prefix, v, vn, NULL);
    if (c.std == S_NONE) {
      if (vn) {
        kd_buf_adds(msg, "parsing time ");
        go_time_quote(msg, value, vlen);
        kd_buf_adds(msg, ": extra text: ");
        go_time_quote(msg, v, vn);
        return KD_EPARSE;
      }
      break;
    }
    l += c.prefix + c.len;
    ln -= c.prefix + c.len;
    hold = v;
    hold_n = vn;
    switch (c.std) {
    case S_YEAR:
      if (vn < 2 || !digit_at(v, vn, 0) || !digit_at(v, vn, 1)) { ok = 0; break; }
      year = (v[0] - '0') * 10 + (v[1] - '0');
      year += year >= 69 ? 1900 : 2000;
      v += 2, vn -= 2;
      break;
    case S_LONG_YEAR: {
      int k;
      if (vn < 4 || !digit_at(v, vn, 0)) { ok = 0; break; }
      for (k = 0, year = 0; k < 4; k++) {
        if (!digit_at(v, vn, (size_t)k)) ok = 0;
        year = year * 10 + (v[k] - '0');
      }
      if (ok) v += 4, vn -= 4;
      break;
    }
    case S_MONTH: case S_LONG_MONTH:
      month = lookup_name(&v, &vn, long_months, 12, c.std == S_MONTH) + 1;
      ok = month > 0;
      break;
    case S_NUM_MONTH: case S_ZERO_MONTH:
      ok = getnum(&v, &vn, c.std == S_ZERO_MONTH, &month);
      if (ok && (month <= 0 || month > 12)) range = "month";
      break;
    case S_WDAY: case S_LONG_WDAY:
      ok = lookup_name(&v, &vn, long_days, 7, c.std == S_WDAY) >= 0;
      break;
    case S_DAY: case S_UNDER_DAY: case S_ZERO_DAY:
      if (c.std == S_UNDER_DAY && vn && v[0] == ' ') v++, vn--;
      ok = getnum(&v, &vn, c.std == S_ZERO_DAY, &day);
      break;
    case S_UNDER_YDAY: case S_ZERO_YDAY: {
      int k;
      for (k = 0; k < 2; k++)
        if (c.std == S_UNDER_YDAY && vn && v[0] == ' ') v++, vn--;
      ok = getnum3(&v, &vn, c.std == S_ZERO_YDAY, &yday);
      break;
    }
    case S_HOUR:
      ok = getnum(&v, &vn, 0, &hour);
      if (hour < 0 || hour >= 24) range = "hour";
      break;
    case S_HOUR12: case S_ZERO_HOUR12:
      ok = getnum(&v, &vn, c.std == S_ZERO_HOUR12, &hour);
      if (hour < 0 || hour > 12) range = "hour";
      break;
    case S_MIN: case S_ZERO_MIN:
      ok = getnum(&v, &vn, c.std == S_ZERO_MIN, &min);
      if (min < 0 || min >= 60) range = "minute";
      break;
    case S_SEC: case S_ZERO_SEC:
      ok = getnum(&v, &vn, c.std == S_ZERO_SEC, &sec);
      if (!ok) break;
      if (sec < 0 || sec >= 60) { range = "second"; break; }
      if (vn >= 2 && (v[0] == '.' || v[0] == ',') && digit_at(v, vn, 1)) {
        chunk nx = next_chunk(l, ln);
        size_t k = 2, d;
        if (nx.std == S_FRAC0 || nx.std == S_FRAC9) break;
        while (k < vn && digit_at(v, vn, k)) k++;
        for (d = 1, nsec = 0; d < 10; d++) nsec = nsec * 10 + (d < k ? v[d] - '0' : 0);
        v += k, vn -= k;
      }
      break;
    case S_PM: case S_pm:
      if (vn < 2) { ok = 0; break; }
      if (has(v, vn, 0, c.std == S_PM ? "PM" : "pm")) pm = 1;
      else if (has(v, vn, 0, c.std == S_PM ? "AM" : "am")) am = 1;
      else ok = 0;
      if (ok) v += 2, vn -= 2;
      break;
    case S_TZ: {
      int k;
      if (has(v, vn, 0, "UTC")) {
        utc = 1;
        v += 3, vn -= 3;
        break;
      }
      if (!(k = tz_name_len(v, vn))) { ok = 0; break; }
      zname = v;
      zn = (size_t)k;
      v += k, vn -= (size_t)k;
      break;
    }
    case S_FRAC0: {
      size_t nd = 1 + (size_t)c.digits, d;
      if (vn < nd || (v[0] != '.' && v[0] != ',')) { ok = 0; break; }
      for (d = 1, nsec = 0; d < 10; d++) {
        if (d < nd && !digit_at(v, vn, d)) ok = 0;
        nsec = nsec * 10 + (d < nd && ok ? v[d] - '0' : 0);
      }
      if (ok) v += nd, vn -= nd;
      break;
    }
    case S_FRAC9: {
      size_t k = 0, d;
      if (vn < 2 || (v[0] != '.' && v[0] != ',') || !digit_at(v, vn, 1)) break;
      while (k + 1 < vn && digit_at(v, vn, k + 1)) k++;
      for (d = 1, nsec = 0; d < 10; d++) nsec = nsec * 10 + (d <= k ? v[d] - '0' : 0);
      v += 1 + k, vn -= 1 + k;
      break;
    }
    default: {   /* numeric zones */
      int iso = c.std == S_ISO_TZ || c.std == S_ISO_COLON_TZ || c.std == S_ISO_SEC_TZ ||
                c.std == S_ISO_SHORT_TZ || c.std == S_ISO_COLON_SEC_TZ;
      char hh[2], mm[2] = {'0', '0'}, ss[2] = {'0', '0'}, sign;
      size_t used;
      int h, m2, s2;
      const char *q;
      size_t qn = 2;
      if (iso && vn && v[0] == 'Z') {
        utc = 1;
        v++, vn--;
        break;
      }
      if (c.std == S_ISO_COLON_TZ || c.std == S_NUM_COLON_TZ) {
        if (vn < 6 || v[3] != ':') { ok = 0; break; }
        memcpy(mm, v + 4, 2);
        used = 6;
      } else if (c.std == S_NUM_SHORT_TZ || c.std == S_ISO_SHORT_TZ) {
        if (vn < 3) { ok = 0; break; }
        used = 3;
      } else if (c.std == S_ISO_COLON_SEC_TZ || c.std == S_NUM_COLON_SEC_TZ) {
        if (vn < 9 || v[3] != ':' || v[6] != ':') { ok = 0; break; }
        memcpy(mm, v + 4, 2);
        memcpy(ss, v + 7, 2);
        used = 9;
      } else if (c.std == S_ISO_SEC_TZ || c.std == S_NUM_SEC_TZ) {
        if (vn < 7) { ok = 0; break; }
        memcpy(mm, v + 3, 2);
        memcpy(ss, v + 5, 2);
        used = 7;
      } else {
        if (vn < 5) { ok = 0; break; }
        memcpy(mm, v + 3, 2);
        used = 5;
      }
      sign = v[0];
      memcpy(hh, v + 1, 2);
      q = hh;
      ok = getnum(&q, &qn, 1, &h);
      q = mm, qn = 2;
      if (ok) ok = getnum(&q, &qn, 1, &m2);
      q = ss, qn = 2;
      if (ok) ok = getnum(&q, &qn, 1, &s2);
      if (!ok) break;
      if (h > 24) range = "time zone offset hour";
      if (m2 > 60) range = "time zone offset minute";
      if (s2 > 60) range = "time zone offset second";
      zoff = (h * 60 + m2) * 60 + s2;
      if (sign == '-') zoff = -zoff;
      else if (sign != '+') ok = 0;
      v += used, vn -= used;
      break;
    }
    }
    if (range) {
      char m[64];
      snprintf(m, sizeof m, ": %s out of range", range);
      return parse_error(&p, NULL, 0, NULL, 0, m);
    }
    if (!ok) return parse_error(&p, stdstr, c.len, hold, hold_n, NULL);
  }
  if (pm && hour < 12) hour += 12;
  else if (am && hour == 12) hour = 0;
  if (yday >= 0) {
    static const int before[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365};
    int m = 0, d = 0, leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (leap) {
      if (yday == 60) m = 2, d = 29;
      else if (yday > 60) yday--;
    }
    if (yday < 1 || yday > 365) return parse_error(&p, NULL, 0, NULL, 0, ": day-of-year out of range");
    if (m == 0) {
      m = (yday - 1) / 31 + 1;
      if (before[m] < yday) m++;
      d = yday - before[m - 1];
    }
    if (month >= 0 && month != m)
      return parse_error(&p, NULL, 0, NULL, 0, ": day-of-year does not match month");
    month = m;
    if (day >= 0 && day != d)
      return parse_error(&p, NULL, 0, NULL, 0, ": day-of-year does not match day");
    day = d;
  } else {
    if (month < 0) month = 1;
    if (day < 0) day = 1;
  }
  if (day < 1 || day > days_in(month, year))
    return parse_error(&p, NULL, 0, NULL, 0, ": day out of range");
  if (utc) {
    make_time(year, month, day, hour, min, sec, nsec, tpl_zone_utc(), t);
  } else if (zoff != -1 || zname) {
    tpl_time u;
    tpl_zone *fz;
    make_time(year, month, day, hour, min, sec, nsec, tpl_zone_utc(), &u);
    if (zoff != -1) {
      tpl_time probe = u;
      probe.zone = NULL;
      probe.sec -= zoff;
      tpl_time_in(&probe, loc);
      if (probe.offset == zoff && (!zname || (strlen(probe.abbr) == zn &&
                                              memcmp(probe.abbr, zname, zn) == 0))) {
        *t = probe;
        return KD_OK;
      }
      tpl_zone_unref(probe.zone);
      u.sec -= zoff;
      fz = tpl_zone_fixed(zname ? zname : "", zname ? zn : 0, zoff);
    } else {   /* a name only: Local's offset for it, else unknown (0) */
      tpl_time probe = u;
      int32_t off = 0;
      probe.zone = NULL;
      tpl_time_in(&probe, loc);
      if (strlen(probe.abbr) == zn && memcmp(probe.abbr, zname, zn) == 0) {
        probe.sec -= probe.offset;
        tpl_time_in(&probe, loc);
        *t = probe;
        return KD_OK;
      }
      tpl_zone_unref(probe.zone);
      if (zn > 3 && has(zname, zn, 0, "GMT")) off = (int32_t)atoi(zname + 3) * 3600;
      fz = tpl_zone_fixed(zname, zn, off);
    }
    if (!fz) return KD_ENOMEM;
    *t = u;
    t->zone = NULL;
    tpl_time_in(t, fz);
    tpl_zone_unref(fz);
  } else {
    make_time(year, month, day, hour, min, sec, nsec, loc, t);
  }
  return KD_OK;
}
