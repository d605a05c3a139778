/* engine/sim/sim_strict.c: unknown fields of the built-in kinds, as the
 * real server finds them when it decodes a request body into the Go types
 * (fieldValidation=Strict rejects them, Warn drops them with a Warning
 * header, Ignore drops them silently).
 *
 * The tables below list every field of the Kubernetes 1.33 Go structs they
 * describe; a field with a NULL sub-table is known but not looked into (its
 * own fields are not checked). Kinds and structs not listed are not
 * checked at all: the sim is never stricter than kube, only sometimes more
 * lenient.
 *
 * For server-side apply the same walk is kube's typed converter
 * (ObjectToTyped of the applied configuration): unknown fields are
 * errors under every fieldValidation, the scalar types the tables give
 * are checked, errors name list items by their keys (from the
 * apply schema of sim_schema.c, as x-kubernetes-list-map-keys do), and
 * the answer is the field manager's "failed to create typed patch object"
 * error. */
#include "sim_int.h"
#include "sim_patch_int.h"
#include "sim_strict_int.h"

#include "json.h"

#include <stdlib.h>
#include <string.h>

#define END {NULL, NULL, 0}
#define S(n) {n, NULL, 's'}
#define N(n) {n, NULL, 'n'}
#define N64(n) {n, NULL, 'N'}
#define MY(n) {n, NULL, 'y'}
#define B(n) {n, NULL, 'b'}
#define MS(n) {n, NULL, 'm'}
#define LS(n) {n, NULL, 'l'}
#define U(n) {n, NULL, 'u'}

/* ---- shared structs -------------------------------------------------- */
static const sk_field owner_ref[] = {
  S("apiVersion"), S("kind"), S("name"), S("uid"), B("controller"),
  B("blockOwnerDeletion"), END};
static const sk_field object_meta[] = {
  S("name"), S("generateName"), S("namespace"), S("selfLink"), S("uid"),
  S("resourceVersion"), N64("generation"), U("creationTimestamp"),
  U("deletionTimestamp"), N64("deletionGracePeriodSeconds"),
  MS("labels"), MS("annotations"), {"ownerReferences", owner_ref, 'L'},
  LS("finalizers"), {"managedFields", NULL, 0}, END};
static const sk_field label_selector[] = {
  MS("matchLabels"), {"matchExpressions", NULL, 0}, END};

/* ---- core/v1 pods ---------------------------------------------------- */
static const sk_field container_port[] = {
  S("name"), N("hostPort"), N("containerPort"), S("protocol"), S("hostIP"),
  END};
static const sk_field env_var[] = {
  S("name"), S("value"), {"valueFrom", NULL, 0}, END};
static const sk_field resources[] = {
  {"limits", NULL, 0}, {"requests", NULL, 0}, {"claims", NULL, 0}, END};
static const sk_field volume_mount[] = {
  S("name"), B("readOnly"), S("recursiveReadOnly"), S("mountPath"),
  S("subPath"), S("mountPropagation"), S("subPathExpr"), END};
static const sk_field container[] = {
  S("name"), S("image"), LS("command"), LS("args"), S("workingDir"),
  {"ports", container_port, 'L'}, {"envFrom", NULL, 0}, {"env", env_var, 'L'},
  {"resources", resources, 0}, {"resizePolicy", NULL, 0},
  S("restartPolicy"), {"volumeMounts", volume_mount, 'L'},
  {"volumeDevices", NULL, 0}, {"livenessProbe", NULL, 0},
  {"readinessProbe", NULL, 0}, {"startupProbe", NULL, 0},
  {"lifecycle", NULL, 0}, S("terminationMessagePath"),
  S("terminationMessagePolicy"), S("imagePullPolicy"),
  {"securityContext", NULL, 0}, B("stdin"), B("stdinOnce"), B("tty"), END};
static const sk_field pod_spec[] = {
  {"volumes", NULL, 0}, {"initContainers", container, 'L'},
  {"containers", container, 'L'}, {"ephemeralContainers", NULL, 0},
  S("restartPolicy"), N64("terminationGracePeriodSeconds"),
  N64("activeDeadlineSeconds"), S("dnsPolicy"), MS("nodeSelector"),
  S("serviceAccountName"), S("serviceAccount"),
  B("automountServiceAccountToken"), S("nodeName"), B("hostNetwork"),
  B("hostPID"), B("hostIPC"), B("shareProcessNamespace"),
  {"securityContext", NULL, 0}, {"imagePullSecrets", NULL, 0},
  S("hostname"), S("subdomain"), {"affinity", NULL, 0}, S("schedulerName"),
  {"tolerations", NULL, 0}, {"hostAliases", NULL, 0},
  S("priorityClassName"), N("priority"), {"dnsConfig", NULL, 0},
  {"readinessGates", NULL, 0}, S("runtimeClassName"),
  B("enableServiceLinks"), S("preemptionPolicy"), {"overhead", NULL, 0},
  {"topologySpreadConstraints", NULL, 0}, B("setHostnameAsFQDN"),
  {"os", NULL, 0}, B("hostUsers"), {"schedulingGates", NULL, 0},
  {"resourceClaims", NULL, 0}, {"resources", resources, 0}, END};
static const sk_field pod_template[] = {
  {"metadata", object_meta, 0}, {"spec", pod_spec, 0}, END};

/* ---- workloads ------------------------------------------------------- */
static const sk_field rolling_update[] = {
  U("maxUnavailable"), U("maxSurge"), END};
static const sk_field deploy_strategy[] = {
  S("type"), {"rollingUpdate", rolling_update, 0}, END};
static const sk_field deploy_spec[] = {
  N("replicas"), {"selector", label_selector, 0},
  {"template", pod_template, 0}, {"strategy", deploy_strategy, 0},
  N("minReadySeconds"), N("revisionHistoryLimit"), B("paused"),
  N("progressDeadlineSeconds"), END};
static const sk_field rs_spec[] = {
  N("replicas"), N("minReadySeconds"), {"selector", label_selector, 0},
  {"template", pod_template, 0}, END};
static const sk_field sts_spec[] = {
  N("replicas"), {"selector", label_selector, 0},
  {"template", pod_template, 0}, {"volumeClaimTemplates", NULL, 0},
  S("serviceName"), S("podManagementPolicy"), {"updateStrategy", NULL, 0},
  N("revisionHistoryLimit"), N("minReadySeconds"),
  {"persistentVolumeClaimRetentionPolicy", NULL, 0}, {"ordinals", NULL, 0},
  END};
static const sk_field ds_spec[] = {
  {"selector", label_selector, 0}, {"template", pod_template, 0},
  {"updateStrategy", NULL, 0}, N("minReadySeconds"),
  N("revisionHistoryLimit"), END};
static const sk_field job_spec[] = {
  N("parallelism"), N("completions"), N64("activeDeadlineSeconds"),
  {"podFailurePolicy", NULL, 0}, {"successPolicy", NULL, 0},
  N("backoffLimit"), N("backoffLimitPerIndex"), N("maxFailedIndexes"),
  {"selector", label_selector, 0}, B("manualSelector"),
  {"template", pod_template, 0}, N("ttlSecondsAfterFinished"),
  S("completionMode"), B("suspend"), S("podReplacementPolicy"),
  S("managedBy"), END};
static const sk_field job_template[] = {
  {"metadata", object_meta, 0}, {"spec", job_spec, 0}, END};
static const sk_field cronjob_spec[] = {
  S("schedule"), S("timeZone"), N64("startingDeadlineSeconds"),
  S("concurrencyPolicy"), B("suspend"), {"jobTemplate", job_template, 0},
  N("successfulJobsHistoryLimit"), N("failedJobsHistoryLimit"), END};

/* ---- services -------------------------------------------------------- */
static const sk_field service_port[] = {
  S("name"), S("protocol"), S("appProtocol"), N("port"),
  U("targetPort"), N("nodePort"), END};
static const sk_field service_spec[] = {
  {"ports", service_port, 'L'}, MS("selector"), S("clusterIP"),
  LS("clusterIPs"), S("type"), LS("externalIPs"), S("sessionAffinity"),
  S("loadBalancerIP"), LS("loadBalancerSourceRanges"), S("externalName"),
  S("externalTrafficPolicy"), N("healthCheckNodePort"),
  B("publishNotReadyAddresses"), {"sessionAffinityConfig", NULL, 0},
  LS("ipFamilies"), S("ipFamilyPolicy"),
  B("allocateLoadBalancerNodePorts"), S("loadBalancerClass"),
  S("internalTrafficPolicy"), S("trafficDistribution"), END};

/* ---- top levels ------------------------------------------------------ */
#define TOP_META S("apiVersion"), S("kind"), {"metadata", object_meta, 0}
#define SPEC_STATUS(spec) TOP_META, {"spec", spec, 0}, {"status", NULL, 0}, END
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
  TOP_META, MS("data"), MY("binaryData"), B("immutable"), END};
static const sk_field top_secret[] = {
  TOP_META, MY("data"), MS("stringData"), S("type"), B("immutable"),
  END};
static const sk_field top_sa[] = {
  TOP_META, {"secrets", NULL, 0}, {"imagePullSecrets", NULL, 0},
  B("automountServiceAccountToken"), END};
static const sk_field top_endpoints[] = {TOP_META, {"subsets", NULL, 0},
                                         END};
static const sk_field top_role[] = {TOP_META, {"rules", NULL, 0}, END};
static const sk_field top_cluster_role[] = {
  TOP_META, {"rules", NULL, 0}, {"aggregationRule", NULL, 0}, END};
static const sk_field top_binding[] = {
  TOP_META, {"subjects", NULL, 0}, {"roleRef", NULL, 0}, END};
static const sk_field top_spec_only[] = {TOP_META, {"spec", NULL, 0}, END};
static const sk_field top_storage_class[] = {
  TOP_META, S("provisioner"), MS("parameters"), S("reclaimPolicy"),
  LS("mountOptions"), B("allowVolumeExpansion"), S("volumeBindingMode"),
  {"allowedTopologies", NULL, 0}, END};
static const sk_field top_webhooks[] = {TOP_META, {"webhooks", NULL, 0},
                                        END};

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

static const sk_field *kind_fields(const sim_resource *r);

static const sk_field *known(const sk_field *t, const char *key, size_t klen)
{
  for (; t->name; t++)
    if (strlen(t->name) == klen && memcmp(t->name, key, klen) == 0) return t;
  return NULL;
}

typedef struct {
  int prune;
  kd_buf *msg;      /* unknown fields: NUL-separated paths "spec.x[0].y" */
  int n;
  kd_buf *errs;     /* apply: NUL-separated ".spec.x[name=\"c\"].y: why" */
  int nerrs;
} walk;

/* The two spellings of the path being walked: the decoder's (field
 * names, list indices) and, for apply, the typed converter's (leading
 * dots, list items by their keys). */
typedef struct {
  kd_buf plain, typed;
} walk_paths;

static int note(walk *w, const kd_buf *path)
{
  w->n++;
  return kd_buf_add(w->msg, path->data, path->len + 1);
}

/* One error of the typed converter at the path being walked. */
static int type_error(walk *w, const walk_paths *p, const char *fmt,
                      const kd_buf *what)
{
  int rc = kd_buf_printf(w->errs, "%s: ", p->typed.data ? p->typed.data : "");
  if (!rc) rc = kd_buf_printf(w->errs, fmt, what && what->data ? what->data
                                                              : "");
  if (!rc) rc = kd_buf_addc(w->errs, '\0');
  w->nerrs++;
  return rc;
}

static void cut(walk_paths *p, size_t plain, size_t typed)
{
  p->plain.len = plain;
  if (p->plain.data) p->plain.data[plain] = '\0';
  p->typed.len = typed;
  if (p->typed.data) p->typed.data[typed] = '\0';
}

/* %T of the decoded value, as the numeric check prints it */
static const char *go_type(const kd_value *v)
{
  switch (v->type) {
  case KD_STR: return "string";
  case KD_BOOL: return "bool";
  case KD_OBJ: return "map[string]interface {}";
  case KD_ARR: return "[]interface {}";
  case KD_INT: return "int64";
  default: return "float64";
  }
}

/* structured-merge-diff's validateScalar for a value V (not null) that
 * the schema types TYPE ('s', 'n', 'b' or 'u'). */
static int check_scalar(walk *w, const walk_paths *p, char type, const kd_value *v)
{
  kd_buf b = {0};
  int rc = KD_OK;
  if ((type == 'n' || type == 'N') && v->type != KD_INT &&
      v->type != KD_FLOAT) {
    if (kd_buf_adds(&b, go_type(v))) return KD_ENOMEM;
    rc = type_error(w, p, "expected numeric (int or float), got %s", &b);
  } else if (type == 's' && v->type != KD_STR) {
    if (sim_go_value_sharp(v, &b)) return KD_ENOMEM;
    rc = type_error(w, p, "expected string, got "
                    "&value.valueUnstructured{Value:%s}", &b);
  } else if (type == 'b' && v->type != KD_BOOL) {
    if (sim_go_value(v, &b)) return KD_ENOMEM;
    rc = type_error(w, p, "expected boolean, got &{%s}", &b);
  } else if (type == 'u' && (v->type == KD_OBJ || v->type == KD_ARR)) {
    if (sim_go_value(v, &b)) return KD_ENOMEM;
    rc = type_error(w, p, "expected any scalar, got &{%s}", &b);
  }
  kd_buf_free(&b);
  return rc;
}

/* A map of strings ('m') or a list of strings ('l') typed ST. */
static int check_strings(walk *w, const sim_schema *st, char type,
                         const kd_value *v, walk_paths *p)
{
  size_t i, pm = p->plain.len, tm = p->typed.len;
  int rc = KD_OK;
  if (v->type != (type == 'm' ? KD_OBJ : KD_ARR)) {
    kd_buf b = {0};
    if (sim_go_value(v, &b)) return KD_ENOMEM;
    rc = type_error(w, p, type == 'm' ? "expected map, got &{%s}"
                                      : "expected list, got &{%s}", &b);
    kd_buf_free(&b);
    return rc;
  }
  for (i = 0; !rc && i < (type == 'm' ? v->u.obj.len : v->u.arr.len); i++) {
    const kd_value *e = type == 'm' ? &v->u.obj.m[i].val : &v->u.arr.items[i];
    if (e->type == KD_NULL) continue;
    if (type == 'm')
      rc = kd_buf_addc(&p->typed, '.') ||
           kd_buf_add(&p->typed, v->u.obj.m[i].key, v->u.obj.m[i].klen);
    else
      rc = sim_fields_item_path(st, e, i, &p->typed);
    if (rc) return KD_ENOMEM;
    rc = check_scalar(w, p, 's', e);
    cut(p, pm, tm);
  }
  return rc;
}

static int check_obj(walk *w, const sk_field *t, const sim_schema *st,
                     kd_value *v, walk_paths *p);

static int check_value(walk *w, const sk_field *t, const sim_schema *st,
                       kd_value *v, walk_paths *p)
{
  size_t i, pm = p->plain.len, tm = p->typed.len;
  int rc = KD_OK;
  if (v->type == KD_OBJ) return check_obj(w, t, st, v, p);
  if (v->type != KD_ARR) return KD_OK;
  for (i = 0; i < v->u.arr.len && !rc; i++) {
    kd_value *item = &v->u.arr.items[i];
    if (item->type != KD_OBJ) continue;
    if (kd_buf_printf(&p->plain, "[%zu]", i) ||
        (w->errs && sim_fields_item_path(st, item, i, &p->typed)))
      return KD_ENOMEM;
    rc = check_obj(w, t, sim_schema_elem(st), item, p);
    cut(p, pm, tm);
  }
  return rc;
}

static int check_obj(walk *w, const sk_field *t, const sim_schema *st,
                     kd_value *v, walk_paths *p)
{
  size_t i = 0, pm = p->plain.len, tm = p->typed.len;
  int rc = KD_OK;
  while (i < v->u.obj.len && !rc) {
    kd_member *m = &v->u.obj.m[i];
    const sk_field *f = known(t, m->key, m->klen);
    const sim_schema *ct = sim_schema_child(st, m->key, m->klen, NULL);
    int removed = 0;
    if ((pm && kd_buf_addc(&p->plain, '.')) ||
        kd_buf_add(&p->plain, m->key, m->klen) ||
        (w->errs && (kd_buf_addc(&p->typed, '.') ||
                     kd_buf_add(&p->typed, m->key, m->klen))))
      return KD_ENOMEM;
    if (!f) {
      rc = note(w, &p->plain);
      if (!rc && w->errs)
        rc = type_error(w, p, "field not declared in schema", NULL);
      if (w->prune && !rc) {
        /* keep the others in their order: answers show them as they came */
        free(m->key);
        kd_value_clear(&m->val);
        memmove(m, m + 1, (v->u.obj.len - i - 1) * sizeof *m);
        v->u.obj.len--;
        removed = 1;
      }
    } else if (f->sub) {
      rc = check_value(w, f->sub, ct, &m->val, p);
    } else if (w->errs && f->type && m->val.type != KD_NULL) {
      /* a map of bytes is a map of (base64) strings to the typed converter */
      rc = f->type == 'm' || f->type == 'y' || f->type == 'l'
               ? check_strings(w, ct, f->type == 'l' ? 'l' : 'm', &m->val, p)
               : check_scalar(w, p, f->type, &m->val);
    }
    cut(p, pm, tm);
    if (!removed) i++;
  }
  return rc;
}

/* the Go names of the structs the tables describe, for the decoder's
 * "Go struct field DeploymentSpec.spec.replicas" */
static const struct {
  const sk_field *t;
  const char *go;
} struct_names[] = {
  {owner_ref, "OwnerReference"}, {object_meta, "ObjectMeta"},
  {label_selector, "LabelSelector"}, {container_port, "ContainerPort"},
  {env_var, "EnvVar"}, {resources, "ResourceRequirements"},
  {volume_mount, "VolumeMount"}, {container, "Container"},
  {pod_spec, "PodSpec"}, {pod_template, "PodTemplateSpec"},
  {rolling_update, "RollingUpdateDeployment"},
  {deploy_strategy, "DeploymentStrategy"}, {deploy_spec, "DeploymentSpec"},
  {rs_spec, "ReplicaSetSpec"}, {sts_spec, "StatefulSetSpec"},
  {ds_spec, "DaemonSetSpec"}, {job_spec, "JobSpec"},
  {job_template, "JobTemplateSpec"}, {cronjob_spec, "CronJobSpec"},
  {service_port, "ServicePort"}, {service_spec, "ServiceSpec"},
};

const char *sim_strict_struct(const sk_field *t)
{
  size_t i;
  for (i = 0; i < sizeof struct_names / sizeof struct_names[0]; i++)
    if (struct_names[i].t == t) return struct_names[i].go;
  return NULL;
}

const sk_field *sim_strict_fields(const sim_resource *r)
{
  return r->crd ? NULL : kind_fields(r);
}

static const sk_field *kind_fields(const sim_resource *r)
{
  size_t i;
  for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (strcmp(kinds[i].group, r->group) == 0 &&
        strcmp(kinds[i].kind, r->kind) == 0)
      return kinds[i].fields;
  return NULL;
}

/* The walk of OBJ: unknown fields into PATHS and, ERRS not NULL (apply),
 * the typed converter's errors into ERRS. Returns the number of unknown
 * fields or KD_ENOMEM. */
static int strict_walk(const sim_resource *r, kd_value *obj, int prune,
                       kd_buf *unknown, kd_buf *errs, int *nerrs)
{
  walk w = {prune, unknown, 0, errs, 0};
  walk_paths p = {{0}, {0}};
  const sk_field *t;
  const sim_schema *st = NULL;
  char av[256];
  int rc;
  if (nerrs) *nerrs = 0;
  if (r->crd || obj->type != KD_OBJ || !(t = kind_fields(r))) return 0;
  if (errs) {
    snprintf(av, sizeof av, "%s%s%s", r->group, r->group[0] ? "/" : "",
             r->version);
    st = sim_schema_root(av, r->kind, 0);
  }
  rc = check_obj(&w, t, st, obj, &p);
  kd_buf_free(&p.plain);
  kd_buf_free(&p.typed);
  if (nerrs) *nerrs = w.nerrs;
  return rc ? rc : w.n;
}

int sim_strict_unknown(const sim_resource *r, kd_value *obj, int prune,
                       kd_buf *paths)
{
  return strict_walk(r, obj, prune, paths, NULL, NULL);
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

/* The decoder's strict error of a create or update. */
static int strict_message(const sim_resource *r, const kd_buf *paths, int n,
                          kd_buf *m)
{
  const char *p = paths->data;
  int i, rc;
  rc = kd_buf_printf(m, "%s in version \"%s\" cannot be handled as a %s: "
                     "strict decoding error: ", r->kind, r->version, r->kind);
  for (i = 0; i < n && !rc; i++, p += strlen(p) + 1)
    rc = kd_buf_printf(m, "%sunknown field \"%s\"", i ? ", " : "", p);
  return rc;
}

/* The field manager's error when the applied configuration does not fit
 * the kind's schema (ObjectToTyped of the patch): "failed to create typed
 * patch object (NS/NAME; GROUP/VERSION, Kind=KIND): " and the typed
 * converter's ValidationErrors, one, or "errors:" and one per line. */
static int typed_message(const sim_resource *r, const kd_value *obj,
                         const kd_buf *errs, int n, kd_buf *m)
{
  const char *ns = sim_str(obj, "metadata.namespace");
  const char *name = sim_str(obj, "metadata.name");
  const char *e = errs->data;
  int i, rc;
  rc = kd_buf_printf(m, "failed to create typed patch object (%s/%s; %s/%s, "
                     "Kind=%s): %s", ns ? ns : "", name ? name : "", r->group,
                     r->version, r->kind, n > 1 ? "errors:" : "");
  for (i = 0; i < n && !rc; i++, e += strlen(e) + 1)
    rc = kd_buf_printf(m, "%s%s", n > 1 ? "\n  " : "", e);
  return rc;
}

/* The answer of kube's patch handler when the patched object does not
 * decode: 422 Invalid of an empty kind and name with one cause on field
 * "patch", whose value is the strategic patch SMP as Go's %v or, SMP NULL,
 * the patched object OBJ as JSON, and whose detail is DETAIL (the
 * decoder's or converter's error). */
static void patch_invalid(sim *s, sim_conn *c, const kd_value *obj,
                          const kd_value *smp, const char *detail)
{
  kd_buf value = {0}, body = {0}, m = {0};
  kd_value det, *arr = NULL, *cause;
  int rc;
  kd_value_obj(&det);
  rc = smp ? sim_go_value(smp, &value)
           : json_encode(obj, JSON_SORT_KEYS | JSON_ESCAPE_HTML, &value, NULL);
  if (!rc) rc = kd_buf_adds(&body, "Invalid value: ");
  if (!rc) rc = sim_go_quote(value.data ? value.data : "", value.len, &body);
  if (!rc) rc = kd_buf_printf(&body, ": %s", detail);
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

/* A value its Go field cannot hold: before unknown fields under every
 * fieldValidation, as kube's decoders fail before they list those (a
 * create or update answers 400 BadRequest, a patch 422 Invalid). Returns
 * 1 when answered. */
static int type_mismatch(sim *s, sim_conn *c, const sim_resource *r,
                         kd_value *obj, int patched, const kd_value *smp)
{
  kd_buf d = {0}, m = {0};
  int rc = sim_type_error(r, obj, patched && smp, &d);
  if (rc == 1 && patched) {
    patch_invalid(s, c, obj, smp, d.data);
  } else if (rc == 1) {
    if (kd_buf_printf(&m, "%s in version \"%s\" cannot be handled as a %s: "
                      "%s", r->kind, r->version, r->kind, d.data))
      rc = KD_ENOMEM;
    else
      sim_send_status(s, c, 400, "BadRequest", m.data, NULL);
  }
  if (rc < 0) sim_send_status(s, c, 500, "InternalError", "out of memory",
                              NULL);
  kd_buf_free(&d);
  kd_buf_free(&m);
  return rc != 0;
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
  kd_buf paths = {0}, m = {0}, errs = {0};
  const char *p;
  int i, rc, nerrs = 0, n;
  if (!apply && type_mismatch(s, c, r, obj, patched, smp)) return 1;
  /* apply: unknown fields are errors of the typed converter whatever
   * fieldValidation says ("Apply Patch requests already require strict
   * schemas", kubernetes/kubernetes#105916) */
  n = strict_walk(r, obj, !apply && mode != SIM_FV_STRICT, &paths,
                      apply ? &errs : NULL, &nerrs);
  if (n < 0) {
    kd_buf_free(&paths);
    kd_buf_free(&errs);
    sim_send_status(s, c, 500, "InternalError", "out of memory", NULL);
    return 1;
  }
  if (nerrs) {
    /* kube returns the field manager's plain error: a 500 without a
     * reason (kubernetes/kubernetes#118476 asks for a better code) */
    kd_buf_free(&paths);
    rc = typed_message(r, obj, &errs, nerrs, &m);
    kd_buf_free(&errs);
    if (rc) sim_send_status(s, c, 500, "InternalError", "out of memory", NULL);
    else sim_send_status(s, c, 500, "", m.data, NULL);
    kd_buf_free(&m);
    return 1;
  }
  kd_buf_free(&errs);
  if (n == 0) {
    kd_buf_free(&paths);
    return 0;
  }
  if (mode == SIM_FV_STRICT && patched) {
    rc = kd_buf_adds(&m, "strict decoding error: ");
    for (i = 0, p = paths.data; i < n && !rc; i++, p += strlen(p) + 1)
      rc = kd_buf_printf(&m, "%sunknown field \"%s\"", i ? ", " : "", p);
    if (rc) sim_send_status(s, c, 500, "InternalError", "out of memory", NULL);
    else patch_invalid(s, c, obj, smp, m.data);
    kd_buf_free(&paths);
    kd_buf_free(&m);
    return 1;
  }
  if (mode == SIM_FV_STRICT) {
    rc = strict_message(r, &paths, n, &m);
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
