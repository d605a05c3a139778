/* engine/tpl/tpl_time.h: Go's time package for the date functions
 * (tpl_time.c: dates and zones; tpl_time_fmt.c: layouts, parsing,
 * durations). Internal to engine/tpl. */
#ifndef KD_TPL_TIME_H
#define KD_TPL_TIME_H

#include "tpl_int.h"

/* A zone loaded from tzdata (refcounted; UTC is static). */
typedef struct tpl_zone tpl_zone;
tpl_zone *tpl_zone_utc(void);
/* time.LoadLocation: "", "UTC", "Local", or a tzdata name. Returns owned
 * (one reference) or NULL when unknown. */
tpl_zone *tpl_zone_load(const char *name);
tpl_zone *tpl_zone_local(void);   /* owned; Go's Local (TZ, /etc/localtime) */
/* time.FixedZone(NAME, OFF): owned. NULL when out of memory. */
tpl_zone *tpl_zone_fixed(const char *name, size_t n, int32_t off);
tpl_zone *tpl_zone_ref(tpl_zone *z);
void tpl_zone_unref(tpl_zone *z);
const char *tpl_zone_name(const tpl_zone *z);

/* A time.Time: an instant, and the zone it is shown in. */
typedef struct {
  int64_t sec;       /* Unix seconds */
  int32_t nsec;      /* 0..999999999 */
  tpl_zone *zone;    /* one reference */
  int32_t offset;    /* seconds east of UTC at this instant */
  char abbr[16];     /* "CET", "UTC"; "" for a zone known only by offset */
  int has_mono;      /* Go's monotonic reading, set by now and kept by Add */
  int64_t mono;      /* nanoseconds since the first real-clock now */
} tpl_time;

/* A new time.Time object (tpl_fn_dates.c) at SEC/NSEC shown in ZONE
 * (borrowed). */
int tpl_time_value(int64_t sec, int32_t nsec, tpl_zone *zone, tpl_val *out);

/* Moves T into zone Z (T->zone takes a reference), setting offset/abbr. */
void tpl_time_in(tpl_time *t, tpl_zone *z);

typedef struct {
  int64_t year;
  int month, day, hour, min, sec, wday, yday;   /* wday 0 = Sunday */
} tpl_civil;
void tpl_time_civil(const tpl_time *t, tpl_civil *c);
int64_t tpl_days_from_civil(int64_t y, int m, int d);

/* Time.Format(LAYOUT) appended to B. */
int tpl_time_format(const tpl_time *t, const char *layout, size_t len, kd_buf *b);
/* time.ParseInLocation(LAYOUT, VALUE, LOC): KD_OK and *T (zone owned), or
 * KD_EPARSE with Go's message in MSG. */
int tpl_time_parse(const char *layout, size_t llen, const char *value,
                   size_t vlen, tpl_zone *loc, tpl_time *t, kd_buf *msg);

/* Duration.String and time.ParseDuration (KD_EPARSE + Go's message). */
int tpl_duration_string(int64_t d, kd_buf *b);
int tpl_duration_parse(const char *s, size_t n, int64_t *d, kd_buf *msg);

#endif
