/* engine/kube_exec.c: exec credential plugins (client.authentication.k8s.io
 * v1 and v1beta1), run without a shell, and RFC 3339 times. */
#define _GNU_SOURCE   /* pipe2 */
#include "json.h"
#include "kube_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_OUTPUT ((size_t)16 << 20)

void kube_cred_clear(kube_cred *cr)
{
  free(cr->token);
  free(cr->cert_data);
  free(cr->key_data);
  memset(cr, 0, sizeof *cr);
}

static int digits(const char **p, int n, int *out)
{
  int v = 0;
  while (n-- > 0) {
    if (!isdigit((unsigned char)**p)) return 0;
    v = v * 10 + (*(*p)++ - '0');
  }
  *out = v;
  return 1;
}

int kube_parse_time(const char *s, double *out)
{
  struct tm tm;
  int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
  double frac = 0, scale = 0.1;
  memset(&tm, 0, sizeof tm);
  if (!digits(&s, 4, &y) || *s++ != '-' || !digits(&s, 2, &mo) || *s++ != '-' ||
      !digits(&s, 2, &d) || (*s != 'T' && *s != 't') || !++s ||
      !digits(&s, 2, &h) || *s++ != ':' || !digits(&s, 2, &mi) ||
      *s++ != ':' || !digits(&s, 2, &sec))
    return KD_EPARSE;
  if (*s == '.') {
    if (!isdigit((unsigned char)*++s)) return KD_EPARSE;
    while (isdigit((unsigned char)*s)) {
      frac += (*s++ - '0') * scale;
      scale /= 10;
    }
  }
  if (*s == 'Z' || *s == 'z') s++;
  else if (*s == '+' || *s == '-') {
    sign = *s++ == '-' ? -1 : 1;
    if (!digits(&s, 2, &oh) || *s++ != ':' || !digits(&s, 2, &om)) return KD_EPARSE;
  } else return KD_EPARSE;
  if (*s || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
    return KD_EPARSE;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  *out = (double)timegm(&tm) + frac - sign * (oh * 3600 + om * 60);
  return KD_OK;
}

/* KUBERNETES_EXEC_INFO: the ExecCredential the plugin gets as input. */
static int exec_info(const kube_conn *c, int interactive, kd_buf *out)
{
  kd_value root, *spec, *v;
  int rc = KD_ENOMEM;
  const char *ver = c->exec->api_version;
  kd_value_obj(&root);
  if (!(v = kd_obj_add(&root, "apiVersion", 10)) || kd_value_str(v, ver, strlen(ver)) ||
      !(v = kd_obj_add(&root, "kind", 4)) || kd_value_str(v, "ExecCredential", 14) ||
      !(spec = kd_obj_add(&root, "spec", 4)))
    goto done;
  kd_value_obj(spec);
  if (c->exec->provide_cluster_info) {
    kd_value *cl = kd_obj_add(spec, "cluster", 7);
    if (!cl || kd_value_copy(cl, &c->exec_cluster)) goto done;
    if (c->tls_server_name && (!(v = kd_obj_add(cl, "tls-server-name", 15)) ||
        kd_value_str(v, c->tls_server_name, strlen(c->tls_server_name))))
      goto done;
    if (c->insecure) {
      if (!(v = kd_obj_add(cl, "insecure-skip-tls-verify", 24))) goto done;
      kd_value_bool(v, 1);
    }
    if (c->ca_data) {
      kd_buf b64 = {0};
      if (kube_base64_encode(c->ca_data, c->ca_len, &b64) ||
          !(v = kd_obj_add(cl, "certificate-authority-data", 26)) ||
          kd_value_str(v, b64.data ? b64.data : "", b64.len)) {
        kd_buf_free(&b64);
        goto done;
      }
      kd_buf_free(&b64);
    }
    if (c->proxy_url && (!(v = kd_obj_add(cl, "proxy-url", 9)) ||
        kd_value_str(v, c->proxy_url, strlen(c->proxy_url))))
      goto done;
  }
  if (!(v = kd_obj_add(spec, "interactive", 11))) goto done;
  kd_value_bool(v, interactive);
  rc = json_encode(&root, JSON_SORT_KEYS, out, NULL);
done:
  kd_value_clear(&root);
  return rc;
}

/* Our environment, minus names the plugin's env overrides, plus them. */
static char **build_env(const kube_exec *e, const char *info)
{
  size_t n = 0, k = 0, i, j;
  char **env;
  while (environ[n]) n++;
  if (!(env = calloc(n + e->nenv + 2, sizeof *env))) return NULL;
  for (i = 0; i < n; i++) {
    const char *eq = strchr(environ[i], '=');
    size_t len = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
    int keep = !(len == 20 && strncmp(environ[i], "KUBERNETES_EXEC_INFO", 20) == 0);
    for (j = 0; keep && j < e->nenv; j++)
      if (strncmp(e->env[j], environ[i], len) == 0 && e->env[j][len] == '=') keep = 0;
    if (keep) env[k++] = environ[i];
  }
  for (j = 0; j < e->nenv; j++) env[k++] = e->env[j];
  env[k] = (char *)info;
  return env;
}


static int take_str(const kd_value *o, const char *key, char **out, size_t *len)
{
  const kd_value *v = kd_obj_gets(o, key);
  if (!v || v->type != KD_STR || v->u.str.len == 0) return KD_OK;
  if (!(*out = kd_strndup(v->u.str.s, v->u.str.len))) return KD_ENOMEM;
  if (len) *len = v->u.str.len;
  return KD_OK;
}

int kube_exec_parse_cred(const kube_conn *c, const kd_buf *text, kube_cred *out,
                         kd_error *err)
{
  const char *cmd = c->exec->command;
  kd_value doc;
  const kd_value *v, *st, *exp;
  kd_error jerr = {0};
  int rc = KD_EEXEC;
  if (json_decode(text->data ? text->data : "", text->len, "stdout", &doc, &jerr)) {
    kd_error_set(err, KD_EEXEC, "exec plugin %s: decoding its output: %s", cmd,
                 jerr.msg);
    return KD_EEXEC;
  }
  v = doc.type == KD_OBJ ? kd_obj_gets(&doc, "kind") : NULL;
  if (!v || v->type != KD_STR || strcmp(v->u.str.s, "ExecCredential") != 0) {
    kd_error_set(err, KD_EEXEC, "exec plugin %s did not print an ExecCredential", cmd);
    goto done;
  }
  v = kd_obj_gets(&doc, "apiVersion");
  if (!v || v->type != KD_STR || strcmp(v->u.str.s, c->exec->api_version) != 0) {
    kd_error_set(err, KD_EEXEC, "exec plugin %s is configured to use API version "
                 "%s, plugin returned version %s", cmd, c->exec->api_version,
                 v && v->type == KD_STR ? v->u.str.s : "(none)");
    goto done;
  }
  if (!(st = kd_obj_gets(&doc, "status")) || st->type != KD_OBJ) {
    kd_error_set(err, KD_EEXEC, "exec plugin %s didn't return a status field", cmd);
    goto done;
  }
  memset(out, 0, sizeof *out);
  if (take_str(st, "token", &out->token, NULL) ||
      take_str(st, "clientCertificateData", &out->cert_data, &out->cert_len) ||
      take_str(st, "clientKeyData", &out->key_data, &out->key_len)) {
    kd_error_set(err, KD_ENOMEM, "out of memory");
    rc = KD_ENOMEM;
    goto done;
  }
  if (!out->token && !out->cert_data && !out->key_data) {
    kd_error_set(err, KD_EEXEC, "exec plugin %s didn't return a token or "
                 "cert/key pair", cmd);
    goto done;
  }
  if (out->token && kd_has_ctl(out->token)) {   /* it goes in a header */
    kd_error_set(err, KD_EEXEC, "exec plugin %s returned a token holding a "
                 "control character", cmd);
    goto done;
  }
  if (!out->cert_data != !out->key_data) {
    kd_error_set(err, KD_EEXEC, "exec plugin %s returned only certificate or "
                 "key, not both", cmd);
    goto done;
  }
  exp = kd_obj_gets(st, "expirationTimestamp");
  if (exp && exp->type == KD_STR && kube_parse_time(exp->u.str.s, &out->expires)) {
    kd_error_set(err, KD_EEXEC, "exec plugin %s: bad expirationTimestamp %s",
                 cmd, exp->u.str.s);
    goto done;
  }
  rc = KD_OK;
done:
  if (rc) kube_cred_clear(out);
  kd_value_clear(&doc);
  return rc;
}

/* A running plugin: its stdout pipe (non-blocking) and what it wrote. */
struct kube_exec_proc {
  const kube_conn *c;
  pid_t pid;                  /* 0 once reaped */
  int group;                  /* the plugin leads its own process group */
  int fd;                     /* -1 at EOF */
  kd_buf out;
};

kube_exec_proc *kube_exec_start(const kube_conn *c, int stdin_tty, kd_error *err)
{
  const kube_exec *e = c->exec;
  const char *mode = e->interactive_mode;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  kube_exec_proc *p = NULL;
  kd_buf info = {0};
  char **argv = NULL, **env = NULL;
  int fds[2] = {-1, -1}, interactive = 0, sp;
  size_t i;
  if (strcmp(mode, "IfAvailable") == 0) interactive = stdin_tty;
  else if (strcmp(mode, "Always") == 0) {
    if (!stdin_tty) {
      kd_error_set(err, KD_EEXEC, "exec plugin %s cannot support interactive mode: "
                   "standard input is not a terminal", e->command);
      return NULL;
    }
    interactive = 1;
  }
  if (!(p = calloc(1, sizeof *p)) || kd_buf_adds(&info, "KUBERNETES_EXEC_INFO=") ||
      exec_info(c, interactive, &info) ||
      !(argv = calloc(e->nargs + 2, sizeof *argv)) || !(env = build_env(e, info.data))) {
    kd_error_set(err, KD_ENOMEM, "out of memory");
    goto fail;
  }
  p->c = c;
  p->fd = -1;
  argv[0] = e->command;
  for (i = 0; i < e->nargs; i++) argv[i + 1] = e->args[i];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    kd_error_set(err, KD_EIO, "exec plugin: pipe: %s", strerror(errno));
    goto fail;
  }
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  if (!interactive) posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  /* Its own process group, so that stopping it (a timeout) also stops what
   * it started (a shell script's children). Not when interactive: it must
   * stay in the terminal's foreground group to read from it. */
  posix_spawnattr_init(&attr);
  p->group = !interactive;
  if (p->group) {
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  }
  sp = posix_spawnp(&p->pid, e->command, &fa, &attr, argv, env);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (sp != 0) {
    p->pid = 0;
    kd_error_set(err, KD_EEXEC, "exec plugin: cannot run %s: %s%s%s",
                 e->command, strerror(sp), e->install_hint ? "; " : "",
                 e->install_hint ? e->install_hint : "");
    close(fds[0]);
    goto fail;
  }
  p->fd = fds[0];
  fcntl(p->fd, F_SETFL, fcntl(p->fd, F_GETFL) | O_NONBLOCK);
  p->out.cap = MAX_OUTPUT;
  free(argv);
  free(env);
  kd_buf_free(&info);
  return p;
fail:
  free(argv);
  free(env);
  kd_buf_free(&info);
  kube_exec_proc_free(p);
  return NULL;
}

/* Reads what is there; 1 while the pipe is open, KD_OK at EOF, KD_EEXEC. */
static int drain(kube_exec_proc *p, kd_error *err)
{
  char buf[4096];
  ssize_t n;
  while (p->fd >= 0) {
    n = read(p->fd, buf, sizeof buf);
    if (n == 0) {
      close(p->fd);
      p->fd = -1;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return 1;
    } else if (n < 0 || kd_buf_add(&p->out, buf, (size_t)n)) {
      return kd_error_set(err, KD_EEXEC, "exec plugin %s: cannot read its output",
                          p->c->exec->command);
    }
  }
  return KD_OK;
}

int kube_exec_poll(kube_exec_proc *p, kube_cred *out, kd_error *err)
{
  const char *cmd = p->c->exec->command;
  int rc = drain(p, err), status = 0;
  pid_t w;
  memset(out, 0, sizeof *out);
  if (rc) return rc;
  /* EOF: the plugin closed stdout; it exits now, has, or still runs */
  while ((w = waitpid(p->pid, &status, WNOHANG)) < 0 && errno == EINTR) {}
  if (w == 0) return 1;
  p->pid = 0;
  if (w < 0) return kd_error_set(err, KD_EEXEC, "exec plugin %s: lost its process", cmd);
  if (!WIFEXITED(status))
    return kd_error_set(err, KD_EEXEC, "exec plugin %s was killed by signal %d",
                        cmd, WTERMSIG(status));
  if (WEXITSTATUS(status) != 0)
    return kd_error_set(err, KD_EEXEC, "exec plugin %s failed with exit code %d",
                        cmd, WEXITSTATUS(status));
  return kube_exec_parse_cred(p->c, &p->out, out, err);
}

int kube_exec_fd(const kube_exec_proc *p) { return p->fd; }

void kube_exec_proc_free(kube_exec_proc *p)
{
  if (!p) return;
  if (p->fd >= 0) close(p->fd);
  if (p->pid > 0) {
    kill(p->group ? -p->pid : p->pid, SIGKILL);
    while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR) {}
  }
  kd_buf_free(&p->out);
  free(p);
}

int kube_exec_run(const kube_conn *c, int stdin_tty, kube_cred *out,
                  kd_error *err)
{
  kube_exec_proc *p = kube_exec_start(c, stdin_tty, err);
  int rc;
  memset(out, 0, sizeof *out);
  if (!p) return KD_EEXEC;
  while ((rc = kube_exec_poll(p, out, err)) == 1) {
    struct pollfd pf = {p->fd, POLLIN, 0};
    if (p->fd >= 0) poll(&pf, 1, -1);
    else poll(NULL, 0, 10);   /* stdout closed, not exited yet */
  }
  kube_exec_proc_free(p);
  return rc;
}
