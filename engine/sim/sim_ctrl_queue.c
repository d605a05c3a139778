/* engine/sim/sim_ctrl_queue.c: the controllers' containers: work queues
 * (one sync per queued key on the next loop turn, delayed requeues) and
 * string maps. */
#include "sim_ctrl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct qkey {
  char *ns, *name;
} qkey;

typedef struct qdelay {
  sim_queue *q;
  char *ns, *name;
  int64_t when;
  uint64_t timer;
  struct qdelay *next;
} qdelay;

struct sim_queue {
  sim *s;
  sim_sync_fn fn;
  void *ctx;
  qkey *keys;          /* pending, in arrival order, no duplicates */
  size_t n, cap;
  uint64_t timer;      /* the next-turn timer, 0 when none */
  qdelay *delayed;
};

sim_queue *sim_queue_new(sim *s, sim_sync_fn fn, void *ctx)
{
  sim_queue *q = calloc(1, sizeof *q);
  if (!q) return NULL;
  q->s = s;
  q->fn = fn;
  q->ctx = ctx;
  return q;
}

static void keys_free(qkey *k, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) {
    free(k[i].ns);
    free(k[i].name);
  }
  free(k);
}

void sim_queue_free(sim_queue *q)
{
  qdelay *d, *next;
  if (!q) return;
  if (q->timer) sim_timer_cancel(q->s, q->timer);
  for (d = q->delayed; d; d = next) {
    next = d->next;
    sim_timer_cancel(q->s, d->timer);
    free(d->ns);
    free(d->name);
    free(d);
  }
  keys_free(q->keys, q->n);
  free(q);
}

static void run(sim *s, void *ctx)
{
  sim_queue *q = ctx;
  qkey *keys = q->keys;
  size_t n = q->n, i;
  q->keys = NULL;
  q->n = q->cap = 0;
  q->timer = 0;
  for (i = 0; i < n; i++) q->fn(s, q->ctx, keys[i].ns, keys[i].name);
  keys_free(keys, n);
}

void sim_queue_add(sim_queue *q, const char *ns, const char *name)
{
  size_t i;
  if (!q || !name) return;
  if (!ns) ns = "";
  for (i = 0; i < q->n; i++)
    if (!strcmp(q->keys[i].name, name) && !strcmp(q->keys[i].ns, ns)) return;
  if (q->n == q->cap) {
    size_t ncap = q->cap ? q->cap * 2 : 16;
    qkey *k = realloc(q->keys, ncap * sizeof *k);
    if (!k) return;
    q->keys = k;
    q->cap = ncap;
  }
  q->keys[q->n].ns = kd_strndup(ns, strlen(ns));
  q->keys[q->n].name = kd_strndup(name, strlen(name));
  if (!q->keys[q->n].ns || !q->keys[q->n].name) {
    free(q->keys[q->n].ns);
    free(q->keys[q->n].name);
    return;
  }
  q->n++;
  if (!q->timer) q->timer = sim_timer_add(q->s, 0, run, q);
}

static void delay_fired(sim *s, void *ctx)
{
  qdelay *d = ctx, **pp;
  sim_queue *q = d->q;
  (void)s;
  for (pp = &q->delayed; *pp; pp = &(*pp)->next)
    if (*pp == d) {
      *pp = d->next;
      break;
    }
  sim_queue_add(q, d->ns, d->name);
  free(d->ns);
  free(d->name);
  free(d);
}

void sim_queue_add_after(sim_queue *q, const char *ns, const char *name,
                         int64_t ms)
{
  qdelay *d;
  int64_t when;
  if (!q || !name) return;
  if (!ns) ns = "";
  if (ms <= 0) {
    sim_queue_add(q, ns, name);
    return;
  }
  when = sim_now_ms(q->s) + ms;
  for (d = q->delayed; d; d = d->next)
    if (!strcmp(d->name, name) && !strcmp(d->ns, ns)) {
      if (d->when <= when) return;
      sim_timer_cancel(q->s, d->timer);
      d->when = when;
      d->timer = sim_timer_add(q->s, ms, delay_fired, d);
      return;
    }
  d = calloc(1, sizeof *d);
  if (!d) return;
  d->q = q;
  d->ns = kd_strndup(ns, strlen(ns));
  d->name = kd_strndup(name, strlen(name));
  if (!d->ns || !d->name) {
    free(d->ns);
    free(d->name);
    free(d);
    return;
  }
  d->when = when;
  d->timer = sim_timer_add(q->s, ms, delay_fired, d);
  d->next = q->delayed;
  q->delayed = d;
}

void sim_queue_add_obj(sim_queue *q, const kd_value *obj)
{
  sim_queue_add(q, sim_vstr(obj, "metadata.namespace"),
                sim_vstr(obj, "metadata.name"));
}

void sim_queue_add_owner(sim_queue *q, const kd_value *obj, const char *kind)
{
  const kd_value *ref = sim_controller_ref(obj);
  const char *k = sim_vstr(ref, "kind");
  if (k && !strcmp(k, kind))
    sim_queue_add(q, sim_vstr(obj, "metadata.namespace"), sim_vstr(ref, "name"));
}

static int add_one(void *ctx, const kd_value *obj)
{
  sim_queue_add_obj(ctx, obj);
  return 0;
}

void sim_queue_add_all(sim_queue *q, const sim_resource *r)
{
  if (!q || !r) return;
  sim_obj_each(q->s, r, NULL, add_one, q);
}

/* ---- string maps: open addressing, linear probing, tombstones ------------*/

typedef struct mslot {
  char *key, *val;
  int dead;              /* a tombstone: keeps probe chains intact */
} mslot;

struct sim_map {
  mslot *tab;
  size_t cap, len, used;  /* used: live + tombstones */
};

static uint64_t str_hash(const char *s)
{
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ULL;
  }
  return h;
}

sim_map *sim_map_new(void) { return calloc(1, sizeof(sim_map)); }

void sim_map_clear(sim_map *m)
{
  size_t i;
  if (!m) return;
  for (i = 0; i < m->cap; i++) {
    free(m->tab[i].key);
    free(m->tab[i].val);
  }
  free(m->tab);
  m->tab = NULL;
  m->cap = m->len = m->used = 0;
}

void sim_map_free(sim_map *m)
{
  sim_map_clear(m);
  free(m);
}

static mslot *slot_of(const sim_map *m, const char *key)
{
  size_t i;
  if (!m->cap) return NULL;
  for (i = str_hash(key) & (m->cap - 1); m->tab[i].key || m->tab[i].dead;
       i = (i + 1) & (m->cap - 1))
    if (m->tab[i].key && !strcmp(m->tab[i].key, key)) return &m->tab[i];
  return NULL;
}

const char *sim_map_get(const sim_map *m, const char *key)
{
  const mslot *x = m ? slot_of(m, key) : NULL;
  return x ? x->val : NULL;
}

static int rehash(sim_map *m, size_t ncap)
{
  mslot *n = calloc(ncap, sizeof *n), *old = m->tab;
  size_t i, ocap = m->cap;
  if (!n) return KD_ENOMEM;
  for (i = 0; i < ocap; i++) {
    size_t j;
    if (!old[i].key) continue;
    for (j = str_hash(old[i].key) & (ncap - 1); n[j].key; j = (j + 1) & (ncap - 1)) {}
    n[j].key = old[i].key;
    n[j].val = old[i].val;
  }
  free(old);
  m->tab = n;
  m->cap = ncap;
  m->used = m->len;
  return KD_OK;
}

int sim_map_put(sim_map *m, const char *key, const char *val)
{
  mslot *x = slot_of(m, key);
  char *v = kd_strndup(val, strlen(val));
  size_t i;
  if (!v) return KD_ENOMEM;
  if (x) {
    free(x->val);
    x->val = v;
    return KD_OK;
  }
  if ((m->used + 1) * 2 > m->cap) {   /* grow, or just drop tombstones */
    size_t ncap = m->cap ? m->cap : 64;
    while ((m->len + 1) * 4 > ncap) ncap *= 2;
    if (rehash(m, ncap)) {
      free(v);
      return KD_ENOMEM;
    }
  }
  for (i = str_hash(key) & (m->cap - 1); m->tab[i].key; i = (i + 1) & (m->cap - 1)) {}
  if (!(m->tab[i].key = kd_strndup(key, strlen(key)))) {
    free(v);
    return KD_ENOMEM;
  }
  if (!m->tab[i].dead) m->used++;
  m->tab[i].dead = 0;
  m->tab[i].val = v;
  m->len++;
  return KD_OK;
}

void sim_map_del(sim_map *m, const char *key)
{
  mslot *x = m ? slot_of(m, key) : NULL;
  if (!x) return;
  free(x->key);
  free(x->val);
  x->key = x->val = NULL;
  x->dead = 1;
  m->len--;
}

size_t sim_map_len(const sim_map *m) { return m ? m->len : 0; }

int sim_ctrl_begin(sim *s, void *ctx, sim_sync_fn sync, sim_event_fn on_event,
                   const sim_resource *r, sim_queue **q, int *sub,
                   kd_error *err)
{
  if (!(*q = sim_queue_new(s, sync, ctx)))
    return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
  *sub = sim_subscribe(s, on_event, ctx);
  sim_queue_add_all(*q, r);
  return KD_OK;
}

void sim_ctrl_end(sim *s, sim_queue *q, int sub)
{
  sim_unsubscribe(s, sub);
  sim_queue_free(q);
}
