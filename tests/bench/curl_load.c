/* tests/bench/curl_load.c: the GETs of `sim_load paths` through libcurl's
 * multi interface, set up the way kdeploy's engine does (kube_easy.c,
 * loop.c): keep-alive connections, a pool of easy handles with the fixed
 * options set once, the request's path and query set on a copy of the
 * parsed base URL that the handle keeps from one request to the next (as
 * the engine's per-client pool of copies does), one shared header list,
 * at most CONNS transfers in flight over at most CONNS connections,
 * curl's socket interface (socket and timer callbacks, one poll(),
 * curl_multi_socket_action). Bodies go into a buffer per handle, reused
 * and discarded: no JSON, no Lua. What it costs per request is what
 * libcurl (and the kernel under it) costs a client, the floor for any
 * libcurl-based one (issue #4's get bench).
 *   curl_load PORT CONNS FILE TOKEN   GETs every path of FILE (one a line)
 *                                     once from http://127.0.0.1:PORT
 * Prints requests, errors (non-200 or curl errors), seconds, rps and
 * cpu_us (process CPU per request), timed from the first transfer added
 * to the last response, as sim_load does. One pass over FILE; only ever
 * connects to 127.0.0.1. Linked with the engine library, the curl calls
 * go through engine/curl_lazy.c as kdeploy's do; it also builds alone
 * against libcurl (pkg-config libcurl). */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STALL_SECONDS 10   /* no response for this long: give up */

typedef struct {
  char *data;
  size_t len, cap;
} body_buf;

typedef struct {
  CURLM *multi;
  CURLU *base;                /* http://127.0.0.1:PORT, parsed once */
  struct curl_slist *hdrs;    /* shared by every request */
  char **paths;
  size_t n, next, done, bad;
  struct pollfd *socks;       /* the sockets curl waits on (loop.c's csock) */
  size_t nsocks, scap;
  double curl_due;            /* curl's timeout; < 0: none */
} run_state;

typedef struct {
  CURL *easy;
  CURLU *url;                 /* its copy of the base, kept for every request */
  body_buf body;
  char errbuf[CURL_ERROR_SIZE];
} slot;

static double clock_s(clockid_t id)
{
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
  fprintf(stderr, "curl_load: %s\n", what);
  exit(2);
}

/* The socket and timer callbacks of engine/loop.c: a dense socket array,
 * each socket's index + 1 kept by curl (curl_multi_assign). */
static int on_socket(CURL *e, curl_socket_t fd, int what, void *ud, void *sockp)
{
  run_state *r = ud;
  size_t i = (size_t)(uintptr_t)sockp;
  (void)e;
  if (what == CURL_POLL_REMOVE) {
    if (i == 0 || i > r->nsocks) return 0;
    r->socks[i - 1] = r->socks[--r->nsocks];
    if (i - 1 < r->nsocks) curl_multi_assign(r->multi, r->socks[i - 1].fd, (void *)(uintptr_t)i);
    return 0;
  }
  if (i == 0) {
    if (r->nsocks == r->scap) {
      r->scap = r->scap ? r->scap * 2 : 16;
      if (!(r->socks = realloc(r->socks, r->scap * sizeof *r->socks))) die("out of memory");
    }
    i = ++r->nsocks;
    r->socks[i - 1].fd = fd;
    curl_multi_assign(r->multi, fd, (void *)(uintptr_t)i);
  }
  r->socks[i - 1].events = (short)(((what & CURL_POLL_IN) ? POLLIN : 0) |
                                   ((what & CURL_POLL_OUT) ? POLLOUT : 0));
  return 0;
}

static int on_timer(CURLM *m, long ms, void *ud)
{
  run_state *r = ud;
  (void)m;
  r->curl_due = ms < 0 ? -1 : clock_s(CLOCK_MONOTONIC) + (double)ms / 1000;
  return 0;
}

/* One round of loop_run: curl's timeout when due, else one poll() of
 * curl's sockets (copied: curl changes them while we hand out events)
 * and curl_multi_socket_action for each ready one. */
static void round_trip(run_state *r, struct pollfd **pfd, size_t *pcap)
{
  double now = clock_s(CLOCK_MONOTONIC);
  size_t i, n = r->nsocks;
  int running, ms;
  if (r->curl_due >= 0 && r->curl_due <= now) {
    r->curl_due = -1;
    if (curl_multi_socket_action(r->multi, CURL_SOCKET_TIMEOUT, 0, &running) != CURLM_OK)
      die("curl_multi_socket_action failed");
    return;
  }
  if (n > *pcap) {
    *pcap = n * 2;
    if (!(*pfd = realloc(*pfd, *pcap * sizeof **pfd))) die("out of memory");
  }
  for (i = 0; i < n; i++) (*pfd)[i] = r->socks[i], (*pfd)[i].revents = 0;
  ms = r->curl_due >= 0 ? (int)((r->curl_due - now) * 1000 + 0.999) : 1000;
  if (ms > 1000) ms = 1000;
  if (poll(*pfd, (nfds_t)n, ms) <= 0) return;
  for (i = 0; i < n; i++) {
    short re = (*pfd)[i].revents;
    int mask = 0;
    if (!re) continue;
    if (re & (POLLIN | POLLHUP)) mask |= CURL_CSELECT_IN;
    if (re & POLLOUT) mask |= CURL_CSELECT_OUT;
    if (re & (POLLERR | POLLNVAL)) mask |= CURL_CSELECT_ERR;
    if (curl_multi_socket_action(r->multi, (*pfd)[i].fd, mask, &running) != CURLM_OK)
      die("curl_multi_socket_action failed");
  }
}

/* Appends to the slot's buffer (grown as needed, never shrunk). */
static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
  body_buf *b = ud;
  size_t len = size * n;
  if (b->len + len > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    char *d;
    while (cap < b->len + len) cap *= 2;
    if (!(d = realloc(b->data, cap))) return 0;   /* curl fails the transfer */
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, len);
  b->len += len;
  return len;
}

/* The options every request shares, set once per handle (as fixed_options
 * in kube_easy.c does for a plain-http server without proxy or auth). */
static CURL *new_easy(slot *s)
{
  CURL *e = curl_easy_init();
  if (!e) die("curl_easy_init failed");
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "kdeploy/0.1");
  curl_easy_setopt(e, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "gzip");
  curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)s);
  return e;
}

/* Hands the next path to S's handle (the per-request setopts of
 * kube_easy_request for a GET) and adds it to the multi handle. */
static void start(run_state *r, slot *s)
{
  const char *path = r->paths[r->next++];
  const char *q = strchr(path, '?');
  char *p = q ? strndup(path, (size_t)(q - path)) : strdup(path);
  if (!s->url) s->url = curl_url_dup(r->base);
  if (!p || !s->url ||
      curl_url_set(s->url, CURLUPART_PATH, p, 0) != CURLUE_OK ||
      curl_url_set(s->url, CURLUPART_QUERY, q ? q + 1 : NULL, 0) != CURLUE_OK)
    die("cannot set the URL");
  free(p);
  s->body.len = 0;
  curl_easy_setopt(s->easy, CURLOPT_CURLU, s->url);
  curl_easy_setopt(s->easy, CURLOPT_ERRORBUFFER, s->errbuf);
  curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, &s->body);
  curl_easy_setopt(s->easy, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, r->hdrs);
  if (curl_multi_add_handle(r->multi, s->easy) != CURLM_OK) die("cannot add a transfer");
}

/* Counts every finished transfer and starts the next path on its handle. */
static void reap(run_state *r)
{
  CURLMsg *m;
  int left;
  while ((m = curl_multi_info_read(r->multi, &left))) {
    CURL *e = m->easy_handle;
    long code = 0;
    slot *s = NULL;
    if (m->msg != CURLMSG_DONE) continue;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
    if (m->data.result != CURLE_OK || code != 200) r->bad++;
    r->done++;
    curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&s);
    curl_multi_remove_handle(r->multi, e);
    if (r->next < r->n) start(r, s);
  }
}

static void read_paths(run_state *r, const char *file)
{
  FILE *f = fopen(file, "r");
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  if (!f) { perror(file); exit(2); }
  while ((len = getline(&line, &cap, f)) >= 0) {
    line[strcspn(line, "\r\n")] = 0;
    if (!line[0]) continue;
    if (!(r->paths = realloc(r->paths, (r->n + 1) * sizeof *r->paths)) ||
        !(r->paths[r->n++] = strdup(line)))
      die("out of memory");
  }
  free(line);
  fclose(f);
}

/* The shared header list of kube_easy.c's hdrs_build for a GET. */
static struct curl_slist *headers(const char *token)
{
  struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json");
  size_t n = strlen(token) + sizeof "Authorization: Bearer ";
  char *auth = malloc(n);
  if (!h || !auth) die("out of memory");
  snprintf(auth, n, "Authorization: Bearer %s", token);
  if (!(h = curl_slist_append(h, "Expect:")) || !(h = curl_slist_append(h, auth)))
    die("out of memory");
  free(auth);
  return h;
}

int main(int argc, char **argv)
{
  run_state r = {0};
  struct pollfd *pfd = NULL;
  size_t pcap = 0;
  slot *slots;
  char base[64];
  int conns, i, port;
  double t0, c0, t, last;
  size_t j, seen;
  if (argc != 5 || (port = atoi(argv[1])) <= 0 || port > 65535 ||
      (conns = atoi(argv[2])) <= 0) {
    fprintf(stderr, "usage: curl_load PORT CONNS FILE TOKEN\n");
    return 2;
  }
  read_paths(&r, argv[3]);
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
      !(r.multi = curl_multi_init()) || !(r.base = curl_url()))
    die("cannot initialise libcurl");
  snprintf(base, sizeof base, "http://127.0.0.1:%d/", port);
  if (curl_url_set(r.base, CURLUPART_URL, base, 0) != CURLUE_OK) die("bad base URL");
  r.hdrs = headers(argv[4]);
  /* loop_new + loop_set_max_host_connections */
  r.curl_due = -1;
  curl_multi_setopt(r.multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(r.multi, CURLMOPT_SOCKETDATA, &r);
  curl_multi_setopt(r.multi, CURLMOPT_TIMERFUNCTION, on_timer);
  curl_multi_setopt(r.multi, CURLMOPT_TIMERDATA, &r);
  curl_multi_setopt(r.multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
  curl_multi_setopt(r.multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)conns);
  curl_multi_setopt(r.multi, CURLMOPT_MAXCONNECTS, (long)conns * 2);
  if (!(slots = calloc((size_t)conns, sizeof *slots))) die("out of memory");
  for (i = 0; i < conns; i++) slots[i].easy = new_easy(&slots[i]);

  t0 = last = clock_s(CLOCK_MONOTONIC);
  c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
  for (i = 0; i < conns && r.next < r.n; i++) start(&r, &slots[i]);
  seen = 0;
  while (r.done < r.n) {   /* loop_run: curl's timeout or poll, dispatch */
    round_trip(&r, &pfd, &pcap);
    reap(&r);
    if (r.done >= r.n) break;
    t = clock_s(CLOCK_MONOTONIC);
    if (r.done != seen) seen = r.done, last = t;
    else if (t - last > STALL_SECONDS) die("no answer");
  }
  t = clock_s(CLOCK_MONOTONIC) - t0;
  c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
  printf("requests %zu\nerrors %zu\nseconds %.4f\nrps %.0f\ncpu_us %.1f\n", r.done,
         r.bad, t, r.n ? (double)r.done / t : 0.0, r.n ? c0 / (double)r.n * 1e6 : 0.0);

  for (i = 0; i < conns; i++) {
    curl_easy_cleanup(slots[i].easy);
    curl_url_cleanup(slots[i].url);
    free(slots[i].body.data);
  }
  free(slots);
  curl_multi_cleanup(r.multi);
  free(r.socks);
  free(pfd);
  curl_url_cleanup(r.base);
  curl_slist_free_all(r.hdrs);
  for (j = 0; j < r.n; j++) free(r.paths[j]);
  free(r.paths);
  curl_global_cleanup();
  return 0;
}
