/* tests/unit/sim_test.c: engine/sim without sockets: the HTTP parser,
 * selectors, protobuf decoding, and the store/event/timer
 * API that the simulated controllers use. */
#include "test.h"

#include "json.h"
#include "sim/sim.h"
#include "sim/sim_http.h"
#include "sim/sim_int.h"
#include "sim/sim_proto.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static kd_value J(const char *text)
{
  kd_value v;
  kd_error err;
  if (json_decode(text, strlen(text), "test", &v, &err)) kd_value_null(&v);
  return v;
}

static char *enc(const kd_value *v)
{
  kd_buf b = {0};
  json_encode(v, JSON_SORT_KEYS, &b, NULL);
  return kd_buf_take(&b, NULL);
}

static void test_http_parse(void)
{
  const char *two = "GET /api/v1/pods?a=b%20c&x HTTP/1.1\r\nHost: h\r\n"
                    "X-Y:  v  \r\n\r\nPOST /p HTTP/1.0\r\nContent-Length: 3\r\n"
                    "\r\nabc";
  sim_req r;
  size_t used;
  int st;
  char *q;
  CHECK(sim_http_parse(two, strlen(two), 100, &r, &used, &st) == 1);
  CHECK_STR(r.method, "GET");
  CHECK_STR(r.path, "/api/v1/pods");
  CHECK_STR(sim_req_header(&r, "x-y"), "v");
  CHECK(r.keep_alive == 1);
  q = sim_query_get(r.query, "a");
  CHECK_STR(q, "b c");
  free(q);
  q = sim_query_get(r.query, "x");
  CHECK_STR(q, "");
  free(q);
  CHECK(sim_query_get(r.query, "none") == NULL);
  sim_req_free(&r);
  CHECK(sim_http_parse(two + used, strlen(two) - used, 100, &r, &used, &st) == 1);
  CHECK(r.body.len == 3 && memcmp(r.body.data, "abc", 3) == 0);
  CHECK(r.keep_alive == 0);   /* HTTP/1.0 without keep-alive */
  sim_req_free(&r);
}

static void test_http_incomplete_and_errors(void)
{
  const char *partial = "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc";
  const char *chunked = "PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  const char *big = "POST / HTTP/1.1\r\nContent-Length: 1000\r\n\r\n";
  const char *bad = "GET\r\n\r\n";
  const char *ver = "GET / HTTP/2.0\r\n\r\n";
  const char *both = "POST / HTTP/1.1\r\nContent-Length: 1\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n";
  sim_req r;
  size_t used;
  int st;
  CHECK(sim_http_parse(partial, strlen(partial), 100, &r, &used, &st) == 0);
  CHECK(sim_http_parse(chunked, strlen(chunked), 100, &r, &used, &st) == 1);
  CHECK(r.body.len == 5 && memcmp(r.body.data, "abcde", 5) == 0);
  CHECK(used == strlen(chunked));
  sim_req_free(&r);
  CHECK(sim_http_parse(chunked, strlen(chunked) - 3, 100, &r, &used, &st) == 0);
  CHECK(sim_http_parse(big, strlen(big), 100, &r, &used, &st) == -1 && st == 413);
  CHECK(sim_http_parse(bad, strlen(bad), 100, &r, &used, &st) == -1 && st == 400);
  CHECK(sim_http_parse(ver, strlen(ver), 100, &r, &used, &st) == -1 && st == 505);
  CHECK(sim_http_parse(both, strlen(both), 100, &r, &used, &st) == -1 && st == 400);
}

static void test_selectors(void)
{
  kd_value o = J("{\"metadata\":{\"name\":\"a\",\"labels\":{\"app\":\"x\","
                 "\"tier\":\"web\",\"n\":\"5\"}},\"status\":{\"phase\":\"Running\"}}");
  kd_error err = {0};
  const char *yes[] = {"app=x", "app==x,tier in (web,db)", "!missing", "app",
                       "tier notin (db)", "n>4", "app!=y", NULL};
  const char *no[] = {"app=y", "missing", "tier in (db)", "!app", "n<5", NULL};
  int i;
  for (i = 0; yes[i]; i++) {
    sim_selector *s = sim_selector_parse(yes[i], 0, &err);
    CHECK(s && sim_selector_match(s, &o));
    sim_selector_free(s);
  }
  for (i = 0; no[i]; i++) {
    sim_selector *s = sim_selector_parse(no[i], 0, &err);
    CHECK(s && !sim_selector_match(s, &o));
    sim_selector_free(s);
  }
  {
    sim_selector *f = sim_selector_parse("status.phase=Running,metadata.name!=b",
                                         1, &err);
    CHECK(f && sim_selector_match(f, &o));
    sim_selector_free(f);
    CHECK(sim_selector_parse("spec.bogus=1", 1, &err) == NULL);
    CHECK(strstr(err.msg, "field label not supported") != NULL);
    CHECK(sim_selector_parse("app in (x", 0, &err) == NULL);
  }
  kd_value_clear(&o);
}

static void test_proto(void)
{
  /* kubectl create configmap c1 --from-literal=a=b, as sent on the wire */
  static const unsigned char cm[] = {
    'k', '8', 's', 0, 0x0a, 0x0f, 0x0a, 0x02, 'v', '1', 0x12, 0x09, 'C', 'o',
    'n', 'f', 'i', 'g', 'M', 'a', 'p', 0x12, 0x1b, 0x0a, 0x11, 0x0a, 0x02,
    'c', '1', 0x1a, 0x07, 'd', 'e', 'f', 'a', 'u', 'l', 't', 0x38, 0x00,
    0x42, 0x00, 0x12, 0x06, 0x0a, 0x01, 'a', 0x12, 0x01, 'b', 0x1a, 0x00,
    0x22, 0x00};
  kd_value v;
  kd_error err = {0};
  char *s;
  CHECK(sim_proto_decode((const char *)cm, sizeof cm, &v, &err) == KD_OK);
  s = enc(&v);
  CHECK_STR(s, "{\"apiVersion\":\"v1\",\"data\":{\"a\":\"b\"},\"kind\":\"ConfigMap\","
               "\"metadata\":{\"name\":\"c1\",\"namespace\":\"default\"}}");
  free(s);
  kd_value_clear(&v);
  CHECK(sim_proto_decode("k8s\0\x0a", 5, &v, &err) != KD_OK);
  CHECK(sim_proto_decode("{}", 2, &v, &err) == KD_EPARSE);
}

/* ---- store API ------------------------------------------------------------*/

typedef struct seen { int added, modified, deleted; uint64_t last_rv; int order_ok; } seen;

static void on_event(sim *s, void *ctx, const sim_event *ev)
{
  seen *x = ctx;
  (void)s;
  if (ev->type == SIM_ADDED) x->added++;
  if (ev->type == SIM_MODIFIED) x->modified++;
  if (ev->type == SIM_DELETED) x->deleted++;
  if (ev->rv <= x->last_rv) x->order_ok = 0;
  x->last_rv = ev->rv;
}

static void on_timer(sim *s, void *ctx)
{
  int *n = ctx;
  (*n)++;
  if (*n == 1) sim_timer_add(s, 5, on_timer, ctx);
}

static void test_store(void)
{
  sim_config cfg;
  kd_error err = {0};
  sim *s;
  const sim_resource *cm, *dep;
  kd_value obj, out, upd;
  const kd_value *got;
  seen x = {0, 0, 0, 0, 1};
  int ticks = 0;
  memset(&cfg, 0, sizeof cfg);
  cfg.no_controllers = 1;   /* the store alone */
  cfg.nodes = 1;
  s = sim_new(&cfg, &err);
  CHECK(s != NULL);
  if (!s) return;
  CHECK(sim_port(s) > 0);
  cm = sim_resource_get(s, "", "v1", "configmaps");
  dep = sim_resource_for_kind(s, "apps/v1", "Deployment");
  CHECK(cm && dep && sim_resource_namespaced(cm));
  CHECK(sim_subscribe(s, on_event, &x) > 0);
  obj = J("{\"metadata\":{\"name\":\"c\"},\"data\":{\"k\":\"v\"}}");
  CHECK(sim_obj_create(s, cm, "default", &obj, &out, &err) == KD_OK);
  CHECK(sim_str(&out, "metadata.uid") != NULL);
  CHECK(sim_str(&out, "metadata.resourceVersion") != NULL);
  CHECK(sim_obj_create(s, cm, "default", &obj, NULL, &err) == KD_EHTTP);
  CHECK(err.http_status == 409);
  CHECK(sim_obj_create(s, cm, "nope", &obj, NULL, &err) == KD_EHTTP);
  CHECK(err.http_status == 404);
  kd_value_clear(&obj);
  /* stale resourceVersion: 409; current one: accepted */
  kd_value_copy(&upd, &out);
  sim_set_str(&upd, "data.k", "w");
  sim_set_str(&upd, "metadata.resourceVersion", "1");
  CHECK(sim_obj_update(s, cm, &upd, NULL, &err) == KD_EHTTP && err.http_status == 409);
  sim_set_str(&upd, "metadata.resourceVersion", sim_str(&out, "metadata.resourceVersion"));
  CHECK(sim_obj_update(s, cm, &upd, NULL, &err) == KD_OK);
  got = sim_obj_get(s, cm, "default", "c");
  CHECK(got && strcmp(sim_str(got, "data.k"), "w") == 0);
  kd_value_clear(&upd);
  kd_value_clear(&out);
  /* deployment status subresource leaves spec alone; spec bumps generation */
  obj = J("{\"metadata\":{\"name\":\"d\"},\"spec\":{\"selector\":{\"matchLabels\":"
          "{\"a\":\"b\"}},\"template\":{\"metadata\":{\"labels\":{\"a\":\"b\"}},"
          "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}}}");
  CHECK(sim_obj_create(s, dep, "default", &obj, &out, &err) == KD_OK);
  kd_value_clear(&obj);
  sim_set_int(&out, "status.replicas", 1);
  sim_obj_del(kd_value_path(&out, "metadata"), "resourceVersion");
  CHECK(sim_obj_update_status(s, dep, &out, NULL, &err) == KD_OK);
  got = sim_obj_get(s, dep, "default", "d");
  CHECK(got && kd_value_path(got, "status.replicas")->u.i == 1);
  CHECK(kd_value_path(got, "metadata.generation")->u.i == 1);
  sim_set_int(&out, "spec.replicas", 3);
  CHECK(sim_obj_update(s, dep, &out, NULL, &err) == KD_OK);
  got = sim_obj_get(s, dep, "default", "d");
  CHECK(kd_value_path(got, "metadata.generation")->u.i == 2);
  CHECK(kd_value_path(got, "status.replicas")->u.i == 1);  /* status kept */
  kd_value_clear(&out);
  /* finalizers hold a delete until removed */
  obj = J("{\"metadata\":{\"name\":\"f\",\"finalizers\":[\"x/y\"]}}");
  CHECK(sim_obj_create(s, cm, "default", &obj, &out, &err) == KD_OK);
  kd_value_clear(&obj);
  CHECK(sim_obj_delete(s, cm, "default", "f", NULL, &err) == KD_OK);
  got = sim_obj_get(s, cm, "default", "f");
  CHECK(got && kd_value_path(got, "metadata.deletionTimestamp") != NULL);
  kd_value_copy(&upd, got);
  sim_obj_del(kd_value_path(&upd, "metadata"), "finalizers");
  CHECK(sim_obj_update(s, cm, &upd, NULL, &err) == KD_OK);
  CHECK(sim_obj_get(s, cm, "default", "f") == NULL);
  kd_value_clear(&upd);
  kd_value_clear(&out);
  CHECK(sim_obj_delete(s, cm, "default", "c", NULL, &err) == KD_OK);
  CHECK(sim_obj_delete(s, cm, "default", "c", NULL, &err) == KD_EHTTP &&
        err.http_status == 404);
  /* events are delivered from the loop, in order; timers fire */
  sim_timer_add(s, 1, on_timer, &ticks);
  sim_run_for(s, 50, &err);
  CHECK(x.added == 3 && x.deleted == 2 && x.order_ok);
  CHECK(x.modified >= 4);
  CHECK(ticks == 2);
  CHECK(sim_log_append(s, "default", "p", "c", "hello\n", 6) == KD_OK);
  sim_free(s);
}

static int count_res(void *ctx, const sim_resource *r)
{
  (void)r;
  (*(int *)ctx)++;
  return 0;
}

static void test_graceful_pods(void)
{
  sim_config cfg;
  kd_error err = {0};
  sim *s;
  const sim_resource *pods;
  kd_value pod;
  const kd_value *got;
  memset(&cfg, 0, sizeof cfg);
  cfg.no_controllers = 1;   /* the store alone */
  s = sim_new(&cfg, &err);
  CHECK(s != NULL);
  if (!s) return;
  pods = sim_resource_get(s, "", "v1", "pods");
  pod = J("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"nodeName\":\"n1\","
          "\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}");
  CHECK(sim_obj_create(s, pods, "default", &pod, NULL, &err) == KD_OK);
  /* without a kubelet plugin: immediate */
  CHECK(sim_obj_delete(s, pods, "default", "p", NULL, &err) == KD_OK);
  CHECK(sim_obj_get(s, pods, "default", "p") == NULL);
  sim_features_set(s, SIM_F_KUBELET);
  CHECK(sim_obj_create(s, pods, "default", &pod, NULL, &err) == KD_OK);
  CHECK(sim_obj_delete(s, pods, "default", "p", NULL, &err) == KD_OK);
  got = sim_obj_get(s, pods, "default", "p");
  CHECK(got && kd_value_path(got, "metadata.deletionTimestamp") &&
        kd_value_path(got, "metadata.deletionGracePeriodSeconds")->u.i == 30);
  {
    sim_delete_opts now = {NULL, NULL, NULL, 0, 0};
    CHECK(sim_obj_delete_opts(s, pods, "default", "p", &now, &err) == KD_OK);
  }
  CHECK(sim_obj_get(s, pods, "default", "p") == NULL);
  /* sim_obj_replace writes spec and status together */
  CHECK(sim_obj_create(s, pods, "default", &pod, NULL, &err) == KD_OK);
  {
    kd_value rep;
    kd_value_copy(&rep, sim_obj_get(s, pods, "default", "p"));
    sim_set_str(&rep, "status.phase", "Running");
    sim_set_str(&rep, "spec.nodeName", "n2");
    sim_obj_del(kd_value_path(&rep, "metadata"), "resourceVersion");
    CHECK(sim_obj_replace(s, pods, &rep, NULL, &err) == KD_OK);
    got = sim_obj_get(s, pods, "default", "p");
    CHECK(got && !strcmp(sim_str(got, "status.phase"), "Running") &&
          !strcmp(sim_str(got, "spec.nodeName"), "n2"));
    kd_value_clear(&rep);
  }
  CHECK(sim_obj_delete_grace(s, pods, "default", "p", NULL, 0, &err) == KD_OK);
  CHECK(sim_obj_get(s, pods, "default", "p") == NULL);
  CHECK(sim_plugin_state(s, "no-such-plugin") == NULL);
  {
    int n = 0;
    sim_resource_each(s, count_res, &n);
    CHECK(n >= 30);
  }
  kd_value_clear(&pod);
  sim_free(s);
}

/* A request over a real socket, the loop driven by hand in between. */
static int dial(sim *s)
{
  struct sockaddr_in a;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)sim_port(s));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) { close(fd); return -1; }
  return fd;
}

static void exchange(sim *s, int fd, const char *req, kd_buf *resp)
{
  kd_error err = {0};
  char buf[4096];
  ssize_t n;
  if (req && write(fd, req, strlen(req)) < 0) return;
  sim_run_for(s, 30, &err);
  while ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
    kd_buf_add(resp, buf, (size_t)n);
}

static void test_pod_logs(void)
{
  sim_config cfg;
  kd_error err = {0};
  sim *s;
  const sim_resource *pods;
  kd_value pod;
  kd_buf r = {0};
  int fd;
  memset(&cfg, 0, sizeof cfg);
  cfg.no_controllers = 1;   /* the store alone */
  s = sim_new(&cfg, &err);
  CHECK(s != NULL);
  if (!s) return;
  pods = sim_resource_get(s, "", "v1", "pods");
  pod = J("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":"
          "[{\"name\":\"c\",\"image\":\"i\"}]}}");
  CHECK(sim_obj_create(s, pods, "default", &pod, NULL, &err) == KD_OK);
  kd_value_clear(&pod);
  sim_log_append(s, "default", "p", "c", "one", 3);
  sim_log_append(s, "default", "p", "c", "two", 3);
  sim_log_append(s, "default", "p", "c", "three", 5);
  fd = dial(s);
  CHECK(fd >= 0);
  exchange(s, fd, "GET /api/v1/namespaces/default/pods/p/log?tailLines=2 "
           "HTTP/1.1\r\nHost: x\r\n\r\n", &r);
  CHECK(r.data && strstr(r.data, "HTTP/1.1 200") &&
        strstr(r.data, "\r\n\r\ntwo\nthree\n"));
  r.len = 0;
  exchange(s, fd, "GET /api/v1/namespaces/default/pods/p/log?container=x "
           "HTTP/1.1\r\nHost: x\r\n\r\n", &r);
  CHECK(r.data && strstr(r.data, "container x is not valid for pod p"));
  r.len = 0;
  exchange(s, fd, "GET /api/v1/namespaces/default/pods/p/log?follow=true "
           "HTTP/1.1\r\nHost: x\r\n\r\n", &r);
  CHECK(r.data && strstr(r.data, "Transfer-Encoding: chunked") &&
        strstr(r.data, "one\ntwo\nthree\n"));
  r.len = 0;
  sim_log_append(s, "default", "p", "c", "four", 4);
  exchange(s, fd, NULL, &r);
  CHECK(r.data && strstr(r.data, "5\r\nfour\n\r\n"));
  r.len = 0;
  sim_log_end(s, "default", "p", "c");
  exchange(s, fd, NULL, &r);
  CHECK(r.data && strstr(r.data, "0\r\n\r\n"));
  r.len = 0;   /* the connection is usable again after the stream */
  exchange(s, fd, "GET /api/v1/namespaces/default/pods/nope/log HTTP/1.1\r\n"
           "Host: x\r\n\r\n", &r);
  CHECK(r.data && strstr(r.data, "pods \\\"nope\\\" not found"));
  close(fd);
  kd_buf_free(&r);
  sim_free(s);
}

static void test_namespace_finalize(void)
{
  sim_config cfg;
  kd_error err = {0};
  sim *s;
  const sim_resource *nss, *cms;
  kd_value ns, cm;
  const kd_value *got;
  kd_buf r = {0};
  int fd;
  memset(&cfg, 0, sizeof cfg);
  cfg.no_controllers = 1;   /* the store alone: this test plays the controller */
  s = sim_new(&cfg, &err);
  CHECK(s != NULL);
  if (!s) return;
  sim_features_set(s, SIM_F_NAMESPACES);
  nss = sim_resource_get(s, "", "v1", "namespaces");
  cms = sim_resource_get(s, "", "v1", "configmaps");
  ns = J("{\"metadata\":{\"name\":\"gone\"}}");
  cm = J("{\"metadata\":{\"name\":\"c\"}}");
  CHECK(sim_obj_create(s, nss, NULL, &ns, NULL, &err) == KD_OK);
  CHECK(sim_obj_delete(s, nss, NULL, "gone", NULL, &err) == KD_OK);
  got = sim_obj_get(s, nss, NULL, "gone");
  CHECK(got && !strcmp(sim_str(got, "status.phase"), "Terminating"));
  CHECK(sim_obj_create(s, cms, "gone", &cm, NULL, &err) == KD_EHTTP &&
        err.http_status == 403);
  fd = dial(s);
  exchange(s, fd, "PUT /api/v1/namespaces/gone/finalize HTTP/1.1\r\n"
           "Content-Type: application/json\r\nContent-Length: 26\r\n\r\n"
           "{\"spec\":{\"finalizers\":[]}}", &r);
  CHECK(r.data && strstr(r.data, "HTTP/1.1 200"));
  CHECK(sim_obj_get(s, nss, NULL, "gone") == NULL);
  close(fd);
  kd_buf_free(&r);
  kd_value_clear(&ns);
  kd_value_clear(&cm);
  sim_free(s);
}

/* a cause's message is kept whole, however long the value it quotes */
static void test_verr_long_message(void)
{
  sim_verr v = {{0}};
  char *big = malloc(5001);
  const char *m;
  CHECK(big != NULL);
  if (!big) return;
  memset(big, 'x', 5000);
  big[5000] = 0;
  kd_value_null(&v.causes);
  sim_verr_add(&v, "FieldValueInvalid", "spec.schedule",
               "Invalid value: \"%s\": end", big);
  CHECK(v.causes.type == KD_ARR && v.causes.u.arr.len == 1);
  m = sim_str(&v.causes.u.arr.items[0], "message");
  CHECK(m && strlen(m) == strlen("Invalid value: \"\": end") + 5000);
  CHECK(m && !strcmp(m + strlen(m) - 6, "\": end"));
  kd_value_clear(&v.causes);
  free(big);
}

int main(void)
{
  RUN(test_verr_long_message);
  RUN(test_http_parse);
  RUN(test_http_incomplete_and_errors);
  RUN(test_selectors);
  RUN(test_proto);
  RUN(test_store);
  RUN(test_graceful_pods);
  RUN(test_pod_logs);
  RUN(test_namespace_finalize);
  TEST_EXIT();
}
