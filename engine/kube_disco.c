/* engine/kube_disco.c: discovery documents into a REST mapping table, and
 * the on-disk discovery cache. */
#include "json.h"
#include "kube_disco.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

typedef struct pref { char *group, *version; } pref;

struct kube_disco {
  kube_resource *r;
  size_t n, cap;
  pref *prefs;                /* preferred version per group (legacy lists) */
  size_t nprefs;
  kd_value docs;              /* every document added, for the cache */
};

static char *dupn(const char *s, size_t n) { return kd_strndup(s, n); }
static char *dupstr(const char *s) { return s ? dupn(s, strlen(s)) : NULL; }

static void res_clear(kube_resource *r)
{
  size_t i;
  free(r->group); free(r->version); free(r->kind); free(r->name); free(r->singular);
  for (i = 0; i < r->nverbs; i++) free(r->verbs[i]);
  for (i = 0; i < r->nshort; i++) free(r->short_names[i]);
  free(r->verbs);
  free(r->short_names);
}

kube_disco *kube_disco_new(kd_error *err)
{
  kube_disco *d = calloc(1, sizeof *d);
  if (!d) {
    kd_error_set(err, KD_ENOMEM, "out of memory");
    return NULL;
  }
  kd_value_arr(&d->docs);
  return d;
}

void kube_disco_free(kube_disco *d)
{
  size_t i;
  if (!d) return;
  for (i = 0; i < d->n; i++) res_clear(&d->r[i]);
  for (i = 0; i < d->nprefs; i++) {
    free(d->prefs[i].group);
    free(d->prefs[i].version);
  }
  free(d->prefs);
  free(d->r);
  kd_value_clear(&d->docs);
  free(d);
}

size_t kube_disco_count(const kube_disco *d) { return d->n; }
const kube_resource *kube_disco_at(const kube_disco *d, size_t i)
{
  return i < d->n ? &d->r[i] : NULL;
}

static const char *str(const kd_value *o, const char *key)
{
  const kd_value *v = o && o->type == KD_OBJ ? kd_obj_gets(o, key) : NULL;
  return v && v->type == KD_STR ? v->u.str.s : NULL;
}

static int strs(const kd_value *arr, char ***out, size_t *n)
{
  size_t i;
  *out = NULL;
  *n = 0;
  if (!arr || arr->type != KD_ARR || arr->u.arr.len == 0) return KD_OK;
  if (!(*out = calloc(arr->u.arr.len, sizeof **out))) return KD_ENOMEM;
  for (i = 0; i < arr->u.arr.len; i++) {
    const kd_value *v = &arr->u.arr.items[i];
    if (v->type != KD_STR) continue;
    if (!((*out)[*n] = dupn(v->u.str.s, v->u.str.len))) return KD_ENOMEM;
    (*n)++;
  }
  return KD_OK;
}

/* Drops what is known of GROUP/VERSION (a newer document replaces it). */
static void forget(kube_disco *d, const char *group, const char *version)
{
  size_t i, k = 0;
  for (i = 0; i < d->n; i++) {
    if (strcmp(d->r[i].group, group) == 0 && strcmp(d->r[i].version, version) == 0)
      res_clear(&d->r[i]);
    else
      d->r[k++] = d->r[i];
  }
  d->n = k;
}

static kube_resource *push(kube_disco *d)
{
  kube_resource *r;
  if (d->n == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 64;
    kube_resource *p = realloc(d->r, cap * sizeof *p);
    if (!p) return NULL;
    d->r = p;
    d->cap = cap;
  }
  r = &d->r[d->n++];
  memset(r, 0, sizeof *r);
  return r;
}

/* One resource entry; LEGACY: an APIResourceList item (name, kind,
 * namespaced) rather than an aggregated one (resource, responseKind,
 * scope). Subresources ("pods/log") are skipped. */
static int add_resource(kube_disco *d, const kd_value *it, const char *group,
                        const char *version, int preferred, int legacy)
{
  const char *name = str(it, legacy ? "name" : "resource");
  const char *kind = legacy ? str(it, "kind") : str(kd_obj_gets(it, "responseKind"), "kind");
  const kd_value *ns = kd_obj_gets(it, "namespaced");
  const char *scope = str(it, "scope");
  kube_resource *r;
  if (!name || !kind || strchr(name, '/')) return KD_OK;
  if (!(r = push(d))) return KD_ENOMEM;
  r->preferred = preferred;
  r->namespaced = legacy ? ns && ns->type == KD_BOOL && ns->u.b
                         : scope && strcmp(scope, "Namespaced") == 0;
  if (!(r->group = dupstr(group)) || !(r->version = dupstr(version)) ||
      !(r->kind = dupstr(kind)) || !(r->name = dupstr(name)) ||
      !(r->singular = dupstr(str(it, legacy ? "singularName" : "singularResource")
                             ? str(it, legacy ? "singularName" : "singularResource") : "")) ||
      strs(kd_obj_gets(it, "verbs"), &r->verbs, &r->nverbs) ||
      strs(kd_obj_gets(it, "shortNames"), &r->short_names, &r->nshort))
    return KD_ENOMEM;
  if (!r->singular[0]) {          /* old servers: the lowercased kind */
    char *p;
    free(r->singular);
    if (!(r->singular = dupstr(kind))) return KD_ENOMEM;
    for (p = r->singular; *p; p++) *p = (char)tolower((unsigned char)*p);
  }
  return KD_OK;
}

static int add_aggregated(kube_disco *d, const kd_value *doc, kd_error *err)
{
  const kd_value *items = kd_obj_gets(doc, "items");
  size_t i, j, k;
  if (!items || items->type != KD_ARR)
    return kd_error_set(err, KD_EPARSE, "discovery: APIGroupDiscoveryList without items");
  for (i = 0; i < items->u.arr.len; i++) {
    const kd_value *g = &items->u.arr.items[i], *vers = kd_obj_gets(g, "versions");
    const char *group = str(kd_obj_gets(g, "metadata"), "name");
    if (!group) group = "";
    for (j = 0; vers && vers->type == KD_ARR && j < vers->u.arr.len; j++) {
      const kd_value *v = &vers->u.arr.items[j], *res = kd_obj_gets(v, "resources");
      const char *version = str(v, "version");
      if (!version) continue;
      forget(d, group, version);
      for (k = 0; res && res->type == KD_ARR && k < res->u.arr.len; k++)
        if (add_resource(d, &res->u.arr.items[k], group, version, j == 0, 0))
          return kd_error_set(err, KD_ENOMEM, "out of memory");
    }
  }
  return KD_OK;
}

static int is_preferred(const kube_disco *d, const char *group, const char *version)
{
  size_t i;
  if (!group[0]) return strcmp(version, "v1") == 0;
  for (i = 0; i < d->nprefs; i++)
    if (strcmp(d->prefs[i].group, group) == 0)
      return strcmp(d->prefs[i].version, version) == 0;
  return 1;     /* no group list seen: every version counts */
}

static int add_resource_list(kube_disco *d, const kd_value *doc, kd_error *err)
{
  const char *gv = str(doc, "groupVersion"), *slash;
  const kd_value *res = kd_obj_gets(doc, "resources");
  char *group;
  const char *version;
  size_t k;
  int rc = KD_OK;
  if (!gv) return kd_error_set(err, KD_EPARSE, "discovery: APIResourceList without groupVersion");
  slash = strchr(gv, '/');
  group = slash ? dupn(gv, (size_t)(slash - gv)) : dupstr("");
  version = slash ? slash + 1 : gv;
  if (!group) return kd_error_set(err, KD_ENOMEM, "out of memory");
  forget(d, group, version);
  for (k = 0; !rc && res && res->type == KD_ARR && k < res->u.arr.len; k++)
    if (add_resource(d, &res->u.arr.items[k], group, version,
                     is_preferred(d, group, version), 1))
      rc = kd_error_set(err, KD_ENOMEM, "out of memory");
  free(group);
  return rc;
}

static int add_group_list(kube_disco *d, const kd_value *doc, kd_error *err)
{
  const kd_value *groups = kd_obj_gets(doc, "groups");
  size_t i, j;
  for (i = 0; groups && groups->type == KD_ARR && i < groups->u.arr.len; i++) {
    const kd_value *g = &groups->u.arr.items[i];
    const char *name = str(g, "name"), *ver = str(kd_obj_gets(g, "preferredVersion"), "version");
    pref *p;
    if (!name || !ver) continue;
    for (j = 0; j < d->nprefs; j++)
      if (strcmp(d->prefs[j].group, name) == 0) break;
    if (j == d->nprefs) {
      if (!(p = realloc(d->prefs, (d->nprefs + 1) * sizeof *p)))
        return kd_error_set(err, KD_ENOMEM, "out of memory");
      d->prefs = p;
      d->prefs[d->nprefs].group = NULL;
      d->prefs[d->nprefs++].version = NULL;
    }
    free(d->prefs[j].group);
    free(d->prefs[j].version);
    if (!(d->prefs[j].group = dupstr(name)) || !(d->prefs[j].version = dupstr(ver)))
      return kd_error_set(err, KD_ENOMEM, "out of memory");
    for (size_t k = 0; k < d->n; k++)       /* resource lists seen before */
      if (strcmp(d->r[k].group, name) == 0) d->r[k].preferred = strcmp(d->r[k].version, ver) == 0;
  }
  return KD_OK;
}

int kube_disco_add(kube_disco *d, const kd_value *doc, kd_error *err)
{
  const char *kind = str(doc, "kind");
  kd_value *copy;
  int rc;
  if (!kind) return kd_error_set(err, KD_EPARSE, "discovery: document has no kind");
  if (strcmp(kind, "APIGroupDiscoveryList") == 0) rc = add_aggregated(d, doc, err);
  else if (strcmp(kind, "APIResourceList") == 0) rc = add_resource_list(d, doc, err);
  else if (strcmp(kind, "APIGroupList") == 0) rc = add_group_list(d, doc, err);
  else if (strcmp(kind, "APIVersions") == 0) rc = KD_OK;   /* /api: nothing to map */
  else return kd_error_set(err, KD_EPARSE, "discovery: unexpected document kind %s", kind);
  if (rc) return rc;
  if (!(copy = kd_arr_push(&d->docs)) || kd_value_copy(copy, doc))
    return kd_error_set(err, KD_ENOMEM, "out of memory");
  return KD_OK;
}

/* ---- lookups --------------------------------------------------------------- */

const kube_resource *kube_disco_find(const kube_disco *d, const char *api_version,
                                     const char *kind)
{
  const char *slash = strchr(api_version, '/');
  size_t glen = slash ? (size_t)(slash - api_version) : 0;
  const char *version = slash ? slash + 1 : api_version;
  size_t i;
  for (i = 0; i < d->n; i++) {
    const kube_resource *r = &d->r[i];
    if (strlen(r->group) == glen && strncmp(r->group, api_version, glen) == 0 &&
        strcmp(r->version, version) == 0 && strcmp(r->kind, kind) == 0)
      return r;
  }
  return NULL;
}

static int names_match(const kube_resource *r, const char *name, size_t n)
{
  size_t i;
  if ((strlen(r->name) == n && strncasecmp(r->name, name, n) == 0) ||
      (strlen(r->singular) == n && strncasecmp(r->singular, name, n) == 0) ||
      (strlen(r->kind) == n && strncasecmp(r->kind, name, n) == 0))
    return 1;
  for (i = 0; i < r->nshort; i++)
    if (strlen(r->short_names[i]) == n && strncasecmp(r->short_names[i], name, n) == 0)
      return 1;
  return 0;
}

/* Rank of a candidate: preferred versions, then the core group first. */
static int rank(const kube_resource *r) { return r->preferred * 2 + (r->group[0] == 0); }

const kube_resource *kube_disco_lookup(const kube_disco *d, const char *name)
{
  const char *dot = strchr(name, '.'), *qual = dot ? dot + 1 : NULL;
  size_t n = dot ? (size_t)(dot - name) : strlen(name), i;
  const kube_resource *best = NULL;
  for (i = 0; i < d->n; i++) {
    const kube_resource *r = &d->r[i];
    if (!names_match(r, name, n)) continue;
    if (qual) {   /* "group" or "version.group" */
      size_t vl = strlen(r->version);
      int ok = strcmp(qual, r->group) == 0 ||
               (strncmp(qual, r->version, vl) == 0 && qual[vl] == '.' &&
                strcmp(qual + vl + 1, r->group) == 0);
      if (!ok) continue;
    }
    if (!best || rank(r) > rank(best)) best = r;
  }
  return best;
}

int kube_disco_path(const kube_resource *r, const char *ns, const char *name,
                    const char *sub, kd_buf *out)
{
  int rc = r->group[0] ? kd_buf_printf(out, "/apis/%s/%s", r->group, r->version)
                       : kd_buf_printf(out, "/api/%s", r->version);
  if (!rc && r->namespaced && ns && ns[0]) rc = kd_buf_printf(out, "/namespaces/%s", ns);
  if (!rc) rc = kd_buf_printf(out, "/%s", r->name);
  if (!rc && name) rc = kd_buf_printf(out, "/%s", name);
  if (!rc && sub) rc = kd_buf_printf(out, "/%s", sub);
  return rc;
}

/* ---- cache ------------------------------------------------------------------- */

char *kube_disco_cache_path(const char *cache_dir, const char *server)
{
  kd_buf b = {0};
  const char *p = strstr(server, "://");
  p = p ? p + 3 : server;
  kd_buf_printf(&b, "%s/discovery/", cache_dir);
  for (; *p; p++) {            /* kubectl: anything not [A-Za-z0-9.] is '_' */
    char ch = isalnum((unsigned char)*p) || *p == '.' ? *p : '_';
    kd_buf_addc(&b, ch);
  }
  kd_buf_adds(&b, "/kdeploy.json");
  return kd_buf_take(&b, NULL);
}

static int mkdirs(const char *path)
{
  char *p = dupstr(path), *s;
  if (!p) return KD_ENOMEM;
  for (s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    if (mkdir(p, 0750) != 0 && errno != EEXIST) {
      free(p);
      return KD_EIO;
    }
    *s = '/';
  }
  free(p);
  return KD_OK;
}

int kube_disco_save(const kube_disco *d, const char *path, kd_error *err)
{
  kd_buf b = {0};
  int rc;
  if (mkdirs(path)) return kd_error_set(err, KD_EIO, "%s: cannot create its "
                                        "directory: %s", path, strerror(errno));
  rc = json_encode(&d->docs, 0, &b, err);
  if (!rc) rc = kd_write_file(path, b.data, b.len, err);
  kd_buf_free(&b);
  return rc;
}

kube_disco *kube_disco_load(const char *path, double ttl, kd_error *err)
{
  struct stat st;
  kube_disco *d;
  char *data;
  size_t len, i;
  kd_value docs;
  if (ttl <= 0 || stat(path, &st) != 0 || (double)(time(NULL) - st.st_mtime) >= ttl) {
    kd_error_set(err, KD_ENOTFOUND, "%s: no fresh discovery cache", path);
    return NULL;
  }
  if (!(data = kd_read_file(path, &len, err))) return NULL;
  if (json_decode(data, len, path, &docs, err)) {
    free(data);
    return NULL;
  }
  free(data);
  if (docs.type != KD_ARR || !(d = kube_disco_new(err))) {
    if (docs.type != KD_ARR) kd_error_set(err, KD_EPARSE, "%s: not a discovery cache", path);
    kd_value_clear(&docs);
    return NULL;
  }
  for (i = 0; i < docs.u.arr.len; i++) {
    if (kube_disco_add(d, &docs.u.arr.items[i], err)) {
      kube_disco_free(d);
      kd_value_clear(&docs);
      return NULL;
    }
  }
  kd_value_clear(&docs);
  return d;
}
