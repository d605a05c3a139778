/* engine/sim/sim_cron.c: standard cron schedules as CronJobs take them
 * (five fields minute hour day-of-month month day-of-week with `*`, `?`,
 * lists, ranges, steps and month/day names, or the descriptors @yearly,
 * @annually, @monthly, @weekly, @daily, @midnight, @hourly), their error
 * messages worded as the Go cron parser kube uses words them, and the next
 * activation time, in UTC. */
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

int sim_cron_parse(const char *spec, sim_cron *c, kd_buf *why)
{
  const char *p = spec, *start[6];
  size_t len[6];
  int n = 0, f, i;
  memset(c, 0, sizeof *c);
  while (*p == ' ' || *p == '\t') p++;
  if (*p == '@') {
    for (i = 0; descriptors[i].name; i++)
      if (strcmp(p, descriptors[i].name) == 0)
        return sim_cron_parse(descriptors[i].spec, c, why);
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

int64_t sim_cron_next(const sim_cron *c, int64_t after)
{
  time_t t = (time_t)(after - (after % 60 + 60) % 60 + 60);
  int64_t limit = after + 5LL * 366 * 86400;
  struct tm tm;
  while ((int64_t)t <= limit) {
    gmtime_r(&t, &tm);
    if (!((c->months >> (tm.tm_mon + 1)) & 1)) {
      tm.tm_mon++;
      tm.tm_mday = 1;
      tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    } else if (!day_matches(c, &tm)) {
      tm.tm_mday++;
      tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    } else if (!((c->hours >> tm.tm_hour) & 1)) {
      tm.tm_hour++;
      tm.tm_min = tm.tm_sec = 0;
    } else if (!((c->minutes >> tm.tm_min) & 1)) {
      tm.tm_min++;
      tm.tm_sec = 0;
    } else {
      return (int64_t)t;
    }
    t = timegm(&tm);
  }
  return -1;
}
