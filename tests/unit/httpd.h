/* tests/unit/httpd.h: a scripted HTTP/1.1 server for client tests, on a
 * thread: every request (headers and body read) goes to the test's
 * handler, which writes whatever raw response the case needs (errors,
 * chunked streams, a connection dropped halfway) and says whether to keep
 * the connection. Header-only; one server per test. */
#ifndef KD_TEST_HTTPD_H
#define KD_TEST_HTTPD_H

#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct httpd httpd;
/* Returns 1 to keep the connection for the next request, 0 to close it. */
typedef int (*httpd_fn)(httpd *h, int fd, const char *req, int n);

struct httpd {
  int lfd, port;
  volatile int stop;
  httpd_fn fn;
  void *ctx;
  pthread_t th;
  pthread_mutex_t mu;
  int nreq, nconn;             /* requests and connections accepted */
  char reqs[64][512];        /* request lines + headers, first 511 bytes */
};

static void httpd_send(int fd, const char *s)
{
  size_t n = strlen(s), off = 0;
  while (off < n) {
    ssize_t w = send(fd, s + off, n - off, MSG_NOSIGNAL);
    if (w <= 0) return;
    off += (size_t)w;
  }
}

/* Sends one chunk of a chunked body. */
static void httpd_chunk(int fd, const char *s)
{
  char head[32];
  snprintf(head, sizeof head, "%zx\r\n", strlen(s));
  httpd_send(fd, head);
  httpd_send(fd, s);
  httpd_send(fd, "\r\n");
}

/* A complete response with a JSON body. */
static void httpd_reply(int fd, int status, const char *extra_headers, const char *body)
{
  char head[512];
  snprintf(head, sizeof head, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
           "Content-Length: %zu\r\n%s\r\n", status, strlen(body),
           extra_headers ? extra_headers : "");
  httpd_send(fd, head);
  httpd_send(fd, body);
}

/* Reads one request (headers + Content-Length body) into BUF; returns its
 * length, 0 on a closed connection or when stopping. */
static int httpd_read(httpd *h, int fd, char *buf, int cap)
{
  int n = 0;
  while (n < cap - 1) {
    struct pollfd p = {fd, POLLIN, 0};
    char *end;
    ssize_t r;
    if (h->stop) return 0;
    if (poll(&p, 1, 50) <= 0) continue;
    r = recv(fd, buf + n, (size_t)(cap - 1 - n), 0);
    if (r <= 0) return 0;
    n += (int)r;
    buf[n] = 0;
    if ((end = strstr(buf, "\r\n\r\n"))) {
      const char *cl = strstr(buf, "Content-Length: ");
      int body = cl ? atoi(cl + 16) : 0;
      if (n >= (int)(end - buf) + 4 + body) return n;
    }
  }
  return n;
}

static void *httpd_main(void *arg)
{
  httpd *h = arg;
  char *buf = malloc(1 << 20);
  while (!h->stop) {
    struct pollfd p = {h->lfd, POLLIN, 0};
    int fd, n;
    if (poll(&p, 1, 50) <= 0) continue;
    if ((fd = accept(h->lfd, NULL, NULL)) < 0) continue;
    pthread_mutex_lock(&h->mu);
    h->nconn++;
    pthread_mutex_unlock(&h->mu);
    while ((n = httpd_read(h, fd, buf, 1 << 20)) > 0) {
      int keep;
      pthread_mutex_lock(&h->mu);
      if (h->nreq < 64) snprintf(h->reqs[h->nreq], 512, "%s", buf);
      h->nreq++;
      pthread_mutex_unlock(&h->mu);
      keep = h->fn(h, fd, buf, n);
      if (!keep) break;
    }
    close(fd);
  }
  free(buf);
  return NULL;
}

static int httpd_start(httpd *h, httpd_fn fn, void *ctx)
{
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  int one = 1;
  memset(h, 0, sizeof *h);
  h->fn = fn;
  h->ctx = ctx;
  pthread_mutex_init(&h->mu, NULL);
  h->lfd = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(h->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(h->lfd, (struct sockaddr *)&a, sizeof a) || listen(h->lfd, 16) ||
      getsockname(h->lfd, (struct sockaddr *)&a, &len))
    return -1;
  h->port = ntohs(a.sin_port);
  return pthread_create(&h->th, NULL, httpd_main, h);
}

static void httpd_stop(httpd *h)
{
  h->stop = 1;
  pthread_join(h->th, NULL);
  close(h->lfd);
  pthread_mutex_destroy(&h->mu);
}

/* The request line of request I ("GET /path HTTP/1.1"), or "". */
static const char *httpd_request(httpd *h, int i, char *out, size_t cap)
{
  const char *eol;
  pthread_mutex_lock(&h->mu);
  out[0] = 0;
  if (i < h->nreq && i < 64) {
    eol = strstr(h->reqs[i], "\r\n");
    snprintf(out, cap, "%.*s", eol ? (int)(eol - h->reqs[i]) : 0, h->reqs[i]);
  }
  pthread_mutex_unlock(&h->mu);
  return out;
}

#endif
