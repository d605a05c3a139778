/* engine/tpl/tpl_parse.c: the template parser. It follows the structure of
 * Go's text/template/parse (three-token lookahead, one tree state per
 * define/block, the same checks in the same order) so that the trees and
 * the error messages, line numbers included, are Go's. Nodes live in the
 * unit's arena; an error unwinds with longjmp and the arena goes with it. */
#include "tpl_ast.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PAREN_DEPTH 10000     /* Go's maxStackDepth */
#define MAX_PIPELINE_CMDS 100000  /* Go's maxPipelineCmds */

typedef struct parser parser;

/* Go's Tree while it is being parsed. */
typedef struct tstate {
  parser *p;
  ident name;
  token tok[3];
  int peek_count;
  ident *vars;
  size_t nvars, capvars;
  int action_line;
  int range_depth;
  int stack_depth;
} tstate;

struct parser {
  lexer lex;
  unit *u;
  const tpl_set *set;
  jmp_buf jb;
  int rc;
  kd_buf *errb;
  ptree *trees;
  size_t ntrees, captrees;
  int depth;   /* nesting of parentheses and control blocks */
};

/* ---- allocation and errors ---------------------------------------------- */

static void *palloc(parser *p, size_t n)
{
  void *m = arena_alloc(&p->u->mem, n);
  if (!m) {
    p->rc = KD_ENOMEM;
    kd_buf_adds(p->errb, "template: out of memory");
    longjmp(p->jb, 1);
  }
  return m;
}

/* Grows an arena array of ELEM-sized items to hold one more. */
static void *grow(parser *p, void *items, size_t n, size_t *cap, size_t elem)
{
  void *nitems;
  if (n < *cap) return items;
  *cap = *cap ? *cap * 2 : 4;
  nitems = palloc(p, *cap * elem);
  if (n) memcpy(nitems, items, n * elem);
  return nitems;
}

static void perr(tstate *t, const char *fmt, ...)
#ifdef __GNUC__
  __attribute__((format(printf, 2, 3), noreturn))
#endif
  ;

static void perr(tstate *t, const char *fmt, ...)
{
  parser *p = t->p;
  va_list ap;
  char msg[512];
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  p->errb->len = 0;
  kd_buf_adds(p->errb, "template: ");
  kd_buf_add(p->errb, p->u->name, p->u->nlen);
  kd_buf_printf(p->errb, ":%d: %s", t->tok[0].line, msg);
  p->rc = KD_EPARSE;
  longjmp(p->jb, 1);
}

/* perr with a message built in a buffer (it may hold quoted user text). */
static void perr_buf(tstate *t, kd_buf *m)
#ifdef __GNUC__
  __attribute__((noreturn))
#endif
  ;

static void perr_buf(tstate *t, kd_buf *m)
{
  parser *p = t->p;
  p->errb->len = 0;
  kd_buf_adds(p->errb, "template: ");
  kd_buf_add(p->errb, p->u->name, p->u->nlen);
  kd_buf_printf(p->errb, ":%d: ", t->tok[0].line);
  if (m->data) kd_buf_add(p->errb, m->data, m->len);
  kd_buf_free(m);
  p->rc = KD_EPARSE;
  longjmp(p->jb, 1);
}

static void unexpected(tstate *t, const token *tk, const char *context)
#ifdef __GNUC__
  __attribute__((noreturn))
#endif
  ;

static void unexpected(tstate *t, const token *tk, const char *context)
{
  kd_buf m = {0};
  if (tk->type == T_ERROR) {
    kd_buf_add(&m, tk->s, tk->len);
    if (t->action_line != 0 && t->action_line != tk->line) {
      int in_action = !(tk->len >= 7 &&
                        memcmp(tk->s + tk->len - 7, " action", 7) == 0);
      kd_buf_printf(&m, "%s started at ", in_action ? " in action" : "");
      kd_buf_add(&m, t->p->u->name, t->p->u->nlen);
      kd_buf_printf(&m, ":%d", t->action_line);
    }
    perr_buf(t, &m);
  }
  kd_buf_adds(&m, "unexpected ");
  token_string(&m, tk);
  kd_buf_printf(&m, " in %s", context);
  perr_buf(t, &m);
}

/* ---- tokens (Go's next/backup/peek) ------------------------------------- */

static token next(tstate *t)
{
  if (t->peek_count > 0) t->peek_count--;
  else t->tok[0] = lex_next(&t->p->lex);
  return t->tok[t->peek_count];
}

static void backup(tstate *t) { t->peek_count++; }

static void backup2(tstate *t, token t1)
{
  t->tok[1] = t1;
  t->peek_count = 2;
}

static void backup3(tstate *t, token t2, token t1)
{
  t->tok[1] = t1;
  t->tok[2] = t2;
  t->peek_count = 3;
}

static token peek(tstate *t)
{
  if (t->peek_count > 0) return t->tok[t->peek_count - 1];
  t->peek_count = 1;
  t->tok[0] = lex_next(&t->p->lex);
  return t->tok[0];
}

static token next_non_space(tstate *t)
{
  token tk;
  do tk = next(t);
  while (tk.type == T_SPACE);
  return tk;
}

static token peek_non_space(tstate *t)
{
  token tk = next_non_space(t);
  backup(t);
  return tk;
}

static token expect(tstate *t, tok_type want, const char *context)
{
  token tk = next_non_space(t);
  if (tk.type != want) unexpected(t, &tk, context);
  return tk;
}

/* ---- nodes -------------------------------------------------------------- */

static node *new_node(tstate *t, node_type type, size_t pos)
{
  node *n = palloc(t->p, sizeof *n);
  memset(n, 0, sizeof *n);
  n->type = (unsigned char)type;
  n->pos = pos;
  n->src = t->p->u;
  return n;
}

typedef struct { node **items; size_t n, cap; } nvec;

static void nvec_push(tstate *t, nvec *v, node *n)
{
  v->items = grow(t->p, v->items, v->n, &v->cap, sizeof *v->items);
  v->items[v->n++] = n;
}

static node *new_list(tstate *t, size_t pos) { return new_node(t, N_LIST, pos); }

static void list_append(tstate *t, node *list, node *n, size_t *cap)
{
  list->u.list.items = grow(t->p, list->u.list.items, list->u.list.n, cap,
                            sizeof(node *));
  list->u.list.items[list->u.list.n++] = n;
}

static ident tok_ident(const token *tk)
{
  ident id;
  id.s = tk->s;
  id.len = tk->len;
  return id;
}

/* Splits "a.b.c" ("$x.a" for variables; a leading '.' dropped for fields)
 * into identifiers. */
static node *new_dotted(tstate *t, node_type type, size_t pos, const char *s,
                        size_t len)
{
  node *n = new_node(t, type, pos);
  size_t i, k = 0, parts = 1, start;
  if (type == N_FIELD) {
    s++;
    len--;
  }
  for (i = 0; i < len; i++)
    if (s[i] == '.') parts++;
  n->u.field.ids = palloc(t->p, parts * sizeof(ident));
  for (i = start = 0; i <= len; i++) {
    if (i == len || s[i] == '.') {
      n->u.field.ids[k].s = s + start;
      n->u.field.ids[k].len = i - start;
      k++;
      start = i + 1;
    }
  }
  n->u.field.n = k;
  return n;
}

static int lower(int c) { return c | 0x20; }

/* strconv.Unquote of a "..." or `...` token into the arena. */
static int unquote(tstate *t, const token *tk, ident *out)
{
  const char *s = tk->s + 1;
  size_t n = tk->len - 2, i = 0, k = 0;
  char *buf;
  if (tk->len < 2) return 0;
  if (tk->s[0] == '"' && !memchr(s, '\\', n)) {
    /* no escapes: the text itself, if it is valid UTF-8 */
    size_t j = 0;
    while (j < n && (unsigned char)s[j] < 0x80) j++;
    if (j == n) {
      out->s = s;
      out->len = n;
      return 1;
    }
  }
  buf = palloc(t->p, n + 1);
  if (tk->s[0] == '`') {
    for (i = 0; i < n; i++)
      if (s[i] != '\r') buf[k++] = s[i];
  } else {
    while (i < n) {
      long r;
      int mb;
      size_t used = lit_unquote_char(s + i, n - i, '"', &r, &mb);
      if (!used) return 0;
      i += used;
      if (r < 0x80 || !mb) buf[k++] = (char)r;
      else k += (size_t)lit_encode_utf8(buf + k, r);
    }
  }
  buf[k] = 0;
  out->s = buf;
  out->len = k;
  return 1;
}

/* Go's parse.newNumber. */
static node *new_number(tstate *t, const token *tk)
{
  node *n = new_node(t, N_NUMBER, tk->pos);
  const char *s = tk->s;
  size_t len = tk->len;
  n->u.num.text = tok_ident(tk);
  if (tk->type == T_CHARCONST) {
    long r;
    int mb;
    size_t used = lit_unquote_char(s + 1, len - 1, '\'', &r, &mb);
    kd_buf m = {0};
    if (!used) perr(t, "invalid syntax");
    if (used + 1 != len - 1 || s[len - 1] != '\'') {
      kd_buf_adds(&m, "malformed character constant: ");
      kd_buf_add(&m, s, len);
      perr_buf(t, &m);
    }
    n->u.num.is_int = n->u.num.is_uint = n->u.num.is_float = 1;
    n->u.num.i = r;
    n->u.num.u = (uint64_t)r;
    n->u.num.f = (double)r;
    return n;
  }
  if (tk->type == T_COMPLEX || (len > 0 && s[len - 1] == 'i')) {
    /* complex: the real part (if any) and the imaginary part */
    double re = 0, im = 0;
    size_t split = 0, j;
    for (j = len - 1; j > 0; j--)
      if ((s[j] == '+' || s[j] == '-') && lower(s[j - 1]) != 'e' &&
          lower(s[j - 1]) != 'p') {
        split = j;
        break;
      }
    if (tk->type == T_COMPLEX) {
      if (!split || !lit_parse_float(s, split, &re) ||
          !lit_parse_float(s + split, len - split - 1, &im))
        perr(t, "expected integer");
    } else if (!lit_parse_float(s, len - 1, &im)) {
      goto integer;
    }
    n->u.num.is_complex = im != 0;
    if (im == 0) {
      n->u.num.is_float = 1;
      n->u.num.f = re;
      if ((double)(int64_t)re == re) {
        n->u.num.is_int = 1;
        n->u.num.i = (int64_t)re;
      }
      if (re >= 0 && (double)(uint64_t)re == re) {
        n->u.num.is_uint = 1;
        n->u.num.u = (uint64_t)re;
      }
    }
    return n;
  }
integer:
  if (lit_parse_uint(s, len, &n->u.num.u)) n->u.num.is_uint = 1;
  if (lit_parse_int(s, len, &n->u.num.i)) {
    n->u.num.is_int = 1;
    if (n->u.num.i == 0) n->u.num.is_uint = 1;   /* -0 */
  }
  if (n->u.num.is_int) {
    n->u.num.is_float = 1;
    n->u.num.f = (double)n->u.num.i;
  } else if (n->u.num.is_uint) {
    n->u.num.is_float = 1;
    n->u.num.f = (double)n->u.num.u;
  } else {
    double f;
    if (lit_parse_float(s, len, &f)) {
      size_t j;
      int has = 0;
      for (j = 0; j < len; j++)
        if (strchr(".eEpP", s[j])) has = 1;
      if (!has) {
        kd_buf m = {0};
        kd_buf_adds(&m, "integer overflow: ");
        go_quote(&m, s, len);
        perr_buf(t, &m);
      }
      n->u.num.is_float = 1;
      n->u.num.f = f;
      if (f >= -9223372036854775808.0 && f < 9223372036854775808.0 &&
          (double)(int64_t)f == f) {
        n->u.num.is_int = 1;
        n->u.num.i = (int64_t)f;
      }
      if (f >= 0 && f < 18446744073709551616.0 && (double)(uint64_t)f == f) {
        n->u.num.is_uint = 1;
        n->u.num.u = (uint64_t)f;
      }
    }
  }
  if (!n->u.num.is_int && !n->u.num.is_uint && !n->u.num.is_float) {
    kd_buf m = {0};
    kd_buf_adds(&m, "illegal number syntax: ");
    go_quote(&m, s, len);
    perr_buf(t, &m);
  }
  return n;
}

static node *new_string(tstate *t, const token *tk)
{
  node *n = new_node(t, N_STRING, tk->pos);
  unit *u = t->p->u;
  ident text;
  if (!unquote(t, tk, &text)) perr(t, "invalid syntax");
  n->u.str.quoted = tok_ident(tk);
  if (u->nstrs == u->capstrs) {
    size_t ncap = u->capstrs ? u->capstrs * 2 : 16;
    tpl_val *nv = realloc(u->strs, ncap * sizeof *nv);
    if (!nv) palloc(t->p, (size_t)-1 / 2);   /* reports out of memory */
    u->strs = nv;
    u->capstrs = ncap;
  }
  if (tpl_str_new(&n->u.str.v, text.s, text.len) != KD_OK)
    palloc(t->p, (size_t)-1 / 2);
  u->strs[u->nstrs++] = n->u.str.v;
  return n;
}

/* ---- grammar ------------------------------------------------------------ */

static void tstate_init(tstate *t, parser *p)
{
  memset(t, 0, sizeof *t);
  t->p = p;
  t->vars = palloc(p, 8 * sizeof(ident));
  t->capvars = 8;
  t->vars[0].s = "$";
  t->vars[0].len = 1;
  t->nvars = 1;
}

static void push_var(tstate *t, ident v)
{
  t->vars = grow(t->p, t->vars, t->nvars, &t->capvars, sizeof(ident));
  t->vars[t->nvars++] = v;
}

static node *pipeline(tstate *t, const char *context, tok_type end);
static node *item_list(tstate *t, node **next_out);

static node *use_var(tstate *t, const token *tk)
{
  node *v = new_dotted(t, N_VARIABLE, tk->pos, tk->s, tk->len);
  ident name = v->u.field.ids[0];
  size_t i;
  kd_buf m = {0};
  for (i = 0; i < t->nvars; i++)
    if (t->vars[i].len == name.len && memcmp(t->vars[i].s, name.s, name.len) == 0)
      return v;
  kd_buf_adds(&m, "undefined variable ");
  go_quote(&m, name.s, name.len);
  perr_buf(t, &m);
}

/* ---- nesting: parenthesized pipelines and control blocks recurse; every
 * TPL_DEEP_EVERY levels the parse continues on a fresh stack. An error
 * there unwinds to a setjmp of that thread, then is passed on. */

typedef struct phop {
  tstate *t;
  int control;
  node_type type;
  const char *context;
  node *res;
  int failed;
} phop;

static node *parse_control_body(tstate *t, node_type type, const char *context);

static node *nested_body(phop *h)
{
  if (h->control) return parse_control_body(h->t, h->type, h->context);
  return pipeline(h->t, h->context, T_RPAREN);
}

static void phop_main(void *arg)
{
  phop *h = arg;
  parser *p = h->t->p;
  jmp_buf saved;
  memcpy(saved, p->jb, sizeof saved);
  if (setjmp(p->jb) == 0) h->res = nested_body(h);
  else h->failed = 1;
  memcpy(p->jb, saved, sizeof saved);
}

static node *nested(tstate *t, int control, node_type type, const char *context)
{
  phop h;
  node *n;
  h.t = t;
  h.control = control;
  h.type = type;
  h.context = context;
  h.res = NULL;
  h.failed = 0;
  if (++t->p->depth % TPL_DEEP_EVERY != 0) {
    n = nested_body(&h);
  } else {
    if (tpl_run_deep(phop_main, &h) != 0) perr(t, "template nesting too deep");
    if (h.failed) longjmp(t->p->jb, 1);
    n = h.res;
  }
  t->p->depth--;
  return n;
}

static node *term(tstate *t)
{
  token tk = next_non_space(t);
  node *n;
  switch (tk.type) {
  case T_IDENT: {
    const fn_entry *fe = set_find_func(t->p->set, tk.s, tk.len);
    if (!fe) {
      kd_buf m = {0};
      kd_buf_adds(&m, "function ");
      go_quote(&m, tk.s, tk.len);
      kd_buf_adds(&m, " not defined");
      perr_buf(t, &m);
    }
    n = new_node(t, N_IDENT, tk.pos);
    n->u.ident.name = tok_ident(&tk);
    n->u.ident.fn = fe;
    return n;
  }
  case T_DOT: return new_node(t, N_DOT, tk.pos);
  case T_NIL: return new_node(t, N_NIL, tk.pos);
  case T_VARIABLE: return use_var(t, &tk);
  case T_FIELD: return new_dotted(t, N_FIELD, tk.pos, tk.s, tk.len);
  case T_BOOL:
    n = new_node(t, N_BOOL, tk.pos);
    n->u.b = tk.len == 4;
    return n;
  case T_CHARCONST: case T_COMPLEX: case T_NUMBER:
    return new_number(t, &tk);
  case T_LPAREN:
    if (t->stack_depth >= MAX_PAREN_DEPTH) perr(t, "max expression depth exceeded");
    t->stack_depth++;
    n = nested(t, 0, N_PIPE, "parenthesized pipeline");
    t->stack_depth--;
    return n;
  case T_STRING: case T_RAWSTRING:
    return new_string(t, &tk);
  default:
    backup(t);
    return NULL;
  }
}

static node *operand(tstate *t)
{
  node *n = term(t);
  token pk;
  if (!n) return NULL;
  pk = peek(t);
  if (pk.type == T_FIELD) {
    /* the chain is positioned at its first field */
    size_t pos = pk.pos, cap = 0;
    ident *ids = NULL;
    size_t nids = 0;
    while (peek(t).type == T_FIELD) {
      token f = next(t);
      ids = grow(t->p, ids, nids, &cap, sizeof(ident));
      ids[nids].s = f.s + 1;
      ids[nids].len = f.len - 1;
      nids++;
    }
    switch (n->type) {
    case N_FIELD: case N_VARIABLE: {
      /* more fields on the original node */
      size_t have = n->u.field.n;
      ident *all = palloc(t->p, (have + nids) * sizeof(ident));
      memcpy(all, n->u.field.ids, have * sizeof(ident));
      memcpy(all + have, ids, nids * sizeof(ident));
      n->u.field.ids = all;
      n->u.field.n = have + nids;
      n->pos = pos;
      return n;
    }
    case N_BOOL: case N_STRING: case N_NUMBER: case N_NIL: case N_DOT: {
      kd_buf m = {0}, s = {0};
      node_string(&s, n);
      kd_buf_adds(&m, "unexpected . after term ");
      go_quote(&m, s.data ? s.data : "", s.len);
      kd_buf_free(&s);
      perr_buf(t, &m);
    }
    default: {
      node *c = new_node(t, N_CHAIN, pos);
      c->u.chain.term = n;
      c->u.chain.ids = ids;
      c->u.chain.n = nids;
      return c;
    }
    }
  }
  return n;
}

static node *command(tstate *t)
{
  node *cmd = new_node(t, N_COMMAND, peek_non_space(t).pos);
  nvec args = {0};
  for (;;) {
    node *op;
    token tk;
    peek_non_space(t);
    op = operand(t);
    if (op) nvec_push(t, &args, op);
    tk = next(t);
    if (tk.type == T_SPACE) continue;
    if (tk.type == T_RDELIM || tk.type == T_RPAREN) backup(t);
    else if (tk.type != T_PIPE) unexpected(t, &tk, "operand");
    break;
  }
  if (args.n == 0) perr(t, "empty command");
  cmd->u.cmd.args = args.items;
  cmd->u.cmd.nargs = args.n;
  return cmd;
}

static void check_pipeline(tstate *t, node *pipe, const char *context)
{
  size_t i;
  if (pipe->u.pipe.ncmds == 0) perr(t, "missing value for %s", context);
  for (i = 1; i < pipe->u.pipe.ncmds; i++) {
    switch (pipe->u.pipe.cmds[i]->u.cmd.args[0]->type) {
    case N_BOOL: case N_DOT: case N_NIL: case N_NUMBER: case N_STRING:
      perr(t, "non executable command in pipeline stage %zu", i + 1);
    default:
      break;
    }
  }
}

static void add_decl(tstate *t, node *pipe, const token *v, size_t *cap)
{
  pipe->u.pipe.decl = grow(t->p, pipe->u.pipe.decl, pipe->u.pipe.ndecl, cap,
                           sizeof(ident));
  pipe->u.pipe.decl[pipe->u.pipe.ndecl++] = tok_ident(v);
  push_var(t, tok_ident(v));
}

static node *pipeline(tstate *t, const char *context, tok_type end)
{
  token tk = peek_non_space(t);
  node *pipe = new_node(t, N_PIPE, tk.pos);
  size_t declcap = 0;
  nvec cmds = {0};
  int is_range = strcmp(context, "range") == 0;
  for (;;) {   /* declarations */
    token v = peek_non_space(t), after, nx;
    if (v.type != T_VARIABLE) break;
    next(t);
    after = peek(t);
    nx = peek_non_space(t);
    if (nx.type == T_ASSIGN || nx.type == T_DECLARE) {
      pipe->u.pipe.is_assign = nx.type == T_ASSIGN;
      next_non_space(t);
      add_decl(t, pipe, &v, &declcap);
    } else if (nx.type == T_CHAR && nx.len == 1 && nx.s[0] == ',') {
      next_non_space(t);
      add_decl(t, pipe, &v, &declcap);
      if (is_range && pipe->u.pipe.ndecl < 2) {
        tok_type pt = peek_non_space(t).type;
        if (pt == T_VARIABLE || pt == T_RDELIM || pt == T_RPAREN) continue;
        perr(t, "range can only initialize variables");
      }
      perr(t, "too many declarations in %s", context);
    } else if (after.type == T_SPACE) {
      backup3(t, v, after);
    } else {
      backup2(t, v);
    }
    break;
  }
  for (;;) {
    tk = next_non_space(t);
    if (tk.type == end) {
      pipe->u.pipe.cmds = cmds.items;
      pipe->u.pipe.ncmds = cmds.n;
      check_pipeline(t, pipe, context);
      return pipe;
    }
    switch (tk.type) {
    case T_BOOL: case T_CHARCONST: case T_COMPLEX: case T_DOT: case T_FIELD:
    case T_IDENT: case T_NUMBER: case T_NIL: case T_RAWSTRING: case T_STRING:
    case T_VARIABLE: case T_LPAREN:
      backup(t);
      nvec_push(t, &cmds, command(t));
      if (cmds.n > MAX_PIPELINE_CMDS) perr(t, "pipeline too long");
      break;
    default:
      unexpected(t, &tk, context);
    }
  }
}

static node *if_control(tstate *t);
static node *with_control(tstate *t);

/* Go's parseControl for if/range/with: returns the control node. */
static node *parse_control_body(tstate *t, node_type type, const char *context)
{
  size_t nvars = t->nvars;
  node *pipe, *list, *elist = NULL, *nx, *n;
  pipe = pipeline(t, context, T_RDELIM);
  if (type == N_RANGE) t->range_depth++;
  list = item_list(t, &nx);
  if (type == N_RANGE) t->range_depth--;
  if (nx->type == N_ELSE) {
    /* {{else if}} and {{else with}} nest a new control in the else list */
    if (type == N_IF && peek(t).type == T_IF) {
      size_t cap = 0;
      next(t);
      elist = new_list(t, nx->pos);
      list_append(t, elist, if_control(t), &cap);
    } else if (type == N_WITH && peek(t).type == T_WITH) {
      size_t cap = 0;
      next(t);
      elist = new_list(t, nx->pos);
      list_append(t, elist, with_control(t), &cap);
    } else {
      elist = item_list(t, &nx);
      if (nx->type != N_END) {
        kd_buf m = {0};
        kd_buf_adds(&m, "expected end; found ");
        node_string(&m, nx);
        perr_buf(t, &m);
      }
    }
  }
  t->nvars = nvars;
  n = new_node(t, type, pipe->pos);
  n->u.ctl.pipe = pipe;
  n->u.ctl.list = list;
  n->u.ctl.elist = elist;
  return n;
}

static node *parse_control(tstate *t, node_type type, const char *context)
{
  return nested(t, 1, type, context);
}

static node *if_control(tstate *t) { return parse_control(t, N_IF, "if"); }
static node *with_control(tstate *t) { return parse_control(t, N_WITH, "with"); }

static node *end_control(tstate *t)
{
  return new_node(t, N_END, expect(t, T_RDELIM, "end").pos);
}

static node *else_control(tstate *t)
{
  token pk = peek_non_space(t);
  if (pk.type == T_IF || pk.type == T_WITH) return new_node(t, N_ELSE, pk.pos);
  return new_node(t, N_ELSE, expect(t, T_RDELIM, "else").pos);
}

static ident template_name(tstate *t, const token *tk, const char *context)
{
  ident name;
  if (tk->type != T_STRING && tk->type != T_RAWSTRING)
    unexpected(t, tk, context);
  if (!unquote(t, tk, &name)) perr(t, "invalid syntax");
  return name;
}

static void add_tree(tstate *t, ident name, node *root);

static node *block_control(tstate *t)
{
  const char *context = "block clause";
  token tk = next_non_space(t);
  ident name = template_name(t, &tk, context);
  node *pipe = pipeline(t, context, T_RDELIM), *root, *end, *n;
  tstate bt;
  tstate_init(&bt, t->p);
  bt.name = name;
  root = item_list(&bt, &end);
  if (end->type != N_END) {
    kd_buf m = {0};
    kd_buf_adds(&m, "unexpected ");
    node_string(&m, end);
    kd_buf_printf(&m, " in %s", context);
    perr_buf(t, &m);
  }
  add_tree(&bt, name, root);
  n = new_node(t, N_TEMPLATE, tk.pos);
  n->u.tmpl.name = name;
  n->u.tmpl.pipe = pipe;
  return n;
}

static node *template_control(tstate *t)
{
  const char *context = "template clause";
  token tk = next_non_space(t);
  ident name = template_name(t, &tk, context);
  node *pipe = NULL, *n;
  if (next_non_space(t).type != T_RDELIM) {
    backup(t);
    pipe = pipeline(t, context, T_RDELIM);
  }
  n = new_node(t, N_TEMPLATE, tk.pos);
  n->u.tmpl.name = name;
  n->u.tmpl.pipe = pipe;
  return n;
}

static node *break_control(tstate *t, const token *kw, int is_break)
{
  const char *what = is_break ? "{{break}}" : "{{continue}}";
  token tk = next_non_space(t);
  if (tk.type != T_RDELIM) unexpected(t, &tk, what);
  if (t->range_depth == 0) perr(t, "%s outside {{range}}", what);
  return new_node(t, is_break ? N_BREAK : N_CONTINUE, kw->pos);
}

static node *action(tstate *t)
{
  token tk = next_non_space(t);
  node *n;
  switch (tk.type) {
  case T_BLOCK: return block_control(t);
  case T_BREAK: return break_control(t, &tk, 1);
  case T_CONTINUE: return break_control(t, &tk, 0);
  case T_ELSE: return else_control(t);
  case T_END: return end_control(t);
  case T_IF: return if_control(t);
  case T_RANGE: return parse_control(t, N_RANGE, "range");
  case T_TEMPLATE: return template_control(t);
  case T_WITH: return with_control(t);
  default: break;
  }
  backup(t);
  tk = peek(t);
  n = new_node(t, N_ACTION, tk.pos);
  n->u.action.pipe = pipeline(t, "command", T_RDELIM);
  return n;
}

static node *text_or_action(tstate *t)
{
  token tk = next_non_space(t);
  node *n;
  switch (tk.type) {
  case T_TEXT:
    n = new_node(t, N_TEXT, tk.pos);
    n->u.text.s = tk.s;
    n->u.text.len = tk.len;
    return n;
  case T_LDELIM:
    t->action_line = tk.line;
    n = action(t);
    t->action_line = 0;
    return n;
  case T_COMMENT:
    n = new_node(t, N_COMMENT, tk.pos);
    n->u.text.s = tk.s;
    n->u.text.len = tk.len;
    return n;
  default:
    unexpected(t, &tk, "input");
  }
}

static node *item_list(tstate *t, node **next_out)
{
  node *list = new_list(t, peek_non_space(t).pos);
  size_t cap = 0;
  while (peek_non_space(t).type != T_EOF) {
    node *n = text_or_action(t);
    if (n->type == N_END || n->type == N_ELSE) {
      *next_out = n;
      return list;
    }
    if (n->type != N_COMMENT) list_append(t, list, n, &cap);
  }
  perr(t, "unexpected EOF");
}

/* Go's Tree.add: a second non-empty definition in one parse is an error. */
static void add_tree(tstate *t, ident name, node *root)
{
  parser *p = t->p;
  size_t i;
  for (i = 0; i < p->ntrees; i++) {
    ptree *pt = &p->trees[i];
    if (pt->name.len == name.len && memcmp(pt->name.s, name.s, name.len) == 0) {
      if (tree_is_empty(pt->root)) {
        pt->root = root;
        return;
      }
      if (!tree_is_empty(root)) {
        kd_buf m = {0};
        kd_buf_adds(&m, "template: multiple definition of template ");
        go_quote(&m, name.s, name.len);
        perr_buf(t, &m);
      }
      return;
    }
  }
  p->trees = grow(p, p->trees, p->ntrees, &p->captrees, sizeof *p->trees);
  p->trees[p->ntrees].name = name;
  p->trees[p->ntrees].root = root;
  p->ntrees++;
}

static void parse_definition(parser *p)
{
  const char *context = "define clause";
  tstate dt;
  token tk;
  node *root, *end;
  tstate_init(&dt, p);
  tk = next_non_space(&dt);
  if (tk.type != T_STRING && tk.type != T_RAWSTRING)
    unexpected(&dt, &tk, context);
  if (!unquote(&dt, &tk, &dt.name)) perr(&dt, "invalid syntax");
  expect(&dt, T_RDELIM, context);
  root = item_list(&dt, &end);
  if (end->type != N_END) {
    kd_buf m = {0};
    kd_buf_adds(&m, "unexpected ");
    node_string(&m, end);
    kd_buf_printf(&m, " in %s", context);
    perr_buf(&dt, &m);
  }
  add_tree(&dt, dt.name, root);
}

static void parse_top(parser *p)
{
  tstate t;
  node *root;
  size_t cap = 0;
  tstate_init(&t, p);
  t.name.s = p->u->name;
  t.name.len = p->u->nlen;
  root = new_list(&t, peek(&t).pos);
  while (peek(&t).type != T_EOF) {
    node *n;
    if (peek(&t).type == T_LDELIM) {
      token delim = next(&t);
      if (next_non_space(&t).type == T_DEFINE) {
        parse_definition(p);
        continue;
      }
      backup2(&t, delim);
    }
    n = text_or_action(&t);
    if (n->type == N_END || n->type == N_ELSE) {
      kd_buf m = {0};
      kd_buf_adds(&m, "unexpected ");
      node_string(&m, n);
      perr_buf(&t, &m);
    }
    if (n->type != N_COMMENT) list_append(&t, root, n, &cap);
  }
  add_tree(&t, t.name, root);
}

int tpl_parse_unit(unit *u, const tpl_set *s, ptree **trees, size_t *ntrees,
                   kd_buf *errb)
{
  parser *p = calloc(1, sizeof *p);
  int rc;
  if (!p) return KD_ENOMEM;
  p->u = u;
  p->set = s;
  p->errb = errb;
  lex_init(&p->lex, u->text, u->len, s->ldelim, s->rdelim);
  p->lex.break_ok = !s->root->has_break;
  p->lex.continue_ok = !s->root->has_continue;
  if (setjmp(p->jb) == 0) {
    parse_top(p);
    /* Go adds the top-level tree last; we keep it first for callers */
    *trees = p->trees;
    *ntrees = p->ntrees;
    rc = KD_OK;
  } else {
    rc = p->rc ? p->rc : KD_EPARSE;
  }
  free(p);
  return rc;
}
