/* engine/tpl/tpl_fn_semver.c: Sprig's semver and semverCompare on the
 * rules of Masterminds/semver v3.4 (what Helm 4 links): NewVersion's
 * coercing parser, Version's methods (an object of type *semver.Version),
 * and NewConstraint/Check with ranges, "||" groups, ",", "-" ranges,
 * ~ ^ x * wildcards and prerelease handling per AND group. The grammar is
 * Masterminds' own regular expressions, run on our Go regexp (tpl_regex.c)
 * so that their leftmost-first quirks come out the same. */
#include "tpl_int.h"

#include <stdlib.h>
#include <string.h>

#define FN(name) \
  static int name(tpl_call *c, const tpl_val *a, int n, tpl_val *out)

/* Masterminds' expressions (Go syntax) */
#define CV "v?([0-9|x|X|\\*]+)(\\.[0-9|x|X|\\*]+)?(\\.[0-9|x|X|\\*]+)?" \
           "(-([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?" \
           "(\\+([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?"
#define OPS "=||!=|>|<|>=|=>|<=|=<|~|~>|\\^"
static const char loose_re[] =
    "^v?([0-9]+)(\\.[0-9]+)?(\\.[0-9]+)?"
    "(-([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?"
    "(\\+([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?$";
static const char constraint_re[] = "^\\s*(" OPS ")\\s*(" CV ")\\s*$";
static const char range_re[] = "\\s*(" CV ")\\s+-\\s+(" CV ")\\s*";
static const char find_re[] = "(" OPS ")\\s*(" CV ")";
static const char valid_re[] = "^(\\s*(" OPS ")\\s*(" CV ")\\s*)((?:\\s+|,\\s*)("
                               OPS ")\\s*(" CV ")\\s*)*$";

typedef struct {
  uint64_t major, minor, patch;
  char *pre, *meta, *orig;
} version;

static void version_clear(version *v)
{
  free(v->pre);
  free(v->meta);
  free(v->orig);
  memset(v, 0, sizeof *v);
}

static void version_free(void *p)
{
  version_clear(p);
  free(p);
}

/* ---- regular expressions ------------------------------------------------ */

typedef struct {
  tpl_regex *re;
  long m[64];
} rx;

static int rx_open(rx *r, const char *pat)
{
  kd_buf msg = {0};
  r->re = tpl_regex_new(pat, strlen(pat), &msg);
  kd_buf_free(&msg);
  return r->re ? KD_OK : KD_ENOMEM;
}

/* Group G of the last match (empty when unset). */
static size_t grp(const rx *r, const char *s, int g, const char **p)
{
  *p = r->m[2 * g] >= 0 ? s + r->m[2 * g] : "";
  return r->m[2 * g] >= 0 ? (size_t)(r->m[2 * g + 1] - r->m[2 * g]) : 0;
}

static int rx_match(rx *r, const char *s, size_t len, size_t start)
{
  return tpl_regex_exec(r->re, s, len, start, r->m);
}

/* ---- versions ----------------------------------------------------------- */

static int only(const char *s, size_t n, const char *set)
{
  size_t i;
  for (i = 0; i < n; i++)
    if (!s[i] || !strchr(set, s[i])) return 0;
  return 1;
}

#define NUM "0123456789"
#define ALLOWED "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-" NUM

static const char *validate_pre(const char *p, size_t n)
{
  size_t i = 0;
  for (;;) {
    const char *dot = memchr(p + i, '.', n - i);
    size_t e = dot ? (size_t)(dot - p) : n, len = e - i;
    if (!len) return "invalid prerelease string";
    if (only(p + i, len, NUM)) {
      if (len > 1 && p[i] == '0') return "version segment starts with 0";
    } else if (!only(p + i, len, ALLOWED)) {
      return "invalid prerelease string";
    }
    if (!dot) return NULL;
    i = e + 1;
  }
}

static const char *validate_meta(const char *p, size_t n)
{
  size_t i = 0;
  for (;;) {
    const char *dot = memchr(p + i, '.', n - i);
    size_t e = dot ? (size_t)(dot - p) : n;
    if (e == i || !only(p + i, e - i, ALLOWED)) return "invalid metadata string";
    if (!dot) return NULL;
    i = e + 1;
  }
}

/* strconv.ParseUint(S, 10, 64) of digits; 0 on overflow. */
static int parse_u64(const char *s, size_t n, uint64_t *out)
{
  size_t i;
  *out = 0;
  for (i = 0; i < n; i++) {
    unsigned d = (unsigned)(s[i] - '0');
    if (*out > (UINT64_MAX - d) / 10) return 0;
    *out = *out * 10 + d;
  }
  return 1;
}

/* NewVersion (coercing, as CoerceNewVersion is by default): KD_OK, or
 * KD_EPARSE with Masterminds' message in MSG. */
static int new_version(const char *s, size_t len, version *v, kd_buf *msg)
{
  rx r;
  const char *p;
  size_t n;
  uint64_t *seg[3];
  const char *bad;
  int rc, i;
  memset(v, 0, sizeof *v);
  if ((rc = rx_open(&r, loose_re)) != KD_OK) return rc;
  rc = rx_match(&r, s, len, 0);
  if (rc <= 0) {
    tpl_regex_free(r.re);
    if (rc < 0) return KD_ENOMEM;
    kd_buf_adds(msg, "invalid semantic version");
    return KD_EPARSE;
  }
  seg[0] = &v->major;
  seg[1] = &v->minor;
  seg[2] = &v->patch;
  for (i = 0; i < 3; i++) {
    n = grp(&r, s, i + 1, &p);
    if (i && n) p++, n--;   /* the "." */
    if (!parse_u64(p, n, seg[i])) {
      kd_buf_printf(msg, "error parsing version segment: strconv.ParseUint: "
                    "parsing \"%.*s\": value out of range", (int)n, p);
      tpl_regex_free(r.re);
      return KD_EPARSE;
    }
  }
  n = grp(&r, s, 5, &p);
  bad = n ? validate_pre(p, n) : NULL;
  v->pre = kd_strndup(p, n);
  n = grp(&r, s, 8, &p);
  if (!bad && n) bad = validate_meta(p, n);
  v->meta = kd_strndup(p, n);
  v->orig = kd_strndup(s, len);
  tpl_regex_free(r.re);
  if (!v->pre || !v->meta || !v->orig) {
    version_clear(v);
    return KD_ENOMEM;
  }
  if (bad) {
    version_clear(v);
    kd_buf_adds(msg, bad);
    return KD_EPARSE;
  }
  return KD_OK;
}

static int version_string(const version *v, kd_buf *b)
{
  int rc = kd_buf_printf(b, "%llu.%llu.%llu", (unsigned long long)v->major,
                         (unsigned long long)v->minor,
                         (unsigned long long)v->patch);
  if (*v->pre) rc |= kd_buf_printf(b, "-%s", v->pre);
  if (*v->meta) rc |= kd_buf_printf(b, "+%s", v->meta);
  return rc ? KD_ENOMEM : KD_OK;
}

static int cmp_u64(uint64_t a, uint64_t b) { return a < b ? -1 : a > b; }

static int compare_pre_part(const char *s, size_t sn, const char *o, size_t on)
{
  uint64_t si = 0, oi = 0;
  int snum, onum;
  if (sn == on && memcmp(s, o, sn) == 0) return 0;
  if (!sn) return -1;
  if (!on) return 1;
  snum = only(s, sn, NUM) && parse_u64(s, sn, &si);
  onum = only(o, on, NUM) && parse_u64(o, on, &oi);
  if (!snum && !onum) {
    int d = memcmp(s, o, sn < on ? sn : on);
    return d > 0 || (d == 0 && sn > on) ? 1 : -1;
  }
  if (!onum) return -1;
  if (!snum) return 1;
  return si > oi ? 1 : -1;
}

/* comparePrerelease: dot-separated parts, the shorter padded with "" */
static int compare_pre(const char *s, const char *o)
{
  for (;;) {
    const char *sd = strchr(s, '.'), *od = strchr(o, '.');
    size_t sn = sd ? (size_t)(sd - s) : strlen(s);
    size_t on = od ? (size_t)(od - o) : strlen(o);
    int d = compare_pre_part(s, sn, o, on);
    if (d) return d;
    if (!sd && !od) return 0;
    s = sd ? sd + 1 : s + sn;
    o = od ? od + 1 : o + on;
  }
}

static int version_compare(const version *v, const version *o)
{
  int d;
  if ((d = cmp_u64(v->major, o->major))) return d;
  if ((d = cmp_u64(v->minor, o->minor))) return d;
  if ((d = cmp_u64(v->patch, o->patch))) return d;
  if (!*v->pre && !*o->pre) return 0;
  if (!*v->pre) return 1;
  if (!*o->pre) return -1;
  return compare_pre(v->pre, o->pre);
}

/* ---- constraints -------------------------------------------------------- */

typedef struct {
  version con;
  char op[3];
  int minor_dirty, patch_dirty, dirty;
} constraint;

static int is_x(const char *s, size_t n)
{
  return n == 1 && (s[0] == 'x' || s[0] == 'X' || s[0] == '*');
}

/* parseConstraint of S[0..N): KD_OK, KD_EPARSE + MSG. */
static int parse_constraint(rx *r, const char *s, size_t n, constraint *k,
                            kd_buf *msg)
{
  const char *op, *maj, *min, *pat, *pre;
  size_t on, mn, nn, pn, rn;
  kd_buf ver = {0};
  int rc;
  memset(k, 0, sizeof *k);
  if (n == 0) {   /* the empty constraint: >= 0.0.0 */
    k->dirty = 1;
    return new_version("0.0.0", 5, &k->con, msg);
  }
  if ((rc = rx_match(r, s, n, 0)) <= 0) {
    if (rc < 0) return KD_ENOMEM;
    kd_buf_printf(msg, "improper constraint: %.*s", (int)n, s);
    return KD_EPARSE;
  }
  on = grp(r, s, 1, &op);
  mn = grp(r, s, 3, &maj);
  nn = grp(r, s, 4, &min);
  pn = grp(r, s, 5, &pat);
  rn = grp(r, s, 6, &pre);   /* "-prerelease" */
  memcpy(k->op, op, on < 3 ? on : 2);
  if (is_x(maj, mn) || mn == 0) {
    rc = kd_buf_printf(&ver, "0.0.0%.*s", (int)rn, pre);
    k->dirty = 1;
  } else if (nn == 0 || is_x(min + 1, nn - 1)) {
    rc = kd_buf_printf(&ver, "%.*s.0.0%.*s", (int)mn, maj, (int)rn, pre);
    k->minor_dirty = k->dirty = 1;
  } else if (pn == 0 || is_x(pat + 1, pn - 1)) {
    rc = kd_buf_printf(&ver, "%.*s%.*s.0%.*s", (int)mn, maj, (int)nn, min,
                       (int)rn, pre);
    k->patch_dirty = k->dirty = 1;
  } else {
    size_t vn = grp(r, s, 2, &op);
    rc = kd_buf_add(&ver, op, vn) | kd_buf_adds(&ver, "");
  }
  if (rc) {
    kd_buf_free(&ver);
    return KD_ENOMEM;
  }
  {
    kd_buf ignored = {0};
    rc = new_version(ver.data, ver.len, &k->con, &ignored);
    kd_buf_free(&ignored);
  }
  kd_buf_free(&ver);
  if (rc == KD_EPARSE) kd_buf_adds(msg, "constraint parser error");
  return rc;
}

static int tilde(const version *v, const constraint *k)
{
  if (version_compare(v, &k->con) < 0) return 0;
  if (!k->con.major && !k->con.minor && !k->con.patch && !k->minor_dirty &&
      !k->patch_dirty)
    return 1;
  if (v->major != k->con.major) return 0;
  return !(v->minor != k->con.minor && !k->minor_dirty);
}

static int caret(const version *v, const constraint *k)
{
  if (version_compare(v, &k->con) < 0) return 0;
  if (k->con.major > 0 || k->minor_dirty) return v->major == k->con.major;
  if (v->major > 0) return 0;
  if (k->con.minor > 0 || k->patch_dirty) return v->minor == k->con.minor;
  if (v->minor > 0) return 0;
  return k->con.patch == v->patch;
}

/* constraint.check: does V satisfy K (INCLUDE_PRE: prereleases count)? */
static int check(const version *v, const constraint *k, int include_pre)
{
  const char *op = k->op;
  if (*v->pre && !include_pre) return 0;
  if (!strcmp(op, "") || !strcmp(op, "="))
    return k->dirty ? tilde(v, k) : version_compare(v, &k->con) == 0;
  if (!strcmp(op, "!=")) {
    if (k->dirty) {
      if (k->con.major != v->major) return 1;
      if (k->con.minor != v->minor && !k->minor_dirty) return 1;
      if (k->minor_dirty) return 0;
      if (k->con.patch != v->patch && !k->patch_dirty) return 1;
      if (k->patch_dirty) {
        if (*v->pre || *k->con.pre) return compare_pre(v->pre, k->con.pre) != 0;
        return 0;
      }
    }
    return version_compare(v, &k->con) != 0;
  }
  if (!strcmp(op, ">")) {
    if (!k->dirty) return version_compare(v, &k->con) > 0;
    if (v->major > k->con.major) return 1;
    if (v->major < k->con.major || k->minor_dirty) return 0;
    if (k->patch_dirty) return v->minor > k->con.minor;
    return version_compare(v, &k->con) > 0;
  }
  if (!strcmp(op, "<")) return version_compare(v, &k->con) < 0;
  if (!strcmp(op, ">=") || !strcmp(op, "=>"))
    return version_compare(v, &k->con) >= 0;
  if (!strcmp(op, "<=") || !strcmp(op, "=<")) {
    if (!k->dirty) return version_compare(v, &k->con) <= 0;
    if (v->major > k->con.major) return 0;
    return !(v->major == k->con.major && v->minor > k->con.minor &&
             !k->minor_dirty);
  }
  if (!strcmp(op, "~") || !strcmp(op, "~>")) return tilde(v, k);
  return caret(v, k);   /* "^" */
}

/* rewriteRange: "A - B" becomes ">= A, <= B " */
static int rewrite_range(const char *s, size_t len, kd_buf *out)
{
  rx r;
  size_t pos = 0;
  int rc = rx_open(&r, range_re), found;
  kd_buf cur = {0}, next = {0};
  if (rc) return rc;
  rc = kd_buf_add(&cur, s, len) | kd_buf_adds(&cur, "");
  while (rc == KD_OK && pos <= len && (found = rx_match(&r, s, len, pos)) == 1) {
    const char *a, *b, *m = s + r.m[0], *at;
    size_t an = grp(&r, s, 1, &a), bn = grp(&r, s, 11, &b);
    size_t mn = (size_t)(r.m[1] - r.m[0]);
    pos = (size_t)r.m[1] > pos ? (size_t)r.m[1] : pos + 1;
    /* strings.Replace(o, match, t, 1) on the text as rewritten so far */
    at = NULL;
    if (mn <= cur.len) {
      size_t i;
      for (i = 0; i + mn <= cur.len; i++)
        if (memcmp(cur.data + i, m, mn) == 0) { at = cur.data + i; break; }
    }
    if (!at) continue;
    next.len = 0;
    rc = kd_buf_add(&next, cur.data, (size_t)(at - cur.data)) |
         kd_buf_printf(&next, ">= %.*s, <= %.*s ", (int)an, a, (int)bn, b) |
         kd_buf_add(&next, at + mn, cur.len - (size_t)(at - cur.data) - mn);
    {
      kd_buf t = cur;
      cur = next;
      next = t;
    }
  }
  tpl_regex_free(r.re);
  kd_buf_free(&next);
  if (rc) {
    kd_buf_free(&cur);
    return KD_ENOMEM;
  }
  *out = cur;
  return KD_OK;
}

/* NewConstraint(C) then Check(V): *OK the answer; KD_EPARSE + MSG. */
static int constraint_check(const char *cs, size_t clen, const version *v,
                            int *ok, kd_buf *msg)
{
  kd_buf text = {0};
  rx valid, find, one;
  size_t start = 0;
  int rc, any = 0, done = 0;
  *ok = 0;
  if ((rc = rewrite_range(cs, clen, &text)) != KD_OK) return rc;
  if ((rc = rx_open(&valid, valid_re)) != KD_OK) goto out0;
  if ((rc = rx_open(&find, find_re)) != KD_OK) goto out1;
  if ((rc = rx_open(&one, constraint_re)) != KD_OK) goto out2;
  /* every "||" group is parsed (errors anywhere count) before the answer */
  while (!done) {
    const char *g = text.data + start, *bar = NULL;
    size_t gl, i, pos = 0;
    int joy = 1, has_pre = 0, nk = 0, k;
    constraint ks[64];
    for (i = start; i + 1 < text.len; i++)
      if (text.data[i] == '|' && text.data[i + 1] == '|') { bar = text.data + i; break; }
    gl = bar ? (size_t)(bar - g) : text.len - start;
    done = !bar;
    start += gl + 2;
    if ((rc = rx_match(&valid, g, gl, 0)) <= 0) {
      if (rc == 0) {
        kd_buf_printf(msg, "improper constraint: %.*s", (int)gl, g);
        rc = KD_EPARSE;
      }
      goto out;
    }
    while (pos <= gl && (rc = rx_match(&find, g, gl, pos)) == 1) {
      size_t m0 = (size_t)find.m[0], m1 = (size_t)find.m[1];
      if (nk == 64) { rc = KD_ENOMEM; break; }
      rc = parse_constraint(&one, g + m0, m1 - m0, &ks[nk], msg);
      if (rc != KD_OK) break;
      nk++;
      pos = m1 > pos ? m1 : pos + 1;
    }
    if (rc == 0 && nk == 0) {   /* no constraint found: the group itself */
      rc = parse_constraint(&one, g, gl, &ks[0], msg);
      if (rc == KD_OK) nk = 1;
    }
    if (rc == 1) rc = KD_OK;
    if (rc == 0) rc = KD_OK;
    for (k = 0; k < nk; k++) has_pre |= *ks[k].con.pre != 0;
    for (k = 0; rc == KD_OK && k < nk && joy; k++) joy = check(v, &ks[k], has_pre);
    if (rc == KD_OK && joy && nk) any = 1;
    for (k = 0; k < nk; k++) version_clear(&ks[k].con);
    if (rc != KD_OK) goto out;
  }
  *ok = any;
out:
  tpl_regex_free(one.re);
out2:
  tpl_regex_free(find.re);
out1:
  tpl_regex_free(valid.re);
out0:
  kd_buf_free(&text);
  return rc;
}

FN(fn_semver_compare)
{
  version v;
  kd_buf msg = {0};
  int ok = 0, rc;
  {
    /* NewConstraint first: its error wins over the version's */
    version any;
    memset(&any, 0, sizeof any);
    any.pre = "";
    rc = constraint_check(tpl_sdata(a[0]), tpl_slen(a[0]), &any, &ok, &msg);
  }
  if (rc == KD_OK) {
    rc = new_version(tpl_sdata(a[1]), tpl_slen(a[1]), &v, &msg);
    if (rc == KD_OK) {
      rc = constraint_check(tpl_sdata(a[0]), tpl_slen(a[0]), &v, &ok, &msg);
      version_clear(&v);
    }
  }
  if (rc == KD_EPARSE) rc = tpl_call_fail(c, "%s", msg.data ? msg.data : "");
  kd_buf_free(&msg);
  if (rc == KD_OK) *out = tpl_bool(ok);
  return rc;
}

/* ---- the Version object ------------------------------------------------- */

static int member_ptr(tpl_call *c, tpl_obj *o, const char *name,
                      const tpl_val *args, int nargs, tpl_val *out);
static int member_val(tpl_call *c, tpl_obj *o, const char *name,
                      const tpl_val *args, int nargs, tpl_val *out);
static int print_version(tpl_obj *o, kd_buf *b);
static int marshal_version(tpl_obj *o, tpl_val *out);

static const tpl_class version_ptr = {
  "*semver.Version", "ptr", member_ptr, print_version, marshal_version,
  NULL, version_free};
static const tpl_class version_val = {
  "semver.Version", "struct", member_val, print_version, marshal_version,
  NULL, version_free};

static version *data_of(tpl_obj *o)
{
  tpl_val v;
  v.kind = TPL_OBJ;
  v.sub = 0;
  v.u.o = o;
  return tpl_obj_data(v);
}

static int print_version(tpl_obj *o, kd_buf *b) { return version_string(data_of(o), b); }

static int marshal_version(tpl_obj *o, tpl_val *out)
{
  kd_buf b = {0};
  int rc = version_string(data_of(o), &b);
  if (rc) {
    kd_buf_free(&b);
    return rc;
  }
  return tpl_str_take(out, &b);
}

/* A new semver.Version (a value) from V, its Original rebuilt as
 * Masterminds does: the old "v" prefix plus String(). */
static int new_value(const version *v, tpl_val *out)
{
  version *nv = malloc(sizeof *nv);
  kd_buf b = {0};
  int rc;
  if (!nv) return KD_ENOMEM;
  *nv = *v;
  if (*v->orig == 'v') kd_buf_addc(&b, 'v');
  rc = version_string(v, &b);
  nv->orig = kd_buf_take(&b, NULL);
  nv->pre = kd_strndup(v->pre, strlen(v->pre));
  nv->meta = kd_strndup(v->meta, strlen(v->meta));
  if (rc || !nv->orig || !nv->pre || !nv->meta) {
    version_free(nv);
    return KD_ENOMEM;
  }
  return tpl_obj_new(out, &version_val, nv);
}

static int other_version(tpl_call *c, const tpl_val *args, int nargs,
                         const version **o)
{
  if (nargs != 1) return tpl_call_fail(c, "wrong number of args: got %d want 1", nargs);
  if (tpl_obj_class(args[0]) != &version_ptr)
    return tpl_call_fail(c, "wrong type for value; expected *semver.Version; got %s",
                         tpl_type_name(args[0]));
  *o = tpl_obj_data(args[0]);
  return KD_OK;
}

/* Methods of a semver.Version value (value receivers). */
static int member_val(tpl_call *c, tpl_obj *obj, const char *name,
                      const tpl_val *args, int nargs, tpl_val *out)
{
  const version *v = data_of(obj);
  version t;
  int rc;
  if (!strcmp(name, "Major")) { *out = tpl_uint64(v->major); return KD_OK; }
  if (!strcmp(name, "Minor")) { *out = tpl_uint64(v->minor); return KD_OK; }
  if (!strcmp(name, "Patch")) { *out = tpl_uint64(v->patch); return KD_OK; }
  if (!strcmp(name, "Prerelease")) return tpl_str_cstr(out, v->pre);
  if (!strcmp(name, "Metadata")) return tpl_str_cstr(out, v->meta);
  if (!strcmp(name, "String")) {
    kd_buf b = {0};
    if ((rc = version_string(v, &b)) != KD_OK) {
      kd_buf_free(&b);
      return rc;
    }
    return tpl_str_take(out, &b);
  }
  if (!strcmp(name, "IncPatch") || !strcmp(name, "IncMinor") ||
      !strcmp(name, "IncMajor")) {
    t = *v;
    t.pre = t.meta = "";
    if (name[3] == 'P') {
      if (!*v->pre) t.patch++;
    } else if (name[4] == 'i') {
      t.patch = 0;
      t.minor++;
    } else {
      t.patch = t.minor = 0;
      t.major++;
    }
    return new_value(&t, out);
  }
  if (!strcmp(name, "SetPrerelease") || !strcmp(name, "SetMetadata")) {
    int pre = name[3] == 'P';
    const char *bad;
    if (nargs != 1) return tpl_call_fail(c, "wrong number of args: got %d want 1", nargs);
    if (args[0].kind != TPL_STR)
      return tpl_call_fail(c, "wrong type for value; expected string; got %s",
                           tpl_type_name(args[0]));
    bad = !tpl_slen(args[0]) ? NULL
          : pre ? validate_pre(tpl_sdata(args[0]), tpl_slen(args[0]))
                : validate_meta(tpl_sdata(args[0]), tpl_slen(args[0]));
    if (bad) return tpl_call_fail(c, "%s", bad);
    t = *v;
    if (pre) t.pre = (char *)tpl_sdata(args[0]);
    else t.meta = (char *)tpl_sdata(args[0]);
    return new_value(&t, out);
  }
  return KD_ENOTFOUND;
}

/* Methods of *semver.Version: the value's and the pointer receivers'. */
static int member_ptr(tpl_call *c, tpl_obj *obj, const char *name,
                      const tpl_val *args, int nargs, tpl_val *out)
{
  const version *v = data_of(obj), *o = NULL;
  int rc, d;
  if (!strcmp(name, "Original")) return tpl_str_cstr(out, v->orig);
  if (!strcmp(name, "LessThan") || !strcmp(name, "LessThanEqual") ||
      !strcmp(name, "GreaterThan") || !strcmp(name, "GreaterThanEqual") ||
      !strcmp(name, "Equal") || !strcmp(name, "Compare")) {
    if ((rc = other_version(c, args, nargs, &o)) != KD_OK) return rc;
    d = version_compare(v, o);
    if (!strcmp(name, "Compare")) *out = tpl_int(d);
    else if (!strcmp(name, "Equal")) *out = tpl_bool(d == 0);
    else if (!strcmp(name, "LessThan")) *out = tpl_bool(d < 0);
    else if (!strcmp(name, "LessThanEqual")) *out = tpl_bool(d <= 0);
    else if (!strcmp(name, "GreaterThan")) *out = tpl_bool(d > 0);
    else *out = tpl_bool(d >= 0);
    return KD_OK;
  }
  return member_val(c, obj, name, args, nargs, out);
}

FN(fn_semver)
{
  version *v = malloc(sizeof *v);
  kd_buf msg = {0};
  int rc;
  if (!v) return KD_ENOMEM;
  rc = new_version(tpl_sdata(a[0]), tpl_slen(a[0]), v, &msg);
  if (rc != KD_OK) {
    free(v);
    if (rc == KD_EPARSE) rc = tpl_call_fail(c, "%s", msg.data ? msg.data : "");
    kd_buf_free(&msg);
    return rc;
  }
  return tpl_obj_new(out, &version_ptr, v);
}

const tpl_func_def tpl_fn_semver[] = {
  {"semver", fn_semver, "s"},
  {"semverCompare", fn_semver_compare, "ss"},
  {NULL, NULL, NULL}};
