/* engine/kube_int.h: what kube_client.c and kube_easy.c share: the client
 * and call records; and kube_exec.c's credential parser. Not part of the
 * API (kube.h is). */
#ifndef KD_KUBE_INT_H
#define KD_KUBE_INT_H

#include "kube.h"

#include <sys/stat.h>

#define KUBE_POOL_MAX 256

typedef struct server_url {
  char *scheme, *host, *port, *prefix;   /* host without [] for IPv6 */
  int ipv6;
} server_url;

/* kube_client.c: a kubeconfig's server URL "http[s]://host[:port][/prefix]"
 * into U (port defaulted, prefix without trailing slashes); KD_EINVAL for
 * anything else (no host, a port not in 1..65535, userinfo, a query, a
 * fragment, a space), KD_ENOMEM. U must be freed either way. */
int kube_url_parse(const char *s, server_url *u);
void kube_url_free(server_url *u);

/* A request header list shared by the calls that need the same one (the
 * same Accept, Content-Type and credentials): built once, not per request.
 * Counted: curl reads the list while a transfer runs. */
typedef struct kube_hdrs {
  struct curl_slist *list;
  char *accept, *ctype;       /* ctype NULL: no body */
  unsigned gen;               /* the client's auth_gen it was built for */
  int refs;
  struct kube_hdrs *next;
} kube_hdrs;

struct kube_call {
  kube_client *c;
  kube_call *prev, *next;
  char *verb, *path, *content_type, *accept;   /* in the call's own block */
  char *body;
  size_t body_len;
  double deadline;            /* loop_now() seconds; 0: none */
  double timeout;
  int stream, idempotent, attempts, auth_retried, checked, stream_ok, delivered;
  int slot;                   /* holds one of the client's in-flight slots */
  kube_call *qnext;           /* in the queue for a slot */
  kube_call *anext;           /* waiting for the exec plugin */
  int awaiting_auth;
  kube_done_fn done;
  kube_data_fn data;
  void *ctx;
  CURL *easy;                 /* while in flight */
  kube_hdrs *hdrs;            /* while in flight */
  loop_id timer;              /* rate-limit or backoff wait */
  kd_buf resp;
  CURLU *uh;                  /* its URL from its first attempt on (kube_easy.c) */
  char errbuf[CURL_ERROR_SIZE];
};

struct kube_client {
  loop *l;
  kube_conn *conn;
  kube_client_opts o;
  double tokens, refilled;    /* rate limit bucket */
  server_url url;
  char *base;                 /* URL prefix requests are built on */
  size_t base_len;
  struct curl_slist *connect_to;
  char *host_header, *noproxy;
  int https;
  int proxied;                /* a proxy may carry requests (see kube_easy.c) */
  char *file_token;           /* last good read of token_file */
  struct stat file_st;
  kube_cred cred;             /* exec plugin result */
  int have_cred;
  kube_exec_proc *exec_proc;  /* the plugin while it runs */
  loop_id exec_watch;         /* reads its output as it comes */
  loop_id exec_timer;         /* waits for its exit after EOF */
  double exec_wait;           /* the next wait interval */
  int cred_fresh;             /* just fetched: use it even if expired */
  kube_call *auth_head;       /* calls waiting for it (via anext) */
  unsigned auth_gen;          /* bumped whenever the token changes */
  kube_hdrs *hdrs;            /* header lists built so far */
  kube_call *calls;
  int inflight;               /* requests (not streams) on the wire */
  int closing;
  kube_call *qhead, *qtail;   /* waiting for an in-flight slot */
  CURLU *base_uh;             /* base, parsed once; NULL if curl cannot */
  CURL *pool[KUBE_POOL_MAX];  /* idle handles, configured for this client */
  size_t npool;
  CURLU *urls[KUBE_POOL_MAX]; /* idle copies of base_uh (kube_easy.c) */
  size_t nurls;
  kd_buf url_buf;             /* scratch for request URLs */
  unsigned seed;
};

/* kube_easy.c: curl handles and header lists of a client. */

/* An idle handle of C with the client's fixed options set, or NULL. */
CURL *kube_easy_get(kube_client *c);
/* Back to the pool (or cleaned up when the pool is full). NULL is fine.
 * CALL: the call whose request was set on EASY (kube_easy_request), NULL
 * if none was. */
void kube_easy_put(kube_client *c, CURL *easy, const kube_call *call);
/* Sets the per-request options of CALL's attempt on EASY, TOKEN (may be
 * NULL) being the bearer token to send. Returns KD_OK or KD_ENOMEM + ERR. */
int kube_easy_request(kube_call *call, CURL *easy, const char *token,
                      kd_error *err);
/* Drops CALL's reference to its header list. */
void kube_easy_release(kube_call *call);
/* Gives CALL's URL handle back to its client (the call is ending: no
 * handle has it set any more). */
void kube_easy_url_release(kube_call *call);
/* Frees the pool and the header lists (no transfer may be running). */
void kube_easy_free_all(kube_client *c);

/* kube_exec.c: the ExecCredential TEXT printed by C's exec plugin (C->exec
 * set) into OUT, which must be zeroed. Returns KD_OK, or KD_EEXEC/KD_ENOMEM
 * + ERR with OUT still zeroed. kube_exec_poll's parser; the fuzz target
 * calls it directly. */
int kube_exec_parse_cred(const kube_conn *c, const kd_buf *text, kube_cred *out,
                         kd_error *err);

#endif
