/* engine/tpl/tpl_exec.c: the template executor: Go's text/template exec.go
 * over tpl_val: errors with Go's positions, variables, pipelines, walking
 * the tree (text, actions, if/with/range, template calls), the entry
 * points. Commands, fields and calls are evaluated in tpl_eval.c. */
#include "tpl_ast.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EXEC_DEPTH 100000   /* Go's maxExecDepth */
#define MAX_NESTED_HOPS 2000    /* beyond Go's own limits: a hard bound */

enum { R_BREAK = 1, R_CONTINUE = 2 };

/* ---- values ------------------------------------------------------------- */

/* Elements of []interface{} and map[string]interface{} have the static
 * type interface{}; those of []string, []int, map[string]string do not. */
int elem_flags(tpl_val container)
{
  if (container.kind == TPL_LIST) return container.sub == TPL_ELEM_ANY ? EV_IFACE : 0;
  if (container.kind == TPL_MAP) return container.sub != TPL_MAPV_STR ? EV_IFACE : 0;
  return 0;
}

int ev_truth(const ev *v) { return tpl_truth(v->v); }

const char *ev_type_name(const ev *v)
{
  if (v->v.kind == TPL_NIL && (v->flags & EV_IFACE)) return "interface {}";
  return tpl_type_name(v->v);
}

/* ---- errors ------------------------------------------------------------- */

kd_buf *exec_errbuf(frame *f) { return &f->x->err; }
kd_buf *exec_errbuf_of(exec_state *x) { return &x->err; }

/* Wraps the message in x->err with Go's location prefix. */
int exec_wrap(frame *f)
{
  exec_state *x = f->x;
  kd_buf b = {0};
  kd_buf_adds(&b, "template: ");
  if (f->at) {
    int line, col;
    unit_position(f->at->src, f->at->pos, &line, &col);
    kd_buf_add(&b, f->at->src->name, f->at->src->nlen);
    kd_buf_printf(&b, ":%d:%d: executing ", line, col);
    go_quote(&b, f->t->name, f->t->nlen);
    kd_buf_adds(&b, " at <");
    node_string(&b, f->at);
    kd_buf_adds(&b, ">: ");
  } else {
    kd_buf_add(&b, f->t->name, f->t->nlen);
    kd_buf_adds(&b, ": ");
  }
  if (x->err.data) kd_buf_add(&b, x->err.data, x->err.len);
  kd_buf_free(&x->err);
  x->err = b;
  return KD_EEXEC;
}

int exec_fail_buf(frame *f) { return exec_wrap(f); }

int exec_fail(frame *f, const char *fmt, ...)
{
  va_list ap;
  char small[256];
  int n;
  f->x->err.len = 0;
  va_start(ap, fmt);
  n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n >= 0 && (size_t)n < sizeof small) {
    kd_buf_add(&f->x->err, small, (size_t)n);
  } else if (n >= 0 && kd_buf_reserve(&f->x->err, (size_t)n + 1) == KD_OK) {
    va_start(ap, fmt);
    vsnprintf(f->x->err.data, (size_t)n + 1, fmt, ap);
    va_end(ap);
    f->x->err.len = (size_t)n;
  }
  return exec_wrap(f);
}

int exec_oom(frame *f)
{
  f->x->err.len = 0;
  kd_buf_adds(&f->x->err, "template: out of memory");
  return KD_ENOMEM;
}

/* A message of the form PREFIX NODE SUFFIX (node in Go's String form). */
int exec_fail_node(frame *f, const char *prefix, const node *n,
                     const char *suffix)
{
  kd_buf *b = &f->x->err;
  b->len = 0;
  kd_buf_adds(b, prefix);
  node_string(b, n);
  kd_buf_adds(b, suffix);
  return exec_wrap(f);
}

/* PREFIX "QUOTED" */
int exec_fail_quoted(frame *f, const char *prefix, const char *s, size_t n)
{
  kd_buf *b = &f->x->err;
  b->len = 0;
  kd_buf_adds(b, prefix);
  go_quote(b, s, n);
  return exec_wrap(f);
}

/* PREFIX %v-of-V SUFFIX */
static int fail_value(frame *f, const char *prefix, const ev *v,
                      const char *suffix)
{
  kd_buf *b = &f->x->err;
  b->len = 0;
  kd_buf_adds(b, prefix);
  if (v->v.kind == TPL_NIL) kd_buf_adds(b, "<nil>");
  else tpl_fmt_v(b, v->v);
  kd_buf_adds(b, suffix);
  return exec_wrap(f);
}

/* ---- variables ---------------------------------------------------------- */

static int push_var(frame *f, const char *name, size_t len, const ev *v)
{
  exec_state *x = f->x;
  if (x->nvars == x->capvars) {
    size_t ncap = x->capvars ? x->capvars * 2 : 32;
    exec_var *nv = realloc(x->vars, ncap * sizeof *nv);
    if (!nv) return exec_oom(f);
    x->vars = nv;
    x->capvars = ncap;
  }
  x->vars[x->nvars].name = name;
  x->vars[x->nvars].len = len;
  x->vars[x->nvars].v = ev_copy(v);
  x->nvars++;
  return KD_OK;
}

static void pop_vars(frame *f, size_t mark)
{
  exec_state *x = f->x;
  while (x->nvars > mark) ev_drop(&x->vars[--x->nvars].v);
}

exec_var *exec_find_var(frame *f, const char *name, size_t len)
{
  exec_state *x = f->x;
  size_t i = x->nvars;
  while (i > f->vbase) {
    exec_var *v = &x->vars[--i];
    if (v->len == len && memcmp(v->name, name, len) == 0) return v;
  }
  return NULL;
}

int exec_undefined_var(frame *f, const char *name, size_t len)
{
  kd_buf *b = &f->x->err;
  b->len = 0;
  kd_buf_adds(b, "undefined variable: ");
  kd_buf_add(b, name, len);
  return exec_wrap(f);
}

static int set_var(frame *f, const char *name, size_t len, const ev *v)
{
  exec_var *vr = exec_find_var(f, name, len);
  if (!vr) return exec_undefined_var(f, name, len);
  ev_drop(&vr->v);
  vr->v = ev_copy(v);
  return KD_OK;
}

static void set_top_var(frame *f, size_t n, const ev *v)
{
  exec_var *vr = &f->x->vars[f->x->nvars - n];
  ev_drop(&vr->v);
  vr->v = ev_copy(v);
}

/* ---- deep recursion: continue on a fresh stack -------------------------- */

typedef struct hop {
  int (*fn)(struct hop *);
  frame *f;
  const ev *dot;
  const node *n;
  ev *out;
  int rc;
} hop;

static void hop_main(void *arg)
{
  hop *h = arg;
  h->rc = h->fn(h);
}

/* Runs H, on a fresh stack when the recursion level says this one has
 * been used for a while. */
static int maybe_hop(hop *h)
{
  exec_state *x = h->f->x;
  int rc;
  if (x->root->opt.max_steps && ++x->steps > x->root->opt.max_steps)
    return exec_fail(h->f, "execution stopped after %ld steps", x->steps - 1);
  if (++x->level % TPL_DEEP_EVERY != 0) {
    rc = h->fn(h);
    x->level--;
    return rc;
  }
  if (x->hops >= MAX_NESTED_HOPS) {
    x->level--;
    return exec_fail(h->f, "template nesting too deep");
  }
  x->hops++;
  rc = tpl_run_deep(hop_main, h);
  x->hops--;
  x->level--;
  if (rc != 0) return exec_fail(h->f, "template nesting too deep");
  return h->rc;
}

static int pipeline_body(hop *h)
{
  frame *f = h->f;
  const node *pipe = h->n;
  ev value = ev_invalid();
  size_t i;
  int rc = KD_OK;
  f->at = pipe;
  for (i = 0; i < pipe->u.pipe.ncmds; i++) {
    ev v;
    rc = exec_command(f, h->dot, pipe->u.pipe.cmds[i], i ? &value : NULL, &v);
    ev_drop(&value);
    if (rc != KD_OK) return rc;
    value = v;
    value.flags &= ~EV_IFACE;   /* interface{} results: the value inside */
  }
  for (i = 0; i < pipe->u.pipe.ndecl; i++) {
    const ident *d = &pipe->u.pipe.decl[i];
    rc = pipe->u.pipe.is_assign ? set_var(f, d->s, d->len, &value)
                                : push_var(f, d->s, d->len, &value);
    if (rc != KD_OK) {
      ev_drop(&value);
      return rc;
    }
  }
  *h->out = value;
  return KD_OK;
}

int exec_pipeline(frame *f, const ev *dot, const node *pipe, ev *out)
{
  hop h;
  *out = ev_invalid();
  if (!pipe) return KD_OK;
  h.fn = pipeline_body;
  h.f = f;
  h.dot = dot;
  h.n = pipe;
  h.out = out;
  return maybe_hop(&h);
}

/* ---- walking ------------------------------------------------------------ */

static int walk(frame *f, const ev *dot, const node *n);

static int print_value(frame *f, const node *n, const ev *v)
{
  kd_buf *out = f->out;
  f->at = n;
  switch (v->v.kind) {
  case TPL_NIL: return kd_buf_add(out, "<no value>", 10) == KD_OK ? KD_OK : exec_oom(f);
  case TPL_STR:
    if (v->v.sub == TPL_STR_BYTES) break;   /* []byte prints as a list */
    return kd_buf_add(out, tpl_sdata(v->v), tpl_slen(v->v)) == KD_OK ? KD_OK
                                                                     : exec_oom(f);
  case TPL_OBJ:   /* a Stringer prints String(); pointers print indirected */
    return tpl_obj_print_direct(v->v, out) == KD_OK ? KD_OK : exec_oom(f);
  default:
    break;
  }
  return tpl_fmt_v(out, v->v) == KD_OK ? KD_OK : exec_oom(f);
}

static int walk_if_with(frame *f, const ev *dot, const node *n)
{
  size_t mark = f->x->nvars;
  ev val;
  int rc = exec_pipeline(f, dot, n->u.ctl.pipe, &val);
  if (rc == KD_OK) {
    if (ev_truth(&val))
      rc = walk(f, n->type == N_WITH ? &val : dot, n->u.ctl.list);
    else if (n->u.ctl.elist)
      rc = walk(f, dot, n->u.ctl.elist);
  }
  ev_drop(&val);
  pop_vars(f, mark);
  return rc;
}

/* One range iteration: sets the variables, walks the body. */
static int range_step(frame *f, const node *r, size_t mark, const ev *index,
                      const ev *elem)
{
  const node *pipe = r->u.ctl.pipe;
  int rc = KD_OK;
  if (pipe->u.pipe.ndecl > 0) {
    const ident *d0 = &pipe->u.pipe.decl[0];
    if (pipe->u.pipe.is_assign)
      rc = set_var(f, d0->s, d0->len, pipe->u.pipe.ndecl > 1 ? index : elem);
    else
      set_top_var(f, 1, elem);
  }
  if (rc == KD_OK && pipe->u.pipe.ndecl > 1) {
    const ident *d1 = &pipe->u.pipe.decl[1];
    if (pipe->u.pipe.is_assign) rc = set_var(f, d1->s, d1->len, elem);
    else set_top_var(f, 2, index);
  }
  if (rc == KD_OK) rc = walk(f, elem, r->u.ctl.list);
  pop_vars(f, mark);
  if (rc == R_CONTINUE) rc = KD_OK;
  return rc;
}

static int range_map(frame *f, const node *r, size_t mark, const ev *val,
                     int *ran)
{
  size_t n = tpl_map_len(val->v), i, klen, total = 0;
  int two = r->u.ctl.pipe->u.pipe.ndecl > 1, rc = KD_OK;
  tpl_val *vals;
  char *keys = NULL;
  size_t *koff = NULL;
  if (n == 0) return KD_OK;
  *ran = 1;
  /* iterate over a snapshot, as Go does (the body may change the map) */
  vals = malloc(n * sizeof *vals);
  if (!vals) return exec_oom(f);
  if (two) {
    for (i = 0; i < n; i++) {
      tpl_map_key_at(val->v, i, &klen);
      total += klen;
    }
    keys = malloc(total + 1);
    koff = malloc((n + 1) * sizeof *koff);
    if (!keys || !koff) {
      free(vals);
      free(keys);
      free(koff);
      return exec_oom(f);
    }
    total = 0;
    for (i = 0; i < n; i++) {
      const char *k = tpl_map_key_at(val->v, i, &klen);
      koff[i] = total;
      memcpy(keys + total, k, klen);
      total += klen;
    }
    koff[n] = total;
  }
  for (i = 0; i < n; i++) vals[i] = tpl_ref(tpl_map_val_at(val->v, i));
  for (i = 0; i < n && rc == KD_OK; i++) {
    ev elem = ev_of(vals[i], elem_flags(val->v)), key = ev_invalid();
    if (two && tpl_str_new(&key.v, keys + koff[i], koff[i + 1] - koff[i]) != KD_OK) {
      rc = exec_oom(f);
      break;
    }
    rc = range_step(f, r, mark, &key, &elem);
    ev_drop(&key);
  }
  for (i = 0; i < n; i++) tpl_unref(vals[i]);
  free(vals);
  free(keys);
  free(koff);
  return rc;
}

static int walk_range(frame *f, const ev *dot, const node *r)
{
  size_t mark0 = f->x->nvars, mark, i;
  const node *pipe = r->u.ctl.pipe;
  ev val;
  int rc, ran = 0;
  f->at = r;
  rc = exec_pipeline(f, dot, pipe, &val);
  if (rc != KD_OK) goto done;
  mark = f->x->nvars;
  if (val.v.kind == TPL_OBJ) {   /* a named map or slice type (.Files) */
    tpl_val items;
    int got = tpl_collection(val.v, &items);
    if (got < 0) {
      rc = exec_oom(f);
      goto done;
    }
    if (got) {
      ev_drop(&val);
      val = ev_of(items, 0);
    }
  }
  switch (val.v.kind) {
  case TPL_INT: {
    int64_t n = val.v.u.i;
    if (pipe->u.pipe.ndecl > 1) {
      rc = fail_value(f, "can't use ", &val, " to iterate over more than one variable");
      break;
    }
    for (i = 0; (int64_t)i < n && rc == KD_OK; i++) {
      ev elem = ev_of(tpl_int((int64_t)i), 0);
      ev none = ev_invalid();
      elem.v.sub = val.v.sub;   /* range over an int yields its own type */
      ran = 1;
      rc = range_step(f, r, mark, &none, &elem);
    }
    break;
  }
  case TPL_LIST: {
    size_t n = tpl_list_len(val.v);
    int flags = elem_flags(val.v);
    for (i = 0; i < n && rc == KD_OK; i++) {
      ev elem = ev_of(tpl_list_at(val.v, i), flags);
      ev index = ev_of(tpl_int((int64_t)i), 0);
      ran = 1;
      rc = range_step(f, r, mark, &index, &elem);
    }
    break;
  }
  case TPL_MAP: rc = range_map(f, r, mark, &val, &ran); break;
  case TPL_STR:
    if (val.v.sub != TPL_STR_BYTES) goto cannot;
    for (i = 0; i < tpl_slen(val.v) && rc == KD_OK; i++) {   /* []uint8 */
      ev elem = ev_of(tpl_int((unsigned char)tpl_sdata(val.v)[i]), 0);
      ev index = ev_of(tpl_int((int64_t)i), 0);
      elem.v.sub = TPL_GO_UINT8;
      ran = 1;
      rc = range_step(f, r, mark, &index, &elem);
    }
    break;
  case TPL_NIL: break;   /* nil acts like an empty collection */
  default:
  cannot:
    rc = fail_value(f, "range can't iterate over ", &val, "");
    break;
  }
  if (rc == R_BREAK) rc = KD_OK;
  else if (rc == KD_OK && !ran && r->u.ctl.elist) rc = walk(f, dot, r->u.ctl.elist);
done:
  ev_drop(&val);
  pop_vars(f, mark0);
  return rc;
}

/* Runs template T in a new frame with DOT (Go's state for it). */
static int run_frame(frame *parent, exec_state *x, tpl_set *set,
                     const tmpl *t, const ev *dot, kd_buf *out, int depth)
{
  frame nf;
  size_t mark = x->nvars;
  int rc;
  memset(&nf, 0, sizeof nf);
  nf.x = x;
  nf.set = set;
  nf.t = t;
  nf.out = out;
  nf.depth = depth;
  nf.vbase = mark;
  (void)parent;
  rc = push_var(&nf, "$", 1, dot);
  if (rc == KD_OK) rc = walk(&nf, dot, t->root);
  pop_vars(&nf, mark);
  if (rc == R_BREAK || rc == R_CONTINUE) rc = KD_OK;
  return rc;
}

static int walk_template(frame *f, const ev *dot, const node *n)
{
  const tmpl *t;
  ev newdot;
  int rc;
  f->at = n;
  t = set_lookup(f->set, n->u.tmpl.name.s, n->u.tmpl.name.len);
  if (!t) {
    kd_buf *b = &f->x->err;
    b->len = 0;
    kd_buf_adds(b, "template ");
    go_quote(b, n->u.tmpl.name.s, n->u.tmpl.name.len);
    kd_buf_adds(b, " not defined");
    return exec_wrap(f);
  }
  if (f->depth == MAX_EXEC_DEPTH)
    return exec_fail(f, "exceeded maximum template depth (%d)", MAX_EXEC_DEPTH);
  rc = exec_pipeline(f, dot, n->u.tmpl.pipe, &newdot);
  if (rc != KD_OK) return rc;
  rc = run_frame(f, f->x, f->set, t, &newdot, f->out, f->depth + 1);
  ev_drop(&newdot);
  return rc;
}

static int walk_body(hop *h)
{
  frame *f = h->f;
  const ev *dot = h->dot;
  const node *n = h->n;
  size_t i;
  int rc;
  f->at = n;
  switch (n->type) {
  case N_LIST:
    for (i = 0; i < n->u.list.n; i++) {
      const node *c = n->u.list.items[i];
      if (c->type == N_TEXT) {   /* the common case, without recursion */
        f->at = c;
        if (kd_buf_add(f->out, c->u.text.s, c->u.text.len) != KD_OK)
          return exec_oom(f);
        continue;
      }
      rc = walk(f, dot, c);
      if (rc != KD_OK) return rc;
    }
    return KD_OK;
  case N_TEXT:
    return kd_buf_add(f->out, n->u.text.s, n->u.text.len) == KD_OK ? KD_OK
                                                                   : exec_oom(f);
  case N_ACTION: {
    ev val;
    const node *pipe = n->u.action.pipe;
    rc = exec_pipeline(f, dot, pipe, &val);
    if (rc == KD_OK && pipe->u.pipe.ndecl == 0) rc = print_value(f, n, &val);
    ev_drop(&val);
    return rc;
  }
  case N_IF: case N_WITH: return walk_if_with(f, dot, n);
  case N_RANGE: return walk_range(f, dot, n);
  case N_TEMPLATE: return walk_template(f, dot, n);
  case N_BREAK: return R_BREAK;
  case N_CONTINUE: return R_CONTINUE;
  case N_COMMENT: return KD_OK;
  default: return exec_fail(f, "unknown node");
  }
}

static int walk(frame *f, const ev *dot, const node *n)
{
  hop h;
  h.fn = walk_body;
  h.f = f;
  h.dot = dot;
  h.n = n;
  h.out = NULL;
  return maybe_hop(&h);
}

/* ---- entry points --------------------------------------------------------- */

static exec_state *exec_new(tpl_set *root)
{
  exec_state *x = calloc(1, sizeof *x);
  if (x) x->root = root;
  return x;
}

static void exec_free(exec_state *x)
{
  size_t i;
  if (!x) return;
  for (i = 0; i < x->nvars; i++) ev_drop(&x->vars[i].v);
  free(x->vars);
  for (i = 0; i < x->incl.cap; i++)
    if (x->incl.slots[i].key) free((void *)x->incl.slots[i].key);
  htab_free(&x->incl);
  kd_buf_free(&x->err);
  free(x);
}

/* Runs template T of SET in a new Go state (ExecuteTemplate): DATA is
 * the dot; output goes to OUT. Errors are in x->err. */
int exec_template(exec_state *x, tpl_set *set, const tmpl *t, tpl_val data,
                  kd_buf *out, int depth)
{
  ev dot = ev_of(data, 0);
  return run_frame(NULL, x, set, t, &dot, out, depth);
}

/* Helm's include counter for NAME: +1 (or -1 when DELTA < 0). Returns the
 * count before the change, or -1 when out of memory. */
int exec_include_count(exec_state *x, const char *name, size_t len, int delta)
{
  void *v = htab_get(&x->incl, name, len);
  intptr_t before = v ? (intptr_t)v - 1 : 0;
  int oom;
  if (!v) {
    char *key = kd_strndup(name, len);
    if (!key) return -1;
    htab_put(&x->incl, key, len, (void *)(intptr_t)(1 + before + delta), &oom);
    if (oom) {
      free(key);
      return -1;
    }
    return (int)before;
  }
  htab_slot(&x->incl, name, len)->val = (void *)(intptr_t)(1 + before + delta);
  return (int)before;
}

exec_state *exec_of(frame *f) { return f->x; }

int tpl_set_exec(tpl_set *s, const char *name, tpl_val data, kd_buf *out,
                 kd_error *err)
{
  tmpl *t = set_lookup(s, name, strlen(name));
  exec_state *x;
  int rc;
  s->err.len = 0;
  if (!t) {
    kd_buf_adds(&s->err, "template: no template ");
    go_quote(&s->err, name, strlen(name));
    kd_buf_adds(&s->err, " associated with template ");
    go_quote(&s->err, tpl_set_root_name(s), strlen(tpl_set_root_name(s)));
    kd_error_set(err, KD_ENOTFOUND, "%s", s->err.data);
    return KD_ENOTFOUND;
  }
  x = exec_new(s->root);
  if (!x) return kd_error_set(err, KD_ENOMEM, "template: out of memory");
  rc = exec_template(x, s, t, data, out, 0);
  if (rc != KD_OK) {
    kd_buf_free(&s->err);
    s->err = x->err;
    memset(&x->err, 0, sizeof x->err);
    if (!s->err.data) kd_buf_adds(&s->err, "template: error");
    kd_error_set(err, rc, "%s", s->err.data);
  }
  exec_free(x);
  return rc;
}
