/* engine/tpl/tpl_set.c: template sets (Go's Template with its associated
 * templates): the function table, parse units, the name -> template map
 * with Go's replacement rules, overlays for Helm's `tpl`, and the public
 * set API. */
#include "tpl_ast.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- deep recursion ----------------------------------------------------- */

typedef struct deep_call { void (*fn)(void *); void *arg; } deep_call;

static void *deep_main(void *p)
{
  deep_call *d = p;
  d->fn(d->arg);
  return NULL;
}

int tpl_run_deep(void (*fn)(void *), void *arg)
{
  pthread_attr_t attr;
  pthread_t th;
  deep_call d;
  int rc;
  d.fn = fn;
  d.arg = arg;
  if (pthread_attr_init(&attr) != 0) return -1;
  pthread_attr_setstacksize(&attr, TPL_DEEP_STACK);
  rc = pthread_create(&th, &attr, deep_main, &d);
  pthread_attr_destroy(&attr);
  if (rc != 0) return -1;
  pthread_join(th, NULL);
  return 0;
}

/* ---- arena -------------------------------------------------------------- */

struct arena_chunk {
  arena_chunk *next;
  size_t size;
  max_align_t data[];
};

void *arena_alloc(arena *a, size_t n)
{
  size_t align = sizeof(max_align_t), need;
  char *p;
  if (n > ((size_t)1 << 40)) return NULL;
  n = (n + align - 1) / align * align;
  if (!a->head || a->used + n > a->size) {
    size_t size = n > 8192 ? n : 8192;
    arena_chunk *c = malloc(sizeof *c + size);
    if (!c) return NULL;
    c->next = a->head;
    c->size = size;
    a->head = c;
    a->used = 0;
    a->size = size;
  }
  need = a->used;
  a->used += n;
  p = (char *)a->head->data + need;
  return p;
}

void arena_free(arena *a)
{
  arena_chunk *c = a->head;
  while (c) {
    arena_chunk *next = c->next;
    free(c);
    c = next;
  }
  a->head = NULL;
  a->used = a->size = 0;
}

/* ---- hash table --------------------------------------------------------- */

static size_t hash(const char *s, size_t n)
{
  size_t h = 1469598103934665603u, i;   /* FNV-1a */
  for (i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211u;
  return h;
}

void *htab_get(const htab *h, const char *key, size_t klen)
{
  size_t i;
  if (!h->cap) return NULL;
  for (i = hash(key, klen) & (h->cap - 1);; i = (i + 1) & (h->cap - 1)) {
    const hslot *s = &h->slots[i];
    if (!s->key) return NULL;
    if (s->klen == klen && memcmp(s->key, key, klen) == 0) return s->val;
  }
}

hslot *htab_slot(const htab *h, const char *key, size_t klen)
{
  size_t i;
  if (!h->cap) return NULL;
  for (i = hash(key, klen) & (h->cap - 1);; i = (i + 1) & (h->cap - 1)) {
    hslot *s = &h->slots[i];
    if (!s->key) return NULL;
    if (s->klen == klen && memcmp(s->key, key, klen) == 0) return s;
  }
}

static int htab_grow(htab *h)
{
  size_t ncap = h->cap ? h->cap * 2 : 64, i;
  hslot *ns = calloc(ncap, sizeof *ns);
  if (!ns) return KD_ENOMEM;
  for (i = 0; i < h->cap; i++) {
    hslot *s = &h->slots[i];
    size_t j;
    if (!s->key) continue;
    for (j = hash(s->key, s->klen) & (ncap - 1); ns[j].key; j = (j + 1) & (ncap - 1)) {
    }
    ns[j] = *s;
  }
  free(h->slots);
  h->slots = ns;
  h->cap = ncap;
  return KD_OK;
}

void *htab_put(htab *h, const char *key, size_t klen, void *val, int *oom)
{
  size_t i;
  *oom = 0;
  if ((h->n + 1) * 4 > h->cap * 3 && htab_grow(h) != KD_OK) {
    *oom = 1;
    return NULL;
  }
  for (i = hash(key, klen) & (h->cap - 1);; i = (i + 1) & (h->cap - 1)) {
    hslot *s = &h->slots[i];
    if (!s->key) {
      s->key = key;
      s->klen = klen;
      s->val = val;
      h->n++;
      return NULL;
    }
    if (s->klen == klen && memcmp(s->key, key, klen) == 0) {
      void *old = s->val;
      s->key = key;   /* the new owner's copy of the key */
      s->val = val;
      return old;
    }
  }
}

void htab_free(htab *h)
{
  free(h->slots);
  h->slots = NULL;
  h->cap = h->n = 0;
}

/* ---- units and trees ---------------------------------------------------- */

void unit_release(unit *u)
{
  size_t i;
  if (!u || --u->rc > 0) return;
  for (i = 0; i < u->nstrs; i++) tpl_unref(u->strs[i]);
  free(u->strs);
  arena_free(&u->mem);
  free(u->text);
  free(u->name);
  free(u);
}

static unit *unit_new(const char *name, size_t nlen, const char *text,
                      size_t len)
{
  unit *u = calloc(1, sizeof *u);
  if (!u) return NULL;
  u->rc = 1;
  u->name = kd_strndup(name, nlen);
  u->text = malloc(len + 1);
  if (!u->name || !u->text) {
    unit_release(u);
    return NULL;
  }
  u->nlen = nlen;
  if (len) memcpy(u->text, text, len);
  u->text[len] = 0;
  u->len = len;
  return u;
}

void unit_position(const unit *u, size_t pos, int *line, int *col)
{
  size_t i, last = (size_t)-1;
  int l = 1;
  if (pos > u->len) pos = u->len;
  for (i = 0; i < pos; i++)
    if (u->text[i] == '\n') {
      l++;
      last = i;
    }
  *line = l;
  *col = (int)(last == (size_t)-1 ? pos : pos - last - 1);
}

/* bytes.TrimSpace(s) is empty: every rune is a Unicode space. */
static int all_space(const char *s, size_t n)
{
  size_t i = 0;
  while (i < n) {
    unsigned char c = (unsigned char)s[i];
    if (c == ' ' || (c >= '\t' && c <= '\r')) { i++; continue; }
    if (c == 0xC2 && i + 1 < n &&
        ((unsigned char)s[i + 1] == 0x85 || (unsigned char)s[i + 1] == 0xA0)) {
      i += 2;
      continue;
    }
    if (i + 2 < n) {
      unsigned c1 = (unsigned char)s[i + 1], c2 = (unsigned char)s[i + 2];
      unsigned r = ((c & 0x0Fu) << 12) | ((c1 & 0x3Fu) << 6) | (c2 & 0x3Fu);
      if ((c & 0xF0) == 0xE0 && (c1 & 0xC0) == 0x80 && (c2 & 0xC0) == 0x80 &&
          (r == 0x1680 || (r >= 0x2000 && r <= 0x200A) || r == 0x2028 ||
           r == 0x2029 || r == 0x202F || r == 0x205F || r == 0x3000)) {
        i += 3;
        continue;
      }
    }
    return 0;
  }
  return 1;
}

int tree_is_empty(const node *n)
{
  size_t i;
  if (!n) return 1;
  switch (n->type) {
  case N_COMMENT: return 1;
  case N_LIST:
    for (i = 0; i < n->u.list.n; i++)
      if (!tree_is_empty(n->u.list.items[i])) return 0;
    return 1;
  case N_TEXT: return all_space(n->u.text.s, n->u.text.len);
  default: return 0;
  }
}

void tmpl_release(tmpl *t)
{
  if (!t) return;
  unit_release(t->u);
  free(t->name);
  free(t);
}

/* ---- functions ---------------------------------------------------------- */

int fn_parse_sig(fn_entry *e, const char *sig)
{
  size_t i, n = sig ? strlen(sig) : 0;
  e->nparams = 0;
  e->variadic = 0;
  for (i = 0; i < n; i++) {
    char c = sig[i];
    if (c == '*' && i == n - 1 && e->nparams > 0) {
      e->variadic = 1;
      continue;
    }
    if (!strchr("asiIufblmv", c) || e->nparams >= FN_MAX_PARAMS) return 0;
    e->params[e->nparams++] = c;
  }
  return 1;
}

static int add_funcs(tpl_set *s, const tpl_func_def *defs, int builtin,
                     kd_error *err)
{
  size_t i;
  for (i = 0; defs[i].name; i++) {
    fn_entry *e = &s->fnv[s->nfn];
    int oom;
    e->name = defs[i].name;
    e->nlen = strlen(defs[i].name);
    e->fn = defs[i].fn;
    e->id = FN_PLAIN;
    if (builtin) {
      /* the builtin table's fn pointer is NULL for Go builtins; their id
       * is their position (tpl_builtin_defs follows the FN_ enum order) */
      e->id = (int)i + 1;
    }
    if (!fn_parse_sig(e, defs[i].sig))
      return kd_error_set(err, KD_EINVAL, "template: bad signature %s for %s",
                          defs[i].sig ? defs[i].sig : "(null)", defs[i].name);
    htab_put(&s->funcs, e->name, e->nlen, e, &oom);
    if (oom) return kd_error_set(err, KD_ENOMEM, "template: out of memory");
    if (e->nlen == 5 && memcmp(e->name, "break", 5) == 0) s->has_break = 1;
    if (e->nlen == 8 && memcmp(e->name, "continue", 8) == 0) s->has_continue = 1;
    s->nfn++;
  }
  return KD_OK;
}

static size_t count_defs(const tpl_func_def *defs)
{
  size_t n = 0;
  while (defs[n].name) n++;
  return n;
}

const fn_entry *set_find_func(const tpl_set *s, const char *name, size_t len)
{
  return htab_get(&s->root->funcs, name, len);
}

/* ---- sets --------------------------------------------------------------- */

tpl_set *tpl_set_new(const tpl_options *opt, kd_error *err)
{
  tpl_set *s = calloc(1, sizeof *s);
  size_t total, i, nbuiltin;
  int rc;
  if (!s) {
    kd_error_set(err, KD_ENOMEM, "template: out of memory");
    return NULL;
  }
  if (opt) s->opt = *opt;
  s->root = s;
  s->ldelim = s->opt.left_delim;
  s->rdelim = s->opt.right_delim;
  /* Go builtins and Helm's executor functions, the library on top, Helm's
   * functions on top of that (they replace Sprig's fail, as in Helm) */
  nbuiltin = count_defs(tpl_builtin_defs);
  total = nbuiltin * 2;
  for (i = 0; s->opt.funcs && s->opt.funcs[i]; i++)
    total += count_defs(s->opt.funcs[i]);
  s->fnv = calloc(total ? total : 1, sizeof *s->fnv);
  if (!s->fnv) {
    free(s);
    kd_error_set(err, KD_ENOMEM, "template: out of memory");
    return NULL;
  }
  rc = add_funcs(s, tpl_builtin_defs, 1, err);
  for (i = 0; rc == KD_OK && s->opt.funcs && s->opt.funcs[i]; i++)
    rc = add_funcs(s, s->opt.funcs[i], 0, err);
  if (rc == KD_OK && s->opt.funcs) {
    /* re-add the Helm executor functions so the library cannot shadow them */
    const tpl_func_def *helm = tpl_builtin_defs;
    size_t first = FN_INCLUDE - 1;
    size_t at = s->nfn;
    rc = add_funcs(s, helm + first, 1, err);
    for (i = at; rc == KD_OK && i < s->nfn; i++) s->fnv[i].id += (int)first;
  }
  if (rc != KD_OK) {
    tpl_set_free(s);
    return NULL;
  }
  return s;
}

static void free_tmpls(htab *h)
{
  size_t i;
  for (i = 0; i < h->cap; i++)
    if (h->slots[i].key) tmpl_release(h->slots[i].val);
  htab_free(h);
}

void tpl_set_free(tpl_set *s)
{
  if (!s) return;
  free_tmpls(&s->tmpls);
  if (s->root == s) {
    htab_free(&s->funcs);
    free(s->fnv);
  }
  kd_buf_free(&s->err);
  free(s);
}

tpl_set *set_overlay_new(tpl_set *parent)
{
  tpl_set *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->opt = parent->opt;
  s->ldelim = parent->ldelim;
  s->rdelim = parent->rdelim;
  s->parent = parent;
  s->root = parent->root;
  return s;
}

void set_overlay_free(tpl_set *s) { tpl_set_free(s); }

tmpl *set_lookup(const tpl_set *s, const char *name, size_t len)
{
  for (; s; s = s->parent) {
    tmpl *t = htab_get(&s->tmpls, name, len);
    if (t) return t;
  }
  return NULL;
}

/* Go's Template.associate: a new definition replaces the old one, except
 * that an empty one never replaces a non-empty one. Takes T. */
static int associate(tpl_set *s, tmpl *t)
{
  tmpl *old = htab_get(&s->tmpls, t->name, t->nlen);
  int oom;
  if (old && tree_is_empty(t->root) && !tree_is_empty(old->root)) {
    tmpl_release(t);
    return KD_OK;
  }
  old = htab_put(&s->tmpls, t->name, t->nlen, t, &oom);
  if (oom) {
    tmpl_release(t);
    return KD_ENOMEM;
  }
  tmpl_release(old);
  return KD_OK;
}

static tmpl *tmpl_new(unit *u, const char *name, size_t nlen, node *root)
{
  tmpl *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->name = kd_strndup(name, nlen);
  if (!t->name) {
    free(t);
    return NULL;
  }
  t->nlen = nlen;
  t->root = root;
  t->u = u;
  u->rc++;
  return t;
}

int set_parse(tpl_set *s, const char *name, size_t nlen, const char *text,
              size_t len, tmpl **main, kd_buf *errb)
{
  unit *u = unit_new(name, nlen, text, len);
  ptree *trees = NULL;
  size_t ntrees = 0, i;
  int rc;
  if (main) *main = NULL;
  if (!u) {
    kd_buf_adds(errb, "template: out of memory");
    return KD_ENOMEM;
  }
  rc = tpl_parse_unit(u, s, &trees, &ntrees, errb);
  for (i = 0; rc == KD_OK && i < ntrees; i++) {
    tmpl *t = tmpl_new(u, trees[i].name.s, trees[i].name.len, trees[i].root);
    int is_main = trees[i].name.len == nlen &&
                  memcmp(trees[i].name.s, name, nlen) == 0;
    if (!t) {
      rc = KD_ENOMEM;
      break;
    }
    if (is_main && main) {
      /* the caller executes this tree even if the set keeps an older one */
      tmpl *keep = tmpl_new(u, name, nlen, trees[i].root);
      if (!keep) {
        tmpl_release(t);
        rc = KD_ENOMEM;
        break;
      }
      *main = keep;
    }
    rc = associate(s, t);
  }
  if (rc == KD_ENOMEM) kd_buf_adds(errb, "template: out of memory");
  unit_release(u);
  return rc;
}

/* ---- public API --------------------------------------------------------- */

static int set_error(tpl_set *s, int rc, kd_error *err)
{
  kd_error_set(err, rc, "%s", s->err.data ? s->err.data : "template error");
  return rc;
}

int tpl_set_parse(tpl_set *s, const char *name, const char *text, size_t len,
                  kd_error *err)
{
  int rc;
  s->err.len = 0;
  rc = set_parse(s, name, strlen(name), text, len, NULL, &s->err);
  if (rc != KD_OK) return set_error(s, rc, err);
  return KD_OK;
}

const char *tpl_set_root_name(const tpl_set *s)
{
  return s->opt.name && *s->opt.name ? s->opt.name : "gotpl";
}

int tpl_set_has(const tpl_set *s, const char *name)
{
  return set_lookup(s, name, strlen(name)) != NULL;
}

const char *tpl_set_error(const tpl_set *s)
{
  return s->err.data ? s->err.data : "";
}
