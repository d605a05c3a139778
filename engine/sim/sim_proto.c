/* engine/sim/sim_proto.c: decoding of Kubernetes protobuf request bodies
 * ("k8s\0" + runtime.Unknown) into JSON-shaped kd_values, for the kinds
 * typed clients send: client-go's generated clientsets use protobuf for
 * built-in types since 1.31 (kubectl create, helm's release Secrets):
 * ConfigMap, Secret, Namespace, ServiceAccount, Service, Deployment, Job,
 * CronJob, the RBAC kinds, PodDisruptionBudget, PriorityClass,
 * ResourceQuota and DeleteOptions.
 * The schema tables below give field numbers and JSON names of those
 * messages. A non-empty field we have no schema for is an error (415
 * with a message) rather than silently dropped data. */
#include "sim_int.h"
#include "sim_proto.h"

#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

enum {
  P_STR = 1, P_BYTES, P_INT, P_BOOL, P_MSG, P_MAP_SS, P_MAP_SB, P_TIME,
  P_INTSTR, P_MAP_SQ, P_RAWJSON
};
#define P_REP 0x100    /* repeated */
#define P_PTR 0x200    /* pointer in Go: present even when zero */

typedef struct pmsg pmsg;
typedef struct pfield {
  int num;
  const char *name;
  int kind;
  const pmsg *msg;
} pfield;
struct pmsg {
  const char *name;
  const pfield *f;
};

#define M(n) static const pmsg n
#define F(...) (const pfield[]){__VA_ARGS__, {0, 0, 0, 0}}

/* ---- schemas (k8s.io/apimachinery meta/v1, k8s.io/api) ------------------*/

M(m_fieldsv1) = {"FieldsV1", F({1, "", P_RAWJSON, 0})};
M(m_owner) = {"OwnerReference", F({1, "kind", P_STR, 0}, {3, "name", P_STR, 0},
  {4, "uid", P_STR, 0}, {5, "apiVersion", P_STR, 0},
  {6, "controller", P_BOOL | P_PTR, 0},
  {7, "blockOwnerDeletion", P_BOOL | P_PTR, 0})};
M(m_managed) = {"ManagedFieldsEntry", F({1, "manager", P_STR, 0},
  {2, "operation", P_STR, 0}, {3, "apiVersion", P_STR, 0},
  {4, "time", P_TIME, 0}, {6, "fieldsType", P_STR, 0},
  {7, "fieldsV1", P_MSG, &m_fieldsv1}, {8, "subresource", P_STR, 0})};
M(m_meta) = {"ObjectMeta", F({1, "name", P_STR, 0},
  {2, "generateName", P_STR, 0}, {3, "namespace", P_STR, 0},
  {4, "selfLink", P_STR, 0}, {5, "uid", P_STR, 0},
  {6, "resourceVersion", P_STR, 0}, {7, "generation", P_INT, 0},
  {8, "creationTimestamp", P_TIME, 0}, {9, "deletionTimestamp", P_TIME, 0},
  {10, "deletionGracePeriodSeconds", P_INT | P_PTR, 0},
  {11, "labels", P_MAP_SS, 0}, {12, "annotations", P_MAP_SS, 0},
  {13, "ownerReferences", P_MSG | P_REP, &m_owner},
  {14, "finalizers", P_STR | P_REP, 0},
  {17, "managedFields", P_MSG | P_REP, &m_managed})};
M(m_lsreq) = {"LabelSelectorRequirement", F({1, "key", P_STR, 0},
  {2, "operator", P_STR, 0}, {3, "values", P_STR | P_REP, 0})};
M(m_lsel) = {"LabelSelector", F({1, "matchLabels", P_MAP_SS, 0},
  {2, "matchExpressions", P_MSG | P_REP, &m_lsreq})};
M(m_precond) = {"Preconditions", F({1, "uid", P_STR | P_PTR, 0},
  {2, "resourceVersion", P_STR | P_PTR, 0})};

M(m_configmap) = {"ConfigMap", F({1, "metadata", P_MSG, &m_meta},
  {2, "data", P_MAP_SS, 0}, {3, "binaryData", P_MAP_SB, 0},
  {4, "immutable", P_BOOL | P_PTR, 0})};
M(m_secret) = {"Secret", F({1, "metadata", P_MSG, &m_meta},
  {2, "data", P_MAP_SB, 0}, {3, "type", P_STR, 0},
  {4, "stringData", P_MAP_SS, 0}, {5, "immutable", P_BOOL | P_PTR, 0})};
M(m_nsspec) = {"NamespaceSpec", F({1, "finalizers", P_STR | P_REP, 0})};
M(m_nsstatus) = {"NamespaceStatus", F({1, "phase", P_STR, 0})};
M(m_namespace) = {"Namespace", F({1, "metadata", P_MSG, &m_meta},
  {2, "spec", P_MSG, &m_nsspec}, {3, "status", P_MSG, &m_nsstatus})};
M(m_localref) = {"LocalObjectReference", F({1, "name", P_STR, 0})};
M(m_objref) = {"ObjectReference", F({1, "kind", P_STR, 0},
  {2, "namespace", P_STR, 0}, {3, "name", P_STR, 0}, {4, "uid", P_STR, 0},
  {5, "apiVersion", P_STR, 0}, {6, "resourceVersion", P_STR, 0},
  {7, "fieldPath", P_STR, 0})};
M(m_sa) = {"ServiceAccount", F({1, "metadata", P_MSG, &m_meta},
  {2, "secrets", P_MSG | P_REP, &m_objref},
  {3, "imagePullSecrets", P_MSG | P_REP, &m_localref},
  {4, "automountServiceAccountToken", P_BOOL | P_PTR, 0})};

/* pod templates: the fields `kubectl create deployment/job/cronjob` set */
M(m_port) = {"ContainerPort", F({1, "name", P_STR, 0},
  {2, "hostPort", P_INT, 0}, {3, "containerPort", P_INT, 0},
  {4, "protocol", P_STR, 0}, {5, "hostIP", P_STR, 0})};
M(m_env) = {"EnvVar", F({1, "name", P_STR, 0}, {2, "value", P_STR, 0})};
M(m_resources) = {"ResourceRequirements", F({1, "limits", P_MAP_SQ, 0},
  {2, "requests", P_MAP_SQ, 0})};
M(m_container) = {"Container", F({1, "name", P_STR, 0},
  {2, "image", P_STR, 0}, {3, "command", P_STR | P_REP, 0},
  {4, "args", P_STR | P_REP, 0}, {5, "workingDir", P_STR, 0},
  {6, "ports", P_MSG | P_REP, &m_port}, {7, "env", P_MSG | P_REP, &m_env},
  {8, "resources", P_MSG, &m_resources},
  {13, "terminationMessagePath", P_STR, 0},
  {14, "imagePullPolicy", P_STR, 0}, {16, "stdin", P_BOOL, 0},
  {17, "stdinOnce", P_BOOL, 0}, {18, "tty", P_BOOL, 0},
  {20, "terminationMessagePolicy", P_STR, 0})};
M(m_podsec) = {"PodSecurityContext", F({0, 0, 0, 0})};
M(m_podspec) = {"PodSpec", F({2, "containers", P_MSG | P_REP, &m_container},
  {3, "restartPolicy", P_STR, 0},
  {4, "terminationGracePeriodSeconds", P_INT | P_PTR, 0},
  {5, "activeDeadlineSeconds", P_INT | P_PTR, 0},
  {6, "dnsPolicy", P_STR, 0}, {7, "nodeSelector", P_MAP_SS, 0},
  {8, "serviceAccountName", P_STR, 0}, {9, "serviceAccount", P_STR, 0},
  {10, "nodeName", P_STR, 0}, {11, "hostNetwork", P_BOOL, 0},
  {12, "hostPID", P_BOOL, 0}, {13, "hostIPC", P_BOOL, 0},
  {14, "securityContext", P_MSG, &m_podsec},
  {15, "imagePullSecrets", P_MSG | P_REP, &m_localref},
  {16, "hostname", P_STR, 0}, {17, "subdomain", P_STR, 0},
  {19, "schedulerName", P_STR, 0},
  {20, "initContainers", P_MSG | P_REP, &m_container},
  {24, "priorityClassName", P_STR, 0})};
M(m_template) = {"PodTemplateSpec", F({1, "metadata", P_MSG, &m_meta},
  {2, "spec", P_MSG, &m_podspec})};
M(m_rolling) = {"RollingUpdateDeployment", F({1, "maxUnavailable", P_INTSTR, 0},
  {2, "maxSurge", P_INTSTR, 0})};
M(m_strategy) = {"DeploymentStrategy", F({1, "type", P_STR, 0},
  {2, "rollingUpdate", P_MSG, &m_rolling})};
M(m_deployspec) = {"DeploymentSpec", F({1, "replicas", P_INT | P_PTR, 0},
  {2, "selector", P_MSG, &m_lsel}, {3, "template", P_MSG, &m_template},
  {4, "strategy", P_MSG, &m_strategy}, {5, "minReadySeconds", P_INT, 0},
  {6, "revisionHistoryLimit", P_INT | P_PTR, 0}, {7, "paused", P_BOOL, 0},
  {9, "progressDeadlineSeconds", P_INT | P_PTR, 0})};
M(m_status_any) = {"Status", F({0, 0, 0, 0})};
M(m_deploy) = {"Deployment", F({1, "metadata", P_MSG, &m_meta},
  {2, "spec", P_MSG, &m_deployspec}, {3, "status", P_MSG, &m_status_any})};
M(m_jobspec) = {"JobSpec", F({1, "parallelism", P_INT | P_PTR, 0},
  {2, "completions", P_INT | P_PTR, 0},
  {3, "activeDeadlineSeconds", P_INT | P_PTR, 0},
  {4, "selector", P_MSG, &m_lsel}, {5, "manualSelector", P_BOOL | P_PTR, 0},
  {6, "template", P_MSG, &m_template}, {7, "backoffLimit", P_INT | P_PTR, 0},
  {8, "ttlSecondsAfterFinished", P_INT | P_PTR, 0},
  {9, "completionMode", P_STR | P_PTR, 0}, {10, "suspend", P_BOOL | P_PTR, 0})};
M(m_job) = {"Job", F({1, "metadata", P_MSG, &m_meta},
  {2, "spec", P_MSG, &m_jobspec}, {3, "status", P_MSG, &m_status_any})};
M(m_jobtpl) = {"JobTemplateSpec", F({1, "metadata", P_MSG, &m_meta},
  {2, "spec", P_MSG, &m_jobspec})};
M(m_cronspec) = {"CronJobSpec", F({1, "schedule", P_STR, 0},
  {2, "startingDeadlineSeconds", P_INT | P_PTR, 0},
  {3, "concurrencyPolicy", P_STR, 0}, {4, "suspend", P_BOOL | P_PTR, 0},
  {5, "jobTemplate", P_MSG, &m_jobtpl},
  {6, "successfulJobsHistoryLimit", P_INT | P_PTR, 0},
  {7, "failedJobsHistoryLimit", P_INT | P_PTR, 0},
  {8, "timeZone", P_STR | P_PTR, 0})};
M(m_cronjob) = {"CronJob", F({1, "metadata", P_MSG, &m_meta},
  {2, "spec", P_MSG, &m_cronspec}, {3, "status", P_MSG, &m_status_any})};
M(m_svcport) = {"ServicePort", F({1, "name", P_STR, 0},
  {2, "protocol", P_STR, 0}, {3, "port", P_INT, 0},
  {4, "targetPort", P_INTSTR, 0}, {5, "nodePort", P_INT, 0},
  {6, "appProtocol", P_STR | P_PTR, 0})};
M(m_svcspec) = {"ServiceSpec", F({1, "ports", P_MSG | P_REP, &m_svcport},
  {2, "selector", P_MAP_SS, 0}, {3, "clusterIP", P_STR, 0},
  {4, "type", P_STR, 0}, {5, "externalIPs", P_STR | P_REP, 0},
  {7, "sessionAffinity", P_STR, 0}, {8, "loadBalancerIP", P_STR, 0},
  {9, "loadBalancerSourceRanges", P_STR | P_REP, 0},
  {10, "externalName", P_STR, 0}, {11, "externalTrafficPolicy", P_STR, 0},
  {12, "healthCheckNodePort", P_INT, 0},
  {13, "publishNotReadyAddresses", P_BOOL, 0},
  {17, "ipFamilyPolicy", P_STR | P_PTR, 0},
  {18, "clusterIPs", P_STR | P_REP, 0}, {19, "ipFamilies", P_STR | P_REP, 0},
  {20, "allocateLoadBalancerNodePorts", P_BOOL | P_PTR, 0},
  {21, "loadBalancerClass", P_STR | P_PTR, 0},
  {22, "internalTrafficPolicy", P_STR | P_PTR, 0})};
M(m_service) = {"Service", F({1, "metadata", P_MSG, &m_meta},
  {2, "spec", P_MSG, &m_svcspec}, {3, "status", P_MSG, &m_status_any})};
M(m_rule) = {"PolicyRule", F({1, "verbs", P_STR | P_REP, 0},
  {2, "apiGroups", P_STR | P_REP, 0}, {3, "resources", P_STR | P_REP, 0},
  {4, "resourceNames", P_STR | P_REP, 0},
  {5, "nonResourceURLs", P_STR | P_REP, 0})};
M(m_aggrule) = {"AggregationRule", F({1, "clusterRoleSelectors",
  P_MSG | P_REP, &m_lsel})};
M(m_role) = {"Role", F({1, "metadata", P_MSG, &m_meta},
  {2, "rules", P_MSG | P_REP, &m_rule})};
M(m_crole) = {"ClusterRole", F({1, "metadata", P_MSG, &m_meta},
  {2, "rules", P_MSG | P_REP, &m_rule},
  {3, "aggregationRule", P_MSG, &m_aggrule})};
M(m_subject) = {"Subject", F({1, "kind", P_STR, 0}, {2, "apiGroup", P_STR, 0},
  {3, "name", P_STR, 0}, {4, "namespace", P_STR, 0})};
M(m_roleref) = {"RoleRef", F({1, "apiGroup", P_STR, 0}, {2, "kind", P_STR, 0},
  {3, "name", P_STR, 0})};
M(m_binding) = {"RoleBinding", F({1, "metadata", P_MSG, &m_meta},
  {2, "subjects", P_MSG | P_REP, &m_subject},
  {3, "roleRef", P_MSG, &m_roleref})};
M(m_pdbspec) = {"PodDisruptionBudgetSpec", F({1, "minAvailable", P_INTSTR, 0},
  {2, "selector", P_MSG, &m_lsel}, {3, "maxUnavailable", P_INTSTR, 0},
  {4, "unhealthyPodEvictionPolicy", P_STR | P_PTR, 0})};
M(m_pdb) = {"PodDisruptionBudget", F({1, "metadata", P_MSG, &m_meta},
  {2, "spec", P_MSG, &m_pdbspec}, {3, "status", P_MSG, &m_status_any})};
M(m_prio) = {"PriorityClass", F({1, "metadata", P_MSG, &m_meta},
  {2, "value", P_INT | P_PTR, 0}, {3, "globalDefault", P_BOOL, 0},
  {4, "description", P_STR, 0}, {5, "preemptionPolicy", P_STR | P_PTR, 0})};
M(m_quotaspec) = {"ResourceQuotaSpec", F({1, "hard", P_MAP_SQ, 0},
  {2, "scopes", P_STR | P_REP, 0})};
M(m_quota) = {"ResourceQuota", F({1, "metadata", P_MSG, &m_meta},
  {2, "spec", P_MSG, &m_quotaspec}, {3, "status", P_MSG, &m_status_any})};
M(m_delete) = {"DeleteOptions", F({1, "gracePeriodSeconds", P_INT | P_PTR, 0},
  {2, "preconditions", P_MSG, &m_precond},
  {3, "orphanDependents", P_BOOL | P_PTR, 0},
  {4, "propagationPolicy", P_STR | P_PTR, 0},
  {5, "dryRun", P_STR | P_REP, 0})};

static const struct {
  const char *api_version, *kind;
  const pmsg *msg;
} kinds[] = {
  {"v1", "ConfigMap", &m_configmap}, {"v1", "Secret", &m_secret},
  {"v1", "Namespace", &m_namespace}, {"v1", "ServiceAccount", &m_sa},
  {"apps/v1", "Deployment", &m_deploy}, {"batch/v1", "Job", &m_job},
  {"batch/v1", "CronJob", &m_cronjob}, {"v1", "Service", &m_service},
  {"rbac.authorization.k8s.io/v1", "Role", &m_role},
  {"rbac.authorization.k8s.io/v1", "ClusterRole", &m_crole},
  {"rbac.authorization.k8s.io/v1", "RoleBinding", &m_binding},
  {"rbac.authorization.k8s.io/v1", "ClusterRoleBinding", &m_binding},
  {"policy/v1", "PodDisruptionBudget", &m_pdb},
  {"scheduling.k8s.io/v1", "PriorityClass", &m_prio},
  {"v1", "ResourceQuota", &m_quota}, {"v1", "DeleteOptions", &m_delete},
  {"meta.k8s.io/v1", "DeleteOptions", &m_delete},
};

/* ---- wire format ---------------------------------------------------------*/

typedef struct pbuf {
  const unsigned char *p, *end;
} pbuf;

static int varint(pbuf *b, uint64_t *out)
{
  uint64_t r = 0;
  int shift = 0;
  while (b->p < b->end && shift < 64) {
    unsigned char c = *b->p++;
    r |= (uint64_t)(c & 0x7f) << shift;
    if (c < 0x80) { *out = r; return 0; }
    shift += 7;
  }
  return -1;
}

/* One field as read off the wire: its number, wire type, varint (for wire
 * type 2 the payload's length) and, for wire type 2, the payload D/L. */
typedef struct pwire {
  int num, wt;
  uint64_t v;
  const unsigned char *d;
  size_t l;
} pwire;

/* Reads the next field of B into *W; -1 when malformed. */
static int next_field(pbuf *b, pwire *w)
{
  uint64_t key;
  if (varint(b, &key)) return -1;
  w->num = (int)(key >> 3);
  w->wt = (int)(key & 7);
  w->v = 0;
  w->d = NULL;
  w->l = 0;
  switch (w->wt) {
  case 0: return varint(b, &w->v);
  case 1: if (b->end - b->p < 8) return -1; b->p += 8; return 0;
  case 5: if (b->end - b->p < 4) return -1; b->p += 4; return 0;
  case 2:
    if (varint(b, &w->v) || w->v > (uint64_t)(b->end - b->p)) return -1;
    w->d = b->p;
    w->l = (size_t)w->v;
    b->p += w->l;
    return 0;
  default: return -1;
  }
}

static int decode_msg(const pmsg *m, const unsigned char *p, size_t n,
                      kd_value *out, int depth, kd_error *err);

static int set_b64(kd_value *slot, const unsigned char *p, size_t n)
{
  char *tmp = malloc(4 * ((n + 2) / 3) + 1);
  int rc;
  if (!tmp) return KD_ENOMEM;
  EVP_EncodeBlock((unsigned char *)tmp, p, (int)n);
  rc = kd_value_str(slot, tmp, strlen(tmp));
  free(tmp);
  return rc;
}

/* Map entry {1: key, 2: value} into object OBJ. MODE: 0 string value,
 * 1 bytes (base64 in JSON), 2 resource.Quantity ({1: string}). */
static int map_entry(kd_value *obj, const unsigned char *p, size_t n,
                     int mode)
{
  pbuf b = {p, p + n};
  const unsigned char *k = NULL, *v = NULL;
  size_t kl = 0, vl = 0;
  pwire w;
  while (b.p < b.end) {
    if (next_field(&b, &w) || w.wt != 2) return KD_EPARSE;
    if (w.num == 1) { k = w.d; kl = w.l; }
    else if (w.num == 2) { v = w.d; vl = w.l; }
  }
  if (mode == 2 && v) {   /* unwrap Quantity */
    pbuf q = {v, v + vl};
    const unsigned char *qs = NULL;
    size_t ql = 0;
    while (q.p < q.end) {
      if (next_field(&q, &w)) return KD_EPARSE;
      if (w.num == 1 && w.wt == 2) { qs = w.d; ql = w.l; }
    }
    v = qs;
    vl = ql;
  }
  if (obj->type != KD_OBJ) kd_value_obj(obj);
  {
    kd_value *slot = kd_obj_add(obj, k ? (const char *)k : "", kl);
    if (!slot) return KD_ENOMEM;
    if (mode == 1) return set_b64(slot, v ? v : (const unsigned char *)"", vl);
    return kd_value_str(slot, v ? (const char *)v : "", vl);
  }
}

static int time_value(kd_value *slot, const unsigned char *p, size_t n)
{
  pbuf b = {p, p + n};
  int64_t secs = 0;
  char *ts;
  int rc;
  pwire w;
  while (b.p < b.end) {
    if (next_field(&b, &w)) return KD_EPARSE;
    if (w.num == 1 && w.wt == 0) secs = (int64_t)w.v;
  }
  if (secs == 0) return 1;   /* zero time: omitted, as JSON does */
  ts = sim_rfc3339(secs * 1000);
  if (!ts) return KD_ENOMEM;
  rc = kd_value_str(slot, ts, strlen(ts));
  free(ts);
  return rc;
}

static int intstr_value(kd_value *slot, const unsigned char *p, size_t n)
{
  pbuf b = {p, p + n};
  uint64_t type = 0, iv = 0;
  const unsigned char *sv = (const unsigned char *)"";
  size_t sl = 0;
  pwire w;
  while (b.p < b.end) {
    if (next_field(&b, &w)) return KD_EPARSE;
    if (w.num == 1) type = w.v;
    else if (w.num == 2) iv = w.v;
    else if (w.num == 3 && w.wt == 2) { sv = w.d; sl = w.l; }
  }
  if (type == 1) return kd_value_str(slot, (const char *)sv, sl);
  kd_value_int(slot, (int64_t)(int32_t)iv);
  return KD_OK;
}

static const pfield *find_field(const pmsg *m, int num)
{
  const pfield *f;
  for (f = m->f; f->name; f++) if (f->num == num) return f;
  return NULL;
}

/* Decodes one field occurrence into OUT (an object). */
static int decode_field(const pmsg *m, const pfield *f, int wt, uint64_t v,
                        const unsigned char *d, size_t l, kd_value *out,
                        int depth, kd_error *err)
{
  int kind = f->kind & 0xff, rc = KD_OK;
  kd_value tmp, *slot;
  kd_value_null(&tmp);
  if (kind == P_MAP_SS || kind == P_MAP_SB || kind == P_MAP_SQ) {
    if (wt != 2) return KD_EPARSE;
    slot = kd_obj_gets(out, f->name);
    if (!slot && !(slot = kd_obj_add(out, f->name, strlen(f->name))))
      return KD_ENOMEM;
    return map_entry(slot, d, l, kind == P_MAP_SB ? 1 : kind == P_MAP_SQ ? 2 : 0);
  }
  switch (kind) {
  case P_STR:
    if (wt != 2) return KD_EPARSE;
    if (!l && !(f->kind & (P_PTR | P_REP))) return KD_OK;
    rc = kd_value_str(&tmp, (const char *)d, l);
    break;
  case P_BYTES:
    rc = set_b64(&tmp, d, l);
    break;
  case P_INT:
    if (wt != 0) return KD_EPARSE;
    if (!v && !(f->kind & P_PTR)) return KD_OK;
    kd_value_int(&tmp, (int64_t)v);
    break;
  case P_BOOL:
    if (wt != 0) return KD_EPARSE;
    if (!v && !(f->kind & P_PTR)) return KD_OK;
    kd_value_bool(&tmp, v != 0);
    break;
  case P_TIME:
    rc = time_value(&tmp, d, l);
    if (rc == 1) return KD_OK;
    break;
  case P_INTSTR:
    rc = intstr_value(&tmp, d, l);
    break;
  case P_MSG:
    if (wt != 2) return KD_EPARSE;
    rc = decode_msg(f->msg, d, l, &tmp, depth + 1, err);
    if (rc == KD_OK && f->msg == &m_fieldsv1) {   /* FieldsV1 is its JSON */
      kd_value *raw = kd_obj_gets(&tmp, "");
      kd_value inner;
      kd_value_null(&inner);
      if (raw) { inner = *raw; kd_value_null(raw); }
      kd_value_clear(&tmp);
      tmp = inner;
    }
    if (rc == KD_OK && tmp.type == KD_OBJ && tmp.u.obj.len == 0 &&
        !(f->kind & (P_PTR | P_REP))) {
      kd_value_clear(&tmp);
      return KD_OK;
    }
    break;
  case P_RAWJSON:
    if (!l) return KD_OK;
    rc = json_decode((const char *)d, l, "protobuf raw", &tmp, err);
    break;
  default:
    return KD_EPARSE;
  }
  if (rc) { kd_value_clear(&tmp); return rc; }
  (void)m;
  if (f->kind & P_REP) {
    slot = kd_obj_gets(out, f->name);
    if (!slot) {
      slot = kd_obj_add(out, f->name, strlen(f->name));
      if (!slot) { kd_value_clear(&tmp); return KD_ENOMEM; }
      kd_value_arr(slot);
    }
    slot = kd_arr_push(slot);
  } else {
    slot = kd_obj_add(out, f->name, strlen(f->name));
  }
  if (!slot) { kd_value_clear(&tmp); return KD_ENOMEM; }
  *slot = tmp;
  return KD_OK;
}

static int decode_msg(const pmsg *m, const unsigned char *p, size_t n,
                      kd_value *out, int depth, kd_error *err)
{
  pbuf b = {p, p + n};
  kd_value_obj(out);
  if (depth > 32) return kd_error_set(err, KD_ERANGE, "protobuf nested too deep");
  while (b.p < b.end) {
    int rc;
    pwire w;
    const pfield *f;
    if (next_field(&b, &w)) {
      kd_value_clear(out);
      return kd_error_set(err, KD_EPARSE, "malformed protobuf in %s", m->name);
    }
    f = find_field(m, w.num);
    if (!f) {
      if ((w.wt == 0 && w.v == 0) || (w.wt == 2 && w.l == 0)) continue;   /* zero */
      kd_value_clear(out);
      return kd_error_set(err, KD_EINVAL, "protobuf field %d of %s is not "
                          "supported by kdeploy sim; send JSON", w.num, m->name);
    }
    rc = decode_field(m, f, w.wt, w.v, w.d, w.l, out, depth, err);
    if (rc) {
      kd_value_clear(out);
      if (!err || !err->msg[0])
        kd_error_set(err, rc, "malformed protobuf field %s.%s", m->name,
                     f->name);
      return err ? err->code : rc;
    }
  }
  return KD_OK;
}

int sim_proto_decode(const char *data, size_t len, kd_value *out,
                     kd_error *err)
{
  pbuf b;
  const unsigned char *raw = NULL, *av = NULL, *kind = NULL;
  size_t rawl = 0, avl = 0, kindl = 0, i;
  kd_value_null(out);
  if (len < 4 || memcmp(data, "k8s\0", 4) != 0)
    return kd_error_set(err, KD_EPARSE, "protobuf body lacks the k8s envelope");
  b.p = (const unsigned char *)data + 4;
  b.end = (const unsigned char *)data + len;
  while (b.p < b.end) {
    pwire w;
    if (next_field(&b, &w))
      return kd_error_set(err, KD_EPARSE, "malformed protobuf envelope");
    if (w.num == 1 && w.wt == 2) {   /* TypeMeta */
      pbuf t = {w.d, w.d + w.l};
      pwire tw;
      while (t.p < t.end) {
        if (next_field(&t, &tw))
          return kd_error_set(err, KD_EPARSE, "malformed protobuf TypeMeta");
        if (tw.num == 1 && tw.wt == 2) { av = tw.d; avl = tw.l; }
        if (tw.num == 2 && tw.wt == 2) { kind = tw.d; kindl = tw.l; }
      }
    } else if (w.num == 2 && w.wt == 2) {
      raw = w.d;
      rawl = w.l;
    }
  }
  for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    const pmsg *m = kinds[i].msg;
    int rc;
    if (!av || !kind || strlen(kinds[i].api_version) != avl ||
        memcmp(kinds[i].api_version, av, avl) ||
        strlen(kinds[i].kind) != kindl || memcmp(kinds[i].kind, kind, kindl))
      continue;
    rc = decode_msg(m, raw ? raw : (const unsigned char *)"", rawl, out, 0,
                    err);
    if (rc) return rc;
    if (m != &m_delete) {
      sim_set_str(out, "apiVersion", kinds[i].api_version);
      sim_set_str(out, "kind", kinds[i].kind);
      sim_obj_path(out, "metadata", 1);
    }
    return KD_OK;
  }
  return kd_error_set(err, KD_EINVAL, "protobuf bodies of %.*s %.*s are not "
                      "supported by kdeploy sim; send JSON", (int)avl,
                      av ? (const char *)av : "", (int)kindl,
                      kind ? (const char *)kind : "");
}
