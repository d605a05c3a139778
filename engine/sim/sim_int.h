/* engine/sim/sim_int.h: what the sim_*.c files share. Not a public API:
 * controllers use sim.h. */
#ifndef KD_SIM_INT_H
#define KD_SIM_INT_H

#include "sim.h"
#include "sim_http.h"
#include "sim_patch.h"

#include <openssl/ssl.h>

/* A refcounted immutable byte string: an object's JSON, shared by the
 * object and the watch event log. */
typedef struct sim_blob {
  int refs;
  size_t len;
  char data[];
} sim_blob;
sim_blob *sim_blob_new(const char *p, size_t len);
sim_blob *sim_blob_ref(sim_blob *b);
void sim_blob_unref(sim_blob *b);

typedef struct sim_obj {
  char *ns, *name;      /* ns "" for cluster-scoped */
  kd_value v;
  sim_blob *json;       /* encoding of v (NULL until needed) */
  uint64_t rv;
} sim_obj;

/* Objects of one resource (shared by every served version of a CRD),
 * sorted by (ns, name). */
typedef struct sim_table {
  sim_obj **items;
  size_t len, cap;
  int refs;
} sim_table;

struct sim_resource {
  char *group, *version, *plural, *singular, *kind, *list_kind;
  char *short_names;    /* comma-separated, may be "" */
  char *categories;     /* comma-separated, may be "" */
  int namespaced, has_status, has_scale, generation;
  char *crd;            /* name of the CRD serving it, NULL for built-ins */
  sim_table *table;
  struct sim_resource *next;
};

typedef struct sim_timer {
  uint64_t id;
  int64_t when;
  sim_timer_fn fn;
  void *ctx;
  int cancelled;
} sim_timer;

typedef struct sim_sub {
  int id;
  sim_event_fn fn;
  void *ctx;
} sim_sub;

/* A queued store event: owns copies so that dispatch can happen after the
 * mutation returns (see sim.h on re-entrancy). */
typedef struct sim_qev {
  int type;
  sim_resource *res;
  kd_value obj, old;
  int has_old;
  sim_blob *json;
  uint64_t rv;
} sim_qev;

/* One entry of the watch event log (replayed to watches from an rv). */
typedef struct sim_logev {
  uint64_t rv;
  sim_table *table;
  char *ns;
  int type;
  sim_blob *json;
} sim_logev;

typedef struct sim_selector sim_selector;

typedef struct sim_conn sim_conn;
typedef struct sim_watch {
  sim_conn *conn;
  sim_resource *res;
  char *ns;                  /* NULL: all namespaces */
  sim_selector *labels, *fields;
  int bookmarks;
  int table, include;        /* events as Table rows (kubectl get -w) */
  uint64_t timeout_timer, bookmark_timer, drop_timer;
  int zombie;                /* freed while events were being sent */
} sim_watch;

typedef struct sim_logfollow sim_logfollow;

struct sim_conn {
  int fd;
  SSL *ssl;
  int handshaken;
  kd_buf in;
  kd_buf out;
  size_t out_off;
  int close_after;           /* close once out is flushed */
  int dead;                  /* closed; freed at the end of the turn */
  int want_write_ssl;        /* SSL_read asked for POLLOUT */
  int read_eof;              /* the client shut its side down */
  int64_t last_in;           /* when bytes last arrived (monotonic ms) */
  int busy;                  /* a delayed request is pending (latency) */
  sim_watch *watch;          /* streaming a watch */
  sim_logfollow *follow;     /* streaming a log */
  int chunked;               /* streaming response uses chunks */
  int sent_continue;         /* "100 Continue" sent for the pending head */
  uint64_t delay_timer;      /* latency fault: timer of the pending request */
  sim_req pending;           /* the request that timer will handle */
  sim_conn *next;
};

typedef struct sim_loglines sim_loglines;

struct sim {
  sim_config cfg;
  char *dir, *state_file, *token;
  int listen_fd, port;
  int64_t accept_pause;      /* no accept() until then (out of fds) */
  SSL_CTX *ssl_ctx;
  char *ca_pem, *client_cert_pem, *client_key_pem;
  sim_conn *conns;
  int stop;
  int wake[2];
  /* registry and store */
  sim_resource *resources;
  sim_resource *dead;        /* removed CRD resources, freed after dispatch */
  uint64_t rv;
  sim_logev *log;            /* ring buffer */
  size_t log_cap, log_start, log_len, log_bytes;
  uint64_t log_min_rv;       /* oldest rv a watch may resume from */
  sim_qev *queue;
  size_t q_len, q_cap;
  int dispatching;
  sim_sub *subs;
  size_t n_subs;
  int next_sub;
  /* watches currently streaming */
  sim_watch **watches;
  size_t n_watches, watches_cap;
  int watch_iter;            /* sim_watch_event is walking s->watches */
  /* timers: binary heap */
  sim_timer **timers;
  size_t n_timers, timers_cap;
  uint64_t next_timer;
  /* logs */
  sim_loglines *logs;
  /* plugins */
  void **plugin_state;
  uint64_t rng;
  /* counters */
  uint64_t n_requests, n_500, n_429, n_delayed, n_watch_dropped, n_watch_410;
  uint64_t n_watches_total, n_events_sent;
  /* Status details of the last error (see sim_status.c) */
  char errd_reason[64];
  kd_value errd_details;
  unsigned features;         /* SIM_F_* set by plugins */
  /* managedFields tracking of the write in progress (sim_patch_track_update
   * after defaulting); NULL: none. track_done: the patch already did it. */
  const sim_patch_ctx *track;
  int track_done;
  char *manager;             /* field manager of writes through sim.h */
  const char *last_name;     /* name of the last object created (borrowed,
                                valid until the next store mutation) */
  kd_buf warnings;           /* Warning header lines of the answer being
                                made (sim_respond sends and clears them) */
};

/* sim_loop.c */
int64_t sim_clock_ms(void);
void sim_dispatch(sim *s);
uint64_t sim_rand(sim *s);

/* sim_server.c: connections */
int sim_server_listen(sim *s, kd_error *err);
int sim_server_turn(sim *s, int timeout_ms);
void sim_conn_close(sim *s, sim_conn *c);
void sim_server_close(sim *s);
void sim_conn_flush(sim *s, sim_conn *c);
/* Handles requests buffered behind a stream that just ended. */
void sim_conn_resume(sim *s, sim_conn *c);
/* Queues a complete response. HEADERS: extra "Name: value\r\n" lines. */
void sim_respond(sim *s, sim_conn *c, int status, const char *ctype,
                 const char *headers, const char *body, size_t len);
/* Starts a chunked streaming response, then sends chunks. */
void sim_stream_start(sim *s, sim_conn *c, const char *ctype);
void sim_stream_chunk(sim *s, sim_conn *c, const char *p, size_t len);
void sim_stream_end(sim *s, sim_conn *c);

/* sim_registry.c */
int sim_registry_init(sim *s, kd_error *err);
void sim_registry_free(sim *s);
sim_resource *sim_res_find(sim *s, const char *group, const char *version,
                           const char *plural);
sim_resource *sim_res_by_kind(sim *s, const char *group, const char *kind);
/* Serves (or stops serving) the resources a CRD object declares. */
int sim_crd_sync(sim *s, const kd_value *crd, kd_error *err);
void sim_crd_remove(sim *s, const char *crd_name);
void sim_registry_reap(sim *s);
const char *sim_res_gvstr(const sim_resource *r, char *buf, size_t n);

/* sim_store.c */
sim_obj *sim_table_find(sim_table *t, const char *ns, const char *name,
                        size_t *pos);
sim_blob *sim_obj_json(sim_obj *o);
int sim_store_create(sim *s, sim_resource *r, const char *ns, kd_value *obj,
                     int dry, kd_value *out, kd_error *err);
/* MODE: 0 whole object (status kept when the resource has /status),
 * 1 only status, 2 everything (internal: finalizer removal etc.). */
int sim_store_update(sim *s, sim_resource *r, const char *ns,
                     const char *name, kd_value *obj, int mode, int dry,
                     kd_value *out, kd_error *err);
/* *DELETED: 1 when the object is gone, 0 when it only got a
 * deletionTimestamp (finalizers pending). OUT: its last state. */
int sim_store_delete(sim *s, sim_resource *r, const char *ns,
                     const char *name, const sim_delete_opts *opts,
                     kd_value *out, int *deleted, kd_error *err);
/* The openAPIV3Schema of the CRD version serving R, or NULL (borrowed
 * from the store). */
const kd_value *sim_crd_schema(sim *s, const sim_resource *r);
/* sim_defaults.c: fields the real API server defaults (OLD: the stored
 * object on update, else NULL). */
void sim_defaults(sim *s, sim_resource *r, kd_value *obj, const kd_value *old);
void sim_store_free(sim *s);
int sim_ns_exists(sim *s, const char *ns);
/* Event log lookup: index of the first entry with rv > RV, or -1 when RV
 * is older than the log keeps (410). */
long sim_log_from(sim *s, uint64_t rv);
sim_logev *sim_log_at(sim *s, size_t i);

/* sim_status.c: kube Status errors. Mutations fill a kd_error (code
 * KD_EHTTP, http_status, message) and record the Status reason and details
 * in the sim (one slot: the sim is single-threaded); sim_send_error sends
 * both and clears the slot. */
typedef struct sim_verr { kd_value causes; } sim_verr;
int sim_fail(sim *s, kd_error *err, int http, const char *reason,
             const char *fmt, ...)
#ifdef __GNUC__
  __attribute__((format(printf, 5, 6)))
#endif
  ;
void sim_errd_reset(sim *s);
void sim_errd_set(sim *s, const char *name, const sim_resource *r);
int sim_err_notfound(sim *s, kd_error *err, const sim_resource *r,
                     const char *name);
int sim_err_exists(sim *s, kd_error *err, const sim_resource *r,
                   const char *name);
int sim_err_conflict(sim *s, kd_error *err, const sim_resource *r,
                     const char *name, const char *why);
int sim_err_bad(sim *s, kd_error *err, const char *msg);
void sim_verr_add(sim_verr *v, const char *reason, const char *field,
                  const char *fmt, ...)
#ifdef __GNUC__
  __attribute__((format(printf, 4, 5)))
#endif
  ;
/* Turns collected causes into a 422 Invalid error (KD_OK when none). */
int sim_verr_finish(sim *s, sim_verr *v, const sim_resource *r,
                    const char *name, kd_error *err);
void sim_status_json(kd_buf *b, int http, const char *reason,
                     const char *message, const kd_value *det);
void sim_send_status(sim *s, sim_conn *c, int http, const char *reason,
                     const char *message, const kd_value *details);
void sim_send_error(sim *s, sim_conn *c, const kd_error *err);
const char *sim_reason_for(int http);

/* sim_select.c */
sim_selector *sim_selector_parse(const char *text, int fields, kd_error *err);
int sim_selector_match(const sim_selector *sel, const kd_value *obj);
void sim_selector_free(sim_selector *sel);

/* sim_validate.c */
void sim_validate(sim *s, sim_resource *r, const kd_value *obj,
                  const kd_value *old, sim_verr *v);
int sim_valid_subdomain(const char *s);
int sim_valid_label(const char *s);

/* sim_api.c / sim_discovery.c / sim_watch.c / sim_logs.c */
void sim_api_handle(sim *s, sim_conn *c, sim_req *req);
int sim_discovery_handle(sim *s, sim_conn *c, sim_req *req);
int sim_openapi_handle(sim *s, sim_conn *c, sim_req *req);
/* The /openapi/v2 document of the served resources appended to OUT, as
 * gnostic openapi.v2.Document protobuf or as JSON (sim_openapi2.c). */
void sim_openapi2_proto(sim *s, kd_buf *out);
void sim_openapi2_json(sim *s, kd_buf *out);
void sim_watch_start(sim *s, sim_conn *c, sim_req *req, sim_resource *r,
                     const char *ns);
void sim_watch_free(sim *s, sim_watch *w);
void sim_watch_close_res(sim *s, const sim_resource *r);
void sim_watch_event(sim *s, const sim_qev *ev);
void sim_logs_handle(sim *s, sim_conn *c, sim_req *req, const char *ns,
                     const char *pod);
void sim_logs_free(sim *s);
void sim_follow_free(sim *s, sim_logfollow *f);

/* sim_table.c: meta.k8s.io/v1 Table output (server-side printing) */
int sim_table_wanted(const sim_req *req);
int sim_table_include(const sim_req *req);   /* 0 None, 1 Metadata, 2 Object */
void sim_table_begin(sim *s, kd_buf *b, const sim_resource *r, uint64_t rv,
                     const char *cont);
void sim_table_row(sim *s, kd_buf *b, const sim_resource *r,
                   const kd_value *o, const char *json, size_t len,
                   int include, int first);
void sim_table_end(kd_buf *b);

/* sim_tls.c */
int sim_tls_init(sim *s, kd_error *err);

/* sim_api.c: the JSON of O as served through R (a reference: unref it);
 * sim_list.c: the list verb on RES in namespace REQ_NS ("" for all). */
sim_blob *sim_api_json_for(sim *s, sim_resource *r, sim_obj *o);
void sim_api_list(sim *s, sim_conn *c, sim_req *req, sim_resource *res,
                  const char *req_ns);

/* sim_strict.c: the fields of OBJ (served through built-in resource R)
 * that its Go type does not have: their paths ("spec.a[0].b"), each with
 * its NUL, appended to PATHS in the order met; removes them from OBJ when
 * PRUNE. Returns how many (0 for kinds it has no table of) or KD_ENOMEM. */
int sim_strict_unknown(const sim_resource *r, kd_value *obj, int prune,
                       kd_buf *paths);
enum { SIM_FV_IGNORE, SIM_FV_WARN, SIM_FV_STRICT };
/* The request's fieldValidation (Warn when absent) into *MODE; a value
 * kube does not know is answered with a 422 naming OPTIONS
 * ("CreateOptions"...) and returns 1. */
int sim_field_validation(sim *s, sim_conn *c, const sim_req *req,
                         const char *options, int *mode);
/* Unknown fields of OBJ (a request body, or an applied configuration when
 * APPLY) under MODE: Strict answers 400 as kube words it and returns 1;
 * Warn adds a Warning header per field to the answer; Warn and Ignore drop
 * them from OBJ. Returns 0 when the request goes on. */
int sim_unknown_fields(sim *s, sim_conn *c, const sim_resource *r,
                       kd_value *obj, int mode, int apply);
/* The same for OBJ made by a merge, JSON or strategic patch (SMP: the
 * strategic patch, borrowed; NULL for the others): Strict answers kube's
 * 422 Invalid naming the patch as the invalid value. */
int sim_unknown_fields_patch(sim *s, sim_conn *c, const sim_resource *r,
                             kd_value *obj, int mode, const kd_value *smp);

/* sim_types.c: the first value of OBJ (served through built-in resource
 * R) that its Go field cannot hold, worded as kube's JSON decoder does for
 * create, update, merge and JSON patches (CONV 0: "json: cannot unmarshal
 * string into Go struct field DeploymentSpec.spec.replicas of type
 * int32") or as its unstructured converter does for strategic merge
 * patches (CONV 1: "unrecognized type: int32"; integral floats of integer
 * fields become integers in OBJ), appended to MSG. Returns 1 when found,
 * 0 when none (always for kinds without tables and custom resources),
 * KD_ENOMEM. */
int sim_type_error(const sim_resource *r, kd_value *obj, int conv,
                   kd_buf *msg);
/* A YAML body as kube reads it: YAMLToJSON re-encodes floats with Go's
 * shortest form, so an integral one (3.0) reaches the JSON decoder as an
 * integer (3). Turns V's integral floats into integers. */
void sim_types_yaml_numbers(kd_value *v);

/* sim_gofmt.c: Go's %v of decoded JSON (map[k:v] sorted, [a b], <nil>)
 * and strconv.Quote, appended to B. KD_OK or KD_ENOMEM. */
int sim_go_value(const kd_value *v, kd_buf *b);
int sim_go_quote(const char *s, size_t n, kd_buf *b);
/* Go's %#v of the same values (as an interface{} holds them). */
int sim_go_value_sharp(const kd_value *v, kd_buf *b);

/* sim_state.c */
int sim_state_load(sim *s, kd_error *err);

/* helpers (sim_util.c) */
char *sim_strdup(const char *p);
char *sim_uuid(sim *s);
const char *sim_str(const kd_value *v, const char *path);
int sim_set_str(kd_value *obj, const char *path, const char *val);
kd_value *sim_obj_path(kd_value *obj, const char *path, int create);
int sim_set_int(kd_value *obj, const char *path, int64_t val);
void sim_obj_del(kd_value *obj, const char *key);
char *sim_rfc3339(int64_t unix_ms);
int64_t sim_wall_ms(void);
/* Base64 of P[0..N) into OUT (room for 4*((n+2)/3)+1 bytes). */
void sim_b64(char *out, const char *p, size_t n);

extern const sim_plugin sim_plugins[];

#endif
