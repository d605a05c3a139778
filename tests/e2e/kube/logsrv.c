/* tests/e2e/kube/logsrv.c: a scripted API server for the pod log tests
 * (kdeploy sim has no simulated kubelet writing logs yet). Serves legacy
 * discovery for v1 pods, pods that run until their log is complete, and
 * log streams that break in the middle:
 *   flaky    3 lines, the connection drops; resumed: the server repeats from
 *            sinceTime (lines already seen) and adds 2, then ends
 *   short    2 lines and a clean end (the container has exited)
 *   slowN    (N = 1..20) 3 lines 20 ms apart, then ends: many at once
 *   missing  404 (the pod is gone); waiting: 400 (container not started)
 * Prints its port on stdout, serves until killed. One thread per
 * connection, 127.0.0.1 only. Built by tests/e2e/kube_test.sh. */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int flaky_streams, flaky_done;
static char flaky_since[128];

static void sendall(int fd, const char *s, size_t n)
{
  while (n > 0) {
    ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
    if (w <= 0) return;
    s += w;
    n -= (size_t)w;
  }
}

static void sends(int fd, const char *s) { sendall(fd, s, strlen(s)); }

static void reply(int fd, int status, const char *body)
{
  char head[256];
  snprintf(head, sizeof head, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
           "Content-Length: %zu\r\n\r\n", status, strlen(body));
  sends(fd, head);
  sends(fd, body);
}

static void chunk(int fd, const char *s)
{
  char head[32];
  snprintf(head, sizeof head, "%zx\r\n", strlen(s));
  sends(fd, head);
  sends(fd, s);
  sends(fd, "\r\n");
}

static void pod(int fd, const char *name, int terminated)
{
  char body[1024];
  snprintf(body, sizeof body, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
           "{\"name\":\"%s\",\"namespace\":\"default\"},\"status\":{\"phase\":\"%s\","
           "\"containerStatuses\":[{\"name\":\"app\",\"state\":%s}]}}", name,
           terminated ? "Succeeded" : "Running",
           terminated ? "{\"terminated\":{\"exitCode\":0}}" : "{\"running\":{}}");
  reply(fd, 200, body);
}

static void logs(int fd, const char *name, const char *req)
{
  const char *since = strstr(req, "sinceTime=");
  if (strcmp(name, "missing") == 0) {
    reply(fd, 404, "{\"kind\":\"Status\",\"code\":404,\"reason\":\"NotFound\","
          "\"message\":\"pods \\\"missing\\\" not found\"}");
    return;
  }
  if (strcmp(name, "waiting") == 0) {
    reply(fd, 400, "{\"kind\":\"Status\",\"code\":400,\"reason\":\"BadRequest\","
          "\"message\":\"container \\\"app\\\" in pod \\\"waiting\\\" is waiting to start: "
          "ContainerCreating\"}");
    return;
  }
  sends(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n");
  if (strcmp(name, "flaky") == 0) {
    pthread_mutex_lock(&mu);
    flaky_streams++;
    if (since) sscanf(since + 10, "%127[^& ]", flaky_since);
    pthread_mutex_unlock(&mu);
    if (!since) {
      chunk(fd, "2025-01-01T00:00:01.000000001Z one\n2025-01-01T00:00:02.5Z two\n");
      chunk(fd, "2025-01-01T00:00:02.5Z two bis\n2025-01-01T00:00:03Z thr");
      return;                          /* dropped mid-line */
    }
    chunk(fd, "2025-01-01T00:00:02.5Z two\n2025-01-01T00:00:02.5Z two bis\n"
              "2025-01-01T00:00:03Z three\n2025-01-01T00:00:04Z four\n");
    chunk(fd, "2025-01-01T00:00:05Z five\n");
    pthread_mutex_lock(&mu);
    flaky_done = 1;
    pthread_mutex_unlock(&mu);
  } else if (strcmp(name, "short") == 0) {
    chunk(fd, "2025-01-01T00:00:01Z first\n2025-01-01T00:00:02Z last\n");
  } else {
    for (int i = 1; i <= 3; i++) {
      char line[128];
      snprintf(line, sizeof line, "2025-01-01T00:00:0%dZ %s line %d\n", i, name, i);
      chunk(fd, line);
      usleep(20000);
    }
  }
  sends(fd, "0\r\n\r\n");
}

static void serve(int fd, const char *req)
{
  char path[512] = "", name[64] = "";
  sscanf(req, "GET %511s", path);
  if (strncmp(path, "/api?", 5) == 0 || strcmp(path, "/api") == 0) {
    reply(fd, 200, "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"]}");
  } else if (strncmp(path, "/apis", 5) == 0) {
    reply(fd, 200, "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[]}");
  } else if (strcmp(path, "/api/v1") == 0) {
    reply(fd, 200, "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":["
          "{\"name\":\"pods\",\"namespaced\":true,\"kind\":\"Pod\",\"verbs\":[\"get\"]},"
          "{\"name\":\"pods/log\",\"namespaced\":true,\"kind\":\"Pod\",\"verbs\":[\"get\"]}]}");
  } else if (strcmp(path, "/stats") == 0) {
    char body[256];
    pthread_mutex_lock(&mu);
    snprintf(body, sizeof body, "{\"flaky_streams\":%d,\"flaky_since\":\"%s\"}",
             flaky_streams, flaky_since);
    pthread_mutex_unlock(&mu);
    reply(fd, 200, body);
  } else if (sscanf(path, "/api/v1/namespaces/default/pods/%63[^/?]", name) == 1) {
    if (strstr(path, "/log")) {
      logs(fd, name, req);
    } else {
      int term;
      pthread_mutex_lock(&mu);
      term = strcmp(name, "flaky") ? 1 : flaky_done;
      pthread_mutex_unlock(&mu);
      pod(fd, name, term);
    }
  } else {
    reply(fd, 404, "{\"kind\":\"Status\",\"code\":404,\"reason\":\"NotFound\",\"message\":\"not here\"}");
  }
}

static void *conn_main(void *arg)
{
  int fd = (int)(intptr_t)arg;
  char buf[8192];
  size_t n = 0;
  for (;;) {
    ssize_t r = recv(fd, buf + n, sizeof buf - 1 - n, 0);
    char *end;
    if (r <= 0) break;
    n += (size_t)r;
    buf[n] = 0;
    while ((end = strstr(buf, "\r\n\r\n"))) {     /* GETs only: no bodies */
      size_t used = (size_t)(end - buf) + 4;
      int drop;
      serve(fd, buf);
      drop = strstr(buf, "/pods/flaky/log") && !strstr(buf, "sinceTime=");
      memmove(buf, buf + used, n - used + 1);
      n -= used;
      if (drop) goto out;
    }
    if (n >= sizeof buf - 1) break;
  }
out:
  close(fd);
  return NULL;
}

int main(void)
{
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 64) ||
      getsockname(lfd, (struct sockaddr *)&a, &len))
    return 1;
  printf("%d\n", ntohs(a.sin_port));
  fflush(stdout);
  for (;;) {
    pthread_t th;
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) continue;
    pthread_create(&th, NULL, conn_main, (void *)(intptr_t)fd);
    pthread_detach(th);
  }
}
