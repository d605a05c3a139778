/* tests/unit/sim_ctrl_test.c: the simulated controllers in process, no
 * sockets: the toolkit (durations, IntOrString, hashes, selectors, maps,
 * conditions), rolling-update invariants, Jobs, garbage collection and
 * the kubelet's scripted behaviour, driven through sim.h. */
#include "test.h"

#include "json.h"
#include "sim/sim.h"
#include "sim/sim_ctrl.h"

#include <stdlib.h>
#include <string.h>

static kd_value J(const char *text)
{
  kd_value v;
  kd_error err;
  if (json_decode(text, strlen(text), "test", &v, &err)) kd_value_null(&v);
  return v;
}

static sim *new_sim(int nodes)
{
  sim_config cfg;
  kd_error err = {0};
  memset(&cfg, 0, sizeof cfg);
  cfg.nodes = nodes;
  return sim_new(&cfg, &err);
}

/* Runs S until PRED holds (checked every 20 ms), at most MAX_MS. */
typedef int (*pred_fn)(sim *s, void *ctx);
static int run_until(sim *s, pred_fn pred, void *ctx, int max_ms)
{
  kd_error err;
  int t;
  for (t = 0; t < max_ms; t += 20) {
    if (pred(s, ctx)) return 1;
    sim_run_for(s, 20, &err);
  }
  return pred(s, ctx);
}

static int create(sim *s, const char *group, const char *plural,
                  const char *json)
{
  kd_value v = J(json);
  kd_error err = {0};
  int rc = sim_obj_create(s, sim_res(s, group, plural), "default", &v, NULL,
                          &err);
  kd_value_clear(&v);
  return rc;
}

static const kd_value *get(sim *s, const char *group, const char *plural,
                           const char *name)
{
  return sim_obj_get(s, sim_res(s, group, plural), "default", name);
}

/* ---- toolkit ---------------------------------------------------------------*/

static void test_toolkit(void)
{
  kd_value sel, labels, v, obj;
  sim_map *m;
  char hash[16];
  CHECK(sim_parse_ms("1.5s", -1) == 1500);
  CHECK(sim_parse_ms("300ms", -1) == 300);
  CHECK(sim_parse_ms("2m", -1) == 120000);
  CHECK(sim_parse_ms("3", -1) == 3000);
  CHECK(sim_parse_ms("x", -7) == -7 && sim_parse_ms(NULL, 5) == 5);
  v = J("\"25%\"");
  CHECK(sim_scaled(&v, 3, 1, 0) == 1 && sim_scaled(&v, 3, 0, 9) == 0);
  CHECK(sim_scaled(&v, 10, 1, 0) == 3 && sim_scaled(&v, 10, 0, 0) == 2);
  kd_value_clear(&v);
  v = J("2");
  CHECK(sim_scaled(&v, 10, 0, 0) == 2 && sim_scaled(NULL, 10, 0, 7) == 7);
  kd_value_clear(&v);
  /* kube's hashes: digits in the safe alphabet, stable, template-bound */
  v = J("{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"b\"}]}}");
  sim_hash(&v, -1, hash);
  CHECK(strlen(hash) >= 8 && strspn(hash, "456789bcdf") == strlen(hash));
  {
    char again[16], other[16];
    sim_hash(&v, -1, again);
    sim_hash(&v, 1, other);
    CHECK(!strcmp(hash, again) && strcmp(hash, other));
  }
  kd_value_clear(&v);
  sel = J("{\"matchLabels\":{\"app\":\"a\"},\"matchExpressions\":["
          "{\"key\":\"tier\",\"operator\":\"In\",\"values\":[\"web\",\"api\"]},"
          "{\"key\":\"canary\",\"operator\":\"DoesNotExist\"}]}");
  labels = J("{\"app\":\"a\",\"tier\":\"api\"}");
  CHECK(sim_lsel_match(&sel, &labels));
  sim_vset_key(&labels, "canary", "yes");
  CHECK(!sim_lsel_match(&sel, &labels));
  CHECK(!sim_lsel_match(NULL, &labels));
  kd_value_clear(&sel);
  sel = J("{}");
  CHECK(sim_lsel_match(&sel, &labels));           /* empty: everything */
  CHECK(!sim_map_match(&sel, &labels, 0));        /* a Service's: nothing */
  kd_value_clear(&sel);
  kd_value_clear(&labels);
  /* maps survive deletes and growth */
  m = sim_map_new();
  {
    char k[32];
    int i, ok = 1;
    for (i = 0; i < 500; i++) {
      snprintf(k, sizeof k, "key%d", i);
      sim_map_put(m, k, k);
      if (i % 3 == 0) sim_map_del(m, k);
    }
    for (i = 0; i < 500; i++) {
      const char *got;
      snprintf(k, sizeof k, "key%d", i);
      got = sim_map_get(m, k);
      if (i % 3 == 0 ? got != NULL : !got || strcmp(got, k)) ok = 0;
    }
    CHECK(ok && sim_map_len(m) == 333);
  }
  sim_map_free(m);
  /* conditions: transition time kept while the status stays */
  obj = J("{}");
  CHECK(sim_cond_set(&obj, "Ready", "False", "A", "m", 0, "T1"));
  CHECK(!sim_cond_set(&obj, "Ready", "False", "A", "m", 0, "T2"));
  CHECK(sim_cond_set(&obj, "Ready", "False", "B", "m", 0, "T3"));
  CHECK_STR(sim_vstr(sim_cond_get(&obj, "Ready"), "lastTransitionTime"), "T1");
  CHECK(sim_cond_set(&obj, "Ready", "True", NULL, NULL, 0, "T4"));
  CHECK_STR(sim_vstr(sim_cond_get(&obj, "Ready"), "lastTransitionTime"), "T4");
  CHECK(sim_cond_true(&obj, "Ready") && !sim_vstr(sim_cond_get(&obj, "Ready"), "reason"));
  kd_value_clear(&obj);
}

/* ---- rolling update invariants -------------------------------------------------*/

typedef struct roll {
  const sim_resource *rs;
  int64_t max_total, min_avail_seen;
  int tracking;
} roll;

struct sums {
  int64_t spec, avail;
};

static int sum_rs(void *ctx, const kd_value *rs)
{
  struct sums *x = ctx;
  x->spec += sim_vint(rs, "spec.replicas", 0);
  x->avail += sim_vint(rs, "status.availableReplicas", 0);
  return 0;
}

/* After every change: pods asked for (sum of spec.replicas) and
 * available pods (sum of status). */
static void on_rs(sim *s, void *ctx, const sim_event *ev)
{
  roll *r = ctx;
  struct sums x = {0, 0};
  if (ev->res != r->rs || !r->tracking) return;
  sim_obj_each(s, r->rs, "default", sum_rs, &x);
  if (x.spec > r->max_total) r->max_total = x.spec;
  if (x.avail < r->min_avail_seen) r->min_avail_seen = x.avail;
}

static int rolled(sim *s, void *ctx)
{
  const kd_value *d = get(s, "apps", "deployments", "d");
  const char *gen = ctx;
  const kd_value *c = sim_cond_get(d, "Progressing");
  return d && sim_vint(d, "status.observedGeneration", 0) == atoi(gen) &&
         sim_vint(d, "status.updatedReplicas", 0) == 4 &&
         sim_vint(d, "status.availableReplicas", 0) == 4 &&
         sim_vint(d, "status.replicas", 0) == 4 && c &&
         !strcmp(sim_vstr(c, "reason"), "NewReplicaSetAvailable");
}

static void test_rolling_update(void)
{
  sim *s = new_sim(2);
  roll r;
  kd_value d;
  kd_error err;
  if (!s) return;
  memset(&r, 0, sizeof r);
  r.rs = sim_res(s, "apps", "replicasets");
  r.min_avail_seen = 1000;
  sim_subscribe(s, on_rs, &r);
  CHECK(create(s, "apps", "deployments",
    "{\"metadata\":{\"name\":\"d\"},\"spec\":{\"replicas\":4,"
    "\"strategy\":{\"rollingUpdate\":{\"maxSurge\":1,\"maxUnavailable\":1}},"
    "\"selector\":{\"matchLabels\":{\"a\":\"b\"}},\"template\":{\"metadata\":"
    "{\"labels\":{\"a\":\"b\"}},\"spec\":{\"containers\":[{\"name\":\"c\","
    "\"image\":\"i:1\"}]}}}}") == KD_OK);
  CHECK(run_until(s, rolled, "1", 10000));
  /* new template: never more than 5 pods, never fewer than 3 available */
  r.tracking = 1;
  kd_value_copy(&d, get(s, "apps", "deployments", "d"));
  sim_vset_str(kd_value_path(&d, "spec.template.spec.containers")->u.arr.items,
               "image", "i:2");
  CHECK(sim_obj_update(s, sim_res(s, "apps", "deployments"), &d, NULL, &err) == KD_OK);
  kd_value_clear(&d);
  CHECK(run_until(s, rolled, "2", 10000));
  CHECK(r.max_total == 5);
  CHECK(r.min_avail_seen >= 3);
  CHECK_STR(sim_vkey(kd_value_path(get(s, "apps", "deployments", "d"),
                                   "metadata.annotations"),
                     "deployment.kubernetes.io/revision"), "2");
  sim_free(s);
}

/* ---- Jobs ------------------------------------------------------------------------*/

static int job_done(sim *s, void *ctx)
{
  const kd_value *j = get(s, "batch", "jobs", ctx);
  return sim_cond_true(j, "Complete") || sim_cond_true(j, "Failed");
}

static void test_jobs(void)
{
  sim *s = new_sim(1);
  const kd_value *j;
  if (!s) return;
  CHECK(create(s, "batch", "jobs",
    "{\"metadata\":{\"name\":\"ix\"},\"spec\":{\"completions\":3,"
    "\"parallelism\":3,\"completionMode\":\"Indexed\",\"template\":{\"spec\":"
    "{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"c\","
    "\"image\":\"busybox\",\"env\":[{\"name\":\"SIM_RUN_FOR\","
    "\"value\":\"100ms\"}]}]}}}}") == KD_OK);
  CHECK(create(s, "batch", "jobs",
    "{\"metadata\":{\"name\":\"no\"},\"spec\":{\"backoffLimit\":0,"
    "\"template\":{\"spec\":{\"restartPolicy\":\"Never\",\"containers\":"
    "[{\"name\":\"c\",\"image\":\"busybox\",\"env\":[{\"name\":"
    "\"SIM_EXIT_CODE\",\"value\":\"7\"}]}]}}}}") == KD_OK);
  CHECK(run_until(s, job_done, "ix", 10000));
  j = get(s, "batch", "jobs", "ix");
  CHECK(sim_cond_true(j, "SuccessCriteriaMet") && sim_cond_true(j, "Complete"));
  CHECK_STR(sim_vstr(j, "status.completedIndexes"), "0-2");
  CHECK(sim_vint(j, "status.succeeded", 0) == 3 && sim_vstr(j, "status.completionTime"));
  CHECK(run_until(s, job_done, "no", 10000));
  j = get(s, "batch", "jobs", "no");
  CHECK(sim_cond_true(j, "FailureTarget") && sim_cond_true(j, "Failed"));
  CHECK_STR(sim_vstr(sim_cond_get(j, "Failed"), "reason"), "BackoffLimitExceeded");
  CHECK(sim_vint(j, "status.failed", 0) == 1 && !sim_vstr(j, "status.completionTime"));
  sim_free(s);
}

/* ---- garbage collection -------------------------------------------------------------*/

static int count_one(void *ctx, const kd_value *o)
{
  (void)o;
  (*(int *)ctx)++;
  return 0;
}

static int pods_of_rs(sim *s, void *ctx)
{
  int n = 0;
  (void)ctx;
  sim_obj_each(s, sim_res(s, "", "pods"), "default", count_one, &n);
  return n == 2;
}

static int gone(sim *s, void *ctx)
{
  return !get(s, "apps", "replicasets", ctx);
}

static int owner_gone(sim *s, void *ctx)
{
  (void)ctx;
  return !get(s, "", "configmaps", "owner");
}

static int orphaned(sim *s, void *ctx)
{
  const kd_value *rs = get(s, "apps", "replicasets", ctx);
  return rs && !kd_value_path(rs, "metadata.ownerReferences") &&
         owner_gone(s, NULL);
}

static void test_gc(void)
{
  sim *s = new_sim(1);
  const kd_value *o;
  kd_value rs;
  kd_error err;
  char json[800];
  if (!s) return;
  CHECK(create(s, "", "configmaps", "{\"metadata\":{\"name\":\"owner\"}}") == KD_OK);
  o = get(s, "", "configmaps", "owner");
  snprintf(json, sizeof json,
    "{\"metadata\":{\"name\":\"dep\",\"ownerReferences\":[{\"apiVersion\":"
    "\"v1\",\"kind\":\"ConfigMap\",\"name\":\"owner\",\"uid\":\"%s\","
    "\"blockOwnerDeletion\":true}]},\"spec\":{\"replicas\":2,\"selector\":"
    "{\"matchLabels\":{\"a\":\"b\"}},\"template\":{\"metadata\":{\"labels\":"
    "{\"a\":\"b\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":"
    "\"i\"}]}}}}", sim_vstr(o, "metadata.uid"));
  CHECK(create(s, "apps", "replicasets", json) == KD_OK);
  CHECK(run_until(s, pods_of_rs, NULL, 5000));
  /* foreground: the owner waits for its blocking dependent and its pods */
  CHECK(sim_obj_delete(s, sim_res(s, "", "configmaps"), "default", "owner",
                       "Foreground", &err) == KD_OK);
  o = get(s, "", "configmaps", "owner");
  CHECK(o && kd_value_path(o, "metadata.deletionTimestamp"));
  CHECK(run_until(s, gone, "dep", 10000));
  CHECK(run_until(s, owner_gone, NULL, 5000));
  /* orphan: the dependent stays, without the reference */
  CHECK(create(s, "", "configmaps", "{\"metadata\":{\"name\":\"owner\"}}") == KD_OK);
  o = get(s, "", "configmaps", "owner");
  snprintf(json, sizeof json,
    "{\"metadata\":{\"name\":\"kept\",\"ownerReferences\":[{\"apiVersion\":"
    "\"v1\",\"kind\":\"ConfigMap\",\"name\":\"owner\",\"uid\":\"%s\"}]},"
    "\"spec\":{\"replicas\":0,\"selector\":{\"matchLabels\":{\"a\":\"k\"}},"
    "\"template\":{\"metadata\":{\"labels\":{\"a\":\"k\"}},\"spec\":"
    "{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}}}",
    sim_vstr(o, "metadata.uid"));
  CHECK(create(s, "apps", "replicasets", json) == KD_OK);
  CHECK(sim_obj_delete(s, sim_res(s, "", "configmaps"), "default", "owner",
                       "Orphan", &err) == KD_OK);
  CHECK(run_until(s, orphaned, "kept", 5000));
  /* background: a dependent whose owner is gone goes too */
  kd_value_copy(&rs, get(s, "apps", "replicasets", "kept"));
  sim_vset_str(&rs, "metadata.name", "dangling");
  sim_vdel(&rs, "metadata.resourceVersion");
  sim_vdel(&rs, "metadata.uid");
  {
    kd_value *refs = sim_varr(&rs, "metadata.ownerReferences"), *ref;
    ref = kd_arr_push(refs);
    *ref = J("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"ghost\","
             "\"uid\":\"00000000-0000-4000-8000-000000000000\"}");
  }
  CHECK(sim_obj_create(s, sim_res(s, "apps", "replicasets"), "default", &rs,
                       NULL, &err) == KD_OK);
  kd_value_clear(&rs);
  CHECK(run_until(s, gone, "dangling", 5000));
  sim_free(s);
}

/* ---- kubelet scripts ----------------------------------------------------------------*/

static int restarted_twice(sim *s, void *ctx)
{
  const kd_value *p = get(s, "", "pods", ctx);
  const kd_value *cs = kd_value_path(p, "status.containerStatuses");
  return sim_vlen(cs) == 1 && sim_vint(cs->u.arr.items, "restartCount", 0) >= 2 &&
         sim_vstr(cs->u.arr.items, "state.waiting.reason") &&
         !strcmp(sim_vstr(cs->u.arr.items, "state.waiting.reason"), "CrashLoopBackOff");
}

struct ev_find {
  const char *reason;
  int64_t count;
};

static int find_event(void *ctx, const kd_value *ev)
{
  struct ev_find *f = ctx;
  if (sim_vstr(ev, "reason") && !strcmp(sim_vstr(ev, "reason"), f->reason) &&
      sim_vint(ev, "count", 0) > f->count)
    f->count = sim_vint(ev, "count", 0);
  return 0;
}

static int pod_ready(sim *s, void *ctx)
{
  return sim_pod_ready(get(s, "", "pods", ctx));
}

static int pod_gone(sim *s, void *ctx)
{
  return !get(s, "", "pods", ctx);
}

static void test_kubelet(void)
{
  sim *s = new_sim(1);
  struct ev_find f = {"BackOff", 0};
  const kd_value *p;
  kd_error err;
  if (!s) return;
  CHECK(create(s, "", "pods", "{\"metadata\":{\"name\":\"crash\"},\"spec\":"
               "{\"containers\":[{\"name\":\"c\",\"image\":\"sim/crash:2\"}]}}") == KD_OK);
  CHECK(create(s, "", "pods", "{\"metadata\":{\"name\":\"ok\"},\"spec\":"
               "{\"terminationGracePeriodSeconds\":7,\"containers\":[{\"name\":"
               "\"c\",\"image\":\"nginx\",\"env\":[{\"name\":\"SIM_READY_AFTER\","
               "\"value\":\"50ms\"}]}]}}") == KD_OK);
  CHECK(run_until(s, restarted_twice, "crash", 15000));
  p = get(s, "", "pods", "crash");
  CHECK_STR(sim_vstr(p, "status.phase"), "Running");
  CHECK(!sim_pod_ready(p));
  CHECK(sim_vint(kd_value_path(p, "status.containerStatuses")->u.arr.items,
                 "lastState.terminated.exitCode", 0) == 1);
  sim_obj_each(s, sim_res(s, "", "events"), "default", find_event, &f);
  CHECK(f.count >= 1);   /* BackOff, aggregated */
  CHECK(run_until(s, pod_ready, "ok", 5000));
  p = get(s, "", "pods", "ok");
  CHECK(sim_vstr(p, "status.podIP") && sim_vstr(p, "spec.nodeName"));
  /* graceful deletion: marked with the pod's grace period, then gone */
  CHECK(sim_obj_delete(s, sim_res(s, "", "pods"), "default", "ok", NULL, &err) == KD_OK);
  p = get(s, "", "pods", "ok");
  CHECK(p && sim_vint(p, "metadata.deletionGracePeriodSeconds", 0) == 7);
  CHECK(run_until(s, pod_gone, "ok", 5000));
  sim_free(s);
}

/* cron schedules: parsing, kube's error words and next activations (UTC) */
static int64_t next_of(const char *spec, int64_t after)
{
  sim_cron c;
  kd_buf why = {0};
  int rc = sim_cron_parse(spec, &c, &why);
  int64_t next = rc ? -2 : sim_cron_next(&c, after);
  kd_buf_free(&why);
  sim_cron_free(&c);
  return next;
}

/* the same in zone TZ (as spec.timeZone gives it to the controller) */
static int64_t next_in(const char *tz, const char *spec, int64_t after)
{
  sim_cron c;
  kd_buf why = {0};
  int rc = sim_cron_parse(spec, &c, &why);
  int64_t next = -2;
  if (rc == 0 && (c.tz = sim_tz_load(tz, &why)) != NULL)
    next = sim_cron_next(&c, after);
  kd_buf_free(&why);
  sim_cron_free(&c);
  return next;
}

static void cron_error(const char *spec, const char *want)
{
  sim_cron c;
  kd_buf why = {0};
  CHECK(sim_cron_parse(spec, &c, &why) == -1);
  CHECK_STR(why.data, want);
  kd_buf_free(&why);
  sim_cron_free(&c);
}

static void tz_error(const char *name, const char *want)
{
  kd_buf why = {0};
  sim_tz *z = sim_tz_load(name, &why);
  CHECK(z == NULL);
  CHECK_STR(why.data, want);
  sim_tz_free(z);
  kd_buf_free(&why);
}

/* schedules in IANA zones from the system tz database, DST included
 * (expected instants from Python's zoneinfo over the same database) */
static void test_cron_zones(void)
{
  const int64_t t = 1796164210;   /* 2026-12-01T22:30:10Z */
  CHECK(next_in("Asia/Tokyo", "0 9 * * *", t) == 1796169600);  /* 00:00Z */
  CHECK(next_of("CRON_TZ=Asia/Tokyo 0 9 * * *", t) == 1796169600);
  CHECK(next_of("TZ=Asia/Tokyo @daily", t) == 1796223600);     /* 15:00Z */
  CHECK(next_in("Asia/Kolkata", "0 0 * * *", t) == 1796236200); /* +05:30 */
  CHECK(next_in("UTC", "0 9 * * *", t) == 1796202000);
  /* Berlin, 2027-03-28: 02:30 does not exist, that day is skipped */
  CHECK(next_in("Europe/Berlin", "30 2 * * *", 1806148800) == 1806280200);
  /* Berlin, 2027-10-31: 02:30 comes twice and runs twice */
  CHECK(next_in("Europe/Berlin", "30 2 * * *", 1824897600) == 1824942600);
  CHECK(next_in("Europe/Berlin", "30 2 * * *", 1824942600) == 1824946200);
  /* New York's noon moves from 17:00Z to 16:00Z on 2027-03-14 */
  CHECK(next_in("America/New_York", "0 12 * * *", 1804960800) == 1805040000);
  /* the southern summer: Sydney at +11 on New Year's day */
  CHECK(next_in("Australia/Sydney", "0 12 1 1 *", t) == 1798765200);
  /* past the file's transitions: its footer rule (CEST, then CET) */
  CHECK(next_in("Europe/Berlin", "0 12 1 7 *", 2366841600) == 2382516000);
  CHECK(next_in("Europe/Berlin", "0 12 1 12 *", 2366841600) == 2395738800);
  cron_error("TZ=Mars/Base * * * * *",
             "provided bad location Mars/Base: unknown time zone Mars/Base");
  cron_error("", "empty spec string");
  tz_error("Mars/Base", "unknown time zone Mars/Base");
  tz_error("America", "unknown time zone America");   /* a directory */
  tz_error("../etc/passwd", "time: invalid location name");
}

static void test_cron(void)
{
  /* 2026-12-01T22:30:10Z is a Tuesday */
  const int64_t t = 1796164210;
  CHECK(next_of("* * * * *", t) == 1796164260);            /* 22:31 */
  CHECK(next_of("*/15 * * * *", t) == 1796164200 + 900);   /* 22:45 */
  CHECK(next_of("0 9 * * *", t) == 1796202000);            /* Dec 2 09:00 */
  CHECK(next_of("@hourly", t) == 1796164200 + 1800);       /* 23:00 */
  CHECK(next_of("0 0 * * sun", t) == 1796515200);          /* Sun Dec 6 */
  CHECK(next_of("0 0 1 jan *", t) == 1798761600);          /* 2027-01-01 */
  /* both day fields restricted: either matches (the 3rd or a Friday) */
  CHECK(next_of("0 0 3 * 5", t) == 1796256000);            /* Thu Dec 3 */
  CHECK(next_of("0 0 30 2 *", t) == -1);                   /* never */
  CHECK(next_of("5,10-12/2 * * * *", t + 350) == 1796166300); /* 23:05 */
  cron_error("* * *", "expected exactly 5 fields, found 3: [* * *]");
  cron_error("60 * * * *", "end of range (60) above maximum (59): 60");
  cron_error("* * 0 * *", "beginning of range (0) below minimum (1): 0");
  cron_error("5-2 * * * *", "beginning of range (5) beyond end of range (2): 5-2");
  cron_error("*/0 * * * *", "step of range should be a positive number: */0");
  cron_error("x * * * *", "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax");
  cron_error("@often", "unrecognized descriptor: @often");
}

int main(void)
{
  RUN(test_toolkit);
  RUN(test_cron);
  RUN(test_cron_zones);
  RUN(test_rolling_update);
  RUN(test_jobs);
  RUN(test_gc);
  RUN(test_kubelet);
  TEST_EXIT();
}
