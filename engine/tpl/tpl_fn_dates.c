/* engine/tpl/tpl_fn_dates.c: Sprig's date functions (now, date,
 * dateInZone, htmlDate, htmlDateInZone, dateModify, ago, duration,
 * durationRound, toDate, unixEpoch and the must forms) and the time.Time
 * object with the methods charts call (Format, Unix, UTC, Add, Year ...).
 * `now` reads the tpl_options clock hook, else the system clock. */
#include "tpl_time.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FN(name) \
  static int name(tpl_call *c, const tpl_val *a, int n, tpl_val *out)

static int time_member(tpl_call *c, tpl_obj *o, const char *name,
                       const tpl_val *args, int nargs, tpl_val *out);
static int time_print(tpl_obj *o, kd_buf *b);
static int time_marshal(tpl_obj *o, tpl_val *out);
static void time_free(void *p);
static int named_print(tpl_obj *o, kd_buf *b);
static int named_marshal(tpl_obj *o, tpl_val *out);
static int named_member(tpl_call *c, tpl_obj *o, const char *name,
                        const tpl_val *args, int nargs, tpl_val *out)
{
  return KD_ENOTFOUND;
}

static const tpl_class time_class = {
  "time.Time", "struct", time_member, time_print, time_marshal, NULL, time_free};
static const tpl_class month_class = {
  "time.Month", "int", named_member, named_print, named_marshal, NULL, free};
static const tpl_class weekday_class = {
  "time.Weekday", "int", named_member, named_print, named_marshal, NULL, free};
static const tpl_class duration_class = {
  "time.Duration", "int64", named_member, named_print, named_marshal, NULL, free};

static void *obj_data(tpl_obj *o)
{
  tpl_val v;
  v.kind = TPL_OBJ;
  v.sub = 0;
  v.u.o = o;
  return tpl_obj_data(v);
}

static void time_free(void *p)
{
  tpl_time *t = p;
  if (t) tpl_zone_unref(t->zone);
  free(t);
}

/* A new time.Time object at SEC/NSEC shown in ZONE (borrowed). */
static int new_time(int64_t sec, int32_t nsec, tpl_zone *zone, tpl_val *out)
{
  tpl_time *t = calloc(1, sizeof *t);
  if (!t) return KD_ENOMEM;
  t->sec = sec;
  t->nsec = nsec;
  tpl_time_in(t, zone);
  return tpl_obj_new(out, &time_class, t);
}

int tpl_time_value(int64_t sec, int32_t nsec, tpl_zone *zone, tpl_val *out)
{
  return new_time(sec, nsec, zone, out);
}

/* a named integer (Month, Weekday, Duration) */
typedef struct {
  const tpl_class *cls;
  int64_t v;
} named;

static int new_named(const tpl_class *cls, int64_t v, tpl_val *out)
{
  named *d = malloc(sizeof *d);
  if (!d) return KD_ENOMEM;
  d->cls = cls;
  d->v = v;
  return tpl_obj_new(out, cls, d);
}

static int named_print(tpl_obj *o, kd_buf *b)
{
  static const char *const months[] = {
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December"};
  static const char *const days[] = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
  const named *d = obj_data(o);
  if (d->cls == &duration_class) return tpl_duration_string(d->v, b);
  if (d->cls == &month_class) return kd_buf_adds(b, months[(d->v - 1) % 12]);
  return kd_buf_adds(b, days[d->v % 7]);
}

static int named_marshal(tpl_obj *o, tpl_val *out)
{
  const named *d = obj_data(o);
  *out = tpl_int64(d->v);
  return KD_OK;
}

/* Time.String: the layout below, then Go's " m=+S.NNNNNNNNN" when the time
 * holds a monotonic reading. */
static int time_print(tpl_obj *o, kd_buf *b)
{
  static const char layout[] = "2006-01-02 15:04:05.999999999 -0700 MST";
  const tpl_time *t = obj_data(o);
  uint64_t m;
  int rc = tpl_time_format(t, layout, sizeof layout - 1, b);
  if (rc != KD_OK || !t->has_mono) return rc;
  m = t->mono < 0 ? -(uint64_t)t->mono : (uint64_t)t->mono;
  return kd_buf_printf(b, " m=%c%llu.%09llu", t->mono < 0 ? '-' : '+',
                       (unsigned long long)(m / 1000000000),
                       (unsigned long long)(m % 1000000000));
}

/* json.Marshal of a Time: RFC 3339 with nanoseconds */
static int time_marshal(tpl_obj *o, tpl_val *out)
{
  static const char layout[] = "2006-01-02T15:04:05.999999999Z07:00";
  kd_buf b = {0};
  int rc = tpl_time_format(obj_data(o), layout, sizeof layout - 1, &b);
  if (rc) {
    kd_buf_free(&b);
    return rc;
  }
  return tpl_str_take(out, &b);
}

static int clock_now(tpl_call *c, int64_t *sec, int32_t *nsec)
{
  const tpl_options *o = tpl_call_options(c);
  struct timespec ts;
  if (o->now) {
    long ns = 0;
    if (o->now(o->now_ctx, sec, &ns) != KD_OK) return tpl_call_fail(c, "clock failed");
    *nsec = (int32_t)ns;
    return KD_OK;
  }
  clock_gettime(CLOCK_REALTIME, &ts);
  *sec = ts.tv_sec;
  *nsec = (int32_t)ts.tv_nsec;
  return KD_OK;
}

/* Go's monotonic clock reading for now: nanoseconds since the first such
 * reading in this process (Go counts from process start; values are only
 * meaningful within one run). */
static int64_t mono_now(void)
{
  static _Atomic int64_t base;
  struct timespec ts;
  int64_t ns, zero = 0;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + 1;   /* never 0 */
  atomic_compare_exchange_strong(&base, &zero, ns);
  return ns - atomic_load(&base);
}

static int local_time(int64_t sec, int32_t nsec, tpl_val *out)
{
  tpl_zone *z = tpl_zone_local();
  int rc = new_time(sec, nsec, z, out);
  tpl_zone_unref(z);
  return rc;
}

FN(fn_now)
{
  int64_t s;
  int32_t ns;
  int rc = clock_now(c, &s, &ns);
  if (rc == KD_OK) rc = local_time(s, ns, out);
  if (rc == KD_OK && !tpl_call_options(c)->now) {  /* the real clock only */
    tpl_time *t = tpl_obj_data(*out);
    t->has_mono = 1;
    t->mono = mono_now();
  }
  return rc;
}

/* Sprig's switch on a date argument: Time, int, int64 (Unix seconds);
 * anything else means now. T gets a copy (zone referenced). */
static int to_time(tpl_call *c, tpl_val v, tpl_time *t)
{
  int64_t s;
  int32_t ns = 0;
  int rc;
  memset(t, 0, sizeof *t);
  if (tpl_obj_class(v) == &time_class) {
    *t = *(const tpl_time *)tpl_obj_data(v);
    tpl_zone_ref(t->zone);
    return KD_OK;
  }
  if (v.kind == TPL_INT && v.sub != TPL_GO_UINT64) {
    s = v.u.i;
  } else if ((rc = clock_now(c, &s, &ns)) != KD_OK) {
    return rc;
  }
  t->sec = s;
  t->nsec = ns;
  {
    tpl_zone *z = tpl_zone_local();
    tpl_time_in(t, z);
    tpl_zone_unref(z);
  }
  return KD_OK;
}

/* dateInZone: LAYOUT of DATE in ZONE (UTC when the zone is unknown) */
static int date_in_zone(tpl_call *c, tpl_val layout, tpl_val date,
                        const char *zone, tpl_val *out)
{
  tpl_time t;
  tpl_zone *z = tpl_zone_load(zone);
  kd_buf b = {0};
  int rc = to_time(c, date, &t);
  if (!z) z = tpl_zone_utc();
  if (rc == KD_OK) {
    tpl_time_in(&t, z);
    rc = tpl_time_format(&t, tpl_sdata(layout), tpl_slen(layout), &b);
    tpl_zone_unref(t.zone);
  }
  tpl_zone_unref(z);
  if (rc != KD_OK) {
    kd_buf_free(&b);
    return rc;
  }
  if (!b.data) return tpl_str_cstr(out, "");
  return tpl_str_take(out, &b);
}

FN(fn_date) { return date_in_zone(c, a[0], a[1], "Local", out); }
FN(fn_date_in_zone) { return date_in_zone(c, a[0], a[1], tpl_sdata(a[2]), out); }

FN(fn_html_date)
{
  tpl_val l;
  int rc = tpl_str_cstr(&l, "2006-01-02");
  if (rc == KD_OK) rc = date_in_zone(c, l, a[0], "Local", out);
  tpl_unref(l);
  return rc;
}

FN(fn_html_date_in_zone)
{
  tpl_val l;
  int rc = tpl_str_cstr(&l, "2006-01-02");
  if (rc == KD_OK) rc = date_in_zone(c, l, a[0], tpl_sdata(a[1]), out);
  tpl_unref(l);
  return rc;
}

static int want_time(tpl_call *c, tpl_val v, const tpl_time **t)
{
  if (tpl_obj_class(v) != &time_class)
    return tpl_call_fail(c, "wrong type for value; expected time.Time; got %s",
                         tpl_type_name(v));
  *t = tpl_obj_data(v);
  return KD_OK;
}

static int add_duration(const tpl_time *t, int64_t d, tpl_val *out)
{
  int rc;
  int64_t ns = (int64_t)t->nsec + d % 1000000000, s = t->sec + d / 1000000000;
  if (ns < 0) ns += 1000000000, s--;
  if (ns >= 1000000000) ns -= 1000000000, s++;
  rc = new_time(s, (int32_t)ns, t->zone, out);
  if (rc == KD_OK && t->has_mono) {   /* Time.Add keeps it unless it overflows */
    tpl_time *r = tpl_obj_data(*out);
    r->has_mono = !(d < 0 ? t->mono < INT64_MIN - d : t->mono > INT64_MAX - d);
    r->mono = r->has_mono ? t->mono + d : 0;
  }
  return rc;
}

static int date_modify(tpl_call *c, const tpl_val *a, int must, tpl_val *out)
{
  const tpl_time *t = NULL;
  kd_buf msg = {0};
  int64_t d;
  int rc = want_time(c, a[1], &t);
  if (rc != KD_OK) return rc;
  rc = tpl_duration_parse(tpl_sdata(a[0]), tpl_slen(a[0]), &d, &msg);
  if (rc == KD_EPARSE) {
    if (must) rc = tpl_call_fail(c, "%s", msg.data);
    else rc = add_duration(t, 0, out);   /* T itself, monotonic reading too */
    kd_buf_free(&msg);
    return rc;
  }
  kd_buf_free(&msg);
  return rc ? rc : add_duration(t, d, out);
}

FN(fn_date_modify) { return date_modify(c, a, 0, out); }
FN(fn_must_date_modify) { return date_modify(c, a, 1, out); }

/* Duration.Round(d) for d = 1s */
static int64_t round_second(int64_t d)
{
  int64_t r = d % 1000000000;
  if (d < 0) {
    r = -r;
    if (r + r < 1000000000) return d + r;
    return d - (1000000000 - r);
  }
  if (r + r < 1000000000) return d - r;
  return d + (1000000000 - r);
}

FN(fn_ago)
{
  tpl_time t;
  int64_t s, d;
  int32_t ns;
  kd_buf b = {0};
  int rc = to_time(c, a[0], &t);
  if (rc == KD_OK) rc = clock_now(c, &s, &ns);
  tpl_zone_unref(t.zone);
  if (rc != KD_OK) return rc;
  d = (s - t.sec) * 1000000000 + (ns - t.nsec);
  if ((rc = tpl_duration_string(round_second(d), &b)) != KD_OK) {
    kd_buf_free(&b);
    return rc;
  }
  return tpl_str_take(out, &b);
}

/* Sprig's duration: seconds from a string or an int64 (else 0) */
FN(fn_duration)
{
  int64_t secs = 0;
  kd_buf b = {0};
  int rc;
  if (a[0].kind == TPL_STR) {
    if (tpl_parse_int(tpl_sdata(a[0]), tpl_slen(a[0]), 10, &secs) != KD_OK) secs = 0;
  } else if (a[0].kind == TPL_INT && a[0].sub == TPL_GO_INT64) {
    secs = a[0].u.i;
  }
  if ((rc = tpl_duration_string((int64_t)((uint64_t)secs * 1000000000ULL), &b)) != KD_OK) {
    kd_buf_free(&b);
    return rc;
  }
  return tpl_str_take(out, &b);
}

FN(fn_duration_round)
{
  static const struct { uint64_t unit; const char *suffix; } steps[] = {
    {3600ULL * 24 * 365 * 1000000000ULL, "y"}, {3600ULL * 24 * 30 * 1000000000ULL, "mo"},
    {3600ULL * 24 * 1000000000ULL, "d"}, {3600ULL * 1000000000ULL, "h"},
    {60ULL * 1000000000ULL, "m"}, {1000000000ULL, "s"}};
  int64_t d = 0;
  uint64_t u;
  size_t i;
  char buf[32];
  if (a[0].kind == TPL_STR) {
    kd_buf msg = {0};
    if (tpl_duration_parse(tpl_sdata(a[0]), tpl_slen(a[0]), &d, &msg) != KD_OK) d = 0;
    kd_buf_free(&msg);
  } else if (a[0].kind == TPL_INT && a[0].sub == TPL_GO_INT64) {
    d = a[0].u.i;
  } else if (tpl_obj_class(a[0]) == &time_class) {
    const tpl_time *t = tpl_obj_data(a[0]);
    int64_t s;
    int32_t ns;
    int rc = clock_now(c, &s, &ns);
    if (rc) return rc;
    d = (s - t->sec) * 1000000000 + (ns - t->nsec);
  }
  u = d < 0 ? 0 - (uint64_t)d : (uint64_t)d;
  for (i = 0; i < sizeof steps / sizeof *steps; i++)
    if (u > steps[i].unit) {
      snprintf(buf, sizeof buf, "%llu%s", (unsigned long long)(u / steps[i].unit),
               steps[i].suffix);
      return tpl_str_cstr(out, buf);
    }
  return tpl_str_cstr(out, "0s");
}

static int to_date(tpl_call *c, const tpl_val *a, int must, tpl_val *out)
{
  tpl_time t;
  kd_buf msg = {0};
  tpl_zone *loc = tpl_zone_local();
  int rc = tpl_time_parse(tpl_sdata(a[0]), tpl_slen(a[0]), tpl_sdata(a[1]),
                          tpl_slen(a[1]), loc, &t, &msg);
  if (rc == KD_OK) {
    tpl_time *h = malloc(sizeof *h);
    if (!h) {
      tpl_zone_unref(t.zone);
      rc = KD_ENOMEM;
    } else {
      *h = t;
      rc = tpl_obj_new(out, &time_class, h);
    }
  } else if (rc == KD_EPARSE) {
    /* toDate swallows the error: the zero Time, in UTC */
    rc = must ? tpl_call_fail(c, "%s", msg.data)
              : new_time(-62135596800LL, 0, tpl_zone_utc(), out);
  }
  kd_buf_free(&msg);
  tpl_zone_unref(loc);
  return rc;
}

FN(fn_to_date) { return to_date(c, a, 0, out); }
FN(fn_must_to_date) { return to_date(c, a, 1, out); }

FN(fn_unix_epoch)
{
  const tpl_time *t = NULL;
  char buf[32];
  int rc = want_time(c, a[0], &t);
  if (rc) return rc;
  snprintf(buf, sizeof buf, "%lld", (long long)t->sec);
  return tpl_str_cstr(out, buf);
}

/* ---- time.Time's methods ------------------------------------------------ */

static int nargs_is(tpl_call *c, int nargs, int want)
{
  if (nargs == want) return KD_OK;
  return tpl_call_fail(c, "wrong number of args: got %d want %d", nargs, want);
}

static int int_arg(tpl_call *c, tpl_val v, int64_t *out)
{
  if (v.kind == TPL_INT) {
    *out = v.u.i;
    return KD_OK;
  }
  if (tpl_obj_class(v) == &duration_class) {
    *out = ((const named *)tpl_obj_data(v))->v;
    return KD_OK;
  }
  return tpl_call_fail(c, "wrong type for value; expected int; got %s", tpl_type_name(v));
}

static int time_member(tpl_call *c, tpl_obj *o, const char *name,
                       const tpl_val *args, int nargs, tpl_val *out)
{
  const tpl_time *t = obj_data(o);
  tpl_civil cv;
  int64_t x, y, z;
  int rc;
  tpl_time_civil(t, &cv);
  if (!strcmp(name, "Year")) { *out = tpl_int(cv.year); return KD_OK; }
  if (!strcmp(name, "Month")) return new_named(&month_class, cv.month, out);
  if (!strcmp(name, "Day")) { *out = tpl_int(cv.day); return KD_OK; }
  if (!strcmp(name, "Hour")) { *out = tpl_int(cv.hour); return KD_OK; }
  if (!strcmp(name, "Minute")) { *out = tpl_int(cv.min); return KD_OK; }
  if (!strcmp(name, "Second")) { *out = tpl_int(cv.sec); return KD_OK; }
  if (!strcmp(name, "Nanosecond")) { *out = tpl_int(t->nsec); return KD_OK; }
  if (!strcmp(name, "YearDay")) { *out = tpl_int(cv.yday); return KD_OK; }
  if (!strcmp(name, "Weekday")) return new_named(&weekday_class, cv.wday, out);
  if (!strcmp(name, "Unix")) { *out = tpl_int64(t->sec); return KD_OK; }
  if (!strcmp(name, "UnixMilli")) { *out = tpl_int64(t->sec * 1000 + t->nsec / 1000000); return KD_OK; }
  if (!strcmp(name, "UnixNano")) { *out = tpl_int64(t->sec * 1000000000 + t->nsec); return KD_OK; }
  if (!strcmp(name, "IsZero")) { *out = tpl_bool(t->sec == -62135596800LL && !t->nsec); return KD_OK; }
  if (!strcmp(name, "UTC")) return new_time(t->sec, t->nsec, tpl_zone_utc(), out);
  if (!strcmp(name, "Local")) return local_time(t->sec, t->nsec, out);
  if (!strcmp(name, "String")) {
    kd_buf b = {0};
    if ((rc = time_print(o, &b)) != KD_OK) {
      kd_buf_free(&b);
      return rc;
    }
    return tpl_str_take(out, &b);
  }
  if (!strcmp(name, "Format")) {
    kd_buf b = {0};
    if ((rc = nargs_is(c, nargs, 1)) != KD_OK) return rc;
    if (args[0].kind != TPL_STR)
      return tpl_call_fail(c, "wrong type for value; expected string; got %s",
                           tpl_type_name(args[0]));
    if ((rc = tpl_time_format(t, tpl_sdata(args[0]), tpl_slen(args[0]), &b)) != KD_OK) {
      kd_buf_free(&b);
      return rc;
    }
    if (!b.data) return tpl_str_cstr(out, "");
    return tpl_str_take(out, &b);
  }
  if (!strcmp(name, "Add")) {
    if ((rc = nargs_is(c, nargs, 1)) || (rc = int_arg(c, args[0], &x))) return rc;
    return add_duration(t, x, out);
  }
  if (!strcmp(name, "AddDate")) {
    int64_t days;
    int m;
    if ((rc = nargs_is(c, nargs, 3)) || (rc = int_arg(c, args[0], &x)) ||
        (rc = int_arg(c, args[1], &y)) || (rc = int_arg(c, args[2], &z)))
      return rc;
    /* Date(year+x, month+y, day+z, ...) normalised as Go does */
    y += cv.month - 1;
    x += cv.year + (y >= 0 ? y / 12 : -((11 - y) / 12));
    m = (int)(((y % 12) + 12) % 12) + 1;
    days = tpl_days_from_civil(x, m, 1) + cv.day - 1 + z;
    {
      tpl_time probe;
      int64_t local = days * 86400 + cv.hour * 3600 + cv.min * 60 + cv.sec;
      memset(&probe, 0, sizeof probe);
      probe.sec = local - t->offset;
      tpl_time_in(&probe, t->zone);
      probe.sec = local - probe.offset;
      rc = new_time(probe.sec, t->nsec, t->zone, out);
      tpl_zone_unref(probe.zone);
      return rc;
    }
  }
  if (!strcmp(name, "Before") || !strcmp(name, "After") || !strcmp(name, "Equal") ||
      !strcmp(name, "Sub")) {
    const tpl_time *u = NULL;
    int d;
    if ((rc = nargs_is(c, nargs, 1)) || (rc = want_time(c, args[0], &u))) return rc;
    if (!strcmp(name, "Sub"))
      return new_named(&duration_class,
                       (t->sec - u->sec) * 1000000000 + (t->nsec - u->nsec), out);
    d = t->sec != u->sec ? (t->sec < u->sec ? -1 : 1)
                         : (t->nsec < u->nsec ? -1 : t->nsec > u->nsec);
    *out = tpl_bool(name[0] == 'B' ? d < 0 : name[0] == 'A' ? d > 0 : d == 0);
    return KD_OK;
  }
  return KD_ENOTFOUND;
}

const tpl_func_def tpl_fn_dates[] = {
  {"now", fn_now, ""},
  {"date", fn_date, "sa"},
  {"dateInZone", fn_date_in_zone, "sas"},
  {"date_in_zone", fn_date_in_zone, "sas"},
  {"htmlDate", fn_html_date, "a"},
  {"htmlDateInZone", fn_html_date_in_zone, "as"},
  {"dateModify", fn_date_modify, "sa"},
  {"date_modify", fn_date_modify, "sa"},
  {"mustDateModify", fn_must_date_modify, "sa"},
  {"must_date_modify", fn_must_date_modify, "sa"},
  {"ago", fn_ago, "a"},
  {"duration", fn_duration, "a"},
  {"durationRound", fn_duration_round, "a"},
  {"toDate", fn_to_date, "ss"},
  {"mustToDate", fn_must_to_date, "ss"},
  {"unixEpoch", fn_unix_epoch, "a"},
  {NULL, NULL, NULL}};
