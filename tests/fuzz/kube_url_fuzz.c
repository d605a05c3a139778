/* tests/fuzz/kube_url_fuzz.c: libFuzzer target for the server URL of a
 * kubeconfig as the client splits it (engine/kube_client.c's
 * kube_url_parse): the host and port it names in CURLOPT_CONNECT_TO, the
 * Host header and NO_PROXY, the prefix every request path goes after.
 * Checks, when it accepts: an http(s) scheme, a non-empty host with nothing in it that a URL
 * parser (curl's) would read as something else (userinfo, query,
 * fragment, a bracket, a space), a port of digits in 1..65535, a prefix
 * empty or from '/', without a trailing '/', a query or a fragment; and
 * the URL the client builds from these parts splits into the same parts
 * (round trip). */
#include "kube_int.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static int has_any(const char *s, const char *set)
{
  for (; *s; s++)
    if ((unsigned char)*s <= ' ' || *s == 0x7f || strchr(set, *s)) return 1;
  return 0;
}

static void check_parts(const server_url *u)
{
  size_t i, n;
  long port = 0;
  if (!u->scheme || !u->host || !u->port || !u->prefix || !u->host[0]) abort();
  if (strcmp(u->scheme, "https") && strcmp(u->scheme, "http")) abort();
  if (has_any(u->host, u->ipv6 ? "/?#@[]" : "/?#@[]:\\")) abort();
  n = strlen(u->port);
  if (n == 0 || n > 5) abort();
  for (i = 0; i < n; i++) {
    if (u->port[i] < '0' || u->port[i] > '9') abort();
    port = port * 10 + (u->port[i] - '0');
  }
  if (port < 1 || port > 65535) abort();
  n = strlen(u->prefix);
  if (n && (u->prefix[0] != '/' || u->prefix[n - 1] == '/')) abort();
  if (has_any(u->prefix, "?#")) abort();
}

static int same(const server_url *a, const server_url *b)
{
  return strcmp(a->scheme, b->scheme) == 0 && strcmp(a->host, b->host) == 0 &&
         strcmp(a->port, b->port) == 0 && strcmp(a->prefix, b->prefix) == 0 &&
         a->ipv6 == b->ipv6;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
  char *s = kd_strndup((const char *)data, size);
  server_url u, back;
  kd_buf b = {0};
  if (!s) return 0;
  if (kube_url_parse(s, &u) == KD_OK) {
    check_parts(&u);
    /* what setup_url builds its base from */
    if (kd_buf_printf(&b, "%s://%s%s%s:%s%s", u.scheme, u.ipv6 ? "[" : "", u.host,
                      u.ipv6 ? "]" : "", u.port, u.prefix))
      abort();
    if (kube_url_parse(b.data, &back) != KD_OK || !same(&u, &back)) abort();
    kube_url_free(&back);
  }
  kube_url_free(&u);
  kd_buf_free(&b);
  free(s);
  return 0;
}
