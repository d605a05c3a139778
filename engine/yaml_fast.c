/* engine/yaml_fast.c: a fast decoder for the block-style YAML subset that
 * Kubernetes manifests and Helm values use (mappings, sequences, plain and
 * quoted one-line scalars, literal block scalars, one-line flow
 * collections). It is several times faster than libyaml's event API.
 * Anything outside the subset (anchors, tags, folded or multi-line
 * scalars, tabs, CRLF, complex keys, ...) and anything malformed makes it
 * give up with YAML_FAST_UNSUPPORTED, and yaml.c decodes the stream with
 * libyaml instead, which also words every error. tests/fuzz/yaml_fuzz.c
 * checks that both paths agree on every input the fast path accepts. */
#include "yaml_int.h"

#include <string.h>

#define UNSUP YAML_FAST_UNSUPPORTED
#define MAX_DEPTH 1000
#define MAX_KEY 1000          /* libyaml's simple keys end at 1024 chars */

typedef struct {
  const char *p, *end;
  const char *line;   /* start of the line holding p */
  int ind;            /* indent of the current content line, -1 at EOF */
  int depth;
  kd_buf tmp;         /* scratch for keys and escaped scalars */
} fast;

static int is_eol(const fast *f, const char *q) { return q >= f->end || *q == '\n'; }
static int is_blank(const fast *f, const char *q)
{
  return q >= f->end || *q == ' ' || *q == '\n';
}

/* ---- input checks -------------------------------------------------------- */

/* libyaml accepts only printable UTF-8 (and rejects a BOM mid-stream);
 * the fast path additionally refuses CR and the other line breaks. Returns 1
 * when every byte is fine for the fast path. */
static int printable_utf8(const unsigned char *s, size_t n)
{
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i];
    unsigned cp, need, k;
    if (c < 0x80) {
      if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) return 0;
      i++;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) { need = 1; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { need = 2; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { need = 3; cp = c & 0x07; }
    else return 0;
    if (i + need >= n) return 0;
    for (k = 1; k <= need; k++) {
      if (i + k >= n || (s[i + k] & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
      return 0;
    /* C1 controls, surrogates, BOM, non-characters; and NEL, LS, PS,
     * which libyaml takes as line breaks */
    if ((cp >= 0x80 && cp < 0xA0) || (cp >= 0xD800 && cp < 0xE000) ||
        cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF || cp == 0x2028 || cp == 0x2029)
      return 0;
    i += need + 1;
  }
  return 1;
}

/* ---- lines ----------------------------------------------------------------- */

/* From the start of a line, skips blank and comment lines; leaves p on the
 * first content character and returns its indent (also in f->ind), -1 at
 * the end, or -2 when a tab is in the indentation. */
static int next_content(fast *f)
{
  for (;;) {
    const char *q = f->line = f->p;
    while (q < f->end && *q == ' ') q++;
    if (q >= f->end) {
      f->p = f->end;
      return f->ind = -1;
    }
    /* a tab in a line's leading whitespace, even on an empty line, is an
     * error for libyaml in block context: let it say so */
    if (*q == '\t') return f->ind = -2;
    if (q < f->end && *q != '\n' && *q != '#') {
      f->p = q;
      return f->ind = (int)(q - f->line);
    }
    while (q < f->end && *q != '\n') q++;
    f->p = q < f->end ? q + 1 : q;
  }
}

/* After a value: only spaces and a comment may remain on the line. Moves to
 * the next content line. */
static int end_line(fast *f)
{
  const char *q = f->p;
  int spaced = q > f->line && q[-1] == ' ';
  while (q < f->end && *q == ' ') { q++; spaced = 1; }
  if (q < f->end && *q == '#') {
    if (!spaced) return UNSUP;
    while (q < f->end && *q != '\n') q++;
  }
  if (!is_eol(f, q)) return UNSUP;
  f->p = q < f->end ? q + 1 : q;
  return next_content(f) == -2 ? UNSUP : KD_OK;
}

static int at_marker(const fast *f, const char *m)
{
  return f->ind == 0 && f->end - f->p >= 3 && memcmp(f->p, m, 3) == 0 &&
         (f->p + 3 >= f->end || f->p[3] == ' ' || f->p[3] == '\n');
}

static int at_seq_item(const fast *f)
{
  return f->p < f->end && *f->p == '-' && is_blank(f, f->p + 1);
}

/* ---- scalars ---------------------------------------------------------------- */

static int put_utf8(kd_buf *b, unsigned long cp)
{
  char u[4];
  size_t n;
  if (cp < 0x80) { u[0] = (char)cp; n = 1; }
  else if (cp < 0x800) { u[0] = (char)(0xC0 | (cp >> 6)); u[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
  else if (cp < 0x10000) {
    u[0] = (char)(0xE0 | (cp >> 12)); u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
  } else {
    u[0] = (char)(0xF0 | (cp >> 18)); u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); u[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
  }
  return kd_buf_add(b, u, n);
}

static int hex_escape(const char *q, int n, unsigned long *cp)
{
  int i;
  *cp = 0;
  for (i = 0; i < n; i++) {
    char c = q[i];
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (v < 0) return 0;
    *cp = *cp * 16 + (unsigned long)v;
  }
  return !(*cp >= 0xD800 && *cp < 0xE000) && *cp <= 0x10FFFF;
}

/* A one-line double-quoted scalar at p into f->tmp. */
static int double_quoted(fast *f)
{
  const char *q = f->p + 1;
  f->tmp.len = 0;
  for (;;) {
    const char *run = q;
    unsigned long cp;
    int n = 0;
    while (q < f->end && *q != '"' && *q != '\\' && *q != '\n') q++;
    if (kd_buf_add(&f->tmp, run, (size_t)(q - run))) return KD_ENOMEM;
    if (q >= f->end || *q == '\n') return UNSUP;
    if (*q == '"') break;
    if (q + 1 >= f->end) return UNSUP;
    switch (q[1]) {
    case '0': cp = 0; break;
    case 'a': cp = 7; break;
    case 'b': cp = 8; break;
    case 't': case '\t': cp = 9; break;
    case 'n': cp = 10; break;
    case 'v': cp = 11; break;
    case 'f': cp = 12; break;
    case 'r': cp = 13; break;
    case 'e': cp = 27; break;
    case ' ': cp = ' '; break;
    case '"': cp = '"'; break;
    case '/': cp = '/'; break;
    case '\\': cp = '\\'; break;
    case 'N': cp = 0x85; break;
    case '_': cp = 0xA0; break;
    case 'L': cp = 0x2028; break;
    case 'P': cp = 0x2029; break;
    case 'x': n = 2; break;
    case 'u': n = 4; break;
    case 'U': n = 8; break;
    default: return UNSUP;
    }
    if (n) {
      if (f->end - (q + 2) < n || !hex_escape(q + 2, n, &cp)) return UNSUP;
    }
    if (put_utf8(&f->tmp, cp)) return KD_ENOMEM;
    q += 2 + n;
  }
  f->p = q + 1;
  return KD_OK;
}

/* A one-line single-quoted scalar at p into f->tmp ('' is a quote). */
static int single_quoted(fast *f)
{
  const char *q = f->p + 1;
  f->tmp.len = 0;
  for (;;) {
    const char *run = q;
    while (q < f->end && *q != '\'' && *q != '\n') q++;
    if (kd_buf_add(&f->tmp, run, (size_t)(q - run))) return KD_ENOMEM;
    if (q >= f->end || *q == '\n') return UNSUP;
    if (q + 1 < f->end && q[1] == '\'') {
      if (kd_buf_addc(&f->tmp, '\'')) return KD_ENOMEM;
      q += 2;
      continue;
    }
    break;
  }
  f->p = q + 1;
  return KD_OK;
}

static int quoted(fast *f)
{
  return *f->p == '"' ? double_quoted(f) : single_quoted(f);
}

/* Characters that cannot start a plain scalar here (some are legal YAML
 * that the fast path leaves to libyaml). */
static int bad_plain_start(const fast *f, const char *q, int flow)
{
  switch (*q) {
  case '-': return is_blank(f, q + 1) || (flow && (q + 1 < f->end && strchr(",[]{}", q[1])));
  case '?': case ':': case ',': case '[': case ']': case '{': case '}':
  case '#': case '&': case '*': case '!': case '|': case '>': case '\'':
  case '"': case '%': case '@': case '`': case '\t':
    return 1;
  default: return 0;
  }
}

/* Bytes that may end or complicate a plain scalar: 1 in block context,
 * 2 only in flow context. Everything else is skipped in bulk. */
static unsigned char stop[256];

static void init_stop(void)
{
  if (stop['\n']) return;
  stop['\n'] = stop[':'] = stop['#'] = stop['\t'] = 1;
  stop[','] = stop['['] = stop[']'] = stop['{'] = stop['}'] = 2;
}

/* Scans a plain scalar from p on this line. In block context it stops at
 * " #" or at ": " (then *IS_KEY is set); in flow context also at ,[]{}.
 * Leaves p after the text (trailing spaces excluded). */
static int plain(fast *f, int flow, const char **s, size_t *len, int *is_key)
{
  const char *q = f->p, *last;
  unsigned char lim = flow ? 2 : 1;
  *is_key = 0;
  if (bad_plain_start(f, q, flow)) return UNSUP;
  for (;;) {
    while (q < f->end && (stop[(unsigned char)*q] == 0 || stop[(unsigned char)*q] > lim))
      q++;
    if (q >= f->end || *q == '\n') break;
    if (*q == ':') {
      /* "x:" then one of ,?[]{} in flow context: libyaml's "found
       * unexpected ':'" */
      if (flow && q + 1 < f->end && (stop[(unsigned char)q[1]] == 2 || q[1] == '?'))
        return UNSUP;
      if (is_blank(f, q + 1)) {
        *is_key = 1;
        break;
      }
    } else if (*q == '#') {
      if (q > f->p && q[-1] == ' ') break;
    } else if (*q == '\t') {
      return UNSUP;
    } else {
      break;   /* a flow indicator in flow context */
    }
    q++;
  }
  last = q;
  while (last > f->p && last[-1] == ' ') last--;
  *s = f->p;
  *len = (size_t)(last - f->p);
  f->p = *is_key ? q : last;
  return KD_OK;
}

/* ---- block scalars -------------------------------------------------------- */

/* A literal block scalar (`|`, `|-`, `|+`, with an optional indentation
 * indicator) whose parent collection sits at column OWNER. */
static int literal(fast *f, int owner, kd_value *out)
{
  const char *q = f->p + 1;
  char chomp = 0;
  int indent = 0, breaks = 0, content = 0, maxblank = 0, rc;
  if (owner < 0) return UNSUP;   /* a top-level block scalar: rare */
  for (; q < f->end && (*q == '-' || *q == '+' || (*q >= '1' && *q <= '9')); q++) {
    if (*q == '-' || *q == '+') {
      if (chomp) return UNSUP;
      chomp = *q;
    } else {
      if (indent || owner < 0) return UNSUP;
      indent = owner + (*q - '0');
    }
  }
  f->p = q;
  if (!is_blank(f, q) && *q != '\n') return UNSUP;
  while (q < f->end && *q == ' ') q++;
  if (q < f->end && *q == '#') while (q < f->end && *q != '\n') q++;
  if (!is_eol(f, q) || q >= f->end) return UNSUP;
  q++;
  f->tmp.len = 0;
  for (;;) {   /* one line per turn; q at its start */
    const char *r = q, *eol;
    int sp;
    while (r < f->end && *r == ' ') r++;
    sp = (int)(r - q);
    if (r >= f->end && sp == 0) break;
    eol = r;
    while (eol < f->end && *eol != '\n') eol++;
    if (eol >= f->end) return UNSUP;             /* no final line break */
    if (r == eol && (indent == 0 || sp <= indent)) {   /* empty line */
      if (!indent && sp > maxblank) maxblank = sp;
      breaks++;
      q = eol + 1;
      continue;
    }
    if (!indent) {
      if (*r == '\t') return UNSUP;        /* libyaml: tab as indentation */
      if (sp <= owner) break;              /* no content: an empty scalar */
      if (sp < maxblank) return UNSUP;     /* libyaml rejects this */
      indent = sp;
    }
    if (sp < indent) {
      if (*r == '\t') return UNSUP;
      break;
    }
    if (content && kd_buf_addc(&f->tmp, '\n')) return KD_ENOMEM;
    for (; breaks > 0; breaks--)
      if (kd_buf_addc(&f->tmp, '\n')) return KD_ENOMEM;
    if (kd_buf_add(&f->tmp, q + indent, (size_t)(eol - (q + indent)))) return KD_ENOMEM;
    content = 1;
    q = eol + 1;
  }
  if (!content && chomp == '+') return UNSUP;
  if (content && chomp != '-' && kd_buf_addc(&f->tmp, '\n')) return KD_ENOMEM;
  if (chomp == '+')
    for (; breaks > 0; breaks--)
      if (kd_buf_addc(&f->tmp, '\n')) return KD_ENOMEM;
  rc = kd_value_str(out, f->tmp.data ? f->tmp.data : "", f->tmp.len);
  if (rc) return KD_ENOMEM;
  f->p = q;
  return next_content(f) == -2 ? UNSUP : KD_OK;
}

/* ---- flow collections ----------------------------------------------------- */

static void flow_spaces(fast *f)
{
  while (f->p < f->end && *f->p == ' ') f->p++;
}

static int flow_node(fast *f, kd_value *out);

/* A flow scalar or collection used as a value or key. */
static int flow_scalar(fast *f, kd_value *out, int *is_key)
{
  const char *s;
  size_t len;
  int rc;
  *is_key = 0;
  if (f->p >= f->end) return UNSUP;   /* an unclosed collection */
  if (*f->p == '"' || *f->p == '\'') {
    if ((rc = quoted(f)) != KD_OK) return rc;
    return kd_value_str(out, f->tmp.data ? f->tmp.data : "", f->tmp.len) ? KD_ENOMEM : KD_OK;
  }
  if ((rc = plain(f, 1, &s, &len, is_key)) != KD_OK) return rc;
  if (len == 0) return UNSUP;
  return yaml_resolve_plain(s, len, out);
}

static int flow_seq(fast *f, kd_value *out)
{
  kd_value_arr(out);
  f->p++;
  for (;;) {
    kd_value *slot;
    int rc, is_key;
    flow_spaces(f);
    if (f->p >= f->end || *f->p == '\n') return UNSUP;
    if (*f->p == ']') { f->p++; return KD_OK; }
    if (!(slot = kd_arr_push(out))) return KD_ENOMEM;
    is_key = 0;
    if (*f->p == '[' || *f->p == '{') rc = flow_node(f, slot);
    else rc = flow_scalar(f, slot, &is_key);
    if (rc != KD_OK) return rc;
    if (is_key) return UNSUP;   /* a single-pair mapping: libyaml's job */
    flow_spaces(f);
    if (f->p < f->end && *f->p == ',') { f->p++; continue; }
    if (f->p < f->end && *f->p == ']') { f->p++; return KD_OK; }
    return UNSUP;
  }
}

static int flow_map(fast *f, kd_value *out)
{
  kd_value key;
  kd_value_obj(out);
  f->p++;
  for (;;) {
    kd_value *slot;
    int rc, is_key, quoted_key;
    flow_spaces(f);
    if (f->p >= f->end || *f->p == '\n') return UNSUP;
    if (*f->p == '}') { f->p++; return KD_OK; }
    if (*f->p == '[' || *f->p == '{') return UNSUP;
    quoted_key = *f->p == '"' || *f->p == '\'';
    kd_value_null(&key);
    if ((rc = flow_scalar(f, &key, &is_key)) != KD_OK) {
      kd_value_clear(&key);
      return rc;
    }
    f->tmp.len = 0;
    rc = yaml_key_string(&key, &f->tmp);
    kd_value_clear(&key);
    if (rc) return KD_ENOMEM;
    flow_spaces(f);
    if (f->p >= f->end || *f->p != ':' || (!quoted_key && !is_key)) return UNSUP;
    if (!quoted_key && f->tmp.len == 2 && memcmp(f->tmp.data, "<<", 2) == 0)
      return UNSUP;
    f->p++;
    if (kd_obj_get(out, f->tmp.data ? f->tmp.data : "", f->tmp.len)) return UNSUP;
    if (!(slot = kd_obj_add(out, f->tmp.data ? f->tmp.data : "", f->tmp.len)))
      return KD_ENOMEM;
    flow_spaces(f);
    if (f->p < f->end && (*f->p == ',' || *f->p == '}')) {
      /* no value: null */
    } else if (f->p < f->end && (*f->p == '[' || *f->p == '{')) {
      if ((rc = flow_node(f, slot)) != KD_OK) return rc;
    } else {
      if ((rc = flow_scalar(f, slot, &is_key)) != KD_OK) return rc;
      if (is_key) return UNSUP;
    }
    flow_spaces(f);
    if (f->p < f->end && *f->p == ',') { f->p++; continue; }
    if (f->p < f->end && *f->p == '}') { f->p++; return KD_OK; }
    return UNSUP;
  }
}

static int flow_node(fast *f, kd_value *out)
{
  int rc;
  if (++f->depth > MAX_DEPTH) return UNSUP;
  rc = *f->p == '[' ? flow_seq(f, out) : flow_map(f, out);
  f->depth--;
  return rc;
}

/* ---- block collections ---------------------------------------------------- */

static int block_node(fast *f, int owner, kd_value *out);
static int block_map(fast *f, int col, kd_value *out);
static int block_seq(fast *f, int col, kd_value *out);

/* Does the content at p start a mapping entry (`key: ...`)? */
static int starts_key(fast *f)
{
  const char *save = f->p, *s;
  size_t len;
  int is_key = 0;
  if (*f->p == '"' || *f->p == '\'') {
    if (quoted(f) == KD_OK) {
      while (f->p < f->end && *f->p == ' ') f->p++;
      is_key = f->p < f->end && *f->p == ':' && is_blank(f, f->p + 1);
    }
  } else if (!bad_plain_start(f, f->p, 0)) {
    plain(f, 0, &s, &len, &is_key);
  }
  f->p = save;
  return is_key;
}

/* After the first line S[0..LEN) of a plain scalar (p past its text): the
 * lines that continue it, more indented than OWNER, folded as YAML does
 * (a line break is a space, each empty line a newline) into f->tmp, then
 * S/LEN point there. Leaves p at the end of the last line taken. Anything
 * unusual on those lines (comments, ": ", tabs) is left to libyaml. */
static int plain_lines(fast *f, int owner, const char **s, size_t *len)
{
  const char *q = f->p, *line, *text, *last;
  int empty = 0, joined = 0;
  while (q < f->end && *q == ' ') q++;
  if (q >= f->end || *q != '\n') return KD_OK;   /* a comment follows */
  for (line = q + 1;; line = q + 1) {
    for (q = line; q < f->end && *q == ' '; q++) {}
    if (q < f->end && *q == '\t') return UNSUP;
    if (q < f->end && *q == '\n') { empty++; continue; }
    if (q >= f->end || (int)(q - line) <= owner) break;
    if (q == line && f->end - q >= 3 &&
        (memcmp(q, "---", 3) == 0 || memcmp(q, "...", 3) == 0) &&
        (f->end - q == 3 || q[3] == ' ' || q[3] == '\n'))
      break;   /* a document marker ends it */
    if (*q == '#') return UNSUP;
    if (!joined) {
      f->tmp.len = 0;
      if (kd_buf_add(&f->tmp, *s, *len)) return KD_ENOMEM;
      joined = 1;
    }
    for (text = q; q < f->end && *q != '\n'; q++) {
      if (*q == '\t' || (*q == '#' && q[-1] == ' ') ||
          (*q == ':' && (q + 1 >= f->end || q[1] == ' ' || q[1] == '\n')))
        return UNSUP;
    }
    for (last = q; last > text && last[-1] == ' '; last--) {}
    if (empty == 0 ? kd_buf_addc(&f->tmp, ' ') : 0) return KD_ENOMEM;
    for (; empty > 0; empty--)
      if (kd_buf_addc(&f->tmp, '\n')) return KD_ENOMEM;
    if (kd_buf_add(&f->tmp, text, (size_t)(last - text))) return KD_ENOMEM;
    f->p = last;
    f->line = line;
    if (q >= f->end) break;
  }
  if (joined) {
    *s = f->tmp.data;
    *len = f->tmp.len;
  }
  return KD_OK;
}

/* A value after `key:` or `- ` (p just past the indicator); OWNER is the
 * column of the collection holding it. Ends on the next content line. */
static int value_after(fast *f, int owner, int in_seq, kd_value *out)
{
  const char *s;
  size_t len;
  int rc, is_key, col;
  while (f->p < f->end && *f->p == ' ') f->p++;
  if (is_eol(f, f->p) || *f->p == '#') {
    if ((rc = end_line(f)) != KD_OK) return rc;
    if (f->ind < 0 || at_marker(f, "---") || at_marker(f, "...")) return KD_OK;
    if (f->ind > owner) return block_node(f, owner, out);
    if (f->ind == owner && !in_seq && at_seq_item(f)) return block_seq(f, owner, out);
    return KD_OK;   /* empty value: null */
  }
  col = (int)(f->p - f->line);
  if (at_seq_item(f)) return in_seq ? block_seq(f, col, out) : UNSUP;
  if (*f->p == '|') return literal(f, owner, out);
  if (*f->p == '[' || *f->p == '{') {
    if ((rc = flow_node(f, out)) != KD_OK) return rc;
  } else if (starts_key(f)) {
    return in_seq ? block_map(f, col, out) : UNSUP;
  } else if (*f->p == '"' || *f->p == '\'') {
    if ((rc = quoted(f)) != KD_OK) return rc;
    if (kd_value_str(out, f->tmp.data ? f->tmp.data : "", f->tmp.len)) return KD_ENOMEM;
  } else {
    if ((rc = plain(f, 0, &s, &len, &is_key)) != KD_OK) return rc;
    if ((rc = plain_lines(f, owner, &s, &len)) != KD_OK) return rc;
    if ((rc = yaml_resolve_plain(s, len, out)) != KD_OK) return rc;
  }
  if ((rc = end_line(f)) != KD_OK) return rc;
  /* a more indented line now would continue a multi-line scalar */
  return f->ind > owner ? UNSUP : KD_OK;
}

/* One mapping key at p into f->tmp. */
static int block_key(fast *f)
{
  const char *s, *start = f->p;
  size_t len;
  int rc, is_key;
  if (*f->p == '"' || *f->p == '\'') {
    if ((rc = quoted(f)) != KD_OK) return rc;
    while (f->p < f->end && *f->p == ' ') f->p++;
  } else {
    kd_value k;
    if ((rc = plain(f, 0, &s, &len, &is_key)) != KD_OK) return rc;
    if (len == 2 && memcmp(s, "<<", 2) == 0) return UNSUP;   /* merge key */
    if ((rc = yaml_resolve_plain(s, len, &k)) != KD_OK) return rc;
    f->tmp.len = 0;
    rc = yaml_key_string(&k, &f->tmp);
    kd_value_clear(&k);
    if (rc) return KD_ENOMEM;
  }
  if (f->p - start > MAX_KEY) return UNSUP;
  if (f->p >= f->end || *f->p != ':' || !is_blank(f, f->p + 1)) return UNSUP;
  f->p++;
  return KD_OK;
}

static int block_map(fast *f, int col, kd_value *out)
{
  kd_value_obj(out);
  for (;;) {
    kd_value *slot;
    int rc;
    if ((rc = block_key(f)) != KD_OK) return rc;
    if (kd_obj_get(out, f->tmp.data ? f->tmp.data : "", f->tmp.len)) return UNSUP;
    if (!(slot = kd_obj_add(out, f->tmp.data ? f->tmp.data : "", f->tmp.len)))
      return KD_ENOMEM;
    if ((rc = value_after(f, col, 0, slot)) != KD_OK) return rc;
    if (f->ind < col || at_marker(f, "---") || at_marker(f, "...")) return KD_OK;
    if (f->ind > col || at_seq_item(f)) return UNSUP;
  }
}

static int block_seq(fast *f, int col, kd_value *out)
{
  kd_value_arr(out);
  for (;;) {
    kd_value *slot = kd_arr_push(out);
    int rc;
    if (!slot) return KD_ENOMEM;
    f->p++;   /* the '-' */
    if ((rc = value_after(f, col, 1, slot)) != KD_OK) return rc;
    if (f->ind < col || at_marker(f, "---") || at_marker(f, "...")) return KD_OK;
    if (f->ind > col) return UNSUP;
    if (!at_seq_item(f)) return KD_OK;   /* e.g. the next key of a parent map */
  }
}

/* A node starting at p, on its own line, inside a collection at OWNER. */
static int block_node(fast *f, int owner, kd_value *out)
{
  int rc, col = f->ind;
  if (++f->depth > MAX_DEPTH) return UNSUP;
  if (at_seq_item(f)) rc = block_seq(f, col, out);
  else if (starts_key(f)) rc = block_map(f, col, out);
  else rc = value_after(f, owner, 0, out);   /* a lone scalar or flow */
  f->depth--;
  return rc;
}

/* ---- documents ----------------------------------------------------------- */

static int marker_line(fast *f)
{
  f->p += 3;
  return end_line(f);
}

static int stream(fast *f, kd_value *out)
{
  int open = 0, started = 0, ended = 0, rc;
  kd_value *doc;
  if (next_content(f) == -2) return UNSUP;
  for (;;) {
    if (f->ind == -2) return UNSUP;
    if (f->ind < 0) break;
    if (at_marker(f, "---") || at_marker(f, "...")) {
      int start = f->p[0] == '-';
      /* "..." before any document: libyaml wants a node there */
      if (!start && !started) return UNSUP;
      started = 1;
      ended = !start;   /* after "...", only "---" may start a document */
      if (open && !kd_arr_push(out)) return KD_ENOMEM;
      open = start;
      if ((rc = marker_line(f)) != KD_OK) return rc;
      continue;
    }
    if ((f->ind == 0 && *f->p == '%') || ended) return UNSUP;
    if (!(doc = kd_arr_push(out))) return KD_ENOMEM;
    if ((rc = block_node(f, -1, doc)) != KD_OK) return rc;
    open = 0;
    started = 1;
    if (f->ind >= 0 && !at_marker(f, "---") && !at_marker(f, "...")) return UNSUP;
  }
  if (open && !kd_arr_push(out)) return KD_ENOMEM;
  return KD_OK;
}

int yaml_fast_decode_stream(const char *data, size_t len, kd_value *out)
{
  fast f;
  int rc;
  kd_value_arr(out);
  if (!printable_utf8((const unsigned char *)data, len)) return UNSUP;
  init_stop();
  memset(&f, 0, sizeof f);
  f.p = f.line = data;
  f.end = data + len;
  rc = stream(&f, out);
  kd_buf_free(&f.tmp);
  if (rc != KD_OK) kd_value_clear(out);
  return rc;
}
