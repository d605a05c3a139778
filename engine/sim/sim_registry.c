/* engine/sim/sim_registry.c: the resources the sim serves: built-in kinds
 * and the ones CustomResourceDefinitions declare. */
#include "sim_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* flags of a built-in */
enum { NS = 1, ST = 2, SC = 4, GEN = 8 };

static const struct builtin {
  const char *group, *version, *plural, *singular, *kind, *shorts, *cats;
  int flags;
} builtins[] = {
  {"", "v1", "namespaces", "namespace", "Namespace", "ns", "", ST},
  {"", "v1", "configmaps", "configmap", "ConfigMap", "cm", "", NS},
  {"", "v1", "secrets", "secret", "Secret", "", "", NS},
  {"", "v1", "services", "service", "Service", "svc", "all", NS | ST},
  {"", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", "sa", "",
   NS},
  {"", "v1", "pods", "pod", "Pod", "po", "all", NS | ST},
  {"", "v1", "events", "event", "Event", "ev", "", NS},
  {"", "v1", "endpoints", "endpoints", "Endpoints", "ep", "", NS},
  {"", "v1", "persistentvolumeclaims", "persistentvolumeclaim",
   "PersistentVolumeClaim", "pvc", "", NS | ST},
  {"", "v1", "persistentvolumes", "persistentvolume", "PersistentVolume",
   "pv", "", ST},
  {"", "v1", "nodes", "node", "Node", "no", "", ST},
  {"", "v1", "resourcequotas", "resourcequota", "ResourceQuota", "quota", "",
   NS | ST},
  {"", "v1", "limitranges", "limitrange", "LimitRange", "limits", "", NS},
  {"apps", "v1", "deployments", "deployment", "Deployment", "deploy", "all",
   NS | ST | SC | GEN},
  {"apps", "v1", "replicasets", "replicaset", "ReplicaSet", "rs", "all",
   NS | ST | SC | GEN},
  {"apps", "v1", "statefulsets", "statefulset", "StatefulSet", "sts", "all",
   NS | ST | SC | GEN},
  {"apps", "v1", "daemonsets", "daemonset", "DaemonSet", "ds", "all",
   NS | ST | GEN},
  {"apps", "v1", "controllerrevisions", "controllerrevision",
   "ControllerRevision", "", "", NS},
  {"batch", "v1", "jobs", "job", "Job", "", "all", NS | ST | GEN},
  {"batch", "v1", "cronjobs", "cronjob", "CronJob", "cj", "all",
   NS | ST | GEN},
  {"networking.k8s.io", "v1", "ingresses", "ingress", "Ingress", "ing", "",
   NS | ST | GEN},
  {"networking.k8s.io", "v1", "networkpolicies", "networkpolicy",
   "NetworkPolicy", "netpol", "", NS | GEN},
  {"networking.k8s.io", "v1", "ingressclasses", "ingressclass",
   "IngressClass", "", "", GEN},
  {"rbac.authorization.k8s.io", "v1", "roles", "role", "Role", "", "", NS},
  {"rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding",
   "RoleBinding", "", "", NS},
  {"rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole",
   "ClusterRole", "", "", 0},
  {"rbac.authorization.k8s.io", "v1", "clusterrolebindings",
   "clusterrolebinding", "ClusterRoleBinding", "", "", 0},
  {"policy", "v1", "poddisruptionbudgets", "poddisruptionbudget",
   "PodDisruptionBudget", "pdb", "", NS | ST | GEN},
  {"autoscaling", "v2", "horizontalpodautoscalers", "horizontalpodautoscaler",
   "HorizontalPodAutoscaler", "hpa", "all", NS | ST},
  {"storage.k8s.io", "v1", "storageclasses", "storageclass", "StorageClass",
   "sc", "", 0},
  {"coordination.k8s.io", "v1", "leases", "lease", "Lease", "", "", NS},
  {"scheduling.k8s.io", "v1", "priorityclasses", "priorityclass",
   "PriorityClass", "pc", "", 0},
  {"admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations",
   "validatingwebhookconfiguration", "ValidatingWebhookConfiguration", "",
   "api-extensions", GEN},
  {"admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations",
   "mutatingwebhookconfiguration", "MutatingWebhookConfiguration", "",
   "api-extensions", GEN},
  {"apiextensions.k8s.io", "v1", "customresourcedefinitions",
   "customresourcedefinition", "CustomResourceDefinition", "crd,crds",
   "api-extensions", ST | GEN},
  {"apiregistration.k8s.io", "v1", "apiservices", "apiservice", "APIService",
   "", "api-extensions", ST},
};

static void res_free(sim_resource *r)
{
  if (!r) return;
  free(r->group);
  free(r->version);
  free(r->plural);
  free(r->singular);
  free(r->kind);
  free(r->list_kind);
  free(r->short_names);
  free(r->categories);
  free(r->crd);
  free(r);
}

static void table_unref(sim_table *t)
{
  size_t i;
  if (!t || --t->refs > 0) return;
  for (i = 0; i < t->len; i++) {
    sim_obj *o = t->items[i];
    free(o->ns);
    free(o->name);
    kd_value_clear(&o->v);
    sim_blob_unref(o->json);
    free(o);
  }
  free(t->items);
  free(t);
}

static sim_resource *res_new(const char *group, const char *version,
                             const char *plural, const char *singular,
                             const char *kind, const char *shorts,
                             const char *cats, sim_table *table)
{
  sim_resource *r = calloc(1, sizeof *r);
  char lk[256];
  if (!r) return NULL;
  snprintf(lk, sizeof lk, "%sList", kind);
  r->group = sim_strdup(group);
  r->version = sim_strdup(version);
  r->plural = sim_strdup(plural);
  r->singular = sim_strdup(singular);
  r->kind = sim_strdup(kind);
  r->list_kind = sim_strdup(lk);
  r->short_names = sim_strdup(shorts ? shorts : "");
  r->categories = sim_strdup(cats ? cats : "");
  r->table = table ? table : calloc(1, sizeof *r->table);
  if (!r->group || !r->version || !r->plural || !r->singular || !r->kind ||
      !r->list_kind || !r->short_names || !r->categories || !r->table) {
    if (!table) free(r->table);
    r->table = NULL;
    res_free(r);
    return NULL;
  }
  r->table->refs++;
  return r;
}

static void add_last(sim *s, sim_resource *r)
{
  sim_resource **p = &s->resources;
  while (*p) p = &(*p)->next;
  *p = r;
}

int sim_registry_init(sim *s, kd_error *err)
{
  size_t i;
  for (i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
    const struct builtin *b = &builtins[i];
    sim_resource *r = res_new(b->group, b->version, b->plural, b->singular,
                              b->kind, b->shorts, b->cats, NULL);
    if (!r) return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
    r->namespaced = (b->flags & NS) != 0;
    r->has_status = (b->flags & ST) != 0;
    r->has_scale = (b->flags & SC) != 0;
    r->generation = (b->flags & GEN) != 0;
    add_last(s, r);
  }
  return KD_OK;
}

void sim_registry_reap(sim *s)
{
  sim_resource *r = s->dead, *next;
  for (; r; r = next) {
    next = r->next;
    sim_watch_close_res(s, r);
    table_unref(r->table);
    res_free(r);
  }
  s->dead = NULL;
}

void sim_registry_free(sim *s)
{
  sim_resource *r = s->resources, *next;
  sim_registry_reap(s);
  for (; r; r = next) {
    next = r->next;
    table_unref(r->table);
    res_free(r);
  }
  s->resources = NULL;
}

sim_resource *sim_res_find(sim *s, const char *group, const char *version,
                           const char *plural)
{
  sim_resource *r;
  for (r = s->resources; r; r = r->next)
    if (strcmp(r->plural, plural) == 0 && strcmp(r->group, group) == 0 &&
        (!version || strcmp(r->version, version) == 0))
      return r;
  return NULL;
}

sim_resource *sim_res_by_kind(sim *s, const char *group, const char *kind)
{
  sim_resource *r;
  for (r = s->resources; r; r = r->next)
    if (strcmp(r->kind, kind) == 0 && strcmp(r->group, group) == 0) return r;
  return NULL;
}

const char *sim_res_gvstr(const sim_resource *r, char *buf, size_t n)
{
  if (!r->group[0]) snprintf(buf, n, "%s", r->version);
  else snprintf(buf, n, "%s/%s", r->group, r->version);
  return buf;
}

/* ---- CRDs ---------------------------------------------------------------- */

static char *join_strings(const kd_value *arr)
{
  kd_buf b = {0};
  size_t i;
  if (arr && arr->type == KD_ARR)
    for (i = 0; i < arr->u.arr.len; i++) {
      const kd_value *x = &arr->u.arr.items[i];
      if (x->type != KD_STR) continue;
      if (b.len) kd_buf_addc(&b, ',');
      kd_buf_adds(&b, x->u.str.s);
    }
  if (!b.data) return sim_strdup("");
  return kd_buf_take(&b, NULL);
}

/* Unlinks the resources of CRD_NAME; they are freed by sim_registry_reap
 * once queued events that point at them have been dispatched. */
void sim_crd_remove(sim *s, const char *crd_name)
{
  sim_resource **p = &s->resources;
  while (*p) {
    sim_resource *r = *p;
    if (r->crd && strcmp(r->crd, crd_name) == 0) {
      *p = r->next;
      r->next = s->dead;
      s->dead = r;
    } else {
      p = &r->next;
    }
  }
}

/* Serves every `served` version of CRD; versions share one table, kept
 * across updates of the CRD so stored objects survive. */
int sim_crd_sync(sim *s, const kd_value *crd, kd_error *err)
{
  const char *name = sim_str(crd, "metadata.name");
  const char *group = sim_str(crd, "spec.group");
  const char *plural = sim_str(crd, "spec.names.plural");
  const char *kind = sim_str(crd, "spec.names.kind");
  const char *singular = sim_str(crd, "spec.names.singular");
  const char *scope = sim_str(crd, "spec.scope");
  const char *list_kind = sim_str(crd, "spec.names.listKind");
  const kd_value *versions = kd_value_path(crd, "spec.versions");
  sim_table *table = NULL;
  sim_resource *r, *added = NULL, **tail = &added;
  size_t i;
  char *shorts, *cats;
  if (!name || !group || !plural || !kind || !versions ||
      versions->type != KD_ARR)
    return KD_OK;   /* validation rejects these before they are stored */
  for (r = s->resources; r; r = r->next)
    if (r->crd && strcmp(r->crd, name) == 0) {
      table = r->table;
      table->refs++;
      break;
    }
  shorts = join_strings(kd_value_path(crd, "spec.names.shortNames"));
  cats = join_strings(kd_value_path(crd, "spec.names.categories"));
  for (i = 0; i < versions->u.arr.len; i++) {
    const kd_value *v = &versions->u.arr.items[i];
    const kd_value *served = kd_obj_gets(v, "served");
    const char *vname = sim_str(v, "name");
    if (!vname || (served && served->type == KD_BOOL && !served->u.b))
      continue;
    r = res_new(group, vname, plural, singular ? singular : "", kind,
                shorts, cats, table);
    if (!r) break;
    if (!table) table = r->table, table->refs++;
    r->crd = sim_strdup(name);
    if (list_kind) {
      free(r->list_kind);
      r->list_kind = sim_strdup(list_kind);
    }
    if (!r->singular[0]) {
      size_t k;
      free(r->singular);
      r->singular = sim_strdup(kind);
      for (k = 0; r->singular && r->singular[k]; k++)
        if (r->singular[k] >= 'A' && r->singular[k] <= 'Z')
          r->singular[k] = (char)(r->singular[k] + 32);
    }
    r->namespaced = !scope || strcmp(scope, "Cluster") != 0;
    r->has_status = kd_value_path(v, "subresources.status") != NULL;
    r->has_scale = kd_value_path(v, "subresources.scale") != NULL;
    r->generation = 1;
    *tail = r;
    tail = &r->next;
  }
  free(shorts);
  free(cats);
  if (i < versions->u.arr.len) {   /* out of memory half way */
    while (added) { r = added->next; table_unref(added->table); res_free(added); added = r; }
    table_unref(table);
    return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
  }
  sim_crd_remove(s, name);
  add_last(s, added);
  if (table) table_unref(table);  /* drop the lookup/creation reference */
  return KD_OK;
}

/* ---- public lookups -------------------------------------------------------*/

const sim_resource *sim_resource_get(sim *s, const char *group,
                                     const char *version, const char *plural)
{
  return sim_res_find(s, group ? group : "", version, plural);
}

const sim_resource *sim_resource_for_kind(sim *s, const char *api_version,
                                          const char *kind)
{
  const char *slash = strchr(api_version, '/');
  char group[256];
  sim_resource *r;
  size_t n = slash ? (size_t)(slash - api_version) : 0;
  const char *version = slash ? slash + 1 : api_version;
  if (n >= sizeof group) return NULL;
  memcpy(group, api_version, n);
  group[n] = 0;
  for (r = s->resources; r; r = r->next)
    if (strcmp(r->kind, kind) == 0 && strcmp(r->group, group) == 0 &&
        strcmp(r->version, version) == 0)
      return r;
  return NULL;
}

const char *sim_resource_kind(const sim_resource *r) { return r->kind; }
const char *sim_resource_plural(const sim_resource *r) { return r->plural; }
const char *sim_resource_group(const sim_resource *r) { return r->group; }
const char *sim_resource_version(const sim_resource *r) { return r->version; }
int sim_resource_namespaced(const sim_resource *r) { return r->namespaced; }
