/* engine/chart/chart_manifest.c: from rendered template texts to what
 * `helm template` prints: Helm's SplitManifests, SortManifests (install
 * order by kind, hooks apart), the printed stream, --show-only and
 * kdeploy's checks of the documents. */
#define _GNU_SOURCE
#include "chart_int.h"
#include "yaml.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const install_order[] = {
  "PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota",
  "LimitRange", "PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount",
  "Secret", "SecretList", "ConfigMap", "StorageClass", "PersistentVolume",
  "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole",
  "ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role",
  "RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod",
  "ReplicationController", "ReplicaSet", "Deployment",
  "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass",
  "Ingress", "APIService", "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
};

static const char *const hook_events[] = {
  "pre-install", "post-install", "pre-delete", "post-delete", "pre-upgrade",
  "post-upgrade", "pre-rollback", "post-rollback", "test", "test-success",
};

static int is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

static void trim(const char **s, size_t *n)
{
  while (*n && is_space(**s)) { (*s)++; (*n)--; }
  while (*n && is_space((*s)[*n - 1])) (*n)--;
}

int chart_split_docs(const char *text, size_t len, chart_span **out,
                     size_t *n)
{
  const char *s = text;
  trim(&s, &len);
  size_t cap = 8, cnt = 0, beg = 0, pos = 0, prev_end = 0;
  chart_span *d = malloc(cap * sizeof *d);
  if (!d) return KD_ENOMEM;
  /* Go: regexp (?:^|\s*\n)---\s* ; a separator is "---" at the start or
   * right after an unconsumed newline, with the whitespace before it. */
  while (pos + 3 <= len) {
    const char *hit = memmem(s + pos, len - pos, "---", 3);
    if (!hit) break;
    size_t k = (size_t)(hit - s);
    size_t mstart;
    if (k == 0 && prev_end == 0) {
      mstart = 0;
    } else if (k > prev_end && s[k - 1] == '\n') {
      mstart = k - 1;
      while (mstart > prev_end && is_space(s[mstart - 1])) mstart--;
    } else {
      pos = k + 1;
      continue;
    }
    size_t mend = k + 3;
    while (mend < len && is_space(s[mend])) mend++;
    if (mstart > beg || (mstart == beg && mend != 0)) {
      if (mstart > beg) {
        if (cnt == cap) {
          chart_span *nd = realloc(d, (cap *= 2) * sizeof *nd);
          if (!nd) { free(d); return KD_ENOMEM; }
          d = nd;
        }
        d[cnt].p = s + beg;
        d[cnt].n = mstart - beg;
        cnt++;
      }
    }
    beg = prev_end = pos = mend;
    if (mend == k + 3 && mend >= len) break;
  }
  if (beg < len) {
    if (cnt == cap) {
      chart_span *nd = realloc(d, (cap + 1) * sizeof *nd);
      if (!nd) { free(d); return KD_ENOMEM; }
      d = nd;
    }
    d[cnt].p = s + beg;
    d[cnt].n = len - beg;
    cnt++;
  }
  for (size_t i = 0; i < cnt; i++) trim(&d[i].p, &d[i].n);
  *out = d;
  *n = cnt;
  return KD_OK;
}

static int kind_rank(const char *kind)
{
  for (size_t i = 0; i < sizeof install_order / sizeof *install_order; i++)
    if (strcmp(install_order[i], kind) == 0) return (int)i;
  return -1;
}

/* lessByKind: known kinds in install order, unknown ones after, sorted by
 * kind name; ties keep their order (the sort is stable). */
static int less_by_kind(const chart_manifest *a, const chart_manifest *b)
{
  int ra = kind_rank(a->obj_kind), rb = kind_rank(b->obj_kind);
  if (ra < 0 && rb < 0) return strcmp(a->obj_kind, b->obj_kind) < 0;
  if (ra < 0) return 0;
  if (rb < 0) return 1;
  return ra < rb;
}

static void stable_sort(chart_manifest *m, size_t n)
{
  for (size_t i = 1; i < n; i++) {   /* insertion sort: stable */
    chart_manifest x = m[i];
    size_t j = i;
    while (j > 0 && less_by_kind(&x, &m[j - 1])) { m[j] = m[j - 1]; j--; }
    m[j] = x;
  }
}

static char *dup_field(const kd_value *v)
{
  if (v && v->type == KD_STR) return kd_strndup(v->u.str.s, v->u.str.len);
  return kd_strndup("", 0);
}

static int push(chart_manifest **arr, size_t *n, chart_manifest *m)
{
  chart_manifest *na = realloc(*arr, (*n + 1) * sizeof *na);
  if (!na) return KD_ENOMEM;
  na[(*n)++] = *m;
  *arr = na;
  return KD_OK;
}

void chart_manifest_clear(chart_manifest *m)
{
  free(m->source); free(m->content); free(m->api_version);
  free(m->obj_kind); free(m->name); free(m->namespace); free(m->hook_events);
  memset(m, 0, sizeof *m);
}

static int line_of(const char *base, const char *p)
{
  int line = 1;
  for (; base < p; base++) line += *base == '\n';
  return line;
}

/* One document: its head (apiVersion, kind, metadata) and hook status. */
static int add_doc(chart_result *r, const char *source, const char *file,
                   chart_span d, kd_error *err)
{
  kd_value v;
  kd_error ye = {0};
  if (yaml_decode(d.p, d.n, source, &v, &ye) != KD_OK) {
    int line = line_of(file, d.p) + (ye.line > 0 ? ye.line - 1 : 0);
    const char *msg = ye.msg;
    size_t sl = strlen(source);
    if (ye.line > 0 && strncmp(msg, source, sl) == 0 && msg[sl] == ':') {
      const char *q = strstr(msg + sl, ": ");   /* drop "SOURCE:L:C: " */
      if (q) msg = q + 2;
    }
    int rc = kd_error_set(err, KD_EPARSE, "YAML parse error on %s:%d:%d: %s",
                          source, line, ye.col, msg);
    err->line = line;
    err->col = ye.col;
    return rc;
  }
  if (v.type != KD_NULL && v.type != KD_OBJ) {
    kd_value_clear(&v);
    return kd_error_at(err, KD_EPARSE, source, line_of(file, d.p), 0,
                       "YAML parse error: error unmarshaling JSON: json: "
                       "cannot unmarshal %s into Go value of type "
                       "releaseutil.SimpleHead", kd_type_name(v.type));
  }
  chart_manifest m = {0};
  m.kind = CHART_MANIFEST;
  m.source = kd_strndup(source, strlen(source));
  m.content = kd_strndup(d.p, d.n);
  m.len = d.n;
  const kd_value *meta = v.type == KD_OBJ ? kd_obj_gets(&v, "metadata") : NULL;
  const kd_value *ann = meta && meta->type == KD_OBJ ? kd_obj_gets(meta, "annotations") : NULL;
  m.api_version = dup_field(v.type == KD_OBJ ? kd_obj_gets(&v, "apiVersion") : NULL);
  m.obj_kind = dup_field(v.type == KD_OBJ ? kd_obj_gets(&v, "kind") : NULL);
  m.name = dup_field(meta && meta->type == KD_OBJ ? kd_obj_gets(meta, "name") : NULL);
  m.namespace = dup_field(meta && meta->type == KD_OBJ ? kd_obj_gets(meta, "namespace") : NULL);
  int rc = m.source && m.content && m.api_version && m.obj_kind && m.name &&
           m.namespace ? KD_OK : KD_ENOMEM;
  const kd_value *hook = ann && ann->type == KD_OBJ ? kd_obj_gets(ann, "helm.sh/hook") : NULL;
  if (rc == KD_OK && hook) {
    if (hook->type != KD_STR) {
      kd_value_clear(&v);
      chart_manifest_clear(&m);
      return kd_error_at(err, KD_EPARSE, source, line_of(file, d.p), 0,
                         "YAML parse error: json: cannot unmarshal %s into "
                         "Go struct field .metadata.annotations of type "
                         "string", kd_type_name(hook->type));
    }
    m.kind = CHART_HOOK;
    m.hook_events = kd_strndup(hook->u.str.s, hook->u.str.len);
    const kd_value *w = kd_obj_gets(ann, "helm.sh/hook-weight");
    if (w && w->type == KD_STR) m.weight = atoi(w->u.str.s);
    /* every event must be known, else Helm skips the document */
    const char *s = hook->u.str.s;
    int unknown = 0;
    while (!unknown) {
      const char *comma = strchr(s, ',');
      size_t n = comma ? (size_t)(comma - s) : strlen(s);
      const char *e = s;
      trim(&e, &n);
      int known = 0;
      for (size_t i = 0; i < sizeof hook_events / sizeof *hook_events; i++)
        if (strlen(hook_events[i]) == n && strncasecmp(hook_events[i], e, n) == 0) {
          known = 1;
          if (i >= 8) m.is_test = 1;
        }
      unknown = !known;
      if (!comma) break;
      s = comma + 1;
    }
    if (unknown) {
      kd_value_clear(&v);
      chart_manifest_clear(&m);
      return KD_OK;
    }
  }
  kd_value_clear(&v);
  if (rc == KD_OK)
    rc = m.kind == CHART_HOOK ? push(&r->hooks, &r->n_hooks, &m)
                              : push(&r->manifests, &r->n_manifests, &m);
  if (rc != KD_OK) {
    chart_manifest_clear(&m);
    return kd_error_set(err, KD_ENOMEM, "out of memory");
  }
  return KD_OK;
}

static int cmp_rendered(const void *a, const void *b)
{
  return strcmp(((const chart_rendered *)a)->name,
                ((const chart_rendered *)b)->name);
}

int chart_sort_manifests(chart_rendered *files, size_t n, chart_result *r,
                         kd_error *err)
{
  qsort(files, n, sizeof *files, cmp_rendered);
  for (size_t i = 0; i < n; i++) {
    const char *base = strrchr(files[i].name, '/');
    base = base ? base + 1 : files[i].name;
    if (base[0] == '_') continue;
    const char *t = files[i].text;
    size_t tl = files[i].len;
    trim(&t, &tl);
    if (tl == 0) continue;
    chart_span *docs;
    size_t nd;
    if (chart_split_docs(files[i].text, files[i].len, &docs, &nd))
      return kd_error_set(err, KD_ENOMEM, "out of memory");
    int rc = KD_OK;
    for (size_t k = 0; rc == KD_OK && k < nd; k++)
      rc = add_doc(r, files[i].name, files[i].text, docs[k], err);
    free(docs);
    if (rc) return rc;
    free(files[i].text);   /* copied into the documents: keep the peak low */
    files[i].text = NULL;
    files[i].len = 0;
  }
  stable_sort(r->manifests, r->n_manifests);
  stable_sort(r->hooks, r->n_hooks);
  return KD_OK;
}

void chart_result_free(chart_result *r)
{
  if (!r) return;
  for (size_t i = 0; i < r->n_crds; i++) chart_manifest_clear(&r->crds[i]);
  for (size_t i = 0; i < r->n_manifests; i++) chart_manifest_clear(&r->manifests[i]);
  for (size_t i = 0; i < r->n_hooks; i++) chart_manifest_clear(&r->hooks[i]);
  free(r->crds);
  free(r->manifests);
  free(r->hooks);
  free(r->notes);
  free(r);
}

/* ---- printing ------------------------------------------------------------ */

int chart_doc_text(kd_buf *b, const chart_manifest *m)
{
  return kd_buf_printf(b, "---\n# Source: %s\n", m->source) ||
         kd_buf_add(b, m->content, m->len) || kd_buf_addc(b, '\n')
         ? KD_ENOMEM : KD_OK;
}

/* The stream `helm template` prints before --show-only filtering: the
 * manifests (crds first) as one trimmed block, then the hooks. Written
 * straight into OUT, sized first: a render's text is its largest buffer. */
static int full_stream(const chart_result *r, const chart_print_opts *p,
                       kd_buf *out)
{
  const chart_manifest *lists[3] = {r->crds, r->manifests, r->hooks};
  size_t counts[3] = {p->include_crds ? r->n_crds : 0, r->n_manifests,
                      p->no_hooks ? 0 : r->n_hooks};
  size_t total = 1;
  for (int l = 0; l < 3; l++)
    for (size_t i = 0; i < counts[l]; i++)
      total += lists[l][i].len + strlen(lists[l][i].source) + 16;
  if (kd_buf_reserve(out, total)) return KD_ENOMEM;
  size_t start = out->len;
  int rc = KD_OK;
  for (int l = 0; l < 2; l++)
    for (size_t i = 0; rc == KD_OK && i < counts[l]; i++)
      rc = chart_doc_text(out, &lists[l][i]);
  if (rc) return rc;
  /* strings.TrimSpace of the manifests (they start with "---") */
  while (out->len > start && is_space(out->data[out->len - 1])) out->len--;
  if (kd_buf_addc(out, '\n')) return KD_ENOMEM;
  for (size_t i = 0; rc == KD_OK && i < counts[2]; i++) {
    if (p->skip_tests && r->hooks[i].is_test) continue;
    rc = chart_doc_text(out, &r->hooks[i]);
  }
  return rc;
}

int chart_result_print(const chart_result *r, const chart_print_opts *p,
                       kd_buf *out, kd_error *err)
{
  static const chart_print_opts none = {0};
  if (!p) p = &none;
  if (p->n_show_only == 0) {
    if (full_stream(r, p, out)) return kd_error_set(err, KD_ENOMEM, "out of memory");
    return KD_OK;
  }
  kd_buf all = {0};
  chart_span *docs = NULL;
  size_t nd = 0;
  int rc = full_stream(r, p, &all);
  if (rc == KD_OK) rc = chart_split_docs(all.data, all.len, &docs, &nd);
  if (rc) { kd_buf_free(&all); return kd_error_set(err, KD_ENOMEM, "out of memory"); }
  kd_buf name = {0};
  for (size_t f = 0; rc == KD_OK && f < p->n_show_only; f++) {
    int missing = 1;
    for (size_t i = 0; rc == KD_OK && i < nd; i++) {
      /* "# Source: [^/]+/(.+)": the path after the chart name */
      const char *s = memmem(docs[i].p, docs[i].n, "# Source: ", 10);
      if (!s) continue;
      const char *e = docs[i].p + docs[i].n, *q = s + 10, *slash = q;
      while (slash < e && *slash != '/' && *slash != '\n') slash++;
      if (slash >= e || *slash != '/' || slash == q) continue;
      const char *ne = slash + 1;
      while (ne < e && *ne != '\n') ne++;
      if (ne == slash + 1) continue;
      name.len = 0;
      kd_buf_add(&name, slash + 1, (size_t)(ne - slash - 1));
      kd_buf_addc(&name, 0);
      if (chart_path_match(p->show_only[f], name.data) != 1) continue;
      missing = 0;
      rc = kd_buf_adds(out, "---\n") || kd_buf_add(out, docs[i].p, docs[i].n) ||
           kd_buf_addc(out, '\n') ? KD_ENOMEM : KD_OK;
    }
    if (missing && rc == KD_OK)
      rc = kd_error_set(err, KD_ENOTFOUND, "could not find template %s in chart",
                        p->show_only[f]);
  }
  kd_buf_free(&name);
  free(docs);
  kd_buf_free(&all);
  return rc;
}

/* ---- checks -------------------------------------------------------------- */

static int check_one(const chart_manifest *m, kd_error *err)
{
  if (!m->obj_kind[0] && !m->api_version[0] && !m->name[0]) {
    /* a comment-only document decodes to null: Helm prints it, fine */
    kd_value v;
    kd_error e = {0};
    int empty = yaml_decode(m->content, m->len, m->source, &v, &e) == KD_OK &&
                v.type == KD_NULL;
    kd_value_clear(&v);
    if (empty) return KD_OK;
  }
  const char *what = !m->api_version[0] ? "apiVersion" : !m->obj_kind[0] ? "kind"
                     : !m->name[0] ? "metadata.name" : NULL;
  if (what)
    return kd_error_set(err, KD_EPARSE, "%s: a document has no %s%s%s%s",
                        m->source, what, m->obj_kind[0] ? " (kind " : "",
                        m->obj_kind[0] ? m->obj_kind : "",
                        m->obj_kind[0] ? ")" : "");
  return KD_OK;
}

static size_t group_len(const char *api)
{
  const char *s = strchr(api, '/');
  return s ? (size_t)(s - api) : 0;
}

int chart_result_check(const chart_result *r, const char *ns, kd_error *err)
{
  const chart_manifest *all[3] = {r->crds, r->manifests, r->hooks};
  size_t cnt[3] = {r->n_crds, r->n_manifests, r->n_hooks};
  for (int a = 1; a < 3; a++)   /* crds/ files are applied as they are */
    for (size_t i = 0; i < cnt[a]; i++) {
      int rc = check_one(&all[a][i], err);
      if (rc) return rc;
    }
  /* duplicates among what is applied (hooks are separate objects in time) */
  for (int a = 1; a < 2; a++)
    for (size_t i = 0; i < cnt[a]; i++) {
      const chart_manifest *x = &all[a][i];
      if (!x->name[0]) continue;
      for (int b = a; b < 2; b++)
        for (size_t j = (b == a ? i + 1 : 0); j < cnt[b]; j++) {
          const chart_manifest *y = &all[b][j];
          const char *nx = x->namespace[0] ? x->namespace : ns;
          const char *ny = y->namespace[0] ? y->namespace : ns;
          size_t gx = group_len(x->api_version), gy = group_len(y->api_version);
          if (gx == gy && strncmp(x->api_version, y->api_version, gx) == 0 &&
              strcmp(x->obj_kind, y->obj_kind) == 0 &&
              strcmp(x->name, y->name) == 0 && strcmp(nx ? nx : "", ny ? ny : "") == 0)
            return kd_error_set(err, KD_EPARSE, "%s: %s \"%s\" in namespace "
                                "\"%s\" is also defined in %s", y->source,
                                y->obj_kind, y->name, ny ? ny : "", x->source);
        }
    }
  return KD_OK;
}
