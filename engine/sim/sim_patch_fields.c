/* engine/sim/sim_patch_fields.c: field sets as structured-merge-diff keeps
 * them for managedFields: the FieldsV1 format ("f:", "k:{...}", "v:",
 * "i:" keys, "." for a member that also has children), set algebra, the
 * field set of an applied configuration (ToFieldSet), the comparison of
 * two objects (Compare) and EnsureNamedFieldsAreMembers. */
#include "sim_patch_int.h"

#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- nodes ---------------------------------------------------------- */
static void node_free(fs_node *n)
{
  size_t i;
  for (i = 0; i < n->n; i++) node_free(&n->kids[i]);
  free(n->kids);
  free(n->name);
  kd_value_clear(&n->val);
}

void sim_fields_clear(fs_node *s)
{
  if (!s) return;
  node_free(s);
  memset(s, 0, sizeof *s);
  kd_value_null(&s->val);
}

static int pe_cmp(const fs_node *a, pe_kind kind, const char *name,
                  size_t nlen, const kd_value *val, int64_t index)
{
  if (a->kind != kind) return a->kind < kind ? -1 : 1;
  switch (kind) {
  case PE_FIELD: {
    int c = memcmp(a->name, name, a->nlen < nlen ? a->nlen : nlen);
    if (c) return c < 0 ? -1 : 1;
    return (a->nlen > nlen) - (a->nlen < nlen);
  }
  case PE_KEY: case PE_VALUE: return sim_patch_value_cmp(&a->val, val);
  default: return (a->index > index) - (a->index < index);
  }
}

fs_node *sim_fields_child(fs_node *s, pe_kind kind, const char *name,
                          size_t nlen, const kd_value *keyval,
                          int64_t index, int create)
{
  size_t lo = 0, hi = s->n;
  fs_node *n;
  while (lo < hi) {   /* binary search in the sorted children */
    size_t mid = (lo + hi) / 2;
    int c = pe_cmp(&s->kids[mid], kind, name, nlen, keyval, index);
    if (c == 0) return &s->kids[mid];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  if (!create) return NULL;
  if (s->n == s->cap) {
    size_t ncap = s->cap ? s->cap * 2 : 4;
    fs_node *nk = realloc(s->kids, ncap * sizeof *nk);
    if (!nk) return NULL;
    s->kids = nk;
    s->cap = ncap;
  }
  memmove(&s->kids[lo + 1], &s->kids[lo], (s->n - lo) * sizeof *s->kids);
  n = &s->kids[lo];
  memset(n, 0, sizeof *n);
  kd_value_null(&n->val);
  n->kind = kind;
  n->index = index;
  s->n++;
  if (kind == PE_FIELD) {
    if (!(n->name = kd_strndup(name, nlen))) goto fail;
    n->nlen = nlen;
  } else if ((kind == PE_KEY || kind == PE_VALUE) &&
             kd_value_copy(&n->val, keyval)) {
    goto fail;
  }
  return n;
fail:
  node_free(n);
  s->n--;
  memmove(&s->kids[lo], &s->kids[lo + 1], (s->n - lo) * sizeof *s->kids);
  return NULL;
}

static fs_node *child_like(fs_node *s, const fs_node *like, int create)
{
  return sim_fields_child(s, like->kind, like->name, like->nlen, &like->val,
                          like->index, create);
}

int sim_fields_empty(const fs_node *s)
{
  size_t i;
  if (s->member) return 0;
  for (i = 0; i < s->n; i++)
    if (!sim_fields_empty(&s->kids[i])) return 0;
  return 1;
}

/* Drops children that hold no member. */
static void prune_empty(fs_node *s)
{
  size_t i, w = 0;
  for (i = 0; i < s->n; i++) {
    prune_empty(&s->kids[i]);
    if (!s->kids[i].member && s->kids[i].n == 0) {
      node_free(&s->kids[i]);
      continue;
    }
    s->kids[w++] = s->kids[i];
  }
  s->n = w;
}

/* Adds every member of B into A. */
static int add_all(fs_node *a, const fs_node *b)
{
  size_t i;
  if (b->member) a->member = 1;
  for (i = 0; i < b->n; i++) {
    fs_node *c = child_like(a, &b->kids[i], 1);
    if (!c || add_all(c, &b->kids[i])) return KD_ENOMEM;
  }
  return KD_OK;
}

int sim_fields_copy(fs_node *dst, const fs_node *src)
{
  memset(dst, 0, sizeof *dst);
  kd_value_null(&dst->val);
  dst->kind = src->kind;
  dst->index = src->index;
  if (src->name && !(dst->name = kd_strndup(src->name, src->nlen)))
    return KD_ENOMEM;
  dst->nlen = src->nlen;
  if (kd_value_copy(&dst->val, &src->val)) return KD_ENOMEM;
  return add_all(dst, src);
}

int sim_fields_union(fs_node *out, const fs_node *a, const fs_node *b)
{
  if (sim_fields_copy(out, a) || add_all(out, b)) return KD_ENOMEM;
  return KD_OK;
}

/* Removes from A the members of B (member-wise, not whole subtrees). */
static void remove_members(fs_node *a, const fs_node *b)
{
  size_t i;
  if (b->member) a->member = 0;
  for (i = 0; i < b->n; i++) {
    fs_node *c = child_like(a, &b->kids[i], 0);
    if (c) remove_members(c, &b->kids[i]);
  }
}

int sim_fields_diff(fs_node *out, const fs_node *a, const fs_node *b)
{
  if (sim_fields_copy(out, a)) return KD_ENOMEM;
  remove_members(out, b);
  prune_empty(out);
  return KD_OK;
}

/* Keeps in A only the members also in B. */
static void keep_members(fs_node *a, const fs_node *b)
{
  size_t i;
  if (!b || !b->member) a->member = 0;
  for (i = 0; i < a->n; i++)
    keep_members(&a->kids[i], b ? child_like((fs_node *)b, &a->kids[i], 0)
                                : NULL);
}

int sim_fields_inter(fs_node *out, const fs_node *a, const fs_node *b)
{
  if (sim_fields_copy(out, a)) return KD_ENOMEM;
  keep_members(out, b);
  prune_empty(out);
  return KD_OK;
}

static void rdiff(fs_node *a, const fs_node *b)
{
  size_t i;
  if (b->member) {
    size_t j;
    a->member = 0;
    for (j = 0; j < a->n; j++) node_free(&a->kids[j]);
    a->n = 0;
    return;
  }
  for (i = 0; i < b->n; i++) {
    fs_node *c = child_like(a, &b->kids[i], 0);
    if (c) rdiff(c, &b->kids[i]);
  }
}

int sim_fields_rdiff(fs_node *a, const fs_node *b)
{
  rdiff(a, b);
  prune_empty(a);
  return KD_OK;
}

/* ---- FieldsV1 ------------------------------------------------------- */
static int pe_key(const fs_node *n, kd_buf *b)
{
  kd_error e = {0};
  switch (n->kind) {
  case PE_FIELD:
    return kd_buf_adds(b, "f:") || kd_buf_add(b, n->name, n->nlen);
  case PE_KEY:
    return kd_buf_adds(b, "k:") || json_encode(&n->val, JSON_ESCAPE_HTML, b,
                                               &e);
  case PE_VALUE:
    return kd_buf_adds(b, "v:") || json_encode(&n->val, JSON_ESCAPE_HTML, b,
                                               &e);
  default:
    return kd_buf_printf(b, "i:%lld", (long long)n->index);
  }
}

static int encode(const fs_node *s, int self, kd_value *out)
{
  size_t i;
  kd_buf k = {0};
  kd_value *slot;
  kd_value_obj(out);
  if (self && s->member && s->n > 0) {
    if (!(slot = kd_obj_add(out, ".", 1))) return KD_ENOMEM;
    kd_value_obj(slot);
  }
  for (i = 0; i < s->n; i++) {
    const fs_node *c = &s->kids[i];
    if (!c->member && c->n == 0) continue;
    k.len = 0;
    if (pe_key(c, &k) || !(slot = kd_obj_add(out, k.data, k.len))) {
      kd_buf_free(&k);
      return KD_ENOMEM;
    }
    if (encode(c, 1, slot)) {
      kd_buf_free(&k);
      return KD_ENOMEM;
    }
  }
  kd_buf_free(&k);
  return KD_OK;
}

int sim_fields_encode(const fs_node *s, kd_value *out)
{
  int rc = encode(s, 0, out);
  if (rc) {
    kd_value_clear(out);
    kd_value_null(out);
  }
  return rc;
}

static int decode(const kd_value *v, fs_node *s, kd_error *err, int depth)
{
  size_t i;
  if (v->type != KD_OBJ || depth > 1000)
    return kd_error_set(err, KD_EPARSE, "fieldsV1: expected an object");
  if (v->u.obj.len == 0) s->member = 1;
  for (i = 0; i < v->u.obj.len; i++) {
    const kd_member *m = &v->u.obj.m[i];
    fs_node *c = NULL;
    kd_value kv;
    if (m->klen == 1 && m->key[0] == '.') {
      s->member = 1;
      continue;
    }
    if (m->klen < 2 || m->key[1] != ':')
      return kd_error_set(err, KD_EPARSE, "fieldsV1: bad key %s", m->key);
    switch (m->key[0]) {
    case 'f':
      c = sim_fields_child(s, PE_FIELD, m->key + 2, m->klen - 2, NULL, 0, 1);
      break;
    case 'k': case 'v':
      if (json_decode(m->key + 2, m->klen - 2, "fieldsV1", &kv, err))
        return KD_EPARSE;
      if (m->key[0] == 'k' && kv.type != KD_OBJ) {
        kd_value_clear(&kv);
        return kd_error_set(err, KD_EPARSE, "fieldsV1: bad key %s", m->key);
      }
      c = sim_fields_child(s, m->key[0] == 'k' ? PE_KEY : PE_VALUE, NULL, 0,
                           &kv, 0, 1);
      kd_value_clear(&kv);
      break;
    case 'i': {
      char *end;
      long long ix = strtoll(m->key + 2, &end, 10);
      if (end == m->key + 2 || *end)
        return kd_error_set(err, KD_EPARSE, "fieldsV1: bad key %s", m->key);
      c = sim_fields_child(s, PE_INDEX, NULL, 0, NULL, ix, 1);
      break;
    }
    default:
      return kd_error_set(err, KD_EPARSE, "fieldsV1: bad key %s", m->key);
    }
    if (!c) return kd_error_set(err, KD_ENOMEM, "out of memory");
    if (decode(&m->val, c, err, depth + 1)) return KD_EPARSE;
  }
  return KD_OK;
}

int sim_fields_decode(const kd_value *v, fs_node *out, kd_error *err)
{
  int rc;
  memset(out, 0, sizeof *out);
  kd_value_null(&out->val);
  rc = decode(v, out, err, 0);
  out->member = 0;   /* the root itself is no path */
  if (rc) sim_fields_clear(out);
  return rc;
}

/* ---- paths as text -------------------------------------------------- */
static int value_string(const kd_value *v, kd_buf *b)
{
  kd_error e = {0};
  if (v->type == KD_STR)
    return json_encode_string(v->u.str.s, v->u.str.len, 0, b);
  if (v->type == KD_NULL) return kd_buf_adds(b, "null");
  if (v->type == KD_INT || v->type == KD_FLOAT || v->type == KD_BOOL)
    return sim_patch_gofmt(v, b);
  return json_encode(v, 0, b, &e);
}

static int pe_string(const fs_node *n, kd_buf *b)
{
  size_t i;
  switch (n->kind) {
  case PE_FIELD: return kd_buf_addc(b, '.') || kd_buf_add(b, n->name, n->nlen);
  case PE_KEY:
    if (kd_buf_addc(b, '[')) return KD_ENOMEM;
    for (i = 0; i < n->val.u.obj.len; i++) {
      const kd_member *m = &n->val.u.obj.m[i];
      if ((i && kd_buf_addc(b, ',')) || kd_buf_add(b, m->key, m->klen) ||
          kd_buf_addc(b, '=') || value_string(&m->val, b))
        return KD_ENOMEM;
    }
    return kd_buf_addc(b, ']');
  case PE_VALUE:
    return kd_buf_adds(b, "[=") || value_string(&n->val, b) ||
           kd_buf_addc(b, ']');
  default: return kd_buf_printf(b, "[%lld]", (long long)n->index);
  }
}

/* Set.Iterate: at each level the members first, then the children. */
static int each(const fs_node *s, kd_buf *prefix, fs_each_fn fn, void *arg)
{
  size_t i, keep = prefix->len;
  int rc;
  for (i = 0; i < s->n; i++) {
    if (!s->kids[i].member) continue;
    prefix->len = keep;
    if (pe_string(&s->kids[i], prefix)) return KD_ENOMEM;
    if ((rc = fn(prefix->data, arg))) return rc;
  }
  for (i = 0; i < s->n; i++) {
    if (s->kids[i].n == 0) continue;
    prefix->len = keep;
    if (pe_string(&s->kids[i], prefix)) return KD_ENOMEM;
    if ((rc = each(&s->kids[i], prefix, fn, arg))) return rc;
  }
  prefix->len = keep;
  if (prefix->data) prefix->data[keep] = '\0';
  return KD_OK;
}

int sim_fields_each(const fs_node *s, fs_each_fn fn, void *arg)
{
  kd_buf b = {0};
  int rc;
  if (kd_buf_reserve(&b, 64)) return KD_ENOMEM;
  b.data[0] = '\0';
  rc = each(s, &b, fn, arg);
  kd_buf_free(&b);
  return rc;
}

/* ---- typed walks ---------------------------------------------------- */
static int key_fields_cmp(const void *a, const void *b)
{
  const kd_member *x = a, *y = b;
  size_t n = x->klen < y->klen ? x->klen : y->klen;
  int c = memcmp(x->key, y->key, n);
  return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

int sim_fields_item_pe(const sim_schema *t, const kd_value *item,
                       size_t index, pe_kind *kind, kd_value *keyval,
                       kd_error *err)
{
  int ssa = sim_schema_list_ssa(t), i;
  kd_value_null(keyval);
  if (ssa == SSA_SET) {
    if (item->type == KD_OBJ || item->type == KD_ARR)
      return kd_error_set(err, KD_EINVAL, "element %zu: associative list "
                          "without keys has an element that's a %s", index,
                          item->type == KD_OBJ ? "map type" : "list type");
    *kind = PE_VALUE;
    return kd_value_copy(keyval, item);
  }
  if (ssa != SSA_MAP) {
    *kind = PE_INDEX;
    return KD_OK;
  }
  if (item->type != KD_OBJ)
    return kd_error_set(err, KD_EINVAL, "element %zu: associative list with "
                        "keys may not have non-map elements", index);
  *kind = PE_KEY;
  kd_value_obj(keyval);
  for (i = 0; i < 3 && t->keys[i]; i++) {
    const kd_value *v = kd_obj_gets(item, t->keys[i]);
    kd_value *slot;
    if (!v && !t->key_default[i]) {
      kd_value_clear(keyval);
      return kd_error_set(err, KD_EINVAL, "element %zu: associative list "
                          "with keys has an element that omits key field "
                          "\"%s\" (and doesn't have default value)", index,
                          t->keys[i]);
    }
    if (!(slot = kd_obj_add(keyval, t->keys[i], strlen(t->keys[i]))))
      return KD_ENOMEM;
    if (v ? kd_value_copy(slot, v)
          : kd_value_str(slot, t->key_default[i],
                         strlen(t->key_default[i])))
      return KD_ENOMEM;
  }
  qsort(keyval->u.obj.m, keyval->u.obj.len, sizeof *keyval->u.obj.m,
        key_fields_cmp);
  return KD_OK;
}

int sim_fields_item_path(const sim_schema *t, const kd_value *item,
                         size_t index, kd_buf *b)
{
  fs_node tmp;
  kd_error e = {0};
  int rc;
  memset(&tmp, 0, sizeof tmp);
  tmp.index = (int64_t)index;
  rc = sim_fields_item_pe(t, item, index, &tmp.kind, &tmp.val, &e);
  if (rc == KD_ENOMEM) return rc;
  if (rc) {                      /* no key to name it by: its index */
    kd_value_clear(&tmp.val);
    tmp.kind = PE_INDEX;
  }
  rc = pe_string(&tmp, b);
  kd_value_clear(&tmp.val);
  return rc;
}

static int to_set(const sim_schema *t, const kd_value *v, fs_node *node,
                  int strict, kd_error *err, int depth);

static int to_set_list(const sim_schema *t, const kd_value *v, fs_node *node,
                       int strict, kd_error *err, int depth)
{
  size_t i;
  for (i = 0; i < v->u.arr.len; i++) {
    const kd_value *item = &v->u.arr.items[i];
    pe_kind kind;
    kd_value kv;
    fs_node *c;
    int rc = sim_fields_item_pe(t, item, i, &kind, &kv, err);
    if (rc == KD_EINVAL && !strict) continue;
    if (rc) return rc;
    if (sim_fields_child(node, kind, NULL, 0, &kv, (int64_t)i, 0)) {
      if (!strict) {   /* a live object may hold duplicates */
        kd_value_clear(&kv);
        continue;
      }
      kd_buf b = {0};
      fs_node tmp = {0};
      tmp.kind = kind;
      tmp.val = kv;
      tmp.index = (int64_t)i;
      pe_string(&tmp, &b);
      kd_error_set(err, KD_EINVAL, "duplicate entries for key %s",
                   b.data ? b.data : "");
      kd_buf_free(&b);
      kd_value_clear(&kv);
      return KD_EINVAL;
    }
    c = sim_fields_child(node, kind, NULL, 0, &kv, (int64_t)i, 1);
    kd_value_clear(&kv);
    if (!c) return KD_ENOMEM;
    if ((rc = to_set(sim_schema_elem(t), item, c, strict, err, depth + 1))) {
      /* "[name=\"x\"].ports: ...": the item's element before the rest */
      if (rc == KD_EINVAL && err && strict) {
        char tmp[sizeof err->msg];
        kd_buf b = {0};
        snprintf(tmp, sizeof tmp, "%s", err->msg);
        if (pe_string(c, &b) == KD_OK)
          kd_error_set(err, KD_EINVAL, "%s%s%s", b.data,
                       tmp[0] == '.' ? "" : ": ", tmp);
        kd_buf_free(&b);
      }
      return rc;
    }
    c->member = 1;
  }
  return KD_OK;
}

static int to_set(const sim_schema *t, const kd_value *v, fs_node *node,
                  int strict, kd_error *err, int depth)
{
  size_t i;
  if (depth > 1000) return kd_error_set(err, KD_ERANGE, "nested too deeply");
  if (strict && t && v->type != KD_NULL &&
      ((t->kind == SCH_LIST && v->type != KD_ARR) ||
       ((t->kind == SCH_STRUCT || t->kind == SCH_MAP) &&
        v->type != KD_OBJ))) {
    /* the typed converter's words: "expected list, got &{...}" */
    kd_buf b = {0};
    int rc = sim_patch_gofmt(v, &b) ? KD_ENOMEM
             : kd_error_set(err, KD_EINVAL, "expected %s, got &{%s}",
                            t->kind == SCH_LIST ? "list" : "map",
                            b.data ? b.data : "");
    kd_buf_free(&b);
    return rc;
  }
  if (sim_schema_atomic(t, v)) {
    node->member = 1;
    return KD_OK;
  }
  if (v->type == KD_ARR) return to_set_list(t, v, node, strict, err, depth);
  for (i = 0; i < v->u.obj.len; i++) {
    const kd_member *m = &v->u.obj.m[i];
    const sim_schema *ct = sim_schema_child(t, m->key, m->klen, NULL);
    fs_node *c = sim_fields_child(node, PE_FIELD, m->key, m->klen, NULL, 0,
                                  1);
    int rc;
    if (!c) return KD_ENOMEM;
    if ((rc = to_set(ct, &m->val, c, strict, err, depth + 1))) {
      /* "PATH: what", innermost first like the typed converter says it */
      if (rc == KD_EINVAL && err && strict) {
        char tmp[sizeof err->msg];
        snprintf(tmp, sizeof tmp, "%s", err->msg);
        if (tmp[0] == '.' || tmp[0] == '[')
          kd_error_set(err, KD_EINVAL, ".%.*s%s", (int)m->klen, m->key, tmp);
        else
          kd_error_set(err, KD_EINVAL, ".%.*s: %s", (int)m->klen, m->key,
                       tmp);
      }
      return rc;
    }
    if (m->val.type == KD_NULL ||
        (m->val.type == KD_OBJ && m->val.u.obj.len == 0) ||
        !sim_schema_named(t, m->key, m->klen))
      c->member = 1;
  }
  return KD_OK;
}

int sim_fields_of(const sim_schema *t, const kd_value *v, int strict,
                  fs_node *out, kd_error *err)
{
  int rc;
  memset(out, 0, sizeof *out);
  kd_value_null(&out->val);
  if (v->type != KD_OBJ) return KD_OK;
  rc = to_set(t, v, out, strict, err, 0);
  out->member = 0;
  if (rc) sim_fields_clear(out);
  return rc;
}

/* ---- Compare -------------------------------------------------------- */
typedef struct {
  fs_node *added, *modified, *removed;
  kd_error *err;
} cmp_state;

static const kd_value empty_obj = {.type = KD_OBJ};
static const kd_value empty_arr = {.type = KD_ARR};

/* The node for the same path in a result set, created on demand. */
typedef struct pathref {
  const struct pathref *up;
  const fs_node *pe;   /* NULL at the root */
} pathref;

static fs_node *node_at(fs_node *root, const pathref *p)
{
  fs_node *parent;
  if (!root) return NULL;
  if (!p->pe) return root;
  if (!(parent = node_at(root, p->up))) return NULL;
  return child_like(parent, p->pe, 1);
}

static int compare(cmp_state *st, const sim_schema *t, const kd_value *l,
                   const kd_value *r, const pathref *p, int depth);

static int compare_item(cmp_state *st, const sim_schema *t,
                        const kd_value *l, const kd_value *r,
                        const pathref *p, const fs_node *pe, int depth)
{
  pathref cp = {p, pe};
  return compare(st, t, l, r, &cp, depth + 1);
}

static int compare_obj(cmp_state *st, const sim_schema *t, const kd_value *l,
                       const kd_value *r, const pathref *p, int depth)
{
  size_t i;
  fs_node pe = {0};
  int rc = KD_OK;
  pe.kind = PE_FIELD;
  for (i = 0; l && i < l->u.obj.len && !rc; i++) {
    const kd_member *m = &l->u.obj.m[i];
    int always;
    const sim_schema *ct = sim_schema_child(t, m->key, m->klen, &always);
    const kd_value *rv = r ? kd_obj_get(r, m->key, m->klen) : NULL;
    if (!rv && always && (m->val.type == KD_OBJ || m->val.type == KD_ARR))
      rv = m->val.type == KD_OBJ ? &empty_obj : &empty_arr;
    pe.name = m->key;
    pe.nlen = m->klen;
    rc = compare_item(st, ct, &m->val, rv, p, &pe, depth);
  }
  for (i = 0; r && i < r->u.obj.len && !rc; i++) {
    const kd_member *m = &r->u.obj.m[i];
    int always;
    const sim_schema *ct;
    const kd_value *lv = NULL;
    if (l && kd_obj_get(l, m->key, m->klen)) continue;
    ct = sim_schema_child(t, m->key, m->klen, &always);
    if (always && (m->val.type == KD_OBJ || m->val.type == KD_ARR))
      lv = m->val.type == KD_OBJ ? &empty_obj : &empty_arr;
    pe.name = m->key;
    pe.nlen = m->klen;
    rc = compare_item(st, ct, lv, &m->val, p, &pe, depth);
  }
  return rc;
}

static int compare_list(cmp_state *st, const sim_schema *t,
                        const kd_value *l, const kd_value *r,
                        const pathref *p, int depth)
{
  fs_node seen_l = {0}, seen_r = {0};
  const kd_value *sides[2] = {l, r};
  int s, rc = KD_OK;
  size_t i;
  kd_value_null(&seen_l.val);
  kd_value_null(&seen_r.val);
  /* index both sides by path element; the first of duplicates counts;
   * a node's index remembers the item's position */
  for (s = 0; s < 2 && !rc; s++) {
    fs_node *seen = s ? &seen_r : &seen_l;
    for (i = 0; sides[s] && i < sides[s]->u.arr.len && !rc; i++) {
      pe_kind kind;
      kd_value kv;
      if ((rc = sim_fields_item_pe(t, &sides[s]->u.arr.items[i], i, &kind,
                                   &kv, st->err)))
        break;
      if (!sim_fields_child(seen, kind, NULL, 0, &kv, (int64_t)i, 0) &&
          !sim_fields_child(seen, kind, NULL, 0, &kv, (int64_t)i, 1))
        rc = KD_ENOMEM;
      kd_value_clear(&kv);
    }
  }
  /* walk the union in path-element order */
  for (i = 0; i < seen_r.n && !rc; i++) {
    fs_node *rn = &seen_r.kids[i];
    fs_node *ln = child_like(&seen_l, rn, 0);
    rc = compare_item(st, sim_schema_elem(t),
                      ln ? &l->u.arr.items[ln->index] : NULL,
                      &r->u.arr.items[rn->index], p, rn, depth);
  }
  for (i = 0; i < seen_l.n && !rc; i++) {
    fs_node *ln = &seen_l.kids[i];
    if (child_like(&seen_r, ln, 0)) continue;
    rc = compare_item(st, sim_schema_elem(t), &l->u.arr.items[ln->index],
                      NULL, p, ln, depth);
  }
  sim_fields_clear(&seen_l);
  sim_fields_clear(&seen_r);
  return rc;
}

static int compare(cmp_state *st, const sim_schema *t, const kd_value *l,
                   const kd_value *r, const pathref *p, int depth)
{
  const kd_value *shape = r ? r : l;
  int rc;
  if (depth > 1000) return kd_error_set(st->err, KD_ERANGE, "too deep");
  /* null and absent are the same nil in a typed object (a non-pointer
   * Time marshals as null: metadata.creationTimestamp) */
  if ((!l && r->type == KD_NULL) || (!r && l->type == KD_NULL)) return KD_OK;
  /* null on one side is an empty value of the other side's shape */
  if (l && r && l->type == KD_NULL && (r->type == KD_OBJ || r->type == KD_ARR)
      && !sim_schema_atomic(t, r))
    l = r->type == KD_OBJ ? &empty_obj : &empty_arr;
  if (l && r && r->type == KD_NULL && (l->type == KD_OBJ || l->type == KD_ARR)
      && !sim_schema_atomic(t, l))
    r = l->type == KD_OBJ ? &empty_obj : &empty_arr;
  if (sim_schema_atomic(t, shape) || (l && r && l->type != r->type) ||
      (shape->type == KD_OBJ && shape->u.obj.len == 0 &&
       (!l || (l->type == KD_OBJ && l->u.obj.len == 0))) ||
      (shape->type == KD_ARR && shape->u.arr.len == 0 &&
       (!l || (l->type == KD_ARR && l->u.arr.len == 0)))) {
    /* a leaf: scalars, atomic values, and empty maps or lists */
    fs_node *set = !l ? st->added : !r ? st->removed
                 : !kd_value_equal(l, r) ? st->modified : NULL;
    if (set && p->pe) {
      fs_node *n = node_at(set, p);
      if (!n) return KD_ENOMEM;
      n->member = 1;
    }
    return KD_OK;
  }
  if (shape->type == KD_ARR)
    rc = compare_list(st, t, l, r, p, depth);
  else
    rc = compare_obj(st, t, l, r, p, depth);
  if (rc) return rc;
  if (p->pe && (!l || !r)) {
    fs_node *set = !l ? st->added : st->removed;
    fs_node *n = set ? node_at(set, p) : NULL;
    if (set && !n) return KD_ENOMEM;
    if (n) n->member = 1;
  }
  return KD_OK;
}

int sim_fields_compare(const sim_schema *t, const kd_value *old,
                       const kd_value *nv, fs_node *added,
                       fs_node *modified, fs_node *removed, kd_error *err)
{
  cmp_state st = {added, modified, removed, err};
  pathref root = {NULL, NULL};
  fs_node *sets[3] = {added, modified, removed};
  int i, rc;
  for (i = 0; i < 3; i++)
    if (sets[i]) {
      memset(sets[i], 0, sizeof *sets[i]);
      kd_value_null(&sets[i]->val);
    }
  rc = compare(&st, t, old ? old : &empty_obj, nv ? nv : &empty_obj, &root,
               0);
  for (i = 0; i < 3; i++)
    if (sets[i]) {
      sets[i]->member = 0;
      if (rc) sim_fields_clear(sets[i]);
      else prune_empty(sets[i]);
    }
  return rc;
}

/* ---- EnsureNamedFieldsAreMembers ------------------------------------ */
static int ensure(const sim_schema *t, fs_node *s, int depth)
{
  size_t i;
  if (depth > 1000) return KD_ERANGE;
  for (i = 0; i < s->n; i++) {
    fs_node *c = &s->kids[i];
    const sim_schema *ct;
    if (c->kind == PE_FIELD) {
      ct = sim_schema_child(t, c->name, c->nlen, NULL);
      if ((!t || t->kind == SCH_STRUCT) && sim_schema_named(t, c->name,
                                                            c->nlen))
        c->member = 1;
    } else {
      ct = sim_schema_elem(t);
    }
    if (ensure(ct, c, depth + 1)) return KD_ERANGE;
  }
  return KD_OK;
}

int sim_fields_ensure_named(const sim_schema *t, fs_node *s)
{
  return ensure(t, s, 0);
}
