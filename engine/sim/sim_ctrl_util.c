/* engine/sim/sim_ctrl_util.c: the controllers' toolkit (sim_ctrl.h):
 * fields, lists, owner references, label selectors, conditions, time,
 * IntOrString, hash names. */
#include "sim_ctrl.h"

#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- fields --------------------------------------------------------------*/

const char *sim_vstr(const kd_value *v, const char *path)
{
  const kd_value *x = v ? kd_value_path(v, path) : NULL;
  return x && x->type == KD_STR ? x->u.str.s : NULL;
}

int64_t sim_vint(const kd_value *v, const char *path, int64_t dflt)
{
  const kd_value *x = v ? kd_value_path(v, path) : NULL;
  if (x && x->type == KD_INT) return x->u.i;
  if (x && x->type == KD_FLOAT) return (int64_t)x->u.f;
  return dflt;
}

int sim_vbool(const kd_value *v, const char *path, int dflt)
{
  const kd_value *x = v ? kd_value_path(v, path) : NULL;
  return x && x->type == KD_BOOL ? x->u.b : dflt;
}

/* The slot at PATH, making objects along the way. */
static kd_value *slot(kd_value *v, const char *path)
{
  kd_value *cur = v;
  const char *p = path;
  for (;;) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    kd_value *next;
    if (cur->type != KD_OBJ) {
      kd_value_clear(cur);
      kd_value_obj(cur);
    }
    next = kd_obj_get(cur, p, n);
    if (!next && !(next = kd_obj_add(cur, p, n))) return NULL;
    if (!dot) return next;
    cur = next;
    p = dot + 1;
  }
}

void sim_vset_str(kd_value *v, const char *path, const char *s)
{
  kd_value *x = slot(v, path);
  if (!x) return;
  kd_value_clear(x);
  kd_value_str(x, s, strlen(s));
}

void sim_vset_int(kd_value *v, const char *path, int64_t i)
{
  kd_value *x = slot(v, path);
  if (!x) return;
  kd_value_clear(x);
  kd_value_int(x, i);
}

void sim_vset_bool(kd_value *v, const char *path, int b)
{
  kd_value *x = slot(v, path);
  if (!x) return;
  kd_value_clear(x);
  kd_value_bool(x, b);
}

void sim_vset_null(kd_value *v, const char *path)
{
  kd_value *x = slot(v, path);
  if (x) kd_value_clear(x);
}

static void del_member(kd_value *o, const char *key, size_t klen)
{
  size_t i;
  if (!o || o->type != KD_OBJ) return;
  for (i = 0; i < o->u.obj.len; i++) {
    kd_member *m = &o->u.obj.m[i];
    if (m->klen == klen && memcmp(m->key, key, klen) == 0) {
      free(m->key);
      kd_value_clear(&m->val);
      memmove(m, m + 1, (o->u.obj.len - i - 1) * sizeof *m);
      o->u.obj.len--;
      return;
    }
  }
}

void sim_vdel(kd_value *v, const char *path)
{
  const char *dot = strrchr(path, '.');
  kd_value *parent = v;
  if (dot) {
    char buf[256];
    size_t n = (size_t)(dot - path);
    if (n >= sizeof buf) return;
    memcpy(buf, path, n);
    buf[n] = 0;
    parent = kd_value_path(v, buf);
    path = dot + 1;
  }
  del_member(parent, path, strlen(path));
}

kd_value *sim_vobj(kd_value *v, const char *path)
{
  kd_value *x = slot(v, path);
  if (x && x->type != KD_OBJ) {
    kd_value_clear(x);
    kd_value_obj(x);
  }
  return x;
}

kd_value *sim_varr(kd_value *v, const char *path)
{
  kd_value *x = slot(v, path);
  if (x && x->type != KD_ARR) {
    kd_value_clear(x);
    kd_value_arr(x);
  }
  return x;
}

size_t sim_vlen(const kd_value *arr)
{
  return arr && arr->type == KD_ARR ? arr->u.arr.len : 0;
}

const char *sim_vkey(const kd_value *map, const char *key)
{
  const kd_value *x;
  if (!map || map->type != KD_OBJ) return NULL;
  x = kd_obj_get(map, key, strlen(key));
  return x && x->type == KD_STR ? x->u.str.s : NULL;
}

void sim_vset_key(kd_value *map, const char *key, const char *val)
{
  kd_value *x;
  if (!map) return;
  if (map->type != KD_OBJ) {
    kd_value_clear(map);
    kd_value_obj(map);
  }
  x = kd_obj_get(map, key, strlen(key));
  if (!x && !(x = kd_obj_add(map, key, strlen(key)))) return;
  kd_value_clear(x);
  kd_value_str(x, val, strlen(val));
}

void sim_vdel_key(kd_value *map, const char *key)
{
  del_member(map, key, strlen(key));
}

void sim_vpush_str(kd_value *a, const char *s)
{
  kd_value *x;
  if (!a || a->type != KD_ARR || !(x = kd_arr_push(a))) return;
  kd_value_str(x, s, strlen(s));
}

/* ---- lists -----------------------------------------------------------------*/

struct list_ctx {
  kd_value *out;
  sim_filter_fn filter;
  void *ctx;
};

static int list_one(void *ctx, const kd_value *obj)
{
  struct list_ctx *l = ctx;
  kd_value *x;
  if (l->filter && !l->filter(l->ctx, obj)) return 0;
  if ((x = kd_arr_push(l->out))) kd_value_copy(x, obj);
  return 0;
}

void sim_list(sim *s, const sim_resource *r, const char *ns,
              sim_filter_fn filter, void *ctx, kd_value *out)
{
  struct list_ctx l;
  kd_value_arr(out);
  if (!r) return;
  l.out = out;
  l.filter = filter;
  l.ctx = ctx;
  sim_obj_each(s, r, ns, list_one, &l);
}

int sim_filter_owned(void *ctx, const kd_value *obj)
{
  return sim_controlled_by(obj, ctx);
}

const sim_resource *sim_res(sim *s, const char *group, const char *plural)
{
  return sim_resource_get(s, group, NULL, plural);
}

/* ---- owner references ------------------------------------------------------*/

const kd_value *sim_controller_ref(const kd_value *obj)
{
  const kd_value *refs = kd_value_path(obj, "metadata.ownerReferences");
  size_t i;
  for (i = 0; i < sim_vlen(refs); i++)
    if (sim_vbool(&refs->u.arr.items[i], "controller", 0))
      return &refs->u.arr.items[i];
  return NULL;
}

int sim_controlled_by(const kd_value *obj, const char *uid)
{
  const kd_value *ref = sim_controller_ref(obj);
  const char *u = sim_vstr(ref, "uid");
  return u && uid && strcmp(u, uid) == 0;
}

void sim_set_controller(kd_value *obj, const kd_value *owner)
{
  kd_value *refs = sim_varr(obj, "metadata.ownerReferences");
  kd_value *ref;
  const char *uid = sim_vstr(owner, "metadata.uid");
  size_t i;
  if (!refs || !uid) return;
  for (i = 0; i < refs->u.arr.len; i++)
    if (sim_vstr(&refs->u.arr.items[i], "uid") &&
        !strcmp(sim_vstr(&refs->u.arr.items[i], "uid"), uid))
      return;
  if (!(ref = kd_arr_push(refs))) return;
  kd_value_obj(ref);
  sim_vset_str(ref, "apiVersion", sim_vstr(owner, "apiVersion"));
  sim_vset_str(ref, "kind", sim_vstr(owner, "kind"));
  sim_vset_str(ref, "name", sim_vstr(owner, "metadata.name"));
  sim_vset_str(ref, "uid", uid);
  sim_vset_bool(ref, "controller", 1);
  sim_vset_bool(ref, "blockOwnerDeletion", 1);
}

/* ---- label selectors --------------------------------------------------------*/

static int in_values(const kd_value *values, const char *v)
{
  size_t i;
  for (i = 0; v && i < sim_vlen(values); i++) {
    const kd_value *x = &values->u.arr.items[i];
    if (x->type == KD_STR && strcmp(x->u.str.s, v) == 0) return 1;
  }
  return 0;
}

static int expr_match(const kd_value *e, const kd_value *labels)
{
  const char *key = sim_vstr(e, "key"), *op = sim_vstr(e, "operator");
  const kd_value *values = kd_obj_gets(e, "values");
  const char *have;
  if (!key || !op) return 0;
  have = sim_vkey(labels, key);
  if (!strcmp(op, "In")) return have && in_values(values, have);
  if (!strcmp(op, "NotIn")) return !have || !in_values(values, have);
  if (!strcmp(op, "Exists")) return have != NULL;
  if (!strcmp(op, "DoesNotExist")) return have == NULL;
  return 0;
}

int sim_map_match(const kd_value *sel, const kd_value *labels,
                  int empty_matches)
{
  size_t i;
  if (!sel || sel->type != KD_OBJ || sel->u.obj.len == 0)
    return empty_matches;
  for (i = 0; i < sel->u.obj.len; i++) {
    const kd_member *m = &sel->u.obj.m[i];
    const char *have = sim_vkey(labels, m->key);
    if (m->val.type != KD_STR || !have || strcmp(have, m->val.u.str.s))
      return 0;
  }
  return 1;
}

int sim_lsel_match(const kd_value *sel, const kd_value *labels)
{
  const kd_value *ml, *me;
  size_t i;
  if (!sel || sel->type != KD_OBJ) return 0;
  ml = kd_obj_gets(sel, "matchLabels");
  me = kd_obj_gets(sel, "matchExpressions");
  if (ml && !sim_map_match(ml, labels, 1)) return 0;
  for (i = 0; i < sim_vlen(me); i++)
    if (!expr_match(&me->u.arr.items[i], labels)) return 0;
  return 1;
}

/* ---- conditions ----------------------------------------------------------------*/

kd_value *sim_cond_get(const kd_value *obj, const char *type)
{
  const kd_value *c = kd_value_path(obj, "status.conditions");
  size_t i;
  for (i = 0; i < sim_vlen(c); i++) {
    const char *t = sim_vstr(&c->u.arr.items[i], "type");
    if (t && strcmp(t, type) == 0) return &c->u.arr.items[i];
  }
  return NULL;
}

int sim_cond_true(const kd_value *obj, const char *type)
{
  const char *st = sim_vstr(sim_cond_get(obj, type), "status");
  return st && strcmp(st, "True") == 0;
}

static int same_str(const char *a, const char *b)
{
  if (!a || !a[0]) return !b || !b[0];
  return b && strcmp(a, b) == 0;
}

void sim_cond_del(kd_value *obj, const char *type)
{
  kd_value *c = kd_value_path(obj, "status.conditions");
  size_t i;
  for (i = 0; i < sim_vlen(c); i++) {
    const char *t = sim_vstr(&c->u.arr.items[i], "type");
    if (t && strcmp(t, type) == 0) {
      kd_value_clear(&c->u.arr.items[i]);
      memmove(&c->u.arr.items[i], &c->u.arr.items[i + 1],
              (c->u.arr.len - i - 1) * sizeof *c->u.arr.items);
      c->u.arr.len--;
      return;
    }
  }
}

int sim_cond_set(kd_value *obj, const char *type, const char *status,
                 const char *reason, const char *msg, unsigned flags,
                 const char *now)
{
  kd_value *cur = sim_cond_get(obj, type), nc, *slotp;
  const char *since = NULL;   /* borrowed from CUR, alive until it goes */
  if (cur && same_str(sim_vstr(cur, "status"), status) &&
      same_str(sim_vstr(cur, "reason"), reason) &&
      same_str(sim_vstr(cur, "message"), msg))
    return 0;
  if (cur && same_str(sim_vstr(cur, "status"), status))
    since = sim_vstr(cur, "lastTransitionTime");
  kd_value_obj(&nc);
  sim_vset_str(&nc, "type", type);
  sim_vset_str(&nc, "status", status);
  if (flags & SIM_COND_PROBE_TIME) sim_vset_str(&nc, "lastProbeTime", now);
  if (flags & SIM_COND_NULL_PROBE) sim_vset_null(&nc, "lastProbeTime");
  if (flags & SIM_COND_UPDATE_TIME) sim_vset_str(&nc, "lastUpdateTime", now);
  sim_vset_str(&nc, "lastTransitionTime", since ? since : now);
  if (reason && reason[0]) sim_vset_str(&nc, "reason", reason);
  if (msg && msg[0]) sim_vset_str(&nc, "message", msg);
  if (cur && (flags & SIM_COND_IN_PLACE)) {
    kd_value_clear(cur);
    *cur = nc;
    return 1;
  }
  if (cur) sim_cond_del(obj, type);
  if ((slotp = kd_arr_push(sim_varr(obj, "status.conditions")))) *slotp = nc;
  else kd_value_clear(&nc);
  return 1;
}

/* ---- time and numbers -------------------------------------------------------------*/

int64_t sim_parse_ms(const char *s, int64_t dflt)
{
  char *end;
  double x;
  if (!s || !s[0]) return dflt;
  x = strtod(s, &end);
  if (end == s || x < 0) return dflt;
  if (!*end || !strcmp(end, "s")) return (int64_t)(x * 1000);
  if (!strcmp(end, "ms")) return (int64_t)x;
  if (!strcmp(end, "m")) return (int64_t)(x * 60000);
  if (!strcmp(end, "h")) return (int64_t)(x * 3600000);
  return dflt;
}

int64_t sim_time_ms(const char *t)
{
  struct tm tm;
  int n = 0;
  memset(&tm, 0, sizeof tm);
  if (!t || sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
                   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) < 6)
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return (int64_t)timegm(&tm) * 1000;
}

char *sim_time_str(int64_t wall_ms)
{
  time_t t = (time_t)(wall_ms / 1000);
  struct tm tm;
  char *out = malloc(32);
  if (!out) return NULL;
  gmtime_r(&t, &tm);
  strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

int64_t sim_scaled(const kd_value *v, int64_t total, int round_up,
                   int64_t dflt)
{
  if (!v || v->type == KD_NULL) return dflt;
  if (v->type == KD_INT) return v->u.i;
  if (v->type == KD_STR) {
    char *end;
    double pct = strtod(v->u.str.s, &end);
    if (end != v->u.str.s && *end == '%') {
      double x = pct * (double)total / 100.0;
      int64_t i = (int64_t)x;
      if (round_up && (double)i < x) i++;
      return i;
    }
    if (end != v->u.str.s && !*end) return (int64_t)pct;
  }
  return dflt;
}

/* ---- names -------------------------------------------------------------------------*/

void sim_hash(const kd_value *v, int64_t collision, char *out)
{
  static const char safe[] = "bcdfghjklmnpqrstvwxz2456789";
  kd_buf b = {0};
  uint32_t h = 2166136261u;
  char digits[16];
  size_t i;
  json_encode(v, JSON_SORT_KEYS, &b, NULL);
  for (i = 0; i < b.len; i++) {
    h ^= (unsigned char)b.data[i];
    h *= 16777619u;
  }
  kd_buf_free(&b);
  if (collision >= 0) {
    uint32_t c = (uint32_t)collision;
    for (i = 0; i < 4; i++) {
      h ^= (c >> (8 * i)) & 0xff;
      h *= 16777619u;
    }
  }
  snprintf(digits, sizeof digits, "%u", (unsigned)h);
  for (i = 0; digits[i]; i++)
    out[i] = safe[(unsigned char)digits[i] % (sizeof safe - 1)];
  out[i] = 0;
}

void sim_hex(char *out, size_t n)
{
  /* xorshift64*: ids only need to look unique */
  static uint64_t x;
  size_t i;
  if (!x) x = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)clock();
  if (!x) x = 1;
  for (i = 0; i < n; i++) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    out[i] = "0123456789abcdef"[(x * 0x2545F4914F6CDD1DULL) >> 60];
  }
  out[n] = 0;
}
