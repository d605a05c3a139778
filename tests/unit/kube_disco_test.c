/* tests/unit/kube_disco_test.c: REST mapping from discovery fixtures
 * (tests/golden/kube/), paths, and the on-disk cache. */
#include "json.h"
#include "kube_disco.h"
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

static kube_disco *from_fixture(const char *file)
{
  kd_error err = {0};
  size_t len, i;
  char *data = kd_read_file(file, &len, &err);
  kd_value docs;
  kube_disco *d = kube_disco_new(&err);
  if (!data || json_decode(data, len, file, &docs, &err)) {
    printf("  %s\n", err.msg);
    free(data);
    kube_disco_free(d);
    return NULL;
  }
  for (i = 0; i < docs.u.arr.len; i++)
    if (kube_disco_add(d, &docs.u.arr.items[i], &err)) printf("  %s\n", err.msg);
  kd_value_clear(&docs);
  free(data);
  return d;
}

static const char *path(const kube_resource *r, const char *ns, const char *name,
                        const char *sub)
{
  static kd_buf b;
  kd_buf_free(&b);
  if (!r || kube_disco_path(r, ns, name, sub, &b)) return "(none)";
  return b.data;
}

static void test_aggregated_mapping(void)
{
  kube_disco *d = from_fixture("tests/golden/kube/discovery_aggregated.json");
  const kube_resource *r;
  CHECK(d != NULL);
  if (!d) return;
  CHECK(kube_disco_count(d) == 7);            /* subresources are not kinds */
  r = kube_disco_find(d, "v1", "Pod");
  CHECK(r && r->namespaced && strcmp(r->name, "pods") == 0);
  CHECK_STR(path(r, "web", "p1", "log"), "/api/v1/namespaces/web/pods/p1/log");
  CHECK_STR(path(r, NULL, NULL, NULL), "/api/v1/pods");
  r = kube_disco_find(d, "v1", "Namespace");
  CHECK(r && !r->namespaced);
  CHECK_STR(path(r, "ignored", "kube-system", NULL), "/api/v1/namespaces/kube-system");
  r = kube_disco_find(d, "apps/v1", "Deployment");
  CHECK_STR(path(r, "web", "api", "scale"), "/apis/apps/v1/namespaces/web/deployments/api/scale");
  r = kube_disco_find(d, "example.com/v1alpha1", "Widget");
  CHECK_STR(path(r, "web", "w", NULL), "/apis/example.com/v1alpha1/widgets/w");
  CHECK(kube_disco_find(d, "apps/v2", "Deployment") == NULL);
  CHECK(kube_disco_find(d, "v1", "Deployment") == NULL);
  CHECK(kube_disco_find(d, "autoscaling/v1", "HorizontalPodAutoscaler") != NULL);
  kube_disco_free(d);
}

static void test_kubectl_style_names(void)
{
  kube_disco *d = from_fixture("tests/golden/kube/discovery_aggregated.json");
  const kube_resource *r;
  if (!d) return;
  CHECK((r = kube_disco_lookup(d, "deploy")) && strcmp(r->kind, "Deployment") == 0);
  CHECK((r = kube_disco_lookup(d, "deployments.apps")) && strcmp(r->group, "apps") == 0);
  CHECK((r = kube_disco_lookup(d, "Deployment.v1.apps")) != NULL);
  CHECK(kube_disco_lookup(d, "deployments.batch") == NULL);
  CHECK((r = kube_disco_lookup(d, "CM")) && strcmp(r->name, "configmaps") == 0);
  CHECK((r = kube_disco_lookup(d, "hpa")) && strcmp(r->version, "v2") == 0);  /* preferred */
  CHECK((r = kube_disco_lookup(d, "hpa.v1.autoscaling")) && strcmp(r->version, "v1") == 0);
  CHECK(kube_disco_lookup(d, "gadgets") == NULL);
  kube_disco_free(d);
}

static void test_legacy_lists_and_preferred_versions(void)
{
  kube_disco *d = from_fixture("tests/golden/kube/discovery_legacy.json");
  const kube_resource *r;
  if (!d) return;
  r = kube_disco_find(d, "v1", "Node");
  CHECK(r && !r->namespaced && strcmp(r->singular, "node") == 0);
  CHECK((r = kube_disco_lookup(d, "hpa")) && strcmp(r->version, "v2") == 0);
  r = kube_disco_find(d, "autoscaling/v1", "HorizontalPodAutoscaler");
  CHECK(r && !r->preferred);
  CHECK_STR(path(kube_disco_find(d, "v1", "Pod"), "a", "b", NULL), "/api/v1/namespaces/a/pods/b");
  kube_disco_free(d);
}

static void test_replacing_a_group_version(void)
{
  kd_error err = {0};
  kube_disco *d = from_fixture("tests/golden/kube/discovery_legacy.json");
  kd_value doc;
  const char *text = "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":"
                     "[{\"name\":\"secrets\",\"namespaced\":true,\"kind\":\"Secret\"}]}";
  if (!d) return;
  CHECK(json_decode(text, strlen(text), "t", &doc, &err) == KD_OK);
  CHECK(kube_disco_add(d, &doc, &err) == KD_OK);
  CHECK(kube_disco_find(d, "v1", "Secret") != NULL);
  CHECK(kube_disco_find(d, "v1", "Pod") == NULL);   /* v1 was replaced */
  kd_value_clear(&doc);
  text = "{\"kind\":\"Status\"}";
  CHECK(json_decode(text, strlen(text), "t", &doc, &err) == KD_OK);
  CHECK(kube_disco_add(d, &doc, &err) == KD_EPARSE);
  CHECK(strstr(err.msg, "unexpected document kind Status") != NULL);
  kd_value_clear(&doc);
  kube_disco_free(d);
}

static void test_cache_round_trip_and_ttl(void)
{
  kd_error err = {0};
  char dir[] = "/tmp/kd_disco_testXXXXXX", cmd[128];
  kube_disco *d = from_fixture("tests/golden/kube/discovery_aggregated.json"), *d2;
  char *file;
  if (!d || !mkdtemp(dir)) return;
  file = kube_disco_cache_path(dir, "https://127.0.0.1:6443/prefix");
  CHECK(strstr(file, "/discovery/127.0.0.1_6443_prefix/kdeploy.json") != NULL);
  CHECK(kube_disco_load(file, 60, &err) == NULL && err.code == KD_ENOTFOUND);
  CHECK(kube_disco_save(d, file, &err) == KD_OK);
  d2 = kube_disco_load(file, 60, &err);
  CHECK(d2 && kube_disco_count(d2) == kube_disco_count(d));
  CHECK(d2 && kube_disco_find(d2, "apps/v1", "Deployment") != NULL);
  kube_disco_free(d2);
  CHECK(kube_disco_load(file, 0, &err) == NULL && err.code == KD_ENOTFOUND);  /* stale */
  free(file);
  kube_disco_free(d);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  CHECK(system(cmd) == 0);
}

int main(void)
{
  RUN(test_aggregated_mapping);
  RUN(test_kubectl_style_names);
  RUN(test_legacy_lists_and_preferred_versions);
  RUN(test_replacing_a_group_version);
  RUN(test_cache_round_trip_and_ttl);
  path(NULL, NULL, NULL, NULL);   /* frees the static buffer */
  TEST_EXIT();
}
