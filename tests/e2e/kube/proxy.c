/* tests/e2e/kube/proxy.c: a tiny HTTP CONNECT proxy for the proxy-url and
 * log-reconnect tests. Each client connection sends `CONNECT host:port`;
 * the proxy connects there, answers 200 and relays bytes both ways. Every
 * tunnel is logged on stderr as one line `CONNECT host:port` (the tests
 * count them). Any other method gets 405 (kube API servers are https, and
 * clients tunnel https through CONNECT).
 *   proxy [--drop-after MS]
 * --drop-after closes every tunnel MS milliseconds after it opened, from
 * the server side, and logs `DROP host:port`: dropped connections without
 * restarting the API server. Prints its port on stdout, serves until
 * killed. One thread per connection, 127.0.0.1 only. Built by
 * tests/e2e/kube_test.sh. */
#define _GNU_SOURCE
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long drop_after_ms;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

static void logline(const char *what, const char *target)
{
  pthread_mutex_lock(&log_mu);
  fprintf(stderr, "%s %s\n", what, target);
  fflush(stderr);
  pthread_mutex_unlock(&log_mu);
}

static int sendall(int fd, const char *s, size_t n)
{
  while (n > 0) {
    ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
    if (w <= 0) return -1;
    s += w;
    n -= (size_t)w;
  }
  return 0;
}

static long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Connects to "host:port" (target is modified). -1 on failure. */
static int dial(char *target)
{
  struct addrinfo hints = {0}, *res = NULL;
  char *colon = strrchr(target, ':');
  int fd = -1;
  if (!colon) return -1;
  *colon = 0;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(target, colon + 1, &hints, &res) == 0) {
    fd = socket(res->ai_family, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
      close(fd);
      fd = -1;
    }
    freeaddrinfo(res);
  }
  *colon = ':';
  return fd;
}

/* Relays both ways until one side closes or the drop deadline passes.
 * Returns 1 when the tunnel was dropped on purpose. */
static int relay(int a, int b)
{
  char buf[16384];
  long deadline = drop_after_ms > 0 ? now_ms() + drop_after_ms : 0;
  for (;;) {
    struct pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    int timeout = -1, i, r;
    if (deadline) {
      long left = deadline - now_ms();
      if (left <= 0) return 1;
      timeout = (int)left;
    }
    r = poll(p, 2, timeout);
    if (r < 0) return 0;
    for (i = 0; i < 2; i++) {
      ssize_t n;
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      n = recv(p[i].fd, buf, sizeof buf, 0);
      if (n <= 0 || sendall(p[1 - i].fd, buf, (size_t)n) != 0) return 0;
    }
  }
}

static void *serve(void *arg)
{
  int fd = (int)(long)arg, up = -1;
  char head[8192], target[1024];
  size_t len = 0;
  char *end = NULL;
  while (len < sizeof head - 1 && !end) {
    ssize_t n = recv(fd, head + len, sizeof head - 1 - len, 0);
    if (n <= 0) goto done;
    len += (size_t)n;
    head[len] = 0;
    end = strstr(head, "\r\n\r\n");
  }
  if (!end || sscanf(head, "CONNECT %1023s HTTP/1.", target) != 1) {
    const char *m = "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n"
                    "Connection: close\r\n\r\n";
    logline("REFUSED", "non-CONNECT request");
    sendall(fd, m, strlen(m));
    goto done;
  }
  if ((up = dial(target)) < 0) {
    const char *m = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n";
    logline("BADGATEWAY", target);
    sendall(fd, m, strlen(m));
    goto done;
  }
  logline("CONNECT", target);
  if (sendall(fd, "HTTP/1.1 200 Connection established\r\n\r\n", 39) != 0) goto done;
  /* bytes the client sent after the head (a TLS hello) go on upstream */
  end += 4;
  if (end < head + len && sendall(up, end, (size_t)(head + len - end)) != 0) goto done;
  if (relay(fd, up)) logline("DROP", target);
done:
  if (up >= 0) close(up);
  close(fd);
  return NULL;
}

int main(int argc, char **argv)
{
  struct sockaddr_in a = {0};
  socklen_t alen = sizeof a;
  int ls;
  if (argc == 3 && strcmp(argv[1], "--drop-after") == 0) drop_after_ms = atol(argv[2]);
  else if (argc != 1) {
    fprintf(stderr, "usage: proxy [--drop-after MS]\n");
    return 2;
  }
  ls = socket(AF_INET, SOCK_STREAM, 0);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 64) != 0 ||
      getsockname(ls, (struct sockaddr *)&a, &alen) != 0) {
    perror("proxy");
    return 1;
  }
  printf("%d\n", ntohs(a.sin_port));
  fflush(stdout);
  for (;;) {
    pthread_t t;
    int fd = accept(ls, NULL, NULL);
    if (fd < 0) continue;
    if (pthread_create(&t, NULL, serve, (void *)(long)fd) != 0) close(fd);
    else pthread_detach(t);
  }
}
