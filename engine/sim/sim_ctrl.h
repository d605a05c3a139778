/* engine/sim/sim_ctrl.h: the toolkit the simulated controllers share
 * (sim_ctrl_*.c): field access on objects, copies of store lists, work
 * queues, owner references, label selectors, status conditions, Events,
 * durations and kube's hash names. Built on sim.h only; no Lua.
 *
 * Controllers follow kube-controller-manager's shape: a store-event
 * callback maps each change to the keys (namespace/name) of the objects
 * to reconcile and queues them; the queue calls a sync function once per
 * key on the next loop turn, which reads the current state from the store
 * and writes the difference. Syncs are level-triggered and idempotent, so
 * a write that changes nothing (the store does not bump resourceVersions
 * for no-ops) ends the cycle. */
#ifndef KD_SIM_CTRL_H
#define KD_SIM_CTRL_H

#include "sim.h"

/* ---- fields: PATH is a dotted chain of object keys -------------------- */

/* The string at PATH, or NULL (absent or not a string). Borrowed. */
const char *sim_vstr(const kd_value *v, const char *path);
/* The integer at PATH, or DFLT. */
int64_t sim_vint(const kd_value *v, const char *path, int64_t dflt);
/* The boolean at PATH, or DFLT. */
int sim_vbool(const kd_value *v, const char *path, int dflt);
/* Setters make missing objects along PATH; they replace what is there. */
void sim_vset_str(kd_value *v, const char *path, const char *s);
void sim_vset_int(kd_value *v, const char *path, int64_t i);
void sim_vset_bool(kd_value *v, const char *path, int b);
void sim_vset_null(kd_value *v, const char *path);
/* Removes the member at PATH (no-op when absent). */
void sim_vdel(kd_value *v, const char *path);
/* The object / array at PATH, made (replacing a value of another type)
 * when missing. Borrowed from V; valid until V changes shape. */
kd_value *sim_vobj(kd_value *v, const char *path);
kd_value *sim_varr(kd_value *v, const char *path);
/* Length of an array (0 for anything else). */
size_t sim_vlen(const kd_value *arr);
/* Map access with a literal key (label keys contain dots). */
const char *sim_vkey(const kd_value *map, const char *key);
void sim_vset_key(kd_value *map, const char *key, const char *val);
void sim_vdel_key(kd_value *map, const char *key);
/* Appends a copy of the string S to array A. */
void sim_vpush_str(kd_value *a, const char *s);

/* ---- lists ------------------------------------------------------------- */

/* Accepts or rejects one object of a list. */
typedef int (*sim_filter_fn)(void *ctx, const kd_value *obj);
/* Fills OUT (overwritten) with an array of copies of R's objects in NS
 * (NULL: all) that FILTER accepts (NULL: all), in namespace/name order.
 * Copies, so the caller may mutate the store while walking them. */
void sim_list(sim *s, const sim_resource *r, const char *ns,
              sim_filter_fn filter, void *ctx, kd_value *out);
/* Filter: objects whose controller reference has the uid CTX. */
int sim_filter_owned(void *ctx, const kd_value *obj);
/* A resource by group/plural (any served version), or NULL. */
const sim_resource *sim_res(sim *s, const char *group, const char *plural);

/* ---- work queues --------------------------------------------------------*/

typedef struct sim_queue sim_queue;
/* Reconciles NS/NAME (NS "" for cluster-scoped objects). */
typedef void (*sim_sync_fn)(sim *s, void *ctx, const char *ns,
                            const char *name);
/* A queue calling FN(s, CTX, ...) once per queued key on the next loop
 * turn. Returns owned (NULL when out of memory); free with sim_queue_free,
 * which cancels its timers. */
sim_queue *sim_queue_new(sim *s, sim_sync_fn fn, void *ctx);
void sim_queue_free(sim_queue *q);
/* Queues NS/NAME (duplicates fold into one sync). */
void sim_queue_add(sim_queue *q, const char *ns, const char *name);
/* Queues NS/NAME after MS milliseconds (an earlier pending request wins). */
void sim_queue_add_after(sim_queue *q, const char *ns, const char *name,
                         int64_t ms);
/* Queues the key of the stored object OBJ (its namespace and name). */
void sim_queue_add_obj(sim_queue *q, const kd_value *obj);
/* Queues the controller of OBJ (its controller reference's name, in
 * OBJ's namespace) when that controller is of KIND: how a controller
 * hears that an object it owns changed. */
void sim_queue_add_owner(sim_queue *q, const kd_value *obj, const char *kind);
/* Queues every object of R. */
void sim_queue_add_all(sim_queue *q, const sim_resource *r);

/* Starts a queue-driven controller whose state is CTX: *Q gets a queue
 * calling SYNC(s, CTX, ...), *SUB the subscription of ON_EVENT with CTX,
 * and every object of R is queued. Returns KD_OK, or KD_ENOMEM with ERR
 * set and nothing left to undo. */
int sim_ctrl_begin(sim *s, void *ctx, sim_sync_fn sync, sim_event_fn on_event,
                   const sim_resource *r, sim_queue **q, int *sub,
                   kd_error *err);
/* Ends what sim_ctrl_begin started (Q may be NULL). */
void sim_ctrl_end(sim *s, sim_queue *q, int sub);

/* ---- string maps ---------------------------------------------------------*/

typedef struct sim_map sim_map;
/* A hash map from strings to strings (both copied). Returns owned, NULL
 * when out of memory; free with sim_map_free. */
sim_map *sim_map_new(void);
void sim_map_free(sim_map *m);   /* NULL is fine */
/* The value of KEY or NULL. Borrowed until the next change of M. */
const char *sim_map_get(const sim_map *m, const char *key);
/* Sets KEY to VAL (replacing). Returns KD_OK or KD_ENOMEM. */
int sim_map_put(sim_map *m, const char *key, const char *val);
void sim_map_del(sim_map *m, const char *key);
size_t sim_map_len(const sim_map *m);
void sim_map_clear(sim_map *m);

/* ---- owner references ---------------------------------------------------*/

/* The ownerReference of OBJ with controller: true, or NULL. Borrowed. */
const kd_value *sim_controller_ref(const kd_value *obj);
/* 1 when OBJ's controller reference has UID. */
int sim_controlled_by(const kd_value *obj, const char *uid);
/* Sets in OBJ a controller reference to OWNER (a stored object with
 * apiVersion, kind, name, uid), blockOwnerDeletion: true, as controllers'
 * NewControllerRef does; other owner references are kept. */
void sim_set_controller(kd_value *obj, const kd_value *owner);

/* ---- label selectors -----------------------------------------------------*/

/* metav1.LabelSelector SEL (matchLabels, matchExpressions) against the
 * label map LABELS (may be NULL). An absent/null selector matches
 * nothing, an empty one everything (LabelSelectorAsSelector). */
int sim_lsel_match(const kd_value *sel, const kd_value *labels);
/* A map selector (Service.spec.selector, nodeSelector): every pair must
 * be in LABELS. EMPTY_MATCHES says what an empty/absent map does. */
int sim_map_match(const kd_value *sel, const kd_value *labels,
                  int empty_matches);

/* ---- conditions (status.conditions of OBJ) -------------------------------*/

enum {
  SIM_COND_UPDATE_TIME = 1,  /* keep lastUpdateTime (Deployment style) */
  SIM_COND_PROBE_TIME = 2,   /* set lastProbeTime to now (Job style) */
  SIM_COND_NULL_PROBE = 4,   /* lastProbeTime: null (Pod style) */
  SIM_COND_IN_PLACE = 8      /* replace where it is instead of moving the
                                condition to the end */
};
/* The condition TYPE of OBJ or NULL. Borrowed. */
kd_value *sim_cond_get(const kd_value *obj, const char *type);
/* Sets condition TYPE in OBJ: a no-op when status, reason and message are
 * the same; lastTransitionTime kept when only reason/message change. NOW
 * is an RFC 3339 time. REASON/MSG may be NULL (omitted). Returns 1 when
 * something changed. */
int sim_cond_set(kd_value *obj, const char *type, const char *status,
                 const char *reason, const char *msg, unsigned flags,
                 const char *now);
void sim_cond_del(kd_value *obj, const char *type);
/* 1 when condition TYPE of OBJ has status "True". */
int sim_cond_true(const kd_value *obj, const char *type);

/* ---- pods (sim_ctrl_pods.c) --------------------------------------------*/

/* Not finished (Succeeded/Failed) and not being deleted (FilterActivePods). */
int sim_pod_active(const kd_value *pod);
/* Condition Ready is True. */
int sim_pod_ready(const kd_value *pod);
/* Ready for MIN_READY_S seconds by NOW_MS (wall clock). A pod that is
 * ready but not yet available lowers *WAIT_MS (if not NULL) to the time
 * until it is. */
int sim_pod_available(const kd_value *pod, int64_t min_ready_s,
                      int64_t now_ms, int64_t *wait_ms);
/* Fills POD (overwritten) with a pod made from pod template TMPL of
 * OWNER (a stored workload; controller reference set), named NAME, or
 * with generateName PREFIX when NAME is NULL. */
void sim_pod_from_template(kd_value *pod, const kd_value *tmpl,
                           const kd_value *owner, const char *name,
                           const char *prefix);
/* Creates POD in NS and records SuccessfulCreate (or FailedCreate) about
 * OWNER from COMPONENT with kube's message. Returns KD_OK or the error. */
int sim_pod_create(sim *s, const kd_value *owner, const char *ns,
                   const kd_value *pod, const char *component);
/* Deletes pod NAME of OWNER and records SuccessfulDelete / FailedDelete. */
int sim_pod_delete(sim *s, const kd_value *owner, const char *ns,
                   const char *name, const char *component);

/* The first taint of NODE (NoSchedule/NoExecute) POD does not tolerate,
 * or NULL. POD is a pod or pod template (an object with spec). */
const kd_value *sim_pod_untolerated(const kd_value *pod, const kd_value *node);
/* POD's nodeSelector and required node affinity (matchExpressions on
 * labels, matchFields on metadata.name) accept NODE. */
int sim_pod_fits_node(const kd_value *pod, const kd_value *node);

/* ---- ControllerRevisions (sim_ctrl_rev.c: StatefulSet, DaemonSet) ------ */

/* Fills REVS (overwritten) with copies of OWNER's ControllerRevisions,
 * lowest revision first. */
void sim_revisions(sim *s, const kd_value *owner, kd_value *revs);
/* The revision of OWNER's current pod template: found in REVS (its number
 * raised past the others when it is an old one coming back, as a rollback
 * does) or created. NAME gets "<owner>-<hash>" (room for 320 bytes), HASH
 * the hash alone (16). Returns the revision number, or -1 on failure. */
int64_t sim_revision_current(sim *s, const kd_value *owner, kd_value *revs,
                             char *name, char *hash);
/* Deletes the oldest revisions past revisionHistoryLimit that no pod of
 * PODS uses (by label controller-revision-hash, as name or hash) and that
 * are neither KEEP1 nor KEEP2. */
void sim_revisions_prune(sim *s, const kd_value *owner, const kd_value *revs,
                         const kd_value *pods, const char *keep1,
                         const char *keep2);

/* ---- Events ---------------------------------------------------------------*/

/* Records a core/v1 Event about OBJ (a stored object: apiVersion, kind,
 * metadata) in its namespace ("default" for cluster-scoped objects), as
 * kube's event recorder does: a repeat of the same object, reason and
 * message bumps count and lastTimestamp. TYPE "Normal" or "Warning";
 * COMPONENT the reporting controller ("kubelet", "deployment-controller");
 * HOST a node name or NULL; FIELD a fieldPath ("spec.containers{web}") or
 * NULL. */
void sim_record(sim *s, const kd_value *obj, const char *type,
                const char *reason, const char *component, const char *host,
                const char *field, const char *fmt, ...)
#ifdef __GNUC__
  __attribute__((format(printf, 8, 9)))
#endif
  ;

/* ---- time, numbers, names ----------------------------------------------*/

/* Milliseconds of a duration: "1.5s", "300ms", "2m", "1h", "3" (seconds);
 * DFLT when S is NULL or malformed. */
int64_t sim_parse_ms(const char *s, int64_t dflt);
/* Wall-clock milliseconds of an RFC 3339 time, -1 when malformed. */
int64_t sim_time_ms(const char *rfc3339);
/* RFC 3339 (seconds, "Z") of wall-clock milliseconds. Returns owned. */
char *sim_time_str(int64_t wall_ms);
/* An IntOrString V (int, or "25%") of TOTAL, rounding percentages up or
 * down; DFLT when V is absent. */
int64_t sim_scaled(const kd_value *v, int64_t total, int round_up,
                   int64_t dflt);
/* kube's template hash: FNV-32a over V's canonical JSON (and COLLISION
 * when >= 0), its decimal digits mapped into kube's safe alphabet (as
 * rand.SafeEncodeString does). OUT holds at least 16 bytes. */
void sim_hash(const kd_value *v, int64_t collision, char *out);
/* Random lowercase hex, N characters, into OUT (room for N + 1). */
void sim_hex(char *out, size_t n);

/* ---- time zones (sim_tz.c) -----------------------------------------------*/

typedef struct sim_tz sim_tz;
/* The IANA zone NAME from $ZONEINFO or /usr/share/zoneinfo, as Go's
 * time.LoadLocation finds it ("UTC" needs no file). Returns owned (free
 * with sim_tz_free), or NULL with Go's message appended to WHY ("unknown
 * time zone NAME"). */
sim_tz *sim_tz_load(const char *name, kd_buf *why);
/* A zone from the bytes of a TZif file (borrowed); NULL when malformed
 * or out of memory. */
sim_tz *sim_tz_parse(const void *data, size_t len);
void sim_tz_free(sim_tz *z);   /* NULL is fine */
/* The UTC offset (seconds east) of Z at instant T; Z NULL: UTC. */
int32_t sim_tz_offset(const sim_tz *z, int64_t t);
/* The instant of local wall time LOCAL (seconds as if UTC) in Z, resolved
 * as Go's time.Date resolves times in a gap or an overlap. */
int64_t sim_tz_local_to_utc(const sim_tz *z, int64_t local);

/* ---- cron schedules (sim_cron.c) ------------------------------------------*/

typedef struct sim_cron {
  uint64_t minutes, hours, dom, months, dow; /* bit N: value N allowed */
  int dom_star, dow_star;                    /* the day field was * or ? */
  sim_tz *tz;                                /* owned; NULL: UTC */
} sim_cron;
/* Parses a CronJob schedule into *C, with a leading TZ=ZONE or
 * CRON_TZ=ZONE as the Go cron parser takes it. Returns 0, or -1 with the
 * parser's message appended to WHY. Free *C with sim_cron_free either way. */
int sim_cron_parse(const char *spec, sim_cron *c, kd_buf *why);
void sim_cron_free(sim_cron *c);
/* The first activation strictly after AFTER (Unix seconds), in the wall
 * time of C->tz (DST gaps skip, overlaps repeat, as robfig/cron's
 * SpecSchedule.Next), or -1 when there is none within five years. */
int64_t sim_cron_next(const sim_cron *c, int64_t after);

/* ---- the plugins (listed in sim_plugins.c) --------------------------------*/

#define SIM_CTRL_PLUGIN(name)                                               \
  int sim_##name##_start(sim *s, void **state, kd_error *err);              \
  void sim_##name##_stop(sim *s, void *state)
SIM_CTRL_PLUGIN(events);
SIM_CTRL_PLUGIN(sched);
SIM_CTRL_PLUGIN(kubelet);
SIM_CTRL_PLUGIN(rs);
SIM_CTRL_PLUGIN(deploy);
SIM_CTRL_PLUGIN(gc);
SIM_CTRL_PLUGIN(ns);
SIM_CTRL_PLUGIN(job);
SIM_CTRL_PLUGIN(cronjob);
SIM_CTRL_PLUGIN(sts);
SIM_CTRL_PLUGIN(ds);
SIM_CTRL_PLUGIN(storage);
SIM_CTRL_PLUGIN(svc);

#endif
