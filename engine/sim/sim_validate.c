/* engine/sim/sim_validate.c: the validation kube-apiserver does that
 * clients notice: names, pod template containers, workload selectors,
 * service ports, CRD names. Messages and field paths as kube prints them.*/
#include "sim_int.h"
#include "sim_ctrl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char SUBDOMAIN_MSG[] =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
  "characters, '-' or '.', and must start and end with an alphanumeric "
  "character (e.g. 'example.com', regex used for validation is "
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
static const char LABEL_MSG[] =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric "
  "characters or '-', and must start and end with an alphanumeric character "
  "(e.g. 'my-name',  or '123-abc', regex used for validation is "
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
static const char DNS1035_MSG[] =
  "a DNS-1035 label must consist of lower case alphanumeric characters or "
  "'-', start with an alphabetic character, and end with an alphanumeric "
  "character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
  "'[a-z]([-a-z0-9]*[a-z0-9])?')";

static int alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

int sim_valid_label(const char *s)
{
  size_t i, n = strlen(s);
  if (n == 0 || !alnum(s[0]) || !alnum(s[n - 1])) return 0;
  for (i = 0; i < n; i++) if (!alnum(s[i]) && s[i] != '-') return 0;
  return 1;
}

int sim_valid_subdomain(const char *s)
{
  const char *p = s;
  if (!*s) return 0;
  for (;;) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    char part[256];
    if (n == 0 || n >= sizeof part) return 0;
    memcpy(part, p, n);
    part[n] = 0;
    if (!sim_valid_label(part)) return 0;
    if (!dot) return 1;
    p = dot + 1;
  }
}

static int valid_1035(const char *s)
{
  return sim_valid_label(s) && s[0] >= 'a' && s[0] <= 'z';
}

static int is(const sim_resource *r, const char *group, const char *plural)
{
  return strcmp(r->group, group) == 0 && strcmp(r->plural, plural) == 0;
}

/* metadata.name NAME as a DNS name of at most MAX characters that VALID
 * accepts (MSG says what it wants), with kube's messages. */
static void check_dns_name(const char *name, size_t max,
                           int (*valid)(const char *), const char *msg,
                           sim_verr *v)
{
  if (strlen(name) > max)
    sim_verr_add(v, "FieldValueInvalid", "metadata.name", "Invalid value: "
                 "\"%s\": must be no more than %zu characters", name, max);
  else if (!valid(name))
    sim_verr_add(v, "FieldValueInvalid", "metadata.name",
                 "Invalid value: \"%s\": %s", name, msg);
}

static void check_name(const sim_resource *r, const char *name, sim_verr *v)
{
  if (!name || !name[0]) {
    sim_verr_add(v, "FieldValueRequired", "metadata.name",
                 "Required value: name or generateName is required");
    return;
  }
  if (is(r, "", "namespaces")) {
    check_dns_name(name, 63, sim_valid_label, LABEL_MSG, v);
  } else if (is(r, "", "services")) {
    check_dns_name(name, 63, valid_1035, DNS1035_MSG, v);
  } else if (!r->group[0] || strcmp(r->group, "rbac.authorization.k8s.io")) {
    /* RBAC objects accept any path segment name; the rest subdomains */
    check_dns_name(name, 253, sim_valid_subdomain, SUBDOMAIN_MSG, v);
  } else if (strchr(name, '/') || strcmp(name, ".") == 0 ||
             strcmp(name, "..") == 0) {
    sim_verr_add(v, "FieldValueInvalid", "metadata.name", "Invalid value: "
                 "\"%s\": may not contain '/'", name);
  }
}

static void check_containers(const kd_value *spec, const char *prefix,
                             sim_verr *v)
{
  static const char *const lists[] = {"containers", "initContainers", NULL};
  int l;
  char f[300];
  const kd_value *cs = spec ? kd_obj_gets(spec, "containers") : NULL;
  if (!cs || cs->type != KD_ARR || cs->u.arr.len == 0) {
    snprintf(f, sizeof f, "%scontainers", prefix);
    sim_verr_add(v, "FieldValueRequired", f, "Required value");
  }
  for (l = 0; lists[l]; l++) {
    const kd_value *list = spec ? kd_obj_gets(spec, lists[l]) : NULL;
    size_t i;
    if (!list || list->type != KD_ARR) continue;
    for (i = 0; i < list->u.arr.len; i++) {
      const kd_value *c = &list->u.arr.items[i];
      const char *name = sim_str(c, "name"), *image = sim_str(c, "image");
      if (!name || !name[0]) {
        snprintf(f, sizeof f, "%s%s[%zu].name", prefix, lists[l], i);
        sim_verr_add(v, "FieldValueRequired", f, "Required value");
      } else if (strlen(name) > 63 || !sim_valid_label(name)) {
        snprintf(f, sizeof f, "%s%s[%zu].name", prefix, lists[l], i);
        sim_verr_add(v, "FieldValueInvalid", f, "Invalid value: \"%s\": %s",
                     name, LABEL_MSG);
      }
      if (!image || !image[0]) {
        snprintf(f, sizeof f, "%s%s[%zu].image", prefix, lists[l], i);
        sim_verr_add(v, "FieldValueRequired", f, "Required value");
      }
    }
  }
}

/* Go's %#v of a map[string]string, as kube prints label maps. */
static void go_map(kd_buf *b, const kd_value *m)
{
  size_t i, j, n = m && m->type == KD_OBJ ? m->u.obj.len : 0;
  const kd_member **sorted = n ? calloc(n, sizeof *sorted) : NULL;
  kd_buf_adds(b, "map[string]string{");
  for (i = 0; i < n && sorted; i++) sorted[i] = &m->u.obj.m[i];
  for (i = 1; i < n && sorted; i++)
    for (j = i; j > 0 && strcmp(sorted[j - 1]->key, sorted[j]->key) > 0; j--) {
      const kd_member *t = sorted[j];
      sorted[j] = sorted[j - 1];
      sorted[j - 1] = t;
    }
  for (i = 0; i < n && sorted; i++)
    kd_buf_printf(b, "%s\"%s\":\"%s\"", i ? ", " : "", sorted[i]->key,
                  sorted[i]->val.type == KD_STR ? sorted[i]->val.u.str.s : "");
  kd_buf_addc(b, '}');
  free(sorted);
}

static void check_workload(const kd_value *obj, sim_verr *v)
{
  const kd_value *sel = kd_value_path(obj, "spec.selector");
  const kd_value *ml = kd_value_path(obj, "spec.selector.matchLabels");
  const kd_value *tl = kd_value_path(obj, "spec.template.metadata.labels");
  size_t i;
  if (!sel || sel->type != KD_OBJ) {
    sim_verr_add(v, "FieldValueRequired", "spec.selector", "Required value");
  } else if (ml && ml->type == KD_OBJ) {
    for (i = 0; i < ml->u.obj.len; i++) {
      const kd_member *m = &ml->u.obj.m[i];
      const kd_value *have = tl && tl->type == KD_OBJ
                                 ? kd_obj_gets(tl, m->key) : NULL;
      if (!have || !kd_value_equal(have, &m->val)) {
        kd_buf b = {0};
        go_map(&b, tl);
        sim_verr_add(v, "FieldValueInvalid", "spec.template.metadata.labels",
                     "Invalid value: %s: `selector` does not match template "
                     "`labels`", b.data ? b.data : "");
        kd_buf_free(&b);
        break;
      }
    }
  }
  check_containers(kd_value_path(obj, "spec.template.spec"),
                   "spec.template.spec.", v);
}

/* validateScheduleFormat: the Go cron parser's error; TZ= or CRON_TZ= in
 * the schedule only on an update of a schedule that had one (and then
 * not with spec.timeZone) */
static void check_schedule(const kd_value *obj, const kd_value *old,
                           sim_verr *v)
{
  const char *sched = sim_str(obj, "spec.schedule");
  const char *was = old ? sim_str(old, "spec.schedule") : NULL;
  int tz_ok = was && strstr(was, "TZ") != NULL;
  kd_buf why = {0}, q = {0};
  sim_cron cr;
  if (!sched || !sched[0]) {
    sim_verr_add(v, "FieldValueRequired", "spec.schedule", "Required value");
    return;
  }
  sim_go_quote(sched, strlen(sched), &q);
  if (sim_cron_parse(sched, &cr, &why))
    sim_verr_add(v, "FieldValueInvalid", "spec.schedule",
                 "Invalid value: %s: %s", q.data ? q.data : "",
                 why.data ? why.data : "");
  sim_cron_free(&cr);
  if (strstr(sched, "TZ") && tz_ok && kd_value_path(obj, "spec.timeZone"))
    sim_verr_add(v, "FieldValueInvalid", "spec.schedule",
                 "Invalid value: %s: cannot use both timeZone field and TZ "
                 "or CRON_TZ in schedule", q.data ? q.data : "");
  else if (strstr(sched, "TZ") && !tz_ok)
    sim_verr_add(v, "FieldValueInvalid", "spec.schedule",
                 "Invalid value: %s: cannot use TZ or CRON_TZ in schedule, "
                 "use timeZone field instead", q.data ? q.data : "");
  kd_buf_free(&why);
  kd_buf_free(&q);
}

/* validTimeZoneCharacters: ^[A-Za-z.\-_0-9+]{1,14}$ for each part */
static int tz_part_ok(const char *p, size_t n)
{
  size_t i;
  if (n < 1 || n > 14 || p[0] == '-' ||
      (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
    return 0;
  for (i = 0; i < n; i++)
    if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') ||
          (p[i] >= '0' && p[i] <= '9') || p[i] == '.' || p[i] == '-' ||
          p[i] == '_' || p[i] == '+'))
      return 0;
  return 1;
}

/* validateTimeZone, asked when the zone is new or changed */
static void check_time_zone(const kd_value *obj, const kd_value *old,
                            sim_verr *v)
{
  const kd_value *tz = kd_value_path(obj, "spec.timeZone");
  const kd_value *was = old ? kd_value_path(old, "spec.timeZone") : NULL;
  const char *name, *p;
  kd_buf q = {0}, why = {0};
  sim_tz *z = NULL;
  if (!tz || tz->type != KD_STR) return;
  if (old && was && kd_value_equal(tz, was)) return;
  name = tz->u.str.s;
  sim_go_quote(name, tz->u.str.len, &q);
  if (!name[0]) {
    sim_verr_add(v, "FieldValueInvalid", "spec.timeZone", "Invalid value: "
                 "\"\": timeZone must be nil or non-empty string");
    goto done;
  }
  for (p = name;;) {
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    if (!tz_part_ok(p, n)) {
      sim_verr_add(v, "FieldValueInvalid", "spec.timeZone",
                   "Invalid value: %s: unknown time zone %s", q.data, name);
      goto done;
    }
    if (!slash) break;
    p = slash + 1;
  }
  if (strcasecmp(name, "Local") == 0)
    sim_verr_add(v, "FieldValueInvalid", "spec.timeZone", "Invalid value: "
                 "%s: timeZone must be an explicit time zone as defined in "
                 "https://www.iana.org/time-zones", q.data);
  if (strcmp(name, "Local") != 0 && !(z = sim_tz_load(name, &why)))
    sim_verr_add(v, "FieldValueInvalid", "spec.timeZone",
                 "Invalid value: %s: %s", q.data, why.data ? why.data : "");
  sim_tz_free(z);
done:
  kd_buf_free(&q);
  kd_buf_free(&why);
}

/* validateCronJobSpec, in kube's order */
static void check_cronjob(const kd_value *obj, const kd_value *old,
                          sim_verr *v)
{
  check_schedule(obj, old, v);
  check_time_zone(obj, old, v);
  check_containers(kd_value_path(obj, "spec.jobTemplate.spec.template.spec"),
                   "spec.jobTemplate.spec.template.spec.", v);
  /* on create only: Job names get an 11-character "-<minutes>" suffix */
  if (!old) {
    const char *name = sim_str(obj, "metadata.name");
    if (name && strlen(name) > 52) {
      kd_buf q = {0};
      sim_go_quote(name, strlen(name), &q);
      sim_verr_add(v, "FieldValueInvalid", "metadata.name", "Invalid value: "
                   "%s: must be no more than 52 characters",
                   q.data ? q.data : "");
      kd_buf_free(&q);
    }
  }
}

/* ValidateDeploymentStrategy: rollingUpdate only with type RollingUpdate
 * (defaulting adds it there; a server-side apply that switches to Recreate
 * over a defaulted rollingUpdate has to clear it, as with kube). */
static void check_deploy_strategy(const kd_value *obj, sim_verr *v)
{
  const char *type = sim_str(obj, "spec.strategy.type");
  const kd_value *ru = kd_value_path(obj, "spec.strategy.rollingUpdate");
  int has_ru = ru && ru->type != KD_NULL;
  /* no type, or RollingUpdate without rollingUpdate: defaulting fills
   * them in (on create the sim validates before it defaults) */
  if (!type || strcmp(type, "RollingUpdate") == 0) return;
  if (strcmp(type, "Recreate") == 0) {
    if (has_ru)
      sim_verr_add(v, "FieldValueForbidden", "spec.strategy.rollingUpdate",
                   "Forbidden: may not be specified when strategy `type` is "
                   "'Recreate'");
  } else {
    kd_buf q = {0};
    sim_go_quote(type, strlen(type), &q);
    /* kube prints the struct with %#v: a set rollingUpdate shows as a
     * pointer address, which the sim cannot reproduce */
    sim_verr_add(v, "FieldValueNotSupported", "spec.strategy",
                 "Unsupported value: apps.DeploymentStrategy{Type:%s, "
                 "RollingUpdate:(*apps.RollingUpdateDeployment)(%s)}: "
                 "supported values: \"Recreate\", \"RollingUpdate\"",
                 q.data ? q.data : "\"\"", has_ru ? "0xc000000000" : "nil");
    kd_buf_free(&q);
  }
}

static void check_service(const kd_value *obj, sim_verr *v)
{
  const kd_value *ports = kd_value_path(obj, "spec.ports");
  const char *type = sim_str(obj, "spec.type");
  const char *cip = sim_str(obj, "spec.clusterIP");
  size_t i;
  int headless = cip && strcmp(cip, "None") == 0;
  int external = type && strcmp(type, "ExternalName") == 0;
  if ((!ports || ports->type != KD_ARR || !ports->u.arr.len) && !headless &&
      !external) {
    sim_verr_add(v, "FieldValueRequired", "spec.ports", "Required value");
    return;
  }
  for (i = 0; ports && ports->type == KD_ARR && i < ports->u.arr.len; i++) {
    const kd_value *p = kd_obj_gets(&ports->u.arr.items[i], "port");
    char f[64];
    if (!p || p->type != KD_INT || p->u.i < 1 || p->u.i > 65535) {
      snprintf(f, sizeof f, "spec.ports[%zu].port", i);
      sim_verr_add(v, "FieldValueInvalid", f, "Invalid value: %lld: must be "
                   "between 1 and 65535, inclusive",
                   p && p->type == KD_INT ? (long long)p->u.i : 0LL);
    }
  }
  if (type && strcmp(type, "ClusterIP") && strcmp(type, "NodePort") &&
      strcmp(type, "LoadBalancer") && !external)
    sim_verr_add(v, "FieldValueNotSupported", "spec.type", "Unsupported "
                 "value: \"%s\": supported values: \"ClusterIP\", "
                 "\"ExternalName\", \"LoadBalancer\", \"NodePort\"", type);
}

static void check_crd(const kd_value *obj, sim_verr *v)
{
  const char *name = sim_str(obj, "metadata.name");
  const char *plural = sim_str(obj, "spec.names.plural");
  const char *group = sim_str(obj, "spec.group");
  const kd_value *vs = kd_value_path(obj, "spec.versions");
  char want[600];
  if (!group || !group[0])
    sim_verr_add(v, "FieldValueRequired", "spec.group", "Required value");
  if (!plural || !plural[0])
    sim_verr_add(v, "FieldValueRequired", "spec.names.plural",
                 "Required value");
  if (!sim_str(obj, "spec.names.kind"))
    sim_verr_add(v, "FieldValueRequired", "spec.names.kind", "Required value");
  if (!vs || vs->type != KD_ARR || !vs->u.arr.len)
    sim_verr_add(v, "FieldValueRequired", "spec.versions", "Required value");
  if (name && plural && group) {
    snprintf(want, sizeof want, "%s.%s", plural, group);
    if (strcmp(want, name) != 0)
      sim_verr_add(v, "FieldValueInvalid", "metadata.name", "Invalid value: "
                   "\"%s\": must be spec.names.plural+\".\"+spec.group",
                   name);
  }
}

void sim_validate(sim *s, sim_resource *r, const kd_value *obj,
                  const kd_value *old, sim_verr *v)
{
  (void)s;
  check_name(r, sim_str(obj, "metadata.name"), v);
  if (is(r, "", "pods")) {
    check_containers(kd_value_path(obj, "spec"), "spec.", v);
  } else if (is(r, "apps", "deployments") || is(r, "apps", "replicasets") ||
             is(r, "apps", "statefulsets") || is(r, "apps", "daemonsets")) {
    const kd_value *ns = kd_value_path(obj, "spec.selector");
    const kd_value *os = old ? kd_value_path(old, "spec.selector") : NULL;
    if (ns && os && !kd_value_equal(ns, os))
      sim_verr_add(v, "FieldValueInvalid", "spec.selector", "Invalid value: "
                   "v1.LabelSelector{...}: field is immutable");
    check_workload(obj, v);
    if (is(r, "apps", "deployments")) check_deploy_strategy(obj, v);
  } else if (is(r, "batch", "jobs")) {
    check_containers(kd_value_path(obj, "spec.template.spec"),
                     "spec.template.spec.", v);
  } else if (is(r, "batch", "cronjobs")) {
    check_cronjob(obj, old, v);
  } else if (is(r, "", "services")) {
    check_service(obj, v);
  } else if (is(r, "apiextensions.k8s.io", "customresourcedefinitions")) {
    check_crd(obj, v);
  }
}
