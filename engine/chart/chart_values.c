/* engine/chart/chart_values.c: values as Helm builds them: values files,
 * MergeMaps of the flags, CoalesceValues over the chart tree (null deletes
 * a key, maps merge, globals flow down), and dependency processing
 * (conditions, tags, aliases, import-values). */
#include "chart_int.h"
#include "yaml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_table(const tpl_val *v) { return v && v->kind == TPL_MAP; }

int chart_values_parse(const char *data, size_t len, const char *source,
                       tpl_val *out, kd_error *err)
{
  kd_value v;
  int rc = yaml_decode(data, len, source, &v, err);
  if (rc != KD_OK) return rc;
  if (v.type == KD_NULL) {
    kd_value_clear(&v);
    return tpl_map_new(out) ? kd_error_set(err, KD_ENOMEM, "out of memory") : KD_OK;
  }
  if (v.type != KD_OBJ) {
    rc = kd_error_set(err, KD_EPARSE, "%s: error unmarshaling JSON: json: "
                      "cannot unmarshal %s into Go value of type "
                      "map[string]interface {}", source,
                      v.type == KD_ARR ? "array" : v.type == KD_STR ? "string" :
                      v.type == KD_BOOL ? "bool" : "number");
    kd_value_clear(&v);
    return rc;
  }
  rc = tpl_from_kd(&v, TPL_FROM_KD_FLOATS, out);
  kd_value_clear(&v);
  return rc ? kd_error_set(err, rc, "%s: out of memory", source) : KD_OK;
}

int chart_copy_value(tpl_val v, tpl_val *out)
{
  if (v.kind != TPL_MAP) { *out = tpl_ref(v); return KD_OK; }
  tpl_val m;
  if (tpl_map_new(&m)) return KD_ENOMEM;
  for (size_t i = 0; i < tpl_map_len(v); i++) {
    size_t kl;
    const char *k = tpl_map_key_at(v, i, &kl);
    tpl_val c;
    if (chart_copy_value(tpl_map_val_at(v, i), &c) ||
        tpl_map_set(m, k, kl, c)) {
      tpl_unref(m);
      return KD_ENOMEM;
    }
  }
  *out = m;
  return KD_OK;
}

int chart_merge_maps(tpl_val a, tpl_val b, tpl_val *out)
{
  tpl_val m;
  if (tpl_map_new(&m)) return KD_ENOMEM;
  for (size_t i = 0; a.kind == TPL_MAP && i < tpl_map_len(a); i++) {
    size_t kl;
    const char *k = tpl_map_key_at(a, i, &kl);
    if (tpl_map_set(m, k, kl, tpl_ref(tpl_map_val_at(a, i)))) goto nomem;
  }
  for (size_t i = 0; b.kind == TPL_MAP && i < tpl_map_len(b); i++) {
    size_t kl;
    const char *k = tpl_map_key_at(b, i, &kl);
    tpl_val bv = tpl_map_val_at(b, i);
    const tpl_val *av = tpl_map_get(m, k, kl);
    tpl_val nv;
    if (bv.kind == TPL_MAP && is_table(av)) {
      if (chart_merge_maps(*av, bv, &nv)) goto nomem;
    } else {
      nv = tpl_ref(bv);
    }
    if (tpl_map_set(m, k, kl, nv)) goto nomem;
  }
  *out = m;
  return KD_OK;
nomem:
  tpl_unref(m);
  return KD_ENOMEM;
}

/* ---- the values flags ---------------------------------------------------- */

static const char *flag_name(chart_vkind k)
{
  switch (k) {
  case CHART_VALUES_FILE: return "--values";
  case CHART_SET_JSON: return "--set-json";
  case CHART_SET: return "--set";
  case CHART_SET_STRING: return "--set-string";
  case CHART_SET_FILE: return "--set-file";
  default: return "--set-literal";
  }
}

static int merge_into(tpl_val *base, tpl_val add)
{
  tpl_val m;
  if (chart_merge_maps(*base, add, &m)) return KD_ENOMEM;
  tpl_unref(*base);
  *base = m;
  return KD_OK;
}

static int one_flag(tpl_val *base, const chart_vflag *f, kd_error *err)
{
  kd_error e = {0};
  int rc;
  const char *arg = f->arg;
  if (f->kind == CHART_VALUES_FILE) {
    size_t len;
    char *data;
    if (strcmp(arg, "-") == 0) {
      kd_buf b = {0};
      char chunk[65536];
      size_t n;
      while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
        if (kd_buf_add(&b, chunk, n)) { kd_buf_free(&b); return kd_error_set(err, KD_ENOMEM, "out of memory"); }
      if (kd_buf_addc(&b, 0)) return kd_error_set(err, KD_ENOMEM, "out of memory");
      b.len--;
      len = b.len;
      data = kd_buf_take(&b, NULL);
    } else if (!(data = kd_read_file(arg, &len, &e))) {
      return kd_error_set(err, KD_EIO, "--values %s: %s", arg, e.msg);
    }
    tpl_val m;
    rc = chart_values_parse(data, len, strcmp(arg, "-") ? arg : "<stdin>", &m, &e);
    free(data);
    if (rc) return kd_error_set(err, rc, "failed to parse %s: %s", arg, e.msg);
    rc = merge_into(base, m);
    tpl_unref(m);
    return rc ? kd_error_set(err, rc, "out of memory") : KD_OK;
  }
  if (f->kind == CHART_SET_JSON) {
    const char *s = arg;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    if (*s == '{') {
      tpl_val m;
      rc = chart_values_parse(arg, strlen(arg), "--set-json", &m, &e);
      if (rc) return kd_error_set(err, rc, "failed parsing --set-json data "
                                  "JSON: %s", arg);
      rc = merge_into(base, m);
      tpl_unref(m);
      return rc ? kd_error_set(err, rc, "out of memory") : KD_OK;
    }
  }
  rc = chart_strvals(*base, f->kind, arg, strlen(arg), &e);
  if (rc)
    return kd_error_set(err, rc, "failed parsing %s data: %s (in %s \"%s\")",
                        f->kind == CHART_SET_LITERAL ? "set-literal" :
                        flag_name(f->kind), e.msg, flag_name(f->kind), arg);
  return KD_OK;
}

int chart_user_values(const chart_vflag *flags, size_t n, tpl_val *out,
                      kd_error *err)
{
  tpl_val base;
  if (tpl_map_new(&base)) return kd_error_set(err, KD_ENOMEM, "out of memory");
  for (int kind = CHART_VALUES_FILE; kind <= CHART_SET_LITERAL; kind++) {
    for (size_t i = 0; i < n; i++) {
      if ((int)flags[i].kind != kind) continue;
      int rc = one_flag(&base, &flags[i], err);
      if (rc) { tpl_unref(base); return rc; }
    }
  }
  *out = base;
  return KD_OK;
}

/* ---- coalescing ---------------------------------------------------------- */

/* coalesceTablesFullKey: DST wins; nulls in DST delete unless MERGE.
 * As in Helm, a null in DST is first written into SRC too, and maps of SRC
 * that DST lacks are shared, not copied: Helm's maps are references, and
 * import-values relies on it (see import_values). */
static int coalesce_tables(tpl_val dst, tpl_val src, int merge)
{
  if (src.kind != TPL_MAP || dst.kind != TPL_MAP) return KD_OK;
  for (size_t i = 0; i < tpl_map_len(dst); i++) {
    size_t kl;
    const char *k = tpl_map_key_at(dst, i, &kl);
    if (tpl_map_val_at(dst, i).kind == TPL_NIL &&
        tpl_map_set(src, k, kl, tpl_nil()))
      return KD_ENOMEM;
  }
  for (size_t i = 0; i < tpl_map_len(src); i++) {
    size_t kl;
    const char *k = tpl_map_key_at(src, i, &kl);
    tpl_val sv = tpl_map_val_at(src, i);
    const tpl_val *dv = tpl_map_get(dst, k, kl);
    if (dv && !merge && dv->kind == TPL_NIL) {
      tpl_map_del(dst, k, kl);
    } else if (!dv) {
      if (tpl_map_set(dst, k, kl, tpl_ref(sv))) return KD_ENOMEM;
    } else if (sv.kind == TPL_MAP) {
      if (dv->kind == TPL_MAP && coalesce_tables(*dv, sv, merge)) return KD_ENOMEM;
    }
  }
  return KD_OK;
}

static int is_sub(const node *n, const char *key)
{
  for (size_t i = 0; i < n->nsubs; i++)
    if (strcmp(n->subs[i]->name, key) == 0) return 1;
  return 0;
}

/* coalesceValues: the chart's own values into V (V wins). */
static int coalesce_values(const node *n, tpl_val v, int merge)
{
  tpl_val vc;
  if (chart_copy_value(n->values, &vc)) return KD_ENOMEM;
  int rc = KD_OK;
  for (size_t i = 0; rc == KD_OK && i < tpl_map_len(vc); i++) {
    size_t kl;
    const char *k = tpl_map_key_at(vc, i, &kl);
    tpl_val val = tpl_map_val_at(vc, i);
    const tpl_val *cur = tpl_map_get(v, k, kl);
    if (!cur) {
      rc = tpl_map_set(v, k, kl, tpl_ref(val));
    } else if (cur->kind == TPL_NIL && !merge) {
      tpl_map_del(v, k, kl);
    } else if (cur->kind == TPL_MAP && val.kind == TPL_MAP) {
      rc = coalesce_tables(*cur, val, merge || is_sub(n, k));
    }
  }
  tpl_unref(vc);
  return rc;
}

/* coalesceGlobals: SRC's globals merged into DEST's (DEST's win). */
static int coalesce_globals(tpl_val dest, tpl_val src)
{
  const tpl_val *dg0 = tpl_map_gets(dest, "global");
  const tpl_val *sg0 = tpl_map_gets(src, "global");
  if ((dg0 && dg0->kind != TPL_MAP) || (sg0 && sg0->kind != TPL_MAP))
    return KD_OK;   /* Helm warns and skips */
  tpl_val dg;
  if (dg0) dg = tpl_ref(*dg0);
  else if (tpl_map_new(&dg)) return KD_ENOMEM;
  int rc = KD_OK;
  for (size_t i = 0; sg0 && rc == KD_OK && i < tpl_map_len(*sg0); i++) {
    size_t kl;
    const char *k = tpl_map_key_at(*sg0, i, &kl);
    tpl_val val = tpl_map_val_at(*sg0, i);
    const tpl_val *dv = tpl_map_get(dg, k, kl);
    if (val.kind == TPL_MAP) {
      tpl_val vv;
      if (chart_copy_value(val, &vv)) { rc = KD_ENOMEM; break; }
      if (!dv) {
        rc = tpl_map_set(dg, k, kl, vv);
      } else if (dv->kind != TPL_MAP) {
        tpl_unref(vv);   /* Helm: cannot merge map onto non-map */
      } else {
        rc = coalesce_tables(vv, *dv, 1);
        rc = rc ? (tpl_unref(vv), rc) : tpl_map_set(dg, k, kl, vv);
      }
    } else if (dv && dv->kind == TPL_MAP) {
      /* Helm: key is table, skipping */
    } else {
      rc = tpl_map_set(dg, k, kl, tpl_ref(val));
    }
  }
  if (rc == KD_OK) rc = tpl_map_sets(dest, "global", dg);
  else tpl_unref(dg);
  return rc;
}

static int coalesce(const node *n, tpl_val dest, int merge, kd_error *err);

static int coalesce_deps(const node *n, tpl_val dest, int merge, kd_error *err)
{
  for (size_t i = 0; i < n->nsubs; i++) {
    const node *sub = n->subs[i];
    const tpl_val *cur = tpl_map_gets(dest, sub->name);
    if (!cur) {
      tpl_val m;
      if (tpl_map_new(&m) || tpl_map_sets(dest, sub->name, m))
        return kd_error_set(err, KD_ENOMEM, "out of memory");
    } else if (cur->kind != TPL_MAP) {
      return kd_error_set(err, KD_ETYPE, "type mismatch on %s: %%!t(%s=%s)",
                          sub->name, tpl_type_name(*cur),
                          cur->kind == TPL_STR ? tpl_sdata(*cur) : "...");
    }
    tpl_val dv = tpl_ref(*tpl_map_gets(dest, sub->name));
    int rc = coalesce_globals(dv, dest);
    if (rc == KD_OK) rc = coalesce(sub, dv, merge, err);
    tpl_unref(dv);
    if (rc) return rc == KD_ENOMEM ? kd_error_set(err, rc, "out of memory") : rc;
  }
  return KD_OK;
}

static int coalesce(const node *n, tpl_val dest, int merge, kd_error *err)
{
  if (coalesce_values(n, dest, merge))
    return kd_error_set(err, KD_ENOMEM, "out of memory");
  return coalesce_deps(n, dest, merge, err);
}

int chart_coalesce_values(node *n, tpl_val vals, int merge, tpl_val *out,
                          kd_error *err)
{
  tpl_val v;
  if (vals.kind == TPL_MAP) {
    if (chart_copy_value(vals, &v)) return kd_error_set(err, KD_ENOMEM, "out of memory");
  } else if (tpl_map_new(&v)) {
    return kd_error_set(err, KD_ENOMEM, "out of memory");
  }
  int rc = coalesce(n, v, merge, err);
  if (rc) { tpl_unref(v); return rc; }
  *out = v;
  return KD_OK;
}

const tpl_val *chart_values_table(const tpl_val *v, const char *path)
{
  const tpl_val *cur = v;
  if (v->kind != TPL_MAP) return NULL;
  const char *s = path;
  while (*s) {
    const char *dot = strchr(s, '.');
    size_t n = dot ? (size_t)(dot - s) : strlen(s);
    cur = tpl_map_get(*cur, s, n);
    if (!cur || cur->kind != TPL_MAP) return NULL;
    s += n + (dot ? 1 : 0);
    if (!dot) break;
  }
  return cur;
}

/* PathValue: the non-table value at dotted PATH, or NULL. */
static const tpl_val *path_value(const tpl_val *v, const char *path)
{
  const char *dot = strrchr(path, '.');
  const tpl_val *t, *r;
  if (dot) {
    char *head = kd_strndup(path, (size_t)(dot - path));
    if (!head) return NULL;
    t = chart_values_table(v, head);
    free(head);
    if (!t) return NULL;
    r = tpl_map_gets(*t, dot + 1);
  } else {
    r = tpl_map_gets(*v, path);
  }
  return r && r->kind != TPL_MAP ? r : NULL;
}

/* ---- dependencies -------------------------------------------------------- */

node *chart_node_new(const chart *c, node *parent, kd_error *err)
{
  node *n = calloc(1, sizeof *n);
  if (!n) goto nomem;
  n->src = c;
  n->parent = parent;
  n->values = tpl_nil();
  if (!(n->name = kd_strndup(c->name, strlen(c->name)))) goto nomem;
  if (chart_copy_value(c->values, &n->values)) goto nomem;
  n->has_deps = c->has_deps;
  if (c->ndeps && !(n->deps = calloc(c->ndeps, sizeof *n->deps))) goto nomem;
  for (size_t i = 0; i < c->ndeps; i++) {
    n->deps[i].src = &c->deps[i];
    n->deps[i].import_values = tpl_ref(c->deps[i].import_values);
    n->ndeps++;
    if (!(n->deps[i].name = kd_strndup(c->deps[i].name, strlen(c->deps[i].name))))
      goto nomem;
  }
  if (c->nsubs && !(n->subs = calloc(c->nsubs, sizeof *n->subs))) goto nomem;
  for (size_t i = 0; i < c->nsubs; i++) {
    if (!(n->subs[i] = chart_node_new(c->subs[i], n, err))) {
      chart_node_free(n);
      return NULL;
    }
    n->nsubs++;
  }
  return n;
nomem:
  chart_node_free(n);
  kd_error_set(err, KD_ENOMEM, "out of memory");
  return NULL;
}

void chart_node_free(node *n)
{
  if (!n) return;
  for (size_t i = 0; i < n->nsubs; i++) chart_node_free(n->subs[i]);
  free(n->subs);
  for (size_t i = 0; i < n->ndeps; i++) {
    free(n->deps[i].name);
    tpl_unref(n->deps[i].import_values);
  }
  free(n->deps);
  tpl_unref(n->values);
  free(n->name);
  free(n);
}

static int compatible(const char *constraint, const char *version)
{
  return chart_semver_check(constraint, version) == 1;
}

static void tags_enable(node *n, tpl_val cvals)
{
  const tpl_val *vt = chart_values_table(&cvals, "tags");
  if (!vt) return;
  for (size_t i = 0; i < n->ndeps; i++) {
    int has_true = 0, has_false = 0;
    tpl_val tags = n->deps[i].src->tags;
    for (size_t k = 0; tags.kind == TPL_LIST && k < tpl_list_len(tags); k++) {
      tpl_val t = tpl_list_at(tags, k);
      if (t.kind != TPL_STR) continue;
      const tpl_val *b = tpl_map_get(*vt, tpl_sdata(t), tpl_slen(t));
      if (b && b->kind == TPL_BOOL) {
        if (b->u.b) has_true = 1; else has_false = 1;
      }
    }
    if (!has_true && has_false) n->deps[i].enabled = 0;
    else n->deps[i].enabled = 1;
  }
}

static int conditions_enable(node *n, tpl_val cvals, const char *path)
{
  kd_buf p = {0};
  for (size_t i = 0; i < n->ndeps; i++) {
    const char *cond = n->deps[i].src->condition;
    while (*cond == ' ' || *cond == '\t' || *cond == '\n') cond++;
    size_t cl = strlen(cond);
    while (cl && (cond[cl - 1] == ' ' || cond[cl - 1] == '\t' || cond[cl - 1] == '\n')) cl--;
    const char *s = cond, *end = cond + cl;
    while (s < end) {
      const char *comma = memchr(s, ',', (size_t)(end - s));
      size_t len = comma ? (size_t)(comma - s) : (size_t)(end - s);
      if (len > 0) {
        p.len = 0;
        if (kd_buf_printf(&p, "%s%.*s", path, (int)len, s)) { kd_buf_free(&p); return KD_ENOMEM; }
        const tpl_val *v = path_value(&cvals, p.data);
        if (v && v->kind == TPL_BOOL) {
          n->deps[i].enabled = v->u.b;
          break;
        }
      }
      if (!comma) break;
      s = comma + 1;
    }
  }
  kd_buf_free(&p);
  return KD_OK;
}

/* processDependencyEnabled. */
static int deps_enabled(node *n, tpl_val v, const char *path, kd_error *err)
{
  if (!n->has_deps) return KD_OK;
  /* Charts in charts/ not named in Chart.yaml come first, then one per
   * declared dependency (aliased copies where an alias is given). */
  node **list = calloc(n->nsubs + n->ndeps + 1, sizeof *list);
  int *used = calloc(n->nsubs + 1, sizeof *used);
  size_t nl = 0;
  if (!list || !used) { free(list); free(used); return kd_error_set(err, KD_ENOMEM, "out of memory"); }
  for (size_t i = 0; i < n->nsubs; i++) {
    int listed = 0;
    for (size_t k = 0; k < n->ndeps && !listed; k++)
      listed = strcmp(n->subs[i]->name, n->deps[k].src->name) == 0 &&
               compatible(n->deps[k].src->version, n->subs[i]->src->version);
    if (!listed) { list[nl++] = n->subs[i]; used[i] = 1; }
  }
  for (size_t k = 0; k < n->ndeps; k++) {
    const chart_dep *d = n->deps[k].src;
    for (size_t i = 0; i < n->nsubs; i++) {
      node *s = n->subs[i];
      if (strcmp(s->src->name, d->name) != 0 || !compatible(d->version, s->src->version))
        continue;
      node *use = s;
      if (used[i]) {   /* a second alias of the same chart: a fresh copy */
        use = chart_node_new(s->src, n, err);
        if (!use) { free(list); free(used); return err->code; }
      }
      used[i] = 1;
      if (d->alias[0]) {
        free(use->name);
        use->name = kd_strndup(d->alias, strlen(d->alias));
      }
      list[nl++] = use;
      break;
    }
    if (d->alias[0]) {
      free(n->deps[k].name);
      n->deps[k].name = kd_strndup(d->alias, strlen(d->alias));
    }
  }
  for (size_t i = 0; i < n->nsubs; i++)
    if (!used[i]) chart_node_free(n->subs[i]);
  free(used);
  free(n->subs);
  n->subs = list;
  n->nsubs = nl;
  for (size_t k = 0; k < n->ndeps; k++) n->deps[k].enabled = 1;
  tpl_val cvals;
  int rc = chart_coalesce_values(n, v, 0, &cvals, err);
  if (rc) return rc;
  tags_enable(n, cvals);
  if (conditions_enable(n, cvals, path)) {
    tpl_unref(cvals);
    return kd_error_set(err, KD_ENOMEM, "out of memory");
  }
  /* drop the disabled charts and their metadata entries */
  size_t w = 0;
  for (size_t i = 0; i < n->nsubs; i++) {
    int off = 0;
    for (size_t k = 0; k < n->ndeps && !off; k++)
      off = !n->deps[k].enabled && strcmp(n->deps[k].name, n->subs[i]->name) == 0;
    if (off) chart_node_free(n->subs[i]);
    else n->subs[w++] = n->subs[i];
  }
  n->nsubs = w;
  w = 0;
  int *offs = calloc(n->ndeps + 1, sizeof *offs);
  if (!offs) { tpl_unref(cvals); return kd_error_set(err, KD_ENOMEM, "out of memory"); }
  for (size_t k = 0; k < n->ndeps; k++)
    for (size_t j = 0; j < n->ndeps && !offs[k]; j++)
      offs[k] = !n->deps[j].enabled && strcmp(n->deps[j].name, n->deps[k].name) == 0;
  for (size_t k = 0; k < n->ndeps; k++) {
    if (offs[k]) {
      free(n->deps[k].name);
      tpl_unref(n->deps[k].import_values);
    } else {
      n->deps[w++] = n->deps[k];
    }
  }
  free(offs);
  n->ndeps = w;
  kd_buf sp = {0};
  for (size_t i = 0; rc == KD_OK && i < n->nsubs; i++) {
    sp.len = 0;
    kd_buf_printf(&sp, "%s%s.", path, n->subs[i]->name);
    rc = deps_enabled(n->subs[i], cvals, sp.data, err);
  }
  kd_buf_free(&sp);
  tpl_unref(cvals);
  return rc;
}

/* pathToMap(parent, data). */
static int path_to_map(const char *path, tpl_val data, tpl_val *out)
{
  if (strcmp(path, ".") == 0) { *out = tpl_ref(data); return KD_OK; }
  tpl_val cur = tpl_ref(data);
  const char *end = path + strlen(path);
  while (end > path) {
    const char *s = end;
    while (s > path && s[-1] != '.') s--;
    tpl_val m;
    if (tpl_map_new(&m) || tpl_map_set(m, s, (size_t)(end - s), cur)) {
      tpl_unref(cur);
      return KD_ENOMEM;
    }
    cur = m;
    end = s > path ? s - 1 : s;
    if (s == path) break;
  }
  *out = cur;
  return KD_OK;
}

/* fmt's %v of an import-values entry (scalars; YAML gives little else). */
static int str_of(tpl_val v, kd_buf *b)
{
  b->len = 0;
  int rc = kd_buf_addc(b, 0);
  b->len = 0;
  if (rc) return rc;
  switch (v.kind) {
  case TPL_NIL: return kd_buf_adds(b, "<nil>");
  case TPL_BOOL: return kd_buf_adds(b, v.u.b ? "true" : "false");
  case TPL_INT: return kd_buf_printf(b, "%lld", (long long)v.u.i);
  case TPL_FLOAT: return kd_buf_printf(b, "%.17g", v.u.f);
  case TPL_STR: return kd_buf_add(b, tpl_sdata(v), tpl_slen(v));
  default: return kd_buf_adds(b, tpl_type_name(v));
  }
}

/* processImportValues (merge mode, as ProcessDependenciesWithMerge). */
static int import_values(node *n, kd_error *err)
{
  if (!n->has_deps) return KD_OK;
  tpl_val cvals, b;
  int rc = chart_coalesce_values(n, tpl_nil(), 1, &cvals, err);
  if (rc) return rc;
  if (tpl_map_new(&b)) { tpl_unref(cvals); return kd_error_set(err, KD_ENOMEM, "out of memory"); }
  kd_buf child = {0}, parent = {0}, path = {0};
  for (size_t k = 0; rc == KD_OK && k < n->ndeps; k++) {
    node_dep *d = &n->deps[k];
    tpl_val ivs = d->import_values, out;
    if (ivs.kind != TPL_LIST) continue;
    if (tpl_list_new(&out, tpl_list_len(ivs))) { rc = KD_ENOMEM; break; }
    for (size_t i = 0; rc == KD_OK && i < tpl_list_len(ivs); i++) {
      tpl_val iv = tpl_list_at(ivs, i);
      const char *par;
      if (iv.kind == TPL_MAP) {
        const tpl_val *c = tpl_map_gets(iv, "child"), *p = tpl_map_gets(iv, "parent");
        if ((rc = str_of(c ? *c : tpl_nil(), &child)) ||
            (rc = str_of(p ? *p : tpl_nil(), &parent)))
          break;
        par = parent.data;
      } else if (iv.kind == TPL_STR) {
        child.len = 0;
        if ((rc = kd_buf_printf(&child, "exports.%s", tpl_sdata(iv)))) break;
        par = ".";
      } else {
        continue;
      }
      tpl_val m, s;
      if ((rc = tpl_map_new(&m)) || (rc = tpl_str_cstr(&s, child.data)) ||
          (rc = tpl_map_sets(m, "child", s)) || (rc = tpl_str_cstr(&s, par)) ||
          (rc = tpl_map_sets(m, "parent", s)) || (rc = tpl_list_push(out, m)))
        break;
      path.len = 0;
      kd_buf_printf(&path, "%s.%s", d->name, child.data);
      const tpl_val *t = chart_values_table(&cvals, path.data);
      if (!t) continue;   /* Helm warns: ImportValues missing table */
      /* MergeTables(b, pathToMap(parent, table)): b wins, merge mode. The
       * table is not copied, as in Helm: b (and then the chart's values)
       * share maps with the child's values, so a later import into such a
       * map shows wherever it is shared (checked against helm 4.1.4). */
      tpl_val pm;
      if ((rc = path_to_map(par, *t, &pm))) break;
      rc = coalesce_tables(b, pm, 1);
      tpl_unref(pm);
    }
    if (rc) { tpl_unref(out); break; }
    tpl_unref(d->import_values);
    d->import_values = out;
  }
  kd_buf_free(&child);
  kd_buf_free(&parent);
  kd_buf_free(&path);
  if (rc == KD_OK) {
    /* c.Values = MergeTables(cvals, b): the chart's values win */
    rc = coalesce_tables(cvals, b, 1);
    if (rc == KD_OK) {
      tpl_unref(n->values);
      n->values = tpl_ref(cvals);
    }
  }
  tpl_unref(b);
  tpl_unref(cvals);
  return rc ? kd_error_set(err, KD_ENOMEM, "out of memory") : KD_OK;
}

static int deps_import(node *n, kd_error *err)
{
  for (size_t i = 0; i < n->nsubs; i++) {
    int rc = deps_import(n->subs[i], err);
    if (rc) return rc;
  }
  return import_values(n, err);
}

int chart_process_deps(node *top, tpl_val vals, kd_error *err)
{
  int rc = deps_enabled(top, vals, "", err);
  return rc ? rc : deps_import(top, err);
}

char *chart_node_path(const node *n)
{
  if (!n->parent) return kd_strndup(n->name, strlen(n->name));
  char *pp = chart_node_path(n->parent);
  if (!pp) return NULL;
  kd_buf b = {0};
  kd_buf_printf(&b, "%s/charts/%s", pp, n->name);
  free(pp);
  return kd_buf_take(&b, NULL);
}
