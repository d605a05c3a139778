/* engine/sim/sim_ctrl_pods.c: what the workload controllers (ReplicaSet,
 * Job, StatefulSet, DaemonSet) share about pods: activity, readiness,
 * availability, creation from a template and deletion, with the Events
 * kube's PodControl records. */
#include "sim_ctrl.h"

#include <stdio.h>
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
