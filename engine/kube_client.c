/* engine/kube_client.c: requests to the API server on the event loop:
 * connection reuse and HTTP/2 through the shared curl multi handle, TLS and
 * credentials from the kube_conn, a token-bucket rate limit, retries with
 * backoff, and one clear message per failure. */
#include "json.h"
#include "kube_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BODY_CAP ((size_t)512 << 20)

static char *dupstr(const char *s) { return s ? kd_strndup(s, strlen(s)) : NULL; }

/* ---- server URL ---------------------------------------------------------- */

void kube_url_free(server_url *u)
{
  free(u->scheme); free(u->host); free(u->port); free(u->prefix);
}

/* Whether S holds a space, a control byte or one of SET. */
static int has_any(const char *s, const char *set)
{
  return kd_has_ctl(s) || strchr(s, ' ') || strpbrk(s, set);
}

static int valid_port(const char *p)
{
  size_t n = strlen(p), i;
  long v = 0;
  if (n == 0 || n > 5) return 0;
  for (i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9') return 0;
    v = v * 10 + (p[i] - '0');
  }
  return v >= 1 && v <= 65535;
}

/* Only scheme://host[:port][/prefix]: what else curl would read in a URL
 * (userinfo, a query, a fragment) the host, port and prefix split here
 * would not agree with, so it is refused. */
int kube_url_parse(const char *s, server_url *u)
{
  const char *p = strstr(s, "://"), *h, *e, *slash;
  memset(u, 0, sizeof *u);
  if (!p) return KD_EINVAL;
  u->scheme = kd_strndup(s, (size_t)(p - s));
  h = p + 3;
  slash = strchr(h, '/');
  if (!slash) slash = h + strlen(h);
  if (*h == '[') {
    e = memchr(h, ']', (size_t)(slash - h));
    if (!e) return KD_EINVAL;
    u->host = kd_strndup(h + 1, (size_t)(e - h - 1));
    u->ipv6 = 1;
    e++;
    if (*e != ':' && e != slash) return KD_EINVAL;   /* "[::1]junk" */
  } else {
    e = memchr(h, ':', (size_t)(slash - h));
    if (!e) e = slash;
    u->host = kd_strndup(h, (size_t)(e - h));
  }
  if (*e == ':' && slash - e > 1) u->port = kd_strndup(e + 1, (size_t)(slash - e - 1));
  else u->port = dupstr(u->scheme && strcmp(u->scheme, "https") == 0 ? "443" : "80");
  u->prefix = dupstr(slash);
  if (!u->scheme || !u->host || !u->port || !u->prefix) return KD_ENOMEM;
  while (u->prefix[0] && u->prefix[strlen(u->prefix) - 1] == '/')
    u->prefix[strlen(u->prefix) - 1] = 0;
  if ((strcmp(u->scheme, "https") && strcmp(u->scheme, "http")) || !u->host[0] ||
      has_any(u->host, "/?#@[]\\") || !valid_port(u->port) ||
      has_any(u->prefix, "?#"))
    return KD_EINVAL;
  return KD_OK;
}

/* Whether a proxy may carry C's requests: proxy-url, or one of the
 * variables curl reads for a proxy (it may still skip it for NO_PROXY). */
static int may_proxy(const kube_client *c)
{
  static const char *const vars[] = {"http_proxy", "https_proxy", "HTTPS_PROXY",
                                     "all_proxy", "ALL_PROXY"};
  const char *v;
  size_t i;
  if (c->conn->proxy_url) return 1;
  for (i = 0; i < sizeof vars / sizeof *vars; i++)
    if ((v = getenv(vars[i])) && *v) return 1;
  return 0;
}

/* URL base, CONNECT_TO (tls-server-name: verify against that name while
 * connecting to the real host) and the proxy exceptions. */
static int setup_url(kube_client *c, kd_error *err)
{
  const kube_conn *k = c->conn;
  server_url *u = &c->url;
  kd_buf b = {0};
  const char *np;
  int rc = kube_url_parse(k->server, u);
  if (rc) return kd_error_set(err, rc, "server %s is not a valid URL", k->server);
  c->https = strcmp(u->scheme, "https") == 0;
  if (k->tls_server_name && strcmp(u->scheme, "https") == 0) {
    kd_buf_printf(&b, "%s:%s:%s%s%s:%s", k->tls_server_name, u->port,
                  u->ipv6 ? "[" : "", u->host, u->ipv6 ? "]" : "", u->port);
    c->connect_to = curl_slist_append(NULL, b.data);
    kd_buf_free(&b);
    kd_buf_printf(&b, "Host: %s%s%s:%s", u->ipv6 ? "[" : "", u->host,
                  u->ipv6 ? "]" : "", u->port);
    c->host_header = kd_buf_take(&b, NULL);
    kd_buf_printf(&b, "https://%s:%s%s", k->tls_server_name, u->port, u->prefix);
  } else {
    kd_buf_printf(&b, "%s://%s%s%s:%s%s", u->scheme, u->ipv6 ? "[" : "", u->host,
                  u->ipv6 ? "]" : "", u->port, u->prefix);
  }
  c->base = kd_buf_take(&b, &c->base_len);
  /* Requests copy this parsed base and set their path (kube_easy.c); if
   * curl cannot parse it, each request passes its URL as a string. */
  if (c->base && (c->base_uh = curl_url()) &&
      curl_url_set(c->base_uh, CURLUPART_URL, c->base, 0) != CURLUE_OK) {
    curl_url_cleanup(c->base_uh);
    c->base_uh = NULL;
  }
  /* Go never proxies loopback addresses; curl would, given $https_proxy. */
  np = getenv("NO_PROXY");
  if (!np) np = getenv("no_proxy");
  kd_buf_printf(&b, "%s%slocalhost,127.0.0.1,::1", np ? np : "", np && *np ? "," : "");
  c->noproxy = kd_buf_take(&b, NULL);
  c->proxied = may_proxy(c);
  if (!c->base || !c->noproxy) return kd_error_set(err, KD_ENOMEM, "out of memory");
  return KD_OK;
}

/* ---- client -------------------------------------------------------------- */

kube_client *kube_client_new(loop *l, kube_conn *conn,
                             const kube_client_opts *o, kd_error *err)
{
  kube_client *c = calloc(1, sizeof *c);
  if (!c) {
    kube_conn_free(conn);
    kd_error_set(err, KD_ENOMEM, "out of memory");
    return NULL;
  }
  c->l = l;
  c->conn = conn;
  c->o.qps = KUBE_DEFAULT_QPS;
  c->o.burst = KUBE_DEFAULT_BURST;
  c->o.timeout = KUBE_DEFAULT_TIMEOUT;
  c->o.connect_timeout = KUBE_DEFAULT_CONNECT_TIMEOUT;
  c->o.max_retries = KUBE_DEFAULT_RETRIES;
  if (o) c->o = *o;
  if (c->o.burst < 1) c->o.burst = 1;
  c->tokens = c->o.burst;
  c->refilled = loop_now();
  c->seed = (unsigned)getpid() ^ (unsigned)time(NULL);
  if (setup_url(c, err)) {
    kube_client_free(c);
    return NULL;
  }
  /* Over TLS requests are HTTP/2 streams on one connection; plain HTTP is
   * one connection per request in flight, and a few keep a server busy. */
  if (c->o.max_inflight <= 0)
    c->o.max_inflight = c->https ? KUBE_DEFAULT_INFLIGHT : KUBE_DEFAULT_INFLIGHT_HTTP1;
  return c;
}

static void call_free(kube_call *call);
static void release_slot(kube_call *call);
static void stop_plugin(kube_client *c);

void kube_client_free(kube_client *c)
{
  if (!c) return;
  c->closing = 1;
  while (c->calls) kube_call_cancel(c->calls);
  stop_plugin(c);
  kube_easy_free_all(c);
  kube_url_free(&c->url);
  free(c->base);
  curl_url_cleanup(c->base_uh);
  curl_slist_free_all(c->connect_to);
  free(c->host_header);
  free(c->noproxy);
  free(c->file_token);
  kube_cred_clear(&c->cred);
  kube_conn_free(c->conn);
  free(c);
}

const kube_conn *kube_client_conn(const kube_client *c) { return c->conn; }
loop *kube_client_loop(const kube_client *c) { return c->l; }

/* ---- credentials ---------------------------------------------------------- */

/* The token file is re-read whenever it changed on disk; a failed read
 * keeps the last good token, as client-go does. */
static int read_token_file(kube_client *c, kd_error *err)
{
  struct stat st;
  char *data, *e;
  kd_error ferr = {0};
  const char *path = c->conn->token_file;
  if (stat(path, &st) != 0 || !(data = kd_read_file(path, NULL, &ferr))) {
    if (c->file_token) return KD_OK;
    return kd_error_set(err, KD_EIO, "cannot read the token file %s (user "
                        "\"%s\", context \"%s\")", path, c->conn->user,
                        c->conn->context);
  }
  if (c->file_token && st.st_mtim.tv_sec == c->file_st.st_mtim.tv_sec &&
      st.st_mtim.tv_nsec == c->file_st.st_mtim.tv_nsec &&
      st.st_size == c->file_st.st_size && st.st_ino == c->file_st.st_ino) {
    free(data);
    return KD_OK;
  }
  e = data + strlen(data);
  while (e > data && strchr(" \t\r\n", e[-1])) *--e = 0;
  if (!data[0] || kd_has_ctl(data)) {   /* the token goes in a header */
    int empty = !data[0];
    free(data);
    if (c->file_token) return KD_OK;
    return kd_error_set(err, KD_EIO, empty ? "the token file %s is empty" :
                        "the token in the token file %s holds a control "
                        "character (a line break?)", path);
  }
  free(c->file_token);
  c->file_token = data;
  c->file_st = st;
  c->auth_gen++;
  return KD_OK;
}

/* The bearer token for one attempt (NULL: none; basic auth and client
 * certificates are options of the handle). */
static int auth_token(kube_client *c, const char **token, kd_error *err)
{
  const kube_conn *k = c->conn;
  int rc;
  *token = k->token;
  if (k->exec) {
    *token = c->cred.token;    /* send_attempt made sure it is valid */
  } else if (k->token_file) {
    if ((rc = read_token_file(c, err))) return rc;
    *token = c->file_token;
  }
  return KD_OK;
}

/* ---- one attempt --------------------------------------------------------- */

static void on_done(void *ctx, CURL *easy, CURLcode rc);
static int await_cred(kube_call *call, kd_error *err);
static int cred_valid(const kube_client *c);

/* Sends one attempt now. Fails without side effects on the loop. */
static int send_attempt(kube_call *call, kd_error *err)
{
  CURL *easy = kube_easy_get(call->c);
  const char *token;
  int rc;
  if (call->c->conn->exec && !cred_valid(call->c)) {
    kube_easy_put(call->c, easy, NULL);
    return await_cred(call, err);
  }
  if (!easy) return kd_error_set(err, KD_ENOMEM, "cannot create a curl handle");
  call->attempts++;
  call->checked = call->stream_ok = 0;
  call->resp.len = 0;
  call->errbuf[0] = 0;
  call->easy = easy;
  if ((rc = auth_token(call->c, &token, err)) ||
      (rc = kube_easy_request(call, easy, token, err)) ||
      (rc = loop_add(call->c->l, easy, on_done, call, err))) {
    call->easy = NULL;
    kube_easy_put(call->c, easy, call);
    kube_easy_release(call);
    return rc;
  }
  return KD_OK;
}

/* ---- finishing ------------------------------------------------------------ */

/* Ends CALL with R. DONE runs while EASY (the handle of the transfer that
 * answered; NULL if none) is out of the pool, so R may borrow its strings
 * (the content type) instead of copies; the handle then goes back, and
 * CALL's slot to the next queued call. */
static void finish(kube_call *call, kube_resp *r, CURL *easy)
{
  r->attempts = call->attempts;
  if (!r->body) {
    r->body = call->resp.data ? call->resp.data : "";
    r->len = call->resp.len;
    r->own = call->resp.data ? &call->resp : NULL;
  }
  call->done(call->ctx, r);
  kube_easy_put(call->c, easy, call);
  release_slot(call);
  call_free(call);
}

static void finish_error(kube_call *call, const kd_error *e, const char *reason)
{
  kube_resp r;
  memset(&r, 0, sizeof r);
  r.err = *e;
  r.reason = reason;
  finish(call, &r, NULL);
}

/* Exec plugins run without blocking the loop: the first call needing
 * credentials starts the plugin, it and any later ones wait in auth_head,
 * and a watch on its stdout reads the output as it comes. At EOF it has
 * exited, or (rarely) closed stdout and runs on: a timer then waits for
 * its exit. A waiting call's timeout runs meanwhile (auth_timeout); when
 * the last waiting call is gone the plugin is killed. */
static int cred_valid(const kube_client *c)
{
  return c->have_cred && (c->cred_fresh || c->cred.expires == 0 ||
                          (double)time(NULL) < c->cred.expires);
}

static void stop_plugin(kube_client *c)
{
  if (c->exec_timer) loop_timer_cancel(c->l, c->exec_timer);
  if (c->exec_watch) loop_fd_cancel(c->l, c->exec_watch);
  c->exec_timer = c->exec_watch = 0;
  kube_exec_proc_free(c->exec_proc);
  c->exec_proc = NULL;
}

static void exec_tick(void *ctx);

/* The plugin has not answered yet: keeps its stdout watched while open,
 * else waits for its exit on a timer backing off to 50 ms. 0 when out of
 * memory. */
static int exec_wait_more(kube_client *c)
{
  if (kube_exec_fd(c->exec_proc) >= 0) return 1;   /* the watch stays */
  if (c->exec_watch) loop_fd_cancel(c->l, c->exec_watch);
  c->exec_watch = 0;
  c->exec_wait = c->exec_wait == 0 ? 0.001 : c->exec_wait < 0.025 ? c->exec_wait * 2 : 0.05;
  return (c->exec_timer = loop_timer(c->l, c->exec_wait, exec_tick, c)) != 0;
}

static void exec_check(kube_client *c)
{
  kube_cred cred;
  kd_error err = {0};
  kube_call *waiting;
  int rc = kube_exec_poll(c->exec_proc, &cred, &err);
  if (rc == 1) {
    if (exec_wait_more(c)) return;
    kd_error_set(&err, KD_ENOMEM, "out of memory");
    rc = KD_ENOMEM;
  }
  stop_plugin(c);
  if (rc == KD_OK) {
    kube_cred_clear(&c->cred);
    c->cred = cred;
    c->have_cred = 1;
    c->auth_gen++;
  }
  waiting = c->auth_head;
  c->auth_head = NULL;
  c->cred_fresh = 1;
  while (waiting) {
    kube_call *call = waiting;
    kd_error e = {0};
    waiting = call->anext;
    call->anext = NULL;
    call->awaiting_auth = 0;
    if (call->timer) loop_timer_cancel(c->l, call->timer);
    call->timer = 0;
    if (rc) finish_error(call, &err, "ClientError");
    else if (send_attempt(call, &e)) finish_error(call, &e, "ClientError");
  }
  c->cred_fresh = 0;
}

static void exec_tick(void *ctx)
{
  kube_client *c = ctx;
  c->exec_timer = 0;
  exec_check(c);
}

static void exec_readable(void *ctx) { exec_check(ctx); }

static void unpark(kube_call *call)
{
  kube_call **p;
  if (!call->awaiting_auth) return;
  for (p = &call->c->auth_head; *p; p = &(*p)->anext)
    if (*p == call) {
      *p = call->anext;
      break;
    }
  call->anext = NULL;
  call->awaiting_auth = 0;
}

/* CALL's timeout passed while it waited for the plugin. */
static void auth_timeout(void *ctx)
{
  kube_call *call = ctx;
  kube_client *c = call->c;
  kd_error e = {0};
  call->timer = 0;
  unpark(call);
  kd_error_set(&e, KD_ETIMEOUT, "exec plugin %s (user \"%s\", context \"%s\") "
               "gave no credentials within %gs; stopped it", c->conn->exec->command,
               c->conn->user, c->conn->context, call->timeout);
  if (!c->auth_head) stop_plugin(c);   /* before finish starts queued calls */
  finish_error(call, &e, "Timeout");
}

/* Parks CALL until the plugin has answered, starting it if needed. */
static int await_cred(kube_call *call, kd_error *err)
{
  kube_client *c = call->c;
  double left = call->deadline ? call->deadline - loop_now() : 0;
  if (!c->exec_proc) {
    if (!(c->exec_proc = kube_exec_start(c->conn, isatty(0), err))) return KD_EEXEC;
    c->exec_wait = 0;
    if (!(c->exec_watch = loop_fd(c->l, kube_exec_fd(c->exec_proc), exec_readable, c))) {
      stop_plugin(c);
      return kd_error_set(err, KD_ENOMEM, "out of memory");
    }
  }
  if (call->deadline && !(call->timer = loop_timer(c->l, left, auth_timeout, call))) {
    if (!c->auth_head) stop_plugin(c);
    return kd_error_set(err, KD_ENOMEM, "out of memory");
  }
  call->anext = c->auth_head;
  c->auth_head = call;
  call->awaiting_auth = 1;
  return KD_OK;
}

/* In-flight slots: at most max_inflight requests are handed to curl at
 * once (each easy handle costs memory; more would only queue inside curl).
 * Streams hold no slot: a watch lasts minutes. */
static void go(kube_call *call)
{
  kd_error err = {0};
  kube_client *c = call->c;
  if (!call->stream) {
    call->slot = 1;
    c->inflight++;
  }
  if (send_attempt(call, &err)) finish_error(call, &err, "ClientError");
}

static void dispatch_queue(kube_client *c)
{
  while (!c->closing && c->qhead && c->inflight < c->o.max_inflight) {
    kube_call *next = c->qhead;
    c->qhead = next->qnext;
    if (!c->qhead) c->qtail = NULL;
    next->qnext = NULL;
    go(next);
  }
}

static void release_slot(kube_call *call)
{
  if (!call->slot) return;
  call->slot = 0;
  call->c->inflight--;
  dispatch_queue(call->c);
}

static void unqueue(kube_call *call)
{
  kube_client *c = call->c;
  kube_call **p;
  for (p = &c->qhead; *p; p = &(*p)->qnext) {
    if (*p == call) {
      *p = call->qnext;
      if (c->qtail == call) {
        c->qtail = NULL;
        for (kube_call *q = c->qhead; q; q = q->qnext) c->qtail = q;
      }
      call->qnext = NULL;
      return;
    }
  }
}

static void attempt_cb(void *ctx)
{
  kube_call *call = ctx;
  kube_client *c = call->c;
  call->timer = 0;
  if (!call->stream && c->inflight >= c->o.max_inflight) {
    if (c->qtail) c->qtail->qnext = call;
    else c->qhead = call;
    c->qtail = call;
    return;
  }
  go(call);
}

/* Token bucket: the call goes on the next loop round, or after a wait in
 * arrival order. Returns KD_OK or KD_ENOMEM. */
static int admit(kube_call *call, double extra_delay)
{
  kube_client *c = call->c;
  double now = loop_now(), wait = extra_delay;
  if (c->o.qps > 0) {
    c->tokens += (now - c->refilled) * c->o.qps;
    if (c->tokens > c->o.burst) c->tokens = c->o.burst;
    c->refilled = now;
    c->tokens -= 1;
    if (c->tokens < 0 && -c->tokens / c->o.qps > wait) wait = -c->tokens / c->o.qps;
  }
  call->timer = loop_timer(c->l, wait, attempt_cb, call);
  return call->timer ? KD_OK : KD_ENOMEM;
}

/* admit from inside the loop: a failure ends the call. */
static void readmit(kube_call *call, double delay)
{
  if (admit(call, delay)) {
    kd_error e = {0};
    kd_error_set(&e, KD_ENOMEM, "out of memory");
    finish_error(call, &e, "ClientError");
  }
}

static const char *classify(CURLcode rc)
{
  switch (rc) {
  case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_CONNECT:
  case CURLE_COULDNT_RESOLVE_PROXY:
    return "Unreachable";
  case CURLE_OPERATION_TIMEDOUT:
    return "Timeout";
  case CURLE_SSL_CONNECT_ERROR: case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CERTPROBLEM: case CURLE_SSL_CIPHER:
  case CURLE_SSL_CACERT_BADFILE: case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH: case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_ENGINE_NOTFOUND: case CURLE_SSL_ENGINE_SETFAILED:
  case CURLE_SSL_CRL_BADFILE: case CURLE_SSL_SHUTDOWN_FAILED:
    return "TLSError";
  case CURLE_GOT_NOTHING: case CURLE_SEND_ERROR: case CURLE_RECV_ERROR:
  case CURLE_PARTIAL_FILE: case CURLE_HTTP2: case CURLE_HTTP2_STREAM:
    return "ConnectionReset";
  default:
    return "TransportError";
  }
}

static void transport_message(kube_call *call, CURLcode rc, const char *reason,
                              kd_error *e)
{
  const kube_conn *k = call->c->conn;
  const char *detail = call->errbuf[0] ? call->errbuf : curl_easy_strerror(rc);
  if (strcmp(reason, "Unreachable") == 0 && k->proxy_url)
    kd_error_set(e, KD_EIO, "cannot connect to server %s through proxy %s "
                 "(context \"%s\"): %s", k->server, k->proxy_url, k->context, detail);
  else if (strcmp(reason, "Unreachable") == 0)
    kd_error_set(e, KD_EIO, "cannot connect to server %s (context \"%s\"): %s",
                 k->server, k->context, detail);
  else if (strcmp(reason, "Timeout") == 0)
    kd_error_set(e, KD_ETIMEOUT, "no answer from server %s (context \"%s\") "
                 "within %gs: %s", k->server, k->context, call->timeout, detail);
  else if (strcmp(reason, "TLSError") == 0)
    kd_error_set(e, KD_EIO, "TLS handshake with server %s (context \"%s\") "
                 "failed: %s", k->server, k->context, detail);
  else
    kd_error_set(e, KD_EIO, "connection to server %s (context \"%s\") failed: %s",
                 k->server, k->context, detail);
}

/* Fills R (and *REASON_OUT, owned) from an HTTP error response. */
static void http_message(kube_call *call, int status, kube_resp *r, char **reason_out)
{
  const kube_conn *k = call->c->conn;
  kd_value doc;
  const kd_value *msg = NULL, *reason = NULL;
  const char *text;
  kd_value_null(&doc);
  if (call->resp.len && json_decode(call->resp.data, call->resp.len, "response",
                                    &doc, NULL) == KD_OK && doc.type == KD_OBJ) {
    msg = kd_obj_gets(&doc, "message");
    reason = kd_obj_gets(&doc, "reason");
  }
  if (reason && reason->type == KD_STR && reason->u.str.len)
    *reason_out = dupstr(reason->u.str.s);
  else
    *reason_out = dupstr(status == 401 ? "Unauthorized" : status == 403 ? "Forbidden"
                         : status == 404 ? "NotFound" : status == 429 ? "TooManyRequests"
                         : status >= 500 ? "InternalError" : "BadRequest");
  r->reason = *reason_out;
  text = msg && msg->type == KD_STR ? msg->u.str.s : NULL;
  if (status == 401)
    kd_error_set(&r->err, KD_EHTTP, "401 Unauthorized: server %s (context \"%s\") "
                 "rejected the credentials of user \"%s\" (%s)", k->server,
                 k->context, k->user, kube_conn_auth_kind(k));
  else if (status == 403)
    kd_error_set(&r->err, KD_EHTTP, "403 Forbidden: %s (server %s, context "
                 "\"%s\", user \"%s\")", text ? text : "access denied", k->server,
                 k->context, k->user);
  else if (text)
    kd_error_set(&r->err, KD_EHTTP, "%s", text);
  else
    kd_error_set(&r->err, KD_EHTTP, "server %s answered HTTP %d: %.200s",
                 k->server, status, call->resp.data ? call->resp.data : "");
  r->err.http_status = status;
  kd_value_clear(&doc);
}

/* Seconds to wait before retry number N (1-based): exponential with
 * jitter, or the server's Retry-After. */
static double backoff(kube_call *call, CURL *easy)
{
  curl_off_t after = -1;
  double d;
  if (curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &after) == CURLE_OK && after >= 0)
    return after > 30 ? 30 : (double)after;
  d = 0.1 * (double)(1 << (call->attempts < 8 ? call->attempts - 1 : 7));
  if (d > 5) d = 5;
  return d * (0.8 + 0.4 * (double)rand_r(&call->c->seed) / RAND_MAX);
}

static int should_retry(kube_call *call, CURLcode rc, int status)
{
  if (call->delivered || call->attempts > call->c->o.max_retries) return 0;
  if (rc != CURLE_OK) return call->idempotent &&
                             strcmp(classify(rc), "ConnectionReset") == 0;
  if (status == 429) return 1;   /* the server did not process it */
  return call->idempotent && (status == 500 || status == 502 || status == 503 ||
                              status == 504);
}

static void on_done(void *ctx, CURL *easy, CURLcode rc)
{
  kube_call *call = ctx;
  kube_client *c = call->c;
  long status = 0;
  char *reason = NULL, *ctype = NULL;
  kube_resp r;
  memset(&r, 0, sizeof r);
  call->easy = NULL;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  /* A rejected token may have been rotated: fetch fresh credentials once. */
  if (rc == CURLE_OK && status == 401 && !call->auth_retried &&
      (c->conn->exec || c->conn->token_file)) {
    call->auth_retried = 1;
    kube_cred_clear(&c->cred);
    c->have_cred = 0;
    kube_easy_put(c, easy, call);
    kube_easy_release(call);
    release_slot(call);
    readmit(call, 0);
    return;
  }
  if (should_retry(call, rc, (int)status)) {
    double d = backoff(call, easy);
    if (!call->deadline || loop_now() + d < call->deadline) {
      kube_easy_put(c, easy, call);
      kube_easy_release(call);
      release_slot(call);
      readmit(call, d);
      return;
    }
  }
  r.status = (int)status;
  if (rc != CURLE_OK) {
    r.reason = classify(rc);
    if (rc == CURLE_WRITE_ERROR && call->stream_ok) r.reason = "Aborted";
    transport_message(call, rc, r.reason, &r.err);
    r.status = 0;
  } else if (status >= 300 || status < 200) {
    http_message(call, (int)status, &r, &reason);
  }
  if (curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &ctype) != CURLE_OK) ctype = NULL;
  r.content_type = ctype;     /* curl's, valid until EASY is reused */
  kube_easy_release(call);
  finish(call, &r, easy);
  free(reason);
}

/* ---- calls ----------------------------------------------------------------- */

static void call_free(kube_call *call)
{
  kube_client *c = call->c;
  if (call->prev) call->prev->next = call->next;
  else c->calls = call->next;
  if (call->next) call->next->prev = call->prev;
  free(call->body);           /* verb, path and the types live in CALL */
  kube_easy_url_release(call);
  kube_easy_release(call);
  kd_buf_free(&call->resp);
  free(call);
}

void kube_call_cancel(kube_call *call)
{
  if (!call) return;
  if (call->easy) {
    loop_remove(call->c->l, call->easy);
    kube_easy_put(call->c, call->easy, call);
  }
  if (call->timer) loop_timer_cancel(call->c->l, call->timer);
  unqueue(call);
  if (call->awaiting_auth) {
    unpark(call);
    if (!call->c->auth_head && !call->c->closing) stop_plugin(call->c);
  }
  {
    kube_client *c = call->c;
    int had = call->slot;
    call_free(call);
    if (had) {                   /* its slot goes to the next queued call */
      c->inflight--;
      dispatch_queue(c);
    }
  }
}

static int default_idempotent(const char *verb, const char *ctype)
{
  if (strcmp(verb, "GET") == 0 || strcmp(verb, "HEAD") == 0 ||
      strcmp(verb, "PUT") == 0 || strcmp(verb, "DELETE") == 0)
    return 1;
  /* server-side apply sends the whole intent: repeating it is harmless */
  return ctype && strcmp(ctype, "application/apply-patch+yaml") == 0;
}

/* Copies S (N bytes with its NUL) to *P and moves *P past it. */
static char *put(char **p, const char *s, size_t n)
{
  char *d = memcpy(*p, s, n);
  *p += n;
  return d;
}

/* A zeroed call holding copies of REQ's verb, path, content type and
 * accept, in one allocation with it (a request is made per object). */
static kube_call *call_new(const kube_req *req)
{
  const char *ctype = req->content_type ? req->content_type : "application/json";
  const char *accept = req->accept ? req->accept : "application/json";
  size_t lv = strlen(req->verb) + 1, lp = strlen(req->path) + 1;
  size_t lc = strlen(ctype) + 1, la = strlen(accept) + 1;
  kube_call *call = calloc(1, sizeof *call + lv + lp + lc + la);
  char *p;
  if (!call) return NULL;
  p = (char *)(call + 1);
  call->verb = put(&p, req->verb, lv);
  call->path = put(&p, req->path, lp);
  call->content_type = put(&p, ctype, lc);
  call->accept = put(&p, accept, la);
  return call;
}

kube_call *kube_call_start(kube_client *c, const kube_req *req,
                           kube_done_fn done, kube_data_fn data, void *ctx,
                           kd_error *err)
{
  kube_call *call;
  if (!req->verb || !req->path || req->path[0] != '/') {
    kd_error_set(err, KD_EINVAL, "request needs a verb and a path starting with /");
    return NULL;
  }
  if (req->stream && !data) {
    kd_error_set(err, KD_EINVAL, "a streaming request needs a data callback");
    return NULL;
  }
  if (!(call = call_new(req))) goto oom;
  call->c = c;
  if (req->body && !(call->body = kd_strndup(req->body, req->body_len))) {
    free(call);
    goto oom;
  }
  call->body_len = req->body_len;
  call->resp.cap = BODY_CAP;
  call->stream = req->stream;
  call->idempotent = req->idempotent >= 0 ? req->idempotent
                     : default_idempotent(req->verb, call->content_type);
  call->timeout = req->timeout > 0 ? req->timeout : req->timeout < 0 ? 0 : c->o.timeout;
  call->deadline = call->timeout > 0 ? loop_now() + call->timeout : 0;
  call->done = done;
  call->data = data;
  call->ctx = ctx;
  call->next = c->calls;
  if (c->calls) c->calls->prev = call;
  c->calls = call;
  /* A token file is checked now, so a bad one fails the call at once with a
   * clear error; an exec plugin runs from the loop (see await_cred) and its
   * failure ends the call like any other. */
  if (!c->conn->exec && c->conn->token_file && read_token_file(c, err)) {
    call_free(call);
    return NULL;
  }
  if (admit(call, 0)) {
    call_free(call);
    goto oom;
  }
  return call;
oom:
  kd_error_set(err, KD_ENOMEM, "out of memory");
  return NULL;
}
