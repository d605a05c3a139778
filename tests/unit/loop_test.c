/* tests/unit/loop_test.c: engine/loop: ready queue, timers, transfers
 * (file:// URLs, and HTTP to a small server run by the loop's own fd
 * watches), fd watches, signals. */
#define _GNU_SOURCE   /* accept4 */
#include "loop.h"
#include "test.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

static void test_ready_queue_is_fifo(void)
{
  kd_error err = {0};
  loop *l = loop_new(&err);
  loop_id out[300];
  size_t i, n;
  CHECK(l != NULL);
  for (i = 1; i <= 200; i++) CHECK(loop_ready(l, i) == KD_OK);
  n = loop_take_ready(l, out, 50);
  CHECK(n == 50 && out[0] == 1 && out[49] == 50);
  for (i = 201; i <= 250; i++) CHECK(loop_ready(l, i) == KD_OK);
  n = loop_take_ready(l, out, 300);
  CHECK(n == 200 && out[0] == 51 && out[199] == 250);
  CHECK(loop_ready_count(l) == 0);
  loop_free(l);
}

static int fired[8], nfired;
static void record(void *ctx) { fired[nfired++] = (int)(intptr_t)ctx; }

static void test_timers_fire_in_order_and_cancel(void)
{
  kd_error err = {0};
  loop *l = loop_new(&err);
  loop_id ids[4], cancelled, ready[4];
  double t0 = loop_now();
  nfired = 0;
  ids[0] = loop_timer(l, 0.03, record, (void *)3);
  ids[1] = loop_timer(l, 0.01, record, (void *)1);
  cancelled = loop_timer(l, 0.02, record, (void *)9);
  ids[2] = loop_timer(l, 0.02, record, (void *)2);
  ids[3] = loop_timer(l, 0.04, NULL, NULL);     /* marks its id ready */
  CHECK(ids[0] && ids[1] && ids[2] && ids[3]);
  CHECK(ids[0] != ids[1] && ids[1] != cancelled && cancelled != ids[2] &&
        ids[2] != ids[3]);
  CHECK(loop_timer_cancel(l, cancelled) == 1);
  CHECK(loop_timer_cancel(l, cancelled) == 0);
  CHECK(loop_pending(l) == 4);
  CHECK(loop_run(l, 5, &err) == 1);
  CHECK(loop_take_ready(l, ready, 4) == 1 && ready[0] == ids[3]);
  CHECK(nfired == 3 && fired[0] == 1 && fired[1] == 2 && fired[2] == 3);
  CHECK(loop_now() - t0 >= 0.035);
  CHECK(loop_pending(l) == 0);
  loop_free(l);
}

static void test_run_returns_on_timeout_and_when_idle(void)
{
  kd_error err = {0};
  loop *l = loop_new(&err);
  loop_id t = loop_timer(l, 10, NULL, NULL);
  CHECK(loop_run(l, 0.02, &err) == 0);          /* timer not due yet */
  CHECK(loop_timer_cancel(l, t) == 1);
  CHECK(loop_run(l, -1, &err) == 0);            /* nothing pending: no hang */
  loop_free(l);
}

static loop *g_loop;
static void add_again(void *ctx)
{
  int *count = ctx;
  if (++*count < 5) loop_timer(g_loop, 0, add_again, ctx);
}

static void test_zero_delay_timer_chain_does_not_spin(void)
{
  kd_error err = {0};
  int count = 0;
  g_loop = loop_new(&err);
  loop_timer(g_loop, 0, add_again, &count);
  CHECK(loop_run(g_loop, 1, &err) == 0);        /* runs all rounds, then idle */
  CHECK(count == 5);
  loop_free(g_loop);
}

typedef struct {
  kd_buf body;
  int done;
  CURLcode rc;
  loop *l;
  loop_id id;
} fetch;

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
  fetch *f = ud;
  return kd_buf_add(&f->body, p, size * n) ? 0 : size * n;
}

static void on_done(void *ctx, CURL *easy, CURLcode rc)
{
  fetch *f = ctx;
  f->done++;
  f->rc = rc;
  loop_ready(f->l, f->id);
}

static void test_transfers_complete_with_callbacks(void)
{
  kd_error err = {0};
  loop *l = loop_new(&err);
  char path[] = "/tmp/kd_loop_testXXXXXX";
  int fd = mkstemp(path);
  fetch f[3];
  CURL *easy[3];
  kd_buf url = {0};
  loop_id got[3];
  int i, seen = 0;
  CHECK(fd >= 0);
  CHECK(write(fd, "hello loop", 10) == 10);
  close(fd);
  kd_buf_printf(&url, "file://%s", path);
  for (i = 0; i < 3; i++) {
    memset(&f[i], 0, sizeof f[i]);
    f[i].l = l;
    f[i].id = loop_new_id(l);
    easy[i] = curl_easy_init();
    curl_easy_setopt(easy[i], CURLOPT_URL, i == 2 ? "file:///nonexistent/x" : url.data);
    curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(easy[i], CURLOPT_WRITEDATA, &f[i]);
    CHECK(loop_add(l, easy[i], on_done, &f[i], &err) == KD_OK);
  }
  CHECK(loop_pending(l) == 3);
  while (seen < 3 && loop_run(l, 5, &err) > 0)
    seen += (int)loop_take_ready(l, got, 3);
  CHECK(seen == 3);
  CHECK(f[0].done == 1 && f[0].rc == CURLE_OK);
  CHECK_STR(f[0].body.data, "hello loop");
  CHECK(f[1].done == 1 && f[1].rc == CURLE_OK);
  CHECK(f[2].done == 1 && f[2].rc != CURLE_OK);
  CHECK(loop_pending(l) == 0);
  for (i = 0; i < 3; i++) {
    curl_easy_cleanup(easy[i]);
    kd_buf_free(&f[i].body);
  }
  kd_buf_free(&url);
  unlink(path);
  loop_free(l);
}

static void test_removed_transfer_never_calls_back(void)
{
  kd_error err = {0};
  loop *l = loop_new(&err);
  fetch f;
  CURL *easy = curl_easy_init();
  memset(&f, 0, sizeof f);
  f.l = l;
  f.id = loop_new_id(l);
  curl_easy_setopt(easy, CURLOPT_URL, "file:///etc/hostname");
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &f);
  CHECK(loop_add(l, easy, on_done, &f, &err) == KD_OK);
  loop_remove(l, easy);
  CHECK(loop_pending(l) == 0);
  CHECK(loop_run(l, 0.01, &err) == 0);
  CHECK(f.done == 0);
  /* a transfer left in the loop is detached by loop_free */
  CHECK(loop_add(l, easy, on_done, &f, &err) == KD_OK);
  loop_free(l);
  curl_easy_cleanup(easy);
  kd_buf_free(&f.body);
}

static void test_signal_marks_id_ready(void)
{
  kd_error err = {0};
  loop *l = loop_new(&err);
  loop_id id = loop_new_id(l), got;
  CHECK(loop_signal(l, SIGUSR1, id, &err) == KD_OK);
  CHECK(loop_run(l, 0, &err) == 0);
  raise(SIGUSR1);
  CHECK(loop_run(l, 2, &err) == 1);
  CHECK(loop_take_ready(l, &got, 1) == 1 && got == id);
  CHECK(loop_signal(l, 0, id, &err) == KD_EINVAL);
  loop_free(l);
}

/* fd watches: a pipe's read end, read by its callback until EOF */
typedef struct {
  loop *l;
  int fd, calls, eof;
  loop_id watch, done;
  kd_buf got;
} piperead;

static void on_readable(void *ctx)
{
  piperead *p = ctx;
  char buf[8];
  ssize_t n;
  p->calls++;
  while ((n = read(p->fd, buf, sizeof buf)) > 0) kd_buf_add(&p->got, buf, (size_t)n);
  if (n == 0) {
    p->eof = 1;
    CHECK(loop_fd_cancel(p->l, p->watch) == 1);
    CHECK(loop_ready(p->l, p->done) == KD_OK);
  }
}

static void test_fd_watch_reads_until_eof(void)
{
  kd_error err = {0};
  loop *l = loop_new(&err);
  int fds[2];
  loop_id got;
  piperead p;
  double t0;
  memset(&p, 0, sizeof p);
  CHECK(pipe(fds) == 0);
  CHECK(fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0);
  p.l = l;
  p.fd = fds[0];
  p.done = loop_new_id(l);
  p.watch = loop_fd(l, fds[0], on_readable, &p);
  CHECK(p.watch != 0 && loop_pending(l) == 1);
  CHECK(loop_run(l, 0.02, &err) == 0);           /* nothing written: no call */
  CHECK(p.calls == 0);
  CHECK(write(fds[1], "first part, ", 12) == 12);
  CHECK(loop_run(l, 0.5, &err) == 0);            /* read, still open */
  CHECK(p.calls >= 1 && p.eof == 0);
  CHECK(write(fds[1], "then EOF", 8) == 8);
  close(fds[1]);
  t0 = loop_now();
  CHECK(loop_run(l, 5, &err) == 1);
  CHECK(loop_now() - t0 < 1);                    /* woken by the fd, not a timeout */
  CHECK(loop_take_ready(l, &got, 1) == 1 && got == p.done);
  CHECK(p.eof == 1 && p.got.len == 20 && memcmp(p.got.data, "first part, then EOF", 20) == 0);
  CHECK(loop_pending(l) == 0);
  CHECK(loop_fd_cancel(l, p.watch) == 0);
  CHECK(loop_fd(l, -1, on_readable, &p) == 0);
  close(fds[0]);
  kd_buf_free(&p.got);
  loop_free(l);
}

/* ---- many transfers; transfers added from done callbacks ---------------- */

#define NCHAIN 64
typedef struct chain chain;
typedef struct {
  fetch f;       /* its body, filled by on_data */
  chain *c;
} chain_slot;

struct chain {
  loop *l;
  const char *url;
  CURL *easy[NCHAIN];
  chain_slot slot[NCHAIN];
  int started, finished, failed;
  loop_id all_done;
};

static void chain_done(void *ctx, CURL *easy, CURLcode rc);

static void chain_start(chain *c)
{
  kd_error err = {0};
  int i = c->started++;
  c->slot[i].c = c;
  c->easy[i] = curl_easy_init();
  curl_easy_setopt(c->easy[i], CURLOPT_URL, c->url);
  curl_easy_setopt(c->easy[i], CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c->easy[i], CURLOPT_WRITEDATA, &c->slot[i].f);
  CHECK(loop_add(c->l, c->easy[i], chain_done, &c->slot[i], &err) == KD_OK);
}

static void chain_done(void *ctx, CURL *easy, CURLcode rc)
{
  chain_slot *s = ctx;
  chain *c = s->c;
  (void)easy;
  if (rc != CURLE_OK || s->f.body.len != 10) c->failed++;
  if (c->started < NCHAIN) chain_start(c);   /* one out, one in */
  if (++c->finished == NCHAIN) CHECK(loop_ready(c->l, c->all_done) == KD_OK);
}

static void test_many_transfers_and_adds_from_callbacks(void)
{
  kd_error err = {0};
  chain c;
  char path[] = "/tmp/kd_loop_testXXXXXX";
  int fd = mkstemp(path), i;
  kd_buf url = {0};
  loop_id got;
  CHECK(fd >= 0);
  CHECK(write(fd, "hello loop", 10) == 10);
  close(fd);
  kd_buf_printf(&url, "file://%s", path);
  memset(&c, 0, sizeof c);
  c.l = loop_new(&err);
  c.url = url.data;
  c.all_done = loop_new_id(c.l);
  for (i = 0; i < NCHAIN / 2; i++) chain_start(&c);
  CHECK(loop_pending(c.l) == NCHAIN / 2);
  CHECK(loop_run(c.l, 10, &err) == 1);
  CHECK(loop_take_ready(c.l, &got, 1) == 1 && got == c.all_done);
  CHECK(c.started == NCHAIN && c.finished == NCHAIN && c.failed == 0);
  CHECK(loop_pending(c.l) == 0);
  for (i = 0; i < NCHAIN; i++) {
    curl_easy_cleanup(c.easy[i]);
    kd_buf_free(&c.slot[i].f.body);
  }
  loop_free(c.l);
  kd_buf_free(&url);
  unlink(path);
}

/* ---- HTTP against a tiny server served by the same loop ------------------
 * The server is fd watches: one on the listening socket, one per
 * connection. GET /ok answers "ok" (keep-alive); GET /stream sends the
 * headers and one chunk and then stays silent, like an idle watch. */

#define MAXCONN 8
typedef struct server server;
typedef struct {
  server *s;
  int fd;
  loop_id watch;
  kd_buf in;
} sconn;

struct server {
  loop *l;
  int lfd, port, nconns, requests;
  loop_id watch;
  sconn c[MAXCONN];
};

static void answer(sconn *c, const char *req)
{
  const char *ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  const char *stream = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhi\n\r\n";
  const char *r = strncmp(req, "GET /stream ", 12) == 0 ? stream : ok;
  c->s->requests++;
  CHECK(write(c->fd, r, strlen(r)) == (ssize_t)strlen(r));
}

static void on_conn(void *ctx)
{
  sconn *c = ctx;
  char buf[512], *end;
  ssize_t n;
  while ((n = read(c->fd, buf, sizeof buf)) > 0) kd_buf_add(&c->in, buf, (size_t)n);
  while (c->in.len && (end = strstr(c->in.data, "\r\n\r\n"))) {
    size_t used = (size_t)(end + 4 - c->in.data);
    answer(c, c->in.data);
    memmove(c->in.data, c->in.data + used, c->in.len - used + 1);
    c->in.len -= used;
  }
  if (n == 0) {   /* the client closed */
    loop_fd_cancel(c->s->l, c->watch);
    close(c->fd);
    c->fd = -1;
  }
}

static void on_accept(void *ctx)
{
  server *s = ctx;
  int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  sconn *c;
  if (fd < 0) return;
  if (s->nconns == MAXCONN) {
    close(fd);
    return;
  }
  c = &s->c[s->nconns++];
  c->s = s;
  c->fd = fd;
  c->watch = loop_fd(s->l, fd, on_conn, c);
  CHECK(c->watch != 0);
}

/* A listening socket on 127.0.0.1, any port; LISTEN 0: bound and closed
 * again, so that its port refuses connections. */
static int local_port(int *fd_out, int listen_too)
{
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
  CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
  if (listen_too) CHECK(listen(fd, 16) == 0);
  else close(fd), fd = -1;
  *fd_out = fd;
  return ntohs(a.sin_port);
}

static void server_start(server *s, loop *l)
{
  memset(s, 0, sizeof *s);
  s->l = l;
  s->port = local_port(&s->lfd, 1);
  s->watch = loop_fd(l, s->lfd, on_accept, s);
  CHECK(s->watch != 0);
}

static void server_stop(server *s)
{
  int i;
  loop_fd_cancel(s->l, s->watch);
  close(s->lfd);
  for (i = 0; i < s->nconns; i++) {
    if (s->c[i].fd >= 0) {
      loop_fd_cancel(s->l, s->c[i].watch);
      close(s->c[i].fd);
    }
    kd_buf_free(&s->c[i].in);
  }
}

static CURL *http_get(loop *l, fetch *f, int port, const char *path)
{
  kd_error err = {0};
  kd_buf url = {0};
  CURL *e = curl_easy_init();
  memset(f, 0, sizeof *f);
  f->l = l;
  f->id = loop_new_id(l);
  kd_buf_printf(&url, "http://127.0.0.1:%d%s", port, path);
  curl_easy_setopt(e, CURLOPT_URL, url.data);
  curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, f);
  CHECK(loop_add(l, e, on_done, f, &err) == KD_OK);
  kd_buf_free(&url);
  return e;
}

/* An idle streaming transfer must not hold up the others, nor timers:
 * while /stream sits open after its first chunk, five GETs of /ok run one
 * after the other over one kept-alive connection, and a timer fires. */
static void test_idle_stream_does_not_block_requests(void)
{
  kd_error err = {0};
  loop *l = loop_new(&err);
  server s;
  fetch fs, fo;
  CURL *stream, *ok = NULL;
  loop_id got, tick;
  int i, ticked = 0;
  double t0 = loop_now();
  server_start(&s, l);
  stream = http_get(l, &fs, s.port, "/stream");
  while (fs.body.len < 3 && loop_now() - t0 < 5) CHECK(loop_run(l, 0.05, &err) >= 0);
  CHECK(fs.body.len == 3 && memcmp(fs.body.data, "hi\n", 3) == 0 && fs.done == 0);
  tick = loop_timer(l, 0.05, NULL, NULL);
  for (i = 0; i < 5; i++) {
    if (ok) curl_easy_cleanup(ok), kd_buf_free(&fo.body);
    ok = http_get(l, &fo, s.port, "/ok");
    CHECK(loop_run(l, 5, &err) >= 1);
    while (loop_take_ready(l, &got, 1) == 1 && got != fo.id) {
      CHECK(got == tick);
      ticked = 1;
    }
    CHECK(fo.done == 1 && fo.rc == CURLE_OK && fo.body.len == 2);
  }
  if (!ticked) {                                 /* not fired yet: it will */
    CHECK(loop_run(l, 5, &err) == 1);
    CHECK(loop_take_ready(l, &got, 1) == 1 && got == tick);
  }
  CHECK(s.requests == 6 && s.nconns == 2);       /* /ok reused one connection */
  CHECK(fs.done == 0);                           /* the stream is still open */
  loop_remove(l, stream);
  CHECK(loop_run(l, 0.05, &err) == 0 && fs.done == 0);
  curl_easy_cleanup(stream);
  curl_easy_cleanup(ok);
  kd_buf_free(&fs.body);
  kd_buf_free(&fo.body);
  server_stop(&s);
  loop_free(l);
}

/* A refused connection finishes the transfer with an error, at once. */
static void test_connection_refused_fails_transfer(void)
{
  kd_error err = {0};
  loop *l = loop_new(&err);
  fetch f;
  int fd, port = local_port(&fd, 0);
  CURL *e = http_get(l, &f, port, "/");
  double t0 = loop_now();
  loop_id got;
  CHECK(loop_run(l, 5, &err) == 1);
  CHECK(loop_take_ready(l, &got, 1) == 1 && got == f.id);
  CHECK(f.done == 1 && f.rc == CURLE_COULDNT_CONNECT);
  CHECK(loop_now() - t0 < 2);
  CHECK(loop_pending(l) == 0);
  curl_easy_cleanup(e);
  kd_buf_free(&f.body);
  loop_free(l);
}

/* A stream still open when the loop is freed is detached by loop_free
 * without a callback. */
static void test_free_detaches_open_stream(void)
{
  kd_error err = {0};
  loop *l = loop_new(&err);
  server s;
  fetch f;
  CURL *e;
  double t0 = loop_now();
  server_start(&s, l);
  e = http_get(l, &f, s.port, "/stream");
  while (f.body.len < 3 && loop_now() - t0 < 5) CHECK(loop_run(l, 0.05, &err) >= 0);
  CHECK(f.body.len == 3 && f.done == 0);
  server_stop(&s);
  loop_free(l);
  CHECK(f.done == 0);
  curl_easy_cleanup(e);
  kd_buf_free(&f.body);
}

int main(void)
{
  curl_global_init(CURL_GLOBAL_DEFAULT);
  RUN(test_ready_queue_is_fifo);
  RUN(test_timers_fire_in_order_and_cancel);
  RUN(test_run_returns_on_timeout_and_when_idle);
  RUN(test_zero_delay_timer_chain_does_not_spin);
  RUN(test_transfers_complete_with_callbacks);
  RUN(test_removed_transfer_never_calls_back);
  RUN(test_signal_marks_id_ready);
  RUN(test_fd_watch_reads_until_eof);
  RUN(test_many_transfers_and_adds_from_callbacks);
  RUN(test_idle_stream_does_not_block_requests);
  RUN(test_connection_refused_fails_transfer);
  RUN(test_free_detaches_open_stream);
  curl_global_cleanup();
  TEST_EXIT();
}
