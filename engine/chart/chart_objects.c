/* engine/chart/chart_objects.c: the native objects templates see: .Files
 * (Get, GetBytes, Glob, Lines, AsConfig, AsSecrets) and .Capabilities
 * (KubeVersion, APIVersions.Has, HelmVersion) with Helm 4.1.4's values. */
#include "chart_int.h"
#include "yaml.h"

#include <stdlib.h>
#include <string.h>

#define HELM_VERSION "v4.1.4"
#define HELM_COMMIT "05fa37973dc9e42b76e1d2883494c87174b6074f"
#define HELM_GO "go1.25.9"
#define HELM_KUBE_CLIENT "v1.35"
#define DEFAULT_KUBE "v1.35.0"

static void *odata(tpl_obj *o)
{
  tpl_val v = tpl_nil();
  v.kind = TPL_OBJ;
  v.u.o = o;
  return tpl_obj_data(v);
}

static int want_args(tpl_call *c, const char *name, const tpl_val *args,
                     int nargs, int want)
{
  if (nargs != want)
    return tpl_call_fail(c, "wrong number of args for %s: want %d got %d",
                         name, want, nargs);
  for (int i = 0; i < nargs; i++)
    if (args[i].kind != TPL_STR)
      return tpl_call_fail(c, "wrong type for value; expected string; got %s",
                           tpl_type_name(args[i]));
  return KD_OK;
}

/* ---- gobwas/glob with '/' as separator (Files.Glob) ---------------------- */

static int glob_match(const char *p, const char *pe, const char *s,
                      const char *se, int depth);

/* Matches one alternative list "{a,b}" starting at P (after '{'). */
static int glob_alt(const char *p, const char *pe, const char *s,
                    const char *se, int depth)
{
  /* find the matching '}' and the top-level commas */
  const char *q = p, *close = NULL;
  int lvl = 0;
  for (; q < pe; q++) {
    if (*q == '\\' && q + 1 < pe) { q++; continue; }
    if (*q == '{') lvl++;
    else if (*q == '}') { if (lvl == 0) { close = q; break; } lvl--; }
  }
  if (!close) return -1;
  const char *start = p;
  lvl = 0;
  for (q = p; q <= close; q++) {
    if (q < close && *q == '\\' && q + 1 < close) { q++; continue; }
    if (q < close && *q == '{') { lvl++; continue; }
    if (q < close && *q == '}') { lvl--; continue; }
    if (q == close || (*q == ',' && lvl == 0)) {
      /* alternative [start, q) followed by the rest after close */
      size_t al = (size_t)(q - start), rl = (size_t)(pe - close - 1);
      char *buf = malloc(al + rl + 1);
      if (!buf) return -1;
      memcpy(buf, start, al);
      memcpy(buf + al, close + 1, rl);
      int r = glob_match(buf, buf + al + rl, s, se, depth + 1);
      free(buf);
      if (r != 0) return r;
      start = q + 1;
    }
  }
  return 0;
}

static int glob_match(const char *p, const char *pe, const char *s,
                      const char *se, int depth)
{
  if (depth > 64) return -1;
  while (p < pe) {
    char c = *p;
    if (c == '*') {
      int super = p + 1 < pe && p[1] == '*';
      p += super ? 2 : 1;
      for (const char *t = s;; t++) {
        int r = glob_match(p, pe, t, se, depth + 1);
        if (r != 0) return r;
        if (t >= se || (!super && *t == '/')) return 0;
      }
    }
    if (c == '{') return glob_alt(p + 1, pe, s, se, depth);
    if (s >= se) return 0;
    if (c == '?') {
      if (*s == '/') return 0;
      p++; s++;
      continue;
    }
    if (c == '[') {
      const char *q = p + 1;
      int neg = q < pe && *q == '!';
      if (neg) q++;
      int match = 0;
      const char *start = q;
      while (q < pe && (*q != ']' || q == start)) {
        char lo = *q, hi = lo;
        if (q + 2 < pe && q[1] == '-' && q[2] != ']') { hi = q[2]; q += 3; }
        else q++;
        if (*s >= lo && *s <= hi) match = 1;
      }
      if (q >= pe) return -1;
      if (match == neg) return 0;
      p = q + 1;
      s++;
      continue;
    }
    if (c == '\\' && p + 1 < pe) { p++; c = *p; }
    if (*s != c) return 0;
    p++; s++;
  }
  return s == se;
}

/* ---- .Files -------------------------------------------------------------- */

typedef struct {
  const chart_file **f;   /* borrowed from the chart */
  size_t n;
} files_data;

static void files_free(void *d)
{
  files_data *fd = d;
  if (!fd) return;
  free(fd->f);
  free(fd);
}

static const tpl_class files_class;

int chart_files_obj(const chart_file *const *files, size_t n, tpl_val *out)
{
  files_data *fd = calloc(1, sizeof *fd);
  if (!fd) return KD_ENOMEM;
  fd->f = calloc(n + 1, sizeof *fd->f);
  if (!fd->f) { free(fd); return KD_ENOMEM; }
  if (n) memcpy(fd->f, files, n * sizeof *files);
  fd->n = n;
  return tpl_obj_new(out, &files_class, fd);
}

static const chart_file *files_find(const files_data *fd, tpl_val name)
{
  for (size_t i = 0; i < fd->n; i++)
    if (strlen(fd->f[i]->name) == tpl_slen(name) &&
        memcmp(fd->f[i]->name, tpl_sdata(name), tpl_slen(name)) == 0)
      return fd->f[i];
  return NULL;
}

static const char *base_name(const char *p)
{
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

static int cmp_base(const void *a, const void *b)
{
  const chart_file *x = *(const chart_file *const *)a;
  const chart_file *y = *(const chart_file *const *)b;
  int c = strcmp(base_name(x->name), base_name(y->name));
  return c ? c : strcmp(x->name, y->name);
}

static const char b64[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int base64(const char *d, size_t n, kd_buf *b)
{
  const unsigned char *p = (const unsigned char *)d;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)p[i] << 16;
    if (i + 1 < n) v |= (unsigned)p[i + 1] << 8;
    if (i + 2 < n) v |= p[i + 2];
    char q[4] = {b64[(v >> 18) & 63], b64[(v >> 12) & 63],
                 i + 1 < n ? b64[(v >> 6) & 63] : '=',
                 i + 2 < n ? b64[v & 63] : '='};
    if (kd_buf_add(b, q, 4)) return KD_ENOMEM;
  }
  return kd_buf_addc(b, 0) ? KD_ENOMEM : (b->len--, KD_OK);
}

/* AsConfig / AsSecrets: map of base names to contents, as toYAML. */
static int files_as(tpl_call *c, files_data *fd, int secrets, tpl_val *out)
{
  kd_value m;
  kd_value_obj(&m);
  /* later files with the same base name win, as Go's map assignment */
  const chart_file **sorted = calloc(fd->n + 1, sizeof *sorted);
  if (!sorted) return tpl_call_fail(c, "out of memory");
  memcpy(sorted, fd->f, fd->n * sizeof *sorted);
  qsort(sorted, fd->n, sizeof *sorted, cmp_base);
  int rc = KD_OK;
  kd_buf enc = {0};
  for (size_t i = 0; rc == KD_OK && i < fd->n; i++) {
    const char *bn = base_name(sorted[i]->name);
    kd_value *slot = kd_obj_get(&m, bn, strlen(bn));
    if (!slot && !(slot = kd_obj_add(&m, bn, strlen(bn)))) { rc = KD_ENOMEM; break; }
    kd_value_clear(slot);
    if (secrets) {
      enc.len = 0;
      rc = base64(sorted[i]->data, sorted[i]->len, &enc);
      if (rc == KD_OK) rc = kd_value_str(slot, enc.data ? enc.data : "", enc.len);
    } else {
      rc = kd_value_str(slot, sorted[i]->data, sorted[i]->len);
    }
  }
  free(sorted);
  kd_buf_free(&enc);
  kd_buf y = {0};
  kd_error e = {0};
  if (rc == KD_OK && fd->n > 0) rc = yaml_encode(&m, &y, &e);
  kd_value_clear(&m);
  if (rc != KD_OK) { kd_buf_free(&y); return tpl_call_fail(c, "%s", e.msg[0] ? e.msg : "out of memory"); }
  if (fd->n == 0) kd_buf_adds(&y, "{}\n");
  while (y.len > 0 && y.data[y.len - 1] == '\n') { y.len--; break; }
  rc = tpl_str_take(out, &y);
  kd_buf_free(&y);
  return rc;
}

/* What range/len/index see: Helm's files is a map[string][]byte. */
static int files_items(const files_data *fd, tpl_val *out)
{
  if (tpl_map_new(out)) return KD_ENOMEM;
  for (size_t i = 0; i < fd->n; i++) {
    tpl_val s;
    if (tpl_str_new(&s, fd->f[i]->data, fd->f[i]->len)) goto nomem;
    s.sub = TPL_STR_BYTES;
    if (tpl_map_sets(*out, fd->f[i]->name, s)) goto nomem;
  }
  return KD_OK;
nomem:
  tpl_unref(*out);
  return KD_ENOMEM;
}

static int files_member(tpl_call *c, tpl_obj *o, const char *name,
                        const tpl_val *args, int nargs, tpl_val *out)
{
  files_data *fd = odata(o);
  int rc;
  if (strcmp(name, TPL_MEMBER_ITEMS) == 0) return files_items(fd, out);
  if (strcmp(name, "Get") == 0 || strcmp(name, "GetBytes") == 0) {
    if ((rc = want_args(c, name, args, nargs, 1))) return rc;
    const chart_file *f = files_find(fd, args[0]);
    rc = tpl_str_new(out, f ? f->data : "", f ? f->len : 0);
    if (rc == KD_OK && name[3] == 'B') out->sub = TPL_STR_BYTES;   /* []byte */
    return rc;
  }
  if (strcmp(name, "Lines") == 0) {
    if ((rc = want_args(c, name, args, nargs, 1))) return rc;
    const chart_file *f = files_find(fd, args[0]);
    tpl_val l;
    if (tpl_list_new(&l, 8)) return KD_ENOMEM;
    l.sub = TPL_ELEM_STR;
    if (f && f->len > 0) {
      size_t len = f->len;
      if (f->data[len - 1] == '\n') len--;
      size_t i = 0;
      for (;;) {
        const char *nl = memchr(f->data + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - f->data) : len;
        tpl_val s;
        if (tpl_str_new(&s, f->data + i, e - i) || tpl_list_push(l, s)) {
          tpl_unref(l);
          return KD_ENOMEM;
        }
        if (!nl) break;
        i = e + 1;
      }
    }
    *out = l;
    return KD_OK;
  }
  if (strcmp(name, "Glob") == 0) {
    if ((rc = want_args(c, name, args, nargs, 1))) return rc;
    const char *p = tpl_sdata(args[0]);
    size_t pl = tpl_slen(args[0]);
    files_data sub = {calloc(fd->n + 1, sizeof *sub.f), 0};
    if (!sub.f) return KD_ENOMEM;
    for (size_t i = 0; i < fd->n; i++) {
      const char *n = fd->f[i]->name;
      int m = glob_match(p, p + pl, n, n + strlen(n), 0);
      if (m < 0) m = 1;   /* a bad pattern: Helm falls back to "**" */
      if (m) sub.f[sub.n++] = fd->f[i];
    }
    rc = chart_files_obj(sub.f, sub.n, out);
    free(sub.f);
    return rc;
  }
  if (strcmp(name, "AsConfig") == 0 || strcmp(name, "AsSecrets") == 0) {
    if ((rc = want_args(c, name, args, nargs, 0))) return rc;
    return files_as(c, fd, name[2] == 'S', out);
  }
  /* files is a map type: any other .Name is a key, []byte(nil) when absent */
  tpl_val key;
  if (nargs != 0 || tpl_str_cstr(&key, name)) return KD_ENOTFOUND;
  const chart_file *f = files_find(fd, key);
  tpl_unref(key);
  rc = tpl_str_new(out, f ? f->data : "", f ? f->len : 0);
  if (rc == KD_OK) out->sub = TPL_STR_BYTES;
  return rc;
}

static int files_print(tpl_obj *o, kd_buf *b)
{
  files_data *fd = odata(o);
  int rc = kd_buf_adds(b, "map[");
  for (size_t i = 0; rc == KD_OK && i < fd->n; i++) {
    rc = kd_buf_printf(b, "%s%s:[", i ? " " : "", fd->f[i]->name);
    for (size_t k = 0; rc == KD_OK && k < fd->f[i]->len; k++)
      rc = kd_buf_printf(b, "%s%u", k ? " " : "",
                         (unsigned char)fd->f[i]->data[k]);
    if (rc == KD_OK) rc = kd_buf_addc(b, ']');
  }
  return rc ? rc : kd_buf_addc(b, ']');
}

/* JSON of a map[string][]byte: the []byte values marshal as base64. */
static int files_marshal(tpl_obj *o, tpl_val *out)
{
  return files_items(odata(o), out);
}

static int files_truth(tpl_obj *o) { return ((files_data *)odata(o))->n > 0; }

static const tpl_class files_class = {
  "engine.files", "map", files_member, files_print, files_marshal,
  files_truth, files_free,
};

/* ---- .Capabilities ------------------------------------------------------- */

typedef struct {
  char *version;   /* as given, "v" prefixed: KubeVersion.Version */
  char *norm;      /* "v" + the numeric components: KubeVersion.String() */
  char *major, *minor;
  char **apis;
  size_t napis;
} caps_data;

static void caps_free(void *d)
{
  caps_data *cd = d;
  if (!cd) return;
  free(cd->version); free(cd->norm); free(cd->major); free(cd->minor);
  for (size_t i = 0; i < cd->napis; i++) free(cd->apis[i]);
  free(cd->apis);
  free(cd);
}

/* The parts of .Capabilities are objects holding a reference to it. */
typedef struct { tpl_val caps; } part_data;

static void part_free(void *d)
{
  part_data *p = d;
  if (!p) return;
  tpl_unref(p->caps);
  free(p);
}

static const tpl_class kube_class, apis_class, helm_class, caps_class;

static caps_data *caps_of(tpl_obj *o)
{
  return tpl_obj_data(((part_data *)odata(o))->caps);
}

static int new_part(tpl_obj *caps, const tpl_class *cls, tpl_val *out)
{
  part_data *p = calloc(1, sizeof *p);
  if (!p) return KD_ENOMEM;
  p->caps = tpl_nil();
  p->caps.kind = TPL_OBJ;
  p->caps.u.o = caps;
  p->caps = tpl_ref(p->caps);
  return tpl_obj_new(out, cls, p);
}

static int caps_member(tpl_call *c, tpl_obj *o, const char *name,
                       const tpl_val *args, int nargs, tpl_val *out)
{
  (void)c; (void)args; (void)nargs;
  if (strcmp(name, "KubeVersion") == 0) return new_part(o, &kube_class, out);
  if (strcmp(name, "APIVersions") == 0) return new_part(o, &apis_class, out);
  if (strcmp(name, "HelmVersion") == 0) return new_part(o, &helm_class, out);
  return KD_ENOTFOUND;
}

static int kube_member(tpl_call *c, tpl_obj *o, const char *name,
                       const tpl_val *args, int nargs, tpl_val *out)
{
  (void)args; (void)nargs; (void)c;
  caps_data *cd = caps_of(o);
  if (!strcmp(name, "Version") || !strcmp(name, "GitVersion"))
    return tpl_str_cstr(out, cd->version);
  if (!strcmp(name, "String")) return tpl_str_cstr(out, cd->norm);
  if (!strcmp(name, "Major")) return tpl_str_cstr(out, cd->major);
  if (!strcmp(name, "Minor")) return tpl_str_cstr(out, cd->minor);
  return KD_ENOTFOUND;
}

/* fmt's %v of the struct {Version, version, Major, Minor}; a template's
 * own {{ .Capabilities.KubeVersion }} prints String() instead. */
static int kube_fmt(const caps_data *cd, kd_buf *b)
{
  return kd_buf_printf(b, "{%s %s %s %s}", cd->version, cd->norm, cd->major,
                       cd->minor);
}

static int kube_print(tpl_obj *o, kd_buf *b) { return kube_fmt(caps_of(o), b); }

static int kube_marshal(tpl_obj *o, tpl_val *out)
{
  caps_data *cd = caps_of(o);
  tpl_val s;
  if (tpl_map_new(out)) return KD_ENOMEM;
  /* Helm 4's KubeVersion has no json tags: the field names as they are */
  if (tpl_str_cstr(&s, cd->version) || tpl_map_sets(*out, "Version", s) ||
      tpl_str_cstr(&s, cd->major) || tpl_map_sets(*out, "Major", s) ||
      tpl_str_cstr(&s, cd->minor) || tpl_map_sets(*out, "Minor", s)) {
    tpl_unref(*out);
    return KD_ENOMEM;
  }
  return KD_OK;
}

static int apis_marshal(tpl_obj *o, tpl_val *out);

static int apis_member(tpl_call *c, tpl_obj *o, const char *name,
                       const tpl_val *args, int nargs, tpl_val *out)
{
  /* VersionSet is a []string: range/len/index see the list */
  if (strcmp(name, TPL_MEMBER_ITEMS) == 0) return apis_marshal(o, out);
  if (strcmp(name, "Has") != 0) return KD_ENOTFOUND;
  int rc = want_args(c, name, args, nargs, 1);
  if (rc) return rc;
  caps_data *cd = caps_of(o);
  int has = 0;
  for (size_t i = 0; i < cd->napis && !has; i++)
    has = strlen(cd->apis[i]) == tpl_slen(args[0]) &&
          memcmp(cd->apis[i], tpl_sdata(args[0]), tpl_slen(args[0])) == 0;
  *out = tpl_bool(has);
  return KD_OK;
}

static int apis_print(tpl_obj *o, kd_buf *b)
{
  caps_data *cd = caps_of(o);
  int rc = kd_buf_addc(b, '[');
  for (size_t i = 0; rc == KD_OK && i < cd->napis; i++)
    rc = kd_buf_printf(b, "%s%s", i ? " " : "", cd->apis[i]);
  return rc ? rc : kd_buf_addc(b, ']');
}

static int apis_marshal(tpl_obj *o, tpl_val *out)
{
  caps_data *cd = caps_of(o);
  if (tpl_list_new(out, cd->napis)) return KD_ENOMEM;
  out->sub = TPL_ELEM_STR;
  for (size_t i = 0; i < cd->napis; i++) {
    tpl_val s;
    if (tpl_str_cstr(&s, cd->apis[i]) || tpl_list_push(*out, s)) {
      tpl_unref(*out);
      return KD_ENOMEM;
    }
  }
  return KD_OK;
}

static const char *const helm_fields[5][3] = {
  {"Version", "version", HELM_VERSION},
  {"GitCommit", "git_commit", HELM_COMMIT},
  {"GitTreeState", "git_tree_state", "clean"},
  {"GoVersion", "go_version", HELM_GO},
  {"KubeClientVersion", "kube_client_version", HELM_KUBE_CLIENT},
};

static int helm_member(tpl_call *c, tpl_obj *o, const char *name,
                       const tpl_val *args, int nargs, tpl_val *out)
{
  (void)c; (void)o; (void)args; (void)nargs;
  for (int i = 0; i < 5; i++)
    if (strcmp(name, helm_fields[i][0]) == 0)
      return tpl_str_cstr(out, helm_fields[i][2]);
  return KD_ENOTFOUND;
}

static int helm_print(tpl_obj *o, kd_buf *b)
{
  (void)o;
  return kd_buf_printf(b, "{%s %s %s %s %s}", HELM_VERSION, HELM_COMMIT,
                       "clean", HELM_GO, HELM_KUBE_CLIENT);
}

static int helm_marshal(tpl_obj *o, tpl_val *out)
{
  (void)o;
  if (tpl_map_new(out)) return KD_ENOMEM;
  for (int i = 0; i < 5; i++) {
    tpl_val s;
    if (tpl_str_cstr(&s, helm_fields[i][2]) ||
        tpl_map_sets(*out, helm_fields[i][1], s)) {
      tpl_unref(*out);
      return KD_ENOMEM;
    }
  }
  return KD_OK;
}

static int caps_print(tpl_obj *o, kd_buf *b)
{
  caps_data *cd = odata(o);
  int rc = kd_buf_adds(b, "&{") || kube_fmt(cd, b) || kd_buf_adds(b, " [");
  for (size_t i = 0; rc == KD_OK && i < cd->napis; i++)
    rc = kd_buf_printf(b, "%s%s", i ? " " : "", cd->apis[i]);
  if (rc == KD_OK) rc = kd_buf_adds(b, "] ");
  return rc ? rc : (helm_print(o, b) || kd_buf_addc(b, '}') ? KD_ENOMEM : KD_OK);
}

/* Capabilities marshal as {KubeVersion, APIVersions, HelmVersion}. */
static int caps_marshal(tpl_obj *o, tpl_val *out)
{
  static const tpl_class *const parts[3] = {&kube_class, &apis_class,
                                            &helm_class};
  static const char *const names[3] = {"KubeVersion", "APIVersions",
                                       "HelmVersion"};
  if (tpl_map_new(out)) return KD_ENOMEM;
  for (int i = 0; i < 3; i++) {
    tpl_val part, m;
    if (new_part(o, parts[i], &part)) goto nomem;
    int rc = parts[i]->marshal(part.u.o, &m);
    tpl_unref(part);
    if (rc || tpl_map_sets(*out, names[i], m)) goto nomem;
  }
  return KD_OK;
nomem:
  tpl_unref(*out);
  return KD_ENOMEM;
}

static const tpl_class kube_class = {
  "common.KubeVersion", "struct", kube_member, kube_print, kube_marshal,
  NULL, part_free,
};
static const tpl_class apis_class = {
  "common.VersionSet", "slice", apis_member, apis_print, apis_marshal,
  NULL, part_free,
};
static const tpl_class helm_class = {
  "version.BuildInfo", "struct", helm_member, helm_print, helm_marshal,
  NULL, part_free,
};
static const tpl_class caps_class = {
  "*common.Capabilities", "ptr", caps_member, caps_print, caps_marshal, NULL,
  caps_free,
};

/* The group/versions client-go's scheme knows (Helm's default set for
 * `helm template`), in Helm 4.1.4's order. */
static const char *const default_apis[] = {
  "v1", "admissionregistration.k8s.io/v1",
  "admissionregistration.k8s.io/v1alpha1",
  "admissionregistration.k8s.io/v1beta1", "internal.apiserver.k8s.io/v1alpha1",
  "apps/v1", "apps/v1beta1", "apps/v1beta2", "authentication.k8s.io/v1",
  "authentication.k8s.io/v1alpha1", "authentication.k8s.io/v1beta1",
  "authorization.k8s.io/v1", "authorization.k8s.io/v1beta1", "autoscaling/v1",
  "autoscaling/v2", "autoscaling/v2beta1", "autoscaling/v2beta2", "batch/v1",
  "batch/v1beta1", "certificates.k8s.io/v1", "certificates.k8s.io/v1beta1",
  "certificates.k8s.io/v1alpha1", "coordination.k8s.io/v1alpha2",
  "coordination.k8s.io/v1beta1", "coordination.k8s.io/v1",
  "discovery.k8s.io/v1", "discovery.k8s.io/v1beta1", "events.k8s.io/v1",
  "events.k8s.io/v1beta1", "extensions/v1beta1",
  "flowcontrol.apiserver.k8s.io/v1", "flowcontrol.apiserver.k8s.io/v1beta1",
  "flowcontrol.apiserver.k8s.io/v1beta2",
  "flowcontrol.apiserver.k8s.io/v1beta3", "networking.k8s.io/v1",
  "networking.k8s.io/v1beta1", "node.k8s.io/v1", "node.k8s.io/v1alpha1",
  "node.k8s.io/v1beta1", "policy/v1", "policy/v1beta1",
  "rbac.authorization.k8s.io/v1", "rbac.authorization.k8s.io/v1beta1",
  "rbac.authorization.k8s.io/v1alpha1", "resource.k8s.io/v1",
  "resource.k8s.io/v1beta2", "resource.k8s.io/v1beta1",
  "resource.k8s.io/v1alpha3", "scheduling.k8s.io/v1alpha1",
  "scheduling.k8s.io/v1beta1", "scheduling.k8s.io/v1", "storage.k8s.io/v1beta1",
  "storage.k8s.io/v1", "storage.k8s.io/v1alpha1",
  "storagemigration.k8s.io/v1beta1", "apiextensions.k8s.io/v1beta1",
  "apiextensions.k8s.io/v1",
};

/* Go's %q of S (the flag's text), enough for error messages. */
static void go_quote(kd_buf *b, const char *s)
{
  kd_buf_addc(b, '"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') kd_buf_printf(b, "\\%c", c);
    else if (c < 0x20 || c == 0x7f) kd_buf_printf(b, "\\x%02x", c);
    else kd_buf_addc(b, (char)c);
  }
  kd_buf_addc(b, '"');
}

/* Helm 4's ParseKubeVersion over k8s' version.ParseGeneric: optional
 * blanks and "v", two or more dot-separated numbers, anything after.
 * Version keeps the text (with "v" put in front), String() the numbers. */
static int parse_kube(const char *s, caps_data *cd, kd_error *err)
{
  const char *p = s;
  kd_buf why = {0}, b = {0};
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f') p++;
  if (*p == 'v') p++;
  unsigned long long v[64];
  int n = 0;
  if (*p < '0' || *p > '9') {
    kd_buf_adds(&why, "could not parse ");
    go_quote(&why, s);
    kd_buf_adds(&why, " as version");
    goto bad;
  }
  for (;;) {
    const char *c = p;
    while (*p >= '0' && *p <= '9') p++;
    size_t len = (size_t)(p - c);
    if (n == 0 && len > 1 && *c == '0') {
      kd_buf_printf(&why, "illegal zero-prefixed version component \"%.*s\" in ",
                    (int)len, c);
      go_quote(&why, s);
      goto bad;
    }
    unsigned long long x = 0;
    int over = 0;
    for (const char *d = c; d < p; d++) {
      if (x > (~0ULL - (unsigned)(*d - '0')) / 10) over = 1;
      x = x * 10 + (unsigned)(*d - '0');
    }
    if (over) {
      kd_buf_printf(&why, "illegal non-numeric version component \"%.*s\" in ",
                    (int)len, c);
      go_quote(&why, s);
      kd_buf_printf(&why, ": strconv.ParseUint: parsing \"%.*s\": value out "
                    "of range", (int)len, c);
      goto bad;
    }
    if (n < 64) v[n] = x;
    n++;
    if (p[0] != '.' || p[1] < '0' || p[1] > '9') break;
    p++;
  }
  if (n < 2) {
    kd_buf_adds(&why, "illegal version string ");
    go_quote(&why, s);
    goto bad;
  }
  kd_buf_printf(&b, "%s%s", s[0] == 'v' ? "" : "v", s);
  cd->version = kd_buf_take(&b, NULL);
  kd_buf_addc(&b, 'v');
  for (int i = 0; i < n && i < 64; i++)
    kd_buf_printf(&b, "%s%llu", i ? "." : "", v[i]);
  cd->norm = kd_buf_take(&b, NULL);
  kd_buf_printf(&b, "%llu", v[0]);
  cd->major = kd_buf_take(&b, NULL);
  kd_buf_printf(&b, "%llu", v[1]);
  cd->minor = kd_buf_take(&b, NULL);
  return cd->version && cd->norm && cd->major && cd->minor
         ? KD_OK : kd_error_set(err, KD_ENOMEM, "out of memory");
bad:
  {
    int rc = kd_error_set(err, KD_EINVAL, "invalid kube version '%s': %s", s,
                          why.data ? why.data : "");
    kd_buf_free(&why);
    return rc;
  }
}

int chart_caps_obj(const chart_render_opts *o, tpl_val *out, kd_error *err)
{
  caps_data *cd = calloc(1, sizeof *cd);
  if (!cd) return kd_error_set(err, KD_ENOMEM, "out of memory");
  int rc = parse_kube(o && o->kube_version ? o->kube_version : DEFAULT_KUBE,
                      cd, err);
  size_t nd = sizeof default_apis / sizeof *default_apis;
  size_t extra = o ? o->n_api_versions : 0;
  if (rc == KD_OK && !(cd->apis = calloc(nd + extra + 1, sizeof *cd->apis)))
    rc = kd_error_set(err, KD_ENOMEM, "out of memory");
  for (size_t i = 0; rc == KD_OK && i < nd + extra; i++) {
    const char *a = i < nd ? default_apis[i] : o->api_versions[i - nd];
    if (!(cd->apis[i] = kd_strndup(a, strlen(a))))
      rc = kd_error_set(err, KD_ENOMEM, "out of memory");
    else
      cd->napis++;
  }
  if (rc != KD_OK) { caps_free(cd); return rc; }
  if (tpl_obj_new(out, &caps_class, cd))
    return kd_error_set(err, KD_ENOMEM, "out of memory");
  return KD_OK;
}

const char *chart_caps_kube_version(tpl_val caps, int string_form)
{
  caps_data *cd = tpl_obj_data(caps);
  if (!cd) return DEFAULT_KUBE;
  return string_form ? cd->norm : cd->version;
}

/* ---- method signatures (Go's argument checks for method calls) ----------- */

static const char *files_sig(const char *name)
{
  if (!strcmp(name, "Get") || !strcmp(name, "GetBytes") ||
      !strcmp(name, "Glob") || !strcmp(name, "Lines"))
    return "s";
  if (!strcmp(name, "AsConfig") || !strcmp(name, "AsSecrets")) return "";
  return NULL;
}

static const char *kube_sig(const char *name)
{
  return !strcmp(name, "String") || !strcmp(name, "GitVersion") ? "" : NULL;
}

static const char *apis_sig(const char *name)
{
  return !strcmp(name, "Has") ? "s" : NULL;
}

static const char *fields_only(const char *name)
{
  (void)name;
  return NULL;
}

const tpl_methods chart_methods[] = {
  {&files_class, files_sig}, {&kube_class, kube_sig}, {&apis_class, apis_sig},
  {&helm_class, fields_only}, {&caps_class, fields_only}, {NULL, NULL},
};
