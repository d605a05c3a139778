/* engine/sim/sim_discovery.c: /version, legacy and aggregated (v2)
 * discovery, and the OpenAPI v2/v3 documents kubectl and helm read
 * (v3: one PATCH operation per resource with its group-version-kind and
 * the fieldValidation parameter, which is what their validation checks). */
#include "sim_int.h"

#include "json.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AGG_CT "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

static const char VERBS[] = "[\"create\",\"delete\",\"deletecollection\","
                            "\"get\",\"list\",\"patch\",\"update\",\"watch\"]";
static const char SUBVERBS[] = "[\"get\",\"patch\",\"update\"]";

/* kube's version priority: GA > beta > alpha, higher numbers first. */
static int version_rank(const char *v, long *major, long *minor)
{
  char *end;
  *major = *minor = 0;
  if (v[0] != 'v' || !isdigit((unsigned char)v[1])) return 0;
  *major = strtol(v + 1, &end, 10);
  if (!*end) return 3;
  if (strncmp(end, "beta", 4) == 0 && isdigit((unsigned char)end[4])) {
    *minor = strtol(end + 4, &end, 10);
    return *end ? 0 : 2;
  }
  if (strncmp(end, "alpha", 5) == 0 && isdigit((unsigned char)end[5])) {
    *minor = strtol(end + 5, &end, 10);
    return *end ? 0 : 1;
  }
  return 0;
}

static int version_before(const char *a, const char *b)
{
  long am, an, bm, bn;
  int ar = version_rank(a, &am, &an), br = version_rank(b, &bm, &bn);
  if (ar != br) return ar > br;
  if (ar == 0) return strcmp(a, b) < 0;
  if (am != bm) return am > bm;
  return an > bn;
}

typedef struct gv_list {
  const char *group;
  const char *versions[16];
  int n;
} gv_list;

/* Groups (core excluded unless CORE) in registry order, versions sorted by
 * priority. Returns the count; fills at most MAX. */
static int collect_groups(sim *s, gv_list *out, int max)
{
  sim_resource *r;
  int n = 0, i, j;
  for (r = s->resources; r; r = r->next) {
    if (!r->group[0]) continue;
    for (i = 0; i < n && strcmp(out[i].group, r->group); i++) {}
    if (i == n) {
      if (n == max) continue;
      out[n].group = r->group;
      out[n].n = 0;
      n++;
    }
    for (j = 0; j < out[i].n && strcmp(out[i].versions[j], r->version); j++) {}
    if (j == out[i].n && out[i].n < 16) out[i].versions[out[i].n++] = r->version;
  }
  for (i = 0; i < n; i++)    /* insertion sort by priority */
    for (j = 1; j < out[i].n; j++) {
      int k = j;
      while (k > 0 && version_before(out[i].versions[k], out[i].versions[k - 1])) {
        const char *t = out[i].versions[k];
        out[i].versions[k] = out[i].versions[k - 1];
        out[i].versions[k - 1] = t;
        k--;
      }
    }
  return n;
}

static void add_list(kd_buf *b, const char *csv)
{
  const char *p = csv;
  int first = 1;
  kd_buf_addc(b, '[');
  while (p && *p) {
    const char *e = strchr(p, ',');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (!first) kd_buf_addc(b, ',');
    json_encode_string(p, n, 0, b);
    first = 0;
    p = e ? e + 1 : NULL;
  }
  kd_buf_addc(b, ']');
}

static void gv_entry(kd_buf *b, const char *group, const char *version)
{
  kd_buf_printf(b, "{\"groupVersion\":\"%s/%s\",\"version\":\"%s\"}", group,
                version, version);
}

static void send(sim *s, sim_conn *c, const char *ctype, kd_buf *b)
{
  kd_buf_addc(b, '\n');
  sim_respond(s, c, 200, ctype, NULL, b->data ? b->data : "", b->len);
  kd_buf_free(b);
}

/* ---- legacy discovery ----------------------------------------------------*/

static void resource_list(sim *s, sim_conn *c, const char *group,
                          const char *version)
{
  kd_buf b = {0};
  sim_resource *r;
  int first = 1;
  kd_buf_printf(&b, "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\","
                "\"groupVersion\":\"%s%s%s\",\"resources\":[", group,
                group[0] ? "/" : "", version);
  for (r = s->resources; r; r = r->next) {
    const char *ns;
    if (strcmp(r->group, group) || strcmp(r->version, version)) continue;
    ns = r->namespaced ? "true" : "false";
    kd_buf_printf(&b, "%s{\"name\":\"%s\",\"singularName\":\"%s\","
                  "\"namespaced\":%s,\"kind\":\"%s\",\"verbs\":%s",
                  first ? "" : ",", r->plural, r->singular, ns, r->kind, VERBS);
    if (r->short_names[0]) {
      kd_buf_adds(&b, ",\"shortNames\":");
      add_list(&b, r->short_names);
    }
    if (r->categories[0]) {
      kd_buf_adds(&b, ",\"categories\":");
      add_list(&b, r->categories);
    }
    kd_buf_addc(&b, '}');
    if (r->has_status)
      kd_buf_printf(&b, ",{\"name\":\"%s/status\",\"singularName\":\"\","
                    "\"namespaced\":%s,\"kind\":\"%s\",\"verbs\":%s}",
                    r->plural, ns, r->kind, SUBVERBS);
    if (r->has_scale)
      kd_buf_printf(&b, ",{\"name\":\"%s/scale\",\"singularName\":\"\","
                    "\"namespaced\":%s,\"group\":\"autoscaling\",\"version\":"
                    "\"v1\",\"kind\":\"Scale\",\"verbs\":%s}", r->plural, ns,
                    SUBVERBS);
    if (!r->group[0] && strcmp(r->plural, "pods") == 0)
      kd_buf_adds(&b, ",{\"name\":\"pods/log\",\"singularName\":\"\","
                      "\"namespaced\":true,\"kind\":\"Pod\",\"verbs\":"
                      "[\"get\"]}");
    first = 0;
  }
  kd_buf_adds(&b, "]}");
  send(s, c, "application/json", &b);
}

static void group_json(kd_buf *b, const gv_list *g, int with_kind)
{
  int j;
  kd_buf_printf(b, "{%s\"name\":\"%s\",\"versions\":[",
                with_kind ? "\"kind\":\"APIGroup\",\"apiVersion\":\"v1\"," : "",
                g->group);
  for (j = 0; j < g->n; j++) {
    if (j) kd_buf_addc(b, ',');
    gv_entry(b, g->group, g->versions[j]);
  }
  kd_buf_adds(b, "],\"preferredVersion\":");
  gv_entry(b, g->group, g->versions[0]);
  kd_buf_addc(b, '}');
}

/* ---- aggregated discovery ------------------------------------------------*/

static void agg_resource(kd_buf *b, const sim_resource *r)
{
  kd_buf_printf(b, "{\"resource\":\"%s\",\"responseKind\":{\"group\":\"\","
                "\"version\":\"\",\"kind\":\"%s\"},\"scope\":\"%s\","
                "\"singularResource\":\"%s\",\"verbs\":%s", r->plural, r->kind,
                r->namespaced ? "Namespaced" : "Cluster", r->singular, VERBS);
  if (r->short_names[0]) {
    kd_buf_adds(b, ",\"shortNames\":");
    add_list(b, r->short_names);
  }
  if (r->categories[0]) {
    kd_buf_adds(b, ",\"categories\":");
    add_list(b, r->categories);
  }
  if (r->has_status || r->has_scale ||
      (!r->group[0] && strcmp(r->plural, "pods") == 0)) {
    int first = 1;
    kd_buf_adds(b, ",\"subresources\":[");
    if (!r->group[0] && strcmp(r->plural, "pods") == 0) {
      kd_buf_printf(b, "{\"subresource\":\"log\",\"responseKind\":{\"group\":"
                    "\"\",\"version\":\"\",\"kind\":\"Pod\"},\"verbs\":"
                    "[\"get\"]}");
      first = 0;
    }
    if (r->has_scale) {
      kd_buf_printf(b, "%s{\"subresource\":\"scale\",\"responseKind\":{"
                    "\"group\":\"autoscaling\",\"version\":\"v1\",\"kind\":"
                    "\"Scale\"},\"verbs\":%s}", first ? "" : ",", SUBVERBS);
      first = 0;
    }
    if (r->has_status)
      kd_buf_printf(b, "%s{\"subresource\":\"status\",\"responseKind\":{"
                    "\"group\":\"\",\"version\":\"\",\"kind\":\"%s\"},"
                    "\"verbs\":%s}", first ? "" : ",", r->kind, SUBVERBS);
    kd_buf_addc(b, ']');
  }
  kd_buf_addc(b, '}');
}

static void agg_version(kd_buf *b, sim *s, const char *group,
                        const char *version)
{
  sim_resource *r;
  int first = 1;
  kd_buf_printf(b, "{\"version\":\"%s\",\"resources\":[", version);
  for (r = s->resources; r; r = r->next) {
    if (strcmp(r->group, group) || strcmp(r->version, version)) continue;
    if (!first) kd_buf_addc(b, ',');
    agg_resource(b, r);
    first = 0;
  }
  kd_buf_adds(b, "],\"freshness\":\"Current\"}");
}

static void aggregated(sim *s, sim_conn *c, int core)
{
  kd_buf b = {0};
  kd_buf_adds(&b, "{\"kind\":\"APIGroupDiscoveryList\",\"apiVersion\":"
                  "\"apidiscovery.k8s.io/v2\",\"metadata\":{},\"items\":[");
  if (core) {
    kd_buf_adds(&b, "{\"metadata\":{\"creationTimestamp\":null},"
                    "\"versions\":[");
    agg_version(&b, s, "", "v1");
    kd_buf_adds(&b, "]}");
  } else {
    gv_list g[64];
    int n = collect_groups(s, g, 64), i, j;
    for (i = 0; i < n; i++) {
      kd_buf_printf(&b, "%s{\"metadata\":{\"name\":\"%s\","
                    "\"creationTimestamp\":null},\"versions\":[",
                    i ? "," : "", g[i].group);
      for (j = 0; j < g[i].n; j++) {
        if (j) kd_buf_addc(&b, ',');
        agg_version(&b, s, g[i].group, g[i].versions[j]);
      }
      kd_buf_adds(&b, "]}");
    }
  }
  kd_buf_adds(&b, "]}");
  send(s, c, AGG_CT, &b);
}

static int wants_aggregated(const sim_req *req)
{
  const char *a = sim_req_header(req, "accept");
  return a && strstr(a, "as=APIGroupDiscoveryList") &&
         strstr(a, "g=apidiscovery.k8s.io") && strstr(a, "v=v2") &&
         /* v=v2 must not be only v=v2beta1 */
         (strstr(a, "v=v2;") || strstr(a, "v=v2,") ||
          (strlen(a) >= 4 && strcmp(a + strlen(a) - 4, "v=v2") == 0));
}

int sim_discovery_handle(sim *s, sim_conn *c, sim_req *req)
{
  const char *p = req->path;
  if (strcmp(req->method, "GET") != 0) return 0;
  if (strcmp(p, "/version") == 0 || strcmp(p, "/version/") == 0) {
    kd_buf b = {0};
    kd_buf_adds(&b, "{\"major\":\"1\",\"minor\":\"33\",\"emulationMajor\":"
                    "\"1\",\"emulationMinor\":\"33\",\"minCompatibilityMajor\""
                    ":\"1\",\"minCompatibilityMinor\":\"32\",\"gitVersion\":"
                    "\"v1.33.0\",\"gitCommit\":\"kdeploy-sim\",\"gitTreeState\""
                    ":\"clean\",\"buildDate\":\"2025-04-23T00:00:00Z\","
                    "\"goVersion\":\"go1.24.2\",\"compiler\":\"gc\","
                    "\"platform\":\"linux/amd64\"}");
    send(s, c, "application/json", &b);
    return 1;
  }
  if (strcmp(p, "/api") == 0 || strcmp(p, "/api/") == 0) {
    kd_buf b = {0};
    if (wants_aggregated(req)) { aggregated(s, c, 1); return 1; }
    kd_buf_printf(&b, "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],"
                  "\"serverAddressByClientCIDRs\":[{\"clientCIDR\":"
                  "\"0.0.0.0/0\",\"serverAddress\":\"127.0.0.1:%d\"}]}",
                  s->port);
    send(s, c, "application/json", &b);
    return 1;
  }
  if (strcmp(p, "/api/v1") == 0 || strcmp(p, "/api/v1/") == 0) {
    resource_list(s, c, "", "v1");
    return 1;
  }
  if (strcmp(p, "/apis") == 0 || strcmp(p, "/apis/") == 0) {
    gv_list g[64];
    int n, i;
    kd_buf b = {0};
    if (wants_aggregated(req)) { aggregated(s, c, 0); return 1; }
    n = collect_groups(s, g, 64);
    kd_buf_adds(&b, "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\","
                    "\"groups\":[");
    for (i = 0; i < n; i++) {
      if (i) kd_buf_addc(&b, ',');
      group_json(&b, &g[i], 0);
    }
    kd_buf_adds(&b, "]}");
    send(s, c, "application/json", &b);
    return 1;
  }
  if (strncmp(p, "/apis/", 6) == 0) {
    const char *g = p + 6, *slash = strchr(g, '/');
    char group[256];
    size_t gl = slash ? (size_t)(slash - g) : strlen(g);
    const char *ver = slash ? slash + 1 : NULL;
    gv_list gs[64];
    int n, i;
    if (gl == 0 || gl >= sizeof group) return 0;
    memcpy(group, g, gl);
    group[gl] = 0;
    if (ver && (strchr(ver, '/') || !ver[0])) return 0;   /* a resource path */
    n = collect_groups(s, gs, 64);
    for (i = 0; i < n && strcmp(gs[i].group, group); i++) {}
    if (i == n) return 0;
    if (!ver) {
      kd_buf b = {0};
      group_json(&b, &gs[i], 1);
      send(s, c, "application/json", &b);
      return 1;
    }
    if (!sim_res_find(s, group, ver, "") && 1) {
      sim_resource *r;
      for (r = s->resources; r; r = r->next)
        if (!strcmp(r->group, group) && !strcmp(r->version, ver)) break;
      if (!r) return 0;
    }
    resource_list(s, c, group, ver);
    return 1;
  }
  return 0;
}

/* ---- OpenAPI -----------------------------------------------------------*/

static unsigned long registry_hash(sim *s)
{
  unsigned long h = 5381;
  sim_resource *r;
  for (r = s->resources; r; r = r->next) {
    const char *parts[3] = {r->group, r->version, r->plural};
    int i;
    for (i = 0; i < 3; i++) {
      const char *p;
      for (p = parts[i]; *p; p++) h = h * 33 + (unsigned char)*p;
      h = h * 33 + '/';
    }
  }
  return h;
}

static void v3_root(sim *s, sim_conn *c)
{
  kd_buf b = {0};
  gv_list g[64];
  int n = collect_groups(s, g, 64), i, j;
  unsigned long h = registry_hash(s);
  kd_buf_printf(&b, "{\"paths\":{\"api/v1\":{\"serverRelativeURL\":"
                "\"/openapi/v3/api/v1?hash=%016lX\"}", h);
  for (i = 0; i < n; i++)
    for (j = 0; j < g[i].n; j++)
      kd_buf_printf(&b, ",\"apis/%s/%s\":{\"serverRelativeURL\":"
                    "\"/openapi/v3/apis/%s/%s?hash=%016lX\"}", g[i].group,
                    g[i].versions[j], g[i].group, g[i].versions[j], h);
  kd_buf_adds(&b, "}}");
  send(s, c, "application/json", &b);
}

static void v3_gv(sim *s, sim_conn *c, const char *group, const char *version)
{
  kd_buf b = {0};
  sim_resource *r;
  int first = 1;
  kd_buf_adds(&b, "{\"openapi\":\"3.0.0\",\"info\":{\"title\":\"Kubernetes\","
                  "\"version\":\"v1.33.0\"},\"paths\":{");
  for (r = s->resources; r; r = r->next) {
    if (strcmp(r->group, group) || strcmp(r->version, version)) continue;
    kd_buf_printf(&b, "%s\"/%s%s/%s%s/%s/{name}\":{\"patch\":{"
                  "\"operationId\":\"patch%s\",\"x-kubernetes-action\":"
                  "\"patch\",\"x-kubernetes-group-version-kind\":{\"group\":"
                  "\"%s\",\"version\":\"%s\",\"kind\":\"%s\"},"
                  "\"parameters\":[{\"name\":\"dryRun\",\"in\":\"query\","
                  "\"schema\":{\"type\":\"string\"}},{\"name\":"
                  "\"fieldManager\",\"in\":\"query\",\"schema\":{\"type\":"
                  "\"string\"}},{\"name\":\"fieldValidation\",\"in\":"
                  "\"query\",\"schema\":{\"type\":\"string\"}},{\"name\":"
                  "\"force\",\"in\":\"query\",\"schema\":{\"type\":"
                  "\"boolean\"}}],\"requestBody\":{\"content\":{"
                  "\"application/apply-patch+yaml\":{\"schema\":{}},"
                  "\"application/json-patch+json\":{\"schema\":{}},"
                  "\"application/merge-patch+json\":{\"schema\":{}}},"
                  "\"required\":true},\"responses\":{\"200\":{"
                  "\"description\":\"OK\"}}}}",
                  first ? "" : ",", group[0] ? "apis/" : "api", group,
                  version, r->namespaced ? "/namespaces/{namespace}" : "",
                  r->plural, r->kind, group, version, r->kind);
    first = 0;
  }
  kd_buf_adds(&b, "},\"components\":{\"schemas\":{}}}");
  send(s, c, "application/json", &b);
}

/* /openapi/v2: the gnostic protobuf when ACCEPT names it in either of
 * kube-openapi's spellings, else JSON. The answer's Content-Type is always
 * the dotted one, as kube's: Go's mime parser rejects the '@' (client-go
 * fails the request with "unexpected content after media subtype"). */
static void openapi_v2(sim *s, sim_conn *c, const char *accept)
{
  static const char *const pb[] = {
    "application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf", NULL
  };
  kd_buf b = {0};
  int i;
  for (i = 0; accept && pb[i]; i++)
    if (strstr(accept, pb[i])) {
      sim_openapi2_proto(s, &b);
      sim_respond(s, c, 200, pb[1], NULL, b.data ? b.data : "", b.len);
      kd_buf_free(&b);
      return;
    }
  if (accept && !strstr(accept, "json") && !strstr(accept, "*/*")) {
    sim_send_status(s, c, 406, "NotAcceptable", "only application/json and "
                    "application/com.github.proto-openapi.spec.v2@v1.0"
                    "+protobuf are served for /openapi/v2", NULL);
    return;
  }
  sim_openapi2_json(s, &b);
  send(s, c, "application/json", &b);
}

int sim_openapi_handle(sim *s, sim_conn *c, sim_req *req)
{
  const char *p = req->path;
  if (strcmp(req->method, "GET") != 0) return 0;
  if (strcmp(p, "/openapi/v2") == 0) {
    openapi_v2(s, c, sim_req_header(req, "accept"));
    return 1;
  }
  if (strcmp(p, "/openapi/v3") == 0 || strcmp(p, "/openapi/v3/") == 0) {
    v3_root(s, c);
    return 1;
  }
  if (strcmp(p, "/openapi/v3/api/v1") == 0) {
    v3_gv(s, c, "", "v1");
    return 1;
  }
  if (strncmp(p, "/openapi/v3/apis/", 17) == 0) {
    const char *g = p + 17, *slash = strchr(g, '/');
    char group[256];
    sim_resource *r;
    size_t gl;
    if (!slash || strchr(slash + 1, '/')) return 0;
    gl = (size_t)(slash - g);
    if (gl >= sizeof group) return 0;
    memcpy(group, g, gl);
    group[gl] = 0;
    for (r = s->resources; r; r = r->next)
      if (!strcmp(r->group, group) && !strcmp(r->version, slash + 1)) break;
    if (!r) return 0;
    v3_gv(s, c, group, slash + 1);
    return 1;
  }
  return 0;
}
