/* engine/kube_easy.c: the curl side of a client's requests. Handles are
 * pooled per client with the client's fixed options (TLS, proxy, timeouts,
 * compression) set once when the handle is made, and request header lists
 * are shared between requests that send the same headers: a request then
 * costs a handful of curl_easy_setopt calls, not a reset and thirty. */
#include "kube_int.h"

#include <stdlib.h>
#include <string.h>

#define HDRS_KEEP 32    /* unused header lists kept at most */
#define KUBE_USER_AGENT "kdeploy/0.1"

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
  kube_call *call = ud;
  size_t len = size * n;
  if (call->stream) {
    if (!call->checked) {
      long code = 0;
      curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &code);
      call->stream_ok = code >= 200 && code < 300;
      call->checked = 1;
    }
    if (call->stream_ok) {
      call->delivered = 1;
      return call->data(call->ctx, p, len) ? 0 : len;
    }
  }
  return kd_buf_add(&call->resp, p, len) ? 0 : len;
}

/* The options every request of C shares. */
static void fixed_options(kube_client *c, CURL *easy)
{
  const kube_conn *k = c->conn;
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
  /* Over TLS, wait for the first connection's ALPN so that HTTP/2 streams
   * share it; plain HTTP is HTTP/1.1, where waiting would serialise. */
  if (c->https) curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_write);
  /* Without a proxy the User-Agent is in the header lists (hdrs_build); a
   * CONNECT to a proxy carries only this one, in this place. */
  if (c->proxied) curl_easy_setopt(easy, CURLOPT_USERAGENT, KUBE_USER_AGENT);
  /* proxy-url is used for every server, loopback too (as client-go does);
   * without it curl's $https_proxy & co apply, minus loopback like Go. */
  if (k->proxy_url) curl_easy_setopt(easy, CURLOPT_PROXY, k->proxy_url);
  else curl_easy_setopt(easy, CURLOPT_NOPROXY, c->noproxy);
  /* gzip only, as client-go asks: the one encoding API servers offer, and
   * 20 bytes less for curl to format into every request than "" (all).
   * The option makes curl decode gzip bodies; without a proxy the header
   * itself is in the header lists, and curl then adds none of its own. */
  if (!k->disable_compression) curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "gzip");
  if (c->o.connect_timeout > 0)
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->o.connect_timeout * 1000));
  if (k->ca_data) {
    struct curl_blob ca = {k->ca_data, k->ca_len, CURL_BLOB_NOCOPY};
    curl_easy_setopt(easy, CURLOPT_CAINFO_BLOB, &ca);
    curl_easy_setopt(easy, CURLOPT_CAPATH, NULL);   /* that CA only */
  }
  if (k->insecure) {
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (k->cert_data) {
    struct curl_blob cert = {k->cert_data, k->cert_len, CURL_BLOB_NOCOPY};
    struct curl_blob key = {k->key_data, k->key_len, CURL_BLOB_NOCOPY};
    curl_easy_setopt(easy, CURLOPT_SSLCERT_BLOB, &cert);
    curl_easy_setopt(easy, CURLOPT_SSLKEY_BLOB, &key);
  }
  if (c->connect_to) curl_easy_setopt(easy, CURLOPT_CONNECT_TO, c->connect_to);
  if (!k->exec && !k->token_file && !k->token && (k->username || k->password)) {
    curl_easy_setopt(easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(easy, CURLOPT_USERNAME, k->username ? k->username : "");
    curl_easy_setopt(easy, CURLOPT_PASSWORD, k->password ? k->password : "");
  }
}

CURL *kube_easy_get(kube_client *c)
{
  CURL *easy;
  if (c->npool) return c->pool[--c->npool];
  if ((easy = curl_easy_init())) fixed_options(c, easy);
  return easy;
}

/* Whether CALL's request leaves the method options as a new handle has
 * them: a GET sets none of them (kube_easy_request). */
static int plain_get(const kube_call *call)
{
  return strcmp(call->verb, "GET") == 0;
}

void kube_easy_put(kube_client *c, CURL *easy, const kube_call *call)
{
  if (!easy) return;
  if (call) {
    /* Nothing of the finished call may be reachable from an idle handle. */
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(easy, CURLOPT_CURLU, NULL);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, NULL);
    if (!plain_get(call)) {
      /* back to a GET, as pooled handles are: POSTFIELDS (which makes the
       * handle a POST) first, then HTTPGET */
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, NULL);
      curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, NULL);
    }
  }
  if (c->npool < KUBE_POOL_MAX) c->pool[c->npool++] = easy;
  else curl_easy_cleanup(easy);
}

/* ---- header lists ---------------------------------------------------------- */

static int same(const char *a, const char *b)
{
  return a == b || (a && b && strcmp(a, b) == 0);
}

static void hdrs_free(kube_hdrs *h)
{
  curl_slist_free_all(h->list);
  free(h->accept);
  free(h->ctype);
  free(h);
}

static int add_line(struct curl_slist **list, const char *line)
{
  struct curl_slist *l = curl_slist_append(*list, line);
  if (!l) return KD_ENOMEM;
  *list = l;
  return KD_OK;
}

static int add_header(struct curl_slist **list, const char *name, const char *value)
{
  kd_buf b = {0};
  int rc = kd_buf_printf(&b, "%s: %s", name, value) ? KD_ENOMEM : add_line(list, b.data);
  kd_buf_free(&b);
  return rc;
}

/* User-Agent and Accept-Encoding (unless a proxy may carry the requests:
 * see fixed_options), Accept, with a body no Expect: 100-continue and its
 * Content-Type, the Host of tls-server-name and the bearer token. */
static kube_hdrs *hdrs_build(kube_client *c, const char *accept,
                             const char *ctype, const char *token)
{
  kube_hdrs *h = calloc(1, sizeof *h);
  kd_buf auth = {0};
  int rc;
  if (!h) return NULL;
  h->accept = kd_strndup(accept, strlen(accept));
  h->ctype = ctype ? kd_strndup(ctype, strlen(ctype)) : NULL;
  h->gen = c->auth_gen;
  rc = !h->accept || (ctype && !h->ctype) ? KD_ENOMEM : KD_OK;
  if (!rc && !c->proxied) rc = add_header(&h->list, "User-Agent", KUBE_USER_AGENT);
  if (!rc && !c->proxied && !c->conn->disable_compression)
    rc = add_line(&h->list, "Accept-Encoding: gzip");
  if (!rc) rc = add_header(&h->list, "Accept", accept);
  /* a body of over 1 MB would wait for a 100 Continue; no body, no Expect */
  if (!rc && ctype) rc = add_line(&h->list, "Expect:");
  if (!rc && ctype) rc = add_header(&h->list, "Content-Type", ctype);
  if (!rc && c->host_header) rc = add_line(&h->list, c->host_header);
  if (!rc && token) {
    rc = kd_buf_printf(&auth, "Bearer %s", token) ? KD_ENOMEM
         : add_header(&h->list, "Authorization", auth.data);
    kd_buf_free(&auth);
  }
  if (rc) {
    hdrs_free(h);
    return NULL;
  }
  h->next = c->hdrs;
  c->hdrs = h;
  return h;
}

/* The shared list for ACCEPT + CTYPE with the current credentials. */
static kube_hdrs *hdrs_get(kube_client *c, const char *accept,
                           const char *ctype, const char *token)
{
  kube_hdrs *h;
  for (h = c->hdrs; h; h = h->next)
    if (h->gen == c->auth_gen && same(h->ctype, ctype) && strcmp(h->accept, accept) == 0)
      break;
  if (!h && !(h = hdrs_build(c, accept, ctype, token))) return NULL;
  h->refs++;
  return h;
}

void kube_easy_release(kube_call *call)
{
  kube_client *c = call->c;
  kube_hdrs *h = call->hdrs, **p;
  size_t n = 0;
  if (!h) return;
  call->hdrs = NULL;
  if (--h->refs > 0) return;
  for (p = &c->hdrs; *p; p = &(*p)->next) n++;
  /* stale credentials, or too many odd Accept headers: let it go */
  if (h->gen == c->auth_gen && n <= HDRS_KEEP) return;
  for (p = &c->hdrs; *p != h; p = &(*p)->next) {}
  *p = h->next;
  hdrs_free(h);
}

/* ---- per request ----------------------------------------------------------- */

/* Whether PATH (with its query) set as URL parts goes out as a parse of
 * the whole URL sends it. Not so with bytes a parse rejects or escapes, a
 * fragment, dot segments it removes, an empty query, or percent escapes
 * (set as parts, curl writes their hex digits in lower case). */
static int plain_path(const char *path)
{
  const unsigned char *p;
  for (p = (const unsigned char *)path; *p; p++) {
    if (*p <= ' ' || *p >= 0x7f || *p == '#' || *p == '\\' || *p == '%' ||
        (*p == '?' && !p[1]))
      return 0;
    if (*p == '/' && p[1] == '.' &&
        (p[2] == '/' || p[2] == '?' || !p[2] ||
         (p[2] == '.' && (p[3] == '/' || p[3] == '?' || !p[3]))))
      return 0;
  }
  return 1;
}

/* CALL's URL handle: its own from an earlier attempt, else an idle one of
 * the client, else a new copy of the client's parsed base. Each holds the
 * base's parts, and only the path and the query are ever set on one
 * (set_url), both on every attempt: a handle reused so goes out as a
 * fresh copy would, without a copy made and freed per request. */
static CURLU *call_url(kube_call *call)
{
  kube_client *c = call->c;
  if (!call->uh) call->uh = c->nurls ? c->urls[--c->nurls] : curl_url_dup(c->base_uh);
  return call->uh;
}

void kube_easy_url_release(kube_call *call)
{
  kube_client *c = call->c;
  if (!call->uh) return;
  if (c->nurls < KUBE_POOL_MAX) c->urls[c->nurls++] = call->uh;
  else curl_url_cleanup(call->uh);
  call->uh = NULL;
}

/* Sets CALL's URL on EASY: the client's parsed base with the path and
 * query set (call_url), which spares curl the parse of a whole URL (most
 * of the cost of its per-request setup); the URL string when the path is
 * not plain or the base did not parse. */
static int set_url(kube_call *call, CURL *easy)
{
  kube_client *c = call->c;
  kd_buf *url = &c->url_buf;
  char *query;
  CURLU *uh;
  url->len = 0;
  if (!c->base_uh || !plain_path(call->path)) {
    kube_easy_url_release(call);
    if (kd_buf_add(url, c->base, c->base_len) ||
        kd_buf_add(url, call->path, strlen(call->path) + 1))
      return KD_ENOMEM;
    curl_easy_setopt(easy, CURLOPT_CURLU, NULL);
    curl_easy_setopt(easy, CURLOPT_URL, url->data);   /* curl copies strings */
    return KD_OK;
  }
  if (kd_buf_adds(url, c->url.prefix) ||
      kd_buf_add(url, call->path, strlen(call->path) + 1) ||
      !(uh = call_url(call)))
    return KD_ENOMEM;
  if ((query = strchr(url->data, '?'))) *query++ = 0;
  if (curl_url_set(uh, CURLUPART_PATH, url->data, 0) != CURLUE_OK ||
      curl_url_set(uh, CURLUPART_QUERY, query, 0) != CURLUE_OK)
    return KD_ENOMEM;
  curl_easy_setopt(easy, CURLOPT_CURLU, uh);   /* the call's until it ends */
  return KD_OK;
}

int kube_easy_request(kube_call *call, CURL *easy, const char *token,
                      kd_error *err)
{
  kube_client *c = call->c;
  double left = call->deadline ? call->deadline - loop_now() : 0;
  if (set_url(call, easy)) return kd_error_set(err, KD_ENOMEM, "out of memory");
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, call->errbuf);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, call);
  if (call->deadline && left < 0.001) left = 0.001;
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)(left * 1000));
  if (plain_get(call)) {
    /* a handle from the pool is a GET already (kube_easy_put) */
  } else if (call->body || strcmp(call->verb, "DELETE") != 0) {
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)call->body_len);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, call->body ? call->body : "");
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, call->verb);
  } else {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, call->verb);
  }
  if (c->conn->exec && c->cred.cert_data) {   /* the plugin's, may change */
    struct curl_blob cert = {c->cred.cert_data, c->cred.cert_len, CURL_BLOB_COPY};
    struct curl_blob key = {c->cred.key_data, c->cred.key_len, CURL_BLOB_COPY};
    curl_easy_setopt(easy, CURLOPT_SSLCERT_BLOB, &cert);
    curl_easy_setopt(easy, CURLOPT_SSLKEY_BLOB, &key);
  }
  kube_easy_release(call);
  call->hdrs = hdrs_get(c, call->accept, call->body ? call->content_type : NULL, token);
  if (!call->hdrs) return kd_error_set(err, KD_ENOMEM, "out of memory");
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, call->hdrs->list);
  return KD_OK;
}

void kube_easy_free_all(kube_client *c)
{
  size_t i;
  for (i = 0; i < c->npool; i++) curl_easy_cleanup(c->pool[i]);
  c->npool = 0;
  for (i = 0; i < c->nurls; i++) curl_url_cleanup(c->urls[i]);
  c->nurls = 0;
  while (c->hdrs) {
    kube_hdrs *h = c->hdrs;
    c->hdrs = h->next;
    hdrs_free(h);
  }
  kd_buf_free(&c->url_buf);
}
