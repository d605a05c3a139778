/* engine/tpl/tpl_ast.h: internals of the template engine proper (lexer,
 * parser, tree, set, executor): the parse tree, parse units, the function
 * table and the executor's frame. Not a public API. */
#ifndef KD_TPL_AST_H
#define KD_TPL_AST_H

#include "tpl_int.h"

#include <stddef.h>

/* ---- deep recursion ----------------------------------------------------- */

/* The parser, the executor and node_string recurse as deep as templates
 * nest (Go allows 10000 nested parentheses and 100000 nested template
 * calls); every TPL_DEEP_EVERY levels they continue on a fresh stack. */
#define TPL_DEEP_EVERY 512
#define TPL_DEEP_STACK ((size_t)64 << 20)
/* Runs FN(ARG) on a new thread with a TPL_DEEP_STACK stack and waits for
 * it. Returns 0, or -1 when no thread could be started. */
int tpl_run_deep(void (*fn)(void *), void *arg);

/* ---- arena: bump allocation for everything one parse produces ---------- */

typedef struct arena_chunk arena_chunk;
typedef struct arena {
  arena_chunk *head;
  size_t used, size;   /* of the head chunk */
} arena;

void *arena_alloc(arena *a, size_t n);   /* NULL when out of memory */
void arena_free(arena *a);

/* ---- functions ---------------------------------------------------------- */

/* Go's builtins and Helm's executor functions have an id; library
 * functions have id FN_PLAIN and a tpl_fn. */
enum {
  FN_PLAIN = 0,
  FN_AND, FN_OR, FN_NOT, FN_LEN, FN_INDEX, FN_SLICE, FN_PRINT, FN_PRINTF,
  FN_PRINTLN, FN_EQ, FN_NE, FN_LT, FN_LE, FN_GT, FN_GE, FN_HTML, FN_JS,
  FN_URLQUERY, FN_CALL,
  FN_INCLUDE, FN_TPL, FN_REQUIRED, FN_FAIL, FN_LOOKUP,
  FN_METHOD   /* a method of a native object (cls, obj) */
};

#define FN_MAX_PARAMS 16
typedef struct fn_entry {
  const char *name;
  size_t nlen;
  int id;
  tpl_fn fn;                      /* FN_PLAIN and the Helm functions */
  unsigned char nparams;          /* parameters, the variadic one counted */
  unsigned char variadic;         /* the last parameter is ...T */
  char params[FN_MAX_PARAMS];     /* signature letters (tpl.h); 'v' is
                                     reflect.Value (Go builtins) */
  const tpl_class *cls;           /* FN_METHOD: the object's class */
  tpl_obj *obj;                   /* FN_METHOD: the receiver (borrowed) */
} fn_entry;

/* Fills E's parameters from signature SIG; 0 when SIG is malformed. */
int fn_parse_sig(fn_entry *e, const char *sig);

/* The builtin table (Go builtins, then Helm's executor functions). */
extern const tpl_func_def tpl_builtin_defs[];

/* ---- parse tree --------------------------------------------------------- */

typedef enum {
  N_TEXT, N_ACTION, N_IF, N_RANGE, N_WITH, N_TEMPLATE, N_BREAK, N_CONTINUE,
  N_LIST, N_COMMENT,
  N_PIPE, N_COMMAND,
  N_FIELD, N_CHAIN, N_VARIABLE, N_IDENT, N_DOT, N_NIL, N_BOOL, N_NUMBER,
  N_STRING,
  N_END, N_ELSE   /* parser-only markers, never in a tree */
} node_type;

typedef struct { const char *s; size_t len; } ident;   /* into the arena */

typedef struct node node;
typedef struct unit unit;

struct node {
  unsigned char type;   /* node_type */
  size_t pos;           /* byte offset in the unit's text */
  unit *src;            /* the parse unit (text, name) for error positions */
  union {
    struct { const char *s; size_t len; } text;             /* N_TEXT, N_COMMENT */
    struct { node **items; size_t n; } list;                /* N_LIST */
    struct { node *pipe; } action;                          /* N_ACTION */
    struct { node *pipe, *list, *elist; } ctl;              /* N_IF/RANGE/WITH */
    struct { ident name; node *pipe; } tmpl;                /* N_TEMPLATE */
    struct {
      ident *decl; size_t ndecl;
      int is_assign;
      node **cmds; size_t ncmds;
    } pipe;                                                 /* N_PIPE */
    struct { node **args; size_t nargs; } cmd;              /* N_COMMAND */
    struct { ident *ids; size_t n; } field;                 /* N_FIELD, N_VARIABLE
                                                               (ids[0] is "$x") */
    struct { node *term; ident *ids; size_t n; } chain;     /* N_CHAIN */
    struct { ident name; const fn_entry *fn; } ident;       /* N_IDENT */
    int b;                                                  /* N_BOOL */
    struct {
      unsigned is_int : 1, is_uint : 1, is_float : 1, is_complex : 1;
      int64_t i; uint64_t u; double f;
      ident text;
    } num;                                                  /* N_NUMBER */
    struct { ident quoted; tpl_val v; } str;                /* N_STRING */
  } u;
};

/* One tpl_set_parse call: a copy of the text, the name it was parsed as
 * (Go's ParseName, used in every error position) and the arena holding its
 * trees. Reference-counted by the templates that came from it. */
struct unit {
  int rc;
  char *name;
  size_t nlen;
  char *text;
  size_t len;
  arena mem;
  tpl_val *strs;       /* string constants to release */
  size_t nstrs, capstrs;
  /* line cache for error positions */
};

void unit_release(unit *u);

/* A named template: its root list and the unit it came from. */
typedef struct tmpl {
  char *name;
  size_t nlen;
  node *root;   /* N_LIST, never NULL */
  unit *u;      /* holds a reference */
} tmpl;

/* Go's IsEmptyTree: only space text and comments. */
int tree_is_empty(const node *n);

/* ---- string-keyed hash table -------------------------------------------- */

typedef struct hslot { const char *key; size_t klen; void *val; } hslot;
typedef struct htab { hslot *slots; size_t cap, n; } htab;

void *htab_get(const htab *h, const char *key, size_t klen);
/* Sets KEY (borrowed; must live as long as the entry) to VAL; returns the
 * previous value (or NULL), or sets *oom. */
void *htab_put(htab *h, const char *key, size_t klen, void *val, int *oom);
/* The slot holding KEY, or NULL. */
hslot *htab_slot(const htab *h, const char *key, size_t klen);
void htab_free(htab *h);

/* ---- sets --------------------------------------------------------------- */

struct tpl_set {
  tpl_options opt;
  const char *ldelim, *rdelim;
  tpl_set *parent;      /* an overlay (Helm's tpl clone) sees its parent */
  tpl_set *root;        /* the set owning the function table */
  htab funcs;           /* root only: name -> fn_entry */
  fn_entry *fnv;        /* root only: the entries */
  size_t nfn;
  int has_break, has_continue;   /* functions named break/continue */
  htab tmpls;           /* name -> tmpl */
  kd_buf err;           /* full text of the last error */
  struct exec_state *running;   /* root only: the execution in progress */
};

/* Go's name of the set itself (Helm: "gotpl"). */
const char *tpl_set_root_name(const tpl_set *s);
void tmpl_release(tmpl *t);
const fn_entry *set_find_func(const tpl_set *s, const char *name,
                              size_t len);
tmpl *set_lookup(const tpl_set *s, const char *name, size_t len);
/* Parses TEXT as template NAME into S (Go's Template.New(name).Parse).
 * On success *MAIN (may be NULL) is the tree of NAME itself, as parsed,
 * even when the set kept an older non-empty definition. Errors go to
 * ERRB (Go's text) with KD_EPARSE. */
int set_parse(tpl_set *s, const char *name, size_t nlen, const char *text,
              size_t len, tmpl **main, kd_buf *errb);
/* An overlay on PARENT for one `tpl` call; free with set_overlay_free. */
tpl_set *set_overlay_new(tpl_set *parent);
void set_overlay_free(tpl_set *s);

/* ---- lexer + parser (tpl_lex.c, tpl_parse.c) ---------------------------- */

/* Token types, in Go's order: the keywords come after T_KEYWORD. */
typedef enum {
  T_ERROR, T_BOOL, T_CHAR, T_CHARCONST, T_COMMENT, T_COMPLEX, T_ASSIGN,
  T_DECLARE, T_EOF, T_FIELD, T_IDENT, T_LDELIM, T_LPAREN, T_NUMBER, T_PIPE,
  T_RAWSTRING, T_RDELIM, T_RPAREN, T_SPACE, T_STRING, T_TEXT, T_VARIABLE,
  T_KEYWORD, T_BLOCK, T_BREAK, T_CONTINUE, T_DOT, T_DEFINE, T_ELSE, T_END,
  T_IF, T_NIL, T_RANGE, T_TEMPLATE, T_WITH
} tok_type;

/* A token: its text is s[0..len) (for T_ERROR the message, for T_EOF
 * "EOF"); pos is its byte offset, line the line it starts on. */
typedef struct token {
  tok_type type;
  size_t pos;
  const char *s;
  size_t len;
  int line;
} token;

typedef struct lexer {
  const char *in;
  size_t n;
  const char *ld, *rd;       /* delimiters */
  size_t ldn, rdn;
  size_t pos, start;
  int at_eof;
  int paren_depth;
  int inside_action;
  int break_ok, continue_ok, emit_comment;
  int line, start_line;      /* Go's line bookkeeping */
  token item;
  char errmsg[160];          /* text of the last T_ERROR */
} lexer;

void lex_init(lexer *l, const char *in, size_t n, const char *ld,
              const char *rd);
token lex_next(lexer *l);
/* Appends Go's item.String() of T. */
void token_string(kd_buf *b, const token *t);

/* A parsed template tree before it goes into a set. */
typedef struct ptree { ident name; node *root; } ptree;

/* Parses TEXT into unit U (which owns the text): fills *TREES (allocated
 * in U's arena) with the top-level template first, then every define and
 * block, in order. KD_EPARSE with Go's message in ERRB. */
int tpl_parse_unit(unit *u, const tpl_set *s, ptree **trees, size_t *ntrees,
                   kd_buf *errb);

/* Go's strconv for literals (tpl_literal.c): 1 on success, 0 on bad
 * syntax or overflow. lit_unquote_char decodes one character of S in a
 * QUOTE-quoted literal (*MB: a rune, else a raw byte) and returns the
 * bytes used (0: bad syntax); lit_encode_utf8 writes R, returns its size. */
int lit_underscore_ok(const char *s, size_t n);
int lit_parse_uint(const char *s, size_t n, uint64_t *out);
int lit_parse_int(const char *s, size_t n, int64_t *out);
int lit_parse_float(const char *s, size_t n, double *out);
size_t lit_unquote_char(const char *s, size_t n, int quote, long *r, int *mb);
int lit_encode_utf8(char *o, long r);

/* Appends Go's String() of node N. */
void node_string(kd_buf *b, const node *n);
/* Line (1-based) and column (0-based byte offset, Go's ErrorContext) of
 * offset POS in U. */
void unit_position(const unit *u, size_t pos, int *line, int *col);

/* ---- executor (tpl_exec.c, tpl_builtin.c, tpl_helm.c) ----------------- */

/* A value as the executor sees it: Go's reflect.Value. IFACE: its static
 * type is interface{} (map and []interface{} elements). A TPL_NIL without
 * IFACE is Go's invalid Value (printed "<no value>"); with IFACE it is a
 * nil interface (field access on it is a nil pointer error). */
enum { EV_IFACE = 1 };
typedef struct ev { tpl_val v; int flags; } ev;

typedef struct exec_state exec_state;

static inline ev ev_of(tpl_val v, int flags)
{
  ev e;
  e.v = v;
  e.flags = flags;
  return e;
}
static inline ev ev_invalid(void) { return ev_of(tpl_nil(), 0); }
static inline void ev_drop(ev *e)
{
  tpl_unref(e->v);
  e->v = tpl_nil();
  e->flags = 0;
}
static inline ev ev_copy(const ev *e) { return ev_of(tpl_ref(e->v), e->flags); }
static inline int ev_is_invalid(const ev *e)
{
  return e->v.kind == TPL_NIL && !(e->flags & EV_IFACE);
}

/* A variable ($x) with its value; names point into parse trees. */
typedef struct exec_var { const char *name; size_t len; ev v; } exec_var;

/* One execution (tpl_set_exec, and the includes and tpls inside it). */
struct exec_state {
  tpl_set *root;
  kd_buf err;             /* the error text being built (Go's form) */
  exec_var *vars;
  size_t nvars, capvars;
  htab incl;              /* Helm's includedNames: name -> count */
  int level;              /* recursion level, for stack hops */
  long steps;             /* evaluation steps, against opt.max_steps */
  int hops;
};

typedef struct frame {
  exec_state *x;
  tpl_set *set;        /* the set templates are looked up in */
  const tmpl *t;       /* the template executing (its name for errors) */
  const node *at;      /* the node being evaluated, for errors */
  kd_buf *out;         /* where the output goes */
  size_t vbase;        /* first variable of this frame */
  int depth;           /* Go's state.depth ({{template}} nesting) */
} frame;

int exec_template(exec_state *x, tpl_set *set, const tmpl *t, tpl_val dot,
                  kd_buf *out, int depth);
exec_state *exec_of(frame *f);
kd_buf *exec_errbuf_of(exec_state *x);
/* Helm's includedNames: adds DELTA to NAME's count, returns the count
 * before (-1: out of memory). */
int exec_include_count(exec_state *x, const char *name, size_t len, int delta);
/* Evaluates argument node N for parameter type P (0: untyped). */
int tpl_exec_eval_arg(frame *f, const ev *dot, char p, const node *n, ev *out);
/* Sets the execution error at F's current node; returns KD_EEXEC. */
int exec_fail(frame *f, const char *fmt, ...)
#ifdef __GNUC__
  __attribute__((format(printf, 2, 3)))
#endif
  ;
/* Appends to the error message being built: for messages with values. */
kd_buf *exec_errbuf(frame *f);
int exec_fail_buf(frame *f);   /* exec_fail with the message in exec_errbuf */
/* Wraps the message in exec_errbuf with Go's location prefix: KD_EEXEC. */
int exec_wrap(frame *f);
int exec_oom(frame *f);   /* "out of memory", KD_ENOMEM */
/* Errors "PREFIX <node as Go prints it> SUFFIX" and "PREFIX \"quoted\"". */
int exec_fail_node(frame *f, const char *prefix, const node *n,
                   const char *suffix);
int exec_fail_quoted(frame *f, const char *prefix, const char *s, size_t n);
/* The innermost variable NAME of F's scope, or NULL. */
exec_var *exec_find_var(frame *f, const char *name, size_t len);
int exec_undefined_var(frame *f, const char *name, size_t len);
/* Go's evalPipeline: *OUT owned; declarations push or set variables. */
int exec_pipeline(frame *f, const ev *dot, const node *pipe, ev *out);
/* Go's evalCommand: FINAL is the previous command's value or NULL. */
int exec_command(frame *f, const ev *dot, const node *cmd, const ev *final,
                 ev *out);

/* Go builtins: called by the executor with evaluated arguments. FNAME is
 * the function's name, ARGS owned by the caller; *OUT is owned. Errors are
 * Go's message text in ERR (returns KD_EEXEC). */
int tpl_builtin_call(frame *f, const fn_entry *fe, ev *args, int nargs,
                     ev *out, kd_buf *err);
/* EV_IFACE for the elements of CONTAINER when their type is interface{}. */
int elem_flags(tpl_val container);
/* Truth as Go's `if` sees it. */
int ev_truth(const ev *v);
/* Go's type name of V, including "interface {}" for nil interfaces. */
const char *ev_type_name(const ev *v);

/* Helm functions that reach the executor (tpl_helm.c). */
int tpl_helm_include(tpl_call *c, const tpl_val *args, int nargs,
                     tpl_val *out);
int tpl_helm_tpl(tpl_call *c, const tpl_val *args, int nargs, tpl_val *out);
int tpl_helm_required(tpl_call *c, const tpl_val *args, int nargs,
                      tpl_val *out);
int tpl_helm_fail(tpl_call *c, const tpl_val *args, int nargs, tpl_val *out);
int tpl_helm_lookup(tpl_call *c, const tpl_val *args, int nargs,
                    tpl_val *out);

/* Go's %q of S (strconv.Quote), appended to B. */
int go_quote(kd_buf *b, const char *s, size_t len);

#endif
