/* engine/watch.h: shared watches and pod log streams over engine/kube.
 * No Lua. One server watch per (client, collection path, label selector,
 * field selector) feeds every subscriber, with an informer-like cache of
 * the current objects: list (paged), then watch from its resourceVersion,
 * resume from the last resourceVersion after a dropped connection, relist
 * on 410 Gone (subscribers get the difference as events), bookmarks.
 * Each subscriber sees every change once, in order. watch.c: streams and
 * subscribers; watch_parse.c: the stream framer; watch_logs.c: logs. */
#ifndef KD_WATCH_H
#define KD_WATCH_H

#include "kube.h"

/* ---- framing: a byte stream of JSON texts, in chunks of any size ------- */

typedef struct watch_framer {
  kd_buf buf;
  size_t pos, start;          /* scan position, start of the current text */
  int depth, in_str, esc;
} watch_framer;

/* Called with each complete JSON object; nonzero stops feeding. */
typedef int (*watch_frame_fn)(void *ctx, const char *text, size_t len);
/* Feeds DATA; FN gets every object completed by it. Returns KD_OK, the
 * callback's nonzero value, or KD_EPARSE/KD_ENOMEM + ERR on a stream that
 * is not a sequence of JSON objects or an object over the cap (64 MiB). */
int watch_framer_feed(watch_framer *f, const char *data, size_t len,
                      watch_frame_fn fn, void *ctx, kd_error *err);
void watch_framer_reset(watch_framer *f);   /* drops partial input */
void watch_framer_free(watch_framer *f);

/* ---- shared watches ------------------------------------------------------ */

typedef enum {
  WATCH_ADDED, WATCH_MODIFIED, WATCH_DELETED,
  WATCH_SYNCED,               /* the initial list is complete */
  WATCH_ERROR                 /* the watch stopped for good; see the error */
} watch_type;

/* An object shared by the cache and the queued events (reference counted). */
typedef struct watch_obj {
  int refs;
  kd_value v;
} watch_obj;
void watch_obj_release(watch_obj *o);     /* NULL is fine */

typedef struct watch_hub watch_hub;
typedef struct watch_sub watch_sub;

/* The watches of client C (borrowed; outlives the hub). Returns owned. */
watch_hub *watch_hub_new(kube_client *c, kd_error *err);
/* Stops every stream; subscribers get a WATCH_ERROR and stay valid until
 * watch_unsubscribe. NULL is fine. */
void watch_hub_stop(watch_hub *h);
/* Frees H and its streams; every subscriber must be gone. */
void watch_hub_free(watch_hub *h);

typedef struct watch_opts {
  const char *path;           /* collection, "/api/v1/namespaces/web/pods" */
  const char *label_selector, *field_selector;   /* NULL: none */
  const char *api_version, *kind;   /* stamped on listed items */
  int timeout_seconds;        /* per watch request; 0: 300..600 random */
  int page_size;              /* list page size; 0: 500 */
} watch_opts;

/* Subscribes to the shared watch for O (strings borrowed), starting it if
 * needed. The subscriber first gets ADDED for every object already known,
 * SYNCED once the list is complete, then the changes. NOTIFY is marked
 * ready on the loop whenever the queue becomes non-empty. */
watch_sub *watch_subscribe(watch_hub *h, const watch_opts *o, loop_id notify,
                           kd_error *err);
/* Drops the subscriber (and its queue); the stream stops with the last. */
void watch_unsubscribe(watch_sub *s);

/* Pops the next event: 1 and *TYPE, *OBJ (a reference the caller releases;
 * for WATCH_ERROR the server Status or NULL, and *ERR filled), or 0 when
 * the queue is empty. */
int watch_next(watch_sub *s, watch_type *type, watch_obj **obj, kd_error *err);
size_t watch_pending(const watch_sub *s);
int watch_synced(const watch_sub *s);
/* Calls FN for every cached object (borrowed), in no particular order. */
void watch_each(const watch_sub *s, void (*fn)(void *ctx, const kd_value *obj),
                void *ctx);
/* The cached object NAMESPACE/NAME (NAMESPACE "" when cluster-scoped). */
const kd_value *watch_get(const watch_sub *s, const char *ns, const char *name);
/* Streams (server watch connections) currently open in H, for tests. */
size_t watch_hub_streams(const watch_hub *h);
/* Counters of the subscriber's stream: lists made, watch requests made. */
void watch_stats(const watch_sub *s, int *lists, int *watches);

/* ---- pod logs ------------------------------------------------------------- */

typedef struct watch_log watch_log;

typedef enum { WATCH_LOG_RUNNING, WATCH_LOG_ENDED, WATCH_LOG_FAILED } watch_log_state;

/* Streams PATH ("/api/v1/namespaces/NS/pods/P/log") with QUERY (extra
 * "k=v&..." on every request, e.g. "container=app") and FIRST (on the
 * first request only, e.g. "tailLines=10&sinceSeconds=60"; both may be
 * NULL), always with timestamps=true so a reconnect can resume by
 * sinceTime; FOLLOW adds follow=true. NOTIFY is marked ready when lines
 * arrive or the stream ends. */
watch_log *watch_log_open(kube_client *c, const char *path, const char *query,
                          const char *first, int follow, loop_id notify,
                          kd_error *err);
/* Pops a line: 1 and *TS (RFC 3339 timestamp) and *TEXT (both owned by the
 * log, valid until the next call), or 0 when none is queued. */
int watch_log_next(watch_log *lg, const char **ts, const char **text, size_t *len);
size_t watch_log_pending(const watch_log *lg);   /* lines queued */
watch_log_state watch_log_status(const watch_log *lg, kd_error *err);
/* After ENDED/FAILED: opens the stream again with sinceTime of the last
 * line, skipping lines already delivered. */
int watch_log_reconnect(watch_log *lg, kd_error *err);
/* The sinceTime it would send (the last line's time, nine fraction
 * digits), NULL before the first line. */
const char *watch_log_since(const watch_log *lg);
void watch_log_close(watch_log *lg);

/* For tests/fuzz/watch_logs_fuzz.c: a log without a client, fed by hand.
 * watch_log_feed does what a chunk of the stream does (nonzero: the stream
 * would be aborted), watch_log_feed_end what its end does (CLEAN: 200 OK,
 * else a broken connection); watch_log_reconnect only sets where the next
 * feed resumes. */
watch_log *watch_log_detached(void);
int watch_log_feed(watch_log *lg, const char *data, size_t len);
void watch_log_feed_end(watch_log *lg, int clean);

#endif
