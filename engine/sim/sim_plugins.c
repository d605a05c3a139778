/* engine/sim/sim_plugins.c: the plugins started with every sim (see
 * sim_plugin in sim.h). Controllers add one line each. */
#include "sim_int.h"
#include "sim_ctrl.h"

const sim_plugin sim_plugins[] = {
  {"events", sim_events_start, sim_events_stop},   /* first: others use it */
  {"scheduler", sim_sched_start, sim_sched_stop},
  {"kubelet", sim_kubelet_start, sim_kubelet_stop},
  {"replicaset", sim_rs_start, sim_rs_stop},
  {"deployment", sim_deploy_start, sim_deploy_stop},
  {"job", sim_job_start, sim_job_stop},
  {"cronjob", sim_cronjob_start, sim_cronjob_stop},
  {"statefulset", sim_sts_start, sim_sts_stop},
  {"daemonset", sim_ds_start, sim_ds_stop},
  {"storage", sim_storage_start, sim_storage_stop},
  {"service", sim_svc_start, sim_svc_stop},
  {"garbage-collector", sim_gc_start, sim_gc_stop},
  {"namespace", sim_ns_start, sim_ns_stop},
  {0, 0, 0}
};
