/* tests/unit/kube_test.c: engine/kube without a server: kubeconfig loading,
 * merging and resolution, credentials selection, exec plugins, base64 and
 * RFC 3339 times. Fixtures are written to a temp dir. */
#include "kube.h"
#include "test.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static const char *path_of(const char *name)
{
  static char buf[4][256];
  static int i;
  i = (i + 1) % 4;
  snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
  return buf[i];
}

static void put(const char *name, const char *text)
{
  FILE *f = fopen(path_of(name), "w");
  fputs(text, f);
  fclose(f);
}

static const char *file_a =
  "apiVersion: v1\nkind: Config\n"
  "current-context: ctx-a\n"
  "clusters:\n"
  "- name: shared\n  cluster: {server: 'https://a.example:6443', certificate-authority: ca.pem}\n"
  "- name: only-a\n  cluster: {server: 'http://127.0.0.1:8001'}\n"
  "users:\n"
  "- name: alice\n  user: {token: tok-a}\n"
  "contexts:\n"
  "- name: ctx-a\n  context: {cluster: shared, user: alice, namespace: team-a}\n"
  "- name: plain\n  context: {cluster: only-a}\n";

static const char *file_b =
  "current-context: ctx-b\n"
  "clusters:\n"
  "- name: shared\n  cluster: {server: 'https://b.example'}\n"
  "- name: only-b\n  cluster:\n    server: https://b.example:443\n"
  "    certificate-authority-data: aGVsbG8gY2E=\n    tls-server-name: api.b\n"
  "users:\n"
  "- name: alice\n  user: {token: tok-b}\n"
  "- name: bob\n  user:\n    tokenFile: sub/token\n"
  "contexts:\n"
  "- name: ctx-a\n  context: {cluster: only-b, user: bob}\n"
  "- name: ctx-b\n  context: {cluster: only-b, user: bob}\n";

static kube_config *load_env(const char *env, kd_error *err)
{
  kube_config_opts o = {0};
  o.kubeconfig_env = env;
  return kube_config_load(&o, err);
}

static void test_kubeconfig_env_merges_first_wins(void)
{
  kd_error err = {0};
  char env[600];
  kube_config *cfg;
  kube_conn *c;
  size_t n;
  const char *const *names;
  snprintf(env, sizeof env, "%s:%s:%s", path_of("missing.yaml"), path_of("a.yaml"),
           path_of("b.yaml"));
  cfg = load_env(env, &err);
  CHECK(cfg != NULL);
  if (!cfg) { printf("  %s\n", err.msg); return; }
  CHECK_STR(kube_config_current(cfg), "ctx-a");      /* first file that sets it */
  names = kube_config_contexts(cfg, &n);
  CHECK(n == 3);
  CHECK_STR(names[0], "ctx-a");
  CHECK_STR(names[2], "ctx-b");
  c = kube_config_resolve(cfg, NULL, NULL, &err);
  CHECK(c != NULL);
  if (c) {
    CHECK_STR(c->server, "https://a.example:6443");   /* a's "shared" wins */
    CHECK_STR(c->token, "tok-a");
    CHECK_STR(c->namespace, "team-a");
    CHECK_STR(c->ca_data, "CA FROM DIR\n");             /* relative to a.yaml */
    CHECK_STR(kube_conn_auth_kind(c), "token");
  }
  kube_conn_free(c);
  c = kube_config_resolve(cfg, "ctx-b", "override", &err);
  CHECK(c != NULL);
  if (c) {
    CHECK_STR(c->namespace, "override");
    CHECK_STR(c->ca_data, "hello ca");                  /* base64 data */
    CHECK_STR(c->tls_server_name, "api.b");
    CHECK_STR(c->token_file, path_of("sub/token"));     /* relative to b.yaml */
    CHECK_STR(kube_conn_auth_kind(c), "token file");
  }
  kube_conn_free(c);
  c = kube_config_resolve(cfg, "plain", NULL, &err);
  CHECK(c && strcmp(c->namespace, "default") == 0 && c->user[0] == 0);
  CHECK(c && strcmp(kube_conn_auth_kind(c), "no credentials") == 0);
  kube_conn_free(c);
  kube_config_free(cfg);
  snprintf(env, sizeof env, "%s:%s", path_of("b.yaml"), path_of("a.yaml"));
  cfg = load_env(env, &err);
  c = cfg ? kube_config_resolve(cfg, NULL, NULL, &err) : NULL;
  CHECK(cfg && strcmp(kube_config_current(cfg), "ctx-b") == 0);
  CHECK(c && strcmp(c->server, "https://b.example:443") == 0);
  kube_conn_free(c);
  kube_config_free(cfg);
}

static void test_explicit_kubeconfig_only_and_errors(void)
{
  kd_error err = {0};
  kube_config_opts o = {0};
  kube_config *cfg;
  kube_conn *c;
  o.kubeconfig = path_of("b.yaml");
  o.kubeconfig_env = path_of("a.yaml");          /* ignored */
  cfg = kube_config_load(&o, &err);
  CHECK(cfg && strcmp(kube_config_current(cfg), "ctx-b") == 0);
  c = cfg ? kube_config_resolve(cfg, "nope", NULL, &err) : NULL;
  CHECK(c == NULL && strstr(err.msg, "context \"nope\" does not exist"));
  CHECK(strstr(err.msg, "b.yaml") != NULL);
  kube_config_free(cfg);
  o.kubeconfig = path_of("absent.yaml");
  CHECK(kube_config_load(&o, &err) == NULL);
  CHECK(strstr(err.msg, "absent.yaml") != NULL);
  put("bad.yaml", "clusters: [\n");
  o.kubeconfig = path_of("bad.yaml");
  CHECK(kube_config_load(&o, &err) == NULL);
  CHECK(strstr(err.msg, "bad.yaml:") != NULL);
  put("noname.yaml", "clusters:\n- cluster: {server: https://x}\n");
  o.kubeconfig = path_of("noname.yaml");
  CHECK(kube_config_load(&o, &err) == NULL);
  CHECK(strstr(err.msg, "clusters[0]: missing name") != NULL);
  put("nulname.yaml", "contexts:\n- name: a\n- name: \"\\0b\"\n");
  o.kubeconfig = path_of("nulname.yaml");
  CHECK(kube_config_load(&o, &err) == NULL);
  CHECK(strstr(err.msg, "contexts[1]: the name holds a NUL byte") != NULL);
  o.kubeconfig = NULL;
  o.kubeconfig_env = path_of("missing.yaml");
  CHECK(kube_config_load(&o, &err) == NULL && err.code == KD_ENOTFOUND);
}

static kube_conn *resolve_user(const char *user_yaml, kd_error *err)
{
  kd_buf b = {0};
  kube_config_opts o = {0};
  kube_config *cfg;
  kube_conn *c = NULL;
  kd_buf_printf(&b, "current-context: c\nclusters:\n- name: k\n  cluster: "
                "{server: 'https://k:1'}\ncontexts:\n- name: c\n  context: "
                "{cluster: k, user: u}\nusers:\n- name: u\n  user:\n%s", user_yaml);
  put("user.yaml", b.data);
  kd_buf_free(&b);
  o.kubeconfig = path_of("user.yaml");
  cfg = kube_config_load(&o, err);
  if (cfg) c = kube_config_resolve(cfg, NULL, NULL, err);
  kube_config_free(cfg);
  return c;
}

static void test_auth_kinds_and_invalid_combinations(void)
{
  kd_error err = {0};
  kube_conn *c;
  c = resolve_user("    client-certificate-data: Q0VSVA==\n    client-key: key.pem\n", &err);
  CHECK(c && strcmp(kube_conn_auth_kind(c), "client certificate") == 0);
  CHECK(c && c->cert_len == 4 && strcmp(c->key_data, "KEY\n") == 0);
  kube_conn_free(c);
  put("nouser.yaml", "current-context: c\nclusters:\n- name: k\n  cluster: "
      "{server: 'https://k:1'}\ncontexts:\n- name: c\n  context: {cluster: k, "
      "user: ghost}\n");
  {
    kube_config_opts o = {0};
    kube_config *cfg;
    o.kubeconfig = path_of("nouser.yaml");
    cfg = kube_config_load(&o, &err);
    c = cfg ? kube_config_resolve(cfg, NULL, NULL, &err) : NULL;
    CHECK(c && strcmp(kube_conn_auth_kind(c), "no credentials") == 0);  /* as kubectl */
    kube_conn_free(c);
    kube_config_free(cfg);
  }
  c = resolve_user("    username: admin\n    password: secret\n", &err);
  CHECK(c && strcmp(kube_conn_auth_kind(c), "basic auth") == 0);
  kube_conn_free(c);
  c = resolve_user("    client-certificate-data: Q0VSVA==\n", &err);
  CHECK(!c && strstr(err.msg, "client-key-data or client-key must be specified"));
  c = resolve_user("    token: t\n    username: u\n", &err);
  CHECK(!c && strstr(err.msg, "more than one authentication method"));
  c = resolve_user("    auth-provider: {name: gcp}\n", &err);
  CHECK(!c && strstr(err.msg, "auth-provider \"gcp\" is not supported"));
  c = resolve_user("    client-key-data: '!!!'\n    client-certificate-data: Q0VSVA==\n", &err);
  CHECK(!c && strstr(err.msg, "client-key-data is not valid base64"));
  c = resolve_user("    exec: {command: x, apiVersion: client.authentication.k8s.io/v1}\n", &err);
  CHECK(!c && strstr(err.msg, "interactiveMode must be specified"));
  c = resolve_user("    exec: {command: x, apiVersion: client.authentication.k8s.io/v1alpha1}\n", &err);
  CHECK(!c && strstr(err.msg, "not supported"));
  c = resolve_user("    exec:\n      command: ./bin/plugin\n"
                   "      apiVersion: client.authentication.k8s.io/v1beta1\n", &err);
  CHECK(c && c->exec && strcmp(c->exec->interactive_mode, "IfAvailable") == 0);
  CHECK(c && c->exec && strcmp(c->exec->command, path_of("./bin/plugin")) == 0);
  kube_conn_free(c);
  c = resolve_user("    exec: {command: aws, apiVersion: client.authentication.k8s.io/v1beta1}\n", &err);
  CHECK(c && c->exec && strcmp(c->exec->command, "aws") == 0);   /* PATH lookup */
  kube_conn_free(c);
  c = resolve_user("    client-certificate: nowhere.pem\n    client-key: key.pem\n", &err);
  CHECK(!c && strstr(err.msg, "nowhere.pem") != NULL);
  /* a token with a line break would add headers of its own: refused, and
   * the error does not print it */
  c = resolve_user("    token: \"secret\\r\\nX-Injected: 1\"\n", &err);
  CHECK(!c && strstr(err.msg, "the token holds a control character") != NULL);
  CHECK(strstr(err.msg, "secret") == NULL && strstr(err.msg, "Injected") == NULL);
}

/* Two exec extensions in one cluster: the last wins (client-go's
 * conversion to a map), and the plugin's cluster info has one "config". */
static void test_exec_extension_given_twice(void)
{
  kube_config_opts o = {0};
  kd_error err = {0};
  kube_config *cfg;
  kube_conn *c;
  const kd_value *conf;
  size_t i, n = 0;
  put("ext.yaml", "current-context: c\nclusters:\n- name: k\n  cluster:\n"
      "    server: https://k:1\n    extensions:\n"
      "    - {name: client.authentication.k8s.io/exec, extension: {aud: one}}\n"
      "    - {name: client.authentication.k8s.io/exec, extension: {aud: two}}\n"
      "contexts:\n- name: c\n  context: {cluster: k}\n");
  o.kubeconfig = path_of("ext.yaml");
  cfg = kube_config_load(&o, &err);
  c = cfg ? kube_config_resolve(cfg, NULL, NULL, &err) : NULL;
  CHECK(c != NULL);
  if (c) {
    for (i = 0; i < c->exec_cluster.u.obj.len; i++)
      n += strcmp(c->exec_cluster.u.obj.m[i].key, "config") == 0;
    conf = kd_value_path(&c->exec_cluster, "config.aud");
    CHECK(n == 1);
    CHECK(conf && conf->type == KD_STR && strcmp(conf->u.str.s, "two") == 0);
  }
  kube_conn_free(c);
  kube_config_free(cfg);
}

static void test_in_cluster_when_no_kubeconfig(void)
{
  kd_error err = {0};
  kube_config_opts o = {0};
  kube_config *cfg;
  kube_conn *c;
  char sa[300];
  snprintf(sa, sizeof sa, "%s/sa", dir);
  mkdir(sa, 0700);
  put("sa/token", "sa-token\n");
  put("sa/ca.crt", "SA CA\n");
  put("sa/namespace", "apps\n");
  o.home = "/nonexistent-home";
  o.service_host = "10.0.0.1";
  o.service_port = "443";
  o.sa_dir = sa;
  cfg = kube_config_load(&o, &err);
  CHECK(cfg != NULL);
  c = cfg ? kube_config_resolve(cfg, NULL, NULL, &err) : NULL;
  CHECK(c != NULL);
  if (c) {
    CHECK_STR(c->server, "https://10.0.0.1:443");
    CHECK_STR(c->namespace, "apps");
    CHECK_STR(c->ca_data, "SA CA\n");
    CHECK(c->in_cluster && strstr(c->token_file, "/sa/token"));
    CHECK_STR(kube_conn_auth_kind(c), "service account token");
  }
  kube_conn_free(c);
  c = cfg ? kube_config_resolve(cfg, "other", NULL, &err) : NULL;
  CHECK(c == NULL && strstr(err.msg, "in-cluster"));
  kube_config_free(cfg);
  o.service_host = NULL;
  CHECK(kube_config_load(&o, &err) == NULL && strstr(err.msg, "~/.kube/config"));
}

static kube_conn *plugin_conn(const char *api, const char *mode, const char *script)
{
  kd_error err = {0};
  kd_buf b = {0};
  kube_conn *c;
  put("plugin.sh", script);
  chmod(path_of("plugin.sh"), 0755);
  kd_buf_printf(&b, "    exec:\n      command: ./plugin.sh\n      args: [one, 'two words']\n"
                "      env: [{name: PLUGIN_VAR, value: from-config}]\n"
                "      apiVersion: client.authentication.k8s.io/%s\n"
                "      installHint: install the plugin\n"
                "      provideClusterInfo: true\n%s%s%s", api,
                mode ? "      interactiveMode: " : "", mode ? mode : "", mode ? "\n" : "");
  c = resolve_user(b.data, &err);
  kd_buf_free(&b);
  if (!c) printf("  %s\n", err.msg);
  return c;
}

static void test_exec_plugin_runs_without_shell(void)
{
  kd_error err = {0};
  kube_cred cr;
  kube_conn *c = plugin_conn("v1", "Never",
    "#!/bin/sh\n"
    "printf '%s\\n' \"$KUBERNETES_EXEC_INFO\" > \"$(dirname \"$0\")/exec_info.json\"\n"
    "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
    "\"status\":{\"token\":\"%s|%s|%s\",\"expirationTimestamp\":\"2030-01-02T03:04:05Z\"}}' "
    "\"$1\" \"$2\" \"$PLUGIN_VAR\"\n");
  char *info;
  CHECK(c != NULL);
  if (!c) return;
  CHECK(kube_exec_run(c, 0, &cr, &err) == KD_OK);
  CHECK_STR(cr.token, "one|two words|from-config");
  CHECK(cr.expires == 1893553445.0);
  info = kd_read_file(path_of("exec_info.json"), NULL, &err);
  CHECK(info && strstr(info, "\"interactive\":false"));
  CHECK(info && strstr(info, "\"kind\":\"ExecCredential\""));
  CHECK(info && strstr(info, "\"server\":\"https://k:1\""));
  free(info);
  kube_cred_clear(&cr);
  kube_conn_free(c);
}

static void test_exec_plugin_failures(void)
{
  kd_error err = {0};
  kube_cred cr;
  kube_conn *c;
  c = plugin_conn("v1", "Always", "#!/bin/sh\nexit 0\n");
  CHECK(c && kube_exec_run(c, 0, &cr, &err) == KD_EEXEC);
  CHECK(strstr(err.msg, "standard input is not a terminal") != NULL);
  kube_conn_free(c);
  c = plugin_conn("v1beta1", NULL, "#!/bin/sh\nexit 3\n");
  CHECK(c && kube_exec_run(c, 0, &cr, &err) == KD_EEXEC);
  CHECK(strstr(err.msg, "failed with exit code 3") != NULL);
  kube_conn_free(c);
  c = plugin_conn("v1beta1", NULL, "#!/bin/sh\necho '{\"apiVersion\":"
                  "\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
                  "\"status\":{\"token\":\"x\"}}'\n");
  CHECK(c && kube_exec_run(c, 0, &cr, &err) == KD_EEXEC);
  CHECK(strstr(err.msg, "plugin returned version client.authentication.k8s.io/v1") != NULL);
  kube_conn_free(c);
  c = plugin_conn("v1beta1", NULL, "#!/bin/sh\necho '{\"apiVersion\":"
                  "\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\","
                  "\"status\":{\"clientCertificateData\":\"C\"}}'\n");
  CHECK(c && kube_exec_run(c, 0, &cr, &err) == KD_EEXEC);
  CHECK(strstr(err.msg, "only certificate or key") != NULL);
  kube_conn_free(c);
  c = plugin_conn("v1beta1", NULL, "#!/bin/sh\necho '{\"apiVersion\":"
                  "\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\","
                  "\"status\":{\"token\":\"tok\\\\nX-Injected: 1\"}}'\n");
  CHECK(c && kube_exec_run(c, 0, &cr, &err) == KD_EEXEC);
  CHECK(strstr(err.msg, "token holding a control character") != NULL);
  CHECK(strstr(err.msg, "Injected") == NULL);
  kube_conn_free(c);
  c = plugin_conn("v1beta1", NULL, "#!/bin/sh\necho not json\n");
  CHECK(c && kube_exec_run(c, 0, &cr, &err) == KD_EEXEC);
  CHECK(strstr(err.msg, "decoding its output") != NULL);
  kube_conn_free(c);
  c = plugin_conn("v1beta1", NULL, "#!/bin/sh\n");
  if (c) {
    free(c->exec->command);
    c->exec->command = kd_strndup("kdeploy-no-such-plugin", 22);
    CHECK(kube_exec_run(c, 0, &cr, &err) == KD_EEXEC);
    CHECK(strstr(err.msg, "install the plugin") != NULL);
  }
  kube_conn_free(c);
}

static void test_base64_and_times(void)
{
  char *out;
  size_t len;
  double t;
  kd_buf b = {0};
  CHECK(kube_base64_decode("aGVs\nbG8=", 9, &out, &len) == KD_OK);
  CHECK(len == 5 && memcmp(out, "hello", 5) == 0);
  free(out);
  CHECK(kube_base64_decode("aGVsbG8", 7, &out, &len) == KD_EPARSE);
  CHECK(kube_base64_decode("aG=sbG8=", 8, &out, &len) == KD_EPARSE);
  CHECK(kube_base64_decode("", 0, &out, &len) == KD_OK && len == 0);
  free(out);
  kube_base64_encode("hello", 5, &b);
  kube_base64_encode("hi", 2, &b);
  kube_base64_encode("h", 1, &b);
  CHECK_STR(b.data, "aGVsbG8=aGk=aA==");
  kd_buf_free(&b);
  CHECK(kube_parse_time("1970-01-01T00:00:10Z", &t) == KD_OK && t == 10);
  CHECK(kube_parse_time("1970-01-01T01:00:00.5+01:00", &t) == KD_OK && t == 0.5);
  CHECK(kube_parse_time("1970-01-01 00:00:10Z", &t) == KD_EPARSE);
  CHECK(kube_parse_time("1970-01-01T00:00:10", &t) == KD_EPARSE);
}

int main(void)
{
  char sub[300];
  snprintf(dir, sizeof dir, "/tmp/kd_kube_testXXXXXX");
  if (!mkdtemp(dir)) return 1;
  put("a.yaml", file_a);
  put("b.yaml", file_b);
  put("ca.pem", "CA FROM DIR\n");
  put("key.pem", "KEY\n");
  snprintf(sub, sizeof sub, "%s/sub", dir);
  mkdir(sub, 0700);
  put("sub/token", "tok-file\n");
  RUN(test_kubeconfig_env_merges_first_wins);
  RUN(test_explicit_kubeconfig_only_and_errors);
  RUN(test_auth_kinds_and_invalid_combinations);
  RUN(test_exec_extension_given_twice);
  RUN(test_in_cluster_when_no_kubeconfig);
  RUN(test_exec_plugin_runs_without_shell);
  RUN(test_exec_plugin_failures);
  RUN(test_base64_and_times);
  {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) return 1;
  }
  TEST_EXIT();
}
