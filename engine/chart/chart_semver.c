/* engine/chart/chart_semver.c: Masterminds semver v3 versions and
 * constraints, as Helm uses them for dependency versions and kubeVersion
 * (IsCompatibleRange). */
#include "chart.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  uint64_t v[3];
  char pre[128];
} sver;

static int parse_num(const char **p, uint64_t *out)
{
  if (!isdigit((unsigned char)**p)) return -1;
  uint64_t v = 0;
  while (isdigit((unsigned char)**p)) {
    if (v > UINT64_MAX / 10 - 10) return -1;
    v = v * 10 + (uint64_t)(*(*p)++ - '0');
  }
  *out = v;
  return 0;
}

static int ident_char(char c) { return isalnum((unsigned char)c) || c == '-'; }

/* dot-separated identifiers of [0-9A-Za-z-]+; copies into OUT when given. */
static int parse_idents(const char **p, char *out, size_t cap)
{
  const char *s = *p;
  for (;;) {
    const char *b = *p;
    while (ident_char(**p)) (*p)++;
    if (*p == b) return -1;
    if (**p != '.') break;
    (*p)++;
  }
  size_t n = (size_t)(*p - s);
  if (out) {
    if (n >= cap) return -1;
    memcpy(out, s, n);
    out[n] = 0;
  }
  return 0;
}

/* NewVersion (loose): v?MAJOR[.MINOR[.PATCH]][-PRE][+META]. */
static int parse_version(const char *s, sver *v)
{
  memset(v, 0, sizeof *v);
  if (*s == 'v') s++;
  if (parse_num(&s, &v->v[0]) != 0) return -1;
  for (int i = 1; i < 3 && *s == '.'; i++) {
    s++;
    if (parse_num(&s, &v->v[i]) != 0) return -1;
  }
  if (*s == '-') {
    s++;
    if (parse_idents(&s, v->pre, sizeof v->pre) != 0) return -1;
    /* numeric identifiers must not have leading zeros */
    for (const char *q = v->pre; *q;) {
      const char *e = strchr(q, '.');
      size_t l = e ? (size_t)(e - q) : strlen(q);
      int num = 1;
      for (size_t i = 0; i < l; i++) num &= isdigit((unsigned char)q[i]) != 0;
      if (num && l > 1 && q[0] == '0') return -1;
      q += l + (e ? 1 : 0);
    }
  }
  if (*s == '+') {
    s++;
    if (parse_idents(&s, NULL, 0) != 0) return -1;
  }
  return *s ? -1 : 0;
}

static int cmp_u(uint64_t a, uint64_t b) { return a < b ? -1 : a > b; }

static int cmp_pre(const char *a, const char *b)
{
  if (!*a && !*b) return 0;
  if (!*a) return 1;
  if (!*b) return -1;
  while (*a || *b) {
    if (!*a) return -1;
    if (!*b) return 1;
    size_t la = strcspn(a, "."), lb = strcspn(b, ".");
    int na = 1, nb = 1;
    for (size_t i = 0; i < la; i++) na &= isdigit((unsigned char)a[i]) != 0;
    for (size_t i = 0; i < lb; i++) nb &= isdigit((unsigned char)b[i]) != 0;
    int c;
    if (na && nb) c = la != lb ? (la < lb ? -1 : 1) : memcmp(a, b, la);
    else if (na) c = -1;
    else if (nb) c = 1;
    else {
      c = memcmp(a, b, la < lb ? la : lb);
      if (c == 0) c = la < lb ? -1 : la > lb;
    }
    if (c) return c < 0 ? -1 : 1;
    a += la + (a[la] ? 1 : 0);
    b += lb + (b[lb] ? 1 : 0);
  }
  return 0;
}

static int vcmp(const sver *a, const sver *b)
{
  for (int i = 0; i < 3; i++) {
    int c = cmp_u(a->v[i], b->v[i]);
    if (c) return c;
  }
  return cmp_pre(a->pre, b->pre);
}

typedef struct {
  char op[3];
  sver con;
  int dirty, minor_dirty, patch_dirty;
} cons;

static int is_x(const char *s, size_t n)
{
  return n == 1 && (*s == 'x' || *s == 'X' || *s == '*');
}

/* parseConstraint: OP VERSION with x, X or * wildcards. */
static int parse_cons(const char *op, const char *ver, cons *c)
{
  memset(c, 0, sizeof *c);
  snprintf(c->op, sizeof c->op, "%s", op);
  const char *s = ver;
  if (*s == 'v') s++;
  const char *part[3] = {0};
  size_t plen[3] = {0};
  int np = 0;
  while (np < 3) {
    part[np] = s;
    while (*s && *s != '.' && *s != '-' && *s != '+') s++;
    plen[np] = (size_t)(s - part[np]);
    np++;
    if (*s != '.') break;
    s++;
  }
  const char *tail = s;   /* -pre / +meta */
  char buf[256];
  if (np < 1 || plen[0] == 0 || is_x(part[0], plen[0])) {
    snprintf(buf, sizeof buf, "0.0.0%s", tail);
    c->dirty = 1;
  } else if (np < 2 || is_x(part[1], plen[1])) {
    snprintf(buf, sizeof buf, "%.*s.0.0%s", (int)plen[0], part[0], tail);
    c->dirty = c->minor_dirty = 1;
  } else if (np < 3 || is_x(part[2], plen[2])) {
    snprintf(buf, sizeof buf, "%.*s.%.*s.0%s", (int)plen[0], part[0],
             (int)plen[1], part[1], tail);
    c->dirty = c->patch_dirty = 1;
  } else {
    snprintf(buf, sizeof buf, "%s", ver);
  }
  return parse_version(buf, &c->con);
}

static int tilde(const sver *v, const cons *c)
{
  if (vcmp(v, &c->con) < 0) return 0;
  if (!c->con.v[0] && !c->con.v[1] && !c->con.v[2] && !c->minor_dirty &&
      !c->patch_dirty)
    return 1;
  if (v->v[0] != c->con.v[0]) return 0;
  if (v->v[1] != c->con.v[1] && !c->minor_dirty) return 0;
  return 1;
}

static int check_one(const sver *v, const cons *c)
{
  const char *op = c->op;
  int pre_block = v->pre[0] && !c->con.pre[0];
  if (!strcmp(op, "!=")) {
    if (c->dirty) {
      if (pre_block) return 0;
      if (c->con.v[0] != v->v[0]) return 1;
      if (c->con.v[1] != v->v[1] && !c->minor_dirty) return 1;
      if (c->minor_dirty) return 0;
      if (c->con.v[2] != v->v[2] && !c->patch_dirty) return 1;
      if (c->patch_dirty) {
        if (v->pre[0] || c->con.pre[0]) return cmp_pre(v->pre, c->con.pre) != 0;
        return 0;
      }
    }
    return vcmp(v, &c->con) != 0;
  }
  if (pre_block) return 0;
  if (!strcmp(op, "") || !strcmp(op, "="))
    return c->dirty ? tilde(v, c) : vcmp(v, &c->con) == 0;
  if (!strcmp(op, ">")) {
    if (!c->dirty) return vcmp(v, &c->con) > 0;
    if (v->v[0] != c->con.v[0]) return v->v[0] > c->con.v[0];
    if (c->minor_dirty) return 0;
    if (c->patch_dirty) return v->v[1] > c->con.v[1];
    return vcmp(v, &c->con) > 0;
  }
  if (!strcmp(op, "<")) return vcmp(v, &c->con) < 0;
  if (!strcmp(op, ">=") || !strcmp(op, "=>")) return vcmp(v, &c->con) >= 0;
  if (!strcmp(op, "<=") || !strcmp(op, "=<")) {
    if (!c->dirty) return vcmp(v, &c->con) <= 0;
    if (v->v[0] > c->con.v[0]) return 0;
    if (v->v[0] == c->con.v[0] && v->v[1] > c->con.v[1] && !c->minor_dirty)
      return 0;
    return 1;
  }
  if (!strcmp(op, "~") || !strcmp(op, "~>")) return tilde(v, c);
  if (!strcmp(op, "^")) {
    if (vcmp(v, &c->con) < 0) return 0;
    if (c->con.v[0] > 0 || c->minor_dirty) return v->v[0] == c->con.v[0];
    if (v->v[0] > 0) return 0;
    if (c->con.v[1] > 0 || c->patch_dirty) return v->v[1] == c->con.v[1];
    if (v->v[1] > 0) return 0;
    return c->con.v[2] == v->v[2];
  }
  return -1;
}

static int op_char(char c) { return c && strchr("=!<>~^", c) != NULL; }
static int ver_char(char c)
{
  return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '+' ||
         c == '*';
}

/* One "||" alternative: constraints separated by spaces or commas; "A - B"
 * is a range. Returns 1/0, -1 when it does not parse. */
static int check_and(const sver *v, const char *s, size_t n)
{
  char *seg = malloc(n + 1);
  if (!seg) return -1;
  memcpy(seg, s, n);
  seg[n] = 0;
  int result = 1, count = 0;
  char *p = seg;
  while (*p) {
    while (*p == ' ' || *p == ',' || *p == '\t') p++;
    if (!*p) break;
    char op[3] = "";
    int ol = 0;
    while (op_char(*p)) {
      if (ol >= 2) { free(seg); return -1; }
      op[ol++] = *p++;
    }
    op[ol] = 0;
    while (*p == ' ') p++;
    char *vb = p;
    while (ver_char(*p)) p++;
    if (p == vb) { free(seg); return -1; }
    char ver[128];
    snprintf(ver, sizeof ver, "%.*s", (int)(p - vb), vb);
    /* hyphen range: "A - B" means >= A, <= B */
    char *q = p;
    while (*q == ' ') q++;
    if (ol == 0 && *q == '-' && q[1] == ' ') {
      q++;
      while (*q == ' ') q++;
      char *eb = q;
      while (ver_char(*q)) q++;
      char end[128];
      snprintf(end, sizeof end, "%.*s", (int)(q - eb), eb);
      cons a, b;
      if (parse_cons(">=", ver, &a) || parse_cons("<=", end, &b)) {
        free(seg);
        return -1;
      }
      if (!check_one(v, &a) || !check_one(v, &b)) result = 0;
      p = q;
      count++;
      continue;
    }
    cons c;
    if (parse_cons(op, ver, &c) != 0) { free(seg); return -1; }
    int r = check_one(v, &c);
    if (r < 0) { free(seg); return -1; }
    if (!r) result = 0;
    count++;
  }
  free(seg);
  if (count == 0) return 1;   /* "" is >=0.0.0 with wildcard semantics */
  return result;
}

int chart_semver_check(const char *constraint, const char *version)
{
  sver v;
  if (parse_version(version, &v) != 0) return -1;
  const char *s = constraint;
  int any = 0;
  for (;;) {
    const char *bar = strstr(s, "||");
    size_t n = bar ? (size_t)(bar - s) : strlen(s);
    int r = check_and(&v, s, n);
    if (r < 0) return -1;
    if (r) any = 1;
    if (!bar) break;
    s = bar + 2;
  }
  return any;
}
