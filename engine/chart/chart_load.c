/* engine/chart/chart_load.c: loading a chart directory or archive the way
 * Helm's loader does: .helmignore, file classification (Chart.yaml,
 * values.yaml, values.schema.json, requirements.yaml, templates/, charts/,
 * everything else as .Files), subcharts, metadata validation. */
#include "chart_int.h"
#include "json.h"
#include "yaml.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static chart *load_files(chart_file *files, size_t n, const char *source,
                         kd_error *err);

/* ---- directory walk ------------------------------------------------------ */

typedef struct {
  chart_file *f;
  size_t n, cap;
} file_list;

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(const char *top, const char *rel, const chart_ignore *ig,
                file_list *out, int depth, kd_error *err)
{
  if (depth > 64)
    return kd_error_set(err, KD_ERANGE, "%s/%s: directories nested too deeply "
                        "(symlink loop?)", top, rel);
  kd_buf dir = {0};
  kd_buf_printf(&dir, "%s%s%s", top, *rel ? "/" : "", rel);
  DIR *d = opendir(dir.data);
  if (!d) {
    int rc = kd_error_set(err, KD_EIO, "%s: %s", dir.data, strerror(errno));
    kd_buf_free(&dir);
    return rc;
  }
  char **names = NULL;
  size_t nn = 0, cap = 0;
  int rc = KD_OK;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (nn == cap) {
      cap = cap ? cap * 2 : 32;
      char **nv = realloc(names, cap * sizeof *nv);
      if (!nv) { rc = kd_error_set(err, KD_ENOMEM, "out of memory"); break; }
      names = nv;
    }
    if (!(names[nn] = kd_strndup(e->d_name, strlen(e->d_name)))) {
      rc = kd_error_set(err, KD_ENOMEM, "out of memory");
      break;
    }
    nn++;
  }
  closedir(d);
  if (rc == KD_OK && nn > 1) qsort(names, nn, sizeof *names, cmp_str);
  kd_buf path = {0}, relp = {0};
  for (size_t i = 0; rc == KD_OK && i < nn; i++) {
    path.len = relp.len = 0;
    kd_buf_printf(&path, "%s/%s", dir.data, names[i]);
    kd_buf_printf(&relp, "%s%s%s", rel, *rel ? "/" : "", names[i]);
    struct stat st;
    if (stat(path.data, &st) != 0) {   /* follows symlinks, as sympath */
      rc = kd_error_set(err, KD_EIO, "%s: %s", path.data, strerror(errno));
      break;
    }
    int is_dir = S_ISDIR(st.st_mode);
    if (chart_ignore_match(ig, relp.data, is_dir)) continue;
    if (is_dir) {
      rc = walk(top, relp.data, ig, out, depth + 1, err);
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      rc = kd_error_set(err, KD_EIO, "cannot load irregular file %s as it has "
                        "file mode type bits set", path.data);
      break;
    }
    if (st.st_size > (5 << 20)) {
      rc = kd_error_set(err, KD_EIO, "file '%s' is larger than the maximum "
                        "file size %d", path.data, 5 << 20);
      break;
    }
    size_t len;
    char *data = kd_read_file(path.data, &len, err);
    if (!data) { rc = err ? err->code : KD_EIO; break; }
    if (out->n == out->cap) {
      size_t nc = out->cap ? out->cap * 2 : 32;
      chart_file *nf = realloc(out->f, nc * sizeof *nf);
      if (!nf) { free(data); rc = kd_error_set(err, KD_ENOMEM, "out of memory"); break; }
      out->f = nf;
      out->cap = nc;
    }
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
      memmove(data, data + 3, len - 2);
      len -= 3;
    }
    chart_file *f = &out->f[out->n];
    f->name = kd_strndup(relp.data, relp.len);
    f->data = data;
    f->len = len;
    if (!f->name) { free(data); rc = kd_error_set(err, KD_ENOMEM, "out of memory"); break; }
    out->n++;
  }
  for (size_t i = 0; i < nn; i++) free(names[i]);
  free(names);
  kd_buf_free(&path);
  kd_buf_free(&relp);
  kd_buf_free(&dir);
  return rc;
}

static chart *load_dir(const char *top, kd_error *err)
{
  chart_ignore *ig = NULL;
  kd_buf p = {0};
  kd_buf_printf(&p, "%s/.helmignore", top);
  struct stat st;
  if (stat(p.data, &st) == 0) {
    size_t len;
    char *text = kd_read_file(p.data, &len, err);
    if (!text) { kd_buf_free(&p); return NULL; }
    ig = chart_ignore_parse(text, len, p.data, err);
    free(text);
  } else {
    ig = chart_ignore_parse(NULL, 0, p.data, err);
  }
  kd_buf_free(&p);
  if (!ig || chart_ignore_defaults(ig, err) != KD_OK) {
    chart_ignore_free(ig);
    return NULL;
  }
  file_list fl = {0};
  int rc = walk(top, "", ig, &fl, 0, err);
  chart_ignore_free(ig);
  if (rc != KD_OK) {
    chart_files_free(fl.f, fl.n);
    return NULL;
  }
  return load_files(fl.f, fl.n, top, err);
}

chart *chart_load(const char *path, kd_error *err)
{
  struct stat st;
  if (stat(path, &st) != 0) {
    kd_error_set(err, KD_ENOTFOUND, "%s: %s", path, strerror(errno));
    return NULL;
  }
  if (S_ISDIR(st.st_mode)) return load_dir(path, err);
  size_t len;
  char *data = kd_read_file(path, &len, err);
  if (!data) return NULL;
  chart *c = chart_load_archive(data, len, path, err);
  free(data);
  return c;
}

chart *chart_load_files(chart_file *files, size_t n, const char *source,
                        kd_error *err)
{
  return load_files(files, n, source ? source : "<memory>", err);
}

chart *chart_load_archive(const void *data, size_t len, const char *source,
                          kd_error *err)
{
  chart_file *files;
  size_t n;
  if (chart_untar(data, len, source, &files, &n, err) != KD_OK) return NULL;
  return load_files(files, n, source, err);
}

/* ---- Chart.yaml ---------------------------------------------------------- */

/* A string field as Go's JSON decoding of Chart.yaml gives it; numbers
 * become their JSON text (appVersion: 1.0 -> "1"). */
static int meta_str(const kd_value *m, const char *key, char **out,
                    const char *source, kd_error *err)
{
  const kd_value *v = m ? kd_obj_gets(m, key) : NULL;
  kd_buf b = {0};
  *out = NULL;
  if (!v || v->type == KD_NULL) {
    *out = kd_strndup("", 0);
  } else if (v->type == KD_STR) {
    *out = kd_strndup(v->u.str.s, v->u.str.len);
  } else if (v->type == KD_INT) {
    kd_buf_printf(&b, "%lld", (long long)v->u.i);
    *out = kd_buf_take(&b, NULL);
  } else if (v->type == KD_FLOAT && json_format_float(v->u.f, &b) == KD_OK) {
    *out = kd_buf_take(&b, NULL);
  } else {
    kd_buf_free(&b);
    return kd_error_set(err, KD_EPARSE, "%s: cannot load Chart.yaml: json: "
                        "cannot unmarshal %s into Go struct field "
                        "Metadata.%s of type string", source,
                        v->type == KD_BOOL ? "bool" : v->type == KD_ARR ?
                        "array" : "object", key);
  }
  return *out ? KD_OK : kd_error_set(err, KD_ENOMEM, "out of memory");
}

static int str_list(const kd_value *v, tpl_val *out)
{
  int rc = tpl_list_new(out, v && v->type == KD_ARR ? v->u.arr.len : 0);
  if (rc != KD_OK || !v || v->type != KD_ARR) return rc;
  for (size_t i = 0; i < v->u.arr.len; i++) {
    tpl_val s;
    const kd_value *it = &v->u.arr.items[i];
    if (it->type == KD_STR) rc = tpl_str_new(&s, it->u.str.s, it->u.str.len);
    else if ((rc = tpl_from_kd(it, TPL_FROM_KD_FLOATS, &s)) != KD_OK) return rc;
    if (rc != KD_OK || (rc = tpl_list_push(*out, s)) != KD_OK) return rc;
  }
  return KD_OK;
}

static int set_str(tpl_val m, const char *k, const char *s)
{
  tpl_val v;
  int rc = tpl_str_cstr(&v, s ? s : "");
  return rc ? rc : tpl_map_sets(m, k, v);
}

/* The .Chart map (Helm 4's MetadataAsMap) without Name, Dependencies and
 * IsRoot, which depend on the render. */
static int build_meta(chart *c, const kd_value *m, const char *source,
                      kd_error *err)
{
  static const struct { const char *key, *field; } strs[] = {
    {"appVersion", "AppVersion"}, {"condition", "Condition"},
    {"description", "Description"}, {"home", "Home"}, {"icon", "Icon"},
    {"tags", "Tags"},
  };
  tpl_val meta;
  if (tpl_map_new(&meta) != KD_OK) return kd_error_set(err, KD_ENOMEM, "out of memory");
  c->meta = meta;
  int rc = KD_OK;
  for (size_t i = 0; rc == KD_OK && i < sizeof strs / sizeof *strs; i++) {
    char *s;
    if ((rc = meta_str(m, strs[i].key, &s, source, err)) != KD_OK) return rc;
    rc = set_str(meta, strs[i].field, s);
    free(s);
  }
  rc = rc ? rc : set_str(meta, "APIVersion", c->api_version);
  rc = rc ? rc : set_str(meta, "Version", c->version);
  rc = rc ? rc : set_str(meta, "Type", c->type);
  rc = rc ? rc : set_str(meta, "KubeVersion", c->kube_version);
  const kd_value *dep = kd_obj_gets(m, "deprecated");
  if (rc == KD_OK)
    rc = tpl_map_sets(meta, "Deprecated",
                      tpl_bool(dep && dep->type == KD_BOOL && dep->u.b));
  tpl_val l, ann, maint;
  if (rc == KD_OK && (rc = str_list(kd_obj_gets(m, "keywords"), &l)) == KD_OK)
    rc = tpl_map_sets(meta, "Keywords", l);
  if (rc == KD_OK && (rc = str_list(kd_obj_gets(m, "sources"), &l)) == KD_OK)
    rc = tpl_map_sets(meta, "Sources", l);
  if (rc == KD_OK && (rc = tpl_map_new(&ann)) == KD_OK) {
    const kd_value *a = kd_obj_gets(m, "annotations");
    for (size_t i = 0; rc == KD_OK && a && a->type == KD_OBJ && i < a->u.obj.len; i++) {
      const kd_member *mb = &a->u.obj.m[i];
      if (mb->val.type != KD_STR) {
        tpl_unref(ann);
        return kd_error_set(err, KD_EPARSE, "%s: cannot load Chart.yaml: "
                            "json: cannot unmarshal %s into Go struct field "
                            "Metadata.annotations of type string", source,
                            kd_type_name(mb->val.type));
      }
      tpl_val s;
      if ((rc = tpl_str_new(&s, mb->val.u.str.s, mb->val.u.str.len)) == KD_OK)
        rc = tpl_map_set(ann, mb->key, mb->klen, s);
    }
    rc = rc ? (tpl_unref(ann), rc) : tpl_map_sets(meta, "Annotations", ann);
  }
  if (rc == KD_OK && (rc = tpl_list_new(&maint, 0)) == KD_OK) {
    const kd_value *a = kd_obj_gets(m, "maintainers");
    for (size_t i = 0; rc == KD_OK && a && a->type == KD_ARR && i < a->u.arr.len; i++) {
      tpl_val mm;
      if ((rc = tpl_map_new(&mm)) != KD_OK) break;
      static const char *const mk[3][2] = {{"name", "Name"}, {"email", "Email"},
                                           {"url", "URL"}};
      for (int k = 0; rc == KD_OK && k < 3; k++) {
        char *s;
        if ((rc = meta_str(&a->u.arr.items[i], mk[k][0], &s, source, err)) != KD_OK) {
          tpl_unref(mm);
          tpl_unref(maint);
          return rc;
        }
        rc = set_str(mm, mk[k][1], s);
        free(s);
      }
      rc = rc ? (tpl_unref(mm), rc) : tpl_list_push(maint, mm);
    }
    rc = rc ? (tpl_unref(maint), rc) : tpl_map_sets(meta, "Maintainers", maint);
  }
  return rc == KD_OK ? KD_OK : kd_error_set(err, rc, "out of memory");
}

static int load_deps(chart *c, const kd_value *list, const char *source,
                     kd_error *err)
{
  if (!list || list->type == KD_NULL) return KD_OK;
  if (list->type != KD_ARR)
    return kd_error_set(err, KD_EPARSE, "%s: cannot load Chart.yaml: "
                        "dependencies must be a list", source);
  c->has_deps = 1;
  c->deps = calloc(list->u.arr.len + 1, sizeof *c->deps);
  if (!c->deps) return kd_error_set(err, KD_ENOMEM, "out of memory");
  for (size_t i = 0; i < list->u.arr.len; i++) {
    const kd_value *d = &list->u.arr.items[i];
    chart_dep *cd = &c->deps[c->ndeps++];
    cd->tags = tpl_nil();
    cd->import_values = tpl_nil();
    int rc;
    if ((rc = meta_str(d, "name", &cd->name, source, err)) ||
        (rc = meta_str(d, "version", &cd->version, source, err)) ||
        (rc = meta_str(d, "repository", &cd->repository, source, err)) ||
        (rc = meta_str(d, "condition", &cd->condition, source, err)) ||
        (rc = meta_str(d, "alias", &cd->alias, source, err)))
      return rc;
    if ((rc = str_list(kd_obj_gets(d, "tags"), &cd->tags)) != KD_OK)
      return kd_error_set(err, rc, "out of memory");
    const kd_value *iv = kd_obj_gets(d, "import-values");
    if (iv && iv->type == KD_ARR &&
        (rc = tpl_from_kd(iv, TPL_FROM_KD_FLOATS, &cd->import_values)) != KD_OK)
      return kd_error_set(err, rc, "out of memory");
  }
  for (size_t i = 0; i < c->ndeps; i++) {
    const char *key = c->deps[i].alias[0] ? c->deps[i].alias : c->deps[i].name;
    for (size_t j = 0; j < i; j++) {
      const char *k2 = c->deps[j].alias[0] ? c->deps[j].alias : c->deps[j].name;
      if (strcmp(key, k2) == 0)
        return kd_error_set(err, KD_EPARSE, "%s: validation: more than one "
                            "dependency with name or alias \"%s\"", source, key);
    }
  }
  return KD_OK;
}

/* A SemVer 2 version as Masterminds' NewVersion accepts it (loosely). */
static int valid_semver(const char *v)
{
  return chart_semver_check("*", v) >= 0 || chart_semver_check(">=0.0.0-0", v) >= 0;
}

static int load_chart_yaml(chart *c, const chart_file *f, const char *source,
                           kd_value *meta, kd_error *err)
{
  kd_buf src = {0};
  kd_buf_printf(&src, "%s/Chart.yaml", source);
  int rc = yaml_decode(f->data, f->len, src.data, meta, err);
  kd_buf_free(&src);
  if (rc != KD_OK) return rc;
  if (meta->type == KD_NULL) kd_value_obj(meta);
  if (meta->type != KD_OBJ)
    return kd_error_set(err, KD_EPARSE, "%s: cannot load Chart.yaml: not a "
                        "mapping", source);
  if ((rc = meta_str(meta, "name", &c->name, source, err)) ||
      (rc = meta_str(meta, "version", &c->version, source, err)) ||
      (rc = meta_str(meta, "apiVersion", &c->api_version, source, err)) ||
      (rc = meta_str(meta, "type", &c->type, source, err)) ||
      (rc = meta_str(meta, "kubeVersion", &c->kube_version, source, err)))
    return rc;
  if (!c->api_version[0]) {   /* Helm 2 charts: assume v1 */
    free(c->api_version);
    if (!(c->api_version = kd_strndup("v1", 2)))
      return kd_error_set(err, KD_ENOMEM, "out of memory");
  }
  return load_deps(c, kd_obj_gets(meta, "dependencies"), source, err);
}

static int validate(const chart *c, const char *source, kd_error *err)
{
  const char *what = NULL;
  if (!c->api_version || !c->name) {
    return kd_error_set(err, KD_EPARSE, "%s: Chart.yaml file is missing",
                        source);
  }
  if (!c->name[0]) what = "chart.metadata.name is required";
  else if (strchr(c->name, '/'))
    return kd_error_set(err, KD_EPARSE, "%s: validation: chart.metadata.name "
                        "\"%s\" is invalid", source, c->name);
  else if (!c->version[0]) what = "chart.metadata.version is required";
  else if (!valid_semver(c->version))
    return kd_error_set(err, KD_EPARSE, "%s: validation: chart.metadata."
                        "version \"%s\" is invalid", source, c->version);
  else if (c->type[0] && strcmp(c->type, "application") &&
           strcmp(c->type, "library"))
    what = "chart.metadata.type must be application or library";
  if (what)
    return kd_error_set(err, KD_EPARSE, "%s: validation: %s", source, what);
  return KD_OK;
}

/* ---- classification ------------------------------------------------------ */

static int starts(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

static int add_ptr(const chart_file ***arr, size_t *n, const chart_file *f)
{
  const chart_file **na = realloc(*arr, (*n + 1) * sizeof *na);
  if (!na) return KD_ENOMEM;
  na[(*n)++] = f;
  *arr = na;
  return KD_OK;
}

static int cmp_sub(const void *a, const void *b)
{
  return strcmp((*(chart *const *)a)->name, (*(chart *const *)b)->name);
}

/* Loads the subcharts under charts/: one group of files per first path
 * component, directories and .tgz archives; names starting with _ or .
 * are skipped, as in Helm. */
static int load_subcharts(chart *c, const char *source, kd_error *err)
{
  for (size_t i = 0; i < c->nraw; i++) {
    const chart_file *f = &c->raw[i];
    if (!starts(f->name, "charts/")) continue;
    size_t extl = strlen(f->name);
    if (extl > 5 && strcmp(f->name + extl - 5, ".prov") == 0) continue;
    const char *rest = f->name + 7;
    const char *slash = strchr(rest, '/');
    size_t cl = slash ? (size_t)(slash - rest) : strlen(rest);
    /* only the first file of each group starts the group */
    int seen = 0;
    for (size_t j = 0; j < i && !seen; j++) {
      const char *o = c->raw[j].name;
      seen = starts(o, "charts/") && strncmp(o + 7, rest, cl) == 0 &&
             (o[7 + cl] == '/' || o[7 + cl] == 0);
    }
    if (seen || rest[0] == '_' || rest[0] == '.') continue;
    kd_buf sub = {0};
    kd_buf_printf(&sub, "%s/charts/%.*s", source, (int)cl, rest);
    chart *sc = NULL;
    kd_error e2 = {0};
    if (cl > 4 && strncmp(rest + cl - 4, ".tgz", 4) == 0 && !slash) {
      sc = chart_load_archive(f->data, f->len, sub.data, &e2);
    } else {
      file_list fl = {0};
      int rc = KD_OK;
      for (size_t j = i; j < c->nraw && rc == KD_OK; j++) {
        const char *o = c->raw[j].name;
        if (!(starts(o, "charts/") && strncmp(o + 7, rest, cl) == 0 &&
              o[7 + cl] == '/'))
          continue;
        size_t ol = strlen(o);
        if (ol > 5 && strcmp(o + ol - 5, ".prov") == 0) continue;
        if (fl.n == fl.cap) {
          fl.cap = fl.cap ? fl.cap * 2 : 16;
          chart_file *nf = realloc(fl.f, fl.cap * sizeof *nf);
          if (!nf) { rc = KD_ENOMEM; break; }
          fl.f = nf;
        }
        chart_file *nf = &fl.f[fl.n];
        nf->name = kd_strndup(o + 8 + cl, ol - 8 - cl);
        nf->data = kd_strndup(c->raw[j].data, c->raw[j].len);
        nf->len = c->raw[j].len;
        if (!nf->name || !nf->data) { free(nf->name); free(nf->data); rc = KD_ENOMEM; break; }
        fl.n++;
      }
      if (rc != KD_OK) {
        chart_files_free(fl.f, fl.n);
        kd_buf_free(&sub);
        return kd_error_set(err, rc, "out of memory");
      }
      sc = load_files(fl.f, fl.n, sub.data, &e2);
    }
    if (!sc) {
      int rc = kd_error_set(err, e2.code ? e2.code : KD_EPARSE,
                            "error unpacking subchart %.*s in %s: %s",
                            (int)cl, rest, c->name, e2.msg);
      kd_buf_free(&sub);
      return rc;
    }
    kd_buf_free(&sub);
    chart **ns = realloc(c->subs, (c->nsubs + 1) * sizeof *ns);
    if (!ns) { chart_free(sc); return kd_error_set(err, KD_ENOMEM, "out of memory"); }
    c->subs = ns;
    c->subs[c->nsubs++] = sc;
  }
  if (c->nsubs > 1) qsort(c->subs, c->nsubs, sizeof *c->subs, cmp_sub);
  return KD_OK;
}

/* Takes ownership of FILES. */
static chart *load_files(chart_file *files, size_t n, const char *source,
                         kd_error *err)
{
  chart *c = calloc(1, sizeof *c);
  if (!c) {
    chart_files_free(files, n);
    kd_error_set(err, KD_ENOMEM, "out of memory");
    return NULL;
  }
  c->raw = files;
  c->nraw = n;
  c->meta = tpl_nil();
  c->values = tpl_nil();
  kd_value meta;
  kd_value_null(&meta);
  int rc = KD_OK;
  const chart_file *req = NULL;
  for (size_t i = 0; i < n && rc == KD_OK; i++) {
    const chart_file *f = &files[i];
    if (strcmp(f->name, "Chart.yaml") == 0) {
      /* only an archive can hold two; loading the second over the first
       * would drop what the first set */
      if (meta.type != KD_NULL || c->name)
        rc = kd_error_set(err, KD_EPARSE, "%s: Chart.yaml appears more than once", source);
      else
        rc = load_chart_yaml(c, f, source, &meta, err);
    } else if (strcmp(f->name, "values.yaml") == 0) {
      kd_buf s = {0};
      kd_buf_printf(&s, "%s/values.yaml", source);
      tpl_unref(c->values);
      rc = chart_values_parse(f->data, f->len, s.data, &c->values, err);
      kd_buf_free(&s);
    } else if (strcmp(f->name, "values.schema.json") == 0) {
      c->schema = f;
    } else if (strcmp(f->name, "requirements.yaml") == 0 ||
               strcmp(f->name, "requirements.lock") == 0) {
      if (f->name[13] == 'y') req = f;
      /* v1 charts keep them in .Files; v2 charts drop them. */
      if (c->api_version && strcmp(c->api_version, "v1") == 0)
        rc = add_ptr(&c->files, &c->nfiles, f);
    } else if (strcmp(f->name, "Chart.lock") == 0) {
      /* lock files are not exposed */
    } else if (starts(f->name, "templates/")) {
      rc = add_ptr(&c->tmpl, &c->ntmpl, f);
    } else if (starts(f->name, "charts/")) {
      size_t l = strlen(f->name);
      if (l > 5 && strcmp(f->name + l - 5, ".prov") == 0)
        rc = add_ptr(&c->files, &c->nfiles, f);
    } else {
      rc = add_ptr(&c->files, &c->nfiles, f);
    }
    if (rc == KD_ENOMEM) kd_error_set(err, rc, "out of memory");
  }
  if (rc == KD_OK && req) {   /* v1: dependencies from requirements.yaml */
    kd_value r;
    if ((rc = yaml_decode(req->data, req->len, "requirements.yaml", &r, err)) == KD_OK) {
      if (r.type == KD_OBJ) {
        const kd_value *deps = kd_obj_gets(&r, "dependencies");
        if (deps && deps->type != KD_NULL) {
          for (size_t i = 0; i < c->ndeps; i++) {
            free(c->deps[i].name); free(c->deps[i].version);
            free(c->deps[i].repository); free(c->deps[i].condition);
            free(c->deps[i].alias);
            tpl_unref(c->deps[i].tags); tpl_unref(c->deps[i].import_values);
          }
          free(c->deps);
          c->deps = NULL;
          c->ndeps = 0;
          rc = load_deps(c, deps, source, err);
        }
      }
      kd_value_clear(&r);
    }
  }
  if (rc == KD_OK) rc = validate(c, source, err);
  if (rc == KD_OK) rc = build_meta(c, &meta, source, err);
  if (rc == KD_OK && c->values.kind == TPL_NIL &&
      tpl_map_new(&c->values) != KD_OK)
    rc = kd_error_set(err, KD_ENOMEM, "out of memory");
  if (rc == KD_OK) rc = load_subcharts(c, source, err);
  kd_value_clear(&meta);
  if (rc != KD_OK) {
    chart_free(c);
    return NULL;
  }
  return c;
}

void chart_free(chart *c)
{
  if (!c) return;
  for (size_t i = 0; i < c->nsubs; i++) chart_free(c->subs[i]);
  free(c->subs);
  for (size_t i = 0; i < c->ndeps; i++) {
    chart_dep *d = &c->deps[i];
    free(d->name); free(d->version); free(d->repository);
    free(d->condition); free(d->alias);
    tpl_unref(d->tags);
    tpl_unref(d->import_values);
  }
  free(c->deps);
  free(c->name); free(c->version); free(c->api_version);
  free(c->type); free(c->kube_version);
  tpl_unref(c->meta);
  tpl_unref(c->values);
  free(c->tmpl);
  free(c->files);
  chart_files_free(c->raw, c->nraw);
  free(c);
}

const char *chart_name(const chart *c) { return c->name; }
const char *chart_version(const chart *c) { return c->version; }
tpl_val chart_default_values(const chart *c) { return c->values; }
