/* engine/sim/sim_ctrl_kubelet.h: the simulated kubelet's model of the
 * pods on its nodes, shared by sim_ctrl_kubelet.c (the lifecycle: pulls,
 * starts, probes, exits, restarts, termination) and sim_ctrl_podstatus.c
 * (scripts read from image and env, image names, the pod status written
 * back). Not an API outside these two files. */
#ifndef KD_SIM_CTRL_KUBELET_H
#define KD_SIM_CTRL_KUBELET_H

#include "sim_ctrl.h"

enum { C_WAITING, C_RUNNING, C_TERMINATED };
enum { P_SANDBOX, P_INIT, P_MAIN, P_DONE, P_KILLING };

/* What a container does, from its image and SIM_* env (README). Times in
 * ms; -1: never. */
typedef struct kscript {
  int pull_error, crash, never_ready;
  int startup_exit;        /* exits while starting: never ready, no probe */
  int64_t ready_after, unready_after, run_for, log_every, term_after;
  int exit_code;
  char *log;               /* SIM_LOG, owned */
} kscript;

typedef struct kpod kpod;

typedef struct kcont {
  kpod *p;
  char *name, *image, *ref;   /* spec image, normalised reference */
  int init, sidecar, has_probe;
  kscript sc;
  int st;                     /* C_* */
  char reason[40];
  char *message;              /* waiting/terminated message, owned */
  int code;                   /* exit code when terminated */
  char *started_at, *finished_at;
  char cid[80];               /* containerID, "" before the first create */
  int ready, started, restarts, crashes, pull_fails, action, probe_failing;
  int64_t ticks;
  kd_value last;              /* lastState ({} or {terminated: ...}) */
  kd_value pending_last;      /* the termination lastState shows next */
  uint64_t t_life, t_ready, t_tick;
} kcont;

typedef struct kubelet kubelet;

struct kpod {
  kubelet *k;
  char *ns, *name, *uid, *node;
  char *ip, *host_ip, *start_time;
  kcont *c;                   /* init containers first */
  size_t n, n_init, init_i;
  int stage, sandbox, failed_init, action;
  const char *restart_policy;  /* static: "Always", "OnFailure", "Never" */
  uint64_t timer;
  kpod *next;
};

struct kubelet {
  sim *s;
  int sub;
  sim_queue *q;
  const sim_resource *pods, *nodes, *cms, *secrets;
  kpod *list;
  kd_value images;            /* node name -> array of pulled references */
  kd_value next_ip;           /* node name -> last host octet given */
};

/* sim_ctrl_podstatus.c */
/* Fills SC from container spec C (image, env) of a pod with RESTART
 * policy; INIT/SIDECAR tell the container's kind. */
void sim_kl_script(kscript *sc, const kd_value *c, const char *restart,
                   int init, int sidecar);
void sim_kl_script_free(kscript *sc);
/* Docker-style normalisation: "nginx" -> "docker.io/library/nginx:latest".
 * Returns owned. */
char *sim_kl_image_ref(const char *image);
/* A stable fake digest reference for REF ("docker.io/library/nginx@sha256:
 * ..."). Returns owned. */
char *sim_kl_image_id(const char *ref);
/* Writes the status of P into a copy of the stored POD and stores it. */
void sim_kl_publish(kpod *p);
/* Pod phase of the model ("Pending", "Running", "Succeeded", "Failed"). */
const char *sim_kl_phase(const kpod *p);

#endif
