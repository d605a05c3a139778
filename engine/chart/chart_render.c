/* engine/chart/chart_render.c: `helm template` for a loaded chart: checks
 * (installable, dependencies present, kubeVersion), dependency processing,
 * coalescing, schema validation, the render data of every chart
 * (.Values .Release .Chart .Files .Capabilities .Template .Subcharts),
 * parsing all templates into one set, executing them, NOTES and CRDs. */
#include "chart_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


typedef struct {
  char *name;       /* CHART/templates/x.yaml */
  char *base;       /* CHART/templates */
  const chart_file *f;
  tpl_val vals;     /* the chart's render data (shared by its templates) */
} job;

typedef struct {
  job *j;
  size_t n, cap;
  tpl_val release, caps;
} jobs;

static int set_cstr(tpl_val m, const char *k, const char *s)
{
  tpl_val v;
  return tpl_str_cstr(&v, s) ? KD_ENOMEM : tpl_map_sets(m, k, v);
}

/* .Chart: Helm 4's MetadataAsMap plus IsRoot. */
static int chart_map(const node *n, tpl_val *out)
{
  tpl_val m, deps;
  if (tpl_map_new(&m)) return KD_ENOMEM;
  const tpl_val meta = n->src->meta;
  for (size_t i = 0; i < tpl_map_len(meta); i++) {
    size_t kl;
    const char *k = tpl_map_key_at(meta, i, &kl);
    if (tpl_map_set(m, k, kl, tpl_ref(tpl_map_val_at(meta, i)))) goto nomem;
  }
  if (set_cstr(m, "Name", n->name) ||
      tpl_map_sets(m, "IsRoot", tpl_bool(n->parent == NULL)) ||
      tpl_list_new(&deps, n->ndeps))
    goto nomem;
  for (size_t i = 0; i < n->ndeps; i++) {
    const node_dep *d = &n->deps[i];
    tpl_val dm, iv;
    if (tpl_map_new(&dm)) { tpl_unref(deps); goto nomem; }
    if (d->import_values.kind == TPL_LIST) iv = tpl_ref(d->import_values);
    else if (tpl_list_new(&iv, 0)) { tpl_unref(dm); tpl_unref(deps); goto nomem; }
    if (set_cstr(dm, "Alias", d->src->alias) ||
        set_cstr(dm, "Condition", d->src->condition) ||
        tpl_map_sets(dm, "Enabled", tpl_bool(d->enabled)) ||
        tpl_map_sets(dm, "ImportValues", iv) || set_cstr(dm, "Name", d->name) ||
        set_cstr(dm, "Repository", d->src->repository) ||
        tpl_map_sets(dm, "Tags", tpl_ref(d->src->tags)) ||
        set_cstr(dm, "Version", d->src->version) || tpl_list_push(deps, dm)) {
      tpl_unref(deps);
      goto nomem;
    }
  }
  if (tpl_map_sets(m, "Dependencies", deps)) goto nomem;
  *out = m;
  return KD_OK;
nomem:
  tpl_unref(m);
  return KD_ENOMEM;
}

static int is_library(const chart *c) { return strcmp(c->type, "library") == 0; }

static int add_job(jobs *js, const char *name, const char *base,
                   const chart_file *f, tpl_val vals)
{
  if (js->n == js->cap) {
    size_t nc = js->cap ? js->cap * 2 : 32;
    job *nj = realloc(js->j, nc * sizeof *nj);
    if (!nj) return KD_ENOMEM;
    js->j = nj;
    js->cap = nc;
  }
  job *j = &js->j[js->n];
  j->name = kd_strndup(name, strlen(name));
  j->base = kd_strndup(base, strlen(base));
  j->f = f;
  j->vals = tpl_ref(vals);
  if (!j->name || !j->base) { free(j->name); free(j->base); tpl_unref(j->vals); return KD_ENOMEM; }
  js->n++;
  return KD_OK;
}

/* recAllTpls: the render data of N (its "next" map) and its templates. */
static int collect(const node *n, tpl_val parent, jobs *js, tpl_val *out)
{
  tpl_val next, subs, cm, files, vals;
  if (tpl_map_new(&next)) return KD_ENOMEM;
  if (tpl_map_new(&subs) || tpl_map_sets(next, "Subcharts", subs) ||
      chart_map(n, &cm) || tpl_map_sets(next, "Chart", cm) ||
      chart_files_obj(n->src->files, n->src->nfiles, &files) ||
      tpl_map_sets(next, "Files", files) ||
      tpl_map_sets(next, "Release", tpl_ref(js->release)) ||
      tpl_map_sets(next, "Capabilities", tpl_ref(js->caps)))
    goto nomem;
  const tpl_val *pv = tpl_map_gets(parent, "Values");
  if (!n->parent) {
    vals = pv ? tpl_ref(*pv) : tpl_nil();
  } else {
    const tpl_val *t = pv ? tpl_map_gets(*pv, n->name) : NULL;
    if (t && t->kind == TPL_MAP) vals = tpl_ref(*t);
    else if (tpl_map_new(&vals)) goto nomem;
  }
  if (vals.kind == TPL_MAP) vals.sub = TPL_MAPV_VALUES;   /* common.Values */
  if (tpl_map_sets(next, "Values", vals)) goto nomem;
  for (size_t i = 0; i < n->nsubs; i++) {
    tpl_val sv;
    if (collect(n->subs[i], next, js, &sv)) goto nomem;
    if (tpl_map_sets(subs, n->subs[i]->name, sv)) goto nomem;
  }
  char *path = chart_node_path(n);
  if (!path) goto nomem;
  kd_buf name = {0}, base = {0};
  kd_buf_printf(&base, "%s/templates", path);
  for (size_t i = 0; i < n->src->ntmpl; i++) {
    const chart_file *f = n->src->tmpl[i];
    const char *bn = strrchr(f->name, '/');
    bn = bn ? bn + 1 : f->name;
    if (is_library(n->src) && bn[0] != '_') continue;
    name.len = 0;
    kd_buf_printf(&name, "%s/%s", path, f->name);
    if (add_job(js, name.data, base.data, f, next)) {
      free(path);
      kd_buf_free(&name);
      kd_buf_free(&base);
      goto nomem;
    }
  }
  free(path);
  kd_buf_free(&name);
  kd_buf_free(&base);
  *out = next;
  return KD_OK;
nomem:
  tpl_unref(next);
  return KD_ENOMEM;
}

/* sortTemplates: deeper paths first, then by name, descending. */
static int cmp_job(const void *a, const void *b)
{
  const char *x = ((const job *)a)->name, *y = ((const job *)b)->name;
  size_t cx = 0, cy = 0;
  for (const char *p = x; *p; p++) cx += *p == '/';
  for (const char *p = y; *p; p++) cy += *p == '/';
  if (cx != cy) return cx > cy ? -1 : 1;
  return -strcmp(x, y);
}

/* A parse or execution error of SET in Helm's wording, whole in FULL. */
static int template_error(tpl_set *set, int parse, kd_error *err,
                          kd_buf *full)
{
  int code = err->code ? err->code : KD_EEXEC;
  const char *m = tpl_set_error(set);
  kd_buf b = {0};
  if (!m || !m[0]) m = err->msg;
  int rc = parse ? chart_helm_parse_error(m, &b) : chart_helm_exec_error(m, &b);
  if (rc == KD_OK && b.data) chart_fail_text(err, full, code, b.data, b.len);
  kd_buf_free(&b);
  return code;
}

static int replace_no_value(kd_buf *b)
{
  static const char nv[] = "<no value>";
  char *w = b->data, *r = b->data, *end = b->data + b->len;
  if (!r) return KD_OK;
  while (r < end) {
    if (*r == '<' && (size_t)(end - r) >= 10 && memcmp(r, nv, 10) == 0) { r += 10; continue; }
    *w++ = *r++;
  }
  b->len = (size_t)(w - b->data);
  *w = 0;
  return KD_OK;
}

static int has_manifest_ext(const char *n)
{
  size_t l = strlen(n);
  return (l > 5 && !strcmp(n + l - 5, ".yaml")) || (l > 4 && !strcmp(n + l - 4, ".yml")) ||
         (l > 5 && !strcmp(n + l - 5, ".json"));
}

/* CRDObjects: crds/ of the chart, then of its dependencies. */
static int collect_crds(const node *n, chart_result *r)
{
  char *path = chart_node_path(n);
  if (!path) return KD_ENOMEM;
  int rc = KD_OK;
  for (size_t i = 0; rc == KD_OK && i < n->src->nfiles; i++) {
    const chart_file *f = n->src->files[i];
    if (strncmp(f->name, "crds/", 5) != 0 || !has_manifest_ext(f->name)) continue;
    chart_manifest *nc = realloc(r->crds, (r->n_crds + 1) * sizeof *nc);
    if (!nc) { rc = KD_ENOMEM; break; }
    r->crds = nc;
    chart_manifest *m = &nc[r->n_crds++];
    memset(m, 0, sizeof *m);
    kd_buf s = {0};
    kd_buf_printf(&s, "%s/%s", path, f->name);
    m->kind = CHART_CRD;
    m->source = kd_buf_take(&s, NULL);
    m->content = kd_strndup(f->data, f->len);
    m->len = f->len;
    m->api_version = kd_strndup("apiextensions.k8s.io/v1", 23);
    m->obj_kind = kd_strndup("CustomResourceDefinition", 24);
    m->name = kd_strndup("", 0);
    m->namespace = kd_strndup("", 0);
    if (!m->source || !m->content || !m->api_version || !m->obj_kind ||
        !m->name || !m->namespace)
      rc = KD_ENOMEM;
  }
  free(path);
  for (size_t i = 0; rc == KD_OK && i < n->nsubs; i++) rc = collect_crds(n->subs[i], r);
  return rc;
}

static int preflight(const chart *c, kd_error *err)
{
  if (c->type[0] && strcmp(c->type, "application") != 0)
    return kd_error_set(err, KD_EINVAL, "%s charts are not installable", c->type);
  kd_buf missing = {0};
  for (size_t i = 0; i < c->ndeps; i++) {
    int found = 0;
    for (size_t k = 0; k < c->nsubs && !found; k++)
      found = strcmp(c->subs[k]->name, c->deps[i].name) == 0;
    if (!found) kd_buf_printf(&missing, "%s%s", missing.len ? ", " : "", c->deps[i].name);
  }
  if (missing.len) {
    int rc = kd_error_set(err, KD_ENOTFOUND, "found in Chart.yaml, but missing "
                          "in charts/ directory: %s (dependencies must be "
                          "present in the chart's charts/ folder; kdeploy does "
                          "not download them)", missing.data);
    kd_buf_free(&missing);
    return rc;
  }
  return KD_OK;
}

static int release_map(const chart_render_opts *o, tpl_val *out)
{
  tpl_val m;
  if (tpl_map_new(&m)) return KD_ENOMEM;
  if (tpl_map_sets(m, "IsInstall", tpl_bool(!o->is_upgrade)) ||
      tpl_map_sets(m, "IsUpgrade", tpl_bool(o->is_upgrade)) ||
      set_cstr(m, "Name", o->release ? o->release : "release-name") ||
      set_cstr(m, "Namespace", o->namespace ? o->namespace : "default") ||
      tpl_map_sets(m, "Revision", tpl_int(o->revision ? o->revision : 1)) ||
      set_cstr(m, "Service", "Helm")) {
    tpl_unref(m);
    return KD_ENOMEM;
  }
  *out = m;
  return KD_OK;
}

static int run_templates(jobs *js, const char *top_name,
                         const chart_render_opts *o, chart_result *r,
                         kd_error *err, kd_buf *full)
{
  tpl_options opt;
  memset(&opt, 0, sizeof opt);
  if (o->tpl) opt = *o->tpl;
  if (!opt.funcs) opt.funcs = tpl_fn_library;
  if (!opt.methods) opt.methods = chart_methods;
  tpl_set *set = tpl_set_new(&opt, err);
  if (!set) return err->code;
  if (js->n > 1) qsort(js->j, js->n, sizeof *js->j, cmp_job);
  int rc = KD_OK;
  for (size_t i = 0; rc == KD_OK && i < js->n; i++) {
    rc = tpl_set_parse(set, js->j[i].name, js->j[i].f->data, js->j[i].f->len, err);
    if (rc) rc = template_error(set, 1, err, full);
  }
  chart_rendered *out = calloc(js->n + 1, sizeof *out);
  size_t nout = 0;
  if (!out && rc == KD_OK) rc = kd_error_set(err, KD_ENOMEM, "out of memory");
  kd_buf notes = {0}, b = {0}, top_notes = {0};
  kd_buf_printf(&top_notes, "%s/templates/NOTES.txt", top_name);
  for (size_t i = 0; rc == KD_OK && i < js->n; i++) {
    job *j = &js->j[i];
    const char *bn = strrchr(j->name, '/');
    if (bn[1] == '_') continue;
    tpl_val t, s;
    if (tpl_map_new(&t) || tpl_str_cstr(&s, j->name) || tpl_map_sets(t, "Name", s) ||
        tpl_str_cstr(&s, j->base) || tpl_map_sets(t, "BasePath", s) ||
        (t.sub = TPL_MAPV_VALUES, tpl_map_sets(j->vals, "Template", t))) {
      rc = kd_error_set(err, KD_ENOMEM, "out of memory");
      break;
    }
    b.len = 0;
    tpl_val dot = j->vals;   /* Helm executes with the data as common.Values */
    dot.sub = TPL_MAPV_VALUES;
    rc = tpl_set_exec(set, j->name, dot, &b, err);
    if (rc) { rc = template_error(set, 0, err, full); break; }
    replace_no_value(&b);
    size_t nl = strlen(j->name);
    if (nl >= 9 && strcmp(j->name + nl - 9, "NOTES.txt") == 0) {
      if (strcmp(j->name, top_notes.data) == 0)
        kd_buf_add(&notes, b.data ? b.data : "", b.len);
      continue;
    }
    out[nout].name = kd_strndup(j->name, nl);
    out[nout].len = b.len;
    out[nout].text = kd_buf_take(&b, NULL);
    if (!out[nout].name || !out[nout].text) rc = kd_error_set(err, KD_ENOMEM, "out of memory");
    nout++;
  }
  tpl_set_free(set);   /* before sorting: the sort's decoding is the peak */
  set = NULL;
  if (rc == KD_OK) rc = chart_sort_manifests(out, nout, r, err);
  if (rc == KD_OK && notes.len) r->notes = kd_buf_take(&notes, NULL);
  for (size_t i = 0; i < nout; i++) { free(out[i].name); free(out[i].text); }
  free(out);
  kd_buf_free(&b);
  kd_buf_free(&notes);
  kd_buf_free(&top_notes);
  tpl_set_free(set);
  return rc;
}

static int render(const chart *c, tpl_val values, const chart_render_opts *o,
                  chart_result **out, kd_error *err)
{
  int rc = preflight(c, err);
  if (rc) return rc;
  node *top = chart_node_new(c, NULL, err);
  if (!top) return err->code;
  jobs js = {0};
  js.release = js.caps = tpl_nil();
  tpl_val vals = tpl_nil(), topmap = tpl_nil(), next = tpl_nil();
  chart_result *r = calloc(1, sizeof *r);
  if (!r) { rc = kd_error_set(err, KD_ENOMEM, "out of memory"); goto done; }
  if ((rc = chart_process_deps(top, values, err))) goto done;
  if ((rc = chart_caps_obj(o, &js.caps, err))) goto done;
  /* as Helm: checked against String(), reported with Version */
  if (c->kube_version[0] &&
      chart_semver_check(c->kube_version, chart_caps_kube_version(js.caps, 1)) != 1) {
    rc = kd_error_set(err, KD_EINVAL, "chart requires kubeVersion: %s which is "
                      "incompatible with Kubernetes %s", c->kube_version,
                      chart_caps_kube_version(js.caps, 0));
    goto done;
  }
  if ((rc = chart_coalesce_values(top, values, 0, &vals, err))) goto done;
  if (!o->skip_schema &&
      (rc = chart_schema_validate(top, vals, err, o->error_text)))
    goto done;
  if (release_map(o, &js.release) || tpl_map_new(&topmap) ||
      tpl_map_sets(topmap, "Values", tpl_ref(vals))) {
    rc = kd_error_set(err, KD_ENOMEM, "out of memory");
    goto done;
  }
  if (collect(top, topmap, &js, &next)) {
    rc = kd_error_set(err, KD_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = run_templates(&js, top->name, o, r, err, o->error_text))) goto done;
  if (collect_crds(top, r)) rc = kd_error_set(err, KD_ENOMEM, "out of memory");
done:
  for (size_t i = 0; i < js.n; i++) {
    free(js.j[i].name);
    free(js.j[i].base);
    /* break the Subcharts/Template cycles-free graph: plain unref */
    tpl_unref(js.j[i].vals);
  }
  free(js.j);
  tpl_unref(next);
  tpl_unref(topmap);
  tpl_unref(vals);
  tpl_unref(js.release);
  tpl_unref(js.caps);
  chart_node_free(top);
  if (rc) { chart_result_free(r); return rc; }
  *out = r;
  return KD_OK;
}

int chart_render(const chart *c, tpl_val values, const chart_render_opts *o,
                 chart_result **out, kd_error *err)
{
  static const chart_render_opts defaults = {0};
  if (!o) o = &defaults;
  *out = NULL;
  if (o->error_text) {
    o->error_text->len = 0;
    if (o->error_text->data) o->error_text->data[0] = 0;
  }
  int rc = render(c, values, o, out, err);
  if (rc && o->error_text && o->error_text->len == 0)
    kd_buf_adds(o->error_text, err->msg);
  return rc;
}
