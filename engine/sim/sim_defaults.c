/* engine/sim/sim_defaults.c: defaulting as kube-apiserver applies it on
 * every write (only fields clients and controllers rely on): namespaces,
 * services (cluster IPs, ports), workloads, jobs, pod specs. */
#include "sim_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int has(const kd_value *obj, const char *path)
{
  const kd_value *v = kd_value_path(obj, path);
  return v && v->type != KD_NULL;
}

static void dflt_str(kd_value *obj, const char *path, const char *val)
{
  if (!has(obj, path)) sim_set_str(obj, path, val);
}

static void dflt_int(kd_value *obj, const char *path, int64_t val)
{
  if (!has(obj, path)) sim_set_int(obj, path, val);
}

static void dflt_obj(kd_value *obj, const char *path)
{
  kd_value *v;
  if (has(obj, path)) return;
  v = sim_obj_path(obj, path, 1);
  if (v) kd_value_obj(v);
}

/* Secrets: stringData is write-only; kube merges it into data (base64). */
static void secret_defaults(kd_value *obj)
{
  kd_value *sd, *data;
  size_t i;
  dflt_str(obj, "type", "Opaque");
  sd = kd_obj_gets(obj, "stringData");
  if (!sd) return;
  if (sd->type == KD_OBJ && sd->u.obj.len) {
    data = kd_obj_gets(obj, "data");
    if (!data || data->type != KD_OBJ) {
      sim_obj_del(obj, "data");
      data = kd_obj_add(obj, "data", 4);
      if (!data) return;
      kd_value_obj(data);
    }
    sd = kd_obj_gets(obj, "stringData");   /* the add may have moved it */
    for (i = 0; i < sd->u.obj.len; i++) {
      const kd_member *m = &sd->u.obj.m[i];
      kd_value *slot;
      char *enc;
      size_t n;
      if (m->val.type != KD_STR) continue;
      n = m->val.u.str.len;
      enc = malloc(4 * ((n + 2) / 3) + 1);
      if (!enc) return;
      sim_b64(enc, m->val.u.str.s, n);
      sim_obj_del(data, m->key);
      slot = kd_obj_add(data, m->key, m->klen);
      if (slot) kd_value_str(slot, enc, strlen(enc));
      free(enc);
    }
  }
  sim_obj_del(obj, "stringData");
}

static int is(const sim_resource *r, const char *group, const char *plural)
{
  return strcmp(r->group, group) == 0 && strcmp(r->plural, plural) == 0;
}

static void str_list(kd_value *obj, const char *path, const char *item)
{
  kd_value *slot;
  if (has(obj, path)) return;
  slot = sim_obj_path(obj, path, 1);
  if (!slot) return;
  kd_value_arr(slot);
  slot = kd_arr_push(slot);
  if (slot) kd_value_str(slot, item, strlen(item));
}

static void container_defaults(kd_value *c)
{
  const char *image = sim_str(c, "image");
  kd_value *ports;
  size_t i;
  if (image && !has(c, "imagePullPolicy")) {
    const char *slash = strrchr(image, '/');
    const char *colon = strrchr(slash ? slash : image, ':');
    int latest = !colon || strcmp(colon, ":latest") == 0;
    if (strchr(image, '@')) latest = 0;
    sim_set_str(c, "imagePullPolicy", latest ? "Always" : "IfNotPresent");
  }
  dflt_str(c, "terminationMessagePath", "/dev/termination-log");
  dflt_str(c, "terminationMessagePolicy", "File");
  dflt_obj(c, "resources");
  ports = kd_obj_gets(c, "ports");   /* after the adds: they may move it */
  for (i = 0; ports && ports->type == KD_ARR && i < ports->u.arr.len; i++)
    if (ports->u.arr.items[i].type == KD_OBJ)
      dflt_str(&ports->u.arr.items[i], "protocol", "TCP");
}

static void pod_spec_defaults(kd_value *spec, int is_pod)
{
  static const char *const lists[] = {"containers", "initContainers", NULL};
  int l;
  if (!spec || spec->type != KD_OBJ) return;
  dflt_str(spec, "restartPolicy", "Always");
  dflt_str(spec, "dnsPolicy", "ClusterFirst");
  dflt_int(spec, "terminationGracePeriodSeconds", 30);
  dflt_str(spec, "schedulerName", "default-scheduler");
  dflt_obj(spec, "securityContext");
  if (is_pod) {
    dflt_str(spec, "serviceAccountName",
             sim_str(spec, "serviceAccount") ? sim_str(spec, "serviceAccount")
                                             : "default");
    dflt_str(spec, "serviceAccount", sim_str(spec, "serviceAccountName"));
    if (!has(spec, "enableServiceLinks")) {
      kd_value *b = sim_obj_path(spec, "enableServiceLinks", 1);
      if (b) kd_value_bool(b, 1);
    }
    dflt_int(spec, "priority", 0);
  }
  for (l = 0; lists[l]; l++) {
    kd_value *list = kd_obj_gets(spec, lists[l]);
    size_t i;
    for (i = 0; list && list->type == KD_ARR && i < list->u.arr.len; i++)
      if (list->u.arr.items[i].type == KD_OBJ)
        container_defaults(&list->u.arr.items[i]);
  }
}

static void template_defaults(kd_value *obj, const char *path)
{
  char p[128];
  snprintf(p, sizeof p, "%s.spec", path);
  pod_spec_defaults(kd_value_path(obj, p), 0);
  snprintf(p, sizeof p, "%s.metadata.creationTimestamp", path);
  if (kd_value_path(obj, path) && !kd_value_path(obj, p)) {
    kd_value *slot = sim_obj_path(obj, p, 1);
    if (slot) kd_value_null(slot);
  }
}

static void service_defaults(sim *s, kd_value *obj, const kd_value *old)
{
  kd_value *ports;
  const char *type;
  size_t i;
  dflt_str(obj, "spec.type", "ClusterIP");
  type = sim_str(obj, "spec.type");
  if (strcmp(type, "ExternalName") != 0) {
    if (!has(obj, "spec.clusterIP") && old && has(old, "spec.clusterIP"))
      sim_set_str(obj, "spec.clusterIP", sim_str(old, "spec.clusterIP"));
    if (!has(obj, "spec.clusterIP") || !sim_str(obj, "spec.clusterIP")[0]) {
      char ip[32];
      uint64_t x = sim_rand(s);
      snprintf(ip, sizeof ip, "10.96.%u.%u", (unsigned)(x % 256),
               (unsigned)((x >> 8) % 254 + 1));
      sim_set_str(obj, "spec.clusterIP", ip);
    }
    str_list(obj, "spec.clusterIPs", sim_str(obj, "spec.clusterIP"));
    str_list(obj, "spec.ipFamilies", "IPv4");
    dflt_str(obj, "spec.ipFamilyPolicy", "SingleStack");
    dflt_str(obj, "spec.internalTrafficPolicy", "Cluster");
  }
  dflt_str(obj, "spec.sessionAffinity", "None");
  ports = kd_value_path(obj, "spec.ports");   /* adds above may move it */
  for (i = 0; ports && ports->type == KD_ARR && i < ports->u.arr.len; i++) {
    kd_value *p = &ports->u.arr.items[i];
    const kd_value *port = kd_obj_gets(p, "port");
    if (p->type != KD_OBJ) continue;
    dflt_str(p, "protocol", "TCP");
    if (!has(p, "targetPort") && port && port->type == KD_INT)
      sim_set_int(p, "targetPort", port->u.i);
    if ((strcmp(type, "NodePort") == 0 || strcmp(type, "LoadBalancer") == 0)
        && !has(p, "nodePort")) {
      const kd_value *op = NULL;
      if (old) {
        const kd_value *oports = kd_value_path(old, "spec.ports");
        if (oports && oports->type == KD_ARR && i < oports->u.arr.len)
          op = kd_obj_gets(&oports->u.arr.items[i], "nodePort");
      }
      sim_set_int(p, "nodePort", op && op->type == KD_INT
                                     ? op->u.i
                                     : 30000 + (int64_t)(sim_rand(s) % 2768));
    }
  }
  if (strcmp(type, "NodePort") == 0)
    dflt_str(obj, "spec.externalTrafficPolicy", "Cluster");
  if (strcmp(type, "LoadBalancer") == 0) {
    dflt_str(obj, "spec.externalTrafficPolicy", "Cluster");
    if (!has(obj, "spec.allocateLoadBalancerNodePorts")) {
      kd_value *b = sim_obj_path(obj, "spec.allocateLoadBalancerNodePorts", 1);
      if (b) kd_value_bool(b, 1);
    }
  }
  dflt_obj(obj, "status.loadBalancer");
}

/* Object at PATH (made when missing or not an object). */
static kd_value *ensure_obj(kd_value *obj, const char *path)
{
  kd_value *v = sim_obj_path(obj, path, 1);
  if (v && v->type != KD_OBJ) {
    kd_value_clear(v);
    kd_value_obj(v);
  }
  return v;
}

/* Sets KEY (may contain dots, like label keys) in O unless present. */
static void set_key(kd_value *o, const char *key, const char *val)
{
  kd_value *x;
  if (!o || o->type != KD_OBJ || kd_obj_gets(o, key)) return;
  x = kd_obj_add(o, key, strlen(key));
  if (x) kd_value_str(x, val, strlen(val));
}

static void job_defaults(kd_value *obj)
{
  const char *uid = sim_str(obj, "metadata.uid");
  const char *name = sim_str(obj, "metadata.name");
  kd_value *b;
  if (!has(obj, "spec.completions") && !has(obj, "spec.parallelism"))
    sim_set_int(obj, "spec.completions", 1);
  dflt_int(obj, "spec.parallelism", 1);
  dflt_int(obj, "spec.backoffLimit", 6);
  dflt_str(obj, "spec.completionMode", "NonIndexed");
  dflt_str(obj, "spec.podReplacementPolicy", "TerminatingOrFailed");
  if (!has(obj, "spec.suspend") && (b = sim_obj_path(obj, "spec.suspend", 1)))
    kd_value_bool(b, 0);
  if (uid && name) {
    /* the job controller finds its pods by these (kube sets them) */
    kd_value *labels;
    if (!has(obj, "spec.selector"))
      set_key(ensure_obj(obj, "spec.selector.matchLabels"),
              "batch.kubernetes.io/controller-uid", uid);
    labels = ensure_obj(obj, "spec.template.metadata.labels");
    set_key(labels, "batch.kubernetes.io/controller-uid", uid);
    set_key(labels, "batch.kubernetes.io/job-name", name);
    set_key(labels, "controller-uid", uid);
    set_key(labels, "job-name", name);
  }
  template_defaults(obj, "spec.template");
}

/* What the apiextensions controllers report at once for a CRD we serve:
 * acceptedNames, storedVersions and the NamesAccepted/Established
 * conditions (helm and kubectl wait for Established). */
static void crd_status(sim *s, kd_value *obj)
{
  const kd_value *names = kd_value_path(obj, "spec.names");
  const kd_value *vs = kd_value_path(obj, "spec.versions");
  kd_value *st, *slot;
  size_t i;
  char *ts = sim_timestamp(s);
  static const char *const conds[][3] = {
    {"NamesAccepted", "NoConflicts", "no conflicts found"},
    {"Established", "InitialNamesAccepted", "the initial names have been accepted"}};
  sim_obj_del(obj, "status");
  st = ensure_obj(obj, "status");
  if (!st) { free(ts); return; }
  if (names && (slot = kd_obj_add(st, "acceptedNames", 13))) kd_value_copy(slot, names);
  if ((slot = kd_obj_add(st, "conditions", 10))) {
    kd_value_arr(slot);
    for (i = 0; i < 2; i++) {
      kd_value *c = kd_arr_push(slot);
      if (!c) break;
      kd_value_obj(c);
      sim_set_str(c, "type", conds[i][0]);
      sim_set_str(c, "status", "True");
      sim_set_str(c, "lastTransitionTime", ts ? ts : "");
      sim_set_str(c, "reason", conds[i][1]);
      sim_set_str(c, "message", conds[i][2]);
    }
  }
  st = kd_obj_gets(obj, "status");
  if (st && (slot = kd_obj_add(st, "storedVersions", 14))) {
    kd_value_arr(slot);
    for (i = 0; vs && vs->type == KD_ARR && i < vs->u.arr.len; i++) {
      const kd_value *stor = kd_obj_gets(&vs->u.arr.items[i], "storage");
      const char *vn = sim_str(&vs->u.arr.items[i], "name");
      kd_value *x;
      if (!vn || !stor || stor->type != KD_BOOL || !stor->u.b) continue;
      if ((x = kd_arr_push(slot))) kd_value_str(x, vn, strlen(vn));
    }
  }
  free(ts);
}

void sim_defaults(sim *s, sim_resource *r, kd_value *obj, const kd_value *old)
{
  if (is(r, "", "namespaces")) {
    const char *name = sim_str(obj, "metadata.name");
    str_list(obj, "spec.finalizers", "kubernetes");
    dflt_str(obj, "status.phase", "Active");
    if (name)
      set_key(ensure_obj(obj, "metadata.labels"), "kubernetes.io/metadata.name",
              name);
  } else if (is(r, "", "services")) {
    service_defaults(s, obj, old);
  } else if (is(r, "", "secrets")) {
    secret_defaults(obj);
  } else if (is(r, "", "pods")) {
    pod_spec_defaults(kd_value_path(obj, "spec"), 1);
    if (!old) {
      dflt_str(obj, "status.phase", "Pending");
      dflt_str(obj, "status.qosClass", "BestEffort");
    }
  } else if (is(r, "apps", "deployments")) {
    dflt_int(obj, "spec.replicas", 1);
    dflt_int(obj, "spec.revisionHistoryLimit", 10);
    dflt_int(obj, "spec.progressDeadlineSeconds", 600);
    dflt_str(obj, "spec.strategy.type", "RollingUpdate");
    if (strcmp(sim_str(obj, "spec.strategy.type"), "RollingUpdate") == 0) {
      dflt_str(obj, "spec.strategy.rollingUpdate.maxSurge", "25%");
      dflt_str(obj, "spec.strategy.rollingUpdate.maxUnavailable", "25%");
    }
    template_defaults(obj, "spec.template");
  } else if (is(r, "apps", "replicasets")) {
    dflt_int(obj, "spec.replicas", 1);
    template_defaults(obj, "spec.template");
  } else if (is(r, "apps", "statefulsets")) {
    dflt_int(obj, "spec.replicas", 1);
    dflt_int(obj, "spec.revisionHistoryLimit", 10);
    dflt_str(obj, "spec.podManagementPolicy", "OrderedReady");
    dflt_str(obj, "spec.updateStrategy.type", "RollingUpdate");
    if (strcmp(sim_str(obj, "spec.updateStrategy.type"), "RollingUpdate") == 0)
      dflt_int(obj, "spec.updateStrategy.rollingUpdate.partition", 0);
    dflt_str(obj, "spec.persistentVolumeClaimRetentionPolicy.whenDeleted",
             "Retain");
    dflt_str(obj, "spec.persistentVolumeClaimRetentionPolicy.whenScaled",
             "Retain");
    template_defaults(obj, "spec.template");
  } else if (is(r, "apps", "daemonsets")) {
    dflt_int(obj, "spec.revisionHistoryLimit", 10);
    dflt_str(obj, "spec.updateStrategy.type", "RollingUpdate");
    if (strcmp(sim_str(obj, "spec.updateStrategy.type"), "RollingUpdate") == 0) {
      dflt_int(obj, "spec.updateStrategy.rollingUpdate.maxUnavailable", 1);
      dflt_int(obj, "spec.updateStrategy.rollingUpdate.maxSurge", 0);
    }
    template_defaults(obj, "spec.template");
  } else if (is(r, "batch", "jobs")) {
    job_defaults(obj);
  } else if (is(r, "apiextensions.k8s.io", "customresourcedefinitions")) {
    const kd_value *ns = kd_value_path(obj, "spec");
    const kd_value *os = old ? kd_value_path(old, "spec") : NULL;
    if (!ns || !os || !kd_value_equal(ns, os) ||
        !kd_value_path(obj, "status.conditions"))
      crd_status(s, obj);
    dflt_str(obj, "spec.scope", "Namespaced");
  } else if (is(r, "batch", "cronjobs")) {
    dflt_str(obj, "spec.concurrencyPolicy", "Allow");
    dflt_int(obj, "spec.successfulJobsHistoryLimit", 3);
    dflt_int(obj, "spec.failedJobsHistoryLimit", 1);
    if (!has(obj, "spec.suspend")) {
      kd_value *b = sim_obj_path(obj, "spec.suspend", 1);
      if (b) kd_value_bool(b, 0);
    }
    template_defaults(obj, "spec.jobTemplate.spec.template");
  }
}
