/* engine/sim/sim_table.c: server-side printing (meta.k8s.io/v1 Table),
 * what `kubectl get` asks for: the columns kube's printers give the common
 * kinds, additionalPrinterColumns for custom resources, and kube's default
 * (Name, Created At) for the rest. Ages as kube's HumanDuration. */
#include "sim_int.h"

#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef void (*cell_fn)(kd_buf *b, const kd_value *o, int64_t now);
typedef struct col {
  const char *name, *type, *format;
  int priority;
  cell_fn fn;
} col;

/* ---- helpers -----------------------------------------------------------*/

static void str_cell(kd_buf *b, const char *s)
{
  json_encode_string(s ? s : "", s ? strlen(s) : 0, 0, b);
}

static int64_t num(const kd_value *o, const char *path)
{
  const kd_value *v = kd_value_path(o, path);
  return v && v->type == KD_INT ? v->u.i : 0;
}

static int64_t parse_ts(const char *t)
{
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  if (!t || sscanf(t, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon,
                   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return (int64_t)timegm(&tm);
}

/* kube's duration.HumanDuration */
static void human(kd_buf *b, int64_t secs)
{
  int64_t m = secs / 60, h = secs / 3600, d = h / 24;
  char out[32];
  if (secs < -1) snprintf(out, sizeof out, "<invalid>");
  else if (secs < 0) snprintf(out, sizeof out, "0s");
  else if (secs < 120) snprintf(out, sizeof out, "%llds", (long long)secs);
  else if (m < 10 && secs % 60)
    snprintf(out, sizeof out, "%lldm%llds", (long long)m, (long long)(secs % 60));
  else if (m < 180) snprintf(out, sizeof out, "%lldm", (long long)m);
  else if (h < 8 && m % 60)
    snprintf(out, sizeof out, "%lldh%lldm", (long long)h, (long long)(m % 60));
  else if (h < 48) snprintf(out, sizeof out, "%lldh", (long long)h);
  else if (h < 192 && h % 24)
    snprintf(out, sizeof out, "%lldd%lldh", (long long)d, (long long)(h % 24));
  else if (h < 24 * 365 * 2) snprintf(out, sizeof out, "%lldd", (long long)d);
  else if (h < 24 * 365 * 8 && d % 365)
    snprintf(out, sizeof out, "%lldy%lldd", (long long)(d / 365),
             (long long)(d % 365));
  else snprintf(out, sizeof out, "%lldy", (long long)(d / 365));
  str_cell(b, out);
}

static void age(kd_buf *b, const kd_value *o, int64_t now)
{
  int64_t t = parse_ts(sim_str(o, "metadata.creationTimestamp"));
  if (t < 0) str_cell(b, "<unknown>");
  else human(b, now - t);
}

static void name(kd_buf *b, const kd_value *o, int64_t now)
{
  (void)now;
  str_cell(b, sim_str(o, "metadata.name"));
}

static void created_at(kd_buf *b, const kd_value *o, int64_t now)
{
  (void)now;
  str_cell(b, sim_str(o, "metadata.creationTimestamp"));
}

static void or_none(kd_buf *b, const char *s)
{
  str_cell(b, s && s[0] ? s : "<none>");
}

static size_t count(const kd_value *o, const char *path)
{
  const kd_value *v = kd_value_path(o, path);
  if (!v) return 0;
  return v->type == KD_OBJ ? v->u.obj.len : v->type == KD_ARR ? v->u.arr.len : 0;
}

/* "k=v,k2=v2" of an object of strings */
static void joined_map(kd_buf *b, const kd_value *m)
{
  kd_buf t = {0};
  size_t i;
  for (i = 0; m && m->type == KD_OBJ && i < m->u.obj.len; i++)
    kd_buf_printf(&t, "%s%s=%s", i ? "," : "", m->u.obj.m[i].key,
                  m->u.obj.m[i].val.type == KD_STR ? m->u.obj.m[i].val.u.str.s
                                                   : "");
  or_none(b, t.data);
  kd_buf_free(&t);
}

/* FIELD of each container in spec.template.spec.containers, joined */
static void containers_field(kd_buf *b, const kd_value *o, const char *field)
{
  const kd_value *cs = kd_value_path(o, "spec.template.spec.containers");
  kd_buf t = {0};
  size_t i;
  for (i = 0; cs && cs->type == KD_ARR && i < cs->u.arr.len; i++) {
    const char *v = sim_str(&cs->u.arr.items[i], field);
    kd_buf_printf(&t, "%s%s", i ? "," : "", v ? v : "");
  }
  or_none(b, t.data);
  kd_buf_free(&t);
}

static void c_containers(kd_buf *b, const kd_value *o, int64_t n) { (void)n; containers_field(b, o, "name"); }
static void c_images(kd_buf *b, const kd_value *o, int64_t n) { (void)n; containers_field(b, o, "image"); }
static void c_selector(kd_buf *b, const kd_value *o, int64_t n)
{
  (void)n;
  joined_map(b, kd_value_path(o, "spec.selector.matchLabels"));
}

#define INTCELL(fn, path) \
  static void fn(kd_buf *b, const kd_value *o, int64_t n) \
  { (void)n; kd_buf_printf(b, "%lld", (long long)num(o, path)); }
#define STRCELL(fn, path) \
  static void fn(kd_buf *b, const kd_value *o, int64_t n) \
  { (void)n; or_none(b, sim_str(o, path)); }

INTCELL(c_updated, "status.updatedReplicas")
INTCELL(c_available, "status.availableReplicas")
INTCELL(c_desired, "spec.replicas")
INTCELL(c_current, "status.replicas")
INTCELL(c_readyn, "status.readyReplicas")
INTCELL(c_ds_desired, "status.desiredNumberScheduled")
INTCELL(c_ds_current, "status.currentNumberScheduled")
INTCELL(c_ds_ready, "status.numberReady")
INTCELL(c_ds_updated, "status.updatedNumberScheduled")
INTCELL(c_ds_available, "status.numberAvailable")
STRCELL(c_type, "type")
STRCELL(c_svc_type, "spec.type")
STRCELL(c_cluster_ip, "spec.clusterIP")
STRCELL(c_ns_phase, "status.phase")
STRCELL(c_schedule, "spec.schedule")
STRCELL(c_time_zone, "spec.timeZone")
STRCELL(c_pod_ip, "status.podIP")
STRCELL(c_node_name, "spec.nodeName")
STRCELL(c_nominated, "status.nominatedNodeName")
STRCELL(c_kubelet, "status.nodeInfo.kubeletVersion")
STRCELL(c_pvc_phase, "status.phase")
STRCELL(c_pvc_volume, "spec.volumeName")
STRCELL(c_pvc_class, "spec.storageClassName")
STRCELL(c_ing_class, "spec.ingressClassName")
STRCELL(c_role_ref, "roleRef.name")
STRCELL(c_provisioner, "provisioner")
STRCELL(c_reclaim, "reclaimPolicy")
STRCELL(c_binding_mode, "volumeBindingMode")
STRCELL(c_controller, "spec.controller")
STRCELL(c_holder, "spec.holderIdentity")
STRCELL(c_ev_type, "type")
STRCELL(c_ev_reason, "reason")
STRCELL(c_ev_message, "message")

static void ratio(kd_buf *b, int64_t a, int64_t c)
{
  kd_buf_printf(b, "\"%lld/%lld\"", (long long)a, (long long)c);
}

static void c_deploy_ready(kd_buf *b, const kd_value *o, int64_t n)
{
  (void)n;
  ratio(b, num(o, "status.readyReplicas"), num(o, "spec.replicas"));
}

static void c_data(kd_buf *b, const kd_value *o, int64_t n)
{
  (void)n;
  kd_buf_printf(b, "%zu", count(o, "data") + count(o, "binaryData"));
}

static void c_sa_secrets(kd_buf *b, const kd_value *o, int64_t n)
{
  (void)n;
  kd_buf_printf(b, "%zu", count(o, "secrets"));
}

static void c_none(kd_buf *b, const kd_value *o, int64_t n)
{
  (void)o;
  (void)n;
  str_cell(b, "<none>");
}

/* ---- pods -------------------------------------------------------------- */

static void c_pod_ready(kd_buf *b, const kd_value *o, int64_t n)
{
  const kd_value *st = kd_value_path(o, "status.containerStatuses");
  size_t i, ready = 0;
  (void)n;
  for (i = 0; st && st->type == KD_ARR && i < st->u.arr.len; i++) {
    const kd_value *r = kd_obj_gets(&st->u.arr.items[i], "ready");
    if (r && r->type == KD_BOOL && r->u.b) ready++;
  }
  ratio(b, (int64_t)ready, (int64_t)count(o, "spec.containers"));
}

static void c_pod_status(kd_buf *b, const kd_value *o, int64_t n)
{
  const kd_value *st = kd_value_path(o, "status.containerStatuses");
  const char *reason = sim_str(o, "status.reason");
  size_t i;
  (void)n;
  if (kd_value_path(o, "metadata.deletionTimestamp")) reason = "Terminating";
  for (i = 0; !reason && st && st->type == KD_ARR && i < st->u.arr.len; i++) {
    const char *w = sim_str(&st->u.arr.items[i], "state.waiting.reason");
    const char *t = sim_str(&st->u.arr.items[i], "state.terminated.reason");
    if (w && w[0]) reason = w;
    else if (t && t[0] && strcmp(sim_str(o, "status.phase") ? sim_str(o, "status.phase") : "", "Running") != 0)
      reason = t;
  }
  if (!reason) reason = sim_str(o, "status.phase");
  str_cell(b, reason ? reason : "Unknown");
}

static void c_pod_restarts(kd_buf *b, const kd_value *o, int64_t n)
{
  const kd_value *st = kd_value_path(o, "status.containerStatuses");
  int64_t r = 0;
  size_t i;
  (void)n;
  for (i = 0; st && st->type == KD_ARR && i < st->u.arr.len; i++)
    r += num(&st->u.arr.items[i], "restartCount");
  kd_buf_printf(b, "\"%lld\"", (long long)r);
}

/* ---- services ------------------------------------------------------------*/

static void c_svc_external(kd_buf *b, const kd_value *o, int64_t n)
{
  const char *type = sim_str(o, "spec.type");
  const kd_value *ing = kd_value_path(o, "status.loadBalancer.ingress");
  const kd_value *ext = kd_value_path(o, "spec.externalIPs");
  kd_buf t = {0};
  size_t i;
  (void)n;
  if (type && !strcmp(type, "ExternalName")) {
    or_none(b, sim_str(o, "spec.externalName"));
    return;
  }
  for (i = 0; ing && ing->type == KD_ARR && i < ing->u.arr.len; i++) {
    const char *ip = sim_str(&ing->u.arr.items[i], "ip");
    const char *host = sim_str(&ing->u.arr.items[i], "hostname");
    kd_buf_printf(&t, "%s%s", t.len ? "," : "", ip ? ip : host ? host : "");
  }
  for (i = 0; ext && ext->type == KD_ARR && i < ext->u.arr.len; i++)
    if (ext->u.arr.items[i].type == KD_STR)
      kd_buf_printf(&t, "%s%s", t.len ? "," : "", ext->u.arr.items[i].u.str.s);
  if (!t.len && type && !strcmp(type, "LoadBalancer")) str_cell(b, "<pending>");
  else or_none(b, t.data);
  kd_buf_free(&t);
}

static void c_svc_ports(kd_buf *b, const kd_value *o, int64_t n)
{
  const kd_value *ps = kd_value_path(o, "spec.ports");
  kd_buf t = {0};
  size_t i;
  (void)n;
  for (i = 0; ps && ps->type == KD_ARR && i < ps->u.arr.len; i++) {
    const kd_value *p = &ps->u.arr.items[i];
    const char *proto = sim_str(p, "protocol");
    kd_buf_printf(&t, "%s%lld", i ? "," : "", (long long)num(p, "port"));
    if (num(p, "nodePort")) kd_buf_printf(&t, ":%lld", (long long)num(p, "nodePort"));
    kd_buf_printf(&t, "/%s", proto ? proto : "TCP");
  }
  or_none(b, t.data);
  kd_buf_free(&t);
}

static void c_svc_selector(kd_buf *b, const kd_value *o, int64_t n)
{
  (void)n;
  joined_map(b, kd_value_path(o, "spec.selector"));
}

/* ---- jobs, nodes, misc ---------------------------------------------------*/

/* The first condition that holds, in kube's printer's order (Complete
 * before the interim SuccessCriteriaMet that comes first in the list). */
static const char *job_status(const kd_value *o)
{
  static const char *const order[] = {"Complete", "Failed", "", "Suspended",
                                      "FailureTarget", "SuccessCriteriaMet"};
  const kd_value *cs = kd_value_path(o, "status.conditions");
  size_t i, k;
  for (k = 0; k < sizeof order / sizeof order[0]; k++) {
    if (!order[k][0]) {   /* between Failed and Suspended: being deleted */
      if (kd_value_path(o, "metadata.deletionTimestamp")) return "Terminating";
      continue;
    }
    for (i = 0; cs && cs->type == KD_ARR && i < cs->u.arr.len; i++) {
      const char *t = sim_str(&cs->u.arr.items[i], "type");
      const char *st = sim_str(&cs->u.arr.items[i], "status");
      if (t && st && !strcmp(st, "True") && !strcmp(t, order[k])) return order[k];
    }
  }
  return "Running";
}

static void c_job_status(kd_buf *b, const kd_value *o, int64_t n)
{
  (void)n;
  str_cell(b, job_status(o));
}

static void c_job_completions(kd_buf *b, const kd_value *o, int64_t n)
{
  (void)n;
  ratio(b, num(o, "status.succeeded"), num(o, "spec.completions"));
}

static void c_job_duration(kd_buf *b, const kd_value *o, int64_t now)
{
  int64_t start = parse_ts(sim_str(o, "status.startTime"));
  int64_t end = parse_ts(sim_str(o, "status.completionTime"));
  if (start < 0) { str_cell(b, ""); return; }
  human(b, (end >= 0 ? end : now) - start);
}

static void c_node_status(kd_buf *b, const kd_value *o, int64_t n)
{
  const kd_value *cs = kd_value_path(o, "status.conditions");
  const char *st = "Unknown";
  size_t i;
  (void)n;
  for (i = 0; cs && cs->type == KD_ARR && i < cs->u.arr.len; i++) {
    const char *t = sim_str(&cs->u.arr.items[i], "type");
    if (t && !strcmp(t, "Ready")) {
      const char *v = sim_str(&cs->u.arr.items[i], "status");
      st = v && !strcmp(v, "True") ? "Ready" : "NotReady";
    }
  }
  if (kd_value_path(o, "spec.unschedulable")) {
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%s,SchedulingDisabled", st);
    str_cell(b, tmp);
    return;
  }
  str_cell(b, st);
}

static void node_addr(kd_buf *b, const kd_value *o, const char *type)
{
  const kd_value *as = kd_value_path(o, "status.addresses");
  size_t i;
  for (i = 0; as && as->type == KD_ARR && i < as->u.arr.len; i++) {
    const char *t = sim_str(&as->u.arr.items[i], "type");
    if (t && !strcmp(t, type)) {
      or_none(b, sim_str(&as->u.arr.items[i], "address"));
      return;
    }
  }
  str_cell(b, "<none>");
}

static void c_node_internal(kd_buf *b, const kd_value *o, int64_t n) { (void)n; node_addr(b, o, "InternalIP"); }
static void c_node_external(kd_buf *b, const kd_value *o, int64_t n) { (void)n; node_addr(b, o, "ExternalIP"); }
STRCELL(c_node_os, "status.nodeInfo.osImage")
STRCELL(c_node_kernel, "status.nodeInfo.kernelVersion")
STRCELL(c_node_runtime, "status.nodeInfo.containerRuntimeVersion")

static void c_cron_suspend(kd_buf *b, const kd_value *o, int64_t n)
{
  const kd_value *v = kd_value_path(o, "spec.suspend");
  (void)n;
  str_cell(b, v && v->type == KD_BOOL && v->u.b ? "True" : "False");
}

static void c_cron_active(kd_buf *b, const kd_value *o, int64_t n)
{
  (void)n;
  kd_buf_printf(b, "%zu", count(o, "status.active"));
}

static void c_cron_last(kd_buf *b, const kd_value *o, int64_t now)
{
  int64_t t = parse_ts(sim_str(o, "status.lastScheduleTime"));
  if (t < 0) str_cell(b, "<none>");
  else human(b, now - t);
}

static void c_ing_hosts(kd_buf *b, const kd_value *o, int64_t n)
{
  const kd_value *rules = kd_value_path(o, "spec.rules");
  kd_buf t = {0};
  size_t i;
  (void)n;
  for (i = 0; rules && rules->type == KD_ARR && i < rules->u.arr.len; i++) {
    const char *h = sim_str(&rules->u.arr.items[i], "host");
    kd_buf_printf(&t, "%s%s", i ? "," : "", h ? h : "*");
  }
  str_cell(b, t.data ? t.data : "*");
  kd_buf_free(&t);
}

static void c_ing_address(kd_buf *b, const kd_value *o, int64_t n)
{
  const kd_value *ing = kd_value_path(o, "status.loadBalancer.ingress");
  kd_buf t = {0};
  size_t i;
  (void)n;
  for (i = 0; ing && ing->type == KD_ARR && i < ing->u.arr.len; i++) {
    const char *ip = sim_str(&ing->u.arr.items[i], "ip");
    const char *host = sim_str(&ing->u.arr.items[i], "hostname");
    kd_buf_printf(&t, "%s%s", i ? "," : "", ip ? ip : host ? host : "");
  }
  str_cell(b, t.data ? t.data : "");
  kd_buf_free(&t);
}

static void c_ing_ports(kd_buf *b, const kd_value *o, int64_t n)
{
  (void)n;
  str_cell(b, kd_value_path(o, "spec.tls") ? "80, 443" : "80");
}

static void c_ev_last(kd_buf *b, const kd_value *o, int64_t now)
{
  const char *t = sim_str(o, "lastTimestamp");
  int64_t x;
  if (!t) t = sim_str(o, "eventTime");
  if (!t) t = sim_str(o, "metadata.creationTimestamp");
  x = parse_ts(t);
  if (x < 0) str_cell(b, "<unknown>");
  else human(b, now - x);
}

static void c_ev_object(kd_buf *b, const kd_value *o, int64_t n)
{
  char tmp[600];
  const char *k = sim_str(o, "involvedObject.kind");
  const char *nm = sim_str(o, "involvedObject.name");
  (void)n;
  snprintf(tmp, sizeof tmp, "%s/%s", k ? k : "", nm ? nm : "");
  for (char *p = tmp; *p && *p != '/'; p++)
    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
  str_cell(b, tmp);
}

/* an IntOrString cell, N/A when absent */
static void int_or_string_cell(kd_buf *b, const kd_value *o, const char *path)
{
  const kd_value *v = kd_value_path(o, path);
  char tmp[64];
  if (!v) { str_cell(b, "N/A"); return; }
  if (v->type == KD_INT) snprintf(tmp, sizeof tmp, "%lld", (long long)v->u.i);
  else snprintf(tmp, sizeof tmp, "%s", v->type == KD_STR ? v->u.str.s : "");
  str_cell(b, tmp);
}

static void c_pdb_min(kd_buf *b, const kd_value *o, int64_t n)
{
  (void)n;
  int_or_string_cell(b, o, "spec.minAvailable");
}

static void c_pdb_max(kd_buf *b, const kd_value *o, int64_t n)
{
  (void)n;
  int_or_string_cell(b, o, "spec.maxUnavailable");
}

INTCELL(c_pdb_allowed, "status.disruptionsAllowed")

static void c_netpol_selector(kd_buf *b, const kd_value *o, int64_t n)
{
  const kd_value *m = kd_value_path(o, "spec.podSelector.matchLabels");
  (void)n;
  if (!m || m->type != KD_OBJ || !m->u.obj.len) str_cell(b, "<none>");
  else joined_map(b, m);
}

/* ---- the kinds ---------------------------------------------------------- */

#define NAME {"Name", "string", "name", 0, name}
#define AGE {"Age", "string", "", 0, age}
#define END {0, 0, 0, 0, 0}
/* the -o wide columns of the workload kinds */
#define WORKLOAD_WIDE                                                     \
  {"Containers", "string", "", 1, c_containers},                          \
  {"Images", "string", "", 1, c_images},                                  \
  {"Selector", "string", "", 1, c_selector}

static const col t_pods[] = {NAME, {"Ready", "string", "", 0, c_pod_ready},
  {"Status", "string", "", 0, c_pod_status},
  {"Restarts", "string", "", 0, c_pod_restarts}, AGE,
  {"IP", "string", "", 1, c_pod_ip}, {"Node", "string", "", 1, c_node_name},
  {"Nominated Node", "string", "", 1, c_nominated},
  {"Readiness Gates", "string", "", 1, c_none}, END};
static const col t_deploy[] = {NAME, {"Ready", "string", "", 0, c_deploy_ready},
  {"Up-to-date", "integer", "", 0, c_updated},
  {"Available", "integer", "", 0, c_available}, AGE,
  WORKLOAD_WIDE, END};
static const col t_rs[] = {NAME, {"Desired", "integer", "", 0, c_desired},
  {"Current", "integer", "", 0, c_current},
  {"Ready", "integer", "", 0, c_readyn}, AGE,
  WORKLOAD_WIDE, END};
static const col t_sts[] = {NAME, {"Ready", "string", "", 0, c_deploy_ready},
  AGE, {"Containers", "string", "", 1, c_containers},
  {"Images", "string", "", 1, c_images}, END};
static const col t_ds[] = {NAME, {"Desired", "integer", "", 0, c_ds_desired},
  {"Current", "integer", "", 0, c_ds_current},
  {"Ready", "integer", "", 0, c_ds_ready},
  {"Up-to-date", "integer", "", 0, c_ds_updated},
  {"Available", "integer", "", 0, c_ds_available},
  {"Node Selector", "string", "", 0, c_none}, AGE,
  WORKLOAD_WIDE, END};
static const col t_jobs[] = {NAME, {"Status", "string", "", 0, c_job_status},
  {"Completions", "string", "", 0, c_job_completions},
  {"Duration", "string", "", 0, c_job_duration}, AGE,
  WORKLOAD_WIDE, END};
static const col t_cron[] = {NAME, {"Schedule", "string", "", 0, c_schedule},
  {"Timezone", "string", "", 0, c_time_zone},
  {"Suspend", "boolean", "", 0, c_cron_suspend},
  {"Active", "integer", "", 0, c_cron_active},
  {"Last Schedule", "string", "", 0, c_cron_last}, AGE, END};
static const col t_svc[] = {NAME, {"Type", "string", "", 0, c_svc_type},
  {"Cluster-IP", "string", "", 0, c_cluster_ip},
  {"External-IP", "string", "", 0, c_svc_external},
  {"Port(s)", "string", "", 0, c_svc_ports}, AGE,
  {"Selector", "string", "", 1, c_svc_selector}, END};
static const col t_cm[] = {NAME, {"Data", "integer", "", 0, c_data}, AGE, END};
static const col t_secret[] = {NAME, {"Type", "string", "", 0, c_type},
  {"Data", "integer", "", 0, c_data}, AGE, END};
static const col t_ns[] = {NAME, {"Status", "string", "", 0, c_ns_phase}, AGE, END};
static const col t_nodes[] = {NAME, {"Status", "string", "", 0, c_node_status},
  {"Roles", "string", "", 0, c_none}, AGE,
  {"Version", "string", "", 0, c_kubelet},
  {"Internal-IP", "string", "", 1, c_node_internal},
  {"External-IP", "string", "", 1, c_node_external},
  {"OS-Image", "string", "", 1, c_node_os},
  {"Kernel-Version", "string", "", 1, c_node_kernel},
  {"Container-Runtime", "string", "", 1, c_node_runtime}, END};
static const col t_sa[] = {NAME, {"Secrets", "string", "", 0, c_sa_secrets},
  AGE, END};
static const col t_pvc[] = {NAME, {"Status", "string", "", 0, c_pvc_phase},
  {"Volume", "string", "", 0, c_pvc_volume},
  {"StorageClass", "string", "", 0, c_pvc_class}, AGE, END};
static const col t_ing[] = {NAME, {"Class", "string", "", 0, c_ing_class},
  {"Hosts", "string", "", 0, c_ing_hosts},
  {"Address", "string", "", 0, c_ing_address},
  {"Ports", "string", "", 0, c_ing_ports}, AGE, END};
static const col t_events[] = {{"Last Seen", "string", "", 0, c_ev_last},
  {"Type", "string", "", 0, c_ev_type}, {"Reason", "string", "", 0, c_ev_reason},
  {"Object", "string", "", 0, c_ev_object},
  {"Message", "string", "", 0, c_ev_message}, END};
static const col t_rb[] = {NAME, {"Role", "string", "", 0, c_role_ref}, AGE, END};
static const col t_pdb[] = {NAME, {"Min Available", "string", "", 0, c_pdb_min},
  {"Max Unavailable", "string", "", 0, c_pdb_max},
  {"Allowed Disruptions", "integer", "", 0, c_pdb_allowed}, AGE, END};
static const col t_netpol[] = {NAME,
  {"Pod-Selector", "string", "", 0, c_netpol_selector}, AGE, END};
static const col t_sc[] = {NAME, {"Provisioner", "string", "", 0, c_provisioner},
  {"ReclaimPolicy", "string", "", 0, c_reclaim},
  {"VolumeBindingMode", "string", "", 0, c_binding_mode}, AGE, END};
static const col t_ingclass[] = {NAME,
  {"Controller", "string", "", 0, c_controller}, AGE, END};
static const col t_lease[] = {NAME, {"Holder", "string", "", 0, c_holder}, AGE, END};
static const col t_default[] = {NAME,
  {"Created At", "date", "", 0, created_at}, END};
static const col t_custom[] = {NAME, {"Age", "date", "", 0, age}, END};

static const struct { const char *group, *plural; const col *cols; } kinds[] = {
  {"", "pods", t_pods}, {"apps", "deployments", t_deploy},
  {"apps", "replicasets", t_rs}, {"apps", "statefulsets", t_sts},
  {"apps", "daemonsets", t_ds}, {"batch", "jobs", t_jobs},
  {"batch", "cronjobs", t_cron}, {"", "services", t_svc},
  {"", "configmaps", t_cm}, {"", "secrets", t_secret},
  {"", "namespaces", t_ns}, {"", "nodes", t_nodes},
  {"", "serviceaccounts", t_sa}, {"", "persistentvolumeclaims", t_pvc},
  {"networking.k8s.io", "ingresses", t_ing}, {"", "events", t_events},
  {"rbac.authorization.k8s.io", "rolebindings", t_rb},
  {"rbac.authorization.k8s.io", "clusterrolebindings", t_rb},
  {"policy", "poddisruptionbudgets", t_pdb},
  {"networking.k8s.io", "networkpolicies", t_netpol},
  {"storage.k8s.io", "storageclasses", t_sc},
  {"networking.k8s.io", "ingressclasses", t_ingclass},
  {"coordination.k8s.io", "leases", t_lease},
};

static const col *columns_of(const sim_resource *r)
{
  size_t i;
  if (r->crd) return t_custom;
  for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (!strcmp(kinds[i].group, r->group) && !strcmp(kinds[i].plural, r->plural))
      return kinds[i].cols;
  return t_default;
}

/* additionalPrinterColumns of the CRD version serving R (NULL: none). */
static const kd_value *printer_columns(sim *s, const sim_resource *r)
{
  sim_resource *crds = sim_res_find(s, "apiextensions.k8s.io", "v1",
                                    "customresourcedefinitions");
  const kd_value *crd, *vs;
  size_t i;
  if (!r->crd || !crds) return NULL;
  crd = sim_obj_get(s, crds, "", r->crd);
  vs = crd ? kd_value_path(crd, "spec.versions") : NULL;
  for (i = 0; vs && vs->type == KD_ARR && i < vs->u.arr.len; i++) {
    const char *v = sim_str(&vs->u.arr.items[i], "name");
    if (v && !strcmp(v, r->version))
      return kd_obj_gets(&vs->u.arr.items[i], "additionalPrinterColumns");
  }
  return NULL;
}

/* A jsonPath of printer columns: ".spec.x.y" (the common form). */
static void jsonpath_cell(kd_buf *b, const kd_value *o, const char *path,
                          const char *type, int64_t now)
{
  const kd_value *v = path && path[0] == '.' ? kd_value_path(o, path + 1) : NULL;
  if (!v) { kd_buf_adds(b, "null"); return; }
  if (type && !strcmp(type, "date") && v->type == KD_STR) {
    int64_t t = parse_ts(v->u.str.s);
    if (t >= 0) { human(b, now - t); return; }
  }
  json_encode(v, 0, b, NULL);
}

/* ---- output --------------------------------------------------------------*/

int sim_table_wanted(const sim_req *req)
{
  const char *a = sim_req_header(req, "accept");
  return a && strstr(a, "as=Table") && strstr(a, "g=meta.k8s.io");
}

static void column_defs(sim *s, kd_buf *b, const sim_resource *r)
{
  const col *cols = columns_of(r);
  const kd_value *pc = printer_columns(s, r);
  size_t i;
  int first = 1;
  kd_buf_adds(b, "\"columnDefinitions\":[");
  for (i = 0; cols[i].name; i++) {
    if (pc && i == 1) break;   /* custom: Name, then the CRD's columns */
    kd_buf_printf(b, "%s{\"name\":\"%s\",\"type\":\"%s\",\"format\":\"%s\","
                  "\"description\":\"\",\"priority\":%d}", first ? "" : ",",
                  cols[i].name, cols[i].type, cols[i].format, cols[i].priority);
    first = 0;
  }
  for (i = 0; pc && pc->type == KD_ARR && i < pc->u.arr.len; i++) {
    const kd_value *c = &pc->u.arr.items[i];
    const char *type = sim_str(c, "type");
    kd_buf_adds(b, ",{\"name\":");
    str_cell(b, sim_str(c, "name"));
    kd_buf_adds(b, ",\"type\":");
    str_cell(b, type && !strcmp(type, "date") ? "string" : type ? type : "string");
    kd_buf_adds(b, ",\"format\":");
    str_cell(b, sim_str(c, "format"));
    kd_buf_adds(b, ",\"description\":");
    str_cell(b, sim_str(c, "description"));
    kd_buf_printf(b, ",\"priority\":%lld}", (long long)num(c, "priority"));
  }
  if (pc && !(pc->type == KD_ARR && pc->u.arr.len)) {
    kd_buf_adds(b, ",{\"name\":\"Age\",\"type\":\"date\",\"format\":\"\","
                   "\"description\":\"\",\"priority\":0}");
  }
  kd_buf_addc(b, ']');
}

static void row(sim *s, kd_buf *b, const sim_resource *r, const kd_value *o,
                const char *json, size_t len, int include, int64_t now)
{
  const col *cols = columns_of(r);
  const kd_value *pc = printer_columns(s, r);
  size_t i;
  kd_buf_adds(b, "{\"cells\":[");
  for (i = 0; cols[i].name; i++) {
    if (pc && i == 1) break;
    if (i) kd_buf_addc(b, ',');
    cols[i].fn(b, o, now);
  }
  for (i = 0; pc && pc->type == KD_ARR && i < pc->u.arr.len; i++) {
    kd_buf_addc(b, ',');
    jsonpath_cell(b, o, sim_str(&pc->u.arr.items[i], "jsonPath"),
                  sim_str(&pc->u.arr.items[i], "type"), now);
  }
  if (pc && !(pc->type == KD_ARR && pc->u.arr.len)) {
    kd_buf_addc(b, ',');
    age(b, o, now);
  }
  kd_buf_adds(b, "],\"object\":");
  if (include == 2) {
    kd_buf_add(b, json, len);
  } else if (include == 1) {
    kd_buf_adds(b, "{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":"
                   "\"meta.k8s.io/v1\",\"metadata\":");
    json_encode(kd_obj_gets(o, "metadata"), 0, b, NULL);
    kd_buf_addc(b, '}');
  } else {
    kd_buf_adds(b, "null");
  }
  kd_buf_addc(b, '}');
}

/* includeObject: None 0, Metadata 1 (default), Object 2 */
int sim_table_include(const sim_req *req)
{
  char *v = sim_query_get(req->query, "includeObject");
  int r = 1;
  if (v && !strcmp(v, "None")) r = 0;
  if (v && !strcmp(v, "Object")) r = 2;
  free(v);
  return r;
}

void sim_table_begin(sim *s, kd_buf *b, const sim_resource *r, uint64_t rv,
                     const char *cont)
{
  kd_buf_printf(b, "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\","
                "\"metadata\":{\"resourceVersion\":\"%llu\"",
                (unsigned long long)rv);
  if (cont && cont[0]) kd_buf_printf(b, ",\"continue\":\"%s\"", cont);
  kd_buf_adds(b, "},");
  column_defs(s, b, r);
  kd_buf_adds(b, ",\"rows\":[");
}

void sim_table_row(sim *s, kd_buf *b, const sim_resource *r,
                   const kd_value *o, const char *json, size_t len,
                   int include, int first)
{
  if (!first) kd_buf_addc(b, ',');
  row(s, b, r, o, json, len, include, (int64_t)(sim_wall_ms() / 1000));
}

void sim_table_end(kd_buf *b) { kd_buf_adds(b, "]}\n"); }
