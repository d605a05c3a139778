/* engine/sim/sim_watch.c: watch streams: initial events or replay from a
 * resourceVersion out of the event log, live events filtered by namespace
 * and selectors (objects entering/leaving a selector become ADDED/DELETED
 * as in kube), bookmarks, timeoutSeconds, 410 Expired, injected drops. */
#include "sim_int.h"

#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BOOKMARK_MS 5000

static const char *type_name(int t)
{
  return t == SIM_ADDED ? "ADDED" : t == SIM_MODIFIED ? "MODIFIED" : "DELETED";
}

static void send_event(sim *s, sim_watch *w, int type, const char *json,
                       size_t len)
{
  kd_buf b = {0};
  kd_buf_printf(&b, "{\"type\":\"%s\",\"object\":", type_name(type));
  kd_buf_add(&b, json, len);
  kd_buf_adds(&b, "}\n");
  s->n_events_sent++;
  sim_stream_chunk(s, w->conn, b.data, b.len);
  kd_buf_free(&b);
}

/* JSON of OBJ as W's resource version serves it (CRD versions differ only
 * in apiVersion). Returns owned in OUT when re-encoding was needed. */
static int needs_reencode(const sim_watch *w, const kd_value *obj)
{
  char gv[300];
  const char *av = sim_str(obj, "apiVersion");
  return w->res->crd && av && strcmp(av, sim_res_gvstr(w->res, gv, sizeof gv));
}

static void send_obj_event(sim *s, sim_watch *w, int type, const kd_value *obj,
                           const char *json, size_t len)
{
  if (w->table) {
    kd_buf t = {0};
    const kd_value *rvv = kd_value_path(obj, "metadata.resourceVersion");
    sim_table_begin(s, &t, w->res, rvv && rvv->type == KD_STR
                                       ? strtoull(rvv->u.str.s, NULL, 10) : s->rv,
                    NULL);
    sim_table_row(s, &t, w->res, obj, json, len, w->include, 1);
    kd_buf_adds(&t, "]}");
    send_event(s, w, type, t.data ? t.data : "{}", t.len);
    kd_buf_free(&t);
    return;
  }
  if (needs_reencode(w, obj)) {
    kd_value tmp;
    kd_buf b = {0};
    char gv[300];
    if (kd_value_copy(&tmp, obj) != KD_OK) return;
    sim_set_str(&tmp, "apiVersion", sim_res_gvstr(w->res, gv, sizeof gv));
    json_encode(&tmp, 0, &b, NULL);
    send_event(s, w, type, b.data ? b.data : "{}", b.len);
    kd_buf_free(&b);
    kd_value_clear(&tmp);
    return;
  }
  send_event(s, w, type, json, len);
}

static int matches(const sim_watch *w, const kd_value *obj)
{
  if (!obj) return 0;
  if (w->labels && !sim_selector_match(w->labels, obj)) return 0;
  if (w->fields && !sim_selector_match(w->fields, obj)) return 0;
  return 1;
}

static int ns_ok(const sim_watch *w, const char *ns)
{
  return !w->ns || strcmp(w->ns, ns ? ns : "") == 0;
}

static void send_bookmark(sim *s, sim_watch *w, const char *annotation)
{
  kd_buf b = {0};
  char gv[300];
  kd_buf_printf(&b, "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"%s\","
                "\"apiVersion\":\"%s\",\"metadata\":{\"resourceVersion\":"
                "\"%llu\",\"creationTimestamp\":null%s}}}\n", w->res->kind,
                sim_res_gvstr(w->res, gv, sizeof gv),
                (unsigned long long)s->rv, annotation ? annotation : "");
  sim_stream_chunk(s, w->conn, b.data, b.len);
  kd_buf_free(&b);
}

static void bookmark_tick(sim *s, void *ctx)
{
  sim_watch *w = ctx;
  w->bookmark_timer = 0;
  send_bookmark(s, w, NULL);
  if (!w->conn->dead)
    w->bookmark_timer = sim_timer_add(s, BOOKMARK_MS, bookmark_tick, w);
}

/* Ends the stream cleanly: the connection goes on with the next request. */
static void timeout_tick(sim *s, void *ctx)
{
  sim_watch *w = ctx;
  sim_conn *c = w->conn;
  w->timeout_timer = 0;
  if (w->bookmarks) send_bookmark(s, w, NULL);   /* kube sends one at the end */
  c->watch = NULL;
  sim_watch_free(s, w);
  sim_stream_end(s, c);
  sim_conn_resume(s, c);
}

static void drop_tick(sim *s, void *ctx)
{
  sim_watch *w = ctx;
  w->drop_timer = 0;
  s->n_watch_dropped++;
  sim_conn_close(s, w->conn);   /* frees w */
}

static void watch_release(sim_watch *w)
{
  sim_selector_free(w->labels);
  sim_selector_free(w->fields);
  free(w->ns);
  free(w);
}

void sim_watch_free(sim *s, sim_watch *w)
{
  size_t i;
  if (!w) return;
  if (w->timeout_timer) sim_timer_cancel(s, w->timeout_timer);
  if (w->bookmark_timer) sim_timer_cancel(s, w->bookmark_timer);
  if (w->drop_timer) sim_timer_cancel(s, w->drop_timer);
  w->timeout_timer = w->bookmark_timer = w->drop_timer = 0;
  if (w->conn && w->conn->watch == w) w->conn->watch = NULL;
  for (i = 0; i < s->n_watches; i++)
    if (s->watches[i] == w) {
      if (s->watch_iter) {   /* sim_watch_event removes it afterwards */
        w->zombie = 1;
        return;
      }
      s->watches[i] = s->watches[--s->n_watches];
      break;
    }
  watch_release(w);
}

void sim_watch_close_res(sim *s, const sim_resource *r)
{
  size_t i = 0;
  while (i < s->n_watches) {
    sim_watch *w = s->watches[i];
    if (w->res == r) {
      sim_conn *c = w->conn;
      c->watch = NULL;
      sim_watch_free(s, w);   /* swaps the last one into slot i */
      sim_stream_end(s, c);
      c->close_after = 1;
      sim_conn_flush(s, c);
    } else {
      i++;
    }
  }
}

static void error_event(sim *s, sim_conn *c, int code, const char *reason,
                        const char *msg)
{
  kd_buf b = {0};
  kd_buf_adds(&b, "{\"type\":\"ERROR\",\"object\":");
  sim_status_json(&b, code, reason, msg, NULL);
  kd_buf_adds(&b, "}\n");
  sim_stream_chunk(s, c, b.data, b.len);
  kd_buf_free(&b);
}

/* Replays log entries after RV that the watch may see. */
static void replay(sim *s, sim_watch *w, long from)
{
  size_t i;
  for (i = (size_t)from; i < s->log_len; i++) {
    sim_logev *e = sim_log_at(s, i);
    kd_value obj;
    kd_error err;
    if (e->table != w->res->table || !ns_ok(w, e->ns)) continue;
    if (json_decode(e->json->data, e->json->len, "log", &obj, &err)) continue;
    if (matches(w, &obj)) send_obj_event(s, w, e->type, &obj, e->json->data,
                                         e->json->len);
    kd_value_clear(&obj);
  }
}

static void initial_events(sim *s, sim_watch *w)
{
  sim_table *t = w->res->table;
  size_t i;
  for (i = 0; i < t->len; i++) {
    sim_obj *o = t->items[i];
    sim_blob *b;
    if (!ns_ok(w, o->ns) || !matches(w, &o->v)) continue;
    b = sim_obj_json(o);
    if (b) send_obj_event(s, w, SIM_ADDED, &o->v, b->data, b->len);
  }
}

void sim_watch_start(sim *s, sim_conn *c, sim_req *req, sim_resource *r,
                     const char *ns)
{
  char *rv = sim_query_get(req->query, "resourceVersion");
  char *ls = sim_query_get(req->query, "labelSelector");
  char *fs = sim_query_get(req->query, "fieldSelector");
  char *bm = sim_query_get(req->query, "allowWatchBookmarks");
  char *to = sim_query_get(req->query, "timeoutSeconds");
  char *sie = sim_query_get(req->query, "sendInitialEvents");
  kd_error err = {0};
  sim_watch *w = calloc(1, sizeof *w);
  long from = -2;
  if (!w) { sim_send_status(s, c, 500, "InternalError", "oom", NULL); goto done; }
  w->conn = c;
  w->res = r;
  w->ns = r->namespaced && ns && ns[0] ? sim_strdup(ns) : NULL;
  if ((ls && ls[0] && !(w->labels = sim_selector_parse(ls, 0, &err))) ||
      (fs && fs[0] && !(w->fields = sim_selector_parse(fs, 1, &err)))) {
    sim_send_status(s, c, 400, "BadRequest", err.msg, NULL);
    sim_watch_free(s, w);
    goto done;
  }
  w->bookmarks = bm && (strcmp(bm, "true") == 0 || strcmp(bm, "1") == 0);
  w->table = sim_table_wanted(req);
  w->include = sim_table_include(req);
  if (rv && rv[0] && strcmp(rv, "0") != 0) {
    char *end;
    unsigned long long x = strtoull(rv, &end, 10);
    if (*end) {
      char msg[300];
      snprintf(msg, sizeof msg, "invalid resource version: %.100s", rv);
      sim_send_status(s, c, 400, "BadRequest", msg, NULL);
      sim_watch_free(s, w);
      goto done;
    }
    from = sim_log_from(s, x);
    if (s->cfg.faults.watch_410) { s->n_watch_410++; from = -1; }
    if (from < 0) {
      char msg[200];
      snprintf(msg, sizeof msg, "too old resource version: %llu (%llu)", x,
               (unsigned long long)(s->log_min_rv + 1));
      sim_stream_start(s, c, "application/json");
      error_event(s, c, 410, "Expired", msg);
      sim_stream_end(s, c);
      sim_watch_free(s, w);
      goto done;
    }
  }
  /* register before sending, so events queued meanwhile reach it */
  if (s->n_watches == s->watches_cap) {
    size_t ncap = s->watches_cap ? s->watches_cap * 2 : 64;
    sim_watch **nw = realloc(s->watches, ncap * sizeof *nw);
    if (!nw) {
      sim_send_status(s, c, 500, "InternalError", "oom", NULL);
      sim_watch_free(s, w);
      goto done;
    }
    s->watches = nw;
    s->watches_cap = ncap;
  }
  s->watches[s->n_watches++] = w;
  s->n_watches_total++;
  c->watch = w;
  sim_stream_start(s, c, "application/json");
  if (from >= 0) replay(s, w, from);
  else initial_events(s, w);
  if (sie && strcmp(sie, "true") == 0 && w->bookmarks)
    send_bookmark(s, w, ",\"annotations\":{\"k8s.io/initial-events-end\":"
                        "\"true\"}");
  if (to && to[0]) {
    long secs = strtol(to, NULL, 10);
    if (secs > 0) w->timeout_timer = sim_timer_add(s, secs * 1000,
                                                   timeout_tick, w);
  }
  if (w->bookmarks)
    w->bookmark_timer = sim_timer_add(s, BOOKMARK_MS, bookmark_tick, w);
  if (s->cfg.faults.watch_drop_s > 0)
    w->drop_timer = sim_timer_add(s, (int64_t)s->cfg.faults.watch_drop_s * 1000,
                                  drop_tick, w);
done:
  free(rv);
  free(ls);
  free(fs);
  free(bm);
  free(to);
  free(sie);
}

/* Delivers one committed event to every matching watch. A send can close
 * a slow reader's connection; sim_watch_free then only marks the watch
 * (s->watch_iter), and it is removed after the loop. */
void sim_watch_event(sim *s, const sim_qev *ev)
{
  size_t i, j;
  const char *ns = sim_str(&ev->obj, "metadata.namespace");
  if (!s->n_watches) return;
  s->watch_iter = 1;
  for (i = 0; i < s->n_watches; i++) {
    sim_watch *w = s->watches[i];
    int now, before, type = ev->type;
    if (w->zombie || w->res->table != ev->res->table || w->conn->dead)
      continue;
    if (!ns_ok(w, ns ? ns : "")) continue;
    now = matches(w, &ev->obj);
    if (ev->type == SIM_MODIFIED && ev->has_old) {
      before = matches(w, &ev->old);
      if (!now && !before) continue;
      if (now && !before) type = SIM_ADDED;
      else if (!now && before) type = SIM_DELETED;
    } else if (!now) {
      continue;
    }
    send_obj_event(s, w, type, &ev->obj, ev->json->data, ev->json->len);
  }
  s->watch_iter = 0;
  for (i = j = 0; i < s->n_watches; i++) {
    if (s->watches[i]->zombie) {
      s->watches[i]->zombie = 0;
      s->watches[i]->conn = NULL;
      watch_release(s->watches[i]);
    } else {
      s->watches[j++] = s->watches[i];
    }
  }
  s->n_watches = j;
}
