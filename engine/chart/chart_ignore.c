/* engine/chart/chart_ignore.c: Go's path.Match and .helmignore rules as
 * Helm's pkg/ignore applies them (first match wins; a negated rule ignores
 * every path it does NOT match; a trailing / restricts a rule to
 * directories; a rule without / looks at the base name only). */
#include "chart.h"

#include <stdlib.h>
#include <string.h>

/* ---- Go's path.Match ----------------------------------------------------- */

/* Decodes one UTF-8 rune; invalid bytes decode as U+FFFD of length 1. */
static size_t rune_at(const char *s, size_t n, int32_t *r)
{
  const unsigned char *p = (const unsigned char *)s;
  if (n == 0) { *r = -1; return 0; }
  if (p[0] < 0x80) { *r = p[0]; return 1; }
  int len = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc0 ? 2 : 0;
  if (len == 0 || (size_t)len > n) { *r = 0xfffd; return 1; }
  int32_t v = p[0] & (0x7f >> len);
  for (int i = 1; i < len; i++) {
    if ((p[i] & 0xc0) != 0x80) { *r = 0xfffd; return 1; }
    v = (v << 6) | (p[i] & 0x3f);
  }
  *r = v;
  return (size_t)len;
}

typedef struct { const char *p; size_t n; } span;

static void scan_chunk(span *pat, int *star, span *chunk)
{
  *star = 0;
  while (pat->n > 0 && pat->p[0] == '*') { pat->p++; pat->n--; *star = 1; }
  int inrange = 0;
  size_t i;
  for (i = 0; i < pat->n; i++) {
    char c = pat->p[i];
    if (c == '\\') { if (i + 1 < pat->n) i++; }
    else if (c == '[') inrange = 1;
    else if (c == ']') inrange = 0;
    else if (c == '*' && !inrange) break;
  }
  chunk->p = pat->p;
  chunk->n = i;
  pat->p += i;
  pat->n -= i;
}

/* Go's getEsc: one (possibly escaped) rune of a character class. */
static int get_esc(span *c, int32_t *r)
{
  if (c->n == 0 || c->p[0] == '-' || c->p[0] == ']') return -1;
  if (c->p[0] == '\\') {
    c->p++; c->n--;
    if (c->n == 0) return -1;
  }
  size_t k = rune_at(c->p, c->n, r);
  int bad = *r == 0xfffd && k == 1 && (unsigned char)c->p[0] >= 0x80;
  c->p += k;
  c->n -= k;
  if (c->n == 0 || bad) return -1;
  return 0;
}

/* Go's matchChunk: 1 match (REST set), 0 no match, -1 bad pattern. */
static int match_chunk(span chunk, span s, span *rest)
{
  int failed = 0;
  while (chunk.n > 0) {
    if (!failed && s.n == 0) failed = 1;
    char c = chunk.p[0];
    if (c == '[') {
      int32_t r = 0;
      if (!failed) {
        size_t k = rune_at(s.p, s.n, &r);
        s.p += k; s.n -= k;
      }
      chunk.p++; chunk.n--;
      int negated = 0;
      if (chunk.n > 0 && chunk.p[0] == '^') { negated = 1; chunk.p++; chunk.n--; }
      int match = 0, nrange = 0;
      for (;;) {
        if (chunk.n > 0 && chunk.p[0] == ']' && nrange > 0) {
          chunk.p++; chunk.n--;
          break;
        }
        int32_t lo, hi;
        if (get_esc(&chunk, &lo) != 0) return -1;
        hi = lo;
        if (chunk.p[0] == '-') {
          chunk.p++; chunk.n--;
          if (get_esc(&chunk, &hi) != 0) return -1;
        }
        if (lo <= r && r <= hi) match = 1;
        nrange++;
      }
      if (match == negated) failed = 1;
    } else if (c == '?') {
      if (!failed) {
        if (s.p[0] == '/') failed = 1;
        int32_t r;
        size_t k = rune_at(s.p, s.n, &r);
        s.p += k; s.n -= k;
      }
      chunk.p++; chunk.n--;
    } else {
      if (c == '\\') {
        chunk.p++; chunk.n--;
        if (chunk.n == 0) return -1;
      }
      if (!failed) {
        if (chunk.p[0] != s.p[0]) failed = 1;
        s.p++; s.n--;
      }
      chunk.p++; chunk.n--;
    }
  }
  if (failed) return 0;
  *rest = s;
  return 1;
}

int chart_path_match(const char *pattern, const char *name)
{
  span pat = {pattern, strlen(pattern)}, nm = {name, strlen(name)};
  while (pat.n > 0) {
    int star;
    span chunk, t;
    scan_chunk(&pat, &star, &chunk);
    if (star && chunk.n == 0)
      return memchr(nm.p, '/', nm.n) == NULL;
    int ok = match_chunk(chunk, nm, &t);
    if (ok == 1 && (t.n == 0 || pat.n > 0)) { nm = t; continue; }
    if (ok < 0) return KD_EPARSE;
    if (star) {
      int found = 0;
      for (size_t i = 0; i < nm.n && nm.p[i] != '/'; i++) {
        span sub = {nm.p + i + 1, nm.n - i - 1};
        int k = match_chunk(chunk, sub, &t);
        if (k == 1) {
          if (pat.n == 0 && t.n > 0) continue;
          nm = t;
          found = 1;
          break;
        }
        if (k < 0) return KD_EPARSE;
      }
      if (found) continue;
    }
    while (pat.n > 0) {   /* the rest of the pattern must still be valid */
      scan_chunk(&pat, &star, &chunk);
      span empty = {"", 0};
      if (match_chunk(chunk, empty, &t) < 0) return KD_EPARSE;
    }
    return 0;
  }
  return nm.n == 0;
}

/* ---- .helmignore --------------------------------------------------------- */

typedef struct {
  char *rule;     /* without !, trailing / and leading / */
  int negate, must_dir;
  enum { M_ROOT, M_PATH, M_BASE } how;
  /* most rules are a name (.git) or *.ext: matched without path.Match,
   * which is every file times every rule at load time */
  enum { F_GLOB, F_LITERAL, F_SUFFIX } fast;
  size_t len;     /* of the literal text (for F_SUFFIX: after the '*') */
} rule;

static void classify(rule *r)
{
  const char *p = r->rule;
  int star = p[0] == '*';
  if (strpbrk(p + star, "*?[\\") != NULL) return;   /* a real glob */
  if (star && strchr(p, '/')) return;
  r->fast = star ? F_SUFFIX : F_LITERAL;
  r->len = strlen(p + star);
}

struct chart_ignore {
  rule *r;
  size_t n, cap;
};

static int add_rule(chart_ignore *ig, const char *s, size_t n,
                    const char *source, int line, kd_error *err)
{
  while (n && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\v' ||
               *s == '\f')) { s++; n--; }
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
               s[n - 1] == '\v' || s[n - 1] == '\f')) n--;
  if (n == 0 || s[0] == '#') return KD_OK;
  char *text = kd_strndup(s, n);
  if (!text) return kd_error_set(err, KD_ENOMEM, "out of memory");
  if (strstr(text, "**")) {
    free(text);
    return kd_error_at(err, KD_EPARSE, source, line, 0,
                       "double-star (**) syntax is not supported");
  }
  if (memchr(text, 0, n) || chart_path_match(text, "abc") < 0) {
    free(text);
    return kd_error_at(err, KD_EPARSE, source, line, 0,
                       "syntax error in pattern");
  }
  rule r = {0};
  char *p = text;
  if (*p == '!') { r.negate = 1; p++; }
  size_t len = strlen(p);
  if (len && p[len - 1] == '/') { r.must_dir = 1; p[--len] = 0; }
  if (*p == '/') { r.how = M_ROOT; p++; }
  else if (strchr(p, '/')) r.how = M_PATH;
  else r.how = M_BASE;
  r.rule = kd_strndup(p, strlen(p));
  free(text);
  if (!r.rule) return kd_error_set(err, KD_ENOMEM, "out of memory");
  classify(&r);
  if (ig->n == ig->cap) {
    size_t nc = ig->cap ? ig->cap * 2 : 8;
    rule *nr = realloc(ig->r, nc * sizeof *nr);
    if (!nr) { free(r.rule); return kd_error_set(err, KD_ENOMEM, "out of memory"); }
    ig->r = nr;
    ig->cap = nc;
  }
  ig->r[ig->n++] = r;
  return KD_OK;
}

chart_ignore *chart_ignore_parse(const char *text, size_t len,
                                 const char *source, kd_error *err)
{
  chart_ignore *ig = calloc(1, sizeof *ig);
  if (!ig) { kd_error_set(err, KD_ENOMEM, "out of memory"); return NULL; }
  size_t i = 0;
  int line = 1;
  while (text && i < len) {
    const char *nl = memchr(text + i, '\n', len - i);
    size_t end = nl ? (size_t)(nl - text) : len;
    if (add_rule(ig, text + i, end - i, source, line, err) != KD_OK) {
      chart_ignore_free(ig);
      return NULL;
    }
    i = end + 1;
    line++;
  }
  return ig;
}

int chart_ignore_defaults(chart_ignore *r, kd_error *err)
{
  return add_rule(r, "templates/.?*", 13, "defaults", 0, err);
}

static int rule_match(const rule *r, const char *path)
{
  const char *name = path;
  if (r->how == M_BASE) {   /* Go's filepath.Base */
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') n--;
    const char *s = path + n;
    while (s > path && s[-1] != '/') s--;
    name = s;
    if (n < strlen(path)) return chart_path_match(r->rule, name) == 1;
  }
  if (r->fast == F_LITERAL) return strcmp(r->rule, name) == 0;
  if (r->fast == F_SUFFIX) {   /* "*" matches any run without '/' */
    size_t n = strlen(name);
    return n >= r->len && strcmp(name + n - r->len, r->rule + 1) == 0 &&
           memchr(name, '/', n - r->len) == NULL;
  }
  return chart_path_match(r->rule, name) == 1;
}

int chart_ignore_match(const chart_ignore *ig, const char *path, int is_dir)
{
  if (!ig || path[0] == 0 || strcmp(path, ".") == 0 || strcmp(path, "./") == 0)
    return 0;
  for (size_t i = 0; i < ig->n; i++) {
    const rule *r = &ig->r[i];
    if (r->negate) {
      if (r->must_dir && !is_dir) return 1;
      if (!rule_match(r, path)) return 1;
      continue;
    }
    if (r->must_dir && !is_dir) continue;
    if (rule_match(r, path)) return 1;
  }
  return 0;
}

void chart_ignore_free(chart_ignore *ig)
{
  if (!ig) return;
  for (size_t i = 0; i < ig->n; i++) free(ig->r[i].rule);
  free(ig->r);
  free(ig);
}
