/* engine/sim/sim_logs.c: pod logs: lines appended by the simulated
 * kubelet (sim_log_append), served by GET .../pods/NAME/log with
 * container, follow, timestamps, tailLines, sinceSeconds, sinceTime,
 * limitBytes; followers get new lines as they are appended. */
#define _GNU_SOURCE
#include "sim_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct logline {
  int64_t ts_ms;       /* wall clock */
  char *text;
  size_t len;
} logline;

struct sim_logfollow {
  sim_conn *conn;
  sim_loglines *ll;
  int timestamps;
};

struct sim_loglines {
  char *ns, *pod, *container;
  logline *lines;
  size_t n, cap;
  sim_logfollow **followers;
  size_t n_followers;
  sim_loglines *next;
};

static sim_loglines *find(sim *s, const char *ns, const char *pod,
                          const char *container, int create)
{
  sim_loglines *l;
  for (l = s->logs; l; l = l->next)
    if (!strcmp(l->ns, ns) && !strcmp(l->pod, pod) &&
        !strcmp(l->container, container))
      return l;
  if (!create) return NULL;
  l = calloc(1, sizeof *l);
  if (!l) return NULL;
  l->ns = sim_strdup(ns);
  l->pod = sim_strdup(pod);
  l->container = sim_strdup(container);
  if (!l->ns || !l->pod || !l->container) {
    free(l->ns);
    free(l->pod);
    free(l->container);
    free(l);
    return NULL;
  }
  l->next = s->logs;
  s->logs = l;
  return l;
}

static void format_line(kd_buf *b, const logline *ln, int timestamps)
{
  if (timestamps) {
    time_t t = (time_t)(ln->ts_ms / 1000);
    struct tm tm;
    char ts[40];
    gmtime_r(&t, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    kd_buf_printf(b, "%s.%09lldZ ", ts, (long long)(ln->ts_ms % 1000) * 1000000);
  }
  kd_buf_add(b, ln->text, ln->len);
  kd_buf_addc(b, '\n');
}

int sim_log_append(sim *s, const char *ns, const char *pod,
                   const char *container, const char *line, size_t len)
{
  sim_loglines *l = find(s, ns, pod, container, 1);
  logline *ln;
  size_t i;
  if (!l) return KD_ENOMEM;
  if (len && line[len - 1] == '\n') len--;
  if (l->n == l->cap) {
    size_t ncap = l->cap ? l->cap * 2 : 16;
    logline *nl = realloc(l->lines, ncap * sizeof *nl);
    if (!nl) return KD_ENOMEM;
    l->lines = nl;
    l->cap = ncap;
  }
  ln = &l->lines[l->n];
  ln->text = kd_strndup(line, len);
  if (!ln->text) return KD_ENOMEM;
  ln->len = len;
  ln->ts_ms = sim_wall_ms();
  l->n++;
  for (i = 0; i < l->n_followers; i++) {
    kd_buf b = {0};
    format_line(&b, ln, l->followers[i]->timestamps);
    sim_stream_chunk(s, l->followers[i]->conn, b.data, b.len);
    kd_buf_free(&b);
  }
  return KD_OK;
}

static void end_follower(sim *s, sim_logfollow *f)
{
  sim_conn *c = f->conn;
  c->follow = NULL;
  sim_follow_free(s, f);
  sim_stream_end(s, c);
  sim_conn_resume(s, c);
}

void sim_log_end(sim *s, const char *ns, const char *pod,
                 const char *container)
{
  sim_loglines *l = find(s, ns, pod, container, 0);
  while (l && l->n_followers) end_follower(s, l->followers[0]);
}

static void lines_free(sim *s, sim_loglines *l)
{
  size_t i;
  while (l->n_followers) end_follower(s, l->followers[0]);
  for (i = 0; i < l->n; i++) free(l->lines[i].text);
  free(l->lines);
  free(l->followers);
  free(l->ns);
  free(l->pod);
  free(l->container);
  free(l);
}

void sim_log_drop(sim *s, const char *ns, const char *pod)
{
  sim_loglines **p = &s->logs;
  while (*p) {
    sim_loglines *l = *p;
    if (!strcmp(l->ns, ns) && !strcmp(l->pod, pod)) {
      *p = l->next;
      lines_free(s, l);
    } else {
      p = &l->next;
    }
  }
}

void sim_logs_free(sim *s)
{
  while (s->logs) {
    sim_loglines *l = s->logs;
    s->logs = l->next;
    lines_free(s, l);
  }
}

void sim_follow_free(sim *s, sim_logfollow *f)
{
  size_t i;
  (void)s;
  if (!f) return;
  for (i = 0; i < f->ll->n_followers; i++)
    if (f->ll->followers[i] == f) {
      f->ll->followers[i] = f->ll->followers[--f->ll->n_followers];
      break;
    }
  if (f->conn && f->conn->follow == f) f->conn->follow = NULL;
  free(f);
}

/* Parses RFC 3339 "YYYY-MM-DDTHH:MM:SS[.frac]Z" into unix ms (-1: bad). */
static int64_t parse_time(const char *t)
{
  struct tm tm;
  const char *rest;
  memset(&tm, 0, sizeof tm);
  rest = strptime(t, "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return -1;
  return (int64_t)timegm(&tm) * 1000;
}

/* The containers of POD, checked against the "container" parameter.
 * Returns the chosen name (borrowed) or NULL after sending a 400. */
static const char *pick_container(sim *s, sim_conn *c, const kd_value *pod,
                                  const char *want, const char *name)
{
  const kd_value *cs = kd_value_path(pod, "spec.containers");
  const kd_value *ics = kd_value_path(pod, "spec.initContainers");
  size_t i, n = cs && cs->type == KD_ARR ? cs->u.arr.len : 0;
  char msg[1024];
  if (want && want[0]) {
    const kd_value *lists[2] = {cs, ics};
    int k;
    for (k = 0; k < 2; k++)
      for (i = 0; lists[k] && lists[k]->type == KD_ARR &&
                  i < lists[k]->u.arr.len; i++) {
        const char *cn = sim_str(&lists[k]->u.arr.items[i], "name");
        if (cn && !strcmp(cn, want)) return cn;
      }
    snprintf(msg, sizeof msg, "container %s is not valid for pod %s", want,
             name);
    sim_send_status(s, c, 400, "BadRequest", msg, NULL);
    return NULL;
  }
  if (n == 1) return sim_str(&cs->u.arr.items[0], "name");
  {
    kd_buf b = {0};
    kd_buf_printf(&b, "a container name must be specified for pod %s, "
                  "choose one of: [", name);
    for (i = 0; i < n; i++)
      kd_buf_printf(&b, "%s%s", i ? " " : "",
                    sim_str(&cs->u.arr.items[i], "name")
                        ? sim_str(&cs->u.arr.items[i], "name") : "");
    kd_buf_addc(&b, ']');
    sim_send_status(s, c, 400, "BadRequest", b.data ? b.data : "", NULL);
    kd_buf_free(&b);
  }
  return NULL;
}

/* The container's status says it terminated (and is not restarting). */
static int terminated(const kd_value *pod, const char *cname)
{
  static const char *const lists[] = {"status.containerStatuses",
                                      "status.initContainerStatuses"};
  int l;
  for (l = 0; l < 2; l++) {
    const kd_value *cs = kd_value_path(pod, lists[l]);
    size_t i;
    for (i = 0; cs && cs->type == KD_ARR && i < cs->u.arr.len; i++) {
      const char *n = sim_str(&cs->u.arr.items[i], "name");
      if (n && !strcmp(n, cname))
        return kd_value_path(&cs->u.arr.items[i], "state.terminated") != NULL;
    }
  }
  return 0;
}

void sim_logs_handle(sim *s, sim_conn *c, sim_req *req, const char *ns,
                     const char *pod)
{
  sim_resource *pods = sim_res_find(s, "", "v1", "pods");
  const kd_value *p = sim_obj_get(s, pods, ns, pod);
  char *want = sim_query_get(req->query, "container");
  char *follow = sim_query_get(req->query, "follow");
  char *tsq = sim_query_get(req->query, "timestamps");
  char *tail = sim_query_get(req->query, "tailLines");
  char *since = sim_query_get(req->query, "sinceSeconds");
  char *since_t = sim_query_get(req->query, "sinceTime");
  char *limit = sim_query_get(req->query, "limitBytes");
  const char *cname;
  sim_loglines *l;
  kd_buf b = {0};
  size_t first = 0, i;
  int ts = tsq && !strcmp(tsq, "true");
  int fol = follow && !strcmp(follow, "true");
  int64_t min_ms = -1;
  if (!p) {
    kd_error err = {0};
    sim_err_notfound(s, &err, pods, pod);
    sim_send_error(s, c, &err);
    goto done;
  }
  if (!(cname = pick_container(s, c, p, want, pod))) goto done;
  if (fol && terminated(p, cname)) fol = 0;   /* nothing more will come */
  l = find(s, ns, pod, cname, fol);
  if (!l && sim_str(p, "status.phase") &&
      !strcmp(sim_str(p, "status.phase"), "Pending")) {
    char msg[600];
    snprintf(msg, sizeof msg, "container \"%s\" in pod \"%s\" is waiting to "
             "start: ContainerCreating", cname, pod);
    sim_send_status(s, c, 400, "BadRequest", msg, NULL);
    goto done;
  }
  if (since && since[0]) min_ms = sim_wall_ms() - strtoll(since, NULL, 10) * 1000;
  if (since_t && since_t[0]) min_ms = parse_time(since_t);
  if (l && tail && tail[0]) {
    long long t = strtoll(tail, NULL, 10);
    if (t >= 0 && (size_t)t < l->n) first = l->n - (size_t)t;
  }
  for (i = first; l && i < l->n; i++)
    if (min_ms < 0 || l->lines[i].ts_ms >= min_ms)
      format_line(&b, &l->lines[i], ts);
  if (limit && limit[0]) {
    long long lim = strtoll(limit, NULL, 10);
    if (lim > 0 && (size_t)lim < b.len) b.len = (size_t)lim;
  }
  if (!fol) {
    sim_respond(s, c, 200, "text/plain", NULL, b.data ? b.data : "", b.len);
    goto done;
  }
  {
    sim_logfollow *f = calloc(1, sizeof *f);
    sim_logfollow **nf;
    if (!f || !(nf = realloc(l->followers, (l->n_followers + 1) * sizeof *nf))) {
      free(f);
      sim_send_status(s, c, 500, "InternalError", "out of memory", NULL);
      goto done;
    }
    l->followers = nf;
    f->conn = c;
    f->ll = l;
    f->timestamps = ts;
    l->followers[l->n_followers++] = f;
    c->follow = f;
    sim_stream_start(s, c, "text/plain");
    sim_stream_chunk(s, c, b.data, b.len);
  }
done:
  kd_buf_free(&b);
  free(want);
  free(follow);
  free(tsq);
  free(tail);
  free(since);
  free(since_t);
  free(limit);
}
