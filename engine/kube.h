/* engine/kube.h: Kubernetes API client. kubeconfig loading as kubectl does
 * it (kube_config.c), credentials: token files, exec plugins (kube_exec.c),
 * and asynchronous requests on the event loop with retries and a rate
 * limit (kube_client.c). Discovery and REST mapping: kube_disco.h. No Lua. */
#ifndef KD_KUBE_H
#define KD_KUBE_H

#include "loop.h"
#include "value.h"

/* ---- kubeconfig --------------------------------------------------------- */

typedef struct kube_config_opts {
  const char *kubeconfig;     /* --kubeconfig: this file only (must exist) */
  const char *kubeconfig_env; /* $KUBECONFIG, ':'-separated; NULL/"": unset */
  const char *home;           /* $HOME, for ~/.kube/config */
  const char *service_host;   /* $KUBERNETES_SERVICE_HOST (in-cluster) */
  const char *service_port;   /* $KUBERNETES_SERVICE_PORT */
  const char *sa_dir;         /* NULL: /var/run/secrets/kubernetes.io/serviceaccount */
} kube_config_opts;

typedef struct kube_config kube_config;

/* Loads and merges the kubeconfig files with kubectl's rules: --kubeconfig
 * alone; else every existing file of $KUBECONFIG, the first file to define a
 * cluster/user/context name or current-context wins; else ~/.kube/config;
 * with none of them, the in-cluster service account. Relative paths are
 * resolved against the file that holds them. Returns owned or NULL + ERR
 * naming the file. */
kube_config *kube_config_load(const kube_config_opts *o, kd_error *err);
void kube_config_free(kube_config *cfg);
/* current-context ("" when unset). Borrowed. */
const char *kube_config_current(const kube_config *cfg);
/* Context names in merge order; *N gets the count. Borrowed. */
const char *const *kube_config_contexts(const kube_config *cfg, size_t *n);

/* Exec credential plugin settings of a user (client.authentication.k8s.io). */
typedef struct kube_exec {
  char *command, *api_version, *interactive_mode, *install_hint;
  char **args, **env;         /* env: "NAME=value" strings */
  size_t nargs, nenv;
  int provide_cluster_info;
} kube_exec;

/* Everything needed to talk to one cluster as one user. */
typedef struct kube_conn {
  char *context, *cluster, *user, *namespace, *server, *origin;
  char *ca_data, *ca_file;    /* PEM; ca_file only names it in messages */
  size_t ca_len;
  int insecure, disable_compression, in_cluster;
  char *tls_server_name, *proxy_url;
  char *cert_data, *key_data; /* PEM client certificate and key */
  size_t cert_len, key_len;
  char *token, *token_file, *username, *password;
  kube_exec *exec;
  kd_value exec_cluster;      /* spec.cluster for provideClusterInfo */
} kube_conn;

/* Resolves CONTEXT (NULL/"": current-context) of CFG into a connection;
 * NAMESPACE (NULL/""): the context's namespace, else "default". Reads the
 * CA and client certificate files. Returns owned or NULL + ERR. */
kube_conn *kube_config_resolve(const kube_config *cfg, const char *context,
                               const char *namespace, kd_error *err);
void kube_conn_free(kube_conn *c);
/* The kind of credentials in use: "client certificate", "token", ... */
const char *kube_conn_auth_kind(const kube_conn *c);

/* Standard base64 (newlines ignored, as Go's decoder does). Returns owned
 * bytes (NUL-terminated) in *OUT, length in *LEN; KD_EPARSE when invalid. */
int kube_base64_decode(const char *s, size_t n, char **out, size_t *len);
int kube_base64_encode(const char *s, size_t n, kd_buf *out);

/* ---- credentials -------------------------------------------------------- */

typedef struct kube_cred {
  char *token, *cert_data, *key_data;   /* owned; cert/key PEM */
  size_t cert_len, key_len;
  double expires;             /* wall-clock seconds; 0: never */
} kube_cred;

/* Runs the exec plugin of C (no shell: argv as configured, PATH lookup,
 * config env added to ours, KUBERNETES_EXEC_INFO set) and parses its
 * ExecCredential into OUT. INTERACTIVE_TTY says whether stdin is a terminal
 * (decides interactiveMode). Returns KD_OK or KD_EEXEC + ERR. */
int kube_exec_run(const kube_conn *c, int stdin_tty, kube_cred *out,
                  kd_error *err);

/* The same without blocking: kube_exec_start spawns the plugin and returns
 * an owned handle (NULL + ERR: KD_EEXEC, KD_ENOMEM); C is borrowed and must
 * outlive it. kube_exec_poll reads what it wrote so far: 1 while it runs
 * (poll kube_exec_fd for input, or call again later), KD_OK once it exited
 * and OUT holds its credentials, or KD_EEXEC + ERR. kube_exec_proc_free
 * kills a plugin still running (with its process group, unless it runs
 * interactively) and reaps it; NULL is fine. */
typedef struct kube_exec_proc kube_exec_proc;
kube_exec_proc *kube_exec_start(const kube_conn *c, int stdin_tty, kd_error *err);
int kube_exec_poll(kube_exec_proc *p, kube_cred *out, kd_error *err);
int kube_exec_fd(const kube_exec_proc *p);
void kube_exec_proc_free(kube_exec_proc *p);
void kube_cred_clear(kube_cred *cr);
/* Parses an RFC 3339 time into wall-clock seconds; KD_EPARSE if invalid. */
int kube_parse_time(const char *s, double *out);

/* ---- client and requests ------------------------------------------------ */

typedef struct kube_client_opts {
  double qps;                 /* requests/second; <= 0: no limit */
  int burst;
  double timeout;             /* per request, seconds, all attempts; 0: none */
  double connect_timeout;     /* seconds */
  int max_retries;
  int max_inflight;           /* requests handed to curl at once; 0: 64 over
                                 https (HTTP/2), 16 over plain http */
} kube_client_opts;

#define KUBE_DEFAULT_QPS 2000.0
#define KUBE_DEFAULT_BURST 4000
#define KUBE_DEFAULT_TIMEOUT 60.0
#define KUBE_DEFAULT_CONNECT_TIMEOUT 10.0
#define KUBE_DEFAULT_RETRIES 5
#define KUBE_DEFAULT_INFLIGHT 64
#define KUBE_DEFAULT_INFLIGHT_HTTP1 16

typedef struct kube_client kube_client;

/* A client for CONN (takes ownership) on loop L (borrowed; must outlive the
 * client). O may be NULL for the defaults. Returns owned or NULL + ERR. */
kube_client *kube_client_new(loop *l, kube_conn *conn,
                             const kube_client_opts *o, kd_error *err);
/* Cancels the client's calls (no callbacks) and frees it. NULL is fine. */
void kube_client_free(kube_client *c);
const kube_conn *kube_client_conn(const kube_client *c);
loop *kube_client_loop(const kube_client *c);

typedef struct kube_req {
  const char *verb;           /* "GET", "POST", "PUT", "PATCH", "DELETE" */
  const char *path;           /* "/api/v1/namespaces?limit=5" */
  const char *body;           /* may be NULL */
  size_t body_len;
  const char *content_type;   /* of the body; NULL: application/json */
  const char *accept;         /* NULL: application/json */
  double timeout;             /* 0: the client's; < 0: none */
  int stream;                 /* 2xx body goes to the data callback */
  int idempotent;             /* -1: by verb; 0/1: whether 5xx/resets retry */
} kube_req;

typedef struct kube_resp {
  int status;                 /* HTTP status; 0: no answer */
  const char *body;           /* borrowed, valid during the callback */
  size_t len;
  const char *content_type;   /* may be NULL */
  const char *reason;         /* on failure: Status reason, or "Unreachable",
                                 "TLSError", "Timeout", "ConnectionReset" */
  int attempts;
  kd_error err;               /* code KD_OK on 2xx; msg says it all */
  kd_buf *own;                /* BODY's buffer when DONE may keep it: take it
                                 with kd_buf_take instead of copying; NULL
                                 otherwise */
} kube_resp;

/* DONE runs once at the end (RESP borrowed); DATA gets streamed body chunks
 * (return nonzero to abort the transfer). */
typedef void (*kube_done_fn)(void *ctx, const kube_resp *resp);
typedef int (*kube_data_fn)(void *ctx, const char *data, size_t len);
typedef struct kube_call kube_call;

/* Starts a request (REQ and its strings borrowed for the call only). The
 * call frees itself after DONE. Returns the call or NULL + ERR. */
kube_call *kube_call_start(kube_client *c, const kube_req *req,
                           kube_done_fn done, kube_data_fn data, void *ctx,
                           kd_error *err);
/* Stops a call before its DONE ran; nothing is called afterwards. */
void kube_call_cancel(kube_call *call);

#endif
