/* engine/sim/sim_schema.c: the schema table of the built-in kinds the sim
 * serves, as strategic merge patch (patchStrategy/patchMergeKey tags) and
 * server-side apply (listType/listMapKeys, mapType/structType=atomic,
 * non-pointer structs) see the Kubernetes 1.33 Go types. Only what differs
 * from the default is listed: unlisted object fields are structs, unlisted
 * lists are atomic (SMP: replaced), scalars are leaves. */
#include "sim_patch_int.h"

#include <stdlib.h>
#include <string.h>

#define END {NULL, NULL, 0}

/* ---- shared pieces -------------------------------------------------- */
static const sim_schema atomic = {.kind = SCH_ATOMIC};
static const sim_schema granular_map = {.kind = SCH_MAP};
static const sim_schema label_selector = {.kind = SCH_ATOMIC};
/* PodDisruptionBudgetSpec.selector: patchStrategy "replace" as well */
static const sim_schema replace_selector = {.kind = SCH_ATOMIC,
                                            .smp = SMP_REPLACE};

/* metav1.Condition and the per-kind condition types: merged by type */
static const sim_schema conditions = {
  .kind = SCH_LIST, .smp = SMP_MERGE, .merge_key = "type",
  .ssa = SSA_MAP, .keys = {"type"}};
/* batch/v1 JobStatus.conditions: merge by type for SMP, atomic for SSA */
static const sim_schema job_conditions = {
  .kind = SCH_LIST, .smp = SMP_MERGE, .merge_key = "type",
  .ssa = SSA_ATOMIC};

static const sim_schema owner_refs = {
  .kind = SCH_LIST, .elem = &atomic, .smp = SMP_MERGE, .merge_key = "uid",
  .ssa = SSA_MAP, .keys = {"uid"}};
static const sim_schema finalizers = {.kind = SCH_LIST, .smp = SMP_MERGE,
                                      .ssa = SSA_SET};
static const sim_schema_field meta_fields[] = {
  {"labels", &granular_map, 0},
  {"annotations", &granular_map, 0},
  {"finalizers", &finalizers, 0},
  {"ownerReferences", &owner_refs, 0},
  END};
static const sim_schema object_meta = {.kind = SCH_STRUCT,
                                       .fields = meta_fields};

/* ---- core/v1 pod template ------------------------------------------- */
static const sim_schema_field env_source_fields[] = {
  {"configMapKeyRef", &atomic, 0},
  {"secretKeyRef", &atomic, 0},
  {"fieldRef", &atomic, 0},
  {"resourceFieldRef", &atomic, 0},
  {"fileKeyRef", &atomic, 0},
  END};
static const sim_schema env_source = {.kind = SCH_STRUCT,
                                      .fields = env_source_fields};
static const sim_schema_field env_var_fields[] = {
  {"valueFrom", &env_source, 0}, END};
static const sim_schema env_var = {.kind = SCH_STRUCT,
                                   .fields = env_var_fields};
static const sim_schema env_list = {
  .kind = SCH_LIST, .elem = &env_var, .smp = SMP_MERGE, .merge_key = "name",
  .ssa = SSA_MAP, .keys = {"name"}};
static const sim_schema container_ports = {
  .kind = SCH_LIST, .smp = SMP_MERGE, .merge_key = "containerPort",
  .ssa = SSA_MAP, .keys = {"containerPort", "protocol"},
  .key_default = {NULL, "TCP"}};
static const sim_schema volume_mounts = {
  .kind = SCH_LIST, .smp = SMP_MERGE, .merge_key = "mountPath",
  .ssa = SSA_MAP, .keys = {"mountPath"}};
static const sim_schema volume_devices = {
  .kind = SCH_LIST, .smp = SMP_MERGE, .merge_key = "devicePath",
  .ssa = SSA_MAP, .keys = {"devicePath"}};
static const sim_schema by_name_ssa = {.kind = SCH_LIST, .ssa = SSA_MAP,
                                       .keys = {"name"}};
static const sim_schema_field resources_fields[] = {
  {"limits", &granular_map, 0},
  {"requests", &granular_map, 0},
  {"claims", &by_name_ssa, 0},
  END};
static const sim_schema resources = {.kind = SCH_STRUCT,
                                     .fields = resources_fields};
static const sim_schema_field container_fields[] = {
  {"env", &env_list, 0},
  {"ports", &container_ports, 0},
  {"volumeMounts", &volume_mounts, 0},
  {"volumeDevices", &volume_devices, 0},
  {"resources", &resources, 1},
  END};
static const sim_schema container = {.kind = SCH_STRUCT,
                                     .fields = container_fields};
static const sim_schema containers = {
  .kind = SCH_LIST, .elem = &container, .smp = SMP_MERGE,
  .merge_key = "name", .ssa = SSA_MAP, .keys = {"name"}};

/* merge by name for both */
static const sim_schema by_name = {
  .kind = SCH_LIST, .smp = SMP_MERGE, .merge_key = "name",
  .ssa = SSA_MAP, .keys = {"name"}};
static const sim_schema host_aliases = {
  .kind = SCH_LIST, .smp = SMP_MERGE, .merge_key = "ip",
  .ssa = SSA_MAP, .keys = {"ip"}};
static const sim_schema_field spread_fields[] = {
  {"labelSelector", &label_selector, 0}, END};
static const sim_schema spread = {.kind = SCH_STRUCT,
                                  .fields = spread_fields};
static const sim_schema spread_constraints = {
  .kind = SCH_LIST, .elem = &spread, .smp = SMP_MERGE,
  .merge_key = "topologyKey", .ssa = SSA_MAP,
  .keys = {"topologyKey", "whenUnsatisfiable"}};
static const sim_schema_field node_affinity_fields[] = {
  {"requiredDuringSchedulingIgnoredDuringExecution", &atomic, 0}, END};
static const sim_schema node_affinity = {.kind = SCH_STRUCT,
                                         .fields = node_affinity_fields};
static const sim_schema_field affinity_fields[] = {
  {"nodeAffinity", &node_affinity, 0}, END};
static const sim_schema affinity = {.kind = SCH_STRUCT,
                                    .fields = affinity_fields};
static const sim_schema_field pod_spec_fields[] = {
  {"containers", &containers, 1},
  {"initContainers", &containers, 0},
  {"ephemeralContainers", &containers, 0},
  {"volumes", &by_name, 0},
  {"imagePullSecrets", &by_name, 0},
  {"hostAliases", &host_aliases, 0},
  {"topologySpreadConstraints", &spread_constraints, 0},
  {"schedulingGates", &by_name, 0},
  {"resourceClaims", &by_name, 0},
  {"nodeSelector", &atomic, 0},
  {"overhead", &granular_map, 0},
  {"affinity", &affinity, 0},
  {"resources", &resources, 0},
  END};
static const sim_schema pod_spec = {.kind = SCH_STRUCT,
                                    .fields = pod_spec_fields};
static const sim_schema_field pod_template_fields[] = {
  {"metadata", &object_meta, 1},
  {"spec", &pod_spec, 1},
  END};
static const sim_schema pod_template = {.kind = SCH_STRUCT,
                                        .fields = pod_template_fields};

static const sim_schema pod_ips = {
  .kind = SCH_LIST, .smp = SMP_MERGE, .merge_key = "ip",
  .ssa = SSA_MAP, .keys = {"ip"}};
static const sim_schema host_ips = {
  .kind = SCH_LIST, .smp = SMP_MERGE, .merge_key = "ip", .ssa = SSA_ATOMIC};
static const sim_schema_field pod_status_fields[] = {
  {"conditions", &conditions, 0},
  {"podIPs", &pod_ips, 0},
  {"hostIPs", &host_ips, 0},
  {"resourceClaimStatuses", &by_name, 0},
  {"allocatedResources", &granular_map, 0},
  END};
static const sim_schema pod_status = {.kind = SCH_STRUCT,
                                      .fields = pod_status_fields};

/* A status with merge-by-type conditions and nothing else special. */
static const sim_schema_field cond_status_fields[] = {
  {"conditions", &conditions, 0}, END};
static const sim_schema cond_status = {.kind = SCH_STRUCT,
                                       .fields = cond_status_fields};

/* ---- roots ---------------------------------------------------------- */
#define ROOT(name, ...)                                                    \
  static const sim_schema_field name##_fields[] = {                       \
    {"metadata", &object_meta, 1}, __VA_ARGS__, END};                     \
  static const sim_schema name = {.kind = SCH_STRUCT,                     \
                                  .fields = name##_fields}
#define STRUCT(name, ...)                                                  \
  static const sim_schema_field name##_fields[] = {__VA_ARGS__, END};     \
  static const sim_schema name = {.kind = SCH_STRUCT,                     \
                                  .fields = name##_fields}

ROOT(r_generic, {"status", NULL, 0});
ROOT(r_pod, {"spec", &pod_spec, 1}, {"status", &pod_status, 1});
ROOT(r_pod_template, {"template", &pod_template, 1});

STRUCT(deploy_spec, {"selector", &label_selector, 0},
       {"template", &pod_template, 1}, {"strategy", NULL, 1});
ROOT(r_deployment, {"spec", &deploy_spec, 1}, {"status", &cond_status, 1});
STRUCT(rs_spec, {"selector", &label_selector, 0},
       {"template", &pod_template, 1});
ROOT(r_replicaset, {"spec", &rs_spec, 1}, {"status", &cond_status, 1});
STRUCT(sts_spec, {"selector", &label_selector, 0},
       {"template", &pod_template, 1}, {"updateStrategy", NULL, 1});
ROOT(r_statefulset, {"spec", &sts_spec, 1}, {"status", &cond_status, 1});
STRUCT(ds_spec, {"selector", &label_selector, 0},
       {"template", &pod_template, 1}, {"updateStrategy", NULL, 1});
ROOT(r_daemonset, {"spec", &ds_spec, 1}, {"status", &cond_status, 1});

static const sim_schema string_set = {.kind = SCH_LIST, .ssa = SSA_SET};
STRUCT(uncounted, {"failed", &string_set, 0}, {"succeeded", &string_set, 0});
STRUCT(job_spec, {"selector", &label_selector, 0},
       {"template", &pod_template, 1});
STRUCT(job_status, {"conditions", &job_conditions, 0},
       {"uncountedTerminatedPods", &uncounted, 0});
ROOT(r_job, {"spec", &job_spec, 1}, {"status", &job_status, 1});
STRUCT(job_template, {"metadata", &object_meta, 1}, {"spec", &job_spec, 1});
STRUCT(cronjob_spec, {"jobTemplate", &job_template, 1});
ROOT(r_cronjob, {"spec", &cronjob_spec, 1}, {"status", NULL, 1});

static const sim_schema service_ports = {
  .kind = SCH_LIST, .smp = SMP_MERGE, .merge_key = "port",
  .ssa = SSA_MAP, .keys = {"port", "protocol"},
  .key_default = {NULL, "TCP"}};
STRUCT(service_spec, {"ports", &service_ports, 0}, {"selector", &atomic, 0});
STRUCT(service_status, {"conditions", &conditions, 0},
       {"loadBalancer", NULL, 1});
ROOT(r_service, {"spec", &service_spec, 1}, {"status", &service_status, 1});

ROOT(r_configmap, {"data", &granular_map, 0}, {"binaryData", &granular_map, 0});
ROOT(r_secret, {"data", &granular_map, 0}, {"stringData", &granular_map, 0});
ROOT(r_service_account, {"secrets", &by_name, 0});
ROOT(r_namespace, {"spec", NULL, 1}, {"status", &cond_status, 1});

STRUCT(vol_resources, {"limits", &granular_map, 0},
       {"requests", &granular_map, 0});
STRUCT(pvc_spec, {"selector", &label_selector, 0},
       {"resources", &vol_resources, 1});
STRUCT(pvc_status, {"conditions", &conditions, 0},
       {"capacity", &granular_map, 0},
       {"allocatedResources", &granular_map, 0});
ROOT(r_pvc, {"spec", &pvc_spec, 1}, {"status", &pvc_status, 1});
STRUCT(vol_node_affinity, {"required", &atomic, 0});
STRUCT(pv_spec, {"claimRef", &atomic, 0}, {"capacity", &granular_map, 0},
       {"nodeAffinity", &vol_node_affinity, 0});
ROOT(r_pv, {"spec", &pv_spec, 1}, {"status", NULL, 1});

static const sim_schema pod_cidrs = {.kind = SCH_LIST, .smp = SMP_MERGE,
                                     .ssa = SSA_SET};
static const sim_schema node_addresses = {
  .kind = SCH_LIST, .smp = SMP_MERGE, .merge_key = "type",
  .ssa = SSA_ATOMIC};
STRUCT(node_spec, {"podCIDRs", &pod_cidrs, 0});
STRUCT(node_status, {"conditions", &conditions, 0},
       {"addresses", &node_addresses, 0}, {"capacity", &granular_map, 0},
       {"allocatable", &granular_map, 0});
ROOT(r_node, {"spec", &node_spec, 1}, {"status", &node_status, 1});
ROOT(r_event, {"involvedObject", &atomic, 1}, {"source", NULL, 1});

STRUCT(lb_status, {"ingress", NULL, 0});
STRUCT(ingress_status, {"loadBalancer", &lb_status, 1});
ROOT(r_ingress, {"spec", NULL, 1}, {"status", &ingress_status, 1});
STRUCT(netpol_spec, {"podSelector", &label_selector, 1});
ROOT(r_netpol, {"spec", &netpol_spec, 1});
ROOT(r_role, {"rules", NULL, 1});
ROOT(r_binding, {"roleRef", &atomic, 1});

STRUCT(pdb_spec, {"selector", &replace_selector, 0});
STRUCT(pdb_status, {"conditions", &conditions, 0},
       {"disruptedPods", &granular_map, 0});
ROOT(r_pdb, {"spec", &pdb_spec, 1}, {"status", &pdb_status, 1});
STRUCT(hpa_spec, {"scaleTargetRef", NULL, 1});
ROOT(r_hpa, {"spec", &hpa_spec, 1}, {"status", &cond_status, 1});
ROOT(r_storage_class, {"parameters", &granular_map, 0});
ROOT(r_lease, {"spec", NULL, 1});

STRUCT(webhook, {"clientConfig", NULL, 1}, {"matchConditions", &by_name, 0},
       {"namespaceSelector", &label_selector, 0},
       {"objectSelector", &label_selector, 0});
static const sim_schema webhooks = {
  .kind = SCH_LIST, .elem = &webhook, .smp = SMP_MERGE, .merge_key = "name",
  .ssa = SSA_MAP, .keys = {"name"}};
ROOT(r_webhook_config, {"webhooks", &webhooks, 0});
STRUCT(crd_spec, {"versions", NULL, 1}, {"names", NULL, 1});
STRUCT(crd_status, {"conditions", &conditions, 0},
       {"acceptedNames", NULL, 1});
ROOT(r_crd, {"spec", &crd_spec, 1}, {"status", &crd_status, 1});

typedef struct kind_entry {
  const char *group, *kind;
  const sim_schema *root;
  int has_status;
} kind_entry;

static const kind_entry kinds[] = {
  {"", "Pod", &r_pod, 1},
  {"", "PodTemplate", &r_pod_template, 0},
  {"", "Service", &r_service, 1},
  {"", "ConfigMap", &r_configmap, 0},
  {"", "Secret", &r_secret, 0},
  {"", "ServiceAccount", &r_service_account, 0},
  {"", "Namespace", &r_namespace, 1},
  {"", "PersistentVolumeClaim", &r_pvc, 1},
  {"", "PersistentVolume", &r_pv, 1},
  {"", "Node", &r_node, 1},
  {"", "Event", &r_event, 0},
  {"", "Endpoints", &r_generic, 0},
  {"apps", "Deployment", &r_deployment, 1},
  {"apps", "ReplicaSet", &r_replicaset, 1},
  {"apps", "StatefulSet", &r_statefulset, 1},
  {"apps", "DaemonSet", &r_daemonset, 1},
  {"batch", "Job", &r_job, 1},
  {"batch", "CronJob", &r_cronjob, 1},
  {"networking.k8s.io", "Ingress", &r_ingress, 1},
  {"networking.k8s.io", "NetworkPolicy", &r_netpol, 0},
  {"networking.k8s.io", "IngressClass", &r_lease, 0},
  {"rbac.authorization.k8s.io", "Role", &r_role, 0},
  {"rbac.authorization.k8s.io", "ClusterRole", &r_role, 0},
  {"rbac.authorization.k8s.io", "RoleBinding", &r_binding, 0},
  {"rbac.authorization.k8s.io", "ClusterRoleBinding", &r_binding, 0},
  {"policy", "PodDisruptionBudget", &r_pdb, 1},
  {"autoscaling", "HorizontalPodAutoscaler", &r_hpa, 1},
  {"storage.k8s.io", "StorageClass", &r_storage_class, 0},
  {"coordination.k8s.io", "Lease", &r_lease, 0},
  {"admissionregistration.k8s.io", "MutatingWebhookConfiguration",
   &r_webhook_config, 0},
  {"admissionregistration.k8s.io", "ValidatingWebhookConfiguration",
   &r_webhook_config, 0},
  {"apiextensions.k8s.io", "CustomResourceDefinition", &r_crd, 1},
  {NULL, NULL, NULL, 0}};

/* Custom kinds and kinds not listed: typed metadata, defaults elsewhere. */
ROOT(r_custom, {"status", NULL, 0});

static const kind_entry *find_kind(const char *api_version, const char *kind)
{
  const char *slash = api_version ? strchr(api_version, '/') : NULL;
  size_t glen = slash ? (size_t)(slash - api_version) : 0;
  const kind_entry *e;
  if (!kind) return NULL;
  for (e = kinds; e->kind; e++)
    if (strlen(e->group) == glen &&
        (glen == 0 || memcmp(e->group, api_version, glen) == 0) &&
        strcmp(e->kind, kind) == 0)
      return e;
  return NULL;
}

const sim_schema *sim_schema_root(const char *api_version, const char *kind,
                                  int custom)
{
  const kind_entry *e = custom ? NULL : find_kind(api_version, kind);
  return e ? e->root : &r_custom;
}

int sim_schema_has_status(const sim_patch_ctx *ctx)
{
  const kind_entry *e;
  if (ctx->custom) return ctx->custom_status;
  e = find_kind(ctx->api_version, ctx->kind);
  return e ? e->has_status : 0;
}

const sim_schema *sim_schema_child(const sim_schema *t, const char *key,
                                   size_t klen, int *always)
{
  const sim_schema_field *f;
  if (always) *always = 0;
  if (!t) return NULL;
  if (t->kind == SCH_MAP) return t->elem;
  if (t->kind != SCH_STRUCT || !t->fields) return NULL;
  for (f = t->fields; f->name; f++)
    if (strlen(f->name) == klen && memcmp(f->name, key, klen) == 0) {
      if (always) *always = f->always;
      return f->type;
    }
  return NULL;
}

int sim_schema_named(const sim_schema *t, const char *key, size_t klen)
{
  (void)key;
  (void)klen;
  return !t || t->kind != SCH_MAP;
}

const sim_schema *sim_schema_elem(const sim_schema *t)
{
  return t && t->kind == SCH_LIST ? t->elem : NULL;
}

int sim_schema_list_ssa(const sim_schema *t)
{
  return t && t->kind == SCH_LIST ? t->ssa : SSA_ATOMIC;
}

int sim_schema_atomic(const sim_schema *t, const kd_value *v)
{
  if (t && t->kind == SCH_ATOMIC) return 1;
  if (v->type == KD_ARR) return sim_schema_list_ssa(t) == SSA_ATOMIC;
  if (v->type == KD_OBJ) return t && t->kind == SCH_LIST;
  return 1;
}

/* ---- custom resources: types from the CRD's structural schema --------- */
static void *arena_alloc(sim_schema_arena *a, size_t size)
{
  void *p;
  if (a->n == a->cap) {
    size_t ncap = a->cap ? a->cap * 2 : 16;
    void **nb = realloc(a->blocks, ncap * sizeof *nb);
    if (!nb) return NULL;
    a->blocks = nb;
    a->cap = ncap;
  }
  if (!(p = calloc(1, size))) return NULL;
  a->blocks[a->n++] = p;
  return p;
}

void sim_schema_arena_free(sim_schema_arena *a)
{
  size_t i;
  if (!a) return;
  for (i = 0; i < a->n; i++) free(a->blocks[i]);
  free(a->blocks);
  memset(a, 0, sizeof *a);
}

static const char *str_member(const kd_value *o, const char *key)
{
  const kd_value *v = kd_obj_gets(o, key);
  return v && v->type == KD_STR ? v->u.str.s : NULL;
}

/* The type an OpenAPI v3 schema node describes (NULL: the default); on
 * allocation failure *OOM is set. */
static const sim_schema *from_openapi(const kd_value *s, sim_schema_arena *a,
                                      int depth, int *oom)
{
  const char *type, *lt, *mt;
  const kd_value *props, *addl, *items;
  sim_schema *n;
  size_t i;
  if (!s || s->type != KD_OBJ || depth > 64 || *oom) return NULL;
  type = str_member(s, "type");
  lt = str_member(s, "x-kubernetes-list-type");
  mt = str_member(s, "x-kubernetes-map-type");
  if (type && strcmp(type, "array") == 0) {
    const kd_value *keys = kd_obj_gets(s, "x-kubernetes-list-map-keys");
    const sim_schema *elem;
    items = kd_obj_gets(s, "items");
    elem = from_openapi(items, a, depth + 1, oom);
    if ((!lt || strcmp(lt, "atomic") == 0) && !elem) return NULL;
    if (!(n = arena_alloc(a, sizeof *n))) goto oom;
    n->kind = SCH_LIST;
    n->elem = elem;
    n->ssa = !lt || strcmp(lt, "atomic") == 0 ? SSA_ATOMIC
           : strcmp(lt, "set") == 0 ? SSA_SET : SSA_MAP;
    if (n->ssa == SSA_MAP) {
      const kd_value *ip = items ? kd_obj_gets(items, "properties") : NULL;
      for (i = 0; keys && keys->type == KD_ARR && i < keys->u.arr.len &&
                  i < 3; i++) {
        const kd_value *k = &keys->u.arr.items[i];
        const kd_value *kp, *d;
        if (k->type != KD_STR) continue;
        n->keys[i] = k->u.str.s;
        kp = ip ? kd_obj_get(ip, k->u.str.s, k->u.str.len) : NULL;
        d = kp ? kd_obj_gets(kp, "default") : NULL;
        if (d && d->type == KD_STR) n->key_default[i] = d->u.str.s;
      }
      if (!n->keys[0]) n->ssa = SSA_ATOMIC;   /* a map list needs keys */
    }
    return n;
  }
  if (mt && strcmp(mt, "atomic") == 0) return &atomic;
  props = kd_obj_gets(s, "properties");
  addl = kd_obj_gets(s, "additionalProperties");
  if (props && props->type == KD_OBJ && props->u.obj.len) {
    sim_schema_field *f;
    int any = 0;
    if (!(f = arena_alloc(a, (props->u.obj.len + 1) * sizeof *f))) goto oom;
    for (i = 0; i < props->u.obj.len; i++) {
      f[i].name = props->u.obj.m[i].key;
      f[i].type = from_openapi(&props->u.obj.m[i].val, a, depth + 1, oom);
      any |= f[i].type != NULL;
    }
    if (!any) return NULL;   /* a struct of defaults is the default */
    if (!(n = arena_alloc(a, sizeof *n))) goto oom;
    n->kind = SCH_STRUCT;
    n->fields = f;
    return n;
  }
  if (addl && addl->type == KD_OBJ) {
    if (!(n = arena_alloc(a, sizeof *n))) goto oom;
    n->kind = SCH_MAP;
    n->elem = from_openapi(addl, a, depth + 1, oom);
    return n;
  }
  return NULL;
oom:
  *oom = 1;
  return NULL;
}

const sim_schema *sim_schema_of(const sim_patch_ctx *ctx, sim_schema_arena *a)
{
  const sim_schema *body;
  sim_schema *root;
  sim_schema_field *f;
  size_t n = 0, i;
  int oom = 0;
  if (!ctx->custom || !ctx->crd_schema)
    return sim_schema_root(ctx->api_version, ctx->kind, ctx->custom);
  body = from_openapi(ctx->crd_schema, a, 0, &oom);
  if (oom || !body || body->kind != SCH_STRUCT) return &r_custom;
  for (; body->fields[n].name; n++) {}
  /* metadata is always ObjectMeta, whatever the CRD says */
  if (!(f = arena_alloc(a, (n + 2) * sizeof *f)) ||
      !(root = arena_alloc(a, sizeof *root)))
    return &r_custom;
  f[0].name = "metadata";
  f[0].type = &object_meta;
  f[0].always = 1;
  for (i = 0, n = 1; body->fields[i].name; i++)
    if (strcmp(body->fields[i].name, "metadata") != 0) f[n++] = body->fields[i];
  root->kind = SCH_STRUCT;
  root->fields = f;
  return root;
}
