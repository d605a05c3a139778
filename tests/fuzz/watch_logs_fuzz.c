/* tests/fuzz/watch_logs_fuzz.c: libFuzzer target for pod log streams
 * (engine/watch_logs.c), fed by hand (watch_log_detached). Checks:
 * - the input as a stream, fed whole or in chunks of any sizes (with lines
 *   popped in between), gives the same lines; one line per newline (and
 *   one for a last line without it); no timestamp holds a space or a
 *   newline, no text a newline;
 * - the input read as a script makes a kubelet-like log (RFC 3339 times in
 *   UTC or with one zone offset, nanoseconds with trailing zeros trimmed,
 *   never decreasing, often equal) and breaks the stream at any byte, each reconnect resending
 *   from some line at or before the first line of the last time delivered,
 *   as sinceTime (whole seconds) does: every line is delivered once, in
 *   order; the sinceTime it would send is the last line's time. */
#include "watch.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

typedef struct { const unsigned char *p; size_t n, at; } reader;

static unsigned byte(reader *r) { return r->at < r->n ? r->p[r->at++] : 0; }

/* Pops every queued line into OUT as "<ts>|<len>|<text>\n". */
static void drain(watch_log *lg, kd_buf *out)
{
  const char *ts, *text;
  size_t len;
  while (watch_log_next(lg, &ts, &text, &len)) {
    if (strchr(ts, ' ') || strchr(ts, '\n') || memchr(text, '\n', len)) abort();
    if (kd_buf_printf(out, "%s|%zu|", ts, len) || kd_buf_add(out, text, len) ||
        kd_buf_addc(out, '\n'))
      abort();
  }
}

static size_t count_lines(const char *s, size_t n)
{
  size_t lines = 0, i;
  for (i = 0; i < n; i++) lines += s[i] == '\n';
  return lines + (n && s[n - 1] != '\n');
}

static size_t count_records(const kd_buf *b)
{
  /* a record's text may not hold '\n', its timestamp neither: one each */
  return b->len ? count_lines(b->data, b->len) : 0;
}

static void split_invariance(const unsigned char *data, size_t size)
{
  const char *s = (const char *)data;
  watch_log *whole = watch_log_detached(), *split = watch_log_detached();
  kd_buf a = {0}, b = {0};
  reader r = {data, size, 0};
  size_t at = 0;
  if (!whole || !split) abort();
  if (watch_log_feed(whole, s, size)) abort();
  watch_log_feed_end(whole, 1);
  drain(whole, &a);
  while (at < size) {
    unsigned k = byte(&r);
    size_t n = k % 5 == 0 ? k * 7 : 1 + k % 9;
    if (k % 17 == 0 && watch_log_feed(split, s + at, 0)) abort();  /* empty chunk */
    if (n == 0) n = 1;
    if (n > size - at) n = size - at;
    if (watch_log_feed(split, s + at, n)) abort();
    at += n;
    if (k & 0x80) drain(split, &b);
    if (r.at == r.n) r.at = 0;
  }
  watch_log_feed_end(split, 1);
  if (watch_log_status(split, NULL) != WATCH_LOG_ENDED) abort();
  drain(split, &b);
  if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len))) abort();
  if (count_records(&a) != count_lines(s, size)) abort();
  kd_buf_free(&a);
  kd_buf_free(&b);
  watch_log_close(whole);
  watch_log_close(split);
}

/* ---- reconnects ------------------------------------------------------------ */

#define MAX_LINES 48

typedef struct {
  kd_buf stream;              /* every line as the kubelet sends it */
  size_t start[MAX_LINES + 1];/* where line i begins; start[n]: the end */
  long long ns[MAX_LINES];    /* its time */
  int zone;                   /* the zone the times are printed in */
  kd_buf want;                /* the lines as drain prints them */
  size_t n;
} log_script;

static const struct { const char *name; int offset; } zones[] = {
  {"Z", 0}, {"+02:00", 7200}, {"-05:30", -19800}
};

/* Go's RFC3339Nano: fraction digits with trailing zeros trimmed, no dot
 * for a whole second; in UTC or (a runtime on a node in another time
 * zone) with an offset. */
static void put_time(kd_buf *b, long long ns, int zone)
{
  time_t sec = (time_t)(1796306400 + ns / 1000000000 + zones[zone].offset);
  long frac = (long)(ns % 1000000000);
  struct tm tm;
  char digits[16];
  int nd = 9;
  gmtime_r(&sec, &tm);
  kd_buf_printf(b, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (frac) {
    snprintf(digits, sizeof digits, "%09ld", frac);
    while (digits[nd - 1] == '0') nd--;
    kd_buf_printf(b, ".%.*s", nd, digits);
  }
  kd_buf_adds(b, zones[zone].name);
}

static void make_script(reader *r, log_script *ls)
{
  long long ns = 0;
  size_t n = byte(r) % (MAX_LINES + 1), i, j;
  ls->zone = (int)(byte(r) % 3);
  static const long long steps[4] = {0, 1000, 1000000, 100000000};
  for (i = 0; i < n; i++) {
    unsigned k = byte(r), len = byte(r) % 12;
    size_t ts_at;
    ns += steps[k & 3] * (long long)(byte(r) + (k & 3 ? 1 : 0));
    ls->ns[i] = ns;
    ls->start[i] = ls->stream.len;
    put_time(&ls->stream, ns, ls->zone);
    ts_at = ls->start[i];
    kd_buf_add(&ls->want, ls->stream.data + ts_at, ls->stream.len - ts_at);
    kd_buf_printf(&ls->want, "|%u|", len);
    if (len || (k & 4)) kd_buf_addc(&ls->stream, ' ');
    for (j = 0; j < len; j++) {
      char ch = (char)byte(r);
      if (ch == '\n' || ch == '\r') ch = '_';
      kd_buf_addc(&ls->stream, ch);
      kd_buf_addc(&ls->want, ch);
    }
    kd_buf_adds(&ls->stream, k & 8 ? "\r\n" : "\n");
    kd_buf_addc(&ls->want, '\n');
  }
  ls->start[n] = ls->stream.len;
  ls->n = n;
}

/* Feeds bytes FROM..TO of the stream in chunks, popping lines at times. */
static void feed_range(watch_log *lg, const log_script *ls, reader *r,
                       size_t from, size_t to, kd_buf *got)
{
  while (from < to) {
    unsigned k = byte(r);
    size_t n = 1 + k % 23;
    if (n > to - from) n = to - from;
    if (watch_log_feed(lg, ls->stream.data + from, n)) abort();
    from += n;
    if (k & 0x40) drain(lg, got);
  }
}

/* The sinceTime a reconnect sends is the time of the last line delivered
 * (of DONE), as RFC 3339. */
static void check_since(const watch_log *lg, const log_script *ls, size_t done)
{
  const char *since = watch_log_since(lg);
  kd_buf ts = {0};
  double want, got;
  if (!done) {
    if (since) abort();
    return;
  }
  put_time(&ts, ls->ns[done - 1], ls->zone);
  if (!since || kube_parse_time(ts.data, &want) || kube_parse_time(since, &got) ||
      got != want)
    abort();
  kd_buf_free(&ts);
}

static void reconnects(const unsigned char *data, size_t size)
{
  reader r = {data, size, 0};
  log_script ls;
  watch_log *lg = watch_log_detached();
  kd_buf got = {0};
  size_t from = 0, done = 0, breaks = 0, end;
  kd_error err = {0};
  memset(&ls, 0, sizeof ls);
  if (!lg) abort();
  make_script(&r, &ls);
  end = ls.stream.len;
  for (;;) {
    /* this connection sends from line FROM up to byte CUT, then breaks */
    size_t cut = breaks < 8 && byte(&r) & 1 ? ls.start[from] +
                 (byte(&r) * 257u + byte(&r)) % (end - ls.start[from] + 1) : end;
    size_t first, g;
    feed_range(lg, &ls, &r, ls.start[from], cut, &got);
    while (done < ls.n && ls.start[done + 1] <= cut) done++;  /* lines whole */
    if (cut == end) break;
    watch_log_feed_end(lg, 0);
    if (watch_log_status(lg, &err) != WATCH_LOG_FAILED || !err.code) abort();
    check_since(lg, &ls, done);
    if (watch_log_reconnect(lg, &err)) abort();
    breaks++;
    /* resend from a line at or before the first of the last time seen */
    for (g = done; g > 0 && done && ls.ns[g - 1] == ls.ns[done - 1]; g--) {}
    if (!done) g = 0;
    first = g ? byte(&r) % (g + 1) : 0;
    from = first;
  }
  watch_log_feed_end(lg, 1);
  if (watch_log_status(lg, NULL) != WATCH_LOG_ENDED) abort();
  drain(lg, &got);
  if (got.len != ls.want.len || (got.len && memcmp(got.data, ls.want.data, got.len)))
    abort();
  kd_buf_free(&got);
  kd_buf_free(&ls.want);
  kd_buf_free(&ls.stream);
  watch_log_close(lg);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
  split_invariance(data, size);
  reconnects(data, size);
  return 0;
}
