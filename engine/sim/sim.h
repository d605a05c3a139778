/* engine/sim/sim.h: kdeploy sim, a simulated Kubernetes API server in one
 * process: HTTP(S) front end, in-memory object store with resourceVersions
 * and a watch event log, resource registry (built-ins + CRDs), timers.
 * No Lua. This header is the API for the Lua binding (start/run/stop) and
 * for the simulated controllers, which run inside the same process.
 *
 * Threading and re-entrancy (guaranteed):
 * - Everything runs on one thread, in sim_run's poll loop: socket I/O,
 *   timers and store-event callbacks. No locks are needed or taken; none
 *   of these functions may be called from another thread (the one
 *   exception is sim_stop_signal, which is async-signal-safe).
 * - Store mutations (sim_obj_create/update/update_status/delete) may be
 *   called from a timer callback or from a store-event callback. Events
 *   they cause are queued and delivered after the current callback
 *   returns, in resourceVersion order; a subscriber never sees a nested
 *   call into itself.
 * - A store event carries the object as committed; watches over HTTP see
 *   exactly the same sequence of events.
 *
 * Why our own HTTP/1.1 server instead of libmicrohttpd: watches and
 * followed logs are long-lived chunked streams fed from store events on
 * the same thread. With MHD that means external-select mode plus
 * suspend/resume on every event, and its own buffering rules we cannot
 * see into; a poll loop of our own (OpenSSL for TLS, already a dependency)
 * gives us one place that owns every fd, exact control over back-pressure
 * and keep-alive, and a request parser small enough to fuzz
 * (tests/fuzz/sim_http_fuzz.c). */
#ifndef KD_SIM_H
#define KD_SIM_H

#include "kd.h"
#include "value.h"

typedef struct sim sim;
typedef struct sim_resource sim_resource;

/* ---- configuration, lifetime ------------------------------------------ */

typedef struct sim_faults {
  double err500_rate;      /* fraction of resource requests (discovery
                              and /version excluded) answered 500 */
  double err429_rate;      /* fraction answered 429 + Retry-After: 1 */
  int latency_ms;          /* added before every response */
  int watch_drop_s;        /* close every watch stream after N s (0: off) */
  int watch_410;           /* answer every watch resume (rv given) 410 */
} sim_faults;

typedef struct sim_config {
  int port;                /* 0: pick a free port (see sim_port) */
  int nodes;               /* simulated Node objects created at start */
  int tls;                 /* serve HTTPS with a generated CA */
  const char *dir;         /* with tls: ca.crt is written there; NULL ok */
  const char *state_file;  /* load at start, save at stop; NULL: none */
  const char *token;       /* bearer token accepted; NULL: generated */
  size_t max_body;         /* request body limit; 0: 3 MiB like kube */
  size_t watch_cache;      /* events kept for watch resumption; 0: 50000.
                              Older resourceVersions get 410 Expired. */
  int no_controllers;      /* 1: start no plugins (a bare API server) */
  sim_faults faults;
} sim_config;

/* Binds 127.0.0.1, creates the built-in resources, nodes and default
 * namespaces, loads STATE_FILE when it exists. CFG is borrowed (strings
 * copied). Returns owned; free with sim_free. */
sim *sim_new(const sim_config *cfg, kd_error *err);
void sim_free(sim *s);   /* NULL is fine; does not save state */
int sim_port(const sim *s);
const char *sim_token(const sim *s);
/* Kubeconfig YAML for context kdeploy-sim (token user; with TLS also a
 * client-certificate user and context kdeploy-sim-cert). Returns owned. */
char *sim_kubeconfig(const sim *s, kd_error *err);

/* Runs the loop until sim_stop/sim_stop_signal. Returns KD_OK. */
int sim_run(sim *s, kd_error *err);
/* Runs the loop for at most MS milliseconds (tests, embedding). */
int sim_run_for(sim *s, int ms, kd_error *err);
void sim_stop(sim *s);
/* Async-signal-safe: wakes the loop of the most recently created sim and
 * makes sim_run return. */
void sim_stop_signal(void);
/* Saves the state file now (also done by the binding on exit). */
int sim_save(sim *s, kd_error *err);
/* One line per counter: requests served, faults injected, watches. Owned. */
char *sim_report(const sim *s);

/* ---- resources ---------------------------------------------------------- */

/* Registry lookups; results are borrowed and valid until the resource is
 * removed (only CRD-served resources ever are). GROUP "" is the core group.*/
const sim_resource *sim_resource_get(sim *s, const char *group,
                                     const char *version, const char *plural);
const sim_resource *sim_resource_for_kind(sim *s, const char *api_version,
                                          const char *kind);
const char *sim_resource_kind(const sim_resource *r);
const char *sim_resource_plural(const sim_resource *r);
const char *sim_resource_group(const sim_resource *r);
const char *sim_resource_version(const sim_resource *r);
int sim_resource_namespaced(const sim_resource *r);
/* Calls FN for every served resource whose objects are stored apart (a
 * CRD served in several versions comes once). FN returns non-zero to
 * stop; it must not create or delete CRDs. */
typedef int (*sim_res_fn)(void *ctx, const sim_resource *r);
void sim_resource_each(sim *s, sim_res_fn fn, void *ctx);

/* ---- objects ----------------------------------------------------------- */

/* The stored object NS/NAME of R (NS NULL or "" for cluster-scoped), or
 * NULL. Borrowed: valid until the next store mutation; copy what you keep.*/
const kd_value *sim_obj_get(sim *s, const sim_resource *r, const char *ns,
                            const char *name);

/* Calls FN for every object of R in NS (NULL: all namespaces), in
 * namespace/name order. FN returns non-zero to stop. FN must not mutate
 * the store (collect names, then mutate). */
typedef int (*sim_obj_fn)(void *ctx, const kd_value *obj);
void sim_obj_each(sim *s, const sim_resource *r, const char *ns,
                  sim_obj_fn fn, void *ctx);

/* Mutations behave like the REST verbs (same validation, defaulting,
 * resourceVersion, generation, uid, timestamps) and fail with the same
 * HTTP status in err->http_status (409, 404, 422...). OBJ is borrowed.
 * OUT (may be NULL) receives an owned copy of the stored result. */
int sim_obj_create(sim *s, const sim_resource *r, const char *ns,
                   const kd_value *obj, kd_value *out, kd_error *err);
/* Replaces the object (status kept from the stored one, as kube does for
 * resources with a status subresource). A resourceVersion in OBJ must
 * match (409 otherwise); none means unconditional. */
int sim_obj_update(sim *s, const sim_resource *r, const kd_value *obj,
                   kd_value *out, kd_error *err);
/* Replaces only .status (the /status subresource). */
int sim_obj_update_status(sim *s, const sim_resource *r, const kd_value *obj,
                          kd_value *out, kd_error *err);
/* Replaces spec, metadata and status in one write, as kube's internal
 * writes do (a pod binding sets nodeName and the PodScheduled condition). */
int sim_obj_replace(sim *s, const sim_resource *r, const kd_value *obj,
                    kd_value *out, kd_error *err);
/* Deletes with kube semantics: finalizers present -> deletionTimestamp set
 * and the object stays until they are removed. POLICY: "Background",
 * "Foreground", "Orphan" or NULL (the resource's default). */
int sim_obj_delete(sim *s, const sim_resource *r, const char *ns,
                   const char *name, const char *policy, kd_error *err);

/* DELETE's options. grace: gracePeriodSeconds, -1 for the default (pods:
 * spec.terminationGracePeriodSeconds). With SIM_F_KUBELET a scheduled,
 * non-terminal pod deleted with grace > 0 only gets deletionTimestamp =
 * now + grace and deletionGracePeriodSeconds; the kubelet then deletes it
 * again with grace 0, which removes it (finalizers permitting). */
typedef struct sim_delete_opts {
  const char *policy;        /* NULL: Background */
  const char *uid, *rv;      /* preconditions, NULL: none */
  int64_t grace;
  int dry;
} sim_delete_opts;
int sim_obj_delete_opts(sim *s, const sim_resource *r, const char *ns,
                        const char *name, const sim_delete_opts *opts,
                        kd_error *err);
/* Shorthand: sim_obj_delete with gracePeriodSeconds GRACE_S (-1: default).*/
int sim_obj_delete_grace(sim *s, const sim_resource *r, const char *ns,
                         const char *name, const char *policy,
                         int64_t grace_s, kd_error *err);

/* Writes through these functions are recorded in managedFields (operation
 * Update) under a field manager: "kube-controller-manager" unless set here
 * (e.g. "kubelet" around the kubelet's writes; NULL restores the default).*/
void sim_obj_manager(sim *s, const char *manager);

/* ---- store events ------------------------------------------------------ */

enum { SIM_ADDED = 1, SIM_MODIFIED = 2, SIM_DELETED = 3 };

typedef struct sim_event {
  int type;                  /* SIM_ADDED, SIM_MODIFIED, SIM_DELETED */
  const sim_resource *res;
  const kd_value *obj;       /* new object (for DELETED: the last state) */
  const kd_value *old;       /* previous object for MODIFIED, else NULL */
  uint64_t rv;
} sim_event;

/* FN sees every committed change of every resource, in resourceVersion
 * order; values are borrowed for the call. Returns a subscription id > 0.*/
typedef void (*sim_event_fn)(sim *s, void *ctx, const sim_event *ev);
int sim_subscribe(sim *s, sim_event_fn fn, void *ctx);
void sim_unsubscribe(sim *s, int id);

/* ---- timers ------------------------------------------------------------ */

/* Calls FN once after DELAY_MS (0: on the next loop turn). Returns a timer
 * id > 0 for sim_timer_cancel. */
typedef void (*sim_timer_fn)(sim *s, void *ctx);
uint64_t sim_timer_add(sim *s, int64_t delay_ms, sim_timer_fn fn, void *ctx);
void sim_timer_cancel(sim *s, uint64_t id);
/* Monotonic milliseconds; and the wall clock as RFC 3339 ("...Z"), owned.*/
int64_t sim_now_ms(const sim *s);
char *sim_timestamp(const sim *s);

/* ---- pod logs ---------------------------------------------------------- */

/* Appends one line (no newline needed) to the log of NS/POD's CONTAINER,
 * stamped now; followers of that log get it at once. */
int sim_log_append(sim *s, const char *ns, const char *pod,
                   const char *container, const char *line, size_t len);
/* Ends the followed streams of that container (it terminated); its lines
 * stay readable. */
void sim_log_end(sim *s, const char *ns, const char *pod,
                 const char *container);
/* Drops a pod's logs (call when the pod is deleted). */
void sim_log_drop(sim *s, const char *ns, const char *pod);

/* ---- plugins (controllers) ---------------------------------------------- */

/* Work a plugin takes over from the store's built-in simple behaviour:
 * SIM_F_GC: foregroundDeletion/orphan finalizers and ownerReference
 *   dependents are left to the plugin (otherwise the store drops those two
 *   finalizers at once and deletes no dependents);
 * SIM_F_KUBELET: deleting a pod with a grace period only sets
 *   deletionTimestamp/deletionGracePeriodSeconds (otherwise immediate);
 * SIM_F_NAMESPACES: deleting a namespace marks it Terminating and the
 *   plugin empties it and removes the "kubernetes" finalizer (otherwise the
 *   store deletes its contents and the namespace at once). */
enum { SIM_F_GC = 1, SIM_F_KUBELET = 2, SIM_F_NAMESPACES = 4 };
void sim_features_set(sim *s, unsigned flags);

/* A plugin starts after the store is ready and stops before it is freed.
 * The list is in sim_plugins.c; add one line per plugin. */
typedef struct sim_plugin {
  const char *name;
  int (*start)(sim *s, void **state, kd_error *err);
  void (*stop)(sim *s, void *state);
} sim_plugin;
/* The state of the started plugin NAME (what its start stored), or NULL:
 * how plugins use each other's services. Borrowed. */
void *sim_plugin_state(sim *s, const char *name);

#endif
