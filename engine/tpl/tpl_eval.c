/* engine/tpl/tpl_eval.c: evaluation of commands, as Go's exec.go does it:
 * field chains on maps, lists and native objects (missing keys under
 * Helm's missingkey=zero, nil interfaces), variables, untyped constants,
 * arguments converted to the callee's parameter types, and calls of
 * builtins, library functions and object methods with Go's errors. */
#include "tpl_ast.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- fields and variables ---------------------------------------------- */

static int eval_call(frame *f, const ev *dot, const fn_entry *fe,
                     const node *at, const node *const *args, size_t nargs,
                     const ev *final, ev *out);
static int call_member(frame *f, const fn_entry *fe, const node *at, ev *argv,
                       size_t n, ev *out);

static const char *param_type_name(char p)
{
  switch (p) {
  case 's': return "string";
  case 'i': return "int";
  case 'I': return "int64";
  case 'u': return "uint32";
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
    return exec_fail_node(f, "can't give argument to non-function ", args[0], "");
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
    return exec_oom(f);
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
      return exec_fail_quoted(f, "nil data; no entry for key ", name->s, name->len);
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
      return exec_fail_quoted(f, "map has no entry for key ", name->s, name->len);
    } else if (recv->v.sub == TPL_MAPV_STR) {
      /* the zero string of a map[string]string */
      if (tpl_str_new(&out->v, "", 0) != KD_OK) return exec_oom(f);
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
  exec_var *vr;
  int rc;
  f->at = v;
  vr = exec_find_var(f, name->s, name->len);
  if (!vr) return exec_undefined_var(f, name->s, name->len);
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
  case 'u': ok = 0; break;   /* no value has Go's uint32 type */
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
    return exec_fail_node(f, "can't handle assignment of ", n,
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
  case N_PIPE: rc = exec_pipeline(f, dot, n, out); break;
  case N_IDENT: rc = eval_function(f, dot, n, n, NULL, 0, NULL, out); break;
  case N_CHAIN: rc = eval_chain_node(f, dot, n, NULL, 0, NULL, out); break;
  default:
    switch (p) {
    case 'b':
      if (n->type != N_BOOL) return exec_fail_node(f, "expected bool; found ", n, "");
      *out = ev_of(tpl_bool(n->u.b), 0);
      return KD_OK;
    case 'f':
      if (n->type != N_NUMBER || !n->u.num.is_float)
        return exec_fail_node(f, "expected float; found ", n, "");
      *out = ev_of(tpl_float(n->u.num.f), 0);
      return KD_OK;
    case 'i': case 'I':
      if (n->type != N_NUMBER || !n->u.num.is_int)
        return exec_fail_node(f, "expected integer; found ", n, "");
      *out = ev_of(p == 'i' ? tpl_int(n->u.num.i) : tpl_int64(n->u.num.i), 0);
      return KD_OK;
    case 'u':   /* reflect's SetUint keeps the low 32 bits */
      if (n->type != N_NUMBER || !n->u.num.is_uint)
        return exec_fail_node(f, "expected unsigned integer; found ", n, "");
      *out = ev_of(tpl_int64((int64_t)(uint32_t)n->u.num.u), 0);
      return KD_OK;
    case 's':
      if (n->type != N_STRING) return exec_fail_node(f, "expected string; found ", n, "");
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
      return exec_wrap(f);
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
    return exec_fail_node(f, "indirection through explicit nil in ", chain, "");
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
  return exec_wrap(f);
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
    if (!vp) return exec_oom(f);
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
      return exec_oom(f);
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
        rc = exec_oom(f);
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
    if (!argv) return exec_oom(f);
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
      if (!f->x->err.len) exec_oom(f);
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

int exec_command(frame *f, const ev *dot, const node *cmd,
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
    return rc != KD_OK ? rc : exec_pipeline(f, dot, first, out);
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
  default: return exec_fail_node(f, "can't evaluate command ", first, "");
  }
}

