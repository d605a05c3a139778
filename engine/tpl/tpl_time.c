/* engine/tpl/tpl_time.c: Go's time package as templates see it: civil
 * dates, zones from the system's tzdata (TZif files and their POSIX TZ
 * footer rules, as Go's LoadLocation reads them), Time.Format with Go's
 * reference-time layouts, time.Parse, Duration.String and ParseDuration. */
#include "tpl_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- civil dates -------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* days since 1970-01-01 of Y-M-D (proleptic Gregorian) */
int64_t tpl_days_from_civil(int64_t y, int m, int d)
{
  int64_t era, yoe, doy, doe;
  y -= m <= 2;
  era = floor_div(y, 400);
  yoe = y - era * 400;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
  int64_t era, doe, yoe, doy, mp;
  z += 719468;
  era = floor_div(z, 146097);
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

void tpl_time_civil(const tpl_time *t, tpl_civil *c)
{
  int64_t local = t->sec + t->offset, days = floor_div(local, 86400);
  int64_t secs = local - days * 86400;
  civil_from_days(days, &c->year, &c->month, &c->day);
  c->hour = (int)(secs / 3600);
  c->min = (int)(secs / 60 % 60);
  c->sec = (int)(secs % 60);
  c->wday = (int)((days % 7 + 11) % 7);   /* 1970-01-01 was a Thursday */
  c->yday = (int)(days - tpl_days_from_civil(c->year, 1, 1)) + 1;
}

/* ---- zones ---------------------------------------------------------------- */

typedef struct {
  int32_t off;
  int dst;
  char abbr[16];
} ztype;

/* a POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3") */
typedef struct {
  int ok, has_dst;
  ztype std, dst;
  struct { char kind; int a, b, c; int32_t time; } start, end;
} zrule;

struct tpl_zone {
  int refs;
  char name[64];
  int64_t *trans;
  unsigned char *idx;
  size_t ntrans;
  ztype *types;
  size_t ntypes;
  zrule rule;
};

static tpl_zone utc_zone = {1, "UTC", NULL, NULL, 0, NULL, 0,
                            {0, 0, {0, 0, "UTC"}, {0, 0, ""}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}}};

tpl_zone *tpl_zone_utc(void) { return &utc_zone; }

tpl_zone *tpl_zone_ref(tpl_zone *z)
{
  if (z && z != &utc_zone) z->refs++;
  return z;
}

void tpl_zone_unref(tpl_zone *z)
{
  if (!z || z == &utc_zone || --z->refs > 0) return;
  free(z->trans);
  free(z->idx);
  free(z->types);
  free(z);
}

const char *tpl_zone_name(const tpl_zone *z) { return z->name; }

/* parses a POSIX TZ name at *P (letters, or <...>) */
static int rule_name(const char **p, char *out, size_t cap)
{
  const char *s = *p;
  size_t n = 0;
  if (*s == '<') {
    const char *e = strchr(s, '>');
    if (!e) return 0;
    n = (size_t)(e - s - 1);
    if (n >= cap) return 0;
    memcpy(out, s + 1, n);
    *p = e + 1;
  } else {
    while ((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z')) n++;
    if (n < 3 || n >= cap) return 0;
    memcpy(out, s, n);
    *p = s + n;
  }
  out[n] = 0;
  return 1;
}

/* [+-]hh[:mm[:ss]] at *P in seconds */
static int rule_offset(const char **p, int32_t *out)
{
  const char *s = *p;
  int sign = 1, part = 0;
  int32_t v = 0;
  if (*s == '+' || *s == '-') sign = *s++ == '-' ? -1 : 1;
  if (*s < '0' || *s > '9') return 0;
  while (part < 3) {
    int32_t n = 0;
    if (*s < '0' || *s > '9') return 0;
    while (*s >= '0' && *s <= '9') n = n * 10 + (*s++ - '0');
    v += n * (part == 0 ? 3600 : part == 1 ? 60 : 1);
    part++;
    if (*s != ':') break;
    s++;
  }
  *p = s;
  *out = sign * v;
  return 1;
}

static int rule_date(const char **p, zrule *r, int end)
{
  const char *s = *p;
  char kind;
  int a = 0, b = 0, c = 0;
  int32_t t = 7200;
  if (*s == 'M') {
    kind = 'M';
    s++;
    if (sscanf(s, "%d.%d.%d", &a, &b, &c) != 3) return 0;
    while ((*s >= '0' && *s <= '9') || *s == '.') s++;
  } else {
    kind = *s == 'J' ? 'J' : 'N';
    if (*s == 'J') s++;
    if (*s < '0' || *s > '9') return 0;
    while (*s >= '0' && *s <= '9') a = a * 10 + (*s++ - '0');
  }
  if (*s == '/') {
    s++;
    if (!rule_offset(&s, &t)) return 0;
  }
  if (end) {
    r->end.kind = kind; r->end.a = a; r->end.b = b; r->end.c = c; r->end.time = t;
  } else {
    r->start.kind = kind; r->start.a = a; r->start.b = b; r->start.c = c; r->start.time = t;
  }
  *p = s;
  return 1;
}

static void parse_rule(const char *s, zrule *r)
{
  int32_t off;
  memset(r, 0, sizeof *r);
  if (!rule_name(&s, r->std.abbr, sizeof r->std.abbr) || !rule_offset(&s, &off)) return;
  r->std.off = -off;
  if (!*s) {
    r->ok = 1;
    return;
  }
  if (!rule_name(&s, r->dst.abbr, sizeof r->dst.abbr)) return;
  r->dst.off = r->std.off + 3600;
  r->dst.dst = 1;
  if (*s && *s != ',') {
    if (!rule_offset(&s, &off)) return;
    r->dst.off = -off;
  }
  if (!*s) {   /* no rule: POSIX's default, the US rule */
    r->start.kind = r->end.kind = 'M';
    r->start.a = 3; r->start.b = 2; r->start.c = 0; r->start.time = 7200;
    r->end.a = 11; r->end.b = 1; r->end.c = 0; r->end.time = 7200;
  } else if (*s++ != ',' || !rule_date(&s, r, 0) || *s++ != ',' || !rule_date(&s, r, 1)) {
    return;
  }
  r->has_dst = 1;
  r->ok = 1;
}

/* seconds into YEAR (local standard time) at which the rule date D falls */
static int64_t rule_when(int64_t year, char kind, int a, int b, int c, int32_t time)
{
  int64_t day;
  if (kind == 'J') {
    day = a - 1;
    if (is_leap(year) && a >= 60) day++;
  } else if (kind == 'N') {
    day = a;
  } else {   /* Mm.w.d: day d of week w (5: last) of month m */
    int64_t first = tpl_days_from_civil(year, a, 1), wd = (first % 7 + 11) % 7;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int dim = mdays[a - 1] + (a == 2 && is_leap(year)), k;
    int64_t d = (c - wd + 7) % 7;
    for (k = 1; k < b && d + 7 < dim; k++) d += 7;
    day = first - tpl_days_from_civil(year, 1, 1) + d;
  }
  return day * 86400 + time;
}

static const ztype *rule_lookup(const zrule *r, int64_t t)
{
  int64_t y, ys, start, end, local;
  int m, d;
  if (!r->has_dst) return &r->std;
  civil_from_days(floor_div(t + r->std.off, 86400), &y, &m, &d);
  ys = tpl_days_from_civil(y, 1, 1) * 86400;
  local = t - ys;   /* seconds into the UTC year */
  start = rule_when(y, r->start.kind, r->start.a, r->start.b, r->start.c, r->start.time) - r->std.off;
  end = rule_when(y, r->end.kind, r->end.a, r->end.b, r->end.c, r->end.time) - r->dst.off;
  if (start < end) return local >= start && local < end ? &r->dst : &r->std;
  return local >= end && local < start ? &r->std : &r->dst;
}

static uint32_t be32(const unsigned char *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* TZif (v1 data skipped when v2 follows); 0 when malformed */
static int parse_tzif(const unsigned char *d, size_t n, tpl_zone *z)
{
  size_t off = 0;
  int pass, v2 = n > 5 && d[4] >= '2';
  for (pass = 0; pass < 2; pass++) {
    uint32_t isut, isstd, leap, timecnt, typecnt, charcnt;
    size_t tsz = pass ? 8 : 4, need, i;
    const unsigned char *p;
    if (n - off < 44 || memcmp(d + off, "TZif", 4) != 0) return 0;
    isut = be32(d + off + 20); isstd = be32(d + off + 24); leap = be32(d + off + 28);
    timecnt = be32(d + off + 32); typecnt = be32(d + off + 36); charcnt = be32(d + off + 40);
    need = timecnt * tsz + timecnt + typecnt * 6 + charcnt + leap * (tsz + 4) + isstd + isut;
    if (typecnt == 0 || typecnt > 256 || n - off - 44 < need) return 0;
    if (pass == 0 && v2) {
      off += 44 + need;
      continue;
    }
    p = d + off + 44;
    z->trans = calloc(timecnt + 1, sizeof *z->trans);
    z->idx = calloc(timecnt + 1, 1);
    z->types = calloc(typecnt, sizeof *z->types);
    if (!z->trans || !z->idx || !z->types) return 0;
    for (i = 0; i < timecnt; i++, p += tsz)
      z->trans[i] = tsz == 8 ? (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4))
                             : (int64_t)(int32_t)be32(p);
    for (i = 0; i < timecnt; i++) {
      z->idx[i] = *p++;
      if (z->idx[i] >= typecnt) return 0;
    }
    {
      const unsigned char *chars = p + typecnt * 6;
      for (i = 0; i < typecnt; i++, p += 6) {
        unsigned ai = p[5];
        z->types[i].off = (int32_t)be32(p);
        z->types[i].dst = p[4];
        if (ai < charcnt)
          snprintf(z->types[i].abbr, sizeof z->types[i].abbr, "%.*s",
                   (int)strnlen((const char *)chars + ai, charcnt - ai), chars + ai);
      }
      p = chars + charcnt + leap * (tsz + 4) + isstd + isut;
    }
    z->ntrans = timecnt;
    z->ntypes = typecnt;
    if (pass == 1 && p < d + n && *p == '\n') {   /* the footer rule */
      const unsigned char *e = memchr(p + 1, '\n', (size_t)(d + n - p - 1));
      if (e && e - p - 1 < 64) {
        char rule[64];
        memcpy(rule, p + 1, (size_t)(e - p - 1));
        rule[e - p - 1] = 0;
        parse_rule(rule, &z->rule);
      }
    }
    return 1;
  }
  return 1;
}

static tpl_zone *zone_from_file(const char *path, const char *name)
{
  kd_error err = {0};
  size_t n;
  char *data = kd_read_file(path, &n, &err);
  tpl_zone *z;
  if (!data) return NULL;
  z = calloc(1, sizeof *z);
  if (z) {
    z->refs = 1;
    snprintf(z->name, sizeof z->name, "%s", name);
    if (!parse_tzif((const unsigned char *)data, n, z)) {
      z->refs = 1;
      tpl_zone_unref(z);
      z = NULL;
    }
  }
  free(data);
  return z;
}

tpl_zone *tpl_zone_load(const char *name)
{
  static const char *const dirs[] = {"/usr/share/zoneinfo/", "/usr/share/lib/zoneinfo/",
                                     "/usr/lib/locale/TZ/"};
  char path[512];
  size_t i;
  const char *env;
  tpl_zone *z;
  if (!*name || !strcmp(name, "UTC")) return &utc_zone;
  if (!strcmp(name, "Local")) return tpl_zone_local();
  /* Go's containsDotDot and absolute-path checks */
  if (name[0] == '/' || name[0] == '\\' || strstr(name, "..") || strlen(name) > 200)
    return NULL;
  if ((env = getenv("ZONEINFO")) && *env) {
    snprintf(path, sizeof path, "%s/%s", env, name);
    if ((z = zone_from_file(path, name))) return z;
  }
  for (i = 0; i < sizeof dirs / sizeof *dirs; i++) {
    snprintf(path, sizeof path, "%s%s", dirs[i], name);
    if ((z = zone_from_file(path, name))) return z;
  }
  return NULL;
}

/* Go's initLocal: TZ unset -> /etc/localtime, "" -> UTC, else the zone */
tpl_zone *tpl_zone_local(void)
{
  const char *tz = getenv("TZ");
  tpl_zone *z = NULL;
  if (!tz) z = zone_from_file("/etc/localtime", "Local");
  else if (*tz && strcmp(tz, "UTC") != 0) {
    z = tpl_zone_load(*tz == ':' ? tz + 1 : tz);
    if (z) snprintf(z->name, sizeof z->name, "Local");
  }
  if (!z) {
    if (!(z = calloc(1, sizeof *z))) return &utc_zone;
    z->refs = 1;
    snprintf(z->name, sizeof z->name, "Local");
    z->rule = utc_zone.rule;
    z->rule.ok = 1;
  }
  return z;
}

tpl_zone *tpl_zone_fixed(const char *name, size_t n, int32_t off)
{
  tpl_zone *z = calloc(1, sizeof *z);
  if (!z) return NULL;
  z->refs = 1;
  snprintf(z->name, sizeof z->name, "%.*s", (int)n, name);
  snprintf(z->rule.std.abbr, sizeof z->rule.std.abbr, "%.*s", (int)n, name);
  z->rule.std.off = off;
  z->rule.ok = 1;
  return z;
}

/* the zone's type at instant T (Go's Location.lookup) */
static const ztype *zone_lookup(const tpl_zone *z, int64_t t)
{
  size_t lo = 0, hi = z->ntrans;
  if (!z->ntypes) return &z->rule.std;
  if (!z->ntrans || t < z->trans[0]) {
    size_t i;   /* lookupFirstZone: the first standard-time type */
    for (i = 0; i < z->ntypes; i++)
      if (!z->types[i].dst) return &z->types[i];
    return &z->types[0];
  }
  if (t >= z->trans[z->ntrans - 1] && z->rule.ok) return rule_lookup(&z->rule, t);
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (t < z->trans[mid]) hi = mid;
    else lo = mid;
  }
  return &z->types[z->idx[lo]];
}

void tpl_time_in(tpl_time *t, tpl_zone *z)
{
  const ztype *ty = zone_lookup(z, t->sec);
  if (t->zone != z) {
    tpl_zone_ref(z);
    tpl_zone_unref(t->zone);
    t->zone = z;
  }
  t->offset = ty->off;
  snprintf(t->abbr, sizeof t->abbr, "%s", ty->abbr);
}
