/* engine/tpl/tpl_node.c: Go's String() of parse nodes (the text inside
 * <...> of execution errors and in several messages) and Go's %q. */
#include "tpl_ast.h"

#include <string.h>

int go_quote(kd_buf *b, const char *s, size_t len)
{
  tpl_val v;
  int rc = tpl_str_new(&v, s, len);
  if (rc != KD_OK) return rc;
  rc = tpl_sprintf(b, "%q", 2, &v, 1);
  tpl_unref(v);
  return rc;
}

static void add_id(kd_buf *b, const ident *id) { kd_buf_add(b, id->s, id->len); }

static void ns(kd_buf *b, const node *n, int depth);

typedef struct nsarg { kd_buf *b; const node *n; int depth; } nsarg;

static void ns_main(void *a)
{
  nsarg *x = a;
  ns(x->b, x->n, x->depth);
}

/* A child node, on a fresh stack every TPL_DEEP_EVERY levels. */
static void child(kd_buf *b, const node *n, int depth)
{
  if (++depth % TPL_DEEP_EVERY == 0) {
    nsarg a;
    a.b = b;
    a.n = n;
    a.depth = depth;
    if (tpl_run_deep(ns_main, &a) != 0) kd_buf_adds(b, "...");
    return;
  }
  ns(b, n, depth);
}

static void pipe_string(kd_buf *b, const node *p, int depth)
{
  size_t i;
  for (i = 0; i < p->u.pipe.ndecl; i++) {
    if (i) kd_buf_adds(b, ", ");
    add_id(b, &p->u.pipe.decl[i]);
  }
  if (p->u.pipe.ndecl) kd_buf_adds(b, p->u.pipe.is_assign ? " = " : " := ");
  for (i = 0; i < p->u.pipe.ncmds; i++) {
    if (i) kd_buf_adds(b, " | ");
    child(b, p->u.pipe.cmds[i], depth);
  }
}

static void control_string(kd_buf *b, const char *kw, const node *n, int depth)
{
  kd_buf_adds(b, "{{");
  kd_buf_adds(b, kw);
  kd_buf_addc(b, ' ');
  pipe_string(b, n->u.ctl.pipe, depth);
  kd_buf_adds(b, "}}");
  child(b, n->u.ctl.list, depth);
  if (n->u.ctl.elist) {
    kd_buf_adds(b, "{{else}}");
    child(b, n->u.ctl.elist, depth);
  }
  kd_buf_adds(b, "{{end}}");
}

void node_string(kd_buf *b, const node *n) { ns(b, n, 0); }

static void ns(kd_buf *b, const node *n, int depth)
{
  size_t i;
  switch (n->type) {
  case N_TEXT: kd_buf_add(b, n->u.text.s, n->u.text.len); break;
  case N_COMMENT:
    kd_buf_adds(b, "{{");
    kd_buf_add(b, n->u.text.s, n->u.text.len);
    kd_buf_adds(b, "}}");
    break;
  case N_LIST:
    for (i = 0; i < n->u.list.n; i++) child(b, n->u.list.items[i], depth);
    break;
  case N_ACTION:
    kd_buf_adds(b, "{{");
    pipe_string(b, n->u.action.pipe, depth);
    kd_buf_adds(b, "}}");
    break;
  case N_IF: control_string(b, "if", n, depth); break;
  case N_RANGE: control_string(b, "range", n, depth); break;
  case N_WITH: control_string(b, "with", n, depth); break;
  case N_TEMPLATE:
    kd_buf_adds(b, "{{template ");
    go_quote(b, n->u.tmpl.name.s, n->u.tmpl.name.len);
    if (n->u.tmpl.pipe) {
      kd_buf_addc(b, ' ');
      pipe_string(b, n->u.tmpl.pipe, depth);
    }
    kd_buf_adds(b, "}}");
    break;
  case N_BREAK: kd_buf_adds(b, "{{break}}"); break;
  case N_CONTINUE: kd_buf_adds(b, "{{continue}}"); break;
  case N_PIPE: pipe_string(b, n, depth); break;
  case N_COMMAND:
    for (i = 0; i < n->u.cmd.nargs; i++) {
      const node *a = n->u.cmd.args[i];
      if (i) kd_buf_addc(b, ' ');
      if (a->type == N_PIPE) {
        kd_buf_addc(b, '(');
        pipe_string(b, a, depth);
        kd_buf_addc(b, ')');
      } else {
        child(b, a, depth);
      }
    }
    break;
  case N_FIELD:
    for (i = 0; i < n->u.field.n; i++) {
      kd_buf_addc(b, '.');
      add_id(b, &n->u.field.ids[i]);
    }
    break;
  case N_VARIABLE:
    for (i = 0; i < n->u.field.n; i++) {
      if (i) kd_buf_addc(b, '.');
      add_id(b, &n->u.field.ids[i]);
    }
    break;
  case N_CHAIN:
    if (n->u.chain.term->type == N_PIPE) {
      kd_buf_addc(b, '(');
      pipe_string(b, n->u.chain.term, depth);
      kd_buf_addc(b, ')');
    } else {
      child(b, n->u.chain.term, depth);
    }
    for (i = 0; i < n->u.chain.n; i++) {
      kd_buf_addc(b, '.');
      add_id(b, &n->u.chain.ids[i]);
    }
    break;
  case N_IDENT: add_id(b, &n->u.ident.name); break;
  case N_DOT: kd_buf_addc(b, '.'); break;
  case N_NIL: kd_buf_adds(b, "nil"); break;
  case N_BOOL: kd_buf_adds(b, n->u.b ? "true" : "false"); break;
  case N_NUMBER: add_id(b, &n->u.num.text); break;
  case N_STRING: add_id(b, &n->u.str.quoted); break;
  case N_END: kd_buf_adds(b, "{{end}}"); break;
  case N_ELSE: kd_buf_adds(b, "{{else}}"); break;
  default: break;
  }
}
