/* engine/tpl/tpl_lex.c: the template lexer, token for token what Go's
 * text/template/parse lexer produces (trim markers, comments, keywords,
 * numbers, quoted strings, line numbers), so parse errors read the same. */
#include "tpl_ast.h"

#include <stdio.h>
#include <string.h>

#define EOF_RUNE (-1)

/* ---- runes -------------------------------------------------------------- */

static int decode_rune(const unsigned char *s, size_t n, int *width)
{
  int32_t r;
  *width = tpl_utf8_decode((const char *)s, n, &r);
  return r;
}

/* Width of the last rune of S[0..n) (n > 0). */
static int last_rune_width(const unsigned char *s, size_t n)
{
  size_t start = n - 1, lim = n > 4 ? n - 4 : 0;
  int w;
  if (s[start] < 0x80) return 1;
  while (start > lim && (s[start] & 0xC0) == 0x80) start--;
  decode_rune(s + start, n - start, &w);
  if (start + (size_t)w != n) return 1;
  return w;
}

static int is_letter(int r)
{
  if (r < 0x80) return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
  return tpl_uc_is(TPL_UC_LETTER, r);
}

static int is_alnum(int r)
{
  return r == '_' || is_letter(r) || (r >= '0' && r <= '9') ||
         (r >= 0x80 && tpl_uc_is(TPL_UC_DIGIT, r));
}

static inline int is_space(int r)
{
  return r == ' ' || r == '\t' || r == '\r' || r == '\n';
}

static int is_print(int r)
{
  if (r < 0x80) return r >= 0x20 && r < 0x7F;
  return tpl_uc_is(TPL_UC_PRINT, r);
}

/* Go's %#U: U+0041 'A' (the quoted rune only when printable). */
static void fmt_rune(char *out, size_t size, int r)
{
  if (is_print(r)) {
    char u[5] = {0};
    if (r < 0x80) u[0] = (char)r;
    else if (r < 0x800) {
      u[0] = (char)(0xC0 | (r >> 6)); u[1] = (char)(0x80 | (r & 0x3F));
    } else if (r < 0x10000) {
      u[0] = (char)(0xE0 | (r >> 12)); u[1] = (char)(0x80 | ((r >> 6) & 0x3F));
      u[2] = (char)(0x80 | (r & 0x3F));
    } else {
      u[0] = (char)(0xF0 | (r >> 18)); u[1] = (char)(0x80 | ((r >> 12) & 0x3F));
      u[2] = (char)(0x80 | ((r >> 6) & 0x3F)); u[3] = (char)(0x80 | (r & 0x3F));
    }
    snprintf(out, size, "U+%04X '%s'", (unsigned)r, u);
  } else {
    snprintf(out, size, "U+%04X", (unsigned)r);
  }
}

/* ---- lexer primitives (Go's next/peek/backup/thisItem/ignore) ----------- */

static inline int next(lexer *l)
{
  int r, w;
  if (l->pos >= l->n) {
    l->at_eof = 1;
    return EOF_RUNE;
  }
  r = (unsigned char)l->in[l->pos];
  if (r < 0x80) {   /* ASCII, nearly everything in templates */
    l->pos++;
    if (r == '\n') l->line++;
    return r;
  }
  r = decode_rune((const unsigned char *)l->in + l->pos, l->n - l->pos, &w);
  l->pos += (size_t)w;
  return r;
}

static inline void backup(lexer *l)
{
  if (!l->at_eof && l->pos > 0) {
    unsigned char c = (unsigned char)l->in[l->pos - 1];
    int w = c < 0x80 ? 1 : last_rune_width((const unsigned char *)l->in, l->pos);
    l->pos -= (size_t)w;
    if (c == '\n') l->line--;
  }
}

static inline int peek(lexer *l)
{
  int r = next(l);
  backup(l);
  return r;
}

static size_t count_nl(const char *s, size_t n)
{
  size_t c = 0;
  const char *e = s + n;
  while ((s = memchr(s, '\n', (size_t)(e - s))) != NULL) {
    c++;
    s++;
  }
  return c;
}

static token this_item(lexer *l, tok_type t)
{
  token i;
  i.type = t;
  i.pos = l->start;
  i.s = l->in + l->start;
  i.len = l->pos - l->start;
  i.line = l->start_line;
  l->start = l->pos;
  l->start_line = l->line;
  return i;
}

/* States return the next state, or S_DONE once l->item is set. */
typedef enum {
  S_DONE, S_TEXT, S_LEFT_DELIM, S_COMMENT, S_RIGHT_DELIM, S_INSIDE, S_SPACE,
  S_IDENT, S_FIELD, S_VARIABLE, S_CHAR, S_NUMBER, S_QUOTE, S_RAW_QUOTE
} lstate;

static lstate emit_item(lexer *l, token i)
{
  l->item = i;
  return S_DONE;
}

static lstate emit(lexer *l, tok_type t) { return emit_item(l, this_item(l, t)); }

static void ignore(lexer *l)
{
  l->line += (int)count_nl(l->in + l->start, l->pos - l->start);
  l->start = l->pos;
  l->start_line = l->line;
}

static int accept(lexer *l, const char *valid)
{
  int r = next(l);
  if (r > 0 && r < 0x80 && strchr(valid, r)) return 1;
  backup(l);
  return 0;
}

static void accept_run(lexer *l, const char *valid)
{
  for (;;) {
    int r = next(l);
    if (!(r > 0 && r < 0x80 && strchr(valid, r))) break;
  }
  backup(l);
}

static lstate errorf(lexer *l, const char *msg)
{
  snprintf(l->errmsg, sizeof l->errmsg, "%s", msg);
  l->item.type = T_ERROR;
  l->item.pos = l->start;
  l->item.s = l->errmsg;
  l->item.len = strlen(l->errmsg);
  l->item.line = l->start_line;
  l->start = 0;
  l->pos = 0;
  l->n = 0;
  return S_DONE;
}

static lstate error_rune(lexer *l, const char *what, int r)
{
  char u[32], msg[96];
  fmt_rune(u, sizeof u, r);
  snprintf(msg, sizeof msg, "%s %s", what, u);
  return errorf(l, msg);
}

static inline int has_prefix(const lexer *l, size_t at, const char *p, size_t pn)
{
  return at <= l->n && l->n - at >= pn && l->in[at] == p[0] &&
         memcmp(l->in + at, p, pn) == 0;
}

static int left_trim_marker(const lexer *l, size_t at)
{
  return at + 2 <= l->n && l->in[at] == '-' && is_space(l->in[at + 1]);
}

static inline int right_trim_marker(const lexer *l, size_t at)
{
  return at + 2 <= l->n && is_space(l->in[at]) && l->in[at + 1] == '-';
}

/* At a right delimiter, maybe preceded by " -"? */
static inline int at_right_delim(const lexer *l, int *trim)
{
  unsigned char c = l->pos < l->n ? (unsigned char)l->in[l->pos] : 0;
  *trim = 0;
  /* the common case: neither a delimiter nor a trim marker starts here */
  if (c != (unsigned char)l->rd[0] && !is_space(c)) return 0;
  if (right_trim_marker(l, l->pos) && has_prefix(l, l->pos + 2, l->rd, l->rdn)) {
    *trim = 1;
    return 1;
  }
  return has_prefix(l, l->pos, l->rd, l->rdn);
}

static size_t right_trim_len(const char *s, size_t n)
{
  size_t i = n;
  while (i > 0 && is_space((unsigned char)s[i - 1])) i--;
  return n - i;
}

static size_t left_trim_len(const char *s, size_t n)
{
  size_t i = 0;
  while (i < n && is_space((unsigned char)s[i])) i++;
  return i;
}

static int at_terminator(lexer *l)
{
  int r;
  if (l->pos < l->n) {
    unsigned char c = (unsigned char)l->in[l->pos];
    switch (c) {
    case ' ': case '\t': case '\r': case '\n': case '.': case ',': case '|':
    case ':': case ')': case '(':
      return 1;
    default:
      if (c < 0x80 && c != (unsigned char)l->rd[0]) return 0;
      break;
    }
  }
  r = peek(l);
  if (is_space(r)) return 1;
  switch (r) {
  case EOF_RUNE: case '.': case ',': case '|': case ':': case ')': case '(':
    return 1;
  default:
    break;
  }
  return has_prefix(l, l->pos, l->rd, l->rdn);
}

/* ---- states ------------------------------------------------------------- */

static const char *find(const char *h, size_t hn, const char *nd, size_t nn)
{
  const char *e;
  if (nn == 0 || hn < nn) return NULL;
  e = h + hn - nn;
  while (h <= e) {
    const char *p = memchr(h, nd[0], (size_t)(e - h) + 1);
    if (!p) return NULL;
    if (memcmp(p, nd, nn) == 0) return p;
    h = p + 1;
  }
  return NULL;
}

static lstate lex_text(lexer *l)
{
  const char *x = find(l->in + l->pos, l->n - l->pos, l->ld, l->ldn);
  if (x) {
    size_t off = (size_t)(x - (l->in + l->pos));
    if (off > 0) {
      size_t trim = 0;
      token i;
      l->pos += off;
      if (left_trim_marker(l, l->pos + l->ldn))
        trim = right_trim_len(l->in + l->start, l->pos - l->start);
      l->pos -= trim;
      l->line += (int)count_nl(l->in + l->start, l->pos - l->start);
      i = this_item(l, T_TEXT);
      l->pos += trim;
      ignore(l);
      if (i.len > 0) return emit_item(l, i);
    }
    return S_LEFT_DELIM;
  }
  l->pos = l->n;
  if (l->pos > l->start) {
    l->line += (int)count_nl(l->in + l->start, l->pos - l->start);
    return emit(l, T_TEXT);
  }
  return emit(l, T_EOF);
}

static lstate lex_left_delim(lexer *l)
{
  size_t after = 0;
  token i;
  l->pos += l->ldn;
  if (left_trim_marker(l, l->pos)) after = 2;
  if (has_prefix(l, l->pos + after, "/*", 2)) {
    l->pos += after;
    ignore(l);
    return S_COMMENT;
  }
  i = this_item(l, T_LDELIM);
  l->inside_action = 1;
  l->pos += after;
  ignore(l);
  l->paren_depth = 0;
  return emit_item(l, i);
}

static lstate lex_comment(lexer *l)
{
  const char *x;
  int trim;
  token i;
  l->pos += 2;
  x = find(l->in + l->pos, l->n - l->pos, "*/", 2);
  if (!x) return errorf(l, "unclosed comment");
  l->pos = (size_t)(x - l->in) + 2;
  if (!at_right_delim(l, &trim))
    return errorf(l, "comment ends before closing delimiter");
  l->line += (int)count_nl(l->in + l->start, l->pos - l->start);
  i = this_item(l, T_COMMENT);
  if (trim) l->pos += 2;
  l->pos += l->rdn;
  if (trim) l->pos += left_trim_len(l->in + l->pos, l->n - l->pos);
  ignore(l);
  if (l->emit_comment) return emit_item(l, i);
  return S_TEXT;
}

static lstate lex_right_delim(lexer *l)
{
  int trim;
  token i;
  at_right_delim(l, &trim);
  if (trim) {
    l->pos += 2;
    ignore(l);
  }
  l->pos += l->rdn;
  i = this_item(l, T_RDELIM);
  if (trim) {
    l->pos += left_trim_len(l->in + l->pos, l->n - l->pos);
    ignore(l);
  }
  l->inside_action = 0;
  return emit_item(l, i);
}

static lstate lex_inside(lexer *l)
{
  int trim, r;
  if (at_right_delim(l, &trim)) {
    if (l->paren_depth == 0) return S_RIGHT_DELIM;
    return errorf(l, "unclosed left paren");
  }
  r = next(l);
  if (r == EOF_RUNE) return errorf(l, "unclosed action");
  if (is_space(r)) {
    backup(l);
    return S_SPACE;
  }
  switch (r) {
  case '=': return emit(l, T_ASSIGN);
  case ':':
    if (next(l) != '=') return errorf(l, "expected :=");
    return emit(l, T_DECLARE);
  case '|': return emit(l, T_PIPE);
  case '"': return S_QUOTE;
  case '`': return S_RAW_QUOTE;
  case '$': return S_VARIABLE;
  case '\'': return S_CHAR;
  case '.':
    if (l->pos < l->n && (l->in[l->pos] < '0' || l->in[l->pos] > '9'))
      return S_FIELD;
    backup(l);
    return S_NUMBER;
  case '(':
    l->paren_depth++;
    return emit(l, T_LPAREN);
  case ')':
    l->paren_depth--;
    if (l->paren_depth < 0) return errorf(l, "unexpected right paren");
    return emit(l, T_RPAREN);
  default:
    break;
  }
  if (r == '+' || r == '-' || (r >= '0' && r <= '9')) {
    backup(l);
    return S_NUMBER;
  }
  if (is_alnum(r)) {
    backup(l);
    return S_IDENT;
  }
  if (r < 0x80 && r >= 0x20 && r < 0x7F) return emit(l, T_CHAR);
  return error_rune(l, "unrecognized character in action:", r);
}

static lstate lex_space(lexer *l)
{
  int spaces = 0;
  while (is_space(peek(l))) {
    next(l);
    spaces++;
  }
  /* a trim-marked right delimiter starts with a space */
  if (right_trim_marker(l, l->pos - 1) &&
      has_prefix(l, l->pos - 1 + 2, l->rd, l->rdn)) {
    backup(l);
    if (spaces == 1) return S_RIGHT_DELIM;
  }
  return emit(l, T_SPACE);
}

static tok_type keyword(const char *s, size_t n)
{
#define KW(w, t) if (n == sizeof w - 1 && memcmp(s, w, n) == 0) return t
  switch (s[0]) {
  case '.': KW(".", T_DOT); break;
  case 'b': KW("block", T_BLOCK); KW("break", T_BREAK); break;
  case 'c': KW("continue", T_CONTINUE); break;
  case 'd': KW("define", T_DEFINE); break;
  case 'e': KW("else", T_ELSE); KW("end", T_END); break;
  case 'i': KW("if", T_IF); break;
  case 'n': KW("nil", T_NIL); break;
  case 'r': KW("range", T_RANGE); break;
  case 't': KW("template", T_TEMPLATE); break;
  case 'w': KW("with", T_WITH); break;
  default: break;
  }
#undef KW
  return T_ERROR;
}

/* Consumes a run of ASCII identifier bytes without the rune machinery. */
static void skip_ascii_alnum(lexer *l)
{
  while (l->pos < l->n) {
    unsigned char c = (unsigned char)l->in[l->pos];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_'))
      break;
    l->pos++;
  }
}

static lstate lex_ident(lexer *l)
{
  skip_ascii_alnum(l);
  for (;;) {
    int r = next(l);
    const char *w;
    size_t wn;
    tok_type k;
    if (is_alnum(r)) continue;
    backup(l);
    w = l->in + l->start;
    wn = l->pos - l->start;
    if (!at_terminator(l)) return error_rune(l, "bad character", r);
    k = keyword(w, wn);
    if (k > T_KEYWORD) {
      if ((k == T_BREAK && !l->break_ok) ||
          (k == T_CONTINUE && !l->continue_ok))
        return emit(l, T_IDENT);
      return emit(l, k);
    }
    if ((wn == 4 && memcmp(w, "true", 4) == 0) ||
        (wn == 5 && memcmp(w, "false", 5) == 0))
      return emit(l, T_BOOL);
    return emit(l, T_IDENT);
  }
}

static lstate lex_field_or_var(lexer *l, tok_type t)
{
  int r;
  if (at_terminator(l)) return emit(l, t == T_VARIABLE ? T_VARIABLE : T_DOT);
  skip_ascii_alnum(l);
  for (;;) {
    r = next(l);
    if (!is_alnum(r)) {
      backup(l);
      break;
    }
  }
  if (!at_terminator(l)) return error_rune(l, "bad character", r);
  return emit(l, t);
}

static lstate lex_char(lexer *l)
{
  for (;;) {
    int r = next(l);
    if (r == '\\') {
      r = next(l);
      if (r != EOF_RUNE && r != '\n') continue;
      return errorf(l, "unterminated character constant");
    }
    if (r == EOF_RUNE || r == '\n')
      return errorf(l, "unterminated character constant");
    if (r == '\'') break;
  }
  return emit(l, T_CHARCONST);
}

static int scan_number(lexer *l)
{
  const char *digits = "0123456789_";
  accept(l, "+-");
  if (accept(l, "0")) {
    if (accept(l, "xX")) digits = "0123456789abcdefABCDEF_";
    else if (accept(l, "oO")) digits = "01234567_";
    else if (accept(l, "bB")) digits = "01_";
  }
  accept_run(l, digits);
  if (accept(l, ".")) accept_run(l, digits);
  if (strlen(digits) == 11 && accept(l, "eE")) {
    accept(l, "+-");
    accept_run(l, "0123456789_");
  }
  if (strlen(digits) == 23 && accept(l, "pP")) {
    accept(l, "+-");
    accept_run(l, "0123456789_");
  }
  accept(l, "i");
  if (is_alnum(peek(l))) {
    next(l);
    return 0;
  }
  return 1;
}

static lstate bad_number(lexer *l)
{
  kd_buf b = {0};
  lstate st;
  kd_buf_adds(&b, "bad number syntax: ");
  go_quote(&b, l->in + l->start, l->pos - l->start);
  st = errorf(l, b.data ? b.data : "bad number syntax");
  kd_buf_free(&b);
  return st;
}

static lstate lex_number(lexer *l)
{
  int sign;
  if (!scan_number(l)) return bad_number(l);
  sign = peek(l);
  if (sign == '+' || sign == '-') {
    if (!scan_number(l) || l->in[l->pos - 1] != 'i') return bad_number(l);
    return emit(l, T_COMPLEX);
  }
  return emit(l, T_NUMBER);
}

static lstate lex_quote(lexer *l)
{
  for (;;) {
    int r = next(l);
    if (r == '\\') {
      r = next(l);
      if (r != EOF_RUNE && r != '\n') continue;
      return errorf(l, "unterminated quoted string");
    }
    if (r == EOF_RUNE || r == '\n')
      return errorf(l, "unterminated quoted string");
    if (r == '"') break;
  }
  return emit(l, T_STRING);
}

static lstate lex_raw_quote(lexer *l)
{
  for (;;) {
    int r = next(l);
    if (r == EOF_RUNE) return errorf(l, "unterminated raw quoted string");
    if (r == '`') break;
  }
  return emit(l, T_RAWSTRING);
}

/* ---- API ---------------------------------------------------------------- */

void lex_init(lexer *l, const char *in, size_t n, const char *ld,
              const char *rd)
{
  memset(l, 0, sizeof *l);
  l->in = in;
  l->n = n;
  l->ld = ld && *ld ? ld : "{{";
  l->rd = rd && *rd ? rd : "}}";
  l->ldn = strlen(l->ld);
  l->rdn = strlen(l->rd);
  l->line = l->start_line = 1;
}

token lex_next(lexer *l)
{
  lstate st = l->inside_action ? S_INSIDE : S_TEXT;
  l->item.type = T_EOF;
  l->item.pos = l->pos;
  l->item.s = "EOF";
  l->item.len = 3;
  l->item.line = l->start_line;
  while (st != S_DONE) {
    switch (st) {
    case S_TEXT: st = lex_text(l); break;
    case S_LEFT_DELIM: st = lex_left_delim(l); break;
    case S_COMMENT: st = lex_comment(l); break;
    case S_RIGHT_DELIM: st = lex_right_delim(l); break;
    case S_INSIDE: st = lex_inside(l); break;
    case S_SPACE: st = lex_space(l); break;
    case S_IDENT: st = lex_ident(l); break;
    case S_FIELD: st = lex_field_or_var(l, T_FIELD); break;
    case S_VARIABLE:
      st = at_terminator(l) ? emit(l, T_VARIABLE)
                            : lex_field_or_var(l, T_VARIABLE);
      break;
    case S_CHAR: st = lex_char(l); break;
    case S_NUMBER: st = lex_number(l); break;
    case S_QUOTE: st = lex_quote(l); break;
    case S_RAW_QUOTE: st = lex_raw_quote(l); break;
    default: st = S_DONE; break;
    }
  }
  return l->item;
}

void token_string(kd_buf *b, const token *t)
{
  size_t i, runes = 0;
  if (t->type == T_EOF) {
    kd_buf_adds(b, "EOF");
    return;
  }
  if (t->type == T_ERROR) {
    kd_buf_add(b, t->s, t->len);
    return;
  }
  if (t->type > T_KEYWORD) {
    kd_buf_addc(b, '<');
    kd_buf_add(b, t->s, t->len);
    kd_buf_addc(b, '>');
    return;
  }
  if (t->len > 10) {
    /* %.10q: the first ten runes, quoted, then "..." */
    for (i = 0; i < t->len && runes < 10; runes++) {
      int w;
      decode_rune((const unsigned char *)t->s + i, t->len - i, &w);
      i += (size_t)w;
    }
    go_quote(b, t->s, i);
    kd_buf_adds(b, "...");
    return;
  }
  go_quote(b, t->s, t->len);
}
