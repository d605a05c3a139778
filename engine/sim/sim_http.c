/* engine/sim/sim_http.c: HTTP/1.1 request parser (Content-Length and
 * chunked bodies, keep-alive rules, Expect: 100-continue). */
#include "sim_http.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void sim_req_free(sim_req *req)
{
  size_t i;
  if (!req) return;
  free(req->method);
  free(req->target);
  free(req->path);
  free(req->query);
  for (i = 0; i < req->n_headers; i++) {
    free(req->headers[i].name);
    free(req->headers[i].value);
  }
  free(req->headers);
  kd_buf_free(&req->body);
  memset(req, 0, sizeof *req);
}

const char *sim_req_header(const sim_req *req, const char *name)
{
  size_t i;
  for (i = 0; i < req->n_headers; i++)
    if (strcmp(req->headers[i].name, name) == 0) return req->headers[i].value;
  return NULL;
}

static int hexval(int c)
{
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char *sim_url_decode(const char *s, size_t n, int form)
{
  char *out = malloc(n + 1), *o = out;
  size_t i;
  if (!out) return NULL;
  for (i = 0; i < n; i++) {
    if (s[i] == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
        hexval((unsigned char)s[i + 2]) >= 0) {
      *o++ = (char)(hexval((unsigned char)s[i + 1]) * 16 +
                    hexval((unsigned char)s[i + 2]));
      i += 2;
    } else if (form && s[i] == '+') {
      *o++ = ' ';
    } else {
      *o++ = s[i];
    }
  }
  *o = 0;
  return out;
}

char *sim_query_get(const char *query, const char *name)
{
  size_t nlen = strlen(name);
  const char *p = query;
  while (p && *p) {
    const char *amp = strchr(p, '&');
    const char *end = amp ? amp : p + strlen(p);
    const char *eq = memchr(p, '=', (size_t)(end - p));
    const char *kend = eq ? eq : end;
    char *key = sim_url_decode(p, (size_t)(kend - p), 1);
    int hit = key && strlen(key) == nlen && memcmp(key, name, nlen) == 0;
    free(key);
    if (hit)
      return eq ? sim_url_decode(eq + 1, (size_t)(end - eq - 1), 1)
                : kd_strndup("", 0);
    p = amp ? amp + 1 : NULL;
  }
  return NULL;
}

/* Finds "\r\n\r\n" (or a bare "\n\n"); returns the head length incl. it. */
static size_t head_end(const char *buf, size_t len)
{
  size_t i;
  for (i = 0; i + 1 < len; i++) {
    if (buf[i] == '\n' && buf[i + 1] == '\n') return i + 2;
    if (buf[i] == '\n' && i + 2 < len && buf[i + 1] == '\r' &&
        buf[i + 2] == '\n')
      return i + 3;
  }
  return 0;
}

static int is_tchar(int c)
{
  return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Splits the head into request line + headers. Returns 0 or an HTTP code. */
static int parse_head(const char *h, size_t n, sim_req *req, int *http11)
{
  const char *p = h, *end = h + n, *eol, *sp1, *sp2;
  eol = memchr(p, '\n', (size_t)(end - p));
  if (!eol) return 400;
  sp1 = memchr(p, ' ', (size_t)(eol - p));
  if (!sp1 || sp1 == p) return 400;
  sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
  if (!sp2 || sp2 == sp1 + 1) return 400;
  {
    const char *v = sp2 + 1;
    size_t vl = (size_t)(eol - v);
    const char *q;
    if (vl && v[vl - 1] == '\r') vl--;
    if (vl == 8 && memcmp(v, "HTTP/1.1", 8) == 0) *http11 = 1;
    else if (vl == 8 && memcmp(v, "HTTP/1.0", 8) == 0) *http11 = 0;
    else if (vl >= 5 && memcmp(v, "HTTP/", 5) == 0) return 505;
    else return 400;
    for (q = p; q < sp1; q++)
      if (!is_tchar((unsigned char)*q)) return 400;
    for (q = sp1 + 1; q < sp2; q++)
      if ((unsigned char)*q <= 0x20 || *q == 0x7f) return 400;
  }
  req->method = kd_strndup(p, (size_t)(sp1 - p));
  req->target = kd_strndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
  if (!req->method || !req->target) return 500;
  if (req->target[0] != '/') return 400;
  {
    const char *qm = strchr(req->target, '?');
    size_t plen = qm ? (size_t)(qm - req->target) : strlen(req->target);
    req->path = sim_url_decode(req->target, plen, 0);
    req->query = kd_strndup(qm ? qm + 1 : "", qm ? strlen(qm + 1) : 0);
    if (!req->path || !req->query) return 500;
  }
  p = eol + 1;
  while (p < end) {
    const char *colon, *vs, *ve;
    sim_header *hd;
    size_t i;
    eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol) eol = end;
    if (eol == p || (eol == p + 1 && *p == '\r')) break;  /* blank line */
    if (*p == ' ' || *p == '\t') return 400;  /* obsolete line folding */
    colon = memchr(p, ':', (size_t)(eol - p));
    if (!colon || colon == p) return 400;
    for (vs = p; vs < colon; vs++)
      if (!is_tchar((unsigned char)*vs)) return 400;
    vs = colon + 1;
    ve = eol;
    if (ve > vs && ve[-1] == '\r') ve--;
    while (vs < ve && (*vs == ' ' || *vs == '\t')) vs++;
    while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
    for (i = 0; vs + i < ve; i++)
      if (vs[i] == 0 || vs[i] == '\r') return 400;
    hd = realloc(req->headers, (req->n_headers + 1) * sizeof *hd);
    if (!hd) return 500;
    req->headers = hd;
    hd = &req->headers[req->n_headers];
    hd->name = kd_strndup(p, (size_t)(colon - p));
    hd->value = kd_strndup(vs, (size_t)(ve - vs));
    if (!hd->name || !hd->value) {
      free(hd->name);
      free(hd->value);
      return 500;
    }
    req->n_headers++;
    for (i = 0; hd->name[i]; i++)
      hd->name[i] = (char)tolower((unsigned char)hd->name[i]);
    p = eol + 1;
  }
  return 0;
}

static int has_token(const char *v, const char *tok)
{
  size_t n = strlen(tok);
  while (v && *v) {
    while (*v == ' ' || *v == ',' || *v == '\t') v++;
    if (strncasecmp(v, tok, n) == 0 &&
        (v[n] == 0 || v[n] == ',' || v[n] == ' ' || v[n] == ';'))
      return 1;
    v = strchr(v, ',');
  }
  return 0;
}

/* Parses a chunked body starting at P. Returns 1 done (*end = after the
 * trailers), 0 incomplete, -1 malformed, -2 too large. */
static int parse_chunked(const char *p, const char *end, size_t max_body,
                         kd_buf *body, const char **after)
{
  for (;;) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    size_t size = 0;
    int digits = 0;
    const char *q;
    if (!eol) return (end - p) > 1024 ? -1 : 0;
    for (q = p; q < eol && hexval((unsigned char)*q) >= 0; q++) {
      if (size > (max_body + 16) / 16 * 16) return -2;
      size = size * 16 + (size_t)hexval((unsigned char)*q);
      digits++;
    }
    if (!digits) return -1;
    if (q < eol && *q != ';' && *q != '\r' && *q != ' ') return -1;
    if (size > max_body || body->len + size > max_body) return -2;
    p = eol + 1;
    if (size == 0) {
      /* trailers until an empty line */
      for (;;) {
        eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) return 0;
        if (eol == p || (eol == p + 1 && *p == '\r')) {
          *after = eol + 1;
          return 1;
        }
        p = eol + 1;
      }
    }
    if ((size_t)(end - p) < size + 1) return 0;
    if (kd_buf_add(body, p, size)) return -2;
    p += size;
    if (*p == '\r') {
      if (p + 1 >= end) return 0;
      p++;
    }
    if (*p != '\n') return -1;
    p++;
  }
}

int sim_http_parse(const char *buf, size_t len, size_t max_body,
                   sim_req *req, size_t *used, int *status)
{
  size_t hlen = head_end(buf, len);
  int http11 = 1, code;
  const char *cl, *te, *conn;
  memset(req, 0, sizeof *req);
  *status = 0;
  /* tolerate empty lines before a request (RFC 9112 2.2) */
  if (len && (buf[0] == '\r' || buf[0] == '\n')) {
    size_t skip = 0;
    while (skip < len && (buf[skip] == '\r' || buf[skip] == '\n')) skip++;
    if (skip == len) return 0;
    if (skip > 8) { *status = 400; return -1; }
    {
      int r = sim_http_parse(buf + skip, len - skip, max_body, req, used,
                             status);
      if (r == 1) *used += skip;
      return r;
    }
  }
  if (!hlen) {
    if (len > SIM_MAX_HEAD) { *status = 431; return -1; }
    return 0;
  }
  if (hlen > SIM_MAX_HEAD) { *status = 431; return -1; }
  code = parse_head(buf, hlen, req, &http11);
  if (code) goto fail;
  conn = sim_req_header(req, "connection");
  req->keep_alive = http11 ? !has_token(conn, "close")
                           : has_token(conn, "keep-alive");
  te = sim_req_header(req, "transfer-encoding");
  cl = sim_req_header(req, "content-length");
  {
    const char *ex = sim_req_header(req, "expect");
    if (ex && strcasecmp(ex, "100-continue") == 0) req->expect_continue = 1;
  }
  if (te) {
    const char *after = NULL;
    int r;
    if (cl || !has_token(te, "chunked") || strcasecmp(te, "chunked") != 0) {
      code = strcasecmp(te, "chunked") == 0 || cl ? 400 : 501;
      goto fail;
    }
    r = parse_chunked(buf + hlen, buf + len, max_body, &req->body, &after);
    if (r == -1) { code = 400; goto fail; }
    if (r == -2) { code = 413; goto fail; }
    if (r == 0) {
      if (req->expect_continue) *status = 100;
      sim_req_free(req);
      return 0;
    }
    *used = (size_t)(after - buf);
    return 1;
  }
  if (cl) {
    unsigned long long n = 0;
    const char *q = cl;
    if (!*q) { code = 400; goto fail; }
    for (; *q; q++) {
      if (*q < '0' || *q > '9') { code = 400; goto fail; }
      if (n > max_body) break;
      n = n * 10 + (unsigned)(*q - '0');
    }
    if (n > max_body) { code = 413; goto fail; }
    if (len - hlen < n) {
      if (req->expect_continue) *status = 100;
      sim_req_free(req);
      return 0;
    }
    if (kd_buf_add(&req->body, buf + hlen, (size_t)n)) { code = 500; goto fail; }
    *used = hlen + (size_t)n;
    return 1;
  }
  *used = hlen;
  return 1;
fail:
  sim_req_free(req);
  *status = code;
  return -1;
}
