/* engine/kube_config.c: kubeconfig files loaded, merged and resolved into
 * a kube_conn the way kubectl (client-go's clientcmd) does it. */
#include "kube.h"
#include "yaml.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

typedef struct entry {
  char *name, *file, *dir;    /* file that defined it, its absolute dir */
  kd_value val;               /* the cluster/user/context object */
} entry;

typedef struct table {
  entry *e;
  size_t n, cap;
} table;

struct kube_config {
  table clusters, users, contexts;
  char *current;
  const char **names;         /* context names, for kube_config_contexts */
  kd_buf files;               /* the files loaded, for messages */
  int in_cluster;
  char *host, *port, *sa_dir;
};

static char *dupstr(const char *s) { return s ? kd_strndup(s, strlen(s)) : NULL; }

static const entry *find(const table *t, const char *name)
{
  size_t i;
  for (i = 0; i < t->n; i++)
    if (strcmp(t->e[i].name, name) == 0) return &t->e[i];
  return NULL;
}

static void table_free(table *t)
{
  size_t i;
  for (i = 0; i < t->n; i++) {
    free(t->e[i].name);
    free(t->e[i].file);
    free(t->e[i].dir);
    kd_value_clear(&t->e[i].val);
  }
  free(t->e);
}

void kube_config_free(kube_config *cfg)
{
  if (!cfg) return;
  table_free(&cfg->clusters);
  table_free(&cfg->users);
  table_free(&cfg->contexts);
  free(cfg->current);
  free(cfg->names);
  kd_buf_free(&cfg->files);
  free(cfg->host);
  free(cfg->port);
  free(cfg->sa_dir);
  free(cfg);
}

/* Go's filepath.Abs(filepath.Dir(path)), without the cleaning. */
static char *abs_dir(const char *path)
{
  kd_buf b = {0};
  const char *slash = strrchr(path, '/');
  if (path[0] != '/') {
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) return NULL;
    kd_buf_adds(&b, cwd);
    if (slash) kd_buf_addc(&b, '/');
  }
  if (slash) kd_buf_add(&b, path, slash == path ? 1 : (size_t)(slash - path));
  return kd_buf_take(&b, NULL);
}

/* Adds the named entries of array LIST (KEY: "cluster"...) to T, first
 * definition of a name wins. */
static int add_entries(table *t, const kd_value *list, const char *what,
                       const char *key, const char *file, const char *dir,
                       kd_error *err)
{
  size_t i;
  if (!list || list->type == KD_NULL) return KD_OK;
  if (list->type != KD_ARR)
    return kd_error_set(err, KD_EPARSE, "%s: %s must be a list", file, what);
  for (i = 0; i < list->u.arr.len; i++) {
    const kd_value *it = &list->u.arr.items[i];
    const kd_value *name = it->type == KD_OBJ ? kd_obj_gets(it, "name") : NULL;
    const kd_value *body = it->type == KD_OBJ ? kd_obj_gets(it, key) : NULL;
    entry *e;
    if (!name || name->type != KD_STR || name->u.str.len == 0)
      return kd_error_set(err, KD_EPARSE, "%s: %s[%zu]: missing name", file,
                          what, i);
    /* "\0x" would be listed as "", which selects the current context */
    if (memchr(name->u.str.s, 0, name->u.str.len))
      return kd_error_set(err, KD_EPARSE, "%s: %s[%zu]: the name holds a NUL "
                          "byte", file, what, i);
    if (body && body->type != KD_OBJ && body->type != KD_NULL)
      return kd_error_set(err, KD_EPARSE, "%s: %s %s: %s must be a mapping",
                          file, what, name->u.str.s, key);
    if (find(t, name->u.str.s)) continue;
    if (t->n == t->cap) {
      size_t cap = t->cap ? t->cap * 2 : 8;
      entry *p = realloc(t->e, cap * sizeof *p);
      if (!p) return kd_error_set(err, KD_ENOMEM, "out of memory");
      t->e = p;
      t->cap = cap;
    }
    e = &t->e[t->n];
    memset(e, 0, sizeof *e);
    kd_value_obj(&e->val);
    if ((body && body->type == KD_OBJ && kd_value_copy(&e->val, body)) ||
        !(e->name = dupstr(name->u.str.s)) || !(e->file = dupstr(file)) ||
        !(e->dir = dupstr(dir))) {
      free(e->name);
      free(e->file);
      kd_value_clear(&e->val);
      return kd_error_set(err, KD_ENOMEM, "out of memory");
    }
    t->n++;
  }
  return KD_OK;
}

static int load_file(kube_config *cfg, const char *path, kd_error *err)
{
  size_t len;
  char *data = kd_read_file(path, &len, err), *dir = NULL;
  kd_value doc;
  const kd_value *cur;
  int rc;
  kd_value_null(&doc);
  if (!data) return err ? err->code : KD_EIO;
  rc = yaml_decode(data, len, path, &doc, err);
  free(data);
  if (rc) return rc;
  if (doc.type == KD_NULL) goto done;            /* empty file: empty config */
  if (doc.type != KD_OBJ) {
    rc = kd_error_set(err, KD_EPARSE, "%s: a kubeconfig must be a mapping", path);
    goto done;
  }
  if (!(dir = abs_dir(path))) {
    rc = kd_error_set(err, KD_EIO, "%s: cannot determine its directory", path);
    goto done;
  }
  if ((rc = add_entries(&cfg->clusters, kd_obj_gets(&doc, "clusters"),
                        "clusters", "cluster", path, dir, err)) ||
      (rc = add_entries(&cfg->users, kd_obj_gets(&doc, "users"), "users",
                        "user", path, dir, err)) ||
      (rc = add_entries(&cfg->contexts, kd_obj_gets(&doc, "contexts"),
                        "contexts", "context", path, dir, err)))
    goto done;
  cur = kd_obj_gets(&doc, "current-context");
  if (cur && cur->type != KD_STR && cur->type != KD_NULL) {
    rc = kd_error_set(err, KD_EPARSE, "%s: current-context must be a string", path);
    goto done;
  }
  if (!cfg->current[0] && cur && cur->type == KD_STR && cur->u.str.len) {
    free(cfg->current);
    if (!(cfg->current = dupstr(cur->u.str.s)))
      rc = kd_error_set(err, KD_ENOMEM, "out of memory");
  }
done:
  if (!rc && ((cfg->files.len && kd_buf_addc(&cfg->files, ':')) ||
              kd_buf_adds(&cfg->files, path)))
    rc = kd_error_set(err, KD_ENOMEM, "out of memory");
  free(dir);
  kd_value_clear(&doc);
  return rc;
}

static int exists(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0;
}

static int set_in_cluster(kube_config *cfg, const kube_config_opts *o,
                          kd_error *err)
{
  cfg->in_cluster = 1;
  if (!(cfg->host = dupstr(o->service_host)) ||
      !(cfg->port = dupstr(o->service_port)) ||
      !(cfg->sa_dir = dupstr(o->sa_dir ? o->sa_dir : SA_DIR)))
    return kd_error_set(err, KD_ENOMEM, "out of memory");
  return KD_OK;
}

kube_config *kube_config_load(const kube_config_opts *o, kd_error *err)
{
  kube_config *cfg = calloc(1, sizeof *cfg);
  int rc = KD_OK, found = 0;
  if (!cfg || !(cfg->current = dupstr(""))) {
    free(cfg);
    kd_error_set(err, KD_ENOMEM, "out of memory");
    return NULL;
  }
  if (o->kubeconfig && o->kubeconfig[0]) {
    found = 1;
    rc = load_file(cfg, o->kubeconfig, err);
  } else if (o->kubeconfig_env && o->kubeconfig_env[0]) {
    const char *p = o->kubeconfig_env;
    while (!rc && *p) {            /* missing files are skipped, as kubectl */
      const char *colon = strchr(p, ':');
      size_t n = colon ? (size_t)(colon - p) : strlen(p);
      char *path = kd_strndup(p, n);
      if (!path) rc = kd_error_set(err, KD_ENOMEM, "out of memory");
      else if (n && exists(path)) {
        found = 1;
        rc = load_file(cfg, path, err);
      }
      free(path);
      p += n + (colon ? 1 : 0);
    }
  } else if (o->home && o->home[0]) {
    kd_buf path = {0};
    kd_buf_printf(&path, "%s/.kube/config", o->home);
    if (path.data && exists(path.data)) {
      found = 1;
      rc = load_file(cfg, path.data, err);
    }
    kd_buf_free(&path);
  }
  if (!rc && !found) {
    if (o->service_host && o->service_host[0] && o->service_port &&
        o->service_port[0])
      rc = set_in_cluster(cfg, o, err);
    else
      rc = kd_error_set(err, KD_ENOTFOUND, "no kubeconfig found (%s) and not "
                        "running inside a cluster", o->kubeconfig_env &&
                        o->kubeconfig_env[0] ? "no file of $KUBECONFIG exists"
                        : "~/.kube/config does not exist");
  }
  if (!rc && !(cfg->names = calloc(cfg->contexts.n + 1, sizeof *cfg->names)))
    rc = kd_error_set(err, KD_ENOMEM, "out of memory");
  if (rc) {
    kube_config_free(cfg);
    return NULL;
  }
  for (size_t i = 0; i < cfg->contexts.n; i++) cfg->names[i] = cfg->contexts.e[i].name;
  return cfg;
}

const char *kube_config_current(const kube_config *cfg)
{
  return cfg->in_cluster ? "" : cfg->current;
}

const char *const *kube_config_contexts(const kube_config *cfg, size_t *n)
{
  *n = cfg->contexts.n;
  return cfg->names;
}

/* ---- resolving one context --------------------------------------------- */

void kube_conn_free(kube_conn *c)
{
  size_t i;
  if (!c) return;
  free(c->context); free(c->cluster); free(c->user); free(c->namespace);
  free(c->server); free(c->origin); free(c->ca_data); free(c->ca_file);
  free(c->tls_server_name); free(c->proxy_url); free(c->cert_data);
  free(c->key_data); free(c->token); free(c->token_file); free(c->username);
  free(c->password);
  if (c->exec) {
    free(c->exec->command); free(c->exec->api_version);
    free(c->exec->interactive_mode); free(c->exec->install_hint);
    for (i = 0; i < c->exec->nargs; i++) free(c->exec->args[i]);
    for (i = 0; i < c->exec->nenv; i++) free(c->exec->env[i]);
    free(c->exec->args);
    free(c->exec->env);
    free(c->exec);
  }
  kd_value_clear(&c->exec_cluster);
  free(c);
}

const char *kube_conn_auth_kind(const kube_conn *c)
{
  if (c->exec) return "exec plugin";
  if (c->token_file) return c->in_cluster ? "service account token" : "token file";
  if (c->token) return "token";
  if (c->username) return "basic auth";
  if (c->cert_data) return "client certificate";
  return "no credentials";
}

/* The string field KEY of O into *OUT (owned copy; NULL when absent). */
static int get_str(const kd_value *o, const char *key, char **out,
                   const char *what, kd_error *err)
{
  const kd_value *v = kd_obj_gets(o, key);
  *out = NULL;
  if (!v || v->type == KD_NULL) return KD_OK;
  if (v->type != KD_STR)
    return kd_error_set(err, KD_EPARSE, "%s: %s must be a string", what, key);
  if (v->u.str.len == 0) return KD_OK;
  if (!(*out = kd_strndup(v->u.str.s, v->u.str.len)))
    return kd_error_set(err, KD_ENOMEM, "out of memory");
  return KD_OK;
}

static int get_bool(const kd_value *o, const char *key, int *out,
                    const char *what, kd_error *err)
{
  const kd_value *v = kd_obj_gets(o, key);
  *out = 0;
  if (!v || v->type == KD_NULL) return KD_OK;
  if (v->type != KD_BOOL)
    return kd_error_set(err, KD_EPARSE, "%s: %s must be true or false", what, key);
  *out = v->u.b;
  return KD_OK;
}

/* A relative path is relative to the directory of the file defining it. */
static int resolve_path(char **p, const char *dir, kd_error *err)
{
  kd_buf b = {0};
  if (!*p || (*p)[0] == '/') return KD_OK;
  if (kd_buf_printf(&b, "%s/%s", dir, *p))
    return kd_error_set(err, KD_ENOMEM, "out of memory");
  free(*p);
  *p = kd_buf_take(&b, NULL);
  return KD_OK;
}

/* DATA (base64 field) or FILE (path field) into *OUT; both is an error. */
static int get_pem(const kd_value *o, const char *data_key, const char *file_key,
                   const char *dir, const char *what, char **out, size_t *len,
                   char **file_out, kd_error *err)
{
  char *b64 = NULL, *file = NULL;
  int rc;
  *out = NULL;
  *len = 0;
  if ((rc = get_str(o, data_key, &b64, what, err)) ||
      (rc = get_str(o, file_key, &file, what, err)))
    goto done;
  if (b64 && file) {
    rc = kd_error_set(err, KD_EINVAL, "%s: %s and %s are both specified "
                      "(only one is allowed)", what, data_key, file_key);
    goto done;
  }
  if (b64) {
    if (kube_base64_decode(b64, strlen(b64), out, len))
      rc = kd_error_set(err, KD_EPARSE, "%s: %s is not valid base64", what,
                        data_key);
  } else if (file) {
    kd_error ferr = {0};
    if ((rc = resolve_path(&file, dir, err))) goto done;
    if (!(*out = kd_read_file(file, len, &ferr)))
      rc = kd_error_set(err, KD_EIO, "%s: cannot read %s %s", what, file_key,
                        ferr.msg);
  }
done:
  free(b64);
  if (file_out && !rc) *file_out = file;
  else free(file);
  return rc;
}

static int str_list(const kd_value *v, char ***out, size_t *n, int env,
                    const char *what, kd_error *err)
{
  size_t i;
  *out = NULL;
  *n = 0;
  if (!v || v->type == KD_NULL) return KD_OK;
  if (v->type != KD_ARR)
    return kd_error_set(err, KD_EPARSE, "%s: must be a list", what);
  if (!(*out = calloc(v->u.arr.len + 1, sizeof **out)))
    return kd_error_set(err, KD_ENOMEM, "out of memory");
  for (i = 0; i < v->u.arr.len; i++) {
    const kd_value *it = &v->u.arr.items[i];
    kd_buf b = {0};
    if (env) {
      const kd_value *name = it->type == KD_OBJ ? kd_obj_gets(it, "name") : NULL;
      const kd_value *val = it->type == KD_OBJ ? kd_obj_gets(it, "value") : NULL;
      if (!name || name->type != KD_STR || (val && val->type != KD_STR))
        return kd_error_set(err, KD_EPARSE, "%s[%zu]: needs a string name and "
                            "value", what, i);
      kd_buf_printf(&b, "%s=%s", name->u.str.s, val ? val->u.str.s : "");
    } else {
      if (it->type != KD_STR)
        return kd_error_set(err, KD_EPARSE, "%s[%zu]: must be a string", what, i);
      kd_buf_add(&b, it->u.str.s, it->u.str.len);
    }
    if (!((*out)[i] = kd_buf_take(&b, NULL)))
      return kd_error_set(err, KD_ENOMEM, "out of memory");
    (*n)++;
  }
  return KD_OK;
}

static int read_exec(kube_conn *c, const kd_value *ev, const char *dir,
                     const char *what, kd_error *err)
{
  kube_exec *e = calloc(1, sizeof *e);
  char w[600];
  int rc;
  if (!e) return kd_error_set(err, KD_ENOMEM, "out of memory");
  c->exec = e;
  snprintf(w, sizeof w, "%s: exec", what);
  if (ev->type != KD_OBJ)
    return kd_error_set(err, KD_EPARSE, "%s must be a mapping", w);
  if ((rc = get_str(ev, "command", &e->command, w, err)) ||
      (rc = get_str(ev, "apiVersion", &e->api_version, w, err)) ||
      (rc = get_str(ev, "interactiveMode", &e->interactive_mode, w, err)) ||
      (rc = get_str(ev, "installHint", &e->install_hint, w, err)) ||
      (rc = get_bool(ev, "provideClusterInfo", &e->provide_cluster_info, w, err)) ||
      (rc = str_list(kd_obj_gets(ev, "args"), &e->args, &e->nargs, 0, w, err)) ||
      (rc = str_list(kd_obj_gets(ev, "env"), &e->env, &e->nenv, 1, w, err)))
    return rc;
  if (!e->command) return kd_error_set(err, KD_EINVAL, "%s: command is required", w);
  if (!e->api_version)
    return kd_error_set(err, KD_EINVAL, "%s: apiVersion is required", w);
  if (strcmp(e->api_version, "client.authentication.k8s.io/v1") != 0 &&
      strcmp(e->api_version, "client.authentication.k8s.io/v1beta1") != 0)
    return kd_error_set(err, KD_EINVAL, "%s: apiVersion %s is not supported "
                        "(client.authentication.k8s.io/v1 or v1beta1)", w,
                        e->api_version);
  if (!e->interactive_mode) {
    if (strcmp(e->api_version, "client.authentication.k8s.io/v1") == 0)
      return kd_error_set(err, KD_EINVAL, "%s: interactiveMode must be "
                          "specified to use exec authentication plugin", w);
    if (!(e->interactive_mode = dupstr("IfAvailable")))
      return kd_error_set(err, KD_ENOMEM, "out of memory");
  }
  if (strcmp(e->interactive_mode, "Never") && strcmp(e->interactive_mode, "IfAvailable") &&
      strcmp(e->interactive_mode, "Always"))
    return kd_error_set(err, KD_EINVAL, "%s: invalid interactiveMode: %s", w,
                        e->interactive_mode);
  /* Only a command with a path separator is relative to the file; a bare
   * name is looked up in PATH. */
  if (strchr(e->command, '/')) return resolve_path(&e->command, dir, err);
  return KD_OK;
}

static int read_cluster(kube_conn *c, const entry *ce, kd_error *err)
{
  const kd_value *o = &ce->val;
  char what[400];
  int rc;
  snprintf(what, sizeof what, "%s: cluster \"%s\"", ce->file, ce->name);
  if ((rc = get_str(o, "server", &c->server, what, err)) ||
      (rc = get_str(o, "tls-server-name", &c->tls_server_name, what, err)) ||
      (rc = get_str(o, "proxy-url", &c->proxy_url, what, err)) ||
      (rc = get_bool(o, "insecure-skip-tls-verify", &c->insecure, what, err)) ||
      (rc = get_bool(o, "disable-compression", &c->disable_compression, what, err)) ||
      (rc = get_pem(o, "certificate-authority-data", "certificate-authority",
                    ce->dir, what, &c->ca_data, &c->ca_len, &c->ca_file, err)))
    return rc;
  if (!c->server)
    return kd_error_set(err, KD_EINVAL, "%s has no server defined", what);
  if (strncmp(c->server, "https://", 8) && strncmp(c->server, "http://", 7))
    return kd_error_set(err, KD_EINVAL, "%s: server %s is not an http(s) URL",
                        what, c->server);
  if (c->insecure && c->ca_data)
    return kd_error_set(err, KD_EINVAL, "%s: specifying a root certificates "
                        "file with the insecure flag is not allowed", what);
  if (c->proxy_url && strncmp(c->proxy_url, "http://", 7) &&
      strncmp(c->proxy_url, "https://", 8) && strncmp(c->proxy_url, "socks5://", 9))
    return kd_error_set(err, KD_EINVAL, "%s: proxy-url %s: scheme must be "
                        "http, https or socks5", what, c->proxy_url);
  /* Extensions: the exec plugin may be handed its per-cluster config. */
  kd_value_obj(&c->exec_cluster);
  {
    kd_value *v;
    const kd_value *ext = kd_obj_gets(o, "extensions");
    if (!(v = kd_obj_add(&c->exec_cluster, "server", 6)) ||
        kd_value_str(v, c->server, strlen(c->server)))
      return kd_error_set(err, KD_ENOMEM, "out of memory");
    for (size_t i = 0; ext && ext->type == KD_ARR && i < ext->u.arr.len; i++) {
      const kd_value *n = kd_obj_gets(&ext->u.arr.items[i], "name");
      const kd_value *x = kd_obj_gets(&ext->u.arr.items[i], "extension");
      if (n && n->type == KD_STR && x &&
          strcmp(n->u.str.s, "client.authentication.k8s.io/exec") == 0) {
        /* given twice, the last wins (client-go makes a map of them) */
        if ((v = kd_obj_gets(&c->exec_cluster, "config"))) kd_value_clear(v);
        else v = kd_obj_add(&c->exec_cluster, "config", 6);
        if (!v || kd_value_copy(v, x))
          return kd_error_set(err, KD_ENOMEM, "out of memory");
      }
    }
  }
  return KD_OK;
}

static int read_user(kube_conn *c, const entry *ue, kd_error *err)
{
  const kd_value *o = &ue->val, *ev = kd_obj_gets(o, "exec"),
                 *ap = kd_obj_gets(o, "auth-provider");
  char what[400];
  int rc;
  snprintf(what, sizeof what, "%s: user \"%s\"", ue->file, ue->name);
  if ((rc = get_pem(o, "client-certificate-data", "client-certificate", ue->dir,
                    what, &c->cert_data, &c->cert_len, NULL, err)) ||
      (rc = get_pem(o, "client-key-data", "client-key", ue->dir, what,
                    &c->key_data, &c->key_len, NULL, err)) ||
      (rc = get_str(o, "token", &c->token, what, err)) ||
      (rc = get_str(o, "tokenFile", &c->token_file, what, err)) ||
      (rc = get_str(o, "username", &c->username, what, err)) ||
      (rc = get_str(o, "password", &c->password, what, err)) ||
      (rc = resolve_path(&c->token_file, ue->dir, err)))
    return rc;
  if (c->token && kd_has_ctl(c->token))   /* it goes in a header */
    return kd_error_set(err, KD_EINVAL, "%s: the token holds a control "
                        "character (a line break?)", what);
  if (c->cert_data && !c->key_data)
    return kd_error_set(err, KD_EINVAL, "%s: client-key-data or client-key "
                        "must be specified to use the clientCert "
                        "authentication method", what);
  if (c->key_data && !c->cert_data)
    return kd_error_set(err, KD_EINVAL, "%s: client-certificate-data or "
                        "client-certificate must be specified to use the "
                        "clientCert authentication method", what);
  if ((c->token || c->token_file) && (c->username || c->password))
    return kd_error_set(err, KD_EINVAL, "%s: more than one authentication "
                        "method found (token and basic auth), only one is "
                        "allowed", what);
  if (ap && ap->type != KD_NULL) {
    const kd_value *n = ap->type == KD_OBJ ? kd_obj_gets(ap, "name") : NULL;
    return kd_error_set(err, KD_EINVAL, "%s: the auth-provider \"%s\" is not "
                        "supported any more (kubectl removed it too); use an "
                        "exec credential plugin", what,
                        n && n->type == KD_STR ? n->u.str.s : "?");
  }
  if (ev && ev->type != KD_NULL) return read_exec(c, ev, ue->dir, what, err);
  return KD_OK;
}

static int set(char **dst, const char *s, kd_error *err)
{
  if (!(*dst = dupstr(s))) return kd_error_set(err, KD_ENOMEM, "out of memory");
  return KD_OK;
}

static int resolve_in_cluster(const kube_config *cfg, kube_conn *c,
                              const char *ns, kd_error *err)
{
  kd_buf b = {0};
  kd_error ferr = {0};
  char *nsdata;
  int rc;
  if (strchr(cfg->host, ':')) kd_buf_printf(&b, "https://[%s]:%s", cfg->host, cfg->port);
  else kd_buf_printf(&b, "https://%s:%s", cfg->host, cfg->port);
  c->server = kd_buf_take(&b, NULL);
  kd_buf_printf(&b, "%s/token", cfg->sa_dir);
  c->token_file = kd_buf_take(&b, NULL);
  kd_buf_printf(&b, "%s/ca.crt", cfg->sa_dir);
  c->ca_file = kd_buf_take(&b, NULL);
  c->in_cluster = 1;
  if (!c->server || !c->token_file || !c->ca_file ||
      (rc = set(&c->context, "in-cluster", err)) ||
      (rc = set(&c->cluster, "in-cluster", err)) ||
      (rc = set(&c->user, "service-account", err)) ||
      (rc = set(&c->origin, "in-cluster service account", err)))
    return kd_error_set(err, KD_ENOMEM, "out of memory");
  if (access(c->token_file, R_OK) != 0)
    return kd_error_set(err, KD_EIO, "in-cluster config: cannot read %s: %s",
                        c->token_file, strerror(errno));
  /* Like client-go: an unreadable CA means the system roots. */
  if (!(c->ca_data = kd_read_file(c->ca_file, &c->ca_len, &ferr))) {
    free(c->ca_file);
    c->ca_file = NULL;
  }
  if (ns && ns[0]) return set(&c->namespace, ns, err);
  kd_buf_printf(&b, "%s/namespace", cfg->sa_dir);
  nsdata = b.data ? kd_read_file(b.data, NULL, &ferr) : NULL;
  kd_buf_free(&b);
  if (nsdata) {
    char *e = nsdata + strlen(nsdata);
    while (e > nsdata && strchr(" \t\r\n", e[-1])) *--e = 0;
  }
  rc = set(&c->namespace, nsdata && nsdata[0] ? nsdata : "default", err);
  free(nsdata);
  return rc;
}

kube_conn *kube_config_resolve(const kube_config *cfg, const char *context,
                               const char *namespace, kd_error *err)
{
  kube_conn *c = calloc(1, sizeof *c);
  const char *name = context && context[0] ? context : cfg->current;
  const entry *ctx, *cl, *us;
  char *cluster_name = NULL, *user_name = NULL, *ctx_ns = NULL;
  char what[400];
  int rc = KD_OK;
  if (!c) {
    kd_error_set(err, KD_ENOMEM, "out of memory");
    return NULL;
  }
  kd_value_null(&c->exec_cluster);
  if (cfg->in_cluster) {
    if (context && context[0])
      rc = kd_error_set(err, KD_ENOTFOUND, "context \"%s\" does not exist "
                        "(no kubeconfig found; running with the in-cluster "
                        "service account)", context);
    else rc = resolve_in_cluster(cfg, c, namespace, err);
    goto done;
  }
  if (!name[0]) {
    rc = kd_error_set(err, KD_ENOTFOUND, "no context selected: the kubeconfig "
                      "(%s) has no current-context; pass --kube-context",
                      cfg->files.data ? cfg->files.data : "");
    goto done;
  }
  if (!(ctx = find(&cfg->contexts, name))) {
    rc = kd_error_set(err, KD_ENOTFOUND, "context \"%s\" does not exist in "
                      "the kubeconfig (%s)", name,
                      cfg->files.data ? cfg->files.data : "");
    goto done;
  }
  snprintf(what, sizeof what, "%s: context \"%s\"", ctx->file, ctx->name);
  if ((rc = get_str(&ctx->val, "cluster", &cluster_name, what, err)) ||
      (rc = get_str(&ctx->val, "user", &user_name, what, err)) ||
      (rc = get_str(&ctx->val, "namespace", &ctx_ns, what, err)))
    goto done;
  if (!cluster_name || !(cl = find(&cfg->clusters, cluster_name))) {
    rc = kd_error_set(err, KD_ENOTFOUND, "%s: cluster \"%s\" does not exist",
                      what, cluster_name ? cluster_name : "");
    goto done;
  }
  /* kubectl treats a user name that is not defined as a user without
   * credentials, not as an error. */
  us = user_name ? find(&cfg->users, user_name) : NULL;
  if ((rc = set(&c->context, name, err)) ||
      (rc = set(&c->cluster, cluster_name, err)) ||
      (rc = set(&c->user, user_name ? user_name : "", err)) ||
      (rc = set(&c->origin, ctx->file, err)) ||
      (rc = set(&c->namespace, namespace && namespace[0] ? namespace :
                ctx_ns ? ctx_ns : "default", err)) ||
      (rc = read_cluster(c, cl, err)) || (us && (rc = read_user(c, us, err))))
    goto done;
done:
  free(cluster_name);
  free(user_name);
  free(ctx_ns);
  if (rc) {
    kube_conn_free(c);
    return NULL;
  }
  return c;
}

/* ---- base64 ------------------------------------------------------------- */

static int b64val(unsigned char ch)
{
  if (ch >= 'A' && ch <= 'Z') return ch - 'A';
  if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
  if (ch >= '0' && ch <= '9') return ch - '0' + 52;
  if (ch == '+') return 62;
  if (ch == '/') return 63;
  return -1;
}

int kube_base64_decode(const char *s, size_t n, char **out, size_t *len)
{
  kd_buf b = {0};
  unsigned acc = 0;
  int bits = 0, pad = 0, count = 0;
  size_t i;
  for (i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    int v;
    if (ch == '\r' || ch == '\n') continue;
    count++;
    if (ch == '=') {
      pad++;
      continue;
    }
    if (pad || (v = b64val(ch)) < 0) goto bad;   /* data after padding */
    acc = (acc << 6) | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (kd_buf_addc(&b, (char)((acc >> bits) & 0xff))) goto bad;
    }
  }
  if (count % 4 != 0 || pad > 2 || (acc & ((1u << bits) - 1)) != 0) goto bad;
  if (!(*out = kd_buf_take(&b, len))) return KD_ENOMEM;
  return KD_OK;
bad:
  kd_buf_free(&b);
  return KD_EPARSE;
}

int kube_base64_encode(const char *s, size_t n, kd_buf *out)
{
  static const char tab[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const unsigned char *p = (const unsigned char *)s;
  size_t i;
  for (i = 0; i + 2 < n; i += 3) {
    char q[4] = {tab[p[i] >> 2], tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)],
                 tab[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)], tab[p[i + 2] & 63]};
    if (kd_buf_add(out, q, 4)) return KD_ENOMEM;
  }
  if (i < n) {
    char q[4] = {tab[p[i] >> 2], 0, '=', '='};
    if (i + 1 < n) {
      q[1] = tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
      q[2] = tab[(p[i + 1] & 15) << 2];
    } else {
      q[1] = tab[(p[i] & 3) << 4];
    }
    if (kd_buf_add(out, q, 4)) return KD_ENOMEM;
  }
  return KD_OK;
}
