/* engine/sim/sim_tz.c: IANA time zones for CronJob spec.timeZone, read
 * from the system tz database (TZif files under $ZONEINFO or
 * /usr/share/zoneinfo) the way Go's time.LoadLocation reads them: the
 * 64-bit transitions of a version 2+ file, and its footer's POSIX TZ rule
 * for instants after the last transition. Only the UTC offset matters to
 * the sim (schedules and RFC 3339 timestamps), not abbreviations. */
#include "sim_ctrl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TZIF ((size_t)1 << 20)   /* zone files are a few KiB */

/* One DST boundary of a POSIX TZ rule: Jn, n or Mm.w.d, at SECS after
 * local midnight. */
typedef struct {
  char kind;          /* 'J' (1..365, no Feb 29), 'D' (0..365), 'M' */
  int day, week, mon;
  int64_t secs;
} tz_rule;

struct sim_tz {
  int64_t *when;      /* transition instants, ascending */
  int32_t *off;       /* the offset from when[i] on */
  size_t n;
  int32_t first_off;  /* before the first transition */
  /* the footer rule, for instants past the last transition */
  int has_rule, has_dst;
  int32_t std_off, dst_off;
  tz_rule start, end;
};

void sim_tz_free(sim_tz *z)
{
  if (!z) return;
  free(z->when);
  free(z->off);
  free(z);
}

/* ---- the footer: a POSIX TZ string ----------------------------------- */

static const char *tz_name(const char *p)
{
  if (*p == '<') {
    while (*p && *p != '>') p++;
    return *p ? p + 1 : NULL;
  }
  if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))) return NULL;
  while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) p++;
  return p;
}

/* [+-]hh[:mm[:ss]] into *SECS (hours up to 167, as TZif version 3 allows) */
static const char *tz_time(const char *p, int64_t *secs)
{
  int sign = 1, part = 0;
  int64_t v[3] = {0, 0, 0};
  if (*p == '+' || *p == '-') sign = *p++ == '-' ? -1 : 1;
  if (*p < '0' || *p > '9') return NULL;
  for (;;) {
    int digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 3) {
      v[part] = v[part] * 10 + (*p++ - '0');
      digits++;
    }
    if (!digits) return NULL;
    if (*p != ':' || part == 2) break;
    p++;
    part++;
  }
  *secs = sign * (v[0] * 3600 + v[1] * 60 + v[2]);
  return p;
}

static const char *tz_rule_parse(const char *p, tz_rule *r)
{
  char *end;
  r->secs = 2 * 3600;
  if (*p == 'J' || (*p >= '0' && *p <= '9')) {
    r->kind = *p == 'J' ? 'J' : 'D';
    if (*p == 'J') p++;
    r->day = (int)strtol(p, &end, 10);
    if (end == p) return NULL;
    p = end;
  } else if (*p == 'M') {
    r->kind = 'M';
    r->mon = (int)strtol(p + 1, &end, 10);
    if (*end != '.') return NULL;
    r->week = (int)strtol(end + 1, &end, 10);
    if (*end != '.') return NULL;
    p = end + 1;
    r->day = (int)strtol(p, &end, 10);
    if (end == p || r->mon < 1 || r->mon > 12 || r->week < 1 ||
        r->week > 5 || r->day < 0 || r->day > 6)
      return NULL;
    p = end;
  } else {
    return NULL;
  }
  if (*p == '/') p = tz_time(p + 1, &r->secs);
  return p;
}

/* "STDoff[DST[off][,start[/time],end[/time]]]"; 0 or -1 */
static int tz_footer(sim_tz *z, const char *s)
{
  const char *p = tz_name(s);
  int64_t off;
  if (!p || !(p = tz_time(p, &off))) return -1;
  z->std_off = (int32_t)-off;           /* POSIX offsets count westwards */
  z->has_rule = 1;
  if (!*p) return 0;
  if (!(p = tz_name(p))) return -1;
  z->has_dst = 1;
  z->dst_off = z->std_off + 3600;
  if (*p && *p != ',') {
    if (!(p = tz_time(p, &off))) return -1;
    z->dst_off = (int32_t)-off;
  }
  if (!*p) p = ",M3.2.0,M11.1.0";       /* Go's default rule */
  if (*p++ != ',' || !(p = tz_rule_parse(p, &z->start)) || *p++ != ',' ||
      !(p = tz_rule_parse(p, &z->end)) || *p)
    return -1;
  return 0;
}

static int is_leap(int64_t y)
{
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  tm.tm_year = (int)(y - 1900);
  tm.tm_mon = m - 1;
  tm.tm_mday = d;
  return (int64_t)timegm(&tm) / 86400;
}

/* The instant, in local seconds of year Y (from its Jan 1 00:00), at
 * which rule R fires. */
static int64_t rule_secs(const tz_rule *r, int64_t y)
{
  int64_t day;
  if (r->kind == 'J') {
    day = r->day - 1;
    if (is_leap(y) && r->day >= 60) day++;
  } else if (r->kind == 'D') {
    day = r->day;
  } else {
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
                                31};
    int64_t first = days_from_civil(y, r->mon, 1);
    int dow = (int)(((first % 7) + 11) % 7);   /* 1970-01-01 was a Thursday */
    int md = mdays[r->mon - 1] + (r->mon == 2 && is_leap(y));
    int d = 1 + (r->day - dow + 7) % 7 + (r->week - 1) * 7;
    while (d > md) d -= 7;
    day = first + d - 1 - days_from_civil(y, 1, 1);
  }
  return day * 86400 + r->secs;
}

static int32_t rule_offset(const sim_tz *z, int64_t t)
{
  struct tm tm;
  time_t lt = (time_t)(t + z->std_off);
  int64_t y, ystart, start, end;
  if (!z->has_dst) return z->std_off;
  gmtime_r(&lt, &tm);
  y = tm.tm_year + 1900;
  ystart = days_from_civil(y, 1, 1) * 86400;
  start = ystart + rule_secs(&z->start, y) - z->std_off;
  end = ystart + rule_secs(&z->end, y) - z->dst_off;
  if (start < end) return t >= start && t < end ? z->dst_off : z->std_off;
  return t >= end && t < start ? z->std_off : z->dst_off;   /* southern */
}

int32_t sim_tz_offset(const sim_tz *z, int64_t t)
{
  size_t lo = 0, hi;
  if (!z) return 0;
  if (!z->n || t < z->when[0])
    return z->n || !z->has_rule ? z->first_off : rule_offset(z, t);
  if (t >= z->when[z->n - 1] && z->has_rule) return rule_offset(z, t);
  hi = z->n;
  while (hi - lo > 1) {         /* the last transition at or before T */
    size_t mid = lo + (hi - lo) / 2;
    if (z->when[mid] <= t) lo = mid;
    else hi = mid;
  }
  return z->off[lo];
}

int64_t sim_tz_local_to_utc(const sim_tz *z, int64_t local)
{
  /* Go's time.Date: the offset in force at LOCAL read as an instant; if
   * LOCAL minus it falls under another offset (a gap or an overlap), that
   * one */
  int32_t off = sim_tz_offset(z, local);
  return local - sim_tz_offset(z, local - off);
}

/* ---- TZif ------------------------------------------------------------ */

static uint32_t be32(const unsigned char *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

static int64_t be64(const unsigned char *p)
{
  return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* The data block at P (END bounds it) with times of TW bytes; fills Z
 * and returns the byte after the block, or NULL when malformed. */
static const unsigned char *tzif_block(sim_tz *z, const unsigned char *p,
                                       const unsigned char *end, int tw)
{
  uint32_t isut, isstd, leap, timecnt, typecnt, charcnt, i;
  const unsigned char *types, *idx;
  size_t need;
  if (end - p < 44 || memcmp(p, "TZif", 4)) return NULL;
  isut = be32(p + 20);
  isstd = be32(p + 24);
  leap = be32(p + 28);
  timecnt = be32(p + 32);
  typecnt = be32(p + 36);
  charcnt = be32(p + 40);
  p += 44;
  need = (size_t)timecnt * (size_t)(tw + 1) + (size_t)typecnt * 6 + charcnt +
         (size_t)leap * (size_t)(tw + 4) + isstd + isut;
  if (typecnt == 0 || (size_t)(end - p) < need) return NULL;
  idx = p + (size_t)timecnt * (size_t)tw;
  types = idx + timecnt;
  free(z->when);
  free(z->off);
  z->when = malloc((timecnt ? timecnt : 1) * sizeof *z->when);
  z->off = malloc((timecnt ? timecnt : 1) * sizeof *z->off);
  if (!z->when || !z->off) return NULL;
  for (i = 0; i < timecnt; i++) {
    if (idx[i] >= typecnt) return NULL;
    z->when[i] = tw == 8 ? be64(p + 8 * (size_t)i) : (int32_t)be32(p + 4 * (size_t)i);
    z->off[i] = (int32_t)be32(types + 6 * (size_t)idx[i]);
  }
  z->n = timecnt;
  /* before the first transition: the first standard-time type (Go's
   * lookupFirstZone, simplified) */
  z->first_off = (int32_t)be32(types);
  for (i = 0; i < typecnt; i++)
    if (!types[6 * (size_t)i + 4]) {
      z->first_off = (int32_t)be32(types + 6 * (size_t)i);
      break;
    }
  return p + need;
}

static int tzif_parse(sim_tz *z, const unsigned char *data, size_t len)
{
  const unsigned char *end = data + len, *p;
  if (!(p = tzif_block(z, data, end, 4))) return -1;
  if (data[4] >= '2') {
    const unsigned char *nl;
    char *footer;
    int rc;
    if (!(p = tzif_block(z, p, end, 8))) return -1;
    if (p >= end || *p != '\n') return 0;          /* no footer: fine */
    nl = memchr(p + 1, '\n', (size_t)(end - p - 1));
    if (!nl) return -1;
    if (nl == p + 1) return 0;                     /* empty footer */
    if (!(footer = kd_strndup((const char *)p + 1, (size_t)(nl - p - 1))))
      return -1;
    rc = tz_footer(z, footer);
    free(footer);
    return rc;
  }
  return 0;
}

/* Go's rules for names that never reach the file system */
static int bad_name(const char *name)
{
  const char *p;
  if (!name[0] || name[0] == '/' || name[0] == '\\') return 1;
  for (p = name; *p; p++)
    if (p[0] == '.' && p[1] == '.') return 1;
  return 0;
}

sim_tz *sim_tz_parse(const void *data, size_t len)
{
  sim_tz *z = calloc(1, sizeof *z);
  if (z && tzif_parse(z, data, len)) {
    sim_tz_free(z);
    z = NULL;
  }
  return z;
}

sim_tz *sim_tz_load(const char *name, kd_buf *why)
{
  const char *dir = getenv("ZONEINFO");
  kd_buf path = {0}, data = {0};
  sim_tz *z = NULL;
  FILE *f = NULL;
  if (strcmp(name, "UTC") == 0) {          /* Go never reads a file */
    if (!(z = calloc(1, sizeof *z))) kd_buf_adds(why, "out of memory");
    return z;
  }
  if (bad_name(name)) {
    kd_buf_adds(why, "time: invalid location name");
    return NULL;
  }
  if (kd_buf_printf(&path, "%s/%s", dir && dir[0] ? dir : "/usr/share/zoneinfo",
                    name) == KD_OK &&
      (f = fopen(path.data, "rb")) != NULL) {
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0 &&
           data.len + got <= MAX_TZIF)
      if (kd_buf_add(&data, chunk, got)) break;
    if (!ferror(f) && data.len)   /* a directory reads as an error */
      z = sim_tz_parse(data.data, data.len);
    fclose(f);
  }
  kd_buf_free(&path);
  kd_buf_free(&data);
  if (!z) kd_buf_printf(why, "unknown time zone %s", name);
  return z;
}
