/* engine/json.c: strict JSON (RFC 8259) decoder and Go-compatible encoder. */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

typedef struct {
  const char *p, *start, *end;
  const char *source;
  kd_error *err;
} parser;

static int fail(parser *ps, const char *at, const char *what)
{
  int line = 1, col = 1;
  const char *q;
  for (q = ps->start; q < at && q < ps->end; q++) {
    if (*q == '\n') { line++; col = 1; } else col++;
  }
  return kd_error_at(ps->err, KD_EPARSE, ps->source, line, col, "%s", what);
}

static void skip_ws_run(parser *ps)
{
  while (ps->p < ps->end &&
         (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
    ps->p++;
}

/* Compact JSON (what API servers send) has no whitespace to skip: one
 * test then. */
static inline void skip_ws(parser *ps)
{
  if (ps->p < ps->end && (unsigned char)*ps->p <= ' ') skip_ws_run(ps);
}

static int hexval(int c)
{
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int read_hex4(parser *ps, const char *at, unsigned *cp)
{
  int i;
  *cp = 0;
  if (ps->end - at < 4) return -1;
  for (i = 0; i < 4; i++) {
    int h = hexval((unsigned char)at[i]);
    if (h < 0) return -1;
    *cp = *cp * 16 + (unsigned)h;
  }
  return 0;
}

static int put_utf8(kd_buf *b, unsigned cp)
{
  char u[4];
  size_t n;
  if (cp < 0x80) { u[0] = (char)cp; n = 1; }
  else if (cp < 0x800) {
    u[0] = (char)(0xC0 | (cp >> 6)); u[1] = (char)(0x80 | (cp & 0x3F)); n = 2;
  } else if (cp < 0x10000) {
    u[0] = (char)(0xE0 | (cp >> 12)); u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
  } else {
    u[0] = (char)(0xF0 | (cp >> 18)); u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); u[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  return kd_buf_add(b, u, n);
}

/* Decodes the escape at ps->p (just after '\') into B. */
static int parse_escape(parser *ps, kd_buf *b)
{
  const char *at = ps->p - 1;
  unsigned cp, lo;
  char c;
  if (ps->p >= ps->end) return fail(ps, at, "unterminated string");
  c = *ps->p++;
  switch (c) {
  case '"': case '\\': case '/': return kd_buf_addc(b, c);
  case 'b': return kd_buf_addc(b, '\b');
  case 'f': return kd_buf_addc(b, '\f');
  case 'n': return kd_buf_addc(b, '\n');
  case 'r': return kd_buf_addc(b, '\r');
  case 't': return kd_buf_addc(b, '\t');
  case 'u': break;
  default: return fail(ps, at, "invalid escape in string");
  }
  if (read_hex4(ps, ps->p, &cp)) return fail(ps, at, "invalid \\u escape");
  ps->p += 4;
  if (cp >= 0xD800 && cp < 0xDC00) {  /* high surrogate: expect the low one */
    if (ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u' &&
        !read_hex4(ps, ps->p + 2, &lo) && lo >= 0xDC00 && lo < 0xE000) {
      ps->p += 6;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    } else {
      cp = 0xFFFD;  /* lone surrogate: Go substitutes U+FFFD */
    }
  } else if (cp >= 0xDC00 && cp < 0xE000) {
    cp = 0xFFFD;
  }
  return put_utf8(b, cp);
}

/* Bytes that end a plain run inside a string: '"', '\\' and controls. */
static const unsigned char stops[256] = {
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  ['"'] = 1, ['\\'] = 1,
};

/* The bytes of X that are '"', '\\' or below 0x20, as their high bits:
 * the classic has-zero-byte and has-less-than tests, exact for the lowest
 * flagged byte (a borrow only flags bytes above a true match). */
static inline uint64_t stop_bits(uint64_t x)
{
  const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
  uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
  return (((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x)) & highs;
}

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define WORD_SCAN 1   /* the lowest flagged byte is the first in memory */
#endif

/* The first byte at or after Q (before END) that ends a plain run. */
static inline const char *scan_plain(const char *q, const char *end)
{
#ifdef __SSE2__
  /* sixteen bytes a round: '"', '\\', and below 0x20 (as signed bytes,
   * what is below 0x20 unsigned is below 0x20 and not negative) */
  const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
  const __m128i space = _mm_set1_epi8(0x20), neg = _mm_set1_epi8(-1);
  for (; end - q >= 16; q += 16) {
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)q);
    __m128i ctl = _mm_and_si128(_mm_cmplt_epi8(x, space), _mm_cmpgt_epi8(x, neg));
    __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote),
                                            _mm_cmpeq_epi8(x, bslash)), ctl);
    unsigned m = (unsigned)_mm_movemask_epi8(hit);
    if (m) return q + __builtin_ctz(m);
  }
#endif
#ifdef WORD_SCAN
  for (; end - q >= 8; q += 8) {   /* eight bytes a round */
    uint64_t x, m;
    memcpy(&x, q, 8);
    if ((m = stop_bits(x)) != 0) return q + __builtin_ctzll(m) / 8;
  }
#endif
  while (q < end && !stops[(unsigned char)*q]) q++;
  return q;
}

/* Scans a string at ps->p (on the opening quote) that has no escapes:
 * returns 1 with S and LEN set to the text in the input and ps->p past the
 * closing quote, or 0 (ps->p unchanged) when the slow path is needed. */
static inline int plain_string(parser *ps, const char **s, size_t *len)
{
  const char *q = scan_plain(ps->p + 1, ps->end);
  if (q >= ps->end || *q != '"') return 0;
  *s = ps->p + 1;
  *len = (size_t)(q - *s);
  ps->p = q + 1;
  return 1;
}

/* Parses a string at ps->p (on the opening quote) into a new buffer. */
static int parse_string(parser *ps, kd_buf *b)
{
  const char *at = ps->p++;
  for (;;) {
    const char *run = ps->p;
    ps->p = scan_plain(ps->p, ps->end);
    if (kd_buf_add(b, run, (size_t)(ps->p - run)))
      return kd_error_set(ps->err, KD_ENOMEM, "out of memory");
    if (ps->p >= ps->end) return fail(ps, at, "unterminated string");
    if (*ps->p == '"') { ps->p++; return KD_OK; }
    if (*ps->p == '\\') {
      int rc;
      ps->p++;
      if ((rc = parse_escape(ps, b)) != KD_OK) {
        if (rc == KD_ENOMEM) kd_error_set(ps->err, rc, "out of memory");
        return rc;
      }
      continue;
    }
    return fail(ps, ps->p, "control character in string");
  }
}

/* Kept out of line: its buffer would otherwise sit in every frame of the
 * walk_value/walk_container recursion (deep inputs, sanitizer builds).
 * strtoll/strtod need a terminated copy: on the stack for the usual
 * lengths, on the heap for the rare long literal (valid JSON too). */
#ifdef __GNUC__
__attribute__((noinline))
#endif
static int parse_number(parser *ps, kd_value *out)
{
  const char *s = ps->p, *q = ps->p;
  int is_int = 1;
  char tmp[64], *text;
  size_t n;
  if (q < ps->end && *q == '-') q++;
  if (q >= ps->end || *q < '0' || *q > '9') return fail(ps, s, "invalid number");
  if (*q == '0') q++;
  else while (q < ps->end && *q >= '0' && *q <= '9') q++;
  if (q < ps->end && *q == '.') {
    is_int = 0;
    q++;
    if (q >= ps->end || *q < '0' || *q > '9') return fail(ps, s, "invalid number");
    while (q < ps->end && *q >= '0' && *q <= '9') q++;
  }
  if (q < ps->end && (*q == 'e' || *q == 'E')) {
    is_int = 0;
    q++;
    if (q < ps->end && (*q == '+' || *q == '-')) q++;
    if (q >= ps->end || *q < '0' || *q > '9') return fail(ps, s, "invalid number");
    while (q < ps->end && *q >= '0' && *q <= '9') q++;
  }
  n = (size_t)(q - s);
  text = n < sizeof tmp ? tmp : malloc(n + 1);
  if (!text) return kd_error_set(ps->err, KD_ENOMEM, "out of memory");
  memcpy(text, s, n);
  text[n] = 0;
  ps->p = q;
  if (is_int) {
    long long v;
    errno = 0;
    v = strtoll(text, NULL, 10);
    if (errno == ERANGE) is_int = 0;   /* beyond int64: a float64, as Go */
    else kd_value_int(out, (int64_t)v);
  }
  if (!is_int) kd_value_float(out, strtod(text, NULL));
  if (text != tmp) free(text);
  /* Go's decoder refuses what float64 cannot hold (underflow reads as 0) */
  if (!is_int && isinf(out->u.f))
    return fail(ps, s, "number out of range of float64");
  return KD_OK;
}

static int match_word(parser *ps, const char *w)
{
  size_t n = strlen(w);
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, w, n) != 0) return 0;
  ps->p += n;
  return 1;
}

/* ---- event and tape decoding --------------------------------------------
 * One walker for both: it calls SINK, or records into TAPE when there is
 * no sink (a branch per value is cheaper than an indirect call). */

typedef struct {
  parser ps;
  const json_sink *sink;   /* NULL: recording TAPE */
  void *ud;
  kd_buf *scratch;
  json_tape *tape;
} walker;

static int sink_fail(walker *w, int rc)
{
  if (rc == KD_ENOMEM) return kd_error_set(w->ps.err, rc, "out of memory");
  if (rc == KD_ERANGE) return fail(&w->ps, w->ps.p, "value too large to decode");
  if (w->ps.err && w->ps.err->code == KD_OK)
    kd_error_set(w->ps.err, rc, "decoding stopped");
  return rc;
}

static __attribute__((noinline)) int tape_grow(walker *w)
{
  if (kd_buf_reserve(&w->tape->tokens, sizeof(json_token)))
    return kd_error_set(w->ps.err, KD_ENOMEM, "out of memory");
  return KD_OK;
}

/* Appends a token of TYPE to the tape (NULL: out of memory, ERR set). */
static inline json_token *tape_add(walker *w, int type)
{
  kd_buf *b = &w->tape->tokens;
  json_token *t;
  if (b->len + sizeof *t >= b->size && tape_grow(w)) return NULL;
  t = (json_token *)(void *)(b->data + b->len);
  b->len += sizeof *t;
  t->type = (unsigned char)type;
  return t;
}

/* A leaf without payload (null, true, false). */
static int walk_word(walker *w, int type)
{
  int rc;
  if (!w->sink) return tape_add(w, type) ? KD_OK : KD_ENOMEM;
  rc = type == JSON_T_NULL ? w->sink->null(w->ud)
                           : w->sink->boolean(w->ud, type == JSON_T_TRUE);
  return rc ? sink_fail(w, rc) : KD_OK;
}

/* A string with escapes: unescaped into the tape's text, or the scratch
 * buffer handed to the sink. */
static __attribute__((noinline)) int walk_escaped(walker *w)
{
  int rc;
  if (!w->sink) {
    kd_buf *text = &w->tape->text;
    size_t off = text->len;
    json_token *t;
    if ((rc = parse_string(&w->ps, text)) != KD_OK) return rc;
    if (!(t = tape_add(w, JSON_T_STR))) return KD_ENOMEM;
    t->n = text->len - off;
    t->u.off = off;
    t->escaped = 1;
    return KD_OK;
  }
  w->scratch->len = 0;
  if ((rc = parse_string(&w->ps, w->scratch)) != KD_OK) return rc;
  rc = w->sink->string(w->ud, w->scratch->data ? w->scratch->data : "",
                       w->scratch->len);
  return rc ? sink_fail(w, rc) : KD_OK;
}

/* A string at ps->p (on the quote): borrowed from the input when it has
 * no escapes. Inlined into its two callers (every key, every string
 * value): a call per string cost the tape parse of a 1 KB object 0.7k
 * instructions of 11.7k. */
static inline __attribute__((always_inline)) int walk_string(walker *w)
{
  const char *str;
  size_t slen;
  int rc;
  if (!plain_string(&w->ps, &str, &slen)) return walk_escaped(w);
  if (!w->sink) {
    json_token *t = tape_add(w, JSON_T_STR);
    if (!t) return KD_ENOMEM;
    t->n = slen;
    t->u.s = str;
    t->escaped = 0;
    return KD_OK;
  }
  return (rc = w->sink->string(w->ud, str, slen)) ? sink_fail(w, rc) : KD_OK;
}

static __attribute__((noinline)) int walk_number(walker *w)
{
  kd_value v;
  int rc = parse_number(&w->ps, &v);
  if (rc) return rc;
  if (!w->sink) {
    json_token *t = tape_add(w, v.type == KD_INT ? JSON_T_INT : JSON_T_FLOAT);
    if (!t) return KD_ENOMEM;
    if (v.type == KD_INT) t->u.i = v.u.i;
    else t->u.f = v.u.f;
    return KD_OK;
  }
  rc = v.type == KD_INT ? w->sink->integer(w->ud, v.u.i) : w->sink->number(w->ud, v.u.f);
  return rc ? sink_fail(w, rc) : KD_OK;
}

static int walk_value(walker *w, int depth);

/* The container's opening event; *AT is its token's index on a tape. */
static int container_begin(walker *w, int array, int depth, size_t *at)
{
  int rc;
  if (!w->sink) {
    json_token *t;
    *at = w->tape->tokens.len / sizeof *t;
    if (!(t = tape_add(w, array ? JSON_T_ARR : JSON_T_OBJ))) return KD_ENOMEM;
    t->n = 0;
    if ((size_t)depth + 1 > w->tape->max_depth) w->tape->max_depth = (size_t)depth + 1;
    return KD_OK;
  }
  return (rc = w->sink->begin(w->ud, array)) ? sink_fail(w, rc) : KD_OK;
}

static int container_end(walker *w, int array, size_t at, size_t n)
{
  int rc;
  if (!w->sink) {
    ((json_token *)(void *)w->tape->tokens.data)[at].n = n;
    return KD_OK;
  }
  return (rc = w->sink->end(w->ud, array, n)) ? sink_fail(w, rc) : KD_OK;
}

static int walk_container(walker *w, int array, int depth)
{
  parser *ps = &w->ps;
  size_t n = 0, at = 0;
  char close = array ? ']' : '}';
  int rc;
  if ((rc = container_begin(w, array, depth, &at))) return rc;
  ps->p++;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == close) {
    ps->p++;
    return container_end(w, array, at, 0);
  }
  for (;;) {
    skip_ws(ps);
    if (!array) {
      if (ps->p >= ps->end || *ps->p != '"')
        return fail(ps, ps->p, "expected string key in object");
      if ((rc = walk_string(w))) return rc;
      skip_ws(ps);
      if (ps->p >= ps->end || *ps->p != ':')
        return fail(ps, ps->p, "expected ':' after object key");
      ps->p++;
    }
    if ((rc = walk_value(w, depth + 1))) return rc;
    if (w->sink && (rc = w->sink->item(w->ud, array, n))) return sink_fail(w, rc);
    n++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ',') { ps->p++; continue; }
    if (ps->p < ps->end && *ps->p == close) { ps->p++; break; }
    return fail(ps, ps->p, array ? "expected ',' or ']' in array"
                                 : "expected ',' or '}' in object");
  }
  return container_end(w, array, at, n);
}

static int walk_value(walker *w, int depth)
{
  parser *ps = &w->ps;
  if (depth > JSON_MAX_DEPTH) return fail(ps, ps->p, "nesting too deep");
  skip_ws(ps);
  if (ps->p >= ps->end) return fail(ps, ps->p, "unexpected end of input");
  switch (*ps->p) {
  case '{': return walk_container(w, 0, depth);
  case '[': return walk_container(w, 1, depth);
  case '"': return walk_string(w);
  case 't':
    if (match_word(ps, "true")) return walk_word(w, JSON_T_TRUE);
    break;
  case 'f':
    if (match_word(ps, "false")) return walk_word(w, JSON_T_FALSE);
    break;
  case 'n':
    if (match_word(ps, "null")) return walk_word(w, JSON_T_NULL);
    break;
  default:
    if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) return walk_number(w);
  }
  return fail(ps, ps->p, "invalid character, expected a value");
}

static int walk_document(walker *w)
{
  int rc = walk_value(w, 0);
  if (rc == KD_OK) {
    skip_ws(&w->ps);
    if (w->ps.p < w->ps.end) rc = fail(&w->ps, w->ps.p, "unexpected data after JSON value");
  }
  return rc;
}

int json_parse(const char *data, size_t len, const char *source,
               const json_sink *sink, void *ud, kd_buf *scratch,
               kd_error *err)
{
  kd_buf own = {0};
  walker w = {{data, data, data + len, source ? source : "<json>", err},
              sink, ud, scratch ? scratch : &own, NULL};
  int rc = walk_document(&w);
  kd_buf_free(&own);
  return rc;
}

int json_tape_parse(const char *data, size_t len, const char *source,
                    json_tape *tape, kd_error *err)
{
  walker w = {{data, data, data + len, source ? source : "<json>", err},
              NULL, NULL, NULL, tape};
  tape->tokens.len = 0;
  tape->text.len = 0;
  tape->max_depth = 0;
  return walk_document(&w);
}

void json_tape_free(json_tape *tape)
{
  kd_buf_free(&tape->tokens);
  kd_buf_free(&tape->text);
  tape->max_depth = 0;
}

/* ---- decoding into a kd_value: json_parse with a tree-building sink --- */

typedef struct {
  kd_value *root;
  kd_value **open;      /* the containers being filled, innermost last */
  size_t depth, cap;
  kd_value *member;     /* the slot named by the object key just read */
  int key_next;         /* the innermost object expects a key */
} tree;

/* The slot the next value goes into. Pointers on the stack stay valid: a
 * container only grows when its next member starts, after the inner one
 * has been closed and popped. */
static kd_value *tree_slot(tree *t)
{
  kd_value *top;
  if (t->depth == 0) return t->root;
  top = t->open[t->depth - 1];
  return top->type == KD_ARR ? kd_arr_push(top) : t->member;
}

static int tree_null(void *ud)
{
  return tree_slot(ud) ? KD_OK : KD_ENOMEM;
}

static int tree_boolean(void *ud, int b)
{
  kd_value *v = tree_slot(ud);
  if (!v) return KD_ENOMEM;
  kd_value_bool(v, b);
  return KD_OK;
}

static int tree_integer(void *ud, int64_t i)
{
  kd_value *v = tree_slot(ud);
  if (!v) return KD_ENOMEM;
  kd_value_int(v, i);
  return KD_OK;
}

static int tree_number(void *ud, double f)
{
  kd_value *v = tree_slot(ud);
  if (!v) return KD_ENOMEM;
  kd_value_float(v, f);
  return KD_OK;
}

static int tree_string(void *ud, const char *s, size_t len)
{
  tree *t = ud;
  kd_value *v;
  if (t->key_next) {   /* a member's key: a repeated key replaces, as in Go */
    kd_value *obj = t->open[t->depth - 1];
    t->key_next = 0;
    v = kd_obj_get(obj, s, len);
    if (v) kd_value_clear(v);
    else v = kd_obj_add(obj, s, len);
    t->member = v;
    return v ? KD_OK : KD_ENOMEM;
  }
  v = tree_slot(t);
  return v && kd_value_str(v, s, len) == KD_OK ? KD_OK : KD_ENOMEM;
}

static int tree_begin(void *ud, int array)
{
  tree *t = ud;
  kd_value *v = tree_slot(t);
  if (!v) return KD_ENOMEM;
  if (t->depth == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 16;
    kd_value **open = realloc(t->open, cap * sizeof *open);
    if (!open) return KD_ENOMEM;
    t->open = open;
    t->cap = cap;
  }
  if (array) kd_value_arr(v);
  else kd_value_obj(v);
  t->open[t->depth++] = v;
  t->key_next = !array;
  return KD_OK;
}

static int tree_item(void *ud, int array, size_t index)
{
  tree *t = ud;
  (void)index;
  t->key_next = !array;
  return KD_OK;
}

static int tree_end(void *ud, int array, size_t count)
{
  tree *t = ud;
  (void)array;
  (void)count;
  t->depth--;
  return KD_OK;
}

static const json_sink tree_sink = {
  tree_null, tree_boolean, tree_integer, tree_number, tree_string,
  tree_begin, tree_item, tree_end,
};

int json_decode(const char *data, size_t len, const char *source,
                kd_value *out, kd_error *err)
{
  tree t = {out, NULL, 0, 0, NULL, 0};
  int rc;
  kd_value_null(out);
  rc = json_parse(data, len, source, &tree_sink, &t, NULL, err);
  free(t.open);
  if (rc != KD_OK) kd_value_clear(out);
  return rc;
}

/* ---- encoding ---------------------------------------------------------- */

int json_encode_string(const char *s, size_t len, int flags, kd_buf *out)
{
  static const char hex[] = "0123456789abcdef";
  size_t i, run = 0;
  if (kd_buf_addc(out, '"')) return KD_ENOMEM;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    const char *esc = NULL;
    char u[7];
    int html = (flags & JSON_ESCAPE_HTML) && (c == '<' || c == '>' || c == '&');
    /* U+2028/U+2029 are escaped by Go so the output is valid JavaScript. */
    int ls = c == 0xE2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
             ((unsigned char)s[i + 2] & 0xFE) == 0xA8;
    if (c >= 0x20 && c != '"' && c != '\\' && !html && !ls) continue;
    if (kd_buf_add(out, s + run, i - run)) return KD_ENOMEM;
    switch (c) {
    case '"': esc = "\\\""; break;
    case '\\': esc = "\\\\"; break;
    case '\n': esc = "\\n"; break;
    case '\r': esc = "\\r"; break;
    case '\t': esc = "\\t"; break;
    default:
      if (ls) {
        esc = s[i + 2] == (char)0xA8 ? "\\u2028" : "\\u2029";
        i += 2;
      } else {
        u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
        u[4] = hex[c >> 4]; u[5] = hex[c & 15]; u[6] = 0;
        esc = u;
      }
    }
    if (kd_buf_adds(out, esc)) return KD_ENOMEM;
    run = i + 1;
  }
  if (kd_buf_add(out, s + run, len - run) || kd_buf_addc(out, '"'))
    return KD_ENOMEM;
  return KD_OK;
}

int json_float_digits(double f, char *digits, size_t size)
{
  char tmp[40], *p, *q;
  int prec, exp10;
  for (prec = 1; prec <= 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, f);
    if (strtod(tmp, NULL) == f) break;
  }
  exp10 = atoi(strchr(tmp, 'e') + 1) + 1;
  q = digits;
  for (p = tmp; *p && *p != 'e'; p++)
    if (*p >= '0' && *p <= '9' && (size_t)(q - digits) < size - 1) *q++ = *p;
  *q = 0;
  while (q > digits + 1 && q[-1] == '0') *--q = 0;
  return exp10;
}

int json_format_float(double f, kd_buf *out)
{
  char digits[40];
  double a = fabs(f);
  int exp10, n, i, rc = KD_OK;
  if (isnan(f) || isinf(f)) return KD_ERANGE;
  if (f == 0) return kd_buf_adds(out, signbit(f) ? "-0" : "0");
  exp10 = json_float_digits(f, digits, sizeof digits);
  n = (int)strlen(digits);
  if (f < 0 && kd_buf_addc(out, '-')) return KD_ENOMEM;
  if (a >= 1e-6 && a < 1e21) {
    /* fixed notation, as strconv.FormatFloat(f, 'f', -1, 64) */
    if (exp10 <= 0) {
      rc |= kd_buf_add(out, "0.", 2);
      for (i = 0; i < -exp10; i++) rc |= kd_buf_addc(out, '0');
      rc |= kd_buf_add(out, digits, (size_t)n);
    } else if (exp10 >= n) {
      rc |= kd_buf_add(out, digits, (size_t)n);
      for (i = n; i < exp10; i++) rc |= kd_buf_addc(out, '0');
    } else {
      rc |= kd_buf_add(out, digits, (size_t)exp10);
      rc |= kd_buf_addc(out, '.');
      rc |= kd_buf_add(out, digits + exp10, (size_t)(n - exp10));
    }
    return rc ? KD_ENOMEM : KD_OK;
  }
  /* exponent form, as encoding/json: 1e-7, 1.5e+21 (two-digit exponents
   * are not zero-padded) */
  rc |= kd_buf_addc(out, digits[0]);
  if (n > 1) {
    rc |= kd_buf_addc(out, '.');
    rc |= kd_buf_add(out, digits + 1, (size_t)(n - 1));
  }
  rc |= kd_buf_printf(out, "e%c%d", exp10 - 1 < 0 ? '-' : '+',
                      exp10 - 1 < 0 ? 1 - exp10 : exp10 - 1);
  return rc ? KD_ENOMEM : KD_OK;
}

static int indent(kd_buf *out, int flags, int level)
{
  int i;
  if (!(flags & JSON_PRETTY)) return KD_OK;
  if (kd_buf_addc(out, '\n')) return KD_ENOMEM;
  for (i = 0; i < level; i++)
    if (kd_buf_add(out, "  ", 2)) return KD_ENOMEM;
  return KD_OK;
}

static int cmp_member(const void *a, const void *b)
{
  const kd_member *x = *(kd_member *const *)a, *y = *(kd_member *const *)b;
  size_t n = x->klen < y->klen ? x->klen : y->klen;
  int c = memcmp(x->key, y->key, n);
  return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

static int encode(const kd_value *v, int flags, kd_buf *out, int level,
                  kd_error *err);

static int encode_object(const kd_value *v, int flags, kd_buf *out,
                         int level, kd_error *err)
{
  size_t i, n = v->u.obj.len;
  const kd_member **order;
  int rc = KD_OK;
  if (n == 0) return kd_buf_add(out, "{}", 2);
  order = malloc(n * sizeof *order);
  if (!order) return kd_error_set(err, KD_ENOMEM, "out of memory");
  for (i = 0; i < n; i++) order[i] = &v->u.obj.m[i];
  if (flags & JSON_SORT_KEYS) qsort(order, n, sizeof *order, cmp_member);
  if (kd_buf_addc(out, '{')) rc = KD_ENOMEM;
  for (i = 0; i < n && rc == KD_OK; i++) {
    if ((i && kd_buf_addc(out, ',')) || indent(out, flags, level + 1) ||
        json_encode_string(order[i]->key, order[i]->klen, flags, out) ||
        kd_buf_add(out, (flags & JSON_PRETTY) ? ": " : ":",
                   (flags & JSON_PRETTY) ? 2 : 1)) {
      rc = KD_ENOMEM;
      break;
    }
    rc = encode(&order[i]->val, flags, out, level + 1, err);
  }
  free(order);
  if (rc == KD_OK && (indent(out, flags, level) || kd_buf_addc(out, '}')))
    rc = KD_ENOMEM;
  return rc;
}

static int encode(const kd_value *v, int flags, kd_buf *out, int level,
                  kd_error *err)
{
  size_t i;
  int rc;
  if (level > JSON_MAX_DEPTH)
    return kd_error_set(err, KD_ERANGE, "json: nesting too deep");
  switch (v->type) {
  case KD_NULL: rc = kd_buf_add(out, "null", 4); break;
  case KD_BOOL: rc = kd_buf_adds(out, v->u.b ? "true" : "false"); break;
  case KD_INT:
    rc = v->is_uint ? kd_buf_printf(out, "%llu", (unsigned long long)v->u.i)
                    : kd_buf_printf(out, "%lld", (long long)v->u.i);
    break;
  case KD_FLOAT:
    rc = json_format_float(v->u.f, out);
    if (rc == KD_ERANGE)
      return kd_error_set(err, rc, "json: unsupported value: %g", v->u.f);
    break;
  case KD_STR:
    rc = json_encode_string(v->u.str.s, v->u.str.len, flags, out);
    break;
  case KD_ARR:
    if (v->u.arr.len == 0) { rc = kd_buf_add(out, "[]", 2); break; }
    if (kd_buf_addc(out, '[')) { rc = KD_ENOMEM; break; }
    for (i = 0; i < v->u.arr.len; i++) {
      if ((i && kd_buf_addc(out, ',')) || indent(out, flags, level + 1))
        return kd_error_set(err, KD_ENOMEM, "out of memory");
      if ((rc = encode(&v->u.arr.items[i], flags, out, level + 1, err)))
        return rc;
    }
    rc = indent(out, flags, level) || kd_buf_addc(out, ']') ? KD_ENOMEM : 0;
    break;
  case KD_OBJ: return encode_object(v, flags, out, level, err);
  default: rc = KD_EINVAL;
  }
  if (rc == KD_ENOMEM) return kd_error_set(err, rc, "out of memory");
  return rc;
}

int json_encode(const kd_value *v, int flags, kd_buf *out, kd_error *err)
{
  return encode(v, flags, out, 0, err);
}
