/* engine/watch.c: shared watch streams with an object cache (list, watch,
 * resume, relist on 410) and their subscribers' event queues. */
#include "json.h"
#include "watch.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- object map: "namespace/name" -> watch_obj, open addressing ---------- */

typedef struct slot { char *key; watch_obj *obj; } slot;
typedef struct objmap { slot *s; size_t used, cap; } objmap;   /* cap: power of 2 */
static char TOMB;                                               /* deleted slot key */

static size_t hash(const char *k)
{
  size_t h = 1469598103934665603u;
  while (*k) h = (h ^ (unsigned char)*k++) * 1099511628211u;
  return h;
}

void watch_obj_release(watch_obj *o)
{
  if (o && --o->refs == 0) {
    kd_value_clear(&o->v);
    free(o);
  }
}

static void map_clear(objmap *m)
{
  size_t i;
  for (i = 0; i < m->cap; i++) {
    if (m->s[i].key && m->s[i].key != &TOMB) {
      free(m->s[i].key);
      watch_obj_release(m->s[i].obj);
    }
  }
  free(m->s);
  memset(m, 0, sizeof *m);
}

static slot *map_find(const objmap *m, const char *key)
{
  size_t i, mask = m->cap - 1;
  if (!m->cap) return NULL;
  for (i = hash(key) & mask;; i = (i + 1) & mask) {
    slot *s = &m->s[i];
    if (!s->key) return NULL;
    if (s->key != &TOMB && strcmp(s->key, key) == 0) return s;
  }
}

static int map_grow(objmap *m)
{
  objmap n;
  size_t i;
  n.cap = m->cap ? m->cap * 2 : 64;
  n.used = 0;
  if (!(n.s = calloc(n.cap, sizeof *n.s))) return KD_ENOMEM;
  for (i = 0; i < m->cap; i++) {
    slot *s = &m->s[i];
    if (s->key && s->key != &TOMB) {
      size_t j = hash(s->key) & (n.cap - 1);
      while (n.s[j].key) j = (j + 1) & (n.cap - 1);
      n.s[j] = *s;
      n.used++;
    }
  }
  free(m->s);
  *m = n;
  return KD_OK;
}

/* Sets KEY to OBJ (takes the reference); the old object is released. */
static int map_put(objmap *m, const char *key, watch_obj *obj)
{
  slot *s = map_find(m, key);
  size_t i;
  if (s) {
    watch_obj_release(s->obj);
    s->obj = obj;
    return KD_OK;
  }
  if ((m->used + 1) * 4 > m->cap * 3 && map_grow(m)) return KD_ENOMEM;
  for (i = hash(key) & (m->cap - 1); m->s[i].key && m->s[i].key != &TOMB;
       i = (i + 1) & (m->cap - 1)) {}
  if (!(m->s[i].key = kd_strndup(key, strlen(key)))) return KD_ENOMEM;
  m->s[i].obj = obj;
  m->used++;   /* tombstones count as used until the next grow */
  return KD_OK;
}

static void map_del(objmap *m, slot *s)
{
  free(s->key);
  watch_obj_release(s->obj);
  s->key = &TOMB;
  s->obj = NULL;
}

/* ---- streams and subscribers ----------------------------------------------- */

typedef struct qitem { watch_type type; watch_obj *obj; } qitem;
typedef struct watch_stream watch_stream;

struct watch_sub {
  watch_stream *st;
  watch_sub *prev, *next;
  loop_id notify;
  qitem *q;
  size_t head, n, cap;
  int synced;
};

struct watch_stream {
  watch_hub *hub;
  watch_stream *prev, *next;
  char *key, *path, *label, *field, *api_version, *kind, *rv, *cont;
  int timeout_seconds, page_size;
  objmap cache, fresh;        /* fresh: a list in progress */
  int synced, stopped, need_relist, failures, lists, watches;
  int quiet;                  /* lists since the last watch event */
  kube_call *call;
  loop_id timer;
  watch_framer fr;
  kd_error err;
  watch_obj *err_obj;
  watch_sub *subs;
};

struct watch_hub {
  kube_client *c;
  loop *l;
  watch_stream *streams;
  unsigned seed;
};

static char *dupstr(const char *s) { return s ? kd_strndup(s, strlen(s)) : NULL; }
static const char *str(const kd_value *o, const char *key)
{
  const kd_value *v = o && o->type == KD_OBJ ? kd_obj_gets(o, key) : NULL;
  return v && v->type == KD_STR ? v->u.str.s : NULL;
}

watch_hub *watch_hub_new(kube_client *c, kd_error *err)
{
  watch_hub *h = calloc(1, sizeof *h);
  if (!h) {
    kd_error_set(err, KD_ENOMEM, "out of memory");
    return NULL;
  }
  h->c = c;
  h->l = kube_client_loop(c);
  h->seed = (unsigned)getpid() ^ (unsigned)time(NULL);
  return h;
}

static int push(watch_sub *s, watch_type type, watch_obj *obj)
{
  if (s->head + s->n == s->cap) {
    if (s->head) {
      memmove(s->q, s->q + s->head, s->n * sizeof *s->q);
      s->head = 0;
    }
    if (s->n == s->cap) {
      size_t cap = s->cap ? s->cap * 2 : 16;
      qitem *p = realloc(s->q, cap * sizeof *p);
      if (!p) return KD_ENOMEM;
      s->q = p;
      s->cap = cap;
    }
  }
  if (obj) obj->refs++;
  s->q[s->head + s->n].type = type;
  s->q[s->head + s->n].obj = obj;
  if (s->n++ == 0) loop_ready(s->st->hub->l, s->notify);
  return KD_OK;
}

static void emit(watch_stream *st, watch_type type, watch_obj *obj)
{
  watch_sub *s;
  for (s = st->subs; s; s = s->next) push(s, type, obj);   /* OOM: event lost */
}

/* "namespace/name" of an object, into B. */
static const char *obj_key(const kd_value *o, kd_buf *b)
{
  const kd_value *md = kd_obj_gets(o, "metadata");
  const char *ns = str(md, "namespace"), *name = str(md, "name");
  b->len = 0;
  if (!name || kd_buf_printf(b, "%s/%s", ns ? ns : "", name)) return NULL;
  return b->data;
}

static const char *obj_rv(const kd_value *o)
{
  return str(kd_obj_gets(o, "metadata"), "resourceVersion");
}

static void set_rv(watch_stream *st, const char *rv)
{
  char *p;
  if (!rv || !rv[0] || !(p = dupstr(rv))) return;
  free(st->rv);
  st->rv = p;
}

/* Moves V into a new shared object (V is left null). */
static watch_obj *new_obj(kd_value *v)
{
  watch_obj *o = malloc(sizeof *o);
  if (!o) return NULL;
  o->refs = 1;
  o->v = *v;
  kd_value_null(v);
  return o;
}

static void stop_stream(watch_stream *st, const kd_error *e, watch_obj *status)
{
  if (st->call) kube_call_cancel(st->call);
  if (st->timer) loop_timer_cancel(st->hub->l, st->timer);
  st->call = NULL;
  st->timer = 0;
  st->stopped = 1;
  st->err = *e;
  st->err_obj = status;
  emit(st, WATCH_ERROR, status);
}

static void start_list(watch_stream *st);
static void start_watch(watch_stream *st);

static void retry_cb(void *ctx)
{
  watch_stream *st = ctx;
  st->timer = 0;
  if (st->synced && st->rv && !st->need_relist) start_watch(st);
  else start_list(st);
}

/* A transient failure: try again after a growing, jittered delay. */
static void backoff(watch_stream *st)
{
  double d = 0.2 * (double)(1 << (st->failures < 8 ? st->failures : 8));
  if (d > 30) d = 30;
  d *= 0.8 + 0.4 * (double)rand_r(&st->hub->seed) / RAND_MAX;
  st->failures++;
  st->timer = loop_timer(st->hub->l, d, retry_cb, st);
}

static int permanent(int status)
{
  return status == 400 || status == 401 || status == 403 || status == 404 ||
         status == 405 || status == 422;
}

/* Ends a failed request: permanent errors stop the stream for good. */
static void failed(watch_stream *st, const kube_resp *r, const char *what)
{
  kd_error e = r->err;
  watch_obj *status = NULL;
  if (!permanent(r->status)) {
    backoff(st);
    return;
  }
  kd_error_set(&e, r->err.code, "%s %s: %s", what, st->path, r->err.msg);
  e.http_status = r->status;
  if (r->len) {
    kd_value v;
    if (json_decode(r->body, r->len, "status", &v, NULL) == KD_OK) status = new_obj(&v);
  }
  stop_stream(st, &e, status);
}

/* Appends "&key=value" (percent-encoded) to B. */
static int add_param(kd_buf *b, const char *key, const char *val)
{
  if (!val || !val[0]) return KD_OK;
  if (kd_buf_printf(b, "&%s=", key)) return KD_ENOMEM;
  return kd_buf_add_escaped(b, val, "");
}

/* ---- listing ------------------------------------------------------------- */

/* The list is complete: FRESH replaces CACHE, the differences are events. */
static void apply_list(watch_stream *st)
{
  size_t i;
  for (i = 0; i < st->fresh.cap; i++) {
    slot *s = &st->fresh.s[i];
    slot *old;
    const char *rv;
    if (!s->key || s->key == &TOMB) continue;
    old = map_find(&st->cache, s->key);
    rv = obj_rv(&s->obj->v);
    if (!old) emit(st, WATCH_ADDED, s->obj);
    else if (!rv || !obj_rv(&old->obj->v) || strcmp(rv, obj_rv(&old->obj->v)) != 0)
      emit(st, WATCH_MODIFIED, s->obj);
  }
  for (i = 0; i < st->cache.cap; i++) {
    slot *s = &st->cache.s[i];
    if (s->key && s->key != &TOMB && !map_find(&st->fresh, s->key))
      emit(st, WATCH_DELETED, s->obj);
  }
  map_clear(&st->cache);
  st->cache = st->fresh;
  memset(&st->fresh, 0, sizeof st->fresh);
}

static int take_items(watch_stream *st, kd_value *list)
{
  kd_value *items = kd_obj_gets(list, "items");
  kd_buf key = {0};
  size_t i;
  int rc = KD_OK;
  for (i = 0; items && items->type == KD_ARR && i < items->u.arr.len && !rc; i++) {
    kd_value *it = &items->u.arr.items[i], *v;
    watch_obj *o;
    if (it->type != KD_OBJ || !obj_key(it, &key)) continue;
    if (st->api_version && !kd_obj_gets(it, "apiVersion") &&
        (!(v = kd_obj_add(it, "apiVersion", 10)) ||
         kd_value_str(v, st->api_version, strlen(st->api_version))))
      rc = KD_ENOMEM;
    if (!rc && st->kind && !kd_obj_gets(it, "kind") &&
        (!(v = kd_obj_add(it, "kind", 4)) || kd_value_str(v, st->kind, strlen(st->kind))))
      rc = KD_ENOMEM;
    if (!rc && !(o = new_obj(it))) rc = KD_ENOMEM;
    if (!rc && map_put(&st->fresh, key.data, o)) {
      watch_obj_release(o);
      rc = KD_ENOMEM;
    }
  }
  kd_buf_free(&key);
  return rc;
}

static void on_list_done(void *ctx, const kube_resp *r)
{
  watch_stream *st = ctx;
  kd_value list;
  const kd_value *md;
  const char *cont;
  st->call = NULL;
  if (r->status == 410 && st->cont) {      /* continue token expired: again */
    free(st->cont);
    st->cont = NULL;
    map_clear(&st->fresh);
    start_list(st);
    return;
  }
  if (r->status != 200) {
    map_clear(&st->fresh);
    free(st->cont);
    st->cont = NULL;
    failed(st, r, "list");
    return;
  }
  if (json_decode(r->body, r->len, "list", &list, NULL) != KD_OK || take_items(st, &list)) {
    kd_value_clear(&list);
    map_clear(&st->fresh);
    backoff(st);
    return;
  }
  md = kd_obj_gets(&list, "metadata");
  cont = str(md, "continue");
  free(st->cont);
  st->cont = cont && cont[0] ? dupstr(cont) : NULL;
  if (!st->cont) set_rv(st, str(md, "resourceVersion"));
  kd_value_clear(&list);
  if (st->cont) {
    start_list(st);
    return;
  }
  apply_list(st);
  st->need_relist = 0;
  st->failures = 0;
  if (!st->synced) {
    st->synced = 1;
    emit(st, WATCH_SYNCED, NULL);
  }
  start_watch(st);
}

static void start_list(watch_stream *st)
{
  kd_buf p = {0};
  kd_error err = {0};
  kube_req req;
  int rc = kd_buf_printf(&p, "%s?limit=%d", st->path, st->page_size) ||
           add_param(&p, "labelSelector", st->label) ||
           add_param(&p, "fieldSelector", st->field) ||
           add_param(&p, "continue", st->cont);
  memset(&req, 0, sizeof req);
  req.verb = "GET";
  req.path = p.data;
  req.idempotent = 1;
  if (!rc && !st->cont) st->lists++;
  if (rc || !(st->call = kube_call_start(st->hub->c, &req, on_list_done, NULL, st, &err)))
    backoff(st);
  kd_buf_free(&p);
}

/* ---- watching ------------------------------------------------------------- */

static int on_frame(void *ctx, const char *text, size_t len)
{
  watch_stream *st = ctx;
  kd_value ev;
  kd_value *obj;
  const char *type;
  kd_buf key = {0};
  slot *cached;
  if (json_decode(text, len, "watch", &ev, NULL) != KD_OK) return 1;
  type = str(&ev, "type");
  obj = kd_obj_gets(&ev, "object");
  if (!type || !obj || obj->type != KD_OBJ) goto done;
  if (strcmp(type, "BOOKMARK") == 0) {
    set_rv(st, obj_rv(obj));
  } else if (strcmp(type, "ERROR") == 0) {
    const kd_value *code = kd_obj_gets(obj, "code");
    if (code && code->type == KD_INT && code->u.i == 410) st->need_relist = 1;
    kd_value_clear(&ev);
    return 1;                   /* end this request; on_watch_done decides */
  } else if (obj_key(obj, &key)) {
    const char *rv = obj_rv(obj);
    st->quiet = 0;
    cached = map_find(&st->cache, key.data);
    set_rv(st, rv);
    if (strcmp(type, "DELETED") == 0) {
      if (cached) {
        watch_obj *o = new_obj(obj);
        if (o) emit(st, WATCH_DELETED, o);
        watch_obj_release(o);
        map_del(&st->cache, cached);
      }
    } else if (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0) {
      const char *old = cached ? obj_rv(&cached->obj->v) : NULL;
      watch_obj *o;
      if (!(old && rv && strcmp(old, rv) == 0) && (o = new_obj(obj))) {  /* not a repeat */
        if (map_put(&st->cache, key.data, o) == KD_OK) {
          emit(st, cached ? WATCH_MODIFIED : WATCH_ADDED, o);
        } else {
          watch_obj_release(o);
        }
      }
    }
  }
done:
  kd_buf_free(&key);
  kd_value_clear(&ev);
  return 0;
}

static int on_watch_data(void *ctx, const char *data, size_t len)
{
  watch_stream *st = ctx;
  return watch_framer_feed(&st->fr, data, len, on_frame, st, NULL) != KD_OK;
}

static void on_watch_done(void *ctx, const kube_resp *r)
{
  watch_stream *st = ctx;
  st->call = NULL;
  watch_framer_reset(&st->fr);
  if (st->need_relist || r->status == 410) {
    /* relist at once, but not in a tight loop when every watch expires
     * before delivering anything */
    st->need_relist = 1;
    if (st->quiet++ > 0) {
      st->failures = st->quiet - 2;
      backoff(st);
    } else {
      start_list(st);
    }
  } else if (r->status == 200 && r->err.code == KD_OK) {
    st->failures = 0;             /* the server ended it (timeoutSeconds) */
    start_watch(st);
  } else if (r->status >= 300 && permanent(r->status)) {
    failed(st, r, "watch");
  } else {
    backoff(st);                  /* dropped, timed out, garbled: resume */
  }
}

static void start_watch(watch_stream *st)
{
  kd_buf p = {0};
  kd_error err = {0};
  kube_req req;
  int t = st->timeout_seconds ? st->timeout_seconds
                              : 300 + rand_r(&st->hub->seed) % 300;
  int rc = kd_buf_printf(&p, "%s?watch=1&allowWatchBookmarks=true&timeoutSeconds=%d",
                         st->path, t) ||
           add_param(&p, "resourceVersion", st->rv) ||
           add_param(&p, "labelSelector", st->label) ||
           add_param(&p, "fieldSelector", st->field);
  memset(&req, 0, sizeof req);
  req.verb = "GET";
  req.path = p.data;
  req.stream = 1;
  req.timeout = t + 30;           /* a silent connection still ends */
  req.idempotent = 1;
  st->watches++;
  if (rc || !(st->call = kube_call_start(st->hub->c, &req, on_watch_done,
                                          on_watch_data, st, &err)))
    backoff(st);
  kd_buf_free(&p);
}

/* ---- subscribing ---------------------------------------------------------- */

static void stream_free(watch_stream *st)
{
  watch_hub *h = st->hub;
  if (st->call) kube_call_cancel(st->call);
  if (st->timer) loop_timer_cancel(h->l, st->timer);
  if (st->prev) st->prev->next = st->next;
  else h->streams = st->next;
  if (st->next) st->next->prev = st->prev;
  map_clear(&st->cache);
  map_clear(&st->fresh);
  watch_framer_free(&st->fr);
  watch_obj_release(st->err_obj);
  free(st->key); free(st->path); free(st->label); free(st->field);
  free(st->api_version); free(st->kind); free(st->rv); free(st->cont);
  free(st);
}

static watch_stream *stream_new(watch_hub *h, const watch_opts *o, const char *key,
                                kd_error *err)
{
  watch_stream *st = calloc(1, sizeof *st);
  if (!st) goto oom;
  st->hub = h;
  st->next = h->streams;
  if (h->streams) h->streams->prev = st;
  h->streams = st;
  st->timeout_seconds = o->timeout_seconds;
  st->page_size = o->page_size > 0 ? o->page_size : 500;
  if (!(st->key = dupstr(key)) || !(st->path = dupstr(o->path)) ||
      (o->label_selector && !(st->label = dupstr(o->label_selector))) ||
      (o->field_selector && !(st->field = dupstr(o->field_selector))) ||
      (o->api_version && !(st->api_version = dupstr(o->api_version))) ||
      (o->kind && !(st->kind = dupstr(o->kind)))) {
    stream_free(st);
    goto oom;
  }
  start_list(st);
  return st;
oom:
  kd_error_set(err, KD_ENOMEM, "out of memory");
  return NULL;
}

watch_sub *watch_subscribe(watch_hub *h, const watch_opts *o, loop_id notify,
                           kd_error *err)
{
  kd_buf key = {0};
  watch_stream *st;
  watch_sub *s;
  size_t i;
  if (!o->path || o->path[0] != '/') {
    kd_error_set(err, KD_EINVAL, "watch: the collection path must start with /");
    return NULL;
  }
  if (kd_buf_printf(&key, "%s\n%s\n%s", o->path, o->label_selector ? o->label_selector : "",
                    o->field_selector ? o->field_selector : "")) {
    kd_error_set(err, KD_ENOMEM, "out of memory");
    return NULL;
  }
  for (st = h->streams; st; st = st->next)
    if (!st->stopped && strcmp(st->key, key.data) == 0) break;
  if (!st && !(st = stream_new(h, o, key.data, err))) {
    kd_buf_free(&key);
    return NULL;
  }
  kd_buf_free(&key);
  if (!(s = calloc(1, sizeof *s))) {
    if (!st->subs) stream_free(st);
    kd_error_set(err, KD_ENOMEM, "out of memory");
    return NULL;
  }
  s->st = st;
  s->notify = notify;
  s->next = st->subs;
  if (st->subs) st->subs->prev = s;
  st->subs = s;
  /* A late subscriber starts from the current state. */
  for (i = 0; i < st->cache.cap; i++)
    if (st->cache.s[i].key && st->cache.s[i].key != &TOMB)
      push(s, WATCH_ADDED, st->cache.s[i].obj);
  if (st->synced) push(s, WATCH_SYNCED, NULL);
  return s;
}

void watch_unsubscribe(watch_sub *s)
{
  watch_stream *st;
  size_t i;
  if (!s) return;
  st = s->st;
  for (i = 0; i < s->n; i++) watch_obj_release(s->q[s->head + i].obj);
  free(s->q);
  if (s->prev) s->prev->next = s->next;
  else st->subs = s->next;
  if (s->next) s->next->prev = s->prev;
  free(s);
  if (!st->subs) stream_free(st);
}

int watch_next(watch_sub *s, watch_type *type, watch_obj **obj, kd_error *err)
{
  qitem it;
  if (s->n == 0) return 0;
  it = s->q[s->head++];
  if (--s->n == 0) s->head = 0;
  *type = it.type;
  *obj = it.obj;
  if (it.type == WATCH_SYNCED) s->synced = 1;
  if (it.type == WATCH_ERROR && err) *err = s->st->err;
  return 1;
}

size_t watch_pending(const watch_sub *s) { return s->n; }
int watch_synced(const watch_sub *s) { return s->synced; }

void watch_each(const watch_sub *s, void (*fn)(void *ctx, const kd_value *obj), void *ctx)
{
  const objmap *m = &s->st->cache;
  size_t i;
  for (i = 0; i < m->cap; i++)
    if (m->s[i].key && m->s[i].key != &TOMB) fn(ctx, &m->s[i].obj->v);
}

const kd_value *watch_get(const watch_sub *s, const char *ns, const char *name)
{
  kd_buf key = {0};
  slot *sl;
  if (kd_buf_printf(&key, "%s/%s", ns ? ns : "", name)) return NULL;
  sl = map_find(&s->st->cache, key.data);
  kd_buf_free(&key);
  return sl ? &sl->obj->v : NULL;
}

size_t watch_hub_streams(const watch_hub *h)
{
  size_t n = 0;
  const watch_stream *st;
  for (st = h->streams; st; st = st->next) n += !st->stopped;
  return n;
}

void watch_stats(const watch_sub *s, int *lists, int *watches)
{
  *lists = s->st->lists;
  *watches = s->st->watches;
}

void watch_hub_stop(watch_hub *h)
{
  watch_stream *st;
  kd_error e = {0};
  if (!h) return;
  kd_error_set(&e, KD_EIO, "the kube client was closed");
  for (st = h->streams; st; st = st->next)
    if (!st->stopped) stop_stream(st, &e, NULL);
}

void watch_hub_free(watch_hub *h)
{
  if (!h) return;
  while (h->streams) stream_free(h->streams);
  free(h);
}
