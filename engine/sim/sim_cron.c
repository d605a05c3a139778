/* engine/sim/sim_cron.c: standard cron schedules as CronJobs take them
 * (five fields minute hour day-of-month month day-of-week with `*`, `?`,
 * lists, ranges, steps and month/day names, or the descriptors @yearly,
 * @annually, @monthly, @weekly, @daily, @midnight, @hourly), their error
 * messages worded as the Go cron parser kube uses words them (a leading
 * TZ=ZONE or CRON_TZ=ZONE too), and the next activation time in the
 * schedule's zone (UTC by default). */
#include "sim_ctrl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct {
  int min, max;
  const char *const *names; /* names[i] is min + i */
} bounds;

static const char *const months[] = {"jan", "feb", "mar", "apr", "may",
                                     "jun", "jul", "aug", "sep", "oct",
                                     "nov", "dec", NULL};
static const char *const days[] = {"sun", "mon", "tue", "wed", "thu",
                                   "fri", "sat", NULL};
static const bounds field_bounds[5] = {
  {0, 59, NULL}, {0, 23, NULL}, {1, 31, NULL}, {1, 12, months}, {0, 6, days}};

/* A number or a name of the field; -1 with *WHY set when neither. */
static int value_of(const char *p, size_t n, const bounds *b, kd_buf *why)
{
  size_t i;
  long v = 0;
  if (b->names)
    for (i = 0; b->names[i]; i++)
      if (strlen(b->names[i]) == n && strncasecmp(p, b->names[i], n) == 0)
        return b->min + (int)i;
  for (i = 0; i < n && i < 9; i++) {
    if (p[i] < '0' || p[i] > '9') break;
    v = v * 10 + (p[i] - '0');
  }
  if (!n || i != n) {
    kd_buf_printf(why, "failed to parse int from %.*s: strconv.Atoi: "
                  "parsing \"%.*s\": invalid syntax", (int)n, p, (int)n, p);
    return -1;
  }
  return (int)v;
}

/* One comma-separated part of field F ("*", "a", "a-b", with "/step"). */
static int parse_range(const char *p, size_t n, int f, uint64_t *bits,
                       kd_buf *why)
{
  const bounds *b = &field_bounds[f];
  const char *slash = memchr(p, '/', n), *dash;
  size_t rn = slash ? (size_t)(slash - p) : n;
  int lo, hi, step = 1, v;
  if ((rn == 1 && (*p == '*' || *p == '?'))) {
    lo = b->min;
    hi = b->max;
  } else {
    dash = memchr(p, '-', rn);
    if ((lo = value_of(p, dash ? (size_t)(dash - p) : rn, b, why)) < 0)
      return -1;
    hi = lo;
    if (dash && (hi = value_of(dash + 1, rn - (size_t)(dash + 1 - p), b,
                               why)) < 0)
      return -1;
  }
  if (slash) {
    if ((step = value_of(slash + 1, n - rn - 1, b, why)) < 0) return -1;
    if (step == 0) {
      kd_buf_printf(why, "step of range should be a positive number: %.*s",
                    (int)n, p);
      return -1;
    }
    if (lo == hi && !(rn == 1 && (*p == '*' || *p == '?'))) hi = b->max;
  }
  if (lo < b->min) {
    kd_buf_printf(why, "beginning of range (%d) below minimum (%d): %.*s", lo,
                  b->min, (int)n, p);
    return -1;
  }
  if (hi > b->max) {
    kd_buf_printf(why, "end of range (%d) above maximum (%d): %.*s", hi,
                  b->max, (int)n, p);
    return -1;
  }
  if (lo > hi) {
    kd_buf_printf(why, "beginning of range (%d) beyond end of range (%d): "
                  "%.*s", lo, hi, (int)n, p);
    return -1;
  }
  for (v = lo; v <= hi; v += step) *bits |= 1ull << v;
  return 0;
}

static const struct { const char *name, *spec; } descriptors[] = {
  {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"},
  {"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
  {"@daily", "0 0 * * *"}, {"@midnight", "0 0 * * *"},
  {"@hourly", "0 * * * *"}, {NULL, NULL}};

void sim_cron_free(sim_cron *c)
{
  if (!c) return;
  sim_tz_free(c->tz);
  c->tz = NULL;
}

/* "TZ=ZONE rest" or "CRON_TZ=ZONE rest": the zone loaded into C->tz and
 * *SPEC moved to the rest. 0, or -1 with the parser's words in WHY. */
static int zone_prefix(const char **spec, sim_cron *c, kd_buf *why)
{
  const char *s = *spec, *eq = strchr(s, '='), *sp = strchr(s, ' ');
  kd_buf name = {0}, e = {0};
  if (strncmp(s, "TZ=", 3) && strncmp(s, "CRON_TZ=", 8)) return 0;
  if (!sp) sp = s + strlen(s);   /* Go slices out of range here */
  if (kd_buf_add(&name, eq + 1, (size_t)(sp - eq - 1)) ||
      kd_buf_addc(&name, '\0'))
    return -1;
  name.len--;
  c->tz = sim_tz_load(name.data, &e);
  if (!c->tz)
    kd_buf_printf(why, "provided bad location %s: %s", name.data,
                  e.data ? e.data : "");
  kd_buf_free(&name);
  kd_buf_free(&e);
  if (!c->tz) return -1;
  while (*sp == ' ') sp++;
  *spec = sp;
  return 0;
}

int sim_cron_parse(const char *spec, sim_cron *c, kd_buf *why)
{
  const char *p = spec, *start[6];
  size_t len[6];
  int n = 0, f, i;
  memset(c, 0, sizeof *c);
  if (!*spec) {
    kd_buf_adds(why, "empty spec string");
    return -1;
  }
  if (zone_prefix(&p, c, why)) return -1;
  spec = p;
  while (*p == ' ' || *p == '\t') p++;
  if (*p == '@') {
    for (i = 0; descriptors[i].name; i++)
      if (strcmp(p, descriptors[i].name) == 0) {
        sim_tz *tz = c->tz;   /* kept across the parse of the fields */
        int rc;
        c->tz = NULL;
        rc = sim_cron_parse(descriptors[i].spec, c, why);
        c->tz = tz;
        return rc;
      }
    kd_buf_printf(why, "unrecognized descriptor: %s", p);
    return -1;
  }
  while (*p) {
    const char *s = p;
    while (*p && *p != ' ' && *p != '\t') p++;
    if (n < 6) start[n] = s, len[n] = (size_t)(p - s);
    n++;
    while (*p == ' ' || *p == '\t') p++;
  }
  if (n != 5) {
    kd_buf_printf(why, "expected exactly 5 fields, found %d: [", n);
    for (p = spec; *p == ' ' || *p == '\t'; p++) {}
    for (i = 0; *p; i++) {
      const char *s = p;
      while (*p && *p != ' ' && *p != '\t') p++;
      kd_buf_printf(why, "%s%.*s", i ? " " : "", (int)(p - s), s);
      while (*p == ' ' || *p == '\t') p++;
    }
    kd_buf_addc(why, ']');
    return -1;
  }
  for (f = 0; f < 5; f++) {
    const char *q = start[f], *end = start[f] + len[f];
    uint64_t *bits = f == 0 ? &c->minutes : f == 1 ? &c->hours
                     : f == 2 ? &c->dom : f == 3 ? &c->months : &c->dow;
    while (q < end) {
      const char *comma = memchr(q, ',', (size_t)(end - q));
      const char *e = comma ? comma : end;
      if (parse_range(q, (size_t)(e - q), f, bits, why)) return -1;
      q = comma ? comma + 1 : end;
    }
  }
  /* a restricted day field on both sides: either may match (cron's rule) */
  c->dom_star = start[2][0] == '*' || start[2][0] == '?';
  c->dow_star = start[4][0] == '*' || start[4][0] == '?';
  return 0;
}

static int day_matches(const sim_cron *c, const struct tm *t)
{
  int dom = (c->dom >> t->tm_mday) & 1, dow = (c->dow >> t->tm_wday) & 1;
  if (c->dom_star || c->dow_star) return dom && dow;
  return dom || dow;
}

/* The wall time of instant T in Z */
static void wall(const sim_tz *z, int64_t t, struct tm *tm)
{
  time_t lt = (time_t)(t + sim_tz_offset(z, t));
  gmtime_r(&lt, tm);
}

/* Go's time.Date(y, mon, d, h, mi, s) in Z (fields may overflow) */
static int64_t date_in(const sim_tz *z, int y, int mon, int d, int h, int mi,
                       int sec)
{
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  tm.tm_year = y;
  tm.tm_mon = mon;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return sim_tz_local_to_utc(z, (int64_t)timegm(&tm));
}

/* robfig/cron's SpecSchedule.Next in the schedule's zone: fields are
 * matched on wall time, hours and minutes advance as elapsed time (so a
 * wall time a DST gap skips is not run that day, one an overlap repeats
 * runs twice), days and months as calendar dates. Seconds are always 0. */
int64_t sim_cron_next(const sim_cron *c, int64_t after)
{
  const sim_tz *z = c->tz;
  int64_t t = after + 1;
  int added = 0, limit;
  struct tm tm;
  wall(z, t, &tm);
  limit = tm.tm_year + 5;
wrap:
  wall(z, t, &tm);
  if (tm.tm_year > limit) return -1;
  while (!((c->months >> (tm.tm_mon + 1)) & 1)) {
    if (!added) {
      added = 1;
      t = date_in(z, tm.tm_year, tm.tm_mon, 1, 0, 0, 0);
      wall(z, t, &tm);
    }
    t = date_in(z, tm.tm_year, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec);
    wall(z, t, &tm);
    if (tm.tm_mon == 0) goto wrap;
  }
  while (!day_matches(c, &tm)) {
    if (!added) {
      added = 1;
      t = date_in(z, tm.tm_year, tm.tm_mon, tm.tm_mday, 0, 0, 0);
      wall(z, t, &tm);
    }
    t = date_in(z, tm.tm_year, tm.tm_mon, tm.tm_mday + 1, tm.tm_hour,
                tm.tm_min, tm.tm_sec);
    wall(z, t, &tm);
    if (tm.tm_hour) {   /* midnight moved by DST: back to it */
      t += tm.tm_hour > 12 ? (int64_t)(24 - tm.tm_hour) * 3600
                           : -(int64_t)tm.tm_hour * 3600;
      wall(z, t, &tm);
    }
    if (tm.tm_mday == 1) goto wrap;
  }
  while (!((c->hours >> tm.tm_hour) & 1)) {
    if (!added) {
      added = 1;
      t = date_in(z, tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, 0, 0);
    }
    t += 3600;
    wall(z, t, &tm);
    if (tm.tm_hour == 0) goto wrap;
  }
  while (!((c->minutes >> tm.tm_min) & 1)) {
    if (!added) {
      added = 1;
      t -= ((t % 60) + 60) % 60;
    }
    t += 60;
    wall(z, t, &tm);
    if (tm.tm_min == 0) goto wrap;
  }
  while (tm.tm_sec != 0) {
    added = 1;
    t += 1;
    wall(z, t, &tm);
    if (tm.tm_sec == 0) goto wrap;
  }
  return t;
}
