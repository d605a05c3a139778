/* engine/sim/sim_ctrl_events.c: the Event recorder the controllers share
 * (plugin "events", sim_record in sim_ctrl.h). Events are core/v1 Event
 * objects named "<object>.<hex of the first time in ns>", as client-go's
 * recorder names them, so a namespace's Events list in time order; a
 * repeat of the same object, reason, message and field bumps count and
 * lastTimestamp of the first one (the recorder's aggregation), found
 * through a map from that key to the Event's name. */
#include "sim_ctrl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ENTRIES 65536   /* past this the map starts over (an LRU's
                               cheap cousin) */

typedef struct recorder {
  sim *s;
  sim_map *series;          /* "ns\x1fuid\x1freason\x1fmsg\x1ffield\x1ftype"
                               -> Event name */
  int64_t last_ns;          /* names stay unique within one nanosecond */
} recorder;

static void involved(kd_value *ev, const kd_value *obj, const char *field)
{
  kd_value *io = sim_vobj(ev, "involvedObject");
  const char *ns = sim_vstr(obj, "metadata.namespace");
  static const char *const keys[][2] = {
    {"uid", "metadata.uid"}, {"apiVersion", "apiVersion"},
    {"resourceVersion", "metadata.resourceVersion"}};
  size_t i;
  sim_vset_str(io, "kind", sim_vstr(obj, "kind") ? sim_vstr(obj, "kind") : "");
  if (ns) sim_vset_str(io, "namespace", ns);
  sim_vset_str(io, "name", sim_vstr(obj, "metadata.name"));
  for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
    if (sim_vstr(obj, keys[i][1]))
      sim_vset_str(io, keys[i][0], sim_vstr(obj, keys[i][1]));
  if (field) sim_vset_str(io, "fieldPath", field);
}

static char *format(const char *fmt, va_list ap)
{
  va_list ap2;
  int n;
  char *out;
  va_copy(ap2, ap);
  n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0 || !(out = malloc((size_t)n + 1))) return NULL;
  vsnprintf(out, (size_t)n + 1, fmt, ap);
  return out;
}

static void create(recorder *r, const kd_value *obj, const char *ns,
                   const char *key, const char *type, const char *reason,
                   const char *component, const char *host,
                   const char *field, const char *msg, const char *now)
{
  const sim_resource *er = sim_res(r->s, "", "events");
  struct timespec ts;
  int64_t nanos;
  kd_value ev;
  kd_error err;
  char name[400];
  clock_gettime(CLOCK_REALTIME, &ts);
  nanos = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
  if (nanos <= r->last_ns) nanos = r->last_ns + 1;
  r->last_ns = nanos;
  snprintf(name, sizeof name, "%s.%llx", sim_vstr(obj, "metadata.name"),
           (unsigned long long)nanos);
  kd_value_obj(&ev);
  sim_vset_str(&ev, "apiVersion", "v1");
  sim_vset_str(&ev, "kind", "Event");
  sim_vset_str(&ev, "metadata.name", name);
  sim_vset_str(&ev, "metadata.namespace", ns);
  involved(&ev, obj, field);
  sim_vset_str(&ev, "reason", reason);
  sim_vset_str(&ev, "message", msg);
  sim_vset_str(&ev, "source.component", component);
  if (host) sim_vset_str(&ev, "source.host", host);
  sim_vset_str(&ev, "firstTimestamp", now);
  sim_vset_str(&ev, "lastTimestamp", now);
  sim_vset_int(&ev, "count", 1);
  sim_vset_str(&ev, "type", type);
  sim_vset_null(&ev, "eventTime");
  sim_vset_str(&ev, "reportingComponent", component);
  sim_vset_str(&ev, "reportingInstance", host ? host : "");
  /* fails when the namespace is terminating: kube drops those too */
  if (sim_obj_create(r->s, er, ns, &ev, NULL, &err) == KD_OK) {
    if (sim_map_len(r->series) >= MAX_ENTRIES) sim_map_clear(r->series);
    sim_map_put(r->series, key, name);
  }
  kd_value_clear(&ev);
}

void sim_record(sim *s, const kd_value *obj, const char *type,
                const char *reason, const char *component, const char *host,
                const char *field, const char *fmt, ...)
{
  recorder *r = sim_plugin_state(s, "events");
  const sim_resource *er = sim_res(s, "", "events");
  const char *ns = sim_vstr(obj, "metadata.namespace");
  const char *uid = sim_vstr(obj, "metadata.uid");
  const kd_value *old = NULL;
  const char *have;
  kd_buf key = {0};
  char *msg, *now;
  va_list ap;
  if (!r || !er || !sim_vstr(obj, "metadata.name")) return;
  if (!ns || !ns[0]) ns = "default";
  va_start(ap, fmt);
  msg = format(fmt, ap);
  va_end(ap);
  now = sim_timestamp(s);
  kd_buf_printf(&key, "%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s", ns,
                uid ? uid : sim_vstr(obj, "metadata.name"), reason,
                msg ? msg : "", field ? field : "", type);
  if (!msg || !now || !key.data) goto done;
  if ((have = sim_map_get(r->series, key.data)))
    old = sim_obj_get(s, er, ns, have);
  if (old) {   /* aggregate: one more of the same */
    kd_value ev;
    kd_error err;
    kd_value_copy(&ev, old);
    sim_vset_int(&ev, "count", sim_vint(old, "count", 1) + 1);
    sim_vset_str(&ev, "lastTimestamp", now);
    sim_obj_update(s, er, &ev, NULL, &err);
    kd_value_clear(&ev);
  } else {   /* new, or its Event is gone (deleted, expired): a new one */
    create(r, obj, ns, key.data, type, reason, component, host, field, msg,
           now);
  }
done:
  kd_buf_free(&key);
  free(msg);
  free(now);
}

int sim_events_start(sim *s, void **state, kd_error *err)
{
  recorder *r = calloc(1, sizeof *r);
  if (!r || !(r->series = sim_map_new())) {
    free(r);
    return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
  }
  r->s = s;
  *state = r;
  return KD_OK;
}

void sim_events_stop(sim *s, void *state)
{
  recorder *r = state;
  (void)s;
  if (!r) return;
  sim_map_free(r->series);
  free(r);
}
