/* engine/sim/sim_strict.c: unknown fields of the built-in kinds, as the
 * real server finds them when it decodes a request body into the Go types
 * (fieldValidation=Strict rejects them, Warn drops them with a Warning
 * header, Ignore drops them silently).
 *
 * The tables below list every field of the Kubernetes 1.33 Go structs they
 * describe; a field with a NULL sub-table is known but not looked into (its
 * own fields are not checked). Kinds and structs not listed are not
 * checked at all: the sim is never stricter than kube, only sometimes more
 * lenient. */
#include "sim_int.h"

#include "json.h"

#include <stdlib.h>
#include <string.h>

typedef struct sk_field {
  const char *name;
  const struct sk_field *sub; /* struct fields of the value (or of each
                                 element of a list); NULL: not checked */
} sk_field;

#define END {NULL, NULL}

/* ---- shared structs -------------------------------------------------- */
static const sk_field owner_ref[] = {
  {"apiVersion", NULL}, {"kind", NULL}, {"name", NULL}, {"uid", NULL},
  {"controller", NULL}, {"blockOwnerDeletion", NULL}, END};
static const sk_field object_meta[] = {
  {"name", NULL}, {"generateName", NULL}, {"namespace", NULL},
  {"selfLink", NULL}, {"uid", NULL}, {"resourceVersion", NULL},
  {"generation", NULL}, {"creationTimestamp", NULL},
  {"deletionTimestamp", NULL}, {"deletionGracePeriodSeconds", NULL},
  {"labels", NULL}, {"annotations", NULL}, {"ownerReferences", owner_ref},
  {"finalizers", NULL}, {"managedFields", NULL}, END};
static const sk_field label_selector[] = {
  {"matchLabels", NULL}, {"matchExpressions", NULL}, END};

/* ---- core/v1 pods ---------------------------------------------------- */
static const sk_field container_port[] = {
  {"name", NULL}, {"hostPort", NULL}, {"containerPort", NULL},
  {"protocol", NULL}, {"hostIP", NULL}, END};
static const sk_field env_var[] = {
  {"name", NULL}, {"value", NULL}, {"valueFrom", NULL}, END};
static const sk_field resources[] = {
  {"limits", NULL}, {"requests", NULL}, {"claims", NULL}, END};
static const sk_field volume_mount[] = {
  {"name", NULL}, {"readOnly", NULL}, {"recursiveReadOnly", NULL},
  {"mountPath", NULL}, {"subPath", NULL}, {"mountPropagation", NULL},
  {"subPathExpr", NULL}, END};
static const sk_field container[] = {
  {"name", NULL}, {"image", NULL}, {"command", NULL}, {"args", NULL},
  {"workingDir", NULL}, {"ports", container_port}, {"envFrom", NULL},
  {"env", env_var}, {"resources", resources}, {"resizePolicy", NULL},
  {"restartPolicy", NULL}, {"volumeMounts", volume_mount},
  {"volumeDevices", NULL}, {"livenessProbe", NULL},
  {"readinessProbe", NULL}, {"startupProbe", NULL}, {"lifecycle", NULL},
  {"terminationMessagePath", NULL}, {"terminationMessagePolicy", NULL},
  {"imagePullPolicy", NULL}, {"securityContext", NULL}, {"stdin", NULL},
  {"stdinOnce", NULL}, {"tty", NULL}, END};
static const sk_field pod_spec[] = {
  {"volumes", NULL}, {"initContainers", container},
  {"containers", container}, {"ephemeralContainers", NULL},
  {"restartPolicy", NULL}, {"terminationGracePeriodSeconds", NULL},
  {"activeDeadlineSeconds", NULL}, {"dnsPolicy", NULL},
  {"nodeSelector", NULL}, {"serviceAccountName", NULL},
  {"serviceAccount", NULL}, {"automountServiceAccountToken", NULL},
  {"nodeName", NULL}, {"hostNetwork", NULL}, {"hostPID", NULL},
  {"hostIPC", NULL}, {"shareProcessNamespace", NULL},
  {"securityContext", NULL}, {"imagePullSecrets", NULL},
  {"hostname", NULL}, {"subdomain", NULL}, {"affinity", NULL},
  {"schedulerName", NULL}, {"tolerations", NULL}, {"hostAliases", NULL},
  {"priorityClassName", NULL}, {"priority", NULL}, {"dnsConfig", NULL},
  {"readinessGates", NULL}, {"runtimeClassName", NULL},
  {"enableServiceLinks", NULL}, {"preemptionPolicy", NULL},
  {"overhead", NULL}, {"topologySpreadConstraints", NULL},
  {"setHostnameAsFQDN", NULL}, {"os", NULL}, {"hostUsers", NULL},
  {"schedulingGates", NULL}, {"resourceClaims", NULL},
  {"resources", resources}, END};
static const sk_field pod_template[] = {
  {"metadata", object_meta}, {"spec", pod_spec}, END};

/* ---- workloads ------------------------------------------------------- */
static const sk_field rolling_update[] = {
  {"maxUnavailable", NULL}, {"maxSurge", NULL}, END};
static const sk_field deploy_strategy[] = {
  {"type", NULL}, {"rollingUpdate", rolling_update}, END};
static const sk_field deploy_spec[] = {
  {"replicas", NULL}, {"selector", label_selector},
  {"template", pod_template}, {"strategy", deploy_strategy},
  {"minReadySeconds", NULL}, {"revisionHistoryLimit", NULL},
  {"paused", NULL}, {"progressDeadlineSeconds", NULL}, END};
static const sk_field rs_spec[] = {
  {"replicas", NULL}, {"minReadySeconds", NULL},
  {"selector", label_selector}, {"template", pod_template}, END};
static const sk_field sts_spec[] = {
  {"replicas", NULL}, {"selector", label_selector},
  {"template", pod_template}, {"volumeClaimTemplates", NULL},
  {"serviceName", NULL}, {"podManagementPolicy", NULL},
  {"updateStrategy", NULL}, {"revisionHistoryLimit", NULL},
  {"minReadySeconds", NULL}, {"persistentVolumeClaimRetentionPolicy", NULL},
  {"ordinals", NULL}, END};
static const sk_field ds_spec[] = {
  {"selector", label_selector}, {"template", pod_template},
  {"updateStrategy", NULL}, {"minReadySeconds", NULL},
  {"revisionHistoryLimit", NULL}, END};
static const sk_field job_spec[] = {
  {"parallelism", NULL}, {"completions", NULL},
  {"activeDeadlineSeconds", NULL}, {"podFailurePolicy", NULL},
  {"successPolicy", NULL}, {"backoffLimit", NULL},
  {"backoffLimitPerIndex", NULL}, {"maxFailedIndexes", NULL},
  {"selector", label_selector}, {"manualSelector", NULL},
  {"template", pod_template}, {"ttlSecondsAfterFinished", NULL},
  {"completionMode", NULL}, {"suspend", NULL},
  {"podReplacementPolicy", NULL}, {"managedBy", NULL}, END};
static const sk_field job_template[] = {
  {"metadata", object_meta}, {"spec", job_spec}, END};
static const sk_field cronjob_spec[] = {
  {"schedule", NULL}, {"timeZone", NULL}, {"startingDeadlineSeconds", NULL},
  {"concurrencyPolicy", NULL}, {"suspend", NULL},
  {"jobTemplate", job_template}, {"successfulJobsHistoryLimit", NULL},
  {"failedJobsHistoryLimit", NULL}, END};

/* ---- services -------------------------------------------------------- */
static const sk_field service_port[] = {
  {"name", NULL}, {"protocol", NULL}, {"appProtocol", NULL},
  {"port", NULL}, {"targetPort", NULL}, {"nodePort", NULL}, END};
static const sk_field service_spec[] = {
  {"ports", service_port}, {"selector", NULL}, {"clusterIP", NULL},
  {"clusterIPs", NULL}, {"type", NULL}, {"externalIPs", NULL},
  {"sessionAffinity", NULL}, {"loadBalancerIP", NULL},
  {"loadBalancerSourceRanges", NULL}, {"externalName", NULL},
  {"externalTrafficPolicy", NULL}, {"healthCheckNodePort", NULL},
  {"publishNotReadyAddresses", NULL}, {"sessionAffinityConfig", NULL},
  {"ipFamilies", NULL}, {"ipFamilyPolicy", NULL},
  {"allocateLoadBalancerNodePorts", NULL}, {"loadBalancerClass", NULL},
  {"internalTrafficPolicy", NULL}, {"trafficDistribution", NULL}, END};

/* ---- top levels ------------------------------------------------------ */
#define TOP_META {"apiVersion", NULL}, {"kind", NULL}, {"metadata", object_meta}
#define SPEC_STATUS(spec) TOP_META, {"spec", spec}, {"status", NULL}, END
static const sk_field top_plain[] = {SPEC_STATUS(NULL)};
static const sk_field top_pod[] = {SPEC_STATUS(pod_spec)};
static const sk_field top_service[] = {SPEC_STATUS(service_spec)};
static const sk_field top_deploy[] = {SPEC_STATUS(deploy_spec)};
static const sk_field top_rs[] = {SPEC_STATUS(rs_spec)};
static const sk_field top_sts[] = {SPEC_STATUS(sts_spec)};
static const sk_field top_ds[] = {SPEC_STATUS(ds_spec)};
static const sk_field top_job[] = {SPEC_STATUS(job_spec)};
static const sk_field top_cronjob[] = {SPEC_STATUS(cronjob_spec)};
static const sk_field top_configmap[] = {
  TOP_META, {"data", NULL}, {"binaryData", NULL}, {"immutable", NULL}, END};
static const sk_field top_secret[] = {
  TOP_META, {"data", NULL}, {"stringData", NULL}, {"type", NULL},
  {"immutable", NULL}, END};
static const sk_field top_sa[] = {
  TOP_META, {"secrets", NULL}, {"imagePullSecrets", NULL},
  {"automountServiceAccountToken", NULL}, END};
static const sk_field top_endpoints[] = {TOP_META, {"subsets", NULL}, END};
static const sk_field top_role[] = {TOP_META, {"rules", NULL}, END};
static const sk_field top_cluster_role[] = {
  TOP_META, {"rules", NULL}, {"aggregationRule", NULL}, END};
static const sk_field top_binding[] = {
  TOP_META, {"subjects", NULL}, {"roleRef", NULL}, END};
static const sk_field top_spec_only[] = {TOP_META, {"spec", NULL}, END};
static const sk_field top_storage_class[] = {
  TOP_META, {"provisioner", NULL}, {"parameters", NULL},
  {"reclaimPolicy", NULL}, {"mountOptions", NULL},
  {"allowVolumeExpansion", NULL}, {"volumeBindingMode", NULL},
  {"allowedTopologies", NULL}, END};
static const sk_field top_webhooks[] = {TOP_META, {"webhooks", NULL}, END};

static const struct {
  const char *group, *kind;
  const sk_field *fields;
} kinds[] = {
  {"", "Namespace", top_plain},
  {"", "ConfigMap", top_configmap},
  {"", "Secret", top_secret},
  {"", "Service", top_service},
  {"", "ServiceAccount", top_sa},
  {"", "Pod", top_pod},
  {"", "Endpoints", top_endpoints},
  {"", "PersistentVolumeClaim", top_plain},
  {"", "PersistentVolume", top_plain},
  {"", "Node", top_plain},
  {"apps", "Deployment", top_deploy},
  {"apps", "ReplicaSet", top_rs},
  {"apps", "StatefulSet", top_sts},
  {"apps", "DaemonSet", top_ds},
  {"batch", "Job", top_job},
  {"batch", "CronJob", top_cronjob},
  {"networking.k8s.io", "Ingress", top_plain},
  {"networking.k8s.io", "NetworkPolicy", top_plain},
  {"networking.k8s.io", "IngressClass", top_spec_only},
  {"rbac.authorization.k8s.io", "Role", top_role},
  {"rbac.authorization.k8s.io", "ClusterRole", top_cluster_role},
  {"rbac.authorization.k8s.io", "RoleBinding", top_binding},
  {"rbac.authorization.k8s.io", "ClusterRoleBinding", top_binding},
  {"policy", "PodDisruptionBudget", top_plain},
  {"autoscaling", "HorizontalPodAutoscaler", top_plain},
  {"storage.k8s.io", "StorageClass", top_storage_class},
  {"coordination.k8s.io", "Lease", top_spec_only},
  {"admissionregistration.k8s.io", "ValidatingWebhookConfiguration",
   top_webhooks},
  {"admissionregistration.k8s.io", "MutatingWebhookConfiguration",
   top_webhooks},
  {"apiextensions.k8s.io", "CustomResourceDefinition", top_plain},
};

static const sk_field *known(const sk_field *t, const char *key, size_t klen)
{
  for (; t->name; t++)
    if (strlen(t->name) == klen && memcmp(t->name, key, klen) == 0) return t;
  return NULL;
}

typedef struct {
  int prune;
  kd_buf *msg;
  int n;
} walk;

static int note(walk *w, const kd_buf *path)
{
  w->n++;
  return kd_buf_add(w->msg, path->data, path->len + 1);
}

static int check_obj(walk *w, const sk_field *t, kd_value *v, kd_buf *path);

static int check_value(walk *w, const sk_field *t, kd_value *v, kd_buf *path)
{
  size_t i, mark = path->len;
  int rc = KD_OK;
  if (v->type == KD_OBJ) return check_obj(w, t, v, path);
  if (v->type != KD_ARR) return KD_OK;
  for (i = 0; i < v->u.arr.len && !rc; i++) {
    if (v->u.arr.items[i].type != KD_OBJ) continue;
    if (kd_buf_printf(path, "[%zu]", i)) return KD_ENOMEM;
    rc = check_obj(w, t, &v->u.arr.items[i], path);
    path->len = mark;
    path->data[mark] = '\0';
  }
  return rc;
}

static int check_obj(walk *w, const sk_field *t, kd_value *v, kd_buf *path)
{
  size_t i = 0, mark = path->len;
  int rc = KD_OK;
  while (i < v->u.obj.len && !rc) {
    kd_member *m = &v->u.obj.m[i];
    const sk_field *f = known(t, m->key, m->klen);
    if ((mark && kd_buf_addc(path, '.')) || kd_buf_add(path, m->key, m->klen))
      return KD_ENOMEM;
    int removed = 0;
    if (!f) {
      rc = note(w, path);
      if (w->prune && !rc) {
        /* keep the others in their order: answers show them as they came */
        free(m->key);
        kd_value_clear(&m->val);
        memmove(m, m + 1, (v->u.obj.len - i - 1) * sizeof *m);
        v->u.obj.len--;
        removed = 1;
      }
    } else if (f->sub) {
      rc = check_value(w, f->sub, &m->val, path);
    }
    path->len = mark;
    if (path->data) path->data[mark] = '\0';
    if (!removed) i++;
  }
  return rc;
}

int sim_strict_unknown(const sim_resource *r, kd_value *obj, int prune,
                       kd_buf *paths)
{
  walk w = {prune, paths, 0};
  kd_buf path = {0};
  size_t i;
  int rc = KD_OK;
  if (r->crd || obj->type != KD_OBJ) return 0;
  for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (strcmp(kinds[i].group, r->group) == 0 &&
        strcmp(kinds[i].kind, r->kind) == 0)
      break;
  if (i == sizeof kinds / sizeof kinds[0]) return 0;
  rc = check_obj(&w, kinds[i].fields, obj, &path);
  kd_buf_free(&path);
  return rc ? rc : w.n;
}

/* ---- the fieldValidation parameter ----------------------------------- */

int sim_field_validation(sim *s, sim_conn *c, const sim_req *req,
                         const char *options, int *mode)
{
  char *v = sim_query_get(req->query, "fieldValidation");
  int rc = 0;
  *mode = SIM_FV_WARN; /* the default since 1.27 */
  if (!v || !v[0] || strcmp(v, "Warn") == 0) {
  } else if (strcmp(v, "Strict") == 0) {
    *mode = SIM_FV_STRICT;
  } else if (strcmp(v, "Ignore") == 0) {
    *mode = SIM_FV_IGNORE;
  } else {
    kd_buf m = {0};
    if (kd_buf_printf(&m, "%s.meta.k8s.io \"\" is invalid: fieldValidation: "
                      "Unsupported value: \"%s\": supported values: "
                      "\"Ignore\", \"Strict\", \"Warn\"", options, v))
      sim_send_status(s, c, 500, "InternalError", "out of memory", NULL);
    else
      sim_send_status(s, c, 422, "Invalid", m.data, NULL);
    kd_buf_free(&m);
    rc = 1;
  }
  free(v);
  return rc;
}

/* One Warning header line; the path is quoted as Go quotes it and control
 * bytes never reach the header. */
static int warn_line(kd_buf *h, const char *path)
{
  int rc = kd_buf_adds(h, "Warning: 299 - \"unknown field \\\"");
  for (; *path && !rc; path++) {
    unsigned char ch = (unsigned char)*path;
    if (ch == '"' || ch == '\\') rc = kd_buf_printf(h, "\\\\\\%c", ch);
    else if (ch < 0x20 || ch == 0x7f) rc = kd_buf_printf(h, "\\\\x%02x", ch);
    else rc = kd_buf_addc(h, (char)ch);
  }
  return rc ? rc : kd_buf_adds(h, "\\\"\"\r\n");
}

static int strict_message(const sim_resource *r, const kd_value *obj,
                          const kd_buf *paths, int n, int apply, kd_buf *m)
{
  const char *p = paths->data;
  int i, rc;
  if (apply) {
    const char *ns = sim_str(obj, "metadata.namespace");
    const char *name = sim_str(obj, "metadata.name");
    rc = kd_buf_printf(m, "failed to create typed patch object (%s/%s, "
                       "Kind=%s) %s/%s: %s", r->group, r->version, r->kind,
                       ns ? ns : "", name ? name : "", n > 1 ? "errors:" : "");
  } else {
    rc = kd_buf_printf(m, "%s in version \"%s\" cannot be handled as a %s: "
                       "strict decoding error: ", r->kind, r->version,
                       r->kind);
  }
  for (i = 0; i < n && !rc; i++, p += strlen(p) + 1) {
    if (apply)
      rc = kd_buf_printf(m, "%s.%s: field not declared in schema",
                         n > 1 ? "\n  " : "", p);
    else
      rc = kd_buf_printf(m, "%sunknown field \"%s\"", i ? ", " : "", p);
  }
  return rc;
}

/* Strict's answer to a merge, JSON or strategic patch, as kube's patch
 * handler words it: 422 Invalid of an empty kind and name with one cause
 * on field "patch", whose value is the strategic patch SMP as Go's %v or,
 * SMP NULL, the patched object OBJ as JSON, and whose detail is the strict
 * decoding error. */
static void patch_invalid(sim *s, sim_conn *c, const kd_value *obj,
                          const kd_value *smp, const kd_buf *paths, int n)
{
  kd_buf value = {0}, body = {0}, m = {0};
  kd_value det, *arr = NULL, *cause;
  const char *p = paths->data;
  int i, rc;
  kd_value_obj(&det);
  rc = smp ? sim_go_value(smp, &value)
           : json_encode(obj, JSON_SORT_KEYS | JSON_ESCAPE_HTML, &value, NULL);
  if (!rc) rc = kd_buf_adds(&body, "Invalid value: ");
  if (!rc) rc = sim_go_quote(value.data ? value.data : "", value.len, &body);
  if (!rc) rc = kd_buf_adds(&body, ": strict decoding error: ");
  for (i = 0; i < n && !rc; i++, p += strlen(p) + 1)
    rc = kd_buf_printf(&body, "%sunknown field \"%s\"", i ? ", " : "", p);
  if (!rc) rc = kd_buf_printf(&m, " \"\" is invalid: patch: %s", body.data);
  if (!rc) arr = kd_obj_add(&det, "causes", 6);
  if (arr) {
    kd_value_arr(arr);
    if ((cause = kd_arr_push(arr)) != NULL) {
      kd_value_obj(cause);
      sim_set_str(cause, "reason", "FieldValueInvalid");
      sim_set_str(cause, "message", body.data);
      sim_set_str(cause, "field", "patch");
    }
  }
  if (!arr)
    sim_send_status(s, c, 500, "InternalError", "out of memory", NULL);
  else
    sim_send_status(s, c, 422, "Invalid", m.data, &det);
  kd_value_clear(&det);
  kd_buf_free(&value);
  kd_buf_free(&body);
  kd_buf_free(&m);
}

static int unknown_fields(sim *s, sim_conn *c, const sim_resource *r,
                          kd_value *obj, int mode, int apply, int patched,
                          const kd_value *smp);

int sim_unknown_fields(sim *s, sim_conn *c, const sim_resource *r,
                       kd_value *obj, int mode, int apply)
{
  return unknown_fields(s, c, r, obj, mode, apply, 0, NULL);
}

int sim_unknown_fields_patch(sim *s, sim_conn *c, const sim_resource *r,
                             kd_value *obj, int mode, const kd_value *smp)
{
  return unknown_fields(s, c, r, obj, mode, 0, 1, smp);
}

static int unknown_fields(sim *s, sim_conn *c, const sim_resource *r,
                          kd_value *obj, int mode, int apply, int patched,
                          const kd_value *smp)
{
  kd_buf paths = {0}, m = {0};
  const char *p;
  int i, rc, n = sim_strict_unknown(r, obj, mode != SIM_FV_STRICT, &paths);
  if (n <= 0) {
    kd_buf_free(&paths);
    if (n == 0) return 0;
    sim_send_status(s, c, 500, "InternalError", "out of memory", NULL);
    return 1;
  }
  if (mode == SIM_FV_STRICT && patched) {
    patch_invalid(s, c, obj, smp, &paths, n);
    kd_buf_free(&paths);
    return 1;
  }
  if (mode == SIM_FV_STRICT) {
    rc = strict_message(r, obj, &paths, n, apply, &m);
    kd_buf_free(&paths);
    if (rc) sim_send_status(s, c, 500, "InternalError", "out of memory", NULL);
    else sim_send_status(s, c, 400, "BadRequest", m.data, NULL);
    kd_buf_free(&m);
    return 1;
  }
  rc = KD_OK;
  for (i = 0, p = paths.data; mode == SIM_FV_WARN && i < n && !rc;
       i++, p += strlen(p) + 1)
    rc = warn_line(&s->warnings, p);
  kd_buf_free(&paths);
  if (rc) kd_buf_free(&s->warnings);
  return 0;
}
