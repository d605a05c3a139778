/* engine/tpl/tpl_exec.c: the template executor: Go's text/template exec.go
 * semantics over tpl_val (field chains, missing keys under Helm's
 * missingkey=zero, nil interfaces, pipelines, variables, if/with/range,
 * template calls) with Go's error texts and error positions. */
#include "tpl_ast.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EXEC_DEPTH 100000   /* Go's maxExecDepth */
#define MAX_NESTED_HOPS 2000    /* beyond Go's own limits: a hard bound */

enum { R_BREAK = 1, R_CONTINUE = 2 };

typedef struct var { const char *name; size_t len; ev v; } var;

struct exec_state {
  tpl_set *root;
  kd_buf err;             /* the error text being built (Go's form) */
  var *vars;
  size_t nvars, capvars;
  htab incl;              /* Helm's includedNames: name -> count */
  int level;              /* recursion level, for stack hops */
  long steps;             /* evaluation steps, against opt.max_steps */
  int hops;
};

/* ---- values ------------------------------------------------------------- */

static ev ev_of(tpl_val v, int flags)
{
  ev e;
  e.v = v;
  e.flags = flags;
  return e;
}

static ev ev_invalid(void) { return ev_of(tpl_nil(), 0); }
static void ev_drop(ev *e) { tpl_unref(e->v); e->v = tpl_nil(); e->flags = 0; }
static ev ev_copy(const ev *e) { return ev_of(tpl_ref(e->v), e->flags); }
static int ev_is_invalid(const ev *e) { return e->v.kind == TPL_NIL && !(e->flags & EV_IFACE); }

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
static int wrap_error(frame *f)
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

int exec_fail_buf(frame *f) { return wrap_error(f); }

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
  return wrap_error(f);
}

static int fail_oom(frame *f)
{
  f->x->err.len = 0;
  kd_buf_adds(&f->x->err, "template: out of memory");
  return KD_ENOMEM;
}

/* A message of the form PREFIX NODE SUFFIX (node in Go's String form). */
static int fail_node(frame *f, const char *prefix, const node *n,
                     const char *suffix)
{
  kd_buf *b = &f->x->err;
  b->len = 0;
  kd_buf_adds(b, prefix);
  node_string(b, n);
  kd_buf_adds(b, suffix);
  return wrap_error(f);
}

/* PREFIX "QUOTED" */
static int fail_quoted(frame *f, const char *prefix, const char *s, size_t n)
{
  kd_buf *b = &f->x->err;
  b->len = 0;
  kd_buf_adds(b, prefix);
  go_quote(b, s, n);
  return wrap_error(f);
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
  return wrap_error(f);
}

/* ---- variables ---------------------------------------------------------- */

static int push_var(frame *f, const char *name, size_t len, const ev *v)
{
  exec_state *x = f->x;
  if (x->nvars == x->capvars) {
    size_t ncap = x->capvars ? x->capvars * 2 : 32;
    var *nv = realloc(x->vars, ncap * sizeof *nv);
    if (!nv) return fail_oom(f);
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

static var *find_var(frame *f, const char *name, size_t len)
{
  exec_state *x = f->x;
  size_t i = x->nvars;
  while (i > f->vbase) {
    var *v = &x->vars[--i];
    if (v->len == len && memcmp(v->name, name, len) == 0) return v;
  }
  return NULL;
}

static int undefined_var(frame *f, const char *name, size_t len)
{
  kd_buf *b = &f->x->err;
  b->len = 0;
  kd_buf_adds(b, "undefined variable: ");
  kd_buf_add(b, name, len);
  return wrap_error(f);
}

static int set_var(frame *f, const char *name, size_t len, const ev *v)
{
  var *vr = find_var(f, name, len);
  if (!vr) return undefined_var(f, name, len);
  ev_drop(&vr->v);
  vr->v = ev_copy(v);
  return KD_OK;
}

static void set_top_var(frame *f, size_t n, const ev *v)
{
  var *vr = &f->x->vars[f->x->nvars - n];
  ev_drop(&vr->v);
  vr->v = ev_copy(v);
}

/* ---- evaluation ----------------------------------------------------------- */

static int eval_pipeline(frame *f, const ev *dot, const node *pipe, ev *out);
int tpl_exec_eval_arg(frame *f, const ev *dot, char p, const node *n, ev *out);
static int eval_call(frame *f, const ev *dot, const fn_entry *fe,
                     const node *at, const node *const *args, size_t nargs,
                     const ev *final, ev *out);

static const char *param_type_name(char p)
{
  switch (p) {
  case 's': return "string";
  case 'i': return "int";
  case 'I': return "int64";
  case 'f': return "float64";
  case 'b': return "bool";
  case 'l': return "[]interface {}";
  case 'm': return "map[string]interface {}";
  case 'v': return "reflect.Value";
  default: return "interface {}";
  }
}

static int not_a_function(frame *f, const node *const *args, size_t nargs,
                          const ev *final)
{
  if (nargs > 1 || final)
    return fail_node(f, "can't give argument to non-function ", args[0], "");
  return KD_OK;
}

static int is_hex_int(const ident *t)
{
  size_t i;
  if (t->len <= 2 || t->s[0] != '0' || (t->s[1] != 'x' && t->s[1] != 'X'))
    return 0;
  for (i = 0; i < t->len; i++)
    if (t->s[i] == 'p' || t->s[i] == 'P') return 0;
  return 1;
}

static int ideal_constant(frame *f, const node *n, ev *out)
{
  const ident *t = &n->u.num.text;
  size_t i;
  int floaty = 0;
  f->at = n;
  for (i = 0; i < t->len; i++)
    if (strchr(".eEpP", t->s[i])) floaty = 1;
  if (n->u.num.is_complex)
    return exec_fail(f, "complex constant %.*s is not supported", (int)t->len, t->s);
  if (n->u.num.is_float && !is_hex_int(t) && t->s[0] != '\'' && floaty) {
    *out = ev_of(tpl_float(n->u.num.f), 0);
    return KD_OK;
  }
  if (n->u.num.is_int) {
    *out = ev_of(tpl_int(n->u.num.i), 0);
    return KD_OK;
  }
  if (n->u.num.is_uint)
    return exec_fail(f, "%.*s overflows int", (int)t->len, t->s);
  *out = ev_invalid();
  return KD_OK;
}

static int call_member(frame *f, const fn_entry *fe, const node *at, ev *argv,
                       size_t n, ev *out);
static int eval_call(frame *f, const ev *dot, const fn_entry *fe,
                     const node *at, const node *const *args, size_t nargs,
                     const ev *final, ev *out);

/* The signature function of class CLS from the options, if any. */
static int class_sigs(frame *f, const tpl_class *cls,
                      const char *(**sig)(const char *))
{
  const tpl_methods *m = f->x->root->opt.methods;
  for (; m && m->cls; m++)
    if (m->cls == cls && m->sig) {
      *sig = m->sig;
      return 1;
    }
  return 0;
}

/* A field or method of a native object, through its class. With a
 * method signature the call goes through eval_call (Go's evalCall). */
static int eval_member(frame *f, const ev *dot, const ident *name,
                       const node *at, const node *const *args, size_t nargs,
                       const ev *final, ev *recv, const char *typ, ev *out)
{
  const tpl_class *cls = tpl_obj_class(recv->v);
  fn_entry fe;
  char small[64], *fname = small;
  const char *sig = NULL;
  const char *(*sigf)(const char *) = NULL;
  int rc, has_sigs;
  if (name->len >= sizeof small && !(fname = kd_strndup(name->s, name->len)))
    return fail_oom(f);
  if (fname == small) {
    memcpy(small, name->s, name->len);
    small[name->len] = 0;
  }
  memset(&fe, 0, sizeof fe);
  fe.name = fname;
  fe.nlen = name->len;
  fe.id = FN_METHOD;
  fe.cls = cls;
  fe.obj = recv->v.u.o;
  has_sigs = class_sigs(f, cls, &sigf);
  if (has_sigs) sig = sigf(fname);
  if (sig) {
    if (!fn_parse_sig(&fe, sig)) {
      rc = exec_fail(f, "bad signature %s of method %s", sig, fname);
    } else {
      rc = eval_call(f, dot, &fe, at, args, args ? nargs : 0, final, out);
      if (rc == KD_ENOTFOUND)
        rc = exec_fail(f, "can't evaluate field %s in type %s", fname, typ);
    }
  } else if (has_sigs && (nargs > 1 || final)) {
    /* a field (no signature) that is given arguments */
    rc = exec_fail(f, "%s has arguments but cannot be invoked as function", fname);
  } else {
    /* no signatures: the arguments go as interface{} values */
    ev argv[FN_MAX_PARAMS];
    size_t na = nargs > 1 ? nargs - 1 : 0, i, n = 0;
    rc = KD_OK;
    if (na + (final ? 1 : 0) > FN_MAX_PARAMS)
      rc = exec_fail(f, "too many arguments for %s", fname);
    for (i = 0; i < na && rc == KD_OK; i++) {
      rc = tpl_exec_eval_arg(f, dot, 'a', args[i + 1], &argv[n]);
      if (rc == KD_OK) n++;
    }
    if (rc == KD_OK && final) argv[n++] = ev_copy(final);
    if (rc == KD_OK) rc = call_member(f, &fe, at, argv, n, out);
    if (rc == KD_ENOTFOUND)
      rc = exec_fail(f, "can't evaluate field %s in type %s", fname, typ);
    while (n) ev_drop(&argv[--n]);
  }
  if (fname != small) free(fname);
  return rc;
}

/* Go's evalField: NAME on RECEIVER (owned, consumed). ARGS[0] is the node
 * naming the field when it heads a command. */
static int eval_field(frame *f, const ev *dot, const ident *name,
                      const node *at, const node *const *args, size_t nargs,
                      const ev *final, ev *recv, ev *out)
{
  const char *typ;
  int has_args = nargs > 1 || final != NULL;
  *out = ev_invalid();
  if (ev_is_invalid(recv)) {
    if (f->x->root->opt.missing_key_error)
      return fail_quoted(f, "nil data; no entry for key ", name->s, name->len);
    return KD_OK;
  }
  typ = (recv->flags & EV_IFACE) ? "interface {}" : tpl_type_name(recv->v);
  switch (recv->v.kind) {
  case TPL_NIL:   /* a nil interface */
    return exec_fail(f, "nil pointer evaluating %s.%.*s", typ, (int)name->len,
                     name->s);
  case TPL_MAP: {
    const tpl_val *v;
    if (has_args)
      return exec_fail(f, "%.*s is not a method but has arguments",
                       (int)name->len, name->s);
    v = tpl_map_get(recv->v, name->s, name->len);
    if (v) {
      *out = ev_of(tpl_ref(*v), elem_flags(recv->v));
    } else if (f->x->root->opt.missing_key_error) {
      return fail_quoted(f, "map has no entry for key ", name->s, name->len);
    } else if (recv->v.sub == TPL_MAPV_STR) {
      /* the zero string of a map[string]string */
      if (tpl_str_new(&out->v, "", 0) != KD_OK) return fail_oom(f);
    } else {
      *out = ev_of(tpl_nil(), EV_IFACE);   /* the zero interface{} */
    }
    return KD_OK;
  }
  case TPL_OBJ: return eval_member(f, dot, name, at, args, nargs, final, recv,
                                   typ, out);
  default:
    return exec_fail(f, "can't evaluate field %.*s in type %s", (int)name->len,
                     name->s, typ);
  }
}

/* .X.Y.Z on RECV (owned, consumed), perhaps with arguments for the last. */
static int eval_field_chain(frame *f, const ev *dot, ev recv, const node *at,
                            const ident *ids, size_t n,
                            const node *const *args, size_t nargs,
                            const ev *final, ev *out)
{
  size_t i;
  int rc;
  for (i = 0; i + 1 < n; i++) {
    ev next;
    rc = eval_field(f, dot, &ids[i], at, NULL, 0, NULL, &recv, &next);
    ev_drop(&recv);
    if (rc != KD_OK) return rc;
    recv = next;
  }
  rc = eval_field(f, dot, &ids[n - 1], at, args, nargs, final, &recv, out);
  ev_drop(&recv);
  return rc;
}

static int eval_field_node(frame *f, const ev *dot, const node *field,
                           const node *const *args, size_t nargs,
                           const ev *final, ev *out)
{
  f->at = field;
  return eval_field_chain(f, dot, ev_copy(dot), field, field->u.field.ids,
                          field->u.field.n, args, nargs, final, out);
}

static int eval_variable_node(frame *f, const ev *dot, const node *v,
                              const node *const *args, size_t nargs,
                              const ev *final, ev *out)
{
  const ident *name = &v->u.field.ids[0];
  var *vr;
  int rc;
  f->at = v;
  vr = find_var(f, name->s, name->len);
  if (!vr) return undefined_var(f, name->s, name->len);
  if (v->u.field.n == 1) {
    rc = not_a_function(f, args, nargs, final);
    if (rc != KD_OK) return rc;
    *out = ev_copy(&vr->v);
    return KD_OK;
  }
  return eval_field_chain(f, dot, ev_copy(&vr->v), v, v->u.field.ids + 1,
                          v->u.field.n - 1, args, nargs, final, out);
}

static int eval_function(frame *f, const ev *dot, const node *id,
                         const node *cmd, const node *const *args,
                         size_t nargs, const ev *final, ev *out)
{
  f->at = id;
  return eval_call(f, dot, id->u.ident.fn, cmd, args, nargs, final, out);
}

static int eval_chain_node(frame *f, const ev *dot, const node *chain,
                           const node *const *args, size_t nargs,
                           const ev *final, ev *out);

/* Evaluates N for a parameter of type P (a letter; 0: no type, as for the
 * head of a chain). Go's evalArg with validateType. */
static int validate(frame *f, ev *v, char p)
{
  int iface = (v->flags & EV_IFACE) != 0, ok;
  if (p == 0 || p == 'v') return KD_OK;
  if (ev_is_invalid(v)) {
    if (p == 'a' || p == 'l' || p == 'm') return KD_OK;
    return exec_fail(f, "invalid value; expected %s", param_type_name(p));
  }
  if (p == 'a') {
    v->flags = 0;
    return KD_OK;
  }
  if (iface && v->v.kind == TPL_NIL)
    return exec_fail(f, "wrong type for value; expected %s; got interface {}",
                     param_type_name(p));
  switch (p) {
  case 's': ok = v->v.kind == TPL_STR && v->v.sub != TPL_STR_BYTES; break;
  case 'i': ok = v->v.kind == TPL_INT && v->v.sub == TPL_GO_INT; break;
  case 'I': ok = v->v.kind == TPL_INT && v->v.sub == TPL_GO_INT64; break;
  case 'f': ok = v->v.kind == TPL_FLOAT; break;
  case 'b': ok = v->v.kind == TPL_BOOL; break;
  case 'l': ok = v->v.kind == TPL_LIST && v->v.sub == TPL_ELEM_ANY; break;
  case 'm':   /* common.Values converts to map[string]interface {} */
    ok = v->v.kind == TPL_MAP &&
         (v->v.sub == TPL_MAPV_ANY || v->v.sub == TPL_MAPV_VALUES);
    if (ok) v->v.sub = TPL_MAPV_ANY;
    break;
  default: ok = 1; break;
  }
  if (!ok)
    return exec_fail(f, "wrong type for value; expected %s; got %s",
                     param_type_name(p), tpl_type_name(v->v));
  v->flags = 0;
  return KD_OK;
}

static int eval_empty_interface(frame *f, const ev *dot, const node *n, ev *out)
{
  f->at = n;
  switch (n->type) {
  case N_BOOL: *out = ev_of(tpl_bool(n->u.b), 0); return KD_OK;
  case N_NUMBER: return ideal_constant(f, n, out);
  case N_STRING: *out = ev_of(tpl_ref(n->u.str.v), 0); return KD_OK;
  default:
    return fail_node(f, "can't handle assignment of ", n,
                     " to empty interface argument");
  }
}

int tpl_exec_eval_arg(frame *f, const ev *dot, char p, const node *n, ev *out)
{
  int rc;
  const char *want = param_type_name(p);
  *out = ev_invalid();
  f->at = n;
  switch (n->type) {
  case N_DOT:
    *out = ev_copy(dot);
    rc = KD_OK;
    break;
  case N_NIL:
    if (p == 'a' || p == 'l' || p == 'm' || p == 'v' || p == 0) return KD_OK;
    return exec_fail(f, "cannot assign nil to %s", want);
  case N_FIELD: rc = eval_field_node(f, dot, n, &n, 1, NULL, out); break;
  case N_VARIABLE: rc = eval_variable_node(f, dot, n, NULL, 0, NULL, out); break;
  case N_PIPE: rc = eval_pipeline(f, dot, n, out); break;
  case N_IDENT: rc = eval_function(f, dot, n, n, NULL, 0, NULL, out); break;
  case N_CHAIN: rc = eval_chain_node(f, dot, n, NULL, 0, NULL, out); break;
  default:
    switch (p) {
    case 'b':
      if (n->type != N_BOOL) return fail_node(f, "expected bool; found ", n, "");
      *out = ev_of(tpl_bool(n->u.b), 0);
      return KD_OK;
    case 'f':
      if (n->type != N_NUMBER || !n->u.num.is_float)
        return fail_node(f, "expected float; found ", n, "");
      *out = ev_of(tpl_float(n->u.num.f), 0);
      return KD_OK;
    case 'i': case 'I':
      if (n->type != N_NUMBER || !n->u.num.is_int)
        return fail_node(f, "expected integer; found ", n, "");
      *out = ev_of(p == 'i' ? tpl_int(n->u.num.i) : tpl_int64(n->u.num.i), 0);
      return KD_OK;
    case 's':
      if (n->type != N_STRING) return fail_node(f, "expected string; found ", n, "");
      *out = ev_of(tpl_ref(n->u.str.v), 0);
      return KD_OK;
    case 'a': case 'v': case 0:
      return eval_empty_interface(f, dot, n, out);
    default: {
      kd_buf *b = &f->x->err;
      b->len = 0;
      kd_buf_adds(b, "can't handle ");
      node_string(b, n);
      kd_buf_printf(b, " for arg of type %s", want);
      return wrap_error(f);
    }
    }
  }
  if (rc != KD_OK) return rc;
  if (p == 0) {
    /* validateType(v, nil): an invalid value stays invalid */
    return KD_OK;
  }
  rc = validate(f, out, p);
  if (rc != KD_OK) ev_drop(out);
  return rc;
}

static int eval_chain_node(frame *f, const ev *dot, const node *chain,
                           const node *const *args, size_t nargs,
                           const ev *final, ev *out)
{
  ev recv;
  int rc;
  f->at = chain;
  if (chain->u.chain.term->type == N_NIL)
    return fail_node(f, "indirection through explicit nil in ", chain, "");
  rc = tpl_exec_eval_arg(f, dot, 0, chain->u.chain.term, &recv);
  if (rc != KD_OK) return rc;
  return eval_field_chain(f, dot, recv, chain, chain->u.chain.ids,
                          chain->u.chain.n, args, nargs, final, out);
}

/* ---- calls ---------------------------------------------------------------- */

static int call_error(frame *f, const node *at, const char *name,
                      const char *msg, size_t len, int aborted)
{
  kd_buf *b = &f->x->err;
  kd_buf m = {0};
  /* MSG may point into B: copy it first */
  kd_buf_add(&m, msg, len);
  if (at) f->at = at;
  b->len = 0;
  kd_buf_printf(b, "error calling %s: ", name);
  if (aborted) kd_buf_adds(b, "HELM_ERR_START");
  if (m.data) kd_buf_add(b, m.data, m.len);
  if (aborted) kd_buf_adds(b, "HELM_ERR_END");
  kd_buf_free(&m);
  return wrap_error(f);
}

static int call_plain(frame *f, const fn_entry *fe, const node *at, ev *argv,
                      size_t n, ev *out)
{
  tpl_val vals[FN_MAX_PARAMS + 64], *vp = vals, res = tpl_nil();
  tpl_call c;
  size_t i;
  int rc;
  if (n > sizeof vals / sizeof vals[0]) {
    vp = malloc(n * sizeof *vp);
    if (!vp) return fail_oom(f);
  }
  for (i = 0; i < n; i++) vp[i] = argv[i].v;
  tpl_call_init(&c, fe->name, &f->x->root->opt);
  c.exec = f;
  rc = fe->fn(&c, vp, (int)n, &res);
  if (vp != vals) free(vp);
  if (rc != KD_OK) {
    tpl_unref(res);
    if (rc == KD_ENOMEM && !c.msg.len) {
      tpl_call_done(&c);
      return fail_oom(f);
    }
    if (c.msg.len)
      rc = call_error(f, at, fe->name, c.msg.data, c.msg.len, c.aborted);
    else
      rc = call_error(f, at, fe->name, kd_strerror(rc), strlen(kd_strerror(rc)), 0);
    tpl_call_done(&c);
    return rc;
  }
  tpl_call_done(&c);
  *out = ev_of(res, 0);
  return KD_OK;
}

/* Calls method FE->name of FE->obj. KD_ENOTFOUND (no such member) is
 * returned as is for the caller to word. */
static int call_member(frame *f, const fn_entry *fe, const node *at, ev *argv,
                       size_t n, ev *out)
{
  tpl_val vals[FN_MAX_PARAMS], res = tpl_nil();
  tpl_call c;
  size_t i;
  int rc;
  for (i = 0; i < n && i < FN_MAX_PARAMS; i++) vals[i] = argv[i].v;
  tpl_call_init(&c, fe->name, &f->x->root->opt);
  c.exec = f;
  rc = fe->cls->member(&c, fe->obj, fe->name, vals, (int)n, &res);
  if (rc == KD_OK) {
    *out = ev_of(res, 0);
  } else {
    tpl_unref(res);
    if (rc != KD_ENOTFOUND) {
      if (c.msg.len)
        rc = call_error(f, at, fe->name, c.msg.data, c.msg.len, c.aborted);
      else if (rc == KD_ENOMEM)
        rc = fail_oom(f);
      else
        rc = call_error(f, at, fe->name, kd_strerror(rc), strlen(kd_strerror(rc)), 0);
    }
  }
  tpl_call_done(&c);
  return rc;
}

/* Go's call builtin. Templates here have no function values: every
 * callee is nil or a non-function, as Go reports them. */
static int call_builtin_call(frame *f, const node *at, const node *const *a,
                             size_t na, const ev *argv)
{
  kd_buf m = {0};
  int rc;
  if (argv[0].v.kind == TPL_NIL)
    return call_error(f, at, "call", "call of nil", 11, 0);
  kd_buf_adds(&m, "non-function ");
  if (na > 0) {
    node_string(&m, a[0]);
  } else if (argv[0].v.kind == TPL_STR) {
    kd_buf_add(&m, tpl_sdata(argv[0].v), tpl_slen(argv[0].v));
  } else {
    kd_buf_printf(&m, "<%s Value>", tpl_type_name(argv[0].v));
  }
  kd_buf_printf(&m, " of type %s", tpl_type_name(argv[0].v));
  rc = call_error(f, at, "call", m.data, m.len, 0);
  kd_buf_free(&m);
  return rc;
}

/* and/or: evaluate the arguments one by one and stop at the deciding one. */
static int call_and_or(frame *f, const ev *dot, const fn_entry *fe,
                       const node *const *args, size_t na, const ev *final,
                       ev *out)
{
  int want = fe->id == FN_OR;
  size_t i;
  *out = ev_invalid();
  for (i = 0; i < na; i++) {
    ev v;
    int rc = tpl_exec_eval_arg(f, dot, 'v', args[i], &v);
    if (rc != KD_OK) return rc;
    ev_drop(out);
    *out = v;
    if (ev_truth(&v) == want) return KD_OK;
  }
  if (final) {
    ev_drop(out);
    *out = ev_copy(final);
  }
  return KD_OK;
}

static int eval_call(frame *f, const ev *dot, const fn_entry *fe,
                     const node *at, const node *const *args, size_t nargs,
                     const ev *final, ev *out)
{
  ev small[8], *argv = small;
  size_t na = args ? nargs - 1 : 0, num_in = na + (final ? 1 : 0);
  size_t nfixed = na, i = 0, k;
  int rc = KD_OK;
  const node *const *a = args ? args + 1 : NULL;
  *out = ev_invalid();
  if (fe->variadic) {
    nfixed = (size_t)fe->nparams - 1;
    if (num_in < nfixed)
      return exec_fail(f, "wrong number of args for %s: want at least %d got %zu",
                       fe->name, fe->nparams - 1, na);
  } else if (num_in != fe->nparams) {
    return exec_fail(f, "wrong number of args for %s: want %d got %zu", fe->name,
                     fe->nparams, num_in);
  }
  if (fe->id == FN_AND || fe->id == FN_OR)
    return call_and_or(f, dot, fe, a, na, final, out);
  if (num_in > sizeof small / sizeof small[0]) {
    argv = malloc(num_in * sizeof *argv);
    if (!argv) return fail_oom(f);
  }
  for (; i < nfixed && i < na && rc == KD_OK; i++)
    rc = tpl_exec_eval_arg(f, dot, fe->params[i], a[i], &argv[i]);
  if (fe->variadic)
    for (; i < na && rc == KD_OK; i++)
      rc = tpl_exec_eval_arg(f, dot, fe->params[fe->nparams - 1], a[i], &argv[i]);
  if (rc != KD_OK) {
    i--;   /* the failed slot holds nothing */
    goto done;
  }
  if (final) {
    char p = fe->params[fe->nparams - 1];
    if (fe->variadic && num_in - 1 < nfixed) p = fe->params[num_in - 1];
    argv[i] = ev_copy(final);
    rc = validate(f, &argv[i], p);
    i++;
    if (rc != KD_OK) goto done;
  }
  if (fe->id == FN_CALL) {
    rc = call_builtin_call(f, at, a, na, argv);
    goto done;
  }
  if (fe->id == FN_METHOD) {
    rc = call_member(f, fe, at, argv, i, out);
    goto done;
  }
  if (!fe->fn) {
    kd_buf msg = {0};
    rc = tpl_builtin_call(f, fe, argv, (int)i, out, &msg);
    if (rc == KD_EEXEC) {
      rc = call_error(f, at, fe->name, msg.data ? msg.data : "", msg.len, 0);
    } else if (rc < 0 && rc != KD_EEXEC) {
      if (!f->x->err.len) fail_oom(f);
    }
    kd_buf_free(&msg);
  } else {
    rc = call_plain(f, fe, at, argv, i, out);
  }
done:
  for (k = 0; k < i; k++) ev_drop(&argv[k]);
  if (argv != small) free(argv);
  return rc;
}

static int eval_command(frame *f, const ev *dot, const node *cmd,
                        const ev *final, ev *out)
{
  const node *const *args = (const node *const *)cmd->u.cmd.args;
  size_t nargs = cmd->u.cmd.nargs;
  const node *first = args[0];
  int rc;
  *out = ev_invalid();
  switch (first->type) {
  case N_FIELD: return eval_field_node(f, dot, first, args, nargs, final, out);
  case N_CHAIN: return eval_chain_node(f, dot, first, args, nargs, final, out);
  case N_IDENT: return eval_function(f, dot, first, cmd, args, nargs, final, out);
  case N_PIPE:
    rc = not_a_function(f, args, nargs, final);
    return rc != KD_OK ? rc : eval_pipeline(f, dot, first, out);
  case N_VARIABLE:
    return eval_variable_node(f, dot, first, args, nargs, final, out);
  default:
    break;
  }
  f->at = first;
  rc = not_a_function(f, args, nargs, final);
  if (rc != KD_OK) return rc;
  switch (first->type) {
  case N_BOOL: *out = ev_of(tpl_bool(first->u.b), 0); return KD_OK;
  case N_DOT: *out = ev_copy(dot); return KD_OK;
  case N_NIL: return exec_fail(f, "nil is not a command");
  case N_NUMBER: return ideal_constant(f, first, out);
  case N_STRING: *out = ev_of(tpl_ref(first->u.str.v), 0); return KD_OK;
  default: return fail_node(f, "can't evaluate command ", first, "");
  }
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
    rc = eval_command(f, h->dot, pipe->u.pipe.cmds[i], i ? &value : NULL, &v);
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

static int eval_pipeline(frame *f, const ev *dot, const node *pipe, ev *out)
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
  case TPL_NIL: return kd_buf_add(out, "<no value>", 10) == KD_OK ? KD_OK : fail_oom(f);
  case TPL_STR:
    if (v->v.sub == TPL_STR_BYTES) break;   /* []byte prints as a list */
    return kd_buf_add(out, tpl_sdata(v->v), tpl_slen(v->v)) == KD_OK ? KD_OK
                                                                     : fail_oom(f);
  default:
    break;
  }
  return tpl_fmt_v(out, v->v) == KD_OK ? KD_OK : fail_oom(f);
}

static int walk_if_with(frame *f, const ev *dot, const node *n)
{
  size_t mark = f->x->nvars;
  ev val;
  int rc = eval_pipeline(f, dot, n->u.ctl.pipe, &val);
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
  if (!vals) return fail_oom(f);
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
      return fail_oom(f);
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
      rc = fail_oom(f);
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
  rc = eval_pipeline(f, dot, pipe, &val);
  if (rc != KD_OK) goto done;
  mark = f->x->nvars;
  if (val.v.kind == TPL_OBJ) {   /* a named map or slice type (.Files) */
    tpl_val items;
    int got = tpl_collection(val.v, &items);
    if (got < 0) {
      rc = fail_oom(f);
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
    return wrap_error(f);
  }
  if (f->depth == MAX_EXEC_DEPTH)
    return exec_fail(f, "exceeded maximum template depth (%d)", MAX_EXEC_DEPTH);
  rc = eval_pipeline(f, dot, n->u.tmpl.pipe, &newdot);
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
          return fail_oom(f);
        continue;
      }
      rc = walk(f, dot, c);
      if (rc != KD_OK) return rc;
    }
    return KD_OK;
  case N_TEXT:
    return kd_buf_add(f->out, n->u.text.s, n->u.text.len) == KD_OK ? KD_OK
                                                                   : fail_oom(f);
  case N_ACTION: {
    ev val;
    const node *pipe = n->u.action.pipe;
    rc = eval_pipeline(f, dot, pipe, &val);
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
