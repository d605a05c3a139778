/* engine/watch_logs.c: pod log streams. Lines are split as they arrive;
 * the server is always asked for timestamps, so that a reconnect can start
 * at sinceTime=<last line's time> and skip the lines already delivered
 * (sinceTime may be coarser than the timestamps: several lines can share
 * the resumed second). */
#include "watch.h"

#include <stdlib.h>
#include <string.h>

#define LINE_CAP ((size_t)16 << 20)

typedef struct line { char *ts, *text; size_t len; } line;

struct watch_log {
  kube_client *c;
  char *path, *query, *first;  /* first: for the first request only */
  int follow;
  loop_id notify;
  kube_call *call;
  kd_buf partial;             /* a line still missing its newline */
  line *q;
  size_t head, n, cap;
  line out;                   /* the line last returned by next */
  char *last_ts;              /* normalised time of the last line delivered */
  size_t at_last;             /* lines delivered with exactly that time */
  char *skip_ts;              /* after a reconnect: drop lines up to here */
  size_t skip_n;
  watch_log_state state;
  kd_error err;
};

/* Timestamps as RFC 3339 with exactly nine fraction digits, so that byte
 * order is time order (the kubelet prints trailing zeros trimmed, mostly
 * in UTC; a zone offset is kept as it is: order holds while it does not
 * change). The zone begins after the fraction's digits, or after the
 * seconds ("YYYY-MM-DDTHH:MM:SS" is 19 bytes) without a fraction. */
static char *normalise(const char *ts, size_t n)
{
  kd_buf b = {0};
  const char *dot = memchr(ts, '.', n), *end = ts + n, *zone;
  size_t digits = 0;
  if (dot) {
    kd_buf_add(&b, ts, (size_t)(dot - ts) + 1);
    for (zone = dot + 1; zone < end && *zone >= '0' && *zone <= '9'; zone++)
      if (digits < 9) {
        kd_buf_addc(&b, *zone);
        digits++;
      }
  } else {
    zone = n > 19 ? ts + 19 : end;
    kd_buf_add(&b, ts, (size_t)(zone - ts));
    kd_buf_addc(&b, '.');
  }
  for (; digits < 9; digits++) kd_buf_addc(&b, '0');
  kd_buf_add(&b, zone, (size_t)(end - zone));
  return kd_buf_take(&b, NULL);
}

/* Marks the log's notify ready; a detached log (no client) has none. */
static void wake(watch_log *lg)
{
  if (lg->c) loop_ready(kube_client_loop(lg->c), lg->notify);
}

static void line_free(line *l)
{
  free(l->ts);
  free(l->text);
  memset(l, 0, sizeof *l);
}

static int enqueue(watch_log *lg, const char *ts, size_t tslen, const char *text,
                   size_t len)
{
  line *l;
  char *norm = normalise(ts, tslen);
  int cmp;
  if (!norm) return KD_ENOMEM;
  if (lg->skip_ts) {        /* resuming: drop what was seen before */
    cmp = strcmp(norm, lg->skip_ts);
    if (cmp < 0 || (cmp == 0 && lg->skip_n > 0)) {
      if (cmp == 0) lg->skip_n--;
      free(norm);
      return KD_OK;
    }
    free(lg->skip_ts);
    lg->skip_ts = NULL;
  }
  if (lg->head + lg->n == lg->cap) {
    if (lg->head) {
      memmove(lg->q, lg->q + lg->head, lg->n * sizeof *lg->q);
      lg->head = 0;
    }
    if (lg->n == lg->cap) {
      size_t cap = lg->cap ? lg->cap * 2 : 32;
      line *p = realloc(lg->q, cap * sizeof *p);
      if (!p) {
        free(norm);
        return KD_ENOMEM;
      }
      lg->q = p;
      lg->cap = cap;
    }
  }
  l = &lg->q[lg->head + lg->n];
  l->ts = kd_strndup(ts, tslen);
  l->text = kd_strndup(text, len);
  l->len = len;
  if (!l->ts || !l->text) {
    line_free(l);
    free(norm);
    return KD_ENOMEM;
  }
  if (lg->last_ts && strcmp(lg->last_ts, norm) == 0) {
    lg->at_last++;
    free(norm);
  } else {
    free(lg->last_ts);
    lg->last_ts = norm;
    lg->at_last = 1;
  }
  if (lg->n++ == 0) wake(lg);
  return KD_OK;
}

/* One complete line "TIMESTAMP TEXT" (without its newline). */
static int add_line(watch_log *lg, const char *p, size_t n)
{
  const char *sp = memchr(p, ' ', n);
  if (n && p[n - 1] == '\r') n--;
  if (!sp) return enqueue(lg, p, n, "", 0);    /* an empty line: only the time */
  return enqueue(lg, p, (size_t)(sp - p), sp + 1, n - (size_t)(sp - p) - 1);
}

static int on_data(void *ctx, const char *data, size_t len)
{
  watch_log *lg = ctx;
  const char *p = data, *end = data + len, *nl;
  while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
    int rc;
    if (lg->partial.len) {
      if (kd_buf_add(&lg->partial, p, (size_t)(nl - p))) return 1;
      rc = add_line(lg, lg->partial.data, lg->partial.len);
      lg->partial.len = 0;
    } else {
      rc = add_line(lg, p, (size_t)(nl - p));
    }
    if (rc) return 1;
    p = nl + 1;
  }
  lg->partial.cap = LINE_CAP;
  return p < end && kd_buf_add(&lg->partial, p, (size_t)(end - p)) ? 1 : 0;
}

static void on_done(void *ctx, const kube_resp *r)
{
  watch_log *lg = ctx;
  lg->call = NULL;
  if (r->status == 200 && r->err.code == KD_OK) {
    /* a clean end: the last line may lack its newline */
    if (lg->partial.len) add_line(lg, lg->partial.data, lg->partial.len);
    lg->state = WATCH_LOG_ENDED;
  } else {
    lg->err = r->err;
    lg->err.http_status = r->status;
    lg->state = WATCH_LOG_FAILED;
  }
  lg->partial.len = 0;      /* a broken line comes again after a reconnect */
  wake(lg);
}

/* "&sinceTime=TS" percent-encoded: a zone offset's '+' would be read as a
 * space, the line's time being whatever the server sent. ':' may stay (a
 * query may hold it) and does, as servers and tests see it so. */
static int add_since(kd_buf *b, const char *ts)
{
  if (kd_buf_adds(b, "&sinceTime=")) return KD_ENOMEM;
  return kd_buf_add_escaped(b, ts, ":");
}

static int start(watch_log *lg, kd_error *err)
{
  kd_buf p = {0};
  kube_req req;
  int rc = kd_buf_printf(&p, "%s?timestamps=true%s%s%s", lg->path,
                         lg->follow ? "&follow=true" : "", lg->query ? "&" : "",
                         lg->query ? lg->query : "");
  if (!rc && lg->last_ts) rc = add_since(&p, lg->last_ts);
  else if (!rc && lg->first) rc = kd_buf_printf(&p, "&%s", lg->first);
  if (rc) return kd_error_set(err, KD_ENOMEM, "out of memory");
  memset(&req, 0, sizeof req);
  req.verb = "GET";
  req.path = p.data;
  req.accept = "*/*";
  req.stream = 1;
  req.timeout = -1;
  lg->state = WATCH_LOG_RUNNING;
  lg->call = kube_call_start(lg->c, &req, on_done, on_data, lg, err);
  kd_buf_free(&p);
  return lg->call ? KD_OK : err->code;
}

watch_log *watch_log_open(kube_client *c, const char *path, const char *query,
                          const char *first, int follow, loop_id notify,
                          kd_error *err)
{
  watch_log *lg = calloc(1, sizeof *lg);
  if (!lg || !(lg->path = kd_strndup(path, strlen(path))) ||
      (query && query[0] && !(lg->query = kd_strndup(query, strlen(query)))) ||
      (first && first[0] && !(lg->first = kd_strndup(first, strlen(first))))) {
    watch_log_close(lg);
    kd_error_set(err, KD_ENOMEM, "out of memory");
    return NULL;
  }
  lg->c = c;
  lg->follow = follow;
  lg->notify = notify;
  if (start(lg, err)) {
    watch_log_close(lg);
    return NULL;
  }
  return lg;
}

int watch_log_next(watch_log *lg, const char **ts, const char **text, size_t *len)
{
  line_free(&lg->out);
  if (lg->n == 0) return 0;
  lg->out = lg->q[lg->head++];
  if (--lg->n == 0) lg->head = 0;
  *ts = lg->out.ts;
  *text = lg->out.text;
  *len = lg->out.len;
  return 1;
}

size_t watch_log_pending(const watch_log *lg) { return lg->n; }

watch_log_state watch_log_status(const watch_log *lg, kd_error *err)
{
  if (err && lg->state == WATCH_LOG_FAILED) *err = lg->err;
  return lg->state;
}

int watch_log_reconnect(watch_log *lg, kd_error *err)
{
  if (lg->call) return KD_OK;
  if (lg->last_ts) {
    char *p = kd_strndup(lg->last_ts, strlen(lg->last_ts));
    if (!p) return kd_error_set(err, KD_ENOMEM, "out of memory");
    free(lg->skip_ts);
    lg->skip_ts = p;
    lg->skip_n = lg->at_last;
  }
  return lg->c ? start(lg, err) : KD_OK;
}

const char *watch_log_since(const watch_log *lg) { return lg->last_ts; }

watch_log *watch_log_detached(void)
{
  return calloc(1, sizeof(watch_log));
}

int watch_log_feed(watch_log *lg, const char *data, size_t len)
{
  return on_data(lg, data, len);
}

void watch_log_feed_end(watch_log *lg, int clean)
{
  kube_resp r;
  memset(&r, 0, sizeof r);
  r.status = clean ? 200 : 0;
  if (!clean) kd_error_set(&r.err, KD_EIO, "stream broken");
  on_done(lg, &r);
}

void watch_log_close(watch_log *lg)
{
  size_t i;
  if (!lg) return;
  if (lg->call) kube_call_cancel(lg->call);
  for (i = 0; i < lg->n; i++) line_free(&lg->q[lg->head + i]);
  line_free(&lg->out);
  free(lg->q);
  kd_buf_free(&lg->partial);
  free(lg->path);
  free(lg->query);
  free(lg->first);
  free(lg->last_ts);
  free(lg->skip_ts);
  free(lg);
}
