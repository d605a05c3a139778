/* engine/sim/sim_ctrl_pods.c: what the workload controllers (ReplicaSet,
 * Job, StatefulSet, DaemonSet) share about pods: activity, readiness,
 * availability, creation from a template and deletion, with the Events
 * kube's PodControl records. */
#include "sim_ctrl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sim_pod_active(const kd_value *pod)
{
  const char *ph = sim_vstr(pod, "status.phase");
  if (kd_value_path(pod, "metadata.deletionTimestamp")) return 0;
  return !ph || (strcmp(ph, "Succeeded") && strcmp(ph, "Failed"));
}

int sim_pod_ready(const kd_value *pod)
{
  return sim_cond_true(pod, "Ready");
}

int sim_pod_available(const kd_value *pod, int64_t min_ready_s,
                      int64_t now_ms, int64_t *wait_ms)
{
  const kd_value *c = sim_cond_get(pod, "Ready");
  int64_t since, left;
  if (!sim_pod_ready(pod)) return 0;
  if (min_ready_s <= 0) return 1;
  since = sim_time_ms(sim_vstr(c, "lastTransitionTime"));
  if (since < 0) return 1;
  left = since + min_ready_s * 1000 - now_ms;
  if (left <= 0) return 1;
  /* +1s: the condition's time has whole seconds */
  if (wait_ms && (*wait_ms < 0 || left + 1000 < *wait_ms))
    *wait_ms = left + 1000;
  return 0;
}

void sim_pod_from_template(kd_value *pod, const kd_value *tmpl,
                           const kd_value *owner, const char *name,
                           const char *prefix)
{
  const kd_value *meta = kd_obj_gets(tmpl, "metadata");
  const kd_value *spec = kd_obj_gets(tmpl, "spec");
  static const char *const keep[] = {"labels", "annotations", "finalizers",
                                     NULL};
  kd_value *slot;
  int i;
  kd_value_obj(pod);
  sim_vset_str(pod, "apiVersion", "v1");
  sim_vset_str(pod, "kind", "Pod");
  sim_vobj(pod, "metadata");
  for (i = 0; keep[i]; i++) {
    const kd_value *v = kd_obj_gets(meta, keep[i]);
    if (v && v->type != KD_NULL && (slot = sim_vobj(pod, "metadata"))) {
      slot = kd_obj_add(slot, keep[i], strlen(keep[i]));
      if (slot) kd_value_copy(slot, v);
    }
  }
  if (name) sim_vset_str(pod, "metadata.name", name);
  else sim_vset_str(pod, "metadata.generateName", prefix);
  sim_set_controller(pod, owner);
  if (spec && (slot = kd_obj_add(pod, "spec", 4))) kd_value_copy(slot, spec);
}

int sim_pod_create(sim *s, const kd_value *owner, const char *ns,
                   const kd_value *pod, const char *component)
{
  kd_value out;
  kd_error err = {0};
  int rc;
  kd_value_null(&out);
  rc = sim_obj_create(s, sim_res(s, "", "pods"), ns, pod, &out, &err);
  if (rc == KD_OK)
    sim_record(s, owner, "Normal", "SuccessfulCreate", component, NULL, NULL,
               "Created pod: %s", sim_vstr(&out, "metadata.name"));
  else
    sim_record(s, owner, "Warning", "FailedCreate", component, NULL, NULL,
               "Error creating: %s", err.msg);
  kd_value_clear(&out);
  return rc;
}

int sim_pod_delete(sim *s, const kd_value *owner, const char *ns,
                   const char *name, const char *component)
{
  kd_error err = {0};
  char copy[300];
  int rc;
  snprintf(copy, sizeof copy, "%s", name);   /* NAME may live in the store */
  rc = sim_obj_delete(s, sim_res(s, "", "pods"), ns, copy, NULL, &err);
  if (rc == KD_OK)
    sim_record(s, owner, "Normal", "SuccessfulDelete", component, NULL, NULL,
               "Deleted pod: %s", copy);
  else if (err.http_status != 404)
    sim_record(s, owner, "Warning", "FailedDelete", component, NULL, NULL,
               "Error deleting: %s", err.msg);
  return rc;
}

/* ---- nodes a pod fits (the scheduler, the DaemonSet controller) ----------*/

static int tolerates(const kd_value *tols, const kd_value *taint)
{
  const char *key = sim_vstr(taint, "key"), *val = sim_vstr(taint, "value");
  const char *eff = sim_vstr(taint, "effect");
  size_t i;
  for (i = 0; i < sim_vlen(tols); i++) {
    const kd_value *t = &tols->u.arr.items[i];
    const char *tk = sim_vstr(t, "key"), *op = sim_vstr(t, "operator");
    const char *tv = sim_vstr(t, "value"), *te = sim_vstr(t, "effect");
    int exists = op && !strcmp(op, "Exists");
    if (te && te[0] && (!eff || strcmp(te, eff))) continue;
    if (tk && tk[0] && (!key || strcmp(tk, key))) continue;
    if (!tk || !tk[0]) {
      if (exists) return 1;
      continue;
    }
    if (exists || !strcmp(tv ? tv : "", val ? val : "")) return 1;
  }
  return 0;
}

const kd_value *sim_pod_untolerated(const kd_value *pod, const kd_value *node)
{
  const kd_value *taints = kd_value_path(node, "spec.taints");
  const kd_value *tols = kd_value_path(pod, "spec.tolerations");
  size_t i;
  for (i = 0; i < sim_vlen(taints); i++) {
    const kd_value *t = &taints->u.arr.items[i];
    const char *eff = sim_vstr(t, "effect");
    if (eff && !strcmp(eff, "PreferNoSchedule")) continue;
    if (!tolerates(tols, t)) return t;
  }
  return NULL;
}

static int num_cmp(const char *have, const kd_value *values, int gt)
{
  char *end;
  long long a, b;
  if (!have || sim_vlen(values) != 1 ||
      values->u.arr.items[0].type != KD_STR)
    return 0;
  a = strtoll(have, &end, 10);
  if (*end) return 0;
  b = strtoll(values->u.arr.items[0].u.str.s, &end, 10);
  if (*end) return 0;
  return gt ? a > b : a < b;
}

/* A NodeSelectorRequirement against a field or label value. */
static int req_match(const kd_value *req, const char *have)
{
  const char *op = sim_vstr(req, "operator");
  const kd_value *values = kd_obj_gets(req, "values");
  size_t i;
  int in = 0;
  if (!op) return 0;
  for (i = 0; have && i < sim_vlen(values); i++)
    if (values->u.arr.items[i].type == KD_STR &&
        !strcmp(values->u.arr.items[i].u.str.s, have))
      in = 1;
  if (!strcmp(op, "In")) return in;
  if (!strcmp(op, "NotIn")) return !in;
  if (!strcmp(op, "Exists")) return have != NULL;
  if (!strcmp(op, "DoesNotExist")) return have == NULL;
  if (!strcmp(op, "Gt")) return num_cmp(have, values, 1);
  if (!strcmp(op, "Lt")) return num_cmp(have, values, 0);
  return 0;
}

static int term_match(const kd_value *term, const kd_value *node)
{
  const kd_value *labels = kd_value_path(node, "metadata.labels");
  const kd_value *me = kd_obj_gets(term, "matchExpressions");
  const kd_value *mf = kd_obj_gets(term, "matchFields");
  size_t i;
  if (!sim_vlen(me) && !sim_vlen(mf)) return 0;   /* an empty term: none */
  for (i = 0; i < sim_vlen(me); i++) {
    const kd_value *r = &me->u.arr.items[i];
    const char *key = sim_vstr(r, "key");
    if (!key || !req_match(r, sim_vkey(labels, key))) return 0;
  }
  for (i = 0; i < sim_vlen(mf); i++) {
    const kd_value *r = &mf->u.arr.items[i];
    const char *key = sim_vstr(r, "key");
    if (!key || strcmp(key, "metadata.name") ||
        !req_match(r, sim_vstr(node, "metadata.name")))
      return 0;
  }
  return 1;
}

int sim_pod_fits_node(const kd_value *pod, const kd_value *node)
{
  const kd_value *sel = kd_value_path(pod, "spec.nodeSelector");
  const kd_value *terms = kd_value_path(pod,
      "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
      ".nodeSelectorTerms");
  size_t i;
  if (!sim_map_match(sel, kd_value_path(node, "metadata.labels"), 1))
    return 0;
  if (!terms) return 1;
  for (i = 0; i < sim_vlen(terms); i++)
    if (term_match(&terms->u.arr.items[i], node)) return 1;
  return 0;
}

