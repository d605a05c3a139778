/* tests/unit/kube_client_test.c: requests, retries, errors, log streams and
 * watch resume against a scripted server (tests/unit/httpd.h), for the
 * cases a real cluster cannot be made to produce on demand. */
#include "httpd.h"
#include "kube.h"
#include "test.h"
#include "watch.h"

#include <zlib.h>

static char dir[64];

/* A client for http://127.0.0.1:PORT + PREFIX as user "tester" with a
 * token, CLUSTER (", key: value" pairs) added to its cluster entry. */
static kube_client *client_with(loop *l, int port, const char *prefix,
                                const char *cluster, const kube_client_opts *o)
{
  kd_error err = {0};
  kd_buf b = {0}, path = {0};
  kube_config_opts co = {0};
  kube_config *cfg;
  kube_conn *conn;
  kube_client *c;
  kd_buf_printf(&path, "%s/kc-%d", dir, port);
  kd_buf_printf(&b, "current-context: test\nclusters:\n- name: sim\n  cluster: "
                "{server: 'http://127.0.0.1:%d%s'%s}\ncontexts:\n- name: test\n  context: "
                "{cluster: sim, user: tester}\nusers:\n- name: tester\n  user: "
                "{token: secret}\n", port, prefix, cluster);
  kd_write_file(path.data, b.data, b.len, &err);
  co.kubeconfig = path.data;
  cfg = kube_config_load(&co, &err);
  conn = cfg ? kube_config_resolve(cfg, NULL, NULL, &err) : NULL;
  c = conn ? kube_client_new(l, conn, o, &err) : NULL;
  if (!c) printf("  client: %s\n", err.msg);
  kube_config_free(cfg);
  kd_buf_free(&b);
  kd_buf_free(&path);
  return c;
}

static kube_client *client_at(loop *l, int port, const char *prefix,
                              const kube_client_opts *o)
{
  return client_with(l, port, prefix, "", o);
}

static kube_client *client_for(loop *l, int port, const kube_client_opts *o)
{
  return client_at(l, port, "", o);
}

typedef struct result {
  int done, status, attempts;
  char reason[64], msg[512];
  kd_buf body;
} result;

static void on_done(void *ctx, const kube_resp *r)
{
  result *res = ctx;
  res->done = 1;
  res->status = r->status;
  res->attempts = r->attempts;
  snprintf(res->reason, sizeof res->reason, "%s", r->reason ? r->reason : "");
  snprintf(res->msg, sizeof res->msg, "%s", r->err.msg);
  kd_buf_add(&res->body, r->body, r->len);
}

static void drive(loop *l, int *flag, double seconds)
{
  double end = loop_now() + seconds;
  kd_error err = {0};
  loop_id ids[64];
  while (!*flag && loop_now() < end) {
    loop_run(l, 0.05, &err);
    loop_take_ready(l, ids, 64);
  }
}

static result call(loop *l, kube_client *c, const char *verb, const char *path)
{
  result r;
  kd_error err = {0};
  kube_req req;
  memset(&r, 0, sizeof r);
  memset(&req, 0, sizeof req);
  req.verb = verb;
  req.path = path;
  req.idempotent = -1;
  if (strcmp(verb, "POST") == 0) {
    req.body = "{}";
    req.body_len = 2;
  }
  if (!kube_call_start(c, &req, on_done, NULL, &r, &err)) {
    snprintf(r.msg, sizeof r.msg, "%s", err.msg);
    return r;
  }
  drive(l, &r.done, 20);
  return r;
}

/* ---- retries ---------------------------------------------------------------- */

static int flaky(httpd *h, int fd, const char *req, int n)
{
  int i = h->nreq;                       /* 1-based count of this request */
  if (strstr(req, "/retry-after")) {
    if (i == 1) httpd_reply(fd, 429, "Retry-After: 1\r\n", "{\"kind\":\"Status\",\"reason\":\"TooManyRequests\"}");
    else httpd_reply(fd, 200, NULL, "{\"ok\":1}");
  } else if (strstr(req, "/unavailable")) {
    if (i <= 2) httpd_reply(fd, 503, NULL, "{\"kind\":\"Status\",\"message\":\"busy\"}");
    else {
      httpd_reply(fd, 200, NULL, "{\"ok\":3}");
      return 0;   /* so the next request opens a new connection */
    }
  } else if (strstr(req, "/reset")) {
    if (i == 1) return 0;               /* close without an answer */
    httpd_reply(fd, 200, NULL, "{\"ok\":2}");
  } else if (strstr(req, "/always500")) {
    httpd_reply(fd, 500, NULL, "{\"kind\":\"Status\",\"message\":\"boom\",\"reason\":\"InternalError\"}");
  } else if (strstr(req, "/gzip")) {
    unsigned char out[256];
    uLongf len = sizeof out;
    const char *body = "{\"compressed\":\"yes yes yes yes yes yes\"}";
    z_stream z;
    char head[256];
    memset(&z, 0, sizeof z);
    deflateInit2(&z, 9, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY);
    z.next_in = (unsigned char *)body;
    z.avail_in = (uInt)strlen(body);
    z.next_out = out;
    z.avail_out = (uInt)len;
    deflate(&z, Z_FINISH);
    len = z.total_out;
    deflateEnd(&z);
    snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
             "Content-Encoding: gzip\r\nContent-Length: %lu\r\n\r\n", (unsigned long)len);
    httpd_send(fd, head);
    send(fd, out, len, MSG_NOSIGNAL);
  } else if (strstr(req, "/unauthorized")) {
    httpd_reply(fd, 401, NULL, "{\"kind\":\"Status\",\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}");
  } else if (strstr(req, "/forbidden")) {
    httpd_reply(fd, 403, NULL, "{\"kind\":\"Status\",\"message\":\"configmaps is forbidden: User \\\"tester\\\" cannot list resource\",\"reason\":\"Forbidden\",\"code\":403}");
  } else if (strstr(req, "/silent")) {
    while (!h->stop) usleep(20000);     /* never answers */
    return 0;
  } else {
    httpd_reply(fd, 200, NULL, "{}");
  }
  return 1;
}

static void test_retries_follow_the_verb_and_status(void)
{
  httpd h;
  kd_error err = {0};
  loop *l = loop_new(&err);
  kube_client *c;
  result r;
  double t0;
  char line[256];
  CHECK(httpd_start(&h, flaky, NULL) == 0);
  c = client_for(l, h.port, NULL);
  if (!c) return;
  t0 = loop_now();
  r = call(l, c, "GET", "/retry-after");
  CHECK(r.status == 200 && r.attempts == 2);
  CHECK(loop_now() - t0 >= 0.9);                 /* it waited for Retry-After */
  kd_buf_free(&r.body);
  h.nreq = 0;
  r = call(l, c, "GET", "/unavailable");
  CHECK(r.status == 200 && r.attempts == 3 && strstr(r.body.data, "\"ok\":3"));
  kd_buf_free(&r.body);
  h.nreq = 0;
  r = call(l, c, "GET", "/reset");       /* fresh connection: ours to retry */
  CHECK(r.status == 200 && r.attempts == 2);
  kd_buf_free(&r.body);
  h.nreq = 0;
  r = call(l, c, "POST", "/always500");          /* not idempotent: once */
  CHECK(r.status == 500 && r.attempts == 1 && h.nreq == 1);
  CHECK_STR(r.msg, "boom");
  CHECK_STR(r.reason, "InternalError");
  kd_buf_free(&r.body);
  h.nreq = 0;
  r = call(l, c, "POST", "/retry-after");        /* 429: nothing was done, again */
  CHECK(r.status == 200 && r.attempts == 2);
  kd_buf_free(&r.body);
  r = call(l, c, "GET", "/gzip");
  CHECK(r.status == 200 && r.body.data && strstr(r.body.data, "\"compressed\""));
  kd_buf_free(&r.body);
  httpd_request(&h, 0, line, sizeof line);
  CHECK(strstr(h.reqs[h.nreq - 1], "Accept-Encoding:") != NULL);
  CHECK(strstr(h.reqs[h.nreq - 1], "Authorization: Bearer secret") != NULL);
  kube_client_free(c);
  httpd_stop(&h);
  loop_free(l);
}

static void test_failures_are_one_clear_line(void)
{
  httpd h;
  kd_error err = {0};
  loop *l = loop_new(&err);
  kube_client_opts o = {0};
  kube_client *c;
  result r;
  int closed_port;
  CHECK(httpd_start(&h, flaky, NULL) == 0);
  o.timeout = 0.5;
  o.connect_timeout = 2;
  o.max_retries = 5;
  o.burst = 100;
  c = client_for(l, h.port, &o);
  if (!c) return;
  r = call(l, c, "GET", "/unauthorized");
  CHECK(r.status == 401 && strcmp(r.reason, "Unauthorized") == 0);
  CHECK(strstr(r.msg, "context \"test\"") && strstr(r.msg, "user \"tester\" (token)"));
  CHECK(strstr(r.msg, "http://127.0.0.1:") != NULL);
  kd_buf_free(&r.body);
  r = call(l, c, "GET", "/forbidden");
  CHECK(r.status == 403 && strstr(r.msg, "cannot list resource"));
  CHECK(strstr(r.msg, "context \"test\"") && strstr(r.msg, "http://127.0.0.1:"));
  kd_buf_free(&r.body);
  r = call(l, c, "GET", "/silent");
  CHECK(r.status == 0 && strcmp(r.reason, "Timeout") == 0);
  CHECK(strstr(r.msg, "within 0.5s") && strstr(r.msg, "context \"test\""));
  CHECK(strchr(r.msg, '\n') == NULL);
  kd_buf_free(&r.body);
  kube_client_free(c);
  closed_port = h.port;
  httpd_stop(&h);                                /* nothing listens there now */
  c = client_for(l, closed_port, &o);
  r = call(l, c, "GET", "/api");
  CHECK(r.status == 0 && strcmp(r.reason, "Unreachable") == 0 && r.attempts == 1);
  CHECK(strstr(r.msg, "cannot connect to server http://127.0.0.1:") != NULL);
  CHECK(strstr(r.msg, "(context \"test\")") && strchr(r.msg, '\n') == NULL);
  kd_buf_free(&r.body);
  kube_client_free(c);
  loop_free(l);
}

/* Whether a client can be made for SERVER; its error in ERR. */
static int client_made(loop *l, const char *server, kd_error *err)
{
  kd_buf b = {0}, path = {0};
  kube_config_opts co = {0};
  kube_config *cfg;
  kube_conn *conn;
  kube_client *c;
  memset(err, 0, sizeof *err);
  kd_buf_printf(&path, "%s/kc-url", dir);
  kd_buf_printf(&b, "current-context: t\nclusters:\n- name: k\n  cluster: "
                "{server: \"%s\"}\ncontexts:\n- name: t\n  context: {cluster: k}\n",
                server);
  kd_write_file(path.data, b.data, b.len, err);
  co.kubeconfig = path.data;
  cfg = kube_config_load(&co, err);
  conn = cfg ? kube_config_resolve(cfg, NULL, NULL, err) : NULL;
  c = conn ? kube_client_new(l, conn, NULL, err) : NULL;
  kube_client_free(c);
  kube_config_free(cfg);
  kd_buf_free(&b);
  kd_buf_free(&path);
  return c != NULL;
}

/* What curl would read differently from the host, port and prefix the
 * client splits (userinfo, a query, ...) is refused up front. */
static void test_server_url_is_host_port_and_prefix_only(void)
{
  static const char *const bad[] = {
    "https://admin:pw@10.0.0.1:6443", "https://k8s:6443?x=1", "https://k8s/api#f",
    "https://k8s:6443 ", "https://k8s:port", "https://k8s:65536", "https://[::1]x/",
    "https://k\\\\ns", "ftp://k8s"
  };
  kd_error err = {0};
  loop *l = loop_new(&err);
  size_t i;
  for (i = 0; i < sizeof bad / sizeof *bad; i++) {
    CHECK(!client_made(l, bad[i], &err));
    CHECK(strstr(err.msg, "is not a valid URL") || strstr(err.msg, "not an http(s) URL"));
  }
  CHECK(client_made(l, "https://[fd00::1]:6443/k8s/clusters/c-1/", &err));
  CHECK(client_made(l, "http://127.0.0.1:", &err));   /* empty port: the default */
  loop_free(l);
}

static void test_connections_are_reused(void)
{
  httpd h;
  kd_error err = {0};
  loop *l = loop_new(&err);
  kube_client *c;
  result r;
  int i, ok = 1;
  CHECK(httpd_start(&h, flaky, NULL) == 0);
  c = client_for(l, h.port, NULL);
  if (!c) return;
  for (i = 0; i < 20; i++) {
    r = call(l, c, i % 2 ? "POST" : "GET", "/ok");
    ok = ok && r.status == 200;
    kd_buf_free(&r.body);
  }
  CHECK(ok);
  CHECK(h.nreq == 20 && h.nconn == 1);         /* one keep-alive connection */
  kube_client_free(c);
  httpd_stop(&h);
  loop_free(l);
}

/* A finished call's slot goes to the next queued call, and that request
 * is on the wire when loop_run returns with the first one ready: the server
 * works on it while the caller handles the first answer (a task decoding
 * its body), rather than only once the caller runs the loop again. */
typedef struct {
  result r;
  loop *l;
  loop_id id;
} marked;

static void on_done_mark(void *ctx, const kube_resp *resp)
{
  marked *m = ctx;
  on_done(&m->r, resp);
  loop_ready(m->l, m->id);   /* what a Lua handle does: loop_run returns */
}

static void test_queued_call_goes_out_before_the_caller_runs(void)
{
  httpd h;
  kd_error err = {0};
  loop *l = loop_new(&err);
  kube_client_opts o = {0};
  kube_client *c;
  kube_req req;
  marked a, b;
  loop_id ids[4];
  double end;
  int n = 0;
  CHECK(httpd_start(&h, flaky, NULL) == 0);
  o.max_inflight = 1;
  c = client_for(l, h.port, &o);
  if (!c) return;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  a.l = b.l = l;
  a.id = loop_new_id(l);
  b.id = loop_new_id(l);
  memset(&req, 0, sizeof req);
  req.verb = "GET";
  req.path = "/ok";
  req.idempotent = -1;
  CHECK(kube_call_start(c, &req, on_done_mark, NULL, &a, &err) != NULL);
  CHECK(kube_call_start(c, &req, on_done_mark, NULL, &b, &err) != NULL);
  end = loop_now() + 20;
  while (!a.r.done && loop_now() < end) loop_run(l, 0.05, &err);
  CHECK(a.r.done && a.r.status == 200 && !b.r.done);
  /* the loop is not run again here: only a request already sent arrives */
  end = loop_now() + 5;
  while (loop_now() < end) {
    pthread_mutex_lock(&h.mu);
    n = h.nreq;
    pthread_mutex_unlock(&h.mu);
    if (n >= 2) break;
    usleep(1000);
  }
  CHECK(n == 2);
  drive(l, &b.r.done, 20);
  CHECK(b.r.status == 200);
  loop_take_ready(l, ids, 4);
  kd_buf_free(&a.r.body);
  kd_buf_free(&b.r.body);
  kube_client_free(c);
  httpd_stop(&h);
  loop_free(l);
}

/* ---- request headers ------------------------------------------------------- */

/* Checks that request I of H was exactly WANT, a format taking the
 * origin of a proxied request line ("" when not proxied) and the port. */
static void check_sent(httpd *h, int i, const char *want, const char *origin, int port)
{
  char exp[512];
  const char *got;
  snprintf(exp, sizeof exp, want, origin, port);
  pthread_mutex_lock(&h->mu);
  got = i < h->nreq ? h->reqs[i] : "";
  if (strcmp(got, exp) != 0) printf("  sent [%s]\n  want [%s]\n", got, exp);
  CHECK(strcmp(got, exp) == 0);
  pthread_mutex_unlock(&h->mu);
}

#define REQ_GET "GET %s/ok HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
#define UA_AE "User-Agent: kdeploy/0.1\r\nAccept-Encoding: gzip\r\n"
#define ACCEPT_AUTH "Accept: application/json\r\nAuthorization: Bearer secret\r\n\r\n"

/* Sends a GET, a POST, a DELETE and a GET of a gzip-encoded body on C and
 * checks what went out (WANT_GET and WANT_POST: check_sent formats) and
 * that the gzip body came back decoded. */
static void check_requests(httpd *h, loop *l, kube_client *c, const char *origin,
                           const char *want_get, const char *want_post)
{
  static const char *const verbs[] = {"GET", "POST", "DELETE", "GET"};
  result r;
  int i;
  h->nreq = 0;
  for (i = 0; i < 4; i++) {
    r = call(l, c, verbs[i], "/ok");
    if (r.status != 200) printf("  %s: %d %s\n", verbs[i], r.status, r.msg);
    CHECK(r.status == 200);
    kd_buf_free(&r.body);
  }
  check_sent(h, 0, want_get, origin, h->port);
  check_sent(h, 1, want_post, origin, h->port);
  check_sent(h, 3, want_get, origin, h->port);
  r = call(l, c, "GET", "/gzip");
  CHECK(r.status == 200 && r.body.data && strstr(r.body.data, "\"compressed\":\"yes yes"));
  kd_buf_free(&r.body);
}

/* Exactly one User-Agent, one Accept-Encoding when compression is on and
 * none when disable-compression, no Expect; the same bytes in the same
 * order whether curl formats User-Agent and Accept-Encoding (when a proxy
 * may carry the request) or they come from the header list. */
static void test_request_headers_are_exactly_these(void)
{
  httpd h;
  kd_error err = {0};
  loop *l = loop_new(&err);
  kube_client *c;
  kd_buf proxy = {0}, origin = {0};
  const char *want_post = "POST %s/ok HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" UA_AE
    "Accept: application/json\r\nContent-Type: application/json\r\n"
    "Authorization: Bearer secret\r\nContent-Length: 2\r\n\r\n{}";
  CHECK(httpd_start(&h, flaky, NULL) == 0);
  if ((c = client_for(l, h.port, NULL))) {
    check_requests(&h, l, c, "", REQ_GET UA_AE ACCEPT_AUTH, want_post);
    check_sent(&h, 2, "DELETE %s/ok HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" UA_AE ACCEPT_AUTH,
               "", h.port);
    kube_client_free(c);
  }
  if ((c = client_with(l, h.port, "", ", disable-compression: true", NULL))) {
    result r = call(l, c, "GET", "/ok");
    h.nreq = 0;
    kd_buf_free(&r.body);
    r = call(l, c, "GET", "/ok");
    kd_buf_free(&r.body);
    check_sent(&h, 0, REQ_GET "User-Agent: kdeploy/0.1\r\n" ACCEPT_AUTH, "", h.port);
    kube_client_free(c);
  }
  /* a proxy in the environment (loopback bypasses it) */
  setenv("https_proxy", "http://127.0.0.1:1", 1);
  if ((c = client_for(l, h.port, NULL))) {
    check_requests(&h, l, c, "", REQ_GET UA_AE ACCEPT_AUTH, want_post);
    kube_client_free(c);
  }
  unsetenv("https_proxy");
  /* proxy-url: the server itself, as a plain HTTP proxy; on a loop of its
   * own, as the server serves one connection at a time and the loop's curl
   * keeps the direct one open */
  loop_free(l);
  l = loop_new(&err);
  kd_buf_printf(&proxy, ", proxy-url: 'http://127.0.0.1:%d'", h.port);
  kd_buf_printf(&origin, "http://127.0.0.1:%d", h.port);
  if ((c = client_with(l, h.port, "", proxy.data, NULL))) {
    check_requests(&h, l, c, origin.data, REQ_GET UA_AE "Proxy-Connection: Keep-Alive\r\n"
                   ACCEPT_AUTH, "POST %s/ok HTTP/1.1\r\n"
                   "Host: 127.0.0.1:%d\r\n" UA_AE "Proxy-Connection: Keep-Alive\r\n"
                   "Accept: application/json\r\nContent-Type: application/json\r\n"
                   "Authorization: Bearer secret\r\nContent-Length: 2\r\n\r\n{}");
    kube_client_free(c);
  }
  kd_buf_free(&proxy);
  kd_buf_free(&origin);
  httpd_stop(&h);
  loop_free(l);
}

/* ---- URLs ------------------------------------------------------------------- */

/* Paths reach the server as a URL parse of base + path sends them: most
 * are set on a copy of the parsed base; those curl would send otherwise
 * that way (escapes, which it lowercases; dot segments, which a parse
 * removes) are still passed as a URL. */
static void test_request_lines_keep_the_path(void)
{
  static const char *const cases[][2] = {
    {"/api/v1/namespaces/a/configmaps/b%20c?limit=5&continue=x%3D",
     "GET /k8s/c1/api/v1/namespaces/a/configmaps/b%20c?limit=5&continue=x%3D HTTP/1.1"},
    {"/version", "GET /k8s/c1/version HTTP/1.1"},
    {"/x/a{b}c|d^e\"f`g<h>i[j]k@l:m;n=o,p!q$r&s't(u)v*w+y~z?k={}|^&w=\"`<>[]@:/?;,!$*+~",
     "GET /k8s/c1/x/a{b}c|d^e\"f`g<h>i[j]k@l:m;n=o,p!q$r&s't(u)v*w+y~z?k={}|^&w=\"`<>[]@:/?;,!$*+~ HTTP/1.1"},
    {"/api/v1/namespaces/a/configmaps?limit=500&watch=true",
     "GET /k8s/c1/api/v1/namespaces/a/configmaps?limit=500&watch=true HTTP/1.1"},
    {"/x/y%2Fz%C3%A9", "GET /k8s/c1/x/y%2Fz%C3%A9 HTTP/1.1"},
    {"/api/v1/x/./y/../z", "GET /k8s/c1/api/v1/x/z HTTP/1.1"},
    {"/apis/a.b/v1/x?q=1&r=.", "GET /k8s/c1/apis/a.b/v1/x?q=1&r=. HTTP/1.1"},
  };
  httpd h;
  kd_error err = {0};
  loop *l = loop_new(&err);
  kube_client *c;
  char line[512];
  size_t i;
  CHECK(httpd_start(&h, flaky, NULL) == 0);
  c = client_at(l, h.port, "/k8s/c1/", NULL);
  if (!c) return;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    result r = call(l, c, "GET", cases[i][0]);
    CHECK(r.status == 200);
    httpd_request(&h, (int)i, line, sizeof line);
    if (strcmp(line, cases[i][1]) != 0) printf("  sent %s\n  want %s\n", line, cases[i][1]);
    CHECK(strcmp(line, cases[i][1]) == 0);
    kd_buf_free(&r.body);
  }
  kube_client_free(c);
  httpd_stop(&h);
  loop_free(l);
}

static void test_rate_limit_spaces_requests(void)
{
  httpd h;
  kd_error err = {0};
  loop *l = loop_new(&err);
  kube_client_opts o = {0};
  kube_client *c;
  result r[5];
  kube_req req;
  int i, all = 0;
  double t0;
  CHECK(httpd_start(&h, flaky, NULL) == 0);
  o.qps = 20;
  o.burst = 1;
  o.timeout = 10;
  c = client_for(l, h.port, &o);
  if (!c) return;
  memset(&req, 0, sizeof req);
  req.verb = "GET";
  req.path = "/ok";
  req.idempotent = -1;
  memset(r, 0, sizeof r);
  t0 = loop_now();
  for (i = 0; i < 5; i++) CHECK(kube_call_start(c, &req, on_done, NULL, &r[i], &err) != NULL);
  while (!all && loop_now() - t0 < 10) {
    loop_id ids[8];
    loop_run(l, 0.05, &err);
    loop_take_ready(l, ids, 8);
    all = r[0].done && r[1].done && r[2].done && r[3].done && r[4].done;
  }
  CHECK(all);
  CHECK(loop_now() - t0 >= 0.19);               /* 4 waits of 1/20 s */
  for (i = 0; i < 5; i++) kd_buf_free(&r[i].body);
  kube_client_free(c);
  httpd_stop(&h);
  loop_free(l);
}

/* ---- log streams ------------------------------------------------------------ */

typedef struct logscript { int requests; char since[128]; } logscript;

/* What both log servers do first: counts the request, keeps its sinceTime
 * and starts a chunked answer. Returns the script. */
static logscript *log_answer(httpd *h, int fd, const char *req)
{
  logscript *ls = h->ctx;
  const char *s = strstr(req, "sinceTime=");
  ls->requests++;
  if (s) sscanf(s + 10, "%127[^& ]", ls->since);
  httpd_send(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n");
  return ls;
}

/* Reads LG to its end, reconnecting it once after the first request's
 * stream ends: each line into GOT as "ts|text\n", or "text," without
 * WITH_TS. */
static void read_log_reconnecting_once(loop *l, watch_log *lg, const logscript *ls,
                                       int with_ts, kd_buf *got)
{
  const char *ts, *text;
  size_t len;
  kd_error err = {0};
  int done = 0;
  while (lg && !done) {
    drive(l, &done, 0.05);
    while (watch_log_next(lg, &ts, &text, &len)) {
      if (with_ts) kd_buf_printf(got, "%s|", ts);
      kd_buf_printf(got, "%.*s%s", (int)len, text, with_ts ? "\n" : ",");
    }
    if (watch_log_status(lg, &err) != WATCH_LOG_RUNNING) {
      if (ls->requests == 1) CHECK(watch_log_reconnect(lg, &err) == KD_OK);
      else done = 1;
    }
  }
}

static int log_server(httpd *h, int fd, const char *req, int n)
{
  logscript *ls = log_answer(h, fd, req);
  if (ls->requests == 1) {
    httpd_chunk(fd, "2024-05-01T10:00:00.1Z one\n2024-05-01T10:00:01.5Z two\n2024-05-01T10:00:01.5Z tw");
    httpd_chunk(fd, "o again\n2024-05-01T10:00:02Z partial li");
    return 0;                              /* dropped without the last chunk */
  }
  /* resumed at the second: the server repeats what it has since then */
  httpd_chunk(fd, "2024-05-01T10:00:01.5Z two\n2024-05-01T10:00:01.5Z two again\n"
              "2024-05-01T10:00:02Z partial line\n2024-05-01T10:00:03.25Z three\n");
  httpd_send(fd, "0\r\n\r\n");
  return 1;
}

static void test_log_stream_resumes_without_duplicates(void)
{
  httpd h;
  logscript ls = {0};
  kd_error err = {0};
  loop *l = loop_new(&err);
  kube_client *c;
  watch_log *lg;
  kd_buf got = {0};
  loop_id id = loop_new_id(l);
  CHECK(httpd_start(&h, log_server, &ls) == 0);
  c = client_for(l, h.port, NULL);
  if (!c) return;
  lg = watch_log_open(c, "/api/v1/namespaces/web/pods/p/log", "container=app",
                      "tailLines=10", 1, id, &err);
  CHECK(lg != NULL);
  read_log_reconnecting_once(l, lg, &ls, 1, &got);
  CHECK_STR(got.data, "2024-05-01T10:00:00.1Z|one\n2024-05-01T10:00:01.5Z|two\n"
            "2024-05-01T10:00:01.5Z|two again\n2024-05-01T10:00:02Z|partial line\n"
            "2024-05-01T10:00:03.25Z|three\n");
  CHECK_STR(ls.since, "2024-05-01T10:00:01.500000000Z");
  CHECK(strstr(h.reqs[0], "container=app") && strstr(h.reqs[0], "tailLines=10"));
  CHECK(strstr(h.reqs[0], "follow=true") && strstr(h.reqs[0], "timestamps=true"));
  CHECK(strstr(h.reqs[1], "container=app") && !strstr(h.reqs[1], "tailLines"));
  watch_log_close(lg);
  kd_buf_free(&got);
  kube_client_free(c);
  httpd_stop(&h);
  loop_free(l);
}

/* Lines timed with a zone offset: dropped after the first, resumed. */
static int offset_log_server(httpd *h, int fd, const char *req, int n)
{
  logscript *ls = log_answer(h, fd, req);
  httpd_chunk(fd, "2024-05-01T12:00:01.5+02:00 one\n");
  if (ls->requests == 1) return 0;
  httpd_chunk(fd, "2024-05-01T12:00:02+02:00 two\n");
  httpd_send(fd, "0\r\n\r\n");
  return 1;
}

/* The '+' of the offset is sent percent-encoded (else it reads as a
 * space), after nine fraction digits. */
static void test_log_stream_resumes_at_a_zone_offset(void)
{
  httpd h;
  logscript ls = {0};
  kd_error err = {0};
  loop *l = loop_new(&err);
  kube_client *c;
  watch_log *lg;
  kd_buf got = {0};
  loop_id id = loop_new_id(l);
  CHECK(httpd_start(&h, offset_log_server, &ls) == 0);
  c = client_for(l, h.port, NULL);
  if (!c) return;
  lg = watch_log_open(c, "/api/v1/namespaces/web/pods/p/log", NULL, NULL, 1, id, &err);
  CHECK(lg != NULL);
  read_log_reconnecting_once(l, lg, &ls, 0, &got);
  CHECK_STR(got.data, "one,two,");
  CHECK_STR(ls.since, "2024-05-01T12:00:01.500000000%2B02:00");
  watch_log_close(lg);
  kd_buf_free(&got);
  kube_client_free(c);
  httpd_stop(&h);
  loop_free(l);
}

/* ---- watch resume and relist ------------------------------------------------ */

static int watch_server(httpd *h, int fd, const char *req, int n)
{
  int i = h->nreq;
  const char *cm = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"%s\","
                   "\"namespace\":\"web\",\"resourceVersion\":\"%d\"}}";
  char obj[256], ev[400], body[1024];
  if (strstr(req, "watch=1")) {
    httpd_send(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
    if (strstr(req, "resourceVersion=5 ") || strstr(req, "resourceVersion=5&")) {
      snprintf(obj, sizeof obj, cm, "b", 6);
      snprintf(ev, sizeof ev, "{\"type\":\"ADDED\",\"object\":%s}\n{\"type\":\"BOOKMARK\",", obj);
      httpd_chunk(fd, ev);
      httpd_chunk(fd, "\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"resourceVersion\":\"7\"}}}\n");
      return 0;                           /* dropped: resume from 7 */
    }
    if (strstr(req, "resourceVersion=7")) {
      snprintf(obj, sizeof obj, cm, "a", 8);
      snprintf(ev, sizeof ev, "{\"type\":\"MODIFIED\",\"object\":%s}\n", obj);
      httpd_chunk(fd, ev);
      httpd_chunk(fd, ev);                /* a repeat must not be delivered twice */
      httpd_chunk(fd, "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,"
                  "\"reason\":\"Expired\"}}\n");
      httpd_send(fd, "0\r\n\r\n");
      return 1;
    }
    while (!h->stop) usleep(20000);       /* the watch after the relist */
    return 0;
  }
  /* lists: first a, then after the 410: a (changed) and c, b gone */
  if (i == 1) {
    char a[256];
    snprintf(a, sizeof a, cm, "a", 3);
    snprintf(body, sizeof body, "{\"kind\":\"ConfigMapList\",\"metadata\":{\"resourceVersion\":\"5\"},"
             "\"items\":[%s]}", a);
  } else {
    char a[256], c[256];
    snprintf(a, sizeof a, cm, "a", 9);
    snprintf(c, sizeof c, cm, "c", 10);
    snprintf(body, sizeof body, "{\"kind\":\"ConfigMapList\",\"metadata\":{\"resourceVersion\":\"10\"},"
             "\"items\":[%s,%s]}", a, c);
  }
  httpd_reply(fd, 200, NULL, body);
  return 1;
}

static void test_watch_resumes_and_relists_exactly_once(void)
{
  httpd h;
  kd_error err = {0};
  loop *l = loop_new(&err);
  kube_client *c;
  watch_hub *hub;
  watch_sub *s1, *s2;
  watch_opts o;
  kd_buf got = {0}, got2 = {0};
  int done = 0, n1 = 0, n2 = 0;
  double t0 = loop_now();
  CHECK(httpd_start(&h, watch_server, NULL) == 0);
  c = client_for(l, h.port, NULL);
  if (!c) return;
  hub = watch_hub_new(c, &err);
  memset(&o, 0, sizeof o);
  o.path = "/api/v1/namespaces/web/configmaps";
  o.timeout_seconds = 60;
  s1 = watch_subscribe(hub, &o, loop_new_id(l), &err);
  s2 = watch_subscribe(hub, &o, loop_new_id(l), &err);
  CHECK(s1 && s2 && watch_hub_streams(hub) == 1);   /* shared */
  while (!done && loop_now() - t0 < 20) {
    watch_type type;
    watch_obj *obj;
    drive(l, &done, 0.05);
    while (watch_next(s1, &type, &obj, &err)) {
      const kd_value *md = obj ? kd_obj_gets(&obj->v, "metadata") : NULL;
      kd_buf_printf(&got, "%d:%s@%s ", type, md ? kd_obj_gets(md, "name")->u.str.s : "-",
                    md ? kd_obj_gets(md, "resourceVersion")->u.str.s : "-");
      watch_obj_release(obj);
      n1++;
    }
    done = got.data && strstr(got.data, "0:c@10") != NULL;
  }
  /* ADDED a, SYNCED, ADDED b (watch), MODIFIED a@8 once, then the relist's
   * difference: a@9 modified, c added, b deleted */
  CHECK(got.data && strncmp(got.data, "0:a@3 3:-@- 0:b@6 1:a@8 ", 24) == 0);
  CHECK(got.data && strstr(got.data, "1:a@9") && strstr(got.data, "0:c@10") &&
        strstr(got.data, "2:b@6"));
  CHECK(got.data && !strstr(got.data, "1:a@8 1:a@8"));
  {
    watch_type type;
    watch_obj *obj;
    while (watch_next(s2, &type, &obj, &err)) {
      kd_buf_printf(&got2, "%d ", type);
      watch_obj_release(obj);
      n2++;
    }
  }
  CHECK(n1 == 7 && n2 == n1);                    /* the same changes, once each */
  CHECK(watch_get(s1, "web", "c") != NULL && watch_get(s1, "web", "b") == NULL);
  CHECK(strstr(h.reqs[2], "resourceVersion=7") != NULL);  /* resumed after the drop */
  CHECK(strstr(h.reqs[1], "allowWatchBookmarks=true") != NULL);
  watch_unsubscribe(s1);
  CHECK(watch_hub_streams(hub) == 1);
  watch_unsubscribe(s2);
  CHECK(watch_hub_streams(hub) == 0);                     /* last one gone */
  watch_hub_free(hub);
  kd_buf_free(&got);
  kd_buf_free(&got2);
  kube_client_free(c);
  httpd_stop(&h);
  loop_free(l);
}

int main(void)
{
  char cmd[128];
  snprintf(dir, sizeof dir, "/tmp/kd_client_testXXXXXX");
  if (!mkdtemp(dir)) return 1;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  RUN(test_retries_follow_the_verb_and_status);
  RUN(test_failures_are_one_clear_line);
  RUN(test_server_url_is_host_port_and_prefix_only);
  RUN(test_connections_are_reused);
  RUN(test_queued_call_goes_out_before_the_caller_runs);
  RUN(test_request_headers_are_exactly_these);
  RUN(test_request_lines_keep_the_path);
  RUN(test_rate_limit_spaces_requests);
  RUN(test_log_stream_resumes_without_duplicates);
  RUN(test_log_stream_resumes_at_a_zone_offset);
  RUN(test_watch_resumes_and_relists_exactly_once);
  curl_global_cleanup();
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) return 1;
  TEST_EXIT();
}
