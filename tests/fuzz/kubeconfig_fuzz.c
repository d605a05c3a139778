/* tests/fuzz/kubeconfig_fuzz.c: libFuzzer target for kubeconfig files
 * (engine/kube_config.c). The input is up to three files separated by a
 * line "#--file--"; they are written to one/config, two/config and (by a
 * relative path) two/three/config of a temp dir, next to one/ca.crt,
 * one/client.crt and one/client.key, and loaded as $KUBECONFIG (with a
 * missing file and an empty entry in it) and each alone as --kubeconfig.
 * Checks:
 * - the merge: it loads iff every file does alone; its contexts are the
 *   files' contexts in order, the first of a name kept; its current
 *   context is the first file's that has one;
 * - every context, the current one and a context that does not exist
 *   resolve to a connection with every field a connection needs, or to an
 *   error that says why; a namespace given overrides the context's and
 *   changes nothing else; every path resolved is absolute; the cluster
 *   info for an exec plugin has each key once. */
#define _GNU_SOURCE   /* memmem */
#include "kube.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#define NFILES 3
#define SEP "\n#--file--\n"

static char *paths[NFILES];   /* the third relative to the working dir */
static char *kubeconfig_env;
static char *tmpdir;

/* What LLVMFuzzerInitialize made, removed at exit. */
static void cleanup(void)
{
  static const char *const names[] = {
    "/one/config", "/two/config", "/two/three/config", "/one/ca.crt",
    "/one/client.crt", "/one/client.key", "/two/three", "/two", "/one", ""
  };
  kd_buf p = {0};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    p.len = 0;
    if (kd_buf_printf(&p, "%s%s", tmpdir, names[i])) break;
    remove(p.data);
  }
  kd_buf_free(&p);
}

static char *join(const char *a, const char *b)
{
  kd_buf s = {0};
  if (kd_buf_printf(&s, "%s%s", a, b)) abort();
  return kd_buf_take(&s, NULL);
}

static void put(const char *path, const char *text, size_t len)
{
  kd_error err = {0};
  if (kd_write_file(path, text, len, &err)) abort();
}

/* DIR as seen from the working directory: "../../tmp/..." */
static char *relative(const char *dir)
{
  char cwd[4096];
  kd_buf b = {0};
  const char *p;
  if (!getcwd(cwd, sizeof cwd)) abort();
  for (p = cwd; *p; p++)
    if (*p == '/' && p[1]) kd_buf_adds(&b, "../");
  kd_buf_adds(&b, dir + 1);
  return kd_buf_take(&b, NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  char tmpl[] = "/tmp/kubeconfig_fuzz.XXXXXX";
  char *dir = mkdtemp(tmpl), *rel, *p;
  const char *const subdirs[] = {"/one", "/two", "/two/three"};
  size_t i;
  if (!dir || !(tmpdir = join(dir, ""))) abort();
  atexit(cleanup);
  for (i = 0; i < 3; i++) {
    p = join(dir, subdirs[i]);
    if (mkdir(p, 0700)) abort();
    free(p);
  }
  p = join(dir, "/one/ca.crt");
  put(p, "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n", 55);
  free(p);
  p = join(dir, "/one/client.crt");
  put(p, "-----BEGIN CERTIFICATE-----\nME\n-----END CERTIFICATE-----\n", 55);
  free(p);
  p = join(dir, "/one/client.key");
  put(p, "-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n", 56);
  free(p);
  paths[0] = join(dir, "/one/config");
  paths[1] = join(dir, "/two/config");
  rel = relative(dir);
  paths[2] = join(rel, "/two/three/config");
  free(rel);
  {
    kd_buf env = {0};
    if (kd_buf_printf(&env, "%s:%s::%s:%s/missing/config", paths[0], paths[1],
                      paths[2], dir))
      abort();
    kubeconfig_env = kd_buf_take(&env, NULL);
  }
  return 0;
}

/* Splits the input into files; returns how many were written. */
static size_t write_files(const char *s, size_t size)
{
  size_t n = 0, seplen = strlen(SEP);
  const char *end = s + size;
  while (n < NFILES) {
    const char *cut = n + 1 < NFILES ? memmem(s, (size_t)(end - s), SEP, seplen) : NULL;
    size_t len = cut ? (size_t)(cut - s) : (size_t)(end - s);
    put(paths[n++], s, len);
    if (!cut) break;
    s = cut + seplen;
  }
  for (size_t i = n; i < NFILES; i++) unlink(paths[i]);
  return n;
}

static int is_path_of_input(const char *origin)
{
  for (size_t i = 0; i < NFILES; i++)
    if (strcmp(origin, paths[i]) == 0) return 1;
  return 0;
}

static int absolute(const char *p) { return !p || p[0] == '/'; }

static int one_of(const char *s, const char *a, const char *b, const char *c)
{
  return strcmp(s, a) == 0 || strcmp(s, b) == 0 || (c && strcmp(s, c) == 0);
}

/* No key twice: the plugin gets exec_cluster as JSON. */
static int unique_keys(const kd_value *o)
{
  for (size_t i = 0; i < o->u.obj.len; i++)
    for (size_t j = 0; j < i; j++)
      if (o->u.obj.m[i].klen == o->u.obj.m[j].klen &&
          memcmp(o->u.obj.m[i].key, o->u.obj.m[j].key, o->u.obj.m[i].klen) == 0)
        return 0;
  return 1;
}

/* What every connection resolved must have. */
static void check_conn(const kube_conn *c, const char *context)
{
  if (!c->context || !c->cluster || !c->user || !c->namespace || !c->server ||
      !c->origin || !c->namespace[0] || !c->cluster[0])
    abort();
  if (strcmp(c->context, context) || !is_path_of_input(c->origin)) abort();
  if (strncmp(c->server, "https://", 8) && strncmp(c->server, "http://", 7)) abort();
  if (!c->cert_data != !c->key_data || (c->insecure && c->ca_data)) abort();
  if (c->ca_file && !c->ca_data) abort();
  if (!absolute(c->ca_file) || !absolute(c->token_file)) abort();
  if (c->exec) {
    const kube_exec *e = c->exec;
    if (!e->command || !e->api_version || !e->interactive_mode) abort();
    if (strchr(e->command, '/') && e->command[0] != '/') abort();
    if (!one_of(e->api_version, "client.authentication.k8s.io/v1",
                "client.authentication.k8s.io/v1beta1", NULL) ||
        !one_of(e->interactive_mode, "Never", "IfAvailable", "Always"))
      abort();
    for (size_t i = 0; i < e->nargs; i++) if (!e->args[i]) abort();
    for (size_t i = 0; i < e->nenv; i++) if (!e->env[i] || !strchr(e->env[i], '=')) abort();
  }
  if (c->exec_cluster.type != KD_OBJ || !unique_keys(&c->exec_cluster) ||
      !kube_conn_auth_kind(c))
    abort();
}

static int same_str(const char *a, const char *b)
{
  return a == b || (a && b && strcmp(a, b) == 0);
}

/* Resolves CONTEXT (NULL: the current one) with and without a namespace:
 * both or neither succeed, and they differ in the namespace only. */
static void resolve(const kube_config *cfg, const char *context)
{
  kd_error err = {0}, err2 = {0};
  kube_conn *c = kube_config_resolve(cfg, context, NULL, &err);
  kube_conn *n = kube_config_resolve(cfg, context, "fuzz-ns", &err2);
  if (!c != !n) abort();
  if (!c) {
    if (!err.code || !err.msg[0] || err.code != err2.code) abort();
    return;
  }
  check_conn(c, context ? context : kube_config_current(cfg));
  check_conn(n, context ? context : kube_config_current(cfg));
  if (strcmp(n->namespace, "fuzz-ns") || !same_str(c->server, n->server) ||
      !same_str(c->user, n->user) || !same_str(c->token, n->token) ||
      c->ca_len != n->ca_len || c->cert_len != n->cert_len || !c->exec != !n->exec)
    abort();
  kube_conn_free(c);
  kube_conn_free(n);
}

static int listed(const char *const *names, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++) if (strcmp(names[i], name) == 0) return 1;
  return 0;
}

/* The merge of the files loaded alone (ALONE[0..N-1]) must be MERGED. */
static void check_merge(const kube_config *merged, kube_config *const *alone, size_t n)
{
  size_t nm, k = 0, i, j, na;
  const char *const *names = kube_config_contexts(merged, &nm);
  const char *current = "";
  for (i = 0; i < n; i++) {
    const char *const *an = kube_config_contexts(alone[i], &na);
    if (!current[0]) current = kube_config_current(alone[i]);
    for (j = 0; j < na; j++) {
      if (listed(names, k, an[j])) continue;
      if (k >= nm || strcmp(names[k], an[j])) abort();
      k++;
    }
  }
  if (k != nm || names[nm] || strcmp(kube_config_current(merged), current)) abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
  kube_config_opts o = {0};
  kube_config *merged, *alone[NFILES] = {0};
  kd_error err = {0};
  size_t n = write_files((const char *)data, size), i, nctx;
  int all_ok = 1;
  for (i = 0; i < n; i++) {
    kd_error e = {0};
    o.kubeconfig = paths[i];
    if (!(alone[i] = kube_config_load(&o, &e))) {
      if (!e.code || !e.msg[0]) abort();
      all_ok = 0;
    }
  }
  o.kubeconfig = NULL;
  o.kubeconfig_env = kubeconfig_env;
  merged = kube_config_load(&o, &err);
  if (!merged != !all_ok) abort();
  if (merged) {
    const char *const *names = kube_config_contexts(merged, &nctx);
    check_merge(merged, alone, n);
    resolve(merged, NULL);
    resolve(merged, "fuzz-no-such-context");
    for (i = 0; i < nctx; i++) resolve(merged, names[i]);
  }
  kube_config_free(merged);
  for (i = 0; i < n; i++) kube_config_free(alone[i]);
  return 0;
}
