/* tests/bench/sim_load.c: load generator for the kdeploy sim benchmark.
 *   sim_load rps PORT CONNS SECONDS get|post   requests/s over keep-alive
 *   sim_load watch PORT WATCHERS OBJECTS        fan-out check: every watcher
 *                                               must see every ADDED event
 *   sim_load create PORT COUNT                  COUNT configmaps, 8 conns
 *   sim_load ceiling CONNS SECONDS              the same client against a
 *                                               trivial in-process responder
 *                                               (the loopback reference)
 *   sim_load paths PORT CONNS FILE TOKEN        GETs every path of FILE (one
 *                                               a line) once over CONNS
 *                                               keep-alive connections, with
 *                                               the headers kdeploy sends;
 *                                               timed from the first connect
 *                                               to the last response, and
 *                                               its own CPU per request
 * Prints one "key value" line per figure. Bounded in time and count; only
 * ever connects to 127.0.0.1. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double clock_s(clockid_t id)
{
  struct timespec ts;
  clock_gettime(id, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now(void) { return clock_s(CLOCK_MONOTONIC); }

/* This process's CPU time, user and system: what a request costs the
 * client itself. */
static double cpu_now(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

static int dial(int port)
{
  struct sockaddr_in a;
  int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
    perror("connect");
    exit(2);
  }
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

typedef struct conn {
  int fd;
  char buf[1 << 16];
  size_t len;
  int waiting;
} conn;

/* Complete responses at the start of C->buf: consumes one, returns 1. */
static int take_response(conn *c, int *status)
{
  char *end = memmem(c->buf, c->len, "\r\n\r\n", 4), *cl;
  size_t head, body = 0;
  if (!end) return 0;
  head = (size_t)(end - c->buf) + 4;
  cl = memmem(c->buf, head, "Content-Length: ", 16);
  if (cl) body = strtoul(cl + 16, NULL, 10);
  if (c->len < head + body) return 0;
  *status = atoi(c->buf + 9);
  memmove(c->buf, c->buf + head + body, c->len - head - body);
  c->len -= head + body;
  return 1;
}

static void send_all(int fd, const char *p, size_t n)
{
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) { perror("send"); exit(2); }
    p += w;
    n -= (size_t)w;
  }
}

static long seq;

static void send_req(conn *c, const char *mode)
{
  char req[1024], body[256];
  int n;
  if (strcmp(mode, "post") == 0) {
    int bl = snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"b%ld\"},"
                      "\"data\":{\"k\":\"v\"}}", seq++);
    n = snprintf(req, sizeof req, "POST /api/v1/namespaces/default/configmaps "
                 "HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 "Content-Length: %d\r\n\r\n%s", bl, body);
  } else {
    n = snprintf(req, sizeof req, "GET /api/v1/namespaces/default "
                 "HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n");
  }
  send_all(c->fd, req, (size_t)n);
  c->waiting = 1;
}

/* One poll of the CONNS connections: reads what arrived and calls
 * ANSWERED(c, status, ud) for each complete response. Returns poll's
 * result (0 when nothing came within TIMEOUT_MS). */
static int pump(conn *cs, struct pollfd *p, int conns, int timeout_ms,
                void (*answered)(conn *c, int status, void *ud), void *ud)
{
  int i, ready;
  for (i = 0; i < conns; i++) { p[i].fd = cs[i].fd; p[i].events = POLLIN; }
  if ((ready = poll(p, (nfds_t)conns, timeout_ms)) <= 0) return ready;
  for (i = 0; i < conns; i++) {
    ssize_t r;
    int st;
    if (!(p[i].revents & POLLIN)) continue;
    r = recv(cs[i].fd, cs[i].buf + cs[i].len, sizeof cs[i].buf - cs[i].len, 0);
    if (r <= 0) { fprintf(stderr, "connection closed\n"); exit(2); }
    cs[i].len += (size_t)r;
    while (take_response(&cs[i], &st)) answered(&cs[i], st, ud);
  }
  return ready;
}

typedef struct { const char *mode; long done, bad; } rps_run;

static void rps_answered(conn *c, int status, void *ud)
{
  rps_run *run = ud;
  run->done++;
  if (status >= 300) run->bad++;
  send_req(c, run->mode);
}

/* Runs CONNS keep-alive connections for SECONDS; prints requests/s. */
static void rps(int port, int conns, double secs, const char *mode)
{
  conn *cs = calloc((size_t)conns, sizeof *cs);
  struct pollfd *p = calloc((size_t)conns, sizeof *p);
  rps_run run = {mode, 0, 0};
  double t0 = now(), t;
  int i;
  for (i = 0; i < conns; i++) {
    cs[i].fd = dial(port);
    send_req(&cs[i], mode);
  }
  while ((t = now()) - t0 < secs) pump(cs, p, conns, 1000, rps_answered, &run);
  printf("requests %ld\nerrors %ld\nseconds %.2f\nrps %.0f\n", run.done, run.bad,
         t - t0, run.done / (t - t0));
  for (i = 0; i < conns; i++) close(cs[i].fd);
  free(cs);
  free(p);
}

/* ---- the same GETs as a kdeploy run ------------------------------------ */

static void send_get(conn *c, int port, const char *path, const char *token)
{
  char req[2048];
  int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                   "User-Agent: kdeploy/0.1\r\nAccept-Encoding: gzip\r\n"
                   "Accept: application/json\r\nAuthorization: Bearer %s\r\n\r\n",
                   path, port, token);
  if (n <= 0 || n >= (int)sizeof req) { fprintf(stderr, "path too long\n"); exit(2); }
  send_all(c->fd, req, (size_t)n);
  c->waiting = 1;
}

typedef struct {
  int port;
  const char *token;
  char **list;
  size_t n, next, done, bad;
} paths_run;

static void paths_answered(conn *c, int status, void *ud)
{
  paths_run *run = ud;
  run->done++;
  if (status != 200) run->bad++;
  c->waiting = 0;
  if (run->next < run->n) send_get(c, run->port, run->list[run->next++], run->token);
}

static void paths(int port, int conns, const char *file, const char *token)
{
  FILE *f = fopen(file, "r");
  char line[1024];
  paths_run run = {port, token, NULL, 0, 0, 0, 0};
  conn *cs = calloc((size_t)conns, sizeof *cs);
  struct pollfd *p = calloc((size_t)conns, sizeof *p);
  double t0, c0;
  size_t j;
  int i;
  if (!f) { perror(file); exit(2); }
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = 0;
    if (!line[0]) continue;
    run.list = realloc(run.list, (run.n + 1) * sizeof *run.list);
    run.list[run.n++] = strdup(line);
  }
  fclose(f);
  t0 = now();
  c0 = cpu_now();
  for (i = 0; i < conns && run.next < run.n; i++) {
    cs[i].fd = dial(port);
    send_get(&cs[i], port, run.list[run.next++], token);
  }
  conns = i;
  while (run.done < run.n)
    if (pump(cs, p, conns, 5000, paths_answered, &run) <= 0) {
      fprintf(stderr, "no answer\n");
      exit(2);
    }
  t0 = now() - t0;
  c0 = cpu_now() - c0;
  printf("requests %zu\nerrors %zu\nseconds %.4f\nrps %.0f\ncpu_us %.1f\n", run.done,
         run.bad, t0, (double)run.done / t0, c0 / (double)run.done * 1e6);
  for (i = 0; i < conns; i++) close(cs[i].fd);
  for (j = 0; j < run.n; j++) free(run.list[j]);
  free(run.list);
  free(cs);
  free(p);
}

/* ---- the loopback reference: a responder that only answers ------------- */

static int ref_port;

static void *responder(void *arg)
{
  int lfd = *(int *)arg, fds[512], n = 0, i;
  static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json"
                             "\r\nContent-Length: 2\r\n\r\n{}";
  char buf[65536];
  for (;;) {
    struct pollfd p[513];
    p[0].fd = lfd;
    p[0].events = POLLIN;
    for (i = 0; i < n; i++) { p[i + 1].fd = fds[i]; p[i + 1].events = POLLIN; }
    if (poll(p, (nfds_t)n + 1, 1000) <= 0) continue;
    if ((p[0].revents & POLLIN) && n < 512) fds[n++] = accept(lfd, NULL, NULL);
    for (i = 0; i < n; i++) {
      ssize_t r;
      char *q;
      if (!(p[i + 1].revents & POLLIN)) continue;
      r = recv(fds[i], buf, sizeof buf, 0);
      if (r <= 0) { close(fds[i]); fds[i] = fds[--n]; continue; }
      for (q = buf; (q = memmem(q, (size_t)(buf + r - q), "\r\n\r\n", 4)); q += 4)
        send_all(fds[i], resp, sizeof resp - 1);
    }
  }
  return NULL;
}

static void ceiling(int conns, double secs)
{
  struct sockaddr_in a;
  socklen_t alen = sizeof a;
  pthread_t th;
  static int lfd;
  lfd = socket(AF_INET, SOCK_STREAM, 0);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 512)) exit(2);
  getsockname(lfd, (struct sockaddr *)&a, &alen);
  ref_port = ntohs(a.sin_port);
  pthread_create(&th, NULL, responder, &lfd);
  rps(ref_port, conns, secs, "get");
}

/* ---- watches -------------------------------------------------------------*/

static void create(int port, long count, const char *prefix)
{
  conn *cs = calloc(8, sizeof *cs);
  long sent = 0, done = 0;
  int i;
  for (i = 0; i < 8; i++) cs[i].fd = dial(port);
  while (done < count) {
    for (i = 0; i < 8; i++) {
      int st;
      if (!cs[i].waiting && sent < count) {
        char req[512], body[256];
        int bl = snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"%s%ld\","
                          "\"labels\":{\"bench\":\"yes\"}},\"data\":{\"key\":"
                          "\"value-%ld\"}}", prefix, sent, sent);
        int n = snprintf(req, sizeof req, "POST /api/v1/namespaces/default/"
                         "configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: "
                         "application/json\r\nContent-Length: %d\r\n\r\n%s",
                         bl, body);
        send_all(cs[i].fd, req, (size_t)n);
        cs[i].waiting = 1;
        sent++;
      }
      if (cs[i].waiting) {
        while (!take_response(&cs[i], &st)) {
          ssize_t r = recv(cs[i].fd, cs[i].buf + cs[i].len,
                           sizeof cs[i].buf - cs[i].len, 0);
          if (r <= 0) exit(2);
          cs[i].len += (size_t)r;
        }
        if (st != 201) { fprintf(stderr, "create: status %d\n", st); exit(2); }
        cs[i].waiting = 0;
        done++;
      }
    }
  }
  for (i = 0; i < 8; i++) close(cs[i].fd);
  free(cs);
}

static void watch(int port, int watchers, long objects)
{
  int *fds = calloc((size_t)watchers, sizeof *fds), i;
  long *seen = calloc((size_t)watchers, sizeof *seen);
  char *tail = calloc((size_t)watchers, 16);
  struct pollfd *p = calloc((size_t)watchers, sizeof *p);
  double t0, t1 = 0;
  long total = 0;
  char buf[1 << 16];
  for (i = 0; i < watchers; i++) {
    char req[256];
    int n = snprintf(req, sizeof req, "GET /api/v1/namespaces/default/"
                     "configmaps?watch=1&labelSelector=bench%%3Dyes&"
                     "resourceVersion=999999999 HTTP/1.1\r\nHost: x\r\n\r\n");
    fds[i] = dial(port);
    send_all(fds[i], req, (size_t)n);
  }
  usleep(200000);
  t0 = now();
  create(port, objects, "w");
  /* count "ADDED" in each stream until all arrive or 30 s pass */
  while (total < (long)watchers * objects && now() - t0 < 30) {
    for (i = 0; i < watchers; i++) { p[i].fd = fds[i]; p[i].events = POLLIN; }
    if (poll(p, (nfds_t)watchers, 1000) <= 0) continue;
    for (i = 0; i < watchers; i++) {
      ssize_t r;
      char *q, *scan;
      size_t keep;
      if (!(p[i].revents & POLLIN)) continue;
      /* keep 6 bytes of the last read: a 7-byte match may span two reads
       * but can never lie wholly inside what is kept */
      keep = 6;
      r = recv(fds[i], buf + keep, sizeof buf - keep - 1, 0);
      if (r <= 0) { fprintf(stderr, "watch %d closed\n", i); exit(2); }
      memcpy(buf, tail + 16 * i, keep);
      scan = buf;
      for (q = scan; (q = memmem(q, (size_t)(buf + keep + r - q), "\"ADDED\"", 7));
           q += 7) {
        seen[i]++;
        total++;
      }
      memcpy(tail + 16 * i, buf + r, keep);
    }
    if (total == (long)watchers * objects) t1 = now();
  }
  {
    long min = objects;
    for (i = 0; i < watchers; i++) if (seen[i] < min) min = seen[i];
    printf("watchers %d\nobjects %ld\nevents_delivered %ld\nevents_expected "
           "%ld\nmin_per_watcher %ld\nseconds %.2f\n", watchers, objects,
           total, (long)watchers * objects, min, (t1 ? t1 : now()) - t0);
  }
  for (i = 0; i < watchers; i++) close(fds[i]);
}

int main(int argc, char **argv)
{
  if (argc >= 6 && strcmp(argv[1], "rps") == 0)
    rps(atoi(argv[2]), atoi(argv[3]), atof(argv[4]), argv[5]);
  else if (argc >= 5 && strcmp(argv[1], "watch") == 0)
    watch(atoi(argv[2]), atoi(argv[3]), atol(argv[4]));
  else if (argc >= 4 && strcmp(argv[1], "create") == 0)
    create(atoi(argv[2]), atol(argv[3]), "m");
  else if (argc >= 6 && strcmp(argv[1], "paths") == 0)
    paths(atoi(argv[2]), atoi(argv[3]), argv[4], argv[5]);
  else if (argc >= 4 && strcmp(argv[1], "ceiling") == 0)
    ceiling(atoi(argv[2]), atof(argv[3]));
  else {
    fprintf(stderr, "usage: see the comment at the top of sim_load.c\n");
    return 2;
  }
  return 0;
}
