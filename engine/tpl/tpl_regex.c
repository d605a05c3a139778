/* engine/tpl/tpl_regex.c: Go's regexp (RE2 syntax) on PCRE2. A parser
 * that follows Go's regexp/syntax checks the pattern left to right, with
 * Go's error codes and texts, and writes an equivalent PCRE2 pattern:
 * every literal as \x{..}, Go's \s as its own set (PCRE2's has \v),
 * captures numbered as Go numbers them (names kept here, not in PCRE2),
 * flags (?imsU) restated in full before the atom they apply to. Matching
 * is leftmost-first in both. Compiled with DOLLAR_ENDONLY and
 * ALT_CIRCUMFLEX so ^ and $ behave as Go's in both line modes.
 *
 * Loops differ. Go's matchers never revisit an instruction at the same
 * input position, so an iteration of x* / x+ that matches empty after an
 * earlier iteration ends at the loop's own position is a dead thread: the
 * other alternatives of x are tried, then the loop exits. PCRE2 instead
 * accepts such an iteration and leaves the loop. Go compiles x+ as
 * "x; L: split(x, out)", x* of a nullable x as (x+)? and x{n,} as
 * x{n-1}x+, so its rule is: the first iteration of the + loop may be
 * empty (and ends it), any later empty one fails. A group under an
 * unlimited repeat that can match empty is written that way here, with a
 * hidden capture E at the loop's entry, one H around each iteration and a
 * callout after it that fails an empty H not starting at E. Go's
 * captures are named gN in the PCRE2 pattern, the hidden ones eK/hK, so
 * x{n,}'s second copy of x (translated again) may reuse the gN names:
 * for each Go group the last one set in pattern order is the latest. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tpl_int.h"

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REPEAT 1000
#define MAX_NEST 1000   /* Go's maxHeight */

enum { F_FOLD = 1, F_MULTI = 2, F_DOTNL = 4, F_UNGREEDY = 8 };

typedef struct {
  int flags, emitted;   /* the flags to restore at ')' */
  int capture;
  long pmax;            /* the enclosing group's repeat product so far */
  size_t src_at, out_at; /* where the group starts in the pattern, in out */
  int ncap_at;          /* captures before it */
} frame;

typedef struct {
  const char *s;
  size_t len, i;
  kd_buf *out, *msg;
  int flags, emitted;   /* Go's flags now; the ones PCRE2 has been told */
  int ncap, oom;
  kd_buf names;         /* NUL-separated names of captures 1..ncap */
  frame *st;
  size_t depth, cap;
  int have_atom;        /* a repeat has an operand */
  long atom_p;          /* repeat product of that operand (Go's repeatIsValid) */
  long pmax;            /* largest product in the current group */
  size_t last_repeat;   /* start of the previous token when a repeat, or -1 */
  int nloop;            /* rewritten loops so far (their K in eK/hK) */
  int grp;              /* the operand is the group below */
  size_t grp_src, grp_end, grp_out;
  int grp_ncap, grp_flags;
} tr;

static int fail(tr *t, const char *code, const char *expr, size_t n)
{
  t->msg->len = 0;
  kd_buf_printf(t->msg, "error parsing regexp: %s: `%.*s`", code, (int)n, expr);
  return KD_EPARSE;
}

static void emit(tr *t, const char *s)
{
  if (kd_buf_adds(t->out, s)) t->oom = 1;
}

static void emit_rune(tr *t, int32_t r)
{
  if (r < 0x80 && ((r >= '0' && r <= '9') || ((r | 0x20) >= 'a' && (r | 0x20) <= 'z'))) {
    if (kd_buf_addc(t->out, (char)r)) t->oom = 1;
  } else if (kd_buf_printf(t->out, "\\x{%x}", (unsigned)r)) {
    t->oom = 1;
  }
}

/* Tells PCRE2 the flags in force before the next atom. */
static void sync_flags(tr *t)
{
  if (t->flags == t->emitted) return;
  emit(t, "(?^");
  if (t->flags & F_FOLD) emit(t, "i");
  if (t->flags & F_MULTI) emit(t, "m");
  if (t->flags & F_DOTNL) emit(t, "s");
  if (t->flags & F_UNGREEDY) emit(t, "U");
  emit(t, ")");
  t->emitted = t->flags;
}

/* Go's nextRune: the rune at I; invalid UTF-8 is an error. */
static int next_rune(tr *t, size_t *i, int32_t *r)
{
  int w;
  if (*i >= t->len) {
    *r = -1;
    return KD_OK;
  }
  w = tpl_utf8_decode(t->s + *i, t->len - *i, r);
  if (*r == TPL_RUNE_ERROR && w == 1 &&
      !(t->len - *i >= 3 && memcmp(t->s + *i, "\xEF\xBF\xBD", 3) == 0))
    return fail(t, "invalid UTF-8", t->s + *i, t->len - *i);
  *i += (size_t)w;
  return KD_OK;
}

static int unhex(int32_t c)
{
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int is_alnum(int32_t c)
{
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Go's parseEscape: the single character of the escape at *I ('\\'). */
static int parse_escape(tr *t, size_t *i, int32_t *r)
{
  size_t start = *i, j = *i + 1;
  int32_t c;
  int rc;
  if (j >= t->len) return fail(t, "trailing backslash at end of expression", "", 0);
  if ((rc = next_rune(t, &j, &c)) != KD_OK) return rc;
  switch (c) {
  case '1': case '2': case '3': case '4': case '5': case '6': case '7':
    if (j >= t->len || t->s[j] < '0' || t->s[j] > '7') break;
    /* fallthrough */
  case '0': {
    int k;
    *r = c - '0';
    for (k = 1; k < 3 && j < t->len && t->s[j] >= '0' && t->s[j] <= '7'; k++)
      *r = *r * 8 + (t->s[j++] - '0');
    *i = j;
    return KD_OK;
  }
  case 'x': {
    int32_t v = 0, d;
    int nhex = 0;
    if (j >= t->len) break;
    if ((rc = next_rune(t, &j, &c)) != KD_OK) return rc;
    if (c == '{') {
      for (;;) {
        if (j >= t->len) goto bad;
        if ((rc = next_rune(t, &j, &c)) != KD_OK) return rc;
        if (c == '}') break;
        if ((d = unhex(c)) < 0) goto bad;
        v = v * 16 + d;
        if (v > TPL_MAX_RUNE) goto bad;
        nhex++;
      }
      if (!nhex) goto bad;
      *r = v;
      *i = j;
      return KD_OK;
    }
    d = unhex(c);
    if (j >= t->len) goto bad;
    if ((rc = next_rune(t, &j, &c)) != KD_OK) return rc;
    if (d < 0 || unhex(c) < 0) goto bad;
    *r = d * 16 + unhex(c);
    *i = j;
    return KD_OK;
  }
  case 'a': *r = 7; *i = j; return KD_OK;
  case 'f': *r = 12; *i = j; return KD_OK;
  case 'n': *r = 10; *i = j; return KD_OK;
  case 'r': *r = 13; *i = j; return KD_OK;
  case 't': *r = 9; *i = j; return KD_OK;
  case 'v': *r = 11; *i = j; return KD_OK;
  default:
    if (c < 0x80 && !is_alnum(c)) {
      *r = c;
      *i = j;
      return KD_OK;
    }
  }
bad:
  return fail(t, "invalid escape sequence", t->s + start, j - start);
}

/* Go's \d \s \w and negations; IN_CLASS: as class members. */
static int perl_class(tr *t, size_t *i, int in_class)
{
  char c;
  if (*i + 1 >= t->len || t->s[*i] != '\\') return 0;
  c = t->s[*i + 1];
  if (!c || !strchr("dDsSwW", c)) return 0;
  *i += 2;
  if (c == 's') emit(t, in_class ? "\\t\\n\\f\\r\\x{20}" : "[\\t\\n\\f\\r\\x{20}]");
  else if (c == 'S') emit(t, in_class ? "\\S\\x{b}" : "[\\S\\x{b}]");
  else {
    char e[3] = {'\\', c, 0};
    emit(t, e);
  }
  return 1;
}

/* A Unicode property name Go's unicodeTable knows: Any, a general
 * category, or a script (names as Go spells them; PCRE2 confirms it). */
static int go_unicode_name(const char *n, size_t len)
{
  static const char *const cats[] = {
    "Any", "C", "Cc", "Cf", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu",
    "M", "Mc", "Me", "Mn", "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe",
    "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So", "Z", "Zl", "Zp",
    "Zs"};
  size_t k;
  int err;
  PCRE2_SIZE off;
  pcre2_code *code;
  kd_buf b = {0};
  for (k = 0; k < sizeof cats / sizeof *cats; k++)
    if (strlen(cats[k]) == len && memcmp(cats[k], n, len) == 0) return 1;
  if (len < 2 || n[0] < 'A' || n[0] > 'Z') return 0;
  for (k = 1; k < len; k++) {
    char c = n[k];
    if (c == '_') {
      if (k + 1 >= len || n[k + 1] < 'A' || n[k + 1] > 'Z') return 0;
    } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
      return 0;
    }
  }
  if (kd_buf_printf(&b, "\\p{%.*s}", (int)len, n)) return 0;
  code = pcre2_compile((PCRE2_SPTR)b.data, b.len, PCRE2_UTF, &err, &off, NULL);
  kd_buf_free(&b);
  pcre2_code_free(code);
  return code != NULL;
}

/* Go's parseUnicodeClass at *I: \pL, \p{Name}, \p{^Name}, \P... */
static int unicode_class(tr *t, size_t *i, int *found)
{
  size_t start = *i, j = *i + 2, end, nb;
  int neg;
  int32_t c;
  int rc;
  const char *name;
  *found = 0;
  if (*i + 1 >= t->len || t->s[*i] != '\\' ||
      (t->s[*i + 1] != 'p' && t->s[*i + 1] != 'P'))
    return KD_OK;
  neg = t->s[*i + 1] == 'P';
  if ((rc = next_rune(t, &j, &c)) != KD_OK) return rc;
  if (c != '{') {
    name = t->s + start + 2;
    nb = j - start - 2;
    end = j;
  } else {
    const char *close = memchr(t->s + start, '}', t->len - start);
    if (!close) return fail(t, "invalid character class range", t->s + start, t->len - start);
    end = (size_t)(close - t->s) + 1;
    name = t->s + start + 3;
    nb = end - start - 4;
  }
  if (nb && name[0] == '^') {
    neg = !neg;
    name++;
    nb--;
  }
  if (!go_unicode_name(name, nb))
    return fail(t, "invalid character class range", t->s + start, end - start);
  if (kd_buf_printf(t->out, "\\%c{%.*s}", neg ? 'P' : 'p', (int)nb, name)) t->oom = 1;
  *i = end;
  *found = 1;
  return KD_OK;
}

/* Go's parseNamedClass at *I ("[:alpha:]"): 0 when not one (the '[' is
 * then a literal). */
static int posix_class(tr *t, size_t *i, int *found)
{
  static const char *const names[] = {
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower",
    "print", "punct", "space", "upper", "word", "xdigit"};
  const char *p = t->s + *i, *end;
  size_t k, n;
  int neg;
  *found = 0;
  if (t->len - *i <= 2 || p[0] != '[' || p[1] != ':') return KD_OK;
  end = NULL;
  for (k = 2; k + 1 < t->len - *i; k++)
    if (p[k] == ':' && p[k + 1] == ']') {
      end = p + k;
      break;
    }
  if (!end) return KD_OK;
  n = (size_t)(end - p) + 2;
  neg = p[2] == '^';
  for (k = 0; k < sizeof names / sizeof *names; k++) {
    size_t nl = strlen(names[k]);
    if (nl == n - 4 - (size_t)neg && memcmp(p + 2 + neg, names[k], nl) == 0) {
      if (kd_buf_add(t->out, p, n)) t->oom = 1;
      *i += n;
      *found = 1;
      return KD_OK;
    }
  }
  return fail(t, "invalid character class range", p, n);
}

/* Go's parseClassChar: one (possibly escaped) character of a class. */
static int class_char(tr *t, size_t *i, size_t whole, int32_t *r)
{
  if (*i >= t->len) return fail(t, "missing closing ]", t->s + whole, t->len - whole);
  if (t->s[*i] == '\\') return parse_escape(t, i, r);
  return next_rune(t, i, r);
}

static void emit_class_range(tr *t, int32_t lo, int32_t hi)
{
  emit_rune(t, lo);
  if (hi != lo) {
    emit(t, "-");
    emit_rune(t, hi);
  }
}

/* Go's parseClass at *I ('['). */
static int parse_class(tr *t, size_t *i)
{
  size_t whole = *i, j = *i + 1;
  int first = 1, rc, found;
  sync_flags(t);
  emit(t, "[");
  if (j < t->len && t->s[j] == '^') {
    emit(t, "^");
    j++;
  }
  while (j >= t->len || t->s[j] != ']' || first) {
    size_t rng = j;
    int32_t lo, hi;
    first = 0;
    if ((rc = posix_class(t, &j, &found)) != KD_OK) return rc;
    if (found) continue;
    if ((rc = unicode_class(t, &j, &found)) != KD_OK) return rc;
    if (found) continue;
    if (perl_class(t, &j, 1)) continue;
    if ((rc = class_char(t, &j, whole, &lo)) != KD_OK) return rc;
    hi = lo;
    if (t->len - j >= 2 && t->s[j] == '-' && t->s[j + 1] != ']') {
      j++;
      if ((rc = class_char(t, &j, whole, &hi)) != KD_OK) return rc;
      if (hi < lo) return fail(t, "invalid character class range", t->s + rng, j - rng);
    }
    emit_class_range(t, lo, hi);
  }
  emit(t, "]");
  *i = j + 1;
  return KD_OK;
}

/* A new operand was written: it is what a following repeat applies to. */
static void atom(tr *t, long p)
{
  t->have_atom = 1;
  t->grp = 0;
  t->atom_p = p;
  if (p > t->pmax) t->pmax = p;
}

static int push_frame(tr *t, int capture, size_t src_at)
{
  if (t->depth >= MAX_NEST)
    return fail(t, "expression nests too deeply", t->s, t->len);
  if (t->depth == t->cap) {
    size_t nc = t->cap ? t->cap * 2 : 16;
    frame *n = realloc(t->st, nc * sizeof *n);
    if (!n) return KD_ENOMEM;
    t->st = n;
    t->cap = nc;
  }
  t->st[t->depth].flags = t->flags;
  t->st[t->depth].emitted = t->emitted;
  t->st[t->depth].capture = capture;
  t->st[t->depth].pmax = t->pmax;
  t->st[t->depth].src_at = src_at;
  t->st[t->depth].out_at = t->out->len;
  t->st[t->depth].ncap_at = t->ncap;
  t->depth++;
  t->pmax = 0;
  t->have_atom = 0;
  return KD_OK;
}

static int valid_capture_name(const char *n, size_t len)
{
  size_t k;
  if (!len) return 0;
  for (k = 0; k < len; k++)
    if (n[k] != '_' && !is_alnum((unsigned char)n[k])) return 0;
  return 1;
}

static int open_capture(tr *t, const char *name, size_t nlen, size_t src_at)
{
  int rc;
  sync_flags(t);
  if ((rc = push_frame(t, 1, src_at)) != KD_OK) return rc;
  t->ncap++;
  if (kd_buf_add(&t->names, name, nlen) || kd_buf_addc(&t->names, 0)) t->oom = 1;
  if (kd_buf_printf(t->out, "(?<g%d>", t->ncap)) t->oom = 1;
  return KD_OK;
}

/* Go's parsePerlFlags at *I ("(?"). */
static int perl_flags(tr *t, size_t *i)
{
  const char *s = t->s + *i;
  size_t n = t->len - *i, j;
  int flags = t->flags, neg = 0, saw = 0, rc;
  if ((n > 4 && s[2] == 'P' && s[3] == '<') || (n > 3 && s[2] == '<')) {
    size_t begin = s[2] == '<' ? 3 : 4;
    const char *gt = memchr(s, '>', n);
    size_t end;
    if (!gt) return fail(t, "invalid named capture", s, n);
    end = (size_t)(gt - s);
    if (!valid_capture_name(s + begin, end - begin))
      return fail(t, "invalid named capture", s, end + 1);
    if ((rc = open_capture(t, s + begin, end - begin, *i)) != KD_OK) return rc;
    *i += end + 1;
    return KD_OK;
  }
  for (j = 2; j < n;) {
    char c = s[j];
    int32_t r;
    size_t at = *i + j;
    if ((rc = next_rune(t, &at, &r)) != KD_OK) return rc;
    j = at - *i;
    switch (r) {
    case 'i': flags = neg ? flags & ~F_FOLD : flags | F_FOLD; saw = 1; continue;
    case 'm': flags = neg ? flags & ~F_MULTI : flags | F_MULTI; saw = 1; continue;
    case 's': flags = neg ? flags & ~F_DOTNL : flags | F_DOTNL; saw = 1; continue;
    case 'U': flags = neg ? flags & ~F_UNGREEDY : flags | F_UNGREEDY; saw = 1; continue;
    case '-':
      if (neg) break;
      neg = 1;
      saw = 0;
      continue;
    case ':': case ')':
      if (neg && !saw) break;
      if (c == ':') {
        sync_flags(t);
        if ((rc = push_frame(t, 0, *i)) != KD_OK) return rc;
        emit(t, "(?:");
      }
      t->flags = flags;
      *i += j;
      return KD_OK;
    default: break;
    }
    break;
  }
  return fail(t, "invalid or unsupported Perl syntax", s, j);
}

static int close_group(tr *t)
{
  frame *f;
  long p;
  if (!t->depth) return fail(t, "unexpected )", t->s, t->len);
  f = &t->st[--t->depth];
  emit(t, ")");
  p = t->pmax;
  t->flags = f->flags;
  t->emitted = f->emitted;   /* PCRE2 restores its flags at ')' too */
  t->pmax = f->pmax;
  atom(t, p);
  t->grp = 1;
  t->grp_src = f->src_at;
  t->grp_end = t->i;
  t->grp_out = f->out_at;
  t->grp_ncap = f->ncap_at;
  t->grp_flags = f->flags;
  return KD_OK;
}

/* Go's parseInt for repeat counts: no leading zeros, -1 past 1e8. */
static int repeat_int(const char *s, size_t n, size_t *j, long *v)
{
  size_t k = *j;
  if (k >= n || s[k] < '0' || s[k] > '9') return 0;
  if (n - k >= 2 && s[k] == '0' && s[k + 1] >= '0' && s[k + 1] <= '9') return 0;
  *v = 0;
  for (; k < n && s[k] >= '0' && s[k] <= '9'; k++)
    if (*v >= 0) *v = *v >= 100000000 ? -1 : *v * 10 + (s[k] - '0');
  *j = k;
  return 1;
}

/* Go's parseRepeat at *I ('{'): {n}, {n,}, {n,m}; 0 when it is none. */
static int parse_repeat(tr *t, size_t i, long *min, long *max, size_t *end)
{
  size_t j = i + 1;
  if (!repeat_int(t->s, t->len, &j, min)) return 0;
  if (j >= t->len) return 0;
  if (t->s[j] == ',') {
    j++;
    if (j >= t->len) return 0;
    if (t->s[j] == '}') *max = -1;
    else if (!repeat_int(t->s, t->len, &j, max)) return 0;
    else if (*max < 0) *min = -1;   /* too big: reported as the count */
  } else {
    *max = *min;
  }
  if (j >= t->len || t->s[j] != '}') return 0;
  *end = j + 1;
  return 1;
}

static int translate(tr *t);

#define PCRE_OPTS (PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY | \
                   PCRE2_ALT_CIRCUMFLEX | PCRE2_NEVER_BACKSLASH_C | PCRE2_DUPNAMES)

/* Whether the PCRE2 text X of a group may match empty: 1 unless PCRE2's
 * lower bound on its match length is above 0 (a failed compile counts as
 * nullable: the rewrite is correct for any operand, only slower). */
static int may_be_empty(const char *x, size_t n)
{
  int err;
  PCRE2_SIZE off;
  uint32_t min = 0;
  pcre2_code *c = pcre2_compile((PCRE2_SPTR)x, n, PCRE_OPTS, &err, &off, NULL);
  if (!c) return 1;
  pcre2_pattern_info(c, PCRE2_INFO_MINLENGTH, &min);
  pcre2_code_free(c);
  return min == 0;
}

/* Translates the group operand again into DST (x{n,}'s second copy of x),
 * with the flags and capture numbers it had; loops in it get new K. */
static int translate_again(tr *t, kd_buf *dst)
{
  tr sub;
  int rc;
  memset(&sub, 0, sizeof sub);
  sub.s = t->s;
  sub.len = t->grp_end;
  sub.i = t->grp_src;
  sub.out = dst;
  sub.msg = t->msg;
  sub.flags = sub.emitted = t->grp_flags;
  sub.ncap = t->grp_ncap;
  sub.nloop = t->nloop;
  rc = translate(&sub);
  t->nloop = sub.nloop;
  free(sub.st);
  kd_buf_free(&sub.names);
  return rc;
}

/* Writes the repeat MIN,inf (LAZY: the Go operator ends in '?') of the
 * group just written (out from grp_out, which may match empty) with Go's
 * loop rules (see the top
 * of the file): (?:x){MIN-1} then the + loop, made optional for MIN 0. */
static int go_loop(tr *t, long min, int lazy)
{
  kd_buf x = {0}, again = {0};
  const char *q = lazy ? "?" : "";
  int k, rc = KD_OK;
  size_t xlen = t->out->len - t->grp_out;
  if (kd_buf_add(&x, t->out->data + t->grp_out, xlen)) {
    t->oom = 1;
    return KD_OK;
  }
  t->out->len = t->grp_out;
  if (min >= 2) {
    if (kd_buf_printf(t->out, "(?:%.*s){%ld}", (int)x.len, x.data, min - 1)) t->oom = 1;
    if ((rc = translate_again(t, &again)) != KD_OK) goto done;
    kd_buf_free(&x);
    x = again;
    again.data = NULL;
  }
  k = t->nloop++;
  if (kd_buf_printf(t->out, "(?:(?<e%d>)(?:(?<h%d>%.*s)(?C{%d}))+%s)%s%s", k, k,
                    (int)x.len, x.data, k, q, min == 0 ? "?" : "",
                    min == 0 ? q : ""))
    t->oom = 1;
done:
  kd_buf_free(&x);
  kd_buf_free(&again);
  return rc;
}

/* Go's (*parser).repeat for the operator at START..*END (MIN/MAX for {}:
 * -2 for * + ?). */
static int repeat(tr *t, size_t start, size_t *end, long min, long max)
{
  size_t after = *end;
  if (after < t->len && t->s[after] == '?') after++;
  if (t->last_repeat != (size_t)-1)
    return fail(t, "invalid nested repetition operator", t->s + t->last_repeat,
                after - t->last_repeat);
  if (!t->have_atom)
    return fail(t, "missing argument to repetition operator", t->s + start,
                after - start);
  if (min != -2) {
    long m = max < 0 ? min : max, p;
    if (max == 0) {
      p = 0;
    } else {
      p = (m > 0 ? m : 1) * (t->atom_p > 0 ? t->atom_p : 1);
      if (p > MAX_REPEAT + 1) p = MAX_REPEAT + 1;
      if ((min >= 2 || max >= 2) && p > MAX_REPEAT)
        return fail(t, "invalid repeat count", t->s + start, *end - start);
    }
    t->atom_p = p;
    if (p > t->pmax) t->pmax = p;
  }
  *end = after;
  if (t->grp && (t->s[start] == '*' || t->s[start] == '+' ||
                 (t->s[start] == '{' && max < 0)) &&
      may_be_empty(t->out->data + t->grp_out, t->out->len - t->grp_out))
    return go_loop(t, t->s[start] == '*' ? 0 : t->s[start] == '+' ? 1 : min,
                   after > start && t->s[after - 1] == '?' && after - start > 1);
  if (kd_buf_add(t->out, t->s + start, after - start)) t->oom = 1;
  return KD_OK;
}

static int translate(tr *t)
{
  int rc = KD_OK;
  t->last_repeat = (size_t)-1;
  while (t->i < t->len && rc == KD_OK && !t->oom) {
    size_t tok = t->i, rep = (size_t)-1;
    char c = t->s[t->i];
    int found;
    int32_t r;
    switch (c) {
    case '(':
      if (t->len - t->i >= 2 && t->s[t->i + 1] == '?') {
        rc = perl_flags(t, &t->i);
        break;
      }
      t->i++;
      rc = open_capture(t, "", 0, tok);
      break;
    case '|':
      emit(t, "|");
      t->have_atom = 0;
      t->i++;
      break;
    case ')':
      t->i++;
      rc = close_group(t);
      break;
    case '^': case '$':
      sync_flags(t);   /* in a group, so that Go's ^* stays repeatable */
      emit(t, c == '^' ? "(?:^)" : "(?:$)");
      atom(t, 0);
      t->i++;
      break;
    case '.':
      sync_flags(t);
      emit(t, ".");
      atom(t, 0);
      t->i++;
      break;
    case '[':
      rc = parse_class(t, &t->i);
      if (rc == KD_OK) atom(t, 0);
      break;
    case '*': case '+': case '?': {
      size_t end = t->i + 1;
      rc = repeat(t, t->i, &end, -2, -2);
      t->i = end;
      rep = tok;
      break;
    }
    case '{': {
      long min, max;
      size_t end;
      if (!parse_repeat(t, t->i, &min, &max, &end)) {
        sync_flags(t);
        emit_rune(t, '{');
        atom(t, 0);
        t->i++;
        break;
      }
      if (min < 0 || min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) {
        rc = fail(t, "invalid repeat count", t->s + t->i, end - t->i);
        break;
      }
      rc = repeat(t, t->i, &end, min, max);
      t->i = end;
      rep = tok;
      break;
    }
    case '\\':
      if (t->len - t->i >= 2) {
        char e = t->s[t->i + 1];
        const char *op = e == 'A' ? "(?:\\A)" : e == 'b' ? "(?:\\b)"
                         : e == 'B' ? "(?:\\B)" : e == 'z' ? "(?:\\z)" : NULL;
        if (op) {
          sync_flags(t);
          emit(t, op);
          atom(t, 0);
          t->i += 2;
          break;
        }
        if (e == 'C') {
          rc = fail(t, "invalid escape sequence", t->s + t->i, 2);
          break;
        }
        if (e == 'Q') {
          const char *q = t->s + t->i + 2, *stop = NULL;
          size_t k, qn = t->len - t->i - 2, at;
          for (k = 0; k + 1 < qn; k++)
            if (q[k] == '\\' && q[k + 1] == 'E') { stop = q + k; break; }
          at = t->i + 2;
          t->i = stop ? (size_t)(stop - t->s) + 2 : t->len;
          while (rc == KD_OK && at < (stop ? (size_t)(stop - t->s) : t->len)) {
            if ((rc = next_rune(t, &at, &r)) != KD_OK) break;
            sync_flags(t);
            emit_rune(t, r);
            atom(t, 0);
          }
          break;
        }
      }
      sync_flags(t);
      if ((rc = unicode_class(t, &t->i, &found)) != KD_OK) break;
      if (found || perl_class(t, &t->i, 0)) {
        atom(t, 0);
        break;
      }
      if ((rc = parse_escape(t, &t->i, &r)) != KD_OK) break;
      emit_rune(t, r);
      atom(t, 0);
      break;
    default:
      if ((rc = next_rune(t, &t->i, &r)) != KD_OK) break;
      sync_flags(t);
      emit_rune(t, r);
      atom(t, 0);
    }
    t->last_repeat = rep;
  }
  if (rc == KD_OK && !t->oom && t->depth)
    rc = fail(t, "missing closing )", t->s, t->len);
  if (t->oom) rc = KD_ENOMEM;
  return rc;
}

int tpl_regex_translate(const char *pat, size_t len, kd_buf *out, kd_buf *msg,
                        int *ncap, kd_buf *names)
{
  tr t;
  int rc;
  memset(&t, 0, sizeof t);
  t.s = pat;
  t.len = len;
  t.out = out;
  t.msg = msg;
  rc = translate(&t);
  free(t.st);
  if (ncap) *ncap = t.ncap;
  if (names && rc == KD_OK) {
    kd_buf_free(names);
    *names = t.names;
  } else {
    kd_buf_free(&t.names);
  }
  if (rc == KD_OK && !out->data) rc = kd_buf_adds(out, "");
  return rc;
}

/* ---- compiled expressions ----------------------------------------------- */

struct tpl_regex {
  pcre2_code *code;
  pcre2_match_data *md;
  pcre2_match_context *mctx;
  int ncap;
  uint32_t npcre;   /* PCRE2's capture groups */
  int *go_group;    /* go_group[p]: the Go group of PCRE2 group p, 0 hidden */
  int nloop;
  int *loop;        /* loop[2K], loop[2K+1]: PCRE2 groups eK and hK */
  char **names;   /* names[i] of capture i (1..ncap), "" when unnamed */
  kd_buf name_data;
  int refs;       /* holders, the cache counting as one */
  char *pat;      /* the Go pattern, for the cache */
  size_t plen;
};

/* Compiled expressions are kept per thread and shared by every holder:
 * charts call semverCompare or regexMatch with the same few patterns
 * hundreds of times, and compiling (translation + pcre2_compile) costs
 * far more than matching. Matching only uses re->md during the call, so
 * holders in one thread may interleave. Full cache: no more caching. */
#define CACHE_MAX 64
static _Thread_local tpl_regex *cache[CACHE_MAX];
static _Thread_local int ncache;

static void regex_destroy(tpl_regex *re)
{
  pcre2_code_free(re->code);
  pcre2_match_data_free(re->md);
  pcre2_match_context_free(re->mctx);
  free(re->names);
  free(re->go_group);
  free(re->loop);
  kd_buf_free(&re->name_data);
  free(re->pat);
  free(re);
}

void tpl_regex_free(tpl_regex *re)
{
  if (re && --re->refs == 0) regex_destroy(re);
}

static tpl_regex *compile(const char *pat, size_t len, kd_buf *msg);

tpl_regex *tpl_regex_new(const char *pat, size_t len, kd_buf *msg)
{
  int i;
  msg->len = 0;
  for (i = 0; i < ncache; i++)
    if (cache[i]->plen == len && memcmp(cache[i]->pat, pat, len) == 0) {
      cache[i]->refs++;
      return cache[i];
    }
  tpl_regex *re = compile(pat, len, msg);
  if (re && ncache < CACHE_MAX && (re->pat = malloc(len + 1))) {
    memcpy(re->pat, pat, len);
    re->pat[len] = 0;
    re->plen = len;
    re->refs++;
    cache[ncache++] = re;
  }
  return re;
}

/* The callout after an iteration of loop K (see the top of the file):
 * fails (1) when the iteration hK matched empty and did not start where
 * the loop was entered (eK). */
static int loop_callout(pcre2_callout_block *cb, void *data)
{
  const tpl_regex *re = data;
  PCRE2_SIZE i, hs, he;
  int k = 0, e, h;
  for (i = 0; i < cb->callout_string_length; i++)
    k = k * 10 + (cb->callout_string[i] - '0');
  if (k < 0 || k >= re->nloop) return 0;
  e = re->loop[2 * k];
  h = re->loop[2 * k + 1];
  if ((uint32_t)h >= cb->capture_top || (uint32_t)e >= cb->capture_top) return 0;
  hs = cb->offset_vector[2 * h];
  he = cb->offset_vector[2 * h + 1];
  return hs == he && hs != cb->offset_vector[2 * e];
}

/* Fills go_group and loop from the names of PCRE2's groups. */
static int map_groups(tpl_regex *re)
{
  uint32_t count = 0, size = 0, i;
  PCRE2_SPTR table = NULL;
  pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &re->npcre);
  pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &count);
  pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &size);
  pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &table);
  if (!(re->go_group = calloc((size_t)re->npcre + 1, sizeof *re->go_group)))
    return KD_ENOMEM;
  for (i = 0; i < count; i++) {
    PCRE2_SPTR ent = table + (size_t)i * size;
    int num = (ent[0] << 8) | ent[1];
    const char *name = (const char *)ent + 2;
    long v = strtol(name + 1, NULL, 10);
    if (name[0] == 'g') {
      re->go_group[num] = (int)v;
    } else if (v >= re->nloop) {
      int *n = realloc(re->loop, 2 * ((size_t)v + 1) * sizeof *n);
      if (!n) return KD_ENOMEM;
      re->loop = n;
      re->nloop = (int)v + 1;
    }
  }
  for (i = 0; i < count; i++) {
    PCRE2_SPTR ent = table + (size_t)i * size;
    const char *name = (const char *)ent + 2;
    if (name[0] != 'g')
      re->loop[2 * strtol(name + 1, NULL, 10) + (name[0] == 'h')] = (ent[0] << 8) | ent[1];
  }
  return KD_OK;
}

static tpl_regex *compile(const char *pat, size_t len, kd_buf *msg)
{
  tpl_regex *re = calloc(1, sizeof *re);
  kd_buf out = {0};
  pcre2_compile_context *cctx = NULL;
  int err, i;
  PCRE2_SIZE off;
  const char *p;
  if (!re) return NULL;
  re->refs = 1;
  if (tpl_regex_translate(pat, len, &out, msg, &re->ncap, &re->name_data) != KD_OK)
    goto fail;
  if (!(cctx = pcre2_compile_context_create(NULL))) goto fail;
  pcre2_set_newline(cctx, PCRE2_NEWLINE_LF);
  re->code = pcre2_compile((PCRE2_SPTR)out.data, out.len, PCRE_OPTS, &err,
                           &off, cctx);
  pcre2_compile_context_free(cctx);
  if (!re->code) {   /* what Go accepts and PCRE2 cannot hold */
    kd_buf_printf(msg, "error parsing regexp: expression too large: `%.*s`",
                  (int)len, pat);
    goto fail;
  }
  if (!(re->md = pcre2_match_data_create_from_pattern(re->code, NULL)) ||
      !(re->mctx = pcre2_match_context_create(NULL)) ||
      !(re->names = calloc((size_t)re->ncap + 1, sizeof *re->names)) ||
      map_groups(re) != KD_OK)
    goto fail;
  pcre2_set_match_limit(re->mctx, 50000000);
  if (re->nloop) pcre2_set_callout(re->mctx, loop_callout, re);
  p = re->name_data.data ? re->name_data.data : "";
  re->names[0] = "";
  for (i = 1; i <= re->ncap; i++) {
    re->names[i] = (char *)p;
    p += strlen(p) + 1;
  }
  kd_buf_free(&out);
  return re;
fail:
  kd_buf_free(&out);
  regex_destroy(re);
  return NULL;
}

int tpl_regex_ncap(const tpl_regex *re) { return re->ncap; }

const char *tpl_regex_name(const tpl_regex *re, int i)
{
  return i >= 1 && i <= re->ncap ? re->names[i] : "";
}

int tpl_regex_exec(tpl_regex *re, const char *s, size_t len, size_t start,
                   long *m)
{
  int rc, i;
  PCRE2_SIZE *ov;
  for (i = 0; i < 2 * (re->ncap + 1); i++) m[i] = -1;
  if (start > len) return 0;
  rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, start, 0, re->md, re->mctx);
  if (rc == PCRE2_ERROR_NOMATCH) return 0;
  if (rc == PCRE2_ERROR_NOMEMORY) return KD_ENOMEM;
  if (rc < 0) return KD_ERANGE;
  ov = pcre2_get_ovector_pointer(re->md);
  m[0] = (long)ov[0];
  m[1] = (long)ov[1];
  /* in pattern order, so that a later copy of a Go group wins */
  for (i = 1; i < rc && (uint32_t)i <= re->npcre; i++) {
    int g = re->go_group[i];
    if (!g || ov[2 * i] == PCRE2_UNSET) continue;
    m[2 * g] = (long)ov[2 * i];
    m[2 * g + 1] = (long)ov[2 * i + 1];
  }
  return 1;
}
