/* engine/tpl/tpl_fn_paths.c: Sprig's path functions (base, dir, ext,
 * clean, isAbs as Go's path package; the os* forms as path/filepath on
 * Unix, which agree), urlParse and urlJoin (Go's net/url parsing,
 * escaping and URL.String), and getHostByName, which Helm 4 answers with
 * "" without asking DNS. */
#include "tpl_int.h"

#include <string.h>

#define FN(name) \
  static int name(tpl_call *c, const tpl_val *a, int n, tpl_val *out)
#define S(i) tpl_sdata(a[i])
#define L(i) tpl_slen(a[i])

static int take(kd_buf *b, int rc, tpl_val *out)
{
  if (rc) {
    kd_buf_free(b);
    return KD_ENOMEM;
  }
  if (!b->data) return tpl_str_cstr(out, "");
  return tpl_str_take(out, b);
}

/* path.Clean */
static int clean(const char *p, size_t n, kd_buf *b)
{
  size_t r = 0, dotdot = 0;
  int rooted = n > 0 && p[0] == '/', rc = KD_OK;
  b->len = 0;
  if (n == 0) return kd_buf_adds(b, ".");
  if (rooted) {
    rc |= kd_buf_addc(b, '/');
    r = dotdot = 1;
  }
  while (r < n) {
    if (p[r] == '/') {
      r++;
    } else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/')) {
      r++;
    } else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
      r += 2;
      if (b->len > dotdot) {   /* back up to the previous element */
        b->len--;
        while (b->len > dotdot && b->data[b->len] != '/') b->len--;
      } else if (!rooted) {
        if (b->len > 0) rc |= kd_buf_addc(b, '/');
        rc |= kd_buf_adds(b, "..");
        dotdot = b->len;
      }
    } else {
      if ((rooted && b->len != 1) || (!rooted && b->len != 0))
        rc |= kd_buf_addc(b, '/');
      for (; r < n && p[r] != '/'; r++) rc |= kd_buf_addc(b, p[r]);
    }
  }
  if (b->len == 0) rc |= kd_buf_adds(b, ".");
  if (b->data) b->data[b->len] = 0;
  return rc ? KD_ENOMEM : KD_OK;
}

FN(fn_clean)
{
  kd_buf b = {0};
  return take(&b, clean(S(0), L(0), &b), out);
}

/* path.Base */
FN(fn_base)
{
  const char *p = S(0), *slash;
  size_t len = L(0);
  if (len == 0) return tpl_str_cstr(out, ".");
  while (len > 0 && p[len - 1] == '/') len--;
  if (len == 0) return tpl_str_cstr(out, "/");
  for (slash = p + len; slash > p && slash[-1] != '/'; slash--) {}
  return tpl_str_new(out, slash, len - (size_t)(slash - p));
}

/* path.Dir: Clean of everything up to the last slash */
FN(fn_dir)
{
  kd_buf b = {0};
  size_t i = L(0);
  while (i > 0 && S(0)[i - 1] != '/') i--;
  return take(&b, clean(S(0), i, &b), out);
}

/* path.Ext */
FN(fn_ext)
{
  size_t i;
  for (i = L(0); i > 0 && S(0)[i - 1] != '/'; i--)
    if (S(0)[i - 1] == '.') return tpl_str_new(out, S(0) + i - 1, L(0) - i + 1);
  return tpl_str_cstr(out, "");
}

FN(fn_is_abs)
{
  *out = tpl_bool(L(0) > 0 && S(0)[0] == '/');
  return KD_OK;
}

/* Helm 4 disables DNS in templates unless asked: the answer is "" */
FN(fn_get_host_by_name) { return tpl_str_cstr(out, ""); }

/* ---- net/url ------------------------------------------------------------ */

enum { ENC_PATH = 1, ENC_HOST, ENC_USER, ENC_QUERY, ENC_FRAGMENT };

/* url's shouldEscape */
static int should_escape(unsigned char ch, int mode)
{
  if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
    return 0;
  if (mode == ENC_HOST && ch && strchr("!$&'()*+,;=:[]<>\"", ch)) return 0;
  if (ch == '-' || ch == '_' || ch == '.' || ch == '~') return 0;
  if (ch && strchr("$&+,/:;=?@", ch)) {
    switch (mode) {
    case ENC_PATH: return ch == '?';
    case ENC_USER: return ch == '@' || ch == '/' || ch == '?' || ch == ':';
    case ENC_QUERY: return 1;
    case ENC_FRAGMENT: return 0;
    default: break;
    }
  }
  if (mode == ENC_FRAGMENT && ch && strchr("!()*", ch)) return 0;
  return 1;
}

static int escape(const char *s, size_t n, int mode, kd_buf *b)
{
  static const char hex[] = "0123456789ABCDEF";
  size_t i;
  int rc = KD_OK;
  for (i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == ' ' && mode == ENC_QUERY) rc |= kd_buf_addc(b, '+');
    else if (should_escape(ch, mode)) {
      char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
      rc |= kd_buf_add(b, e, 3);
    } else {
      rc |= kd_buf_addc(b, (char)ch);
    }
  }
  return rc ? KD_ENOMEM : KD_OK;
}

static int ishex(char ch)
{
  return (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f');
}

static int unhex(char ch)
{
  return ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10;
}

/* url's unescape: KD_OK, or KD_EPARSE with Go's error in ERR */
static int unescape(const char *s, size_t n, int mode, kd_buf *b, kd_buf *err)
{
  size_t i;
  for (i = 0; i < n;) {
    if (s[i] == '%') {
      if (i + 2 >= n || !ishex(s[i + 1]) || !ishex(s[i + 2])) {
        tpl_val q;
        size_t k = n - i > 3 ? 3 : n - i;
        if (tpl_str_new(&q, s + i, k)) return KD_ENOMEM;
        kd_buf_adds(err, "invalid URL escape ");
        tpl_sprintf(err, "%q", 2, &q, 1);
        tpl_unref(q);
        return KD_EPARSE;
      }
      if (mode == ENC_HOST && unhex(s[i + 1]) < 8 && memcmp(s + i, "%25", 3) != 0) {
        kd_buf_printf(err, "invalid URL escape \"%.3s\"", s + i);
        return KD_EPARSE;
      }
      i += 3;
    } else {
      if (mode == ENC_HOST && (unsigned char)s[i] < 0x80 &&
          should_escape((unsigned char)s[i], mode)) {
        tpl_val q;
        if (tpl_str_new(&q, s + i, 1)) return KD_ENOMEM;
        kd_buf_adds(err, "invalid character ");
        tpl_sprintf(err, "%q", 2, &q, 1);
        kd_buf_adds(err, " in host name");
        tpl_unref(q);
        return KD_EPARSE;
      }
      i++;
    }
  }
  for (i = 0; i < n;) {
    if (s[i] == '%') {
      if (kd_buf_addc(b, (char)(unhex(s[i + 1]) << 4 | unhex(s[i + 2])))) return KD_ENOMEM;
      i += 3;
    } else {
      if (kd_buf_addc(b, (s[i] == '+' && mode == ENC_QUERY) ? ' ' : s[i])) return KD_ENOMEM;
      i++;
    }
  }
  return kd_buf_adds(b, "");
}

typedef struct {
  kd_buf scheme, opaque, user, pass, host, path, query, fragment;
  int has_user, has_pass;
  int frag_err;   /* the error is in the fragment: Go names the whole URL */
} url;

static void url_free(url *u)
{
  kd_buf_free(&u->scheme);
  kd_buf_free(&u->opaque);
  kd_buf_free(&u->user);
  kd_buf_free(&u->pass);
  kd_buf_free(&u->host);
  kd_buf_free(&u->path);
  kd_buf_free(&u->query);
  kd_buf_free(&u->fragment);
}

/* url's parseHost: [v6]:port, or host[:port] with the port all digits */
static int parse_host(const char *h, size_t n, url *u, kd_buf *err)
{
  size_t colon;
  if (n && h[0] == '[') {
    const char *close = memchr(h, ']', n);
    size_t i;
    if (!close) {
      kd_buf_adds(err, "missing ']' in host");
      return KD_EPARSE;
    }
    for (i = (size_t)(close - h) + 1; i < n; i++)
      if (i == (size_t)(close - h) + 1 ? h[i] != ':' : (h[i] < '0' || h[i] > '9')) {
        kd_buf_printf(err, "invalid port \"%.*s\" after host",
                      (int)(n - (size_t)(close - h) - 1), close + 1);
        return KD_EPARSE;
      }
  } else {
    const char *last = NULL;
    size_t i;
    for (i = 0; i < n; i++)
      if (h[i] == ':') last = h + i;
    if (last) {
      for (colon = (size_t)(last - h) + 1; colon < n; colon++)
        if (h[colon] < '0' || h[colon] > '9') {
          kd_buf_printf(err, "invalid port \"%.*s\" after host",
                        (int)(n - (size_t)(last - h)), last);
          return KD_EPARSE;
        }
    }
  }
  return unescape(h, n, ENC_HOST, &u->host, err);
}

static int parse_authority(const char *a, size_t n, url *u, kd_buf *err)
{
  size_t at = n, i;
  int rc;
  for (i = n; i > 0; i--)
    if (a[i - 1] == '@') { at = i - 1; break; }
  rc = at == n ? parse_host(a, n, u, err) : parse_host(a + at + 1, n - at - 1, u, err);
  if (rc != KD_OK || at == n) return rc;
  for (i = 0; i < at; i++) {   /* validUserinfo */
    unsigned char ch = (unsigned char)a[i];
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
      continue;
    if (!ch || !strchr("-._:~!$&'()*+,;=%@", ch)) {
      kd_buf_adds(err, "net/url: invalid userinfo");
      return KD_EPARSE;
    }
  }
  u->has_user = 1;
  {
    const char *colon = memchr(a, ':', at);
    size_t un = colon ? (size_t)(colon - a) : at;
    if ((rc = unescape(a, un, ENC_USER, &u->user, err)) != KD_OK) return rc;
    if (colon) {
      u->has_pass = 1;
      return unescape(colon + 1, at - un - 1, ENC_USER, &u->pass, err);
    }
  }
  return KD_OK;
}

/* url.Parse of S[0..N) (with its fragment) */
static int url_parse(const char *s, size_t n, url *u, kd_buf *err)
{
  const char *hash = memchr(s, '#', n), *rest;
  size_t un = hash ? (size_t)(hash - s) : n, rn, i;
  int rc;
  memset(u, 0, sizeof *u);
  for (i = 0; i < un; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F) {
      kd_buf_adds(err, "net/url: invalid control character in URL");
      return KD_EPARSE;
    }
  if (un == 1 && s[0] == '*') return kd_buf_adds(&u->path, "*");
  rest = s;
  rn = un;
  for (i = 0; i < un; i++) {   /* getScheme */
    char ch = s[i];
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) continue;
    if ((ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == '.') {
      if (i == 0) break;
      continue;
    }
    if (ch == ':') {
      size_t k;
      if (i == 0) {
        kd_buf_adds(err, "missing protocol scheme");
        return KD_EPARSE;
      }
      for (k = 0; k < i; k++)
        if (kd_buf_addc(&u->scheme, (char)(s[k] >= 'A' && s[k] <= 'Z' ? s[k] | 0x20 : s[k])))
          return KD_ENOMEM;
      rest = s + i + 1;
      rn = un - i - 1;
    }
    break;
  }
  {
    const char *q = memchr(rest, '?', rn);
    if (q) {
      if (kd_buf_add(&u->query, q + 1, rn - (size_t)(q - rest) - 1)) return KD_ENOMEM;
      rn = (size_t)(q - rest);
    }
  }
  if (!(rn && rest[0] == '/')) {
    const char *sl = memchr(rest, '/', rn);
    size_t seg = sl ? (size_t)(sl - rest) : rn;
    if (u->scheme.len) {
      if (kd_buf_add(&u->opaque, rest, rn)) return KD_ENOMEM;
      goto fragment;
    }
    if (memchr(rest, ':', seg)) {
      kd_buf_adds(err, "first path segment in URL cannot contain colon");
      return KD_EPARSE;
    }
  }
  if (rn >= 2 && rest[0] == '/' && rest[1] == '/' &&
      (u->scheme.len || !(rn >= 3 && rest[2] == '/'))) {
    const char *sl = memchr(rest + 2, '/', rn - 2);
    size_t an = sl ? (size_t)(sl - rest) - 2 : rn - 2;
    if ((rc = parse_authority(rest + 2, an, u, err)) != KD_OK) return rc;
    rest += 2 + an;
    rn -= 2 + an;
  }
  if ((rc = unescape(rest, rn, ENC_PATH, &u->path, err)) != KD_OK) return rc;
fragment:
  rc = KD_OK;
  if (hash && (rc = unescape(hash + 1, n - un - 1, ENC_FRAGMENT, &u->fragment, err)) != KD_OK)
    u->frag_err = 1;
  return rc;
}

static int set_str(tpl_val m, const char *key, const kd_buf *b)
{
  tpl_val v;
  int rc = tpl_str_new(&v, b->data ? b->data : "", b->len);
  return rc ? rc : tpl_map_sets(m, key, v);
}

FN(fn_url_parse)
{
  url u;
  kd_buf err = {0}, ui = {0}, hn = {0};
  int rc = url_parse(S(0), L(0), &u, &err);
  if (rc == KD_EPARSE) {
    kd_buf q = {0};
    const char *hash = memchr(S(0), '#', L(0));
    size_t un = hash && !u.frag_err ? (size_t)(hash - S(0)) : L(0);
    tpl_val head;
    if (tpl_str_new(&head, S(0), un) == KD_OK) {
      tpl_sprintf(&q, "%q", 2, &head, 1);
      tpl_unref(head);
    }
    rc = tpl_call_fail(c, "unable to parse url: parse %s: %s", q.data ? q.data : "",
                       err.data ? err.data : "");
    kd_buf_free(&q);
  }
  kd_buf_free(&err);
  if (rc != KD_OK) {
    url_free(&u);
    return rc;
  }
  if (u.has_user) {
    rc |= escape(u.user.data, u.user.len, ENC_USER, &ui);
    if (u.has_pass) {
      rc |= kd_buf_addc(&ui, ':');
      rc |= escape(u.pass.data, u.pass.len, ENC_USER, &ui);
    }
  }
  {   /* Hostname(): the host without its port and brackets */
    const char *h = u.host.data ? u.host.data : "";
    size_t hl = u.host.len;
    if (hl && h[0] == '[') {
      const char *close = memchr(h, ']', hl);
      rc |= kd_buf_add(&hn, h + 1, close ? (size_t)(close - h) - 1 : hl - 1);
    } else {
      const char *colon = memchr(h, ':', hl);
      rc |= kd_buf_add(&hn, h, colon ? (size_t)(colon - h) : hl);
    }
  }
  if (rc == KD_OK) rc = tpl_map_new(out);
  if (rc == KD_OK) rc = set_str(*out, "scheme", &u.scheme);
  if (rc == KD_OK) rc = set_str(*out, "host", &u.host);
  if (rc == KD_OK) rc = set_str(*out, "hostname", &hn);
  if (rc == KD_OK) rc = set_str(*out, "path", &u.path);
  if (rc == KD_OK) rc = set_str(*out, "query", &u.query);
  if (rc == KD_OK) rc = set_str(*out, "opaque", &u.opaque);
  if (rc == KD_OK) rc = set_str(*out, "fragment", &u.fragment);
  if (rc == KD_OK) rc = set_str(*out, "userinfo", &ui);
  kd_buf_free(&ui);
  kd_buf_free(&hn);
  url_free(&u);
  return rc ? KD_ENOMEM : KD_OK;
}

/* Sprig's metaString: the key's strval, "" when absent or nil */
static int meta(tpl_val d, const char *key, kd_buf *b)
{
  const tpl_val *v = tpl_map_gets(d, key);
  b->len = 0;
  if (!v || v->kind == TPL_NIL) return kd_buf_adds(b, "");
  return tpl_strval(*v, b) | kd_buf_adds(b, "");
}

FN(fn_url_join)
{
  kd_buf scheme = {0}, host = {0}, path = {0}, query = {0}, opaque = {0},
         frag = {0}, ui = {0}, b = {0}, ep = {0};
  url uu;
  int rc = meta(a[0], "scheme", &scheme) | meta(a[0], "host", &host) |
           meta(a[0], "path", &path) | meta(a[0], "query", &query) |
           meta(a[0], "opaque", &opaque) | meta(a[0], "fragment", &frag) |
           meta(a[0], "userinfo", &ui);
  int has_user = 0;
  memset(&uu, 0, sizeof uu);
  if (rc == KD_OK && ui.len) {
    kd_buf t = {0}, err = {0};
    kd_buf_printf(&t, "proto://%s@host", ui.data);
    rc = url_parse(t.data, t.len, &uu, &err);
    if (rc == KD_EPARSE) {
      tpl_val tv;
      kd_buf q = {0};
      if (tpl_str_new(&tv, t.data, t.len) == KD_OK) {
        tpl_sprintf(&q, "%q", 2, &tv, 1);
        tpl_unref(tv);
      }
      rc = tpl_call_fail(c, "unable to parse userinfo in dict: parse %s: %s",
                         q.data ? q.data : "", err.data ? err.data : "");
      kd_buf_free(&q);
    }
    has_user = uu.has_user;
    kd_buf_free(&t);
    kd_buf_free(&err);
  }
  if (rc == KD_OK) {   /* URL.String */
    if (scheme.len) rc |= kd_buf_add(&b, scheme.data, scheme.len) | kd_buf_addc(&b, ':');
    if (opaque.len) {
      rc |= kd_buf_add(&b, opaque.data, opaque.len);
    } else {
      if (scheme.len || host.len || has_user) {
        if (host.len || path.len || has_user) rc |= kd_buf_adds(&b, "//");
        if (has_user) {
          rc |= escape(uu.user.data, uu.user.len, ENC_USER, &b);
          if (uu.has_pass)
            rc |= kd_buf_addc(&b, ':') | escape(uu.pass.data, uu.pass.len, ENC_USER, &b);
          rc |= kd_buf_addc(&b, '@');
        }
        rc |= escape(host.data, host.len, ENC_HOST, &b);
      }
      rc |= escape(path.data, path.len, ENC_PATH, &ep);
      if (ep.len && ep.data[0] != '/' && host.len) rc |= kd_buf_addc(&b, '/');
      if (b.len == 0 && ep.len) {
        const char *sl = memchr(ep.data, '/', ep.len);
        if (memchr(ep.data, ':', sl ? (size_t)(sl - ep.data) : ep.len))
          rc |= kd_buf_adds(&b, "./");
      }
      rc |= kd_buf_add(&b, ep.data ? ep.data : "", ep.len);
    }
    if (query.len) rc |= kd_buf_addc(&b, '?') | kd_buf_add(&b, query.data, query.len);
    if (frag.len) rc |= kd_buf_addc(&b, '#') | escape(frag.data, frag.len, ENC_FRAGMENT, &b);
    rc = take(&b, rc, out);
  }
  url_free(&uu);
  kd_buf_free(&scheme);
  kd_buf_free(&host);
  kd_buf_free(&path);
  kd_buf_free(&query);
  kd_buf_free(&opaque);
  kd_buf_free(&frag);
  kd_buf_free(&ui);
  kd_buf_free(&ep);
  kd_buf_free(&b);
  return rc;
}

const tpl_func_def tpl_fn_paths[] = {
  {"base", fn_base, "s"},
  {"dir", fn_dir, "s"},
  {"ext", fn_ext, "s"},
  {"clean", fn_clean, "s"},
  {"isAbs", fn_is_abs, "s"},
  {"osBase", fn_base, "s"},
  {"osDir", fn_dir, "s"},
  {"osExt", fn_ext, "s"},
  {"osClean", fn_clean, "s"},
  {"osIsAbs", fn_is_abs, "s"},
  {"getHostByName", fn_get_host_by_name, "s"},
  {"urlParse", fn_url_parse, "s"},
  {"urlJoin", fn_url_join, "m"},
  {NULL, NULL, NULL}};
